"""``run_bot.py doctor`` against the local fakes: what is on, off, or wrong, said plainly."""
import asyncio
import os
import sys

import pytest
from fake_telegram import DEFAULT_TOKEN, FakeTelegram
from fake_zalo import FakeZaloBot, FakeZaloOA

from support import ROOT, SAMPLES

BOT_TOKEN = "1459232241454765289:fakeBotTokenForTests"


async def doctor(tmp_path, **env) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
    base.update(WEB_PORT="0", **env)
    db = tmp_path / "kb.sqlite"
    if not db.exists():
        imported = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "run_bot.py"), "kb", "import",
                                                        "--db", str(db), str(SAMPLES), stdout=asyncio.subprocess.DEVNULL)
        await imported.wait()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run_bot.py"), "doctor", "--db", str(db), env=base,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode()


async def test_nothing_configured_is_off_not_an_error(tmp_path):
    code, out = await doctor(tmp_path)
    assert code == 0
    assert "✓ Cơ sở tri thức" in out and "16 bài viết" in out
    for line in ("– Telegram: tắt (đặt TELEGRAM_BOT_TOKEN", "– Zalo OA: tắt", "– Zalo Bot: tắt"):
        assert line in out


async def test_valid_credentials_are_confirmed_by_each_platform(tmp_path):
    telegram = await FakeTelegram().start()
    oa = await FakeZaloOA("app-1", "app-secret", "access-0", "refresh-0").start()
    bot = await FakeZaloBot(BOT_TOKEN).start()
    try:
        code, out = await doctor(
            tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_BASE_URL=telegram.base_url,
            ZALO_OA_APP_ID="app-1", ZALO_OA_SECRET_KEY="oa-secret", ZALO_APP_SECRET="app-secret",
            ZALO_OA_ACCESS_TOKEN="access-0", ZALO_OA_REFRESH_TOKEN="refresh-0", ZALO_OA_API_BASE_URL=oa.url,
            ZALO_BOT_TOKEN=BOT_TOKEN, ZALO_BOT_API_BASE_URL=bot.url)
    finally:
        for server in (telegram, oa, bot):
            await server.close()
    assert code == 0, out
    assert "✓ Telegram: @cantho_khcn_bot, chế độ polling" in out
    assert "✓ Zalo OA: OA «Sở KH&CN Cần Thơ»" in out
    assert "✓ Zalo Bot: bot «bot.sokhcn»" in out
    assert DEFAULT_TOKEN not in out and BOT_TOKEN not in out


async def test_wrong_or_missing_credentials_are_named(tmp_path):
    telegram = await FakeTelegram().start()
    try:
        code, out = await doctor(tmp_path, TELEGRAM_BOT_TOKEN="999:wrong", TELEGRAM_API_BASE_URL=telegram.base_url,
                                 ZALO_OA_APP_ID="app-1", ZALO_BOT_TOKEN=BOT_TOKEN,
                                 ZALO_BOT_API_BASE_URL="http://127.0.0.1:9")
    finally:
        await telegram.close()
    assert code == 1
    assert "✗ Telegram: token bị từ chối" in out
    assert "✗ Zalo OA: còn thiếu ZALO_OA_SECRET_KEY, ZALO_APP_SECRET" in out
    assert "✗ Zalo Bot: getMe thất bại" in out


@pytest.mark.parametrize("mode_env", [{"TELEGRAM_MODE": "webhook"}, {"TELEGRAM_MODE": "carrier-pigeon"}])
async def test_bad_telegram_settings_are_explained(tmp_path, mode_env):
    code, out = await doctor(tmp_path, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, **mode_env)
    assert code == 1 and "✗ Telegram:" in out and "Traceback" not in out
