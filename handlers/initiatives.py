"""/initiative: a resident proposes an initiative, step by step, and sends it to the town hall."""

from __future__ import annotations

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
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
from bot.domain.registry import Tos
from bot.services.errors import N_, DomainError
from bot.services.initiatives import (
    ADDRESS_LIMITS,
    DIRECTIONS,
    MAX_PHOTOS,
    Draft,
    InitiativeService,
    Submitted,
    check_address,
    check_caption,
    check_description,
    check_title,
)
from bot.services.numbers import whole_number
from bot.services.staff import Role
from bot.services.status_groups import INITIATIVE_PUBLIC
from bot.services.vocabulary import AGREE_WORDS, DISAGREE_WORDS
from bot.vocabulary import normalize_label
from handlers.errors import render_error
from handlers.filters import HasArgs, PrivateChat, TextIs
from handlers.forms import (
    cancel_form,
    checked_text,
    edit_step,
    form_step,
    is_editing,
    is_skip,
    load_draft,
    preview_markup,
    refused_on_sending,
    save_draft,
    typed_is,
)
from handlers.initiative_cards import (
    card_text,
    number_of,
    staff_author_line,
    view_of_draft,
)
from handlers.initiatives_public import SupportCD
from handlers.menu import MENU_PROPOSE, main_menu
from handlers.render import button_message, drop_buttons, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

DONE_WORDS = N_("done, next, no photos, skip")
NO_TOS = N_("Without a TOS")
STEP_NAMES = {
    "direction": N_("Direction"),
    "title": N_("Title"),
    "description": N_("Description"),
    "photos": N_("Photos"),
    "place": N_("Place"),
    "tos": N_("TOS"),
    "show_author": N_("Name in public"),
}


class InitiativeForm(StatesGroup):
    unfinished = N_("You have not sent your initiative yet.")
    direction = State()
    title = State()
    description = State()
    photos = State()
    place = State()
    tos = State()
    show_author = State()
    preview = State()
    choose_step = State()


class FormCD(CallbackData, prefix="f1"):
    action: str  # dir | photos_done | place_skip | tos | show | send | edit | step | cancel
    value: str = ""  # send | edit | cancel: the draft's token, so another form's preview is stale


router.owns(forms=(InitiativeForm,), callbacks=(FormCD,))


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FormCD(action=action, value=value).pack())


async def _draft(state: FSMContext) -> Draft:
    return await load_draft(state, Draft.from_data)


async def _after_place(
    message: Message,
    state: FSMContext,
    draft: Draft,
    user: Person,
    initiatives: InitiativeService,
) -> None:
    """After the place: the TOS step if the person is in a TOS; without one, skipped."""
    choices = [] if await is_editing(state) else await initiatives.tos_choices(user.id)
    if not choices:
        await _after_step(message, state, draft, InitiativeForm.show_author, initiatives, user)
        return
    await save_draft(state, draft, InitiativeForm.tos)
    await ask_tos(message, choices)


async def _after_step(
    message: Message,
    state: FSMContext,
    draft: Draft,
    natural_next: State,
    initiatives: InitiativeService,
    user: Person,
) -> None:
    """Go on to the next step, or back to the preview when a step was being corrected."""
    if await is_editing(state):
        await save_draft(state, draft, InitiativeForm.preview)
        await show_preview(message, state, draft, initiatives, user)
    else:
        await save_draft(state, draft, natural_next)
        await ASK[natural_next.state](message, draft)


# -- the questions ----------------------------------------------------------------------


async def ask_direction(message: Message, draft: Draft) -> None:
    rows = [[_button(_(label), "dir", code)] for code, label in DIRECTIONS.items()]
    await message.answer(
        _("What is your initiative about? Choose a direction:"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def ask_title(message: Message, draft: Draft) -> None:
    await message.answer(_("A short title, 3 to 120 characters (e.g. «Benches in the yard»):"))


async def ask_description(message: Message, draft: Draft) -> None:
    await message.answer(
        _("Describe the idea: what to do, where and why it matters (10 to 2000 characters).")
    )


async def ask_photos(message: Message, draft: Draft) -> None:
    await message.answer(
        _("Add up to {max} photos if you have them, then press «Done».").format(max=MAX_PHOTOS),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[_button(_("Done"), "photos_done")]]),
    )


async def ask_place(message: Message, draft: Draft) -> None:
    await message.answer(
        _("Where is it? Share a location (📎 → Location) or type the address."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[_button(_("Skip"), "place_skip")]]),
    )


