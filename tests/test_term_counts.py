"""The document counts kept in the database (``term_counts``): every write that adds, replaces,
deletes, retires, restores or re-titles passages keeps them equal to a full recount, in the same
transaction; an answering process reads only the terms changed since the version it knew, and keeps
the views of the articles that did not change, so that a staff edit costs it little."""
from __future__ import annotations

import sqlite3

import pytest

from bot.workers import open_read_only
from handlers.conversation import Answerer, Conversation
from knowledge.answer.engine import AnswerEngine
from knowledge.ingest.importer import import_bytes, import_paths
from knowledge.matcher import Matcher
from knowledge.store import SCHEMA_VERSION, KnowledgeBase, StoreError
from support import SAMPLES

ARTICLE = ("Tiêu đề: Hội thảo công nghệ nuôi tôm siêu thâm canh năm 2026\nNgày đăng: 20/11/2026\n\n"
           "Ngày 20/11/2026, Sở tổ chức hội thảo công nghệ nuôi tôm siêu thâm canh tại quận Ô Môn "
           "với 120 hộ nuôi tôm tham dự. Mô hình nuôi tôm siêu thâm canh đạt năng suất "
           "40 tấn mỗi hecta.\n\n"
           "Liên hệ: Trung tâm Ứng dụng tiến bộ khoa học và công nghệ, "
           "điện thoại 0292 3820 000.\n")
QUESTION = "Hội thảo nuôi tôm siêu thâm canh có bao nhiêu hộ tham dự?"


def _same_as_a_recount(*kbs: KnowledgeBase) -> None:
    """What each connection reads (incrementally, after its first read) is what a full count gives."""
    passages, folded, exact = kbs[0].term_document_counts()
    for kb in kbs:
        got = kb.term_counts()
        assert got[0] == passages
        assert got[1] == folded, sorted(set(got[1].items()) ^ set(folded.items()))[:10]
        assert got[2] == exact, sorted(set(got[2].items()) ^ set(exact.items()))[:10]


def _shrimp(kb: KnowledgeBase, text: str = ARTICLE) -> int:
    assert import_bytes(kb, "upload:tom.txt", "tom.txt", text.encode()).status in ("added", "updated")
    return kb.find_article("upload:tom.txt")["id"]


def test_every_write_keeps_the_counts_equal_to_a_recount(sample_kb, tmp_path):
    reader = open_read_only(sample_kb.path)  # a worker's connection: reads what changed since its last read
    _same_as_a_recount(sample_kb, reader)
    article_id = _shrimp(sample_kb)
    _same_as_a_recount(sample_kb, reader)
    _shrimp(sample_kb, ARTICLE.replace("120 hộ", "150 hộ nông dân"))  # replaced
    _same_as_a_recount(sample_kb, reader)
    article_id = sample_kb.find_article("upload:tom.txt")["id"]
    with sample_kb.transaction():
        sample_kb.set_retired(article_id, True)
    assert "tom" not in sample_kb.term_counts()[1] or sample_kb.term_counts()[1]["tom"] < 2
    _same_as_a_recount(sample_kb, reader)
    with sample_kb.transaction():
        sample_kb.set_retired(article_id, True)  # retired twice: counted out once
        sample_kb.edit_article(article_id, "Tôm càng xanh đổi tên", None, None)  # a retired one: nothing counted
    _same_as_a_recount(sample_kb, reader)
    with sample_kb.transaction():
        sample_kb.set_retired(article_id, False)
    _same_as_a_recount(sample_kb, reader)
    with sample_kb.transaction():
        sample_kb.edit_article(article_id, "Mô hình nuôi tôm ở Ô Môn", "2026-11-21", None)
    _same_as_a_recount(sample_kb, reader)
    other = sample_kb.conn.execute("SELECT min(id) FROM articles").fetchone()[0]
    assert sample_kb.delete_article(other)
    _same_as_a_recount(sample_kb, reader)
    sample_kb.set_abbreviation("ntsc", "nuôi tôm siêu thâm canh")  # every passage tokenized again
    _same_as_a_recount(sample_kb, reader)
    sample_kb.conn.execute("UPDATE articles SET content_hash = ''")
    import_paths(sample_kb, [SAMPLES])  # all of them replaced, in one batch transaction
    _same_as_a_recount(sample_kb, reader)
    fresh = open_read_only(sample_kb.path)  # a new worker reads them in full
    _same_as_a_recount(sample_kb, fresh)
    reader.close(), fresh.close()


def test_a_failed_write_changes_no_count(sample_kb):
    reader = open_read_only(sample_kb.path)
    before = sample_kb.term_document_counts()
    article_id = sample_kb.conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    with pytest.raises(RuntimeError), sample_kb.transaction():
        sample_kb.set_retired(article_id, True)
        sample_kb.delete_article(article_id - 1)
        raise RuntimeError("the staff member's request failed half-way")
    assert sample_kb.term_document_counts() == before
    _same_as_a_recount(sample_kb, reader)
    sample_kb.conn.execute("PRAGMA query_only = ON")  # a write that the database refuses
    with pytest.raises(StoreError):
        _shrimp(sample_kb)
    sample_kb.conn.execute("PRAGMA query_only = OFF")
    _same_as_a_recount(sample_kb, reader)
    reader.close()


def test_an_answering_process_never_counts_the_whole_base_again(sample_kb, monkeypatch):
    reader = open_read_only(sample_kb.path)
    answerer = Answerer(reader, "combined")  # as in a worker process
    answerer.warm()
    monkeypatch.setattr(KnowledgeBase, "term_document_counts",
                        lambda self: pytest.fail("the answering side counted every passage again"))
    _shrimp(sample_kb)
    match = answerer.match(QUESTION, None)
    assert match.answered and "120 hộ" in match.text
    reader.close()


