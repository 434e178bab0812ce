"""Importing the three page formats: what is kept, what is dropped, idempotence, atomicity."""
from pathlib import Path

import pytest

from knowledge.ingest.importer import import_file, import_paths
from knowledge.ingest.parsing import parse_document
from support import SAMPLES, write

DEPARTMENT_PAGE = """SỞ KHOA HỌC VÀ CÔNG NGHỆ THÀNH PHỐ CẦN THƠ

Khoa học, công nghệ và Đổi mới sáng tạo - Khơi dậy khát vọng kiến tạo tương lai

Hội thảo chuyển đổi số trong nông nghiệp

[05/06/2024 09:30]

Ngày 04/6/2024, Sở tổ chức hội thảo chuyển đổi số trong nông nghiệp với 120 đại biểu tham dự.

Toàn cảnh hội thảo

Bản quyền @ 2024 thuộc về Sở Khoa học và Công nghệ thành phố Cần Thơ
Địa chỉ: Số 02, Lý Thường Kiệt, phường Tân An, quận Ninh Kiều, thành phố Cần Thơ
Điện thoại: 0292.3820674, Fax: 0292.3821471; Email: sokhcn@cantho.gov.vn
"""

HTML_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Tin - Sở Khoa học và Công nghệ</title>
<script>var tracking = "Không được lấy";</script><style>.x{color:red}</style></head><body>
<div id="header"><h2>SỞ KHOA HỌC VÀ CÔNG NGHỆ THÀNH PHỐ CẦN THƠ</h2></div>
<ul class="menu"><li><a href="/">Trang chủ</a></li><li>Liên hệ</li></ul>
<div id="content"><h1 class="title">Nghiệm thu đề tài nuôi tôm công nghệ cao</h1>
<div class="date">Ngày đăng: 12/03/2025</div>
<div class="body"><p>Hội đồng khoa học đã nghiệm thu đề tài nuôi tôm công nghệ cao với kết quả xuất sắc.</p>
<form><input name="q"><button>Tìm kiếm trong trang</button></form></div>
<div class="tags">Từ khóa: tôm, công nghệ</div>
<div class="related"><h3>Tin cùng chuyên mục</h3><ul><li>Một bài viết liên quan khác rất dài</li></ul></div></div>
<div id="footer"><p>Bản quyền © 2025 Sở Khoa học và Công nghệ thành phố Cần Thơ</p>
<p>Điện thoại: 0292.3820674 - Email: sokhcn@cantho.gov.vn</p><p>Lượt truy cập: 1.234</p></div>
</body></html>"""

MARKDOWN_PAGE = """# Thông báo tuyển chọn nhiệm vụ năm 2026

*Ngày đăng: 20/01/2026*

