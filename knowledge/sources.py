"""The source of an answer as citizens see it: its title, its date (and whether that date was read
from the article's text rather than a stamp), the article's web address, and at most the bare
file name it was imported from — never a path on the server.
"""
from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from .store import KnowledgeBase

WEB_PREFIXES = ("http://", "https://")


def is_web_address(text: str | None) -> bool:
    return bool(text) and text.startswith(WEB_PREFIXES)


def bare_name(source: str) -> str:
    """"/srv/kb/data/bai-viet.txt", "C:\\\\kb\\\\bai.md", "telegram:bai.html" → the file's name alone."""
    return PureWindowsPath(PurePosixPath(source).name).name.rpartition(":")[2]


def public_source(kb: KnowledgeBase, source: dict | None) -> dict | None:
    """``{"title", "date", "date_inferred", "url", "file", "origin"}`` for the engine's ``source`` (whose
    ``path`` is the article's URL or the place it was imported from), or None."""
    if not source:
        return None
    where = source.get("path") or ""
    row = next(kb.iter_rows("SELECT source, url, published_inferred, origin FROM articles WHERE (source = ? OR url = ?) "
                            "AND title = ? ORDER BY id DESC LIMIT 1", (where, where, source.get("title"))),
               None) if where else None
    url = (row or {}).get("url") or (where if is_web_address(where) else None)
    file = bare_name(row["source"]) if row and not is_web_address(row["source"]) else None
    return {"title": source.get("title"), "date": source.get("date"),
            "date_inferred": bool(row and row["published_inferred"]), "url": url, "file": file or None,
            "origin": (row or {}).get("origin")}
