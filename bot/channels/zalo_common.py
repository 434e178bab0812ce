"""What the two Zalo adapters (Official Account and Bot API) share: plain-text rendering of a
reply, splitting it into messages of at most 2,000 characters, the numbered suggestions a citizen
answers with a digit (or, on the OA, taps as a button), the three reasons offered after a 👎 (a digit
right after picks one), the line under a refusal that offers to leave the question for staff,
and the background tasks that answer the updates recorded in the durable inbox (:mod:`bot.channels.inbox`,
where a delivery seen before is recognised) after the webhook has been acknowledged.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

from handlers import texts
from handlers.conversation import Conversation, feedback_reason_choices
from handlers.messages import IncomingMessage, Reply
from knowledge.store import KnowledgeBase

from . import text_split
from .inbox import Inbox, Item
from .memory import Bounded

log = logging.getLogger(__name__)

CHANNEL = "zalo"  # the query log's channel for both Zalo adapters
MAX_TEXT = 2000  # Zalo's limit for one text message
PICK_HINT = "Trả lời bằng một chữ số ({first}–{last}) để chọn câu hỏi."
EXAMPLES_INTRO = "Câu hỏi mẫu:"  # above the suggestions of a greeting or help (kind "notice")
HANDOVER_HINT = "Gõ «gặp cán bộ» để để lại câu hỏi cho cán bộ."  # under a refusal (Zalo has no buttons)
REASON_HINT = "Trả lời bằng một chữ số (1–{last}) để chọn lý do."  # under the reasons offered after a 👎

FEEDBACK_VALUES = {"1": 1, "2": -1, "👍": 1, "👎": -1}


def numbered(choices: list[str] | tuple[str, ...], hint: str = PICK_HINT) -> str:
    """Choices as lines "1. …", then the hint saying a digit picks one."""
    lines = "\n".join(f"{i}. {choice}" for i, choice in enumerate(choices, 1))
    return f"{lines}\n{hint.format(first=1, last=len(choices))}"


def render_head(reply: Reply, notice: str = "") -> str:
    """A reply's plain text down to the line introducing its suggestions (if any), without them;
    a logged answer asks for a 1/2 rating (Zalo messages carry no rating buttons). ``notice``
    (the privacy notice) goes above the suggestions."""
    text = reply.text.strip()
    if reply.offers_handover:
        text = f"{text}\n\n{HANDOVER_HINT}"
    if reply.answered and reply.log_id and not reply.suggestions:
        text = f"{text}\n\n{texts.FEEDBACK_DIGITS}"
    if notice:
        text = f"{text}\n\n{notice}"
    if reply.suggestions:
        intro = EXAMPLES_INTRO if reply.kind == "notice" else texts.SUGGESTIONS_INTRO
        text = f"{text}\n\n{intro}".strip()
    return text


def render(reply: Reply) -> str:
    """A reply as Zalo shows it in plain text: suggestions as a numbered list."""
    head = render_head(reply)
    return f"{head}\n{numbered(reply.suggestions)}" if reply.suggestions else head


@dataclass(frozen=True)
class Piece:
    """One message of a reply: its text and, on the last message of a reply that offers questions,
    those questions (``choices``), which the OA may show as buttons under the text."""
    text: str
    choices: tuple[str, ...] = ()

    def plain(self) -> list[str]:
        """The message with its choices as a numbered list, in messages of at most MAX_TEXT."""
        return split_text(f"{self.text}\n{numbered(self.choices)}") if self.choices else [self.text]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Plain text → messages of at most ``limit`` characters (Zalo's count)."""
    return text_split.split_text(text, limit)


