"""A body's application to a competition: the project, its direction, the amount and the TOS's
initiative it carries on. Opened by the card's «Apply for …» (handlers/competitions.py) with
the competition and the body; the rules (the maximum grant, who may apply) are the
competition service's."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.utils.i18n import gettext as _

from bot.domain.competitions import Application
from bot.i18n import fill
from bot.services.competitions import (
    ApplicationDraft,
    CompetitionService,
    check_project,
    parse_amount,
)
from bot.services.errors import N_, DomainError
from bot.services.initiatives import DIRECTIONS
from handlers.competition_cards import rub
from handlers.forms import Answer, Choice, Form, FormCall, Step, typed_text
from handlers.render import escape

NOT_TEXT = N_("Please answer with text. /cancel to stop.")


@dataclass
class ApplicationFormDraft(ApplicationDraft):
    """The application, with the competition's title for the questions and the preview."""

    competition_title: str = ""


Call = FormCall[ApplicationFormDraft, CompetitionService]
ApplicationStep = Step[ApplicationFormDraft, CompetitionService]


def ask_project(call: Call) -> str:
    if call.editing:
        return _("The project's title (3 to 200 characters):")
    return fill(
        _(
            "The application to «{title}». The project's title (3 to 200 characters). "
            "/cancel to stop."
        ),
        title=escape(call.draft.competition_title),
    )


async def read_amount(call: Call, answer: Answer) -> int:
    """The amount, within the competition's maximum grant (checked here, and on sending)."""
    if not answer.text:
        raise DomainError(NOT_TEXT)
    return await call.service.check_amount(call.draft.competition_id, parse_amount(answer.text))


async def initiative_choices(call: Call) -> list[Choice]:
    """The TOS's initiatives under way the project may carry on."""
    if call.draft.body_kind != "tos":
        return []
    found = await call.service.tos_initiatives(call.draft.body_id)
    return [Choice(str(iid), title[:60], value=iid, named=True) for iid, title in found]


async def has_initiatives(call: Call) -> bool:
    return bool(await initiative_choices(call))


async def preview(call: Call) -> str:
    draft = call.draft
    return fill(
        _("The application to «{title}»:\n«{project}», {direction}, {amount}."),
        title=escape(draft.competition_title),
        project=escape(draft.project),
        direction=_(DIRECTIONS[draft.direction]),
        amount=rub(draft.amount),
    )


async def submit(call: Call) -> Application:
    return await call.service.register(call.user.id, call.draft.competition_id, call.draft)


async def registered(call: Call, app: Application) -> None:
    await call.say(
        fill(
            _(
                "The application «{project}» of «{body}» is registered. Reminders about this "
                "competition stop. You can withdraw it before the deadline in /competitions."
            ),
            project=escape(app.project),
            body=escape(app.body_name),
        )
    )


APPLICATION = Form(
    "application",
    draft=ApplicationFormDraft,
    service="competitions",
    unfinished=N_("You have not registered the application yet."),
    steps=(
        ApplicationStep(
            "project",
            N_("Project"),
            ask_project,
            read=typed_text(check_project, NOT_TEXT),
        ),
        ApplicationStep(
            "direction",
            N_("Direction"),
            N_("The project's direction:"),
            choices=tuple(Choice(code, label) for code, label in DIRECTIONS.items()),
            retry=N_("Choose a direction with the buttons."),
        ),
        ApplicationStep(
            "amount",
            N_("Amount"),
            N_("The amount requested, in roubles (e.g. 150000):"),
            read=read_amount,
        ),
        ApplicationStep(
            "initiative_id",
            N_("Initiative"),
            N_("Is the project one of your TOS's initiatives? Choose it, or press «No»."),
            choices=initiative_choices,
            applies=has_initiatives,
            skip=N_("No, not linked"),
        ),
    ),
    preview=preview,
    submit=submit,
    done=registered,
    send=N_("✅ Register the application"),
)
