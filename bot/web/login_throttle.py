"""Failed staff sign-ins, counted per (account, client) in SQLite so that a restart forgets
nothing, and the wait they impose: after ``FREE_FAILURES`` failures the pair waits 1, 2, 4 … s
(at most ``MAX_DELAY_SECONDS``) after each further failure. The same account from another
client, where the real user is, is not held back; a success clears the pair, and a pair quiet
for ``FORGET_AFTER_SECONDS`` starts again from zero.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from knowledge.store import KnowledgeBase

FREE_FAILURES = 5
MAX_DELAY_SECONDS = 900
FORGET_AFTER_SECONDS = 86_400


class LoginThrottle:
    """``clock`` gives Unix time (the rows outlive the process, so no monotonic clock)."""

    def __init__(self, kb: KnowledgeBase, clock: Callable[[], float] = time.time):
        self.kb, self.clock = kb, clock

    @staticmethod
    def _failures(kb: KnowledgeBase, account: str, client: str, now: float) -> tuple[int, float]:
        row = kb.conn.execute("SELECT failures, last_failure FROM login_failures WHERE account = ? AND "
                              "client = ?", (account, client)).fetchone()
        return (0, 0.0) if row is None or now - row[1] > FORGET_AFTER_SECONDS else row

    def wait_seconds(self, account: str, client: str) -> int:
        """Whole seconds before this client may try this account again; 0: now."""
        now = self.clock()
        failures, last = self._failures(self.kb, account, client, now)
        if failures < FREE_FAILURES:
            return 0
        delay = min(MAX_DELAY_SECONDS, 2 ** (failures - FREE_FAILURES))
        return max(0, math.ceil(last + delay - now))

    def failed(self, kb: KnowledgeBase, account: str, client: str) -> None:
        """Count a failure, written on ``kb`` (the web server's writer: :func:`bot.web.pages.staff_write`)."""
        now = self.clock()
        with kb.transaction():
            failures, _ = self._failures(kb, account, client, now)
            kb.conn.execute("DELETE FROM login_failures WHERE last_failure < ?", (now - FORGET_AFTER_SECONDS,))
            kb.insert("login_failures", {"account": account, "client": client, "failures": failures + 1,
                                         "last_failure": now}, replace=True)

    @staticmethod
    def succeeded(kb: KnowledgeBase, account: str, client: str) -> None:
        """Clear the pair's failures, written on ``kb``."""
        with kb.transaction():
            kb.conn.execute("DELETE FROM login_failures WHERE account = ? AND client = ?", (account, client))
