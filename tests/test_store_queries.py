"""What the answering side asks the database for one question: the source of a reply looked up through
an index (never by reading every article), and full-text searches repeated within a question run once,
yet never answered from before a change to the knowledge base."""
from __future__ import annotations

import re
import sqlite3

from handlers.conversation import Conversation
from knowledge.ingest.importer import import_bytes
from knowledge.fulltext import Query, cascade
from knowledge.store import SCHEMA_VERSION, KnowledgeBase
from knowledge.text import exact_key

SHRIMP = ("Tiêu đề: Hội thảo nuôi tôm siêu thâm canh\nNgày đăng: 20/11/2026\n\n"
          "Ngày 20/11/2026, Sở tổ chức hội thảo nuôi tôm siêu thâm canh tại quận Ô Môn với 120 hộ tham dự.\n")
QUESTION = "Hội thảo nuôi tôm siêu thâm canh có bao nhiêu hộ tham dự?"


def _article_scans(kb: KnowledgeBase, question: str) -> list[str]:
    """The plans of the statements that read the articles table row by row when ``question`` is answered
    (by a conversation that has built its engines' indexes, as every process does once)."""
    conversation = Conversation(kb)
    conversation.answer("xin chào")
    statements: list[str] = []
    kb.conn.set_trace_callback(statements.append)
    try:
        reply = conversation.answer(question)
    finally:
        kb.conn.set_trace_callback(None)
    assert reply.answered and reply.source
    scans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            plan = " ".join(row[-1] for row in kb.conn.execute("EXPLAIN QUERY PLAN " + sql))
            if re.search(r"SCAN (?:a|articles)\b(?! USING)", plan):
                scans.append(f"{sql}: {plan}")
    return scans


def test_a_replys_source_is_found_without_reading_every_article(sample_kb):
    assert import_bytes(sample_kb, "https://sokhcn.cantho.gov.vn/tom", "tom.txt", SHRIMP.encode()).status == "added"
    assert _article_scans(sample_kb, QUESTION) == []


def test_a_schema_9_database_gains_the_index_of_web_addresses(tmp_path):
    path = tmp_path / "old.sqlite"
    KnowledgeBase.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.executescript("DROP INDEX articles_url; UPDATE meta SET value = '9' WHERE key = 'schema_version';")
    conn.close()
    kb = KnowledgeBase.open(path)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION) == "13"
    assert import_bytes(kb, "https://sokhcn.cantho.gov.vn/tom", "tom.txt", SHRIMP.encode()).status == "added"
    assert _article_scans(kb, QUESTION) == []
    kb.close()


def test_a_search_repeated_within_a_question_runs_once(sample_kb):
    searches: list[str] = []
    sample_kb.conn.set_trace_callback(lambda sql: searches.append(sql) if "MATCH" in sql else None)
    assert sample_kb.search_passages('"tho"', 5) == sample_kb.search_passages('"tho"', 5) != []
    assert sample_kb.phrase_count(["can", "tho"]) == sample_kb.phrase_count(["can", "tho"]) > 0
    sample_kb.conn.set_trace_callback(None)
    assert len(searches) == 2


def test_a_search_after_a_change_sees_the_change(tmp_path):
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    assert kb.search_passages('"tom"', 5) == [] and kb.phrase_count(["tom", "sieu"]) == 0
    assert not Conversation(kb).answer(QUESTION).answered
    assert import_bytes(kb, "upload:tom.txt", "tom.txt", SHRIMP.encode()).status == "added"
    assert kb.search_passages('"tom"', 5) != [] and kb.phrase_count(["tom", "sieu"]) > 0
    assert "120 hộ" in Conversation(kb).answer(QUESTION).text
    kb.close()


def test_a_search_inside_a_write_is_never_kept(tmp_path):
    """A write may be rolled back, and its version number then reused by another change."""
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    try:
        with kb.transaction():
            assert import_bytes(kb, "upload:tom.txt", "tom.txt", SHRIMP.encode()).status == "added"
            assert kb.search_passages('"tom"', 5) != []
            raise RuntimeError("the write fails")
    except RuntimeError:
        pass
    assert kb.search_passages('"tom"', 5) == []
    kb.close()


