"""The "Có phải bạn muốn hỏi…" suggestions (knowledge/suggestions.py), for both answer engines, on a
real SQLite file of the samples: short questions or "Về: <short title>", only when relevant, none for
what the pages do not cover, and a suggestion tapped (sent back as the next message) is answered."""
import json

import pytest
from hypothesis import example, given, settings, strategies as st

from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from knowledge.suggestions import ABOUT, MAX_CHARS, faq_suggestion, title_suggestion
from support import ROOT, SAMPLES

ENGINES = ("matcher", "fitted")
CITIZEN_QUESTIONS = [json.loads(line)["q"] for line in
                     (ROOT / "tests" / "data" / "citizen-questions.jsonl").read_text(encoding="utf-8").splitlines()]
# Nothing in the samples covers what these ask about (the weather, the lottery, football, admission
# scores, prices, other offices' business): no page is worth suggesting.
OUT_OF_SCOPE = ["thời tiết Cần Thơ hôm nay thế nào", "dự báo thời tiết tuần tới", "kết quả xổ số miền Nam hôm nay",
                "kết quả xổ số kiến thiết Cần Thơ", "tỉ số trận Việt Nam Thái Lan tối qua", "xem bóng đá trực tuyến",
                "điểm chuẩn Đại học Cần Thơ năm 2024", "điểm chuẩn đại học cần thơ", "giá vàng hôm nay bao nhiêu",
                "lịch cúp điện Ninh Kiều", "học phí trường Đại học Cần Thơ bao nhiêu", "Làm sao để đăng ký kết hôn?",
                "quán phở nào ngon ở Ninh Kiều", "Sở KHCN có tuyển dụng không", "tuyển dụng công chức sở y tế"]
# Questions one engine or the other is unsure about, and so offers suggestions for.
UNSURE = ["thủ tục đăng ký nhãn hiệu", "hội nghị", "hội nghị giao ban", "hội thi sáng tạo", "ký kết hợp tác",
          "giải thưởng hội thi", "trung tâm thông tin", "doanh nghiệp được hỗ trợ gì", "giao ban khoa học công nghệ"]
LONG_FAQ = "Hồ sơ đề nghị hỗ trợ đăng ký bảo hộ nhãn hiệu cho sản phẩm OCOP của hợp tác xã gồm những giấy tờ gì?"
FAQ_ANSWER = "Hồ sơ gồm đơn đề nghị hỗ trợ, bản sao văn bằng bảo hộ và chứng từ chi phí."


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("suggestions") / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    yield kb
    kb.close()


@pytest.fixture(scope="module", params=ENGINES)
def conversation(request, kb):
    return Conversation(kb, ConversationConfig(answer_engine=request.param, rate_limit_messages=10_000))


def tap(conversation, suggestion, chat="chat-1"):
    """A suggestion pressed on Telegram (or its number sent on Zalo) comes back as the next message."""
    [reply] = conversation.respond(IncomingMessage("telegram", chat, "user-1", suggestion, "suggestion"),
                                   log_query=False)
    return reply


