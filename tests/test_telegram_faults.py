"""Issue 13: a passing Telegram fault never loses a direct reply (the session retries it
where a retry cannot duplicate what the person sees), and the outbox sender, which retries
by itself with durable rows, is left alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod

from bot.middlewares.retry import MAX_RETRIES, MAX_WAIT
from tests.kit import Harness

ANY = SendMessage(chat_id=1, text="x")
HELP = "Что я умею"
CRASH = "Извините, у нас что-то пошло не так. Попробуйте ещё раз через минуту."


def inject(harness: Harness, method: str, errors: list[Exception]) -> list[str]:
    """Raise `errors`, one per call, on the next calls of `method`; returns the calls' log."""
    seen: list[str] = []

    async def hook(call: TelegramMethod[Any]) -> None:
        name = type(call).__name__
        seen.append(name)
        if name == method and errors:
            raise errors.pop(0)

    harness.session.on_request.append(hook)
    return seen


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.middlewares.retry"]


Fault = Callable[[], Exception]
TRANSIENT: dict[str, Fault] = {
    "429": lambda: TelegramRetryAfter(ANY, "Too Many Requests: retry after 3", 3),
    "502": lambda: TelegramServerError(ANY, "Bad Gateway"),
    "503": lambda: TelegramServerError(ANY, "Service Unavailable"),
    "500": lambda: TelegramServerError(ANY, "Internal Server Error"),
    "timeout": lambda: TelegramNetworkError(ANY, "Request timeout error"),
    "not connected": lambda: TelegramNetworkError(
        ANY, "ClientConnectorError: Cannot connect to host api.telegram.org:443"
    ),
}


@pytest.mark.parametrize("fault", ["429", "not connected", "502", "503"])
async def test_a_reply_refused_before_it_was_sent_is_sent_again(
    harness: Harness, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    anna = await harness.consented(harness.user())
    calls = inject(harness, "SendMessage", [TRANSIENT[fault](), TRANSIENT[fault]()])
    slept = harness.time.slept
    caplog.set_level(logging.WARNING)
    [reply] = await anna.send("/help")
    assert HELP in reply.text
    assert calls.count("SendMessage") == 3  # twice refused, then sent once
    assert harness.time.slept - slept >= (6 if fault == "429" else 0.5)
    assert not errors_logged(caplog)
    assert len(retries_logged(caplog)) == 2


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_a_reply_that_may_have_been_sent_is_not_sent_twice(
    harness: Harness, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    anna = await harness.consented(harness.user())
    calls = inject(harness, "SendMessage", [TRANSIENT[fault]()])
    caplog.set_level(logging.WARNING)
    replies = await anna.send("/help")
    # Telegram may have shown it: not repeated; the failure is what the log holds.
    assert [r.text for r in replies] == [CRASH]
    assert calls.count("SendMessage") == 2  # the help (failed), then the apology
    assert not retries_logged(caplog)
    assert len(errors_logged(caplog)) == 1


@pytest.mark.parametrize("fault", ["429", "502", "timeout"])
async def test_button_answers_and_edits_are_retried(
    harness: Harness, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    anna = await harness.consented(harness.user())
    await anna.send("/lang")
    calls = inject(harness, "AnswerCallbackQuery", [TRANSIENT[fault]()])
    edits = inject(harness, "EditMessageReplyMarkup", [TRANSIENT[fault](), TRANSIENT[fault]()])
    caplog.set_level(logging.WARNING)
    [done] = await anna.press("English")
    assert done.text == "Done: I will speak English now."
    assert calls.count("AnswerCallbackQuery") == 2
    assert edits.count("EditMessageReplyMarkup") == 3
    assert anna.edits and not anna.edits[-1].buttons  # the keyboard is gone
    assert not errors_logged(caplog)


async def test_retries_are_bounded(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    anna = await harness.consented(harness.user())
    caplog.set_level(logging.WARNING)
    # Flood control that does not pass: a bounded number of tries, then the failure stands.
    calls = inject(harness, "SendMessage", [TRANSIENT["429"]() for _ in range(MAX_RETRIES + 1)])
    slept = harness.time.slept
    replies = await anna.send("/help")
    assert [r.text for r in replies] == [CRASH]
    assert calls.count("SendMessage") == MAX_RETRIES + 1 + 1  # and the apology
    assert harness.time.slept - slept <= MAX_WAIT
    assert len(errors_logged(caplog)) == 1
    # A wait longer than the bound is not waited at all.
    caplog.clear()
    long_wait = TelegramRetryAfter(ANY, "Too Many Requests: retry after 300", 300)
    calls = inject(harness, "SendMessage", [long_wait])
    slept = harness.time.slept
    await anna.send("/help")
    assert harness.time.slept == slept
    assert not retries_logged(caplog)


async def test_the_outbox_sender_retries_by_itself(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    anna = await harness.consented(harness.user())
    caplog.set_level(logging.WARNING)
    harness.session.faults[anna.id] = [TRANSIENT["429"](), TRANSIENT["not connected"]()]
    async with harness.app.db.transaction() as uow:
        await uow.outbox.enqueue(anna.id, now=harness.clock.now(), text="Из очереди")
    await harness.deliver()
    assert [s.text for s in anna.inbox].count("Из очереди") == 1
    # The session let the sender's calls through: the sender kept the count, not us.
    assert not retries_logged(caplog)
    row = await harness.app.db.read.outbox.get(1)
    assert row is not None and row.status == "sent" and row.attempts >= 2


async def test_a_press_answered_before_the_fault_is_not_a_failure(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A 502 after Telegram took the answer: the retry is refused as "query is too old",
    which means the first answer went through."""
    anna = await harness.consented(harness.user())
    await anna.send("/lang")
    inject(
        harness,
        "AnswerCallbackQuery",
        [
            TRANSIENT["502"](),
            TelegramBadRequest(ANY, "Bad Request: query is too old and response timeout expired"),
        ],
    )
    caplog.set_level(logging.WARNING)
    [done] = await anna.press("English")
    assert done.text == "Done: I will speak English now."
    assert not errors_logged(caplog)
