"""Routers, one per feature, composed in the order they must see updates."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Dispatcher

from handlers import (
    common,
    competition_staff,
    competitions,
    consent,
    errors,
    events,
    fallback,
    initiative_staff,
    initiatives,
    initiatives_public,
    moderation,
    moderation_staff,
    outbox,
    registry_admin,
    registry_import,
    registry_invites,
    reports,
    requests,
    requests_public,
    requests_staff,
    staff_admin,
    tos,
    workdays,
)
from handlers.form_guard import FormGuard
from handlers.forms import form_router
from handlers.spec import RouterSpec, Switch

# Features in the order their entry points (commands, menu texts) are tried. The first
# two work before consent (/start and the consent step, /privacy, /help, /lang, /cancel);
# the others declare RouterSpec(needs_consent=True).
FEATURES: tuple[RouterSpec, ...] = (
    common.router,
    consent.router,
    initiatives.router,
    initiatives_public.router,
    initiative_staff.router,
    moderation.router,
    moderation_staff.router,
    tos.router,
    competitions.router,
    competition_staff.router,
    events.router,
    registry_admin.router,
    registry_invites.router,
    registry_import.router,
    reports.router,
    requests.router,
    requests_public.router,
    requests_staff.router,
    staff_admin.router,
    outbox.router,
    workdays.router,
)


def features(extra: Sequence[RouterSpec] = ()) -> tuple[RouterSpec, ...]:
    """Every feature, the form engine first: it runs the forms the features declare
    (RouterSpec.runs), their steps and buttons in one router."""
    specs = (*FEATURES, *extra)
    return (form_router([form for spec in specs for form in spec.tables]), *specs)


def build_routers(dp: Dispatcher, extra: Sequence[RouterSpec] = ()) -> None:
    """Put the features on the Dispatcher: the Switch (form steps and buttons, straight to
    their feature or to the form engine), the features' entry points, the fallback for what
    nobody took, the errors. The guard wraps the Dispatcher's own message and button
    observers, so no router level is added only to carry it (see form_guard.FormGuard)."""
    switch = Switch()
    entries = []
    specs = features(extra)
    for spec in specs:
        steps, typed, entry = spec.build_parts()
        switch.add(spec, steps, typed, entry)
        entries.append(entry)
    # One form at a time: no handler replaces a form that holds answers without asking.
    guard = FormGuard({group.__full_group_name__: group for s in specs for group in s.forms})
    dp.message.outer_middleware(guard)
    dp.callback_query.outer_middleware(guard)
    dp.include_routers(switch, *entries, fallback.router.build(), errors.router.build())
