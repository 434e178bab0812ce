"""Contacts are facts with a source and a date: the newest dated source wins; a pinned value
beats them all; another body's contacts stay that body's. The source cited with a contact says
where it came from: the staff, an article's body, or the footer every page carries."""
import datetime as dt

from knowledge import management
import pytest

from knowledge.contacts import DEPARTMENT, body_contacts, fields_to_show, footer_contacts, is_department
from knowledge.ingest.importer import import_file

from support import write

OLD_UNDATED = """<html><body><h1>History</h1><p>The department was founded long ago in Hau Giang.</p>
<p>Footer of the site:<br>Copyright © 2010, Department of Science and Technology of Can Tho City.<br>
Address: No 02, Ly Thuong Kiet Street, Tan An Ward, Ninh Kieu District, Can Tho City.<br>
Tel: 0710.3820674, Fax: 0710.3821471.</p></body></html>"""


def page(date: str, phone: str) -> str:
    return f"""SỞ KHOA HỌC VÀ CÔNG NGHỆ THÀNH PHỐ CẦN THƠ

Tin hoạt động

[{date}]

Sở tổ chức buổi làm việc với các đơn vị trực thuộc về kế hoạch năm tới.

Bản quyền @ 2020 thuộc về Sở Khoa học và Công nghệ thành phố Cần Thơ
Điện thoại: {phone}; Email: sokhcn@cantho.gov.vn
"""


def test_undated_old_page_does_not_override_a_dated_one(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "new.txt", page("02/11/2017", "0292.3820674")))
    import_file(empty_kb, write(tmp_path, "old.html", OLD_UNDATED))
    assert empty_kb.resolve_contacts()["phone"].value == "0292.3820674"


def test_newest_dated_source_wins_whatever_the_import_order(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "b.txt", page("01/01/2024", "0292.3999999")))
    import_file(empty_kb, write(tmp_path, "a.txt", page("01/01/2020", "0292.3820674")))
    resolved = empty_kb.resolve_contacts()
    assert resolved["phone"].value == "0292.3999999"
    assert resolved["phone"].source_date == "2024-01-01"


def test_a_number_in_the_numbering_before_2017_never_beats_one_in_todays(empty_kb, tmp_path):
    """A page dated 2025 whose footer was copied from an old template ("0710.3820674") made the department's phone
    the one Cần Thơ stopped using in 2017."""
    import_file(empty_kb, write(tmp_path, "a.txt", page("01/01/2021", "0292.3820674")))
    import_file(empty_kb, write(tmp_path, "b.txt", page("01/07/2025", "0710.3820674")))
    assert empty_kb.resolve_contacts()["phone"].value == "0292.3820674"


def test_a_number_in_the_old_numbering_is_given_when_no_source_has_another(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "b.txt", page("01/07/2015", "0710.3820674")))
    assert empty_kb.resolve_contacts()["phone"].value == "0710.3820674"
    empty_kb.set_contact(DEPARTMENT, "phone", "0710.3820675", True, "staff")  # staff know best
    assert empty_kb.resolve_contacts()["phone"].value == "0710.3820675"


def test_pinned_value_beats_the_newest_article(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "b.txt", page("01/01/2024", "0292.3999999")))
    empty_kb.set_contact("Sở Khoa học và Công nghệ thành phố Cần Thơ", "phone", "0292.3111111", True, "staff")
    assert empty_kb.resolve_contacts()["phone"].value == "0292.3111111"


@pytest.mark.parametrize("name, department", [
    ("Sở Khoa học và Công nghệ thành phố Cần Thơ", True), ("Sở KH&CN", True), ("so khcn", True),
    ("sở khoa học công nghệ", True), ("sở khoa học", True),  # how citizens shorten it
    ("Sở Công Thương", False), ("khóa học kỹ năng số", False), ("Bộ Khoa học và Công nghệ", False),
    ("ho so khoa hoc di tich", False), ("cơ sở khoa học của đề tài", False),  # a dossier, a basis
    ("các cơ sở khoa học và công nghệ", False)])  # science and technology institutions
