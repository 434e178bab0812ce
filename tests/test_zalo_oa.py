"""Zalo Official Account channel end to end: signed webhook events in over real HTTP, replies out
to a local fake of the OA Open API (and its OAuth token endpoint); plus the text splitting and
the persisted token pair."""
from __future__ import annotations

import contextlib
import json
import logging
import time

import pytest
from aiohttp.test_utils import TestClient
import fake_zalo
from fake_zalo import FakeZaloOA, now_ms, oa_signature
from support import serving

from bot.channels import zalo_oa
from bot.channels.inbox import MAX_BACKLOG
from bot.runner import channel_factories
from bot.settings import load_settings
from bot.web.app import create_app
from bot.channels.zalo_common import MAX_TEXT, render, split_text
from handlers import texts
from handlers.conversation import Conversation
from handlers.messages import Reply
from handlers.starters import Starters
from knowledge.store import KnowledgeBase
from bot.channels.zalo_tokens import TokenPair, ZaloTokenStore

APP_ID = "4313412345678901234"
OA_SECRET = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
OA_ID = "579745863508352884"
USER = "2512523625412515"
PHONE_QUESTION = "Số điện thoại của Sở là gì?"


def environ(fake: FakeZaloOA, **extra) -> dict:
    return {"ZALO_OA_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET, "ZALO_APP_SECRET": APP_SECRET,
            "ZALO_OA_ACCESS_TOKEN": "access-0", "ZALO_OA_REFRESH_TOKEN": "refresh-0",
            "ZALO_OA_API_BASE_URL": fake.url, "ZALO_OAUTH_BASE_URL": fake.url, **extra}


@pytest.fixture
async def fake():
    server = FakeZaloOA(APP_ID, APP_SECRET, access_token="access-0", refresh_token="refresh-0")
    await server.start()
    yield server
    await server.close()


@contextlib.asynccontextmanager
async def running(kb: KnowledgeBase, fake: FakeZaloOA, **env):
    """The real web app with the OA channel built from settings, served on an ephemeral port."""
    settings = load_settings(environ=environ(fake, **env))
    settings.data["zalo"]["oa_rate_limit_backoff_seconds"] = 0.01
    async with serving(kb, zalo_oa.build, settings) as served:
        yield served


@pytest.fixture
async def oa(sample_kb, fake):
    async with running(sample_kb, fake) as (client, channel):
        yield client, channel


def text_event(text: str, msg_id: str | None = None, user: str = USER, app_id: str = APP_ID,
               timestamp: str | None = None) -> dict:
    return {"app_id": app_id, "user_id_by_app": "552177279717587730", "event_name": "user_send_text",
            "timestamp": timestamp or now_ms(), "sender": {"id": user}, "recipient": {"id": OA_ID},
            "message": {"text": text, "msg_id": msg_id or f"msg-{time.monotonic_ns()}"}}


async def post(client: TestClient, event: dict | None = None, raw: bytes | None = None,
               signature: str | None = None, sign_app_id: str = APP_ID, secret: str = OA_SECRET):
    body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
    if signature is None:
        signature = oa_signature(sign_app_id, body, str(event["timestamp"]), secret)
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": signature}
    response = await client.post("/zalo/oa/webhook", data=body, headers=headers)
    await response.read()
    return response


async def settle(channel) -> None:
    await channel.tasks.wait(5)


# ----- the happy path ----------------------------------------------------------------------------
async def test_signed_text_event_gets_the_vietnamese_answer_posted_to_the_oa_api(oa, fake, sample_kb):
    client, channel = oa
    started = time.monotonic()
    response = await post(client, text_event(PHONE_QUESTION))
    assert response.status == 200
    assert time.monotonic() - started < 2
    await fake.wait_for(lambda: fake.messages, what="the reply")
    [send] = fake.sends()
    assert send.headers["access_token"] == "access-0"
    assert "Authorization" not in send.headers
    assert send.json["recipient"] == {"user_id": USER}
    text = send.json["message"]["text"]
    # exactly what the handler says, then the request for a 1/2 rating; a first reply says what is recorded
    conversation = Conversation(sample_kb)
    assert text == (render(conversation.answer(PHONE_QUESTION)) + "\n\n" + texts.FEEDBACK_DIGITS + "\n\n"
                    + conversation.privacy_notice().text)
    assert "Điện thoại: 0292.3820674" in text and "Nguồn:" in text and "<" not in text
    rows = list(sample_kb.iter_rows("SELECT * FROM query_log"))
    assert [(r["channel"], r["question"]) for r in rows] == [("zalo", PHONE_QUESTION)]
    assert rows[0]["user_hash"] and all(USER not in str(value) for value in rows[0].values())


