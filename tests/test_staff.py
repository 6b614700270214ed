"""/staff: only admins manage staff; invites, forwards, removal; forged callbacks refused."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import DeleteMyCommands, SetMyCommands

from bot.services.staff import Role
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person

STAFF_CHAT = -1001234567890


async def admin(harness: Harness) -> Person:
    return await harness.consented(harness.user("Мария", user_id=ADMIN_ID, last_name="Петрова"))


def scoped_commands(harness: Harness, chat_id: int) -> list[SetMyCommands]:
    return [
        m
        for m in harness.session.calls_of("SetMyCommands")
        if isinstance(m, SetMyCommands) and getattr(m.scope, "chat_id", None) == chat_id
    ]


async def test_resident_cannot_open_staff_list(harness: Harness) -> None:
    resident = await harness.consented(harness.user("Семён"))
    [reply] = await resident.send("/staff")
    assert reply.text == "Управлять списком специалистов могут только администраторы."


async def test_resident_without_consent_is_sent_to_start(harness: Harness) -> None:
    resident = harness.user("Семён")
    [reply] = await resident.send("/staff")
    assert "/start" in reply.text and "согласие" in reply.text


async def test_admin_sees_the_list_and_menu_entry(harness: Harness) -> None:
    maria = await admin(harness)
    assert maria.last.reply_keyboard is not None
    assert maria.last.reply_keyboard[-1] == ["🏘 Реестр", "👥 Специалисты"]
    [listing] = await maria.send("👥 Специалисты")
    assert "<b>Специалисты администрации</b>: 1" in listing.text
    assert "Мария Петрова — администратор" in listing.text
    assert listing.flat_buttons == ["➕ Добавить", "🔗 Ссылка-приглашение"]
    [help_] = await maria.send("/help")
    assert "/staff" in help_.text


async def test_admin_adds_by_id_and_by_forward(harness: Harness) -> None:
    maria = await admin(harness)
    boris = await harness.consented(harness.user("Борис", username="boris"))

    await maria.send("/staff")
    [ask] = await maria.press("➕ Добавить")
    assert "идентификатор" in ask.text
    [bad] = await maria.send("Борис")
    assert "Это не идентификатор" in bad.text
    [photo] = await maria.send_photo()
    assert "Это не идентификатор" in photo.text
    [done] = await maria.forward_from(boris)
    assert done.text == "Теперь в списке специалистов: Борис (@boris)."
    assert harness.app.services.staff.role_of(boris.id) is Role.STAFF
    await harness.deliver()  # the new member is told through the outbox
    assert "Вы добавлены в список специалистов" in boris.last.text
    assert scoped_commands(harness, boris.id), "staff commands published for the new member"

    await maria.send("/staff")
    await maria.press("➕ Добавить")
    [done] = await maria.send("555000")
    assert "ещё не заходил в бот" in done.text
    assert 555000 in await harness.app.db.read.staff.all_ids()

    await maria.send("/staff")
    await maria.press("➕ Добавить")
    [again] = await maria.send("555000")
    assert again.text == "Этот человек уже в списке специалистов."


async def test_hidden_forward_is_explained(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    [reply] = await maria.forward_from(None)
    assert "скрывает аккаунт" in reply.text


async def test_restart_in_the_middle_of_adding(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    await harness.restart()
    [done] = await maria.send("777000")
    assert done.text.startswith("Теперь в списке специалистов")
    assert harness.app.services.staff.role_of(777000) is Role.STAFF


async def test_cancel_leaves_the_add_form(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    [cancelled] = await maria.send("/cancel")
    assert cancelled.text == "Отменено. Ничего не сохранено."
    [stray] = await maria.send("777000")
    assert "Не понял вас" in stray.text
    assert harness.app.services.staff.role_of(777000) is Role.RESIDENT


async def test_invite_link_opened_before_consent(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    [link_msg] = await maria.press("🔗 Ссылка-приглашение")
    assert "https://t.me/tos_test_bot?start=inv_" in link_msg.text
    payload = link_msg.text.split("?start=")[1].split()[0]
    assert len(payload) <= 64

    gleb = harness.user("Глеб")
    [notice] = await gleb.send(f"/start {payload}")
    assert "Согласие на обработку" in notice.text
    assert harness.app.services.staff.role_of(gleb.id) is Role.RESIDENT  # nothing before consent

    await harness.restart()  # the kept payload survives a restart
    replies = await gleb.press("✅ Даю согласие")
    texts = [r.text for r in replies]
    assert any("Вы добавлены в список специалистов" in t for t in texts)
    assert harness.app.services.staff.role_of(gleb.id) is Role.STAFF
    await harness.deliver()
    assert "Приглашение принято: Глеб" in maria.last.text

    # Single use: a second person gets a clear refusal.
    fedor = await harness.consented(harness.user("Фёдор"))
    used, menu = await fedor.send(f"/start {payload}")
    assert used.text == "Ссылка уже использована. Попросите новую."
    assert "Здравствуйте" in menu.text  # and the menu, so the person is not left stranded
    assert harness.app.services.staff.role_of(fedor.id) is Role.RESIDENT


async def test_expired_and_forged_invites(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    [link_msg] = await maria.press("🔗 Ссылка-приглашение")
    payload = link_msg.text.split("?start=")[1].split()[0]
    harness.clock.advance(timedelta(days=8))
    late = await harness.consented(harness.user("Лев"))
    expired, _ = await late.send(f"/start {payload}")
    assert expired.text == "Срок действия ссылки истёк. Попросите новую."

    forged, _ = await late.send("/start inv_AAAAAAAAAAAAAAAAAAAAAAAA")
    assert forged.text == "Ссылка недействительна. Попросите новую."
    junk, menu = await late.send("/start <script>")
    assert junk.text == "Ссылка недействительна. Попросите новую."
    assert "Здравствуйте" in menu.text
    assert harness.app.services.staff.role_of(late.id) is Role.RESIDENT


async def test_forged_staff_callbacks_are_refused(harness: Harness) -> None:
    maria = await admin(harness)
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    await maria.send("555000")

    mallory = await harness.consented(harness.user("Злоумышленник"))
    for data in ("staff:removing:555000", "staff:add:0", "staff:invite:0", "staff:remove:555000"):
        await mallory.press("x", data=data)
        answer = mallory.last_answer
        assert answer["text"] == "Управлять списком специалистов могут только администраторы."
        assert answer["show_alert"]
    assert 555000 in await harness.app.db.read.staff.all_ids()
    [reply] = await mallory.send("12345")  # no add form was opened for them
    assert "Не понял вас" in reply.text
    assert harness.app.services.staff.role_of(12345) is Role.RESIDENT


async def test_admin_removes_staff_but_not_admins(harness: Harness) -> None:
    maria = await admin(harness)
    boris = await harness.consented(harness.user("Борис"))
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    await maria.forward_from(boris)

    [listing] = await maria.send("/staff")
    assert "✖ Убрать: Борис" in listing.flat_buttons
    [confirm] = await maria.press("✖ Убрать: Борис")
    assert confirm.text == "Убрать из списка специалистов: Борис?"
    await maria.press("Да, убрать")
    assert maria.edits[-1].text == "Борис больше не в списке специалистов."
    assert harness.app.services.staff.role_of(boris.id) is Role.RESIDENT
    deleted = [
        m
        for m in harness.session.calls_of("DeleteMyCommands")
        if isinstance(m, DeleteMyCommands) and getattr(m.scope, "chat_id", None) == boris.id
    ]
    assert deleted

    # A replayed confirmation after removal is refused politely.
    await maria.press("Да, убрать", on=confirm)
    assert maria.last_answer["text"] == "Этого человека уже нет в списке специалистов."

    # Admins come from settings: a forged removal is refused.
    await maria.press("x", data=f"staff:removing:{ADMIN_ID}")
    assert "ADMIN_IDS" in maria.last_answer["text"]
    assert harness.app.services.staff.role_of(ADMIN_ID) is Role.ADMIN


async def test_staff_commands_work_in_staff_chat_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import running

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        in_staff_chat = h.in_group(maria, STAFF_CHAT)
        [listing] = await in_staff_chat.send("/staff")
        assert "Специалисты администрации" in listing.text
        elsewhere = h.in_group(maria, -1009999)
        assert await elsewhere.send("/staff") == []
        # The staff chat gets the staff command menu.
        assert scoped_commands(h, STAFF_CHAT)


async def test_staff_menu_published_at_start(harness: Harness) -> None:
    assert scoped_commands(harness, ADMIN_ID), "admins see staff commands"
    default = [
        m
        for m in harness.session.calls_of("SetMyCommands")
        if isinstance(m, SetMyCommands) and m.scope is not None and m.scope.type == "default"
    ]
    languages = {m.language_code for m in default}
    assert languages == {"ru", "en", None}
    ru = next(m for m in default if m.language_code == "ru")
    assert [c.command for c in ru.commands] == [
        "start",
        "initiative",
        "initiatives",
        "request",
        "my",
        "tos",
        "events",
        "competitions",
        "help",
        "lang",
        "privacy",
        "cancel",
    ]
    assert ru.commands[0].description == "Главное меню"


async def test_invite_of_an_admin_who_is_no_longer_admin_is_dead(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import running

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await maria.send("/staff")
        [link_msg] = await maria.press("🔗 Ссылка-приглашение")
        payload = link_msg.text.split("?start=")[1].split()[0]
    # The bot restarts with another admin list: Maria's invite no longer speaks for anyone.
    async with running(tmp_path, admin_ids=frozenset({2})) as h:
        gleb = await h.consented(h.user("Глеб"))
        refused, _ = await gleb.send(f"/start {payload}")
        assert refused.text == "Срок действия ссылки истёк. Попросите новую."
        assert h.app.services.staff.role_of(gleb.id) is Role.RESIDENT


async def test_hostile_names_are_escaped_everywhere_staff_sees_them(harness: Harness) -> None:
    maria = await admin(harness)
    evil = await harness.consented(harness.user("<b>Эве</b> & Ко", username="evil_1"))
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    [added] = await maria.forward_from(evil)  # the fake session rejects broken HTML
    assert "&lt;b&gt;Эве&lt;/b&gt; &amp; Ко" in added.text
    [listing] = await maria.send("/staff")
    assert "&lt;b&gt;Эве&lt;/b&gt; &amp; Ко (@evil_1)" in listing.text
    label = next(b for b in listing.flat_buttons if b.startswith("✖"))
    assert label == "✖ Убрать: <b>Эве</b> & Ко"  # buttons are plain text, shown as typed
    [confirm] = await maria.press(label)
    assert "&lt;b&gt;Эве&lt;/b&gt;" in confirm.text

    await maria.send("/staff")
    [link_msg] = await maria.press("🔗 Ссылка-приглашение")
    payload = link_msg.text.split("?start=")[1].split()[0]
    other = harness.user("<i>Новичок", username="new_1")
    await other.send(f"/start {payload}")
    await other.press("✅ Даю согласие")
    await harness.deliver()
    assert "Приглашение принято: &lt;i&gt;Новичок (@new_1)" in maria.last.text


async def test_staff_chat_is_not_spammed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import running

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        resident = await h.consented(h.user("Семён"))
        stranger = h.user("Без согласия")
        in_chat = h.in_group(maria, STAFF_CHAT)
        assert await h.in_group(resident, STAFF_CHAT).send("Специалисты") == []
        # Without consent: one note on why the bot is silent, then silence.
        [note] = await h.in_group(stranger, STAFF_CHAT).send("/staff")
        assert note.text.startswith("Бот отвечает только тем, кто дал согласие")
        assert await h.in_group(stranger, STAFF_CHAT).send("/staff") == []
        assert await h.in_group(stranger, STAFF_CHAT).send("привет всем") == []

        await in_chat.send("/staff")
        [prompt] = await in_chat.press("➕ Добавить")
        assert "ответьте на это сообщение" in prompt.text
        # Ordinary talk in the group is not taken as the answer...
        assert await in_chat.send("коллеги, добрый день") == []
        # ...a reply to the bot's prompt is.
        question = h.session.messages[(STAFF_CHAT, prompt.message_id)]
        [done] = await in_chat.send("555000", reply_to_message=question)
        assert done.text.startswith("Теперь в списке специалистов")


async def test_the_new_staff_commands_are_for_staff_in_both_languages(harness: Harness) -> None:
    """/daysoff and /moderation (issue 18) are in staff's menu and help, in both languages,
    and /export says it has the moderation log; a resident sees none of them."""
    h = harness
    maria = await admin(h)
    clerk = await h.consented(h.user("Clerk", language_code="en"))
    await h.app.services.staff.add(ADMIN_ID, clerk.id)
    expected = {
        "ru": {
            "daysoff": "Выходные дни города, которые не входят в сроки",
            "moderation": "Журнал модерации: жалобы, скрытое и исправленное",
            "export": "Выгрузка инициатив, обращений, мероприятий, конкурсов и журнала "
            "модерации в CSV или XLSX",
        },
        "en": {
            "daysoff": "The town's own days off, which due dates skip",
            "moderation": "Moderation log: reports, hidden and edited",
            "export": "Export initiatives, requests, events, competitions or the moderation "
            "log as CSV or XLSX",
        },
    }
    for language in ("ru", "en"):  # the admin's own menu, as Telegram shows it per language
        [menu] = [m for m in scoped_commands(h, ADMIN_ID) if m.language_code == language][-1:]
        described = {c.command: c.description for c in menu.commands}
        for name, description in expected[language].items():
            assert described[name] == description
    [help_ru] = await maria.send("/help")
    [help_en] = await clerk.send("/help")
    for text, language in ((help_ru.text, "ru"), (help_en.text, "en")):
        for name, description in expected[language].items():
            assert f"/{name} — {description}" in text
    resident = await h.consented(h.user("Семён"))
    [help_resident] = await resident.send("/help")
    assert "/daysoff" not in help_resident.text and "/moderation" not in help_resident.text
