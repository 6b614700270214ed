"""The yearly report a town hall can submit as it comes (issue 14): the seed's document,
written by the bot from a fictional town with the seed's figures, in correct Russian (and the
same in English), as a DOCX fit to submit and a Markdown file that says the same."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document as read_docx
from hypothesis import given
from hypothesis import strategies as st
from PIL import ImageFont

from bot import reporting
from bot.i18n import create_i18n
from bot.reporting import charts, fonts
from bot.services.periods import Period
from bot.services.report_figures import Figures, PeriodReport
from tests import report_town
from tests.conftest import ADMIN_ID
from tests.kit import Harness, running

NN = "\u202f"  # thousands: «4 040»
NB = "\u00a0"  # before %: «7,2 %»
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A4 = {(11906, 16838), (16838, 11906)}  # twips, portrait and landscape
MARGIN = 72  # twips each side of a cell's text, as the DOCX sets it


async def report_of(h: Harness, lang: str, args: str = "2026") -> tuple[str, bytes, str]:
    """/report as a staff member in `lang` sees it: the message, the DOCX, the Markdown."""
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
    message, docx, md = await maria.send(f"/report {args}")
    assert docx.file and md.file
    return message.text, docx.file[1], md.file[1].decode()


def town(tmp_path: Path) -> Any:
    return running(
        tmp_path,
        admin_ids=frozenset({ADMIN_ID}),
        municipality_population=report_town.POPULATION,
        municipality_name=report_town.TOWN,
    )


def flat(markdown: str) -> str:
    """The Markdown's text without its emphasis marks, no-break spaces as plain ones (the
    document binds a dash, a «%» and «году» to what precedes them)."""
    return markdown.replace("**", "").replace("*", "").replace(NB, " ")


async def test_the_seed_s_facts_in_the_seed_s_words(tmp_path: Path) -> None:
    async with town(tmp_path) as h:
        built = await report_town.build(h)
        message, docx, md = await report_of(h, "ru")
    text = flat(md)
    # The seed's structure: the town's name, the three questions.
    assert md.startswith("# ГОРОД ИСКИТИМ\n")
    assert (
        "## Что наиболее значительное удалось сделать в области взаимодействия с "
        "общественностью в 2026 году\n" in text
    )
    assert "## Какие наиболее трудные проблемы не удалось решить в прошедшем году?\n" in text
    assert "## Какие задачи стоят в 2027 году\n" in text
    assert "Подготовлено 27.11.2026 по данным чат-бота администрации." in text
    # Russian typography: a dash, a percent sign and «году» never start a line.
    assert f"(в 2025{NB}году{NB}— 30)" in md and f"7,2{NB}%" in md
    # Organisations and the help they get, by type.
    assert "В городе действуют 34 общественные организации (в 2025 году — 30)." in text
    assert (
        "Общественные организации, ТОС и жители обращаются в администрацию за поддержкой: в 2026 "
        "году поступило 9 обращений (в 2025 году — 3), в том числе: методические консультации — "
        "4, помощь в организации мероприятий — 3, транспортное обеспечение — 2." in text
    )
    # TOS, their coverage (population from the settings, and said so), the growth backed.
    assert (
        f"в городе зарегистрировано 18 ТОС (в 2025 году — 15). На их территории проживают "
        f"4{NN}040 жителей, 7,2 % населения города (в 2025 году — 6,1 %)." in text
    )
    assert (
        f"Численность населения — 56{NN}111 человек — указана в настройках бота "
        "(MUNICIPALITY_POPULATION)." in text
    )
    assert (
        "Направление развивается: за год число ТОС выросло на 3, с 15 до 18, доля охваченного "
        "ими населения — с 6,1 % до 7,2 %." in text
    )
    # The April competition, every TOS in it; the regional one; what the winners are about.
    assert (
        "Все 18 ТОС приняли участие в конкурсе социально значимых проектов ТОС, объявленном в "
        f"апреле 2026 года. Победителями стали 5 проектов, на их реализацию выделено 500{NN}000 "
        "рублей." in text
    )
    assert (
        "В конкурс «Со мной регион успешнее!», объявленный в мае 2026 года, поданы 2 заявки от "
        f"инициативных групп. Победителем стал 1 проект, на его реализацию выделено 300{NN}000 "
        "рублей." in text
    )
    assert "Проекты-победители направлены на:" in text
    assert (
        "- благоустройство, озеленение и эстетическое оформление территории — 3 проекта "
        "(«Детская площадка», «Тренажёры во дворе», «Скамейки и урны»);" in text
    )
    assert "- сохранение памятников и исторической памяти — 1 проект («Ремонт памятника " in text
    # Joint events, initiatives by direction and outcome with what was done, answers.
    assert (
        "В 2026 году проведено 3 мероприятия (в 2025 году — 2), из них 2 — совместно с "
        "администрацией города (в 2025 году — 1); по отметкам организаторов, в них приняли "
        "участие 135 человек (в 2025 году — 100); через бота на них записались 2 человека. "
        "Ещё 1 мероприятие отменено." in text
    )
    # Each event with its attendance as marked; the cancelled one as such.
    assert "Таблица 2 — Мероприятия и посещаемость" in text
    assert "| Субботник 1 | 10.07.2026 | да | 2 | 60 |" in text
    assert "| Субботник 3 | 12.07.2026 | нет | 0 | 30 |" in text
    assert "| Концерт во дворе | 15.08.2026 | нет | 0 | отменено |" in text
    assert "Новогодний праздник двора |" not in text  # not held yet: it is ahead
    assert (
        "В 2026 году жители подали через бота 7 гражданских инициатив (в 2025 году — 4): "
        "благоустройство и озеленение — 3, здоровый образ жизни и спорт — 2, праздники и акции — "
        "1, памятники и память — 1. Реализованы 2 инициативы (в 2025 году — 0), в работе — 1, "
        "принято, но ещё не начато — 2, отклонено — 1, ещё не рассмотрено — 1." in text
    )
    assert "Среди реализованных — «Скамейки у подъездов», «Детская площадка во дворе»." in text
    assert (
        "В установленный срок дан ответ на 6 из 6 обращений, получивших ответ (100 %); "
        "медианное время до первого ответа — 2 дня (в 2025 году — 2 дня)." in text
    )
    # Engagement: unique people who took part, supporters, TOS members.
    people = len(built.people)
    assert people == 12
    assert (
        f"во взаимодействии с администрацией участвовали {people} жителей (в 2025 году — 7). "
        "Инициативы поддержали 4 человека (в 2025 году — 0). На 27.11.2026 в ТОС через бота "
        "состоят 6 жителей (в 2025 году — 3)." in text
    )
    # What stayed unresolved, and what is ahead.
    assert (
        "Не закрыто 4 обращения, поступивших в 2026 году; из них 2 остаются без ответа сверх "
        "установленного срока. Отклонено 1 обращение. Повторно, уже после ответа, открывалось 1 "
        "обращение: заявителю потребовалась дополнительная помощь. Отклонена 1 гражданская "
        "инициатива. Без движения более 60 дней остаются 3 принятые инициативы." in text
    )
    assert (
        "Продолжается приём заявок на конкурс социально значимых проектов ТОС 2027 — до "
        "31.01.2027. Предстоит завершить реализацию 3 принятых инициатив (в работе — 1, ещё не "
        "начато — 2). В первую очередь нужно ответить на 2 просроченных обращения. По 2 "
        "обращениям ответ дан, их остаётся закрыть. Запланировано 1 мероприятие: «Новогодний "
        "праздник двора» (27.12.2026)." in text
    )
    # The chat message: the key figures with last year's.
    assert message.startswith(
        "<b>город Искитим: Отчёт о взаимодействии с общественностью за 2026 год</b>"
    )
    message = message.replace(NB, " ")
    assert "• Зарегистрировано ТОС: 18 (в 2025 году — 15)" in message
    assert "• Доля населения в ТОС, %: 7,2 (в 2025 году — 6,1)" in message
    assert docx[:2] == b"PK"


async def test_the_same_facts_in_english(tmp_path: Path) -> None:
    async with town(tmp_path) as h:
        await report_town.build(h)
        _message, _docx, md = await report_of(h, "en")
    text = flat(md)
    assert "## What was most significant in public engagement in 2026\n" in md
    assert "## What were the hardest problems that could not be solved in the past year?" in md
    assert "In the town, 34 public organisations are active (in 2025: 30)." in text
    assert (
        "18 TOS are registered in the town (in 2025: 15). 4,040 residents live on their "
        "territories, 7.2% of the town's population (in 2025: 6.1%)." in text
    )
    assert "The population, 56,111 people, is taken from the bot's settings" in text
    assert (
        "All 18 TOS took part in the competition “Конкурс социально значимых проектов ТОС” "
        "announced in April 2026." in text  # only the Russian word «конкурс» is dropped
    )
    assert "5 projects won; 500,000 roubles was awarded for them." in text
    assert (
        "methodological consultations — 4, help organising events — 3, transport provision "
        "— 2." in text
    )
    assert "In 2026, 3 events were held (in 2025: 2), 2 of them jointly with the town hall" in text
    assert "1 more event was cancelled." in text
    assert "| Концерт во дворе | 15.08.2026 | no | 0 | cancelled |" in text
    assert "4 requests received in 2026 are not closed yet; 2 of them have been waiting" in text
    assert "1 event is planned: “Новогодний праздник двора” (27.12.2026)." in text


def _longest_word_twips(text: str, path: str, size: float) -> float:
    """Independently of the builder: PIL's advance widths of the font file."""
    font = ImageFont.truetype(path, 200)
    longest = max((font.getlength(w) for w in fonts.words(text)), default=0.0)
    return longest * size / 200 * 20


