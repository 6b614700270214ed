"""/events: what is coming, signing up (with a waiting list), a calendar file; staff, TOS
chairs and organisation representatives announce events and record attendance."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.domain.events import Event
from bot.domain.people import Person
from bot.i18n import fill, render_args
from bot.services.errors import N_, DomainError, NotAllowed
from bot.services.events import (
    ASK_ATTENDANCE,
    NOT_ORGANISER,
    TOWN_HALL,
    EventCancel,
    EventChange,
    EventDraft,
    EventService,
    EventView,
    Owner,
)
from bot.services.status_groups import SIGNED_UP
from bot.services.vocabulary import AGREE_WORDS, DISAGREE_WORDS
from bot.vocabulary import words_of
from handlers.buttons import Press, Presses
from handlers.errors import render_error
from handlers.event_changes import CANCEL, CHANGE
from handlers.filters import PrivateChat, TextIs
from handlers.forms import Answer, Choice, Form, FormCall, Step, markup, short, typed_text
from handlers.ids import Id
from handlers.menu import MENU_EVENTS
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

# The list shows a line per event; the card has the full text.
LIST_TITLE = 80
LIST_PLACE = 100
STATUS = {
    "going": N_("✅ You are signed up."),
    "waiting": N_("⏳ You are on the waiting list."),
}


class EventAction(StrEnum):
    """What a button of /events does (each has its own handler below)."""

    CARD = "card"  # open an event's card
    SIGN_UP = "signup"
    CANCEL = "cancel"  # cancel one's sign-up
    CALENDAR = "ics"  # the calendar file
    ATTENDANCE = "attended"  # the organiser records how many came
    NEW = "new"  # announce a new event (the form)
    CHANGE = "change"  # the organiser or staff: a new time or place (the form)
    CALL_OFF = "calloff"  # the organiser or staff: cancel the event (the form)


class EventButton(CallbackData, prefix="event"):
    action: EventAction
    id: Id = 0  # the event's


class AttendanceForm(StatesGroup):
    count = State()


def event_button(text: str, action: EventAction, event_id: int = 0) -> InlineKeyboardButton:
    data = EventButton(action=action, id=event_id)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def owner_name(owner: Owner) -> str:
    return owner.name or _(TOWN_HALL)


def _places(event: Event) -> str:
    if event.capacity is None:
        return _("Signed up: {going}").format(going=event.going)
    text = _("Places: {going} of {capacity} taken").format(
        going=event.going, capacity=event.capacity
    )
    if event.waiting:
        text += _(", waiting list: {count}").format(count=event.waiting)
    return text


def event_text(subject: EventView | EventDraft, service: EventService) -> str:
    """The card of a saved event (with the reader's sign-up), or the form's preview of a
    draft (with its organiser filled in)."""
    view = subject if isinstance(subject, EventView) else None
    e = subject.event if isinstance(subject, EventView) else subject
    assert e.starts_at and e.ends_at  # a draft reaches its preview with both
    start, end = service.span(e.starts_at, e.ends_at)
    lines = [
        f"📅 <b>{escape(e.title)}</b>",
        _("When: {start} – {end}").format(start=start, end=end),
        _("Where: {place}").format(place=escape(e.place)),
        _("Organiser: {name}").format(name=escape(e.organiser)),
    ]
    if e.joint:
        lines.append(_("Held jointly with the town hall."))
    if view is None:
        if e.capacity:
            lines.append(_("Places: {count}").format(count=e.capacity))
        return "\n".join(lines)
    if view.audience_name:
        lines.append(fill(_("For the members of «{tos}»."), tos=escape(view.audience_name)))
    if view.event.cancelled:
        lines.append(_("❌ The event is cancelled."))
        if view.event.cancel_reason:
            lines.append(_("The reason: {reason}").format(reason=escape(view.event.cancel_reason)))
        return "\n".join(lines)
    lines.append(_places(view.event))
    if view.event.attended is not None:
        lines.append(_("Came: {count}").format(count=view.event.attended))
    if view.my_status in STATUS:
        lines.append(_(STATUS[view.my_status]))
    return "\n".join(lines)


# -- the list and the card -------------------------------------------------------------------


@router.message(Command("events"))
@router.message(TextIs(MENU_EVENTS))
async def events_list(message: Message, user: Person, events: EventService) -> None:
    found = await events.upcoming(user.id)
    lines = [_("<b>Events</b>")]
    if not found:
        lines.append(_("Nothing is planned yet. You will hear about new events here."))
    rows = []
    for e in found:
        title, place = escape(short(e.title, LIST_TITLE)), escape(short(e.place, LIST_PLACE))
        lines.append(f"\n📅 {events.when(e.starts_at)} — <b>{title}</b>\n{place}")
        rows.append([event_button(short(e.title, 60), EventAction.CARD, e.id)])
    if await events.owners(user.id):
        rows.append([event_button(_("➕ New event"), EventAction.NEW)])
    await message.answer("\n".join(lines), reply_markup=markup(rows) if rows else None)


async def _card(message: Message, service: EventService, view: EventView) -> None:
    e = view.event
    rows = []
    if view.signups_open:
        if view.my_status in SIGNED_UP:
            rows.append([event_button(_("✖ Cancel my sign-up"), EventAction.CANCEL, e.id)])
        else:
            label = _("⏳ Join the waiting list") if e.full else _("✅ Sign up")
            rows.append([event_button(label, EventAction.SIGN_UP, e.id)])
        rows.append([event_button(_("🗓 Add to my calendar"), EventAction.CALENDAR, e.id)])
        if view.editable:
            rows.append([event_button(_("✏️ Change the time or place"), EventAction.CHANGE, e.id)])
            rows.append([event_button(_("❌ Cancel the event"), EventAction.CALL_OFF, e.id)])
    elif e.cancelled and view.my_status is not None:
        rows.append([event_button(_("🗓 Remove from my calendar"), EventAction.CALENDAR, e.id)])
    elif view.manages and view.ended:
        rows.append([event_button(_("✍️ Record attendance"), EventAction.ATTENDANCE, e.id)])
    await message.answer(event_text(view, service), reply_markup=markup(rows) if rows else None)


class AttendanceAsk:
    """Draws ASK_ATTENDANCE for the outbox: the question, with the card's button that records
    how many came (the service checks the right again when it is pressed)."""

    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        with self._i18n.context(), self._i18n.use_locale(locale):
            text = fill(_(ASK_ATTENDANCE), **render_args(args, _, locale=locale))
            label = _("✍️ Record attendance")
            button = event_button(label, EventAction.ATTENDANCE, int(args["event"]))
            return text, markup([[button]])


# -- buttons ------------------------------------------------------------------------------------


@router.callback_query(EventButton.filter(F.action == EventAction.CARD))
async def open_card(
    query: CallbackQuery, callback_data: EventButton, user: Person, events: EventService
) -> None:
    view = await events.view(user.id, callback_data.id)  # refused before the card
    await _card(button_message(query), events, view)


@router.callback_query(EventButton.filter(F.action == EventAction.SIGN_UP))
async def sign_up(
    query: CallbackQuery,
    callback_data: EventButton,
    press: Press,
    user: Person,
    events: EventService,
) -> None:
    status = await events.sign_up(user.id, callback_data.id)
    if status == "going":
        press.tell(_("You are signed up. I will remind you before the start."))
    else:
        press.tell(
            _(
                "The event is full: you are on the waiting list. I will tell you if a "
                "place opens up."
            )
        )
    press.drop_buttons()
    await press.accept()
    await _card(button_message(query), events, await events.view(user.id, callback_data.id))


@router.callback_query(EventButton.filter(F.action == EventAction.CANCEL))
async def cancel_sign_up(
    query: CallbackQuery,
    callback_data: EventButton,
    press: Press,
    user: Person,
    events: EventService,
) -> None:
    await events.cancel(user.id, callback_data.id)
    press.tell(_("Your sign-up is cancelled."))
    press.drop_buttons()
    await press.accept()
    await _card(button_message(query), events, await events.view(user.id, callback_data.id))


@router.callback_query(EventButton.filter(F.action == EventAction.CALENDAR))
async def calendar_file(
    query: CallbackQuery,
    callback_data: EventButton,
    press: Press,
    user: Person,
    events: EventService,
) -> None:
    event, content = await events.calendar_file(user.id, callback_data.id)
    await press.accept()
    await button_message(query).answer_document(
        BufferedInputFile(content, filename=f"event-{event.id}.ics"),
        caption=fill(
            _("Open the file to add «{title}» to your calendar."), title=escape(event.title)
        ),
    )


@router.callback_query(EventButton.filter(F.action == EventAction.ATTENDANCE))
async def ask_attendance(
    query: CallbackQuery,
    callback_data: EventButton,
    press: Press,
    user: Person,
    state: FSMContext,
    events: EventService,
) -> None:
    view = await events.view(user.id, callback_data.id)
    if not view.manages:
        raise NotAllowed(NOT_ORGANISER)
    await press.accept()
    await state.set_state(AttendanceForm.count)
    await state.set_data({"event_id": callback_data.id})
    await button_message(query).answer(
        _("How many people came? A number, e.g. 35. /cancel to stop.")
    )


@router.callback_query(EventButton.filter(F.action == EventAction.NEW))
async def new_event(
    query: CallbackQuery, state: FSMContext, user: Person, events: EventService, **data: Any
) -> None:
    """The form, with its owner in the draft when the person announces for one only."""
    owners = await events.owners(user.id)
    if not owners:
        raise NotAllowed(NOT_ORGANISER)
    draft = EventDraft()
    if len(owners) == 1:
        draft = keep_owner(draft, owners[0])
    data |= {"state": state, "user": user, "events": events}
    await FORM.start(button_message(query), state, data, draft=draft)


@router.callback_query(EventButton.filter(F.action == EventAction.CHANGE))
async def change_event(
    query: CallbackQuery,
    callback_data: EventButton,
    state: FSMContext,
    user: Person,
    events: EventService,
    **data: Any,
) -> None:
    """The change form, for the organiser or staff while the event may change (the service
    says so now, and again when the change is sent)."""
    await events.editable(user.id, callback_data.id)
    data |= {"state": state, "user": user, "events": events}
    draft = EventChange(event_id=callback_data.id)
    await CHANGE.start(button_message(query), state, data, draft=draft)


@router.callback_query(EventButton.filter(F.action == EventAction.CALL_OFF))
async def call_off_event(
    query: CallbackQuery,
    callback_data: EventButton,
    state: FSMContext,
    user: Person,
    events: EventService,
    **data: Any,
) -> None:
    """The cancellation form (a reason or none, then «Yes, cancel»), on the same terms."""
    await events.editable(user.id, callback_data.id)
    data |= {"state": state, "user": user, "events": events}
    draft = EventCancel(event_id=callback_data.id)
    await CANCEL.start(button_message(query), state, data, draft=draft)


# -- the form ---------------------------------------------------------------------------------

Call = FormCall[EventDraft, EventService]
EventStep = Step[EventDraft, EventService]
TEXT_ONLY = N_("Please answer with text. /cancel to stop.")


def owner_code(owner: Owner) -> str:
    return f"{owner.kind}-{owner.id}"


def keep_owner(draft: EventDraft, owner: Owner) -> EventDraft:
    return replace(draft, owner_kind=owner.kind, owner_id=owner.id)


async def owner_of(call: Call) -> Owner | None:
    """The draft's owner, as the person may still announce for it."""
    for owner in await call.service.owners(call.user.id):
        if (owner.kind, owner.id) == (call.draft.owner_kind, call.draft.owner_id):
            return owner
    return None


async def owner_choices(call: Call) -> list[Choice]:
    return [
        Choice(owner_code(owner), owner_name(owner)[:60], value=owner, named=True)
        for owner in await call.service.owners(call.user.id)
    ]


async def several_owners(call: Call) -> bool:
    return len(await call.service.owners(call.user.id)) > 1


def ask_title(call: Call) -> str:
    if call.editing:
        return _("The event's title (e.g. «Yard clean-up day»):")
    return _(
        "A new event: a few short steps, /cancel leaves at any time.\n\n"
        "The event's title (e.g. «Yard clean-up day»):"
    )


def text_of(name: str) -> Any:
    """A title, a place or an organiser, by the event service's limits."""
    return typed_text(lambda text: EventService.check_text(name, text), TEXT_ONLY)


async def read_start(call: Call, answer: Answer) -> datetime:
    if not answer.text:
        raise DomainError(TEXT_ONLY)
    return call.service.parse_start(answer.text, words_of(call.i18n))


async def read_end(call: Call, answer: Answer) -> datetime:
    if not answer.text or call.draft.starts_at is None:
        raise DomainError(TEXT_ONLY)
    return call.service.parse_end(answer.text, call.draft.starts_at, words_of(call.i18n))


async def organiser_choices(call: Call) -> list[Choice]:
    """The owner's name: the organiser by default (kept as "")."""
    owner = await owner_of(call)
    name = owner_name(owner) if owner is not None else _(TOWN_HALL)
    return [Choice("owner", name[:60], value="", named=True)]


async def read_capacity(call: Call, answer: Answer) -> int:
    if not answer.text:
        raise DomainError(TEXT_ONLY)
    return call.service.parse_capacity(answer.text)


async def audience_choices(call: Call) -> list[Choice]:
    """Everyone, or the members of a TOS the event may be meant for."""
    draft = call.draft
    found = await call.service.audience_choices(call.user.id, draft.owner_kind, draft.owner_id)
    if not found:
        return []
    everyone = Choice("0", N_("Everyone"))
    members = [
        Choice(str(tos_id), fill(_("Members of «{tos}»"), tos=name[:50]), named=True)
        for tos_id, name in found[:30]
    ]
    return [everyone, *members]


async def has_audience(call: Call) -> bool:
    return bool(await audience_choices(call))


def keep_audience(draft: EventDraft, code: str | None) -> EventDraft:
    return replace(draft, audience_tos=int(code) if code and code != "0" else None)


async def preview(call: Call) -> str:
    owner = await owner_of(call)
    default = owner_name(owner) if owner is not None else _(TOWN_HALL)
    draft = replace(call.draft, organiser=call.draft.organiser or default)
    return _("This is how it will be announced:") + "\n\n" + event_text(draft, call.service)


async def submit(call: Call) -> Event:
    return await call.service.create(call.user.id, call.draft, _(TOWN_HALL))


async def announced(call: Call, event: Event) -> None:
    await call.say(
        fill(
            _("The event «{title}» is announced. People can sign up in /events."),
            title=escape(event.title),
        )
    )


FORM = Form(
    "event",
    draft=EventDraft,
    service="events",
    unfinished=N_("You have not announced the event yet."),
    send=N_("📣 Announce"),
    steps=(
        EventStep(
            "owner",
            N_("On whose behalf"),
            N_("On whose behalf is the event announced?"),
            choices=owner_choices,
            keep=keep_owner,
            applies=several_owners,
            retry=N_("Please choose with the buttons above, or /cancel."),
        ),
        EventStep("title", N_("Title"), ask_title, read=text_of("title")),
        EventStep(
            "starts_at",
            N_("Start"),
            N_("When does it start? E.g. «25.12.2026 18:00», «25.12 18:00» or «tomorrow 18:00»."),
            read=read_start,
        ),
        EventStep(
            "ends_at",
            N_("End"),
            N_("When does it end? The time (e.g. «20:00») or the date and time."),
            read=read_end,
            # A new start after the old end asks the end again.
            complete=lambda draft: (
                draft.ends_at is not None and EventService.ends_after_start(draft)
            ),
        ),
        EventStep(
            "place",
            N_("Place"),
            N_("Where? The address or the place (e.g. «House of Culture, Lenin St, 5»)."),
            read=text_of("place"),
        ),
        EventStep(
            "organiser",
            N_("Organiser"),
            N_("Who organises it? Type the name or press the button."),
            choices=organiser_choices,
            read=text_of("organiser"),
        ),
        EventStep(
            "joint",
            N_("Jointly with the town hall"),
            N_("Is it held jointly with the town hall?"),
            choices=(
                Choice("yes", N_("Yes"), value=True, words=AGREE_WORDS),
                Choice("no", N_("No"), value=False, words=DISAGREE_WORDS),
            ),
            retry=N_("Please answer yes or no."),
        ),
        EventStep(
            "capacity",
            N_("Places"),
            N_("How many people can come? A number, or press «No limit»."),
            read=read_capacity,
            skip=N_("No limit"),
        ),
        EventStep(
            "audience_tos",
            N_("Audience"),
            N_("Who should hear about it?"),
            choices=audience_choices,
            keep=keep_audience,
            applies=has_audience,
            clear=lambda draft: replace(draft, audience_tos=None),
        ),
    ),
    preview=preview,
    submit=submit,
    done=announced,
)
router.runs(FORM, CHANGE, CANCEL)
router.owns(forms=(AttendanceForm,), callbacks=(EventButton,))


@router.message(StateFilter(AttendanceForm.count))
async def attendance_typed(
    message: Message, state: FSMContext, user: Person, events: EventService
) -> None:
    try:
        count = events.parse_attendance(message.text or "")
    except DomainError as error:
        await message.answer(render_error(error))
        return
    event_id = int((await state.get_data()).get("event_id", 0))
    try:
        await events.record_attendance(user.id, event_id, count)
    except DomainError as error:
        await state.clear()
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(
        ngettext("Saved: {count} person came.", "Saved: {count} people came.", count).format(
            count=count
        )
    )
