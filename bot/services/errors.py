"""Domain errors: a rule said no. The message is a msgid that handlers translate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self, TypeVar

T = TypeVar("T")


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (babel keyword)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with plural forms («{count} day», «{count} days») for translation;
    the form is chosen when it is rendered, by its count (babel keyword `NP_:1,2`)."""
    return singular, plural


class DomainError(Exception):
    """Shown to the user as a polite, localized message; never logged as a failure.

    `field` names the answer of a form the rule refused (as the form's draft names it), so
    a form refused when it is sent takes the person back to that step: `.at("amount")`."""

    field: str | None = None

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def at(self, field: str) -> Self:
        self.field = field
        return self


class NotAllowed(DomainError):
    def __init__(self, message: str = N_("Sorry, this is not available to you."), **params: Any):
        super().__init__(message, **params)


def at_field(field: str, check: Callable[..., T], *args: Any) -> T:
    """`check(*args)`, a refusal naming the form's `field` (DomainError.at): a rule that a
    form's step applies, applied again when the form is sent."""
    try:
        return check(*args)
    except DomainError as error:
        raise error.at(field) from None
