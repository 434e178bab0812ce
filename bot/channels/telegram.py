"""Telegram channel: translates between python-telegram-bot (v22, ``Application``) and the
channel-neutral conversation in ``handlers/``.

What this module does, and nothing more:

* turns a Telegram update (text, command, sticker, photo, button press, edited message, document …)
  into an :class:`~handlers.messages.IncomingMessage` and hands it to the :class:`Conversation`;
* renders each :class:`~handlers.messages.Reply` as HTML (every piece of text escaped), with the
  suggestions as inline buttons, split cleanly when longer than Telegram's 4,096 characters;
* delivery: "typing…" first, retries on flood control (429 ``retry_after``) and network errors with
  bounded backoff, an apology when answering fails;
* polling (``getUpdates``) or webhook mode (``POST /telegram/webhook`` on the project's aiohttp
  server, checked against ``X-Telegram-Bot-Api-Secret-Token`` before its body is read, within a cap);
  every update is recorded in the durable inbox (:mod:`bot.channels.inbox`) — in webhook mode before Telegram
  gets its 200, and answered 503 beyond a bounded backlog — so that each ``update_id`` is answered
  once, after a restart too, and what a stopped or killed process left is answered at the next start;
* staff (Telegram user ids in settings) may send a .txt/.html/.md document to import it into the
  knowledge base, with the same importer as the CLI;
* a refusal carries a button to leave the question for staff, and :meth:`TelegramChannel.deliver`
  sends staff's answer to that chat later;
* 👍/👎 buttons under a logged answer; after a 👎 they become three buttons saying what was wrong.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import logging
import re
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Awaitable, Callable

from aiohttp import web
from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message,
                      ReplyParameters, Update)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from handlers import texts
from handlers.conversation import Conversation, feedback_reason_choices
from handlers.messages import IncomingMessage, Reply
from knowledge.ingest.parsing import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

from .. import http_body
from ..staff_jobs import JOBS_KEY, Jobs, upload_articles
from . import text_split
from .handover_delivery import DELIVERED, FAILED, RETRY, Outcome
from .inbox import Inbox, Item, Refused, busy_response
from .memory import Bounded

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
MAX_MESSAGE_CHARS = 4096           # Telegram's limit, counted after entity parsing (UTF-16 units)
MAX_BUTTON_CHARS = 60              # longer suggestion texts are shortened on the button only
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
GROUP_CHATS = ("group", "supergroup")
SUGGESTION_PREFIX = "q:"
# An update holds at most a 4,096-character message and the one it replies to, with entities and
# buttons: under 64 KB even \u-escaped; 256 KB leaves room for fields Telegram may add.
MAX_UPDATE_BYTES = 256 * 1024
FEEDBACK_PREFIX = "fb:"  # fb:<log id>:<1|-1>, or fb:<log id>:-1:<reason code> (under 64 bytes)
FEEDBACK_BUTTONS = (("👍 Hữu ích", 1), ("👎 Chưa hữu ích", -1))
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

COMMANDS = [
    ("start", "Bắt đầu và xem câu hỏi mẫu"),
    ("help", "Hướng dẫn sử dụng"),
    ("lienhe", "Địa chỉ, điện thoại, fax, email của Sở"),
]

# What the bot says on Telegram only (everything else comes from handlers/texts.py).
YOUR_ID = ("Mã người dùng Telegram của bạn là {user_id}. Cán bộ Sở cần mã này để được phép gửi tệp bài viết "
           "cập nhật cơ sở tri thức (quản trị viên thêm vào TELEGRAM_STAFF_IDS).")
ALSO_ASK = "Bạn có thể hỏi thêm:"
SUGGESTION_EXPIRED = "Câu hỏi gợi ý này đã cũ. Bạn vui lòng gõ lại câu hỏi nhé."
IMPORT_WRONG_TYPE = ("Không nhập được tệp «{name}»: chỉ nhận tệp văn bản .txt, .html hoặc .md "
                     "(bài viết của Sở). Tệp khác (PDF, Word, ảnh…) vui lòng chuyển sang một trong "
                     "các dạng trên rồi gửi lại.")
IMPORT_TOO_BIG = "Không nhập được tệp «{name}»: tệp nặng {size}, vượt giới hạn {limit} cho mỗi tệp."
IMPORT_DOWNLOAD_FAILED = "Không tải được tệp «{name}» từ Telegram. Bạn vui lòng gửi lại sau ít phút."
IMPORT_FAILED = ("Chưa nhập được tệp «{name}»: hệ thống gặp sự cố hoặc bot đang dừng. Cơ sở tri thức không thay đổi; "
                 "bạn vui lòng gửi lại tệp sau ít phút.")
IMPORT_REPORT = "Kết quả nhập tệp vào cơ sở tri thức:\n{line}"
IMPORT_LIVE = "Bot dùng nội dung mới ngay từ bây giờ."


# ----- settings ------------------------------------------------------------------------
@dataclass(frozen=True)
class TelegramConfig:
    token: str
    mode: str = "polling"                       # polling | webhook
    webhook_url: str = ""
    webhook_secret: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    file_base_url: str = ""                     # derived from api_base_url when empty
    staff_ids: frozenset[str] = field(default_factory=frozenset)
    poll_timeout: int = 30                      # getUpdates long-polling seconds
    max_attempts: int = 4                       # per Bot API call, on 429 / network errors
    backoff_seconds: float = 1.0                # first wait after a network error, then doubled
    max_retry_wait: float = 60.0                # a longer flood-control wait is not waited out
    concurrent_updates: int = 8
    start_retry_seconds: float = 5.0            # first wait when Telegram is unreachable at start

    @property
    def files_url(self) -> str:
        if self.file_base_url:
            return self.file_base_url
        base = self.api_base_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base.rstrip("/") + "/file/bot"


class TelegramConfigError(ValueError):
    """A setting that keeps the Telegram channel off; the message says how to fix it."""


def config_from_settings(settings) -> TelegramConfig | None:
    """The channel's settings, or None when no token is configured."""
    token = settings.secret("TELEGRAM_BOT_TOKEN").strip()
    if not token:
        return None
    mode = str(settings.get("telegram", "mode", "polling") or "polling").strip().lower()
    if mode not in ("polling", "webhook"):
        raise TelegramConfigError(f"[telegram] mode (TELEGRAM_MODE) phải là polling hoặc webhook, không phải {mode!r}")
    webhook_url = str(settings.get("telegram", "webhook_url", "") or "").strip()
    secret = settings.secret("TELEGRAM_WEBHOOK_SECRET").strip()
    if mode == "webhook":
        if not webhook_url:
            raise TelegramConfigError(
                "chế độ webhook cần địa chỉ công khai: đặt TELEGRAM_WEBHOOK_URL=https://<tên miền>/telegram/webhook "
                "(hoặc [telegram] webhook_url trong settings.toml), hoặc dùng TELEGRAM_MODE=polling")
        if secret and not _SECRET_RE.match(secret):
            raise TelegramConfigError("TELEGRAM_WEBHOOK_SECRET chỉ được gồm chữ A-Z, a-z, số, '_' và '-' (1–256 ký tự)")
        if not secret:
            secret = secrets.token_urlsafe(32)
            log.warning("TELEGRAM_WEBHOOK_SECRET is not set: using a random secret for this run")
    staff = settings.get("telegram", "staff_user_ids", []) or []
    if isinstance(staff, (str, int)):
        staff = [s for s in str(staff).split(",")]
    staff_ids = frozenset(str(s).strip() for s in staff if str(s).strip())
    api_base_url = str(settings.get("telegram", "api_base_url", DEFAULT_API_BASE_URL) or DEFAULT_API_BASE_URL).strip()
    return TelegramConfig(token=token, mode=mode, webhook_url=webhook_url, webhook_secret=secret,
                          api_base_url=api_base_url, staff_ids=staff_ids)


