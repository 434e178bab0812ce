"""Parse and tokenize article files for storage, in worker processes when there are many.

Parsing and tokenizing are pure Python and took most of a large import's time; SQLite has one
writer, but this part can run on every CPU while the importer writes. Workers get the abbreviation
table once, when they start; each task is one batch of files, and only a few batches are in flight,
so memory stays bounded however many files are imported. Results come back in order.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from ..store import KnowledgeBase, PreparedArticle, prepare_article
from ..text import Normalizer
from .parsing import ParsedArticle, ParseError, parse_document

PARALLEL_FROM = 200  # files to parse from which worker processes repay their start-up
AHEAD = 2  # batches in flight per worker
Job = tuple[str, bytes]  # file name, its bytes
Prepared = PreparedArticle | str  # or the reason the file cannot be imported
Key = TypeVar("Key")

_make: Callable[[ParsedArticle], PreparedArticle] | None = None  # a worker's tokenizer


def prepare(jobs: Sequence[Job], make: Callable[[ParsedArticle], PreparedArticle]) -> list[Prepared]:
    prepared: list[Prepared] = []
    for name, raw in jobs:
        try:
            prepared.append(make(parse_document(name, raw)))
        except ParseError as exc:
            prepared.append(str(exc))
    return prepared


def prepare_batches(kb: KnowledgeBase, batches: Iterable[tuple[Key, Sequence[Job]]],
                    files: int) -> Iterator[tuple[Key, list[Prepared]]]:
    """Each batch's jobs prepared, with its key, in order: in worker processes when there are at
    least :data:`PARALLEL_FROM` ``files`` and more than one CPU, else here."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if files < PARALLEL_FROM or workers < 2:
        for key, jobs in batches:
            yield key, prepare(jobs, kb.prepare)
        return
    version = kb.abbreviations_version()  # read first: a later edit makes the writer tokenize again
    normalizer = kb.normalizer()
    # Forked workers start at once and need no main-module guard in the caller's script; they only
    # parse and tokenize, never touching the database connection they inherit.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(normalizer.abbreviations, normalizer.contextual, version)) as pool:
        pending: deque = deque()
        for key, jobs in batches:
            pending.append((key, pool.submit(_prepare_in_worker, jobs)))
            if len(pending) >= AHEAD * workers:
                key, future = pending.popleft()
                yield key, future.result()
        while pending:
            key, future = pending.popleft()
            yield key, future.result()


def _start_worker(abbreviations: dict, contextual: dict, version: int) -> None:
    global _make
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the importer, which then stops its workers
    normalizer = Normalizer(abbreviations, contextual)  # the keys are folded already; folding again keeps them
    _make = lambda article: prepare_article(article, normalizer, version)  # noqa: E731


def _prepare_in_worker(jobs: Sequence[Job]) -> list[Prepared]:
    return prepare(jobs, _make)
