"""The ``eval`` command: score the bot on a regression question set and print the outcome.

Checking lives in :mod:`knowledge.evaluation`; this module only parses the options, asks the
conversation and renders the report, as text for staff or as one JSON object for machines.
Exit status: 0 when every group reaches its ``--min-*`` share, 1 when one does not, 2 when the
question file cannot be used.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from handlers.conversation import Conversation
from knowledge.evaluation import GROUPS, MAX_CHARS, QuestionSetError, Report, evaluate, load_questions

GROUP_LABELS = {"answer": "trả lời (answer)", "abstain": "từ chối đúng (abstain)",
                "smalltalk": "trò chuyện (smalltalk)"}


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", metavar="QUESTIONS.jsonl", help="question set, one JSON object per line")
    parser.add_argument("--json", action="store_true", help="print one machine-readable JSON object")
    for name in GROUPS:
        parser.add_argument(f"--min-{name}", type=float, default=0.0, metavar="SHARE",
                            help=f"exit 1 when under this share (0..1) of {name} questions pass")
    parser.add_argument("--max-chars", type=int, default=MAX_CHARS,
                        help=f"a longer reply fails (default {MAX_CHARS})")


def run_eval(args, make_conversation: Callable[[], Conversation]) -> int:
    try:
        items = load_questions(args.questions)
    except QuestionSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    conversation = make_conversation()
    show_progress = not args.json and sys.stderr.isatty()
    report = evaluate(items, lambda q: conversation.answer(q).as_json(), args.max_chars,
                      _progress if show_progress else None)
    minimums = {name: getattr(args, f"min_{name}") for name in GROUPS}
    if args.json:
        print(json.dumps(report.as_json(minimums), ensure_ascii=False))
    else:
        print(render_report(report, minimums, args.questions))
    return 1 if report.below(minimums) else 0


def render_report(report: Report, minimums: dict[str, float], name: str) -> str:
    lines = [f"Bộ câu hỏi {name}: {len(report.outcomes)} câu"]
    for outcome in report.failures():
        reply = outcome.reply
        lines.append(f"\nSAI [{outcome.group}] {outcome.item['q']!r}: {outcome.reason}")
        lines.append(f"  bot trả lời ({reply.get('kind')}, answered={reply.get('answered')}):")
        lines.extend("    " + line for line in str(reply.get("text", "")).splitlines() or [""])
    lines.append("")
    below = set(report.below(minimums))
    for group, (passed, total) in report.totals().items():
        line = f"{GROUP_LABELS[group]:<24} {passed:>4}/{total:<4} ({report.share(group):.0%})"
        if minimums.get(group):
            line += f"  tối thiểu {minimums[group]:.0%}: " + ("KHÔNG ĐẠT" if group in below else "đạt")
        lines.append(line)
    timing = report.timing_ms()
    lines.append(f"Thời gian mỗi câu: trung bình {timing['mean']:.1f} ms, p50 {timing['p50']:.1f} ms, "
                 f"p95 {timing['p95']:.1f} ms, lâu nhất {timing['max']:.1f} ms")
    return "\n".join(lines)


def _progress(index: int, total: int) -> None:
    print(f"\r{index}/{total}", end="" if index < total else "\n", file=sys.stderr)
