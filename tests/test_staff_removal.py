"""Someone removed from the staff gets no more staff mail: no card edits, no case messages."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ADMIN_ID
from tests.kit import running
from tests.test_requests import consultation

CLERK = 7


async def test_removed_staff_hear_nothing_more_of_a_case(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan = await h.consented(h.user("Иван", user_id=CLERK))
        await h.app.services.staff.add(ADMIN_ID, CLERK)
        anna = await h.consented(h.user("Анна", last_name="Секретова"))
        await consultation(anna)
        await h.deliver()
        assert any("Обращение" in s.text for s in ivan.inbox), "staff get the card"
        before = len(ivan.inbox)

        await h.app.services.staff.remove(ADMIN_ID, CLERK)
        await anna.send("/my")
        await anna.press(next(b for b in anna.last.flat_buttons if "З-2026-0001" in b))
        await anna.press(next(b for b in anna.last.flat_buttons if "Написать" in b))
        await anna.send("Мой адрес: ул. Ленина 5, кв 3")
        await h.deliver()
        assert "ул. Ленина 5" in "".join(s.text for s in maria.inbox)
        assert len(ivan.inbox) == before, [s.text for s in ivan.inbox[before:]]
        assert not any("Секретова" in s.text for s in ivan.inbox[before:])


async def test_a_card_queued_before_removal_is_not_sent_after(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan = await h.consented(h.user("Иван", user_id=CLERK))
        await h.app.services.staff.add(ADMIN_ID, CLERK)
        await h.deliver()
        before = len(ivan.inbox)
        anna = await h.consented(h.user("Анна"))
        await consultation(anna)  # the card to Ivan is queued...
        await h.app.services.staff.remove(ADMIN_ID, CLERK)  # ...and he is removed before it goes
        await h.deliver()
        assert len(ivan.inbox) == before
        counts = await h.app.db.read.outbox.counts()
        assert counts.get("skipped", 0) >= 1


async def test_outbox_says_why_a_card_was_not_sent(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await h.consented(h.user("Иван", user_id=CLERK))
        await h.app.services.staff.add(ADMIN_ID, CLERK)
        await h.deliver()
        await consultation(await h.consented(h.user("Анна")))
        await h.app.services.staff.remove(ADMIN_ID, CLERK)
        await h.deliver()
        [overview] = await maria.send("/outbox")
        assert "Иван — больше не в списке специалистов, не отправлено" in overview.text
        assert "заблокировал" not in overview.text
