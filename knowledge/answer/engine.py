"""The answer engine: a question in, a :class:`Match` out, through the four stages in order.

1. read the question (``question.py``), its initialisms spelt out as the pages write them
   (``initialisms.py``), or recognise small talk (``smalltalk.py``);
2. find candidates: a contact fact, an FAQ, article passages from the full-text index;
3. read each candidate passage sentence by sentence (``reading.py``);
4. decide with the fitted model (``decision.py``): the most probable sentence answers when its
   probability reaches the operating point, with the next best sentence of the same page when it is
   nearly as good; otherwise the reply abstains, offering close topics.

A follow-up with no topic of its own ("còn giải ba?", "email thì sao?") is read with the topic of
the previous answer in the same conversation, passed in as a :class:`Topic`.
Caches are rebuilt per knowledge-base version, so staff edits apply at once.
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property

from rapidfuzz import fuzz

from .. import suggestions as suggest
from ..contacts import fields_to_show, is_department
from ..fulltext import search_term
from ..store import FOOTER_CONTEXT, ContactValue, KnowledgeBase, Passage
from ..text import Normalizer, Token, clean, exact_key
from .decision import Model, default_model, says_the_same
from .initialisms import has_vowel, initialism_letters, spell_out, spelt_by
from .lexicon import (AMBIGUOUS_BARE_STOPS, ENGLISH_STOPS, HOME_PROVINCE, LEXICON_WORDS,
                      STOP_FOLDED, names_the_department)
from .question import Question, QuestionReader, Term, is_english, is_stop, names_someone
from .reading import (ArticleFit, ArticleView, Reading, add_relative_features, agrees, answers_in_agreement,
                      build_article, fills_the_slot, fit_article, holds_the_form, idf_max_of, page_disagrees, read,
                      sentence_of, unknown_weight, weights_of)
from .smalltalk import smalltalk_intent, unanswered_intent
from .vocabulary import vocabulary

CANDIDATES = 40  # passages the full-text search hands to the reader
READ_PASSAGES = 15  # candidates read sentence by sentence, those covering most of the question
ENOUGH_CANDIDATES = 8  # broaden the search only while fewer passages than this were found
FAQ_THRESHOLD = 0.78  # similarity of the question's words to an FAQ phrasing that answers
MAX_SPAN_CHARS = 450  # a reply longer than this (and some slack) is cut at a word
NEAR_TIE = 0.03  # probabilities this close say the same thing as well as each other: the newer page wins
UNIT_MATCH = 0.75  # share of the entity's words a unit's name must hold
FOLLOW_UP_WEIGHT = 0.5  # weight of the previous topic's words in a follow-up
_SO = exact_key("sở")  # the department's own head word, typed with its accents
SUGGEST_SHARE = 0.30  # an unsure reply suggests pages when its confidence reaches this share of the operating
# point, and then only pages whose best sentence reaches this share of the best one; an FAQ when its
# similarity reaches this share of FAQ_THRESHOLD
ARTICLE_CACHE = 2_000  # articles whose sentences are kept between questions
_FOLLOW_UP_OPENERS = {"con", "the con", "vay con", "no", "cai do", "the", "vay"}
_NOISE_RE = re.compile(r"\((?:Ảnh|Nguồn|ảnh)[^)]*\)")
_CLAUSE_END_RE = re.compile(r"(?<=[,;:.])\s+")  # a reply is cut between clauses
_WORD_RE = re.compile(r"\w+")


@dataclass
class Topic:
    """What a conversation was last about, for reading a follow-up."""
    title: str = ""  # the article last answered from
    asked: str = ""  # the question answered from it: what of the page it was about ("ai phát biểu bế mạc")
    entity: list[Token] = field(default_factory=list)  # the unit whose contacts were last asked


@dataclass
class Match:
    """What the engine found; the handler turns it into the citizen's reply."""
    kind: str  # contact | faq | article | smalltalk | fallback | empty
    answered: bool
    score: float = 0.0
    text: str = ""  # the sentences or FAQ answer
    contacts: dict[str, ContactValue] = field(default_factory=dict)
    source: dict | None = None
    suggestions: list[str] = field(default_factory=list)
    intent: str = ""  # small-talk intent, or the question types found
    faq_id: int | None = None
    normalized: str = ""
    topic: Topic | None = None  # for a follow-up in the same conversation
    unsure: "Match | None" = None  # a refusal's best article reading, never shown as an answer (combined.py
    # reads a page's sentences with it)
    conflict: bool = False  # an article reading whose page or sentence disagrees with the question's
    # qualifiers (``reading.agrees``): never an answer
    passage_id: int | None = None  # the passage an article answer was read from (its page: ``page_agrees``)


