"""Translations: gettext catalogs compiled in memory from locales/*/LC_MESSAGES/*.po at start."""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from aiogram.utils.text_decorations import html_decoration
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(str(resources.files("locales")))
DOMAIN = "messages"


class CatalogI18n(I18n):
    """aiogram's I18n that reads the .po sources, so no compiled file is ever committed."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for folder in sorted(self.path.iterdir()):
            po_path = folder / "LC_MESSAGES" / f"{self.domain}.po"
            if not po_path.is_file():
                continue
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=folder.name, domain=self.domain)
            compiled = io.BytesIO()
            write_mo(compiled, catalog, use_fuzzy=False)
            compiled.seek(0)
            translations[folder.name] = gettext.GNUTranslations(compiled)
        return translations

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's context mixin keeps one slot per subclass, while gettext() looks in
        # I18n's own slot: register there so `_()` finds us.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)


def create_i18n(default_locale: str, path: Path = LOCALES_DIR) -> CatalogI18n:
    return CatalogI18n(path=path, default_locale=default_locale, domain=DOMAIN)


_IN_QUOTES = re.compile(r"«\{(\w+)\}»")
_STRAIGHT_PAIR = re.compile(r'"([^"<>]*)"')


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"«": 1, "»": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def in_quotes(name: str) -> str:
    """A name (a TOS, an organisation, a title) as it reads inside «…»: its own quotes
    become „…“ (Russian typography: «TOS „Birch“» inside the text's «…»), and a name quoted
    whole loses its pair, the text's quotes take its place («Birch», not ««Birch»»)."""
    if len(name) >= 2 and name[0] == "«" and name[-1] == "»" and _balanced(name[1:-1]):
        name = name[1:-1]
    name = _STRAIGHT_PAIR.sub("„\\1“", name)
    return name.replace("«", "„").replace("»", "“")


def fill(template: str, /, **values: Any) -> str:
    """`template.format(**values)`, each value that the (translated) template puts inside
    «…» rendered by `in_quotes`: the one place names meet the texts' quotes."""
    inside = set(_IN_QUOTES.findall(template))
    return template.format(
        **{
            key: in_quotes(value) if key in inside and isinstance(value, str) else value
            for key, value in values.items()
        }
    )


Plural = Callable[[str, str, int], str]  # (singular, plural, count) -> the translated form


def render_args(
    args: dict[str, Any],
    translate: Callable[[str], str],
    *,
    html: bool = True,
    locale: str | None = None,
    plural: Plural | None = None,
) -> dict[str, str]:
    """Template arguments as text: plain values escaped for HTML; a value {"t": msgid, ...}
    is a label to translate first (its other keys fill the label's own placeholders), and
    {"t": singular, "p": plural, "count": n} one with plural forms (NP_; `plural` is
    ngettext) in the form its count needs; a value {"n": number} is written as the reader's
    language writes numbers («200 000»); a list is its items so rendered, one a line (the
    winners of a competition). `locale` and `plural` default to the current ones of a
    handler's context."""

    def forms(singular: str, many: str, count: int) -> str:
        if plural is not None:
            return plural(singular, many, count)
        current = I18n.get_current(no_error=True)
        if current is None:  # no catalog at hand: the English forms
            return translate(singular if count == 1 else many)
        return current.gettext(singular, many, count, locale=locale)

    def one(value: Any) -> str:
        if isinstance(value, dict) and "t" in value:
            inner = {k: one(v) for k, v in value.items() if k not in ("t", "p")}
            if "p" in value:
                text = forms(str(value["t"]), str(value["p"]), int(value["count"]))
            else:
                text = translate(str(value["t"]))
            return fill(text, **inner)
        if isinstance(value, dict) and "n" in value:
            current = I18n.get_current(no_error=True)
            where = locale or (current.current_locale if current else "en")
            return format_decimal(value["n"], locale=where)
        if isinstance(value, list):
            return "\n".join(one(item) for item in value)
        text = str(value)
        return html_decoration.quote(text) if html else text

    return {key: one(value) for key, value in args.items()}
