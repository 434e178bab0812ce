"""Knowledge-base management: the one implementation of every staff change (FAQs, contacts,
abbreviations, synonyms, article uploads, edits, retirements and deletions, backups) used by the
web admin, the CLI and the chat apps alike.

Each operation validates its input (raising :class:`ManagementError` with a Vietnamese
message), changes the store in one transaction together with its audit-log entry, and bumps
``kb_version`` so that a running bot answers from the new content at once.
"""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable
from urllib.parse import urlsplit

from . import audit
from .contacts import DEPARTMENT, FIELD_LABELS_VI, FIELDS, unit_key
from .faq_io import SEPARATOR, CsvError, FaqRow, read_csv
from .ingest.importer import ImportResult, IncomingFile, prepare_bytes, write_prepared
from .store import Faq, KnowledgeBase, strip_secrets
from .text import fold

MAX_QUESTION_CHARS = 300
MAX_ANSWER_CHARS = 4000
MAX_ALTERNATES = 30
MAX_CONTACT_CHARS = 300
MAX_ABBREVIATION_CHARS = 20
MAX_EXPANSION_CHARS = 120
MAX_SYNONYM_CHARS = 60  # one phrase of a synonym group
MAX_SYNONYMS = 10  # phrases in one group
MAX_TITLE_CHARS = 300
MAX_URL_CHARS = 500
_PUNCTUATION_RE = re.compile(r"[^\w\s]")


class ManagementError(ValueError):
    """A change that cannot be made; the message is Vietnamese, for the staff member."""


# ----- FAQs ------------------------------------------------------------------------------
def _key(text: str) -> str:
    """Comparable form of a phrasing: folded, without punctuation or extra spaces."""
    return " ".join(_PUNCTUATION_RE.sub(" ", fold(text)).split())


def _faq_dict(faq: Faq) -> dict:
    return {"question": faq.question, "alternates": faq.alternates, "answer": faq.answer}


def find_faq(kb: KnowledgeBase, faq_id: int) -> Faq | None:
    return next((faq for faq in kb.faqs() if faq.id == faq_id), None)


def search_faqs(kb: KnowledgeBase, query: str = "") -> list[Faq]:
    wanted = _key(query)
    return [faq for faq in kb.faqs()
            if not wanted or wanted in _key(" ".join([faq.question, *faq.alternates, faq.answer]))]


def check_faq(question: str, alternates: list[str], answer: str) -> str | None:
    """The reason a FAQ is not acceptable as written, or None."""
    if not question.strip():
        return "câu hỏi không được để trống"
    if not answer.strip():
        return "câu trả lời không được để trống"
    if len(question) > MAX_QUESTION_CHARS or any(len(a) > MAX_QUESTION_CHARS for a in alternates):
        return f"câu hỏi dài quá {MAX_QUESTION_CHARS} ký tự"
    if len(answer) > MAX_ANSWER_CHARS:
        return f"câu trả lời dài quá {MAX_ANSWER_CHARS} ký tự"
    if len(alternates) > MAX_ALTERNATES:
        return f"nhiều hơn {MAX_ALTERNATES} cách hỏi khác"
    if any(SEPARATOR in a for a in [question, *alternates]):
        return f"câu hỏi không được chứa ký tự «{SEPARATOR}»"
    return None


def _phrasing_owners(kb: KnowledgeBase) -> dict[str, Faq]:
    return {_key(p): faq for faq in kb.faqs() for p in [faq.question, *faq.alternates]}


def _clash(owners: dict[str, Faq], phrasings: list[str], own_id: int | None) -> str | None:
    for phrasing in phrasings:
        owner = owners.get(_key(phrasing))
        if owner and owner.id != own_id:
            return f"«{phrasing}» đã có trong câu hỏi thường gặp số {owner.id} («{owner.question}»)"
    return None


def _clean_alternates(question: str, alternates: list[str]) -> list[str]:
    seen, kept = {_key(question)}, []
    for alternate in (a.strip() for a in alternates):
        if alternate and _key(alternate) not in seen:
            seen.add(_key(alternate))
            kept.append(alternate)
    return kept


def add_faq(kb: KnowledgeBase, actor: str, question: str, alternates: list[str], answer: str) -> int:
    question, answer = question.strip(), answer.strip()
    alternates = _clean_alternates(question, alternates)
    problem = check_faq(question, alternates, answer)
    with kb.transaction():
        problem = problem or _clash(_phrasing_owners(kb), [question, *alternates], None)
        if problem:
            raise ManagementError(f"Không thêm được: {problem}.")
        faq_id = kb.add_faq(question, alternates, answer)
        audit.record(kb, actor, "faq.add", f"faq {faq_id}",
                     after={"question": question, "alternates": alternates, "answer": answer})
    return faq_id


