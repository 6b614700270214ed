"""/staff: an admin lists, adds (by id, forwarded message or invite link) and removes staff."""

from __future__ import annotations

import logging
import re
from enum import StrEnum

from aiogram import Bot, F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import publish_for_user
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.staff import Role, StaffMember, StaffService
from bot.services.users import UserService
from bot.services.when import local_text
from bot.settings import Settings
from handlers.buttons import Press, Presses, Stale
from handlers.filters import AddressedToBot, PrivateChat, StaffPlace, TextIs
from handlers.ids import Id
from handlers.links import RevokeInviteButton, revoke_markup
from handlers.menu import MENU_STAFF
from handlers.render import button_message, person
from handlers.spec import RouterSpec

log = logging.getLogger(__name__)
router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())

USER_ID_RE = re.compile(r"^\d{1,15}$")


NOT_ON_STAFF = N_("This person is no longer on the staff list.")


class StaffAction(StrEnum):
    """What a button of /staff does (each has its own handler)."""

    ADD = "add"  # asks for the person
    INVITE = "invite"  # makes an invite link
    REMOVE = "remove"  # asks first
    CONFIRM_REMOVAL = "removing"  # «Yes, remove»
    KEEP = "keep"  # «No»


class StaffButton(CallbackData, prefix="staff"):
    action: StaffAction
    user_id: Id = 0  # remove, removing: the staff member


class StaffForm(StatesGroup):
    waiting_user = State()


router.owns(forms=(StaffForm,), callbacks=(StaffButton, RevokeInviteButton))


def _button_name(member: StaffMember) -> str:
    if member.user is not None and member.user.display_name:
        return member.user.display_name[:40]
    return _("not opened the bot yet")


def staff_view(members: list[StaffMember]) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("<b>Staff</b>: {count}").format(count=len(members))]
    for member in members:
        line = f"• {person(member.user)}"
        if member.is_admin:
            line += " — " + _("administrator")
        lines.append(line)
    rows = [
        [
            InlineKeyboardButton(
                text=_("➕ Add"), callback_data=StaffButton(action=StaffAction.ADD).pack()
            ),
            InlineKeyboardButton(
                text=_("🔗 Invite link"),
                callback_data=StaffButton(action=StaffAction.INVITE).pack(),
            ),
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                text=_("✖ Remove {name}").format(name=_button_name(m)),
                callback_data=StaffButton(action=StaffAction.REMOVE, user_id=m.user_id).pack(),
            )
        ]
        for m in members
        if not m.is_admin
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("staff"))
@router.message(PrivateChat(), TextIs(MENU_STAFF))
async def staff_list(message: Message, user: Person, staff: StaffService) -> None:
    text, markup = staff_view(await staff.list_staff(user.id))
    await message.answer(text, reply_markup=markup)


async def _added(
    message: Message,
    added: Person | None,
    user_id: int,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
) -> None:
    # The new staff member is told through the outbox (StaffService.add).
    await message.answer(_("Added to the staff: {name}.").format(name=person(added)))
    await publish_for_user(bot, i18n, settings.default_locale, user_id, Role.STAFF)


@router.callback_query(StaffButton.filter(F.action == StaffAction.ADD))
async def ask_whom_to_add(
    query: CallbackQuery, press: Press, user: Person, staff: StaffService, state: FSMContext
) -> None:
    message = button_message(query)
    await staff.list_staff(user.id)  # the role is checked now, not when the list was drawn
    await press.accept()
    await state.set_state(StaffForm.waiting_user)
    prompt = _(
        "Send the person's Telegram user id (digits only) or forward me any message "
        "they wrote. /cancel to stop."
    )
    if message.chat.type != "private":
        prompt += "\n" + _("In this group, answer with a reply to this message.")
    await message.answer(prompt, reply_markup=ForceReply(selective=True))


