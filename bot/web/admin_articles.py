"""Staff pages of one article: view its passages, edit its title, date and web address, retire
it (kept, but never answered from) or bring it back, delete it.

Every change goes through :mod:`knowledge.management`, so it is validated, audit-logged and used
by the running bot at once.
"""
from __future__ import annotations

from aiohttp import web

from handlers.conversation import format_date
from knowledge import management
from knowledge.local_time import LABEL, vietnam_time

from .auth import staff_only
from .pages import admin_page, csrf_input, flash, path_id, post_button, staff_write
from .state import FORM_KEY, KB_KEY, USER_KEY
from .templating import h, join, render

RETIRED_NOTE = "Bài này đã ngừng dùng: bot không trả lời từ bài này cho đến khi được dùng lại."


def _article(request: web.Request) -> dict:
    article = request.app[KB_KEY].article(path_id(request))
    if article is None:
        raise web.HTTPNotFound()
    return article


def _page(request: web.Request, article: dict, values: dict | None = None, error: str = "",
          status: int = 200) -> web.Response:
    """The article page; ``values``: what was typed into the edit form (kept when refused)."""
    path = f"/admin/articles/{article['id']}"
    values = values or {"title": article["title"], "url": article["url"] or "",
                        "date": format_date(article["published"]) if article["published"] else ""}
    meta = h("dl", h("dt", "Ngày đăng"), h("dd", format_date(article["published"])),
             h("dt", "Nguồn"), h("dd", article["source"]), h("dt", f"Nhập lúc ({LABEL})"),
             h("dd", vietnam_time(article["imported_at"])),
             *([h("dt", "Địa chỉ web"), h("dd", article["url"])] if article["url"] else []),
             *([h("dt", "Lấy theo"), h("dd", article["origin"])] if article.get("origin") else []),
             h("dt", "Trạng thái"), h("dd", "ngừng dùng" if article["retired"] else "đang dùng"), class_="meta")
    if article["retired"]:
        state = join([h("p", RETIRED_NOTE, class_="notice error"),
                      post_button(request, f"{path}/restore", "Dùng lại", css="button")])
    else:
        confirm = f"Ngừng dùng bài «{article['title']}»? Bài vẫn được giữ lại và có thể dùng lại."
        state = post_button(request, f"{path}/retire", "Ngừng dùng", confirm, css="button secondary")
    form = render("article_form.html", action=f"{path}/edit", csrf=csrf_input(request), title=values["title"],
                  date=values["date"], url=values["url"], max_title=management.MAX_TITLE_CHARS,
                  max_url=management.MAX_URL_CHARS)
    passages = h("ol", *(h("li", text) for text in article["passages"]), class_="passages")
    content = join([meta, state, form, h("h2", f"Các đoạn ({len(article['passages'])})"), passages,
                    post_button(request, f"{path}/delete", "Xoá bài này", f"Xoá bài «{article['title']}»?",
                                css="danger"),
                    h("p", h("a", "← Danh sách bài viết", href="/admin/articles"))])
    return admin_page(request, article["title"], content, status, ("error", error) if error else None)


@staff_only
async def article_view(request: web.Request) -> web.Response:
    return _page(request, _article(request))


@staff_only
async def article_edit(request: web.Request) -> web.Response:
    article = _article(request)
    form = request[FORM_KEY]
    values = {key: str(form.get(key, "")) for key in ("title", "date", "url")}
    try:
        changed = await staff_write(request, lambda kb: management.edit_article(
            kb, f"web:{request[USER_KEY].name}", article["id"], **values))
    except management.ManagementError as exc:
        return _page(request, article, values, str(exc), 400)
    flash(request, "Đã lưu thông tin bài viết. Bot dùng nó ngay từ bây giờ." if changed else "Không có gì thay đổi.")
    raise web.HTTPSeeOther(f"/admin/articles/{article['id']}")


async def _set_retired(request: web.Request, retired: bool) -> web.Response:
    article_id = path_id(request)
    try:
        title = await staff_write(request, management.retire_article, f"web:{request[USER_KEY].name}", article_id, retired)
        flash(request, f"Đã ngừng dùng bài «{title}»." if retired else f"Đã dùng lại bài «{title}».")
    except management.ManagementError as exc:
        flash(request, str(exc), "error")
    raise web.HTTPSeeOther(f"/admin/articles/{article_id}")


@staff_only
async def article_retire(request: web.Request) -> web.Response:
    return await _set_retired(request, True)


@staff_only
async def article_restore(request: web.Request) -> web.Response:
    return await _set_retired(request, False)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(r"/admin/articles/{id:\d+}", article_view)
    router.add_post(r"/admin/articles/{id:\d+}/edit", article_edit)
    router.add_post(r"/admin/articles/{id:\d+}/retire", article_retire)
    router.add_post(r"/admin/articles/{id:\d+}/restore", article_restore)