async def test_the_docx_is_fit_to_submit(tmp_path: Path) -> None:
    async with town(tmp_path) as h:
        await report_town.build(h)
        _message, docx, _md = await report_of(h, "ru")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode()
        styles = archive.read("word/styles.xml").decode()
        footers = [archive.read(n).decode() for n in archive.namelist() if "footer" in n]
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    document = read_docx(io.BytesIO(docx))
    # A4, portrait first; a landscape page only where a table needs it.
    sizes = [(int(s.page_width.twips), int(s.page_height.twips)) for s in document.sections]
    assert sizes[0] == (11906, 16838) and set(sizes) <= A4
    # Times New Roman for every script, numbered pages, two charts.
    assert 'w:ascii="Times New Roman"' in styles and 'w:hAnsi="Times New Roman"' in styles
    assert any("PAGE" in f and "fldChar" in f for f in footers)
    assert len(media) == 2
    # Thousands apart by a narrow no-break space; real tables, not pictures of them.
    assert f">4{NN}040<" in body
    face = fonts.resolve("Times New Roman")
    tables = document.tables
    assert len(tables) == 7
    for table in tables:
        xml = table._tbl
        assert xml.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        rows = xml.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None  # repeated on every page
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
        grid = [int(c.get(f"{W}w")) for c in xml.findall(f"{W}tblGrid/{W}gridCol")]
        assert sum(grid) == int(xml.find(f"{W}tblPr/{W}tblW").get(f"{W}w"))
        for i, row in enumerate(table.rows):
            bold = i == 0 or (i == len(table.rows) - 1 and row.cells[0].text in ("Всего",))
            for j, cell in enumerate(row.cells):
                runs = cell.paragraphs[0].runs
                size = runs[0].font.size.pt if runs and runs[0].font.size else 12
                path = face.bold if bold else face.regular
                need = _longest_word_twips(cell.text, path, size) + 2 * MARGIN
                assert grid[j] >= need, (cell.text, grid[j], need)
        # Figures right-aligned: every body cell of a figure column.
        for row in table.rows[1:]:
            for cell in row.cells[1:]:
                if re.fullmatch(r"[+\u2212]?[\d\u202f,]+|—", cell.text):
                    assert cell.paragraphs[0].alignment == 2  # WD_ALIGN_PARAGRAPH.RIGHT


