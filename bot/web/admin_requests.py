"""Staff page of the questions citizens left for staff ("Chuyển cho cán bộ", ``/admin/requests``):
newest first, each with its channel, how long it has waited, the citizen's last questions and the
delivery state of the answer. Staff answer in a text box, send a failed answer again, close a
request (dealt with by phone, or spam), or turn an answer into an FAQ
(``/admin/faqs/new?request=ID``, see :func:`faq_prefill`).

Requests are :mod:`knowledge.handover`; answers are sent by :mod:`bot.channels.handover_delivery`, or
fetched by the citizen's web chat page.
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from knowledge import handover, management
from knowledge.privacy import find_phones, mask_personal_data

from .auth import staff_only
from .pages import admin_page, csrf_input, flash, path_id, post_button, staff_write, whole_number
from .state import CHANNELS_KEY, CONVERSATION_KEY, FORM_KEY, KB_KEY, USER_KEY
from .templating import Markup, h, join

ROUTE_LABELS = {"web": "Trang hỏi đáp (web)", "telegram": "Telegram", "zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot"}
STATE_LABELS = {"open": "chờ cán bộ trả lời", "pending": "chờ gửi", "delivered": "đã gửi",
                "failed": "gửi thất bại", "window_closed": "hết hạn cửa sổ trả lời Zalo", "closed": "đã đóng"}
PATH = "/admin/requests"


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _duration(seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} ngày {hours} giờ"
    return f"{hours} giờ {minutes} phút" if hours else f"{minutes} phút"


def _state_notes(request: web.Request, r: handover.Request, now: dt.datetime, shown) -> list[Markup]:
    """What staff should know about the delivery of this request."""
    notes = []
    days = request.app[CONVERSATION_KEY].config.handover.zalo_oa_reply_window_days
    closes = _moment(r.last_message_at) + dt.timedelta(days=days)
    phones = find_phones(r.question)
    call = f"Gọi cho công dân: {', '.join(phones)}." if phones else "Người dân không để lại số điện thoại."
    if r.state == "window_closed" or (r.route == "zalo_oa" and r.state in ("open", "pending") and now > closes):
        notes.append(h("p", f"Cửa sổ trả lời của Zalo OA đã đóng: Zalo chỉ cho trả lời trong {days:g} ngày sau tin "
                            f"nhắn cuối của người dân (lúc {shown(_moment(r.last_message_at))}). Câu trả lời sẽ tự "
                            f"gửi nếu người dân nhắn lại OA. {call}", class_="notice error"))
    elif r.route == "zalo_oa" and r.state in ("open", "pending"):
        notes.append(h("p", f"Zalo OA chỉ cho trả lời đến {shown(closes)}.", class_="small"))
    elif phones and r.state in handover.WAITING:
        notes.append(h("p", f"Số điện thoại người dân để lại: {', '.join(phones)}.", class_="small"))
    if r.state == "pending" and r.route == "web":
        notes.append(h("p", "Người dân sẽ nhận được khi trang hỏi đáp của họ còn mở hoặc được mở lại.", class_="small"))
    elif r.state == "pending" and r.route not in {c.name for c in request.app[CHANNELS_KEY]}:
        notes.append(h("p", f"Kênh {ROUTE_LABELS.get(r.route, r.route)} chưa chạy: câu trả lời sẽ được gửi khi "
                            "kênh chạy.", class_="small"))
    if r.last_error and r.state in ("pending", "failed", "window_closed"):
        notes.append(h("p", f"Đã thử gửi {r.attempts} lần; lần cuối: {r.last_error}.", class_="small"))
    return notes


def _card(request: web.Request, r: handover.Request, now: dt.datetime) -> Markup:
    zone = request.app[CONVERSATION_KEY].config.handover.hours.zone

    def shown(moment: dt.datetime) -> str:
        return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y")

    created = _moment(r.created_at)
    waited = f"đã chờ {_duration((now - created).total_seconds())}" if r.state == "open" else \
        f"trả lời lúc {shown(_moment(r.answered_at))} ({r.answered_by})" if r.answered_at else ""
    recent = handover.recent_messages(request.app[KB_KEY], r)
    history = [h("p", "Tin nhắn gần đây của người dân:", class_="small"),
               h("ul", *(h("li", f"{shown(_moment(m['ts']))} {'✓' if m['answered'] else '✗'} {m['question']}")
                         for m in recent), class_="plain small")] if recent else []
    parts = [h("p", r.question, class_="group-question"),
             h("p", f"#{r.id} · {ROUTE_LABELS.get(r.route, r.route)} · gửi lúc {shown(created)} · {waited}",
               class_="small"),
             h("p", "Trạng thái: ", h("strong", STATE_LABELS.get(r.state, r.state)), class_=f"state {r.state}"),
             *_state_notes(request, r, now, shown), *history]
    if r.state == "open":
        parts.append(h("form", csrf_input(request),
                       h("label", "Trả lời người dân", for_=f"answer-{r.id}"),
                       h("textarea", id=f"answer-{r.id}", name="answer", rows=4,
                         maxlength=management.MAX_ANSWER_CHARS, required=True),
                       h("div", h("button", "Gửi trả lời", type="submit"), class_="actions"),
                       method="post", action=f"{PATH}/{r.id}/answer", class_="stacked"))
    else:
        parts += [h("p", "Trả lời của cán bộ:", class_="small"), h("p", r.answer or "—", class_="reply-text")]
    actions = []
    if r.answer:
        actions.append(h("a", "Tạo câu hỏi thường gặp", href=f"/admin/faqs/new?request={r.id}", class_="button"))
    if r.state in ("failed", "window_closed"):
        actions.append(post_button(request, f"{PATH}/{r.id}/retry", "Gửi lại", css="secondary"))
    if r.state in handover.WAITING:
        actions.append(post_button(request, f"{PATH}/{r.id}/close", "Đóng yêu cầu",
                                   "Đóng yêu cầu này? Câu trả lời (nếu có) sẽ không được gửi nữa."))
    if actions:
        parts.append(h("div", *actions, class_="actions"))
    return h("li", *parts, class_="group panel request", id=f"request-{r.id}")


@staff_only
async def requests_page(request: web.Request) -> web.Response:
    show_all = request.query.get("show") == "all"
    found = handover.listing(request.app[KB_KEY], waiting_only=not show_all)
    now = dt.datetime.now(dt.timezone.utc)
    listing = h("ol", *(_card(request, r, now) for r in found), class_="groups", aria_label="Yêu cầu, mới nhất trước") \
        if found else h("p", "Không có câu hỏi nào đang chờ cán bộ.", class_="empty")
    switch = h("a", "Chỉ xem yêu cầu đang chờ", href=PATH) if show_all else \
        h("a", "Xem cả yêu cầu đã gửi và đã đóng", href=f"{PATH}?show=all")
    content = join([
        h("p", "Câu hỏi người dân để lại cho cán bộ (khi bot chưa trả lời được, hoặc khi người dân muốn gặp cán bộ). "
               "Câu trả lời được gửi lại cho người dân trên đúng kênh họ đã hỏi. ", switch), listing])
    return admin_page(request, "Câu hỏi chuyển cho cán bộ", content)


def _back(request_id: int) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{PATH}#request-{request_id}")


@staff_only
async def answer(request: web.Request) -> web.Response:
    request_id = path_id(request)
    text = str(request[FORM_KEY].get("answer", "")).strip()
    if not text or len(text) > management.MAX_ANSWER_CHARS:
        flash(request, f"Câu trả lời phải có từ 1 đến {management.MAX_ANSWER_CHARS} ký tự.", "error")
    elif await staff_write(request, handover.answer, request_id, text, f"web:{request[USER_KEY].name}"):
        flash(request, f"Đã lưu câu trả lời cho yêu cầu #{request_id}; bot đang gửi đến người dân.")
    else:
        flash(request, "Yêu cầu này đã được trả lời hoặc đã đóng.", "error")
    raise _back(request_id)


@staff_only
async def retry(request: web.Request) -> web.Response:
    request_id = path_id(request)
    if await staff_write(request, handover.send_again, request_id, f"web:{request[USER_KEY].name}"):
        flash(request, f"Bot sẽ gửi lại câu trả lời của yêu cầu #{request_id}.")
    raise _back(request_id)


@staff_only
async def close(request: web.Request) -> web.Response:
    request_id = path_id(request)
    if await staff_write(request, handover.close, request_id, f"web:{request[USER_KEY].name}"):
        flash(request, f"Đã đóng yêu cầu #{request_id}.")
    raise _back(request_id)


def faq_prefill(request: web.Request) -> tuple[str, str] | None:
    """For ``/admin/faqs/new?request=ID``: the citizen's question (personal data masked) and staff's answer."""
    request_id = whole_number(request.query.get("request", ""))
    found = handover.get(request.app[KB_KEY], request_id) if request_id else None
    if found is None or not found.answer:
        return None
    return mask_personal_data(found.question), found.answer


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, requests_page)
    app.router.add_post(PATH + r"/{id:\d+}/answer", answer)
    app.router.add_post(PATH + r"/{id:\d+}/retry", retry)
    app.router.add_post(PATH + r"/{id:\d+}/close", close)