Sở **Khoa học và Công nghệ** thông báo tuyển chọn [nhiệm vụ](https://example.org/nv) cấp thành phố năm 2026.

- Hạn nộp hồ sơ: hết ngày 28/02/2026.

Nguồn: https://sokhcn.cantho.gov.vn/tin/123
"""


def test_department_text_format():
    article = parse_document("a.txt", DEPARTMENT_PAGE.encode())
    assert article.title == "Hội thảo chuyển đổi số trong nông nghiệp"
    assert article.published.isoformat() == "2024-06-05"
    assert article.paragraphs == ["Ngày 04/6/2024, Sở tổ chức hội thảo chuyển đổi số trong nông nghiệp "
                                  "với 120 đại biểu tham dự."]
    fields = {(c.field, c.value) for c in article.contacts}
    assert ("phone", "0292.3820674") in fields and ("email", "sokhcn@cantho.gov.vn") in fields


def test_a_labelled_title_line_loses_its_label():
    parsed = parse_document("hoi-thao.txt", "Tiêu đề: Hội thảo nuôi tôm năm 2026\nNgày đăng: 20/11/2026\n\n"
                                              "Sáng 20/11, Sở tổ chức hội thảo.".encode())
    assert parsed.title == "Hội thảo nuôi tôm năm 2026"


def test_html_keeps_article_and_drops_site_chrome():
    article = parse_document("a.html", HTML_PAGE.encode())
    assert article.title == "Nghiệm thu đề tài nuôi tôm công nghệ cao"
    assert article.published.isoformat() == "2025-03-12"
    text = " ".join(article.paragraphs)
    assert "nghiệm thu đề tài" in text
    for dropped in ("tracking", "Trang chủ", "Tìm kiếm", "Từ khóa", "Tin cùng chuyên mục", "Lượt truy cập", "color"):
        assert dropped not in text
    assert {c.field for c in article.contacts} == {"phone", "email"}


@pytest.mark.parametrize("name", ["tin-khac", "tin_lien_quan", "bai-viet-lien-quan", "cung-chuyen-muc"])
def test_a_list_of_other_articles_named_by_a_vietnamese_class_is_site_chrome(name):
    """A "Tin khác" list holds other articles' titles: read as this page's text, a title answered questions."""
    page = HTML_PAGE.replace('<div class="related">', f'<div class="{name}">')
    text = " ".join(parse_document("a.html", page.encode()).paragraphs)
    assert "nghiệm thu đề tài" in text and "Một bài viết liên quan khác" not in text


def test_the_date_of_the_visit_in_a_top_bar_is_site_chrome():
    """"Thứ năm, 14-07-2022 English | Sơ đồ trang": the day the page was saved, not text (nor a date) of it."""
    page = HTML_PAGE.replace("<body>", '<body><div id="topbar"><span class="today">Thứ năm, 14-07-2022</span> '
                                       '<a href="/?lang=en">English</a> | <a href="/sitemap">Sơ đồ trang</a></div>')
    text = " ".join(parse_document("a.html", page.encode()).paragraphs)
    assert "nghiệm thu đề tài" in text and "14-07-2022" not in text and "Sơ đồ trang" not in text


def test_markdown_keeps_text_title_date_and_source():
    article = parse_document("a.md", MARKDOWN_PAGE.encode())
    assert article.title == "Thông báo tuyển chọn nhiệm vụ năm 2026"
    assert article.published.isoformat() == "2026-01-20"
    assert article.url == "https://sokhcn.cantho.gov.vn/tin/123"
    assert "Sở Khoa học và Công nghệ thông báo tuyển chọn nhiệm vụ cấp thành phố năm 2026." in article.paragraphs
    assert not any("**" in p or "](" in p for p in article.paragraphs)


@pytest.mark.parametrize("key", ["date", "published", "publishDate", "pubDate", "published_at"])
def test_markdown_front_matter_gives_the_date_under_any_key_exporters_use(key):
    """"published: 2024-12-25T09:02:00+07:00" was dropped: the page was shown as undated, or dated by a guess from
    its first paragraph."""
    page = f"---\ntitle: Diễn đàn khởi nghiệp\n{key}: 2024-12-25T09:02:00+07:00\n---\n\nDiễn đàn thu hút 300 đại biểu.\n"
    article = parse_document("a.md", page.encode())
    assert article.published.isoformat() == "2024-12-25" and not article.published_inferred


def test_an_impossible_meta_date_leaves_the_valid_one_read_before():
    """A second meta tag whose stamp is no date ("2024-13-45") erased the page's valid publication date."""
    page = ('<html><head><meta property="article:published_time" content="2024-05-06T08:00:00+07:00">'
            '<meta name="date" content="2024-13-45"></head><body><h1>Hội thảo</h1>'
            '<p>Hội thảo thu hút 80 đại biểu.</p></body></html>')
    article = parse_document("a.html", page.encode())
    assert article.published.isoformat() == "2024-05-06" and not article.published_inferred


FEE_TABLE_HTML = """<html><body><h1>Phí đăng ký chuyển giao công nghệ</h1>
<p>Ngày đăng: 15/04/2024</p><p>Thời hạn và phí như sau:</p>
<table><tr><th>Nội dung</th><th>Thời hạn</th><th>Phí thẩm định</th></tr>
<tr><td>Đăng ký lần đầu</td><td>05 ngày làm việc</td><td><p>0,1% giá trị hợp đồng,</p><p>tối đa 10 triệu đồng</p></td></tr>
<tr><td>Đăng ký gia hạn</td><td>05 ngày làm việc</td><td>tối đa 05 triệu đồng</td></tr></table>
<table><tr><td>Diện tích</td><td>28 ha</td></tr><tr><td>Vốn</td><td>50 tỷ đồng</td></tr></table>
</body></html>"""
FEE_TABLE_MD = """# Phí đăng ký chuyển giao công nghệ

| Nội dung | Thời hạn | Phí thẩm định |
|---|:---:|---|
| Đăng ký lần đầu | 05 ngày làm việc | 0,1% giá trị hợp đồng, **tối đa 10 triệu đồng** |
| Đăng ký gia hạn | 05 ngày làm việc | tối đa 05 triệu đồng |

| Hạng mục | Nội dung |
|---|---|
| Diện tích | 28 ha |
"""


@pytest.mark.parametrize("name, page", [("phi.html", FEE_TABLE_HTML), ("phi.md", FEE_TABLE_MD)])
def test_a_table_row_reads_each_cell_under_its_column_header(name, page):
    """"Đăng ký lần đầu | 05 ngày | tối đa 10 triệu" answers "phí thẩm định bao nhiêu" only beside its header."""
    paragraphs = parse_document(name, page.encode()).paragraphs
    first = next(p for p in paragraphs if p.startswith("Đăng ký lần đầu"))
    assert first == ("Đăng ký lần đầu – Thời hạn: 05 ngày làm việc – Phí thẩm định: 0,1% giá trị hợp đồng, "
                     "tối đa 10 triệu đồng")
    assert "Đăng ký gia hạn – Thời hạn: 05 ngày làm việc – Phí thẩm định: tối đa 05 triệu đồng" in paragraphs
    assert "Diện tích: 28 ha" in paragraphs  # two cells, no header or one naming only "the content": a labelled line
    assert not any(p.startswith(("Nội dung", "Hạng mục")) for p in paragraphs)  # the header is in every row


def test_display_dates_are_not_publication_dates():
    article = parse_document("a.md", "# Tin\n\nĐầu trang hiển thị \"Thứ tư 19/11/2025\", là ngày xem trang.\n".encode())
    assert article.published is None


def test_import_of_all_formats_and_reimport_is_idempotent(empty_kb):
    results = import_paths(empty_kb, [SAMPLES])
    assert {r.status for r in results} == {"added"}
    before = empty_kb.stats()
    again = import_paths(empty_kb, [SAMPLES])
    assert {r.status for r in again} == {"unchanged"}
    assert empty_kb.stats() == before


def test_changed_file_replaces_its_old_version(empty_kb, tmp_path):
    path = write(tmp_path, "page.txt", DEPARTMENT_PAGE)
    assert import_file(empty_kb, path).status == "added"
    path.write_text(DEPARTMENT_PAGE.replace("120 đại biểu", "150 đại biểu"), encoding="utf-8")
    assert import_file(empty_kb, path).status == "updated"
    assert empty_kb.stats()["articles"] == 1
    body = empty_kb.articles()[0]
    assert "150 đại biểu" in empty_kb.article(body["id"])["body"]


def test_a_file_reached_through_a_link_or_a_relative_path_is_the_same_source(empty_kb, tmp_path, monkeypatch):
    """An article's source is its file's real path: read again through a linked folder, a linked file or a
    relative path with "..", the changed file replaces its article instead of adding another."""
    folder = tmp_path / "pages"
    folder.mkdir()
    path = write(folder, "page.txt", DEPARTMENT_PAGE)
    assert [r.status for r in import_paths(empty_kb, [folder])] == ["added"]
    (tmp_path / "linked").symlink_to(folder, target_is_directory=True)
    (tmp_path / "page-link.txt").symlink_to(path)
    monkeypatch.chdir(folder)
    for n, reached in enumerate([tmp_path / "linked", tmp_path / "page-link.txt", Path("..") / "pages" / "page.txt"]):
        path.write_text(DEPARTMENT_PAGE.replace("120 đại biểu", f"{130 + n} đại biểu"), encoding="utf-8")
        assert [r.status for r in import_paths(empty_kb, [reached])] == ["updated"], reached
    assert empty_kb.stats()["articles"] == 1
    assert [a["source"] for a in empty_kb.articles()] == [str(path.resolve())]


def test_malformed_files_fail_with_a_reason_and_change_nothing(empty_kb, tmp_path):
    good = write(tmp_path, "good.md", MARKDOWN_PAGE)
    bad = [write(tmp_path, "binary.txt", b"\x00\x01\x02garbage"),
           write(tmp_path, "latin1.txt", b"Tin t\xe9c m\xe0 C\xe2n Th\xf4 \xe9\xe9 long enough text"),
           write(tmp_path, "empty.md", ""),
           write(tmp_path, "broken.html", "this is not a page"),
           write(tmp_path, "report.pdf", b"%PDF-1.4")]
    results = {Path(r.name).name: r for r in import_paths(empty_kb, [good, *bad])}
    assert results["good.md"].status == "added"
    for path in bad:
        assert results[path.name].status == "failed", path.name
        assert results[path.name].detail
    assert empty_kb.stats()["articles"] == 1


def test_readme_files_are_skipped(empty_kb, tmp_path):
    readme = write(tmp_path, "README.md", "# Notes\n\nNot an article at all, just notes.\n")
    assert import_file(empty_kb, readme).status == "skipped"
    assert empty_kb.stats()["articles"] == 0


def test_same_content_under_another_name_is_not_duplicated(empty_kb, tmp_path):
    import_file(empty_kb, write(tmp_path, "a.txt", DEPARTMENT_PAGE))
    result = import_file(empty_kb, write(tmp_path, "copy.txt", DEPARTMENT_PAGE))
    assert result.status == "unchanged" and "a.txt" in result.detail


def test_labelled_stamp_with_weekday_and_counter():
    page = ("<html><body><h1>Tập huấn sở hữu trí tuệ cho doanh nghiệp</h1>"
            "<div class='meta'>Ngày đăng: Thứ Tư, 12/03/2025 08:15 | Lượt xem: 321</div>"
            "<p>Sở tổ chức lớp tập huấn về sở hữu trí tuệ cho 80 doanh nghiệp trên địa bàn thành phố.</p>"
            "</body></html>")
    assert parse_document("a.html", page.encode()).published.isoformat() == "2025-03-12"


@pytest.mark.parametrize("byline, origin", [
    ("Theo Báo Cần Thơ", "Báo Cần Thơ"),
    ("(Nguồn: custa.cantho.gov.vn)", "custa.cantho.gov.vn"),
    ("Theo kế hoạch, lớp học diễn ra trong 15 ngày trên nền tảng trực tuyến.", None),  # a sentence, no byline
    ("Nguồn gốc Ngày Đo lường Việt Nam", None),  # a heading: "the origin of"
])
def test_the_byline_says_where_a_page_was_taken_from(byline, origin):
    page = ("Tiêu đề: Hội thảo sở hữu trí tuệ\nNgày đăng: 12/03/2025\n\n"
            "Sở tổ chức hội thảo về sở hữu trí tuệ cho 80 doanh nghiệp trên địa bàn thành phố.\n\n" + byline + "\n")
    parsed = parse_document("a.txt", page.encode())
    assert parsed.origin == origin and not any(origin and origin in p for p in parsed.paragraphs)


def test_a_source_named_in_the_stamp_line_is_the_byline():
    page = ("# Khởi động Hội thi Sáng tạo kỹ thuật\n\nBài đăng lúc 14:14 ngày 31/10/2014 "
            "(nguồn: Báo Giáo dục & Thời đại).\n\nBan Tổ chức nhận hồ sơ dự thi đến hết ngày 15/7/2015.\n")
    parsed = parse_document("a.md", page.encode())
    assert parsed.origin == "Báo Giáo dục & Thời đại" and parsed.published.isoformat() == "2014-10-31"


def test_a_dated_file_name_is_the_last_resort():
    body = "# Tin ngắn\n\nNội dung của bản tin ngắn về hoạt động khoa học và công nghệ.\n"
    assert parse_document("2024-06-05-tin-ngan.md", body.encode()).published.isoformat() == "2024-06-05"
    assert parse_document("tin-ngan.md", body.encode()).published is None


def test_full_disk_during_import_changes_nothing(empty_kb, tmp_path):
    import pytest

    from knowledge.store import StoreError

    import_file(empty_kb, write(tmp_path, "small.md", MARKDOWN_PAGE))
    before = empty_kb.stats()
    pages = empty_kb.conn.execute("PRAGMA page_count").fetchone()[0]
    empty_kb.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk is now full
    big = "# Bài rất dài\n\n" + "\n\n".join(f"Đoạn {i}: " + "nội dung khoa học công nghệ " * 40 for i in range(300))
    with pytest.raises(StoreError, match="full"):
        import_file(empty_kb, write(tmp_path, "big.md", big))
    assert empty_kb.stats() == before


def test_a_version_1_database_is_migrated_on_open(tmp_path):
    import sqlite3

    from knowledge.store import SCHEMA_VERSION, KnowledgeBase

    path = tmp_path / "old.sqlite"
    kb = KnowledgeBase.open(path)
    import_paths(kb, [SAMPLES])
    kb.close()
    with sqlite3.connect(path) as conn:  # the schema as version 1 left it
        conn.executescript("DROP TABLE passage_index; CREATE VIRTUAL TABLE passage_index USING "
                           "fts5(folded, title, tokenize = 'unicode61 remove_diacritics 0');"
                           "DROP TABLE synonyms; UPDATE meta SET value = '1' WHERE key = 'schema_version';"
                           "DELETE FROM meta WHERE key = 'default_synonyms_given';")
    kb = KnowledgeBase.open(path)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION)
    from knowledge.lexicon import DEFAULT_SYNONYMS

    assert sorted(phrases for _, phrases in kb.synonyms()) == sorted(g.split("|") for g in DEFAULT_SYNONYMS)
    assert kb.conn.execute("SELECT COUNT(*) FROM passage_index").fetchone()[0] == kb.stats()["passages"]
    from handlers.conversation import Conversation

    assert "31/10/2017" in Conversation(kb).answer("hội nghị giao ban lần 13 ngày nào").text


