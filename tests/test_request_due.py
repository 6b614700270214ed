"""A request with a wanted date is due before that date (59-FZ's 30 days, or the type's shorter
term, are the outer bound), and /inbox puts the soonest need first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.services.requests import RequestDraft, due_at, due_for_need
from bot.services.when import town_today
from bot.services.workdays import WorkCalendar
from tests.conftest import ADMIN_ID
from tests.kit import Harness, make_settings

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
EARLY_FRIDAY = datetime(2026, 12, 3, 21, 55, tzinfo=UTC)  # 04:55 on Friday 4 December


async def test_a_transport_needed_tomorrow_is_due_today(harness: Harness) -> None:
    h = harness
    h.clock.set(EARLY_FRIDAY)
    olga = await h.consented(h.user("Olga", language_code="en"))
    await olga.send("/request")
    await olga.press("Transport")
    await olga.send("A bus for 20 children to the regional festival, 8:00-18:00.")
    await olga.send("tomorrow")
    await olga.send("Skip")
    [preview] = await olga.press("Skip")
    assert "Wanted date: 05.12.2026" in preview.text
    assert "Answer due by: 04.12.2026" in preview.text  # not 11.12, five working days on
    [done] = await olga.press("✅ Send")
    assert "the answer is due by 04.12.2026" in done.text
    record = await h.app.db.read.requests.get(1)
    assert record is not None
    assert record.due_at.astimezone(NOVOSIBIRSK).date() == date(2026, 12, 4)


async def test_inbox_puts_the_soonest_need_first(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    anna = await h.consented(h.user("Анна"))
    await h.app.services.requests.submit(
        anna.id, RequestDraft(kind="consultation", description="Нужна консультация по уставу.")
    )
    h.clock.advance(timedelta(days=27))  # the consultation is due in three days
    tomorrow = town_today(h.clock.now(), NOVOSIBIRSK) + timedelta(days=1)
    await h.app.services.requests.submit(
        anna.id,
        RequestDraft(
            kind="transport",
            description="Автобус на фестиваль для детей, пожалуйста.",
            wanted_date=tomorrow.isoformat(),
        ),
    )
    await h.app.services.requests.submit(
        anna.id,
        RequestDraft(
            kind="event",
            description="Помогите провести праздник двора, пожалуйста.",
            wanted_date=(tomorrow + timedelta(days=1)).isoformat(),
        ),
    )
    [inbox] = await maria.send("/inbox")
    order = [line.split("</b>")[0].rsplit("-", 1)[-1] for line in inbox.text.splitlines()[1:]]
    assert order == ["0002", "0003", "0001"], inbox.text
    assert f"needed {tomorrow:%d.%m.%Y}" in inbox.text


settings = make_settings(Path("unused"), request_deadlines="transport=5wd,event=10d")


@given(
    start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    ahead=st.integers(-3, 400),
    kind=st.sampled_from(["transport", "event", "consultation"]),
)
def test_due_before_the_wanted_date_within_the_term(start: datetime, ahead: int, kind: str) -> None:
    today = town_today(start, NOVOSIBIRSK)
    wanted = today + timedelta(days=ahead)
    term = due_at(settings.request_term(kind), start, settings.timezone, WorkCalendar())
    due = due_for_need(term, wanted, start, NOVOSIBIRSK)
    assert due <= term  # 59-FZ (or the type's term) is the outer bound
    local = due.astimezone(NOVOSIBIRSK)
    if wanted > today:
        assert local.date() < wanted  # answered before the day it is needed
        day_before_ends = datetime.combine(wanted, time(), NOVOSIBIRSK) - timedelta(minutes=1)
        assert due == min(term, day_before_ends.astimezone(UTC))
    elif wanted == today:
        assert local.date() == today  # needed today: due today
    else:
        assert due == term  # the date has passed (a reopened request): the term alone
