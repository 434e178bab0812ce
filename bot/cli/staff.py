"""Staff commands of ``run_bot.py``: ``kb faq|contacts|abbrev|synonyms|backup|maintain|calibrate`` and
``admin add-user`` (``kb article`` is :mod:`bot.cli.articles`).

They call :mod:`knowledge.management` (the same operations as the web admin, audit-logged
as ``cli:<system user>``) and print plain Vietnamese lines.
"""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from knowledge import maintenance, management
from knowledge.contacts import FIELD_LABELS_VI, FIELDS
from knowledge.faq_io import CsvError, split_alternates, write_csv

from ..settings import PROJECT_ROOT
from ..web import users
from . import articles
from .common import CliError, actor, guard, open_kb


# ----- FAQs ------------------------------------------------------------------------------
def cmd_faq_list(args, settings) -> int:
    kb = open_kb(settings, args.db)
    for faq in management.search_faqs(kb, args.search or ""):
        print(f"[{faq.id}] {faq.question}")
        for alternate in faq.alternates:
            print(f"      ~ {alternate}")
        print(f"      → {faq.answer}")
    return 0


def cmd_faq_add(args, settings) -> int:
    kb = open_kb(settings, args.db)
    faq_id = guard(lambda: management.add_faq(kb, actor(), args.question, split_alternates(args.alternates or ""),
                                               args.answer))
    print(f"Đã thêm câu hỏi thường gặp số {faq_id}.")
    return 0


def cmd_faq_remove(args, settings) -> int:
    kb = open_kb(settings, args.db)
    guard(lambda: management.remove_faq(kb, actor(), args.id))
    print(f"Đã xoá câu hỏi thường gặp số {args.id}.")
    return 0


def cmd_faq_import(args, settings) -> int:
    kb = open_kb(settings, args.db)
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"không đọc được {args.file}: {exc.strerror}") from None
    try:
        report = management.import_faqs(kb, actor(), raw)
    except CsvError as exc:
        print("Không nhập gì cả, vì tệp CSV có lỗi:", file=sys.stderr)
        for line, reason in exc.problems:
            print(f"  dòng {line}: {reason}" if line else f"  {reason}", file=sys.stderr)
        return 1
    except management.ManagementError as exc:
        raise CliError(str(exc)) from None
    print(report.line())
    return 0


def cmd_faq_export(args, settings) -> int:
    kb = open_kb(settings, args.db)
    text = write_csv(kb.faqs())
    if args.file in (None, "-"):
        sys.stdout.write(text.lstrip("\ufeff"))
    else:
        Path(args.file).write_text(text, encoding="utf-8", newline="")
        print(f"Đã xuất {len(kb.faqs())} câu hỏi vào {args.file}.", file=sys.stderr)
    return 0


# ----- contacts --------------------------------------------------------------------------
def cmd_contacts_list(args, settings) -> int:
    kb = open_kb(settings, args.db)
    resolved = kb.resolve_contacts("department")
    for row in kb.all_contacts():
        in_use = row["unit_key"] == "department" and resolved.get(row["field"]) \
            and resolved[row["field"]].value == row["value"]
        marks = ("📌" if row["pinned"] else "  ") + ("✓" if in_use else " ")
        source = row["source_title"] or "cán bộ nhập"
        print(f"{marks} {row['unit']} | {FIELD_LABELS_VI.get(row['field'], row['field'])}: {row['value']} "
              f"({source}, {row['source_date'] or 'không rõ ngày'})")
    return 0


def cmd_contacts_set(args, settings) -> int:
    kb = open_kb(settings, args.db)
    guard(lambda: management.set_contact(kb, actor(), args.field, args.value, args.pin, args.unit))
    print(f"Đã lưu {FIELD_LABELS_VI[args.field]}: {args.value}" + (" (đã ghim)" if args.pin else ""))
    return 0


def cmd_contacts_pin(args, settings) -> int:
    kb = open_kb(settings, args.db)
    value = guard(lambda: management.pin_contact(kb, actor(), args.field, args.value, args.unit))
    print(f"Đã ghim {FIELD_LABELS_VI[args.field]}: {value}")
    return 0


