"""FAQ import/export as CSV: header ``question,alternates,answer``, alternate phrasings
separated by ``|``, UTF-8 (a byte-order mark is accepted on reading and written on export so
that spreadsheet programs show Vietnamese correctly).

Reading checks the format only and reports every problem with its line number; what the rows
mean for the knowledge base is checked by :mod:`knowledge.management`. A file holding a control
character (NUL, ESC…: a file saved as UTF-16, or junk) is refused whole, not cleaned: the staff
member sees which line to fix and nothing is imported. Cells are written spreadsheet-safe and read
back exactly (:mod:`knowledge.csv_safe`).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable

from .csv_safe import SafeWriter, restore_cell
from .store import Faq

HEADER = ("question", "alternates", "answer")
SEPARATOR = "|"
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# C0 controls but tab, newline and carriage return; DEL; C1 controls as UTF-8 bytes
_CONTROL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")


@dataclass(frozen=True, slots=True)
class FaqRow:
    line: int
    question: str
    alternates: list[str]
    answer: str


class CsvError(ValueError):
    """A CSV file that cannot be imported; ``problems`` holds (line, Vietnamese reason) pairs."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"dòng {line}: {reason}" if line else reason for line, reason in problems))


def split_alternates(text: str) -> list[str]:
    return [part.strip() for part in text.split(SEPARATOR) if part.strip()]


def read_csv(raw: bytes) -> list[FaqRow]:
    """The rows of a FAQ CSV file, or :class:`CsvError` listing every malformed line."""
    if len(raw) > MAX_CSV_BYTES:
        raise CsvError([(0, f"tệp CSV quá lớn (tối đa {MAX_CSV_BYTES // (1024 * 1024)} MB)")])
    control = _CONTROL_BYTES_RE.search(raw)
    if control:
        code = ord(control.group().decode("utf-8"))
        raise CsvError([(raw[:control.start()].count(b"\n") + 1,
                         f"có ký tự điều khiển (mã U+{code:04X}), không được phép; nếu tệp được lưu dạng "
                         f"UTF-16 («Unicode Text»), hãy lưu lại dạng «CSV UTF-8»")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CsvError([(line, "không phải văn bản UTF-8")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[FaqRow] = []
    problems: list[tuple[int, str]] = []
    start, seen_header = 1, False
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if not seen_header:
                seen_header = True
                if not _is_header(record):
                    problems.append((line, "dòng đầu phải là tiêu đề: question,alternates,answer"))
                continue
            if len(record) != len(HEADER):
                problems.append((line, f"cần đúng 3 cột (question, alternates, answer), có {len(record)}"))
                continue
            question, alternates, answer = (restore_cell(cell).strip() for cell in record)
            rows.append(FaqRow(line, question, split_alternates(alternates), answer))
            if len(rows) > MAX_ROWS:
                raise CsvError([(line, f"quá nhiều dòng (tối đa {MAX_ROWS})")])
    except csv.Error as exc:
        problems.append((start, f"CSV hỏng ({exc})"))
    if not rows and not problems:
        problems.append((0, "tệp CSV không có câu hỏi nào"))
    if problems:
        raise CsvError(problems)
    return rows


def _is_header(record: list[str]) -> bool:
    return tuple(cell.strip().lstrip("\ufeff").casefold() for cell in record) == HEADER


def write_csv(faqs: Iterable[Faq]) -> str:
    """CSV text (with a byte-order mark) that :func:`read_csv` reads back unchanged."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for faq in faqs:
        writer.writerow([faq.question, SEPARATOR.join(faq.alternates), faq.answer])
    return out.getvalue()
