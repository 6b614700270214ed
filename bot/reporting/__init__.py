"""The yearly (or any period's) report and the digest chart as documents: the text once
(text), set as DOCX (docx) and Markdown (markdown), with charts (charts); exports (exports).

Texts come from the catalogs through aiogram's gettext, so call these inside a locale
context (a handler has one; the command line opens one with `i18n.use_locale`).
"""

from __future__ import annotations

from bot.reporting.charts import weekly as weekly_chart
from bot.reporting.docx import docx
from bot.reporting.exports import export_rows
from bot.reporting.markdown import markdown
from bot.reporting.model import Document
from bot.reporting.text import document

__all__ = ["Document", "document", "docx", "export_rows", "markdown", "weekly_chart"]
