"""Request bodies strangers can send, over real HTTP against the running app and the real webhook
routes (a real SQLite file each): a body over its endpoint's cap is refused with 413 before it is
read whole (declared too long, or streamed past the cap), the Zalo OA signature is checked over the
raw bytes before any JSON is parsed, and JSON that does not parse or nests too deeply is a 400 with a
short message, never a 500 or a traceback in the log. Signed, normal updates still work."""
from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp import ClientSession
from fake_telegram import FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA, now_ms, oa_signature
from test_telegram import SECRET as TG_SECRET
from test_telegram import Harness
from test_zalo_bot import SECRET as BOT_SECRET
from test_zalo_bot import TOKEN as BOT_TOKEN
from test_zalo_bot import running as zalo_bot_running
from test_zalo_oa import APP_ID, OA_SECRET, PHONE_QUESTION, text_event
from test_zalo_oa import running as zalo_oa_running

from bot import http_body
from bot.channels import telegram

HUGE = 30 * 1024 * 1024
BRACKETS = b"[" * 100_000  # over the 64 KB cap of the web API and the Zalo webhooks
SHORT_BRACKETS = b"[" * 60_000  # under it
NESTED_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000  # 10,000 levels, 60 KB
NESTED_100 = b'{"a":' * 100 + b"1" + b"}" * 100  # parses, but deeper than any update
DEEP_BODIES = [SHORT_BRACKETS, NESTED_OBJECTS, NESTED_100]


