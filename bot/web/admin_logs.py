"""Admin-only pages over the query log: the filtered log with CSV/JSON export, the unanswered
and 👎-rated questions grouped (turned into FAQs, added to the FAQ that already holds them, or
hidden) and the statistics with charts. Times are shown, and filter dates read, in Vietnam time.

All reading and grouping is :mod:`knowledge.querylog`; this module only parses forms and draws.
"""
from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from knowledge import management, querylog
from knowledge.local_time import LABEL, vietnam_time
from knowledge.querylog import LogFilter

from . import charts
from .auth import admin_only
from .pages import (KIND_LABELS, PageError, admin_page, filter_date, flash, page_number, post_button, staff_write,
                    table, whole_number)
from .state import FORM_KEY, KB_KEY, USER_KEY
from .templating import Markup, h, join

PAGE_SIZE = 50
ANSWERED_CHOICES = [("", "Tất cả"), ("1", "Trả lời được"), ("0", "Chưa trả lời được")]
FEEDBACK_CHOICES = [("", "Tất cả"), ("1", "👍 Hữu ích"), ("-1", "👎 Chưa hữu ích"), ("0", "Chưa đánh giá")]
FEEDBACK_LABELS = {1: "👍", -1: "👎"}
FILTER_FIELDS = ("since", "until", "channel", "kind", "answered", "feedback", "q")


# ----- filters ---------------------------------------------------------------------------
def _filters(request: web.Request) -> tuple[LogFilter, dict[str, str], str]:
    """The log filter of the query string, the raw values (to refill the form) and an error (a
    wrong date, left out of the filter)."""
    raw = {name: request.query.get(name, "").strip()[:200] for name in FILTER_FIELDS}
    error, dates = "", {}
    for name in ("since", "until"):
        try:
            dates[name] = filter_date(raw[name])
        except PageError as exc:
            raw[name], dates[name] = "", None
            error = exc.message
    answered = {"1": True, "0": False}.get(raw["answered"])
    feedback = {"1": 1, "-1": -1, "0": 0}.get(raw["feedback"])
    filters = LogFilter(since=dates["since"], until=dates["until"], channel=raw["channel"] or None,
                        kind=raw["kind"] or None, answered=answered, feedback=feedback, text=raw["q"] or None)
    return filters, raw, error


def _query(raw: dict[str, str], **extra) -> str:
    values = {k: v for k, v in {**raw, **extra}.items() if v not in ("", None)}
    return ("?" + urlencode(values)) if values else ""


def _select(name: str, label: str, choices: list[tuple[str, str]], selected: str) -> Markup:
    return h("div", h("label", label, for_=f"f-{name}"),
             h("select", *(h("option", text, value=value, selected=value == selected) for value, text in choices),
               name=name, id=f"f-{name}"))


def _field(name: str, label: str, value: str, type_: str) -> Markup:
    return h("div", h("label", label, for_=f"f-{name}"), h("input", type=type_, name=name, id=f"f-{name}", value=value))


def _channels(kb) -> list[str]:
    return [r[0] for r in kb.conn.execute("SELECT DISTINCT channel FROM query_log ORDER BY 1")]


def _filter_form(request: web.Request, action: str, raw: dict[str, str], full: bool, until: bool = True) -> Markup:
    fields = [_field("since", f"Từ ngày ({LABEL})", raw["since"], "date")]
    if until:
        fields.append(_field("until", f"Đến ngày ({LABEL})", raw["until"], "date"))
    if full:
        channels = [("", "Tất cả")] + [(c, c) for c in _channels(request.app[KB_KEY])]
        kinds = [("", "Tất cả")] + list(KIND_LABELS.items())
        fields += [_select("channel", "Kênh", channels, raw["channel"]), _select("kind", "Loại trả lời", kinds, raw["kind"]),
                   _select("answered", "Trả lời được", ANSWERED_CHOICES, raw["answered"]),
                   _select("feedback", "Đánh giá", FEEDBACK_CHOICES, raw["feedback"]),
                   _field("q", "Có chứa chữ", raw["q"], "search")]
    return h("form", *fields, h("div", h("button", "Lọc", type="submit"), " ", h("a", "Bỏ lọc", href=action),
                                class_="actions"),
             method="get", action=action, class_="filters panel", role="search")


# ----- logs ------------------------------------------------------------------------------
def _channel(entry: dict) -> str:
    """The row's channel, marked "(mẫu)" on the sample rows of ``run_bot.py logs demo``."""
    return entry["channel"] + (" (mẫu)" if (entry["user_hash"] or "").startswith(querylog.DEMO_USER) else "")


