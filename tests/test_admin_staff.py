"""Staff and admin tools (issue 14, part 3), over real HTTP and the CLI: an unanswered group an FAQ
already holds gets its wordings added to that FAQ; unanswered groups show the previous message and
leave noise out; contact facts older than ``facts_checked_after`` are flagged (dashboard, doctor) and
confirmed or corrected in one click; times in Vietnam time; demo log rows marked and removed; the
startup banner points at the admin."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

from bot.cli import main
from bot.runner import admin_banner
from bot.web import users
from knowledge import fact_age, management, querylog
from knowledge.text import fold
from support import ROOT
from test_doctor import doctor
from web_support import csrf


def unanswered(kb, question: str, minutes_ago: int = 5, user: str = "h", answered: int = 0) -> int:
    ts = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)).isoformat()
    return kb.log_query(ts=ts, channel="zalo", user_hash=user, question=question, normalized=fold(question),
                        kind="fallback", answered=answered, response_ms=3.0)


# ----- unanswered group already an FAQ ---------------------------------------------------
async def test_group_already_an_faq_adds_its_wordings_to_it(admin, sample_kb):
    faq_id = management.add_faq(sample_kb, "test", "Giờ làm việc của Sở?", [], "Thứ Hai đến thứ Sáu, 7:00–17:00.")
    unanswered(sample_kb, "giờ làm việc sở thế nào", 10)
    unanswered(sample_kb, "gio lam viec cua so", 5)
    html = unescape(await (await admin.get("/admin/unanswered")).text())
    assert f"Thêm các cách hỏi vào câu hỏi số {faq_id}" in html and "Đã có trong câu hỏi thường gặp" in html
    assert "/admin/faqs/new?group=" not in html
    key = re.search(r'action="/admin/unanswered/add-phrasings".*?name="key" value="(\d+)"', html, re.S).group(1)
    response = await admin.post("/admin/unanswered/add-phrasings", data={"key": key})  # no CSRF token
    assert response.status == 403 and management.find_faq(sample_kb, faq_id).alternates == []
    response = await admin.post("/admin/unanswered/add-phrasings", data={"csrf": await csrf(admin), "key": key})
    html = await response.text()
    assert str(response.url).endswith("/admin/unanswered") and "Đã thêm 1 cách hỏi" in html
    assert management.find_faq(sample_kb, faq_id).alternates == ["giờ làm việc sở thế nào"]
    assert not querylog.unanswered_groups(sample_kb)
    assert {r["resolution"] for r in querylog.rows(sample_kb)} == {f"faq:{faq_id}"}
    action, actor = sample_kb.conn.execute("SELECT action, actor FROM audit_log ORDER BY id DESC").fetchone()
    assert (action, actor) == ("faq.update", "web:quantri")
    response = await admin.post("/admin/unanswered/add-phrasings", data={"csrf": await csrf(admin), "key": key})
    assert "Không tìm thấy nhóm" in await response.text()


async def test_staff_cannot_add_phrasings_from_a_group(staff, sample_kb):
    management.add_faq(sample_kb, "test", "Giờ làm việc của Sở?", [], "Thứ Hai đến thứ Sáu.")
    key = unanswered(sample_kb, "gio lam viec cua so")
    response = await staff.post("/admin/unanswered/add-phrasings", data={"csrf": await csrf(staff), "key": str(key)})
    assert response.status == 403 and querylog.unanswered_groups(sample_kb)


# ----- previous message and noise --------------------------------------------------------
async def test_unanswered_groups_show_the_previous_message_and_drop_noise(admin, sample_kb):
    unanswered(sample_kb, "thủ tục đăng ký nhãn hiệu", 12, user="an", answered=1)
    unanswered(sample_kb, "cần giấy tờ gì", 10, user="an")
    unanswered(sample_kb, "điểm chuẩn đại học", 200, user="an")  # hours earlier: another conversation
    unanswered(sample_kb, "giá vàng hôm nay", 100, user="binh")
    for noise in ("?", "...", "asdfgh", "hjkl qwrt", "123 456", "!!!"):
        unanswered(sample_kb, noise, 3, user="chi")
    unanswered(sample_kb, "fax", 2, user="chi")  # a word the bot reads is not noise
    groups = {g.question: g for g in querylog.unanswered_groups(sample_kb)}
    assert set(groups) == {"fax", "cần giấy tờ gì", "giá vàng hôm nay", "điểm chuẩn đại học"}
    assert groups["cần giấy tờ gì"].previous == "thủ tục đăng ký nhãn hiệu"
    assert groups["giá vàng hôm nay"].previous is None and groups["điểm chuẩn đại học"].previous is None
    html = unescape(await (await admin.get("/admin/unanswered")).text())
    assert "Tin nhắn trước đó của người hỏi: <q>thủ tục đăng ký nhãn hiệu</q>" in html and "asdfgh" not in html


def test_cli_unanswered_prints_the_previous_message(sample_kb, capsys):
    unanswered(sample_kb, "thủ tục đăng ký nhãn hiệu", 12, user="an", answered=1)
    unanswered(sample_kb, "cần giấy tờ gì", 10, user="an")
    unanswered(sample_kb, "asdfgh", 5, user="an")
    assert main(["logs", "unanswered", "--db", sample_kb.path]) == 0
    out = capsys.readouterr().out
    assert "cần giấy tờ gì\n    ← trước đó: thủ tục đăng ký nhãn hiệu" in out and "asdfgh" not in out


# ----- contact facts that may have aged --------------------------------------------------
async def test_dashboard_flags_aged_contacts_and_pinning_confirms_one(staff, sample_kb):
    html = unescape(await (await staff.get("/admin")).text())
    assert "Liên hệ có thể đã cũ" in html and "quận Ninh Kiều" in html and "(15/03/2021)" in html
    address = sample_kb.resolve_contacts()["address"]
    response = await staff.post("/admin/contacts/pin", data={
        "csrf": await csrf(staff), "field": "address", "value": address.value, "unit": address.unit,
        "back": "dashboard"})
    assert str(response.url).endswith("/admin") and "Đã lưu thông tin liên hệ" in await response.text()
    assert sample_kb.resolve_contacts()["address"].pinned
    assert "address" not in {c.field for c in fact_age.aged_contacts(sample_kb) if c.unit == address.unit}


async def test_dashboard_corrects_an_aged_contact_in_one_click(staff, sample_kb):
    new = "Số 02 Lý Thường Kiệt, phường Ninh Kiều, thành phố Cần Thơ"
    response = await staff.post("/admin/contacts", data={
        "csrf": await csrf(staff), "field": "address", "value": new, "unit": "", "pin": "on", "back": "dashboard"})
    html = unescape(await response.text())
    assert str(response.url).endswith("/admin") and sample_kb.resolve_contacts()["address"].value == new
    assert "phường Tân An, quận Ninh Kiều" not in html.split("Liên hệ có thể đã cũ")[-1]
    action = sample_kb.conn.execute("SELECT action FROM audit_log ORDER BY id DESC").fetchone()[0]
    assert action == "contact.pin"


def test_aged_contacts_follow_the_date_and_pins(sample_kb):
    aged = fact_age.aged_contacts(sample_kb, "2025-07-01")
    assert {(c.field, c.source_date) for c in aged if c.unit.startswith("Sở")} >= {("address", "2021-03-15")}
    assert not [c for c in fact_age.aged_contacts(sample_kb, "2000-01-01") if c.source_date]
    for c in aged:
        management.pin_contact(sample_kb, "test", c.field, c.value, c.unit)
    assert fact_age.aged_contacts(sample_kb, "2025-07-01") == []


# ----- Vietnam time ----------------------------------------------------------------------
async def test_log_page_and_csv_show_vietnam_time_and_json_keeps_utc(admin, sample_kb):
    sample_kb.log_query(ts="2026-03-01T20:30:00+00:00", channel="web", user_hash="h", question="giá vàng hôm nay",
                        normalized="gia vang hom nay", kind="fallback", answered=0, response_ms=2.0)
    html = unescape(await (await admin.get("/admin/logs")).text())
    assert "Lúc (giờ Việt Nam)" in html and "2026-03-02 03:30:00" in html and "UTC" not in html
    assert "2026-03-02 03:30 (giờ Việt Nam)" in unescape(await (await admin.get("/admin/unanswered")).text())
    raw = (await (await admin.get("/admin/logs/export.csv")).read()).decode("utf-8-sig")
    header, row = raw.splitlines()[:2]
    assert header.split(",")[:2] == ["id", "ts (giờ Việt Nam)"] and ",2026-03-02 03:30:00," in row
    assert '"ts": "2026-03-01T20:30:00+00:00"' in await (await admin.get("/admin/logs/export.json")).text()
    assert querylog.rows(sample_kb)[0]["ts"] == "2026-03-01T20:30:00+00:00"  # stored in UTC
    assert "Lúc (giờ Việt Nam)" in await (await admin.get("/admin/audit")).text()


# ----- demo rows -------------------------------------------------------------------------
def test_logs_demo_rows_are_marked_and_removed_alone(sample_kb, capsys):
    real = sample_kb.log_query(channel="web", user_hash=sample_kb.hash_user("dan"), question="giá vàng",
                               normalized="gia vang", kind="fallback", answered=0)
    assert main(["logs", "demo", "--days", "3", "--db", sample_kb.path]) == 0
    demo_rows = [r for r in querylog.rows(sample_kb) if r["id"] != real]
    assert demo_rows and all(r["user_hash"].startswith(querylog.DEMO_USER) for r in demo_rows)
    capsys.readouterr()
    assert main(["logs", "demo", "--remove", "--db", sample_kb.path]) == 0
    assert f"Đã xóa {len(demo_rows)} câu hỏi mẫu" in capsys.readouterr().out
    assert [r["id"] for r in querylog.rows(sample_kb)] == [real]


async def test_demo_rows_are_marked_on_the_log_page(admin, sample_kb):
    sample_kb.log_query(channel="zalo", user_hash=querylog.DEMO_USER + "4", question="sđt sở", normalized="sdt so",
                        kind="contact", answered=1)
    assert "zalo (mẫu)" in await (await admin.get("/admin/logs")).text()


async def test_doctor_flags_aged_contacts_and_explains_a_bad_date(tmp_path):
    code, out = await doctor(tmp_path)
    assert code == 0 and "! Liên hệ: " in out and "cũ hơn 01/07/2025" in out and "quận Ninh Kiều" in out
    settings = tmp_path / "settings.toml"
    settings.write_text((ROOT / "settings.toml").read_text(encoding="utf-8").replace(
        'facts_checked_after = "2025-07-01"', 'facts_checked_after = "01/07/2025"'), encoding="utf-8")
    code, out = await doctor(tmp_path, SETTINGS_FILE=str(settings))
    assert code == 1 and "facts_checked_after phải là ngày dạng năm-tháng-ngày" in out


# ----- startup banner --------------------------------------------------------------------
def test_banner_says_where_the_admin_is_and_how_to_make_the_first_account(sample_kb):
    users.ensure_table(sample_kb)
    first = admin_banner(sample_kb, "http://127.0.0.1:8080")
    assert first.startswith("Trang quản trị: http://127.0.0.1:8080/admin")
    assert "python run_bot.py admin add-user TÊN --role admin" in first
    users.add(sample_kb, "test", "lan", "staff", "mat-khau-dung-1")
    assert "add-user" in admin_banner(sample_kb, "http://x")  # a staff account cannot manage accounts
    users.add(sample_kb, "test", "quantri", "admin", "mat-khau-dung-1")
    assert admin_banner(sample_kb, "http://x") == "Trang quản trị: http://x/admin"
