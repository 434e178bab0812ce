"""Web security: signed session cookies, CSRF tokens, which address is the client's (for the
login throttle and the chat's rate limit) and the response headers (CSP without inline code, no
framing, no MIME sniffing) of every page.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from typing import Iterable

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


class ClientAddresses:
    """Which address is the client's: the peer's, unless the peer is a trusted reverse proxy;
    then the right-most address in X-Forwarded-For that is not a trusted proxy (what lies left of
    it the client wrote itself). An IPv6 client counts as its /64, which one host usually holds."""

    def __init__(self, trusted_proxies: Iterable[str] = ()):
        self.trusted = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]

    def _is_proxy(self, address) -> bool:
        return any(address in network for network in self.trusted)

    def of(self, request: web.Request) -> str:
        address = _address(request.remote or "")
        if address is None:
            return request.remote or "unknown"
        if self._is_proxy(address):
            hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
            for hop in reversed(hops):
                forwarded = _address(hop)
                if forwarded is None:
                    break
                address = forwarded
                if not self._is_proxy(address):
                    break
        return str(ipaddress.ip_network((address, 64), strict=False)) if address.version == 6 else str(address)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


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
