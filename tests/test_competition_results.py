"""Competition results in public: staff record the results, read a preview and announce the
winners once to everyone the opening went to; applicants who did not win hear it privately
first (their notices are queued before the announcement); /competitions shows the finished
competition with its winners. Residents and forged buttons never announce anything."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.competitions import RESULT_LOSE, RESULTS_PUBLIC
from bot.services.errors import DomainError, NotAllowed
from handlers.competition_cards import CompetitionStaffButton, StaffAction
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running
from tests.test_competitions import DEADLINE, app, civic_map, create, texts


async def outbox_rows(h: Harness) -> list[tuple[int, int, str]]:
    """(id, chat, template) of every queued message, in the order the sender takes them."""
    async with h.app.db.transaction() as uow:
        rows = await uow.outbox._db.fetch_all(  # type: ignore[attr-defined]
            "SELECT id, chat_id, template FROM outbox ORDER BY not_before, id"
        )
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]


async def three_applications(h: Harness, p: dict[str, Person]) -> tuple[int, list[int]]:
    """A competition for TOS and NGOs with applications from the South, the North and the
    NGO; returns its id and the applications' ids (south, north, ngo)."""
    cid = await create(h, eligible=("tos", "ngo"))
    services, registry = h.app.services.competitions, h.app.services.registry
    ids = []
    for person, kind, project in (
        (p["ivan"], "tos", "Сквер у школы"),
        (p["petr"], "tos", "Детская площадка"),
        (p["olga"], "org", "Книга памяти"),
    ):
        body = (await registry.roles_of(person.id))[0].body_id
        ids.append((await services.register(person.id, cid, app(kind, body, project))).id)
    return cid, ids


