"""Support requests end to end: the form -> staff card -> take, answer, close -> the
requester's replies, rating and reopening; nudges on due dates; access and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.errors import DomainError
from bot.services.requests import RequestDraft, due_at, parse_date
from bot.services.workdays import WorkCalendar
from bot.settings import SettingsError, load_settings
from handlers.forms import FormAction, FormButton
from handlers.request_cards import MyRequestAction, MyRequestButton
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, make_settings, running

STAFF_CHAT = -1001234567890
TOKEN = "123456:TEST-token-for-the-fake-session-000"


async def link_rep(h: Harness, user_id: int, name: str = "Рука помощи") -> int:
    now = h.clock.now()
    async with h.app.db.transaction() as uow:
        org_id = await uow.registry.add_org({"name": name, "kind": "ngo"}, now)
        await uow.registry.grant(user_id, "org", org_id, "rep", None, now)
    return org_id


async def consultation(
    person: Person, text: str = "Как оформить устав ТОС по новым правилам?"
) -> Sent:
    """A resident's request without links, date, phone or file; returns the confirmation."""
    await person.send("/request")
    await person.press("Методическая консультация")
    await person.send(text)
    await person.send("Пропустить")
    await person.press("Пропустить")
    [done] = await person.press("✅ Отправить")
    return done


def card_in(chat: Person, number: str) -> Sent:
    """The latest state of a request's staff card in this chat (the card or its last edit)."""
    return next(s for s in reversed(chat.inbox) if s.text.startswith(f"<b>Обращение {number}</b>"))