async def test_webhook_answers_before_the_reply_is_sent(oa, fake):
    client, channel = oa
    fake.delay = 1.0
    started = time.monotonic()
    assert (await post(client, text_event("xin chào"))).status == 200
    assert time.monotonic() - started < 0.5
    assert fake.messages == []
    await fake.wait_for(lambda: fake.messages, what="the slow reply")
    assert fake.messages[0][1].startswith("Xin chào!")


def follow_event() -> dict:
    return {"app_id": APP_ID, "event_name": "follow", "timestamp": now_ms(), "oa_id": OA_ID,
            "follower": {"id": USER}, "source": "oa_profile", "user_id_by_app": "1"}


async def test_suggestions_are_buttons_that_send_their_text_back(oa, fake, sample_kb):
    client, channel = oa
    await post(client, follow_event())
    await fake.wait_for(lambda: fake.messages, what="the greeting with example questions")
    assert fake.messages[0][1].endswith("\n\nCâu hỏi mẫu:")
    starters = Starters(sample_kb).questions()
    assert fake.buttons[0] == [{"title": q, "type": "oa.query.show", "payload": q} for q in starters]
    await post(client, text_event(texts.EXAMPLE_QUESTIONS[1]))  # what a tap on the second button sends
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the tapped suggestion's answer")
    assert "0292.3820674" in fake.messages[1][1]
    await post(client, text_event("7"))  # no 7th suggestion: an ordinary question
    await fake.wait_for(lambda: len(fake.messages) == 3, what="the answer to '7'")
    questions = [r["question"] for r in sample_kb.iter_rows("SELECT question FROM query_log ORDER BY id")]
    assert questions == [texts.EXAMPLE_QUESTIONS[1], "7"]


async def test_refused_buttons_fall_back_to_a_numbered_list_a_digit_picks_from(oa, fake, sample_kb):
    client, channel = oa
    fake.refuse_attachments = -201
    await post(client, follow_event())
    await fake.wait_for(lambda: fake.messages, what="the greeting, numbered")
    [with_buttons, plain] = fake.sends()
    assert with_buttons.json["message"]["attachment"]["payload"]["buttons"]
    assert "attachment" not in plain.json["message"] and fake.buttons == [[]]
    starters = Starters(sample_kb).questions()
    numbered = "\n".join(f"{i}. {q}" for i, q in enumerate(starters, 1))
    assert f"\n\nCâu hỏi mẫu:\n{numbered}\nTrả lời bằng một chữ số (1–{len(starters)}) để chọn câu hỏi." in fake.messages[0][1]
    await post(client, text_event("2"))
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the picked suggestion's answer")
    assert "0292.3820674" in fake.messages[1][1]
    questions = [r["question"] for r in sample_kb.iter_rows("SELECT question FROM query_log ORDER BY id")]
    assert questions == [texts.EXAMPLE_QUESTIONS[1]]


async def test_buttons_keep_within_the_oa_limits(oa, fake):
    client, channel = oa
    long_question = "Hội thi Sáng tạo kỹ thuật thành phố Cần Thơ " * 4
    assert await channel.client.send(USER, "Có phải bạn muốn hỏi…", (long_question,)) == 0
    [[button]] = fake.buttons
    assert len(button["title"]) == zalo_oa.MAX_BUTTON_TITLE and button["title"].endswith("…")
    assert button["payload"] == long_question  # the tap sends the whole question
    assert await channel.client.send(USER, "x", ("Câu?",) * 6) == -201  # the fake refuses a 6th button
    unknown = {"type": "template", "payload": {"buttons": [{"title": "A", "type": "oa.query.run", "payload": "A"}]}}
    assert fake_zalo.attachment_problem(unknown) == "unknown button type"
    too_long = {"type": "template", "payload": {"buttons": [{"title": "A" * 101, "type": "oa.query.show", "payload": "A"}]}}
    assert "title" in fake_zalo.attachment_problem(too_long)


def test_replies_render_as_plain_text_with_numbered_suggestions():
    reply = Reply("Trả lời.\n\nNguồn: Bài viết (01/02/2023)", "article", True, suggestions=["Câu A?", "Câu B?"])
    assert render(reply) == ("Trả lời.\n\nNguồn: Bài viết (01/02/2023)\n\nCó phải bạn muốn hỏi…\n1. Câu A?\n"
                             "2. Câu B?\nTrả lời bằng một chữ số (1–2) để chọn câu hỏi.")
    assert render(Reply("Xin lỗi.", "fallback")) == "Xin lỗi."


