"""Process logs: secrets never appear, JSON lines parse."""
import json
import logging

from bot import logs


def test_secrets_are_redacted_from_messages_and_arguments(capsys):
    token = "123456:ABC-secret-token"
    logs.setup(secrets=[token], environ={"LOG_LEVEL": "INFO"})
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", token)
    logging.getLogger("bot").warning("token is " + token)
    err = capsys.readouterr().err
    assert token not in err and err.count("***") == 2


def test_json_lines(capsys):
    logs.setup(environ={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    logging.getLogger("bot.telegram").info("xin chào %s", "bạn")
    try:
        raise ValueError("hỏng")
    except ValueError:
        logging.getLogger("bot").exception("lỗi")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0] == {**lines[0], "level": "INFO", "logger": "bot.telegram", "message": "xin chào bạn"}
    assert "ValueError: hỏng" in lines[1]["exc"]
    logs.setup()  # back to the default for the other tests
