"""The Zalo Official Account token pair, kept in the knowledge-base SQLite file.

Zalo's OA refresh token is single-use: every refresh returns a new access token *and* a new
refresh token, and the old refresh token stops working. Losing the newest pair (a crash, a
restart) would lock the bot out until someone re-authorises the OA by hand, so every new pair is
written here in one transaction before it is used.

The environment variables give the first pair. Once the bot has refreshed, the stored pair is
newer and wins on the next start, unless the operator puts a *different* refresh token in the
environment (after re-authorising): the row remembers a hash of the environment token it grew
from, so a changed environment token replaces the stored pair.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from knowledge.store import KnowledgeBase, now_iso
from knowledge.write_behind import WriteBehind, WriteThrough, written

_SCHEMA = """
CREATE TABLE IF NOT EXISTS zalo_oa_tokens (
    app_id TEXT PRIMARY KEY, access_token TEXT NOT NULL, refresh_token TEXT NOT NULL,
    expires_at REAL, seed_hash TEXT NOT NULL, updated_at TEXT NOT NULL)
"""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None = None  # Unix time; None while unknown (a pair from the environment)

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at - seconds


def _seed_hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class ZaloTokenStore:
    """The newest token pair of one OA app, read and written atomically; a refreshed pair is written by
    ``writes`` (the running bot's writer thread) and awaited, the event loop going on meanwhile."""

    def __init__(self, kb: KnowledgeBase, app_id: str, writes: WriteBehind | WriteThrough | None = None):
        self.kb, self.app_id, self.writes = kb, app_id, writes or WriteThrough(kb)
        with kb.transaction():
            kb.conn.execute(_SCHEMA)

    def load(self) -> TokenPair | None:
        row = self.kb.conn.execute(
            "SELECT access_token, refresh_token, expires_at FROM zalo_oa_tokens WHERE app_id = ?",
            (self.app_id,)).fetchone()
        return TokenPair(*row) if row else None

    def initial(self, env_access_token: str, env_refresh_token: str) -> TokenPair | None:
        """The pair to start with: the stored one, unless the environment brings a new refresh token."""
        seed = _seed_hash(env_refresh_token)
        row = self.kb.conn.execute("SELECT seed_hash FROM zalo_oa_tokens WHERE app_id = ?",
                                   (self.app_id,)).fetchone()
        if not env_refresh_token or (row and row[0] == seed):
            return self.load()
        pair = TokenPair(env_access_token, env_refresh_token)
        with self.kb.transaction():
            self.kb.conn.execute(
                "INSERT OR REPLACE INTO zalo_oa_tokens (app_id, access_token, refresh_token, expires_at, "
                "seed_hash, updated_at) VALUES (?, ?, ?, NULL, ?, ?)",
                (self.app_id, pair.access_token, pair.refresh_token, seed, now_iso()))
        return pair

    async def save(self, pair: TokenPair) -> None:
        """Store a refreshed pair (the environment token it grew from stays recorded), before it is used."""
        await written(self.writes, lambda kb: self._write(kb, pair))

    def _write(self, kb: KnowledgeBase, pair: TokenPair) -> None:
        with kb.transaction():
            kb.conn.execute(
                "INSERT INTO zalo_oa_tokens (app_id, access_token, refresh_token, expires_at, seed_hash, "
                "updated_at) VALUES (?, ?, ?, ?, '', ?) ON CONFLICT (app_id) DO UPDATE SET "
                "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
                "expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                (self.app_id, pair.access_token, pair.refresh_token, pair.expires_at, now_iso()))
