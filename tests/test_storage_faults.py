"""A database that cannot be written (a full disk, played by SQLite itself: ``PRAGMA max_page_count``
on a real file, so every write that needs a new page fails with "database or disk is full"):
``/healthz`` says so with 503, and an import stops at the first failed write listing what it had
already committed, on the CLI and in the admin upload. UTF-16 article files, with or without a
byte-order mark, are imported."""
from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest

from bot.cli import main
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from support import write
from web_support import csrf, upload_form

SMALL = "# Hội thảo nuôi tôm năm 2026\n\nNgày đăng: 20/11/2026\n\nSở tổ chức hội thảo nuôi tôm tại Ô Môn với 120 hộ dân.\n"
LARGE = "# Báo cáo tổng kết dài\n\nNgày đăng: 21/11/2026\n\n" + "".join(
    f"Đoạn {i}: Sở Khoa học và Công nghệ thành phố Cần Thơ báo cáo kết quả số {i} của năm.\n\n" for i in range(3000))
HEADROOM_PAGES = 60  # room for the small article, not for the large one


def fill_up(kb: KnowledgeBase, headroom: int) -> None:
    """Let the database grow by at most ``headroom`` pages, with no free page left inside it."""
    kb.conn.execute("VACUUM")
    pages = kb.conn.execute("PRAGMA page_count").fetchone()[0]
    kb.conn.execute(f"PRAGMA max_page_count = {pages + headroom}")


# ----- /healthz --------------------------------------------------------------------------------
async def test_healthz_reports_a_database_that_cannot_be_written(client, sample_kb):
    assert (await client.get("/healthz")).status == 200
    fill_up(sample_kb, 0)
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503 and "database or disk is full" in body["database"]
    sample_kb.conn.execute("PRAGMA max_page_count = 1073741823")  # space again
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json())["database"] == "ok"
    pages = sample_kb.conn.execute("PRAGMA page_count").fetchone()[0]
    for _ in range(5):  # the probe leaves nothing behind
        assert (await client.get("/healthz")).status == 200
    assert sample_kb.conn.execute("PRAGMA page_count").fetchone()[0] == pages


# ----- imports on a full disk ----------------------------------------------------------------------
@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "bai-viet"
    folder.mkdir()
    write(folder, "01-hoi-thao.md", SMALL)
    write(folder, "02-bao-cao.md", LARGE)
    write(folder, "03-bao-cao-khac.md", LARGE.replace("dài", "khác"))
    return folder


def test_cli_import_on_a_full_disk_lists_what_it_committed(tmp_path, articles, monkeypatch, capsys):
    db = tmp_path / "kb.sqlite"
    KnowledgeBase.open(db).close()
    opened = KnowledgeBase.open

    def nearly_full(path, *args):
        kb = opened(path, *args)
        fill_up(kb, HEADROOM_PAGES)
        return kb

    monkeypatch.setattr(KnowledgeBase, "open", nearly_full)
    status = main(["kb", "import", "--db", str(db), str(articles)])
    out = capsys.readouterr().out
    assert status == 1
    line = {name: next(line for line in out.splitlines() if name in line)
            for name in ("01-hoi-thao.md", "02-bao-cao.md", "03-bao-cao-khac.md")}
    assert line["01-hoi-thao.md"].startswith("thêm mới")
    assert line["02-bao-cao.md"].startswith("lỗi") and "database or disk is full" in line["02-bao-cao.md"]
    assert line["03-bao-cao-khac.md"].startswith("bỏ qua")
    assert "1 thêm mới, 0 cập nhật, 0 không đổi, 1 lỗi, 1 bỏ qua" in out
    monkeypatch.undo()
    kb = KnowledgeBase.open(db)
    assert [a["title"] for a in kb.articles()] == ["Hội thảo nuôi tôm năm 2026"]
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_admin_upload_on_a_full_disk_lists_what_it_committed(staff, sample_kb):
    token = await csrf(staff, "/admin/articles")
    fill_up(sample_kb, HEADROOM_PAGES)
    files = [("01-hoi-thao.md", SMALL.encode()), ("02-bao-cao.md", LARGE.encode()), ("03-ghi-chu.md", SMALL.encode())]
    response = await staff.post("/admin/articles/upload", data=upload_form(token, "files", files))
    html = unescape(await response.text())
    assert response.status == 200, html[:500]
    text = re.sub(r"<[^>]+>", "", html)
    assert "thêm mới 01-hoi-thao.md" in text
    assert "lỗi 02-bao-cao.md (không ghi được vào cơ sở dữ liệu: database or disk is full)" in text
    assert "bỏ qua 03-ghi-chu.md (chưa nhập" in text
    titles = [a["title"] for a in sample_kb.articles()]
    assert "Hội thảo nuôi tôm năm 2026" in titles and "Báo cáo tổng kết dài" not in titles


# ----- UTF-16 files --------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                           ("utf-16-le", b""), ("utf-16-be", b"")])
@pytest.mark.parametrize("name, text", [("hoi-thao.md", SMALL), ("hoi-thao.txt", SMALL.replace("# ", "")),
                                        ("hoi-thao.html", "<html><body><h1>Hội thảo nuôi tôm năm 2026</h1>"
                                                          "<p>Ngày đăng: 20/11/2026</p><p>Sở tổ chức hội thảo nuôi "
                                                          "tôm tại Ô Môn với 120 hộ dân.</p></body></html>")])
def test_utf16_files_are_imported(empty_kb, tmp_path, encoding, bom, name, text):
    path = write(tmp_path, name, bom + text.replace("\n", "\r\n").encode(encoding))
    [result] = import_paths(empty_kb, [path])
    assert (result.status, result.title) == ("added", "Hội thảo nuôi tôm năm 2026"), result.detail
    [article] = empty_kb.articles()
    assert "120 hộ dân" in empty_kb.article(article["id"])["body"]


def test_utf16_without_a_byte_order_mark_is_told_apart_from_binary(empty_kb, tmp_path):
    binaries = (b"\x00\x01\x02garbage" * 50, bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" * 40)
    for raw in binaries:
        [result] = import_paths(empty_kb, [write(tmp_path, "tep.txt", raw)])
        assert result.status == "failed" and "văn bản" in result.detail, raw[:10]
    [result] = import_paths(empty_kb, [write(tmp_path, "tep.md", SMALL.encode("utf-16-le"))])
    assert result.status == "added"
