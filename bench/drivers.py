"""Which PostgreSQL driver costs the bot's process less CPU: asyncpg or psycopg 3.

`python -m bench.drivers --dsn postgresql://...` runs the statements one update of the full
pipeline makes (a point read, then a transaction with an upsert and a read by key) through
each driver, one connection, and prints CPU time of this process per 1,000 such updates.
The server's own CPU is not counted: the figure is what the bot's replica pays.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

SETUP = (
    "DROP TABLE IF EXISTS bench_fsm",
    "CREATE TABLE bench_fsm (key TEXT PRIMARY KEY, user_id BIGINT NOT NULL, state TEXT, "
    "data TEXT NOT NULL, updated_at TEXT NOT NULL)",
)
UPSERT = (
    "INSERT INTO bench_fsm (key, user_id, state, data, updated_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, data = excluded.data, "
    "updated_at = excluded.updated_at"
)
READ = "SELECT state, data FROM bench_fsm WHERE key = $1"


async def _asyncpg(dsn: str, n: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in SETUP:
            await conn.execute(statement)

        async def one(i: int) -> None:
            key = f"k{i % 500}"
            await conn.fetchrow(READ, key)
            async with conn.transaction():
                await conn.execute(UPSERT, key, i, "Form:step", '{"a": 1}', "2026-01-01")
                await conn.fetchrow(READ, key)

        return await _timed(one, n)
    finally:
        await conn.close()


async def _psycopg(dsn: str, n: int) -> float:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    try:
        for statement in SETUP:
            await conn.execute(statement)
        upsert = UPSERT.replace("$1", "%s").replace("$2", "%s").replace("$3", "%s")
        upsert = upsert.replace("$4", "%s").replace("$5", "%s")
        read = READ.replace("$1", "%s")

        async def one(i: int) -> None:
            key = f"k{i % 500}"
            await (await conn.execute(read, (key,))).fetchone()
            async with conn.transaction():
                await conn.execute(upsert, (key, i, "Form:step", '{"a": 1}', "2026-01-01"))
                await (await conn.execute(read, (key,))).fetchone()

        return await _timed(one, n)
    finally:
        await conn.close()


async def _timed(one: Callable[[int], Awaitable[None]], n: int) -> float:
    for i in range(200):  # warm: statements prepared, caches filled
        await one(i)
    start = time.process_time()
    for i in range(n):
        await one(i)
    return (time.process_time() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.dsn:
        parser.error("give --dsn or DATABASE_URL")
    for name, run in (("asyncpg", _asyncpg), ("psycopg 3", _psycopg)):
        figures = sorted(asyncio.run(run(args.dsn, args.n)) for _ in range(args.rounds))
        print(
            f"{name:10} CPU ms per 1,000 updates: {figures[len(figures) // 2] * 1000:.0f} "
            f"(runs: {', '.join(f'{f * 1000:.0f}' for f in figures)})"
        )


if __name__ == "__main__":
    main()
