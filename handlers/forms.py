"""Step-by-step forms, each described once as a table and run by one engine.

A form is a `Form`: its steps in order, each a `Step` (the draft's field it fills, its
question, the choices it offers as buttons, how a typed answer is read, whether it may be
skipped, whether it is asked at all), how its preview reads, and the service calls that
send it. `form_router` runs every form the features declare (`RouterSpec.runs`): a press
on one of a form's buttons (`FormButton`, one handler per `FormAction`) and a typed answer
take the same path; skip, «Change a step» from the preview, the draft's token against a
stale preview, restart survival (the draft lives in the FSM data, in SQLite) and «Cancel»
are the engine's. The rules themselves are the services': a step's reader calls them, and
so does `submit`. handlers/README.md shows how to add a form.

Below the engine: what the forms not on it yet share (events, competitions, the one-
question steps of staff).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from types import UnionType
from typing import Any, Generic, Protocol, TypeVar, cast, get_args, get_origin, get_type_hints

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup, StatesGroupMeta
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.services.errors import N_, DomainError
from bot.services.staff import Role
from bot.services.vocabulary import SKIP, SKIP_WORDS
from bot.settings import Settings
from bot.textsplit import shorten
from bot.vocabulary import label_variants, normalize_label
from handlers.buttons import Press, Presses, Stale
from handlers.errors import render_error
from handlers.filters import AddressedToBot
from handlers.form_guard import UNFINISHED
from handlers.menu import main_menu
from handlers.render import button_message, drop_buttons
from handlers.spec import RouterSpec

DRAFT = "draft"  # FSM data: the form's answers so far (the draft's to_data())
EDITING = "editing"  # FSM data: a step is being corrected from the preview
PREVIEW = "preview"  # the state after the last step: the preview, with send / change / cancel
CHOOSE_STEP = "choose_step"  # the state of «Which step to change?»
FORM_CLOSED = N_("This form is already sent or closed.")

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class FormDraft(Protocol):
    """A form's answers so far: a service's dataclass (Draft, RequestDraft, EventDraft...),
    every field with a default, kept in the FSM data as JSON (see `draft_data`); its `token`
    names this one draft, so buttons of another draft's preview are out of date, and
    sending it twice stores it once."""

    token: str


D = TypeVar("D", bound=FormDraft)
S = TypeVar("S")


def draft_data(draft: FormDraft) -> dict[str, Any]:
    """A draft as the FSM storage keeps it: JSON (times and dates in ISO, tuples as lists)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):  # a datetime too
            return value.isoformat()
        return list(value) if isinstance(value, tuple) else value

    fields = dataclasses.fields(cast(Any, draft))
    return {field.name: plain(getattr(draft, field.name)) for field in fields}


@cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


def draft_of(kind: type[D], data: Mapping[str, Any]) -> D:
    """A draft back from its FSM data (what `draft_data` wrote; unknown keys are left)."""
    hints = _hints(kind)

    def revive(name: str, value: Any) -> Any:
        hint = hints.get(name)
        options = get_args(hint) if isinstance(hint, UnionType) else (hint,)
        if isinstance(value, str) and datetime in options:
            return datetime.fromisoformat(value)
        if isinstance(value, str) and date in options:
            return date.fromisoformat(value)
        if isinstance(value, list) and any(get_origin(o) is tuple for o in options):
            return tuple(value)
        return value

    return kind(**{name: revive(name, value) for name, value in data.items() if name in hints})


class FormAction(StrEnum):
    """What a button of a form does (each has its own handler in `form_router`)."""

    CHOOSE = "choose"  # a choice of the step named by the button (value: the choice's code)
    SKIP = "skip"  # the step's skip button («Skip», «Done», «Without a TOS»)
    SEND = "send"  # the preview's «Send» (value: the draft's token)
    CHANGE = "change"  # the preview's «Change a step» (value: the token)
    STEP = "step"  # a step chosen to change (step: its name)
    CANCEL = "cancel"  # the preview's «Cancel» (value: the token)


class FormButton(CallbackData, prefix="form"):
    form: str  # the form's name (Form.name)
    action: FormAction
    step: str = ""  # choose, skip, step: the step's name
    value: str = ""  # choose: the choice's code; send, change, cancel: the draft's token


