"""The default engine: the matcher's answers, checked and completed by the fitted engine."""
import pytest

from knowledge.answer.engine import SUGGEST_SHARE, Match
from knowledge.combined import ENGINES, CombinedEngine, engine_for
from knowledge.ingest.importer import import_paths
from knowledge.matcher import Matcher
from knowledge.store import KnowledgeBase
from support import ROOT, SAMPLES


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("combined") / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    yield kb
    kb.close()


def test_a_question_the_matcher_refuses_is_answered_when_the_fitted_engine_is_sure(kb):
    question = "What is the department's phone number?"
    assert not Matcher(kb).match(question).answered
    match = CombinedEngine(kb).match(question)
    assert (match.kind, match.answered) == ("contact", True)
    assert "3820674" in match.contacts["phone"].value


def test_what_both_answer_from_the_same_page_is_the_matchers_answer_with_a_topic_to_follow(kb):
    match = CombinedEngine(kb).match("hội thi sáng tạo kỹ thuật tổ chức mấy năm 1 lần")
    assert match.answered and "hai năm một lần" in match.text
    assert match.topic is not None and match.topic.title == match.source["title"]


@pytest.mark.parametrize("question", ["giải nhất hội thi STKT được bao nhiêu tiền",
                                      "giai nhat hoi thi stkt bao nhieu tien"])
def test_both_engines_read_an_initialism_as_the_pages_spell_it(kb, question):
    assert not Matcher(kb).match(question).answered  # "stkt" alone is no word the matcher knows
    match = CombinedEngine(kb).match(question)
    assert match.answered and "15 triệu" in match.text


def test_the_matcher_reads_a_slip_as_the_fitted_reader_corrects_it(kb):
    question = "giải nhất hội thi sáng tạo kỹ tuật được bao nhiêu tiền"  # "tuật" is no word
    assert not Matcher(kb).match(question).answered
    match = CombinedEngine(kb).match(question)
    assert match.answered and "15 triệu" in match.text


@pytest.mark.parametrize("message", ["sở khcn cần thơ", "So KH&CN oi", "ad ơi, Sở Khoa học và Công nghệ TP Cần Thơ",
                                     "Can Tho Department of Science and Technology"])
def test_a_message_that_only_names_the_department_gets_its_contacts(kb, message):
    match = CombinedEngine(kb).match(message)
    assert (match.kind, match.answered) == ("contact", True)
    assert {"address", "phone", "email"} <= set(match.contacts)


@pytest.mark.parametrize("question", ["sở khcn cần thơ làm gì", "so khcn la gi"])
def test_a_question_naming_nothing_but_the_department_is_answered_by_no_article(kb, question):
    """Every page names the department: the matcher had answered with the page naming it most."""
    match = CombinedEngine(kb).match(question)
    assert match.kind != "contact" and not match.answered


def test_a_word_written_like_one_of_the_departments_name_is_not_it(kb):
    """"quỹ" (a fund) folds like "quý" of "quý sở": the question was taken for one naming only the department."""
    assert not CombinedEngine(kb).fitted.read_question("cần thơ sẽ có quỹ gì").names_no_topic
    assert CombinedEngine(kb).fitted.read_question("quý sở khcn cần thơ").names_no_topic


def test_every_engine_is_built_by_name(kb):
    assert {type(engine_for(kb, name)) for name in ENGINES} == set(ENGINES.values())


# ----- the rule, with stand-ins for the two engines (each is tested on its own elsewhere) -----------------
class _Answers:
    def __init__(self, match: Match, contradicted: bool = False, page_disagrees: bool = False):
        self.reply = match
        self.contradicted = contradicted
        self.page_disagrees = page_disagrees

    def match(self, question, topic=None, articles=True):
        return self.reply  # as the matcher: its reply with the articles searched (the rule below is on that reply)

    def spelt_out(self, question):
        return question

    def corrected(self, question):
        return question

    def normalized(self, question):
        return question

    def answers_in_agreement(self, question, reply):
        return not self.contradicted

    def page_agrees(self, question, passage_id):
        return not self.page_disagrees

    def names_no_topic(self, question):
        return False  # "câu hỏi" asks about something