def test_the_department_is_known_by_its_shortened_names(name, department):
    assert is_department(name) is department


def test_other_bodies_contacts_are_theirs():
    facts = body_contacts("Liên hệ: Phòng Kinh tế quận Ô Môn, điện thoại 0292 3 861927, email kinhte_omon@cantho.gov.vn.")
    assert {(f.unit, f.field, f.value) for f in facts} == {
        ("Phòng Kinh tế quận Ô Môn", "phone", "0292 3 861927"),
        ("Phòng Kinh tế quận Ô Môn", "email", "kinhte_omon@cantho.gov.vn")}


def test_unlabelled_body_text_gives_no_contact():
    assert body_contacts("Đại biểu gửi thư về sokhcn@cantho.gov.vn để đăng ký.") == []


def test_truncated_phone_number_is_not_a_phone_number():
    facts = footer_contacts(["Bản quyền @ 2017 thuộc về Sở; địa chỉ Số 02, Lý Thường Kiệt, quận Ninh Kiều; "
                             "điện thoại 0292.382... (bị cắt)."])
    assert [f.field for f in facts] == ["address"]


# ----- the source cited with a contact answer ------------------------------------------------
NEWS = """SỞ KHOA HỌC VÀ CÔNG NGHỆ THÀNH PHỐ CẦN THƠ

Techfest Mekong 2022 cam kết đầu tư 20 dự án khởi nghiệp

[{date}]

Ngày hội khởi nghiệp đổi mới sáng tạo vùng Đồng bằng sông Cửu Long đã diễn ra tại Cần Thơ.
{body}
Bản quyền @ 2022 thuộc về Sở Khoa học và Công nghệ thành phố Cần Thơ
Địa chỉ: Số 02, Lý Thường Kiệt, phường Tân An, quận Ninh Kiều, thành phố Cần Thơ
Điện thoại: 0292.3820674, Fax: 0292.3821471; Email: sokhcn@cantho.gov.vn
"""
OMON = "Liên hệ: Phòng Kinh tế quận Ô Môn, điện thoại 0292 3 861927, email kinhte_omon@cantho.gov.vn.\n"


def news(tmp_path, name: str, date: str, body: str = ""):
    return write(tmp_path, name, NEWS.format(date=date, body=body))


def cited(kb, asked: list[str], unit: str = "department") -> dict:
    return fields_to_show(asked, kb.resolve_contacts(unit), kb)[1]


def test_a_footer_contact_cites_the_departments_contact_information(empty_kb, tmp_path):
    import_file(empty_kb, news(tmp_path, "cu.txt", "01/03/2021"))
    import_file(empty_kb, news(tmp_path, "moi.txt", "15/06/2022"))  # an unrelated news item carries the footer
    for asked in (["phone"], ["address"], ["contact"]):
        assert cited(empty_kb, asked) == {"title": "Thông tin liên hệ ở chân trang cổng thông tin của Sở",
                                          "date": "2022-06-15", "path": None}


def test_a_contact_in_an_articles_body_cites_that_article(empty_kb, tmp_path):
    path = news(tmp_path, "omon.txt", "20/09/2017", OMON)
    import_file(empty_kb, path)
    source = cited(empty_kb, ["phone"], "phong kinh te quan o mon")
    assert source["title"] == "Techfest Mekong 2022 cam kết đầu tư 20 dự án khởi nghiệp"
    assert source["date"] == "2017-09-20" and source["path"].endswith("omon.txt")
    # the department's own number, stated in a body as well as in the footer, cites the article
    stated = "Liên hệ: Sở Khoa học và Công nghệ thành phố Cần Thơ, điện thoại 0292.3820674.\n"
    import_file(empty_kb, news(tmp_path, "so.txt", "01/10/2023", stated))
    assert cited(empty_kb, ["phone"])["path"].endswith("so.txt")
    assert cited(empty_kb, ["fax"])["title"].startswith("Thông tin liên hệ ở chân trang")  # only the footer says it


