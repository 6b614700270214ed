"""Issue 13, bad input: forged buttons, typed ids, numbers and dates of any size get a polite
answer, never a crash (no error logged, never "something went wrong")."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from hypothesis import example, given
from hypothesis import strategies as st

import handlers
from handlers.competition_form import COMPETITION
from handlers.competition_staff import AWARD, CHANGE
from handlers.events import FORM as EVENT_FORM
from handlers.events import AttendanceForm
from handlers.registry_admin import CARD_FORM as REGISTRY_CARD_FORM
from handlers.requests import FORM as REQUEST_FORM
from tests.conftest import ADMIN_ID
from tests.kit import BOT_ID, Harness, Person

CRASH = ("Извините, у нас что-то пошло не так", "Sorry, something went wrong")
HUGE = "99999999999999999999"  # beyond SQLite's INTEGER (2**63 - 1)


def callback_classes() -> list[type[CallbackData]]:
    """Every CallbackData class the handlers define (a new one is covered by itself)."""
    found: list[type[CallbackData]] = []
    stack: list[type[CallbackData]] = [CallbackData]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("handlers."):
                found.append(sub)
    return sorted(found, key=lambda cls: cls.__prefix__)


def test_every_button_class_is_owned_by_a_feature() -> None:
    owned = {cls for spec in handlers.features() for cls in spec.callbacks}
    assert set(callback_classes()) == owned
    assert len(owned) >= 17


class Bot:
    """One bot over a real SQLite file, driven from synchronous hypothesis tests."""

    def __init__(self, tmp: Path, language: str) -> None:
        self.runner = asyncio.Runner()
        self.h = Harness(tmp, admin_ids=frozenset({ADMIN_ID}))
        self.run(self.h.start())
        admin = self.h.user("Мария", user_id=ADMIN_ID, language_code=language)
        resident = self.h.user("Анна", language_code=language)
        self.admin: Person = self.run(self.h.consented(admin))
        self.resident: Person = self.run(self.h.consented(resident))
        self.run(
            self.h.app.services.competitions.create(ADMIN_ID, _draft())
        )  # number 1, for the steps
        self.run(self.h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Север»"))  # number 1 too

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    def close(self) -> None:
        self.run(self.h.close())
        self.runner.close()


@pytest.fixture(params=["ru", "en"])
def bot(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Bot]:
    b = Bot(tmp_path, request.param)
    try:
        yield b
    finally:
        b.close()


@contextmanager
def no_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage()


def assert_polite(bot: Bot, before_calls: int, before_sent: int, *, press: bool = False) -> None:
    session = bot.h.session
    calls = session.calls[before_calls:]
    texts = [s.text for s in session.sent[before_sent:]]
    texts += [str(getattr(c.method, "text", "") or "") for c in calls]
    assert not [t for t in texts if t.startswith(CRASH)], texts
    assert calls, "no answer at all"
    if press:  # every press is answered, or its spinner keeps turning
        assert "AnswerCallbackQuery" in [c.name for c in calls], [c.name for c in calls]


def _vocabulary(cls: type[CallbackData]) -> list[str]:
    """The short words the class's module compares its fields with (its actions, kinds)."""
    source = inspect.getsource(sys.modules[cls.__module__])
    return sorted(set(re.findall(r'"([a-z][a-z_]{0,15})"', source)))


def field_values(cls: type[CallbackData], name: str) -> st.SearchStrategy[str]:
    annotation = cls.model_fields[name].annotation
    numbers = st.one_of(
        st.integers(min_value=-3, max_value=5),
        st.integers(),
        st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 10**19, 10**30]),
    ).map(str)
    junk = st.one_of(
        st.text(max_size=12),
        st.text(alphabet="0123456789²³١٢٣-+_ .e", max_size=25),
        st.sampled_from(["", HUGE, "²", "1e9", "-1", "0x10", " 1", "1_000", "NaN"]),
    )
    if annotation is str:
        return st.one_of(st.sampled_from(_vocabulary(cls)), numbers, junk)
    return st.one_of(numbers, junk)


@st.composite
def forged(draw: st.DrawFn, cls: type[CallbackData]) -> str:
    parts = [draw(field_values(cls, name)) for name in cls.model_fields]
    if draw(st.integers(0, 9)) == 0:  # a part too many or too few
        parts = parts[:-1] if parts and draw(st.booleans()) else [*parts, "x"]
    data = ":".join([cls.__prefix__, *parts])
    raw = data.encode()[:64].decode(errors="ignore")  # what Telegram can carry
    return raw or cls.__prefix__


