"""Routers, one per feature, composed in the order they must see updates."""

from __future__ import annotations

from aiogram import Router

from bot.middlewares import ConsentGate
from handlers import common, consent, errors, fallback, staff_admin


def build_router() -> Router:
    root = Router(name="root")
    root.include_router(errors.router.build())
    # Works before consent: /start and the consent step, /privacy, /help, /lang, /cancel.
    root.include_routers(common.router.build(), consent.router.build())

    # Everything else needs consent; the gate runs only when one of these handlers matched,
    # so an update nobody handles still reaches the fallback.
    consented = Router(name="consented")
    consented.message.middleware(ConsentGate())
    consented.callback_query.middleware(ConsentGate())
    consented.include_routers(staff_admin.router.build())
    root.include_router(consented)

    root.include_router(fallback.router.build())
    return root