async def test_results_announced_after_the_private_notices(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        maria, ivan, petr, olga, anna = p["maria"], p["ivan"], p["petr"], p["olga"], p["anna"]
        cid, (south, north, ngo) = await three_applications(h, p)
        services = h.app.services.competitions

        # Before the deadline the card offers nothing to announce, and the service refuses.
        await maria.send("/competitions")
        [card] = await maria.press("Городской конкурс ТОС")
        assert "📣 Объявить итоги" not in card.flat_buttons
        with pytest.raises(DomainError, match="Applications are open until"):
            await services.results_preview(ADMIN_ID, cid)

        # After the deadline: the South wins, through the buttons; the button to announce
        # comes with the saved result, and its preview says what is still missing.
        h.clock.set(DEADLINE + timedelta(hours=1))
        await maria.send("/competitions")
        await maria.press("Городской конкурс ТОС")
        await maria.press("📋 Заявки")
        await maria.press("🏅 Итог: ТОС «Южный»")
        await maria.press("🎉 Победитель")
        [saved] = await maria.send("200 000")
        assert "📣 Объявить итоги" in saved.flat_buttons
        assert await maria.press("📣 Объявить итоги") == []
        assert maria.last_answer["show_alert"]
        assert "Итог есть не у всех заявок" in maria.last_answer["text"]

        # The North does not win (its chair is told at once); the NGO wins too.
        await maria.send("/competitions")
        await maria.press("Городской конкурс ТОС")
        await maria.press("📋 Заявки")
        await maria.press("🏅 Итог: ТОС «Северный»")
        [lost] = await maria.press("Не победитель")
        assert "📣 Объявить итоги" in lost.flat_buttons
        await services.record_result(ADMIN_ID, ngo, True, 50_000)

        # A new deputy of the North since the result was recorded: told privately when the
        # results are announced, before the announcement itself.
        vera = await h.consented(h.user("Вера"))
        north_id = (await h.app.services.registry.roles_of(petr.id))[0].body_id
        async with h.app.db.transaction() as uow:
            await uow.registry.grant(vera.id, "tos", north_id, "deputy", ADMIN_ID, h.clock.now())

        # The preview: the announcement as it will read, whom it goes to, and who heard first.
        [preview] = await maria.press("📣 Объявить итоги", on=lost)
        assert "<b>Объявление итогов</b>" in preview.text
        assert "🏁 Конкурс «Городской конкурс ТОС» (Администрация): подведены итоги." in preview
        assert "🎉 «ТОС „Южный“»: «Сквер у школы», 200\u00a0000 ₽" in preview.text
        assert "🎉 «Совет ветеранов»: «Книга памяти», 50\u00a0000 ₽" in preview.text
        assert preview.text.index("Южный") < preview.text.index("Совет ветеранов")  # most first
        assert "Детская площадка" not in preview.text
        assert "Его получат 5 человек" in preview.text  # the TOS' 2 chairs and 2 deputies, Olga
        assert "1 заявка не победила: заявители первыми узнают итог лично." in preview
        before = await outbox_rows(h)

        [done, shown] = await maria.press("📣 Объявить всем")
        assert done.text == "Итоги объявлены: их получат 5 человек. Ход рассылки: /outbox"
        assert "🏁 <b>Городской конкурс ТОС</b>" in shown.text and "Победители:" in shown.text
        assert "📣 Объявить итоги" not in shown.flat_buttons
        assert "✏️ Изменить" not in shown.flat_buttons  # finished: closed
        found = await h.app.db.read.competitions.get(cid)
        assert found is not None and found.finished and found.status == "closed"

        # The order in the outbox: each private notice before the announcement to that person.
        rows = await outbox_rows(h)
        new = rows[len(before) :]
        public = {chat: row_id for row_id, chat, template in new if template == RESULTS_PUBLIC}
        assert set(public) == {ivan.id, petr.id, p["john"].id, olga.id, vera.id}
        told = [(row_id, chat) for row_id, chat, template in rows if template == RESULT_LOSE]
        assert {chat for _id, chat in told} == {petr.id, p["john"].id, vera.id}
        for row_id, chat in told:
            assert row_id < public[chat]
        [vera_told] = [row_id for row_id, chat in told if chat == vera.id]
        assert vera_told > before[-1][0]  # queued by the announcement, in its unit of work

        # Delivered: the loser's chair reads the private word first, then the winners.
        await h.deliver()
        petr_texts = [s.text for s in petr.inbox]
        private = next(i for i, t in enumerate(petr_texts) if "не победила" in t)
        announced = next(i for i, t in enumerate(petr_texts) if "подведены итоги" in t)
        assert private < announced
        assert texts(p["john"], "the results are in")  # the deputy, in English
        for nobody in (anna, p["gleb"], maria):  # a resident, a group not eligible, staff
            assert not [t for t in texts(nobody, "подведены итоги") if t.startswith("🏁")]

        # Announcing twice: refused, nothing more queued; recording a result too.
        count = len(await outbox_rows(h))
        await maria.press(
            "x", data=CompetitionStaffButton(action=StaffAction.PUBLISH, id=cid).pack()
        )
        assert maria.last_answer["show_alert"]
        assert "Эти итоги уже объявлены" in maria.last_answer["text"]
        with pytest.raises(DomainError, match="already announced"):
            await services.announce_results(ADMIN_ID, cid)
        with pytest.raises(DomainError, match="already announced"):
            await services.record_result(ADMIN_ID, north, True, 1)
        for action in (StaffAction.RESULT, StaffAction.WIN, StaffAction.LOSE):
            await maria.press("x", data=CompetitionStaffButton(action=action, id=north).pack())
            assert maria.last_answer["text"] == "Итоги уже объявлены, изменить их нельзя."
        assert len(await outbox_rows(h)) == count

        # /competitions: the finished competition with its winners, for anyone.
        [listing] = await anna.send("/competitions")
        assert "<b>Завершённые</b>" in listing.text
        assert "🏁 <b>Городской конкурс ТОС</b> — итоги от" in listing.text
        [finished] = await anna.press("🏁 Городской конкурс ТОС")
        assert "✅ Конкурс завершён: итоги объявлены" in finished.text
        assert "🎉 «ТОС „Южный“»: «Сквер у школы», 200\u00a0000 ₽" in finished.text
        assert "Детская площадка" not in finished.text
        assert not finished.flat_buttons
        assert south


async def test_results_in_english_and_what_is_refused(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ADMIN_ID + 1})) as h:
        p = await civic_map(h)
        mary = await h.consented(h.user("Mary", user_id=ADMIN_ID + 1, language_code="en"))
        john = p["john"]
        services = h.app.services.competitions

        # A competition without applications: nothing to announce.
        empty = await create(h, eligible=("tos",), deadline=DEADLINE - timedelta(days=1))
        h.clock.set(DEADLINE + timedelta(hours=1))
        await mary.send("/competitions")
        await mary.press("Городской конкурс ТОС")
        assert await mary.press("📣 Announce the results") == []
        assert mary.last_answer["show_alert"]
        assert mary.last_answer["text"] == (
            "The competition has no applications: no results to announce."
        )
        assert empty

        # One with applications but no results recorded.
        h.clock.set(DEADLINE - timedelta(days=10))
        cid, (south, north, ngo) = await three_applications(h, p)
        h.clock.set(DEADLINE + timedelta(hours=2))
        to_preview = CompetitionStaffButton(action=StaffAction.RESULTS, id=cid).pack()
        await mary.press("x", data=to_preview)
        assert "Not every application has a result yet" in mary.last_answer["text"]
        # All decided, but nobody won.
        for application in (south, north, ngo):
            await services.record_result(ADMIN_ID, application, False, None)
        await mary.press("x", data=to_preview)
        assert mary.last_answer["text"] == (
            "No application is recorded as a winner: no winners to announce."
        )
        await services.record_result(ADMIN_ID, north, True, 75_000)

        [preview] = await mary.press("x", data=to_preview)
        assert "<b>The announcement of the results</b> (a preview):" in preview.text
        assert "🎉 «ТОС „Северный“»: «Детская площадка», 75,000 ₽" in preview.text
        assert "It goes to 4 people" in preview.text  # ivan, petr, john, olga
        assert "The applicants of 2 applications that did not win hear it privately" in preview
        [done, _card] = await mary.press("📣 Announce to everyone eligible")
        assert done.text == "The results are announced: they go to 4 people. Progress: /outbox"
        # The same preview's button pressed again, and a double press at the service.
        await mary.press(
            "x", data=CompetitionStaffButton(action=StaffAction.PUBLISH, id=cid).pack()
        )
        assert mary.last_answer["text"].startswith("These results were already announced on")
        await h.deliver()
        [public] = texts(john, "the results are in")
        assert public.startswith("🏁 Competition «Городской конкурс ТОС» (Администрация)")
        assert "🎉 «ТОС „Северный“»: «Детская площадка», 75,000 ₽" in public
        assert len(texts(p["ivan"], "подведены итоги")) == 1

        [listing] = await john.send("/competitions")
        assert "<b>Finished</b>" in listing.text
        [card] = await john.press("🏁 Городской конкурс ТОС")
        assert "✅ Finished: the results were announced on" in card.text
        assert "Winners:" in card.text and "Детская площадка" in card.text

        # The outbox names the broadcast by the competition, never by an id.
        [outbox] = await mary.send("/outbox")
        assert "the results of «Городской конкурс ТОС» to everyone eligible" in outbox.text


