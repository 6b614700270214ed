"""Issue 4, bad input and access: every case in Russian and in English, each with a clear
message in the person's language and nothing changed in the database that should not be."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from aiogram.types import Sticker, Voice

from bot.services.errors import DomainError
from bot.services.initiatives import Draft
from handlers.forms import FormAction, FormButton
from handlers.initiative_cards import DecisionAction, DecisionButton
from handlers.initiatives_public import InitiativeAction, InitiativeButton
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running
from tests.test_initiatives import fill_form

BOUNDS = (54.55, 83.20, 54.70, 83.40)  # south-west and north-east corners of the town
IN_TOWN = (54.64, 83.30)


@dataclass(frozen=True)
class Lang:
    code: str
    direction: str
    send: str
    edit: str
    cancel: str
    done: str
    title_length: str  # with {n}
    description_length: str  # with {n}
    title_as_text: str
    description_as_text: str
    photo_added: str  # with {n}
    sixth_photo: str
    far: str
    place_again: str
    ask_show_name: str
    ask_description: str
    ask_photos: str
    registered: str
    form_closed: str
    out_of_date: str
    use_buttons: str
    staff_only: str
    not_available: str
    cannot_support: str
    not_supported: str
    own: str
    no_such: str
    reason_as_text: str
    no_done_when_new: str


RU = Lang(
    code="ru",
    direction="Благоустройство и озеленение",
    send="✅ Отправить",
    edit="✏️ Изменить шаг",
    cancel="✖ Отменить",
    done="Готово",
    title_length="Название должно быть от 3 до 120 символов, а в вашем — {n}.",
    description_length="Описание должно быть от 10 до 2000 символов, а в вашем — {n}.",
    title_as_text="Пожалуйста, напишите название текстом.",
    description_as_text="Пожалуйста, опишите идею текстом.",
    photo_added="Фото добавлено ({n} из 5). Пришлите ещё или нажмите «Готово».",
    sixth_photo="Можно не больше 5 фото — это фото не добавлено. Нажмите «Готово».",
    far=(
        "Похоже, это место далеко от города. Отправьте геопозицию в пределах города "
        "или напишите адрес."
    ),
    place_again=(
        "Отправьте геопозицию или напишите адрес (от 3 до 300 символов) либо нажмите «Пропустить»."
    ),
    ask_show_name="Показывать там ваше имя?",
    ask_description="Опишите идею",
    ask_photos="Добавьте до 5 фото",
    registered="зарегистрирована под номером <b>И-2026-0001</b>",
    form_closed="Эта анкета уже отправлена или закрыта.",
    out_of_date="Эта кнопка устарела.",
    use_buttons=(
        "Пожалуйста, воспользуйтесь кнопками под текстом: отправить, изменить или отменить."
    ),
    staff_only="Это доступно только специалистам администрации.",
    not_available="Извините, это действие вам недоступно.",
    cannot_support="Эту инициативу сейчас нельзя поддержать.",
    not_supported="Вы не поддерживали эту инициативу.",
    own="Это ваша инициатива — ваша поддержка у неё уже есть.",
    no_such="Такой инициативы нет.",
    reason_as_text="Пожалуйста, напишите причину текстом.",
    no_done_when_new="Инициативу со статусом «новая» нельзя перевести в статус «выполнена».",
)
EN = Lang(
    code="en",
    direction="Improvement and greening",
    send="✅ Send",
    edit="✏️ Change a step",
    cancel="✖ Cancel",
    done="Done",
    title_length="The title should be 3 to 120 characters long; yours has {n}.",
    description_length="The description should be 10 to 2000 characters long; yours has {n}.",
    title_as_text="Please write the title as text.",
    description_as_text="Please describe the idea in text.",
    photo_added="Photo added ({n} of 5). Send more or press «Done».",
    sixth_photo="That is more than 5 photos: this one is not added. Press «Done».",
    far=(
        "This place seems to be far from the town. Share a location in the town "
        "or type the address."
    ),
    place_again="Share a location or type the address (3 to 300 characters), or press «Skip».",
    ask_show_name="Show your name there?",
    ask_description="Describe the idea",
    ask_photos="Add up to 5 photos",
    registered="registered as <b>I-2026-0001</b>",
    form_closed="This form is already sent or closed.",
    out_of_date="This button is out of date.",
    use_buttons="Please use the buttons under the preview: send, change or cancel.",
    staff_only="This is for the town hall's staff only.",
    not_available="Sorry, this is not available to you.",
    cannot_support="This initiative cannot be supported now.",
    not_supported="You do not support this initiative.",
    own="This is your own initiative: it has your support already.",
    no_such="There is no such initiative.",
    reason_as_text="Please write the reason as text.",
    no_done_when_new="An initiative that is «new» cannot become «done».",
)
LANGS = [pytest.param(RU, id="ru"), pytest.param(EN, id="en")]


def sticker() -> Sticker:
    return Sticker(
        file_id="sticker-1",
        file_unique_id="sticker-1",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
        emoji="👍",
    )


def voice() -> Voice:
    return Voice(file_id="voice-1", file_unique_id="voice-1", duration=3)


async def send_sticker(person: Person) -> list[Sent]:
    return await person._feed(message=person._message(sticker=sticker()))


async def send_voice(person: Person) -> list[Sent]:
    return await person._feed(message=person._message(voice=voice()))


async def resident(h: Harness, lang: Lang, name: str = "Анна", **kw: object) -> Person:
    return await h.consented(h.user(name, language_code=lang.code, **kw))  # type: ignore[arg-type]


async def to_title_step(person: Person, lang: Lang) -> None:
    await person.send("/initiative")
    await person.press(lang.direction)


async def count_initiatives(h: Harness) -> int:
    n = 0
    while await h.app.db.read.initiatives.get(n + 1) is not None:
        n += 1
    return n


# -- texts ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_title_too_short_too_long_sticker_voice(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await to_title_step(anna, lang)
    [short] = await anna.send("ab")
    assert short.text == lang.title_length.format(n=2)
    [spaces] = await anna.send("  a  ")  # whitespace does not count
    assert spaces.text == lang.title_length.format(n=1)
    [long] = await anna.send("Б" * 121)
    assert long.text == lang.title_length.format(n=121)
    [on_sticker] = await send_sticker(anna)
    assert on_sticker.text == lang.title_as_text
    [on_voice] = await send_voice(anna)
    assert on_voice.text == lang.title_as_text
    [on_photo] = await anna.send_photo()
    assert on_photo.text == lang.title_as_text
    # Still the title step: the longest allowed title goes on to the description.
    [next_step] = await anna.send("Т" * 120)
    assert next_step.text.startswith(lang.ask_description)
    await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
    await anna.press(lang.done)
    await anna.press(next(b for b in anna.last.flat_buttons if b in ("Пропустить", "Skip")))
    await anna.press(anna.last.flat_buttons[1])
    await anna.press(lang.send)
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.title == "Т" * 120
    assert (
        await harness.app.services.initiatives.photos(1) == []
    )  # the photo at the title is not kept


@pytest.mark.parametrize("lang", LANGS)
async def test_description_too_short_too_long_sticker_voice(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await to_title_step(anna, lang)
    await anna.send("Скамейки во дворе")
    [short] = await anna.send("коротко  ")  # 7 characters once trimmed
    assert short.text == lang.description_length.format(n=7)
    [long] = await anna.send("О" * 2001)
    assert long.text == lang.description_length.format(n=2001)
    [on_sticker] = await send_sticker(anna)
    assert on_sticker.text == lang.description_as_text
    [on_voice] = await send_voice(anna)
    assert on_voice.text == lang.description_as_text
    [next_step] = await anna.send("Д" * 2000)
    assert next_step.text.startswith(lang.ask_photos)
    await anna.press(lang.done)
    await anna.press(next(b for b in anna.last.flat_buttons if b in ("Пропустить", "Skip")))
    await anna.press(anna.last.flat_buttons[1])
    await anna.press(lang.send)
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.description == "Д" * 2000
    assert record.title == "Скамейки во дворе"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_sticker_or_voice_at_the_other_text_steps(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await to_title_step(anna, lang)
    await anna.send("Скамейки во дворе")
    await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
    await send_sticker(anna)  # at the photos step: not a photo
    await anna.press(lang.done)
    [at_place] = await send_voice(anna)
    assert at_place.text == lang.place_again
    [at_place] = await send_sticker(anna)
    assert at_place.text == lang.place_again
    [ask_name] = await anna.send("ул. Советская, 12")
    assert lang.ask_show_name in ask_name.text
    [preview] = await anna.press(anna.last.flat_buttons[1])
    [at_preview] = await send_voice(anna)
    assert at_preview.text == lang.use_buttons
    assert await harness.app.db.read.initiatives.get(1) is None  # nothing sent by a sticker
    await anna.press(lang.send, on=preview)
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.address == "ул. Советская, 12"
    assert await harness.app.services.initiatives.photos(1) == []


# -- photos and the place ---------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_a_sixth_photo_is_not_added(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await to_title_step(anna, lang)
    await anna.send("Скамейки во дворе")
    await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
    for n in range(1, 4):  # an album of three counts as three
        [added] = await anna.send_photo(file_id=f"p{n}", media_group_id="album-1")
        assert added.text == lang.photo_added.format(n=n)
    for n in range(4, 6):
        [added] = await anna.send_photo(file_id=f"p{n}")
        assert added.text == lang.photo_added.format(n=n)
    [sixth] = await anna.send_photo(file_id="p6", media_group_id="album-2")
    assert sixth.text == lang.sixth_photo
    [seventh] = await anna.send_photo(file_id="p7")
    assert seventh.text == lang.sixth_photo
    assert seventh.flat_buttons == []  # no new «Done»: the one above still works
    await anna.press(lang.done)
    await anna.press(next(b for b in anna.last.flat_buttons if b in ("Пропустить", "Skip")))
    [preview] = await anna.press(anna.last.flat_buttons[1])
    assert ("фото: 5" if lang.code == "ru" else "photos: 5") in preview.text
    await anna.press(lang.send)
    assert await harness.app.services.initiatives.photos(1) == ["p1", "p2", "p3", "p4", "p5"]


@pytest.mark.parametrize("lang", LANGS)
async def test_a_location_far_outside_the_town(tmp_path, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, town_bounds=BOUNDS) as h:
        anna = await resident(h, lang)
        await to_title_step(anna, lang)
        await anna.send("Скамейки во дворе")
        await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
        await anna.press(lang.done)
        for far_away in ((55.75, 37.61), (54.64, 83.41), (54.54, 83.30), (-54.64, -83.30)):
            [far] = await anna.send_location(*far_away)
            assert far.text == lang.far, far_away
        [ask_name] = await anna.send_location(54.70, 83.20)  # the corner is still the town
        assert lang.ask_show_name in ask_name.text
        await anna.press(anna.last.flat_buttons[1])
        await anna.press(lang.send)
        record = await h.app.db.read.initiatives.get(1)
        assert record is not None
        assert (record.latitude, record.longitude, record.address) == (54.70, 83.20, None)


@pytest.mark.parametrize(
    ("place", "field"),
    [((55.75, 37.61), "place"), ((54.64, 83.41), "place"), ("ул", "place"), ("д" * 301, "place")],
)
async def test_the_service_refuses_a_place_the_form_would(tmp_path, place, field) -> None:  # type: ignore[no-untyped-def]
    """The place rule (3 to 300 characters, inside the town) is the initiative service's:
    a draft that never went through the form's step is refused on sending all the same."""
    async with running(tmp_path, town_bounds=BOUNDS) as h:
        anna = await h.consented(h.user("Анна"))
        draft = Draft(
            direction="sport",
            title="Турник во дворе",
            description="Поставить турник у дома, пожалуйста.",
        )
        if isinstance(place, tuple):
            draft.latitude, draft.longitude = place
        else:
            draft.address = place
        with pytest.raises(DomainError) as refused:
            await h.app.services.initiatives.submit(anna.id, draft)
        assert refused.value.field == field
        assert await h.app.db.read.initiatives.get(1) is None
        draft.latitude, draft.longitude, draft.address = *IN_TOWN, None
        assert (
            await h.app.services.initiatives.submit(anna.id, draft)
        ).initiative.latitude == IN_TOWN[0]


