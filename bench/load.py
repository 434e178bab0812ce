#!/usr/bin/env python3
"""Load bench (``make load``; not part of ``make test``): the real bot under concurrent clients
while staff edit the knowledge base, on 127.0.0.1 only, bounded in time.

1. Copies the sample knowledge base into a fresh SQLite file and starts ``run_bot.py run`` as a
   subprocess with Telegram in webhook mode and both Zalo channels pointed at the local fakes of
   ``tests/`` (served from a thread of their own, so that they never slow the clients down).
2. For each endpoint in turn — ``POST /api/ask``, ``/telegram/webhook``, ``/zalo/oa/webhook``
   (signed events), ``/zalo/bot/webhook`` (secret header) — ``--concurrency`` aiohttp clients send
   realistic Vietnamese questions for ``--duration`` seconds; every question carries a unique tag.
3. Meanwhile a staff task, on its own database connection as another process would, imports an
   article (``knowledge.ingest.importer`` and ``management.upload_article``) and adds, edits and deletes
   a FAQ through ``knowledge.management`` every ~0.5 s, asking the new FAQ through the web API
   right after each commit.
4. Checks that no request was lost (each tag is in ``query_log`` exactly once, each chat message
   got a reply at the fake), that no "database is locked" error reached anyone (server stderr,
   replies, staff edits) and that FAQ edits were answered at once; writes ``bench/load-results.md``.
5. Measures the cores kept busy during each phase, from ``/proc``: the bot's main process, its
   answering workers (``--workers N``, the bot's ``SERVER_WORKERS``), this process (the clients and
   the fakes) and the whole machine. ``--workers 1 2`` runs everything once per count, each on a
   fresh copy, and puts the figures side by side.

Exit code 0 when every check passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_telegram import FakeTelegram  # noqa: E402
from fake_zalo import FakeZaloBot, FakeZaloOA, now_ms, oa_signature  # noqa: E402

from handlers import texts  # noqa: E402
from knowledge import management  # noqa: E402
from knowledge.ingest.importer import import_paths  # noqa: E402
from knowledge.store import KnowledgeBase  # noqa: E402

RESULTS = ROOT / "bench" / "load-results.md"
TICKS = os.sysconf("SC_CLK_TCK")
SAMPLES = ROOT / "data" / "sample"
OA_APP_ID, OA_SECRET, OA_APP_SECRET = "4313412345678901234", "oa-secret-key-load", "app-secret-load"
ZALO_BOT_TOKEN = "1459232241454765289:fakeBotTokenForLoad"
LOCKED = "database is locked"

# Contacts, facts, no diacritics, typos, out of scope, small talk.
QUESTIONS = [
    "Số điện thoại của Sở là gì?", "Địa chỉ Sở Khoa học và Công nghệ Cần Thơ ở đâu?",
    "email cua so khcn can tho", "so fax cua so la bao nhieu", "Giờ làm việc của Sở thế nào?",
    "Trung tâm Thông tin KHCN làm những gì?", "Sở ký kết hợp tác với Trường Đại học Cần Thơ khi nào?",
    "kiem tra xang dau dot 2 nam 2013", "Chương trình hỗ trợ doanh nghiệp đổi mới công nghệ",
    "hoi nghi giao ban khcn quan huyen lan thu 13", "Sở KH&CN được thành lập năm nào?",
    "đia chi so khoa hoc cong nghe", "sdt so khcn", "Thủ tục đăng ký nhãn hiệu hàng hóa ra sao?",
    "Giá vàng hôm nay bao nhiêu?", "Dự báo thời tiết Cần Thơ ngày mai", "xin chào", "cảm ơn bạn",
    "Ai là giám đốc Sở?", "lam viec voi huyen co do nam 2023",
]


REDELIVERIES = 60  # how often a "busy" (503) update is delivered again
REDELIVERY_PAUSE = 0.5  # seconds before delivering it again


@dataclass
class Endpoint:
    name: str
    channel: str  # the query log's channel
    prefix: str  # of its tags, unique per endpoint (both Zalo adapters log as "zalo")
    sent: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # tags of the requests answered 2xx
    users: set[str] = field(default_factory=set)  # chat/user ids that must receive a reply
    error_replies: int = 0  # web answers that were the apology
    deferred: int = 0  # 503 "busy" answers, delivered again later as Telegram does
    seconds: float = 0.0
    drain_seconds: float = 0.0
    cores: dict[str, float] = field(default_factory=dict)  # busy cores during the phase: main, workers, …


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ----- the fakes, in a thread with its own event loop -------------------------------------------
class Fakes:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fakes", daemon=True)
        self.thread.start()
        self.telegram: FakeTelegram = self.run(self._make(FakeTelegram))
        self.oa: FakeZaloOA = self.run(self._make(FakeZaloOA, OA_APP_ID, OA_APP_SECRET, "access-0", "refresh-0"))
        self.zbot: FakeZaloBot = self.run(self._make(FakeZaloBot, ZALO_BOT_TOKEN))

    @staticmethod
    async def _make(cls, *args):
        return await cls(*args).start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        for fake in (self.telegram, self.oa, self.zbot):
            self.run(fake.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def replied(self, endpoint: str) -> set[str]:
        if endpoint == "telegram":
            return {str(c.params.get("chat_id")) for c in list(self.telegram.calls)
                    if c.method == "sendMessage" and c.status == 200}
        fake = self.oa if endpoint == "zalo_oa" else self.zbot
        return {user for user, _ in list(fake.messages)}

    def apologies(self) -> int:
        sent = [c.params.get("visible_text") or c.params.get("text") or "" for c in list(self.telegram.calls)
                if c.method == "sendMessage"]
        sent += [t for _, t in list(self.oa.messages) + list(self.zbot.messages)]
        return sum(texts.ERROR in t or LOCKED in t for t in sent)


# ----- the server --------------------------------------------------------------------------------
class Server:
    def __init__(self, workdir: Path, db: Path, fakes: Fakes, workers: int | None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.telegram_secret = secrets.token_urlsafe(24)
        self.zbot_secret = secrets.token_urlsafe(24)
        self.stderr_path = workdir / "server.stderr"
        env = dict(os.environ, KB_DB_PATH=str(db), WEB_HOST="127.0.0.1", WEB_PORT=str(self.port),
                   LOG_FORMAT="json", LOG_LEVEL="WARNING", WEB_SESSION_SECRET=secrets.token_hex(16),
                   TELEGRAM_BOT_TOKEN=fakes.telegram.token, TELEGRAM_MODE="webhook",
                   TELEGRAM_WEBHOOK_URL="https://chatbot.example.gov.vn/telegram/webhook",
                   TELEGRAM_WEBHOOK_SECRET=self.telegram_secret, TELEGRAM_API_BASE_URL=fakes.telegram.base_url,
                   ZALO_OA_APP_ID=OA_APP_ID, ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_APP_SECRET=OA_APP_SECRET,
                   ZALO_OA_ACCESS_TOKEN="access-0", ZALO_OA_REFRESH_TOKEN="refresh-0",
                   ZALO_OA_API_BASE_URL=fakes.oa.url, ZALO_OAUTH_BASE_URL=fakes.oa.url,
                   ZALO_BOT_TOKEN=ZALO_BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET=self.zbot_secret,
                   ZALO_BOT_API_BASE_URL=fakes.zbot.url,
                   ZALO_BOT_WEBHOOK_URL="https://chatbot.example.gov.vn/zalo/bot/webhook",
                   WEB_CHAT_RATE_LIMIT_PER_ADDRESS="1000000000")  # every simulated citizen comes from 127.0.0.1
        if workers is not None:
            env["SERVER_WORKERS"] = str(workers)
        self.process = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "run"], cwd=ROOT, env=env,
                                        stdout=open(workdir / "server.stdout", "wb"),
                                        stderr=open(self.stderr_path, "wb"))

    async def wait_ready(self, session: aiohttp.ClientSession, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the bot exited with {self.process.returncode}: {self.stderr_path.read_text()}")
            try:
                async with session.get(self.url + "/healthz") as response:
                    body = await response.json()
                    if response.status == 200 and set(body["channels"].values()) == {"on"} \
                            and len(body["channels"]) == 3:
                        break
            except (aiohttp.ClientError, ValueError, KeyError):
                pass
            await asyncio.sleep(0.2)
        else:
            raise SystemExit("the bot did not become ready in time")
        # one answer first: the answering workers start in the background (about a second)
        async with session.post(self.url + "/api/ask", json={"question": "xin chào", "session": "warm-up"}) as response:
            await response.read()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def stderr_lines(self) -> list[str]:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()


# ----- cores busy, from /proc ----------------------------------------------------------------------
def _cpu_seconds(pid: int | str) -> float:
    """User and system CPU seconds of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[str]:
    """The processes ``pid``'s main thread started (the bot's workers are)."""
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _machine_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine since boot, every core summed."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class CoresBusy:
    """CPU seconds taken between :meth:`__init__` and :meth:`stop`, per wall second: the bot's main
    process, its workers (its children: multiprocessing's resource tracker is idle), this process
    (the clients and the fakes), and the machine (``machine`` is busy cores out of ``cores``)."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.started, self.before = time.monotonic(), self._sample()

    def _sample(self) -> dict[str, float]:
        busy, everything = _machine_seconds()
        return {"main": _cpu_seconds(self.server_pid),
                "workers": sum(_cpu_seconds(pid) for pid in _children(self.server_pid)),
                "client": _cpu_seconds(os.getpid()), "machine": busy, "all": everything}

    def stop(self) -> dict[str, float]:
        after, wall = self._sample(), time.monotonic() - self.started
        cores = {name: (after[name] - self.before[name]) / wall for name in ("main", "workers", "client", "machine")}
        cores["bot"] = cores["main"] + cores["workers"]
        cores["cores"] = (after["all"] - self.before["all"]) / wall
        return cores


# ----- requests ----------------------------------------------------------------------------------
class Load:
    def __init__(self, server: Server, session: aiohttp.ClientSession):
        self.server, self.session = server, session
        self.counter = 0

    def next(self, prefix: str) -> tuple[str, str, int]:
        self.counter += 1
        tag = f"{prefix}{self.counter}"
        # the tag as pasted markup, which the answer engines read past: "#12" would be a number the page lacks
        return tag, f"{QUESTIONS[self.counter % len(QUESTIONS)]} <#{tag}>", 900_000_000 + self.counter

    def request(self, endpoint: Endpoint) -> tuple[str, dict, bytes, str, str]:
        """(url path, headers, body, tag, user) of one tagged question for ``endpoint``."""
        tag, text, n = self.next(endpoint.prefix)
        user = str(n)
        if endpoint.name == "web":
            body = json.dumps({"question": text, "session": f"load-{n}"}).encode()
            return "/api/ask", {"Content-Type": "application/json"}, body, tag, user
        if endpoint.name == "telegram":
            update = {"update_id": n, "message": {
                "message_id": n, "date": int(time.time()), "chat": {"id": n, "type": "private", "first_name": "Lan"},
                "from": {"id": n, "is_bot": False, "first_name": "Lan", "language_code": "vi"}, "text": text}}
            headers = {"Content-Type": "application/json",
                       "X-Telegram-Bot-Api-Secret-Token": self.server.telegram_secret}
            return "/telegram/webhook", headers, json.dumps(update).encode(), tag, user
        if endpoint.name == "zalo_oa":
            timestamp = now_ms()
            event = {"app_id": OA_APP_ID, "event_name": "user_send_text", "timestamp": timestamp,
                     "sender": {"id": user}, "recipient": {"id": "579745863508352884"},
                     "message": {"text": text, "msg_id": f"load-{n}"}}
            body = json.dumps(event, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json",
                       "X-ZEvent-Signature": oa_signature(OA_APP_ID, body, timestamp, OA_SECRET)}
            return "/zalo/oa/webhook", headers, body, tag, user
        update = FakeZaloBot.update(user, text, message_id=f"load-{n}")
        headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": self.server.zbot_secret}
        body = json.dumps({"ok": True, "result": update}, ensure_ascii=False).encode()
        return "/zalo/bot/webhook", headers, body, tag, user

    async def client(self, endpoint: Endpoint, deadline: float) -> None:
        while time.monotonic() < deadline:
            path, headers, body, tag, user = self.request(endpoint)
            endpoint.sent += 1
            for _ in range(REDELIVERIES + 1):  # a 503 is delivered again later, as Telegram does
                started = time.perf_counter()
                try:
                    async with self.session.post(self.server.url + path, data=body, headers=headers) as response:
                        payload = await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    status, payload = exc.__class__.__name__, b""
                    break
                if status != 503:
                    break
                endpoint.deferred += 1
                await asyncio.sleep(REDELIVERY_PAUSE)
            if isinstance(status, str):
                endpoint.errors[status] += 1
                continue
            endpoint.latencies.append(time.perf_counter() - started)
            if status != 200:
                endpoint.errors[f"HTTP {status}"] += 1
                continue
            endpoint.tags.append(tag)
            endpoint.users.add(user)
            if endpoint.name == "web":
                text = json.loads(payload).get("text", "")
                endpoint.error_replies += texts.ERROR in text or LOCKED in text

    async def ask(self, question: str) -> str:
        self.counter += 1  # a session of its own: the checks must not hit the per-user rate limit
        body = {"question": question, "session": f"staff-check-{self.counter}"}
        async with self.session.post(self.server.url + "/api/ask", json=body) as response:
            return (await response.json()).get("text", "")


# ----- staff editing ------------------------------------------------------------------------------
ARTICLE = """# Thông báo lịch tiếp công dân định kỳ (bản {version})

