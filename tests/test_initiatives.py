"""Citizen initiatives end to end: form -> staff card -> decisions -> public support."""

from __future__ import annotations

from bot.services.initiatives import Draft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running

STAFF_CHAT = -1001234567890


async def fill_form(
    person: Person,
    *,
    direction: str = "Благоустройство и озеленение",
    title: str = "Скамейки во дворе",
    description: str = "Поставить три скамейки у детской площадки на Советской, 12.",
    photos: int = 2,
    location: tuple[float, float] | None = (54.64, 83.30),
    show_name: bool = False,
) -> None:
    await person.send("/initiative")
    await person.press(direction)
    await person.send(title)
    await person.send(description)
    for _ in range(photos):
        await person.send_photo()
    await person.press(next(b for b in person.last.flat_buttons if b in ("Готово", "Done")))
    if location:
        await person.send_location(*location)
    else:
        await person.press(next(b for b in person.last.flat_buttons if b in ("Пропустить", "Skip")))
    label = person.last.flat_buttons[0 if show_name else 1]
    await person.press(label)


async def test_the_whole_path_in_two_languages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        staff_chat = h.in_group(maria, STAFF_CHAT)
        anna = await h.consented(h.user("Анна", language_code="en", username="anna"))

        await anna.send("/initiative")
        directions = anna.last.flat_buttons
        assert directions[0] == "Improvement and greening"
        await anna.press("Improvement and greening")
        [short] = await anna.send("ab")
        assert short.text == "The title should be 3 to 120 characters long; yours has 2."
        [sticker] = await anna.send_photo()
        assert sticker.text == "Please write the title as text."
        await anna.send("Benches in the yard")
        [brief] = await anna.send("too short")
        assert "10 to 2000" in brief.text
        await anna.send("Three benches by the playground at Sovetskaya 12, please.")
        for n in range(1, 6):
            [added] = await anna.send_photo()
            assert added.text.startswith(f"Photo added ({n} of 5)")
        [sixth] = await anna.send_photo()
        assert sixth.text.startswith("That is more than 5 photos")
        await anna.press("Done")
        [far] = await anna.send_location(10.0, 10.0)  # no TOWN_BOUNDS here: anywhere is fine
        assert "Show your name there?" in far.text
        [preview] = await anna.press("No, stay anonymous")
        assert preview.text.startswith("This is how the town hall will see it:")
        assert "<b>Benches in the yard</b>" in preview.text and "photos: 5" in preview.text
        assert "Author: Анна (@anna)" in preview.text

        replies = await anna.press("✅ Send")
        assert "registered as <b>I-2026-0001</b>" in replies[0].text
        # A double press on an old "send" changes nothing.
        await anna.press("✅ Send", on=preview)
        assert anna.last_answer["text"] == "This form is already sent or closed."

        await h.deliver()
        album = [s for s in h.session.sent if s.chat_id == STAFF_CHAT and s.photo]
        assert len(album) == 5
        [card] = [s for s in staff_chat.inbox if "Гражданская инициатива" in s.text]
        assert "<b>Гражданская инициатива И-2026-0001</b>" in card.text
        assert "Статус: новая" in card.text and "Автор: Анна (@anna)" in card.text
        assert card.flat_buttons[:3] == ["👀 На рассмотрение", "✅ Принять", "✖ Отклонить"]

        await staff_chat.press("✅ Принять", on=card)
        assert staff_chat.last_answer["text"] == "И-2026-0001: принята."
        assert "Статус: принята" in staff_chat.edits[-1].text
        await h.deliver()
        assert anna.last.text.startswith("Good news: your initiative I-2026-0001")

        # A rejected-only decision is refused on an accepted initiative.
        await staff_chat.press("x", data="i1:to:1:review")
        assert "нельзя перевести" in staff_chat.last_answer["text"]

        boris = await h.consented(h.user("Борис"))
        [listing] = await boris.send("📋 Инициативы")
        assert "И-2026-0001" in listing.text and "Benches in the yard" in listing.text
        assert "Анна" not in listing.text  # the author chose to stay anonymous
        [opened] = await boris.press("Открыть И-2026-0001")
        assert "👍 поддержали: 0" in opened.text
        await boris.press("👍 Поддержать", on=opened)
        assert boris.last_answer["text"] == "Спасибо за поддержку!"
        assert "👍 поддержали: 1" in boris.edits[-1].text
        await boris.press("x", data="p1:support:1")
        assert boris.last_answer["text"] == "Вы уже поддержали эту инициативу."
        await h.deliver()
        assert anna.last.text == "Supporters of your initiative I-2026-0001 so far: 1."

        # Done, with a photo of the result.
        [card] = [s for s in staff_chat.inbox if s.text.startswith("<b>Гражданская")][-1:]
        await staff_chat.press("🏁 Выполнено", on=card)
        prompt = staff_chat.last
        question = h.session.messages[(STAFF_CHAT, prompt.message_id)]
        await staff_chat.send_photo()  # not a reply: ignored in the group
        await staff_chat.send("готово", reply_to_message=question)
        await h.deliver()
        assert "is done. Thank you for the idea!" in [t.text for t in anna.inbox][-1] or any(
            "is done" in s.text for s in anna.inbox
        )
        history = await h.app.db.read.initiatives.history(1)
        assert [e.to_status for e in history] == ["new", "accepted", "done"]
        assert history[1].actor_id == ADMIN_ID

        [mine] = await anna.send("/my")
        assert "I-2026-0001" in mine.text and "done" in mine.text


