"""General Vietnamese vocabulary: which syllables and which two-syllable words exist in the language.

It comes from underthesea's Viet74K word list (74,000 words), read as a plain data file: no model is
loaded. The answer engine uses it so that typo correction never "corrects" a real word, and so that
context (a known two-syllable word with a neighbour) chooses between correction candidates and tells
"máy" from "mấy" when accents are missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable

from ..text import Token, exact_key, fold


@dataclass(frozen=True)
class Vocabulary:
    syllables_exact: frozenset[str]  # exact keys (tone as a digit) of every syllable
    syllables_folded: frozenset[str]
    pairs_folded: dict[tuple[str, str], frozenset[tuple[str, str]]]  # two syllables next to each other in a
    # word of the list (folded) → their exact spellings
    words_folded: frozenset[tuple[str, str]]  # the two-syllable words themselves
    single_exact: frozenset[str]  # exact keys of the syllables that are words by themselves ("ngon", "tắt")
    syllable_spellings: dict[str, frozenset[str]]  # folded syllable → the exact keys it is written as

    def is_syllable(self, folded: str, exact: str | None = None) -> bool:
        """A real syllable: as typed with its accents, or, typed without, in some spelling."""
        return exact in self.syllables_exact if exact is not None else folded in self.syllables_folded

    def is_single_word(self, exact: str) -> bool:
        """Is the syllable, with its accents, a word by itself (not only part of longer words)?"""
        return exact in self.single_exact

    def is_word(self, first: str, second: str) -> bool:
        """Do two folded syllables make a known two-syllable word?"""
        return (first, second) in self.words_folded

    def side_by_side(self, first: str, second: str) -> bool:
        """Do two folded syllables stand side by side in a known word (of two syllables or more)?"""
        return (first, second) in self.pairs_folded

    def written(self, folded: str) -> frozenset[str]:
        """The exact keys of a folded syllable ("nguon": "nguồn", "nguôn" …)."""
        return self.syllable_spellings.get(folded, frozenset())

    def spellings(self, first: str, second: str) -> frozenset[tuple[str, str]]:
        return self.pairs_folded.get((first, second), frozenset())

    def spelt_side_by_side(self, first: Token, second: Token) -> bool:
        """Do two tokens, spelt exactly as typed, stand side by side in a word of the list?"""
        return (first.exact, second.exact) in self.spellings(first.folded, second.folded)


def _word_list() -> Path | None:
    spec = find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "corpus" / "data" / "Viet74K.txt"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The word list, loaded once per process (about 0.2 s)."""
    path = _word_list()
    if path is None:
        raise RuntimeError("the Vietnamese word list is missing: install the requirements (underthesea)")
    exact: set[str] = set()
    folded: set[str] = set()
    words2: set[tuple[str, str]] = set()
    single: set[str] = set()
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.casefold().split()
        if not words or not all(w.isalpha() for w in words):
            continue
        keys = [exact_key(w) for w in words]
        exact.update(keys)
        folded.update(fold(w) for w in words)
        if len(words) == 1:
            single.add(keys[0])
        if len(words) == 2:
            words2.add((fold(words[0]), fold(words[1])))
        for first, second, key_first, key_second in zip(words, words[1:], keys, keys[1:]):
            pairs.setdefault((fold(first), fold(second)), set()).add((key_first, key_second))
    return Vocabulary(frozenset(exact), frozenset(folded), {k: frozenset(v) for k, v in pairs.items()},
                      frozenset(words2), frozenset(single), spellings_by_fold(exact))


def spellings_by_fold(keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """Exact keys (tone as a digit) grouped by their folded syllable ("nguon": "nguôn2", "ngươn")."""
    written: dict[str, set[str]] = {}
    for key in keys:
        written.setdefault(fold(key.rstrip("12345")), set()).add(key)
    return {k: frozenset(v) for k, v in written.items()}
