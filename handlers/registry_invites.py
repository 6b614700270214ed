"""/registry, a staff card's people: invite a chair, a deputy or a representative (a link
and its QR code), a TOS's join poster, and taking a role away. The card itself and its
buttons: handlers/registry_cards.py."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.i18n import fill
from bot.messengers.links import start_link
from bot.services.errors import N_
from bot.services.numbers import whole_number
from bot.services.registry import RegistryService, RoleInvite
from bot.services.when import local_text
from bot.settings import Settings
from handlers.buttons import Press, Presses, Stale
from handlers.filters import StaffPlace
from handlers.links import poster_link, qr_photo, revoke_markup
from handlers.registry_cards import (
    InviteAction,
    RegistryAction,
    RegistryInviteButton,
    body_kind,
    invite_button,
    registry_button,
    role_name,
)
from handlers.render import button_message, escape, person
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
router.owns(callbacks=(RegistryInviteButton,))


@router.callback_query(RegistryInviteButton.filter(F.action == InviteAction.INVITE))
async def invite(
    query: CallbackQuery,
    callback_data: RegistryInviteButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    bot: Bot,
    settings: Settings,
) -> None:
    kind, body_id, role = body_kind(callback_data), callback_data.id, callback_data.value
    message = button_message(query)
    if role == "chair":  # one chair: the link works once
        made = await registry.create_invite(user.id, role, body_id)
        await press.accept()
        await _send_invite(message, bot, settings, made)
        return
    registry.require_staff(user.id)
    await press.accept()
    once = invite_button(_("One person"), InviteAction.INVITE_MAKE, kind, body_id, f"{role}-1")
    several = invite_button(
        _("Several people, until it expires"), InviteAction.INVITE_MAKE, kind, body_id, f"{role}-n"
    )
    await message.answer(
        _("Who is the link for?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[once], [several]]),
    )


@router.callback_query(RegistryInviteButton.filter(F.action == InviteAction.INVITE_MAKE))
async def make_invite(
    query: CallbackQuery,
    callback_data: RegistryInviteButton,
    press: Press,
    user: Person,
    registry: RegistryService,
    bot: Bot,
    settings: Settings,
) -> None:
    body_kind(callback_data)
    role, _sep, uses = callback_data.value.partition("-")
    made = await registry.create_invite(user.id, role, callback_data.id, several=uses == "n")
    press.drop_buttons()
    await press.accept()
    await _send_invite(button_message(query), bot, settings, made)


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


@router.callback_query(RegistryInviteButton.filter(F.action == InviteAction.POSTER))
async def poster(
    query: CallbackQuery,
    callback_data: RegistryInviteButton,
    user: Person,
    registry: RegistryService,
    bot: Bot,
) -> None:
    if callback_data.kind != "tos":
        raise Stale()
    message = button_message(query)
    registry.require_staff(user.id)
    tos = await registry.active_tos(callback_data.id)
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


def _holder_id(button: RegistryInviteButton) -> int:
    holder_id = whole_number(button.value)
    if holder_id is None:
        raise Stale()
    return holder_id


@router.callback_query(RegistryInviteButton.filter(F.action == InviteAction.REVOKE))
async def ask_revoke(
    query: CallbackQuery,
    callback_data: RegistryInviteButton,
    user: Person,
    registry: RegistryService,
) -> None:
    kind, body_id = body_kind(callback_data), callback_data.id
    holder_id = _holder_id(callback_data)
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
    yes = invite_button(
        _("Yes, take it away"), InviteAction.REVOKE_YES, kind, body_id, callback_data.value
    )
    no = registry_button(_("No"), RegistryAction.CARD, kind, body_id)  # back to the card
    await button_message(query).answer(
        ask, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[yes, no]])
    )


@router.callback_query(RegistryInviteButton.filter(F.action == InviteAction.REVOKE_YES))
async def revoke(
    query: CallbackQuery,
    callback_data: RegistryInviteButton,
    press: Press,
    user: Person,
    registry: RegistryService,
) -> None:
    kind, body_id = body_kind(callback_data), callback_data.id
    holder_id = _holder_id(callback_data)
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


@router.callback_query()
async def out_of_date(query: CallbackQuery) -> None:
    """An invite button that does not read as one (an old or a forged one)."""
    raise Stale()
