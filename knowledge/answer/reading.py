"""Stage 3, reading a candidate: which sentence holds what was asked, and how well.

Each sentence of a candidate passage is described by features the decision model weighs
(``FEATURES``): how much of the question (by rarity) the sentence, its passage, its article's title
and the whole article hold; what is found nowhere; whether the question's slot is filled (a date
for "khi nào", a number beside the counted noun for "bao nhiêu X", a person or an organisation for
"ai", a place or a labelled line for "ở đâu", an enumeration for "gồm những gì"); and whether the
question's qualifiers agree (its numbers, years and editions, its province, "phó" or not).
Nothing here decides: it measures.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TypeVar

from ..contacts import EMAIL_RE
from ..local_time import MONTH_NAMES
from ..text import ORDINAL_MARKERS, Normalizer, fold
from .lexicon import (ADDRESS_UNITS, CALENDAR_WORDS, DEPUTY_WORDS, DOCUMENT_NOUNS, HOME_PROVINCE, PERCENT,
                      PROVINCES, ROLE_WORDS, WEBSITE_NOUNS)
from .question import CONTRAST_RES, Probe, Question, Term

K = TypeVar("K")
V = TypeVar("V")

# Qualifiers that must agree (``agrees``): a reading that fails one is never the answer.
CONDITIONS = ("edition_missing", "qualifier_conflict", "role_conflict", "place_missing")
FEATURES = ("sent", "title", "near", "missing", "missing_rare", "unknown", "bigram", "slot", "slot_weak", "typed",
            "head", "num_missing", "num_sent", "place_conflict", "terms", "short", "echo", "sent_gap", "near_gap", "local",
            "predicate", "current_newest", "sent_rare_missing", "context", "bare", "role_filled") + CONDITIONS
# The direction each feature can only push the ranker: evidence never counts against a sentence, a
# conflict never for it. The others (the question's length, whether it was typed without accents …)
# are free.
FEATURE_SIGNS = {**{f: 1 for f in ("sent", "title", "near", "context", "local", "bigram", "slot", "slot_weak",
                                   "head", "num_sent", "predicate", "current_newest", "role_filled")},
                 **{f: -1 for f in ("missing", "missing_rare", "unknown", "num_missing", "place_conflict",
                                    "sent_gap", "near_gap", "sent_rare_missing") + CONDITIONS}}

_SPLIT_AFTER = r"\s+(?=[\"“(\-–•]?\s?[A-ZĐÀ-Ỹ0-9])"
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?;…])" + _SPLIT_AFTER)  # a clause after ";" is read alone
_FULL_STOP_SPLIT_RE = re.compile(r"(?<=[.!?…])" + _SPLIT_AFTER)
_ABBREV_END_RE = re.compile(r"(?:\b(?:TP|Tp|ThS|TS|PGS|GS|Q|P|St|Mr|Mrs|Ms|Dr|Prof|Assoc|Asst|Sr|Jr|No|Nos|Art|Fig|Vol|KS|BS|CN)|"
                            r"\b[A-ZĐ])\.$")
_DAY_MONTH = r"\b\d{1,2}[/\-.]\d{1,2}(?:[/\-.]\d{2,4})?\b"  # "5/3", "05-3-2025"
_DAY_MONTH_RE = re.compile(_DAY_MONTH)
_DATE_RE = re.compile(_DAY_MONTH + r"|\b(?:ngày|tháng|năm)\s+\d{1,4}\b|"
                      r"\b(?:thập niên|thập kỷ|thế kỷ)\s+(?:\d{1,4}|[IVX]+)\b|\bquý\s+(?:[1-4]|I{1,3}|IV)\b|"
                      rf"\b(?:19|20)\d{{2}}\b|\b\d{{1,2}}\s+(?:{MONTH_NAMES})\b|"
                      rf"\b(?:{MONTH_NAMES})\s+\d{{1,2}}\b", re.I)
_YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")
# What answers "năm nào", "what year": a year, or a decade where the page knows no closer ("thập niên 80")
_YEAR_OR_DECADE_RE = re.compile(_YEAR_RE.pattern + r"|\b(?:thập niên|thập kỷ|những năm)\s+(?:19)?[1-9]0\b", re.I)
_MONTHS = MONTH_NAMES + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
# What answers "ngày nào", "what date": a day and its month
_DAY_RE = re.compile(_DAY_MONTH + r"|\bngày\s+\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:" + _MONTHS + r")\b|"
                     r"\b(?:" + _MONTHS + r")\.?\s+\d{1,2}\b", re.I)
# What answers "tháng nào": a month, with its day or its year or alone (an English month by its capitalised full
# name: "may" is no month)
_MONTH_RE = re.compile(_DAY_RE.pattern + r"|\btháng\s+(?:\d{1,2}|[IVX]+)\b|\b\d{1,2}[/\-.](?:19|20)\d{2}\b|"
                       rf"(?-i:\b(?:{MONTH_NAMES})\b)", re.I)
_WHEN_RES = {"year": _YEAR_OR_DECADE_RE, "month": _MONTH_RE, "day": _DAY_RE}
_TIME_RE = re.compile(r"\b\d{1,2}\s*(?:h|giờ|:)\s*\d{0,2}\b|\b(?:sáng|chiều|tối)\b", re.I)
_WEEKDAY_RE = re.compile(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ nhật)\b", re.I)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_SPAN_RE = re.compile(r"\b\d+\s+(?:năm|tháng|ngày|giờ|tuần|quý)\b", re.I)  # a span of time: "07 tháng"
# A document's number with its code ("02-NQ/TU", "2792/QĐ-UBND", "06/2019/QĐ-UBND"): it counts nothing, unless the
# question asks a number as an identifier ("quyết định số mấy").
_DOCUMENT_NUMBER_RE = re.compile(r"\b\d+(?:/\d+)*[/-](?=[^\W\d_]{2,})[\w&.\-/]*")
_NUMBER_ASKED_RE = re.compile(r"\bso (?:may|bao nhieu)\b|\bnumber\b")
_CLAUSE_RE = re.compile(r"[,;:]\s|\n")  # what a comma, a semicolon or a colon separates (not "1,5" nor "8:00")
_DIGIT_RE = re.compile(r"\d")
# A sentence opening on an earlier time than its page's ("Hai năm trước, …", "Năm ngoái, …", "Lần trước …"; folded).
_EARLIER_RE = re.compile(r"(?:(?:hai|ba|bon|vai|may|\d+) nam truoc|nam (?:truoc|ngoai)|lan truoc|ky truoc|truoc do)\b")
# Numbers in words; not "năm", which is far more often "year" ("đầu năm") than five.
_COUNT_WORDS_RE = re.compile(r"\b(?:một|hai|ba|bốn|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|triệu|tỷ|tỉ)\b", re.I)
_UPPER = "A-ZĐÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ"
_PERSON_RE = re.compile(r"\b(?:[Ôô]ng|[Bb]à|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|TS\.?|ThS\.?|PGS\.?|GS\.?|KS\.?)\s+[" + _UPPER + r"]|"
                        r"\b[" + _UPPER + r"][a-zà-ỹđ]+(?:\s+[" + _UPPER + r"][a-zà-ỹđ]+){2,3}\b")
_ORG_RE = re.compile(r"\b(?:Trung tâm|Sở|Ban|Phòng|Viện|Trường|Công ty|Ủy ban|Uỷ ban|UBND|Hội|Bộ|Cục|Chi cục|"
                     r"Liên hiệp|Quỹ|Đại học|Thanh tra|Hợp tác xã|Department|Centre|Center|University|Council)\b")
_PLACE_RE = re.compile(r"\b(?:(?:[Tt]ại|[Ởở]) thủ đô|[Tt]ại|[Ởở]|[Đđ]ịa điểm:?|[Hh]ội trường|[Pp]hường|[Qq]uận|"
                       r"[Hh]uyện|[Xx]ã|[Đđ]ường|[Kk]hách sạn|[Tt]rụ sở|[Aa]t|[Ii]n)\s+(?P<filler>[" + _UPPER + r"0-9][^\s,.;:()]*"
                       r"(?:\s+[^\s,.;:()]+){0,4})")
_WEB_ADDRESS_RE = re.compile(r"\b(?:https?://)?(?:[\w-]+\.)+(?:vn|com|org|net|edu|gov|info)\b(?:/\S*)?", re.I)
_PHONE_FORM_RE = re.compile(r"(?:\+|\()?\d[\d ().\-]{6,}\d")  # "0292.3820674", "(84-292) 3730 448"
_ADDRESS_LABEL_RE = re.compile(r"\b(?:[Đđ]ịa chỉ|[Tt]rụ sở|[Aa]ddress)\b")
PROVINCE_NOUNS = frozenset({"tinh", "tinh thanh", "province"})  # "tỉnh nào": a province's name answers
_NOT_DEPUTY = "".join(f"(?<!{word} )" for word in DEPUTY_WORDS)
_WIDER_SCOPE_RE = re.compile(r"\b(?:cả|toàn) (?:nước|quốc|vùng|khu vực)\b|\bcác tỉnh\b|\bnationwide\b", re.I)
_PERCENT_RE = re.compile(r"\d\s*(?:%|phần trăm|percent)", re.I)
_MONEY_RE = re.compile(r"\d[\d.,]*\s*(?:triệu|tỷ|tỉ|nghìn|ngàn|đồng|USD|VND|VNĐ)", re.I)
_LIST_RE = re.compile(r":\s*[^:]{3,}[,;][^,;]{2,}[,;]|(?:[,;][^,;]{2,60}){3,}|(?:[,;][^,;]{2,60})+\s(?:và|and|hoặc|or)\s")
# Openers of a sentence that goes on about the one before it ("Trong đó, 1.550 giải pháp đạt giải").
_CONTINUES_RE = re.compile(r"(?:trong đó|trong số đó|trong số này|cụ thể|bao gồm)\b", re.I)
# A role a person holds ("Phó Chủ tịch", "Giám đốc Sở", "Deputy Director"), read on folded text
_ROLE_RE = re.compile(r"\b(?:" + "|".join(sorted(ROLE_WORDS, key=len, reverse=True)) + r")\b")
_LABEL_LINE_RE = re.compile(r"^[^\W\d_][^:.!?;\n]{1,40}:\s+\S")  # "Địa điểm: khách sạn …"
# A section's number ("2.", "II.", "b)") before a heading's words
_ITEM_NUMBER = r"(?:\d{1,2}|[a-zđ])[.)]"  # "2.", "b)": an item's or a section's number
_SECTION_NUMBER_RE = re.compile(r"^(?:" + _ITEM_NUMBER + r"|[IVXivx]{1,4}[.)])\s+")
_SENTENCE_MARK_RE = re.compile(r"[.!?:;…]")  # what a sentence or a labelled line holds and a heading does not
_BULLET_RE = re.compile(r"^(?:[-–•+*]|" + _ITEM_NUMBER + r")\s")
_WORD_RE = re.compile(r"\w+")
_SLOT_TESTS = {
    "list": lambda s: bool(_LIST_RE.search(s)),
    "role": lambda s: bool(_ROLE_RE.search(fold(s))),
}
# A contact detail asked of a page ("địa chỉ trung tâm …", "sđt ban tổ chức"): the form a reply gives it in
_CONTACT_FORMS: dict[str, tuple[re.Pattern, ...]] = {
    "phone": (_PHONE_FORM_RE,), "hotline": (_PHONE_FORM_RE,), "fax": (_PHONE_FORM_RE,), "email": (EMAIL_RE,),
    "address": (_ADDRESS_LABEL_RE, _PLACE_RE), "contact": (_PHONE_FORM_RE, EMAIL_RE, _ADDRESS_LABEL_RE),
}
# The slots whose filler must be new to the question: their test finds it
_FILLERS = {"when": _DATE_RE, "time": _TIME_RE, "weekday": _WEEKDAY_RE, "where": _PLACE_RE}
# Every question type with a slot (``_slot``): "who" and "count" are read by rules of their own
_SLOT_KINDS = frozenset(_SLOT_TESTS) | frozenset(_FILLERS) | {"who", "count"}
# The slots a reply shows it fills by what it says: a date, a time, a day, a place, a person, a number
_FILLED_KINDS = frozenset(_FILLERS) | {"who", "count"}
MAX_TERMS = 8  # the "terms" feature saturates at this many content words
CORRECTED_WEIGHT = 0.75  # a typo-corrected word weighs less: the correction may be wrong
MAX_WINDOW_CHARS = 400  # a sentence is shown with the next one while both fit in this
MAX_HEADING_WORDS = 15  # a line of more words is no section heading, whatever its punctuation
ROLE_REACH = 60  # characters either side of a role within which a person's name is taken as holding it


def split_sentences(text: str, clauses: bool = True) -> list[str]:
    """The sentences of a text; with ``clauses``, each clause after a ";" on its own (a list's items)."""
    parts: list[str] = []
    for piece in (_SENTENCE_SPLIT_RE if clauses else _FULL_STOP_SPLIT_RE).split(text):
        if piece is None or not piece.strip():
            continue
        if parts and _ABBREV_END_RE.search(parts[-1]):
            parts[-1] += " " + piece
        else:
            parts.append(piece.strip())
    return parts


@dataclass
class Sentence:
    """One sentence and its words; what it says whatever the question is read once, when first needed."""
    text: str
    plain: str  # the text folded (same length: positions agree)
    folded: frozenset[str]
    exact: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    borrowed: str = ""  # the text of what it goes on from, whose words it is read with (``_with_words``)
    _fillers: dict[re.Pattern, list[frozenset[str]]] = field(default_factory=dict, init=False, repr=False,
                                                             compare=False)
    _echo: float | None = field(default=None, init=False, repr=False, compare=False)

    def echo(self, title: frozenset[str]) -> float:
        """The share of the sentence's words (of two letters or more) that its page's title holds; kept, as a
        sentence is read under one title."""
        if self._echo is None:
            own = [w for w in self.folded if len(w) > 1]
            self._echo = sum(1 for w in own if w in title) / len(own) if own else 1.0
        return self._echo

    def fillers(self, pattern: re.Pattern) -> list[frozenset[str]]:
        """The folded words of each match of a slot pattern (its group "filler", or the whole match)."""
        return _kept(self._fillers, pattern, lambda: [_filler_words(m) for m in pattern.finditer(self.text)])


def _kept(cache: dict[K, V], key: K, make: Callable[[], V]) -> V:
    """The value kept under ``key``, made on first use (what is read once of a sentence or an article)."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = make()
    return found


class Words:
    """The words of one passage or more, from their folded and exact words as stored: folded, exact, and
    the folded ones side by side (read when first asked for: only a two-syllable word of the question
    is looked for side by side)."""

    def __init__(self, stored: tuple[tuple[str, str], ...]):
        self.stored = stored
        self.folded = frozenset().union(*(folded.split() for folded, _ in stored))
        self.exact = frozenset().union(*(exact.split() for _, exact in stored))

    @cached_property
    def pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset().union(*(zip(words, words[1:]) for words in (folded.split() for folded, _ in self.stored)))


@dataclass
class ArticleView:
    """One article as the reader sees it: title, date, its words, and the words and sentences of the
    passages read so far (split and tokenized only when a passage is a candidate: most passages of a
    page never are, and what is kept of them costs the garbage collector's full passes)."""
    article_id: int
    title: str
    published: str | None
    source: str
    url: str | None
    title_folded: frozenset[str]
    title_exact: frozenset[str]
    title_pairs: frozenset[tuple[str, str]]
    texts: dict[int, str]  # passage id → its text, in page order
    stored: dict[int, tuple[str, str]]  # passage id → its folded and exact words, as stored at import
    folded: frozenset[str]  # every word of the article, title and date included
    exact: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    provinces: frozenset[str]  # provinces the title names
    passage_df: dict[str, int]  # folded word → how many of the article's passages hold it
    normalizer: Normalizer
    leads: dict[int, int] = field(default_factory=dict)  # list item's passage id → the passage leading into it
    sections: dict[int, int] = field(default_factory=dict)  # passage id → the heading of its section
    topics: dict[int, int] = field(default_factory=dict)  # fact sheet line's passage id → the passage before it
    _sentences: dict[int, list[Sentence]] = field(default_factory=dict)
    _windows: dict[tuple[int, int], str] = field(default_factory=dict)
    _near: dict[int, Words] = field(default_factory=dict)
    _context: dict[int, Words] = field(default_factory=dict)

    def near(self, passage_id: int) -> Words:
        """A passage's words, and those of the line leading into it when it is a list item, or of the passage
        a fact sheet's line is about."""
        return _kept(self._near, passage_id, lambda: Words(self._stored_near(passage_id)))

    def _stored_near(self, passage_id: int) -> tuple[tuple[str, str], ...]:
        return tuple(self.stored[near] for near in self._near_ids(passage_id))

    def _near_ids(self, passage_id: int) -> tuple[int, ...]:
        """A passage, the line leading into it or the passage a fact sheet's line is about, and its heading."""
        lead = self.leads.get(passage_id, self.topics.get(passage_id))
        heading = self.sections.get(passage_id)
        return (passage_id,) + tuple(other for other in (lead, heading) if other is not None)

    def sheet_lines(self, passage_id: int) -> list[int]:
        """The lines of the fact sheet a passage says what is about (``sheet_topics``)."""
        return [line for line, topic in self.topics.items() if topic == passage_id]

    def context(self, passage_id: int) -> Words:
        """The words ``near`` a passage and the passages before and after it, but not a next section's heading."""
        def around() -> Words:
            order = list(self.texts)
            i = order.index(passage_id)
            after = order[i + 1:i + 2]
            if after and self.sections.get(after[0]) is None and self.sections.get(passage_id) is not None:
                after = []  # the passage after heads a section of its own
            return Words(tuple(stored for o in order[max(i - 1, 0):i + 1] + after for stored in self._stored_near(o)))
        return _kept(self._context, passage_id, around)

    def window(self, passage_id: int, index: int) -> str:
        """What the reply shows of a sentence (``_window``), read once."""
        return _kept(self._windows, (passage_id, index), lambda: _window(self, passage_id, index))

    def sentences(self, passage_id: int) -> list[Sentence]:
        return _kept(self._sentences, passage_id, lambda: self._read_sentences(passage_id))

    def _read_sentences(self, passage_id: int) -> list[Sentence]:
        found = [sentence_of(s, self.normalizer) for s in split_sentences(self.texts.get(passage_id, ""))]
        lead = self.leads.get(passage_id)
        if found and lead is not None:  # the item says what it says under its lead-in line
            words = self.near(lead)
            found[0] = _with_words(found[0], words.folded, words.exact, words.pairs,
                                   " ".join(self.texts[near] for near in self._near_ids(lead)))
        for i in range(1, len(found)):
            if _continues(found[i].text):  # "Trong đó 1.550 giải pháp …" is about the sentence before
                before = found[i - 1]
                found[i] = _with_words(found[i], before.folded, before.exact, before.pairs,
                                       f"{before.text} {before.borrowed}")
        return found


def _continues(text: str) -> bool:
    """Does the sentence go on about the one before it ("Trong đó …", "Trong số đó …")?"""
    return bool(_CONTINUES_RE.match(text))


def _with_words(sentence: Sentence, folded: frozenset[str], exact: frozenset[str],
                pairs: frozenset[tuple[str, str]], text: str) -> Sentence:
    """The sentence read with the words of what it goes on from (its lead-in line, the sentence before: ``text``)."""
    return replace(sentence, folded=sentence.folded | folded, exact=sentence.exact | exact,
                   pairs=sentence.pairs | pairs, borrowed=text)


def sentence_of(text: str, normalizer: Normalizer) -> Sentence:
    tokens = normalizer.tokenize(text)
    folded = [t.folded for t in tokens]
    return Sentence(text, fold(text), frozenset(folded), frozenset(t.exact for t in tokens),
                    frozenset(zip(folded, folded[1:])))


def build_article(article_id: int, title: str, published: str | None, source: str, url: str | None,
                  passages: list[tuple[int, str, str, str]], normalizer: Normalizer) -> ArticleView:
    """The view of an article from its passages (id, text, and the folded and exact words stored at import).
    A list item is read with the line that leads into it ("Chia theo địa phương:" / "- Đồng Tháp: 182
    đơn"), and a passage with the heading of its section ("2. Hậu Giang"): their words count as the passage's
    own."""
    title_tokens = normalizer.tokenize(title)
    title_words = [t.folded for t in title_tokens]
    texts = [(pid, text) for pid, text, _, _ in passages]
    leads, topics = list_leads(texts), sheet_topics(texts)
    folded, exact = set(title_words), {t.exact for t in title_tokens}
    pairs: set[tuple[str, str]] = set(zip(title_words, title_words[1:]))
    passage_df: dict[str, int] = {}
    for _, _, passage_folded, passage_exact in passages:
        words = passage_folded.split()
        pairs.update(zip(words, words[1:]))
        own = set(words)
        folded |= own
        exact.update(passage_exact.split())
        for w in own:
            passage_df[w] = passage_df.get(w, 0) + 1
    if published:
        folded.add(str(int(published[:4])))
    title_text = " " + " ".join(title_words) + " "
    return ArticleView(article_id, title, published, source, url, frozenset(title_words),
                       frozenset(t.exact for t in title_tokens), frozenset(zip(title_words, title_words[1:])),
                       {pid: text for pid, text, _, _ in passages}, {pid: (f, e) for pid, _, f, e in passages},
                       frozenset(folded), frozenset(exact), frozenset(pairs),
                       frozenset(p for p in PROVINCES if f" {p} " in title_text), passage_df, normalizer, leads,
                       section_headings(texts), topics)


def list_leads(passages: list[tuple[int, str]]) -> dict[int, int]:
    """Which passage leads into each list item: the passage right after one ending with ":" is an
    item of it, and so is each following passage that starts with a bullet or follows an item ending
    with ";"."""
    leads: dict[int, int] = {}
    lead = None
    previous = ""
    for pid, text in passages:
        text = text.strip()
        if lead is not None and (previous.endswith(":") or _BULLET_RE.match(text) or previous.endswith(";")):
            leads[pid] = lead
        else:
            lead = None
        if text.endswith(":"):
            lead = pid
        previous = text
    return leads


def section_headings(passages: list[tuple[int, str]]) -> dict[int, int]:
    """The heading of each passage's section: a short line without a sentence's punctuation ("2. Hậu Giang",
    "Kết quả đạt được"), followed by a longer passage, heads the passages after it up to the next heading. Short
    numbered lines one after another are a list ("3. Quảng Ninh" / "4. Huế"), not headings."""
    def short_numbered(text: str) -> bool:
        return bool(_SECTION_NUMBER_RE.match(text)) and len(text.split()) <= MAX_HEADING_WORDS

    sections: dict[int, int] = {}
    heading = None
    texts = [text.strip() for _, text in passages] + [""]
    for i, (pid, _) in enumerate(passages):
        text, before, after = texts[i], texts[i - 1] if i else "", texts[i + 1]
        words = _SECTION_NUMBER_RE.sub("", text)
        if (words and len(words.split()) <= MAX_HEADING_WORDS and not _SENTENCE_MARK_RE.search(words)
                and len(after) > len(text) and not (short_numbered(text) and (short_numbered(before)
                                                                                or short_numbered(after)))):
            heading = pid
        elif heading is not None:
            sections[pid] = heading
    return sections


def sheet_topics(passages: list[tuple[int, str]]) -> dict[int, int]:
    """Which passage says what each line of a fact sheet is about: two or more labelled lines in a row
    ("Thời gian: …", "Địa điểm: …") are about the passage before them, not about their own few words."""
    topics: dict[int, int] = {}
    run: list[int] = []
    before = None
    for pid, text in passages + [(-1, "")]:
        if _LABEL_LINE_RE.match(text.strip()):
            run.append(pid)
            continue
        if len(run) > 1 and before is not None:
            topics.update((line, before) for line in run)
        run = []
        before = pid
    return topics


def held(probes: Sequence[Probe], folded: frozenset[str], exact: frozenset[str],
         pairs: frozenset[tuple[str, str]] | None = None) -> list[float]:
    """For each question word (its ``Term.probe``, in ``Question.probes``), 1 when a word set holds it as typed,
    or a synonym phrase of it, or the same letters under other accents when the typed accents make no real
    syllable (a slip); else 0. A syllable of a two-syllable word counts only where ``pairs`` (the words side by
    side) hold the word."""
    found = []
    for synonyms, phrases, word, accented, bare, bare_holds in probes:
        if (synonyms and not synonyms.isdisjoint(folded)) or (
                phrases and any(all(w in folded for w in phrase) for phrase in phrases)):
            found.append(1.0)
        elif word and pairs is not None and word not in pairs:
            found.append(0.0)
        elif accented is not None and accented in exact:
            found.append(1.0)
        else:
            found.append(1.0 if bare_holds and bare in folded else 0.0)
    return found


@dataclass
class Reading:
    """One candidate sentence with its features."""
    article: ArticleView
    passage_id: int
    index: int  # position of the sentence in its passage
    sentence: Sentence
    features: dict[str, float]
    window: str = ""  # the sentence and, when short enough, the one after it: what the reply shows
    probability: float = 0.0


def unknown_weight(question: Question, weights: list[float], df_folded: dict[str, int]) -> float:
    """The weight of the question's words that the pages never write, not even as one of their synonyms ("founded":
    "set up"): read once per question, whatever passage is read."""
    return sum(w for w, t in zip(weights, question.terms) if not _known(t, df_folded))


def _known(term: Term, df_folded: dict[str, int]) -> bool:
    return bool(df_folded.get(term.token.folded)) or any(
        all(df_folded.get(word) for word in phrase) for phrase in term.alternates)


def weights_of(question: Question, idf) -> list[float]:
    return [idf(t.token) * t.factor * (CORRECTED_WEIGHT if t.corrected else 1.0) for t in question.terms]


@dataclass
class ArticleFit:
    """What one question finds in one article as a whole (computed once per question and article)."""
    in_title: list[float]
    in_article: list[float]
    lacking: list[tuple[str, str]]  # the question's qualifiers the page holds nowhere (``_lacking``)
    lacks_a_place: bool


def fit_article(question: Question, article: ArticleView) -> ArticleFit:
    return ArticleFit(held(question.probes, article.title_folded, article.title_exact, article.title_pairs),
                      held(question.probes, article.folded, article.exact, article.pairs),
                      _lacking(question, article), _lacks_a_place(question, article))


def read(question: Question, article: ArticleView, passage_id: int, weights: list[float], idf_max: float,
         unknown: float, fit: ArticleFit | None = None) -> list[Reading]:
    """Features of every sentence of one candidate passage (``unknown``: ``unknown_weight`` of the question)."""
    total = sum(weights) or 1.0
    sentences = article.sentences(passage_id)
    if not sentences:
        return []
    terms = question.terms
    fit = fit or fit_article(question, article)
    in_title, in_article = fit.in_title, fit.in_article
    pairs_asked = any(t.word for t in terms)  # only a two-syllable word is looked for side by side
    near, context = article.near(passage_id), article.context(passage_id)
    probes = question.probes
    in_near = held(probes, near.folded, near.exact, near.pairs if pairs_asked else None)
    in_context = held(probes, context.folded, context.exact, context.pairs if pairs_asked else None)
    missing = [w for w, a, n, ti in zip(weights, in_article, in_near, in_title) if max(a, n, ti) == 0]
    content = [t.token.folded for t in terms]
    pairs = list(zip(content, content[1:]))
    bigram = sum(1 for p in pairs if p in article.pairs) / len(pairs) if pairs else 0.0
    qualifiers = question.qualifiers
    years_asked = _years_asked(qualifiers)
    lacking = fit.lacking
    common = {
        "title": sum(w * c for w, c in zip(weights, in_title)) / total,
        "near": sum(w * max(c, ti) for w, c, ti in zip(weights, in_near, in_title)) / total,
        "context": sum(w * max(c, ti) for w, c, ti in zip(weights, in_context, in_title)) / total,
        "missing": sum(missing) / total,
        "missing_rare": max(missing, default=0.0) / idf_max if idf_max else 0.0,
        "unknown": unknown / total,
        "bigram": bigram,
        "typed": float(bool(question.types & _SLOT_KINDS)),
        "num_missing": float(any(marker == "" for marker, _ in lacking)),  # a bare number: a hint
        "edition_missing": float(any(marker != "" for marker, _ in lacking)),  # a year or an edition
        "place_conflict": float(bool(article.provinces - question.provinces - {HOME_PROVINCE})),
        "place_missing": float(fit.lacks_a_place),
        "terms": min(len(terms), MAX_TERMS) / MAX_TERMS,
        "bare": float(not question.accented),  # typed without accents: less to go on, judged as such
    }
    # Within the article, words most of its passages share (its topic) tell its sentences apart less.
    local = [w * math.log((len(article.texts) + 1) / (article.passage_df.get(t.token.folded, 0) + 0.5))
             for w, t in zip(weights, terms)]
    local_total = sum(local) or 1.0
    predicate = [weights[n] for n in question.predicate]
    predicate_total = sum(predicate)
    asked = {t.folded for t in question.tokens}
    readings = []
    for i, sentence in enumerate(sentences):
        if not any(character.isalpha() for character in sentence.text):
            continue  # "1." of a numbered list, split from its item: no words, so no answer
        in_sentence = held(probes, sentence.folded, sentence.exact, sentence.pairs)
        features = dict(common)
        held_weight = held_local = rarest_missing = 0.0  # one pass over the words for three features
        for weight, local_weight, holds in zip(weights, local, in_sentence):
            if holds:
                held_weight += weight
                held_local += local_weight
            elif weight > rarest_missing:
                rarest_missing = weight
        features["sent"] = held_weight / total
        features["local"] = held_local / local_total
        features["sent_rare_missing"] = rarest_missing / (idf_max or 1.0)
        features["slot"], features["slot_weak"], features["head"] = _slot(question, sentence, asked)
        features["echo"] = sentence.echo(article.title_folded)
        features["num_sent"] = (sum(1 for q in qualifiers if _holds_qualifier(q, sentence.folded, sentence.pairs)
                                    or _holds_qualifier(q, article.title_folded, article.title_pairs))
                                / len(qualifiers)) if qualifiers else 0.0
        features["qualifier_conflict"] = float(_conflicts(qualifiers, years_asked, sentence)
                                               or _measure_conflict(question, sentence)
                                               or _province_conflict(question, sentence)
                                               or _contrast_conflict(question, sentence))
        features["predicate"] = (sum(weights[n] * in_sentence[n] for n in question.predicate) / predicate_total
                                 if predicate and predicate_total else 0.0)
        features["role_conflict"] = _role_conflict(question, sentence.plain)
        features["role_filled"] = _role_filled(question, sentence, asked)
        features["short"] = float(len(sentence.text) < 40)
        readings.append(Reading(article, passage_id, i, sentence, features, article.window(passage_id, i)))
    return readings


def _lacking(question: Question, article: ArticleView) -> list[tuple[str, str]]:
    """The question's qualifiers the page holds nowhere (nor as its date)."""
    return [q for q in question.qualifiers
            if not (_holds_qualifier(q, article.folded, article.pairs) or _published_on(q, article.published))]


def _lacks_a_place(question: Question, article: ArticleView) -> bool:
    return any(not _mentions(article, p) for p in question.provinces | question.places)


def page_disagrees(question: Question, article: ArticleView) -> bool:
    """Does the page lack a year, an edition or a date the question asks about, or a place it names (what of
    ``CONDITIONS`` is the page's, not a sentence's)? For a page another engine chose (``combined.py``)."""
    return any(marker != "" for marker, _ in _lacking(question, article)) or _lacks_a_place(question, article)


def _window(article: ArticleView, passage_id: int, index: int) -> str:
    """What the reply shows of a sentence: with the sentence after it while both fit; a list item
    after the line leading into it; a line ending with ":" with the items that follow it."""
    sentences = article.sentences(passage_id)
    window = sentences[index].text
    lead = article.leads.get(passage_id)
    if lead is not None and index == 0:
        lead_text = article.texts[lead].strip()
        if len(lead_text) + len(window) < MAX_WINDOW_CHARS:
            return lead_text + " " + window
    if window.endswith(":") and index + 1 == len(sentences):
        for item in (pid for pid, led_by in article.leads.items() if led_by == passage_id):
            if len(window) + len(article.texts[item]) >= MAX_WINDOW_CHARS:
                break
            window += " " + article.texts[item].strip()
        return window
    if index and _continues(window) and len(window) + len(sentences[index - 1].text) < MAX_WINDOW_CHARS:
        return sentences[index - 1].text + " " + window  # "Trong đó …" shown after what it goes on from
    if index + 1 < len(sentences) and len(window) + len(sentences[index + 1].text) < MAX_WINDOW_CHARS:
        window += " " + sentences[index + 1].text
    return window


def agrees(reading: Reading) -> bool:
    """Do the question's qualifiers agree with this sentence and its page? An edition, a year or a
    number the page does not hold, a sentence about another year or edition, or another rank ("phó")
    means another page or a refusal, never this answer."""
    return not any(reading.features[name] for name in CONDITIONS)


def contradicts(question: Question, sentence: Sentence) -> bool:
    """Does a reply's text, read on its own, speak of another year, edition, number, rank or place than
    the question asks ("năm 2020" for "năm 2011", "phó giám đốc" for "giám đốc", "huyện Phong Điền" for
    "huyện Cờ Đỏ")?"""
    return (_conflicts(question.qualifiers, _years_asked(question.qualifiers), sentence)
            or _measure_conflict(question, sentence)
            or bool(_role_conflict(question, sentence.plain)) or _place_conflict(question, sentence)
            or _province_conflict(question, sentence) or _contrast_conflict(question, sentence))


def holds_what_is_asked(question: Question, sentence: Sentence, written: Callable[[str], bool]) -> bool:
    """Does a reply's text, read on its own, hold something of the kind the question asks for (a date for
    "khi nào", a number for "bao nhiêu", a person for "ai", an organisation for "cơ quan nào", a place for
    "ở đâu"), or does the question ask for none of these?"""
    if not question.types & _FILLED_KINDS:
        return True
    if "count" in question.types:  # a number, but not a date's: "Ngày 5/3/2025 … năm 2025" counts nothing,
        # nor a document's ("Nghị quyết 02-NQ/TU" for "bao nhiêu đại biểu") unless its number is asked ("số mấy")
        text = sentence.text if _NUMBER_ASKED_RE.search(question.folded) else _DOCUMENT_NUMBER_RE.sub(" ", sentence.text)
        undated = _DATE_RE.sub(" ", _DAY_MONTH_RE.sub(" ", text))  # the whole date first
        if question.head not in CALENDAR_WORDS and not question.duration:  # nor a span's ("07 tháng đầu năm"),
            undated = _SPAN_RE.sub(" ", undated)  # unless a span is asked ("mấy tháng", "bao lâu")
        if not (new_numbers(undated, question.numbers) or _COUNT_WORDS_RE.search(undated)):
            return False
        return _counts_beside_head(question, undated, written)
    if "who" in question.types and question.roles and not question.organisation and not _names_a_role_asked(
            question, sentence):
        return False  # "chi cục trưởng … tên gì": not any name the reply gives (a byline's writer)
    # what holds it only weakly (an organisation for "ai") is the matcher's guess
    return fills_the_slot(question, sentence)


def holds_the_form(question: Question, text: str) -> bool:
    """Does a reply hold what the question asks for where only one form of words gives it: an amount of money
    ("bao nhiêu tiền", "kinh phí … bao nhiêu"), a share ("bao nhiêu phần trăm"), a web address ("trang web của sở
    là gì"), a contact detail asked of a page ("địa chỉ trung tâm …", "sđt viện …": an address, a phone number, an
    email), a ward, commune or district asked by name ("ở phường nào": "phường An Khánh")? A number alone answers
    neither of the first two, a sentence about the website not the third, one that only names the unit not the
    fourth (unless something else is asked too: "cty nào …", "kế hoạch số mấy"), an event held "tại hội trường …"
    not the last."""
    if question.which in WEBSITE_NOUNS:
        return bool(_WEB_ADDRESS_RE.search(text))
    if question.which in DOCUMENT_NOUNS:  # "thành lập theo quyết định nào": a document's number and code
        return bool(_DOCUMENT_NUMBER_RE.search(text))
    if question.which in ADDRESS_UNITS:  # "nằm ở phường nào": a ward named, not a sentence naming the event
        return _names_after(question.which, text, fold(text))
    details = [kind for kind in question.attributes if kind not in question.loose_attributes]
    if details and not question.which and not question.types & _SLOT_KINDS - {"where"} and not any(
            form.search(text) for kind in details for form in _CONTACT_FORMS[kind]):
        return False
    if "count" not in question.types:
        return True
    if question.money:
        return bool(_MONEY_RE.search(text))
    return question.head != PERCENT or bool(_PERCENT_RE.search(text))


def _counts_beside_head(question: Question, text: str, written: Callable[[str], bool]) -> bool:
    """Does the text count the noun the question counts: money for "bao nhiêu tiền", a number in a clause that
    names the counted noun ("bao nhiêu giải pháp": "nhận 169 giải pháp")? A text that never names it counts
    something else, unless the pages never write the noun so (``written``: "ha" for "hécta")."""
    head = question.head
    if not head or head in CALENDAR_WORDS:
        return True
    if question.money or head == PERCENT:
        return holds_the_form(question, text)
    pattern = re.compile(r"\b" + re.escape(head) + r"\b")
    clauses = [clause for clause in _CLAUSE_RE.split(text) if pattern.search(fold(clause))]
    if not clauses:
        return not written(head)
    return any(new_numbers(clause, question.numbers) or _COUNT_WORDS_RE.search(clause) for clause in clauses)


def answers_in_agreement(question: Question, text: str, normalizer: Normalizer,
                         written: Callable[[str], bool]) -> bool:
    """Does one sentence of a reply hold what the question asks for and agree with its qualifiers, and does the
    reply as a whole not contradict them and give what only one form of words gives (``holds_the_form``)? A reply
    whose only sentence with a number speaks of 2014 does not answer "năm 2022 … bao nhiêu" because a later
    sentence names 2022. For a reply chosen by another engine (``combined.py``); each sentence is read once.
    ``written`` says whether the pages write some words side by side (a counted noun the reply never names is asked
    of something else only when the pages write it)."""
    whole = sentence_of(text, normalizer)
    parts = split_sentences(text, clauses=False)  # "Năm 2014, … ; 6 nhiệm vụ …" speaks of 2014
    sentences = [sentence_of(part, normalizer) for part in parts] if len(parts) > 1 else [whole]
    return holds_the_form(question, text) and not contradicts(question, whole) and any(
        holds_what_is_asked(question, sentence, written) and not contradicts(question, sentence)
        for sentence in sentences)


def _place_conflict(question: Question, sentence: Sentence) -> bool:
    """Does the sentence name another place of the kind asked ("huyện Phong Điền" for "huyện Cờ Đỏ"),
    and never the one asked? A place is named by its unit and a capitalised name."""
    typed = _WORD_RE.findall(sentence.text)
    words = [fold(w) for w in typed]
    for place in question.places:
        unit, *name = place.split()
        if any(words[i:i + len(name) + 1] == [unit, *name] for i in range(len(words))):
            continue
        named = [words[i + 1:i + 1 + len(name)] for i, w in enumerate(words[:-len(name)])
                 if w == unit and all(t[:1].isupper() for t in typed[i + 1:i + 1 + len(name)])]
        if any(other != name for other in named):
            return True
    return False


def _province_conflict(question: Question, sentence: Sentence) -> bool:
    """Does the sentence name other provinces than the one asked, or a wider scope ("cả vùng", "cả nước"), and
    never that one ("- An Giang: 230 đơn", "cả vùng ĐBSCL có 1.837 đơn" for Long An's figures)? Cần Thơ, which
    every page names (and many of its bodies: "Trường Đại học Cần Thơ"), counts on neither side."""
    if not question.provinces - {HOME_PROVINCE}:
        return False
    named = _provinces_named(sentence.text) - {HOME_PROVINCE}
    if named & question.provinces:
        return False
    return bool(named) or bool(_WIDER_SCOPE_RE.search(sentence.text))


def _contrast_conflict(question: Question, sentence: Sentence) -> bool:
    """Does the sentence name another of alternatives that exclude each other (``CONTRASTS``) than the one the
    question asks (``Question.alternatives``), and never that one ("phát biểu bế mạc" for who spoke at the opening,
    "giải nhì" for the first prize)?"""
    for contrast, asked in question.alternatives.items():
        said = [i for i, named in enumerate(CONTRAST_RES[contrast]) if named.search(sentence.plain)]
        if said and asked not in said:
            return True
        if "count" in question.types and len(said) > 1 and not _counted_with(CONTRAST_RES[contrast][asked], sentence):
            return True  # "giải nhất 15 triệu đồng; …; và các giải khuyến khích": no amount for the one asked
    return False


def _counted_with(named: re.Pattern, sentence: Sentence) -> bool:
    """Does a clause of the sentence that names an alternative give a number with it?"""
    return any(named.search(clause) and _DIGIT_RE.search(clause) for clause in _CLAUSE_RE.split(sentence.plain))


def _provinces_named(text: str) -> set[str]:
    """The provinces a text names with capitals ("An Giang", not "an giang" nor "hai phòng")."""
    typed = _WORD_RE.findall(text)
    words = [fold(w) for w in typed]
    return {name for i in range(len(words)) for n in (2, 3, 4)
            if (name := " ".join(words[i:i + n])) in PROVINCES and all(w[:1].isupper() for w in typed[i:i + n])}


def add_relative_features(question: Question, readings: list[Reading]) -> None:
    """How far each sentence is from the best candidate of the same question, on the two coverages;
    and, for a question about what holds now ("hiện nay"), whether its page is the newest candidate."""
    best_sent = max((r.features["sent"] for r in readings), default=0.0)
    best_near = max((r.features["near"] for r in readings), default=0.0)
    newest = max((r.article.published or "" for r in readings), default="")
    current = "current" in question.types
    for r in readings:
        r.features["sent_gap"] = best_sent - r.features["sent"]
        r.features["near_gap"] = best_near - r.features["near"]
        r.features["current_newest"] = float(current and bool(newest) and r.article.published == newest)


def _filler_words(match: re.Match) -> frozenset[str]:
    """The folded words of a slot filler: the named group "filler", or the whole match."""
    return frozenset(fold(match.groupdict().get("filler") or match.group(0)).split())


def _says_new(fillers: list[frozenset[str]], asked: set[str]) -> bool:
    """Is one of these slot fillers something the question (its folded words ``asked``) does not already say?"""
    return any(not words <= asked for words in fillers)


def _slot(question: Question, sentence: Sentence, asked: set[str]) -> tuple[float, float, float]:
    """Is the asked slot filled in this sentence by something the question (its folded words ``asked``)
    does not already say (strongly: a person for "ai", a date for "khi nào"; weakly: an organisation for
    "ai", or a date the question states), and is a number right before the counted noun?"""
    text = sentence.text
    strong = weak = head = 0.0
    for kind in question.types:
        if kind == "who" and question.organisation:
            if _says_new(sentence.fillers(_ORG_RE), asked):
                strong = 1.0
            elif _says_new(sentence.fillers(_PERSON_RE), asked):
                weak = 1.0  # a person may speak for the organisation asked
        elif kind == "who":
            if _says_new(sentence.fillers(_PERSON_RE), asked):
                strong = 1.0
            elif not question.roles and _says_new(sentence.fillers(_ORG_RE), asked):
                weak = 1.0  # an organisation answers "ai", never "giám đốc … là ai"
        elif kind in _FILLERS:
            pattern = _WHEN_RES.get(question.when_unit, _DATE_RE) if kind == "when" else _FILLERS[kind]
            fillers = sentence.fillers(pattern)
            if _says_new(fillers, asked):
                strong = 1.0
            elif fillers:
                weak = 1.0
        elif kind in _SLOT_TESTS and _SLOT_TESTS[kind](text):
            strong = 1.0
    if question.which and _names_the_kind_asked(question, sentence, asked):
        strong = 1.0
    if "count" in question.types:
        numbers = new_numbers(text, question.numbers)
        if numbers:
            strong = 1.0
        elif _COUNT_WORDS_RE.search(text):
            weak = 1.0
        if question.money:  # "tiền thưởng" is money, "tiến sĩ" is not
            head = float(bool(_MONEY_RE.search(text)))
        elif question.head == PERCENT:
            head = float(bool(_PERCENT_RE.search(text)))
        elif question.head and numbers:
            head = float(bool(re.search(r"\d[\d.,]*\s*(?:\w+\s+)?" + re.escape(question.head) + r"\b",
                                        sentence.plain)))
    return strong, weak, head


def fills_the_slot(question: Question, sentence: Sentence) -> bool:
    """Does a sentence (or a clause) hold what the question asks for (``_slot``: a person for "ai", a new number
    for "bao nhiêu", a date for "khi nào" …)?"""
    return _slot(question, sentence, {t.folded for t in question.tokens})[0] > 0


def new_numbers(text: str, numbers: set[str]) -> set[str]:
    """The numbers of a text that the question (its ``numbers``, read by the normaliser: "03" is "3")
    does not state itself; digit groups joined ("1.837" is 1837)."""
    return {n.replace(".", "").replace(",", "").lstrip("0") or "0" for n in _NUMBER_RE.findall(text)} - numbers


def _names_after(noun: str, text: str, folded: str) -> bool:
    """Does a text (and its ``folded`` form, of the same length) name one of the kind asked for: the noun followed by
    a name, a number or a label ("tỉnh An Giang", "Quyết định số 1780", "lĩnh vực: …")?"""
    if len(folded) != len(text):
        return False
    for match in re.finditer(r"\b" + re.escape(noun) + r"\b", folded):
        after = text[match.end():match.end() + 40]
        if re.match(r"\s*(?::|là|gồm|số)?\s*[" + _UPPER + r"0-9]", after):
            return True
    return False


def _named_beside(noun: str, sentence: Sentence) -> bool:
    """In English, is the noun part of a name: a capitalised word before it ("Legal and Policy Division",
    "Duy Tan University") or after it ("Ministry of Culture", "agency: the Department of …")?"""
    text, folded = sentence.text, sentence.plain
    if len(folded) != len(text):
        return False
    for match in re.finditer(r"\b" + re.escape(noun) + r"\b", folded):
        if re.search(r"\b[A-Z]\w*\s+$", text[max(0, match.start() - 30):match.start()]) or re.match(
                r"(?:\s+of|\s*:)?\s+(?:the\s+)?[A-Z]", text[match.end():match.end() + 30]):
            return True
    return False


def _names_the_kind_asked(question: Question, sentence: Sentence, asked: set[str]) -> bool:
    """Does the sentence name one of the kind "X nào" asks for: X followed by a name (``_names_after``), a
    province for "tỉnh nào", a web address for "trang web nào"?"""
    which = question.which
    return (_names_after(which, sentence.text, sentence.plain)
            or (question.english and _named_beside(which, sentence))
            or (which in PROVINCE_NOUNS and _names_a_province(sentence, question.provinces))
            or (which in WEBSITE_NOUNS and _says_new(sentence.fillers(_WEB_ADDRESS_RE), asked)))


def _names_a_province(sentence: Sentence, named: set[str]) -> bool:
    """Does the sentence name a province the question does not ("ở An Giang" answers "tỉnh nào")? Not Cần Thơ,
    the home city every page names."""
    return any(_mentions(sentence, p) for p in PROVINCES - named - {HOME_PROVINCE})


def _role_conflict(question: Question, folded: str) -> float:
    """The question's role in another rank in the (folded) sentence: "phó giám đốc" for "giám đốc",
    or the reverse."""
    if not question.roles:
        return 0.0
    for role in question.roles:
        plain = re.search(_NOT_DEPUTY + r"\b" + role + r"\b", folded)
        deputy = re.search(r"\b(?:" + "|".join(DEPUTY_WORDS) + ") " + role + r"\b", folded)
        if question.deputy and plain and not deputy:
            return 1.0
        if not question.deputy and deputy and not plain:
            return 1.0
    return 0.0


def _role_filled(question: Question, sentence: Sentence, asked: set[str]) -> float:
    """For "who" asked with a role ("giám đốc … là ai"): is a person the question (its folded words
    ``asked``) does not name right beside that role in the sentence ("Giám đốc Sở … Ngô Anh Tín",
    "ông Trần Văn A, Chủ tịch …")?"""
    if "who" not in question.types or not question.roles:
        return 0.0
    for role in question.roles:
        for match in re.finditer(r"\b" + role + r"\b", sentence.plain):
            nearby = sentence.text[max(0, match.start() - ROLE_REACH):match.end() + ROLE_REACH]
            if _says_new([_filler_words(m) for m in _PERSON_RE.finditer(nearby)], asked):
                return 1.0
    return 0.0


def _names_a_role_asked(question: Question, sentence: Sentence) -> bool:
    """Does the sentence name a role the question asks who holds, as written or as its synonym group says it
    ("trưởng đoàn": "dẫn đầu")?"""
    role_words = {word for role in question.roles for word in role.split()}
    alternates = {" ".join(phrase) for t in question.terms if t.token.folded in role_words for phrase in t.alternates}
    return any(_mentions(sentence, phrase) for phrase in question.roles | alternates)


def _measure_conflict(question: Question, sentence: Sentence) -> bool:
    """Does the sentence count the same thing as the question with another number ("4 sao" for
    "5 sao"), and never with the question's?"""
    for number, unit in question.measures:
        said = {n for n, u in sentence.pairs if u == unit and n.isdigit()}
        if said and number not in said:
            return True
    return False


def _holds_qualifier(qualifier: tuple[str, str], words: frozenset[str], pairs: frozenset[tuple[str, str]]) -> bool:
    """An edition counts only after its marker ("lần 13", "lần thứ 13"); a day with its month; a year or a bare
    number anywhere."""
    marker, number = qualifier
    if marker in ("year", ""):
        return number in words
    if marker == "date":  # "04/6/2013", "4-6" or "4 tháng 6"
        day, month = number.split("/")
        return (day, month) in pairs or ((day, "thang") in pairs and ("thang", month) in pairs)
    markers = ORDINAL_MARKERS if marker == "thu" else (marker, "thu")
    return any((m, number) in pairs for m in markers)


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _years_spoken(text: str) -> set[str]:
    """The years a text speaks of: not those of documents' codes and dates."""
    return {m.group(0) for m in _YEAR_RE.finditer(text) if not _in_a_document_code(text, m)}


def _in_a_document_code(text: str, year: re.Match) -> bool:
    """Is a year part of a document's code or of the date it was signed ("Quyết định số 06/2019/QĐ-UBND",
    "QCVN 01:2009/BKHCN", "Thông tư số 14/2012/TT-BKHCN ngày 12/7/2012"), not a year the sentence speaks of?"""
    return (text[year.start() - 1:year.start()] == ":" or bool(_CODE_AFTER_YEAR_RE.match(text, year.end()))
            or bool(_CODE_DATE_BEFORE_YEAR_RE.search(text, 0, year.start())))


_CODE_AFTER_YEAR_RE = re.compile(r"/[^\W\d_]")
_CODE_DATE_BEFORE_YEAR_RE = re.compile(r"\d/[^\W\d_][\w.\-]*\s+(?:ngày\s+)?\d{1,2}[/-]\d{1,2}[/-]$")


def _published_on(qualifier: tuple[str, str], published: str | None) -> bool:
    """Is a day asked the day the page was published ("tin đăng ngày 02/11/2017")?"""
    found = _ISO_DATE_RE.match(published or "") if qualifier[0] == "date" else None
    return bool(found) and qualifier[1] == f"{int(found.group(3))}/{int(found.group(2))}"


def _years_asked(qualifiers: list[tuple[str, str]]) -> set[str]:
    return {number for marker, number in qualifiers if marker == "year"}


def _conflicts(qualifiers: list[tuple[str, str]], years_asked: set[str], sentence: Sentence) -> bool:
    """Does the sentence speak of another edition than one asked ("lần 12" for "lần 13"), or of years, none of them
    one asked (a question comparing two, "so với năm 2021, năm 2022 tăng mấy bậc", agrees with either)? Not of
    another day: a sentence often gives the day asked for ("chào mừng ngày 18/5" for "hôm 17-5 … ngày gì")."""
    if years_asked:
        years = _years_spoken(sentence.text)
        if not years:  # a list item under "Năm 2013, … :" speaks of 2013 (not of a document's year)
            years = _years_spoken(sentence.borrowed)
        if years and not years & years_asked or not years and _EARLIER_RE.match(sentence.plain):
            return True  # "Hai năm trước, chợ … ở An Giang": of an earlier year than its page's
    for marker, number in qualifiers:
        if marker in ("", "date", "year"):
            continue
        markers = ORDINAL_MARKERS if marker == "thu" else (marker, "thu")
        said = {n for m, n in sentence.pairs if m in markers and n.isdigit()}
        if said and number not in said:
            return True
    return False


def _mentions(text: ArticleView | Sentence, phrase: str) -> bool:
    """Does an article or a sentence name a phrase (folded): its words side by side?"""
    words = phrase.split()
    return all(pair in text.pairs for pair in zip(words, words[1:])) if len(words) > 1 else phrase in text.folded


def idf_max_of(count: int) -> float:
    return math.log((count + 0.5) / 0.5 + 1.0)
