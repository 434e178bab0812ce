"""Page frames shared by the web chat and the staff area: the admin layout with its menu and
one-time notices, Vietnamese error pages, the hidden CSRF field of every form, and the validation
of the staff area's page numbers, ids and filter dates (a bad one is a 400 or 404 page, never a 500).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, TypeVar

from aiohttp import web

from knowledge.write_behind import written

from .state import CONVERSATION_KEY, SESSIONS_KEY, SESSION_KEY, USER_KEY
from .templating import Markup, h, join, render
from .users import User

T = TypeVar("T")

log = logging.getLogger(__name__)

MENU = [("/admin", "Tổng quan", False), ("/admin/articles", "Bài viết", False),
        ("/admin/faqs", "Câu hỏi thường gặp", False), ("/admin/contacts", "Liên hệ", False),
        ("/admin/abbreviations", "Từ viết tắt", False), ("/admin/synonyms", "Từ đồng nghĩa", False),
        ("/admin/requests", "Chuyển cho cán bộ", False),
        ("/admin/users", "Tài khoản", True),
        ("/admin/audit", "Nhật ký thay đổi", True), ("/admin/logs", "Nhật ký câu hỏi", True),
        ("/admin/unanswered", "Chưa trả lời được", True), ("/admin/stats", "Thống kê", True)]
KIND_LABELS = {"contact": "thông tin liên hệ", "faq": "câu hỏi thường gặp", "article": "đoạn trong bài viết",
               "smalltalk": "chào hỏi, giao tiếp", "fallback": "chưa có thông tin (mời liên hệ Sở)",
               "notice": "thông báo"}
ERROR_TEXTS = {400: "Yêu cầu không hợp lệ.", 403: "Bạn không có quyền mở trang này.",
               404: "Không tìm thấy trang này.", 405: "Thao tác này không được hỗ trợ.",
               413: "Dữ liệu gửi lên quá lớn.", 500: "Hệ thống gặp sự cố. Vui lòng thử lại sau."}
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # SQLite's largest integer
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))  # of the log filters
BAD_PAGE = "Số trang không hợp lệ: số trang là một số nguyên từ 1 đến 1.000.000."
BAD_DATE = "Ngày phải có dạng năm-tháng-ngày, trong khoảng năm 1900–2999, ví dụ 2026-01-31."


class PageError(Exception):
    """Raised by a handler: answered with the Vietnamese error page of ``status`` saying ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def csrf_input(request: web.Request) -> Markup:
    token = request.app[SESSIONS_KEY].csrf_token(request[SESSION_KEY])
    return h("input", type="hidden", name="csrf", value=token)


def flash(request: web.Request, text: str, kind: str = "ok") -> None:
    """A notice shown once on the next admin page (kept in the signed session)."""
    request[SESSION_KEY]["f"] = [kind, text]


def admin_page(request: web.Request, title: str, content: Markup, status: int = 200,
               notice: tuple[str, str] | None = None) -> web.Response:
    user: User = request[USER_KEY]
    current = request.path.rstrip("/") or "/admin"
    links = [h("a", label, href=href, aria_current="page" if href == current else None)
             for href, label, admin_only in MENU if user.is_admin or not admin_only]
    kind, text = notice or request[SESSION_KEY].pop("f", None) or (None, None)
    notice_html = h("p", text, class_=f"notice {kind}", role="alert" if kind == "error" else "status") \
        if text else Markup("")
    body = render("admin.html", title=title, nav=join(links), user=f"{user.name} ({role_label(user.role)})",
                  csrf=csrf_input(request), notice=notice_html, content=content)
    return web.Response(text=body, status=status, content_type="text/html")


def post_button(request: web.Request, action: str, label: str, confirm: str | None = None,
                 fields: dict | None = None, css: str = "link") -> Markup:
    hidden = [h("input", type="hidden", name=k, value=v) for k, v in (fields or {}).items()]
    return h("form", csrf_input(request), *hidden, h("button", label, type="submit", class_=css),
             method="post", action=action, class_="inline", data_confirm=confirm)


def table(headers: list[str], rows: list[list], caption: str) -> Markup:
    if not rows:
        return h("p", "Chưa có dữ liệu.", class_="empty")
    head = h("thead", h("tr", *(h("th", text, scope="col") for text in headers)))
    body = h("tbody", *(h("tr", *(h("td", cell) for cell in row)) for row in rows))
    return h("div", h("table", h("caption", caption), head, body), class_="table-wrap")


def whole_number(value: object, high: int = MAX_ID) -> int | None:
    """``value`` as a whole number from 1 to ``high`` written in ASCII digits, or None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if 1 <= number <= high else None


def page_number(request: web.Request) -> int:
    """The ``?page=`` of a paged list, 1 when missing; anything but a page number is a 400 page."""
    page = whole_number(request.query.get("page", "1"), MAX_PAGE)
    if page is None:
        raise PageError(400, BAD_PAGE)
    return page


async def staff_write(request: web.Request, change: Callable[..., T], *args) -> T:
    """``change(kb, *args)``, a write of the admin's (a staff edit, a sign-in's count, an account change),
    made by the bot's writer thread (:mod:`knowledge.write_behind`) and awaited: while an upload holds the
    write lock the request waits for it, and the event loop goes on answering everyone else. Raises what
    ``change`` raised."""
    return await written(request.app[CONVERSATION_KEY].writes, lambda kb: change(kb, *args))


def path_id(request: web.Request) -> int:
    """The ``{id}`` in the path; one that no row can have is a 404 page."""
    number = whole_number(request.match_info["id"])
    if number is None:
        raise web.HTTPNotFound()
    return number


def filter_date(text: str) -> str | None:
    """A filter's YYYY-MM-DD date, None when empty; PageError (400) when malformed or out of range."""
    if not text:
        return None
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        date = None
    if date is None or not DATE_RANGE[0] <= date <= DATE_RANGE[1]:
        raise PageError(400, BAD_DATE)
    return date.isoformat()


def role_label(role: str) -> str:
    return {"admin": "quản trị viên", "staff": "cán bộ"}.get(role, role)


def error_page(status: int, message: str | None = None) -> web.Response:
    body = render("error.html", status=status, message=message or ERROR_TEXTS.get(status, "Có lỗi xảy ra."))
    return web.Response(text=body, status=status, content_type="text/html")


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    """Vietnamese pages (or JSON under /api) for errors that aiohttp would answer in English."""
    try:
        return await handler(request)
    except PageError as exc:
        return error_page(exc.status, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type in ("application/json", "text/html"):
            raise
        if request.path.startswith("/api/"):
            return web.json_response({"error": ERROR_TEXTS.get(exc.status, "Có lỗi xảy ra.")}, status=exc.status)
        return error_page(exc.status)
    except Exception:  # one broken page must never stop the server
        log.exception("error on %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            return web.json_response({"error": ERROR_TEXTS[500]}, status=500)
        return error_page(500)
