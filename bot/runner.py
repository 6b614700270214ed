"""The event loop the bot runs on: uvloop where it is installed (a dependency on Linux and
macOS), asyncio's own elsewhere.

uvloop (MagicStack, who also make asyncpg) runs the same asyncio code on libuv: on
PostgreSQL it cuts the bot's CPU per statement to about a quarter (each statement is a
round trip through the loop), and the whole pipeline's per update on both backends
(python -m bench.backends, python -m bench.dispatch; figures in the README).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopName = Literal["uvloop", "asyncio"]


def loop_factory(name: LoopName | None = None) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop if it is installed (or asked for), else None: asyncio's default."""
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if name == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def loop_name(name: LoopName | None = None) -> LoopName:
    return "asyncio" if loop_factory(name) is None else "uvloop"


def run(main: Coroutine[Any, Any, T], *, loop: LoopName | None = None) -> T:
    """`asyncio.run`, on uvloop where it is installed."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)


def bound_port(server: object, default: int = 0) -> int:
    """The port a listening server (aiohttp's site._server) was given: asyncio's Server and
    uvloop's alike (they share no class, both have `sockets`)."""
    sockets = getattr(server, "sockets", None)
    if not sockets:
        return default
    return int(sockets[0].getsockname()[1])
