"""Staff pages of the knowledge base: articles (search, upload, delete; one article's page is
:mod:`bot.web.admin_articles`), FAQs (search,
add, edit, delete, CSV import/export, the "thử câu hỏi" box), contacts, abbreviations and synonyms.

Every change goes through :mod:`knowledge.management`, like the CLI, so it is validated,
audit-logged and used by the running bot at once. Article uploads and FAQ CSV imports run as jobs
(:mod:`bot.staff_jobs`): the form's answer is the job's page, with its progress and then its result.
"""
from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from handlers.conversation import format_date
from knowledge import fact_age, management
from knowledge.contacts import DEPARTMENT, FIELD_LABELS_VI, FIELDS
from knowledge.faq_io import split_alternates, write_csv
from knowledge.ingest.importer import STATUS_VI
from knowledge.ingest.parsing import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

from .. import staff_jobs
from . import admin_logs, admin_requests, jobs
from .auth import staff_only
from .pages import KIND_LABELS, admin_page, csrf_input, flash, path_id, post_button, staff_write, table, whole_number
from .state import CONVERSATION_KEY, FACTS_CHECKED_AFTER_KEY, FORM_KEY, KB_KEY, USER_KEY
from .templating import Markup, h, join, render

MAX_UPLOAD_FILES = 20


def _actor(request: web.Request) -> str:
    return f"web:{request[USER_KEY].name}"


def _search_form(action: str, query: str, label: str) -> Markup:
    return h("form", h("label", label, for_="q"), h("input", id="q", name="q", type="search", value=query),
             h("button", "Tìm", type="submit"), method="get", action=action, class_="search", role="search")


# ----- articles --------------------------------------------------------------------------
@staff_only
async def articles(request: web.Request) -> web.Response:
    return _articles_page(request)