# -- stale previews and a double send ---------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_buttons_of_a_preview_already_sent(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await fill_form(anna, direction=lang.direction, photos=1, location=None)
    preview = anna.last
    [thanks] = await anna.press(lang.send)
    assert lang.registered in thanks.text
    for label in (lang.send, lang.edit, lang.cancel):
        await anna.press(label, on=preview)
        assert anna.last_answer == {"text": lang.form_closed, "show_alert": True}, label
    assert await count_initiatives(harness) == 1

    # A second form under way: the old preview's buttons touch it neither, at its first
    # step or at its own preview; nor does a button forged with another form's token.
    await anna.send("/initiative")
    await anna.press(lang.cancel, on=preview)
    assert anna.last_answer == {"text": lang.out_of_date, "show_alert": True}
    [ask_title] = await anna.press(lang.direction)
    assert "3" in ask_title.text and "120" in ask_title.text  # the new form went on
    await fill_form(anna, direction=lang.direction, title="Клумба у дома", photos=0, location=None)
    second_preview = anna.last
    for label in (lang.cancel, lang.edit, lang.send):
        before = len(anna.inbox)
        await anna.press(label, on=preview)
        assert anna.last_answer == {"text": lang.out_of_date, "show_alert": True}, label
        assert len(anna.inbox) == before
    forged = FormButton(form="initiative", action=FormAction.SEND, value="0123456789abcdef")
    await anna.press("x", data=forged.pack())
    assert anna.last_answer == {"text": lang.out_of_date, "show_alert": True}
    assert await count_initiatives(harness) == 1
    await anna.press(lang.send, on=second_preview)  # the form is still there to send
    second = await harness.app.db.read.initiatives.get(2)
    assert second is not None and second.title == "Клумба у дома"
    first = await harness.app.db.read.initiatives.get(1)
    assert first is not None and first.title == "Скамейки во дворе"


