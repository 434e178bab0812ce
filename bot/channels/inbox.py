"""The durable inbox of the chat channels: every update a platform delivers (a webhook request, or
one fetched by long polling) is written to the bot's SQLite file before it is acknowledged, and
removed once it has been answered, so that a crash loses nothing that was acknowledged. It also
keeps the ids of deliveries already taken for the platforms' redelivery window, so that an update
delivered again — after a restart too — is not answered twice.

This module owns two tables in the knowledge base's file, created with ``CREATE TABLE IF NOT
EXISTS`` on the bot's own connection (``KnowledgeBase.conn``): ``inbox`` (one row per update not yet
answered: channel, payload as JSON, attempts) and ``inbox_seen`` (channel and a hash of the
delivery id, never the id itself, which may hold a citizen's id). Every write is one short
``BEGIN IMMEDIATE`` transaction made by the bot's writer thread (``writes``, a
:class:`knowledge.write_behind.WriteBehind` in the running bot) and awaited: while a staff import
holds SQLite's write lock, the update waits for it (its webhook's 200 too), the event loop and every
other conversation do not.

An update is tried a bounded number of times: each start of an answer counts an attempt, so one
that kills the process every time (a poison update) is dropped, with a log line, at a later start
instead of looping. An update whose answer raised is not tried again (the failure is logged and,
on Telegram, the citizen gets an apology): only a process that died, or stopped, mid-answer leaves
an update behind. Sending and recording "answered" cannot be one step: killed between the
platform's acceptance of the reply and the delete here, the update is answered again on restart.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Awaitable, Callable

from aiohttp import web

from knowledge.store import KnowledgeBase
from knowledge.write_behind import Job, WriteBehind, WriteThrough

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


def _key_hash(key: str) -> str:
    return hashlib.blake2s(key.encode("utf-8", "replace"), digest_size=16).hexdigest()


class Inbox:
    """One channel's updates in the bot's database (``channel`` keeps the channels apart), written
    through ``writes`` (None: at once, on ``kb``'s connection)."""

    def __init__(self, kb: KnowledgeBase, channel: str, max_backlog: int = MAX_BACKLOG,
                 max_attempts: int = MAX_ATTEMPTS, keep_seen_seconds: float = KEEP_SEEN_SECONDS,
                 clock: Callable[[], float] = time.time, writes: WriteBehind | WriteThrough | None = None):
        self.kb, self.channel, self.writes = kb, channel, writes or WriteThrough(kb)
        self.max_backlog, self.max_attempts, self.keep_seen_seconds = max_backlog, max_attempts, keep_seen_seconds
        self.clock = clock
        self._pending: set[int] = set()  # ids accepted or resumed by this process, not yet answered
        self._pruned_at = float("-inf")
        with kb.transaction():
            for statement in _SCHEMA:
                kb.conn.execute(statement)

    def full(self) -> bool:
        return len(self._pending) >= self.max_backlog

    async def accept(self, key: str | None, payload: Any, bounded: bool = False) -> Item | None:
        """Record an update delivered with id ``key`` (None: the platform gave it none, so it cannot be
        recognised again); None when that id was taken before. ``bounded`` (a webhook): refused beyond
        the backlog. Raises :class:`Refused` when the update is not recorded."""
        if bounded and self.full():
            raise Refused("backlog full")
        now = self.clock()
        prune = now - self._pruned_at >= PRUNE_EVERY_SECONDS
        if prune:
            self._pruned_at = now
        try:
            item_id = await self._write(partial(self._record, key, payload, now, prune))
        except sqlite3.Error as exc:
            log.error("%s: could not record an update: %s", self.channel, exc)
            raise Refused(str(exc)) from exc
        if item_id is None:
            log.info("%s: an update delivered again was ignored", self.channel)
            return None
        self._pending.add(item_id)
        return Item(item_id, payload)

    def _record(self, key: str | None, payload: Any, now: float, prune: bool, kb: KnowledgeBase) -> int | None:
        """The update's inbox row id, or None when its delivery id was seen before (the writer's thread)."""
        if prune:
            self._prune(kb, now)
        with kb.transaction():
            if key is not None and not kb.conn.execute(
                    "INSERT OR IGNORE INTO inbox_seen (channel, key, seen_at) VALUES (?, ?, ?)",
                    (self.channel, _key_hash(key), now)).rowcount:
                return None
            return kb.conn.execute("INSERT INTO inbox (channel, payload, attempts, received_at) VALUES (?, ?, 0, ?)",
                                   (self.channel, json.dumps(payload), now)).lastrowid

    def resume(self) -> list[Item]:
        """The updates a previous process recorded but did not answer, oldest first; those already
        started ``max_attempts`` times are dropped (logged)."""
        items, dropped = [], []
        for item_id, payload, attempts, received_at in self.kb.conn.execute(
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
            with self.kb.transaction():
                self.kb.conn.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in dropped])
        if items:
            log.warning("%s: answering %d update(s) left unanswered by the previous run", self.channel, len(items))
        return items

    async def work(self, item: Item, handle: Callable[[Any], Awaitable[None]]) -> None:
        """Answer one update with ``handle(payload)``: the attempt is counted first, and the update
        leaves the inbox once ``handle`` returned or raised (the failure logged). Cancelled (the bot
        stopping) or killed, it stays for the next start."""
        await self._change("UPDATE inbox SET attempts = attempts + 1 WHERE id = ?", item.id)
        try:
            await handle(item.payload)
        except Exception:
            log.exception("%s: answering update %d failed", self.channel, item.id)
        await self._change("DELETE FROM inbox WHERE id = ?", item.id)
        self._pending.discard(item.id)

    async def prune(self) -> int:
        """Forget delivery ids older than the redelivery window; how many were forgotten."""
        now = self._pruned_at = self.clock()
        return await self._write(partial(self._prune, now=now))

    def _prune(self, kb: KnowledgeBase, now: float) -> int:
        with kb.transaction():
            return kb.conn.execute("DELETE FROM inbox_seen WHERE channel = ? AND seen_at < ?",
                                   (self.channel, now - self.keep_seen_seconds)).rowcount

    async def _write(self, job: Job) -> Any:
        return await asyncio.wrap_future(self.writes.call(self.channel, job))

    async def _change(self, sql: str, item_id: int) -> None:
        def change(kb: KnowledgeBase) -> None:
            with kb.transaction():
                kb.conn.execute(sql, (item_id,))
        try:
            await self._write(change)
        except sqlite3.Error as exc:  # the answer goes on; at worst the update is answered again after a restart
            log.error("%s: could not update inbox row %d: %s", self.channel, item_id, exc)
