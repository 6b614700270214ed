"""The Switch sends a typed answer to the handlers of its exact state only, through the
feature's own message filters, and a handler gets the services by name (handlers/spec.py,
bot/middlewares/services.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.services.requests import RequestService
from bot.settings import Settings
from handlers.filters import HasText
from handlers.spec import RouterSpec
from tests.kit import Harness


class Probe(StatesGroup):
    first = State()
    second = State()


class Open(Filter):
    """The feature's own message filter (as StaffPlace is a staff feature's)."""

    def __init__(self) -> None:
        self.open = True

    async def __call__(self, message: Message) -> bool:
        return self.open


def probe_feature(seen: list[Any], gate: Open) -> RouterSpec:
    spec = RouterSpec("probe", needs_consent=True)
    spec.owns(forms=(Probe,))
    spec.filter("message", gate)

    @spec.message(Command("probe"))
    async def begin(message: Message, state: FSMContext) -> None:
        await state.set_state(Probe.first)
        await message.answer("first?")

    @spec.message(StateFilter(Probe.first), HasText())
    async def first(message: Message, state: FSMContext) -> None:
        seen.append(("first", message.text))
        await state.set_state(Probe.second)
        await message.answer("second?")

    @spec.message(StateFilter(Probe.second), HasText())
    async def second(message: Message, state: FSMContext) -> None:
        seen.append(("second", message.text))
        await state.clear()
        await message.answer("done")

    @spec.message(StateFilter(Probe.first, Probe.second))
    async def not_text(
        message: Message, raw_state: str, requests: RequestService, settings: Settings
    ) -> None:
        seen.append(("not text", raw_state, requests, settings))
        await message.answer("text, please")

    return spec


async def test_a_typed_answer_meets_its_steps_handlers_in_order(tmp_path: Path) -> None:
    seen: list[Any] = []
    gate = Open()
    h = await Harness(tmp_path, features=[probe_feature(seen, gate)]).start()
    try:
        anna = await h.consented(h.user())
        assert [s.text for s in await anna.send("/probe")] == ["first?"]
        # A photo in the first step: not the first step's text handler, the one both share.
        assert [s.text for s in await anna.send_photo()] == ["text, please"]
        assert seen[-1][:2] == ("not text", "Probe:first")
        # ...which got the services and the settings by name, the app's own.
        assert seen[-1][2] is h.app.services.requests
        assert seen[-1][3] is h.app.settings
        assert [s.text for s in await anna.send("one")] == ["second?"]
        assert [s.text for s in await anna.send_photo()] == ["text, please"]
        assert seen[-1][:2] == ("not text", "Probe:second")
        # The feature's own filter says no: the step's handlers are not reached.
        gate.open = False
        await anna.send("two")
        assert seen[-1][0] == "not text"
        context = h.app.dp.fsm.get_context(h.app.bot, anna.id, anna.id)
        assert await context.get_state() == "Probe:second"  # the form waits where it was
        gate.open = True
        assert [s.text for s in await anna.send("two")] == ["done"]
        assert [entry[:2] for entry in seen if entry[0] != "not text"] == [
            ("first", "one"),
            ("second", "two"),
        ]
    finally:
        await h.close()


async def test_a_form_goes_on_after_a_restart_and_an_unknown_state_breaks_nothing(
    tmp_path: Path,
) -> None:
    seen: list[Any] = []
    h = await Harness(tmp_path, features=[probe_feature(seen, Open())]).start()
    try:
        anna = await h.consented(h.user())
        await anna.send("/probe")
        await h.restart()  # the state is read back from the database
        assert [s.text for s in await anna.send("one")] == ["second?"]
        assert seen == [("first", "one")]
        # A state no feature declares (a form removed by an upgrade, a row edited by hand):
        # no step takes the answer, nothing fails, and the person is told how to get out.
        context = h.app.dp.fsm.get_context(h.app.bot, anna.id, anna.id)
        await context.set_state("Gone:step")
        replies = await anna.send("hello")
        assert seen == [("first", "one")]
        assert [s.text for s in replies] == [
            "Пожалуйста, ответьте на вопрос выше или отправьте /cancel, чтобы выйти из анкеты."
        ]
        await anna.send("/cancel")
        assert await context.get_state() is None
    finally:
        await h.close()
