"""Moderation of public initiatives through the Dispatcher, in both languages: reports (once
each), hiding at the threshold, staff's hide / restore / edit with a reason, the author told,
the log on screen and exported, erasure, forged buttons."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.errors import DomainError, NotAllowed
from bot.services.initiatives import Draft
from bot.services.moderation import LOG_PAGE, ModerationDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running

TEXTS = {
    "ru": {
        "report": "⚑ Пожаловаться",
        "spam": "Спам или реклама",
        "offensive": "Оскорбительно или грубо",
        "personal": "Чужие персональные данные",
        "thanks": "Спасибо: специалисты администрации посмотрят эту инициативу.",
        "again": "Вы уже пожаловались на эту инициативу. Спасибо: специалисты администрации "
        "её посмотрят.",
        "not_public": "Эта инициатива сейчас не опубликована, жаловаться не на что.",
        "own": "Это ваша собственная инициатива: если что-то не так, напишите в администрацию.",
        "staff_only": "Это доступно только специалистам администрации.",
        "not_allowed": "Извините, это действие вам недоступно.",
        "hidden_author": "Ваша инициатива И-2026-0001 «Скамейки во дворе» пока скрыта из "
        "общего списка: жители пожаловались на неё (",
        "hidden_staff": "⚠️ Инициатива И-2026-0001 «Скамейки во дворе» скрыта из общего "
        "списка: жалоб от жителей — 3 (",
        "restored_author": "Ваша инициатива И-2026-0001 «Скамейки во дворе» снова опубликована. "
        "Пояснение администрации: Жалобы не подтвердились.",
        "edited_author": "Администрация исправила опубликованный текст вашей инициативы "
        "И-2026-0001; теперь она называется «Скамейки у площадки». Причина: Убрали телефон.",
        "keep": "Оставить как есть",
        "author_view": "🙈 Сейчас скрыта из общего списка: её видите только вы и специалисты "
        "администрации.",
        "restore": "👁 Опубликовать снова",
        "notice_tail": "Ниже её карточка: опубликуйте её снова, исправьте текст или оставьте "
        "скрытой.",
        "restore_ask": "Почему инициатива снова публикуется?",
        "no_support": "Эту инициативу сейчас нельзя поддержать.",
        "list": "/initiatives",
        "number": "И-2026-0001",
    },
    "en": {
        "report": "⚑ Report",
        "spam": "Spam or advertising",
        "offensive": "Offensive or rude",
        "personal": "Someone's personal data",
        "thanks": "Thank you: the town hall's staff will look at this initiative.",
        "again": "You have already reported this initiative. Thank you: the town hall's staff "
        "will look at it.",
        "not_public": "This initiative is not public now, so there is nothing to report.",
        "own": "This is your own initiative: you can write to the town hall instead.",
        "staff_only": "This is for the town hall's staff only.",
        "not_allowed": "Sorry, this is not available to you.",
        "hidden_author": "Your initiative I-2026-0001 «Скамейки во дворе» is hidden from the "
        "public list for now: residents reported it (",
        "hidden_staff": "⚠️ Initiative I-2026-0001 «Скамейки во дворе» is hidden from the "
        "public after 3 reports from residents (",
        "restored_author": "Your initiative I-2026-0001 «Скамейки во дворе» is public again. "
        "The town hall's note: Жалобы не подтвердились.",
        "edited_author": "The town hall edited the public text of your initiative I-2026-0001; "
        "it now reads «Скамейки у площадки». The reason: Убрали телефон.",
        "keep": "Keep as it is",
        "author_view": "🙈 Hidden from the public by moderation for now.",
        "restore": "👁 Show it again",
        "notice_tail": "Its card follows: restore it, edit it or keep it hidden.",
        "restore_ask": "Why is it shown again?",
        "no_support": "This initiative cannot be supported now.",
        "list": "/initiatives",
        "number": "I-2026-0001",
    },
}

DESCRIPTION = "Поставить три скамейки у детской площадки на Советской, 12. Звоните 8-913-000."


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def public_initiative(h: Harness, author: Person, title: str = "Скамейки во дворе") -> int:
    """An accepted (public) initiative of `author`."""
    submitted = await h.app.services.initiatives.submit(
        author.id, Draft(direction="improvement", title=title, description=DESCRIPTION)
    )
    await h.app.services.initiatives.decide(ADMIN_ID, submitted.initiative.id, "accepted")
    await h.deliver()
    return submitted.initiative.id


async def report(person: Person, initiative_id: int, reason: str, t: dict[str, str]) -> Sent:
    """Open the public card, press «⚑ Report», choose a reason: the press's answer."""
    [card] = await person.press("x", data=f"initiative:open:{initiative_id}")
    assert t["report"] in card.flat_buttons
    [ask] = await person.press(t["report"], on=card)
    assert ask.flat_buttons == [t["spam"], t["offensive"], t["personal"], ask.flat_buttons[3]]
    await person.press(t[reason], on=ask)
    return person.last