# ----- abbreviations ---------------------------------------------------------------------
def cmd_abbrev_list(args, settings) -> int:
    kb = open_kb(settings, args.db)
    for key, expansion in kb.abbreviations().items():
        print(f"{key:<12} {expansion}")
    return 0


def cmd_abbrev_set(args, settings) -> int:
    kb = open_kb(settings, args.db)
    guard(lambda: management.set_abbreviation(kb, actor(), args.key, args.expansion))
    print(f"Đã lưu: {args.key} = {args.expansion}")
    return 0


def cmd_abbrev_remove(args, settings) -> int:
    kb = open_kb(settings, args.db)
    guard(lambda: management.remove_abbreviation(kb, actor(), args.key))
    print(f"Đã xoá từ viết tắt {args.key}.")
    return 0


# ----- synonyms --------------------------------------------------------------------------
def cmd_synonyms_list(args, settings) -> int:
    kb = open_kb(settings, args.db)
    for group_id, phrases in kb.synonyms():
        print(f"[{group_id}] {' | '.join(phrases)}")
    return 0


def cmd_synonyms_add(args, settings) -> int:
    kb = open_kb(settings, args.db)
    group_id = guard(lambda: management.add_synonyms(kb, actor(), args.phrases))
    print(f"Đã thêm nhóm từ đồng nghĩa số {group_id}.")
    return 0


def cmd_synonyms_remove(args, settings) -> int:
    kb = open_kb(settings, args.db)
    guard(lambda: management.remove_synonyms(kb, actor(), args.id))
    print(f"Đã xoá nhóm từ đồng nghĩa số {args.id}.")
    return 0


# ----- backup and accounts ---------------------------------------------------------------
def cmd_backup(args, settings) -> int:
    kb = open_kb(settings, args.db)
    target = guard(lambda: management.backup(kb, args.path))
    print(f"Đã sao lưu cơ sở tri thức vào {target}.")
    return 0


# ----- index hygiene ---------------------------------------------------------------------
def health_lines(state: maintenance.Health) -> list[str]:
    """The full-text index and file figures of ``kb stats`` and ``kb maintain``."""
    return [f"chỉ mục toàn văn: {state.index_blocks} khối, {state.index_bytes / 1e6:.2f} MB, "
            f"{state.index_segments} phân đoạn, cho {state.passages} đoạn văn",
            f"tệp cơ sở dữ liệu: {state.pages * state.page_size / 1e6:.2f} MB, "
            f"{state.free_pages}/{state.pages} trang trống ({state.free_share:.0%})"]


def cmd_maintain(args, settings) -> int:
    kb = open_kb(settings, args.db)
    outcome = maintenance.maintain(kb, force=not args.if_needed)
    print("Trước:\n  " + "\n  ".join(health_lines(outcome.before)))
    print("Đã tối ưu chỉ mục toàn văn (FTS5 optimize)." if outcome.optimized
          else "Chỉ mục toàn văn chưa cần tối ưu.")
    print("Đã thu gọn tệp (VACUUM)." if outcome.vacuumed else "Tệp chưa cần thu gọn.")
    print("Sau:\n  " + "\n  ".join(health_lines(outcome.after)))
    print(f"Xong trong {outcome.seconds:.1f} giây.")
    return 0


def cmd_add_user(args, settings) -> int:
    kb = open_kb(settings, args.db)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Mật khẩu cho {args.name}: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            raise CliError("hai lần nhập mật khẩu không khớp")
    user = guard(lambda: users.add(kb, actor(), args.name, args.role, password))
    print(f"Đã tạo tài khoản {user.name} ({user.role}).")
    return 0


# ----- the answer engine's decision model ------------------------------------------------
def cmd_calibrate(args, settings) -> int:
    from knowledge.answer import calibrate
    shared = Path(args.shared)
    if not (shared / "eval").is_dir():
        raise CliError(f"không tìm thấy thư mục dùng chung {shared} (cần {shared}/eval)")
    try:
        result = calibrate.calibrate(PROJECT_ROOT, shared)
    except ImportError as exc:
        raise CliError(f"thiếu thư viện để hiệu chỉnh ({exc.name}): chạy make calibrate") from None
    if args.dry_run:
        print("Không ghi (--dry-run).")
    else:
        calibrate.write(result)
        print(f"Đã ghi trọng số vào {calibrate.WEIGHTS_FILE}.")
    return 0


