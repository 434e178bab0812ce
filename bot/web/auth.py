"""Staff sign-in for ``/admin``: the session middleware, login (throttled per account and client)
and logout, and the ``staff_only``/``admin_only`` guards that also check the CSRF token of every
form sent. A session names its user and carries the user's session stamp; it counts only while
that stamp is current (:mod:`bot.web.users`), so logout ends every session of the user.
"""
from __future__ import annotations

import asyncio
import functools
import json
import math
from typing import Awaitable, Callable

from aiohttp import web

from . import users
from .pages import error_page, flash, staff_write
from .security import COOKIE_NAME, SESSION_SECONDS, Sessions
from .state import (CLIENT_ADDRESSES_KEY, FORM_KEY, KB_KEY, LOGIN_THROTTLE_KEY, SESSIONS_KEY, SESSION_KEY,
                    USER_KEY)
from .templating import h, render

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SMALL_FORM_BYTES = 16 * 1024  # a sign-in form is a name, a password, a CSRF token and a return path
CSRF_FAILED = ("Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã bảo vệ CSRF). "
               "Vui lòng tải lại trang rồi thử lại.")


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the signed session of /admin requests and store it again when it changed."""
    if not request.path.startswith("/admin"):
        return await handler(request)
    store: Sessions = request.app[SESSIONS_KEY]
    cookie = request.cookies.get(COOKIE_NAME)
    request[SESSION_KEY] = session = store.load(cookie)
    before = json.dumps(session, sort_keys=True) if cookie else None
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects
        _save(request, store, before, exc)
        raise
    _save(request, store, before, response)
    return response


def _save(request: web.Request, store: Sessions, before: str | None, response: web.StreamResponse) -> None:
    session = request[SESSION_KEY]
    if json.dumps(session, sort_keys=True) != before:
        response.set_cookie(COOKIE_NAME, store.dump(session), path="/admin", httponly=True, samesite="Lax",
                            secure=served_over_https(request), max_age=SESSION_SECONDS)


def served_over_https(request: web.Request) -> bool:
    """HTTPS here, or at the reverse proxy in front (which says so in X-Forwarded-Proto)."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def current_user(request: web.Request) -> users.User | None:
    session = request[SESSION_KEY]
    return users.from_session(request.app[KB_KEY], session.get("u"), session.get("k"))


def start_session(request: web.Request, name: str) -> None:
    """A new session (new id, so new CSRF token) signed in as ``name``."""
    request[SESSION_KEY] = Sessions.new(u=name, k=users.session_stamp(request.app[KB_KEY], name))


def _guard(handler: Handler, admin: bool) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        user = current_user(request)
        if user is None:
            if request.method == "POST":
                return error_page(403, "Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.")
            raise web.HTTPSeeOther(f"/admin/login?next={request.path_qs}")
        if admin and not user.is_admin:
            return error_page(403, "Trang này chỉ dành cho quản trị viên.")
        request[USER_KEY] = user
        if request.method == "POST":
            request[FORM_KEY] = await request.post()
            if not request.app[SESSIONS_KEY].csrf_ok(request[SESSION_KEY], request[FORM_KEY].get("csrf")):
                return error_page(403, CSRF_FAILED)
        return await handler(request)
    guarded.required_role = "admin" if admin else "staff"  # read by the per-route access test
    return guarded


def staff_only(handler: Handler) -> Handler:
    return _guard(handler, admin=False)


def admin_only(handler: Handler) -> Handler:
    return _guard(handler, admin=True)


def _login_form(request: web.Request, error: str = "", name: str = "", status: int = 200) -> web.Response:
    token = request.app[SESSIONS_KEY].csrf_token(request[SESSION_KEY])
    notice = request[SESSION_KEY].pop("f", None)
    message = h("p", error, class_="notice error", role="alert") if error else \
        h("p", notice[1], class_="notice ok", role="status") if notice else ""
    body = render("login.html", csrf=token, error=message, name=name,
                  next=request.query.get("next", "/admin"))
    return web.Response(text=body, status=status, content_type="text/html")


async def login_get(request: web.Request) -> web.Response:
    if current_user(request):
        raise web.HTTPSeeOther("/admin")
    return _login_form(request)


async def _small_form(request: web.Request):
    """The form of a page anyone can post to (sign-in, sign-out): a few fields, never a large body."""
    if request.content_length is None or request.content_length > SMALL_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=SMALL_FORM_BYTES, actual_size=request.content_length or 0)
    return await request.post()


async def login_post(request: web.Request) -> web.Response:
    form = await _small_form(request)
    store: Sessions = request.app[SESSIONS_KEY]
    if not store.csrf_ok(request[SESSION_KEY], form.get("csrf")):
        return _login_form(request, CSRF_FAILED, status=403)
    name, password = str(form.get("name", "")).strip()[:40], str(form.get("password", ""))[:200]
    throttle = request.app[LOGIN_THROTTLE_KEY]
    pair = (name.casefold(), request.app[CLIENT_ADDRESSES_KEY].of(request))
    wait = throttle.wait_seconds(*pair)
    if wait:
        response = _login_form(request, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau "
                                        f"{_duration(wait)}.", name, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    kb = request.app[KB_KEY]
    stored = users.stored_hash(kb, name)
    matches = await asyncio.to_thread(users.password_matches, password, stored)  # scrypt: not on the loop
    user = users.get(kb, name) if matches else None
    if user is None:
        await staff_write(request, throttle.failed, *pair)
        return _login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", name, status=401)
    await staff_write(request, throttle.succeeded, *pair)
    start_session(request, user.name)
    target = str(form.get("next", ""))
    raise web.HTTPSeeOther(target if target.startswith("/admin") and "//" not in target else "/admin")


async def logout(request: web.Request) -> web.StreamResponse:
    form = await _small_form(request)
    if not request.app[SESSIONS_KEY].csrf_ok(request[SESSION_KEY], form.get("csrf")):
        return error_page(403, CSRF_FAILED)
    user = current_user(request)
    if user:
        await staff_write(request, users.end_sessions, user.name)
    request[SESSION_KEY] = Sessions.new()
    flash(request, "Bạn đã đăng xuất.")
    raise web.HTTPSeeOther("/admin/login")


def _duration(seconds: int) -> str:
    return f"{seconds} giây" if seconds < 60 else f"{math.ceil(seconds / 60)} phút"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/login", login_get)
    app.router.add_post("/admin/login", login_post)
    app.router.add_post("/admin/logout", logout)