@dataclass(frozen=True)
class Answer:
    """What the person sent at a step, whatever the messenger: a text, a photo with its
    caption, a document, a location, a contact shared with the phone button."""

    text: str | None = None
    caption: str | None = None
    photo: str | None = None  # the file id of its largest size
    document: str | None = None  # a file id
    location: tuple[float, float] | None = None  # latitude, longitude
    phone: str | None = None  # a shared contact's number
    phone_owner: int | None = None  # whose number it is (the person's own, by the button)

    @classmethod
    def of(cls, message: Message) -> Answer:
        contact = message.contact
        return cls(
            text=message.text,
            caption=message.caption,
            photo=message.photo[-1].file_id if message.photo else None,
            document=message.document.file_id if message.document else None,
            location=(message.location.latitude, message.location.longitude)
            if message.location
            else None,
            phone=contact.phone_number if contact else None,
            phone_owner=contact.user_id if contact else None,
        )


@dataclass(frozen=True)
class Choice:
    """One button of a step. Pressed, or typed as its label (in any of the bot's languages)
    or as one of its `words`, it gives the step `value` (its `code` when None)."""

    code: str  # what its button carries (a few bytes: callback data holds 64)
    label: str  # a msgid; with `named`, a name shown as it is (a TOS's)
    value: Any = None
    words: str | None = None  # a msgid of more words that choose it when typed («yes, ok»)
    named: bool = False
    also: tuple[str, ...] = ()  # more names that choose it when typed, as they are

    def text(self) -> str:
        return self.label if self.named else _(self.label)

    def typed(self, i18n: I18n, text: str | None) -> bool:
        typed = normalize_label(text or "")
        if not typed:
            return False
        names = {normalize_label(name) for name in self.also}
        names |= {normalize_label(self.label)} if self.named else label_variants(i18n, self.label)
        if self.words is not None:
            names |= label_variants(i18n, self.words)
        return typed in names


@dataclass(frozen=True)
class Stay:
    """What a step's `read` returns to keep an answer and stay at the step (one photo of
    several; a photo sent before the text asked for): `value` is kept as any answer, then
    `say` (a msgid) is said, or without it the step is asked again."""

    value: Any
    say: str | None = None


@dataclass
class FormCall(Generic[D, S]):
    """One update inside a form, as a step's functions see it."""

    form: Form[D, S]
    message: Message  # the person's message, or the bot's message whose button they pressed
    state: FSMContext
    at: str | None  # the state the update found (a step's, the preview's)
    draft: D
    editing: bool  # a step is being corrected from the preview (it returns there after)
    service: S  # the form's service (Form.service names it)
    user: Person
    role: Role
    i18n: I18n
    settings: Settings
    data: dict[str, Any]  # the rest of what the handler got (the clock, other services)
    press: Press | None = None  # the button pressed, if this update is a press

    async def say(self, text: str, markup: ReplyMarkup | None = None) -> None:
        """Answer in the chat; a press is accepted first (its buttons go, see Press)."""
        if self.press is not None:
            await self.press.accept()
        await self.message.answer(text, reply_markup=markup)


Prompt = str | Callable[[FormCall[D, S]], str]
ChoicesOf = Sequence[Choice] | Callable[[FormCall[D, S]], Awaitable[Sequence[Choice]]]


