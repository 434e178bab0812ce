"""Answering in worker processes (bot/workers.py): the same answers as in the main process, staff
edits seen on the next question, a killed worker replaced without losing the question, many
questions at once while staff edit without "database is locked", one query-log row per answer, and
``run_bot.py run`` stopping at once on Ctrl-C. Real SQLite files, real processes."""
import asyncio
import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace

import pytest

from bot.settings import SettingsError, load_settings
from bot.workers import AnswerPool
from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage
from knowledge import management
from knowledge.store import KnowledgeBase
from support import ROOT, write
from test_runner import free_port, wait_for

QUESTIONS = [json.loads(line)["q"] for line in
             (ROOT / "tests" / "data" / "citizen-questions.jsonl").read_text(encoding="utf-8").splitlines()]
CONFIG = ConversationConfig(rate_limit_messages=1_000_000)


@pytest.fixture
def pool(sample_kb):
    pool = AnswerPool(sample_kb.path, "matcher", 2)
    yield pool
    pool.close()


def ask(text: str, user: str = "citizen") -> IncomingMessage:
    return IncomingMessage("web", user, user, text)


def shown(reply) -> tuple:
    """What the citizen sees of a reply (its query-log row id aside)."""
    return reply.as_json(), reply.contact_card, reply.offers_handover


def log_rows(kb: KnowledgeBase, text: str) -> int:
    return next(kb.iter_rows("SELECT count(*) AS n FROM query_log WHERE question = ?", [text]))["n"]


@pytest.mark.parametrize("engine", ["combined", "matcher", "fitted"])
async def test_answers_from_the_workers_are_the_answers_of_the_main_process(sample_kb, engine):
    config = replace(CONFIG, answer_engine=engine)
    pool = AnswerPool(sample_kb.path, engine, 2)
    try:
        here, there = Conversation(sample_kb, config), Conversation(sample_kb, config, pool.match)
        for question in QUESTIONS:  # one chat, in order: follow-ups carry the topic to the worker
            [expected] = here.respond(ask(question))
            [reply] = await there.respond_async(ask(question))
            assert shown(reply) == shown(expected), question
    finally:
        pool.close()


async def test_a_staff_edit_is_answered_by_every_worker_on_the_next_question(sample_kb, pool, tmp_path):
    question = "Lịch tiếp nhận hồ sơ thử nghiệm số 7 của Sở thế nào?"
    assert "mã K7" not in (await pool.match(question)).text
    staff = KnowledgeBase.open(sample_kb.path)  # another connection, as the admin pages or the CLI
    faq_id = management.add_faq(staff, "lan", question, [], "Lịch thử nghiệm: mã K7-v1.")
    # as many questions at once as there are workers, twice over: each worker answers one
    matches = await asyncio.gather(*(pool.match(question) for _ in range(8)))
    assert all("K7-v1" in m.text for m in matches)
    management.update_faq(staff, "lan", faq_id, question, [], "Lịch thử nghiệm: mã K7-v2.")
    assert all("K7-v2" in m.text for m in await asyncio.gather(*(pool.match(question) for _ in range(8))))
    write(tmp_path, "lich.md", "# Lịch tiếp công dân của Sở năm 2031\n\nNgày đăng: 02/01/2031\n\n"
                               "Lãnh đạo Sở tiếp công dân vào sáng thứ Ba hằng tuần tại phòng họp số 9.\n")
    management.upload_article(staff, "lan", "lich.md", (tmp_path / "lich.md").read_bytes())
    matches = await asyncio.gather(*(pool.match("lãnh đạo sở tiếp công dân vào thứ mấy") for _ in range(8)))
    assert all("phòng họp số 9" in m.text for m in matches)
    staff.close()


async def test_a_killed_worker_is_replaced_and_the_questions_in_flight_are_answered(sample_kb, caplog):
    before = {p.pid for p in multiprocessing.active_children()}  # other tests' workers may still be exiting
    pool = AnswerPool(sample_kb.path, "matcher", 2)
    conversation = Conversation(sample_kb, CONFIG, pool.match)
    await conversation.respond_async(ask("xin chào"))  # the workers are up
    [victim, *_] = [p for p in multiprocessing.active_children() if p.pid not in before]
    questions = [f"{QUESTIONS[i % len(QUESTIONS)]} #k{i}" for i in range(60)]
    flying = [asyncio.create_task(conversation.respond_async(ask(q, f"u{i}"))) for i, q in enumerate(questions)]
    await asyncio.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    replies = [reply for [reply] in await asyncio.gather(*flying)]
    assert not [r for r in replies if texts.ERROR in r.text]
    assert "stopped unexpectedly" in caplog.text
    assert victim.pid not in {p.pid for p in multiprocessing.active_children()}
    assert [log_rows(sample_kb, q) for q in questions] == [1] * len(questions)  # asked again, logged once
    [after] = await conversation.respond_async(ask("sdt so khcn"))
    assert after.kind == "contact"
    pool.close()