@router.callback_query(StaffButton.filter(F.action == StaffAction.INVITE))
async def invite(
    query: CallbackQuery,
    press: Press,
    user: Person,
    staff: StaffService,
    bot: Bot,
    settings: Settings,
) -> None:
    invite = await staff.create_invite(user.id)
    await press.accept()
    link = await create_start_link(bot, invite.payload)
    await button_message(query).answer(
        _("Send this link to the new staff member. It works once, until {date}:\n{link}").format(
            date=local_text(invite.expires_at, settings.timezone), link=link
        ),
        reply_markup=revoke_markup(invite.payload),
    )


@router.callback_query(StaffButton.filter(F.action == StaffAction.REMOVE))
async def ask_to_remove(
    query: CallbackQuery,
    callback_data: StaffButton,
    press: Press,
    user: Person,
    staff: StaffService,
) -> None:
    members = {m.user_id: m for m in await staff.list_staff(user.id)}
    member = members.get(callback_data.user_id)
    if member is None or member.is_admin:
        raise Stale(NOT_ON_STAFF)
    await press.accept()
    confirm = StaffButton(action=StaffAction.CONFIRM_REMOVAL, user_id=callback_data.user_id)
    await button_message(query).answer(
        _("Remove {name} from the staff?").format(name=person(member.user)),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=_("Yes, remove"), callback_data=confirm.pack()),
                    InlineKeyboardButton(
                        text=_("No"), callback_data=StaffButton(action=StaffAction.KEEP).pack()
                    ),
                ]
            ]
        ),
    )


@router.callback_query(StaffButton.filter(F.action == StaffAction.CONFIRM_REMOVAL))
async def remove(
    query: CallbackQuery,
    callback_data: StaffButton,
    press: Press,
    user: Person,
    staff: StaffService,
    users: UserService,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
) -> None:
    removed = await users.get(callback_data.user_id)
    await staff.remove(user.id, callback_data.user_id)
    await press.accept()
    await button_message(query).edit_text(
        _("{name} is no longer on the staff list.").format(name=person(removed))
    )
    await publish_for_user(bot, i18n, settings.default_locale, callback_data.user_id, Role.RESIDENT)


@router.callback_query(StaffButton.filter(F.action == StaffAction.KEEP))
async def keep(query: CallbackQuery, press: Press) -> None:
    await press.accept()
    await button_message(query).edit_text(_("Nothing changed."))


@router.callback_query(RevokeInviteButton.filter())
async def revoke_invite(
    query: CallbackQuery,
    callback_data: RevokeInviteButton,
    press: Press,
    user: Person,
    staff: StaffService,
) -> None:
    """«Revoke the link» on the message that gave an invite (staff or role invites alike):
    whoever opens it afterwards is told it was revoked."""
    if not await staff.revoke_invite(user.id, callback_data.token):
        raise Stale(N_("This link is already revoked."))
    await press.accept()
    await button_message(query).edit_text(
        _(
            "🚫 Link revoked: whoever opens it now is told it no longer works. Make a new one "
            "if you need it."
        )
    )


@router.message(StateFilter(StaffForm.waiting_user), AddressedToBot())
async def staff_add_input(
    message: Message,
    user: Person,
    staff: StaffService,
    users: UserService,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
) -> None:
    origin = message.forward_origin
    target: int | None = None
    if isinstance(origin, MessageOriginUser):
        target = origin.sender_user.id
    elif isinstance(origin, MessageOriginHiddenUser):
        await message.answer(
            _(
                "This person hides their account in forwarded messages. Send their numeric "
                "user id instead, or create an invite link with /staff."
            )
        )
        return
    elif message.text and USER_ID_RE.fullmatch(message.text.strip()):
        target = int(message.text.strip())
    if target is None:
        await message.answer(
            _(
                "That is not a user id. Send digits only (the person can learn their id from "
                "@userinfobot), or forward a message from them. /cancel to stop."
            )
        )
        return
    added = await staff.add(user.id, target)
    await state.clear()
    await _added(message, added, target, bot, i18n, settings)
