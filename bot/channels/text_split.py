"""Cutting a long reply into messages a platform accepts: at paragraph, line, sentence or word
boundaries, in that order of preference, filling each message; a single longer word is cut as a
last resort. Telegram counts UTF-16 units, Zalo characters: the length function says which.
"""
from __future__ import annotations

import re
from typing import Callable

_SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?…;:])\s+")


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """``text`` as pieces of at most ``limit`` (as ``length`` counts), none empty."""
    chunks = [chunk.strip() for chunk in _split_on(text.strip(), limit, 0, length)]
    return [chunk for chunk in chunks if chunk] or ([text] if text else [])


def _hard_cut(text: str, limit: int, length: Callable[[str], int]) -> list[str]:
    out, current, size = [], [], 0
    for char in text:
        width = length(char)
        if size + width > limit and current:
            out.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        out.append("".join(current))
    return out


def _split_on(text: str, limit: int, level: int, length: Callable[[str], int]) -> list[str]:
    if length(text) <= limit:
        return [text]
    if level == 0:
        parts, joiner = text.split("\n\n"), "\n\n"
    elif level == 1:
        parts, joiner = text.split("\n"), "\n"
    elif level == 2:
        parts, joiner = _SENTENCE_BREAK_RE.split(text), " "
    elif level == 3:
        parts, joiner = text.split(" "), " "
    else:
        return _hard_cut(text, limit, length)
    out: list[str] = []
    current: str | None = None
    for part in parts:
        candidate = part if current is None else current + joiner + part
        if length(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            out.append(current)
        pieces = _split_on(part, limit, level + 1, length)
        if current is not None and length(current + joiner + pieces[0]) <= limit:
            out[-1] = current + joiner + pieces.pop(0)  # fill the message before cutting further
        if pieces:
            out.extend(pieces[:-1])
            current = pieces[-1]
        else:
            current = out.pop()
    if current is not None:
        out.append(current)
    return out
