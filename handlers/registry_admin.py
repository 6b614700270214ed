"""/registry: staff keep the list of TOS and organisations: the menu with the figures, the
lists, a body's staff card (drawn by handlers/registry_cards.py), adding one by its name and
changing a field of its card (two forms on the engine), deactivating it. Invites, posters
and taking a role away: handlers/registry_invites.py; the registry as a file:
handlers/registry_import.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.domain.registry import Organisation, Tos
from bot.i18n import fill
from bot.services.errors import N_, DomainError
from bot.services.registry import CardEdit, NewBody, RegistryService
from bot.services.registry_fields import ORG_FIELDS, ORG_KINDS, TOS_FIELDS, parse_name
from handlers.buttons import Press, Presses, Stale
from handlers.filters import PrivateChat, StaffPlace, TextIs
from handlers.forms import Answer, Form, FormCall, Step, typed_text
from handlers.menu import MENU_REGISTRY
from handlers.registry_cards import (
    RegistryAction,
    RegistryButton,
    body_kind,
    coverage_text,
    registry_button,
    show_card,
)
from handlers.registry_import import RegistryFileAction, file_button
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
router.owns(callbacks=(RegistryButton,))

PAGE = 8


def _in_group(call: FormCall[Any, RegistryService], text: str) -> str:
    """A step's question; in the staff group it must be answered with a reply to the bot."""
    if call.message.chat.type != "private":
        text += "\n" + _("In this group, answer with a reply to this message.")
    return text


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
        [file_button(_("📥 Import CSV/XLSX"), RegistryFileAction.IMPORT)],
        [
            file_button(_("📤 Export CSV"), RegistryFileAction.EXPORT, "csv"),
            file_button(_("📤 Export XLSX"), RegistryFileAction.EXPORT, "xlsx"),
        ],
    ]
    await message.answer(
        coverage_text(await registry.coverage()),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@router.message(Command("registry"))
@router.message(PrivateChat(), TextIs(MENU_REGISTRY))
async def registry_menu(message: Message, user: Person, registry: RegistryService) -> None:
    await _menu(message, user, registry)


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.MENU))
async def open_menu(query: CallbackQuery, user: Person, registry: RegistryService) -> None:
    await _menu(button_message(query), user, registry)


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.LIST))
async def open_list(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    kind, page = body_kind(callback_data), callback_data.page
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
    await button_message(query).answer(
        text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


# -- a body's card ----------------------------------------------------------------------------


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.CARD))
async def open_card(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    kind = body_kind(callback_data)
    await show_card(button_message(query), user, registry, kind, callback_data.id)


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.ACTIVE))
async def switch_active(
    query: CallbackQuery,
    callback_data: RegistryButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    kind, body_id = body_kind(callback_data), callback_data.id
    await registry.set_active(user.id, kind, body_id, callback_data.value == "1")
    press.tell(_("Saved."))
    press.drop_buttons()
    await press.accept()
    await show_card(button_message(query), user, registry, kind, body_id)


# -- staff add a body by its name: a form on the engine ---------------------------------------

AddCall = FormCall[NewBody, RegistryService]


def ask_name(call: AddCall) -> str:
    if call.draft.kind == "tos":
        return _in_group(call, _("The new TOS's name (e.g. «TOS South»). /cancel to stop."))
    return _in_group(call, _("The new organisation's name. /cancel to stop."))


async def add_body(call: AddCall) -> Tos | Organisation:
    if call.draft.kind == "tos":
        return await call.service.add_tos(call.user.id, call.draft.name)
    return await call.service.add_org(call.user.id, call.draft.name)


async def added(call: AddCall, created: Tos | Organisation) -> None:
    await call.say(
        fill(_("Added «{name}». Fill in the rest with «Edit»."), name=escape(created.name))
    )
    await show_card(call.message, call.user, call.service, call.draft.kind, created.id)


ADD_FORM = Form(
    "regadd",
    draft=NewBody,
    service="registry",
    steps=(
        Step(
            "name",
            N_("Name"),
            ask_name,
            read=typed_text(parse_name, N_("Please write the name as text. /cancel to stop.")),
        ),
    ),
    submit=add_body,
    done=added,
)


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.ADD))
async def add(query: CallbackQuery, callback_data: RegistryButton, **data: Any) -> None:
    kind = body_kind(callback_data)
    user: Person = data["user"]
    registry: RegistryService = data["registry"]
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    await ADD_FORM.start(button_message(query), data["state"], data, draft=NewBody(kind=kind))


# -- staff change one field of a card: a form on the engine --------------------------------


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.EDIT))
async def choose_field(
    query: CallbackQuery, callback_data: RegistryButton, user: Person, registry: RegistryService
) -> None:
    kind, body_id = body_kind(callback_data), callback_data.id
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    fields = TOS_FIELDS if kind == "tos" else ORG_FIELDS
    rows = [
        [registry_button(_(label), RegistryAction.FIELD, kind, body_id, value=name)]
        for name, label in fields.items()
    ]
    rows.append([registry_button(_("« Back"), RegistryAction.CARD, kind, body_id)])
    await button_message(query).answer(
        _("What to change?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(RegistryButton.filter(F.action == RegistryAction.FIELD))
async def edit_field(
    query: CallbackQuery,
    callback_data: RegistryButton,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    **data: Any,
) -> None:
    kind = body_kind(callback_data)
    registry.require_staff(user.id)  # checked now, not when the menu was drawn
    if callback_data.value not in (TOS_FIELDS if kind == "tos" else ORG_FIELDS):
        raise Stale()
    edit = CardEdit(kind=kind, id=callback_data.id, field=callback_data.value)
    data |= {"state": state, "user": user, "registry": registry}
    await CARD_FORM.start(button_message(query), state, data, draft=edit)


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


CardCall = FormCall[CardEdit, RegistryService]


def ask_value(call: CardCall) -> str:
    return _in_group(call, _field_prompt(call.draft.kind, call.draft.field))


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
    await show_card(call.message, call.user, call.service, call.draft.kind, call.draft.id)


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
router.runs(ADD_FORM, CARD_FORM)


@router.callback_query()
async def out_of_date(query: CallbackQuery) -> None:
    """A /registry button that does not read as one (an old or a forged one)."""
    raise Stale()
