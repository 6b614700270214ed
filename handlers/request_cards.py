"""How a support request looks: the staff card (also the requester's preview), the
requester's own view with the whole conversation, and the buttons on both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from html import unescape
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from bot.domain.requests import RequestMessage, SupportRequest
from bot.i18n import fill, render_args
from bot.services.errors import N_, DomainError
from bot.services.requests import (
    CLOSED,
    KINDS,
    NUMBER,
    STATUSES,
    RequestCard,
    RequestDraft,
    Requester,
    RequesterOffer,
    RequestService,
    StaffOffer,
)
from bot.services.status_groups import REQUEST_OPEN as OPEN
from bot.services.when import local_text
from bot.settings import Settings
from bot.textsplit import length
from handlers.forms import short
from handlers.ids import Id
from handlers.render import escape, person

# A card or a view stays one Telegram message (4,096 characters) with a 2,000-character
# description: a card repeats the latest few messages, shortened; the requester's view
# shows as much of the conversation as fits, newest kept.
CONVERSATION_ON_CARD = 4
LINE_ON_CARD = 200
THREAD_ROOM = 3500

RATE_YES = N_("👍 Yes, it helped")
RATE_NO = N_("👎 No")
REOPEN = N_("🔁 Reopen")


class RequestAction(StrEnum):
    """What a staff button of a request does (handlers/requests_staff.py)."""

    OPEN = "open"  # its card, from /inbox
    TAKE = "take"  # take it, or take it over
    ANSWER = "answer"  # asks for the answer
    CLOSE = "close"
    DECLINE = "decline"  # asks for the reason
    EXTEND = "extend"  # 59-FZ's extension: asks for the new term and the reason


class RequestButton(CallbackData, prefix="req"):
    """Staff buttons on a request's card and in /inbox."""

    action: RequestAction
    id: Id


class MyRequestAction(StrEnum):
    """What a requester's button does (handlers/requests_public.py)."""

    OPEN = "open"  # the request with its conversation, from /my
    WRITE = "write"  # asks for a message to the town hall
    REOPEN = "reopen"
    HELPED = "helped"  # the rating: it helped
    NOT_HELPED = "unhelped"  # the rating: it did not
    SKIP_COMMENT = "skip"  # no comment after the rating


class MyRequestButton(CallbackData, prefix="myreq"):
    """The requester's buttons (RequestService.requester_offers says which)."""

    action: MyRequestAction
    id: Id


@dataclass(frozen=True, slots=True)
class RequestView:
    """What a card shows, from a stored request or from a draft."""

    number: str | None
    status: str | None
    kind: str
    behalf_kind: str
    behalf_name: str | None
    wanted_date: date | None
    due: str | None
    description: str
    file_kind: str | None
    overdue: bool = False
    extended_from: str | None = None  # 59-FZ's extension: the due date before it
    extension_reason: str | None = None


def number_of(record: SupportRequest) -> str:
    return _(NUMBER).format(year=record.year, seq=f"{record.seq:04d}")


def view_of(card: RequestCard) -> RequestView:
    record = card.request
    return RequestView(
        number=number_of(record),
        status=record.status,
        kind=record.kind,
        behalf_kind=record.behalf_kind,
        behalf_name=record.behalf_name,
        wanted_date=record.wanted_date,
        due=card.due,
        description=record.description,
        file_kind=card.messages[0].file_kind if card.messages else None,
        overdue=card.overdue,
        extended_from=card.extended_from,
        extension_reason=record.extension_reason if record.extended else None,
    )


def view_of_draft(draft: RequestDraft, due: str) -> RequestView:
    return RequestView(
        number=None,
        status=None,
        kind=draft.kind or "other",
        behalf_kind=draft.behalf_kind,
        behalf_name=draft.behalf_name,
        wanted_date=date.fromisoformat(draft.wanted_date) if draft.wanted_date else None,
        due=due,
        description=draft.description or "",
        file_kind=draft.file_kind,
    )


def behalf_label(kind: str, name: str | None) -> str:
    """On whose behalf, as plain text: a button's label as it is, escaped in a card's HTML."""
    if kind == "tos" and names_a_tos(name or ""):
        return name or ""  # «TOS «Birch»» as it is, not «TOS «TOS „Birch“»»
    if kind == "tos":
        return fill(_("TOS «{name}»"), name=name or "")
    if kind == "org":
        return fill(_("organisation «{name}»"), name=name or "")
    return _("themself, as a resident")