@dataclass(frozen=True)
class Step(Generic[D, S]):
    """One question of a form. Only `name`, `label` and `prompt` are required: a step with
    `choices` takes a press or a typed label; with `read`, anything else it can read."""

    name: str  # its state, and the draft's field it fills (a refusal naming it comes here)
    label: str  # msgid: its name under «Change a step»
    prompt: Prompt[D, S]  # msgid, or what to ask given the form so far
    choices: ChoicesOf[D, S] = ()  # static, or from a service
    # A pressed code to the step's value (a service checks it; raise Stale when it is not
    # one); by default the value of the choice with that code among `choices`.
    pick: Callable[[FormCall[D, S], str], Awaitable[Any]] | None = None
    # A typed answer to the step's value: raise DomainError to refuse it, return Stay to
    # keep it and stay. Without it, only choices (or skip) answer the step.
    read: Callable[[FormCall[D, S], Answer], Awaitable[Any]] | None = None
    retry: str = N_("Please use the buttons above, or /cancel.")  # a typed answer not taken
    skip: str | None = None  # msgid of its skip button; None: the step cannot be skipped
    skip_words: str | None = None  # more words that skip it (the skip vocabulary always does)
    # The draft with the step's value (None when skipped); by default the field `name` set.
    keep: Callable[[D, Any], D] | None = None
    # Whether the step is asked at all (e.g. only for people in a TOS); a step passed over
    # is cleared (see `clear`) and is not offered under «Change a step».
    applies: Callable[[FormCall[D, S]], Awaitable[bool]] | None = None
    # Whether the draft holds what the step asks: after a change from the preview, the
    # first step that applies and is not complete is asked before the preview again (a
    # type of request that needs a date; an end before a new start).
    complete: Callable[[D], bool] | None = None
    # The draft without the step's answer: when the step is chosen under «Change a step»
    # (a step that collects several answers starts again) or is passed over.
    clear: Callable[[D], D] | None = None
    # A keyboard under the input field instead of the step's buttons (the phone's
    # «Share my phone»); it is removed with what `said` says.
    keyboard: Callable[[FormCall[D, S]], ReplyKeyboardMarkup] | None = None
    said: Callable[[Any], str] | None = None  # said once the step is answered (None: skipped)
    # A choice of several: a press toggles its choice (✅) on the same message, the list of
    # values is kept; the skip button («Done») ends the step, once `complete` holds.
    many: bool = False


