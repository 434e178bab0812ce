"""Process logging: plain text for a terminal or JSON lines for a log collector
(``LOG_FORMAT=json``), level from ``LOG_LEVEL`` or ``-v``, and every record redacted at every
level, whichever library wrote it: the secrets from the settings and any bot token in a URL
(Telegram's and Zalo's URLs hold it), the citizens' platform ids, names and message texts (which
python-telegram-bot, httpx and aiohttp write in their DEBUG records, as JSON, dicts or object
reprs), and phone, CCCD and e-mail in free text (:mod:`knowledge.privacy`).
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys

from knowledge.privacy import mask_personal_data

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"
_BOT_TOKEN_RE = re.compile(r"(?<=/bot)\d+:[\w-]+")  # …/bot123456:AAH…/sendMessage
# Fields of Telegram and Zalo payloads that identify or quote a citizen ("from", "chat", "sender"
# are objects: their "id" and names are these fields)
_PERSONAL_KEYS = ("id", "user_id", "chat_id", "sender_id", "from_id", "user_id_by_app", "first_name", "last_name",
                  "full_name", "username", "display_name", "name", "phone_number", "text", "caption")
# "key": value (JSON), 'key': value (dict repr), key=value (object repr, URL query)
_PERSONAL_FIELD_RE = re.compile(
    r"""(?P<key>(?P<quote>['"]?)\b(?:%s)(?P=quote)\s*[:=]\s*)"""
    r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|(?<==)[^\s&'",;(){}\[\]<>]+|-?\d+)""" % "|".join(_PERSONAL_KEYS))
_TRACEBACKS = logging.Formatter()


class Redact(logging.Filter):
    """Mask secrets, bot tokens, citizens' ids, names and texts, phones and e-mails in a record's
    message, arguments and traceback (the record's message is then final: ``args`` is cleared)."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        text = _PERSONAL_FIELD_RE.sub(lambda m: m.group("key") + HIDDEN, _BOT_TOKEN_RE.sub(HIDDEN, text))
        return mask_personal_data(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: keep both, masked
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(verbose: bool = False, secrets: list[str] | None = None, environ: dict | None = None) -> None:
    environ = os.environ if environ is None else environ
    level = "DEBUG" if verbose else environ.get("LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if environ.get("LOG_FORMAT") == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