async def test_reject_needs_a_reason_and_the_author_sees_it(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    await fill_form(anna, photos=0, location=None)
    await anna.press("✅ Отправить")
    await harness.deliver()
    card = maria.last
    assert "И-2026-0001" in card.text
    [ask] = await maria.press("✖ Отклонить", on=card)
    assert "Почему инициатива И-2026-0001 отклонена?" in ask.text
    await maria.send("Это территория частного дома, администрация не может там ставить скамейки.")
    await harness.deliver()
    assert anna.last.text.startswith("Ваша инициатива И-2026-0001 «Скамейки во дворе» не принята")
    assert "частного дома" in anna.last.text
    [mine] = await anna.send("🗂 Мои инициативы")
    assert "отклонена" in mine.text and "Причина: Это территория" in mine.text
    # A rejected initiative cannot be marked done, whatever the button says.
    await maria.press("x", data="i1:to:1:done")
    assert maria.last_answer["text"] == (
        "Инициативу со статусом «отклонена» нельзя перевести в статус «выполнена»."
    )


async def test_residents_cannot_decide_or_see_others_unpublished(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    await fill_form(anna, photos=0, location=None)
    await anna.press("✅ Отправить")
    mallory = await harness.consented(harness.user("Злоумышленник"))
    for data in ("i1:to:1:accepted", "i1:comment:1:", "i1:merge:1:", "i1:finish:1:"):
        await mallory.press("x", data=data)
        assert mallory.last_answer["text"] == "Это доступно только специалистам администрации."
    [hidden] = await mallory.send("/initiative И-2026-0001")  # not public yet, not theirs
    assert hidden.text == "Извините, это действие вам недоступно."
    await mallory.press("x", data="p1:open:1")
    assert mallory.last_answer["text"] == "Извините, это действие вам недоступно."
    await mallory.press("x", data="p1:support:1")
    assert mallory.last_answer["text"] == "Эту инициативу сейчас нельзя поддержать."
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.status == "new"


async def test_restart_mid_form_and_typed_answers(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    await anna.send("💡 Предложить инициативу")
    await anna.send("спорт")  # typed instead of a button: not a full label
    assert "выберите направление" in anna.last.text
    await anna.send("Здоровый образ жизни и спорт")
    await anna.send("Турник у школы")
    await harness.restart()
    await anna.send("Поставить турник и брусья во дворе школы № 5 для всех.")
    [ask] = await anna.send("без фото")
    assert "геопозицию" in ask.text
    await anna.send("ул. Советская, 12")
    [ask_name] = await anna.send("нет")
    assert ask_name.text.startswith("Так её увидят специалисты администрации:")
    assert "📍 ул. Советская, 12" in ask_name.text
    assert "Здоровый образ жизни и спорт" in ask_name.text


async def test_edit_a_step_from_the_preview_then_cancel(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    await fill_form(anna, photos=0, location=None)
    await anna.press("✏️ Изменить шаг")
    await anna.press("Название")
    [preview] = await anna.send("Скамейки и урны во дворе")
    assert "<b>Скамейки и урны во дворе</b>" in preview.text  # straight back to the preview
    [bye] = await anna.press("✖ Отменить")
    assert bye.text == "Отменено. Ничего не отправлено."
    assert await harness.app.db.read.initiatives.get(1) is None


async def test_location_outside_the_town_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, town_bounds=(54.55, 83.20, 54.70, 83.40)) as h:
        anna = await h.consented(h.user("Анна"))
        await anna.send("/initiative")
        await anna.press("Благоустройство и озеленение")
        await anna.send("Скамейки во дворе")
        await anna.send("Поставить три скамейки у детской площадки.")
        await anna.press("Готово")
        [far] = await anna.send_location(55.75, 37.61)  # Moscow
        assert "далеко от города" in far.text
        [ok] = await anna.send_location(54.64, 83.30)
        assert "Показывать там ваше имя?" in ok.text


async def test_duplicates_are_offered_and_merged(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    boris = await harness.consented(harness.user("Борис"))
    await fill_form(anna, photos=0, location=None, title="Скамейки во дворе на Советской")
    await anna.press("✅ Отправить")
    await harness.app.initiatives.decide(ADMIN_ID, 1, "accepted")
    await fill_form(boris, photos=0, location=None, title="Скамейку во дворе Советской")
    replies = await boris.press("✅ Отправить")
    offer = replies[-1]
    assert "Похожие инициативы уже есть" in offer.text and "И-2026-0001" in offer.text
    assert offer.flat_buttons == ["👍 Поддержать И-2026-0001"]

    await harness.deliver()
    card = next(s for s in reversed(maria.inbox) if "И-2026-0002" in s.text)
    await maria.press("🔗 Объединить с другой", on=card)
    [done] = await maria.send("И-2026-0001")
    assert done.text == "Объединено с И-2026-0001, оба автора уведомлены."
    await harness.deliver()
    assert "совпала с И-2026-0001" in boris.last.text
    assert "объединена с вашей (И-2026-0001)" in anna.last.text
    merged = await harness.app.db.read.initiatives.get(1)
    assert merged is not None and merged.supports == 1  # Boris's support moved over


async def test_unpublished_initiatives_of_others_are_not_offered(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    boris = await harness.consented(harness.user("Борис"))
    await fill_form(anna, photos=0, location=None, title="Скамейки во дворе на Советской")
    await anna.press("✅ Отправить")  # new, not public yet
    await fill_form(boris, photos=0, location=None, title="Скамейку во дворе Советской")
    replies = await boris.press("✅ Отправить")
    assert not any("Похожие инициативы" in r.text for r in replies)


async def test_the_same_draft_sent_twice_is_one_initiative(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    draft = Draft(direction="other", title="Клумба", description="Разбить клумбу у дома 7.")
    first = await harness.app.initiatives.submit(anna.id, draft)
    again = await harness.app.initiatives.submit(anna.id, draft)
    assert again.already and again.initiative.id == first.initiative.id


async def test_staff_card_never_goes_to_an_ordinary_group(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна", username="anna"))
        await fill_form(anna, photos=0, location=None)
        await anna.press("✅ Отправить")
        await h.app.initiatives.decide(ADMIN_ID, 1, "accepted")
        [card] = await h.in_group(maria, -100777).send("/initiative И-2026-0001")
        assert "anna" not in card.text and "Автор" not in card.text  # the public card
        assert "✅ Принять" not in card.flat_buttons
        [staff] = await h.in_group(maria, STAFF_CHAT).send("/initiative И-2026-0001")
        assert "Автор: Анна (@anna)" in staff.text