def _articles_page(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:200]
    rows = [[join([h("a", a["title"], href=f"/admin/articles/{a['id']}"),
                   *([" ", h("em", "(ngừng dùng)")] if a["retired"] else [])]),
             format_date(a["published"]),
             a["passages"], a["source"].removeprefix("upload:") if a["source"].startswith("upload:")
             else a["source"].rsplit("/", 1)[-1],
             post_button(request, f"/admin/articles/{a['id']}/delete", "Xoá",
                          f"Xoá bài «{a['title']}»? Bot sẽ không dùng bài này nữa.")]
            for a in request.app[KB_KEY].articles(query)]
    content = join([
        jobs.status_lines(request),
        render("upload.html", csrf=csrf_input(request), accept=",".join(sorted(SUPPORTED_SUFFIXES)),
               max_files=MAX_UPLOAD_FILES, max_mb=MAX_FILE_BYTES // (1024 * 1024)),
        _search_form("/admin/articles", query, "Tìm trong tiêu đề và nội dung"),
        table(["Tiêu đề", "Ngày đăng", "Đoạn", "Tệp", ""], rows, "Bài viết trong cơ sở tri thức"),
    ])
    return admin_page(request, "Bài viết", content)


@staff_only
async def article_upload(request: web.Request) -> web.Response:
    files = [f for f in request[FORM_KEY].getall("files", []) if isinstance(f, FileField) and f.filename]
    if not files:
        return admin_page(request, "Bài viết", Markup(""), 400, ("error", "Bạn chưa chọn tệp nào để tải lên."))
    if len(files) > MAX_UPLOAD_FILES:
        flash(request, f"Mỗi lần chỉ tải lên tối đa {MAX_UPLOAD_FILES} tệp.", "error")
        raise web.HTTPSeeOther("/admin/articles")
    uploads = [(f.filename, f.file.read(MAX_FILE_BYTES + 1)) for f in files]
    job = request.app[staff_jobs.JOBS_KEY].start(request[USER_KEY].name, "Tải bài viết lên",
                                                 "Đang nhập {done}/{total} tệp…", len(uploads), _upload_report,
                                                 staff_jobs.upload_articles, _actor(request), uploads)
    return await jobs.started(request, job)


def _upload_report(job: staff_jobs.Job) -> tuple[Markup, int]:
    """Each file imported so far: thêm mới / cập nhật / không đổi / lỗi / bỏ qua, with its title or reason."""
    report = h("section", h("h2", "Kết quả tải lên"),
               h("ul", *(h("li", h("strong", STATUS_VI[r.status]), " ", r.name,
                                f" — {r.title}" if r.title else "", f" ({r.detail})" if r.detail else "",
                                class_=f"result {r.status}") for r in job.steps)),
               class_="report", aria_live="polite") if job.steps else Markup("")
    return join([report, h("p", h("a", "← Bài viết", href="/admin/articles"))]), 200


@staff_only
async def article_delete(request: web.Request) -> web.Response:
    try:
        title = await staff_write(request, management.delete_article, _actor(request), path_id(request))
        flash(request, f"Đã xoá bài «{title}».")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/articles")


# ----- FAQs ------------------------------------------------------------------------------
def _try_box(request: web.Request, question: str) -> Markup:
    result = Markup("")
    if question:
        reply = request.app[CONVERSATION_KEY].answer(question)
        source = reply.source or {}
        result = h("div", h("p", reply.text, class_="reply-text"), h("dl",
                   h("dt", "Loại"), h("dd", KIND_LABELS.get(reply.kind, reply.kind)), h("dt", "Trả lời được"), h("dd", "có" if reply.answered else "không"),
                   h("dt", "Điểm"), h("dd", f"{reply.score:.3f}"),
                   h("dt", "Nguồn"), h("dd", f"{source['title']} ({format_date(source.get('date'))})"
                                      if source else "—"), class_="meta"),
                   *([h("p", "Gợi ý: " + "; ".join(reply.suggestions))] if reply.suggestions else []),
                   class_="try-result", aria_live="polite")
    return h("section", h("h2", "Thử câu hỏi"), h("form",
             h("label", "Bot sẽ trả lời gì ngay bây giờ?", for_="try"),
             h("input", id="try", name="try", type="search", value=question, maxlength=500),
             h("button", "Thử", type="submit"), method="get", action="/admin/faqs", class_="search"),
             result, class_="try-box")


@staff_only
async def faqs(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:200]
    rows = [[faq.id, h("a", faq.question, href=f"/admin/faqs/{faq.id}"),
             h("ul", *(h("li", a) for a in faq.alternates), class_="plain") if faq.alternates else "—",
             faq.answer, post_button(request, f"/admin/faqs/{faq.id}/delete", "Xoá", f"Xoá câu hỏi «{faq.question}»?")]
            for faq in management.search_faqs(request.app[KB_KEY], query)]
    content = join([
        jobs.status_lines(request),
        _try_box(request, request.query.get("try", "").strip()[:500]),
        h("p", h("a", "+ Thêm câu hỏi", href="/admin/faqs/new", class_="button"), " ",
          h("a", "Xuất CSV", href="/admin/faqs/export.csv", class_="button secondary")),
        render("faq_import.html", csrf=csrf_input(request)),
        _search_form("/admin/faqs", query, "Tìm câu hỏi"),
        table(["Số", "Câu hỏi", "Cách hỏi khác", "Trả lời", ""], rows, "Câu hỏi thường gặp"),
    ])
    return admin_page(request, "Câu hỏi thường gặp", content)


def _faq_form(request: web.Request, action: str, title: str, question: str = "", alternates: str = "",
              answer: str = "", error: str = "", status: int = 200, group: str = "") -> web.Response:
    """``group``: the key of an unanswered-questions group this FAQ answers (see admin_logs)."""
    hidden = h("input", type="hidden", name="group", value=group) if group else Markup("")
    content = render("faq_form.html", action=action, csrf=csrf_input(request), hidden=hidden, question=question,
                     alternates=alternates, answer=answer, max_question=management.MAX_QUESTION_CHARS,
                     max_answer=management.MAX_ANSWER_CHARS)
    return admin_page(request, title, content, status, ("error", error) if error else None)


def _faq_fields(request: web.Request) -> tuple[str, list[str], str, str]:
    form = request[FORM_KEY]
    alternates_text = str(form.get("alternates", ""))
    alternates = [line for part in alternates_text.splitlines() for line in split_alternates(part)]
    return str(form.get("question", "")), alternates, str(form.get("answer", "")), alternates_text


@staff_only
async def faq_new(request: web.Request) -> web.Response:
    if request.method == "GET":
        question, alternates, group = admin_logs.faq_prefill(request) or ("", "", "")
        question, answer = admin_requests.faq_prefill(request) or (question, "")  # a staff answer to a hand-over
        return _faq_form(request, "/admin/faqs/new", "Thêm câu hỏi thường gặp", question, alternates, answer,
                         group=group)
    question, alternates, answer, alternates_text = _faq_fields(request)
    group = str(request[FORM_KEY].get("group", ""))[:20]
    try:
        faq_id = await staff_write(request, management.add_faq, _actor(request), question, alternates, answer)
    except management.ManagementError as exc:
        return _faq_form(request, "/admin/faqs/new", "Thêm câu hỏi thường gặp", question, alternates_text,
                         answer, str(exc), 400, group)
    resolved = await admin_logs.resolve_after_faq(request, faq_id)
    flash(request, f"Đã thêm câu hỏi số {faq_id}. Bot dùng nó ngay từ bây giờ.{resolved}")
    raise web.HTTPSeeOther("/admin/unanswered" if resolved else "/admin/faqs")


@staff_only
async def faq_edit(request: web.Request) -> web.Response:
    faq_id = path_id(request)
    faq = management.find_faq(request.app[KB_KEY], faq_id)
    if faq is None:
        raise web.HTTPNotFound()
    action, title = f"/admin/faqs/{faq_id}", f"Sửa câu hỏi số {faq_id}"
    if request.method == "GET":
        return _faq_form(request, action, title, faq.question, "\n".join(faq.alternates), faq.answer)
    question, alternates, answer, alternates_text = _faq_fields(request)
    try:
        await staff_write(request, management.update_faq, _actor(request), faq_id, question, alternates, answer)
    except management.ManagementError as exc:
        return _faq_form(request, action, title, question, alternates_text, answer, str(exc), 400)
    flash(request, f"Đã lưu câu hỏi số {faq_id}.")
    raise web.HTTPSeeOther("/admin/faqs")


@staff_only
async def faq_delete(request: web.Request) -> web.Response:
    try:
        await staff_write(request, management.remove_faq, _actor(request), path_id(request))
        flash(request, "Đã xoá câu hỏi.")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/faqs")


@staff_only
async def faq_export(request: web.Request) -> web.Response:
    return web.Response(body=write_csv(request.app[KB_KEY].faqs()).encode("utf-8"),
                        content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="cau-hoi-thuong-gap.csv"'})


@staff_only
async def faq_import(request: web.Request) -> web.Response:
    upload = request[FORM_KEY].get("file")
    if not isinstance(upload, FileField) or not upload.filename:
        flash(request, "Bạn chưa chọn tệp CSV.", "error")
        raise web.HTTPSeeOther("/admin/faqs")
    job = request.app[staff_jobs.JOBS_KEY].start(request[USER_KEY].name, "Nhập câu hỏi từ tệp CSV",
                                                 "Đang nhập câu hỏi từ tệp CSV…", 1, _faq_import_report,
                                                 staff_jobs.import_faq_csv, _actor(request), upload.file.read())
    return await jobs.started(request, job)


def _faq_import_report(job: staff_jobs.Job) -> tuple[Markup, int]:
    """Nothing while the import runs; then how many FAQs were added, updated or left, or (400) every
    line to fix: a file with a bad line imports nothing."""
    back = h("p", h("a", "← Câu hỏi thường gặp", href="/admin/faqs"))
    if isinstance(job.outcome, list):  # (line, reason) of every problem
        items = [h("li", f"Dòng {line}: {reason}" if line else reason) for line, reason in job.outcome]
        return join([h("p", "Tệp CSV có lỗi nên chưa nhập câu hỏi nào. Hãy sửa các dòng sau rồi tải lên lại:",
                       class_="notice error", role="alert"), h("ul", *items, class_="problems"), back]), 400
    line = h("p", job.outcome.line(), class_="notice ok", role="status") if job.outcome else Markup("")
    return join([line, back]), 200


# ----- contacts --------------------------------------------------------------------------
@staff_only
async def contacts(request: web.Request) -> web.Response:
    kb = request.app[KB_KEY]
    in_use = {(c.unit, c.field): c.value for c in kb.resolve_contacts("department").values()}
    rows = []
    for c in kb.all_contacts():
        used = in_use.get((c["unit"], c["field"])) == c["value"] and c["unit_key"] == "department"
        fields = {"field": c["field"], "value": c["value"], "unit": c["unit"]}
        action = post_button(request, "/admin/contacts/unpin", "Bỏ ghim", fields=fields) if c["pinned"] else \
            post_button(request, "/admin/contacts/pin", "Ghim", fields=fields)
        rows.append([c["unit"], FIELD_LABELS_VI.get(c["field"], c["field"]), c["value"],
                     f"{c['source_title'] or 'cán bộ nhập'} ({format_date(c['source_date'])})",
                     join(["📌 ghim" if c["pinned"] else "", " ✓ đang dùng" if used else ""]), action])
    options = [h("option", FIELD_LABELS_VI[f], value=f) for f in FIELDS]
    content = join([
        h("p", "Bot trả lời liên hệ bằng giá trị được ghim; nếu không có, bằng giá trị từ bài mới nhất."),
        render("contact_form.html", csrf=csrf_input(request), options=join(options), department=DEPARTMENT),
        table(["Đơn vị", "Trường", "Giá trị", "Nguồn", "Trạng thái", ""], rows, "Các giá trị liên hệ"),
    ])
    return admin_page(request, "Liên hệ", content)


async def _contact_change(request: web.Request, change) -> web.Response:
    form = request[FORM_KEY]
    try:
        await staff_write(request, change, _actor(request), str(form.get("field", "")), str(form.get("value", "")),
                          str(form.get("unit", "")) or None)
        flash(request, "Đã lưu thông tin liên hệ. Bot dùng giá trị mới ngay.")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin" if form.get("back") == "dashboard" else "/admin/contacts")


@staff_only
async def contact_set(request: web.Request) -> web.Response:
    pinned = request[FORM_KEY].get("pin") == "on"
    return await _contact_change(request, lambda kb, actor, field, value, unit:
                                 management.set_contact(kb, actor, field, value, pinned, unit))


@staff_only
async def contact_pin(request: web.Request) -> web.Response:
    return await _contact_change(request, management.pin_contact)


@staff_only
async def contact_unpin(request: web.Request) -> web.Response:
    return await _contact_change(request, lambda kb, actor, field, value, unit:
                                 management.unpin_contact(kb, actor, field, unit))


# ----- abbreviations ---------------------------------------------------------------------
@staff_only
async def abbreviations(request: web.Request) -> web.Response:
    rows = [[key, expansion or "— (bỏ qua từ này khi hiểu câu hỏi)", post_button(request, "/admin/abbreviations/remove", "Xoá", f"Xoá «{key}»?",
                                          {"key": key})]
            for key, expansion in request.app[KB_KEY].abbreviations().items()]
    content = join([
        h("p", "Từ viết tắt giúp bot hiểu câu hỏi, ví dụ «sđt» = «số điện thoại». Nhập lại một từ để sửa nghĩa."),
        render("abbreviation_form.html", csrf=csrf_input(request)),
        table(["Viết tắt", "Nghĩa đầy đủ", ""], rows, "Bảng từ viết tắt"),
    ])
    return admin_page(request, "Từ viết tắt", content)


@staff_only
async def abbreviation_set(request: web.Request) -> web.Response:
    form = request[FORM_KEY]
    try:
        await staff_write(request, management.set_abbreviation, _actor(request), str(form.get("key", "")),
                          str(form.get("expansion", "")))
        flash(request, f"Đã lưu «{form.get('key', '')}».")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/abbreviations")


@staff_only
async def abbreviation_remove(request: web.Request) -> web.Response:
    try:
        await staff_write(request, management.remove_abbreviation, _actor(request), str(request[FORM_KEY].get("key", "")))
        flash(request, "Đã xoá từ viết tắt.")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/abbreviations")


# ----- synonyms --------------------------------------------------------------------------
@staff_only
async def synonyms(request: web.Request) -> web.Response:
    rows = [[str(group_id), " | ".join(phrases),
             post_button(request, "/admin/synonyms/remove", "Xoá", f"Xoá nhóm số {group_id}?", {"id": str(group_id)})]
            for group_id, phrases in request.app[KB_KEY].synonyms()]
    content = join([
        h("p", "Các cụm từ cùng nghĩa, ví dụ «thành lập | ra đời»: câu hỏi dùng một cụm sẽ tìm được bài viết "
               "dùng cụm khác. Dùng cho bộ trả lời mới (answer_engine = \"fitted\")."),
        render("synonym_form.html", csrf=csrf_input(request)),
        table(["Số", "Các cụm từ cùng nghĩa", ""], rows, "Bảng từ đồng nghĩa"),
    ])
    return admin_page(request, "Từ đồng nghĩa", content)


@staff_only
async def synonyms_add(request: web.Request) -> web.Response:
    try:
        group_id = await staff_write(request, management.add_synonyms, _actor(request),
                                     str(request[FORM_KEY].get("phrases", "")))
        flash(request, f"Đã thêm nhóm từ đồng nghĩa số {group_id}.")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/synonyms")


@staff_only
async def synonyms_remove(request: web.Request) -> web.Response:
    group_id = whole_number(request[FORM_KEY].get("id", ""))
    try:
        if group_id is None:
            raise management.ManagementError("Số nhóm không hợp lệ.")
        await staff_write(request, management.remove_synonyms, _actor(request), group_id)
        flash(request, "Đã xoá nhóm từ đồng nghĩa.")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther("/admin/synonyms")


def _aged_contacts(request: web.Request) -> Markup:
    """Contact values in use from sources older than ``[knowledge] facts_checked_after`` and not pinned:
    confirm one (pin it) or correct it, each in one click, back on this page."""
    after = request.app.get(FACTS_CHECKED_AFTER_KEY, fact_age.DEFAULT_CHECKED_AFTER)
    aged = fact_age.aged_contacts(request.app[KB_KEY], after)
    if not aged:
        return Markup("")
    rows = []
    for number, c in enumerate(aged):
        fields = {"field": c.field, "unit": c.unit, "back": "dashboard"}
        correct = h("form", csrf_input(request), *(h("input", type="hidden", name=k, value=v) for k, v in fields.items()),
                    h("input", type="hidden", name="pin", value="on"),
                    h("label", f"Giá trị đúng của {FIELD_LABELS_VI[c.field]}", for_=f"aged-{number}", class_="sr-only"),
                    h("input", name="value", id=f"aged-{number}", value=c.value, required=True,
                      maxlength="300"),
                    h("button", "Sửa và ghim", type="submit"), method="post", action="/admin/contacts", class_="inline")
        rows.append([c.unit, FIELD_LABELS_VI[c.field], c.value,
                     f"{c.source_title or 'cán bộ nhập'} ({format_date(c.source_date)})",
                     join([post_button(request, "/admin/contacts/pin", "Xác nhận (ghim)",
                                       fields={**fields, "value": c.value}, css="button"), correct])])
    return h("section", h("h2", f"Liên hệ có thể đã cũ ({len(aged)})"),
             h("p", f"Các giá trị này lấy từ bài đăng trước {format_date(after)} (ví dụ địa chỉ còn ghi «quận», "
                    "trong khi cấp quận, huyện đã bỏ từ 01/07/2025). Hãy xác nhận giá trị còn đúng (ghim) hoặc sửa lại."),
             table(["Đơn vị", "Trường", "Giá trị", "Nguồn", ""], rows, "Liên hệ cần xác nhận"),
             class_="panel aged-contacts")


@staff_only
async def dashboard(request: web.Request) -> web.Response:
    labels = {"articles": "Bài viết", "passages": "Đoạn văn", "faqs": "Câu hỏi thường gặp",
              "contacts": "Giá trị liên hệ", "abbreviations": "Từ viết tắt", "query_log": "Câu hỏi đã nhận"}
    stats = request.app[KB_KEY].stats()
    cards = [h("li", h("span", stats[key], class_="number"), h("span", label)) for key, label in labels.items()]
    content = join([h("ul", *cards, class_="stats"), _aged_contacts(request), _try_box(request, ""),
                    h("p", "Mọi thay đổi có hiệu lực ngay với bot đang chạy, không cần khởi động lại.")])
    return admin_page(request, "Tổng quan", content)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/admin", dashboard)
    router.add_get("/admin/", dashboard)
    router.add_get("/admin/articles", articles)
    router.add_post("/admin/articles/upload", article_upload)
    router.add_post(r"/admin/articles/{id:\d+}/delete", article_delete)
    router.add_get("/admin/faqs", faqs)
    router.add_get("/admin/faqs/new", faq_new)
    router.add_post("/admin/faqs/new", faq_new)
    router.add_get("/admin/faqs/export.csv", faq_export)
    router.add_post("/admin/faqs/import", faq_import)
    router.add_get(r"/admin/faqs/{id:\d+}", faq_edit)
    router.add_post(r"/admin/faqs/{id:\d+}", faq_edit)
    router.add_post(r"/admin/faqs/{id:\d+}/delete", faq_delete)
    router.add_get("/admin/contacts", contacts)
    router.add_post("/admin/contacts", contact_set)
    router.add_post("/admin/contacts/pin", contact_pin)
    router.add_post("/admin/contacts/unpin", contact_unpin)
    router.add_get("/admin/abbreviations", abbreviations)
    router.add_post("/admin/abbreviations", abbreviation_set)
    router.add_post("/admin/abbreviations/remove", abbreviation_remove)
    router.add_get("/admin/synonyms", synonyms)
    router.add_post("/admin/synonyms", synonyms_add)
    router.add_post("/admin/synonyms/remove", synonyms_remove)
