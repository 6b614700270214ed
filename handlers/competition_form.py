"""Staff announce a competition: a form of nine steps (opened by the list's «New competition»,
handlers/competition_staff.py). How each answer is read is shared with staff's change of one
field of an announced competition; the rules (limits, times, links, amounts) are the
competition service's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, cast

from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.domain.competitions import Competition
from bot.i18n import fill
from bot.services.competitions import (
    ELIGIBLE,
    CompetitionDraft,
    CompetitionService,
    check_description,
    check_organiser,
    check_title,
    parse_amount,
    parse_url,
)
from bot.services.errors import N_, DomainError
from bot.services.vocabulary import SKIP
from bot.services.when import parse_when
from bot.vocabulary import label_variants, normalize_label, words_of
from handlers.competition_cards import competition_text
from handlers.forms import Answer, Choice, Form, FormCall, Step, typed_text
from handlers.render import escape

NOT_TEXT = N_("Please answer with text. /cancel to stop.")
NOW = N_("Now")
NOW_WORDS = N_("now, right away")
# What each step asks (the announcement and staff's change of one field).
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
# Their names under «Change a step».
LABELS = {
    "title": N_("Title"),
    "organiser": N_("Organiser"),
    "description": N_("Description"),
    "eligible": N_("Who may apply"),
    "opens_at": N_("Start of applications"),
    "deadline": N_("Deadline"),
    "results_at": N_("Results date"),
    "rules_url": N_("Rules link"),
    "max_grant": N_("Maximum grant"),
}

D = TypeVar("D", bound=CompetitionDraft)
Call = FormCall[CompetitionDraft, CompetitionService]


# -- how each answer is read (both forms) ------------------------------------------------------


async def read_eligible(call: FormCall[Any, CompetitionService], answer: Answer) -> list[str]:
    """Who may apply, typed: «TOS, NGOs» (the labels in any of the bot's languages)."""
    parts = [normalize_label(part) for part in (answer.text or "").split(",")]
    chosen = [
        code
        for code, label in ELIGIBLE.items()
        if any(part in label_variants(call.i18n, label) for part in parts)
    ]
    if not chosen:
        raise DomainError(N_("Press the buttons, or type e.g. «TOS, NGOs»."))
    return chosen


ELIGIBLE_CHOICES = tuple(Choice(code, label) for code, label in ELIGIBLE.items())


def read_time(name: str) -> Any:
    """A typed moment for the field `name`, checked with the draft's other times."""

    async def read(call: FormCall[D, CompetitionService], answer: Answer) -> datetime:
        if not answer.text:
            raise DomainError(NOT_TEXT)
        clock: Clock = call.data["clock"]
        moment = parse_when(answer.text, clock.now(), call.service.timezone, words_of(call.i18n))
        call.service.check_times(replace(cast(Any, call.draft), **{name: moment}))
        return moment

    return read


async def pick_now(call: FormCall[D, CompetitionService], code: str) -> datetime:
    """«Now»: applications open at once."""
    clock: Clock = call.data["clock"]
    now = clock.now()
    call.service.check_times(replace(call.draft, opens_at=now))
    return now


NOW_CHOICE = Choice("now", NOW, words=NOW_WORDS)
READERS: dict[str, Any] = {
    "title": typed_text(check_title, NOT_TEXT),
    "organiser": typed_text(check_organiser, NOT_TEXT),
    "description": typed_text(check_description, NOT_TEXT),
    "eligible": read_eligible,
    "opens_at": read_time("opens_at"),
    "deadline": read_time("deadline"),
    "results_at": read_time("results_at"),
    "rules_url": typed_text(parse_url, NOT_TEXT),
    "max_grant": typed_text(parse_amount, NOT_TEXT),
}


def field_step(name: str, prompt: Any, **more: Any) -> Step[Any, CompetitionService]:
    """The step that fills the field `name`, read as both forms read it."""
    if name == "eligible":
        more = {"choices": ELIGIBLE_CHOICES, "many": True, "skip": N_("Done"), **more}
        more.setdefault("complete", lambda draft: bool(draft.eligible))
    elif name == "opens_at":
        more = {"choices": (NOW_CHOICE,), "pick": pick_now, **more}
    return Step(name, LABELS[name], prompt, read=READERS[name], **more)


# -- the announcement ----------------------------------------------------------------------------


def ask_title(call: Call) -> str:
    if call.editing:
        return _(PROMPTS["title"])
    return _(
        "A new competition: ten short steps, /cancel leaves at any time.\n\n"
        "The competition's title:"
    )


async def preview(call: Call) -> str:
    return (
        _("This is how it will be announced:") + "\n\n" + competition_text(call.draft, call.service)
    )


async def submit(call: Call) -> Competition:
    return await call.service.create(call.user.id, call.draft)


async def announced(call: Call, created: Competition) -> None:
    await call.say(
        fill(
            _(
                "The competition «{title}» is announced. Eligible chairs and representatives "
                "are told, and reminded before the deadline until they apply."
            ),
            title=escape(created.title),
        )
    )


COMPETITION = Form(
    "competition",
    draft=CompetitionDraft,
    service="competitions",
    unfinished=N_("You have not announced the competition yet."),
    steps=(
        field_step("title", ask_title),
        *(
            field_step(name, PROMPTS[name])
            for name in ("organiser", "description", "eligible", "opens_at", "deadline")
        ),
        *(
            field_step(name, PROMPTS[name], skip=SKIP)
            for name in ("results_at", "rules_url", "max_grant")
        ),
    ),
    preview=preview,
    submit=submit,
    done=announced,
    send=N_("📣 Announce"),
)