# ----- rendering -----------------------------------------------------------------------
def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Plain text → messages of at most ``limit`` UTF-16 units (Telegram's count)."""
    return text_split.split_text(text, limit, utf16_len)


def source_html(source: dict) -> str:
    """"Nguồn: title (date)", the title a link to the article's web address when it has one."""
    line = esc(Conversation._source_line({**source, "url": None}))
    if source.get("url"):
        title = esc(source.get("title") or "")
        line = line.replace(title, f'<a href="{html.escape(source["url"], quote=True)}">{title}</a>', 1)
    return "<i>" + line + "</i>"


def button_label(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_CHARS else text[: MAX_BUTTON_CHARS - 1].rstrip() + "…"


@dataclass
class OutgoingMessage:
    html: str
    plain_length: int
    keyboard: InlineKeyboardMarkup | None = None


class SuggestionStore:
    """Short ids for suggestion texts, so that a button's callback_data stays under 64 bytes."""

    def __init__(self, capacity: int = 5000):
        self._texts: Bounded = Bounded(capacity)

    def add(self, text: str) -> str:
        key = hashlib.blake2s(text.encode("utf-8"), digest_size=6).hexdigest()
        self._texts[key] = text
        return SUGGESTION_PREFIX + key

    def get(self, data: str | None) -> str | None:
        if not data or not data.startswith(SUGGESTION_PREFIX):
            return None
        return self._texts.get(data[len(SUGGESTION_PREFIX):])


def render(reply: Reply, suggestions: SuggestionStore, heading: str = "",
           limit: int = MAX_MESSAGE_CHARS) -> list[OutgoingMessage]:
    """One reply → one or more HTML messages; buttons on the last one."""
    body = reply.text
    footer_plain, footer_html = "", ""
    if reply.source:
        line = Conversation._source_line(reply.source)
        if line and body.endswith(line):
            body = body[: -len(line)].rstrip()
            footer_plain, footer_html = line, source_html(reply.source)
    suggestions_shown = list(reply.suggestions)
    if reply.answered and reply.source:  # no button for the article just quoted
        suggestions_shown = [s for s in suggestions_shown if s != reply.source.get("title")]
    if suggestions_shown and reply.kind != "notice":
        intro = texts.SUGGESTIONS_INTRO if not reply.answered else ALSO_ASK
        footer_plain = (footer_plain + "\n\n" + intro).strip()
        footer_html = (footer_html + "\n\n" + "<i>" + esc(intro) + "</i>").strip()
    bold_lines = 0
    if heading:
        body = heading + "\n\n" + body if body else heading
        bold_lines = 1
    if reply.kind == "contact" and reply.contact_card:
        bold_lines += 1  # the unit's name
    chunks = split_text(body, limit) if body else []
    messages = []
    for index, chunk in enumerate(chunks):
        lines = chunk.split("\n")
        rendered = []
        for number, line in enumerate(lines):
            bold = index == 0 and number < bold_lines and line.strip()
            rendered.append(f"<b>{esc(line)}</b>" if bold else esc(line))
        messages.append(OutgoingMessage("\n".join(rendered), utf16_len(chunk)))
    if footer_plain:
        if messages and messages[-1].plain_length + 2 + utf16_len(footer_plain) <= limit:
            last = messages[-1]
            last.html += "\n\n" + footer_html
            last.plain_length += 2 + utf16_len(footer_plain)
        else:
            messages.append(OutgoingMessage(footer_html, utf16_len(footer_plain)))
    rows = [[InlineKeyboardButton(button_label(text), callback_data=suggestions.add(text))]
            for text in suggestions_shown[:3]]
    if reply.offers_handover:  # pressed, it sends the button's words: a hand-over request
        rows.append([InlineKeyboardButton(texts.HANDOVER_BUTTON, callback_data=suggestions.add(texts.HANDOVER_BUTTON))])
    if reply.answered and reply.log_id:  # the citizen can rate a logged answer
        rows.append([InlineKeyboardButton(label, callback_data=f"{FEEDBACK_PREFIX}{reply.log_id}:{value}")
                     for label, value in FEEDBACK_BUTTONS])
    if rows and messages:
        messages[-1].keyboard = InlineKeyboardMarkup(rows)
    return messages


def parse_feedback(data: str | None) -> tuple[int, int, str | None] | None:
    """(log id, 1 or -1, the reason code of a 👎 or None) from a rating button's callback data, else None."""
    if not data or not data.startswith(FEEDBACK_PREFIX):
        return None
    log_id, _, rest = data[len(FEEDBACK_PREFIX):].partition(":")
    value, _, reason = rest.partition(":")
    if not log_id.isdigit() or value not in ("1", "-1"):
        return None
    if reason and (value != "-1" or reason not in dict(feedback_reason_choices())):
        return None
    return int(log_id), int(value), reason or None


def reasons_keyboard(markup: InlineKeyboardMarkup | None, log_id: int | None) -> InlineKeyboardMarkup | None:
    """A message's buttons without its rating row; with ``log_id``, one button per reason a 👎 may
    give; None (no buttons left) when none remain."""
    rows = [list(row) for row in (markup.inline_keyboard if markup else ())
            if not any(str(b.callback_data or "").startswith(FEEDBACK_PREFIX) for b in row)]
    if log_id is not None:
        rows += [[InlineKeyboardButton(label, callback_data=f"{FEEDBACK_PREFIX}{log_id}:-1:{code}")]
                 for code, label in feedback_reason_choices()]
    return InlineKeyboardMarkup(rows) if rows else None


# ----- the channel ---------------------------------------------------------------------
def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramChannel:
    """The Telegram bot; ``start()``/``stop()`` are called by the runner."""

    name = CHANNEL

    def __init__(self, config: TelegramConfig, conversation: Conversation, jobs: Jobs | None = None):
        self.config = config
        self.conversation = conversation
        self.kb = conversation.kb
        self.jobs = jobs if jobs is not None else Jobs(self.kb)  # staff documents are imported there
        self._own_jobs = jobs is None
        self.suggestions = SuggestionStore()
        self.inbox = Inbox(self.kb, CHANNEL)
        self._queued: dict[int, Item] = {}  # update id → its inbox item, for updates queued from the inbox
        self._chat_locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.bot_id: int | None = None
        self.bot_username = ""
        self.running = False
        self._retry_task: asyncio.Task | None = None
        self.application = self._build_application()

    # ----- lifecycle -------------------------------------------------------------------
    def _build_application(self) -> Application:
        builder = (Application.builder()
                   .token(self.config.token)
                   .base_url(self.config.api_base_url)
                   .base_file_url(self.config.files_url)
                   .concurrent_updates(self.config.concurrent_updates))
        if self.config.mode == "webhook":
            builder = builder.updater(None)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    async def start(self) -> None:
        """Connects to the Bot API; when Telegram cannot be reached, keeps trying in the background
        (the other channels run meanwhile). A token Telegram rejects leaves the channel off."""
        try:
            await self._start_once()
        except InvalidToken:
            print("Kênh Telegram: Telegram từ chối TELEGRAM_BOT_TOKEN (token sai hoặc đã bị thu hồi). "
                  "Lấy lại token từ @BotFather rồi chạy lại.", flush=True)
            await self._shutdown_quietly()
        except BadRequest as exc:  # e.g. setWebhook refusing the URL: a setting to fix, not to retry
            print(f"Kênh Telegram: Telegram từ chối cấu hình ({exc.message}); kênh tắt.", flush=True)
            await self._shutdown_quietly()
        except TelegramError as exc:
            print(f"Kênh Telegram: chưa kết nối được Telegram ({exc}); sẽ thử lại.", flush=True)
            await self._reset()
            self._retry_task = asyncio.create_task(self._keep_trying(), name="telegram-start-retry")

    async def _keep_trying(self) -> None:
        wait = self.config.start_retry_seconds
        while True:
            await asyncio.sleep(wait)
            try:
                await self._start_once()
                print("Kênh Telegram: đã kết nối Telegram.", flush=True)
                return
            except (InvalidToken, BadRequest) as exc:
                print(f"Kênh Telegram: Telegram từ chối ({exc.message}); kênh tắt.", flush=True)
                await self._shutdown_quietly()
                return
            except TelegramError as exc:
                log.warning("Telegram still unreachable (%s); next try in %.0f s", exc, wait)
                await self._reset()
                wait = min(wait * 2, 300.0)

    async def _reset(self) -> None:
        """After a failed start: close what was opened and begin again with a fresh Application."""
        await self._shutdown_quietly()
        self.application = self._build_application()

    async def _start_once(self) -> None:
        application = self.application
        await application.initialize()  # getMe
        me = application.bot.bot
        self.bot_id, self.bot_username = me.id, me.username or ""
        try:
            await self._call(application.bot.set_my_commands,
                             [BotCommand(command, description) for command, description in COMMANDS])
        except TelegramError:
            log.warning("could not set the bot's command list", exc_info=True)
        await application.start()
        if self.config.mode == "webhook":
            await self._call(application.bot.set_webhook, url=self.config.webhook_url,
                             secret_token=self.config.webhook_secret, allowed_updates=ALLOWED_UPDATES)
        else:
            await application.updater.start_polling(timeout=self.config.poll_timeout, poll_interval=0,
                                                    allowed_updates=ALLOWED_UPDATES,
                                                    error_callback=self._on_polling_error)
        self.running = True
        self._resume()
        log.info("Telegram channel running as @%s (%s)", self.bot_username, self.config.mode)

    def _resume(self) -> None:
        """Queue the updates a previous run recorded but did not answer."""
        for item in self.inbox.resume():
            try:
                update = Update.de_json(item.payload, self.application.bot)
            except Exception:  # it was read once; whatever it is now, it must not hold up the others
                log.exception("Telegram: a stored update could not be read again: dropped")
                continue
            self._queued[update.update_id] = item
            self.application.update_queue.put_nowait(update)

    async def stop(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()
            try:
                await self._retry_task
            except asyncio.CancelledError:
                pass
            self._retry_task = None
        self.running = False
        await self._shutdown_quietly()
        if self._own_jobs:
            await self.jobs.close()

    async def _shutdown_quietly(self) -> None:
        application = self.application
        try:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            # after a failed start the HTTP clients were opened but the bot never initialised
            for request in getattr(application.bot, "_request", ()):
                await request.shutdown()
        except Exception:
            log.exception("stopping the Telegram application failed")

    @staticmethod
    def _on_polling_error(exc: TelegramError) -> None:
        log.warning("getUpdates failed, retrying: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update", exc_info=context.error)

    # ----- webhook -----------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /telegram/webhook``: checks the secret header, queues the update, answers at once."""
        given = request.headers.get(SECRET_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), self.config.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        if not self.running:
            return web.Response(status=503, text="not ready")
        try:
            payload = await http_body.read_json(request, MAX_UPDATE_BYTES)
        except http_body.BodyRefused as exc:
            return web.Response(status=exc.status, text=exc.reason)
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception:
            return web.Response(status=400, text="bad update")
        if update is None or not _has_telegram_ids(update):
            return web.Response(status=400, text="bad update")
        try:
            # too far behind, or nowhere to record it: Telegram keeps an update it could not deliver
            # and sends it again later
            item = self.inbox.accept(str(update.update_id), payload, bounded=True)
        except Refused:
            return busy_response()
        if item is not None:
            self._queued[update.update_id] = item
            await self.application.update_queue.put(update)
        return web.Response(status=200, text="ok")

    # ----- Bot API calls -------------------------------------------------------------------
    async def _call(self, method: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
        """One Bot API call, retried on flood control (waiting ``retry_after``) and on network errors
        (with doubling backoff), at most ``max_attempts`` times. Bad requests are not retried."""
        attempts = self.config.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await method(*args, **kwargs)
            except RetryAfter as exc:
                wait = _retry_after_seconds(exc)
                if attempt == attempts or wait > self.config.max_retry_wait:
                    raise
                log.warning("flood control on %s: retrying in %.0f s", getattr(method, "__name__", "call"), wait)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == attempts:
                    raise
                wait = min(self.config.backoff_seconds * 2 ** (attempt - 1), self.config.max_retry_wait)
                log.warning("network error on %s (%s): retrying in %.1f s",
                            getattr(method, "__name__", "call"), exc, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _typing(self, chat_id: int) -> None:
        try:  # a cosmetic hint: tried once, never delays or blocks the answer
            await self.application.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("sendChatAction failed: %s", exc)

    async def send_replies(self, chat_id: int, replies: list[Reply], reply_to: int | None = None,
                           heading: str = "") -> None:
        first = True
        for reply in replies:
            for outgoing in render(reply, self.suggestions, heading=heading):
                parameters = None
                if reply_to is not None and first:
                    parameters = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                await self._call(self.application.bot.send_message, chat_id=chat_id, text=outgoing.html,
                                 parse_mode=ParseMode.HTML, reply_markup=outgoing.keyboard,
                                 reply_parameters=parameters,
                                 link_preview_options=LinkPreviewOptions(is_disabled=True))
                first = False
            heading = ""

    async def deliver(self, address: str, text: str) -> Outcome:
        """A later message to one chat (staff's answer to a hand-over), as plain text."""
        if not self.running:
            return Outcome(RETRY, "Telegram chưa kết nối")
        try:
            for chunk in split_text(text):
                await self._call(self.application.bot.send_message, chat_id=int(address), text=chunk,
                                 link_preview_options=LinkPreviewOptions(is_disabled=True))
        except (BadRequest, Forbidden) as exc:  # chat gone, bot blocked: sending again will not help
            return Outcome(FAILED, f"Telegram từ chối: {exc.message}")
        except TelegramError as exc:
            return Outcome(RETRY, f"Telegram: {exc.message}")
        return DELIVERED

    async def _apologise(self, chat_id: int) -> None:
        try:
            await self._call(self.application.bot.send_message, chat_id=chat_id, text=texts.ERROR)
        except TelegramError:
            log.exception("could not send the apology either")

    # ----- updates -------------------------------------------------------------------------
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        item = self._queued.pop(update.update_id, None)
        if item is None:  # from getUpdates: recorded now, so that a redelivery is recognised
            item = self.inbox.accept(str(update.update_id), update.to_dict())
            if item is None:
                return
        chat_id = update.effective_chat.id if update.effective_chat else None
        async with self._chat_turn(chat_id):
            await self.inbox.work(item, lambda _payload: self._handle(update, chat_id))

    @contextlib.asynccontextmanager
    async def _chat_turn(self, chat_id: int | None):
        """Updates are handled concurrently, but one chat's messages are answered in order."""
        if chat_id is None:
            yield
            return
        lock, users = self._chat_locks.get(chat_id, (asyncio.Lock(), 0))
        self._chat_locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._chat_locks[chat_id]
            if users <= 1:
                del self._chat_locks[chat_id]
            else:
                self._chat_locks[chat_id] = (lock, users - 1)

    async def _handle(self, update: Update, chat_id: int | None) -> None:
        try:
            if update.callback_query is not None:
                await self._on_button(update)
            elif update.message is not None:
                await self._on_message(update.message, edited=False)
            elif update.edited_message is not None:
                await self._on_message(update.edited_message, edited=True)
        except Exception:
            log.exception("failed to answer Telegram update %s", update.update_id)
            if chat_id is not None:
                await self._apologise(chat_id)

    def _addressed(self, message: Message, text: str) -> bool:
        """In a group: a command (for this bot), a mention of the bot, or a reply to the bot."""
        if text.startswith("/"):
            command = text.split()[0]
            target = command.partition("@")[2]
            return not target or target.lower() == self.bot_username.lower()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == self.bot_id:
            return True
        entities = message.parse_entities() if message.text else message.parse_caption_entities()
        for entity, value in entities.items():
            if entity.type == "mention" and value.lower() == "@" + self.bot_username.lower():
                return True
            if entity.type == "text_mention" and entity.user is not None and entity.user.id == self.bot_id:
                return True
        return False

    def _strip_mention(self, text: str) -> str:
        if not self.bot_username:
            return text
        return re.sub(r"@" + re.escape(self.bot_username) + r"\b", " ", text, flags=re.I).strip(" ,:")

    @staticmethod
    def content_type(message: Message, edited: bool) -> str:
        if edited:
            return "edited"
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        if message.sticker:
            return "sticker"
        if message.photo:
            return "photo"
        if message.voice or message.audio:
            return "voice"
        if message.video or message.video_note or message.animation:
            return "video"
        if message.location or message.venue:
            return "location"
        if message.document:
            return "document"
        return "other"

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and str(user_id) in self.config.staff_ids

    async def _on_message(self, message: Message, edited: bool) -> None:
        chat = message.chat
        user = message.from_user
        user_id = user.id if user is not None else chat.id
        is_group = chat.type in GROUP_CHATS
        if chat.type == "channel":
            return
        raw_text = message.text or message.caption or ""
        addressed = not is_group or self._addressed(message, raw_text)
        if is_group and not addressed:
            return
        content_type = self.content_type(message, edited)
        text = message.text
        if text is not None and is_group:
            text = self._strip_mention(text)
            if content_type in ("text", "command"):  # "@bot /lienhe" is a command too
                content_type = "command" if text.startswith("/") else "text"
        reply_to = message.message_id if is_group else None
        await self._typing(chat.id)
        if content_type == "document" and self.is_staff(user_id):
            replies = [await self.import_document(message)]
        elif content_type == "command" and _command_name(text) == "id" and not is_group:
            replies = [Reply(YOUR_ID.format(user_id=user_id), "notice")]  # for setting up staff ids
        else:
            incoming = IncomingMessage(CHANNEL, str(chat.id), str(user_id), text, content_type,
                                       language=user.language_code if user else None,
                                       is_group=is_group, addressed_to_bot=addressed)
            replies = await self.conversation.respond_async(incoming)
        await self.send_replies(chat.id, replies, reply_to=reply_to)

    async def _on_button(self, update: Update) -> None:
        query = update.callback_query
        data = query.data if isinstance(query.data, str) else None  # de_json does not check types
        rating = parse_feedback(data)
        if rating is not None:
            await self._on_rating(query, *rating)
            return
        question = self.suggestions.get(data)
        # answer first, so that the button's spinner stops whatever happens next
        try:
            await self._call(query.answer, text=None if question else SUGGESTION_EXPIRED)
        except TelegramError:
            log.warning("answerCallbackQuery failed", exc_info=True)
        message = query.message
        if question is None or message is None:
            return
        chat = message.chat
        is_group = chat.type in GROUP_CHATS
        await self._typing(chat.id)
        incoming = IncomingMessage(CHANNEL, str(chat.id), str(query.from_user.id), question, "suggestion",
                                   language=query.from_user.language_code, is_group=is_group,
                                   addressed_to_bot=True)
        replies = await self.conversation.respond_async(incoming)
        await self.send_replies(chat.id, replies, heading=question)

    async def _on_rating(self, query, log_id: int, value: int, reason: str | None) -> None:
        """👍/👎 under an answer, or the reason of a 👎: recorded for the citizen who asked; the
        thanks shows as a toast. A 👎 turns the rating row into the reasons, a reason removes them."""
        chat_id = str(query.message.chat.id) if query.message else ""
        rater = IncomingMessage(CHANNEL, chat_id, str(query.from_user.id), None)
        thanks = await self.conversation.feedback(rater, log_id, value, reason)
        recorded = thanks.text != texts.FEEDBACK_EXPIRED
        ask = recorded and value == -1 and reason is None
        try:
            await self._call(query.answer, text=f"{thanks.text} {texts.FEEDBACK_REASON_ASK}" if ask else thanks.text)
        except TelegramError:
            log.warning("answerCallbackQuery failed", exc_info=True)
        if not recorded or query.message is None or value == 1:
            return
        try:
            await self._call(query.edit_message_reply_markup,
                             reply_markup=reasons_keyboard(query.message.reply_markup, log_id if ask else None))
        except TelegramError:
            log.warning("editMessageReplyMarkup failed", exc_info=True)

    # ----- staff: document import ----------------------------------------------------------
    async def import_document(self, message: Message) -> Reply:
        document = message.document
        name = PurePath((document.file_name or "").replace("\\", "/")).name.strip()[:200] or "(không tên)"
        if PurePath(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            return Reply(IMPORT_WRONG_TYPE.format(name=name), "notice")
        if document.file_size and document.file_size > MAX_FILE_BYTES:
            return Reply(IMPORT_TOO_BIG.format(name=name, size=_size(document.file_size),
                                               limit=_size(MAX_FILE_BYTES)), "notice")
        try:
            telegram_file = await self._call(self.application.bot.get_file, document.file_id)
            if telegram_file.file_size and telegram_file.file_size > MAX_FILE_BYTES:
                return Reply(IMPORT_TOO_BIG.format(name=name, size=_size(telegram_file.file_size),
                                                   limit=_size(MAX_FILE_BYTES)), "notice")
            raw = bytes(await self._call(telegram_file.download_as_bytearray))
        except TelegramError as exc:
            log.warning("downloading a staff document failed: %s", exc)
            return Reply(IMPORT_DOWNLOAD_FAILED.format(name=name), "notice")
        if len(raw) > MAX_FILE_BYTES:
            return Reply(IMPORT_TOO_BIG.format(name=name, size=_size(len(raw)), limit=_size(MAX_FILE_BYTES)),
                         "notice")
        # the web admin's upload, in a staff job (off the event loop: every chat goes on meanwhile)
        actor = f"{CHANNEL}:{message.from_user.id}"
        job = self.jobs.start(actor, "Tải bài viết lên", "Đang nhập {done}/{total} tệp…", 1, None,
                              upload_articles, actor, [(name, raw)])
        await job.finished.wait()
        if job.failed or not job.steps:
            return Reply(IMPORT_FAILED.format(name=name), "notice")
        result = job.steps[0]
        log.info("staff document %s imported: %s", name, result.status)
        text = IMPORT_REPORT.format(line=result.line())
        if result.status in ("added", "updated"):
            text += "\n" + IMPORT_LIVE
        return Reply(text, "notice")


def _has_telegram_ids(update: Update) -> bool:
    """``de_json`` keeps junk ids as they are; Telegram's update, chat and user ids are non-zero integers."""
    ids = [update.update_id] + [who.id for who in (update.effective_chat, update.effective_user) if who is not None]
    return all(isinstance(i, int) and not isinstance(i, bool) and i != 0 for i in ids)


def _command_name(text: str | None) -> str:
    return text.split()[0].lstrip("/").split("@")[0].lower() if text and text.strip() else ""


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(n / 1024))} KB"


# ----- entry point for the runner ------------------------------------------------------
def build(settings, conversation: Conversation, app: web.Application) -> TelegramChannel | None:
    """The Telegram channel when TELEGRAM_BOT_TOKEN is set (adding the webhook route in webhook mode);
    otherwise None, after saying how to turn it on."""
    try:
        config = config_from_settings(settings)
    except TelegramConfigError as exc:
        print(f"Kênh Telegram: tắt ({exc})", flush=True)
        return None
    if config is None:
        print("Kênh Telegram: tắt (đặt TELEGRAM_BOT_TOKEN=<token từ @BotFather> để bật; xem docs/telegram.md)",
              flush=True)
        return None
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    channel = TelegramChannel(config, conversation, app.get(JOBS_KEY))
    if config.mode == "webhook":
        app.router.add_post(WEBHOOK_PATH, channel.webhook)
    return channel
