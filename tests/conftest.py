"""Shared fixtures: fresh SQLite files, never the developer's own database."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI explores the same generated inputs on every run (a failure there is reproducible);
# a developer's run draws new ones each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

from handlers.conversation import Conversation, ConversationConfig
from knowledge.ingest.importer import import_paths
from knowledge.store import KnowledgeBase
from support import SAMPLES
from web_support import add_user, login, start_client


@pytest.fixture
def empty_kb(tmp_path) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    yield kb
    kb.close()


@pytest.fixture
def sample_kb(tmp_path) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path / "kb.sqlite")
    import_paths(kb, [SAMPLES])
    yield kb
    kb.close()


@pytest.fixture
def conversation(sample_kb) -> Conversation:
    return Conversation(sample_kb, ConversationConfig(rate_limit_messages=1000))


# ----- the web app with a staff and an admin account (tests/web_support.py) ----------------
@pytest.fixture
async def client(sample_kb):
    add_user(sample_kb, "lan", "staff")
    add_user(sample_kb, "quantri", "admin")
    client = await start_client(sample_kb)
    yield client
    await client.close()


@pytest.fixture
async def staff(client):
    assert (await login(client, "lan")).status == 303
    return client


@pytest.fixture
async def admin(client):
    assert (await login(client, "quantri")).status == 303
    return client
