"""/competitions: open grant competitions with the time left; chairs and representatives register
and withdraw their body's application; staff announce, change the deadline, close and record
the results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.domain.competitions import Application, Competition
from bot.domain.people import Person
from bot.i18n import fill, render_args
from bot.services.competitions import (
    ELIGIBLE,
    PROJECT_LIMITS,
    TEXT_LIMITS,
    ApplicationDraft,
    CompetitionDraft,
    CompetitionService,
    check_text,
    parse_amount,
    parse_url,
)
from bot.services.errors import N_, DomainError
from bot.services.initiatives import DIRECTIONS
from bot.services.numbers import PAGE_MAX, whole_number
from bot.services.staff import Role
from bot.services.when import parse_when, time_left
from bot.vocabulary import label_variants, normalize_label, words_of
from handlers.errors import render_error
from handlers.filters import PrivateChat, TextIs
from handlers.forms import is_editing, is_skip, markup, refused_on_sending, short, typed_is
from handlers.ids import Id
from handlers.menu import MENU_COMPETITIONS
from handlers.render import button_message, drop_buttons, escape, number
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True)
router.filter("message", PrivateChat())
router.filter("callback_query", PrivateChat())

NOW_WORDS = N_("now, right away")
APPS_PAGE = 10  # applications on one page of the staff's list
RESULTS = {"winner": N_("🎉 winner"), "not_winner": N_("not a winner")}


class CompCD(CallbackData, prefix="k1"):
    action: str
    id: Id = 0
    value: str = ""


class CompetitionForm(StatesGroup):
    unfinished = N_("You have not announced the competition yet.")
    title = State()
    organiser = State()
    description = State()
    eligible = State()
    opens = State()
    deadline = State()
    results = State()
    rules = State()
    max_grant = State()
    preview = State()


class ApplicationForm(StatesGroup):
    unfinished = N_("You have not registered the application yet.")
    project = State()
    direction = State()
    amount = State()
    initiative = State()
    preview = State()


class CompStaffForm(StatesGroup):
    deadline = State()
    awarded = State()


class CompEditForm(StatesGroup):
    value = State()  # the new value of one field, typed (the start also by «Now»)
    eligible = State()  # who may apply: the buttons, or typed


router.owns(
    forms=(CompetitionForm, ApplicationForm, CompStaffForm, CompEditForm), callbacks=(CompCD,)
)

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
# What each step of the forms asks (the creation form and the staff's change of one field).
PROMPTS = {
    "title": N_("The competition's title (3 to 200 characters):"),
    "organiser": N_("Who organises it (e.g. «The town hall», «A foundation»)?"),
    "description": N_("A short description: what projects, what money (10 to 2000 characters)."),
    "eligible": N_("Who may apply? Press all that fit, then «Done»."),
    "opens_at": N_("When do applications open? E.g. «01.12.2026 09:00», or press «Now»."),
    "deadline": N_("The deadline for applications, e.g. «25.12.2026 18:00»:"),
    "results_at": N_("When will the results be announced? E.g. «15.01 12:00»."),
    "rules_url": N_("A link to the rules (https://...)."),
    "max_grant": N_("The maximum grant in roubles (e.g. 300000)."),
}


def _b(text: str, action: str, id: int = 0, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=CompCD(action=action, id=id, value=value).pack()
    )


def _days_left(competition: Competition, now: datetime) -> str:
    seconds = (competition.deadline - now).total_seconds()
    if seconds <= 0:
        return _("the deadline has passed")
    if now < competition.opens_at:
        return _("not open yet")
    left = render_args({"left": time_left(competition.deadline - now)}, _, plural=ngettext)
    return _("{left} left").format(left=left["left"])


def _eligible_text(eligible: tuple[str, ...] | list[str]) -> str:
    return ", ".join(_(ELIGIBLE[e]) for e in eligible if e in ELIGIBLE)


def _rub(amount: int) -> str:
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
    lines.append(_("Who may apply: {who}").format(who=_eligible_text(c.eligible)))
    lines.append(
        _("Applications: from {opens} to {deadline}").format(
            opens=_("now") if c.opens_at is None else service.when(c.opens_at),
            deadline=f"<b>{service.when(c.deadline)}</b>",
        )
    )
    if c.results_at:
        lines.append(_("Results: {date}").format(date=service.when(c.results_at)))
    if c.max_grant:
        lines.append(_("Grant up to {amount}").format(amount=_rub(c.max_grant)))
    if c.rules_url:
        lines.append(_("Rules: {link}").format(link=escape(c.rules_url)))
    if isinstance(c, Competition) and c.status == "closed":
        lines.append(_("🔒 Closed."))
    return "\n".join(lines)


def _draft_record(data: dict[str, Any]) -> CompetitionDraft:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    return CompetitionDraft(
        title=data.get("title", ""),
        organiser=data.get("organiser", ""),
        description=data.get("description", ""),
        eligible=tuple(data.get("eligible", [])),
        opens_at=moment("opens_at"),
        deadline=moment("deadline"),
        results_at=moment("results_at"),
        rules_url=data.get("rules_url"),
        max_grant=data.get("max_grant"),
    )


# -- the list and the card -------------------------------------------------------------------


@router.message(Command("competitions"))
@router.message(TextIs(MENU_COMPETITIONS))
async def competitions_list(
    message: Message, user: Person, role: Role, competitions: CompetitionService, clock: Clock
) -> None:
    await _list(message, user, role, competitions, clock)


async def _list(
    message: Message, user: Person, role: Role, service: CompetitionService, clock: Clock
) -> None:
    found = await service.listed(user.id)
    now = clock.now()
    lines = [_("<b>Competitions</b>")]
    if not found:
        lines.append(_("No competitions are open now. You will hear about new ones here."))
    rows = []
    for c in found:
        lines.append(
            f"\n🏆 <b>{escape(c.title)}</b> — {escape(c.organiser)}\n"
            + _("until {deadline}, {left}").format(
                deadline=service.when(c.deadline), left=_days_left(c, now)
            )
        )
        rows.append([_b(c.title[:60], "card", c.id)])
    if role.is_staff:
        rows.append([_b(_("➕ New competition"), "new")])
    await message.answer("\n".join(lines), reply_markup=markup(rows) if rows else None)


async def _card(
    message: Message,
    user: Person,
    role: Role,
    service: CompetitionService,
    c: Competition,
) -> None:
    """The card of a competition already loaded (and checked visible to this person)."""
    lines = [competition_text(c, service)]
    rows = []
    if c.status == "open":
        for body, app in await service.my_applications(user.id, c):
            if app is not None:
                lines.append(
                    fill(_("✅ «{body}» has applied: «{project}», {amount}."),
                        body=escape(body.body_name), project=escape(app.project),
                        amount=_rub(app.amount),
                    )
                )  # fmt: skip
                rows.append([_b(fill(_("↩️ Withdraw for «{body}»"), body=body.body_name[:40]),
                                "withdraw", app.id)])  # fmt: skip
            else:
                rows.append([_b(fill(_("📝 Apply for «{body}»"), body=body.body_name[:40]),
                                "apply", c.id, f"{body.body_kind}-{body.body_id}")])  # fmt: skip
    if role.is_staff:
        rows.append([_b(_("📋 Applications"), "apps", c.id)])
        if c.status == "open":
            rows.append([_b(_("✏️ Edit"), "edit", c.id)])
            rows.append([_b(_("📅 Change the deadline"), "deadline", c.id),
                         _b(_("🔒 Close"), "close", c.id)])  # fmt: skip
    await message.answer("\n".join(lines), reply_markup=markup(rows) if rows else None)


async def _applications(
    message: Message, user: Person, service: CompetitionService, cid: int, page: int = 0
) -> None:
    """A page of the registered applications, a result button for each, and «back» /
    «more» buttons: short lines and a page size keep it within one message."""
    c = await service.get(cid)
    apps = [a for a in await service.applications(user.id, cid) if a.status == "registered"]
    pages = max(1, -(-len(apps) // APPS_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = apps[page * APPS_PAGE : (page + 1) * APPS_PAGE]
    lines = [fill(_("<b>Applications to «{title}»</b>"), title=escape(short(c.title, 100)))]
    if not apps:
        lines.append(_("No applications yet."))
    elif pages > 1:
        lines[0] += f" ({page + 1}/{pages})"
    rows = []
    for a in shown:
        lines.append(_application_line(a, brief=True))
        rows.append([_b(_("🏅 Result: {body}").format(body=short(a.body_name, 40)), "result",
                        a.id)])  # fmt: skip
    nav = []
    if page > 0:
        nav.append(_b("◀️", "apps", cid, str(page - 1)))
    if page + 1 < pages:
        nav.append(_b("▶️", "apps", cid, str(page + 1)))
    if nav:
        rows.append(nav)
    await message.answer("\n".join(lines), reply_markup=markup(rows) if rows else None)


def _application_line(a: Application, *, brief: bool = False) -> str:
    """One application; `brief` shortens the names for a list (the full line is shown when
    staff open one to record the result)."""
    body, project = (short(a.body_name, 60), short(a.project, 80)) if brief else (
        a.body_name, a.project)  # fmt: skip
    line = fill(_("• {body}: «{project}» ({direction}), {amount}"),
        body=escape(body), project=escape(project),
        direction=_(DIRECTIONS.get(a.direction, a.direction)), amount=_rub(a.amount),
    )  # fmt: skip
    if a.result:
        line += " — " + _(RESULTS[a.result])
        if a.awarded:
            line += " " + _rub(a.awarded)
    return line


# -- buttons ------------------------------------------------------------------------------------


@router.callback_query(CompCD.filter())
async def competition_button(
    query: CallbackQuery,
    callback_data: CompCD,
    user: Person,
    role: Role,
    state: FSMContext,
    competitions: CompetitionService,
    clock: Clock,
) -> None:
    message = button_message(query)
    cd = callback_data
    service = competitions
    current = await state.get_state()
    if cd.action == "card":
        c = await service.get(cd.id, user.id)  # refused before the button is answered
        await query.answer()
        await _card(message, user, role, service, c)
    elif cd.action == "list":
        await query.answer()
        await _list(message, user, role, service, clock)
    elif cd.action == "new":
        service.require_staff(user.id)  # checked now, not when the list was drawn
        await query.answer()
        await state.set_state(CompetitionForm.title)
        await state.set_data({})
        await message.answer(
            _("A new competition: ten short steps, /cancel leaves at any time.\n\n"
              "The competition's title:")
        )  # fmt: skip
    elif cd.action == "elig" and current in ELIGIBLE_STEPS and cd.value in ELIGIBLE:
        await query.answer()
        data = await state.get_data()
        chosen = list(data.get("eligible", []))
        chosen = [e for e in chosen if e != cd.value] if cd.value in chosen else [*chosen, cd.value]
        await state.update_data(eligible=chosen)
        await message.edit_reply_markup(reply_markup=_eligible_markup(chosen))
    elif cd.action == "elig_done" and current == CompetitionForm.eligible.state:
        if not (await state.get_data()).get("eligible"):
            await query.answer(_("Choose at least one."), show_alert=True)
            return
        await query.answer()
        await drop_buttons(message)
        await _after(message, state, current, service)
    elif cd.action == "elig_done" and current == CompEditForm.eligible.state:
        data = await state.get_data()
        if not data.get("eligible"):
            await query.answer(_("Choose at least one."), show_alert=True)
            return
        await query.answer()
        await _save_edit(message, state, user, role, service, {"eligible": data["eligible"]})
    elif cd.action == "now" and current == CompEditForm.value.state:
        await query.answer()
        await _save_edit(message, state, user, role, service, {"opens_at": clock.now()})
    elif cd.action == "now" and current == CompetitionForm.opens.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(opens_at=clock.now().isoformat())
        await _after(message, state, current, service)
    elif cd.action == "skip" and current in SKIPPABLE:
        await query.answer()
        await drop_buttons(message)
        await _after(message, state, current, competitions)
    elif cd.action == "publish" and current == CompetitionForm.preview.state:
        draft = _draft_record(await state.get_data())
        await query.answer()
        try:
            created = await service.create(user.id, draft)
        except DomainError as error:  # e.g. the deadline passed meanwhile: back to that step
            await refused_on_sending(
                message, state, error, COMPETITION_STEPS, lambda step: _next(message, state,
                                                                             step, service)
            )  # fmt: skip
            return
        await state.clear()
        await drop_buttons(message)
        await message.answer(
            fill(_("The competition «{title}» is announced. Eligible chairs and representatives "
                   "are told, and reminded before the deadline until they apply."),
                 title=escape(created.title))
        )  # fmt: skip
    elif cd.action == "apply":
        kind, _sep, body = cd.value.partition("-")
        c = await service.get(cd.id, user.id)
        mine = await service.my_bodies(user.id, c)  # the role is checked again on sending
        body_id = whole_number(body)
        if body_id is None or not any((b.body_kind, b.body_id) == (kind, body_id) for b in mine):
            await query.answer(_("Your TOS or organisation may not apply to this competition."),
                               show_alert=True)  # fmt: skip
            return
        await query.answer()
        await state.set_state(ApplicationForm.project)
        await state.set_data({"cid": c.id, "body_kind": kind, "body_id": body_id})
        await message.answer(
            fill(_("The application to «{title}». The project's title (3 to 200 characters). "
                   "/cancel to stop."), title=escape(c.title))
        )  # fmt: skip
    elif cd.action == "dir" and current == ApplicationForm.direction.state:
        if cd.value not in DIRECTIONS:
            await query.answer(_("This button is out of date."), show_alert=True)
            return
        await query.answer()
        await drop_buttons(message)
        await state.update_data(direction=cd.value)
        await _app_after(message, state, current, service)
    elif cd.action == "init" and current == ApplicationForm.initiative.state:
        await query.answer()
        await drop_buttons(message)
        await state.update_data(initiative_id=cd.id or None)
        await _app_preview(message, state, service)
    elif cd.action == "send_app" and current == ApplicationForm.preview.state:
        data = await state.get_data()
        await query.answer()
        try:
            app = await service.register(user.id, int(data["cid"]), _app_draft(data))
        except DomainError as error:  # e.g. over the maximum grant: back to the amount
            await refused_on_sending(
                message, state, error, APPLICATION_STEPS,
                lambda step: _app_next(message, state, step, service),
            )  # fmt: skip
            return
        await state.clear()
        await drop_buttons(message)
        await message.answer(
            fill(_("The application «{project}» of «{body}» is registered. Reminders about this "
                   "competition stop. You can withdraw it before the deadline in /competitions."),
                 project=escape(app.project), body=escape(app.body_name))
        )  # fmt: skip
    elif cd.action == "withdraw":
        app = await service.withdraw(user.id, cd.id)
        await query.answer()
        await drop_buttons(message)
        await message.answer(
            fill(_("The application «{project}» is withdrawn. You can register a new one before "
                   "the deadline."), project=escape(app.project))
        )  # fmt: skip
    elif cd.action == "apps":
        service.require_staff(user.id)
        await query.answer()
        page = whole_number(cd.value, high=PAGE_MAX) or 0
        await _applications(message, user, service, cd.id, page)
    elif cd.action == "deadline":
        service.require_staff(user.id)
        c = await service.get(cd.id)
        await query.answer()
        await state.set_state(CompStaffForm.deadline)
        await state.set_data({"cid": c.id})
        await message.answer(
            _("The new deadline (now {deadline}), e.g. «25.12.2026 18:00». Everyone eligible "
              "will be told. /cancel to stop.").format(deadline=service.when(c.deadline))
        )  # fmt: skip
    elif cd.action == "edit":
        c = await service.require_editable(user.id, cd.id)  # checked now, not when drawn
        await query.answer()
        fields = [f for f in EDIT_FIELDS if f != "opens_at" or not service.opened(c)]
        rows = [[_b(_(EDIT_FIELDS[f]), "ef", c.id, f)] for f in fields]
        await message.answer(
            fill(_("What to change in «{title}»?"), title=escape(short(c.title, 100))),
            reply_markup=markup(rows),
        )
    elif cd.action == "ef" and cd.value in EDIT_FIELDS:
        c = await service.require_editable(user.id, cd.id, cd.value)
        await query.answer()
        await drop_buttons(message)
        await _ask_edit(message, state, service, c, cd.value)
    elif cd.action == "close":
        await service.close(user.id, cd.id)
        await query.answer(_("Closed."))
        await drop_buttons(message)
        await _card(message, user, role, service, await service.get(cd.id))
    elif cd.action == "result":
        app = await service.application(user.id, cd.id)
        await query.answer()
        await message.answer(
            _application_line(app),
            reply_markup=markup([[_b(_("🎉 Winner"), "win", app.id),
                                   _b(_("Not a winner"), "lose", app.id)]]),
        )  # fmt: skip
    elif cd.action == "win":
        await service.application(user.id, cd.id)
        await query.answer()
        await state.set_state(CompStaffForm.awarded)
        await state.set_data({"app": cd.id})
        await message.answer(_("The amount awarded, in roubles (e.g. 150000). /cancel to stop."))
    elif cd.action == "lose":
        app = await service.record_result(user.id, cd.id, False, None)
        await query.answer(_("Saved."))
        await drop_buttons(message)
        await message.answer(_("Saved; the applicants are told.") + "\n" + _application_line(app))
    else:
        await query.answer(_("This button is out of date."), show_alert=True)


# -- the competition form --------------------------------------------------------------------


def _eligible_markup(chosen: list[str]) -> InlineKeyboardMarkup:
    rows = [[_b(("✅ " if code in chosen else "") + _(label), "elig", value=code)]
            for code, label in ELIGIBLE.items()]  # fmt: skip
    rows.append([_b(_("Done"), "elig_done")])
    return markup(rows)


def _skip_markup() -> InlineKeyboardMarkup:
    return markup([[_b(_("Skip"), "skip")]])


async def _next(
    message: Message, state: FSMContext, step: State, service: CompetitionService
) -> None:
    await state.set_state(step)
    if step == CompetitionForm.preview:
        draft = _draft_record(await state.get_data())
        await message.answer(
            _("This is how it will be announced:") + "\n\n" + competition_text(draft, service),
            reply_markup=markup([[_b(_("📣 Announce"), "publish")]]),
        )
        return
    field = FORM_FIELDS[step.state or ""]
    buttons: InlineKeyboardMarkup | None = None
    if field == "eligible":
        buttons = _eligible_markup((await state.get_data()).get("eligible", []))
    elif field == "opens_at":
        buttons = markup([[_b(_("Now"), "now")]])
    elif step.state in SKIPPABLE:
        buttons = _skip_markup()
    await message.answer(_(PROMPTS[field]), reply_markup=buttons)


NEXT = {
    CompetitionForm.title.state: CompetitionForm.organiser,
    CompetitionForm.organiser.state: CompetitionForm.description,
    CompetitionForm.description.state: CompetitionForm.eligible,
    CompetitionForm.eligible.state: CompetitionForm.opens,
    CompetitionForm.opens.state: CompetitionForm.deadline,
    CompetitionForm.deadline.state: CompetitionForm.results,
    CompetitionForm.results.state: CompetitionForm.rules,
    CompetitionForm.rules.state: CompetitionForm.max_grant,
    CompetitionForm.max_grant.state: CompetitionForm.preview,
}
SKIPPABLE = {
    CompetitionForm.results.state,
    CompetitionForm.rules.state,
    CompetitionForm.max_grant.state,
}


async def _after(
    message: Message, state: FSMContext, current: str | None, service: CompetitionService
) -> None:
    """The next step after `current`; back to the preview when a step was being corrected."""
    step = CompetitionForm.preview if await is_editing(state) else NEXT[current or ""]
    await _next(message, state, step, service)


FORM_FIELDS = {
    CompetitionForm.title.state: "title",
    CompetitionForm.organiser.state: "organiser",
    CompetitionForm.description.state: "description",
    CompetitionForm.eligible.state: "eligible",
    CompetitionForm.opens.state: "opens_at",
    CompetitionForm.deadline.state: "deadline",
    CompetitionForm.results.state: "results_at",
    CompetitionForm.rules.state: "rules_url",
    CompetitionForm.max_grant.state: "max_grant",
}
ELIGIBLE_STEPS = {CompetitionForm.eligible.state, CompEditForm.eligible.state}
# Where a refusal on announcing sends the person back (the field a rule names).
COMPETITION_STEPS = {FORM_FIELDS[s.state or ""]: s for s in CompetitionForm.__states__
                     if s.state in FORM_FIELDS}  # fmt: skip


def parse_field(
    field: str, text: str, i18n: I18n, clock: Clock, service: CompetitionService
) -> Any:
    """One typed answer of the competition form, read as the form reads it: the creation
    form and the staff's change of one field share it. The service checks the times."""
    tz = service.timezone
    if field in TEXT_LIMITS:
        return check_text(text, *TEXT_LIMITS[field])
    if field == "eligible":
        chosen = [code for code, label in ELIGIBLE.items()
                  if any(normalize_label(part) in label_variants(i18n, label)
                         for part in text.split(","))]  # fmt: skip
        if not chosen:
            raise DomainError(N_("Press the buttons, or type e.g. «TOS, NGOs»."))
        return chosen
    if field == "opens_at" and typed_is(i18n, text, NOW_WORDS):
        return clock.now()
    if field in ("opens_at", "deadline", "results_at"):
        return parse_when(text, clock.now(), tz, words_of(i18n))
    if field == "rules_url":
        return parse_url(text)
    if field == "max_grant":
        return parse_amount(text)
    raise KeyError(field)


