"""Initialisms a citizen types for a phrase of the pages ("STKT" for "Sáng tạo kỹ thuật", "cds" for
"chuyển đổi số", "hs" for "hồ sơ"), spelt out from the pages the rest of the question finds.

A word is taken for an initialism only when nothing else can read it: it is no Vietnamese syllable
(it has no vowel, "stkt", or its letters spell no syllable, "ATBX", "UD") and no Roman numeral, and the
abbreviation table does not know it. Its phrase is the run of words, inside one clause of the candidate
passages, whose first letters spell it ("và" is skipped, as in "Thông tin và Truyền thông" for "TTTT"),
never a run holding the letters themselves as a word ("tư TT" of "Thông tư …/TT-BKHCN"). A run standing where
the question has the initialism, next to the same word ("Khối UD tiến bộ": "Khối Ứng dụng tiến bộ"), wins, even
used once; else the pages must use the run more than once (once is a coincidence of letters,
not a term), and the most frequent run wins. Letters the pages also write as a word of their own ("TT" of
"TT-BKHCN") are spelt out only in place ("TT Thông tin": "Trung tâm Thông tin"). A word no candidate spells
stays as typed. The abbreviation table stays the place for what staff want read one way everywhere.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from ..text import Token, fold
from .vocabulary import vocabulary

_LETTERS = re.compile(r"[^\W\d_]+")
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n\"“”]+")
_VOWELS = frozenset("aeiouy")
_SKIPPED = {"va"}  # "và" joins the parts of a name but gives it no letter
LONGEST = 6  # letters: a longer run of consonants is not typed as an initialism
_ROMAN = re.compile(r"x{0,3}(?:ix|iv|v?i{0,3})")  # "III", "XIV": an edition, not a phrase


def has_vowel(folded: str) -> bool:
    """Could the (folded) word be a word at all? Without a vowel it is an abbreviation ("sdt", "khcn")."""
    return not _VOWELS.isdisjoint(folded)


def initialism_letters(token: Token) -> str | None:
    """The folded letters of a token that can only be an initialism, else None."""
    letters = token.folded
    if not (2 <= len(letters) <= LONGEST and letters.isalpha() and letters.isascii()):
        return None
    if _ROMAN.fullmatch(letters):
        return None
    return None if has_vowel(letters) and vocabulary().is_syllable(letters) else letters


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]:
    """Each clause's words (without the words an initialism skips), folded, and their first letters: read
    once per passage, which the candidates of one question after another share."""
    clauses = []
    for part in _CLAUSE_BREAK.split(text):
        words = tuple(w for w in _LETTERS.findall(part) if fold(w.casefold()) not in _SKIPPED)
        if words:
            folded = tuple(fold(w.casefold()) for w in words)
            clauses.append((words, folded, "".join(f[0] for f in folded)))
    return tuple(clauses)


def spelt_by(letters: str, texts: Iterable[str], before: frozenset[str] = frozenset(),
             after: frozenset[str] = frozenset(), in_place_only: bool = False) -> tuple[str, str] | None:
    """The phrase the texts spell ``letters`` with most often: (folded, as written in lower case). A run
    standing where the question has it, after a word of ``before`` or before a word of ``after`` (the folded
    words around the initialism as typed: "Trung tâm TT KH&CN"), wins over more frequent ones elsewhere, and
    is no coincidence even when the pages use it once. Letters the pages also write as a word of their own
    ("TT" of "TT-BKHCN") are spelt out only in place (``in_place_only``)."""
    found: Counter[str] = Counter()
    in_place: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    n = len(letters)
    for text in texts:
        for words, folded, initials in _clauses(text):
            start = initials.find(letters)
            while start >= 0:
                run = folded[start:start + n]
                if letters not in run:
                    key = " ".join(run)
                    found[key] += 1
                    if (start and folded[start - 1] in before) or folded[start + n:start + n + 1] and (
                            folded[start + n] in after):
                        in_place[key] += 1
                    written.setdefault(key, Counter())[" ".join(words[start:start + n]).casefold()] += 1
                start = initials.find(letters, start + 1)
    if in_place:
        key = in_place.most_common(1)[0][0]
    elif found and not in_place_only and (best := found.most_common(1)[0])[1] > 1:
        key = best[0]
    else:
        return None
    return key, written[key].most_common(1)[0][0]


def spell_out(text: str, phrases: dict[str, str]) -> str:
    """The question with each initialism (folded letters → phrase) replaced by its phrase."""
    return _LETTERS.sub(lambda m: phrases.get(fold(m.group(0).casefold()), m.group(0)), text)