async def test_the_markdown_says_what_the_docx_says(tmp_path: Path) -> None:
    async with town(tmp_path) as h:
        await report_town.build(h)
        _message, docx, md = await report_of(h, "ru")
    document = read_docx(io.BytesIO(docx))
    text = md.replace("**", "").replace("*", "")  # every character as it is, but emphasis
    paragraphs = [
        p.text
        for p in document.paragraphs
        if p.text.strip() and p.style.name != "Report Figure Caption"  # the charts stay there
    ]
    assert len(paragraphs) > 20
    for paragraph in paragraphs:
        assert paragraph in text, paragraph
    md_rows = [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ]
    docx_rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert [[c.strip() for c in row] for row in docx_rows] == md_rows


def _table(md: str, caption: str) -> dict[str, dict[str, str]]:
    """A Markdown table as {first cell: {heading: cell}}."""
    block = flat(md).split(caption, 1)[1].strip().split("\n\n", 1)[0].splitlines()
    header = [c.strip() for c in block[0].strip("|").split("|")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in block[2:]]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


async def test_the_text_never_disagrees_with_its_tables(tmp_path: Path) -> None:
    async with town(tmp_path) as h:
        await report_town.build(h)
        _message, _docx, md = await report_of(h, "ru")
    text = flat(md)
    kinds = _table(md, "Обращения за поддержкой по видам")["Всего"]
    unresolved = _table(md, "Что осталось нерешённым")
    key = _table(md, "Основные показатели")
    initiatives = _table(md, "Гражданские инициативы по направлениям и итогам")["Всего"]
    not_closed = int(re.search(r"Не закрыто (\d+) обращ", text).group(1))  # type: ignore[union-attr]
    overdue = int(re.search(r"из них (\d+) остают", text).group(1))  # type: ignore[union-attr]
    assert not_closed == int(kinds["Не закрыто"]) == int(unresolved["Не закрыто обращений"]["2026"])
    assert (
        overdue == int(kinds["Из них просрочено"]) == int(unresolved["Из них просрочено"]["2026"])
    )
    received = int(re.search(r"году поступило (\d+) обращ", text).group(1))  # type: ignore[union-attr]
    assert (
        received == int(kinds["Поступило"]) == int(key["Поступило обращений за поддержкой"]["2026"])
    )
    assert received == int(kinds["Не закрыто"]) + int(kinds["Отклонено"]) + int(kinds["Закрыто"])
    submitted = int(re.search(r"подали через бота (\d+) гражд", text).group(1))  # type: ignore[union-attr]
    assert (
        submitted == int(initiatives["Подано"]) == int(key["Подано гражданских инициатив"]["2026"])
    )
    months = _table(md, "Обращения за поддержкой по месяцам")
    assert sum(int(r["Всего"]) for m, r in months.items() if m != "Всего") == received
    assert "Доля населения —" not in text