def names_a_tos(name: str) -> bool:
    """The name says it is a TOS already («TOS «Birch»», in any of the bot's languages)."""
    first = name.split(maxsplit=1)[0].casefold() if name.strip() else ""
    i18n = get_i18n()
    return first in {i18n.gettext("TOS", locale=loc).casefold() for loc in i18n.available_locales}


def file_label(kind: str | None) -> str:
    return _("📎 a photo") if kind == "photo" else _("📎 a document")


def card_text(view: RequestView, extra: list[str]) -> str:
    if view.number:
        head = _("<b>Support request {number}</b>").format(number=escape(view.number))
    else:
        head = _("<b>New support request</b>")
    if view.overdue:
        head += " " + _("⚠️ overdue")
    lines = [head]
    if view.status:
        lines.append(_("Status: {status}").format(status=_(STATUSES[view.status])))
    lines.append(_("Type: {kind}").format(kind=_(KINDS[view.kind])))
    lines.append(
        _("On behalf of: {who}").format(
            who=escape(behalf_label(view.behalf_kind, view.behalf_name))
        )
    )
    if view.wanted_date:
        wanted = local_text(view.wanted_date, None, "date")  # a calendar day
        lines.append(_("Wanted date: {date}").format(date=wanted))
    if view.due and view.status in (None, *OPEN) and view.extended_from:
        lines.append(
            _("Answer due by: {date}, extended from {was}").format(
                date=view.due, was=view.extended_from
            )
        )
        lines.append(
            _("Why extended: {reason}").format(
                reason=escape(short(view.extension_reason or "", 300))
            )
        )
    elif view.due and view.status in (None, *OPEN):
        lines.append(_("Answer due by: {date}").format(date=view.due))
    lines += ["", escape(view.description)]
    if view.file_kind:
        lines.append(file_label(view.file_kind))
    if extra:
        lines += ["", *extra]
    return "\n".join(lines).strip()


def requester_line(requester: Requester) -> str:
    if requester.erased:
        return _(
            "🔒 The requester withdrew their consent: their name, phone and texts are deleted."
        )
    if requester.shown.hidden:
        return _("Requester: hidden by the town's privacy settings")
    line = _("Requester: {name}").format(name=person(requester.shown.person))
    if requester.phone:
        line += "\n" + _("📞 {phone}").format(phone=escape(requester.phone))
    return line


def visible(html: str) -> str:
    """What a reader sees of a line (Telegram counts the limit without the markup; measure
    it with bot.textsplit.length)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def _when(moment: datetime, settings: Settings) -> str:
    return local_text(moment, settings.timezone, "day_time")


def message_line(
    message: RequestMessage, settings: Settings, *, for_staff: bool, limit: int = LINE_ON_CARD
) -> str:
    if message.direction == "in":
        who = _("👤 Requester") if for_staff else _("👤 You")
    else:
        who = _("🏛 Town hall")
    body = escape(short(message.text, limit)) if message.text else ""
    if message.file_kind:
        body = (file_label(message.file_kind) + " " + body).strip()
    return f"{who}, {_when(message.at, settings)}: {body}"


def staff_keyboard(card: RequestCard) -> InlineKeyboardMarkup | None:
    """The buttons of what the service offers staff on this request."""
    offers = card.staff_offers

    def button(label: str, action: RequestAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=label, callback_data=RequestButton(action=action, id=card.request.id).pack()
        )

    first = []
    if StaffOffer.TAKE in offers:
        first.append(button(_("🙋 Take"), RequestAction.TAKE))
    if StaffOffer.ANSWER in offers:
        first.append(button(_("💬 Answer"), RequestAction.ANSWER))
    if StaffOffer.TAKE_OVER in offers:
        first.append(button(_("🙋 Take over"), RequestAction.TAKE))
    rows = [first] if first else []
    if StaffOffer.CLOSE in offers:
        rows.append([button(_("✅ Close"), RequestAction.CLOSE)])
    if StaffOffer.DECLINE in offers:
        rows.append([button(_("✖ Decline"), RequestAction.DECLINE)])
    if StaffOffer.EXTEND in offers:
        rows.append([button(_("⏳ Extend the term"), RequestAction.EXTEND)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def staff_card(card: RequestCard, settings: Settings) -> tuple[str, InlineKeyboardMarkup | None]:
    record = card.request
    extra: list[str] = []
    if record.assignee_id is not None:
        extra.append(_("Taken by: {name}").format(name=person(card.assignee)))
    if card.requester is not None:
        extra.append(requester_line(card.requester))
        if card.requester.unreachable:
            extra.append(_("⚠️ The requester has blocked the bot: answers do not reach them."))
    if record.helped is not None:
        extra.append(_("⭐ It helped") if record.helped else _("⭐ It did not help"))
    later = card.messages[1:]
    if later:
        extra += ["", _("<b>Conversation</b>")]
        if len(later) > CONVERSATION_ON_CARD:
            extra.append(
                _("… earlier messages: {count}").format(count=len(later) - CONVERSATION_ON_CARD)
            )
        extra += [message_line(m, settings, for_staff=True) for m in later[-CONVERSATION_ON_CARD:]]
    if record.status in OPEN:
        extra += ["", _("<i>Reply to this card to answer the requester.</i>")]
    return card_text(view_of(card), extra), staff_keyboard(card)


def requester_view(
    card: RequestCard, settings: Settings
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The request as its requester sees it, with the whole conversation (the latest part
    when it is long) and what they can do now."""
    record = card.request
    lines: list[str] = []
    left = max(600, THREAD_ROOM - length(record.description))
    for message in reversed(card.messages[1:]):
        if left < 100:
            lines.append(_("… earlier messages are not shown"))
            break
        line = message_line(message, settings, for_staff=False, limit=min(1000, left - 60))
        lines.append(line)
        left -= length(visible(line))
    extra = [_("<b>Conversation</b>"), *reversed(lines)] if lines else []
    if record.status == "closed" and record.helped is not None:
        extra.append(
            _("Your rating: {rating}").format(rating=_(RATE_YES if record.helped else RATE_NO))
        )
    return card_text(view_of(card), extra), requester_keyboard(record.id, card.offers)


