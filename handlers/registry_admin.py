"""/registry: staff keep the list of TOS and organisations, import and export it, and
invite chairs, deputies and representatives."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from aiogram import Bot, F
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
from bot.services.registry import CardEdit, RegistryService, RoleInvite
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
from handlers.buttons import Press, Presses, Stale
from handlers.errors import render_error
from handlers.filters import AddressedToBot, PrivateChat, StaffPlace, TextIs
from handlers.forms import Answer, Form, FormCall, Step, markup, prompt_markup
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
from handlers.render import button_message, escape, person
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())

PAGE = 8
# A dry run's message lists the first few bad rows, each cell it echoes cut short, within
# a room that keeps the message under Telegram's limit; the full list comes as a file.
PROBLEMS_SHOWN = 5
VALUE_SHOWN = 60
PROBLEMS_ROOM = 2500


class RegistryAction(StrEnum):
    """What a button of /registry does (each has its own handler below)."""

    MENU = "menu"
    LIST = "list"  # a page of TOS or organisations
    CARD = "card"  # a body's staff card
    ADD = "add"  # a new body: its name
    EDIT = "edit"  # which field to change
    FIELD = "field"  # change one field (value: which): the card form
    ACTIVE = "active"  # deactivate or activate (value: "0" or "1")
    INVITE = "invite"  # an invite link for a role (value: the role)
    INVITE_MAKE = "invite_make"  # a deputy's or a representative's (value: role-1 | role-n)
    POSTER = "poster"  # a TOS's join poster
    REVOKE = "revoke"  # take a role away? (value: the holder's user id)
    REVOKE_YES = "revoke_yes"  # yes, take it away
    IMPORT = "import"  # send a file
    IMPORT_GO = "import_go"  # the dry run is right: import it
    EXPORT = "export"  # the registry as a file (value: csv | xlsx)


class RegistryButton(CallbackData, prefix="reg"):
    action: RegistryAction
    kind: str = ""  # tos | org
    id: Id = 0
    page: Page = 0
    value: str = ""


class RegistryForm(StatesGroup):
    name = State()  # a new body's name
    import_file = State()
    import_confirm = State()


def registry_button(
    text: str,
    action: RegistryAction,
    kind: str = "",
    body_id: int = 0,
    page: int = 0,
    value: str = "",
) -> InlineKeyboardButton:
    data = RegistryButton(action=action, kind=kind, id=body_id, page=page, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def _kind(button: RegistryButton) -> str:
    """The button's kind of body; any other is a forged or an old button."""
    if button.kind not in ("tos", "org"):
        raise Stale()
    return button.kind


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
            registry_button(_("🏘 TOS ({count})").format(count=tos), RegistryAction.LIST, "tos"),
            registry_button(
                _("🤝 Organisations ({count})").format(count=orgs), RegistryAction.LIST, "org"
            ),
        ],
        [
            registry_button(_("➕ TOS"), RegistryAction.ADD, "tos"),
            registry_button(_("➕ Organisation"), RegistryAction.ADD, "org"),
        ],
        [registry_button(_("📥 Import CSV/XLSX"), RegistryAction.IMPORT)],
        [
            registry_button(_("📤 Export CSV"), RegistryAction.EXPORT, value="csv"),
            registry_button(_("📤 Export XLSX"), RegistryAction.EXPORT, value="xlsx"),
        ],
    ]
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
        [registry_button(("" if active else "⛔ ") + name[:60], RegistryAction.CARD, kind, item_id)]
        for item_id, name, active in items[page * PAGE : (page + 1) * PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(registry_button("«", RegistryAction.LIST, kind, page=page - 1))
    if page < pages - 1:
        nav.append(registry_button("»", RegistryAction.LIST, kind, page=page + 1))
    if nav:
        rows.append(nav)
    rows.append([registry_button(_("« Registry"), RegistryAction.MENU)])
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
        rows.append([registry_button(_("✏️ Edit"), RegistryAction.EDIT, kind, body_id)])
        chair = registry_button(
            _("👤 Invite the chair"), RegistryAction.INVITE, kind, body_id, value="chair"
        )
        deputy = registry_button(
            _("👥 Invite a deputy"), RegistryAction.INVITE, kind, body_id, value="deputy"
        )
        rows.append([chair, deputy])
        rows.append([registry_button(_("🔳 Join poster"), RegistryAction.POSTER, kind, body_id)])
    else:
        org = await registry.get_org(body_id)
        if org is None:
            raise DomainError(N_("This organisation is not in the registry any more."))
        text = org_staff_card(org, people)
        active = org.active
        rows.append([registry_button(_("✏️ Edit"), RegistryAction.EDIT, kind, body_id)])
        rows.append(
            [
                registry_button(
                    _("👤 Invite a representative"),
                    RegistryAction.INVITE,
                    kind,
                    body_id,
                    value="rep",
                )
            ]
        )
    for p in people:
        rows.append(
            [
                registry_button(
                    remove_label(p, people),
                    RegistryAction.REVOKE,
                    kind,
                    body_id,
                    value=str(p.user_id),
                )
            ]
        )
    switch = _("⛔ Deactivate") if active else _("♻️ Activate")
    rows.append(
        [
            registry_button(
                switch, RegistryAction.ACTIVE, kind, body_id, value="0" if active else "1"
            ),
            registry_button(_("« List"), RegistryAction.LIST, kind),
        ]
    )
    await message.answer(text, reply_markup=markup(rows))


# -- buttons --------------------------------------------------------------------------------


Handler = Callable[..., Awaitable[None]]


def _on(action: RegistryAction) -> Callable[[Handler], Handler]:
    """Register a handler for one action of the registry's buttons."""
    return router.callback_query(RegistryButton.filter(F.action == action))


@_on(RegistryAction.MENU)
async def open_menu(query: CallbackQuery, user: Person, registry: RegistryService) -> None:
    await _menu(button_message(query), user, registry)


@_on(RegistryAction.LIST)
async def open_list(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    await _list(button_message(query), user, registry, _kind(callback_data), callback_data.page)


@_on(RegistryAction.CARD)
async def open_card(
    query: CallbackQuery,
    callback_data: RegistryButton,
    user: Person,
    registry: RegistryService,
    users: UserService,
) -> None:
    kind = _kind(callback_data)
    await _card(button_message(query), user, registry, users, kind, callback_data.id)


@_on(RegistryAction.ADD)
async def add(
    query: CallbackQuery,
    callback_data: RegistryButton,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
) -> None:
    kind = _kind(callback_data)
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    await state.set_state(RegistryForm.name)
    await state.set_data({"kind": kind})
    await _prompt(
        button_message(query),
        _("The new TOS's name (e.g. «TOS South»). /cancel to stop.")
        if kind == "tos"
        else _("The new organisation's name. /cancel to stop."),
    )


@_on(RegistryAction.EDIT)
async def choose_field(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    kind, body_id = _kind(callback_data), callback_data.id
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    fields = TOS_FIELDS if kind == "tos" else ORG_FIELDS
    rows = [
        [registry_button(_(label), RegistryAction.FIELD, kind, body_id, value=name)]
        for name, label in fields.items()
    ]
    rows.append([registry_button(_("« Back"), RegistryAction.CARD, kind, body_id)])
    await button_message(query).answer(_("What to change?"), reply_markup=markup(rows))


@_on(RegistryAction.FIELD)
async def edit_field(
    query: CallbackQuery,
    callback_data: RegistryButton,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    **data: Any,
) -> None:
    kind = _kind(callback_data)
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    if callback_data.value not in (TOS_FIELDS if kind == "tos" else ORG_FIELDS):
        raise Stale()
    edit = CardEdit(kind=kind, id=callback_data.id, field=callback_data.value)
    data |= {"state": state, "user": user, "registry": registry}
    await CARD_FORM.start(button_message(query), state, data, draft=edit)


@_on(RegistryAction.ACTIVE)
async def switch_active(
    query: CallbackQuery,
    callback_data: RegistryButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    users: UserService,
) -> None:
    kind, body_id = _kind(callback_data), callback_data.id
    await registry.set_active(user.id, kind, body_id, callback_data.value == "1")
    press.tell(_("Saved."))
    press.drop_buttons()
    await press.accept()
    await _card(button_message(query), user, registry, users, kind, body_id)


@_on(RegistryAction.INVITE)
async def invite(
    query: CallbackQuery,
    callback_data: RegistryButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    bot: Bot,
    settings: Settings,
) -> None:
    kind, body_id, role = _kind(callback_data), callback_data.id, callback_data.value
    message = button_message(query)
    if role == "chair":  # one chair: the link works once
        made = await registry.create_invite(user.id, role, body_id)
        await press.accept()
        await _send_invite(message, bot, settings, made)
        return
    registry.require_staff(user.id)
    await press.accept()
    once = registry_button(
        _("One person"), RegistryAction.INVITE_MAKE, kind, body_id, value=f"{role}-1"
    )
    several = registry_button(
        _("Several people, until it expires"),
        RegistryAction.INVITE_MAKE,
        kind,
        body_id,
        value=f"{role}-n",
    )
    await message.answer(_("Who is the link for?"), reply_markup=markup([[once], [several]]))


@_on(RegistryAction.INVITE_MAKE)
async def make_invite(
    query: CallbackQuery,
    callback_data: RegistryButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    bot: Bot,
    settings: Settings,
) -> None:
    _kind(callback_data)
    role, _sep, uses = callback_data.value.partition("-")
    made = await registry.create_invite(user.id, role, callback_data.id, several=uses == "n")
    press.drop_buttons()
    await press.accept()
    await _send_invite(button_message(query), bot, settings, made)


@_on(RegistryAction.POSTER)
async def poster(
    query: CallbackQuery,
    callback_data: RegistryButton,
    user: Person,
    registry: RegistryService,
    bot: Bot,
) -> None:
    if callback_data.kind != "tos":
        raise Stale()
    await _poster(button_message(query), user, registry, bot, callback_data.id)


def _holder_id(button: RegistryButton) -> int:
    holder_id = whole_number(button.value)
    if holder_id is None:
        raise Stale()
    return holder_id


@_on(RegistryAction.REVOKE)
async def ask_revoke(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    kind, body_id, holder_id = _kind(callback_data), callback_data.id, _holder_id(callback_data)
    people = await registry.holders(user.id, kind, body_id)
    target = next((p for p in people if p.user_id == holder_id), None)
    if target is None:
        raise Stale(N_("This person no longer has this role."))
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
    yes = registry_button(
        _("Yes, take it away"),
        RegistryAction.REVOKE_YES,
        kind,
        body_id,
        value=callback_data.value,
    )
    no = registry_button(_("No"), RegistryAction.CARD, kind, body_id)
    await button_message(query).answer(ask, reply_markup=markup([[yes, no]]))


@_on(RegistryAction.REVOKE_YES)
async def revoke(
    query: CallbackQuery,
    callback_data: RegistryButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    kind, body_id, holder_id = _kind(callback_data), callback_data.id, _holder_id(callback_data)
    holders = await registry.holders(user.id, kind, body_id)
    holder = next((p for p in holders if p.user_id == holder_id), None)
    role = await registry.revoke(user.id, holder_id, kind, body_id)
    await press.accept()
    if holder is not None and holder.person is not None and holder.person.display_name:
        done = fill(
            _("{name} is no longer the {role}."),
            name=person(holder.person),
            role=role_name(role),
        )
    else:
        done = fill(_("The role «{role}» is taken away."), role=role_name(role))
    await button_message(query).edit_text(done)


@_on(RegistryAction.IMPORT)
async def ask_import(
    query: CallbackQuery, user: Person, registry: RegistryService, state: FSMContext
) -> None:
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    await state.set_state(RegistryForm.import_file)
    await state.set_data({})
    await button_message(query).answer(_import_help())


@_on(RegistryAction.IMPORT_GO)
async def import_go(
    query: CallbackQuery,
    press: Press,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    bot: Bot,
) -> None:
    if await state.get_state() != RegistryForm.import_confirm.state:
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


@_on(RegistryAction.EXPORT)
async def export(
    query: CallbackQuery,
    callback_data: RegistryButton,
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


@router.callback_query()
async def out_of_date(query: CallbackQuery) -> None:
    """A /registry button that does not read as one (an old or a forged one)."""
    raise Stale()


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


async def _send_invite(message: Message, bot: Bot, settings: Settings, invite: RoleInvite) -> None:
    link = await start_link(bot, invite.payload, message.chat.id)  # the QR opens this messenger
    until = local_text(invite.expires_at, settings.timezone)
    if invite.uses_left == 1:
        uses = _("It works once, until {date}.").format(date=until)
    else:
        uses = _("It works for several people until {date}.").format(date=until)
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
        add = registry.add_tos if kind == "tos" else registry.add_org
        created = await add(user.id, message.text)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(
        fill(_("Added «{name}». Fill in the rest with «Edit»."), name=escape(created.name))
    )
    await _card(message, user, registry, users, kind, created.id)


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
        count = len(plan.good)
        label = ngettext("✅ Import {count} row", "✅ Import {count} rows", count)
        go = registry_button(label.format(count=count), RegistryAction.IMPORT_GO)
        await message.answer("\n".join(lines), reply_markup=markup([[go]]))
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


# -- staff change one field of a card: a form on the engine --------------------------------

CardCall = FormCall[CardEdit, RegistryService]


def ask_value(call: CardCall) -> str:
    text = _field_prompt(call.draft.kind, call.draft.field)
    if call.message.chat.type != "private":
        text += "\n" + _("In this group, answer with a reply to this message.")
    return text


async def read_value(call: CardCall, answer: Answer) -> dict[str, Any]:
    """What was sent, as the card's change keeps it (the registry service reads it when it
    is saved): a shared location for a TOS's area, else a text."""
    if call.draft.kind == "tos" and call.draft.field == "area" and answer.location:
        return {"location": answer.location, "text": ""}
    if not answer.text:
        raise DomainError(N_("Please answer with text. /cancel to stop."))
    return {"text": answer.text, "location": None}


async def save(call: CardCall) -> None:
    await call.service.save_card(call.user.id, call.draft)


async def saved(call: CardCall, _result: None) -> None:
    await call.say(_("Saved."))
    users: UserService = call.data["users"]
    await _card(call.message, call.user, call.service, users, call.draft.kind, call.draft.id)


CARD_FORM = Form(
    "regcard",
    draft=CardEdit,
    service="registry",
    steps=(
        Step(
            "text",
            N_("Value"),
            ask_value,
            read=read_value,
            keep=lambda draft, sent: replace(draft, **sent),
        ),
    ),
    submit=save,
    done=saved,
)
router.runs(CARD_FORM)
router.owns(forms=(RegistryForm,), callbacks=(RegistryButton,))
