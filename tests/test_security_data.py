"""Issue 12, citizens' data: spreadsheet formulas in CSV exports, phone and ID numbers in the query
log, control characters and lone surrogates at the edge, personal data in DEBUG logs."""
from __future__ import annotations

import csv
import io
import json
import logging
import re

import pytest
from telegram import Update

from bot import logs
from bot.cli import main
from bot.channels.console import render
from handlers.conversation import mask_personal_data
from handlers.messages import IncomingMessage, Reply
from knowledge import management, querylog
from knowledge.csv_safe import restore_cell, safe_cell
from knowledge.faq_io import CsvError, read_csv, write_csv
from web_support import csrf, upload_form

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1:A9)"]


def logged_row(kb, log_id: int) -> dict:
    return next(kb.iter_rows("SELECT * FROM query_log WHERE id = ?", [log_id]))


def csv_rows(raw: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


# ----- 1. CSV formula injection ------------------------------------------------------------
@pytest.mark.parametrize("text", [*FORMULAS, "\tcmd", "\r=1", "'=1+1", "''@x"])
def test_cells_that_a_spreadsheet_would_evaluate_get_a_quote_and_lose_it_on_reading(text):
    assert safe_cell(text) == "'" + text
    assert restore_cell(safe_cell(text)) == text


@pytest.mark.parametrize("value", ["Giờ làm việc?", "'trích dẫn'", "a=b", "", -1, 0.5, None])
def test_other_cells_and_numbers_are_written_as_they_are(value):
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert restore_cell(value) == value


async def test_query_log_csv_export_over_http_neutralises_formulas_and_json_keeps_them(admin, sample_kb):
    for question in FORMULAS:
        response = await admin.post("/api/ask", json={"question": question, "session": "s1"})
        assert response.status == 200
    log_id = (await (await admin.post("/api/ask", json={"question": "sđt sở", "session": "s1"})).json())["log_id"]
    assert querylog.record_feedback(sample_kb, log_id, -1, sample_kb.hash_user("web:s1"))
    sample_kb.log_query(channel="zalo", user_hash="h", question="\t=cmd|' /C calc'!A0", normalized="cmd",
                        kind="fallback", answered=0)  # a row stored before the edge cleaned text
    rows = csv_rows(await (await admin.get("/admin/logs/export.csv")).read())
    questions = {row["question"] for row in rows}
    assert questions >= {"'" + q for q in FORMULAS} | {"'\t=cmd|' /C calc'!A0"}
    assert not [row for row in rows for cell in row.values() if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert [row["feedback"] for row in rows if row["question"] == "sđt sở"] == ["-1"]  # a number stays one
    lines = (await (await admin.get("/admin/logs/export.json")).text()).splitlines()
    assert {json.loads(line)["question"] for line in lines} >= set(FORMULAS)


def test_cli_logs_export_csv_neutralises_formulas(conversation, tmp_path, capsys):
    conversation.respond(IncomingMessage("web", "u", "u", FORMULAS[0]))
    out = tmp_path / "log.csv"
    assert main(["logs", "export", "--format", "csv", "-o", str(out), "--db", conversation.kb.path]) == 0
    [row] = csv_rows(out.read_bytes())
    assert row["question"] == "'" + FORMULAS[0]


async def test_faq_csv_export_over_http_neutralises_and_reimports_unchanged(staff, sample_kb):
    management.add_faq(sample_kb, "t", "=HYPERLINK(\"http://evil.example\",\"Phí?\")", ["@phí", "-lệ phí"],
                       "+84 là mã nước.")
    management.add_faq(sample_kb, "t", "'=trích dẫn?", [], "'giữ nguyên dấu nháy")
    exported = await (await staff.get("/admin/faqs/export.csv")).read()
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\",\"Phí?\")", "'@phí|-lệ phí", "'+84 là mã nước."]
    assert rows[2] == ["''=trích dẫn?", "", "'giữ nguyên dấu nháy"]
    response = await staff.post("/admin/faqs/import", data=upload_form(await csrf(staff), "file", [("faq.csv", exported)]))
    assert "0 thêm mới, 0 cập nhật, 2 không đổi" in await response.text()
    assert [(f.question, f.alternates, f.answer) for f in sample_kb.faqs()] == [
        ("=HYPERLINK(\"http://evil.example\",\"Phí?\")", ["@phí", "-lệ phí"], "+84 là mã nước."),
        ("'=trích dẫn?", [], "'giữ nguyên dấu nháy")]


# ----- 2. phone and ID numbers -------------------------------------------------------------
PHONES = ["0912345678", "0912 345 678", "0912.345.678", "0912-345-678", "091 234 5678", "0912 - 345 - 678",
          "+84 912 345 678", "+84912345678", "84912345678", "+84-912-345-678", "(+84) 912 345 678",
          "+84 (0) 912 345 678", "84 912.345.678", "(0292) 3820 674", "(0292) 3.820.674", "(0292)3820674",
          "0292 3820674", "0292.3820674", "0292-3820-674", "02923820674", "+84 292 3820 674",
          "0 9 1 2 3 4 5 6 7 8", "0166 123 4567"]
ID_NUMBERS = ["092123456789", "092 123 456 789", "092.123.456.789", "0 9 2 1 2 3 4 5 6 7 8 9"]
NOT_PHONES = ["năm 2025", "ngày 12/9/2024", "ngày 03.09.2024", "từ 09-12-2024 10:30", "Quyết định 1780/QĐ-UBND",
              "số 01/2024/QĐ-UBND", "1.837 đơn", "15 triệu", "100.000.000 đồng", "1.500.000.000 đồng",
              "84 đơn vị", "giải 840.000 đồng", "0,5 tỷ đồng", "hết 0.123456789 giây", "lần 13 năm 2024",
              "QCVN 01:2020/BKHCN", "giờ 7:30 - 11:30", "mã số thuế 1800123456"]


def log_question(conversation, text: str) -> dict:
    [reply] = conversation.respond(IncomingMessage("zalo", "c", "u", text))
    return logged_row(conversation.kb, reply.log_id)


@pytest.mark.parametrize("phone", PHONES)
def test_every_common_way_of_writing_a_phone_number_is_masked(conversation, phone):
    row = log_question(conversation, f"số của tôi {phone}, hỏi địa chỉ sở")
    assert row["question"] == "số của tôi [số điện thoại], hỏi địa chỉ sở"
    assert not re.search(r"\d", row["normalized"]), row["normalized"]


@pytest.mark.parametrize("number", ID_NUMBERS)
def test_citizen_id_numbers_are_masked(conversation, number):
    row = log_question(conversation, f"CCCD {number} làm thủ tục ở đâu")
    assert row["question"] == "CCCD [số CCCD] làm thủ tục ở đâu"
    assert not re.search(r"\d", row["normalized"]), row["normalized"]


def test_phone_numbers_spelt_partly_in_words_are_masked_in_the_normalised_form(conversation):
    row = log_question(conversation, "gọi lại 0 chín 1 2 3 4 5 6 7 8 giúp tôi")
    assert not re.search(r"\d", row["normalized"]), row["normalized"]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_years_dates_document_numbers_and_amounts_are_not_masked(conversation, text):
    assert mask_personal_data(text) == text
    row = log_question(conversation, text)
    assert row["question"] == text and "so dien thoai" not in row["normalized"] and "cccd" not in row["normalized"]


# ----- 3. control characters and lone surrogates, cleaned at the edge ----------------------
async def test_lone_surrogate_over_http_is_answered_and_logged(client, sample_kb):
    raw = b'{"question": "dia chi so khcn \\ud800", "session": "s-surrogate"}'
    response = await client.post("/api/ask", data=raw, headers={"Content-Type": "application/json"})
    body = await response.json()
    assert response.status == 200 and body["answered"] and body["log_id"]
    row = logged_row(sample_kb, body["log_id"])
    assert row["question"] == "dia chi so khcn" and row["user_hash"] == sample_kb.hash_user("web:s-surrogate")


def test_nul_controls_and_escape_sequences_never_reach_the_log(conversation):
    typed = "dia\x00 chi\x07 so \x1b[2J\x1b[31mkhcn\x1b[0m\x1b]0;pwned\x07\x9b31m o\u0301 đâu\r\n\x08"
    row = log_question(conversation, typed)
    assert row["question"] == "dia chi so khcn ó đâu"
    message = IncomingMessage("telegram", "c\x00", "u\ud800", "a\x1b[1m\tb\nc\x7f")
    assert (message.chat_id, message.user_id, message.text) == ("c", "u", "a\tb\nc")


def test_logs_tail_and_unanswered_print_rows_stored_before_the_fix_safely(conversation, capsys):
    kb = conversation.kb
    for question in ("gia vang\x1b]0;pwned\x07 hom nay\x1b[2J", "gia vang\x00 hom nay\x1b[31m?\u202e"):
        kb.log_query(channel="web", user_hash="h", question=question, normalized="gia vang hom nay",
                     kind="fallback", answered=0)
    assert main(["logs", "tail", "--db", kb.path]) == 0
    assert main(["logs", "unanswered", "--db", kb.path]) == 0
    out = capsys.readouterr().out
    assert "gia vang hom nay" in out and "[2 lần" in out
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out), repr(out)


