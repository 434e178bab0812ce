"""The project's own question sets (tests/data/*-questions.jsonl) are sound measuring sticks: each parses, each
answerable question names a page that exists, and what it expects is written in that page, so a set never
scores the bot against a page edited since or a string nobody can find."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from knowledge.evaluation import load_questions, norm

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
PAGE_FOLDERS = [ROOT / "data" / "sample", DATA / "extra-articles"]
SHARED_FOLDERS = [SHARED / "corpus-train", SHARED / "corpus", SHARED / "corpus-more"]
QUESTION_SETS = sorted(DATA.glob("*-questions.jsonl"))
_TAG_RE = re.compile(r"<[^>]+>")


def page_of(question_set: Path, name: str) -> Path | None:
    """A question's page: in the set's own folder, the sample, the extra articles, or the shared corpora."""
    own = DATA / question_set.name.removesuffix("-questions.jsonl")
    return next((folder / name for folder in [own, *PAGE_FOLDERS, *SHARED_FOLDERS] if (folder / name).is_file()),
                None)


def readable(page: Path) -> str:
    """The page as a reader sees it, markup taken out, compared as the scorer compares (``norm``)."""
    raw = page.read_text(encoding="utf-8")
    return norm(html.unescape(_TAG_RE.sub(" ", raw)) + " " + raw)


@pytest.mark.parametrize("question_set", QUESTION_SETS, ids=lambda path: path.name)
def test_every_expected_answer_is_written_in_its_page(question_set):
    unchecked = []
    for item in load_questions(question_set):
        expected = item.get("expect_any") or item.get("expect_all")
        if not (expected and item.get("page")):
            continue
        page = page_of(question_set, item["page"])
        if page is None:
            unchecked.append(item["page"])
            continue
        text = readable(page)
        holds = any if "expect_any" in item else all
        assert holds(norm(e) in text for e in expected), f"{item['q']!r}: {expected} not in {page.name}"
    if unchecked:  # only the shared corpora may be missing (a clone without ../shared)
        assert not SHARED.is_dir(), f"pages not found: {sorted(set(unchecked))}"