# -- the words: agreement and case, for any figure -------------------------------------------


@contextmanager
def russian() -> Iterator[None]:
    i18n = create_i18n("ru")
    with i18n.context(), i18n.use_locale("ru"):
        yield


def figures_with(count: int, population: int | None = 56_111) -> PeriodReport:
    period = Period.years(2026)
    now = Figures(
        period,
        True,
        population,
        tos=count,
        tos_residents=count,
        organisations={"ngo": count},
        events_held=count,
        initiatives={"improvement": {"done": count}},
    )
    return PeriodReport(
        period,
        "город Искитим",
        datetime(2027, 1, 15, 3, tzinfo=UTC),
        now,
        None,
        timezone=UTC,
    )


def russian_form(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@given(st.integers(min_value=1, max_value=2_000_000))
def test_every_figure_agrees_with_its_noun(count: int) -> None:
    with russian():
        doc = reporting.document(figures_with(count), draw=False)
        text = reporting.markdown(doc)
        written = reporting.words.num(count)
    organisations = russian_form(
        count,
        "действует {} общественная организация",
        "действуют {} общественные организации",
        "действуют {} общественных организаций",
    )
    residents = russian_form(
        count, "проживает {} житель,", "проживают {} жителя,", "проживают {} жителей,"
    )
    events = russian_form(
        count, "проведено {} мероприятие", "проведено {} мероприятия", "проведено {} мероприятий"
    )
    initiatives = russian_form(
        count, "Реализована {} инициатива", "Реализованы {} инициативы", "Реализовано {} инициатив"
    )
    for phrase in (organisations, residents, events, initiatives):
        assert phrase.format(written) in text, phrase.format(written)
    assert "На конец 2026 года в городе зарегистрировано" in text


def test_a_population_not_set_is_said_so_not_dashed() -> None:
    with russian():
        text = reporting.markdown(reporting.document(figures_with(18, None), draw=False))
    assert "численность населения города не указана в настройках бота" in text
    assert "Доля населения" not in text and "—" not in text.split("Таблица")[-1].split("\n")[3]


# -- charts -------------------------------------------------------------------------------------


def test_charts_count_in_whole_numbers_and_show_no_empty_category() -> None:
    figures = Figures(Period.years(2026), True, None, 0, 0)
    figures.initiatives = {"improvement": {"done": 1, "pending": 2}, "sport": {"rejected": 1}}
    months = [
        (m, {"consultation": 1} if m.first.month == 3 else {}) for m in Period.years(2026).months()
    ]
    with russian():
        bars = charts.initiatives_figure(figures)
        by_month = charts.requests_figure(months, ["consultation"], False)
    assert bars is not None and by_month is not None
    for figure, axis in ((bars, "x"), (by_month, "y")):
        figure.draw_without_rendering()
        axes = figure.axes[0]
        ticks = axes.get_xticks() if axis == "x" else axes.get_yticks()
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    labels = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert labels == ["Благоустройство и озеленение", "Здоровый образ жизни и спорт"]
    legend = [t.get_text() for t in bars.axes[0].get_legend().get_texts()]
    assert legend == ["Реализовано", "Отклонено", "Не рассмотрено"]
    legend = [t.get_text() for t in by_month.axes[0].get_legend().get_texts()]
    assert legend == ["Методическая консультация"]
    assert len(by_month.axes[0].get_xticklabels()) == 12  # a time axis keeps its months


# -- rendered -----------------------------------------------------------------------------------

OFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_it_as_a4_with_no_word_broken(tmp_path: Path) -> None:
    async def make() -> bytes:
        async with town(tmp_path) as h:
            await report_town.build(h)
            return (await report_of(h, "ru", "2025-2026"))[1]

    docx = asyncio.run(make())
    source = tmp_path / "report.docx"
    source.write_bytes(docx)
    assert OFFICE is not None
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            OFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = (tmp_path / "report.pdf").read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    for width, height in boxes:
        assert {round(float(width)), round(float(height))} == {595, 842}  # A4 in points
    if shutil.which("pdftotext") is None:
        return
    rendered = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True
    ).stdout.decode()
    document = read_docx(io.BytesIO(docx))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    everything = "\n".join([p.text for p in document.paragraphs] + cells)
    for word in {w for cell in cells for w in re.findall(r"[А-Яа-яЁё]{6,}", cell)}:
        # A word broken across lines in a cell would be missing from the rendered text.
        assert len(re.findall(word, rendered)) >= len(re.findall(word, everything)), word