class _Model:
    operating_point = 0.8


def combined(matched: Match, fitted: Match, contradicted: bool = False, page_disagrees: bool = False) -> Match:
    engine = CombinedEngine.__new__(CombinedEngine)
    engine.matcher, engine.fitted = _Answers(matched), _Answers(fitted, contradicted, page_disagrees)
    engine.fitted.model = _Model()
    return engine.match("câu hỏi")


PAGE = {"title": "Hội thi sáng tạo kỹ thuật", "date": "2014-10-31"}
OTHER = {"title": "Hội nghị giao ban", "date": "2017-10-31"}
FLOOR = SUGGEST_SHARE * _Model.operating_point


def article(source, score=0.9, answered=True):
    return Match("article", answered, score, text="…", source=source)


def refusal(score):
    return Match("fallback", False, score, suggestions=["Về: Hội nghị giao ban"])


@pytest.mark.parametrize("matched, fitted, chosen", [
    (article(PAGE), article(PAGE, 0.95), "matched"),  # the same page
    (article(PAGE), refusal(FLOOR + 0.01), "matched"),  # the fitted engine is unsure, not lost
    (article(PAGE), refusal(FLOOR - 0.01), "fitted"),  # nothing it would even suggest: refused
    (article(PAGE), article(OTHER, 0.95), "fitted"),  # sure of another page
    (refusal(0.2), article(OTHER, 0.95), "fitted"),  # the matcher refused
    (refusal(0.2), refusal(0.5), "matched"),
    (Match("contact", True, 1.0), Match("contact", True, 1.0), "matched"),  # contacts are the matcher's …
    (Match("contact", True, 1.0), refusal(0.0), "fitted"),  # … when the fitted engine reads a contact question
    (refusal(0.2), Match("smalltalk", True, 1.0, intent="thanks"), "matched"),
])
def test_which_engine_answers(matched, fitted, chosen):
    assert combined(matched, fitted) is (matched if chosen == "matched" else fitted)


@pytest.mark.parametrize("fitted", [
    Match("article", True, 0.95, text="Tổng kinh phí hội thi trên 800 triệu đồng.", source=PAGE),
    Match("fallback", False, FLOOR + 0.01, unsure=Match("article", False, FLOOR + 0.01,
                                                         text="Tổng kinh phí hội thi trên 800 triệu đồng.", source=PAGE)),
])
def test_on_the_matchers_page_the_fitted_engines_sentence_is_the_reply(fitted):
    """The matcher chooses the page; the fitted engine, sure or not, chooses the sentence that answers."""
    matched = Match("article", True, 0.9, text="Giải thưởng: giải nhất 15 triệu đồng.", source=PAGE)
    match = combined(matched, fitted)
    assert match is matched and match.text == "Tổng kinh phí hội thi trên 800 triệu đồng."


def test_the_matcher_searches_no_article_when_the_fitted_engine_is_sure_of_one(kb, monkeypatch):
    """Its reply's text is then the fitted engine's whatever page the matcher finds: the same reply, one
    full-text search fewer."""
    question = "Hội nghị giao ban KH&CN cấp quận huyện lần XIII diễn ra ngày nào?"
    before = CombinedEngine(kb).match(question)
    engine = CombinedEngine(kb)
    fitted = engine.fitted.match(engine.fitted.spelt_out(question))
    assert fitted.answered and fitted.kind == "article"
    searched = []
    article = Matcher._article
    monkeypatch.setattr(Matcher, "_article", lambda self, *args: searched.append(1) or article(self, *args))
    after = engine.match(question)
    assert not searched
    assert (after.kind, after.answered, after.text, after.source, after.topic) == (
        before.kind, before.answered, before.text, before.source, before.topic)
    assert "31/10/2017" in after.text


def test_an_agency_asked_for_is_no_address_asked_for(kb):
    """"trực thuộc cơ quan nào" (which agency is it under): its "quan nào" is no "quận nào"."""
    assert CombinedEngine(kb).match("sở khcn là cơ quan nào").kind != "contact"
    assert CombinedEngine(kb).match("sở khoa học và công nghệ ở quận nào").kind == "contact"


