"""How an initiative looks: the staff card (also the author's preview) and the public card."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.initiatives import Initiative
from bot.services.errors import N_
from bot.services.initiatives import (
    DIRECTIONS,
    NUMBER,
    STATUSES,
    Draft,
    InitiativeCard,
    InitiativeService,
)
from bot.services.moderation import REPORT_REASONS
from bot.services.privacy import Shown
from bot.services.status_groups import INITIATIVE_PUBLIC
from bot.textsplit import TEXT_LIMIT, length, shorten, visible_length
from handlers.ids import Id
from handlers.moderation_buttons import ModAction, ModButton
from handlers.render import escape, person

DECISION_LABELS = {
    "review": N_("👀 Under review"),
    "accepted": N_("✅ Accept"),
    "rejected": N_("✖ Reject"),
    "in_progress": N_("🛠 In progress"),
    "done": N_("🏁 Done"),
}


class DecisionAction(StrEnum):
    """What a button on an initiative's staff card does (handlers/initiative_staff.py)."""

    STATUS = "status"  # to a status that needs nothing more (review, accepted, in_progress)
    REJECT = "reject"  # asks for the reason
    DONE = "done"  # asks for photos of the result
    FINISH = "finish"  # «Finish» under that question: done without (more) photos
    COMMENT = "comment"  # asks for a comment to the author
    MERGE = "merge"  # asks for the number of the initiative it duplicates


# The statuses whose buttons ask something first: they have their own actions.
ASKING = {"rejected": DecisionAction.REJECT, "done": DecisionAction.DONE}


class DecisionButton(CallbackData, prefix="decide"):
    action: DecisionAction
    id: Id  # the initiative
    status: str = ""  # status: the status to set


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


def view_of(card: InitiativeCard) -> CardView:
    """The card of a stored initiative, with its photos' captions."""
    record = card.initiative
    return CardView(
        number=number_of(record),
        status=record.status,
        direction=record.direction,
        title=record.title,
        description=record.description,
        address=record.address,
        latitude=record.latitude,
        longitude=record.longitude,
        photos=len(card.photos),
        supports=record.supports,
        tos_name=card.tos_name,
        captions=tuple(photo.caption for photo in card.photos),
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


def card_with_notes(view: CardView, author_line: str | None, notes: list[str]) -> str:
    """The card with notes below it (what moderation did), in one message: a card is edited
    in place, and an edit cannot go in parts, so the description gives way when the whole
    would be longer (the notes, the reason the card is drawn again, are never cut)."""
    tail = "\n\n" + "\n".join(notes) if notes else ""
    text = card_text(view, author_line) + tail
    excess = visible_length(text) - TEXT_LIMIT
    if excess > 0:
        kept = max(0, length(view.description) - excess)
        text = card_text(replace(view, description=shorten(view.description, kept)), author_line)
        text += tail
    return text


def staff_author_line(author: Shown) -> str:
    if author.hidden:
        return _("Author: hidden by the town's privacy settings")
    return _("Author: {name}").format(name=person(author.person))


def staff_keyboard(card: InitiativeCard) -> InlineKeyboardMarkup | None:
    """The decisions and actions the service offers staff on this card."""
    initiative_id = card.initiative.id

    def button(label: str, action: DecisionAction, status: str = "") -> list[InlineKeyboardButton]:
        data = DecisionButton(action=action, id=initiative_id, status=status).pack()
        return [InlineKeyboardButton(text=label, callback_data=data)]

    rows = [
        button(_(DECISION_LABELS[status]), ASKING[status])
        if status in ASKING
        else button(_(DECISION_LABELS[status]), DecisionAction.STATUS, status)
        for status in card.decisions
    ]
    if card.may_comment:
        rows.append(button(_("💬 Write to the author"), DecisionAction.COMMENT))
    if card.may_merge:
        rows.append(button(_("🔗 Merge into another"), DecisionAction.MERGE))
    if card.moderation is not None and card.initiative.status in INITIATIVE_PUBLIC:
        hide, label = (
            (ModAction.RESTORE, _("👁 Show it again"))
            if card.moderation.hidden
            else (ModAction.HIDE, _("🙈 Hide from the public"))
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=label, callback_data=ModButton(action=hide, id=initiative_id).pack()
                ),
                InlineKeyboardButton(
                    text=_("✏️ Edit the text"),
                    callback_data=ModButton(action=ModAction.EDIT, id=initiative_id).pack(),
                ),
            ]
        )
    if card.moderation is not None and card.moderation.original_title is not None:
        data = ModButton(action=ModAction.ORIGINAL, id=initiative_id).pack()
        rows.append([InlineKeyboardButton(text=_("📜 The author's original"), callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def moderation_lines(card: InitiativeCard) -> list[str]:
    """What moderation did to it, for staff: hidden, the reports not looked at yet, an edit
    (the author's original text is a button away: beside the current one it would not fit
    one message)."""
    state = card.moderation
    if state is None:
        return []
    lines = []
    if state.hidden:
        lines.append(_("🙈 Hidden from the public until staff restore it."))
    if state.pending_reports:
        reasons = ", ".join(
            f"{_(REPORT_REASONS.get(code, code))}: {count}"
            for code, count in state.pending_reports.items()
        )
        lines.append(_("⚑ Residents' reports not looked at yet: {reasons}").format(reasons=reasons))
    if state.original_title is not None:
        lines.append(_("✏️ Edited by staff; the author's own text is kept (📜 below)."))
    return lines


def staff_card(card: InitiativeCard) -> tuple[str, InlineKeyboardMarkup | None]:
    text = card_with_notes(view_of(card), staff_author_line(card.author), moderation_lines(card))
    return text, staff_keyboard(card)


class StaffCardRenderer:
    """Draws a staff card for the outbox at send time, in the reader's language."""

    def __init__(self, i18n: I18n, initiatives: InitiativeService) -> None:
        self._i18n = i18n
        self._initiatives = initiatives

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        card = await self._initiatives.staff_card(int(args["id"]))
        with self._i18n.context(), self._i18n.use_locale(locale):
            return staff_card(card)
