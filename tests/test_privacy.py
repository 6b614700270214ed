"""What a withdrawal of consent gives back, and what staff see when names are kept from them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.services.requests import RequestDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running


async def withdraw(person: Person) -> None:
    await person.send("/privacy")
    await person.press(next(b for b in person.last.flat_buttons if "тозвать" in b))
    await person.press(next(b for b in person.last.flat_buttons if b.startswith("Да")))


async def test_a_withdrawal_gives_the_event_place_to_the_waiting_list(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    boris = await h.consented(h.user("Борис"))
    now = h.clock.now()
    async with h.app.db.transaction() as uow:
        event_id = await uow.events.create(
            {
                "title": "Субботник",
                "starts_at": now + timedelta(days=2),
                "ends_at": now + timedelta(days=2, hours=2),
                "place": "Сквер",
                "organiser": "ТОС",
                "joint": 0,
                "capacity": 1,
                "owner_kind": "town",
                "owner_id": 0,
            },
            ADMIN_ID,
            now,
        )
    assert await h.app.services.events.sign_up(anna.id, event_id) == "going"
    assert await h.app.services.events.sign_up(boris.id, event_id) == "waiting"

    await withdraw(anna)
    assert await h.app.db.read.events.signup_status(event_id, anna.id) is None
    assert await h.app.db.read.events.signup_status(event_id, boris.id) == "going"
    await h.deliver()
    assert "Субботник" in boris.last.text and "/events" in boris.last.text


async def test_outbox_failures_hide_names_when_the_town_says_so(tmp_path: Path) -> None:
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_sees_personal_data=False
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна", last_name="Секретова", username="anna_s"))
        await h.app.services.requests.submit(
            anna.id,
            RequestDraft(kind="consultation", description="Нужна консультация, пожалуйста."),
        )
        h.session.blocked.add(anna.id)
        await h.app.services.requests.answer(ADMIN_ID, 1, "Вот ответ.", None)
        await h.deliver()
        [overview] = await maria.send("/outbox")
        assert "житель (имя скрыто настройками конфиденциальности)" in overview.text
        assert "Секретова" not in overview.text and "anna_s" not in overview.text
