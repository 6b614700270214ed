"""Middlewares: per-update context, users and roles, locale, flood control, consent."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.i18n import CatalogI18n
from bot.middlewares.consent import ConsentGate
from bot.middlewares.context import UpdateContextMiddleware
from bot.middlewares.flush import FlushBeforeSend
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.throttle import ThrottleMiddleware
from bot.middlewares.users import UserMiddleware

__all__ = ["ConsentGate", "FlushBeforeSend", "UpdateContextMiddleware", "setup_middlewares"]


def setup_middlewares(
    dp: Dispatcher,
    i18n: CatalogI18n,
    tracker: UpdateContextMiddleware,
    throttle: ThrottleMiddleware,
) -> None:
    # Order matters: context for logs first, then who the user is, their language, and only
    # then flood control, which must answer in that language.
    dp.update.outer_middleware(tracker)
    dp.update.outer_middleware(UserMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.update.outer_middleware(throttle)
