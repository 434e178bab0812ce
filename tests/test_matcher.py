"""Answers and abstentions over the bundled samples, the way citizens write."""
import json

import pytest

from handlers.conversation import Conversation
from knowledge.ingest.importer import import_paths
from knowledge.matcher import Matcher
from knowledge.store import KnowledgeBase
from support import ROOT, SAMPLES

DATA = ROOT / "tests" / "data"


def questions(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    """The samples plus articles no development question was written against."""
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("extended") / "kb.sqlite")
    import_paths(kb, [SAMPLES, DATA / "extra-articles"])
    yield Conversation(kb)
    kb.close()


@pytest.mark.parametrize("item", questions("citizen-questions.jsonl"), ids=lambda item: item["q"])
def test_citizen_question(conversation, item):
    check(conversation, item)


@pytest.mark.parametrize("item", questions("extra-questions.jsonl"), ids=lambda item: item["q"])
def test_question_about_an_unseen_article(extended, item):
    check(extended, item)


def check(conversation, item):
    reply = conversation.answer(item["q"])
    text = reply.text.casefold().replace(".", "").replace(" ", "")
    if item.get("answered") is False:
        assert not reply.answered and reply.kind == "fallback"
    if "kind" in item:
        assert reply.kind == item["kind"]
    for wanted in item.get("expect_all", []):
        assert reply.answered and wanted.casefold().replace(".", "").replace(" ", "") in text
    if "expect_any" in item:
        assert reply.answered
        assert any(w.casefold().replace(".", "").replace(" ", "") in text for w in item["expect_any"])


def test_answer_is_a_passage_with_its_dated_source_not_the_article(conversation):
    reply = conversation.answer("kiểm định miễn phí bao nhiêu cân")
    assert reply.kind == "article"
    assert "2.002" in reply.text
    assert reply.text.endswith("Nguồn: Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII (02/11/2017)")
    assert len(reply.text) < 700
    assert reply.source == {"title": "Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII",
                            "date": "2017-11-02", "date_inferred": False, "url": None,
                            "file": reply.source["file"], "origin": None}
    assert "/" not in reply.source["file"] and reply.source["file"].endswith(".txt")  # a name, not a server path


def test_contact_reply_uses_the_newest_source_and_shows_its_date(conversation):
    reply = conversation.answer("sđt sở khcn")
    assert reply.kind == "contact" and reply.answered
    assert "0292.3820674" in reply.text and "0710" not in reply.text
    assert "(15/03/2021)" in reply.text  # the newest dated page that carries the phone number


def test_fallback_gives_the_department_contacts(conversation):
    reply = conversation.answer("giá vàng hôm nay bao nhiêu")
    assert not reply.answered and reply.kind == "fallback"
    assert "0292.3820674" in reply.text and "sokhcn@cantho.gov.vn" in reply.text


def test_unsure_answers_offer_close_topics_and_answers_offer_none(conversation):
    unsure = conversation.answer("thủ tục đăng ký nhãn hiệu")
    assert not unsure.answered and 1 <= len(unsure.suggestions) <= 3
    assert not conversation.answer("giải nhì hội thi sáng tạo kỹ thuật").suggestions


def test_fts_syntax_in_a_question_is_harmless(conversation):
    for question in ['"hội nghị', "NEAR(a b)", "xăng* OR -dầu", "a AND (b", "'; DROP TABLE articles; --"]:
        reply = conversation.answer(question)
        assert reply.kind in ("article", "fallback", "contact")
    assert conversation.kb.stats()["articles"] > 0


def test_empty_knowledge_base_abstains_with_fallback_contacts(empty_kb):
    from handlers.conversation import Conversation

    reply = Conversation(empty_kb).answer("địa chỉ sở ở đâu")
    assert not reply.answered and "0292.3820674" in reply.text


def test_a_new_faq_applies_at_once(conversation):
    conversation.kb.add_faq("Sở có làm việc thứ bảy không?", ["thu 7 so co lam viec khong"],
                            "Sở làm việc từ thứ Hai đến thứ Sáu.")
    reply = conversation.answer("thứ 7 sở có làm việc không")
    assert reply.kind == "faq" and "thứ Hai đến thứ Sáu" in reply.text


@pytest.mark.parametrize("opener", ["ad ơi cho em hỏi ", "cho hỏi chút ", "cho mình hỏi "])
def test_a_polite_opener_typed_with_accents_changes_nothing(tmp_path, opener):
    """Among accented words, "cho" is "cho" (not "chợ") and "chút" a real word, never "corrected"."""
    from knowledge.matcher import Matcher

    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    matcher = Matcher(kb)
    question = "chương trình hợp tác với Đại học Cần Thơ gồm bao nhiêu lĩnh vực?"
    plain, polite = matcher.match(question), matcher.match(opener + question)
    assert plain.answered and (polite.answered, polite.text) == (True, plain.text)
    kb.close()