# ----- parser ----------------------------------------------------------------------------
def register(commands, kb, command) -> None:
    """Add the staff subcommands to the ``kb`` group and a new ``admin`` group."""
    def group(parent, name: str, help: str):
        return parent.add_parser(name, help=help, description=help).add_subparsers(
            dest=f"{name}_command", metavar="ACTION", required=True)


    faq = group(kb, "faq", "frequently asked questions")
    faq_list = command(faq, "list", cmd_faq_list, "list the FAQs")
    faq_list.add_argument("--search", help="only FAQs containing this text")
    faq_add = command(faq, "add", cmd_faq_add, "add a FAQ")
    faq_add.add_argument("question")
    faq_add.add_argument("answer")
    faq_add.add_argument("--alternates", metavar="A|B|C", help="other phrasings, separated by |")
    command(faq, "remove", cmd_faq_remove, "remove a FAQ").add_argument("id", type=int)
    command(faq, "import", cmd_faq_import, "add or update FAQs from a CSV file (question,alternates,answer)"
            ).add_argument("file", metavar="FILE.csv", help="'-' reads stdin")
    command(faq, "export", cmd_faq_export, "write every FAQ as CSV").add_argument(
        "file", nargs="?", metavar="FILE.csv", help="default: stdout")

    contacts = group(kb, "contacts", "contact facts (address, phone, fax, hotline, email)")
    command(contacts, "list", cmd_contacts_list, "every contact value (📌 pinned, ✓ in use)")
    for name, func, help in (("set", cmd_contacts_set, "record a contact value"),
                             ("pin", cmd_contacts_pin, "pin a value so that it beats every article's")):
        sub = command(contacts, name, func, help)
        sub.add_argument("field", choices=FIELDS)
        sub.add_argument("value", nargs="?" if name == "pin" else None,
                         help="default for pin: the value in use now")
        sub.add_argument("--unit", help="unit name (default: the department)")
        if name == "set":
            sub.add_argument("--pin", action="store_true", help="also pin it")

    abbrev = group(kb, "abbrev", "abbreviations used to understand questions")
    command(abbrev, "list", cmd_abbrev_list, "list the abbreviations")
    abbrev_set = command(abbrev, "set", cmd_abbrev_set, "add or change an abbreviation")
    abbrev_set.add_argument("key")
    abbrev_set.add_argument("expansion")
    command(abbrev, "remove", cmd_abbrev_remove, "remove an abbreviation").add_argument("key")

    synonyms = group(kb, "synonyms", "phrases that say the same thing (found in pages that write another)")
    command(synonyms, "list", cmd_synonyms_list, "list the synonym groups")
    command(synonyms, "add", cmd_synonyms_add, "add a synonym group").add_argument(
        "phrases", metavar='"A|B|C"', help="two or more phrases separated by |")
    command(synonyms, "remove", cmd_synonyms_remove, "remove a synonym group").add_argument("id", type=int)

    articles.register(group, kb, command)

    command(kb, "backup", cmd_backup, "consistent copy of the database, safe while the bot runs"
            ).add_argument("path", metavar="PATH")

    maintain = command(kb, "maintain", cmd_maintain, "compact the full-text index (FTS5 optimize) and the file "
                       "(VACUUM), printing the figures before and after")
    maintain.add_argument("--if-needed", action="store_true", help="only what is due: the index over twice its "
                          "compact size, over a quarter of the file free (what the running bot does daily)")

    calibrate = command(kb, "calibrate", cmd_calibrate, "fit the fitted answer engine's decision model on the labelled "
                        "and generated questions (knowledge/answer/calibration.toml); writes weights.json")
    calibrate.add_argument("--shared", default="../shared", help="the shared folder with eval/ and corpus-train/")
    calibrate.add_argument("--dry-run", action="store_true", help="report the cross-validated figures only")

    admin = group(commands, "admin", "web admin accounts")
    add_user = command(admin, "add-user", cmd_add_user, "create a web admin account")
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=users.ROLES, default="staff")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
