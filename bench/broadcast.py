"""Broadcast benchmark: the outbox Sender against a naive send-and-sleep loop, over real HTTP.

    python -m bench.broadcast                          # default: 10,000 / 2,000 recipients
    python -m bench.broadcast --recipients 2000 --naive-recipients 500
    python -m bench.broadcast --sequential             # one scenario after the other

A fake Telegram Bot API (aiohttp, 127.0.0.1, a random free port) runs in this process, one
server per scenario. It answers getMe, setMyCommands, deleteMyCommands and sendMessage;
every sendMessage is answered after 50 ms, and a seeded RNG makes 2 % of them HTTP 429
(retry_after 1) and 2 % HTTP 500. It counts, per chat_id, the messages it accepted (200 OK):
more than one is a duplicate, none is a loss. It also keeps the time of every sendMessage
request and of every acceptance, for the rates and the busiest 1-second window.

Each scenario runs in its own subprocess, so each peak RSS (ru_maxrss) is its own:

* sender - the real app from `create_app` (real AiohttpSession pointed at the fake server,
           BROADCAST_RATE 25, a SQLite file in a temp dir). N residents with consent are
           seeded through the repositories, the background is started with `emit_startup`,
           BroadcastService.start(1, Audience.RESIDENTS, ...) queues one message each, and
           the worker polls the outbox once a second until nothing is pending or sending.
* naive  - a plain aiogram Bot on the same kind of fake server: for each recipient
           `await bot.send_message(...)` then `await asyncio.sleep(1 / rate)`, no retries
           (an exception is a lost message). It gets fewer recipients by default
           (--naive-recipients 2000): at ~90 ms a message 10,000 would take 15 minutes.

Both scenarios run side by side by default (each its own process and its own fake server,
both light on CPU) so the default run stays under 10 minutes; --sequential runs them one
after the other.

Delivered rate = accepted messages / time from the first to the last acceptance. With 4 %
of requests failing on purpose, the accepted rate can be at most ~96 % of the request rate,
so the table also shows sendMessage requests/s (every attempt, accepted or not).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import logging
import os
import random
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import finish, peak_rss_mib  # noqa: E402

TOKEN = "123456:TEST-token-for-the-fake-session-000"  # the token make_settings uses
BOT_ID = 123456
TEMPLATE = "Thank you! Your consent is recorded."
ADMIN_ID = 1
SENDER_FIRST_ID = 1_000_000
NAIVE_FIRST_ID = 2_000_000
SEED_BATCH = 500
PROGRESS_EVERY = 15.0
RATE_TARGET = 0.95  # delivered / configured
BURST_SLACK = 1  # a 1-second window may hold rate + 1 messages (both ends of a 1 s span)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def note(prefix: str, text: str) -> None:
    sys.stderr.write(f"  [{prefix}] {text}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# The fake Telegram Bot API
# ---------------------------------------------------------------------------------------------


@dataclass
class Record:
    accepted: Counter[int] = field(default_factory=Counter)  # chat_id -> 200 OK sendMessage
    accepted_at: list[float] = field(default_factory=list)  # monotonic, when answered 200
    requested_at: list[float] = field(default_factory=list)  # monotonic, every sendMessage
    answered_429: int = 0
    answered_500: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    unknown_methods: Counter[str] = field(default_factory=Counter)
    bad_requests: int = 0


class FakeTelegram:
    """Just enough of the Bot API over HTTP, with injected latency and faults."""

    def __init__(
        self, seed: int, delay: float = 0.05, p429: float = 0.02, p500: float = 0.02
    ) -> None:
        self.rng = random.Random(seed)
        self.delay = delay
        self.p429 = p429
        self.p500 = p500
        self.record = Record()
        self.port = 0
        self._runner: Any = None
        self._message_ids = iter(range(1, 1 << 62))

    async def start(self) -> int:
        from aiohttp import web

        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _ok(result: Any) -> Any:
        from aiohttp import web

        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> Any:
        from aiohttp import web

        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _params(self, request: Any) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}

    async def _handle(self, request: Any) -> Any:
        if request.match_info["token"] != TOKEN:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"].lower()
        params = await self._params(request)
        self.record.methods[method] += 1
        if method == "getme":
            return self._ok(
                {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
            )
        if method in ("setmycommands", "deletemycommands"):
            return self._ok(True)
        if method != "sendmessage":
            self.record.unknown_methods[method] += 1
            return self._error(404, "Not Found: method not found")
        return await self._send_message(params)

    async def _send_message(self, params: dict[str, Any]) -> Any:
        record = self.record
        record.requested_at.append(time.monotonic())
        try:
            chat_id = int(params["chat_id"])
            text = str(params["text"])
        except (KeyError, ValueError):
            record.bad_requests += 1
            await asyncio.sleep(self.delay)
            return self._error(400, "Bad Request: chat_id and text are required")
        roll = self.rng.random()  # decided on arrival, so the fault pattern is seeded
        await asyncio.sleep(self.delay)
        if roll < self.p429:
            record.answered_429 += 1
            return self._error(429, "Too Many Requests: retry after 1", retry_after=1)
        if roll < self.p429 + self.p500:
            record.answered_500 += 1
            return self._error(500, "Internal Server Error")
        record.accepted[chat_id] += 1
        record.accepted_at.append(time.monotonic())
        return self._ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bench"},
                "text": text,
            }
        )


# ---------------------------------------------------------------------------------------------
# Workers (one per subprocess)
# ---------------------------------------------------------------------------------------------


class CountingHandler(logging.Handler):
    """Counts log records by their message template; prints errors as they happen."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.WARNING)
        self.prefix = prefix
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1
        if record.levelno >= logging.ERROR:
            note(self.prefix, f"{record.levelname} {record.name}: {record.getMessage()}")


