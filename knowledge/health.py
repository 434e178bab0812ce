"""Whether the knowledge base can still be read and written, for ``GET /healthz``.

The write probe commits for real: a write rolled back never reaches the disk in WAL mode, so it
could not show a full disk or a file system remounted read-only. It adds one page-sized value to
``meta`` (so SQLite must find a free page) and deletes it again, each statement its own
transaction, so the database does not grow and a failed probe leaves nothing to undo.
"""
from __future__ import annotations

import sqlite3

from .store import KnowledgeBase

PROBE_KEY = "health_probe"


def check(kb: KnowledgeBase) -> str:
    """"ok", or "error: " and why the database cannot be read or written (e.g. "database or disk is full")."""
    try:
        kb.version()
        page_size = kb.conn.execute("PRAGMA page_size").fetchone()[0]
        kb.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, zeroblob(?))", (PROBE_KEY, page_size))
        kb.conn.execute("DELETE FROM meta WHERE key = ?", (PROBE_KEY,))
    except sqlite3.Error as exc:
        return f"error: {exc}"
    return "ok"
