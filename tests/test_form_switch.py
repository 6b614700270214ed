"""Issue 13: one form never silently replaces another that holds answers. Opening another
form (a command, a menu press, a button, /start) over it asks first; «go on» keeps it,
«drop it» does what was chosen."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.fsm.storage.base import StorageKey

from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running


@dataclass(frozen=True)
class Lang:
    code: str
    propose: str  # the menu button
    request: str  # the menu button
    direction: str
    unfinished_initiative: str
    unfinished_request: str
    kept: str
    go_on: str
    drop: str
    went_on: str
    ask_description: str
    ask_kind: str
    ask_direction: str
    out_of_date: str
    hello: str


RU = Lang(
    code="ru",
    propose="💡 Предложить инициативу",
    request="🤝 Обратиться за поддержкой",
    direction="Благоустройство и озеленение",
    unfinished_initiative="Вы ещё не отправили инициативу.",
    unfinished_request="Вы ещё не отправили обращение.",
    kept="Ответы сохранены.",
    go_on="↩️ Продолжить",
    drop="🗑 Удалить и перейти",
    went_on="Продолжаем",
    ask_description="Опишите идею",
    ask_kind="Что вам нужно? Выберите вид поддержки:",
    ask_direction="Выберите направление",
    out_of_date="Эта кнопка устарела.",
    hello="Здравствуйте!",
)
EN = Lang(
    code="en",
    propose="💡 Propose an initiative",
    request="🤝 Ask for support",
    direction="Improvement and greening",
    unfinished_initiative="You have not sent your initiative yet.",
    unfinished_request="You have not sent your request yet.",
    kept="Your answers are kept.",
    go_on="↩️ Go on with it",
    drop="🗑 Drop it and go on",
    went_on="Let's go on",
    ask_description="Describe the idea",
    ask_kind="What do you need? Choose the type of support:",
    ask_direction="Choose a direction",
    out_of_date="This button is out of date.",
    hello="Hello!",
)
LANGS = (RU, EN)


async def person(h: Harness, lang: Lang, name: str = "Анна") -> Person:
    return await h.consented(h.user(name, language_code=lang.code))


def key_of(h: Harness, who: Person) -> StorageKey:
    return StorageKey(bot_id=h.app.bot.id, chat_id=who.chat.id, user_id=who.id)


async def state_of(h: Harness, who: Person) -> str | None:
    return await h.app.storage.get_state(key_of(h, who))


async def test_a_command_over_an_answered_form_asks_first(harness: Harness) -> None:
    for lang in LANGS:
        anna = await person(harness, lang)
        await anna.send("/initiative")
        await anna.press(lang.direction)
        [ask] = await anna.send("Скамейки во дворе")
        assert lang.ask_description in ask.text
        # /request in the middle: asked, and nothing of the initiative is lost.
        [question] = await anna.send("/request")
        assert question.text.startswith(lang.unfinished_initiative)
        assert lang.kept in question.text
        assert question.flat_buttons == [lang.go_on, lang.drop]
        assert await state_of(harness, anna) == "InitiativeForm:description"
        [went_on] = await anna.press(lang.go_on)
        assert lang.went_on in went_on.text
        [photos] = await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
        assert await state_of(harness, anna) == "InitiativeForm:photos", photos.text
        # The old question's buttons are gone; a forged press on them is out of date.
        await anna.press(lang.drop, on=question, data=question.callback_data[lang.drop])
        assert anna.last_answer["text"] == lang.out_of_date
        # The menu button asks too; dropping it starts the request at once.
        [question] = await anna.send(lang.request)
        assert question.text.startswith(lang.unfinished_initiative)
        replies = await anna.press(lang.drop)
        assert any(lang.ask_kind in r.text for r in replies)
        assert await state_of(harness, anna) == "RequestForm:kind"


async def test_a_form_without_answers_is_replaced_without_a_question(harness: Harness) -> None:
    for lang in LANGS:
        anna = await person(harness, lang)
        await anna.send("/initiative")
        replies = await anna.send("/request")  # nothing answered yet: nothing to lose
        assert any(lang.ask_kind in r.text for r in replies)
        assert not any(lang.unfinished_initiative in r.text for r in replies)
        await anna.press(next(iter(anna.last.callback_data)))  # a type: now it holds answers
        [question] = await anna.send(lang.propose)
        assert question.text.startswith(lang.unfinished_request)
        replies = await anna.press(lang.drop)
        assert any(lang.ask_direction in r.text for r in replies)
        assert await state_of(harness, anna) == "InitiativeForm:direction"


async def test_a_menu_press_in_a_form_is_not_taken_as_the_answer(harness: Harness) -> None:
    for lang in LANGS:
        anna = await person(harness, lang)
        await anna.send("/initiative")
        await anna.press(lang.direction)
        await anna.send("Скамейки во дворе")
        # «📅 Events» at the description step: the list, not a description of 13 characters.
        events = "📅 Мероприятия" if lang is RU else "📅 Events"
        [listed] = await anna.send(events)
        assert lang.unfinished_initiative not in listed.text  # a list opens no form
        assert await state_of(harness, anna) == "InitiativeForm:description"
        data = await harness.app.storage.get_data(key_of(harness, anna))
        assert data["draft"]["description"] is None


async def test_start_and_a_button_over_a_form_ask_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from handlers.competition_cards import CompetitionStaffButton, StaffAction

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ADMIN_ID + 1})) as h:
        for offset, lang in enumerate(LANGS):
            staff = await h.consented(
                h.user("Ольга", user_id=ADMIN_ID + offset, language_code=lang.code)
            )
            await staff.send("/initiative")
            await staff.press(lang.direction)
            await staff.send("Скамейки во дворе")
            [question] = await staff.send("/start")
            assert question.text.startswith(lang.unfinished_initiative)
            replies = await staff.press(lang.drop)
            assert any(lang.hello in r.text for r in replies)
            assert await state_of(h, staff) is None
            # A button that opens a form («New competition») asks the same way; dropping the
            # initiative opens it, answering the press.
            await staff.send("/initiative")
            await staff.press(lang.direction)
            await staff.send("Скамейки во дворе")
            [question] = await staff.press(
                "x", data=CompetitionStaffButton(action=StaffAction.NEW).pack()
            )
            assert question.text.startswith(lang.unfinished_initiative)
            assert await state_of(h, staff) == "InitiativeForm:description"
            await staff.press(lang.drop)
            assert await state_of(h, staff) == "CompetitionForm:title"
            assert h.session.callback_answers[-1]["text"] is None


async def test_a_kept_choice_outlives_its_hour_and_the_form_stays(harness: Harness) -> None:
    from datetime import timedelta

    from handlers.form_guard import PENDING

    for lang in LANGS:
        anna = await person(harness, lang)
        await anna.send("/initiative")
        await anna.press(lang.direction)
        await anna.send("Скамейки во дворе")
        [question] = await anna.send("/request")
        assert question.text.startswith(lang.unfinished_initiative)
        kept = (await harness.app.storage.get_data(key_of(harness, anna)))[PENDING]
        # Only what replays the choice: the text Anna typed, not a copy of the update.
        assert kept["kind"] == "message" and kept["text"] == "/request"
        assert "event" not in kept and "from" not in str(kept)
        harness.clock.advance(timedelta(hours=2))
        assert await anna.press(lang.drop) == []
        assert anna.last_answer["text"] == lang.out_of_date
        assert await state_of(harness, anna) == "InitiativeForm:description"
        data = await harness.app.storage.get_data(key_of(harness, anna))
        assert data[PENDING] is None and data["draft"]["title"] == "Скамейки во дворе"
