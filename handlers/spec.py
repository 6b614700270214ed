"""Decorator-style handler registration that builds a fresh Router on demand.

A module-level aiogram Router can be attached to one Dispatcher only; tests and the
restart scenario build several. Each feature module declares a RouterSpec with the same
decorators and the app calls `spec.build()` once per Dispatcher.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.middlewares.consent import ConsentGate
from handlers.buttons import Presses
from handlers.filters import ButtonOnMessage, OutsideForms, is_command, is_menu_press

if TYPE_CHECKING:
    from handlers.forms import Form

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)
Registration = tuple[str, Handler, tuple[Any, ...], dict[str, Any]]


def _require_async(item: Any) -> None:
    """aiogram runs a synchronous filter or handler (a bare State, an `F.` magic filter, a
    plain function) through asyncio.to_thread: a thread hop on every update. Refuse them."""
    if isinstance(item, Filter) or inspect.iscoroutinefunction(inspect.unwrap(item)):
        return
    raise TypeError(f"{item!r} is synchronous; use an async Filter (e.g. StateFilter(...))")


def state_names(group: type[StatesGroup]) -> list[str]:
    """«Form:step» of each of a form's states."""
    return [state.state for state in group.__all_states__ if state.state is not None]


class RouterSpec:
    def __init__(
        self, name: str, *, needs_consent: bool = False, presses: Presses | None = None
    ) -> None:
        """`presses`: the feature's presses are answered, and their buttons dropped, once
        (handlers/buttons.py); without it each handler answers its own."""
        self.name = name
        self.needs_consent = needs_consent
        self.presses = presses
        self.forms: tuple[type[StatesGroup], ...] = ()
        self.callbacks: tuple[type[CallbackData], ...] = ()
        self.tables: tuple[Form[Any, Any], ...] = ()
        self._filters: list[tuple[str, tuple[Any, ...]]] = []
        self._handlers: list[Registration] = []

    def filter(self, observer: str, *filters: Any) -> None:
        """A filter on every handler of one kind of event in this router."""
        for item in filters:
            _require_async(item)
        self._filters.append((observer, filters))

    def owns(
        self,
        *,
        forms: tuple[type[StatesGroup], ...] = (),
        callbacks: tuple[type[CallbackData], ...] = (),
    ) -> None:
        """Declare the feature's forms and button classes.

        The feature is then built in two parts (see `build_parts`): its form steps and
        buttons, which the Switch reaches directly by state or callback prefix, and its
        entry points (commands, menu texts), which see only commands and messages outside
        any form.
        """
        self.forms = forms
        self.callbacks = callbacks

    def runs(self, *forms: Form[Any, Any]) -> None:
        """Declare the forms the feature opens that the form engine runs (handlers/forms.py):
        their steps and buttons are the engine's router's, the feature keeps the entry
        points that open them (`form.start`)."""
        self.tables = forms

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

    def _router(
        self, name: str, handlers: list[Registration], gate_messages: bool = True
    ) -> Router:
        router = Router(name=name)
        if self.forms or self.callbacks:  # a feature (not the fallback, which takes the rest)
            router.callback_query.filter(ButtonOnMessage())
        if self.needs_consent:
            if gate_messages:
                router.message.middleware(ConsentGate())
            router.callback_query.middleware(ConsentGate())
        if self.presses is not None:
            router.callback_query.middleware(self.presses)
        for observer, filters in self._filters:
            router.observers[observer].filter(*filters)
        # Decorators stacked on one function run bottom-up; keep the order they were written in.
        for observer, handler, filters, kwargs in handlers:
            router.observers[observer].register(handler, *filters, **kwargs)
        return router

    def _own_states(self) -> set[str]:
        return {name for group in self.forms for name in state_names(group)}

    @staticmethod
    def _step_states(filters: tuple[Any, ...], own: set[str]) -> set[str]:
        """The states of this feature's forms a message handler's StateFilter names (empty:
        not a form step)."""
        for item in filters:
            if isinstance(item, StateFilter):
                names = {s.state if isinstance(s, State) else s for s in item.states}
                if names and names <= own:
                    return {name for name in names if isinstance(name, str)}
        return set()

    def _is_step(self, observer: str, filters: tuple[Any, ...], own: set[str]) -> bool:
        return observer == "callback_query" or bool(self._step_states(filters, own))

    def command_names(self) -> set[str]:
        """Commands this feature answers (from its Command filters)."""
        names: set[str] = set()
        for observer, _, filters, _ in self._handlers:
            for item in filters:
                if observer == "message" and isinstance(item, Command):
                    names |= {c for c in item.commands if isinstance(c, str)}
        return names

    def build(self) -> Router:
        """One router with every handler (for features that declare no forms or buttons)."""
        return self._router(self.name, self._handlers)

    def build_parts(self) -> tuple[Router, dict[str, TelegramEventObserver], Router]:
        """(steps, typed, entry): the buttons, reached through the Switch by callback prefix;
        the typed answers, an observer for each state of the feature's forms with that
        state's message handlers, reached through the Switch by the exact state (so no
        handler of another step is tried and no StateFilter runs: the observer is the
        filter); and the rest, the entry points."""
        own = self._own_states()
        buttons = [h for h in self._handlers if h[0] == "callback_query"]
        entry = [h for h in self._handlers if not self._is_step(h[0], h[2], own)]
        entry_router = self._router(self.name, entry)
        entry_router.message.filter(OutsideForms())
        # A form is entered through an entry point, which checked consent, and withdrawing
        # consent drops every form: steps need no gate, only buttons (old messages) do.
        steps = self._router(f"{self.name}:steps", buttons, gate_messages=False)
        typed: dict[str, TelegramEventObserver] = {}
        for observer, handler, filters, kwargs in self._handlers:
            if observer != "message":
                continue
            rest = tuple(f for f in filters if not isinstance(f, StateFilter))
            for state in sorted(self._step_states(filters, own)):
                if state not in typed:
                    # On the steps router, so its message filters and inner middlewares (and
                    # the Dispatcher's) apply; only the Switch triggers it (not a router's
                    # own observer: a router of its own for each state weighed 36 KiB).
                    typed[state] = TelegramEventObserver(router=steps, event_name="message")
                typed[state].register(handler, *rest, **kwargs)
        return steps, typed, entry_router


