"""Admin-only pages: staff accounts (add, change role or password, remove: each ends the
account's sessions, except the one of an admin changing their own account), the audit log of
every change. (The log of citizens' questions is :mod:`bot.web.admin_logs`.)
"""
from __future__ import annotations

import json

from aiohttp import web

from knowledge import audit
from knowledge.local_time import LABEL, vietnam_time

from . import users
from .auth import admin_only, start_session
from .pages import admin_page, csrf_input, flash, page_number, role_label, staff_write, table
from .state import FORM_KEY, KB_KEY, USER_KEY
from .templating import Markup, h, join, render

PAGE_SIZE = 100


def _pager(path: str, page: int, full: bool) -> Markup:
    links = []
    if page > 1:
        links.append(h("a", "← Mới hơn", href=f"{path}?page={page - 1}"))
    if full:
        links.append(h("a", "Cũ hơn →", href=f"{path}?page={page + 1}"))
    return h("nav", *links, class_="pager", aria_label="Trang")


def _role_select(name: str, selected: str, id_: str):
    return h("select", *(h("option", role_label(r), value=r, selected=r == selected) for r in users.ROLES),
             name=name, id=id_)


@admin_only
async def users_page(request: web.Request) -> web.Response:
    me = request[USER_KEY]
    rows = []
    for user in users.all_users(request.app[KB_KEY]):
        update = h("form", csrf_input(request),
                   h("label", "Vai trò", for_=f"role-{user.id}", class_="sr-only"),
                   _role_select("role", user.role, f"role-{user.id}"),
                   h("label", "Mật khẩu mới", for_=f"pw-{user.id}", class_="sr-only"),
                   h("input", type="password", name="password", id=f"pw-{user.id}", placeholder="mật khẩu mới (nếu đổi)",
                     autocomplete="new-password"),
                   h("button", "Lưu", type="submit"),
                   method="post", action=f"/admin/users/{user.name}/update", class_="inline")
        remove = "" if user.name == me.name else h(
            "form", csrf_input(request), h("button", "Xoá", type="submit", class_="link"), method="post",
            action=f"/admin/users/{user.name}/remove", class_="inline", data_confirm=f"Xoá tài khoản «{user.name}»?")
        rows.append([user.name, role_label(user.role), vietnam_time(user.created_at)[:10], update, remove])
    content = join([render("user_form.html", csrf=csrf_input(request), roles=_role_select("role", "staff", "new-role"),
                           min_chars=users.MIN_PASSWORD_CHARS),
                    table(["Tên", "Vai trò", "Tạo ngày", "Đổi vai trò / mật khẩu", ""], rows, "Tài khoản")])
    return admin_page(request, "Tài khoản", content)


async def _user_change(request: web.Request, change, done: str, then=None) -> web.Response:
    """Make ``change(kb)`` on the writer thread (a password's scrypt hash included: not on the event loop),
    then ``then()``; the page says what happened either way."""
    try:
        await staff_write(request, change)
    except users.UserError as exc:
        flash(request, str(exc), "error")
    else:
        if then:
            then()
        flash(request, done)
    raise web.HTTPSeeOther("/admin/users")


@admin_only
async def user_add(request: web.Request) -> web.Response:
    form, actor = request[FORM_KEY], f"web:{request[USER_KEY].name}"
    name = str(form.get("name", "")).strip()
    return await _user_change(request, lambda kb: users.add(kb, actor, name, str(form.get("role", "")),
                                                            str(form.get("password", ""))),
                              f"Đã tạo tài khoản «{name}».")


@admin_only
async def user_update(request: web.Request) -> web.Response:
    form, name, me = request[FORM_KEY], request.match_info["name"], request[USER_KEY].name
    password = str(form.get("password", "")) or None
    return await _user_change(  # changing their own account, their other sessions end; this one goes on
        request, lambda kb: users.update(kb, f"web:{me}", name, str(form.get("role", "")), password),
        f"Đã lưu tài khoản «{name}».", then=(lambda: start_session(request, name)) if name == me else None)


@admin_only
async def user_remove(request: web.Request) -> web.Response:
    name, actor = request.match_info["name"], f"web:{request[USER_KEY].name}"
    if name == request[USER_KEY].name:
        flash(request, "Bạn không thể tự xoá tài khoản của mình.", "error")
        raise web.HTTPSeeOther("/admin/users")
    return await _user_change(request, lambda kb: users.remove(kb, actor, name), f"Đã xoá tài khoản «{name}».")


def _value(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


@admin_only
async def audit_page(request: web.Request) -> web.Response:
    page = page_number(request)
    entries = audit.entries(request.app[KB_KEY], PAGE_SIZE, (page - 1) * PAGE_SIZE)
    rows = [[vietnam_time(e["ts"]), e["actor"], e["action"], e["target"],
             h("pre", _value(e["before"])), h("pre", _value(e["after"]))] for e in entries]
    content = join([table([f"Lúc ({LABEL})", "Ai", "Việc", "Đối tượng", "Trước", "Sau"], rows, "Nhật ký thay đổi"),
                    _pager("/admin/audit", page, len(entries) == PAGE_SIZE)])
    return admin_page(request, "Nhật ký thay đổi", content)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/admin/users", users_page)
    router.add_post("/admin/users", user_add)
    router.add_post("/admin/users/{name}/update", user_update)
    router.add_post("/admin/users/{name}/remove", user_remove)
    router.add_get("/admin/audit", audit_page)