class _Index:
    """Per-version caches: document frequencies, the question reader, FAQ phrasings, units, articles.
    What a staff edit did not change is kept from the previous version: the document frequencies are
    read as the knowledge base keeps them (only the terms changed since), the question reader and the
    FAQ phrasings it read while nothing it reads changed (pages, counts, synonyms, abbreviations), the
    articles' views while their article is unchanged; FAQ phrasings are read when first needed."""

    def __init__(self, kb: KnowledgeBase, previous: "_Index | None" = None):
        self.version = kb.version()
        self.count, self.df_folded, self.df_exact = kb.term_counts()
        normalizer = kb.normalizer()
        synonyms = [phrases for _, phrases in kb.synonyms()]
        if (previous is not None and previous.normalizer is normalizer and previous.synonyms == synonyms
                and previous.df_folded is self.df_folded and previous.df_exact is self.df_exact
                and kb.pages_unchanged_since(previous.version)):
            self.reader, self._phrasings = previous.reader, previous._phrasings
        else:
            title_pairs: set[tuple[str, str]] = set()
            for row in kb.iter_rows("SELECT title_folded FROM articles"):
                words = row["title_folded"].split()
                title_pairs.update(zip(words, words[1:]))
            self.reader = QuestionReader(normalizer, self.df_folded, self.df_exact, title_pairs, LEXICON_WORDS,
                                         synonyms, kb.phrase_count)
            self._phrasings: dict[str, tuple[frozenset[str], str]] = {}  # FAQ phrasing → its words, as read
        self.normalizer, self.synonyms = normalizer, synonyms
        self._faq_rows = kb.faqs()
        self._faqs: list[tuple[object, frozenset[str], str]] | None = None
        self.units = {key: name for key, name in kb.version_contact_units().items() if key != "department"}
        self.articles: OrderedDict[object, ArticleView] = OrderedDict()
        if previous is not None and previous.articles:
            self._keep_articles(kb, previous, normalizer)
        self.idf_max = idf_max_of(self.count)
        self._last_read: tuple[str, Question] | None = None
        self.last_spelt: dict[str, str] = {}  # the last question, and what it became, → it spelt out

    @property
    def faqs(self) -> list[tuple[object, frozenset[str], str]]:
        """Each FAQ phrasing with its words, read by the question reader when first asked for."""
        if self._faqs is None:
            faqs = []
            for faq in self._faq_rows:
                for phrasing in [faq.question, *faq.alternates]:
                    read = self._phrasings.get(phrasing)
                    if read is None:
                        words = faq_words(self.reader.read(phrasing))
                        read = self._phrasings[phrasing] = (frozenset(words), " ".join(sorted(words)))
                    faqs.append((faq, *read))
            self._faqs = faqs
        return self._faqs

    def _keep_articles(self, kb: KnowledgeBase, previous: "_Index", normalizer) -> None:
        """The previous version's article views (in their order of use) whose article is unchanged:
        its revision, the version of its last change, is not above the version the views were built
        at or after, and the words are tokenized as now."""
        revisions = kb.article_revisions({view.article_id for view in previous.articles.values()})
        for key, view in previous.articles.items():
            revision = revisions.get(view.article_id)
            if revision is not None and revision <= previous.version and view.normalizer is normalizer:
                self.articles[key] = view

    def read(self, text: str) -> Question:
        """The question read; the last one is kept, as the combined engine asks about it again right after
        (whether a reply contradicts it). Nothing changes a question once read."""
        if self._last_read is None or self._last_read[0] != text:
            self._last_read = (text, self.reader.read(text))
        return self._last_read[1]

    def idf(self, token: Token) -> float:
        df = (self.df_exact.get(token.exact, 0) if token.marked else 0) or self.df_folded.get(token.folded, 0)
        return math.log((self.count - df + 0.5) / (df + 0.5) + 1.0)

    def search_term(self, token: Token) -> tuple[str, int]:
        return search_term(token, self.df_exact, self.df_folded)


