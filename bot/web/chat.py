"""The citizens' web chat page at ``/``: the department's name and contacts in the header,
suggestion chips, each answer with its source and contact card. ``static/chat.js`` asks
``POST /api/ask``; without JavaScript the same form asks by ``GET /?q=…`` and the page shows
the answer. Both go through :func:`respond`, which limits questions per client address as well
as per session: a client that sends a new session id with each question is still one address.
Staff's answers to questions handed over to them reach the page that asked through
``GET /api/messages?session=…``, which the page calls on load and every half minute. The reasons
offered after a 👎 are :data:`knowledge.querylog.FEEDBACK_REASON_LABELS`, given to the script in the page.
"""
from __future__ import annotations

import json
import re

from aiohttp import web

from handlers import texts
from handlers.handover import answer_text
from handlers.messages import IncomingMessage, Reply
from knowledge import handover, querylog
from knowledge.contacts import DEPARTMENT
from knowledge.write_behind import written

from .state import ADDRESS_LIMITER_KEY, CLIENT_ADDRESSES_KEY, CONVERSATION_KEY, KB_KEY, RETENTION_DAYS_KEY
from .templating import Markup, h, join, render

_LINKS = {"phone": "tel:", "hotline": "tel:", "email": "mailto:"}
# "Điện thoại: …" / "Email: …" lines in a reply's text (the department's contacts under a refusal)
_CONTACT_LINE = re.compile(r"^(%s): (.+)$" % "|".join(
    re.escape(texts.CONTACT_LABELS[f]) for f in ("phone", "hotline", "email")))
_FIELD_OF_LABEL = {texts.CONTACT_LABELS[f]: f for f in _LINKS}


def _value(field: str, value: str) -> Markup:
    """A contact value; phone numbers and e-mails are links."""
    prefix = _LINKS.get(field)
    if prefix == "tel:":
        return h("a", value, href=prefix + "".join(c for c in value if c.isdigit() or c == "+"))
    return h("a", value, href=prefix + value) if prefix else h("span", value)


def linked_text(text: str) -> Markup:
    """A reply's text with the phone numbers and e-mails of its contact lines as tel:/mailto: links."""
    lines = []
    for line in text.split("\n"):
        match = _CONTACT_LINE.match(line)
        if match and (match.group(1) != texts.CONTACT_LABELS["email"] or "@" in match.group(2)):
            lines.append(join([match.group(1) + ": ", _value(_FIELD_OF_LABEL[match.group(1)], match.group(2))]))
        else:
            lines.append(line)
    return join(lines, "\n")


def contact_card(pairs: list[tuple[str, str]], fields: list[str]) -> Markup:
    items = []
    for (label, value), field in zip(pairs, fields):
        items += [h("dt", label), h("dd", _value(field, value))]
    return h("dl", *items, class_="card")


def header_contacts(kb) -> Markup:
    """The department's phone and e-mail always in view, the full card one click away."""
    resolved = kb.resolve_contacts("department")
    quick = [h("li", texts.CONTACT_LABELS[f] + ": ", _value(f, resolved[f].value))
             for f in ("phone", "email") if f in resolved]
    card = contact_card([(texts.CONTACT_LABELS[f], v.value) for f, v in resolved.items()], list(resolved))
    return join([h("ul", *quick, class_="quick"),
                 h("details", h("summary", "Địa chỉ và thông tin liên hệ khác"), card, class_="contact")])


def split_source(reply: Reply) -> tuple[str, str]:
    """The answer text and its «Nguồn: …» line, shown apart on the page."""
    head, _, last = reply.text.rpartition("\n\n")
    if reply.source and head and last.startswith("Nguồn:"):
        return head, last
    return reply.text, ""


def source_paragraph(source: dict, line: str) -> Markup:
    """The «Nguồn: …» line, the title a link to the article's web address when it has one."""
    url = source.get("url")
    if not url or f" — {url}" not in line:
        return h("p", line, class_="source")
    before, _, after = line.partition(f" — {url}")
    head, title, _ = before.rpartition(source["title"])
    return h("p", head, h("a", title, href=url, rel="noopener"), after, class_="source")


