"""Vietnamese text normalisation: the one place that turns raw text into comparable tokens.

Both articles and questions pass through :func:`tokenize`, so whatever citizens type
(no diacritics, NFD input, capitals, old tone placement, teencode, Roman numerals) meets
the knowledge base in the same form.

Each token carries two keys:

* ``folded``  - ASCII: every diacritic removed and ``đ`` → ``d`` (``Đổi`` → ``doi``).
* ``exact``   - vowel shapes and ``đ`` kept, the tone moved to a trailing digit, so that
  ``hoà`` and ``hòa`` (old and new tone placement) and NFD input agree (``hoa2``).

``marked`` says whether the writer typed any diacritic in the token: a marked question
word is matched on its ``exact`` key first, an unmarked one on ``folded`` only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# Combining marks that carry the tone, mapped to the digit used in ``exact`` keys.
TONE_DIGITS = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e]")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
# Words after which a lower-case Roman numeral is read as a number ("lần xiii").
ORDINAL_MARKERS = {"lan", "thu", "khoa", "dot", "ky", "ki"}
# Number words read as digits, so "hai năm một lần" meets "2 năm 1 lần" and "lần thứ hai" meets
# "lần II". Only correctly spelt ("bon" may be "bốn" or "bồn"); "năm" (five or year) is left alone, and
# "tư" is four only after an ordinal marker.
NUMBER_WORDS = {"một": "1", "hai": "2", "ba": "3", "bốn": "4", "tư": "4", "sáu": "6", "bảy": "7",
                "tám": "8", "chín": "9", "mười": "10"}
_NUMBER_WORD_KEYS = {**NUMBER_WORDS, "mot": "1", "muoi": "10"}
PLAIN_CACHE_SIZE = 300_000
_ROMAN_LETTERS = frozenset("ivxlcdm")
_TOKEN_RE = re.compile(r"[^\W_]+(?:[&@.'’\-][^\W_]+)*|\d+", re.UNICODE)
_DIGIT_GROUP_RE = re.compile(r"(?<=\d)[.,](?=\d)")
# Terminal escape sequences (CSI, OSC, DCS/SOS/PM/APC, two-byte ESC), 8-bit CSI, a lone ESC
_ESCAPE_SEQUENCE_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\"
                                 r"|[ -/]*[0-~])?|\x9b[0-?]*[ -/]*[@-~]")
# C0 controls but tab and newline, DEL, C1 controls, and surrogates (alone, they are no character)
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Token:
    folded: str
    exact: str
    marked: bool


def clean(text: str) -> str:
    """NFC, invisible characters removed, whitespace collapsed."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))  # str.translate is slow here
    return " ".join(text.split())  # the whitespace of r"\s+", four times faster


def strip_controls(text: str) -> str:
    """Text safe to store and to print on a terminal: escape sequences, control characters (but
    newline and tab) and lone surrogates removed, then NFC. Every incoming message gets it once."""
    text = _CONTROL_RE.sub("", _ESCAPE_SEQUENCE_RE.sub("", text))
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case ASCII form: diacritics removed, đ → d (FTS5 does not fold đ). Folding goes character by
    character, so a longer text is folded word by word, each word once and remembered."""
    if len(text) <= SHORT_TEXT:
        return _fold_word(text)
    return " ".join([_fold_word(word) if len(word) <= SHORT_TEXT else _fold(word) for word in text.split(" ")])


SHORT_TEXT = 24  # words and short phrases are folded once and remembered; longer words every time


@lru_cache(maxsize=100_000)
def _fold_word(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def exact_key(word: str) -> str:
    """Tone-placement-independent key of one lower-case word: shapes kept, tone as a digit."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = ""
    kept = []
    for ch in decomposed:
        digit = TONE_DIGITS.get(ch)
        if digit:
            tone = digit
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)) + tone


def roman_value(word: str) -> int | None:
    """Value of a well-formed Roman numeral up to 399, else None."""
    word = word.lower()
    if not word or any(ch not in _ROMAN for ch in word):
        return None
    total = 0
    for i, ch in enumerate(word):
        value = _ROMAN[ch]
        if i + 1 < len(word) and _ROMAN[word[i + 1]] > value:
            total -= value
        else:
            total += value
    if total <= 0 or _to_roman(total) != word:
        return None
    return total


