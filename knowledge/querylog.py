"""The query log, read and maintained: filters, feedback, unanswered groups, statistics,
export, retention and per-user deletion. Rows are written by ``KnowledgeBase.log_query``.

Times are stored in UTC (ISO 8601); the dates staff filter by and the days statistics count by are
Vietnam calendar days (:data:`knowledge.local_time.VIETNAM`), midnight to midnight.

Grouping: unanswered or badly rated questions whose content words are alike (rapidfuzz
token-sort ratio, once stop words and the words that only name the department are left out)
form one group, so that an admin answers a need once, not each wording. Noise ("?", "asdfgh",
see :mod:`knowledge.noise`) is left out; each group shows what its newest asker sent just before.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import random
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from rapidfuzz import fuzz

from .contacts import FIELD_LABELS_VI, FIELDS
from .csv_safe import SafeWriter
from .lexicon import QUESTION_TYPES, STOP_FOLDED
from .local_time import LABEL as LOCAL_LABEL, VIETNAM, vietnam_time
from .noise import is_noise
from .store import KnowledgeBase
from .text import fold

GROUP_SIMILARITY = 80
CONVERSATION_GAP = dt.timedelta(minutes=30)  # a question this soon after another continues its conversation
# Words that say nothing about what was asked: most questions name the department.
_NOT_THE_NEED = STOP_FOLDED | {"so", "khoa", "hoc", "va", "cong", "nghe", "can", "tho", "thanh", "pho", "cho",
                               "hoi", "toi", "nao", "gi", "the", "khong", "co"}


def _group_key(normalized: str) -> str:
    return " ".join(w for w in normalized.split() if w not in _NOT_THE_NEED)
LOG_COLUMNS = ("id", "ts", "channel", "user_hash", "question", "normalized", "kind", "answered", "score",
               "source", "faq_id", "response_ms", "feedback", "resolution")
CSV_HEADER = ("id", f"ts ({LOCAL_LABEL})", *LOG_COLUMNS[2:], "feedback_reason")


def day_start(day: str) -> str:
    """When the Vietnam calendar day ``day`` (YYYY-MM-DD) begins, as a UTC time that compares with the
    stored ones ("YYYY-MM-DDTHH:MM:SS", no offset: it sorts before the same moment stored with one).
    A day too early to say so is "" (before every stored time)."""
    start = dt.datetime.combine(dt.date.fromisoformat(day[:10]), dt.time(), VIETNAM)
    try:
        return start.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
    except OverflowError:
        return ""


def day_end(day: str) -> str:
    """When the Vietnam calendar day ``day`` ends (the next one begins), as :func:`day_start` says it;
    "~" (after every stored time) for the last day of the calendar."""
    try:
        return day_start((dt.date.fromisoformat(day[:10]) + dt.timedelta(days=1)).isoformat())
    except OverflowError:
        return "~"


@lru_cache(maxsize=4096)
def _vietnam_day(utc_hour: str) -> str:
    """The Vietnam calendar day of a stored time's hour ("YYYY-MM-DDTHH", UTC)."""
    return dt.datetime.fromisoformat(utc_hour + ":00+00:00").astimezone(VIETNAM).date().isoformat()


def ensure_columns(kb: KnowledgeBase) -> None:
    """Add the columns this module needs to databases created before it existed."""
    columns = kb.db["query_log"].columns_dict
    if "resolution" not in columns:
        kb.conn.execute("ALTER TABLE query_log ADD COLUMN resolution TEXT")


