"""Staff on support requests: the card's buttons (take, answer, close, decline), the answer
and reason steps, and /inbox, open requests with the earliest due first."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.domain.requests import SupportRequest
from bot.services.errors import N_, DomainError
from bot.services.requests import (
    KINDS,
    STATUSES,
    ExtensionDraft,
    RequestService,
    check_reason,
)
from bot.services.when import local_text
from bot.settings import Settings
from handlers.buttons import Press, Presses
from handlers.filters import AddressedToBot, StaffPlace
from handlers.forms import Answer, Form, FormCall, Step, ask_about, typed_text
from handlers.render import button_message, escape
from handlers.request_cards import RequestAction, RequestButton, number_of, staff_card
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())


class StaffReplyForm(StatesGroup):
    answer = State()  # the answer to the requester: text, a photo or a document
    reason = State()  # why the request is declined


router.owns(forms=(StaffReplyForm,), callbacks=(RequestButton,))


# -- 59-FZ's extension: by how long, then why ------------------------------------------------

ExtendCall = FormCall[ExtensionDraft, RequestService]


async def extension_intro(call: ExtendCall) -> str:
    record = await call.service.extendable(call.user.id, call.draft.request_id)
    return _(
        "The answer to {number} is due by {due}. 59-FZ allows extending the term once, by up "
        "to 30 days, telling the requester why."
    ).format(number=escape(number_of(record)), due=call.service.local_date(record.due_at))


async def read_days(call: ExtendCall, answer: Answer) -> int:
    if not answer.text:
        raise DomainError(N_("Please write the number of days or the date as text."))
    record = await call.service.extendable(call.user.id, call.draft.request_id)
    return call.service.extension_days(record, answer.text)


async def extend(call: ExtendCall) -> SupportRequest:
    return await call.service.extend(call.user.id, call.draft)


async def extended(call: ExtendCall, record: SupportRequest) -> None:
    await call.say(
        _("The term of {number} is extended to {due}; the requester is told why.").format(
            number=escape(number_of(record)), due=call.service.local_date(record.due_at)
        )
    )


EXTENSION = Form(
    "extend",
    draft=ExtensionDraft,
    service="requests",
    intro=extension_intro,
    steps=(
        Step(
            "days",
            N_("New term"),
            N_(
                "By how many days to extend it (1 to 30), or to which date (dd.mm.yyyy)? "
                "/cancel to stop."
            ),
            read=read_days,
        ),
        Step(
            "reason",
            N_("Reason"),
            N_("Why is the term extended? The requester will read this reason."),
            read=typed_text(check_reason, N_("Please write the reason as text.")),
        ),
    ),
    submit=extend,
    done=extended,
)
router.runs(EXTENSION)


def message_file(message: Message) -> tuple[str, str] | None:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None


async def refresh(
    message: Message, request_id: int, requests: RequestService, settings: Settings
) -> None:
    """Redraw the card a button was pressed on (other cards follow through the outbox)."""
    text, markup = staff_card(await requests.staff_card(request_id), settings)
    if message.text is not None:
        await message.edit_text(text, reply_markup=markup)  # "not modified" is fine


@router.callback_query(RequestButton.filter(F.action == RequestAction.OPEN))
async def open_card(
    query: CallbackQuery,
    callback_data: RequestButton,
    press: Press,
    user: Person,
    requests: RequestService,
    settings: Settings,
) -> None:
    card = await requests.staff_card(callback_data.id, actor_id=user.id)  # staff only, now
    await press.accept()
    text, markup = staff_card(card, settings)
    sent = await button_message(query).answer(text, reply_markup=markup)
    await requests.link_sent(card.request.id, "staff", sent.chat.id, sent.message_id)


async def _pressed_on(
    callback_data: RequestButton, user: Person, requests: RequestService
) -> SupportRequest:
    """The request a card's button is about, for staff only, checked now."""
    return await requests.for_staff(user.id, callback_data.id)


@router.callback_query(RequestButton.filter(F.action == RequestAction.TAKE))
async def take(
    query: CallbackQuery,
    callback_data: RequestButton,
    press: Press,
    user: Person,
    requests: RequestService,
    settings: Settings,
) -> None:
    record = await _pressed_on(callback_data, user, requests)
    taken = await requests.take(user.id, record.id)
    press.tell(_("{number} is yours now.").format(number=number_of(record)))
    await refresh(button_message(query), taken.id, requests, settings)


