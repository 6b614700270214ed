"""Issue 13: the Russian a native speaker writes. Names in «…» quote their own quotes as „…“,
counts agree with their nouns through the catalogs' plural forms, a request is «его», staff
get a welcome and help of their own; and no template that quotes a name bypasses `fill`."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import create_i18n, fill, in_quotes
from bot.services.when import HOURS, time_left
from tests.conftest import ADMIN_ID
from tests.kit import Harness, running

ROOT = Path(__file__).resolve().parent.parent
IN_QUOTES = re.compile(r"«\{(\w+)\}»")


def test_a_name_inside_quotes_quotes_its_own_quotes() -> None:
    assert fill("Вы вступили в «{name}».", name="ТОС «Берёзка»") == "Вы вступили в «ТОС „Берёзка“»."
    assert fill("Вы вступили в «{name}».", name="«Берёзка»") == "Вы вступили в «Берёзка»."
    assert fill("You joined «{name}».", name='TOS "Birch"') == "You joined «TOS „Birch“»."
    assert in_quotes("«A» и «B»") == "„A“ и „B“"
    # Outside «…» a name stays as it is.
    assert fill("{name}: 3", name="ТОС «Берёзка»") == "ТОС «Берёзка»: 3"


def test_no_template_with_a_quoted_name_bypasses_fill() -> None:
    """Every msgid whose text (in any language) puts a value inside «…» is rendered with
    fill, never with a bare `.format` (which would give «ТОС «Берёзка»»)."""
    quoting = set()
    for locale in ("ru", "en"):
        with (ROOT / f"locales/{locale}/LC_MESSAGES/messages.po").open("rb") as fh:
            for m in read_po(fh, locale=locale):
                texts = m.string if isinstance(m.string, tuple) else (m.string,)
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                if any(IN_QUOTES.search(t or "") for t in (*texts, *ids)):
                    quoting.add(ids[0])
    bare = re.compile(r'_\(\s*((?:"(?:[^"\\\n]|\\.)*"\s*)+)\)\s*\.format\(')
    offenders = []
    for path in [*ROOT.glob("handlers/*.py"), *ROOT.glob("bot/**/*.py")]:
        for match in bare.finditer(path.read_text("utf-8")):
            if ast.literal_eval("(" + match.group(1) + ")") in quoting:
                offenders.append(f"{path.name}: {match.group(1)[:60]}")
    assert offenders == []


@pytest.mark.parametrize(
    ("count", "ru", "en"),
    [
        (1, "1 день", "1 day"),
        (2, "2 дня", "2 days"),
        (5, "5 дней", "5 days"),
        (11, "11 дней", "11 days"),
        (21, "21 день", "21 days"),
        (14, "14 дней", "14 days"),
    ],
)
def test_days_left_agree_with_their_count(count: int, ru: str, en: str) -> None:
    from bot.i18n import render_args

    i18n = create_i18n("ru")
    for locale, expected in (("ru", ru), ("en", en)):
        args = render_args(
            {"left": time_left(timedelta(days=count))},
            lambda msgid, loc=locale: i18n.gettext(msgid, locale=loc),  # type: ignore[misc]
            locale=locale,
            plural=lambda s, p, n, loc=locale: i18n.gettext(s, p, n, locale=loc),  # type: ignore[misc]
        )
        assert args["left"] == expected
    hours = i18n.gettext(HOURS[0], HOURS[1], 3, locale="ru").format(count=3)
    assert hours == "3 часа"


async def test_residents_covered_agree_with_their_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ADMIN_ID + 1})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=ADMIN_ID + 1, language_code="en"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            await uow.registry.add_tos({"name": "ТОС «Берёзка»", "residents": 4000}, "t1", now)
            await uow.registry.add_tos({"name": "ТОС «Южный»", "residents": 761}, "t2", now)
        [card] = await maria.send("/registry")
        assert "2 ТОС охватывают 4\u00a0761 жителя" in card.text
        [card] = await john.send("/registry")
        assert "2 TOS cover 4,761 residents" in card.text
        async with h.app.db.transaction() as uow:
            await uow.registry.add_tos({"name": "ТОС «Северный»", "residents": 4}, "t3", now)
        [card] = await maria.send("/registry")
        assert "3 ТОС охватывают 4\u00a0765 жителей" in card.text


async def test_a_quoted_name_in_a_dialogue(harness: Harness) -> None:
    now = harness.clock.now()
    async with harness.app.db.transaction() as uow:
        tos = await uow.registry.add_tos({"name": "ТОС «Берёзка»"}, "t", now)
    for lang, expected in (
        ("ru", "Вы вступили в «ТОС „Берёзка“»."),
        ("en", "You have joined «ТОС „Берёзка“»."),
    ):
        from handlers.tos import TosAction, TosButton

        anna = await harness.consented(harness.user("Анна", language_code=lang))
        await anna.press("x", data=TosButton(action=TosAction.JOIN, id=tos).pack())
        assert anna.last_answer["text"] == expected


async def test_the_town_halls_answer_says_how_to_write_back(harness: Harness) -> None:
    from bot.services.requests import RequestDraft

    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    for number, (lang, expected) in enumerate(
        (
            ("ru", "Чтобы написать в ответ, ответьте на это сообщение (функция «Ответить»)."),
            ("en", "To write back, reply to this message."),
        ),
        start=1,
    ):
        anna = await harness.consented(harness.user("Анна", language_code=lang))
        draft = RequestDraft(kind="consultation", description="Нужна консультация по уставу.")
        await harness.app.services.requests.submit(anna.id, draft)
        await harness.app.services.requests.answer(ADMIN_ID, number, "Образец во вложении.", None)
        await harness.deliver()
        assert expected in anna.last.text
        assert "Чтобы ответить, ответьте" not in anna.last.text


async def test_a_request_preview_says_his_not_her(harness: Harness) -> None:
    for lang, expected in (
        ("ru", "Так ваше обращение увидят специалисты администрации:"),
        ("en", "This is how the town hall will see your request:"),
    ):
        anna = await harness.consented(harness.user("Анна", language_code=lang))
        await anna.send("/request")
        await anna.press(next(iter(anna.last.callback_data)))  # a consultation
        await anna.send("Нужна консультация по уставу ТОС, как его зарегистрировать.")
        await anna.send("Пропустить" if lang == "ru" else "Skip")
        [preview] = await anna.press("Пропустить" if lang == "ru" else "Skip")
        assert preview.text.startswith(expected)
        assert "Так её увидят" not in preview.text


async def test_staff_have_a_welcome_and_help_of_their_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ADMIN_ID + 1})) as h:
        for lang, uid, word in (("ru", ADMIN_ID, "специалист"), ("en", ADMIN_ID + 1, "staff")):
            staff = await h.consented(h.user("Мария", user_id=uid, language_code=lang))
            resident = await h.consented(h.user("Анна", language_code=lang))
            [hello] = await staff.send("/start")
            [resident_hello] = await resident.send("/start")
            assert word in hello.text and hello.text != resident_hello.text
            [staff_help] = await staff.send("/help")
            [resident_help] = await resident.send("/help")
            for command in ("/inbox", "/registry", "/digest", "/report", "/export", "/outbox"):
                assert command in hello.text and command in staff_help.text
                assert command not in resident_help.text
                assert command not in resident_hello.text
            assert "/staff" in staff_help.text  # an admin
            assert staff_help.text.index("/inbox") < staff_help.text.index("/initiative ")


async def test_a_chair_reads_who_they_are_once(harness: Harness) -> None:
    now = harness.clock.now()
    for lang, expected in (
        ("ru", "Вы — председатель этого ТОС. Участников в боте: 0."),
        ("en", "You are the chair of this TOS. Members in the bot: 0."),
    ):
        chair = await harness.consented(harness.user("Иван", language_code=lang))
        async with harness.app.db.transaction() as uow:
            tos = await uow.registry.add_tos({"name": f"ТОС «Берёзка-{lang}»"}, lang, now)
            await uow.registry.grant(chair.id, "tos", tos, "chair", ADMIN_ID, now)
        [card] = await chair.send("/tos")
        assert expected in card.text
        assert "ТОС этого ТОС" not in card.text
