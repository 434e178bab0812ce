"""Request bodies that strangers can send — the web chat's JSON API and the chat platforms' webhooks —
read within a cap and parsed without surprises.

A body longer than its cap is refused (413) before it is read whole: at once when Content-Length
says so, else as soon as the bytes read pass the cap, so a chunked body cannot exceed it either.
JSON that does not parse, or nests deeper than :data:`MAX_DEPTH`, is refused (400) the same way,
never with a RecursionError. Each endpoint turns :class:`BodyRefused` into its own answer.
"""
from __future__ import annotations

import json

from aiohttp import web

# The cap of the web chat's API and the Zalo webhooks. Each body carries one chat message: at most
# 2,000 characters on Zalo, fewer in a web-chat question; a few KB of JSON even with every character
# \u-escaped. 64 KB leaves ample room for the envelope and bounds what a stranger makes the bot hold.
MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32  # the platforms' updates nest under 10 levels
CHUNK_BYTES = 16 * 1024

TOO_LARGE = "Dữ liệu gửi lên quá lớn (tối đa {kb} KB)."
NOT_JSON = "Dữ liệu gửi lên không phải JSON hợp lệ hoặc lồng nhau quá sâu."


class BodyRefused(Exception):
    """A body refused with ``status`` (413 or 400); ``reason`` for the log, ``text`` for citizens."""

    def __init__(self, status: int, reason: str, text: str):
        super().__init__(reason)
        self.status, self.reason, self.text = status, reason, text


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The raw body, or :class:`BodyRefused` (413) once it is known to be longer than ``limit``."""
    too_large = BodyRefused(413, f"body over {limit} bytes", TOO_LARGE.format(kb=limit // 1024))
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks, size = [], 0
    while chunk := await request.content.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> object:
    """The JSON value of ``raw``, or :class:`BodyRefused` (400) when it does not parse or nests too deeply."""
    try:
        value = json.loads(raw)
        usable = not _too_deep(value)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the interpreter's stack
        usable = False
    if not usable:
        raise BodyRefused(400, "not JSON, or nested too deeply", NOT_JSON)
    return value


async def read_json(request: web.Request, limit: int) -> object:
    return parse_json(await read_capped(request, limit))


def _too_deep(value: object) -> bool:
    """Whether lists and objects nest deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
