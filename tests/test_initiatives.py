"""Citizen initiatives end to end: form -> staff card -> decisions -> public support."""

from __future__ import annotations

import secrets

import pytest

from bot.services.errors import DomainError
from bot.services.initiatives import Draft
from bot.services.status_groups import INITIATIVE_PUBLIC
from handlers.forms import FormAction, FormButton
from handlers.initiative_cards import DecisionAction, DecisionButton
from handlers.initiatives_public import InitiativeListButton
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running

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
    tos: str | None = None,
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
    if tos is not None:  # the TOS step, shown only to people in a TOS
        await person.press(tos)
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
        await staff_chat.press("x", data="decide:status:1:review")
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
        await boris.press("x", data="initiative:support:1")
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
        assert anna.last.text == (
            "Your initiative I-2026-0001 «Benches in the yard» is done. Thank you for the idea!"
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
    [mine] = await anna.send("🗂 Мои инициативы и обращения")
    assert "отклонена" in mine.text and "Причина: Это территория" in mine.text
    [listed] = await harness.app.db.read.initiatives.by_author(anna.id, 10)
    assert listed.rejection_reason is not None and listed.rejection_reason.startswith("Это")
    # A rejected initiative cannot be marked done, whatever the button says.
    await maria.press("x", data="decide:done:1:")
    assert maria.last_answer["text"] == (
        "Инициативу со статусом «отклонена» нельзя перевести в статус «выполнена»."
    )


async def test_residents_cannot_decide_or_see_others_unpublished(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    await fill_form(anna, photos=0, location=None)
    await anna.press("✅ Отправить")
    mallory = await harness.consented(harness.user("Злоумышленник"))
    for data in (
        "decide:status:1:accepted",
        "decide:comment:1:",
        "decide:merge:1:",
        "decide:finish:1:",
    ):
        await mallory.press("x", data=data)
        assert mallory.last_answer["text"] == "Это доступно только специалистам администрации."
    [hidden] = await mallory.send("/initiative И-2026-0001")  # not public yet, not theirs
    assert hidden.text == "Извините, это действие вам недоступно."
    await mallory.press("x", data="initiative:open:1")
    assert mallory.last_answer["text"] == "Извините, это действие вам недоступно."
    await mallory.press("x", data="initiative:support:1")
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
    await harness.app.services.initiatives.decide(ADMIN_ID, 1, "accepted")
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
    first = await harness.app.services.initiatives.submit(anna.id, draft)
    again = await harness.app.services.initiatives.submit(anna.id, draft)
    assert again.already and again.initiative.id == first.initiative.id


async def test_staff_card_never_goes_to_an_ordinary_group(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна", username="anna"))
        await fill_form(anna, photos=0, location=None)
        await anna.press("✅ Отправить")
        await h.app.services.initiatives.decide(ADMIN_ID, 1, "accepted")
        [card] = await h.in_group(maria, -100777).send("/initiative И-2026-0001")
        assert "anna" not in card.text and "Автор" not in card.text  # the public card
        assert "✅ Принять" not in card.flat_buttons
        [staff] = await h.in_group(maria, STAFF_CHAT).send("/initiative И-2026-0001")
        assert "Автор: Анна (@anna)" in staff.text


# -- the TOS of an initiative ------------------------------------------------------------

SOUTH, NORTH = "ТОС «Южный»", "ТОС «Северный»"


async def add_tos(h: Harness, name: str, *members: Person, active: bool = True) -> int:
    async with h.app.db.transaction() as uow:
        now = h.clock.now()
        tos_id = await uow.registry.add_tos(
            {"name": name, "active": active}, secrets.token_hex(6), now
        )
        for member in members:
            await uow.registry.join(tos_id, member.id, now)
    return tos_id


async def up_to_the_place(person: Person, title: str = "Скамейки во дворе") -> list[Sent]:
    """The form up to the place step, the place skipped by a typed word: the next question."""
    await person.send("/initiative")
    await person.press(person.last.flat_buttons[0])
    await person.send(title)
    await person.send("Поставить три скамейки у детской площадки на Советской, 12.")
    await person.press(person.last.flat_buttons[-1])  # «Done» / «Готово»
    return await person.send("нет" if person.user.language_code != "en" else "skip")


async def test_the_tos_step_names_the_tos_on_every_card(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        staff_chat = h.in_group(maria, STAFF_CHAT)
        anna = await h.consented(h.user("Анна"))
        south = await add_tos(h, SOUTH, anna)
        await add_tos(h, NORTH)  # not hers
        await add_tos(h, "ТОС «Закрытый»", anna, active=False)  # hers, but no longer active

        [opening, _] = await anna.send("/initiative")
        assert opening.text.startswith("Давайте опишем вашу инициативу: семь коротких шагов")
        await anna.send("/cancel")
        [ask] = await up_to_the_place(anna)
        assert ask.text.startswith("Это инициатива вашего ТОС?")
        assert ask.flat_buttons == [SOUTH, "Без ТОС"]
        [ask_name] = await anna.press(SOUTH)
        assert "Показывать там ваше имя?" in ask_name.text
        [preview] = await anna.press("Нет, без имени")
        assert "ТОС: ТОС «Южный»" in preview.text
        # «Change a step» can go back to it.
        [steps] = await anna.press("✏️ Изменить шаг")
        assert "ТОС" in steps.flat_buttons
        await anna.press("ТОС")
        [again] = await anna.press(SOUTH)
        assert "ТОС: ТОС «Южный»" in again.text  # straight back to the preview
        await anna.press("✅ Отправить")

        record = await h.app.db.read.initiatives.get(1)
        assert record is not None and record.tos_id == south
        await h.deliver()
        [card] = [s for s in staff_chat.inbox if "Гражданская инициатива" in s.text]
        assert "ТОС: ТОС «Южный»" in card.text
        await h.app.services.initiatives.decide(ADMIN_ID, 1, "accepted")
        boris = await h.consented(h.user("Boris", language_code="en"))
        await boris.send("/initiatives")
        [public] = await boris.press("Open I-2026-0001")
        assert "TOS: ТОС «Южный»" in public.text


async def test_without_a_tos_the_step_is_skipped(harness: Harness) -> None:
    bob = await harness.consented(harness.user("Bob", language_code="en"))
    await add_tos(harness, "ТОС «Закрытый»", bob, active=False)  # an inactive TOS is none
    [opening, _] = await bob.send("/initiative")
    assert opening.text.startswith("Let's write your initiative: six short steps")
    await bob.send("/cancel")
    [ask] = await up_to_the_place(bob)
    assert ask.text.startswith("When the initiative is accepted")  # no TOS question
    [preview] = await bob.press("No, stay anonymous")
    assert "TOS:" not in preview.text
    [steps] = await bob.press("✏️ Change a step")
    assert "TOS" not in steps.flat_buttons and "Place" in steps.flat_buttons
    step = FormButton(form="initiative", action=FormAction.STEP, step="direction")
    await bob.press("x", data=step.pack())
    await bob.press("Other")
    await bob.press("✅ Send")
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.tos_id is None and record.direction == "other"


async def test_the_tos_typed_and_a_restart_mid_step(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    south = await add_tos(harness, SOUTH, anna)
    await add_tos(harness, NORTH, anna)
    [ask] = await up_to_the_place(anna)
    assert sorted(ask.flat_buttons[:2]) == [NORTH, SOUTH] and ask.flat_buttons[2:] == ["Без ТОС"]
    await harness.restart()
    [unknown] = await anna.send("Заречный")
    assert unknown.text == "Пожалуйста, выберите свой ТОС кнопками выше или нажмите «Без ТОС»."
    [ask_name] = await anna.send("тос «южный»")  # the name, in any case
    assert "Показывать там ваше имя?" in ask_name.text
    [preview] = await anna.send("нет")
    assert "ТОС: ТОС «Южный»" in preview.text
    await anna.press("✅ Отправить")
    first = await harness.app.db.read.initiatives.get(1)
    assert first is not None and first.tos_id == south

    # «no» in the TOS step: an initiative without a TOS; English works too.
    await up_to_the_place(anna, title="Клумба у дома")
    await anna.send("Without a TOS")
    [preview] = await anna.send("нет")
    assert "ТОС:" not in preview.text
    await anna.press("✅ Отправить")
    second = await harness.app.db.read.initiatives.get(2)
    assert second is not None and second.tos_id is None


async def test_a_forged_or_stale_tos_is_refused(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    south = await add_tos(harness, SOUTH, anna)
    north = await add_tos(harness, NORTH)
    await up_to_the_place(anna)
    # A button naming a TOS she is not in: refused, the step stays.
    tos = FormButton(form="initiative", action=FormAction.CHOOSE, step="tos", value=str(north))
    await anna.press("x", data=tos.pack())
    assert anna.last_answer["text"] == (
        "Вы не состоите в этом ТОС, поэтому указать его в инициативе нельзя."
    )
    assert anna.last_answer["show_alert"] is True
    await anna.press("x", data=tos.model_copy(update={"value": "-1"}).pack())
    assert anna.last_answer["text"] == "Эта кнопка устарела."
    [ask_name] = await anna.press(SOUTH)
    assert "Показывать там ваше имя?" in ask_name.text
    [preview] = await anna.press("Нет, без имени")

    # She leaves the TOS before sending: the send is refused, nothing is stored.
    async with harness.app.db.transaction() as uow:
        await uow.registry.leave(south, anna.id)
    [refused, ask] = await anna.press("✅ Отправить", on=preview)
    assert refused.text.startswith("Вы больше не состоите в этом ТОС")
    assert "Остальные ответы сохранены" in refused.text
    assert await harness.app.db.read.initiatives.get(1) is None
    # The form is kept, back at the TOS step, where only «without» is left.
    assert ask.flat_buttons == ["Без ТОС"]
    [preview] = await anna.press("Без ТОС")
    assert "ТОС:" not in preview.text
    await anna.press("✅ Отправить")
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.tos_id is None

    # The service checks it too, whatever the handler did.
    draft = Draft(direction="other", title="Клумба", description="Разбить клумбу у дома 7.")
    draft.tos_id = north
    with pytest.raises(DomainError):
        await harness.app.services.initiatives.submit(anna.id, draft)


async def public_in(h: Harness, author: Person, tos_id: int | None, title: str) -> int:
    draft = Draft(
        direction="other", title=title, description="Описание инициативы для списка.", tos_id=tos_id
    )
    submitted = await h.app.services.initiatives.submit(author.id, draft)
    await h.app.services.initiatives.decide(ADMIN_ID, submitted.initiative.id, "accepted")
    return submitted.initiative.id


async def test_the_public_list_by_tos_keeps_paging(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    boris = await harness.consented(harness.user("Борис"))
    south = await add_tos(harness, SOUTH, anna)
    north = await add_tos(harness, NORTH, boris)
    await add_tos(harness, "ТОС «Пустой»", anna)  # no public initiatives: not offered
    for n in range(6):
        await public_in(harness, anna, south, f"Южная инициатива {n}")
    await public_in(harness, boris, north, "Северная инициатива")
    await public_in(harness, boris, None, "Инициатива без ТОС")
    await harness.app.services.initiatives.submit(  # not public: never listed
        anna.id,
        Draft(direction="other", title="Черновик юга", description="Ещё не принята.", tos_id=south),
    )

    viewer = await harness.consented(harness.user("Вера"))
    [listing] = await viewer.send("/initiatives")
    assert "Инициатива без ТОС" in listing.text and "По ТОС" in listing.flat_buttons
    await viewer.press("По ТОС")
    choice = viewer.edits[-1]
    assert choice.text == "Инициативы какого ТОС показать?"
    assert choice.flat_buttons == [NORTH, SOUTH, "◀ Назад к списку"]
    await viewer.press(SOUTH, on=choice)
    page1 = viewer.edits[-1]
    assert "ТОС «Южный»" in page1.text.splitlines()[0]
    assert "Южная инициатива 5" in page1.text and "Северная" not in page1.text
    assert "без ТОС" not in page1.text and "Черновик" not in page1.text
    assert "Все ТОС" in page1.flat_buttons and "По ТОС" not in page1.flat_buttons
    await viewer.press("▶", on=page1)
    page2 = viewer.edits[-1]
    assert "Южная инициатива 0" in page2.text and "Северная" not in page2.text
    assert "▶" not in page2.flat_buttons
    # Both filters at once: the south and a direction with nothing in it.
    await viewer.press("Здоровый образ жизни и спорт", on=page2)
    sport = viewer.edits[-1]
    assert "Южная" not in sport.text and "«Южный»" in sport.text.splitlines()[0]
    await viewer.press("Другое", on=sport)
    other = viewer.edits[-1]
    assert "Южная инициатива 5" in other.text and "Северная" not in other.text
    await viewer.press("Все ТОС", on=other)
    everything = viewer.edits[-1]
    assert "Северная инициатива" in everything.text
    # A forged id filters nothing; the repository takes the filter too.
    await viewer.press("x", data=InitiativeListButton(tos=9999).pack(), on=everything)
    assert "Инициатива без ТОС" in viewer.edits[-1].text
    items, total = await harness.app.db.read.initiatives.public_page(
        INITIATIVE_PUBLIC, None, 0, 10, tos_id=north
    )
    assert total == 1 and items[0].title == "Северная инициатива"


async def test_the_tos_filter_in_english(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    south = await add_tos(harness, SOUTH, anna)
    await public_in(harness, anna, south, "Южная инициатива")
    ann = await harness.consented(harness.user("Ann", language_code="en"))
    [listing] = await ann.send("/initiatives")
    await ann.press("By TOS", on=listing)
    choice = ann.edits[-1]
    assert choice.text == "Initiatives of which TOS to show?"
    await ann.press(SOUTH, on=choice)
    filtered = ann.edits[-1]
    assert "Южная инициатива" in filtered.text and "All TOS" in filtered.flat_buttons


async def test_no_tos_button_while_no_tos_has_public_initiatives(harness: Harness) -> None:
    viewer = await harness.consented(harness.user("Вера"))
    await add_tos(harness, SOUTH, viewer)
    [listing] = await viewer.send("/initiatives")
    assert "По ТОС" not in listing.flat_buttons
    await viewer.press("x", data=InitiativeListButton(tos=-1).pack(), on=listing)
    assert viewer.edits[-1].text == "Пока ни у одного ТОС нет опубликованных инициатив."


async def test_the_same_tos_in_another_direction_is_a_duplicate(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    boris = await harness.consented(harness.user("Борис"))
    south = await add_tos(harness, SOUTH, anna, boris)
    first = Draft(
        direction="improvement",
        title="Скамейки во дворе на Советской",
        description="Поставить скамейки во дворе.",
        tos_id=south,
    )
    done = await harness.app.services.initiatives.submit(anna.id, first)
    await harness.app.services.initiatives.decide(ADMIN_ID, done.initiative.id, "accepted")
    same_tos = Draft(
        direction="festivals",
        title="Скамейку во дворе Советской",
        description="Праздник открытия скамейки.",
        tos_id=south,
    )
    offered = await harness.app.services.initiatives.submit(boris.id, same_tos)
    assert [o.id for o in offered.duplicates] == [done.initiative.id]
    no_tos = Draft(
        direction="festivals",
        title="Скамейки во дворе Советской",
        description="Праздник открытия скамейки.",
    )
    other = await harness.app.services.initiatives.submit(boris.id, no_tos)
    assert done.initiative.id not in [o.id for o in other.duplicates]


async def test_a_forged_decision_to_a_status_not_offered(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    await fill_form(anna, photos=0, location=None)
    await anna.press("✅ Отправить")
    await harness.deliver()
    for status, wanted in (("merged", "объединена с другой"), ("bogus", "bogus")):
        replies = await maria.press(
            "x", data=DecisionButton(action=DecisionAction.STATUS, id=1, status=status).pack()
        )
        assert replies == []
        assert maria.last_answer["text"] == (
            f"Инициативу со статусом «новая» нельзя перевести в статус «{wanted}»."
        )
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.status == "new" and record.merged_into is None
    assert [e.to_status for e in await harness.app.db.read.initiatives.history(1)] == ["new"]
