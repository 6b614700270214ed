"""/digest, /report YEAR and /export for staff, and the digest as the outbox draws it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import reporting
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.initiatives import NUMBER as INITIATIVE_NUMBER
from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES
from bot.services.reports import EXPORT_FORMATS, Digest, Line, ReportService
from bot.services.requests import KINDS
from bot.services.requests import NUMBER as REQUEST_NUMBER
from bot.services.requests import STATUSES as REQUEST_STATUSES
from bot.services.when import local_text
from bot.settings import Settings
from bot.tables import to_csv, to_xlsx
from handlers.buttons import Press, Presses, Stale
from handlers.filters import StaffPlace
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())

PREF_LABELS = {
    "daily": N_("Every morning"),
    "weekly": N_("Mondays only"),
    "off": N_("Off"),
}
EXPORT_LABELS = {
    "initiatives": N_("Initiatives"),
    "requests": N_("Support requests"),
    "events": N_("Events"),
    "competitions": N_("Competitions"),
    "applications": N_("Applications to competitions"),
    "moderation": N_("Moderation log"),
}
PERIODS = {
    "month": N_("This month"),
    "last_month": N_("Last month"),
    "year": N_("This year"),
    "last_year": N_("Last year"),
}
INITIATIVE_LINK = "ini_"
REQUEST_LINK = "req_"


class DigestButton(CallbackData, prefix="digest"):
    """How often a staff member gets the digest in this chat."""

    value: str  # a code of PREF_LABELS (the service refuses another)


class ExportAction(StrEnum):
    """What a button of /export does (each has its own handler)."""

    PERIOD = "period"  # `what` chosen: asks for the period
    FORMAT = "format"  # the period chosen: asks for the format
    FILE = "file"  # the format chosen: sends the file


class ExportButton(CallbackData, prefix="export"):
    action: ExportAction
    what: str  # a code of EXPORT_LABELS
    period: str = ""  # format, file: a code of PERIODS
    fmt: str = ""  # file: one of EXPORT_FORMATS


router.owns(callbacks=(DigestButton, ExportButton))


# -- the digest ---------------------------------------------------------------------------


def _number(line: Line) -> str:
    template = INITIATIVE_NUMBER if line.kind == "initiative" else REQUEST_NUMBER
    return _(template).format(year=line.year, seq=f"{line.seq:04d}")


def _link(line: Line, username: str, tz: Any = None) -> str:
    prefix = INITIATIVE_LINK if line.kind == "initiative" else REQUEST_LINK
    url = f"https://t.me/{username}?start={prefix}{line.year}_{line.seq}"
    title = line.title if line.kind == "initiative" else _(KINDS.get(line.title, line.title))
    text = f'• <a href="{url}">{escape(_number(line))}</a> — {escape(title)}'
    if line.extended and line.when is not None and tz is not None:
        text += " · " + _("extended to {date}").format(date=local_text(line.when, tz, "date"))
    return text


def _section(title: str, lines: list[Line], total: int, username: str, tz: Any) -> list[str]:
    if not total:
        return []
    out = ["", f"<b>{title}</b>"] + [_link(line, username, tz) for line in lines]
    if total > len(lines):
        out.append(_("…and {count} more.").format(count=total - len(lines)))
    return out


def _counts(labels: dict[str, str], counts: dict[str, int]) -> str:
    return ", ".join(f"{_(labels[k])}: {counts[k]}" for k in labels if counts.get(k))


def digest_text(digest: Digest, username: str, tz: Any) -> str:
    since = local_text(digest.since, tz, "day_time")
    head = _("<b>Digest</b> since {since}").format(since=since)
    if digest.quiet:
        return head + "\n" + _("Nothing new, nothing overdue.")
    lines = [head]
    sections = (
        (_("New initiatives: {count}"), digest.new_initiatives, digest.new_initiatives_total),
        (_("New requests: {count}"), digest.new_requests, digest.new_requests_total),
        (_("⚠️ Overdue: {count}"), digest.overdue, digest.overdue_total),
        (_("Due within 3 days: {count}"), digest.due_soon, digest.due_soon_total),
    )
    for title, items, total in sections:
        lines += _section(title.format(count=total), items, total, username, tz)
    if digest.new_applications_total:
        lines += [
            "",
            "<b>"
            + _("New applications: {count}").format(count=digest.new_applications_total)
            + "</b>",
        ]
        lines += [f"• {escape(comp)} — {escape(body)}" for comp, body in digest.new_applications]
        if digest.new_applications_total > len(digest.new_applications):
            lines.append(
                _("…and {count} more.").format(
                    count=digest.new_applications_total - len(digest.new_applications)
                )
            )
    if digest.deadlines:
        lines += ["", "<b>" + _("Competition deadlines in the next 7 days") + "</b> /competitions"]
        lines += [
            f"• {local_text(when, tz, 'day_time')} — {escape(title)}"
            for title, when in digest.deadlines
        ]
    if digest.events:
        lines += ["", "<b>" + _("Events in the next 7 days") + "</b> /events"]
        lines += [
            f"• {local_text(when, tz, 'day_time')} — {escape(title)}"
            for title, when in digest.events
        ]
    now_open = []
    if text := _counts(INITIATIVE_STATUSES, digest.initiative_statuses):
        now_open.append(_("Initiatives — {counts}").format(counts=text))
    if text := _counts(REQUEST_STATUSES, digest.request_statuses):
        now_open.append(_("Requests — {counts}").format(counts=text))
    if now_open:
        lines += ["", "<b>" + _("Open now") + "</b>", *now_open]
    if digest.failed_deliveries:
        lines += [
            "",
            _("Messages not delivered: {count}. /outbox shows why.").format(
                count=digest.failed_deliveries
            ),
        ]
    return "\n".join(lines)


def _prefs_markup(current: str) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=("✓ " if code == current else "") + _(label),
            callback_data=DigestButton(value=code).pack(),
        )
        for code, label in PREF_LABELS.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


@router.message(Command("digest"))
async def digest_command(message: Message, user: Person, reports: ReportService, bot: Bot) -> None:
    digest = await reports.digest_now(user.id)
    me = await bot.me()
    await message.answer(digest_text(digest, me.username or "", reports.timezone))
    if message.chat.type == "private":
        current = await reports.digest_pref(user.id)
        await message.answer(
            _("Your own digest in this chat:"), reply_markup=_prefs_markup(current)
        )


@router.callback_query(DigestButton.filter())
async def digest_pref_button(
    query: CallbackQuery,
    callback_data: DigestButton,
    press: Press,
    user: Person,
    reports: ReportService,
) -> None:
    await reports.set_digest_pref(user.id, callback_data.value)  # refuses an unknown value
    press.tell(_("Saved."))
    await button_message(query).edit_reply_markup(reply_markup=_prefs_markup(callback_data.value))


class DigestRenderer:
    """Draws a digest for the outbox at send time, in the reader's language."""

    def __init__(self, i18n: I18n, reports: ReportService, bot: Bot) -> None:
        self._i18n = i18n
        self._reports = reports
        self._bot = bot

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        digest = await self._reports.build_digest(
            datetime.fromisoformat(args["since"]), datetime.fromisoformat(args["until"])
        )
        me = await self._bot.me()
        with self._i18n.context(), self._i18n.use_locale(locale):
            return digest_text(digest, me.username or "", self._reports.timezone), None