@pytest.mark.parametrize("lang", LANGS)
async def test_a_double_press_on_send(harness: Harness, lang: Lang) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await resident(harness, lang)
    await fill_form(anna, direction=lang.direction, photos=2, location=None)
    preview = anna.last
    [thanks, *_] = await anna.press(lang.send)
    assert lang.registered in thanks.text
    replies = await anna.press(lang.send, on=preview)
    assert replies == []
    assert anna.last_answer == {"text": lang.form_closed, "show_alert": True}
    assert await count_initiatives(harness) == 1
    assert await harness.app.services.initiatives.photos(1) == ["photo-1", "photo-1"]
    assert len(await harness.app.db.read.initiatives.history(1)) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_two_presses_on_send_at_once(harness: Harness, lang: Lang) -> None:
    anna = await resident(harness, lang)
    await fill_form(anna, direction=lang.direction, photos=0, location=None)
    preview = anna.last
    before = len(anna.inbox)
    await asyncio.gather(anna.press(lang.send, on=preview), anna.press(lang.send, on=preview))
    assert await count_initiatives(harness) == 1
    told = [s.text for s in anna.inbox[before:] if not s.method.startswith("Edit")]
    assert sum(lang.registered in t for t in told) == 1, told
    # One update of a person at a time: the second press hears that the form went.
    answers = harness.session.callback_answers[-2:]
    assert {"text": lang.form_closed, "show_alert": True} in answers, answers


