"""How TOS and organisations read: the staff card with its buttons, the resident's card,
the figures. The buttons of a staff card: `RegistryButton` (the list, the card, its edit:
handlers/registry_admin.py) and `RegistryInviteButton` (invites, the join poster, taking a
role away: handlers/registry_invites.py); both features draw the card from here."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.people import Person
from bot.domain.registry import Organisation, Tos
from bot.services.errors import N_, DomainError
from bot.services.registry import Coverage, Holder, RegistryService, TosView
from bot.services.registry_fields import ORG_KINDS, ROLE_NAMES
from bot.services.when import local_text
from bot.textsplit import length
from handlers.buttons import Stale
from handlers.ids import Id, Page
from handlers.initiative_cards import number_of
from handlers.render import escape, number, person

# Lines of a territory on a card, and the room they may take (as Telegram counts): with
# every other field at its limit a card stays one message; the rest of the lines is counted.
TERRITORY_SHOWN = 15
TERRITORY_ROOM = 1000
REMOVE_ROLE = {
    "chair": N_("✖ Remove the TOS chair"),
    "deputy": N_("✖ Remove the deputy chair"),
    "rep": N_("✖ Remove the representative"),
}
# What the card tells a chair or a deputy (a whole sentence each: «the TOS chair of this
# TOS» read badly when a role's name was put into one).
LEADS = {
    "chair": N_("You are the chair of this TOS. Members in the bot: {count}."),
    "deputy": N_("You are a deputy chair of this TOS. Members in the bot: {count}."),
}


def residents_covered(count: int) -> str:
    """«covering 4 761 residents»: in the form a sentence about covering them needs (in
    Russian the accusative after the verb, which differs from the count's usual forms)."""
    return ngettext("{count} resident", "{count} residents", count).format(count=number(count))


def coverage_text(figures: Coverage) -> str:
    lines = [
        _("<b>Registry</b>"),
        ngettext(
            "{count} TOS covers {residents}",
            "{count} TOS cover {residents}",
            figures.tos,
        ).format(count=figures.tos, residents=residents_covered(figures.residents)),
    ]
    if figures.percent is not None:
        lines.append(
            ngettext(
                "That is {percent} % of the town's {population} person.",
                "That is {percent} % of the town's {population} people.",
                figures.population or 0,
            ).format(
                percent=number(figures.percent, "0.0"),
                population=number(figures.population or 0),
            )
        )
    else:
        lines.append(_("Set MUNICIPALITY_POPULATION to see the share of the town covered."))
    lines.append(
        ngettext("{count} organisation", "{count} organisations", figures.organisations).format(
            count=figures.organisations
        )
    )
    return "\n".join(lines)


def _territory(tos: Tos) -> str:
    if not tos.territory:
        return _("not given yet")
    shown: list[str] = []
    room = TERRITORY_ROOM
    for line in tos.territory[:TERRITORY_SHOWN]:
        room -= length(line) + 3  # with its bullet and line break
        if room < 0:
            break
        shown.append(escape(line))
    more = len(tos.territory) - len(shown)
    if more > 0:
        shown.append(ngettext("…and {count} more", "…and {count} more", more).format(count=more))
    return "\n".join(f"• {line}" for line in shown)


def role_name(role: str) -> str:
    return _(ROLE_NAMES.get(role, role))


def tos_staff_card(tos: Tos, people: list[Holder]) -> str:
    lines = [f"🏘 <b>{escape(tos.name)}</b>"]
    if not tos.active:
        lines.append(_("⛔ Deactivated: residents do not see it."))
    lines.append(_("<b>Territory:</b>") + "\n" + _territory(tos))
    lines.append(_("<b>Residents covered:</b> {count}").format(count=tos.residents))
    if tos.registered_on:
        lines.append(
            _("<b>Registered:</b> {date}").format(date=local_text(tos.registered_on, None, "date"))
        )
    if tos.radius_m and tos.latitude is not None and tos.longitude is not None:
        lines.append(
            _("<b>Area:</b> {radius} m around {lat:.5f}, {lon:.5f}").format(
                radius=tos.radius_m, lat=tos.latitude, lon=tos.longitude
            )
        )
    elif tos.polygon:
        lines.append(_("<b>Area:</b> a polygon of {count} points").format(count=len(tos.polygon)))
    if tos.contacts:
        lines.append(_("<b>Contacts:</b> {text}").format(text=escape(tos.contacts)))
    if tos.public_contact:
        lines.append(_("<b>Public contact:</b> {text}").format(text=escape(tos.public_contact)))
    if tos.description:
        lines.append(escape(tos.description))
    lines.append(_("<b>Members in the bot:</b> {count}").format(count=tos.members))
    lines.append(_people(people))
    return "\n".join(lines)


def _unnamed(holder: Holder) -> bool:
    return holder.person is None or not holder.person.display_name


def _since(holder: Holder, people: list[Holder]) -> str:
    """The day the role was given; with the time too when another unnamed holder of the
    same role got it the same day (two deputies by one link), so each is told apart."""
    if holder.since is None:
        return "—"
    day = holder.since.date()
    twin = any(
        other is not holder
        and other.role == holder.role
        and _unnamed(other)
        and other.since is not None
        and other.since.date() == day
        for other in people
    )
    # The service gives `since` on the town's clock already.
    return local_text(holder.since, holder.since.tzinfo, "datetime" if twin else "date")


def holder_line(holder: Holder, people: list[Holder]) -> str:
    """«Anna Ivanova (@anna) — deputy chair»; without a name to show (the town's privacy
    setting, or none kept): «deputy chair, in the bot since 27.11.2026»."""
    if not _unnamed(holder):
        return f"{person(holder.person)} — {role_name(holder.role)}"
    return _("{role}, in the bot since {date}").format(
        role=role_name(holder.role), date=_since(holder, people)
    )


def remove_label(holder: Holder, people: list[Holder]) -> str:
    """The button that takes a role away: it names the role and, where staff may see it,
    the person; otherwise since when the role is held."""
    action = _(REMOVE_ROLE.get(holder.role, REMOVE_ROLE["rep"]))
    if holder.person is not None and holder.person.display_name:
        return f"{action} ({holder.person.display_name[:30]})"
    return _("{action} (since {date})").format(action=action, date=_since(holder, people))


def _people(people: list[Holder]) -> str:
    if not people:
        return _("<b>People:</b> nobody linked yet; send an invite.")
    rows = [f"• {holder_line(p, people)}" for p in people]
    return _("<b>People:</b>") + "\n" + "\n".join(rows)


def org_staff_card(org: Organisation, people: list[Holder]) -> str:
    lines = [f"🤝 <b>{escape(org.name)}</b>", _(ORG_KINDS.get(org.kind, org.kind))]
    if not org.active:
        lines.append(_("⛔ Deactivated."))
    if org.description:
        lines.append(escape(org.description))
    if org.contacts:
        lines.append(_("<b>Contacts:</b> {text}").format(text=escape(org.contacts)))
    lines.append(_people(people))
    return "\n".join(lines)


def tos_public_card(view: TosView) -> str:
    tos = view.tos
    lines = [f"🏘 <b>{escape(tos.name)}</b>"]
    if tos.description:
        lines.append(escape(tos.description))
    lines.append(_("<b>Territory:</b>") + "\n" + _territory(tos))
    if view.chair_contact:
        lines.append(_("<b>Contact:</b> {text}").format(text=escape(view.chair_contact)))
    if view.initiatives:
        items = [f"• {escape(number_of(i))} — {escape(i.title)}" for i in view.initiatives]
        lines.append(_("<b>Current initiatives:</b>") + "\n" + "\n".join(items))
    if view.events:
        items = [f"• {escape(when)} — {escape(title)}" for when, title in view.events]
        lines.append(_("<b>Upcoming events:</b>") + "\n" + "\n".join(items) + "\n/events")
    if view.leads:
        lines.append(_(LEADS.get(view.leads, LEADS["chair"])).format(count=tos.members))
    elif view.is_member:
        lines.append(_("✅ You are a member."))
    return "\n".join(lines)


# -- the staff card's buttons ----------------------------------------------------------------


class RegistryAction(StrEnum):
    """What a button of /registry does (each has its own handler in handlers/registry_admin.py)."""

    MENU = "menu"
    LIST = "list"  # a page of TOS or organisations
    CARD = "card"  # a body's staff card
    ADD = "add"  # a new body: its name (a form)
    EDIT = "edit"  # which field to change
    FIELD = "field"  # change one field (value: which): the card form
    ACTIVE = "active"  # deactivate or activate (value: "0" or "1")


class RegistryButton(CallbackData, prefix="reg"):
    action: RegistryAction
    kind: str = ""  # tos | org
    id: Id = 0
    page: Page = 0
    value: str = ""


class InviteAction(StrEnum):
    """What an invite button of a staff card does (handlers/registry_invites.py)."""

    INVITE = "invite"  # an invite link for a role (value: the role)
    INVITE_MAKE = "make"  # a deputy's or a representative's (value: role-1 | role-n)
    POSTER = "poster"  # a TOS's join poster
    REVOKE = "revoke"  # take a role away? (value: the holder's user id)
    REVOKE_YES = "revoke_yes"  # yes, take it away


class RegistryInviteButton(CallbackData, prefix="reginv"):
    action: InviteAction
    kind: str = ""  # tos | org
    id: Id = 0
    value: str = ""


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


def invite_button(
    text: str, action: InviteAction, kind: str, body_id: int, value: str = ""
) -> InlineKeyboardButton:
    data = RegistryInviteButton(action=action, kind=kind, id=body_id, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def body_kind(button: RegistryButton | RegistryInviteButton) -> str:
    """The button's kind of body; any other is a forged or an old button."""
    if button.kind not in ("tos", "org"):
        raise Stale()
    return button.kind


def card_markup(
    kind: str, body_id: int, active: bool, people: list[Holder]
) -> InlineKeyboardMarkup:
    """A staff card's buttons: edit, invites (and a TOS's poster), a role taken away per
    holder, deactivate or activate, back to the list."""
    rows = [[registry_button(_("✏️ Edit"), RegistryAction.EDIT, kind, body_id)]]
    if kind == "tos":
        chair = invite_button(
            _("👤 Invite the chair"), InviteAction.INVITE, kind, body_id, value="chair"
        )
        deputy = invite_button(
            _("👥 Invite a deputy"), InviteAction.INVITE, kind, body_id, value="deputy"
        )
        rows.append([chair, deputy])
        rows.append([invite_button(_("🔳 Join poster"), InviteAction.POSTER, kind, body_id)])
    else:
        rows.append(
            [
                invite_button(
                    _("👤 Invite a representative"), InviteAction.INVITE, kind, body_id, "rep"
                )
            ]
        )
    for p in people:
        label = remove_label(p, people)
        rows.append([invite_button(label, InviteAction.REVOKE, kind, body_id, str(p.user_id))])
    switch = _("⛔ Deactivate") if active else _("♻️ Activate")
    rows.append(
        [
            registry_button(
                switch, RegistryAction.ACTIVE, kind, body_id, value="0" if active else "1"
            ),
            registry_button(_("« List"), RegistryAction.LIST, kind),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_card(
    message: Message, user: Person, registry: RegistryService, kind: str, body_id: int
) -> None:
    """A TOS's or an organisation's staff card, with its buttons."""
    people = await registry.holders(user.id, kind, body_id)
    if kind == "tos":
        tos = await registry.get_tos(body_id)
        if tos is None:
            raise DomainError(N_("This TOS is not in the registry any more."))
        text, active = tos_staff_card(tos, people), tos.active
    else:
        org = await registry.get_org(body_id)
        if org is None:
            raise DomainError(N_("This organisation is not in the registry any more."))
        text, active = org_staff_card(org, people), org.active
    await message.answer(text, reply_markup=card_markup(kind, body_id, active, people))