@router.message(StateFilter(*CompetitionForm.__all_states__))
async def competition_step(
    message: Message,
    state: FSMContext,
    i18n: I18n,
    clock: Clock,
    competitions: CompetitionService,
) -> None:
    current = await state.get_state()
    text = message.text or ""
    try:
        if not message.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        if current in SKIPPABLE and is_skip(i18n, text):
            await _after(message, state, current, competitions)
            return
        field = FORM_FIELDS.get(current or "")
        if field is None:
            await message.answer(_("Please use the buttons under the preview, or /cancel."))
            return
        value = parse_field(field, text, i18n, clock, competitions)
        data = await state.get_data()
        if isinstance(value, datetime):
            competitions.check_times(_draft_record({**data, field: value.isoformat()}))
        await state.update_data({field: value.isoformat() if isinstance(value, datetime)
                                 else value})  # fmt: skip
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await _after(message, state, current, competitions)


# -- the application form --------------------------------------------------------------------


def _app_draft(data: dict[str, Any]) -> ApplicationDraft:
    return ApplicationDraft(
        body_kind=data.get("body_kind", ""),
        body_id=int(data.get("body_id", 0)),
        project=data.get("project", ""),
        direction=data.get("direction", ""),
        amount=int(data.get("amount", 0)),
        initiative_id=data.get("initiative_id"),
    )


