"""Hypothesis-generated webhook bodies against the real server (``bot.runner.serve`` with the three
chat channels pointed at the local fakes): malformed JSON, wrong types, missing fields, huge strings
and nested junk, with the right secret or a correct signature. The server answers 200 or a 4xx,
never a 5xx, nothing is logged at ERROR (no exception escapes, in the handler or in the background
work after the acknowledgement), and every channel still answers a normal message afterwards.

The server and the fakes run in an event loop of their own thread for the whole module, so that
hypothesis drives plain synchronous tests.
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time

import aiohttp
import pytest
from fake_telegram import FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA, now_ms, oa_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SAMPLES

from bot import runner
from bot.settings import load_settings
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase

APP_ID, OA_SECRET, APP_SECRET = "4313412345678901234", "oa-secret-key-fuzz", "app-secret-fuzz"
ZBOT_TOKEN, ZBOT_SECRET, TG_SECRET = "1459232241454765289:fakeBotTokenFuzz", "zalo-bot-secret-fuzz", "tg-secret-fuzz"
ALLOWED = {200, 400, 401, 403, 413}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n".join(f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.getMessage()}"
                         for r in self.records)


class Bot:
    """The running server and fakes, driven from the test thread."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.errors = ErrorRecords()
        self.ids = iter(range(10**9, 2 * 10**9))

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def start(self) -> None:
        self.telegram = await FakeTelegram().start()
        self.oa = await FakeZaloOA(APP_ID, APP_SECRET, "access-0", "refresh-0").start()
        self.zbot = await FakeZaloBot(ZBOT_TOKEN).start()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        environ = {"WEB_PORT": str(port), "TELEGRAM_BOT_TOKEN": self.telegram.token, "TELEGRAM_MODE": "webhook",
                   "TELEGRAM_WEBHOOK_URL": "https://bot.example.gov.vn/telegram/webhook",
                   "TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "TELEGRAM_API_BASE_URL": self.telegram.base_url,
                   "ZALO_OA_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET, "ZALO_APP_SECRET": APP_SECRET,
                   "ZALO_OA_ACCESS_TOKEN": "access-0", "ZALO_OA_REFRESH_TOKEN": "refresh-0",
                   "ZALO_OA_API_BASE_URL": self.oa.url, "ZALO_OAUTH_BASE_URL": self.oa.url,
                   "ZALO_BOT_TOKEN": ZBOT_TOKEN, "ZALO_BOT_WEBHOOK_SECRET": ZBOT_SECRET,
                   "ZALO_BOT_API_BASE_URL": self.zbot.url,
                   "ZALO_BOT_WEBHOOK_URL": "https://bot.example.gov.vn/zalo/bot/webhook"}
        self.stop = asyncio.Event()
        self.server = asyncio.create_task(runner.serve(load_settings(environ=environ), self.kb, self.stop))
        self.session = aiohttp.ClientSession()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                async with self.session.get(self.url + "/healthz") as response:
                    if list((await response.json())["channels"].values()) == ["on"] * 3:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("the server did not start")

    async def close(self) -> None:
        self.stop.set()
        await self.server
        await self.session.close()
        for fake in (self.telegram, self.oa, self.zbot):
            await fake.close()

    async def _post(self, path: str, body: bytes, headers: dict) -> int:
        async with self.session.post(self.url + path, data=body, headers=headers) as response:
            await response.read()
            return response.status

    def post(self, path: str, body: bytes, headers: dict) -> int:
        return self.run(self._post(path, body, {"Content-Type": "application/json", **headers}))

    def telegram_post(self, body: bytes) -> int:
        return self.post("/telegram/webhook", body, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})

    def oa_post(self, body: bytes, timestamp: str) -> int:
        return self.post("/zalo/oa/webhook", body,
                         {"X-ZEvent-Signature": oa_signature(APP_ID, body, timestamp, OA_SECRET)})

    def zbot_post(self, body: bytes) -> int:
        return self.post("/zalo/bot/webhook", body, {"X-Bot-Api-Secret-Token": ZBOT_SECRET})

    def wait(self, condition, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("fuzz") / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    server = Bot(kb)
    httpx_level = logging.getLogger("httpx").level  # the Telegram channel raises it; put it back after
    logging.getLogger().addHandler(server.errors)
    server.run(server.start())
    yield server
    server.run(server.close())
    logging.getLogger().removeHandler(server.errors)
    logging.getLogger("httpx").setLevel(httpx_level)
    server.loop.call_soon_threadsafe(server.loop.stop)
    server.thread.join(5)
    kb.close()


# ----- strategies --------------------------------------------------------------------------------
HUGE = st.sampled_from(["a" * 70_000, "đ" * 30_000, "🙂" * 10_000, "\x00" * 1000, "<b>" * 5000])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), st.text(max_size=50), HUGE)
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                    max_leaves=12)


def maybe(value_strategy):
    """A field's normal value, junk of any type, or (None) left out."""
    return st.one_of(value_strategy, value_strategy, junk, st.none())


def shape(fields: dict) -> st.SearchStrategy:
    """A dict with each field kept, replaced by junk, or dropped."""
    return st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


texts_ = st.one_of(st.text(max_size=300), HUGE, st.sampled_from(["sđt sở", "/start", "1", "👍", ""]))
ids = st.one_of(st.integers(min_value=1, max_value=2**40), st.integers(), st.text(max_size=20))

