"""Writes behind the replies (knowledge.write_behind): while another process holds SQLite's write
lock (a staff import), a citizen still gets the answer with its log id, and the row, a rating of it
and a hand-over state follow once the lock is free, in order; an id another process took meanwhile
is not reused; closing writes what is queued. A web chat page asking for staff's answers when none
wait takes no write lock, and neither a staff edit, a question left for staff, a sign-in nor the record of a
delivered staff answer waiting for the lock holds up another citizen."""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import pytest

from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage
from bot.channels.handover_delivery import DELIVERED, Delivery, Outcome
from knowledge import handover
from knowledge.write_behind import WriteBehind
from web_support import add_user, csrf, login, start_client

ANSWERED = "Số điện thoại của Sở là gì?"


@pytest.fixture
def writes(sample_kb):
    writes = WriteBehind(sample_kb.path)
    yield writes
    writes.close()


@pytest.fixture
def conversation(sample_kb, writes):
    return Conversation(sample_kb, ConversationConfig(rate_limit_messages=1000), writes=writes)


@pytest.fixture
def staff_lock(sample_kb):
    """Another process's write transaction (a staff import), held until ``release`` is called."""
    other = sqlite3.connect(sample_kb.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    class Lock:
        released = False

        def release(self, after: float = 0.0) -> None:
            threading.Timer(after, self._commit).start() if after else self._commit()

        def _commit(self) -> None:
            if not self.released:
                self.released = True
                other.execute("COMMIT")

    lock = Lock()
    yield lock
    lock.release()
    other.close()


@contextlib.contextmanager
def upload_writing(kb):
    """Another connection's write transaction (a staff upload being written) for the ``with`` block."""
    upload = sqlite3.connect(kb.path, isolation_level=None)
    upload.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        upload.execute("COMMIT")
        upload.close()


def written(writes: WriteBehind) -> None:
    """Wait until everything queued so far is written."""
    writes.call(lambda kb: None).result()


def say(conversation: Conversation, text: str, user: str = "lan"):
    [reply] = conversation.respond(IncomingMessage("web", user, user, text, deliver_via=""))
    return reply


def log_rows(kb) -> list[dict]:
    return list(kb.iter_rows("SELECT id, question, kind, answered, user_hash FROM query_log ORDER BY id"))


def test_an_answer_does_not_wait_for_a_staff_import_and_its_row_follows(conversation, sample_kb, writes, staff_lock):
    reply = say(conversation, ANSWERED)
    assert reply.answered and reply.log_id is not None  # given while the lock is held
    assert log_rows(sample_kb) == []  # not written yet
    staff_lock.release()
    written(writes)
    assert log_rows(sample_kb) == [{"id": reply.log_id, "question": ANSWERED, "kind": "contact", "answered": 1,
                                    "user_hash": sample_kb.hash_user("web:lan")}]


async def test_a_rating_given_before_the_row_is_written_is_kept(conversation, sample_kb, staff_lock):
    reply = say(conversation, ANSWERED)
    staff_lock.release(after=0.2)
    thanks = await conversation.feedback(IncomingMessage("web", "lan", "lan", None), reply.log_id, 1)
    assert thanks.text == texts.FEEDBACK_THANKS[1]
    assert next(sample_kb.iter_rows("SELECT feedback FROM query_log WHERE id = ?", [reply.log_id]))["feedback"] == 1


def test_a_refused_question_left_behind_is_handed_over_by_the_next_message(conversation, sample_kb, staff_lock):
    refused = say(conversation, "Giá vàng hôm nay bao nhiêu?")
    assert refused.offers_handover
    staff_lock.release(after=0.2)
    reply = say(conversation, texts.HANDOVER_BUTTON)  # reads what the refusal left, once it is written
    assert reply.text.startswith(texts.HANDOVER_CONFIRM.split("{")[0] + "Giá vàng hôm nay bao nhiêu?")


async def test_an_id_taken_by_another_process_is_not_given_again(conversation, sample_kb, writes):
    other = sqlite3.connect(sample_kb.path, isolation_level=None)  # the admin's demo rows, from the command line
    try:
        other.execute("BEGIN IMMEDIATE")
        first = say(conversation, ANSWERED)  # queued with the next id
        second = say(conversation, "Email của Sở là gì?")  # and the one after
        taken = other.execute("INSERT INTO query_log (ts, channel, user_hash, question, kind, answered) "
                              "VALUES ('2026-11-30T00:00:00+00:00', 'cli', 'demo', 'demo', 'faq', 1)").lastrowid
        other.execute("COMMIT")
    finally:
        other.close()
    third = say(conversation, "Địa chỉ của Sở ở đâu?")
    written(writes)
    questions = {row["id"]: row["question"] for row in log_rows(sample_kb)}
    assert first.log_id == taken and questions[taken] == "demo"  # the other process's row is kept
    assert questions[second.log_id] == "Email của Sở là gì?" and questions[third.log_id] == "Địa chỉ của Sở ở đâu?"
    assert sorted(questions.values()) == sorted(["demo", ANSWERED, "Email của Sở là gì?", "Địa chỉ của Sở ở đâu?"])
    rating = await conversation.feedback(IncomingMessage("web", "lan", "lan", None), first.log_id, 1)
    assert rating.text == texts.FEEDBACK_EXPIRED  # never the other process's row


def test_closing_writes_what_is_queued(conversation, sample_kb, writes, staff_lock):
    ids = [say(conversation, ANSWERED, user=f"u{i}").log_id for i in range(5)]
    staff_lock.release(after=0.2)
    writes.close()
    assert [r["id"] for r in log_rows(sample_kb)] == ids
    with pytest.raises(RuntimeError):
        writes.log({})


async def test_a_chat_page_asking_for_staff_answers_when_none_wait_needs_no_write_lock(client, staff_lock):
    response = await client.get("/api/messages", params={"session": "w-lan"})
    assert response.status == 200 and await response.json() == {"messages": []}


async def test_a_staff_edit_waiting_for_the_lock_holds_up_no_citizen(sample_kb, writes):
    add_user(sample_kb, "lan", "staff")
    client = await start_client(sample_kb, writes)
    try:
        assert (await login(client, "lan")).status == 303
        form = {"csrf": await csrf(client, "/admin/faqs/new"), "question": "Sở có chỗ gửi xe máy không?",
                "alternates": "", "answer": "Có, khu gửi xe ở cổng sau."}
        with upload_writing(sample_kb):
            saving = asyncio.create_task(client.post("/admin/faqs/new", data=form, allow_redirects=False))
            await asyncio.sleep(0.05)  # the edit is waiting for the lock
            asked = await client.post("/api/ask", json={"question": ANSWERED})
            assert asked.status == 200 and (await asked.json())["answered"] and not saving.done()
        assert (await saving).status == 303
        assert "Sở có chỗ gửi xe máy không?" in [faq.question for faq in sample_kb.faqs()]
    finally:
        await client.close()


async def test_a_question_left_for_staff_during_an_import_holds_up_no_citizen(conversation, sample_kb, staff_lock):
    """The request is stored before the citizen is told, by the writer: other conversations go on meanwhile."""
    def message(user: str, text: str) -> IncomingMessage:
        return IncomingMessage("web", user, user, text, deliver_via="")
    await conversation.respond_async(message("lan", "Giá vàng hôm nay bao nhiêu?"))  # refused: offered to staff
    staff_lock.release(after=1.0)
    leaving = asyncio.create_task(conversation.respond_async(message("lan", texts.HANDOVER_BUTTON)))
    await asyncio.sleep(0.05)  # the request waits for the lock
    [answered] = await conversation.respond_async(message("mai", ANSWERED))
    assert answered.answered and not leaving.done()
    [confirmed] = await leaving
    assert confirmed.text.startswith(texts.HANDOVER_CONFIRM.split("{")[0] + "Giá vàng hôm nay bao nhiêu?")
    assert [r["question"] for r in sample_kb.iter_rows("SELECT question FROM handover_requests")] == [
        "Giá vàng hôm nay bao nhiêu?"]


async def test_a_sign_in_waiting_for_the_lock_holds_up_no_citizen(sample_kb, writes):
    """A failed sign-in is counted by the writer thread (and its scrypt check runs off the event loop)."""
    add_user(sample_kb, "lan", "staff")
    client = await start_client(sample_kb, writes)
    try:
        with upload_writing(sample_kb):
            signing_in = asyncio.create_task(login(client, "lan", "sai-mat-khau"))
            await asyncio.sleep(0.3)  # past the password check: the failure waits for the lock
            asked = await client.post("/api/ask", json={"question": ANSWERED})
            assert asked.status == 200 and (await asked.json())["answered"] and not signing_in.done()
        assert (await signing_in).status == 401
        assert sample_kb.conn.execute("SELECT failures FROM login_failures").fetchone()[0] == 1
    finally:
        await client.close()


async def test_an_answer_delivered_during_an_import_holds_up_no_citizen(conversation, sample_kb, writes):
    """The delivery loop records what it sent by the writer thread: the event loop goes on meanwhile."""
    class Chat:
        name = "telegram"
        sent: list[tuple[str, str]] = []

        async def deliver(self, address: str, text: str) -> Outcome:
            self.sent.append((address, text))
            return DELIVERED
    request_id = handover.open_request(sample_kb, "telegram", "telegram", "42", "hash", "Giá vàng hôm nay?")
    handover.answer(sample_kb, request_id, "Sở không theo dõi giá vàng.", "web:lan")
    with upload_writing(sample_kb):
        delivering = asyncio.create_task(Delivery(sample_kb, [Chat()], writes=writes).deliver_due())
        await asyncio.sleep(0.05)  # sent; its record waits for the lock
        [answered] = await conversation.respond_async(IncomingMessage("web", "mai", "mai", ANSWERED))
        assert answered.answered and Chat.sent and not delivering.done()
    await delivering
    assert handover.due(sample_kb, ["telegram"]) == []  # recorded as delivered: not sent twice
