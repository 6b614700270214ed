"""/initiatives (the public list), one initiative's card, support, and /my for authors."""

from __future__ import annotations

from enum import StrEnum

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.initiatives import Initiative
from bot.domain.people import Person
from bot.domain.requests import SupportRequest
from bot.services.initiatives import (
    DIRECTIONS,
    STATUSES,
    InitiativeCard,
    InitiativeService,
    SupportOffer,
)
from bot.services.requests import RequestService
from bot.services.staff import Role
from bot.services.status_groups import INITIATIVE_PUBLIC
from handlers.buttons import Press, Presses
from handlers.filters import HasArgs, PrivateChat, TextIs
from handlers.ids import Id, Page
from handlers.initiative_cards import card_with_notes, number_of, staff_card, view_of
from handlers.menu import MENU_LIST, MENU_MY
from handlers.moderation import report_button
from handlers.render import button_message, escape
from handlers.request_cards import my_requests
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
PER_PAGE = 5


class InitiativeListButton(CallbackData, prefix="initiatives"):
    """A page or a filter of the public list."""

    page: Page = 0
    direction: str = ""
    tos: Id = 0  # a TOS id; 0: any TOS; CHOOSE_TOS: the list of TOS to filter by


CHOOSE_TOS = -1


class InitiativeAction(StrEnum):
    """What a button of a public initiative does (each has its own handler)."""

    OPEN = "open"  # its card, from the list
    SUPPORT = "support"
    WITHDRAW_SUPPORT = "unsupport"


class InitiativeButton(CallbackData, prefix="initiative"):
    action: InitiativeAction
    id: Id


router.owns(callbacks=(InitiativeListButton, InitiativeButton))


