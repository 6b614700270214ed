"""Keep the catalogs in step with the code: extract messages, merge them into ru and en.

python tools/i18n.py          # extract + update; new English entries get msgstr = msgid
python tools/i18n.py --check  # exit 1 if any message lacks its Russian or English text
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "locales" / "messages.pot"
LOCALES = ("ru", "en")


def po_path(locale: str) -> Path:
    return ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-k",
            "NP_:1,2",  # bot.services.errors.NP_: a message with plural forms
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with POT.open("rb") as fh:
        return read_po(fh)


def update(template: Catalog) -> None:
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="tos-bot", fuzzy=False)
        # The catalog keeps its own creation date: a new one on every run would make every
        # two branches that touched the texts conflict on the header.
        created = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.creation_date = created
        if locale == "en":
            for message in catalog:
                empty = not message.string or (
                    isinstance(message.string, tuple) and not any(message.string)
                )
                if message.id and empty:
                    message.string = message.id
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, no_location=True, sort_output=True)


def missing() -> list[str]:
    template = extract()
    problems = []
    for locale in LOCALES:
        with po_path(locale).open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id)
            strings = found.string if found else None
            empty = not strings or (isinstance(strings, tuple) and not all(strings))
            if empty or (found is not None and found.fuzzy):
                problems.append(f"{locale}: {message.id!r}")
    return problems


if __name__ == "__main__":
    if "--check" in sys.argv:
        problems = missing()
        print("\n".join(problems) or "all messages translated")
        sys.exit(1 if problems else 0)
    update(extract())
