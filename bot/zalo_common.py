"""What the two Zalo adapters (Official Account and Bot API) share: plain-text rendering of a
reply, splitting it into messages of at most 2,000 characters, the numbered suggestions a citizen
answers with a digit, the line under a refusal that offers to leave the question for staff,
and the background tasks that answer the updates recorded in the durable inbox (:mod:`bot.inbox`,
where a delivery seen before is recognised) after the webhook has been acknowledged.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Coroutine

from handlers import texts
from handlers.conversation import Conversation
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



FEEDBACK_VALUES = {"1": 1, "2": -1, "👍": 1, "👎": -1}


def render(reply: Reply) -> str:
    """A reply as Zalo shows it: plain text, suggestions as a numbered list; a logged answer
    asks for a 1/2 rating (Zalo messages carry no buttons)."""
    text = reply.text.strip()
    if reply.offers_handover:
        text = f"{text}\n\n{HANDOVER_HINT}"
    if reply.answered and reply.log_id and not reply.suggestions:
        text = f"{text}\n\n{texts.FEEDBACK_DIGITS}"
    if reply.suggestions:
        numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(reply.suggestions, 1))
        hint = PICK_HINT.format(first=1, last=len(reply.suggestions))
        intro = EXAMPLES_INTRO if reply.kind == "notice" else texts.SUGGESTIONS_INTRO
        text = f"{text}\n\n{intro}\n{numbered}\n{hint}".strip()
    return text


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Plain text → messages of at most ``limit`` characters (Zalo's count)."""
    return text_split.split_text(text, limit)


class ZaloConversation:
    """Turns one citizen's message into the texts to send back, remembering the suggestions it
    offered so that a reply of just a digit picks one of them. ``route`` names the adapter, which
    delivers staff's answers to hand-over requests later."""

    def __init__(self, conversation: Conversation, route: str, memory_size: int = 5_000):
        self.conversation, self.route = conversation, route
        self.suggestions: Bounded = Bounded(memory_size)
        self.rateable: Bounded = Bounded(memory_size)  # user → log id of the last answer
        self.told_privacy: Bounded = Bounded(memory_size)  # users already given the privacy notice

    def texts_for(self, user_id: str, text: str | None, content_type: str = "text") -> list[str]:
        if content_type == "text" and text:
            text = text.strip()
            offered = self.suggestions.get(user_id, [])
            rateable = self.rateable.pop(user_id, None)
            if text.isdigit() and 1 <= int(text) <= len(offered):
                text, content_type = offered[int(text) - 1], "suggestion"
            elif rateable and text in FEEDBACK_VALUES:
                message = IncomingMessage(CHANNEL, user_id, user_id, None)
                return self.render_all(user_id, [self.conversation.feedback(message, rateable, FEEDBACK_VALUES[text])])
            elif text.startswith("/"):
                content_type = "command"
        message = IncomingMessage(CHANNEL, user_id, user_id, text, content_type, deliver_via=self.route)
        return self.render_all(user_id, self.conversation.respond(message))

    def greeting(self, user_id: str) -> list[str]:
        return self.render_all(user_id, [self.conversation.start()])

    def render_all(self, user_id: str, replies: list[Reply]) -> list[str]:
        if replies:
            self.suggestions[user_id] = list(replies[-1].suggestions)
            if replies[-1].answered and replies[-1].log_id:
                self.rateable[user_id] = replies[-1].log_id
        pieces = [piece for reply in replies for piece in split_text(render(reply))]
        if pieces and user_id not in self.told_privacy:  # the first reply says what is recorded
            self.told_privacy[user_id] = True
            notice = self.conversation.privacy_notice().text
            if notice not in pieces[-1]:
                pieces[-1:] = split_text(f"{pieces[-1]}\n\n{notice}")
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
        :class:`bot.inbox.Refused` when it could not be recorded (``bounded``: or the backlog is full)."""
        item = self.inbox.accept(key, update, bounded)
        if item is not None:
            self._answer(item)

    def resume(self) -> None:
        for item in self.inbox.resume():
            self._answer(item)

    def _answer(self, item: Item) -> None:
        self.spawn(self.inbox.work(item, self.handle), name=f"{self.route} update {item.id}")
