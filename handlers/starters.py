"""Starter questions: what the bot offers on /start, with help and as the web chat's first chips.

They cover what the knowledge base knows, not a fixed list: the department's contacts the base holds
(address, phone, e-mail), then its newest topics — short FAQ questions and "Về: <short title>" of the
newest live articles, each of which answers when tapped (``knowledge.suggestions``). Built once per
knowledge-base version, so a new article or FAQ shows at once; an empty base offers the fixed examples.
"""
from __future__ import annotations

from knowledge.store import KnowledgeBase, PerVersion
from knowledge.suggestions import faq_suggestion, title_suggestion

from . import texts

# The contact question offered for each field the department's contacts hold, in this order.
CONTACT_QUESTIONS = (("address", texts.EXAMPLE_QUESTIONS[0]), ("phone", texts.EXAMPLE_QUESTIONS[1]),
                     ("email", texts.EXAMPLE_QUESTIONS[2]))
TOPICS = 1  # topics of the knowledge base offered after the contact questions
STARTERS = 3  # questions offered in all, as many as a reply's suggestions


class Starters:
    """The starter questions of one knowledge base, rebuilt when it changes."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._questions = PerVersion(kb, self._build)

    def questions(self) -> list[str]:
        return list(self._questions.get())

    def _build(self) -> list[str]:
        held = self.kb.resolve_contacts()
        contacts = [question for field, question in CONTACT_QUESTIONS if field in held]
        topics = [faq_suggestion(faq.question) for faq in reversed(self.kb.faqs())]  # newest first
        for article in self.kb.articles(limit=20):  # newest first
            wording = "" if article["retired"] else title_suggestion(article["title"])
            if wording and wording not in topics:
                topics.append(wording)
        return contacts[:STARTERS - min(TOPICS, len(topics))] + topics[:TOPICS] or list(texts.EXAMPLE_QUESTIONS)
