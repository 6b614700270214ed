"""/tos: a resident finds their TOS by street or location and joins it; a chair announces
to the members and keeps the TOS's card up to date (a form on the engine, CARD_FORM)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.people import Person
from bot.domain.registry import Tos
from bot.i18n import fill
from bot.services.errors import N_, DomainError
from bot.services.registry import ANNOUNCE_MAX, CardEdit, RegistryService, check_announcement
from bot.services.registry_fields import CHAIR_FIELDS, TOS_FIELDS
from handlers.buttons import Press, Presses, Stale
from handlers.errors import render_error
from handlers.filters import PrivateChat, TextIs
from handlers.forms import Answer, Form, FormCall, Step, refused_on_sending
from handlers.ids import Id
from handlers.links import poster_link, qr_photo
from handlers.menu import MENU_TOS
from handlers.registry_cards import tos_public_card
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())


class TosAction(StrEnum):
    """What a button of /tos does (each has its own handler below)."""

    CARD = "card"  # a TOS's card
    FIND = "find"  # search by street or location
    JOIN = "join"
    LEAVE = "leave"
    ANNOUNCE = "announce"  # a chair writes to the members
    SEND = "send"  # the announcement written: send it
    EDIT = "field"  # a chair changes one field of the card (field: which)
    POSTER = "poster"  # the join poster's QR code


class TosButton(CallbackData, prefix="tos"):
    action: TosAction
    id: Id = 0  # the TOS's
    field: str = ""  # edit: a key of CHAIR_FIELDS


class TosForm(StatesGroup):
    unfinished = N_("You have not sent the announcement to the members yet.")
    search = State()
    announce = State()
    announce_confirm = State()


def tos_button(
    text: str, action: TosAction, tos_id: int = 0, field: str = ""
) -> InlineKeyboardButton:
    data = TosButton(action=action, id=tos_id, field=field)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def _ask_street(message: Message, state: FSMContext) -> None:
    await state.set_state(TosForm.search)
    await state.set_data({})  # a new search (see forms.FormContext)
    await message.answer(
        _(
            "Which street do you live on? Type it (e.g. «Lenin» or «Sovetskaya St, 12») "
            "or share a location (📎 → Location). /cancel to stop."
        )
    )


@router.message(Command("tos"))
@router.message(TextIs(MENU_TOS))
async def tos_entry(
    message: Message, state: FSMContext, user: Person, registry: RegistryService
) -> None:
    mine = await registry.user_tos(user.id)
    if not mine:
        await _ask_street(message, state)
        return
    if len(mine) == 1:
        await _show(message, user, registry, mine[0].id)
        return
    rows = [[tos_button(tos.name[:60], TosAction.CARD, tos.id)] for tos in mine]
    rows.append([tos_button(_("🔎 Find another TOS"), TosAction.FIND)])
    await message.answer(_("Your TOS:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def _show(message: Message, user: Person, registry: RegistryService, tos_id: int) -> None:
    view = await registry.view(user.id, tos_id)
    rows: list[list[InlineKeyboardButton]] = []
    if view.is_member:
        rows.append([tos_button(_("Leave the TOS"), TosAction.LEAVE, tos_id)])
    else:
        rows.append([tos_button(_("✅ Join"), TosAction.JOIN, tos_id)])
    if view.leads:
        rows.append([tos_button(_("📣 Announce to members"), TosAction.ANNOUNCE, tos_id)])
        contact = tos_button(_("✏️ Public contact"), TosAction.EDIT, tos_id, "public_contact")
        about = tos_button(_("✏️ Description"), TosAction.EDIT, tos_id, "description")
        rows.append([contact, about])
        rows.append([tos_button(_("🔳 Join poster"), TosAction.POSTER, tos_id)])
    rows.append([tos_button(_("🔎 Find another TOS"), TosAction.FIND)])
    await message.answer(
        tos_public_card(view), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def _results(
    message: Message, user: Person, registry: RegistryService, found: list[Tos], typed: str
) -> bool:
    """Show what a search found; False when it found nothing."""
    if not found:
        nothing = _(
            "No TOS was found for «{typed}». Check the spelling or share a location.\n\n"
            "If there is no TOS on your street yet, you and your neighbours can create one: "
            "hold a meeting of residents, choose a chair and register the TOS with the town "
            "hall. The town hall's specialists will help: ask them with /request."
        )
        await message.answer(fill(nothing, typed=escape(typed[:100])))
        return False
    if len(found) == 1:
        await _show(message, user, registry, found[0].id)
        return True
    rows = [[tos_button(tos.name[:60], TosAction.CARD, tos.id)] for tos in found]
    await message.answer(
        _("Several TOS match. Which one is yours?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )
    return True


@router.message(StateFilter(TosForm.search))
async def search_typed(
    message: Message, state: FSMContext, user: Person, registry: RegistryService
) -> None:
    if message.location:
        location = message.location
        tos = await registry.find_by_location(location.latitude, location.longitude)
        if tos is None:
            await message.answer(
                _("No TOS covers this place. Try typing your street instead. /cancel to stop.")
            )
            return
        await state.clear()
        await _show(message, user, registry, tos.id)
        return
    text = (message.text or "").strip()
    if not 2 <= len(text) <= 200:
        await message.answer(
            _("Type the street's name (2 to 200 characters) or share a location. /cancel to stop.")
        )
        return
    if await _results(message, user, registry, await registry.find_by_street(text), text):
        await state.clear()


@router.callback_query(TosButton.filter(F.action == TosAction.CARD))
async def open_card(
    query: CallbackQuery, callback_data: TosButton, user: Person, registry: RegistryService
) -> None:
    await _show(button_message(query), user, registry, callback_data.id)


@router.callback_query(TosButton.filter(F.action == TosAction.FIND))
async def find(query: CallbackQuery, press: Press, state: FSMContext) -> None:
    await press.accept()
    await _ask_street(button_message(query), state)


@router.callback_query(TosButton.filter(F.action == TosAction.JOIN))
async def join(
    query: CallbackQuery,
    callback_data: TosButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    tos = await registry.join(user.id, callback_data.id)
    press.tell(fill(_("You have joined «{name}»."), name=tos.name[:100]))
    press.drop_buttons()
    await press.accept()
    await _show(button_message(query), user, registry, callback_data.id)


@router.callback_query(TosButton.filter(F.action == TosAction.LEAVE))
async def leave(
    query: CallbackQuery,
    callback_data: TosButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    tos = await registry.leave(user.id, callback_data.id)
    press.drop_buttons()
    await press.accept()
    await button_message(query).answer(
        fill(_("You have left «{name}». /tos finds another one."), name=escape(tos.name))
    )


@router.callback_query(TosButton.filter(F.action == TosAction.ANNOUNCE))
async def announce(
    query: CallbackQuery,
    callback_data: TosButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
) -> None:
    members, left = await registry.announcement_room(user.id, callback_data.id)  # checked now
    await press.accept()
    message = button_message(query)
    if left == 0:
        await message.answer(
            _("This week's announcements are used up. You can send the next one later.")
        )
        return
    await state.set_state(TosForm.announce)
    await state.set_data({"tos_id": callback_data.id})
    await message.answer(
        ngettext(
            "Write the announcement for the {members} member in the bot (up to {max} "
            "characters). This week you can send {left} more. /cancel to stop.",
            "Write the announcement for the {members} members in the bot (up to {max} "
            "characters). This week you can send {left} more. /cancel to stop.",
            members,
        ).format(members=members, max=ANNOUNCE_MAX, left=left)
    )


@router.callback_query(TosButton.filter(F.action == TosAction.SEND))
async def send_announcement(
    query: CallbackQuery,
    press: Press,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
) -> None:
    message = button_message(query)
    data = await state.get_data()
    if await state.get_state() != TosForm.announce_confirm.state or not data.get("text"):
        raise Stale(N_("This announcement is already sent or cancelled."))
    try:
        count = await registry.announce(user.id, int(data["tos_id"]), str(data["text"]))
    except DomainError as error:  # the week's limit, no members yet: the text stays
        await press.accept()
        await refused_on_sending(
            message, state, error, {"text": TosForm.announce}, lambda step: _ask_text(message)
        )
        return
    await state.clear()
    press.drop_buttons()
    await press.accept()
    await message.answer(
        ngettext(
            "Sent to {count} member. Delivery goes at a gentle pace.",
            "Sent to {count} members. Delivery goes at a gentle pace.",
            count,
        ).format(count=count)
    )


@router.callback_query(TosButton.filter(F.action == TosAction.EDIT))
async def edit_card(
    query: CallbackQuery,
    callback_data: TosButton,
    state: FSMContext,
    user: Person,
    registry: RegistryService,
    **data: Any,
) -> None:
    if callback_data.field not in CHAIR_FIELDS:
        raise Stale()
    await registry.require_leader(user.id, callback_data.id)  # chairs and deputies, checked now
    edit = CardEdit(kind="tos", id=callback_data.id, field=callback_data.field)
    data |= {"state": state, "user": user, "registry": registry}
    await CARD_FORM.start(button_message(query), state, data, draft=edit)


@router.callback_query(TosButton.filter(F.action == TosAction.POSTER))
async def poster(
    query: CallbackQuery,
    callback_data: TosButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    bot: Bot,
) -> None:
    message = button_message(query)
    tos = await registry.require_leader(user.id, callback_data.id)
    await press.accept()
    link = await poster_link(bot, registry, tos, message.chat.id)
    await message.answer_photo(
        qr_photo(link, "join.png"),
        caption=fill(
            _("Print this poster: a neighbour who scans it joins «{name}» at once.\n{link}"),
            name=escape(tos.name),
            link=link,
        ),
    )


async def _ask_text(message: Message) -> None:
    await message.answer(
        _("Please write the announcement as text, 3 to {max} characters.").format(max=ANNOUNCE_MAX)
    )


@router.message(StateFilter(TosForm.announce))
async def announce_typed(message: Message, state: FSMContext) -> None:
    if not message.text:
        await _ask_text(message)
        return
    try:
        text = check_announcement(message.text)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    data = await state.get_data()
    await state.set_state(TosForm.announce_confirm)
    await state.update_data(text=text)
    await message.answer(
        _("The members will get this:") + "\n\n" + escape(text),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[tos_button(_("📣 Send"), TosAction.SEND, int(data.get("tos_id", 0)))]]
        ),
    )


@router.message(StateFilter(TosForm.announce_confirm))
async def announce_confirm_typed(message: Message) -> None:
    await message.answer(_("Press «Send» under the announcement, or /cancel."))


# -- a chair changes the card: one value, a form on the engine ----------------------------

CardCall = FormCall[CardEdit, RegistryService]


def ask_value(call: CardCall) -> str:
    return fill(
        _("The new «{field}» for the TOS's card. /cancel to stop."),
        field=_(TOS_FIELDS[call.draft.field]),
    )


async def read_value(call: CardCall, answer: Answer) -> str:
    """The text as sent (the registry service reads it when it is saved)."""
    if not answer.text:
        raise DomainError(N_("Please answer with text. /cancel to stop."))
    return answer.text


async def save(call: CardCall) -> None:
    await call.service.save_card(call.user.id, call.draft)


async def saved(call: CardCall, _result: None) -> None:
    await call.say(_("Saved."))
    await _show(call.message, call.user, call.service, call.draft.id)


CARD_FORM = Form(
    "toscard",
    draft=CardEdit,
    service="registry",
    steps=(Step("text", N_("Value"), ask_value, read=read_value),),
    submit=save,
    done=saved,
)
router.runs(CARD_FORM)
router.owns(forms=(TosForm,), callbacks=(TosButton,))