def test_a_schema_11_database_reads_tu_as_a_word_again(tmp_path):
    """Schema 12 tokenizes every passage again: "tư vấn" had been stored as "4 vấn"."""
    path = tmp_path / "old.sqlite"
    kb = KnowledgeBase.open(path)
    assert import_bytes(kb, "https://sokhcn.cantho.gov.vn/hd", "hd.txt",
                        "Hội đồng tư vấn\n\n[01/12/2026 08:00]\n\nHội đồng tư vấn họp sáng 5/12.\n".encode()).status == "added"
    kb.close()
    with sqlite3.connect(path) as conn:
        conn.executescript("UPDATE passages SET folded = replace(folded, 'tu van', '4 van'); "
                           "UPDATE meta SET value = '11' WHERE key = 'schema_version';")
    conn.close()
    kb = KnowledgeBase.open(path)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION)
    assert all("tu van" in row[0] for row in kb.conn.execute("SELECT folded FROM passages WHERE role = 'body'"))
    kb.close()


def test_words_typed_with_their_accents_rank_the_passages_found(tmp_path):
    """A search finds an accented word in the column of accented words; that word ranks the passages as much
    as a word looked for without accents ("đỏ" of "Cờ Đỏ" puts the passage about Cờ Đỏ first)."""
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    for place, n in (("Thới Lai", 1), ("Cờ Đỏ", 2), ("Phong Điền", 3)):
        text = (f"Tiêu đề: Hội thảo số {n}\nNgày đăng: 0{n}/11/2026\n\nNăm 2023, chương trình đã hỗ trợ {n}0 cơ sở "
                f"sản xuất trên địa bàn huyện {place}, với tổng kinh phí {n} tỷ đồng và nhiều hoạt động khác.\n")
        assert import_bytes(kb, f"upload:{n}.txt", f"{n}.txt", text.encode()).status == "added"
    found = kb.search_passages(f'"2023" AND ("2023" OR exact : "{exact_key("đỏ")}")', 5)
    assert len(found) == 3 and "Cờ Đỏ" in kb.passages(found[:1])[0].text
    kb.close()


def test_a_word_most_passages_hold_ranks_nothing_and_is_never_required_by_an_or_query():
    terms = [(t, 10) for t in ('"tom"', '"hoi"', '"thao"', '"so"', '"ca"', '"nuoi"')]
    queries = cascade(terms, frozenset({'"so"', '"thao"'}))
    and_three, and_two, any_rare, any_word = queries
    assert and_three.text == '("tom" AND "hoi" AND "thao") AND ("ca" OR "nuoi")'  # the AND part keeps "thao"
    assert and_two.text == '("tom" AND "hoi") AND ("ca" OR "nuoi")'
    assert and_three.fuller is None and and_two.fuller is None
    assert any_rare == Query('"tom" OR "hoi" OR "ca"', '"tom" OR "hoi" OR "thao" OR "so" OR "ca"')
    assert any_word.text == '"tom" OR "hoi" OR "ca" OR "nuoi"'


def test_an_or_query_over_words_many_passages_hold_requires_its_rarest_words():
    """Scoring every passage that holds any word costs about a microsecond each (tens of milliseconds at 10,000
    articles): past SCORED_ROWS passages, a passage must hold one of the rarest words, the others only rank."""
    terms = [('"dot"', 4), ('"cot"', 2_500), ('"xang"', 6_000), ('"dau"', 7_000)]
    *_, any_rare = cascade(terms, limit=40)
    assert any_rare == Query('("dot" OR "cot") AND ("dot" OR "cot" OR "xang" OR "dau")', '"dot" OR "cot" OR "xang" OR "dau"')
    few = [('"dot"', 4), ('"cot"', 30), ('"xang"', 600), ('"dau"', 700)]
    assert cascade(few, limit=40)[-1] == Query('"dot" OR "cot" OR "xang" OR "dau"')  # 1,334 passages: all scored
    rare = [('"dot"', 4), ('"cot"', 50), ('"xang"', 6_000)]
    assert cascade(rare, limit=40)[-1].text == '("dot" OR "cot") AND ("dot" OR "cot" OR "xang")'


def test_an_or_query_without_the_common_words_that_finds_too_few_passages_runs_with_them(tmp_path):
    """In a small knowledge base most words are common, and a passage holding only those is still a candidate."""
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    assert import_bytes(kb, "upload:tom.txt", "tom.txt", SHRIMP.encode()).status == "added"
    held = kb.search_passages('"tom"', 5)
    assert held and kb.search_passages('"xoai"', 5) == []
    assert kb.search_passages('"xoai"', 5, fuller='"xoai" OR "tom"') == held
    assert kb.index_rows() >= len(held)
    kb.close()
