"""Build the aiohttp application shared by the web chat, the staff area and the webhook routes.

Routes: ``/`` (web chat), ``POST /api/ask`` and ``POST /api/feedback`` (JSON), ``/healthz``, ``/static/…``, ``/admin/…``
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

from . import admin_kb, admin_logs, admin_users, auth, chat
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
    channels = {channel.name: "on" if getattr(channel, "running", True) else "connecting"
                for channel in request.app[CHANNELS_KEY]}
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


def _session(request: web.Request, payload: dict) -> str:
    """The chat's session id: the asker's identity for the log and for feedback."""
    return str(payload.get("session") or request.remote or "web")[:64]


async def _json_body(request: web.Request) -> object:
    """The JSON value sent, or (a web.Response) the Vietnamese error to return."""
    raw = await _read_limited(request, MAX_BODY_BYTES)
    if raw is None:
        return web.json_response({"error": f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY_BYTES // 1024} KB)."},
                                 status=413)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"error": "Dữ liệu gửi lên không phải JSON hợp lệ."}, status=400)
    return payload


async def api_ask(request: web.Request) -> web.Response:
    """POST {"question": "...", "session": "..."} → the same fields as ``run_bot.py ask --json``,
    plus ``log_id`` and ``contact_card`` ([{"label", "value"}])."""
    payload = await _json_body(request)
    if isinstance(payload, web.Response):
        return payload
    if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
        return web.json_response({"error": "Thiếu trường «question» (chuỗi văn bản)."}, status=400)
    session = _session(request, payload)
    message = IncomingMessage("web", session, session, payload["question"])
    replies = request.app[CONVERSATION_KEY].respond(message)
    reply = replies[0]
    body = reply.as_json()
    body["question"] = payload["question"]
    body["log_id"] = reply.log_id
    body["contact_card"] = [{"label": label, "value": value} for label, value in reply.contact_card]
    return web.json_response(body)


async def api_feedback(request: web.Request) -> web.Response:
    """POST {"log_id": N, "value": 1 | -1, "session": "..."} → {"text": "..."}: 👍/👎 on an answer,
    recorded only when the session is the one that asked."""
    payload = await _json_body(request)
    if isinstance(payload, web.Response):
        return payload
    payload = payload if isinstance(payload, dict) else {}
    log_id, value = payload.get("log_id"), payload.get("value")
    if not isinstance(log_id, int) or isinstance(log_id, bool) or log_id <= 0:
        return web.json_response({"error": "Thiếu trường «log_id» (số nguyên dương)."}, status=400)
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, -1):
        return web.json_response({"error": "Trường «value» phải là 1 (hữu ích) hoặc -1 (chưa hữu ích)."},
                                 status=400)
    if not isinstance(payload.get("session"), str) or not payload["session"]:
        return web.json_response({"error": "Thiếu trường «session» (mã phiên trò chuyện)."}, status=400)
    session = _session(request, payload)
    reply = request.app[CONVERSATION_KEY].feedback(IncomingMessage("web", session, session, None), log_id, value)
    return web.json_response({"text": reply.text})


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
    app.router.add_post("/api/feedback", api_feedback)
    app.router.add_static("/static", STATIC_DIR)
    chat.add_routes(app)
    auth.add_routes(app)
    admin_kb.add_routes(app)
    admin_users.add_routes(app)
    admin_logs.add_routes(app)
    return app
