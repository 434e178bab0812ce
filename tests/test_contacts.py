"""Contacts are facts with a source and a date: the newest dated source wins; a pinned value
beats them all; another body's contacts stay that body's."""
from knowledge.contacts import body_contacts, footer_contacts
from knowledge.importer import import_file

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


def test_pinned_value_beats_the_newest_article(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "b.txt", page("01/01/2024", "0292.3999999")))
    empty_kb.set_contact("Sở Khoa học và Công nghệ thành phố Cần Thơ", "phone", "0292.3111111", True, "staff")
    assert empty_kb.resolve_contacts()["phone"].value == "0292.3111111"


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
