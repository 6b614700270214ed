"""Every message fits Telegram's limits, whatever the data: long cards and lists reach the
person (in parts where they must), edits and captions are shortened at the one place that
sends, and every free text has a limit that keeps its cards within one message."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot.services.errors import DomainError
from bot.services.initiatives import Draft
from bot.textsplit import visible_length
from tests.conftest import ADMIN_ID
from tests.kit import CAPTION_LIMIT, TEXT_LIMIT, Harness, Person, Sent, utf16_len, visible_text

SORRY = {
    "ru": "Извините, что-то пошло не так",
    "en": "Sorry, something went wrong",
}
LANGUAGES = ("ru", "en")


def seen(sent: Sent) -> str:
    """What the person reads (the HTML's text)."""
    return visible_text(sent.text, html=True)


def no_crash(person: Person, lang: str) -> None:
    assert not any(SORRY[lang] in s.text for s in person.inbox), [s.text for s in person.inbox]


async def long_tos(h: Harness, name: str = "ТОС «Длинный» <&>") -> int:
    """A TOS with every free text at the registry's own limits."""
    registry = h.app.services.registry
    tos = await registry.add_tos(ADMIN_ID, name)
    lines = "\n".join((f"ул. Длинная-{n:02d}, дома 1–99 " + "а" * 200)[:200] for n in range(15))
    values = {
        **registry.parse_tos_field("territory", lines),
        **registry.parse_tos_field("description", ("Описание <b>не тег</b> & " * 60)[:1000]),
        **registry.parse_tos_field("public_contact", ("+7 913 000-00-00, ул. Мира " * 20)[:300]),
        **registry.parse_tos_field("contacts", ("Контакты для специалистов " * 20)[:300]),
        **registry.parse_tos_field("residents", "1000000"),
    }
    await registry.update_tos(ADMIN_ID, tos.id, values)
    return tos.id


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_tos_card_with_long_fields_reaches_the_resident(
    harness: Harness, lang: str
) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна", language_code=lang))
    tos_id = await long_tos(harness)
    await harness.app.services.registry.join(anna.id, tos_id)

    [card] = await anna.send("/tos")  # one message: the card, its buttons under it
    no_crash(anna, lang)
    text = seen(card)
    assert "ТОС «Длинный» <&>" in text
    assert ("Описание <b>не тег</b> & " * 60)[:1000].strip() in text
    assert "ул. Длинная-00, дома 1–99" in text
    assert ("+7 913 000-00-00, ул. Мира " * 20)[:300].strip() in text
    assert card.flat_buttons  # leave, find another
    more = "…и ещё" if lang == "ru" else "…and"
    assert more in text  # the territory lines that do not fit are counted


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_registry_card_with_long_fields_reaches_staff(
    harness: Harness, lang: str
) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID, language_code=lang))
    await long_tos(harness)
    await maria.send("/registry")
    await maria.press(next(b for b in maria.last.flat_buttons if b.startswith("🏘")))
    [card] = await maria.press("ТОС «Длинный» <&>")
    no_crash(maria, lang)
    text = seen(card)
    assert "ТОС «Длинный» <&>" in text
    assert ("Контакты для специалистов " * 20)[:300].strip() in text
    assert ("Описание <b>не тег</b> & " * 60)[:1000].strip() in text
    assert any(b.startswith("✏️") for b in card.flat_buttons)