def update_faq(kb: KnowledgeBase, actor: str, faq_id: int, question: str, alternates: list[str],
               answer: str) -> None:
    question, answer = question.strip(), answer.strip()
    alternates = _clean_alternates(question, alternates)
    problem = check_faq(question, alternates, answer)
    with kb.transaction():
        old = find_faq(kb, faq_id)
        if old is None:
            raise ManagementError(f"Không có câu hỏi thường gặp số {faq_id}.")
        problem = problem or _clash(_phrasing_owners(kb), [question, *alternates], faq_id)
        if problem:
            raise ManagementError(f"Không lưu được: {problem}.")
        after = {"question": question, "alternates": alternates, "answer": answer}
        if after != _faq_dict(old):
            kb.update_faq(faq_id, question, alternates, answer)
            audit.record(kb, actor, "faq.update", f"faq {faq_id}", before=_faq_dict(old), after=after)


def faq_holding(kb: KnowledgeBase, phrasings: list[str]) -> Faq | None:
    """The FAQ that already holds one of these wordings (as its question or another phrasing), if any."""
    owners = _phrasing_owners(kb)
    return next((owners[_key(p)] for p in phrasings if _key(p) in owners), None)


def add_phrasings(kb: KnowledgeBase, actor: str, faq_id: int, phrasings: list[str]) -> list[str]:
    """Add wordings to an FAQ as other phrasings, leaving out those some FAQ holds already;
    returns the ones added (recorded in the audit log as ``faq.update``)."""
    with kb.transaction():
        faq = find_faq(kb, faq_id)
        if faq is None:
            raise ManagementError(f"Không có câu hỏi thường gặp số {faq_id}.")
        owners = _phrasing_owners(kb)
        new = _clean_alternates(faq.question, [p for p in phrasings if _key(p) not in owners])
        if new:
            update_faq(kb, actor, faq_id, faq.question, faq.alternates + new, faq.answer)
    return new


def remove_faq(kb: KnowledgeBase, actor: str, faq_id: int) -> None:
    with kb.transaction():
        old = find_faq(kb, faq_id)
        if old is None:
            raise ManagementError(f"Không có câu hỏi thường gặp số {faq_id}.")
        kb.remove_faq(faq_id)
        audit.record(kb, actor, "faq.remove", f"faq {faq_id}", before=_faq_dict(old))


@dataclass(frozen=True, slots=True)
class FaqImportReport:
    added: int
    updated: int
    unchanged: int

    def line(self) -> str:
        return f"Đã nhập: {self.added} thêm mới, {self.updated} cập nhật, {self.unchanged} không đổi."


def import_faqs(kb: KnowledgeBase, actor: str, raw: bytes) -> FaqImportReport:
    """Add or update (matched by question) every row of a CSV file; on any problem, nothing.

    Raises :class:`knowledge.faq_io.CsvError` with every (line, reason) found.
    """
    rows = read_csv(raw)
    with kb.transaction():
        owners = _phrasing_owners(kb)
        by_question = {_key(faq.question): faq for faq in kb.faqs()}
        problems, seen = [], {}
        for row in rows:
            alternates = _clean_alternates(row.question, row.alternates)
            existing = by_question.get(_key(row.question))
            problem = (check_faq(row.question, alternates, row.answer)
                       or _clash(owners, [row.question, *alternates], existing.id if existing else None)
                       or _repeated(seen, row, alternates))
            if problem:
                problems.append((row.line, problem))
        if problems:
            raise CsvError(problems)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        for row in rows:
            existing = by_question.get(_key(row.question))
            alternates = _clean_alternates(row.question, row.alternates)
            if existing is None:
                add_faq(kb, actor, row.question, alternates, row.answer)
                counts["added"] += 1
            elif _faq_dict(existing) == {"question": row.question, "alternates": alternates, "answer": row.answer}:
                counts["unchanged"] += 1
            else:
                update_faq(kb, actor, existing.id, row.question, alternates, row.answer)
                counts["updated"] += 1
    return FaqImportReport(**counts)


def _repeated(seen: dict[str, int], row: FaqRow, alternates: list[str]) -> str | None:
    for phrasing in [row.question, *alternates]:
        first = seen.setdefault(_key(phrasing), row.line)
        if first != row.line:
            return f"«{phrasing}» đã có ở dòng {first}"
    return None


# ----- contacts --------------------------------------------------------------------------
def _unit(unit: str | None) -> str:
    unit = (unit or "").strip()
    return DEPARTMENT if not unit or unit_key(unit) == "department" else unit


def _current(kb: KnowledgeBase, unit: str, field: str) -> dict | None:
    value = kb.resolve_contacts(unit_key(unit)).get(field)
    return {"value": value.value, "pinned": value.pinned} if value else None


