"""/help, /cancel and /lang: what works for everyone, in any state."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.commands import commands_for
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.staff import Role
from bot.services.users import UserService
from bot.vocabulary import label_variants, normalize_label
from handlers.buttons import OUT_OF_DATE, Press, Presses, Stale
from handlers.filters import PrivateChat, TextIs
from handlers.form_guard import (
    PENDING,
    FormContext,
    FormSwitchAction,
    FormSwitchButton,
    holds_answers,
    live_pending,
    restored,
)
from handlers.menu import MENU_HELP, MENU_LANG, main_menu
from handlers.render import button_message
from handlers.spec import RouterSpec

router = RouterSpec(__name__, presses=Presses(drop=True))

# Each language's name; a catalog names every language in its own words, and a button
# shows each language in itself (Russian in Russian, English in English).
LANGUAGES = {"ru": N_("Russian"), "en": N_("English")}


def language_label(i18n: I18n, code: str) -> str:
    return i18n.gettext(LANGUAGES[code], locale=code)


def language_choices(i18n: I18n) -> str:
    return ", ".join(language_label(i18n, code) for code in LANGUAGES)


def typed_language(i18n: I18n, text: str | None) -> str | None:
    """The language someone typed: its code, or its name in any of our languages."""
    typed = normalize_label(text or "")
    for code, msgid in LANGUAGES.items():
        if typed == code or typed in label_variants(i18n, msgid):
            return code
    return None


class LanguageButton(CallbackData, prefix="lang"):
    code: str  # a code of LANGUAGES


class LangForm(StatesGroup):
    choosing = State()


router.owns(forms=(LangForm,), callbacks=(LanguageButton, FormSwitchButton))


@router.message(Command("cancel"), StateFilter("*"))
async def cancel(message: Message, state: FSMContext, role: Role) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."))
        return
    await state.clear()
    markup = main_menu(role) if message.chat.type == "private" else None
    await message.answer(_("Cancelled. Nothing was saved."), reply_markup=markup)


@router.message(Command("help"))
@router.message(PrivateChat(), TextIs(MENU_HELP))
async def help_(message: Message, role: Role) -> None:
    lines = []
    if role.is_staff:  # their own work first, then what every resident can do
        lines += [staff_commands(role), "", _("<b>Like every resident</b>")]
    else:
        lines += [_("<b>What I can do</b>"), ""]
    lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(Role.RESIDENT)]
    lines += [
        "",
        _("In any form, /cancel leaves it; your answers are kept if the bot restarts."),
    ]
    await message.answer("\n".join(lines))


def staff_commands(role: Role) -> str:
    """The town hall's own commands, for a staff member's welcome and help."""
    lines = [_("<b>For the town hall's staff</b>")]
    lines += [
        f"/{c.name} — {_(c.description)}" for c in commands_for(role) if c.audience >= Role.STAFF
    ]
    return "\n".join(lines)


def language_keyboard(i18n: I18n) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=language_label(i18n, code), callback_data=LanguageButton(code=code).pack()
                )
                for code in LANGUAGES
            ]
        ]
    )


@router.message(Command("lang"), PrivateChat())
@router.message(PrivateChat(), TextIs(MENU_LANG))
async def lang(message: Message, state: FSMContext, i18n: I18n) -> None:
    if not await holds_answers(state):  # the buttons work anyway: a form stays as it is
        await state.set_state(LangForm.choosing)
    await message.answer(_("Choose the language:"), reply_markup=language_keyboard(i18n))


async def _switch(
    message: Message, user: Person, code: str, users: UserService, i18n: I18n, role: Role
) -> None:
    await users.set_locale(user.id, code)
    with i18n.use_locale(code):
        await message.answer(_("Done: I will speak English now."), reply_markup=main_menu(role))


@router.callback_query(LanguageButton.filter())
async def lang_pressed(
    query: CallbackQuery,
    callback_data: LanguageButton,
    press: Press,
    user: Person,
    users: UserService,
    i18n: I18n,
    role: Role,
    state: FSMContext,
) -> None:
    if callback_data.code not in LANGUAGES:
        raise Stale()
    if await state.get_state() == LangForm.choosing.state:
        await state.clear()  # and only this step: a form opened since stays open
    await press.accept()
    await _switch(button_message(query), user, callback_data.code, users, i18n, role)


@router.message(StateFilter(LangForm.choosing))
async def lang_typed(
    message: Message,
    user: Person,
    users: UserService,
    i18n: I18n,
    role: Role,
    state: FSMContext,
) -> None:
    code = typed_language(i18n, message.text)
    if code is None:
        await message.answer(
            _("Please choose one of: {choices}.").format(choices=language_choices(i18n)),
            reply_markup=language_keyboard(i18n),
        )
        return
    await state.clear()
    await _switch(message, user, code, users, i18n, role)


async def _pending(
    callback_data: FormSwitchButton, press: Press, state: FSMContext, clock: Clock
) -> dict[str, Any] | None:
    """What the person chose while the form was under way, if this question's buttons still
    answer it; else the press hears it is out of date, and the question loses its buttons."""
    kept = (await state.get_data()).get(PENDING)
    pending = live_pending(kept, callback_data.token, clock.now())
    if pending is None:
        press.tell(_(OUT_OF_DATE), alert=True)  # not Stale: these buttons go too
        if isinstance(kept, dict) and kept.get("token") == callback_data.token:
            await state.update_data({PENDING: None})  # outlived: not kept either
    return pending


@router.callback_query(FormSwitchButton.filter(F.action == FormSwitchAction.GO_ON))
async def go_on_with_form(
    query: CallbackQuery,
    callback_data: FormSwitchButton,
    press: Press,
    state: FSMContext,
    clock: Clock,
) -> None:
    """«Go on with it»: the form stays as it is, what was chosen meanwhile is forgotten."""
    if await _pending(callback_data, press, state, clock) is None:
        return
    await press.accept()
    await state.update_data({PENDING: None})
    await button_message(query).answer(
        _("Let's go on: answer the last question above. /cancel leaves the form.")
    )


@router.callback_query(FormSwitchButton.filter(F.action == FormSwitchAction.DROP))
async def drop_form(
    query: CallbackQuery,
    callback_data: FormSwitchButton,
    press: Press,
    state: FSMContext,
    bot: Bot,
    dispatcher: Dispatcher,
    clock: Clock,
    **data: Any,
) -> None:
    """«Drop it and go on» (see form_guard.FormGuard): the form goes, and what was chosen
    meanwhile is done now."""
    pending = await _pending(callback_data, press, state, clock)
    if pending is None:
        return
    await state.clear()
    if pending["kind"] == "message":
        await press.accept()
    else:
        await press.hand_over()  # a replayed press answers this one itself
    event = restored(pending, query, bot)
    base = state.base if isinstance(state, FormContext) else state
    for key in ("callback_data", "handler", "press"):
        data.pop(key, None)
    data.update(bot=bot, dispatcher=dispatcher, clock=clock, state=base, raw_state=None)
    await dispatcher.propagate_event(pending["kind"], event, **data)
