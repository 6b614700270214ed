"""The services and the settings a handler asks for by name (`requests: RequestService`),
given to it as it runs rather than carried down to it.

aiogram hands an update's data down every layer (the update's middlewares, each router,
each filter it tries) and copies the dict at nearly every step, a dozen times an update;
twelve services riding along cost more than the routing they ride through (python -m
bench.dispatch: 7.5 % of the full pipeline's instructions). So only what the update's
middlewares and filters read travels from the start (the clock, for FormGuard; TRAVELLING),
and the rest joins the data here, an inner middleware of the Dispatcher: once a handler (a
message's, a press's or an error's) has matched, just before it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject

# What the update's own middlewares and the filters read, so it travels from the start:
# users and staff (bot/middlewares/users.py, locale.py; handlers/filters.py StaffPlace),
# requests (handlers/requests_public.py RepliesToRequest). tests/test_rules_in_one_place.py
# checks that no filter asks for another.
TRAVELLING = ("users", "staff", "requests")


class HandlerServices(BaseMiddleware):
    def __init__(self, services: Mapping[str, Any]) -> None:
        self.services = dict(services)

    def install(self, dp: Dispatcher) -> None:
        """On every kind of handler (a message's, a press's, an error's, and any a feature
        adds later); not on the update's own observer, which would carry them all again."""
        for name, observer in dp.observers.items():
            if name != "update":
                observer.middleware(self)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data.update(self.services)
        return await handler(event, data)
