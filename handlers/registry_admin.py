"""/registry: staff keep the list of TOS and organisations, import and export it, and
invite chairs, deputies and representatives."""

from __future__ import annotations

import io
from typing import Any

from aiogram import Bot
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.people import Person
from bot.i18n import fill
from bot.messengers.links import start_link
from bot.services.errors import N_, DomainError
from bot.services.numbers import whole_number
from bot.services.registry import RegistryService, RoleInvite
from bot.services.registry_fields import ORG_FIELDS, ORG_KINDS, TOS_FIELDS
from bot.services.registry_io import (
    COLUMNS,
    MAX_FILE_BYTES,
    NO_WORDS,
    TOO_BIG,
    TYPE_WORDS,
    YES_WORDS,
    RowPlan,
)
from bot.services.users import UserService
from bot.services.when import local_text
from bot.settings import Settings
from bot.tables import to_csv
from handlers.errors import render_error
from handlers.filters import AddressedToBot, PrivateChat, StaffPlace, TextIs
from handlers.forms import markup, prompt_markup
from handlers.ids import Id, Page
from handlers.links import poster_link, qr_photo, revoke_markup
from handlers.menu import MENU_REGISTRY
from handlers.registry_cards import (
    coverage_text,
    org_staff_card,
    remove_label,
    role_name,
    tos_staff_card,
)
from handlers.render import button_message, drop_buttons, escape, person
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())

PAGE = 8
# A dry run's message lists the first few bad rows, each cell it echoes cut short, within
# a room that keeps the message under Telegram's limit; the full list comes as a file.
PROBLEMS_SHOWN = 5
VALUE_SHOWN = 60
PROBLEMS_ROOM = 2500


class RegCD(CallbackData, prefix="g1"):
    action: str
    kind: str = ""  # tos | org
    id: Id = 0
    page: Page = 0
    value: str = ""


class RegistryForm(StatesGroup):
    name = State()  # a new body's name
    value = State()  # a new value for one field
    import_file = State()
    import_confirm = State()


router.owns(forms=(RegistryForm,), callbacks=(RegCD,))


