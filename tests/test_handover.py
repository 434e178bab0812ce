"""Hand-over to staff end to end: the real server (``bot.runner.serve``, with its delivery loop) and
all three chat channels pointed at the local fakes over HTTP, a staff member answering at
``/admin/requests`` with the page's CSRF token, and the answer arriving at the fake of the channel
the question came from (Telegram ``sendMessage``, Zalo OA ``/v3.0/oa/message/cs``, Zalo Bot
``sendMessage``) or in the web chat's next poll; then the address erased. Also: Zalo's reply window
refusing an answer (error -230) and the answer going out once the citizen writes again, bounded
retries, a refused delivery, the FAQ made from an answer, and ``logs forget``."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import subprocess
import sys
import time
from html import unescape

import aiohttp
from fake_telegram import FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA, now_ms, oa_signature
from support import ROOT
from web_support import PASSWORD, add_user, csrf_of

from bot import runner
from bot.settings import load_settings
from bot.channels.zalo_common import HANDOVER_HINT
from handlers import texts
from knowledge import handover

APP_ID, OA_SECRET, APP_SECRET = "4313412345678901234", "oa-secret-key-handover", "app-secret-handover"
ZBOT_TOKEN = "1459232241454765289:fakeBotTokenHandover"
TG_CITIZEN, OA_CITIZEN, ZBOT_CHAT = 424242, "2512523625412515", "e4ea2cd5189df1c3a88c"
ANSWER = "Hồ sơ nộp tại bộ phận một cửa của Sở, số 02 Lý Thường Kiệt, trong giờ hành chính."
STAFF_SAID = (texts.STAFF_AT_WORK, "Cán bộ sẽ xem vào")


class Running:
    """The server and the fakes; ``staff`` is a signed-in browser session of a staff member."""

    def __init__(self, kb, url, telegram, oa, zbot, staff):
        self.kb, self.url, self.telegram, self.oa, self.zbot, self.staff = kb, url, telegram, oa, zbot, staff

    def requests(self) -> list[handover.Request]:
        return handover.listing(self.kb, waiting_only=False)

    async def until(self, condition, what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def page(self, path: str) -> str:
        async with self.staff.get(self.url + path) as response:
            assert response.status == 200, path
            return unescape(await response.text())

    async def post_form(self, path: str, **fields) -> int:
        token = csrf_of(await self.page("/admin/requests"))
        async with self.staff.post(self.url + path, data={"csrf": token, **fields}, allow_redirects=False) as response:
            return response.status

    async def answer(self, request_id: int, text: str = ANSWER) -> None:
        assert await self.post_form(f"/admin/requests/{request_id}/answer", answer=text) == 303

    async def oa_says(self, text: str) -> None:
        """The OA citizen writes: Zalo notes it (its reply window) and posts the signed event."""
        self.oa.user_wrote(OA_CITIZEN)
        event = {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": now_ms(), "sender": {"id": OA_CITIZEN},
                 "recipient": {"id": "579745863508352884"},
                 "message": {"text": text, "msg_id": f"msg-{time.monotonic_ns()}"}}
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": oa_signature(APP_ID, body, event["timestamp"], OA_SECRET)}
        before = len(self.oa.messages)
        async with self.staff.post(self.url + "/zalo/oa/webhook", data=body, headers=headers) as response:
            assert response.status == 200
        await self.until(lambda: len(self.oa.messages) > before, "the OA's reply")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def running(kb, delivery_attempts: int = 6):
    telegram = await FakeTelegram().start()
    oa = await FakeZaloOA(APP_ID, APP_SECRET, "access-0", "refresh-0").start()
    zbot = await FakeZaloBot(ZBOT_TOKEN).start()
    port = free_port()
    settings = load_settings(environ={
        "WEB_PORT": str(port), "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
        "ZALO_OA_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET, "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_ACCESS_TOKEN": "access-0", "ZALO_OA_REFRESH_TOKEN": "refresh-0", "ZALO_OA_API_BASE_URL": oa.url,
        "ZALO_OAUTH_BASE_URL": oa.url, "ZALO_BOT_TOKEN": ZBOT_TOKEN, "ZALO_BOT_API_BASE_URL": zbot.url})
    settings.data["handover"].update(delivery_interval_seconds=0.05, delivery_backoff_seconds=0.05,
                                     delivery_attempts=delivery_attempts)
    settings.data["conversation"]["rate_limit_messages"] = 1000
    settings.data["zalo"].update(oa_rate_limit_retries=0, bot_poll_timeout_seconds=1, bot_send_retries=0)
    add_user(kb, "lan", "staff")
    httpx_level = logging.getLogger("httpx").level  # the Telegram channel raises it; put it back after
    stop = asyncio.Event()
    server = asyncio.create_task(runner.serve(settings, kb, stop))
    url = f"http://127.0.0.1:{port}"
    staff = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                async with staff.get(url + "/healthz") as response:
                    if list((await response.json())["channels"].values()) == ["on"] * 3:
                        break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.05)
        async with staff.get(url + "/admin/login") as response:
            token = csrf_of(await response.text())
        async with staff.post(url + "/admin/login", data={"csrf": token, "name": "lan", "password": PASSWORD},
                              allow_redirects=False) as response:
            assert response.status == 303
        yield Running(kb, url, telegram, oa, zbot, staff)
    finally:
        stop.set()
        await server
        await staff.close()
        for fake in (telegram, oa, zbot):
            await fake.close()
        logging.getLogger("httpx").setLevel(httpx_level)


def inline_buttons(call) -> list[dict]:
    return [b for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


# ----- Telegram --------------------------------------------------------------------------------
async def test_telegram_hand_over_answered_by_staff_and_delivered(sample_kb):
    async with running(sample_kb) as bot:
        tg = bot.telegram
        tg.push_update(tg.text_update("Giá vàng hôm nay bao nhiêu?", user_id=TG_CITIZEN))
        [refusal] = await tg.wait_sent(1, TG_CITIZEN)
        [button] = [b for b in inline_buttons(refusal) if b["text"] == texts.HANDOVER_BUTTON]
        tg.push_update(tg.button_update(button["callback_data"], user_id=TG_CITIZEN))
        confirm = (await tg.wait_sent(2, TG_CITIZEN))[1].params["visible_text"]
        assert "Tôi đã chuyển câu hỏi «Giá vàng hôm nay bao nhiêu?» cho cán bộ Sở" in confirm
        assert any(sentence in confirm for sentence in STAFF_SAID)
        [request] = bot.requests()
        assert (request.route, request.address, request.state) == ("telegram", str(TG_CITIZEN), "open")

        page = await bot.page("/admin/requests")
        assert "Giá vàng hôm nay bao nhiêu?" in page and "Telegram" in page and "đã chờ 0 phút" in page
        assert "Tin nhắn gần đây của người dân" in page and "✗ Giá vàng hôm nay bao nhiêu?" in page
        await bot.answer(request.id)
        delivered = (await tg.wait_sent(3, TG_CITIZEN))[2]
        assert delivered.params["visible_text"] == texts.STAFF_ANSWER.format(
            question="Giá vàng hôm nay bao nhiêu?", answer=ANSWER)
        await bot.until(lambda: bot.requests()[0].state == "delivered", "the delivery to be recorded")
        assert bot.requests()[0].address is None
        assert "đã gửi" in await bot.page("/admin/requests?show=all")
        assert "Không có câu hỏi nào đang chờ cán bộ" in await bot.page("/admin/requests")


async def test_telegram_delivery_refused_is_shown_as_failed_and_can_be_sent_again(sample_kb):
    async with running(sample_kb) as bot:
        tg = bot.telegram
        tg.push_update(tg.text_update("Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký nhãn hiệu", user_id=TG_CITIZEN))
        await tg.wait_sent(1, TG_CITIZEN)
        [request] = bot.requests()
        tg.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        await bot.answer(request.id)
        await bot.until(lambda: bot.requests()[0].state == "failed", "the refusal to be recorded")
        page = await bot.page("/admin/requests")
        assert "gửi thất bại" in page and "bot was blocked by the user" in page
        assert bot.requests()[0].address == str(TG_CITIZEN)  # kept: staff may send again
        assert await bot.post_form(f"/admin/requests/{request.id}/retry") == 303
        await tg.wait_sent(2, TG_CITIZEN)
        await bot.until(lambda: bot.requests()[0].state == "delivered", "the second delivery")


# ----- Zalo OA ---------------------------------------------------------------------------------
async def test_zalo_oa_hand_over_answered_by_staff_and_delivered(sample_kb):
    async with running(sample_kb) as bot:
        await bot.oa_says("tôi muốn nói chuyện với người thật")
        assert bot.oa.messages[-1][1].startswith("Vâng, tôi sẽ chuyển câu hỏi của bạn cho cán bộ Sở")
        await bot.oa_says("Hồ sơ đề tài năm 2026 nộp ở đâu?")
        assert "«Hồ sơ đề tài năm 2026 nộp ở đâu?»" in bot.oa.messages[-1][1]
        [request] = bot.requests()
        assert (request.channel, request.route, request.address) == ("zalo", "zalo_oa", OA_CITIZEN)
        page = await bot.page("/admin/requests")
        assert "Zalo OA" in page and "Zalo OA chỉ cho trả lời đến" in page
        await bot.answer(request.id)
        await bot.until(lambda: bot.requests()[0].state == "delivered", "the delivery")
        assert bot.oa.messages[-1] == (OA_CITIZEN, texts.STAFF_ANSWER.format(
            question="Hồ sơ đề tài năm 2026 nộp ở đâu?", answer=ANSWER))
        assert bot.requests()[0].address is None


async def test_zalo_oa_answer_after_the_reply_window_is_held_until_the_citizen_writes(sample_kb):
    async with running(sample_kb) as bot:
        await bot.oa_says("gặp cán bộ")
        await bot.oa_says("Tôi cần hỏi về hồ sơ đề tài, gọi tôi số 0912 345 678")
        [request] = bot.requests()
        bot.oa.user_wrote(OA_CITIZEN, seconds_ago=8 * 86400)  # eight days later, for Zalo
        sent = len(bot.oa.messages)
        await bot.answer(request.id)
        await bot.until(lambda: bot.requests()[0].state == "window_closed", "Zalo's refusal to be recorded")
        assert len(bot.oa.messages) == sent and bot.oa.sends()[-1].json["recipient"] == {"user_id": OA_CITIZEN}
        page = await bot.page("/admin/requests")
        assert "hết hạn cửa sổ trả lời Zalo" in page and "Gọi cho công dân: 0912 345 678." in page
        assert "-230" in page
        await bot.oa_says("Cán bộ trả lời chưa ạ?")  # the window opens again
        await bot.until(lambda: bot.requests()[0].state == "delivered", "the held answer to go out")
        assert (OA_CITIZEN, texts.STAFF_ANSWER.format(question="Tôi cần hỏi về hồ sơ đề tài, gọi tôi số 0912 345 678",
                                                      answer=ANSWER)) in bot.oa.messages
        done = bot.requests()[0]
        assert done.address is None and "0912" not in done.question


async def test_a_delivery_that_keeps_failing_is_retried_a_bounded_number_of_times(sample_kb):
    async with running(sample_kb, delivery_attempts=3) as bot:
        await bot.oa_says("Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký nhãn hiệu")
        [request] = bot.requests()
        bot.oa.errors = [-32] * 3  # rate limited three times
        await bot.answer(request.id)
        await bot.until(lambda: bot.requests()[0].state == "failed", "the attempts to run out")
        assert bot.requests()[0].attempts == 3 and len(bot.oa.sends()) == 1 + 3  # the confirmation, then three tries
        assert "Đã thử gửi 3 lần" in await bot.page("/admin/requests")
        assert await bot.post_form(f"/admin/requests/{request.id}/retry") == 303
        await bot.until(lambda: bot.requests()[0].state == "delivered", "the answer sent again")


# ----- Zalo Bot --------------------------------------------------------------------------------
async def test_zalo_bot_hand_over_answered_by_staff_and_delivered(sample_kb):
    async with running(sample_kb) as bot:
        zbot = bot.zbot
        await zbot.updates.put(zbot.update(ZBOT_CHAT, "Giá vàng hôm nay?"))
        await bot.until(lambda: zbot.messages, "the refusal")
        assert HANDOVER_HINT in zbot.messages[0][1]
        await zbot.updates.put(zbot.update(ZBOT_CHAT, "gặp cán bộ"))
        await bot.until(lambda: len(zbot.messages) == 2, "the confirmation")
        assert "«Giá vàng hôm nay?»" in zbot.messages[1][1]
        [request] = bot.requests()
        assert (request.route, request.address) == ("zalo_bot", ZBOT_CHAT)
        assert "Zalo Bot" in await bot.page("/admin/requests")
        await bot.answer(request.id)
        await bot.until(lambda: len(zbot.messages) == 3, "the answer")
        assert zbot.messages[2] == (ZBOT_CHAT, texts.STAFF_ANSWER.format(question="Giá vàng hôm nay?", answer=ANSWER))
        await bot.until(lambda: bot.requests()[0].address is None, "the address to be erased")


# ----- web chat (JSON API; the page itself is in tests/test_browser.py) --------------------------
async def test_web_chat_answer_comes_with_the_sessions_next_poll(sample_kb):
    async with running(sample_kb) as bot, aiohttp.ClientSession() as citizen:
        async def ask(question: str, **extra) -> dict:
            async with citizen.post(bot.url + "/api/ask", json={"question": question, **extra}) as response:
                return await response.json()

        async def poll(session: str = "w-dan") -> list:
            async with citizen.get(bot.url + "/api/messages", params={"session": session}) as response:
                return (await response.json())["messages"]

        refusal = await ask("giá vàng hôm nay", session="w-dan")
        assert refusal["handover"] == texts.HANDOVER_BUTTON
        assert (await ask("giá vàng hôm nay"))["handover"] is None  # no session: nothing can come back
        confirm = await ask(refusal["handover"], session="w-dan")
        assert confirm["kind"] == "handover" and "«giá vàng hôm nay»" in confirm["text"]
        assert await poll() == []
        [request] = bot.requests()
        await bot.answer(request.id)
        assert await poll("w-other") == []
        assert await poll() == [{"text": texts.STAFF_ANSWER.format(question="giá vàng hôm nay", answer=ANSWER)}]
        assert await poll() == []  # given once
        assert bot.requests()[0].state == "delivered" and bot.requests()[0].address is None
        async with citizen.get(bot.url + "/", params={"q": "gặp cán bộ"}) as response:  # the page without JavaScript
            assert texts.HANDOVER_UNREACHABLE in unescape(await response.text())
        async with citizen.get(bot.url + "/api/messages") as response:
            assert response.status == 400


# ----- staff pages -----------------------------------------------------------------------------
async def test_an_answer_becomes_an_faq_in_one_click(sample_kb):
    async with running(sample_kb) as bot:
        bot.telegram.push_update(bot.telegram.text_update("Sở có chỗ gửi xe không? Gọi tôi 0912 345 678",
                                                          user_id=TG_CITIZEN))
        await bot.telegram.wait_sent(1, TG_CITIZEN)
        bot.telegram.push_update(bot.telegram.text_update("gặp cán bộ", user_id=TG_CITIZEN))
        await bot.telegram.wait_sent(2, TG_CITIZEN)
        [request] = bot.requests()
        await bot.answer(request.id, "Có, bãi giữ xe miễn phí phía sau trụ sở.")
        page = await bot.page("/admin/requests?show=all")
        assert f'href="/admin/faqs/new?request={request.id}"' in page
        form = await bot.page(f"/admin/faqs/new?request={request.id}")
        assert 'value="Sở có chỗ gửi xe không? Gọi tôi [số điện thoại]"' in form
        assert ">Có, bãi giữ xe miễn phí phía sau trụ sở.</textarea>" in form
        async with aiohttp.ClientSession() as anonymous:
            async with anonymous.get(bot.url + "/admin/requests", allow_redirects=False) as response:
                assert response.status == 303


async def test_staff_answer_without_a_csrf_token_changes_nothing(sample_kb):
    async with running(sample_kb) as bot:
        bot.telegram.push_update(bot.telegram.text_update("Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký nhãn hiệu",
                                                          user_id=TG_CITIZEN))
        await bot.telegram.wait_sent(1, TG_CITIZEN)
        [request] = bot.requests()
        async with bot.staff.post(f"{bot.url}/admin/requests/{request.id}/answer",
                                  data={"answer": "Trả lời giả mạo"}) as response:
            assert response.status == 403
        assert bot.requests()[0].state == "open" and bot.requests()[0].answer is None


def test_logs_forget_removes_the_citizens_requests(conversation, tmp_path):
    from handlers.messages import IncomingMessage

    def say(user: str, text: str) -> str:
        return conversation.respond(IncomingMessage("telegram", user, user, text))[0].text

    for user in ("dan", "khac"):
        say(user, "Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký nhãn hiệu")
        say(user, "Giá vàng hôm nay bao nhiêu?")  # refused: remembered for a hand-over asked for next
    kb = conversation.kb
    dan = kb.hash_user("telegram:dan")
    result = subprocess.run([sys.executable, str(ROOT / "run_bot.py"), "logs", "forget", dan, "--db", kb.path],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1 câu hỏi chuyển cán bộ" in result.stdout
    assert [r.user_hash for r in handover.listing(kb)] == [kb.hash_user("telegram:khac")]
    assert "Giá vàng" not in say("dan", "gặp cán bộ")  # the refused question is forgotten too
    assert "«Giá vàng hôm nay bao nhiêu?»" in say("khac", "gặp cán bộ")
