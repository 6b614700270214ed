"""Staff moderate what is public: hide, restore or edit a public initiative from its staff
card, always with a reason (a form on the engine); the author's original text of an edited
one; the moderation log (/moderation, paged). The service checks the role at every step."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.initiatives import Initiative, ModerationEntry
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.initiatives import NUMBER, check_description, check_title
from bot.services.moderation import (
    LOG_ACTIONS,
    REASON_LIMITS,
    REPORT_REASONS,
    LogPage,
    ModerationAction,
    ModerationDraft,
    ModerationService,
    check_reason,
)
from handlers.buttons import Press, Presses
from handlers.filters import StaffPlace
from handlers.forms import Form, FormCall, Step, short, typed_text
from handlers.initiative_cards import number_of
from handlers.moderation_buttons import ModAction, ModButton
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

ModCall = FormCall[ModerationDraft, ModerationService]
KEEP = N_("Keep as it is")
REASON_PROMPTS = {
    ModerationAction.HIDE: N_(
        "Why is it hidden from the public? The author will read this reason ({low} to {high} "
        "characters). /cancel to stop."
    ),
    ModerationAction.RESTORE: N_(
        "Why is it shown again? The author will read this note ({low} to {high} characters). "
        "/cancel to stop."
    ),
    ModerationAction.EDIT: N_(
        "Why is the text edited? The author will read this reason ({low} to {high} "
        "characters). /cancel to stop."
    ),
}
DONE = {
    ModerationAction.HIDE: N_("{number} is hidden from the public; the author is told why."),
    ModerationAction.RESTORE: N_("{number} is public again; the author is told."),
    ModerationAction.EDIT: N_(
        "The text of {number} is changed; the author's original is kept and the author is told."
    ),
}


async def editing(call: ModCall) -> bool:
    return call.draft.action == ModerationAction.EDIT


def ask_reason(call: ModCall) -> str:
    prompt = REASON_PROMPTS.get(
        ModerationAction(call.draft.action), REASON_PROMPTS[ModerationAction.HIDE]
    )
    return _(prompt).format(low=REASON_LIMITS[0], high=REASON_LIMITS[1])


async def act(call: ModCall) -> Initiative:
    """The service checks the role and the initiative again; a refusal keeps the step."""
    return await call.service.act(call.user.id, call.draft)


async def acted(call: ModCall, record: Initiative) -> None:
    done = DONE[ModerationAction(call.draft.action)]
    await call.say(_(done).format(number=number_of(record)))


MODERATE = Form(
    "mod",
    draft=ModerationDraft,
    service="moderation",
    steps=(
        Step(
            "title",
            N_("Title"),
            N_("The new title (3 to 120 characters), or «Keep as it is»."),
            read=typed_text(check_title, N_("Please write the title as text.")),
            skip=KEEP,
            applies=editing,
        ),
        Step(
            "description",
            N_("Description"),
            N_("The new text (10 to 2000 characters), or «Keep as it is»."),
            read=typed_text(check_description, N_("Please write the text as text.")),
            skip=KEEP,
            applies=editing,
        ),
        Step(
            "reason",
            N_("Reason"),
            ask_reason,
            read=typed_text(check_reason, N_("Please write the reason as text.")),
        ),
    ),
    submit=act,
    done=acted,
)

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())
router.owns(callbacks=(ModButton,))
router.runs(MODERATE)


async def _start(query: CallbackQuery, callback_data: ModButton, data: dict[str, Any]) -> None:
    service: ModerationService = data["moderation"]
    action = ModerationAction(callback_data.action.value)
    record = await service.check_action(data["user"].id, callback_data.id, action)  # now
    message = button_message(query)
    if action == ModerationAction.EDIT:  # the text as it is, to copy and correct
        await data["press"].accept()
        await message.answer(
            _("The public text of {number} now:").format(number=escape(number_of(record)))
            + f"\n\n<b>{escape(record.title)}</b>\n{escape(record.description)}"
        )
    draft = ModerationDraft(initiative_id=record.id, action=action.value)
    await MODERATE.start(message, data["state"], data, draft=draft)


@router.callback_query(ModButton.filter(F.action == ModAction.HIDE))
async def hide(query: CallbackQuery, callback_data: ModButton, **data: Any) -> None:
    await _start(query, callback_data, data)


@router.callback_query(ModButton.filter(F.action == ModAction.RESTORE))
async def restore(query: CallbackQuery, callback_data: ModButton, **data: Any) -> None:
    await _start(query, callback_data, data)


@router.callback_query(ModButton.filter(F.action == ModAction.EDIT))
async def edit(query: CallbackQuery, callback_data: ModButton, **data: Any) -> None:
    await _start(query, callback_data, data)


@router.callback_query(ModButton.filter(F.action == ModAction.ORIGINAL))
async def original(
    query: CallbackQuery,
    callback_data: ModButton,
    press: Press,
    user: Person,
    moderation: ModerationService,
) -> None:
    record, state = await moderation.original(user.id, callback_data.id)
    await press.accept()
    await button_message(query).answer(
        _("The author's original text of {number}:").format(number=escape(number_of(record)))
        + f"\n\n<b>{escape(state.original_title or '')}</b>\n"
        + escape(state.original_description or "")
    )


# -- the log ------------------------------------------------------------------------------------


def log_line(page: LogPage, entry: ModerationEntry, moderation: ModerationService) -> str:
    number = _(NUMBER).format(year=entry.year, seq=f"{entry.seq:04d}")
    line = f"{moderation.when(entry.at)} · <b>{escape(number)}</b> · "
    line += _(LOG_ACTIONS.get(entry.action, entry.action))
    reason = entry.reason or ""
    if entry.action == "report":
        reason = _(REPORT_REASONS.get(reason, reason))
    elif entry.action == "auto_hide":
        reason = _("reports: {count}").format(count=reason)
    if reason:
        line += f": {escape(short(reason, 120))}"  # ten lines a page within one message
    if entry.action not in ("report", "auto_hide"):
        who = page.staff.get(entry.actor_id) if entry.actor_id is not None else None
        name = who.display_name if who is not None else None
        line += " · " + (escape(short(name, 40)) if name else _("staff"))
    return line


def log_view(page: LogPage, moderation: ModerationService) -> tuple[str, InlineKeyboardMarkup]:
    """Ten steps a page, newest first, each line short: within one message."""
    title = _("<b>Moderation log</b>")
    if page.pages > 1:
        title += f" ({page.page + 1}/{page.pages})"
    lines = [title]
    if not page.entries:
        lines.append(_("Nothing yet: no reports and no moderation."))
    lines += [log_line(page, entry, moderation) for entry in page.entries]
    nav = []
    if page.page > 0:
        data = ModButton(action=ModAction.LOG, page=page.page - 1).pack()
        nav.append(InlineKeyboardButton(text="◀️", callback_data=data))
    if page.page + 1 < page.pages:
        data = ModButton(action=ModAction.LOG, page=page.page + 1).pack()
        nav.append(InlineKeyboardButton(text="▶️", callback_data=data))
    lines.append(_("The whole log as a file: /export"))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[nav] if nav else [])


@router.message(Command("moderation"))
async def log_command(message: Message, user: Person, moderation: ModerationService) -> None:
    page = await moderation.log_page(user.id, 0)
    text, markup = log_view(page, moderation)
    await message.answer(text, reply_markup=markup if markup.inline_keyboard else None)


@router.callback_query(ModButton.filter(F.action == ModAction.LOG))
async def log_page(
    query: CallbackQuery,
    callback_data: ModButton,
    press: Press,
    user: Person,
    moderation: ModerationService,
) -> None:
    page = await moderation.log_page(user.id, callback_data.page)
    await press.accept()
    text, markup = log_view(page, moderation)
    await button_message(query).edit_text(
        text, reply_markup=markup if markup.inline_keyboard else None
    )
