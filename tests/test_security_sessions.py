"""Issue 12, over real HTTP with a real SQLite file: a staff session ends on the server at logout,
password change, role change and account removal (a cookie captured before is worth nothing
after); user ids in the query log are hashed with a key kept out of the database; an old
database is upgraded; ``kb backup`` leaves the secrets out."""
from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
import time

import aiohttp
import pytest

from bot.cli import main
from bot.channels.inbox import Inbox
from bot.web.security import Sessions
from bot.web import users
from knowledge.store import SCHEMA_VERSION, KnowledgeBase
from bot.channels.zalo_tokens import ZaloTokenStore
from web_support import PASSWORD, add_user, csrf, login, start_client


def captured_cookie(client) -> str:
    """The session cookie as someone who copied it from the browser would hold it."""
    return client.session.cookie_jar.filter_cookies(client.make_url("/admin"))["kb_session"].value


async def replay(client, cookie: str, method: str, path: str, data: dict | None = None) -> int:
    """Status of a request sent with a captured cookie from another browser."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as other:
        async with other.request(method, client.make_url(path), data=data, allow_redirects=False,
                                 headers={"Cookie": f"kb_session={cookie}"}) as response:
            return response.status


async def stolen_session(client, name: str) -> tuple[str, str]:
    """Log ``name`` in and keep a copy of the cookie and of its CSRF token."""
    assert (await login(client, name)).status == 303
    return captured_cookie(client), await csrf(client)


async def can_add_faq(client, sample_kb, cookie: str, token: str) -> bool:
    before = len(sample_kb.faqs())
    status = await replay(client, cookie, "POST", "/admin/faqs/new",
                          {"csrf": token, "question": "Câu hỏi của kẻ gian?", "answer": "Câu trả lời giả."})
    return status != 403 and len(sample_kb.faqs()) > before


# ----- A: sessions end on the server ------------------------------------------------------
async def test_logout_ends_every_session_of_the_user(client, sample_kb):
    first, first_token = await stolen_session(client, "lan")  # e.g. the office computer
    second, _ = await stolen_session(client, "lan")  # the same user signs in again elsewhere
    assert await replay(client, first, "GET", "/admin") == 200
    response = await client.post("/admin/logout", data={"csrf": await csrf(client)})
    assert "Bạn đã đăng xuất" in await response.text()
    for cookie in (first, second):
        assert await replay(client, cookie, "GET", "/admin") == 303
    assert not await can_add_faq(client, sample_kb, first, first_token)
    assert (await login(client, "lan")).status == 303  # signing in again works
    assert (await client.get("/admin")).status == 200


@pytest.mark.parametrize("change", ["password", "role", "remove"])
async def test_an_admin_changing_an_account_ends_its_sessions(client, sample_kb, change):
    cookie, token = await stolen_session(client, "lan")
    assert (await login(client, "quantri")).status == 303
    admin_token = await csrf(client, "/admin/users")
    await client.post("/admin/users/lan/update", data={"csrf": admin_token, "role": "staff", "password": ""})
    assert await replay(client, cookie, "GET", "/admin") == 200  # saved unchanged: nothing ends
    if change == "remove":  # and a new account of the same name, for another person
        await client.post("/admin/users/lan/remove", data={"csrf": admin_token})
        assert users.get(sample_kb, "lan") is None
        await client.post("/admin/users", data={"csrf": admin_token, "name": "lan", "role": "staff",
                                                 "password": "mat-khau-nguoi-moi"})
    else:
        data = {"password": "mat-khau-moi-9", "role": "staff"} if change == "password" else \
            {"password": "", "role": "admin"}
        await client.post("/admin/users/lan/update", data={"csrf": admin_token, **data})
    assert await replay(client, cookie, "GET", "/admin") == 303
    assert not await can_add_faq(client, sample_kb, cookie, token)
    assert (await client.get("/admin/users")).status == 200  # the admin's own session goes on


async def test_admin_changing_their_own_password_keeps_only_this_session(client):
    elsewhere, _ = await stolen_session(client, "quantri")
    await stolen_session(client, "quantri")
    response = await client.post("/admin/users/quantri/update", data={
        "csrf": await csrf(client, "/admin/users"), "role": "admin", "password": "mat-khau-moi-9"})
    assert "Đã lưu tài khoản «quantri»" in await response.text()
    assert await replay(client, elsewhere, "GET", "/admin") == 303
    assert (await client.get("/admin/users")).status == 200


# ----- D: identities and secrets at rest --------------------------------------------------
async def test_log_hashes_are_keyed_with_a_key_outside_the_database(client, sample_kb):
    await client.post("/api/ask", json={"question": "Số điện thoại của Sở?", "session": "phien-1"})
    user_hash = sample_kb.conn.execute("SELECT user_hash FROM query_log").fetchone()[0]
    key_file = sample_kb.path + ".key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = open(key_file, encoding="ascii").read().strip().encode()
    assert user_hash == hmac.new(key, b"web:phien-1", hashlib.sha256).hexdigest()[:24]
    # nothing in the file recomputes it: no salt there, and no stored value works as one
    values = [row[0] for row in sample_kb.conn.execute("SELECT value FROM meta")]
    assert sample_kb.meta("user_hash_salt") is None
    assert all(hashlib.sha256(f"{v}:web:phien-1".encode()).hexdigest()[:24] != user_hash for v in values)
    reopened = KnowledgeBase.open(sample_kb.path)  # a restart: same key, same hashes
    assert reopened.hash_user("web:phien-1") == user_hash
    reopened.close()


def test_the_hash_key_can_come_from_the_environment(tmp_path, capsys, monkeypatch):
    db = tmp_path / "kb.sqlite"
    monkeypatch.setenv("BOT_HASH_KEY", "ngan")
    assert main(["kb", "stats", "--db", str(db)]) == 2
    assert "BOT_HASH_KEY cần ít nhất 32 ký tự" in capsys.readouterr().err
    key = "k" * 40
    kb = KnowledgeBase.open(db, key)
    assert kb.hash_user("telegram:42") == hmac.new(key.encode(), b"telegram:42", hashlib.sha256).hexdigest()[:24]
    assert not os.path.exists(str(db) + ".key")
    kb.close()


def _make_old_database(path) -> None:
    """A database as the previous version left it: schema 3, a salt beside the hashes, accounts
    without session stamps."""
    KnowledgeBase.open(path).close()
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TABLE IF EXISTS login_failures;"
        "CREATE TABLE web_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, "
        "password_hash TEXT NOT NULL, created_at TEXT NOT NULL);"
        "UPDATE meta SET value = '3' WHERE key = 'schema_version';"
        "INSERT INTO meta(key, value) VALUES ('user_hash_salt', 'muoi-cu');")
    conn.execute("INSERT INTO web_users (name, role, password_hash, created_at) VALUES ('lan', 'staff', ?, '2026')",
                 (users.hash_password(PASSWORD),))
    conn.commit()
    conn.close()


async def test_an_old_database_is_upgraded_and_its_old_sessions_end(tmp_path):
    db = str(tmp_path / "kb.sqlite")
    _make_old_database(db)
    kb = KnowledgeBase.open(db)
    assert kb.meta("schema_version") == str(SCHEMA_VERSION) and kb.meta("user_hash_salt") is None
    client = await start_client(kb)
    try:  # a cookie of the old kind (no session stamp), correctly signed, no longer opens anything
        old_cookie = Sessions("test-secret").dump({"n": "cu", "t": int(time.time()), "u": "lan"})
        assert await replay(client, old_cookie, "GET", "/admin") == 303
        assert (await login(client, "lan")).status == 303
        assert (await client.get("/admin")).status == 200
    finally:
        await client.close()
        kb.close()


def test_backup_leaves_out_the_session_key_and_the_zalo_tokens(tmp_path, capsys):
    db = str(tmp_path / "kb.sqlite")
    kb = KnowledgeBase.open(db)
    add_user(kb, "lan", "staff")
    session_key = users.session_secret(kb)
    ZaloTokenStore(kb, "4313412345678901234").initial("access-bi-mat-123456", "refresh-bi-mat-654321")
    Inbox(kb, "zalo_oa").accept("msg-1", {"text": "cho em hỏi số nhà riêng của giám đốc"})
    kb.close()
    backup = tmp_path / "copy.sqlite"
    assert main(["kb", "backup", str(backup), "--db", db]) == 0
    raw = backup.read_bytes()
    for secret in (session_key, "access-bi-mat-123456", "refresh-bi-mat-654321", "số nhà riêng"):
        assert secret.encode() not in raw
    assert not os.path.exists(str(backup) + "-wal")
    copy = KnowledgeBase.open(backup)  # the copy is a working knowledge base with its accounts
    assert users.authenticate(copy, "lan", PASSWORD) is not None
    assert copy.conn.execute("SELECT COUNT(*) FROM zalo_oa_tokens").fetchone() == (0,)
    assert copy.conn.execute("SELECT name FROM sqlite_master WHERE name = 'inbox'").fetchone() is None  # a file apart
    copy.close()
    original = KnowledgeBase.open(db)  # the running bot keeps its own
    assert users.session_secret(original) == session_key
    assert ZaloTokenStore(original, "4313412345678901234").load().refresh_token == "refresh-bi-mat-654321"
    original.close()