async def residents(h: Harness, lang: str, n: int) -> list[Person]:
    names = ["Борис", "Вера", "Глеб", "Дина", "Егор", "Жанна"]
    return [await h.consented(h.user(names[i], language_code=lang)) for i in range(n)]


async def log_actions(h: Harness) -> list[tuple[str, int | None, str | None]]:
    entries, _ = await h.app.db.read.moderation.log_page(0, 1000)
    return [(e.action, e.actor_id, e.reason) for e in reversed(entries)]


async def test_reports_hide_at_exactly_the_threshold(tmp_path: Path, lang: str) -> None:
    t = TEXTS[lang]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна", language_code=lang))
        boris, vera, gleb = await residents(h, lang, 3)
        number = await public_initiative(h, anna)
        assert h.app.services.moderation.hide_after == 3  # MODERATION_HIDE_AFTER's default

        await report(boris, number, "spam", t)
        assert boris.last_answer["text"] == t["thanks"]
        assert boris.last.text == t["thanks"]  # the reasons are gone
        # A second report by the same person: polite, and nothing more is stored.
        await boris.press("x", data=f"flag:ask:{number}:")
        assert boris.last_answer["text"] == t["again"]
        await boris.press("x", data=f"flag:send:{number}:offensive")
        assert boris.last_answer["text"] == t["again"]
        # The author cannot report their own, and is not offered to.
        [own] = await anna.press("x", data=f"initiative:open:{number}")
        assert t["report"] not in own.flat_buttons
        await anna.press("x", data=f"flag:send:{number}:spam")
        assert anna.last_answer["text"] == t["own"]

        await report(vera, number, "offensive", t)
        [listing] = await gleb.send(t["list"])  # two reports: still public
        assert t["number"] in listing.text
        await report(gleb, number, "spam", t)  # the third: hidden
        assert gleb.last_answer["text"] == t["thanks"]

        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and record.hidden and record.status == "accepted"
        [listing] = await gleb.send(t["list"])
        assert t["number"] not in listing.text
        await gleb.press("x", data=f"initiative:open:{number}")
        assert gleb.last_answer["text"] == t["not_allowed"]
        await gleb.press("x", data=f"initiative:support:{number}")
        assert gleb.last_answer["text"] == t["no_support"]
        # A report on a hidden initiative is refused.
        dina = await h.consented(h.user("Дина", language_code=lang))
        await dina.press("x", data=f"flag:ask:{number}:")
        assert dina.last_answer["text"] == t["not_public"]

        await h.deliver()
        assert anna.last.text.startswith(t["hidden_author"])
        notice = next(s for s in maria.inbox if s.text.startswith(t["hidden_staff"]))
        assert t["spam"] + ": 2" in notice.text and t["offensive"] + ": 1" in notice.text
        # Its card follows, with the buttons to restore or edit it.
        card = maria.inbox[maria.inbox.index(notice) + 1]
        assert t["number"] in card.text and "🙈" in card.text
        assert notice.text.endswith(t["notice_tail"])
        assert card.flat_buttons[-2] == t["restore"] and card.flat_buttons[-1].startswith("✏️")
        # The author still sees it, saying why nobody else does.
        [mine] = await anna.press("x", data=f"initiative:open:{number}")
        assert t["author_view"] in mine.text
        assert await log_actions(h) == [
            ("report", boris.id, "spam"),
            ("report", vera.id, "offensive"),
            ("report", gleb.id, "spam"),
            ("auto_hide", None, "3"),
        ]


