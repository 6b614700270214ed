"""/outbox for staff: the delivery queue by status, the latest failures, broadcasts."""

from __future__ import annotations

from enum import StrEnum

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.people import Person
from bot.i18n import fill
from bot.services.broadcasts import (
    Audience,
    AudienceView,
    BroadcastService,
    Failure,
    OutboxService,
    Progress,
)
from bot.services.errors import N_
from bot.services.when import local_text
from bot.settings import Settings
from handlers.buttons import Press, Presses
from handlers.filters import StaffPlace
from handlers.forms import short
from handlers.ids import Id
from handlers.render import button_message, escape, person
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())


class OutboxAction(StrEnum):
    """What a button of /outbox does (each has its own handler)."""

    CANCEL = "cancel"  # the rest of a broadcast
    REFRESH = "refresh"


class OutboxButton(CallbackData, prefix="outbox"):
    action: OutboxAction
    broadcast_id: Id = 0  # cancel: the broadcast


router.owns(callbacks=(OutboxButton,))


# Why a message was not delivered (bot/delivery.py's codes), said to staff in their own
# language; Telegram's own words stay in the log.
REASONS = {
    "blocked": N_("the person blocked the bot"),
    "deactivated": N_("the person's Telegram account is deleted"),
    "unreachable": N_("the person blocked the bot or deleted the account"),
    "kicked": N_("the bot was removed from the chat"),
    "chat_not_found": N_("the chat is gone, or the person never opened the bot"),
    "no_rights": N_("the bot may not write in this chat"),
    "not_allowed": N_("no longer on the staff list, so not sent"),
    "too_long": N_("the message was too long for Telegram"),
    "bad_html": N_("Telegram refused the message's formatting"),
    "bad_buttons": N_("Telegram refused the message's buttons"),
    "bad_file": N_("Telegram refused the attached file"),
    "edit_target_gone": N_("the message to update was deleted or never sent"),
    "edit_refused": N_("Telegram no longer lets the bot change this message"),
    "network": N_("Telegram did not answer after several tries"),
    "internal": N_("an error in the bot (details in its log)"),
}
NAME_ON_LINE = 80  # characters of a TOS's or an event's name on a broadcast's line
REFUSED = N_("Telegram refused the message (details in the bot's log)")


def _reason(failure: Failure) -> str:
    code = failure.code or {"unreachable": "unreachable", "not_allowed": "not_allowed"}.get(
        failure.cause, ""
    )
    return _(REASONS.get(code, REFUSED))


def _audience(audience: AudienceView) -> str:
    """Whom a broadcast went to, in words (names in «…» through fill; never an id)."""
    if audience.kind == Audience.RESIDENTS:
        return _("all residents")
    if audience.kind == Audience.STAFF:
        return _("staff")
    tos = escape(short(audience.tos, NAME_ON_LINE)) if audience.tos is not None else None
    if audience.kind == Audience.TOS and tos is not None:
        return fill(_("the chair's message to members of «{tos}»"), tos=tos)
    if audience.kind == Audience.EVENT and audience.event is not None:
        event = escape(short(audience.event, NAME_ON_LINE))
        if tos is not None:
            return fill(_("the event «{event}» to members of «{tos}»"), event=event, tos=tos)
        return fill(_("the event «{event}» to all residents"), event=event)
    if audience.kind == Audience.COMPETITION and audience.competition is not None:
        title = escape(short(audience.competition, NAME_ON_LINE))
        return fill(_("the results of «{title}» to everyone eligible"), title=title)
    return _("a list of recipients")


async def render(
    user: Person, outbox: OutboxService, broadcasts: BroadcastService, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    overview = await outbox.overview(user.id)
    c = overview.counts
    lines = [
        _("<b>Outgoing messages</b>"),
        _(
            "Waiting: {pending} · sending now: {sending} · delivered: {sent} · "
            "failed: {failed} · not reachable: {skipped} · cancelled: {cancelled}"
        ).format(
            pending=c.get("pending", 0),
            sending=c.get("sending", 0),
            sent=c.get("sent", 0),
            failed=c.get("failed", 0),
            skipped=c.get("skipped", 0),
            cancelled=c.get("cancelled", 0),
        ),
    ]
    if overview.failures:
        lines += ["", _("<b>Latest failures</b>")]
        for failure in overview.failures:
            if failure.chat_id < 0:
                who = _("a group chat")
            elif not overview.names_hidden:
                who = person(failure.recipient)
            else:  # the service left the name out: say why there is none
                who = _("a person (hidden by the privacy settings)")
            lines.append(f"• {who} — {_reason(failure)}")
    rows = []
    progress = await broadcasts.progress(user.id)
    if progress:
        lines += ["", _("<b>Broadcasts</b>")]
        for item in progress:
            lines.append(_line(item, settings))
            if item.pending and not item.cancelled:
                rows.append(
                    [
                        InlineKeyboardButton(
                            text=_("Cancel the rest of No. {number}").format(
                                number=item.broadcast_id
                            ),
                            callback_data=OutboxButton(
                                action=OutboxAction.CANCEL, broadcast_id=item.broadcast_id
                            ).pack(),
                        )
                    ]
                )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🔄 Refresh"), callback_data=OutboxButton(action=OutboxAction.REFRESH).pack()
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _line(item: Progress, settings: Settings) -> str:
    line = _(
        "No. {number}, {audience}, {date}: delivered {sent} of {total}, waiting {pending}, "
        "failed {failed}"
    ).format(
        number=item.broadcast_id,
        audience=_audience(item.audience),
        date=local_text(item.created_at, settings.timezone, "day_time"),
        sent=item.sent,
        total=item.total,
        pending=item.pending,
        failed=item.failed,
    )
    if item.cancelled:
        line += " — " + _("the rest cancelled")
    return line


@router.message(Command("outbox"))
async def outbox_view(
    message: Message,
    user: Person,
    outbox: OutboxService,
    broadcasts: BroadcastService,
    settings: Settings,
) -> None:
    text, markup = await render(user, outbox, broadcasts, settings)
    await message.answer(text, reply_markup=markup)


@router.callback_query(OutboxButton.filter(F.action == OutboxAction.CANCEL))
async def cancel_broadcast(
    query: CallbackQuery,
    callback_data: OutboxButton,
    press: Press,
    user: Person,
    outbox: OutboxService,
    broadcasts: BroadcastService,
    settings: Settings,
) -> None:
    cancelled = await broadcasts.cancel(user.id, callback_data.broadcast_id)
    press.tell(
        ngettext(
            "Cancelled: {count} message will not be sent.",
            "Cancelled: {count} messages will not be sent.",
            cancelled,
        ).format(count=cancelled)
    )
    await _redraw(query, press, user, outbox, broadcasts, settings)


@router.callback_query(OutboxButton.filter(F.action == OutboxAction.REFRESH))
async def refresh(
    query: CallbackQuery,
    press: Press,
    user: Person,
    outbox: OutboxService,
    broadcasts: BroadcastService,
    settings: Settings,
) -> None:
    await _redraw(query, press, user, outbox, broadcasts, settings)


async def _redraw(
    query: CallbackQuery,
    press: Press,
    user: Person,
    outbox: OutboxService,
    broadcasts: BroadcastService,
    settings: Settings,
) -> None:
    """The overview again, on the message the button was on (unless nothing changed)."""
    await press.accept()
    message = button_message(query)
    text, markup = await render(user, outbox, broadcasts, settings)
    if text != message.html_text or markup != message.reply_markup:
        await message.edit_text(text, reply_markup=markup)
