"""CSV cells a spreadsheet will not run: the one defence against CSV (formula) injection, used by
every CSV file the bot writes (query-log export, FAQ export) and undone by the FAQ import.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice; as OWASP recommends, such a cell is written with a single quote in front, which
the spreadsheet shows as text. So that the FAQ export → edit → import round trip gives back
exactly what was exported, a cell that already starts with quotes followed by one of those
characters gets one more quote too, and reading removes exactly one: the mapping is reversible.
Numbers (a feedback of -1) are written as numbers.
"""
from __future__ import annotations

import csv
import re
from typing import Iterable

_FORMULA_RE = re.compile(r"'*[=+\-@\t\r]")


def safe_cell(value):
    """``value`` as a spreadsheet will show it, not run it; non-strings unchanged."""
    if isinstance(value, str) and _FORMULA_RE.match(value):
        return "'" + value
    return value


def restore_cell(text: str) -> str:
    """The text :func:`safe_cell` was given (a quote it added removed, any other left alone)."""
    return text[1:] if text.startswith("'") and _FORMULA_RE.match(text, 1) else text


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out, **dialect):
        self._writer = csv.writer(out, **dialect)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)