async def test_answers_on_time_and_the_median_as_the_status_groups_define_them(
    tmp_path: Path,
) -> None:
    """On time: the first answer by the due date (after it: late, like an overdue request).
    The median: the middle answer time, or the mean of the two middle ones."""
    from datetime import timedelta

    from bot.services.requests import RequestDraft

    async with town(tmp_path) as h:
        h.clock.set(datetime(2026, 3, 2, 3, tzinfo=UTC))
        anna = await h.consented(h.user("Анна"))
        ids = []
        for _ in range(5):
            draft = RequestDraft(kind="consultation", description="Нужна консультация по уставу.")
            ids.append((await h.app.services.requests.submit(anna.id, draft)).request.id)
        start = h.clock.now()
        for request_id, after in zip(ids, (1, 2, 4, 40), strict=False):  # the last one late
            h.clock.set(start + timedelta(days=after))
            await h.app.services.requests.answer(ADMIN_ID, request_id, "Ответ администрации.", None)
        _message, _docx, md = await report_of(h, "ru")
        text = flat(md)
        assert (
            "В установленный срок дан ответ на 3 из 4 обращений, получивших ответ (75 %); "
            "медианное время до первого ответа — 3 дня." in text
        )
        by_type = _table(md, "Обращения за поддержкой по видам")["Методическая консультация"]
        assert by_type["Ответ дан в срок"] == "3"
        assert by_type["Медиана, дней до первого ответа"] == "3"
        h.clock.set(start + timedelta(days=40, hours=1))
        await h.app.services.requests.answer(ADMIN_ID, ids[4], "Ответ администрации.", None)
        report = await h.app.services.reports.report(None, Period.years(2026))
    assert report.current.answer_days == {"": 4.0, "consultation": 4.0}  # 1, 2, 4, 40, 40
    assert report.current.on_time == {"consultation": 3}
