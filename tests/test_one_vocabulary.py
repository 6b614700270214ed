"""One vocabulary: an optional step of any form is skipped by the same words, and a yes or
no is the same yes or no, whichever form asks (bot.services.vocabulary)."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_ID
from tests.kit import Harness

# (language, what the person types to skip, the step after the event's places)
WITHOUT = [("ru", "без"), ("ru", "не нужно"), ("en", "without"), ("ru", "пропустить")]


@pytest.mark.parametrize(("language", "typed"), WITHOUT)
async def test_the_words_that_skip_a_request_step_skip_an_event_step(
    harness: Harness, language: str, typed: str
) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID, language_code=language))
    await maria.send("/events")
    await maria.press("➕ Новое мероприятие" if language == "ru" else "➕ New event")
    for answer in ("Субботник", "завтра 18:00", "20:00", "Сквер у ДК"):
        await maria.send(answer)
    await maria.press(maria.last.flat_buttons[0])  # the organiser: the town hall
    await maria.send("да" if language == "ru" else "yes")
    await maria.send(typed)  # how many places: none said
    assert maria.last.text.startswith(
        ("Кому о нём сообщить?", "Так будет выглядеть объявление:")
        if language == "ru"
        else ("Who should hear about it?", "This is how it will be announced:")
    ), maria.last.text


@pytest.mark.parametrize(("language", "typed"), [("ru", "без адреса"), *WITHOUT])
async def test_the_same_words_skip_the_place_of_an_initiative(
    harness: Harness, language: str, typed: str
) -> None:
    anna = await harness.consented(harness.user("Анна", language_code=language))
    await anna.send("/initiative")
    await anna.press(anna.last.flat_buttons[0])  # a direction
    await anna.send("Скамейки во дворе")
    await anna.send("Поставить две скамейки у третьего подъезда, старые сломаны.")
    await anna.press("Готово" if language == "ru" else "Done")  # no photos
    await anna.send(typed)  # no place
    await anna.press(anna.last.flat_buttons[-1])  # do not show the name
    assert ("📍 место не указано" if language == "ru" else "📍 place not given") in anna.last.text
