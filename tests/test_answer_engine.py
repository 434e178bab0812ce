"""The fitted answer engine (knowledge/answer/), stage by stage, on a real SQLite file of the samples."""
import pytest

from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage
from knowledge.answer import AnswerEngine
from knowledge.answer.engine import MAX_SPAN_CHARS, Focus, reply_of
from bot.settings import PROJECT_ROOT
from knowledge.answer.calibrate import labelled_sets
from knowledge.answer.decision import DECISION_FEATURES, DECISION_SIGNS, Additive, Step, load_model
from knowledge.answer.initialisms import initialism_letters, spelt_by
from knowledge.answer import reading
from knowledge.answer.question import _verb_forms, days_named, is_english, strip_markup
from knowledge.answer.reading import (FEATURE_SIGNS, FEATURES, agrees, list_leads, section_headings, sheet_topics,
                                      split_sentences)
from knowledge.answer.smalltalk import smalltalk_intent
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from knowledge.text import Normalizer, exact_key
from support import SAMPLES, write


def readings_over(tmp_path, page: str, question: str):
    """The question as read, and its candidate sentences, over a knowledge base of one page."""
    write(tmp_path, "page.txt", page)
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    try:
        import_paths(kb, [tmp_path / "page.txt"])
        return AnswerEngine(kb).readings(question)
    finally:
        kb.close()


@pytest.fixture
def kb_of(tmp_path):
    """A fresh knowledge base with the pages at the given paths imported (closed after the test)."""
    opened = []

    def make(*paths) -> KnowledgeBase:
        kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
        opened.append(kb)
        import_paths(kb, list(paths))
        return kb
    yield make
    for kb in opened:
        kb.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("answer") / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    yield AnswerEngine(kb)
    kb.close()


def read(engine, text):
    return engine.index().reader.read(text)


def holds_what_is_asked(engine, question, reply):
    return reading.holds_what_is_asked(read(engine, question), reading.sentence_of(reply, engine.kb.normalizer()),
                                       lambda words: engine.kb.phrase_count(words.split()) > 0)


def contradicts(engine, question, reply):
    return reading.contradicts(read(engine, question), reading.sentence_of(reply, engine.kb.normalizer()))


# ----- stage 1: reading the question --------------------------------------------------------
@pytest.mark.parametrize("question, attributes", [
    ("trung tâm trực thuộc cơ quan nào", []),  # "quan" typed beside "cơ" is "cơ quan", not "quận"
    ("trung tâm ở quận nào", ["address"]),
    ("trung tâm ở quan nào", ["address"]),  # an accent left out where no word explains it
    ("dia chỉ trung tâm", ["address"]),
])
def test_a_bare_word_that_makes_a_word_with_its_accented_neighbour_is_that_word(engine, question, attributes):
    assert read(engine, question).attributes == attributes


def test_pasted_markup_and_control_characters_are_not_words():
    assert strip_markup("<b>địa chỉ</b> của&nbsp;sở\x07 **KH&amp;CN**") == "địa chỉ của sở KH&CN"


def test_the_asker_introducing_themself_and_their_thanks_are_no_part_of_the_question(engine):
    """"em là sinh viên năm 3 đang làm đề tài" made "sinh viên", "3" and "đề tài" words to look for, and the
    deadline of the eighth contest was refused; the question asked without them is answered."""
    chatty = ("dạ em chào anh chị ạ, em là sinh viên năm 3 đang làm đề tài, cho em hỏi hội thi sáng tạo kỹ thuật lần "
              "thứ 8 của thành phố thì hạn chót nộp hồ sơ là ngày nào vậy ạ, em cảm ơn nhiều ạ")
    words = read(engine, chatty).content_folded
    assert not {"sinh", "vien", "3", "de", "tai", "nhieu"} & set(words) and {"hoi", "thi", "8"} <= set(words)
    match = engine.match(chatty)
    assert match.answered and "15/7/2015" in match.text
    assert {"doanh", "nghiep"} <= set(read(engine, "hội thi lần 8, doanh nghiệp có được dự thi không").content_folded)


@pytest.mark.parametrize("typed", ["sđt sở KH CN", "sđt sở KH & CN", "SĐT SỞ KHCN"])
def test_split_abbreviations_are_joined_before_expansion(engine, typed):
    folded = read(engine, typed).folded
    assert "khoa hoc va cong nghe" in folded


def test_a_word_unknown_to_both_the_knowledge_base_and_the_language_is_corrected(engine):
    assert read(engine, "so dien thaoi cua so").folded.startswith("so dien thoai")


def test_a_slip_onto_a_real_syllable_is_also_read_as_the_word_it_breaks(engine):
    question = read(engine, "chưng trình hỗ trợ doanh nghiệp đổi mới công nghệ")
    slip = next(t for t in question.terms if t.token.folded == "chung")
    assert slip.alternates == (("chuong", "trinh"),) and not slip.corrected  # "chưng" may be meant: kept too
    assert all(not t.alternates for t in read(engine, "chợ công nghệ ở đâu").terms)  # a word as typed, no slip
    bare = next(t for t in read(engine, "kem tra xang dau dot 2 nam 2013").terms if t.token.folded == "kem")
    assert bare.alternates == (("kiem", "tra"),)  # typed without accents too


@pytest.mark.parametrize("typed, slip, meant", [
    ("kinh phí hội thi lấy từ nuồn nào", "nuôn2", "nguon"),  # accents kept: "nguồn", never "nón"
    ("sở hợp tác với trườg đại học cần thơ", "trươg2", "truong"),  # the pages' "trường đại học", not "trung đại"
    ("giải nhất được tưhởng bao nhiêu tiền", "tưhơng3", "thuong"),  # two letters swapped: "thưởng", not "tưởng"
])
def test_a_slip_is_read_as_the_word_that_keeps_its_accents_and_the_pages_write_beside_its_neighbour(
        engine, typed, slip, meant):
    question = read(engine, typed)
    assert [t.folded for typed_token, t in zip(question.typed, question.tokens) if typed_token.exact == slip] == [meant]


def test_only_words_that_are_no_words_are_written_as_read_for_the_matcher(engine):
    assert engine.corrected("kinh phí hội thi lấy từ nuồn nào") == "kinh phí hội thi lấy từ nguon nào"
    assert engine.corrected("tks ad, giải thưởng được trao xong chưa") == "tks ad, giải thưởng được trao xong chưa"
    assert engine.corrected("chưng trình hỗ trợ doanh nghiệp") == "chuong trình hỗ trợ doanh nghiệp"  # no page has "chưng"
    assert engine.corrected("sở lập đoàn thanh tra năm nào") == "sở lập đoàn thanh tra năm nào"  # "đoàn": theirs


def test_an_initialism_typed_in_capitals_is_never_corrected_into_a_word(engine):
    assert [t.folded for t in read(engine, "kết quả thanh tra TDK năm 2013").tokens][4] == "tdk"
    assert "tieu chuan do luong chat luong" in read(engine, "đợt thanh tra TĐC năm 2013").folded  # of words, not syllables


def test_a_real_word_is_never_corrected_into_another(engine):
    tokens = [t.folded for t in read(engine, "giữ bí mật kết quả").tokens]
    assert tokens[:2] == ["giu", "bi"]


def test_a_bare_word_the_pages_never_write_is_not_found_as_its_syllables_scattered(engine):
    """The sample never writes "tuyển dụng" (recruiting); a sentence on "tuyên truyền … ứng dụng" was the answer."""
    words = {t.token.folded: t.word for t in read(engine, "so khcn co tuyen dung khong").terms}
    assert words["tuyen"] == words["dung"] == ("tuyen", "dung")
    for question in ("so khcn co tuyen dung khong", "so khcn tuyen dung ko"):
        assert not engine.match(question).answered, question


@pytest.mark.parametrize("question", [
    "thuc day bao ho tai san tri tue",  # "thúc đẩy", "bảo hộ": both written in the sample, "đẩy bao" never
    "can tho tai lap tinh tu nam nao",  # "tu" may be "từ" (a word of grammar), so "tinh tu" is no word
])
def test_a_bare_syllable_that_may_belong_elsewhere_makes_no_word_with_its_neighbour(engine, question):
    assert not any(t.word for t in read(engine, question).terms)


@pytest.mark.parametrize("typed, spelt", [
    ("giải nhất hội thi STKT được bao nhiêu tiền", "giải nhất hội thi sáng tạo kỹ thuật được bao nhiêu tiền"),
    ("giai nhat hoi thi stkt bao nhieu tien", "giai nhat hoi thi sang tao ky thuat bao nhieu tien"),
    ("sở làm việc với huyện cđ ngày nào", "sở làm việc với huyện cờ đỏ ngày nào"),
    ("trung tâm UD tiến bộ khcn ở đâu", "trung tâm ứng dụng tiến bộ khcn ở đâu"),  # no syllable is spelt "ud"
    ("hoi thi STKT lan VIII", "hoi thi sang tao ky thuat lan VIII"),  # a Roman numeral stays
])
def test_an_initialism_is_spelt_out_as_the_pages_its_question_finds_write_it(engine, typed, spelt):
    assert engine.spelt_out(typed) == spelt


def test_a_question_without_initialisms_is_read_as_typed(engine):
    for typed in ("hội thi có mấy giải", "dia chi so khcn", "What is the department's phone number?"):
        assert engine.spelt_out(typed) == typed


@pytest.mark.parametrize("word, initialism", [("stkt", "stkt"), ("HS", "hs"), ("ĐBSCL", "dbscl"), ("ATBX", "atbx"),
                                              ("UD", "ud"), ("hoc", None), ("ubnd", None), ("VIII", None),
                                              ("xiv", None), ("x", None), ("cbccvcnn", None)])
def test_only_a_word_no_syllable_spells_can_be_an_initialism(word, initialism):
    [token] = Normalizer().tokenize(word)
    assert initialism_letters(token) == initialism


def test_an_initialism_is_a_phrase_the_pages_use_more_than_once():
    texts = ["Sở Thông tin và Truyền thông hợp nhất.", "Bộ Thông tin và Truyền thông công bố.",
             "Trung tâm thông tin.", "Tổ chức tại Hội trường."]
    assert spelt_by("tttt", texts) == ("thong tin truyen thong", "thông tin truyền thông")  # "và" gives no letter
    assert spelt_by("tt", texts) == ("thong tin", "thông tin")
    assert spelt_by("tcth", texts) is None  # "Tổ chức tại Hội": letters that meet once, by chance
    assert spelt_by("ttht", ["Trung tâm thông tin. Hội trường lớn."] * 2) is None  # never across a sentence's end
    assert spelt_by("ttht", ["Trung tâm thông tin Hội trường lớn."] * 2) == ("thong tin hoi truong", "thông tin hội trường")


def test_an_initialism_standing_where_the_question_has_it_wins_over_a_more_frequent_phrase():
    texts = ["Thông tin tuyển sinh.", "Thông tin đấu thầu.", "Trung tâm Tư vấn họp."]
    assert spelt_by("tt", texts) == ("thong tin", "thông tin")
    assert spelt_by("tt", texts, after=frozenset({"tu"})) == ("trung tam", "trung tâm")  # "TT Tư vấn"
    assert spelt_by("tt", texts, before=frozenset({"khoi"})) == ("thong tin", "thông tin")  # nothing in place
    assert spelt_by("ud", ["Khối Ứng dụng tiến bộ họp."], after=frozenset({"tien"})) == ("ung dung", "ứng dụng")
    assert spelt_by("ud", ["Khối Ứng dụng tiến bộ họp."]) is None  # once, and not in place: chance


def test_letters_the_pages_write_as_a_word_are_spelt_out_only_in_place():
    texts = ["Trung tâm Thông tin khoa học.", "Thông tư 34/2014/TT-BKHCN.", "Tổ trưởng và tổ phó."] * 2
    assert spelt_by("tt", texts, after=frozenset({"thong"}), in_place_only=True) == ("trung tam", "trung tâm")
    assert spelt_by("tt", texts, after=frozenset({"bkhcn"}), in_place_only=True) is None
    assert spelt_by("tt", texts, in_place_only=True) is None  # however often "thông tư" comes
    assert spelt_by("tt", ["Thông tư 34/2014/TT-BKHCN."] * 2, after=frozenset({"bkhcn"}), in_place_only=True) is None


def test_an_english_acronym_is_no_slip_for_a_vietnamese_abbreviation(engine):
    words = read(engine, "When did the Can Tho DOST hold its training?").content_folded
    assert "department" in words and "sang" not in words  # the table's DOST, not "ĐMST" (đổi mới sáng tạo)
    assert "sang" in read(engine, "trung tâm dmts cần thơ ở đâu").content_folded  # a slip in Vietnamese


def test_question_type_is_read_on_the_accents_the_citizen_typed(engine):
    assert "count" in read(engine, "hội thi có mấy giải").types
    counted = read(engine, "số máy lẻ của sở")
    assert "count" not in counted.types and counted.attributes == ["phone"]


@pytest.mark.parametrize("question", ["làng hoa rộng cỡ nhiêu ha", "có tầm bao nhiêu máy x quang", "chung mấy hộ"])
def test_an_approximation_of_how_many_is_the_askers_not_a_word_to_look_for(engine, question):
    read_as = read(engine, question.replace("chung", "chừng"))
    assert "count" in read_as.types and not {"co", "tam", "chung"} & set(read_as.content_folded)