class ChartCaption:
    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        with self._i18n.context(), self._i18n.use_locale(locale):
            return _("The week in a picture: new initiatives and requests by week."), None


class WeeklyChart:
    """Draws the Monday chart's PNG at send time."""

    def __init__(self, i18n: I18n, reports: ReportService) -> None:
        self._i18n = i18n
        self._reports = reports
        # Every reader of one Monday gets the same picture: drawn once per language.
        self._drawn: dict[tuple[str, str], bytes] = {}

    async def __call__(self, args: dict[str, Any], locale: str) -> tuple[bytes, str]:
        key = (str(args["until"]), locale)
        if key not in self._drawn:
            until = datetime.fromisoformat(args["until"])
            weeks, series = await self._reports.weekly_counts(until)

            def draw() -> bytes:
                with self._i18n.context(), self._i18n.use_locale(locale):
                    return reporting.weekly_chart(weeks, series)

            self._drawn = {k: v for k, v in self._drawn.items() if k[0] == key[0]}
            self._drawn[key] = await asyncio.to_thread(draw)
        return self._drawn[key], "weeks.png"


# -- the yearly report ----------------------------------------------------------------------


@router.message(Command("report"))
async def report_command(
    message: Message,
    command: CommandObject,
    user: Person,
    reports: ReportService,
    i18n: I18n,
    settings: Settings,
) -> None:
    """`/report`, `/report 2026`, `/report 2025-2026`, `/report 01.03.2026 31.08.2026`."""
    reports.require_staff(user.id)
    period = reports.parse_period(command.args or "")
    report = await reports.report(user.id, period)
    locale = i18n.current_locale
    font = settings.report_font

    def documents() -> tuple[reporting.Document, bytes, bytes]:
        # CPU work (charts, a document) goes to a thread with its own locale context.
        with i18n.context(), i18n.use_locale(locale):
            doc = reporting.document(report, font=font)
            return doc, reporting.docx(doc, font, locale), reporting.markdown(doc).encode()

    doc, docx, markdown = await asyncio.to_thread(documents)
    title, *lines = doc.summary
    await message.answer(
        f"<b>{escape(title)}</b>\n" + "\n".join(f"• {escape(line)}" for line in lines)
    )
    await message.answer_document(
        BufferedInputFile(docx, filename=f"report-{period.slug}.docx"),
        caption=_("The report as a document to edit and submit: text, tables and charts."),
    )
    await message.answer_document(
        BufferedInputFile(markdown, filename=f"report-{period.slug}.md"),
        caption=_("The same text and tables in Markdown."),
    )


