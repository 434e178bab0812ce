"""What every command of ``run_bot.py`` shares: opening the knowledge base named by ``--db`` (or the
default one, filled from the samples when new), the staff member a change is recorded under, and the
one-line error that ends a command with exit status 2.
"""
from __future__ import annotations

import getpass
import os
import sys

from knowledge import management
from knowledge.faq_io import CsvError
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase

from ..settings import Settings
from ..web import users

EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report in one line, with exit status 2."""


def open_kb(settings: Settings, db: str | None) -> KnowledgeBase:
    """The knowledge base named by --db, or the default one (filled from samples when new)."""
    hash_key = settings.secret("BOT_HASH_KEY")
    if db:
        return KnowledgeBase.open(db, hash_key)
    path = settings.path("database", "path")
    is_new = not path.exists()
    kb = KnowledgeBase.open(path, hash_key)
    if is_new or kb.is_empty():
        samples = settings.path("database", "sample_dir")
        if samples.is_dir():
            results = import_paths(kb, [samples])
            added = sum(r.status == "added" for r in results)
            print(f"Đã tạo cơ sở tri thức {path} từ {added} bài mẫu trong {samples}.", file=sys.stderr)
    return kb


def actor() -> str:
    """Who a change made from the command line is recorded under in the audit trail: cli:<system user>."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}"


def guard(operation):
    """Turn a refused change into a one-line CLI error (exit status 2)."""
    try:
        return operation()
    except (management.ManagementError, users.UserError, CsvError) as exc:
        raise CliError(str(exc)) from None
