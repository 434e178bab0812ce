"""The "Có phải bạn muốn hỏi…" suggestions of an unsure reply, for both answer engines
(``knowledge/matcher.py`` and ``knowledge/answer/engine.py``), and what a suggestion leads to when a
channel sends it back as the citizen's next message.

* **Wording.** A suggestion reads as something to ask, in at most ``MAX_CHARS`` characters: an FAQ's
  own question when it is short enough, else "Về: <short title>". A title is shortened only as far as
  needed, in this order: the department's full name becomes "Sở"; the city where it only qualifies
  (every page is about Cần Thơ: "… nhi đồng thành phố Cần Thơ lần 13", a leading "Cần Thơ:") goes;
  asides in brackets go; "khoa học và công nghệ" becomes "KH&CN"; then the title is cut between two
  words — never inside a word of the language ("thanh thiếu | niên"), never before the number a word
  counts ("lần | 13") — and loses a dangling function word, punctuation or half-open bracket at its end.
* **Relevance.** Each engine offers only candidates that reach its own score floor; of those, only
  the ones holding most of what the question is about: more than ``HELD_SHARE`` of its words weighed
  by rarity, as the engines weigh them, where two syllables that make a word of the language count as
  one word, and so do two neighbouring syllables that make a word with neither of their other
  neighbours ("điểm chuẩn" of "điểm chuẩn đại học Cần Thơ"). A question whose rare words no page holds
  (weather, lottery, football, admission scores) is out of scope: it is offered nothing.
* **Tapping.** "Về: <short title>" sent back is answered with the passage of that article holding
  most of its title's words (or with that FAQ's answer), whatever engine is configured.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, Collection, Iterable, Mapping

from .answer.lexicon import ENGLISH_STOPS, STOP_EXACT, STOP_FOLDED
from .answer.reading import MAX_WINDOW_CHARS, split_sentences
from .answer.vocabulary import vocabulary
from .store import Faq, KnowledgeBase, PerVersion
from .text import Normalizer, clean, exact_key, fold

MAX_CHARS = 60  # a suggestion is at most this long: it fits a Telegram button and a Zalo line
MAX_SUGGESTIONS = 3
HELD_SHARE = 0.5  # a suggestion holds more than this share of the question's words (by rarity): most of it
ABOUT = "Về: "  # before a shortened title: the suggestion asks about that page
FAQ_SOURCE = "Câu hỏi thường gặp"

_DEPARTMENT_RE = re.compile(r"\bSở\s+(?:Khoa học\s*(?:và|&)\s*Công nghệ|KH\s*&\s*CN|KHCN)"
                            r"(?:\s+(?:thành phố|TP\.?)\s*Cần Thơ)?", re.I)
_CITY = r"(?:thành phố|TP\.?)\s*Cần Thơ|Can Tho City"
_CITY_LABEL_RE = re.compile(rf"^(?:{_CITY}|Cần Thơ)\s*:\s*", re.I)
_CITY_RE = re.compile(rf"\s*\b(?:(?:trên địa bàn|của|tại|ở|of|in)\s+)?(?:{_CITY})\b", re.I)
_ASIDE_RE = re.compile(r"\s*\([^()]*\)")
_KHCN_RE = re.compile(r"\bkhoa học\s+(?:và\s+)?công nghệ\b", re.I)
_NUMBER_RE = re.compile(r"^(?:\d|[IVXLC]+\b)")  # a number, Arabic or Roman, that a word before it counts
_PHRASE_END = ",;:.!?)]”»"
_DEBRIS = " ,;:-–—/&(“'«"  # never ends a suggestion (a straight quote only when it is unpaired)


# ----- wording ---------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def title_suggestion(title: str) -> str:
    """"Về: <the title, shortened>", or "" when not even its first word fits."""
    short = _shorten(clean(title), MAX_CHARS - len(ABOUT))
    return ABOUT + short if short else ""


def faq_suggestion(question: str) -> str:
    """An FAQ's own question when short enough, else "Về: <the question, shortened>"."""
    question = clean(question)
    if len(question) <= MAX_CHARS:
        return question
    short = _shorten(question.rstrip("?"), MAX_CHARS - len(ABOUT))
    return ABOUT + short if short else ""


def _shorten(text: str, limit: int) -> str:
    """The text in at most ``limit`` characters, shortened only as far as needed (module docstring)."""
    if text.isupper():  # a title in capitals reads as shouting
        text = text[:1] + text[1:].lower()
    english = fold(text) == text.casefold()  # no diacritics: an English title
    shortened = False
    for step in (lambda t: _DEPARTMENT_RE.sub("Sở", t), lambda t: _without_city(t, english),
                 lambda t: _ASIDE_RE.sub("", t), lambda t: _KHCN_RE.sub("KH&CN", t)):
        if len(_tidy(text, english)) <= limit:
            break
        text, shortened = step(text).strip(), True
        text = text[:1].upper() + text[1:]
    text = _tidy(text, english, cut=shortened or len(text) > limit)  # what only fits once tidied was cut too
    return text if len(text) <= limit else _cut(text, limit, english)