async def test_images_stickers_and_follows(oa, fake):
    client, channel = oa
    image = {**text_event(""), "event_name": "user_send_image",
             "message": {"msg_id": "img-1", "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}]}}
    await post(client, image)
    await fake.wait_for(lambda: fake.messages, what="the polite reply to an image")
    assert "chỉ đọc được tin nhắn văn bản" in fake.messages[0][1]
    follow = {"app_id": APP_ID, "event_name": "follow", "timestamp": now_ms(), "oa_id": OA_ID,
              "follower": {"id": "9990001"}, "source": "oa_profile", "user_id_by_app": "1"}
    await post(client, follow)
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the greeting")
    assert fake.messages[1][0] == "9990001" and fake.messages[1][1].startswith("Xin chào!")
    await post(client, {**follow, "event_name": "unfollow", "timestamp": now_ms(1)})
    await settle(channel)
    assert len(fake.messages) == 2


# ----- refused requests --------------------------------------------------------------------------
@pytest.mark.parametrize("signature", ["", "mac=" + "0" * 64, "deadbeef"])
async def test_bad_or_missing_signature_is_refused(oa, fake, sample_kb, signature, caplog):
    client, channel = oa
    response = await post(client, text_event(PHONE_QUESTION), signature=signature)
    assert response.status == 401
    assert "signature" in caplog.text
    await settle(channel)
    assert fake.requests == [] and not list(sample_kb.iter_rows("SELECT id FROM query_log"))


async def test_signature_with_another_secret_is_refused(oa, fake):
    client, channel = oa
    assert (await post(client, text_event(PHONE_QUESTION), secret="not-the-oa-secret")).status == 401
    await settle(channel)
    assert fake.requests == []


@pytest.mark.parametrize("offset", [-3600, +3600])
async def test_replayed_or_future_event_is_not_answered(oa, fake, offset, caplog):
    client, channel = oa
    stale = text_event(PHONE_QUESTION, timestamp=now_ms(offset))
    response = await post(client, stale)
    assert response.status == 200  # acknowledged (Zalo disables failing webhooks), never answered
    assert "ignored: stale event" in await response.text() and "replay?" in caplog.text
    await settle(channel)
    assert fake.requests == []
    fresh = text_event(PHONE_QUESTION, msg_id=stale["message"]["msg_id"])  # it was not marked as seen
    await post(client, fresh)
    await fake.wait_for(lambda: fake.messages, what="the reply to the fresh event")


async def test_event_for_another_app_is_refused(oa, fake):
    client, channel = oa
    foreign = text_event(PHONE_QUESTION, app_id="1111111111")
    assert (await post(client, foreign)).status == 403  # signed with our app id, body names another
    assert (await post(client, foreign, sign_app_id="1111111111")).status == 401
    await settle(channel)
    assert fake.requests == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"event_name": "user_send_text"}',
                                 b'{"timestamp": "yesterday"}', "\xff".encode("latin-1")])
async def test_malformed_body_is_refused(oa, fake, raw):
    client, channel = oa
    assert (await post(client, raw=raw, signature="mac=x")).status == 400
    await settle(channel)
    assert fake.requests == []


async def test_same_msg_id_delivered_twice_is_answered_once(oa, fake, sample_kb):
    client, channel = oa
    event = text_event(PHONE_QUESTION, msg_id="dup-1")
    assert (await post(client, event)).status == 200
    assert (await post(client, event)).status == 200
    await settle(channel)
    assert len(fake.messages) == 1
    assert len(list(sample_kb.iter_rows("SELECT id FROM query_log"))) == 1


async def test_webhook_asks_zalo_to_wait_when_far_behind(oa, fake):
    client, channel = oa
    channel.tasks.inbox.max_backlog = 0  # as if 200 events were waiting to be answered
    event = text_event(PHONE_QUESTION, msg_id="busy-1")
    response = await post(client, event)
    assert response.status == 503 and response.headers["Retry-After"] == "5"
    await settle(channel)
    assert fake.requests == []
    channel.tasks.inbox.max_backlog = MAX_BACKLOG
    assert (await post(client, event)).status == 200  # Zalo delivers it again later: answered then
    await fake.wait_for(lambda: fake.messages, what="the reply to the redelivery")


