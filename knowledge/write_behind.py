"""The running bot's own small writes (query-log rows, hand-over state) made without waiting for
SQLite's write lock, which a staff import in another process holds for up to a second a file: a reply
must not wait that long, nor every other conversation behind it on the event loop.

:class:`WriteBehind` queues them for one thread that writes them in order on a connection of its own,
consecutive query-log rows in one transaction. A query-log row's id is given when the row is queued
(one more than the last one given; the table's highest when the writer opened), so that a reply
carries it for its feedback buttons before the row exists. A write whose caller needs its result
(a rating, a web page's fetch of staff answers, a staff edit) is queued with :meth:`WriteBehind.call`,
which returns its future; :func:`written` awaits it: the caller waits, the event loop does not.
Nothing here blocks the caller's thread but the short lock around the queue. :class:`WriteThrough`
has the same methods and writes at once on the caller's connection (the terminal, the tests, an
in-memory database).

While the bot runs it is the only process that adds query-log rows. Should another add one meanwhile
(the admin's demo rows, from the command line) and take an id given out, that row is written with an
id past every row and every id given out, and a rating of that one reply is refused as expired.
Writes still queued when the process is killed are lost, as is a write that fails: the citizen has
their answer either way.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from .store import KnowledgeBase, connect, now_iso

log = logging.getLogger(__name__)

Job = Callable[[KnowledgeBase], object]  # a write, given the writer's connection


def _run_into(future: Future, job: Job, kb: KnowledgeBase) -> None:
    try:
        future.set_result(job(kb))
    except Exception as exc:  # the caller's to handle
        future.set_exception(exc)


async def written(writes: "WriteBehind | WriteThrough", job: Job):
    """What ``job`` returned, made by ``writes`` and awaited: the event loop goes on meanwhile."""
    return await asyncio.wrap_future(writes.call(job))


class WriteThrough:
    """Writes made at once, on ``kb``'s connection."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def log(self, row: dict) -> int:
        """Add a query-log row; its id."""
        return self.kb.log_query(**row)

    def submit(self, job: Job) -> None:
        job(self.kb)

    def call(self, job: Job) -> Future:
        """``job`` run now; the future of what it returned or raised."""
        future: Future = Future()
        _run_into(future, job, self.kb)
        return future


@dataclass
class _Write:
    row: dict | None = None  # a query-log row (its id given), or
    job: Job | None = None


class WriteBehind:
    """Writes queued for a thread with its own connection to the database at ``path``; :meth:`close`
    writes what is queued and stops it."""

    def __init__(self, path: str):
        kb = KnowledgeBase(connect(path), path, hash_key=b"")  # the thread never hashes a user id
        self._next_id = kb.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM query_log").fetchone()[0]
        self._changed = threading.Condition()
        self._queue: deque[_Write] = deque()
        self._closed = False
        self._thread = threading.Thread(target=self._run, args=(kb,), name="write-behind", daemon=True)
        self._thread.start()

    def log(self, row: dict) -> int:
        """Queue a query-log row (stamped now); the id it will have."""
        with self._changed:
            row_id, self._next_id = self._next_id, self._next_id + 1
            self._put(_Write(row={"id": row_id, "ts": now_iso(), **row}))
        return row_id

    def submit(self, job: Job) -> None:
        """Queue ``job``, run after every write queued before it."""
        with self._changed:
            self._put(_Write(job=job))

    def call(self, job: Job) -> Future:
        """Queue ``job``; the future of what it returns or raises."""
        future: Future = Future()
        self.submit(lambda kb: _run_into(future, job, kb))
        return future

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join()

    def _put(self, write: _Write) -> None:
        if self._closed:
            raise RuntimeError("the write-behind thread is closed")
        self._queue.append(write)
        self._changed.notify_all()

    def _run(self, kb: KnowledgeBase) -> None:
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: self._queue or self._closed)
                    if not self._queue:
                        return
                    batch = list(self._queue)
                    self._queue.clear()
                self._write(kb, batch)
        finally:
            kb.close()

    def _write(self, kb: KnowledgeBase, batch: list[_Write]) -> None:
        rows: list[dict] = []
        for write in batch:
            if write.row is not None:
                rows.append(write.row)
                continue
            self._insert(kb, rows)
            rows = []
            try:
                write.job(kb)
            except Exception:  # one failed write must not stop the others
                log.exception("a queued write failed")
        self._insert(kb, rows)

    def _insert(self, kb: KnowledgeBase, rows: list[dict]) -> None:
        """Query-log rows in one transaction; when an id was taken meanwhile, each in its own."""
        if not rows:
            return
        try:
            with kb.transaction():
                for row in rows:
                    kb.insert("query_log", row)
            return
        except sqlite3.IntegrityError:
            pass
        except Exception:
            log.exception("could not write %d query-log rows", len(rows))
            return
        for row in rows:
            try:
                with kb.transaction():
                    try:
                        kb.insert("query_log", row)
                    except sqlite3.IntegrityError:  # another process took the id: a new one
                        written = kb.insert("query_log", {**row, "id": self._id_past(kb)})
                        log.warning("query-log id %d was taken by another process; written as %d", row["id"], written)
            except Exception:
                log.exception("could not write a query-log row")

    def _id_past(self, kb: KnowledgeBase) -> int:
        """An id past every row (in the transaction under way) and every id given out, some of whose rows
        may still be queued: taken from the ids to give."""
        highest = kb.conn.execute("SELECT COALESCE(MAX(id), 0) FROM query_log").fetchone()[0]
        with self._changed:
            row_id = max(self._next_id, highest + 1)
            self._next_id = row_id + 1
        return row_id