@dataclass
class LogFilter:
    since: str | None = None  # ISO date, a Vietnam calendar day, inclusive
    until: str | None = None  # ISO date, a Vietnam calendar day, inclusive
    channel: str | None = None
    kind: str | None = None
    answered: bool | None = None
    feedback: int | None = None  # 1, -1, or 0 for "none given"
    text: str | None = None

    def where(self) -> tuple[str, list]:
        clauses, args = [], []
        if self.since:
            clauses.append("ts >= ?")
            args.append(day_start(self.since))
        if self.until:
            clauses.append("ts < ?")
            args.append(day_end(self.until))
        for column in ("channel", "kind"):
            if getattr(self, column):
                clauses.append(f"{column} = ?")
                args.append(getattr(self, column))
        if self.answered is not None:
            clauses.append("answered = ?")
            args.append(int(self.answered))
        if self.feedback is not None:
            clauses.append("feedback IS NULL" if self.feedback == 0 else "feedback = ?")
            args.extend([] if self.feedback == 0 else [self.feedback])
        if self.text:
            clauses.append("(question LIKE ? OR normalized LIKE ?)")
            args.extend([f"%{self.text}%"] * 2)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def rows(kb: KnowledgeBase, filters: LogFilter | None = None, limit: int | None = None,
         offset: int = 0) -> list[dict]:
    ensure_columns(kb)
    where, args = (filters or LogFilter()).where()
    sql = f"SELECT {', '.join(LOG_COLUMNS)} FROM query_log{where} ORDER BY ts DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args = [*args, limit, offset]
    found = list(kb.iter_rows(sql, args))
    reasons = feedback_reasons(kb, [r["id"] for r in found if r["feedback"] == -1])
    for record in found:  # what was wrong with a 👎 answer, when the citizen said
        record["feedback_reason"] = reasons.get(record["id"])
    return found


def count(kb: KnowledgeBase, filters: LogFilter | None = None) -> int:
    where, args = (filters or LogFilter()).where()
    return kb.conn.execute(f"SELECT COUNT(*) FROM query_log{where}", args).fetchone()[0]


# What was wrong with a 👎-rated answer (one tap in the web chat), kept against the log row: code → what
# the citizen taps and staff read, in this order. The one list: the chat page and the admin log read it.
FEEDBACK_REASON_LABELS = {"wrong_info": "sai thông tin", "off_topic": "không đúng câu hỏi", "unclear": "khó hiểu"}
FEEDBACK_REASONS = tuple(FEEDBACK_REASON_LABELS)


def ensure_reason_table(kb: KnowledgeBase) -> None:
    kb.conn.execute("CREATE TABLE IF NOT EXISTS query_feedback_reason "
                    "(log_id INTEGER PRIMARY KEY, reason TEXT NOT NULL)")


def record_feedback(kb: KnowledgeBase, log_id: int, value: int, user_hash: str, reason: str | None = None) -> bool:
    """Store 👍 (1) or 👎 (-1) on a logged answer, with a 👎 its ``reason`` (one of
    :data:`FEEDBACK_REASONS`) if given; only the person who asked may rate it. Rating again
    replaces the rating and its reason."""
    if value not in (1, -1):
        raise ValueError("feedback is 1 or -1")
    if reason is not None and (value != -1 or reason not in FEEDBACK_REASONS):
        raise ValueError(f"reason is one of {FEEDBACK_REASONS}, with feedback -1")
    ensure_reason_table(kb)
    with kb.transaction():
        changed = kb.conn.execute("UPDATE query_log SET feedback = ? WHERE id = ? AND user_hash = ?",
                                  (value, log_id, user_hash)).rowcount
        if changed:
            kb.conn.execute("DELETE FROM query_feedback_reason WHERE log_id = ?", (log_id,))
            if reason:
                kb.conn.execute("INSERT INTO query_feedback_reason (log_id, reason) VALUES (?, ?)", (log_id, reason))
    return bool(changed)


