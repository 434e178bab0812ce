"""The obvious alternatives to our matcher, answering from the same passages.

* :class:`FuzzBaseline` - rapidfuzz ``process.extractOne`` (default WRatio scorer) of the
  accent-folded question over every accent-folded passage.
* :class:`BM25Baseline` - ``rank_bm25.BM25Okapi`` over accent-folded word tokens.
* :class:`BM25sBaseline` - ``bm25s`` (BM25 as a sparse matrix, the fastest plain BM25 in Python)
  over the same tokens: the speed anchor.
* :class:`FtsBaseline` - one bare SQLite FTS5 query on the bot's own index (the question's folded
  words ORed, ``ORDER BY bm25()``): the floor under every engine that starts from that index.

Each answers with the best passage when its score reaches a threshold and abstains otherwise;
:func:`tune_threshold` picks the threshold that passes the most questions of a question set.
Neither knows small talk or contact cards: that is part of what they are compared on.
"""
from __future__ import annotations

import re

import bm25s
from rank_bm25 import BM25Okapi
from rapidfuzz import process

from knowledge.evaluation import check
from knowledge.store import KnowledgeBase
from knowledge.text import fold

ABSTAIN_TEXT = "Xin lỗi, tôi chưa có thông tin để trả lời câu hỏi này."
_WORD_RE = re.compile(r"\w+")


def load_passages(kb: KnowledgeBase) -> list[str]:
    """The text of every stored passage (body and footer alike), in id order."""
    return [row[0] for row in kb.conn.execute("SELECT text FROM passages ORDER BY id")]


def words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


class Baseline:
    name = ""

    def __init__(self, passages: list[str], threshold: float = 0.0, kb: KnowledgeBase | None = None):
        self.passages = passages  # in passage id order (load_passages)
        self.threshold = threshold

    def best(self, question: str) -> tuple[float, int]:
        """(score, passage index) of the best passage; index -1 when there is none."""
        raise NotImplementedError

    def reply(self, question: str) -> dict:
        score, index = self.best(question)
        return self._reply(score, index, score >= self.threshold)

    def _reply(self, score: float, index: int, answered: bool) -> dict:
        answered = answered and index >= 0
        return {"answered": answered, "kind": "article" if answered else "fallback", "score": score,
                "text": self.passages[index] if answered else ABSTAIN_TEXT}


class FuzzBaseline(Baseline):
    name = "rapidfuzz extractOne"

    def __init__(self, passages: list[str], threshold: float = 0.0, kb: KnowledgeBase | None = None):
        super().__init__(passages, threshold)
        self.choices = [fold(p) for p in passages]

    def best(self, question: str) -> tuple[float, int]:
        found = process.extractOne(fold(question), self.choices)
        return (found[1], found[2]) if found else (0.0, -1)


class BM25Baseline(Baseline):
    name = "BM25 (rank_bm25)"

    def __init__(self, passages: list[str], threshold: float = 0.0, kb: KnowledgeBase | None = None):
        super().__init__(passages, threshold)
        self.index = self.build([words(p) or ["_"] for p in passages])

    @staticmethod
    def build(corpus: list[list[str]]):
        """An index with ``get_scores(tokens)``: every passage's score, as a numpy array."""
        return BM25Okapi(corpus)

    def best(self, question: str) -> tuple[float, int]:
        tokens = words(question)
        if not tokens:
            return 0.0, -1
        scores = self.index.get_scores(tokens)
        index = int(scores.argmax())
        return float(scores[index]), index


class BM25sBaseline(BM25Baseline):
    name = "BM25 (bm25s)"

    @staticmethod
    def build(corpus: list[list[str]]):
        index = bm25s.BM25()
        index.index(corpus, show_progress=False)
        return index


class FtsBaseline(Baseline):
    name = "FTS5 bm25() (bare query)"

    def __init__(self, passages: list[str], threshold: float = 0.0, kb: KnowledgeBase | None = None):
        super().__init__(passages, threshold)
        self.conn = kb.conn
        self.position = {row[0]: i for i, row in enumerate(kb.conn.execute("SELECT id FROM passages ORDER BY id"))}

    def best(self, question: str) -> tuple[float, int]:
        tokens = sorted(set(words(question)))
        if not tokens:
            return 0.0, -1
        query = "folded : (" + " OR ".join(f'"{t}"' for t in tokens) + ")"
        row = self.conn.execute("SELECT rowid, bm25(passage_index) FROM passage_index WHERE passage_index MATCH ? "
                                "ORDER BY bm25(passage_index) LIMIT 1", (query,)).fetchone()
        return (-row[1], self.position[row[0]]) if row else (0.0, -1)


BASELINES = {"fuzz": FuzzBaseline, "bm25": BM25Baseline, "bm25s": BM25sBaseline, "fts5": FtsBaseline}


def tune_threshold(baseline: Baseline, items: list[dict]) -> float:
    """The threshold that passes the most items (the lowest such one), set on the baseline."""
    outcomes = []
    for item in items:
        score, index = baseline.best(item["q"])
        passes_answered = check(item, baseline._reply(score, index, True)) is None
        passes_abstained = check(item, baseline._reply(score, index, False)) is None
        outcomes.append((score, passes_answered, passes_abstained))
    candidates = sorted({s for s, _, _ in outcomes}) + [float("inf")]
    best_threshold, best_passed = 0.0, -1
    for threshold in candidates:
        passed = sum(a if s >= threshold else b for s, a, b in outcomes)
        if passed > best_passed:
            best_threshold, best_passed = threshold, passed
    baseline.threshold = best_threshold
    return best_threshold