# -- access -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_staff_actions_by_residents_change_nothing(harness: Harness, lang: Lang) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await resident(harness, lang)
    await fill_form(anna, direction=lang.direction, photos=0, location=None)
    await anna.press(lang.send)
    await harness.deliver()
    mallory = await resident(harness, lang, name="Mallory")
    forged = [
        DecisionButton(action=DecisionAction.STATUS, id=1, status="accepted"),
        DecisionButton(action=DecisionAction.REJECT, id=1),
        DecisionButton(action=DecisionAction.DONE, id=1),
        DecisionButton(action=DecisionAction.COMMENT, id=1),
        DecisionButton(action=DecisionAction.MERGE, id=1),
        DecisionButton(action=DecisionAction.FINISH, id=1),
        DecisionButton(
            action=DecisionAction.STATUS, id=999, status="accepted"
        ),  # no such initiative: still refused
    ]
    for who in (mallory, anna):  # a stranger, and the author on her own initiative
        for data in forged:
            before = len(who.inbox)
            await who.press("x", data=data.pack())
            assert who.last_answer == {"text": lang.staff_only, "show_alert": True}, data
            assert len(who.inbox) == before  # no question opened
        # Nothing waits for a reason or a comment from them now.
        [reply] = await who.send("Это спам, отклонить")
        assert "И-2026" not in reply.text and "I-2026" not in reply.text
    record = await harness.app.db.read.initiatives.get(1)
    assert record is not None and record.status == "new"
    assert [e.to_status for e in await harness.app.db.read.initiatives.history(1)] == ["new"]


