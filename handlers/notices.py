"""Notices to staff that name a person (someone opened an invite), drawn when they are sent.

The outbox keeps only the person's id: the name is looked up at send time, so a withdrawal
of consent leaves no copy of it in the queue, and the town's privacy setting decides
whether staff see the name or only the role.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import fill, render_args
from bot.services.privacy import StaffPrivacy
from bot.services.users import UserService
from bot.settings import Settings
from handlers.render import escape, person


class PersonNotice:
    """Renders `template` ({name} and the row's other arguments) for the outbox; where the
    town keeps names from staff and an `unnamed` template is given, that one instead."""

    def __init__(
        self,
        i18n: I18n,
        users: UserService,
        settings: Settings,
        template: str,
        *,
        unnamed: str | None = None,
    ) -> None:
        self._i18n = i18n
        self._users = users
        self._privacy = StaffPrivacy.of(settings)
        self._template = template
        self._unnamed = unnamed

    async def __call__(
        self, args: dict[str, Any], locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        rest = {key: value for key, value in args.items() if key not in ("person", "name")}
        who = args.get("person")
        user = await self._users.get(int(who)) if who is not None else None
        with self._i18n.context(), self._i18n.use_locale(locale):
            values = render_args(rest, _, locale=locale)
            if self._unnamed is not None and not self._privacy.shows_people:
                return fill(_(self._unnamed), **values), None
            # A row queued by an earlier version carries the name itself.
            name = person(user) if who is not None else escape(str(args.get("name", "—")))
            return fill(_(self._template), name=name, **values), None
