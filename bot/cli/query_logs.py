"""Admin commands of ``run_bot.py logs``: tail, unanswered, stats, export, prune, forget (the
citizen's questions left for staff too), demo.

Thin printing over :mod:`knowledge.querylog`. Times are printed, and ``--since``/``--until`` read, in
Vietnam time. Citizens' text is printed without control characters or escape sequences, also from
rows stored before the channels' edge removed them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from handlers.conversation import Conversation
from knowledge import handover, querylog
from knowledge.local_time import vietnam_time
from knowledge.querylog import LogFilter
from knowledge.text import clean, strip_controls

from .common import CliError, open_kb


def _filters(args) -> LogFilter:
    try:
        return LogFilter(since=args.since and querylog.iso_date(args.since),
                         until=getattr(args, "until", None) and querylog.iso_date(args.until))
    except ValueError:
        raise CliError("dates are written YYYY-MM-DD, e.g. --since 2026-01-31") from None


def _shown(text: str) -> str:
    """Stored text as one terminal line: nothing the terminal would obey."""
    return clean(strip_controls(text))


def _line(row: dict) -> str:
    answered = "✓" if row["answered"] else "✗"
    feedback = {1: " 👍", -1: " 👎"}.get(row["feedback"], "")
    return (f"{vietnam_time(row['ts'])}  {row['channel']:<8} {answered} {row['kind']:<9} "
            f"{_shown(row['question'])}{feedback}")


def cmd_tail(args, settings) -> int:
    kb = open_kb(settings, args.db)
    for row in reversed(querylog.rows(kb, limit=args.n)):
        print(_line(row))
    return 0


def cmd_unanswered(args, settings) -> int:
    kb = open_kb(settings, args.db)
    groups = querylog.unanswered_groups(kb, _filters(args).since)
    if not groups:
        print("Không có câu hỏi nào chưa được trả lời.")
    for group in groups:
        rated = f", {group.low_rated} 👎" if group.low_rated else ""
        print(f"[{group.count} lần{rated}, gần nhất {vietnam_time(group.last_seen, minutes_only=True)}] "
              f"{_shown(group.question)}")
        if group.previous:
            print(f"    ← trước đó: {_shown(group.previous)}")
        for variant in group.variants[1:]:
            print(f"    · {_shown(variant)}")
    return 0


def cmd_stats(args, settings) -> int:
    kb = open_kb(settings, args.db)
    stats = querylog.stats(kb, _filters(args))
    share = f"{stats.answered / stats.total:.0%}" if stats.total else "—"
    print(f"Câu hỏi: {stats.total}, trả lời được: {stats.answered} ({share})")
    if stats.median_ms is not None:
        print(f"Thời gian trả lời: trung vị {stats.median_ms:.1f} ms, p95 {stats.p95_ms:.1f} ms")
    print(f"Đánh giá: 👍 {stats.feedback['up']}, 👎 {stats.feedback['down']}")
    channels = sorted({c for day in stats.per_day.values() for c in day})
    if channels:
        print("\nNgày        " + "".join(f"{c:>10}" for c in channels) + "  trả lời được")
        for day, counts in stats.per_day.items():
            print(f"{day}  " + "".join(f"{counts.get(c, 0):>10}" for c in channels)
                  + f"  {stats.answered_per_day.get(day, 0):>10.0%}")
    for title, items in (("Câu hỏi nhiều nhất", stats.top_questions), ("Bài viết dùng nhiều nhất", stats.top_sources),
                         ("Liên hệ được hỏi nhiều nhất", stats.top_contacts),
                         ("Câu hỏi thường gặp dùng nhiều nhất", stats.top_faqs)):
        if items:
            print(f"\n{title}:")
            for text, n in items:
                print(f"  {n:>5}  {_shown(text)}")
    return 0


def cmd_export(args, settings) -> int:
    kb = open_kb(settings, args.db)
    text = querylog.export_text(querylog.rows(kb, _filters(args)), args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Đã ghi {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_prune(args, settings) -> int:
    kb = open_kb(settings, args.db)
    days = args.days or int(settings.get("logs", "retention_days", 365))
    print(f"Đã xóa {querylog.prune(kb, days)} dòng nhật ký cũ hơn {days} ngày.")
    return 0


def cmd_forget(args, settings) -> int:
    kb = open_kb(settings, args.db)
    rows, requests = querylog.forget_user(kb, args.user_hash), handover.forget_user(kb, args.user_hash)
    print(f"Đã xóa {rows} dòng nhật ký và {requests} câu hỏi chuyển cán bộ của người dùng {args.user_hash}.")
    return 0


def cmd_demo(args, settings) -> int:
    kb = open_kb(settings, args.db)
    if args.remove:
        print(f"Đã xóa {querylog.remove_demo(kb)} câu hỏi mẫu khỏi nhật ký.")
        return 0
    conversation = Conversation(kb, settings.conversation())
    print(f"Đã thêm {querylog.demo(kb, conversation.answer, days=args.days)} câu hỏi mẫu vào nhật ký.")
    return 0


def register(commands, command) -> None:
    logs = commands.add_parser("logs", help="query logs: what citizens ask and what went unanswered")
    actions = logs.add_subparsers(dest="logs_command", metavar="ACTION", required=True)
    tail = command(actions, "tail", cmd_tail, "the newest questions (times in Vietnam time)")
    tail.add_argument("-n", type=int, default=20, help="how many (default 20)")
    unanswered = command(actions, "unanswered", cmd_unanswered, "unanswered and 👎 questions, alike ones grouped")
    unanswered.add_argument("--since", metavar="YYYY-MM-DD", help="a day in Vietnam time")
    stats = command(actions, "stats", cmd_stats, "questions per day and channel, share answered, top questions")
    export = command(actions, "export", cmd_export, "write the log as CSV (UTF-8 with BOM) or JSON lines")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output)")
    for sub in (stats, export):
        sub.add_argument("--since", metavar="YYYY-MM-DD", help="first day, in Vietnam time")
        sub.add_argument("--until", metavar="YYYY-MM-DD", help="last day, in Vietnam time")
    prune = command(actions, "prune", cmd_prune, "delete rows older than the retention period ([logs] retention_days)")
    prune.add_argument("--days", type=int, help="override the retention period")
    forget = command(actions, "forget", cmd_forget,
                     "delete every row of one user, and their questions left for staff (by the hash shown in the log)")
    forget.add_argument("user_hash")
    demo = command(actions, "demo", cmd_demo, "fill the log with realistic sample questions, to try the admin pages")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--remove", action="store_true", help="delete the sample questions (and only them) instead")