def faq_words(question: Question) -> set[str]:
    """An FAQ is compared on bare content words, stop words dropped whatever the accents, so
    "sở làm việc mấy giờ" and "so lam viec may gio" are the same question."""
    words = {t.token.folded for t in question.terms}
    return {w for w in words if w not in STOP_FOLDED | AMBIGUOUS_BARE_STOPS | ENGLISH_STOPS} | {
        t for t in question.types}


class AnswerEngine:
    """Stateless over questions; caches per knowledge-base version."""

    def __init__(self, kb: KnowledgeBase, model: Model | None = None):
        self.kb = kb
        self.model = model or default_model()
        self._index: _Index | None = None

    def index(self) -> _Index:
        if self._index is None or self._index.version != self.kb.version():
            self._index = _Index(self.kb, self._index)
        return self._index

    # ----- entry point ---------------------------------------------------------------
    def match(self, text: str, topic: Topic | None = None) -> Match:
        text = clean(text)
        if not text:
            return Match("empty", False)
        index = self.index()
        question = index.read(self.spelt_out(text))
        normalized = question.folded
        if not question.tokens:
            return Match("fallback", False, normalized=normalized)
        intent = smalltalk_intent(question.typed)
        if intent:
            return Match("smalltalk", True, 1.0, intent=intent, normalized=normalized)
        match = self._answer(question, index, topic)
        loose = "" if match.answered else unanswered_intent(question.typed)
        if loose:
            match = Match("smalltalk", True, 1.0, intent=loose)
        match.normalized = normalized
        return match

    def normalized(self, text: str) -> str:
        """The question's words as this engine reads them (``Match.normalized``): abbreviations and initialisms
        spelt out, folded, and only a word that is no word at all corrected ("vic" → "viec", never "tôm" → "toi")."""
        return self.read_question(text).folded

    def spelt_out(self, text: str) -> str:
        """The question with its initialisms spelt out as the pages its other words find write them
        (``initialisms.py``); as typed when it has none or no candidate spells them."""
        index = self.index()
        if text in index.last_spelt:
            return index.last_spelt[text]  # the combined engine asks first, then the fitted engine reads it
        question = index.read(clean(text))
        typed = question.typed
        letters: dict[str, tuple[set[str], set[str]]] = {}  # initialism → the words before it, after it
        for position, token in enumerate(typed):
            if (found := initialism_letters(token)) and found not in LEXICON_WORDS:
                before, after = letters.setdefault(found, (set(), set()))
                before.update(t.folded for t in typed[max(0, position - 1):position])
                after.update(t.folded for t in typed[position + 1:position + 2])
        phrases = {}
        if letters and not is_english(question.text):
            passages = self._candidates(question, index)
            texts = [part for p in passages for part in (p.title, p.text)]
            for initialism, (before, after) in letters.items():
                phrase = spelt_by(initialism, texts, frozenset(before), frozenset(after),
                                  in_place_only=bool(index.df_folded.get(initialism)))
                if phrase:
                    phrases[initialism] = phrase[1] if question.accented else phrase[0]
        spelt = spell_out(text, phrases) if phrases else text
        index.last_spelt = {text: spelt, spelt: spelt}
        return spelt

    def corrected(self, text: str) -> str:
        """The question with each word that is no word at all written as the word the reader took it for
        ("nuồn" → "nguon", "Kiên Giag" → "Kiên giang"), and each real syllable the pages never write that
        breaks a word they do written as that word ("chưng trình" → "chuong trình"), for an engine whose
        own correction knows less (the matcher of the default engine). A real syllable the reader only
        guessed at ("xong" as "cong", "đoàn" as "hoàn") stays as typed there: it may be meant, and many
        are, whether the pages write them or not; initialisms ("tks", "TĐC") are no slips."""
        index = self.index()
        question = index.read(clean(text))
        vocab = vocabulary()
        meant = {typed.exact: read.folded for typed, read in zip(question.typed, question.tokens)
                 if read.exact.endswith("~") and has_vowel(typed.folded)
                 and not vocab.is_syllable(typed.folded, typed.exact if typed.marked else None)}
        meant.update({question.typed[t.position].exact: t.slip_for for t in question.terms if t.slip_for and not (
            index.df_exact.get(t.token.exact) if t.token.marked else index.df_folded.get(t.token.folded))})
        if not meant:
            return text
        return _WORD_RE.sub(lambda m: meant.get(exact_key(m.group(0).casefold()), m.group(0)), text)

    def answers_in_agreement(self, question: str, reply: str) -> bool:
        """Does a sentence of a reply hold a date, a number, a person or a place where the question asks for one,
        and does none of the reply speak of another year, edition, number, rank or place than the question?"""
        return answers_in_agreement(self.index().read(clean(question)), reply, self.kb.normalizer(),
                                    lambda words: self.kb.phrase_count(words.split()) > 0)

    def page_agrees(self, text: str, passage_id: int | None) -> bool:
        """Does the page of the passage another engine answered from hold the years, editions, dates and places the
        question asks about (``reading.page_disagrees``)? A sentence naming none of them says nothing of them; its
        page must."""
        passages = self.kb.passages([passage_id]) if passage_id is not None else []
        if not passages:
            return True
        view = self._views(passages, self.index())[passage_id]
        return not page_disagrees(self.read_question(text), view)

    def follows_up(self, text: str) -> bool:
        """Has the question no topic of its own, so that a conversation's topic says what it is about
        (``_is_follow_up``: "theo kế hoạch nào?", "còn giải ba?")?"""
        return _is_follow_up(self.read_question(text))

    def names_no_topic(self, text: str) -> bool:
        """Does the question name nothing but the department (``Question.names_no_topic``)? No article then answers
        it, whichever engine finds one."""
        return self.index().read(clean(text)).names_no_topic

    def read_question(self, text: str) -> Question:
        """The question as this engine reads it: cleaned, its initialisms spelt out (``spelt_out``)."""
        return self.index().read(self.spelt_out(clean(text)))

    def readings(self, text: str) -> tuple[Question, list[Reading]]:
        """Every candidate sentence with its features (for calibration and diagnosis)."""
        question = self.read_question(text)
        return question, self._read_candidates(question, self.index())

    def _answer(self, question: Question, index: _Index, topic: Topic | None) -> Match:
        follow_up = topic is not None and _is_follow_up(question)
        contact, guessed = self._contact(question, index, topic if follow_up else None)
        if contact and not guessed:
            return contact
        faq = self._faq(question, index)
        if faq and faq.answered:
            return faq
        article = Match("article", False)
        if follow_up and topic.title:  # read with the topic first: alone, "theo kế hoạch nào?" finds any plan
            widened = index.reader.read(question.text + " " + topic.title)
            seen = set(question.content_folded)
            added = [t for t in widened.terms if t.token.folded not in seen]
            seen.update(t.token.folded for t in added)
            # and with the words of the question last answered: "ông ấy giữ chức vụ gì" after "ai phát biểu bế mạc"
            added += [t for t in index.reader.read(topic.asked).terms if t.token.folded not in seen]
            widened.terms = question.terms + [replace(t, factor=FOLLOW_UP_WEIGHT * t.factor) for t in added]
            article = self._article(widened, index)
        if not article.answered and not (question.names_no_topic and not follow_up):
            article = self._article(question, index)  # (no page is about the department more than another)
        if article.answered:
            article.topic = replace(article.topic, asked=question.text)  # the question as asked, not as widened
            return article
        if contact and not article.suggestions:
            return contact  # the department's guessed: no page is about what the question names either
        suggestions = list(dict.fromkeys((faq.suggestions if faq else []) + article.suggestions))
        return Match("fallback", False, max(article.score, faq.score if faq else 0.0),
                     suggestions=suggestions[:suggest.MAX_SUGGESTIONS], intent=",".join(sorted(question.types)),
                     unsure=article if article.text else None)

    # ----- contacts ------------------------------------------------------------------
    def _contact(self, question: Question, index: _Index, topic: Topic | None) -> tuple[Match | None, bool]:
        """The contact asked for, and whether the department's is only a guess: the question names
        neither the department nor a unit, nor anyone else ("vườn ươm … nằm ở đâu"), so a page may say
        better where that is."""
        asked = list(question.attributes)
        about_an_article = topic is not None and bool(topic.title)  # "ở đâu?" after an event: where it was held
        if not asked and "where" in question.types and not question.entity and not self._topic_words(question) \
                and not about_an_article:
            asked = ["address"]  # "sở ở đâu"
        department_named = self._names_only_the_department(question)
        if asked == ["address"] and about_an_article and not question.entity and not department_named:
            return None, False  # "ở phường nào?" after an event: the ward it was held in, not the department's
        if not asked:
            return None, False
        # the unit of the conversation's last contact, unless the question names the department ("còn sđt sở khcn?")
        entity = question.entity or (topic.entity if topic and not department_named else [])
        key = "department" if not entity or is_department(" ".join(t.folded for t in entity)) else \
            self._unit_for(entity, index)
        guessed = False
        if key is None and department_named:
            key = "department"
        elif key is None and not names_someone(question):
            key, guessed = "department", True
        if key == "department" and question.provinces - {HOME_PROVINCE}:
            return None, False  # "sđt sở khcn an giang": another province's department, whose contacts are not ours
        resolved = self.kb.resolve_contacts(key) if key else None
        if not resolved:
            return None, False
        shown, source = fields_to_show(asked, resolved, self.kb)
        return Match("contact", True, 1.0, contacts=shown, source=source, intent=",".join(asked),
                     topic=Topic(entity=entity)), guessed

    @staticmethod
    def _topic_words(question: Question) -> list[Term]:
        return [t for t in question.terms if not names_the_department(t.token) and t.factor == 1.0]

    def _names_only_the_department(self, question: Question) -> bool:
        """Does the question name the department ("sở khcn", or "sở" typed with its accents) and no other
        unit, its leftover words naming none ("gọi", "dùng", "thuộc": "Sở dùng email nào")? After "sở", a word
        that makes a word with the next ("Sở Y tế", "sở tài nguyên") or is no syllable ("sở GTVT") names
        another department."""
        tokens = question.tokens
        if question.department is not None:
            return True
        heads = [i for i, t in enumerate(tokens) if t.marked and t.exact == _SO]
        return bool(heads) and not any(self._names_a_department(tokens[i + 1:i + 3]) for i in heads)

    @staticmethod
    def _names_a_department(after: list[Token]) -> bool:
        vocab = vocabulary()
        if not after or is_stop(after[0], True) is not False:
            return False
        return not vocab.is_syllable(after[0].folded) or (len(after) > 1 and vocab.is_word(after[0].folded,
                                                                                             after[1].folded))

    @staticmethod
    def _unit_for(entity: list[Token], index: _Index) -> str | None:
        """The unit the entity names, matched as phrases: "công an" never matches "công nghệ"."""
        words = [t.folded for t in entity]
        if len(words) < 2:
            return None  # one word ("tế" of "y tế") names no unit for sure
        pairs = set(zip(words, words[1:]))
        best_key, best = None, 0.0
        for key in index.units:
            unit_words = key.split()
            unit_pairs = set(zip(unit_words, unit_words[1:]))
            covered = sum(1 for w in words if w in unit_words) / len(words)
            if covered > best and pairs & unit_pairs:
                best_key, best = key, covered
        return best_key if best >= UNIT_MATCH else None

    # ----- FAQs ----------------------------------------------------------------------
    def _faq(self, question: Question, index: _Index) -> Match | None:
        if not index.faqs:
            return None
        words = faq_words(question)
        if not words:
            return None
        text = " ".join(sorted(words))
        best, best_score = None, 0.0
        for faq, phrasing_words, phrasing in index.faqs:
            common = len(words & phrasing_words)
            overlap = min(common / len(words), common / max(len(phrasing_words), 1))
            score = (fuzz.token_sort_ratio(text, phrasing) / 100 + overlap) / 2
            if score > best_score:
                best, best_score = faq, score
        if best is None:
            return None
        answered = best_score >= FAQ_THRESHOLD
        suggestions = suggest.offer([suggest.faq_candidate(best, self.kb.normalizer())], self._key_words(
            question, index)) if not answered and best_score >= SUGGEST_SHARE * FAQ_THRESHOLD else []
        return Match("faq", answered, best_score, text=best.answer, faq_id=best.id,
                     source={"title": suggest.FAQ_SOURCE, "date": best.updated_at[:10], "path": None},
                     suggestions=suggestions)

    def _key_words(self, question: Question, index: _Index) -> suggest.KeyWords:
        """What a suggestion must hold most of: the question's own words."""
        return suggest.KeyWords([(t.position, t.token.folded) for t in question.terms if t.factor == 1.0],
                                index.count, index.df_folded, self.kb.phrase_count)

    # ----- articles ------------------------------------------------------------------
    def _candidates(self, question: Question, index: _Index) -> list[Passage]:
        """Passages from the question's rarest words first; a word the synonym table says another way
        ("diễn ra" ≈ "tổ chức") comes after the others, so that a page saying it the other way is never
        left out by a search that requires the word as typed."""
        def ordered(terms: list[Term]) -> list[tuple[str, int]]:
            said_otherwise = {index.search_term(t.token): bool(t.alternates) for t in terms}
            return [found for found in sorted(said_otherwise, key=lambda found: (
                said_otherwise[found], found[1], found[0])) if found[1]]
        found = ordered([t for t in question.terms if t.factor == 1.0]) or ordered(question.terms)
        return self.kb.passages(self.kb.search_cascade(found, CANDIDATES, ENOUGH_CANDIDATES))

    def _views(self, passages: list[Passage], index: _Index) -> dict[int, ArticleView]:
        """The article view of each passage (a footer line is a page of its own about the website)."""
        normalizer = self.kb.normalizer()
        wanted = [p.article_id for p in passages if p.role == "body" and p.article_id not in index.articles]
        if wanted:
            bodies = self.kb.article_passages(sorted(set(wanted)))
            for p in passages:
                if p.article_id in bodies and p.article_id not in index.articles:
                    index.articles[p.article_id] = build_article(
                        p.article_id, p.title, p.published, p.source, p.url, bodies[p.article_id], normalizer)
        views = {}
        for p in passages:
            key = p.article_id if p.role == "body" else ("footer", p.id)
            if key not in index.articles:
                index.articles[key] = build_article(p.article_id, FOOTER_CONTEXT, p.published, p.source, p.url,
                                                    [(p.id, p.text, p.folded, p.exact)], normalizer)
            index.articles.move_to_end(key)
            views[p.id] = index.articles[key]
        while len(index.articles) > ARTICLE_CACHE:
            index.articles.popitem(last=False)
        return views

    def _read_candidates(self, question: Question, index: _Index) -> list[Reading]:
        if not question.terms:
            return []
        weights = weights_of(question, index.idf)
        passages = _most_covered(self._candidates(question, index), question, weights)
        views = self._views(passages, index)  # built only for the passages read
        fits: dict[int, ArticleFit] = {}  # per article, what it holds of the question: computed once
        unknown = unknown_weight(question, weights, index.df_folded)
        readings = []
        done: set[int] = set()
        for p in passages:
            view = views[p.id]
            if id(view) not in fits:
                fits[id(view)] = fit_article(question, view)
            for passage_id in (p.id, *view.sheet_lines(p.id)):  # a fact sheet's lines, with what it is about
                if passage_id not in done:
                    done.add(passage_id)
                    readings += read(question, view, passage_id, weights, index.idf_max, unknown, fits[id(view)])
        add_relative_features(question, readings)
        self.model.rank(readings)
        return readings

    def _article(self, question: Question, index: _Index) -> Match:
        readings = self._read_candidates(question, index)
        if not readings:
            return Match("article", False)
        confidence = self.model.confidence(readings)
        best, text = reply_of(readings, Focus(question))
        article = best.article
        answered = confidence >= self.model.operating_point and may_answer(question, best, text) and (
            "origin" not in question.types or bool(self.kb.article_origin(article.article_id)))  # a byline to show
        source = {"title": article.title, "date": article.published, "path": article.url or article.source}
        suggestions = []
        if not answered and confidence >= SUGGEST_SHARE * self.model.operating_point:
            floor = SUGGEST_SHARE * readings[0].probability
            pages = (r.article for r in readings if r.probability >= floor and r.article.title != FOOTER_CONTEXT)
            candidates = (suggest.Candidate(suggest.title_suggestion(page.title), page.folded, page.pairs)
                          for page in pages)
            suggestions = suggest.offer(candidates, self._key_words(question, index))
        return Match("article", answered, confidence, text=text, source=source,
                     suggestions=suggestions, intent=",".join(sorted(question.types)),
                     topic=Topic(title=article.title) if answered else None, conflict=not agrees(best))