def set_contact(kb: KnowledgeBase, actor: str, field: str, value: str, pinned: bool = False,
                unit: str | None = None) -> None:
    """Record a contact value for a unit (the department by default); pinned beats articles."""
    value, unit = " ".join(value.split()), _unit(unit)
    if field not in FIELDS:
        raise ManagementError(f"Trường liên hệ không hợp lệ «{field}»; chọn một trong: {', '.join(FIELDS)}.")
    if not value or len(value) > MAX_CONTACT_CHARS:
        raise ManagementError(f"{FIELD_LABELS_VI[field]}: giá trị phải có từ 1 đến {MAX_CONTACT_CHARS} ký tự.")
    with kb.transaction():
        before = _current(kb, unit, field)
        kb.set_contact(unit, field, value, pinned, actor)
        audit.record(kb, actor, "contact.pin" if pinned else "contact.set", f"{unit} / {field}",
                     before=before, after={"value": value, "pinned": pinned})


def pin_contact(kb: KnowledgeBase, actor: str, field: str, value: str | None = None,
                unit: str | None = None) -> str:
    """Pin ``value`` (or the value in use now) for the unit's field; returns the pinned value."""
    if value is None:
        current = _current(kb, _unit(unit), field) if field in FIELDS else None
        if current is None:
            raise ManagementError(f"Chưa có giá trị nào cho «{field}» để ghim.")
        value = current["value"]
    set_contact(kb, actor, field, value, True, unit)
    return value


def unpin_contact(kb: KnowledgeBase, actor: str, field: str, unit: str | None = None) -> None:
    """Let the newest article's value win again for the unit's field."""
    unit = _unit(unit)
    with kb.transaction():
        before = _current(kb, unit, field)
        changed = kb.conn.execute("UPDATE contacts SET pinned = 0 WHERE unit_key = ? AND field = ? AND pinned = 1",
                                  (unit_key(unit), field)).rowcount
        if not changed:
            raise ManagementError("Giá trị này chưa được ghim.")
        kb._bump()
        audit.record(kb, actor, "contact.unpin", f"{unit} / {field}", before=before,
                     after=_current(kb, unit, field))


# ----- abbreviations ---------------------------------------------------------------------
def set_abbreviation(kb: KnowledgeBase, actor: str, key: str, expansion: str) -> None:
    key, expansion = key.strip().casefold(), " ".join(expansion.split())
    if not key or len(key) > MAX_ABBREVIATION_CHARS or len(key.split()) != 1:
        raise ManagementError(f"Từ viết tắt phải là một từ, tối đa {MAX_ABBREVIATION_CHARS} ký tự.")
    if not expansion or len(expansion) > MAX_EXPANSION_CHARS:
        raise ManagementError(f"Nghĩa đầy đủ phải có từ 1 đến {MAX_EXPANSION_CHARS} ký tự.")
    with kb.transaction():
        before = kb.abbreviations().get(key)
        if before == expansion:
            return
        kb.set_abbreviation(key, expansion)
        audit.record(kb, actor, "abbreviation.set", key, before=before, after=expansion)


def remove_abbreviation(kb: KnowledgeBase, actor: str, key: str) -> None:
    key = key.strip().casefold()
    with kb.transaction():
        before = kb.abbreviations().get(key)
        if before is None:
            raise ManagementError(f"Không có từ viết tắt «{key}».")
        kb.set_abbreviation(key, None)
        audit.record(kb, actor, "abbreviation.remove", key, before=before)


# ----- synonyms --------------------------------------------------------------------------
def add_synonyms(kb: KnowledgeBase, actor: str, text: str) -> int:
    """A new synonym group from "phrase | phrase | …"; returns its id."""
    phrases = [" ".join(p.split()) for p in text.split("|") if p.strip()]
    if not 2 <= len(phrases) <= MAX_SYNONYMS or any(len(p) > MAX_SYNONYM_CHARS for p in phrases):
        raise ManagementError(f"Nhóm từ đồng nghĩa cần từ 2 đến {MAX_SYNONYMS} cụm từ, ngăn cách bởi «|», "
                              f"mỗi cụm tối đa {MAX_SYNONYM_CHARS} ký tự.")
    with kb.transaction():
        group_id = kb.add_synonyms(phrases)
        audit.record(kb, actor, "synonyms.add", str(group_id), after=phrases)
    return group_id


def remove_synonyms(kb: KnowledgeBase, actor: str, group_id: int) -> None:
    with kb.transaction():
        before = dict(kb.synonyms()).get(group_id)
        if before is None or not kb.remove_synonyms(group_id):
            raise ManagementError(f"Không có nhóm từ đồng nghĩa số {group_id}.")
        audit.record(kb, actor, "synonyms.remove", str(group_id), before=before)


