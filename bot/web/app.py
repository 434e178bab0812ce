"""Build the aiohttp application shared by the web chat and the webhook routes."""
from __future__ import annotations

import json

from aiohttp import web

from handlers.conversation import Conversation
from handlers.messages import IncomingMessage
from knowledge.store import KnowledgeBase

CONVERSATION_KEY = web.AppKey("conversation", Conversation)
KB_KEY = web.AppKey("kb", KnowledgeBase)
MAX_BODY_BYTES = 64 * 1024


async def healthz(request: web.Request) -> web.Response:
    kb = request.app[KB_KEY]
    try:
        kb.version()
        database = "ok"
    except Exception as exc:  # reported, not raised: this is the health check
        database = f"error: {exc}"
    channels = {name: "on" for name in request.app.get("channels", [])}
    status = 200 if database == "ok" else 503
    return web.json_response({"database": database, "channels": channels}, status=status)


async def api_ask(request: web.Request) -> web.Response:
    """POST {"question": "...", "session": "..."} → the same fields as ``run_bot.py ask --json``."""
    try:
        payload = await request.json(loads=json.loads)
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
    return web.json_response(body)


def create_app(conversation: Conversation, kb: KnowledgeBase) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CONVERSATION_KEY] = conversation
    app[KB_KEY] = kb
    app["channels"] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/ask", api_ask)
    return app