def may_answer(question: Question, best: Reading, text: str) -> bool:
    """May the best reading's text be the reply, however sure the decider is? The question's qualifiers agree with it
    (``agrees``), it holds what only one form of words gives (``holds_the_form``), and for "ở đâu" it names a place
    (or a labelled "Địa điểm:"), never only the event: the matcher's replies are held to the last two too
    (``answers_in_agreement``). Calibration scores its held-out questions through this check, as the bot answers."""
    return agrees(best) and holds_the_form(question, text) and (
        "where" not in question.types or fills_the_slot(question, sentence_of(text, best.article.normalizer)))


def _most_covered(passages: list[Passage], question: Question, weights: list[float]) -> list[Passage]:
    """The candidate passages whose words (with their title's) cover most of the question, at most
    ``READ_PASSAGES`` of them: only those are read sentence by sentence (and their articles' views built)."""
    # a word is looked for between spaces: the stored words are joined by one space each (``folded_text``)
    spaced = [(w, f" {t.token.folded} ") for w, t in zip(weights, question.terms)]

    def covered(p: Passage) -> float:
        words = f" {p.folded} {p.title_folded} "
        return sum(w for w, word in spaced if word in words)
    return sorted(passages, key=covered, reverse=True)[:READ_PASSAGES]


def _is_follow_up(question: Question) -> bool:
    """Has the question no topic of its own: it opens as a follow-up does ("còn …"), names someone or something by a
    pronoun ("ông ấy là giám đốc sở nào"), or names at most one word besides the kind of thing it asks for ("theo kế
    hoạch nào?", "ở phường nào?": the plan, the ward of the topic)?"""
    words = [t.folded for t in question.tokens]
    opener = " ".join(words[:2]) in _FOLLOW_UP_OPENERS or (words and words[0] in _FOLLOW_UP_OPENERS)
    asked = set(question.which.split())
    own = [t for t in question.terms if t.factor == 1.0 and t.token.folded not in asked]
    return bool(opener) or question.refers_back or len(own) <= 1


