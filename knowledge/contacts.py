"""Contact facts (address, phone, fax, email, hotline) found in article text.

A labelled contact in a page footer belongs to the site's owner, the department; one in the
body belongs to the unit named before the labels ("Liên hệ: Phòng Kinh tế quận Ô Môn,
điện thoại …"), and is skipped when no unit is named. Values are validated: a phone number
cut short ("0292.382...") is not a phone number.

The source cited with a contact answer says where the value came from: the staff's update for a
pinned or typed-in value, the article for one stated in an article's body, and the department's
contact information for one read in a page footer (every page carries it, so the article it was
read from is no source for it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .text import clean, fold

if TYPE_CHECKING:  # the store imports this module
    from .store import ContactValue, KnowledgeBase

DEPARTMENT = "Sở Khoa học và Công nghệ thành phố Cần Thơ"
STAFF_SOURCE = "Cập nhật của cán bộ Sở"
FOOTER_SOURCE = "Thông tin liên hệ ở chân trang cổng thông tin của {owner}"
FIELDS = ("address", "phone", "fax", "hotline", "email")
NUMBER_FIELDS = frozenset({"phone", "fax", "hotline"})
FIELD_LABELS_VI = {"address": "Địa chỉ", "phone": "Điện thoại", "fax": "Fax",
                   "hotline": "Đường dây nóng", "email": "Email"}

_LABELS = [
    ("address", r"địa chỉ|address|trụ sở"),
    ("hotline", r"hotline|đường dây nóng"),
    ("phone", r"số điện thoại|điện thoại|sđt|đt|tel|phone|telephone"),
    ("fax", r"fax"),
    ("email", r"e-?mail|thư điện tử"),
]
_LABEL_RE = re.compile(
    r"(?<![\w@])(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _LABELS) + r")\s*[:：]?\s*",
    re.IGNORECASE,
)
# Things that end a value: another kind of line folded into the same text.
_VALUE_END_RE = re.compile(r"(?:Trưởng [Bb]an|Website|Bản quyền|Copyright|Giấy phép|\(|\bTrang\b)")
PHONE_RE = re.compile(r"(?:\+84|0)\d(?:[ .\-]?\d){7,11}")  # a Vietnamese phone number as written
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESS_HINT_RE = re.compile(r"\d|phường|quận|đường|huyện|xã|street|ward|district|road|city", re.I)
_DEPARTMENT_RE = re.compile(
    r"(?<!\bho )(?<!\bco )\bso (khoa hoc(?: (va )?cong nghe)?|kh ?& ?cn|khcn)\b|sokhcn|"  # not "hồ sơ", "cơ sở"
    r"department of science (and|&) technology")
_COPYRIGHT_OWNER_RE = re.compile(r"thuộc về\s+(.+?)(?:[.;]|\s+Địa chỉ|$)", re.I)
_UNIT_PREFIX_RE = re.compile(r"^(?:.*?(?:liên hệ|liên lạc|contact|nơi nhận)[^:]*:\s*)", re.I)


@dataclass(frozen=True, slots=True)
class ContactFact:
    unit: str
    field: str
    value: str

    def __reduce__(self):
        """Pickled as the arguments of ``__init__``: unpickling by dataclasses' ``__setstate__`` of a
        frozen class, which looks up the fields for every object, cost the importer 0.2 s of the
        worker processes' results at 10,000 articles."""
        return ContactFact, (self.unit, self.field, self.value)


def in_old_numbering(value: str) -> bool:
    """Is a phone number written in Vietnam's numbering from before 2017 ("0710.3820674": landline area codes of
    three digits after the 0, eleven digits in all, or eleven-digit mobiles "01…")? Since 2017-2018 every landline
    is "02xx" and eleven digits, every mobile ten; such a number is older than any number in today's form,
    whatever the date of the page that prints it (a footer copied from an old template)."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return len(digits) == 11 and digits.startswith("0") and not digits.startswith("02")


def is_department_at(folded: str) -> tuple[int, int] | None:
    """Where folded text names the department (start and end offsets), if it does."""
    found = _DEPARTMENT_RE.search(folded)
    return found.span() if found else None


def is_department(name: str) -> bool:
    """Does the name (as written) name the department?"""
    return is_department_at(fold(name)) is not None


@lru_cache(maxsize=4096)
def unit_key(name: str) -> str:
    """Comparable form of a unit's name."""
    return "department" if is_department(name) else " ".join(fold(name).split())


def _valid(field: str, value: str) -> str | None:
    if field in ("phone", "fax", "hotline"):
        match = PHONE_RE.search(value)
        if not match:
            return None
        digits = re.sub(r"\D", "", match.group(0))
        return match.group(0).strip() if 10 <= len(digits) <= 12 else None
    if field == "email":
        match = EMAIL_RE.search(value)
        return match.group(0).rstrip(".") if match else None
    value = value.strip(" .;,:-")
    if len(value) < 12 or not _ADDRESS_HINT_RE.search(value) or "@" in value:
        return None
    return value


