"""Staff area over real HTTP: login, roles, CSRF, escaping, and every knowledge-base page,
checked against what the running bot answers; plus the staff CLI commands."""
from __future__ import annotations

import re
import sqlite3
from html import unescape


from bot.cli import main
from handlers.conversation import Conversation
from bot.web import users
from knowledge import audit
from knowledge.ingest.parsing import MAX_FILE_BYTES
from web_support import PASSWORD, csrf, csrf_of, login, upload_form

ARTICLE = ("Tiêu đề: Hội thảo công nghệ nuôi tôm siêu thâm canh năm 2026\nNgày đăng: 20/11/2026\n\n"
           "Ngày 20/11/2026, Sở tổ chức hội thảo công nghệ nuôi tôm siêu thâm canh tại quận Ô Môn "
           "với 120 hộ nuôi tôm tham dự. Mô hình nuôi tôm siêu thâm canh đạt năng suất 40 tấn mỗi hecta.\n")


# ----- login, sessions, roles ------------------------------------------------------------
async def test_admin_pages_need_login(client):
    response = await client.get("/admin/faqs", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/admin/login?next=/admin/faqs")


async def test_login_sets_a_hardened_session_cookie(client):
    response = await login(client, "lan")
    assert response.status == 303 and response.headers["Location"] == "/admin"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    page = await client.get("/admin")
    assert "lan (cán bộ)" in await page.text()
    assert page.headers["Cache-Control"] == "no-store" and "unsafe-inline" not in page.headers["Content-Security-Policy"]


async def test_wrong_password_and_rate_limit(client):
    for _ in range(5):
        response = await login(client, "lan", "sai-mat-khau")
        assert response.status == 401
        assert "không đúng" in await response.text()
    response = await login(client, "lan")  # right password, but locked for a while
    assert response.status == 429 and "quá nhiều lần" in await response.text()


async def test_forged_session_cookie_is_ignored(client, sample_kb):
    client.session.cookie_jar.update_cookies({"kb_session": "eyJ1IjoicXVhbnRyaSJ9.forged"})
    response = await client.get("/admin/users", allow_redirects=False)
    assert response.status == 303


async def test_staff_cannot_open_admin_only_pages(staff):
    for path in ("/admin/users", "/admin/audit", "/admin/queries"):
        response = await staff.get(path)
        assert response.status == 403 and "chỉ dành cho quản trị viên" in await response.text()
    token = await csrf(staff)
    response = await staff.post("/admin/users", data={"csrf": token, "name": "moi", "role": "admin",
                                                      "password": "12345678x"})
    assert response.status == 403
    assert "/admin/users" not in await (await staff.get("/admin")).text()  # not in the menu either


async def test_admin_manages_users_and_sees_audit_log(admin, sample_kb):
    token = await csrf(admin, "/admin/users")
    response = await admin.post("/admin/users", data={"csrf": token, "name": "minh", "role": "staff",
                                                      "password": "mat-khau-moi"})
    assert "Đã tạo tài khoản «minh»" in await response.text()
    assert users.authenticate(sample_kb, "minh", "mat-khau-moi").role == "staff"
    await admin.post("/admin/users/minh/update", data={"csrf": token, "role": "admin", "password": ""})
    assert users.get(sample_kb, "minh").role == "admin"
    await admin.post("/admin/users/minh/remove", data={"csrf": token})
    assert users.get(sample_kb, "minh") is None
    html = await (await admin.get("/admin/audit")).text()
    assert "user.add" in html and "user.remove" in html and "web:quantri" in html


async def test_missing_or_wrong_csrf_token_changes_nothing(staff, sample_kb):
    before = len(sample_kb.faqs())
    for data in ({}, {"csrf": "sai"}):
        response = await staff.post("/admin/faqs/new", data={**data, "question": "Câu hỏi?", "answer": "Đáp."})
        assert response.status == 403 and "CSRF" in await response.text()
    assert len(sample_kb.faqs()) == before


async def test_logout_ends_the_session(staff):
    response = await staff.post("/admin/logout", data={"csrf": await csrf(staff)})
    assert "Bạn đã đăng xuất" in await response.text()
    assert (await staff.get("/admin", allow_redirects=False)).status == 303


# ----- FAQs ------------------------------------------------------------------------------
async def test_added_faq_is_answered_at_once_and_audited(staff, sample_kb):
    conversation = Conversation(sample_kb)
    assert conversation.answer("Sở có chỗ gửi xe máy không?").kind != "faq"
    response = await staff.post("/admin/faqs/new", data={
        "csrf": await csrf(staff), "question": "Sở có chỗ gửi xe máy không?",
        "alternates": "gửi xe ở đâu\nbãi giữ xe của Sở", "answer": "Có, bãi giữ xe miễn phí phía sau trụ sở."})
    assert "Đã thêm câu hỏi" in await response.text()
    reply = conversation.answer("bãi giữ xe của sở")
    assert reply.kind == "faq" and reply.answered and "miễn phí" in reply.text
    api = await (await staff.post("/api/ask", json={"question": "Sở có chỗ gửi xe máy không?"})).json()
    assert "miễn phí" in api["text"]
    entry = audit.entries(sample_kb)[0]
    assert entry["actor"] == "web:lan" and entry["action"] == "faq.add"
    assert entry["after"]["alternates"] == ["gửi xe ở đâu", "bãi giữ xe của Sở"]


async def test_duplicate_faq_is_refused_with_the_form_kept(staff, sample_kb):
    token = await csrf(staff)
    await staff.post("/admin/faqs/new", data={"csrf": token, "question": "Giờ làm việc của Sở?", "answer": "7 giờ."})
    response = await staff.post("/admin/faqs/new", data={"csrf": token, "question": "gio lam viec cua so",
                                                         "answer": "Khác."})
    html = await response.text()
    assert response.status == 400 and "đã có trong câu hỏi thường gặp" in html and 'value="gio lam viec cua so"' in html
    assert len(sample_kb.faqs()) == 1


async def test_edit_and_delete_faq(staff, sample_kb):
    token = await csrf(staff)
    await staff.post("/admin/faqs/new", data={"csrf": token, "question": "Giờ làm việc?", "answer": "7 giờ."})
    faq = sample_kb.faqs()[0]
    assert "7 giờ." in await (await staff.get(f"/admin/faqs/{faq.id}")).text()
    await staff.post(f"/admin/faqs/{faq.id}", data={"csrf": token, "question": "Giờ làm việc?",
                                                    "alternates": "", "answer": "Từ 7 giờ đến 17 giờ."})
    assert sample_kb.faqs()[0].answer == "Từ 7 giờ đến 17 giờ."
    assert audit.entries(sample_kb)[0]["before"]["answer"] == "7 giờ."
    await staff.post(f"/admin/faqs/{faq.id}/delete", data={"csrf": token})
    assert sample_kb.faqs() == []


async def test_values_are_html_escaped(staff):
    await staff.post("/admin/faqs/new", data={"csrf": await csrf(staff), "question": "<script>alert(1)</script>?",
                                              "answer": '"><img src=x>'})
    html = await (await staff.get("/admin/faqs")).text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


async def test_try_box_shows_answer_score_and_source(staff):
    html = await (await staff.get("/admin/faqs", params={"try": "Số điện thoại của Sở là gì?"})).text()
    assert "Điểm" in html and "thông tin liên hệ" in html and "0292" in html and "Nguồn" in html


async def test_csv_export_and_import(staff, sample_kb):
    token = await csrf(staff)
    await staff.post("/admin/faqs/new", data={"csrf": token, "question": "Giờ làm việc?", "answer": "7 giờ.",
                                              "alternates": "mấy giờ mở cửa"})
    exported = await (await staff.get("/admin/faqs/export.csv")).read()
    assert exported.startswith("\ufeffquestion,alternates,answer".encode())
    csv = exported.decode("utf-8-sig").replace("7 giờ.", "7 giờ sáng.") + "Phí thẩm định?,lệ phí|chi phí,Miễn phí.\r\n"
    response = await staff.post("/admin/faqs/import", data=upload_form(token, "file", [("faq.csv", csv.encode())]))
    assert "1 thêm mới, 1 cập nhật" in await response.text()
    assert [f.answer for f in sample_kb.faqs()] == ["7 giờ sáng.", "Miễn phí."]


async def test_malformed_csv_reports_lines_and_imports_nothing(staff, sample_kb):
    csv = 'question,alternates,answer\nA?,,Có.\nB?,thiếu cột\n"C?,,không đóng ngoặc\n'
    response = await staff.post("/admin/faqs/import",
                                data=upload_form(await csrf(staff), "file", [("faq.csv", csv.encode())]))
    html = await response.text()
    assert response.status == 400 and "Dòng 3" in html and "Dòng 4" in html
    assert sample_kb.faqs() == []


# ----- articles --------------------------------------------------------------------------
async def test_upload_reports_each_file_and_the_bot_answers_at_once(staff, sample_kb):
    conversation = Conversation(sample_kb)
    question = "Hội thảo nuôi tôm siêu thâm canh có bao nhiêu hộ tham dự?"
    assert "120 hộ" not in conversation.answer(question).text
    response = await staff.post("/admin/articles/upload", data=upload_form(await csrf(staff), "files", [
        ("hoi-thao-tom.txt", ARTICLE.encode()), ("bao-cao.pdf", b"%PDF-1.4"),
        ("qua-lon.txt", b"a" * (MAX_FILE_BYTES + 10))]))
    html = await response.text()
    assert "thêm mới</strong> hoi-thao-tom.txt" in html
    assert "bao-cao.pdf" in html and "định dạng không hỗ trợ" in html
    assert "qua-lon.txt" in html and "tệp quá lớn" in html
    assert sample_kb.find_article("upload:hoi-thao-tom.txt")
    assert "120 hộ" in conversation.answer(question).text


async def test_upload_form_over_the_total_limit_is_refused_in_vietnamese(staff, sample_kb):
    before = sample_kb.stats()["articles"]
    response = await staff.post("/admin/articles/upload", data=upload_form(await csrf(staff), "files", [
        (f"bai-{i}.txt", ARTICLE.encode() + b" " * MAX_FILE_BYTES) for i in range(7)]))
    assert response.status == 413 and "quá lớn" in await response.text()
    assert sample_kb.stats()["articles"] == before


async def test_view_and_delete_article(staff, sample_kb):
    article = sample_kb.articles()[0]
    page = unescape(await (await staff.get(f"/admin/articles/{article['id']}")).text())
    assert sample_kb.article(article["id"])["passages"][0] in page
    await staff.post(f"/admin/articles/{article['id']}/delete", data={"csrf": await csrf(staff)})
    assert sample_kb.article(article["id"]) is None
    assert audit.entries(sample_kb)[0]["before"]["title"] == article["title"]
    assert (await staff.get("/admin/articles/999999")).status == 404


async def test_article_search(staff, sample_kb):
    page = unescape(await (await staff.get("/admin/articles", params={"q": "xăng dầu"})).text())
    found = {a["title"] for a in sample_kb.articles("xăng dầu")}
    others = {a["title"] for a in sample_kb.articles()} - found
    assert found and others
    assert all(t in page for t in found) and not any(t in page for t in others)


# ----- contacts and abbreviations --------------------------------------------------------
async def test_pinned_contact_wins_at_once(staff, sample_kb):
    response = await staff.post("/admin/contacts", data={"csrf": await csrf(staff), "unit": "", "field": "hotline",
                                                         "value": "0292 1234 567", "pin": "on"})
    assert "Đã lưu thông tin liên hệ" in await response.text()
    assert sample_kb.resolve_contacts()["hotline"].value == "0292 1234 567"
    assert "0292 1234 567" in await (await staff.get("/")).text()
    await staff.post("/admin/contacts/unpin", data={"csrf": await csrf(staff), "field": "hotline", "value": "",
                                                    "unit": ""})
    assert not sample_kb.resolve_contacts()["hotline"].pinned


async def test_bad_contact_field_is_refused(staff, sample_kb):
    response = await staff.post("/admin/contacts", data={"csrf": await csrf(staff), "field": "zalo", "value": "x"})
    assert "Trường liên hệ không hợp lệ" in await response.text()


async def test_abbreviations_set_and_remove(staff, sample_kb):
    token = await csrf(staff)
    await staff.post("/admin/abbreviations", data={"csrf": token, "key": "stkt", "expansion": "sáng tạo kỹ thuật"})
    assert sample_kb.abbreviations()["stkt"] == "sáng tạo kỹ thuật"
    await staff.post("/admin/abbreviations/remove", data={"csrf": token, "key": "stkt"})
    assert "stkt" not in sample_kb.abbreviations()


async def test_synonym_groups_add_and_remove_with_an_audit_trail(staff, sample_kb):
    token = await csrf(staff)
    await staff.post("/admin/synonyms", data={"csrf": token, "phrases": "nghiệm thu | đánh giá kết quả"})
    group_id, phrases = sample_kb.synonyms()[-1]
    assert phrases == ["nghiệm thu", "đánh giá kết quả"]
    page = await staff.post("/admin/synonyms", data={"csrf": token, "phrases": "chỉ một cụm"})
    assert "từ 2 đến" in await page.text()
    await staff.post("/admin/synonyms/remove", data={"csrf": token, "id": str(group_id)})
    assert group_id not in dict(sample_kb.synonyms())
    actions = [r[0] for r in sample_kb.conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["synonyms.add", "synonyms.remove"]


# ----- CLI -------------------------------------------------------------------------------
def run(*argv) -> int:
    return main(list(argv))


def test_cli_add_user_contacts_abbrev_and_backup(tmp_path, capsys, monkeypatch):
    import io
    db = str(tmp_path / "kb.sqlite")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert run("admin", "add-user", "hoa", "--role", "admin", "--password-stdin", "--db", db) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert run("admin", "add-user", "hoa2", "--password-stdin", "--db", db) == 2
    assert "ít nhất 8 ký tự" in capsys.readouterr().err
    assert run("kb", "contacts", "set", "phone", "0292 3820 674", "--db", db) == 0
    assert run("kb", "contacts", "pin", "phone", "--db", db) == 0
    assert run("kb", "abbrev", "set", "stkt", "sáng tạo kỹ thuật", "--db", db) == 0
    assert run("kb", "contacts", "set", "fax", "", "--db", db) == 2
    capsys.readouterr()
    assert run("kb", "contacts", "list", "--db", db) == 0
    assert "📌✓" in capsys.readouterr().out
    assert run("kb", "abbrev", "remove", "khong-co", "--db", db) == 2
    backup = tmp_path / "copy" / "backup.sqlite"
    assert run("kb", "backup", str(backup), "--db", db) == 0
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT name, role FROM web_users").fetchall() == [("hoa", "admin")]
    assert copy.execute("SELECT COUNT(*) FROM abbreviations WHERE key = 'stkt'").fetchone() == (1,)
    assert copy.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] >= 4
    assert run("kb", "backup", db, "--db", db) == 2


def _admin_routes(app):
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/admin") and path not in ("/admin/login", "/admin/logout") and route.method != "HEAD":
            values = {"name": "lan", "format": "csv"}  # any other {parameter}: 1
            yield route.method, re.sub(r"\{(\w+)[^}]*\}", lambda m: values.get(m.group(1), "1"), path), route.handler


async def test_every_admin_route_enforces_its_role_on_the_server(client, sample_kb):
    routes = list(_admin_routes(client.server.app))
    assert len(routes) > 20
    unguarded = [path for _, path, handler in routes if not hasattr(handler, "required_role")]
    assert not unguarded
    for method, path, _ in routes:  # nobody logged in
        response = await client.request(method, path, allow_redirects=False)
        assert response.status == (303 if method == "GET" else 403), (method, path)
    assert (await login(client, "lan")).status == 303
    for method, path, handler in routes:
        if handler.required_role == "admin":  # a staff member, even with a valid CSRF token
            data = {"csrf": await csrf(client, "/admin")} if method == "POST" else None
            response = await client.request(method, path, data=data, allow_redirects=False)
            assert response.status == 403, (method, path)


async def test_session_cookie_is_secure_behind_an_https_proxy(client):
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    response = await client.post("/admin/login", data={"name": "lan", "password": PASSWORD, "csrf": token},
                                 headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    cookie = response.headers.getall("Set-Cookie")[-1]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
