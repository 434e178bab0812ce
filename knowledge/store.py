"""The SQLite knowledge base: articles and their passages (with a full-text index), FAQs,
contact facts, abbreviations, the query log and the audit log; the keyed hash of user ids, whose
key lives outside the database file.

This module is the only one that speaks SQL. Every change runs in one transaction and bumps
``kb_version`` so that matchers in a running bot reload their caches at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Generic, Iterable, Iterator, TypeVar

import sqlite_utils

from .contacts import DEPARTMENT, FIELDS, NUMBER_FIELDS, ContactFact, in_old_numbering, unit_key
from .fulltext import cascade, common_terms
from .lexicon import CONTEXTUAL_ABBREVIATIONS, DEFAULT_ABBREVIATIONS, DEFAULT_SYNONYMS
from .ingest.parsing import ParsedArticle
from .text import Normalizer, exact_text, folded_text

SCHEMA_VERSION = 13  # 2: the full-text index has an ``exact`` column; 3: synonym groups;
# 4: failed sign-ins, per-user session stamps, no user-hash salt (user ids get a keyed hash);
# 5: articles.published_inferred (a date read from the text, not a stamp); 6: articles.retired;
# 7: the document counts of every term kept in ``term_counts``, and articles.revision; 8: an index of the
# retired articles (every search leaves their passages out: without it, each read the whole articles table);
# 9: every passage tokenized again (a word typed with accents is no longer taken for an abbreviation);
# 10: an index of the articles' web addresses (each reply's source is looked up by its address);
# 11: every passage tokenized again (compatibility characters read as plain ones: "km²" is "km2");
# 12: every passage tokenized again ("tư" is four only as an ordinal: "tư vấn", "đầu tư" are words; in a
# text all in capitals a capitalised Roman numeral needs its "lần"/"thứ": "VI PHẠM"); 13: articles.origin (the
# byline: where a page was taken from)
RECENT_SEARCHES = 32  # a question's searches (at most about a dozen distinct ones)
PASSAGES_KEPT = 5_000  # passages read for candidates, kept between questions (both engines read the same)
PHRASE_COUNTS_KEPT = 20_000  # document counts of word pairs (a common one costs ms to count at 10,000 articles)
SESSION_SECRET_META = "web_session_secret"  # the meta row of the key that signs web sessions
# What a footer line ("Trưởng Ban biên tập: …") is about: the department's website, not the article.
FOOTER_CONTEXT = "Trang thông tin điện tử của Sở Khoa học và Công nghệ thành phố Cần Thơ"


class StoreError(RuntimeError):
    """The database cannot be opened or used; the message is one plain line."""


@dataclass(frozen=True, slots=True)
class Passage:
    id: int
    article_id: int
    text: str
    folded: str
    exact: str
    title: str
    title_folded: str
    title_exact: str
    published: str | None
    source: str
    url: str | None
    role: str  # body | footer (site-wide facts, not about the article's topic)


@dataclass(frozen=True, slots=True)
class ContactValue:
    unit: str
    field: str
    value: str
    source_title: str | None
    source_date: str | None
    pinned: bool


@dataclass(frozen=True, slots=True)
class Faq:
    id: int
    question: str
    alternates: list[str]
    answer: str
    updated_at: str


@dataclass(slots=True)
class DocumentCounts:
    """How many passages, and for each folded and exact term how many of them hold it (with the words
    of their context: the title, or the website for a footer line), as
    :meth:`KnowledgeBase.term_document_counts` counts them."""
    passages: int = 0
    folded: Counter = field(default_factory=Counter)
    exact: Counter = field(default_factory=Counter)

    def terms(self) -> tuple[Counter, Counter]:
        """The folded and the exact terms with their counts."""
        return self.folded, self.exact

    def add(self, other: "DocumentCounts | TermBag", sign: int = 1) -> None:
        self.passages += sign * other.passages
        for mine, theirs in zip((self.folded, self.exact), other.terms()):
            if sign > 0:
                mine.update(theirs)
            else:
                mine.subtract(theirs)


@dataclass(frozen=True, slots=True)
class TermBag:
    """:class:`DocumentCounts` in the form quickest to make, to send from a worker process and to add
    up: each kind's terms joined by spaces, every term as many times as it is counted. Two strings
    pickle and unpickle at once, where two Counters were rebuilt term by term, and a list of terms is
    counted in C: at 10,000 articles the importer spent 2.0 s unpickling and adding up Counters,
    0.9 s with bags."""
    passages: int
    folded: str
    exact: str

    def terms(self) -> tuple[list[str], list[str]]:
        """The folded and the exact terms, each as many times as it is counted."""
        return self.folded.split(), self.exact.split()


def term_bag(passages: Iterable[tuple[str, str, str]], contexts: dict[str, tuple[str, str]]) -> TermBag:
    """The document counts of passages given as (role, folded, exact), each read with the (folded,
    exact) context of its role: a passage's own term once for each passage holding it, a term of the
    context once for each passage of its role (it is in every one of them)."""
    context_terms = {role: (set(folded.split()), set(exact.split())) for role, (folded, exact) in contexts.items()}
    per_role: Counter = Counter()
    folded_terms: list[str] = []
    exact_terms: list[str] = []
    for role, folded, exact in passages:
        per_role[role] += 1
        context_folded, context_exact = context_terms[role]
        folded_terms += set(folded.split()) - context_folded
        exact_terms += set(exact.split()) - context_exact
    for role, passages_of_role in per_role.items():
        context_folded, context_exact = context_terms[role]
        folded_terms += list(context_folded) * passages_of_role
        exact_terms += list(context_exact) * passages_of_role
    return TermBag(sum(per_role.values()), " ".join(folded_terms), " ".join(exact_terms))


def document_counts(passages: Iterable[tuple[str, str, str]],
                    contexts: dict[str, tuple[str, str]]) -> DocumentCounts:
    """The :class:`DocumentCounts` of passages given as (role, folded, exact), each read with the
    (folded, exact) context of its role (see :func:`term_bag`)."""
    bag = term_bag(passages, contexts)
    return DocumentCounts(bag.passages, *map(Counter, bag.terms()))


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article tokenized for storage. Made without the database, so that worker processes can
    make many at once; ``abbreviations_version`` names the abbreviation table it was made with."""
    article: ParsedArticle
    abbreviations_version: int
    title_folded: str
    title_exact: str
    passages: list[tuple[str, str, str, str]]  # text, role (body | footer), folded, exact
    counts: TermBag | None = None  # of its passages, counted before the write transaction