@pytest.mark.parametrize("lang", LANGS)
async def test_staff_finish_or_a_reason_for_another_initiative(tmp_path, lang: Lang) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await resident(h, lang, name="Мария", user_id=ADMIN_ID)
        anna = await resident(h, RU)
        for title in ("Скамейки во дворе", "Клумба у дома"):
            await fill_form(anna, title=title, photos=0, location=None)
            await anna.press(RU.send)
        await h.app.services.initiatives.decide(ADMIN_ID, 1, "accepted")
        await h.app.services.initiatives.decide(ADMIN_ID, 2, "accepted")
        await maria.press("x", data=DecisionButton(action=DecisionAction.DONE, id=1).pack())
        # A «finish» naming another initiative than the one asked about: out of date.
        await maria.press("x", data=DecisionButton(action=DecisionAction.FINISH, id=2).pack())
        assert maria.last_answer == {"text": lang.out_of_date, "show_alert": True}
        # A transition the new one cannot make: refused before any question.
        await fill_form(anna, title="Урны у остановки", photos=0, location=None)
        await anna.press(RU.send)
        await maria.press("x", data=DecisionButton(action=DecisionAction.DONE, id=3).pack())
        assert maria.last_answer == {"text": lang.no_done_when_new, "show_alert": True}
        statuses = [(await h.app.services.initiatives.find(i)).status for i in (1, 2, 3)]
        assert statuses == ["accepted", "accepted", "new"]

        # A sticker or voice where the reason is expected.
        await maria.send("/cancel")
        await maria.press("x", data=DecisionButton(action=DecisionAction.REJECT, id=3).pack())
        for feed in (send_sticker, send_voice):
            [ask] = await feed(maria)
            assert ask.text == lang.reason_as_text
        record = await h.app.db.read.initiatives.get(3)
        assert record is not None and record.status == "new"


@pytest.mark.parametrize("lang", LANGS)
async def test_forged_support_of_someone_elses_initiative(harness: Harness, lang: Lang) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await resident(harness, RU)
    await fill_form(anna, photos=0, location=None)
    await anna.press(RU.send)  # new: not public
    await fill_form(anna, title="Клумба у дома", photos=0, location=None)
    await anna.press(RU.send)
    await harness.app.services.initiatives.decide(ADMIN_ID, 2, "accepted")
    mallory = await resident(harness, lang, name="Mallory")

    cases = [
        (InitiativeButton(action=InitiativeAction.SUPPORT, id=1), lang.cannot_support),
        (InitiativeButton(action=InitiativeAction.WITHDRAW_SUPPORT, id=1), lang.not_supported),
        (InitiativeButton(action=InitiativeAction.OPEN, id=1), lang.not_available),
        (InitiativeButton(action=InitiativeAction.SUPPORT, id=999), lang.cannot_support),
        (InitiativeButton(action=InitiativeAction.OPEN, id=999), lang.no_such),
        (
            InitiativeButton(action=InitiativeAction.WITHDRAW_SUPPORT, id=2),
            lang.not_supported,
        ),  # public, never supported
    ]
    for data, expected in cases:
        before = len(mallory.inbox)
        await mallory.press("x", data=data.pack())
        assert mallory.last_answer == {"text": expected, "show_alert": True}, data
        assert len(mallory.inbox) == before  # no card of someone else's draft shown
    [hidden] = await mallory.send("/initiative И-2026-0001")
    assert hidden.text == lang.not_available
    # The author cannot support her own, however the button is made.
    await anna.press("x", data=InitiativeButton(action=InitiativeAction.SUPPORT, id=2).pack())
    assert anna.last_answer == {"text": RU.own, "show_alert": True}
    for initiative_id in (1, 2):
        record = await harness.app.db.read.initiatives.get(initiative_id)
        assert record is not None and record.supports == 0
        assert not await harness.app.services.initiatives.has_supported(mallory.id, initiative_id)
    first = await harness.app.db.read.initiatives.get(1)
    assert first is not None and first.status == "new"
