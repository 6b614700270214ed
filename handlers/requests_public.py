"""The requester's side of support requests (open one, write more, rate, reopen) and the
conversation by Telegram replies: staff reply to a card, the requester to an answer."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.domain.requests import SupportRequest
from bot.services.errors import DomainError
from bot.services.requests import RequestClosed, RequesterOffer, RequestService
from bot.services.staff import Role
from bot.services.vocabulary import SKIP
from bot.settings import Settings
from handlers.buttons import Press, Presses, Stale
from handlers.errors import render_error
from handlers.filters import (
    HasArgs,
    IsStaff,
    PrivateChat,
    StaffPlace,
)
from handlers.forms import is_skip
from handlers.render import button_message, escape
from handlers.request_cards import (
    MyRequestAction,
    MyRequestButton,
    number_of,
    requester_keyboard,
    requester_view,
    staff_card,
)
from handlers.requests_staff import message_file
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))


class RequesterForm(StatesGroup):
    write = State()  # a follow-up to an open request
    comment = State()  # an optional comment after rating


router.owns(forms=(RequesterForm,), callbacks=(MyRequestButton,))


def _reply_to_bot(message: Message, bot: Bot) -> Message | None:
    """The bot's message this one replies to, if it is a reply to the bot."""
    reply = message.reply_to_message
    if reply is None or reply.from_user is None or reply.from_user.id != bot.id:
        return None
    return reply


class RepliesToBot(Filter):
    async def __call__(self, message: Message, bot: Bot) -> bool:
        return _reply_to_bot(message, bot) is not None


class RepliesToRequest(Filter):
    """A reply to a message of a request's thread: passes the request and the side."""

    async def __call__(
        self, message: Message, bot: Bot, requests: RequestService
    ) -> bool | dict[str, Any]:
        reply = _reply_to_bot(message, bot)
        if reply is None:
            return False
        found = await requests.thread_of(message.chat.id, reply.message_id)
        return False if found is None else {"thread": found}


async def _follow_up(
    message: Message, user: Person, request_id: int, requests: RequestService
) -> bool:
    """The requester's message to the town hall; a closed request offers to reopen."""
    try:
        record = await requests.follow_up(
            user.id, request_id, message.text or message.caption, message_file(message)
        )
    except RequestClosed as closed:
        offers = (RequesterOffer.REOPEN,) if closed.can_reopen else ()
        markup = requester_keyboard(closed.record.id, offers)
        await message.answer(render_error(closed), reply_markup=markup)
        return False
    await message.answer(
        _("Sent to the town hall ({number}).").format(number=escape(number_of(record)))
    )
    return True


# -- opening a request ----------------------------------------------------------------------


@router.message(Command("request"), HasArgs())
async def by_number(
    message: Message,
    command: CommandObject,
    user: Person,
    role: Role,
    requests: RequestService,
    settings: Settings,
) -> None:
    """`/request <number>`: staff (where staff work) get the card, the requester their view;
    anyone else hears it is not theirs, whether the number exists or not."""
    await show_request(message, command.args or "", user, role, requests, settings)


async def show_request(
    message: Message,
    number: str,
    user: Person,
    role: Role,
    requests: RequestService,
    settings: Settings,
) -> None:
    """A request by its number (also from a digest's link)."""
    if not role.is_staff and message.chat.type != "private":
        return  # the role in this chat: a requester's view only in private
    try:
        card = await requests.card(user.id, role, number)
    except DomainError:
        if role.is_staff:
            raise
        # The same answer for "no such number" and "not yours": numbers are not probed.
        await message.answer(_("Sorry, this is not available to you."))
        return
    if card.requester is None:
        text, markup = requester_view(card, settings)
        await message.answer(text, reply_markup=markup)
        return
    text, markup = staff_card(card, settings)
    sent = await message.answer(text, reply_markup=markup)
    await requests.link_sent(card.request.id, "staff", sent.chat.id, sent.message_id)


def _in_private(query: CallbackQuery) -> Message:
    """The message a requester's button is on: their buttons work in their private chat."""
    message = button_message(query)
    if message.chat.type != "private":
        raise Stale()
    return message


