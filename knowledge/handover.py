"""Questions handed over to staff ("chuyển cho cán bộ"): the ``handover_requests`` table and every
change of a request's state.

A request keeps the channel address its answer goes back to (a Telegram chat id, a Zalo user id, a
web chat session) and the question as the citizen typed it (a phone number to call back, say) only
until the answer is delivered or staff close the request: then the address is erased and the
question masked like the query log. The citizen is kept as the query log's keyed hash, so that
``logs forget`` removes their requests too.

States: ``open`` (waiting for staff) → ``pending`` (answered, to be delivered, retried with a
growing pause) → ``delivered``, or ``failed`` (refused, or attempts exhausted; staff may send again),
or ``window_closed`` (Zalo OA: the reply window after the citizen's last message has closed; sent
again as soon as the citizen writes). Staff may ``close`` any request not yet delivered.

The ``handover_pending`` table holds what a conversation's next message depends on — the question
the bot has just refused, or that it asked the citizen to type their question — so that a restart
loses nothing. A conversation is kept there only as the keyed hash of its channel and chat, a state
for at most ``remember_seconds`` (expired ones are deleted as new ones are written), and each with
the citizen's hash for ``logs forget``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from . import audit
from .privacy import mask_personal_data
from .store import KnowledgeBase

WAITING = ("open", "pending", "failed", "window_closed")  # not delivered, not closed
_SCHEMA = """
CREATE TABLE IF NOT EXISTS handover_requests (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, channel TEXT NOT NULL, route TEXT NOT NULL,
    address TEXT, user_hash TEXT NOT NULL, question TEXT NOT NULL, last_message_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open', answer TEXT, answered_by TEXT, answered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, last_error TEXT, delivered_at TEXT);
CREATE INDEX IF NOT EXISTS handover_requests_user ON handover_requests(user_hash);
CREATE INDEX IF NOT EXISTS handover_requests_state ON handover_requests(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS handover_pending (
    conversation TEXT PRIMARY KEY, user_hash TEXT NOT NULL, at TEXT NOT NULL,
    refused TEXT NOT NULL DEFAULT '', awaiting INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS handover_pending_at ON handover_pending(at);
"""


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    created_at: str
    channel: str  # the query log's channel: web, telegram, zalo
    route: str  # the adapter that brings the answer back: web, telegram, zalo_oa, zalo_bot
    address: str | None  # None once delivered or closed
    user_hash: str
    question: str
    last_message_at: str  # the citizen's last message (Zalo OA's reply window runs from it)
    state: str
    answer: str | None
    answered_by: str | None
    answered_at: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    delivered_at: str | None


_COLUMNS = ", ".join(f.name for f in fields(Request))


@dataclass(frozen=True, slots=True)
class Pending:
    """What a conversation's next message depends on."""
    at: str  # when it was written, as :func:`iso`
    refused: str = ""  # the question the bot could not answer
    awaiting: bool = False  # the citizen was asked to type their question


def iso(moment: dt.datetime | None = None) -> str:
    """A moment as the table stores it: UTC, whole seconds, ISO 8601 (so text order is time order)."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def ensure_table(kb: KnowledgeBase) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            kb.conn.execute(statement)


def _select(kb: KnowledgeBase, where: str, args: list, tail: str = "") -> list[Request]:
    rows = kb.conn.execute(f"SELECT {_COLUMNS} FROM handover_requests WHERE {where} {tail}", args).fetchall()
    return [Request(*row) for row in rows]


def _update(kb: KnowledgeBase, request_id: int, assignments: str, args: list, states: tuple[str, ...]) -> bool:
    marks = ",".join("?" * len(states))
    return bool(kb.conn.execute(f"UPDATE handover_requests SET {assignments} WHERE id = ? AND state IN ({marks})",
                                [*args, request_id, *states]).rowcount)


_ERASE = "address = NULL, question = ?"  # once the address is no longer needed


# ----- the citizen's side ----------------------------------------------------------------
def open_request(kb: KnowledgeBase, channel: str, route: str, address: str, user_hash: str, question: str,
                 now: dt.datetime | None = None) -> int:
    with kb.transaction():
        return kb.insert("handover_requests", {
            "created_at": iso(now), "channel": channel, "route": route, "address": address,
            "user_hash": user_hash, "question": question, "last_message_at": iso(now)})


def open_count(kb: KnowledgeBase, user_hash: str) -> int:
    """The citizen's requests not answered yet."""
    return kb.conn.execute("SELECT COUNT(*) FROM handover_requests WHERE user_hash = ? AND state = 'open'",
                           (user_hash,)).fetchone()[0]


def citizen_wrote(kb: KnowledgeBase, user_hash: str, now: dt.datetime | None = None) -> None:
    """The citizen sent a message: their reply windows start again, and an answer the window
    had held back is sent again."""
    if not kb.conn.execute("SELECT 1 FROM handover_requests WHERE user_hash = ? AND address IS NOT NULL LIMIT 1",
                           (user_hash,)).fetchone():
        return
    with kb.transaction():
        kb.conn.execute("UPDATE handover_requests SET last_message_at = ? WHERE user_hash = ? AND address IS NOT NULL",
                        (iso(now), user_hash))
        kb.conn.execute("UPDATE handover_requests SET state = 'pending', attempts = 0, next_attempt_at = ? "
                        "WHERE user_hash = ? AND state = 'window_closed'", (iso(now), user_hash))


def take_answers(kb: KnowledgeBase, route: str, address: str, now: dt.datetime | None = None) -> list[Request]:
    """The answers waiting for one address of a channel the citizen fetches them from (the web
    chat), marked delivered (address erased) in the same transaction. A page asks every few seconds:
    with nothing waiting, as is usual, no write lock is taken."""
    waiting, args = "route = ? AND address = ? AND state = 'pending'", [route, address]
    if not _select(kb, waiting, args, "LIMIT 1"):
        return []
    with kb.transaction():
        found = _select(kb, waiting, args, "ORDER BY id")
        for request in found:
            delivered(kb, request, now)
    return found


def remember(kb: KnowledgeBase, conversation: str, user_hash: str, pending: Pending, expired_before: str) -> None:
    """Keep (or replace) the conversation's pending state, and drop every state written before
    ``expired_before``."""
    with kb.transaction():
        kb.conn.execute("DELETE FROM handover_pending WHERE at < ?", (expired_before,))
        kb.insert("handover_pending", {"conversation": conversation, "user_hash": user_hash, "at": pending.at,
                                       "refused": pending.refused, "awaiting": int(pending.awaiting)}, replace=True)


def read_pending(kb: KnowledgeBase, conversation: str) -> Pending | None:
    """The conversation's pending state, however old (:func:`remember` drops the expired ones)."""
    row = kb.conn.execute("SELECT at, refused, awaiting FROM handover_pending WHERE conversation = ?",
                          (conversation,)).fetchone()
    return None if row is None else Pending(row[0], row[1], bool(row[2]))


def drop_pending(kb: KnowledgeBase, conversation: str) -> None:
    """Forget the conversation's pending state: a message is answered once."""
    with kb.transaction():
        kb.conn.execute("DELETE FROM handover_pending WHERE conversation = ?", (conversation,))


# ----- staff's side ----------------------------------------------------------------------
def listing(kb: KnowledgeBase, waiting_only: bool = True, limit: int = 200) -> list[Request]:
    """Newest first; by default only those not delivered or closed."""
    where, args = (f"state IN ({','.join('?' * len(WAITING))})", list(WAITING)) if waiting_only else ("1", [])
    return _select(kb, where, [*args, limit], "ORDER BY id DESC LIMIT ?")


def get(kb: KnowledgeBase, request_id: int) -> Request | None:
    found = _select(kb, "id = ?", [request_id])
    return found[0] if found else None


def answer(kb: KnowledgeBase, request_id: int, text: str, actor: str, now: dt.datetime | None = None) -> bool:
    """Staff's answer to an open request, queued for delivery at once."""
    with kb.transaction():
        done = _update(kb, request_id, "state = 'pending', answer = ?, answered_by = ?, answered_at = ?, "
                       "next_attempt_at = ?", [text, actor, iso(now), iso(now)], ("open",))
        if done:
            audit.record(kb, actor, "handover.answer", str(request_id))
    return done


def send_again(kb: KnowledgeBase, request_id: int, actor: str, now: dt.datetime | None = None) -> bool:
    """Staff ask for another round of delivery attempts of a failed answer."""
    with kb.transaction():
        done = _update(kb, request_id, "state = 'pending', attempts = 0, next_attempt_at = ?", [iso(now)],
                       ("failed", "window_closed"))
        if done:
            audit.record(kb, actor, "handover.retry", str(request_id))
    return done


def close(kb: KnowledgeBase, request_id: int, actor: str) -> bool:
    """Staff are done with a request not delivered (dealt with by phone, or spam): address erased."""
    request = get(kb, request_id)
    if request is None:
        return False
    with kb.transaction():
        done = _update(kb, request_id, f"state = 'closed', {_ERASE}", [mask_personal_data(request.question)], WAITING)
        if done:
            audit.record(kb, actor, "handover.close", str(request_id))
    return done


def recent_messages(kb: KnowledgeBase, request: Request, limit: int = 5) -> list[dict]:
    """The citizen's last questions in the query log up to the request, oldest first."""
    rows = kb.conn.execute("SELECT ts, question, answered FROM query_log WHERE user_hash = ? AND ts <= ? "
                           "ORDER BY ts DESC, id DESC LIMIT ?", (request.user_hash, request.created_at, limit))
    return [{"ts": ts, "question": question, "answered": bool(answered)} for ts, question, answered in rows][::-1]


# ----- delivery --------------------------------------------------------------------------
def due(kb: KnowledgeBase, routes: list[str], now: dt.datetime | None = None, limit: int = 20) -> list[Request]:
    """Answered requests whose next delivery attempt is due, on the given routes."""
    if not routes:
        return []
    marks = ",".join("?" * len(routes))
    return _select(kb, f"state = 'pending' AND route IN ({marks}) AND next_attempt_at <= ?",
                   [*routes, iso(now), limit], "ORDER BY next_attempt_at, id LIMIT ?")


def delivered(kb: KnowledgeBase, request: Request, now: dt.datetime | None = None) -> bool:
    with kb.transaction():
        return _update(kb, request.id, f"state = 'delivered', delivered_at = ?, last_error = NULL, {_ERASE}",
                       [iso(now), mask_personal_data(request.question)], ("pending",))


def retry_later(kb: KnowledgeBase, request_id: int, error: str, at: dt.datetime) -> bool:
    with kb.transaction():
        return _update(kb, request_id, "attempts = attempts + 1, next_attempt_at = ?, last_error = ?",
                       [iso(at), error], ("pending",))


def not_delivered(kb: KnowledgeBase, request_id: int, error: str, state: str = "failed") -> bool:
    """The channel refused (``failed``) or the reply window has closed (``window_closed``)."""
    with kb.transaction():
        return _update(kb, request_id, "state = ?, attempts = attempts + 1, last_error = ?", [state, error],
                       ("pending",))


# ----- privacy ---------------------------------------------------------------------------
def forget_user(kb: KnowledgeBase, user_hash: str) -> int:
    """Delete every request of one (hashed) citizen, and their pending states, on their request;
    the number of requests deleted."""
    ensure_table(kb)
    with kb.transaction():
        kb.conn.execute("DELETE FROM handover_pending WHERE user_hash = ?", (user_hash,))
        return kb.conn.execute("DELETE FROM handover_requests WHERE user_hash = ?", (user_hash,)).rowcount


def prune(kb: KnowledgeBase, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete delivered and closed requests older than the query log's retention period."""
    cutoff = iso((now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=retention_days))
    ensure_table(kb)
    with kb.transaction():
        return kb.conn.execute("DELETE FROM handover_requests WHERE state IN ('delivered', 'closed') "
                               "AND created_at < ?", (cutoff,)).rowcount
