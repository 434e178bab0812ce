"""``run_bot.py run``: start the web server and every channel that has its settings, and stop
them all cleanly on SIGINT/SIGTERM.

A channel module offers ``build(settings, conversation, app) -> Channel | None``: it adds its
webhook routes to ``app`` and returns an object with ``name``, ``async start()`` and
``async stop()``, or None (after saying which setting turns it on) when it is not configured.
A channel that can send staff's answers to hand-over requests also offers ``deliver`` (see
:mod:`bot.channels.handover_delivery`, whose loop runs beside the channels). Questions are matched in the
worker processes of :mod:`bot.workers` (``[server] workers``; with 1, on the event loop as before);
the query log and hand-over state are written behind the replies (:mod:`knowledge.write_behind`).
"""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Protocol

from aiohttp import web

from handlers.conversation import Conversation
from knowledge import handover, querylog
from knowledge.store import KnowledgeBase
from knowledge.write_behind import WriteBehind, WriteThrough, written

from .channels.handover_delivery import Delivery, DeliveryConfig
from .settings import Settings
from .upkeep import maintain_daily
from .workers import AnswerPool
from .web import users
from .web.app import create_app
from .web.state import CHANNELS_KEY, FACTS_CHECKED_AFTER_KEY

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def channel_factories():
    """The channel builders, imported lazily so that a missing optional part never blocks the rest."""
    factories = []
    try:
        from .channels.telegram import build as build_telegram
    except ImportError as exc:  # python-telegram-bot missing: the other channels still run
        log.warning("Telegram channel unavailable: %s", exc)
    else:
        factories.append(build_telegram)
    from .channels import zalo_bot, zalo_oa  # aiohttp only: always available

    factories += [zalo_oa.build, zalo_bot.build]
    return factories


async def prune_logs_daily(writes: WriteBehind | WriteThrough, retention_days: int,
                           interval: float = 86_400) -> None:
    """Delete query-log rows (and delivered or closed hand-over requests) past the retention period
    now and then every ``interval`` seconds, on the writer's connection (``writes``): not on the event loop."""
    while True:
        try:
            removed = await written(writes, lambda kb: querylog.prune(kb, retention_days)
                                    + handover.prune(kb, retention_days))
            if removed:
                log.info("pruned %d query-log and hand-over rows older than %d days", removed, retention_days)
        except Exception:  # a busy or broken database must not stop the bot; try again later
            log.exception("pruning the query log failed")
        await asyncio.sleep(interval)


def admin_banner(kb: KnowledgeBase, base_url: str) -> str:
    """Where the staff area is and, while nobody could sign in to it as an admin, how to make the first account."""
    line = f"Trang quản trị: {base_url}/admin"
    if not any(user.is_admin for user in users.all_users(kb)):
        line += ("\nChưa có tài khoản quản trị nào. Tạo tài khoản đầu tiên bằng: "
                 "python run_bot.py admin add-user TÊN --role admin")
    return line


async def serve(settings: Settings, kb: KnowledgeBase, stop: asyncio.Event) -> None:
    config, workers = settings.conversation(), settings.workers()
    pool = AnswerPool(kb.path, config.answer_engine, workers) if workers > 1 else None
    writes = WriteBehind(kb.path) if kb.path != ":memory:" else None  # no reply waits for a staff import's lock
    conversation = Conversation(kb, config, pool.match if pool else None, writes)
    if pool is None:
        conversation.answerer.warm()  # answering on the loop: its caches built before the first question
    retention_days = int(settings.get("logs", "retention_days", 365))
    app = create_app(conversation, kb, settings.secret("WEB_SESSION_SECRET"),
                     settings.get("web", "trusted_proxies", []), settings.get("web", "chat_rate_limit_per_address", 60),
                     retention_days)
    app[FACTS_CHECKED_AFTER_KEY] = settings.facts_checked_after()
    channels: list[Channel] = []
    for build in channel_factories():
        channel = build(settings, conversation, app)
        if channel is not None:
            channels.append(channel)
            app[CHANNELS_KEY].append(channel)
    answers = Delivery(kb, channels, DeliveryConfig.from_settings(settings), conversation.writes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = settings.get("web", "host", "127.0.0.1"), settings.get("web", "port", 8080)
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"Web chat: http://{host}:{port}/  (Ctrl-C để dừng)", flush=True)
    print(admin_banner(kb, f"http://{host}:{port}"), flush=True)
    pruning = asyncio.create_task(prune_logs_daily(conversation.writes, retention_days))
    upkeep = asyncio.create_task(maintain_daily(kb.path, settings.secret("BOT_HASH_KEY")))
    delivery = asyncio.create_task(answers.run())
    try:
        for channel in channels:
            await channel.start()
            state = "đang chạy" if getattr(channel, "running", True) else "đang kết nối (thử lại trong nền)"
            print(f"Kênh {channel.name}: {state}", flush=True)
        await stop.wait()
    finally:
        pruning.cancel()
        upkeep.cancel()
        delivery.cancel()
        for channel in reversed(channels):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping %s failed", channel.name)
        await runner.cleanup()
        if writes is not None:  # the channels' last answers logged
            writes.close()
        if pool is not None:  # last: the channels' last answers needed it
            pool.close()


def run(settings: Settings, kb: KnowledgeBase) -> int:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, kb, stop)

    asyncio.run(main())
    print("Đã dừng bot.", flush=True)
    return 0
