"""The durable inbox (bot/channels/inbox.py): updates kept until answered and resumed after a reopen,
delivery ids recognised across a reopen and forgotten after the redelivery window, a poison update
dropped after a few attempts, a bounded backlog, updates recorded while a staff import holds the
knowledge base's write lock (the inbox has a file of its own), rows an older version left in the
knowledge base's file moved once; and, end to end, ``run_bot.py run`` killed with
SIGKILL in the middle of a burst of webhook updates on Telegram, Zalo OA and Zalo Bot at once, then
restarted: every update acknowledged with 200 is answered exactly once (counted at the fakes).

Each test uses a real SQLite file in ``tmp_path``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
import pytest
from fake_telegram import FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA, now_ms, oa_signature
from support import ROOT

from bot.channels.inbox import KEEP_SEEN_SECONDS, MAX_ATTEMPTS, Inbox, Item, Refused, inbox_path
from knowledge.store import KnowledgeBase


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "kb.sqlite"
    KnowledgeBase.open(path).close()
    return path


def reopened(db: Path, channel: str = "zalo_bot", **options) -> tuple[KnowledgeBase, Inbox]:
    """What a restarted bot opens: a new connection, a new inbox."""
    kb = KnowledgeBase.open(db)
    return kb, Inbox(kb, channel, **options)


def left_in(db: Path, channel: str = "zalo_bot") -> list:
    """What a restart would resume."""
    kb, inbox = reopened(db, channel)
    try:
        return inbox.resume()
    finally:
        kb.close()


async def answer(payload) -> None:
    await asyncio.sleep(0)


async def killed_while_answering(inbox: Inbox, item) -> None:
    """What a process killed in the middle of an answer leaves behind: the attempt counted, the
    answer never finished (the task is cancelled, as a stopping bot does)."""
    task = asyncio.create_task(inbox.work(item, lambda payload: asyncio.Event().wait()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ----- the inbox on its own -------------------------------------------------------------------------
async def test_an_update_stays_until_answered_and_a_restart_resumes_the_rest(db):
    kb, inbox = reopened(db)
    first = inbox.accept("m-1", {"message": {"text": "sđt sở"}})
    second = inbox.accept("m-2", {"message": {"text": "địa chỉ sở"}})
    third = inbox.accept(None, {"message": {"text": "không có mã"}})  # no id: kept, never recognised
    await inbox.work(first, answer)
    await killed_while_answering(inbox, second)
    kb.close()

    kb, inbox = reopened(db)
    try:
        resumed = inbox.resume()
        assert [(i.id, i.payload) for i in resumed] == [(second.id, second.payload), (third.id, third.payload)]
        assert inbox.resume() == []  # taken once by this process
        for item in resumed:
            await inbox.work(item, answer)
    finally:
        kb.close()
    assert left_in(db) == []


async def test_a_delivery_id_is_recognised_after_a_restart_and_kept_apart_per_channel(db):
    kb, inbox = reopened(db)
    item = inbox.accept("42", {"update_id": 42})
    await inbox.work(item, answer)
    assert inbox.accept("42", {"update_id": 42}) is None
    kb.close()
    kb, inbox = reopened(db)
    try:
        assert inbox.accept("42", {"update_id": 42}) is None
        assert Inbox(kb, "telegram").accept("42", {"update_id": 42}) is not None
        # the table holds a hash of the id, never the id (the OA's fallback id names the citizen)
        keys = [row[0] for row in inbox.conn.execute("SELECT key FROM inbox_seen")]
        assert len(keys) == 2 and "42" not in keys
    finally:
        kb.close()


async def test_delivery_ids_are_forgotten_after_the_redelivery_window(db):
    clock = Clock()
    kb, inbox = reopened(db, clock=clock)
    try:
        await inbox.work(inbox.accept("old", {}), answer)
        clock.now += KEEP_SEEN_SECONDS - 60
        await inbox.work(inbox.accept("recent", {}), answer)
        assert inbox.prune() == 0
        clock.now += 120
        assert inbox.prune() == 1  # "old" is past the window, "recent" is not
        assert inbox.accept("recent", {}) is None
        assert inbox.accept("old", {}) is not None
        clock.now += KEEP_SEEN_SECONDS + 1  # accepting prunes by itself now and then
        inbox.accept("new", {})
        assert inbox.conn.execute("SELECT count(*) FROM inbox_seen").fetchone()[0] == 1
    finally:
        kb.close()


async def test_a_poison_update_is_dropped_with_a_log_line_after_a_few_attempts(db, caplog):
    kb, inbox = reopened(db)
    poison = inbox.accept("poison", {"text": "kills the bot"})
    healthy = inbox.accept("healthy", {"text": "xin chào"})
    await killed_while_answering(inbox, poison)
    kb.close()
    for attempt in range(2, MAX_ATTEMPTS + 1):  # each restart tries it again, and dies again
        kb, inbox = reopened(db)
        resumed = inbox.resume()
        assert [i.id for i in resumed] == ([poison.id, healthy.id] if attempt == 2 else [poison.id])
        if attempt == 2:
            await inbox.work(resumed[1], answer)
        await killed_while_answering(inbox, resumed[0])
        kb.close()
    caplog.set_level(logging.WARNING, "bot.channels.inbox")
    kb, inbox = reopened(db)
    try:
        assert inbox.resume() == []
        assert f"zalo_bot: dropped update {poison.id}" in caplog.text
        assert f"started {MAX_ATTEMPTS} times" in caplog.text and "kills the bot" not in caplog.text
        assert inbox.conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 0
        assert inbox.accept("poison", {}) is None  # a redelivery of it is still recognised
    finally:
        kb.close()


async def test_an_answer_that_raises_is_logged_once_and_the_others_go_on(db, caplog):
    kb, inbox = reopened(db)
    answered = []

    async def handle(payload):
        if payload == "bad":
            raise RuntimeError("broken answer")
        await asyncio.sleep(0.01)
        answered.append(payload)

    try:
        items = [inbox.accept(str(i), "bad" if i == 3 else i) for i in range(6)]
        await asyncio.gather(*(inbox.work(item, handle) for item in items))
        assert sorted(answered) == [0, 1, 2, 4, 5]
        assert "answering update" in caplog.text and "broken answer" in caplog.text
        assert inbox.resume() == [] and left_in(db) == []  # not tried again
    finally:
        kb.close()


async def test_the_backlog_is_bounded_for_webhooks_only(db):
    kb, inbox = reopened(db, max_backlog=2)
    try:
        items = [inbox.accept("a", 1, bounded=True), inbox.accept("b", 2, bounded=True)]
        assert inbox.full()
        with pytest.raises(Refused):
            inbox.accept("c", 3, bounded=True)
        assert inbox.accept("d", 4) is not None  # polling is not refused: the update is already fetched
        await inbox.work(items[0], answer)
        await inbox.work(items[1], answer)
        assert inbox.accept("c", 3, bounded=True) is not None  # "c" was not marked as seen when refused
    finally:
        kb.close()


async def test_a_database_that_cannot_be_written_refuses_the_update(db):
    kb, inbox = reopened(db)
    inbox.conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(inbox_path(str(db)), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # someone else holds the write lock for too long
        with pytest.raises(Refused):
            inbox.accept("m-1", {})
        other.execute("ROLLBACK")
        assert inbox.accept("m-1", {}) is not None  # not marked as seen by the failed try
    finally:
        other.close()
        kb.close()


def test_an_update_is_recorded_while_a_staff_import_holds_the_knowledge_bases_write_lock(db):
    kb, inbox = reopened(db)
    staff = sqlite3.connect(db, isolation_level=None)
    try:
        staff.execute("BEGIN IMMEDIATE")  # a large upload being written
        kb.conn.execute("PRAGMA busy_timeout = 50")  # were the inbox in the same file, it would wait and fail
        item = inbox.accept("m-1", {"text": "sđt sở"})
        assert item is not None and inbox.resume() == [] and left_in(db) == [item]
        staff.execute("ROLLBACK")
    finally:
        staff.close()
        kb.close()


OLD_INBOX = ("CREATE TABLE inbox (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, payload TEXT NOT NULL, "
             "attempts INTEGER NOT NULL DEFAULT 0, received_at REAL NOT NULL)",
             "CREATE TABLE inbox_seen (channel TEXT NOT NULL, key TEXT NOT NULL, seen_at REAL NOT NULL, "
             "PRIMARY KEY (channel, key)) WITHOUT ROWID")


def left_by_an_older_version(db: Path) -> None:
    """An update and its delivery id in the knowledge base's file, where an older version kept them."""
    kb = KnowledgeBase.open(db)
    for statement in OLD_INBOX:
        kb.conn.execute(statement)
    kb.conn.execute("INSERT INTO inbox VALUES (7, 'zalo_bot', ?, 1, 1700000000.0)", (json.dumps({"text": "sđt sở"}),))
    kb.conn.execute("INSERT INTO inbox_seen VALUES ('zalo_bot', ?, ?)",
                    (hashlib.blake2s(b"m-7", digest_size=16).hexdigest(), time.time()))
    kb.close()