def install_log_counter(prefix: str) -> CountingHandler:
    handler = CountingHandler(prefix)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    return handler


async def sender_worker(args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import create_app
    from bot.services.broadcasts import Audience
    from bot.services.users import NOTICE_VERSION
    from tests.kit import make_settings

    logs = install_log_counter("sender")
    recipients = [SENDER_FIRST_ID + i for i in range(args.recipients)]
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        settings = make_settings(
            Path(tmp),
            bot_api_base_url=args.base_url,
            broadcast_rate=args.rate,
            admin_ids=frozenset({ADMIN_ID}),
        )
        app = await create_app(settings)
        t0 = time.perf_counter()
        now = app.clock.now()
        for first in range(0, len(recipients), SEED_BATCH):
            async with app.db.transaction() as uow:
                for uid in recipients[first : first + SEED_BATCH]:
                    await uow.users.ensure(uid, now)
                    await uow.users.give_consent(uid, NOTICE_VERSION, now)
        seed_s = time.perf_counter() - t0
        rss_seeded = peak_rss_mib()

        await app.dp.emit_startup(bot=app.bot)
        started = time.perf_counter()
        broadcast_id = await app.broadcasts.start(ADMIN_ID, Audience.RESIDENTS, TEMPLATE)
        queued_s = time.perf_counter() - started
        note("sender", f"broadcast {broadcast_id}: {len(recipients)} queued in {queued_s:.1f}s")

        # Wait until nothing is pending or sending; give up on a stall or a hard deadline.
        deadline = started + len(recipients) / args.rate * 3 + 300
        last_progress_print = started
        last_sent, last_change = -1, started
        stalled = timed_out = False
        counts: dict[str, int] = {}
        while True:
            await asyncio.sleep(1.0)
            counts = await app.db.read.outbox.counts()
            open_rows = counts.get("pending", 0) + counts.get("sending", 0)
            t = time.perf_counter()
            sent = counts.get("sent", 0)
            if sent != last_sent:
                last_sent, last_change = sent, t
            if t - last_progress_print >= PROGRESS_EVERY:
                last_progress_print = t
                note(
                    "sender",
                    f"{t - started:6.0f}s  sent {sent}/{len(recipients)}  "
                    f"pending {counts.get('pending', 0)}  sending {counts.get('sending', 0)}  "
                    f"failed {counts.get('failed', 0)}  ({sent / (t - started):.1f}/s so far)",
                )
            if open_rows == 0:
                break
            if t - last_change > args.stall_after:
                stalled = True
                note("sender", f"STALL: no message marked sent for {args.stall_after:.0f}s")
                break
            if t > deadline:
                timed_out = True
                note("sender", "DEADLINE passed with messages still open")
                break
        drained_s = time.perf_counter() - started

        ex = app.db.read.executor
        attempts_total = int(await ex.fetch_value("SELECT COALESCE(SUM(attempts), 0) FROM outbox"))
        attempts_max = int(await ex.fetch_value("SELECT COALESCE(MAX(attempts), 0) FROM outbox"))
        errors = await ex.fetch_all(
            "SELECT status, last_error, COUNT(*) FROM outbox "
            "WHERE status IN ('failed', 'skipped') GROUP BY status, last_error"
        )
        t_stop = time.perf_counter()
        await app.dp.emit_shutdown(bot=app.bot)
        await app.bot.session.close()
        stop_s = time.perf_counter() - t_stop

    return {
        "recipients": len(recipients),
        "chat_ids": [SENDER_FIRST_ID, len(recipients)],
        "seed_s": seed_s,
        "queued_s": queued_s,
        "drained_s": drained_s,
        "stop_s": stop_s,
        "stalled": stalled,
        "timed_out": timed_out,
        "outbox": counts,
        "attempts_total": attempts_total,
        "attempts_max": attempts_max,
        "failed_reasons": [[r[0], r[1], r[2]] for r in errors],
        "exceptions": 0,
        "exception_kinds": {},
        "logs": dict(logs.counts),
        "rss_seeded_mib": rss_seeded,
        "peak_rss_mib": peak_rss_mib(),
        "cpu_s": cpu_seconds(),
    }


async def naive_worker(args: argparse.Namespace) -> dict[str, Any]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    install_log_counter("naive")
    recipients = [NAIVE_FIRST_ID + i for i in range(args.naive_recipients)]
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(args.base_url)))
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    last_print = started
    try:
        for n, chat_id in enumerate(recipients, 1):
            try:
                await bot.send_message(chat_id, TEMPLATE)
            except Exception as error:  # no retry: the message is lost
                kinds[type(error).__name__] += 1
            await asyncio.sleep(1 / args.rate)
            t = time.perf_counter()
            if t - last_print >= PROGRESS_EVERY:
                last_print = t
                note(
                    "naive",
                    f"{t - started:6.0f}s  sent {n}/{len(recipients)}  "
                    f"exceptions {sum(kinds.values())}  ({n / (t - started):.1f}/s so far)",
                )
    finally:
        await bot.session.close()
    return {
        "recipients": len(recipients),
        "chat_ids": [NAIVE_FIRST_ID, len(recipients)],
        "drained_s": time.perf_counter() - started,
        "stalled": False,
        "timed_out": False,
        "outbox": {},
        "exceptions": sum(kinds.values()),
        "exception_kinds": dict(kinds),
        "logs": {},
        "peak_rss_mib": peak_rss_mib(),
        "cpu_s": cpu_seconds(),
    }


