"""Crash safety: a process killed with SIGKILL in the middle of an article import or of a Zalo OA
token refresh leaves the SQLite file consistent. After a restart the article is either the old or
the new version, never half of one (passages and their full-text rows match one to one), and the
stored OA token pair is one complete pair.

The victim runs in a child process; the test knows when to kill it from what the child holds (the
database's write lock, the fake's pending token request), not from sleeps.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fake_zalo import FakeZaloOA
from support import ROOT, SAMPLES

from knowledge.ingest.importer import import_file, import_paths
from knowledge.store import KnowledgeBase
from bot.channels.zalo_tokens import ZaloTokenStore

OLD_PARAGRAPHS, NEW_PARAGRAPHS = 40, 24000  # the new version is written in ~0.5 s: time to kill it
APP_ID, APP_SECRET = "4313412345678901234", "app-secret-for-tests"


def article(version: str, paragraphs: int) -> str:
    body = "\n\n".join(f"Đoạn {i} ({version}): Sở Khoa học và Công nghệ thành phố Cần Thơ hướng dẫn thủ tục "
                       f"đăng ký nhiệm vụ khoa học số {i}, hồ sơ nộp tại bộ phận một cửa." for i in range(paragraphs))
    return f"# Hướng dẫn đăng ký nhiệm vụ khoa học ({version})\n\nNgày đăng: 01/10/2026\n\n{body}\n"


def spawn(code: str, *args: str) -> subprocess.Popen:
    """A Python child running ``code`` with the project importable; its stdout is piped."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(10)


def write_locked(path: Path) -> bool:
    """True while another connection holds the database's write lock (is inside a write transaction)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return True
    finally:
        probe.close()


def wait_until(condition, timeout: float, what: str, child: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if child is not None and child.poll() is not None:
            raise AssertionError(f"the child ended before {what}: {child.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def check_consistent(path: Path) -> dict[str, int]:
    """Integrity and one-to-one passages ↔ full-text rows; returns the article's passage count by title."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO passage_index(passage_index) VALUES ('integrity-check')")  # raises if corrupt
        passages = {r[0] for r in conn.execute("SELECT id FROM passages")}
        indexed = {r[0] for r in conn.execute("SELECT rowid FROM passage_index")}
        assert passages == indexed, f"{len(passages - indexed)} passages unindexed, {len(indexed - passages)} orphans"
        orphans = conn.execute("SELECT count(*) FROM passages WHERE article_id NOT IN (SELECT id FROM articles)")
        assert orphans.fetchone()[0] == 0
        return dict(conn.execute("SELECT a.title, count(p.id) FROM articles a LEFT JOIN passages p "
                                 "ON p.article_id = a.id WHERE a.title LIKE 'Hướng dẫn đăng ký nhiệm vụ%' "
                                 "GROUP BY a.id"))
    finally:
        conn.close()