async def test_a_resident_never_announces(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        anna, ivan = p["anna"], p["ivan"]
        cid, (south, north, ngo) = await three_applications(h, p)
        h.clock.set(DEADLINE + timedelta(hours=1))
        services = h.app.services.competitions
        for application, won in ((south, True), (north, False), (ngo, False)):
            await services.record_result(ADMIN_ID, application, won, 10 if won else None)
        before = len(await outbox_rows(h))
        for person in (anna, ivan):  # a resident, a chair who won
            for action in (StaffAction.RESULTS, StaffAction.PUBLISH):
                forged = CompetitionStaffButton(action=action, id=cid).pack()
                assert await person.press("x", data=forged) == []
                assert person.last_answer["show_alert"]
                assert "только специалистам" in person.last_answer["text"]
            with pytest.raises(NotAllowed):
                await services.announce_results(person.id, cid)
            with pytest.raises(NotAllowed):
                await services.results_preview(person.id, cid)
        found = await h.app.db.read.competitions.get(cid)
        assert found is not None and not found.finished
        assert len(await outbox_rows(h)) == before


def test_forged_results_buttons(tmp_path: Path) -> None:
    """Any callback data under the results' prefix, pressed by a resident or staff: a
    polite answer; a resident's never announces, staff's announce only a competition that
    is ready, and once."""
    from hypothesis import given
    from hypothesis import strategies as st

    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start())
    try:
        p = loop.run_until_complete(civic_map(h))
        maria, anna = p["maria"], p["anna"]
        cid, apps = loop.run_until_complete(three_applications(h, p))
        h.clock.set(DEADLINE + timedelta(hours=1))
        services = h.app.services.competitions
        for application, won in zip(apps, (True, False, False), strict=True):
            loop.run_until_complete(
                services.record_result(ADMIN_ID, application, won, 10 if won else None)
            )
        ids = st.one_of(
            st.sampled_from([cid, cid + 1, 0, -1, apps[0]]),
            st.integers(),
        ).map(str)
        junk = st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz:-_ ", max_size=20)
        actions = st.sampled_from(["results", "publish", "", "publis", "RESULTS"])
        data = st.builds(
            lambda action, id_, page, field: f"compstaff:{action}:{id_}:{page}:{field}",
            actions,
            st.one_of(ids, junk),
            st.one_of(st.sampled_from(["0", "1"]), junk),
            st.one_of(st.just(""), junk),
        )

        @given(data=data, staff=st.booleans())
        def press(data: str, staff: bool) -> None:
            person = maria if staff else anna
            raw = data.encode()[:64].decode(errors="ignore")
            before = len(h.session.callback_answers)
            announced = loop.run_until_complete(h.app.db.read.competitions.get(cid))
            assert announced is not None
            loop.run_until_complete(person.press("x", data=raw))
            answers = h.session.callback_answers[before:]
            assert answers, raw  # every press is answered
            found = loop.run_until_complete(h.app.db.read.competitions.get(cid))
            assert found is not None
            if not staff:
                assert found.results_announced_at == announced.results_announced_at
                if raw.startswith(("compstaff:results:", "compstaff:publish:")):
                    assert "только специалистам" in answers[-1]["text"] or answers[-1][
                        "text"
                    ].startswith("Эта кнопка устарела"), answers

        press()
        rows = loop.run_until_complete(outbox_rows(h))
        publics = [chat for _id, chat, template in rows if template == RESULTS_PUBLIC]
        assert len(publics) == len(set(publics))  # once each, whatever was pressed
        found = loop.run_until_complete(h.app.db.read.competitions.get(cid))
        assert found is not None and found.finished == bool(publics)
    finally:
        loop.run_until_complete(h.close())
        loop.close()


