"""Settings: ``settings.toml`` defaults, overridden by environment variables; secrets from the
environment only. A broken file or value raises :class:`SettingsError` with one plain line.
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from handlers.conversation import ConversationConfig
from handlers.handover import HandoverConfig
from handlers.working_hours import HoursError, WorkingHours
from knowledge import fact_age

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_ROOT / "settings.toml"

# environment variable → (section, key, type)
ENV_OVERRIDES: dict[str, tuple[str, str, type]] = {
    "KB_DB_PATH": ("database", "path", str),
    "WEB_HOST": ("web", "host", str),
    "WEB_PORT": ("web", "port", int),
    "WEB_PUBLIC_URL": ("web", "public_url", str),
    "WEB_TRUSTED_PROXIES": ("web", "trusted_proxies", list),
    "WEB_CHAT_RATE_LIMIT_PER_ADDRESS": ("web", "chat_rate_limit_per_address", int),
    "SERVER_WORKERS": ("server", "workers", int),
    "TELEGRAM_MODE": ("telegram", "mode", str),
    "TELEGRAM_WEBHOOK_URL": ("telegram", "webhook_url", str),
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url", str),
    "TELEGRAM_STAFF_IDS": ("telegram", "staff_user_ids", list),
    "LOG_RETENTION_DAYS": ("logs", "retention_days", int),
    "ANSWER_ENGINE": ("conversation", "answer_engine", str),
    "ZALO_OA_API_BASE_URL": ("zalo", "oa_api_base_url", str),
    "ZALO_OAUTH_BASE_URL": ("zalo", "oauth_base_url", str),
    "ZALO_BOT_API_BASE_URL": ("zalo", "bot_api_base_url", str),
    "ZALO_BOT_WEBHOOK_URL": ("zalo", "bot_webhook_url", str),
}
# [office]: the working hours, told to citizens who ask for them and to those who leave a question for staff
OFFICE_KEYS = {"working_hours", "working_days", "holidays", "timezone"}
# [handover]: read by handlers.handover (limit) and bot.channels.handover_delivery (the rest); it still accepts the
# [office] keys, as written before [office] existed ([office] wins when both have one)
HANDOVER_KEYS = OFFICE_KEYS | {"max_open_per_user",
                 "delivery_interval_seconds", "delivery_attempts", "delivery_backoff_seconds",
                 "zalo_oa_reply_window_days"}
SECRETS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "WEB_SESSION_SECRET", "BOT_HASH_KEY",
           "ZALO_OA_APP_ID", "ZALO_OA_SECRET_KEY", "ZALO_APP_SECRET", "ZALO_OA_ACCESS_TOKEN",
           "ZALO_OA_REFRESH_TOKEN", "ZALO_BOT_TOKEN", "ZALO_BOT_WEBHOOK_SECRET")


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the file or variable and the problem."""


