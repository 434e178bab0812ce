"""Real-browser tests: headless Chromium (Debian's chromium + chromium-driver) driven by
Selenium against the app served in-process on an ephemeral 127.0.0.1 port, with a fresh
sample knowledge base for each test. Skipped, with the reason, only where no Chromium exists;
``make test`` installs it.

Set WEB_SCREENSHOTS=/some/dir to keep a screenshot of every page visited by the page tour, and
WRITE_SCREENSHOTS=1 to write again the pictures of the documentation (docs/screenshots/*.png):

    WRITE_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/test_browser.py -k "keyboard_up or same_chat"
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from aiohttp import web

from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from knowledge import handover, querylog
from support import ROOT
from web_support import PASSWORD, add_user, make_app

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    webdriver = None

_missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
pytestmark = pytest.mark.skipif(
    webdriver is None or bool(_missing),
    reason=f"browser tests need selenium and Debian's chromium + chromium-driver (missing: "
           f"{', '.join(_missing) or 'selenium'}); `make test` installs them with apt-get")

ARTICLE = ("Tiêu đề: Hội thảo công nghệ nuôi tôm siêu thâm canh năm 2026\nNgày đăng: 20/11/2026\n\n"
           "Ngày 20/11/2026, Sở tổ chức hội thảo công nghệ nuôi tôm siêu thâm canh tại quận Ô Môn "
           "với 120 hộ nuôi tôm tham dự. Mô hình nuôi tôm siêu thâm canh đạt năng suất 40 tấn mỗi hecta.\n")


class LiveServer:
    """The web app in its own thread and event loop, so that blocking Selenium calls can reach it."""

    def __init__(self, kb):
        self.kb, self.ready = kb, threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        self.runner = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self.url

    async def _start(self) -> web.AppRunner:
        runner = web.AppRunner(make_app(self.kb), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return runner

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-test-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={profile}", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def site(sample_kb, browser):
    add_user(sample_kb, "lan", "staff")
    add_user(sample_kb, "quantri", "admin")
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every test starts logged out
    with LiveServer(sample_kb) as url:
        yield url


def wait(driver, condition, timeout: float = 10):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def bot_messages(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#log .msg.bot")


def ask_in_chat(driver, url: str, question: str):
    """Type a question on the chat page, press Enter, and return the new answer bubble."""
    if not driver.current_url.startswith(url + "/") or "/admin" in driver.current_url:
        driver.get(url + "/")
    before = len(bot_messages(driver))
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(bot_messages(d)) > before)
    return bot_messages(driver)[-1]


def log_in(driver, url: str, name: str) -> None:
    driver.get(url + "/admin/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver, lambda d: d.current_url.rstrip("/").endswith("/admin"))


@contextlib.contextmanager
def phone_screen(driver, width: int, height: int):
    """A phone's screen of ``width``×``height`` CSS pixels (exactly: a window would add its own frame)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def documentation_screenshot(driver, name: str) -> None:
    """With WRITE_SCREENSHOTS=1, the screen as docs/screenshots/<name>.png (shown in the guides)."""
    if os.environ.get("WRITE_SCREENSHOTS") == "1":
        driver.save_screenshot(str(DOC_SCREENSHOTS / f"{name}.png"))


def csp_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "Content Security Policy" in e["message"]]


def test_citizen_asks_and_sees_answer_with_source(site, browser):
    reply = ask_in_chat(browser, site, "Hội thi sáng tạo kỹ thuật giải nhất bao nhiêu tiền?")
    assert reply.find_element(By.CSS_SELECTOR, ".text").text.strip()
    assert reply.find_element(By.CSS_SELECTOR, ".source").text.startswith("Nguồn:")
    assert browser.find_elements(By.CSS_SELECTOR, "#log .msg.user")[-1].text.startswith("Hội thi")
    browser.find_element(By.CSS_SELECTOR, ".composer .chip[data-question='Số điện thoại của Sở là gì?']").click()
    wait(browser, lambda d: bot_messages(d)[-1].find_elements(By.CSS_SELECTOR, ".card a[href^='tel:']"))
    assert browser.switch_to.active_element.get_attribute("id") == "question"  # focus back for the next question
    assert csp_errors(browser) == []


def test_staff_adds_faq_and_web_chat_answers_with_it(site, browser):
    log_in(browser, site, "lan")
    browser.get(site + "/admin/faqs/new")
    browser.find_element(By.ID, "question").send_keys("Sở có chỗ gửi xe máy không?")
    browser.find_element(By.ID, "alternates").send_keys("bãi giữ xe của Sở")
    browser.find_element(By.ID, "answer").send_keys("Có, bãi giữ xe miễn phí phía sau trụ sở.")
    browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait(browser, lambda d: "Đã thêm câu hỏi" in d.find_element(By.CSS_SELECTOR, ".notice").text)
    reply = ask_in_chat(browser, site, "bãi giữ xe của sở ở đâu")
    assert "miễn phí phía sau trụ sở" in reply.text
    assert "Câu hỏi thường gặp" in reply.find_element(By.CSS_SELECTOR, ".source").text


