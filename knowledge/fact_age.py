"""Contact facts that may have aged: values in use whose newest source predates a date staff set
(``[knowledge] facts_checked_after``, by default 1 July 2025, when districts were abolished and
addresses such as "phường Tân An, quận Ninh Kiều" changed), and that nobody has pinned since.

Staff confirm such a value by pinning it, or correct it; answers drawn from it still give the
date of their source.
"""
from __future__ import annotations

import datetime as dt

from .store import ContactValue, KnowledgeBase

DEFAULT_CHECKED_AFTER = "2025-07-01"


def checked_after(value: object) -> str:
    """``value`` (a YYYY-MM-DD date, or empty for the default) as an ISO date; ValueError otherwise."""
    text = str(value or DEFAULT_CHECKED_AFTER).strip()
    return dt.date.fromisoformat(text).isoformat()


def aged_contacts(kb: KnowledgeBase, after: str = DEFAULT_CHECKED_AFTER) -> list[ContactValue]:
    """Each unit's contact values in use that are not pinned and whose source is older than
    ``after`` or undated; the department's first."""
    units = sorted(kb.contact_units(), key=lambda key: key != "department")
    return [value for key in units for value in kb.resolve_contacts(key).values()
            if not value.pinned and (value.source_date or "") < after]