async def rejected(h: Harness, author: Person, title: str, reason: str) -> None:
    draft = Draft(direction="other", title=title, description="Описание инициативы, подробно.")
    submitted = await h.app.services.initiatives.submit(author.id, draft)
    await h.app.services.initiatives.decide(ADMIN_ID, submitted.initiative.id, "rejected", reason)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_my_with_long_rejection_reasons_arrives_whole(harness: Harness, lang: str) -> None:
    from bot.services.initiatives import REASON_LIMITS

    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна", language_code=lang))
    high = REASON_LIMITS[1]
    count = TEXT_LIMIT // high + 2  # more than one message can hold
    for n in range(count):
        reason = (f"Причина {n}: " + "нельзя <i>так</i> & " * 200)[:high]
        await rejected(harness, anna, f"Инициатива номер {n}", reason)
    parts = await anna.send("/my")
    no_crash(anna, lang)
    assert len(parts) >= 2
    for part in parts:
        assert utf16_len(seen(part)) <= TEXT_LIMIT
    whole = "\n".join(seen(p) for p in parts)
    for n in range(count):
        assert f"Причина {n}: нельзя <i>так</i> &" in whole
        assert f"Инициатива номер {n}" in whole


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_rejection_reason_over_its_limit_is_refused_at_its_step(
    harness: Harness, lang: str
) -> None:
    from bot.services.initiatives import REASON_LIMITS

    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID, language_code=lang))
    anna = await harness.consented(harness.user("Анна"))
    draft = Draft(direction="other", title="Скамейки", description="Поставить скамейки у дома.")
    await harness.app.services.initiatives.submit(anna.id, draft)
    await harness.deliver()
    card = maria.last
    [ask] = await maria.press("✖ Reject" if lang == "en" else "✖ Отклонить", on=card)
    high = REASON_LIMITS[1]
    assert str(high) in ask.text  # the question says how long the reason may be
    [refused] = await maria.send("Слишком длинно. " * (high // 16 + 10))
    expected = {
        "ru": f"Причина должна быть от 1 до {high} символов, а в вашей —",
        "en": f"The reason should be 1 to {high} characters long; yours has",
    }
    assert refused.text.startswith(expected[lang])
    record = await harness.app.services.initiatives.find(1)
    assert record.status == "new"
    # Still at the step: a reason within the limit goes through.
    await maria.send("Это частная территория.")
    assert (await harness.app.services.initiatives.find(1)).status == "rejected"
    no_crash(maria, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_a_decline_reason_and_a_comment_over_their_limits_stay_at_their_step(
    harness: Harness, lang: str
) -> None:
    from bot.services.initiatives import COMMENT_LIMITS
    from bot.services.requests import MESSAGE_LIMIT, RequestDraft

    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID, language_code=lang))
    anna = await harness.consented(harness.user("Анна"))
    request = RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
    await harness.app.services.requests.submit(anna.id, request)
    await harness.app.services.initiatives.submit(
        anna.id, Draft(direction="other", title="Скамейки", description="Поставить скамейки.")
    )
    await harness.deliver()
    decline, comment = (
        ("✖ Decline", "💬 Write to the author")
        if lang == "en"
        else ("✖ Отклонить", "💬 Написать автору")
    )
    request_card = next(m for m in maria.inbox if "R-2026-0001" in m or "З-2026-0001" in m)
    await maria.press(decline, on=request_card)
    [refused] = await maria.send("д" * (MESSAGE_LIMIT + 1))
    assert str(MESSAGE_LIMIT) in refused.text and str(MESSAGE_LIMIT + 1) in refused.text
    assert (await harness.app.services.requests.find(1)).status == "new"
    await maria.send("Не относится к ведению администрации.")
    assert (await harness.app.services.requests.find(1)).status == "rejected"
    await maria.press(comment)
    [refused] = await maria.send("к" * (COMMENT_LIMITS[1] + 1))
    assert f"{COMMENT_LIMITS[1]}" in refused.text
    [sent] = await maria.send("Спасибо за идею!")
    assert sent.text == ("Sent to the author." if lang == "en" else "Отправлено автору.")
    no_crash(maria, lang)


async def test_the_service_refuses_texts_over_their_limits(harness: Harness) -> None:
    """Each free text is limited where its rule lives, whatever a handler did."""
    from bot.services.competitions import ApplicationDraft
    from bot.services.events import EventDraft

    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    initiatives = harness.app.services.initiatives
    with pytest.raises(DomainError):  # a reason over the limit
        submitted = await initiatives.submit(
            anna.id, Draft(direction="other", title="Клумба", description="Разбить клумбу у дома.")
        )
        await initiatives.decide(ADMIN_ID, submitted.initiative.id, "rejected", "я" * 5000)
    for draft in (
        Draft(direction="other", title="Клумба", description="Разбить клумбу.", address="д" * 301),
        Draft(direction="other", title="К" * 121, description="Разбить клумбу у дома."),
        Draft(direction="other", title="Клумба", description="Р" * 2001),
    ):
        with pytest.raises(DomainError):
            await initiatives.submit(anna.id, draft)
    # An emoji counts as two, as Telegram counts it.
    with pytest.raises(DomainError):
        await initiatives.submit(
            anna.id, Draft(direction="other", title="😀" * 61, description="Разбить клумбу.")
        )
    start = harness.clock.now().replace(year=2027)
    for field, value in (("title", "т" * 201), ("place", "м" * 301), ("organiser", "о" * 201)):
        event = EventDraft(
            owner_kind="town",
            title="Субботник",
            place="Двор",
            organiser="",
            starts_at=start,
            ends_at=start.replace(hour=start.hour + 2),
        )
        setattr(event, field, value)
        with pytest.raises(DomainError):
            await harness.app.services.events.create(ADMIN_ID, event, "администрация")
    with pytest.raises(DomainError):
        await harness.app.services.competitions.register(
            ADMIN_ID, 1, ApplicationDraft(project="п" * 201, direction="other")
        )


# -- the one place that fits a message ------------------------------------------------------------


def keyboard(label: str = "OK") -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=label, callback_data="x")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def sent_to(h: Harness, chat_id: int) -> list[Sent]:
    return [s for s in h.session.sent if s.chat_id == chat_id]


