"""A reminder says how much time is really left: minutes under an hour, hours and minutes
under a day, days (and hours) beyond; Russian numbers agree with their nouns."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import create_i18n, render_args
from bot.services.when import time_left
from tests.conftest import ADMIN_ID
from tests.kit import running

i18n = create_i18n("ru")
UNITS = {
    "en": {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400},
    "ru": {
        "минута": 60,
        "минуты": 60,
        "минут": 60,
        "час": 3600,
        "часа": 3600,
        "часов": 3600,
        "день": 86400,
        "дня": 86400,
        "дней": 86400,
    },
}


def left_text(seconds: float, locale: str) -> str:
    def translate(msgid: str) -> str:
        return i18n.gettext(msgid, locale=locale)

    def plural(singular: str, plural: str, n: int) -> str:
        return i18n.gettext(singular, plural, n, locale=locale)

    label = time_left(timedelta(seconds=seconds))
    return render_args({"left": label}, translate, locale=locale, plural=plural)["left"]


def seconds_of(text: str, locale: str) -> int:
    pairs = re.findall(r"(\d+)\s(\w+)", text)
    assert pairs and " ".join(f"{n} {w}" for n, w in pairs) == text, text
    return sum(int(n) * UNITS[locale][w] for n, w in pairs)


@pytest.mark.parametrize(
    ("seconds", "ru", "en"),
    [
        (119, "2 минуты", "2 minutes"),
        (100, "2 минуты", "2 minutes"),
        (25, "меньше минуты", "less than a minute"),
        (60 * 21, "21 минута", "21 minutes"),
        (60 * 45, "45 минут", "45 minutes"),
        (3600, "1 час", "1 hour"),
        (3600 + 60 * 58, "1 час 58 минут", "1 hour 58 minutes"),
        (3600 * 22 + 60, "22 часа 1 минута", "22 hours 1 minute"),
        (86400 - 1, "1 день", "1 day"),
        (86400 * 3, "3 дня", "3 days"),
        (86400 * 5 + 3600 * 5, "5 дней 5 часов", "5 days 5 hours"),
        (86400 * 14 - 20, "14 дней", "14 days"),
    ],
)
def test_what_is_left_in_both_languages(seconds: int, ru: str, en: str) -> None:
    assert left_text(seconds, "ru") == ru
    assert left_text(seconds, "en") == en


@given(seconds=st.floats(0, 86400 * 60), locale=st.sampled_from(["ru", "en"]))
def test_the_label_is_what_is_really_left(seconds: float, locale: str) -> None:
    text = left_text(seconds, locale)
    if seconds < 30:
        assert text in ("меньше минуты", "less than a minute")
        return
    said = seconds_of(text, locale)
    # Rounded to the nearest minute under a day, to the nearest hour beyond: never an hour
    # for two minutes.
    assert abs(said - seconds) <= (30 if seconds < 86400 - 30 else 1800)


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_a_reminder_two_minutes_before_the_deadline(tmp_path: Path, lang: str) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), competition_reminders="2m") as h:
        ivan = await h.consented(h.user("Иван", language_code=lang))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            tos = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok-south", now)
            await uow.registry.grant(ivan.id, "tos", tos, "chair", ADMIN_ID, now)
            await uow.competitions.create(
                {
                    "title": "Конкурс ТОС",
                    "organiser": "Администрация",
                    "eligible": ("tos",),
                    "opens_at": now - timedelta(minutes=1),
                    "deadline": now + timedelta(hours=3),
                },
                ADMIN_ID,
                now,
            )
        await h.app.services.competitions.tick()
        h.clock.advance(timedelta(hours=2, minutes=58))
        await h.app.services.competitions.tick()
        await h.deliver()
        reminder = ivan.last.text
        if lang == "ru":
            assert "до конца — 2 минуты" in reminder, reminder
        else:
            assert "(2 minutes left)" in reminder, reminder
