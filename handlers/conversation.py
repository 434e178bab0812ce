"""The conversation: one incoming message in, the replies out, the same for every channel.

It guards the input (empty, too long, not text, too fast), asks the answer engine (with the
conversation's last topic, for follow-ups), writes the reply text with its source and date, and
records the question in the query log (with a salted hash of the user, never the raw id, and
phone, CCCD and e-mail masked by :mod:`knowledge.privacy`). A citizen who asks for a person, or is
refused, can leave the question for staff (:mod:`handlers.handover`). A question about the office's
working hours is answered from the settings (:mod:`handlers.hours_reply`) unless an FAQ matches it.
A reply's source names the article's web address and at most its file name (:mod:`knowledge.sources`).
A suggestion sent back as the next message ("Về: …") is answered from the page it names
(:mod:`knowledge.suggestions`), whatever the engine.

A message goes through three steps: :meth:`Conversation._prepare` (the guards, the hand-over, the
topic), the engine's :class:`Match` of the question (:class:`Answerer`: read-only and picklable, so
that the running bot asks it in worker processes, :mod:`bot.workers`), and
:meth:`Conversation._finish` (the reply, the topic remembered, the query log). :meth:`Conversation.respond`
runs the three in a row; :meth:`Conversation.respond_async` awaits the middle one, so that the event
loop does not compute answers. Every write (query log, hand-over, feedback) happens in this process,
through ``writes``: in the running bot a :class:`knowledge.write_behind.WriteBehind`, so that no reply
waits for SQLite's write lock; else at once (:class:`knowledge.write_behind.WriteThrough`).
"""
from __future__ import annotations

import gc
import logging
import time
import unicodedata
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from knowledge import querylog
from knowledge.answer import Match, Topic
from knowledge.combined import ENGINES, engine_for
from knowledge.local_time import shown_date
from knowledge.privacy import mask_personal_data
from knowledge.sources import public_source
from knowledge.store import KnowledgeBase
from knowledge.suggestions import Targets
from knowledge.text import clean
from knowledge.write_behind import WriteBehind, WriteThrough, written

from . import texts
from .handover import HandOver, HandoverConfig, Leave
from .hours_intent import recognise as recognise_hours
from .hours_reply import hours_reply
from .messages import IncomingMessage, Reply
from .starters import Starters

log = logging.getLogger(__name__)

ANSWER_ENGINES = tuple(ENGINES)
CONTACT_QUESTION = "thông tin liên hệ của Sở"  # what /lienhe asks the engine


@dataclass(frozen=True)
class ConversationConfig:
    fallback_phone: str = "0292.3820674"
    fallback_email: str = "sokhcn@cantho.gov.vn"
    max_question_chars: int = 500
    rate_limit_messages: int = 12
    rate_limit_seconds: float = 60.0
    mask_personal_data: bool = True
    answer_engine: str = "combined"  # combined (the matcher checked by the fitted engine) | matcher | fitted
    privacy_url: str = "/privacy"  # the page saying what the query log keeps, shown with the first reply
    handover: HandoverConfig = field(default_factory=HandoverConfig)  # [handover]: leaving a question for staff

    def __post_init__(self):
        if self.answer_engine not in ANSWER_ENGINES:
            raise ValueError(f"answer_engine must be one of {', '.join(ANSWER_ENGINES)}, not {self.answer_engine!r}")


def feedback_reason_choices() -> list[tuple[str, str]]:
    """What a citizen may say was wrong after a 👎: (code, label as a choice, capitalised), in the
    order of ``querylog.FEEDBACK_REASON_LABELS``, the web chat's list."""
    return [(code, label[:1].upper() + label[1:]) for code, label in querylog.FEEDBACK_REASON_LABELS.items()]


def format_date(iso: str | None) -> str:
    return shown_date(iso) if iso else texts.UNDATED


