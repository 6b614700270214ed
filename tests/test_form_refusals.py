"""Issue 13: each answer is checked at its own step by the service's rule, and a refusal when
a form is sent (its deadline passed meanwhile, a limit, a role taken away) never loses the
form: the person stays with their answers, taken back to the step to fix when there is one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiogram.fsm.storage.base import StorageKey

from handlers.competition_cards import (
    CompetitionAction,
    CompetitionButton,
    CompetitionStaffButton,
    StaffAction,
)
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running
from tests.test_competitions import civic_map, create

ENGLISH_ADMIN = ADMIN_ID + 1000
DIRECTION = {"ru": "Благоустройство и озеленение", "en": "Improvement and greening"}


@dataclass(frozen=True)
class Lang:
    code: str
    too_much: str
    ask_amount: str
    register: str
    registered: str
    back_to_step: str
    kept: str
    deadline_passed: str
    start_passed: str
    ask_deadline: str
    ask_start: str
    ask_end: str
    announce: str
    announced: str
    ask_date: str
    date_passed: str
    send: str
    sent: str
    limit: str


RU = Lang(
    code="ru",
    too_much="Максимальный размер гранта в этом конкурсе — 300\u00a0000 ₽.",
    ask_amount="Запрашиваемая сумма в рублях",
    register="✅ Зарегистрировать заявку",
    registered="зарегистрирована",
    back_to_step="Остальные ответы сохранены — ответьте на этот вопрос ещё раз.",
    kept="Ответы сохранены. Выйти из анкеты — /cancel.",
    deadline_passed="Этот срок уже прошёл. Выберите более позднее время.",
    start_passed="Это время уже прошло. Выберите время в будущем.",
    ask_deadline="Срок окончания приёма заявок",
    ask_start="Когда начало?",
    ask_end="Когда заканчивается?",
    announce="📣 Объявить",
    announced="объявлен",
    ask_date="На какую дату",
    date_passed="Эта дата уже прошла.",
    send="✅ Отправить",
    sent="зарегистрировано под номером",
    limit="лимит",
)
EN = Lang(
    code="en",
    too_much="The competition gives at most 300,000 ₽.",
    ask_amount="The amount requested, in roubles",
    register="✅ Register the application",
    registered="is registered",
    back_to_step="Your other answers are kept: answer this step again.",
    kept="Your answers are kept. /cancel leaves the form.",
    deadline_passed="The deadline has already passed. Choose a later time.",
    start_passed="This time has already passed. Choose a time in the future.",
    ask_deadline="The deadline for applications",
    ask_start="When does it start?",
    ask_end="When does it end?",
    announce="📣 Announce",
    announced="is announced",
    ask_date="For which date",
    date_passed="This date is in the past.",
    send="✅ Send",
    sent="is registered as",
    limit="limit",
)


async def state_of(h: Harness, who: Person) -> str | None:
    key = StorageKey(bot_id=h.app.bot.id, chat_id=who.chat.id, user_id=who.id)
    return await h.app.storage.get_state(key)


async def test_the_maximum_grant_is_checked_at_the_amount_step(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        cid = await create(h)
        await h.app.services.competitions.update(ADMIN_ID, cid, {"max_grant": 300_000})
        # Ivan chairs the South (TOS 1), John is a deputy of the North (TOS 2), in English.
        for lang, who, tos in ((RU, p["ivan"], 1), (EN, p["john"], 2)):
            await who.press(
                "x",
                data=CompetitionButton(
                    action=CompetitionAction.APPLY, id=cid, value=f"tos-{tos}"
                ).pack(),
            )
            await who.send("Сквер у школы")
            await who.send(DIRECTION[lang.code])
            [refused] = await who.send("500 000")
            assert refused.text == lang.too_much
            assert await state_of(h, who) == "ApplicationForm:amount"
            [preview] = await who.send("250000")
            assert lang.register in preview.flat_buttons
            [done] = await who.press(lang.register)
            assert lang.registered in done.text


async def test_a_refusal_on_registering_keeps_the_application(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        p = await civic_map(h)
        cid = await create(h)
        for lang, who, tos in ((RU, p["ivan"], 1), (EN, p["john"], 2)):
            await who.press(
                "x",
                data=CompetitionButton(
                    action=CompetitionAction.APPLY, id=cid, value=f"tos-{tos}"
                ).pack(),
            )
            await who.send("Сквер у школы")
            await who.send(DIRECTION[lang.code])
            [preview] = await who.send("500 000")  # no maximum yet
            # Staff set a maximum before the chair presses «Register»: back to the amount.
            await h.app.services.competitions.update(ADMIN_ID, cid, {"max_grant": 300_000})
            refused, ask = await who.press(lang.register, on=preview)
            assert refused.text == lang.too_much + "\n\n" + lang.back_to_step
            assert lang.ask_amount in ask.text
            assert await state_of(h, who) == "ApplicationForm:amount"
            old = h.session.messages[(preview.chat_id, preview.message_id)]
            assert old.reply_markup is None  # the old preview cannot be pressed again
            [again] = await who.send("300000")  # straight back to the preview, answers kept
            assert "Сквер у школы" in again.text and lang.register in again.flat_buttons
            [done] = await who.press(lang.register)
            assert lang.registered in done.text
            await h.app.services.competitions.update(ADMIN_ID, cid, {"max_grant": None})
        apps = await h.app.services.competitions.applications(ADMIN_ID, cid)
        assert sorted(a.amount for a in apps) == [300_000, 300_000]


async def test_a_deadline_passed_before_announcing_goes_back_to_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ENGLISH_ADMIN})) as h:
        for lang, uid in ((RU, ADMIN_ID), (EN, ENGLISH_ADMIN)):
            staff = await h.consented(h.user("Мария", user_id=uid, language_code=lang.code))
            await staff.press("x", data=CompetitionStaffButton(action=StaffAction.NEW).pack())
            await staff.send("Конкурс проектов")
            await staff.send("Администрация")
            await staff.send("Гранты на благоустройство дворов")
            await staff.press(next(iter(staff.last.callback_data)))  # TOS
            await staff.press(next(b for b in staff.last.flat_buttons if b in ("Готово", "Done")))
            await staff.press(next(b for b in staff.last.flat_buttons if b in ("Сейчас", "Now")))
            soon = (h.clock.now() + timedelta(hours=7, minutes=30)).strftime("%d.%m.%Y %H:%M")
            await staff.send(soon)  # half an hour from now, in Novosibirsk
            for _ in range(3):  # results, rules, maximum grant: skipped
                await staff.press(
                    next(b for b in staff.last.flat_buttons if b in ("Пропустить", "Skip"))
                )
            preview = staff.last
            h.clock.advance(timedelta(hours=1))
            refused, ask = await staff.press(lang.announce, on=preview)
            assert refused.text == lang.deadline_passed + "\n\n" + lang.back_to_step
            assert lang.ask_deadline in ask.text
            [again] = await staff.send("27.12.2026 18:00")
            assert "Конкурс проектов" in again.text and "27.12.2026 18:00" in again.text
            [done] = await staff.press(lang.announce)
            assert lang.announced in done.text
        assert len(await h.app.db.read.competitions.open_ones()) == 2


async def test_an_event_whose_start_passed_goes_back_to_the_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from handlers.events import EventAction, EventButton

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ENGLISH_ADMIN})) as h:
        for lang, uid in ((RU, ADMIN_ID), (EN, ENGLISH_ADMIN)):
            staff = await h.consented(h.user("Мария", user_id=uid, language_code=lang.code))
            new = EventButton(action=EventAction.NEW).pack()
            await staff.press("x", data=new)  # the town hall's
            await staff.send("Субботник")
            soon = (h.clock.now() + timedelta(hours=7, minutes=30)).strftime("%d.%m.%Y %H:%M")
            await staff.send(soon)
            end = (h.clock.now() + timedelta(hours=9)).strftime("%H:%M")
            await staff.send(end)
            await staff.send("Двор дома 5")
            await staff.press(staff.last.flat_buttons[0])  # the organiser by default
            await staff.press(staff.last.flat_buttons[1])  # not jointly
            [preview] = await staff.press(staff.last.flat_buttons[0])  # no limit; no TOS yet
            h.clock.advance(timedelta(hours=1))
            refused, ask = await staff.press(lang.announce, on=preview)
            assert refused.text == lang.start_passed + "\n\n" + lang.back_to_step
            assert lang.ask_start in ask.text
            # A new start after the old end: the end is asked again, then the preview.
            [ask_end] = await staff.send("27.12.2026 18:00")
            assert lang.ask_end in ask_end.text
            [again] = await staff.send("20:00")
            assert "Субботник" in again.text and "27.12.2026 18:00" in again.text
            [done] = await staff.press(lang.announce)
            assert lang.announced in done.text


async def test_a_wanted_date_passed_before_sending_goes_back_to_it(harness: Harness) -> None:
    h = harness
    for lang in (RU, EN):
        anna = await h.consented(h.user("Анна", language_code=lang.code))
        await anna.send("/request")
        await anna.press("Транспортное обеспечение" if lang is RU else "Transport")
        await anna.send("Нужен автобус на экскурсию для 20 пенсионеров.")
        await anna.send("завтра" if lang is RU else "tomorrow")
        await anna.send("Пропустить" if lang is RU else "Skip")
        [preview] = await anna.press("Пропустить" if lang is RU else "Skip")
        h.clock.advance(timedelta(days=3))
        refused, ask = await anna.press(lang.send, on=preview)
        assert refused.text.startswith(lang.date_passed) and lang.back_to_step in refused.text
        assert lang.ask_date in ask.text
        [again] = await anna.send("31.12.2026")
        assert "Нужен автобус" in again.text
        [done] = await anna.press(lang.send)
        assert lang.sent in done.text


async def test_an_announcement_refused_on_sending_keeps_its_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from handlers.tos import TosAction, TosButton

    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), tos_announcements_per_week=1
    ) as h:
        for lang in (RU, EN):
            chair = await h.consented(h.user("Иван", language_code=lang.code))
            member = await h.consented(h.user("Ольга"))
            now = h.clock.now()
            async with h.app.db.transaction() as uow:
                name = {"name": f"ТОС {lang.code}"}
                tos = await uow.registry.add_tos(name, f"t-{lang.code}", now)
                await uow.registry.grant(chair.id, "tos", tos, "chair", ADMIN_ID, now)
                await uow.registry.join(tos, member.id, now)
            await chair.press("x", data=TosButton(action=TosAction.ANNOUNCE, id=tos).pack())
            [confirm] = await chair.send("Субботник в субботу в 10:00 у дома 5.")
            # Another chair's announcement, or one from another device, used up the week.
            await h.app.services.registry.announce(chair.id, tos, "Собрание в пятницу.")
            [refused] = await chair.press(confirm.flat_buttons[0], on=confirm)
            assert lang.limit in refused.text and refused.text.endswith(lang.kept)
            assert await state_of(h, chair) == "TosForm:announce_confirm"
            h.clock.advance(timedelta(days=8))
            [sent] = await chair.press(confirm.flat_buttons[0], on=confirm)
            await h.deliver()
            assert any("Субботник в субботу" in s.text for s in member.inbox), sent.text