# ----- articles --------------------------------------------------------------------------
def upload_article(kb: KnowledgeBase, actor: str, name: str, raw: bytes,
                   parse_with: Callable[[Callable[[], IncomingFile]], IncomingFile] = lambda parse: parse()
                   ) -> ImportResult:
    """Import one uploaded file under the source ``upload:<name>``, as the CLI import does. The file
    is parsed outside the write lock, by ``parse_with(parse)`` (a staff job: at a lower priority)."""
    name = PurePath(name.replace("\\", "/")).name.strip()[:200]
    if not name:
        return ImportResult("(không tên)", "failed", "tệp không có tên")
    prepared = parse_with(lambda: prepare_bytes(kb, f"upload:{name}", name, raw))
    with kb.transaction():
        result = write_prepared(kb, prepared)
        if result.status in ("added", "updated"):
            audit.record(kb, actor, f"article.{result.status}", name,
                         after={"title": result.title, "bytes": len(raw)})
    return result


def delete_article(kb: KnowledgeBase, actor: str, article_id: int) -> str:
    """Delete an article with its passages and unpinned contacts; returns its title."""
    with kb.transaction():
        article = kb.article(article_id)
        if article is None:
            raise ManagementError(f"Không có bài viết số {article_id}.")
        kb.delete_article(article_id)
        audit.record(kb, actor, "article.delete", f"article {article_id}",
                     before={"title": article["title"], "source": article["source"]})
    return article["title"]


def find_article(kb: KnowledgeBase, article_id: int) -> dict:
    """The article row with its body passages; ManagementError when there is none."""
    article = kb.article(article_id)
    if article is None:
        raise ManagementError(f"Không có bài viết số {article_id}.")
    return article


def parse_article_date(text: str) -> str | None:
    """An article date typed as dd/mm/yyyy or yyyy-mm-dd → YYYY-MM-DD; None when empty."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            date = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if 1900 <= date.year <= 2100:
            return date.isoformat()
    raise ManagementError(f"Ngày «{text[:40]}» không hợp lệ; hãy viết theo dạng ngày/tháng/năm (ví dụ 05/03/2024).")


def check_article_url(text: str) -> str | None:
    """An article's web address (http or https), None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or len(text) > MAX_URL_CHARS or any(c.isspace() for c in text)):
        raise ManagementError(f"Địa chỉ web phải bắt đầu bằng http:// hoặc https:// "
                              f"(tối đa {MAX_URL_CHARS} ký tự, không có khoảng trắng).")
    return text


def _article_meta(article: dict) -> dict:
    return {"title": article["title"], "date": article["published"], "url": article["url"]}


def edit_article(kb: KnowledgeBase, actor: str, article_id: int, title: str, date: str, url: str) -> bool:
    """New title, date (dd/mm/yyyy or yyyy-mm-dd; empty: none) and URL (http/https; empty: none)
    for an article, without uploading it again; returns whether anything changed."""
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE_CHARS:
        raise ManagementError(f"Tiêu đề phải có từ 1 đến {MAX_TITLE_CHARS} ký tự.")
    after = {"title": title, "date": parse_article_date(date), "url": check_article_url(url)}
    with kb.transaction():
        before = _article_meta(find_article(kb, article_id))
        if after == before:
            return False
        kb.edit_article(article_id, after["title"], after["date"], after["url"])
        audit.record(kb, actor, "article.edit", f"article {article_id}", before=before, after=after)
    return True


def retire_article(kb: KnowledgeBase, actor: str, article_id: int, retired: bool = True) -> str:
    """Retire an article (kept, but never answered from) or, with ``retired=False``, bring it back;
    returns its title."""
    with kb.transaction():
        article = find_article(kb, article_id)
        if bool(article["retired"]) == retired:
            state = "đã ngừng dùng" if retired else "đang được dùng"
            raise ManagementError(f"Bài «{article['title']}» {state} rồi.")
        kb.set_retired(article_id, retired)
        audit.record(kb, actor, "article.retire" if retired else "article.restore", f"article {article_id}",
                     before={"title": article["title"], "retired": not retired}, after={"retired": retired})
    return article["title"]


# ----- backup ----------------------------------------------------------------------------
def backup(kb: KnowledgeBase, path: str | Path) -> Path:
    """A consistent copy of the database (SQLite online backup), safe while the bot runs, without
    the secrets that a restored bot can do without (:func:`knowledge.store.strip_secrets`)."""
    target = Path(path).resolve()
    if kb.path != ":memory:" and target == Path(kb.path).resolve():
        raise ManagementError("Tệp sao lưu phải khác tệp cơ sở tri thức đang dùng.")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(target) as copy:
            kb.conn.backup(copy)
            strip_secrets(copy)
        copy.close()
    except (OSError, sqlite3.Error) as exc:
        raise ManagementError(f"Không sao lưu được vào {target}: {exc}") from exc
    return target
