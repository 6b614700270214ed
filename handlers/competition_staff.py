"""Staff's actions on competitions, from the list and the card: announce a new one
(handlers/competition_form.py), the applications and their results, change a field or the
deadline, close. Each button action has its own handler; the service checks the role at
every press."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.competitions import Application
from bot.domain.people import Person
from bot.i18n import fill, render_args
from bot.services.competitions import (
    EDITABLE,
    RESULTS_PUBLIC,
    AwardDraft,
    CompetitionChange,
    CompetitionService,
    ResultsPreview,
    Updated,
    parse_amount,
)
from bot.services.errors import N_
from bot.services.staff import Role
from handlers.buttons import Press, Presses, Stale
from handlers.competition_cards import (
    CompetitionStaffButton,
    StaffAction,
    application_line,
    eligible_text,
    markup,
    results_button,
    rub,
    show_card,
    staff_button,
)
from handlers.competition_form import COMPETITION, NOT_TEXT, PROMPTS, field_step
from handlers.filters import PrivateChat
from handlers.forms import Form, FormCall, Step, short, typed_text
from handlers.render import button_message, escape, number
from handlers.spec import RouterSpec

APPS_PAGE = 10  # applications on one page of the staff's list
# The fields staff change from the card after the announcement (the deadline has its own
# button), with their buttons; the start only before applications open.
EDIT_FIELDS = {
    "title": N_("✏️ Title"),
    "organiser": N_("✏️ Organiser"),
    "description": N_("✏️ Description"),
    "eligible": N_("✏️ Who may apply"),
    "opens_at": N_("✏️ Start of applications"),
    "results_at": N_("✏️ Results date"),
    "rules_url": N_("✏️ Rules link"),
    "max_grant": N_("✏️ Maximum grant"),
}


# -- the change of one field (the deadline too) -------------------------------------------------

ChangeCall = FormCall[CompetitionChange, CompetitionService]


def current_value(draft: CompetitionChange, service: CompetitionService) -> str:
    """The value of the field being changed, as it is now."""
    value = getattr(draft, draft.field)
    if value is None:
        return "—"
    if draft.field == "eligible":
        return eligible_text(value)
    if isinstance(value, datetime):
        return service.when(value)
    if draft.field == "max_grant":
        return rub(value)
    return escape(short(str(value), 300))


def ask_change(call: ChangeCall) -> str:
    draft = call.draft
    if draft.field == "deadline":
        return _(
            "The new deadline (now {deadline}), e.g. «25.12.2026 18:00». Everyone eligible "
            "will be told. /cancel to stop."
        ).format(deadline=current_value(draft, call.service))
    now = _("Currently: {value}").format(value=current_value(draft, call.service))
    return "\n".join([now, _(PROMPTS[draft.field]), _("/cancel to stop.")])


def changing(name: str) -> Any:
    async def applies(call: ChangeCall) -> bool:
        return call.draft.field == name

    return applies


async def save_change(call: ChangeCall) -> Updated:
    """The service checks the role and the competition again; a refusal keeps the step."""
    return await call.service.update(call.user.id, call.draft.competition_id, call.draft.values())


async def changed(call: ChangeCall, updated: Updated) -> None:
    if call.draft.field == "deadline":
        deadline = call.service.when(updated.competition.deadline)
        said = _("The deadline is now {deadline}; everyone eligible is told.").format(
            deadline=deadline
        )
    else:
        said = _("Saved; participants are told.") if updated.told else _("Saved.")
    await call.say(said)
    await show_card(call.message, call.user, call.role, call.service, updated.competition)


CHANGE = Form(
    "compchange",
    draft=CompetitionChange,
    service="competitions",
    steps=tuple(field_step(name, ask_change, applies=changing(name)) for name in EDITABLE),
    submit=save_change,
    done=changed,
)


async def start_change(query: CallbackQuery, data: dict[str, Any], cid: int, field: str) -> None:
    service: CompetitionService = data["competitions"]
    c = await service.require_editable(data["user"].id, cid, field)  # checked now, not when drawn
    values = {name: getattr(c, name) for name in EDITABLE}
    draft = CompetitionChange(**values, competition_id=c.id, field=field)
    await CHANGE.start(button_message(query), data["state"], data, draft=draft)


# -- the amount awarded ---------------------------------------------------------------------------

AwardCall = FormCall[AwardDraft, CompetitionService]


async def award(call: AwardCall) -> Application:
    draft = call.draft
    return await call.service.record_result(call.user.id, draft.application_id, True, draft.awarded)


async def awarded(call: AwardCall, app: Application) -> None:
    await call.say(
        _("Saved; the applicants are told.") + "\n" + application_line(app),
        await after_result(call.service, app),
    )


async def after_result(service: CompetitionService, app: Application) -> Any:
    """Under a recorded result: the way to announce the results, once the deadline has
    passed (the preview says what is still missing)."""
    c = await service.get(app.competition_id)
    return markup([[results_button(c.id)]]) if service.may_announce_results(c) else None


def results_preview_text(preview: ResultsPreview) -> str:
    """The announcement as it will read, and what announcing does, for staff to confirm."""
    args = render_args(preview.args, _, plural=ngettext)
    lines = [
        _("<b>The announcement of the results</b> (a preview):"),
        "",
        fill(_(RESULTS_PUBLIC), **args),
        "",
        ngettext(
            "It goes to {count} person: the chairs and representatives of every eligible "
            "body, as the competition's opening did.",
            "It goes to {count} people: the chairs and representatives of every eligible "
            "body, as the competition's opening did.",
            preview.audience,
        ).format(count=number(preview.audience)),
    ]
    if preview.not_winners:
        lines.append(
            ngettext(
                "The applicants of {count} application that did not win hear it privately first.",
                "The applicants of {count} applications that did not win hear it privately first.",
                preview.not_winners,
            ).format(count=number(preview.not_winners))
        )
    lines.append(_("The results can be announced once, and then stay as they are."))
    return "\n".join(lines)


AWARD = Form(
    "award",
    draft=AwardDraft,
    service="competitions",
    steps=(
        Step(
            "awarded",
            N_("Amount awarded"),
            N_("The amount awarded, in roubles (e.g. 150000). /cancel to stop."),
            read=typed_text(parse_amount, NOT_TEXT),
        ),
    ),
    submit=award,
    done=awarded,
)

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())
router.owns(callbacks=(CompetitionStaffButton,))
router.runs(COMPETITION, CHANGE, AWARD)


H = TypeVar("H", bound=Callable[..., Any])


def on(action: StaffAction) -> Callable[[H], H]:
    """Register the handler of one staff action."""
    return router.callback_query(CompetitionStaffButton.filter(F.action == action))


# -- the buttons --------------------------------------------------------------------------------


@on(StaffAction.NEW)
async def new_competition(query: CallbackQuery, **data: Any) -> None:
    data["competitions"].require_staff(data["user"].id)  # checked now, not when drawn
    await COMPETITION.start(button_message(query), data["state"], data)


@on(StaffAction.APPLICATIONS)
async def applications(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    user: Person,
    competitions: CompetitionService,
) -> None:
    """A page of the registered applications, a result button for each, and «back» /
    «more» buttons: short lines and a page size keep it within one message."""
    cid = callback_data.id
    competitions.require_staff(user.id)
    c = await competitions.get(cid)
    found = await competitions.applications(user.id, cid)
    apps = [a for a in found if a.status == "registered"]
    pages = max(1, -(-len(apps) // APPS_PAGE))
    page = min(callback_data.page, pages - 1)
    shown = apps[page * APPS_PAGE : (page + 1) * APPS_PAGE]
    lines = [fill(_("<b>Applications to «{title}»</b>"), title=escape(short(c.title, 100)))]
    if not apps:
        lines.append(_("No applications yet."))
    elif pages > 1:
        lines[0] += f" ({page + 1}/{pages})"
    rows = []
    for a in shown:
        lines.append(application_line(a, brief=True))
        label = _("🏅 Result: {body}").format(body=short(a.body_name, 40))
        rows.append([staff_button(label, StaffAction.RESULT, a.id)])
    nav = []
    if page > 0:
        nav.append(staff_button("◀️", StaffAction.APPLICATIONS, cid, page=page - 1))
    if page + 1 < pages:
        nav.append(staff_button("▶️", StaffAction.APPLICATIONS, cid, page=page + 1))
    if nav:
        rows.append(nav)
    await button_message(query).answer("\n".join(lines), reply_markup=markup(rows))


@on(StaffAction.RESULT)
async def result(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    user: Person,
    competitions: CompetitionService,
) -> None:
    app = await competitions.undecided(user.id, callback_data.id)
    rows = [
        [
            staff_button(_("🎉 Winner"), StaffAction.WIN, app.id),
            staff_button(_("Not a winner"), StaffAction.LOSE, app.id),
        ]
    ]
    await button_message(query).answer(application_line(app), reply_markup=markup(rows))


@on(StaffAction.WIN)
async def winner(query: CallbackQuery, callback_data: CompetitionStaffButton, **data: Any) -> None:
    await data["competitions"].undecided(data["user"].id, callback_data.id)
    draft = AwardDraft(application_id=callback_data.id)
    await AWARD.start(button_message(query), data["state"], data, draft=draft)


@on(StaffAction.LOSE)
async def not_winner(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    press: Press,
    user: Person,
    competitions: CompetitionService,
) -> None:
    app = await competitions.record_result(user.id, callback_data.id, False, None)
    press.tell(_("Saved."))
    press.drop_buttons()
    await press.accept()
    await button_message(query).answer(
        _("Saved; the applicants are told.") + "\n" + application_line(app),
        reply_markup=await after_result(competitions, app),
    )


@on(StaffAction.RESULTS)
async def results_preview(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    user: Person,
    competitions: CompetitionService,
) -> None:
    """The announcement as it will read; refused (an alert) when it cannot go yet."""
    preview = await competitions.results_preview(user.id, callback_data.id)
    rows = [
        [
            staff_button(
                _("📣 Announce to everyone eligible"), StaffAction.PUBLISH, preview.competition.id
            )
        ]
    ]
    await button_message(query).answer(results_preview_text(preview), reply_markup=markup(rows))


@on(StaffAction.PUBLISH)
async def publish_results(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    press: Press,
    user: Person,
    role: Role,
    competitions: CompetitionService,
) -> None:
    """The service checks the role and that the results were not announced yet, now."""
    count = await competitions.announce_results(user.id, callback_data.id)
    press.tell(_("Announced."))
    press.drop_buttons()
    await press.accept()
    await button_message(query).answer(
        ngettext(
            "The results are announced: they go to {count} person. Progress: /outbox",
            "The results are announced: they go to {count} people. Progress: /outbox",
            count,
        ).format(count=number(count))
    )
    c = await competitions.get(callback_data.id)
    await show_card(button_message(query), user, role, competitions, c)


@on(StaffAction.EDIT)
async def edit(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    user: Person,
    competitions: CompetitionService,
) -> None:
    c = await competitions.require_editable(user.id, callback_data.id)  # checked now
    fields = [f for f in EDIT_FIELDS if f != "opens_at" or not competitions.opened(c)]
    rows = [[staff_button(_(EDIT_FIELDS[f]), StaffAction.FIELD, c.id, field=f)] for f in fields]
    await button_message(query).answer(
        fill(_("What to change in «{title}»?"), title=escape(short(c.title, 100))),
        reply_markup=markup(rows),
    )


@on(StaffAction.FIELD)
async def edit_field(
    query: CallbackQuery, callback_data: CompetitionStaffButton, press: Press, **data: Any
) -> None:
    if callback_data.field not in EDIT_FIELDS:
        raise Stale()
    press.drop_buttons()
    await start_change(query, {**data, "press": press}, callback_data.id, callback_data.field)


@on(StaffAction.DEADLINE)
async def new_deadline(
    query: CallbackQuery, callback_data: CompetitionStaffButton, **data: Any
) -> None:
    await start_change(query, data, callback_data.id, "deadline")


@on(StaffAction.CLOSE)
async def close(
    query: CallbackQuery,
    callback_data: CompetitionStaffButton,
    press: Press,
    user: Person,
    role: Role,
    competitions: CompetitionService,
) -> None:
    await competitions.close(user.id, callback_data.id)
    press.tell(_("Closed."))
    press.drop_buttons()
    await press.accept()
    c = await competitions.get(callback_data.id)
    await show_card(button_message(query), user, role, competitions, c)
