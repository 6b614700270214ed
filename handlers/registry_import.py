"""/registry, the registry as a file: staff export it (CSV or XLSX) and import it back,
after a dry run that shows what would change. The file step is a state of its own (a
document, then a button), not a form on the engine."""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Any

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.people import Person
from bot.services.errors import N_, DomainError
from bot.services.registry import RegistryService
from bot.services.registry_fields import ORG_KINDS
from bot.services.registry_io import (
    COLUMNS,
    MAX_FILE_BYTES,
    NO_WORDS,
    TOO_BIG,
    TYPE_WORDS,
    YES_WORDS,
    ImportPlan,
    RowPlan,
)
from bot.tables import to_csv
from handlers.buttons import Press, Presses, Stale
from handlers.errors import render_error
from handlers.filters import AddressedToBot, StaffPlace
from handlers.render import button_message
from handlers.spec import RouterSpec

# A dry run's message lists the first few bad rows, each cell it echoes cut short, within
# a room that keeps the message under Telegram's limit; the full list comes as a file.
PROBLEMS_SHOWN = 5
VALUE_SHOWN = 60
PROBLEMS_ROOM = 2500


class RegistryFileAction(StrEnum):
    """What a button of the registry's file does (each has its own handler below)."""

    IMPORT = "import"  # send a file
    IMPORT_GO = "go"  # the dry run is right: import it
    EXPORT = "export"  # the registry as a file (value: csv | xlsx)


class RegistryFileButton(CallbackData, prefix="regfile"):
    action: RegistryFileAction
    value: str = ""


class RegistryImport(StatesGroup):
    file = State()  # waiting for the file
    confirm = State()  # the dry run shown: waiting for «Import»


router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
router.owns(forms=(RegistryImport,), callbacks=(RegistryFileButton,))