async def test_a_long_message_goes_in_parts_buttons_under_the_last(harness: Harness) -> None:
    bot = harness.app.bot
    text = "\n\n".join(f"<b>Абзац {n}</b> " + "слово &amp; &lt;ещё&gt; " * 40 for n in range(20))
    assert visible_length(text) > 2 * TEXT_LIMIT
    first = await bot.send_message(42, "начало")
    reply = ReplyParameters(message_id=first.message_id)
    last = await bot.send_message(42, text, reply_markup=keyboard(), reply_parameters=reply)
    parts = sent_to(harness, 42)[1:]
    assert len(parts) == 3
    assert last.message_id == parts[-1].message_id  # the caller gets the one with the buttons
    assert [bool(p.buttons) for p in parts] == [False, False, True]
    assert [p.reply_to for p in parts] == [first.message_id, None, None]
    assert "".join(p.text for p in parts).count("Абзац") == 20  # whole paragraphs, none lost


async def test_a_long_plain_text_is_split_as_text(harness: Harness) -> None:
    bot = harness.app.bot
    text = "a < b & c > d " * 700  # not HTML: the characters are what the person reads
    await bot.send_message(42, text, parse_mode=None)
    parts = sent_to(harness, 42)
    assert len(parts) == 3
    assert "".join(p.text for p in parts).replace(" ", "") == text.replace(" ", "")


async def test_an_edit_and_a_caption_are_shortened_to_fit(harness: Harness) -> None:
    bot = harness.app.bot
    sent = await bot.send_message(42, "карточка", reply_markup=keyboard())
    long = "<i>" + "длинный текст " * 600 + "</i>"
    await bot.edit_message_text(
        long, chat_id=42, message_id=sent.message_id, reply_markup=keyboard()
    )
    edited = sent_to(harness, 42)[-1]
    assert edited.method == "EditMessageText"
    assert utf16_len(seen(edited)) <= TEXT_LIMIT and edited.text.endswith("…")
    assert edited.buttons == [["OK"]]
    await bot.send_photo(42, "photo-1", caption="<b>" + "подпись " * 300 + "</b>")
    photo = sent_to(harness, 42)[-1]
    assert utf16_len(seen(photo)) <= CAPTION_LIMIT and photo.text.endswith("…")
    await bot.answer_callback_query("1", text="ответ " * 50, show_alert=True)
    answer = harness.session.callback_answers[-1]["text"]
    assert len(answer) <= 200 and answer.endswith("…")
