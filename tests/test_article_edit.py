"""Editing an article's title, date and web address, and retiring it (kept, never answered from)
and restoring it: over HTTP as a staff member and from the CLI, checked against what both answer
engines say, with the audit trail; plus the schema migration that adds ``articles.retired``."""
from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest

from bot.cli import main
from handlers.conversation import Conversation, ConversationConfig
from knowledge import audit, management, store
from knowledge.ingest.importer import import_bytes
from knowledge.store import SCHEMA_VERSION, KnowledgeBase
from web_support import csrf

ARTICLE = ("Tiêu đề: Hội thảo công nghệ nuôi tôm siêu thâm canh năm 2026\nNgày đăng: 20/11/2026\n\n"
           "Ngày 20/11/2026, Sở tổ chức hội thảo công nghệ nuôi tôm siêu thâm canh tại quận Ô Môn "
           "với 120 hộ nuôi tôm tham dự. Mô hình nuôi tôm siêu thâm canh đạt năng suất 40 tấn mỗi hecta.\n")
QUESTION = "Hội thảo nuôi tôm siêu thâm canh có bao nhiêu hộ tham dự?"
ENGINES = ("combined", "matcher", "fitted")
URL = "https://sokhcn.cantho.gov.vn/hoi-thao-tom"


def _shrimp_article(kb: KnowledgeBase) -> int:
    assert import_bytes(kb, "upload:hoi-thao-tom.txt", "hoi-thao-tom.txt", ARTICLE.encode()).status == "added"
    return kb.find_article("upload:hoi-thao-tom.txt")["id"]


def _conversations(kb: KnowledgeBase) -> dict[str, Conversation]:
    return {engine: Conversation(kb, ConversationConfig(rate_limit_messages=1000, answer_engine=engine))
            for engine in ENGINES}


def _answers_from_it(conversation: Conversation, title: str) -> bool:
    reply = conversation.answer(QUESTION)
    return reply.answered and "120 hộ" in reply.text and (reply.source or {}).get("title") == title


async def _post(client, path: str, **data):
    return await client.post(path, data={"csrf": await csrf(client), **data}, allow_redirects=False)


async def test_the_article_page_shows_where_the_page_was_taken_from(staff, sample_kb):
    text = ARTICLE + "\nTheo Báo Cần Thơ\n"
    assert import_bytes(sample_kb, "upload:tom-bao.txt", "tom-bao.txt", text.encode()).status == "added"
    article_id = sample_kb.find_article("upload:tom-bao.txt")["id"]
    page = unescape(await (await staff.get(f"/admin/articles/{article_id}")).text())
    assert "<dt>Lấy theo</dt><dd>Báo Cần Thơ</dd>" in page


async def test_edited_title_date_and_url_show_in_the_answers_source(staff, sample_kb):
    article_id = _shrimp_article(sample_kb)
    old_title = sample_kb.article(article_id)["title"]
    conversations = _conversations(sample_kb)
    for conversation in conversations.values():  # warm each engine's caches: the edit must reload them
        assert _answers_from_it(conversation, old_title)
    new_title = "Hội thảo nuôi tôm ở Thới Lai"
    response = await _post(staff, f"/admin/articles/{article_id}/edit", title=new_title, date="05/12/2026", url=URL)
    assert response.status == 303
    page = unescape(await (await staff.get(f"/admin/articles/{article_id}")).text())
    assert "Đã lưu thông tin bài viết" in page and 'value="05/12/2026"' in page
    for engine, conversation in conversations.items():
        reply = conversation.answer(QUESTION)
        assert reply.answered and reply.source["title"] == new_title, engine
        assert (reply.source["date"], reply.source["url"]) == ("2026-12-05", URL)
    # the new title is in the full-text index: a search for its words finds the article's passages
    found = sample_kb.search_passages('title : "thoi lai"', 10)
    assert found and {p.article_id for p in sample_kb.passages(found)} == {article_id}
    entry = audit.entries(sample_kb)[0]
    assert entry["action"] == "article.edit" and entry["actor"] == "web:lan"
    assert entry["before"] == {"title": old_title, "date": "2026-11-20", "url": None}
    assert entry["after"] == {"title": new_title, "date": "2026-12-05", "url": URL}


