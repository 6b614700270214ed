"""/request: a resident, a TOS or an NGO asks the town hall for support, step by step.

The form is a table (FORM) run by the form engine (handlers/forms.py); the rules (the
kinds and their terms, the dates, who may ask on whose behalf) are the request service's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

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
from bot.services.vocabulary import SKIP, TODAY_WORDS, TOMORROW_WORDS
from handlers.filters import HasArgs, PrivateChat, TextIs
from handlers.forms import Answer, Choice, Form, FormCall, Step, typed_is, typed_text
from handlers.menu import MENU_REQUEST, main_menu
from handlers.render import escape
from handlers.request_cards import behalf_label, card_text, number_of, requester_line, view_of_draft
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())

AFTER_TOMORROW_WORDS = N_("the day after tomorrow, day after tomorrow")
MYSELF = N_("Myself")
SHARE_PHONE = N_("📱 Share my phone")

Call = FormCall[RequestDraft, RequestService]
RequestStep = Step[RequestDraft, RequestService]


# -- what the steps read and keep ---------------------------------------------------------


async def behalf_choices(call: Call) -> list[Choice]:
    """Oneself, and each TOS or organisation the person speaks for (typed: its name too)."""
    return [
        Choice(option.code, MYSELF, value=option)
        if option.kind == "self"
        else Choice(
            option.code,
            behalf_label(option.kind, option.name),
            value=option,
            named=True,
            also=(option.name or "",),
        )
        for option in await call.service.behalf_options(call.user.id)
    ]


async def speaks_for_others(call: Call) -> bool:
    """The question is asked only of people linked to a TOS or an organisation."""
    return len(await call.service.behalf_options(call.user.id)) > 1


def ask_behalf(call: Call) -> str:
    question = _("On whose behalf do you ask?")
    if not call.service.names_requester:  # a role can name the person
        question += "\n\n" + _(
            "Staff will see on whose behalf you ask, but not your name or phone. Those "
            "who know who leads the TOS or the organisation will know it is you."
        )
    return question


def keep_behalf(draft: RequestDraft, option: Behalf) -> RequestDraft:
    return replace(draft, behalf_kind=option.kind, behalf_id=option.id, behalf_name=option.name)


async def read_date(call: Call, answer: Answer) -> date:
    """«today», «tomorrow», «the day after tomorrow», or a date (the service's rules)."""
    today = call.service.today()
    shifts = {TODAY_WORDS: 0, TOMORROW_WORDS: 1, AFTER_TOMORROW_WORDS: 2}
    for words, days in shifts.items():
        if typed_is(call.i18n, answer.text, words):
            return check_wanted_date(today + timedelta(days=days), today)
    return parse_date(answer.text or "", today)


async def needs_date(call: Call) -> bool:
    return call.draft.needs_date


def phone_keyboard(call: Call) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(SHARE_PHONE), request_contact=True)],
            [KeyboardButton(text=_(SKIP))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def read_phone(call: Call, answer: Answer) -> str:
    if answer.phone is None:
        # A typed number could be anyone's: only Telegram's button proves it is theirs.
        raise DomainError(
            N_(
                "For your safety the phone is taken only through the «Share my phone» button "
                "below. Or press «Skip»."
            )
        )
    if answer.phone_owner != call.user.id:
        raise DomainError(N_("Please share your own number with the «Share my phone» button."))
    return "+" + "".join(ch for ch in answer.phone if ch.isdigit())


def phone_said(phone: str | None) -> str:
    return _("Thank you, the phone is added.") if phone else _("Without a phone, then.")


async def read_file(call: Call, answer: Answer) -> tuple[str, str]:
    if answer.photo is not None:
        return "photo", answer.photo
    if answer.document is not None:
        return "document", answer.document
    raise DomainError(N_("Send a photo or a document, or press «Skip»."))


def keep_file(draft: RequestDraft, file: tuple[str, str] | None) -> RequestDraft:
    kind, file_id = file or (None, None)
    return replace(draft, file_kind=kind, file_id=file_id)


# -- the form ---------------------------------------------------------------------------------


async def intro(call: Call) -> str:
    if call.service.names_requester:
        privacy = _(
            "Town hall staff will see your name and @username in Telegram, the phone if you "
            "share it, and everything you write."
        )
    else:
        privacy = _(
            "Town hall staff will see only what you write about the request: your name and "
            "phone stay on the server and are not shown to them in Telegram."
        )
    return (
        _("Let's write your request to the town hall; /cancel leaves at any time.")
        + "\n\n"
        + privacy
    )


async def preview(call: Call) -> str:
    draft, service = call.draft, call.service
    wanted = draft.wanted_date if draft.needs_date else None
    due = await service.due_for(draft.kind or "other", service.now(), wanted)
    view = view_of_draft(draft, service.local_date(due))
    text = card_text(
        view, [requester_line(call.service.requester_for_staff(call.user, draft.phone))]
    )
    return _("This is how the town hall will see your request:") + "\n\n" + text


async def submit(call: Call) -> Submitted:
    return await call.service.submit(call.user.id, call.draft)


async def sent(call: Call, result: Submitted) -> None:
    number = number_of(result.request)
    if result.already:
        await call.say(_("This request is already sent as {number}.").format(number=number))
        return
    due = call.service.local_date(result.request.due_at)
    await call.say(
        _(
            "Thank you! Your request is registered as <b>{number}</b>; the answer is due by "
            "{due}. You will hear about every step here, and /my shows the whole conversation."
        ).format(number=escape(number), due=due),
        main_menu(call.role),
    )


FORM = Form(
    "request",
    draft=RequestDraft,
    service="requests",
    unfinished=N_("You have not sent your request yet."),
    intro=intro,
    steps=(
        RequestStep(
            "kind",
            N_("Type"),
            N_("What do you need? Choose the type of support:"),
            choices=tuple(Choice(code, label) for code, label in KINDS.items()),
            retry=N_("Please choose one of the types with the buttons above."),
        ),
        RequestStep(
            "behalf",
            N_("On whose behalf"),
            ask_behalf,
            choices=behalf_choices,
            keep=keep_behalf,
            applies=speaks_for_others,
            retry=N_("Please choose with the buttons above on whose behalf you ask."),
        ),
        RequestStep(
            "description",
            N_("Description"),
            N_("Describe what you need: what, where, for whom (10 to 2000 characters)."),
            read=typed_text(check_description, N_("Please describe what you need in text.")),
        ),
        RequestStep(
            "wanted_date",
            N_("Wanted date"),
            N_(
                "For which date do you need it? Write it as dd.mm.yyyy (e.g. 15.12.2026), "
                "dd.mm, or «tomorrow»."
            ),
            read=read_date,
            keep=lambda draft, wanted: replace(draft, wanted_date=wanted.isoformat()),
            applies=needs_date,  # a type that needs a date, asked again after a change of type
            complete=lambda draft: draft.wanted_date is not None,
            clear=lambda draft: replace(draft, wanted_date=None),
        ),
        RequestStep(
            "phone",
            N_("Phone"),
            N_(
                "A phone helps the town hall to reach you quickly. Share it with the button "
                "below, or press «Skip»."
            ),
            read=read_phone,
            skip=SKIP,
            keyboard=phone_keyboard,
            said=phone_said,
        ),
        RequestStep(
            "attachment",
            N_("Attachment"),
            N_("Attach a photo or a document if it helps (one file), or press «Skip»."),
            read=read_file,
            keep=keep_file,
            skip=SKIP,
        ),
    ),
    preview=preview,
    submit=submit,
    done=sent,
)
router.runs(FORM)


@router.message(Command("request"), HasArgs(False))  # with a number: requests_public
@router.message(TextIs(MENU_REQUEST))
async def start_form(message: Message, state: FSMContext, **data: Any) -> None:
    await FORM.start(message, state, data)
