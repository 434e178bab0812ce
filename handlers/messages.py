"""Channel-neutral messages: what an adapter hands to the conversation, and what it gets back.

Adapters translate their platform's updates into :class:`IncomingMessage` and render each
:class:`Reply` in their own way (HTML on Telegram, plain text on Zalo, JSON on the web).
Every channel's text is cleaned here, once, as the message is made: escape sequences, control
characters and lone surrogates never reach the answer engine, the query log or a terminal.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.text import strip_controls


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    channel: str  # written to the query log only; never changes what is answered
    chat_id: str
    user_id: str  # the platform's id: hashed before it is stored anywhere
    text: str | None = None
    content_type: str = "text"  # text, command, suggestion, sticker, photo, voice, video, location,
    # document, edited or other
    language: str | None = None
    is_group: bool = False
    addressed_to_bot: bool = True  # in groups: a command, a mention or a reply to the bot
    # The adapter that can bring this citizen a later message (staff's answer to a hand-over), to
    # ``chat_id``: "" is the channel itself, None nothing can (the web page without JavaScript).
    deliver_via: str | None = ""

    def __post_init__(self):
        for name in ("chat_id", "user_id", "text"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, strip_controls(value))


@dataclass(slots=True)
class Reply:
    text: str  # plain text, exactly as the citizen reads it
    kind: str  # contact | faq | article | smalltalk | fallback | notice
    answered: bool = False
    score: float = 0.0
    source: dict | None = None  # {"title", "date", "date_inferred", "url", "file", "origin"}: never a server path
    suggestions: list[str] = field(default_factory=list)
    contact_card: list[tuple[str, str]] = field(default_factory=list)  # (label, value) pairs
    log_id: int | None = None  # query-log row, for feedback buttons
    question: str = ""
    offers_handover: bool = False  # a refusal: the adapter offers to leave the question for staff

    def as_json(self) -> dict:
        return {"question": self.question, "answered": self.answered, "kind": self.kind,
                "text": self.text, "score": round(self.score, 3), "source": self.source,
                "suggestions": self.suggestions}
