"""Admin pages over the query log, over real HTTP: the filtered log and its CSV/JSON export,
unanswered groups turned into FAQs or ignored, statistics charts (empty and 10,000 rows),
role enforcement, and 👍/👎 from the web chat through /api/feedback."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html import unescape
from xml.etree import ElementTree

import pytest

from bot.web import charts
from bot.web.admin_logs import stats_charts
from handlers.conversation import Conversation, ConversationConfig
from handlers.messages import IncomingMessage
from knowledge import querylog
from support import ROOT
from web_support import csrf

ADMIN_PAGES = ("/admin/logs", "/admin/logs/export.csv", "/admin/logs/export.json", "/admin/unanswered",
               "/admin/stats", "/admin/queries")
SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def ask(kb, text: str, channel: str = "web", user: str = "dan"):
    conversation = Conversation(kb, ConversationConfig(rate_limit_messages=1000))
    return conversation.respond(IncomingMessage(channel, user, user, text))[0]


def old_row(kb, question: str, days_ago: int, **extra) -> int:
    ts = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).isoformat()
    return kb.log_query(ts=ts, channel=extra.pop("channel", "zalo"), user_hash="h", question=question,
                        normalized=question, kind=extra.pop("kind", "fallback"), answered=extra.pop("answered", 0),
                        response_ms=3.0, **extra)


def logged_at(kb, ts: str, question: str) -> int:
    return kb.log_query(ts=ts, channel="zalo", user_hash="h", question=question, normalized=question,
                        kind="fallback", answered=0)


def chart_descriptions(html: str) -> dict[str, str]:
    """Each chart of the statistics page, by its heading: the chart's description."""
    return {unescape(heading): unescape(desc) for heading, desc in re.findall(
        r'<section class="chart-box"><h2>(.*?)</h2>.*?<desc[^>]*>(.*?)</desc>', html, re.S)}


def table_questions(html: str) -> list[str]:
    """The «Câu hỏi» column of the log table."""
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    return [unescape(row.split("<td>")[3].split("</td>")[0]) for row in body.split("<tr>")[1:]]


# ----- roles -----------------------------------------------------------------------------
async def test_staff_gets_403_on_every_log_page(staff):
    for path in ADMIN_PAGES:
        response = await staff.get(path)
        assert response.status == 403, path
        assert "chỉ dành cho quản trị viên" in await response.text()
    token = await csrf(staff)
    response = await staff.post("/admin/unanswered/ignore", data={"csrf": token, "key": "1"})
    assert response.status == 403
    menu = await (await staff.get("/admin")).text()
    assert "/admin/logs" not in menu and "/admin/stats" not in menu


async def test_log_pages_need_login(client):
    for path in ADMIN_PAGES:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith("/admin/login"), path


async def test_old_queries_address_moves_to_the_logs_page(admin):
    response = await admin.get("/admin/queries", allow_redirects=False)
    assert response.status == 301 and response.headers["Location"] == "/admin/logs"


# ----- logs and export -------------------------------------------------------------------
async def test_logs_page_filters(admin, sample_kb):
    ask(sample_kb, "sđt sở", channel="zalo")
    ask(sample_kb, "giá vàng hôm nay", channel="telegram")
    ask(sample_kb, "địa chỉ sở khcn ở đâu", channel="web")
    old_row(sample_kb, "câu hỏi tháng trước", 40)
    html = await (await admin.get("/admin/logs")).text()
    assert len(table_questions(html)) == 4 and "Nhật ký câu hỏi" in html and "4 câu hỏi" in html
    cases = {"channel=telegram": ["giá vàng hôm nay"], "answered=0": ["giá vàng hôm nay", "câu hỏi tháng trước"],
             "q=%C4%91%E1%BB%8Ba+ch%E1%BB%89": ["địa chỉ sở khcn ở đâu"], "kind=contact&channel=zalo": ["sđt sở"],
             f"until={(dt.date.today() - dt.timedelta(days=30)).isoformat()}": ["câu hỏi tháng trước"],
             f"since={dt.date.today().isoformat()}&answered=1": ["địa chỉ sở khcn ở đâu", "sđt sở"]}
    for query, expected in cases.items():
        html = await (await admin.get(f"/admin/logs?{query}")).text()
        assert table_questions(html) == expected, query
    html = await (await admin.get("/admin/logs?since=31/01/2026")).text()
    assert "năm-tháng-ngày" in html and len(table_questions(html)) == 4  # a bad date is said and ignored


