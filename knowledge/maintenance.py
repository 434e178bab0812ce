"""Index hygiene: keep the full-text index compact and the database file free of dead pages.

Deleting or replacing an article leaves its full-text entries in the FTS5 index, beside delete
markers, until segments happen to be merged: after eight large articles were imported and deleted
the index held 13,341 blocks (51 MB) for 88 passages, and questions took 35–55 ms instead of 1–3 ms.
FTS5's ``optimize`` merges the index into one segment and drops what was deleted; ``VACUUM``
gives the free pages back to the file system.

:func:`maintain` measures (:func:`health`) and does what is needed: ``optimize`` when the index
holds over :data:`BLOAT` times the blocks per passage it held right after its last ``optimize``,
``VACUUM`` when over :data:`FREE_SHARE` of the file is free pages. It runs after an import that
replaced articles, daily in the running bot, and on demand (``run_bot.py kb maintain``). Neither
step changes what the knowledge base says, so ``kb_version`` stays.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .store import KnowledgeBase

BLOAT = 2.0
MIN_BLOCKS = 256  # about 1 MB: an index this small is fast however it is laid out
FREE_SHARE = 0.25
BASELINE_META = "index_blocks_per_passage"  # right after the last optimize
# FTS5 stores segment pages under rowid (segment id << 37) + page; smaller rowids are its records
_SEGMENT_SHIFT = 37


@dataclass(frozen=True, slots=True)
class Health:
    passages: int  # rows of the full-text index
    index_blocks: int
    index_bytes: int
    index_segments: int
    page_size: int
    pages: int
    free_pages: int

    @property
    def free_share(self) -> float:
        return self.free_pages / self.pages if self.pages else 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    before: Health
    after: Health
    optimized: bool
    vacuumed: bool
    seconds: float


def health(kb: KnowledgeBase) -> Health:
    """Size and layout of the full-text index, and the file's pages (a few ms per 10 MB of index)."""
    conn = kb.conn
    blocks, size, segments = conn.execute(
        "SELECT count(*), coalesce(sum(length(block)), 0), count(DISTINCT CASE WHEN id >= ?1 THEN id >> ?2 END) "
        "FROM passage_index_data", (1 << _SEGMENT_SHIFT, _SEGMENT_SHIFT)).fetchone()
    passages = conn.execute("SELECT count(*) FROM passage_index_docsize").fetchone()[0]
    page_size, pages, free = (conn.execute(f"PRAGMA {name}").fetchone()[0]
                              for name in ("page_size", "page_count", "freelist_count"))
    return Health(passages, blocks, size, segments, page_size, pages, free)


def bloated(kb: KnowledgeBase, state: Health) -> bool:
    """The index holds over BLOAT times the blocks per passage of its last compact state (or has
    never been optimized) and is big enough for that to cost time."""
    if state.index_blocks < MIN_BLOCKS:
        return False
    baseline = kb.meta(BASELINE_META)
    return baseline is None or state.index_blocks > BLOAT * float(baseline) * max(1, state.passages)


def maintain(kb: KnowledgeBase, force: bool = False) -> Outcome:
    """Optimize the index and vacuum the file when they need it; ``force`` does both anyway
    (VACUUM only if there is a free page)."""
    started = time.perf_counter()
    before = state = health(kb)
    optimized = force or bloated(kb, state)
    if optimized:
        with kb.transaction():
            kb.conn.execute("INSERT INTO passage_index(passage_index) VALUES ('optimize')")
            blocks = kb.conn.execute("SELECT count(*) FROM passage_index_data").fetchone()[0]
            kb.set_meta(BASELINE_META, str(blocks / max(1, state.passages)))
        state = health(kb)
    vacuumed = state.free_pages > 0 and (force or state.free_share > FREE_SHARE)
    if vacuumed:
        kb.conn.execute("VACUUM")
        kb.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy went through the WAL: shrink it too
        state = health(kb)
    return Outcome(before, state, optimized, vacuumed, time.perf_counter() - started)