class RateLimiter:
    """At most ``limit`` messages per ``window`` seconds for each user."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.seen: dict[str, deque[float]] = defaultdict(deque)

    def wait_seconds(self, user: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        times = self.seen[user]
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, int(self.window - (now - times[0])) + 1)
        times.append(now)
        return 0


class Topics:
    """The last topic of each conversation, for follow-ups ("còn email?"); bounded, oldest dropped."""

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._topics: OrderedDict[str, Topic] = OrderedDict()

    def get(self, key: str) -> Topic | None:
        return self._topics.get(key)

    def remember(self, key: str, topic: Topic | None) -> None:
        if topic is None:
            return
        self._topics[key] = topic
        self._topics.move_to_end(key)
        if len(self._topics) > self.limit:
            self._topics.popitem(last=False)


# Allocations between two collections of the youngest generation, and collections of each generation
# before the next one up is collected: raised from Python's (700, 10, 10), under which a full collection
# came every few hundred questions and walked the whole cache (about 100 ms at 10,000 articles) to free
# nothing, for the caches hold no reference cycles.
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


def settle_collector() -> None:
    """Freeze what the process holds now (the engine's caches, just built) out of the cyclic garbage
    collector's passes, and collect less often: an answering process's garbage is short-lived."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


class Answerer:
    """What a question is matched to: the configured answer engine, and a suggestion sent back
    ("Về: …") answered from what it was made from. Read-only; its caches follow the knowledge base's
    version, checked on every question, so a staff edit is seen on the next one. Worker processes
    keep one each over a read-only connection (:mod:`bot.workers`)."""

    def __init__(self, kb: KnowledgeBase, answer_engine: str = "combined"):
        self.kb = kb
        self.engine = engine_for(kb, answer_engine)
        self.targets = Targets(kb)  # what a "Về: …" suggestion sent back leads to
        self._settled = False  # warmed up: the caches are kept out of the collector's passes

    def warm(self) -> None:
        """Build the caches of the current version now rather than on the first question, then keep
        them out of the garbage collector's way (:func:`settle_collector`), and what each question adds
        to them too (:meth:`match`)."""
        self.engine.index()
        settle_collector()
        self._settled = True

    def match(self, text: str, topic: Topic | None = None) -> Match:
        match = self._match(text, topic)
        if self._settled:
            # What the question added to the caches (article views, word sets: hundreds of thousands of
            # objects at 10,000 articles while they fill) leaves the collector's passes too, which would
            # only walk them (10 ms, or 160 ms for an older generation). Answering makes no reference
            # cycles (tests/test_conversation.py), so nothing frozen is garbage the collector would have
            # freed; what the caches drop is freed by reference counting. A failed question is not frozen.
            gc.freeze()
        return match

    def _match(self, text: str, topic: Topic | None) -> Match:
        tapped = self.targets.tapped(text)
        if tapped is None:
            return self.engine.match(text, topic)
        return Match(tapped.kind, True, 1.0, text=tapped.text, source=tapped.source, faq_id=tapped.faq_id,
                     normalized=folded(self.kb, text), topic=Topic(title=tapped.title) if tapped.title else None)


def folded(kb: KnowledgeBase, text: str) -> str:
    """The folded words of ``text``, as the query log's ``normalized`` column keeps a question."""
    return " ".join(t.folded for t in kb.normalizer().tokenize(text))


@dataclass
class Turn:
    """A message past the guards, waiting for the engine's :class:`Match` of ``question``."""
    message: IncomingMessage
    question: str
    log_query: bool = False
    user_hash: str = ""
    topic: Topic | None = None
    contact_card: bool = False  # /lienhe: the department's card rather than an answer
    started: float = field(default_factory=time.perf_counter)


class Conversation:
    """Channel-agnostic replies. Adapters on the event loop call :meth:`respond_async`, the terminal
    and the tests :meth:`respond`, and render what comes back. ``match_async`` is how
    :meth:`respond_async` asks the engine (the running bot's worker processes); None asks it here.
    ``writes`` makes this process's writes; None makes them at once on ``kb``."""

    def __init__(self, kb: KnowledgeBase, config: ConversationConfig | None = None,
                 match_async: Callable[[str, Topic | None], Awaitable[Match]] | None = None,
                 writes: WriteBehind | WriteThrough | None = None):
        self.kb = kb
        self.writes = writes or WriteThrough(kb)
        self.config = config or ConversationConfig()
        self.answerer = Answerer(kb, self.config.answer_engine)
        self.engine = self.answerer.engine
        self.match_async = match_async or self._match_here
        self.topics = Topics()
        self.starters = Starters(kb)  # what is offered on /start, with help and as the first chips
        self.limiter = RateLimiter(self.config.rate_limit_messages, self.config.rate_limit_seconds)
        self.handover = HandOver(kb, self.config.handover, self._contact_line, self.writes)

    # ----- entry points --------------------------------------------------------------
    def respond(self, message: IncomingMessage, log_query: bool = True) -> list[Reply]:
        """Replies to one message, the engine asked in this process; never raises (a failure becomes
        an apology)."""
        try:
            turn = self._prepare(message, log_query)
            if isinstance(turn, list):
                return turn
            if isinstance(turn, Leave):
                return [self.writes.call(turn.write).result()]
            return self._finish(turn, self.answerer.match(turn.question, turn.topic))
        except Exception:  # one bad message must never stop the bot
            return self._apology(message)

    async def respond_async(self, message: IncomingMessage, log_query: bool = True) -> list[Reply]:
        """:meth:`respond` for the event loop: the engine is asked through ``match_async``."""
        try:
            turn = self._prepare(message, log_query)
            if isinstance(turn, list):
                return turn
            if isinstance(turn, Leave):  # stored before the citizen is told, other conversations going on
                return [await written(self.writes, turn.write)]
            return self._finish(turn, await self.match_async(turn.question, turn.topic))
        except Exception:  # a crashed worker included: the citizen gets the apology, the bot goes on
            return self._apology(message)

    def answer(self, question: str) -> Reply:
        """The reply to a question, without logging or rate limits (CLI ``ask``, previews)."""
        started = time.perf_counter()
        reply = self._reply_for(self.answerer.match(question), question)
        reply.question = question
        log.debug("answered in %.1f ms", (time.perf_counter() - started) * 1000)
        return reply

    async def feedback(self, message: IncomingMessage, log_id: int, value: int, reason: str | None = None) -> Reply:
        """Record 👍 (1) or 👎 (-1), and with 👎 what was wrong (``querylog.FEEDBACK_REASONS``), on an
        answer the same user received; written after the answer's row, the event loop not waiting."""
        user_hash = self.kb.hash_user(f"{message.channel}:{message.user_id}")
        try:
            recorded = await written(self.writes,
                                     lambda kb: querylog.record_feedback(kb, log_id, value, user_hash, reason))
        except Exception:
            log.exception("could not record feedback")
            recorded = False
        if not recorded:
            return Reply(texts.FEEDBACK_EXPIRED, "notice")
        return Reply(texts.FEEDBACK_REASON_THANKS if reason else texts.FEEDBACK_THANKS[value], "notice")

    def start(self) -> Reply:
        return Reply(f"{texts.START}\n\n{self.privacy_notice().text}", "notice",
                     suggestions=self.starters.questions())

    def privacy_notice(self) -> Reply:
        """One sentence on what is recorded, with the privacy page: said before a citizen's first answer."""
        return Reply(texts.PRIVACY_NOTICE.format(url=self.config.privacy_url), "notice")

    def help(self) -> Reply:
        return Reply(texts.HELP, "notice", suggestions=self.starters.questions())

    # ----- internals -----------------------------------------------------------------
    def _contact_card(self, match: Match) -> Reply:
        if match.kind == "contact":
            return self._reply_for(match, "")
        return Reply(texts.CONTACT_INVITE + "\n" + self._contact_line(), "contact", True)

    async def _match_here(self, text: str, topic: Topic | None) -> Match:
        return self.answerer.match(text, topic)

    def _apology(self, message: IncomingMessage) -> list[Reply]:
        log.exception("failed to answer a message on %s", message.channel)
        return [Reply(texts.ERROR + "\n" + self._contact_line(), "notice")]

    def _prepare(self, message: IncomingMessage, log_query: bool) -> list[Reply] | Turn | Leave:
        """The replies that need no answer engine, the :class:`Turn` that asks it, or the question left for
        staff that must be stored first."""
        if message.is_group and not message.addressed_to_bot:
            return []
        if message.content_type == "edited":
            return [Reply(texts.EDITED, "notice")]
        if message.content_type not in ("text", "command", "suggestion"):
            return [Reply(texts.NOT_TEXT, "notice")]
        text = clean(message.text or "")  # invisible characters and stray spaces are no question
        if message.content_type == "command":
            return self._command(message, text)
        if not any(character.isalnum() for character in text):  # "👍", "???", "...": no word to answer
            return [Reply(texts.SMALLTALK_REPLIES["ack"] if _has_emoji(text) else texts.EMPTY, "notice")]
        if len(text) > self.config.max_question_chars:
            return [Reply(texts.TOO_LONG.format(length=len(text), limit=self.config.max_question_chars),
                          "notice")]
        user_hash = self.kb.hash_user(f"{message.channel}:{message.user_id}")
        wait = self.limiter.wait_seconds(user_hash)
        if wait:
            return [Reply(texts.SLOW_DOWN.format(seconds=wait), "notice")]
        handed_over = self.handover.respond(message, user_hash, text)
        if isinstance(handed_over, Leave):
            return handed_over
        if handed_over is not None:
            return [handed_over]
        return Turn(message, text, log_query, user_hash, self.topics.get(self._key(message)))

    def _finish(self, turn: Turn, match: Match) -> list[Reply]:
        """The reply to a turn from the engine's match: its topic remembered, a refusal offered to
        staff, the question logged."""
        if turn.contact_card:
            return [self._contact_card(match)]
        message, text = turn.message, turn.question
        reply = self._reply_for(match, text)
        if reply.kind == match.kind:  # not when the working hours were the reply: the page matched was not shown
            self.topics.remember(self._key(message), match.topic)
        reply.question = text
        if reply.kind == "fallback" and message.deliver_via is not None:
            reply.offers_handover = True
            self.handover.refused(message, text)
        if turn.log_query and match.kind != "empty":  # nothing left once markup is out ("**"): no question
            reply.log_id = self._log(message, turn.user_hash, text, match, reply,
                                     (time.perf_counter() - turn.started) * 1000)
        return [reply]

    @staticmethod
    def _key(message: IncomingMessage) -> str:
        """The conversation, whose last topic a follow-up is read with."""
        return f"{message.channel}:{message.chat_id}"

    def _command(self, message: IncomingMessage, text: str) -> list[Reply] | Turn:
        name = text.split()[0].lstrip("/").split("@")[0].lower() if text else ""
        if name in ("start", "batdau"):
            return [self.start()]
        if name in ("lienhe", "contact"):
            return Turn(message, CONTACT_QUESTION, contact_card=True)
        return [self.help()]

    def _log(self, message: IncomingMessage, user_hash: str, text: str, match: Match, reply: Reply,
             elapsed_ms: float) -> int | None:
        question, normalized = text, match.normalized
        if self.config.mask_personal_data:
            question = mask_personal_data(text)
            # the normalised form reads number words as digits ("0 chín 1 2…"): masked too
            if question != text or mask_personal_data(normalized) != normalized:
                normalized = folded(self.kb, mask_personal_data(folded(self.kb, question)))
        source = (reply.source or {}).get("title")
        try:
            return self.writes.log(dict(
                channel=message.channel, user_hash=user_hash, question=question, normalized=normalized,
                kind=reply.kind, answered=int(reply.answered), score=round(reply.score, 4), source=source,
                faq_id=match.faq_id, response_ms=round(elapsed_ms, 2)))
        except Exception:  # the citizen still gets the answer if logging fails
            log.exception("could not write the query log")
            return None

    def _contact_line(self) -> str:
        resolved = self.kb.resolve_contacts("department")
        phone = resolved["phone"].value if "phone" in resolved else self.config.fallback_phone
        email = resolved["email"].value if "email" in resolved else self.config.fallback_email
        return f"Điện thoại: {phone}\nEmail: {email}"

    def _reply_for(self, match: Match, question: str) -> Reply:
        hours_question = None if match.kind == "faq" and match.answered else (
            recognise_hours(question) or recognise_hours(match.normalized))  # as typed, or as the engine read it
        if hours_question:  # an FAQ staff wrote for it wins; else the settings answer
            reply = hours_reply(hours_question, self.config.handover.hours, self.handover.clock(), self._contact_line())
            reply.text += "\n\n" + self._source_line(reply.source)
            return reply
        reply = Reply("", match.kind, match.answered, match.score, public_source(self.kb, match.source),
                      list(match.suggestions))
        if match.kind == "smalltalk":
            reply.text = texts.SMALLTALK_REPLIES[match.intent]
        elif match.kind == "contact":
            unit = next(iter(match.contacts.values())).unit
            reply.contact_card = [(texts.CONTACT_LABELS[f], v.value) for f, v in match.contacts.items()]
            asked = [f for f in match.intent.split(",") if f in texts.CONTACT_LABELS]
            if asked and not any(f in match.contacts for f in asked):  # "fax?" of a unit with none: say so first
                what = " và ".join(texts.CONTACT_LABELS[f].lower() for f in asked)
                unit = texts.CONTACT_NOT_KNOWN.format(what=what, unit=unit)
            lines = [unit, *(f"{label}: {value}" for label, value in reply.contact_card)]
            reply.text = "\n".join(lines) + "\n\n" + self._source_line(reply.source)
        elif match.kind in ("article", "faq") and match.answered:
            reply.text = self._page_line(match, reply.source) + match.text + "\n\n" + self._source_line(reply.source)
        elif match.kind == "empty":
            reply.kind, reply.text = "notice", texts.EMPTY
        else:
            reply.kind, reply.answered, reply.source = "fallback", False, None
            reply.text = f"{texts.NOT_FOUND} {texts.CONTACT_INVITE}\n{self._contact_line()}"
        return reply

    @staticmethod
    def _page_line(match: Match, source: dict | None) -> str:
        """For a question about the page itself, what it asks said first: "Bài «…» được đăng ngày …" for "bài …
        đăng ngày nào", "Bài «…» lấy theo Báo …" for "lấy theo báo nào"."""
        asked = set(match.intent.split(",")) if match.kind == "article" and source else set()
        if "published" in asked and source.get("date"):
            return texts.PUBLISHED.format(title=source["title"], date=format_date(source["date"])) + "\n"
        if "origin" in asked and source.get("origin"):
            return texts.ORIGIN.format(title=source["title"], origin=source["origin"]) + "\n"
        return ""

    @staticmethod
    def _source_line(source: dict | None) -> str:
        """"Nguồn: title (date)", the URL after the title when there is one; the settings undated."""
        if not source:
            return ""
        if source.get("from_settings"):
            return texts.SOURCE_PLAIN.format(title=source["title"])
        date = format_date(source.get("date"))
        if source.get("date_inferred") and source.get("date"):
            date = texts.INFERRED_DATE.format(date=date)
        if source.get("url"):
            return texts.SOURCE_LINK.format(title=source["title"], url=source["url"], date=date)
        return texts.SOURCE.format(title=source["title"], date=date)


def _has_emoji(text: str) -> bool:
    """Does the text hold an emoji or another pictograph ("👍", "❤️", "🙏"): a reaction, as "ok" is?"""
    return any(unicodedata.category(character) == "So" for character in text)