def test_a_bare_cue_is_another_word_with_its_neighbour_only_when_the_neighbour_makes_none_with_its_own(engine):
    assert "count" in read(engine, "nam 2019 thuc hien may de tai cap co so").types  # "đề tài", not "máy đề"
    assert "count" not in read(engine, "ho tro mua may moc thiet bi").types  # "máy móc"


@pytest.mark.parametrize("question, kind", [
    ("Cà Mau đứng thứ mấy về chuyển đổi số", "count"), ("ca mau dti 2022 dung thu may vay", "count"),
    ("soc trang xep hang may", "count"), ("hội nghị họp vào thứ mấy", "weekday"), ("hom do la thu may", "weekday"),
])
def test_thu_may_after_a_word_that_ranks_asks_a_rank_not_a_weekday(engine, question, kind):
    assert read(engine, question).types & {"count", "weekday"} == {kind}


@pytest.mark.parametrize("question, money", [
    ("giải nhất được bao nhiêu tiền", True), ("giai nhat duoc bao nhieu tien thuong", True),
    ("kinh phí dự án là bao nhiêu", True), ("năm 2023 cần thơ có bao nhiêu tiến sĩ", False),
    ("vien lua co bao nhieu tien si", False),  # "tien si" is only ever "tiến sĩ"
])
def test_an_amount_of_money_is_asked_by_tien_not_by_tien_si(engine, question, money):
    assert read(engine, question).money is money


@pytest.mark.parametrize("question, reply, holds", [
    ("chương trình hỗ trợ tối đa bao nhiêu tiền", "Chương trình được phê duyệt năm 2017 theo Quyết định số 2792.", False),
    ("chương trình hỗ trợ tối đa bao nhiêu tiền", "Mỗi doanh nghiệp được hỗ trợ tối đa 500 triệu đồng.", True),
    ("kinh phí dự án là bao nhiêu", "Dự án thực hiện trong 24 tháng.", False),
    ("tỷ lệ đạt là bao nhiêu phần trăm", "Có 12 cơ sở đạt.", False),
    ("tỷ lệ đạt là bao nhiêu phần trăm", "Có 12 cơ sở đạt, chiếm 80%.", True),
    ("đề án nâng cao giá trị sản xuất cho giai đoạn nào", "Đề án giai đoạn 2021 - 2030.", True),  # no amount asked
    ("trang web của sở khcn là gì", "Trung tâm phát hành tin tức trên trang thông tin điện tử của Sở.", False),
    ("trang web của sở khcn là gì", "Trang thông tin điện tử của Sở: sokhcn.cantho.gov.vn.", True),
    ("what is the department website", "The department's website is https://sokhcn.cantho.gov.vn.", True),
    ("website sở khcn", "Trung tâm phát hành tin tức trên trang thông tin điện tử của Sở.", False),  # named alone
    ("trung tâm thành lập theo quyết định nào", "Đơn vị dự tuyển: Trung tâm Nghiên cứu Khoa học Xã hội.", False),
    ("trung tâm thành lập theo qđ nào", "Thành lập theo Quyết định số 671/QĐ-UB-TC ngày 07/05/2003.", True),
    ("trang web so khoa hoc cong nghe can tho", "Trang web: sokhcn.cantho.gov.vn.", True),
    ("trang web của trung tâm có những chuyên mục gì", "Trung tâm phát hành tin tức trên trang web.", True),
])
def test_an_amount_or_a_web_address_asked_must_be_in_the_reply(engine, question, reply, holds):
    assert reading.holds_the_form(read(engine, question), reply) is holds


@pytest.mark.parametrize("question, reply, holds", [
    ("dia chi trung tam thong tin khcn", "Theo kết quả thử nghiệm của Trung tâm kỹ thuật Cần Thơ, 01 mẫu không đạt.",
     False),
    ("dia chi trung tam thong tin khcn", "Địa chỉ: Số 02, Lý Thường Kiệt, phường Tân An.", True),
    ("trung tâm ở đâu, địa chỉ nào", "Trung tâm đặt tại Khu II, đường 3/2.", True),
    ("sđt viện biến đổi khí hậu", "Viện được thành lập năm 2009.", False),
    ("sđt viện biến đổi khí hậu", "Điện thoại: (84-292) 3730 448 - Fax: (84-292) 3 730 392", True),
    ("email của ban tổ chức", "Hồ sơ gửi về ban tổ chức trước ngày 30/6.", False),
    ("email của ban tổ chức", "Hồ sơ gửi qua email btc@ctu.edu.vn.", True),
    ("ubnd ra kế hoạch so may", "Ủy ban ban hành Kế hoạch số 155/KH-UBND.", True),  # "số mấy", typed bare
    ("cty nào làm dự án ở đt", "Công ty TNHH Phân bón Sông Hậu thực hiện dự án.", True),  # which company asked
    ("Trung tâm Ứng dụng tiến bộ KHCN nằm ở phường nào?",
     "Chiều 19/01/2022, hội nghị được tổ chức tại hội trường Trung tâm Ứng dụng tiến bộ KH&CN.", False),
    ("Trung tâm Ứng dụng tiến bộ KHCN nằm ở phường nào?", "Trung tâm đặt tại số 45, phường An Khánh.", True),
    ("mang cau trong o xa nao", "Mãng cầu được trồng nhiều ở xã Thới Hưng, huyện Cờ Đỏ.", True),
])
def test_a_contact_detail_asked_of_a_page_must_be_in_the_reply(engine, question, reply, holds):
    """An address, a phone number, an email asked of a unit whose contacts the bot does not keep: a sentence that
    only names the unit does not answer."""
    assert reading.holds_the_form(read(engine, question), reply) is holds


def test_an_address_asked_of_a_unit_whose_page_gives_none_is_refused(engine):
    """The sample's page about the information centre gives its history, never its address (its footer line is
    the department's); the fuel-testing page names another "Trung tâm … Cần Thơ"."""
    for question in ("dia chi trung tam thong tin khcn", "đc trung tam thong tin khcn"):
        assert not engine.match(question).answered, question


@pytest.mark.parametrize("question, noun", [("trang web của sở khcn là gì", "trang web"),
                                            ("website so khcn la gi", "website"),
                                            ("what is the department website", "website"),
                                            ("sở có trang web nào", "web")])
def test_a_website_asked_for_by_what_it_is_asks_for_a_web_address(engine, question, noun):
    assert read(engine, question).which == noun


def test_a_page_that_only_speaks_of_the_website_does_not_answer_which_website(engine):
    """The sample says the centre publishes the department's news "trên trang thông tin điện tử của Sở", never its
    address: that sentence is no answer to "trang web của sở là gì"."""
    assert not engine.match("trang web của sở khcn là gì").answered


def test_nhieu_typed_alone_with_its_accents_asks_how_many_and_bare_it_is_much(engine):
    assert "count" in read(engine, "làng hoa rộng cỡ nhiêu ha").types
    hurried = read(engine, "giải ngân nhiu tiền")  # "nhiu" is "nhiêu"
    assert "count" in hurried.types and hurried.head == "tien"
    assert "count" not in read(engine, "cam on nhieu nha").types  # "cảm ơn nhiều"


@pytest.mark.parametrize("typed", ["bài viết về giao ban khcn quận huyện lần 13 đăng ngày nào",
                                   "tin giao ban khcn quan huyen lan 13 dang ngay nao"])
def test_asking_when_a_page_was_published_asks_its_date_not_the_event_s(engine, typed):
    question = read(engine, typed)
    assert question.types == {"published"}
    assert not {"bai", "viet", "tin"} & {t.token.folded for t in question.terms}  # the page itself is no topic


def test_a_registration_date_is_no_publication_date(engine):
    assert "published" not in read(engine, "hạn đăng ký dự thi hội thi stkt lần 8 là ngày nào").types


def test_unaccented_particles_and_requests_are_not_content_words(engine):
    words = read(engine, "cho minh hoi dia chi so khcn vay ad").content_folded
    assert "cho" not in words and "minh" not in words


def test_a_guessed_correction_names_no_place():
    from knowledge.answer.question import _names_a_place
    from knowledge.text import Token
    name = [Token("so", "so", False), Token("khoa", "khoa", False)]
    assert _names_a_place([Token("quan", "quan", False), *name], False)  # "quan so khoa" as typed: a place
    assert not _names_a_place([Token("quan", "quan~", False), *name], False)  # "quay" read as "quan": no place


def test_a_bare_question_word_inside_a_word_the_pages_write_is_that_word(engine):
    question = read(engine, "Ten ban dau cua Trung tam Thong tin la gi?")
    assert "where" not in question.types and "dau" in question.content_folded  # "ban đầu", not "đâu"


@pytest.mark.parametrize("question, kind", [("kiem tra hang tet co xem dau hop chuan khong", "where"),
                                            ("hội nghị có ai của sở y tế dự không", "who")])
def test_inside_a_yes_no_question_a_question_word_asks_nothing(engine, question, kind):
    assert kind not in read(engine, question).types  # "có ai … không": anyone, a yes or a no is asked
    assert kind in read(engine, question.replace("khong", "").replace("không", "")).types


def test_the_co_that_opens_a_yes_no_question_is_no_word_to_look_for(engine):
    words = read(engine, "doan kiem tra hang tet 2011 co cong an tham gia khong").content_folded
    assert words.count("co") == 0 and "cong" in words  # "có công" would have made "co" a word


@pytest.mark.parametrize("typed", ["hội nghị lần thứ 13", "hoi nghi lan 13", "hội nghị lần XIII"])
def test_an_edition_is_a_qualifier_whatever_way_it_is_written(engine, typed):
    assert read(engine, typed).qualifiers == [("lan", "13")]


@pytest.mark.parametrize("question, who", [
    ("giám đốc trung tâm phục vụ hành chính công tên gì", True),
    ("pho chu tich ubnd huyen co do ten la gi", True),
    ("hội thi sáng tạo năm nay tên gì", False),  # no role: the name of a thing
])
def test_a_role_s_name_is_asked_as_who(engine, question, who):
    assert ("who" in read(engine, question).types) is who


def test_an_organisation_asked_for_is_the_slot_a_person_only_half_fills(tmp_path):
    question, readings = readings_over(
        tmp_path, "Phê duyệt chương trình phát triển tài sản trí tuệ\n\n[02/12/2025 08:00]\n\n"
        "Ngày 01/12/2025, Ủy ban nhân dân thành phố Cần Thơ ban hành Quyết định số 2724/QĐ-UBND phê duyệt "
        "chương trình. Người ký quyết định là ông Nguyễn Văn Khởi.\n", "quyết định 2724 do cơ quan nào ban hành")
    assert question.organisation and "who" in question.types
    by_text = {r.sentence.text[:10]: r.features for r in readings}
    assert by_text["Ngày 01/12"]["slot"] == 1.0  # "Ủy ban nhân dân thành phố"
    assert by_text["Người ký q"]["slot"] == 0.0 and by_text["Người ký q"]["slot_weak"] == 1.0


def test_a_list_item_speaks_of_its_lead_lines_year_not_of_a_document_dated_there(tmp_path):
    """"… Quyết định số 437/QĐ-TTg ngày 25/3/2021 về việc tặng giải thưởng năm 2020 … hai mức:" / "19 doanh nghiệp đạt
    Giải Vàng": the item answered "năm 2021 có bao nhiêu doanh nghiệp đạt giải vàng" (2021 is the decision's date)."""
    page = ("Giải thưởng chất lượng quốc gia\n\n[02/04/2021 08:00]\n\n"
            "Thủ tướng đã ký Quyết định số 437/QĐ-TTg ngày 25/3/2021 về việc tặng Giải thưởng năm 2020, chia hai mức:\n\n"
            "- 19 doanh nghiệp đạt Giải Vàng;\n\n- 36 doanh nghiệp đạt Giải thưởng.\n")
    for year, conflict in (("2021", 1.0), ("2020", 0.0)):
        (tmp_path / year).mkdir()
        _, readings = readings_over(tmp_path / year, page, f"năm {year} có bao nhiêu doanh nghiệp đạt giải vàng")
        item = next(r for r in readings if r.sentence.text.startswith("- 19"))
        assert item.features["qualifier_conflict"] == conflict, year


def test_a_province_named_answers_which_province(tmp_path):
    _, readings = readings_over(
        tmp_path, "Chợ công nghệ và thiết bị vùng đồng bằng\n\n[02/12/2008 08:00]\n\n"
        "Hai năm trước, Chợ Công nghệ và Thiết bị vùng ĐBSCL được tổ chức lần đầu ở An Giang. "
        "Chợ năm nay có nhiều doanh nghiệp của Cần Thơ tham gia.\n", "chợ công nghệ và thiết bị lần đầu tổ chức ở tỉnh nào")
    by_text = {r.sentence.text[:8]: r.features for r in readings}
    assert by_text["Hai năm "]["slot"] == 1.0
    assert by_text["Chợ năm "]["slot"] == 0.0  # Cần Thơ is a city, and the question names none


