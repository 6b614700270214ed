"""Competitions: announced to eligible chairs only, reminded at each offset until their body
applies, an application, results; a moved deadline; a restart over a reminder's time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.competitions import ApplicationDraft, CompetitionDraft
from bot.services.errors import DomainError, NotAllowed
from handlers.competition_cards import (
    CompetitionAction,
    CompetitionButton,
    CompetitionStaffButton,
    StaffAction,
)
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running

# The harness clock starts at 2026-11-27 03:00 UTC, 10:00 in Novosibirsk (UTC+7).
DEADLINE = datetime(2026, 12, 27, 11, 0, tzinfo=UTC)  # 27.12.2026 18:00 in Novosibirsk


async def civic_map(h: Harness) -> dict[str, Person]:
    """Two TOS with chairs, an NGO and an initiative group with representatives, a resident."""
    people = {
        "maria": await h.consented(h.user("Мария", user_id=ADMIN_ID)),
        "ivan": await h.consented(h.user("Иван")),
        "petr": await h.consented(h.user("Пётр")),
        "olga": await h.consented(h.user("Ольга")),
        "gleb": await h.consented(h.user("Глеб")),
        "anna": await h.consented(h.user("Анна")),
        "john": await h.consented(h.user("John", language_code="en")),
    }
    now = h.clock.now()
    async with h.app.db.transaction() as uow:
        south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok-south", now)
        north = await uow.registry.add_tos({"name": "ТОС «Северный»"}, "tok-north", now)
        ngo = await uow.registry.add_org({"name": "Совет ветеранов", "kind": "ngo"}, now)
        group = await uow.registry.add_org({"name": "Клуб «Бодрость»", "kind": "group"}, now)
        await uow.registry.grant(people["ivan"].id, "tos", south, "chair", ADMIN_ID, now)
        await uow.registry.grant(people["petr"].id, "tos", north, "chair", ADMIN_ID, now)
        await uow.registry.grant(people["john"].id, "tos", north, "deputy", ADMIN_ID, now)
        await uow.registry.grant(people["olga"].id, "org", ngo, "rep", ADMIN_ID, now)
        await uow.registry.grant(people["gleb"].id, "org", group, "rep", ADMIN_ID, now)
    return people


def app(
    kind: str, body: int, project: str, direction: str = "memorials", amount: int = 10
) -> ApplicationDraft:
    return ApplicationDraft(kind, body, project, direction, amount)


def texts(person: Person, fragment: str) -> list[str]:
    return [s.text for s in person.inbox if fragment in s.text]


async def tick(h: Harness) -> None:
    await h.app.reminders()
    await h.deliver()


async def create(
    h: Harness, eligible: tuple[str, ...] = ("tos",), deadline: datetime = DEADLINE
) -> int:
    c = await h.app.services.competitions.create(
        ADMIN_ID,
        CompetitionDraft(
            title="Городской конкурс ТОС",
            organiser="Администрация",
            description="Проекты ТОС",
            eligible=eligible,
            deadline=deadline,
        ),
    )
    await h.deliver()
    return c.id


async def test_announce_remind_apply_results(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        maria, ivan, petr = p["maria"], p["ivan"], p["petr"]

        # Staff announce it in the bot; bad times get a clear answer and an example.
        await maria.send("/competitions")
        await maria.press("➕ Новый конкурс")
        await maria.send("Городской конкурс социально значимых проектов ТОС")
        await maria.send("Администрация города")
        [short] = await maria.send("Гранты")
        assert "от 10 до 2000 символов" in short.text
        await maria.send("Гранты на благоустройство дворов и памятные места")
        await maria.press("ТОС")
        assert "✅ ТОС" in maria.edits[-1].buttons[0][0]
        await maria.press("Готово")
        await maria.press("Сейчас")
        [bad] = await maria.send("в пятницу вечером")
        assert "«25.12.2026 18:00», «25.12 18:00» или «завтра 18:00»" in bad.text
        [past] = await maria.send("01.11.2026 18:00")
        assert past.text == "Этот срок уже прошёл. Выберите более позднее время."
        await maria.send("27.12.2026 18:00")
        [early] = await maria.send("20.12.2026 12:00")
        assert early.text == "Итоги не могут быть раньше окончания приёма заявок."
        await maria.press("Пропустить")
        [not_url] = await maria.send("положение на сайте")
        assert "https://" in not_url.text
        await maria.send("https://example.ru/rules?a=1&b=2")
        [preview] = await maria.send("300 000")
        assert "до <b>27.12.2026 18:00</b>" in preview.text and "300\u00a0000 ₽" in preview.text
        assert "a=1&amp;b=2" in preview.text
        [done] = await maria.press("📣 Объявить")
        assert "объявлен" in done.text
        await h.deliver()

        # Only the chairs and deputies of TOS hear of it; the NGO, the group, residents do not.
        assert len(texts(ivan, "Новый конкурс")) == 1
        assert len(texts(petr, "Новый конкурс")) == 1
        assert texts(p["john"], "A new competition: <b>Городской конкурс")
        for other in (p["olga"], p["gleb"], p["anna"]):
            assert not texts(other, "Новый конкурс"), other.user.first_name

        # Nothing before the first offset; at 14 days both TOS are reminded, once.
        h.clock.set(DEADLINE - timedelta(days=14, minutes=1))
        await tick(h)
        assert not texts(ivan, "ещё нет заявки")
        h.clock.set(DEADLINE - timedelta(days=14) + timedelta(seconds=30))
        await tick(h)
        await tick(h)
        [reminder] = texts(ivan, "ещё нет заявки")
        assert "От «ТОС „Южный“» ещё нет заявки" in reminder and "до конца — 14 дней." in reminder
        assert len(texts(petr, "ещё нет заявки")) == 1
        assert texts(p["john"], "has not registered an application")  # the deputy, in English

        # Ivan registers the application; a typed direction works like the button.
        await ivan.send("/competitions")
        assert "до конца — 14 дней" in ivan.last.text
        await ivan.press("Городской конкурс социально значимых проектов ТОС")
        await ivan.press("📝 Подать заявку от «ТОС „Южный“»")
        await ivan.send("Сквер у школы")
        await ivan.send("благоустройство и озеленение")
        [bad_amount] = await ivan.send("много")
        assert "целым числом" in bad_amount.text
        [too_much] = await ivan.send("500000")  # the maximum grant is checked at its step
        assert too_much.text == "Максимальный размер гранта в этом конкурсе — 300\u00a0000 ₽."
        await ivan.send("250 000")
        [registered] = await ivan.press("✅ Зарегистрировать заявку")
        assert "зарегистрирована" in registered.text

        # 7, 3 and 1 days: the North is reminded each time, the South (applied) never again.
        for days in (7, 3, 1):
            h.clock.set(DEADLINE - timedelta(days=days) + timedelta(seconds=20))
            await tick(h)
        assert len(texts(ivan, "ещё нет заявки")) == 1
        north = texts(petr, "ещё нет заявки")
        assert len(north) == 4 and "до конца — 1 день." in north[-1]

        # After the deadline: no withdrawing; staff record the result, the chair hears it.
        h.clock.set(DEADLINE + timedelta(hours=1))
        await tick(h)
        assert len(texts(petr, "ещё нет заявки")) == 4
        await ivan.send("/competitions")
        assert "Сейчас открытых конкурсов нет" in ivan.last.text
        await maria.send("/competitions")
        await maria.press("Городской конкурс социально значимых проектов ТОС")
        await maria.press("📋 Заявки")
        assert "ТОС «Южный»: «Сквер у школы» (Благоустройство и озеленение), 250\u00a0000 ₽" in (
            maria.last.text
        )
        await maria.press("🏅 Итог: ТОС «Южный»")
        await maria.press("🎉 Победитель")
        [saved] = await maria.send("200000")
        assert "🎉 победитель 200\u00a0000 ₽" in saved.text
        await h.deliver()
        [won] = texts(ivan, "победила")
        assert "Сумма гранта: 200\u00a0000 ₽" in won  # written as the reader's language does
        assert not texts(petr, "победила")


async def test_moved_deadline_makes_new_rounds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        cid = await create(h, deadline=DEADLINE)
        # The 14-day round is queued but not yet delivered when staff move the deadline.
        h.clock.set(DEADLINE - timedelta(days=14) + timedelta(seconds=10))
        await h.app.reminders()
        maria = p["maria"]
        await maria.send("/competitions")
        await maria.press("Городской конкурс ТОС")
        await maria.press("📅 Изменить срок")
        [bad] = await maria.send("завтра")
        assert "не получилось понять время" in bad.text.lower()
        new_deadline = DEADLINE + timedelta(days=10)
        await maria.send("06.01.2027 18:00")
        await h.deliver()
        # Told of the new deadline; the stale reminder never goes out.
        assert texts(p["ivan"], "теперь до 06.01.2027 18:00")
        assert not texts(p["ivan"], "ещё нет заявки")
        stored = await h.app.db.read.competitions.get(cid)
        assert stored is not None and stored.deadline == new_deadline
        # The old 7-day time passes quietly; the new one reminds, once.
        h.clock.set(DEADLINE - timedelta(days=7) + timedelta(seconds=10))
        await tick(h)
        assert not texts(p["ivan"], "ещё нет заявки")
        h.clock.set(new_deadline - timedelta(days=7) + timedelta(seconds=10))
        await tick(h)
        await tick(h)
        [reminder] = texts(p["ivan"], "ещё нет заявки")
        assert "до 06.01.2027 18:00, до конца — 7 дней." in reminder
        # A deadline moved into the past is refused.
        with pytest.raises(DomainError):
            await h.app.services.competitions.update(ADMIN_ID, cid, {"deadline": h.clock.now()})


async def test_restart_over_a_reminder(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        await create(h)
        # The bot is down across both the 14- and the 7-day marks: on start, the latest round
        # goes out once and the overtaken one is dropped with a log line.
        h.clock.set(DEADLINE - timedelta(days=6))
        with caplog.at_level(logging.INFO, logger="bot.services.reminders"):
            await h.restart()
        await h.deliver()
        [reminder] = texts(p["ivan"], "ещё нет заявки")
        assert "до конца — 6 дней." in reminder
        assert any("dropped: a later reminder replaces it" in r.message for r in caplog.records)
        await h.restart()
        await tick(h)
        assert len(texts(p["ivan"], "ещё нет заявки")) == 1
        # Down across the last round and the deadline: nothing is sent, the drop is logged.
        caplog.clear()
        h.clock.set(DEADLINE + timedelta(hours=2))
        with caplog.at_level(logging.INFO, logger="bot.services.reminders"):
            await h.restart()
        await h.deliver()
        assert len(texts(p["ivan"], "ещё нет заявки")) == 1
        assert any("dropped: its time has passed" in r.message for r in caplog.records)


async def test_eligibility_and_access(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        cid = await create(h, eligible=("ngo",))
        # NGOs only: the NGO's rep hears of it, chairs and the initiative group do not.
        assert texts(p["olga"], "Новый конкурс")
        assert not texts(p["ivan"], "Новый конкурс") and not texts(p["gleb"], "Новый конкурс")
        services = h.app.services.competitions
        south = (await h.app.services.registry.roles_of(p["ivan"].id))[0].body_id
        ngo = (await h.app.services.registry.roles_of(p["olga"].id))[0].body_id
        draft = ApplicationDraft("tos", south, "Проект", "sport", 1000)
        with pytest.raises(DomainError, match="may not apply"):
            await services.register(p["ivan"].id, cid, draft)
        # Someone else's body: refused whoever they are.
        with pytest.raises(NotAllowed):
            await services.register(p["anna"].id, cid, app("org", ngo, "Проект", "sport", 1000))
        first = await services.register(p["olga"].id, cid, app("org", ngo, "Память"))
        with pytest.raises(DomainError, match="already registered"):
            await services.register(p["olga"].id, cid, app("org", ngo, "Ещё", "memorials", 5000))
        # Withdrawn before the deadline, registered again; after the deadline neither.
        await services.withdraw(p["olga"].id, first.id)
        again = await services.register(p["olga"].id, cid, app("org", ngo, "Ещё", "memorials", 10))
        h.clock.set(DEADLINE + timedelta(minutes=1))
        with pytest.raises(DomainError, match="deadline has passed"):
            await services.withdraw(p["olga"].id, again.id)
        with pytest.raises(DomainError, match="deadline has passed"):
            await services.register(p["olga"].id, cid, app("org", ngo, "Поздно", "memorials", 10))

        # A resident never reaches staff actions, by command or by a forged button.
        anna = p["anna"]
        await anna.send("/competitions")
        assert "➕ Новый конкурс" not in anna.last.flat_buttons
        await anna.press("x", data=CompetitionStaffButton(action=StaffAction.NEW).pack())
        assert anna.last_answer["show_alert"] and "только специалистам" in anna.last_answer["text"]
        await anna.press(
            "x", data=CompetitionStaffButton(action=StaffAction.WIN, id=again.id).pack()
        )
        assert anna.last_answer["show_alert"]
        for forged in (
            CompetitionStaffButton(action=StaffAction.LOSE, id=again.id),
            CompetitionStaffButton(action=StaffAction.CLOSE, id=cid),
            CompetitionStaffButton(action=StaffAction.APPLICATIONS, id=cid),
        ):
            before = len(anna.inbox)
            assert await anna.press("x", data=forged.pack()) == []
            assert len(anna.inbox) == before
            assert anna.last_answer["show_alert"]
            assert "только специалистам" in anna.last_answer["text"]
        found_app = await h.app.db.read.competitions.application(again.id)
        assert found_app is not None and found_app.result is None
        found = await h.app.db.read.competitions.get(cid)
        assert found is not None and found.status == "open"
        await h.deliver()
        assert not texts(p["olga"], "не победила")
        with pytest.raises(NotAllowed):
            await services.create(
                anna.id, CompetitionDraft(title="x", eligible=("tos",), deadline=DEADLINE)
            )
        await anna.press(
            "x",
            data=CompetitionButton(
                action=CompetitionAction.APPLY, id=cid, value=f"org-{ngo}"
            ).pack(),
        )
        assert "не могут участвовать" in anna.last_answer["text"]

        # In English: the list and the days left.
        john = p["john"]
        h.clock.set(DEADLINE - timedelta(days=3, hours=1))
        cid2 = await create(h, deadline=DEADLINE + timedelta(days=30))
        [listing] = await john.send("/competitions")
        assert "<b>Competitions</b>" in listing.text and "33 days 1 hour left" in listing.text
        assert texts(john, "🏆 A new competition: <b>Городской конкурс ТОС</b>")
        assert cid2 != cid


async def test_long_applications_list_is_paged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        cid = await create(h)
        now = h.clock.now()
        for i in range(18):
            chair = await h.consented(h.user(f"Председатель {i}"))
            async with h.app.db.transaction() as uow:
                tos = await uow.registry.add_tos({"name": f"ТОС №{i} " + "Я" * 150}, f"t{i}", now)
                await uow.registry.grant(chair.id, "tos", tos, "chair", ADMIN_ID, now)
            await h.app.services.competitions.register(
                chair.id, cid, app("tos", tos, f"{i:02}" + "П" * 198)
            )
        [page] = await maria.press(
            "x", data=CompetitionStaffButton(action=StaffAction.APPLICATIONS, id=cid).pack()
        )
        assert "Заявки на конкурс «Городской конкурс ТОС»</b> (1/2)" in page.text
        assert page.text.count("П…»") == 10 and "П" * 100 not in page.text
        results = [b for b in page.flat_buttons if b.startswith("🏅")]
        assert len(results) == 10 and "▶️" in page.flat_buttons
        [second] = await maria.press("▶️")
        assert "(2/2)" in second.text and second.text.count("П…»") == 8
        shown = {line.split("«")[1][:2] for line in (page.text + second.text).split("\n•")[1:]}
        assert shown == {f"{i:02}" for i in range(18)}
        assert len([b for b in second.flat_buttons if b.startswith("🏅")]) == 8
        assert "◀️" in second.flat_buttons and "▶️" not in second.flat_buttons
        # The full project name is shown when staff open one application.
        [one] = await maria.press(second.flat_buttons[0])
        assert "П" * 198 in one.text


async def test_long_competitions_list_is_split(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        anna = await h.consented(h.user("Анна"))
        for i in range(15):
            await h.app.services.competitions.create(
                ADMIN_ID,
                CompetitionDraft(
                    title=f"{i:02}" + "К" * 198,
                    organiser="О" * 200,
                    description="Проекты ТОС",
                    eligible=("tos",),
                    deadline=DEADLINE + timedelta(days=i),
                ),
            )
        sent = await anna.send("/competitions")
        text = "\n".join(s.text for s in sent)
        assert len(sent) > 1 and "что-то пошло не так" not in text
        assert all(f"{i:02}" + "К" * 198 in text for i in range(15))
        assert all(not s.buttons for s in sent[:-1]) and len(sent[-1].flat_buttons) == 15


async def test_not_yet_open_competition_hidden_from_residents(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        opens = h.clock.now() + timedelta(days=3)
        c = await h.app.services.competitions.create(
            ADMIN_ID,
            CompetitionDraft(
                title="Будущий конкурс",
                organiser="Администрация",
                description="Скоро приём",
                eligible=("tos",),
                opens_at=opens,
                deadline=DEADLINE,
            ),
        )
        forged = CompetitionButton(action=CompetitionAction.CARD, id=c.id).pack()
        for person in (p["anna"], p["ivan"]):
            before = len(person.inbox)
            await person.press("x", data=forged)
            assert person.last_answer["text"] == "Этого конкурса больше нет в боте."
            assert len(person.inbox) == before
        await p["john"].press("x", data=forged)
        assert p["john"].last_answer["text"] == "This competition is no longer in the bot."
        [card] = await p["maria"].press("x", data=forged)
        assert "Будущий конкурс" in card.text
        # Once it opens, residents see it.
        h.clock.set(opens + timedelta(minutes=1))
        [card] = await p["anna"].press("x", data=forged)
        assert "Будущий конкурс" in card.text


async def _edit(person: Person, field: str, edit: str = "✏️ Изменить") -> None:
    """From the competition's staff card (the last one shown): «Edit», then the field."""
    await person.press(edit)
    await person.press(field)