async def test_filter_dates_and_chart_days_are_vietnam_days(admin, sample_kb):
    logged_at(sample_kb, "2026-11-01T16:30:00+00:00", "giá vàng hôm nay")  # 23:30 on 1 November, Vietnam time
    logged_at(sample_kb, "2026-11-01T17:30:00+00:00", "điểm chuẩn đại học cần thơ")  # 00:30 on 2 November
    html = unescape(await (await admin.get("/admin/logs?since=2026-11-01&until=2026-11-01")).text())
    assert table_questions(html) == ["giá vàng hôm nay"] and "Từ ngày (giờ Việt Nam)" in html
    html = await (await admin.get("/admin/logs?since=2026-11-02&until=2026-11-02")).text()
    assert table_questions(html) == ["điểm chuẩn đại học cần thơ"]
    rows = list(csv.DictReader(io.StringIO((await (await admin.get(
        "/admin/logs/export.csv?since=2026-11-02")).read()).decode("utf-8-sig"))))
    assert [r["ts (giờ Việt Nam)"] for r in rows] == ["2026-11-02 00:30:00"]
    html = await (await admin.get("/admin/stats?since=2026-11-01&until=2026-11-02")).text()
    per_day = chart_descriptions(html)["Số câu hỏi mỗi ngày theo kênh"]
    assert per_day.startswith("2 ngày, từ 01/11 đến 02/11; tổng 2 câu hỏi, nhiều nhất 1 câu")
    assert chart_descriptions(await (await admin.get("/admin/stats?until=2026-11-01")).text())[
        "Số câu hỏi mỗi ngày theo kênh"].startswith("1 ngày, từ 01/11 đến 01/11; tổng 1 câu hỏi")
    html = await (await admin.get("/admin/unanswered?since=2026-11-02")).text()
    assert "điểm chuẩn" in html and "giá vàng" not in html


async def test_stats_count_article_sources_contacts_and_faqs_apart(admin, sample_kb):
    sample_kb.add_faq("Thủ tục đăng ký nhãn hiệu thế nào?", ["thủ tục đăng ký nhãn hiệu"],
                      "Nộp hồ sơ tại Cục Sở hữu trí tuệ.")
    for question in ("hội nghị giao ban lần 13 ngày nào", "sđt sở", "số fax của sở", "số điện thoại sở khcn",
                     "thủ tục đăng ký nhãn hiệu"):
        ask(sample_kb, question)
    charts_ = chart_descriptions(await (await admin.get("/admin/stats")).text())
    assert charts_["Bài viết dùng nhiều nhất"] == \
        "Hội nghị giao ban KH&CN cấp quận, huyện thành phố Cần Thơ lần XIII: 1."
    assert charts_["Liên hệ được hỏi nhiều nhất"] == "Điện thoại: 2; Fax: 1."
    assert charts_["Câu hỏi thường gặp dùng nhiều nhất"] == "Thủ tục đăng ký nhãn hiệu thế nào?: 1."


async def test_logs_feedback_filter_and_pagination(admin, sample_kb):
    for i in range(60):
        old_row(sample_kb, f"câu hỏi số {i}", 1, answered=1, kind="faq", feedback=1 if i % 3 == 0 else None)
    page1 = await (await admin.get("/admin/logs")).text()
    assert len(table_questions(page1)) == 50 and "Trang 1/2" in page1
    next_link = unescape(re.search(r'href="([^"]*page=2[^"]*)"', page1).group(1))
    page2 = await (await admin.get(next_link)).text()
    assert len(table_questions(page2)) == 10 and "← Mới hơn" in page2
    rated = await (await admin.get("/admin/logs?feedback=1")).text()
    assert len(table_questions(rated)) == 20 and "👍" in rated
    assert len(table_questions(await (await admin.get("/admin/logs?feedback=0")).text())) == 40
    assert "Chưa có dữ liệu" in await (await admin.get("/admin/logs?feedback=-1")).text()


async def test_csv_export_has_bom_vietnamese_and_only_filtered_rows(admin, sample_kb):
    ask(sample_kb, "Lịch thi bằng lái xe thế nào?", channel="zalo")
    ask(sample_kb, "sđt sở, số của tôi 0912345678", channel="telegram")
    old_row(sample_kb, "thủ tục đăng ký nhãn hiệu", 10)
    page = await (await admin.get("/admin/logs?channel=zalo")).text()
    link = unescape(re.search(r'href="(/admin/logs/export\.csv[^"]*)"', page).group(1))
    assert "Tải CSV" in page and "channel=zalo" in link
    response = await admin.get(link)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["question"] for r in rows] == ["Lịch thi bằng lái xe thế nào?", "thủ tục đăng ký nhãn hiệu"]
    assert set(rows[0]) == set(querylog.CSV_HEADER) and "ts (giờ Việt Nam)" in rows[0]
    rows = list(csv.DictReader(io.StringIO((await (await admin.get(
        "/admin/logs/export.csv?channel=telegram")).read()).decode("utf-8-sig"))))
    assert rows[0]["question"] == "sđt sở, số của tôi [số điện thoại]"  # masked in the log, masked in the file
    lines = (await (await admin.get("/admin/logs/export.json?answered=0&channel=zalo")).text()).splitlines()
    assert {json.loads(line)["question"] for line in lines} == {"Lịch thi bằng lái xe thế nào?",
                                                                 "thủ tục đăng ký nhãn hiệu"}


