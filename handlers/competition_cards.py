"""What the competition screens show: a competition's card (and the announcement form's
preview), an application's line, and the buttons of both (a resident's `CompetitionButton`,
staff's `CompetitionStaffButton`, each action with its own handler in handlers/competitions.py
and handlers/competition_staff.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.competitions import Application, Competition
from bot.domain.people import Person
from bot.i18n import fill, render_args
from bot.services.competitions import ELIGIBLE, CompetitionDraft, CompetitionService
from bot.services.errors import N_
from bot.services.initiatives import DIRECTIONS
from bot.services.staff import Role
from bot.services.when import time_left
from handlers.forms import short
from handlers.ids import Id, Page
from handlers.render import escape, number

RESULTS = {"winner": N_("🎉 winner"), "not_winner": N_("not a winner")}
WINNERS_ON_CARD = 10  # a finished competition's card names this many winners (and «N more»)


class CompetitionAction(StrEnum):
    """What a resident's button of a competition does (handlers/competitions.py)."""

    CARD = "card"  # open the competition's card (id: the competition)
    APPLY = "apply"  # apply for a body (id: the competition; value: «tos-12», «org-3»)
    WITHDRAW = "withdraw"  # withdraw an application (id: the application)


class CompetitionButton(CallbackData, prefix="comp"):
    action: CompetitionAction
    id: Id = 0
    value: str = ""


class StaffAction(StrEnum):
    """What a staff button of a competition does (handlers/competition_staff.py)."""

    NEW = "new"  # announce a new competition
    APPLICATIONS = "apps"  # a page of the applications (id: the competition)
    RESULT = "result"  # one application, to record its result (id: the application)
    WIN = "win"  # a winner: the amount awarded is asked (id: the application)
    LOSE = "lose"  # not a winner (id: the application)
    EDIT = "edit"  # which field to change (id: the competition)
    FIELD = "field"  # change this field (id: the competition; field: its name)
    DEADLINE = "deadline"  # a new deadline (id: the competition)
    CLOSE = "close"  # close the competition (id: the competition)
    RESULTS = "results"  # the preview of the results' announcement (id: the competition)
    PUBLISH = "publish"  # announce the results to everyone eligible (id: the competition)


class CompetitionStaffButton(CallbackData, prefix="compstaff"):
    action: StaffAction
    id: Id = 0
    page: Page = 0  # applications: the page
    field: str = ""  # field: the competition's field to change


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def days_left(competition: Competition, now: datetime) -> str:
    seconds = (competition.deadline - now).total_seconds()
    if seconds <= 0:
        return _("the deadline has passed")
    if now < competition.opens_at:
        return _("not open yet")
    left = render_args({"left": time_left(competition.deadline - now)}, _, plural=ngettext)
    return _("{left} left").format(left=left["left"])


def eligible_text(eligible: tuple[str, ...] | list[str]) -> str:
    return ", ".join(_(ELIGIBLE[e]) for e in eligible if e in ELIGIBLE)


def rub(amount: int) -> str:
    return number(amount) + " ₽"


def competition_text(c: Competition | CompetitionDraft, service: CompetitionService) -> str:
    """The card of a competition, or the form's preview of a draft (no start yet: «now»)."""
    assert c.deadline is not None
    lines = [
        f"🏆 <b>{escape(c.title)}</b>",
        _("Organiser: {name}").format(name=escape(c.organiser)),
    ]
    if c.description:
        lines.append(escape(c.description))
    lines.append(_("Who may apply: {who}").format(who=eligible_text(c.eligible)))
    lines.append(
        _("Applications: from {opens} to {deadline}").format(
            opens=_("now") if c.opens_at is None else service.when(c.opens_at),
            deadline=f"<b>{service.when(c.deadline)}</b>",
        )
    )
    if c.results_at:
        lines.append(_("Results: {date}").format(date=service.when(c.results_at)))
    if c.max_grant:
        lines.append(_("Grant up to {amount}").format(amount=rub(c.max_grant)))
    if c.rules_url:
        lines.append(_("Rules: {link}").format(link=escape(c.rules_url)))
    if isinstance(c, Competition) and c.status == "closed":
        lines.append(_("🔒 Closed."))
    return "\n".join(lines)


