"""Zalo Bot API channel (Zalo's Telegram-like bot platform): updates by long polling
(``getUpdates``) or, when ``ZALO_BOT_WEBHOOK_SECRET`` is set, by the webhook
``POST /zalo/bot/webhook`` checked against that secret before its body is read (within a cap);
each update recorded in the durable inbox (:mod:`bot.channels.inbox`: a redelivered ``message_id`` is
recognised there, after a restart too) before it is acknowledged, and answered 503 beyond a
bounded backlog; replies with ``sendMessage``; :meth:`ZaloBotChannel.deliver` sends staff's
answers to hand-over requests later.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from handlers.conversation import Conversation

from .. import http_body
from ..settings import Settings, SettingsError
from .handover_delivery import DELIVERED, FAILED, RETRY, Outcome
from .inbox import Refused, busy_response
from .zalo_common import InboxTasks, ZaloConversation, split_text

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/bot/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT_CODE = 408  # getUpdates: nothing arrived within the timeout
# Message events → the content type handed to the conversation (others get the polite reply).
EVENT_CONTENT_TYPES = {"message.text.received": "text", "message.image.received": "photo",
                       "message.sticker.received": "sticker"}


class BotApiError(Exception):
    """A Bot API call that failed; ``code`` is Zalo's error_code, or None when nothing came back."""

    def __init__(self, code: int | None, description: str):
        super().__init__(f"error {code}: {description}")
        self.code = code

    @property
    def transient(self) -> bool:
        """No answer, a 5xx or a 429: the same call may succeed later."""
        return self.code is None or (isinstance(self.code, int) and (self.code == 429 or self.code >= 500))


@dataclass(frozen=True)
class BotConfig:
    token: str
    webhook_secret: str = ""
    api_base_url: str = "https://bot-api.zaloplatforms.com"
    webhook_url: str = ""
    poll_timeout_seconds: int = 30
    send_retries: int = 3  # resends of a reply after no answer, a 5xx or a 429 ...
    send_backoff_seconds: float = 1.0  # ... waiting this long, doubled each time
    request_timeout_seconds: float = 15.0  # of every call but getUpdates

    @classmethod
    def from_settings(cls, settings: Settings) -> "BotConfig":
        section = settings.data.get("zalo", {})
        try:
            return cls(settings.secret("ZALO_BOT_TOKEN"), settings.secret("ZALO_BOT_WEBHOOK_SECRET"),
                       str(section.get("bot_api_base_url", cls.api_base_url)).rstrip("/"),
                       str(section.get("bot_webhook_url", "")),
                       int(section.get("bot_poll_timeout_seconds", cls.poll_timeout_seconds)),
                       int(section.get("bot_send_retries", cls.send_retries)),
                       float(section.get("bot_send_backoff_seconds", cls.send_backoff_seconds)),
                       float(section.get("bot_request_timeout_seconds", cls.request_timeout_seconds)))
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{settings.source}: [zalo]: {exc}") from None


class ZaloBotClient:
    """``{base}/bot{token}/{method}`` calls. The URL holds the token, so it is never logged."""

    def __init__(self, config: BotConfig):
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, wait: float | None = None, **params):
        """The ``result`` of a successful call; raises :class:`BotApiError` otherwise."""
        url = f"{self.config.api_base_url}/bot{self.config.token}/{method}"
        try:
            async with self.session().post(url, json=params, timeout=aiohttp.ClientTimeout(total=wait or self.config.request_timeout_seconds)) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise BotApiError(None, f"{method}: {exc.__class__.__name__}") from None
        if not isinstance(body, dict) or not body.get("ok"):
            body = body if isinstance(body, dict) else {}
            raise BotApiError(body.get("error_code"), f"{method}: {body.get('description', 'no answer')}")
        return body.get("result")