def test_staff_uploads_article_and_question_is_answered(site, browser, tmp_path):
    path = tmp_path / "hoi-thao-nuoi-tom.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    log_in(browser, site, "lan")
    browser.get(site + "/admin/articles")
    browser.find_element(By.ID, "files").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form[action='/admin/articles/upload'] button").click()
    result = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".report li.result"))[0]
    assert "thêm mới" in result.text and "hoi-thao-nuoi-tom.txt" in result.text
    reply = ask_in_chat(browser, site, "Hội thảo nuôi tôm siêu thâm canh có bao nhiêu hộ tham dự?")
    assert "120 hộ" in reply.text
    assert "Hội thảo công nghệ nuôi tôm siêu thâm canh" in reply.find_element(By.CSS_SELECTOR, ".source").text


def test_staff_cannot_open_admin_only_pages(site, browser):
    log_in(browser, site, "lan")
    menu = browser.find_element(By.CSS_SELECTOR, "nav").text
    assert "Bài viết" in menu and "Tài khoản" not in menu and "Nhật ký thay đổi" not in menu
    assert "Thống kê" not in menu and "Nhật ký câu hỏi" not in menu
    for path in ("/admin/users", "/admin/audit", "/admin/logs", "/admin/unanswered", "/admin/stats"):
        browser.get(site + path)
        assert "chỉ dành cho quản trị viên" in browser.find_element(By.CSS_SELECTOR, ".notice.error").text
        assert not browser.find_elements(By.CSS_SELECTOR, "svg.chart, table")


def seed_demo_log(kb) -> int:
    conversation = Conversation(kb, ConversationConfig(rate_limit_messages=1000))
    return querylog.demo(kb, conversation.answer, days=30, per_day=40)