@dataclass(frozen=True)
class Focus:
    """What of the question a reply must hold: its own words (folded) and the slot it asks for (the name for
    "ai", the number for "bao nhiêu"). A reply too long to show is cut to the clauses holding most of it; a
    sentence holding none of it is not shown beside the answer."""
    question: Question

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(t.token.folded for t in self.question.terms)

    def weight(self, clause: str, normalizer: Normalizer) -> int:
        """How much a clause holds: each question word, and the slot filled (the clause read once)."""
        sentence = sentence_of(clause, normalizer)
        return len(self.words & sentence.folded) + fills_the_slot(self.question, sentence)


def reply_of(readings: list[Reading], focus: Focus) -> tuple[Reading, str]:
    """The reading that answers (readings ranked, most probable first) and the text shown."""
    best = _prefer_newer(readings)
    return best, _span(best, readings, focus)


def _prefer_newer(readings: list[Reading]) -> Reading:
    """Among near-equal answers saying the same thing, the newest source wins."""
    best = readings[0]
    chosen = best
    for r in readings[1:6]:
        if r.probability < best.probability - NEAR_TIE or r.article is best.article:
            continue
        if says_the_same(r, best) and \
                (r.article.published or "") > (chosen.article.published or ""):
            chosen = r
    return chosen