def test_updates_an_older_version_left_in_the_knowledge_base_are_moved_once(db):
    left_by_an_older_version(db)
    assert left_in(db) == [Item(7, {"text": "sđt sở"})]
    left_by_an_older_version(db)  # as if the move had stopped before the old tables were dropped
    kb, inbox = reopened(db)
    try:
        assert inbox.resume() == [Item(7, {"text": "sđt sở"})]  # once, not twice
        assert inbox.accept("m-7", {}) is None  # its delivery id moved too
        assert kb.conn.execute("SELECT name FROM sqlite_master WHERE name IN ('inbox', 'inbox_seen')").fetchall() == []
    finally:
        kb.close()


async def test_concurrent_answers_and_another_writer_lose_and_double_nothing(db):
    """Many updates answered at once on the bot's connection while another connection (staff, the
    CLI) writes in a thread: every update answered once, the inbox empty afterwards."""
    kb, inbox = reopened(db)
    staff = KnowledgeBase.open(db)
    stop = threading.Event()

    def edit() -> None:
        while not stop.is_set():
            staff.add_faq("Câu hỏi thử", [], "Trả lời thử")
            time.sleep(0.002)

    answered = Counter()

    async def handle(payload):
        await asyncio.sleep(0.001 * (payload % 5))
        answered[payload] += 1

    writer = threading.Thread(target=edit)
    writer.start()
    try:
        tasks = []
        for n in range(300):
            item = inbox.accept(str(n), n)
            tasks.append(asyncio.create_task(inbox.work(item, handle)))
            if n % 7 == 0:
                inbox.accept(str(n), n)  # delivered again meanwhile
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        writer.join()
        staff.close()
    try:
        assert answered == Counter({n: 1 for n in range(300)})
        assert inbox.conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 0
        assert not inbox.full() and inbox.resume() == []
    finally:
        kb.close()


