"""Times and dates as they are shown: times to staff in Vietnam time (Asia/Ho_Chi_Minh: the admin pages and
the CSV export of the query log; stored values stay in UTC, a stored time without an offset is read as UTC),
and a page's date as replies and pages show it (day/month/year).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# The months as English pages name them (the Vietnamese ones are numbered: "tháng 9")
MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
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


def shown_date(iso: str) -> str:
    """A stored date ("2023-09-16", or the start of an ISO time) as replies and pages show it: "16/09/2023"."""
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"
