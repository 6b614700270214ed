"""/start, the 152-FZ consent step, /privacy and withdrawing consent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.i18n import fill
from bot.services.errors import N_
from bot.services.initiatives import InitiativeService
from bot.services.registry import RegistryService
from bot.services.requests import RequestService
from bot.services.staff import Role, StaffService
from bot.services.users import TelegramProfile, UserService
from bot.services.vocabulary import AGREE_WORDS, DISAGREE_WORDS
from bot.services.when import local_text
from bot.settings import Settings
from handlers.buttons import Press, Presses
from handlers.common import staff_commands
from handlers.deeplinks import act_on_payload, card_number
from handlers.filters import PrivateChat, TextIs
from handlers.form_guard import leave_form
from handlers.initiatives_public import show_initiative
from handlers.menu import MENU_PRIVACY, main_menu
from handlers.render import button_message, escape
from handlers.requests_public import show_request
from handlers.spec import RouterSpec

router = RouterSpec(__name__, presses=Presses(drop=True))
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

# Telegram allows only these characters in a /start payload; anything else was typed by hand.
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

AGREE = N_("✅ I agree")
DISAGREE = N_("I do not agree")
# What people type instead of pressing the buttons; comma-separated, per language.


class ConsentAction(StrEnum):
    """What a button about consent does (each has its own handler)."""

    AGREE = "agree"  # under the notice
    DECLINE = "decline"  # under the notice
    WITHDRAW = "withdraw"  # /privacy: asks first
    CONFIRM = "confirm"  # «Yes, withdraw and delete»
    KEEP = "keep"  # «No, keep it»


class ConsentButton(CallbackData, prefix="consent"):
    action: ConsentAction


@dataclass(frozen=True, slots=True)
class ConsentDeps:
    staff: StaffService
    i18n: I18n
    settings: Settings
    registry: RegistryService


class ConsentForm(StatesGroup):
    deciding = State()


router.owns(forms=(ConsentForm,), callbacks=(ConsentButton,))


def notice_text(settings: Settings) -> str:
    if settings.municipality_name:
        operator = fill(
            _("The bot is run by the town hall of {name}."), name=escape(settings.municipality_name)
        )
    else:
        operator = _("The bot is run by the town hall.")
    return _(
        "<b>Consent to the processing of personal data</b>\n\n"
        "{operator} Under Federal Law No. 152-FZ "
        "we ask for your consent before we keep anything about you.\n\n"
        "<b>What we keep:</b> your messenger account (id, name, username, language) and what "
        "you send us yourself: initiatives, requests, photos, addresses or locations, the "
        "phone number you choose to share, your TOS and event sign-ups.\n\n"
        "<b>Why:</b> to consider your initiatives and requests, answer you, tell you about "
        "events and competitions, and count anonymous figures for the town hall's report.\n\n"
        "<b>For how long:</b> until you withdraw your consent. Then we delete your name and "
        "contacts; your initiatives and requests stay only without your personal data.\n\n"
        "<b>How to withdraw:</b> at any time with /privacy, button «Withdraw consent»."
    ).format(operator=operator)


def consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_(AGREE), callback_data=ConsentButton(action=ConsentAction.AGREE).pack()
                )
            ],
            [
                InlineKeyboardButton(
                    text=_(DISAGREE),
                    callback_data=ConsentButton(action=ConsentAction.DECLINE).pack(),
                )
            ],
        ]
    )


async def ask_consent(message: Message, settings: Settings, state: FSMContext) -> None:
    await state.set_state(ConsentForm.deciding)
    await message.answer(notice_text(settings), reply_markup=consent_keyboard())


async def greet(message: Message, role: Role) -> None:
    if role.is_staff:
        text = (
            _(
                "Hello! You are on the town hall's staff list. New initiatives and support "
                "requests come to you as cards with buttons, and a digest every morning."
            )
            + "\n\n"
            + staff_commands(role)
            + "\n\n"
            + _("/help lists everything, the residents' commands too.")
        )
    else:
        text = _(
            "Hello! Here you can propose an initiative for your yard or street, ask the town "
            "hall for help and follow the answer, and hear about events and competitions.\n\n"
            "Choose an action below or send /help."
        )
    await message.answer(text, reply_markup=main_menu(role))


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    user: Person,
    users: UserService,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    staff: StaffService,
    registry: RegistryService,
    initiatives: InitiativeService,
    requests: RequestService,
    i18n: I18n,
) -> None:
    payload = command.args.strip() if command.args else None
    if payload and not PAYLOAD_RE.fullmatch(payload):
        await message.answer(_("This link is not valid. Please ask for a new one."))
        payload = None
    if not user.has_consent:
        if payload:
            # Kept in the database until consent, so a restart in between loses nothing.
            await users.keep_payload(user.id, payload)
        await ask_consent(message, settings, state)
        return
    await leave_form(state)  # a form with answers: asked first
    link = card_number(payload) if payload else None
    if link is not None:  # a card from a digest's link
        kind, number = link
        role = staff.role_of(user.id)
        if kind == "initiative":
            await show_initiative(message, number, user, role, initiatives)
        else:
            await show_request(message, number, user, role, requests, settings)
        return
    if payload:
        await act_on_payload(message, bot, user, payload, staff, users, i18n, settings, registry)
    await greet(message, staff.role_of(user.id))


async def _agree(
    message: Message,
    profile: TelegramProfile,
    users: UserService,
    state: FSMContext,
    bot: Bot,
    deps: ConsentDeps,
) -> None:
    user, payload = await users.give_consent(profile)
    await state.clear()
    await message.answer(_("Thank you! Your consent is recorded."))
    if payload:
        await act_on_payload(
            message, bot, user, payload, deps.staff, users, deps.i18n, deps.settings, deps.registry
        )
    # The payload may have changed the role (a staff invite): show the menu that fits now.
    await greet(message, deps.staff.role_of(user.id))


async def _declined(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        _(
            "Understood. Without consent we keep only your messenger id and language, so the "
            "bot cannot take your initiatives or requests. If you change your mind, send /start."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


@router.callback_query(ConsentButton.filter(F.action == ConsentAction.AGREE))
async def agree(
    query: CallbackQuery,
    press: Press,
    profile: TelegramProfile,
    user: Person,
    users: UserService,
    role: Role,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    staff: StaffService,
    registry: RegistryService,
    i18n: I18n,
) -> None:
    message = button_message(query)
    await press.accept()
    if user.has_consent:
        await greet(message, role)
        return
    await _agree(message, profile, users, state, bot, ConsentDeps(staff, i18n, settings, registry))


@router.callback_query(ConsentButton.filter(F.action == ConsentAction.DECLINE))
async def decline(query: CallbackQuery, press: Press, user: Person, state: FSMContext) -> None:
    message = button_message(query)
    await press.accept()
    if user.has_consent:  # a button from an old notice: say what is really in force
        await message.answer(_("Your consent is in force. To withdraw it, use /privacy."))
        return
    await _declined(message, state)


@router.callback_query(ConsentButton.filter(F.action == ConsentAction.WITHDRAW))
async def ask_to_withdraw(query: CallbackQuery, press: Press) -> None:
    await press.accept()
    await button_message(query).answer(
        _(
            "Withdraw your consent? We will delete your name and username, the phone you "
            "shared, what you wrote in your requests to the town hall and any unfinished "
            "form. Your initiatives stay, without your name. You can give consent again "
            "later with /start."
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Yes, withdraw and delete"),
                        callback_data=ConsentButton(action=ConsentAction.CONFIRM).pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=_("No, keep it"),
                        callback_data=ConsentButton(action=ConsentAction.KEEP).pack(),
                    )
                ],
            ]
        ),
    )


@router.callback_query(ConsentButton.filter(F.action == ConsentAction.CONFIRM))
async def withdraw(
    query: CallbackQuery, press: Press, user: Person, users: UserService, state: FSMContext
) -> None:
    message = button_message(query)
    await press.accept()
    report = await users.withdraw_consent(user.id)
    await state.clear()
    if not report.profile_erased:
        await message.answer(
            _("Your consent is already withdrawn; your name and username are deleted.")
        )
        return
    await message.answer(
        _(
            "Done. Your consent is withdrawn; your name and username, your phone and what "
            "you wrote in your requests are deleted, and your initiatives stay without your "
            "name. We keep only the record of when you gave and withdrew consent (the law "
            "requires it), your messenger id and your language. To use the bot again, send "
            "/start."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


@router.callback_query(ConsentButton.filter(F.action == ConsentAction.KEEP))
async def keep(query: CallbackQuery, press: Press) -> None:
    await press.accept()
    await button_message(query).answer(_("Nothing changed: your consent stays in force."))


@router.message(StateFilter(ConsentForm.deciding), TextIs(AGREE, AGREE_WORDS))
async def consent_typed_yes(
    message: Message,
    profile: TelegramProfile,
    users: UserService,
    state: FSMContext,
    bot: Bot,
    staff: StaffService,
    registry: RegistryService,
    i18n: I18n,
    settings: Settings,
) -> None:
    deps = ConsentDeps(staff, i18n, settings, registry)
    await _agree(message, profile, users, state, bot, deps)


@router.message(StateFilter(ConsentForm.deciding), TextIs(DISAGREE, DISAGREE_WORDS))
async def consent_typed_no(message: Message, state: FSMContext) -> None:
    await _declined(message, state)


@router.message(Command("privacy"))
@router.message(TextIs(MENU_PRIVACY))
async def privacy(message: Message, user: Person, settings: Settings) -> None:
    if user.has_consent:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Withdraw consent"),
                        callback_data=ConsentButton(action=ConsentAction.WITHDRAW).pack(),
                    )
                ]
            ]
        )
        given = _("You gave your consent on {date}.").format(
            date=local_text(user.consent_at, settings.timezone, "date") if user.consent_at else "—"
        )
        await message.answer(f"{notice_text(settings)}\n\n{given}", reply_markup=markup)
    else:
        await message.answer(notice_text(settings), reply_markup=consent_keyboard())


@router.message(StateFilter(ConsentForm.deciding))
async def consent_unclear(message: Message) -> None:
    await message.answer(
        fill(
            _("Please press «{agree}» or «{disagree}» under the notice above."),
            agree=_(AGREE),
            disagree=_(DISAGREE),
        )
    )