async def _winner_figures(h: Harness, lang: str) -> dict[str, str]:
    """The open data's figures of competitions: (indicator, competition) -> value."""
    import csv
    import io

    from bot.reporting import open_data
    from bot.services.open_data import OpenDataService

    services = h.app.services
    data = await OpenDataService(
        h.app.db, h.clock, services.initiatives, services.reports, timezone=h.app.settings.timezone
    ).gather(2026)
    with h.app.i18n.context(), h.app.i18n.use_locale(lang):
        written = open_data.files(data)
    rows = csv.DictReader(
        io.StringIO(written["figures-2026.csv"].decode("utf-8-sig")), delimiter=";"
    )
    return {
        f"{r['indicator']}:{r['group_name']}": r["value"]
        for r in rows
        if r["indicator"].startswith("competition_")
    }


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_open_data_has_the_winners_once_announced(tmp_path: Path, lang: str) -> None:
    """Open data holds what the bot already shows to everyone: a competition's winners and
    sums only once the results are announced (before that only the applicants know)."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        cid, (south, north, ngo) = await three_applications(h, p)
        services = h.app.services.competitions
        h.clock.set(DEADLINE + timedelta(hours=1))
        await services.record_result(ADMIN_ID, south, True, 200_000)
        await services.record_result(ADMIN_ID, north, False, None)
        await services.record_result(ADMIN_ID, ngo, True, 50_000)
        title = "Городской конкурс ТОС"
        before = await _winner_figures(h, lang)
        assert before == {f"competition_applications:{title}": "3"}
        await services.announce_results(ADMIN_ID, cid)
        after = await _winner_figures(h, lang)
        assert after == {
            f"competition_applications:{title}": "3",
            f"competition_winners:{title}": "2",
            f"competition_awarded:{title}": "250000",
        }