class ZaloBotChannel:
    name = "zalo_bot"

    def __init__(self, config: BotConfig, client: ZaloBotClient, conversation: Conversation):
        self.config, self.client = config, client
        self.zalo = ZaloConversation(conversation, self.name)
        self.tasks = InboxTasks(conversation.kb, self.name, self._handle)
        self._poller: asyncio.Task | None = None

    async def start(self) -> None:
        self.tasks.resume()
        try:
            me = await self.client.call("getMe")
            log.info("Zalo Bot: connected as %s", (me or {}).get("account_name", "?"))
        except BotApiError as exc:
            log.error("Zalo Bot: getMe failed (%s); check ZALO_BOT_TOKEN", exc)
        if not self.config.webhook_secret:
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="zalo-bot polling")
        elif self.config.webhook_url:
            try:
                await self.client.call("setWebhook", url=self.config.webhook_url,
                                       secret_token=self.config.webhook_secret)
            except BotApiError as exc:
                log.error("Zalo Bot: setWebhook failed (%s)", exc)
        else:
            log.warning("Zalo Bot: webhook mode without ZALO_BOT_WEBHOOK_URL; register %s yourself",
                        WEBHOOK_PATH)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.tasks.close()
        await self.client.close()

    # ----- receiving ---------------------------------------------------------------------
    async def _poll(self) -> None:
        """Long polling; network trouble is retried with a growing pause, never fatal."""
        with contextlib.suppress(BotApiError):  # polling and a webhook cannot be used together
            await self.client.call("deleteWebhook")
        pause = 1.0
        while True:
            try:
                result = await self.client.call("getUpdates", wait=self.config.poll_timeout_seconds + 10,
                                                timeout=str(self.config.poll_timeout_seconds))
            except BotApiError as exc:
                if exc.code == POLL_TIMEOUT_CODE:
                    continue
                log.warning("Zalo Bot: getUpdates failed (%s); retrying in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)
                continue
            pause = 1.0
            for update in result if isinstance(result, list) else [result]:
                with contextlib.suppress(Refused):  # logged; Zalo has counted it delivered
                    self._accept(update)

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.config.webhook_secret.encode()):
            log.warning("Zalo Bot webhook: refused a request with a %s secret from %s",
                        "wrong" if given else "missing", request.remote)
            return web.json_response({"ok": False, "description": "forbidden"}, status=403)
        try:
            payload = await http_body.read_json(request, http_body.MAX_BODY_BYTES)
        except http_body.BodyRefused as exc:
            log.warning("Zalo Bot webhook: refused a request: %s", exc.reason)
            return web.json_response({"ok": False, "description": exc.reason}, status=exc.status)
        update = payload.get("result", payload) if isinstance(payload, dict) else None
        if not isinstance(update, dict):
            log.warning("Zalo Bot webhook: refused a malformed request")
            return web.json_response({"ok": False, "description": "malformed update"}, status=400)
        try:
            self._accept(update, bounded=True)
        except Refused:
            return busy_response()
        return web.json_response({"ok": True})

    def _accept(self, update, bounded: bool = False) -> None:
        """Record one message update in the inbox and start answering it, once per message id;
        raises :class:`Refused` when it cannot be recorded."""
        message = update.get("message") if isinstance(update, dict) else None
        if not isinstance(message, dict):
            return
        message_id = message.get("message_id")
        self.tasks.take(str(message_id) if message_id else None, update, bounded)

    async def _handle(self, update: dict) -> None:
        message = update["message"]
        event = str(update.get("event_name") or ("message.text.received" if "text" in message else ""))
        if not event.startswith("message."):
            return
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        sender = message.get("from") if isinstance(message.get("from"), dict) else {}
        chat_id = str(chat.get("id") or sender.get("id") or "")
        if not chat_id:
            log.warning("Zalo Bot: %s without a chat id ignored", event)
            return
        user_id = str(sender.get("id") or chat_id)
        with contextlib.suppress(BotApiError):
            await self.client.call("sendChatAction", chat_id=chat_id, action="typing")
        content_type = EVENT_CONTENT_TYPES.get(event, "other")
        text = str(message.get("text") or "") if content_type == "text" else None
        for piece in await self.zalo.pieces_for(user_id, text, content_type):
            for part in piece.plain():  # the Bot API has no buttons: choices are numbered
                if await self._send(chat_id, part) is not None:
                    return

    async def deliver(self, address: str, text: str) -> Outcome:
        """A later message to one chat (staff's answer to a hand-over)."""
        for piece in split_text(text):
            error = await self._send(address, piece)
            if error is not None:
                return Outcome(RETRY if error.transient else FAILED, f"Zalo Bot {error}")
        return DELIVERED

    async def _send(self, chat_id: str, text: str) -> BotApiError | None:
        """sendMessage, resent with doubling pauses after a transient failure (no answer, 5xx, 429);
        None once sent, else the last error."""
        for attempt in range(self.config.send_retries + 1):
            try:
                await self.client.call("sendMessage", chat_id=chat_id, text=text)
                return None
            except BotApiError as exc:
                if not exc.transient or attempt == self.config.send_retries:
                    log.warning("Zalo Bot: message not sent (%s)", exc)
                    return exc
                await asyncio.sleep(self.config.send_backoff_seconds * 2 ** attempt)
        raise AssertionError("unreachable")


def build(settings: Settings, conversation: Conversation, app: web.Application) -> ZaloBotChannel | None:
    if not settings.secret("ZALO_BOT_TOKEN"):
        print("Kênh Zalo Bot: tắt (đặt ZALO_BOT_TOKEN để bật; thêm ZALO_BOT_WEBHOOK_SECRET để dùng webhook)",
              flush=True)
        return None
    config = BotConfig.from_settings(settings)
    if config.webhook_secret and not 8 <= len(config.webhook_secret) <= 256:
        print("Kênh Zalo Bot: tắt, ZALO_BOT_WEBHOOK_SECRET phải dài từ 8 đến 256 ký tự", flush=True)
        return None
    channel = ZaloBotChannel(config, ZaloBotClient(config), conversation)
    if config.webhook_secret:
        app.router.add_post(WEBHOOK_PATH, channel.webhook)
    return channel