async def test_ngo_transport_request_taken_answered_closed_and_rated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        staff_chat = h.in_group(maria, STAFF_CHAT)
        olga = await h.consented(h.user("Olga", language_code="en", username="olga"))
        await link_rep(h, olga.id)

        intro, kinds = await olga.send("/request")
        assert "Town hall staff will see your name and @username in Telegram" in intro.text
        assert kinds.flat_buttons == [
            "Methodological consultation",
            "Help organising an event",
            "Transport",
            "Information support",
            "Premises",
            "Other",
        ]
        [behalf] = await olga.press("Transport")
        assert behalf.flat_buttons == ["Myself", "organisation «Рука помощи»"]
        await olga.press("organisation «Рука помощи»")
        [short] = await olga.send("bus")
        assert short.text == "The description should be 10 to 2000 characters long; yours has 3."
        [ask_date] = await olga.send("A bus for 20 children to the regional festival, 8:00-18:00.")
        assert "dd.mm.yyyy" in ask_date.text
        [past] = await olga.send("01.11.2026")
        assert past.text == "This date is in the past. Please give a date from today on."
        [bad] = await olga.send("some day soon")
        assert bad.text.startswith("Please write the date as dd.mm.yyyy")
        [ask_phone] = await olga.send("tomorrow")
        assert ask_phone.reply_keyboard == [["📱 Share my phone"], ["Skip"]]
        [typed] = await olga.send("+7 913 000-00-00")
        assert "only through the «Share my phone» button" in typed.text
        [foreign] = await olga.send_contact("+79130000001", user_id=999)
        assert foreign.text == "Please share your own number with the «Share my phone» button."
        thanks, ask_file = await olga.send_contact("+7 913 555-12-34")
        assert thanks.removes_keyboard and "photo or a document" in ask_file.text
        [preview] = await olga.send_document(file_id="doc-children")
        assert preview.text.startswith("This is how the town hall will see your request:")
        for part in (
            "Type: Transport",
            "On behalf of: organisation «Рука помощи»",
            "Wanted date: 28.11.2026",
            "Answer due by: 27.11.2026",  # before it is needed
            "Requester: Olga (@olga)",
            "📞 +79135551234",
            "📎 a document",
        ):
            assert part in preview.text, part
        [done] = await olga.press("✅ Send")
        assert "registered as <b>R-2026-0001</b>; the answer is due by 27.11.2026" in done.text
        record = await h.app.db.read.requests.get(1)
        assert record is not None and record.behalf_kind == "org" and record.kind == "transport"

        await h.deliver()
        card = card_in(staff_chat, "З-2026-0001")
        assert "Вид поддержки: Транспортное обеспечение" in card.text
        assert "От чьего имени: организация «Рука помощи»" in card.text
        assert "Заявитель: Olga (@olga)" in card.text and "📞 +79135551234" in card.text
        assert card.flat_buttons == [
            "🙋 Взять в работу",
            "💬 Ответить",
            "✖ Отклонить",
            "⏳ Продлить срок",
        ]
        [document] = [s for s in staff_chat.inbox if s.document == "doc-children"]
        assert document.reply_to == card.message_id  # in the card's thread

        await staff_chat.press("🙋 Взять в работу", on=card)
        assert staff_chat.last_answer["text"] == "Обращение З-2026-0001 теперь у вас в работе."
        assert "Статус: в работе" in staff_chat.edits[-1].text
        assert "В работе у: Мария" in staff_chat.edits[-1].text
        await h.deliver()
        assert olga.last.text == (
            "Your request R-2026-0001 is taken into work by the town hall. "
            "The answer is due by 27.11.2026."
        )

        # A Telegram reply to the card reaches the requester, in the town hall's name.
        [ack] = await staff_chat.reply(card, "Автобус будет в 7:45 у школы № 5.")
        assert ack.text == "Ответ по обращению З-2026-0001 отправлен заявителю."
        await h.deliver()
        answer = olga.last
        assert answer.text.startswith("🏛 <b>The town hall</b> on your request R-2026-0001:")
        assert "Автобус будет в 7:45" in answer.text and "Мария" not in answer.text

        # The requester's reply (a photo) reaches the card's thread.
        [sent] = await olga.send_photo(
            "The list of children", file_id="photo-list", reply_to_message=olga.message_of(answer)
        )
        assert sent.text == "Sent to the town hall (R-2026-0001)."
        await h.deliver()
        [follow] = [s for s in staff_chat.inbox if s.photo == "photo-list"]
        assert follow.reply_to == card.message_id
        assert "от заявителя" in follow.text and "The list of children" in follow.text
        assert "Olga" not in follow.text
        assert "👤 Заявитель" in card_in(staff_chat, "З-2026-0001").text

        await staff_chat.press("✅ Закрыть", on=card_in(staff_chat, "З-2026-0001"))
        assert staff_chat.last_answer["text"] == "Обращение З-2026-0001 закрыто."
        await h.deliver()
        closed = olga.last
        assert closed.text.startswith("Your request R-2026-0001 is closed.")
        assert closed.flat_buttons == ["👍 Yes, it helped", "👎 No", "🔁 Reopen"]
        [ask_comment] = await olga.press("👍 Yes, it helped", on=closed)
        assert ask_comment.text.startswith("Would you like to add a comment")
        [bye] = await olga.send("The bus was on time, thank you!")
        assert bye.text == "Thank you! The town hall will read your comment."
        await olga.press("👎 No", on=closed)  # a second rating is refused
        assert olga.last_answer["text"] == "You have already rated this request. Thank you!"
        await h.deliver()
        assert any("заявитель отметил, что ему помогли" in s.text for s in staff_chat.inbox)
        assert any("The bus was on time" in s.text for s in staff_chat.inbox)

        record = await h.app.db.read.requests.get(1)
        assert record is not None and record.status == "closed" and record.helped is True
        assert record.rating_comment == "The bus was on time, thank you!"
        history = await h.app.db.read.requests.history(1)
        assert [(e.from_status, e.to_status, e.actor_id) for e in history] == [
            (None, "new", olga.id),
            ("new", "in_work", ADMIN_ID),
            ("in_work", "answered", ADMIN_ID),
            ("answered", "closed", ADMIN_ID),
        ]

        [mine] = await olga.send("/my")
        assert "<b>Your requests</b>" in mine.text and "R-2026-0001</b> · closed" in mine.text
        [thread] = await olga.press("💬 R-2026-0001: the conversation")
        assert "🏛 Town hall" in thread.text and "Автобус будет" in thread.text
        assert "👤 You" in thread.text and "📎 a photo The list of children" in thread.text
        assert "Your rating: 👍 Yes, it helped" in thread.text


