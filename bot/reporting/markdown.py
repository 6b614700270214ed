"""The report as Markdown: the same text and tables as the DOCX (the charts stay there)."""

from __future__ import annotations

from bot.reporting.model import Bullets, Document, Figure, Heading, Paragraph, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: Document) -> str:
    parts: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            parts += ["#" * (block.level + 1) + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            mark = {"subtitle": "**", "prepared": "*", "note": "*"}.get(block.kind, "")
            parts += [f"{mark}{block.text}{mark}", ""]
        elif isinstance(block, Bullets):
            parts += [*(f"- {item}" for item in block.items), ""]
        elif isinstance(block, Table):
            parts += [f"**{block.caption}**", ""]
            parts.append("| " + " | ".join(map(_cell, block.header)) + " |")
            parts.append("|" + "".join("---:|" if n else "---|" for n in block.numeric))
            for i, row in enumerate(block.rows):
                bold = block.total and i == len(block.rows) - 1
                cells = [f"**{_cell(c)}**" if bold and c else _cell(c) for c in row]
                parts.append("| " + " | ".join(cells) + " |")
            parts.append("")
        elif isinstance(block, Figure):
            continue
    return "\n".join(parts)