@pytest.fixture
def errors(caplog):
    """The ERROR records logged meanwhile (a traceback would be one)."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def post_stalled(client, path: str, headers: dict, first: bytes, declared: int | None = None):
    """POST a body that stops after ``first`` (``declared`` in Content-Length, else chunked): the
    server must answer from what it has, without waiting for the rest."""
    async def body():
        yield first
        await asyncio.sleep(3600)
        yield b""

    if declared is not None:
        headers = {**headers, "Content-Length": str(declared)}
    response = await asyncio.wait_for(client.post(path, data=body(), headers=headers), 5)
    response.close()
    return response


async def post(client, path: str, body: bytes, headers: dict | None = None):
    response = await client.post(path, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    await response.read()
    return response


# ----- the citizens' JSON API ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
async def test_api_refuses_an_oversized_body_before_reading_it(client, path):
    for declared in (HUGE, None):
        response = await post_stalled(client, path, {"Content-Type": "application/json"},
                                      b" " * (http_body.MAX_BODY_BYTES + 1), declared)
        assert response.status == 413
    response = await post_stalled(client, path, {}, b"{", HUGE)  # refused from the header alone
    assert response.status == 413
    body = await (await client.post(path, data=b"x" * (http_body.MAX_BODY_BYTES + 1))).json()
    assert body == {"error": "Dữ liệu gửi lên quá lớn (tối đa 64 KB)."}


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
async def test_api_refuses_deeply_nested_json_with_a_short_vietnamese_message(client, path, errors):
    assert (await post(client, path, BRACKETS)).status == 413
    for raw in DEEP_BODIES:
        response = await post(client, path, raw)
        assert response.status == 400
        assert await response.json() == {"error": "Dữ liệu gửi lên không phải JSON hợp lệ hoặc lồng nhau quá sâu."}
    assert errors() == []
    answer = await client.post("/api/ask", json={"question": PHONE_QUESTION, "session": "s1"})
    assert answer.status == 200 and "0292.3820674" in (await answer.json())["text"]


# ----- Zalo Official Account -----------------------------------------------------------------------
@pytest.fixture
async def oa(sample_kb):
    fake = await FakeZaloOA(APP_ID, "app-secret-for-tests", "access-0", "refresh-0").start()
    async with zalo_oa_running(sample_kb, fake) as (client, channel):
        yield client, channel, fake
    await fake.close()


async def test_zalo_oa_refuses_an_oversized_unsigned_body_before_reading_it(oa, errors):
    client, channel, fake = oa
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": "mac=" + "0" * 64}
    start = json.dumps(text_event(PHONE_QUESTION)).encode()[:-1] + b', "pad": "'
    assert (await post_stalled(client, "/zalo/oa/webhook", headers, start, HUGE)).status == 413
    streamed = start + b"x" * http_body.MAX_BODY_BYTES
    assert (await post_stalled(client, "/zalo/oa/webhook", headers, streamed)).status == 413
    await channel.tasks.wait(2)
    assert fake.requests == [] and errors() == []
    event = text_event(PHONE_QUESTION)  # a signed, normal event is still answered
    body = json.dumps(event, ensure_ascii=False).encode()
    signature = oa_signature(APP_ID, body, event["timestamp"], OA_SECRET)
    assert (await post(client, "/zalo/oa/webhook", body, {"X-ZEvent-Signature": signature})).status == 200
    await fake.wait_for(lambda: fake.messages, what="the reply")
    assert "0292.3820674" in fake.messages[0][1]


async def test_zalo_oa_checks_the_signature_before_parsing(oa, errors):
    client, channel, fake = oa
    timestamp = now_ms()
    deep = b'{"timestamp": "' + timestamp.encode() + b'", "a": ' + SHORT_BRACKETS + b"}"
    unsigned = await post(client, "/zalo/oa/webhook", deep, {"X-ZEvent-Signature": "mac=" + "0" * 64})
    assert unsigned.status == 401  # refused on its signature: the JSON was never parsed
    for raw in [BRACKETS, *DEEP_BODIES]:  # no timestamp to check a signature against
        assert (await post(client, "/zalo/oa/webhook", raw, {"X-ZEvent-Signature": "mac=x"})).status in (400, 413)
    for inner in (SHORT_BRACKETS, NESTED_OBJECTS, NESTED_100):  # authentic, but not JSON or nested too deeply
        signed = b'{"timestamp": "' + timestamp.encode() + b'", "a": ' + inner + b"}"
        response = await post(client, "/zalo/oa/webhook", signed,
                              {"X-ZEvent-Signature": oa_signature(APP_ID, signed, timestamp, OA_SECRET)})
        assert response.status == 400
    event = text_event(PHONE_QUESTION)  # a "timestamp" deeper in the event cannot stand in for its own
    event["message"]["timestamp"] = "1"
    body = json.dumps(event).encode()
    signed = await post(client, "/zalo/oa/webhook", body, {"X-ZEvent-Signature": oa_signature(APP_ID, body, "1", OA_SECRET)})
    assert signed.status in (400, 401)
    await channel.tasks.wait(2)
    assert fake.requests == [] and errors() == []


# ----- Zalo Bot API webhook ------------------------------------------------------------------------
@pytest.fixture
async def zalo_bot(sample_kb):
    fake = await FakeZaloBot(BOT_TOKEN).start()
    async with zalo_bot_running(sample_kb, fake, ZALO_BOT_WEBHOOK_SECRET=BOT_SECRET) as (client, channel):
        yield client, channel, fake
    await fake.close()


async def test_zalo_bot_webhook_caps_the_body_and_refuses_deep_json(zalo_bot, errors):
    client, channel, fake = zalo_bot
    headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": BOT_SECRET}
    assert (await post_stalled(client, "/zalo/bot/webhook", headers, b"{", HUGE)).status == 413
    assert (await post_stalled(client, "/zalo/bot/webhook", headers, b" " * (http_body.MAX_BODY_BYTES + 1))).status == 413
    assert (await post(client, "/zalo/bot/webhook", BRACKETS, headers)).status == 413
    for raw in DEEP_BODIES:
        assert (await post(client, "/zalo/bot/webhook", raw, headers)).status == 400
    assert errors() == []
    update = json.dumps({"ok": True, "result": fake.update("c1", PHONE_QUESTION)}).encode()
    assert (await post(client, "/zalo/bot/webhook", update, headers)).status == 200
    await fake.wait_for(lambda: fake.messages, what="the reply")


# ----- Telegram webhook ----------------------------------------------------------------------------
async def test_telegram_webhook_caps_the_body_and_refuses_deep_json(conversation, errors):
    fake = await FakeTelegram().start()
    try:
        async with Harness(fake, conversation, mode="webhook",
                           webhook_url="https://bot.example.gov.vn/telegram/webhook") as harness:
            async with ClientSession(harness.web_url) as session:
                headers = {"Content-Type": "application/json", telegram.SECRET_HEADER: TG_SECRET}
                declared = await post_stalled(session, telegram.WEBHOOK_PATH, headers, b"{", HUGE)
                assert declared.status == 413
                streamed = await post_stalled(session, telegram.WEBHOOK_PATH, headers,
                                              b" " * (telegram.MAX_UPDATE_BYTES + 1))
                assert streamed.status == 413
                for raw in [BRACKETS, *DEEP_BODIES]:
                    assert (await post(session, telegram.WEBHOOK_PATH, raw, headers)).status == 400
                assert errors() == []
                update = {"update_id": 900010, **fake.text_update("sđt sở khcn")}
                response = await post(session, telegram.WEBHOOK_PATH, json.dumps(update).encode(), headers)
                assert response.status == 200
                [message] = await fake.wait_sent(1)
                assert "0292.3820674" in message.params["visible_text"]
    finally:
        await fake.close()
