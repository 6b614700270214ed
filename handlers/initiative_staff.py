"""Staff decisions on an initiative: from its card's buttons, with a reason, a comment,
"after" photos or the number of the initiative it duplicates."""

from __future__ import annotations

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
from handlers.filters import AddressedToBot, StaffPlace
from handlers.forms import ask_about, prompt_markup, typed_is
from handlers.initiative_cards import DecideCD, number_of, staff_card
from handlers.render import button_message, drop_buttons
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
FINISH_WORDS = N_("done, no photos, skip")


class DecisionForm(StatesGroup):
    reason = State()  # a rejection's reason
    comment = State()  # a free comment to the author
    after_photos = State()  # "done", with photos of the result
    merge_into = State()  # the number of the initiative a duplicate joins


router.owns(forms=(DecisionForm,), callbacks=(DecideCD,))


async def _refresh(message: Message, initiative_id: int, initiatives: InitiativeService) -> None:
    """Redraw the card the decision was made on (other cards follow through the outbox)."""
    text, markup = staff_card(await initiatives.staff_card(initiative_id))
    if message.text is not None:
        await message.edit_text(text, reply_markup=markup)  # "not modified" is fine


@router.callback_query(DecideCD.filter())
async def decide_button(
    query: CallbackQuery,
    callback_data: DecideCD,
    user: Person,
    state: FSMContext,
    staff: StaffService,
    initiatives: InitiativeService,
) -> None:
    message = button_message(query)
    staff.require_staff(user.id)  # whatever the button says, at the moment it is pressed
    record = await initiatives.find(callback_data.id)
    number = number_of(record)
    if callback_data.action == "to":
        check_transition(record, callback_data.status)  # before asking for a reason or photos
    if callback_data.action == "to" and callback_data.status == "rejected":
        await query.answer()
        await ask_about(
            message, state, DecisionForm.reason, record.id,
            _(
                "Why is {number} rejected? The author will read this reason (up to {max} "
                "characters)."
            ).format(number=number, max=REASON_LIMITS[1]),
        )  # fmt: skip
    elif callback_data.action == "to" and callback_data.status == "done":
        await query.answer()
        await state.set_state(DecisionForm.after_photos)
        await state.set_data({"id": record.id, "photos": []})
        await message.answer(
            _("Send up to {max} photos of the result, or «done» to finish without them.").format(
                max=MAX_PHOTOS
            ),
            reply_markup=prompt_markup(message)
            or InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("Finish"),
                            callback_data=DecideCD(action="finish", id=record.id).pack(),
                        )
                    ]
                ]
            ),
        )
    elif callback_data.action == "finish":
        data = await state.get_data()
        if (
            await state.get_state() != DecisionForm.after_photos.state
            or data.get("id") != record.id
        ):
            await query.answer(_("This button is out of date."), show_alert=True)
            return
        await initiatives.decide(user.id, record.id, "done", after_photos=data.get("photos", []))
        await state.clear()
        await query.answer(_("Done."))
        await drop_buttons(message)
        await message.answer(_("{number} is marked done.").format(number=number))
    elif callback_data.action == "to":
        decided = await initiatives.decide(user.id, record.id, callback_data.status)
        await query.answer(
            _("{number}: {status}.").format(number=number, status=_(STATUSES[callback_data.status]))
        )
        await _refresh(message, decided.id, initiatives)
    elif callback_data.action == "comment":
        await query.answer()
        await ask_about(
            message, state, DecisionForm.comment, record.id,
            _("Write the comment for the author of {number}:").format(number=number),
        )  # fmt: skip
    elif callback_data.action == "merge":
        await query.answer()
        await ask_about(
            message, state, DecisionForm.merge_into, record.id,
            _("{number} duplicates which initiative? Send its number.").format(number=number),
        )  # fmt: skip
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


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