def test_a_web_address_answers_which_website(tmp_path):
    _, readings = readings_over(
        tmp_path, "Khóa tập huấn kỹ năng số cho cán bộ cấp xã\n\n[02/12/2025 08:00]\n\n"
        "Khóa tập huấn kỹ năng số dành cho cán bộ cấp xã, học trực tuyến. Học viên đăng nhập tại kns.hocso.vn để học.\n",
        "khóa tập huấn kỹ năng số học trên trang web nào")
    by_text = {r.sentence.text[:8]: r.features for r in readings}
    assert by_text["Học viên"]["slot"] == 1.0 and by_text["Khóa tập"]["slot"] == 0.0


def test_the_noun_before_nao_or_gi_names_what_is_wanted(engine):
    assert read(engine, "chợ công nghệ lần đầu tổ chức ở tỉnh nào").which == "tinh"
    assert read(engine, "cac de tai tap trung vao linh vuc gi").which == "linh vuc"


@pytest.mark.parametrize("question, head", [
    ("sở khcn cần thơ có bao nhiêu cán bộ", "can bo"),  # a word of two syllables, not the "cần" of Cần Thơ
    ("hội thi có mấy giải", "giai"),
    ("tổng kinh phí là bao nhiêu", "kinh phi"),  # the cue itself names what is counted
    ("so luong ho so la bao nhieu", "ho so"),
    ("kiem tra xang dau lay bao nhieu mau de thu", "mau"),  # "mẫu để" is no word, whatever "mau de" could be
    ("how many people attended", "people"),
    ("cần thơ xếp hạng mấy trên cả nước", ""),  # asks which rank: "nước" is no noun it counts
    ("how much did the project cost in total", ""),  # in English the noun follows at once: "did" counts nothing
    ("nuôi bao lâu thì được 1kg", ""),  # a span of time counts no noun ("thì" nor "được")
    ("lam trong bao lau thi xong", ""),
    ("how long is the course", ""),
])
def test_the_counted_noun_is_the_word_after_the_count_cue(engine, question, head):
    assert read(engine, question).head == head


@pytest.mark.parametrize("question", ["hội thi có tổng cộng bao nhiêu giải pháp", "hoi thi tong cong co may giai phap"])
def test_in_total_is_part_of_asking_how_many_not_a_word_to_look_for(engine, question):
    read_question = read(engine, question)
    assert "count" in read_question.types and read_question.head == "giai phap"
    assert not {"tong", "cong"} & {t.token.folded for t in read_question.terms}


@pytest.mark.parametrize("question, unit", [
    ("kế hoạch 34 ký ngày mấy", "day"), ("hội thảo diễn ra hôm nào", "day"), ("on what date was it signed", "day"),
    ("quyết định ban hành tháng nào", "month"), ("sở thành lập năm nào", "year"), ("khi nào nộp hồ sơ", ""),
])
def test_when_asks_a_date_as_precise_as_its_word(engine, question, unit):
    assert "when" in read(engine, question).types and read(engine, question).when_unit == unit


def test_a_date_less_precise_than_asked_does_not_answer(engine):
    """"Ký ngày mấy" is not answered by "vào năm 2030"; "năm nào" is."""
    goal = "Kế hoạch số 34/KH-UBND đặt mục tiêu đưa tỉnh trở thành tỉnh phát triển khá vào năm 2030."
    assert not holds_what_is_asked(engine, "kế hoạch 34 ký ngày mấy", goal)
    assert not holds_what_is_asked(engine, "kế hoạch 34 ký tháng nào", goal)
    assert holds_what_is_asked(engine, "kế hoạch 34 đặt mục tiêu tới năm nào", goal)
    assert holds_what_is_asked(engine, "kế hoạch 34 ký ngày mấy", "Kế hoạch số 34/KH-UBND ký ngày 15/3/2021.")
    assert holds_what_is_asked(engine, "kế hoạch 34 ký tháng nào", "Kế hoạch số 34/KH-UBND ký tháng 3/2021.")
    assert holds_what_is_asked(engine, "when was plan 34 signed", "Plan 34 was signed in 2021.")
    assert holds_what_is_asked(engine, "which month was plan 34 signed", "Plan 34 was signed in May 2021.")
    assert not holds_what_is_asked(engine, "which month will the plan start", "The plan may start soon.")


def test_who_holds_a_role_is_not_answered_by_a_sentence_that_never_names_it(engine):
    """"chi cục trưởng … tên gì" was answered by the byline "(Theo tin của Chi cục …, người viết Hà Nhật Mai.)": a name,
    but not of whoever holds the role. The role's synonym ("trưởng đoàn": "dẫn đầu") names it too."""
    byline = "(Theo tin của Chi cục Tiêu chuẩn Đo lường Chất lượng Kiên Giang, người viết Hà Nhật Mai.)"
    assert not holds_what_is_asked(engine, "chi cuc truong chi cuc tieu chuan do luong chat luong kien giang ten gi",
                                   byline)
    assert holds_what_is_asked(engine, "chi cuc truong chi cuc tieu chuan do luong chat luong kien giang ten gi",
                               "Ông Nguyễn Văn Bình, Chi cục trưởng Chi cục Tiêu chuẩn Đo lường Chất lượng Kiên Giang.")
    assert holds_what_is_asked(engine, "ai là trưởng đoàn cục năng lượng nguyên tử",
                               "Đoàn công tác của Cục Năng lượng nguyên tử do TS. Hoàng Anh Tuấn, Cục trưởng, dẫn đầu.")


def test_a_documents_number_counts_nothing_unless_its_number_is_asked(engine):
    """In "… các đại biểu … thực hiện Nghị quyết 02-NQ/TU", "02" is the resolution's number, not a count of delegates
    nor an amount ("chương trình hỗ trợ tối đa bao nhiêu" was answered so on the sample); "nghị quyết số mấy" asks
    that number."""
    sentence = "Tại hội nghị, Sở và các đại biểu điểm lại việc thực hiện Nghị quyết 02-NQ/TU của Thành ủy."
    assert not holds_what_is_asked(engine, "giao ban khcn lan 13 co bao nhieu dai bieu", sentence)
    assert not holds_what_is_asked(engine, "chương trình hỗ trợ tối đa bao nhiêu", sentence)
    assert holds_what_is_asked(engine, "nghị quyết của thành ủy là nghị quyết số mấy", sentence)
    assert holds_what_is_asked(engine, "giao ban khcn lan 13 co bao nhieu dai bieu",
                               "Tham dự có 120 đại biểu; hội nghị bàn việc thực hiện Nghị quyết 02-NQ/TU.")


def test_a_decade_answers_which_year_where_the_page_knows_no_closer(engine):
    """The sample says the information centre was formed "từ giữa thập niên 80": that, not the year it was renamed,
    answers when it was founded."""
    assert holds_what_is_asked(engine, "trung tâm thành lập năm nào", "Trung tâm được hình thành từ giữa thập niên 80.")
    assert not holds_what_is_asked(engine, "trung tâm thành lập ngày nào", "Trung tâm hình thành từ thập niên 80.")
    match = engine.match("trung tam thong tin khcn thanh lap nam nao")
    assert match.answered and "thập niên 80" in match.text


def test_a_span_of_time_or_the_year_counts_nothing_but_answers_how_many_months_or_years(engine):
    span = "Buổi làm việc điểm lại hoạt động trong 07 tháng đầu năm và phương hướng đến cuối năm 2023."
    assert not holds_what_is_asked(engine, "sở có bao nhiêu cán bộ", span)  # "năm" is the year, "07 tháng" a span
    assert holds_what_is_asked(engine, "giao ban họp mấy tháng một lần", span)
    assert holds_what_is_asked(engine, "hội thi mấy năm tổ chức một lần", "Hội thi được tổ chức hai năm một lần.")
    assert holds_what_is_asked(engine, "sở có bao nhiêu cán bộ", "Sở có 45 cán bộ, công chức.")


@pytest.mark.parametrize("question, head", [
    ("Tổng kinh phí dành cho hội thi lần VIII là bao nhiêu?", "kinh phi"),  # not "dành"
    ("tong kinh phi danh cho hoi thi lan 8 la bao nhieu", "kinh phi"),
    ("Tỷ lệ mẫu xăng không đạt chất lượng là bao nhiêu?", "%"),  # a share: the pages write "%"
    ("tổng số cán bộ của sở là bao nhiêu", "can bo"),  # "tổng số" counts the noun after it
])
def test_a_word_naming_the_quantity_asked_is_what_is_counted(engine, question, head):
    read_question = read(engine, question)
    assert "count" in read_question.types and read_question.head == head


def test_a_share_named_by_its_word_is_found_by_its_percent_sign_not_by_the_word(engine):
    # the pages write "chiếm 9,7%" as often as "tỷ lệ 5%"
    assert not {"ty", "le"} & {t.token.folded for t in read(engine, "tỷ lệ mẫu xăng không đạt là bao nhiêu").terms}
    match = engine.match("tỷ lệ mẫu xăng dầu không đạt trong đợt kiểm tra tháng 9/2013 là bao nhiêu")
    assert match.answered and "9,7%" in match.text


def test_money_is_asked_for_by_any_noun_that_starts_with_money(tmp_path, kb_of):
    write(tmp_path, "techfest.txt", "Techfest Mekong 2022\n\n[21/10/2022 08:00]\n\n"
          "Có 20 dự án được cam kết đầu tư, tổng số tiền quan tâm đầu tư khoảng 1,2 triệu USD.\n")
    kb = kb_of(tmp_path / "techfest.txt")
    question, readings = AnswerEngine(kb).readings("tong so tien quan tam dau tu la bao nhieu")
    assert question.head == "tien quan"  # "tiền quan tâm", read as a word of the language
    assert readings[0].features["head"] == 1.0  # … yet money: "1,2 triệu USD"


def test_the_number_of_a_numbered_item_split_from_it_is_no_candidate(tmp_path, kb_of):
    """"1." of "1. Đối tượng …" is a sentence of its own to the splitter; with no word, it answers nothing (it had
    filled the count slot of "có bao nhiêu …" with its "1")."""
    write(tmp_path, "program.txt", "Chương trình hỗ trợ hợp tác xã\n\n[21/10/2022 08:00]\n\n"
          "Chương trình có hai nội dung. 1. Đối tượng tham gia: hợp tác xã của thành phố. "
          "2. Có 16 hợp tác xã tham gia chương trình.\n")
    _, readings = AnswerEngine(kb_of(tmp_path / "program.txt")).readings("co bao nhieu hop tac xa tham gia")
    assert readings and all(any(c.isalpha() for c in r.sentence.text) for r in readings)


def test_which_in_english_asks_for_a_name_of_the_kind_after_it_not_a_list(tmp_path, kb_of):
    write(tmp_path, "ocop.md", "# OCOP intellectual property project\n\n[12/03/2024 08:00]\n\n"
          "Planned work: survey data of stakeholders; build a brand identity system; train local officials; "
          "monitor the project.\n\nImplementing agency: the Department of Agriculture and Rural Development of "
          "Can Tho City.\n\nThose taking part included Mr. Hoang Anh, specialist of the Legal and Policy Division.\n")
    engine = AnswerEngine(kb_of(tmp_path / "ocop.md"))
    question, readings = engine.readings("which agency implements the OCOP IP project")
    assert question.which == "agency" and "list" not in question.types
    assert "Department of Agriculture" in readings[0].sentence.text and readings[0].features["slot"] == 1.0
    _, readings = engine.readings("Which division does Mr. Hoang Anh work in?")
    assert "Legal and Policy Division" in readings[0].sentence.text and readings[0].features["slot"] == 1.0


@pytest.mark.parametrize("sentence, enumerates", [
    ("Các sản phẩm được công nhận gồm bánh tráng Thuận Hưng, trà mãng cầu, nem chua Cái Răng và mật ong.", True),
    ("Hội thảo bàn về cảm biến IoT, truy xuất nguồn gốc và sàn thương mại điện tử.", True),
    ("Thành phần: Sở Tư pháp, Sở Công Thương, Công an thành phố.", True),
    ("Sở đã tổ chức hội thảo về sở hữu trí tuệ cho doanh nghiệp.", False),
])
def test_an_enumeration_answers_what_a_list_question_asks(tmp_path, kb_of, sentence, enumerates):
    write(tmp_path, "list.txt", f"Sản phẩm OCOP\n\n[12/03/2024 08:00]\n\n{sentence}\n")
    _, readings = AnswerEngine(kb_of(tmp_path / "list.txt")).readings("sản phẩm ocop gồm những gì")
    assert readings[0].features["slot"] == float(enumerates)


def test_a_share_asked_in_words_is_a_number_written_with_a_percent_sign(tmp_path, kb_of):
    write(tmp_path, "tstt.txt", "Chương trình phát triển tài sản trí tuệ đến 2030\n\n[01/03/2022 08:00]\n\n"
          "Số đơn đăng ký sáng chế tăng bình quân 16-18%/năm. Có 12 đơn vị tham gia chương trình.\n")
    kb = kb_of(tmp_path / "tstt.txt")
    engine = AnswerEngine(kb)
    for asked in ("Số đơn đăng ký sáng chế tăng bao nhiêu phần trăm?", "so don dang ky sang che tang may phan tram"):
        question, readings = engine.readings(asked)
        assert question.head == "%" and "phan" not in {t.token.folded for t in question.terms}  # not looked for
        by_text = {r.sentence.text[:6]: r.features for r in readings}
        assert by_text["Số đơn"]["head"] == 1.0 and by_text["Có 12 "]["head"] == 0.0
        assert by_text["Số đơn"]["unknown"] == 0.0  # the pages never write "phần trăm": no word missing for it
    assert read(engine, "tỷ lệ cân còn hiệu lực là mấy phần trăm").head == "%"  # whatever "tỷ lệ" counts