def _without_city(text: str, english: bool) -> str:
    """The city out where it only qualifies what comes before it: not the subject opening the title,
    not an argument of a function word ("giữa thành phố Cần Thơ với …", "MoST and Can Tho City")."""
    text = _CITY_LABEL_RE.sub("", text)
    kept, last = [], 0
    for match in _CITY_RE.finditer(text):
        before, after = text[:match.start()].split(), text[match.end():].split()
        if before and not _is_function(before[-1], english) and not (after and _is_function(after[0], english)):
            kept.append(text[last:match.start()])
            last = match.end()
    return "".join(kept) + text[last:]


def _is_function(word: str, english: bool) -> bool:
    """A word that only links others: "và", "của", "với" … or, in an English title, "of", "and" …"""
    word = word.strip(_PHRASE_END + _DEBRIS).casefold()
    return word in ENGLISH_STOPS if english else exact_key(word) in STOP_EXACT


def _cut(text: str, limit: int, english: bool) -> str:
    """The longest head of whole words within ``limit``, cut between two words of the language and,
    in a title written in sentence case (most words in lower case), not inside a name."""
    words = text.split()
    names = 2 * sum(w[:1].isupper() for w in words) < len(words)
    for size in range(len(words) - 1, 0, -1):
        head = _tidy(" ".join(words[:size]), english, cut=True)
        if head and len(head) <= limit and _may_cut(words[size - 1], words[size], names):
            return head
    return ""


def _may_cut(left: str, right: str, names: bool) -> bool:
    """May a suggestion end between these two words?"""
    if left.endswith(tuple(_PHRASE_END)) or right.startswith("("):
        return True
    if _NUMBER_RE.match(right):
        return False  # "lần 13", "năm 2024", "lần XIII": the number belongs to the word before it
    a, b = left.strip(_DEBRIS), right.strip(_PHRASE_END + _DEBRIS)
    if names and a[:1].isupper() and b[:1].isupper():
        return False  # one name: "Trường Đại học", "Cục Sở hữu trí tuệ"
    a, b = a.casefold(), b.casefold()
    return (exact_key(a), exact_key(b)) not in vocabulary().spellings(fold(a), fold(b))


def _tidy(text: str, english: bool, cut: bool = False) -> str:
    """No punctuation, half-open bracket or unpaired quote at the end; after a ``cut``, no dangling
    function word either."""
    while True:
        before = text
        text = text.rstrip(_DEBRIS).rstrip(".")
        if text.count("(") > text.count(")"):
            text, cut = text[:text.rindex("(")], True  # a half-open aside is cut off whole
        words = text.split()
        if cut and words and _is_function(words[-1], english):
            text = " ".join(words[:-1])
        for opening, closing in (("“", "”"), ("«", "»")):
            if text.count(opening) > text.count(closing):
                text = text[::-1].replace(opening, "", 1)[::-1]
        if text.count('"') % 2:
            text = text[::-1].replace('"', "", 1)[::-1]
        text = " ".join(text.split())
        if text == before:
            return text


# ----- relevance -------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One thing an engine would suggest: its wording and the folded words (and neighbouring pairs)
    of what it leads to."""
    text: str
    words: Collection[str]
    pairs: Collection[tuple[str, str]]


def faq_candidate(faq: Faq, normalizer: Normalizer) -> Candidate:
    """An FAQ as a candidate: its question's wording, and the words of its phrasings and answer."""
    words = [t.folded for t in normalizer.tokenize(" \n ".join([faq.question, *faq.alternates, faq.answer]))]
    return Candidate(faq_suggestion(faq.question), frozenset(words), frozenset(zip(words, words[1:])))