def test_default_synonyms_added_to_the_program_reach_an_existing_database_once(tmp_path):
    from knowledge.lexicon import DEFAULT_SYNONYMS
    from knowledge.store import KnowledgeBase

    path = tmp_path / "kb.sqlite"
    kb = KnowledgeBase.open(path)
    removed, _ = kb.synonyms()[0]
    kb.remove_synonyms(removed)  # staff removed a default
    latest, _ = kb.synonyms()[-1]
    kb.remove_synonyms(latest)  # … and, as a database given its defaults before this one was added, lacks it
    kb.conn.execute("DELETE FROM meta WHERE key = 'default_synonyms_given'")  # schema 13 counted nothing
    kb.close()
    for _ in range(2):  # opened again (and again): the group is added once, the removed one stays removed
        kb = KnowledgeBase.open(path)
        groups = [phrases for _, phrases in kb.synonyms()]
        kb.close()
        assert groups.count(DEFAULT_SYNONYMS[-1].split("|")) == 1
        assert DEFAULT_SYNONYMS[0].split("|") not in groups


def test_default_abbreviations_added_to_the_program_reach_an_existing_database_once(tmp_path):
    from knowledge.answer.engine import AnswerEngine
    from knowledge.lexicon import DEFAULT_ABBREVIATIONS
    from knowledge.store import _ABBREVIATIONS_UNTIL_SCHEMA_13, KnowledgeBase

    path = tmp_path / "kb.sqlite"
    kb = KnowledgeBase.open(path)
    import_paths(kb, [write(tmp_path, "ocop.txt", "Hội đồng OCOP\n\n[05/05/2025 08:00]\n\n"
                                                  "Ông Trần Văn An, Giám đốc Sở NN&PTNT, chủ trì hội đồng.\n")])
    added_later = list(DEFAULT_ABBREVIATIONS)[_ABBREVIATIONS_UNTIL_SCHEMA_13:]
    for key in added_later:  # a database given its defaults at schema 13 lacks them …
        kb.set_abbreviation(key, None)
    kb.set_abbreviation("tt&tt", "trung tâm thông tin")  # … and staff gave one of their keys a meaning of theirs
    kb.conn.execute("DELETE FROM meta WHERE key = 'default_abbreviations_given'")  # schema 13 counted nothing
    kb.close()
    kb = KnowledgeBase.open(path)
    assert kb.abbreviations()["nn&ptnt"] == "nông nghiệp và phát triển nông thôn"
    assert kb.abbreviations()["tt&tt"] == "trung tâm thông tin"
    # the page, which writes the abbreviation, was tokenized again: its index holds the name in full
    [indexed] = [row[0] for row in kb.conn.execute("SELECT folded FROM passages") if "tran van an" in row[0]]
    assert "nong nghiep va phat trien nong thon" in indexed
    _, readings = AnswerEngine(kb).readings("giám đốc sở nông nghiệp và phát triển nông thôn là ai")
    assert "Trần Văn An" in readings[0].sentence.text
    kb.set_abbreviation("nn&ptnt", None)  # staff removed a default
    kb.close()
    kb = KnowledgeBase.open(path)  # opened again: the removed default stays removed
    assert "nn&ptnt" not in kb.abbreviations() and "ldtbxh" in kb.abbreviations()
    kb.close()