async def test_staff_edit_each_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        maria, ivan, olga, john = p["maria"], p["ivan"], p["olga"], p["john"]
        cid = await create(h, eligible=("tos", "ngo"))
        assert texts(olga, "Новый конкурс")

        async def stored():  # type: ignore[no-untyped-def]
            found = await h.app.db.read.competitions.get(cid)
            assert found is not None
            return found

        async def silent(before: int) -> None:
            await h.deliver()
            assert len(ivan.inbox) == before, ivan.inbox[-1].text

        [card] = await maria.press(
            "x", data=CompetitionButton(action=CompetitionAction.CARD, id=cid).pack()
        )
        [menu] = await maria.press("✏️ Изменить", on=card)
        # Applications are open already: their start is not offered.
        assert "✏️ Название" in menu.flat_buttons and "✏️ Максимальный грант" in menu.flat_buttons
        assert "✏️ Начало приёма заявок" not in menu.flat_buttons
        told = len(ivan.inbox)

        # Title, organiser, description: the form's limits, then saved silently.
        await maria.press("✏️ Название", on=menu)
        assert "Сейчас указано: Городской конкурс ТОС" in maria.last.text
        [bad] = await maria.send("Ой")
        assert bad.text == "Напишите, пожалуйста, от 3 до 200 символов."
        [saved, _card] = await maria.send("Конкурс «Память»")
        assert saved.text == "Сохранено." and "Конкурс «Память»" in _card.text
        assert (await stored()).title == "Конкурс «Память»"
        await _edit(maria, "✏️ Организатор")
        [bad] = await maria.send("А")
        assert bad.text == "Напишите, пожалуйста, от 2 до 200 символов."
        await maria.send("Фонд президентских грантов")
        assert (await stored()).organiser == "Фонд президентских грантов"
        await _edit(maria, "✏️ Описание")
        [bad] = await maria.send("Коротко")
        assert bad.text == "Напишите, пожалуйста, от 10 до 2000 символов."
        await maria.send("Ремонт памятников и мемориалов")
        assert (await stored()).description == "Ремонт памятников и мемориалов"

        # Who may apply, typed: a bad answer is refused, then TOS only.
        await _edit(maria, "✏️ Кто может участвовать")
        [bad] = await maria.send("все желающие")
        assert bad.text == "Нажмите кнопки или напишите, например, «ТОС, СО НКО»."
        await maria.send("ТОС")
        assert (await stored()).eligible == ("tos",)

        # The maximum grant: silent too.
        await _edit(maria, "✏️ Максимальный грант")
        [bad] = await maria.send("много")
        assert bad.text == "Напишите сумму в рублях целым числом, например 150000."
        await maria.send("500 000")
        assert (await stored()).max_grant == 500000
        await silent(told)

        # The results date: checked against the deadline; participants are told.
        await _edit(maria, "✏️ Дата итогов")
        [bad] = await maria.send("когда-нибудь")
        assert "«25.12.2026 18:00», «25.12 18:00» или «завтра 18:00»" in bad.text
        [early] = await maria.send("20.12.2026 12:00")
        assert early.text == "Итоги не могут быть раньше окончания приёма заявок."
        [saved, _card] = await maria.send("15.01 12:00")
        assert saved.text == "Сохранено, участникам отправлено сообщение."
        # The same date again changes nothing: nobody is told, and the staff are not told so.
        await _edit(maria, "✏️ Дата итогов")
        [saved, _card] = await maria.send("15.01.2027 12:00")
        assert saved.text == "Сохранено."
        await h.deliver()
        [news] = texts(ivan, "итоги теперь будут объявлены")
        assert news.startswith("📅 Конкурс «Конкурс „Память“»") and "15.01.2027 12:00" in news
        assert texts(john, "the results will now be announced on 15.01.2027 12:00")
        assert not texts(olga, "итоги")  # the NGOs may no longer apply
        assert not texts(p["gleb"], "итоги") and not texts(p["anna"], "итоги")

        # The rules link: checked as a link; participants are told.
        await _edit(maria, "✏️ Ссылка на положение")
        [bad] = await maria.send("положение на сайте")
        assert "https://" in bad.text and "Сохранено" not in bad.text
        await maria.send("https://example.ru/new-rules")
        await h.deliver()
        [rules] = texts(ivan, "положение изменилось")
        assert "https://example.ru/new-rules" in rules
        assert (await stored()).rules_url == "https://example.ru/new-rules"
        assert len(texts(ivan, "Новый конкурс")) == 1  # nothing announced again


