"""Shared fixtures: fresh SQLite files, never the developer's own database."""
from __future__ import annotations

import pytest

from handlers.conversation import Conversation, ConversationConfig
from knowledge.importer import import_paths
from knowledge.store import KnowledgeBase
from support import SAMPLES


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
