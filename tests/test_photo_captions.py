"""Issue 13: what a resident types under a photo of their initiative is kept: as the
description when the photo comes at the description step, else with the photo; the staff
card, the author's preview and the public card show it."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import ADMIN_ID
from tests.kit import Harness


@dataclass(frozen=True)
class Lang:
    code: str
    direction: str
    added: str  # with {n}
    done: str
    skip: str
    anonymous: str
    send: str
    caption_line: str  # with {n} and {caption}
    too_long: str
    kept_ask_text: str


RU = Lang(
    code="ru",
    direction="Благоустройство и озеленение",
    added="Фото добавлено ({n} из 5).",
    done="Готово",
    skip="Пропустить",
    anonymous="Нет, без имени",
    send="✅ Отправить",
    caption_line="— фото {n}: {caption}",
    too_long="Подпись под фото — до 200 символов, а в вашей — 201.",
    kept_ask_text="Фото сохранено. Теперь опишите идею текстом",
)
EN = Lang(
    code="en",
    direction="Improvement and greening",
    added="Photo added ({n} of 5).",
    done="Done",
    skip="Skip",
    anonymous="No, stay anonymous",
    send="✅ Send",
    caption_line="— photo {n}: {caption}",
    too_long="A caption under a photo can be up to 200 characters; yours has 201.",
    kept_ask_text="The photo is kept. Now describe the idea in text",
)


async def test_a_caption_under_a_photo_reaches_the_staff_card(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    for number, lang in enumerate((RU, EN), start=1):
        anna = await harness.consented(harness.user("Анна", language_code=lang.code))
        await anna.send("/initiative")
        await anna.press(lang.direction)
        await anna.send("Скамейки во дворе")
        await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
        [too_long] = await anna.send_photo(caption="x" * 201, file_id="p-long")
        assert too_long.text.startswith(lang.too_long)
        [added] = await anna.send_photo(caption="Сломанная скамейка & <урна>", file_id="p1")
        assert added.text.startswith(lang.added.format(n=1))  # the long one was not added
        [added] = await anna.send_photo(file_id="p2")
        assert added.text.startswith(lang.added.format(n=2))
        await anna.press(lang.done)
        await anna.press(lang.skip)
        [preview] = await anna.press(lang.anonymous)
        line = lang.caption_line.format(n=1, caption="Сломанная скамейка &amp; &lt;урна&gt;")
        assert line in preview.text
        assert lang.caption_line.format(n=2, caption="") not in preview.text
        await anna.press(lang.send)
        await harness.deliver()
        card = next(s for s in reversed(maria.inbox) if f"-2026-000{number}" in s.text)
        assert RU.caption_line.format(n=1, caption="Сломанная скамейка &amp; &lt;урна&gt;") in (
            card.text
        )
        photos = await harness.app.services.initiatives.captioned_photos(number)
        assert [(p.file_id, p.caption) for p in photos] == [
            ("p1", "Сломанная скамейка & <урна>"),
            ("p2", None),
        ]


async def test_a_photo_at_the_description_step_keeps_its_caption_as_the_description(
    harness: Harness,
) -> None:
    for number, lang in enumerate((RU, EN), start=1):
        anna = await harness.consented(harness.user("Анна", language_code=lang.code))
        await anna.send("/initiative")
        await anna.press(lang.direction)
        await anna.send("Скамейки во дворе")
        # A photo without a caption is kept, and the description is asked for again.
        [ask] = await anna.send_photo(file_id="early")
        assert ask.text.startswith(lang.kept_ask_text)
        text = "Поставить три скамейки у детской площадки на Советской, 12."
        [added] = await anna.send_photo(caption=text, file_id="with-text")
        assert added.text.startswith(lang.added.format(n=2))
        await anna.press(lang.done)
        await anna.press(lang.skip)
        [preview] = await anna.press(lang.anonymous)
        assert text in preview.text
        await anna.press(lang.send)
        record = await harness.app.db.read.initiatives.get(number)
        assert record is not None and record.description == text
        assert await harness.app.services.initiatives.photos(number) == ["early", "with-text"]
