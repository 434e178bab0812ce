"""Telegram channel end to end: the real python-telegram-bot ``Application`` talks HTTP to a local
fake of the Bot API (tests/fake_telegram.py); nothing reaches Telegram's servers."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.channels import telegram as tg
from bot.channels.inbox import Inbox
from bot.settings import Settings
from bot.web.app import create_app
from fake_telegram import FakeTelegram, TelegramHTMLError, parse_telegram_html
from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import Reply
from knowledge import audit

ROOT = Path(__file__).resolve().parent.parent
STAFF_ID = 99001
CITIZEN_ID = 424242
SECRET = "test-secret_123"

NEW_ARTICLE = """# Ngày hội Sáng tạo trẻ Cần Thơ 2026

Ngày đăng: 20/11/2026

Ngày hội Sáng tạo trẻ Cần Thơ 2026 diễn ra tại Công viên Lưu Hữu Phước từ ngày 5/12/2026 đến ngày 7/12/2026, với 120 gian hàng trưng bày sản phẩm sáng tạo của học sinh, sinh viên.

Ban tổ chức trao 3 giải nhất, mỗi giải 20 triệu đồng, cho các sản phẩm có tính ứng dụng cao.
""".encode("utf-8")


def settings_for(fake: FakeTelegram, mode: str = "polling", **telegram) -> Settings:
    section = {"mode": mode, "webhook_url": "", "api_base_url": fake.base_url,
               "staff_user_ids": [str(STAFF_ID)], **telegram}
    secrets = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    return Settings({"telegram": section, "web": {"host": "127.0.0.1", "port": 0}}, secrets, "test")


@pytest.fixture
async def fake():
    server = await FakeTelegram().start()
    yield server
    await server.close()


class Harness:
    """The channel as the runner builds it, with test-sized timeouts."""

    def __init__(self, fake: FakeTelegram, conversation: Conversation, mode: str = "polling",
                 must_start: bool = True, **telegram):
        self.fake = fake
        self.conversation = conversation
        self.app = create_app(conversation, conversation.kb)
        self.channel = tg.build(settings_for(fake, mode, **telegram), conversation, self.app)
        assert self.channel is not None
        self.channel.config = replace(self.channel.config, poll_timeout=1, backoff_seconds=0.05,
                                      start_retry_seconds=0.2)
        self.must_start = must_start
        self.runner: web.AppRunner | None = None
        self.web_url = ""

    async def __aenter__(self) -> "Harness":
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.web_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        await self.channel.start()
        assert self.channel.running or not self.must_start
        return self

    async def __aexit__(self, *exc) -> None:
        await self.channel.stop()
        await self.runner.cleanup()

    async def ask(self, text: str, user_id: int = CITIZEN_ID, **kwargs) -> list:
        """A citizen's text in; the messages the bot delivered to that chat out."""
        chat_id = kwargs.get("chat_id", user_id)
        before = len(self.fake.sent(chat_id))
        self.fake.push_update(self.fake.text_update(text, user_id=user_id, **kwargs))
        await self.fake.wait_sent(before + 1, chat_id)
        await self.fake.settle(0.1)
        return self.fake.sent(chat_id)[before:]


@pytest.fixture
async def bot(fake, conversation):
    async with Harness(fake, conversation) as harness:
        yield harness


def visible(call) -> str:
    return call.params["visible_text"]


