"""Hand-over to staff in the channel-neutral conversation: recognising a request for a person in
many wordings (with and without accents) and not in ordinary questions, the working-hours
sentence at fixed moments, the flow (refused question taken over, question asked for, cancelled,
limit, nowhere to answer), the [handover] settings, and the requests table's privacy rules."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.settings import SettingsError, load_settings
from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from handlers.handover_intent import is_cancel, recognise
from handlers.messages import IncomingMessage
from handlers.working_hours import HoursError, WorkingHours, parse_days, parse_periods
from knowledge import handover
from knowledge.store import KnowledgeBase
from support import write

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TUESDAY_9AM = dt.datetime(2026, 11, 24, 9, 0, tzinfo=VN)

REQUESTS = [
    "gặp cán bộ", "GẶP CÁN BỘ", "gap can bo", "Tôi muốn nói chuyện với người thật", "toi muon noi chuyen voi nguoi that",
    "cho gặp người thật", "cho gap nguoi that", "chuyển cho nhân viên", "chuyen cho nhan vien giup minh",
    "Cho tôi gặp cán bộ được không ạ?", "Chuyển máy cho cán bộ giúp mình", "chuyển câu hỏi này cho cán bộ",
    "kết nối với tổng đài viên", "Tôi cần người hỗ trợ", "Cần nhân viên tư vấn", "Để lại câu hỏi cho cán bộ",
    "tôi muốn để lại câu hỏi", "Có ai ở đó không?", "cán bộ ơi trả lời giúp em với", "không muốn nói chuyện với bot nữa",
    "em mun gap cb", "cho mk nc vs nv", "xin được hỏi trực tiếp cán bộ", "Liên hệ với cán bộ phụ trách giúp tôi",
    "tôi muốn hỏi cán bộ", "gửi câu hỏi này đến Sở", "Nhờ cán bộ trả lời giúp", "chat với admin", "I want to talk to a human",
    texts.HANDOVER_BUTTON,
]
ORDINARY = [
    "Cán bộ phụ trách hội thi sáng tạo là ai?", "Sở có bao nhiêu cán bộ?", "số điện thoại liên hệ cán bộ tiếp dân",
    "Chuyển giao công nghệ cho doanh nghiệp", "đào tạo cán bộ khoa học", "người thật việc thật", "gặp gỡ doanh nghiệp",
    "nhân viên Sở làm việc mấy giờ", "cho hỏi cán bộ tiếp dân là ai", "hội nghị cán bộ công chức",
    "Số điện thoại của Sở là gì?", "tuyển dụng nhân viên", "xin chào", "bạn là người hay máy", "ad ơi cho hỏi địa chỉ sở",
    "Sở có hỗ trợ kết nối doanh nghiệp với nhà khoa học không", "hồ sơ có cần cán bộ ký không",
    "Lãnh đạo Sở gặp gỡ người dân ngày nào", "liên hệ cán bộ nào để đăng ký đề tài", "email của cán bộ phụ trách",
    "gặp cán bộ nào để hỏi về sở hữu trí tuệ", "giờ làm việc của sở", "Hội thi sáng tạo kỹ thuật giải nhất bao nhiêu tiền",
]


@pytest.mark.parametrize("text", REQUESTS)
def test_requests_for_a_person_are_recognised_however_typed(text):
    assert recognise(text) is not None


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_not_taken_for_a_hand_over(text):
    assert recognise(text) is None


def test_a_question_in_the_same_message_is_told_apart_from_politeness():
    assert recognise("Tôi muốn gặp cán bộ để hỏi về thủ tục đăng ký đề tài khoa học").question_given
    assert not recognise("Cho em gặp cán bộ với ạ, được không?").question_given
    assert is_cancel("thôi") and is_cancel("Huỷ nhé") and is_cancel("khong can nua") and not is_cancel("thôi việc")


# ----- working hours ---------------------------------------------------------------------------
@pytest.mark.parametrize("moment, sentence", [
    (TUESDAY_9AM, texts.STAFF_AT_WORK),
    (dt.datetime(2026, 11, 24, 16, 59, tzinfo=VN), texts.STAFF_AT_WORK),
    (dt.datetime(2026, 11, 24, 6, 15, tzinfo=VN), "Cán bộ sẽ xem vào 7:00 hôm nay."),
    (dt.datetime(2026, 11, 24, 12, 0, tzinfo=VN), "Cán bộ sẽ xem vào 13:30 hôm nay."),
    (dt.datetime(2026, 11, 24, 17, 0, tzinfo=VN), "Cán bộ sẽ xem vào 7:00 thứ Tư, 25/11."),
    (dt.datetime(2026, 11, 27, 18, 30, tzinfo=VN), "Cán bộ sẽ xem vào 7:00 thứ Hai, 30/11."),  # Friday evening
    (dt.datetime(2026, 11, 28, 10, 0, tzinfo=VN), "Cán bộ sẽ xem vào 7:00 thứ Hai, 30/11."),  # Saturday
    (dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.timezone.utc), "Cán bộ sẽ xem vào 7:00 hôm nay."),  # 6:00 Monday in Cần Thơ
])
def test_staff_reading_time_at_fixed_moments(moment, sentence):
    assert WorkingHours().describe(moment) == sentence


def test_holidays_and_other_working_days_from_settings():
    hours = WorkingHours.from_settings({"working_hours": "7h30-11h00, 13:00–16:30", "working_days": "T2 đến T6",
                                        "holidays": ["2026-11-30", "2026-12-01"]})
    assert hours.describe(dt.datetime(2026, 11, 27, 18, 0, tzinfo=VN)) == "Cán bộ sẽ xem vào 7:30 thứ Tư, 02/12."
    assert hours.describe(dt.datetime(2026, 12, 2, 11, 30, tzinfo=VN)) == "Cán bộ sẽ xem vào 13:00 hôm nay."
    assert parse_days(["thứ Hai", "thu tu", "Chủ nhật"]) == {0, 2, 6}
    assert parse_days("thứ Hai–thứ Sáu") == parse_days("thu 2 - thu 6") == set(range(5))
    assert parse_periods("13:30–17:00, 7:00–11:30")[0] == (dt.time(7), dt.time(11, 30))


@pytest.mark.parametrize("section, problem", [
    ({"working_hours": "7:00-25:00"}, "không hiểu khoảng giờ"),
    ({"working_hours": "7:00-12:00, 11:00-17:00"}, "chồng lên nhau"),
    ({"working_days": "thứ Tám"}, "không hiểu ngày"),
    ({"working_days": "thứ Sáu–thứ Hai"}, "phải đi từ thứ Hai"),
    ({"holidays": ["30/11/2026"]}, "holidays"),
    ({"timezone": "Mars/Olympus"}, "múi giờ"),
])
def test_unreadable_working_hours_are_refused_with_the_reason(section, problem):
    with pytest.raises(HoursError, match=problem):
        WorkingHours.from_settings(section)


def test_handover_settings_are_read_and_checked(tmp_path):
    good = write(tmp_path, "good.toml", '[handover]\nworking_days = ["thứ Hai", "thứ Ba"]\nmax_open_per_user = 5\n'
                                        'holidays = ["2026-01-01"]\n')
    config = load_settings(good, environ={}).conversation().handover
    assert config.hours.days == {0, 1} and config.max_open_per_user == 5
    assert config.hours.holidays == {dt.date(2026, 1, 1)}
    for text, problem in (('[handover]\nworking_hours = "sáng"\n', "working_hours|khoảng giờ"),
                          ('[handover]\nopening = "7:00"\n', "unknown key")):
        with pytest.raises(SettingsError, match=problem):
            load_settings(write(tmp_path, "bad.toml", text), environ={}).conversation()


# ----- the flow --------------------------------------------------------------------------------
def say(conversation, text: str, user: str = "dan", deliver_via: str | None = ""):
    [reply] = conversation.respond(IncomingMessage("web", user, user, text, deliver_via=deliver_via))
    return reply


@pytest.fixture
def fixed(conversation):
    conversation.handover.clock = lambda: TUESDAY_9AM.astimezone(dt.timezone.utc)
    return conversation


def requests(kb) -> list[handover.Request]:
    return handover.listing(kb, waiting_only=False)


def test_a_refused_question_is_offered_and_then_handed_over(fixed):
    refused = say(fixed, "Giá vàng hôm nay bao nhiêu?")
    assert refused.kind == "fallback" and refused.offers_handover
    reply = say(fixed, texts.HANDOVER_BUTTON)
    assert reply.kind == "handover"
    assert reply.text == texts.HANDOVER_CONFIRM.format(question="Giá vàng hôm nay bao nhiêu?", when=texts.STAFF_AT_WORK)
    [request] = requests(fixed.kb)
    assert (request.question, request.channel, request.route, request.address, request.state) == \
        ("Giá vàng hôm nay bao nhiêu?", "web", "web", "dan", "open")
    assert request.user_hash == fixed.kb.hash_user("web:dan")
    assert not say(fixed, "Số điện thoại của Sở là gì?").offers_handover  # answered: nothing to offer


def test_without_a_question_the_bot_asks_for_it_and_takes_the_next_message(fixed):
    fixed.handover.clock = lambda: dt.datetime(2026, 11, 28, 10, 0, tzinfo=VN)  # Saturday
    ask = say(fixed, "tôi muốn nói chuyện với người thật")
    assert ask.text == texts.HANDOVER_ASK.format(when="Cán bộ sẽ xem vào 7:00 thứ Hai, 30/11.")
    assert requests(fixed.kb) == []
    confirm = say(fixed, "Hồ sơ đăng ký đề tài năm 2026 nộp ở đâu? Số tôi 0912 345 678")
    assert "«Hồ sơ đăng ký đề tài năm 2026 nộp ở đâu? Số tôi 0912 345 678»" in confirm.text
    assert confirm.text.endswith("Cán bộ sẽ xem vào 7:00 thứ Hai, 30/11.")
    [request] = requests(fixed.kb)
    assert request.question == "Hồ sơ đăng ký đề tài năm 2026 nộp ở đâu? Số tôi 0912 345 678"
    assert say(fixed, "Số điện thoại của Sở là gì?").kind == "contact"  # back to ordinary answers


@pytest.mark.parametrize("nothing", ["ok", "bot ơi", "cho mình hỏi", "dạ vâng ạ"])
def test_a_message_asking_nothing_is_not_the_question_left_for_staff(fixed, nothing):
    """Asked to type their question, a citizen who answers "ok" or "bot ơi" is asked again: staff got "bot ơi" to
    answer. The question that follows is the one left."""
    say(fixed, "gặp cán bộ")
    again = say(fixed, nothing)
    assert again.kind == "handover" and again.text == texts.HANDOVER_ASK_AGAIN and requests(fixed.kb) == []
    say(fixed, "Hồ sơ đăng ký đề tài năm 2026 nộp ở đâu?")
    assert [r.question for r in requests(fixed.kb)] == ["Hồ sơ đăng ký đề tài năm 2026 nộp ở đâu?"]


def test_a_request_with_its_question_is_taken_at_once(fixed):
    text = "Tôi muốn gặp cán bộ để hỏi về thủ tục đăng ký đề tài khoa học"
    assert "«" + text + "»" in say(fixed, text).text
    assert [r.question for r in requests(fixed.kb)] == [text]


def test_the_citizen_can_take_the_hand_over_back(fixed):
    say(fixed, "gặp cán bộ")
    assert say(fixed, "thôi không cần nữa").text == texts.HANDOVER_CANCELLED
    assert requests(fixed.kb) == []
    assert say(fixed, "Email của Sở là gì?").kind == "contact"


def test_the_wait_for_a_question_ends(fixed):
    say(fixed, "gặp cán bộ")
    fixed.handover.clock = lambda: TUESDAY_9AM + dt.timedelta(minutes=31)
    assert say(fixed, "Email của Sở là gì?").kind == "contact"
    assert requests(fixed.kb) == []


def restarted(kb: KnowledgeBase) -> Conversation:
    """The bot started again on the same file: a new connection and a new conversation."""
    kb.close()
    return Conversation(KnowledgeBase.open(kb.path), ConversationConfig(rate_limit_messages=1000))


def test_a_hand_over_waiting_for_its_question_survives_a_restart(tmp_path):
    before = Conversation(KnowledgeBase.open(tmp_path / "kb.sqlite"))
    [ask] = before.respond(IncomingMessage("telegram", "nhom-7", "dan", "cho tôi gặp cán bộ"))
    assert ask.text.startswith(texts.HANDOVER_ASK[:40]) and requests(before.kb) == []
    dan = before.kb.hash_user("telegram:dan")
    # the database knows the conversation only by keyed hashes, never by its chat id
    assert before.kb.conn.execute("SELECT conversation, user_hash FROM handover_pending").fetchall() == \
        [(before.kb.hash_user("telegram:nhom-7"), dan)]
    after = restarted(before.kb)
    try:
        [confirm] = after.respond(IncomingMessage("telegram", "nhom-7", "dan", "Thủ tục đăng ký nhãn hiệu thế nào?"))
        assert "«Thủ tục đăng ký nhãn hiệu thế nào?»" in confirm.text
        [request] = requests(after.kb)
        assert (request.question, request.address, request.user_hash) == ("Thủ tục đăng ký nhãn hiệu thế nào?",
                                                                           "nhom-7", dan)
        assert after.respond(IncomingMessage("telegram", "nhom-7", "dan", "Email của Sở là gì?"))[0].kind != "handover"
    finally:
        after.kb.close()


def test_a_refused_question_is_handed_over_after_a_restart(conversation):
    assert say(conversation, "Giá vàng hôm nay bao nhiêu?").offers_handover
    after = restarted(conversation.kb)
    try:
        assert "«Giá vàng hôm nay bao nhiêu?»" in say(after, texts.HANDOVER_BUTTON).text
        assert [r.question for r in requests(after.kb)] == ["Giá vàng hôm nay bao nhiêu?"]
    finally:
        after.kb.close()


def test_expired_pending_states_are_deleted_as_new_ones_are_written(sample_kb):
    handover.ensure_table(sample_kb)
    handover.remember(sample_kb, "a", "ua", handover.Pending("2026-11-24T02:00:00+00:00", awaiting=True),
                      expired_before="2026-11-24T01:30:00+00:00")
    handover.remember(sample_kb, "b", "ub", handover.Pending("2026-11-24T02:31:00+00:00", awaiting=True),
                      expired_before="2026-11-24T02:01:00+00:00")
    assert handover.read_pending(sample_kb, "a") is None  # deleted by the write of "b"
    assert handover.read_pending(sample_kb, "b") == handover.Pending("2026-11-24T02:31:00+00:00", awaiting=True)
    handover.drop_pending(sample_kb, "b")
    assert handover.read_pending(sample_kb, "b") is None


def test_where_no_answer_can_come_back_the_contacts_are_given(fixed):
    refused = say(fixed, "giá vàng hôm nay", deliver_via=None)
    assert not refused.offers_handover
    reply = say(fixed, "gặp cán bộ", deliver_via=None)
    assert reply.text.startswith(texts.HANDOVER_UNREACHABLE) and "0292.3820674" in reply.text
    assert requests(fixed.kb) == []


def test_a_citizen_leaves_at_most_a_few_questions_before_staff_answer(fixed):
    for n in range(3):
        assert "Tôi đã chuyển" in say(fixed, f"Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký đề tài lần {n}").text
    reply = say(fixed, "Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký đề tài lần 9")
    assert reply.text.startswith("Bạn đã có 3 câu hỏi đang chờ") and len(requests(fixed.kb)) == 3
    assert "Tôi đã chuyển" in say(fixed, "Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký đề tài lần 9", user="khac").text


def test_delivery_erases_the_address_and_masks_the_question(fixed):
    kb = fixed.kb
    say(fixed, "Tôi muốn gặp cán bộ, gọi tôi qua số 0912 345 678 về đề tài năm nay")
    [request] = requests(kb)
    assert handover.answer(kb, request.id, "Chúng tôi sẽ gọi lại cho bạn.", "web:lan")
    assert not handover.answer(kb, request.id, "Lần hai", "web:lan")  # answered once
    assert [r.id for r in handover.take_answers(kb, "web", "dan")] == [request.id]
    [done] = requests(kb)
    assert done.state == "delivered" and done.address is None and "0912" not in done.question
    assert handover.take_answers(kb, "web", "dan") == []  # given once


def test_an_answer_held_back_by_the_reply_window_goes_out_when_the_citizen_writes(fixed):
    kb = fixed.kb
    say(fixed, "Tôi muốn gặp cán bộ để hỏi thủ tục đăng ký đề tài")
    [request] = requests(kb)
    handover.answer(kb, request.id, "Trả lời.", "web:lan")
    handover.not_delivered(kb, request.id, "Zalo OA lỗi -230", "window_closed")
    assert requests(kb)[0].state == "window_closed"
    say(fixed, "xin chào")
    assert requests(kb)[0].state == "pending" and handover.due(kb, ["web"])