async def test_edit_start_in_english_and_before_opening(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kate_id = ADMIN_ID + 1
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, kate_id})) as h:
        p = await civic_map(h)
        kate = await h.consented(h.user("Kate", user_id=kate_id, language_code="en"))
        opens = h.clock.now() + timedelta(days=3)
        c = await h.app.services.competitions.create(
            ADMIN_ID,
            CompetitionDraft(
                title="Future contest",
                organiser="Town hall",
                description="Coming soon",
                eligible=("tos",),
                opens_at=opens,
                deadline=DEADLINE,
            ),
        )
        await kate.press("x", data=CompetitionButton(action=CompetitionAction.CARD, id=c.id).pack())
        # A title in English: the form's limits, in English.
        await _edit(kate, "✏️ Title", edit="✏️ Edit")
        [bad] = await kate.send("ab")
        assert bad.text == "Please write 3 to 200 characters."
        [saved, _card] = await kate.send("Spring contest")
        assert saved.text == "Saved." and "Spring contest" in _card.text
        # The start, before it opened: after the deadline refused, then «Now» announces it once.
        await _edit(kate, "✏️ Start of applications", edit="✏️ Edit")
        [late] = await kate.send("31.12.2026 12:00")
        assert late.text == "The deadline must come after the start of applications."
        [bad] = await kate.send("someday")
        assert "«25.12.2026 18:00»" in bad.text
        await kate.press("Now")
        assert kate.inbox[-2].text == "Saved."
        await h.deliver()
        assert len(texts(p["ivan"], "Новый конкурс: <b>Spring contest")) == 1
        h.clock.set(opens + timedelta(minutes=1))  # the old start passes: not announced again
        await tick(h)
        assert len(texts(p["ivan"], "Новый конкурс")) == 1
        # Now open: its start is not offered, and a forged button is refused.
        await kate.press("x", data=CompetitionButton(action=CompetitionAction.CARD, id=c.id).pack())
        [menu] = await kate.press("✏️ Edit")
        assert "✏️ Start of applications" not in menu.flat_buttons
        await kate.press(
            "x",
            data=CompetitionStaffButton(action=StaffAction.FIELD, id=c.id, field="opens_at").pack(),
        )
        assert kate.last_answer["show_alert"]
        assert "already opened" in kate.last_answer["text"]
        # A typed start: «завтра 10:00» before it opens (a second competition).
        later = await h.app.services.competitions.create(
            ADMIN_ID,
            CompetitionDraft(
                title="Осенний конкурс",
                organiser="Администрация",
                description="Проекты ТОС",
                eligible=("tos",),
                opens_at=opens + timedelta(days=5),
                deadline=DEADLINE,
            ),
        )
        await p["maria"].press(
            "x", data=CompetitionButton(action=CompetitionAction.CARD, id=later.id).pack()
        )
        await _edit(p["maria"], "✏️ Начало приёма заявок")
        await p["maria"].send("завтра 10:00")
        found = await h.app.db.read.competitions.get(later.id)
        # 01.12.2026 10:00 in Novosibirsk
        assert found is not None and found.opens_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def test_edit_refused_to_non_staff_and_when_closed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        maria, anna, ivan = p["maria"], p["anna"], p["ivan"]
        cid = await create(h)
        [card] = await ivan.press(
            "x", data=CompetitionButton(action=CompetitionAction.CARD, id=cid).pack()
        )
        assert "✏️ Изменить" not in card.flat_buttons
        for forged in (
            CompetitionStaffButton(action=StaffAction.EDIT, id=cid),
            CompetitionStaffButton(action=StaffAction.FIELD, id=cid, field="title"),
        ):
            await anna.press("x", data=forged.pack())
            assert anna.last_answer["show_alert"]
            assert "только специалистам" in anna.last_answer["text"]
        before = len(anna.inbox)
        await anna.send("Чужое название")
        assert len(anna.inbox) == before + 1 and "Сохранено" not in anna.last.text
        with pytest.raises(NotAllowed):
            await h.app.services.competitions.update(anna.id, cid, {"title": "Чужое название"})
        found = await h.app.db.read.competitions.get(cid)
        assert found is not None and found.title == "Городской конкурс ТОС"

        # Staff start changing the title; the competition is closed meanwhile: refused.
        await maria.press("x", data=CompetitionButton(action=CompetitionAction.CARD, id=cid).pack())
        await _edit(maria, "✏️ Название")
        await h.app.services.competitions.close(ADMIN_ID, cid)
        [refused] = await maria.send("Новое название")
        assert refused.text == "Конкурс закрыт, изменить его нельзя."
        await maria.press("x", data=CompetitionStaffButton(action=StaffAction.EDIT, id=cid).pack())
        assert maria.last_answer["text"] == "Конкурс закрыт, изменить его нельзя."
        with pytest.raises(DomainError, match="closed"):
            await h.app.services.competitions.update(ADMIN_ID, cid, {"max_grant": 10})
        found = await h.app.db.read.competitions.get(cid)
        assert found is not None and found.title == "Городской конкурс ТОС"
        [card] = await maria.press(
            "x", data=CompetitionButton(action=CompetitionAction.CARD, id=cid).pack()
        )
        assert "✏️ Изменить" not in card.flat_buttons