async def test_a_setting_of_one_hides_at_the_first_report(tmp_path: Path) -> None:
    t = TEXTS["ru"]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), moderation_hide_after=1) as h:
        anna = await h.consented(h.user("Анна"))
        [boris] = await residents(h, "ru", 1)
        number = await public_initiative(h, anna)
        await report(boris, number, "personal", t)
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and record.hidden


def test_the_threshold_setting_is_validated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.settings import SettingsError, load_settings

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("BOT_TOKEN", "123456:" + "a" * 30)
    monkeypatch.setenv("MODERATION_HIDE_AFTER", "5")
    assert load_settings().moderation_hide_after == 5
    for bad in ("0", "-1", "101", "three"):
        monkeypatch.setenv("MODERATION_HIDE_AFTER", bad)
        with pytest.raises(SettingsError, match="MODERATION_HIDE_AFTER"):
            load_settings()


async def test_reports_on_what_is_not_public(tmp_path: Path, lang: str) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        await _not_public(h, lang)


async def _not_public(harness: Harness, lang: str) -> None:
    t = TEXTS[lang]
    anna = await harness.consented(harness.user("Анна", language_code=lang))
    [boris] = await residents(harness, lang, 1)
    submitted = await harness.app.services.initiatives.submit(
        anna.id, Draft(direction="improvement", title="Новая идея", description=DESCRIPTION)
    )  # new: not public
    for data in (
        f"flag:ask:{submitted.initiative.id}:",
        f"flag:send:{submitted.initiative.id}:spam",
    ):
        await boris.press("x", data=data)
        assert boris.last_answer["text"] == t["not_public"]
    await boris.press("x", data="flag:send:999:spam")  # no such initiative
    assert boris.last_answer["text"] == t["not_public"]
    assert await log_actions(harness) == []


async def test_residents_cannot_moderate(tmp_path: Path, lang: str) -> None:
    t = TEXTS[lang]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна", language_code=lang))
        [mallory] = await residents(h, lang, 1)
        number = await public_initiative(h, anna)
        for data in (
            f"mod:hide:{number}:0",
            f"mod:restore:{number}:0",
            f"mod:edit:{number}:0",
            f"mod:original:{number}:0",
            "mod:log:0:0",
        ):
            await mallory.press("x", data=data)
            assert mallory.last_answer["text"] == t["staff_only"], data
        [refused] = await mallory.send("/moderation")
        assert refused.text == t["staff_only"]
        # Not even the author: the form never opened, nothing changed.
        await anna.press("x", data=f"mod:hide:{number}:0")
        assert anna.last_answer["text"] == t["staff_only"]
        with pytest.raises(NotAllowed):
            await h.app.services.moderation.act(
                anna.id, ModerationDraft(initiative_id=number, action="hide", reason="Просто так")
            )
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and not record.hidden
        assert await log_actions(h) == []


