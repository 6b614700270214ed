"""Issue 15: every form is a table run by one engine (handlers/forms.py). A new form is its
steps and its service calls: a press and a typed label answer a step alike, one skip
vocabulary skips, a step is changed from the preview, a stale preview is refused, a
refusal on sending goes back to its step, and a restart loses nothing."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message
from hypothesis import given
from hypothesis import strategies as st

import handlers
from bot.clock import Clock
from bot.services.competitions import CompetitionDraft
from bot.services.errors import DomainError
from bot.services.events import EventDraft
from bot.services.numbers import whole_number
from bot.services.requests import RequestDraft
from bot.services.vocabulary import SKIP
from handlers.forms import (
    Answer,
    Choice,
    Form,
    FormAction,
    FormButton,
    FormCall,
    Step,
    draft_data,
    draft_of,
    typed_text,
)
from handlers.spec import RouterSpec
from tests.kit import Harness, Person


@dataclass
class Order:
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    colour: str | None = None
    size: int | None = None
    note: str | None = None


SAVED: list[Order] = []
OrderStep = Step[Order, Clock]


def size_of(text: str) -> int:
    size = whole_number(text, low=1, high=99)
    if size is None:
        raise DomainError("A size from 1 to 99, please.")
    return size


async def preview(call: FormCall[Order, Clock]) -> str:
    draft = call.draft
    return f"Order: {draft.colour}, {draft.size}, {draft.note or '-'}"


async def submit(call: FormCall[Order, Clock]) -> int:
    if call.draft.size == 13:  # the service's rule, checked on sending
        raise DomainError("Not 13.").at("size")
    SAVED.append(call.draft)
    return len(SAVED)


async def done(call: FormCall[Order, Clock], number: int) -> None:
    await call.say(f"Saved #{number}.")


ORDER = Form(
    "order",
    draft=Order,
    service="clock",
    steps=(
        OrderStep(
            "colour",
            "Colour",
            "Which colour?",
            choices=(Choice("red", "Red", words="scarlet, crimson"), Choice("green", "Green")),
        ),
        OrderStep("size", "Size", "Which size?", read=typed_text(size_of, "Type the size.")),
        OrderStep("note", "Note", "A note?", read=typed_text(str.strip, "Type it."), skip=SKIP),
    ),
    preview=preview,
    submit=submit,
    done=done,
)


@dataclass
class Rename:
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    name: str | None = None


async def rename(call: FormCall[Rename, Clock]) -> str:
    if call.draft.name == "taken":
        raise DomainError("This name is taken.")
    return call.draft.name or ""


async def renamed(call: FormCall[Rename, Clock], name: str) -> None:
    await call.say(f"Renamed to {name}.")


# A staff edit form: one value, no preview, sent at its answer.
RENAME = Form(
    "rename",
    draft=Rename,
    service="clock",
    steps=(Step[Rename, Clock]("name", "Name", "New name?", read=typed_text(str, "Type it.")),),
    submit=rename,
    done=renamed,
)


@dataclass
class Pizza:
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    toppings: list[str] = field(default_factory=list)


TOPPINGS = {"cheese": "Cheese", "olives": "Olives"}


async def read_toppings(call: FormCall[Pizza, Clock], answer: Answer) -> list[str]:
    typed = [part.strip().casefold() for part in (answer.text or "").split(",")]
    return [code for code in TOPPINGS if code in typed]


async def pizza_preview(call: FormCall[Pizza, Clock]) -> str:
    return "Pizza: " + ", ".join(call.draft.toppings)


# A choice of several (the competition's «who may apply»).
PIZZA = Form(
    "pizza",
    draft=Pizza,
    service="clock",
    steps=(
        Step[Pizza, Clock](
            "toppings",
            "Toppings",
            "Toppings?",
            choices=tuple(Choice(code, label) for code, label in TOPPINGS.items()),
            many=True,
            skip="Done",
            complete=lambda pizza: bool(pizza.toppings),
            read=read_toppings,
        ),
    ),
    preview=pizza_preview,
    submit=rename,
    done=renamed,
)

feature = RouterSpec("tests.orders", needs_consent=True)
feature.runs(ORDER, RENAME, PIZZA)


@feature.message(Command("order"))
async def open_order(message: Message, state: FSMContext, **data: Any) -> None:
    await ORDER.start(message, state, data)


@feature.message(Command("rename"))
async def open_rename(message: Message, state: FSMContext, **data: Any) -> None:
    await RENAME.start(message, state, data)


@feature.message(Command("pizza"))
async def open_pizza(message: Message, state: FSMContext, **data: Any) -> None:
    await PIZZA.start(message, state, data)


async def state_of(h: Harness, who: Person) -> str | None:
    key = StorageKey(bot_id=h.app.bot.id, chat_id=who.chat.id, user_id=who.id)
    return await h.app.storage.get_state(key)


async def test_a_new_form_is_a_table(tmp_path: Path) -> None:
    SAVED.clear()
    h = await Harness(tmp_path, features=[feature]).start()
    try:
        anna = await h.consented(h.user("Анна"))
        [ask] = await anna.send("/order")
        assert ask.text == "Which colour?" and ask.flat_buttons == ["Red", "Green"]
        [retry] = await anna.send("blue")
        assert retry.text == "Воспользуйтесь, пожалуйста, кнопками выше или отправьте /cancel."
        answers = len(h.session.callback_answers)
        [ask_size] = await anna.send("Scarlet")  # one of the choice's words: the press
        assert ask_size.text == "Which size?"
        assert h.session.callback_answers[answers:] == []  # a typed answer is no press
        [refused] = await anna.send("abc")
        assert refused.text == "A size from 1 to 99, please."
        assert await state_of(h, anna) == "OrderForm:size"
        await h.restart()  # the draft and the step are in SQLite
        [ask_note] = await anna.send("13")
        assert ask_note.text == "A note?" and ask_note.flat_buttons == ["Пропустить"]
        [preview] = await anna.send("нет")  # the skip vocabulary
        assert preview.text == "Order: red, 13, -"
        assert preview.flat_buttons == ["✅ Отправить", "✏️ Изменить шаг", "✖ Отменить"]

        # The service refuses the size on sending: back to that step, then to the preview.
        refused, ask_again = await anna.press("✅ Отправить", on=preview)
        assert refused.text.startswith("Not 13.") and ask_again.text == "Which size?"
        assert h.session.messages[(preview.chat_id, preview.message_id)].reply_markup is None
        [back] = await anna.send("12")
        assert back.text == "Order: red, 12, -"

        [steps] = await anna.press("✏️ Изменить шаг")
        assert steps.text == "Какой шаг изменить?"
        assert steps.flat_buttons == ["Colour", "Size", "Note"]
        await anna.press("Colour")
        [changed] = await anna.press("Green")
        assert changed.text == "Order: green, 12, -"
        presses = len(h.session.callback_answers)
        [saved] = await anna.press("✅ Отправить", on=changed)
        assert saved.text == "Saved #1."
        assert len(h.session.callback_answers) == presses + 1  # answered once
        assert [(o.colour, o.size, o.note) for o in SAVED] == [("green", 12, None)]
        assert await state_of(h, anna) is None

        # The old previews are out of date: the form is sent.
        for old in (preview, back):
            assert await anna.press("✅ Отправить", on=old) == []
            assert anna.last_answer == {
                "text": "Эта анкета уже отправлена или закрыта.",
                "show_alert": True,
            }
        assert len(SAVED) == 1
    finally:
        await h.close()


async def test_a_form_without_a_preview_is_sent_at_its_answer(tmp_path: Path) -> None:
    h = await Harness(tmp_path, features=[feature]).start()
    try:
        boris = await h.consented(h.user("Boris", language_code="en"))
        [ask] = await boris.send("/rename")
        assert ask.text == "New name?" and ask.flat_buttons == []
        [refused] = await boris.send("taken")
        assert refused.text == "This name is taken."
        assert await state_of(h, boris) == "RenameForm:name"  # the step stays open
        [done] = await boris.send("Birch")
        assert done.text == "Renamed to Birch."
        assert await state_of(h, boris) is None
    finally:
        await h.close()


async def test_a_choice_of_several_is_marked_in_place(tmp_path: Path) -> None:
    h = await Harness(tmp_path, features=[feature]).start()
    try:
        anna = await h.consented(h.user("Анна"))
        [ask] = await anna.send("/pizza")
        assert ask.flat_buttons == ["Cheese", "Olives", "Готово"]
        assert await anna.press("Готово", on=ask) == []
        assert anna.last_answer == {"text": "Выберите хотя бы один вариант.", "show_alert": True}
        for label in ("Cheese", "Olives", "Cheese"):
            assert await anna.press(label, on=ask) == []  # the same message, marked
        assert anna.edits[-1].flat_buttons == ["Cheese", "✅ Olives", "Готово"]
        [preview] = await anna.press("Готово", on=ask)
        assert preview.text == "Pizza: olives"
        await anna.press("✏️ Изменить шаг")
        [again] = await anna.press("Toppings")
        assert again.flat_buttons == ["Cheese", "✅ Olives", "Готово"]
        [typed] = await anna.send("olives, cheese")  # typed, the list at once
        assert typed.text == "Pizza: cheese, olives"
    finally:
        await h.close()


@given(
    starts=st.datetimes(timezones=st.just(UTC)),
    minutes=st.integers(min_value=0, max_value=10**6),
    title=st.text(max_size=50),
    capacity=st.none() | st.integers(min_value=0, max_value=10**9),
)
def test_a_draft_survives_the_fsm_storage(
    starts: datetime, minutes: int, title: str, capacity: int | None
) -> None:
    """Any service's draft (times, tuples) goes into the FSM data as JSON and comes back."""
    event = EventDraft(
        owner_kind="tos",
        owner_id=5,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        capacity=capacity,
    )
    assert draft_of(EventDraft, json.loads(json.dumps(draft_data(event)))) == event
    competition = CompetitionDraft(title=title, eligible=("tos", "ngo"), deadline=starts)
    kept = json.loads(json.dumps(draft_data(cast(Any, competition))))
    assert draft_of(cast(Any, CompetitionDraft), kept) == competition
    request = RequestDraft(kind="event", wanted_date=starts.date().isoformat())
    assert draft_of(RequestDraft, {**draft_data(request), "gone": 1}) == request