# ----- unanswered groups -----------------------------------------------------------------
async def test_unanswered_group_becomes_faq_and_disappears(admin, sample_kb):
    for text in ("lịch thi bằng lái xe", "lich thi bang lai xe", "Lịch thi bằng lái xe?"):
        ask(sample_kb, text, channel="zalo")
    ask(sample_kb, "giá vàng hôm nay")
    html = await (await admin.get("/admin/unanswered")).text()
    assert "Lịch thi bằng lái xe?" in html and "lich thi bang lai xe" in html and "giá vàng hôm nay" in html
    assert html.index("giá vàng hôm nay") < html.index("Lịch thi bằng lái xe?")  # newest group first
    links = re.findall(r'href="(/admin/faqs/new\?group=\d+)"[^>]*>Tạo câu hỏi thường gặp', html)
    form = await (await admin.get(links[1])).text()  # the work-hours group
    assert 'value="Lịch thi bằng lái xe?"' in form and 'name="group"' in form
    alternates = unescape(re.search(r'<textarea id="alternates"[^>]*>(.*?)</textarea>', form, re.S).group(1))
    assert alternates.splitlines() == ["lich thi bang lai xe", "lịch thi bằng lái xe"]
    group = re.search(r'name="group" value="(\d+)"', form).group(1)
    response = await admin.post("/admin/faqs/new", data={
        "csrf": await csrf(admin), "group": group, "question": "Lịch thi bằng lái xe?", "alternates": alternates,
        "answer": "Từ thứ Hai đến thứ Sáu, sáng 7 giờ – 11 giờ, chiều 13 giờ – 17 giờ."})
    html = await response.text()
    assert str(response.url).endswith("/admin/unanswered") and "3 câu hỏi của người dân" in html
    assert "lich thi bang lai xe" not in html and "giá vàng hôm nay" in html
    faq_id = sample_kb.faqs()[-1].id
    resolutions = {r["question"]: r["resolution"] for r in querylog.rows(sample_kb)}
    assert resolutions == {"lịch thi bằng lái xe": f"faq:{faq_id}", "lich thi bang lai xe": f"faq:{faq_id}",
                           "Lịch thi bằng lái xe?": f"faq:{faq_id}", "giá vàng hôm nay": None}
    assert ask(sample_kb, "lịch thi bằng lái xe là khi nào").answered  # and the bot now answers it


async def test_ignore_hides_a_group(admin, sample_kb):
    ask(sample_kb, "giá vàng hôm nay")
    ask(sample_kb, "gia vang hom nay")
    ask(sample_kb, "điểm chuẩn đại học cần thơ")
    html = await (await admin.get("/admin/unanswered")).text()
    keys = re.findall(r'name="key" value="(\d+)"', html)
    assert len(keys) == 2
    response = await admin.post("/admin/unanswered/ignore", data={"csrf": await csrf(admin), "key": keys[1]})
    html = await response.text()
    assert "Đã bỏ qua nhóm" in html and "(2 câu hỏi)" in html
    assert re.findall(r'name="key" value="(\d+)"', html) == [keys[0]]
    assert [g.question for g in querylog.unanswered_groups(sample_kb)] == ["điểm chuẩn đại học cần thơ"]
    response = await admin.post("/admin/unanswered/ignore", data={"csrf": await csrf(admin), "key": "999999"})
    assert "Không tìm thấy nhóm" in await response.text()
    response = await admin.post("/admin/unanswered/ignore", data={"key": keys[0]})  # no CSRF token
    assert response.status == 403 and len(querylog.unanswered_groups(sample_kb)) == 1


async def test_staff_faq_form_ignores_a_group_key(staff, sample_kb):
    ask(sample_kb, "giá vàng hôm nay")
    [group] = querylog.unanswered_groups(sample_kb)
    form = await (await staff.get(f"/admin/faqs/new?group={group.key}")).text()
    assert 'name="group"' not in form and "giá vàng" not in form
    await staff.post("/admin/faqs/new", data={"csrf": await csrf(staff), "group": str(group.key),
                                              "question": "Giá vàng hôm nay?", "answer": "Sở không theo dõi giá vàng."})
    assert len(querylog.unanswered_groups(sample_kb)) == 1  # only admins resolve groups


