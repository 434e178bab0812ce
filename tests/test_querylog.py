"""The query log: feedback, retention, per-user deletion, grouping, statistics, export; dates are
Vietnam calendar days."""
import csv
import datetime as dt
import io
import json
import subprocess
import sys

from handlers.messages import IncomingMessage
from knowledge import querylog
from knowledge.local_time import VIETNAM
from knowledge.querylog import LogFilter
from support import ROOT


# 23:30 on 1 November and 00:30 on 2 November, Vietnam time (UTC+7), stored in UTC
LATE_EVENING, AFTER_MIDNIGHT = "2026-11-01T16:30:00+00:00", "2026-11-01T17:30:00+00:00"


def ask(conversation, text, user="u1", channel="web"):
    return conversation.respond(IncomingMessage(channel, "c", user, text))[0]


def log_at(kb, ts, question, channel="web"):
    return kb.log_query(ts=ts, channel=channel, user_hash="h", question=question, normalized=question,
                        kind="fallback", answered=0)


def run_logs(kb, *args):
    return subprocess.run([sys.executable, str(ROOT / "run_bot.py"), "logs", *args, "--db", kb.path],
                          capture_output=True, text=True, timeout=60)


async def test_feedback_only_from_the_person_who_asked(conversation):
    reply = ask(conversation, "sđt sở", user="alice")
    other = await conversation.feedback(IncomingMessage("web", "c", "mallory", None), reply.log_id, -1)
    assert "Không ghi nhận" in other.text
    mine = await conversation.feedback(IncomingMessage("web", "c", "alice", None), reply.log_id, 1)
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
    today = dt.datetime.now(VIETNAM).date().isoformat()  # filter dates are Vietnam days
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
    [line] = run_logs(conversation.kb, "export", "--format", "json").stdout.splitlines()
    assert json.loads(line)["question"] == "giá vàng hôm nay"
    assert "giá vàng hôm nay" in run_logs(conversation.kb, "tail").stdout
    assert "[1 lần" in run_logs(conversation.kb, "unanswered").stdout
    assert "Câu hỏi: 1" in run_logs(conversation.kb, "stats").stdout


def test_dates_are_vietnam_days(sample_kb):
    log_at(sample_kb, "2026-10-31T17:00:00+00:00", "lịch thi bằng lái xe")  # 00:00 on 1 November
    log_at(sample_kb, LATE_EVENING, "giá vàng hôm nay")
    log_at(sample_kb, AFTER_MIDNIGHT, "điểm chuẩn đại học cần thơ", channel="zalo")
    def asked(since, until):
        return [r["question"] for r in querylog.rows(sample_kb, LogFilter(since=since, until=until))]
    assert asked("2026-11-01", "2026-11-01") == ["giá vàng hôm nay", "lịch thi bằng lái xe"]
    assert asked("2026-11-02", "2026-11-02") == ["điểm chuẩn đại học cần thơ"]
    assert asked("2026-10-31", "2026-10-31") == [] and asked(None, "2026-10-31") == []
    assert len(asked("0001-01-01", "9999-12-31")) == 3  # the calendar's ends
    stats = querylog.stats(sample_kb)
    assert stats.per_day == {"2026-11-01": {"web": 2}, "2026-11-02": {"zalo": 1}}
    assert stats.answered_per_day == {"2026-11-01": 0.0, "2026-11-02": 0.0}
    assert [g.question for g in querylog.unanswered_groups(sample_kb, since="2026-11-02")] == [
        "điểm chuẩn đại học cần thơ"]


def test_cli_dates_and_times_are_vietnam_time(sample_kb):
    log_at(sample_kb, LATE_EVENING, "giá vàng hôm nay")
    log_at(sample_kb, AFTER_MIDNIGHT, "điểm chuẩn đại học cần thơ")
    both = run_logs(sample_kb, "stats").stdout
    assert "Câu hỏi: 2" in both and "\n2026-11-01 " in both and "\n2026-11-02 " in both
    second = run_logs(sample_kb, "stats", "--since", "2026-11-02", "--until", "2026-11-02").stdout
    assert "Câu hỏi: 1" in second and "\n2026-11-02 " in second and "2026-11-01" not in second
    first = run_logs(sample_kb, "stats", "--until", "2026-11-01").stdout
    assert "Câu hỏi: 1" in first and "\n2026-11-01 " in first and "2026-11-02" not in first
    [line] = run_logs(sample_kb, "export", "--format", "json", "--since", "2026-11-02").stdout.splitlines()
    assert json.loads(line)["question"] == "điểm chuẩn đại học cần thơ"
    tail = run_logs(sample_kb, "tail").stdout
    assert "2026-11-01 23:30:00" in tail and "2026-11-02 00:30:00" in tail
    unanswered = run_logs(sample_kb, "unanswered", "--since", "2026-11-02").stdout
    assert "gần nhất 2026-11-02 00:30" in unanswered and "giá vàng" not in unanswered


def test_top_sources_count_articles_only_contacts_and_faqs_apart(conversation):
    kb = conversation.kb
    faq = kb.add_faq("Thủ tục đăng ký nhãn hiệu thế nào?", ["thủ tục đăng ký nhãn hiệu"],
                     "Nộp hồ sơ tại Cục Sở hữu trí tuệ.")
    questions = ("hội nghị giao ban lần 13 ngày nào", "hội nghị giao ban lần XIII diễn ra ngày nào", "sđt sở",
                 "số điện thoại và email của sở", "địa chỉ sở khcn ở đâu", "thủ tục đăng ký nhãn hiệu",
                 "giờ làm việc của sở", "giá vàng hôm nay")
    assert [ask(conversation, q).kind for q in questions] == [
        "article", "article", "contact", "contact", "contact", "faq", "hours", "fallback"]
    stats = querylog.stats(kb)
    assert stats.top_sources == [("Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII", 2)]
    assert stats.top_contacts == [("Điện thoại", 2), ("Địa chỉ", 1), ("Email", 1)]
    assert stats.top_faqs == [("Thủ tục đăng ký nhãn hiệu thế nào?", 1)]
    kb.remove_faq(faq)
    assert querylog.stats(kb).top_faqs == [(f"Câu hỏi thường gặp số {faq} (đã xoá)", 1)]
    out = run_logs(kb, "stats").stdout
    assert "Bài viết dùng nhiều nhất:" in out and "Liên hệ được hỏi nhiều nhất:" in out
    assert "      2  Điện thoại" in out and "Câu hỏi thường gặp dùng nhiều nhất:" in out


def test_demo_rows_of_faq_answers_name_their_faq(conversation):
    faq = conversation.kb.add_faq("Thủ tục đăng ký nhãn hiệu thế nào?", ["thủ tục đăng ký nhãn hiệu"],
                                  "Nộp hồ sơ tại Cục Sở hữu trí tuệ.")
    querylog.demo(conversation.kb, conversation.answer, days=5)
    faq_rows = querylog.rows(conversation.kb, LogFilter(kind="faq"))
    assert faq_rows and {r["faq_id"] for r in faq_rows} == {faq}


def test_different_needs_are_not_grouped_because_they_share_words(conversation):
    kb = conversation.kb
    for question in ("số fax sở khcn", "địa chỉ sở khcn ở đâu", "sđt sở", "số điện thoại phòng kinh tế ô môn"):
        kb.log_query(channel="web", user_hash="x", question=question, kind="fallback", answered=0,
                     normalized=" ".join(t.folded for t in kb.normalizer().tokenize(question)))
    assert sorted(g.count for g in querylog.unanswered_groups(kb)) == [1, 1, 1, 1]
