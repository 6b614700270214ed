"""Start, consent (152-FZ), language, help, privacy notice and withdrawal — in both languages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.people import Person
from tests.conftest import ADMIN_ID
from tests.kit import Harness, running

STAFF_CHAT = -1001000000077


async def stored(harness: Harness, user_id: int) -> Person:
    record = await harness.app.db.read.users.get(user_id)
    assert record is not None
    return record


async def test_full_journey_in_russian_then_english(harness: Harness) -> None:
    anna = harness.user("Анна", last_name="Иванова", username="anna_iv", language_code="ru")

    [notice] = await anna.send("/start")
    assert "152-ФЗ" in notice.text and "Как отозвать" in notice.text
    assert "«Тестовск»" in notice.text
    assert notice.flat_buttons == ["✅ Даю согласие", "Не даю согласия"]
    # Before consent only the id and language are kept: no name.
    before = await stored(harness, anna.id)
    assert before.first_name is None and not before.has_consent

    replies = await anna.press("✅ Даю согласие")
    assert any("Спасибо! Ваше согласие сохранено." in r.text for r in replies)
    menu = replies[-1]
    assert "Здравствуйте!" in menu.text
    assert menu.reply_keyboard == [
        ["💡 Предложить инициативу", "🤝 Обратиться за поддержкой"],
        ["📋 Инициативы", "🗂 Мои инициативы и обращения"],
        ["🏘 Мой ТОС", "📅 Мероприятия", "🏆 Конкурсы"],
        ["❓ Помощь", "🌐 Язык", "🔒 Персональные данные"],
    ]
    after = await stored(harness, anna.id)
    assert after.has_consent and after.first_name == "Анна" and after.username == "anna_iv"
    history = await harness.app.db.read.users.consent_history(anna.id)
    assert [(a, v) for a, v, _ in history] == [("given", after.consent_version)]

    [choose] = await anna.send("/lang")
    assert choose.flat_buttons == ["Русский", "English"]
    [done] = await anna.press("English")
    assert done.text == "Done: I will speak English now."
    assert done.reply_keyboard == [
        ["💡 Propose an initiative", "🤝 Ask for support"],
        ["📋 Initiatives", "🗂 My initiatives and requests"],
        ["🏘 My TOS", "📅 Events", "🏆 Competitions"],
        ["❓ Help", "🌐 Language", "🔒 Personal data"],
    ]
    assert (await stored(harness, anna.id)).locale == "en"

    [help_] = await anna.send("/help")
    assert "<b>What I can do</b>" in help_.text
    assert "/privacy — Personal data" in help_.text
    assert "/staff" not in help_.text  # residents do not see staff commands

    [privacy] = await anna.send("/privacy")
    assert "Consent to the processing of personal data" in privacy.text
    assert "You gave your consent on 27.11.2026." in privacy.text
    [confirm] = await anna.press("Withdraw consent")
    assert "Withdraw your consent?" in confirm.text
    [bye] = await anna.press("Yes, withdraw and delete")
    assert "your name and username, your phone and what you wrote in your requests are deleted" in (
        bye.text
    )
    assert bye.removes_keyboard

    erased = await stored(harness, anna.id)
    assert erased.first_name is None and erased.last_name is None and erased.username is None
    assert not erased.has_consent
    history = await harness.app.db.read.users.consent_history(anna.id)
    assert [a for a, _, _ in history] == ["given", "withdrawn"]

    # A later update does not bring the name back without consent.
    await anna.send("hello")
    assert (await stored(harness, anna.id)).first_name is None


async def test_english_speaker_gets_english_without_choosing(harness: Harness) -> None:
    john = harness.user("John", language_code="en-GB")
    [notice] = await john.send("/start")
    assert notice.text.startswith("<b>Consent to the processing of personal data</b>")
    await john.press("✅ I agree")
    assert "Hello!" in john.last.text
    [help_] = await john.send("/help")
    assert "What I can do" in help_.text


async def test_unsupported_telegram_language_falls_back_to_default(harness: Harness) -> None:
    hans = harness.user("Hans", language_code="de")
    [notice] = await hans.send("/start")
    assert "Согласие на обработку" in notice.text


async def test_declining_keeps_nothing_and_features_stay_closed(harness: Harness) -> None:
    ivan = harness.user("Иван")
    await ivan.send("/start")
    [reply] = await ivan.press("Не даю согласия")
    assert "Без согласия мы храним только ваш идентификатор в мессенджере и язык" in reply.text
    record = await stored(harness, ivan.id)
    assert not record.has_consent and record.first_name is None
    [hint] = await ivan.send("Хочу скамейку во двор")
    assert "/start" in hint.text


async def test_consent_can_be_typed(harness: Harness) -> None:
    olga = harness.user("Ольга")
    await olga.send("/start")
    [unclear] = await olga.send("может быть")
    assert "«✅ Даю согласие»" in unclear.text and "«Не даю согласия»" in unclear.text
    replies = await olga.send("Согласна")
    assert "Спасибо!" in replies[0].text
    assert (await stored(harness, olga.id)).has_consent


async def test_pressing_agree_twice_does_not_record_twice(harness: Harness) -> None:
    petr = await harness.consented(harness.user("Пётр"))
    notice = petr.last_with_button("✅ Даю согласие")
    await petr.press("✅ Даю согласие", on=notice)
    history = await harness.app.db.read.users.consent_history(petr.id)
    assert len(history) == 1


async def test_withdraw_can_be_called_off(harness: Harness) -> None:
    vera = await harness.consented(harness.user("Вера"))
    await vera.send("/privacy")
    await vera.press("Отозвать согласие")
    [kept] = await vera.press("Нет, оставить")
    assert "согласие действует" in kept.text
    assert (await stored(harness, vera.id)).has_consent


async def test_replayed_withdraw_confirmation_is_harmless(harness: Harness) -> None:
    vera = await harness.consented(harness.user("Вера"))
    await vera.send("/privacy")
    await vera.press("Отозвать согласие")
    confirm = vera.last
    await vera.press("Да, отозвать и удалить", on=confirm)
    [again] = await vera.press("Да, отозвать и удалить", on=confirm)
    assert "Согласие уже отозвано" in again.text
    history = await harness.app.db.read.users.consent_history(vera.id)
    assert [a for a, _, _ in history] == ["given", "withdrawn"]


async def test_consent_again_after_withdrawal(harness: Harness) -> None:
    vera = await harness.consented(harness.user("Вера", username="vera"))
    await vera.send("/privacy")
    await vera.press("Отозвать согласие")
    await vera.press("Да, отозвать и удалить")
    await harness.consented(vera)
    record = await stored(harness, vera.id)
    assert record.has_consent and record.username == "vera"


async def test_restart_during_consent_step_keeps_the_step(harness: Harness) -> None:
    nina = harness.user("Нина")
    await nina.send("/start")
    await harness.restart()
    replies = await nina.send("да")
    assert "Спасибо!" in replies[0].text


async def test_privacy_notice_before_consent_offers_consent(harness: Harness) -> None:
    zoya = harness.user("Зоя")
    [notice] = await zoya.send("/privacy")
    assert "Согласие на обработку" in notice.text
    assert "✅ Даю согласие" in notice.flat_buttons


async def test_html_in_names_is_escaped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import running

    async with running(tmp_path, municipality_name="<Город & Ко>") as h:
        user = h.user("<b>")
        [notice] = await user.send("/start")  # the fake session rejects broken HTML
        assert "«&lt;Город &amp; Ко&gt;»" in notice.text


async def test_full_journey_in_english_then_russian(harness: Harness) -> None:
    kate = harness.user("Kate", language_code="en")
    [notice] = await kate.send("/start")
    assert "<b>What we keep:</b>" in notice.text and "town hall of Тестовск" in notice.text
    replies = await kate.press("✅ I agree")
    assert replies[0].text == "Thank you! Your consent is recorded."
    await kate.send("/lang")
    [done] = await kate.press("Русский")
    assert done.text == "Готово: теперь я говорю по-русски."
    [help_] = await kate.send("/help")
    assert "/privacy — Персональные данные" in help_.text
    [privacy] = await kate.send("/privacy")
    assert "Вы дали согласие 27.11.2026." in privacy.text
    await kate.press("Отозвать согласие")
    [bye] = await kate.press("Да, отозвать и удалить")
    assert "Согласие отозвано" in bye.text
    assert not (await stored(harness, kate.id)).has_consent


async def test_old_disagree_button_after_consent_tells_the_truth(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    notice = anna.last_with_button("Не даю согласия")
    [reply] = await anna.press("Не даю согласия", on=notice)
    assert reply.text == "Ваше согласие действует. Отозвать его можно через /privacy."
    assert (await stored(harness, anna.id)).has_consent


async def test_withdrawal_drops_unfinished_forms(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    await anna.send("/lang")
    rows = await harness.app.db.read.executor.fetch_all(
        "SELECT state FROM fsm WHERE user_id = ?", (anna.id,)
    )
    assert [r[0] for r in rows] == ["LangForm:choosing"]
    await anna.send("/privacy")
    await anna.press("Отозвать согласие")
    await anna.press("Да, отозвать и удалить")
    rows = await harness.app.db.read.executor.fetch_all(
        "SELECT state FROM fsm WHERE user_id = ?", (anna.id,)
    )
    assert rows == []


async def test_a_stale_read_cannot_bring_names_back_after_withdrawal(harness: Harness) -> None:
    """Another chat of the same user was handled with the old (consented) record."""
    from bot.services.users import TelegramProfile

    anna = await harness.consented(harness.user("Анна", username="anna"))
    stale = await harness.app.services.users.get(anna.id)
    assert stale is not None and stale.has_consent
    async with harness.app.db.transaction() as uow:  # withdrawal commits meanwhile
        await uow.users.withdraw_consent(anna.id, "v", harness.clock.now())
    profile = TelegramProfile(anna.id, "Анна-новая", None, "anna2", "ru")
    await harness.app.services.users.touch(profile)  # the cache still says "consented"
    record = await stored(harness, anna.id)
    assert record.first_name is None and record.username is None


@pytest.mark.parametrize(
    ("language", "note", "button"),
    [
        (
            "ru",
            "Бот отвечает только тем, кто дал согласие на обработку персональных данных. "
            "Откройте бота в личном чате и отправьте там /start.",
            "Открыть бота",
        ),
        (
            "en",
            "The bot answers only people who have agreed to the processing of their personal "
            "data. Open the bot in a private chat and send /start there.",
            "Open the bot",
        ),
    ],
)
async def test_a_person_without_consent_in_the_staff_chat_is_told_why_once(
    tmp_path: Path, language: str, note: str, button: str
) -> None:
    """Staff who never opened the bot privately write in the staff chat: the bot does not
    stay silent, it says once (a day) why it will not answer, replying to them."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = h.user("Мария", user_id=ADMIN_ID, language_code=language)
        in_chat = h.in_group(maria, STAFF_CHAT)
        [told] = await in_chat.send("/inbox")
        assert told.text == note
        assert told.flat_buttons == [button]
        assert told.reply_to is not None
        # Once: the next commands and replies get no second note.
        assert await in_chat.send("/inbox") == []
        assert await in_chat.send("/report 2026") == []
        assert not (await stored(h, maria.id)).has_consent
        # A day later, one more.
        h.clock.advance(timedelta(days=1))
        [again] = await in_chat.send("/inbox")
        assert again.text == note
        # After consent in private, the staff chat works.
        await h.consented(maria)
        [inbox] = await in_chat.send("/inbox")
        assert inbox.text != note
        # Ordinary talk in the group that is not addressed to the bot stays unanswered.
        other = h.in_group(h.user("Пётр", language_code=language), STAFF_CHAT)
        assert await other.send("всем привет") == []