# ----- statistics ------------------------------------------------------------------------
def assert_valid_svgs(html: str, count: int) -> list[ElementTree.Element]:
    svgs = SVG.findall(html)
    assert len(svgs) == count
    parsed = [ElementTree.fromstring(svg) for svg in svgs]
    for svg in parsed:
        ns = "{http://www.w3.org/2000/svg}"
        assert svg.find(f"{ns}title").text and svg.find(f"{ns}desc").text
        assert svg.get("width") == "100%" and svg.get("viewBox").startswith("0 0 ")
        assert "style" not in ElementTree.tostring(svg, encoding="unicode")  # the CSP forbids inline style
    return parsed


async def test_stats_page_with_an_empty_log(admin):
    html = await (await admin.get("/admin/stats")).text()
    assert "Thống kê" in html
    assert_valid_svgs(html, 8)
    assert html.count("Chưa có dữ liệu") >= 8


async def test_stats_page_with_ten_thousand_rows(admin, sample_kb):
    sample_kb.add_faq("Thủ tục đăng ký nhãn hiệu thế nào?", ["thủ tục đăng ký nhãn hiệu"],
                      "Nộp hồ sơ tại Cục Sở hữu trí tuệ.")  # so that every chart has data
    conversation = Conversation(sample_kb, ConversationConfig(rate_limit_messages=1000))
    written = querylog.demo(sample_kb, conversation.answer, days=50, per_day=400)
    assert written >= 10_000
    response = await admin.get("/admin/stats")
    html = await response.text()
    assert response.status == 200 and f">{written}<" in html
    svgs = assert_valid_svgs(html, 8)
    ns = "{http://www.w3.org/2000/svg}"
    columns = svgs[0].findall(f".//{ns}rect")
    assert len(columns) > 50 * 2  # one per day and channel, plus the legend
    assert svgs[1].find(f"{ns}polyline") is not None
    assert "Chưa có dữ liệu" not in html
    week = (dt.date.today() - dt.timedelta(days=6)).isoformat()
    html = await (await admin.get(f"/admin/stats?since={week}")).text()
    assert "7 ngày" in html or "8 ngày" in html  # the range filter narrows the charts


def test_charts_escape_labels_and_survive_odd_input():
    hostile = '<script>alert("x")</script> & "Sở"'
    for svg in (charts.stacked_columns(hostile, ["2026-01-01"], {hostile: [3]}),
                charts.share_line(hostile, ["2026-01-01"], [0.5]),
                charts.horizontal_bars(hostile, [(hostile, 2), ("khác", 0)])):
        assert "<script>" not in svg
        ElementTree.fromstring(svg)
    assert "Chưa có dữ liệu" in charts.stacked_columns("x", ["2026-01-01"], {"web": [0]})
    assert "Chưa có dữ liệu" in charts.horizontal_bars("x", [])


def test_stats_charts_from_an_empty_log(empty_kb):
    for _, svg in stats_charts(querylog.stats(empty_kb)):
        ElementTree.fromstring(svg)


# ----- web chat feedback -----------------------------------------------------------------
async def test_feedback_only_from_the_asking_session(client, sample_kb):
    answer = await (await client.post("/api/ask", json={"question": "sđt sở", "session": "phien-a"})).json()
    assert answer["answered"] and answer["log_id"]
    other = await client.post("/api/feedback", json={"log_id": answer["log_id"], "value": -1, "session": "phien-b"})
    assert other.status == 200 and "Không ghi nhận" in (await other.json())["text"]
    assert querylog.rows(sample_kb)[0]["feedback"] is None
    mine = await client.post("/api/feedback", json={"log_id": answer["log_id"], "value": 1, "session": "phien-a"})
    assert "Cảm ơn" in (await mine.json())["text"]
    assert querylog.rows(sample_kb)[0]["feedback"] == 1
    await client.post("/api/feedback", json={"log_id": answer["log_id"], "value": -1, "session": "phien-a"})
    assert querylog.rows(sample_kb)[0]["feedback"] == -1  # one may change one's mind


@pytest.mark.parametrize("payload, word", [
    ({"log_id": 1, "value": 2, "session": "s"}, "value"), ({"log_id": 1, "value": True, "session": "s"}, "value"),
    ({"log_id": 1, "value": 1.0, "session": "s"}, "value"), ({"log_id": "1", "value": 1, "session": "s"}, "log_id"),
    ({"log_id": 0, "value": 1, "session": "s"}, "log_id"), ({"value": 1, "session": "s"}, "log_id"),
    ({"log_id": 1, "value": 1}, "session"), (["x"], "log_id"), ("khong-phai-json", "JSON")])
