"""The town's civic map: import, invites, finding and joining a TOS, chair announcements."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from bot.services.registry_io import MAX_FILE_BYTES
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running

LINK_RE = re.compile(r"https://t\.me/\w+\?start=([\w-]+)")

REGISTRY_CSV = """тип;название;вид;территория;жителей;дата регистрации;контакты
ТОС;ТОС «Южный»;;"ул. Ленина, 1–15; пер. Садовый";240;15.03.2019;8-913-000-00-00
ТОС;ТОС «Северный»;;"ул. Советская, 2–40; ул. Комсомольская";310;01.06.2020;
организация;Совет ветеранов;НКО;;;;8-383-000-00-00
организация;Клуб «Бодрость»;инициативная группа;;;;
ТОС;ТОС «Пустой»;;;не число;32.13.2020;
ТОС;ТОС «Южный»;;ул. Мира;10;;
комитет;Непонятно что;;;;;
"""


def payload_of(sent: Sent) -> str:
    found = LINK_RE.search(sent.text)
    assert found, sent.text
    return found.group(1)


async def open_registry(staff: Person) -> None:
    await staff.send("/registry")


async def import_file(staff: Person, name: str, content: bytes) -> list[Sent]:
    await open_registry(staff)
    await staff.press(next(b for b in staff.last.flat_buttons if b.startswith("📥")))
    return await staff.send_document(name, content)


async def test_import_invite_find_join_announce(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), municipality_population=56_000
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))

        # A dry run lists each bad row and writes nothing.
        [dry] = await import_file(maria, "реестр.csv", REGISTRY_CSV.encode("cp1251"))
        assert "Пробная проверка" in dry.text
        assert "Добавить: 4 строки" in dry.text
        assert "строка 6: Число жителей — целое число" in dry.text
        assert "Напишите дату в формате ДД.ММ.ГГГГ" in dry.text
        assert "строка 7: Такое же название, как в строке 2." in dry.text
        assert "строка 8: «комитет» — неизвестный тип" in dry.text
        assert await h.app.db.read.registry.all_tos() == []

        [done] = await maria.press("✅ Импортировать 4 строки")
        assert done.text == "Импорт завершён: добавлено — 4, обновлено — 0, пропущено — 3."
        tos = await h.app.db.read.registry.all_tos()
        assert [t.name for t in tos] == ["ТОС «Северный»", "ТОС «Южный»"]
        south = next(t for t in tos if t.name == "ТОС «Южный»")
        assert south.territory == ("ул. Ленина, 1–15", "пер. Садовый")
        assert south.residents == 240
        orgs = await h.app.db.read.registry.all_orgs()
        assert {(o.name, o.kind) for o in orgs} == {
            ("Совет ветеранов", "ngo"),
            ("Клуб «Бодрость»", "group"),
        }
        # A second press of the old button does nothing twice.
        await maria.press("✅ Импортировать 4 строки", on=dry)
        assert "уже выполнен" in maria.last_answer["text"]

        # The figures the yearly report quotes: 550 of 56 000 people = 1.0 %.
        [menu] = await maria.send("/registry")
        assert "2 ТОС охватывают 550 жителей" in menu.text
        assert "Это 1,0 % от 56\u00a0000 жителей города." in menu.text
        assert "2 организации" in menu.text

        # A chair invite, with a QR code.
        await maria.press("🏘 ТОС (2)")
        await maria.press("ТОС «Южный»")
        card = maria.last
        assert "<b>Охвачено жителей:</b> 240" in card.text
        await maria.press("👤 Пригласить председателя", on=card)
        invite, qr = maria.inbox[-2:]
        assert "Ссылка одноразовая" in invite.text
        assert qr.method == "SendPhoto" and qr.file and qr.file[1].startswith(b"\x89PNG")
        payload = payload_of(invite)
        assert len(payload) <= 64

        # The chair opens it before consenting; the link waits for the consent.
        ivan = h.user("Иван")
        notice = (await ivan.send(f"/start {payload}"))[0]
        assert "согласие" in notice.text.lower()
        assert await h.app.services.registry.roles_of(ivan.id) == []
        replies = await ivan.press("✅ Даю согласие")
        assert any("ваша роль — председатель ТОС, «ТОС „Южный“»" in r.text for r in replies), [
            r.text for r in replies
        ]
        [role] = await h.app.services.registry.roles_of(ivan.id)
        assert (role.role, role.body_id) == ("chair", south.id)
        await h.deliver()
        assert "Приглашение принято: Иван — председатель ТОС" in maria.last.text
        # Used once: the next person gets a clear answer and no role.
        petr = await h.consented(h.user("Пётр"))
        used = (await petr.send(f"/start {payload}"))[0]
        assert used.text == "Ссылка уже использована. Попросите новую."
        assert await h.app.services.registry.roles_of(petr.id) == []

        # A resident finds the TOS by a misspelt street in another case, and joins.
        olga = await h.consented(h.user("Ольга"))
        await olga.send("/tos")
        assert "На какой улице вы живёте?" in olga.last.text
        found, *rest = await olga.send("живу на улице Ленена")
        assert not rest, [r.text for r in rest]
        assert "ТОС «Южный»" in found.text and "ул. Ленина, 1–15" in found.text
        await olga.press("✅ Вступить")
        assert olga.last_answer["text"] == "Вы вступили в «ТОС „Южный“»."
        assert "✅ Вы участник." in olga.last.text
        # Not found: what to do instead.
        await olga.press("🔎 Найти другой ТОС")
        [none] = await olga.send("Победы")
        assert "ТОС не найден" in none.text and "/request" in none.text

        # The chair announces; the members get it through the outbox, the chair does not.
        [chair_card] = await ivan.send("/tos")
        assert "Вы — председатель этого ТОС. Участников в боте: 1." in chair_card.text
        await ivan.press("📣 Объявление участникам")
        assert "На этой неделе можно отправить ещё 2" in ivan.last.text
        [preview] = await ivan.send("Субботник в субботу в 10:00, <сбор у школы>")
        assert "&lt;сбор у школы&gt;" in preview.text
        [sent] = await ivan.press("📣 Отправить")
        assert sent.text == "Отправлено 1 участнику. Рассылка идёт постепенно."
        await h.deliver()
        got = olga.last
        assert got.text.startswith("📣 <b>ТОС «Южный»</b>: сообщение от председателя ТОС")
        assert "&lt;сбор у школы&gt;" in got.text
        assert not any(
            "Субботник" in s.text for s in ivan.inbox if s.message_id != preview.message_id
        )


async def test_announcement_limits_and_access(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), tos_announcements_per_week=1
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await import_file(maria, "r.csv", REGISTRY_CSV.encode())
        await maria.press("✅ Импортировать 4 строки")
        south = await h.app.db.read.registry.tos_by_name("ТОС «Южный»")
        north = await h.app.db.read.registry.tos_by_name("ТОС «Северный»")
        assert south and north
        chair = await h.consented(h.user("Иван"))
        member = await h.consented(h.user("Ольга"))
        async with h.app.db.transaction() as uow:
            now = h.clock.now()
            await uow.registry.grant(chair.id, "tos", south.id, "chair", ADMIN_ID, now)
            await uow.registry.join(south.id, member.id, now)

        # A forged button for another TOS: refused, nothing sent.
        from handlers.tos import TosAction, TosButton

        await chair.send("/tos")
        await chair.press("x", data=TosButton(action=TosAction.ANNOUNCE, id=north.id).pack())
        assert "только председателю этого ТОС" in chair.last_answer["text"]
        # A resident is not a chair either.
        await member.press("x", data=TosButton(action=TosAction.ANNOUNCE, id=south.id).pack())
        assert member.last_answer["show_alert"] is True

        await chair.send("/tos")
        await chair.press("📣 Объявление участникам")
        await chair.send("Первое объявление")
        await chair.press("📣 Отправить")
        await chair.send("/tos")
        [used_up] = await chair.press("📣 Объявление участникам")
        assert "Лимит объявлений на эту неделю исчерпан" in used_up.text
        h.clock.advance(timedelta(days=7, minutes=1))
        await chair.send("/tos")
        await chair.press("📣 Объявление участникам")
        assert "можно отправить ещё 1" in chair.last.text

        # Residents never reach staff commands or buttons.
        [refused] = await member.send("/registry")
        assert refused.text == "Это доступно только специалистам администрации."
        from handlers.registry_cards import InviteAction, RegistryInviteButton

        invite = RegistryInviteButton(
            action=InviteAction.INVITE, kind="tos", id=south.id, value="chair"
        )
        await member.press("x", data=invite.pack())
        assert member.last_answer["show_alert"] is True
        assert not any("Приглашение" in s.text for s in member.inbox)


async def test_bad_files_in_both_languages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, 2})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=2, language_code="en"))

        [wrong] = await import_file(maria, "r.csv", b"a;b;c\n1;2;3\n")
        assert "обязательны «тип» и «название»" in wrong.text
        # Still waiting for a file: a correct one can follow without starting over.
        [big] = await maria.send_document("r.csv", b"x", size=5 * 1024 * 1024)
        assert big.text == "Файл слишком большой: допускается до 1000 КБ."
        [pdf] = await maria.send_document("r.pdf", b"%PDF")
        assert pdf.text == "Отправьте реестр файлом CSV или XLSX."
        [text] = await maria.send("вот файл")
        assert "отправьте файл документом" in text.text
        [broken] = await maria.send_document("r.xlsx", b"not a zip")
        assert broken.text == "Не удаётся прочитать этот файл XLSX."
        assert await h.app.db.read.registry.all_tos() == []

        [wrong_en] = await import_file(john, "r.csv", b"foo,bar\n1,2\n")
        assert "«type» and «name» are required" in wrong_en.text
        # English headers and words work for a Russian town's file and the other way round.
        english = b"type,name,residents,territory\ntos,TOS North,12,Lenin st 1\n"
        [dry] = await john.send_document("r.csv", english)
        assert "1 row to add" in dry.text
        [done] = await john.press("✅ Import 1 row")
        assert done.text == "Imported: 1 added, 0 updated, 0 skipped."
        # Too big, though Telegram did not say so: checked after the download as well.
        await import_file(john, "r.csv", b"")
        [huge] = await john.send_document("r.csv", b"x" * (MAX_FILE_BYTES + 1), size=1)
        assert huge.text == "The file is too big: up to 1000 KB, please."


async def test_export_round_trip_and_xlsx_import(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await import_file(maria, "r.csv", REGISTRY_CSV.encode("utf-8-sig"))
        await maria.press("✅ Импортировать 4 строки")

        await maria.send("/registry")
        [xlsx] = await maria.press("📤 Выгрузить XLSX")
        assert xlsx.method == "SendDocument" and xlsx.file
        name, content = xlsx.file
        assert name == "registry.xlsx"
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0][:3] == ["тип", "название", "вид"]
        assert rows[1][:2] == ["ТОС", "ТОС «Северный»"]

        # The exported file imports back as updates only.
        [dry] = await import_file(maria, "registry.xlsx", content)
        assert "Добавить: 0 строк" in dry.text and "Обновить: 4 строки" in dry.text

        await maria.send("/registry")
        [csv_file] = await maria.press("📤 Выгрузить CSV")
        assert csv_file.file and csv_file.file[1].startswith(b"\xef\xbb\xbf")
        assert "ул. Ленина, 1–15; пер. Садовый" in csv_file.file[1].decode("utf-8-sig")


async def test_staff_edit_deactivate_revoke_and_poster(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    await maria.send("/registry")
    await maria.press("➕ ТОС")
    [empty] = await maria.send("Я")
    assert empty.text == "Название — от 2 до 150 символов."
    await maria.send("ТОС «Берёзка»")
    card = maria.last
    assert "ТОС «Берёзка»" in card.text and "пока не указана" in card.text
    await maria.press("✏️ Изменить", on=card)
    await maria.press("Территория")
    await maria.send("ул. Лесная, 1–9\nул. Полевая")
    assert "• ул. Полевая" in maria.last.text
    await maria.press("✏️ Изменить", on=maria.last)
    await maria.press("Центр и радиус")
    [bad_area] = await maria.send("где-то там")
    assert "широта долгота метры" in bad_area.text
    await maria.send_location(54.64, 83.30)
    assert "500 м вокруг точки" in maria.last.text
    await maria.press("✏️ Изменить", on=maria.last)
    await maria.press("Дата регистрации")
    [future] = await maria.send("01.01.2099")
    assert future.text == "Дата регистрации не может быть в будущем."
    [ancient] = await maria.send("01.01.1980")
    assert ancient.text == "Проверьте год: он должен быть не раньше 1990-го."
    await maria.send("10.10.2020")
    assert "10.10.2020" in maria.last.text

    # Found by a location inside the circle, not by one far away.
    tos = await h.app.db.read.registry.tos_by_name("ТОС «Берёзка»")
    assert tos is not None
    anna = await h.consented(h.user("Анна"))
    await anna.send("/tos")
    [far] = await anna.send_location(54.70, 83.40)
    assert far.text.startswith("Это место не входит ни в один ТОС.")
    [near] = await anna.send_location(54.641, 83.301)
    assert "ТОС «Берёзка»" in near.text

    # A deputy invite for several people; the staff card lists them; revoking tells them.
    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    await maria.press("ТОС «Берёзка»")
    await maria.press("👥 Пригласить заместителя")
    await maria.press("Для нескольких человек, до истечения срока")
    payload = payload_of(maria.inbox[-2])
    await anna.send(f"/start {payload}")
    assert "ваша роль — заместитель председателя" in anna.inbox[-2].text
    boris = await h.consented(h.user("Борис"))
    await boris.send(f"/start {payload}")
    assert len(await h.app.services.registry.people(ADMIN_ID, "tos", tos.id)) == 2
    again = (await anna.send(f"/start {payload}"))[0]
    assert again.text == "Эта роль у вас уже есть: заместитель председателя, «ТОС „Берёзка“»."

    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    await maria.press("ТОС «Берёзка»")
    assert "Анна — заместитель председателя" in maria.last.text
    await maria.press("✖ Снять заместителя председателя (Анна)")
    confirm = maria.last_with_button("Да, снять")
    await maria.press("Да, снять", on=confirm)
    assert maria.last.text == "Анна: роль «заместитель председателя» снята."
    await h.deliver()
    assert anna.last.text == "С вас снята роль «заместитель председателя» в «ТОС „Берёзка“»."
    # The old confirmation pressed again: the role is already gone.
    await maria.press("Да, снять", on=confirm)
    assert maria.last_answer["text"] == "У этого человека уже нет этой роли."

    # The join poster: scanning it joins at once, even before consent.
    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    await maria.press("ТОС «Берёзка»")
    [poster] = await maria.press("🔳 Плакат для вступления")
    assert poster.file and poster.file[1].startswith(b"\x89PNG")
    join = payload_of(poster)
    vera = h.user("Вера")
    await vera.send(f"/start {join}")
    replies = await vera.press("✅ Даю согласие")
    assert any("Добро пожаловать в «ТОС „Берёзка“»!" in r.text for r in replies)
    assert await h.app.db.read.registry.memberships(vera.id) == [tos.id]

    # Deactivated: no longer found, the poster no longer works.
    await maria.send("/registry")
    await maria.press("🏘 ТОС (1)")
    await maria.press("ТОС «Берёзка»")
    await maria.press("⛔ Отключить")
    assert "Отключён" in maria.last.text
    gone = (await vera.send(f"/start {join}"))[0]
    assert gone.text.startswith("Ссылка с этого плаката больше не действует.")
    await vera.send("/tos")
    [nothing] = await vera.send("Лесная")
    assert "ТОС не найден" in nothing.text

    # Forged and expired invites.
    forged = (await vera.send("/start inv_forgedforgedforged"))[0]
    assert forged.text == "Ссылка недействительна. Попросите новую."


async def test_expired_invite_and_withdrawn_consent(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    org = await h.app.services.registry.add_org(ADMIN_ID, "Совет ветеранов")
    invite = await h.app.services.registry.create_invite(ADMIN_ID, "rep", org.id)
    h.clock.advance(timedelta(days=15))
    late = await h.consented(h.user("Пётр", language_code="en"))
    expired = (await late.send(f"/start {invite.payload}"))[0]
    assert expired.text == "This link has expired. Please ask for a new one."
    assert await h.app.services.registry.roles_of(late.id) == []

    invite = await h.app.services.registry.create_invite(ADMIN_ID, "rep", org.id)
    await late.send(f"/start {invite.payload}")
    assert "You are now the representative of «Совет ветеранов»." in late.inbox[-2].text
    # Withdrawing consent takes the role and memberships away with the personal data.
    await late.send("/privacy")
    await late.press(next(b for b in late.last.flat_buttons if "ithdraw" in b))
    await late.press(next(b for b in late.last.flat_buttons if b.startswith("Yes")))
    assert await h.app.services.registry.roles_of(late.id) == []
    assert maria.id == ADMIN_ID


async def test_chair_keeps_the_card_and_residents_cannot(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Заря»")
    deputy = await h.consented(h.user("Дина", language_code="en"))
    resident = await h.consented(h.user("Рита"))
    async with h.app.db.transaction() as uow:
        await uow.registry.grant(deputy.id, "tos", tos.id, "deputy", ADMIN_ID, h.clock.now())
        await uow.registry.join(tos.id, resident.id, h.clock.now())

    [card] = await deputy.send("/tos")
    assert "You are a deputy chair of this TOS. Members in the bot: 1." in card.text
    await deputy.press("✏️ Public contact")
    [short] = await deputy.send("+7")
    assert short.text == "Contacts must be 3 to 300 characters long."
    await deputy.send("Дина, +7 913 000-00-00, по вечерам")
    assert "<b>Contact:</b> Дина, +7 913 000-00-00, по вечерам" in deputy.last.text

    # The resident sees the contact, and a forged edit button is refused.
    [seen] = await resident.send("/tos")
    assert "<b>Контакт:</b> Дина, +7 913 000-00-00" in seen.text
    from handlers.tos import TosAction, TosButton

    await resident.press(
        "x", data=TosButton(action=TosAction.EDIT, id=tos.id, field="public_contact").pack()
    )
    assert resident.last_answer["show_alert"] is True
    # A chair-only field through a forged value is out of date, not a crash.
    await deputy.press(
        "x", data=TosButton(action=TosAction.EDIT, id=tos.id, field="residents").pack()
    )
    assert deputy.last_answer["text"] == "This button is out of date."
    after = await h.app.db.read.registry.get_tos(tos.id)
    assert after is not None and after.residents == 0


async def test_refusals_in_english(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    south = await h.app.services.registry.add_tos(ADMIN_ID, "TOS South")
    north = await h.app.services.registry.add_tos(ADMIN_ID, "TOS North")
    await h.app.services.registry.update_tos(
        ADMIN_ID, south.id, {"territory": ("Lenin street, 1-9",)}
    )
    invite = await h.app.services.registry.create_invite(ADMIN_ID, "chair", south.id)
    chair = await h.consented(h.user("Ivan", language_code="en"))
    await chair.send(f"/start {invite.payload}")
    assert "You are now the TOS chair of «TOS South»." in chair.inbox[-2].text

    peter = await h.consented(h.user("Peter", language_code="en"))
    used = (await peter.send(f"/start {invite.payload}"))[0]
    assert used.text == "This link has already been used. Please ask for a new one."
    forged = (await peter.send("/start inv_AAAAAAAAAAAAAAAAAAAAAAAA"))[0]
    assert forged.text == "This link is not valid. Please ask for a new one."
    [staff_only] = await peter.send("/registry")
    assert staff_only.text == "This is for the town hall's staff only."

    await peter.send("/tos")
    [found] = await peter.send("I live on Lenen street")
    assert "TOS South" in found.text
    await peter.press("🔎 Find another TOS")
    [none] = await peter.send("Victory avenue")
    assert none.text.startswith("No TOS was found for «Victory avenue».")
    assert "you and your neighbours can create one" in none.text

    from handlers.tos import TosAction, TosButton

    await chair.press("x", data=TosButton(action=TosAction.ANNOUNCE, id=north.id).pack())
    assert chair.last_answer["text"] == "Only the chair of this TOS and deputies can do this."
    assert (
        await h.app.db.read.registry.announcements_since(
            north.id, h.clock.now() - timedelta(days=7)
        )
        == 0
    )


async def test_a_failed_announcement_spends_no_quota(harness: Harness) -> None:
    h = harness
    await h.consented(h.user("Мария", user_id=ADMIN_ID))
    tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Заря»")
    chair = await h.consented(h.user("Иван"))
    member = await h.consented(h.user("Ольга"))
    async with h.app.db.transaction() as uow:
        await uow.registry.grant(chair.id, "tos", tos.id, "chair", ADMIN_ID, h.clock.now())
        await uow.registry.join(tos.id, member.id, h.clock.now())
    broadcasts = h.app.services.broadcasts
    real = broadcasts.start_for
    calls = 0

    async def flaky(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the disk is full")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    broadcasts.start_for = flaky  # type: ignore[method-assign]
    await chair.send("/tos")
    await chair.press("📣 Объявление участникам")
    await chair.send("Субботник в субботу")
    await chair.press("📣 Отправить")
    assert "что-то пошло не так" in chair.last_answer["text"]
    since = h.clock.now() - timedelta(days=7)
    assert await h.app.db.read.registry.announcements_since(tos.id, since) == 0
    assert await h.app.services.registry.announcement_room(chair.id, tos.id) == (1, 2)
    # The form is still at its last step: pressing again sends it, once.
    await chair.press("📣 Отправить")
    assert chair.last.text == "Отправлено 1 участнику. Рассылка идёт постепенно."
    await h.deliver()
    assert sum("Субботник" in s.text for s in member.inbox) == 1


async def test_a_name_in_another_case_updates_and_never_duplicates(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    await import_file(maria, "r.csv", "тип;название;жителей\nТОС;ТОС «Южный»;100\n".encode())
    await maria.press("✅ Импортировать 1 строку")
    # The same name in capitals and with doubled spaces: Cyrillic, so SQLite's NOCASE would
    # not see it as the same.
    again = "тип;название;жителей\nТОС;ТОС  «ЮЖНЫЙ»;240\n".encode()
    [dry] = await import_file(maria, "r.csv", again)
    assert "Добавить: 0 строк" in dry.text and "Обновить: 1 строку" in dry.text
    [done] = await maria.press("✅ Импортировать 1 строку")
    assert done.text == "Импорт завершён: добавлено — 0, обновлено — 1, пропущено — 0."
    [tos] = await h.app.db.read.registry.all_tos()
    assert tos.residents == 240
    # Adding by hand is refused the same way.
    await maria.send("/registry")
    await maria.press("➕ ТОС")
    [refused] = await maria.send("тос «южный»")
    assert refused.text == "«тос „южный“» уже есть в реестре."


async def test_the_tos_card_lists_its_initiatives_in_the_readers_language(
    harness: Harness,
) -> None:
    h = harness
    await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    tos = await h.app.services.registry.add_tos(ADMIN_ID, "TOS South")
    author = await h.consented(h.user("Anna", language_code="en"))
    async with h.app.db.transaction() as uow:
        await uow.registry.join(tos.id, author.id, h.clock.now())
    from bot.services.initiatives import Draft

    result = await h.app.services.initiatives.submit(
        author.id,
        Draft(
            direction="sport",
            title="A pull-up bar",
            tos_id=tos.id,
            description="A pull-up bar by the school, please.",
        ),
    )
    await h.app.services.initiatives.decide(ADMIN_ID, result.initiative.id, "accepted")
    [card] = await author.send("/tos")
    assert "• I-2026-0001 — A pull-up bar" in card.text
    olga = await h.consented(h.user("Ольга"))
    async with h.app.db.transaction() as uow:
        await uow.registry.join(tos.id, olga.id, h.clock.now())
    [card_ru] = await olga.send("/tos")
    assert "• И-2026-0001 — A pull-up bar" in card_ru.text


async def test_adding_a_body_in_the_staff_chat_takes_replies_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The name of a new body (a form on the engine) is asked in the staff chat as a reply,
    ordinary talk is not taken, a refused name keeps the question open."""
    staff_chat = -1001234567890
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, 2}), staff_chat_id=staff_chat) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=2, language_code="en"))
        await h.app.services.registry.add_org(ADMIN_ID, "Клуб «Бодрость»")
        in_chat = h.in_group(maria, staff_chat)
        await in_chat.send("/registry")
        [prompt] = await in_chat.press("➕ Организация")
        assert prompt.text == (
            "Название новой организации. /cancel — отменить.\n"
            "В группе ответьте на это сообщение (функция «Ответить»)."
        )
        assert await in_chat.send("коллеги, добрый день") == []
        question = in_chat.message_of(prompt)
        [taken] = await in_chat.send("Клуб «Бодрость»", reply_to_message=question)
        assert taken.text == "«Клуб „Бодрость“» уже есть в реестре."
        [added, card] = await in_chat.send("Совет ветеранов", reply_to_message=question)
        assert added.text == "Добавлено: «Совет ветеранов». Остальное заполните кнопкой «Изменить»."
        assert "🤝 <b>Совет ветеранов</b>" in card.text
        assert [o.name for o in await h.app.db.read.registry.all_orgs()] == [
            "Клуб «Бодрость»",
            "Совет ветеранов",
        ]

        await john.send("/registry")
        [asked] = await john.press("➕ TOS")
        assert asked.text == "The new TOS's name (e.g. «TOS South»). /cancel to stop."
        [short] = await john.send("S")
        assert short.text == "The name must be 2 to 150 characters long."
        [done, _card] = await john.send("TOS South")
        assert done.text == "Added «TOS South». Fill in the rest with «Edit»."