# ----- wording -------------------------------------------------------------------------------
@pytest.mark.parametrize("title, suggestion", [
    # the city where it only qualifies what comes before it goes, the edition stays with its number
    ("Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII",
     "Về: Hội nghị giao ban KH&CN cấp quận, huyện lần XIII"),
    # the department's full name is "Sở", then the title is cut before "về việc …"
    ("Sở Khoa học và Công nghệ TP. Cần Thơ làm việc với UBND huyện Cờ Đỏ về việc triển khai các hoạt động "
     "khoa học và công nghệ trên địa bàn huyện 2023", "Về: Sở làm việc với UBND huyện Cờ Đỏ về việc triển khai"),
    # the city as an argument ("giữa … với") stays; no dangling "với", nor half a name ("Trường")
    ("Lễ ký kết hợp tác giữa thành phố Cần Thơ với Trường Đại học Cần Thơ giai đoạn 2020-2025",
     "Về: Lễ ký kết hợp tác giữa thành phố Cần Thơ"),
    # capitals read as shouting; "trên địa bàn thành phố Cần Thơ" only says where everything happens
    ("KIỂM TRA XĂNG DẦU ĐỢT 2 (THÁNG 9/2013) TRÊN ĐỊA BÀN THÀNH PHỐ CẦN THƠ",
     "Về: Kiểm tra xăng dầu đợt 2 (tháng 9/2013)"),
    ("Khai mạc Tuần lễ Khoa học công nghệ, đổi mới sáng tạo và chuyển đổi số thành phố Cần Thơ năm 2025 (CASTID 2025)",
     "Về: Khai mạc Tuần lễ KH&CN, đổi mới sáng tạo và chuyển đổi"),
    # never inside a word of three syllables ("thanh thiếu | niên"), no trailing comma
    ("Tổng kết và trao giải Cuộc thi sáng tạo thanh thiếu niên, nhi đồng thành phố Cần Thơ lần thứ 13 năm 2024",
     "Về: Tổng kết và trao giải Cuộc thi sáng tạo thanh thiếu niên"),
    ("Hội thảo \"Chuyển đổi số trong sản xuất nông nghiệp thành phố Cần Thơ\"",
     "Về: Hội thảo \"Chuyển đổi số trong sản xuất nông nghiệp\""),
    ("History of the Department of Science and Technology of Can Tho City",
     "Về: History of the Department of Science and Technology"),
    ("MoST and Can Tho City sign cooperation programme on science, technology and innovation for 2022–2025",
     "Về: MoST and Can Tho City sign cooperation programme"),
    # a title short enough is kept whole, the subject "Cần Thơ" and the final "sao" with it
    ("Cần Thơ có thêm 15 sản phẩm OCOP đạt 4 sao", "Về: Cần Thơ có thêm 15 sản phẩm OCOP đạt 4 sao"),
])
def test_a_title_becomes_a_short_about_suggestion(title, suggestion):
    assert title_suggestion(title) == suggestion and len(suggestion) <= MAX_CHARS


def test_an_faq_is_suggested_by_its_own_question_when_short_enough():
    assert faq_suggestion("Sở có nhận hồ sơ trực tuyến không?") == "Sở có nhận hồ sơ trực tuyến không?"
    assert faq_suggestion(LONG_FAQ) == "Về: Hồ sơ đề nghị hỗ trợ đăng ký bảo hộ nhãn hiệu"


FUNCTION_WORDS = ["và", "của", "với", "về", "trên"]
WORDS = ["Hội", "nghị", "giao", "ban", "khoa", "học", "công", "nghệ", "thành", "phố", "Cần", "Thơ", "lần", "XIII",
         "2024", "Sở", "(tháng", "9/2013)", "“Gạo", "Cần", "Thơ”", "địa", "bàn", "thanh", "thiếu", "niên,", "nhi",
         "đồng", "-", "năng", "suất", "TP.", "Trường", "Đại", "cấp", "huyện", "KH&CN", "việc"]
DEBRIS = tuple(",;:-–—/&(“'«")


@settings(deadline=None)  # the first title loads the Vietnamese word list
@given(st.lists(st.sampled_from(WORDS + FUNCTION_WORDS), max_size=40), st.sampled_from(WORDS))
@example(["Hội"] * 13 + ["của"], "-")  # fits only once its dash is tidied away: "của" would dangle
def test_any_title_gives_at_most_60_characters_of_whole_words_without_debris(words, last):
    title = " ".join(words + [last])
    suggestion = title_suggestion(title)
    assert len(suggestion) <= MAX_CHARS
    if suggestion:
        short = suggestion.removeprefix(ABOUT)
        shown = {w.strip(",;:.()“”\"").casefold() for w in title.split()} | {"sở", "kh&cn"}
        assert all(w.strip(",;:.()“”\"").casefold() in shown for w in short.split())  # no word cut in two
        assert not short.endswith(DEBRIS) and short.count('"') % 2 == 0
        if len(ABOUT + title) > MAX_CHARS:  # cut: no dangling function word either
            assert short.split()[-1].casefold() not in FUNCTION_WORDS