def find_fields(text: str) -> tuple[list[tuple[str, str]], int]:
    """Labelled contact values in a text, and where the first label starts (-1 if none)."""
    text = clean(text)
    labels = list(_LABEL_RE.finditer(text))
    found: list[tuple[str, str]] = []
    for i, label in enumerate(labels):
        field = label.lastgroup
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        segment = text[label.end():end]
        stop = _VALUE_END_RE.search(segment)
        if stop:
            segment = segment[:stop.start()]
        value = _valid(field, segment)
        if value:
            found.append((field, value))
    # A bare e-mail address in a footer is the site's e-mail.
    if not any(f == "email" for f, _ in found):
        match = EMAIL_RE.search(text)
        if match:
            found.append(("email", match.group(0).rstrip(".")))
    return found, (labels[0].start() if labels else -1)


def footer_contacts(lines: list[str]) -> list[ContactFact]:
    """Contacts in a page footer: the department's, or the named copyright owner's."""
    owner = DEPARTMENT
    text = " ".join(lines)
    match = _COPYRIGHT_OWNER_RE.search(text)
    if match and not is_department(match.group(1)):
        owner = match.group(1).strip()
    facts = []
    for line in lines:
        facts.extend(ContactFact(owner, field, value) for field, value in _footer_line_fields(line))
    return _first_per_field(facts)


@lru_cache(maxsize=256)
def _footer_line_fields(line: str) -> tuple[tuple[str, str], ...]:
    """The labelled values of a footer line (:func:`find_fields`), kept: every page of a site repeats
    its footer, and finding them was a sixth of the time of parsing a page."""
    return tuple(find_fields(line)[0])


def body_contacts(line: str) -> list[ContactFact]:
    """Contacts in a body line, credited to the unit the line names before its labels."""
    text = clean(line)
    if not _LABEL_RE.search(text):  # most lines: no label, no contact (find_fields would look for a bare e-mail too)
        return []
    fields, first = find_fields(text)
    if not fields:
        return []
    before = _UNIT_PREFIX_RE.sub("", text[:first]).strip(" ,:;-–")
    unit = before.split(",")[0].strip() if before else ""
    if len(unit.split()) < 2 or len(unit) > 90:
        return []
    unit = DEPARTMENT if is_department(unit) else unit
    return _first_per_field([ContactFact(unit, f, v) for f, v in fields])


def _first_per_field(facts: list[ContactFact]) -> list[ContactFact]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for fact in facts:
        if (fact.unit, fact.field) not in seen:
            seen.add((fact.unit, fact.field))
            kept.append(fact)
    return kept


def fields_to_show(asked: list[str], resolved: dict, kb: KnowledgeBase | None = None) -> tuple[dict, dict]:
    """Of a unit's resolved contact values, those a question asks for (all of them for "liên hệ" or
    when none asked for is known; the hotline with the phone), and the source to cite: the newest's,
    as :func:`cited_source` says it (without ``kb``, the article it was read from)."""
    fields = [f for f in FIELDS if f in asked and f in resolved]
    if "phone" in asked and "hotline" in resolved and "hotline" not in fields:
        fields.append("hotline")
    if not fields or "contact" in asked:
        fields = list(resolved)
    shown = {f: resolved[f] for f in fields}
    newest = max(shown.values(), key=lambda v: (v.pinned, v.source_date is not None, v.source_date or ""))
    return shown, cited_source(kb, newest)


def cited_source(kb: KnowledgeBase | None, value: ContactValue) -> dict:
    """The source to cite with a resolved contact value (``{"title", "date", "path"}``): the staff's
    update, dated the day of it, for a pinned or typed-in value; the article, with its file or address
    as ``path`` (so the reply can link it), for a value stated in its body; else the value was read in
    a page footer: the contact information of the site's owner, dated by the newest page carrying it."""
    if value.pinned or value.source_title is None:
        return {"title": STAFF_SOURCE, "date": value.source_date, "path": None}
    stating = None if kb is None else _stating_article(kb, value)
    if kb is None or stating:
        return {"title": value.source_title, "date": value.source_date, "path": stating}
    owner = "Sở" if is_department(value.unit) else value.unit
    return {"title": FOOTER_SOURCE.format(owner=owner), "date": value.source_date, "path": None}


def _stating_article(kb: KnowledgeBase, value: ContactValue) -> str | None:
    """The web address (else the file) of a live article the value was read from whose body states it (its
    contacts read again from its paragraphs, as the import read them), None when only footers do."""
    key = unit_key(value.unit)
    articles = kb.conn.execute(
        "SELECT COALESCE(a.url, a.source), a.body FROM contacts c JOIN articles a ON a.id = c.article_id "
        "WHERE c.unit_key = ? AND c.field = ? AND c.value = ? AND c.pinned = 0 AND c.source_title = ? "
        "AND c.source_date IS ? AND a.retired = 0 ORDER BY c.id DESC",
        (key, value.field, value.value, value.source_title, value.source_date))
    for source, body in articles:
        if value.value in body and any(
                (unit_key(fact.unit), fact.field, fact.value) == (key, value.field, value.value)
                for paragraph in body.split("\n\n") for fact in body_contacts(paragraph)):
            return source
    return None


def strip_contact_text(line: str) -> str:
    """A footer line without its copyright and contact parts (what is left may be a fact)."""
    line = clean(line)
    match = re.search(r"(Trưởng [Bb]an biên tập|Website Chief Editor|Chief Editor|Người chịu trách nhiệm|"
                      r"Chịu trách nhiệm)", line)
    return line[match.start():].strip() if match else ""