def test_admin_sees_logs_unanswered_and_stats_pages(site, browser, sample_kb):
    seed_demo_log(sample_kb)
    log_in(browser, site, "quantri")
    browser.find_element(By.LINK_TEXT, "Nhật ký câu hỏi").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "tbody tr")) == 50
    Select(browser.find_element(By.ID, "f-channel")).select_by_value("web")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser, lambda d: "channel=web" in d.current_url)
    channels = {row.find_elements(By.TAG_NAME, "td")[1].text for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert channels == {"web (mẫu)"}  # the rows of `logs demo` are marked
    assert "channel=web" in browser.find_element(By.LINK_TEXT, "Tải CSV").get_attribute("href")
    browser.find_element(By.LINK_TEXT, "Chưa trả lời được").click()
    groups = browser.find_elements(By.CSS_SELECTOR, ".groups .group")
    assert groups and "Tạo câu hỏi thường gặp" in groups[0].text
    question = groups[0].find_element(By.CSS_SELECTOR, ".group-question").text
    groups[0].find_element(By.LINK_TEXT, "Tạo câu hỏi thường gặp").click()
    assert browser.find_element(By.ID, "question").get_attribute("value") == question
    browser.find_element(By.ID, "answer").send_keys("Xin mời liên hệ trực tiếp Sở để được hướng dẫn.")
    browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait(browser, lambda d: "đã được đánh dấu là đã trả lời" in d.find_element(By.CSS_SELECTOR, ".notice").text)
    remaining = [q.text for q in browser.find_elements(By.CSS_SELECTOR, ".group-question")]
    assert question not in remaining
    browser.find_element(By.LINK_TEXT, "Thống kê").click()
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 8 and all(c.size["width"] > 200 for c in charts)
    assert charts[0].find_elements(By.CSS_SELECTOR, "rect") and charts[1].find_elements(By.CSS_SELECTOR, "polyline")
    assert csp_errors(browser) == []


def test_citizen_rates_an_answer_in_the_web_chat(site, browser, sample_kb):
    reply = ask_in_chat(browser, site, "Số điện thoại của Sở là gì?")
    thumbs_up = reply.find_element(By.CSS_SELECTOR, "button[aria-label='Hữu ích']")
    assert reply.find_element(By.CSS_SELECTOR, "button[aria-label='Chưa hữu ích']")
    thumbs_up.click()
    note = wait(browser, lambda d: reply.find_element(By.CSS_SELECTOR, ".feedback-note").text)
    assert "Cảm ơn" in note and thumbs_up.get_attribute("aria-pressed") == "true"
    [row] = querylog.rows(sample_kb)
    assert row["feedback"] == 1 and row["channel"] == "web"
    unanswered = ask_in_chat(browser, site, "giá vàng hôm nay")
    assert not unanswered.find_elements(By.CSS_SELECTOR, ".feedback")  # nothing to rate


def test_page_tour_renders_every_page_without_csp_errors(site, browser, sample_kb, tmp_path):
    shots = Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    browser.get_log("browser")  # start from a clean console

    def shot(name: str) -> None:
        assert browser.execute_script("return document.readyState") == "complete"
        browser.save_screenshot(str(shots / f"{name}.png"))

    seed_demo_log(sample_kb)
    browser.set_window_size(412, 915)
    ask_in_chat(browser, site, "Số điện thoại của Sở là gì?")
    ask_in_chat(browser, site, "Hội thi sáng tạo kỹ thuật tổ chức mấy năm một lần?")
    shot("01-chat-mobile")
    browser.set_window_size(1280, 900)
    shot("01-chat-desktop")
    browser.get(site + "/admin/login")
    shot("02-login")
    log_in(browser, site, "quantri")
    article_id = sample_kb.articles()[0]["id"]
    browser.get(site + "/admin/faqs/new")
    browser.find_element(By.ID, "question").send_keys("Giờ làm việc của Sở?")
    browser.find_element(By.ID, "answer").send_keys("Từ thứ Hai đến thứ Sáu, 7 giờ đến 17 giờ.")
    browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    pages = [("03-dashboard", "/admin"), ("04-articles", "/admin/articles"),
             ("05-article", f"/admin/articles/{article_id}"),
             ("06-faqs-try", "/admin/faqs?try=Gi%E1%BB%9D%20l%C3%A0m%20vi%E1%BB%87c%20c%E1%BB%A7a%20S%E1%BB%9F%3F"),
             ("07-faq-new", "/admin/faqs/new"), ("08-contacts", "/admin/contacts"),
             ("09-abbreviations", "/admin/abbreviations"), ("10-users", "/admin/users"),
             ("11-audit", "/admin/audit"), ("12-logs", "/admin/logs"), ("13-unanswered", "/admin/unanswered"),
             ("14-stats", "/admin/stats"), ("15-not-found", "/admin/khong-co"), ("16-requests", "/admin/requests")]
    for name, path in pages:
        browser.get(site + path)
        assert browser.find_element(By.TAG_NAME, "h1").text
        shot(name)
    browser.set_window_size(412, 915)
    browser.get(site + "/admin/stats")
    shot("14-stats-mobile")
    assert csp_errors(browser) == []


def test_citizen_leaves_a_question_for_staff_and_reads_the_answer_in_the_same_chat(site, browser, sample_kb):
    refusal = ask_in_chat(browser, site, "Giá vàng hôm nay bao nhiêu?")
    before = len(bot_messages(browser))
    refusal.find_element(By.CSS_SELECTOR, f".chip[data-question='{texts.HANDOVER_BUTTON}']").click()
    wait(browser, lambda d: len(bot_messages(d)) > before)
    assert "Tôi đã chuyển câu hỏi «Giá vàng hôm nay bao nhiêu?» cho cán bộ Sở" in bot_messages(browser)[-1].text
    chat_tab = browser.current_window_handle
    browser.switch_to.new_window("tab")  # staff, in another tab (the chat keeps its session in its own)
    log_in(browser, site, "lan")
    browser.find_element(By.LINK_TEXT, "Chuyển cho cán bộ").click()
    card = browser.find_element(By.CSS_SELECTOR, ".request")
    assert "Giá vàng hôm nay bao nhiêu?" in card.text and "Trang hỏi đáp (web)" in card.text
    assert "chờ cán bộ trả lời" in card.text and "đã chờ" in card.text
    documentation_screenshot(browser, "admin-requests")
    card.find_element(By.CSS_SELECTOR, "textarea[name=answer]").send_keys("Sở không công bố giá vàng; mời bạn xem "
                                                                         "giá tại các ngân hàng.")
    card.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
    wait(browser, lambda d: "Đã lưu câu trả lời" in d.find_element(By.CSS_SELECTOR, ".notice").text)
    assert "chờ gửi" in browser.find_element(By.CSS_SELECTOR, ".request").text
    browser.find_element(By.LINK_TEXT, "Tạo câu hỏi thường gặp").click()
    assert browser.find_element(By.ID, "question").get_attribute("value") == "Giá vàng hôm nay bao nhiêu?"
    assert browser.find_element(By.ID, "answer").get_attribute("value").startswith("Sở không công bố giá vàng")
    assert csp_errors(browser) == []
    browser.close()
    browser.switch_to.window(chat_tab)
    # back on the chat tab, the page asks at once (visibilitychange), else within its 25-second poll
    answer = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#log .msg.bot.staff"), timeout=30)[0]
    assert answer.text.startswith("Cán bộ Sở Khoa học và Công nghệ thành phố Cần Thơ trả lời câu hỏi "
                                  "«Giá vàng hôm nay bao nhiêu?» của bạn:")
    assert "mời bạn xem giá tại các ngân hàng." in answer.text
    [request] = handover.listing(sample_kb, waiting_only=False)
    assert request.state == "delivered" and request.address is None
    with phone_screen(browser, 412, 915):
        browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", answer)
        documentation_screenshot(browser, "chat-answer-delivered")


def test_phone_with_keyboard_up_shows_the_newest_answer(site, browser):
    with phone_screen(browser, 412, 520):  # a phone with the on-screen keyboard up
        browser.get(site + "/")
        height = browser.execute_script("return window.innerHeight")
        assert height == 520
        reply = ask_in_chat(browser, site, "Hội thi sáng tạo kỹ thuật tổ chức mấy năm một lần?")
        log = browser.find_element(By.ID, "log").rect
        assert log["height"] >= 200, log
        box = browser.execute_script("var r = arguments[0].getBoundingClientRect();"
                                     "return {top: r.top, bottom: r.bottom};", reply)
        assert 0 <= box["top"] and box["bottom"] <= height, (box, height)
        assert log["y"] <= box["top"] and box["bottom"] <= log["y"] + log["height"] + 1
        assert browser.find_element(By.ID, "question").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".top h1").is_displayed()
        assert csp_errors(browser) == []
        documentation_screenshot(browser, "chat-phone-keyboard-up")