async def test_narrowed_eligibility_stops_reminders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        maria, ivan, olga, gleb = p["maria"], p["ivan"], p["olga"], p["gleb"]
        cid = await create(h, eligible=("tos", "ngo"))
        # The 14-day round is queued, not yet delivered, when staff drop the NGOs (buttons).
        h.clock.set(DEADLINE - timedelta(days=14) + timedelta(seconds=10))
        await h.app.reminders()
        await maria.press("x", data=CompetitionButton(action=CompetitionAction.CARD, id=cid).pack())
        await _edit(maria, "✏️ Кто может участвовать")
        [ask] = maria.inbox[-1:]
        assert "✅ ТОС" in ask.flat_buttons and "✅ СО НКО" in ask.flat_buttons
        await maria.press("✅ СО НКО")
        await maria.press("Готово")
        assert maria.inbox[-2].text == "Сохранено."
        await h.deliver()
        assert len(texts(ivan, "ещё нет заявки")) == 1
        assert not texts(olga, "ещё нет заявки")
        # The next round: the TOS only.
        h.clock.set(DEADLINE - timedelta(days=7) + timedelta(seconds=10))
        await tick(h)
        assert len(texts(ivan, "ещё нет заявки")) == 2
        assert not texts(olga, "ещё нет заявки")
        # Widened to initiative groups: they are told it opened, once, and reminded later.
        await h.app.services.competitions.update(ADMIN_ID, cid, {"eligible": ("tos", "group")})
        await h.app.services.competitions.update(ADMIN_ID, cid, {"eligible": ("tos", "group")})
        await h.deliver()
        assert len(texts(gleb, "Новый конкурс")) == 1 and len(texts(ivan, "Новый конкурс")) == 1
        assert not texts(olga, "ещё нет заявки")
        h.clock.set(DEADLINE - timedelta(days=3) + timedelta(seconds=10))
        await tick(h)
        assert len(texts(gleb, "ещё нет заявки")) == 1
        assert not texts(olga, "ещё нет заявки")