class KeyWords:
    """The question's words, weighed by rarity, looked up only when a candidate is to be offered.

    ``words`` are the question's content words as (position in the question, folded word); numbers
    are qualifiers, not what a question is about, and are left out. ``count`` is the number of passages,
    ``df`` counts those holding a folded syllable, ``phrase_count(words, cap)`` those holding the words
    side by side."""

    def __init__(self, words: list[tuple[int, str]], count: int, df: Mapping[str, int],
                 phrase_count: Callable[[list[str], int], int]):
        self._words = [(p, w) for p, w in sorted(words) if not w.isdigit()]
        self._passages = count
        self._df = df
        self._phrase_count = phrase_count

    @cached_property
    def weights(self) -> dict[tuple[str, ...], float]:
        """Each word (one or two syllables) and its rarity, as the engines weigh words: one no page holds
        weighs most."""
        weights = {}
        for word in self._segments():
            df = self._count(word)
            weights[word] = math.log((self._passages - df + 0.5) / (df + 0.5) + 1.0)
        return weights

    def held_by(self, words: Collection[str], pairs: Collection[tuple[str, str]]) -> bool:
        """Does a candidate hold most of what the question is about (more than ``HELD_SHARE`` of its
        words' weight)?"""
        total = sum(self.weights.values())
        held = sum(weight for word, weight in self.weights.items()
                   if (word in pairs if len(word) == 2 else word[0] in words))
        return total > 0 and held > HELD_SHARE * total

    def _segments(self) -> list[tuple[str, ...]]:
        """Words of the language two syllables long, then neighbouring syllables left over taken together."""
        vocab, found, i = vocabulary(), [], 0
        items = self._words
        while i < len(items):
            (p, w), after = items[i], items[i + 1] if i + 1 < len(items) else None
            pair = after is not None and after[0] == p + 1 and vocab.is_word(w, after[1])
            found.append((p, (w, after[1]) if pair else (w,)))
            i += 2 if pair else 1
        words: list[tuple[str, ...]] = []
        alone = None  # position of the last syllable left alone, while it is the last word
        for p, word in found:
            if len(word) == 1 and alone == p - 1:
                words[-1] += word
                alone = None
            else:
                words.append(word)
                alone = p if len(word) == 1 else None
        return words

    def _count(self, word: tuple[str, ...]) -> int:
        cap = min(self._df.get(w, 0) for w in word)
        return cap if len(word) == 1 or not cap else self._phrase_count(list(word), cap)


def offer(candidates: Iterable[Candidate], key: KeyWords) -> list[str]:
    """At most ``MAX_SUGGESTIONS`` distinct wordings of the candidates (past their engine's floor,
    best first) that hold most of the question's key words."""
    offered: list[str] = []
    for candidate in candidates:
        if candidate.text and candidate.text not in offered and key.held_by(candidate.words, candidate.pairs):
            offered.append(candidate.text)
            if len(offered) == MAX_SUGGESTIONS:
                break
    return offered


# ----- tapping ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Tapped:
    """What a "Về: …" suggestion sent back is answered with."""
    kind: str  # article | faq
    text: str
    source: dict
    title: str = ""  # the article's, the topic of a follow-up
    faq_id: int | None = None


class Targets:
    """Each "Về: …" wording of a live article or FAQ, and what it leads to; rebuilt per knowledge-base
    version, so a renamed or retired article's suggestion follows at once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._targets = PerVersion(kb, self._build)

    def tapped(self, text: str) -> Tapped | None:
        key = _key(text)
        if not key.startswith(_key(ABOUT)):
            return None
        target = self._targets.get().get(key)
        if isinstance(target, Faq):
            return Tapped("faq", target.answer, {"title": FAQ_SOURCE, "date": target.updated_at[:10], "path": None},
                          faq_id=target.id)
        return self._article(target) if target else None

    def _build(self) -> dict[str, dict | Faq]:
        targets: dict[str, dict | Faq] = {}
        for row in self.kb.iter_rows("SELECT id, title, published, url, source FROM articles WHERE retired = 0 "
                                     "ORDER BY published IS NOT NULL, published, id"):  # the newest wins a tie
            wording = title_suggestion(row["title"])
            if wording:
                targets[_key(wording)] = row
        for faq in self.kb.faqs():
            wording = faq_suggestion(faq.question)
            if wording.startswith(ABOUT):
                targets.setdefault(_key(wording), faq)
        return targets

    def _article(self, row: dict) -> Tapped | None:
        passages = self.kb.article_passages([row["id"]])[row["id"]]
        if not passages:
            return None
        title = {t.folded for t in self.kb.normalizer().tokenize(row["title"])} - STOP_FOLDED - ENGLISH_STOPS
        best = max(passages, key=lambda p: len(title & set(p[2].split())))  # the first of equals: the lead
        source = {"title": row["title"], "date": row["published"], "path": row["url"] or row["source"]}
        return Tapped("article", _excerpt(best[1]), source, title=row["title"])


def _key(text: str) -> str:
    return " ".join(fold(clean(text)).split())


def _excerpt(text: str) -> str:
    """The passage's first sentences, as many as fit in what a reply shows of a sentence."""
    shown = ""
    for sentence in split_sentences(text):
        if shown and len(shown) + 1 + len(sentence) > MAX_WINDOW_CHARS:
            break
        shown = f"{shown} {sentence}".strip()
    if len(shown) > MAX_WINDOW_CHARS:
        shown = shown[:MAX_WINDOW_CHARS].rsplit(" ", 1)[0].rstrip(_DEBRIS) + " …"
    return shown
