"""Article commands of ``run_bot.py``: ``kb article list|edit|retire|restore``.

Like the web admin they call :mod:`knowledge.management` (validated, audit-logged as
``cli:<system user>``, used by a running bot at once) and print plain Vietnamese lines.
"""
from __future__ import annotations

from handlers.conversation import format_date
from knowledge import management

from .common import actor, guard, open_kb


def cmd_article_list(args, settings) -> int:
    kb = open_kb(settings, args.db)
    for article in kb.articles(args.search or "", limit=10_000):
        retired = " (ngừng dùng)" if article["retired"] else ""
        print(f"[{article['id']}] {format_date(article['published'])} {article['title']}{retired}")
    return 0


def cmd_article_edit(args, settings) -> int:
    kb = open_kb(settings, args.db)
    article = guard(lambda: management.find_article(kb, args.id))
    values = {"title": article["title"] if args.title is None else args.title,
              "date": (article["published"] or "") if args.date is None else args.date,
              "url": (article["url"] or "") if args.url is None else args.url}
    changed = guard(lambda: management.edit_article(kb, actor(), args.id, **values))
    print(f"Đã lưu bài viết số {args.id}." if changed else "Không có gì thay đổi.")
    return 0


def cmd_article_retire(args, settings) -> int:
    kb = open_kb(settings, args.db)
    title = guard(lambda: management.retire_article(kb, actor(), args.id, True))
    print(f"Đã ngừng dùng bài «{title}».")
    return 0


def cmd_article_restore(args, settings) -> int:
    kb = open_kb(settings, args.db)
    title = guard(lambda: management.retire_article(kb, actor(), args.id, False))
    print(f"Đã dùng lại bài «{title}».")
    return 0


def register(group, kb, command) -> None:
    """Add ``kb article …``; ``group`` makes a subcommand group (see :func:`bot.cli.staff.register`)."""
    article = group(kb, "article", "imported articles: list, edit title/date/URL, retire and restore")
    command(article, "list", cmd_article_list, "list the articles (id, date, title)").add_argument(
        "--search", help="only articles containing this text")
    edit = command(article, "edit", cmd_article_edit, "change an article's title, date or web address")
    edit.add_argument("id", type=int)
    edit.add_argument("--title")
    edit.add_argument("--date", help="dd/mm/yyyy or yyyy-mm-dd; '' removes it")
    edit.add_argument("--url", help="http:// or https://; '' removes it")
    command(article, "retire", cmd_article_retire, "keep an article but never answer from it").add_argument(
        "id", type=int)
    command(article, "restore", cmd_article_restore, "answer from a retired article again").add_argument(
        "id", type=int)