async def test_staff_hide_and_restore_with_a_reason(tmp_path: Path, lang: str) -> None:
    t = TEXTS[lang]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна", language_code=lang))
        boris, vera, gleb, dina = await residents(h, lang, 4)
        number = await public_initiative(h, anna)
        for person, reason in ((boris, "spam"), (vera, "spam"), (gleb, "offensive")):
            await report(person, number, reason, t)
        await h.deliver()
        # The staff card (edited in place) says it is hidden and why, and offers to restore.
        card = [s for s in maria.inbox if t["number"] in s.text and s.flat_buttons][-1]
        assert "🙈" in card.text and "⚑" in card.text
        restore = next(b for b in card.flat_buttons if b.startswith("👁"))
        [ask] = await maria.press(restore, on=card)
        assert ask.text.startswith(t["restore_ask"])
        [short] = await maria.send("Ок")  # too short a reason: asked again
        assert "3" in short.text and "500" in short.text
        await maria.send("Жалобы не подтвердились.")
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and not record.hidden
        await h.deliver()
        # The card sent with the notice is the one kept up to date.
        assert maria.edits[-1].message_id == card.message_id and "🙈" not in maria.edits[-1].text
        assert anna.last.text == t["restored_author"]
        [listing] = await dina.send(t["list"])
        assert t["number"] in listing.text
        # The reports were looked at: a new one does not hide it again, an old reporter is
        # still refused.
        await report(dina, number, "spam", t)
        await boris.press("x", data=f"flag:ask:{number}:")
        assert boris.last_answer["text"] == t["again"]
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and not record.hidden
        state = await h.app.db.read.moderation.state(number)
        assert state.pending_reports == {"spam": 1}
        # Three new reports hide it again, and everyone is told again.
        egor, zhanna = [await h.consented(h.user(n, language_code=lang)) for n in ("Егор", "Жанна")]
        await report(egor, number, "spam", t)
        await report(zhanna, number, "offensive", t)
        await h.deliver()
        assert anna.last.text.startswith(t["hidden_author"])
        assert len([s for s in anna.inbox if s.text.startswith(t["hidden_author"])]) == 2
        assert len([s for s in maria.inbox if s.text.startswith(t["hidden_staff"])]) == 2
        await maria.press("x", data=f"mod:restore:{number}:0")
        await maria.send("Снова всё в порядке.")

        # Staff hide it themselves; restore of a shown one is out of date.
        await maria.press("x", data=f"mod:restore:{number}:0")
        assert maria.last_answer["text"] in (
            "Эта инициатива не скрыта.",
            "This initiative is not hidden.",
        )
        await maria.press("x", data=f"mod:hide:{number}:0")
        await maria.send("Нарушает правила.")
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and record.hidden
        await h.deliver()
        assert "Нарушает правила." in anna.last.text
        assert [a for a, _, _ in await log_actions(h)] == [
            "report",
            "report",
            "report",
            "auto_hide",
            "restore",
            "report",
            "report",
            "report",
            "auto_hide",
            "restore",
            "hide",
        ]
        assert (await log_actions(h))[4] == ("restore", ADMIN_ID, "Жалобы не подтвердились.")


async def test_staff_moderate_in_the_staff_chat_by_replies(tmp_path: Path) -> None:
    t = TEXTS["ru"]
    chat = -1001234567890
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=chat) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        staff_chat = h.in_group(maria, chat)
        anna = await h.consented(h.user("Анна"))
        number = await public_initiative(h, anna)
        card = [s for s in staff_chat.inbox if t["number"] in s.text and s.flat_buttons][-1]
        [ask] = await staff_chat.press("🙈 Скрыть из общего списка", on=card)
        assert "Почему инициатива скрывается из общего списка?" in ask.text
        await staff_chat.send("Не ответ на вопрос")  # not a reply: not taken in a group
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and not record.hidden
        question = h.session.messages[(chat, ask.message_id)]
        await staff_chat.send("Телефон в тексте.", reply_to_message=question)
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and record.hidden
        await h.deliver()
        assert "Телефон в тексте." in anna.last.text
        assert "🙈" in staff_chat.edits[-1].text  # the card, edited in place
        assert "👁 Опубликовать снова" in staff_chat.edits[-1].flat_buttons


async def test_an_edit_keeps_the_original(tmp_path: Path, lang: str) -> None:
    t = TEXTS[lang]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна", language_code=lang))
        [boris] = await residents(h, lang, 1)
        number = await public_initiative(h, anna)
        await maria.press("x", data=f"mod:edit:{number}:0")
        current, _ask = maria.inbox[-2:]
        assert DESCRIPTION in current.text
        await maria.send("Скамейки у площадки")
        await maria.press(t["keep"])  # the description stays
        await maria.send("Убрали телефон.")
        record = await h.app.db.read.initiatives.get(number)
        assert record is not None and record.title == "Скамейки у площадки"
        assert record.description == DESCRIPTION
        await h.deliver()
        assert anna.last.text == t["edited_author"]

        # A second edit keeps the author's own text, not the first edit's.
        draft = ModerationDraft(
            initiative_id=number,
            action="edit",
            description="Поставить три скамейки у площадки.",
            reason="Убрали телефон совсем.",
        )
        await h.app.services.moderation.act(ADMIN_ID, draft)
        state = await h.app.db.read.moderation.state(number)
        assert state.original_title == "Скамейки во дворе"
        assert state.original_description == DESCRIPTION

        # Staff see that it was edited on the card, and the original a press away.
        [card] = await maria.send(f"/initiative {t['number']}")
        assert "✏️" in card.text and "Скамейки у площадки" in card.text
        original = next(b for b in card.flat_buttons if b.startswith("📜"))
        [shown] = await maria.press(original, on=card)
        assert "Скамейки во дворе" in shown.text and "8-913-000" in shown.text
        # The public reads the edit, never the original.
        [public] = await boris.press("x", data=f"initiative:open:{number}")
        assert "Скамейки у площадки" in public.text and "8-913-000" not in public.text
        assert "📜" not in " ".join(public.flat_buttons)
        # Nothing changed is refused, and goes back to the title.
        same = ModerationDraft(initiative_id=number, action="edit", reason="Ничего не меняем")
        with pytest.raises(DomainError, match="Nothing is changed"):
            await h.app.services.moderation.act(ADMIN_ID, same)
        assert [a for a, _, _ in await log_actions(h)] == ["edit", "edit"]


