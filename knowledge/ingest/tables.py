"""How a row of a table reads as a line of text (for HTML and Markdown tables alike).

A row cut loose from its table says little: "Đăng ký lần đầu | 05 ngày làm việc | 0,1% …" answers "phí
thẩm định bao nhiêu" only to someone who saw the header. So each cell is written with its column's
header, the first cell naming the row: "Đăng ký lần đầu – Thời hạn: 05 ngày làm việc – Phí thẩm định: …".
A row of two cells whose header names only "the content" ("Hạng mục | Nội dung"), or that has no header,
is a labelled line, as a fact sheet writes it: "Diện tích: 28 ha". The header row itself is not a line:
its words are in every row.
"""
from __future__ import annotations

from ..text import clean, fold

# Headers of a second column that say no more than "the value" of what the first cell names.
_PLAIN_VALUE_HEADERS = frozenset(fold(h) for h in (
    "nội dung", "chi tiết", "thông tin", "mô tả", "giá trị", "content", "contents", "detail", "details",
    "description", "information", "value"))
CELL_SEPARATOR = " – "
MAX_HEADER_CELL = 40  # characters of a column's name, at most, in a header the page does not mark as one


def row_line(cells: list[str], header: list[str] | None) -> str:
    """One row of a table as a line (``header``: the cells of its header row, if it has one)."""
    cells = [clean(c).strip() for c in cells]
    names = [clean(h).strip().rstrip(":") for h in header] if header and len(header) == len(cells) else None
    while cells and not cells[-1]:  # a row's empty last cells say nothing
        cells.pop()
    if len(cells) < 2:
        return cells[0] if cells else ""
    if len(cells) == 2 and (names is None or fold(names[1]).strip() in _PLAIN_VALUE_HEADERS or not names[1]):
        return f"{cells[0].rstrip(':')}: {cells[1]}" if cells[0] else cells[1]
    if names is None:
        return CELL_SEPARATOR.join(c for c in cells if c)
    labelled = [f"{name}: {cell}" if name else cell for name, cell in zip(names[1:], cells[1:]) if cell]
    return CELL_SEPARATOR.join(([cells[0]] if cells[0] else []) + labelled)


def table_lines(rows: list[list[str]], header_marked: bool) -> list[str]:
    """The lines of a table's rows. Its first row is its header, and no line of its own, when the page marks it
    so (``header_marked``: ``<th>`` cells, a Markdown row above its ``|---|`` line), or when its cells, short
    and free of numbers, stand above rows holding numbers ("Hạng | Số sản phẩm" over "4 sao | 15")."""
    rows = [cells for cells in ([clean(c).strip() for c in row] for row in rows) if any(cells)]
    header = rows[0] if rows and _names_columns(rows, header_marked) else None
    return [line for line in (row_line(cells, header) for cells in rows[1 if header else 0:]) if line]


def _names_columns(rows: list[list[str]], marked: bool) -> bool:
    first = rows[0]
    if len(first) < 2 or not all(first):
        return False
    if marked:
        return True
    return len(rows) > 1 and all(len(cell) <= MAX_HEADER_CELL and not _has_digit(cell) for cell in first) and \
        any(_has_digit(cell) for cells in rows[1:] for cell in cells)


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)