# ---------------------------------------------------------------------------------------------
# Measuring what the fake server saw
# ---------------------------------------------------------------------------------------------


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + window)."""
    times = sorted(times)
    best = 0
    for i, t in enumerate(times):
        best = max(best, bisect.bisect_left(times, t + window, lo=i) - i)
    return best


def rate_of(times: list[float]) -> tuple[float, float]:
    """(count / span from first to last, span seconds)."""
    if len(times) < 2:
        return 0.0, 0.0
    span = max(times) - min(times)
    return (len(times) / span if span > 0 else float("inf")), span


def gaps(times: list[float]) -> tuple[float, int, float]:
    """Longest pause between consecutive timestamps, pauses over 0.5 s, and their total."""
    times = sorted(times)
    deltas = [b - a for a, b in itertools.pairwise(times)]
    long = [d for d in deltas if d > 0.5]
    return (max(deltas) if deltas else 0.0), len(long), sum(long)


def analyse(record: Record, first_id: int, count: int) -> dict[str, Any]:
    ids = range(first_id, first_id + count)
    accepted = [record.accepted.get(i, 0) for i in ids]
    delivered_rate, span = rate_of(record.accepted_at)
    request_rate, request_span = rate_of(record.requested_at)
    longest_gap, n_gaps, gap_total = gaps(record.requested_at)
    return {
        "accepted": sum(record.accepted.values()),
        "requests": len(record.requested_at),
        "answered_429": record.answered_429,
        "answered_500": record.answered_500,
        "duplicates": sum(1 for a in accepted if a > 1),
        "extra_copies": sum(a - 1 for a in accepted if a > 1),
        "losses": sum(1 for a in accepted if a == 0),
        "strangers": sum(v for k, v in record.accepted.items() if k not in ids),
        "delivered_rate": delivered_rate,
        "span_s": span,
        "request_rate": request_rate,
        "request_span_s": request_span,
        "burst_requests": max_in_window(record.requested_at),
        "burst_accepted": max_in_window(record.accepted_at),
        "longest_gap_s": longest_gap,
        "gaps_over_half_s": n_gaps,
        "gap_total_s": gap_total,
        "methods": dict(record.methods),
        "unknown_methods": dict(record.unknown_methods),
        "bad_requests": record.bad_requests,
    }


# ---------------------------------------------------------------------------------------------
# Orchestrator
# ---------------------------------------------------------------------------------------------


async def run_worker(kind: str, args: argparse.Namespace, base_url: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.broadcast",
        "--worker",
        kind,
        "--base-url",
        base_url,
        "--recipients",
        str(args.recipients),
        "--naive-recipients",
        str(args.naive_recipients),
        "--rate",
        str(args.rate),
        "--stall-after",
        str(args.stall_after),
    ]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=None
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"worker {kind} failed with code {proc.returncode}")
    result = dict(json.loads(out.decode().strip().splitlines()[-1]))
    result["process_wall_s"] = time.perf_counter() - started
    return result


async def orchestrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    mode = "one after the other" if args.sequential else "side by side"
    print(
        f"broadcast bench: sender {args.recipients} recipients, naive loop "
        f"{args.naive_recipients} recipients (--naive-recipients; fewer, it is slow), "
        f"rate {args.rate:g}/s, python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    print(
        "fake Bot API on 127.0.0.1 (one per scenario, in this process): every sendMessage "
        "answered after 50 ms, 2 % HTTP 429 (retry_after 1), 2 % HTTP 500, seeded RNG; "
        f"scenarios run {mode}, each in its own subprocess"
    )
    sys.stdout.flush()

    servers = {"sender": FakeTelegram(seed=args.seed), "naive": FakeTelegram(seed=args.seed + 1)}
    for server in servers.values():
        await server.start()
    try:
        if args.sequential:
            results = {k: await run_worker(k, args, s.base_url) for k, s in servers.items()}
        else:
            done = await asyncio.gather(
                *(run_worker(k, args, s.base_url) for k, s in servers.items())
            )
            results = dict(zip(servers, done, strict=True))
    finally:
        for server in servers.values():
            await server.stop()

    stats = {kind: analyse(servers[kind].record, *results[kind]["chat_ids"]) for kind in servers}
    for kind in servers:
        r, s = results[kind], stats[kind]
        s["failed_rows"] = r["outbox"].get("failed", 0) + r["outbox"].get("skipped", 0)
        s["ratio"] = s["delivered_rate"] / args.rate

    header = (
        f"{'scenario':8} {'recipients':>10} {'accepted':>8} {'req/s':>6} {'deliv/s':>7} "
        f"{'rate':>5} {'ratio':>6} {'max/1s req':>10} {'max/1s acc':>10} {'429':>4} {'5xx':>4} "
        f"{'dups':>5} {'losses':>6} {'failed rows':>11} {'peak RSS MiB':>12} {'CPU s':>6} "
        f"{'wall s':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    for kind in servers:
        r, s = results[kind], stats[kind]
        failed = str(s["failed_rows"]) if kind == "sender" else "n/a"
        print(
            f"{kind:8} {r['recipients']:10d} {s['accepted']:8d} {s['request_rate']:6.2f} "
            f"{s['delivered_rate']:7.2f} {args.rate:5.0f} {s['ratio']:6.3f} "
            f"{s['burst_requests']:10d} {s['burst_accepted']:10d} {s['answered_429']:4d} "
            f"{s['answered_500']:4d} {s['duplicates']:5d} {s['losses']:6d} {failed:>11} "
            f"{r['peak_rss_mib']:12.1f} {r['cpu_s']:6.1f} {r['drained_s']:7.1f}"
        )
    print(
        "\n  req/s: sendMessage requests (accepted or not) / span of requests; deliv/s: accepted "
        "/ span from first to last acceptance;\n  max/1s: most in any 1-second window; "
        "wall s: sender from BroadcastService.start to an empty queue, naive the whole loop"
    )

    snd, nai = stats["sender"], stats["naive"]
    rs = results["sender"]
    print("\ndetails")
    print(
        f"  sender: seeded {rs['recipients']} users in {rs['seed_s']:.1f}s, queued in "
        f"{rs['queued_s']:.1f}s, drained in {rs['drained_s']:.1f}s, shutdown {rs['stop_s']:.1f}s; "
        f"outbox {rs['outbox']}"
    )
    print(
        f"  sender: {snd['requests']} sendMessage requests for {rs['recipients']} messages "
        f"(outbox attempts total {rs['attempts_total']}, max per message {rs['attempts_max']}); "
        f"delivery span {snd['span_s']:.1f}s"
    )
    print(
        f"  sender: pauses > 0.5 s between requests: {snd['gaps_over_half_s']} "
        f"(total {snd['gap_total_s']:.1f}s, longest {snd['longest_gap_s']:.2f}s); "
        f"ideal span at {args.rate:g}/s for {snd['requests']} requests: "
        f"{snd['requests'] / args.rate:.1f}s"
    )
    for message, n in sorted(rs["logs"].items(), key=lambda kv: -kv[1]):
        print(f"  sender log x{n}: {message}")
    for status, reason, n in rs["failed_reasons"]:
        print(f"  sender {status} x{n}: {reason}")
    print(f"  sender: methods seen by the fake server {snd['methods']}")
    if snd["strangers"]:
        print(f"  sender: {snd['strangers']} messages accepted for chats outside the recipients")
    rn = results["naive"]
    print(
        f"  naive: {nai['requests']} requests, exceptions {rn['exceptions']} "
        f"{rn['exception_kinds']}, loop took {rn['drained_s']:.1f}s"
    )
    for kind, s in stats.items():
        if s["unknown_methods"] or s["bad_requests"]:
            print(
                f"  {kind}: unknown methods {s['unknown_methods']}, "
                f"bad requests {s['bad_requests']}"
            )

    ceiling = 1 - (snd["answered_429"] + snd["answered_500"]) / max(1, snd["requests"])
    print("\nverdict")
    problems: list[str] = []

    def verdict(ok: bool, text: str) -> None:
        print(f"  {text}: {'ok' if ok else 'FAIL'}")
        if not ok:
            problems.append(text)

    verdict(
        snd["ratio"] >= RATE_TARGET,
        f"sender delivered {snd['delivered_rate']:.2f}/s of {args.rate:g}/s = {snd['ratio']:.3f} "
        f"(>= {RATE_TARGET})",
    )
    print(
        f"    (requests went out at {snd['request_rate']:.2f}/s = "
        f"{snd['request_rate'] / args.rate:.3f} of the limit; {1 - ceiling:.1%} of requests were "
        f"answered 429/500, so accepted/s can be at most ~{ceiling:.3f} of the request rate)"
    )
    limit = int(args.rate) + BURST_SLACK
    verdict(
        snd["burst_requests"] <= limit and snd["burst_accepted"] <= limit,
        f"sender max in any 1 s: {snd['burst_requests']} requests, {snd['burst_accepted']} "
        f"accepted (<= {limit})",
    )
    verdict(snd["duplicates"] == 0, f"sender duplicates {snd['duplicates']} (== 0)")
    verdict(snd["losses"] == 0, f"sender losses {snd['losses']} (== 0)")
    verdict(
        snd["failed_rows"] == 0, f"sender failed/skipped outbox rows {snd['failed_rows']} (== 0)"
    )
    verdict(not rs["stalled"] and not rs["timed_out"], "sender drained the queue without a stall")
    print(
        f"  naive ({rn['recipients']} recipients): {nai['delivered_rate']:.2f}/s = "
        f"{nai['ratio']:.3f} of the rate, losses {nai['losses']} "
        f"({nai['losses'] / max(1, rn['recipients']):.1%}), duplicates {nai['duplicates']}, "
        f"max in 1 s {nai['burst_requests']}"
    )
    if nai["delivered_rate"] > 0:
        print(
            f"  sender / naive delivered rate: {snd['delivered_rate'] / nai['delivered_rate']:.2f}x"
        )
    return finish(started, problems)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=summary)
    parser.add_argument("--recipients", type=int, default=10_000, help="sender recipients")
    parser.add_argument("--naive-recipients", type=int, default=2_000, help="naive loop recipients")
    parser.add_argument("--rate", type=float, default=25.0, help="BROADCAST_RATE (msgs/s)")
    parser.add_argument("--seed", type=int, default=20_240_601, help="fake server RNG seed")
    parser.add_argument(
        "--sequential", action="store_true", help="run the scenarios one after the other"
    )
    parser.add_argument(
        "--stall-after", type=float, default=120.0, help="give up after this long with no progress"
    )
    parser.add_argument("--worker", choices=("sender", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.recipients < 1 or args.naive_recipients < 1 or not 0 < args.rate <= 30:
        parser.error("recipients must be >= 1 and 0 < rate <= 30")
    if args.worker:
        work = sender_worker if args.worker == "sender" else naive_worker
        result = asyncio.run(work(args))
        print(json.dumps(result))
        return 0
    return asyncio.run(orchestrate(args))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