# ----- SIGKILL in the middle of a burst, on the three channels at once ------------------------------
TG_SECRET = "inbox-test-secret_1"
OA_APP_ID, OA_SECRET, OA_APP_SECRET = "4313412345678901234", "oa-secret-key-for-tests", "app-secret-for-tests"
BOT_TOKEN, BOT_SECRET = "1459232241454765289:fakeBotTokenForInbox", "zalo-bot-webhook-secret"
# each answered in one message, so that one reply per citizen means one answer per update
QUESTIONS = ["sđt sở khcn", "email của sở", "xin chào", "địa chỉ sở ở đâu"]
PER_CHANNEL = 40
HOLD_AFTER = 3  # replies a platform takes before it starts holding the bot's messages in flight
WAITING_AT_KILL = 5  # acknowledged, unanswered updates per channel when the bot is killed
POSTERS = 4  # concurrent deliveries per platform


@dataclass
class Platform:
    """One chat platform as the test plays it: its fake, the updates it delivers (one citizen each),
    how it posts one to the bot, and the citizen of an update."""
    name: str
    fake: object
    updates: list[dict]
    post: Callable[[aiohttp.ClientSession, str, dict], Awaitable[int]]
    citizen: Callable[[dict], str]
    acknowledged: dict[str, bool] = field(default_factory=dict)

    def waiting(self) -> int:
        """Updates acknowledged with 200 and not answered yet."""
        replies = self.replies()
        return sum(1 for who, ok in self.acknowledged.items() if ok and not replies[who])

    def replies(self) -> Counter:
        if isinstance(self.fake, FakeTelegram):
            return Counter(str(call.params["chat_id"]) for call in self.fake.sent())
        return Counter(to for to, _text in self.fake.messages)