def feedback_reasons(kb: KnowledgeBase, log_ids: Iterable[int]) -> dict[int, str]:
    """The 👎 reasons given for these log rows, by row id."""
    ensure_reason_table(kb)
    ids = list(log_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(kb.conn.execute(f"SELECT log_id, reason FROM query_feedback_reason WHERE log_id IN "
                                     f"({', '.join('?' * len(chunk))})", chunk).fetchall())
    return found


def _drop_orphan_reasons(kb: KnowledgeBase) -> None:
    ensure_reason_table(kb)
    kb.conn.execute("DELETE FROM query_feedback_reason WHERE log_id NOT IN (SELECT id FROM query_log)")


def prune(kb: KnowledgeBase, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete log rows older than the retention period; returns how many."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = (now - dt.timedelta(days=retention_days)).replace(microsecond=0).isoformat()
    with kb.transaction():
        deleted = kb.conn.execute("DELETE FROM query_log WHERE ts < ?", (cutoff,)).rowcount
        _drop_orphan_reasons(kb)
        return deleted


def forget_user(kb: KnowledgeBase, user_hash: str) -> int:
    """Delete every log row of one (hashed) user, on their request."""
    with kb.transaction():
        deleted = kb.conn.execute("DELETE FROM query_log WHERE user_hash = ?", (user_hash,)).rowcount
        _drop_orphan_reasons(kb)
        return deleted


# ----- unanswered groups -----------------------------------------------------------------
@dataclass
class Group:
    key: int  # id of the group's newest row
    question: str  # the newest wording
    variants: list[str] = field(default_factory=list)
    count: int = 0
    last_seen: str = ""
    row_ids: list[int] = field(default_factory=list)
    low_rated: int = 0
    previous: str | None = None  # what the same citizen asked just before the newest wording, if lately


def unanswered_groups(kb: KnowledgeBase, since: str | None = None, limit: int = 200) -> list[Group]:
    """Open unanswered or 👎-rated questions, alike ones grouped, newest group first."""
    ensure_columns(kb)
    sql = ("SELECT id, ts, channel, user_hash, question, normalized, answered, feedback FROM query_log "
           "WHERE (answered = 0 OR feedback = -1) AND resolution IS NULL AND kind != 'smalltalk'")
    args: list = []
    if since:
        sql += " AND ts >= ?"
        args.append(day_start(since))
    sql += " ORDER BY ts DESC, id DESC LIMIT 5000"
    groups: list[Group] = []
    keys: list[str] = []
    for row in kb.iter_rows(sql, args):
        text = _group_key(row["normalized"] or fold(row["question"]))
        if not text or is_noise(kb, row["question"]):
            continue
        for group, key in zip(groups, keys):
            if fuzz.token_sort_ratio(text, key) >= GROUP_SIMILARITY:
                break
        else:
            group = Group(row["id"], row["question"], last_seen=row["ts"], previous=_previous(kb, row))
            groups.append(group)
            keys.append(text)
        group.count += 1
        group.row_ids.append(row["id"])
        group.low_rated += int(row["feedback"] == -1)
        if row["question"] not in group.variants and len(group.variants) < 10:
            group.variants.append(row["question"])
    return groups[:limit]


def _previous(kb: KnowledgeBase, row: dict) -> str | None:
    """The question the same citizen sent on the same channel just before ``row``, within
    :data:`CONVERSATION_GAP` (the same conversation), if any."""
    if not row["user_hash"]:
        return None
    start = (dt.datetime.fromisoformat(row["ts"]) - CONVERSATION_GAP).isoformat()
    found = kb.conn.execute(
        "SELECT question FROM query_log WHERE user_hash = ? AND channel = ? AND id < ? AND ts >= ? AND ts <= ? "
        "ORDER BY ts DESC, id DESC LIMIT 1", (row["user_hash"], row["channel"], row["id"], start, row["ts"])).fetchone()
    return found[0] if found else None


def resolve_group(kb: KnowledgeBase, row_ids: Iterable[int], resolution: str) -> int:
    """Mark a group's rows as answered by an FAQ (``faq:ID``) or hidden (``ignored``)."""
    ensure_columns(kb)
    ids = list(row_ids)
    if not ids:
        return 0
    with kb.transaction():
        return kb.conn.executemany("UPDATE query_log SET resolution = ? WHERE id = ?",
                                   [(resolution, i) for i in ids]).rowcount


# ----- statistics ------------------------------------------------------------------------
@dataclass
class Stats:
    total: int
    answered: int
    per_day: dict[str, dict[str, int]]  # Vietnam day → channel → count
    answered_per_day: dict[str, float]  # Vietnam day → share answered
    top_questions: list[tuple[str, int]]
    top_sources: list[tuple[str, int]]  # articles answers were drawn from
    top_contacts: list[tuple[str, int]]  # contact information asked for, by field
    top_faqs: list[tuple[str, int]]  # FAQs answered with, by their question
    feedback: dict[str, int]
    median_ms: float | None
    p95_ms: float | None


def stats(kb: KnowledgeBase, filters: LogFilter | None = None) -> Stats:
    where, args = (filters or LogFilter()).where()
    per_day: dict[str, dict[str, int]] = {}
    answered_days: dict[str, list[int]] = {}
    for hour, channel, n, answered in kb.conn.execute(  # counted by UTC hour, each hour in its Vietnam day
            f"SELECT substr(ts, 1, 13), channel, COUNT(*), SUM(answered) FROM query_log{where} "
            f"GROUP BY 1, 2 ORDER BY 1", args):
        day = _vietnam_day(hour)
        channels = per_day.setdefault(day, {})
        channels[channel] = channels.get(channel, 0) + n
        totals = answered_days.setdefault(day, [0, 0])
        totals[0] += answered or 0
        totals[1] += n
    top_questions = kb.conn.execute(
        f"SELECT COALESCE(NULLIF(normalized, ''), question), COUNT(*) FROM query_log{where} "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10", args).fetchall()
    articles_where = _narrowed(where, "kind = 'article' AND source IS NOT NULL")
    top_sources = kb.conn.execute(
        f"SELECT source, COUNT(*) FROM query_log{articles_where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
        args).fetchall()
    feedback = dict(kb.conn.execute(
        f"SELECT CASE feedback WHEN 1 THEN 'up' WHEN -1 THEN 'down' ELSE 'none' END, COUNT(*) "
        f"FROM query_log{where} GROUP BY 1", args).fetchall())
    times = sorted(r[0] for r in kb.conn.execute(
        f"SELECT response_ms FROM query_log{where}", args) if r[0] is not None)
    total = sum(t[1] for t in answered_days.values())
    answered = sum(t[0] for t in answered_days.values())
    return Stats(
        total=total, answered=answered, per_day=per_day,
        answered_per_day={d: a / n for d, (a, n) in answered_days.items() if n},
        top_questions=[tuple(r) for r in top_questions], top_sources=[tuple(r) for r in top_sources],
        top_contacts=_top_contacts(kb, where, args), top_faqs=_top_faqs(kb, where, args),
        feedback={k: feedback.get(k, 0) for k in ("up", "down", "none")},
        median_ms=statistics.median(times) if times else None,
        p95_ms=times[min(len(times) - 1, int(0.95 * len(times)))] if times else None)


def _narrowed(where: str, clause: str) -> str:
    return where + (" AND " if where else " WHERE ") + clause


_CONTACT_ASKED_LABELS = {**FIELD_LABELS_VI, "contact": "Thông tin liên hệ chung"}


def _contact_fields_asked(normalized: str) -> list[str]:
    """The contact fields a normalised contact question asks for ("contact" when it names none)."""
    return [f for f in FIELDS if QUESTION_TYPES[f].search(normalized)] or ["contact"]


def _top_contacts(kb: KnowledgeBase, where: str, args: list) -> list[tuple[str, int]]:
    """Contact answers by the field asked for (a question asking two counts for both), most asked first."""
    counts = dict.fromkeys(_CONTACT_ASKED_LABELS, 0)
    contacts_where = _narrowed(where, "kind = 'contact'")
    for normalized, question, n in kb.conn.execute(
            f"SELECT normalized, question, COUNT(*) FROM query_log{contacts_where} GROUP BY 1, 2", args):
        for asked in _contact_fields_asked(normalized or fold(question)):
            counts[asked] += n
    return sorted(((_CONTACT_ASKED_LABELS[f], n) for f, n in counts.items() if n), key=lambda item: -item[1])


def _top_faqs(kb: KnowledgeBase, where: str, args: list) -> list[tuple[str, int]]:
    """FAQ answers by the FAQ's question (one deleted since is named by its number), most used first."""
    faqs_where = _narrowed(where, "kind = 'faq' AND faq_id IS NOT NULL")
    used = kb.conn.execute(f"SELECT faq_id, COUNT(*) FROM query_log{faqs_where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
                           args).fetchall()
    questions = {faq.id: faq.question for faq in kb.faqs()} if used else {}
    return [(questions.get(faq_id, f"Câu hỏi thường gặp số {faq_id} (đã xoá)"), n) for faq_id, n in used]


# ----- export and demo data --------------------------------------------------------------
def to_json_lines(records: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def export_text(records: list[dict], fmt: str) -> str:
    """The rows as CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly; times in Vietnam time, said in
    the header; a text that a spreadsheet would run as a formula gets a leading quote) or JSON lines
    (the exact stored values, times in UTC)."""
    if fmt == "json":
        return to_json_lines(records)
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows([record.get("id"), vietnam_time(record.get("ts")), *(record.get(c) for c in LOG_COLUMNS[2:]),
                      record.get("feedback_reason")] for record in records)
    return "\ufeff" + buffer.getvalue()


DEMO_QUESTIONS = [
    "địa chỉ sở khcn ở đâu", "sđt sở", "email của sở là gì", "so fax so khcn", "hội nghị giao ban lần 13 ngày nào",
    "giải nhất hội thi sáng tạo kỹ thuật bao nhiêu tiền", "hợp tác với đại học cần thơ gồm mấy lĩnh vực",
    "techfest mekong 2022 có bao nhiêu dự án", "số điện thoại phòng kinh tế ô môn", "xin chào",
    "giá vàng hôm nay", "thủ tục đăng ký nhãn hiệu", "thu tuc dang ky nhan hieu the nao", "điểm chuẩn đại học cần thơ",
    "sở có tuyển dụng không", "so khcn co tuyen dung ko", "giờ làm việc của sở", "gio lam viec so khcn",
    "hỗ trợ doanh nghiệp đổi mới công nghệ thế nào", "cảm ơn nhé",
]


DEMO_USER = "demo:"  # demo rows' user_hash starts so; a real one is a hex digest, so never does


def demo(kb: KnowledgeBase, answer, days: int = 30, per_day: int = 40, seed: int = 7) -> int:
    """Fill the log with realistic questions over the past ``days`` (for trying the admin pages),
    marked as demo rows by their user (:func:`remove_demo` deletes exactly them).
    ``answer(question)`` returns the bot's reply, so kinds and scores are real."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    replies = {q: answer(q) for q in DEMO_QUESTIONS}
    faqs = {faq.answer: faq.id for faq in kb.faqs()}  # an FAQ's reply opens with its answer
    faq_ids = {q: next((i for text, i in faqs.items() if r.kind == "faq" and r.text.startswith(text)), None)
               for q, r in replies.items()}
    normalizer = kb.normalizer()
    normalized = {q: " ".join(t.folded for t in normalizer.tokenize(q)) for q in DEMO_QUESTIONS}
    written = 0
    with kb.transaction():
        for day in range(days):
            for _ in range(rng.randint(per_day // 2, per_day)):
                question = rng.choice(DEMO_QUESTIONS)
                reply = replies[question]
                ts = now - dt.timedelta(days=day, seconds=rng.randint(0, 86_000))
                kb.insert("query_log", {
                    "ts": ts.isoformat(), "channel": rng.choice(["zalo", "zalo", "telegram", "web"]),
                    "user_hash": f"{DEMO_USER}{rng.randint(1, 300)}", "question": question,
                    "normalized": normalized[question], "kind": reply.kind, "answered": int(reply.answered),
                    "score": round(reply.score, 3), "source": (reply.source or {}).get("title"),
                    "faq_id": faq_ids[question],
                    "response_ms": round(rng.lognormvariate(1.2, 0.5), 2),
                    "feedback": rng.choice([None, None, None, 1, 1, -1]) if reply.answered else None})
                written += 1
    return written


def remove_demo(kb: KnowledgeBase) -> int:
    """Delete the rows :func:`demo` wrote, and only them; returns how many."""
    with kb.transaction():
        return kb.conn.execute("DELETE FROM query_log WHERE substr(user_hash, 1, ?) = ?",
                               (len(DEMO_USER), DEMO_USER)).rowcount


def iso_date(text: str) -> str:
    """Validate a YYYY-MM-DD date given on the command line or in a form."""
    return dt.date.fromisoformat(text).isoformat()