async def test_private_answer_button_reopen_and_a_message_to_a_closed_request(
    harness: Harness,
) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    done = await consultation(anna)
    assert "зарегистрировано под номером <b>З-2026-0001</b>, срок ответа — до 27.12.2026" in (
        done.text
    )
    await h.deliver()
    card = card_in(maria, "З-2026-0001")  # no staff chat: each staff member privately
    [prompt] = await maria.press("💬 Ответить", on=card)
    assert "Напишите ответ по обращению З-2026-0001" in prompt.text
    [ack] = await maria.send_document(file_id="doc-template", caption="Образец устава во вложении.")
    assert ack.text == "Ответ по обращению З-2026-0001 отправлен заявителю."
    await h.deliver()
    answer = anna.last
    assert answer.document == "doc-template"
    assert "<b>Администрация</b> по вашему обращению З-2026-0001" in answer.text
    record = await h.app.db.read.requests.get(1)
    assert record is not None and record.status == "answered" and record.assignee_id == ADMIN_ID

    await maria.press("✅ Закрыть", on=card_in(maria, "З-2026-0001"))
    await h.deliver()
    closed = anna.last
    # Writing to a closed request offers to reopen it.
    [offer] = await anna.reply(answer, "А где взять печать?")
    assert offer.text == (
        "Обращение З-2026-0001 закрыто. Откройте его снова, чтобы написать в администрацию."
    )
    assert offer.flat_buttons == ["🔁 Открыть снова"]
    h.clock.advance(timedelta(days=3))
    [reopened] = await anna.press("🔁 Открыть снова", on=offer)
    assert reopened.text == "Обращение З-2026-0001 снова открыто, срок ответа — до 30.12.2026."
    [invite] = await anna.press("✉️ Написать в администрацию", on=reopened)
    assert "Напишите в администрацию по обращению З-2026-0001" in invite.text
    [sent] = await anna.send("А где взять печать?")
    assert sent.text == "Отправлено в администрацию (З-2026-0001)."
    await h.deliver()
    assert any("Заявитель снова открыл обращение <b>З-2026-0001</b>" in s.text for s in maria.inbox)
    assert "А где взять печать?" in maria.last.text and maria.last.reply_to == card.message_id
    record = await h.app.db.read.requests.get(1)
    assert record is not None and record.status == "in_work" and record.cycle == 1

    # Closed again, and 15 days later it can no longer be reopened.
    await h.app.services.requests.close(ADMIN_ID, 1)
    h.clock.advance(timedelta(days=15))
    await anna.press("🔁 Открыть снова", on=closed)
    assert anna.last_answer["text"] == (
        "Обращение З-2026-0001 закрыто больше 14 дней назад. Пожалуйста, отправьте новое: /request"
    )
    [refused] = await anna.reply(answer, "Ещё вопрос")
    assert refused.flat_buttons == [] and "больше 14 дней назад" in refused.text


