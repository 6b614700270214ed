"""Decorator-style handler registration that builds a fresh Router on demand.

A module-level aiogram Router can be attached to one Dispatcher only; tests and the
restart scenario build several. Each feature module declares a RouterSpec with the same
decorators and the app calls `spec.build()` once per Dispatcher.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import StatesGroup

from bot.middlewares.consent import ConsentGate
from handlers.filters import CallbackPrefix, Reachable

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


def _require_async(item: Any) -> None:
    """aiogram runs a synchronous filter or handler (a bare State, an `F.` magic filter, a
    plain function) through asyncio.to_thread: a thread hop on every update. Refuse them."""
    if isinstance(item, Filter) or inspect.iscoroutinefunction(inspect.unwrap(item)):
        return
    raise TypeError(f"{item!r} is synchronous; use an async Filter (e.g. StateFilter(...))")


class RouterSpec:
    def __init__(self, name: str, *, needs_consent: bool = False) -> None:
        self.name = name
        self.needs_consent = needs_consent
        self._gates: list[tuple[str, Filter]] = []
        self._filters: list[tuple[str, tuple[Any, ...]]] = []
        self._handlers: list[tuple[str, Handler, tuple[Any, ...], dict[str, Any]]] = []

    def filter(self, observer: str, *filters: Any) -> None:
        """A filter on every handler of one kind of event in this router."""
        for item in filters:
            _require_async(item)
        self._filters.append((observer, filters))

    def reachable(
        self,
        *,
        forms: tuple[type[StatesGroup], ...] = (),
        callbacks: tuple[type[CallbackData], ...] = (),
    ) -> None:
        """Declare what the router answers, so other updates skip it in one check:
        commands, menu texts outside forms, the steps of `forms`, and buttons of `callbacks`.
        """
        self._gates = [("message", Reachable(forms)), ("callback_query", CallbackPrefix(callbacks))]

    def _on(
        self, observer: str, filters: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[H], H]:
        for item in filters:
            _require_async(item)

        def register(handler: H) -> H:
            _require_async(handler)
            self._handlers.append((observer, handler, filters, kwargs))
            return handler

        return register

    def message(self, *filters: Any, **kwargs: Any) -> Callable[[H], H]:
        return self._on("message", filters, kwargs)

    def callback_query(self, *filters: Any, **kwargs: Any) -> Callable[[H], H]:
        return self._on("callback_query", filters, kwargs)

    def errors(self, *filters: Any, **kwargs: Any) -> Callable[[H], H]:
        return self._on("error", filters, kwargs)

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, gate in self._gates:  # cheapest first
            router.observers[observer].filter(gate)
        if self.needs_consent:
            router.message.middleware(ConsentGate())
            router.callback_query.middleware(ConsentGate())
        for observer, filters in self._filters:
            router.observers[observer].filter(*filters)
        # Decorators stacked on one function run bottom-up; keep the order they were written in.
        for observer, handler, filters, kwargs in self._handlers:
            router.observers[observer].register(handler, *filters, **kwargs)
        return router
