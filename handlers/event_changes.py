"""Events that change: the organiser (or staff) moves an event to a new time or place, or
cancels it. Two short forms on the engine, opened from the event's card (handlers/events.py,
which runs them); the service checks the right and the times again when each is sent, and
tells everyone signed up and on the waiting list."""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import fill
from bot.services.errors import N_, DomainError
from bot.services.events import EventCancel, EventChange, EventService, EventView, Told
from bot.vocabulary import words_of
from handlers.forms import Answer, Choice, Form, FormCall, Step, typed_text
from handlers.render import escape

TEXT_ONLY = N_("Please answer with text. /cancel to stop.")

ChangeCall = FormCall[EventChange, EventService]
CancelCall = FormCall[EventCancel, EventService]


def _now_line(view: EventView, service: EventService) -> str:
    e = view.event
    start, end = service.span(e.starts_at, e.ends_at)
    return fill(
        _("«{title}»: {start} – {end}, {place}."),
        title=escape(e.title),
        start=start,
        end=end,
        place=escape(e.place),
    )


def _who_is_told(view: EventView) -> str:
    e = view.event
    if not e.going and not e.waiting:
        return _("Nobody has signed up yet.")
    return ngettext(
        "{count} person signed up or on the waiting list will be told.",
        "{count} people signed up or on the waiting list will be told.",
        e.going + e.waiting,
    ).format(count=e.going + e.waiting)


# -- a new time or place -----------------------------------------------------------------------


async def change_intro(call: ChangeCall) -> str:
    view = await call.service.editable(call.user.id, call.draft.event_id)
    return _("Changing the event:") + "\n" + _now_line(view, call.service)


async def moves_time(call: ChangeCall) -> bool:
    return call.draft.moves_time


async def moves_place(call: ChangeCall) -> bool:
    return call.draft.moves_place


async def read_start(call: ChangeCall, answer: Answer) -> datetime:
    if not answer.text:
        raise DomainError(TEXT_ONLY)
    return call.service.parse_start(answer.text, words_of(call.i18n))


async def read_end(call: ChangeCall, answer: Answer) -> datetime:
    if not answer.text or call.draft.starts_at is None:
        raise DomainError(TEXT_ONLY)
    return call.service.parse_end(answer.text, call.draft.starts_at, words_of(call.i18n))


def _end_complete(draft: EventChange) -> bool:
    """No new time, or an end after the new start."""
    if not draft.moves_time:
        return True
    starts, ends = draft.starts_at, draft.ends_at
    return starts is not None and ends is not None and ends > starts


async def change_preview(call: ChangeCall) -> str:
    view = await call.service.editable(call.user.id, call.draft.event_id)
    e, draft = view.event, call.draft
    starts = draft.starts_at if draft.moves_time and draft.starts_at else e.starts_at
    ends = draft.ends_at if draft.moves_time and draft.ends_at else e.ends_at
    place = draft.place if draft.moves_place and draft.place else e.place
    start, end = call.service.span(starts, ends)
    lines = [
        _("Before:") + " " + _now_line(view, call.service),
        fill(
            _("After: {start} – {end}, {place}."),
            start=start,
            end=end,
            place=escape(place),
        ),
        "",
        _who_is_told(view),
    ]
    return "\n".join(lines)


async def change_submit(call: ChangeCall) -> Told:
    return await call.service.change(call.user.id, call.draft)


async def changed(call: ChangeCall, told: Told) -> None:
    e = told.event
    text = fill(
        _("Saved: «{title}» is now {when}, {place}."),
        title=escape(e.title),
        when=call.service.when(e.starts_at),
        place=escape(e.place),
    )
    await call.say(text + "\n" + _told(told))


def _told(told: Told) -> str:
    if not told.told:
        return _("Nobody had signed up, so nobody needed telling.")
    return ngettext(
        "{count} person is told, with a new calendar file.",
        "{count} people are told, with a new calendar file.",
        told.told,
    ).format(count=told.told)


CHANGE = Form(
    "evchange",
    draft=EventChange,
    service="events",
    unfinished=N_("You have not saved the change of the event yet."),
    intro=change_intro,
    send=N_("📣 Save and tell them"),
    steps=(
        Step(
            "what",
            N_("What changes"),
            N_("What changes?"),
            choices=(
                Choice("time", N_("🕒 The time")),
                Choice("place", N_("📍 The place")),
                Choice("both", N_("Both")),
            ),
        ),
        Step(
            "starts_at",
            N_("Start"),
            N_("The new start? E.g. «25.12.2026 18:00», «25.12 18:00» or «tomorrow 18:00»."),
            read=read_start,
            applies=moves_time,
            complete=lambda draft: not draft.moves_time or draft.starts_at is not None,
        ),
        Step(
            "ends_at",
            N_("End"),
            N_("When does it end? The time (e.g. «20:00») or the date and time."),
            read=read_end,
            applies=moves_time,
            complete=_end_complete,
        ),
        Step(
            "place",
            N_("Place"),
            N_("The new place? The address or the place (e.g. «House of Culture, Lenin St, 5»)."),
            read=typed_text(lambda text: EventService.check_text("place", text), TEXT_ONLY),
            applies=moves_place,
            complete=lambda draft: not draft.moves_place or bool(draft.place),
        ),
    ),
    preview=change_preview,
    submit=change_submit,
    done=changed,
)


# -- cancelling --------------------------------------------------------------------------------


async def cancel_intro(call: CancelCall) -> str:
    view = await call.service.editable(call.user.id, call.draft.event_id)
    return _("Cancelling the event:") + "\n" + _now_line(view, call.service)


async def cancel_preview(call: CancelCall) -> str:
    view = await call.service.editable(call.user.id, call.draft.event_id)
    lines = [
        _("Cancel this event?") + "\n" + _now_line(view, call.service),
    ]
    if call.draft.reason:
        lines.append(_("The reason: {reason}").format(reason=escape(call.draft.reason)))
    lines += ["", _who_is_told(view), _("It cannot be undone.")]
    return "\n".join(lines)


async def cancel_submit(call: CancelCall) -> Told:
    return await call.service.call_off(call.user.id, call.draft)


async def cancelled(call: CancelCall, told: Told) -> None:
    text = fill(_("The event «{title}» is cancelled."), title=escape(told.event.title))
    await call.say(text + "\n" + _told(told))


CANCEL = Form(
    "evcancel",
    draft=EventCancel,
    service="events",
    unfinished=N_("You have not cancelled the event yet."),
    intro=cancel_intro,
    send=N_("❌ Yes, cancel the event"),
    steps=(
        Step(
            "reason",
            N_("Reason"),
            N_(
                "Why is it cancelled? Everyone signed up will read it. Or press «Without a reason»."
            ),
            read=typed_text(EventService.check_reason, TEXT_ONLY),
            skip=N_("Without a reason"),
        ),
    ),
    preview=cancel_preview,
    submit=cancel_submit,
    done=cancelled,
)
