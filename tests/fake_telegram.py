"""A local stand-in for the Telegram Bot API, over real HTTP (aiohttp), for end-to-end tests.

It speaks the wire format python-telegram-bot uses: ``POST /bot<token>/<method>`` with form-encoded
(or JSON, or multipart) parameters, where structured values such as ``reply_markup`` arrive as
JSON strings; answers ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code", "description",
"parameters"}``. Files are served from ``GET /file/bot<token>/<file_path>``.

Tests use it to
* see every request the bot made (:attr:`FakeTelegram.calls`: method name + parsed parameters);
* queue updates for ``getUpdates`` (honouring ``offset``/``timeout``/``limit``), or deliver one
  again regardless of the offset (to test de-duplication);
* inject failures: a 429 with ``retry_after``, a 500, … for the next N calls of a method;
* hold ``sendMessage`` calls unanswered (:meth:`FakeTelegram.hold`), to kill the bot while its
  replies are in flight: one whose sender hangs up meanwhile is never delivered (status 499);
* check what Telegram would reject: HTML that does not parse (unescaped ``<``/``&``, unknown or
  unclosed tags), text over 4,096 characters, ``callback_data`` over 64 bytes, an empty text;
* change a message's buttons (``editMessageReplyMarkup``, checked the same way).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456789:AAF-fake-token_for-tests"
JSON_FIELDS = ("reply_markup", "allowed_updates", "commands", "link_preview_options", "reply_parameters",
               "entities", "scope")
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
             "pre", "blockquote", "tg-emoji"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class TelegramHTMLError(ValueError):
    pass


def parse_telegram_html(text: str) -> str:
    """The visible text of a message sent with parse_mode=HTML, raising like Telegram does."""
    out, stack, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG_RE.match(text, i)
            if not match:
                raise TelegramHTMLError(f"can't parse entities: unexpected '<' at byte offset {i}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in HTML_TAGS:
                raise TelegramHTMLError(f"can't parse entities: unsupported start tag \"{name}\" at byte offset {i}")
            if closing:
                if not stack or stack[-1] != name:
                    raise TelegramHTMLError(f"can't parse entities: unmatched end tag \"{name}\" at byte offset {i}")
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(text, i)
            if not match:
                raise TelegramHTMLError(f"can't parse entities: unsupported entity at byte offset {i}")
            value = match.group(1)
            if value in _NAMED:
                out.append(_NAMED[value])
            else:
                out.append(chr(int(value[2:], 16) if value[1:2] in "xX" else int(value[1:])))
            i = match.end()
        elif char == ">":
            raise TelegramHTMLError(f"can't parse entities: unexpected '>' at byte offset {i}")
        else:
            out.append(char)
            i += 1
    if stack:
        raise TelegramHTMLError(f"can't parse entities: can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int = 200               # what the fake answered
    result: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200


class FakeTelegram:
    def __init__(self, token: str = DEFAULT_TOKEN, bot_id: int = 7000000001, username: str = "cantho_khcn_bot"):
        self.token = token
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "Sở KH&CN Cần Thơ", "username": username,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        self.calls: list[ApiCall] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self._pending: list[dict] = []          # updates not yet confirmed by an offset
        self._forced: list[dict] = []           # delivered once more whatever the offset
        self._failures: dict[str, list[tuple[int, str, dict | None]]] = {}
        self._update_ids = itertools.count(500001)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.held = 0  # sendMessage calls being held now (see hold)
        self._open = asyncio.Event()
        self._open.set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # ----- server ----------------------------------------------------------------------------
    async def start(self, port: int = 0) -> "FakeTelegram":
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_post("/_control/say", self._control_say)
        app.router.add_get("/_control/calls", self._control_calls)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing = True  # pending long polls return at once
        self._changed.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----- what tests do ---------------------------------------------------------------------
    def push_update(self, update: dict, ignore_offset: bool = False) -> dict:
        """Queue an update for getUpdates (``ignore_offset``: deliver it even if already confirmed)."""
        update.setdefault("update_id", next(self._update_ids))
        (self._forced if ignore_offset else self._pending).append(update)
        self._notify()
        return update

    def fail(self, method: str, status: int = 500, description: str | None = None,
             retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail with ``status``."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if description is None:
            description = {429: f"Too Many Requests: retry after {retry_after}", 500: "Internal Server Error",
                           400: "Bad Request", 502: "Bad Gateway"}.get(status, "Error")
        self._failures.setdefault(method, []).extend([(status, description, parameters)] * times)

    def hold(self) -> None:
        """From now on a sendMessage is held, unanswered and not delivered, until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def _gate(self, call: ApiCall) -> None:
        if self._open.is_set():
            return
        self.held += 1
        call.status = 0  # not answered, so not sent, while held
        try:
            await self._open.wait()
        except asyncio.CancelledError:  # the bot hung up (or died): Telegram never took the message
            call.status = 499
            raise
        finally:
            self.held -= 1
        call.status = 200

    def add_file(self, file_id: str, name: str, content: bytes) -> None:
        self.files[file_id] = (f"documents/{file_id}_{name}", content)

    def requests(self, method: str | None = None, ok_only: bool = False) -> list[ApiCall]:
        return [c for c in self.calls if (method is None or c.method == method) and (c.ok or not ok_only)]

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """Messages actually delivered (sendMessage answered 200)."""
        return [c for c in self.requests("sendMessage", ok_only=True)
                if chat_id is None or int(c.params["chat_id"]) == chat_id]

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                methods = [c.method for c in self.calls]
                raise AssertionError(f"timed out waiting; calls so far: {methods}")
            # polled: clearing the shared event here could swallow the wake-up of a pending getUpdates
            # (an update pushed right after a reply would then wait for the long poll's timeout)
            await asyncio.sleep(min(remaining, 0.01))

    async def wait_sent(self, count: int, chat_id: int | None = None, timeout: float = 10.0) -> list[ApiCall]:
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    async def settle(self, seconds: float = 0.5) -> None:
        """Give the bot time to (wrongly) send something more."""
        await asyncio.sleep(seconds)

    def _notify(self) -> None:
        self._changed.set()

    # ----- building updates --------------------------------------------------------------------
    def user(self, user_id: int = 424242, first_name: str = "Lan", language_code: str = "vi") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private", title: str = "Nhóm hỏi đáp") -> dict:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "Lan"}
        return {"id": chat_id, "type": chat_type, "title": title}

    def message(self, user_id: int = 424242, chat_id: int | None = None, chat_type: str = "private",
                **content) -> dict:
        chat_id = user_id if chat_id is None else chat_id
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id, chat_type), "from": self.user(user_id)}
        message.update(content)
        return message

    def text_update(self, text: str, user_id: int = 424242, chat_id: int | None = None,
                    chat_type: str = "private", **extra) -> dict:
        message = self.message(user_id, chat_id, chat_type, text=text, **extra)
        if text.startswith("/"):
            command = text.split()[0]
            message.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": len(command)}])
        return {"message": message}

    def bot_message(self, chat_id: int, chat_type: str = "private", text: str = "…") -> dict:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": self.chat(chat_id, chat_type), "from": dict(self.bot), "text": text}

    def button_update(self, data: str, user_id: int = 424242, chat_id: int | None = None,
                      chat_type: str = "private", markup: dict | None = None) -> dict:
        """A press of a button with ``data``, under a message of the bot's carrying ``markup``."""
        chat_id = user_id if chat_id is None else chat_id
        message = self.bot_message(chat_id, chat_type)
        if markup:
            message["reply_markup"] = markup
        return {"callback_query": {"id": str(next(self._update_ids)), "from": self.user(user_id),
                                   "chat_instance": "ci-1", "data": data, "message": message}}

    def document_update(self, file_id: str, name: str, size: int, user_id: int = 424242,
                        mime_type: str = "text/markdown") -> dict:
        document = {"file_id": file_id, "file_unique_id": "u" + file_id, "file_name": name,
                    "mime_type": mime_type, "file_size": size}
        return {"message": self.message(user_id, document=document)}

    # ----- the API ---------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:  # form-encoded or multipart, as python-telegram-bot sends them
                for key, value in (await request.post()).items():
                    params[key] = value if isinstance(value, str) else value.file.read()
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = ApiCall(method, params)
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                return self._error(call, 401, "Unauthorized")
            failures = self._failures.get(method)
            if failures:
                status, description, parameters = failures.pop(0)
                return self._error(call, status, description, parameters)
            handler = getattr(self, "_m_" + method, None)
            if handler is None:
                return self._error(call, 404, "Not Found")
            if method == "sendMessage":
                await self._gate(call)
            try:
                result = await handler(params)
            except TelegramHTMLError as exc:
                return self._error(call, 400, f"Bad Request: {exc}")
            except _BadRequest as exc:
                return self._error(call, 400, f"Bad Request: {exc}")
            call.result = result
            return web.json_response({"ok": True, "result": result})
        finally:
            self._notify()

    @staticmethod
    def _error(call: ApiCall, status: int, description: str, parameters: dict | None = None) -> web.Response:
        call.status = status
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for stored_path, content in self.files.values():
            if stored_path == path:
                return web.Response(body=content)
        return web.Response(status=404)

    # manual trials (``python tests/fake_telegram.py``) -----------------------------------------
    async def _control_say(self, request: web.Request) -> web.Response:
        """POST {"text": "...", "user_id": 1}: a citizen writes to the bot."""
        body = await request.json()
        update = self.push_update(self.text_update(str(body["text"]), user_id=int(body.get("user_id", 424242))))
        return web.json_response({"update_id": update["update_id"]})

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response([{"method": c.method, "status": c.status,
                                   "params": {k: v for k, v in c.params.items() if isinstance(v, (str, int, dict, list))}}
                                  for c in self.calls])

    # Bot API methods ------------------------------------------------------------------------
    async def _m_getMe(self, params):
        return self.bot

    async def _m_deleteWebhook(self, params):
        self.webhook = {"url": ""}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._pending.clear()
        return True

    async def _m_setWebhook(self, params):
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token"),
                        "allowed_updates": params.get("allowed_updates")}
        return True

    async def _m_getWebhookInfo(self, params):
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_setMyCommands(self, params):
        return True

    async def _m_sendChatAction(self, params):
        return True

    async def _m_answerCallbackQuery(self, params):
        return True

    async def _m_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self._pending and not self._forced:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                return []
        batch = (self._forced + self._pending)[:limit]
        self._forced = [u for u in self._forced if u not in batch]
        return batch

    async def _m_sendMessage(self, params):
        text = params.get("text")
        if text is None or params.get("chat_id") in (None, ""):
            raise _BadRequest("chat_id and text are required")
        visible = parse_telegram_html(text) if params.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise _BadRequest("message text is empty")
        if len(visible.encode("utf-16-le")) // 2 > 4096:
            raise _BadRequest("message is too long")
        markup = params.get("reply_markup") or {}
        _check_markup(markup)
        params["visible_text"] = visible
        chat_id = int(params["chat_id"])
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self.chat(chat_id, "private" if chat_id > 0 else "supergroup"),
                   "from": dict(self.bot), "text": visible}
        if markup:
            message["reply_markup"] = markup
        return message

    async def _m_editMessageReplyMarkup(self, params):
        if params.get("chat_id") in (None, "") or params.get("message_id") in (None, ""):
            raise _BadRequest("chat_id and message_id are required")
        _check_markup(params.get("reply_markup") or {})
        return True

    async def _m_getFile(self, params):
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise _BadRequest("invalid file_id")
        path, content = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(content), "file_path": path}


class _BadRequest(Exception):
    pass


def _check_markup(markup: dict) -> None:
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _BadRequest("BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise _BadRequest("button text is empty")


async def _serve(port: int) -> None:
    fake = await FakeTelegram().start(port)
    print(f"Fake Bot API on {fake.base_url}  token={fake.token}", flush=True)
    print(f"  say:   curl -s -X POST http://127.0.0.1:{fake.port}/_control/say -d '{{\"text\": \"sđt sở\"}}'")
    print(f"  calls: curl -s http://127.0.0.1:{fake.port}/_control/calls", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.close()


if __name__ == "__main__":
    import sys

    try:
        asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 8081))
    except KeyboardInterrupt:
        pass
