"""The hand-over conversation ("chuyển cho cán bộ"): a citizen who asks for a person, or presses
the button under a refusal, leaves a question for staff.

The bot confirms in one sentence and says when staff will read it (:mod:`handlers.working_hours`).
The question is the one in the same message, else the one the bot has just failed to answer, else
the bot asks for it and takes the next message as the question ("thôi" takes the request back); a message that
asks nothing ("ok", "bot ơi", "cho mình hỏi") is no question for staff: the bot asks again.
The request is stored with the address the adapter names for answers sent later
(:attr:`IncomingMessage.deliver_via`); a place that cannot receive them gets the contacts instead.
Staff answer in the web admin; ``bot/`` delivers the answer (:mod:`knowledge.handover`). What the
next message depends on (a refused question, a question asked for) is kept in the database, so a
restart loses nothing. Every write goes through the conversation's writer (``knowledge.write_behind``): a question
left is stored before the citizen is told it was, the event loop serving other conversations meanwhile.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Callable

from knowledge import handover
from knowledge.answer.question import is_accented, is_stop
from knowledge.answer.smalltalk import smalltalk_intent
from knowledge.store import KnowledgeBase
from knowledge.write_behind import WriteBehind, WriteThrough

from . import texts
from .handover_intent import is_cancel, recognise
from .messages import IncomingMessage, Reply
from .working_hours import WorkingHours

KIND = "handover"  # the kind of every reply of this module
QUOTE_CHARS = 120  # the question quoted in the confirmation, shortened beyond this


@dataclass(frozen=True)
class HandoverConfig:
    hours: WorkingHours = field(default_factory=WorkingHours)
    max_open_per_user: int = 3  # questions a citizen may leave before staff answer one
    remember_seconds: float = 1800.0  # how long a refused question, or "type your question", is remembered
    zalo_oa_reply_window_days: float = 7.0  # shown to staff: Zalo OA replies only this long after a message


@dataclass(frozen=True)
class Leave:
    """A question left for staff: ``write`` stores it (unless the citizen has too many waiting) and gives the
    reply, made by the writer and waited for before the citizen is told, the event loop going on meanwhile."""
    write: Callable[[KnowledgeBase], Reply]


def answer_text(request: handover.Request) -> str:
    """Staff's answer as the citizen receives it, quoting their question."""
    return texts.STAFF_ANSWER.format(question=_quote(request.question), answer=request.answer or "")


def asks_nothing(kb: KnowledgeBase, text: str) -> bool:
    """Is a message no question for staff: small talk ("ok", "cảm ơn") or words that only call or frame one ("bot
    ơi", "cho mình hỏi")?"""
    tokens = kb.normalizer().tokenize(text)
    accented = is_accented(text)
    return bool(smalltalk_intent(tokens)) or all(is_stop(t, accented) is True for t in tokens)


def _quote(question: str) -> str:
    question = " ".join(question.split())
    return question if len(question) <= QUOTE_CHARS else question[:QUOTE_CHARS - 1].rstrip() + "…"


