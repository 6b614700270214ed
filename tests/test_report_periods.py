"""The report over a year, several years or any run of days: as staff type it after /report,
as the server command takes it (--year, --from/--to), and the period it is compared with."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.__main__ import main
from bot.i18n import create_i18n
from bot.services.errors import DomainError
from bot.services.periods import Period, parse_period
from bot.vocabulary import words_of
from tests import report_town
from tests.conftest import ADMIN_ID
from tests.databases import database_env
from tests.kit import running

TODAY = date(2026, 11, 27)  # the harness's day in Novosibirsk
WORDS = words_of(create_i18n("ru"))


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2025-2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("2025 – 2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("2025 2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("2024 год", date(2024, 1, 1), date(2024, 12, 31)),
        ("03.2026", date(2026, 3, 1), date(2026, 3, 31)),
        ("02.2024-03.2024", date(2024, 2, 1), date(2024, 3, 31)),
        ("01.03.2026 31.08.2026", date(2026, 3, 1), date(2026, 8, 31)),
        ("1.3.2026-31.8.2026", date(2026, 3, 1), date(2026, 8, 31)),
        ("с 01.03.2026 по 31.08.2026", date(2026, 3, 1), date(2026, 8, 31)),
        ("from 2026-03-01 to 2026-08-31", date(2026, 3, 1), date(2026, 8, 31)),
        ("2026-03-01 — 2026-08-31", date(2026, 3, 1), date(2026, 8, 31)),
    ],
)
def test_what_staff_type(typed: str, first: date, last: date) -> None:
    assert parse_period(typed, TODAY, WORDS) == Period(first, last)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("прошлый", "Give a year or a period"),
        ("20261", "Give a year or a period"),
        ("2024 2025 2026", "Give a year or a period"),
        ("32.01.2026", "Give a year or a period"),
        ("13.2026", "Give a year or a period"),
        ("01.03.26", "Give a year or a period"),
        ("2026 и ещё что-то", "Give a year or a period"),
        ("1999", "The bot has no figures before"),
        ("31.08.2026 01.03.2026", "The period ends before it begins"),
        ("2027", "This period has not begun yet"),
        ("01.11.2026 31.01.2027", "The period runs past this year"),
    ],
)
def test_what_is_refused_and_why(typed: str, message: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_period(typed, TODAY, WORDS)
    assert refused.value.message.startswith(message)


days = st.dates(min_value=date(2000, 1, 1), max_value=TODAY)


@st.composite
def written_periods(draw: st.DrawFn) -> tuple[str, Period]:
    """A period and one of the ways a person writes it."""
    first, last = sorted((draw(days), draw(days)))
    style = draw(st.sampled_from(["dotted", "iso", "years", "months"]))
    between = draw(st.sampled_from([" ", " - ", "-", " – ", "—", "  ", " по ", " to "]))
    if style == "years":
        text = f"{first.year}{between}{last.year}" if first.year != last.year else str(last.year)
        return text, Period.years(first.year, last.year)
    if style == "months":
        end = date(last.year + last.month // 12, last.month % 12 + 1, 1) - timedelta(days=1)
        text = f"{first:%m.%Y}{between}{last:%m.%Y}"
        return text, Period(first.replace(day=1), end)
    written = "%d.%m.%Y" if style == "dotted" else "%Y-%m-%d"
    prefix = draw(st.sampled_from(["", "с ", "from "]))
    return f"{prefix}{first:{written}}{between}{last:{written}}", Period(first, last)


@given(written_periods())
def test_any_period_read_as_written(case: tuple[str, Period]) -> None:
    text, period = case
    assert parse_period(text, TODAY, WORDS) == period


@given(st.text(alphabet="0123456789.-– смгодпо\n", max_size=30))
def test_anything_typed_is_a_period_or_a_polite_no(text: str) -> None:
    try:
        period = parse_period(text, TODAY, WORDS)
    except DomainError as refused:
        assert refused.message  # a catalog message, in the user's language when shown
        return
    assert date(2000, 1, 1) <= period.first <= TODAY
    assert period.first <= period.last and period.last.year <= TODAY.year


@given(days, days)
def test_the_period_compared_with_is_as_long_and_just_before(a: date, b: date) -> None:
    period = Period(*sorted((a, b)))
    before = period.before()
    assert before.last < period.first
    assert abs((before.last - before.first) - (period.last - period.first)) <= timedelta(days=1)
    assert before.first.month == period.first.month  # the same dates, whole years earlier


def test_compared_periods() -> None:
    assert Period.years(2026).before() == Period.years(2025)
    assert Period.years(2025, 2026).before() == Period.years(2023, 2024)
    spring = Period(date(2026, 3, 1), date(2026, 8, 31))
    assert spring.before() == Period(date(2025, 3, 1), date(2025, 8, 31))
    assert Period(date(2024, 2, 29), date(2024, 2, 29)).before().first == date(2023, 2, 28)
    assert [m.first.month for m in spring.months()] == [3, 4, 5, 6, 7, 8]
    assert spring.months()[-1].last == date(2026, 8, 31)


async def test_report_over_a_period_in_the_bot(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        await report_town.build(h)
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        message, docx, md = await maria.send("/report 01.03.2026 31.08.2026")
        assert docx.file and docx.file[0] == "report-2026-03-01-2026-08-31.docx"
        assert md.file and md.file[0] == "report-2026-03-01-2026-08-31.md"
        text = md.file[1].decode().replace("\u00a0", " ")
        assert "за период с 01.03.2026 по 31.08.2026" in message.text
        assert (
            "с 01.03.2026 по 31.08.2026 поступило 9 обращений (с 01.03.2025 по 31.08.2025 — 3)"
            in (text)
        )
        assert "## Какие задачи стоят на следующий период" in text
        message, docx, md = await maria.send("/report 2025-2026")
        assert docx.file and docx.file[0] == "report-2025-2026.docx"
        assert "в 2025–2026\u00a0годах поступило 12 обращений" in md.file[1].decode()


async def test_a_wrong_period_gets_a_polite_answer(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        [reply] = await maria.send("/report 31.08.2026 01.03.2026")
        assert reply.text == (
            "Период заканчивается раньше, чем начинается: сначала укажите более раннюю дату, "
            "например: 01.03.2026 31.08.2026."
        )
        [reply] = await maria.send("/report прошлый")
        assert reply.text == (
            "Укажите год или период, например: /report 2026, /report 2025-2026 или "
            "/report 01.03.2026 31.08.2026."
        )
        oleg = await h.consented(h.user("Oleg", user_id=ADMIN_ID + 1, language_code="en"))
        await h.app.services.staff.add(ADMIN_ID, oleg.id)
        [reply] = await oleg.send("/report 2030")
        assert (
            reply.text
            == "This period has not begun yet: give one that starts by today, 27.11.2026."
        )
        assert h.session.calls_of("SendDocument") == []


def test_the_server_command_takes_a_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
            await report_town.build(h)

    asyncio.run(prepare())
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(tmp_path).items():  # DATABASE_URL or DATABASE_PATH
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    code = main(
        ["report", "--from", "2026-03-01", "--to", "31.08.2026", "--out", str(out), "--lang", "en"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Report on public engagement for the period from 01.03.2026 to 31.08.2026" in printed
    assert (out / "report-2026-03-01-2026-08-31.docx").stat().st_size > 5000
    assert (
        "from 01.03.2026 to 31.08.2026, 9 requests came in"
        in (out / "report-2026-03-01-2026-08-31.md").read_text()
    )
    assert main(["report", "--from", "2025", "--to", "2026", "--out", str(out)]) == 0
    assert (out / "report-2025-2026.md").exists()
    with pytest.raises(SystemExit) as both:
        main(["report", "--year", "2026", "--from", "2026-03-01"])
    assert both.value.code == 2
    assert "give either --year or --from/--to" in capsys.readouterr().err
    assert main(["report", "--from", "2026-08-31", "--to", "2026-03-01"]) == 2
    assert "The period ends before it begins" in capsys.readouterr().err