async def test_the_log_on_screen_and_exported(tmp_path: Path, lang: str) -> None:
    t = TEXTS[lang]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), default_locale=lang) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна", language_code=lang))
        [boris] = await residents(h, lang, 1)
        number = await public_initiative(h, anna, title='=HYPERLINK("http://x")')
        await report(boris, number, "spam", t)
        service = h.app.services.moderation
        for n in range(LOG_PAGE):  # a log longer than a page
            action = "hide" if n % 2 == 0 else "restore"
            reason = f"+7 913 причина {n} " + "очень длинная " * 30
            await service.act(
                ADMIN_ID, ModerationDraft(initiative_id=number, action=action, reason=reason)
            )
        [screen] = await maria.send("/moderation")
        assert screen.text.startswith(
            ("<b>Журнал модерации</b> (1/2)", "<b>Moderation log</b> (1/2)")
        )
        assert len(screen.text) < 4096 and "Мария" in screen.text
        assert screen.flat_buttons == ["▶️"]
        await maria.press("▶️", on=screen)
        page_two = maria.edits[-1]
        assert page_two.text.count("\n") >= 2 and page_two.flat_buttons == ["◀️"]
        # Who reported is never named, neither on screen nor in the file.
        assert "Борис" not in screen.text + page_two.text
        reported = (
            "жалоба жителя: Спам или реклама",
            "reported by a resident: Spam or advertising",
        )
        assert any(r in page_two.text for r in reported)

        await maria.send("/export")
        await maria.press("Журнал модерации" if lang == "ru" else "Moderation log")
        await maria.press("Этот год" if lang == "ru" else "This year")
        [sent] = await maria.press("CSV")
        assert sent.file
        rows = list(csv.reader(io.StringIO(sent.file[1].decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 1 + 1 + LOG_PAGE
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
        assert "Борис" not in sent.file[1].decode("utf-8-sig")
        assert rows[1][2] in ("жалоба жителя", "reported by a resident")
        assert rows[2][3].startswith("'+7 913")  # the safe writer's quote


def test_the_server_exports_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.__main__ import main
    from tests.databases import database_env

    async def prepare() -> None:
        async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
            await h.consented(h.user("Мария", user_id=ADMIN_ID))
            anna = await h.consented(h.user("Анна"))
            [boris] = await residents(h, "ru", 1)
            number = await public_initiative(h, anna)
            await report(boris, number, "spam", TEXTS["ru"])
            draft = ModerationDraft(initiative_id=number, action="hide", reason="=1+1 нарушение")
            await h.app.services.moderation.act(ADMIN_ID, draft)

    asyncio.run(prepare())
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    code = main(
        [
            "export",
            "--what",
            "moderation",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
            "--out",
            str(out),
            "--lang",
            "ru",
        ]
    )
    assert code == 0
    text = (out / "moderation-2026-01-01-2026-12-31.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[2] for r in rows[1:]] == ["жалоба жителя", "скрыто специалистом"]
    assert rows[2][3] == "'=1+1 нарушение" and rows[2][4] == "Мария"  # staff named on the server
    assert "Борис" not in text


async def test_erasure_leaves_no_reporter_in_moderation(harness: Harness) -> None:
    t = TEXTS["ru"]
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна"))
    boris, vera = await residents(harness, "ru", 2)
    number = await public_initiative(harness, anna)
    await report(boris, number, "spam", t)
    await report(vera, number, "personal", t)
    await harness.app.services.users.withdraw_consent(boris.id)
    db = harness.app.db.read.moderation
    # Every column of every moderation table: Boris's id is nowhere.
    for table in ("moderation_reports", "moderation_log", "initiative_originals"):
        rows = await harness.app.db.read.executor.fetch_all(f"SELECT * FROM {table}")  # noqa: S608
        assert all(boris.id not in tuple(row) for row in rows), table
    assert vera.id in [a for _, a, _ in await log_actions(harness)]
    # His report still counts (anonymous now), and the page still reads.
    assert (await db.state(number)).pending_reports == {"personal": 1, "spam": 1}


# -- forged buttons -------------------------------------------------------------------------


class Bot:
    """One bot with one public initiative, for synchronous hypothesis tests."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        self.h = Harness(tmp, admin_ids=frozenset({ADMIN_ID}))
        self.run(self.h.start())
        self.run(self.h.consented(self.h.user("Мария", user_id=ADMIN_ID)))
        anna = self.run(self.h.consented(self.h.user("Анна")))
        self.resident: Person = self.run(self.h.consented(self.h.user("Злоумышленник")))
        self.number: int = self.run(public_initiative(self.h, anna))

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    def close(self) -> None:
        self.run(self.h.close())
        self.runner.close()


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    b = Bot(tmp_path)
    try:
        yield b
    finally:
        b.close()


PARTS = st.one_of(
    st.sampled_from(["hide", "restore", "edit", "original", "log", "ask", "send", "1", "0", ""]),
    st.sampled_from(["spam", "offensive", "personal", "off_topic", "-1", "99999999999999999999"]),
    st.text(max_size=10),
)


def test_forged_moderation_buttons_change_nothing(bot: Bot) -> None:
    @given(prefix=st.sampled_from(["mod", "flag"]), parts=st.lists(PARTS, max_size=4))
    def press(prefix: str, parts: list[str]) -> None:
        data = ":".join([prefix, *parts]).encode()[:64].decode(errors="ignore")
        before = len(bot.h.session.callback_answers)
        bot.run(bot.resident.press("x", data=data))
        assert len(bot.h.session.callback_answers) > before  # answered, politely
        record = bot.run(bot.h.app.db.read.initiatives.get(bot.number))
        assert not record.hidden and record.title == "Скамейки во дворе"
        entries = bot.run(log_actions(bot.h))
        # At most the one real report this resident may make, with a known reason.
        assert len(entries) <= 1
        assert all(
            a == "report" and r in ("spam", "offensive", "personal", "off_topic")
            for a, _, r in entries
        )

    press()


async def test_the_demo_shows_a_reported_initiative(tmp_path: Path) -> None:
    from bot.sandbox.demo import DemoPeople, load_demo

    people = DemoPeople()
    admin_id = people.admin[0]
    async with running(tmp_path, admin_ids=frozenset({admin_id})) as h:
        town = await load_demo(h.app.db, h.clock, people)
        staff = h.user("Админ", user_id=admin_id)  # consented in the demo town
        [screen] = await staff.send("/moderation")
        assert screen.text.count("жалоба жителя") == 2
        state = await h.app.db.read.moderation.state(town.initiative_ids[0])
        assert state.pending_reports == {"off_topic": 1, "spam": 1} and not state.hidden
        record = await h.app.db.read.initiatives.get(town.initiative_ids[0])
        assert record is not None
        [card] = await staff.send(f"/initiative {record.year}-{record.seq}")
        assert (
            "⚑ Жалобы жителей, ещё не рассмотренные: Не относится к городу: 1, "
            "Спам или реклама: 1" in card.text
        )


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_the_yearly_report_names_no_hidden_initiative(tmp_path: Path, lang: str) -> None:
    """The report is a public document: its examples of done initiatives leave out one
    hidden by moderation (its title may be what was reported), as /initiatives does."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна"))
        shown = await public_initiative(h, anna, "Скамейки во дворе")
        hidden = await public_initiative(h, anna, "Звоните Ивану 8-913-000")
        for initiative_id in (shown, hidden):
            await h.app.services.initiatives.decide(ADMIN_ID, initiative_id, "done")
        await h.app.services.moderation.act(
            ADMIN_ID,
            ModerationDraft(initiative_id=hidden, action="hide", reason="Чужой телефон."),
        )
        _message, _docx, md = await maria.send(f"/report {h.clock.now().year}")
        assert md.file is not None
        text = md.file[1].decode()
        assert "Скамейки во дворе" in text
        assert "Ивану" not in text
