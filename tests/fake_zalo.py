"""Local fakes of Zalo's platforms over real HTTP on 127.0.0.1, speaking their wire format:
the OA Open API v3 with its OAuth token endpoint (:class:`FakeZaloOA`) and the Zalo Bot API
(:class:`FakeZaloBot`). Every request is recorded so tests assert on exactly what the bot sent.
The OA signature is computed here independently of the code under test. :meth:`FakeServer.hold`
keeps the bot's messages in flight, to kill the bot while Zalo has not yet taken them.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    json: dict | None = None
    form: dict | None = None


def oa_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """What Zalo puts in X-ZEvent-Signature: mac= + sha256(app_id + body + timestamp + OA secret key)."""
    return "mac=" + hashlib.sha256((app_id + body.decode() + timestamp + oa_secret_key).encode()).hexdigest()


def now_ms(offset_seconds: float = 0) -> str:
    return str(int((time.time() + offset_seconds) * 1000))


class FakeServer:
    def __init__(self):
        self.app = web.Application()
        self.requests: list[Request] = []
        self.url = ""
        self.held = 0  # messages being held now (see hold)
        self._open = asyncio.Event()
        self._open.set()
        self._runner: web.AppRunner | None = None

    async def start(self) -> "FakeServer":
        self._runner = web.AppRunner(self.app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def record(self, request: web.Request) -> Request:
        entry = Request(request.method, request.path, dict(request.headers))
        if request.content_type == "application/x-www-form-urlencoded":
            entry.form = dict(await request.post())
        elif request.can_read_body:
            try:
                entry.json = await request.json()
            except ValueError:
                entry.json = None
        self.requests.append(entry)
        return entry

    def hold(self) -> None:
        """From now on a message sent is held, unanswered and not delivered, until :meth:`release`;
        one whose sender hangs up meanwhile (a killed bot) is never delivered."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def gate(self) -> None:
        """Where a message waits while held (the handler is cancelled if the sender hangs up): right
        before it is recorded as delivered, with nothing awaited in between."""
        if self._open.is_set():
            return
        self.held += 1
        try:
            await self._open.wait()
        finally:
            self.held -= 1

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def wait_for(self, condition, timeout: float = 5.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; requests: {self.paths()}")
            await asyncio.sleep(0.01)


# A customer-service message's button attachment, as public references give it:
# {"type": "template", "payload": {"buttons": [{"title", "type", "payload"}, …]}}.
BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone"}
MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_QUERY_PAYLOAD = 5, 100, 1000


def attachment_problem(attachment) -> str | None:
    """Why Zalo would refuse this attachment, or None."""
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return "attachment type must be template"
    buttons = (attachment.get("payload") or {}).get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        return f"1 to {MAX_BUTTONS} buttons"
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            return "unknown button type"
        title = button.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= MAX_BUTTON_TITLE:
            return f"button title must be 1 to {MAX_BUTTON_TITLE} characters"
        if button["type"] in ("oa.query.show", "oa.query.hide"):
            query = button.get("payload")
            if not isinstance(query, str) or not 1 <= len(query) <= MAX_QUERY_PAYLOAD:
                return f"query payload must be 1 to {MAX_QUERY_PAYLOAD} characters"
    return None


class FakeZaloOA(FakeServer):
    """``/v3.0/oa/message/cs`` and ``/v4/oa/access_token`` (rotating, single-use refresh tokens).
    A message may carry a button attachment, checked by :func:`attachment_problem` (error -201);
    :attr:`refuse_attachments` makes it refuse every attachment with that error code, as an OA
    whose package lacks them would.

    Like Zalo, it refuses a message to a user who has not written to the OA within the reply window
    (error -230): tests record each user's messages with :meth:`user_wrote`; a user the fake never
    heard from is taken to be within the window."""

    def __init__(self, app_id: str, app_secret: str, access_token: str, refresh_token: str):
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.valid_tokens = {access_token}
        self.expired_tokens: set[str] = set()
        self.refresh_token = refresh_token
        self.errors: list[int] = []  # error codes for the next sends, then success
        self.delay = 0.0  # seconds before answering a send
        self.messages: list[tuple[str, str]] = []  # (user_id, text) accepted
        self.buttons: list[list[dict]] = []  # the buttons of each accepted message ([] for none)
        self.refuse_attachments: int | None = None
        self.last_message: dict[str, float] = {}  # user id → when they last wrote to the OA
        self.reply_window_seconds = 7 * 86400
        self._ids = itertools.count(1)
        self.app.router.add_post("/v3.0/oa/message/cs", self.send)
        self.app.router.add_post("/v4/oa/access_token", self.access_token)
        self.app.router.add_get("/v2.0/oa/getoa", self.get_oa)

    def expire(self, token: str) -> None:
        self.valid_tokens.discard(token)
        self.expired_tokens.add(token)

    def user_wrote(self, user_id: str, seconds_ago: float = 0) -> None:
        self.last_message[user_id] = time.time() - seconds_ago

    def sends(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/v3.0/oa/message/cs"]

    async def send(self, request: web.Request) -> web.Response:
        entry = await self.record(request)
        await asyncio.sleep(self.delay)
        token = request.headers.get("access_token", "")
        if token in self.expired_tokens:
            return web.json_response({"error": -220, "message": "Access token has expired"})
        if token not in self.valid_tokens:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        if self.errors:
            code = self.errors.pop(0)
            return web.json_response({"error": code, "message": f"fake error {code}"})
        body = entry.json or {}
        user_id = (body.get("recipient") or {}).get("user_id")
        text = (body.get("message") or {}).get("text")
        if not user_id or not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return web.json_response({"error": -201, "message": "Parameters are invalid"})
        attachment = (body.get("message") or {}).get("attachment")
        if attachment is not None:
            if self.refuse_attachments is not None:
                return web.json_response({"error": self.refuse_attachments, "message": "attachment not allowed"})
            problem = attachment_problem(attachment)
            if problem:
                return web.json_response({"error": -201, "message": f"Parameters are invalid: {problem}"})
        if time.time() - self.last_message.get(user_id, time.time()) > self.reply_window_seconds:
            return web.json_response({"error": -230, "message": "User has not interacted with the OA in the last 7 days"})
        await self.gate()
        self.messages.append((user_id, text))
        self.buttons.append(attachment["payload"]["buttons"] if attachment else [])
        return web.json_response({"data": {"message_id": f"m{next(self._ids)}", "user_id": user_id},
                                  "error": 0, "message": "Success"})

    async def get_oa(self, request: web.Request) -> web.Response:
        await self.record(request)
        token = request.headers.get("access_token", "")
        if token in self.expired_tokens:
            return web.json_response({"error": -220, "message": "Access token has expired"})
        if token not in self.valid_tokens:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        return web.json_response({"data": {"oa_id": "oa-1", "name": "Sở KH&CN Cần Thơ"}, "error": 0,
                                  "message": "Success"})

    async def access_token(self, request: web.Request) -> web.Response:
        entry = await self.record(request)
        form = entry.form or {}
        if request.headers.get("secret_key") != self.app_secret:
            return web.json_response({"error": -14002, "error_name": "Invalid app secret"})
        if (form.get("app_id") != self.app_id or form.get("grant_type") != "refresh_token"
                or form.get("refresh_token") != self.refresh_token):
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        n = next(self._ids)
        access, self.refresh_token = f"access-{n}", f"refresh-{n}"
        self.valid_tokens = {access}
        return web.json_response({"access_token": access, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})


class FakeZaloBot(FakeServer):
    """``/bot{token}/{method}``: getMe, getUpdates (long polling), setWebhook, deleteWebhook,
    getWebhookInfo, sendMessage, sendChatAction; and :meth:`deliver` to play Zalo's webhook push."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.updates: asyncio.Queue = asyncio.Queue()
        self.webhook = {"url": "", "secret_token": ""}
        self.messages: list[tuple[str, str]] = []  # (chat_id, text) accepted
        self._ids = itertools.count(1)
        self.app.router.add_post("/{bot}/{method}", self.handle)

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/" + method)]

    @staticmethod
    def update(chat_id: str, text: str | None = "", message_id: str | None = None,
               event: str = "message.text.received") -> dict:
        message = {"from": {"id": chat_id, "display_name": "Nguyễn Văn A", "is_bot": False},
                   "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                   "message_id": message_id or f"u{time.monotonic_ns()}", "date": int(time.time() * 1000)}
        if text is not None:
            message["text"] = text
        return {"event_name": event, "message": message}

    async def deliver(self, url: str, update: dict, secret: str | None = None, raw: bytes | None = None) -> int:
        """POST an update to the bot's webhook as Zalo does; returns the HTTP status."""
        secret = self.webhook["secret_token"] if secret is None else secret
        headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": secret}
        body = raw if raw is not None else json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
        async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
            return response.status

    async def handle(self, request: web.Request) -> web.Response:
        entry = await self.record(request)
        if request.match_info["bot"] != f"bot{self.token}":
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = entry.json or {}
        method = request.match_info["method"]
        now = int(time.time() * 1000)
        if method == "getMe":
            return self.ok({"id": "1459232241454765289", "account_name": "bot.sokhcn", "account_type": "BASIC",
                            "can_join_groups": False})
        if method == "getUpdates":
            if self.webhook["url"]:
                return self.error(409, "Conflict: webhook is active")
            try:
                return self.ok(await asyncio.wait_for(self.updates.get(), float(params.get("timeout", 30))))
            except asyncio.TimeoutError:
                return self.error(408, "Request timeout")
        if method == "setWebhook":
            url, secret = params.get("url", ""), params.get("secret_token", "")
            if not url.startswith("https://") or not 8 <= len(secret) <= 256:
                return self.error(400, "Bad Request: invalid url or secret_token")
            self.webhook = {"url": url, "secret_token": secret}
            return self.ok({"url": url, "updated_at": now})
        if method == "deleteWebhook":
            self.webhook = {"url": "", "secret_token": ""}
            return self.ok({"url": "", "updated_at": now})
        if method == "getWebhookInfo":
            return self.ok({"url": self.webhook["url"], "updated_at": now})
        if method == "sendMessage":
            await self.gate()
            text = params.get("text")
            if not params.get("chat_id") or not isinstance(text, str) or not 1 <= len(text) <= 2000:
                return self.error(400, "Bad Request: text must be 1-2000 characters")
            self.messages.append((str(params["chat_id"]), text))
            return self.ok({"message_id": f"s{next(self._ids)}", "date": now})
        if method == "sendChatAction":
            return web.json_response({"ok": True})
        return self.error(404, "Not Found")

    @staticmethod
    def ok(result) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description})
