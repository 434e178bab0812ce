#!/usr/bin/env python3
"""Index hygiene bench (part of ``make bench``): how fast the bot answers on a fresh knowledge base,
after large articles were imported and deleted (the full-text index bloated with their entries,
the file full of free pages), and after ``knowledge.maintenance.maintain`` (FTS5 optimize, VACUUM).

1. Imports ``data/sample`` into a fresh SQLite file and measures: ``Conversation.answer`` over the
   dev questions (if ``--shared`` has them) plus contact and out-of-scope questions, ``--rounds``
   times, sequentially (answers/s is the throughput of one CPU); the bare FTS5 ``bm25()`` query of
   ``bench/baselines.py`` on each question; the index's blocks and bytes and the file's free pages.
2. Writes ``--articles`` large articles (``--mb`` each, under the importer's 5 MB cap) of sentences
   from a bigram chain over the real articles, so that they share the questions' words; imports
   them with ``run_bot.py kb import`` (another process, as staff do), deletes them as the web admin
   does, measures again.
3. Runs ``maintain`` and measures again.

Prints a table and writes ``bench/hygiene-results.md``.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baselines import FtsBaseline, load_passages  # noqa: E402
from bench.run import SAMPLES, conversation_for, dev_items, log, machine  # noqa: E402
from bench.synthetic import CONTACT_QUESTIONS, OUT_OF_SCOPE, Chain, corpus_paragraphs  # noqa: E402
from knowledge import maintenance  # noqa: E402
from knowledge.evaluation import percentile  # noqa: E402
from knowledge.ingest.importer import import_paths  # noqa: E402
from knowledge.store import KnowledgeBase  # noqa: E402

RESULTS = ROOT / "bench" / "hygiene-results.md"


def large_articles(folder: Path, count: int, megabytes: float) -> None:
    chain, rng = Chain(corpus_paragraphs(SAMPLES)), random.Random(13)
    folder.mkdir()
    for i in range(count):
        paragraphs, size = [], 0
        while size < megabytes * 1e6:
            paragraphs.append(" ".join(chain.sentence(rng) for _ in range(3)))
            size += len(paragraphs[-1].encode()) + 2
        (folder / f"bao-cao-lon-{i}.md").write_text(f"# Báo cáo tổng hợp số {i}\n\nNgày đăng: 01/10/2026\n\n"
                                                    + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def measure(kb: KnowledgeBase, questions: list[str], rounds: int) -> dict:
    state = maintenance.health(kb)
    conversation = conversation_for(kb, "matcher")
    seconds = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            conversation.answer(question)
            seconds.append(time.perf_counter() - started)
    floor = FtsBaseline(load_passages(kb), kb=kb)
    bare = []
    for question in questions:
        started = time.perf_counter()
        floor.best(question)
        bare.append((time.perf_counter() - started) * 1000)
    ms = [s * 1000 for s in seconds]
    return {"health": state, "rate": len(seconds) / sum(seconds), "p50": percentile(ms, 0.5),
            "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99), "bare50": percentile(bare, 0.5),
            "bare95": percentile(bare, 0.95)}


def row(name: str, m: dict) -> str:
    h = m["health"]
    return (f"| {name} | {h.passages:,} | {h.index_blocks:,} | {h.index_bytes / 1e6:.1f} | {h.index_segments} | "
            f"{h.pages * h.page_size / 1e6:.1f} | {h.free_pages:,} ({h.free_share:.0%}) | {m['rate']:,.0f} | "
            f"{m['p50']:.2f} / {m['p95']:.2f} / {m['p99']:.2f} | {m['bare50']:.2f} / {m['bare95']:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=8, help="large articles imported then deleted")
    parser.add_argument("--mb", type=float, default=4.5, help="size of each, in MB (the importer takes up to 5)")
    parser.add_argument("--rounds", type=int, default=3, help="times the question set is asked in each state")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder (eval/)")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite bench/{RESULTS.name}")
    args = parser.parse_args()
    info = machine()
    questions = [item["q"] for items in dev_items(Path(args.shared)).values() for item in items]
    questions += [q for q, _ in CONTACT_QUESTIONS] + OUT_OF_SCOPE
    with tempfile.TemporaryDirectory(prefix="bench-hygiene-") as tmp:
        kb = KnowledgeBase.open(Path(tmp) / "kb.sqlite")
        import_paths(kb, [SAMPLES])
        log(f"fresh: {len(questions)} questions × {args.rounds}")
        fresh = measure(kb, questions, args.rounds)
        large_articles(Path(tmp) / "large", args.articles, args.mb)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "run_bot.py"), "kb", "import", "--db", kb.path,
                        str(Path(tmp) / "large")], check=True, stdout=subprocess.DEVNULL)
        log(f"imported {args.articles} articles of {args.mb} MB in {time.perf_counter() - started:.1f} s; "
            f"deleting them")
        for article in kb.articles(search="Báo cáo tổng hợp số"):
            kb.delete_article(article["id"])
        bloated = measure(kb, questions, args.rounds)
        outcome = maintenance.maintain(kb)
        log(f"maintain: optimized {outcome.optimized}, vacuumed {outcome.vacuumed}, {outcome.seconds:.1f} s")
        maintained = measure(kb, questions, args.rounds)
        kb.close()
    table = ["| state | passages | FTS blocks | index MB | segments | file MB | free pages | answers/s | "
             "p50 / p95 / p99 (ms) | bare FTS5 p50 / p95 (ms) |", "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
             row("fresh (data/sample)", fresh),
             row(f"{args.articles} × {args.mb} MB articles imported and deleted", bloated),
             row(f"after maintain ({outcome.seconds:.1f} s)", maintained)]
    print("\n".join(table))
    if not args.no_write:
        RESULTS.write_text("\n".join([
            "# Index hygiene bench", "",
            f"Written by `bench/hygiene.py` on {info['date']}. Machine: {info['nproc']} CPUs ({info['cpu']}), "
            f"Python {info['python']}, SQLite {info['sqlite']}; load average {info['load']} at the start.", "",
            f"Method: `data/sample` in a fresh SQLite file; {len(questions)} questions (the dev sets, contact and "
            f"out-of-scope questions) answered {args.rounds} times in a row by `Conversation.answer` (answers/s is "
            f"one CPU's throughput) and once by a bare FTS5 `MATCH … ORDER BY bm25()` query; then {args.articles} "
            f"articles of {args.mb} MB, from a bigram chain over the real articles "
            f"(imported by `run_bot.py kb import`, deleted one by one as the web admin does); then "
            f"`knowledge.maintenance.maintain` (FTS5 optimize, VACUUM).", "",
            *table, ""]), encoding="utf-8")
        log(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
