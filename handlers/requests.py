"""/request: a resident, a TOS or an NGO asks the town hall for support, step by step."""

from __future__ import annotations

from datetime import timedelta

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.services.errors import N_, DomainError
from bot.services.requests import (
    KINDS,
    Behalf,
    RequestDraft,
    RequestService,
    Submitted,
    check_description,
    check_wanted_date,
    parse_date,
)
from bot.services.staff import Role
from bot.services.vocabulary import SKIP, TODAY_WORDS, TOMORROW_WORDS
from bot.settings import Settings
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
from handlers.menu import MENU_REQUEST, main_menu
from handlers.render import button_message, drop_buttons, escape
from handlers.request_cards import behalf_label, card_text, number_of, requester_line, view_of_draft
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

AFTER_TOMORROW_WORDS = N_("the day after tomorrow, day after tomorrow")
MYSELF = N_("Myself")
SHARE_PHONE = N_("📱 Share my phone")
STEP_NAMES = {
    "kind": N_("Type"),
    "behalf": N_("On whose behalf"),
    "description": N_("Description"),
    "wanted_date": N_("Wanted date"),
    "phone": N_("Phone"),
    "attachment": N_("Attachment"),
}


class RequestForm(StatesGroup):
    unfinished = N_("You have not sent your request yet.")
    kind = State()
    behalf = State()
    description = State()
    wanted_date = State()
    phone = State()
    attachment = State()
    preview = State()
    choose_step = State()


class RequestFormCD(CallbackData, prefix="r1"):
    action: str  # kind | behalf | file_skip | send | edit | step | cancel
    value: str = ""  # send | edit | cancel: the draft's token, so another form's preview is stale


router.owns(forms=(RequestForm,), callbacks=(RequestFormCD,))


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=RequestFormCD(action=action, value=value).pack()
    )


async def _draft(state: FSMContext) -> RequestDraft:
    return await load_draft(state, RequestDraft.from_data)


def _behalf_text(option: Behalf) -> str:
    return _(MYSELF) if option.kind == "self" else behalf_label(option.kind, option.name)


class Steps:
    """The form's questions and the order they come in."""

    def __init__(
        self,
        message: Message,
        state: FSMContext,
        user: Person,
        settings: Settings,
        requests: RequestService,
    ) -> None:
        self.message = message
        self.state = state
        self.user = user
        self.settings = settings
        self.requests = requests

    async def after(self, draft: RequestDraft, natural_next: State) -> None:
        """Go on to the next step, or back to the preview when a step was being corrected
        (first asking for a date if the new type needs one)."""
        editing = await is_editing(self.state)
        if not draft.needs_date:
            draft.wanted_date = None
        if editing and draft.needs_date and draft.wanted_date is None:
            natural_next = RequestForm.wanted_date
        elif editing:
            natural_next = RequestForm.preview
        if natural_next == RequestForm.behalf and len(await self._options()) == 1:
            natural_next = RequestForm.description  # offered only where the person is linked
        if natural_next == RequestForm.wanted_date and not draft.needs_date:
            natural_next = RequestForm.phone
        await save_draft(self.state, draft, natural_next)
        await self.ask(natural_next, draft)

    async def _options(self) -> list[Behalf]:
        return await self.requests.behalf_options(self.user.id)

    async def ask(self, step: State, draft: RequestDraft) -> None:
        answer = self.message.answer
        if step == RequestForm.kind:
            rows = [[_button(_(label), "kind", code)] for code, label in KINDS.items()]
            await answer(
                _("What do you need? Choose the type of support:"),
                reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
            )
        elif step == RequestForm.behalf:
            rows = [[_button(_behalf_text(o), "behalf", o.code)] for o in await self._options()]
            question = _("On whose behalf do you ask?")
            if not self.requests.names_requester:  # a role can name the person
                question += "\n\n" + _(
                    "Staff will see on whose behalf you ask, but not your name or phone. Those "
                    "who know who leads the TOS or the organisation will know it is you."
                )
            await answer(question, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
        elif step == RequestForm.description:
            await answer(
                _("Describe what you need: what, where, for whom (10 to 2000 characters).")
            )
        elif step == RequestForm.wanted_date:
            await answer(
                _(
                    "For which date do you need it? Write it as dd.mm.yyyy (e.g. 15.12.2026), "
                    "dd.mm, or «tomorrow»."
                )
            )
        elif step == RequestForm.phone:
            keyboard = ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text=_(SHARE_PHONE), request_contact=True)],
                    [KeyboardButton(text=_(SKIP))],
                ],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            await answer(
                _(
                    "A phone helps the town hall to reach you quickly. Share it with the button "
                    "below, or press «Skip»."
                ),
                reply_markup=keyboard,
            )
        elif step == RequestForm.attachment:
            await answer(
                _("Attach a photo or a document if it helps (one file), or press «Skip»."),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[_button(_(SKIP), "file_skip")]]
                ),
            )
        else:
            await self.preview(draft)

    async def preview(self, draft: RequestDraft) -> None:
        wanted = draft.wanted_date if draft.needs_date else None
        due = self.requests.due_for(draft.kind or "other", self.requests.now(), wanted)
        view = view_of_draft(draft, self.requests.local_date(due))
        requester = self.requests.requester_for_staff(self.user, draft.phone)
        text = card_text(view, [requester_line(requester)])
        await self.message.answer(
            _("This is how the town hall will see your request:") + "\n\n" + text,
            reply_markup=preview_markup(_button, draft.token),
        )


