"""Helpers for the web tests: the real app on an ephemeral 127.0.0.1 port, accounts, login."""
from __future__ import annotations

import re

from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import create_app
from handlers.conversation import Conversation, ConversationConfig
from bot.web import users
from knowledge.store import KnowledgeBase
from knowledge.write_behind import WriteBehind

PASSWORD = "mat-khau-dung-1"
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def make_app(kb: KnowledgeBase, writes: WriteBehind | None = None):
    conversation = Conversation(kb, ConversationConfig(rate_limit_messages=1000), writes=writes)
    return create_app(conversation, kb, "test-secret")


async def start_client(kb: KnowledgeBase, writes: WriteBehind | None = None) -> TestClient:
    """The app, writing at once or, given ``writes``, behind the replies as the running bot does."""
    client = TestClient(TestServer(make_app(kb, writes), host="127.0.0.1", port=0))
    await client.start_server()
    return client


def add_user(kb: KnowledgeBase, name: str, role: str) -> None:
    users.add(kb, "test", name, role, PASSWORD)


def csrf_of(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def login(client: TestClient, name: str, password: str = PASSWORD):
    page = await client.get("/admin/login")
    token = csrf_of(await page.text())
    return await client.post("/admin/login", data={"csrf": token, "name": name, "password": password},
                             allow_redirects=False)


async def csrf(client: TestClient, path: str = "/admin") -> str:
    """The CSRF token of the logged-in session, read from a page as a browser would."""
    page = await client.get(path)
    assert page.status == 200, await page.text()
    return csrf_of(await page.text())


def upload_form(token: str, field: str, files: list[tuple[str, bytes]]) -> FormData:
    """A multipart form as a browser sends it: the CSRF field, then the files."""
    form = FormData()
    form.add_field("csrf", token)
    for name, content in files:
        form.add_field(field, content, filename=name, content_type="application/octet-stream")
    return form
