"""Find what answers a question: a contact fact, an FAQ, an article passage, small talk, or nothing.

The decision is calibrated on *coverage*: how much of what the question asks about (its
content words, weighted by rarity, typed accents respected) a passage and its title hold,
plus how many of its two-syllable words appear intact, and whether the chosen sentence holds
the kind of thing asked for (a date for "khi nào", a number for "bao nhiêu", a person for
"ai", a place for "ở đâu"). A question whose rare words are missing from every passage is
not answered, however many common words it shares ("giá xăng hôm nay").
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from os.path import commonprefix

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from . import suggestions as suggest
from .answer.engine import Match
from .answer.question import (TYPE_CUE_INDEX, cleaned_question, find_cues, is_accented, is_stop,
                               join_split_abbreviations)
from .answer.reading import new_numbers
from .answer.smalltalk import smalltalk_intent, unanswered_intent
from .contacts import PHONE_RE, fields_to_show, is_department
from .lexicon import (CONTACT_TYPES, CONTACT_WORDS, LEXICON_WORDS, QUESTION_TYPES, QUESTION_WORDS,
                      STOP_EXACT, STOP_FOLDED)
from .fulltext import search_term
from .local_time import MONTH_NAMES
from .store import KnowledgeBase, Passage
from .text import Token, fold

ANSWER_THRESHOLD = 0.70
SUGGEST_THRESHOLD = 0.35
FAQ_THRESHOLD = 0.78
MAX_SPAN_CHARS = 450
CANDIDATES = 40
CLOSE_READS = 8  # candidates whose sentences are read for the answer
ENOUGH_CANDIDATES = 8  # stop broadening the search once this many passages are found
WORD_CACHE_SIZE = 50_000  # passages whose word sets are kept between questions

_DATE_RE = re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\b(ngày|tháng|năm)\s+\d{1,4}\b|\b(19|20)\d{2}\b|"
                      rf"\b\d{{1,2}}\s+({MONTH_NAMES})\b", re.I)
_TIME_RE = re.compile(r"\b\d{1,2}\s*(?:h|giờ|:)\s*\d{0,2}\b|\b(sáng|chiều|tối) thứ\b", re.I)
_SURNAMES = ("Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Trương|Đinh|Lâm|Mai|"
             "Tô|Châu|Lưu|Trịnh|Đoàn|Cao|Lương|Tạ|Thái|Kiều|Quách|Hà|La|Tăng|Từ|Vương|Triệu|Chu|Khương|Phùng|"
             "Đào|Thân|Tôn|Mạc|Diệp|Giang|Văn|Lại|Nghiêm|Kim")
# Someone named: an honorific before a capitalised name, or a surname followed by given names.
_WEEKDAY_RE = re.compile(r"\b(thứ\s+(hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ nhật|cuối tuần)\b", re.I)
_PERSON_RE = re.compile(r"\b(?:Ông|Bà|ông|bà|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|TS\.|ThS\.|PGS\.|GS\.)\s+[A-ZĐÀ-Ỹ]|"
                        r"\b(?:" + _SURNAMES + r")(?:\s+[A-ZĐÀ-Ỹ][a-zà-ỹđ]+){1,3}\b|"
                        r"\b(?:Nguyen|Tran|Le|Pham|Hoang|Huynh|Phan|Vu|Vo|Dang|Bui|Do|Ho|Ngo|Duong|Truong)"
                        r"(?:\s+[A-Z][a-z]+){1,3}\b")
_PLACE_RE = re.compile(r"\b(tại|ở|Hội trường|hội trường|phường|quận|huyện|đường|Công viên|trụ sở|xã|thị trấn)\b")
_COUNT_WORDS_RE = re.compile(r"\b(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|"
                             r"một nửa|phần trăm|đôi|vài|nhiều)\b", re.I)
# "hiện nay", "bây giờ": the question wants the newest fact, not a word to match.
_CURRENT_RE = re.compile(r"\b(hien nay|hien tai|bay gio|hien gio|moi nhat|gan day nhat)\b")
_DATE_MARKERS = {"nam", "ngay", "thang"}
_YES_NO_RE = re.compile(r"\bco (.+) (?:khong|chua)(?: (?:vay|a|nhi|nhe|ha|the))*$")
PREDICATE_MIN = 0.6  # share of a yes/no predicate a passage must hold
_ROLE_RE = re.compile(r"\b(giam doc|chu tich|cuc truong|truong ban|truong phong|hieu truong|bi thu|vien truong|"
                      r"chanh van phong|chi cuc truong|truong khoa|chu nhiem|khoi truong)\b")
UNFIT_PENALTY = 0.7
NEAR_TIE = 0.03  # scores this close say the same thing as well as each other
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?;…])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ0-9])")
_ABBREV_END_RE = re.compile(r"(?:\b(?:TP|Tp|ThS|TS|PGS|GS|Q|P|St|Mr|Mrs|Ms|Dr|No)|\b[A-ZĐ])\.$")


@dataclass
class _Query:
    typed: list[Token]  # as written, before typo correction
    tokens: list[Token]
    content: list[Token]
    types: set[str]
    folded: str
    numbers: set[str]
    current: bool = False
    role: str = ""  # a position asked about without "phó" (deputy): "giam doc"
    predicate: frozenset[int] = frozenset()  # ids of the content words X of "… có X không?"
    rarity: list[tuple[float, float]] = field(default_factory=list)  # each content word's ``_Index.idf``,
    # as typed and as an accent slip

    @cached_property
    def small_talk(self) -> str:
        """The small talk the message is when nothing answers it ("cảm ơn ad, bổ ích quá"), or ""."""
        return unanswered_intent(self.typed)


class _Index:
    """Per-version caches: document frequencies (read as the knowledge base keeps them: only the terms
    changed since the previous version), vocabulary (the previous one while no term came or went), FAQ
    phrasings, contact units."""

    def __init__(self, kb: KnowledgeBase, previous: "_Index | None" = None):
        self.version = kb.version()
        self.count, self.df_folded, self.df_exact = kb.term_counts()
        if previous is not None and previous.df_folded.keys() == self.df_folded.keys():
            self.vocabulary = previous.vocabulary
        else:
            self.vocabulary = sorted({t for t in self.df_folded if len(t) >= 2 and not t.isdigit()} | LEXICON_WORDS)
        normalizer = kb.normalizer()
        # a phrasing's words depend on the abbreviations alone: kept from the previous version while they are the same
        self._normalizer = normalizer
        self._phrasings: dict[str, str] = previous._phrasings if previous and previous._normalizer is normalizer else {}
        self.faqs = []
        for faq in kb.faqs():
            for phrasing in [faq.question, *faq.alternates]:
                words = self._phrasings.get(phrasing)
                if words is None:
                    tokens = content_words(normalizer.tokenize(phrasing), is_accented(phrasing))  # as questions are read
                    words = self._phrasings[phrasing] = " ".join(t.folded for t in tokens)
                self.faqs.append((faq, words))
        self.units = {key: name for key, name in kb.version_contact_units().items() if key != "department"}
        self._words: dict = {}  # passage id, or (article id, role) for titles → word sets
        self._sentences: dict[int, list[tuple[str, set, set]]] = {}  # passage id → its sentences' words

    def words(self, passage: Passage) -> tuple[set, set, set, set, set]:
        """A passage's word sets and two-word pairs (with its title's), kept between questions."""
        cached = self._words.get(passage.id)
        if cached is None:
            if len(self._words) >= WORD_CACHE_SIZE:
                self._words.clear()
            title_key = (passage.article_id, passage.role)
            title = self._words.get(title_key)
            if title is None:
                title = (set(passage.title_folded.split()), set(passage.title_exact.split()),
                         _doc_bigrams(passage.title_exact, passage.title_folded))
                self._words[title_key] = title
            cached = (set(passage.folded.split()), set(passage.exact.split()), title[0], title[1],
                      _doc_bigrams(passage.exact, passage.folded) | title[2])
            self._words[passage.id] = cached
        return cached

    def sentence_words(self, passage: Passage) -> list[tuple[str, set, set]]:
        """Each sentence of a passage with its folded and exact words, kept between questions."""
        cached = self._sentences.get(passage.id)
        if cached is None:
            if len(self._sentences) >= WORD_CACHE_SIZE:
                self._sentences.clear()
            cached = []
            for sentence in sentences(passage.text):
                tokens = self._normalizer.tokenize(sentence)
                cached.append((sentence, {t.folded for t in tokens}, {t.exact for t in tokens}))
            self._sentences[passage.id] = cached
        return cached

    def search_term(self, token: Token) -> tuple[str, int]:
        return search_term(token, self.df_exact, self.df_folded)

    def idf(self, token: Token, slip: bool = False) -> float:
        """Rarity of a question word. A marked word the knowledge base never writes that way counts
        as unknown (rarest), unless it is an accent slip inside a matching phrase ("kiêm tra
        xăng"): then its bare letters decide, so a slip does not outweigh the rest of the question."""
        df = self.df_exact.get(token.exact, 0) if token.marked else self.df_folded.get(token.folded, 0)
        if slip and not df:
            df = self.df_folded.get(token.folded, 0)
        return math.log((self.count - df + 0.5) / (df + 0.5) + 1.0)


def content_words(tokens: list[Token], accented: bool = False) -> list[Token]:
    """The words to look for: not stop words, not words that only say what kind of answer is
    wanted ("mấy", "khi nào", "hiện nay"), not courtesy ("cho mình hỏi", as the fitted engine reads it),
    not "năm"/"ngày" before a number."""
    folded = " ".join(t.folded for t in tokens)
    skip = {start + n for start, cue in find_cues(tokens, TYPE_CUE_INDEX, accented) if cue.kind == "polite"
            for n in range(len(cue.exact))}
    for cue in [*QUESTION_WORDS.finditer(folded), *_CURRENT_RE.finditer(folded)]:
        start = folded[:cue.start()].count(" ")
        skip.update(range(start, start + cue.group(0).strip().count(" ") + 1))
    content = []
    for i, token in enumerate(tokens):
        if i in skip or _is_stop(token, accented):
            continue
        neighbours = tokens[i + 1:i + 2] + tokens[max(i - 1, 0):i]
        if token.folded in _DATE_MARKERS and any(t.folded.isdigit() for t in neighbours):
            continue
        content.append(token)
    return content


def _is_stop(token: Token, accented: bool = False) -> bool:
    """A stop word as typed; among accented words, an unmarked word is read as written ("cho" is
    not "chợ" there), as the fitted engine reads it (``question.is_stop``)."""
    if token.marked or accented:
        return token.exact in STOP_EXACT or bool(is_stop(token, accented))
    return token.folded in STOP_FOLDED or bool(is_stop(token, accented))


def sentences(text: str) -> list[str]:
    parts = []
    for piece in _SENTENCE_SPLIT_RE.split(text):
        if parts and _ABBREV_END_RE.search(parts[-1]):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    return [p for p in parts if p.strip()]


def _fits(query: "_Query", text: str) -> bool:
    """Does this text hold the kind of thing the question asks for?"""
    types, numbers = query.types, query.numbers
    if "when" in types and not any(new_numbers(m.group(), numbers) for m in _DATE_RE.finditer(text)):
        return False  # a date the question already states ("năm 2022") is no answer to "khi nào"
    if "time" in types and not _TIME_RE.search(text):
        return False
    if "weekday" in types and not _WEEKDAY_RE.search(text):
        return False
    if "count" in types and not new_numbers(text, numbers) and not _COUNT_WORDS_RE.search(text):
        return False
    if "who" in types and not _PERSON_RE.search(text):
        return False
    # "Ai là giám đốc": a "Phó Giám đốc" is someone else.
    if query.role and not re.search(r"(?<!pho )\b" + query.role + r"\b", fold(text)):
        return False
    if "where" in types and not _PLACE_RE.search(text):
        return False
    if types & {"phone", "fax", "hotline"} and not PHONE_RE.search(text):
        return False
    if "email" in types and "@" not in text:
        return False
    return True


class Matcher:
    """Stateless over questions; caches per knowledge-base version, so edits apply at once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._index: _Index | None = None

    def index(self) -> _Index:
        if self._index is None or self._index.version != self.kb.version():
            self._index = _Index(self.kb, self._index)
        return self._index

    # ----- entry point ---------------------------------------------------------------
    def match(self, question: str, topic: object = None, articles: bool | Callable[[], bool] = True) -> Match:
        """The answer to one question (``topic``, a follow-up's context, is not used here); small talk
        among other words ("cảm ơn ad, bổ ích quá") when nothing else answers it.

        ``articles`` says whether to search the articles, the costly route: a function is asked (once) only
        when small talk, contacts and FAQs leave the reply to them. The articles are searched whatever it
        says when they could outweigh an answered FAQ or rule out small talk among other words; so a reply
        without them is the same reply, except where an article would have been the match (answered or
        not): there it is a refusal, whose score and suggestions are the FAQ's alone. The combined engine
        asks for them only when the fitted engine is not sure of an article answer of its own."""
        # read as the fitted engine reads it: pasted markup out, "KH CN" and "UB ND" joined
        question = join_split_abbreviations(cleaned_question(question), self.kb.normalizer().abbreviations)
        if not question:
            return Match("empty", False)
        index = self.index()
        query = self._parse(question, index)
        match = self._answer(query, index, articles)
        if match.kind == "fallback" and query.small_talk:
            return Match("smalltalk", True, 1.0, intent=query.small_talk, normalized=match.normalized)
        return match

    def _answer(self, query: _Query, index: _Index, articles: bool | Callable[[], bool] = True) -> Match:
        normalized = query.folded
        intent = smalltalk_intent(query.typed)
        if intent:
            return Match("smalltalk", True, 1.0, intent=intent, normalized=normalized)
        contact = self._contact(query, index)
        if contact:
            contact.normalized = normalized
            return contact
        if not query.content:
            return Match("fallback", False, intent="", normalized=normalized)
        faq = self._faq(query, index)
        article = self._article(query, index) if _reads_articles(query, faq, articles) else None
        best = max((m for m in (faq, article) if m), key=lambda m: m.score, default=None)
        if best and best.answered:
            best.normalized = normalized
            return best
        suggestions = best.suggestions if best else []
        return Match("fallback", False, best.score if best else 0.0, suggestions=suggestions,
                     intent=",".join(sorted(query.types)), normalized=normalized)

    # ----- parsing -------------------------------------------------------------------
    def _parse(self, question: str, index: _Index) -> _Query:
        typed = self.kb.normalizer().tokenize(question)
        accented = is_accented(question)
        tokens = [self._corrected(t, index, accented) for t in typed]
        folded = " ".join(t.folded for t in tokens)
        types = {name for name, pattern in QUESTION_TYPES.items() if pattern.search(folded)}
        current = _CURRENT_RE.search(folded)
        content = content_words(tokens, accented)
        numbers = {t.folded for t in tokens if t.folded.isdigit()}
        role = _ROLE_RE.search(folded) if "who" in types else None
        if role and folded[:role.start()].endswith("pho "):
            role = None  # "phó giám đốc": a deputy is asked for (but "thành phố" asks for none)
        # "Hội thảo có thu phí không?": a yes/no question is about its predicate ("thu phí").
        yes_no = _YES_NO_RE.search(folded)
        predicate = frozenset()
        if yes_no:
            first, last = folded[:yes_no.start(1)].count(" "), folded[:yes_no.end(1)].count(" ")
            inside = {id(t) for t in tokens[first:last + 1]}
            predicate = frozenset(id(t) for t in content if id(t) in inside)
        rarity = [(index.idf(t), index.idf(t, slip=True)) for t in content]
        return _Query(typed, tokens, content, types, folded, numbers, bool(current),
                      role.group(0) if role else "", predicate, rarity)

    @staticmethod
    def _corrected(token: Token, index: _Index, accented: bool) -> Token:
        """A word unknown to the knowledge base and to the question lexicon, replaced by the most
        common known word within one typo (two for long words): "thaoi" → "thoai", "ngi" → "nghi"."""
        word = token.folded
        if (word in index.df_folded or word in LEXICON_WORDS or len(word) < 3 or not word.isalpha()
                or _is_stop(token, accented)):
            return token
        limit = 1 if len(word) <= 6 else 2
        found = process.extract(word, index.vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return token
        nearest = min(distance for _, distance, _ in found)
        # Swapped letters first ("thaoi"), then the longest shared start ("ngi" → "nghi", not "noi").
        best = max((c for c, distance, _ in found if distance == nearest),
                   key=lambda c: (sorted(c) == sorted(word), len(commonprefix([c, word])), c in LEXICON_WORDS,
                                  index.df_folded.get(c, 0)))
        return Token(best, best + "~", False)

    # ----- contacts ------------------------------------------------------------------
    def _contact(self, query: _Query, index: _Index) -> Match | None:
        asked = [t for t in CONTACT_TYPES if t in query.types]
        if not asked:
            return None
        residual = [t for t in query.content if t.folded not in CONTACT_WORDS]
        key = "department"
        if residual:
            key = self._unit_for(residual, index)
            if key is None:
                return None
        resolved = self.kb.resolve_contacts(key)
        if not resolved:
            return None
        shown, source = fields_to_show(asked, resolved, self.kb)
        return Match("contact", True, 1.0, contacts=shown, source=source, intent=",".join(asked))

    @staticmethod
    def _unit_for(residual: list[Token], index: _Index) -> str | None:
        words = {t.folded for t in residual}
        if is_department(" ".join(t.folded for t in residual)):
            return "department"
        best_key, best_share = None, 0.0
        for key in index.units:
            unit_words = set(key.split()) - CONTACT_WORDS or set(key.split())  # "trung tam ung dung tien bo"
            share = len(words & unit_words) / len(words)
            if share > best_share and len(words & unit_words) / len(unit_words) >= 0.5:
                best_key, best_share = key, share
        return best_key if best_share >= 0.75 else None

    # ----- FAQs ----------------------------------------------------------------------
    def _faq(self, query: _Query, index: _Index) -> Match | None:
        if not index.faqs:
            return None
        text = " ".join(t.folded for t in query.content)
        found = process.extractOne(text, [p for _, p in index.faqs], scorer=fuzz.token_sort_ratio)
        if not found:
            return None
        faq, phrasing = index.faqs[found[2]]
        words, faq_words = set(text.split()), set(phrasing.split())
        overlap = min(len(words & faq_words) / max(len(words), 1), len(words & faq_words) / max(len(faq_words), 1))
        score = 0.5 * found[1] / 100 + 0.5 * overlap
        answered = score >= FAQ_THRESHOLD
        suggestions = [] if answered or score < SUGGEST_THRESHOLD else suggest.offer(
            [suggest.faq_candidate(faq, self.kb.normalizer())], self._key_words(query, index))
        return Match("faq", answered, score, text=faq.answer, faq_id=faq.id,
                     source={"title": suggest.FAQ_SOURCE, "date": faq.updated_at[:10], "path": None},
                     suggestions=suggestions)

    def _key_words(self, query: _Query, index: _Index) -> suggest.KeyWords:
        """What a suggestion must hold most of: the question's words."""
        content = {id(t) for t in query.content}
        return suggest.KeyWords([(i, t.folded) for i, t in enumerate(query.tokens) if id(t) in content],
                                index.count, index.df_folded, self.kb.phrase_count)

    # ----- articles ------------------------------------------------------------------
    def _article(self, query: _Query, index: _Index) -> Match | None:
        # Candidates come from the question's rarest known words (the ones that tell passages
        # apart, and whose postings are short); all its words are weighed in the re-ranking.
        known = sorted({term for term in map(index.search_term, query.content) if term[1]}, key=lambda term: (term[1], term[0]))
        if not known:
            return None
        passages = self.kb.passages(self.kb.search_cascade(known, CANDIDATES, ENOUGH_CANDIDATES))  # precise first
        if not passages:
            return None
        # Rank all candidates by their words, then read the best few closely (which sentence
        # answers, and whether it holds what was asked): that is the costly part.
        ranked = sorted(((self._coverage(query, p, index), p) for p in passages), key=lambda x: -x[0])
        scored = sorted((self._judge(query, p, index, s) for s, p in ranked[:CLOSE_READS]), key=lambda x: -x[0][0])
        scored += [((s * UNFIT_PENALTY, "", False), p) for s, p in ranked[CLOSE_READS:]]
        (score, span, fits), passage = self._prefer_newer(scored, query.current)
        answered = score >= ANSWER_THRESHOLD and fits
        suggestions = [] if answered else suggest.offer(
            (suggest.Candidate(suggest.title_suggestion(p.title), *_held(p, index)) for (other, _, _), p in scored
             if other >= SUGGEST_THRESHOLD and p.role == "body"), self._key_words(query, index))
        source = {"title": passage.title, "date": passage.published, "path": passage.url or passage.source}
        return Match("article", answered, score, text=span, source=source, suggestions=suggestions,
                     intent=",".join(sorted(query.types)), passage_id=passage.id)

    @staticmethod
    def _prefer_newer(scored, current: bool):
        """Among near-ties, the newest source wins: the newer page for near-duplicate passages,
        and, when the question asks what holds now, the passage about the latest year."""
        (best, _, _), top = scored[0]
        chosen = scored[0]
        for item in scored[1:6]:
            (score, _, fits), passage = item
            if score < best - NEAR_TIE or not fits:
                continue
            if current and _latest_year(passage) > _latest_year(chosen[1]):
                chosen = item
            elif (fuzz.token_set_ratio(passage.folded, top.folded) >= 75
                    and (passage.published or "") > (chosen[1].published or "")):
                chosen = item
        return chosen

    def _coverage(self, query: _Query, passage: Passage, index: _Index) -> float:
        """How much of the question the passage and its title hold (0–1)."""
        body_f, body_e, title_f, title_e, doc_pairs = index.words(passage)
        # A footer line is about the website, not about the article's year.
        year = (passage.published or "")[:4] if passage.role == "body" else ""
        pairs = list(zip(query.content, query.content[1:]))
        # A word counts as inside a matching phrase with the word after it (the last word: before it).
        in_phrase = {id(a) for a, b in pairs if (a.folded, b.folded) in doc_pairs}
        if pairs and (pairs[-1][0].folded, pairs[-1][1].folded) in doc_pairs:
            in_phrase.add(id(pairs[-1][1]))
        total = got = predicate_total = predicate_got = 0.0
        for token, (typed, slip) in zip(query.content, query.rarity):
            weight = slip if id(token) in in_phrase and (token.folded in body_f or token.folded in title_f) else typed
            credit = _credit(token, body_f, body_e, title_f, title_e, year, id(token) in in_phrase)
            total += weight
            got += weight * credit
            if id(token) in query.predicate:
                predicate_total += weight
                predicate_got += weight * credit
        coverage = got / total if total else 0.0
        if pairs:
            bigram = sum(1 for a, b in pairs if (a.folded, b.folded) in doc_pairs) / len(pairs)
        else:
            bigram = coverage
        score = 0.7 * coverage + 0.3 * bigram
        if predicate_total and predicate_got / predicate_total < PREDICATE_MIN:
            score *= UNFIT_PENALTY  # it speaks of the subject, not of what is asked about it
        return score

    def _judge(self, query: _Query, passage: Passage, index: _Index,
               score: float) -> tuple[tuple[float, str, bool], Passage]:
        span, fits = self._span(query, passage, index)
        return (score if fits else score * UNFIT_PENALTY, span, fits), passage

    @staticmethod
    def _span(query: _Query, passage: Passage, index: _Index) -> tuple[str, bool]:
        """The sentences of the passage that answer, at most MAX_SPAN_CHARS."""
        text = passage.text
        read = index.sentence_words(passage) if len(text) > 350 else []
        parts = [sentence for sentence, _, _ in read]
        if len(parts) <= 1:
            return _trim(text), _fits(query, text)
        best_i, best_value = 0, -1.0
        for i, (sentence, folded, exact) in enumerate(read):
            value = sum(typed * _credit(t, folded, exact, set(), set(), "")
                        for t, (typed, _) in zip(query.content, query.rarity))
            if _fits(query, sentence):
                value *= 1.5
            if value > best_value:
                best_i, best_value = i, value
        start = end = best_i
        while True:
            grown = False
            for j in (end + 1, start - 1):
                if 0 <= j < len(parts) and len(" ".join(parts[min(start, j):max(end, j) + 1])) <= MAX_SPAN_CHARS:
                    start, end = min(start, j), max(end, j)
                    grown = True
                    break
            if not grown:
                break
        span = " ".join(parts[start:end + 1])
        return _trim(span), _fits(query, span)


def _reads_articles(query: _Query, faq: Match | None, articles: bool | Callable[[], bool]) -> bool:
    """Whether ``Matcher._answer`` searches the articles: always when the best article could outscore an
    answered FAQ or answer a message ``Matcher.match`` would otherwise read as small talk among other words;
    else as ``articles`` says (asked only then, when it is a function)."""
    if articles is True or (faq is not None and faq.answered) or query.small_talk:
        return True
    return articles() if callable(articles) else articles


def _held(passage: Passage, index: _Index) -> tuple[set, set]:
    """The words a passage and its title hold, and its pairs of neighbouring words."""
    body, _, title, _, pairs = index.words(passage)
    return body | title, pairs


def _latest_year(passage: Passage) -> int:
    """The latest year a passage speaks of; failing that, its article's title or date."""
    for text in (passage.text, f"{passage.title} {passage.published or ''}"):
        years = re.findall(r"\b(?:19|20)\d{2}\b", text)
        if years:
            return max(map(int, years))
    return 0


def _credit(token: Token, body_f: set, body_e: set, title_f: set, title_e: set, year: str,
            in_phrase: bool = True) -> float:
    """How well a passage holds one question word: 1 for the word itself, less from the title,
    from a corrected typo, or from the same letters under other accents."""
    corrected = token.exact.endswith("~")
    if token.marked:
        if token.exact in body_e:
            return 1.0
        if token.exact in title_e:
            return 0.85
        # The same letters under other accents are another word (tuyển dụng ≠ tuyên truyền),
        # unless the words around it match too (a slip of the accent: "kiêm tra xăng").
        folded_only = 0.45 if in_phrase else 0.15
        credit = folded_only if token.folded in body_f else folded_only * 0.9 if token.folded in title_f else 0.0
    else:
        credit = 1.0 if token.folded in body_f else 0.85 if token.folded in title_f else 0.0
    if not credit and year and token.folded == year:
        credit = 0.85
    return credit * (0.75 if corrected else 1.0)


def _doc_bigrams(exact: str, folded: str) -> set[tuple[str, str]]:
    words = [f for e, f in zip(exact.split(), folded.split()) if e not in STOP_EXACT]
    return set(zip(words, words[1:]))


def _trim(text: str) -> str:
    if len(text) <= MAX_SPAN_CHARS + 150:
        return text
    cut = text[:MAX_SPAN_CHARS + 100].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"