def _span(best: Reading, readings: list[Reading], focus: Focus) -> str:
    """The best sentence with the one after it, and the next best sentence of the same page when both fit in a
    reply and it holds something of the question (the best is often the sentence that names the event, the next
    the one that holds the figure; a byline or a stray list item holds nothing of it), in page order, without
    page noise (photo credits); cut to its clauses that hold the question when too long.
    A next best that ends in ";" (a sentence the splitter cut in its middle) comes with the piece after it
    when that fits too and the best does not already show it."""
    chosen = [(best, best.window)]
    for r in readings:
        if r.article is not best.article or r.sentence.text in best.window:
            continue
        if not focus.weight(r.sentence.text, best.article.normalizer):
            break  # it says nothing of the question: a byline ("VietnamPlus."), a stray fragment
        shown = r.sentence.text
        if (shown.endswith(";") and r.window.startswith(shown + " ") and best.sentence.text not in r.window
                and len(best.window) + len(r.window) < MAX_SPAN_CHARS):
            shown = r.window
        if len(best.window) + len(shown) < MAX_SPAN_CHARS:
            chosen.append((r, shown))
        break
    order = {pid: i for i, pid in enumerate(best.article.texts)}
    chosen.sort(key=lambda pair: (order.get(pair[0].passage_id, 0), pair[0].index))
    texts = [text for _, text in chosen]
    text = _NOISE_RE.sub("", " ".join(texts)).strip()
    return _focused(text, focus, best.article.normalizer) if len(text) > MAX_SPAN_CHARS else text


