"""Web chat page and JSON API over real HTTP: answers with sources, limits and bad input."""
from __future__ import annotations

import json
import re

import pytest

from handlers import texts
from handlers.starters import Starters
from knowledge.contacts import DEPARTMENT
from web_support import start_client


@pytest.fixture
async def client(sample_kb):
    client = await start_client(sample_kb)
    yield client
    await client.close()


async def test_chat_page_shows_department_contacts_and_chips(client, sample_kb):
    response = await client.get("/")
    html = await response.text()
    assert response.status == 200
    assert DEPARTMENT in html and 'lang="vi"' in html
    phone = sample_kb.resolve_contacts("department")["phone"].value
    assert phone in html and f'href="tel:{re.sub(r"[^0-9+]", "", phone)}"' in html
    starters = Starters(sample_kb).questions()  # the contacts it holds, then its newest topics
    assert starters[:2] == texts.EXAMPLE_QUESTIONS[:2] and any(q.startswith("Về: ") for q in starters)
    for question in starters:
        assert f'data-question="{question}"' in html
    assert '<label for="question">' in html


async def test_chat_page_has_no_inline_code_and_no_external_assets(client):
    response = await client.get("/")
    html = await response.text()
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in html and "style=" not in html and " on" + "click" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert (await client.get(asset)).status == 200


async def test_api_ask_answers_with_source(client):
    response = await client.post("/api/ask", json={"question": "Hội thi sáng tạo kỹ thuật giải nhất bao nhiêu tiền?",
                                                   "session": "t1"})
    body = await response.json()
    assert response.status == 200
    assert set(body) >= {"question", "answered", "kind", "text", "score", "source", "suggestions", "log_id"}
    assert body["answered"] and body["source"]["title"] in body["text"]


async def test_api_ask_contact_question_has_contact_card(client, sample_kb):
    body = await (await client.post("/api/ask", json={"question": "Số điện thoại của Sở là gì?"})).json()
    assert body["kind"] == "contact"
    phone = sample_kb.resolve_contacts("department")["phone"].value
    assert {"label": "Điện thoại", "value": phone} in body["contact_card"]


async def test_page_without_javascript_answers_by_query(client):
    html = await (await client.get("/", params={"q": "Email của Sở là gì?"})).text()
    assert 'class="msg user"' in html and "sokhcn@cantho.gov.vn" in html and 'class="source"' in html


async def test_page_without_javascript_links_the_refusals_phone_and_email(client, sample_kb):
    html = await (await client.get("/", params={"q": "Giá vàng hôm nay bao nhiêu?"})).text()
    contacts = sample_kb.resolve_contacts("department")
    phone, email = contacts["phone"].value, contacts["email"].value
    refusal = html[html.index("Xin lỗi, tôi chưa có thông tin"):]
    assert f'Điện thoại: <a href="tel:{re.sub(r"[^0-9]", "", phone)}">{phone}</a>' in refusal
    assert f'Email: <a href="mailto:{email}">{email}</a>' in refusal


@pytest.mark.parametrize("body, message", [
    (b"{not json", "không phải JSON"),
    (b"\xff\xfe", "không phải JSON"),
    (json.dumps({"question": 42}).encode(), "question"),
    (json.dumps(["a"]).encode(), "question"),
])
async def test_api_ask_rejects_bad_input(client, body, message):
    response = await client.post("/api/ask", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_api_ask_too_long_question_gets_the_limit_message(client):
    body = await (await client.post("/api/ask", json={"question": "a" * 600})).json()
    assert body["kind"] == "notice" and not body["answered"]
    assert "600 ký tự" in body["text"] and "500" in body["text"]


async def test_api_ask_oversized_body_is_refused_in_vietnamese(client):
    response = await client.post("/api/ask", json={"question": "x" * 70_000})
    assert response.status == 413
    assert "quá lớn" in (await response.json())["error"]


async def test_unknown_page_is_a_vietnamese_404_with_headers(client):
    response = await client.get("/khong-co")
    assert response.status == 404
    assert "Không tìm thấy trang" in await response.text()
    assert "Content-Security-Policy" in response.headers


async def test_healthz_unchanged(client):
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json())["database"] == "ok"


async def test_privacy_page_says_what_is_kept_for_how_long_and_how_to_have_it_deleted(client):
    page = await (await client.get("/")).text()
    assert 'href="/privacy"' in page and "không kèm danh tính" in page
    privacy = await client.get("/privacy")
    assert privacy.status == 200
    text = await privacy.text()
    assert "Nghị định 13/2023/NĐ-CP" in text and "sau 365 ngày" in text  # [logs] retention_days
    assert "logs forget" in text and "0292.3820674" in text