# -- exports ------------------------------------------------------------------------------------


def _export_button(text: str, button: ExportButton) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=button.pack())


@router.message(Command("export"))
async def export_command(message: Message, user: Person, reports: ReportService) -> None:
    reports.require_staff(user.id)
    rows = [
        [_export_button(_(label), ExportButton(action=ExportAction.PERIOD, what=what))]
        for what, label in EXPORT_LABELS.items()
    ]
    await message.answer(
        _("What to export?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(ExportButton.filter(F.action == ExportAction.PERIOD))
async def export_period(
    query: CallbackQuery, callback_data: ExportButton, user: Person, reports: ReportService
) -> None:
    what = callback_data.what
    reports.check_export(user.id, what, "", "")  # now, whatever the button says
    rows = [
        [_export_button(_(label), ExportButton(action=ExportAction.FORMAT, what=what, period=code))]
        for code, label in PERIODS.items()
    ]
    await button_message(query).edit_text(
        _("Which period?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(ExportButton.filter(F.action == ExportAction.FORMAT))
async def export_format(
    query: CallbackQuery, callback_data: ExportButton, user: Person, reports: ReportService
) -> None:
    what, period = callback_data.what, callback_data.period
    reports.check_export(user.id, what, period, "")  # now, whatever the button says
    if not period:
        raise Stale()
    row = [
        _export_button(
            fmt.upper(), ExportButton(action=ExportAction.FILE, what=what, period=period, fmt=fmt)
        )
        for fmt in EXPORT_FORMATS
    ]
    await button_message(query).edit_text(
        _("Which format?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=[row])
    )


@router.callback_query(ExportButton.filter(F.action == ExportAction.FILE))
async def export_file(
    query: CallbackQuery,
    callback_data: ExportButton,
    press: Press,
    user: Person,
    reports: ReportService,
    i18n: I18n,
) -> None:
    what, period, fmt = callback_data.what, callback_data.period, callback_data.fmt
    reports.check_export(user.id, what, period, fmt)  # now, whatever the button says
    if not period or not fmt:
        raise Stale()
    start, end = reports.period(period)
    rows = await reports.export(user.id, what, start, end)
    personal = reports.may_export_personal(user.id)
    locale = i18n.current_locale

    def build() -> bytes:
        # A year of rows and openpyxl's first import: off the event loop.
        with i18n.context(), i18n.use_locale(locale):
            table = reporting.export_rows(what, rows, personal, reports.timezone)
        return to_xlsx(table, what) if fmt == "xlsx" else to_csv(table)

    content = await asyncio.to_thread(build)
    press.drop_buttons()
    await press.accept()
    first_day = local_text(start, reports.timezone, "iso_date")
    if personal:
        note = _("Names and phones are included: keep the file safe.")
    else:
        note = _(
            "Without personal data. An administrator can export it with "
            "«python -m bot export» on the server."
        )
    caption = _("{what}: {count} rows.").format(what=_(EXPORT_LABELS[what]), count=len(rows))
    await button_message(query).answer_document(
        BufferedInputFile(content, filename=f"{what}-{first_day}.{fmt}"),
        caption=caption + "\n" + note,
    )