APP_NEXT = {
    ApplicationForm.project.state: ApplicationForm.direction,
    ApplicationForm.direction.state: ApplicationForm.amount,
    ApplicationForm.amount.state: ApplicationForm.initiative,
}
# Where a refusal on registering sends the person back (the field a rule names).
APPLICATION_STEPS = {
    "project": ApplicationForm.project,
    "direction": ApplicationForm.direction,
    "amount": ApplicationForm.amount,
}


async def _app_after(
    message: Message, state: FSMContext, current: str | None, service: CompetitionService
) -> None:
    """The next step after `current`; back to the preview when a step was being corrected."""
    if await is_editing(state):
        await _app_preview(message, state, service)
    else:
        await _app_next(message, state, APP_NEXT[current or ""], service)


async def _app_next(
    message: Message, state: FSMContext, step: State, service: CompetitionService
) -> None:
    await state.set_state(step)
    if step == ApplicationForm.project:
        await message.answer(_("The project's title (3 to 200 characters):"))
    elif step == ApplicationForm.direction:
        rows = [[_b(_(label), "dir", value=code)] for code, label in DIRECTIONS.items()]
        await message.answer(_("The project's direction:"), reply_markup=markup(rows))
    elif step == ApplicationForm.amount:
        await message.answer(_("The amount requested, in roubles (e.g. 150000):"))
    elif step == ApplicationForm.initiative:
        data = await state.get_data()
        found = (
            await service.tos_initiatives(int(data["body_id"]))
            if data.get("body_kind") == "tos" else []
        )  # fmt: skip
        if not found:
            await _app_preview(message, state, service)
            return
        rows = [[_b(title[:60], "init", iid)] for iid, title in found]
        rows.append([_b(_("No, not linked"), "init", 0)])
        await message.answer(
            _("Is the project one of your TOS's initiatives? Choose it, or press «No»."),
            reply_markup=markup(rows),
        )


