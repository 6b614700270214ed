"""How an initiative looks: the staff card (also the author's preview) and the public card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.initiatives import Initiative, Photo
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.initiatives import (
    DIRECTIONS,
    NUMBER,
    STATUSES,
    TRANSITIONS,
    Draft,
    InitiativeService,
)
from bot.services.privacy import StaffPrivacy
from bot.services.status_groups import INITIATIVE_OPEN, INITIATIVE_PUBLIC
from bot.services.users import UserService
from bot.settings import Settings
from handlers.ids import Id
from handlers.render import escape, person

DECISION_LABELS = {
    "review": N_("👀 Under review"),
    "accepted": N_("✅ Accept"),
    "rejected": N_("✖ Reject"),
    "in_progress": N_("🛠 In progress"),
    "done": N_("🏁 Done"),
}


class DecideCD(CallbackData, prefix="i1"):
    action: str  # to | comment | merge
    id: Id
    status: str = ""


@dataclass(frozen=True, slots=True)
class CardView:
    """What a card shows, from a stored initiative or from a draft."""

    number: str | None
    status: str | None
    direction: str
    title: str
    description: str
    address: str | None
    latitude: float | None
    longitude: float | None
    photos: int
    supports: int | None = None
    tos_name: str | None = None
    captions: tuple[str | None, ...] = ()  # what the author typed under each photo, in order


def number_of(record: Initiative) -> str:
    return _(NUMBER).format(year=record.year, seq=f"{record.seq:04d}")


def view_of(
    record: Initiative,
    photos: int | Sequence[Photo],
    tos_name: str | None = None,
) -> CardView:
    """The card of a stored initiative; `photos`: how many, or the photos with captions."""
    return CardView(
        number=number_of(record),
        status=record.status,
        direction=record.direction,
        title=record.title,
        description=record.description,
        address=record.address,
        latitude=record.latitude,
        longitude=record.longitude,
        photos=photos if isinstance(photos, int) else len(photos),
        supports=record.supports,
        tos_name=tos_name,
        captions=() if isinstance(photos, int) else tuple(p.caption for p in photos),
    )


def view_of_draft(draft: Draft, tos_name: str | None = None) -> CardView:
    return CardView(
        number=None,
        status=None,
        direction=draft.direction or "other",
        title=draft.title or "",
        description=draft.description or "",
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        photos=len(draft.photos),
        tos_name=tos_name,
        captions=tuple(draft.captions.get(file_id) for file_id in draft.photos),
    )


def card_text(view: CardView, author_line: str | None) -> str:
    head = (
        _("<b>Citizen initiative {number}</b>").format(number=escape(view.number))
        if view.number
        else _("<b>New citizen initiative</b>")
    )
    lines = [head]
    if view.status:
        lines.append(_("Status: {status}").format(status=_(STATUSES[view.status])))
    lines += [
        _("Direction: {direction}").format(direction=_(DIRECTIONS[view.direction])),
    ]
    if view.tos_name:
        lines.append(_("TOS: {name}").format(name=escape(view.tos_name)))
    lines += [
        "",
        f"<b>{escape(view.title)}</b>",
        escape(view.description),
        "",
    ]
    if view.address:
        lines.append(_("📍 {address}").format(address=escape(view.address)))
    elif view.latitude is not None and view.longitude is not None:
        link = f"https://yandex.ru/maps/?pt={view.longitude},{view.latitude}&amp;z=17"
        lines.append(_('📍 <a href="{link}">location on the map</a>').format(link=link))
    else:
        lines.append(_("📍 place not given"))
    if view.photos:
        lines.append(_("📷 photos: {count}").format(count=view.photos))
        for position, caption in enumerate(view.captions, start=1):
            if caption:
                lines.append(
                    _("— photo {number}: {caption}").format(
                        number=position, caption=escape(caption)
                    )
                )
    if view.supports is not None and view.status in INITIATIVE_PUBLIC:
        lines.append(_("👍 supported by: {count}").format(count=view.supports))
    if author_line:
        lines.append(author_line)
    return "\n".join(lines).strip()


def staff_author_line(author: Person | None, settings: Settings) -> str:
    if not StaffPrivacy.of(settings).shows_people:
        return _("Author: hidden by the town's privacy settings")
    return _("Author: {name}").format(name=person(author))


def staff_keyboard(record: Initiative) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    options = [s for s in DECISION_LABELS if s in TRANSITIONS.get(record.status, frozenset())]
    for status in options:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_(DECISION_LABELS[status]),
                    callback_data=DecideCD(action="to", id=record.id, status=status).pack(),
                )
            ]
        )
    if record.status not in ("merged",):
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("💬 Write to the author"),
                    callback_data=DecideCD(action="comment", id=record.id).pack(),
                ),
            ]
        )
    if record.status in INITIATIVE_OPEN:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("🔗 Merge into another"),
                    callback_data=DecideCD(action="merge", id=record.id).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def staff_card(
    record: Initiative,
    initiatives: InitiativeService,
    users: UserService,
    settings: Settings,
) -> tuple[str, InlineKeyboardMarkup | None]:
    photos = await initiatives.captioned_photos(record.id)
    author = await users.get(record.author_id)
    tos_name = await initiatives.tos_name(record.tos_id)
    text = card_text(view_of(record, photos, tos_name), staff_author_line(author, settings))
    return text, staff_keyboard(record)


class StaffCardRenderer:
    """Draws a staff card for the outbox at send time, in the reader's language."""

    def __init__(
        self, i18n: I18n, initiatives: InitiativeService, users: UserService, settings: Settings
    ) -> None:
        self._i18n = i18n
        self._initiatives = initiatives
        self._users = users
        self._settings = settings

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        record = await self._initiatives.find(int(args["id"]))
        with self._i18n.context(), self._i18n.use_locale(locale):
            return await staff_card(record, self._initiatives, self._users, self._settings)
