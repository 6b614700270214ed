"""Command line: `python -m bot` runs the bot by long polling (`run` is the default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="tos-bot: residents, TOS, NGOs and the town hall in one Telegram bot.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot by long polling (default)")
    return parser


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
