"""The pure mappings of the MAX adapter (bot/messengers/max/): keyboards fitted to MAX's limits,
Telegram's HTML as MAX reads it and MAX's markup back, MAX's refusals as aiogram's errors, ids
that never collide. Checked against the local MAX server's own rules (bot/sandbox/max_server.py),
which follow MAX's OpenAPI schema."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import create_i18n
from bot.messengers import MAX, MAX_ID_BASE, TELEGRAM, internal_id, messenger_of, number_of
from bot.messengers.limits import MAX_LIMITS
from bot.messengers.max.api import MaxApiError
from bot.messengers.max.convert import phone_of
from bot.messengers.max.ids import MaxFile, file_id, parse_file_id
from bot.messengers.max.keyboards import WIDE, fit_rows, to_max_rows
from bot.messengers.max.session import MaxSession
from bot.messengers.max.text import markup_to_html, rewrite_start_links, to_max_html
from bot.sandbox.max_server import MaxError, _checked_buttons, parse_max_html
from tests.test_locales import NOTICE_MSGID_START, catalogs

KINDS = ["callback", "link", "request_contact", "request_geo_location", "message"]


def _button(kind: str, n: int) -> dict[str, Any]:
    button: dict[str, Any] = {"type": kind, "text": f"b{n}"}
    if kind == "callback":
        button["payload"] = f"p{n}"
    if kind == "link":
        button["url"] = f"https://example.org/{n}"
    return button


rows_strategy = st.lists(st.lists(st.sampled_from(KINDS), max_size=12), max_size=40)


@given(rows_strategy)
def test_every_keyboard_is_fitted_to_max_and_keeps_its_order(kinds: list[list[str]]) -> None:
    counter = iter(range(10_000))
    rows = [[_button(kind, next(counter)) for kind in row] for row in kinds]
    fitted = fit_rows(rows)
    flat_in = [b["text"] for row in rows for b in row]
    flat_out = [b["text"] for row in fitted for b in row]
    assert flat_out == flat_in[: len(flat_out)]  # in order; only the tail may be dropped
    if len(flat_in) <= MAX_LIMITS.rows * MAX_LIMITS.wide_row_width:
        assert flat_out == flat_in  # whatever fits in 30 rows of 3 is never dropped
    if fitted:
        _checked_buttons({"buttons": fitted})  # the server (MAX's rules) takes it
    for row in fitted:
        wide = any(b["type"] in WIDE for b in row)
        assert len(row) <= (3 if wide else 7)


def test_a_keyboard_within_limits_keeps_its_rows() -> None:
    rows = [[_button("callback", n) for n in range(7)], [_button("link", 7)]]
    assert fit_rows(rows) == rows


@pytest.mark.parametrize(
    "rows",
    [
        [[_button("callback", n) for n in range(8)]],
        [[_button("link", n) for n in range(4)]],
        [[_button("callback", n)] for n in range(31)],
        [[_button("callback", 7 * r + n) for n in range(7)] for r in range(31)],
        [[{**_button("callback", 1), "payload": "x" * 1025}]],
        [[{**_button("callback", 1), "text": "x" * 129}]],
    ],
)
def test_the_server_refuses_what_max_refuses(rows: list[list[dict[str, Any]]]) -> None:
    with pytest.raises(MaxError) as error:
        _checked_buttons({"buttons": rows})
    assert error.value.status == 400 and error.value.code == "proto.payload"


def test_the_menu_becomes_message_buttons_and_shares_become_maxs() -> None:
    menu = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="💡 Предложить"), KeyboardButton(text="🤝 Обратиться")],
            [KeyboardButton(text="📱 Телефон", request_contact=True)],
            [KeyboardButton(text="📍 Где я", request_location=True)],
        ]
    )
    assert to_max_rows(menu) == [
        [
            {"type": "message", "text": "💡 Предложить"},
            {"type": "message", "text": "🤝 Обратиться"},
        ],
        [{"type": "request_contact", "text": "📱 Телефон"}],
        [{"type": "request_geo_location", "text": "📍 Где я"}],
    ]
    inline = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Да", callback_data="c1:yes")],
            [InlineKeyboardButton(text="Бот", url="https://t.me/town_bot?start=x")],
        ]
    )
    links = lambda url: rewrite_start_links(url, {"town_bot"}, "town_max_bot")  # noqa: E731
    assert to_max_rows(inline, links=links) == [
        [{"type": "callback", "text": "Да", "payload": "c1:yes"}],
        [{"type": "link", "text": "Бот", "url": "https://max.ru/town_max_bot?start=x"}],
    ]


TAGS = ["b", "i", "u", "s", "code", "tg-spoiler", "blockquote", "a"]


@st.composite
def telegram_html(draw: st.DrawFn, depth: int = 0) -> tuple[str, str]:
    """(Telegram HTML, the text it shows)."""
    parts = draw(st.lists(st.text(max_size=12), min_size=1, max_size=3))
    html, plain = escape(parts[0], quote=False), parts[0]
    for part in parts[1:]:
        tag = draw(st.sampled_from(TAGS))
        inner_html, inner_plain = (
            draw(telegram_html(depth + 1)) if depth < 2 else (escape(part, quote=False), part)
        )
        opening = f'<a href="https://example.org/?q={depth}&amp;x=1">' if tag == "a" else f"<{tag}>"
        html += f"{opening}{inner_html}</{tag}>"
        plain += inner_plain
    return html, plain


@given(telegram_html())
def test_telegram_html_is_read_by_max_as_the_same_text(case: tuple[str, str]) -> None:
    html, plain = case
    converted = to_max_html(html)
    shown, markup = parse_max_html(converted)  # the server refuses any tag MAX does not know
    assert shown == plain
    # A press answered with nothing to say gives MAX the message back as it is.
    again_shown, again_markup = parse_max_html(markup_to_html(shown, markup))
    assert again_shown == shown and _looks(again_markup) == _looks(markup)


def _looks(markup: list[dict[str, Any]]) -> dict[int, set[tuple[str, str]]]:
    """How each position (in UTF-16 units) is formatted, however the elements are cut."""
    looks: dict[int, set[tuple[str, str]]] = {}
    for item in markup:
        for position in range(item["from"], item["from"] + item["length"]):
            looks.setdefault(position, set()).add((item["type"], item.get("url", "")))
    return looks


def test_start_links_to_our_bots_open_the_bot_on_max() -> None:
    text = (
        'Откройте <a href="https://t.me/town_bot?start=inv_abc">ссылку</a> или '
        "https://t.me/town_bot?start=tos_x, но не https://t.me/other_bot и не tg://user?id=1"
    )
    converted = to_max_html(text, {"town_bot"}, "town_max_bot")
    assert '<a href="https://max.ru/town_max_bot?start=inv_abc">ссылку</a>' in converted
    assert "https://max.ru/town_max_bot?start=tos_x" in converted
    assert "https://t.me/other_bot" in converted
    assert "tg://" in converted  # plain text stays; only an <a> to tg:// loses its link
    assert to_max_html('<a href="tg://user?id=1">Анна</a>') == "Анна"


@pytest.mark.parametrize(
    ("status", "code", "expected", "words"),
    [
        (403, "chat.denied", TelegramForbiddenError, "bot was blocked by the user"),
        (429, "too.many.requests", TelegramRetryAfter, "Too Many Requests"),
        (500, "internal.error", TelegramServerError, "Internal Server Error"),
        (503, "service.unavailable", TelegramServerError, "Service Unavailable"),
        (400, "attachment.not.ready", TelegramServerError, "Internal Server Error"),
        (401, "verify.token", TelegramUnauthorizedError, "Unauthorized"),
        (400, "proto.payload", TelegramBadRequest, "Bad Request"),
    ],
)
def test_maxs_refusals_are_aiograms_errors_in_telegrams_words(
    status: int, code: str, expected: type[Exception], words: str
) -> None:
    method = SendMessage(chat_id=MAX_ID_BASE + 1, text="x")
    error = MaxSession.error(
        method, MaxApiError(status, code, "said", 2.5 if status == 429 else None)
    )
    assert type(error) is expected and words in str(error) and code in str(error)
    if isinstance(error, TelegramRetryAfter):
        assert error.retry_after == 3


def test_an_edit_of_a_message_max_no_longer_has_reads_as_telegrams() -> None:
    method = EditMessageText(chat_id=MAX_ID_BASE + 1, message_id=5, text="x")
    error = MaxSession.error(method, MaxApiError(404, "not.found", "message not found"))
    assert isinstance(error, TelegramBadRequest) and "message to edit not found" in str(error)


@given(st.integers(min_value=1, max_value=10**12), st.booleans())
def test_internal_ids_never_collide_with_telegrams(number: int, group: bool) -> None:
    internal = internal_id(number, group=group)
    assert messenger_of(internal) == MAX and number_of(internal) == number
    assert (internal < 0) == group
    assert abs(internal) > 2**52  # Telegram's ids have at most 52 significant bits


@given(st.integers(min_value=-(2**52), max_value=2**52))
def test_telegrams_ids_are_telegrams(chat_id: int) -> None:
    assert messenger_of(chat_id) == TELEGRAM


@given(st.text(max_size=30), st.text(max_size=30), st.one_of(st.none(), st.text(max_size=20)))
def test_a_max_file_id_round_trips(token: str, url: str, name: str | None) -> None:
    found = MaxFile("file", token, url, name)
    value = file_id(found)
    assert ":" not in value.removeprefix("max:")
    assert parse_file_id(value) == found
    assert parse_file_id("AgACAgIAAxkBAAIB") is None  # a Telegram file id


def test_the_phone_of_a_contact_card() -> None:
    vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Анна\r\nTEL;TYPE=cell:+79001234567\r\nEND:VCARD"
    assert phone_of(vcf) == "+79001234567"
    assert phone_of(None) == ""


def test_what_a_resident_on_max_agrees_to_names_no_foreign_messenger() -> None:
    """The consent notice (152-FZ) says what is kept: on MAX it must not speak of a Telegram
    account; nor may the answers to declining or withdrawing consent."""
    i18n = create_i18n("ru")
    starts = (NOTICE_MSGID_START, "Understood. Without consent", "Done. Your consent")
    texts = [m.id for m in catalogs.extract() if isinstance(m.id, str) and m.id.startswith(starts)]
    assert len(texts) == 3
    for text in texts:
        for locale in ("ru", "en"):
            shown = i18n.gettext(text, locale=locale)
            assert shown != text or locale == "en"
            assert "Telegram" not in shown, shown
    notice = next(text for text in texts if text.startswith(NOTICE_MSGID_START))
    assert "ваш аккаунт в мессенджере" in i18n.gettext(notice, locale="ru")
