"""Staff jobs, run off the event loop in a process of their own: article uploads and FAQ CSV imports,
from the web admin (``bot/web/jobs.py`` shows their pages) and from a staff member's Telegram
document. Every channel keeps answering while a large upload is imported.

This module owns the job table (in memory: lost on restart), the job processes and what runs in them
(:func:`upload_articles`, :func:`import_faq_csv`). One :class:`Jobs` serves the whole bot (the web
application holds it under :data:`JOBS_KEY`), so staff jobs run one at a time whatever their channel.

Each job runs in a process of its own (a thread would take the interpreter's lock from the event loop for
the seconds a large file is parsed), forked from a clean fork server, on a database connection of its
own. A file is parsed in a thread of lower scheduling priority than the bot (Linux keeps the priority
per thread), so the parsing yields the processor to the answers; its write runs at the bot's own
priority, so the write lock is held no longer than the write takes (niced as a whole, the job held it
for seconds while the bot kept both cores busy). It writes only through :mod:`knowledge.management`, one
transaction per file or per CSV file, under the store's discipline (``BEGIN IMMEDIATE``, 10 s busy
timeout): the bot's own writes wait for the transaction under way, never for the whole job. They are
all made by the bot's writer thread (:mod:`knowledge.write_behind`: the query log, hand-over state,
ratings, staff edits in the admin, sign-ins), which gets in while the job parses its next file; the
durable inbox has a file of its own. SQLite does not queue waiting writers, so after each file the job
process also waits for the event loop to take its turn and answer: a write waiting for the lock goes
in before the job's next transaction.

A failed import changes nothing (each file, or the CSV file, is all or nothing). When the bot stops,
the file under way is finished and the rest are reported as not imported. When the bot alone is
killed, the job process finishes the file it was writing and stops (its next step finds no one to
answer); killed with the bot (the service or container stopped), it leaves that file as it was before.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import signal
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from knowledge import management
from knowledge.faq_io import CsvError
from knowledge.ingest.importer import ImportResult, import_each
from knowledge.store import KnowledgeBase

log = logging.getLogger(__name__)

KEEP_FINISHED = 100  # finished jobs remembered, the oldest forgotten first
NICENESS = 10  # a job's parsing yields the processor to the answers: citizens first, the upload after
QUEUED = "Đang chờ việc trước đó xong…"
STOPPED = "chưa nhập, vì bot đang dừng; hãy tải lên lại"
# Forked from a server process started clean (no thread, no connection of the bot's), which has the
# job code imported already: a job starts in milliseconds. Spawned where there is no fork server.
_CONTEXT = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                       else "spawn")
if _CONTEXT.get_start_method() == "forkserver":
    _CONTEXT.set_forkserver_preload(["__main__", __name__])


@dataclass(eq=False)
class Job:
    """One staff job. ``steps`` grows as the job process finishes steps (files); ``outcome`` is what its
    work returned."""
    id: int
    owner: str  # the staff member's name: only they see the job
    title: str  # the page's heading, e.g. "Tải bài viết lên"
    running: str  # what is happening, formatted with ``done`` and ``total``: "Đang nhập {done}/{total} tệp…"
    total: int
    render: Callable[["Job"], Any] | None = None  # what the channel shows of it at any moment (the web admin:
    # its page's content and HTTP status)
    steps: list = field(default_factory=list)
    outcome: Any = None
    started: bool = False
    failed: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def status_line(self) -> str:
        return self.running.format(done=len(self.steps), total=self.total) if self.started else QUEUED


class JobFailed(RuntimeError):
    """The job process raised, or ended without saying it was done."""


class Jobs:
    """The application's staff jobs, run one at a time: the only writer among staff jobs."""

    def __init__(self, kb: KnowledgeBase):
        self._kb = kb
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        self._turn = asyncio.Lock()
        self._stopping = False

    def start(self, owner: str, title: str, running: str, total: int, render: Callable[[Job], Any] | None,
              work: Callable[..., Any], *args: Any) -> Job:
        """Queue ``work(kb, step, *args)`` (a module-level function, run in a job process on a connection
        of its own; ``step(result)`` after each step says whether to go on) and return its job at once."""
        job = Job(next(self._ids), owner, title, running, total, render)
        self._jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, work, args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._forget_old()
        return job

    def find(self, job_id: int, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def unfinished(self, owner: str) -> list[Job]:
        return [job for job in self._jobs.values() if job.owner == owner and not job.finished.is_set()]

    async def close(self, _app: web.Application | None = None) -> None:
        """On shutdown: the step under way finishes, the other steps and the queued jobs are not done."""
        self._stopping = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, job: Job, work: Callable[..., Any], args: tuple) -> None:
        try:
            async with self._turn:
                if not self._stopping:
                    job.started = True
                    job.outcome = await self._in_process(job, work, args)
        except Exception:  # the database could not be opened, or a bug: say so, keep the bot running
            log.exception("staff job %d (%s) failed", job.id, job.title)
            job.failed = True
        finally:
            job.finished.set()

    async def _in_process(self, job: Job, work: Callable[..., Any], args: tuple) -> Any:
        here, there = _CONTEXT.Pipe()
        limit = self._kb.conn.execute("PRAGMA max_page_count").fetchone()[0]
        process = _CONTEXT.Process(target=_job_process, name=f"staff-job-{job.id}", daemon=True,
                                   args=(there, self._kb.path, self._kb._hash_key.decode(), limit, work, args))
        with here:
            with there:  # the job process has its own copy
                await asyncio.to_thread(process.start)  # the first start also starts the fork server
            try:
                while True:
                    try:
                        kind, value = await asyncio.to_thread(here.recv)
                    except EOFError:
                        raise JobFailed(f"the job process ended with exit code {process.exitcode}") from None
                    if kind == "step":  # here, on the event loop: the bot's turn before the next step
                        job.steps.append(value)
                        here.send(not self._stopping)
                    elif kind == "done":
                        return value
                    else:
                        raise JobFailed(value)
            finally:
                await asyncio.to_thread(process.join)

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.finished.is_set()]
        for job_id in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job_id]


