"""Personal data in free text — phone numbers, citizen ID (CCCD) numbers and e-mail addresses —
replaced by placeholders: the one masking used before a question is stored in the query log and
before a record is written to the process log.

Phone numbers are recognised however Vietnamese people write them: a leading ``0``, ``84``,
``+84`` or ``(+84)`` (optionally with the trunk ``(0)``), then the 9 or 10 digits of the national
number, with spaces, dots, dashes or parentheses anywhere between digits (``(0292) 3820 674``,
``+84 912.345.678``, ``0 9 1 2 3 4 5 6 7 8``). A CCCD number is 12 digits starting with ``0``
(the province code). Years, dates, document numbers (``1780/QĐ-UBND``) and amounts
(``1.837``, ``100.000.000``) are not: they never start with ``0``/``84`` followed by a non-zero
digit and enough digits, or they are a date, or they continue as a decimal.
"""
from __future__ import annotations

import re

from .contacts import EMAIL_RE

PHONE = "[số điện thoại]"
CITIZEN_ID = "[số CCCD]"
EMAIL = "[email]"

_SEP = r"[ .\-()]{0,3}"  # between two digits of one number
_START = r"(?<![\w/+])(?<!\d[.,])"  # not inside a word, a number or a document number
_END = r"(?!\d)(?![.,]\d)"  # nor followed by more digits or a decimal part
_PHONE_RE = re.compile(
    _START + rf"(?:\(?(?:\+ ?)?84\)?{_SEP}(?:\(0\){_SEP})?|\(?0 ?)"  # +84, (+84), 84, 0, (0
    rf"[1-9](?:{_SEP}\d){{8,9}}" + _END)
_CITIZEN_ID_RE = re.compile(_START + r"0(?:[ .\-]?\d){11}" + _END)
_DATE_RE = re.compile(r"\b\d{1,2}[.\-/]\d{1,2}[.\-/](?:19|20)\d\d\b")


def _unless_date(placeholder: str):
    return lambda match: match.group() if _DATE_RE.search(match.group()) else placeholder


def mask_personal_data(text: str) -> str:
    """``text`` with every e-mail address, CCCD number and phone number replaced by a placeholder."""
    text = EMAIL_RE.sub(EMAIL, text)
    text = _CITIZEN_ID_RE.sub(_unless_date(CITIZEN_ID), text)
    return _PHONE_RE.sub(_unless_date(PHONE), text)


def find_phones(text: str) -> list[str]:
    """The phone numbers written in ``text``, as written (for staff to call a citizen back)."""
    return [m.group() for m in _PHONE_RE.finditer(text) if not _DATE_RE.search(m.group())]