def application_line(a: Application, *, brief: bool = False) -> str:
    """One application; `brief` shortens the names for a list (the full line is shown when
    staff open one to record the result)."""
    body, project = a.body_name, a.project
    if brief:
        body, project = short(body, 60), short(project, 80)
    line = fill(
        _("• {body}: «{project}» ({direction}), {amount}"),
        body=escape(body),
        project=escape(project),
        direction=_(DIRECTIONS.get(a.direction, a.direction)),
        amount=rub(a.amount),
    )
    if a.result:
        line += " — " + _(RESULTS[a.result])
        if a.awarded:
            line += " " + rub(a.awarded)
    return line


def finished_text(c: Competition, winners: list[Application], service: CompetitionService) -> str:
    """The card of a finished competition: what it was, when its results were announced,
    and its winners (the most awarded first, names shortened to keep one message)."""
    assert c.results_announced_at is not None
    lines = [
        f"🏁 <b>{escape(c.title)}</b>",
        _("Organiser: {name}").format(name=escape(c.organiser)),
    ]
    if c.description:
        lines.append(escape(short(c.description, 300)))
    lines.append(
        _("Applications: from {opens} to {deadline}").format(
            opens=service.when(c.opens_at), deadline=service.when(c.deadline)
        )
    )
    lines.append(
        _("✅ Finished: the results were announced on {date}.").format(
            date=service.when(c.results_announced_at, "date")
        )
    )
    lines.append("<b>" + _("Winners:") + "</b>")
    for a in winners[:WINNERS_ON_CARD]:
        line = fill(
            _("🎉 «{body}»: «{project}»"),
            body=escape(short(a.body_name, 60)),
            project=escape(short(a.project, 80)),
        )
        lines.append(line + (f", {rub(a.awarded)}" if a.awarded else ""))
    more = len(winners) - WINNERS_ON_CARD
    if more > 0:
        lines.append(
            ngettext("…and {count} more winner.", "…and {count} more winners.", more).format(
                count=number(more)
            )
        )
    return "\n".join(lines)


async def show_card(
    message: Message, user: Person, role: Role, service: CompetitionService, c: Competition
) -> None:
    """The card of a competition already loaded (and checked visible to this person): its
    applications for the bodies this person speaks for, and staff's actions; a finished
    one shows its winners."""
    rows = []
    if c.finished:
        lines = [finished_text(c, await service.winners(c), service)]
    else:
        lines = [competition_text(c, service)]
    if c.status == "open":
        for body, app in await service.my_applications(user.id, c):
            name = body.body_name[:40]
            if app is not None:
                lines.append(
                    fill(
                        _("✅ «{body}» has applied: «{project}», {amount}."),
                        body=escape(body.body_name),
                        project=escape(app.project),
                        amount=rub(app.amount),
                    )
                )
                withdraw = CompetitionButton(action=CompetitionAction.WITHDRAW, id=app.id)
                rows.append([button(fill(_("↩️ Withdraw for «{body}»"), body=name), withdraw)])
            else:
                apply = CompetitionButton(
                    action=CompetitionAction.APPLY,
                    id=c.id,
                    value=f"{body.body_kind}-{body.body_id}",
                )
                rows.append([button(fill(_("📝 Apply for «{body}»"), body=name), apply)])
    if role.is_staff:
        rows.append([staff_button(_("📋 Applications"), StaffAction.APPLICATIONS, c.id)])
        if service.may_announce_results(c):
            rows.append([results_button(c.id)])
        if c.status == "open":
            rows.append([staff_button(_("✏️ Edit"), StaffAction.EDIT, c.id)])
            rows.append(
                [
                    staff_button(_("📅 Change the deadline"), StaffAction.DEADLINE, c.id),
                    staff_button(_("🔒 Close"), StaffAction.CLOSE, c.id),
                ]
            )
    await message.answer("\n".join(lines), reply_markup=markup(rows))


def results_button(competition_id: int) -> InlineKeyboardButton:
    """Staff's way to the preview of the results' announcement."""
    return staff_button(_("📣 Announce the results"), StaffAction.RESULTS, competition_id)


def staff_button(
    text: str, action: StaffAction, id: int = 0, **more: str | int
) -> InlineKeyboardButton:
    return button(text, CompetitionStaffButton(action=action, id=id, **more))
