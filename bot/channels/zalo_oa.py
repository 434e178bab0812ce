"""Zalo Official Account (OA) channel: the signed webhook ``POST /zalo/oa/webhook``, replies through
the OA Open API v3 (``/v3.0/oa/message/cs``) and the OA's rotating access/refresh token pair.

Every webhook request is checked before anything else — its size, then the signature over the raw
bytes, and only then its JSON, app id and age — recorded in the durable inbox (:mod:`bot.channels.inbox`:
a redelivered ``msg_id`` is recognised there, after a restart too), acknowledged, and worked on in
a background task; beyond a bounded backlog it is answered 503 so that Zalo delivers it later.
Tokens are refreshed ahead of expiry and whenever Zalo calls them invalid; each new pair is
saved (knowledge.zalo_tokens) before it is used. Staff's answers to hand-over requests go out through
:meth:`ZaloOAChannel.deliver`, which tells a reply window that has closed (error -230) from a failure.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import logging
import re
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from handlers.conversation import Conversation

from .. import http_body
from ..settings import Settings, SettingsError
from ..web.app import KB_KEY
from .handover_delivery import DELIVERED, FAILED, RETRY, WINDOW_CLOSED, Outcome
from .inbox import Refused, busy_response
from .zalo_common import InboxTasks, Piece, ZaloConversation, split_text
from .zalo_tokens import TokenPair, ZaloTokenStore

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/oa/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TOKEN_ERRORS = (-216, -220)  # access token invalid / expired
RATE_LIMITED = -32
WINDOW_CLOSED_ERROR = -230  # the user has not written to the OA within the reply window (7 days)
SEND_ERRORS_VI = {WINDOW_CLOSED_ERROR: "người dân không nhắn cho OA trong 7 ngày qua",
                  -213: "người dân chưa quan tâm (theo dõi) OA", RATE_LIMITED: "gửi quá nhiều tin trong thời gian ngắn"}
KEEP_FRESH_EVERY = 300.0  # seconds between checks of the access token's expiry
# Non-text user events → the content type the conversation answers politely.
EVENT_CONTENT_TYPES = {
    "user_send_image": "photo", "user_send_gif": "sticker", "user_send_sticker": "sticker",
    "user_send_audio": "voice", "user_send_video": "video", "user_send_location": "location",
    "user_send_file": "document", "user_send_link": "other", "user_send_business_card": "other",
}
# Suggestions as buttons that send their text back as the citizen's message ("oa.query.show"),
# within the limits public references give for a template attachment of /v3.0/oa/message/cs.
QUERY_BUTTON = "oa.query.show"
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
REQUIRED = ("ZALO_OA_APP_ID", "ZALO_OA_SECRET_KEY", "ZALO_APP_SECRET")
# The signature covers the event's timestamp, which is inside the body: the values of "timestamp"
# keys are found in the raw bytes (a key cannot occur unescaped inside a JSON string), each tried.
TIMESTAMP_RE = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})"?')
MAX_TIMESTAMPS = 8


def signed_timestamp(app_id: str, secret_key: str, body: bytes, given: str) -> str | None:
    """The timestamp found in ``body`` for which ``given`` is the signature, or None. The signature
    is ``mac=`` + hex SHA-256 of app id, raw body, timestamp and OA secret key (a plain hash)."""
    head = hashlib.sha256(app_id.encode() + body)
    for match in itertools.islice(TIMESTAMP_RE.finditer(body), MAX_TIMESTAMPS):
        digest = head.copy()
        digest.update(match[1] + secret_key.encode())
        if hmac.compare_digest(given.encode("utf-8", "replace"), b"mac=" + digest.hexdigest().encode()):
            return match[1].decode()
    return None


@dataclass(frozen=True)
class OAConfig:
    app_id: str
    secret_key: str  # the OA secret key: webhook signatures
    app_secret: str  # the app's secret: token refresh
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    replay_window_seconds: float = 600.0
    refresh_margin_seconds: float = 3600.0
    rate_limit_retries: int = 3
    rate_limit_backoff_seconds: float = 2.0
    request_timeout_seconds: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "OAConfig":
        section = settings.data.get("zalo", {})
        try:
            return cls(settings.secret("ZALO_OA_APP_ID"), settings.secret("ZALO_OA_SECRET_KEY"),
                       settings.secret("ZALO_APP_SECRET"),
                       str(section.get("oa_api_base_url", cls.api_base_url)).rstrip("/"),
                       str(section.get("oauth_base_url", cls.oauth_base_url)).rstrip("/"),
                       float(section.get("oa_replay_window_seconds", cls.replay_window_seconds)),
                       float(section.get("oa_refresh_margin_seconds", cls.refresh_margin_seconds)),
                       int(section.get("oa_rate_limit_retries", cls.rate_limit_retries)),
                       float(section.get("oa_rate_limit_backoff_seconds", cls.rate_limit_backoff_seconds)),
                       float(section.get("oa_request_timeout_seconds", cls.request_timeout_seconds)))
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{settings.source}: [zalo]: {exc}") from None


class ZaloOAClient:
    """Sends customer-service texts and keeps the token pair fresh."""

    def __init__(self, config: OAConfig, store: ZaloTokenStore, pair: TokenPair):
        self.config, self.store, self.pair = config, store, pair
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.request_timeout_seconds))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _post(self, url: str, **kwargs) -> dict:
        """The JSON answer of a POST, or {} after logging why there is none (never raises)."""
        try:
            async with self.session().post(url, **kwargs) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            log.warning("Zalo OA: request to %s failed: %s", url.split("?")[0], exc.__class__.__name__)
            return {}
        return body if isinstance(body, dict) else {}

    async def send_text(self, user_id: str, text: str) -> bool:
        """One text to one user; True once Zalo accepted it."""
        return await self.send(user_id, text) == 0

    async def send(self, user_id: str, text: str, buttons: tuple[str, ...] = ()) -> int | None:
        """One text to one user, with ``buttons`` that send their text back when tapped: Zalo's
        error code (0 once accepted), None when Zalo never answered."""
        if self.pair.expires_within(self.config.refresh_margin_seconds):
            await self.refresh(self.pair.access_token)
        url = f"{self.config.api_base_url}/v3.0/oa/message/cs"
        message: dict = {"text": text}
        if buttons:
            message["attachment"] = {"type": "template", "payload": {"buttons": [
                {"title": _button_title(choice), "type": QUERY_BUTTON, "payload": choice} for choice in buttons]}}
        payload = {"recipient": {"user_id": user_id}, "message": message}
        refreshed, retries = False, 0
        while True:
            token = self.pair.access_token
            result = await self._post(url, json=payload, headers={"access_token": token})
            code = _error_code(result)
            if code == 0:
                return code
            if code in TOKEN_ERRORS and not refreshed:
                refreshed = True
                if await self.refresh(token):
                    continue
            elif code in (RATE_LIMITED, None) and retries < self.config.rate_limit_retries:
                # rate limited, or no answer (timeout, reset connection, 5xx): wait, then resend
                await asyncio.sleep(self.config.rate_limit_backoff_seconds * 2 ** retries)
                retries += 1
                continue
            log.warning("Zalo OA: message not sent, error %s: %s", code, result.get("message", "no answer"))
            return code

    async def refresh(self, stale_token: str) -> bool:
        """Trade the refresh token for a new pair, unless another task already replaced ``stale_token``."""
        async with self._lock:
            if self.pair.access_token != stale_token:
                return True
            result = await self._post(
                f"{self.config.oauth_base_url}/v4/oa/access_token", headers={"secret_key": self.config.app_secret},
                data={"refresh_token": self.pair.refresh_token, "app_id": self.config.app_id,
                      "grant_type": "refresh_token"})
            access, refresh = result.get("access_token"), result.get("refresh_token")
            if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
                log.error("Zalo OA: token refresh failed, error %s: %s", result.get("error", "?"),
                          result.get("error_name") or result.get("message") or "no answer")
                return False
            try:
                lifetime = float(result.get("expires_in") or 90000)
            except (TypeError, ValueError):
                lifetime = 90000.0
            pair = TokenPair(access, refresh, time.time() + lifetime)
            try:
                await self.store.save(pair)
            except Exception:  # keep the new pair in memory: the old refresh token is already spent
                log.exception("Zalo OA: could not store the new token pair")
            self.pair = pair
            log.info("Zalo OA: access token refreshed")
            return True


def _button_title(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TITLE else text[: MAX_BUTTON_TITLE - 1].rstrip() + "…"


def _as_buttons(piece: Piece) -> bool:
    """Whether a message's choices fit the OA's buttons (else they go as a numbered list)."""
    return 0 < len(piece.choices) <= MAX_BUTTONS and all(len(c) <= MAX_BUTTON_PAYLOAD for c in piece.choices)


def _error_code(result: dict) -> int | None:
    try:
        return int(result["error"])
    except (KeyError, TypeError, ValueError):
        return None


class ZaloOAChannel:
    name = "zalo_oa"

    def __init__(self, config: OAConfig, client: ZaloOAClient, conversation: Conversation):
        self.config, self.client = config, client
        self.zalo = ZaloConversation(conversation, self.name)
        self.tasks = InboxTasks(conversation.kb, self.name, self._handle)
        self._keep_fresh: asyncio.Task | None = None

    async def start(self) -> None:
        self.tasks.resume()
        self._keep_fresh = asyncio.get_running_loop().create_task(self._keep_fresh_loop())

    async def stop(self) -> None:
        if self._keep_fresh is not None:
            self._keep_fresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keep_fresh
        await self.tasks.close()
        await self.client.close()

    async def deliver(self, address: str, text: str) -> Outcome:
        """A later message to one user (staff's answer to a hand-over); Zalo decides whether its
        reply window is still open."""
        for piece in split_text(text):
            code = await self.client.send(address, piece)
            if code == 0:
                continue
            detail = f"Zalo OA lỗi {code}: {SEND_ERRORS_VI[code]}" if code in SEND_ERRORS_VI else \
                f"Zalo OA lỗi {code}" if code is not None else "Zalo OA không trả lời"
            if code == WINDOW_CLOSED_ERROR:
                return Outcome(WINDOW_CLOSED, detail)
            return Outcome(RETRY if code in (None, RATE_LIMITED) else FAILED, detail)
        return DELIVERED

    async def _keep_fresh_loop(self) -> None:
        """Refresh before expiry even when nobody writes, so the refresh token never lapses."""
        while True:
            if self.client.pair.expires_within(self.config.refresh_margin_seconds):
                await self.client.refresh(self.client.pair.access_token)
            await asyncio.sleep(KEEP_FRESH_EVERY)

    # ----- webhook ---------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        try:
            body = await http_body.read_capped(request, http_body.MAX_BODY_BYTES)
        except http_body.BodyRefused as exc:
            return _refused(request, exc.status, exc.reason)
        if not TIMESTAMP_RE.search(body):
            return _refused(request, 400, "malformed event")
        given = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = signed_timestamp(self.config.app_id, self.config.secret_key, body, given)
        if timestamp is None:
            return _refused(request, 401, f"{'wrong' if given else 'missing'} signature")
        try:
            event = http_body.parse_json(body)
        except http_body.BodyRefused as exc:
            return _refused(request, 400, exc.reason)
        if not isinstance(event, dict) or str(event.get("timestamp")) != timestamp:
            return _refused(request, 400, "malformed event")
        sent_at = int(timestamp) / 1000
        if str(event.get("app_id", "")) != self.config.app_id:
            return _refused(request, 403, "event for another app")
        if abs(time.time() - sent_at) > self.config.replay_window_seconds:
            # Authentic but stale: a replay, or Zalo retrying after an outage. Not answered, but
            # acknowledged with 200, because Zalo disables a webhook that keeps failing.
            log.warning("Zalo OA webhook: ignored an event from %.0f s ago (replay?)", time.time() - sent_at)
            return web.json_response({"error": 0, "message": "ignored: stale event"})
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        key = str(message.get("msg_id") or f"{event.get('event_name', '')}:{_user_of(event)}:{timestamp}")
        try:
            self.tasks.take(key, event, bounded=True)
        except Refused:
            return busy_response()
        return web.json_response({"error": 0, "message": "Success"})

    async def _handle(self, event: dict) -> None:
        name = str(event.get("event_name", ""))
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        user_id = _user_of(event)
        if not user_id:
            log.warning("Zalo OA webhook: %s event without a user id ignored", name)
            return
        if name == "user_send_text":
            pieces = await self.zalo.pieces_for(user_id, str(message.get("text") or ""))
        elif name == "follow":
            pieces = self.zalo.greeting(user_id)
        elif name in EVENT_CONTENT_TYPES:
            pieces = await self.zalo.pieces_for(user_id, None, EVENT_CONTENT_TYPES[name])
        else:  # unfollow, the OA's own messages, reactions, …
            return
        for piece in pieces:
            if not await self._send_piece(user_id, piece):
                break

    async def _send_piece(self, user_id: str, piece: Piece) -> bool:
        """One message, its choices as buttons; if Zalo refuses the buttons (an OA without the
        permission, a changed limit), the choices as a numbered list instead. True once sent."""
        if _as_buttons(piece):
            code = await self.client.send(user_id, piece.text, piece.choices)
            if code == 0:
                return True
            if code is None or code in SEND_ERRORS_VI or code in TOKEN_ERRORS:
                return False  # the numbered list would fare no better
            log.warning("Zalo OA: suggestion buttons refused (error %s); sending a numbered list", code)
        for part in piece.plain():
            if not await self.client.send_text(user_id, part):
                return False
        return True


def _refused(request: web.Request, status: int, why: str) -> web.Response:
    """Log a refused webhook request (who sent it, never the body) and answer it."""
    log.warning("Zalo OA webhook: refused a request from %s: %s", request.remote, why)
    return web.json_response({"error": why}, status=status)


def _user_of(event: dict) -> str:
    for field in ("sender", "follower"):
        value = event.get(field)
        if isinstance(value, dict) and value.get("id"):
            return str(value["id"])
    return ""


def build(settings: Settings, conversation: Conversation, app: web.Application) -> ZaloOAChannel | None:
    missing = [name for name in REQUIRED if not settings.secret(name)]
    if len(missing) == len(REQUIRED):
        print("Kênh Zalo OA: tắt (đặt ZALO_OA_APP_ID, ZALO_OA_SECRET_KEY, ZALO_APP_SECRET, "
              "ZALO_OA_ACCESS_TOKEN, ZALO_OA_REFRESH_TOKEN để bật)", flush=True)
        return None
    if missing:
        print(f"Kênh Zalo OA: tắt, còn thiếu biến môi trường {', '.join(missing)}", flush=True)
        return None
    config = OAConfig.from_settings(settings)
    store = ZaloTokenStore(app[KB_KEY], config.app_id, conversation.writes)
    pair = store.initial(settings.secret("ZALO_OA_ACCESS_TOKEN"), settings.secret("ZALO_OA_REFRESH_TOKEN"))
    if pair is None:
        print("Kênh Zalo OA: tắt, còn thiếu ZALO_OA_ACCESS_TOKEN và ZALO_OA_REFRESH_TOKEN", flush=True)
        return None
    channel = ZaloOAChannel(config, ZaloOAClient(config, store, pair), conversation)
    app.router.add_post(WEBHOOK_PATH, channel.webhook)
    return channel