@dataclass
class Settings:
    data: dict[str, dict[str, Any]]
    secrets: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def path(self, section: str, key: str) -> Path:
        value = Path(str(self.get(section, key)))
        return value if value.is_absolute() else PROJECT_ROOT / value

    def public_url(self) -> str:
        """Where citizens reach this server (no trailing slash): [web] public_url, else the origin of
        a webhook URL set for Telegram or the Zalo Bot, else "" (links are then relative)."""
        for section, key in (("web", "public_url"), ("telegram", "webhook_url"), ("zalo", "bot_webhook_url")):
            url = urlsplit(str(self.get(section, key) or ""))
            if url.scheme in ("http", "https") and url.netloc:
                return f"{url.scheme}://{url.netloc}" + (url.path.rstrip("/") if key == "public_url" else "")
        return ""

    def workers(self) -> int:
        """``[server] workers``: the processes that work out answers; 0 (the default) is one per core."""
        workers = self.get("server", "workers", 0)
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
            raise SettingsError(f"{self.source}: [server] workers (SERVER_WORKERS) phải là số nguyên không âm "
                                f"(0 = mỗi lõi CPU một tiến trình), không phải {workers!r}")
        return workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

    def facts_checked_after(self) -> str:
        """``[knowledge] facts_checked_after``: contact facts from older sources are flagged for staff to confirm."""
        value = self.get("knowledge", "facts_checked_after")
        try:
            return fact_age.checked_after(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{self.source}: [knowledge] facts_checked_after phải là ngày dạng năm-tháng-ngày, "
                                f"ví dụ \"2025-07-01\", không phải {value!r}") from None

    def conversation(self) -> ConversationConfig:
        section = self.data.get("conversation", {})
        known = ConversationConfig.__dataclass_fields__
        unknown = set(section) - set(known)
        if unknown:
            raise SettingsError(f"{self.source}: unknown key(s) in [conversation]: {', '.join(sorted(unknown))}")
        if "privacy_url" in section:
            raise SettingsError(f"{self.source}: [conversation] privacy_url comes from [web] public_url")
        handover = self.handover()
        try:
            return ConversationConfig(**section, privacy_url=self.public_url() + "/privacy", handover=handover)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{self.source}: [conversation]: {exc}") from exc

    def handover(self) -> HandoverConfig:
        """``[handover]``: how many questions a citizen may leave, and the working hours (``[office]``)
        told to citizens who ask for them or leave a question."""
        office = self.data.get("office", {})
        section = self.data.get("handover", {})
        for name, keys, values in (("office", OFFICE_KEYS, office), ("handover", HANDOVER_KEYS, section)):
            unknown = set(values) - keys
            if unknown:
                raise SettingsError(f"{self.source}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
        section = {**section, **office}
        try:
            limit = int(section.get("max_open_per_user", HandoverConfig.max_open_per_user))
            window = float(section.get("zalo_oa_reply_window_days", HandoverConfig.zalo_oa_reply_window_days))
            return HandoverConfig(WorkingHours.from_settings(section), limit, zalo_oa_reply_window_days=window)
        except (HoursError, TypeError, ValueError) as exc:
            raise SettingsError(f"{self.source}: [office]/[handover]: {exc}") from None


def _convert(name: str, raw: str, kind: type) -> Any:
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"environment variable {name} must be a whole number, not {raw!r}") from None
    if kind is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    path = Path(path or environ.get("SETTINGS_FILE") or DEFAULT_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    for section, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: '{section}' must be a [section]")
    for name, (section, key, kind) in ENV_OVERRIDES.items():
        if environ.get(name):
            data.setdefault(section, {})[key] = _convert(name, environ[name], kind)
    port = data.get("web", {}).get("port", 8080)
    if not isinstance(port, int) or not 0 <= port < 65536:
        raise SettingsError(f"{path}: [web] port must be a number from 0 to 65535, not {port!r}")
    _check_web_security(path, data.get("web", {}))
    secrets = {name: environ[name] for name in SECRETS if environ.get(name)}
    if 0 < len(secrets.get("BOT_HASH_KEY", "")) < 32:
        raise SettingsError("biến môi trường BOT_HASH_KEY cần ít nhất 32 ký tự (tạo bằng: openssl rand -hex 32)")
    return Settings(data, secrets, str(path))


def _check_web_security(path: Path, web: dict[str, Any]) -> None:
    proxies = web.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(proxy, str) and _is_network(proxy) for proxy in proxies):
        raise SettingsError(f"{path}: [web] trusted_proxies (WEB_TRUSTED_PROXIES) phải là danh sách địa chỉ IP "
                            f"hoặc dải mạng của các reverse proxy, ví dụ [\"127.0.0.1\", \"10.0.0.0/8\"], "
                            f"không phải {proxies!r}")
    limit = web.get("chat_rate_limit_per_address", 60)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise SettingsError(f"{path}: [web] chat_rate_limit_per_address (WEB_CHAT_RATE_LIMIT_PER_ADDRESS) phải là "
                            f"số nguyên dương, không phải {limit!r}")


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