# ----- sending: tokens, rate limits, errors ------------------------------------------------------
async def test_expired_token_is_refreshed_persisted_and_the_send_retried(sample_kb, fake):
    fake.expire("access-0")
    async with running(sample_kb, fake) as (client, channel):
        await post(client, text_event(PHONE_QUESTION))
        await fake.wait_for(lambda: fake.messages, what="the reply after the refresh")
    assert fake.paths() == ["/v3.0/oa/message/cs", "/v4/oa/access_token", "/v3.0/oa/message/cs"]
    refresh = fake.requests[1]
    assert refresh.headers["secret_key"] == APP_SECRET
    assert refresh.form == {"refresh_token": "refresh-0", "app_id": APP_ID, "grant_type": "refresh_token"}
    new_access, new_refresh = fake.requests[2].headers["access_token"], fake.refresh_token
    assert new_access != "access-0" and new_refresh != "refresh-0"

    reopened = KnowledgeBase.open(sample_kb.path)  # another connection: what a restart would read
    try:
        stored = ZaloTokenStore(reopened, APP_ID).load()
        assert (stored.access_token, stored.refresh_token) == (new_access, new_refresh)
        assert stored.expires_at == pytest.approx(time.time() + 90000, abs=60)
        # A restart with the same environment continues with the stored pair, not the spent one.
        async with running(reopened, fake) as (client, channel):
            await post(client, text_event("xin chào"))
            await fake.wait_for(lambda: len(fake.messages) == 2, what="the reply after the restart")
        assert fake.paths()[3:] == ["/v3.0/oa/message/cs"]
        assert fake.requests[3].headers["access_token"] == new_access
    finally:
        reopened.close()


async def test_new_tokens_in_the_environment_replace_the_stored_pair(sample_kb, fake):
    ZaloTokenStore(sample_kb, APP_ID).initial("access-old", "refresh-old")
    await ZaloTokenStore(sample_kb, APP_ID).save(TokenPair("access-old-2", "refresh-old-2", time.time() + 90000))
    async with running(sample_kb, fake) as (client, channel):  # the environment brings refresh-0
        await post(client, text_event(PHONE_QUESTION))
        await fake.wait_for(lambda: fake.messages, what="the reply")
    assert fake.requests[0].headers["access_token"] == "access-0"


async def test_token_is_refreshed_ahead_of_expiry(sample_kb, fake):
    store = ZaloTokenStore(sample_kb, APP_ID)
    store.initial("access-0", "refresh-0")
    await store.save(TokenPair("access-0", "refresh-0", time.time() + 60))  # inside the one-hour margin
    async with running(sample_kb, fake) as (client, channel):
        await fake.wait_for(lambda: fake.paths() == ["/v4/oa/access_token"], what="the early refresh")
        await post(client, text_event(PHONE_QUESTION))
        await fake.wait_for(lambda: fake.messages, what="the reply")
    assert fake.paths() == ["/v4/oa/access_token", "/v3.0/oa/message/cs"]
    assert fake.requests[1].headers["access_token"] == ZaloTokenStore(sample_kb, APP_ID).load().access_token


async def test_failed_refresh_is_logged_and_the_bot_keeps_running(sample_kb, fake, caplog):
    fake.expire("access-0")
    fake.refresh_token = "someone-else-used-it"
    async with running(sample_kb, fake) as (client, channel):
        await post(client, text_event(PHONE_QUESTION))
        await settle(channel)
        assert "token refresh failed, error -14014" in caplog.text
        assert fake.paths() == ["/v3.0/oa/message/cs", "/v4/oa/access_token"]
        assert (await post(client, text_event("xin chào"))).status == 200


async def test_rate_limit_is_retried_after_a_pause(oa, fake):
    client, channel = oa
    fake.errors = [-32, -32]
    await post(client, text_event(PHONE_QUESTION))
    await fake.wait_for(lambda: fake.messages, what="the reply after the rate limit")
    assert len(fake.sends()) == 3


async def test_rate_limit_retries_are_bounded_and_other_errors_logged(oa, fake, caplog):
    client, channel = oa
    caplog.set_level(logging.WARNING, "bot.channels.zalo_oa")
    fake.errors = [-32] * 4 + [-230]
    await post(client, text_event(PHONE_QUESTION))
    await settle(channel)
    assert len(fake.sends()) == 4 and fake.messages == []
    assert "error -32" in caplog.text
    await post(client, text_event(PHONE_QUESTION))
    await settle(channel)
    assert len(fake.sends()) == 5 and fake.messages == []
    assert "error -230" in caplog.text
    await post(client, text_event(PHONE_QUESTION))
    await fake.wait_for(lambda: fake.messages, what="a later reply")


