"""Issue 12, over real HTTP with a real SQLite file: failed sign-ins hold back only the (account,
client) pair that made them, with growing waits that survive a restart; X-Forwarded-For names the
client only when a trusted proxy sends it; and the web chat's rate limit counts the client's
address, whatever session ids it makes up."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import main
from bot.web.app import create_app
from bot.web.state import LOGIN_THROTTLE_KEY
from handlers import texts
from handlers.conversation import Conversation, ConversationConfig
from knowledge.store import KnowledgeBase
from web_support import PASSWORD, add_user, csrf_of

ATTACKER, USER = "203.0.113.7", "198.51.100.20"
SLOW_DOWN = texts.SLOW_DOWN.split("{")[0]


async def serve(kb: KnowledgeBase, **options) -> TestClient:
    """The real app; ``options`` go to create_app (trusted proxies, the per-address limit)."""
    app = create_app(Conversation(kb, ConversationConfig(rate_limit_messages=1000)), kb, "test-secret", **options)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    return client


@pytest.fixture
async def proxied(sample_kb):
    """The bot behind a reverse proxy on 127.0.0.1 that it trusts."""
    add_user(sample_kb, "lan", "staff")
    client = await serve(sample_kb, trusted_proxies=["127.0.0.1"], chat_limit_per_address=5)
    yield client
    await client.close()


async def sign_in(client, password: str, forwarded_for: str | None = None, name: str = "lan"):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_of(await (await client.get("/admin/login", headers=headers)).text())
    return await client.post("/admin/login", data={"csrf": token, "name": name, "password": password},
                             headers=headers, allow_redirects=False)


async def fail(client, times: int, forwarded_for: str | None = None) -> None:
    for _ in range(times):
        assert (await sign_in(client, "sai-mat-khau", forwarded_for)).status == 401


# ----- B: login throttle ------------------------------------------------------------------
async def test_failures_hold_back_only_the_client_that_made_them(proxied):
    await fail(proxied, 5, ATTACKER)
    refused = await sign_in(proxied, PASSWORD, ATTACKER)  # even the right password waits
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 giây." in await refused.text()
    assert (await sign_in(proxied, PASSWORD, USER)).status == 303  # the real user, elsewhere, gets in
    assert (await proxied.get("/admin")).status == 200


async def test_made_up_forwarded_entries_do_not_make_a_new_client(proxied):
    for i in range(5):  # the client writes any left part; the proxy appends the address it saw
        assert (await sign_in(proxied, "sai-mat-khau", f"10.0.0.{i}, {ATTACKER}")).status == 401
    assert (await sign_in(proxied, PASSWORD, f"10.9.9.9, {ATTACKER}")).status == 429
    assert (await sign_in(proxied, PASSWORD, f"{ATTACKER}, {USER}")).status == 303


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(sample_kb):
    add_user(sample_kb, "lan", "staff")
    client = await serve(sample_kb)  # no trusted proxy: the peer is the client
    try:
        for i in range(5):
            assert (await sign_in(client, "sai-mat-khau", f"10.0.0.{i}")).status == 401
        assert (await sign_in(client, PASSWORD, USER)).status == 429
        assert (await sign_in(client, PASSWORD, name="khac")).status == 401  # another account is not held back
    finally:
        await client.close()


async def test_an_ipv6_client_is_its_64_block(proxied):
    for i in range(5):  # one host may hold a whole /64 and pick a new address for each try
        assert (await sign_in(proxied, "sai-mat-khau", f"2001:db8:1:2::{i + 1}")).status == 401
    assert (await sign_in(proxied, PASSWORD, "2001:db8:1:2:ffff::9")).status == 429
    assert (await sign_in(proxied, PASSWORD, "2001:db8:1:3::1")).status == 303


def test_broken_proxy_settings_are_refused_in_vietnamese(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", "nginx")
    assert main(["kb", "stats", "--db", str(tmp_path / "kb.sqlite")]) == 2
    assert "trusted_proxies (WEB_TRUSTED_PROXIES) phải là danh sách địa chỉ IP" in capsys.readouterr().err


async def test_waits_double_up_to_a_cap_and_a_success_clears_them(proxied):
    now = [1_800_000_000.0]
    proxied.server.app[LOGIN_THROTTLE_KEY].clock = lambda: now[0]
    await fail(proxied, 5, ATTACKER)
    for extra in range(12):
        wait = min(900, 2 ** extra)
        refused = await sign_in(proxied, "sai-mat-khau", ATTACKER)
        assert refused.status == 429 and refused.headers["Retry-After"] == str(wait)
        expected = f"{wait} giây" if wait < 60 else f"{-(-wait // 60)} phút"
        assert f"thử lại sau {expected}." in await refused.text()
        now[0] += wait - 0.5
        assert (await sign_in(proxied, "sai-mat-khau", ATTACKER)).status == 429  # not yet
        now[0] += 0.5
        assert (await sign_in(proxied, "sai-mat-khau", ATTACKER)).status == 401  # its turn, a wrong guess
    now[0] += 900
    assert (await sign_in(proxied, PASSWORD, ATTACKER)).status == 303
    await fail(proxied, 5, ATTACKER)  # cleared: five free tries again


async def test_the_throttle_survives_a_restart(sample_kb):
    add_user(sample_kb, "lan", "staff")
    first = await serve(sample_kb)
    await fail(first, 5)
    await first.close()
    restarted = KnowledgeBase.open(sample_kb.path)  # the bot's new process opens the same file
    second = await serve(restarted)
    try:
        assert (await sign_in(second, PASSWORD)).status == 429
    finally:
        await second.close()
        restarted.close()


# ----- C: the web chat's rate limit -------------------------------------------------------
async def ask(client, session: str, forwarded_for: str) -> dict:
    response = await client.post("/api/ask", json={"question": "Số điện thoại của Sở?", "session": session},
                                 headers={"X-Forwarded-For": forwarded_for})
    return await response.json()


async def test_new_session_ids_do_not_escape_the_address_limit(proxied, sample_kb):
    for i in range(5):
        assert (await ask(proxied, f"phien-{i}", ATTACKER))["kind"] == "contact"
    for i in range(5, 8):
        assert SLOW_DOWN in (await ask(proxied, f"phien-{i}", ATTACKER))["text"]
    assert (await ask(proxied, "phien-khac", USER))["kind"] == "contact"  # another citizen is not held back
    logged = {row[0] for row in sample_kb.conn.execute("SELECT user_hash FROM query_log")}
    assert logged == {sample_kb.hash_user(f"web:phien-{i}") for i in range(5)} | {sample_kb.hash_user("web:phien-khac")}


async def test_the_page_without_javascript_counts_the_forwarded_client(proxied):
    for i in range(7):
        html = await (await proxied.get("/", params={"q": "Số điện thoại của Sở?"},
                                        headers={"X-Forwarded-For": ATTACKER})).text()
        assert (SLOW_DOWN in html) == (i >= 5)
    html = await (await proxied.get("/", params={"q": "Số điện thoại của Sở?"}, headers={"X-Forwarded-For": USER})).text()
    assert SLOW_DOWN not in html


async def test_without_a_trusted_proxy_made_up_addresses_share_the_peer_limit(sample_kb):
    client = await serve(sample_kb, chat_limit_per_address=3)
    try:
        replies = [await ask(client, f"phien-{i}", f"10.0.0.{i}") for i in range(5)]
        assert [SLOW_DOWN in reply["text"] for reply in replies] == [False] * 3 + [True] * 2
    finally:
        await client.close()


async def test_a_sign_in_body_larger_than_a_form_is_refused_before_it_is_read(proxied):
    token = csrf_of(await (await proxied.get("/admin/login")).text())
    response = await proxied.post("/admin/login", data={"csrf": token, "name": "lan", "password": "x" * 100_000},
                                  allow_redirects=False)
    assert response.status == 413
    assert (await sign_in(proxied, PASSWORD)).status == 303  # the form itself still works
