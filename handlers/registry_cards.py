"""How TOS and organisations read: the staff card, the resident's card, the figures."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.services.registry import Coverage, TosView
from bot.services.registry_fields import ORG_KINDS, ROLE_NAMES
from bot.services.when import local_text
from handlers.initiative_cards import number_of
from handlers.render import escape, number, person
from storage.repositories.registry import BodyRole, OrgRecord, TosRecord
from storage.repositories.users import UserRecord

TERRITORY_SHOWN = 15  # lines of a territory on a card; the rest is counted


def coverage_text(figures: Coverage) -> str:
    lines = [
        _("<b>Registry</b>"),
        ngettext(
            "{count} TOS covers {residents} residents",
            "{count} TOS cover {residents} residents",
            figures.tos,
        ).format(count=figures.tos, residents=number(figures.residents)),
    ]
    if figures.percent is not None:
        lines.append(
            _("That is {percent} % of the town's {population} people.").format(
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


def _territory(tos: TosRecord) -> str:
    if not tos.territory:
        return _("not given yet")
    shown = [escape(line) for line in tos.territory[:TERRITORY_SHOWN]]
    more = len(tos.territory) - TERRITORY_SHOWN
    if more > 0:
        shown.append(ngettext("…and {count} more", "…and {count} more", more).format(count=more))
    return "\n".join(f"• {line}" for line in shown)


def role_name(role: str) -> str:
    return _(ROLE_NAMES.get(role, role))


def tos_staff_card(tos: TosRecord, people: list[BodyRole], users: dict[int, UserRecord]) -> str:
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
    lines.append(_people(people, users))
    return "\n".join(lines)


def _people(people: list[BodyRole], users: dict[int, UserRecord]) -> str:
    if not people:
        return _("<b>People:</b> nobody linked yet; send an invite.")
    rows = [f"• {person(users.get(p.user_id))} — {role_name(p.role)}" for p in people]
    return _("<b>People:</b>") + "\n" + "\n".join(rows)


def org_staff_card(org: OrgRecord, people: list[BodyRole], users: dict[int, UserRecord]) -> str:
    lines = [f"🤝 <b>{escape(org.name)}</b>", _(ORG_KINDS.get(org.kind, org.kind))]
    if not org.active:
        lines.append(_("⛔ Deactivated."))
    if org.description:
        lines.append(escape(org.description))
    if org.contacts:
        lines.append(_("<b>Contacts:</b> {text}").format(text=escape(org.contacts)))
    lines.append(_people(people, users))
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
        lines.append(
            _("You are the {role} of this TOS. Members in the bot: {count}.").format(
                role=role_name(view.leads), count=tos.members
            )
        )
    elif view.is_member:
        lines.append(_("✅ You are a member."))
    return "\n".join(lines)