class HandOver:
    """One per :class:`~handlers.conversation.Conversation`; remembers, per conversation, the last
    refused question and whether a question is awaited, for ``remember_seconds``, in the database
    (:func:`knowledge.handover.remember`), written through ``writes``. Until a state is written, this
    process reads it from memory (:meth:`_pending`): the event loop never waits for the writer."""

    def __init__(self, kb: KnowledgeBase, config: HandoverConfig, contact_line: Callable[[], str],
                 writes: WriteBehind | WriteThrough):
        handover.ensure_table(kb)
        self.kb, self.config, self.contact_line, self.writes = kb, config, contact_line, writes
        self._unwritten: dict[str, tuple[handover.Pending | None]] = {}  # conversation → its state queued
        self._unwritten_lock = threading.Lock()  # the writer's thread forgets a state once written
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)

    def respond(self, message: IncomingMessage, user_hash: str, text: str) -> Reply | Leave | None:
        """The hand-over reply to a text message (a question left is a :class:`Leave` to write first), or None
        when it is an ordinary question."""
        now = self.clock()
        self.writes.submit(lambda kb: handover.citizen_wrote(kb, user_hash, now))
        pending = self._take_pending(message, now)
        if pending is not None and pending.awaiting:
            if is_cancel(text):
                return Reply(texts.HANDOVER_CANCELLED, KIND)
            if recognise(text) is None:
                if asks_nothing(self.kb, text):  # "ok", "bot ơi": still no question
                    self._remember(message, user_hash, handover.Pending(handover.iso(now), awaiting=True), now)
                    return Reply(texts.HANDOVER_ASK_AGAIN, KIND)
                return self._leave(message, user_hash, text, now)
        intent = recognise(text)
        if intent is None:  # an ordinary question: answered, or refused anew (see :meth:`refused`)
            return None
        if message.deliver_via is None:
            return Reply(f"{texts.HANDOVER_UNREACHABLE}\n{self.contact_line()}", KIND)
        question = text if intent.question_given else (pending.refused if pending else "")
        if not question:
            self._remember(message, user_hash, handover.Pending(handover.iso(now), awaiting=True), now)
            return Reply(texts.HANDOVER_ASK.format(when=self.config.hours.describe(now)), KIND)
        return self._leave(message, user_hash, question, now)

    def refused(self, message: IncomingMessage, question: str) -> None:
        """The bot could not answer ``question``: a hand-over asked for next takes it."""
        now = self.clock()
        user_hash = self.kb.hash_user(f"{message.channel}:{message.user_id}")  # as the query log keys the citizen
        self._remember(message, user_hash, handover.Pending(handover.iso(now), refused=question), now)

    def _leave(self, message: IncomingMessage, user_hash: str, question: str, now: dt.datetime) -> Leave:
        when = self.config.hours.describe(now)

        def write(kb: KnowledgeBase) -> Reply:
            waiting = handover.open_count(kb, user_hash)
            if waiting >= self.config.max_open_per_user:
                return Reply(texts.HANDOVER_TOO_MANY.format(count=waiting, when=when), KIND)
            handover.open_request(kb, message.channel, message.deliver_via or message.channel, message.chat_id,
                                  user_hash, question, now)
            return Reply(texts.HANDOVER_CONFIRM.format(question=_quote(question), when=when), KIND)
        return Leave(write)

    def _conversation(self, message: IncomingMessage) -> str:
        """The conversation as the database knows it: a keyed hash, never the chat's address."""
        return self.kb.hash_user(f"{message.channel}:{message.chat_id}")

    def _take_pending(self, message: IncomingMessage, now: dt.datetime) -> handover.Pending | None:
        """The conversation's pending state unless expired, forgotten (a message is answered once)."""
        conversation = self._conversation(message)
        found = self._pending(conversation)
        if found is None:
            return None
        self._queue(conversation, None, lambda kb: handover.drop_pending(kb, conversation))
        return found if found.at >= self._expired_before(now) else None

    def _pending(self, conversation: str) -> handover.Pending | None:
        """The conversation's pending state: the one queued for the writer, else the database's."""
        with self._unwritten_lock:
            queued = self._unwritten.get(conversation)
        return queued[0] if queued is not None else handover.read_pending(self.kb, conversation)

    def _queue(self, conversation: str, state: handover.Pending | None, write: Callable[[KnowledgeBase], None]) -> None:
        """Queue the write that leaves the conversation in ``state``; read from memory until written."""
        entry = (state,)  # its identity tells this write from a later one of the same conversation
        with self._unwritten_lock:
            self._unwritten[conversation] = entry

        def job(kb: KnowledgeBase) -> None:
            try:
                write(kb)
            finally:
                with self._unwritten_lock:
                    if self._unwritten.get(conversation) is entry:
                        del self._unwritten[conversation]
        self.writes.submit(job)

    def _expired_before(self, now: dt.datetime) -> str:
        return handover.iso(now - dt.timedelta(seconds=self.config.remember_seconds))

    def _remember(self, message: IncomingMessage, user_hash: str, pending: handover.Pending, now: dt.datetime) -> None:
        conversation, expired_before = self._conversation(message), self._expired_before(now)
        self._queue(conversation, pending, lambda kb: handover.remember(kb, conversation, user_hash, pending, expired_before))