def _focused(text: str, focus: Focus, normalizer: Normalizer) -> str:
    """A reply too long to show, cut to the clause holding most of the question (``Focus.weight``) and the
    clauses around it that hold some of it, as many as fit (the one holding more first, the earlier on a tie):
    a long sentence that lists figures shows the figure asked for, not its first ones, and the name before
    "Phó Cục trưởng …" stays with it. Clauses are read by the normaliser that read the question ("HTX" holds
    "hợp tác xã")."""
    clauses = _CLAUSE_END_RE.split(text)
    held = [focus.weight(c, normalizer) for c in clauses]
    first = last = max(range(len(clauses)), key=lambda i: (held[i], -i))
    size = len(clauses[first])
    while True:
        sides = [i for i in (first - 1, last + 1)
                 if 0 <= i < len(clauses) and held[i] and size + len(clauses[i]) < MAX_SPAN_CHARS]
        if not sides:
            break
        side = max(sides, key=lambda i: (held[i], -i))
        size += len(clauses[side]) + 1
        first, last = min(first, side), max(last, side)
    shown = " ".join(clauses[first:last + 1])
    if size > MAX_SPAN_CHARS:  # one clause longer than a reply
        shown = shown[:MAX_SPAN_CHARS].rsplit(" ", 1)[0]
    return ("… " if first else "") + shown.rstrip(",;:") + (" …" if last < len(clauses) - 1 or size > MAX_SPAN_CHARS else "")