def test_each_button_action_has_its_own_handler() -> None:
    """No handler dispatches on an action string: FormButton.filter(F.action == ...)."""
    spec = handlers.features()[0]
    steps, _, _ = spec.build_parts()
    presses = steps.callback_query.handlers
    by_name = {handler.callback.__name__: handler for handler in presses}
    for action in FormAction:
        handler = by_name[action.value]
        [button] = [f.callback for f in handler.filters or [] if f.callback is not None]
        assert isinstance(button, CallbackQueryFilter) and button.callback_data is FormButton
        assert button.rule is not None, action
    assert set(by_name) == {action.value for action in FormAction} | {"out_of_date"}


async def test_the_initiative_takes_typed_labels_and_the_skip_words(harness: Harness) -> None:
    """Typed, the label of a button is its press (any button of any step); the words that
    skip a step skip every optional one (the photos too)."""
    for lang, no_photos, anonymous, preview in (
        ("ru", "нет", "Нет, без имени", "Так её увидят специалисты администрации:"),
        ("en", "no", "no, stay anonymous", "This is how the town hall will see it:"),
    ):
        anna = await harness.consented(harness.user("Анна", language_code=lang))
        await anna.send("/initiative")
        await anna.press(anna.last.flat_buttons[0])
        await anna.send("Скамейки во дворе")
        await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
        [ask_place] = await anna.send(no_photos)
        assert ask_place.flat_buttons == ["Пропустить" if lang == "ru" else "Skip"]
        [ask_name] = await anna.send(no_photos)
        assert ask_name.flat_buttons[1] in ("Нет, без имени", "No, stay anonymous")
        [shown] = await anna.send(anonymous)
        assert shown.text.startswith(preview)
        await anna.press(shown.flat_buttons[0])
        record = await harness.app.db.read.initiatives.by_author(anna.id, 1)
        assert record[0].show_author is False and record[0].address is None