async def _own(
    query: CallbackQuery, callback_data: MyRequestButton, user: Person, requests: RequestService
) -> tuple[Message, SupportRequest]:
    """Whatever the button says, only the requester's own request, checked now."""
    message = _in_private(query)
    return message, await requests.for_requester(user.id, callback_data.id)


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.OPEN))
async def open_request(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    requests: RequestService,
    settings: Settings,
) -> None:
    message = _in_private(query)
    card = await requests.requester_card(user.id, callback_data.id)  # their own only
    await press.accept()
    text, markup = requester_view(card, settings)
    await message.answer(text, reply_markup=markup)


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.WRITE))
async def ask_to_write(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    message, record = await _own(query, callback_data, user, requests)
    requests.check_can_write(record)  # before opening the write step
    await press.accept()
    await state.set_state(RequesterForm.write)
    await state.set_data({"id": record.id})
    await message.answer(
        _("Write to the town hall about {number}: text, a photo or a document.").format(
            number=escape(number_of(record))
        )
    )


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.REOPEN))
async def reopen(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    requests: RequestService,
) -> None:
    message, record = await _own(query, callback_data, user, requests)
    number = number_of(record)
    record = await requests.reopen(user.id, record.id)
    press.drop_buttons()
    await press.accept()
    await message.answer(
        _("{number} is open again; the answer is due by {due}.").format(
            number=escape(number), due=requests.local_date(record.due_at)
        ),
        reply_markup=requester_keyboard(record.id, requests.requester_offers(record)),
    )


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.HELPED))
async def helped(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    await _rate(query, callback_data, press, user, state, requests, helped=True)


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.NOT_HELPED))
async def not_helped(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    await _rate(query, callback_data, press, user, state, requests, helped=False)


async def _rate(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
    *,
    helped: bool,
) -> None:
    """The rating, then the offer to add a comment."""
    message, record = await _own(query, callback_data, user, requests)
    await requests.rate(user.id, record.id, helped=helped)
    press.tell(_("Thank you for the answer!"))
    if message.text is not None or message.caption is not None:
        press.drop_buttons()
    await press.accept()
    await state.set_state(RequesterForm.comment)
    await state.set_data({"id": record.id})
    skip = MyRequestButton(action=MyRequestAction.SKIP_COMMENT, id=record.id)
    await message.answer(
        _("Would you like to add a comment for the town hall? Write it, or press «Skip»."),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_(SKIP), callback_data=skip.pack())]]
        ),
    )


@router.callback_query(MyRequestButton.filter(F.action == MyRequestAction.SKIP_COMMENT))
async def skip_comment(
    query: CallbackQuery,
    callback_data: MyRequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    message, _record = await _own(query, callback_data, user, requests)
    press.drop_buttons()
    await press.accept()
    if await state.get_state() == RequesterForm.comment.state:
        await state.clear()
    await message.answer(_("Thank you! Your rating is saved."))


# -- form steps ---------------------------------------------------------------------------


@router.message(StateFilter(RequesterForm.write), PrivateChat())
async def write_step(
    message: Message, user: Person, state: FSMContext, requests: RequestService
) -> None:
    request_id = int((await state.get_data())["id"])
    await _follow_up(message, user, request_id, requests)
    await state.clear()


@router.message(StateFilter(RequesterForm.comment), PrivateChat())
async def comment_step(
    message: Message, user: Person, state: FSMContext, requests: RequestService, i18n: I18n
) -> None:
    if is_skip(i18n, message.text):
        await state.clear()
        await message.answer(_("Thank you! Your rating is saved."))
        return
    if not message.text:
        await message.answer(_("Please write the comment as text, or press «Skip»."))
        return
    request_id = int((await state.get_data())["id"])
    await requests.rate_comment(user.id, request_id, message.text)
    await state.clear()
    await message.answer(_("Thank you! The town hall will read your comment."))


# -- replies ------------------------------------------------------------------------------


@router.message(StaffPlace(), RepliesToRequest())
async def thread_reply(
    message: Message,
    user: Person,
    thread: tuple[int, str],
    requests: RequestService,
) -> None:
    """A staff reply to a card goes to the requester (the service checks the role); the
    requester's reply to an answer goes to the card's thread (it checks the owner)."""
    request_id, side = thread
    if side == "requester":
        await _follow_up(message, user, request_id, requests)
        return
    record = await requests.answer(
        user.id, request_id, message.text or message.caption, message_file(message)
    )
    await message.answer(
        _("Sent to the requester of {number}.").format(number=escape(number_of(record)))
    )


@router.message(StaffPlace(), IsStaff(), RepliesToBot())
async def not_a_card(message: Message) -> None:
    await message.answer(
        _(
            "This is not a request's card. To answer a requester, reply to the card of their "
            "request (/inbox lists the open ones)."
        )
    )