def test_the_terminal_chat_prints_no_escape_sequence_from_an_imported_page():
    reply = Reply("Địa chỉ\x1b]0;pwned\x07: số 02\x1b[2J\nNguồn: trang\x9b1m", "article", suggestions=["a\x1b[5mb"])
    assert render(reply) == "Địa chỉ: số 02\nNguồn: trang\n\nCó phải bạn muốn hỏi…\n  1. ab"


def test_faq_csv_with_nul_or_escape_is_refused_in_vietnamese_and_imports_nothing(sample_kb):
    management.add_faq(sample_kb, "t", "Giờ làm việc?", [], "7 giờ")
    version = sample_kb.version()
    header = "question,alternates,answer\r\n"
    for raw in ((header + "Phí?,,Miễn phí\r\nA\x00?,,B\r\n").encode(),
                (header + "Phí?,,Miễn phí\r\nA?,,B \x1b[31mđỏ\r\n").encode(),
                "question,alternates,answer\r\nPhí?,,Miễn phí\r\n".encode("utf-16-le")):
        with pytest.raises(CsvError) as caught:
            management.import_faqs(sample_kb, "t", raw)
        [(line, reason)] = caught.value.problems
        assert "ký tự điều khiển" in reason and "UTF-8" in reason
        assert [f.question for f in sample_kb.faqs()] == ["Giờ làm việc?"] and sample_kb.version() == version
    assert line == 1 and [r.question for r in read_csv(write_csv(sample_kb.faqs()).encode())] == ["Giờ làm việc?"]