# -- entry ------------------------------------------------------------------------------


@router.message(Command("request"), HasArgs(False))  # with a number: requests_public
@router.message(TextIs(MENU_REQUEST))
async def start_form(
    message: Message,
    state: FSMContext,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    draft = RequestDraft()
    await state.set_state(RequestForm.kind)
    await state.set_data({"draft": draft.to_data()})
    if requests.names_requester:
        privacy = _(
            "Town hall staff will see your name and @username in Telegram, the phone if you "
            "share it, and everything you write."
        )
    else:
        privacy = _(
            "Town hall staff will see only what you write about the request: your name and "
            "phone stay on the server and are not shown to them in Telegram."
        )
    await message.answer(
        _("Let's write your request to the town hall; /cancel leaves at any time.")
        + "\n\n"
        + privacy
    )
    await Steps(message, state, user, settings, requests).ask(RequestForm.kind, draft)


# -- buttons ----------------------------------------------------------------------------


@router.callback_query(RequestFormCD.filter())
async def form_button(
    query: CallbackQuery,
    callback_data: RequestFormCD,
    state: FSMContext,
    user: Person,
    role: Role,
    settings: Settings,
    requests: RequestService,
) -> None:
    message = button_message(query)
    action, value = callback_data.action, callback_data.value
    current = await form_step(query, state, RequestForm, action, value)
    if current is None:
        return
    steps = Steps(message, state, user, settings, requests)
    draft = await _draft(state)
    if action == "kind" and current == RequestForm.kind.state and value in KINDS:
        await query.answer()
        await drop_buttons(message)
        draft.kind = value
        await steps.after(draft, RequestForm.behalf)
    elif action == "behalf" and current == RequestForm.behalf.state:
        options = {o.code: o for o in await requests.behalf_options(user.id)}
        if value not in options:  # a forged or outdated choice
            await query.answer(_("This button is out of date."), show_alert=True)
            return
        await query.answer()
        await drop_buttons(message)
        _set_behalf(draft, options[value])
        await steps.after(draft, RequestForm.description)
    elif action == "file_skip" and current == RequestForm.attachment.state:
        await query.answer()
        await drop_buttons(message)
        draft.file_kind = draft.file_id = None
        await steps.after(draft, RequestForm.preview)
    elif action == "send" and current == RequestForm.preview.state:
        await query.answer()
        try:
            result = await requests.submit(user.id, draft)
        except DomainError as error:  # e.g. the wanted date passed: back to that step
            await refused_on_sending(
                message, state, error, SENT_BACK_TO, lambda step: steps.ask(step, draft)
            )
            return
        await drop_buttons(message)
        await _sent(message, state, result, role, requests)
    elif action == "edit" and current == RequestForm.preview.state:
        await query.answer()
        await drop_buttons(message)
        await state.set_state(RequestForm.choose_step)
        names = dict(STEP_NAMES)
        if len(await requests.behalf_options(user.id)) == 1:
            names.pop("behalf")
        if not draft.needs_date:
            names.pop("wanted_date")
        rows = [[_button(_(label), "step", name)] for name, label in names.items()]
        await message.answer(
            _("Which step to change?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )
    elif action == "step" and current == RequestForm.choose_step.state and value in STEP_NAMES:
        await query.answer()
        await drop_buttons(message)
        target: State = getattr(RequestForm, value)
        await edit_step(state, draft, target)
        await steps.ask(target, draft)
    elif action == "cancel":
        await cancel_form(query, message, state, role)
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


def _set_behalf(draft: RequestDraft, option: Behalf) -> None:
    draft.behalf_kind, draft.behalf_id, draft.behalf_name = option.kind, option.id, option.name


# Where a refusal on sending takes the person back (the field a rule names).
SENT_BACK_TO = {
    "kind": RequestForm.kind,
    "behalf": RequestForm.behalf,
    "description": RequestForm.description,
    "wanted_date": RequestForm.wanted_date,
}


async def _sent(
    message: Message, state: FSMContext, result: Submitted, role: Role, requests: RequestService
) -> None:
    await state.clear()
    number = number_of(result.request)
    if result.already:
        await message.answer(_("This request is already sent as {number}.").format(number=number))
        return
    await message.answer(
        _(
            "Thank you! Your request is registered as <b>{number}</b>; the answer is due by "
            "{due}. You will hear about every step here, and /my shows the whole conversation."
        ).format(number=escape(number), due=requests.local_date(result.request.due_at)),
        reply_markup=main_menu(role),
    )


# -- typed answers ------------------------------------------------------------------------


@router.message(StateFilter(RequestForm.kind))
async def kind_typed(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    for code, label in KINDS.items():
        if typed_is(i18n, message.text, label):
            draft = await _draft(state)
            draft.kind = code
            await Steps(message, state, user, settings, requests).after(draft, RequestForm.behalf)
            return
    await message.answer(_("Please choose one of the types with the buttons above."))


@router.message(StateFilter(RequestForm.behalf))
async def behalf_typed(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    typed = normalize_label(message.text or "")
    for option in await requests.behalf_options(user.id):
        if option.kind == "self":
            chosen = typed_is(i18n, message.text, MYSELF)
        else:
            names = {normalize_label(option.name or ""), normalize_label(_behalf_text(option))}
            chosen = bool(typed) and typed in names
        if chosen:
            draft = await _draft(state)
            _set_behalf(draft, option)
            steps = Steps(message, state, user, settings, requests)
            await steps.after(draft, RequestForm.description)
            return
    await message.answer(_("Please choose with the buttons above on whose behalf you ask."))


@router.message(StateFilter(RequestForm.description))
async def description_typed(
    message: Message,
    state: FSMContext,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    description = await checked_text(
        message, _("Please describe what you need in text."), check_description
    )
    if description is None:
        return
    draft = await _draft(state)
    draft.description = description
    await Steps(message, state, user, settings, requests).after(draft, RequestForm.wanted_date)


@router.message(StateFilter(RequestForm.wanted_date))
async def date_typed(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    today = requests.today()
    shifts = {TODAY_WORDS: 0, TOMORROW_WORDS: 1, AFTER_TOMORROW_WORDS: 2}
    try:
        for words, days in shifts.items():
            if typed_is(i18n, message.text, words):
                wanted = check_wanted_date(today + timedelta(days=days), today)
                break
        else:
            wanted = parse_date(message.text or "", today)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    draft = await _draft(state)
    draft.wanted_date = wanted.isoformat()
    await Steps(message, state, user, settings, requests).after(draft, RequestForm.phone)


@router.message(StateFilter(RequestForm.phone))
async def phone_step(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    draft = await _draft(state)
    if message.contact is not None:
        if message.contact.user_id != user.id:
            await message.answer(
                _("Please share your own number with the «Share my phone» button.")
            )
            return
        phone = "".join(ch for ch in message.contact.phone_number if ch.isdigit())
        draft.phone = "+" + phone
        await message.answer(
            _("Thank you, the phone is added."), reply_markup=ReplyKeyboardRemove()
        )
    elif is_skip(i18n, message.text):
        draft.phone = None
        await message.answer(_("Without a phone, then."), reply_markup=ReplyKeyboardRemove())
    else:
        # A typed number could be anyone's: only Telegram's button proves it is theirs.
        await message.answer(
            _(
                "For your safety the phone is taken only through the «Share my phone» button "
                "below. Or press «Skip»."
            )
        )
        return
    await Steps(message, state, user, settings, requests).after(draft, RequestForm.attachment)


@router.message(StateFilter(RequestForm.attachment))
async def attachment_step(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    user: Person,
    settings: Settings,
    requests: RequestService,
) -> None:
    draft = await _draft(state)
    if message.photo:
        draft.file_kind, draft.file_id = "photo", message.photo[-1].file_id
    elif message.document:
        draft.file_kind, draft.file_id = "document", message.document.file_id
    elif is_skip(i18n, message.text):
        draft.file_kind = draft.file_id = None
    else:
        await message.answer(_("Send a photo or a document, or press «Skip»."))
        return
    await Steps(message, state, user, settings, requests).after(draft, RequestForm.preview)


@router.message(StateFilter(RequestForm.preview, RequestForm.choose_step))
async def preview_typed(message: Message) -> None:
    await message.answer(_("Please use the buttons under the preview: send, change or cancel."))