@pytest.mark.parametrize("question, places", [
    ("ai là trưởng đoàn kiểm tra đo lường quận Ninh Kiều", {"quan ninh kieu"}),
    ("sở làm việc với huyện cờ đỏ ngày nào", {"huyen co do"}),
    ("ai lam viec voi huyen co do", {"huyen co do"}),  # without accents: a unit and two words
    ("dien tap buc xa du kien co bao nhieu dai bieu", set()),  # "bức xạ", a word the pages write
    ("WHAT IS TRAN HOAI PHUONG'S POSITION AT THE DEPARTMENT?", set()),  # in English "Phuong" is a name
    ("MANG E.MEKONG HINH THANH DUOC GI GIUA CAC TINH TRONG VUNG", set()),  # capitals say nothing here
    ("AI LAM VIEC VOI HUYEN CO DO", {"huyen co do"}),  # … but the pages write this one
    ("hoi dong linh vuc xa hoi nam 2023 do ai lam chu tich", set()),  # "xã hội", and no page names "xa hoi nam"
    ("hoc vien cap xa thi phai hoc may chuyen de", set()),  # "xã thì phải": a name of function words the
    # pages never write
    ("festival có giới thiệu công nghệ quan trắc ao nuôi tôm không", set()),  # "quan" typed as written
    ("hội đồng lĩnh vực xã hội năm 2023 do ai làm chủ tịch", set()),  # "xã hội" is a word
    ("bao nhiêu htx ứng dụng công nghệ số", set()),  # the "xã" of "hợp tác xã"
    ("Khóa tập huấn KHCN cho cán bộ xã học trực tiếp hay online?", set()),  # a writer who uses capitals
    ("Khóa tập huấn KHCN cho cán bộ xã Thới Hưng học trực tiếp hay online?", {"xa thoi hung"}),
    ("giao ban khcn cấp huyện thường họp vào tháng nào", set()),  # a level: "cấp huyện"
    ("lớp tập huấn online cho cán bộ xã kết thúc ngày nào", set()),  # no capitals anywhere, no page says
    # "xã kết thúc"
    ("so giai phap cua cac tinh mien tay duoc ghi danh la bao nhieu", set()),  # a kind: "các tỉnh"
])
def test_a_place_is_a_unit_and_its_name_not_a_word_that_starts_like_one(engine, question, places):
    assert read(engine, question).places == places


def test_words_the_pages_write_after_a_unit_word_typed_bare_name_no_place(tmp_path, kb_of):
    write(tmp_path, "lop.txt", "Khai giảng lớp tập huấn\n\n[01/12/2025 08:00]\n\n"
          "Sáng 01/12/2025, Bộ khai giảng lớp tập huấn cho cán bộ cấp xã.\n")
    reader = AnswerEngine(kb_of(tmp_path / "lop.txt")).index().reader
    assert reader.read("lop tap huan cho can bo xa khai giang hom nao").places == set()
    assert reader.read("lop tap huan o huyen phong dien khai giang hom nao").places == {"huyen phong dien"}


def test_a_year_asked_is_not_answered_by_a_date_without_one(tmp_path):
    page = ("Ký kết hợp tác với Đại học Duy Tân\n\nNgày 4/11, Sở ký kết thỏa thuận hợp tác với Đại học Duy Tân. "
            "Trước đó, năm 2019, hai bên đã làm việc về chuyển giao công nghệ.\n")
    question, readings = readings_over(tmp_path, page, "sở ký kết hợp tác với đại học duy tân năm nào")
    assert question.when_unit == "year"
    slots = {r.sentence.text[:8]: r.features["slot"] for r in readings}
    assert slots == {"Ngày 4/1": 0.0, "Trước đó": 1.0}
    question, readings = readings_over(tmp_path, page, "sở ký kết hợp tác với đại học duy tân ngày nào")
    assert question.when_unit == "day" and readings[0].features["slot"] == 1.0  # "ngày nào": the date answers


@pytest.mark.parametrize("text, days", [
    ("tu 4/6 den 11/7/2013", ["4/6", "11/7"]), ("sáng 17-5", ["17/5"]), ("ngày 04/6/2013", ["4/6"]),
    ("Số 209, Đường 30/4, quận Ninh Kiều", ["30/4"]), ("tỷ lệ 2/3,5", []),
    ("tăng 12-14%/năm", []), ("giai đoạn 2020-2025", []), ("Quyết định 06/2019/QĐ-UBND", []), ("ngày 32/13", []),
])
def test_a_day_of_a_month_is_read_as_one_qualifier(text, days):
    assert days_named(text) == days


def test_a_page_holds_a_day_asked_in_its_text_or_as_its_date(tmp_path):
    page = ("Hội nghị giao ban\n\n[02/11/2017 08:00]\n\nNgày 31/10/2017, Sở tổ chức hội nghị giao ban lần XIII "
            "tại hội trường Sở.\n")
    for question, missing in (("hội nghị ngày 31/10/2017 tổ chức ở đâu", 0.0), ("hội nghị giao ban đăng ngày 2/11 tổ chức ở đâu", 0.0),
                              ("hội nghị ngày 30/10/2017 tổ chức ở đâu", 1.0)):
        _, readings = readings_over(tmp_path, page, question)
        assert readings and readings[0].features["edition_missing"] == missing, question


@pytest.mark.parametrize("question, provinces", [
    ("chuyen giao cong nghe an toan thuc pham o dau", set()),  # "công nghệ" and "an toàn": no Nghệ An
    ("chuyển giao công nghệ an toàn thực phẩm ở đâu", set()),
    ("Nghệ An có bao nhiêu đề tài", {"nghe an"}),  # written with capitals, a name
    ("ho tro cong nghe an giang bao nhieu tien", {"an giang"}),  # "nghệ an" is no word of the pages
])
def test_a_province_is_not_spelt_by_the_ends_of_two_other_words(engine, question, provinces):
    assert read(engine, question).provinces == provinces


def test_contact_question_is_parsed_as_entity_and_attribute(engine):
    question = read(engine, "cho em xin email phòng kinh tế Ô Môn với ạ")
    assert question.attributes == ["email"]
    assert [t.folded for t in question.entity] == ["phong", "kinh", "te", "o", "mon"]


# ----- small talk by intent ------------------------------------------------------------------
@pytest.mark.parametrize("text, intent", [
    ("cảm ơn bot nhiều nha, giỏi quá", "thanks"),
    ("tks bot, hữu ích lắm", "thanks"),
    ("bạn tên gì thế", "identity"),
    ("chào buổi sáng ad", "greeting"),
    ("bot tên gì dợ, ai làm ra bạn vậy", "identity"),  # Southern "dợ" for "vậy"; who made the bot
    ("ad là người hay bot trả lời tự động z", "identity"),
    ("minh dang chat voi ai vay", "identity"),
    ("bạn giúp được mình những việc gì", "capabilities"),  # "mình", "việc" inside "giúp được những gì"
    ("thôi chào bot nha, bữa khác nói chuyện tiếp", "goodbye"),
    ("ê ad, có đó hông", "greeting"),  # Southern "hông" for "không": is anyone there
    ("bot ơi", "call"), ("ad oi", "call"), ("haha", "ack"),  # were refused with the department's contacts
])
def test_small_talk_is_recognised_whatever_the_wording(engine, text, intent):
    assert smalltalk_intent(read(engine, text).typed) == intent


@pytest.mark.parametrize("question", ["khu công nghệ cao hi-tech ở đâu",
                                      "How much money did MoST commit to build the hi-tech park?"])
def test_a_greeting_word_inside_an_unanswered_question_is_not_a_greeting(engine, question):
    assert engine.match(question).kind != "smalltalk"


def test_thanks_with_a_question_is_a_question(engine):
    match = engine.match("cảm ơn, còn email của sở là gì?")
    assert match.kind == "contact" and "email" in match.contacts


# ----- answers and refusals ------------------------------------------------------------------
@pytest.mark.parametrize("question, name", [
    ("How many hi-tech farms does the Can Tho city have?", ["can", "tho"]),  # "can" is no verb here
    ("When was the first technology fair held in An Giang province?", ["an", "giang"]),
    ("how many hi-tech farms does can tho have", ["can", "tho"]),  # typed in lower case: a word the pages hold
])
def test_a_vietnamese_name_in_an_english_question_keeps_its_english_stop_words(engine, question, name):
    words = read(engine, question).content_folded
    assert words[words.index(name[0]) + 1] == name[1]


@pytest.mark.parametrize("question", ["ad ơi cho em hỏi với ạ: who chairs the council?",
                                      "Who chairs the council vậy ạ?"])
def test_an_english_question_wrapped_in_vietnamese_courtesy_is_english(question):
    assert is_english(question)


def test_an_english_question_opening_with_a_stop_word_drops_it(engine):
    assert "can" not in read(engine, "Can I visit the Department on Saturday?").content_folded


def test_english_contact_question(engine):
    match = engine.match("What is the department's phone number?")
    assert match.kind == "contact" and "3820674" in match.contacts["phone"].value


@pytest.mark.parametrize("question, attribute", [
    # words after the department's name
    ("sđt sở khcn cần thơ là số nào vậy, mình gọi hỏi thủ tục chút", "phone"),
    ("cho em xin email so khoa hoc cong nghe tp can tho de gui ho so a", "email"),
    ("trụ sở sở khcn tp cần thơ nằm trên đường nào vậy mn, mai mình ghé", "address"),
    # words that name no unit
    ("Sở KHCN có số đt nào để gọi không ạ?", "phone"),  # "gọi" names no unit
    ("Sở dùng địa chỉ mail nào vậy ạ?", "email"),  # "sở" with its accents is the department
    ("Trụ sở của sở thuộc quận nào, phường nào vậy ạ?", "address"),
    ("Sở KHCN tp Cần Thơ nằm chỗ nào vậy ạ?", "address"),
    ("so khcn o phuong gi quan gi z ad", "address"),
    # which number the department has is its phone number; a greeting in front asks nothing
    ("sở khcn số mấy", "phone"), ("alo sở khcn số mấy ad ơi", "phone"), ("so khcn so bao nhieu vay", "phone"),
    ("hello, sở khcn ở đâu", "address"), ("hi ad, cho mình hỏi sđt sở khcn", "phone"),
    # naming no one at all: the department's own contacts, whatever the question says it wants them for
    ("Mình muốn tới liên hệ trực tiếp thì đến địa chỉ nào ạ?", "address"),
    ("muốn nộp hồ sơ trực tiếp thì tới địa chỉ nào", "address"),
    ("cho mình xin sđt để hỏi về đăng ký nhãn hiệu", "phone"), ("email để gửi góp ý là gì", "email"),
])
def test_words_that_name_no_unit_do_not_drop_the_department_s_contact_route(engine, question, attribute):
    match = engine.match(question)
    assert match.kind == "contact" and attribute in match.contacts


INCUBATOR_PAGE = """Tiêu đề: Vườn ươm công nghệ nông nghiệp Cần Thơ khai trương khu làm việc chung
Ngày: 12/05/2024

Sáng 10/5/2024, Vườn ươm công nghệ nông nghiệp Cần Thơ khai trương khu làm việc chung dành cho các nhóm khởi nghiệp.

Vườn ươm công nghệ nông nghiệp Cần Thơ đặt tại Khu công nghiệp Thốt Nốt, quận Thốt Nốt, với diện tích 2 ha.
"""


def test_where_something_a_page_names_is_never_answered_with_the_department_s_address(tmp_path, kb_of):
    """The question names neither the department nor a unit: the department's address is only a guess, and a
    page about what it names outweighs it (here the engine is not sure, so it refuses and offers the page)."""
    engine = AnswerEngine(kb_of(SAMPLES, write(tmp_path, "incubator.txt", INCUBATOR_PAGE)))
    match = engine.match("vuon uom cong nghe nong nghiep nam o dau")
    assert match.kind != "contact" and any("Vườn ươm" in title for title in match.suggestions)
    assert engine.match("muốn nộp hồ sơ trực tiếp thì tới địa chỉ nào").kind == "contact"  # no page is about it


def test_where_asked_is_answered_only_by_a_sentence_that_names_a_place(engine):
    """The sample's page on the 13th district meeting says when it met and who came, never where: its first
    sentence, however well it matches the question's other words, is no answer to "ở đâu"."""
    assert not engine.match("giao ban khcn quan huyen lan 13 o dau").answered
    assert engine.match("diễn tập ứng phó sự cố bức xạ ở đâu").answered  # "tại Công viên Lưu Hữu Phước"


def test_a_capital_city_is_a_place_after_tai(engine):
    assert holds_what_is_asked(engine, "cuộc thi gạo ngon nhất tổ chức ở đâu",
                               "Cuộc thi do The Rice Trader tổ chức tại thủ đô Phnom Penh.")


