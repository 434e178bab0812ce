"""The channel-neutral conversation: guards, commands, logging with hashed ids."""
from handlers import texts
from handlers.conversation import Conversation, ConversationConfig, RateLimiter, mask_personal_data
from handlers.messages import IncomingMessage
from handlers.starters import Starters
from knowledge.ingest.importer import import_bytes
from knowledge.store import KnowledgeBase


def message(text=None, content_type="text", user="42", **kw):
    return IncomingMessage("test", "chat-1", user, text, content_type, **kw)


def test_text_question_is_answered_and_logged_with_a_hashed_user(conversation):
    [reply] = conversation.respond(message("sđt sở khcn", user="987654321"))
    assert reply.kind == "contact" and reply.log_id
    row = next(conversation.kb.iter_rows("SELECT * FROM query_log WHERE id = ?", [reply.log_id]))
    assert row["channel"] == "test" and row["kind"] == "contact" and row["answered"] == 1
    assert "987654321" not in str(row) and len(row["user_hash"]) >= 16


def test_when_a_page_was_published_is_said_first_with_its_date(conversation):
    [reply] = conversation.respond(message("tin giao ban khcn quan huyen lan XIII dang ngay nao"))
    assert reply.answered and reply.text.startswith("Bài «Hội nghị giao ban")
    assert "được đăng ngày 02/11/2017." in reply.text.splitlines()[0]


def test_where_a_page_was_taken_from_is_said_first_by_its_byline(conversation):
    [reply] = conversation.respond(message("bài khởi động hội thi sáng tạo kỹ thuật lần 8 lấy theo báo nào"))
    assert reply.answered and reply.text.splitlines()[0].endswith("lấy theo Báo Giáo dục & Thời đại.")


def test_a_page_without_a_byline_says_nothing_of_where_it_was_taken_from(conversation):
    [reply] = conversation.respond(message("tin giao ban khcn quan huyen lan XIII lay theo bao nao"))
    assert not reply.answered


def test_phone_numbers_typed_by_citizens_are_masked_in_the_log(conversation):
    [reply] = conversation.respond(message("tôi là 0912345678, email a.b@gmail.com, hỏi địa chỉ sở"))
    row = next(conversation.kb.iter_rows("SELECT question, normalized FROM query_log WHERE id = ?", [reply.log_id]))
    assert "0912345678" not in row["question"] and "a.b@gmail.com" not in row["question"]
    assert "912345678" not in row["normalized"] and "gmail" not in row["normalized"]
    assert mask_personal_data("gọi 0292.3820674") == "gọi [số điện thoại]"


def test_empty_and_whitespace_messages_get_a_hint(conversation):
    for text in (None, "", "   \n "):
        [reply] = conversation.respond(message(text))
        assert reply.kind == "notice" and "chưa nhập câu hỏi" in reply.text


def test_a_message_of_marks_alone_gets_a_hint_and_one_of_emoji_an_acknowledgement_never_logged(conversation):
    logged = conversation.kb.conn.execute("SELECT count(*) FROM query_log").fetchone()[0]
    for text in ("???", "...", "!!"):
        [reply] = conversation.respond(message(text))
        assert reply.kind == "notice" and "chưa nhập câu hỏi" in reply.text
    for text in ("👍", "❤️", "🙏🙏"):  # a reaction, as "ok" is: not a question left unanswered
        [reply] = conversation.respond(message(text))
        assert reply.kind == "notice" and reply.text == texts.SMALLTALK_REPLIES["ack"]
    assert conversation.kb.conn.execute("SELECT count(*) FROM query_log").fetchone()[0] == logged
    [reply] = conversation.respond(message("sđt sở khcn 😊"))  # words with an emoji are a question
    assert reply.kind == "contact"


def test_huge_message_is_refused_politely(conversation):
    [reply] = conversation.respond(message("a" * 100_000))
    assert reply.kind == "notice" and "dài quá" in reply.text and len(reply.text) < 300


def test_stickers_photos_and_edits_get_a_polite_reply(conversation):
    for kind in ("sticker", "photo", "voice", "location", "other"):
        [reply] = conversation.respond(message(None, kind))
        assert "văn bản" in reply.text
    [reply] = conversation.respond(message("sửa", "edited"))
    assert "tin nhắn mới" in reply.text


def test_group_messages_not_addressed_to_the_bot_are_ignored(conversation):
    assert conversation.respond(message("xin chào mọi người", is_group=True, addressed_to_bot=False)) == []
    assert conversation.respond(message("sdt so", is_group=True, addressed_to_bot=True))