class ZaloConversation:
    """Turns one citizen's message into the messages to send back, remembering the suggestions it
    offered so that a reply of just a digit (or a tapped button's text) picks one of them, the
    answer a 1/2 rates, and the 👎 a following digit explains. ``route`` names the adapter, which
    delivers staff's answers to hand-over requests later."""

    def __init__(self, conversation: Conversation, route: str, memory_size: int = 5_000):
        self.conversation, self.route = conversation, route
        self.suggestions: Bounded = Bounded(memory_size)
        self.rateable: Bounded = Bounded(memory_size)  # user → log id of the last answer
        self.explainable: Bounded = Bounded(memory_size)  # user → log id of the answer just rated 👎
        self.told_privacy: Bounded = Bounded(memory_size)  # users already given the privacy notice

    async def pieces_for(self, user_id: str, text: str | None, content_type: str = "text") -> list[Piece]:
        if content_type == "text" and text:
            text = text.strip()
            offered = self.suggestions.get(user_id, [])
            rateable = self.rateable.pop(user_id, None)
            explainable = self.explainable.pop(user_id, None)
            reasons = feedback_reason_choices()
            if explainable and text.isdigit() and 1 <= int(text) <= len(reasons):
                message = IncomingMessage(CHANNEL, user_id, user_id, None)
                reason = reasons[int(text) - 1][0]
                return self.render_all(user_id, [await self.conversation.feedback(message, explainable, -1, reason)])
            if text.isdigit() and 1 <= int(text) <= len(offered):
                text, content_type = offered[int(text) - 1], "suggestion"
            elif text in offered:  # a suggestion's button tapped on the OA
                content_type = "suggestion"
            elif rateable and text in FEEDBACK_VALUES:
                return await self._rate(user_id, rateable, FEEDBACK_VALUES[text])
            elif text.startswith("/"):
                content_type = "command"
        message = IncomingMessage(CHANNEL, user_id, user_id, text, content_type, deliver_via=self.route)
        return self.render_all(user_id, await self.conversation.respond_async(message))

    async def _rate(self, user_id: str, log_id: int, value: int) -> list[Piece]:
        """Record a 1/2 rating; after a 👎 recorded, ask what was wrong, the reasons numbered."""
        thanks = await self.conversation.feedback(IncomingMessage(CHANNEL, user_id, user_id, None), log_id, value)
        if value == -1 and thanks.text != texts.FEEDBACK_EXPIRED:
            self.explainable[user_id] = log_id
            labels = [label for _, label in feedback_reason_choices()]
            thanks.text = f"{thanks.text}\n\n{texts.FEEDBACK_REASON_ASK}\n{numbered(labels, REASON_HINT)}"
        return self.render_all(user_id, [thanks])

    def greeting(self, user_id: str) -> list[Piece]:
        return self.render_all(user_id, [self.conversation.start()])

    def render_all(self, user_id: str, replies: list[Reply]) -> list[Piece]:
        if not replies:
            return []
        self.suggestions[user_id] = list(replies[-1].suggestions)
        if replies[-1].answered and replies[-1].log_id:
            self.rateable[user_id] = replies[-1].log_id
        notice = ""
        if user_id not in self.told_privacy:  # the first reply says what is recorded
            self.told_privacy[user_id] = True
            notice = self.conversation.privacy_notice().text
        pieces: list[Piece] = []
        for index, reply in enumerate(replies):
            last = index == len(replies) - 1
            chunks = split_text(render_head(reply, notice if last and notice not in reply.text else ""))
            if not chunks:
                continue
            pieces += [Piece(chunk) for chunk in chunks[:-1]] + [Piece(chunks[-1], tuple(reply.suggestions))]
        return pieces


class BackgroundTasks:
    """Keeps a reference to every task it starts (so none is garbage-collected mid-flight),
    logs their failures, and finishes or cancels them on shutdown."""

    def __init__(self, concurrency: int = 16):
        self.tasks: set[asyncio.Task] = set()
        # at most this many answers are worked on at once, so that acknowledging new webhooks
        # never waits behind a crowd of answers on the same event loop
        self.slots = asyncio.Semaphore(concurrency)

    async def _in_slot(self, coro: Coroutine) -> None:
        async with self.slots:
            await coro

    def spawn(self, coro: Coroutine, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._in_slot(coro), name=name)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the running tasks (and those they start) to end."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.tasks and loop.time() < deadline:
            await asyncio.wait(set(self.tasks), timeout=deadline - loop.time())

    async def close(self, grace: float = 5.0) -> None:
        """Give running work ``grace`` seconds to finish, then cancel the rest."""
        await self.wait(grace)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class InboxTasks(BackgroundTasks):
    """A Zalo adapter's updates: each recorded in its inbox (:meth:`take`, before the webhook
    answers), then answered by ``handle(update)`` in a background task; :meth:`resume` answers
    those a stopped or killed process left."""

    def __init__(self, kb: KnowledgeBase, route: str, handle: Callable[[Any], Awaitable[None]]):
        super().__init__()
        self.inbox = Inbox(kb, route)
        self.route, self.handle = route, handle

    def take(self, key: str | None, update: Any, bounded: bool = False) -> None:
        """Record and start answering one update, unless delivered before; raises
        :class:`bot.channels.inbox.Refused` when it could not be recorded (``bounded``: or the backlog is full)."""
        item = self.inbox.accept(key, update, bounded)
        if item is not None:
            self._answer(item)

    def resume(self) -> None:
        for item in self.inbox.resume():
            self._answer(item)

    def _answer(self, item: Item) -> None:
        self.spawn(self.inbox.work(item, self.handle), name=f"{self.route} update {item.id}")