class Form(Generic[D, S]):
    """A form as a table: its steps in order, its preview, how it is sent. Its states are
    made from the steps («InitiativeForm:title»), with «preview» and «choose_step»."""

    def __init__(
        self,
        name: str,
        *,
        draft: type[D],
        service: str,
        steps: Sequence[Step[D, S]],
        submit: Callable[[FormCall[D, S]], Awaitable[Any]],
        done: Callable[[FormCall[D, S], Any], Awaitable[None]],
        preview: Callable[[FormCall[D, S]], Awaitable[str]] | None = None,
        intro: Callable[[FormCall[D, S]], Awaitable[str]] | None = None,
        unfinished: str = UNFINISHED,
        send: str = N_("✅ Send"),  # the preview's send button («📣 Announce»)
    ) -> None:
        """`name`: short (it is in every button); `service`: the name the form's service
        has in the handlers' data («initiatives»); `submit` calls the service and returns
        what `done` tells the person (the form is closed in between); without `preview`
        the form is sent once its last step is answered (a refusal keeps that step)."""
        self.name = name
        self.draft = draft
        self.service = service
        self.steps = tuple(steps)
        self.submit = submit
        self.done = done
        self.preview = preview
        self.intro = intro
        self.send_label = send  # msgid of the preview's «Send» («📣 Announce»)
        namespace: dict[str, Any] = {step.name: State() for step in self.steps}
        namespace |= {PREVIEW: State(), CHOOSE_STEP: State(), "unfinished": unfinished}
        self.states: type[StatesGroup] = StatesGroupMeta(
            f"{name.capitalize()}Form", (StatesGroup,), namespace
        )
        self._by_name = {step.name: step for step in self.steps}
        self._by_state = {self.state(step.name).state: step for step in self.steps}

    def state(self, name: str) -> State:
        """The state of a step (or of PREVIEW, CHOOSE_STEP) by its name."""
        found: State = getattr(self.states, name)
        return found

    def step(self, name: str) -> Step[D, S] | None:
        return self._by_name.get(name)

    def step_at(self, raw_state: str | None) -> Step[D, S] | None:
        return self._by_state.get(raw_state or "")

    def holds(self, raw_state: str | None) -> bool:
        return raw_state is not None and raw_state in self.states.__all_states_names__

    # -- opening, asking, going on ---------------------------------------------------------

    async def start(
        self, message: Message, state: FSMContext, data: dict[str, Any], draft: D | None = None
    ) -> None:
        """Open the form (an entry point's whole work): its intro, then its first step.
        `data`: what the entry point's handler got (its **data); `draft`: one with answers
        known before the form opens (the competition applied to)."""
        first = self.state(self.steps[0].name)
        await state.set_state(first)  # the form first (another may hold answers), then its data
        new = draft if draft is not None else self.draft()
        await state.set_data({DRAFT: draft_data(new)})
        call = self._call(message, {**data, "state": state, "raw_state": first.state}, new, False)
        if self.intro is not None:
            await call.say(await self.intro(call))
        await self._go_on(call, None)

    async def load(self, message: Message, data: dict[str, Any]) -> FormCall[D, S]:
        """The form as the update finds it (`data`: what its handler got)."""
        kept = await data["state"].get_data()
        draft = draft_of(self.draft, kept.get(DRAFT) or {})
        return self._call(message, data, draft, bool(kept.get(EDITING)))

    def _call(
        self, message: Message, data: dict[str, Any], draft: D, editing: bool
    ) -> FormCall[D, S]:
        return FormCall(
            form=self,
            message=message,
            state=data["state"],
            at=data.get("raw_state"),
            draft=draft,
            editing=editing,
            service=data[self.service],
            user=data["user"],
            role=data["role"],
            i18n=data["i18n"],
            settings=data["settings"],
            data=data,
            press=data.get("press"),
        )

    async def _save(self, call: FormCall[D, S], state: str | None) -> None:
        """Keep the draft, and move to the state named `state` unless it is None."""
        await call.state.update_data({DRAFT: draft_data(call.draft), EDITING: call.editing})
        if state is not None:
            await call.state.set_state(self.state(state))

    async def choices(self, call: FormCall[D, S], step: Step[D, S]) -> Sequence[Choice]:
        return step.choices if isinstance(step.choices, Sequence) else await step.choices(call)

    async def applies(self, call: FormCall[D, S], step: Step[D, S]) -> bool:
        return step.applies is None or await step.applies(call)

    def button(
        self, action: FormAction, text: str, step: str = "", value: str = ""
    ) -> InlineKeyboardButton:
        data = FormButton(form=self.name, action=action, step=step, value=value)
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    async def ask(self, call: FormCall[D, S], step: Step[D, S]) -> None:
        await self._save(call, step.name)
        text = _(step.prompt) if isinstance(step.prompt, str) else step.prompt(call)
        markup: ReplyMarkup | None
        if step.keyboard is not None:
            markup = step.keyboard(call)
        else:
            buttons = await self._buttons(call, step)
            markup = buttons if buttons.inline_keyboard else prompt_markup(call)
        await call.say(text, markup)

    async def _buttons(self, call: FormCall[D, S], step: Step[D, S]) -> InlineKeyboardMarkup:
        chosen = (getattr(call.draft, step.name, None) or ()) if step.many else ()
        rows = [
            [
                self.button(
                    FormAction.CHOOSE,
                    ("✅ " if self._value(choice) in chosen else "") + choice.text(),
                    step.name,
                    choice.code,
                )
            ]
            for choice in await self.choices(call, step)
        ]
        if step.skip is not None:
            rows.append([self.button(FormAction.SKIP, _(step.skip), step.name)])
        return InlineKeyboardMarkup(inline_keyboard=rows)

    async def _go_on(self, call: FormCall[D, S], after: Step[D, S] | None) -> None:
        """The next step that applies after `after`; while a step is being corrected, the
        first step left incomplete, else the preview (or, without one, sending)."""
        target = await (self._incomplete(call) if call.editing else self._following(call, after))
        if target is not None:
            await self.ask(call, target)
        elif self.preview is not None:
            await self.show_preview(call)
        else:  # one value to change: sent at its answer
            await self.send(call)

    async def _following(self, call: FormCall[D, S], after: Step[D, S] | None) -> Step[D, S] | None:
        start = 0 if after is None else self.steps.index(after) + 1
        for step in self.steps[start:]:
            if await self.applies(call, step):
                return step
            if step.clear is not None:
                call.draft = step.clear(call.draft)
        return None

    async def _incomplete(self, call: FormCall[D, S]) -> Step[D, S] | None:
        for step in self.steps:
            if step.complete is None and step.clear is None:
                continue  # nothing to check: it was answered, or skipped as it may be
            if not await self.applies(call, step):
                if step.clear is not None:
                    call.draft = step.clear(call.draft)
            elif step.complete is not None and not step.complete(call.draft):
                return step
        return None

    async def show_preview(self, call: FormCall[D, S]) -> None:
        assert self.preview is not None
        await self._save(call, PREVIEW)
        token = call.draft.token
        rows = [
            [self.button(FormAction.SEND, _(self.send_label), value=token)],
            [
                self.button(FormAction.CHANGE, _("✏️ Change a step"), value=token),
                self.button(FormAction.CANCEL, _("✖ Cancel"), value=token),
            ],
        ]
        await call.say(await self.preview(call), InlineKeyboardMarkup(inline_keyboard=rows))

    # -- answers -----------------------------------------------------------------------------

    async def typed(self, call: FormCall[D, S], answer: Answer) -> None:
        """A message at the current step: a skip, a choice's label, or what `read` takes."""
        step = self.step_at(call.at)
        if step is None:  # the preview, or the choice of a step to change
            await call.say(_("Please use the buttons under the preview: send, change or cancel."))
            return
        try:
            if step.skip is not None and self._skips(call.i18n, step, answer.text):
                await self.skipped(call, step)
                return
            # A label typed is its button pressed (in a choice of several, `read` reads them).
            typed = [] if step.many else await self.choices(call, step)
            chosen = [choice for choice in typed if choice.typed(call.i18n, answer.text)]
            if chosen:
                value = await self._pick(call, step, chosen[0].code)
            elif step.read is not None:
                value = await step.read(call, answer)
            else:
                await call.say(_(step.retry))
                return
        except DomainError as error:
            await call.say(render_error(error))
            return
        except Stale:  # a choice typed that its pick no longer takes
            await call.say(_(step.retry))
            return
        await self.take(call, step, value)

    def _skips(self, i18n: I18n, step: Step[D, S], text: str | None) -> bool:
        words = [SKIP_WORDS, SKIP, *(w for w in (step.skip, step.skip_words) if w is not None)]
        typed = normalize_label(text or "")
        return bool(typed) and any(typed in label_variants(i18n, msgid) for msgid in words)

    async def choose(self, call: FormCall[D, S], step: Step[D, S], code: str) -> None:
        """A choice pressed: the step's value for its code (Stale if it is none), kept; in a
        choice of several, added to the others or taken away, on the same message."""
        value = await self._pick(call, step, code)
        if not step.many:
            await self.take(call, step, value)
            return
        chosen = list(getattr(call.draft, step.name, None) or ())
        chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        call.draft = self._keep(step, call.draft, chosen)
        await self._save(call, None)
        if call.press is not None:
            call.press.keep_buttons()  # drawn again, with the choice marked
        await call.message.edit_reply_markup(reply_markup=await self._buttons(call, step))

    async def skipped(self, call: FormCall[D, S], step: Step[D, S]) -> None:
        """The skip button or words: the step holds no answer; a choice of several is done
        (once it is complete: «Choose at least one.»)."""
        if not step.many:
            await self.take(call, step, None)
        elif step.complete is not None and not step.complete(call.draft):
            raise DomainError(N_("Choose at least one."))
        else:
            await self._go_on(call, step)

    async def _pick(self, call: FormCall[D, S], step: Step[D, S], code: str) -> Any:
        if step.pick is not None:
            return await step.pick(call, code)
        for choice in await self.choices(call, step):
            if choice.code == code:
                return self._value(choice)
        raise Stale()

    @staticmethod
    def _value(choice: Choice) -> Any:
        return choice.code if choice.value is None else choice.value

    async def take(self, call: FormCall[D, S], step: Step[D, S], value: Any) -> None:
        """Keep the step's value (None: skipped) and go on, or stay (see Stay)."""
        if isinstance(value, Stay):
            call.draft = self._keep(step, call.draft, value.value)
            if value.say is None:
                await self.ask(call, step)
            else:
                await self._save(call, None)
                await call.say(_(value.say))
            return
        call.draft = self._keep(step, call.draft, value)
        if step.said is not None:
            removed = ReplyKeyboardRemove() if step.keyboard is not None else None
            await call.say(step.said(value), removed)
        await self._go_on(call, step)

    def _keep(self, step: Step[D, S], draft: D, value: Any) -> D:
        if step.keep is not None:
            return step.keep(draft, value)
        changed: D = dataclasses.replace(draft, **{step.name: value})  # type: ignore[type-var]
        return changed

    async def steps_to_change(self, call: FormCall[D, S]) -> None:
        """«Which step to change?»: the steps that apply, by their labels."""
        await call.state.set_state(self.state(CHOOSE_STEP))
        rows = [
            [self.button(FormAction.STEP, _(step.label), step.name)]
            for step in self.steps
            if await self.applies(call, step)
        ]
        await call.say(_("Which step to change?"), InlineKeyboardMarkup(inline_keyboard=rows))

    async def change(self, call: FormCall[D, S], step: Step[D, S]) -> None:
        """Go back to `step` from the preview; once it is answered, back to the preview."""
        if step.clear is not None:
            call.draft = step.clear(call.draft)
        call.editing = True
        await self.ask(call, step)

    # -- sending -----------------------------------------------------------------------------

    async def send(self, call: FormCall[D, S]) -> None:
        """Store the form (the service's `submit`), close it, tell the person (`done`)."""
        try:
            result = await self.submit(call)
        except DomainError as error:
            await self._refused(call, error)
            return
        await call.state.clear()
        await self.done(call, result)

    async def _refused(self, call: FormCall[D, S], error: DomainError) -> None:
        """A rule refused the form when it was sent (its deadline passed meanwhile, a limit,
        a role taken away): the form and its answers stay. A refusal that names a field (see
        DomainError.at) takes the person back to that step, and answering it returns to
        the preview; any other leaves them at the preview, told why, to send again later
        or leave. A form without a preview keeps its step open for another answer."""
        if self.preview is None:
            await self._save(call, None)
            await call.say(render_error(error))
            return
        step = self.step(error.field or "")
        if step is None:
            if call.press is not None:
                call.press.keep_buttons()
            await call.say(
                render_error(error) + "\n\n" + _("Your answers are kept. /cancel leaves the form.")
            )
            return
        await call.say(
            render_error(error) + "\n\n" + _("Your other answers are kept: answer this step again.")
        )
        call.editing = True
        await self.ask(call, step)