def test_a_page_of_another_site_layout():
    """No h1 but an og:title, the date as a weekday line, a table, 'other news' and a site footer."""
    article = parse_document("tin.html", (SAMPLES.parent.parent / "tests" / "data" / "extra-articles" /
                                          "tin-ocop-2025.html").read_bytes())
    assert article.title == "Cần Thơ có thêm 15 sản phẩm OCOP đạt 4 sao"
    assert article.published.isoformat() == "2025-05-12"
    assert "4 sao – Số sản phẩm: 15" in article.paragraphs  # a header row of <td> cells, named over the numbers
    assert not any("Tin khác" in p or "Hội thảo chuyển đổi số" in p or "Chia sẻ" in p for p in article.paragraphs)
    assert ("address", "Số 02 Lý Thường Kiệt, phường Ninh Kiều, thành phố Cần Thơ") in {
        (c.field, c.value) for c in article.contacts if c.unit.startswith("Sở")}


def test_a_page_without_heading_opens_with_its_title_and_an_update_stamp():
    page = ("**Thông báo nghỉ Tết Nguyên đán 2026**\n\nCập nhật lúc 10:20 ngày 12/01/2026\n\n"
            "Sở thông báo lịch nghỉ Tết Nguyên đán từ ngày 14/02/2026 đến hết ngày 22/02/2026.\n")
    article = parse_document("nghi-tet.md", page.encode())
    assert article.title == "Thông báo nghỉ Tết Nguyên đán 2026"
    assert article.published.isoformat() == "2026-01-12"
    assert article.paragraphs == ["Sở thông báo lịch nghỉ Tết Nguyên đán từ ngày 14/02/2026 đến hết ngày 22/02/2026."]


def test_a_table_row_with_empty_last_cells_keeps_its_other_cells_under_their_headers():
    from knowledge.ingest.tables import row_line
    assert row_line(["Đăng ký lần đầu", "05 ngày", ""], ["Nội dung", "Thời hạn", "Phí"]) == \
        "Đăng ký lần đầu – Thời hạn: 05 ngày"