def _feedback(entry: dict) -> str:
    """👍 or 👎, with what was wrong when the citizen said."""
    reason = querylog.FEEDBACK_REASON_LABELS.get(entry["feedback_reason"])
    return FEEDBACK_LABELS.get(entry["feedback"], "—") + (f" ({reason})" if reason else "")


@admin_only
async def logs_page(request: web.Request) -> web.Response:
    kb = request.app[KB_KEY]
    filters, raw, error = _filters(request)
    page, total = page_number(request), querylog.count(kb, filters)
    entries = querylog.rows(kb, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    rows = [[vietnam_time(e["ts"]), _channel(e), e["question"], KIND_LABELS.get(e["kind"], e["kind"]),
             "có" if e["answered"] else "không", f"{e['score'] or 0:.2f}", e["source"] or "—",
             "—" if e["response_ms"] is None else f"{e['response_ms']:.0f}",
             _feedback(e)] for e in entries]
    pages = max(1, -(-total // PAGE_SIZE))
    pager = [h("a", "← Mới hơn", href="/admin/logs" + _query(raw, page=page - 1)) if page > 1 else "",
             h("span", f"Trang {min(page, pages)}/{pages} · {total} câu hỏi"),
             h("a", "Cũ hơn →", href="/admin/logs" + _query(raw, page=page + 1)) if page < pages else ""]
    exports = h("p", h("a", "Tải CSV", href="/admin/logs/export.csv" + _query(raw), class_="button", download=True),
                " ", h("a", "Tải JSON", href="/admin/logs/export.json" + _query(raw), class_="button secondary",
                       download=True),
                h("span", f" {total} dòng theo bộ lọc hiện tại.", class_="small"))
    content = join([
        _filter_form(request, "/admin/logs", raw, full=True), exports,
        h("p", "Số điện thoại và email người dân gõ vào đã được che trước khi ghi.", class_="small"),
        h("div", table([f"Lúc ({LABEL})", "Kênh", "Câu hỏi", "Loại", "Trả lời được", "Điểm", "Nguồn", "Thời gian (ms)",
                        "Đánh giá"], rows, "Câu hỏi của người dân, mới nhất trước"), class_="wide"),
        h("nav", *pager, class_="pager", aria_label="Trang")])
    return _filtered_page(request, "Nhật ký câu hỏi", content, error)


def _filtered_page(request: web.Request, title: str, content: Markup, error: str) -> web.Response:
    """A page of filtered rows; a wrong filter date makes it a 400 that says so."""
    if error:
        return admin_page(request, title, content, 400, ("error", error + " Bộ lọc ngày sai đã được bỏ qua."))
    return admin_page(request, title, content)


@admin_only
async def logs_export(request: web.Request) -> web.Response:
    fmt = request.match_info["format"]
    filters, _, error = _filters(request)
    if error:
        raise PageError(400, error)
    text = querylog.export_text(querylog.rows(request.app[KB_KEY], filters), fmt)
    content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return web.Response(body=text.encode("utf-8"), content_type=content_type, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="nhat-ky-cau-hoi.{fmt}"'})


@admin_only
async def old_queries_page(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/admin/logs")


# ----- unanswered groups -----------------------------------------------------------------
def find_group(kb, key: object) -> querylog.Group | None:
    """The open group holding row ``key`` (its newest row when the page was drawn); a new alike
    question arriving meanwhile joins the group without losing it."""
    row_id = whole_number(key)
    return None if row_id is None else next((g for g in querylog.unanswered_groups(kb) if row_id in g.row_ids), None)


def _group_card(request: web.Request, g: querylog.Group) -> Markup:
    rated = f" (👎 {g.low_rated})" if g.low_rated else ""
    variants = [h("p", "Cách hỏi khác:", class_="small"), h("ul", *(h("li", v) for v in g.variants[1:]), class_="plain")] \
        if len(g.variants) > 1 else []
    previous = [h("p", "Tin nhắn trước đó của người hỏi: ", h("q", g.previous), class_="small")] if g.previous else []
    faq = management.faq_holding(request.app[KB_KEY], g.variants)
    to_faq = h("a", "Tạo câu hỏi thường gặp", href=f"/admin/faqs/new?group={g.key}", class_="button") if faq is None \
        else post_button(request, "/admin/unanswered/add-phrasings", f"Thêm các cách hỏi vào câu hỏi số {faq.id}",
                         fields={"key": g.key}, css="button")
    holder = [] if faq is None else [h("p", "Đã có trong câu hỏi thường gặp ",
                                       h("a", f"số {faq.id} («{faq.question}»)", href=f"/admin/faqs/{faq.id}"),
                                       ": thêm các cách hỏi của nhóm vào câu hỏi đó để bot nhận ra chúng.",
                                       class_="small")]
    actions = h("div", to_faq,
                post_button(request, "/admin/unanswered/ignore", "Bỏ qua",
                            f"Bỏ qua nhóm «{g.question}»? Nhóm này sẽ không hiện ở đây nữa.", {"key": g.key}),
                class_="actions")
    return h("li", h("p", g.question, class_="group-question"),
             h("p", f"{g.count} lần{rated} · gần nhất {vietnam_time(g.last_seen, minutes_only=True)} ({LABEL})",
               class_="small"),
             *previous, *variants, *holder, actions, class_="group panel")


@admin_only
async def unanswered_page(request: web.Request) -> web.Response:
    _, raw, error = _filters(request)
    groups = querylog.unanswered_groups(request.app[KB_KEY], raw["since"] or None)
    listing = h("ol", *(_group_card(request, g) for g in groups), class_="groups", aria_label="Nhóm câu hỏi, mới nhất trước") \
        if groups else h("p", "Không có câu hỏi nào chưa được trả lời.", class_="empty")
    content = join([
        h("p", "Câu hỏi bot chưa trả lời được hoặc bị đánh giá 👎, các cách hỏi giống nhau gộp thành một nhóm. "
               "Tạo câu hỏi thường gặp để bot trả lời được từ nay; nhóm đó sẽ được đánh dấu đã trả lời."),
        _filter_form(request, "/admin/unanswered", raw, full=False, until=False), listing])
    return _filtered_page(request, "Câu hỏi chưa trả lời được", content, error)


@admin_only
async def unanswered_ignore(request: web.Request) -> web.Response:
    group = find_group(request.app[KB_KEY], request[FORM_KEY].get("key", ""))
    if group is None:
        flash(request, "Không tìm thấy nhóm câu hỏi này (có thể đã được xử lý).", "error")
    else:
        await staff_write(request, querylog.resolve_group, group.row_ids, "ignored")
        flash(request, f"Đã bỏ qua nhóm «{group.question}» ({group.count} câu hỏi).")
    raise web.HTTPSeeOther("/admin/unanswered")


@admin_only
async def unanswered_add_phrasings(request: web.Request) -> web.Response:
    """A group whose wordings an FAQ already holds: add the others to that FAQ and mark the group answered by it."""
    kb = request.app[KB_KEY]
    group = find_group(kb, request[FORM_KEY].get("key", ""))
    faq = group and management.faq_holding(kb, group.variants)
    if faq is None:
        flash(request, "Không tìm thấy nhóm câu hỏi này (có thể đã được xử lý).", "error")
        raise web.HTTPSeeOther("/admin/unanswered")
    try:
        added = await staff_write(request, management.add_phrasings, f"web:{request[USER_KEY].name}", faq.id,
                                  group.variants)
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
        raise web.HTTPSeeOther("/admin/unanswered") from None
    await staff_write(request, querylog.resolve_group, group.row_ids, f"faq:{faq.id}")
    flash(request, f"Đã thêm {len(added)} cách hỏi vào câu hỏi thường gặp số {faq.id}; "
                   f"{group.count} câu hỏi của người dân trong nhóm đã được đánh dấu là đã trả lời.")
    raise web.HTTPSeeOther("/admin/unanswered")


def faq_prefill(request: web.Request) -> tuple[str, str, str] | None:
    """For ``/admin/faqs/new?group=KEY`` opened by an admin: the group's question, its variants
    (one per line, as alternates) and the key to carry in the form."""
    key = request.query.get("group", "")
    if not key or not request[USER_KEY].is_admin:
        return None
    group = find_group(request.app[KB_KEY], key)
    if group is None:
        return None
    return group.question, "\n".join(group.variants[1:]), str(group.key)


async def resolve_after_faq(request: web.Request, faq_id: int) -> str:
    """After an FAQ made from a group is saved: mark the group's rows answered by it.
    Returns a sentence for the notice, or "" when the form carried no group."""
    key = str(request[FORM_KEY].get("group", ""))
    if not key or not request[USER_KEY].is_admin:
        return ""
    group = find_group(request.app[KB_KEY], key)
    if group is None:
        return ""
    await staff_write(request, querylog.resolve_group, group.row_ids, f"faq:{faq_id}")
    return f" {group.count} câu hỏi của người dân trong nhóm đã được đánh dấu là đã trả lời."


# ----- statistics ------------------------------------------------------------------------
def _stat_cards(stats: querylog.Stats) -> Markup:
    share = f"{stats.answered / stats.total:.0%}" if stats.total else "—"
    cards = [(stats.total, "Câu hỏi"), (share, "Trả lời được"),
             ("—" if stats.median_ms is None else f"{stats.median_ms:.0f} ms", "Thời gian trả lời (trung vị)"),
             ("—" if stats.p95_ms is None else f"{stats.p95_ms:.0f} ms", "Thời gian trả lời (p95)"),
             (stats.feedback["up"], "👍 Hữu ích"), (stats.feedback["down"], "👎 Chưa hữu ích")]
    return h("ul", *(h("li", h("span", value, class_="number"), h("span", label)) for value, label in cards),
             class_="stats")


def stats_charts(stats: querylog.Stats) -> list[tuple[str, Markup]]:
    days = list(stats.per_day)
    channels = sorted({c for counts in stats.per_day.values() for c in counts})
    series = {c: [stats.per_day[d].get(c, 0) for d in days] for c in channels}
    times = [("Trung vị", stats.median_ms), ("p95 (95% câu hỏi nhanh hơn)", stats.p95_ms)]
    return [
        ("Số câu hỏi mỗi ngày theo kênh", charts.stacked_columns("Số câu hỏi mỗi ngày theo kênh", days, series)),
        ("Tỉ lệ trả lời được theo ngày", charts.share_line("Tỉ lệ câu hỏi trả lời được theo ngày", days,
                                                            [stats.answered_per_day.get(d, 0) for d in days])),
        ("Câu hỏi nhiều nhất", charts.horizontal_bars("Câu hỏi được hỏi nhiều nhất", stats.top_questions)),
        ("Bài viết dùng nhiều nhất", charts.horizontal_bars("Bài viết được dùng để trả lời nhiều nhất",
                                                            stats.top_sources)),
        ("Liên hệ được hỏi nhiều nhất", charts.horizontal_bars("Thông tin liên hệ được hỏi nhiều nhất",
                                                               stats.top_contacts)),
        ("Câu hỏi thường gặp dùng nhiều nhất", charts.horizontal_bars(
            "Câu hỏi thường gặp được dùng để trả lời nhiều nhất", stats.top_faqs)),
        ("Đánh giá của người dân", charts.horizontal_bars("Đánh giá của người dân", [
            ("👍 Hữu ích", stats.feedback["up"]), ("👎 Chưa hữu ích", stats.feedback["down"]),
            ("Chưa đánh giá", stats.feedback["none"])])),
        ("Thời gian trả lời", charts.horizontal_bars("Thời gian trả lời (mili giây)",
                                                     [(label, v) for label, v in times if v is not None], " ms")),
    ]


def _as_typed(kb, top_questions: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Top questions are counted by normalised text (no diacritics); show the newest wording
    a citizen typed for each instead."""
    shown = []
    for text, n in top_questions:
        row = kb.conn.execute("SELECT question FROM query_log WHERE normalized = ? ORDER BY id DESC LIMIT 1",
                              (text,)).fetchone()
        shown.append((row[0] if row else text, n))
    return shown


@admin_only
async def stats_page(request: web.Request) -> web.Response:
    filters, raw, error = _filters(request)
    kb = request.app[KB_KEY]
    stats = querylog.stats(kb, LogFilter(since=filters.since, until=filters.until))
    stats.top_questions = _as_typed(kb, stats.top_questions)
    sections = [h("section", h("h2", heading), chart, class_="chart-box") for heading, chart in stats_charts(stats)]
    content = join([_filter_form(request, "/admin/stats", raw, full=False), _stat_cards(stats),
                    h("div", *sections, class_="charts")])
    return _filtered_page(request, "Thống kê", content, error)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/admin/logs", logs_page)
    router.add_get(r"/admin/logs/export.{format:csv|json}", logs_export)
    router.add_get("/admin/queries", old_queries_page)
    router.add_get("/admin/unanswered", unanswered_page)
    router.add_post("/admin/unanswered/ignore", unanswered_ignore)
    router.add_post("/admin/unanswered/add-phrasings", unanswered_add_phrasings)
    router.add_get("/admin/stats", stats_page)
