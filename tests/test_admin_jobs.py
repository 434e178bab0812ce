"""Staff jobs off the event loop (issue 13, :mod:`bot.web.jobs`): an upload of several large files through
``/admin`` runs in a job process while ``/api/ask`` keeps answering (and logging); the job page shows
"Đang nhập k/n tệp…" and then each file's result; the articles page links a running job; only its owner
sees it; the bot stopping mid-upload, gracefully or with SIGKILL, leaves each article whole or absent."""
from __future__ import annotations

import asyncio
import contextlib
import operator
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import staff_jobs
from bot.staff_jobs import JOBS_KEY
from bot.web import jobs
from bot.web.app import create_app
from bot.web.templating import Markup
from handlers.conversation import Conversation, ConversationConfig
from bot.web import users
from knowledge.store import KnowledgeBase
from support import ROOT
from test_crash_safety import article, check_consistent, write_locked
from test_runner import free_port
from web_support import PASSWORD, add_user, csrf, csrf_of, login, upload_form

PARAGRAPHS = 12000  # ~2.4 MB a file: a few seconds of parsing and writing each
QUESTION = "Số điện thoại của Sở là gì?"


def large_files(count: int) -> list[tuple[str, bytes]]:
    return [(f"huong-dan-{i}.md", article(f"tệp {i}", PARAGRAPHS).encode()) for i in range(1, count + 1)]


def titles(db) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT title FROM articles")}
    finally:
        conn.close()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(html)))


@pytest.fixture(autouse=True)
def job_page_at_once(monkeypatch):
    """The form answered at once with the job page, as after a large upload, to see the job run."""
    monkeypatch.setattr(jobs, "START_WAIT_SECONDS", 0)


@pytest.fixture
async def staff_unlimited(sample_kb):
    """A signed-in staff member on an app whose chat limits never get in the way of the asking task."""
    add_user(sample_kb, "lan", "staff")
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=10**6))
    client = TestClient(TestServer(create_app(conversation, sample_kb, "test-secret",
                                              chat_limit_per_address=10**6), host="127.0.0.1", port=0))
    await client.start_server()
    assert (await login(client, "lan")).status == 303
    yield client
    await client.close()


async def start_upload(client, files: list[tuple[str, bytes]]) -> str:
    response = await client.post("/admin/articles/upload", allow_redirects=False,
                                 data=upload_form(await csrf(client, "/admin/articles"), "files", files))
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def follow(client, job: str) -> tuple[list[str], str]:
    """The job page as a browser shows it, loaded again while it asks to be: (progress lines, final text)."""
    progress = []
    while True:
        response = await client.get(job)
        assert response.status == 200
        text = text_of(await response.text())
        if "Refresh" not in response.headers:
            return progress, text
        progress.append(re.search(r"Đang (?:nhập \d+/\d+ tệp|chờ việc trước đó xong)…", text).group())


async def test_channels_keep_answering_while_large_files_are_imported(staff_unlimited, sample_kb):
    files = large_files(3)
    answers: list[float] = []  # when each answer arrived
    stop = asyncio.Event()

    async def ask() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            response = await staff_unlimited.post("/api/ask", json={"question": QUESTION, "session": f"s{n}"})
            body = await response.json()
            assert response.status == 200 and body["kind"] == "contact" and "0292" in body["text"], body
            assert body["log_id"], "the query log could not be written"
            answers.append(time.monotonic())

    asking = asyncio.create_task(ask())
    try:
        await asyncio.sleep(0.2)
        started = time.monotonic()
        job = await start_upload(staff_unlimited, files)
        progress, final = await follow(staff_unlimited, job)
        ended = time.monotonic()
    finally:
        stop.set()
        await asyncio.wait_for(asking, 60)
    during = [t for t in answers if started < t < ended]
    assert len(during) >= 3, (len(during), ended - started)
    gaps = [b - a for a, b in zip([started, *during], [*during, ended])]
    assert max(gaps) < (ended - started) / 2, gaps  # answers kept coming, not held back until the end
    assert progress and all(line.startswith("Đang nhập") or line.startswith("Đang chờ") for line in progress)
    assert any(re.fullmatch(r"Đang nhập [0-2]/3 tệp…", line) for line in progress)
    for name, _ in files:
        assert f"thêm mới {name} — Hướng dẫn đăng ký nhiệm vụ khoa học (tệp" in final
    assert "Kết quả tải lên" in final and "Đang nhập" not in final
    assert set(check_consistent(sample_kb.path).values()) == {PARAGRAPHS}


