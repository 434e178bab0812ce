"""Import article files into the knowledge base: idempotent, atomic per file.

The same bytes imported twice change nothing; changed bytes under the same source replace
the old version in one transaction; a file that cannot be parsed leaves the knowledge base
exactly as it was and is reported with its reason. A write that fails (disk full, read-only
database) stops a run of several files, which are all listed: those committed before, the one that
failed and those not tried. Used by the CLI, the web admin and the chat apps alike.

Many files (:func:`import_paths`) are parsed and tokenized in worker processes
(:mod:`knowledge.ingest.preparing`) and written in batches, one transaction per batch. A batch whose
write fails is rolled back whole and written again one file at a time, so each file is still all
or nothing and the failure names its file; a process killed mid-batch leaves each article's old
version or its new one.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from .. import maintenance
from ..store import KnowledgeBase, PreparedArticle, StoreError
from .parsing import SUPPORTED_SUFFIXES
from .preparing import Job, Prepared, prepare, prepare_batches

STATUS_VI = {"added": "thêm mới", "updated": "cập nhật", "unchanged": "không đổi",
             "failed": "lỗi", "skipped": "bỏ qua"}
NOT_TRIED = "chưa nhập, vì cơ sở dữ liệu không ghi được ở tệp trước"
BATCH_FILES = 250  # files written per transaction (and parsed per worker task)
BATCH_BYTES = 4 * 1024 * 1024  # or fewer: the bot's own writes wait while a batch is written
Item = TypeVar("Item")
log = logging.getLogger(__name__)


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


@dataclass(slots=True)
class IncomingFile:
    """A file on its way in: its bytes until parsed, then its article or the result decided without writing."""
    name: str
    source: str
    raw: bytes = b""
    content_hash: str = ""
    result: ImportResult | None = None  # skipped, unchanged or failed
    prepared: PreparedArticle | None = None


def import_bytes(kb: KnowledgeBase, source: str, name: str, raw: bytes) -> ImportResult:
    """Import one file's content under ``source`` (a path, or ``upload:<name>``)."""
    return write_prepared(kb, prepare_bytes(kb, source, name, raw))


def prepare_bytes(kb: KnowledgeBase, source: str, name: str, raw: bytes) -> IncomingFile:
    """One file's content parsed and tokenized, nothing written: the slow part of an import, done
    before the write transaction so that other writers (the query log) never wait for it."""
    return _prepared(kb, _loaded(kb, source, name, raw))


def write_prepared(kb: KnowledgeBase, file: IncomingFile) -> ImportResult:
    """Write a prepared file (:func:`prepare_bytes`), unless the knowledge base holds it already."""
    return _write(kb, file)


def import_file(kb: KnowledgeBase, path: Path) -> ImportResult:
    return _write(kb, _prepared(kb, _read(kb, path, {})))


def _prepared(kb: KnowledgeBase, file: IncomingFile) -> IncomingFile:
    [file] = _take([file], prepare(_jobs([file]), kb.prepare))
    return file


