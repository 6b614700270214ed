"""/staff: an admin lists, adds (by id, forwarded message or invite link) and removes staff."""

from __future__ import annotations

import logging
import re

from aiogram import Bot
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
from bot.services.staff import Role, StaffMember, StaffService
from bot.services.users import UserService
from bot.services.when import local_text
from bot.settings import Settings
from handlers.filters import AddressedToBot, PrivateChat, StaffPlace, TextIs
from handlers.ids import Id
from handlers.links import RevokeInviteCD, revoke_markup
from handlers.menu import MENU_STAFF
from handlers.render import button_message, person
from handlers.spec import RouterSpec

log = logging.getLogger(__name__)
router = RouterSpec(__name__, needs_consent=True)
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())

USER_ID_RE = re.compile(r"^\d{1,15}$")


class StaffCD(CallbackData, prefix="s1"):
    action: str  # add | invite | rm | rm_yes | rm_no
    user_id: Id = 0


class StaffForm(StatesGroup):
    waiting_user = State()


router.owns(forms=(StaffForm,), callbacks=(StaffCD, RevokeInviteCD))


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
            InlineKeyboardButton(text=_("➕ Add"), callback_data=StaffCD(action="add").pack()),
            InlineKeyboardButton(
                text=_("🔗 Invite link"), callback_data=StaffCD(action="invite").pack()
            ),
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                text=_("✖ Remove {name}").format(name=_button_name(m)),
                callback_data=StaffCD(action="rm", user_id=m.user_id).pack(),
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


@router.callback_query(StaffCD.filter())
async def staff_button(
    query: CallbackQuery,
    callback_data: StaffCD,
    user: Person,
    staff: StaffService,
    users: UserService,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
) -> None:
    message = button_message(query)
    action = callback_data.action
    if action == "add":
        await staff.list_staff(user.id)  # the role is checked now, not when the list was drawn
        await query.answer()
        await state.set_state(StaffForm.waiting_user)
        prompt = _(
            "Send the person's Telegram user id (digits only) or forward me any message "
            "they wrote. /cancel to stop."
        )
        if message.chat.type != "private":
            prompt += "\n" + _("In this group, answer with a reply to this message.")
        await message.answer(prompt, reply_markup=ForceReply(selective=True))
    elif action == "invite":
        invite = await staff.create_invite(user.id)
        await query.answer()
        link = await create_start_link(bot, invite.payload)
        await message.answer(
            _(
                "Send this link to the new staff member. It works once, until {date}:\n{link}"
            ).format(
                date=local_text(invite.expires_at, settings.timezone),
                link=link,
            ),
            reply_markup=revoke_markup(invite.payload),
        )
    elif action == "rm":
        members = {m.user_id: m for m in await staff.list_staff(user.id)}
        member = members.get(callback_data.user_id)
        if member is None or member.is_admin:
            await query.answer(_("This person is no longer on the staff list."), show_alert=True)
            return
        await query.answer()
        await message.answer(
            _("Remove {name} from the staff?").format(name=person(member.user)),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("Yes, remove"),
                            callback_data=StaffCD(
                                action="rm_yes", user_id=callback_data.user_id
                            ).pack(),
                        ),
                        InlineKeyboardButton(
                            text=_("No"), callback_data=StaffCD(action="rm_no").pack()
                        ),
                    ]
                ]
            ),
        )
    elif action == "rm_yes":
        removed = await users.get(callback_data.user_id)
        await staff.remove(user.id, callback_data.user_id)
        await query.answer()
        await message.edit_text(
            _("{name} is no longer on the staff list.").format(name=person(removed))
        )
        await publish_for_user(
            bot, i18n, settings.default_locale, callback_data.user_id, Role.RESIDENT
        )
    elif action == "rm_no":
        await query.answer()
        await message.edit_text(_("Nothing changed."))
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


@router.callback_query(RevokeInviteCD.filter())
async def revoke_invite(
    query: CallbackQuery, callback_data: RevokeInviteCD, user: Person, staff: StaffService
) -> None:
    """«Revoke the link» on the message that gave an invite (staff or role invites alike):
    whoever opens it afterwards is told it was revoked."""
    message = button_message(query)
    if not await staff.revoke_invite(user.id, callback_data.token):
        await query.answer(_("This link is already revoked."), show_alert=True)
        return
    await query.answer()
    await message.edit_text(
        _("🚫 Link revoked: whoever opens it now is told it no longer works. Make a new one "
          "if you need it.")
    )  # fmt: skip


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
