"""/competitions: open grant competitions with the time left, a competition's card; chairs and
representatives register (handlers/application_form.py) and withdraw their body's
application. Staff's actions: handlers/competition_staff.py; the announcement form:
handlers/competition_form.py."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.domain.people import Person
from bot.i18n import fill
from bot.services.competitions import CompetitionService
from bot.services.errors import N_
from bot.services.numbers import whole_number
from bot.services.staff import Role
from handlers.application_form import APPLICATION, ApplicationFormDraft
from handlers.buttons import Press, Presses, Stale
from handlers.competition_cards import (
    CompetitionAction,
    CompetitionButton,
    StaffAction,
    button,
    days_left,
    markup,
    show_card,
    staff_button,
)
from handlers.filters import PrivateChat, TextIs
from handlers.menu import MENU_COMPETITIONS
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())
router.owns(callbacks=(CompetitionButton,))
router.runs(APPLICATION)


@router.message(Command("competitions"))
@router.message(TextIs(MENU_COMPETITIONS))
async def competitions_list(
    message: Message, user: Person, role: Role, competitions: CompetitionService, clock: Clock
) -> None:
    found = await competitions.listed(user.id)
    now = clock.now()
    lines = [_("<b>Competitions</b>")]
    if not found:
        lines.append(_("No competitions are open now. You will hear about new ones here."))
    rows = []
    finished = await competitions.finished()  # everyone sees the winners
    for c in found:
        lines.append(
            f"\n🏆 <b>{escape(c.title)}</b> — {escape(c.organiser)}\n"
            + _("until {deadline}, {left}").format(
                deadline=competitions.when(c.deadline), left=days_left(c, now)
            )
        )
        card = CompetitionButton(action=CompetitionAction.CARD, id=c.id)
        rows.append([button(c.title[:60], card)])
    if finished:
        lines.append("\n" + _("<b>Finished</b>"))
    for c in finished:
        assert c.results_announced_at is not None
        lines.append(
            f"🏁 <b>{escape(c.title)}</b> — "
            + _("results of {date}").format(date=competitions.when(c.results_announced_at, "date"))
        )
        card = CompetitionButton(action=CompetitionAction.CARD, id=c.id)
        rows.append([button("🏁 " + c.title[:60], card)])
    if role.is_staff:
        rows.append([staff_button(_("➕ New competition"), StaffAction.NEW)])
    await message.answer("\n".join(lines), reply_markup=markup(rows))


@router.callback_query(CompetitionButton.filter(F.action == CompetitionAction.CARD))
async def open_card(
    query: CallbackQuery,
    callback_data: CompetitionButton,
    user: Person,
    role: Role,
    competitions: CompetitionService,
) -> None:
    c = await competitions.get(callback_data.id, user.id)  # refused before the press is answered
    await show_card(button_message(query), user, role, competitions, c)


@router.callback_query(CompetitionButton.filter(F.action == CompetitionAction.APPLY))
async def apply(query: CallbackQuery, callback_data: CompetitionButton, **data: Any) -> None:
    """The card's «Apply for …»: the application form, for that body and competition."""
    user: Person = data["user"]
    competitions: CompetitionService = data["competitions"]
    kind, _sep, body = callback_data.value.partition("-")
    c = await competitions.get(callback_data.id, user.id)
    mine = await competitions.my_bodies(user.id, c)  # the role is checked again on sending
    body_id = whole_number(body)
    if body_id is None or not any((b.body_kind, b.body_id) == (kind, body_id) for b in mine):
        raise Stale(N_("Your TOS or organisation may not apply to this competition."))
    draft = ApplicationFormDraft(
        body_kind=kind, body_id=body_id, competition_id=c.id, competition_title=c.title
    )
    await APPLICATION.start(button_message(query), data["state"], data, draft=draft)


@router.callback_query(CompetitionButton.filter(F.action == CompetitionAction.WITHDRAW))
async def withdraw(
    query: CallbackQuery,
    callback_data: CompetitionButton,
    press: Press,
    user: Person,
    competitions: CompetitionService,
) -> None:
    app = await competitions.withdraw(user.id, callback_data.id)
    press.drop_buttons()
    await press.accept()
    await button_message(query).answer(
        fill(
            _(
                "The application «{project}» is withdrawn. You can register a new one before "
                "the deadline."
            ),
            project=escape(app.project),
        )
    )