@pytest.mark.parametrize("question", ["sở khcn có mấy phòng", "nộp theo mẫu số mấy của sở khcn"])
def test_other_numbers_asked_of_the_department_are_no_phone(engine, question):
    assert read(engine, question).attributes == []


def test_the_longest_contact_cue_says_what_is_asked(engine):
    assert read(engine, "sở dùng địa chỉ email nào").attributes == ["email"]  # not an address too


@pytest.mark.parametrize("question", ["số điện thoại công an phường", "Số điện thoại Sở Y tế Cần Thơ là gì?",
                                      "email sở tài nguyên môi trường", "sđt sở GTVT", "địa chỉ sở xây dựng",
                                      "sdt cua ong Tin", "số điện thoại bệnh viện đa khoa",
                                      "What is the phone number of the Can Tho Department of Health?"])
def test_a_unit_is_matched_as_a_phrase_never_by_syllables(engine, question):
    match = engine.match(question)
    assert not (match.kind == "contact" and match.contacts)


@pytest.mark.parametrize("question, reply, holds", [
    ("Ai là trưởng đoàn kiểm tra đo lường năm 2020?",
     "Trong 6 tháng đầu năm 2020, UBND quận ban hành Quyết định số 4069/QĐ-UBND thành lập đoàn kiểm tra.", False),
    ("Ai là trưởng đoàn kiểm tra đo lường năm 2020?", "Đoàn do ông Nguyễn Văn An làm trưởng đoàn.", True),
    ("Giám đốc Sở sinh năm bao nhiêu?", "Phát biểu bế mạc, Giám đốc Sở Ngô Anh Tín cho biết sự kiện thành công.", False),
    ("hội thảo tổ chức ngày nào", "Hội thảo có nhiều đại biểu tham dự.", False),
    ("hội thảo tổ chức ngày nào", "Ngày 5/3/2025, Sở tổ chức hội thảo.", True),
    ("hội thảo có bao nhiêu đại biểu", "Hội thảo có 120 đại biểu tham dự.", True),
    ("hội thảo có bao nhiêu đại biểu", "Ngày 5/3/2025, Sở tổ chức hội thảo năm 2025.", False),  # a date counts nothing
    ("hội thảo có bao nhiêu đại biểu", "Ngày 5/3/2025, hội thảo có hai trăm đại biểu.", True),
    ("hội thảo có bao nhiêu đại biểu", "Hội thảo có hai trăm đại biểu tham dự.", True),  # a number in words
    ("dự án thực hiện trong bao lâu", "Dự án thực hiện trong 15 tháng, từ tháng 3/2016.", True),  # a span answers it
    # a number that counts something else than the noun asked ("doanh nghiệp" is written in the samples)
    ("có bao nhiêu doanh nghiệp được hỗ trợ", "Diện tích trồng hành tím là 6.500 ha.", False),
    ("có bao nhiêu doanh nghiệp được hỗ trợ", "Sở đã hỗ trợ 30 doanh nghiệp.", True),
    ("có bao nhiêu doanh nghiệp được hỗ trợ", "Sở hỗ trợ 2 đợt, trong đó có doanh nghiệp.", False),  # not its clause
    ("được hỗ trợ bao nhiêu tiền", "Sở đã hỗ trợ 30 doanh nghiệp.", False),  # an amount of money is asked
    ("được hỗ trợ bao nhiêu tiền", "Mỗi đơn được hỗ trợ 30 triệu đồng.", True),
    ("vùng lúa rộng bao nhiêu hécta", "Vùng lúa được mở rộng lên 20.000ha.", True),  # no page writes "hécta"
    ("ai phát biểu khai mạc techfest", "Bộ Khoa học và Công nghệ cùng UBND thành phố bế mạc Techfest.", False),
    ("cơ quan nào phát biểu khai mạc techfest", "Bộ Khoa học và Công nghệ khai mạc Techfest.", True),
    ("chương trình hỗ trợ những gì", "Chương trình hỗ trợ doanh nghiệp đổi mới công nghệ.", True),  # no slot
])
def test_a_reply_holds_something_of_the_kind_asked(engine, question, reply, holds):
    assert holds_what_is_asked(engine, question, reply) is holds


def test_a_sentence_about_another_edition_or_year_is_marked_as_conflicting(engine):
    _, readings = engine.readings("hội nghị giao ban khcn quận huyện lần 12 tổ chức ngày nào")
    about_13 = [r for r in readings if "lần XIII" in r.sentence.text]
    assert about_13 and all(r.features["qualifier_conflict"] == 1.0 for r in about_13)
    assert not any(agrees(r) for r in about_13)


YEARLY_FIGURES_PAGE = """Tọa đàm về thương hiệu nông sản vùng Đồng bằng sông Cửu Long

Theo thống kê của Cục Sở hữu trí tuệ, trong năm 2013 cả vùng có 1.837 đơn đăng ký. Chia theo một số địa phương:
- Cần Thơ: 288 đơn, 200 văn bằng;
- Hậu Giang: 95 đơn, 61 văn bằng.

Năm 2014, tọa đàm đề xuất các tỉnh tăng số đơn đăng ký nhãn hiệu tập thể cho đặc sản địa phương.
"""


def test_a_list_item_speaks_of_the_year_its_lead_names(tmp_path):
    """ "Cần Thơ: 288 đơn, 200 văn bằng" names no year; its lead says 2013: it answers 2013, not 2014."""
    _, readings = readings_over(tmp_path, YEARLY_FIGURES_PAGE, "năm 2014 cần thơ được cấp bao nhiêu văn bằng")
    item = next(r for r in readings if "Cần Thơ: 288" in r.sentence.text)
    assert item.features["qualifier_conflict"] == 1.0
    (tmp_path / "again").mkdir()
    _, readings = readings_over(tmp_path / "again", YEARLY_FIGURES_PAGE, "năm 2013 cần thơ được cấp bao nhiêu văn bằng")
    item = next(r for r in readings if "Cần Thơ: 288" in r.sentence.text)
    assert item.features["qualifier_conflict"] == 0.0


@pytest.mark.parametrize("question", ["hội nghị giao ban khcn quận huyện lần 12 tổ chức ngày nào",
                                      "ai là phó giám đốc sở chủ trì hội nghị giao ban lần 13",
                                      "hội nghị giao ban khcn quận huyện lần 13 ở Sóc Trăng tổ chức ngày nào"])
def test_an_answer_never_disagrees_with_the_question_s_edition_rank_or_province(engine, question):
    match = engine.match(question)
    assert not (match.answered and "Trần Ngọc Nguyên" in match.text) and not (
        match.answered and "31/10/2017" in match.text)


@pytest.mark.parametrize("question", ["Mạng E.Mekong là gì?", "Trung tâm mang tên hiện nay từ ngày nào?",
                                      "ai làm ra chương trình hỗ trợ doanh nghiệp",
                                      "Techmart là chợ gì vậy ad?", "hội thảo có ai tham dự không",
                                      "ad ơi địa chỉ sở ở đâu", "ad ơi cho hỏi giá vàng hôm nay"])
def test_words_shared_with_small_talk_do_not_make_a_question_small_talk(engine, question):
    assert engine.match(question).kind != "smalltalk"


@pytest.mark.parametrize("question, reply, contradicted", [
    ("năm 2019 hỗ trợ bao nhiêu học viên ở huyện Cờ Đỏ", "Năm 2019, chương trình hỗ trợ 289 đại biểu trên địa bàn "
     "huyện Phong Điền.", True),  # another place of the kind asked
    ("năm 2019 hỗ trợ bao nhiêu học viên ở huyện Cờ Đỏ", "Năm 2019, chương trình hỗ trợ 170 học viên trên địa bàn "
     "huyện Cờ Đỏ, gần huyện Phong Điền.", False),  # the place asked is named
    ("nam 2011 ho tro bao nhieu mo hinh o quan o mon", "Năm 2020, chương trình hỗ trợ 316 mô hình trên địa bàn "
     "quận Ô Môn.", True),  # another year
    ("ai chu tri dien dan ve an toan buc xa y te nam 2014", "Ngày 11/4/2014, ông Trần Quốc Thảo chủ trì diễn đàn "
     "về an toàn bức xạ y tế.", False),  # "xạ y tế" names no commune
    ("ai là giám đốc sở năm 2017", "Phó Giám đốc Sở Trần Văn A phát biểu năm 2017.", True),  # another rank
    ("năm 2022 giám đốc sở khcn tp cần thơ là ai", "Ông Trần Văn A, Phó Giám đốc Sở KH&CN TP. Cần Thơ, phát "
     "biểu năm 2022.", True),  # "thành phố" says no "phó"
    ("phó giám đốc sở khcn tp cần thơ năm 2022 là ai", "Ông Trần Văn A, Phó Giám đốc Sở KH&CN TP. Cần Thơ, phát "
     "biểu năm 2022.", False),
    ("Long An năm 2013 được cấp bao nhiêu văn bằng", "- An Giang: 230 đơn, 114 văn bằng;", True),  # another province
    ("Long An năm 2013 được cấp bao nhiêu văn bằng", "- Long An: 465 đơn, 304 văn bằng;", False),
    ("Long An năm 2013 được cấp bao nhiêu văn bằng", "Cần Thơ và Long An có 700 văn bằng.", False),  # names it too
    ("Long An năm 2013 được cấp bao nhiêu văn bằng", "Năm 2013 cả vùng ĐBSCL được cấp 1.204 văn bằng.",
     True),  # the whole region's figure, not the province's
    ("Long An năm 2013 được cấp bao nhiêu văn bằng", "Long An dẫn đầu cả nước với 304 văn bằng.", False),
    ("ai chủ nhiệm dự án trồng nấm ở hậu giang", "Trường Đại học Cần Thơ chủ trì, ông Lê Văn A làm chủ nhiệm.",
     False),  # the home city names many bodies: no other province
    ("năm 2013 long an có bao nhiêu đơn", "Hai phòng chuyên môn nhận 465 đơn.", False),  # "hai phòng", no province
    ("lễ ký kết hôm 17-5 nhằm chào mừng ngày gì", "Lễ ký kết chào mừng Ngày Khoa học và Công nghệ 18/5.",
     False),  # another day may be the one asked for
    ("năm 2013 có mấy mẫu xăng không đạt", "02 mẫu xăng không đạt theo QCVN 01:2009/BKHCN và Thông tư số "
     "14/2012/TT-BKHCN ngày 12/7/2012.", False),  # the years of documents' codes and dates
    ("năm 2013 có mấy mẫu xăng không đạt", "Năm 2012 có 02 mẫu xăng không đạt.", True),
    ("so với năm 2021 thì năm 2022 cần thơ tăng mấy bậc", "Cần Thơ xếp thứ 5/63, tăng 10 bậc so với năm 2021.",
     False),  # one of the two years compared
    ("so với năm 2021 thì năm 2022 cần thơ tăng mấy bậc", "Năm 2020 Cần Thơ tăng 3 bậc.", True),
    ("techfest ai phat bieu khai mac", "Phát biểu bế mạc, Giám đốc Sở Ngô Anh Tín cảm ơn các đơn vị.",
     True),  # the closing speech for the opening one
    ("ai phát biểu khai mạc hội thảo", "Ông Ngô Anh Tín phát biểu khai mạc; ông Trần Văn A phát biểu bế mạc.",
     False),  # names the one asked too
    ("giải nhì hội thi được bao nhiêu tiền", "Giải nhất 15 triệu đồng.", True),
    ("giải nhì hội thi được bao nhiêu tiền", "Giải nhất 15 triệu đồng; giải nhì 10 triệu đồng.", False),
    ("giải khuyến khích được bao nhiêu tiền", "Giải nhất 15 triệu đồng; giải nhì 10 triệu đồng; và các giải khuyến "
     "khích.", True),  # named among others, but without an amount of its own
    ("có mấy giải khuyến khích", "Trao 6 giải Ba và 23 giải Khuyến khích.", False),
    ("Techmart 2008 ký được bao nhiêu tỉ", "Hai năm trước, chợ ở An Giang ký các hợp đồng trị giá 70 tỉ đồng.",
     True),  # of an earlier year than its page's
    ("Techmart 2008 ký được bao nhiêu tỉ", "Chợ ký các hợp đồng trị giá 90 tỉ đồng, gấp đôi năm trước.", False),
    ("Techmart bắt đầu và kết thúc ngày nào", "Techmart bế mạc ngày 30/11/2008.", False),  # both asked
])
def test_a_reply_that_speaks_of_other_qualifiers_than_the_question_contradicts_it(engine, question, reply,
                                                                                contradicted):
    assert contradicts(engine, question, reply) is contradicted


@pytest.mark.parametrize("reply, answers", [
    ("Năm 2014, chương trình hỗ trợ 45 đại biểu, kinh phí 32 tỷ đồng; 6 nhiệm vụ được triển khai. Giao ban đầu "
     "năm 2022.", False),  # the figures are 2014's; the sentence naming 2022 holds none
    ("Năm 2014, chương trình hỗ trợ 45 đại biểu. Năm 2022, chương trình tiếp tục triển khai.", False),
    ("Năm 2022, chương trình hỗ trợ 379 sản phẩm. Năm 2014, chương trình hỗ trợ 45 đại biểu.", True),  # the first
    ("Năm 2022, chương trình hỗ trợ 379 sản phẩm trên địa bàn. Kinh phí do thành phố cấp.", True),
])
def test_a_reply_answers_only_from_a_sentence_that_holds_what_is_asked_and_agrees(engine, reply, answers):
    question = "năm 2022 chương trình hỗ trợ bao nhiêu sản phẩm"
    assert engine.answers_in_agreement(question, reply) is answers


