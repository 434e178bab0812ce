"""Web security: signed session cookies, CSRF tokens, the login rate limit and the response
headers (CSP without inline code, no framing, no MIME sniffing) of every page.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque

from aiohttp import web

COOKIE_NAME = "kb_session"
SESSION_SECONDS = 12 * 3600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


class Sessions:
    """Session data in a cookie: base64 JSON plus an HMAC-SHA256 signature."""

    def __init__(self, secret: str):
        self.key = hashlib.sha256(secret.encode()).digest()

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self.key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def dump(self, data: dict) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def load(self, cookie: str | None) -> dict:
        """The session in the cookie, or a new empty one when it is missing, forged or expired."""
        try:
            payload, signature = (cookie or "").split(".")
            if not hmac.compare_digest(signature, self._sign(payload.encode())):
                raise ValueError("bad signature")
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if not isinstance(data, dict) or time.time() - data.get("t", 0) > SESSION_SECONDS:
                raise ValueError("expired")
            return data
        except (ValueError, TypeError):
            return self.new()

    @staticmethod
    def new(**values) -> dict:
        return {"n": secrets.token_urlsafe(16), "t": int(time.time()), **values}

    def csrf_token(self, session: dict) -> str:
        return self._sign(f"csrf:{session['n']}".encode())

    def csrf_ok(self, session: dict, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token, self.csrf_token(session))


class LoginLimiter:
    """At most ``limit`` failed logins per client address and per account name in ``window`` s."""

    def __init__(self, limit: int = 5, window: float = 900.0):
        self.limit, self.window = limit, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def wait_seconds(self, keys: list[str], now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        recent = [self._recent(key, now) for key in keys]
        return max((int(self.window - (now - times[0])) + 1 for times in recent if len(times) >= self.limit),
                   default=0)

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self.failures.pop(key, None)


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and errors raised by handlers carry the headers too
        _add_headers(request, exc.headers)
        raise
    _add_headers(request, response.headers)
    return response


def _add_headers(request: web.Request, headers) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if request.path.startswith("/admin"):
        headers.setdefault("Cache-Control", "no-store")
