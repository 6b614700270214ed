"""Decorator-style handler registration that builds a fresh Router on demand.

A module-level aiogram Router can be attached to one Dispatcher only; tests and the
restart scenario build several. Each feature module declares a RouterSpec with the same
decorators and the app calls `spec.build()` once per Dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Router

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


class RouterSpec:
    def __init__(self, name: str) -> None:
        self.name = name
        self._filters: list[tuple[str, tuple[Any, ...]]] = []
        self._handlers: list[tuple[str, Handler, tuple[Any, ...], dict[str, Any]]] = []

    def filter(self, observer: str, *filters: Any) -> None:
        """A filter on every handler of one kind of event in this router."""
        self._filters.append((observer, filters))

    def _on(
        self, observer: str, filters: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
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
        for observer, filters in self._filters:
            router.observers[observer].filter(*filters)
        # Decorators stacked on one function run bottom-up; keep the order they were written in.
        for observer, handler, filters, kwargs in self._handlers:
            router.observers[observer].register(handler, *filters, **kwargs)
        return router