def prepare_article(article: ParsedArticle, normalizer: Normalizer, abbreviations_version: int) -> PreparedArticle:
    title_tokens = normalizer.tokenize(article.title)
    passages = []
    for texts, role in ((article.paragraphs, "body"), (article.footer_facts, "footer")):
        for text in texts:
            tokens = normalizer.tokenize(text)
            passages.append((text, role, folded_text(tokens), exact_text(tokens)))
    title_folded, title_exact = folded_text(title_tokens), exact_text(title_tokens)
    counts = term_bag(((role, folded, exact) for _text, role, folded, exact in passages),
                      {"body": (title_folded, title_exact), "footer": _footer_terms(normalizer)})
    return PreparedArticle(article, abbreviations_version, title_folded, title_exact, passages, counts)


@lru_cache(maxsize=1)
def _footer_tokens(normalizer: Normalizer) -> tuple:
    """The context of a footer line (the website), tokenized once per normalizer (abbreviation table),
    not for every article prepared or counted."""
    return tuple(normalizer.tokenize(FOOTER_CONTEXT))


def _footer_terms(normalizer: Normalizer) -> tuple[str, str]:
    """:func:`_footer_tokens`, folded and exact."""
    tokens = _footer_tokens(normalizer)
    return folded_text(tokens), exact_text(tokens)


def _index_row(passage_id: int, folded: str, exact: str, context: tuple[str, str]) -> tuple:
    """Full-text row of a passage: its folded words, its context's (the title, or the website for a
    footer line: folded, exact), and both with their accents, for questions typed with them."""
    return passage_id, folded, context[0], exact + " " + context[1]


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


T = TypeVar("T")


class PerVersion(Generic[T]):
    """A value built from the knowledge base, built again when its version has changed since, so that
    a staff edit shows at once (starter questions, what a tapped suggestion leads to)."""

    def __init__(self, kb: "KnowledgeBase", build: Callable[[], T]):
        self.kb, self.build = kb, build
        self._version: int | None = None
        self._value: T | None = None

    def get(self) -> T:
        version = self.kb.version()
        if version != self._version:
            self._version, self._value = version, self.build()
        return self._value


class VersionCache:
    """Values read from the knowledge base, kept as of one knowledge-base version, the least recently
    used dropped past ``size``. Bypassed while a write is under way (its version may still be rolled back)."""

    def __init__(self, kb: "KnowledgeBase", size: int):
        self.kb, self.size = kb, size
        self._version: int | None = None
        self._kept: OrderedDict = OrderedDict()

    def entries(self) -> OrderedDict | None:
        """The values kept, emptied when the version has changed since; None while a write is under way."""
        if self.kb.conn.in_transaction:
            return None
        version = self.kb.version()
        if version != self._version:
            self._version = version
            self._kept.clear()
        return self._kept

    def keep(self, key, value) -> None:
        """Keep a value read at the version of the last ``entries``."""
        self._kept[key] = value
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def get(self, key, read: Callable[[], T]) -> T:
        entries = self.entries()
        if entries is None:
            return read()
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        value = read()
        self.keep(key, value)
        return value


