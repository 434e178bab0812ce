"""Build the aiohttp application shared by the web chat, the staff area and the webhook routes.

Routes: ``/`` (web chat), ``POST /api/ask``, ``POST /api/feedback`` and ``GET /api/messages`` (JSON), ``/healthz``, ``/static/…``, ``/admin/…``
(staff area; uploads and CSV imports run as jobs off the event loop, :mod:`bot.staff_jobs`); channel
adapters add their webhooks. Every response carries the security headers of :mod:`bot.web.security`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from aiohttp import web

from handlers.conversation import Conversation, RateLimiter
from handlers.messages import IncomingMessage
from handlers import texts
from knowledge import audit, handover, health, querylog
from knowledge.store import KnowledgeBase

from .. import http_body
from . import admin_articles, admin_kb, admin_logs, admin_requests, admin_users, auth, chat, jobs, users
from .login_throttle import LoginThrottle
from .pages import error_pages
from .security import ClientAddresses, Sessions, security_headers
from .state import (ADDRESS_LIMITER_KEY, CHANNELS_KEY, CLIENT_ADDRESSES_KEY, CONVERSATION_KEY, KB_KEY,
                    LOGIN_THROTTLE_KEY, RETENTION_DAYS_KEY, SESSIONS_KEY)

__all__ = ["create_app", "CONVERSATION_KEY", "KB_KEY"]

MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # one admin form, e.g. several article files
STATIC_DIR = Path(__file__).resolve().parent / "static"


async def healthz(request: web.Request) -> web.Response:
    database = health.check(request.app[KB_KEY])
    channels = {channel.name: "on" if getattr(channel, "running", True) else "connecting"
                for channel in request.app[CHANNELS_KEY]}
    status = 200 if database == "ok" else 503
    return web.json_response({"database": database, "channels": channels}, status=status)


def _session(request: web.Request, payload: dict) -> str:
    """The chat's session id: the asker's identity for the log and for feedback."""
    return str(payload.get("session") or request.app[CLIENT_ADDRESSES_KEY].of(request))[:64]


async def _json_body(request: web.Request) -> object:
    """The JSON value sent, or (a web.Response) the Vietnamese error to return."""
    try:
        return await http_body.read_json(request, http_body.MAX_BODY_BYTES)
    except http_body.BodyRefused as exc:
        return web.json_response({"error": exc.text}, status=exc.status)


async def api_ask(request: web.Request) -> web.Response:
    """POST {"question": "...", "session": "..."} → the same fields as ``run_bot.py ask --json``,
    plus ``log_id``, ``contact_card`` ([{"label", "value"}]) and ``handover`` (under a refusal, the
    label of the button that leaves the question for staff; else null). Staff's answers come back to
    the session only: without one, a hand-over is not offered."""
    payload = await _json_body(request)
    if isinstance(payload, web.Response):
        return payload
    if not isinstance(payload, dict) or not isinstance(payload.get("question"), str):
        return web.json_response({"error": "Thiếu trường «question» (chuỗi văn bản)."}, status=400)
    has_session = isinstance(payload.get("session"), str) and bool(payload["session"])
    reply = (await chat.respond(request, _session(request, payload), payload["question"], "" if has_session else None))[0]
    body = reply.as_json()
    body["question"] = payload["question"]
    body["log_id"] = reply.log_id
    body["contact_card"] = [{"label": label, "value": value} for label, value in reply.contact_card]
    body["handover"] = texts.HANDOVER_BUTTON if reply.offers_handover else None
    return web.json_response(body)


async def api_feedback(request: web.Request) -> web.Response:
    """POST {"log_id": N, "value": 1 | -1, "session": "...", "reason": "..."} → {"text": "..."}: 👍/👎 on
    an answer, recorded only when the session is the one that asked; with 👎 an optional ``reason``
    (``wrong_info``, ``off_topic`` or ``unclear``: what was wrong)."""
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
    reason = payload.get("reason")
    if reason is not None and (value != -1 or reason not in querylog.FEEDBACK_REASONS):
        return web.json_response({"error": "Trường «reason» (lý do chưa hữu ích) phải là một trong "
                                           f"{', '.join(querylog.FEEDBACK_REASONS)} và đi kèm «value» -1."},
                                 status=400)
    session = _session(request, payload)
    reply = await request.app[CONVERSATION_KEY].feedback(IncomingMessage("web", session, session, None), log_id, value, reason)
    return web.json_response({"text": reply.text, "recorded": reply.text != texts.FEEDBACK_EXPIRED})


def create_app(conversation: Conversation, kb: KnowledgeBase, session_secret: str = "",
               trusted_proxies: Iterable[str] = (), chat_limit_per_address: int = 60,
               retention_days: int = 365) -> web.Application:
    """The web application; ``session_secret`` (env WEB_SESSION_SECRET) signs staff sessions,
    else a random per-install secret kept in the database is used. X-Forwarded-For names the
    client only when the peer is one of ``trusted_proxies``; one client address may ask
    ``chat_limit_per_address`` questions per conversation rate-limit window, whatever its session ids."""
    users.ensure_table(kb)
    audit.ensure_table(kb)
    handover.ensure_table(kb)
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES,
                          middlewares=[security_headers, error_pages, auth.sessions])
    app[CONVERSATION_KEY] = conversation
    app[KB_KEY] = kb
    app[SESSIONS_KEY] = Sessions(session_secret or users.session_secret(kb))
    app[LOGIN_THROTTLE_KEY] = LoginThrottle(kb)
    app[CLIENT_ADDRESSES_KEY] = ClientAddresses(trusted_proxies)
    app[ADDRESS_LIMITER_KEY] = RateLimiter(chat_limit_per_address, conversation.config.rate_limit_seconds)
    app[CHANNELS_KEY] = []
    app[RETENTION_DAYS_KEY] = retention_days  # told on /privacy
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/ask", api_ask)
    app.router.add_post("/api/feedback", api_feedback)
    app.router.add_static("/static", STATIC_DIR)
    chat.add_routes(app)
    auth.add_routes(app)
    jobs.setup(app)
    admin_kb.add_routes(app)
    admin_articles.add_routes(app)
    admin_users.add_routes(app)
    admin_logs.add_routes(app)
    admin_requests.add_routes(app)
    return app