# Required fields right (so the update parses and is worked on), everything else odd.
telegram_messages = st.fixed_dictionaries(
    {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31),
     "chat": st.fixed_dictionaries({"id": st.integers(-2**40, 2**40),
                                    "type": st.sampled_from(["private", "group", "supergroup", "channel"])})},
    optional={"text": texts_, "caption": texts_, "from": shape({"id": ids, "is_bot": st.booleans(),
                                                                  "first_name": st.text(max_size=20)}),
              "entities": st.lists(shape({"type": st.sampled_from(["bot_command", "mention", "url", "x"]),
                                          "offset": st.integers(-5, 500), "length": st.integers(-5, 500)}),
                                   max_size=3),
              "sticker": junk, "photo": junk, "document": junk, "reply_to_message": junk})
telegram_updates = st.fixed_dictionaries(
    {"update_id": st.integers(1, 2**40)},
    optional={"message": telegram_messages, "edited_message": telegram_messages,
              "callback_query": shape({"id": st.text(max_size=10), "data": texts_,
                                       "from": st.fixed_dictionaries({"id": st.integers(1, 2**40),
                                                                      "is_bot": st.booleans(),
                                                                      "first_name": st.text(max_size=9)}),
                                       "chat_instance": st.text(max_size=5), "message": telegram_messages})})

telegram_bodies = st.one_of(
    telegram_updates.map(lambda d: json.dumps(d).encode()),
    telegram_updates.map(lambda d: json.dumps(d).encode()),
    junk.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    shape({"update_id": ids,
           "message": shape({"message_id": ids, "date": st.integers(0, 2**31), "text": texts_,
                             "chat": shape({"id": ids, "type": st.sampled_from(["private", "group", "channel", "x"])}),
                             "from": shape({"id": ids, "is_bot": st.booleans(), "first_name": st.text(max_size=20)}),
                             "entities": st.lists(shape({"type": st.text(max_size=12), "offset": st.integers(),
                                                         "length": st.integers()}), max_size=3),
                             "sticker": junk, "document": junk}),
           "edited_message": junk,
           "callback_query": shape({"id": st.text(max_size=10), "data": texts_, "from": junk,
                                    "chat_instance": st.text(max_size=5)})}).map(lambda d: json.dumps(d).encode()),
)

oa_events = shape({"app_id": st.just(APP_ID),
                   "event_name": st.sampled_from(["user_send_text", "follow", "unfollow", "user_send_image",
                                                  "user_send_sticker", "oa_send_text", "", "x" * 300]),
                   "sender": shape({"id": ids}), "follower": shape({"id": ids}), "recipient": junk,
                   "message": shape({"text": texts_, "msg_id": ids, "attachments": junk}),
                   "user_id_by_app": junk})

zbot_updates = st.one_of(
    junk,
    shape({"ok": st.booleans(),
           "result": shape({"event_name": st.sampled_from(["message.text.received", "message.image.received",
                                                           "message.sticker.received", "message.unknown", ""]),
                            "message": shape({"message_id": ids, "text": texts_, "date": st.integers(),
                                              "chat": shape({"id": ids, "chat_type": st.text(max_size=8)}),
                                              "from": shape({"id": ids, "display_name": st.text(max_size=20)})})})}),
)


# ----- the tests ----------------------------------------------------------------------------------
@FUZZ
@given(body=telegram_bodies)
def test_telegram_webhook_never_fails_on_odd_bodies(bot, body):
    assert bot.telegram_post(body) in ALLOWED


@FUZZ
@given(event=oa_events, timestamp=st.one_of(st.just(None), junk))
def test_zalo_oa_webhook_never_fails_on_odd_signed_events(bot, event, timestamp):
    event["timestamp"] = now_ms() if timestamp is None else timestamp
    body = json.dumps(event).encode()
    ts = event["timestamp"] if isinstance(event["timestamp"], str) else json.dumps(event["timestamp"])
    assert bot.oa_post(body, ts) in ALLOWED


@FUZZ
@given(update=st.one_of(zbot_updates.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)))
def test_zalo_bot_webhook_never_fails_on_odd_bodies(bot, update):
    assert bot.zbot_post(update) in ALLOWED


def test_after_the_fuzzing_every_channel_still_answers_and_nothing_escaped(bot):
    user = next(bot.ids)
    update = {"update_id": user, "message": {"message_id": 1, "date": int(time.time()), "text": "sđt sở khcn",
                                             "chat": {"id": user, "type": "private"},
                                             "from": {"id": user, "is_bot": False, "first_name": "Lan"}}}
    assert bot.telegram_post(json.dumps(update).encode()) == 200
    timestamp = now_ms()
    event = {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": timestamp, "sender": {"id": str(user)},
             "message": {"text": "sđt sở khcn", "msg_id": f"m{user}"}}
    assert bot.oa_post(json.dumps(event).encode(), timestamp) == 200
    assert bot.zbot_post(json.dumps({"ok": True, "result": FakeZaloBot.update(str(user), "sđt sở khcn")}).encode()) == 200
    bot.wait(lambda: any(c.method == "sendMessage" and str(c.params.get("chat_id")) == str(user) and c.ok
                         for c in list(bot.telegram.calls)), "the Telegram answer")
    bot.wait(lambda: any(u == str(user) and "0292" in t for u, t in list(bot.oa.messages)), "the Zalo OA answer")
    bot.wait(lambda: any(u == str(user) and "0292" in t for u, t in list(bot.zbot.messages)), "the Zalo Bot answer")
    time.sleep(0.3)  # the last fuzzed updates finish in the background
    assert bot.errors.records == [], bot.errors.report()