def _b(
    text: str, action: str, kind: str = "", id: int = 0, page: int = 0, value: str = ""
) -> InlineKeyboardButton:
    data = RegCD(action=action, kind=kind, id=id, page=page, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


async def _prompt(message: Message, text: str) -> None:
    """Ask for a typed answer; in the staff group it must be a reply to the bot."""
    if message.chat.type != "private":
        text += "\n" + _("In this group, answer with a reply to this message.")
    await message.answer(text, reply_markup=prompt_markup(message))


# -- the menu and lists -------------------------------------------------------------------


async def _menu(message: Message, user: Person, registry: RegistryService) -> None:
    tos, orgs = await registry.totals(user.id)  # staff only: checked now
    rows = [
        [
            _b(_("🏘 TOS ({count})").format(count=tos), "list", "tos"),
            _b(_("🤝 Organisations ({count})").format(count=orgs), "list", "org"),
        ],
        [_b(_("➕ TOS"), "add", "tos"), _b(_("➕ Organisation"), "add", "org")],
        [_b(_("📥 Import CSV/XLSX"), "import")],
        [_b(_("📤 Export CSV"), "export", value="csv"), _b(_("📤 Export XLSX"), "export",
                                                          value="xlsx")],
    ]  # fmt: skip
    await message.answer(coverage_text(await registry.coverage()), reply_markup=markup(rows))


@router.message(Command("registry"))
@router.message(PrivateChat(), TextIs(MENU_REGISTRY))
async def registry_menu(message: Message, user: Person, registry: RegistryService) -> None:
    await _menu(message, user, registry)


async def _list(
    message: Message, user: Person, registry: RegistryService, kind: str, page: int
) -> None:
    items: list[tuple[int, str, bool]]
    if kind == "tos":
        items = [(t.id, t.name, t.active) for t in await registry.list_tos(user.id)]
        title = _("<b>TOS</b>, page {page} of {pages}")
    else:
        items = [(o.id, o.name, o.active) for o in await registry.list_orgs(user.id)]
        title = _("<b>Organisations</b>, page {page} of {pages}")
    pages = max(1, -(-len(items) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [_b(("" if active else "⛔ ") + name[:60], "card", kind, item_id)]
        for item_id, name, active in items[page * PAGE : (page + 1) * PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(_b("«", "list", kind, page=page - 1))
    if page < pages - 1:
        nav.append(_b("»", "list", kind, page=page + 1))
    if nav:
        rows.append(nav)
    rows.append([_b(_("« Registry"), "menu")])
    text = title.format(page=page + 1, pages=pages)
    if not items:
        text += "\n" + _("Nothing here yet: add one or import a file.")
    await message.answer(text, reply_markup=markup(rows))


async def _card(
    message: Message,
    user: Person,
    registry: RegistryService,
    users: UserService,
    kind: str,
    body_id: int,
) -> None:
    people = await registry.holders(user.id, kind, body_id)
    rows: list[list[InlineKeyboardButton]] = []
    if kind == "tos":
        tos = await registry.get_tos(body_id)
        if tos is None:
            raise DomainError(N_("This TOS is not in the registry any more."))
        text = tos_staff_card(tos, people)
        active = tos.active
        rows.append([_b(_("✏️ Edit"), "edit", kind, body_id)])
        chair = _b(_("👤 Invite the chair"), "invite", kind, body_id, value="chair")
        deputy = _b(_("👥 Invite a deputy"), "invite", kind, body_id, value="deputy")
        rows.append([chair, deputy])
        rows.append([_b(_("🔳 Join poster"), "poster", kind, body_id)])
    else:
        org = await registry.get_org(body_id)
        if org is None:
            raise DomainError(N_("This organisation is not in the registry any more."))
        text = org_staff_card(org, people)
        active = org.active
        rows.append([_b(_("✏️ Edit"), "edit", kind, body_id)])
        rows.append([_b(_("👤 Invite a representative"), "invite", kind, body_id, value="rep")])
    for p in people:
        rows.append([_b(remove_label(p, people), "revoke", kind, body_id, value=str(p.user_id))])
    rows.append([
        _b(_("⛔ Deactivate") if active else _("♻️ Activate"), "active", kind, body_id,
           value="0" if active else "1"),
        _b(_("« List"), "list", kind),
    ])  # fmt: skip
    await message.answer(text, reply_markup=markup(rows))


# -- buttons --------------------------------------------------------------------------------


@router.callback_query(RegCD.filter())
async def registry_button(
    query: CallbackQuery,
    callback_data: RegCD,
    user: Person,
    registry: RegistryService,
    users: UserService,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    message = button_message(query)
    cd = callback_data
    kind = cd.kind if cd.kind in ("tos", "org") else ""
    action = cd.action
    if action == "menu":
        await _menu(message, user, registry)
    elif action == "list" and kind:
        await _list(message, user, registry, kind, cd.page)
    elif action == "card" and kind:
        await _card(message, user, registry, users, kind, cd.id)
    elif action == "add" and kind:
        registry.require_staff(user.id)  # checked now, not when the menu was drawn
        await state.set_state(RegistryForm.name)
        await state.set_data({"kind": kind})
        await _prompt(
            message,
            _("The new TOS's name (e.g. «TOS South»). /cancel to stop.")
            if kind == "tos"
            else _("The new organisation's name. /cancel to stop."),
        )
    elif action == "edit" and kind:
        registry.require_staff(user.id)  # checked now, not when the menu was drawn
        fields = TOS_FIELDS if kind == "tos" else ORG_FIELDS
        rows = [[_b(_(label), "field", kind, cd.id, value=name)] for name, label in fields.items()]
        rows.append([_b(_("« Back"), "card", kind, cd.id)])
        await message.answer(_("What to change?"), reply_markup=markup(rows))
    elif action == "field" and kind:
        registry.require_staff(user.id)  # checked now, not when the menu was drawn
        fields = TOS_FIELDS if kind == "tos" else ORG_FIELDS
        if cd.value not in fields:
            await query.answer(_("This button is out of date."), show_alert=True)
            return
        await state.set_state(RegistryForm.value)
        await state.set_data({"kind": kind, "id": cd.id, "field": cd.value})
        await _prompt(message, _field_prompt(kind, cd.value))
    elif action == "active" and kind:
        await registry.set_active(user.id, kind, cd.id, cd.value == "1")
        await query.answer(_("Saved."))
        await drop_buttons(message)
        await _card(message, user, registry, users, kind, cd.id)
        return
    elif action == "invite" and kind:
        await _invite_choice(message, query, user, registry, bot, settings, kind, cd)
        return
    elif action == "invite_make" and kind:
        role, _sep, uses = cd.value.partition("-")
        invite = await registry.create_invite(user.id, role, cd.id, several=uses == "n")
        await query.answer()
        await drop_buttons(message)
        await _send_invite(message, bot, settings, invite)
        return
    elif action == "poster" and kind == "tos":
        await _poster(message, user, registry, bot, cd.id)
    elif action == "revoke" and kind and (holder_id := whole_number(cd.value)) is not None:
        people = await registry.holders(user.id, kind, cd.id)
        target = next((p for p in people if p.user_id == holder_id), None)
        if target is None:
            await query.answer(_("This person no longer has this role."), show_alert=True)
            return
        if target.person is not None and target.person.display_name:
            ask = fill(
                _("Take the role «{role}» away from {name}? They will be told."),
                role=role_name(target.role),
                name=person(target.person),
            )
        else:  # staff see the role, not the person
            ask = fill(
                _("Take the role «{role}» away? The person will be told."),
                role=role_name(target.role),
            )
        await message.answer(
            ask,
            reply_markup=markup([[
                _b(_("Yes, take it away"), "revoke_yes", kind, cd.id, value=cd.value),
                _b(_("No"), "card", kind, cd.id),
            ]]),
        )  # fmt: skip
    elif action == "revoke_yes" and kind and (holder_id := whole_number(cd.value)) is not None:
        holder = next(
            (p for p in await registry.holders(user.id, kind, cd.id) if p.user_id == holder_id),
            None,
        )
        role = await registry.revoke(user.id, holder_id, kind, cd.id)
        await query.answer()
        if holder is not None and holder.person is not None and holder.person.display_name:
            done = fill(
                _("{name} is no longer the {role}."),
                name=person(holder.person),
                role=role_name(role),
            )
        else:
            done = fill(_("The role «{role}» is taken away."), role=role_name(role))
        await message.edit_text(done)
        return
    elif action == "import":
        registry.require_staff(user.id)  # checked now, not when the menu was drawn
        await state.set_state(RegistryForm.import_file)
        await state.set_data({})
        await message.answer(_import_help())
    elif action == "import_go":
        await _import_go(message, query, user, registry, state, bot)
        return
    elif action == "export" and cd.value in ("csv", "xlsx"):
        content = await registry.export(user.id, cd.value, _export_labels())
        await query.answer()
        name = f"registry.{cd.value}"
        await message.answer_document(
            BufferedInputFile(content, filename=name),
            caption=_("The registry as a file. Edit it and import it back: rows are matched "
                      "by type and name."),
        )  # fmt: skip
        return
    else:
        await query.answer(_("This button is out of date."), show_alert=True)
        return
    await query.answer()


def _field_prompt(kind: str, field: str) -> str:
    prompts = {
        "name": _("The new name:"),
        "territory": _(
            "The streets and houses, one per line, e.g.\nLenin St, 1–15\n"
            "Sovetskaya St, 2, 4, 6\nGarden Lane, odd 1–37\nSchool Lane\n"
            "A street without house numbers is the whole street."
        ),
        "residents": _("How many residents does the TOS cover? A whole number:"),
        "registered_on": _("The registration date, DD.MM.YYYY:"),
        "area": _(
            "Share the centre as a location, or type «latitude longitude radius in metres», "
            "e.g. «54.6401 83.3062 400»."
        ),
        "contacts": _("Contacts (phone, e-mail, address):"),
        "public_contact": _("The contact residents will see on the TOS's card:"),
        "description": _("A short description (up to 1000 characters):"),
        "kind": _("The kind: {kinds}.").format(
            kinds=", ".join(_(label) for label in ORG_KINDS.values())
        ),
    }
    return prompts[field] + "\n" + _("/cancel to stop.")


async def _invite_choice(
    message: Message,
    query: CallbackQuery,
    user: Person,
    registry: RegistryService,
    bot: Bot,
    settings: Settings,
    kind: str,
    cd: RegCD,
) -> None:
    role = cd.value
    if role == "chair":  # one chair: the link works once
        invite = await registry.create_invite(user.id, role, cd.id)
        await query.answer()
        await _send_invite(message, bot, settings, invite)
        return
    registry.require_staff(user.id)
    await query.answer()
    await message.answer(
        _("Who is the link for?"),
        reply_markup=markup([
            [_b(_("One person"), "invite_make", kind, cd.id, value=f"{role}-1")],
            [_b(_("Several people, until it expires"), "invite_make", kind, cd.id,
                value=f"{role}-n")],
        ]),
    )  # fmt: skip


async def _send_invite(message: Message, bot: Bot, settings: Settings, invite: RoleInvite) -> None:
    link = await start_link(bot, invite.payload, message.chat.id)  # the QR opens this messenger
    until = local_text(invite.expires_at, settings.timezone)
    uses = (
        _("It works once, until {date}.") if invite.uses_left == 1
        else _("It works for several people until {date}.")
    ).format(date=until)  # fmt: skip
    text = fill(
        _(
            "An invite for the {role} of «{body}». Send the link or print the QR code; the person "
            "opens it, agrees to the personal data notice and is linked. {uses}\n{link}"
        ),
        role=role_name(invite.role),
        body=escape(invite.body_name),
        uses=uses,
        link=link,
    )
    await message.answer(text, reply_markup=revoke_markup(invite.payload))
    await message.answer_photo(qr_photo(link, "invite.png"))


async def _poster(
    message: Message, user: Person, registry: RegistryService, bot: Bot, tos_id: int
) -> None:
    registry.require_staff(user.id)
    tos = await registry.active_tos(tos_id)
    link = await poster_link(bot, registry, tos, message.chat.id)
    await message.answer_photo(
        qr_photo(link, "join.png"),
        caption=fill(
            _("The join poster of «{name}»: a resident who scans it joins the TOS at once.")
            + "\n{link}",
            name=escape(tos.name),
            link=link,
        ),
    )


# -- typed answers ----------------------------------------------------------------------------


@router.message(StateFilter(RegistryForm.name), AddressedToBot())
async def name_typed(
    message: Message,
    state: FSMContext,
    user: Person,
    registry: RegistryService,
    users: UserService,
) -> None:
    kind = (await state.get_data()).get("kind")
    if not message.text or kind not in ("tos", "org"):
        await message.answer(_("Please write the name as text. /cancel to stop."))
        return
    try:
        created = await (
            registry.add_tos(user.id, message.text) if kind == "tos"
            else registry.add_org(user.id, message.text)
        )  # fmt: skip
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(
        fill(_("Added «{name}». Fill in the rest with «Edit»."), name=escape(created.name))
    )
    await _card(message, user, registry, users, kind, created.id)


@router.message(StateFilter(RegistryForm.value), AddressedToBot())
async def value_typed(
    message: Message,
    state: FSMContext,
    user: Person,
    registry: RegistryService,
    users: UserService,
    settings: Settings,
) -> None:
    data = await state.get_data()
    kind, body_id, field = data.get("kind", ""), int(data.get("id", 0)), data.get("field", "")
    try:
        if kind == "tos":
            if field == "area" and message.location:
                values = registry.area_at(message.location.latitude, message.location.longitude)
            elif message.text:
                values = registry.parse_tos_field(field, message.text)
            else:
                await message.answer(_("Please answer with text. /cancel to stop."))
                return
            await registry.update_tos(user.id, body_id, values)
        elif kind == "org" and message.text:
            await registry.update_org(
                user.id, body_id, registry.parse_org_field(field, message.text)
            )
        else:
            await message.answer(_("Please answer with text. /cancel to stop."))
            return
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(_("Saved."))
    await _card(message, user, registry, users, kind, body_id)


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


@router.message(StateFilter(RegistryForm.import_file), AddressedToBot())
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
    if not plan.good:
        await state.clear()
        lines.append(_("There is nothing to import. Fix the file and send it again."))
        await message.answer("\n".join(lines))
    else:
        await state.set_state(RegistryForm.import_confirm)
        await state.set_data({"file_id": document.file_id, "name": name})
        await message.answer(
            "\n".join(lines),
            reply_markup=markup([
                [_b(ngettext("✅ Import {count} row", "✅ Import {count} rows", len(plan.good))
                    .format(count=len(plan.good)), "import_go")],
            ]),
        )  # fmt: skip
    if listing is not None:
        await message.answer_document(listing, caption=_("The dry run's problems, row by row."))


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


async def _import_go(
    message: Message,
    query: CallbackQuery,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    bot: Bot,
) -> None:
    if await state.get_state() != RegistryForm.import_confirm.state:
        await query.answer(_("This import is already done or cancelled."), show_alert=True)
        return
    data = await state.get_data()
    plan = await registry.apply_import(user.id, await _download(bot, data["file_id"]), data["name"])
    await state.clear()
    await query.answer()
    await drop_buttons(message)
    adds = sum(1 for row in plan.good if row.action == "add")
    await message.answer(
        _("Imported: {added} added, {updated} updated, {skipped} skipped.").format(
            added=adds, updated=len(plan.good) - adds, skipped=len(plan.bad)
        )
    )


@router.message(StateFilter(RegistryForm.import_confirm), AddressedToBot())
async def import_confirm_typed(message: Message) -> None:
    await message.answer(_("Press «Import» under the dry run, or /cancel."))


def _export_labels() -> dict[str, str]:
    labels = {f"col:{key}": _(msgid).split(",")[0].strip() for key, msgid in COLUMNS.items()}
    labels["tos"] = _(TYPE_WORDS["tos"]).split(",")[0].strip()
    labels["org"] = _(TYPE_WORDS["org"]).split(",")[0].strip()
    labels["yes"] = _(YES_WORDS).split(",")[0].strip()
    labels["no"] = _(NO_WORDS).split(",")[0].strip()
    for kind, label in ORG_KINDS.items():
        labels[f"kind:{kind}"] = _(label)
    return labels