def test_commands(conversation):
    [start] = conversation.respond(message("/start", "command"))
    assert "Xin chào" in start.text and start.suggestions
    [card] = conversation.respond(message("/lienhe", "command"))
    assert card.kind == "contact" and "0292.3820674" in card.text and "Lý Thường" in card.text
    [help_] = conversation.respond(message("/help@cantho_bot", "command"))
    assert "/lienhe" in help_.text


def test_rate_limit_tells_the_user_to_slow_down(sample_kb):
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=2, rate_limit_seconds=60))
    replies = [conversation.respond(message("xin chào"))[0] for _ in range(3)]
    assert [r.kind for r in replies] == ["smalltalk", "smalltalk", "notice"]
    assert "nhanh quá" in replies[2].text
    assert conversation.respond(message("xin chào", user="someone-else"))[0].kind == "smalltalk"


def test_rate_limiter_window_slides():
    limiter = RateLimiter(1, 10)
    assert limiter.wait_seconds("u", now=0) == 0
    assert limiter.wait_seconds("u", now=5) > 0
    assert limiter.wait_seconds("u", now=11) == 0


def test_a_failure_becomes_an_apology_and_the_next_message_works(tmp_path, sample_kb):
    conversation = Conversation(sample_kb)
    sample_kb.conn.execute("ALTER TABLE passages RENAME TO passages_gone")
    [apology] = conversation.respond(message("hội nghị giao ban lần 13 ngày nào"))
    assert apology.kind == "notice" and "sự cố" in apology.text
    sample_kb.conn.execute("ALTER TABLE passages_gone RENAME TO passages")
    [reply] = conversation.respond(message("hội nghị giao ban lần 13 ngày nào"))
    assert reply.answered and "31/10/2017" in reply.text


def test_starter_questions_follow_what_the_knowledge_base_holds(tmp_path):
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    starters = Starters(kb)
    assert starters.questions() == texts.EXAMPLE_QUESTIONS  # nothing known yet: the fixed examples
    import_bytes(kb, "upload:a.txt", "a.txt", "Hội thảo nhãn hiệu tập thể cho nông sản\n\n[05/03/2024]\n\n"
                 "Hội thảo có 120 đại biểu.\n\nĐịa chỉ: Số 02 Lý Thường Kiệt, Ninh Kiều\n".encode())
    questions = starters.questions()
    assert "Về: Hội thảo nhãn hiệu tập thể cho nông sản" in questions
    kb.add_faq("Sở làm việc mấy giờ?", [], "Từ 7 giờ đến 17 giờ.")
    assert "Sở làm việc mấy giờ?" in starters.questions()  # the newest FAQ, at once
    kb.close()


def test_warming_up_keeps_the_caches_out_of_the_garbage_collectors_way(sample_kb):
    """A full collection walked every cached object to free nothing: the p99 of answering at scale."""
    import gc

    from handlers.conversation import COLLECTOR_THRESHOLDS, Answerer
    thresholds = gc.get_threshold()
    try:
        Answerer(sample_kb).warm()
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == COLLECTOR_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


CITIZEN_QUESTIONS = ["dia chi so khcn o dau", "sđt sở khcn", "Hội thi sáng tạo kỹ thuật tổ chức mấy năm một lần?",
                     "giao ban khcn quan huyen lan 13 to chuc ngay nao", "giá vàng hôm nay", "cảm ơn bạn nhé",
                     "kiem dinh can mien phi cho tieu thuong dc bao nhieu cai", "What is the department's phone number?"]


def test_what_a_question_adds_to_the_caches_is_kept_out_of_the_collectors_way_too(sample_kb):
    import gc

    from handlers.conversation import Answerer
    thresholds = gc.get_threshold()
    try:
        answerer = Answerer(sample_kb)
        answerer.warm()
        before = gc.get_freeze_count()
        for question in CITIZEN_QUESTIONS:
            answerer.match(question)
        assert gc.get_freeze_count() > before and gc.get_count()[0] < 100  # frozen after each question
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_answering_makes_no_reference_cycles(sample_kb):
    """What the worker freezes after each question would never be collected: it must hold no garbage cycles."""
    import gc

    from handlers.conversation import Answerer
    answerer = Answerer(sample_kb)
    answerer.match("xin chào")  # the caches built
    gc.collect()
    gc.disable()
    try:
        for question in CITIZEN_QUESTIONS * 2:
            answerer.match(question)
        assert gc.collect() == 0
    finally:
        gc.enable()