def test_an_answer_is_a_sentence_of_the_page_with_its_dated_source(engine):
    match = engine.match("giao ban khcn quan huyen lan 13 to chuc ngay nao")
    assert match.answered and match.kind == "article"
    assert "31/10/2017" in match.text and len(match.text) < 600
    assert match.source["date"] == "2017-11-02"


@pytest.mark.parametrize("question", ["giá vàng hôm nay bao nhiêu", "kết quả xổ số miền nam",
                                      "hội nghị giao ban lần 14 tổ chức ngày nào"])
def test_what_the_pages_do_not_hold_is_refused(engine, question):
    assert not engine.match(question).answered


def test_faq_answers_the_same_question_typed_with_or_without_accents(kb_of):
    kb = kb_of()
    kb.add_faq("Sở làm việc mấy giờ?", [], "Từ 7 giờ đến 17 giờ, thứ Hai đến thứ Sáu.")
    kb.add_faq("gio tiep cong dan cua so", [], "Sáng thứ Năm hằng tuần.")
    engine = AnswerEngine(kb)
    assert engine.match("so lam viec may gio").kind == "faq"
    assert engine.match("giờ tiếp công dân của sở").text == "Sáng thứ Năm hằng tuần."


def test_a_follow_up_is_read_with_the_previous_topic(sample_kb):
    conversation = Conversation(sample_kb, ConversationConfig(answer_engine="fitted", rate_limit_messages=100))

    def say(text):
        return conversation.respond(IncomingMessage("web", "chat-1", "user-1", text), log_query=False)[0]

    first = say("email phòng kinh tế quận ô môn")
    assert first.kind == "contact" and "kinhte_omon@cantho.gov.vn" in first.text
    follow_up = say("còn số điện thoại thì sao?")
    assert follow_up.kind == "contact" and "861927" in follow_up.text.replace(" ", "")


def test_a_list_item_belongs_to_the_line_leading_into_it():
    passages = [(1, "Theo thống kê, năm 2013 cả vùng có 1.837 đơn. Chia theo địa phương:"), (2, "- Long An: 465 đơn;"),
                (3, "- Đồng Tháp: 182 đơn."), (4, "Đoạn sau không thuộc danh sách."), (5, "Căn cứ:"),
                (6, "Nghị định số 08/2014/NĐ-CP;"), (7, "Thông tư số 07/2014/TT-BKHCN.")]
    assert list_leads(passages) == {2: 1, 3: 1, 6: 5, 7: 5}


def test_an_item_of_a_list_is_answered_with_its_lead_in(tmp_path, kb_of):
    write(tmp_path, "thong-ke.txt", "Thống kê đơn đăng ký nhãn hiệu vùng đồng bằng\n\n[05/02/2014 08:00]\n\n"
          "Theo thống kê của Cục Sở hữu trí tuệ, trong năm 2013 cả vùng có 1.837 đơn đăng ký nhãn hiệu. "
          "Chia theo một số địa phương:\n\n- Long An: 465 đơn;\n\n- Hậu Giang: 288 đơn;\n\n- Đồng Tháp: 182 đơn.\n")
    kb = kb_of(tmp_path / "thong-ke.txt")
    _, readings = AnswerEngine(kb).readings("năm 2013 đồng tháp có bao nhiêu đơn đăng ký nhãn hiệu")
    best = readings[0]
    assert "182 đơn" in best.window and "Chia theo một số địa phương" in best.window
    assert best.features["near"] > 0.9  # the item's own words, with its lead-in's, hold the question


def test_the_lines_of_a_fact_sheet_are_about_the_passage_before_them():
    passages = [(1, "Sở tổ chức Hội thảo khoa học về sở hữu trí tuệ."), (2, "Thời gian: sáng ngày 25/4/2024"),
                (3, "Địa điểm: khách sạn Ninh Kiều 2"), (4, "Đoạn sau không thuộc tờ thông tin."),
                (5, "Nguồn: Báo Cần Thơ")]
    assert sheet_topics(passages) == {2: 1, 3: 1}  # a lone labelled line ("Nguồn: …") is no sheet


def test_a_line_of_a_fact_sheet_is_read_with_what_the_sheet_is_about(tmp_path):
    _, readings = readings_over(
        tmp_path, "Nền tảng thúc đẩy đổi mới sáng tạo\n\n[25/04/2024 08:41]\n\n"
        "Chào mừng Ngày Sở hữu trí tuệ thế giới, Sở tổ chức Hội thảo khoa học về sở hữu trí tuệ.\n\n"
        "Thời gian: sáng ngày 25/4/2024\n\nĐịa điểm: khách sạn Ninh Kiều 2, phường Tân An\n\n"
        "Đơn vị tổ chức: Sở Khoa học và Công nghệ\n\n"
        "Trước đó, Sở đã tổ chức nhiều hội nghị về đổi mới sáng tạo tại Hội trường thành phố.\n",
        "hội thảo sở hữu trí tuệ tổ chức ở đâu")
    sheet_line = next(r for r in readings if r.sentence.text.startswith("Địa điểm"))
    assert sheet_line.features["near"] > 0.9


def test_a_passage_belongs_to_the_heading_of_its_section():
    passages = [(1, "Dự án VnSAT được triển khai ở nhiều tỉnh."), (2, "2. Thành phố Cần Thơ"),
                (3, "Dự án có 16 hợp tác xã tham gia."), (4, "Ngày ký: 29/10/2019"), (5, "3. Tỉnh Hậu Giang"),
                (6, "Dự án được triển khai ở 4 huyện."), (7, "Xếp hạng các tỉnh như sau."), (8, "1. Đà Nẵng"),
                (9, "2. Hà Nội"), (10, "Các tỉnh còn lại xếp sau.")]
    # a labelled line ("Ngày ký: …") heads nothing; short numbered lines one after another are a list
    assert section_headings(passages) == {3: 2, 4: 2, 6: 5, 7: 5, 8: 5, 9: 5, 10: 5}


def test_a_sentence_is_read_with_the_heading_of_its_section(tmp_path):
    _, readings = readings_over(
        tmp_path, "Dự án VnSAT ở đồng bằng sông Cửu Long\n\n[25/04/2024 08:41]\n\n"
        "Dự án VnSAT được triển khai ở tám tỉnh, thành vùng đồng bằng sông Cửu Long.\n\n"
        "1. Thành phố Cần Thơ\n\nDự án khởi động vào tháng 3.\n\nNông dân được tập huấn kỹ thuật.\n\n"
        "Có 16 hợp tác xã tham gia dự án trong hai năm đầu.\n\n"
        "2. Tỉnh Hậu Giang\n\nDự án khởi động vào tháng 2.\n\nNông dân được tập huấn kỹ thuật.\n\n"
        "Có 9 hợp tác xã tham gia dự án trong hai năm đầu.\n",
        "vnsat hậu giang có bao nhiêu hợp tác xã tham gia")
    best, other = readings[0], next(r for r in readings if r.sentence.text.startswith("Có 16"))
    assert best.sentence.text.startswith("Có 9 hợp tác xã") and best.probability > other.probability


def test_a_decade_is_a_time_the_question_when_is_answered_with(tmp_path, kb_of):
    write(tmp_path, "lich-su.txt", "Lịch sử Trung tâm Thông tin\n\n[05/02/2014 08:00]\n\n"
          "Trung tâm được hình thành từ giữa thập niên 80 với tên gọi ban đầu là Trung tâm Đào tạo. "
          "Năm 2001, đơn vị mang tên Trung tâm Thông tin Khoa học Cần Thơ. "
          "Năm 2002 đơn vị mang tên Trung tâm Thông tin Tư liệu.\n")
    kb = kb_of(tmp_path / "lich-su.txt")
    _, readings = AnswerEngine(kb).readings("trung tâm thông tin hình thành từ khi nào")
    assert readings[0].sentence.text.startswith("Trung tâm được hình thành từ giữa thập niên 80")
    assert readings[0].features["slot"] == 1.0


def _long_report(tmp_path, kb_of, last_check: str) -> KnowledgeBase:
    """A page of one long sentence listing checks and their figures, ``last_check`` at its end."""
    checks = "; ".join(f"kiểm tra đo lường và chất lượng {thing} tại {n} cơ sở" for thing, n in
                       [("vàng", 28), ("xăng dầu", 32), ("phân bón", 17), ("mũ bảo hiểm", 9), ("đồ chơi trẻ em", 21),
                        ("thực phẩm đóng gói", 14), ("điện tử", 11)])
    write(tmp_path, "kiem-tra.txt", "Kết quả kiểm tra năm 2017\n\n[05/02/2018 08:00]\n\n"
          f"Năm 2017, các quận, huyện đã phối hợp với các đơn vị chuyên môn trực thuộc Sở triển khai {checks}, "
          f"{last_check}.\n")
    return kb_of(tmp_path / "kiem-tra.txt")


def test_a_long_sentence_is_cut_to_the_clauses_that_hold_the_question(tmp_path, kb_of):
    kb = _long_report(tmp_path, kb_of, "kiểm tra chất lượng nhãn hàng hóa sản phẩm thép lưu thông trên thị trường tại 12 cơ sở")
    question, readings = AnswerEngine(kb).readings("kiểm tra nhãn hàng hóa thép năm 2017 ở mấy cơ sở")
    _, text = reply_of(readings, Focus(question))
    assert len(readings[0].window) > MAX_SPAN_CHARS
    assert "thép lưu thông trên thị trường tại 12 cơ sở" in text and text.startswith("… ")
    assert len(text) <= MAX_SPAN_CHARS + 4


def test_a_long_reply_is_cut_where_the_question_s_words_are_as_the_normaliser_reads_them(tmp_path, kb_of):
    """The clause says "HTX", the citizen "hợp tác xã": both are read by the one normaliser."""
    kb = _long_report(tmp_path, kb_of, "kiểm tra các HTX tại 12 cơ sở")
    question, readings = AnswerEngine(kb).readings("kiểm tra hợp tác xã năm 2017 ở mấy cơ sở")
    _, text = reply_of(readings, Focus(question))
    assert len(readings[0].window) > MAX_SPAN_CHARS
    assert "kiểm tra các HTX tại 12 cơ sở" in text


def test_a_long_reply_keeps_the_clause_naming_who_was_asked_for(tmp_path, kb_of):
    """"Theo ông Vũ Anh Tuấn, Phó Cục trưởng …": the name's clause holds none of the question's words, yet it is
    the answer to "phó cục trưởng tên gì"."""
    write(tmp_path, "hoi-thao.txt", "Hội thảo nguồn tin khoa học\n\n[25/12/2024 08:00]\n\n"
          "Theo ông Vũ Anh Tuấn, Phó Cục trưởng Cục Thông tin Khoa học và Công nghệ Quốc gia, với sự đồng hành "
          "của các tổ chức thông tin, thư viện, trường đại học, viện nghiên cứu và doanh nghiệp trong cả nước, hệ "
          "sinh thái số về nguồn tin khoa học, công nghệ và đổi mới sáng tạo đã từng bước hình thành, kết nối hàng "
          "trăm cơ sở dữ liệu, phục vụ hàng triệu lượt tra cứu mỗi năm, góp phần đưa tri thức khoa học đến gần hơn "
          "với người dân, doanh nghiệp và các nhà quản lý ở các địa phương trên cả nước.\n")
    question, readings = AnswerEngine(kb_of(tmp_path / "hoi-thao.txt")).readings(
        "phó cục trưởng cục thông tin kh&cn quốc gia tên gì")
    _, text = reply_of(readings, Focus(question))
    assert len(readings[0].window) > MAX_SPAN_CHARS and "Vũ Anh Tuấn" in text


def test_a_clause_ending_in_a_semicolon_is_shown_with_the_clause_that_finishes_its_sentence(engine):
    """The sentence splitter ends a piece at ";": "kiểm tra 180 cột … của 35 cơ sở;" is read alone, but shown
    alone it stops before "02 cơ sở không phù hợp", the figure asked for."""
    question, readings = engine.readings("kiem tra xang dau dot 2 nam 2013 co bao nhieu co so vi pham")
    assert any(r.sentence.text.endswith("của 35 cơ sở;") for r in readings[:2])
    _, text = reply_of(readings, Focus(question))
    assert "35 cơ sở; 09 cột đo của 02 cơ sở không phù hợp" in text
    assert text.count("35 cơ sở;") == 1


def test_an_organisation_answers_who_but_never_who_holds_a_role(tmp_path, kb_of):
    write(tmp_path, "trung-tam.txt", "Giới thiệu Trung tâm Thông tin\n\n[05/02/2014 08:00]\n\n"
          "Trung tâm Thông tin được thành lập năm 1990, trực thuộc Sở Khoa học và Công nghệ.\n")
    kb = kb_of(tmp_path / "trung-tam.txt")
    engine = AnswerEngine(kb)
    for question, filled in [("trung tâm thông tin trực thuộc ai", 1.0), ("giám đốc trung tâm thông tin là ai", 0.0)]:
        _, readings = engine.readings(question)
        assert readings[0].features["slot_weak"] == filled, question