async def _app_preview(message: Message, state: FSMContext, service: CompetitionService) -> None:
    data = await state.get_data()
    c = await service.get(int(data["cid"]))
    draft = _app_draft(data)
    await state.set_state(ApplicationForm.preview)
    await message.answer(
        fill(_("The application to «{title}»:\n«{project}», {direction}, {amount}."),
            title=escape(c.title), project=escape(draft.project),
            direction=_(DIRECTIONS[draft.direction]), amount=_rub(draft.amount),
        ),
        reply_markup=markup([[_b(_("✅ Register the application"), "send_app")]]),
    )  # fmt: skip


@router.message(StateFilter(*ApplicationForm.__all_states__))
async def application_step(
    message: Message, state: FSMContext, i18n: I18n, competitions: CompetitionService
) -> None:
    current = await state.get_state()
    text = message.text or ""
    try:
        if not message.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        if current == ApplicationForm.project.state:
            await state.update_data(project=check_text(text, *PROJECT_LIMITS))
            await _app_after(message, state, current, competitions)
        elif current == ApplicationForm.direction.state:
            code = next((c for c, label in DIRECTIONS.items() if typed_is(i18n, text, label)), None)
            if code is None:
                raise DomainError(N_("Choose a direction with the buttons."))
            await state.update_data(direction=code)
            await _app_after(message, state, current, competitions)
        elif current == ApplicationForm.amount.state:
            cid = int((await state.get_data())["cid"])
            # The competition's maximum grant is checked here, not only on registering.
            amount = await competitions.check_amount(cid, parse_amount(text))
            await state.update_data(amount=amount)
            await _app_after(message, state, current, competitions)
        elif current == ApplicationForm.initiative.state and is_skip(i18n, text):
            await state.update_data(initiative_id=None)
            await _app_preview(message, state, competitions)
        else:
            await message.answer(_("Please use the buttons above, or /cancel."))
    except DomainError as error:
        await message.answer(render_error(error))


