"""Times shown to staff in Vietnam time (Asia/Ho_Chi_Minh): the admin pages and the CSV export of
the query log. Stored values stay in UTC; a stored time without an offset is read as UTC.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LABEL = "giờ Việt Nam"


def vietnam_time(stored: str | None, minutes_only: bool = False) -> str:
    """A stored ISO time as "YYYY-MM-DD HH:MM:SS" in Vietnam time ("" when empty; as stored when unreadable)."""
    if not stored:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stored)
    except ValueError:
        return stored
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M" if minutes_only else "%Y-%m-%d %H:%M:%S")
