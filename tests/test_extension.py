"""59-FZ art. 12 part 2: staff extend a request's term once, by up to 30 days, with a reason
the requester is told; the card, /inbox, the digest and the report show it, and overdue,
nudges and «answered on time» follow the extended date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.requests import RequestDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
OPENED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # due 27.12.2026 (30 days)
REASON = "Нужен ответ подрядчика о сроках работ."


async def submit(h: Harness, person: Person, kind: str = "consultation") -> int:
    draft = RequestDraft(kind=kind, description="Нужна консультация по уставу ТОС.")
    return (await h.app.services.requests.submit(person.id, draft)).request.id


async def due_day(h: Harness, request_id: int) -> date:
    record = await h.app.db.read.requests.get(request_id)
    assert record is not None
    return record.due_at.astimezone(NOVOSIBIRSK).date()


async def open_card(staff: Person, number: str) -> Sent:
    [inbox] = await staff.send("/inbox")
    [card] = await staff.press(f"Открыть {number}", on=inbox)
    return card


async def test_staff_extend_a_term_once_and_the_requester_is_told(harness: Harness) -> None:
    h = harness
    h.clock.set(OPENED)
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    request_id = await submit(h, anna)
    card = await open_card(maria, "З-2026-0001")
    assert "Срок ответа: до 27.12.2026" in card.text
    intro, ask = await maria.press("⏳ Продлить срок", on=card)
    assert intro.text == (
        "Ответ на обращение З-2026-0001 нужно дать до 27.12.2026. По 59-ФЗ срок можно продлить "
        "один раз, не более чем на 30 дней, сообщив заявителю причину."
    )
    assert "На сколько дней продлить срок (от 1 до 30)" in ask.text
    [too_long] = await maria.send("31")
    assert too_long.text == "59-ФЗ позволяет продлить срок на 1–30 дней; вы указали 31."
    [too_far] = await maria.send("01.02.2027")
    assert too_far.text == "59-ФЗ позволяет продлить срок на 1–30 дней; вы указали 36."
    [before] = await maria.send("20.12.2026")
    assert before.text == "Новая дата должна быть позже нынешнего срока — 27.12.2026."
    [zero] = await maria.send("0")
    assert "вы указали 0" in zero.text
    [why] = await maria.send("12.01")  # next January, written in November
    assert why.text == "Почему продлевается срок? Эту причину прочитает заявитель."
    [long_reason] = await maria.send("я" * 1001)
    assert long_reason.text == "Причина должна быть не длиннее 1000 символов, а в вашей — 1001."
    [done] = await maria.send(REASON)
    assert done.text == (
        "Срок по обращению З-2026-0001 продлён до 12.01.2027; заявителю сообщена причина."
    )
    assert await due_day(h, request_id) == date(2027, 1, 12)
    await h.deliver()
    assert anna.last.text == (
        "Администрация продлила срок ответа на ваше обращение З-2026-0001 до 12.01.2027. "
        f"Причина: {REASON}"
    )

    card = await open_card(maria, "З-2026-0001")
    assert "Срок ответа: до 12.01.2027, продлён с 27.12.2026" in card.text
    assert f"Причина продления: {REASON}" in card.text
    assert "⏳ Продлить срок" not in card.flat_buttons
    # A second extension: a forged or old button is refused by the service.
    assert await maria.press("x", data=f"req:extend:{request_id}") == []
    assert maria.last_answer["text"] == (
        "Срок по обращению З-2026-0001 уже продлён — до 12.01.2027: 59-ФЗ разрешает продлить "
        "его только один раз."
    )
    # A resident's forged press does nothing.
    await anna.press("x", data=f"req:extend:{request_id}")
    assert anna.last_answer.get("show_alert")
    assert await due_day(h, request_id) == date(2027, 1, 12)
    # The requester sees it too.
    [mine] = await anna.send("/request З-2026-0001")
    assert "Срок ответа: до 12.01.2027, продлён с 27.12.2026" in mine.text

    # Past the first due date: not overdue, the extended date is the one in force.
    h.clock.set(datetime(2026, 12, 30, 3, 0, tzinfo=UTC))
    [inbox] = await maria.send("/inbox")
    assert "срок продлён до 12.01.2027" in inbox.text and "просрочено" not in inbox.text
    h.clock.set(datetime(2027, 1, 10, 3, 0, tzinfo=UTC))
    digest, *_settings = await maria.send("/digest")
    assert "Срок ответа в ближайшие 3 дня: 1" in digest.text, digest.text
    assert "Методическая консультация · срок продлён до 12.01.2027" in digest.text
    # Answered after the first due date, before the extended one: on time.
    await h.app.services.requests.answer(ADMIN_ID, request_id, "Ответ администрации.", None)
    _message, _docx, md = await maria.send("/report 2026")
    assert md.file is not None
    text = md.file[1].decode().replace("**", "").replace("\u00a0", " ")
    assert "В установленный срок дан ответ на 1 из 1" in text, text
    assert (
        "Срок ответа продлён по ч. 2 ст. 12 59-ФЗ для 1 обращения; своевременность ответа "
        "считается по продлённому сроку." in text
    )


async def test_in_english_and_not_for_closed_or_answered_requests(harness: Harness) -> None:
    h = harness
    h.clock.set(OPENED)
    clerk = await h.consented(h.user("Clerk", language_code="en"))
    await h.app.services.staff.add(ADMIN_ID, clerk.id)
    olga = await h.consented(h.user("Olga", language_code="en"))
    closed = await submit(h, olga)
    await h.app.services.requests.take(clerk.id, closed)
    await h.app.services.requests.answer(clerk.id, closed, "Here is the answer.", None)
    await clerk.press("x", data=f"req:extend:{closed}")  # answered: nothing is awaited
    assert clerk.last_answer["text"] == (
        "Request R-2026-0001 is «answered»: its term cannot be extended."
    )
    await h.app.services.requests.close(clerk.id, closed)
    await clerk.press("x", data=f"req:extend:{closed}")
    assert clerk.last_answer["text"] == (
        "Request R-2026-0001 is «closed»: its term cannot be extended."
    )

    request_id = await submit(h, olga)
    [inbox] = await clerk.send("/inbox")
    [card] = await clerk.press("Open R-2026-0002", on=inbox)
    intro, _ask = await clerk.press("⏳ Extend the term", on=card)
    assert intro.text.startswith("The answer to R-2026-0002 is due by 27.12.2026.")
    [bad] = await clerk.send("soon")
    assert bad.text == ("Please write the number of days (up to 30) or the new date as dd.mm.yyyy.")
    await clerk.send("10")
    [long_reason] = await clerk.send("x" * 1001)
    assert long_reason.text == "The reason should be at most 1000 characters long; yours has 1001."
    [done] = await clerk.send("We wait for the contractor's answer.")
    assert (
        done.text == "The term of R-2026-0002 is extended to 06.01.2027; the requester is told why."
    )
    await h.deliver()
    assert olga.last.text == (
        "The town hall has extended the term for the answer to your request R-2026-0002 to "
        "06.01.2027. The reason: We wait for the contractor's answer."
    )
    [inbox] = await clerk.send("/inbox")
    assert "R-2026-0002</b> · received · Methodological consultation · extended to 06.01.2027" in (
        inbox.text
    )
    assert await due_day(h, request_id) == date(2027, 1, 6)


async def test_nudges_follow_the_extended_date(harness: Harness) -> None:
    h = harness
    h.clock.set(OPENED)
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    request_id = await submit(h, anna)
    h.clock.set(OPENED + timedelta(days=25))  # 83 % of 30 days
    assert await h.app.services.requests.nudge_due() == 1
    await h.deliver()
    assert "⏰ З-2026-0001: прошло 80%" in maria.last.text
    card = await open_card(maria, "З-2026-0001")
    await maria.press("⏳ Продлить срок", on=card)
    await maria.send("30")
    await maria.send(REASON)
    assert await due_day(h, request_id) == date(2027, 1, 26)
    assert await h.app.services.requests.nudge_due() == 0  # 25 of 60 days
    h.clock.set(OPENED + timedelta(days=30, minutes=1))  # the first due date: half of the new
    assert await h.app.services.requests.nudge_due() == 1
    await h.deliver()
    assert "прошло 50%" in maria.last.text and "26.01.2027" in maria.last.text
    h.clock.set(OPENED + timedelta(days=49))
    assert await h.app.services.requests.nudge_due() == 1  # 80 % again, of the new term
    await h.deliver()
    assert "прошло 80%" in maria.last.text and "26.01.2027" in maria.last.text
    assert not h.app.services.requests.is_overdue(await h.app.services.requests.find(request_id))


async def test_the_sandbox_demo_has_an_extended_request(harness: Harness) -> None:
    from bot.sandbox.demo import DemoPeople, load_demo

    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    town = await load_demo(h.app.db, h.clock, DemoPeople(admin=(ADMIN_ID, "Мария")))
    records = [await h.app.services.requests.find(i) for i in town.request_ids]
    [extended] = [r for r in records if r.extended]
    assert extended.extension_reason and extended.status == "in_work"
    [inbox] = await maria.send("/inbox")
    due = h.app.services.requests.local_date(extended.due_at)
    assert f"срок продлён до {due}" in inbox.text


async def _requests_csv(person: Person, what: str, this_year: str) -> list[list[str]]:
    import csv
    import io

    await person.send("/export")
    await person.press(what)
    await person.press(this_year)
    [sent] = await person.press("CSV")
    assert sent.file is not None
    return list(csv.reader(io.StringIO(sent.file[1].decode("utf-8-sig")), delimiter=";"))


async def test_the_requests_export_shows_the_extension(harness: Harness) -> None:
    """The export says, as the card does, that a term was extended, to when and why."""
    from bot.services.requests import ExtensionDraft

    h = harness
    h.clock.set(OPENED)
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    clerk = await h.consented(h.user("Clerk", language_code="en"))
    await h.app.services.staff.add(ADMIN_ID, clerk.id)
    anna = await h.consented(h.user("Анна"))
    extended = await submit(h, anna)
    await submit(h, anna)  # not extended
    await h.app.services.requests.extend(
        ADMIN_ID, ExtensionDraft(request_id=extended, days=10, reason=REASON)
    )
    ru = await _requests_csv(maria, "Обращения", "Этот год")
    assert ru[0][7:10] == ["Срок ответа", "Срок продлён до", "Причина продления"]
    assert ru[1][7:10] == ["06.01.2027", "06.01.2027", REASON]
    assert ru[2][7:10] == ["27.12.2026", "", ""]
    en = await _requests_csv(clerk, "Support requests", "This year")
    assert en[0][7:10] == ["Due", "Term extended to", "Why extended"]
    assert en[1][8:10] == ["06.01.2027", REASON]
