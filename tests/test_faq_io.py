"""FAQ CSV import/export: format, BOM, line-numbered errors, all-or-nothing import, and the
``kb faq`` CLI commands that use it."""
from __future__ import annotations

import io

import pytest

from bot.cli import main
from knowledge import audit, management
from knowledge.faq_io import CsvError, read_csv, write_csv
from knowledge.store import KnowledgeBase

HEADER = "question,alternates,answer\r\n"


def problems(raw: bytes) -> list[tuple[int, str]]:
    with pytest.raises(CsvError) as caught:
        read_csv(raw)
    return caught.value.problems


def test_round_trip_keeps_vietnamese_commas_quotes_and_newlines(empty_kb):
    management.add_faq(empty_kb, "t", 'Lệ phí "thẩm định", bao nhiêu?', ["phí thẩm định", "giá thẩm định"],
                       "Miễn phí.\nNộp hồ sơ tại bộ phận một cửa.")
    text = write_csv(empty_kb.faqs())
    assert text.startswith("\ufeff" + HEADER)
    [row] = read_csv(text.encode("utf-8"))
    assert (row.line, row.question, row.alternates) == (2, 'Lệ phí "thẩm định", bao nhiêu?', ["phí thẩm định", "giá thẩm định"])
    assert row.answer == "Miễn phí.\nNộp hồ sơ tại bộ phận một cửa."


def test_bom_blank_lines_and_spaces_are_tolerated():
    rows = read_csv(("\ufeff" + HEADER + "\r\n Giờ làm việc? , sáng | chiều ,7 giờ\r\n").encode("utf-8"))
    assert [(r.line, r.question, r.alternates, r.answer) for r in rows] == [(3, "Giờ làm việc?", ["sáng", "chiều"], "7 giờ")]


def test_every_malformed_line_is_reported_with_its_number():
    raw = (HEADER + 'A?,,Có\r\n"B?\r\nhai dòng",,Có\r\nC?,một cột thừa,Có,x\r\nD?\r\n').encode()
    assert problems(raw) == [(5, "cần đúng 3 cột (question, alternates, answer), có 4"),
                             (6, "cần đúng 3 cột (question, alternates, answer), có 1")]


def test_unclosed_quote_wrong_header_encoding_and_empty_file():
    assert problems((HEADER + 'A?,,Có\r\n"B?,,không đóng\r\n').encode())[0][0] == 3
    assert problems(b"cau hoi,tra loi\r\nA?,B,C\r\n") == [(1, "dòng đầu phải là tiêu đề: question,alternates,answer")]
    assert problems((HEADER + "A?,,Có\r\n").encode() + b"B?,,\xff\xfe\r\n") == [(3, "không phải văn bản UTF-8")]
    assert problems(HEADER.encode())[0][1] == "tệp CSV không có câu hỏi nào"


def test_bad_rows_import_nothing_and_name_their_lines(empty_kb):
    management.add_faq(empty_kb, "t", "Giờ làm việc?", ["mấy giờ mở cửa"], "7 giờ")
    version = empty_kb.version()
    raw = (HEADER + "Phí?,,Miễn phí\r\nMới?,,\r\nKhác?,MẤY GIỜ MỞ CỬA,x\r\nPhí?,,lặp lại\r\n").encode()
    with pytest.raises(CsvError) as caught:
        management.import_faqs(empty_kb, "t", raw)
    lines = {line: reason for line, reason in caught.value.problems}
    assert set(lines) == {3, 4, 5}
    assert "trống" in lines[3] and "câu hỏi thường gặp số 1" in lines[4] and "dòng 2" in lines[5]
    assert [f.question for f in empty_kb.faqs()] == ["Giờ làm việc?"] and empty_kb.version() == version


def test_import_adds_updates_and_audits(empty_kb):
    management.add_faq(empty_kb, "t", "Giờ làm việc?", [], "7 giờ")
    raw = (HEADER + "Giờ làm việc?,mở cửa,7 giờ\r\nPhí?,,0 đồng\r\n").encode()
    report = management.import_faqs(empty_kb, "cli:test", raw)
    assert (report.added, report.updated, report.unchanged) == (1, 1, 0)
    again = management.import_faqs(empty_kb, "cli:test", write_csv(empty_kb.faqs()).encode())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    actions = [e["action"] for e in audit.entries(empty_kb) if e["actor"] == "cli:test"]
    assert sorted(actions) == ["faq.add", "faq.update"]


def test_duplicate_faq_is_refused(empty_kb):
    management.add_faq(empty_kb, "t", "Giờ làm việc của Sở?", ["mấy giờ mở cửa"], "7 giờ")
    for question, alternates in (("gio lam viec cua so", []), ("Câu khác?", ["Mấy giờ mở cửa?"])):
        with pytest.raises(management.ManagementError, match="đã có"):
            management.add_faq(empty_kb, "t", question, alternates, "x")
    assert len(empty_kb.faqs()) == 1


def test_cli_faq_commands(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "kb.sqlite")
    assert main(["kb", "faq", "add", "Giờ làm việc?", "7 giờ", "--alternates", "mấy giờ mở cửa|giờ mở cửa",
                 "--db", db]) == 0
    assert main(["kb", "faq", "add", "gio lam viec", "x", "--db", db]) == 2
    assert "đã có" in capsys.readouterr().err
    assert main(["kb", "faq", "list", "--db", db]) == 0
    assert "[1] Giờ làm việc?\n      ~ mấy giờ mở cửa\n      ~ giờ mở cửa\n      → 7 giờ" in capsys.readouterr().out
    csv_path = tmp_path / "faq.csv"
    assert main(["kb", "faq", "export", str(csv_path), "--db", db]) == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbfquestion,alternates,answer")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((HEADER + 'A?,,"không đóng\r\n').encode())))
    assert main(["kb", "faq", "import", "-", "--db", db]) == 1
    assert "dòng 2" in capsys.readouterr().err
    csv_path.write_text(csv_path.read_text(encoding="utf-8-sig") + "Phí?,,Miễn phí\r\n", encoding="utf-8")
    assert main(["kb", "faq", "import", str(csv_path), "--db", db]) == 0
    assert "1 thêm mới" in capsys.readouterr().out
    assert main(["kb", "faq", "remove", "1", "--db", db]) == 0
    assert main(["kb", "faq", "remove", "1", "--db", db]) == 2
    kb = KnowledgeBase.open(db)
    assert [f.question for f in kb.faqs()] == ["Phí?"]
    kb.close()
