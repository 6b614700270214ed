"""The report as a DOCX a town hall can submit as it comes, and edit in Word or LibreOffice:
A4 portrait (a landscape page only for a table too wide for portrait), the town's font,
numbered pages, real text and real tables whose columns are as wide as their content needs
(never narrower than the longest word, so no word breaks), header rows repeated on every
page, figures right-aligned, charts as pictures with captions."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips
from docx.styles.style import ParagraphStyle

from bot.reporting import fonts
from bot.reporting.model import Bullets, Document, Figure, Heading, Paragraph, Table

DEFAULT_FONT = "Times New Roman"
PAGE = (Cm(21.0), Cm(29.7))  # A4
MARGINS = {"left": Cm(3.0), "right": Cm(1.5), "top": Cm(2.0), "bottom": Cm(2.0)}
BODY_PT = 14
TABLE_PT = (12, 11, 10, 9)  # a table too wide at 12 points tries landscape, then smaller
CELL_MARGIN = 72  # twips each side of a cell's text (set in each table: w:tblCellMar)
SLACK = 1.04  # measured widths plus 4 %: rounding and the renderers' own arithmetic
LANGUAGES = {"ru": "ru-RU", "en": "en-GB"}


def _twips(length: int) -> int:
    return int(length / 635)  # EMU -> twips


@dataclass(frozen=True, slots=True)
class Layout:
    landscape: bool
    size: int
    widths: list[int]  # twips per column


def column_widths(table: Table, face: fonts.Face, size: float, room: int) -> list[int] | None:
    """Column widths (twips) filling `room`, or None when even the words do not fit.

    Each column is at least its longest word (bold in the header and the total row), so no
    word breaks; then as wide as its longest line of content, so figures and names stay on
    one line where they can; what is left widens columns whose heading would wrap most, then
    all in proportion. When the content does not fit on single lines, the room beyond the
    words goes to the columns whose content wants it most."""
    bold_rows = {0} | ({len(table.rows)} if table.total else set())
    rows = [table.header, *table.rows]
    pad = 2 * CELL_MARGIN

    def twips(points: float) -> int:
        return int(points * SLACK * fonts.TWIPS_PER_POINT) + pad

    least, body, heading = [], [], []
    for j in range(len(table.header)):
        short = long = 0.0
        for i, row in enumerate(rows):
            path = face.bold if i in bold_rows else face.regular
            short = max(short, fonts.longest_word(row[j], size, path))
            if i:
                long = max(long, *(fonts.width(line, size, path) for line in row[j].split("\n")))
        least.append(twips(short))
        body.append(max(twips(long), twips(short)))
        heading.append(twips(fonts.width(table.header[j], size, face.bold)))
    if sum(least) > room:
        return None
    if sum(body) > room:
        spare = room - sum(least)
        want = [b - w for b, w in zip(body, least, strict=True)]
        widths = [w + spare * x // max(1, sum(want)) for w, x in zip(least, want, strict=True)]
    else:
        spare = room - sum(body)
        need = [max(0, h - b) for h, b in zip(heading, body, strict=True)]
        give = [min(n, spare * n // max(1, sum(need))) for n in need]
        widths = [b + g for b, g in zip(body, give, strict=True)]
        spare = room - sum(widths)
        widths = [w + spare * w // sum(widths) for w in widths]
    widths[-1] += room - sum(widths)  # rounding
    return widths


def layout(table: Table, face: fonts.Face) -> Layout:
    """Portrait, in type down to 10 points, if the table fits; else landscape (down to 9)."""
    portrait = _twips(PAGE[0] - MARGINS["left"] - MARGINS["right"])
    landscape = _twips(PAGE[1] - MARGINS["left"] - MARGINS["right"])
    plans = [(False, size) for size in TABLE_PT[:-1]] + [(True, size) for size in TABLE_PT]
    for wide, size in plans:
        widths = column_widths(table, face, size, landscape if wide else portrait)
        if widths is not None:
            return Layout(wide, size, widths)
    # A word longer than a landscape line (a web address): share the line evenly.
    share = landscape // len(table.header)
    return Layout(True, TABLE_PT[-1], [share] * len(table.header))


def docx(doc: Document, font: str = "", language: str = "ru") -> bytes:
    family = font or DEFAULT_FONT
    face = fonts.resolve(family)
    document = new_document()
    document.core_properties.title = doc.title
    document.core_properties.language = LANGUAGES.get(language, language)
    _styles(document, family, LANGUAGES.get(language, language))
    section = document.sections[0]
    _page(section, landscape=False)
    _page_numbers(section)
    wide = False
    for block in doc.blocks:
        if isinstance(block, Table):
            plan = layout(block, face)
            if plan.landscape != wide:
                wide = plan.landscape
                _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=wide)
            _table(document, block, plan)
            continue
        if wide:
            wide = False
            _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=False)
        if isinstance(block, Heading):
            document.add_paragraph(
                block.text, style="Report Title" if block.level == 0 else "Heading 1"
            )
        elif isinstance(block, Paragraph):
            style = {
                "subtitle": "Report Subtitle",
                "prepared": "Report Prepared",
                "note": "Report Note",
            }.get(block.kind, "Report Text")
            document.add_paragraph(block.text, style=style)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Figure):
            _figure(document, block)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(section: object, *, landscape: bool) -> None:
    from docx.section import Section

    assert isinstance(section, Section)
    width, height = PAGE
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.footer_distance = Cm(1.0)


def _page_numbers(section: object) -> None:
    """The page number, centred in the footer, as a PAGE field (Word and Writer fill it)."""
    from docx.section import Section

    assert isinstance(section, Section)
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.style = "Report Footer"
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind is not None:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text or ""


def _set_font(element: object, family: str, language: str | None = None) -> None:
    """The family for every script (Latin, Cyrillic, East Asian, complex), overriding the
    template's theme fonts, which would otherwise win."""
    get_rpr = getattr(element, "get_or_add_rPr")  # noqa: B009 - styles and runs alike
    rpr = get_rpr()
    fonts_ = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts_.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts_.set(qn(attribute), family)
    if language:
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), language)