async def ask_tos(message: Message, choices: list[Tos]) -> None:
    rows = [[_button(tos.name, "tos", str(tos.id))] for tos in choices]
    rows.append([_button(_(NO_TOS), "tos", "0")])
    await message.answer(
        _("Is it an initiative of your TOS? Choose it, or go on without a TOS."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def ask_show_author(message: Message, draft: Draft) -> None:
    await message.answer(
        _(
            "When the initiative is accepted, others will see it in the public list. "
            "Show your name there? Without your permission we never show it."
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [_button(_("Yes, show my name"), "show", "1")],
                [_button(_("No, stay anonymous"), "show", "0")],
            ]
        ),
    )


ASK = {
    InitiativeForm.direction.state: ask_direction,
    InitiativeForm.title.state: ask_title,
    InitiativeForm.description.state: ask_description,
    InitiativeForm.photos.state: ask_photos,
    InitiativeForm.place.state: ask_place,
    InitiativeForm.show_author.state: ask_show_author,
}


async def show_preview(
    message: Message, state: FSMContext, draft: Draft, initiatives: InitiativeService, user: Person
) -> None:
    tos_name = (await state.get_data()).get("tos_name") if draft.tos_id is not None else None
    author = staff_author_line(initiatives.author_for_staff(user))
    text = card_text(view_of_draft(draft, tos_name), author)
    await message.answer(
        _("This is how the town hall will see it:") + "\n\n" + text,
        reply_markup=preview_markup(_button, draft.token),
    )


# -- entry ------------------------------------------------------------------------------


@router.message(Command("initiative"), HasArgs(False))  # with a number: initiatives_public
@router.message(TextIs(MENU_PROPOSE))
async def start_form(
    message: Message, state: FSMContext, user: Person, initiatives: InitiativeService
) -> None:
    draft = Draft()
    await state.set_state(InitiativeForm.direction)
    await state.set_data({"draft": draft.to_data()})
    if await initiatives.tos_choices(user.id):  # one more step: which TOS
        opening = _("Let's write your initiative: seven short steps, /cancel leaves at any time.")
    else:
        opening = _("Let's write your initiative: six short steps, /cancel leaves at any time.")
    await message.answer(opening)
    await ask_direction(message, draft)


# -- steps ------------------------------------------------------------------------------


@router.callback_query(FormCD.filter())
async def form_button(
    query: CallbackQuery,
    callback_data: FormCD,
    state: FSMContext,
    user: Person,
    role: Role,
    initiatives: InitiativeService,
) -> None:
    message = button_message(query)
    action, value = callback_data.action, callback_data.value
    current = await form_step(query, state, InitiativeForm, action, value)
    if current is None:
        return
    draft = await _draft(state)
    if action == "dir" and current == InitiativeForm.direction.state and value in DIRECTIONS:
        await query.answer()
        await drop_buttons(message)
        draft.direction = value
        await _after_step(message, state, draft, InitiativeForm.title, initiatives, user)
    elif action == "photos_done" and current == InitiativeForm.photos.state:
        await query.answer()
        await drop_buttons(message)
        await _after_step(message, state, draft, InitiativeForm.place, initiatives, user)
    elif action == "place_skip" and current == InitiativeForm.place.state:
        await query.answer()
        await drop_buttons(message)
        draft.address = draft.latitude = draft.longitude = None
        await _after_place(message, state, draft, user, initiatives)
    elif (
        action == "tos"
        and current == InitiativeForm.tos.state
        and ((tos_id := whole_number(value)) is not None)
    ):
        await _choose_tos(query, message, state, draft, tos_id, user, initiatives)
    elif action == "show" and current == InitiativeForm.show_author.state:
        await query.answer()
        await drop_buttons(message)
        draft.show_author = value == "1"
        await save_draft(state, draft, InitiativeForm.preview)
        await show_preview(message, state, draft, initiatives, user)
    elif action == "send" and current == InitiativeForm.preview.state:
        await query.answer()
        try:
            result = await initiatives.submit(user.id, draft)
        except DomainError as error:  # e.g. they left the TOS: back to that step
            await refused_on_sending(
                message, state, error, SENT_BACK_TO,
                lambda step: _ask_again(message, step, draft, user, initiatives),
            )  # fmt: skip
            return
        await drop_buttons(message)
        await _sent(message, state, result, role)
    elif action == "edit" and current == InitiativeForm.preview.state:
        await query.answer()
        await drop_buttons(message)
        await state.set_state(InitiativeForm.choose_step)
        steps = dict(STEP_NAMES)
        if draft.tos_id is None and not await initiatives.tos_choices(user.id):
            del steps["tos"]  # nothing to choose from
        rows = [[_button(_(label), "step", name)] for name, label in steps.items()]
        await message.answer(
            _("Which step to change?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    elif action == "step" and current == InitiativeForm.choose_step.state and value in STEP_NAMES:
        await query.answer()
        await drop_buttons(message)
        target: State = getattr(InitiativeForm, value)
        if value == "photos":
            draft.photos, draft.captions = [], {}
        await edit_step(state, draft, target)
        if value == "tos":
            await ask_tos(message, await initiatives.tos_choices(user.id))
        else:
            await ASK[target.state](message, draft)
    elif action == "cancel":
        await cancel_form(query, message, state, role)
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


async def _choose_tos(
    query: CallbackQuery | None,
    message: Message,
    state: FSMContext,
    draft: Draft,
    tos_id: int,
    user: Person,
    initiatives: InitiativeService,
) -> None:
    """The TOS step's answer: 0 for none, else one of the person's TOS (checked again)."""
    name = None
    if tos_id:
        name = (await initiatives.check_tos_choice(user.id, tos_id)).name  # refusal answers
    if query is not None:
        await query.answer()
        await drop_buttons(message)
    draft.tos_id = tos_id or None
    await state.update_data(tos_name=name)
    await _after_step(message, state, draft, InitiativeForm.show_author, initiatives, user)


# Where a refusal on sending takes the person back (the field a rule names).
SENT_BACK_TO = {
    "direction": InitiativeForm.direction,
    "title": InitiativeForm.title,
    "description": InitiativeForm.description,
    "place": InitiativeForm.place,
    "tos": InitiativeForm.tos,
}


async def _ask_again(
    message: Message, step: State, draft: Draft, user: Person, initiatives: InitiativeService
) -> None:
    if step == InitiativeForm.tos:
        await ask_tos(message, await initiatives.tos_choices(user.id))
    else:
        await ASK[step.state or ""](message, draft)


async def _sent(message: Message, state: FSMContext, result: Submitted, role: Role) -> None:
    await state.clear()
    number = number_of(result.initiative)
    if result.already:
        await message.answer(
            _("This initiative is already sent as {number}.").format(number=number)
        )
        return
    await message.answer(
        _(
            "Thank you! Your initiative is registered as <b>{number}</b>. The town hall will "
            "consider it, and you will hear about every decision here. /my shows its status."
        ).format(number=escape(number)),
        reply_markup=main_menu(role),
    )
    if result.duplicates:
        rows = [
            [
                InlineKeyboardButton(
                    text=_("👍 Support {number}").format(number=number_of(other)),
                    callback_data=SupportCD(action="support", id=other.id).pack(),
                )
            ]
            for other in result.duplicates
            if other.status in INITIATIVE_PUBLIC
        ]
        lines = [_("Similar initiatives already exist. Is yours one of these?")]
        lines += [f"• {escape(number_of(o))} — {escape(o.title)}" for o in result.duplicates]
        if rows:
            lines.append(_("You can support one of them instead."))
        await message.answer(
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
        )


@router.message(StateFilter(InitiativeForm.direction))
async def direction_typed(
    message: Message, state: FSMContext, i18n: I18n, initiatives: InitiativeService, user: Person
) -> None:
    for code, label in DIRECTIONS.items():
        if typed_is(i18n, message.text, label):
            draft = await _draft(state)
            draft.direction = code
            await _after_step(message, state, draft, InitiativeForm.title, initiatives, user)
            return
    await message.answer(_("Please choose one of the directions with the buttons above."))


@router.message(StateFilter(InitiativeForm.title))
async def title_typed(
    message: Message, state: FSMContext, initiatives: InitiativeService, user: Person
) -> None:
    title = await checked_text(message, _("Please write the title as text."), check_title)
    if title is None:
        return
    draft = await _draft(state)
    draft.title = title
    await _after_step(message, state, draft, InitiativeForm.description, initiatives, user)


@router.message(StateFilter(InitiativeForm.description))
async def description_typed(
    message: Message, state: FSMContext, initiatives: InitiativeService, user: Person
) -> None:
    draft = await _draft(state)
    if message.photo:  # a photo sent early: kept, and its caption is the description
        if not message.caption:
            if _add_photo(draft, message.photo[-1].file_id, None):
                await save_draft(state, draft, None)
            await message.answer(
                _("The photo is kept. Now describe the idea in text (10 to 2000 characters).")
            )
            return
        try:
            draft.description = check_description(message.caption)
        except DomainError as error:
            await message.answer(render_error(error))
            return
        _add_photo(draft, message.photo[-1].file_id, None)
        if await is_editing(state):
            await _after_step(message, state, draft, InitiativeForm.photos, initiatives, user)
            return
        await save_draft(state, draft, InitiativeForm.photos)
        await _photo_added(message, draft)
        return
    description = await checked_text(
        message, _("Please describe the idea in text."), check_description
    )
    if description is None:
        return
    draft.description = description
    await _after_step(message, state, draft, InitiativeForm.photos, initiatives, user)


def _add_photo(draft: Draft, file_id: str, caption: str | None) -> bool:
    """Add a photo with its caption to the draft; False when it already has the most."""
    if len(draft.photos) >= MAX_PHOTOS:
        return False
    draft.photos.append(file_id)
    if caption:
        draft.captions[file_id] = caption
    return True


async def _photo_added(message: Message, draft: Draft) -> None:
    await message.answer(
        _("Photo added ({count} of {max}). Send more or press «Done».").format(
            count=len(draft.photos), max=MAX_PHOTOS
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[_button(_("Done"), "photos_done")]]),
    )


@router.message(StateFilter(InitiativeForm.photos))
async def photos_step(
    message: Message, state: FSMContext, initiatives: InitiativeService, user: Person, i18n: I18n
) -> None:
    draft = await _draft(state)
    if message.photo:
        caption = None
        if message.caption:  # kept with the photo, and shown on the cards
            try:
                caption = check_caption(message.caption)
            except DomainError as error:
                await message.answer(render_error(error))
                return
        if not _add_photo(draft, message.photo[-1].file_id, caption):
            await message.answer(
                _("That is more than {max} photos: this one is not added. Press «Done».").format(
                    max=MAX_PHOTOS
                )
            )
            return
        await save_draft(state, draft, None)
        await _photo_added(message, draft)
        return
    if typed_is(i18n, message.text, DONE_WORDS):
        await _after_step(message, state, draft, InitiativeForm.place, initiatives, user)
        return
    await message.answer(_("Send a photo, or press «Done» to go on without more photos."))


def _address(text: str) -> str | None:
    try:
        return check_address(text)
    except DomainError:
        return None


@router.message(StateFilter(InitiativeForm.place))
async def place_step(
    message: Message,
    state: FSMContext,
    user: Person,
    i18n: I18n,
    initiatives: InitiativeService,
) -> None:
    draft = await _draft(state)
    if message.location:
        try:
            latitude, longitude = initiatives.check_location(
                message.location.latitude, message.location.longitude
            )
        except DomainError as error:
            await message.answer(render_error(error))
            return
        draft.latitude, draft.longitude, draft.address = latitude, longitude, None
    elif is_skip(i18n, message.text):
        draft.address = draft.latitude = draft.longitude = None
    elif message.text and (address := _address(message.text)):
        draft.address, draft.latitude, draft.longitude = address, None, None
    else:
        low, high = ADDRESS_LIMITS
        await message.answer(
            _(
                "Share a location or type the address ({low} to {high} characters), or press "
                "«Skip»."
            ).format(low=low, high=high)
        )
        return
    await _after_place(message, state, draft, user, initiatives)


@router.message(StateFilter(InitiativeForm.tos))
async def tos_typed(
    message: Message,
    state: FSMContext,
    user: Person,
    i18n: I18n,
    initiatives: InitiativeService,
) -> None:
    typed = normalize_label(message.text or "")
    draft = await _draft(state)
    if is_skip(i18n, message.text) or typed_is(i18n, message.text, NO_TOS):
        await _choose_tos(None, message, state, draft, 0, user, initiatives)
        return
    choices = await initiatives.tos_choices(user.id)
    for tos in choices:
        if typed and typed == normalize_label(tos.name):
            await _choose_tos(None, message, state, draft, tos.id, user, initiatives)
            return
    await message.answer(_("Please choose your TOS with the buttons above, or «Without a TOS»."))


@router.message(StateFilter(InitiativeForm.show_author))
async def show_author_typed(
    message: Message, state: FSMContext, initiatives: InitiativeService, user: Person, i18n: I18n
) -> None:
    yes = typed_is(i18n, message.text, AGREE_WORDS)
    if not yes and not typed_is(i18n, message.text, DISAGREE_WORDS):
        await message.answer(_("Please press one of the buttons: show your name or not."))
        return
    draft = await _draft(state)
    draft.show_author = yes
    await save_draft(state, draft, InitiativeForm.preview)
    await show_preview(message, state, draft, initiatives, user)


@router.message(StateFilter(InitiativeForm.preview, InitiativeForm.choose_step))
async def preview_typed(message: Message) -> None:
    await message.answer(_("Please use the buttons under the preview: send, change or cancel."))