def bot_message(reply: Reply) -> Markup:
    text, source = split_source(reply)
    if reply.contact_card:  # the card shows the values; the text keeps only the unit's name
        text = text.split("\n")[0]
    parts = [h("p", linked_text(text), class_="text")]
    if reply.contact_card:
        fields = [next((f for f, label in texts.CONTACT_LABELS.items() if label == pair[0]), "")
                  for pair in reply.contact_card]
        parts.append(contact_card(reply.contact_card, fields))
    if source:
        parts.append(source_paragraph(reply.source, source))
    if reply.suggestions:
        parts.append(chips(reply.suggestions, "Có phải bạn muốn hỏi"))
    return h("div", *parts, class_="msg bot")


def chips(questions: list[str], label: str) -> Markup:
    buttons = [h("button", q, type="button", class_="chip", data_question=q) for q in questions]
    return h("div", *buttons, class_="chips", role="group", aria_label=label)


async def respond(request: web.Request, user: str, question: str, deliver_via: str | None) -> list[Reply]:
    """The conversation's replies to a web question from ``user`` (the session), once the
    client's address is within its own limit. ``deliver_via`` is "" when the page fetches staff's
    answers later (:func:`messages`), None when it cannot."""
    wait = request.app[ADDRESS_LIMITER_KEY].wait_seconds(request.app[CLIENT_ADDRESSES_KEY].of(request))
    if wait:
        return [Reply(texts.SLOW_DOWN.format(seconds=wait), "notice")]
    message = IncomingMessage("web", user, user, question, deliver_via=deliver_via)
    return await request.app[CONVERSATION_KEY].respond_async(message)


async def index(request: web.Request) -> web.Response:
    conversation = request.app[CONVERSATION_KEY]
    welcome = conversation.start()
    welcome.suggestions = []  # the example questions are the chips under the conversation
    messages = [bot_message(welcome)]
    question = request.query.get("q", "").strip()
    if question:  # the page without JavaScript
        messages.append(h("div", h("p", question, class_="text"), class_="msg user"))
        replies = await respond(request, f"page:{request.app[CLIENT_ADDRESSES_KEY].of(request)}", question, None)
        messages += [bot_message(reply) for reply in replies]
    body = render("chat.html", department=DEPARTMENT, contacts=header_contacts(request.app[KB_KEY]), messages=join(messages),
                  chips=chips(conversation.starters.questions(), "Câu hỏi gợi ý"),
                  max_chars=conversation.config.max_question_chars,
                  feedback_reasons=json.dumps(list(querylog.FEEDBACK_REASON_LABELS.items()), ensure_ascii=False))
    return web.Response(text=body, content_type="text/html")


async def privacy(request: web.Request) -> web.Response:
    """What the query log keeps, for how long, and how to have it deleted (Nghị định 13/2023/NĐ-CP)."""
    resolved = request.app[KB_KEY].resolve_contacts("department")
    contacts = ", ".join(f"{texts.CONTACT_LABELS[f].lower()} {resolved[f].value}" for f in ("phone", "email")
                         if f in resolved)
    body = render("privacy.html", department=DEPARTMENT, contacts=contacts,
                  retention_days=request.app[RETENTION_DAYS_KEY])
    return web.Response(text=body, content_type="text/html")


async def messages(request: web.Request) -> web.Response:
    """GET ?session=… → {"messages": [{"text": …}]}: staff's answers to the questions this chat
    session handed over, each given once (then the session id is erased from the request)."""
    session = request.query.get("session", "")[:64]  # as /api/ask keeps it
    if not session:
        return web.json_response({"error": "Thiếu tham số «session» (mã phiên trò chuyện)."}, status=400)
    answers = await written(request.app[CONVERSATION_KEY].writes, lambda kb: handover.take_answers(kb, "web", session))
    return web.json_response({"messages": [{"text": answer_text(r)} for r in answers]})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/api/messages", messages)
    app.router.add_get("/privacy", privacy)