Ngày đăng: 20/11/2026

Sở Khoa học và Công nghệ thành phố Cần Thơ thông báo lịch tiếp công dân định kỳ, bản cập nhật số {version}.
Lãnh đạo Sở tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở Sở, số 02 Lý Thường Kiệt, quận Ninh Kiều.
{extra}
"""


@dataclass
class Staff:
    edits: int = 0
    imports: int = 0
    errors: Counter = field(default_factory=Counter)
    checks: int = 0  # questions asked through the web API to verify an edit
    stale: list[str] = field(default_factory=list)  # edits not answered right after their commit
    locked: int = 0


async def staff_editing(db: Path, load: Load, workdir: Path, stop: asyncio.Event, staff: Staff) -> None:
    kb = KnowledgeBase.open(db)  # a connection of its own, as the admin of another process would use
    article_file = workdir / "lich-tiep-cong-dan.md"
    n = 0
    try:
        while not stop.is_set():
            n += 1
            question = f"Đợt kiểm định tải số {n} của Sở diễn ra khi nào?"
            steps = [
                ("import", lambda: _import(kb, article_file, n)),
                ("faq.add", lambda: management.add_faq(kb, "bench", question, [], f"Lịch đợt {n}: mã K{n}-v1.")),
            ]
            faq_id = None
            for what, step in steps:
                result = await _staff_step(staff, what, step)
                if what == "faq.add":
                    faq_id = result
            if faq_id is None:
                continue
            await _check(load, staff, question, f"K{n}-v1", True)
            await asyncio.sleep(0.25)
            await _staff_step(staff, "faq.update", lambda: management.update_faq(
                kb, "bench", faq_id, question, [], f"Lịch đợt {n}: mã K{n}-v2."))
            await _check(load, staff, question, f"K{n}-v2", True)
            await _staff_step(staff, "faq.remove", lambda: management.remove_faq(kb, "bench", faq_id))
            await _check(load, staff, question, f"K{n}-", False)
            await asyncio.sleep(0.25)
    finally:
        kb.close()


def _import(kb: KnowledgeBase, article_file: Path, n: int) -> None:
    extra = "\n".join(f"Mục {i}: hồ sơ đăng ký tiếp công dân được nhận tại bộ phận một cửa." for i in range(n % 7))
    content = ARTICLE.format(version=n, extra=extra)
    if n % 2:
        article_file.write_text(content, encoding="utf-8")
        [result] = import_paths(kb, [article_file])
    else:
        result = management.upload_article(kb, "bench", "lich-tiep-cong-dan-upload.md", content.encode())
    if result.status == "failed":
        raise RuntimeError(f"import failed: {result.detail}")


async def _staff_step(staff: Staff, what: str, step):
    try:
        result = await asyncio.to_thread(step)
    except Exception as exc:  # counted and reported; a locked database is the failure we look for
        staff.errors[f"{what}: {exc.__class__.__name__}: {exc}"[:160]] += 1
        staff.locked += LOCKED in str(exc)
        return None
    staff.edits += 1
    staff.imports += what == "import"
    return result


async def _check(load: Load, staff: Staff, question: str, marker: str, present: bool) -> None:
    staff.checks += 1
    try:
        text = await load.ask(question)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        staff.stale.append(f"{question!r}: {exc.__class__.__name__}")
        return
    if (marker in text) != present:
        staff.stale.append(f"{question!r} expected {'' if present else 'no '}{marker}, got {text[:80]!r}")


# ----- verification -------------------------------------------------------------------------------
def log_counts(db: Path, endpoint: Endpoint) -> tuple[int, int, int, int]:
    """(tags found once, tags missing, tags found more than once, rows of the tags) in the query log."""
    prefix = f"%#{endpoint.prefix}%"
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT rtrim(substr(question, instr(question, ' <#') + 3), '>'), count(*) FROM query_log "
                            "WHERE channel = ? AND question LIKE ? GROUP BY 1", (endpoint.channel, prefix)).fetchall()
    found = dict(rows)
    sent = set(endpoint.tags)
    once = sum(1 for t in sent if found.get(t) == 1)
    missing = sum(1 for t in sent if t not in found)
    repeated = sum(1 for t, c in found.items() if c > 1) + sum(1 for t in found if t not in sent)
    return once, missing, repeated, sum(found.get(t, 0) for t in sent)


async def drain(db: Path, endpoint: Endpoint, fakes: Fakes, timeout: float) -> None:
    """Wait until every accepted chat message is logged and answered (webhooks answer first),
    giving up after ``timeout`` seconds or 30 s without progress (a reply that was dropped)."""
    started = last_change = time.monotonic()
    last = None
    while time.monotonic() - started < timeout and time.monotonic() - last_change < 30:
        once, missing, *_ = log_counts(db, endpoint)
        replied = len(endpoint.users & fakes.replied(endpoint.name)) if endpoint.name != "web" else 0
        if not missing and (endpoint.name == "web" or replied == len(endpoint.users)):
            break
        if (once, replied) != last:
            last, last_change = (once, replied), time.monotonic()
        await asyncio.sleep(0.5)
    endpoint.drain_seconds = time.monotonic() - started


async def run_endpoint(load: Load, endpoint: Endpoint, duration: float, concurrency: int) -> None:
    cores = CoresBusy(load.server.process.pid)
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(load.client(endpoint, deadline) for _ in range(concurrency)))
    endpoint.seconds = time.monotonic() - started
    endpoint.cores = cores.stop()


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {mem:.1f} GiB RAM, "
            f"{platform.platform()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"aiohttp {aiohttp.__version__}")


def _message(line: str) -> str:
    try:
        return json.loads(line)["message"]
    except (ValueError, KeyError, TypeError):
        return line


def header(args) -> list[str]:
    workers = " ".join(map(str, args.workers)) if args.workers else "(the bot's default: one per core)"
    return [f"# Load bench — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
            f"Machine: {machine()}.", "",
            f"`python bench/load.py --duration {args.duration:g} --concurrency {args.concurrency} --endpoints "
            f"{' '.join(args.endpoints)}{'' if args.staff else ' --no-staff'} --workers {workers}`: the real "
            "`run_bot.py run` subprocess on a fresh copy of `data/sample`, Telegram (webhook) and both Zalo "
            "channels pointed at the local fakes of `tests/`, one endpoint after the other, "
            f"{args.concurrency} concurrent aiohttp clients for {args.duration:g} s each"
            + (", while a staff task imports an article and adds/edits/deletes a FAQ every ~0.5 s on its own "
               "database connection" if args.staff else "") + "; once per number of answering workers "
            "(`SERVER_WORKERS`; 1 answers on the bot's event loop, as before worker processes).", "",
            "Latency is the HTTP round trip seen by the client. The webhooks answer before the reply is "
            "worked out (Telegram queues the update, Zalo spawns a task), so their latency is the "
            "acknowledgement; *drain* is how long after the end of the phase the last reply reached the "
            "fake and the last question reached the query log, and *answered/s* is the accepted requests "
            "divided by the phase plus its drain: the rate at which questions were really answered.", "",
            "A 503 from the Telegram webhook (more than 200 updates waiting) is Telegram's cue to deliver the "
            "update again later; the clients do so every 0.5 s, as *redelivered* counts.", "",
            "*Cores busy* are CPU seconds per second of the phase, from `/proc`: the bot (its main process + "
            "its answering workers), this bench process (the clients, the fakes and the staff task), other "
            "processes, and the whole machine; "
            "*log rows / answer* counts the query-log rows of the answered requests' tags."]


def side_by_side(runs: list[tuple[int | None, list[Endpoint]]]) -> list[str]:
    """Each endpoint's figures for each worker count, and the gain over ``--workers 1``."""
    lines = ["", "## Side by side", "",
             "| endpoint | workers | req/s | × workers 1 | p50 ms | p99 ms | errors | cores busy: bot (main + workers) "
             "| bench | other processes | machine |",
             "|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"]
    base = {e.name: len(e.latencies) / e.seconds for workers, endpoints in runs if workers == 1 for e in endpoints}
    for name in [e.name for e in runs[0][1]]:
        for workers, endpoints in runs:
            e = next(e for e in endpoints if e.name == name)
            rate, ms, c = len(e.latencies) / e.seconds, [x * 1000 for x in e.latencies], e.cores
            gain = f"{rate / base[name]:.2f}" if name in base else ""
            lines.append(f"| {name} | {workers or 'default'} | {rate:.0f} | {gain} | {percentile(ms, 50):.0f} | "
                         f"{percentile(ms, 99):.0f} | {sum(e.errors.values())} | {c['bot']:.2f} ({c['main']:.2f} + "
                         f"{c['workers']:.2f}) | {c['client']:.2f} | {max(0.0, c['machine'] - c['bot'] - c['client']):.2f} | "
                         f"{c['machine']:.2f} of {c['cores']:.0f} |")
    return lines


