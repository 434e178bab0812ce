#!/usr/bin/env python3
"""Benchmarks of the answer engine against two baselines (``make bench``; not part of ``make test``).

1. Accuracy on the dev question sets over the bundled samples (``data/sample`` = shared
   ``corpus/`` + ``corpus-more/``): ours (``Conversation.answer``), rapidfuzz ``extractOne``,
   BM25 (``rank_bm25``; ``bm25s``, the fastest plain BM25, as the speed anchor) and one bare FTS5
   ``bm25()`` query on the same database (the floor), each baseline with the abstain threshold that
   scores best on the dev sets themselves (``bench/baselines.py``).
2. For each size N (100, 1,000, 10,000 synthetic articles plus the real ones), in a child process
   of its own so that peak memory is that size's: import throughput, database size, engine
   warm-up, latency p50/p95/p99 over a mixed question set (contacts, facts, no diacritics, typos,
   out of scope, the dev questions), peak RSS, and the same figures for the baselines.

Prints progress and a table, and writes ``bench/results.md``. ``--profile N`` prints where the
time of importing and answering goes at size N instead.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baselines import BASELINES, load_passages, tune_threshold  # noqa: E402
from bench.synthetic import generate, questions, write  # noqa: E402
from handlers.conversation import ANSWER_ENGINES, Conversation, ConversationConfig  # noqa: E402
from knowledge import maintenance  # noqa: E402
from knowledge.evaluation import Report, evaluate, load_questions, percentile  # noqa: E402
from knowledge.ingest.importer import import_paths  # noqa: E402
from knowledge.store import KnowledgeBase  # noqa: E402

SAMPLES = ROOT / "data" / "sample"
RESULTS = ROOT / "bench" / "results.md"
DEV_SETS = ("dev-questions.jsonl", "dev-more-questions.jsonl")
SIZES = (100, 1000, 10000)
TARGET_P99_MS, TARGET_IMPORT, TARGET_MARGIN = 10.0, 1000.0, 0.15
SYSTEMS = ("ours", *BASELINES)
DEFAULT_ENGINE = ConversationConfig().answer_engine  # the product's default (combined)
LABELS = {"ours": f"ours ({DEFAULT_ENGINE})", **{key: cls.name for key, cls in BASELINES.items()}}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----- helpers -----------------------------------------------------------------------
def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def db_size_mb(kb: KnowledgeBase) -> float:
    kb.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(Path(kb.path + suffix).stat().st_size for suffix in ("", "-wal", "-shm")
               if Path(kb.path + suffix).exists()) / 1e6


def latency(report: Report) -> dict:
    ms = [o.seconds * 1000 for o in report.outcomes]
    return {"p50": percentile(ms, 0.50), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99),
            "mean": sum(ms) / len(ms)}


def by_category(report: Report) -> dict[str, float]:
    shares: dict[str, list[int]] = {}
    for o in report.outcomes:
        counts = shares.setdefault(o.item.get("category", "dev"), [0, 0])
        counts[0] += o.reason is None
        counts[1] += 1
    return {name: passed / total for name, (passed, total) in shares.items()}


def dev_items(shared: Path) -> dict[str, list[dict]]:
    sets = {}
    for name in DEV_SETS:
        path = shared / "eval" / name
        if path.exists():
            sets[name] = [dict(item, category="dev") for item in load_questions(path)]
    return sets


def conversation_for(kb: KnowledgeBase, engine: str) -> Conversation:
    """The conversation answering with ``engine`` (combined | matcher | fitted), with its caches built."""
    conversation = Conversation(kb, ConversationConfig(answer_engine=engine, rate_limit_messages=10**9))
    conversation.answerer.warm()  # as a worker process starts
    conversation.answer("xin chào")
    return conversation


def answer_with(conversation: Conversation):
    return lambda question: conversation.answer(question).as_json()


# ----- 1. accuracy on the dev sets ---------------------------------------------------
def dev_accuracy(shared: Path, workdir: Path, engine: str) -> dict:
    sets = dev_items(shared)
    if not sets:
        log(f"dev question sets not found under {shared}/eval: accuracy skipped")
        return {}
    kb = KnowledgeBase.open(workdir / "dev.sqlite")
    import_paths(kb, [SAMPLES])
    conversation = conversation_for(kb, engine)
    passages = load_passages(kb)
    everything = [item for items in sets.values() for item in items]
    systems = {"ours": answer_with(conversation)}
    thresholds = {}
    for key, cls in BASELINES.items():
        baseline = cls(passages, kb=kb)
        thresholds[key] = tune_threshold(baseline, everything)
        systems[key] = baseline.reply
        log(f"{LABELS[key]}: threshold {thresholds[key]:.3f} tuned on {len(everything)} dev questions")
    results = {}
    for name, items in [*sets.items(), ("both", everything)]:
        results[name] = {}
        for key, answer in systems.items():
            report = evaluate(items, answer)
            results[name][key] = {"accuracy": report.accuracy(), "groups": report.totals(),
                                  "latency": latency(report)}
    kb.close()
    return {"sets": results, "thresholds": thresholds, "passages": len(passages)}


# ----- 2. one size, in its own process ------------------------------------------------
def one_size(n: int, facts: int, rounds: int, thresholds: dict, shared: Path, baseline_questions: int,
             engine: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
        workdir = Path(tmp)
        log(f"N={n}: generating {n} synthetic articles")
        pages = generate(n, SAMPLES)
        write(pages, workdir / "synthetic")
        kb = KnowledgeBase.open(workdir / "kb.sqlite")
        step = max(1, (n + 16) // 10)

        def progress(index, total, _result):
            if index % step == 0 or index == total:
                log(f"N={n}: imported {index}/{total}")

        started = time.perf_counter()
        results = import_paths(kb, [workdir / "synthetic", SAMPLES], progress)
        import_s = time.perf_counter() - started
        articles = sum(r.status == "added" for r in results)
        started = time.perf_counter()
        maintenance.maintain(kb)  # what the running bot does at start-up (a never compacted index)
        out = {"n": n, "articles": articles, "import_s": import_s, "import_rate": articles / import_s,
               "upkeep_s": time.perf_counter() - started, "db_mb": db_size_mb(kb),
               "passages": kb.stats()["passages"]}

        items = questions(pages, facts) + [item for items in dev_items(shared).values() for item in items]
        out["questions"] = len(items)
        started = time.perf_counter()
        conversation = conversation_for(kb, engine)
        out["warmup_s"] = time.perf_counter() - started
        log(f"N={n}: import {out['import_rate']:.0f} articles/s; answering {len(items)} questions × {rounds}")
        reports = [evaluate(items, answer_with(conversation)) for _ in range(rounds)]
        merged = Report([o for r in reports for o in r.outcomes])
        out["ours"] = {"latency": latency(merged), "accuracy": reports[0].accuracy(),
                       "categories": by_category(reports[0])}
        out["peak_rss_mb"] = peak_rss_mb()

        passages = load_passages(kb)
        subset = items[:: max(1, len(items) // baseline_questions)] if baseline_questions else items
        for key, cls in BASELINES.items():
            started = time.perf_counter()
            baseline = cls(passages, thresholds.get(key, 0.0), kb)
            build_s = time.perf_counter() - started
            log(f"N={n}: {LABELS[key]} built in {build_s:.1f} s; answering {len(subset)} questions")
            report = evaluate(subset, baseline.reply)
            out[key] = {"latency": latency(report), "accuracy": report.accuracy(), "build_s": build_s,
                        "categories": by_category(report), "questions": len(subset)}
        kb.close()
    return out


# ----- profiling ------------------------------------------------------------------------
def profile(n: int, facts: int, engine: str) -> None:
    with tempfile.TemporaryDirectory(prefix=f"profile-{n}-") as tmp:
        workdir = Path(tmp)
        pages = generate(n, SAMPLES)
        write(pages, workdir / "synthetic")
        kb = KnowledgeBase.open(workdir / "kb.sqlite")
        profiler = cProfile.Profile()
        profiler.runcall(import_paths, kb, [workdir / "synthetic", SAMPLES])
        print(f"===== import of {n} synthetic + real articles (this process; parsing runs in workers) =====")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        conversation = conversation_for(kb, engine)
        items = questions(pages, facts)
        profiler = cProfile.Profile()
        profiler.runcall(evaluate, items, answer_with(conversation))
        print(f"===== answering {len(items)} questions at N={n} =====")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        kb.close()


# ----- report -------------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def tables(info: dict, dev: dict, sizes: list[dict]) -> tuple[str, list[str]]:
    lines = ["## Accuracy on the dev question sets (over data/sample = corpus + corpus-more)", ""]
    if dev:
        names = list(dev["sets"])
        lines.append("| system | " + " | ".join(names) + " | latency p50 / p95 (ms) |")
        lines.append("|---|" + "---|" * len(names) + "---|")
        for key in SYSTEMS:
            cells = []
            for name in names:
                r = dev["sets"][name][key]
                passed = sum(p for p, _ in r["groups"].values())
                total = sum(t for _, t in r["groups"].values())
                cells.append(f"{pct(r['accuracy'])} ({passed}/{total})")
            lat = dev["sets"]["both"][key]["latency"]
            lines.append(f"| {LABELS[key]} | " + " | ".join(cells) + f" | {lat['p50']:.2f} / {lat['p95']:.2f} |")
        tuned = ", ".join(f"{LABELS[key]} ≥ {value:.2f}" for key, value in dev["thresholds"].items())
        lines += ["", f"Baseline thresholds tuned on both dev sets (the most favourable choice for them): "
                      f"{tuned}; {dev['passages']} passages.", ""]
    else:
        lines += ["(dev question sets not found: skipped)", ""]

    lines += ["## Scale (synthetic articles + the real ones)", "",
              "| N | articles | import (articles/s) | index upkeep (s) | DB size (MB) | warm-up (s) | questions | "
              "ours p50 / p95 / p99 (ms) | peak RSS (MB) | ours accuracy |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        lat = s["ours"]["latency"]
        lines.append(f"| {s['n']:,} | {s['articles']:,} | {s['import_rate']:.0f} | {s['upkeep_s']:.1f} | {s['db_mb']:.1f} | "
                     f"{s['warmup_s']:.2f} | {s['questions']} | {lat['p50']:.1f} / {lat['p95']:.1f} / "
                     f"{lat['p99']:.1f} | {s['peak_rss_mb']:.0f} | {pct(s['ours']['accuracy'])} |")
    lines += ["", "## Latency and accuracy side by side on the mixed question set", "",
              "| N | system | build (s) | p50 / p95 / p99 (ms) | accuracy | contact | fact | no diacritics | typo | "
              "out of scope | dev |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        for key in SYSTEMS:
            r = s[key]
            lat = r["latency"]
            cats = " | ".join(pct(r["categories"][c]) if c in r["categories"] else "–"
                              for c in ("contact", "fact", "no diacritics", "typo", "out of scope", "dev"))
            note = f" ({r['questions']} q)" if "questions" in r else ""
            build = r.get("build_s", s["warmup_s"])  # ours: the warm-up that builds the engine's caches
            lines.append(f"| {s['n']:,} | {LABELS[key]}{note} | {build:.2f} | {lat['p50']:.1f} / {lat['p95']:.1f} / "
                         f"{lat['p99']:.1f} | {pct(r['accuracy'])} | {cats} |")

    verdicts = []
    largest = max(sizes, key=lambda s: s["n"]) if sizes else None
    if largest:
        p99 = largest["ours"]["latency"]["p99"]
        verdicts.append(f"p99 < {TARGET_P99_MS:.0f} ms at N={largest['n']:,}: {p99:.1f} ms — "
                        + ("met" if p99 < TARGET_P99_MS else "MISSED"))
        rate = largest["import_rate"]  # small imports are parsed in this process: no worker start-up to repay
        verdicts.append(f"import ≥ {TARGET_IMPORT:,.0f} articles/s at N={largest['n']:,}: {rate:.0f} — "
                        + ("met" if rate >= TARGET_IMPORT else "MISSED"))
    if dev:
        both = dev["sets"]["both"]
        better = max(both[key]["accuracy"] for key in BASELINES)
        margin = both["ours"]["accuracy"] - better
        verdicts.append(f"dev accuracy ≥ better baseline + {TARGET_MARGIN * 100:.0f} points: "
                        f"{pct(both['ours']['accuracy'])} vs {pct(better)} ({margin * 100:+.1f} points) — "
                        + ("met" if margin >= TARGET_MARGIN else "MISSED"))
    lines += ["", "## Targets", ""] + [f"- {v}" for v in verdicts]
    return "\n".join(lines), verdicts


def write_results(info: dict, body: str, elapsed: float, args) -> None:
    header = [
        "# Benchmark results", "",
        f"Written by `make bench` (`bench/run.py`) on {info['date']} in {elapsed:.0f} s.", "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB memory, Python {info['python']}, "
        f"SQLite {info['sqlite']}, {info['platform']}; load average {info['load']} at the start "
        f"(other work on the machine shows up in the latencies).", "",
        f"Method: synthetic articles from `bench/synthetic.py` (seed 7) plus the real articles of data/sample, "
        f"imported, then the index upkeep the running bot does at start-up (`knowledge.maintenance.maintain`: "
        f"FTS5 `optimize` of an index never compacted; timed apart from the import); "
        f"{args.facts} synthetic fact questions per size (a third each with diacritics, without, with a typo; "
        f"a count question names no event, so the figure of every page its words fit is right), "
        f"6 contact and 12 out-of-scope questions, and the dev questions. Our latency is "
        f"`Conversation.answer` over {args.rounds} rounds of that set, after the warm-up of a worker process "
        f"(caches built, then kept out of the garbage collector's way) and one question ({args.engine}); baselines answer the set once (at most {args.baseline_questions} questions). "
        f"Percentiles are nearest-rank. Peak RSS is the size's child process after importing and "
        f"answering with our engine, before the baselines are built. Accuracy uses the checks of "
        f"`shared/eval/score.py` (knowledge/evaluation.py); baselines answer with a whole passage, never "
        f"small talk. The synthetic filler is a bigram chain over the real articles, so it echoes "
        f"their phrases: accuracy at scale is a stress test of ranking among look-alike pages, not a "
        f"forecast.", "",
    ]
    results_file(args.engine).write_text("\n".join(header) + "\n" + body + "\n", encoding="utf-8")


def results_file(engine: str) -> Path:
    """bench/results.md for the default engine, bench/results-<engine>.md for another."""
    return RESULTS if engine == DEFAULT_ENGINE else RESULTS.with_name(f"results-{engine}.md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated N values")
    parser.add_argument("--facts", type=int, default=60, help="synthetic fact questions per size")
    parser.add_argument("--rounds", type=int, default=3, help="times our engine answers the mixed set")
    parser.add_argument("--baseline-questions", type=int, default=150,
                        help="at most this many mixed questions for the baselines (0: all)")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder (eval/)")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite bench/results.md")
    parser.add_argument("--profile", type=int, metavar="N", help="profile import and answering at size N")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--thresholds", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--engine", choices=ANSWER_ENGINES, default=os.environ.get("ANSWER_ENGINE", DEFAULT_ENGINE),
                        help=f"which answer engine is 'ours' (default: ANSWER_ENGINE, else {DEFAULT_ENGINE})")
    args = parser.parse_args()
    shared = Path(args.shared)
    LABELS["ours"] = f"ours ({args.engine})"

    if args.profile:
        profile(args.profile, args.facts, args.engine)
        return 0
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.facts, args.rounds, json.loads(args.thresholds), shared,
                                  args.baseline_questions, args.engine)))
        return 0

    started = time.perf_counter()
    info = machine()
    log(f"machine: {info['nproc']} CPUs, {info['memory_gb']} GB, Python {info['python']}, SQLite {info['sqlite']}")
    with tempfile.TemporaryDirectory(prefix="bench-dev-") as tmp:
        log("accuracy on the dev sets")
        dev = dev_accuracy(shared, Path(tmp), args.engine)
    sizes = []
    for n in (int(x) for x in args.sizes.split(",") if x.strip()):
        command = [sys.executable, __file__, "--one", str(n), "--facts", str(args.facts), "--rounds",
                   str(args.rounds), "--baseline-questions", str(args.baseline_questions), "--shared",
                   str(shared), "--thresholds", json.dumps(dev.get("thresholds", {})), "--engine", args.engine]
        child = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if child.returncode != 0:
            log(f"N={n}: the child process failed with status {child.returncode}")
            return 1
        sizes.append(json.loads(child.stdout))
    body, verdicts = tables(info, dev, sizes)
    elapsed = time.perf_counter() - started
    print(body)
    if not args.no_write:
        write_results(info, body, elapsed, args)
        log(f"wrote {results_file(args.engine).relative_to(ROOT)} ({elapsed:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