def _read(kb: KnowledgeBase, path: Path, folders: dict[str, str]) -> IncomingFile:
    """The file's bytes under its source (see :func:`_source`), or why it is not imported."""
    if path.name.lower().startswith("readme"):
        return IncomingFile(path.name, "", result=ImportResult(path.name, "skipped",
                                                        "tệp hướng dẫn, không phải bài viết"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return IncomingFile(path.name, "", result=ImportResult(str(path), "failed",
                                                        f"không đọc được tệp: {exc.strerror or exc}"))
    return _loaded(kb, _source(path, folders), path.name, raw)


def _source(path: Path, folders: dict[str, str]) -> str:
    """A file's source: its absolute path with symbolic links resolved, as ``path.resolve()`` gives it.
    Each folder is resolved once per run and kept in ``folders``: resolving every file walked its
    whole path again (0.2 s for 10,000 files). A file that is a link itself is resolved in full."""
    if path.is_symlink():
        return str(path.resolve())
    parent = os.path.dirname(path)
    folder = folders.get(parent)
    if folder is None:
        folder = folders[parent] = str(Path(parent).resolve())
    return os.path.join(folder, path.name)


def _loaded(kb: KnowledgeBase, source: str, name: str, raw: bytes) -> IncomingFile:
    file = IncomingFile(name, source, raw, hashlib.sha256(raw).hexdigest())
    file.result = _known(kb, file)
    if file.result:
        file.raw = b""
    return file


def _known(kb: KnowledgeBase, file: IncomingFile) -> ImportResult | None:
    """"unchanged" when the knowledge base holds these bytes already, under this source or another."""
    existing = kb.find_article(file.source)
    if existing and existing["content_hash"] == file.content_hash:
        return ImportResult(file.name, "unchanged", title=existing["title"])
    twin = None if existing else kb.article_by_hash(file.content_hash)
    if twin:
        return ImportResult(file.name, "unchanged", f"trùng nội dung với {Path(twin['source']).name}",
                            twin["title"])
    return None


def _jobs(batch: list[IncomingFile]) -> list[Job]:
    return [(file.name, file.raw) for file in batch if file.result is None]


def _take(batch: list[IncomingFile], prepared: list[Prepared]) -> list[IncomingFile]:
    """Give each file still to parse its prepared article, or its failure."""
    for file, outcome in zip([f for f in batch if f.result is None], prepared):
        if isinstance(outcome, str):
            file.result = ImportResult(file.name, "failed", outcome)
        else:
            file.prepared = outcome
        file.raw = b""
    return batch


def _write(kb: KnowledgeBase, file: IncomingFile) -> ImportResult:
    """The file's result, writing its article unless the knowledge base holds it already (asked
    again here: an earlier file of the same run, or another process, may have written it since)."""
    known = file.result or _known(kb, file)
    if known:
        return known
    status = kb.save_prepared(file.source, file.prepared, file.content_hash)
    return ImportResult(file.name, status, title=file.prepared.article.title)


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
    return _report(_each(items, name, import_one), len(items), progress)


def _each(items: Iterable[Item], name: Callable[[Item], str],
          import_one: Callable[[Item], ImportResult]) -> Iterator[ImportResult]:
    stopped = False
    for item in items:
        if stopped:
            result = ImportResult(name(item), "skipped", NOT_TRIED)
        else:
            try:
                result = import_one(item)
            except (StoreError, sqlite3.DatabaseError) as exc:
                stopped = True
                result = ImportResult(name(item), "failed", f"không ghi được vào cơ sở dữ liệu: {_first_error(exc)}")
        yield result


def _report(results: Iterable[ImportResult], total: int,
            progress: Callable[[int, int, ImportResult], None] | None) -> list[ImportResult]:
    done: list[ImportResult] = []
    for result in results:
        done.append(result)
        if progress:
            progress(len(done), total, result)
    return done


def _first_error(exc: BaseException) -> BaseException:
    """The error that started a chain (e.g. "database or disk is full" under a failed rollback)."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return exc


def import_paths(kb: KnowledgeBase, paths: Iterable[str | Path],
                 progress: Callable[[int, int, ImportResult], None] | None = None) -> list[ImportResult]:
    """Import files and folders in batches (see the module's docstring); ``progress`` hears of
    each file once its batch is committed. Replacing articles may leave the full-text index
    bloated: then it is compacted (:func:`knowledge.maintenance.maintain`)."""
    files = expand_paths(paths)
    results = _report(_import_files(kb, files), len(files), progress)
    if any(result.status == "updated" for result in results):
        try:
            maintenance.maintain(kb)
        except (StoreError, sqlite3.DatabaseError) as exc:  # the import stands; the bot's daily run tries again
            log.warning("index maintenance after the import failed: %s", exc)
    return results


def _import_files(kb: KnowledgeBase, paths: list[Path]) -> Iterator[ImportResult]:
    batches = (_take(batch, prepared) for batch, prepared in prepare_batches(kb, _read_batches(kb, paths), len(paths)))
    for batch in batches:
        results = _write_batch(kb, batch)
        if results is None:  # rolled back: again one file at a time, committing what can be and naming what cannot
            yield from _each(chain(batch, chain.from_iterable(batches)), lambda file: file.name,
                             lambda file: _write(kb, file))
            return
        yield from results


def _read_batches(kb: KnowledgeBase, paths: list[Path]) -> Iterator[tuple[list[IncomingFile], list[Job]]]:
    batch: list[IncomingFile] = []
    size = 0
    folders: dict[str, str] = {}
    for path in paths:
        batch.append(_read(kb, path, folders))
        size += len(batch[-1].raw)
        if len(batch) == BATCH_FILES or size >= BATCH_BYTES:
            yield batch, _jobs(batch)
            batch, size = [], 0
    if batch:
        yield batch, _jobs(batch)


def _write_batch(kb: KnowledgeBase, batch: list[IncomingFile]) -> list[ImportResult] | None:
    """The batch written in one transaction, or None when a write failed (and none of it was)."""
    try:
        with kb.transaction():
            return [_write(kb, file) for file in batch]
    except (StoreError, sqlite3.DatabaseError):
        return None