async def test_long_answer_is_split_into_messages_of_at_most_2000_characters(oa, fake, sample_kb):
    client, channel = oa
    sentence = "Hồ sơ gồm đơn đăng ký, thuyết minh đề tài và lý lịch khoa học của chủ nhiệm đề tài. "
    answer = "\n\n".join(f"Bước {i}. " + (sentence * 8).strip() for i in range(1, 8))
    assert len(answer) > 2 * MAX_TEXT
    question = "Thủ tục đăng ký đề tài khoa học cấp thành phố như thế nào?"
    sample_kb.add_faq(question, [], answer)
    await post(client, text_event(question))
    await settle(channel)
    pieces = [text for _, text in fake.messages]
    assert len(pieces) == 4  # paragraphs of ~700 characters: two fit in one message, three do not
    assert all(len(p) <= MAX_TEXT for p in pieces)
    assert [p[:6] for p in pieces] == ["Bước 1", "Bước 3", "Bước 5", "Bước 7"]  # cut between paragraphs
    assert "Nguồn: Câu hỏi thường gặp" in pieces[-1]
    assert "\n\n".join(pieces).startswith(answer)


# ----- pieces ------------------------------------------------------------------------------------
def test_split_prefers_paragraphs_then_sentences_then_words():
    assert split_text("Ngắn.") == ["Ngắn."]
    assert split_text("aaa bbb.\n\nccc ddd.", limit=12) == ["aaa bbb.", "ccc ddd."]
    assert split_text("Câu một dài. Câu hai dài.", limit=16) == ["Câu một dài.", "Câu hai dài."]
    assert split_text("một hai ba bốn năm sáu", limit=10) == ["một hai ba", "bốn năm", "sáu"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]
    text = ("Một câu khá dài để thử. " * 300).strip()
    pieces = split_text(text)
    assert all(len(p) <= MAX_TEXT for p in pieces) and all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_channel_is_off_without_its_settings(empty_kb, capsys):
    settings = load_settings(environ={})
    app = create_app(Conversation(empty_kb), empty_kb)
    assert zalo_oa.build(settings, Conversation(empty_kb), app) is None
    assert "ZALO_OA_APP_ID" in capsys.readouterr().out
    partial = load_settings(environ={"ZALO_OA_APP_ID": APP_ID})
    assert zalo_oa.build(partial, Conversation(empty_kb), app) is None
    assert "ZALO_OA_SECRET_KEY, ZALO_APP_SECRET" in capsys.readouterr().out
    assert zalo_oa.build in channel_factories()


async def test_a_digit_after_an_answer_rates_it(oa, fake, sample_kb):
    client, channel = oa
    await post(client, text_event(PHONE_QUESTION))
    await fake.wait_for(lambda: fake.messages, what="the answer")
    await post(client, text_event("2"))
    await fake.wait_for(lambda: len(fake.messages) == 2, what="the thanks for the rating")
    assert "góp ý" in fake.messages[1][1]
    [row] = sample_kb.iter_rows("SELECT question, feedback FROM query_log")
    assert row == {"question": PHONE_QUESTION, "feedback": -1}
    # after a 👎, what was wrong: the three reasons, numbered; a digit right after picks one
    assert fake.messages[1][1].endswith("Câu trả lời chưa ổn ở điểm nào?\n1. Sai thông tin\n2. Không đúng câu hỏi\n"
                                        "3. Khó hiểu\nTrả lời bằng một chữ số (1–3) để chọn lý do.")
    await post(client, text_event("2"))
    await fake.wait_for(lambda: len(fake.messages) == 3, what="the thanks for the reason")
    assert fake.messages[2][1] == texts.FEEDBACK_REASON_THANKS
    [(log_id,)] = sample_kb.conn.execute("SELECT id FROM query_log").fetchall()
    assert list(sample_kb.conn.execute("SELECT log_id, reason FROM query_feedback_reason")) == [(log_id, "off_topic")]
    await post(client, text_event("2"))  # nothing left to rate or explain: an ordinary question
    await fake.wait_for(lambda: len(fake.messages) == 4, what="the answer to '2'")
    assert sample_kb.stats()["query_log"] == 2
