"""/tos: a resident finds their TOS by street or location and joins it; a chair announces
to the members and keeps the TOS's card up to date."""

from __future__ import annotations

from aiogram import Bot
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
from bot.services.registry import ANNOUNCE_MAX, RegistryService, check_announcement
from bot.services.registry_fields import CHAIR_FIELDS, TOS_FIELDS
from bot.settings import Settings
from handlers.errors import render_error
from handlers.filters import PrivateChat, TextIs
from handlers.forms import refused_on_sending
from handlers.ids import Id
from handlers.links import poster_link, qr_photo
from handlers.menu import MENU_TOS
from handlers.registry_cards import tos_public_card
from handlers.render import button_message, drop_buttons, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())


class TosCD(CallbackData, prefix="t1"):
    action: str  # card | find | join | leave | announce | send | field | poster
    id: Id = 0
    value: str = ""


class TosForm(StatesGroup):
    unfinished = N_("You have not sent the announcement to the members yet.")
    search = State()
    announce = State()
    announce_confirm = State()
    card_value = State()


router.owns(forms=(TosForm,), callbacks=(TosCD,))


def _b(text: str, action: str, id: int = 0, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=TosCD(action=action, id=id, value=value).pack()
    )


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
    rows = [[_b(tos.name[:60], "card", tos.id)] for tos in mine]
    rows.append([_b(_("🔎 Find another TOS"), "find")])
    await message.answer(_("Your TOS:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def _show(message: Message, user: Person, registry: RegistryService, tos_id: int) -> None:
    view = await registry.view(user.id, tos_id)
    rows: list[list[InlineKeyboardButton]] = []
    if view.is_member:
        rows.append([_b(_("Leave the TOS"), "leave", tos_id)])
    else:
        rows.append([_b(_("✅ Join"), "join", tos_id)])
    if view.leads:
        rows.append([_b(_("📣 Announce to members"), "announce", tos_id)])
        rows.append([_b(_("✏️ Public contact"), "field", tos_id, "public_contact"),
                     _b(_("✏️ Description"), "field", tos_id, "description")])  # fmt: skip
        rows.append([_b(_("🔳 Join poster"), "poster", tos_id)])
    rows.append([_b(_("🔎 Find another TOS"), "find")])
    await message.answer(
        tos_public_card(view), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def _results(
    message: Message, user: Person, registry: RegistryService, found: list[Tos],
    typed: str,
) -> bool:  # fmt: skip
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
    rows = [[_b(tos.name[:60], "card", tos.id)] for tos in found]
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
        tos = await registry.find_by_location(message.location.latitude,
                                              message.location.longitude)  # fmt: skip
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


@router.callback_query(TosCD.filter())
async def tos_button(
    query: CallbackQuery,
    callback_data: TosCD,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    message = button_message(query)
    cd = callback_data
    if cd.action == "card":
        await query.answer()
        await _show(message, user, registry, cd.id)
    elif cd.action == "find":
        await query.answer()
        await _ask_street(message, state)
    elif cd.action == "join":
        tos = await registry.join(user.id, cd.id)
        await query.answer(fill(_("You have joined «{name}»."), name=tos.name[:100]))
        await drop_buttons(message)
        await _show(message, user, registry, cd.id)
    elif cd.action == "leave":
        tos = await registry.leave(user.id, cd.id)
        await query.answer()
        await drop_buttons(message)
        await message.answer(
            fill(_("You have left «{name}». /tos finds another one."), name=escape(tos.name))
        )
    elif cd.action == "announce":
        members, left = await registry.announcement_room(user.id, cd.id)  # checked now
        await query.answer()
        if left == 0:
            await message.answer(
                _("This week's announcements are used up. You can send the next one later.")
            )
            return
        await state.set_state(TosForm.announce)
        await state.set_data({"tos_id": cd.id})
        await message.answer(
            ngettext(
                "Write the announcement for the {members} member in the bot (up to {max} "
                "characters). This week you can send {left} more. /cancel to stop.",
                "Write the announcement for the {members} members in the bot (up to {max} "
                "characters). This week you can send {left} more. /cancel to stop.",
                members,
            ).format(members=members, max=ANNOUNCE_MAX, left=left)
        )
    elif cd.action == "send":
        await _send_announcement(message, query, user, registry, state)
    elif cd.action == "field" and cd.value in CHAIR_FIELDS:
        await registry.require_leader(user.id, cd.id)  # chairs and deputies only, checked now
        await query.answer()
        await state.set_state(TosForm.card_value)
        await state.set_data({"tos_id": cd.id, "field": cd.value})
        await message.answer(
            fill(
                _("The new «{field}» for the TOS's card. /cancel to stop."),
                field=_(TOS_FIELDS[cd.value]),
            )
        )
    elif cd.action == "poster":
        tos = await registry.require_leader(user.id, cd.id)
        await query.answer()
        link = await poster_link(bot, registry, tos, message.chat.id)
        await message.answer_photo(
            qr_photo(link, "join.png"),
            caption=fill(
                _("Print this poster: a neighbour who scans it joins «{name}» at once.\n{link}"),
                name=escape(tos.name),
                link=link,
            ),
        )
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


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
            inline_keyboard=[[_b(_("📣 Send"), "send", int(data.get("tos_id", 0)))]]
        ),
    )


async def _send_announcement(
    message: Message,
    query: CallbackQuery,
    user: Person,
    registry: RegistryService,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if await state.get_state() != TosForm.announce_confirm.state or not data.get("text"):
        await query.answer(_("This announcement is already sent or cancelled."), show_alert=True)
        return
    await query.answer()
    try:
        count = await registry.announce(user.id, int(data["tos_id"]), str(data["text"]))
    except DomainError as error:  # the week's limit, no members yet: the text stays
        await refused_on_sending(
            message, state, error, {"text": TosForm.announce}, lambda step: _ask_text(message)
        )
        return
    await state.clear()
    await drop_buttons(message)
    await message.answer(
        ngettext(
            "Sent to {count} member. Delivery goes at a gentle pace.",
            "Sent to {count} members. Delivery goes at a gentle pace.",
            count,
        ).format(count=count)
    )


@router.message(StateFilter(TosForm.announce_confirm))
async def announce_confirm_typed(message: Message) -> None:
    await message.answer(_("Press «Send» under the announcement, or /cancel."))


@router.message(StateFilter(TosForm.card_value))
async def card_value_typed(
    message: Message, state: FSMContext, user: Person, registry: RegistryService
) -> None:
    data = await state.get_data()
    field = str(data.get("field", ""))
    tos_id = int(data.get("tos_id", 0))
    if not message.text:
        await message.answer(_("Please answer with text. /cancel to stop."))
        return
    try:
        await registry.update_tos(user.id, tos_id, registry.parse_tos_field(field, message.text))
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(_("Saved."))
    await _show(message, user, registry, tos_id)
