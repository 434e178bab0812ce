"""Zalo Bot API channel end to end against a local fake of the Bot API over real HTTP: long
polling, and the webhook with the right, a wrong and a missing secret."""
from __future__ import annotations

import contextlib
import json
import sqlite3

import pytest
from fake_zalo import FakeZaloBot
from support import serving

from bot.channels import zalo_bot
from bot.channels.inbox import MAX_BACKLOG, inbox_path
from bot.runner import channel_factories
from bot.settings import load_settings
from bot.web.app import create_app
from bot.channels.zalo_common import MAX_TEXT
from handlers import texts
from handlers.conversation import Conversation
from knowledge.store import KnowledgeBase

TOKEN = "1459232241454765289:fakeBotTokenForTests"
SECRET = "webhook-secret-for-tests"
PUBLIC_URL = "https://chatbot.sokhcn.example.gov.vn/zalo/bot/webhook"
CHAT = "e4ea2cd5189df1c3a88c"
PHONE_QUESTION = "Số điện thoại của Sở là gì?"


@pytest.fixture
async def fake():
    server = FakeZaloBot(TOKEN)
    await server.start()
    yield server
    await server.close()


@contextlib.asynccontextmanager
async def running(kb: KnowledgeBase, fake: FakeZaloBot, **env):
    environ = {"ZALO_BOT_TOKEN": TOKEN, "ZALO_BOT_API_BASE_URL": fake.url, **env}
    settings = load_settings(environ=environ)
    settings.data["zalo"]["bot_poll_timeout_seconds"] = 1
    async with serving(kb, zalo_bot.build, settings) as served:
        yield served


@pytest.fixture
async def polling(sample_kb, fake):
    async with running(sample_kb, fake) as (client, channel):
        yield channel


@pytest.fixture
async def webhook(sample_kb, fake):
    async with running(sample_kb, fake, ZALO_BOT_WEBHOOK_SECRET=SECRET, ZALO_BOT_WEBHOOK_URL=PUBLIC_URL) as pair:
        client, _ = pair
        yield pair, str(client.make_url("/zalo/bot/webhook"))


# ----- long polling ------------------------------------------------------------------------------
async def test_polling_answers_a_text_message(polling, fake, sample_kb):
    await fake.updates.put(fake.update(CHAT, PHONE_QUESTION))
    await fake.wait_for(lambda: fake.messages, what="the reply")
    [(chat_id, text)] = fake.messages
    assert chat_id == CHAT
    assert "Điện thoại: 0292.3820674" in text and "Nguồn:" in text
    methods = [r.path.rsplit("/", 1)[1] for r in fake.requests]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert fake.requests[2].json == {"timeout": "1"}
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake.calls("sendChatAction")[0].json == {"chat_id": CHAT, "action": "typing"}
    assert fake.calls("sendMessage")[0].json == {"chat_id": CHAT, "text": text}
    assert all(r.path.startswith(f"/bot{TOKEN}/") for r in fake.requests)
    [row] = sample_kb.iter_rows("SELECT channel, user_hash, question FROM query_log")
    assert row["channel"] == "zalo" and row["question"] == PHONE_QUESTION and CHAT not in row["user_hash"]


async def test_polling_survives_empty_polls_and_dedupes_message_ids(polling, fake):
    await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 2, timeout=5, what="a second poll after a 408")
    update = fake.update(CHAT, "xin chào", message_id="same-id")
    await fake.updates.put(update)
    await fake.updates.put(update)
    await fake.updates.put(fake.update(CHAT, "cảm ơn"))
    await fake.wait_for(lambda: len(fake.messages) == 2, what="two replies")
    await polling.tasks.wait(5)
    assert [text.split("!")[0] for _, text in fake.messages] == ["Xin chào", "Rất vui được giúp bạn"]


async def test_polling_retries_after_api_errors(sample_kb, fake, caplog):
    fake.token = "another-token"  # the fake refuses ours: getMe and getUpdates fail with 401
    async with running(sample_kb, fake) as (client, channel):
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 2, timeout=5, what="a retried poll")
        assert "getMe failed" in caplog.text and "getUpdates failed (error 401" in caplog.text
        assert TOKEN not in caplog.text
        fake.token = TOKEN
        await fake.updates.put(fake.update(CHAT, PHONE_QUESTION))
        await fake.wait_for(lambda: fake.messages, timeout=8, what="the reply once the token works")


async def test_non_text_messages_get_a_polite_reply(polling, fake):
    await fake.updates.put(fake.update(CHAT, None, event="message.sticker.received"))
    await fake.wait_for(lambda: fake.messages, what="the polite reply")
    assert "chỉ đọc được tin nhắn văn bản" in fake.messages[0][1]


async def test_long_answer_is_split_and_a_digit_picks_a_suggestion(polling, fake, sample_kb):
    paragraph = ("Kết quả kiểm tra được công bố công khai trên cổng thông tin của Sở. " * 10).strip()
    question = "Kết quả kiểm tra chất lượng hàng hóa được công bố ở đâu?"
    sample_kb.add_faq(question, [], "\n\n".join([paragraph] * 5))
    await fake.updates.put(fake.update(CHAT, question))
    await fake.wait_for(lambda: len(fake.messages) >= 3, what="the split answer")
    await polling.tasks.wait(5)
    assert all(len(text) <= MAX_TEXT for _, text in fake.messages)
    await fake.updates.put(fake.update(CHAT, "/start"))
    await fake.wait_for(lambda: "\n1. " in fake.messages[-1][1], what="the greeting with example questions")
    count = len(fake.messages)
    await fake.updates.put(fake.update(CHAT, "1"))
    await fake.wait_for(lambda: len(fake.messages) > count, what="the picked suggestion's answer")
    last = [r["question"] for r in sample_kb.iter_rows("SELECT question FROM query_log ORDER BY id")][-1]
    assert last == texts.EXAMPLE_QUESTIONS[0]


