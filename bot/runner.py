"""The event loop the bot runs on: uvloop on PostgreSQL (where it is installed: a dependency
on Linux and macOS), asyncio's own on SQLite and elsewhere.

uvloop (MagicStack, who also make asyncpg) runs the same asyncio code on libuv. Each of
PostgreSQL's statements is a round trip through the loop, and uvloop cuts what one costs
the bot's process to about a quarter (python -m bench.backends). SQLite's statements never
touch the loop's I/O, but its reads hop to aiosqlite's thread and back, which uvloop makes
dearer: the full pipeline on SQLite measured 10-15 % fewer updates a second on uvloop
(python -m bench.dispatch --loop uvloop), so SQLite stays on asyncio's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopName = Literal["uvloop", "asyncio"]


def loop_for(database_url: object | None) -> LoopName:
    """The loop for this database: uvloop for PostgreSQL, asyncio's for SQLite."""
    return "uvloop" if database_url else "asyncio"


def loop_factory(name: LoopName | None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop if asked for and installed, else None: asyncio's default."""
    if name != "uvloop":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name(name: LoopName | None) -> LoopName:
    return "asyncio" if loop_factory(name) is None else "uvloop"


def run(main: Coroutine[Any, Any, T], *, loop: LoopName | None = None) -> T:
    """`asyncio.run`, on uvloop if `loop` says so (and it is installed)."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)


def bound_port(server: object, default: int = 0) -> int:
    """The port a listening server (aiohttp's site._server) was given: asyncio's Server and
    uvloop's alike (they share no class, both have `sockets`)."""
    sockets = getattr(server, "sockets", None)
    if not sockets:
        return default
    return int(sockets[0].getsockname()[1])
