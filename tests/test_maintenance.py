"""Index hygiene on real SQLite files: deleting or replacing large articles bloats the full-text
index and frees pages; maintenance compacts the index (FTS5 optimize) and the file (VACUUM) when
they need it, without changing what the bot answers; ``kb stats`` and ``kb maintain`` show it, and
the running bot does it on its own."""
from __future__ import annotations

import asyncio
import sqlite3

from bot.cli import main
from bot.upkeep import maintain_daily
from handlers.conversation import Conversation, ConversationConfig
from knowledge import maintenance
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from support import write

LARGE_ARTICLES, PARAGRAPHS = 8, 800  # together ~400 index blocks (1.5 MB)


def large_articles(folder, version: str = "v1"):
    folder.mkdir(exist_ok=True)
    for i in range(LARGE_ARTICLES):
        body = "\n\n".join(f"Đoạn {j} ({version}): Sở Khoa học và Công nghệ báo cáo kết quả nhiệm vụ số "
                           f"{i * 10_000 + j}, chuyển đổi số nông nghiệp tại quận Ninh Kiều."
                           for j in range(PARAGRAPHS))
        write(folder, f"bao-cao-{i}.md", f"# Báo cáo tổng kết số {i}\n\nNgày đăng: 01/10/2026\n\n{body}\n")
    return folder


def delete_large_articles(kb: KnowledgeBase) -> None:
    for article in kb.articles(search="Báo cáo tổng kết số"):
        kb.delete_article(article["id"])


def integrity(kb: KnowledgeBase) -> None:
    """FTS5's own check that the index matches the passages (raises if not), and one row each."""
    kb.conn.execute("INSERT INTO passage_index(passage_index) VALUES ('integrity-check')")
    passages = {r[0] for r in kb.conn.execute("SELECT id FROM passages")}
    assert passages == {r[0] for r in kb.conn.execute("SELECT rowid FROM passage_index")}


def answers(kb: KnowledgeBase) -> list[str]:
    conversation = Conversation(kb, ConversationConfig(rate_limit_messages=1000))
    return [conversation.answer(q).text for q in ("hội nghị giao ban lần 13 ngày nào", "sdt so khcn",
                                                  "Mạng E.Mekong là gì?")]