IMPORTER = """
import sys
from pathlib import Path
from knowledge.ingest.importer import import_file
from knowledge.store import KnowledgeBase
kb = KnowledgeBase.open(sys.argv[1])
print(import_file(kb, Path(sys.argv[2])).status, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_sigkill_during_an_import_leaves_the_old_or_the_new_article_never_half(tmp_path, delay):
    db, source = tmp_path / "kb.sqlite", tmp_path / "huong-dan.md"
    kb = KnowledgeBase.open(db)
    import_paths(kb, [SAMPLES])
    source.write_text(article("bản cũ", OLD_PARAGRAPHS), encoding="utf-8")
    assert import_file(kb, source).status == "added"
    kb.close()
    before = check_consistent(db)
    source.write_text(article("bản mới", NEW_PARAGRAPHS), encoding="utf-8")

    child = spawn(IMPORTER, str(db), str(source))
    wait_until(lambda: write_locked(db), 20, "the import's write transaction", child)
    time.sleep(delay)
    assert child.poll() is None, "the import finished before it could be killed: make the article bigger"
    kill(child)

    after = check_consistent(db)
    old = {"Hướng dẫn đăng ký nhiệm vụ khoa học (bản cũ)": OLD_PARAGRAPHS}
    new = {"Hướng dẫn đăng ký nhiệm vụ khoa học (bản mới)": NEW_PARAGRAPHS}
    assert before == old
    assert after in (old, new)
    kb = KnowledgeBase.open(db)  # the bot restarts on the file and the next import completes it
    try:
        assert import_file(kb, source).status in ("updated", "unchanged")
    finally:
        kb.close()
    assert check_consistent(db) == new


FOLDER_IMPORTER = """
import sys
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
import_paths(KnowledgeBase.open(sys.argv[1]), [sys.argv[2]])
"""


@pytest.mark.parametrize("delay", [0.0, 0.2])
def test_sigkill_during_a_batch_of_files_leaves_each_article_old_or_new(tmp_path, delay):
    """Several files are written in one transaction: killed in the middle, each is still whole."""
    db, folder = tmp_path / "kb.sqlite", tmp_path / "huong-dan"
    folder.mkdir()
    files, paragraphs = [folder / f"huong-dan-{i}.md" for i in range(3)], NEW_PARAGRAPHS // 3
    for i, path in enumerate(files):
        path.write_text(article(f"bản cũ {i}", OLD_PARAGRAPHS), encoding="utf-8")
    kb = KnowledgeBase.open(db)
    import_paths(kb, [folder])
    kb.close()
    for i, path in enumerate(files):
        path.write_text(article(f"bản mới {i}", paragraphs), encoding="utf-8")

    child = spawn(FOLDER_IMPORTER, str(db), str(folder))
    wait_until(lambda: write_locked(db), 20, "the import's write transaction", child)
    time.sleep(delay)
    assert child.poll() is None, "the import finished before it could be killed: make the articles bigger"
    kill(child)

    after = check_consistent(db)
    for i in range(3):
        old = {f"Hướng dẫn đăng ký nhiệm vụ khoa học (bản cũ {i})": OLD_PARAGRAPHS}
        new = {f"Hướng dẫn đăng ký nhiệm vụ khoa học (bản mới {i})": paragraphs}
        mine = {title: count for title, count in after.items() if title.endswith(f" {i})")}
        assert mine in (old, new)
    kb = KnowledgeBase.open(db)
    try:
        import_paths(kb, [folder])
    finally:
        kb.close()
    assert check_consistent(db) == {f"Hướng dẫn đăng ký nhiệm vụ khoa học (bản mới {i})": paragraphs for i in range(3)}


# ----- Zalo OA token refresh --------------------------------------------------------------------
REFRESHER = """
import asyncio, sys
from bot.channels.zalo_oa import OAConfig, ZaloOAClient
from knowledge.store import KnowledgeBase
from bot.channels.zalo_tokens import ZaloTokenStore
db, url, app_id, app_secret = sys.argv[1:5]
kb = KnowledgeBase.open(db)
store = ZaloTokenStore(kb, app_id)
pair = store.initial("access-0", "refresh-0")
client = ZaloOAClient(OAConfig(app_id, "oa-secret", app_secret, api_base_url=url, oauth_base_url=url), store, pair)
async def main():
    ok = await client.refresh(pair.access_token)
    print("refreshed" if ok else "failed", flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


class GatedOA(FakeZaloOA):
    """The OA fake whose token endpoint holds its answer until the test releases it."""

    def __init__(self):
        super().__init__(APP_ID, APP_SECRET, "access-0", "refresh-0")
        self.asked, self.release, self.answered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def access_token(self, request):
        self.asked.set()
        await self.release.wait()
        response = await super().access_token(request)
        await response.prepare(request)  # the new pair is on the wire before the test may kill
        await response.write_eof()
        self.answered.set()
        return response


@pytest.fixture
async def gated():
    fake = GatedOA()
    await fake.start()
    yield fake
    await fake.close()


def stored_pair(db: Path) -> tuple[str, str, float | None]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        [row] = conn.execute("SELECT access_token, refresh_token, expires_at FROM zalo_oa_tokens").fetchall()
        return row
    finally:
        conn.close()


def restarted_pair(db: Path):
    """The pair a restarted bot starts with (same environment tokens as the first start)."""
    kb = KnowledgeBase.open(db)
    try:
        return ZaloTokenStore(kb, APP_ID).initial("access-0", "refresh-0")
    finally:
        kb.close()


async def wait_event(event: asyncio.Event, child: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 15
    while not event.is_set():
        assert child.poll() is None, f"the child ended before {what}: {child.stderr.read()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


async def test_sigkill_while_zalo_holds_the_refresh_answer_keeps_the_old_pair(tmp_path, gated):
    db = tmp_path / "kb.sqlite"
    child = spawn(REFRESHER, str(db), gated.url, APP_ID, APP_SECRET)
    await wait_event(gated.asked, child, "the refresh request")
    kill(child)
    gated.release.set()
    assert stored_pair(db) == ("access-0", "refresh-0", None)
    pair = restarted_pair(db)
    assert (pair.access_token, pair.refresh_token) == ("access-0", "refresh-0")


async def test_sigkill_after_the_refresh_keeps_the_new_pair_for_the_restart(tmp_path, gated):
    db = tmp_path / "kb.sqlite"
    child = spawn(REFRESHER, str(db), gated.url, APP_ID, APP_SECRET)
    gated.release.set()
    line = await asyncio.to_thread(child.stdout.readline)
    assert line.strip() == "refreshed"
    kill(child)
    access, refresh, expires_at = stored_pair(db)
    assert (access, refresh) == (f"access-{refresh.split('-')[1]}", gated.refresh_token)
    assert expires_at > time.time()
    pair = restarted_pair(db)  # the stored pair is newer than the environment's and wins
    assert (pair.access_token, pair.refresh_token) == (access, refresh)


@pytest.mark.parametrize("delay", [0.0, 0.001, 0.003, 0.01])
async def test_sigkill_around_the_save_leaves_one_complete_pair(tmp_path, gated, delay):
    db = tmp_path / "kb.sqlite"
    child = spawn(REFRESHER, str(db), gated.url, APP_ID, APP_SECRET)
    await wait_event(gated.asked, child, "the refresh request")
    gated.release.set()
    await gated.answered.wait()
    time.sleep(delay)  # somewhere between reading the answer and committing the new pair
    kill(child)
    access, refresh, expires_at = stored_pair(db)
    if refresh == "refresh-0":
        assert (access, expires_at) == ("access-0", None)
    else:
        assert refresh == gated.refresh_token and access == "access-" + refresh.split("-")[1]
        assert expires_at is not None
    pair = restarted_pair(db)
    assert (pair.access_token, pair.refresh_token) == (access, refresh)