# ----- 4. personal data in the process log -------------------------------------------------
TOKEN = "7012345678:AAH-secretTokenValue_abcdefghijklmno"
TELEGRAM_UPDATE = {"update_id": 5, "message": {
    "message_id": 1, "date": 1700000000, "text": "Tôi là Trần Thị Bích, gọi 0912 345 678 nhé",
    "chat": {"id": 987654321, "type": "private", "first_name": "Bích", "last_name": "Trần Thị", "username": "bichtran"},
    "from": {"id": 987654321, "is_bot": False, "first_name": "Bích", "last_name": "Trần Thị", "username": "bichtran"}}}
ZALO_EVENT = {"app_id": "app", "event_name": "user_send_text", "timestamp": "1700000000000",
              "sender": {"id": "246845883529197922"}, "recipient": {"id": "579745863508352884"},
              "message": {"msg_id": "m1", "text": "Tôi là Trần Thị Bích, gọi 0912 345 678 nhé"}}
ZALO_BOT_UPDATE = {"ok": True, "result": {"event_name": "message.text.received", "message": {
    "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Trần Thị Bích", "is_bot": False},
    "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
    "text": "Tôi là Trần Thị Bích, gọi 0912 345 678 nhé", "message_id": "m2", "date": 1700000000}}}
PERSONAL = ["987654321", "246845883529197922", "6ede9afa66b88fe6d6a9", "Bích", "bichtran", "Trần Thị",
            "0912 345 678", "+84 912 345 678", "AAH-secretTokenValue", "a.citizen@gmail.com", "\\u00edch"]


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def emit_platform_debug_records() -> None:
    """Records shaped as python-telegram-bot, httpx and a Zalo client write them at DEBUG."""
    update = Update.de_json(TELEGRAM_UPDATE, None)
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", update)
    logging.getLogger("telegram.Bot").debug("Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage",
                                            {"chat_id": 987654321, "text": "Xin chào Bích"})
    logging.getLogger("telegram.Bot").debug("Call to Bot API endpoint `%s` finished with return value `%s`",
                                            "getUpdates", [TELEGRAM_UPDATE])
    logging.getLogger("telegram.Bot").debug("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}")
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "POST",
                                    f"https://api.telegram.org/bot{TOKEN}/getUpdates", "HTTP/1.1", 200, "OK")
    logging.getLogger("aiohttp.client").debug("response body %s", json.dumps(ZALO_EVENT, ensure_ascii=False))
    logging.getLogger("aiohttp.client").debug("response body %s", json.dumps(ZALO_BOT_UPDATE).encode())
    logging.getLogger("bot").debug("citizen wrote +84 912 345 678 and a.citizen@gmail.com")
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage")
    except ConnectionError:
        logging.getLogger("telegram.ext.Updater").debug("network error", exc_info=True)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_debug_records_of_the_platform_libraries_are_masked(restore_logging, capsys, log_format):
    logs.setup(verbose=True, environ={"LOG_FORMAT": log_format})  # no secrets configured: patterns must do
    emit_platform_debug_records()
    err = capsys.readouterr().err
    assert err.count("DEBUG") >= 8 and "sendMessage" in err and "getUpdates" in err
    assert "ConnectionError" in err and "api.telegram.org/bot***/sendMessage" in err
    leaked = [value for value in PERSONAL if value in err]
    assert not leaked, err


def test_masking_keeps_what_a_maintainer_needs(restore_logging, capsys):
    logs.setup(verbose=True, environ={})
    logging.getLogger("telegram.Bot").debug("Getting updates: %s", [5, 6])
    logging.getLogger("bot.runner").info("pruned %d query-log rows older than %d days", 12, 365)
    logging.getLogger("bot").debug("answered in %.1f ms, message_id=%d, update_id=%d", 12.5, 77, 5)
    err = capsys.readouterr().err
    assert "Getting updates: [5, 6]" in err and "pruned 12 query-log rows older than 365 days" in err
    assert "answered in 12.5 ms, message_id=77, update_id=5" in err
