"""Notices to staff that name a person (someone opened an invite), drawn when they are sent.

The outbox keeps only the person's id: the name is looked up at send time, so a withdrawal
of consent leaves no copy of it in the queue, and the service that sent the notice says
whether staff see the name (the town's privacy setting) or only the role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import fill, render_args
from bot.services.privacy import Shown
from handlers.render import escape, person

# The person a notice names (None: the row names nobody), as staff may see them
# (RegistryService.holder_for_staff).
PersonOf = Callable[[int | None], Awaitable[Shown]]


class PersonNotice:
    """Renders `template` ({name} and the row's other arguments) for the outbox; where the
    person is hidden from staff and an `unnamed` template is given, that one instead."""

    def __init__(
        self,
        i18n: I18n,
        person_of: PersonOf,
        template: str,
        *,
        unnamed: str | None = None,
    ) -> None:
        self._i18n = i18n
        self._person_of = person_of
        self._template = template
        self._unnamed = unnamed

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        rest = {key: value for key, value in args.items() if key not in ("person", "name")}
        who = args.get("person")
        shown = await self._person_of(int(who) if who is not None else None)
        with self._i18n.context(), self._i18n.use_locale(locale):
            values = render_args(rest, _, locale=locale)
            if self._unnamed is not None and shown.hidden:
                return fill(_(self._unnamed), **values), None
            # A row queued by an earlier version carries the name itself.
            name = person(shown.person) if who is not None else escape(str(args.get("name", "—")))
            return fill(_(self._template), name=name, **values), None