@pytest.mark.parametrize("text, intent", [
    ("thanks ad, bài viết chi tiết dễ hiểu ghê", "thanks"),  # thanks with a compliment
    ("chào ad, hôm nay trời đẹp quá", "greeting"),  # a greeting with chatter nothing answers
    ("bot tên gì thế", "identity"),
])
def test_small_talk_is_recognised_by_intent_in_other_words(conversation, text, intent):
    match = conversation.engine.match(text)
    assert (match.kind, match.intent) == ("smalltalk", intent)


@pytest.mark.parametrize("body, answered", [
    ("Hội nghị tổng kết công tác khoa học công nghệ năm 2022 của Sở có 200 đại biểu tham dự.", False),
    ("Hội nghị tổng kết công tác khoa học công nghệ năm 2022 của Sở diễn ra ngày 06/01/2023.", True),
])
def test_a_date_the_question_states_itself_is_no_answer_to_when(tmp_path, body, answered):
    """"năm 2022" answers "khi nào" only when the question did not say it already."""
    from knowledge.ingest.importer import import_bytes
    from knowledge.matcher import Matcher

    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    article = f"Tiêu đề: Sở tổng kết năm 2022\nNgày đăng: 07/01/2023\n\n{body}\n"
    assert import_bytes(kb, "upload:tong-ket.txt", "tong-ket.txt", article.encode()).status == "added"
    reply = Matcher(kb).match("Hội nghị tổng kết công tác khoa học công nghệ năm 2022 diễn ra ngày nào?")
    assert reply.answered is answered
    kb.close()


def test_the_city_in_a_question_asks_for_no_deputy(tmp_path):
    """"tp" is "thành phố": its "phố" is no "phó", so "giám đốc … là ai" still wants the director."""
    from knowledge.ingest.importer import import_bytes
    from knowledge.matcher import Matcher

    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    article = ("Tiêu đề: Hội nghị giao ban năm 2022\nNgày đăng: 20/01/2022\n\nDự hội nghị có ông Trần Văn An, "
               "Phó Giám đốc Sở KH&CN TP. Cần Thơ, cùng lãnh đạo các sở.\n")
    assert import_bytes(kb, "upload:giao-ban.txt", "giao-ban.txt", article.encode()).status == "added"
    reply = Matcher(kb).match("năm 2022 giám đốc sở khcn tp cần thơ là ai")
    assert not reply.answered
    kb.close()


def test_courtesy_is_no_word_to_look_for(sample_kb):
    from knowledge.matcher import content_words
    from knowledge.text import Normalizer
    tokens = Normalizer().tokenize("cho mình hỏi dien tich thanh pho bao nhieu")
    assert [t.folded for t in content_words(tokens)] == ["dien", "tich", "thanh", "pho"]


def test_without_the_articles_an_article_answer_is_a_refusal_and_the_rest_the_same(conversation):
    """``articles`` (a function, asked only once small talk, contacts and FAQs leave the reply to the articles)
    may spare the costly article search; without it an article answer becomes a refusal, nothing else changes."""
    matcher = Matcher(conversation.kb)
    asked = []

    def no_articles():
        asked.append(1)
        return False
    question = "hoi nghi giao ban lan xiii to chuc ngay nao"
    assert matcher.match(question).kind == "article"
    assert (matcher.match(question, articles=no_articles).kind, asked) == ("fallback", [1])
    assert matcher.match(question, articles=False).kind == "fallback"
    for question in ("cảm ơn", "sđt sở khcn", "cảm ơn ad, bổ ích quá"):  # small talk, a contact, small talk among words
        asked.clear()
        full = matcher.match(question)
        assert matcher.match(question, articles=no_articles) == full and not asked, question


def test_an_answered_faq_is_still_weighed_against_the_articles(tmp_path):
    """An article scoring above an answered FAQ takes its place: the articles are searched whatever ``articles`` says."""
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    kb.add_faq("Hội nghị giao ban tổ chức ngày nào?", [], "Xem trang của Sở.")  # answers, but says less than the page
    matcher = Matcher(kb)
    question = "hoi nghi giao ban lan xiii to chuc ngay nao"
    full = matcher.match(question)
    assert full.kind == "article" and matcher.match(question, articles=False) == full
    kb.close()