T = TypeVar("T")


def typed_text(
    check: Callable[[str], T], missing: str
) -> Callable[[FormCall[Any, Any], Answer], Awaitable[T]]:
    """A step's `read` for typed text: `check` (a service's rule) applied to it; `missing`
    (a msgid) said when the message has no text (a photo, a sticker)."""

    async def read(call: FormCall[Any, Any], answer: Answer) -> T:
        if not answer.text:
            raise DomainError(missing)
        return check(answer.text)

    return read


def prompt_markup(call: FormCall[Any, Any] | Message) -> ForceReply | None:
    """In a group (the staff chat) a step answers only replies to the bot (AddressedToBot):
    its question asks for one."""
    message = call.message if isinstance(call, FormCall) else call
    return ForceReply(selective=True) if message.chat.type != "private" else None


# -- the handlers every form shares ----------------------------------------------------------


class FormRunner:
    """The engine's handlers: one for a typed answer at any step of any form, one per kind
    of button (see `form_router`)."""

    def __init__(self, forms: Sequence[Form[Any, Any]]) -> None:
        self.forms: Mapping[str, Form[Any, Any]] = {form.name: form for form in forms}
        if len(self.forms) != len(forms):
            raise ValueError("two forms have one name: their buttons would be mixed up")
        self._by_group = {form.states.__full_group_name__: form for form in forms}

    async def typed_answer(self, message: Message, **data: Any) -> None:
        form = self._by_group[(data.get("raw_state") or "").partition(":")[0]]
        call = await form.load(message, data)
        await form.typed(call, Answer.of(message))

    async def _pressed(
        self, query: CallbackQuery, button: FormButton, data: dict[str, Any]
    ) -> FormCall[Any, Any]:
        """The form a button belongs to, open now (else Stale: it is sent or closed)."""
        form = self.forms.get(button.form)
        if form is None:
            raise Stale()
        if not form.holds(data.get("raw_state")):
            raise Stale(FORM_CLOSED)
        return await form.load(button_message(query), data)

    @staticmethod
    def _at_step(call: FormCall[Any, Any], button: FormButton) -> Step[Any, Any]:
        step = call.form.step_at(call.at)
        if step is None or step.name != button.step:
            raise Stale()  # a button of another step
        return step

    @staticmethod
    def _at_preview(call: FormCall[Any, Any], button: FormButton) -> None:
        if button.value != call.draft.token:
            raise Stale()  # a preview of another draft (that one is sent, this is a new one)
        if call.at != call.form.state(PREVIEW):
            raise Stale()

    async def choose(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        call = await self._pressed(query, callback_data, data)
        await call.form.choose(call, self._at_step(call, callback_data), callback_data.value)

    async def skip(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        call = await self._pressed(query, callback_data, data)
        step = self._at_step(call, callback_data)
        if step.skip is None:
            raise Stale()
        await call.form.skipped(call, step)

    async def send(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        call = await self._pressed(query, callback_data, data)
        self._at_preview(call, callback_data)
        await call.form.send(call)

    async def change(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        """«Change a step»: the steps to go back to."""
        call = await self._pressed(query, callback_data, data)
        self._at_preview(call, callback_data)
        await call.form.steps_to_change(call)

    async def step(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        call = await self._pressed(query, callback_data, data)
        step = call.form.step(callback_data.step)
        if call.at != call.form.state(CHOOSE_STEP) or step is None:
            raise Stale()
        await call.form.change(call, step)

    async def cancel(self, query: CallbackQuery, callback_data: FormButton, **data: Any) -> None:
        """The preview's «Cancel»: nothing is sent, the menu is back."""
        call = await self._pressed(query, callback_data, data)
        if callback_data.value != call.draft.token:
            raise Stale()
        await call.state.clear()
        private = call.message.chat.type == "private"
        await call.say(_("Cancelled. Nothing was sent."), main_menu(call.role) if private else None)

    async def out_of_date(self, query: CallbackQuery) -> None:
        """A form's button that does not read as one (an old or a forged one)."""
        raise Stale()


def form_router(forms: Sequence[Form[Any, Any]]) -> RouterSpec:
    """The engine's router: every step of these forms (the Switch sends it their states)
    and their buttons. Presses are answered, and their buttons dropped, once (Presses)."""
    runner = FormRunner(forms)
    spec = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=True))
    spec.owns(forms=tuple(form.states for form in forms), callbacks=(FormButton,))
    states = [state for form in forms for state in form.states.__all_states__]
    if states:
        spec.message(StateFilter(*states), AddressedToBot())(runner.typed_answer)
    spec.callback_query(FormButton.filter(F.action == FormAction.CHOOSE))(runner.choose)
    spec.callback_query(FormButton.filter(F.action == FormAction.SKIP))(runner.skip)
    spec.callback_query(FormButton.filter(F.action == FormAction.SEND))(runner.send)
    spec.callback_query(FormButton.filter(F.action == FormAction.CHANGE))(runner.change)
    spec.callback_query(FormButton.filter(F.action == FormAction.STEP))(runner.step)
    spec.callback_query(FormButton.filter(F.action == FormAction.CANCEL))(runner.cancel)
    spec.callback_query()(runner.out_of_date)
    return spec


# -- what the forms not on the engine yet share ------------------------------------------------


async def is_editing(state: FSMContext) -> bool:
    """A step is being corrected from the preview (so the form goes back to the preview)."""
    return bool((await state.get_data()).get(EDITING, False))


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def typed_is(i18n: I18n, text: str | None, *msgids: str) -> bool:
    """The typed text is one of the words of one of `msgids` (in any of the bot's languages)."""
    typed = normalize_label(text or "")
    return bool(typed) and any(typed in label_variants(i18n, msgid) for msgid in msgids)


def is_skip(i18n: I18n, text: str | None) -> bool:
    """The typed text skips an optional step («Skip», «no», «without»...)."""
    return typed_is(i18n, text, SKIP_WORDS, SKIP)


def short(text: str, limit: int) -> str:
    """The text cut to `limit` characters (as Telegram counts them) with «…» when longer."""
    return shorten(text, limit)


async def ask_about(
    message: Message, state: FSMContext, step: State, case_id: int, question: str
) -> None:
    """Open a one-question step about a case (a reason, a comment, an answer, a number)."""
    await state.set_state(step)
    await state.set_data({"id": case_id})
    await message.answer(question, reply_markup=prompt_markup(message))


async def refused_on_sending(
    message: Message,
    state: FSMContext,
    error: DomainError,
    steps: Mapping[str, State],
    ask: Callable[[State], Awaitable[None]],
) -> None:
    """Form.send's refusal for the forms not on the engine yet: back to the step a refusal
    names (`message`, the preview, loses its buttons), else told, at the preview."""
    target = steps.get(error.field or "")
    if target is None:
        await message.answer(
            render_error(error) + "\n\n" + _("Your answers are kept. /cancel leaves the form.")
        )
        return
    await drop_buttons(message)
    await state.update_data(editing=True)
    await state.set_state(target)
    await message.answer(
        render_error(error) + "\n\n" + _("Your other answers are kept: answer this step again.")
    )
    await ask(target)