def test_another_count_of_the_same_thing_conflicts(engine):
    question = read(engine, "có bao nhiêu sản phẩm đạt 5 sao")
    assert question.measures == {("5", "sao")}
    assert read(engine, "8 năm qua có bao nhiêu đề tài").measures == set()  # a span of time, not a count
    assert read(engine, "hạn nộp hồ sơ lần thứ 8 tính theo dấu gì").measures == set()  # an edition's number


def test_who_asked_with_a_role_wants_a_person_beside_that_role(engine):
    _, readings = engine.readings("giám đốc sở khcn cần thơ là ai")
    named = [r for r in readings if r.features["role_filled"]]
    assert named and all("Giám đốc" in r.sentence.text or "giám đốc" in r.sentence.text for r in named)
    assert not any(r.features["role_filled"] for r in engine.readings("sở khcn tổ chức hội nghị gì")[1])


def test_the_head_of_a_team_or_a_bloc_is_a_role(tmp_path):
    """"trưởng nhóm", "khối trưởng": the head of any unit is a role, whose holder is named beside it."""
    _, readings = readings_over(
        tmp_path, "Hội nghị giao ban Khối Ứng dụng tiến bộ KH&CN\n\n[19/01/2022 08:00]\n\n"
        "Chiều 19/01/2022, Hội nghị giao ban năm 2022 của Khối Ứng dụng tiến bộ KH&CN được tổ chức tại Cần Thơ.\n\n"
        "Dự hội nghị có ông Trương Hoàng Phương, Khối trưởng, Phó Giám đốc Sở KH&CN TP. Cần Thơ.\n",
        "khoi truong khoi ung dung tien bo khcn nam 2022 la ai")
    assert readings[0].sentence.text.startswith("Dự hội nghị có ông Trương Hoàng Phương")
    assert readings[0].features["role_filled"] == 1.0


# ----- the fitted decision -------------------------------------------------------------------
def _keeps_direction(step: Step, sign: int) -> bool:
    return all((b - a) * sign >= 0 for a, b in zip(step.values, step.values[1:]))


def test_the_fitted_models_keep_each_feature_to_its_direction():
    model = load_model()
    assert all(model.ranker.weights[f] * sign >= 0 for f, sign in FEATURE_SIGNS.items())
    assert all(_keeps_direction(step, DECISION_SIGNS.get(f, 0)) for f, step in model.decider.steps.items())


def test_a_decider_step_counts_a_value_at_its_threshold_as_below_it():
    step = Step((0.5, 2.0), (-1.0, 0.25, 1.0))
    assert [step(v) for v in (-3.0, 0.5, 0.51, 2.0, 9.0)] == [-1.0, -1.0, 0.25, 0.25, 1.0]
    decider = Additive({"margin": step}, bias=0.0)
    assert decider.probability({"margin": 9.0}) > decider.probability({}) > decider.probability({"margin": 0.1}) - 1e-12


def test_the_decider_is_fitted_as_steps_that_only_rise_with_evidence_and_reproduce_the_boosted_trees():
    """A margin counts only past some size (a straight line cannot say so); a feature that may only lower the
    probability never raises it, whatever the rows say."""
    pytest.importorskip("sklearn", reason="make calibrate's requirements (requirements-calibrate.txt)")
    import numpy as np
    from knowledge.answer.calibrate import _fit_additive
    rng = np.random.default_rng(3)
    margin, conflict = rng.uniform(0, 1, 600), rng.integers(0, 2, 600).astype(float)
    right = (margin > 0.6) | (conflict * rng.uniform(0, 1, 600) > 0.7)  # rows where a conflict seems to help
    decider = _fit_additive(np.column_stack([margin, conflict]), right.astype(int), np.ones(600),
                            ("margin", "conflict"), {"margin": 1, "conflict": -1})
    assert _keeps_direction(decider.steps["margin"], 1)
    assert "conflict" not in decider.steps or _keeps_direction(decider.steps["conflict"], -1)
    low, high = (decider.probability({"margin": m, "conflict": 0.0}) for m in (0.5, 0.7))
    assert low < 0.3 < 0.7 < high  # a step at 0.6, not a slope


def test_calibration_finds_the_projects_own_sets_from_the_project_root_and_never_a_held_out_one(tmp_path):
    own = [path for questions, pages in labelled_sets(PROJECT_ROOT, tmp_path / "shared")
           for path in (questions, *pages) if tmp_path not in path.parents]
    assert own and all(path.exists() for path in own)
    assert not [path for path in own if path.name.startswith("unseen-") or path.parent.name.startswith("unseen-")]


def test_calibration_scores_a_question_about_a_page_by_what_the_reply_says_first(tmp_path, kb_of):
    from knowledge.answer.calibrate import ask, outcomes
    write(tmp_path, "techmart.txt", "Techmart Cần Thơ 2008\n\n[29/10/2008 08:00]\n\n"
          "Techmart Cần Thơ 2008 sẽ diễn ra tại Nhà thi đấu đa năng. Có 250 gian hàng tham gia.\n")
    kb = kb_of(tmp_path / "techmart.txt")
    asked = ask(AnswerEngine(kb), "bài về techmart cần thơ 2008 đăng ngày nào", ["29/10/2008"], "techmart", True)
    assert asked.correct and all(asked.correct)  # the page's date, which the reply says first, is the answer
    [(_, right, must_answer)] = outcomes([asked], load_model())
    assert right and must_answer


def test_the_committed_weights_cover_every_feature_and_an_operating_point():
    model = load_model()
    assert set(model.ranker.weights) == set(FEATURES)
    assert model.decider.steps and set(model.decider.steps) <= set(DECISION_FEATURES)
    assert 0.0 < model.operating_point < 1.0


def test_sentences_split_at_their_ends_not_inside_names_or_abbreviations():
    text = ("Ngày 01/04/1994, đơn vị đổi tên thành Trung tâm Thông tin Khoa học – Công nghệ. "
            "TP. Cần Thơ có 9 quận, huyện. Ông Trần Văn A chủ trì.")
    assert split_sentences(text) == ["Ngày 01/04/1994, đơn vị đổi tên thành Trung tâm Thông tin Khoa học – Công nghệ.",
                                     "TP. Cần Thơ có 9 quận, huyện.", "Ông Trần Văn A chủ trì."]
    english = "Attending were Assoc. Prof. Dr. Van Pham Dang Tri and Prof. Le Van Hien. They met on 5 November."
    assert split_sentences(english) == ["Attending were Assoc. Prof. Dr. Van Pham Dang Tri and Prof. Le Van Hien.",
                                        "They met on 5 November."]


def test_an_unknown_engine_in_the_settings_is_refused_with_its_name():
    from bot.settings import SettingsError, load_settings
    with pytest.raises(SettingsError, match="answer_engine"):
        load_settings(environ={"ANSWER_ENGINE": "magic"}).conversation()


@pytest.mark.parametrize("typed, word, other", [
    ("hội thảo diễn ra ở đâu", "dien", ("to", "chuc")),
    ("lớp học online hay học trực tiếp", "online", ("truc", "tuyen")),  # how citizens say "trực tuyến"
    ("kiểm định cân free cho tiểu thương", "free", ("mien", "phi")),
    ("website của sở là gì", "website", ("trang", "web")),
    ("techfest có bao nhiêu sản phẩm trưng bày", "trung", ("trien", "lam")),
    ("thủ tục mới lược bớt những gì", "luoc", ("cat", "giam")),
    ("thanh tra giải quyết mấy đơn tố cáo", "giai", ("xu", "ly")),  # "nhận và xử lý xong 02 đơn tố cáo"
    ("cửa hàng đang xài mấy cột đo xăng", "xai", ("su", "dung")),  # the South's "xài"
    ("trung tâm ngày xưa thuộc cơ quan nào", "xua", ("ban", "dau")),  # "tên gọi ban đầu là …"
])
def test_a_question_word_is_found_through_its_synonym(engine, typed, word, other):
    term = next(t for t in read(engine, typed).terms if t.token.folded == word)
    assert other in term.alternates


def test_a_word_the_pages_write_only_as_its_synonym_is_no_unknown_word(engine):
    """"founded": the sample writes "set up"; the word counted as one the knowledge base lacks, the strongest sign
    of a question about something else."""
    _, readings = engine.readings("when was the department founded")
    assert "set up on 3 February 1979" in readings[0].sentence.text and readings[0].features["unknown"] == 0
    _, readings = engine.readings("when was the department abolished")
    assert readings[0].features["unknown"] > 0


def test_staff_synonyms_apply_at_once_and_old_databases_get_the_defaults(tmp_path):
    from bot.cli import main

    db = str(tmp_path / "kb.sqlite")
    kb = KnowledgeBase.open(db)
    with kb.transaction():
        kb.conn.execute("DROP TABLE synonyms")
        kb.set_meta("schema_version", "2")
    kb.close()
    kb = KnowledgeBase.open(db)  # migrated: the default groups are there
    assert ["thành lập", "ra đời", "hình thành"] in [phrases for _, phrases in kb.synonyms()]
    engine = AnswerEngine(kb)
    assert not read(engine, "nghiệm thu dự án").terms[0].alternates
    assert main(["kb", "synonyms", "add", "nghiệm thu | đánh giá kết quả", "--db", db]) == 0
    assert read(engine, "nghiệm thu dự án").terms[0].alternates == (("danh", "gia", "ket", "qua"),)
    assert main(["kb", "synonyms", "add", "một cụm", "--db", db]) == 2
    kb.close()


@pytest.mark.parametrize("typed, meant", [
    ("Số điện thại của Sở", "so dien thoai cua so"),  # a tone on the wrong letters: another real syllable
    ("so dien toai cua so", "so dien thoai cua so"),
    ("dia chi lin he", "dia chi lien he"),
    ("sdt so khnc", "so dien thoai so khoa hoc va cong nghe"),  # a typo in an abbreviation
])
def test_typos_are_corrected_by_the_word_they_make_with_their_neighbour(engine, typed, meant):
    assert read(engine, typed).folded == meant


@pytest.mark.parametrize("typed, word, meant", [
    ("Quán phở nào ngon ở Ninh Kiều?", 3, "ngon"),  # a word by itself, typed with its accents
    ("NSSC là viết tắt của trung tâm nào", 2, "viet"),
    ("email để gửi hồ sơ là gì", 2, "gui"),
    ("Gim đốc Sở năm 2017 là ai?", 0, "giam"),  # a syllable found only inside words: "giám đốc"
])
def test_among_accented_words_a_real_word_stays_as_typed(engine, typed, word, meant):
    assert read(engine, typed).tokens[word].folded == meant


def test_a_word_typed_with_its_accents_is_not_found_in_another_word_with_the_same_letters(engine):
    from knowledge.answer.reading import held
    terms = {t.token.folded: t for t in read(engine, "quán phở ngon, sở khoa hoc").terms}
    page = (frozenset({"quan", "pho", "so", "khoa", "hoc"}),
            frozenset({exact_key(w) for w in ("quận", "phố", "sở", "khoa", "học")}))
    assert held([terms["quan"].probe, terms["pho"].probe], *page) == [0.0, 0.0]  # quận, phố: other words
    assert held([terms["so"].probe, terms["hoc"].probe], *page) == [1.0, 1.0]  # as typed / typed bare


@pytest.mark.parametrize("typed, kept", [("hoi nghi to chuc o can tho", ["to", "chuc", "can", "tho"]),
                                         ("an toan buc xa", ["an", "toan"]),
                                         ("kiem tra chat luong vang", ["vang"]),  # vàng, not vâng
                                         ("boi duong can bo o ha noi", ["boi", "duong", "ha", "noi"])])
def test_words_typed_without_accents_are_not_taken_for_stop_words_they_resemble(engine, typed, kept):
    words = read(engine, typed).content_folded
    assert all(word in words for word in kept)


def test_toi_is_a_word_of_grammar_as_den_is(engine):
    for typed in ("số liệu thu thập từ khi nào tới khi nào", "số liệu thu thập từ khi nào đến khi nào"):
        assert read(engine, typed).content_folded == ["so", "lieu", "thu", "thap"]


def test_a_bare_question_word_inside_a_word_of_the_pages_is_that_word(engine):
    question = read(engine, "kiem tra xang dau nam 2013 lay bao nhieu mau")
    assert "dau" in question.content_folded and "where" not in question.types  # "xăng dầu", not "đâu"
    assert "where" in read(engine, "so khcn o dau").types


def test_english_stop_words_are_dropped_from_english_questions(engine):
    assert read(engine, "who is the director of the department").content_folded == ["director", "department"]
    # the function words of English, as the Vietnamese list has "sẽ", "đã", pronouns and "về"
    assert read(engine, "where will their training be held and has it any fee").content_folded == [
        "training", "held", "fee"]
    # and its prepositions
    assert read(engine, "was there time for discussion during the training").content_folded == [
        "time", "discussion", "training"]


def test_a_named_district_is_a_place_the_answer_must_agree_with(engine):
    assert read(engine, "Sở làm việc với UBND huyện Cờ Đỏ ngày nào?").places == {"huyen co do"}
    assert read(engine, "các đề tài ở quận huyện tập trung vào lĩnh vực gì").places == set()
    _, readings = engine.readings("hội nghị giao ban khcn quận huyện ở huyện Vĩnh Thạnh ngày nào")
    assert readings and not any(agrees(r) for r in readings)  # no page names huyện Vĩnh Thạnh