async def post_telegram(session: aiohttp.ClientSession, base: str, update: dict) -> int:
    async with session.post(base + "/telegram/webhook", json=update,
                            headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}) as response:
        return response.status


async def post_oa(session: aiohttp.ClientSession, base: str, event: dict) -> int:
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json",
               "X-ZEvent-Signature": oa_signature(OA_APP_ID, body, event["timestamp"], OA_SECRET)}
    async with session.post(base + "/zalo/oa/webhook", data=body, headers=headers) as response:
        return response.status


async def post_zalo_bot(session: aiohttp.ClientSession, base: str, update: dict) -> int:
    body = json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": BOT_SECRET}
    async with session.post(base + "/zalo/bot/webhook", data=body, headers=headers) as response:
        return response.status


def platforms(telegram: FakeTelegram, oa: FakeZaloOA, zbot: FakeZaloBot) -> list[Platform]:
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(PER_CHANNEL)]
    return [
        Platform("telegram", telegram,
                 [{"update_id": 880001 + i, **telegram.text_update(q, user_id=610001 + i)}
                  for i, q in enumerate(questions)],
                 post_telegram, lambda update: str(update["message"]["chat"]["id"])),
        Platform("zalo_oa", oa,
                 [{"app_id": OA_APP_ID, "event_name": "user_send_text", "timestamp": now_ms(),
                   "sender": {"id": f"25125236{i:08d}"}, "recipient": {"id": "579745863508352884"},
                   "message": {"text": q, "msg_id": f"oa-msg-{i}"}} for i, q in enumerate(questions)],
                 post_oa, lambda event: event["sender"]["id"]),
        Platform("zalo_bot", zbot,
                 [FakeZaloBot.update(f"chat{i:04d}", q, message_id=f"zb-msg-{i}") for i, q in enumerate(questions)],
                 post_zalo_bot, lambda update: update["message"]["chat"]["id"]),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_environment(db: Path, port: int, telegram: FakeTelegram, oa: FakeZaloOA, zbot: FakeZaloBot) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(KB_DB_PATH=str(db), WEB_PORT=str(port), LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
               TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
               TELEGRAM_WEBHOOK_URL="https://chatbot.example.gov.vn/telegram/webhook",
               TELEGRAM_API_BASE_URL=telegram.base_url,
               ZALO_OA_APP_ID=OA_APP_ID, ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_APP_SECRET=OA_APP_SECRET,
               ZALO_OA_ACCESS_TOKEN="access-0", ZALO_OA_REFRESH_TOKEN="refresh-0",
               ZALO_OA_API_BASE_URL=oa.url, ZALO_OAUTH_BASE_URL=oa.url,
               ZALO_BOT_TOKEN=BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET=BOT_SECRET, ZALO_BOT_API_BASE_URL=zbot.url,
               ZALO_BOT_WEBHOOK_URL="https://chatbot.example.gov.vn/zalo/bot/webhook")
    return env


async def start_bot(env: dict, log_path: Path) -> subprocess.Popen:
    """``run_bot.py run`` with every channel on, once it says all three are running (the fakes
    answer its start-up calls meanwhile, on this event loop)."""
    with open(log_path, "w") as log_file:
        process = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "run"], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    await until(lambda: all(f"Kênh {name}: đang chạy" in log_path.read_text() for name in
                            ("telegram", "zalo_oa", "zalo_bot")), 30, "the bot's start", process, log_path)
    return process


async def until(condition, timeout: float, what: str, process: subprocess.Popen | None = None,
                log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the bot ended before {what}:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f":\n{log_path.read_text()}" if log_path else ""))
        await asyncio.sleep(0.005)