# ----- in the job process -----------------------------------------------------------------------
def _job_process(pipe, path: str, hash_key: str, page_limit: int, work: Callable[..., Any], args: tuple) -> None:
    """Open the database as the bot has it (same user-hash key, same page limit: ``max_page_count`` is
    kept per connection, so a full disk refuses the job's writes as it refuses the bot's), run ``work``,
    say what came of it. Ctrl-C is the bot's to handle: it reaches the whole process group."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def step(result: object) -> bool:
        pipe.send(("step", result))
        return pipe.recv()

    try:
        kb = KnowledgeBase.open(path, hash_key)
        try:
            kb.conn.execute(f"PRAGMA max_page_count = {int(page_limit)}")
            outcome = work(kb, step, *args)
        finally:
            kb.close()
        pipe.send(("done", outcome))
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the bot is gone: nobody to tell
        pass
    except Exception:
        pipe.send(("failed", traceback.format_exc()))


def upload_articles(kb: KnowledgeBase, step: Callable[[ImportResult], bool], actor: str,
                    uploads: list[tuple[str, bytes]]) -> None:
    """Each uploaded (name, bytes) imported as ``run_bot.py kb import`` does, under ``upload:<name>``; after
    a failed write the rest are not tried, and once the bot is stopping neither are they."""
    going = True
    parser = ThreadPoolExecutor(1, thread_name_prefix="parsing", initializer=_lower_priority)

    def parse_with(parse: Callable[[], Any]) -> Any:
        return parser.submit(parse).result()

    def import_one(upload: tuple[str, bytes]) -> ImportResult:
        if not going:
            return ImportResult(upload[0], "skipped", STOPPED)
        return management.upload_article(kb, actor, *upload, parse_with=parse_with)

    def progress(_done: int, _total: int, result: ImportResult) -> None:
        nonlocal going
        going = step(result) and going

    with parser:
        import_each(uploads, lambda upload: upload[0], import_one, progress)


def _lower_priority() -> None:
    """Lower the calling thread's scheduling priority by :data:`NICENESS` (on Linux, this thread only)."""
    if hasattr(os, "setpriority"):
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)


def import_faq_csv(kb: KnowledgeBase, _step: Callable[[object], bool], actor: str,
                   raw: bytes) -> management.FaqImportReport | list[tuple[int, str]]:
    """The FAQs of a CSV file added or updated, or every (line, reason) that kept all of them out."""
    try:
        return management.import_faqs(kb, actor, raw)
    except CsvError as exc:
        return exc.problems


JOBS_KEY = web.AppKey("jobs", Jobs)
