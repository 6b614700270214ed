"""Every date and time a person sees is on the town's clock (TIMEZONE), whatever UTC says."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import reporting
from bot.i18n import create_i18n
from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from bot.services.when import local_text, town_today
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
# 04:55 on Friday 4 December in Novosibirsk is still 3 December in UTC.
EARLY_FRIDAY = datetime(2026, 12, 3, 21, 55, tzinfo=UTC)
STAMP = EARLY_FRIDAY.isoformat()


def test_the_one_helper_writes_instants_on_the_towns_clock() -> None:
    assert local_text(EARLY_FRIDAY, NOVOSIBIRSK) == "04.12.2026 04:55"
    assert local_text(STAMP, NOVOSIBIRSK, "date") == "04.12.2026"
    assert local_text(EARLY_FRIDAY, NOVOSIBIRSK, "day_time") == "04.12 04:55"
    assert local_text(EARLY_FRIDAY, NOVOSIBIRSK, "time") == "04:55"
    assert local_text(EARLY_FRIDAY, NOVOSIBIRSK, "iso_date") == "2026-12-04"
    # A calendar day (a wanted date, a registration date) has no clock: shown as it is.
    assert local_text(date(2026, 12, 25), NOVOSIBIRSK) == "25.12.2026"
    assert local_text("2026-12-25", NOVOSIBIRSK, "date") == "25.12.2026"
    assert local_text(None, NOVOSIBIRSK) == ""
    assert town_today(EARLY_FRIDAY, NOVOSIBIRSK) == date(2026, 12, 4)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_export_writes_the_towns_dates(lang: str) -> None:
    person = {"first_name": "Анна", "last_name": None, "username": None}
    rows: dict[str, dict[str, Any]] = {
        "initiatives": {
            "year": 2026,
            "seq": 1,
            "created_at": STAMP,
            "direction": "sport",
            "status": "new",
            "title": "t",
            "description": "d",
            "address": None,
            "latitude": None,
            "longitude": None,
            "tos_name": None,
            "supports": 0,
            **person,
        },
        "requests": {
            "year": 2026,
            "seq": 1,
            "created_at": STAMP,
            "kind": "transport",
            "status": "closed",
            "behalf_kind": "self",
            "behalf_name": None,
            "description": "d",
            "wanted_date": "2026-12-25",
            "due_at": "2026-12-10T21:55:00+00:00",
            "closed_at": STAMP,
            "helped": 1,
            "phone": None,
            "is_open": 0,
            "overdue": 0,
            "extended_to": "2026-12-20T21:55:00+00:00",
            "extension_reason": "r",
            **person,
        },
        "applications": {
            "competition": "c",
            "body_kind": "tos",
            "body": "b",
            "project": "p",
            "direction": "sport",
            "amount": 1,
            "status": "registered",
            "result": None,
            "awarded": None,
            "created_at": STAMP,
            **person,
        },
    }
    i18n = create_i18n("ru")
    with i18n.context(), i18n.use_locale(lang):
        initiatives = reporting.export_rows("initiatives", [rows["initiatives"]], True, NOVOSIBIRSK)
        requests = reporting.export_rows("requests", [rows["requests"]], True, NOVOSIBIRSK)
        applications = reporting.export_rows(
            "applications", [rows["applications"]], True, NOVOSIBIRSK
        )
    assert initiatives[1][1] == "04.12.2026"
    assert requests[1][1] == "04.12.2026"  # created
    # Wanted, due, extended to (and why), closed.
    assert requests[1][6:11] == ["25.12.2026", "11.12.2026", "21.12.2026", "r", "04.12.2026"]
    assert applications[1][8] == "04.12.2026"


async def _export_csv(person: Person, what: str) -> list[list[str]]:
    await person.send("/export")
    await person.press(what)
    await person.press("Этот год")
    [sent] = await person.press("CSV")
    assert sent.file
    return list(csv.reader(io.StringIO(sent.file[1].decode("utf-8-sig")), delimiter=";"))


async def test_a_request_made_early_in_the_morning_is_exported_as_told(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна"))
        h.clock.set(EARLY_FRIDAY)
        result = await h.app.services.requests.submit(
            anna.id,
            RequestDraft(kind="consultation", description="Нужна консультация по уставу ТОС."),
        )
        told = h.app.services.requests.local_date(result.request.due_at)
        await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="sport",
                title="Турник во дворе",
                description="Поставить турник у дома, пожалуйста.",
            ),
        )
        [_header, request] = await _export_csv(maria, "Обращения")
        assert request[1] == "04.12.2026" and request[7] == told == "03.01.2027"
        [_header, initiative] = await _export_csv(maria, "Инициативы")
        assert initiative[1] == "04.12.2026"


async def test_a_number_and_the_report_take_the_towns_year(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
        anna = await h.consented(h.user("Анна"))
        h.clock.set(datetime(2026, 12, 31, 20, 0, tzinfo=UTC))  # 03:00 on 1 January 2027
        result = await h.app.services.requests.submit(
            anna.id,
            RequestDraft(kind="consultation", description="Нужна консультация по уставу ТОС."),
        )
        assert result.request.year == 2027
        initiative = await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="sport",
                title="Турник во дворе",
                description="Поставить турник у дома, пожалуйста.",
            ),
        )
        assert initiative.initiative.year == 2027
        headline, *_files = await maria.send("/report 2027")
        assert "Support requests received: 1\n" in headline.text


async def test_the_monday_chart_counts_the_towns_weeks(harness: Harness) -> None:
    h = harness
    anna = await h.consented(h.user("Анна"))
    h.clock.set(datetime(2026, 11, 29, 21, 55, tzinfo=UTC))  # 04:55 on Monday 30 November
    await h.app.services.requests.submit(
        anna.id, RequestDraft(kind="consultation", description="Нужна консультация по уставу.")
    )
    h.clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    weeks, series = await h.app.services.reports.weekly_counts(h.clock.now())
    assert weeks[-1] == "2026-11-30"
    assert series["requests"]["new"][-1] == 1


async def test_todays_registration_date_is_not_in_the_future(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    await maria.send("/registry")
    await maria.press("➕ ТОС")
    await maria.send("ТОС «Берёзка»")
    h.clock.set(EARLY_FRIDAY)
    await maria.press("✏️ Изменить", on=maria.last)
    await maria.press("Дата регистрации")
    saved, card = await maria.send("04.12.2026")
    assert saved.text == "Сохранено." and "04.12.2026" in card.text