async def test_a_failure_in_a_worker_becomes_an_apology_and_the_next_question_works(sample_kb, pool):
    conversation = Conversation(sample_kb, CONFIG, pool.match)
    sample_kb.conn.execute("ALTER TABLE passages RENAME TO passages_gone")
    [apology] = await conversation.respond_async(ask("hội nghị giao ban lần 13 ngày nào"))
    assert apology.kind == "notice" and texts.ERROR in apology.text
    sample_kb.conn.execute("ALTER TABLE passages_gone RENAME TO passages")
    [reply] = await conversation.respond_async(ask("hội nghị giao ban lần 13 ngày nào"))
    assert reply.answered and "31/10/2017" in reply.text


async def test_a_question_no_worker_can_answer_gets_the_apology(tmp_path, sample_kb):
    broken = AnswerPool(str(tmp_path / "missing" / "kb.sqlite"), "matcher", 1)  # every worker fails to start
    try:
        [reply] = await Conversation(sample_kb, CONFIG, broken.match).respond_async(ask("sdt so khcn"))
    finally:
        broken.close()
    assert reply.kind == "notice" and texts.ERROR in reply.text and "0292.3820674" in reply.text


async def test_many_questions_while_staff_edit_never_lock_the_database(sample_kb, pool, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    conversation = Conversation(sample_kb, CONFIG, pool.match)
    stop, failures, edits = threading.Event(), [], []

    def staff() -> None:  # another process's connection would behave the same: WAL, busy timeout
        kb = KnowledgeBase.open(sample_kb.path)
        n = 0
        try:
            while not stop.is_set():
                n += 1
                faq_id = management.add_faq(kb, "lan", f"Đợt kiểm tra số {n} diễn ra khi nào?", [], f"Đợt {n}.")
                management.update_faq(kb, "lan", faq_id, f"Đợt kiểm tra số {n} diễn ra khi nào?", [], f"Đợt {n}b.")
                management.upload_article(kb, "lan", "dot.md", f"# Đợt kiểm tra {n}\n\nĐợt {n} diễn ra.\n".encode())
                management.remove_faq(kb, "lan", faq_id)
                edits.append(n)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(exc))
        finally:
            kb.close()

    editor = threading.Thread(target=staff)
    editor.start()
    questions = [f"{QUESTIONS[i % len(QUESTIONS)]} #c{i}" for i in range(400)]
    slots = asyncio.Semaphore(50)  # 50 citizens at a time

    async def citizen(i: int, question: str):
        async with slots:
            return await conversation.respond_async(ask(question, f"c{i}"))

    try:
        replies = [reply for [reply] in await asyncio.gather(*(citizen(i, q) for i, q in enumerate(questions)))]
    finally:
        stop.set()
        editor.join(30)
    assert not failures and len(edits) >= 3
    assert not [r for r in replies if texts.ERROR in r.text] and "locked" not in caplog.text
    assert all(r.log_id for r in replies)
    assert [log_rows(sample_kb, q) for q in questions] == [1] * len(questions)


def test_the_number_of_workers_comes_from_the_settings_or_the_environment():
    assert load_settings(environ={}).workers() == len(os.sched_getaffinity(0))  # 0: one per core
    assert load_settings(environ={"SERVER_WORKERS": "1"}).workers() == 1
    assert load_settings(environ={"SERVER_WORKERS": "3"}).workers() == 3
    with pytest.raises(SettingsError, match="SERVER_WORKERS"):
        load_settings(environ={"SERVER_WORKERS": "-2"}).workers()


@pytest.mark.parametrize("workers, children", [("2", 3), ("1", 0)])  # 1: answered on the event loop
def test_run_answers_in_worker_processes_and_stops_at_once_on_ctrl_c(tmp_path, workers, children):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(WEB_PORT=str(port), KB_DB_PATH=str(tmp_path / "kb.sqlite"), SERVER_WORKERS=workers)
    process = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/ask", method="POST",
                                         data=json.dumps({"question": "sdt so khcn"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["kind"] == "contact"
        spawned = open(f"/proc/{process.pid}/task/{process.pid}/children").read().split()
        assert len(spawned) == children  # the workers and multiprocessing's resource tracker
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        started = time.monotonic()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and time.monotonic() - started < 5, err
    assert "Đã dừng bot." in out and "Traceback" not in err
    deadline = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{pid}") for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in spawned if os.path.exists(f"/proc/{pid}")]
