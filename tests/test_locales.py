"""Catalogs: every message has its Russian and English text; the consent notice is versioned."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from bot.i18n import create_i18n
from bot.services.users import NOTICE_VERSION

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import i18n as catalogs  # noqa: E402

NOTICE_MSGID_START = "<b>Consent to the processing of personal data</b>"
# sha256 of the Russian and English notice texts for NOTICE_VERSION. When the notice
# changes, bump NOTICE_VERSION in bot/services/users.py and update this fingerprint.
NOTICE_FINGERPRINT = {
    "2026-11-27.2": "64dd6bbd8885f18274ebd9e92d1526516e367d4958360001b530d939248a9fec",
    "2026-12-04.1": "aaee9e0160ccca8dd68b1b23dce2e054c85830d83a3fad84a40ba770ac2ab875",
}


def test_every_message_is_translated_in_both_languages() -> None:
    assert catalogs.missing() == []


def test_catalogs_compile_and_ru_has_plural_forms() -> None:
    i18n = create_i18n("ru")
    assert set(i18n.available_locales) == {"ru", "en"}
    header = (ROOT / "locales/ru/LC_MESSAGES/messages.po").read_text("utf-8")
    assert "Plural-Forms: nplurals=3;" in header
    assert i18n.gettext("❓ Help", locale="ru") == "❓ Помощь"
    assert i18n.gettext("❓ Help", locale="en") == "❓ Help"


def test_placeholders_match_between_languages() -> None:
    import re

    i18n = create_i18n("ru")
    template = catalogs.extract()
    for message in template:
        if not message.id or not isinstance(message.id, str):
            continue
        wanted = sorted(re.findall(r"\{(\w+)\}", message.id))
        for locale in ("ru", "en"):
            text = i18n.gettext(message.id, locale=locale)
            assert sorted(re.findall(r"\{(\w+)\}", text)) == wanted, (locale, message.id)


def test_notice_text_changes_bump_the_version() -> None:
    i18n = create_i18n("ru")
    template = catalogs.extract()
    notice = next(m.id for m in template if str(m.id).startswith(NOTICE_MSGID_START))
    texts = "\n".join(i18n.gettext(str(notice), locale=loc) for loc in ("ru", "en"))
    digest = hashlib.sha256(texts.encode()).hexdigest()
    assert NOTICE_FINGERPRINT.get(NOTICE_VERSION) == digest, (
        f"The privacy notice changed: bump NOTICE_VERSION and set its fingerprint to {digest}"
    )
