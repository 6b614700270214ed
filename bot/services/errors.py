"""Domain errors: a rule said no. The message is a msgid that handlers translate."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (babel keyword)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with plural forms for translation (babel keyword `NP_:1,2`)."""
    return singular, plural


class DomainError(Exception):
    """Shown to the user as a polite, localized message; never logged as a failure."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotAllowed(DomainError):
    def __init__(self, message: str = N_("Sorry, this is not available to you."), **params: Any):
        super().__init__(message, **params)