def test_an_unsure_reading_of_another_page_leaves_the_matchers_sentence():
    matched = Match("article", True, 0.9, text="Giải thưởng: giải nhất 15 triệu đồng.", source=PAGE)
    fitted = Match("fallback", False, FLOOR + 0.01, unsure=Match("article", False, FLOOR + 0.01, text="Khác.",
                                                                  source=OTHER))
    assert combined(matched, fitted).text == "Giải thưởng: giải nhất 15 triệu đồng."


def test_the_reply_on_a_real_page_holds_what_was_asked(kb):
    match = CombinedEngine(kb).match("tổng kinh phí hội thi sáng tạo kỹ thuật là bao nhiêu")
    assert match.answered and "800 triệu" in match.text


@pytest.mark.parametrize("fitted", [article(PAGE, 0.95), refusal(FLOOR + 0.01)])
def test_a_reply_that_contradicts_the_question_is_never_given(fitted):
    """Another year, edition, rank or place than the question asks: the fitted engine's reply instead."""
    assert combined(article(PAGE), fitted, contradicted=True) is fitted


@pytest.mark.parametrize("fitted", [article(PAGE, 0.95), refusal(FLOOR + 0.01)])
def test_a_page_without_the_year_edition_or_place_asked_is_never_the_matchers_answer(fitted):
    assert combined(article(PAGE), fitted, page_disagrees=True) is fitted


def test_the_matchers_page_is_read_for_the_edition_asked(kb):
    """"hội thi stkt lần 11 …" was answered from the twelfth contest's page, whose sentence names no edition."""
    engine = CombinedEngine(kb)
    matched = engine.matcher.match("hội thi sáng tạo kỹ thuật lần thứ 8 nhận hồ sơ đến ngày nào")
    assert matched.answered and matched.passage_id is not None
    assert engine.fitted.page_agrees("hội thi sáng tạo kỹ thuật lần thứ 8 nhận hồ sơ đến ngày nào", matched.passage_id)
    assert not engine.fitted.page_agrees("hội thi sáng tạo kỹ thuật lần thứ 11 nhận hồ sơ đến ngày nào",
                                         matched.passage_id)


def test_a_page_the_fitted_engine_finds_disagreeing_is_never_the_answer():
    unsure = Match("article", False, FLOOR + 0.01, text="…", source=PAGE, conflict=True)
    fitted = Match("fallback", False, FLOOR + 0.01, unsure=unsure)
    assert combined(article(PAGE), fitted) is fitted


def test_the_matchers_answer_from_a_page_about_another_place_is_refused_on_a_real_page(kb):
    """The page about the visit to huyện Cờ Đỏ names its vice-chairman; it never names Phong Điền."""
    assert "Lê Chí Phương" in CombinedEngine(kb).match("pho chu tich ubnd huyen co do la ai").text
    for question in ("phó chủ tịch ubnd huyện phong điền là ai",
                     "pho chu tich ubnd huyen phong dien la ai"):  # typed without accents too
        match = CombinedEngine(kb).match(question)
        assert not match.answered and "Lê Chí Phương" not in match.text, question


def test_an_answer_that_holds_nothing_of_what_is_asked_is_refused(tmp_path):
    """The matcher finds the page that says when the inspection team was set up, but no sentence names who
    led it: a reply without a person for "ai là trưởng đoàn" is no answer."""
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    import_paths(kb, [SAMPLES, ROOT / "tests/data/train-f"])
    match = CombinedEngine(kb).match("Ai là trưởng đoàn liên ngành kiểm tra đo lường quận Ninh Kiều năm 2020?")
    assert not match.answered
    kb.close()


@pytest.mark.parametrize("question", ["dia chi trung tam thong tin khcn", "đc trung tam thong tin khcn"])
def test_an_address_the_pages_do_not_give_is_refused_not_answered_with_a_sentence_naming_the_unit(kb, question):
    """The matcher answered with a fuel test "của Trung tâm kỹ thuật Cần Thơ": no address in it."""
    match = CombinedEngine(kb).match(question)
    assert not match.answered and "xăng" not in match.text