async def test_a_thumbs_down_is_explained_by_a_digit(polling, fake, sample_kb):
    await fake.updates.put(fake.update(CHAT, PHONE_QUESTION))
    await fake.wait_for(lambda: fake.messages, what="the answer")
    await fake.updates.put(fake.update(CHAT, "👎"))
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the reasons after a 👎")
    assert "\n1. Sai thông tin\n2. Không đúng câu hỏi\n3. Khó hiểu\n" in fake.messages[1][1]
    await fake.updates.put(fake.update(CHAT, "3"))
    await fake.wait_for(lambda: len(fake.messages) == 3, what="the thanks for the reason")
    assert fake.messages[2][1] == texts.FEEDBACK_REASON_THANKS
    [row] = sample_kb.iter_rows("SELECT q.feedback, r.reason FROM query_log q "
                                "JOIN query_feedback_reason r ON r.log_id = q.id")
    assert row == {"feedback": -1, "reason": "unclear"}


# ----- webhook -----------------------------------------------------------------------------------
async def test_webhook_with_the_right_secret_is_answered(webhook, fake):
    (client, channel), url = webhook
    assert fake.webhook == {"url": PUBLIC_URL, "secret_token": SECRET}
    assert await fake.deliver(url, fake.update(CHAT, PHONE_QUESTION)) == 200
    await fake.wait_for(lambda: fake.messages, what="the reply")
    assert fake.messages[0][0] == CHAT and "0292.3820674" in fake.messages[0][1]
    assert fake.calls("getUpdates") == []


async def test_the_first_reply_says_what_is_recorded_with_a_link_to_the_privacy_page(webhook, fake):
    (client, channel), url = webhook
    notice = "không kèm danh tính, để cải thiện câu trả lời; xem thêm: https://chatbot.sokhcn.example.gov.vn/privacy"
    assert await fake.deliver(url, fake.update(CHAT, PHONE_QUESTION)) == 200
    await fake.wait_for(lambda: fake.messages, what="the first reply")
    assert fake.messages[-1][1].endswith(notice)
    assert await fake.deliver(url, fake.update(CHAT, "email của sở", message_id="m-2")) == 200
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the second reply")
    assert notice not in fake.messages[-1][1]  # said once, not with every answer


@pytest.mark.parametrize("secret", ["wrong-secret-value", ""])
async def test_webhook_with_a_wrong_or_missing_secret_is_refused(webhook, fake, sample_kb, secret):
    (client, channel), url = webhook
    assert await fake.deliver(url, fake.update(CHAT, PHONE_QUESTION), secret=secret) == 403
    await channel.tasks.wait(5)
    assert fake.messages == [] and fake.calls("sendChatAction") == []
    assert not list(sample_kb.iter_rows("SELECT id FROM query_log"))


@pytest.mark.parametrize("raw", [b"{oops", b"[]", json.dumps({"ok": True, "result": "x"}).encode()])
async def test_webhook_refuses_malformed_bodies(webhook, fake, raw):
    (client, channel), url = webhook
    assert await fake.deliver(url, {}, raw=raw) == 400
    await channel.tasks.wait(5)
    assert fake.messages == []


async def test_webhook_dedupes_redelivered_messages(webhook, fake):
    (client, channel), url = webhook
    update = fake.update(CHAT, "xin chào", message_id="again")
    assert await fake.deliver(url, update) == 200
    assert await fake.deliver(url, update) == 200
    await channel.tasks.wait(5)
    assert len(fake.messages) == 1


async def test_webhook_asks_zalo_to_wait_when_far_behind_or_unable_to_record(webhook, fake, sample_kb):
    (client, channel), url = webhook
    body = json.dumps({"ok": True, "result": fake.update(CHAT, PHONE_QUESTION, message_id="busy-1")})
    headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": SECRET}

    async def deliver() -> tuple[int, str | None]:
        response = await client.post("/zalo/bot/webhook", data=body, headers=headers)
        await response.read()
        return response.status, response.headers.get("Retry-After")

    channel.tasks.inbox.max_backlog = 0  # as if 200 updates were waiting to be answered
    assert await deliver() == (503, "5")
    channel.tasks.inbox.max_backlog = MAX_BACKLOG
    channel.tasks.inbox.conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(inbox_path(sample_kb.path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the inbox cannot record the update: not acknowledged either
        assert await deliver() == (503, "5")
        other.execute("ROLLBACK")
    finally:
        other.close()
    await channel.tasks.wait(5)
    assert fake.messages == []
    assert await deliver() == (200, None)  # Zalo delivers it again later: answered then
    await fake.wait_for(lambda: fake.messages, what="the reply to the redelivery")


# ----- settings ----------------------------------------------------------------------------------
def test_channel_is_off_without_a_token_or_with_a_short_secret(empty_kb, capsys):
    conversation = Conversation(empty_kb)
    app = create_app(conversation, empty_kb)
    assert zalo_bot.build(load_settings(environ={}), conversation, app) is None
    assert "ZALO_BOT_TOKEN" in capsys.readouterr().out
    short = load_settings(environ={"ZALO_BOT_TOKEN": TOKEN, "ZALO_BOT_WEBHOOK_SECRET": "short"})
    assert zalo_bot.build(short, conversation, app) is None
    assert "8 đến 256" in capsys.readouterr().out
    assert zalo_bot.build in channel_factories()
