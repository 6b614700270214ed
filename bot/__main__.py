"""Command line: `python -m bot` runs the bot by long polling (`run` is the default);
`python -m bot sandbox` runs it against a local Bot API server with a terminal chat."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="tos-bot: residents, TOS, NGOs and the town hall in one Telegram bot.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot by long polling (default)")
    sandbox = sub.add_parser(
        "sandbox",
        help="try the bot without Telegram: a local Bot API server and a terminal chat",
    )
    sandbox.add_argument(
        "--db", type=Path, default=None, help="SQLite file to use (default: a temporary one)"
    )
    sandbox.add_argument(
        "--demo", action="store_true", help="load a small fictional town (TOS, organisations)"
    )
    return parser


def _sandbox(database: Path | None, demo: bool) -> int:
    from bot.sandbox.run import run_sandbox

    try:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(run_sandbox(database, demo))
    except SettingsError as error:
        print(f"tos-bot sandbox cannot start: {error}", file=sys.stderr)
        return 2
    return 0


async def _run(settings: Settings) -> None:
    from bot.app import create_app

    app = await create_app(settings)
    try:
        await app.bot.me()  # fail fast, with a clear line, on a wrong token or base URL
        await app.run_polling()
    finally:
        await app.close()
        await app.bot.session.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sandbox":  # needs no token: it brings its own Telegram
        return _sandbox(args.db, args.demo)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"tos-bot cannot start: {error}", file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    if args.command in (None, "run"):
        from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_run(settings))
        except TelegramUnauthorizedError:
            print(
                "tos-bot cannot start: Telegram rejected BOT_TOKEN (Unauthorized). "
                "Check the token with @BotFather (/mybots -> API Token).",
                file=sys.stderr,
            )
            return 2
        except TelegramNetworkError as error:
            print(
                f"tos-bot cannot start: cannot reach the Bot API at "
                f"{settings.bot_api_base_url} ({error.message}).",
                file=sys.stderr,
            )
            return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