def _chat(kb):
    from handlers.conversation import Conversation, ConversationConfig
    from handlers.messages import IncomingMessage
    conversation = Conversation(kb, ConversationConfig(rate_limit_messages=100))
    return lambda text: conversation.respond(IncomingMessage("web", "chat-1", "user-1", text), log_query=False)[0]


def test_where_asked_after_an_article_asks_where_its_event_was_not_the_departments_address(kb):
    say = _chat(kb)
    assert "31/10/2017" in say("giao ban khcn quan huyen lan 13 to chuc ngay nao").text
    assert "Lý Thường kiệt" not in say("ở đâu?").text  # the page does not say where: no answer, never the Sở's


def test_a_units_contact_asked_again_is_that_units_until_the_department_is_named(kb):
    """"còn email?" after Phòng Kinh tế Ô Môn's phone number was answered with the department's email: the matcher,
    which never sees the conversation's topic, read it as a question about the department."""
    say = _chat(kb)
    assert "861927" in say("sdt phong kinh te o mon").text.replace(" ", "")
    assert "kinhte_omon@cantho.gov.vn" in say("còn email?").text
    assert "Quốc lộ 91" in say("ở đâu?").text
    assert "3820674" in say("còn sđt sở khcn?").text.replace(".", "")


def test_a_follow_up_asking_which_plan_or_ward_is_read_with_the_topic_first(kb):
    """After the radiation drill, "theo kế hoạch nào?" was answered with Ô Môn's orchard plan (any plan, read alone;
    the matcher never sees the topic) and "ở phường nào?" with the department's address."""
    say = _chat(kb)
    assert "12/9" in say("diễn tập sự cố bức xạ 2024").text
    assert "102/KH-UBND" in say("theo kế hoạch nào?").text
    ward = say("ở phường nào?")
    assert "phường An Phú" in ward.text and "Lý Thường" not in ward.text
    assert "64/KH-UBND" in _chat(kb)("theo kế hoạch nào?").text  # with no topic, read alone


def test_someone_named_by_a_pronoun_is_the_one_the_question_before_asked_about(kb):
    """"ông ấy giữ chức vụ gì" after "ai phát biểu bế mạc": the title of the page alone does not say who, and the
    question's own "ông" read alone found "Ông Tín kỳ vọng …"; with "giám đốc sở" it was read as a question of its own
    and answered from another page."""
    say = _chat(kb)
    assert "Ngô Anh Tín" in say("ai phát biểu bế mạc techfest 2022").text
    position = say("ông ấy giữ chức vụ gì")
    assert position.answered and "Phát biểu bế mạc, Giám đốc Sở" in position.text
    say = _chat(kb)
    assert "Trần Ngọc Nguyên" in say("ai chủ trì hội nghị giao ban khcn quận huyện lần 13").text
    assert "Trần Ngọc Nguyên" in say("ông ấy là giám đốc sở nào").text
    say = _chat(kb)
    assert "Ngô Anh Tín" in say("ai phát biểu bế mạc techfest 2022").text
    assert "Phát biểu bế mạc, Giám đốc Sở" in say("ong ay giu chuc vu gi").text  # typed without accents too


def test_the_working_hours_reply_leaves_the_topic_as_it_was(kb):
    """"sở làm việc giờ nào" matched the Cờ Đỏ working session, which was not shown (the hours were): the next
    follow-up was read with that page."""
    say = _chat(kb)
    assert "Ngô Anh Tín" in say("ai phát biểu bế mạc techfest 2022").text
    assert say("so lam viec gio nao").kind == "hours"
    assert "Phát biểu bế mạc, Giám đốc Sở" in say("ông ấy giữ chức vụ gì").text


def test_a_contact_answered_is_the_topic_a_follow_up_is_read_with(kb):
    say = _chat(kb)
    assert "31/10/2017" in say("giao ban khcn quan huyen lan 13 to chuc ngay nao").text
    assert "3820674" in say("sđt sở khcn").text.replace(".", "")
    where = say("ở đâu?")
    assert where.kind == "contact" and "Lý Thường kiệt" in where.text