class KnowledgeBase:
    """One SQLite file. Open with :meth:`open`; all methods are synchronous and short."""

    def __init__(self, conn: sqlite3.Connection, path: str, hash_key: bytes):
        self.path = path
        self.conn = conn
        self._hash_key = hash_key
        self.db = sqlite_utils.Database(conn)
        self._normalizer: Normalizer | None = None
        self._normalizer_version = -1
        self._pending_counts: DocumentCounts | None = None  # changes of the transaction under way
        self._pending_floor: int | None = None  # the version when they began
        self._pages_noted = False  # the transaction under way has noted that pages changed
        self._counts: _KnownCounts | None = None  # the document counts as last read (term_counts)
        # The last few full-text searches: the engines of a default reply (the matcher and the fitted engine)
        # and their suggestions run many of the same searches for one question. Small on purpose: it serves
        # one question's repeats, not a cache of popular questions.
        self._searches = VersionCache(self, RECENT_SEARCHES)
        self._passage_rows = VersionCache(self, PASSAGES_KEPT)  # passage id → Passage (None: not live)
        self._phrase_counts = VersionCache(self, PHRASE_COUNTS_KEPT)  # (phrase, cap) → passages holding it
        self._index_rows = VersionCache(self, 1)  # rows of the passage index at a version
        self._has_counts_table: bool | None = None
        self._units: tuple[int, dict[str, str]] | None = None  # contact units at a version

    # ----- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, hash_key: str = "") -> "KnowledgeBase":
        """The database at ``path``; user ids are hashed with ``hash_key`` (env BOT_HASH_KEY), else
        with the key in ``<path>.key``, created on first use."""
        path = str(path)
        if path != ":memory:":
            parent = Path(path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the database folder {parent}: {exc.strerror}") from exc
        try:
            conn = connect(path)
            kb = cls(conn, path, hash_key.encode() if hash_key else _hash_key_file(path))
            kb._ensure_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use the database {path}: {exc}") from exc
        return kb

    def close(self) -> None:
        self.conn.close()

    def transaction(self):
        """Context manager: BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error."""
        return _Transaction(self.conn, self)

    def _ensure_schema(self) -> None:
        tables = set(self.db.table_names())
        if "meta" in tables:
            version = int(self.meta("schema_version") or 0)
            if version > SCHEMA_VERSION:
                raise StoreError(f"database schema {version} is newer than this program ({SCHEMA_VERSION})")
            if version < 2:  # rebuild the full-text index with its new column
                self.conn.executescript(f"BEGIN IMMEDIATE; DROP TABLE passage_index; {_FTS_TABLE}; COMMIT;")
                self.reindex(counts=False)  # counted when version 7 is reached
            if version < 3:
                with self.transaction():
                    self.conn.execute(_SYNONYMS_TABLE)
                    self._seed_synonyms(DEFAULT_SYNONYMS[:_SYNONYMS_UNTIL_SCHEMA_12])
            if version < 4:
                with self.transaction():
                    self.conn.execute(_LOGIN_FAILURES_TABLE)
                    if "web_users" in tables and "session_stamp" not in self.db["web_users"].columns_dict:
                        # sessions made before the upgrade end: they carry no stamp
                        self.conn.execute("ALTER TABLE web_users ADD COLUMN session_stamp TEXT NOT NULL DEFAULT ''")
                        self.conn.execute("UPDATE web_users SET session_stamp = lower(hex(randomblob(16)))")
                    # old log hashes stay as they are; without their salt nobody can recompute them
                    self.conn.execute("DELETE FROM meta WHERE key = 'user_hash_salt'")
            if version < 5:
                with self.transaction():
                    if "published_inferred" not in self.db["articles"].columns_dict:
                        self.conn.execute(_PUBLISHED_INFERRED_COLUMN)
                    # the next import of each file reads it again (its URL and inferred date), not "unchanged"
                    self.conn.execute("UPDATE articles SET content_hash = ''")
            if version < 6:
                with self.transaction():
                    if "retired" not in self.db["articles"].columns_dict:
                        self.conn.execute(_RETIRED_COLUMN)
            if version < 7:  # count once what every write keeps up to date from now on
                with self.transaction():
                    if "revision" not in self.db["articles"].columns_dict:
                        self.conn.execute(_REVISION_COLUMN)
                    self.conn.execute(_TERM_COUNTS_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
                    self.conn.execute(_TERM_COUNTS_STAMP)
                    self._rebuild_term_counts(self.version())
            if version < 8:
                with self.transaction():
                    self.conn.execute(_RETIRED_INDEX.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            if version < 12:  # 9, 11 and 12 tokenize again
                self.reindex()
            if version < 10:
                with self.transaction():
                    self.conn.execute(_URL_INDEX.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            if version < 13:
                with self.transaction():
                    if "origin" not in self.db["articles"].columns_dict:
                        self.conn.execute(_ORIGIN_COLUMN)
                    self.conn.execute("UPDATE articles SET content_hash = ''")  # the next import reads the byline
                    self._seed_synonyms(DEFAULT_SYNONYMS[_SYNONYMS_UNTIL_SCHEMA_12:_SYNONYMS_UNTIL_SCHEMA_13])
            if version < SCHEMA_VERSION:
                with self.transaction():
                    self.set_meta("schema_version", str(SCHEMA_VERSION))
            self._seed_new_default_synonyms()
            self._seed_new_default_abbreviations()
            return
        self.conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        with self.transaction():
            self.set_meta("schema_version", str(SCHEMA_VERSION))
            self.set_meta("kb_version", "1")
            self.set_meta(_PAGES_CHANGED, "1")
            for key, expansion in DEFAULT_ABBREVIATIONS.items():
                self.insert("abbreviations", {"key": key, "expansion": expansion})
            self.set_meta(_ABBREVIATIONS_GIVEN, str(len(DEFAULT_ABBREVIATIONS)))
            self._seed_synonyms(DEFAULT_SYNONYMS)
            self.set_meta(_SYNONYMS_GIVEN, str(len(DEFAULT_SYNONYMS)))

    def _seed_synonyms(self, groups: list[str]) -> None:
        for group in groups:
            self.insert("synonyms", {"phrases": group})

    def _seed_new_default_synonyms(self) -> None:
        """Give a database the default synonym groups added to the program since it was given its defaults.
        Only groups beyond those already given are added: a default that staff removed stays removed."""
        self._give_new_defaults(_SYNONYMS_GIVEN, _SYNONYMS_UNTIL_SCHEMA_13, DEFAULT_SYNONYMS, self._seed_synonyms)

    def _seed_new_default_abbreviations(self) -> None:
        """Give a database the default abbreviations added to the program since it was given its defaults,
        and tokenize every passage again with them. A key staff already use keeps their expansion, and a
        default that staff removed stays removed."""
        def add(abbreviations: list[tuple[str, str]]) -> None:
            self.conn.executemany("INSERT OR IGNORE INTO abbreviations(key, expansion) VALUES (?, ?)", abbreviations)
            self._abbreviations_changed()
        if self._give_new_defaults(_ABBREVIATIONS_GIVEN, _ABBREVIATIONS_UNTIL_SCHEMA_13,
                                   list(DEFAULT_ABBREVIATIONS.items()), add):
            self.reindex()

    def _give_new_defaults(self, given_key: str, given_before: int, defaults: list,
                           add: Callable[[list], None]) -> bool:
        """Add (``add``, inside one transaction) the defaults beyond the count the database was given (the meta
        row ``given_key``, or ``given_before`` for a database from before it was counted), and count them; True
        when any were added. Only those beyond the count: a default that staff removed stays removed."""
        if int(self.meta(given_key) or given_before) >= len(defaults):
            return False
        with self.transaction():
            given = int(self.meta(given_key) or given_before)
            if given >= len(defaults):
                return False  # another process gave them meanwhile
            add(defaults[given:])
            self.set_meta(given_key, str(len(defaults)))
        return True

    def insert(self, table: str, row: dict, replace: bool = False) -> int:
        """Insert one row inside the caller's transaction (sqlite-utils' insert commits on its own)."""
        columns = ", ".join(row)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = f"{verb} INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})"
        return self.conn.execute(sql, list(row.values())).lastrowid

    # ----- meta ----------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def version(self) -> int:
        return int(self.meta("kb_version") or 0)

    def _bump(self) -> None:
        self.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'kb_version'")

    def is_empty(self) -> bool:
        return self.db["articles"].count == 0 and self.db["faqs"].count == 0

    # ----- normalisation -------------------------------------------------------------
    def abbreviations_version(self) -> int:
        """Changes with every abbreviation edit, which changes how every text is tokenized."""
        return int(self.meta("abbreviations_version") or 0)

    def normalizer(self) -> Normalizer:
        version = self.abbreviations_version()
        if self._normalizer is None or version != self._normalizer_version:
            table = {row["key"]: row["expansion"] for row in self.db["abbreviations"].rows}
            self._normalizer = Normalizer(table, CONTEXTUAL_ABBREVIATIONS)
            self._normalizer_version = version
        return self._normalizer

    # ----- articles ------------------------------------------------------------------
    def article_origin(self, article_id: int) -> str | None:
        """Where an article was taken from, by its byline ("Báo Cần Thơ"), if it names one."""
        row = self.conn.execute("SELECT origin FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def find_article(self, source: str) -> dict | None:
        return self._article_where("source", source)

    def article_by_hash(self, content_hash: str) -> dict | None:
        return self._article_where("content_hash", content_hash)

    def _article_where(self, column: str, value: str) -> dict | None:
        """One article row (asked for by every imported file: plain SQL, not sqlite-utils)."""
        cursor = self.conn.execute(f"SELECT * FROM articles WHERE {column} = ? LIMIT 1", (value,))
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row)) if row else None

    def prepare(self, article: ParsedArticle) -> PreparedArticle:
        """The article tokenized with the current abbreviation table."""
        normalizer = self.normalizer()
        return prepare_article(article, normalizer, self._normalizer_version)

    def save_article(self, source: str, article: ParsedArticle, content_hash: str) -> str:
        """Insert or replace the article from ``source`` atomically; returns added|updated.
        A write that fails (disk full, read-only file) leaves the old version in place."""
        return self.save_prepared(source, self.prepare(article), content_hash)

    def save_prepared(self, source: str, prepared: PreparedArticle, content_hash: str) -> str:
        """:meth:`save_article` of an article already tokenized (tokenized again if the abbreviation
        table changed since)."""
        article = prepared.article
        published = article.published.isoformat() if article.published else None
        try:
            with self.transaction():
                normalizer = self.normalizer()  # the abbreviation table as of now, read once
                if prepared.abbreviations_version != self._normalizer_version:
                    prepared = prepare_article(article, normalizer, self._normalizer_version)
                contexts = {"body": (prepared.title_folded, prepared.title_exact), "footer": _footer_terms(normalizer)}
                # ids given, so that the passages and their full-text rows go in with one statement each
                old = self.find_article(source)
                if old:
                    self._delete_article_rows(old["id"])
                retired = old["retired"] if old else 0  # a new version of a retired file stays retired
                imported_at = now_iso()
                article_id = self.insert("articles", {
                    "source": source, "title": article.title, "published": published, "url": article.url,
                    "published_inferred": int(article.published_inferred), "origin": article.origin,
                    "format": article.format, "body": "\n\n".join(article.paragraphs),
                    "content_hash": content_hash, "imported_at": imported_at,
                    "title_folded": prepared.title_folded, "title_exact": prepared.title_exact,
                    "retired": retired, "revision": self.version() + 1})
                first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM passages").fetchone()[0]
                self.conn.executemany(
                    "INSERT INTO passages (id, article_id, position, text, role, folded, exact) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(first + position, article_id, position, *passage)
                     for position, passage in enumerate(prepared.passages)])
                self.conn.executemany(_INDEX_ROW, [
                    _index_row(first + position, folded, exact, contexts[role])
                    for position, (_text, role, folded, exact) in enumerate(prepared.passages)])
                self._pages_changed()
                if not retired:
                    self._change_counts(prepared.counts or document_counts(
                        ((role, folded, exact) for _text, role, folded, exact in prepared.passages), contexts))
                self._insert_contacts(article.contacts, article_id, article.title, published, imported_at)
                self._bump()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write to the database {self.path}: {exc}") from exc
        return "updated" if old else "added"

    def _insert_contacts(self, facts: Iterable[ContactFact], article_id: int | None,
                         title: str | None, published: str | None, updated_at: str) -> None:
        self.conn.executemany(
            "INSERT INTO contacts (unit, unit_key, field, value, article_id, source_title, source_date, pinned, "
            "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, NULL)",
            [(f.unit, unit_key(f.unit), f.field, f.value, article_id, title, published, updated_at) for f in facts])

    def _delete_article_rows(self, article_id: int) -> None:
        self._pages_changed()
        self._change_counts(self._article_counts(article_id), -1)
        ids = [r[0] for r in self.conn.execute("SELECT id FROM passages WHERE article_id = ?", (article_id,))]
        self.conn.executemany("DELETE FROM passage_index WHERE rowid = ?", [(i,) for i in ids])
        self.conn.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))
        self.conn.execute("DELETE FROM contacts WHERE article_id = ? AND pinned = 0", (article_id,))
        self.conn.execute("UPDATE contacts SET article_id = NULL WHERE article_id = ?", (article_id,))
        self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    def delete_article(self, article_id: int) -> bool:
        with self.transaction():
            exists = self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
            if exists:
                self._delete_article_rows(article_id)
                self._bump()
        return bool(exists)

    def edit_article(self, article_id: int, title: str, published: str | None, url: str | None) -> None:
        """New title, date (YYYY-MM-DD) and URL for an article, its title indexed again with its
        passages, the unpinned contacts drawn from it relabelled; inside the caller's transaction."""
        tokens = self.normalizer().tokenize(title)
        title_folded, title_exact = folded_text(tokens), exact_text(tokens)
        before = self._article_counts(article_id)
        self._pages_changed()
        self.conn.execute("UPDATE articles SET title = ?, published = ?, published_inferred = 0, url = ?, "
                          "title_folded = ?, title_exact = ?, revision = ? WHERE id = ?",
                          (title, published, url, title_folded, title_exact, self.version() + 1, article_id))
        self._change_counts(before, -1)
        self._change_counts(self._article_counts(article_id))
        body = self.conn.execute("SELECT id, folded, exact FROM passages WHERE article_id = ? AND role = 'body'",
                                 (article_id,)).fetchall()
        self.conn.executemany("DELETE FROM passage_index WHERE rowid = ?", [(row[0],) for row in body])
        self.conn.executemany(_INDEX_ROW, [_index_row(*row, (title_folded, title_exact)) for row in body])
        self.conn.execute("UPDATE contacts SET source_title = ?, source_date = ? WHERE article_id = ? AND pinned = 0",
                          (title, published, article_id))
        self._bump()

    def set_retired(self, article_id: int, retired: bool) -> None:
        """Retire an article (kept, but nothing is answered from it) or bring it back; inside the
        caller's transaction."""
        row = self.conn.execute("SELECT retired FROM articles WHERE id = ?", (article_id,)).fetchone()
        changed = row is not None and bool(row[0]) != retired  # its passages leave the counts, or come back
        if changed:
            self._pages_changed()
        if changed and retired:
            self._change_counts(self._article_counts(article_id), -1)
        self.conn.execute("UPDATE articles SET retired = ? WHERE id = ?", (int(retired), article_id))
        if changed and not retired:
            self._change_counts(self._article_counts(article_id))
        self._bump()

    def articles(self, search: str = "", limit: int = 200, offset: int = 0) -> list[dict]:
        where, args = "", []
        if search:
            where, args = "WHERE title LIKE ? OR body LIKE ?", [f"%{search}%", f"%{search}%"]
        sql = (f"SELECT id, source, title, published, url, format, imported_at, retired, "
               f"(SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id) AS passages "
               f"FROM articles a {where} ORDER BY published IS NULL, published DESC, id DESC LIMIT ? OFFSET ?")
        return [dict(r) for r in self.db.query(sql, [*args, limit, offset])]

    def article(self, article_id: int) -> dict | None:
        rows = list(self.db["articles"].rows_where("id = ?", [article_id]))
        if not rows:
            return None
        article = rows[0]
        article["passages"] = [r["text"] for r in self.db["passages"].rows_where(
            "article_id = ? AND role = 'body'", [article_id], order_by="position")]
        return article

    def article_revisions(self, article_ids: Iterable[int]) -> dict[int, int]:
        """The revision (the version of its last change) of each of these articles that exists; none
        on a database not upgraded yet."""
        ids = sorted(article_ids)
        found: dict[int, int] = {}
        try:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                found.update(self.conn.execute(
                    f"SELECT id, revision FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        except sqlite3.OperationalError:  # no revision column
            return {}
        return found

    # ----- passages ------------------------------------------------------------------
    def search_passages(self, fts_query: str, limit: int, fuller: str | None = None) -> list[int]:
        """The ids of the passages best matching an FTS5 query, at most ``limit``; when it finds fewer,
        those of the ``fuller`` query instead, if one is given."""
        sql = (f"SELECT rowid FROM passage_index WHERE passage_index MATCH ? AND {_LIVE_PASSAGE} "
               "ORDER BY bm25(passage_index) LIMIT ?")  # every field counts: body, title, accented words

        def run() -> list[int]:
            found = [r[0] for r in self.conn.execute(sql, (fts_query, limit))]
            if fuller is None or len(found) >= limit:
                return found
            return [r[0] for r in self.conn.execute(sql, (fuller, limit))]
        return self._searches.get((sql, fts_query, fuller, limit), run)

    def search_cascade(self, terms: list[tuple[str, int]], limit: int, enough: int) -> list[int]:
        """The ids of at most ``limit`` passages found by the queries of :func:`fulltext.cascade` over ``terms``
        (FTS5 terms with the passages holding them, rarest first): the precise queries first, the broader ones
        only while fewer than ``enough`` passages were found."""
        ids: list[int] = []
        for search in cascade(terms, common_terms(terms, self.index_rows()), limit) if terms else []:
            ids += [i for i in self.search_passages(search.text, limit, search.fuller) if i not in ids]
            if len(ids) >= enough:
                break
        return ids[:limit]

    def index_rows(self) -> int:
        """Rows of the passage index (retired articles' passages included), as FTS5's bm25 counts them."""
        return self._index_rows.get("rows", lambda: self.conn.execute(
            "SELECT count(*) FROM passage_index_docsize").fetchone()[0])

    def phrase_count(self, words: list[str], cap: int = 20) -> int:
        """How many passages (up to ``cap``) hold these folded words side by side: a document count of the
        knowledge base, like the terms' (``term_counts``), kept while its version stays."""
        phrase = '"' + " ".join(w.replace('"', "") for w in words) + '"'
        sql = (f"SELECT count(*) FROM (SELECT rowid FROM passage_index WHERE passage_index MATCH ? "
               f"AND {_LIVE_PASSAGE} LIMIT ?)")
        return self._phrase_counts.get((phrase, cap), lambda: self.conn.execute(
            sql, ("folded : " + phrase, cap)).fetchone()[0])

    def passages(self, ids: list[int]) -> list[Passage]:
        """Passages with their article; a footer line carries the website as its context."""
        if not ids:
            return []
        kept = self._passage_rows.entries()
        if kept is None:
            read = self._read_passages(ids)
            return [read[i] for i in ids if i in read]
        found = {i: kept[i] for i in ids if i in kept}  # None: not live
        for i in found:
            kept.move_to_end(i)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            read = self._read_passages(missing)
            for i in missing:
                found[i] = read.get(i)
                self._passage_rows.keep(i, found[i])
        return [found[i] for i in ids if found[i] is not None]

    def _read_passages(self, ids: list[int]) -> dict[int, Passage]:
        marks = ",".join("?" * len(ids))
        sql = (f"SELECT p.id, p.article_id, p.text, p.folded, p.exact, a.title, a.title_folded, "
               f"a.title_exact, a.published, a.source, a.url, p.role FROM passages p "
               f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({marks}) AND a.retired = 0")
        context = _footer_terms(self.normalizer())
        by_id = {}
        for row in self.conn.execute(sql, ids):
            if row[-1] == "footer":
                row = (*row[:6], *context, *row[8:])
            by_id[row[0]] = Passage(*row)
        return by_id

    def article_passages(self, article_ids: list[int]) -> dict[int, list[tuple[int, str, str, str]]]:
        """Body passages of each article in order: (passage id, text, folded, exact)."""
        found: dict[int, list[tuple[int, str, str, str]]] = {i: [] for i in article_ids}
        if article_ids:
            marks = ",".join("?" * len(article_ids))
            for article_id, *row in self.conn.execute(
                    f"SELECT article_id, id, text, folded, exact FROM passages WHERE article_id IN ({marks}) "
                    f"AND role = 'body' ORDER BY article_id, position", article_ids):
                found[article_id].append(tuple(row))
        return found

    def term_counts(self) -> tuple[int, dict[str, int], dict[str, int]]:
        """What :meth:`term_document_counts` returns, read from the ``term_counts`` table that every
        write keeps up to date: in full the first time, then only the terms changed since the version
        last read, so that a staff edit costs the answering side what it changed, not the whole base.
        The dictionaries returned are never changed afterwards (new ones when something changed)."""
        if not self._term_counts_table() or self.conn.in_transaction:
            # a database not upgraded yet (opened read-only), or a write under way whose changes to the
            # counts are written when it ends: counted as they are now, not kept
            return self.term_document_counts()
        self.conn.execute("BEGIN")  # every number as of one version
        try:
            version = self.version()
            known = self._counts
            if known is not None and known.version == version:
                return known.passages, known.folded, known.exact
            since = int(self.meta(_COUNTS_SINCE) or 0)
            passages = int(self.meta(_LIVE_PASSAGES) or 0)
            if known is None or known.version < since:
                folded, exact = {}, {}
                rows = self.conn.execute("SELECT kind, term, n FROM term_counts WHERE n > 0").fetchall()
            else:
                folded, exact = known.folded, known.exact
                rows = self.conn.execute("SELECT kind, term, n FROM term_counts WHERE stamp > ?",
                                         (known.version,)).fetchall()
                if rows:
                    folded, exact = dict(folded), dict(exact)
            for kind, term, n in rows:
                terms = exact if kind else folded
                if n > 0:
                    terms[term] = n
                else:
                    terms.pop(term, None)
        finally:
            self.conn.execute("COMMIT")
        self._counts = _KnownCounts(version, passages, folded, exact)
        return passages, folded, exact

    def pages_unchanged_since(self, version: int) -> bool:
        """Whether no article, passage, title or retirement has changed after ``version`` (what an
        answering process built from them at that version still holds)."""
        changed = self.meta(_PAGES_CHANGED)
        return changed is not None and int(changed) <= version

    def _pages_changed(self) -> None:
        """Articles or passages change in this transaction: noted above the version it began at, once (no
        reader sees the versions in between: a batch of imported articles notes it with its first)."""
        if self._pending_counts is not None and self._pages_noted:
            return
        self.set_meta(_PAGES_CHANGED, str(self.version() + 1))
        self._pages_noted = self._pending_counts is not None

    def _term_counts_table(self) -> bool:
        if not self._has_counts_table:
            self._has_counts_table = bool(self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'term_counts'").fetchone())
        return self._has_counts_table

    def _article_counts(self, article_id: int) -> DocumentCounts | None:
        """The document counts of an article's passages; None when it is retired (or gone)."""
        row = self.conn.execute("SELECT title_folded, title_exact, retired FROM articles WHERE id = ?",
                                (article_id,)).fetchone()
        if not row or row[2]:
            return None
        rows = self.conn.execute("SELECT role, folded, exact FROM passages WHERE article_id = ?", (article_id,))
        return document_counts(
            (("body" if role == "body" else "footer", folded, exact) for role, folded, exact in rows),
            {"body": (row[0], row[1]), "footer": _footer_terms(self.normalizer())})

    def _change_counts(self, counts: DocumentCounts | TermBag | None, sign: int = 1) -> None:
        """Add (or with ``sign`` -1 take away) passages' counts: written to ``term_counts`` when the
        transaction under way commits (all its articles in one go), or at once outside one."""
        if counts is None:
            return
        if self._pending_counts is None:  # not in a transaction of this object's: written now
            delta = DocumentCounts()
            delta.add(counts, sign)
            self._write_counts(delta, self.version() + 1)
            return
        if self._pending_floor is None:
            self._pending_floor = self.version()
        self._pending_counts.add(counts, sign)

    def _flush_counts(self) -> None:
        """Write the transaction's changes to the counts, stamped with the version it ends at (at
        least one above the version it began with: readers fetch the rows stamped above theirs)."""
        pending, floor = self._pending_counts, self._pending_floor
        self._pending_counts = self._pending_floor = None
        if pending is not None and floor is not None:
            self._write_counts(pending, max(self.version(), floor + 1))

    def _write_counts(self, delta: DocumentCounts, stamp: int) -> None:
        rows = [(kind, term, n, stamp) for kind, terms in ((0, delta.folded), (1, delta.exact))
                for term, n in terms.items() if n]
        self.conn.executemany("INSERT INTO term_counts (kind, term, n, stamp) VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (kind, term) DO UPDATE SET n = n + excluded.n, stamp = excluded.stamp",
                              rows)
        if delta.passages:
            self.conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) "
                              "DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
                              (_LIVE_PASSAGES, delta.passages))

    def _rebuild_term_counts(self, stamp: int) -> None:
        """Count every passage again into ``term_counts``; readers that knew an older version read
        the counts in full."""
        if self._pending_counts is not None:  # what the transaction changed so far is counted here
            self._pending_counts, self._pending_floor = DocumentCounts(), None
        passages, folded, exact = self.term_document_counts()
        self.conn.execute("DELETE FROM term_counts")
        self.conn.executemany("INSERT INTO term_counts (kind, term, n, stamp) VALUES (?, ?, ?, ?)",
                              [(kind, term, n, stamp) for kind, terms in ((0, folded), (1, exact))
                               for term, n in terms.items()])
        self.set_meta(_LIVE_PASSAGES, str(passages))
        self.set_meta(_COUNTS_SINCE, str(stamp))
        self.set_meta(_PAGES_CHANGED, str(stamp))

    def term_document_counts(self) -> tuple[int, dict[str, int], dict[str, int]]:
        """Passage count and, for each folded and exact term, how many passages hold it, counted
        over every passage (:meth:`term_counts` reads what the writes keep of it)."""
        folded: dict[str, int] = {}
        exact: dict[str, int] = {}
        count = 0
        for f_text, e_text, t_folded, t_exact in self.conn.execute(
                "SELECT p.folded, p.exact, CASE p.role WHEN 'body' THEN a.title_folded ELSE ? END, "
                "CASE p.role WHEN 'body' THEN a.title_exact ELSE ? END "
                "FROM passages p JOIN articles a ON a.id = p.article_id WHERE a.retired = 0",
                _footer_terms(self.normalizer())):
            count += 1
            for term in set(f_text.split()) | set(t_folded.split()):
                folded[term] = folded.get(term, 0) + 1
            for term in set(e_text.split()) | set(t_exact.split()):
                exact[term] = exact.get(term, 0) + 1
        return count, folded, exact

    # ----- contacts ------------------------------------------------------------------
    def contact_units(self) -> dict[str, str]:
        """unit key → a display name for every unit with contacts."""
        units: dict[str, str] = {}
        for key, unit in self.conn.execute(f"SELECT unit_key, unit FROM contacts WHERE {_LIVE_CONTACT} ORDER BY id"):
            units.setdefault(key, DEPARTMENT if key == "department" else unit)
        return units

    def version_contact_units(self) -> dict[str, str]:
        """:meth:`contact_units` as of the knowledge-base version (every change to the contacts bumps
        it), read once for the answer engines of a process; not to be changed by the caller."""
        if self.conn.in_transaction:  # a write under way: as it is now, not kept
            return self.contact_units()
        version = self.version()
        if self._units is None or self._units[0] != version:
            self._units = (version, self.contact_units())
        return self._units[1]

    def resolve_contacts(self, key: str = "department") -> dict[str, ContactValue]:
        """For each field, the pinned value, else the one from the newest dated source; a number in the numbering
        from before 2017 only when no source gives one in today's (``contacts.in_old_numbering``)."""
        resolved: dict[str, ContactValue] = {}
        for name in FIELDS:  # undated sources sort last: NULL is below every date
            query = ("SELECT unit, value, source_title, source_date, pinned FROM contacts WHERE unit_key = ? AND "
                     f"field = ? AND {_LIVE_CONTACT} ORDER BY pinned DESC, source_date DESC, id DESC")
            row = self.conn.execute(query + " LIMIT 1", (key, name)).fetchone()
            if row and not row[4] and name in NUMBER_FIELDS and in_old_numbering(row[1]):  # rare: read on, lazily
                row = next((r for r in self.conn.execute(query, (key, name)) if not in_old_numbering(r[1])), row)
            if row:
                unit, value, title, date, pinned = row
                resolved[name] = ContactValue(DEPARTMENT if key == "department" else unit, name, value,
                                              title, date, bool(pinned))
        return resolved

    def all_contacts(self) -> list[dict]:
        return [dict(r) for r in self.db.query(
            "SELECT id, unit, unit_key, field, value, source_title, source_date, pinned FROM contacts "
            "ORDER BY unit_key != 'department', unit_key, field, pinned DESC, source_date IS NULL, "
            "source_date DESC")]

    def set_contact(self, unit: str, field: str, value: str, pinned: bool, user: str | None) -> None:
        if field not in FIELDS:
            raise ValueError(f"unknown contact field {field!r}; one of {', '.join(FIELDS)}")
        with self.transaction():
            key = unit_key(unit)
            if pinned:
                self.conn.execute("UPDATE contacts SET pinned = 0 WHERE unit_key = ? AND field = ?", (key, field))
            self.insert("contacts", {
                "unit": DEPARTMENT if key == "department" else unit, "unit_key": key, "field": field,
                "value": value, "article_id": None, "source_title": None,
                "source_date": dt.date.today().isoformat(), "pinned": int(pinned),
                "updated_at": now_iso(), "updated_by": user})
            self._bump()

    # ----- FAQs ----------------------------------------------------------------------
    def faqs(self) -> list[Faq]:
        return [Faq(r["id"], r["question"], json.loads(r["alternates"] or "[]"), r["answer"], r["updated_at"])
                for r in self.db["faqs"].rows_where(order_by="id")]

    def add_faq(self, question: str, alternates: list[str], answer: str) -> int:
        with self.transaction():
            faq_id = self.insert("faqs", {
                "question": question, "alternates": json.dumps(alternates, ensure_ascii=False),
                "answer": answer, "created_at": now_iso(), "updated_at": now_iso()})
            self._bump()
        return faq_id

    def update_faq(self, faq_id: int, question: str, alternates: list[str], answer: str) -> bool:
        with self.transaction():
            changed = self.conn.execute(
                "UPDATE faqs SET question = ?, alternates = ?, answer = ?, updated_at = ? WHERE id = ?",
                (question, json.dumps(alternates, ensure_ascii=False), answer, now_iso(), faq_id)).rowcount
            self._bump()
        return bool(changed)

    def remove_faq(self, faq_id: int) -> bool:
        with self.transaction():
            removed = self.conn.execute("DELETE FROM faqs WHERE id = ?", (faq_id,)).rowcount
            self._bump()
        return bool(removed)

    # ----- abbreviations -------------------------------------------------------------
    def abbreviations(self) -> dict[str, str]:
        return {r["key"]: r["expansion"] for r in self.db["abbreviations"].rows_where(order_by="key")}

    def set_abbreviation(self, key: str, expansion: str | None) -> None:
        """Add, change or (expansion None) remove an abbreviation, and re-index the passages."""
        with self.transaction():
            if expansion is None:
                self.conn.execute("DELETE FROM abbreviations WHERE key = ?", (key.casefold(),))
            else:
                self.insert("abbreviations", {"key": key.casefold(), "expansion": expansion}, replace=True)
            self._abbreviations_changed()
        self.reindex()

    def _abbreviations_changed(self) -> None:
        """Inside the caller's transaction: every text is tokenized with another table from now on."""
        self.conn.execute("INSERT INTO meta(key, value) VALUES ('abbreviations_version', 1) ON CONFLICT(key) "
                          "DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        self._bump()

    # ----- synonyms ------------------------------------------------------------------
    def synonyms(self) -> list[tuple[int, list[str]]]:
        """Synonym groups: (id, phrases)."""
        return [(row[0], row[1].split("|")) for row in self.conn.execute("SELECT id, phrases FROM synonyms ORDER BY id")]

    def add_synonyms(self, phrases: list[str]) -> int:
        with self.transaction():
            group_id = self.insert("synonyms", {"phrases": "|".join(phrases)})
            self._bump()
        return group_id

    def remove_synonyms(self, group_id: int) -> bool:
        with self.transaction():
            removed = self.conn.execute("DELETE FROM synonyms WHERE id = ?", (group_id,)).rowcount
            self._bump()
        return bool(removed)

    def _index_passage(self, passage_id: int, tokens: list, context: list) -> None:
        self.conn.execute(_INDEX_ROW, _index_row(passage_id, folded_text(tokens), exact_text(tokens),
                                                 (folded_text(context), exact_text(context))))

    def reindex(self, counts: bool = True) -> None:
        """Tokenize every title and passage again (after the abbreviation table changed), and count
        them again (``counts`` False: upgrading a database from before ``term_counts``)."""
        normalizer = self.normalizer()
        footer_context = _footer_tokens(normalizer)
        with self.transaction():
            self.conn.execute("DELETE FROM passage_index")
            titles = {}
            for article_id, title in self.conn.execute("SELECT id, title FROM articles").fetchall():
                titles[article_id] = normalizer.tokenize(title)
                self.conn.execute("UPDATE articles SET title_folded = ?, title_exact = ? WHERE id = ?",
                                  (folded_text(titles[article_id]), exact_text(titles[article_id]), article_id))
            for passage_id, article_id, text, role in self.conn.execute(
                    "SELECT id, article_id, text, role FROM passages").fetchall():
                tokens = normalizer.tokenize(text)
                self.conn.execute("UPDATE passages SET folded = ?, exact = ? WHERE id = ?",
                                  (folded_text(tokens), exact_text(tokens), passage_id))
                self._index_passage(passage_id, tokens, titles[article_id] if role == "body" else footer_context)
            if counts:
                stamp = self.version() + 1  # the version this ends at: every article and count changed
                self.conn.execute("UPDATE articles SET revision = ?", (stamp,))
                self._rebuild_term_counts(stamp)
            self._bump()

    # ----- query log -----------------------------------------------------------------
    def hash_user(self, user_id: str) -> str:
        """HMAC-SHA256 of a user id under a key kept out of the database, so that a copy of the
        file cannot be reversed by hashing every small Telegram or Zalo id."""
        return hmac.new(self._hash_key, user_id.encode(), hashlib.sha256).hexdigest()[:24]

    def log_query(self, **row) -> int:
        row.setdefault("ts", now_iso())
        with self.transaction():
            return self.insert("query_log", row)

    # ----- statistics ----------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return {name: self.db[name].count for name in
                ("articles", "passages", "faqs", "contacts", "abbreviations", "query_log")}

    def iter_rows(self, sql: str, args: Iterable = ()) -> Iterator[dict]:
        yield from self.db.query(sql, list(args))


def transaction(conn: sqlite3.Connection):
    """Context manager on any connection: BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error."""
    return _Transaction(conn)


def connect(path: str) -> sqlite3.Connection:
    """A connection to the database at ``path`` as every writer of it uses one: autocommit (transactions
    are explicit), WAL, foreign keys on, waiting up to 10 s for another writer's lock."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _hash_key_file(db_path: str) -> bytes:
    """The user-hash key in ``<database>.key`` (owner-only), made on first use; an in-memory
    database gets a key of its own."""
    if db_path == ":memory:":
        return secrets.token_bytes(32)
    path = Path(db_path + ".key")
    try:
        if not path.exists():
            temp = path.with_name(f"{path.name}.{secrets.token_hex(6)}.tmp")
            with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_hex(32) + "\n")
            try:
                os.link(temp, path)  # atomic: when two processes start at once, the first key wins
            except FileExistsError:
                pass
            finally:
                temp.unlink()
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot use the user-hash key file {path}: {exc}") from exc
    if len(key) < 32:
        raise StoreError(f"the user-hash key file {path} is damaged (under 32 characters)")
    return key.encode()


def strip_secrets(copy: sqlite3.Connection) -> None:
    """Remove the secrets from a backup copy, overwritten rather than only unlinked: the key that
    signs web sessions and the Zalo OA tokens (a restored bot makes a new key; the OA tokens come
    again from the environment, or from re-authorising the OA), the channels' inbox of messages
    waiting for their answer (kept in a file of its own now, never in a backup; a database an older
    version wrote may still hold it) and the hand-overs waiting for a citizen's next message (a citizen's words, kept
    seconds or minutes by the running bot)."""
    copy.execute("PRAGMA secure_delete = ON")
    copy.execute("DELETE FROM meta WHERE key = ?", (SESSION_SECRET_META,))
    for table in ("zalo_oa_tokens", "inbox", "inbox_seen", "handover_pending"):  # created when they are first used
        if copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
            copy.execute(f"DELETE FROM {table}")


class _Transaction:
    def __init__(self, conn: sqlite3.Connection, kb: KnowledgeBase | None = None):
        self.conn = conn
        self.kb = kb
        self.outer = False

    def __enter__(self):
        self.outer = not self.conn.in_transaction
        if self.outer:
            self.conn.execute("BEGIN IMMEDIATE")
            if self.kb is not None:  # changes to the document counts are gathered, written at the end
                self.kb._pending_counts, self.kb._pending_floor = DocumentCounts(), None
                self.kb._pages_noted = False
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if self.outer and self.kb is not None:
            if exc_type:
                self.kb._pending_counts = self.kb._pending_floor = None
            else:
                try:  # the document counts the transaction changed, in it
                    self.kb._flush_counts()
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
        if self.outer and (self.conn.in_transaction or not exc_type):  # "disk full": SQLite already rolled back
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


@dataclass(frozen=True, slots=True)
class _KnownCounts:
    """The document counts as a reader last read them, at a knowledge-base version."""
    version: int
    passages: int
    folded: dict[str, int]
    exact: dict[str, int]


_INDEX_ROW = "INSERT INTO passage_index(rowid, folded, title, exact) VALUES (?, ?, ?, ?)"
_FTS_TABLE = ("CREATE VIRTUAL TABLE passage_index USING fts5(folded, title, exact, "
              "tokenize = 'unicode61 remove_diacritics 0')")
_SYNONYMS_TABLE = "CREATE TABLE synonyms (id INTEGER PRIMARY KEY, phrases TEXT NOT NULL)"
_LOGIN_FAILURES_TABLE = ("CREATE TABLE IF NOT EXISTS login_failures (account TEXT NOT NULL, client TEXT NOT NULL, "
                         "failures INTEGER NOT NULL, last_failure REAL NOT NULL, PRIMARY KEY (account, client))")
_PUBLISHED_INFERRED_COLUMN = "ALTER TABLE articles ADD COLUMN published_inferred INTEGER NOT NULL DEFAULT 0"
_ORIGIN_COLUMN = "ALTER TABLE articles ADD COLUMN origin TEXT"
_SYNONYMS_UNTIL_SCHEMA_12 = 20  # the default synonym groups a database was given up to schema 12
_SYNONYMS_UNTIL_SCHEMA_13 = 30  # … and up to schema 13; later defaults are counted in the meta table
_SYNONYMS_GIVEN = "default_synonyms_given"  # how many of DEFAULT_SYNONYMS the database has been given
_ABBREVIATIONS_UNTIL_SCHEMA_13 = 75  # the default abbreviations a database was given before they were counted
_ABBREVIATIONS_GIVEN = "default_abbreviations_given"  # how many of DEFAULT_ABBREVIATIONS it has been given
# a retired article is kept (and listed for staff) but no answer, candidate or contact comes from it
_RETIRED_COLUMN = "ALTER TABLE articles ADD COLUMN retired INTEGER NOT NULL DEFAULT 0"
_RETIRED_INDEX = "CREATE INDEX articles_retired ON articles(id) WHERE retired = 1"
_URL_INDEX = "CREATE INDEX articles_url ON articles(url)"
# the knowledge-base version at which the article last changed (written, re-imported, edited, re-tokenized):
# an answering process keeps what it built from an article while its revision is not above the version it read
_REVISION_COLUMN = "ALTER TABLE articles ADD COLUMN revision INTEGER NOT NULL DEFAULT 0"
# For each folded (kind 0) and exact (kind 1) term, how many live passages hold it (with their context's
# words), kept by every write; ``stamp`` is the version of its last change, so that a reader fetches only
# the terms changed since the version it knows. Rows at 0 stay until the next full count.
_TERM_COUNTS_TABLE = ("CREATE TABLE term_counts (kind INTEGER NOT NULL, term TEXT NOT NULL, n INTEGER NOT NULL, "
                      "stamp INTEGER NOT NULL, PRIMARY KEY (kind, term)) WITHOUT ROWID")
_TERM_COUNTS_STAMP = "CREATE INDEX IF NOT EXISTS term_counts_stamp ON term_counts(stamp)"
_LIVE_PASSAGES = "live_passages"  # meta: the passages of articles not retired
_COUNTS_SINCE = "term_counts_since"  # meta: a reader that knows an older version reads the counts in full
_PAGES_CHANGED = "pages_changed"  # meta: the version of the last change to articles, passages or retirements
_LIVE_PASSAGE = ("rowid NOT IN (SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_id "
                 "WHERE a.retired = 1)")  # an index row of a passage whose article is not retired
_LIVE_CONTACT = ("(pinned = 1 OR article_id IS NULL "  # a pinned value is the staff's, not the article's
                 "OR article_id NOT IN (SELECT id FROM articles WHERE retired = 1))")
_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, title TEXT NOT NULL, published TEXT,
    url TEXT, format TEXT, body TEXT NOT NULL, content_hash TEXT NOT NULL, imported_at TEXT NOT NULL,
    title_folded TEXT NOT NULL, title_exact TEXT NOT NULL, published_inferred INTEGER NOT NULL DEFAULT 0,
    retired INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 0, origin TEXT);
CREATE INDEX articles_hash ON articles(content_hash);
{_RETIRED_INDEX};
{_URL_INDEX};
CREATE TABLE passages (
    id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id), position INTEGER NOT NULL,
    text TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'body', folded TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX passages_article ON passages(article_id);
{_FTS_TABLE};
{_TERM_COUNTS_TABLE};
{_TERM_COUNTS_STAMP};
CREATE TABLE faqs (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, alternates TEXT NOT NULL DEFAULT '[]',
    answer TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY, unit TEXT NOT NULL, unit_key TEXT NOT NULL, field TEXT NOT NULL,
    value TEXT NOT NULL, article_id INTEGER, source_title TEXT, source_date TEXT,
    pinned INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, updated_by TEXT);
CREATE INDEX contacts_unit ON contacts(unit_key, field, pinned, source_date, id);
CREATE TABLE abbreviations (key TEXT PRIMARY KEY, expansion TEXT NOT NULL);
{_SYNONYMS_TABLE};
{_LOGIN_FAILURES_TABLE};
CREATE TABLE query_log (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, channel TEXT NOT NULL, user_hash TEXT, question TEXT NOT NULL,
    normalized TEXT, kind TEXT NOT NULL, answered INTEGER NOT NULL, score REAL, source TEXT,
    faq_id INTEGER, response_ms REAL, feedback INTEGER, resolution TEXT);
CREATE INDEX query_log_ts ON query_log(ts);
"""