def test_deleting_large_articles_bloats_the_index_and_maintain_compacts_it(sample_kb, tmp_path):
    fresh_answers, fresh = answers(sample_kb), maintenance.health(sample_kb)
    import_paths(sample_kb, [large_articles(tmp_path / "big")])
    delete_large_articles(sample_kb)
    bloated = maintenance.health(sample_kb)
    assert bloated.passages == fresh.passages
    assert bloated.index_blocks > 20 * fresh.index_blocks  # the deleted articles' entries are still there
    assert bloated.free_share > maintenance.FREE_SHARE
    assert maintenance.bloated(sample_kb, bloated)
    version = sample_kb.version()

    outcome = maintenance.maintain(sample_kb)

    assert outcome.optimized and outcome.vacuumed and outcome.before == bloated
    assert outcome.after.index_blocks <= fresh.index_blocks + 2 and outcome.after.index_segments == 1
    assert outcome.after.free_pages == 0 and outcome.after.pages < bloated.pages / 5
    integrity(sample_kb)
    assert sample_kb.version() == version  # nothing the bot says has changed
    assert answers(sample_kb) == fresh_answers
    assert sqlite3.connect(sample_kb.path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_healthy_database_is_left_alone(sample_kb, tmp_path):
    import_paths(sample_kb, [large_articles(tmp_path / "big")])
    first = maintenance.maintain(sample_kb)  # never optimized: the first run sets the compact size
    assert first.optimized and not first.vacuumed
    import_paths(sample_kb, [write(tmp_path, "them.md", "# Tin mới\n\nSở tổ chức hội thảo nuôi tôm.\n")])
    again = maintenance.maintain(sample_kb)  # new articles grow the index in proportion: not bloat
    assert not again.optimized and not again.vacuumed and again.before == again.after


def test_vacuum_only_when_over_a_quarter_of_the_file_is_free(sample_kb):
    def free_up(share: float) -> float:
        """Grow the file with log rows, then delete them, leaving about ``share`` of it free."""
        pages = sample_kb.conn.execute("PRAGMA page_count").fetchone()[0]
        with sample_kb.transaction():
            for _ in range(int(pages * share / (1 - share)) * 2):
                sample_kb.insert("query_log", {"ts": "2020-01-01T00:00:00", "channel": "web", "question": "x" * 1800,
                                               "kind": "fallback", "answered": 0})
        with sample_kb.transaction():
            sample_kb.conn.execute("DELETE FROM query_log")
        return maintenance.health(sample_kb).free_share

    assert 0.05 < free_up(0.15) < maintenance.FREE_SHARE
    assert not maintenance.maintain(sample_kb).vacuumed
    assert free_up(0.6) > maintenance.FREE_SHARE
    outcome = maintenance.maintain(sample_kb)
    assert outcome.vacuumed and outcome.after.free_pages == 0 and not outcome.optimized


def test_an_import_that_replaces_large_articles_compacts_the_index(sample_kb, tmp_path):
    folder = large_articles(tmp_path / "big")
    import_paths(sample_kb, [folder])
    maintenance.maintain(sample_kb)
    compact = maintenance.health(sample_kb)
    for version in ("v2", "v3", "v4"):  # each new version leaves the old one's entries behind, until maintained
        results = import_paths(sample_kb, [large_articles(folder, version)])
        assert {r.status for r in results} == {"updated"}
    after = maintenance.health(sample_kb)
    assert not maintenance.bloated(sample_kb, after)
    assert after.index_blocks < 1.5 * compact.index_blocks
    integrity(sample_kb)


def test_kb_stats_shows_the_index_and_free_pages(sample_kb, tmp_path, capsys):
    import_paths(sample_kb, [large_articles(tmp_path / "big")])
    delete_large_articles(sample_kb)
    state = maintenance.health(sample_kb)
    assert main(["kb", "stats", "--db", sample_kb.path]) == 0
    out = capsys.readouterr().out
    assert f"passages       {state.passages}" in out
    assert f"chỉ mục toàn văn: {state.index_blocks} khối, {state.index_bytes / 1e6:.2f} MB, " in out
    assert f"{state.free_pages}/{state.pages} trang trống" in out


def test_kb_maintain_prints_the_figures_before_and_after(sample_kb, tmp_path, capsys):
    import_paths(sample_kb, [large_articles(tmp_path / "big")])
    delete_large_articles(sample_kb)
    before = maintenance.health(sample_kb)
    assert main(["kb", "maintain", "--db", sample_kb.path]) == 0
    out = capsys.readouterr().out
    after = maintenance.health(sample_kb)
    assert after.index_blocks < before.index_blocks / 10 and after.free_pages == 0
    assert out.index("Trước:") < out.index(f"{before.index_blocks} khối") < out.index("Sau:") \
        < out.index(f"{after.index_blocks} khối")
    assert "Đã tối ưu chỉ mục toàn văn" in out and "Đã thu gọn tệp (VACUUM)" in out
    assert main(["kb", "maintain", "--if-needed", "--db", sample_kb.path]) == 0
    assert "chưa cần tối ưu" in capsys.readouterr().out


async def test_the_running_bot_maintains_the_database_in_the_background(sample_kb, tmp_path):
    import_paths(sample_kb, [large_articles(tmp_path / "big")])
    delete_large_articles(sample_kb)
    bloated = maintenance.health(sample_kb)
    task = asyncio.create_task(maintain_daily(sample_kb.path, "", interval=0.05))
    try:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if maintenance.health(sample_kb).free_pages == 0:
                break
    finally:
        task.cancel()
    after = maintenance.health(sample_kb)
    assert after.index_blocks < bloated.index_blocks / 10 and after.free_pages == 0
    integrity(sample_kb)
