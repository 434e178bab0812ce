"""Query and path parameters of the staff area out of range, over HTTP as a logged-in admin: a page
number, a date or an id that no row can have is a 400 or 404 page in Vietnamese, never a 500."""
from __future__ import annotations

import logging
from html import unescape

import pytest

from web_support import csrf

HUGE = "9" * 23
PAGE_ERROR = "Số trang không hợp lệ"
DATE_ERROR = "Ngày phải có dạng năm-tháng-ngày"


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def page(client, path: str, status: int, method: str = "GET", **kwargs) -> str:
    response = await client.request(method, path, **kwargs)
    text = unescape(await response.text())
    assert response.status == status, (path, response.status, text[:300])
    assert response.content_type == "text/html"
    return text


@pytest.mark.parametrize("path", ["/admin/logs", "/admin/audit"])
@pytest.mark.parametrize("value", [HUGE, "1000001", "0", "-3", "abc", "٣"])
async def test_a_page_number_out_of_range_is_a_400_page(admin, path, value, errors):
    text = await page(admin, f"{path}?page={value}", 400)
    assert PAGE_ERROR in text
    assert errors() == []
    await page(admin, f"{path}?page=2", 200)


@pytest.mark.parametrize("path", ["/admin/logs", "/admin/stats", "/admin/logs/export.csv",
                                  "/admin/logs/export.json", "/admin/unanswered"])
@pytest.mark.parametrize("query", ["until=9999-12-31", "since=9999-12-31", "since=0001-01-01",
                                   "until=31/12/2026", "until=2026-02-30"])
async def test_a_date_out_of_range_is_a_400_page(admin, path, query, errors):
    if path == "/admin/unanswered" and query.startswith("until"):
        query = "since" + query[len("until"):]
    text = await page(admin, f"{path}?{query}", 400)
    assert DATE_ERROR in text and "1900" in text
    assert errors() == []
    if "export" not in path:
        await page(admin, f"{path}?since=2026-01-01", 200)


@pytest.mark.parametrize("path", [f"/admin/articles/{HUGE}", "/admin/articles/9223372036854775808"])
async def test_an_id_no_row_can_have_is_a_404_page(admin, path, errors):
    assert "Không tìm thấy" in await page(admin, path, 404)
    assert errors() == []


@pytest.mark.parametrize("path", [f"/admin/articles/{HUGE}/delete", f"/admin/faqs/{HUGE}/delete"])
async def test_posting_to_an_id_no_row_can_have_is_a_404_page(admin, path, errors):
    token = await csrf(admin)
    await page(admin, path, 404, "POST", data={"csrf": token, "question": "Câu hỏi?", "answer": "Đáp."})
    assert errors() == []