def _to_roman(n: int) -> str:
    out = []
    for value, numeral in ((100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"),
                           (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out.append(numeral)
            n -= value
    return "".join(out)


def raw_words(text: str) -> list[str]:
    """Words of the text in their original case, digit groups joined (2.002 → 2002). Compatibility
    characters are read as the plain ones they stand for: "km²" is "km2" as citizens type it, and
    full-width "ＨＴ" is "HT"."""
    text = _DIGIT_GROUP_RE.sub("", _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)))
    words = []
    for word in _TOKEN_RE.findall(text):
        # Keep "kh&cn" whole for the abbreviation table; split other joiners.
        if word.isalnum() or ("&" in word and len(word) <= 12):
            words.append(word)
        else:
            words.extend(w for w in re.split(r"[&@.'’\-]", word) if w)
    return words


def _numeric(word: str, previous_folded: str | None, shouted: bool = False) -> str | None:
    """The number a word stands for: digits (leading zeros dropped), a Roman numeral after
    "lần"/"thứ"… or written in capitals among lower-case words ("XIII"; in a text all in capitals, "VI"
    of "VI PHẠM" is a word), or a correctly spelt number word."""
    if word.isdigit():
        return word.lstrip("0") or "0"
    upper_roman = word.isupper() and ((len(word) >= 2 and not shouted) or previous_folded in ORDINAL_MARKERS)
    if upper_roman or previous_folded in ORDINAL_MARKERS:
        value = roman_value(word)
        if value is not None:
            return str(value)
    if word.casefold() == "tư" and previous_folded not in ORDINAL_MARKERS:
        return None  # four only as an ordinal ("thứ tư", "lần tư"); else "tư vấn", "đầu tư"
    return _NUMBER_WORD_KEYS.get(word.casefold())


class ContextualReading(NamedTuple):
    """How a word whose reading depends on its neighbours reads: ``cued`` when the next word is one of ``after``,
    the word before is one of ``before``, or (with ``at_end``) nothing follows; else ``default``."""
    cued: str
    default: str
    after: frozenset[str]
    before: frozenset[str] = frozenset()
    at_end: bool = False


class Normalizer:
    """Tokenizer bound to an abbreviation table (key → expansion text).

    A word typed without accents is looked up by its bare letters ("sdt", "qd" for "qđ"); a word typed
    with accents only as a key written with those accents ("sđt", "đc"), so that a real word is never
    taken for an abbreviation that shares its letters ("Hồng" is not "hong" = "không")."""

    def __init__(self, abbreviations: dict[str, str] | None = None,
                 contextual: dict[str, ContextualReading] | None = None):
        self.abbreviations = {fold(k): v for k, v in (abbreviations or {}).items()}
        self.contextual = {fold(k): v for k, v in (contextual or {}).items()}
        # the keys written with accents, as written (lower case): what a word typed with accents may be
        self._marked = {k.casefold() for k in [*(abbreviations or {}), *(contextual or {})] if fold(k) != k.casefold()}
        self._expansion_cache: dict[str, list[Token]] = {}
        # words as written that are neither numbers nor abbreviations → their token
        self._plain: dict[str, Token] = {}
        # those of them that could be Roman numerals ("I", "mix"): read again after "lần", "thứ" …
        self._romanish: set[str] = set()

    def _expansion(self, text: str) -> list[Token]:
        cached = self._expansion_cache.get(text)
        if cached is None:
            cached = self._plain_tokens(raw_words(text))
            self._expansion_cache[text] = cached
        return cached

    @staticmethod
    def _plain_tokens(words: list[str]) -> list[Token]:
        return [word_token(word.casefold()) for word in words]

    def tokenize(self, text: str) -> list[Token]:
        words = raw_words(text)
        shouted = text.isupper()  # capitals say nothing of a word when every word has them
        tokens: list[Token] = []
        previous: str | None = None
        plain = self._plain
        for i, word in enumerate(words):
            token = plain.get(word)
            if token is not None and (previous not in ORDINAL_MARKERS or word not in self._romanish):  # fast path
                tokens.append(token)
                previous = token.folded
                continue
            lower = word.casefold()
            token = word_token(lower)
            folded = token.folded
            number = _numeric(word, previous, shouted)
            if number is not None:
                tokens.append(Token(number, number, False))
            elif token.marked and lower not in self._marked:  # a real word typed with its accents
                tokens.append(token)
                self._remember(word, lower, token)
            elif folded in self.contextual:
                reading = self.contextual[folded]
                following = fold(words[i + 1]) if i + 1 < len(words) else ""
                before = fold(words[i - 1]) if i else ""
                use_cued = (following in reading.after or before in reading.before
                            or (reading.at_end and not following))
                tokens.extend(self._expansion(reading.cued if use_cued else reading.default))
            elif folded in self.abbreviations:
                tokens.extend(self._expansion(self.abbreviations[folded]))
            else:
                tokens.append(token)
                self._remember(word, lower, token)
            previous = tokens[-1].folded if tokens else None
        return tokens

    def _remember(self, word: str, lower: str, token: Token) -> None:
        """Keep an ordinary word's token for the fast path (never a word that reads as a number)."""
        if len(self._plain) < PLAIN_CACHE_SIZE and _numeric(word, None) is None and lower not in _NUMBER_WORD_KEYS:
            self._plain[word] = token
            if _ROMAN_LETTERS.issuperset(lower):
                self._romanish.add(word)


@lru_cache(maxsize=200_000)
def word_token(lower: str) -> Token:
    """The token of one lower-case word (words repeat: computed once)."""
    folded = fold(lower)
    return Token(folded, exact_key(lower), folded != lower)


def folded_text(tokens: list[Token]) -> str:
    return " ".join([t.folded for t in tokens])


def exact_text(tokens: list[Token]) -> str:
    return " ".join([t.exact for t in tokens])