def test_on_a_touch_screen_focus_does_not_go_back_to_the_question_box(site, browser):
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        browser.get(site + "/")
        assert browser.execute_script("return matchMedia('(pointer: coarse)').matches")
        browser.find_element(By.CSS_SELECTOR, ".composer .chip[data-question='Số điện thoại của Sở là gì?']").click()
        wait(browser, lambda d: len(bot_messages(d)) > 1 and not d.find_element(By.ID, "send").get_attribute("disabled"))
        assert browser.switch_to.active_element.get_attribute("id") != "question"  # the keyboard stays down
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def test_refusal_phone_and_email_are_links_in_the_chat(site, browser, sample_kb):
    refusal = ask_in_chat(browser, site, "Giá vàng hôm nay bao nhiêu?")
    phone = sample_kb.resolve_contacts("department")["phone"].value
    tel = refusal.find_element(By.CSS_SELECTOR, ".text a[href^='tel:']")
    assert tel.text == phone and tel.get_attribute("href") == "tel:" + "".join(c for c in phone if c.isdigit())
    mail = refusal.find_element(By.CSS_SELECTOR, ".text a[href^='mailto:']")
    assert mail.get_attribute("href") == "mailto:" + mail.text and "@" in mail.text
    assert "Xin lỗi" in refusal.find_element(By.CSS_SELECTOR, ".text").text


def test_article_source_is_a_link_in_the_chat(site, browser):
    reply = ask_in_chat(browser, site, "Hội thi sáng tạo kỹ thuật tổ chức mấy năm một lần?")
    link = reply.find_element(By.CSS_SELECTOR, ".source a")
    assert link.tag_name == "a" and link.get_attribute("href").startswith("https://sokhcn.cantho.gov.vn/")
    assert link.text == "Cần Thơ khởi động Hội thi Sáng tạo kỹ thuật"
    assert reply.find_element(By.CSS_SELECTOR, ".source").text.startswith("Nguồn: ")


def test_thumbs_down_asks_what_was_wrong_with_big_buttons(site, browser, sample_kb):
    reply = ask_in_chat(browser, site, "Hội thi sáng tạo kỹ thuật tổ chức mấy năm một lần?")
    for button in reply.find_elements(By.CSS_SELECTOR, ".feedback button.rate"):
        assert button.size["width"] >= 44 and button.size["height"] >= 44, button.size
    reply.find_element(By.CSS_SELECTOR, "button[aria-label='Chưa hữu ích']").click()
    group = wait(browser, lambda d: reply.find_elements(By.CSS_SELECTOR, ".reasons"))[0]
    assert "Câu trả lời chưa ổn ở điểm nào?" in group.text
    reasons = group.find_elements(By.CSS_SELECTOR, "button.reason")
    assert [b.text for b in reasons] == ["Sai thông tin", "Không đúng câu hỏi", "Khó hiểu"]
    assert all(b.size["height"] >= 44 for b in reasons)
    reasons[2].click()
    wait(browser, lambda d: reasons[2].get_attribute("aria-pressed") == "true")
    assert "cho biết lý do" in reply.find_element(By.CSS_SELECTOR, ".feedback-note").text
    [row] = querylog.rows(sample_kb)
    assert row["feedback"] == -1 and row["feedback_reason"] == "unclear"
    assert all(b.get_attribute("disabled") for b in reasons)
    assert csp_errors(browser) == []
