"""One place for failures: a rule's refusal becomes a polite message; a crash is logged, and
the user hears that something went wrong, never the internals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.i18n import fill, render_args
from bot.services.errors import DomainError
from handlers.spec import RouterSpec

log = logging.getLogger(__name__)
router = RouterSpec(__name__)


def render_error(error: DomainError, *, html: bool = True) -> str:
    """The refusal in the user's language; parameters escaped for HTML messages only
    (a button's alert is plain text and would show the entities)."""
    return fill(_(error.message), **render_args(error.params, _, html=html, plural=ngettext))


@contextmanager
def _localized(i18n: I18n, data: dict[str, Any]) -> Iterator[None]:
    # Errors surface outside the locale middleware: set the language again here.
    with i18n.context(), i18n.use_locale(data.get("locale", i18n.default_locale)):
        yield


async def _tell(bot: Bot, update: Update, text: str, alert: bool) -> None:
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(update.callback_query.id, text=text, show_alert=alert)
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, text)
    except TelegramAPIError:
        log.warning("could not tell the user about an error", exc_info=True)


@router.errors(ExceptionTypeFilter(DomainError))
async def domain_error(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    with _localized(i18n, data):
        error: DomainError = event.exception  # type: ignore[assignment]
        plain = event.update.callback_query is not None
        await _tell(bot, event.update, render_error(error, html=not plain), alert=True)


@router.errors(ExceptionTypeFilter(TelegramBadRequest))
async def bad_request(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    if "message is not modified" in str(event.exception):
        return  # a double press on the same button: nothing to do
    await crash(event, bot, i18n, **data)


@router.errors()
async def crash(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    log.error(
        "update %s failed: %r",
        event.update.update_id,
        event.exception,
        exc_info=event.exception,
        extra={"update_type": event.update.event_type},
    )
    with _localized(i18n, data):
        await _tell(
            bot,
            event.update,
            _("Sorry, something went wrong on our side. Please try again in a minute."),
            alert=False,
        )
