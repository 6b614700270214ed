"""Routers, one per feature, composed in the order they must see updates."""

from __future__ import annotations

from aiogram import Router

from handlers import common, consent, errors, fallback, staff_admin


def build_routers() -> list[Router]:
    """Feature routers in order; each declares what it answers (RouterSpec.reachable), so an
    update skips the routers that cannot take it, and the fallback sees what nobody took."""
    return [
        # Work before consent: /start and the consent step, /privacy, /help, /lang, /cancel.
        common.router.build(),
        consent.router.build(),
        # Need consent (RouterSpec(needs_consent=True)).
        staff_admin.router.build(),
        fallback.router.build(),
        errors.router.build(),  # errors are propagated separately; last costs nothing
    ]
