"""``run_bot.py doctor``: check the configuration and each platform's credentials against the
configured base URLs, and say plainly what is wrong. Read-only: it never refreshes a token or
changes a webhook.
"""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import aiohttp

from handlers.conversation import format_date
from knowledge import fact_age
from knowledge.contacts import FIELD_LABELS_VI
from knowledge.store import KnowledgeBase

from ..channels import telegram, zalo_bot, zalo_oa
from ..channels.zalo_tokens import ZaloTokenStore
from ..settings import Settings, SettingsError

MARKS = {"ok": "✓", "off": "–", "warn": "!", "error": "✗"}
TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | off | warn | error
    detail: str

    def line(self) -> str:
        return f"{MARKS[self.status]} {self.name}: {self.detail}"


def check_database(kb: KnowledgeBase) -> Check:
    stats = kb.stats()
    detail = f"{kb.path} — {stats['articles']} bài viết, {stats['faqs']} câu hỏi thường gặp, {stats['contacts']} liên hệ"
    if not stats["articles"] and not stats["faqs"]:
        return Check("Cơ sở tri thức", "warn", detail + "; chưa có nội dung: dùng `run_bot.py kb import`")
    if not kb.resolve_contacts("department"):
        return Check("Cơ sở tri thức", "warn", detail + "; chưa có liên hệ của Sở: dùng `run_bot.py kb contacts set`")
    return Check("Cơ sở tri thức", "ok", detail)


def check_contact_age(settings: Settings, kb: KnowledgeBase) -> Check:
    """Contact facts in use from sources older than ``[knowledge] facts_checked_after`` and not pinned."""
    after = settings.facts_checked_after()
    aged = fact_age.aged_contacts(kb, after)
    if not aged:
        return Check("Liên hệ", "ok", f"mọi giá trị đang dùng có nguồn từ {format_date(after)} trở đi hoặc đã được ghim")
    items = "; ".join(f"{v.unit} / {FIELD_LABELS_VI[v.field]}: «{v.value}» ({format_date(v.source_date)})" for v in aged)
    return Check("Liên hệ", "warn", f"{len(aged)} giá trị có nguồn cũ hơn {format_date(after)}, cần xác nhận (ghim) "
                                    f"hoặc sửa ở /admin hay `run_bot.py kb contacts`: {items}")


def check_web(settings: Settings) -> Check:
    host, port = settings.get("web", "host", "127.0.0.1"), settings.get("web", "port", 8080)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return Check("Web", "warn", f"http://{host}:{port}/ đang bận ({exc.strerror}); bot đang chạy chăng?")
    secret = "" if settings.secret("WEB_SESSION_SECRET") else "; WEB_SESSION_SECRET chưa đặt (dùng khóa ngẫu nhiên lưu trong cơ sở dữ liệu)"
    return Check("Web", "ok", f"sẽ phục vụ tại http://{host}:{port}/{secret}")


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> dict:
    async with session.request(method, url, timeout=TIMEOUT, **kwargs) as response:
        body = await response.json(content_type=None)
    return body if isinstance(body, dict) else {}


async def check_telegram(settings: Settings, session: aiohttp.ClientSession) -> Check:
    try:
        config = telegram.config_from_settings(settings)
    except telegram.TelegramConfigError as exc:
        return Check("Telegram", "error", str(exc))
    if config is None:
        return Check("Telegram", "off", "tắt (đặt TELEGRAM_BOT_TOKEN để bật)")
    try:
        body = await _json(session, "POST", f"{config.api_base_url}{config.token}/getMe")
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return Check("Telegram", "error", f"không kết nối được {config.api_base_url}: {exc.__class__.__name__}")
    if not body.get("ok"):
        return Check("Telegram", "error", f"token bị từ chối: {body.get('description', 'không rõ lý do')}")
    username = (body.get("result") or {}).get("username", "?")
    return Check("Telegram", "ok", f"@{username}, chế độ {config.mode}")


async def check_zalo_oa(settings: Settings, kb: KnowledgeBase, session: aiohttp.ClientSession) -> Check:
    missing = [name for name in zalo_oa.REQUIRED if not settings.secret(name)]
    if len(missing) == len(zalo_oa.REQUIRED):
        return Check("Zalo OA", "off", "tắt (đặt ZALO_OA_APP_ID, ZALO_OA_SECRET_KEY, ZALO_APP_SECRET và hai token để bật)")
    if missing:
        return Check("Zalo OA", "error", f"còn thiếu {', '.join(missing)}")
    config = zalo_oa.OAConfig.from_settings(settings)
    stored = ZaloTokenStore(kb, config.app_id).load()
    token = (stored.access_token if stored else "") or settings.secret("ZALO_OA_ACCESS_TOKEN")
    if not token:
        return Check("Zalo OA", "error", "chưa có ZALO_OA_ACCESS_TOKEN / ZALO_OA_REFRESH_TOKEN")
    try:
        body = await _json(session, "GET", f"{config.api_base_url}/v2.0/oa/getoa", headers={"access_token": token})
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return Check("Zalo OA", "error", f"không kết nối được {config.api_base_url}: {exc.__class__.__name__}")
    code = body.get("error")
    if code == 0:
        return Check("Zalo OA", "ok", f"OA «{(body.get('data') or {}).get('name', '?')}»")
    if code in zalo_oa.TOKEN_ERRORS:
        return Check("Zalo OA", "warn", f"access token hết hạn hoặc không hợp lệ (mã {code}); bot sẽ dùng refresh token "
                                        "để lấy token mới khi chạy")
    return Check("Zalo OA", "error", f"Zalo trả lỗi {code}: {body.get('message', 'không rõ')}")


async def check_zalo_bot(settings: Settings) -> Check:
    if not settings.secret("ZALO_BOT_TOKEN"):
        return Check("Zalo Bot", "off", "tắt (đặt ZALO_BOT_TOKEN để bật)")
    client = zalo_bot.ZaloBotClient(zalo_bot.BotConfig.from_settings(settings))
    try:
        me = await client.call("getMe", wait=10)
    except zalo_bot.BotApiError as exc:
        return Check("Zalo Bot", "error", f"getMe thất bại ({exc})")
    finally:
        await client.close()
    name = (me or {}).get("account_name") or (me or {}).get("display_name") or "?"
    return Check("Zalo Bot", "ok", f"bot «{name}»")


async def run_checks(settings: Settings, kb: KnowledgeBase) -> list[Check]:
    checks = [check_database(kb), check_contact_age(settings, kb), check_web(settings)]
    async with aiohttp.ClientSession() as session:
        checks += await asyncio.gather(check_telegram(settings, session), check_zalo_oa(settings, kb, session))
    checks.append(await check_zalo_bot(settings))
    return checks


def doctor(settings: Settings, kb: KnowledgeBase) -> int:
    """Print one line per check; exit status 1 when any check is an error."""
    try:
        checks = asyncio.run(run_checks(settings, kb))
    except SettingsError as exc:
        checks = [Check("Cấu hình", "error", str(exc))]
    for check in checks:
        print(check.line())
    return 1 if any(c.status == "error" for c in checks) else 0
