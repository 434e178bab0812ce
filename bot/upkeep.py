"""The running bot's daily database upkeep: :func:`knowledge.maintenance.maintain` (compact the
full-text index when deletions bloated it, VACUUM when a quarter of the file is free), in a worker
thread on a connection of its own, so that questions keep being answered meanwhile."""
from __future__ import annotations

import asyncio
import logging

from knowledge import maintenance
from knowledge.store import KnowledgeBase

log = logging.getLogger(__name__)


async def maintain_daily(path: str, hash_key: str, interval: float = 86_400) -> None:
    """Maintain the database at ``path`` now and then every ``interval`` seconds."""
    while True:
        try:
            outcome = await asyncio.to_thread(_maintain, path, hash_key)
            if outcome.optimized or outcome.vacuumed:
                log.info("database maintenance in %.1f s: index %d → %d blocks, %d → %d free pages",
                         outcome.seconds, outcome.before.index_blocks, outcome.after.index_blocks,
                         outcome.before.free_pages, outcome.after.free_pages)
        except Exception:  # a busy or broken database must not stop the bot; try again later
            log.exception("database maintenance failed")
        await asyncio.sleep(interval)


def _maintain(path: str, hash_key: str) -> maintenance.Outcome:
    kb = KnowledgeBase.open(path, hash_key)
    try:
        return maintenance.maintain(kb)
    finally:
        kb.close()