@pytest.mark.parametrize("cls", callback_classes(), ids=lambda cls: cls.__prefix__)
def test_forged_buttons_get_a_polite_answer(
    bot: Bot, cls: type[CallbackData], caplog: pytest.LogCaptureFixture
) -> None:
    @given(data=forged(cls), staff=st.booleans())
    @example(data=f"{cls.__prefix__}:card:{HUGE}:", staff=True)
    @example(data=f"{cls.__prefix__}:open:{HUGE}", staff=False)
    @example(data=f"{cls.__prefix__}:{HUGE}::{HUGE}", staff=False)
    def press(data: str, staff: bool) -> None:
        person = bot.admin if staff else bot.resident
        before_calls, before_sent = len(bot.h.session.calls), len(bot.h.session.sent)
        bot.run(person.send("/cancel"))  # no form from an earlier example
        before_calls, before_sent = len(bot.h.session.calls), len(bot.h.session.sent)
        with no_errors(caplog):
            bot.run(person.press("x", data=data))
        assert_polite(bot, before_calls, before_sent, press=True)

    press()


@pytest.mark.parametrize(
    "data",
    [f"{p}:card:{HUGE}:" for p in ("e1", "t1", "comp")]
    + [f"event:card:{HUGE}"]
    + [
        f"initiative:open:{HUGE}",
        f"initiatives:{HUGE}::0",
        f"initiatives:0::{HUGE}",
        f"myreq:open:{HUGE}",
    ],
)
def test_ids_beyond_sqlite_are_out_of_date_buttons(
    bot: Bot, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    with no_errors(caplog):
        bot.run(bot.resident.press("x", data=data))
    assert bot.h.session.callback_answers[-1]["text"] in (
        "Эта кнопка устарела. Откройте меню ещё раз.",
        "This button is out of date. Please open the menu again.",
    )


# -- typed dates ------------------------------------------------------------------------------

DATE_STEPS: list[tuple[State, dict[str, Any]]] = [
    (
        EVENT_FORM.state("starts_at"),
        {"draft": {"owner_kind": "town", "owner_id": 0, "title": "Субботник"}},
    ),
    (
        EVENT_FORM.state("ends_at"),
        {
            "draft": {
                "owner_kind": "town",
                "owner_id": 0,
                "title": "Субботник",
                "starts_at": "2026-11-28T11:00:00+00:00",
            }
        },
    ),
    (
        COMPETITION.state("opens_at"),
        {
            "draft": {
                "title": "Конкурс",
                "organiser": "Мэрия",
                "description": "Проекты",
                "eligible": ["tos"],
            }
        },
    ),
    (
        COMPETITION.state("deadline"),
        {
            "draft": {
                "title": "Конкурс",
                "organiser": "Мэрия",
                "description": "Проекты",
                "eligible": ["tos"],
            }
        },
    ),
    (
        COMPETITION.state("results_at"),
        {
            "draft": {
                "title": "Конкурс",
                "organiser": "Мэрия",
                "description": "Проекты",
                "eligible": ["tos"],
                "deadline": "2026-12-20T10:00:00+00:00",
            }
        },
    ),
    (CHANGE.state("deadline"), {"draft": {"competition_id": 1, "field": "deadline"}}),
    (REQUEST_FORM.state("wanted_date"), {}),
]


def typed_dates() -> st.SearchStrategy[str]:
    number = st.integers(min_value=0, max_value=99_999).map(str)
    date = st.builds(
        lambda d, m, y, hh, mm: f"{d}.{m}.{y} {hh}:{mm}",
        number,
        number,
        st.integers(0, 9999).map(lambda y: f"{y:04d}"),
        number,
        st.integers(0, 99).map(lambda x: f"{x:02d}"),
    )
    short = st.builds(
        lambda d, m, t: f"{d}.{m} {t}",
        number,
        number,
        st.sampled_from(["00:00", "23:59", "24:00", "9:05"]),
    )
    day_only = st.builds(
        lambda d, m, y: f"{d}.{m}.{y}",
        number,
        number,
        st.sampled_from(["", "0", "00", "26", "0001", "2026", "9999", "99999"]),
    )
    return st.one_of(
        date,
        short,
        day_only,
        st.sampled_from(
            [
                "01.01.0001 00:00",
                "31.12.9999 23:59",
                "01.01.1970 00:00",
                "29.02.2027 10:00",
                "завтра 25:00",
                "tomorrow 18:00",
                "0:00",
                "23:59",
                "сейчас",
            ]
        ),
        st.text(max_size=30),
    )


@pytest.mark.parametrize("step", DATE_STEPS, ids=lambda s: s[0].state or "")
def test_typed_dates_get_a_polite_answer(
    bot: Bot, step: tuple[State, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    state, data = step
    key = StorageKey(bot_id=BOT_ID, chat_id=ADMIN_ID, user_id=ADMIN_ID)

    @given(text=typed_dates())
    @example(text="01.01.0001 00:00")
    @example(text="31.12.9999 23:59")
    def typed(text: str) -> None:
        if not text.strip() or text.startswith("/"):
            return
        bot.run(bot.h.app.storage.set_state(key, state))
        bot.run(bot.h.app.storage.set_data(key, data))
        before_calls, before_sent = len(bot.h.session.calls), len(bot.h.session.sent)
        with no_errors(caplog):
            bot.run(bot.admin.send(text))
        assert_polite(bot, before_calls, before_sent)

    typed()


def test_a_date_far_away_is_refused_politely(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    key = StorageKey(bot_id=BOT_ID, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    state, data = DATE_STEPS[0]
    for text in ("01.01.0001 00:00", "31.12.9999 23:59"):
        bot.run(bot.h.app.storage.set_state(key, state))
        bot.run(bot.h.app.storage.set_data(key, data))
        with no_errors(caplog):
            [answer] = bot.run(bot.admin.send(text))
        assert answer.text in (
            "Эта дата слишком далеко от сегодняшнего дня. Укажите дату в пределах пяти лет.",
            "This date is too far from today. Please give a date within five years.",
        )


def _draft() -> Any:
    from datetime import UTC, datetime

    from bot.services.competitions import CompetitionDraft

    return CompetitionDraft(
        title="Конкурс",
        organiser="Мэрия",
        description="Проекты ТОС",
        eligible=("tos",),
        deadline=datetime(2026, 12, 20, 10, 0, tzinfo=UTC),
    )


# -- typed numbers ----------------------------------------------------------------------------


NUMBERS = st.one_of(
    st.integers().map(str),
    st.text(alphabet="0123456789²³١٢٣ ₽", min_size=1, max_size=30),
    st.sampled_from([HUGE, "²", "1" * 40, "٣٠", "0", "-1"]),
)


@pytest.mark.parametrize(
    "command", ["/initiative", "/request", "/report", "/competitions", "/events", "/tos"]
)
def test_typed_numbers_after_commands(
    bot: Bot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    @given(number=NUMBERS, staff=st.booleans())
    @example(number=HUGE, staff=True)
    @example(number="И-2026-" + HUGE, staff=False)
    def typed(number: str, staff: bool) -> None:
        person = bot.admin if staff else bot.resident
        bot.run(person.send("/cancel"))
        before_calls, before_sent = len(bot.h.session.calls), len(bot.h.session.sent)
        with no_errors(caplog):
            bot.run(person.send(f"{command} {number}"))
        assert_polite(bot, before_calls, before_sent)

    typed()


NUMBER_STEPS: list[tuple[State, dict[str, Any]]] = [
    (
        EVENT_FORM.state("capacity"),
        {
            "draft": {
                "owner_kind": "town",
                "owner_id": 0,
                "title": "Субботник",
                "starts_at": "2026-11-28T11:00:00+00:00",
                "ends_at": "2026-11-28T13:00:00+00:00",
                "place": "Сквер",
                "organiser": "Мэрия",
                "joint": True,
            }
        },
    ),
    (AttendanceForm.count, {"event_id": 1}),
    (
        COMPETITION.state("max_grant"),
        {
            "draft": {
                "title": "Конкурс",
                "organiser": "Мэрия",
                "description": "Проекты",
                "eligible": ["tos"],
                "deadline": "2026-12-20T10:00:00+00:00",
            }
        },
    ),
    (AWARD.state("awarded"), {"draft": {"application_id": 1}}),
    (REGISTRY_CARD_FORM.state("text"), {"draft": {"kind": "tos", "id": 1, "field": "residents"}}),
    (REGISTRY_CARD_FORM.state("text"), {"draft": {"kind": "tos", "id": 1, "field": "area"}}),
    (
        REGISTRY_CARD_FORM.state("text"),
        {"draft": {"kind": "tos", "id": 1, "field": "registered_on"}},
    ),
    (REGISTRY_CARD_FORM.state("text"), {"draft": {"kind": "tos", "id": 1, "field": "polygon"}}),
]


@pytest.mark.parametrize(
    "step", NUMBER_STEPS, ids=lambda s: f"{s[0].state}:{s[1].get('field', '')}"
)
def test_typed_numbers_in_forms(
    bot: Bot, step: tuple[State, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    state, data = step
    key = StorageKey(bot_id=BOT_ID, chat_id=ADMIN_ID, user_id=ADMIN_ID)

    @given(number=st.one_of(NUMBERS, st.lists(NUMBERS, min_size=1, max_size=4).map(" ".join)))
    @example(number="²")
    @example(number=HUGE)
    @example(number="54.6 83.3 " + "9" * 400)
    @example(number="31.12.9999")
    def typed(number: str) -> None:
        if not number.strip():
            return
        bot.run(bot.h.app.storage.set_state(key, state))
        bot.run(bot.h.app.storage.set_data(key, data))
        before_calls, before_sent = len(bot.h.session.calls), len(bot.h.session.sent)
        with no_errors(caplog):
            bot.run(bot.admin.send(number))
        assert_polite(bot, before_calls, before_sent)

    typed()