class Switch(Router):
    """Sends an update straight to the feature that owns it, instead of trying every
    feature's handlers in turn, so the cost stays flat as features are added: a command
    by its name, a typed answer by the FSM state (to that step's handlers only), a button
    by its callback prefix. What it cannot place falls through to the entry routers and the
    fallback. The same features as a plain aiogram router tree (each steps router filtered
    by its states and prefixes) ran bench.dispatch at 0.19-0.21 of echo, against 0.52-0.61
    with the Switch (README, Benchmarks)."""

    def __init__(self) -> None:
        super().__init__(name="switch")
        self._by_state: dict[str, TelegramEventObserver | None] = {}
        self._by_prefix: dict[str, Router] = {}
        self._by_command: dict[str, Router] = {}

    def add(
        self,
        spec: RouterSpec,
        steps: Router,
        typed: Mapping[str, TelegramEventObserver],
        entry: Router,
    ) -> None:
        self.include_router(steps)
        for command in spec.command_names():
            self._by_command.setdefault(command, entry)
        for group in spec.forms:
            for name in state_names(group):
                # The feature that declares a form last runs its steps (None: it takes no
                # typed answer in that state, and nobody else does either).
                self._by_state[name] = typed.get(name)
        for cls in spec.callbacks:
            if cls.__prefix__ in self._by_prefix:
                # Two features with one prefix: one of them would never see its buttons.
                raise ValueError(f"callback prefix {cls.__prefix__!r} of {cls.__name__} is taken")
            self._by_prefix[cls.__prefix__] = steps

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if isinstance(event, Message):
            raw_state = kwargs.get("raw_state")
            if is_command(event):
                # "/start@tos_bot payload" -> "start"; the entry router checks the rest.
                name = (event.text or "")[1:].partition(" ")[0].partition("@")[0].lower()
                return await self._to(self._by_command.get(name), update_type, event, kwargs)
            if raw_state is not None and not is_menu_press(event, kwargs.get("i18n")):
                # A press on the main menu goes to its entry point even in a form.
                typed = self._by_state.get(raw_state)
                if typed is None:
                    return UNHANDLED
                # What the steps router's _propagate_event does, with this state's handlers.
                steps = typed.router
                kwargs["event_router"] = steps
                passed, data = await steps.message.check_root_filters(event, **kwargs)
                if not passed:
                    return UNHANDLED
                kwargs.update(data)
                response = await typed.trigger(event, **kwargs)
                return UNHANDLED if response is REJECTED else response
        elif isinstance(event, CallbackQuery) and event.data:
            target = self._by_prefix.get(event.data.partition(":")[0])
            return await self._to(target, update_type, event, kwargs)
        return UNHANDLED

    @staticmethod
    async def _to(
        target: Router | None, update_type: str, event: TelegramObject, kwargs: dict[str, Any]
    ) -> Any:
        if target is None:
            return UNHANDLED
        observer = target.observers[update_type]
        if observer.outer_middleware:
            return await target.propagate_event(update_type, event, **kwargs)
        # What target.propagate_event does when nothing wraps the event, without building
        # the empty middleware chain and the closure around it on every update.
        kwargs["event_router"] = target
        return await target._propagate_event(observer, update_type, event, **kwargs)
