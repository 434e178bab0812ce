"""Process logs: secrets never appear, JSON lines parse."""
import json
import logging

from bot import logs


def test_secrets_are_redacted_from_messages_and_arguments(capsys):
    token = "123456:ABC-secret-token"
    logs.setup(secrets=[token], environ={"LOG_LEVEL": "INFO"})
    httpx_log = logging.getLogger("httpx")
    quietened = httpx_log.level  # a Telegram channel built by an earlier test may have raised it
    httpx_log.setLevel(logging.NOTSET)
    try:
        httpx_log.info("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", token)
    finally:
        httpx_log.setLevel(quietened)
    logging.getLogger("bot").warning("token is " + token)
    err = capsys.readouterr().err
    assert token not in err and err.count("***") == 2


def test_json_lines(capsys):
    logs.setup(environ={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    logging.getLogger("bot.channels.telegram").info("xin chào %s", "bạn")
    try:
        raise ValueError("hỏng")
    except ValueError:
        logging.getLogger("bot").exception("lỗi")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0] == {**lines[0], "level": "INFO", "logger": "bot.channels.telegram", "message": "xin chào bạn"}
    assert "ValueError: hỏng" in lines[1]["exc"]
    logs.setup()  # back to the default for the other tests
