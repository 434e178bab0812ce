"""Build the aiohttp application shared by the web chat, the staff area and the webhook routes.

Routes: ``/`` (web chat), ``POST /api/ask`` (JSON), ``/healthz``, ``/static/…``, ``/admin/…``
(staff area); channel adapters add their webhooks. Every response carries the security
headers of :mod:`bot.web.security`.
"""
from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from handlers.conversation import Conversation
from handlers.messages import IncomingMessage
from knowledge import audit, users
from knowledge.store import KnowledgeBase

from . import admin_kb, admin_users, auth, chat
from .pages import error_pages
from .security import LoginLimiter, Sessions, security_headers
from .state import CHANNELS_KEY, CONVERSATION_KEY, KB_KEY, LOGIN_LIMITER_KEY, SESSIONS_KEY

__all__ = ["create_app", "CONVERSATION_KEY", "KB_KEY"]

MAX_BODY_BYTES = 64 * 1024  # /api/ask
MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # one admin form, e.g. several article files
STATIC_DIR = Path(__file__).resolve().parent / "static"


async def healthz(request: web.Request) -> web.Response:
    kb = request.app[KB_KEY]
    try:
        kb.version()
        database = "ok"
    except Exception as exc:  # reported, not raised: this is the health check
        database = f"error: {exc}"
    channels = {name: "on" for name in request.app[CHANNELS_KEY]}
    status = 200 if database == "ok" else 503
    return web.json_response({"database": database, "channels": channels}, status=status)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def api_ask(request: web.Request) -> web.Response:
    """POST {"question": "...", "session": "..."} → the same fields as ``run_bot.py ask --json``,
    plus ``log_id`` and ``contact_card`` ([{"label", "value"}])."""
    raw = await _read_limited(request, MAX_BODY_BYTES)
    if raw is None:
        return web.json_response({"error": f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY_BYTES // 1024} KB)."},
                                 status=413)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"error": "Dữ liệu gửi lên không phải JSON hợp lệ."}, status=400)
    if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
        return web.json_response({"error": "Thiếu trường «question» (chuỗi văn bản)."}, status=400)
    session = str(payload.get("session") or request.remote or "web")[:64]
    message = IncomingMessage("web", session, session, payload["question"])
    replies = request.app[CONVERSATION_KEY].respond(message)
    reply = replies[0]
    body = reply.as_json()
    body["question"] = payload["question"]
    body["log_id"] = reply.log_id
    body["contact_card"] = [{"label": label, "value": value} for label, value in reply.contact_card]
    return web.json_response(body)


def create_app(conversation: Conversation, kb: KnowledgeBase, session_secret: str = "") -> web.Application:
    """The web application; ``session_secret`` (env WEB_SESSION_SECRET) signs staff sessions,
    else a random per-install secret kept in the database is used."""
    users.ensure_table(kb)
    audit.ensure_table(kb)
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES,
                          middlewares=[security_headers, error_pages, auth.sessions])
    app[CONVERSATION_KEY] = conversation
    app[KB_KEY] = kb
    app[SESSIONS_KEY] = Sessions(session_secret or users.session_secret(kb))
    app[LOGIN_LIMITER_KEY] = LoginLimiter()
    app[CHANNELS_KEY] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/ask", api_ask)
    app.router.add_static("/static", STATIC_DIR)
    chat.add_routes(app)
    auth.add_routes(app)
    admin_kb.add_routes(app)
    admin_users.add_routes(app)
    return app
