"""Platform faults the other channel tests do not cover, played by the local fakes over real HTTP:
a platform that never answers within the client's timeout, a connection reset in the middle of a
request, 5xx answers and 429s on the Zalo side. Each reply is resent with a growing pause, the
resends are bounded, and the bot goes on answering the next message.

(Telegram's 429 ``retry_after`` and 5xx, and Zalo OA's error -32, are in test_telegram.py and
test_zalo_oa.py.)
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from aiohttp import web
from fake_telegram import FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA
from test_telegram import CITIZEN_ID, Harness
from test_zalo_bot import PUBLIC_URL, SECRET
from test_zalo_bot import running as running_zalo_bot
from test_zalo_oa import APP_ID, APP_SECRET, PHONE_QUESTION, post, settle, text_event
from test_zalo_oa import running as running_oa

PHONE = "0292.3820674"


class Faults:
    """Faults queued for the next sends: "hang" (no answer until the client gives up), "reset"
    (the connection closed mid-request), "500" (an HTML error page), "429"."""

    def __init__(self):
        self.queue: list[str] = []
        self.played: list[str] = []
        self.release = asyncio.Event()

    async def play(self, request: web.Request) -> web.StreamResponse | None:
        if not self.queue:
            return None
        fault = self.queue.pop(0)
        self.played.append(fault)
        await request.read()
        if fault == "hang":
            await self.release.wait()  # cancelled when the client disconnects, released on close
        elif fault == "reset":
            request.transport.close()
        elif fault == "429":
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests"},
                                     status=429)
        return web.Response(status=500, text="<html><body>500 Internal Server Error</body></html>",
                            content_type="text/html")


class FaultyTelegram(FakeTelegram):
    def __init__(self):
        super().__init__()
        self.faults = Faults()

    async def _api(self, request):
        if request.match_info["method"] == "sendMessage":
            response = await self.faults.play(request)
            if response is not None:
                return response
        return await super()._api(request)

    async def close(self) -> None:
        self.faults.release.set()
        await super().close()


class FaultyOA(FakeZaloOA):
    def __init__(self):
        super().__init__(APP_ID, APP_SECRET, access_token="access-0", refresh_token="refresh-0")
        self.faults = Faults()

    async def send(self, request):
        response = await self.faults.play(request)
        return response if response is not None else await super().send(request)

    async def close(self) -> None:
        self.faults.release.set()
        await super().close()


class FaultyZaloBot(FakeZaloBot):
    def __init__(self, token: str):
        super().__init__(token)
        self.faults = Faults()

    async def handle(self, request):
        if request.match_info["method"] == "sendMessage":
            response = await self.faults.play(request)
            if response is not None:
                return response
        return await super().handle(request)

    async def close(self) -> None:
        self.faults.release.set()
        await super().close()


# ----- Telegram ----------------------------------------------------------------------------------
@pytest.fixture
async def telegram():
    httpx_level = logging.getLogger("httpx").level  # the Telegram channel raises it; put it back after
    fake = await FaultyTelegram().start()
    yield fake
    await fake.close()
    logging.getLogger("httpx").setLevel(httpx_level)


@pytest.fixture
async def tg_bot(telegram, conversation):
    async with Harness(telegram, conversation) as harness:
        yield harness


async def test_telegram_connection_resets_are_retried(tg_bot, telegram):
    telegram.faults.queue = ["reset", "reset"]
    [message] = await tg_bot.ask("sđt sở khcn")
    assert PHONE in message.params["visible_text"]
    assert telegram.faults.played == ["reset", "reset"]
    assert len(await tg_bot.ask("địa chỉ sở khcn")) == 1  # the next message goes straight through


async def test_telegram_resets_are_bounded_then_the_bot_goes_on(tg_bot, telegram):
    telegram.faults.queue = ["reset"] * 8  # 4 attempts for the answer, 4 for the apology
    telegram.push_update(telegram.text_update("sđt sở khcn", user_id=CITIZEN_ID))
    await telegram.wait_for(lambda: len(telegram.faults.played) == 8, timeout=10)
    await telegram.settle(0.3)
    assert telegram.sent(CITIZEN_ID) == []
    [message] = await tg_bot.ask("sđt sở khcn")
    assert PHONE in message.params["visible_text"]


async def test_telegram_that_never_answers_times_out_and_is_retried(tg_bot, telegram):
    telegram.faults.queue = ["hang"]  # python-telegram-bot gives up reading after 5 s
    [message] = await tg_bot.ask("sđt sở khcn")
    assert PHONE in message.params["visible_text"]
    assert telegram.faults.played == ["hang"]


# ----- Zalo OA -----------------------------------------------------------------------------------
@pytest.fixture
async def faulty_oa():
    fake = FaultyOA()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def oa(sample_kb, faulty_oa):
    async with running_oa(sample_kb, faulty_oa) as (client, channel):
        yield client, channel


async def test_zalo_oa_resends_after_5xx_resets_and_timeouts(sample_kb, faulty_oa):
    async with running_oa(sample_kb, faulty_oa) as (client, channel):
        channel.client.config = replace(channel.client.config, request_timeout_seconds=0.3)
        faulty_oa.faults.queue = ["500", "reset", "hang"]
        await post(client, text_event(PHONE_QUESTION))
        await faulty_oa.wait_for(lambda: faulty_oa.messages, what="the reply after three faults")
        assert faulty_oa.faults.played == ["500", "reset", "hang"]
        assert PHONE in faulty_oa.messages[0][1]


async def test_zalo_oa_resends_are_bounded_then_the_bot_goes_on(oa, faulty_oa, caplog):
    client, channel = oa
    caplog.set_level(logging.WARNING, "bot.channels.zalo_oa")
    faulty_oa.faults.queue = ["500"] * 4  # the first send and its 3 resends
    await post(client, text_event(PHONE_QUESTION))
    await settle(channel)
    assert len(faulty_oa.faults.played) == 4 and faulty_oa.messages == []
    assert "message not sent" in caplog.text
    await post(client, text_event(PHONE_QUESTION))
    await faulty_oa.wait_for(lambda: faulty_oa.messages, what="the next reply")


# ----- Zalo Bot API ------------------------------------------------------------------------------
ZBOT_TOKEN = "1459232241454765289:fakeBotTokenForTests"


@pytest.fixture
async def faulty_bot():
    fake = FaultyZaloBot(ZBOT_TOKEN)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def zbot(sample_kb, faulty_bot):
    async with running_zalo_bot(sample_kb, faulty_bot, ZALO_BOT_WEBHOOK_SECRET=SECRET,
                                ZALO_BOT_WEBHOOK_URL=PUBLIC_URL) as (client, channel):
        channel.config = replace(channel.config, send_backoff_seconds=0.01)
        channel.client.config = replace(channel.client.config, request_timeout_seconds=0.3)
        yield str(client.make_url("/zalo/bot/webhook")), channel


async def test_zalo_bot_resends_after_5xx_429_resets_and_timeouts(zbot, faulty_bot):
    url, channel = zbot
    faulty_bot.faults.queue = ["500", "429", "reset"]
    assert await faulty_bot.deliver(url, faulty_bot.update("chat-1", PHONE_QUESTION)) == 200
    await faulty_bot.wait_for(lambda: faulty_bot.messages, what="the reply after three faults")
    faulty_bot.faults.queue = ["hang"]
    assert await faulty_bot.deliver(url, faulty_bot.update("chat-2", PHONE_QUESTION)) == 200
    await faulty_bot.wait_for(lambda: len(faulty_bot.messages) == 2, what="the reply after a timeout")
    assert faulty_bot.faults.played == ["500", "429", "reset", "hang"]
    assert [chat for chat, _ in faulty_bot.messages] == ["chat-1", "chat-2"]
    assert PHONE in faulty_bot.messages[1][1]


async def test_zalo_bot_resends_are_bounded_then_the_bot_goes_on(zbot, faulty_bot, caplog):
    url, channel = zbot
    caplog.set_level(logging.WARNING, "bot.channels.zalo_bot")
    faulty_bot.faults.queue = ["500"] * 4
    assert await faulty_bot.deliver(url, faulty_bot.update("chat-1", PHONE_QUESTION)) == 200
    await channel.tasks.wait(5)
    assert len(faulty_bot.faults.played) == 4 and faulty_bot.messages == []
    assert "message not sent" in caplog.text
    assert await faulty_bot.deliver(url, faulty_bot.update("chat-1", PHONE_QUESTION)) == 200
    await faulty_bot.wait_for(lambda: faulty_bot.messages, what="the next reply")