@pytest.mark.parametrize("field, value, message", [
    ("date", "31/02/2026", "Ngày «31/02/2026» không hợp lệ"),
    ("date", "hôm qua", "không hợp lệ"),
    ("url", "javascript:alert(1)", "Địa chỉ web phải bắt đầu bằng http:// hoặc https://"),
    ("url", "ftp://sokhcn.cantho.gov.vn/a", "Địa chỉ web phải bắt đầu bằng http://"),
    ("title", "   ", "Tiêu đề phải có từ 1 đến"),
])
async def test_bad_date_url_or_title_is_refused_in_vietnamese_and_nothing_changes(staff, sample_kb, field, value,
                                                                                 message):
    article_id = _shrimp_article(sample_kb)
    before, version = sample_kb.article(article_id), sample_kb.version()
    fields = {"title": before["title"], "date": "20/11/2026", "url": "", field: value}
    response = await _post(staff, f"/admin/articles/{article_id}/edit", **fields)
    html = unescape(await response.text())
    assert response.status == 400 and message in html
    assert f'value="{value}"' in html or field == "title"  # what was typed is kept in the form
    assert sample_kb.article(article_id) == before and sample_kb.version() == version
    assert not [e for e in audit.entries(sample_kb) if e["action"] == "article.edit"]


async def test_retired_article_is_never_answered_from_until_restored(staff, sample_kb):
    article_id = _shrimp_article(sample_kb)
    title = sample_kb.article(article_id)["title"]
    conversations = _conversations(sample_kb)
    assert all(_answers_from_it(c, title) for c in conversations.values())
    assert (await _post(staff, f"/admin/articles/{article_id}/retire")).status == 303
    page = unescape(await (await staff.get(f"/admin/articles/{article_id}")).text())
    assert f"Đã ngừng dùng bài «{title}»" in page and "Dùng lại" in page
    assert "(ngừng dùng)" in unescape(await (await staff.get("/admin/articles")).text())
    for engine, conversation in conversations.items():
        reply = conversation.answer(QUESTION)
        assert "120 hộ" not in reply.text and (reply.source or {}).get("title") != title, engine
        assert title not in reply.suggestions, engine
    assert sample_kb.article(article_id)["passages"]  # kept
    assert (await _post(staff, f"/admin/articles/{article_id}/retire")).status == 303  # twice: refused
    assert "đã ngừng dùng rồi" in unescape(await (await staff.get(f"/admin/articles/{article_id}")).text())
    assert (await _post(staff, f"/admin/articles/{article_id}/restore")).status == 303
    assert all(_answers_from_it(c, title) for c in conversations.values())
    actions = [e["action"] for e in audit.entries(sample_kb) if e["target"] == f"article {article_id}"]
    assert actions == ["article.restore", "article.retire"]


def test_retired_article_stays_retired_when_its_file_is_imported_again(sample_kb):
    article_id = _shrimp_article(sample_kb)
    management.retire_article(sample_kb, "test", article_id)
    changed = ARTICLE.replace("120 hộ", "150 hộ").encode()
    assert import_bytes(sample_kb, "upload:hoi-thao-tom.txt", "hoi-thao-tom.txt", changed).status == "updated"
    assert sample_kb.find_article("upload:hoi-thao-tom.txt")["retired"] == 1
    assert "150 hộ" not in Conversation(sample_kb).answer(QUESTION).text


def test_contacts_of_a_retired_article_are_not_used(sample_kb):
    key = "phong kinh te quan o mon"
    (article_id,) = {r[0] for r in sample_kb.conn.execute("SELECT article_id FROM contacts WHERE unit_key = ?", (key,))}
    assert key in sample_kb.contact_units() and sample_kb.resolve_contacts(key)
    management.retire_article(sample_kb, "test", article_id)
    assert key not in sample_kb.contact_units() and sample_kb.resolve_contacts(key) == {}
    management.set_contact(sample_kb, "test", "phone", "0292 111 222", pinned=True, unit="Phòng Kinh tế quận Ô Môn")
    assert sample_kb.resolve_contacts(key)["phone"].value == "0292 111 222"  # the staff's own value still counts
    management.retire_article(sample_kb, "test", article_id, retired=False)
    assert sample_kb.resolve_contacts(key)["email"].value == "kinhte_omon@cantho.gov.vn"


