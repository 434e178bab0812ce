"""Staff sign-in for ``/admin``: the session middleware, login and logout, and the
``staff_only``/``admin_only`` guards that also check the CSRF token of every form sent.
"""
from __future__ import annotations

import functools
import json
import time
from typing import Awaitable, Callable

from aiohttp import web

from knowledge import users
from knowledge.users import User

from .pages import error_page, flash
from .security import COOKIE_NAME, SESSION_SECONDS, Sessions
from .state import FORM_KEY, KB_KEY, LOGIN_LIMITER_KEY, SESSIONS_KEY, SESSION_KEY, USER_KEY
from .templating import h, render

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
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


def current_user(request: web.Request) -> User | None:
    name = request[SESSION_KEY].get("u")
    return users.get(request.app[KB_KEY], name) if name else None


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


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    store: Sessions = request.app[SESSIONS_KEY]
    if not store.csrf_ok(request[SESSION_KEY], form.get("csrf")):
        return _login_form(request, CSRF_FAILED, status=403)
    name, password = str(form.get("name", "")).strip()[:40], str(form.get("password", ""))[:200]
    limiter = request.app[LOGIN_LIMITER_KEY]
    keys = [f"ip:{request.remote}", f"name:{name.casefold()}"]
    wait = limiter.wait_seconds(keys)
    if wait:
        return _login_form(request, f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait // 60 + 1} phút.",
                           name, status=429)
    user = users.authenticate(request.app[KB_KEY], name, password)
    if user is None:
        limiter.failed(keys)
        return _login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", name, status=401)
    limiter.succeeded(keys)
    request[SESSION_KEY] = Sessions.new(u=user.name, t=int(time.time()))  # a new session id on login
    target = str(form.get("next", ""))
    raise web.HTTPSeeOther(target if target.startswith("/admin") and "//" not in target else "/admin")


async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not request.app[SESSIONS_KEY].csrf_ok(request[SESSION_KEY], form.get("csrf")):
        return error_page(403, CSRF_FAILED)
    request[SESSION_KEY] = Sessions.new()
    flash(request, "Bạn đã đăng xuất.")
    raise web.HTTPSeeOther("/admin/login")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/login", login_get)
    app.router.add_post("/admin/login", login_post)
    app.router.add_post("/admin/logout", logout)