# -- staff: the deadline and the amount awarded ------------------------------------------------


@router.message(StateFilter(*CompStaffForm.__all_states__))
async def staff_step(
    message: Message,
    state: FSMContext,
    user: Person,
    role: Role,
    i18n: I18n,
    clock: Clock,
    competitions: CompetitionService,
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    try:
        if not message.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        if current == CompStaffForm.deadline.state:
            deadline = parse_when(message.text, clock.now(), competitions.timezone, words_of(i18n))
            updated = await competitions.update(user.id, int(data["cid"]), {"deadline": deadline})
            await state.clear()
            await message.answer(
                _("The deadline is now {deadline}; everyone eligible is told.").format(
                    deadline=competitions.when(deadline)
                )
            )
            await _card(message, user, role, competitions, updated.competition)
        else:
            app = await competitions.record_result(
                user.id, int(data["app"]), True, parse_amount(message.text)
            )
            await state.clear()
            await message.answer(
                _("Saved; the applicants are told.") + "\n" + _application_line(app)
            )
    except DomainError as error:
        await message.answer(render_error(error))


# -- staff: changing one field of an announced competition ------------------------------------


def _current_value(c: Competition, field: str, service: CompetitionService) -> str:
    value = getattr(c, field)
    if value is None:
        return "—"
    if field == "eligible":
        return _eligible_text(value)
    if isinstance(value, datetime):
        return service.when(value)
    if field == "max_grant":
        return _rub(value)
    return escape(short(str(value), 300))


async def _ask_edit(
    message: Message,
    state: FSMContext,
    service: CompetitionService,
    c: Competition,
    field: str,
) -> None:
    step = CompEditForm.eligible if field == "eligible" else CompEditForm.value
    await state.set_state(step)  # a form first, then its data
    await state.set_data({"cid": c.id, "field": field, "eligible": list(c.eligible)})
    now = _("Currently: {value}").format(value=_current_value(c, field, service))
    stop = _("/cancel to stop.")
    if field == "eligible":
        await message.answer(
            "\n".join([now, _(PROMPTS["eligible"]), stop]),
            reply_markup=_eligible_markup(list(c.eligible)),
        )
        return
    buttons = markup([[_b(_("Now"), "now")]]) if field == "opens_at" else None
    await message.answer("\n".join([now, _(PROMPTS[field]), stop]), reply_markup=buttons)


async def _save_edit(
    message: Message,
    state: FSMContext,
    user: Person,
    role: Role,
    service: CompetitionService,
    values: dict[str, Any],
) -> None:
    """Save the change (the service checks the role and the competition again); a refusal
    keeps the step open for another answer."""
    cid = int((await state.get_data())["cid"])
    try:
        updated = await service.update(user.id, cid, values)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await state.clear()
    await message.answer(_("Saved; participants are told.") if updated.told else _("Saved."))
    await _card(message, user, role, service, updated.competition)


@router.message(StateFilter(*CompEditForm.__all_states__))
async def edit_step(
    message: Message,
    state: FSMContext,
    user: Person,
    role: Role,
    i18n: I18n,
    clock: Clock,
    competitions: CompetitionService,
) -> None:
    data = await state.get_data()
    field = str(data.get("field", "eligible"))
    try:
        if not message.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        value = parse_field(field, message.text, i18n, clock, competitions)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await _save_edit(message, state, user, role, competitions, {field: value})