def file_button(text: str, action: RegistryFileAction, value: str = "") -> InlineKeyboardButton:
    data = RegistryFileButton(action=action, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


# -- export ---------------------------------------------------------------------------------


@router.callback_query(RegistryFileButton.filter(F.action == RegistryFileAction.EXPORT))
async def export(
    query: CallbackQuery,
    callback_data: RegistryFileButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    if callback_data.value not in ("csv", "xlsx"):
        raise Stale()
    content = await registry.export(user.id, callback_data.value, _export_labels())
    await press.accept()
    await button_message(query).answer_document(
        BufferedInputFile(content, filename=f"registry.{callback_data.value}"),
        caption=_(
            "The registry as a file. Edit it and import it back: rows are matched by type and name."
        ),
    )


def _export_labels() -> dict[str, str]:
    labels = {f"col:{key}": _(msgid).split(",")[0].strip() for key, msgid in COLUMNS.items()}
    labels["tos"] = _(TYPE_WORDS["tos"]).split(",")[0].strip()
    labels["org"] = _(TYPE_WORDS["org"]).split(",")[0].strip()
    labels["yes"] = _(YES_WORDS).split(",")[0].strip()
    labels["no"] = _(NO_WORDS).split(",")[0].strip()
    for kind, label in ORG_KINDS.items():
        labels[f"kind:{kind}"] = _(label)
    return labels


# -- import: a file, its dry run, then «Import» ----------------------------------------------


@router.callback_query(RegistryFileButton.filter(F.action == RegistryFileAction.IMPORT))
async def ask_import(
    query: CallbackQuery, user: Person, registry: RegistryService, state: FSMContext
) -> None:
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    await state.set_state(RegistryImport.file)
    await state.set_data({})
    await button_message(query).answer(_import_help())


def _import_help() -> str:
    columns = ", ".join(f"<code>{_(msgid).split(',')[0]}</code>" for msgid in COLUMNS.values())
    return _(
        "Send the registry as a CSV (UTF-8 or Windows-1251) or XLSX file, up to {size} KB. "
        "The first row names the columns: {columns}. «type» is TOS or organisation; "
        "territory lines are separated by «;». Rows are matched by type and name: a known "
        "name is updated, a new one added. First you will see what would change. "
        "/cancel to stop."
    ).format(size=MAX_FILE_BYTES // 1000, columns=columns)


class _Capped(io.BytesIO):
    """A download that stops past the largest file we read, whatever size Telegram said."""

    def write(self, chunk: Any) -> int:
        if self.tell() + len(chunk) > MAX_FILE_BYTES:
            raise DomainError(TOO_BIG, size=MAX_FILE_BYTES // 1000)
        return super().write(chunk)


async def _download(bot: Bot, file_id: str) -> bytes:
    buffer = await bot.download(file_id, destination=_Capped())
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


@router.message(StateFilter(RegistryImport.file), AddressedToBot())
async def import_file(
    message: Message, state: FSMContext, user: Person, registry: RegistryService, bot: Bot
) -> None:
    document = message.document
    if document is None:
        await message.answer(_("Please send the file as a document (📎 → File). /cancel to stop."))
        return
    name = document.file_name or "registry.csv"
    try:
        if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
            raise DomainError(TOO_BIG, size=MAX_FILE_BYTES // 1000)
        plan = await registry.plan_import(user.id, await _download(bot, document.file_id), name)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    lines, listing = _dry_run(plan)
    if not plan.good:
        await state.clear()
        lines.append(_("There is nothing to import. Fix the file and send it again."))
        await message.answer("\n".join(lines))
    else:
        await state.set_state(RegistryImport.confirm)
        await state.set_data({"file_id": document.file_id, "name": name})
        count = len(plan.good)
        label = ngettext("✅ Import {count} row", "✅ Import {count} rows", count)
        go = file_button(label.format(count=count), RegistryFileAction.IMPORT_GO)
        await message.answer(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=[[go]])
        )
    if listing is not None:
        await message.answer_document(listing, caption=_("The dry run's problems, row by row."))


def _dry_run(plan: ImportPlan) -> tuple[list[str], BufferedInputFile | None]:
    """What an import would change, line by line, and the file of every problem when the
    lines cannot say them all."""
    adds = sum(1 for row in plan.good if row.action == "add")
    updates = len(plan.good) - adds
    lines = [
        _("<b>Dry run</b>: nothing is written yet."),
        ngettext("{count} row to add", "{count} rows to add", adds).format(count=adds),
        ngettext("{count} row to update", "{count} rows to update", updates).format(count=updates),
    ]
    listing = None
    if plan.bad:
        lines.append(
            ngettext(
                "{count} row has problems and will be skipped:",
                "{count} rows have problems and will be skipped:",
                len(plan.bad),
            ).format(count=len(plan.bad))
        )
        shown, complete = _problem_lines(plan.bad)
        lines.extend(shown)
        if len(shown) < len(plan.bad):
            lines.append(_("…and {count} more.").format(count=len(plan.bad) - len(shown)))
        if not complete:
            lines.append(_("The full list of problems is in the file below."))
            listing = BufferedInputFile(_problems_file(plan.bad), filename="import-problems.csv")
    return lines, listing


def _shortened(error: DomainError) -> DomainError:
    """The problem with the cell it echoes cut to a few words (the file has it whole)."""
    params = {
        key: value[: VALUE_SHOWN - 1] + "…"
        if isinstance(value, str) and len(value) > VALUE_SHOWN
        else value
        for key, value in error.params.items()
    }
    return DomainError(error.message, **params)


def _problem_lines(bad: list[RowPlan]) -> tuple[list[str], bool]:
    """The first few bad rows for the dry run's message, within its room; and whether they
    say everything (every bad row, no cell cut)."""
    lines: list[str] = []
    room = PROBLEMS_ROOM
    complete = len(bad) <= PROBLEMS_SHOWN
    for row in bad[:PROBLEMS_SHOWN]:
        whole = "; ".join(render_error(p) for p in row.problems)
        problems = "; ".join(render_error(_shortened(p)) for p in row.problems)
        line = _("• row {line}: {problems}").format(line=row.line, problems=problems)
        if len(line) > room:
            return lines, False
        complete = complete and problems == whole
        room -= len(line)
        lines.append(line)
    return lines, complete


def _problems_file(bad: list[RowPlan]) -> bytes:
    """Every problem of a dry run, one per line, in full."""
    rows: list[list[Any]] = [[_("Row"), _("Name"), _("Problem")]]
    for row in bad:
        rows.extend([row.line, row.name, render_error(p, html=False)] for p in row.problems)
    return to_csv(rows)


@router.message(StateFilter(RegistryImport.confirm), AddressedToBot())
async def import_confirm_typed(message: Message) -> None:
    await message.answer(_("Press «Import» under the dry run, or /cancel."))


@router.callback_query(RegistryFileButton.filter(F.action == RegistryFileAction.IMPORT_GO))
async def import_go(
    query: CallbackQuery,
    press: Press,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    bot: Bot,
) -> None:
    if await state.get_state() != RegistryImport.confirm.state:
        raise Stale(N_("This import is already done or cancelled."))
    data = await state.get_data()
    plan = await registry.apply_import(user.id, await _download(bot, data["file_id"]), data["name"])
    await state.clear()
    press.drop_buttons()
    await press.accept()
    adds = sum(1 for row in plan.good if row.action == "add")
    await button_message(query).answer(
        _("Imported: {added} added, {updated} updated, {skipped} skipped.").format(
            added=adds, updated=len(plan.good) - adds, skipped=len(plan.bad)
        )
    )


@router.callback_query()
async def out_of_date(query: CallbackQuery) -> None:
    """A button of the registry's file that does not read as one (an old or a forged one)."""
    raise Stale()