def test_cli_edits_retires_and_restores_an_article(sample_kb, capsys):
    article_id = _shrimp_article(sample_kb)
    db = sample_kb.path
    assert main(["kb", "article", "edit", str(article_id), "--title", "Hội thảo tôm 2026", "--date", "2026-12-01",
                 "--db", db]) == 0
    assert "Đã lưu bài viết" in capsys.readouterr().out
    article = sample_kb.article(article_id)
    assert (article["title"], article["published"], article["url"]) == ("Hội thảo tôm 2026", "2026-12-01", None)
    assert main(["kb", "article", "edit", str(article_id), "--url", "http://x", "--date", "1/13/2026",
                 "--db", db]) == 2
    assert "không hợp lệ" in capsys.readouterr().err and sample_kb.article(article_id)["url"] is None
    assert main(["kb", "article", "retire", str(article_id), "--db", db]) == 0
    assert main(["kb", "article", "list", "--search", "tôm 2026", "--db", db]) == 0
    assert f"[{article_id}] 01/12/2026 Hội thảo tôm 2026 (ngừng dùng)" in capsys.readouterr().out
    assert "120 hộ" not in Conversation(sample_kb).answer(QUESTION).text
    assert main(["kb", "article", "restore", str(article_id), "--db", db]) == 0
    assert main(["kb", "article", "restore", str(article_id), "--db", db]) == 2
    assert main(["kb", "article", "retire", "999999", "--db", db]) == 2
    assert "Không có bài viết số 999999" in capsys.readouterr().err
    assert "120 hộ" in Conversation(sample_kb).answer(QUESTION).text
    actions = [e["action"] for e in audit.entries(sample_kb)][:3]
    assert actions == ["article.restore", "article.retire", "article.edit"]
    assert audit.entries(sample_kb)[0]["actor"].startswith("cli:")


def test_schema_12_database_gains_the_byline_and_reads_its_files_again(tmp_path):
    path = tmp_path / "old.sqlite"
    kb = KnowledgeBase.open(path)
    _shrimp_article(kb)
    kb.close()
    with sqlite3.connect(path) as conn:  # a database of schema 12: its synonym defaults, one deleted by staff
        conn.executescript("ALTER TABLE articles DROP COLUMN origin; UPDATE meta SET value = '12' WHERE key = 'schema_version';"
                           "DELETE FROM synonyms WHERE phrases LIKE 'trực tuyến|%' OR phrases LIKE 'vi phạm|%';")
    conn.close()
    kb = KnowledgeBase.open(path)
    assert "origin" in kb.db["articles"].columns_dict
    assert [row["content_hash"] for row in kb.iter_rows("SELECT content_hash FROM articles")] == [""]
    groups = [phrases for _, phrases in kb.synonyms()]
    assert ["trực tuyến", "online", "qua mạng"] in groups  # a default added with schema 13
    assert not [g for g in groups if g[0] == "vi phạm"]  # what staff deleted stays deleted
    kb.close()


def test_schema_5_database_gains_the_retired_column(tmp_path):
    path = tmp_path / "old.sqlite"
    KnowledgeBase.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.executescript("DROP INDEX articles_retired; ALTER TABLE articles DROP COLUMN retired; "
                           "UPDATE meta SET value = '5' WHERE key = 'schema_version';")
    conn.close()
    kb = KnowledgeBase.open(path)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION) == "13"
    assert "retired" in kb.db["articles"].columns_dict
    _shrimp_article(kb)
    assert "120 hộ" in Conversation(kb).answer(QUESTION).text
    kb.close()


def test_leaving_out_retired_articles_reads_an_index_not_the_articles_table(sample_kb):
    """Every search, phrase count and contact lookup leaves out retired articles' rows: through the
    partial index of retired articles, never by reading each article row (large ones at 10,000 pages)."""
    for sql in ("SELECT rowid FROM passage_index WHERE passage_index MATCH 'tho' AND " + store._LIVE_PASSAGE,
                "SELECT id FROM contacts WHERE " + store._LIVE_CONTACT):
        plan = " ".join(row[-1] for row in sample_kb.conn.execute("EXPLAIN QUERY PLAN " + sql))
        scans = re.findall(r"SCAN (?:a|articles)\b(?: USING (?:\w+ )?INDEX \w+)?", plan)
        assert scans == [scans[0]] and scans[0].endswith("articles_retired"), plan
