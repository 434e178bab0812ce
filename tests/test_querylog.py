"""The query log: feedback, retention, per-user deletion, grouping, statistics, export."""
import csv
import datetime as dt
import io
import json
import subprocess
import sys

from handlers.messages import IncomingMessage
from knowledge import querylog
from knowledge.querylog import LogFilter
from support import ROOT


def ask(conversation, text, user="u1", channel="web"):
    return conversation.respond(IncomingMessage(channel, "c", user, text))[0]


def test_feedback_only_from_the_person_who_asked(conversation):
    reply = ask(conversation, "sđt sở", user="alice")
    other = conversation.feedback(IncomingMessage("web", "c", "mallory", None), reply.log_id, -1)
    assert "Không ghi nhận" in other.text
    mine = conversation.feedback(IncomingMessage("web", "c", "alice", None), reply.log_id, 1)
    assert "Cảm ơn" in mine.text
    [row] = querylog.rows(conversation.kb, LogFilter(feedback=1))
    assert row["id"] == reply.log_id


def test_prune_deletes_only_rows_older_than_retention(conversation):
    kb = conversation.kb
    ask(conversation, "sđt sở")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)).isoformat()
    kb.log_query(ts=old, channel="web", user_hash="x", question="cũ", kind="fallback", answered=0)
    assert querylog.prune(kb, 365) == 1
    assert [r["question"] for r in querylog.rows(kb)] == ["sđt sở"]


def test_forget_user_deletes_all_their_rows(conversation):
    ask(conversation, "sđt sở", user="bob")
    ask(conversation, "email sở", user="bob")
    ask(conversation, "fax sở", user="carol")
    bob = conversation.kb.hash_user("web:bob")
    assert querylog.forget_user(conversation.kb, bob) == 2
    assert [r["question"] for r in querylog.rows(conversation.kb)] == ["fax sở"]


def test_alike_unanswered_questions_are_grouped_and_resolved(conversation):
    for text in ("lịch thi bằng lái xe", "lich thi bang lai xe", "Lịch thi bằng lái xe?", "giá vàng hôm nay"):
        ask(conversation, text)
    groups = querylog.unanswered_groups(conversation.kb)
    assert [g.count for g in groups] == [1, 3]
    work_hours = groups[1]
    assert len(work_hours.variants) == 3
    querylog.resolve_group(conversation.kb, work_hours.row_ids, "faq:1")
    assert [g.question for g in querylog.unanswered_groups(conversation.kb)] == ["giá vàng hôm nay"]


def test_filters(conversation):
    ask(conversation, "sđt sở", channel="zalo")
    ask(conversation, "giá vàng hôm nay", channel="telegram")
    assert [r["channel"] for r in querylog.rows(conversation.kb, LogFilter(answered=False))] == ["telegram"]
    assert querylog.count(conversation.kb, LogFilter(channel="zalo", text="sđt")) == 1
    today = dt.date.today().isoformat()
    assert querylog.count(conversation.kb, LogFilter(since=today, until=today)) == 2
    assert querylog.count(conversation.kb, LogFilter(until="2000-01-01")) == 0
    assert querylog.count(conversation.kb, LogFilter(until="9999-12-31")) == 2  # the last day, no overflow


def test_stats_on_an_empty_and_a_large_log(conversation):
    empty = querylog.stats(conversation.kb)
    assert empty.total == 0 and empty.median_ms is None and empty.per_day == {}
    written = querylog.demo(conversation.kb, conversation.answer, days=50, per_day=400)
    assert written >= 10_000
    stats = querylog.stats(conversation.kb)
    assert stats.total == written and 0 < stats.answered < written
    assert 50 <= len(stats.per_day) <= 51 and stats.top_questions and stats.p95_ms >= stats.median_ms


def test_cli_export_csv_with_bom_parses_back(conversation, tmp_path):
    ask(conversation, "sđt sở, số 0912345678")
    out = tmp_path / "log.csv"
    result = subprocess.run([sys.executable, str(ROOT / "run_bot.py"), "logs", "export", "--db",
                             conversation.kb.path, "--format", "csv", "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["question"] == "sđt sở, số [số điện thoại]" and row["channel"] == "web"


def test_cli_export_json_and_tail_and_unanswered(conversation):
    ask(conversation, "giá vàng hôm nay")
    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "run_bot.py"), "logs", *args, "--db",
                               conversation.kb.path], capture_output=True, text=True, timeout=60)
    [line] = run("export", "--format", "json").stdout.splitlines()
    assert json.loads(line)["question"] == "giá vàng hôm nay"
    assert "giá vàng hôm nay" in run("tail").stdout
    assert "[1 lần" in run("unanswered").stdout
    assert "Câu hỏi: 1" in run("stats").stdout


def test_different_needs_are_not_grouped_because_they_share_words(conversation):
    kb = conversation.kb
    for question in ("số fax sở khcn", "địa chỉ sở khcn ở đâu", "sđt sở", "số điện thoại phòng kinh tế ô môn"):
        kb.log_query(channel="web", user_hash="x", question=question, kind="fallback", answered=0,
                     normalized=" ".join(t.folded for t in kb.normalizer().tokenize(question)))
    assert sorted(g.count for g in querylog.unanswered_groups(kb)) == [1, 1, 1, 1]
