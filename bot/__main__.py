"""Command line: `python -m bot` runs the bot by long polling, or by webhook with WEBHOOK_URL
(`run` is the default);
`python -m bot sandbox` runs it against a local Bot API server with a terminal chat."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.runner import loop_for
from bot.runner import run as run_on_loop
from bot.services.periods import Period
from bot.services.reports import EXPORTS
from bot.settings import SUPPORTED_LOCALES, Settings, SettingsError, load_settings

log = logging.getLogger("bot")

OPEN_DATA = "open-data"  # `export --what open-data`: files for the town's open data page
DB_HELP = "the bot's SQLite file to read (default: DATABASE_PATH, data/tos-bot.sqlite3)"


def _date_arg(text: str) -> tuple[date, date]:
    """A day (2026-03-01, 01.03.2026) or a year (2026), as its first and last day."""
    text = text.strip()
    try:
        if text.isdigit() and len(text) == 4:
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if "." in text:
            day = datetime.strptime(text, "%d.%m.%Y").date()
        else:
            day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a day (YYYY-MM-DD or dd.mm.yyyy) nor a year"
        ) from None
    return day, day


def _report_period(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Period:
    if args.year is not None:
        if args.start is not None or args.end is not None:
            parser.error("give either --year or --from/--to")
        return Period.years(args.year)
    if args.start is None:
        parser.error("give --year YEAR or --from DAY [--to DAY]")
    end = args.end[1] if args.end is not None else date.today()
    return Period(args.start[0], end)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="tos-bot: residents, TOS, NGOs and the town hall in one Telegram bot.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run", help="run the bot: by long polling, or by webhook when WEBHOOK_URL is set (default)"
    )
    report = sub.add_parser(
        "report",
        help="write the report on a year or a period (DOCX and Markdown)",
        description="The report on a year (--year 2026), on years (--from 2025 --to 2026) or "
        "on days (--from 2026-03-01 --to 2026-08-31; dd.mm.yyyy works too).",
    )
    report.add_argument("--year", type=int, help="a calendar year, e.g. 2026")
    report.add_argument(
        "--from",
        dest="start",
        type=_date_arg,
        help="the first day (YYYY-MM-DD, dd.mm.yyyy) or year",
    )
    report.add_argument(
        "--to", dest="end", type=_date_arg, help="the last day or year; default: today"
    )
    report.add_argument("--out", type=Path, default=Path("."), help="folder for the files")
    report.add_argument("--lang", choices=SUPPORTED_LOCALES, help="default: DEFAULT_LOCALE")
    report.add_argument("--db", type=Path, help=DB_HELP)
    export = sub.add_parser(
        "export",
        help="export initiatives or requests with personal data, on the server only; or "
        "open data without personal data (--what open-data)",
    )
    export.add_argument(
        "--what",
        choices=(*EXPORTS, OPEN_DATA),
        required=True,
    )
    export.add_argument(
        "--from", dest="start", type=date.fromisoformat, help="first day, YYYY-MM-DD"
    )
    export.add_argument("--to", dest="end", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    export.add_argument(
        "--year", type=int, help=f"{OPEN_DATA}: the year of the figures (default: this year)"
    )
    export.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    export.add_argument(
        "--out",
        type=Path,
        help=f"folder for the file (default: the current one; {OPEN_DATA}: ./{OPEN_DATA})",
    )
    export.add_argument("--lang", choices=SUPPORTED_LOCALES, help="default: DEFAULT_LOCALE")
    export.add_argument("--db", type=Path, help=DB_HELP)
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
    sandbox.add_argument(
        "--messenger",
        choices=("telegram", "max", "both"),
        default="telegram",
        help="the messenger people write through: a local Telegram, a local MAX, or both",
    )
    return parser


# Commands that work on the database alone need no token: a stand-in satisfies the settings.
OFFLINE_TOKEN = "0:offline-command-needs-no-telegram-token"


def database_problem(path: Path) -> str | None:
    """Why the server's commands cannot read this file as the bot's database, or None. Only
    reads: the bot creates its database, a report never makes an empty one."""
    where = "given with --db or DATABASE_PATH"
    if not path.is_file():
        return (
            f"there is no database at {path} (the path is {where}). Run the command where "
            f"the bot keeps its database, or give the file: --db PATH."
        )
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return f"{path} is not a SQLite database ({where})."
    if not version:
        return f"{path} is not a tos-bot database: it has none of the bot's tables ({where})."
    return None


def postgres_problem(url: str) -> str | None:
    """Why the server's commands cannot read this PostgreSQL database, or None."""
    from storage.postgres import redacted, stored_schema_version

    try:
        version = run_on_loop(stored_schema_version(url), loop="uvloop")
    except Exception as error:  # asyncpg's and the network's errors alike: said in one line
        return f"cannot read the database at {redacted(url)} (DATABASE_URL): {error}"
    if version is None:
        return f"{redacted(url)} is not a tos-bot database: it has none of the bot's tables."
    return None


async def _report(settings: Settings, period: Period, out: Path, lang: str) -> dict[Path, bytes]:
    from bot import reporting
    from bot.app import create_app

    app = await create_app(settings, background=False)
    try:
        report = await app.services.reports.report(None, period)
        with app.i18n.context(), app.i18n.use_locale(lang):
            doc = reporting.document(report, font=settings.report_font)
            files = {
                out / f"report-{period.slug}.docx": reporting.docx(doc, settings.report_font, lang),
                out / f"report-{period.slug}.md": reporting.markdown(doc).encode(),
            }
            for line in doc.summary:
                print(line)
    finally:
        await app.close()
    return files


