"""Command line of ``run_bot.py``: ask, chat, run, doctor, eval, ``kb import|stats``, and the parser that
registers the command modules of this package (``staff``, ``query_logs``; ``articles`` through ``staff``).

Every subcommand takes ``--db PATH``. Without it the default database from settings is used,
created and filled from the bundled samples on first start; a new file named with ``--db``
starts as an empty knowledge base. Errors print one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable

from handlers.conversation import Conversation
from knowledge.ingest.importer import STATUS_VI, ImportResult, import_paths
from knowledge.maintenance import health
from knowledge.store import StoreError

from .. import logs
from ..channels.console import ConsoleChannel, render
from ..settings import Settings, SettingsError, load_settings
from . import query_logs, staff
from .common import EXIT_USAGE, CliError, open_kb
from .evaluate import add_eval_arguments, run_eval

def _print_progress(index: int, total: int, result: ImportResult) -> None:
    if total >= 5 and sys.stderr.isatty():
        width = 30
        filled = int(width * index / total)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {index}/{total}", end="", file=sys.stderr)
        if index == total:
            print(file=sys.stderr)


# ----- commands ----------------------------------------------------------------------
def cmd_ask(args, settings: Settings) -> int:
    kb = open_kb(settings, args.db)
    conversation = Conversation(kb, settings.conversation())
    questions = [" ".join(args.question)] if args.question else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        reply = conversation.answer(question)
        if args.json:
            print(json.dumps(reply.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render(reply) + "\n", flush=True)
    return 0


def cmd_eval(args, settings: Settings) -> int:
    return run_eval(args, lambda: Conversation(open_kb(settings, args.db), settings.conversation()))


def cmd_chat(args, settings: Settings) -> int:
    kb = open_kb(settings, args.db)
    return ConsoleChannel(Conversation(kb, settings.conversation())).run()


def cmd_run(args, settings: Settings) -> int:
    from ..runner import run

    kb = open_kb(settings, args.db)
    return run(settings, kb)


def cmd_doctor(args, settings: Settings) -> int:
    from .doctor import doctor

    return doctor(settings, open_kb(settings, args.db))


def cmd_kb_import(args, settings: Settings) -> int:
    kb = open_kb(settings, args.db)
    missing = [p for p in args.paths if not Path(p).exists()]
    for path in missing:
        print(f"{STATUS_VI['failed']:<10} {path} (không tìm thấy tệp hoặc thư mục)")
    results = import_paths(kb, [p for p in args.paths if p not in missing], _print_progress)
    for result in results:
        print(result.line())
    counts = {status: sum(r.status == status for r in results) for status in STATUS_VI}
    counts["failed"] += len(missing)
    print("Tổng: " + ", ".join(f"{counts[s]} {STATUS_VI[s]}" for s in STATUS_VI if counts[s] or s != "skipped"))
    return 1 if counts["failed"] else 0


def cmd_kb_stats(args, settings: Settings) -> int:
    kb = open_kb(settings, args.db)
    stats = kb.stats()
    width = max(map(len, stats))
    for name, count in stats.items():
        print(f"{name:<{width}}  {count}")
    for line in staff.health_lines(health(kb)):
        print(line)
    return 0


# ----- parser ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_bot.py", description="Chatbot hỏi đáp của Sở KH&CN TP. Cần Thơ.")
    parser.add_argument("--settings", help="settings file (default: settings.toml, or $SETTINGS_FILE)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(parent, name: str, func: Callable, help: str) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help, description=help)
        sub.add_argument("--db", metavar="PATH", help="knowledge-base file (a new file starts empty)")
        sub.set_defaults(func=func)
        return sub

    ask = command(commands, "ask", cmd_ask, "answer one question, or one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("question", nargs="*", help="the question (read from stdin when absent)")
    command(commands, "chat", cmd_chat, "chat with the bot in the terminal")
    command(commands, "run", cmd_run, "run the bot: web chat and every configured channel")
    command(commands, "doctor", cmd_doctor, "check the settings, the database and each channel's credentials")
    add_eval_arguments(command(commands, "eval", cmd_eval, "score the bot on a question set (JSONL)"))

    kb = commands.add_parser("kb", help="knowledge-base management").add_subparsers(
        dest="kb_command", metavar="KB_COMMAND", required=True)
    kb_import = command(kb, "import", cmd_kb_import, "import article files (.txt, .html, .md) or folders")
    kb_import.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    command(kb, "stats", cmd_kb_stats, "count the rows of each table; full-text index size and free pages")
    staff.register(commands, kb, command)
    query_logs.register(commands, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.verbose)
    try:
        settings = load_settings(args.settings)
        logs.setup(args.verbose, list(settings.secrets.values()))
        return args.func(args, settings)
    except (SettingsError, StoreError, CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # "run_bot.py logs tail | head": the reader has gone, that is fine
        sys.stdout = open(os.devnull, "w")
        return 0