async def burst(session: aiohttp.ClientSession, base: str, platform: Platform) -> None:
    """The platform delivers its updates, several at a time, noting which got a 200."""
    updates = iter(platform.updates)

    async def poster() -> None:
        for update in updates:
            try:
                status = await platform.post(session, base, update)
            except (aiohttp.ClientError, asyncio.TimeoutError):  # the bot died under it
                status = None
            platform.acknowledged[platform.citizen(update)] = status == 200
            await asyncio.sleep(0.01)

    await asyncio.gather(*(poster() for _ in range(POSTERS)))


def inbox_rows(db: Path) -> list[tuple[str, dict]]:
    conn = sqlite3.connect(inbox_path(str(db)))
    try:
        return [(channel, json.loads(payload)) for channel, payload in
                conn.execute("SELECT channel, payload FROM inbox ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
async def fakes():
    telegram = await FakeTelegram().start()
    oa = await FakeZaloOA(OA_APP_ID, OA_APP_SECRET, "access-0", "refresh-0").start()
    zbot = await FakeZaloBot(BOT_TOKEN).start()
    yield telegram, oa, zbot
    for fake in (telegram, oa, zbot):
        fake.release()
        await fake.close()


async def test_sigkill_mid_burst_then_restart_answers_every_acknowledged_update_exactly_once(tmp_path, fakes):
    db, base_port = tmp_path / "kb.sqlite", free_port()
    env, base = bot_environment(db, base_port, *fakes), f"http://127.0.0.1:{base_port}"
    chans = platforms(*fakes)
    by_name = {p.name: p for p in chans}
    process = await start_bot(env, tmp_path / "first.log")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            posting = [asyncio.create_task(burst(session, base, p)) for p in chans]
            # Each platform takes a few replies, then holds the bot's next messages in flight. The kill
            # comes once every platform holds one and the bot has recorded as answered every update whose
            # reply a platform took: the one window no code can close (a reply taken, the process killed
            # before it records that) is left out, as tests/test_crash_safety.py leaves out the OA's.
            for p in chans:
                await until(lambda: sum(p.replies().values()) >= HOLD_AFTER, 20, f"{p.name}'s first replies",
                            process, tmp_path / "first.log")
                p.fake.hold()

            def replied_but_kept() -> bool:
                return any(by_name[channel].replies()[by_name[channel].citizen(payload)]
                           for channel, payload in inbox_rows(db))

            await until(lambda: all(p.fake.held and p.waiting() >= WAITING_AT_KILL for p in chans)
                        and not replied_but_kept(), 20, "a backlog and replies in flight on every channel",
                        process, tmp_path / "first.log")
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)
            await asyncio.gather(*posting)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

    before = {p.name: p.replies() for p in chans}
    left = inbox_rows(db)
    for p in chans:
        kept = {p.citizen(payload) for channel, payload in left if channel == p.name}
        waiting = {who for who, ok in p.acknowledged.items() if ok and not before[p.name][who]}
        assert len(waiting) >= WAITING_AT_KILL
        assert waiting <= kept, f"{p.name}: acknowledged, unanswered and not in the inbox: {waiting - kept}"
        assert not any(before[p.name][who] for who in kept)
        assert all(count == 1 for count in before[p.name].values())
        p.fake.release()

    process = await start_bot(env, tmp_path / "second.log")
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            # the platforms deliver again what was not acknowledged, and (as after a lost 200) the rest
            for p in chans:
                for update in p.updates:
                    assert await p.post(session, base, update) == 200
        for p in chans:
            await until(lambda: len(p.replies()) == PER_CHANNEL, 20, f"{p.name}'s replies",
                        process, tmp_path / "second.log")
        await asyncio.sleep(0.5)  # time for a (wrong) second answer
        for p in chans:
            assert p.replies() == Counter({p.citizen(u): 1 for u in p.updates}), p.name
        assert inbox_rows(db) == []
        log_text = (tmp_path / "second.log").read_text()
        for p in chans:
            resumed = sum(1 for channel, _ in left if channel == p.name)
            assert f"{p.name}: answering {resumed} update(s) left unanswered by the previous run" in log_text
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 20)
    assert process.returncode == 0, (tmp_path / "second.log").read_text()
    assert "Traceback" not in (tmp_path / "second.log").read_text()
