"""Working days on Russia's official production calendar (public holidays and the
government's transfers of days off) and the town's own days off that staff add with
/daysoff: every due date in working days computed after follows them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given
from hypothesis import strategies as st

from bot.services.requests import RequestDraft, due_at
from bot.services.workdays import WorkCalendar, decreed_years
from tests.conftest import ADMIN_ID
from tests.kit import Harness, running

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
RUSSIA = holidays.country_holidays("RU")
DECREE_CHECKED_FROM = 10  # October: next year's decree is checked from then on
# Wednesday 23 December 2026, 10:00 in Novosibirsk.
DEC_23 = datetime(2026, 12, 23, 3, 0, tzinfo=UTC)


def test_the_official_totals_of_working_days() -> None:
    calendar = WorkCalendar()
    for year in (2025, 2026, 2027):
        first = date(year, 1, 1)
        days = [first + timedelta(n) for n in range((date(year + 1, 1, 1) - first).days)]
        assert sum(calendar.is_working_day(d) for d in days) == 247, year


def test_next_years_decree_on_transfers_is_in_the_calendar() -> None:
    """Fails when the `holidays` package in use has no government decree on transfers of
    days off for this year, or, from October (the decree comes out in late summer), for next
    year (relative to today's real date): upgrade the package before December. Before
    October next year's decree usually does not exist yet, and a red suite all year would
    only teach people to ignore it."""
    today = date.today()  # the real date, on purpose
    years = {today.year} | ({today.year + 1} if today.month >= DECREE_CHECKED_FROM else set())
    missing = sorted(years - decreed_years())
    assert not missing, (
        f"the production calendar has no transfers of days off for {missing}: "
        "upgrade the holidays package (pip install -U holidays)"
    )


def test_new_year_holidays_and_transfers() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_working_day(date(2026, 12, 31))  # moved from Sunday 4 January
    assert not calendar.is_working_day(date(2027, 1, 8))
    assert not calendar.is_working_day(date(2027, 2, 22))  # moved from Saturday 20 February
    assert calendar.is_working_day(date(2027, 2, 20))  # a working Saturday
    assert calendar.add(date(2026, 12, 30), 5) == date(2027, 1, 15)
    start = datetime(2026, 12, 30, 4, 0, tzinfo=UTC)  # 11:00 in Novosibirsk
    from bot.services.request_kinds import RequestTerm

    due = due_at(RequestTerm(5, working=True), start, NOVOSIBIRSK, calendar)
    assert due == datetime(2027, 1, 15, 4, 0, tzinfo=UTC)


days = st.dates(date(2024, 1, 1), date(2028, 12, 31))


@given(
    start=days,
    count=st.integers(0, 25),
    local=st.frozensets(st.dates(date(2024, 1, 1), date(2029, 3, 31)), max_size=8),
)
def test_adding_working_days(start: date, count: int, local: frozenset[date]) -> None:
    calendar = WorkCalendar(local)
    end = calendar.add(start, count)
    if count:
        assert calendar.is_working_day(end)
        assert end not in RUSSIA and end not in local  # never on a holiday or a day off
        assert end > start
        assert calendar.add(start, count + 1) > end  # monotonic in the count
    else:
        assert end == start
    assert calendar.add(start + timedelta(days=1), count) >= end  # and in the start
    # Counting day by day agrees.
    counted, day = 0, start
    while counted < count:
        day += timedelta(days=1)
        if day not in local and RUSSIA.is_working_day(day):
            counted += 1
    assert day == end
    assert calendar.between(start, end) == count
    if not local and count:
        assert end == RUSSIA.get_nth_working_day(start, count)  # the library's own count


@given(start=st.datetimes(datetime(2025, 1, 1), datetime(2028, 6, 30), timezones=st.just(UTC)))
def test_a_due_date_in_working_days_keeps_the_time_of_day(start: datetime) -> None:
    from bot.services.request_kinds import RequestTerm

    due = due_at(RequestTerm(5, working=True), start, NOVOSIBIRSK, WorkCalendar())
    local_start, local_due = start.astimezone(NOVOSIBIRSK), due.astimezone(NOVOSIBIRSK)
    assert local_due.time() == local_start.time()
    assert WorkCalendar().between(local_start.date(), local_due.date()) == 5


async def transport(h: Harness, who: str = "Анна") -> date:
    """A transport request needed in February; its due date in the town."""
    anna = await h.consented(h.user(who))
    draft = RequestDraft(
        kind="transport", description="Автобус для детей на фестиваль.", wanted_date="2027-02-01"
    )
    done = await h.app.services.requests.submit(anna.id, draft)
    return done.request.due_at.astimezone(NOVOSIBIRSK).date()


async def test_a_request_on_30_december_is_due_after_the_new_year_holidays(tmp_path: Path) -> None:
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), request_deadlines="transport=5wd"
    ) as h:
        h.clock.set(datetime(2026, 12, 30, 4, 0, tzinfo=UTC))
        olga = await h.consented(h.user("Olga", language_code="en"))
        await olga.send("/request")
        await olga.press("Transport")
        await olga.send("A bus for 20 children to the regional festival, 8:00-18:00.")
        await olga.send("01.02.2027")
        await olga.send("Skip")
        [preview] = await olga.press("Skip")
        assert "Answer due by: 15.01.2027" in preview.text  # not 06.01, in the holidays
        anna = await h.consented(h.user("Анна"))
        await anna.send("/request")
        await anna.press("Транспортное обеспечение")
        await anna.send("Автобус для детей на областной фестиваль, с 8:00 до 18:00.")
        await anna.send("01.02.2027")
        await anna.send("Пропустить")
        [preview] = await anna.press("Пропустить")
        assert "Срок ответа: до 15.01.2027" in preview.text


async def test_staff_add_a_town_day_off_and_deadlines_skip_it(tmp_path: Path) -> None:
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), request_deadlines="transport=5wd"
    ) as h:
        h.clock.set(DEC_23)
        assert await transport(h) == date(2026, 12, 30)
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        [screen] = await maria.send("/daysoff")
        assert "Собственные выходные дни города" in screen.text
        assert (
            "Сроки в рабочих днях пропускают праздники и выходные по производственному календарю "
            "России (с переносами), а также эти дни." in screen.text
        )
        assert "Впереди таких дней нет." in screen.text
        [ask] = await maria.press("➕ Добавить выходной")
        assert "Напишите дату в виде дд.мм.гггг" in ask.text
        [bad] = await maria.send("31.02.2027")
        assert bad.text == "Такой даты нет. Проверьте, пожалуйста, день и месяц."
        [past] = await maria.send("01.12.2026")
        assert past.text == "Нужна дата в будущем: завтрашняя или позже."
        [official] = await maria.send("31.12.2026")
        assert official.text == "Этот день и так выходной по производственному календарю."
        [name] = await maria.send("29.12.2026")
        assert "Как называется этот день" in name.text
        [long_name] = await maria.send("я" * 101)
        assert long_name.text == "Название должно быть не длиннее 100 символов, а в вашем — 101."
        done, screen = await maria.send("День основания города")
        assert done.text == (
            "29.12.2026 теперь выходной день города: сроки, которые будут считаться с этого "
            "момента, его пропустят."
        )
        assert "• 29.12.2026 — День основания города" in screen.text
        # 24, 25, 28, (29 the town's), 30, then the New Year holidays to 10 January.
        assert await transport(h, "Вера") == date(2027, 1, 11)
        first = await h.app.db.read.requests.get(1)
        assert first is not None
        assert first.due_at.astimezone(NOVOSIBIRSK).date() == date(2026, 12, 30)

        [again] = await maria.send("/daysoff")
        await maria.press("➕ Добавить выходной", on=again)
        [asked] = await maria.send("29.12.2026")  # taken already: refused when it is sent
        assert "Как называется этот день" in asked.text
        [twice] = await maria.send("Ещё раз")
        assert twice.text == "Этот день уже отмечен как выходной день города."
        await maria.send("/cancel")

        [listed] = await maria.send("/daysoff")
        await maria.press("✖ Убрать 29.12.2026", on=listed)
        assert maria.last_answer["text"] == (
            "29.12.2026 снова рабочий день для сроков, которые будут считаться с этого момента."
        )
        assert "Впереди таких дней нет." in maria.edits[-1].text
        assert await maria.press("✖ Убрать 29.12.2026", on=listed) == []  # an old list
        assert maria.last_answer.get("show_alert")
        assert await transport(h, "Ольга") == date(2026, 12, 30)


async def test_days_off_in_english_and_refused_to_residents(harness: Harness) -> None:
    h = harness
    h.clock.set(DEC_23)
    clerk = await h.consented(h.user("Clerk", language_code="en"))
    await h.app.services.staff.add(ADMIN_ID, clerk.id)
    await clerk.send("/daysoff")
    [ask] = await clerk.press("➕ Add a day off")
    assert "Write the date as dd.mm.yyyy" in ask.text
    [far] = await clerk.send("01.06.2029")
    assert far.text == "This date is more than two years ahead. Please give a nearer one."
    await clerk.send("28.12.2026")
    [long_name] = await clerk.send("x" * 101)
    assert long_name.text == "The name should be at most 100 characters long; yours has 101."
    done, screen = await clerk.send("Town Day")
    assert done.text == (
        "28.12.2026 is the town's day off now: due dates computed from now on skip it."
    )
    assert "• 28.12.2026 — Town Day" in screen.text

    resident = await h.consented(h.user("Пётр"))
    [refused] = await resident.send("/daysoff")
    assert "Собственные выходные" not in refused.text
    assert await resident.press("x", data="dayoff:remove:20261228") == []
    assert await resident.press("x", data="dayoff:add") == []
    days_off = await h.app.services.workdays.calendar()
    assert days_off.days_off == frozenset({date(2026, 12, 28)})  # still there
