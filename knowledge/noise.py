"""Questions that are noise, not a need: "?", "...", "123", keyboard mashing ("asdfgh", "hjkl").

A text is noise when none of its words is a plausible Vietnamese syllable (an optional initial
consonant, one to three vowels, an optional final consonant, read on the folded text) nor a word
the bot reads or the knowledge base holds (so "fax", "email" or "techfest" are kept). A text without letters is noise.
"""
from __future__ import annotations

import re

from .lexicon import CONTACT_WORDS, STOP_FOLDED
from .store import KnowledgeBase
from .text import fold

_WORD_RE = re.compile(r"[a-z]+")
_SYLLABLE_RE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")


def _known(kb: KnowledgeBase, word: str) -> bool:
    """Is ``word`` (lower-case ASCII letters only) one the bot reads ("fax", "email", "hello") or one
    that a passage of the knowledge base holds?"""
    return word in CONTACT_WORDS or word in STOP_FOLDED or kb.conn.execute("SELECT 1 FROM passage_index WHERE passage_index MATCH ? LIMIT 1",
                           (f'folded : "{word}"',)).fetchone() is not None


def is_noise(kb: KnowledgeBase, text: str) -> bool:
    words = _WORD_RE.findall(fold(text))
    return not any(_SYLLABLE_RE.fullmatch(word) or _known(kb, word) for word in words)