def buttons(call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


# ----- start-up and commands ---------------------------------------------------------------
async def test_start_registers_commands_and_polls(bot, fake):
    methods = [c.method for c in fake.calls]
    assert methods[0] == "getMe"
    assert "setMyCommands" in methods and "deleteWebhook" in methods
    commands = fake.requests("setMyCommands")[0].params["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "lienhe"]
    await fake.wait_for(lambda: fake.requests("getUpdates"))
    poll = fake.requests("getUpdates")[0].params
    assert poll["timeout"] == "1"
    assert set(poll["allowed_updates"]) == {"message", "edited_message", "callback_query"}


async def test_start_greets_with_example_question_buttons(bot, fake, conversation):
    [message] = await bot.ask("/start")
    assert message.params["parse_mode"] == "HTML"
    assert visible(message).startswith("Xin chào!")
    assert "được lưu lại, không kèm danh tính" in visible(message) and "/privacy" in visible(message)
    shown, starters = [b["text"] for b in buttons(message)], conversation.starters.questions()
    assert shown == starters, (shown, starters)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(message))
    # "typing…" went out before the answer
    methods = [c.method for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods[:2] == ["sendChatAction", "sendMessage"]
    assert fake.requests("sendChatAction")[0].params["action"] == "typing"


async def test_help_and_contact_card_commands(bot, fake):
    [help_message] = await bot.ask("/help")
    assert "/lienhe" in visible(help_message)
    [card] = await bot.ask("/lienhe")
    text = visible(card)
    for expected in ("Địa chỉ:", "Điện thoại: 0292.3820674", "Email:", "Nguồn:"):
        assert expected in text
    assert card.params["text"].startswith("<b>")  # the department's name stands out


async def test_id_command_tells_a_user_their_own_id(bot, fake, sample_kb):
    [message] = await bot.ask("/id", user_id=246810)
    assert "246810" in visible(message)
    assert list(sample_kb.iter_rows("SELECT * FROM query_log")) == []  # a command is not a question


# ----- questions ---------------------------------------------------------------------------
async def test_contact_question(bot):
    [message] = await bot.ask("sđt sở khcn")
    assert "Điện thoại: 0292.3820674" in visible(message)
    assert "Nguồn:" in visible(message)


async def test_article_fact_with_source_link(bot):
    [message] = await bot.ask("hội thi sáng tạo kỹ thuật giải nhất bao nhiêu")
    text = visible(message)
    assert "giải nhất 15 triệu đồng" in text
    assert "Nguồn: Cần Thơ khởi động Hội thi Sáng tạo kỹ thuật (31/10/2014)" in text
    # the source is a link, its "&" escaped inside the attribute
    assert '<a href="https://sokhcn.cantho.gov.vn/default.aspx?pid=57&amp;nid=5170">' in message.params["text"]
    assert message.params["link_preview_options"] == {"is_disabled": True}


async def test_rating_buttons_under_an_answer_record_feedback(bot, fake, sample_kb):
    [message] = await bot.ask("sđt sở khcn")
    up, down = buttons(message)
    assert (up["text"], down["text"]) == ("👍 Hữu ích", "👎 Chưa hữu ích")
    fake.push_update(fake.button_update(down["callback_data"], user_id=CITIZEN_ID + 1))  # someone else
    fake.push_update(fake.button_update(up["callback_data"]))
    await fake.wait_for(lambda: len(fake.requests("answerCallbackQuery")) == 2)
    toasts = [c.params["text"] for c in fake.requests("answerCallbackQuery")]
    assert toasts == [texts.FEEDBACK_EXPIRED, texts.FEEDBACK_THANKS[1]]
    [row] = sample_kb.iter_rows("SELECT feedback FROM query_log")
    assert row["feedback"] == 1


async def test_thumbs_down_offers_reasons_and_a_tap_records_one(bot, fake, sample_kb):
    [message] = await bot.ask("sđt sở khcn")
    markup = message.params["reply_markup"]
    _, down = buttons(message)
    fake.push_update(fake.button_update(down["callback_data"], markup=markup))
    await fake.wait_for(lambda: fake.requests("editMessageReplyMarkup"))
    [toast] = [c.params["text"] for c in fake.requests("answerCallbackQuery")]
    assert toast == f"{texts.FEEDBACK_THANKS[-1]} {texts.FEEDBACK_REASON_ASK}"
    [edit] = fake.requests("editMessageReplyMarkup", ok_only=True)
    reasons = [row[0] for row in edit.params["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in reasons] == ["Sai thông tin", "Không đúng câu hỏi", "Khó hiểu"]
    [(log_id,)] = sample_kb.conn.execute("SELECT id FROM query_log").fetchall()
    assert reasons[0]["callback_data"] == f"fb:{log_id}:-1:wrong_info"  # a row id and a code, nothing personal
    assert all(len(b["callback_data"].encode()) <= 64 for b in reasons)
    fake.push_update(fake.button_update(reasons[0]["callback_data"], user_id=CITIZEN_ID + 1))  # someone else
    fake.push_update(fake.button_update(reasons[0]["callback_data"], markup=edit.params["reply_markup"]))
    await fake.wait_for(lambda: len(fake.requests("editMessageReplyMarkup")) == 2)
    toasts = [c.params["text"] for c in fake.requests("answerCallbackQuery")]
    assert toasts[1:] == [texts.FEEDBACK_EXPIRED, texts.FEEDBACK_REASON_THANKS]
    assert "reply_markup" not in fake.requests("editMessageReplyMarkup")[1].params  # the reasons are gone
    [row] = sample_kb.iter_rows("SELECT q.feedback, r.reason FROM query_log q "
                                "JOIN query_feedback_reason r ON r.log_id = q.id")
    assert row == {"feedback": -1, "reason": "wrong_info"}


async def test_fallback_gives_contacts(bot):
    [message] = await bot.ask("giá vàng hôm nay bao nhiêu")
    text = visible(message)
    assert text.startswith(texts.NOT_FOUND)
    assert "0292.3820674" in text and "sokhcn@cantho.gov.vn" in text


async def press(fake, button: dict, user_id: int = CITIZEN_ID):
    """The citizen taps an inline button; returns (the callback query update, the bot's answer)."""
    before = len(fake.sent(user_id))
    update = fake.push_update(fake.button_update(button["callback_data"], user_id=user_id))
    [answer] = (await fake.wait_sent(before + 1, user_id))[before:]
    return update, answer


async def test_example_question_button_answers_that_question(bot, fake):
    [greeting] = await bot.ask("/start")
    address_button = buttons(greeting)[0]
    assert address_button["text"] == "Địa chỉ Sở ở đâu?"
    update, answer = await press(fake, address_button)
    [answered] = fake.requests("answerCallbackQuery")
    assert answered.params["callback_query_id"] == update["callback_query"]["id"]
    assert "text" not in answered.params  # just stops the spinner
    assert answer.params["text"].startswith("<b>Địa chỉ Sở ở đâu?</b>")  # the chosen question as heading
    assert "Địa chỉ: Số 02, Lý Thường kiệt" in visible(answer)


# Questions the matcher is unsure about; which of them get "did you mean" suggestions depends on its tuning.
UNSURE_QUESTIONS = ["thủ tục đăng ký nhãn hiệu", "hội thảo", "hội thảo khoa học", "giải thưởng sáng tạo", "ký kết", "hội nghị"]


async def test_did_you_mean_button_answers_that_question(bot, fake, conversation):
    question = next((q for q in UNSURE_QUESTIONS if conversation.answer(q).suggestions), None)
    assert question, "none of the sample questions gets suggestions any more: update UNSURE_QUESTIONS"
    [message] = await bot.ask(question)
    suggestions = buttons(message)
    assert 1 <= len(suggestions) <= 3
    assert texts.SUGGESTIONS_INTRO in visible(message) or tg.ALSO_ASK in visible(message)
    chosen = suggestions[0]
    _, answer = await press(fake, chosen)
    assert len(fake.requests("answerCallbackQuery")) == 1
    assert visible(answer).startswith(chosen["text"].rstrip("…"))
    assert "Nguồn:" in visible(answer)


def test_answered_reply_gets_no_button_for_the_article_it_quotes():
    store = tg.SuggestionStore()
    source = {"title": "Bài A", "date": "2020-01-02", "path": None}
    reply = Reply("Đoạn trích.\n\nNguồn: Bài A (02/01/2020)", "article", True, 0.9, source,
                  suggestions=["Bài A", "Bài B"])
    [message] = tg.render(reply, store)
    assert [row[0].text for row in message.keyboard.inline_keyboard] == ["Bài B"]
    assert parse_telegram_html(message.html).endswith(tg.ALSO_ASK)


async def test_unknown_button_is_answered_without_spinner(bot, fake):
    fake.push_update(fake.button_update("q:000000000000"))
    await fake.wait_for(lambda: fake.requests("answerCallbackQuery"))
    await fake.settle(0.3)
    assert fake.requests("answerCallbackQuery")[0].params["text"] == tg.SUGGESTION_EXPIRED
    assert fake.sent() == []


async def test_non_text_messages_get_a_polite_reply(bot, fake):
    sticker = {"file_id": "st1", "file_unique_id": "ust1", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False}
    contents = {
        1001: {"sticker": sticker},
        1002: {"photo": [{"file_id": "ph1", "file_unique_id": "uph1", "width": 90, "height": 90}]},
        1003: {"voice": {"file_id": "vo1", "file_unique_id": "uvo1", "duration": 3}},
        1004: {"location": {"latitude": 10.03, "longitude": 105.78}},
        1005: {"contact": {"phone_number": "0900000000", "first_name": "A"}},
    }
    for user_id, content in contents.items():
        fake.push_update({"message": fake.message(user_id, **content)})
    edited = fake.text_update("địa chỉ sở", user_id=1006)
    fake.push_update({"edited_message": edited["message"]})
    await fake.wait_for(lambda: len(fake.sent()) >= 6)
    for user_id in contents:
        [message] = fake.sent(user_id)
        assert visible(message) == texts.NOT_TEXT
    [message] = fake.sent(1006)
    assert visible(message) == texts.EDITED


async def test_group_answers_only_when_addressed(bot, fake):
    group = -1001234
    username = fake.bot["username"]
    fake.push_update(fake.text_update("địa chỉ sở ở đâu", user_id=5, chat_id=group, chat_type="supergroup"))
    fake.push_update(fake.text_update("/lienhe@some_other_bot", user_id=5, chat_id=group, chat_type="supergroup"))
    await fake.settle(0.6)
    assert fake.sent(group) == []
    assert fake.requests("sendChatAction") == []

    mention = f"@{username} sđt sở khcn"
    [message] = await bot.ask(mention, user_id=5, chat_id=group, chat_type="supergroup",
                              entities=[{"type": "mention", "offset": 0, "length": len(username) + 1}])
    assert "0292.3820674" in visible(message)
    assert message.params["reply_parameters"]["message_id"] > 0

    reply = fake.bot_message(group, "supergroup")
    [message] = await bot.ask("còn email của sở?", user_id=6, chat_id=group, chat_type="supergroup",
                              reply_to_message=reply)
    assert "sokhcn@cantho.gov.vn" in visible(message)

    [message] = await bot.ask(f"/lienhe@{username}", user_id=7, chat_id=group, chat_type="supergroup")
    assert "Điện thoại:" in visible(message)


async def test_duplicate_update_is_answered_once(bot, fake):
    update = fake.push_update(fake.text_update("địa chỉ sở ở đâu"))
    await fake.wait_sent(1)
    fake.push_update(dict(update), ignore_offset=True)  # Telegram delivers it again
    await fake.wait_for(lambda: sum(1 for c in fake.requests("getUpdates") if c.result) >= 2)
    await fake.settle(0.5)
    assert len(fake.sent()) == 1


async def test_updates_left_by_a_stopped_run_are_answered_at_start_and_not_again(fake, conversation, sample_kb):
    left = Inbox(sample_kb, tg.CHANNEL)
    for update_id, user_id in ((900101, 5101), (900102, 5102)):
        left.accept(str(update_id), {"update_id": update_id, **fake.text_update("sđt sở khcn", user_id=user_id)})
    async with Harness(fake, conversation):
        first, second = await fake.wait_sent(2)
        assert {first.params["chat_id"], second.params["chat_id"]} == {"5101", "5102"}
        fake.push_update({"update_id": 900101, **fake.text_update("sđt sở khcn", user_id=5101)})  # again
        await fake.wait_for(lambda: sum(1 for c in fake.requests("getUpdates") if c.result) >= 1)
        await fake.settle(0.5)
        assert len(fake.sent()) == 2
    assert Inbox(sample_kb, tg.CHANNEL).resume() == []


async def test_flood_control_429_once_then_success(bot, fake):
    fake.fail("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    [message] = await bot.ask("sđt sở khcn")
    attempts = fake.requests("sendMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # waited retry_after
    assert time.monotonic() - started < 8
    assert "0292.3820674" in visible(message)


async def test_one_chat_is_answered_in_order_while_others_go_on(bot, fake):
    fake.fail("sendMessage", 429, retry_after=1)  # the first answer has to wait
    fake.push_update(fake.text_update("sđt sở khcn"))
    fake.push_update(fake.text_update("email của sở"))
    fake.push_update(fake.text_update("địa chỉ sở ở đâu", user_id=777))
    first, second = await fake.wait_sent(2, CITIZEN_ID)
    assert "Điện thoại" in visible(first) and "Email" in visible(second)
    [other] = fake.sent(777)
    assert other.at < first.at  # another citizen did not wait for the flood control


async def test_server_errors_are_retried_with_backoff(bot, fake):
    fake.fail("sendMessage", 500, times=2)
    [message] = await bot.ask("sđt sở khcn")
    assert [c.status for c in fake.requests("sendMessage")] == [500, 500, 200]
    assert "0292.3820674" in visible(message)


async def test_retries_are_bounded_then_the_bot_goes_on(bot, fake):
    fake.fail("sendMessage", 500, times=5)  # more than max_attempts (4), and the apology's first try
    fake.push_update(fake.text_update("sđt sở khcn"))
    await fake.wait_for(lambda: len(fake.requests("sendMessage")) >= 5)
    await fake.settle(0.5)
    assert len(fake.requests("sendMessage")) <= 8
    [message] = await bot.ask("địa chỉ sở ở đâu", user_id=31337)
    assert "Địa chỉ" in visible(message)


async def test_failure_while_answering_gives_an_apology_and_the_bot_goes_on(bot, fake, sample_kb):
    # Break the database for real, from another connection: the full-text index disappears.
    other = sqlite3.connect(sample_kb.path)
    other.execute("ALTER TABLE passage_index RENAME TO passage_index_away")
    other.commit()
    try:
        [message] = await bot.ask("hội thi sáng tạo kỹ thuật giải nhất bao nhiêu")
        assert visible(message).startswith(texts.ERROR)
    finally:
        other.execute("ALTER TABLE passage_index_away RENAME TO passage_index")
        other.commit()
        other.close()
    [message] = await bot.ask("hội thi sáng tạo kỹ thuật giải nhất bao nhiêu")
    assert "giải nhất 15 triệu đồng" in visible(message)


async def test_rejected_message_gives_an_apology(bot, fake):
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    [message] = await bot.ask("sđt sở khcn")
    assert visible(message) == texts.ERROR
    [message] = await bot.ask("sđt sở khcn")
    assert "0292.3820674" in visible(message)


async def test_html_special_characters_are_escaped(bot, fake, sample_kb):
    answer = 'Giờ tiếp dân: thứ 2 <-> thứ 6, 7h00 & 13h30 — hồ sơ ghi "KH&CN" <b>không</b> cần <script>.'
    sample_kb.add_faq("giờ tiếp dân của sở", ["lịch tiếp công dân"], answer)
    [message] = await bot.ask("giờ tiếp dân của sở")
    assert answer in visible(message)  # the fake parsed the HTML as Telegram would
    assert "<script>" not in message.params["text"]
    # a question full of markup is harmless too
    [message] = await bot.ask("<b>Địa chỉ</b> & </i> của Sở?")
    assert message.status == 200
    # a source title with "&"
    [message] = await bot.ask("giao ban KH&CN cấp quận lần XIII")
    assert "Nguồn: Hội nghị giao ban KH&CN cấp quận" in visible(message)


async def test_long_reply_is_split_cleanly(bot, fake, sample_kb):
    paragraphs = [f"Đoạn {i}: " + "thủ tục đăng ký nhiệm vụ khoa học & công nghệ cấp thành phố. " * 12
                  for i in range(1, 16)]
    answer = "\n\n".join(p.strip() for p in paragraphs)
    assert len(answer) > 2 * 4096
    sample_kb.add_faq("hướng dẫn thủ tục đăng ký nhiệm vụ", [], answer)
    fake.push_update(fake.text_update("hướng dẫn thủ tục đăng ký nhiệm vụ"))
    await fake.wait_for(lambda: len(fake.sent()) >= 3)
    await fake.settle(0.3)
    messages = fake.sent()
    assert all(len(visible(m)) <= 4096 for m in messages)
    joined = "\n\n".join(visible(m) for m in messages)
    for paragraph in paragraphs:
        assert paragraph.strip() in joined  # no paragraph cut in the middle
    assert "Đoạn 15" in visible(messages[-1])


# ----- query log and rate limit ------------------------------------------------------------
async def test_questions_are_logged_with_a_hashed_user_id(bot, fake, sample_kb):
    await bot.ask("sđt sở khcn", user_id=987654321)
    rows = list(sample_kb.iter_rows("SELECT * FROM query_log"))
    assert len(rows) == 1
    row = rows[0]
    assert row["channel"] == "telegram" and row["question"] == "sđt sở khcn" and row["kind"] == "contact"
    assert row["user_hash"] == sample_kb.hash_user("telegram:987654321")
    assert all("987654321" not in str(value) for value in row.values())


async def test_per_user_rate_limit(fake, sample_kb):
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=2, rate_limit_seconds=60))
    async with Harness(fake, conversation) as harness:
        await harness.ask("sđt sở khcn")
        await harness.ask("email sở")
        [message] = await harness.ask("địa chỉ sở")
        assert "Bạn gửi nhanh quá" in visible(message)
        [message] = await harness.ask("địa chỉ sở", user_id=555)  # another citizen is not affected
        assert "Địa chỉ" in visible(message)


# ----- webhook -----------------------------------------------------------------------------
async def test_webhook_checks_the_secret_header(fake, conversation):
    url = "https://bot.example.gov.vn/telegram/webhook"
    async with Harness(fake, conversation, mode="webhook", webhook_url=url) as harness:
        [registration] = fake.requests("setWebhook")
        assert registration.params["url"] == url
        assert registration.params["secret_token"] == SECRET
        assert fake.requests("getUpdates") == []
        update = {"update_id": 900001, **fake.text_update("sđt sở khcn")}
        endpoint = harness.web_url + tg.WEBHOOK_PATH
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {tg.SECRET_HEADER: "wrong"}):
                async with session.post(endpoint, json=update, headers=headers) as response:
                    assert response.status == 403
            await fake.settle(0.3)
            assert fake.sent() == []
            for _ in range(2):  # the second delivery is a duplicate
                async with session.post(endpoint, json=update, headers={tg.SECRET_HEADER: SECRET}) as response:
                    assert response.status == 200
            async with session.post(endpoint, data=b"not json", headers={tg.SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
            no_chat = {"update_id": 900003, **fake.text_update("sđt sở khcn")}
            no_chat["message"]["chat"]["id"] = 0
            async with session.post(endpoint, json=no_chat, headers={tg.SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
        [message] = await fake.wait_sent(1)
        await fake.settle(0.3)
        assert len(fake.sent()) == 1
        assert "0292.3820674" in visible(message)


async def test_unreachable_telegram_at_start_is_retried(fake, conversation, capsys):
    fake.fail("getMe", 502)
    async with Harness(fake, conversation, must_start=False) as harness:
        assert not harness.channel.running
        assert "sẽ thử lại" in capsys.readouterr().out
        await fake.wait_for(lambda: harness.channel.running)
        [message] = await harness.ask("sđt sở khcn")
        assert "0292.3820674" in visible(message)


async def test_webhook_asks_telegram_to_wait_when_far_behind(fake, conversation):
    url = "https://bot.example.gov.vn/telegram/webhook"
    async with Harness(fake, conversation, mode="webhook", webhook_url=url) as harness:
        harness.channel.inbox.max_backlog = 0  # as if 200 updates were waiting
        update = {"update_id": 900002, **fake.text_update("sđt sở khcn")}
        async with aiohttp.ClientSession() as session:
            async with session.post(harness.web_url + tg.WEBHOOK_PATH, json=update,
                                    headers={tg.SECRET_HEADER: SECRET}) as response:
                assert response.status == 503 and response.headers["Retry-After"] == "5"
        await fake.settle(0.3)
        assert fake.sent() == []  # not acknowledged, so Telegram delivers it again later


async def test_webhook_url_refused_by_telegram_leaves_the_channel_off(fake, conversation, capsys):
    fake.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    async with Harness(fake, conversation, mode="webhook", webhook_url="http://x/telegram/webhook",
                       must_start=False) as harness:
        assert not harness.channel.running
        assert "https url must be provided" in capsys.readouterr().out.lower()
        await fake.settle(0.5)
        assert len(fake.requests("setWebhook")) == 1  # not retried


async def test_polling_recovers_from_get_updates_errors(bot, fake):
    await fake.wait_for(lambda: fake.requests("getUpdates"))
    fake.fail("getUpdates", 500)
    [message] = await bot.ask("sđt sở khcn")
    assert "0292.3820674" in visible(message)
    assert any(c.status == 500 for c in fake.requests("getUpdates"))


# ----- staff document import ---------------------------------------------------------------
async def test_staff_document_is_imported_and_answered(bot, fake, sample_kb):
    fake.add_file("doc1", "ngay-hoi.md", NEW_ARTICLE)
    fake.push_update(fake.document_update("doc1", "ngay-hoi.md", len(NEW_ARTICLE), user_id=STAFF_ID))
    [report] = await fake.wait_sent(1, STAFF_ID)
    text = visible(report)
    assert "thêm mới" in text and "Ngày hội Sáng tạo trẻ Cần Thơ 2026" in text
    assert sample_kb.find_article("upload:ngay-hoi.md") is not None
    # who imported what, when
    [entry] = [e for e in audit.entries(sample_kb) if e["target"] == "ngay-hoi.md"]
    assert entry["actor"] == f"telegram:{STAFF_ID}" and entry["action"] == "article.added"
    [answer] = await bot.ask("ngày hội sáng tạo trẻ diễn ra ở đâu")
    assert "Công viên Lưu Hữu Phước" in visible(answer)
    # the same file again changes nothing
    fake.push_update(fake.document_update("doc1", "ngay-hoi.md", len(NEW_ARTICLE), user_id=STAFF_ID))
    report = (await fake.wait_sent(2, STAFF_ID))[1]
    assert "không đổi" in visible(report)


async def test_citizens_are_answered_while_a_large_staff_document_is_imported(bot, fake, sample_kb):
    """The import runs in a staff job process, not on the event loop: a question asked once the file is
    downloaded is answered before the import's report."""
    paragraph = "Đoạn {i}: Sở Khoa học và Công nghệ báo cáo kết quả nhiệm vụ chuyển đổi số nông nghiệp số {i}."
    large = ("# Báo cáo tổng kết\n\nNgày đăng: 01/10/2026\n\n" + "\n\n".join(
        paragraph.format(i=i) for i in range(30_000))).encode("utf-8")  # about 3 MB
    fake.add_file("big2", "bao-cao.md", large)
    fake.push_update(fake.document_update("big2", "bao-cao.md", len(large), user_id=STAFF_ID))
    await fake.wait_for(lambda: fake.requests("getFile"))
    await fake.settle(0.3)  # the file is downloaded: the import is under way
    [answer] = await bot.ask("sđt sở khcn")
    assert "0292.3820674" in visible(answer)
    assert fake.sent(STAFF_ID) == []  # the import has not reported yet
    [report] = await fake.wait_sent(1, STAFF_ID, timeout=60)
    assert "thêm mới" in visible(report) and sample_kb.find_article("upload:bao-cao.md") is not None


async def test_citizen_document_is_refused(bot, fake, sample_kb):
    fake.add_file("doc2", "ngay-hoi.md", NEW_ARTICLE)
    fake.push_update(fake.document_update("doc2", "ngay-hoi.md", len(NEW_ARTICLE), user_id=CITIZEN_ID))
    [message] = await fake.wait_sent(1, CITIZEN_ID)
    assert visible(message) == texts.NOT_TEXT
    assert fake.requests("getFile") == []
    assert sample_kb.find_article("upload:ngay-hoi.md") is None


async def test_staff_document_of_wrong_type_or_too_big_is_refused(bot, fake, sample_kb):
    fake.push_update(fake.document_update("pdf1", "bao-cao.pdf", 20_000, user_id=STAFF_ID,
                                          mime_type="application/pdf"))
    [message] = await fake.wait_sent(1, STAFF_ID)
    assert visible(message).startswith("Không nhập được tệp «bao-cao.pdf»: chỉ nhận tệp văn bản .txt, .html hoặc .md")
    fake.push_update(fake.document_update("big1", "rat-lon.txt", 6 * 1024 * 1024, user_id=STAFF_ID,
                                          mime_type="text/plain"))
    message = (await fake.wait_sent(2, STAFF_ID))[1]
    assert "vượt giới hạn 5,0 MB" in visible(message)
    assert fake.requests("getFile") == []
    # a file that is not an article is reported, and nothing is imported
    fake.add_file("bad1", "trong.txt", b"\xff\xfe\x00")
    fake.push_update(fake.document_update("bad1", "trong.txt", 3, user_id=STAFF_ID, mime_type="text/plain"))
    message = (await fake.wait_sent(3, STAFF_ID))[2]
    assert "lỗi" in visible(message)
    assert sample_kb.find_article("upload:trong.txt") is None


# ----- settings and pieces -----------------------------------------------------------------
def test_without_token_the_channel_stays_off_and_says_how(conversation, capsys):
    settings = Settings({"telegram": {"mode": "polling"}}, {}, "test")
    assert tg.build(settings, conversation, create_app(conversation, conversation.kb)) is None
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().out


def test_webhook_mode_needs_a_url(conversation, capsys):
    settings = Settings({"telegram": {"mode": "webhook"}}, {"TELEGRAM_BOT_TOKEN": "1:x"}, "test")
    assert tg.build(settings, conversation, create_app(conversation, conversation.kb)) is None
    assert "TELEGRAM_WEBHOOK_URL" in capsys.readouterr().out


def test_staff_ids_from_environment_style_values():
    settings = Settings({"telegram": {"staff_user_ids": ["11", " 22 ", 33]}}, {"TELEGRAM_BOT_TOKEN": "1:x"}, "t")
    assert tg.config_from_settings(settings).staff_ids == {"11", "22", "33"}
    assert tg.TelegramConfig("1:x", api_base_url="http://h:1/bot").files_url == "http://h:1/file/bot"


async def test_wrong_token_leaves_the_channel_off(fake, conversation, capsys):
    settings = settings_for(fake)
    settings.secrets["TELEGRAM_BOT_TOKEN"] = "1:wrong"
    channel = tg.build(settings, conversation, create_app(conversation, conversation.kb))
    await channel.start()
    assert not channel.running
    assert "từ chối" in capsys.readouterr().out
    await channel.stop()


def test_split_text_prefers_paragraphs_then_lines_then_words():
    text = "a" * 10 + "\n\n" + "b" * 10 + "\n" + "c" * 10 + " " + "d" * 30
    assert tg.split_text(text, 25) == ["a" * 10, "b" * 10 + "\n" + "c" * 10, "d" * 25, "d" * 5]
    assert tg.split_text("ngắn", 25) == ["ngắn"]


def test_render_escapes_everything_and_keeps_callback_data_short():
    store = tg.SuggestionStore()
    long_title = "Hội nghị giao ban KH&CN <cấp quận> " + "rất dài " * 20
    reply = Reply("Đoạn <1> & \"2\"\n\nNguồn: A&B (01/02/2020)", "article", True,
                  source={"title": "A&B", "date": "2020-02-01", "path": "https://x.vn/?a=1&b=2"},
                  suggestions=[long_title])
    [message] = tg.render(reply, store)
    assert parse_telegram_html(message.html).startswith('Đoạn <1> & "2"\n\nNguồn: A&B (01/02/2020)')
    button = message.keyboard.inline_keyboard[0][0]
    assert len(button.callback_data.encode()) <= 64 and len(button.text) <= tg.MAX_BUTTON_CHARS
    assert store.get(button.callback_data) == long_title
    with pytest.raises(TelegramHTMLError):
        parse_telegram_html("a < b & c")


def test_unsure_reply_offers_did_you_mean_buttons():
    store = tg.SuggestionStore()
    reply = Reply("Xin lỗi, tôi chưa có thông tin.", "fallback", False,
                  suggestions=["Địa chỉ Sở ở đâu?", "Email của Sở là gì?", "Fax của Sở?", "Thêm một"])
    [message] = tg.render(reply, store)
    assert parse_telegram_html(message.html).endswith(texts.SUGGESTIONS_INTRO)
    assert [row[0].text for row in message.keyboard.inline_keyboard] == reply.suggestions[:3]


# ----- the real entry point ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_run_bot_answers_on_telegram_and_stops_cleanly_on_sigterm(fake, tmp_path):
    """``python run_bot.py run`` (what ``make run`` starts) with only the token and the API address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
               KB_DB_PATH=str(tmp_path / "kb.sqlite"), WEB_PORT=str(_free_port()), PYTHONUNBUFFERED="1")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run_bot.py"), "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output: list[str] = []

    async def read_until(marker: str) -> None:
        while not any(marker in line for line in output):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            if not line:
                raise AssertionError("run_bot.py exited:\n" + "".join(output))
            output.append(line.decode())

    try:
        await read_until("Kênh telegram: đang chạy")
        fake.push_update(fake.text_update("sđt sở khcn"))
        [message] = await fake.wait_sent(1, timeout=20)
        assert "0292.3820674" in visible(message)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(process.communicate(), 20)
        output.append(rest.decode())
    assert process.returncode == 0, "".join(output)
    assert "Đã dừng bot." in "".join(output)
    assert "Traceback" not in "".join(output)