# ----- which suggestions, for which questions ---------------------------------------------------
def test_every_suggestion_is_at_most_60_characters(conversation):
    offered = [s for q in CITIZEN_QUESTIONS + OUT_OF_SCOPE + UNSURE for s in conversation.answer(q).suggestions]
    assert offered, "no question offers a suggestion any more: update UNSURE"
    assert all(len(s) <= MAX_CHARS for s in offered)
    assert all(s.startswith(ABOUT) or s.endswith("?") for s in offered)  # reads as a question


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_nothing_is_suggested_for_what_no_page_covers(conversation, question):
    reply = conversation.answer(question)
    assert not reply.answered and reply.suggestions == []


def test_a_suggestion_holds_most_of_what_was_asked(kb):
    reply = Conversation(kb).answer("thủ tục đăng ký nhãn hiệu")  # the pages speak of registering trademarks
    assert not reply.answered and reply.suggestions == ["Về: Hội nghị giao ban KH&CN cấp quận, huyện lần XIII"]
    assert Conversation(kb).answer("hội thảo").suggestions == []  # no page holds "hội thảo": "hội", "thảo" are no match


def test_an_answer_offers_no_suggestion(conversation):
    reply = conversation.answer("hội nghị giao ban khcn quận huyện lần 13 tổ chức ngày nào")
    assert reply.answered and reply.suggestions == []


# ----- tapping a suggestion ----------------------------------------------------------------------
def test_every_suggestion_tapped_is_answered_from_the_page_it_names(conversation):
    offered = {s for q in CITIZEN_QUESTIONS + UNSURE for s in conversation.answer(q).suggestions}
    assert offered
    for suggestion in sorted(offered):
        reply = tap(conversation, suggestion)
        assert reply.answered and reply.kind == "article", suggestion
        assert title_suggestion(reply.source["title"]) == suggestion  # the page it promised
        assert "Nguồn: " + reply.source["title"] in reply.text and len(reply.text) < 800


def test_a_tapped_page_answers_with_its_passage_about_the_title(conversation):
    reply = tap(conversation, "Về: Hội nghị giao ban KH&CN cấp quận, huyện lần XIII")
    assert reply.answered and "31/10/2017" in reply.text and "lần XIII" in reply.text
    assert reply.source["title"] == "Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII"
    typed = conversation.answer("ve: hoi nghi giao ban kh&cn cap quan, huyen lan xiii")  # typed without accents
    assert typed.answered and typed.source["title"] == reply.source["title"]


def test_a_retired_page_is_no_longer_reached_by_its_suggestion(sample_kb):
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=100))
    suggestion = "Về: Hội nghị giao ban KH&CN cấp quận, huyện lần XIII"
    assert tap(conversation, suggestion).answered
    [row] = sample_kb.iter_rows("SELECT id FROM articles WHERE title LIKE 'Hội nghị giao ban KH&CN%'")
    with sample_kb.transaction():
        sample_kb.set_retired(row["id"], True)
    reply = tap(conversation, suggestion)
    assert not (reply.answered and reply.source["title"].startswith("Hội nghị giao ban KH&CN"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_long_faq_is_suggested_about_and_tapped_gives_its_answer(sample_kb, engine):
    sample_kb.add_faq(LONG_FAQ, ["ho so ho tro dang ky nhan hieu ocop"], FAQ_ANSWER)
    conversation = Conversation(sample_kb, ConversationConfig(answer_engine=engine, rate_limit_messages=100))
    unsure = conversation.answer("giấy tờ đăng ký nhãn hiệu")
    assert not unsure.answered and unsure.suggestions[0] == "Về: Hồ sơ đề nghị hỗ trợ đăng ký bảo hộ nhãn hiệu"
    reply = tap(conversation, unsure.suggestions[0])
    assert reply.answered and reply.kind == "faq" and reply.text.startswith(FAQ_ANSWER)


def test_a_tapped_page_is_the_topic_of_a_follow_up(kb):
    conversation = Conversation(kb, ConversationConfig(answer_engine="fitted", rate_limit_messages=100))
    assert tap(conversation, "Về: Cần Thơ khởi động Hội thi Sáng tạo kỹ thuật", chat="follow-up").answered
    topic = conversation.topics.get("telegram:follow-up")
    assert topic and topic.title == "Cần Thơ khởi động Hội thi Sáng tạo kỹ thuật"
