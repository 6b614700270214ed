"""/events: what is coming, signing up (with a waiting list), a calendar file; staff, TOS
chairs and organisation representatives announce events and record attendance."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    Message,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.domain.events import Event
from bot.domain.people import Person
from bot.i18n import fill
from bot.services.errors import N_, DomainError
from bot.services.events import (
    TOWN_HALL,
    EventDraft,
    EventService,
    EventView,
    Owner,
)
from bot.services.status_groups import SIGNED_UP
from bot.services.vocabulary import AGREE_WORDS, DISAGREE_WORDS
from bot.vocabulary import words_of
from handlers.errors import render_error
from handlers.filters import PrivateChat, TextIs
from handlers.forms import is_editing, is_skip, markup, refused_on_sending, short, typed_is
from handlers.ids import Id
from handlers.menu import MENU_EVENTS
from handlers.render import button_message, drop_buttons, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

# The list shows a line per event; the card has the full text.
LIST_TITLE = 80
LIST_PLACE = 100
STATUS = {
    "going": N_("✅ You are signed up."),
    "waiting": N_("⏳ You are on the waiting list."),
}


class EventCD(CallbackData, prefix="e1"):
    action: str
    id: Id = 0
    value: str = ""


class EventForm(StatesGroup):
    unfinished = N_("You have not announced the event yet.")
    owner = State()
    title = State()
    starts = State()
    ends = State()
    place = State()
    organiser = State()
    joint = State()
    capacity = State()
    audience = State()
    preview = State()


class AttendanceForm(StatesGroup):
    count = State()


router.owns(forms=(EventForm, AttendanceForm), callbacks=(EventCD,))


def _b(text: str, action: str, id: int = 0, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=EventCD(action=action, id=id, value=value).pack()
    )


def _owner_name(owner: Owner) -> str:
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
        lines.append(f"\n📅 {events.when(e.starts_at)} — <b>{escape(short(e.title, LIST_TITLE))}"
                     f"</b>\n{escape(short(e.place, LIST_PLACE))}")  # fmt: skip
        rows.append([_b(short(e.title, 60), "card", e.id)])
    if await events.owners(user.id):
        rows.append([_b(_("➕ New event"), "new")])
    await message.answer("\n".join(lines), reply_markup=markup(rows) if rows else None)


async def _card(
    message: Message,
    user: Person,
    service: EventService,
    event_id: int,
    view: EventView | None = None,
) -> None:
    view = view or await service.view(user.id, event_id)
    e = view.event
    rows = []
    if view.signups_open:
        if view.my_status in SIGNED_UP:
            rows.append([_b(_("✖ Cancel my sign-up"), "cancel", e.id)])
        else:
            label = _("⏳ Join the waiting list") if e.full else _("✅ Sign up")
            rows.append([_b(label, "signup", e.id)])
        rows.append([_b(_("🗓 Add to my calendar"), "ics", e.id)])
    elif view.manages and view.ended:
        rows.append([_b(_("✍️ Record attendance"), "attended", e.id)])
    await message.answer(event_text(view, service), reply_markup=markup(rows) if rows else None)


# -- buttons ------------------------------------------------------------------------------------


@router.callback_query(EventCD.filter())
async def event_button(
    query: CallbackQuery,
    callback_data: EventCD,
    user: Person,
    state: FSMContext,
    events: EventService,
) -> None:
    message = button_message(query)
    cd = callback_data
    current = await state.get_state()
    if cd.action == "card":
        view = await events.view(user.id, cd.id)  # refused before the button is answered
        await query.answer()
        await _card(message, user, events, cd.id, view)
    elif cd.action == "signup":
        status = await events.sign_up(user.id, cd.id)
        await query.answer(
            _("You are signed up. I will remind you before the start.") if status == "going"
            else _("The event is full: you are on the waiting list. I will tell you if a "
                   "place opens up.")
        )  # fmt: skip
        await drop_buttons(message)
        await _card(message, user, events, cd.id)
    elif cd.action == "cancel":
        await events.cancel(user.id, cd.id)
        await query.answer(_("Your sign-up is cancelled."))
        await drop_buttons(message)
        await _card(message, user, events, cd.id)
    elif cd.action == "ics":
        event, content = await events.calendar_file(user.id, cd.id)
        await query.answer()
        await message.answer_document(
            BufferedInputFile(content, filename=f"event-{event.id}.ics"),
            caption=fill(
                _("Open the file to add «{title}» to your calendar."), title=escape(event.title)
            ),
        )
    elif cd.action == "attended":
        view = await events.view(user.id, cd.id)
        if not view.manages:
            await query.answer(_("Only the event's organiser can do this."), show_alert=True)
            return
        await query.answer()
        await state.set_state(AttendanceForm.count)
        await state.set_data({"event_id": cd.id})
        await message.answer(_("How many people came? A number, e.g. 35. /cancel to stop."))
    elif cd.action == "new":
        owners = await events.owners(user.id)
        if not owners:
            await query.answer(_("Only the event's organiser can do this."), show_alert=True)
            return
        await state.set_state(EventForm.owner)  # a form first, then its data
        await state.set_data({})
        await query.answer()
        if len(owners) == 1:
            await _set_owner(message, state, owners[0])
            return
        rows = [[_b(_owner_name(o)[:60], "owner", o.id, o.kind)] for o in owners]
        await message.answer(_("On whose behalf is the event announced?"),
                             reply_markup=markup(rows))  # fmt: skip
    elif cd.action == "owner" and current == EventForm.owner.state:
        owner = next((o for o in await events.owners(user.id)
                      if (o.kind, o.id) == (cd.value, cd.id)), None)  # fmt: skip
        if owner is None:
            await query.answer(_("This button is out of date."), show_alert=True)
            return
        await query.answer()
        await drop_buttons(message)
        await _set_owner(message, state, owner)
    elif cd.action == "org_default" and current == EventForm.organiser.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(organiser="")
        await _after(message, state, current, events, user)
    elif cd.action == "joint" and current == EventForm.joint.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(joint=cd.value == "1")
        await _after(message, state, current, events, user)
    elif cd.action == "no_limit" and current == EventForm.capacity.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(capacity=None)
        await _after(message, state, current, events, user)
    elif cd.action == "audience" and current == EventForm.audience.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(audience_tos=cd.id or None)
        await _after(message, state, current, events, user)
    elif cd.action == "publish" and current == EventForm.preview.state:
        data = await state.get_data()
        await query.answer()
        try:
            event = await events.create(
                user.id, _draft(data), _(TOWN_HALL),
            )  # fmt: skip
        except DomainError as error:  # e.g. the start passed meanwhile: back to that step
            await refused_on_sending(
                message, state, error, EVENT_STEPS,
                lambda step: _ask(message, state, step, events, user),
            )  # fmt: skip
            return
        await state.clear()
        await drop_buttons(message)
        await message.answer(
            fill(
                _("The event «{title}» is announced. People can sign up in /events."),
                title=escape(event.title),
            )
        )
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


# -- the form ---------------------------------------------------------------------------------


def _draft(data: dict[str, Any]) -> EventDraft:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    extra = {"token": data["token"]} if data.get("token") else {}
    return EventDraft(
        owner_kind=data.get("owner_kind", ""),
        owner_id=int(data.get("owner_id", 0)),
        title=data.get("title", ""),
        starts_at=moment("starts_at"),
        ends_at=moment("ends_at"),
        place=data.get("place", ""),
        organiser=data.get("organiser", ""),
        joint=bool(data.get("joint")),
        capacity=data.get("capacity"),
        audience_tos=data.get("audience_tos"),
        **extra,
    )


async def _set_owner(message: Message, state: FSMContext, owner: Owner) -> None:
    await state.update_data(
        owner_kind=owner.kind, owner_id=owner.id, owner_name=owner.name,
        token=secrets.token_hex(8),
    )  # fmt: skip
    await state.set_state(EventForm.title)
    await message.answer(
        _("A new event: a few short steps, /cancel leaves at any time.\n\n"
          "The event's title (e.g. «Yard clean-up day»):")
    )  # fmt: skip


async def _ask(
    message: Message, state: FSMContext, step: State, service: EventService, user: Person
) -> None:
    await state.set_state(step)
    data = await state.get_data()
    if step == EventForm.starts:
        await message.answer(_("When does it start? E.g. «25.12.2026 18:00», «25.12 18:00» or "
                               "«tomorrow 18:00»."))  # fmt: skip
    elif step == EventForm.ends:
        await message.answer(_("When does it end? The time (e.g. «20:00») or the date and time."))
    elif step == EventForm.place:
        await message.answer(_("Where? The address or the place (e.g. «House of Culture, "
                               "Lenin St, 5»)."))  # fmt: skip
    elif step == EventForm.organiser:
        default = data.get("owner_name") or _(TOWN_HALL)
        await message.answer(
            _("Who organises it? Type the name or press the button."),
            reply_markup=markup([[_b(default[:60], "org_default")]]),
        )
    elif step == EventForm.joint:
        await message.answer(
            _("Is it held jointly with the town hall?"),
            reply_markup=markup([[_b(_("Yes"), "joint", value="1"),
                                   _b(_("No"), "joint", value="0")]]),
        )  # fmt: skip
    elif step == EventForm.capacity:
        await message.answer(
            _("How many people can come? A number, or press «No limit»."),
            reply_markup=markup([[_b(_("No limit"), "no_limit")]]),
        )
    elif step == EventForm.audience:
        choices = await service.audience_choices(
            user.id, data.get("owner_kind", ""), int(data.get("owner_id", 0))
        )
        if not choices:
            await state.update_data(audience_tos=None)
            await _ask(message, state, EventForm.preview, service, user)
            return
        rows = [[_b(_("Everyone"), "audience", 0)]]
        rows += [[_b(fill(_("Members of «{tos}»"), tos=name[:50]), "audience", tos_id)]
                 for tos_id, name in choices[:30]]  # fmt: skip
        await message.answer(_("Who should hear about it?"), reply_markup=markup(rows))
    elif step == EventForm.preview:
        draft = _draft(data)
        draft = replace(draft, organiser=draft.organiser or data.get("owner_name") or _(TOWN_HALL))
        await message.answer(
            _("This is how it will be announced:") + "\n\n" + event_text(draft, service),
            reply_markup=markup([[_b(_("📣 Announce"), "publish")]]),
        )


NEXT = {
    EventForm.title.state: EventForm.starts,
    EventForm.starts.state: EventForm.ends,
    EventForm.ends.state: EventForm.place,
    EventForm.place.state: EventForm.organiser,
    EventForm.organiser.state: EventForm.joint,
    EventForm.joint.state: EventForm.capacity,
    EventForm.capacity.state: EventForm.audience,
    EventForm.audience.state: EventForm.preview,
}
# Where a refusal on announcing sends the person back (the field a rule names).
EVENT_STEPS = {
    "starts_at": EventForm.starts,
    "ends_at": EventForm.ends,
    "place": EventForm.place,
    "organiser": EventForm.organiser,
    "capacity": EventForm.capacity,
    "audience_tos": EventForm.audience,
}


async def _after(
    message: Message,
    state: FSMContext,
    current: str | None,
    service: EventService,
    user: Person,
) -> None:
    """The next step after `current`; when a step was being corrected, back to the preview
    (by way of the end, if a new start comes after it)."""
    step = NEXT[current or ""]
    if await is_editing(state):
        draft = _draft(await state.get_data())
        moved_past_end = current == EventForm.starts.state and not service.ends_after_start(draft)
        step = EventForm.ends if moved_past_end else EventForm.preview
    await _ask(message, state, step, service, user)


@router.message(StateFilter(*EventForm.__all_states__))
async def event_step(
    message: Message,
    state: FSMContext,
    user: Person,
    i18n: I18n,
    events: EventService,
) -> None:
    current = await state.get_state()
    text = message.text or ""
    data = await state.get_data()
    words = words_of(i18n)
    try:
        if not message.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        if current == EventForm.title.state:
            await state.update_data(title=events.check_text("title", text))
        elif current == EventForm.starts.state:
            starts = events.parse_start(text, words)
            await state.update_data(starts_at=starts.isoformat())
        elif current == EventForm.ends.state:
            starts = datetime.fromisoformat(data["starts_at"])
            ends = events.parse_end(text, starts, words)
            await state.update_data(ends_at=ends.isoformat())
        elif current == EventForm.place.state:
            await state.update_data(place=events.check_text("place", text))
        elif current == EventForm.organiser.state:
            await state.update_data(organiser=events.check_text("organiser", text))
        elif current == EventForm.joint.state:
            if not (typed_is(i18n, text, AGREE_WORDS) or typed_is(i18n, text, DISAGREE_WORDS)):
                raise DomainError(N_("Please answer yes or no."))
            await state.update_data(joint=typed_is(i18n, text, AGREE_WORDS))
        elif current == EventForm.capacity.state:
            if is_skip(i18n, text):
                await state.update_data(capacity=None)
            else:
                await state.update_data(capacity=events.parse_capacity(text))
        elif current == EventForm.owner.state:
            await message.answer(_("Please choose with the buttons above, or /cancel."))
            return
        else:
            await message.answer(_("Please use the buttons above, or /cancel."))
            return
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await _after(message, state, current, events, user)


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