async def test_a_job_page_is_its_owners_only_and_listed_on_the_articles_page(client, sample_kb):
    assert (await login(client, "lan")).status == 303
    holder = sqlite3.connect(sample_kb.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer: the job waits for it
    job = await start_upload(client, large_files(1))
    articles = text_of(await (await client.get("/admin/articles")).text())
    faqs = await (await client.get("/admin/faqs")).text()
    assert "Đang nhập 0/1 tệp… Xem tiến độ" in articles and f'href="{job}"' in faqs
    holder.execute("ROLLBACK")
    holder.close()
    assert "thêm mới huong-dan-1.md" in (await follow(client, job))[1]
    assert "Đang nhập" not in text_of(await (await client.get("/admin/articles")).text())
    await client.post("/admin/logout", data={"csrf": await csrf(client)})
    assert (await login(client, "quantri")).status == 303
    response = await client.get(job)
    assert response.status == 404 and "Không tìm thấy trang này." in await response.text()
    assert (await client.get("/admin/jobs/999")).status == 404


async def test_a_job_that_fails_says_so_and_the_bot_goes_on(staff_unlimited):
    job = staff_unlimited.app[JOBS_KEY].start("lan", "Việc thử", "Đang thử…", 1, lambda job: (Markup(""), 200),
                                              operator.truediv)  # raises in the job process
    response = await staff_unlimited.get(f"/admin/jobs/{job.id}")
    assert response.status == 500 and jobs.FAILED in unescape(await response.text())
    answer = await (await staff_unlimited.post("/api/ask", json={"question": QUESTION})).json()
    assert answer["kind"] == "contact"


async def test_stopping_the_bot_mid_upload_finishes_the_file_under_way_and_skips_the_rest(staff_unlimited, sample_kb):
    files = large_files(3)
    job_url = await start_upload(staff_unlimited, files)
    [job] = staff_unlimited.app[JOBS_KEY].unfinished("lan")
    while not write_locked(sample_kb.path):  # the first file's transaction is open
        await asyncio.sleep(0.002)
    await staff_unlimited.close()  # the server stops: the app's cleanup stops the jobs
    assert job.finished.is_set() and job_url.endswith(f"/{job.id}")
    statuses = [result.status for result in job.steps]
    assert statuses[0] == "added" and "skipped" in statuses, statuses
    for result in job.steps:
        assert result.status in ("added", "skipped")
        assert result.status == "added" or "vì bot đang dừng" in result.detail
    imported = check_consistent(sample_kb.path)
    assert len(imported) == statuses.count("added") and set(imported.values()) == {PARAGRAPHS}


async def test_a_bot_killed_mid_upload_restarts_with_each_article_whole_or_absent(tmp_path):
    db, port = tmp_path / "kb.sqlite", free_port()
    kb = KnowledgeBase.open(db)
    users.add(kb, "test", "lan", "staff", PASSWORD)
    kb.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(WEB_PORT=str(port), WEB_HOST="127.0.0.1", KB_DB_PATH=str(db), WEB_SESSION_SECRET="test-secret")
    bot = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "run"], env=env, cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first, second = (f"Hướng dẫn đăng ký nhiệm vụ khoa học (tệp {i})" for i in (1, 2))
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", timeout=aiohttp.ClientTimeout(total=30),
                                         cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # an IP host
            for _ in range(300):
                try:
                    token = csrf_of(await (await session.get("/admin/login")).text())
                    break
                except aiohttp.ClientError:
                    assert bot.poll() is None, bot.stderr.read()
                    await asyncio.sleep(0.1)
            await session.post("/admin/login", data={"csrf": token, "name": "lan", "password": PASSWORD})
            token = csrf_of(await (await session.get("/admin/articles")).text())
            sending = asyncio.create_task(session.post("/admin/articles/upload",
                                                       data=upload_form(token, "files", large_files(3))))
            # killed once the first file is in and the second one's transaction is open; the form's answer
            # (a redirect to the job's page after a few seconds) may or may not have come back by then
            deadline = time.monotonic() + 60
            while first not in titles(db) or not write_locked(db):
                assert time.monotonic() < deadline and second not in titles(db), "the kill came too late"
                await asyncio.sleep(0.002)
            assert second not in titles(db), "the kill came too late"
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
            with contextlib.suppress(aiohttp.ClientError):
                await sending
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait(10)
    deadline = time.monotonic() + 60
    while write_locked(db):  # the job process, left alone, finishes the file it was writing, then stops
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert check_consistent(db) == {first: PARAGRAPHS, second: PARAGRAPHS}  # what the restarted bot finds
    audit = sqlite3.connect(db).execute("SELECT count(*) FROM audit_log WHERE action = 'article.added'").fetchone()
    assert audit[0] == 2  # each article and its audit entry committed together, or neither



def test_a_job_parses_at_a_lower_priority_and_writes_at_the_bots(sample_kb):
    """The write lock is held no longer than the write takes: only the parsing thread yields the processor."""
    bot = os.getpriority(os.PRIO_PROCESS, 0)
    with ThreadPoolExecutor(1, initializer=staff_jobs._lower_priority) as parser:
        assert parser.submit(os.getpriority, os.PRIO_PROCESS, 0).result() == bot + staff_jobs.NICENESS
    writing = []
    staff_jobs.upload_articles(sample_kb, lambda result: writing.append((result.status, os.getpriority(
        os.PRIO_PROCESS, 0))) or True, "lan", [("lich.md", "# Lịch tiếp dân\n\nNgày đăng: 02/01/2026\n\nSáng thứ Ba.\n".encode())])
    assert writing == [("added", bot)]
