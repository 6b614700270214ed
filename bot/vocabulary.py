"""Typed words against a catalog's vocabulary: what a person types matched to a label or
to a list of words, in any of the bot's languages. No aiogram here, so services match
words too (bot.services.vocabulary names the words the whole bot shares)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Catalog(Protocol):
    """What matching needs of the translations (aiogram's I18n is one)."""

    @property
    def available_locales(self) -> tuple[str, ...]: ...

    def gettext(
        self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None
    ) -> str: ...


def normalize_label(text: str) -> str:
    """Letters and digits only, lower case, so a typed label matches its button."""
    kept = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text.casefold())
    return " ".join(kept.split())


def label_variants(catalog: Catalog, msgid: str) -> frozenset[str]:
    """A label as it reads in every language, for matching typed text to a button.

    A catalog entry may hold several comma-separated words (a list of synonyms such as
    "yes, agree"), so that what people type is vocabulary in locales/, not in code.
    """
    variants = {msgid} | {catalog.gettext(msgid, locale=loc) for loc in catalog.available_locales}
    words = {part for v in variants for part in (v, *v.split(","))}
    return frozenset(w for w in map(normalize_label, words) if w)


Words = Callable[[str], frozenset[str]]  # msgid -> its normalized variants in every language


def words_of(catalog: Catalog) -> Words:
    """What services use to match typed text to a catalog's vocabulary."""

    def words(msgid: str) -> frozenset[str]:
        return label_variants(catalog, msgid)

    return words
