"""The default answer engine: the tuned matcher, checked by the fitted engine.

The matcher (``matcher.py``) answers most questions its development sets ask, but on pages nobody tuned
it on it answers confidently and wrongly about one time in eight. The fitted engine (``answer/``)
rarely answers wrongly but refuses more. Each covers the other's weakness:

* an article answer of the matcher stands when the fitted engine reads the same page best, or finds its
  own best reading at least worth suggesting; otherwise the fitted engine sees nothing there that it
  would even offer, and the reply is its refusal (with its suggestions). When it stands and the fitted
  engine's best reading (sure or not) is on the same page, the reply is that reading's sentences: the
  matcher is better at choosing the page, the fitted engine at choosing the sentence that answers;
* a question the matcher refuses is answered by the fitted engine when it is confident (an English
  question, a rewording the matcher's word lists miss);
* a reply that speaks of another year, edition, number, rank or place than the question asks, or from a
  page that the fitted engine finds disagreeing with them (a place it never names), is never given
  (qualifiers must agree), nor one that holds nothing of what is asked (no date for "khi nào", no number for
  "bao nhiêu", no person or organisation for "ai"): the fitted engine's reply (its refusal, mostly) stands
  instead;
* a question asking when a page was published or where it was taken from ("bài … đăng ngày nào", "lấy theo
  báo nào") is the fitted engine's: it reads the page's own words ("bài viết", "tin") as naming the page, not as
  words to look for;
* contacts, FAQs and small talk are the matcher's; a contact only when the fitted engine, which reads
  question words with the accents typed, also finds a contact asked for ("trực thuộc cơ quan nào" asks
  for no "quận nào"), and the fitted engine's own when a follow-up reads another unit's than the matcher's
  ("còn email?" after a unit's phone number: the matcher never sees the conversation's topic);
* a follow-up with no topic of its own ("theo kế hoạch nào?" after the drill) is the fitted engine's, which reads it
  with the conversation's topic, unless the matcher answers from the topic's own page.

The matcher searches the articles (its costliest route) only when the fitted engine is not sure of an article
answer (nor asked about a page itself): when it is sure, the reply's text is the fitted engine's whatever page
the matcher would find. Such a reply carries the fitted engine's score and normalised words (the query log keeps
both, the web API shows the score) where it carried the matcher's. The matcher still searches the articles
where they could outweigh its answered FAQ or rule out small talk among other words (``Matcher.match``).

The floor reuses the fitted engine's own numbers (its operating point and the share of it at which it
suggests pages), so combining adds no hand-set number. Measured on the held-out sets
(``docs/answer-engine.md``): about as many right answers as the matcher, half its wrong ones.
"""
from __future__ import annotations

from functools import cache, partial

from .answer.engine import SUGGEST_SHARE, AnswerEngine, Match, Topic
from .answer.question import PAGE_TYPES
from .matcher import Matcher
from .store import KnowledgeBase


def _same_page(one: Match, other: Match) -> bool:
    return bool(one.source and other.source) and all(
        one.source.get(key) == other.source.get(key) for key in ("title", "date"))


def _text_without_articles(fitted: Match) -> bool:
    """Is the text of the reply the fitted engine's, whatever article the matcher finds (``CombinedEngine.match``)?
    So when it is sure of an article (on the matcher's page, the matcher's answer is read with its sentences),
    or the question asks when or from where a page was published."""
    return (fitted.answered and fitted.kind == "article") or bool(PAGE_TYPES.intersection(fitted.intent.split(",")))


class CombinedEngine:
    """The matcher's answers, vetoed or completed by the fitted engine."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.matcher = Matcher(kb)
        self.fitted = AnswerEngine(kb)

    def index(self) -> None:
        """Build both engines' caches (a worker warms up before its first question)."""
        self.matcher.index()
        self.fitted.index()

    def match(self, question: str, topic: Topic | None = None) -> Match:
        match = self._match(question, topic)
        # the words as the fitted engine reads them, whichever engine answered: the matcher "corrects" real words its
        # pages lack ("tôm" → "toi"), which the query log would show and the working-hours cues would misread
        match.normalized = self.fitted.normalized(question)
        return match

    def _match(self, question: str, topic: Topic | None) -> Match:
        question = self.fitted.spelt_out(question)  # both engines read "STKT" as the pages write it
        fitted_match = cache(partial(self.fitted.match, question, topic))  # asked once, when first needed
        # the matcher's own article search only when the fitted engine's reply leaves the text to it
        matched = self.matcher.match(self.fitted.corrected(question),  # the fitted reader's corrections
                                     articles=lambda: not _text_without_articles(fitted_match()))
        if matched.answered and matched.kind not in ("article", "contact"):
            return matched  # FAQs and small talk: the fitted engine is not asked
        fitted = fitted_match()
        if PAGE_TYPES.intersection(fitted.intent.split(",")):
            return fitted  # when or from where a page was published: the fitted engine reads it ("bài … đăng ngày nào")
        sure = fitted.answered and fitted.kind != "smalltalk"
        if matched.kind == "contact":  # a contact only when the fitted engine reads the question as one
            if fitted.kind != "contact":
                return fitted  # "cơ quan nào" asks for no "quận"
            if topic is not None and topic.entity and fitted.contacts != matched.contacts:
                return fitted  # "còn email?" after a unit's phone: the matcher, which never sees the topic, gives ours
            matched.topic = fitted.topic  # the unit asked about, for a follow-up ("còn email?", "ở đâu?")
            return matched
        if matched.answered and matched.kind == "article" and self.fitted.names_no_topic(question):
            return fitted  # the question names nothing but the department: no page is about it more than another
        if matched.answered and matched.kind == "article" and topic is not None and topic.title and \
                matched.source.get("title") != topic.title and self.fitted.follows_up(question):
            return fitted  # "theo kế hoạch nào?" after the drill: the matcher, which never sees the topic, reads another
        if not matched.answered:
            return fitted if sure else matched
        same_page = _same_page(matched, fitted)
        if sure and not same_page:
            return fitted  # sure of another page or a contact: the fitted engine is wrong less often
        if same_page or fitted.score >= SUGGEST_SHARE * self.fitted.model.operating_point:
            reading = fitted if fitted.kind == "article" else fitted.unsure
            on_page = reading is not None and _same_page(matched, reading)
            if on_page:
                matched.text = reading.text  # the page the matcher chose, read by the fitted engine's reader
            if not (on_page and reading.conflict) and self.fitted.answers_in_agreement(question, matched.text) and \
                    self.fitted.page_agrees(question, matched.passage_id):
                # for a follow-up
                matched.topic = Topic(title=matched.source["title"], asked=question) if matched.source else None
                return matched
        return fitted  # its refusal, with the pages it would suggest


ENGINES = {"combined": CombinedEngine, "matcher": Matcher, "fitted": AnswerEngine}


def engine_for(kb: KnowledgeBase, name: str):
    """The answer engine called ``name`` (``ENGINES``) over ``kb``."""
    return ENGINES[name](kb)
