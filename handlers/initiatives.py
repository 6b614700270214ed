"""/initiative: a resident proposes an initiative, step by step, and sends it to the town hall.

The form is a table (FORM) run by the form engine (handlers/forms.py); the rules are the
initiative service's."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

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
from bot.services.status_groups import INITIATIVE_PUBLIC
from bot.services.vocabulary import AGREE_WORDS, DISAGREE_WORDS
from handlers.buttons import Stale
from handlers.filters import HasArgs, PrivateChat, TextIs
from handlers.forms import Answer, Choice, Form, FormCall, Stay, Step, typed_text
from handlers.initiative_cards import card_text, number_of, staff_author_line, view_of_draft
from handlers.initiatives_public import InitiativeAction, InitiativeButton
from handlers.menu import MENU_PROPOSE, main_menu
from handlers.render import escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())

DONE_WORDS = N_("done, next, no photos, skip")
NO_TOS = N_("Without a TOS")

Call = FormCall[Draft, InitiativeService]
InitiativeStep = Step[Draft, InitiativeService]


# -- what the steps read and keep ---------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    file_id: str
    caption: str | None = None


def with_photo(draft: Draft, photo: Photo | None) -> Draft:
    """The draft with one more photo (and its caption), unless it has the most already."""
    if photo is None or len(draft.photos) >= MAX_PHOTOS:
        return draft
    captions = {**draft.captions, photo.file_id: photo.caption} if photo.caption else draft.captions
    return replace(draft, photos=[*draft.photos, photo.file_id], captions=captions)


@dataclass(frozen=True)
class Described:
    """The description step's answer: the text, and a photo sent with it or before it."""

    text: str | None
    photo: Photo | None = None


async def read_description(call: Call, answer: Answer) -> Described | Stay:
    if answer.photo is None:
        if not answer.text:
            raise DomainError(N_("Please describe the idea in text."))
        return Described(check_description(answer.text))
    photo = Photo(answer.photo)
    if not answer.caption:  # a photo sent early: kept, and the text still asked for
        return Stay(
            Described(None, photo),
            N_("The photo is kept. Now describe the idea in text (10 to 2000 characters)."),
        )
    return Described(check_description(answer.caption), photo)  # its caption describes it


def keep_description(draft: Draft, described: Described) -> Draft:
    draft = with_photo(draft, described.photo)
    return draft if described.text is None else replace(draft, description=described.text)


async def read_photo(call: Call, answer: Answer) -> Stay:
    """One photo more (its caption kept with it, shown on the cards); the step stays."""
    if answer.photo is None:
        raise DomainError(N_("Send a photo, or press «Done» to go on without more photos."))
    caption = check_caption(answer.caption) if answer.caption else None
    if len(call.draft.photos) >= MAX_PHOTOS:
        raise DomainError(
            N_("That is more than {max} photos: this one is not added. Press «Done»."),
            max=MAX_PHOTOS,
        )
    return Stay(Photo(answer.photo, caption))


def ask_photos(call: Call) -> str:
    if not call.draft.photos:
        return _("Add up to {max} photos if you have them, then press «Done».").format(
            max=MAX_PHOTOS
        )
    return _("Photo added ({count} of {max}). Send more or press «Done».").format(
        count=len(call.draft.photos), max=MAX_PHOTOS
    )


@dataclass(frozen=True)
class Place:
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


async def read_place(call: Call, answer: Answer) -> Place:
    """A shared location (inside the town) or a typed address."""
    if answer.location is not None:
        return Place(None, *call.service.check_location(*answer.location))
    try:
        return Place(check_address(answer.text or ""))
    except DomainError:
        low, high = ADDRESS_LIMITS
        raise DomainError(
            N_(
                "Share a location or type the address ({low} to {high} characters), or press "
                "«Skip»."
            ),
            low=low,
            high=high,
        ) from None


def keep_place(draft: Draft, place: Place | None) -> Draft:
    place = place or Place()
    return replace(draft, address=place.address, latitude=place.latitude, longitude=place.longitude)


async def tos_choices(call: Call) -> list[Choice]:
    """The person's own TOS (the step is asked only of people in one)."""
    return [
        Choice(str(tos.id), tos.name, named=True)
        for tos in await call.service.tos_choices(call.user.id)
    ]


async def pick_tos(call: Call, code: str) -> Tos:
    """A TOS pressed (or typed): checked again, it must still be one of the person's."""
    tos_id = whole_number(code)
    if not tos_id:
        raise Stale()
    return await call.service.check_tos_choice(call.user.id, tos_id)


def keep_tos(draft: Draft, tos: Tos | None) -> Draft:
    return replace(draft, tos_id=None if tos is None else tos.id)