@router.callback_query(RequestButton.filter(F.action == RequestAction.CLOSE))
async def close(
    query: CallbackQuery,
    callback_data: RequestButton,
    press: Press,
    user: Person,
    requests: RequestService,
    settings: Settings,
) -> None:
    record = await _pressed_on(callback_data, user, requests)
    closed = await requests.close(user.id, record.id)
    press.tell(_("{number} is closed.").format(number=number_of(record)))
    await refresh(button_message(query), closed.id, requests, settings)


@router.callback_query(RequestButton.filter(F.action == RequestAction.ANSWER))
async def ask_answer(
    query: CallbackQuery,
    callback_data: RequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    record = await _pressed_on(callback_data, user, requests)
    requests.check_can_answer(record)  # before asking for the text
    await press.accept()
    question = _(
        "Write the answer to {number}: text, a photo or a document. The requester "
        "gets it in the town hall's name. /cancel to leave."
    ).format(number=number_of(record))
    await ask_about(button_message(query), state, StaffReplyForm.answer, record.id, question)


@router.callback_query(RequestButton.filter(F.action == RequestAction.DECLINE))
async def ask_reason(
    query: CallbackQuery,
    callback_data: RequestButton,
    press: Press,
    user: Person,
    state: FSMContext,
    requests: RequestService,
) -> None:
    record = await _pressed_on(callback_data, user, requests)
    requests.check_can_reject(record)  # before asking for the reason
    await press.accept()
    question = _("Why is {number} declined? The requester will read this reason.").format(
        number=number_of(record)
    )
    await ask_about(button_message(query), state, StaffReplyForm.reason, record.id, question)


@router.callback_query(RequestButton.filter(F.action == RequestAction.EXTEND))
async def ask_extension(query: CallbackQuery, callback_data: RequestButton, **data: Any) -> None:
    requests: RequestService = data["requests"]
    record = await requests.extendable(data["user"].id, callback_data.id)  # checked now
    draft = ExtensionDraft(request_id=record.id)
    await EXTENSION.start(button_message(query), data["state"], data, draft=draft)


@router.message(StateFilter(StaffReplyForm.answer), AddressedToBot())
async def answer_given(
    message: Message, user: Person, state: FSMContext, requests: RequestService
) -> None:
    request_id = int((await state.get_data())["id"])
    record = await requests.answer(
        user.id, request_id, message.text or message.caption, message_file(message)
    )
    await state.clear()
    await message.answer(
        _("Sent to the requester of {number}.").format(number=escape(number_of(record)))
    )


@router.message(StateFilter(StaffReplyForm.reason), AddressedToBot())
async def reason_given(
    message: Message, user: Person, state: FSMContext, requests: RequestService
) -> None:
    if not message.text or not message.text.strip():
        await message.answer(_("Please write the reason as text."))
        return
    request_id = int((await state.get_data())["id"])
    record = await requests.reject(user.id, request_id, message.text)
    await state.clear()
    await message.answer(
        _("{number} is declined; the requester is told the reason.").format(
            number=escape(number_of(record))
        )
    )


@router.message(Command("inbox"))
async def inbox(
    message: Message, user: Person, requests: RequestService, settings: Settings
) -> None:
    items, total = await requests.inbox(user.id)
    if not items:
        await message.answer(_("No open requests. 🎉"))
        return
    lines = [_("<b>Open requests</b>: {count}, the earliest due first").format(count=total)]
    rows = []
    for item in items:
        number = number_of(item)
        due = requests.local_date(item.due_at)
        line = _("{number} · {status} · {kind} · {due}").format(
            number=f"<b>{escape(number)}</b>",
            status=_(STATUSES[item.status]),
            kind=_(KINDS[item.kind]),
            due=_("extended to {date}").format(date=due)
            if item.extended
            else _("due {date}").format(date=due),
        )
        if item.wanted_date is not None:
            needed = local_text(item.wanted_date, None, "date")
            line += " · " + _("needed {date}").format(date=needed)
        if requests.is_overdue(item):
            line = "⚠️ " + line + " — " + _("<b>overdue</b>")
        lines.append(line)
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("Open {number}").format(number=number),
                    callback_data=RequestButton(action=RequestAction.OPEN, id=item.id).pack(),
                )
            ]
        )
    if total > len(items):
        lines.append(_("… and {count} more").format(count=total - len(items)))
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
