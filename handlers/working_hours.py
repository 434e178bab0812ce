"""The department's working hours: when staff will read a question left for them, and whether the
office is open now (:mod:`handlers.hours_reply`).

Read from ``[office]`` (formerly ``[handover]``) in settings.toml — ``working_hours = "7:00–11:30, 13:30–17:00"``,
``working_days = "thứ Hai–thứ Sáu"`` (or a list of days), ``holidays = ["2026-01-01", …]`` and
``timezone`` — and answers, for any moment, whether staff are at work and else when they next are,
as the Vietnamese sentence the citizen reads ("Cán bộ sẽ xem vào 7:00 thứ Hai, 30/11.").
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge.text import fold

from . import texts

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
# How citizens and staff write each day, folded: "thứ Hai", "thu 2", "T2", "chủ nhật", "CN".
_DAY_NAMES = {
    **{fold(name): i for i, name in enumerate(WEEKDAYS)},
    **{f"thu {n}": n - 2 for n in range(2, 8)}, **{f"t{n}": n - 2 for n in range(2, 8)},
    "thu tu": 2, "thu bay": 5, "cn": 6, "chu nhat": 6,
}
_PERIOD_RE = re.compile(r"^(\d{1,2})[:h.](\d{2})\s*[-–—]\s*(\d{1,2})[:h.](\d{2})$")
_RANGE_RE = re.compile(r"\s*[-–—]\s*|\s+(?:den|toi)\s+")


class HoursError(ValueError):
    """A working-hours setting that cannot be read; the message says which and how to write it."""


def day_number(name: str) -> int | None:
    """"thứ Hai", "thu 7", "T2", "CN" → 0, 5, 0, 6 (Monday = 0); None for anything else."""
    return _DAY_NAMES.get(" ".join(fold(name).split()))


def _day(name: str) -> int:
    number = day_number(name)
    if number is None:
        raise HoursError(f"không hiểu ngày «{name}»; viết như «thứ Hai», «thứ 7», «Chủ nhật»")
    return number


def parse_days(value: str | list[str]) -> frozenset[int]:
    """``"thứ Hai–thứ Sáu"`` (a range, Monday first), ``"thứ Hai, thứ Tư"`` or a list → weekday numbers."""
    items = value if isinstance(value, list) else str(value).split(",")
    days: set[int] = set()
    for item in items:
        ends = [part for part in _RANGE_RE.split(fold(str(item)).strip()) if part]
        if len(ends) == 2:
            first, last = _day(ends[0]), _day(ends[1])
            if first > last:
                raise HoursError(f"khoảng ngày «{item}» phải đi từ thứ Hai về Chủ nhật")
            days.update(range(first, last + 1))
        elif len(ends) == 1:
            days.add(_day(ends[0]))
        else:
            raise HoursError(f"không hiểu «{item}» trong working_days")
    if not days:
        raise HoursError("working_days không có ngày nào")
    return frozenset(days)


def parse_periods(value: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``"7:00–11:30, 13:30–17:00"`` → ((7:00, 11:30), (13:30, 17:00)), in order, not overlapping."""
    periods = []
    for item in str(value).split(","):
        match = _PERIOD_RE.match(item.strip())
        try:
            start, end = (dt.time(int(match[1]), int(match[2])), dt.time(int(match[3]), int(match[4]))) \
                if match else (None, None)
        except ValueError:
            start = end = None
        if start is None or start >= end:
            raise HoursError(f"không hiểu khoảng giờ «{item.strip()}»; viết như \"7:00–11:30, 13:30–17:00\"")
        periods.append((start, end))
    periods.sort()
    if any(a[1] > b[0] for a, b in zip(periods, periods[1:])):
        raise HoursError(f"các khoảng giờ làm việc «{value}» chồng lên nhau")
    return tuple(periods)


@dataclass(frozen=True)
class WorkingHours:
    periods: tuple[tuple[dt.time, dt.time], ...] = ((dt.time(7), dt.time(11, 30)), (dt.time(13, 30), dt.time(17)))
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_settings(cls, section: dict) -> "WorkingHours":
        """From ``[office]``; missing keys keep the defaults. Raises :class:`HoursError`."""
        hours = cls()
        try:
            holidays = frozenset(dt.date.fromisoformat(str(d)) for d in section.get("holidays", []))
        except ValueError as exc:
            raise HoursError(f"holidays là danh sách ngày dạng \"2026-01-01\" ({exc})") from None
        timezone = str(section.get("timezone", hours.timezone))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"không biết múi giờ «{timezone}» (ví dụ \"Asia/Ho_Chi_Minh\")") from None
        return cls(parse_periods(section["working_hours"]) if "working_hours" in section else hours.periods,
                   parse_days(section["working_days"]) if "working_days" in section else hours.days,
                   holidays, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _works_on(self, day: dt.date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def next_open(self, now: dt.datetime) -> dt.datetime:
        """``now`` (in the department's time zone) when staff are at work, else when they next are."""
        local = now.astimezone(self.zone)
        for offset in range(370):  # a year and some: every weekday a holiday is a broken setting
            day = local.date() + dt.timedelta(days=offset)
            if not self._works_on(day):
                continue
            for start, end in self.periods:
                opens = dt.datetime.combine(day, start, self.zone)
                if offset == 0 and local >= dt.datetime.combine(day, end, self.zone):
                    continue
                return max(opens, local)
        raise HoursError("không có giờ làm việc nào trong một năm tới (kiểm tra working_days và holidays)")

    def describe(self, now: dt.datetime) -> str:
        """When staff will read a question left now, as one Vietnamese sentence."""
        local = now.astimezone(self.zone)
        opens = self.next_open(local)
        if opens == local:
            return texts.STAFF_AT_WORK
        time = f"{opens.hour}:{opens.minute:02d}"
        if opens.date() == local.date():
            return texts.STAFF_LATER_TODAY.format(time=time)
        return texts.STAFF_LATER.format(time=time, weekday=WEEKDAYS[opens.weekday()], date=opens.strftime("%d/%m"))
