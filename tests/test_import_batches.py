"""Many files at once: parsed and tokenized in worker processes, written one transaction per batch,
and still exactly what importing them one at a time gives: the same results in the same order, the
same rows, duplicates and unchanged files found, failures reported per file."""
from __future__ import annotations

import hashlib
import multiprocessing
import os

from knowledge.ingest import importer, preparing
from knowledge.ingest.importer import import_file, import_paths
from knowledge.ingest.parsing import parse_document
from knowledge.store import KnowledgeBase
from support import write

PLACES = ["Ninh Kiều", "Bình Thủy", "Cái Răng", "Ô Môn", "Thốt Nốt", "Phong Điền", "Cờ Đỏ"]


def page(i: int, version: str = "") -> str:
    place = PLACES[i % len(PLACES)]
    contact = (f"\n\nLiên hệ: Phòng Kinh tế quận {place}, điện thoại: 0292.38{i:05d}, "
               f"email: pkt{i}@cantho.gov.vn" if i % 3 == 0 else "")
    day = i % 28 + 1
    return (f"# Hội thảo số {i} về chuyển đổi số tại {place} {version}\n\nNgày đăng: {day:02d}/05/2025\n\n"
            f"Ngày {day}/5/2025, Sở tổ chức hội thảo lần thứ {i} với {i * 3 + 20} đại biểu tại quận {place}.\n\n"
            f"Đại biểu thảo luận về KH&CN, đổi mới sáng tạo và ứng dụng công nghệ số {i}.{contact}\n")


def folder_of_articles(tmp_path):
    folder = tmp_path / "bai-viet"
    folder.mkdir()
    for i in range(40):
        write(folder, f"tin-{i:02d}.md", page(i))
    write(folder, "tin-05b.md", page(5))  # the same bytes as tin-05.md, in the same batch
    write(folder, "zz-ban-sao.md", page(0))  # …and in a later one
    write(folder, "hong.txt", b"\x00\x01binary")
    write(folder, "README.md", "# Ghi chú\n\nKhông phải bài viết.\n")
    return folder


def rows(kb: KnowledgeBase) -> dict[str, list]:
    """Everything an import writes, keyed by what does not depend on row ids."""
    query = kb.conn.execute
    return {
        "articles": query("SELECT source, title, published, url, format, body, content_hash, title_folded, "
                          "title_exact FROM articles ORDER BY source").fetchall(),
        "passages": query("SELECT a.source, p.position, p.text, p.role, p.folded, p.exact, i.folded, i.title, i.exact "
                          "FROM passages p JOIN articles a ON a.id = p.article_id JOIN passage_index i "
                          "ON i.rowid = p.id ORDER BY a.source, p.position").fetchall(),
        "contacts": query("SELECT a.source, c.unit, c.unit_key, c.field, c.value, c.source_title, c.source_date "
                          "FROM contacts c JOIN articles a ON a.id = c.article_id ORDER BY 1, 2, 4, 5").fetchall(),
        "index": query("SELECT count(*) FROM passage_index").fetchall(),
    }


def test_workers_and_batches_give_what_one_file_at_a_time_gives(tmp_path, monkeypatch):
    folder = folder_of_articles(tmp_path)
    one_by_one, batched = KnowledgeBase.open(tmp_path / "a.sqlite"), KnowledgeBase.open(tmp_path / "b.sqlite")
    for kb in (one_by_one, batched):  # an article already there, changed since, and one unchanged
        import_paths(kb, [folder / "tin-07.md", folder / "tin-08.md"])
    write(folder, "tin-07.md", page(7, "(bản sửa)"))

    expected = [import_file(one_by_one, path) for path in importer.expand_paths([folder])]
    monkeypatch.setattr(preparing, "PARALLEL_FROM", 1)
    monkeypatch.setattr(importer, "BATCH_FILES", 9)
    heard, workers = [], []

    def progress(index, total, result):
        heard.append((index, total, result))
        workers.append(len(multiprocessing.active_children()))

    results = import_paths(batched, [folder], progress)

    assert results == expected
    assert [(i, t) for i, t, _ in heard] == [(i, len(expected)) for i in range(1, len(expected) + 1)]
    assert [r for _, _, r in heard] == results
    statuses = {r.name: (r.status, r.detail) for r in results}
    assert statuses["tin-07.md"][0] == "updated" and statuses["tin-08.md"][0] == "unchanged"
    assert statuses["tin-05b.md"] == ("unchanged", "trùng nội dung với tin-05.md")
    assert statuses["zz-ban-sao.md"] == ("unchanged", "trùng nội dung với tin-00.md")
    assert statuses["hong.txt"][0] == "failed" and statuses["README.md"][0] == "skipped"
    assert rows(batched) == rows(one_by_one)
    if len(os.sched_getaffinity(0)) > 1:
        assert max(workers) >= 2  # the files were parsed in worker processes
    assert {r.status for r in import_paths(batched, [folder])} <= {"unchanged", "failed", "skipped"}


def test_an_article_tokenized_before_an_abbreviation_change_is_tokenized_again(empty_kb):
    raw = "# Tin về xyzw\n\nSở giới thiệu chương trình xyzw năm 2026 cho doanh nghiệp.\n".encode()
    prepared = empty_kb.prepare(parse_document("tin.md", raw))  # as a worker process would, earlier
    empty_kb.set_abbreviation("xyzw", "đổi mới sáng tạo")
    empty_kb.save_prepared("tin.md", prepared, hashlib.sha256(raw).hexdigest())
    [(folded, title)] = empty_kb.conn.execute("SELECT p.folded, a.title_folded FROM passages p "
                                              "JOIN articles a ON a.id = p.article_id").fetchall()
    assert "doi moi sang tao" in folded and "doi moi sang tao" in title and "xyzw" not in folded