def test_views_of_unchanged_articles_are_kept_and_changed_ones_built_again(sample_kb):
    engine = AnswerEngine(sample_kb)
    article_id = _shrimp(sample_kb)  # the newest article: its id is taken again when it is replaced
    assert "120 hộ" in engine.match(QUESTION).text
    views = dict(engine.index().articles)
    assert article_id in views
    sample_kb.add_faq("Câu hỏi khác hẳn?", [], "Trả lời.")  # a new version, no article changed
    kept = engine.index().articles
    assert kept == views and all(kept[key] is view for key, view in views.items())
    assert _shrimp(sample_kb, ARTICLE.replace("120 hộ", "150 hộ")) == article_id  # same id, new text
    assert article_id not in engine.index().articles
    assert "150 hộ" in engine.match(QUESTION).text
    with sample_kb.transaction():  # a new title
        sample_kb.edit_article(article_id, "Nuôi tôm siêu thâm canh ở Ô Môn", None, None)
    assert article_id not in engine.index().articles
    reply = engine.match(QUESTION)
    assert "150 hộ" in reply.text and reply.source["title"] == "Nuôi tôm siêu thâm canh ở Ô Môn"


def test_the_matcher_keeps_its_vocabulary_until_a_word_comes_or_goes(sample_kb):
    matcher = Matcher(sample_kb)
    vocabulary = matcher.index().vocabulary
    sample_kb.add_faq("Câu hỏi khác hẳn?", [], "Trả lời.")
    assert matcher.index().vocabulary is vocabulary
    _shrimp(sample_kb)
    assert "hecta" in matcher.index().vocabulary and "hecta" not in vocabulary


def test_a_schema_6_database_is_counted_on_open(tmp_path):
    path = tmp_path / "old.sqlite"
    kb = KnowledgeBase.open(path)
    import_paths(kb, [SAMPLES])
    kb.close()
    with sqlite3.connect(path) as conn:  # as version 6 left it
        conn.executescript("DROP TABLE term_counts; ALTER TABLE articles DROP COLUMN revision; "
                           "DELETE FROM meta WHERE key IN ('live_passages', 'term_counts_since'); "
                           "UPDATE meta SET value = '6' WHERE key = 'schema_version';")
    conn.close()
    reader = open_read_only(str(path))  # a read-only process before the upgrade counts as before
    counts = reader.term_counts()
    assert counts == reader.term_document_counts() and counts[0] > 0
    reader.close()
    kb = KnowledgeBase.open(path)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION)
    assert "revision" in kb.db["articles"].columns_dict
    assert kb.term_counts() == counts
    _shrimp(kb)
    _same_as_a_recount(kb, open_read_only(str(path)))
    assert "120 hộ" in Conversation(kb).answer(QUESTION).text
    kb.close()


def test_the_question_reader_is_kept_while_nothing_it_reads_changes(sample_kb):
    engine = AnswerEngine(sample_kb)
    reader = engine.index().reader
    sample_kb.add_faq("Sở có nhận hồ sơ trực tuyến không?", ["nộp hồ sơ qua mạng"], "Có.")
    index = engine.index()
    assert index.reader is reader  # an FAQ, a contact or a pin changes nothing the reader reads
    assert any(faq.answer == "Có." for faq, _, _ in index.faqs)  # the new FAQ's phrasings read when needed
    assert engine.match("nộp hồ sơ qua mạng được không").kind == "faq"
    phrasings = index._phrasings
    sample_kb.add_faq("Câu hỏi khác hẳn?", [], "Trả lời.")
    assert engine.index().reader is reader and engine.index()._phrasings is phrasings
    article_id, title = sample_kb.conn.execute("SELECT id, title FROM articles ORDER BY id DESC").fetchone()
    counts = engine.index().df_folded
    with sample_kb.transaction():  # the same words in another order: the same counts, other word pairs
        sample_kb.edit_article(article_id, " ".join(reversed(title.split())), None, None)
    assert engine.index().df_folded is counts and engine.index().reader is not reader
    reader = engine.index().reader
    with sample_kb.transaction():
        sample_kb.set_retired(article_id, True)  # the pages changed: read again
    assert engine.index().reader is not reader
    reader = engine.index().reader
    sample_kb.add_synonyms(["nộp hồ sơ", "gửi hồ sơ"])
    assert engine.index().reader is not reader
    reader = engine.index().reader
    _shrimp(sample_kb)
    assert engine.index().reader is not reader


def test_inside_a_write_the_counts_are_those_of_the_write(sample_kb):
    sample_kb.term_counts()
    with sample_kb.transaction():
        _shrimp(sample_kb)  # its counts are written to term_counts when the transaction ends
        assert sample_kb.term_counts() == sample_kb.term_document_counts()
        assert "hecta" in sample_kb.term_counts()[1]
    _same_as_a_recount(sample_kb)


def test_a_batch_of_imports_in_one_transaction_is_seen_as_changed_pages_once_it_commits(tmp_path):
    """The batch notes that pages changed once, above the version it began at: a reader that built its
    views before sees the change, one that built them after does not rebuild them."""
    path = tmp_path / "kb.sqlite"
    kb = KnowledgeBase.open(path)
    import_paths(kb, [SAMPLES])
    before = kb.version()
    reader = KnowledgeBase.open(path)
    assert reader.pages_unchanged_since(before)
    with kb.transaction():
        for n in range(3):
            text = ARTICLE.replace("120 hộ", f"{120 + n} hộ")
            import_bytes(kb, f"upload:tom{n}.txt", f"tom{n}.txt", text.encode())
    after = kb.version()
    assert after == before + 3
    assert not reader.pages_unchanged_since(before) and reader.pages_unchanged_since(after)
    kb.close()
    reader.close()
