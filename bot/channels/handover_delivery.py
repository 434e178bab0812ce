"""Delivery of staff's answers to questions handed over to them: a small loop, started by
``bot/runner.py``, that picks the answered requests due for delivery and asks the channel each
came from to send the answer — bounded attempts, a doubling pause between them — and records
the outcome (:mod:`knowledge.handover`). The web chat is not pushed to: the citizen's page fetches
its answers (``GET /api/messages``).

A channel that can deliver offers ``async deliver(address, text) -> Outcome``; it only sends.
What is sent is :func:`handlers.handover.answer_text`.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from handlers.handover import answer_text
from knowledge import handover
from knowledge.store import KnowledgeBase
from knowledge.write_behind import WriteBehind, WriteThrough, written

from ..settings import Settings, SettingsError

log = logging.getLogger(__name__)

SENT, RETRY, FAILED, WINDOW_CLOSED = "sent", "retry", "failed", "window_closed"


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | retry (try again later) | failed (refused for good) | window_closed (Zalo OA)
    detail: str = ""  # why not, shown to staff


DELIVERED = Outcome(SENT)


@dataclass(frozen=True)
class DeliveryConfig:
    interval_seconds: float = 5.0
    attempts: int = 6
    backoff_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "DeliveryConfig":
        section = settings.data.get("handover", {})
        try:
            return cls(float(section.get("delivery_interval_seconds", cls.interval_seconds)),
                       int(section.get("delivery_attempts", cls.attempts)),
                       float(section.get("delivery_backoff_seconds", cls.backoff_seconds)))
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{settings.source}: [handover]: {exc}") from None


class Delivery:
    """Sends due answers through the channels that can (those with a ``deliver`` method); each outcome is
    recorded by ``writes`` (the bot's writer thread) and awaited, the event loop going on meanwhile."""

    def __init__(self, kb: KnowledgeBase, channels: list, config: DeliveryConfig | None = None,
                 writes: WriteBehind | WriteThrough | None = None):
        self.kb = kb
        self.channels = {channel.name: channel for channel in channels if hasattr(channel, "deliver")}
        self.config = config or DeliveryConfig()
        self.writes = writes or WriteThrough(kb)

    async def run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a busy or broken database must not stop the bot; try again later
                log.exception("delivering staff answers failed")
            await asyncio.sleep(self.config.interval_seconds)

    async def deliver_due(self) -> None:
        """Try every due answer once."""
        for request in handover.due(self.kb, list(self.channels)):
            try:
                outcome = await self.channels[request.route].deliver(request.address, answer_text(request))
            except Exception:
                log.exception("delivering a staff answer on %s failed", request.route)
                outcome = Outcome(RETRY, "lỗi không mong đợi khi gửi")
            await written(self.writes, lambda kb: self._record(kb, request, outcome))

    def _record(self, kb: KnowledgeBase, request: handover.Request, outcome: Outcome) -> None:
        if outcome.status == SENT:
            handover.delivered(kb, request)
            log.info("staff answer %d delivered on %s", request.id, request.route)
            return
        attempts = request.attempts + 1
        if outcome.status == RETRY and attempts < self.config.attempts:
            wait = self.config.backoff_seconds * 2 ** (attempts - 1)
            handover.retry_later(kb, request.id, outcome.detail,
                                 dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=wait))
            return
        state = WINDOW_CLOSED if outcome.status == WINDOW_CLOSED else FAILED
        handover.not_delivered(kb, request.id, outcome.detail, state)
        log.warning("staff answer %d not delivered on %s: %s", request.id, request.route, outcome.detail)
