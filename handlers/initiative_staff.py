"""Staff decisions on an initiative: from its card's buttons, with a reason, a comment,
"after" photos or the number of the initiative it duplicates."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.initiatives import Initiative
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.initiatives import (
    MAX_PHOTOS,
    REASON_LIMITS,
    STATUSES,
    InitiativeService,
    check_transition,
)
from bot.services.staff import StaffService
from handlers.buttons import Press, Presses, Stale
from handlers.filters import AddressedToBot, StaffPlace
from handlers.forms import ask_about, prompt_markup, typed_is
from handlers.initiative_cards import ASKING, DecisionAction, DecisionButton, number_of, staff_card
from handlers.render import button_message
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
FINISH_WORDS = N_("done, no photos, skip")


class DecisionForm(StatesGroup):
    reason = State()  # a rejection's reason
    comment = State()  # a free comment to the author
    after_photos = State()  # "done", with photos of the result
    merge_into = State()  # the number of the initiative a duplicate joins


router.owns(forms=(DecisionForm,), callbacks=(DecisionButton,))


async def _refresh(message: Message, initiative_id: int, initiatives: InitiativeService) -> None:
    """Redraw the card the decision was made on (other cards follow through the outbox)."""
    text, markup = staff_card(await initiatives.staff_card(initiative_id))
    if message.text is not None:
        await message.edit_text(text, reply_markup=markup)  # "not modified" is fine


async def _decided_on(
    callback_data: DecisionButton,
    user: Person,
    staff: StaffService,
    initiatives: InitiativeService,
    status: str | None = None,
) -> Initiative:
    """The initiative a decision button is about, for staff only (whatever the button says,
    at the moment it is pressed), and the transition to `status` allowed from where it is
    now (before asking for a reason or photos)."""
    staff.require_staff(user.id)
    record = await initiatives.find(callback_data.id)
    if status is not None:
        check_transition(record, status)
    return record


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.STATUS))
async def set_status(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    status = callback_data.status
    record = await _decided_on(callback_data, user, staff, initiatives)
    if status in ASKING:  # these ask first, with buttons of their own
        raise Stale()
    check_transition(record, status)
    decided = await initiatives.decide(user.id, record.id, status)
    press.tell(
        _("{number}: {status}.").format(number=number_of(record), status=_(STATUSES[status]))
    )
    await _refresh(button_message(query), decided.id, initiatives)


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.REJECT))
async def ask_reason(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    record = await _decided_on(callback_data, user, staff, initiatives, "rejected")
    await press.accept()
    question = _(
        "Why is {number} rejected? The author will read this reason (up to {max} characters)."
    ).format(number=number_of(record), max=REASON_LIMITS[1])
    await ask_about(button_message(query), state, DecisionForm.reason, record.id, question)


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.DONE))
async def ask_after_photos(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    message = button_message(query)
    record = await _decided_on(callback_data, user, staff, initiatives, "done")
    await press.accept()
    await state.set_state(DecisionForm.after_photos)
    await state.set_data({"id": record.id, "photos": []})
    finish = DecisionButton(action=DecisionAction.FINISH, id=record.id)
    await message.answer(
        _("Send up to {max} photos of the result, or «done» to finish without them.").format(
            max=MAX_PHOTOS
        ),
        reply_markup=prompt_markup(message)
        or InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=_("Finish"), callback_data=finish.pack())]]
        ),
    )


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.FINISH))
async def finish(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    record = await _decided_on(callback_data, user, staff, initiatives)
    data = await state.get_data()
    if await state.get_state() != DecisionForm.after_photos.state or data.get("id") != record.id:
        raise Stale()
    await initiatives.decide(user.id, record.id, "done", after_photos=data.get("photos", []))
    await state.clear()
    press.tell(_("Done."))
    press.drop_buttons()
    await press.accept()
    await button_message(query).answer(
        _("{number} is marked done.").format(number=number_of(record))
    )


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.COMMENT))
async def ask_comment(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    record = await _decided_on(callback_data, user, staff, initiatives)
    await press.accept()
    question = _("Write the comment for the author of {number}:").format(number=number_of(record))
    await ask_about(button_message(query), state, DecisionForm.comment, record.id, question)


@router.callback_query(DecisionButton.filter(F.action == DecisionAction.MERGE))
async def ask_merge_target(
    query: CallbackQuery,
    callback_data: DecisionButton,
    press: Press,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    record = await _decided_on(callback_data, user, staff, initiatives)
    await press.accept()
    question = _("{number} duplicates which initiative? Send its number.").format(
        number=number_of(record)
    )
    await ask_about(button_message(query), state, DecisionForm.merge_into, record.id, question)


@router.message(StateFilter(DecisionForm.reason), AddressedToBot())
async def reason_given(
    message: Message, user: Person, state: FSMContext, initiatives: InitiativeService
) -> None:
    if not message.text or not message.text.strip():
        await message.answer(_("Please write the reason as text."))
        return
    initiative_id = int((await state.get_data())["id"])
    record = await initiatives.decide(user.id, initiative_id, "rejected", comment=message.text)
    await state.clear()
    await message.answer(
        _("{number} is rejected; the author is told the reason.").format(number=number_of(record))
    )


@router.message(StateFilter(DecisionForm.comment), AddressedToBot())
async def comment_given(
    message: Message, user: Person, state: FSMContext, initiatives: InitiativeService
) -> None:
    if not message.text:
        await message.answer(_("Please write the comment as text."))
        return
    initiative_id = int((await state.get_data())["id"])
    await initiatives.comment(user.id, initiative_id, message.text)
    await state.clear()
    await message.answer(_("Sent to the author."))


@router.message(StateFilter(DecisionForm.after_photos), AddressedToBot())
async def after_photo(
    message: Message,
    user: Person,
    state: FSMContext,
    initiatives: InitiativeService,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    photos: list[str] = data.get("photos", [])
    if message.photo:
        if len(photos) >= MAX_PHOTOS:
            await message.answer(_("That is enough photos; send «done» to finish."))
            return
        photos.append(message.photo[-1].file_id)
        await state.update_data(photos=photos)
        await message.answer(
            _("Photo {count} of {max} added. More, or «done».").format(
                count=len(photos), max=MAX_PHOTOS
            )
        )
        return
    if typed_is(i18n, message.text, FINISH_WORDS):
        record = await initiatives.decide(user.id, int(data["id"]), "done", after_photos=photos)
        await state.clear()
        await message.answer(_("{number} is marked done.").format(number=number_of(record)))
        return
    await message.answer(_("Send a photo of the result, or «done» to finish."))


@router.message(StateFilter(DecisionForm.merge_into), AddressedToBot())
async def merge_target(
    message: Message, user: Person, state: FSMContext, initiatives: InitiativeService
) -> None:
    duplicate_id = int((await state.get_data())["id"])
    target = await initiatives.find_by_number(message.text or "")
    await initiatives.merge(user.id, duplicate_id, target.id)
    await state.clear()
    await message.answer(
        _("Merged into {number}; both authors are told.").format(number=number_of(target))
    )