def _style(document: DocxDocument, name: str, base: str = "Normal") -> ParagraphStyle:
    styles = document.styles
    if name in [s.name for s in styles]:
        style = styles[name]
    else:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
    assert isinstance(style, ParagraphStyle)
    return style


def _styles(document: DocxDocument, family: str, language: str) -> None:
    normal = _style(document, "Normal")
    _set_font(normal.element, family, language)
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    text = _style(document, "Report Text")
    text.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    text.paragraph_format.first_line_indent = Cm(1.25)
    text.paragraph_format.space_after = Pt(6)
    text.paragraph_format.line_spacing = 1.15
    title = _style(document, "Report Title")
    title.font.size, title.font.bold = Pt(16), True
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    title.paragraph_format.keep_with_next = True
    subtitle = _style(document, "Report Subtitle")
    subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.paragraph_format.space_after = Pt(6)
    subtitle.paragraph_format.keep_with_next = True
    prepared = _style(document, "Report Prepared")
    prepared.font.size, prepared.font.italic = Pt(12), True
    prepared.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    prepared.paragraph_format.space_after = Pt(12)
    note = _style(document, "Report Note")
    note.font.size, note.font.italic = Pt(12), True
    note.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    note.paragraph_format.space_after = Pt(12)
    heading = _style(document, "Heading 1")
    _set_font(heading.element, family)
    heading.font.size, heading.font.bold, heading.font.italic = Pt(BODY_PT), True, False
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_before = Pt(18)
    heading.paragraph_format.space_after = Pt(10)
    heading.paragraph_format.keep_with_next = True
    bullet = _style(document, "List Bullet")
    _set_font(bullet.element, family)
    bullet.font.size = Pt(BODY_PT)
    bullet.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    bullet.paragraph_format.line_spacing = 1.15
    caption = _style(document, "Report Caption")
    caption.font.size = Pt(12)
    caption.paragraph_format.space_before = Pt(10)
    caption.paragraph_format.space_after = Pt(4)
    caption.paragraph_format.keep_with_next = True
    figure = _style(document, "Report Figure Caption", "Report Caption")
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    figure.paragraph_format.space_before = Pt(2)
    figure.paragraph_format.space_after = Pt(12)
    figure.paragraph_format.keep_with_next = False
    cell = _style(document, "Report Table Text")
    cell.font.size = Pt(TABLE_PT[0])
    footer = _style(document, "Report Footer")
    footer.font.size = Pt(12)


def _table(document: DocxDocument, table: Table, plan: Layout) -> None:
    document.add_paragraph(table.caption, style="Report Caption")
    columns = len(table.header)
    grid = document.add_table(rows=1 + len(table.rows), cols=columns)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False  # w:tblLayout fixed: the widths below are kept as they are
    properties = grid._tbl.tblPr
    width = properties.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        properties.append(width)
    width.set(qn("w:w"), str(sum(plan.widths)))
    width.set(qn("w:type"), "dxa")
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN if side in ("left", "right") else 0))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)
    for column, twips in zip(grid._tbl.tblGrid.gridCol_lst, plan.widths, strict=True):
        column.w = Twips(twips)
    last = len(table.rows)
    for i, (row, texts) in enumerate(zip(grid.rows, [table.header, *table.rows], strict=True)):
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))  # a row stays on one page
        if i == 0:
            row_properties.append(OxmlElement("w:tblHeader"))  # repeated on every page
        bold = i == 0 or (table.total and i == last)
        for j, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            cell.width = Twips(plan.widths[j])
            if i == 0:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = "Report Table Text"
            if i == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif table.numeric[j]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(text)
            run.bold = bold
            if plan.size != TABLE_PT[0]:
                run.font.size = Pt(plan.size)
    document.add_paragraph("", style="Report Text").paragraph_format.space_after = Pt(0)


def _figure(document: DocxDocument, figure: Figure) -> None:
    portrait = PAGE[0] - MARGINS["left"] - MARGINS["right"]  # figures are on portrait pages
    width = min(Cm(figure.width_cm), portrait)
    document.add_picture(io.BytesIO(figure.png), width=width)
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.first_line_indent = Cm(0)
    picture.paragraph_format.keep_with_next = True
    picture.paragraph_format.space_before = Pt(6)
    document.add_paragraph(figure.caption, style="Report Figure Caption")
