"""Staff jobs run off the event loop: article uploads and FAQ CSV imports from ``/admin``, so that
every channel keeps answering while a large upload is imported.

This module owns the job table (in memory: lost on restart), the job processes, what runs in them
(:func:`upload_articles`, :func:`import_faq_csv`), and the job page ``/admin/jobs/{id}``, which says
"Đang nhập 3/6 tệp…" while the job runs (the page asks the browser to load it again) and then shows
its result.

Jobs run one at a time, each in a process of its own (a thread would take the interpreter's lock from
the event loop for the seconds a large file is parsed), forked from a clean fork server, at a lower
scheduling priority than the bot, on a database connection of its own. It writes only through
:mod:`knowledge.management`, one transaction per file or per CSV file, under the store's discipline
(``BEGIN IMMEDIATE``, 10 s busy timeout): the bot's own writes (the query log) wait for the transaction
under way, never for the whole job. SQLite does not queue waiting writers, so after each file the job
process waits for the event loop to take its turn and answer: a write the bot was waiting to make goes
in before the job's next transaction.

A failed import changes nothing (each file, or the CSV file, is all or nothing). When the bot stops,
the file under way is finished and the rest are reported as not imported. When the bot alone is
killed, the job process finishes the file it was writing and stops (its next step finds no one to
answer); killed with the bot (the service or container stopped), it leaves that file as it was before.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, NoReturn

from aiohttp import web

from knowledge import management
from knowledge.faq_io import CsvError
from knowledge.importer import ImportResult, import_each
from knowledge.store import KnowledgeBase

from .auth import staff_only
from .pages import admin_page, path_id
from .state import KB_KEY, USER_KEY
from .templating import Markup, h, join

log = logging.getLogger(__name__)

START_WAIT_SECONDS = 3.0  # the form's answer waits this long for its job to end: a small upload shows its result
PAGE_WAIT_SECONDS = 2.0  # a job page answers as soon as its job ends, or after this long
REFRESH_SECONDS = 1  # then the page of a running job is loaded again
KEEP_FINISHED = 100  # finished jobs remembered, the oldest forgotten first
NICENESS = 10  # a job process yields the processor to the answers: citizens first, the upload after
QUEUED = "Đang chờ việc trước đó xong…"
FAILED = "Hệ thống gặp sự cố nên việc này dừng giữa chừng; những gì đã báo xong vẫn được giữ. Vui lòng thử lại sau."
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
    render: Callable[["Job"], tuple[Markup, int]]  # the page's content and HTTP status, at any moment
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

    def start(self, owner: str, title: str, running: str, total: int, render: Callable[[Job], tuple[Markup, int]],
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
    kept per connection, so a full disk refuses the job's writes as it refuses the bot's), run ``work``
    at a lower priority, say what came of it. Ctrl-C is the bot's to handle: it reaches the whole
    process group."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(NICENESS)

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

    def import_one(upload: tuple[str, bytes]) -> ImportResult:
        return management.upload_article(kb, actor, *upload) if going else ImportResult(upload[0], "skipped", STOPPED)

    def progress(_done: int, _total: int, result: ImportResult) -> None:
        nonlocal going
        going = step(result) and going

    import_each(uploads, lambda upload: upload[0], import_one, progress)


def import_faq_csv(kb: KnowledgeBase, _step: Callable[[object], bool], actor: str,
                   raw: bytes) -> management.FaqImportReport | list[tuple[int, str]]:
    """The FAQs of a CSV file added or updated, or every (line, reason) that kept all of them out."""
    try:
        return management.import_faqs(kb, actor, raw)
    except CsvError as exc:
        return exc.problems


# ----- pages ------------------------------------------------------------------------------------
JOBS_KEY = web.AppKey("jobs", Jobs)


async def started(request: web.Request, job: Job) -> NoReturn:
    """Answer the form that started ``job`` with a redirect to its page, once the job has ended or after
    :data:`START_WAIT_SECONDS`."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(job.finished.wait(), START_WAIT_SECONDS)
    raise web.HTTPSeeOther(f"/admin/jobs/{job.id}")


def status_lines(request: web.Request) -> Markup:
    """A line per unfinished job of the signed-in staff member, each a link to its page."""
    return join(h("p", job.status_line(), " ", h("a", "Xem tiến độ", href=f"/admin/jobs/{job.id}"),
                  class_="notice ok", role="status")
                for job in request.app[JOBS_KEY].unfinished(request[USER_KEY].name))


@staff_only
async def job_page(request: web.Request) -> web.Response:
    """The job's progress while it runs, loaded again every second; its result once it has ended. The
    page answers as soon as the job ends, or after :data:`PAGE_WAIT_SECONDS`."""
    job = request.app[JOBS_KEY].find(path_id(request), request[USER_KEY].name)
    if job is None:
        raise web.HTTPNotFound()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(job.finished.wait(), PAGE_WAIT_SECONDS)
    content, status = job.render(job)
    if job.failed:
        return admin_page(request, job.title, content, 500, ("error", FAILED))
    if job.finished.is_set():
        return admin_page(request, job.title, content, status)
    progress = h("p", h("progress", f"{len(job.steps)}/{job.total}", value=len(job.steps), max=job.total),
                 " ", job.status_line(), class_="notice ok", role="status")
    note = h("p", "Trang tự cập nhật. Bạn có thể rời trang này: việc nhập vẫn tiếp tục. ",
             h("a", "Tải lại trang", href=request.path), class_="small")
    response = admin_page(request, job.title, join([progress, content, note]))
    response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def setup(app: web.Application) -> None:
    jobs = Jobs(app[KB_KEY])
    app[JOBS_KEY] = jobs
    app.on_cleanup.append(jobs.close)
    app.router.add_get(r"/admin/jobs/{id:\d+}", job_page)