async def _open_data(settings: Settings, args: argparse.Namespace, lang: str) -> dict[Path, bytes]:
    """The open data files (bot/services/open_data.py, bot/reporting/open_data.py)."""
    from bot.app import create_app
    from bot.reporting import open_data
    from bot.services.open_data import OpenDataService

    app = await create_app(settings, background=False)
    try:
        services = app.services
        gathered = await OpenDataService(
            app.db,
            app.clock,
            services.initiatives,
            services.reports,
            timezone=settings.timezone,
        ).gather(args.year)
        with app.i18n.context(), app.i18n.use_locale(lang):
            written = open_data.files(gathered)
    finally:
        await app.close()
    print(
        f"{len(gathered.initiatives)} public initiatives, {len(gathered.tos)} TOS, "
        f"the figures of {gathered.year}"
    )
    out: Path = args.out or Path(OPEN_DATA)
    return {out / name: content for name, content in written.items()}


async def _export(
    settings: Settings, args: argparse.Namespace, lang: str
) -> tuple[Path, bytes, int]:
    from bot import reporting
    from bot.app import create_app
    from bot.tables import to_csv, to_xlsx

    app = await create_app(settings, background=False)
    try:
        start = datetime.combine(args.start, time(), settings.timezone)
        end = datetime.combine(args.end + timedelta(days=1), time(), settings.timezone)
        rows = await app.services.reports.export(None, args.what, start, end)
        with app.i18n.context(), app.i18n.use_locale(lang):
            table = reporting.export_rows(args.what, rows, True, settings.timezone)
    finally:
        await app.close()
    content = to_xlsx(table, args.what) if args.format == "xlsx" else to_csv(table)
    path: Path = (args.out or Path(".")) / f"{args.what}-{args.start}-{args.end}.{args.format}"
    return path, content, len(rows)


def _sandbox(database: Path | None, demo: bool, messenger: str = "telegram") -> int:
    from bot.sandbox.run import run_sandbox

    try:
        with contextlib.suppress(KeyboardInterrupt):
            return run_on_loop(run_sandbox(database, demo, messenger=messenger))
    except SettingsError as error:
        print(f"tos-bot sandbox cannot start: {error}", file=sys.stderr)
        return 2
    return 0


async def _run(settings: Settings) -> None:
    from bot.app import create_app

    app = await create_app(settings)
    try:
        assert app.transport is not None
        await app.transport.check(app.bot)  # fail fast, with a clear line, on a wrong token
        await app.run_polling()  # or by webhook: Transport.run
    finally:
        await app.close()
        await app.bot.session.close()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    period = _report_period(args, parser) if args.command == "report" else None
    if (
        args.command == "export"
        and args.what != OPEN_DATA
        and (args.start is None or args.end is None)
    ):
        parser.error(f"export --what {args.what} needs --from DAY and --to DAY")
    if args.command == "sandbox":  # needs no token: it brings its own Telegram
        return _sandbox(args.db, args.demo, args.messenger)
    offline = args.command in ("report", "export")
    try:
        if offline:
            # Offline: the database alone, whichever messengers the bot runs on.
            overrides: dict[str, Any] = {
                "bot_token": os.environ.get("BOT_TOKEN") or OFFLINE_TOKEN,
                "messengers": "telegram",
            }
            if args.db is not None:  # a SQLite file named on the command line wins
                overrides["database_path"] = args.db
                overrides["database_url"] = None
            settings = load_settings(**overrides)
        else:
            settings = load_settings()
    except SettingsError as error:
        print(f"tos-bot cannot start: {error}", file=sys.stderr)
        return 2
    if offline:
        if settings.database_address is not None:
            if problem := postgres_problem(settings.database_address):
                print(f"tos-bot {args.command}: {problem}", file=sys.stderr)
                return 2
            from storage.postgres import redacted

            print(f"Database: {redacted(settings.database_address)}")
        else:
            if problem := database_problem(settings.database_path):
                print(f"tos-bot {args.command}: {problem}", file=sys.stderr)
                return 2
            print(f"Database: {settings.database_path}")
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    if args.command in (None, "run"):
        from bot.messengers.transport import CannotStart

        try:
            with contextlib.suppress(KeyboardInterrupt):
                run_on_loop(_run(settings), loop=loop_for(settings.database_url))
        except CannotStart as error:
            print(f"tos-bot cannot start: {error}", file=sys.stderr)
            return error.code
        return 0
    lang = args.lang or settings.default_locale
    from bot.services.errors import DomainError

    try:
        if args.command == "report":
            assert period is not None
            files = run_on_loop(_report(settings, period, args.out, lang))
        elif args.command == "export" and args.what == OPEN_DATA:
            files = run_on_loop(_open_data(settings, args, lang))
        elif args.command == "export":
            path, content, count = run_on_loop(_export(settings, args, lang))
            files = {path: content}
            print(f"{count} rows")
        else:
            return 2
    except DomainError as error:
        print(f"tos-bot: {error.message.format(**error.params)}", file=sys.stderr)
        return 2
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
