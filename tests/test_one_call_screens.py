"""A screen is one call: a handler asks one service once for what a card shows this reader
(InitiativeService.card, RequestService.staff_card and the like) and only draws it. Every
service the handlers receive is wrapped here in a counter of the calls made from handlers/.

The same scenario on the code before counted, from handlers to services: an initiative's
staff card by its number 5 calls (find_by_number, require_access, captioned_photos,
users.get, tos_name), its public card from a button 6 (find, require_access, users.get,
captioned_photos, tos_name, has_supported), after «Support» 5 (support and four reads); a
request's staff card by its number 6 (find_by_number, messages, users.get, local_date,
is_overdue, link_sent; users.get once more when it is taken), from /inbox's button 6, the
requester's view from a button 5 (for_requester, messages, local_date, is_overdue,
can_reopen), by its number 6. Now: 1, 1, 2, 2, 2, 1, 1 (link_sent and support are the
actions after or before the screen)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from handlers.initiatives_public import InitiativeAction, InitiativeButton
from handlers.request_cards import MyRequestAction, MyRequestButton, RequestAction, RequestButton
from tests.conftest import ADMIN_ID
from tests.kit import Harness


class Counted:
    """A service whose calls from handlers/ (not their routing filters) are written down
    as «service.method»."""

    def __init__(self, name: str, service: Any, calls: list[str]) -> None:
        self._name, self._service, self._calls = name, service, calls

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._service, attribute)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.startswith("handlers.") and caller != "handlers.filters":  # not routing
                self._calls.append(f"{self._name}.{attribute}")
            return value(*args, **kwargs)

        return counted


def count_handler_calls(h: Harness) -> list[str]:
    calls: list[str] = []
    data = h.app.handler_services.services
    for name, service in list(data.items()):
        if type(service).__module__.startswith("bot.services."):
            data[name] = Counted(name, service, calls)
    return calls


async def during(calls: list[str], action: Callable[[], Any]) -> list[str]:
    calls.clear()
    await action()
    return list(calls)


async def test_an_initiatives_card_is_one_call(harness: Harness) -> None:
    h = harness
    services = h.app.services
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna, boris = await h.consented(h.user("Анна")), await h.consented(h.user("Борис"))
    draft = Draft(
        direction="improvement",
        title="Скамейки у школы",
        description="Поставить три скамейки у входа в школу № 5.",
        address="ул. Ленина, 5",
        show_author=True,
    )
    initiative = (await services.initiatives.submit(anna.id, draft)).initiative
    await services.initiatives.decide(ADMIN_ID, initiative.id, "accepted")
    calls = count_handler_calls(h)

    assert await during(calls, lambda: maria.send("/initiative И-2026-0001")) == [
        "initiatives.card"
    ]
    assert "Скамейки у школы" in maria.last.text and "✅" not in maria.last.flat_buttons[0]
    opened = InitiativeButton(action=InitiativeAction.OPEN, id=initiative.id).pack()
    assert await during(calls, lambda: boris.press("x", data=opened)) == ["initiatives.public_card"]
    assert "Автор: Анна" in boris.last.text
    assert await during(calls, lambda: boris.press("👍 Поддержать")) == [
        "initiatives.support",
        "initiatives.public_card",
    ]
    assert boris.last.flat_buttons == ["Отозвать поддержку", "⚑ Пожаловаться"]


async def test_a_requests_card_is_one_call(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    draft = RequestDraft(kind="consultation", description="Как оформить устав ТОС?")
    record = (await h.app.services.requests.submit(anna.id, draft)).request
    calls = count_handler_calls(h)

    assert await during(calls, lambda: maria.send("/request З-2026-0001")) == [
        "requests.card",
        "requests.link_sent",  # the card is linked for replies once it is sent
    ]
    assert maria.last.flat_buttons == [
        "🙋 Взять в работу",
        "💬 Ответить",
        "✖ Отклонить",
        "⏳ Продлить срок",
    ]
    inbox = RequestButton(action=RequestAction.OPEN, id=record.id).pack()
    assert await during(calls, lambda: maria.press("x", data=inbox)) == [
        "requests.staff_card",
        "requests.link_sent",
    ]
    mine = MyRequestButton(action=MyRequestAction.OPEN, id=record.id).pack()
    assert await during(calls, lambda: anna.press("x", data=mine)) == ["requests.requester_card"]
    assert anna.last.flat_buttons == ["✉️ Написать в администрацию"]
    assert await during(calls, lambda: anna.send("/request З-2026-0001")) == ["requests.card"]
