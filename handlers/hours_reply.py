"""The reply to a working-hours question (:mod:`handlers.hours_intent`): the office's hours and days
from the settings (:class:`~handlers.working_hours.WorkingHours`), the day or lunch break asked
about, and — for "is it open now?" — whether it is open at this moment and when it next opens,
with the department's phone. Staff who write an FAQ for it replace this reply (the conversation
lets a matching FAQ win).
"""
from __future__ import annotations

import datetime as dt

from knowledge.text import fold

from . import texts
from .hours_intent import HoursQuestion
from .messages import Reply
from .working_hours import WEEKDAYS, WorkingHours, day_number

KIND = "hours"
# the settings are the source: no date, no link ("Nguồn: Lịch làm việc của Sở")
SOURCE = {"title": texts.HOURS_SOURCE, "date": None, "date_inferred": False, "url": None, "file": None,
          "origin": None, "from_settings": True}


def _clock(time: dt.time) -> str:
    return f"{time.hour}:{time.minute:02d}"


def _days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"từ {WEEKDAYS[ordered[0]]} đến {WEEKDAYS[ordered[-1]]}"
    return ", ".join(WEEKDAYS[d] for d in ordered)


def schedule(hours: WorkingHours) -> str:
    periods = " và ".join(f"{_clock(start)}–{_clock(end)}" for start, end in hours.periods)
    return texts.HOURS_SCHEDULE.format(days=_days(hours.days), periods=periods)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day_line(hours: WorkingHours, day: str) -> str:
    if set(day.split()) & {"le", "tet", "nghi"}:
        return texts.HOURS_HOLIDAYS
    number = day_number(day)
    asked = [number] if number is not None else [5, 6]  # "cuối tuần"
    return " ".join((texts.HOURS_DAY_ON if d in hours.days else texts.HOURS_DAY_OFF)
                    .format(day=_capital(WEEKDAYS[d])) for d in asked)


def _noon_line(hours: WorkingHours) -> str:
    gaps = [(a[1], b[0]) for a, b in zip(hours.periods, hours.periods[1:]) if a[1] < b[0]]
    if not gaps:
        return texts.HOURS_NO_BREAK
    return texts.HOURS_BREAK.format(start=_clock(gaps[0][0]), end=_clock(gaps[0][1]))


def _now_line(hours: WorkingHours, now: dt.datetime) -> str:
    local = now.astimezone(hours.zone)
    opens = hours.next_open(local)
    at = f"{_clock(local.time())} {WEEKDAYS[local.weekday()]}, {local:%d/%m}"
    if opens == local:
        return texts.HOURS_OPEN_NOW.format(now=at)
    when = f"{_clock(opens.time())} hôm nay" if opens.date() == local.date() else \
        f"{_clock(opens.time())} {WEEKDAYS[opens.weekday()]}, {opens:%d/%m}"
    return texts.HOURS_CLOSED_NOW.format(now=at, opens=when)


def hours_reply(question: HoursQuestion, hours: WorkingHours, now: dt.datetime, contact_line: str) -> Reply:
    """The reply, without its source line (the conversation adds it, as for every answer)."""
    lines = [schedule(hours)]
    if question.day:
        lines.append(_day_line(hours, fold(question.day)))
    if question.noon:
        lines.append(_noon_line(hours))
    if question.now:
        lines.append(_now_line(hours, now))
    return Reply(" ".join(lines) + "\n" + contact_line, KIND, True, 1.0, dict(SOURCE))