def test_a_deputy_is_not_the_head_in_english_either(engine):
    _, readings = engine.readings("who is the director of the department")
    deputies = [r for r in readings if "Deputy Director" in r.sentence.text]
    assert deputies and all(r.features["role_conflict"] == 1.0 and not agrees(r) for r in deputies)


def test_a_page_saying_the_asked_event_another_way_is_still_a_candidate(kb_of):
    """Ten pages hold the three rarest words as typed ("lần 13", "cấp", "diễn ra"); the one that answers says
    "tổ chức" (the synonym table: tổ chức ≈ diễn ra). The search requires the words as typed only
    after the ones nobody says another way, so the answering page is read."""
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    pages = {"giao-ban.txt": "Tiêu đề: Giao ban cấp quận huyện lần XIII\nNgày đăng: 02/11/2017\n\nHội nghị giao ban "
                             "KH&CN cấp quận huyện lần thứ 13 được tổ chức ngày 31/10/2017 tại quận Cái Răng.\n"}
    for i in range(10):
        pages[f"hoi-thao-{i}.txt"] = (f"Tiêu đề: Hội thảo nông nghiệp số {i}\nNgày đăng: 0{i % 9 + 1}/03/2020\n\n"
                                      f"Hội thảo cấp thành phố lần 13 diễn ra sôi nổi với {100 + i} đại biểu.\n")
    for i in range(15):  # the question's other words are common: the three rarest are "diễn", "cấp", "13"
        pages[f"tin-{i}.txt"] = (f"Tiêu đề: Tin quận huyện số {i}\nNgày đăng: 0{i % 9 + 1}/05/2021\n\n"
                                 f"Hội nghị giao ban các quận huyện tháng {i % 12 + 1} bàn việc chuyển đổi số.\n")
    for name, text in pages.items():
        assert import_bytes(kb, f"upload:{name}", name, text.encode()).status == "added"
    _, readings = AnswerEngine(kb).readings("Hội nghị giao ban cấp quận huyện lần XIII diễn ra ngày nào?")
    assert any("31/10/2017" in r.sentence.text for r in readings)


def test_a_sentence_going_on_from_the_one_before_is_read_and_shown_with_it(kb_of):
    """"Trong đó 1.550 giải pháp đạt giải cấp tỉnh" is about the contest the sentence before names."""
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    page = ("Tiêu đề: Hội thảo đánh giá 10 năm hội thi sáng tạo kỹ thuật\nNgày đăng: 03/11/2022\n\n"
            "Một số con số được nêu tại hội thảo: Hội thi sáng tạo kỹ thuật của các tỉnh ĐBSCL, qua hơn 10 năm, "
            "đã có 5.049 giải pháp dự thi. Trong đó 1.550 giải pháp đạt giải cấp tỉnh, thành phố; 52 giải pháp "
            "đạt giải toàn quốc.\n")
    assert import_bytes(kb, "upload:hoi-thao.txt", "hoi-thao.txt", page.encode()).status == "added"
    question, readings = AnswerEngine(kb).readings("hội thi sáng tạo kỹ thuật các tỉnh ĐBSCL có bao nhiêu giải pháp "
                                                   "đạt giải cấp tỉnh")
    best, text = reply_of(readings, Focus(question))
    assert best.sentence.text.startswith("Trong đó 1.550")
    assert text.startswith("Một số con số") and "1.550 giải pháp đạt giải cấp tỉnh" in text


@pytest.mark.parametrize("question", ["ông Trần Văn An giữ chức vụ gì", "ong tran van an giu chuc gi",
                                      "What is Tran Van An's position?"])
def test_asking_a_persons_position_wants_a_role_in_the_answer(question, kb_of):
    """"giữ chức vụ gì" is answered by a sentence naming a role ("Phó Chủ tịch UBND"), never one that names none."""
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    page = ("Tiêu đề: Họp hội đồng khoa học tỉnh\nNgày đăng: 03/11/2022\n\nÔng Trần Văn An đến dự cuộc họp từ sớm. "
            "Cuộc họp do ông Trần Văn An, Phó Chủ tịch UBND tỉnh, chủ trì.\n")
    assert import_bytes(kb, "upload:hop.txt", "hop.txt", page.encode()).status == "added"
    read_question, readings = AnswerEngine(kb).readings(question)
    assert "role" in read_question.types
    slots = {r.sentence.text[:12]: r.features["slot"] for r in readings}
    assert slots == {"Ông Trần Văn": 0.0, "Cuộc họp do ": 1.0}


@pytest.mark.parametrize("question", ["giao ban tổ chức sáng hay chiều", "giao ban to chuc sang hay chieu"])
def test_either_word_of_a_choice_answers_it(question, kb_of):
    """"sáng hay chiều": the answer names one of the two, and is not short of the other."""
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    page = "Tiêu đề: Hội nghị giao ban\nNgày đăng: 20/01/2022\n\nChiều 19/01/2022, hội nghị giao ban được tổ chức tại Cần Thơ.\n"
    assert import_bytes(kb, "upload:giao-ban.txt", "giao-ban.txt", page.encode()).status == "added"
    _, readings = AnswerEngine(kb).readings(question)
    assert readings and readings[0].sentence.text.startswith("Chiều") and readings[0].features["sent"] == 1.0


@pytest.mark.parametrize("question, read_as, never", [
    ("who chaired the meeting on the OCOP project", "chair", "chaired"),  # a form of a word the pages hold
    ("how much did the project cost", "cost", "cot"),  # a letter away, another word
    ("when was the deal signed", "deal", "real"),
    ("when was the project started", "started", "startup"),
])
def test_an_english_word_is_only_read_as_another_form_of_itself(engine, question, read_as, never):
    words = read(engine, question).content_folded
    assert read_as in words and never not in words


def test_an_english_word_is_read_as_the_form_the_pages_write_its_ending_added_or_taken_off(tmp_path, kb_of):
    """"open" is "opened", "exhibitor" "exhibitors": two or three letters from the typed word, too far for a slip."""
    write(tmp_path, "fest.md", "# Start-up festival in Ben Tre\n\n[23/11/2020 08:00]\n\n"
          "The start-up festival opened in Ben Tre on 21 November 2020, with more than 120 exhibitors.\n")
    engine = AnswerEngine(kb_of(tmp_path / "fest.md"))
    question, readings = engine.readings("When did the start-up festival open in Ben Tre?")
    assert "opened" in question.content_folded and readings[0].features["unknown"] == 0.0
    assert "exhibitors" in engine.readings("how many exhibitor came to the festival")[0].content_folded
    assert "opened" not in engine.readings("when was the festival opening ceremony")[0].content_folded  # 4 letters


def test_an_irregular_english_verb_is_read_as_the_form_the_pages_write(tmp_path, kb_of):
    write(tmp_path, "fest.md", "# Start-up festival in Ben Tre\n\n[23/11/2020 08:00]\n\n"
          "The festival opened on 21 November 2020, with more than 120 exhibitors taking part. "
          "The province held a seminar on start-ups.\n")
    engine = AnswerEngine(kb_of(tmp_path / "fest.md"))
    question, readings = engine.readings("How many exhibitors took part in the festival?")
    assert "taking" in question.content_folded and readings[0].features["unknown"] == 0.0
    assert "held" in engine.readings("What seminar did the province hold?")[0].content_folded
    assert "wrote" in engine.readings("who wrote the report")[0].content_folded  # no form of it: as typed


@pytest.mark.parametrize("verb, forms", [(("take", "took", "taken"), ("take", "takes", "taking", "took", "taken")),
                                         (("run", "ran", "run"), ("run", "runs", "running", "ran")),
                                         (("go", "went", "gone"), ("go", "goes", "going", "went", "gone"))])
def test_the_forms_of_an_irregular_verb(verb, forms):
    assert _verb_forms(*verb) == forms


@pytest.mark.parametrize("typed, meant", [("Departmet", "department"), ("Intellecual", "intellectual"),
                                          ("Technolgy", "technology")])
def test_a_long_english_word_one_letter_from_a_word_of_the_pages_is_that_word(engine, typed, meant):
    assert meant in read(engine, f"When was the {typed} programme of the city approved").content_folded


def test_a_number_the_question_states_is_never_a_new_one_however_written():
    """Both engines ask which numbers of a sentence the question did not state: "03" is the question's "3"."""
    from knowledge.answer.reading import new_numbers

    assert new_numbers("Kiểm tra 03 huyện, nhận 1.837 đơn", {"3"}) == {"1837"}
    assert new_numbers("tại 03 cơ sở", {"3"}) == set()


def test_a_page_and_its_copy_saying_the_same_do_not_compete(kb_of):
    """An article republished under another title says what it says: its sentence is no rival that makes
    the engine less sure of the answer (the decider's margin and share)."""
    from knowledge.answer.decision import decision_features
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    body = ("Hội thi Sáng tạo kỹ thuật thành phố Cần Thơ lần thứ 8 trao 12 giải. "
            "Giải nhất được thưởng 15 triệu đồng, giải nhì 10 triệu đồng.\n")
    for name, title, date in (("hoi-thi.txt", "Khởi động Hội thi Sáng tạo kỹ thuật lần 8", "02/03/2014"),
                              ("hoi-thi-copy.txt", "Cần Thơ phát động Hội thi Sáng tạo kỹ thuật", "05/03/2014")):
        text = f"Tiêu đề: {title}\nNgày đăng: {date}\n\n{body}"
        assert import_bytes(kb, f"upload:{name}", name, text.encode()).status == "added"
    _, readings = AnswerEngine(kb).readings("Giải nhất hội thi sáng tạo kỹ thuật được thưởng bao nhiêu tiền?")
    best = readings[0]
    copy = next(r for r in readings if r.article is not best.article and r.sentence.text == best.sentence.text)
    assert copy.probability > 0.5 * best.probability  # the copy reads as well as the page
    rival = next(r for r in readings if r.article is not best.article and r.sentence.text != best.sentence.text)
    assert decision_features(readings)["margin"] == pytest.approx(best.probability - rival.probability)


def test_the_next_best_sentence_of_the_page_joins_the_best_when_both_fit(kb_of):
    """The sentence that names the event often reads best; the one that holds the figure comes next, however
    far behind: the reply shows both, in page order, when they fit in a reply."""
    from knowledge.ingest.importer import import_bytes

    kb = kb_of()
    text = ("Tiêu đề: Chấm thi Hội thi Sáng tạo kỹ thuật lần thứ 12\nNgày đăng: 16/08/2023\n\n"
            "Ngày 15/8/2023, Ban Tổ chức Hội thi Sáng tạo kỹ thuật lần thứ 12 đã họp Hội đồng chấm thi tại Sở.\n\n"
            "Hội đồng gồm các nhà khoa học của các trường đại học và viện nghiên cứu trên địa bàn.\n\n"
            "Các thành viên đánh giá từng hồ sơ theo tiêu chí tính mới, tính khả thi và hiệu quả.\n\n"
            "Năm nay Ban Tổ chức nhận được 108 giải pháp thuộc 6 lĩnh vực.\n")
    assert import_bytes(kb, "upload:a.txt", "a.txt", text.encode()).status == "added"
    question = "Hội thi sáng tạo kỹ thuật lần 12 có bao nhiêu giải pháp dự thi?"
    read_as, readings = AnswerEngine(kb).readings(question)
    intro = next(r for r in readings if r.sentence.text.startswith("Ngày 15/8/2023"))
    figure = next(r for r in readings if "108 giải pháp" in r.sentence.text)
    intro.probability, figure.probability = 0.6, 0.2  # the figure far behind the sentence naming the event
    ranked = sorted(readings, key=lambda r: -r.probability)
    best, shown = reply_of(ranked, Focus(read_as))
    assert best is intro and shown.index("Ngày 15/8/2023") < shown.index("108 giải pháp")


def test_an_english_question_finds_the_page_saying_it_another_way(tmp_path):
    """"take place" is what a page writes "held": the synonym table speaks English for the English pages."""
    page = "Student start-up final\n\nThe regional final was held on 12 November 2022 at Lecture Hall D5.\n"
    question, readings = readings_over(tmp_path, page, "Where did the student start-up final take place?")
    assert readings[0].features["missing"] == 0.0  # before, "take" and "place" were missing from every page


@pytest.mark.parametrize("question, shown, left_out", [
    ("Diễn tập ứng phó sự cố bức xạ và hạt nhân năm 2024 tổ chức ở đâu?", "Công viên Lưu Hữu Phước", "Phòng Hóa học"),
    ("techfest mekong 2022 chủ đề là gì vậy", "Khát vọng vùng đất Chín Rồng", "VietnamPlus"),  # the agency's byline
])
def test_a_sentence_saying_nothing_of_the_question_is_not_shown_beside_the_answer(engine, question, shown, left_out):
    """The next most probable sentence of the page is shown beside the answer only when it holds something of the
    question: a byline or a stray item of a list is no part of an answer."""
    question_read, readings = engine.readings(question)
    _, text = reply_of(readings, Focus(question_read))
    assert shown in text and left_out not in text