def test_a_pinned_or_typed_in_value_cites_the_staff_update(empty_kb, tmp_path):
    import_file(empty_kb, news(tmp_path, "moi.txt", "15/06/2022"))
    management.pin_contact(empty_kb, "test", "phone")  # the footer's value, confirmed by staff
    assert cited(empty_kb, ["phone"]) == {"title": "Cập nhật của cán bộ Sở", "date": dt.date.today().isoformat(),
                                          "path": None}
    empty_kb.set_contact(DEPARTMENT, "hotline", "0292.3999999", False, "staff")  # typed in, not pinned
    assert cited(empty_kb, ["hotline"])["title"] == "Cập nhật của cán bộ Sở"


def test_a_retired_article_is_no_body_source(empty_kb, tmp_path):
    import_file(empty_kb, news(tmp_path, "omon.txt", "20/09/2017", OMON))
    stated = "Liên hệ: Sở Khoa học và Công nghệ thành phố Cần Thơ, điện thoại 0292.3820674.\n"
    import_file(empty_kb, news(tmp_path, "so.txt", "01/10/2023", stated))
    import_file(empty_kb, news(tmp_path, "khac.txt", "01/10/2023"))  # the same day, the footer only
    [stating] = [a["id"] for a in empty_kb.articles() if a["source"].endswith("so.txt")]
    with empty_kb.transaction():
        empty_kb.set_retired(stating, True)
    assert cited(empty_kb, ["phone"])["title"].startswith("Thông tin liên hệ ở chân trang")


@pytest.mark.parametrize("question", ["dia chi email so khcn", "địa chỉ e mail của sở khcn là gì",
                                      "What is the email address of the department?"])
def test_an_email_address_asked_is_no_postal_address(conversation, question):
    """"địa chỉ email" asks the email alone, not "Địa chỉ: Số 02, Lý Thường Kiệt …" beside it."""
    text = conversation.answer(question).as_json()["text"]
    assert "sokhcn@cantho.gov.vn" in text and "Lý Thường" not in text


@pytest.mark.parametrize("question", ["so dien thoai so khcn an giang la bao nhieu",
                                      "địa chỉ sở khoa học công nghệ tỉnh Bến Tre ở đâu",
                                      "What is the phone number of the An Giang Department of Science and Technology?"])
def test_another_provinces_department_is_not_given_ours(conversation, question):
    """"sđt sở khcn An Giang" was answered with Cần Thơ's number, as if it were An Giang's: the bot says it does not
    know, with our contacts offered as ours."""
    reply = conversation.answer(question).as_json()
    assert reply["answered"] is False and "chưa có thông tin" in reply["text"]


@pytest.mark.parametrize("question", ["sđt sở khcn cần thơ", "so dien thoai so khoa hoc cong nghe tp can tho"])
def test_our_own_city_named_still_gets_our_contacts(conversation, question):
    reply = conversation.answer(question).as_json()
    assert reply["answered"] is True and "0292.3820674" in reply["text"]


@pytest.mark.parametrize("question, missing, unit", [
    ("fax phong kinh te o mon", "fax", "Phòng Kinh tế quận Ô Môn"),
    ("hotline sở khcn", "đường dây nóng", "Sở Khoa học và Công nghệ thành phố Cần Thơ")])
def test_a_contact_detail_the_unit_has_none_of_is_said_missing_before_what_is_known(conversation, question, missing,
                                                                                     unit):
    """"fax phòng kinh tế ô môn" showed the unit's address, phone and email as if one of them were its fax."""
    reply = conversation.answer(question)
    first, *rest = reply.text.split("\n")
    assert first == f"Chưa có thông tin {missing} của {unit}. Thông tin liên hệ hiện có:"
    assert reply.answered and any(line.startswith("Điện thoại: ") for line in rest)