def requester_keyboard(
    request_id: int, offers: tuple[RequesterOffer, ...]
) -> InlineKeyboardMarkup | None:
    """The requester's buttons for what the service offers them on a request."""

    def button(label: str, action: MyRequestAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=label, callback_data=MyRequestButton(action=action, id=request_id).pack()
        )

    rows: list[list[InlineKeyboardButton]] = []
    if RequesterOffer.WRITE in offers:
        rows.append([button(_("✉️ Write to the town hall"), MyRequestAction.WRITE)])
    if RequesterOffer.RATE in offers:
        rows.append(
            [
                button(_(RATE_YES), MyRequestAction.HELPED),
                button(_(RATE_NO), MyRequestAction.NOT_HELPED),
            ]
        )
    if RequesterOffer.REOPEN in offers:
        rows.append([button(_(REOPEN), MyRequestAction.REOPEN)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def my_requests(
    items: list[SupportRequest], requests: RequestService
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The requester's requests for /my: status and due date, a button to open each."""
    if not items:
        return "", None
    lines = [_("<b>Your requests</b>")]
    rows = []
    for item in items:
        number = number_of(item)
        line = f"\n<b>{escape(number)}</b> · {_(STATUSES[item.status])} · {_(KINDS[item.kind])}"
        if item.status in OPEN:
            line += "\n" + _("Answer due by: {date}").format(date=requests.local_date(item.due_at))
        lines.append(line)
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("💬 {number}: the conversation").format(number=number),
                    callback_data=MyRequestButton(action=MyRequestAction.OPEN, id=item.id).pack(),
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


class RequestCardRenderer:
    """Draws a request's staff card for the outbox at send time, in the reader's language."""

    def __init__(self, i18n: I18n, requests: RequestService, settings: Settings) -> None:
        self._i18n = i18n
        self._requests = requests
        self._settings = settings

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        card = await self._requests.staff_card(int(args["id"]))
        with self._i18n.context(), self._i18n.use_locale(locale):
            return staff_card(card, self._settings)


class ClosedNotice:
    """The requester's notice that their request is closed (RequestService.close queues
    it), with the buttons of what they may do then: rate it, reopen it. Drawn when it is
    sent, in the requester's language."""

    def __init__(self, i18n: I18n, requests: RequestService) -> None:
        self._i18n = i18n
        self._requests = requests

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        rest = {key: value for key, value in args.items() if key != "id"}
        with self._i18n.context(), self._i18n.use_locale(locale):
            text = fill(_(CLOSED), **render_args(rest, _, locale=locale))
            if "id" not in args:  # its buttons were kept with it by an earlier version
                return text, None
            try:
                record = await self._requests.find(int(args["id"]))
            except DomainError:
                return text, None
            return text, requester_keyboard(record.id, self._requests.requester_offers(record))
