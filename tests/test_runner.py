"""``run_bot.py run`` as an operator starts it: a real process serving the web chat, answering
the health check, and stopping cleanly on SIGTERM; plus the daily log pruning."""
import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from bot.runner import prune_logs_daily
from knowledge.write_behind import WriteThrough
from bot.settings import load_settings
from support import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_run_serves_the_web_chat_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    env.update(WEB_PORT=str(port), KB_DB_PATH=str(tmp_path / "kb.sqlite"))
    process = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = json.loads(wait_for(f"http://127.0.0.1:{port}/healthz"))
        assert health["database"] == "ok" and health["channels"] == {}
        page = wait_for(f"http://127.0.0.1:{port}/").decode()
        assert "Sở Khoa học và Công nghệ" in page and "0292.3820674" in page
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/ask", method="POST",
                                         data=json.dumps({"question": "sdt so khcn"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["kind"] == "contact"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out and "Đã dừng bot." in out
    assert f"Trang quản trị: http://127.0.0.1:{port}/admin" in out
    assert "python run_bot.py admin add-user TÊN --role admin" in out  # no account yet
    assert "TELEGRAM_BOT_TOKEN" in out + err  # says how to turn Telegram on
    assert "Traceback" not in err


async def test_old_log_rows_are_pruned_in_the_background(sample_kb):
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    sample_kb.log_query(ts=old, channel="web", user_hash="x", question="cũ", kind="fallback", answered=0)
    sample_kb.log_query(channel="web", user_hash="x", question="mới", kind="fallback", answered=0)
    task = asyncio.create_task(prune_logs_daily(WriteThrough(sample_kb), retention_days=30, interval=0.01))
    await asyncio.sleep(0.1)
    task.cancel()
    assert [r["question"] for r in sample_kb.iter_rows("SELECT question FROM query_log")] == ["mới"]


@pytest.mark.parametrize("environ, url", [
    ({}, "/privacy"),
    ({"WEB_PUBLIC_URL": "https://hoidap.example.gov.vn/"}, "https://hoidap.example.gov.vn/privacy"),
    ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.gov.vn/telegram/webhook"}, "https://bot.example.gov.vn/privacy"),
])
def test_the_privacy_link_is_built_on_the_public_address(environ, url):
    assert load_settings(environ=environ).conversation().privacy_url == url
