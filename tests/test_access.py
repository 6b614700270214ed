"""Access and privacy: staff mail reaches only current staff, staff cards stay in staff
places, invites can be revoked and not reused, a withdrawal leaves no trace of the person,
and with STAFF_SEES_PERSONAL_DATA=false staff see roles, never names."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, running
from tests.test_registry import payload_of

CLERK = 7
CLERK_2 = 8
STAFF_CHAT = -1001234567890
ORDINARY_GROUP = -100777


async def staff_of_three(h: Harness) -> tuple[Person, Person, Person]:
    """Maria (admin) and two clerks, Ivan and Olga, all in the bot."""
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    ivan = await h.consented(h.user("Иван", user_id=CLERK))
    olga = await h.consented(h.user("Ольга", user_id=CLERK_2))
    await h.app.services.staff.add(ADMIN_ID, CLERK)
    await h.app.services.staff.add(ADMIN_ID, CLERK_2)
    await h.deliver()
    return maria, ivan, olga


# -- staff mail: only to whoever is staff when it goes ---------------------------------------


async def test_staff_mail_queued_before_a_removal_never_reaches_the_removed(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:  # no staff chat
        maria, ivan, _olga = await staff_of_three(h)
        anna = await h.consented(h.user("Анна"))
        boris = await h.consented(h.user("Борис"))
        await h.app.services.requests.submit(
            anna.id, RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
        )
        await h.deliver()
        assert any("З-2026-0001" in s.text for s in ivan.inbox), "staff get the card"
        before = len(ivan.inbox)

        # Queued while Ivan is staff, sent after an admin removed him.
        await h.app.services.requests.submit(
            anna.id,
            RequestDraft(
                kind="premises",
                description="Нужен зал на 40 человек, план во вложении.",
                file_kind="document",
                file_id="doc-plan",
            ),
        )
        await h.app.services.initiatives.submit(
            boris.id,
            Draft(
                direction="other",
                title="Клумба у дома",
                description="Разбить клумбу у дома 7.",
                photos=["ph-1", "ph-2"],
            ),
        )
        await h.app.services.requests.follow_up(anna.id, 1, "Мой адрес: ул. Ленина 5, кв 3", None)
        await h.app.services.staff.remove(ADMIN_ID, CLERK)
        await h.deliver()

        leaked = ivan.inbox[before:]
        assert leaked == [], [(s.method, s.text, s.document, s.photo) for s in leaked]
        # Current staff get all of it.
        assert any(s.document == "doc-plan" for s in maria.inbox)
        assert {"ph-1", "ph-2"} <= {s.photo for s in maria.inbox}
        assert any("ул. Ленина 5" in s.text for s in maria.inbox)


async def test_a_nudge_for_a_case_whose_assignee_left_goes_to_current_staff(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:  # no staff chat
        maria, ivan, olga = await staff_of_three(h)
        anna = await h.consented(h.user("Анна"))
        await h.app.services.requests.submit(
            anna.id, RequestDraft(kind="consultation", description="Нужна консультация по гранту.")
        )
        await h.app.services.requests.take(CLERK, 1)
        await h.deliver()
        await h.app.services.staff.remove(ADMIN_ID, CLERK)
        h.clock.advance(timedelta(days=16))
        assert await h.app.services.requests.nudge_due() == 2  # Maria and Olga, each privately
        await h.deliver()

        def nudged(person: Person) -> bool:
            return any(s.text.startswith("⏰ З-2026-0001") for s in person.inbox)

        assert nudged(maria) and nudged(olga)
        assert not nudged(ivan)


async def test_with_a_staff_chat_a_gone_assignees_nudge_goes_to_the_chat(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria, ivan, _olga = await staff_of_three(h)
        staff_chat = h.in_group(maria, STAFF_CHAT)
        anna = await h.consented(h.user("Анна"))
        await h.app.services.requests.submit(
            anna.id, RequestDraft(kind="consultation", description="Нужна консультация по гранту.")
        )
        await h.app.services.requests.take(CLERK, 1)
        await h.app.services.staff.remove(ADMIN_ID, CLERK)
        h.clock.advance(timedelta(days=16))
        assert await h.app.services.requests.nudge_due() == 1
        await h.deliver()
        assert any(s.text.startswith("⏰ З-2026-0001") for s in staff_chat.inbox)
        assert not any(s.text.startswith("⏰") for s in ivan.inbox)


async def test_a_nudge_queued_before_its_assignee_left_goes_to_current_staff(
    tmp_path: Path,
) -> None:
    """The nudge was queued for Ivan, who had taken the case; he is removed before it goes:
    current staff get it instead, each once, and he does not."""
    for chat in (None, STAFF_CHAT):
        async with running(
            tmp_path / str(chat), admin_ids=frozenset({ADMIN_ID}), staff_chat_id=chat
        ) as h:
            maria, ivan, olga = await staff_of_three(h)
            anna = await h.consented(h.user("Анна"))
            await h.app.services.requests.submit(
                anna.id,
                RequestDraft(kind="consultation", description="Нужна консультация по гранту."),
            )
            await h.app.services.requests.take(CLERK, 1)
            await h.deliver()
            h.clock.advance(timedelta(days=16))
            assert await h.app.services.requests.nudge_due() == 1  # to Ivan, who has the case
            await h.app.services.staff.remove(ADMIN_ID, CLERK)
            await h.deliver()
            assert await h.app.services.requests.nudge_due() == 0  # this term's nudge is done
            await h.deliver()

            def nudges(person: Person) -> int:
                return sum(s.text.startswith("⏰ З-2026-0001") for s in person.inbox)

            assert nudges(ivan) == 0
            if chat is None:
                assert nudges(maria) == 1 and nudges(olga) == 1
            else:
                assert nudges(h.in_group(maria, STAFF_CHAT)) == 1
                assert nudges(maria) == 0 and nudges(olga) == 0


# -- staff places ----------------------------------------------------------------------------


async def test_staff_content_never_appears_in_an_ordinary_group(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна", username="anna"))
        secret = "Поставить три скамейки у детской площадки на Советской, 12."
        await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="other",
                title="Скамейки во дворе",
                description=secret,
                address="ул. Советская, 12",
            ),
        )
        await h.app.services.requests.submit(
            anna.id, RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
        )
        group = h.in_group(maria, ORDINARY_GROUP)

        shown = await group.send("/initiative И-2026-0001")  # not published yet
        assert not any(secret in s.text or "Советская" in s.text for s in shown)
        assert not any(s.buttons for s in shown)
        await group.press("x", data="initiative:open:1")  # a forged «open» in the group
        assert not any(secret in s.text for s in group.inbox)
        assert await group.send("/request З-2026-0001") == []
        assert await group.send("/inbox") == []

        # The staff chat and a private chat are where staff work.
        [card] = await h.in_group(maria, STAFF_CHAT).send("/initiative И-2026-0001")
        assert secret in card.text and "✅ Принять" in card.flat_buttons
        [private] = await maria.send("/initiative И-2026-0001")
        assert secret in private.text

        # Once public, the group gets the public card: no buttons, no author.
        await h.app.services.initiatives.decide(ADMIN_ID, 1, "accepted")
        [public] = await group.send("/initiative И-2026-0001")
        assert secret in public.text and "Автор" not in public.text
        assert "✅ Принять" not in public.flat_buttons


# -- invites -------------------------------------------------------------------------------


async def test_a_role_taken_away_is_not_regained_by_the_same_link(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
    invite = await h.app.services.registry.create_invite(ADMIN_ID, "deputy", tos.id, several=True)
    anna = await h.consented(h.user("Анна"))
    await anna.send(f"/start {invite.payload}")
    assert [r.role for r in await h.app.services.registry.roles_of(anna.id)] == ["deputy"]
    await h.app.services.registry.revoke(ADMIN_ID, anna.id, "tos", tos.id)

    again = (await anna.send(f"/start {invite.payload}"))[0]
    assert again.text == (
        "Вы уже воспользовались этой ссылкой. Если роль нужна снова, попросите у "
        "администрации новую ссылку."
    )
    assert await h.app.services.registry.roles_of(anna.id) == []
    # The link still works for someone who has not used it.
    boris = await h.consented(h.user("Борис"))
    await boris.send(f"/start {invite.payload}")
    assert [r.role for r in await h.app.services.registry.roles_of(boris.id)] == ["deputy"]


async def test_staff_revoke_an_invite_link_from_its_message(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    await maria.press("ТОС «Берёзка»")
    await maria.press("👥 Пригласить заместителя")
    await maria.press("Для нескольких человек, до истечения срока")
    invite = maria.inbox[-2]
    payload = payload_of(invite)
    assert "🚫 Отозвать ссылку" in invite.flat_buttons

    # A resident cannot revoke it, whatever the button says.
    mallory = await h.consented(h.user("Злоумышленник"))
    await mallory.press("x", data=invite.callback_data["🚫 Отозвать ссылку"])
    anna = await h.consented(h.user("Анна"))
    await anna.send(f"/start {payload}")
    assert [r.role for r in await h.app.services.registry.roles_of(anna.id)] == ["deputy"]

    await maria.press("🚫 Отозвать ссылку", on=invite)
    edited = maria.edits[-1]
    assert edited.message_id == invite.message_id
    assert "Ссылка отозвана" in edited.text and payload not in edited.text
    assert edited.buttons == []

    boris = await h.consented(h.user("Борис"))
    told = (await boris.send(f"/start {payload}"))[0]
    assert told.text == "Эту ссылку отозвала администрация. Если она вам нужна, попросите новую."
    assert await h.app.services.registry.roles_of(boris.id) == []
    pete = await h.consented(h.user("Pete", language_code="en"))
    told_en = (await pete.send(f"/start {payload}"))[0]
    assert told_en.text == (
        "The town hall has revoked this link. If you need it, please ask for a new one."
    )
    # Revoking again is harmless.
    await maria.press("x", data=invite.callback_data["🚫 Отозвать ссылку"])
    assert "уже отозвана" in maria.last_answer["text"]


async def test_an_admin_revokes_a_staff_invite(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    await maria.send("/staff")
    [invite] = await maria.press("🔗 Ссылка-приглашение")
    payload = payload_of(invite)
    await maria.press("🚫 Отозвать ссылку", on=invite)
    assert "Ссылка отозвана" in maria.edits[-1].text
    ivan = await h.consented(h.user("Иван"))
    told = (await ivan.send(f"/start {payload}"))[0]
    assert told.text == "Эту ссылку отозвала администрация. Если она вам нужна, попросите новую."
    assert not h.app.services.staff.role_of(ivan.id).is_staff


# -- withdrawing consent ---------------------------------------------------------------------


def database_bytes(h: Harness) -> bytes:
    path = h.settings.database_path
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_a_withdrawal_leaves_no_trace_of_the_person_in_the_database(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
        invite = await h.app.services.registry.create_invite(
            ADMIN_ID, "deputy", tos.id, several=True
        )
        evl = await h.consented(
            h.user("Евлампия", last_name="Секретова", username="evlampia_secret")
        )
        await evl.send(f"/start {invite.payload}")  # staff hear «… opened your invite»
        await h.app.services.requests.submit(
            evl.id,
            RequestDraft(
                kind="other",
                description="Помогите с объявлением о субботнике.",
                phone="+79135550011",
            ),
        )
        await h.deliver()  # sent rows
        await h.app.services.requests.answer(ADMIN_ID, 1, "Разместим в пятницу.", None)
        await h.deliver()
        await h.app.services.requests.follow_up(
            evl.id, 1, "Мой адрес: Лесная улица 5, квартира 3", None
        )
        await h.app.services.requests.follow_up(evl.id, 1, "Второй подъезд, домофон 37К", None)
        # The follow-ups stay queued (pending rows) when the person withdraws.
        await evl.send("/privacy")
        await evl.press(next(b for b in evl.last.flat_buttons if "тозвать" in b))
        await evl.press(next(b for b in evl.last.flat_buttons if b.startswith("Да")))
        await h.deliver()

        await h.app.db.checkpoint()
        content = database_bytes(h)
        for trace in (
            "Евлампия",
            "Секретова",
            "evlampia_secret",
            "5550011",
            "объявлением о субботнике",
            "Лесная улица 5",
            "домофон 37К",
        ):
            assert trace.encode() not in content, trace
        # The request stays, without the person: staff still see it happened, and why
        # its texts are gone.
        record = await h.app.db.read.requests.get(1)
        assert record is not None and record.phone is None and record.kind == "other"
        [card] = await maria.send("/request З-2026-0001")
        assert "Заявитель отозвал согласие: его имя, телефон и тексты удалены." in card.text
        assert "Разместим в пятницу." in card.text  # the town hall's own answer stays


async def test_a_staff_members_pending_press_keeps_no_trace_of_the_requester(
    tmp_path: Path,
) -> None:
    """A staff member half-way through a form presses «Answer» on a request card: the press
    is kept to be done later, but not the card it sits on (the requester's name and text),
    so the requester's withdrawal leaves nothing of them in the staff member's form."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        evl = await h.consented(h.user("Евлампия", last_name="Секретова", username="evl_secret"))
        await h.app.services.requests.submit(
            evl.id,
            RequestDraft(
                kind="other",
                description="Помогите с объявлением о субботнике.",
                phone="+79135550011",
            ),
        )
        await h.deliver()
        card = next(s for s in maria.inbox if "Секретова" in s.text)
        await maria.send("/initiative")
        await maria.press("Благоустройство и озеленение")
        await maria.send("Скамейки во дворе")
        [question] = await maria.press("💬 Ответить", on=card)
        assert question.text.startswith("Вы ещё не отправили инициативу.")
        await evl.send("/privacy")
        await evl.press(next(b for b in evl.last.flat_buttons if "тозвать" in b))
        await evl.press(next(b for b in evl.last.flat_buttons if b.startswith("Да")))

        await h.app.db.checkpoint()
        content = database_bytes(h)
        for trace in ("Евлампия", "Секретова", "evl_secret", "5550011", "о субботнике"):
            assert trace.encode() not in content, trace
        # The kept press is still done once Maria drops her form: the answer step opens.
        replies = await maria.press("🗑 Удалить и перейти", on=question)
        assert any("Напишите ответ" in r.text for r in replies), [r.text for r in replies]


# -- STAFF_SEES_PERSONAL_DATA=false: roles, not names ----------------------------------------


async def test_without_personal_data_staff_see_roles_not_names(tmp_path: Path) -> None:
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_sees_personal_data=False
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
        invite = await h.app.services.registry.create_invite(ADMIN_ID, "chair", tos.id)
        vera = await h.consented(h.user("Вера", last_name="Тайная", username="vera_t"))
        await vera.send(f"/start {invite.payload}")
        await h.deliver()
        notice = maria.last
        assert notice.text == (
            "Приглашение сработало: у «ТОС „Берёзка“» теперь есть председатель ТОС в боте."
        )

        await maria.send("/registry")
        await maria.press("🏘 ТОС (1)")
        [card] = await maria.press("ТОС «Берёзка»")
        everything = card.text + " ".join(card.flat_buttons)
        assert "Вера" not in everything and "vera_t" not in everything
        assert "• председатель ТОС, в боте с 27.11.2026" in card.text
        assert "✖ Снять председателя ТОС (с 27.11.2026)" in card.flat_buttons
        [confirm] = await maria.press("✖ Снять председателя ТОС (с 27.11.2026)")
        assert "Вера" not in confirm.text
        assert confirm.text == "Снять роль «председатель ТОС»? Человек получит уведомление."

        # A request on her TOS's behalf: the form says what staff will see.
        await vera.send("/request")
        [behalf] = await vera.press("Другое")
        assert "увидят, от чьего имени обращение, но не ваше имя и телефон" in behalf.text
        await vera.press("ТОС «Берёзка»")  # the name says it is a TOS
        await vera.send("Нужна помощь с поиском волонтёров на субботник.")
        await vera.send("Пропустить")
        [preview] = await vera.press("Пропустить")
        assert "Вера" not in preview.text
        await vera.press("✅ Отправить")
        await h.deliver()
        assert not any("Вера" in s.text or "vera_t" in s.text for s in maria.inbox)


async def test_with_personal_data_the_form_says_what_staff_will_see(harness: Harness) -> None:
    h = harness
    anna = await h.consented(h.user("Анна"))
    intro, _kinds = await anna.send("/request")
    assert (
        "Специалисты администрации увидят ваше имя и @username в Telegram, телефон, если вы "
        "им поделитесь, и всё, что вы напишете."
    ) in intro.text
    olga = await h.consented(h.user("Olga", language_code="en"))
    intro_en, _kinds = await olga.send("/request")
    assert (
        "Town hall staff will see your name and @username in Telegram, the phone if you "
        "share it, and everything you write."
    ) in intro_en.text


# -- the registry card's people ------------------------------------------------------------


async def test_the_registry_card_names_people_and_roles_naturally(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
    anna = await h.consented(h.user("Анна", last_name="Иванова"))
    invite = await h.app.services.registry.create_invite(ADMIN_ID, "deputy", tos.id)
    await anna.send(f"/start {invite.payload}")
    async with h.app.db.transaction() as uow:  # a chair known by id only (no name kept)
        await uow.registry.grant(424242, "tos", tos.id, "chair", ADMIN_ID, h.clock.now())

    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    [card] = await maria.press("ТОС «Берёзка»")
    assert "• председатель ТОС, в боте с 27.11.2026" in card.text
    assert "• Анна Иванова — заместитель председателя" in card.text
    assert "не заходил" not in card.text and "—:" not in " ".join(card.flat_buttons)
    assert "✖ Снять председателя ТОС (с 27.11.2026)" in card.flat_buttons
    assert "✖ Снять заместителя председателя (Анна Иванова)" in card.flat_buttons

    await maria.send("/lang")
    await maria.press("English")
    await maria.send("/registry")
    await maria.press("🏘 TOS (1)")
    [card_en] = await maria.press("ТОС «Берёзка»")
    assert "• TOS chair, in the bot since 27.11.2026" in card_en.text
    assert "• Анна Иванова — deputy chair" in card_en.text
    assert "✖ Remove the TOS chair (since 27.11.2026)" in card_en.flat_buttons
    assert "✖ Remove the deputy chair (Анна Иванова)" in card_en.flat_buttons


async def test_mail_queued_before_the_upgrade_is_marked_as_staff_mail(tmp_path: Path) -> None:
    """Rows an earlier version queued get their audience and subject from the migration."""
    from storage.db import SqliteDatabase, migration_files

    [mine] = [number for number, name, _sql in migration_files() if name.endswith("_access.sql")]
    path = tmp_path / "old.sqlite3"
    old = SqliteDatabase(path)
    await old.open(migrate_to=mine - 1)
    async with old.transaction() as uow:
        for sql in (
            "INSERT INTO users (id, created_at, last_seen_at) VALUES (555, '2026-01-01', "
            "'2026-01-01')",
            "INSERT INTO support_requests (id, year, seq, draft_token, requester_id, kind, "
            "description, opened_at, due_at, created_at, updated_at) VALUES (1, 2026, 1, 'd', "
            "555, 'other', 'текст', '2026-01-01', '2026-01-01', '2026-01-01', '2026-01-01')",
            "INSERT INTO outbox (id, chat_id, template, args, not_before, created_at, "
            "idempotency_key) VALUES (1, 7, 'request_card', '{}', '2026-01-01', '2026-01-01', "
            "'request:1:card:7')",
            "INSERT INTO outbox (id, chat_id, template, args, not_before, created_at, reply_to) "
            "VALUES (2, 7, 'follow-up', '{\"text\": \"адрес\"}', '2026-01-01', '2026-01-01', 1)",
            "INSERT INTO request_links (request_id, side, chat_id, outbox_id) "
            "VALUES (1, 'staff', 7, 1), (1, 'staff', 7, 2)",
            "INSERT INTO outbox (id, chat_id, template, args, not_before, created_at, "
            "idempotency_key) VALUES (3, 1, 'accepted', '{\"name\": \"Вера\"}', '2026-01-01', "
            "'2026-01-01', 'role-accepted:AAAAAAAAAAAAAAAAAAAAAAAA:555')",
            "INSERT INTO outbox (id, chat_id, text, not_before, created_at) "
            "VALUES (4, 555, 'hello', '2026-01-01', '2026-01-01')",
        ):
            await uow.executor.execute(sql)
    await old.close()

    db = SqliteDatabase(path)
    await db.open()
    try:
        rows = await db.read.executor.fetch_all(
            "SELECT id, audience, subject_id FROM outbox ORDER BY id"
        )
        assert [tuple(row) for row in rows] == [
            (1, "staff", None),  # the card: staff mail, carries nothing of the requester
            (2, "staff", 555),  # the requester's words in the card's thread
            (3, "staff", 555),  # the notice that 555 opened an invite
            (4, None, None),  # a message to a resident
        ]
    finally:
        await db.close()


async def test_nudges_queued_before_the_upgrade_go_to_current_staff_if_need_be(
    tmp_path: Path,
) -> None:
    """A nudge an earlier version queued and has not sent is marked to be readdressed."""
    from storage.db import SqliteDatabase, migration_files

    [mine] = [n for n, name, _sql in migration_files() if name.endswith("_case_nudges.sql")]
    path = tmp_path / "old.sqlite3"
    old = SqliteDatabase(path)
    await old.open(migrate_to=mine - 1)
    async with old.transaction() as uow:
        for row_id, key, status in (
            (1, "request:1:0:nudge:50:7", "pending"),
            (2, "request:2:0:nudge:50:7", "sent"),
            (3, "request:1:0:card:7", "pending"),
        ):
            await uow.executor.execute(
                "INSERT INTO outbox (id, chat_id, template, not_before, created_at, "
                "idempotency_key, status, audience) VALUES (?, 7, 'x', '2026-01-01', "
                "'2026-01-01', ?, ?, 'staff')",
                (row_id, key, status),
            )
    await old.close()
    db = SqliteDatabase(path)
    await db.open()
    try:
        rows = await db.read.executor.fetch_all("SELECT id, readdress FROM outbox ORDER BY id")
        assert [tuple(row) for row in rows] == [(1, 1), (2, 0), (3, 0)]
    finally:
        await db.close()


async def test_choices_kept_whole_before_the_upgrade_are_dropped(tmp_path: Path) -> None:
    """A form-switch question of an earlier version kept the whole pressed card: the
    migration drops such kept choices, and the form itself stays."""
    from storage.db import SqliteDatabase, migration_files

    [mine] = [n for n, name, _sql in migration_files() if name.endswith("_case_nudges.sql")]
    path = tmp_path / "old.sqlite3"
    old = SqliteDatabase(path)
    await old.open(migrate_to=mine - 1)
    kept = {
        "token": "ab12",
        "kind": "callback_query",
        "event": {"message": {"text": "👤 Евлампия Секретова (@evl_secret)"}},
    }
    data = json.dumps({"draft": {"title": "Скамейки"}, "_pending": kept}, ensure_ascii=False)
    async with old.transaction() as uow:
        for key, user, state, form in (
            ("1:7:7::default", 7, "InitiativeForm:description", data),
            ("1:8:8::default", 8, "InitiativeForm:title", '{"draft": {}}'),
        ):
            await uow.executor.execute(
                "INSERT INTO fsm (key, user_id, state, data, updated_at) "
                "VALUES (?, ?, ?, ?, '2026-01-01')",
                (key, user, state, form),
            )
    await old.close()

    db = SqliteDatabase(path)
    await db.open()
    try:
        rows = await db.read.executor.fetch_all("SELECT key, data FROM fsm ORDER BY key")
        assert [(row[0], json.loads(row[1])) for row in rows] == [
            ("1:7:7::default", {"draft": {"title": "Скамейки"}}),
            ("1:8:8::default", {"draft": {}}),
        ]
    finally:
        await db.close()
    assert "Секретова".encode() not in path.read_bytes()


def test_any_revoke_button_gets_a_polite_answer(tmp_path: Path) -> None:
    """Forged «revoke» callback data, whatever it holds, is refused politely, never a crash,
    and revokes nothing it should not."""
    import asyncio

    from hypothesis import given
    from hypothesis import strategies as st

    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start())
    try:
        maria = loop.run_until_complete(h.consented(h.user("Мария", user_id=ADMIN_ID)))
        tos = loop.run_until_complete(h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»"))
        invite = loop.run_until_complete(
            h.app.services.registry.create_invite(ADMIN_ID, "chair", tos.id)
        )
        polite = {
            "Ссылка недействительна. Попросите новую.",
            "Эта кнопка устарела. Откройте меню ещё раз.",  # not even a revoke button
        }

        @given(st.text(alphabet=st.characters(max_codepoint=0x7FF), max_size=30))
        def press(token: str) -> None:
            before = len(h.session.callback_answers)
            loop.run_until_complete(maria.press("x", data=f"revoke:{token}"))
            answers = h.session.callback_answers[before:]
            assert answers and answers[-1]["text"] in polite, answers

        press()
        stored = loop.run_until_complete(
            h.app.db.read.invites.get(invite.payload.removeprefix("inv_"))
        )
        assert stored is not None and stored.revoked_at is None
    finally:
        loop.run_until_complete(h.close())
        loop.close()


async def test_the_new_staff_screens_stay_out_of_an_ordinary_group(tmp_path: Path) -> None:
    """Issue 18's staff commands and buttons, sent by staff in a group that is not the
    staff chat: nothing shown, nothing changed (staff are residents there)."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна"))
        submitted = await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="other",
                title="Скамейки во дворе",
                description="Поставить три скамейки у детской площадки.",
            ),
        )
        number = submitted.initiative.id
        await h.app.services.initiatives.decide(ADMIN_ID, number, "accepted")
        request = await h.app.services.requests.submit(
            anna.id, RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
        )
        group = h.in_group(maria, ORDINARY_GROUP)
        [help_] = await group.send("/help")  # what residents can do: a message to press on
        assert "/moderation" not in help_.text and "/daysoff" not in help_.text
        assert await group.send("/moderation") == []
        assert await group.send("/daysoff") == []
        for data in (f"mod:hide:{number}:0", "dayoff:add", f"req:extend:{request.request.id}"):
            assert await group.press("x", data=data, on=help_) == []
        await group.send("Причина скрытия")  # were a form opened, this would answer it
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and not record.hidden
        found = await h.app.db.read.requests.get(request.request.id)
        assert found is not None and found.extended_to is None
        assert group.inbox == [help_]
