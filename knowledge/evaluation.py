"""Regression question sets: loading them and checking replies, with the semantics of the shared
scorer (``shared/eval/score.py``).

A question set is JSONL: one object per line with ``q`` and one or more checks (``expect_any``,
``expect_all``, ``reject_any``, ``answered``, ``kind``). Strings are compared after Unicode NFC,
case folding and removing a dot or space between two digits; a reply longer than ``MAX_CHARS``
fails. This module knows nothing of conversations: the caller passes a function that turns a
question into a reply dict (``answered``, ``kind``, ``text``).
"""
from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MAX_CHARS = 900
GROUPS = ("answer", "abstain", "smalltalk")
CHECK_KEYS = ("expect_any", "expect_all", "reject_any", "answered", "kind")
_DIGIT_SEPARATOR_RE = re.compile(r"(?<=\d)[.\s](?=\d)")


class QuestionSetError(ValueError):
    """The question file cannot be used; the message is one Vietnamese line for staff."""


def norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return _DIGIT_SEPARATOR_RE.sub("", text)


def load_questions(path: str | Path) -> list[dict]:
    """The items of a JSONL question file; blank lines are skipped, any other fault is reported."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QuestionSetError(f"không tìm thấy tệp câu hỏi {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"không đọc được tệp câu hỏi {path}: {exc}") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{path}, dòng {number}: không phải JSON hợp lệ ({exc.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
            raise QuestionSetError(f'{path}, dòng {number}: thiếu câu hỏi "q"')
        if not any(key in item for key in CHECK_KEYS):
            raise QuestionSetError(f"{path}, dòng {number}: không có phép kiểm tra nào "
                                   f"({', '.join(CHECK_KEYS)})")
        items.append(item)
    if not items:
        raise QuestionSetError(f"tệp câu hỏi {path} không có câu hỏi nào")
    return items


def check(item: dict, reply: dict, max_chars: int = MAX_CHARS) -> str | None:
    """None when the reply passes, else a short reason (the same reasons as score.py)."""
    text = norm(str(reply.get("text", "")))
    if max_chars and len(text) > max_chars:
        return f"reply of {len(text)} characters, over {max_chars}"
    answered = reply.get("answered") is True
    if item.get("answered") is False and answered:
        return "should have abstained"
    if "kind" in item and reply.get("kind") != item["kind"]:
        return f"kind {reply.get('kind')!r}, wanted {item['kind']!r}"
    if "expect_any" in item or "expect_all" in item:
        if not answered:
            return "did not answer"
        wanted_any = [norm(x) for x in item.get("expect_any", [])]
        if wanted_any and not any(w in text for w in wanted_any):
            return "missing any of " + " | ".join(item["expect_any"])
        missing = [x for x in item.get("expect_all", []) if norm(x) not in text]
        if missing:
            return "missing " + " | ".join(missing)
    bad = [x for x in item.get("reject_any", []) if norm(x) in text]
    if bad:
        return "contains " + " | ".join(bad)
    return None


def group(item: dict) -> str:
    if item.get("answered") is False:
        return "abstain"
    if "kind" in item and not ("expect_any" in item or "expect_all" in item):
        return "smalltalk"
    return "answer"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of the values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Outcome:
    item: dict
    reply: dict
    reason: str | None
    seconds: float

    @property
    def group(self) -> str:
        return group(self.item)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def totals(self) -> dict[str, tuple[int, int]]:
        """group → (passed, total), every group present."""
        return {g: (sum(o.reason is None for o in self.outcomes if o.group == g),
                    sum(o.group == g for o in self.outcomes)) for g in GROUPS}

    def share(self, name: str) -> float:
        passed, total = self.totals()[name]
        return passed / total if total else 1.0

    def accuracy(self) -> float:
        return sum(o.reason is None for o in self.outcomes) / len(self.outcomes) if self.outcomes else 1.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.reason is not None]

    def timing_ms(self) -> dict[str, float]:
        ms = [o.seconds * 1000 for o in self.outcomes]
        return {"mean": sum(ms) / len(ms) if ms else 0.0, "p50": percentile(ms, 0.50),
                "p95": percentile(ms, 0.95), "max": max(ms, default=0.0)}

    def below(self, minimums: dict[str, float]) -> list[str]:
        """The groups whose share is under their minimum."""
        return [g for g, minimum in minimums.items() if self.share(g) < minimum]

    def as_json(self, minimums: dict[str, float] | None = None) -> dict:
        groups = {g: {"passed": p, "total": t, "share": round(self.share(g), 4)}
                  for g, (p, t) in self.totals().items()}
        return {
            "questions": len(self.outcomes), "accuracy": round(self.accuracy(), 4), "groups": groups,
            "time_ms": {k: round(v, 3) for k, v in self.timing_ms().items()},
            "failures": [{"q": o.item["q"], "group": o.group, "reason": o.reason,
                          "kind": o.reply.get("kind"), "answered": o.reply.get("answered"),
                          "text": o.reply.get("text", "")} for o in self.failures()],
            "passed": not self.below(minimums or {}),
        }


def evaluate(items: list[dict], answer: Callable[[str], dict], max_chars: int = MAX_CHARS,
             progress: Callable[[int, int], None] | None = None) -> Report:
    """Ask every question through ``answer`` (question → reply dict), timing each one."""
    report = Report()
    for index, item in enumerate(items, 1):
        question = item["q"].replace("\n", " ")
        started = time.perf_counter()
        reply = answer(question)
        seconds = time.perf_counter() - started
        report.outcomes.append(Outcome(item, reply, check(item, reply, max_chars), seconds))
        if progress:
            progress(index, len(items))
    return report
