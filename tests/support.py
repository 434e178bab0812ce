"""Small helpers shared by the tests (fixtures live in conftest.py)."""
from __future__ import annotations

import contextlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a file for a test and return its path."""
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@contextlib.asynccontextmanager
async def serving(kb, build, settings):
    """The real web app with one chat channel built from ``settings`` by ``build``, served on an
    ephemeral 127.0.0.1 port; yields (test client, channel)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web.app import create_app
    from dataclasses import replace

    from handlers.conversation import Conversation

    conversation = Conversation(kb, replace(settings.conversation(), rate_limit_messages=1000))
    app = create_app(conversation, kb)
    channel = build(settings, conversation, app)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    await channel.start()
    try:
        yield client, channel
    finally:
        await channel.stop()
        await client.close()
