"""The audit log of knowledge-base and account changes: who, when, what, and the value before
and after. Rows are written inside the caller's transaction, so a change and its record are
committed together or not at all.
"""
from __future__ import annotations

import json
from typing import Any

from .store import KnowledgeBase, now_iso

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '', before TEXT, after TEXT);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log(ts);
"""


def ensure_table(kb: KnowledgeBase) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            kb.conn.execute(statement)


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def record(kb: KnowledgeBase, actor: str, action: str, target: str = "",
           before: Any = None, after: Any = None) -> None:
    """Add one entry; call inside ``kb.transaction()`` together with the change itself."""
    ensure_table(kb)
    kb.insert("audit_log", {"ts": now_iso(), "actor": actor, "action": action, "target": target,
                            "before": _dump(before), "after": _dump(after)})


def entries(kb: KnowledgeBase, limit: int = 200, offset: int = 0) -> list[dict]:
    """The newest entries first, with ``before``/``after`` decoded."""
    ensure_table(kb)
    rows = kb.conn.execute("SELECT id, ts, actor, action, target, before, after FROM audit_log "
                           "ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
    return [{"id": r[0], "ts": r[1], "actor": r[2], "action": r[3], "target": r[4],
             "before": json.loads(r[5]) if r[5] else None,
             "after": json.loads(r[6]) if r[6] else None} for r in rows]
