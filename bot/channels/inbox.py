"""The durable inbox of the chat channels: every update a platform delivers (a webhook request, or
one fetched by long polling) is written to the bot's SQLite file before it is acknowledged, and
removed once it has been answered, so that a crash loses nothing that was acknowledged. It also
keeps the ids of deliveries already taken for the platforms' redelivery window, so that an update
delivered again — after a restart too — is not answered twice.

This module owns a database file of its own beside the knowledge base's (``bot.sqlite`` →
``bot.inbox.sqlite``, :func:`inbox_path`), so that recording an update never waits for the knowledge
base's write lock, which a staff import holds for up to a second a file: only the bot's event loop
writes it. It holds two tables: ``inbox`` (one row per update not yet answered: channel, payload as
JSON, attempts) and ``inbox_seen`` (channel and a hash of the delivery id, never the id itself, which
may hold a citizen's id). Every write is one short ``BEGIN IMMEDIATE`` transaction, never awaiting
inside it, so the event loop's callers cannot interleave. Rows an older version left in the
knowledge base's file are moved here when the inbox opens.

An update is tried a bounded number of times: each start of an answer counts an attempt, so one
that kills the process every time (a poison update) is dropped, with a log line, at a later start
instead of looping. An update whose answer raised is not tried again (the failure is logged and,
on Telegram, the citizen gets an apology): only a process that died, or stopped, mid-answer leaves
an update behind. Sending and recording "answered" cannot be one step: killed between the
platform's acceptance of the reply and the delete here, the update is answered again on restart.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from knowledge.store import KnowledgeBase, connect, transaction

log = logging.getLogger(__name__)

MAX_BACKLOG = 200  # updates waiting to be answered before a webhook asks the platform to wait
MAX_ATTEMPTS = 3  # starts of one update's answer; at the next start it is dropped
KEEP_SEEN_SECONDS = 6 * 3600  # delivery ids remembered this long: platforms redeliver within minutes
PRUNE_EVERY_SECONDS = 600.0  # how often accepting an update also forgets older delivery ids
RETRY_AFTER_SECONDS = 5  # what a refused webhook asks the platform to wait

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, payload TEXT NOT NULL, "
    "attempts INTEGER NOT NULL DEFAULT 0, received_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS inbox_channel ON inbox(channel, id)",
    "CREATE TABLE IF NOT EXISTS inbox_seen (channel TEXT NOT NULL, key TEXT NOT NULL, seen_at REAL NOT NULL, "
    "PRIMARY KEY (channel, key)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS inbox_seen_age ON inbox_seen(channel, seen_at)",
)


class Refused(Exception):
    """The update was not recorded: the backlog is full, or the database cannot be written. A webhook
    answers :func:`busy_response` so that the platform delivers the update again later."""


@dataclass(frozen=True)
class Item:
    """One recorded update."""
    id: int
    payload: Any


def busy_response() -> web.Response:
    """503 with Retry-After: the platform keeps the update and delivers it again later."""
    return web.json_response({"ok": False, "error": "busy"}, status=503,
                             headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def inbox_path(db_path: str) -> str:
    """The inbox's file beside the knowledge base's at ``db_path``; in memory for an in-memory one."""
    if db_path == ":memory:":
        return db_path
    path = Path(db_path)
    return str(path.with_name(f"{path.stem}.inbox{path.suffix or '.sqlite'}"))


def _key_hash(key: str) -> str:
    return hashlib.blake2s(key.encode("utf-8", "replace"), digest_size=16).hexdigest()


class Inbox:
    """One channel's updates in the inbox file of the knowledge base ``kb`` (``channel`` keeps the
    channels apart), on a connection of its own."""

    def __init__(self, kb: KnowledgeBase, channel: str, max_backlog: int = MAX_BACKLOG,
                 max_attempts: int = MAX_ATTEMPTS, keep_seen_seconds: float = KEEP_SEEN_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.channel = channel
        self.conn = connect(inbox_path(kb.path))
        self.max_backlog, self.max_attempts, self.keep_seen_seconds = max_backlog, max_attempts, keep_seen_seconds
        self.clock = clock
        self._pending: set[int] = set()  # ids accepted or resumed by this process, not yet answered
        self._pruned_at = float("-inf")
        with transaction(self.conn):
            for statement in _SCHEMA:
                self.conn.execute(statement)
        self._adopt_rows_of(kb)

    def _adopt_rows_of(self, kb: KnowledgeBase) -> None:
        """Move the inbox rows an older version kept in the knowledge base's file (ids kept, so a move
        cut short is finished at the next start without doubling an update)."""
        if not kb.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").fetchone():
            return
        updates = kb.conn.execute("SELECT id, channel, payload, attempts, received_at FROM inbox").fetchall()
        seen = kb.conn.execute("SELECT channel, key, seen_at FROM inbox_seen").fetchall()
        with transaction(self.conn):
            self.conn.executemany("INSERT OR IGNORE INTO inbox (id, channel, payload, attempts, received_at) "
                                  "VALUES (?, ?, ?, ?, ?)", updates)
            self.conn.executemany("INSERT OR IGNORE INTO inbox_seen (channel, key, seen_at) VALUES (?, ?, ?)", seen)
        with kb.transaction():
            kb.conn.execute("DROP TABLE inbox")
            kb.conn.execute("DROP TABLE inbox_seen")
        if updates:
            log.warning("moved %d unanswered update(s) from the knowledge base's file to the inbox's", len(updates))

    def full(self) -> bool:
        return len(self._pending) >= self.max_backlog

    def accept(self, key: str | None, payload: Any, bounded: bool = False) -> Item | None:
        """Record an update delivered with id ``key`` (None: the platform gave it none, so it cannot be
        recognised again); None when that id was taken before. ``bounded`` (a webhook): refused beyond
        the backlog. Raises :class:`Refused` when the update is not recorded."""
        if bounded and self.full():
            raise Refused("backlog full")
        now = self.clock()
        try:
            if now - self._pruned_at >= PRUNE_EVERY_SECONDS:
                self.prune()
            with transaction(self.conn):
                if key is not None and not self.conn.execute(
                        "INSERT OR IGNORE INTO inbox_seen (channel, key, seen_at) VALUES (?, ?, ?)",
                        (self.channel, _key_hash(key), now)).rowcount:
                    log.info("%s: an update delivered again was ignored", self.channel)
                    return None
                item_id = self.conn.execute(
                    "INSERT INTO inbox (channel, payload, attempts, received_at) VALUES (?, ?, 0, ?)",
                    (self.channel, json.dumps(payload), now)).lastrowid
        except sqlite3.Error as exc:
            log.error("%s: could not record an update: %s", self.channel, exc)
            raise Refused(str(exc)) from exc
        self._pending.add(item_id)
        return Item(item_id, payload)

    def resume(self) -> list[Item]:
        """The updates a previous process recorded but did not answer, oldest first; those already
        started ``max_attempts`` times are dropped (logged)."""
        items, dropped = [], []
        for item_id, payload, attempts, received_at in self.conn.execute(
                "SELECT id, payload, attempts, received_at FROM inbox WHERE channel = ? ORDER BY id",
                (self.channel,)).fetchall():
            if item_id in self._pending:
                continue
            if attempts >= self.max_attempts:
                dropped.append(item_id)
                log.warning("%s: dropped update %d, received %.0f s ago: its answer was started %d times and "
                            "never finished", self.channel, item_id, self.clock() - received_at, attempts)
                continue
            self._pending.add(item_id)
            items.append(Item(item_id, json.loads(payload)))
        if dropped:
            with transaction(self.conn):
                self.conn.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in dropped])
        if items:
            log.warning("%s: answering %d update(s) left unanswered by the previous run", self.channel, len(items))
        return items

    async def work(self, item: Item, handle: Callable[[Any], Awaitable[None]]) -> None:
        """Answer one update with ``handle(payload)``: the attempt is counted first, and the update
        leaves the inbox once ``handle`` returned or raised (the failure logged). Cancelled (the bot
        stopping) or killed, it stays for the next start."""
        self._write("UPDATE inbox SET attempts = attempts + 1 WHERE id = ?", item.id)
        try:
            await handle(item.payload)
        except Exception:
            log.exception("%s: answering update %d failed", self.channel, item.id)
        self._write("DELETE FROM inbox WHERE id = ?", item.id)
        self._pending.discard(item.id)

    def prune(self) -> int:
        """Forget delivery ids older than the redelivery window; how many were forgotten."""
        self._pruned_at = self.clock()
        with transaction(self.conn):
            return self.conn.execute("DELETE FROM inbox_seen WHERE channel = ? AND seen_at < ?",
                                        (self.channel, self._pruned_at - self.keep_seen_seconds)).rowcount

    def _write(self, sql: str, item_id: int) -> None:
        try:
            with transaction(self.conn):
                self.conn.execute(sql, (item_id,))
        except sqlite3.Error as exc:  # the answer goes on; at worst the update is answered again after a restart
            log.error("%s: could not update inbox row %d: %s", self.channel, item_id, exc)