async def test_nudges_at_half_and_eighty_per_cent_once_each(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    draft = RequestDraft(kind="consultation", description="Нужна консультация по гранту.")
    await h.app.services.requests.submit(anna.id, draft)  # 30 days
    await h.deliver()

    def nudges() -> list[str]:
        return [s.text for s in maria.inbox if s.text.startswith("⏰")]

    h.clock.advance(timedelta(days=14, hours=23))
    assert await h.app.services.requests.nudge_due() == 0
    h.clock.advance(timedelta(hours=2))
    assert await h.app.services.requests.nudge_due() == 1
    assert await h.app.services.requests.nudge_due() == 0  # never twice
    await h.restart()
    assert await h.app.services.requests.nudge_due() == 0
    await h.app.scheduler.run_now("request-nudges")
    await h.deliver()
    assert nudges() == ["⏰ З-2026-0001: прошло 50% срока ответа; ответить нужно до 27.12.2026."]
    h.clock.advance(timedelta(days=9))  # 24 days and 1 hour of 30
    assert await h.app.services.requests.nudge_due() == 1
    await h.deliver()
    assert len(nudges()) == 2 and "прошло 80% срока" in nudges()[-1]
    assert await h.app.services.requests.nudge_due() == 0

    # A request whose 50 % passed while the bot was down gets only the nudge that still
    # makes sense, and goes to whoever took it.
    second = RequestDraft(kind="premises", description="Нужен зал на 40 человек для собрания.")
    await h.app.services.requests.submit(anna.id, second)
    await h.app.services.requests.take(ADMIN_ID, 2)
    h.clock.advance(timedelta(days=25))
    assert await h.app.services.requests.nudge_due() == 1
    await h.deliver()
    assert "З-2026-0002: прошло 80%" in nudges()[-1]
    assert not any("З-2026-0002: прошло 50%" in t for t in nudges())

    [inbox] = await maria.send("/inbox")
    assert inbox.text.startswith("<b>Открытые обращения</b>: 2")
    first, second_line = inbox.text.split("\n")[1:3]
    assert first.startswith("⚠️ <b>З-2026-0001</b>") and "срок ответа истёк" in first
    assert "З-2026-0002" in second_line and "⚠️" not in second_line
    assert inbox.flat_buttons == ["Открыть З-2026-0001", "Открыть З-2026-0002"]
    [opened] = await maria.press("Открыть З-2026-0001", on=inbox)
    assert "⚠️ срок ответа истёк" in opened.text
    # A reply to a card opened from /inbox reaches the requester too.
    await maria.reply(opened, "Зал свободен по средам.")
    await h.deliver()
    assert "Зал свободен по средам." in anna.last.text


async def test_nobody_sees_or_changes_what_is_not_theirs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        staff_chat = h.in_group(maria, STAFF_CHAT)
        anna = await h.consented(h.user("Анна"))
        await consultation(anna)
        await h.app.services.requests.answer(ADMIN_ID, 1, "Ответ по существу.", None)
        await h.deliver()
        answer = anna.last

        for lang, person_name in (("ru", "Злоумышленник"), ("en", "Mallory")):
            mallory = await h.consented(h.user(person_name, language_code=lang))
            not_yours = {
                "ru": "Извините, это действие вам недоступно.",
                "en": "Sorry, this is not available to you.",
            }[lang]
            staff_only = {
                "ru": "Это доступно только специалистам администрации.",
                "en": "This is for the town hall's staff only.",
            }[lang]
            for data in ("myreq:open:1", "myreq:write:1", "myreq:reopen:1", "myreq:helped:1"):
                await mallory.press("x", data=data)
                assert mallory.last_answer["text"] == not_yours, data
            for data in (
                "req:take:1",
                "req:answer:1",
                "req:close:1",
                "req:decline:1",
                "req:open:1",
            ):
                await mallory.press("x", data=data)
                assert mallory.last_answer["text"] == staff_only, data
            number = "З-2026-0001" if lang == "ru" else "R-2026-0001"
            [hidden] = await mallory.send(f"/request {number}")
            assert hidden.text == not_yours
            [missing] = await mallory.send("/request З-2026-0099")
            assert missing.text == not_yours  # numbers cannot be probed
            [inbox] = await mallory.send("/inbox")
            assert inbox.text == staff_only
            # A reply pointing at the requester's message id, from another chat.
            forged = answer.message_id
            await mallory.send(
                "Дайте мне чужое обращение",
                reply_to_message=h.session.messages[(anna.id, forged)].model_copy(
                    update={"chat": mallory.chat}
                ),
            )
            messages = await h.app.db.read.requests.messages(1)
            assert all("чужое" not in (m.text or "") for m in messages)
            # A forged "on whose behalf" choice for a body the person is not linked to.
            await mallory.send("/request")
            await mallory.press("x", data="form:request:choose:kind:transport")
            await mallory.press("x", data="form:request:choose:behalf:org-1")
            assert (
                mallory.last_answer["text"]
                == {
                    "ru": "Эта кнопка устарела.",
                    "en": "This button is out of date.",
                }[lang]
            )
            await mallory.send("/cancel")

        record = await h.app.db.read.requests.get(1)
        assert record is not None and record.status == "answered"

        # A staff reply to something that is not a request card gets a hint.
        [listing] = await staff_chat.send("/inbox")
        [hint] = await staff_chat.reply(listing, "Кто возьмёт?")
        assert hint.text.startswith("Это не карточка обращения.")
        john = await h.consented(h.user("John", language_code="en"))
        await h.app.services.staff.add(ADMIN_ID, john.id)
        [help_] = await john.send("/help")
        [hint] = await john.reply(help_, "answer")
        assert hint.text.startswith("This is not a request's card.")
        # A non-staff member of the staff chat replying to a card cannot answer.
        await h.deliver()
        card = card_in(staff_chat, "З-2026-0001")
        intruder = h.in_group(await h.consented(h.user("Пётр")), STAFF_CHAT)
        [refused] = await intruder.reply(card, "Я отвечу за администрацию")
        assert refused.text == "Это доступно только специалистам администрации."
        assert len(await h.app.db.read.requests.messages(1)) == 2


async def test_privacy_off_hides_the_requester_from_staff(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_sees_personal_data=False
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна", username="anna_iv"))
        intro, _ = await anna.send("/request")
        assert "ваше имя и телефон остаются на сервере" in intro.text
        await anna.press("Другое")
        await anna.send("Нужна помощь с поиском волонтёров на субботник.")
        await anna.send_contact("+79130000000")
        [preview] = await anna.press("Пропустить")
        assert "Заявитель: скрыт настройками конфиденциальности" in preview.text
        assert "+7913" not in preview.text
        await anna.press("✅ Отправить")
        await h.deliver()
        card = card_in(maria, "З-2026-0001")
        assert "Заявитель: скрыт" in card.text
        assert "Анна" not in card.text and "anna_iv" not in card.text and "+7913" not in card.text
        record = await h.app.db.read.requests.get(1)
        assert record is not None and record.phone == "+79130000000"  # kept on the server


async def test_a_blocked_requester_does_not_break_the_staff_flow(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    await consultation(anna)
    await h.deliver()
    h.session.blocked.add(anna.id)
    [ack] = await maria.reply(card_in(maria, "З-2026-0001"), "Ответ, который не дойдёт.")
    assert ack.text == "Ответ по обращению З-2026-0001 отправлен заявителю."
    await h.deliver()
    stored = await h.app.db.read.users.get(anna.id)
    assert stored is not None and stored.unreachable_at is not None
    await maria.press("✅ Закрыть", on=card_in(maria, "З-2026-0001"))
    await h.deliver()
    assert "⚠️ Заявитель заблокировал бота" in card_in(maria, "З-2026-0001").text
    record = await h.app.db.read.requests.get(1)
    assert record is not None and record.status == "closed"
    counts = await h.app.db.read.outbox.counts()
    assert counts.get("skipped", 0) >= 1 and counts.get("failed", 0) == 0


async def test_restart_mid_form_typed_answers_and_editing_a_step(harness: Harness) -> None:
    h = harness
    anna = await h.consented(h.user("Анна"))
    await anna.send("🤝 Обратиться за поддержкой")
    [again] = await anna.send("транспорт")  # not a full label
    assert again.text == "Пожалуйста, выберите вид поддержки кнопками выше."
    [ask] = await anna.send("Транспортное обеспечение")  # no links: no "on whose behalf"
    assert ask.text.startswith("Опишите, что нужно")
    await anna.send("Автобус для хора ветеранов на районный фестиваль.")
    await h.restart()
    [ask_phone] = await anna.send("завтра")
    assert ask_phone.reply_keyboard == [["📱 Поделиться телефоном"], ["Пропустить"]]
    without, ask_file = await anna.send("Пропустить")
    assert without.removes_keyboard and "фото или документ" in ask_file.text
    [sticker] = await anna.send("вот")
    assert sticker.text == "Отправьте фото или документ либо нажмите «Пропустить»."
    [preview] = await anna.send("нет")
    assert "Нужная дата: 28.11.2026" in preview.text and "Транспортное" in preview.text
    await anna.press("✏️ Изменить шаг")
    [kinds] = await anna.press("Вид поддержки")
    assert "От чьего имени" not in " ".join(anna.last.flat_buttons)
    [preview] = await anna.press("Методическая консультация", on=kinds)
    assert "Нужная дата" not in preview.text and "Методическая консультация" in preview.text
    await anna.press("✏️ Изменить шаг")
    [kinds] = await anna.press("Вид поддержки")
    [ask_date] = await anna.press("Помощь в организации мероприятия", on=kinds)
    assert "На какую дату" in ask_date.text  # the new type needs a date
    [preview] = await anna.send("15.12")
    assert "Нужная дата: 15.12.2026" in preview.text
    [bye] = await anna.press("✖ Отменить")
    assert bye.text == "Отменено. Ничего не отправлено."
    assert await h.app.db.read.requests.get(1) is None


async def test_a_role_taken_away_before_sending_is_refused(harness: Harness) -> None:
    h = harness
    olga = await h.consented(h.user("Ольга"))
    org_id = await link_rep(h, olga.id)
    await olga.send("/request")
    await olga.press("Информационная поддержка")
    await olga.send("организация «Рука помощи»")  # typed instead of the button
    await olga.send("Разместить анонс нашего концерта на сайте администрации.")
    await olga.send("Пропустить")
    await olga.press("Пропустить")
    async with h.app.db.transaction() as uow:
        await uow.registry.revoke(olga.id, "org", org_id)
    [refused, ask] = await olga.press("✅ Отправить")
    assert refused.text.startswith(
        "Вы больше не представляете эту организацию или ТОС: выберите заново, от чьего имени "
        "обращаетесь."
    )
    assert await h.app.db.read.requests.get(1) is None
    # The form is kept, back at the step: only «myself» is left; then straight to the preview.
    assert ask.flat_buttons == ["От себя"]
    [preview] = await olga.press("От себя")
    assert "Разместить анонс нашего концерта" in preview.text
    await olga.press("✅ Отправить")
    record = await h.app.db.read.requests.get(1)
    assert record is not None and record.behalf_kind == "self"


async def test_decline_needs_a_reason_and_the_requester_reads_it(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    await consultation(anna)
    await h.deliver()
    card = card_in(maria, "З-2026-0001")
    [ask] = await maria.press("✖ Отклонить", on=card)
    assert "Почему обращение З-2026-0001 отклонено?" in ask.text
    await maria.send("Вопрос не относится к ведению администрации города.")
    await h.deliver()
    assert anna.last.text == (
        "Ваше обращение З-2026-0001 отклонено. Причина, которую указала администрация: "
        "Вопрос не относится к ведению администрации города."
    )
    [reply] = await anna.reply(anna.last, "Почему?")
    assert reply.text.startswith("Обращение З-2026-0001 отклонено.")
    await maria.press("x", data="req:close:1")
    assert "закрыть его нельзя" in maria.last_answer["text"]
    assert await maria.press("✖ Отклонить", on=card) == []  # a stale card's button
    assert maria.last_answer["text"] == (
        "Обращение З-2026-0001 в статусе «отклонено»: отклонить его нельзя."
    )


async def test_withdrawing_consent_erases_the_shared_phone(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    draft = RequestDraft(kind="other", description="Помогите с объявлением.", phone="+7913")
    await harness.app.services.requests.submit(anna.id, draft)
    await harness.app.services.users.withdraw_consent(anna.id)
    record = await harness.app.db.read.requests.get(1)
    assert record is not None and record.phone is None


def test_due_dates_and_wanted_dates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, request_deadlines="transport=5wd,event=10d")
    friday = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Novosibirsk
    assert due_at(
        settings.request_term("transport"), friday, settings.timezone, WorkCalendar()
    ) == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert due_at(
        settings.request_term("event"), friday, settings.timezone, WorkCalendar()
    ) == friday + timedelta(days=10)
    assert due_at(
        settings.request_term("other"), friday, settings.timezone, WorkCalendar()
    ) == friday + timedelta(days=30)
    today = date(2026, 12, 20)
    assert parse_date("10.01", today) == date(2027, 1, 10)  # January, written in December
    assert parse_date("25.12.26", today) == date(2026, 12, 25)
    for bad in ("19.12.2026", "31.02.2027", "1.1.2029", "завтра"):
        with pytest.raises(DomainError):
            parse_date(bad, today)


@pytest.mark.parametrize("value", ["transport=40d", "bus=5d", "transport=21wd", "transport"])
def test_bad_request_deadlines_name_the_setting(value: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REQUEST_DEADLINES", value)
    with pytest.raises(SettingsError, match="REQUEST_DEADLINES is invalid"):
        load_settings(bot_token=TOKEN, _env_file=None)


async def test_long_conversations_stay_within_one_message(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    draft = RequestDraft(kind="other", description="Очень подробно & <точно>. " * 76)
    assert len(draft.description or "") <= 2000
    await h.app.services.requests.submit(anna.id, draft)
    for n in range(6):
        await h.app.services.requests.answer(
            ADMIN_ID, 1, f"Ответ {n}: " + "текст & <b> " * 290, None
        )
        await h.app.services.requests.follow_up(anna.id, 1, f"Вопрос {n}: " + "ещё " * 800, None)
    await h.deliver()  # the fake session refuses anything over 4,096 characters
    card = card_in(maria, "З-2026-0001")
    assert "… более ранних сообщений: 8" in card.text and "Вопрос 5" in card.text
    [mine] = await anna.send("/my")
    [thread] = await anna.press("💬 З-2026-0001: переписка", on=mine)
    assert "Вопрос 5" in thread.text and "… более ранние сообщения не показаны" in thread.text
    assert "&lt;точно&gt;" in thread.text


FORM_CLOSED = {"text": "Эта анкета уже отправлена или закрыта.", "show_alert": True}
OUT_OF_DATE = {"text": "Эта кнопка устарела.", "show_alert": True}


async def test_buttons_of_a_request_preview_already_sent(harness: Harness) -> None:
    h = harness
    anna = await h.consented(h.user("Анна"))
    await anna.send("/request")
    await anna.press("Методическая консультация")
    await anna.send("Как оформить устав ТОС по новым правилам?")
    await anna.send("Пропустить")
    [preview] = await anna.press("Пропустить")
    [done] = await anna.press("✅ Отправить", on=preview)
    assert "<b>З-2026-0001</b>" in done.text
    for label in ("✅ Отправить", "✏️ Изменить шаг", "✖ Отменить"):
        await anna.press(label, on=preview)
        assert anna.last_answer == FORM_CLOSED, label

    # A second form under way: the old preview's buttons touch it neither, at its first
    # step or at its own preview; nor does a button forged with another form's token.
    await anna.send("/request")
    await anna.press("✖ Отменить", on=preview)
    assert anna.last_answer == OUT_OF_DATE
    [ask] = await anna.press("Другое")
    assert ask.text.startswith("Опишите, что нужно")  # the new form went on
    await anna.send("Нужна помощь с поиском волонтёров на субботник.")
    await anna.send("Пропустить")
    [second_preview] = await anna.press("Пропустить")
    for label in ("✖ Отменить", "✏️ Изменить шаг", "✅ Отправить"):
        before = len(anna.inbox)
        await anna.press(label, on=preview)
        assert anna.last_answer == OUT_OF_DATE, label
        assert len(anna.inbox) == before
    forged = FormButton(form="request", action=FormAction.SEND, value="0123456789abcdef")
    await anna.press("x", data=forged.pack())
    assert anna.last_answer == OUT_OF_DATE
    assert await h.app.db.read.requests.get(2) is None
    await anna.press("✅ Отправить", on=second_preview)  # the form is still there to send
    second = await h.app.db.read.requests.get(2)
    assert second is not None and second.kind == "other"
    first = await h.app.db.read.requests.get(1)
    assert first is not None and first.kind == "consultation"


async def test_write_on_a_declined_request_is_refused_at_once(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    await consultation(anna)
    [mine] = await anna.send("/my")
    [view] = await anna.press("💬 З-2026-0001: переписка", on=mine)
    assert "✉️ Написать в администрацию" in view.flat_buttons
    await h.app.services.requests.reject(ADMIN_ID, 1, "Вопрос не к администрации.")
    replies = await anna.press("✉️ Написать в администрацию", on=view)  # a stale button
    assert replies == []
    assert anna.last_answer["text"] == (
        "Обращение З-2026-0001 отклонено. Пожалуйста, отправьте новое: /request"
    )
    [nothing] = await anna.send("Ещё вопрос")  # no write step was opened
    assert "отправлено в администрацию" not in nothing.text.casefold()
    assert len(await h.app.db.read.requests.messages(1)) == 2  # the request and the reason
    await anna.press("x", data=MyRequestButton(action=MyRequestAction.WRITE, id=1).pack())
    assert anna.last_answer["text"].startswith("Обращение З-2026-0001 отклонено.")


async def test_forged_form_buttons_are_out_of_date(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    await anna.send("/request")
    for data in (
        "form:request:choose:kind:bogus",
        "form:request:step:kind:",  # not at the step choice
        "form:request:bogus::",
    ):
        assert await anna.press("x", data=data) == []
        assert anna.last_answer == OUT_OF_DATE, data
    await anna.press("Методическая консультация")
    await anna.send("Как оформить устав ТОС по новым правилам?")
    await anna.send("Пропустить")
    await anna.press("Пропустить")
    [steps] = await anna.press("✏️ Изменить шаг")
    assert await anna.press("x", data="form:request:step:bogus:") == []
    assert anna.last_answer == OUT_OF_DATE
    assert await anna.press("x", data="form:request:choose:kind:event") == []
    assert anna.last_answer == OUT_OF_DATE
    [ask] = await anna.press("Описание", on=steps)  # the real choice still works
    assert ask.text.startswith("Опишите, что нужно")
    [preview] = await anna.send("Как оформить устав ТОС по новым правилам 2026 года?")
    assert "Методическая консультация" in preview.text and "2026 года" in preview.text


async def test_a_restart_while_staff_write_an_answer(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    await consultation(anna)
    await h.deliver()
    [prompt] = await maria.press("💬 Ответить", on=card_in(maria, "З-2026-0001"))
    assert "Напишите ответ по обращению З-2026-0001" in prompt.text
    await h.restart()
    [ack] = await maria.send("Устав пришлём в понедельник.")
    assert ack.text == "Ответ по обращению З-2026-0001 отправлен заявителю."
    await h.deliver()
    assert anna.last.text.startswith("🏛 <b>Администрация</b> по вашему обращению З-2026-0001")
    assert "Устав пришлём в понедельник." in anna.last.text
    record = await h.app.db.read.requests.get(1)
    assert record is not None and record.status == "answered"


async def test_the_notice_of_closing_offers_what_the_requester_may_do_when_it_goes(
    harness: Harness,
) -> None:
    """The service queues the notice; its buttons are drawn when it is sent, from what the
    service offers the requester then (a request rated meanwhile offers only reopening),
    in the requester's language. A notice queued by an earlier version, with its buttons
    in the row, keeps them."""
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    for language, rate, reopen, closed in (
        ("ru", "👍 Да, помогло", "🔁 Открыть снова", "Ваше обращение З-2026-0001 закрыто."),
        ("en", "👍 Yes, it helped", "🔁 Reopen", "Your request R-2026-0002 is closed."),
    ):
        person = await h.consented(h.user("Анна", language_code=language))
        draft = RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
        request_id = (await h.app.services.requests.submit(person.id, draft)).request.id
        await h.app.services.requests.take(ADMIN_ID, request_id)
        await h.app.services.requests.close(ADMIN_ID, request_id)
        # Rated from the request's own view before the notice went out.
        await person.press(
            "x", data=MyRequestButton(action=MyRequestAction.OPEN, id=request_id).pack()
        )
        await person.press(rate)
        await h.deliver()
        notice = next(s for s in reversed(person.inbox) if s.text.startswith(closed))
        assert notice.flat_buttons == [reopen]
        [reopened] = await person.press(reopen, on=notice)
        assert reopened.flat_buttons != []  # write to the town hall
    async with h.app.db.transaction() as uow:
        from bot.services.requests import CLOSED

        old = [
            [
                {
                    "text": "🔁 Reopen",
                    "callback_data": MyRequestButton(action=MyRequestAction.REOPEN, id=1).pack(),
                }
            ]
        ]
        await uow.outbox.enqueue(
            person.id,
            now=h.clock.now(),
            template=CLOSED,
            buttons=old,
            args={"number": {"t": "R-{year}-{seq}", "year": 2026, "seq": "0002"}},
        )
    await h.deliver()
    assert person.last.text.startswith("Your request R-2026-0002 is closed.")
    assert person.last.flat_buttons == ["🔁 Reopen"]


@pytest.mark.parametrize(
    ("lang", "kind", "button", "on_card"),
    [
        ("ru", "Методическая консультация", "организация «Дом & сад»", "«Дом &amp; сад»"),
        ("en", "Methodological consultation", "organisation «Дом & сад»", "«Дом &amp; сад»"),
    ],
)
async def test_a_name_with_an_ampersand_on_the_behalf_button(
    harness: Harness, lang: str, kind: str, button: str, on_card: str
) -> None:
    """A button's text is not HTML: the name shows as it is there («&», not «&amp;»), and
    escaped only in the card's HTML."""
    olga = await harness.consented(harness.user("Olga", language_code=lang))
    await link_rep(harness, olga.id, "Дом & сад")
    await olga.send("/request")
    [behalf] = await olga.press(kind)
    assert behalf.flat_buttons[1] == button
    await olga.press(button)
    await olga.send("A bus for 20 children to the regional festival, 8:00-18:00.")
    await olga.send("Skip" if lang == "en" else "Пропустить")
    await olga.press("Skip" if lang == "en" else "Пропустить")
    preview = olga.last
    assert on_card in preview.text, preview.text