def report(endpoints: list[Endpoint], staff: Staff, db: Path, fakes: Fakes, stderr: list[str], args,
           exit_code: int, workers: int | None) -> tuple[str, bool]:
    lines = ["", f"## `--workers {workers or 'default'}`", "",
             "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | redelivered | in log once | "
             "missing | duplicated | log rows / answer | replied at fake | drain s | answered/s | cores busy: main "
             "+ workers, bench, machine |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    ok = exit_code == 0
    for e in endpoints:
        once, missing, repeated, rows = log_counts(db, e)
        replied = len(e.users) if e.name == "web" else len(e.users & fakes.replied(e.name))
        errors = ", ".join(f"{k}: {v}" for k, v in e.errors.items()) or "0"
        ms = [x * 1000 for x in e.latencies]
        c = e.cores
        lines.append(f"| {e.name} | {e.sent} | {len(e.latencies) / e.seconds:.0f} | {percentile(ms, 50):.0f} | "
                     f"{percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} | {max(ms, default=0):.0f} | {errors} | "
                     f"{e.deferred} | {once} | {missing} | {repeated} | {rows / max(1, len(e.tags)):.3f} | "
                     f"{replied}/{len(e.users)} | {e.drain_seconds:.1f} | "
                     f"{len(e.tags) / (e.seconds + e.drain_seconds):.0f} | {c['main']:.2f} + {c['workers']:.2f}, "
                     f"{c['client']:.2f}, {c['machine']:.2f} |")
        ok &= not e.errors and not missing and not repeated and replied == len(e.users) and not e.error_replies
    locked_lines = [line for line in stderr if LOCKED in line]
    tracebacks = [line for line in stderr if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line]
    warnings = Counter(_message(line) for line in stderr if '"level": "WARNING"' in line)
    apologies = sum(e.error_replies for e in endpoints) + fakes.apologies()
    ok &= not locked_lines and not tracebacks and not apologies and not staff.errors and not staff.stale
    worst_p99 = max(percentile([x * 1000 for x in e.latencies], 99) for e in endpoints)
    lines += ["", "Staff editing during the load:" if args.staff else "No staff editing.", "",
              f"- edits committed: {staff.edits} ({staff.imports} article imports, the rest FAQ add/edit/delete); "
              f"failed edits: {sum(staff.errors.values())}"
              + ("".join(f"\n  - {k} ×{v}" for k, v in staff.errors.items())),
              f"- \"{LOCKED}\": {staff.locked} in staff edits, {len(locked_lines)} in the server's log, "
              f"{apologies} apologies or lock errors in replies (web answers and messages at the fakes)",
              f"- warning records in the server's log: {len(warnings)}"
              + "".join(f"\n  - {n} × `{m[:160]}`" for m, n in warnings.most_common(5)),
              f"- error records in the server's log: {len(tracebacks)}"
              + "".join(f"\n  - `{line[:200]}`" for line in tracebacks[:5]),
              f"- FAQ edits asked through `/api/ask` right after their commit: {staff.checks}, answered with the "
              f"old state: {len(staff.stale)}" + "".join(f"\n  - {s}" for s in staff.stale[:5]),
              f"- server exit code after SIGTERM: {exit_code}", "",
              f"Verdict: {'all checks passed' if ok else 'SOME CHECKS FAILED'}; worst p99 {worst_p99:.0f} ms"
              + (" (over one second: see docs/reliability.md)" if worst_p99 > 1000 else "") + "."]
    return "\n".join(lines) + "\n", ok


async def main(args) -> int:
    runs, sections, ok = [], [], True
    for workers in args.workers or [None]:
        endpoints, text, passed = await run(args, workers)
        runs.append((workers, endpoints))
        sections.append(text)
        ok &= passed
    text = "\n".join(header(args) + side_by_side(runs) + sections) + "\n"
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


async def run(args, workers: int | None) -> tuple[list[Endpoint], str, bool]:
    """Every endpoint in turn against a bot with ``workers`` answering workers, on a fresh copy."""
    workdir = Path(tempfile.mkdtemp(prefix="kb-load-"))
    db = workdir / "kb.sqlite"
    kb = KnowledgeBase.open(db)
    import_paths(kb, [SAMPLES])
    kb.close()
    fakes = Fakes()
    server = Server(workdir, db, fakes, workers)
    names = [n for n in ("web", "telegram", "zalo_oa", "zalo_bot") if n in args.endpoints]
    channels = {"web": ("web", "w"), "telegram": ("telegram", "t"), "zalo_oa": ("zalo", "o"),
                "zalo_bot": ("zalo", "b")}
    endpoints = [Endpoint(n, *channels[n]) for n in names]
    staff = Staff()
    connector = aiohttp.TCPConnector(limit=args.concurrency + 10)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    exit_code = -1
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await server.wait_ready(session)
            print(f"bot ready on {server.url} (workers: {workers or 'default'}); workdir {workdir}", flush=True)
            load = Load(server, session)
            stop = asyncio.Event()
            editor = asyncio.create_task(staff_editing(db, load, workdir, stop, staff) if args.staff
                                         else stop.wait())
            for endpoint in endpoints:
                print(f"{endpoint.name}: {args.concurrency} clients for {args.duration:g} s …", flush=True)
                await run_endpoint(load, endpoint, args.duration, args.concurrency)
                await drain(db, endpoint, fakes, args.drain_timeout)
                print(f"  {endpoint.sent} requests, drained in {endpoint.drain_seconds:.1f} s", flush=True)
            stop.set()
            await editor
    finally:
        exit_code = server.stop()
    text, ok = report(endpoints, staff, db, fakes, server.stderr_lines(), args, exit_code, workers)
    fakes.close()
    if ok:  # a failed run's database and server logs are kept for a look
        shutil.rmtree(workdir, ignore_errors=True)
    return endpoints, text, ok


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per endpoint (30)")
    parser.add_argument("--concurrency", type=int, default=100, help="concurrent clients (100)")
    parser.add_argument("--endpoints", nargs="+", default=["web", "telegram", "zalo_oa", "zalo_bot"],
                        choices=["web", "telegram", "zalo_oa", "zalo_bot"])
    parser.add_argument("--request-timeout", type=float, default=30.0, help="client timeout per request (30 s)")
    parser.add_argument("--drain-timeout", type=float, default=600.0,
                        help="longest wait for the replies after a phase (600 s)")
    parser.add_argument("--workers", type=int, nargs="+", metavar="N",
                        help="answering workers of the bot (SERVER_WORKERS); several counts run one after the other "
                             "and are compared, e.g. --workers 1 2 (default: the bot's own, one per core)")
    parser.add_argument("--no-staff", dest="staff", action="store_false",
                        help="no staff editing during the load (to see what the edits cost)")
    parser.add_argument("--no-write", dest="write", action="store_false", help=f"do not write {RESULTS.name}")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
