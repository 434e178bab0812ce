"""Import article files into the knowledge base: idempotent, atomic per file.

The same bytes imported twice change nothing; changed bytes under the same source replace
the old version in one transaction; a file that cannot be parsed leaves the knowledge base
exactly as it was and is reported with its reason. A write that fails (disk full, read-only
database) stops a run of several files, which are all listed: those committed before, the one that
failed and those not tried. Used by the CLI, the web admin and the chat apps alike.
"""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

from .parsing import SUPPORTED_SUFFIXES, ParseError, parse_document
from .store import KnowledgeBase, StoreError

STATUS_VI = {"added": "thêm mới", "updated": "cập nhật", "unchanged": "không đổi",
             "failed": "lỗi", "skipped": "bỏ qua"}
NOT_TRIED = "chưa nhập, vì cơ sở dữ liệu không ghi được ở tệp trước"
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class ImportResult:
    name: str
    status: str  # added | updated | unchanged | failed | skipped
    detail: str = ""
    title: str = ""

    def line(self) -> str:
        text = f"{STATUS_VI[self.status]:<10} {self.name}"
        if self.title:
            text += f" — {self.title}"
        if self.detail:
            text += f" ({self.detail})"
        return text


def import_bytes(kb: KnowledgeBase, source: str, name: str, raw: bytes) -> ImportResult:
    """Import one file's content under ``source`` (a path, or ``upload:<name>``)."""
    content_hash = hashlib.sha256(raw).hexdigest()
    existing = kb.find_article(source)
    if existing and existing["content_hash"] == content_hash:
        return ImportResult(name, "unchanged", title=existing["title"])
    twin = kb.article_by_hash(content_hash)
    if twin and not existing:
        return ImportResult(name, "unchanged", f"trùng nội dung với {Path(twin['source']).name}", twin["title"])
    try:
        article = parse_document(name, raw)
    except ParseError as exc:
        return ImportResult(name, "failed", str(exc))
    status = kb.save_article(source, article, content_hash)
    return ImportResult(name, status, title=article.title)


def import_file(kb: KnowledgeBase, path: Path) -> ImportResult:
    if path.name.lower().startswith("readme"):
        return ImportResult(path.name, "skipped", "tệp hướng dẫn, không phải bài viết")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return ImportResult(str(path), "failed", f"không đọc được tệp: {exc.strerror or exc}")
    return import_bytes(kb, str(path.resolve()), path.name, raw)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the supported files found under named folders."""
    files: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            files.extend(sorted(p for p in item.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        else:
            files.append(item)
    return files


def import_each(items: Sequence[Item], name: Callable[[Item], str], import_one: Callable[[Item], ImportResult],
                progress: Callable[[int, int, ImportResult], None] | None = None) -> list[ImportResult]:
    """Import ``items`` in order, one result each. After a failed write the rest are not tried:
    the database would refuse them too."""
    results: list[ImportResult] = []
    stopped = False
    for index, item in enumerate(items, 1):
        if stopped:
            result = ImportResult(name(item), "skipped", NOT_TRIED)
        else:
            try:
                result = import_one(item)
            except (StoreError, sqlite3.DatabaseError) as exc:
                stopped = True
                result = ImportResult(name(item), "failed", f"không ghi được vào cơ sở dữ liệu: {_first_error(exc)}")
        results.append(result)
        if progress:
            progress(index, len(items), result)
    return results


def _first_error(exc: BaseException) -> BaseException:
    """The error that started a chain (e.g. "database or disk is full" under a failed rollback)."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return exc


def import_paths(kb: KnowledgeBase, paths: Iterable[str | Path],
                 progress: Callable[[int, int, ImportResult], None] | None = None) -> list[ImportResult]:
    return import_each(expand_paths(paths), lambda path: path.name, lambda path: import_file(kb, path), progress)
