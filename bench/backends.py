"""SQLite or PostgreSQL, one replica or two: what the bot's process pays per update.

    python -m bench.backends --database-url postgresql://postgres@127.0.0.1:5432/postgres

The full pipeline of bench/dispatch.py (every middleware, the FSM in the database, a
four-step form whose last step writes a row; 5 updates a user) runs in worker processes:

1. CPU time of the bot's process per 1,000 updates, one update at a time, on SQLite and on
   PostgreSQL (time.process_time of the worker: the database server's own CPU is not the
   bot's, and CPU time, unlike updates per second, holds steady on a shared machine); the
   median of `--rounds` runs, and PostgreSQL's over SQLite's (target: at most 1.5);
2. updates per second on PostgreSQL of one replica (one worker, all users, `--concurrency`
   in flight) and of two (two workers at once on the same database, half the users each):
   all updates over the wall time of the slower.

`--database-url` must be allowed to create databases: each run gets a scratch database,
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.runner import loop_name  # noqa: E402

LOOP: str | None = None  # --loop: the event loop of the workers (default: the bot's)
LOOPS = "asyncio's on SQLite, uvloop on PostgreSQL"


def _worker(
    users: int, concurrency: int, url: str | None, first_user: int = 0, warmup: int = 20
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "bench.dispatch", "--worker", "full", "--users", str(users)]
    if LOOP:
        cmd += ["--loop", LOOP]
    cmd += ["--concurrency", str(concurrency), "--warmup", str(warmup)]
    cmd += ["--first-user", str(first_user)]
    if url:
        cmd += ["--database-url", url]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen[str], *, check: bool = True) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a worker failed with code {proc.returncode}")
    result = dict(json.loads(out.strip().splitlines()[-1]))
    if check and (result["rows"] != result["expected_rows"] or result["unexpected"]):
        raise SystemExit(f"a worker's form did not complete: {result}")
    return result


class Scratch:
    """A database of its own on the server, for one run."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"tos_bench_{uuid.uuid4().hex[:12]}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def __enter__(self) -> str:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc: object) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def cpu_per_thousand(url: str | None, users: int) -> float:
    """CPU ms of the bot's process per 1,000 updates, one at a time."""
    result = _result(_worker(users, 1, url))
    return float(result["cpu_s"]) / result["updates"] * 1_000_000


def throughput(admin_url: str, users: int, concurrency: int, replicas: int) -> float:
    with Scratch(admin_url) as url:
        # The schema is made once, before the replicas start (as a deployment's first start;
        # its morning digest may go out meanwhile, not the replicas' business).
        _result(_worker(1, 1, url, first_user=9_000_000, warmup=0), check=False)
        share = users // replicas
        procs = [
            _worker(share, max(1, concurrency // replicas), url, first_user=n * 100_000)
            for n in range(replicas)
        ]
        results = [_result(p) for p in procs]
    updates = sum(r["updates"] for r in results)
    return updates / max(r["wall_s"] - r["build_s"] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backends", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--users", type=int, default=400, help="users of a CPU run (x5)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replica-users", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        help="the workers' event loop (default: the bot's, " + LOOPS + ")",
    )
    args = parser.parse_args()
    global LOOP
    LOOP = args.loop
    if not args.database_url:
        parser.error("give --database-url (a PostgreSQL server that may create databases)")
    print(
        f"backends bench: {args.users} users x 5 updates a CPU run, {args.rounds} rounds; "
        f"{args.replica_users} users x 5 for the replicas; python {sys.version.split()[0]} "
        f"on {LOOPS if args.loop is None else loop_name(args.loop)}, "
        f"{os.cpu_count()} CPUs"
    )
    sqlite, postgres = [], []
    for _ in range(args.rounds):  # interleaved, so a busy moment hits both alike
        sqlite.append(cpu_per_thousand(None, args.users))
        with Scratch(args.database_url) as url:
            postgres.append(cpu_per_thousand(url, args.users))
    s, p = statistics.median(sqlite), statistics.median(postgres)
    print("\nCPU of the bot's process per 1,000 updates, full pipeline, one at a time")
    print(f"  SQLite      {s:7.0f} ms   (runs: {', '.join(f'{x:.0f}' for x in sqlite)})")
    print(f"  PostgreSQL  {p:7.0f} ms   (runs: {', '.join(f'{x:.0f}' for x in postgres)})")
    verdict = "ok" if p / s <= 1.5 else "ABOVE TARGET"
    print(f"  PostgreSQL / SQLite  {p / s:.2f}   (<= 1.5: {verdict})")

    one = throughput(args.database_url, args.replica_users, args.concurrency, 1)
    two = throughput(args.database_url, args.replica_users, args.concurrency, 2)
    print(f"\nupdates/s on PostgreSQL, {args.concurrency} users in flight in all")
    print(f"  one replica   {one:7.0f}")
    print(f"  two replicas  {two:7.0f}   ({two / one:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