async def list_view(
    initiatives: InitiativeService, page: int, direction: str, tos: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    if tos == CHOOSE_TOS:
        return await tos_choice_view(initiatives, direction)
    tos_name = await initiatives.tos_name(tos) if tos > 0 else None
    if tos_name is None:
        tos = 0  # an unknown TOS: no filter
    items, total = await initiatives.public_page(direction or None, page, PER_PAGE, tos or None)
    title = _("<b>Citizen initiatives</b>")
    if direction in DIRECTIONS:
        title += " · " + _(DIRECTIONS[direction])
    if tos_name:
        title += " · " + escape(tos_name)
    lines = [title]
    if not items:
        lines.append(_("Nothing here yet. Be the first: /initiative"))
    for item in items:
        lines.append(
            f"\n<b>{escape(number_of(item))}</b> · {_(STATUSES[item.status])} · 👍 {item.supports}"
            f"\n{escape(item.title)}"
        )
    rows = [
        [
            InlineKeyboardButton(
                text=_("Open {number}").format(number=number_of(item)),
                callback_data=InitiativeButton(action=InitiativeAction.OPEN, id=item.id).pack(),
            )
        ]
        for item in items
    ]
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text="◀",
                callback_data=InitiativeListButton(
                    page=page - 1, direction=direction, tos=tos
                ).pack(),
            )
        )
    if (page + 1) * PER_PAGE < total:
        paging.append(
            InlineKeyboardButton(
                text="▶",
                callback_data=InitiativeListButton(
                    page=page + 1, direction=direction, tos=tos
                ).pack(),
            )
        )
    if paging:
        rows.append(paging)
    filters = [
        InlineKeyboardButton(
            text=("• " if code == direction else "") + _(label),
            callback_data=InitiativeListButton(page=0, direction=code, tos=tos).pack(),
        )
        for code, label in DIRECTIONS.items()
    ]
    rows += [filters[i : i + 2] for i in range(0, len(filters), 2)]
    extra = []
    if direction:
        extra.append(
            InlineKeyboardButton(
                text=_("All directions"), callback_data=InitiativeListButton(tos=tos).pack()
            )
        )
    if tos:
        extra.append(
            InlineKeyboardButton(
                text=_("All TOS"), callback_data=InitiativeListButton(direction=direction).pack()
            )
        )
    elif await initiatives.public_tos():
        extra.append(
            InlineKeyboardButton(
                text=_("By TOS"),
                callback_data=InitiativeListButton(direction=direction, tos=CHOOSE_TOS).pack(),
            )
        )
    if extra:
        rows.append(extra)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def tos_choice_view(
    initiatives: InitiativeService, direction: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The TOS that have public initiatives, to filter the list by one of them."""
    choices = await initiatives.public_tos()
    text = (
        _("Initiatives of which TOS to show?")
        if choices
        else _("No TOS has public initiatives yet.")
    )
    rows = [
        [
            InlineKeyboardButton(
                text=name,
                callback_data=InitiativeListButton(direction=direction, tos=tos_id).pack(),
            )
        ]
        for tos_id, name in choices
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("◀ Back to the list"),
                callback_data=InitiativeListButton(direction=direction).pack(),
            )
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("initiatives"), PrivateChat())
@router.message(PrivateChat(), TextIs(MENU_LIST))
async def list_initiatives(message: Message, initiatives: InitiativeService) -> None:
    text, markup = await list_view(initiatives, 0, "")
    await message.answer(text, reply_markup=markup)


@router.callback_query(InitiativeListButton.filter())
async def list_page(
    query: CallbackQuery, callback_data: InitiativeListButton, initiatives: InitiativeService
) -> None:
    text, markup = await list_view(
        initiatives, max(0, callback_data.page), callback_data.direction, callback_data.tos
    )
    await button_message(query).edit_text(text, reply_markup=markup)


def public_card(card: InitiativeCard) -> tuple[str, InlineKeyboardMarkup | None]:
    author = card.author.person
    author_line = None
    if author is not None and author.display_name:
        author_line = _("Author: {name}").format(name=escape(author.display_name))
    # Hidden: its author's own view, saying why nobody else sees it.
    notes = (
        [_("🙈 Hidden from the public by moderation for now.")] if card.initiative.hidden else []
    )
    text = card_with_notes(view_of(card), author_line, notes)
    rows = []
    if card.support is not None:
        action, label = (
            (InitiativeAction.WITHDRAW_SUPPORT, _("Withdraw my support"))
            if card.support == SupportOffer.WITHDRAW
            else (InitiativeAction.SUPPORT, _("👍 Support"))
        )
        data = InitiativeButton(action=action, id=card.initiative.id).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    if card.may_report:
        rows.append([report_button(card.initiative.id)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


@router.message(Command("initiative"), HasArgs())
async def by_number(
    message: Message,
    command: CommandObject,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    """`/initiative <number>`: staff get the card with decisions, others the public card."""
    await show_initiative(message, command.args or "", user, role, initiatives)


async def show_initiative(
    message: Message,
    number: str,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    """An initiative by its number (also from a digest's link). `role` is the one in this
    chat: in an ordinary group staff are residents, so an unpublished initiative, the
    author or the decision buttons never show there."""
    card = await initiatives.card(user.id, role, number)
    text, markup = staff_card(card) if card.staff else public_card(card)
    await message.answer(text, reply_markup=markup)


@router.callback_query(InitiativeButton.filter(F.action == InitiativeAction.OPEN))
async def open_card(
    query: CallbackQuery,
    callback_data: InitiativeButton,
    press: Press,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    card = await initiatives.public_card(user.id, role, callback_data.id)
    await press.accept()
    text, markup = public_card(card)
    await button_message(query).answer(text, reply_markup=markup)


@router.callback_query(InitiativeButton.filter(F.action == InitiativeAction.SUPPORT))
async def support(
    query: CallbackQuery,
    callback_data: InitiativeButton,
    press: Press,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    await initiatives.support(user.id, callback_data.id)
    press.tell(_("Thank you for your support!"))
    await _redraw(query, press, callback_data.id, user, role, initiatives)


@router.callback_query(InitiativeButton.filter(F.action == InitiativeAction.WITHDRAW_SUPPORT))
async def withdraw_support(
    query: CallbackQuery,
    callback_data: InitiativeButton,
    press: Press,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    await initiatives.unsupport(user.id, callback_data.id)
    # The card is checked below: support may sit on a merged draft.
    press.tell(_("Your support is withdrawn."))
    await _redraw(query, press, callback_data.id, user, role, initiatives)


async def _redraw(
    query: CallbackQuery,
    press: Press,
    initiative_id: int,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    """The button sat on a card (or on the "similar initiatives" offer): show the card now."""
    await press.accept()
    text, markup = public_card(await initiatives.public_card(user.id, role, initiative_id))
    await button_message(query).edit_text(text, reply_markup=markup)


@router.message(Command("my"), PrivateChat())
@router.message(PrivateChat(), TextIs(MENU_MY))
async def my_items(
    message: Message,
    user: Person,
    initiatives: InitiativeService,
    requests: RequestService,
) -> None:
    """/my: the person's initiatives and support requests, each with its status."""
    mine = await initiatives.of_author(user.id)
    asked = await requests.of_requester(user.id)
    if not mine and not asked:
        await message.answer(
            _(
                "You have no initiatives or requests yet. Propose an initiative: /initiative, "
                "or ask the town hall for support: /request"
            )
        )
        return
    text, markup = my_text(mine, asked, requests)
    await message.answer(text, reply_markup=markup)


def my_text(
    mine: list[Initiative], asked: list[SupportRequest], requests: RequestService
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/my: the initiatives with their status (a rejection with its reason) and the requests
    with a button each. A list: with many long reasons it goes in several messages."""
    lines: list[str] = []
    if mine:
        lines.append(_("<b>Your initiatives</b>"))
    for item in mine:
        line = (
            f"\n<b>{escape(number_of(item))}</b> · {_(STATUSES[item.status])}\n{escape(item.title)}"
        )
        if item.status in INITIATIVE_PUBLIC:
            line += "\n" + _("👍 supported by: {count}").format(count=item.supports)
        if item.hidden:
            line += "\n" + _("🙈 Hidden from the public by moderation for now.")
        if item.status == "rejected":
            reason = item.rejection_reason or "—"
            line += "\n" + _("Reason: {reason}").format(reason=escape(reason))
        lines.append(line)
    text, markup = my_requests(asked, requests)
    if text:
        lines += ([""] if mine else []) + [text]
    return "\n".join(lines).strip(), markup
