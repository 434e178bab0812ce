"""Answering off the event loop: the worker processes that match questions to the knowledge base,
one per core by default (``[server] workers``), so that every core answers and the event loop only
sends and receives.

This module owns those processes. Each opens its own read-only connection to the SQLite file and
keeps its own :class:`handlers.conversation.Answerer`, whose caches follow the knowledge base's
version, read on every question: a staff edit committed by any process reaches every worker on its
next question. Workers only read; the query log, feedback, hand-over requests and the inbox are
written by the main process alone (in WAL mode readers never wait for it).

The pool is a :class:`concurrent.futures.ProcessPoolExecutor` whose processes are *spawned* (a fresh
interpreter, so that nothing of the main process's threads or SQLite connection is inherited). They
are started when the bot starts, without waiting for them: each imports the bot and builds its
caches in the background, and the first questions wait for the first ready worker. Under load the
questions go in small batches (:class:`AnswerPool`). A match that raises in a worker raises in the
main process. A worker that dies (killed, out of memory) breaks the executor: a new one replaces it
and the questions that were in flight are asked once more; a question that fails again raises. The
conversation answers either with its apology. Workers ignore Ctrl-C, which reaches the whole process group: the main process
stops them when it stops, and a worker whose main process died (SIGKILL) exits by itself.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import traceback
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import resource_tracker
from pathlib import Path

from handlers.conversation import Answerer
from knowledge.answer import Match, Topic
from knowledge.store import KnowledgeBase

log = logging.getLogger(__name__)

MAX_BATCH = 8  # questions sent to a worker in one go when many are waiting

_answerer: Answerer | None = None  # in a worker process: its engine, over its own connection


def open_read_only(path: str) -> KnowledgeBase:
    """The knowledge base at ``path`` over a connection that cannot write (SQLite's ``mode=ro``)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=10, check_same_thread=False, isolation_level=None)
    return KnowledgeBase(conn, path, hash_key=b"")  # a worker never hashes a user id: it gets no key


def _start_worker(path: str, answer_engine: str) -> None:
    """A worker's first step: leave Ctrl-C to the main process, open the file, build the caches."""
    global _answerer
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since its start: see AnswerPool._start
    threading.Thread(target=_exit_with_parent, name="parent watch", daemon=True).start()
    _answerer = Answerer(open_read_only(path), answer_engine)
    _answerer.warm()


def _exit_with_parent() -> None:
    """Wait for the main process to end, however it ended, then end this worker: orphaned, it
    would wait for questions forever."""
    multiprocessing.parent_process().join()
    os._exit(0)


class WorkerError(Exception):
    """A question whose match raised in a worker; the message holds the worker's traceback."""


def _match_all(questions: list[tuple[str, Topic | None]]) -> list[Match | WorkerError]:
    """Each question's match, or the error it raised: one question's failure is its own."""
    results: list[Match | WorkerError] = []
    for text, topic in questions:
        try:
            results.append(_answerer.match(text, topic))
        except Exception:  # sent back as text: not every exception can be pickled
            results.append(WorkerError(traceback.format_exc()))
    return results


def _started() -> None:
    """Nothing: submitted once per worker so that the executor starts them all at once."""


@dataclass
class _Question:
    text: str
    topic: Topic | None
    answer: asyncio.Future  # its Match
    tries: int = 0


class AnswerPool:
    """The worker processes over the database at ``db_path``; :meth:`match` is what the running
    bot's conversation awaits (:attr:`handlers.conversation.Conversation.match_async`).

    Questions go to the executor in batches: one per worker and one more queued (so that no worker
    waits for the event loop between two), and the questions that arrive meanwhile wait here and
    leave together, up to :data:`MAX_BATCH`, when a batch comes back. A quiet bot sends each
    question alone at once; a busy one pays the executor's round trip (~0.1 ms of the event loop's
    time, its two threads contending for the GIL) once per batch instead of once per question."""

    def __init__(self, db_path: str, answer_engine: str, workers: int):
        self.db_path, self.answer_engine, self.workers = db_path, answer_engine, workers
        self._closing = False
        self._waiting: deque[_Question] = deque()
        self._batches: set[asyncio.Task] = set()  # in the executor
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # The workers inherit SIGINT blocked, so that a Ctrl-C while they import cannot kill them before
        # they ignore it (as multiprocessing's resource tracker does); here it waits the few
        # milliseconds of the spawning, never lost. The tracker is started first: starting it unblocks.
        resource_tracker.ensure_running()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_start_worker, initargs=(self.db_path, self.answer_engine))
            for _ in range(self.workers):  # a spawning executor starts a process per task while none is idle
                executor.submit(_started)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return executor

    async def match(self, text: str, topic: Topic | None = None) -> Match:
        """The engine's match of ``text``, worked out in a worker; asked once more, on new workers,
        when its worker died meanwhile. Raises what the match raised, or BrokenProcessPool."""
        question = _Question(text, topic, asyncio.get_running_loop().create_future())
        self._waiting.append(question)
        self._send()
        return await question.answer

    def _send(self) -> None:
        while self._waiting and len(self._batches) <= self.workers and not self._closing:
            batch = [self._waiting.popleft() for _ in range(min(MAX_BATCH, len(self._waiting)))]
            batch = [q for q in batch if not q.answer.done()]  # its citizen has gone (cancelled)
            if batch:
                self._batches.add(asyncio.get_running_loop().create_task(self._ask(batch)))

    async def _ask(self, batch: list[_Question]) -> None:
        executor = self._executor
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                executor, _match_all, [(q.text, q.topic) for q in batch])
        except asyncio.CancelledError:  # the pool closing
            for question in batch:
                question.answer.cancel()
            raise
        except BrokenProcessPool as exc:  # a worker died: new ones, and the batch asked again once
            if not self._closing:
                self._replace(executor)
            results = [exc] * len(batch)
        except Exception as exc:  # a question that could not be sent (pickled), say
            results = [exc] * len(batch)
        finally:
            self._batches.discard(asyncio.current_task())
        again = []
        for question, result in zip(batch, results):
            if question.answer.done():  # its citizen has gone
                continue
            if isinstance(result, BrokenProcessPool) and not question.tries and not self._closing:
                question.tries += 1
                again.append(question)
            elif isinstance(result, Exception):
                question.answer.set_exception(result)
            else:
                question.answer.set_result(result)
        self._waiting.extendleft(reversed(again))  # first in line, in their order
        self._send()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is not broken:  # a batch of the same executor has replaced it already
            return
        log.warning("an answering worker process stopped unexpectedly; starting %d new one(s)", self.workers)
        broken.shutdown(wait=False)
        self._executor = self._start()

    def close(self) -> None:
        """Stop the workers: questions not yet started are cancelled, running ones (milliseconds)
        finish, and the processes exit; never waits on the event loop."""
        self._closing = True
        while self._waiting:
            self._waiting.popleft().answer.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