async def in_a_tos(call: Call) -> bool:
    return call.draft.tos_id is not None or bool(await call.service.tos_choices(call.user.id))


# -- the form ---------------------------------------------------------------------------------


async def intro(call: Call) -> str:
    if await call.service.tos_choices(call.user.id):  # one more step: which TOS
        return _("Let's write your initiative: seven short steps, /cancel leaves at any time.")
    return _("Let's write your initiative: six short steps, /cancel leaves at any time.")


async def preview(call: Call) -> str:
    tos_name = await call.service.tos_name(call.draft.tos_id)
    view = view_of_draft(call.draft, tos_name)
    text = card_text(view, staff_author_line(call.service.author_for_staff(call.user)))
    return _("This is how the town hall will see it:") + "\n\n" + text


async def submit(call: Call) -> Submitted:
    return await call.service.submit(call.user.id, call.draft)


async def sent(call: Call, result: Submitted) -> None:
    number = number_of(result.initiative)
    if result.already:
        await call.say(_("This initiative is already sent as {number}.").format(number=number))
        return
    await call.say(
        _(
            "Thank you! Your initiative is registered as <b>{number}</b>. The town hall will "
            "consider it, and you will hear about every decision here. /my shows its status."
        ).format(number=escape(number)),
        main_menu(call.role),
    )
    if not result.duplicates:
        return
    rows = [
        [
            InlineKeyboardButton(
                text=_("👍 Support {number}").format(number=number_of(other)),
                callback_data=InitiativeButton(action=InitiativeAction.SUPPORT, id=other.id).pack(),
            )
        ]
        for other in result.duplicates
        if other.status in INITIATIVE_PUBLIC
    ]
    lines = [_("Similar initiatives already exist. Is yours one of these?")]
    lines += [f"• {escape(number_of(o))} — {escape(o.title)}" for o in result.duplicates]
    if rows:
        lines.append(_("You can support one of them instead."))
    await call.say("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


FORM = Form(
    "initiative",
    draft=Draft,
    service="initiatives",
    unfinished=N_("You have not sent your initiative yet."),
    intro=intro,
    steps=(
        InitiativeStep(
            "direction",
            N_("Direction"),
            N_("What is your initiative about? Choose a direction:"),
            choices=tuple(Choice(code, label) for code, label in DIRECTIONS.items()),
            retry=N_("Please choose one of the directions with the buttons above."),
        ),
        InitiativeStep(
            "title",
            N_("Title"),
            N_("A short title, 3 to 120 characters (e.g. «Benches in the yard»):"),
            read=typed_text(check_title, N_("Please write the title as text.")),
        ),
        InitiativeStep(
            "description",
            N_("Description"),
            N_("Describe the idea: what to do, where and why it matters (10 to 2000 characters)."),
            read=read_description,
            keep=keep_description,
        ),
        InitiativeStep(
            "photos",
            N_("Photos"),
            ask_photos,
            read=read_photo,
            keep=with_photo,
            skip=N_("Done"),
            skip_words=DONE_WORDS,
            clear=lambda draft: replace(draft, photos=[], captions={}),  # chosen again: anew
        ),
        InitiativeStep(
            "place",
            N_("Place"),
            N_("Where is it? Share a location (📎 → Location) or type the address."),
            read=read_place,
            keep=keep_place,
            skip=N_("Skip"),
        ),
        InitiativeStep(
            "tos",
            N_("TOS"),
            N_("Is it an initiative of your TOS? Choose it, or go on without a TOS."),
            choices=tos_choices,
            pick=pick_tos,
            keep=keep_tos,
            skip=NO_TOS,
            applies=in_a_tos,
            retry=N_("Please choose your TOS with the buttons above, or «Without a TOS»."),
        ),
        InitiativeStep(
            "show_author",
            N_("Name in public"),
            N_(
                "When the initiative is accepted, others will see it in the public list. "
                "Show your name there? Without your permission we never show it."
            ),
            choices=(
                Choice("1", N_("Yes, show my name"), value=True, words=AGREE_WORDS),
                Choice("0", N_("No, stay anonymous"), value=False, words=DISAGREE_WORDS),
            ),
            retry=N_("Please press one of the buttons: show your name or not."),
        ),
    ),
    preview=preview,
    submit=submit,
    done=sent,
)
router.runs(FORM)


@router.message(Command("initiative"), HasArgs(False))  # with a number: initiatives_public
@router.message(TextIs(MENU_PROPOSE))
async def start_form(message: Message, state: FSMContext, **data: Any) -> None:
    await FORM.start(message, state, data)