async def test_feedback_bad_input_is_a_400_in_vietnamese(client, sample_kb, payload, word):
    answer = await (await client.post("/api/ask", json={"question": "sđt sở", "session": "s"})).json()
    body = payload if isinstance(payload, str) else json.dumps(payload)
    response = await client.post("/api/feedback", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    error = (await response.json())["error"]
    assert word in error and any(w in error for w in ("Thiếu", "phải là", "không phải JSON"))
    assert querylog.rows(sample_kb)[0]["id"] == answer["log_id"] and querylog.rows(sample_kb)[0]["feedback"] is None


async def test_thumbs_down_reason_is_stored_and_shown_in_the_log_and_csv(client, admin, sample_kb):
    answer = await (await client.post("/api/ask", json={"question": "sđt sở", "session": "phien-a"})).json()
    base = {"log_id": answer["log_id"], "session": "phien-a"}
    other = await client.post("/api/feedback", json={**base, "session": "phien-b", "value": -1, "reason": "unclear"})
    assert "Không ghi nhận" in (await other.json())["text"] and (await other.json())["recorded"] is False
    assert querylog.rows(sample_kb)[0]["feedback_reason"] is None
    response = await client.post("/api/feedback", json={**base, "value": -1, "reason": "wrong_info"})
    assert response.status == 200 and (await response.json())["recorded"] is True
    assert "cho biết lý do" in (await response.json())["text"]
    [row] = querylog.rows(sample_kb)
    assert row["feedback"] == -1 and row["feedback_reason"] == "wrong_info"
    assert "👎 (sai thông tin)" in await (await admin.get("/admin/logs")).text()
    [line] = list(csv.DictReader(io.StringIO((await (await admin.get("/admin/logs/export.csv")).read())
                                             .decode("utf-8-sig"))))
    assert line["feedback"] == "-1" and line["feedback_reason"] == "wrong_info"
    await client.post("/api/feedback", json={**base, "value": 1})
    assert querylog.rows(sample_kb)[0]["feedback_reason"] is None  # a new rating replaces the reason
    await client.post("/api/feedback", json={**base, "value": -1, "reason": "off_topic"})
    assert querylog.feedback_reasons(sample_kb, [answer["log_id"]]) == {answer["log_id"]: "off_topic"}
    assert querylog.forget_user(sample_kb, row["user_hash"]) == 1
    assert querylog.feedback_reasons(sample_kb, [answer["log_id"]]) == {}  # deleted with the row


async def test_the_chat_page_gives_its_script_the_one_list_of_reasons(client):
    html = await (await client.get("/")).text()
    given = json.loads(unescape(re.search(r'data-feedback-reasons="([^"]*)"', html).group(1)))
    assert given == [[code, label] for code, label in querylog.FEEDBACK_REASON_LABELS.items()]
    script = (ROOT / "bot" / "web" / "static" / "chat.js").read_text(encoding="utf-8").casefold()
    assert not [label for label in querylog.FEEDBACK_REASON_LABELS.values() if label in script]


@pytest.mark.parametrize("payload", [
    {"value": -1, "reason": "sai"}, {"value": -1, "reason": 1}, {"value": -1, "reason": ["unclear"]},
    {"value": 1, "reason": "unclear"}])
async def test_feedback_with_a_wrong_reason_is_a_400(client, sample_kb, payload):
    answer = await (await client.post("/api/ask", json={"question": "sđt sở", "session": "s"})).json()
    response = await client.post("/api/feedback", json={"log_id": answer["log_id"], "session": "s", **payload})
    assert response.status == 400 and "reason" in (await response.json())["error"]
    assert querylog.rows(sample_kb)[0]["feedback"] is None


async def test_feedback_for_an_unknown_row_is_not_recorded(client):
    response = await client.post("/api/feedback", json={"log_id": 10 ** 30, "value": 1, "session": "s"})
    assert response.status == 200 and "Không ghi nhận" in (await response.json())["text"]


async def test_unanswered_since_filter(admin, sample_kb):
    old_row(sample_kb, "câu hỏi cũ về học bổng", 40)
    ask(sample_kb, "giá vàng hôm nay")
    since = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    html = await (await admin.get(f"/admin/unanswered?since={since}")).text()
    assert "giá vàng hôm nay" in html and "học bổng" not in html and 'name="until"' not in html
    assert "học bổng" in await (await admin.get("/admin/unanswered")).text()
