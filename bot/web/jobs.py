"""The web admin's pages of staff jobs (:mod:`bot.staff_jobs` runs them): the job page
``/admin/jobs/{id}``, which says "Đang nhập 3/6 tệp…" while the job runs (the page asks the browser to load
it again) and then shows its result, and the status lines of a staff member's unfinished jobs."""
from __future__ import annotations

import asyncio
import contextlib
from typing import NoReturn

from aiohttp import web

from ..staff_jobs import JOBS_KEY, Job, Jobs
from .auth import staff_only
from .pages import admin_page, path_id
from .state import KB_KEY, USER_KEY
from .templating import Markup, h, join

START_WAIT_SECONDS = 3.0  # the form's answer waits this long for its job to end: a small upload shows its result
PAGE_WAIT_SECONDS = 2.0  # a job page answers as soon as its job ends, or after this long
REFRESH_SECONDS = 1  # then the page of a running job is loaded again
FAILED = "Hệ thống gặp sự cố nên việc này dừng giữa chừng; những gì đã báo xong vẫn được giữ. Vui lòng thử lại sau."



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
