"""Grant competitions: staff announce them, eligible chairs and representatives are told and
reminded until their body applies, staff record the results and participants hear them."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.competitions import Application, Competition
from bot.domain.registry import BodyRole, Organisation, Tos
from bot.services.broadcasts import Audience, BroadcastService, audience_of
from bot.services.cases import check_text
from bot.services.errors import N_, NP_, DomainError, NotAllowed, at_field
from bot.services.initiatives import DIRECTIONS
from bot.services.numbers import whole_number
from bot.services.reminders import (
    Wake,
    due_round,
    earliest,
    next_round,
    no_wake,
    round_prefix,
    skip_past_rounds,
)
from bot.services.staff import StaffService
from bot.services.status_groups import INITIATIVE_UNDER_WAY
from bot.services.when import local_text, time_left
from bot.textsplit import length
from storage.db import Database, Repositories, UnitOfWork

log = logging.getLogger(__name__)

ELIGIBLE = {
    "tos": N_("TOS"),
    "ngo": N_("NGOs"),
    "group": N_("initiative groups"),
}
# Which organisation kinds each eligibility admits (a public organisation counts as an NGO).
ORG_KINDS_OF = {"ngo": ("ngo", "other"), "group": ("group",)}
LEADER_ROLES = {"tos": ("chair", "deputy"), "org": ("rep",)}
REMIND_KIND = "comp-remind"
KEEP_LOOKING = timedelta(days=30)  # rounds missed longer ago than this are not even logged
URL_RE = re.compile(r"^https?://\S+\.\S+$")

OPENED = N_(
    "🏆 A new competition: <b>{title}</b> ({organiser}).\n"
    "Applications are open until {deadline}.\n"
    "Details and registering your application: /competitions"
)
REMIND = N_(
    "⏰ «{body}» has not registered an application to «{title}» yet. The deadline is "
    "{deadline} ({left} left). /competitions"
)
DEADLINE_MOVED = N_("📅 The deadline of the competition «{title}» has changed: now {deadline}.")
RESULTS_MOVED = N_("📅 Competition «{title}»: the results will now be announced on {date}.")
RULES_CHANGED = N_("📄 Competition «{title}»: the rules have changed: {link}")
RESULTS_AND_RULES = N_(
    "📄 Competition «{title}»: the results will now be announced on {date}; the rules have "
    "changed: {link}"
)
RESULT_WIN = N_(
    "🎉 Competition «{title}»: the application «{project}» of «{body}» has won! "
    "Awarded: {amount} ₽."
)
RESULT_LOSE = N_(
    "Competition «{title}»: the application «{project}» of «{body}» did not win this time. "
    "Thank you for taking part!"
)
# The results in public: to everyone the opening went to, after the applicants who did not
# win have heard privately (their notices are queued first: the outbox sends in order).
RESULTS_PUBLIC = N_(
    "🏁 Competition «{title}» ({organiser}): the results are in.\n"
    "Winners:\n{winners}{more}\n"
    "Thank you to everyone who took part! /competitions"
)
WINNER_LINE = N_("🎉 «{body}»: «{project}», {amount} ₽")
WINNER_LINE_NO_AMOUNT = N_("🎉 «{body}»: «{project}»")
MORE_WINNERS = NP_(
    "\n…and {count} more winner: /competitions", "\n…and {count} more winners: /competitions"
)
WINNERS_IN_MESSAGE = 5  # the announcement names this many; the card in /competitions all
FINISHED_LISTED = 5  # finished competitions in /competitions, the latest first


# What staff may change after the announcement, and the text limits the creation form uses.
EDITABLE = (
    "title",
    "organiser",
    "description",
    "eligible",
    "opens_at",
    "deadline",
    "results_at",
    "rules_url",
    "max_grant",
)
TEXT_LIMITS = {"title": (3, 200), "organiser": (2, 200), "description": (10, 2000)}
PROJECT_LIMITS = (3, 200)  # an application's project title
MAX_AMOUNT = 10**12  # roubles: twelve digits at most (parse_amount reads no more)


@dataclass
class CompetitionDraft:
    title: str = ""
    organiser: str = ""
    description: str = ""
    eligible: tuple[str, ...] = ()
    opens_at: datetime | None = None
    deadline: datetime | None = None
    results_at: datetime | None = None
    rules_url: str | None = None
    max_grant: int | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class CompetitionChange(CompetitionDraft):
    """Staff's change of one field (`field`) of an announced competition: the competition's
    values, the one being changed among them."""

    competition_id: int = 0
    field: str = ""

    def values(self) -> dict[str, Any]:
        return {self.field: getattr(self, self.field)}


@dataclass
class AwardDraft:
    """The amount awarded to a winning application."""

    application_id: int = 0
    awarded: int | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass(frozen=True, slots=True)
class Updated:
    """What a change did: the competition as saved, and whether participants were told (a
    new deadline, results date or rules link, once it was announced)."""

    competition: Competition
    told: bool


@dataclass(frozen=True, slots=True)
class ResultsPreview:
    """What announcing the results will do: the winners (the most awarded first), how many
    applications did not win (their applicants are told privately first), how many people
    the announcement goes to, and its arguments (RESULTS_PUBLIC)."""

    competition: Competition
    winners: tuple[Application, ...]
    not_winners: int
    audience: int
    args: dict[str, Any]


@dataclass
class ApplicationDraft:
    body_kind: str = ""
    body_id: int = 0
    project: str = ""
    direction: str = ""
    amount: int = 0
    initiative_id: int | None = None
    competition_id: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(8))


def check_title(text: str) -> str:
    return check_text(text, *TEXT_LIMITS["title"])


def check_organiser(text: str) -> str:
    return check_text(text, *TEXT_LIMITS["organiser"])


def check_description(text: str) -> str:
    return check_text(text, *TEXT_LIMITS["description"])


def check_project(text: str) -> str:
    """An application's project title."""
    return check_text(text, *PROJECT_LIMITS)


def parse_amount(value: str) -> int:
    # Spaces, the rouble sign and a currency word after the number («150 000 rub.») go.
    digits = re.sub(r"[^\W\d_]+\.?$", "", re.sub(r"[\s\u00a0₽]", "", value.strip()))
    amount = whole_number(digits, high=MAX_AMOUNT)
    if amount is None:
        raise DomainError(N_("Write the amount in roubles as a whole number, e.g. 150000."))
    return amount


def parse_url(value: str) -> str:
    value = value.strip()
    if not URL_RE.match(value) or length(value) > 500:
        raise DomainError(N_("Send a link starting with https://, e.g. https://example.ru/rules"))
    return value


def _admits(competition: Competition, body: Tos | Organisation | None) -> bool:
    """Whether the competition admits this TOS or organisation (an inactive one never)."""
    if body is None or not body.active:
        return False
    if isinstance(body, Tos):
        return "tos" in competition.eligible
    return any(body.kind in ORG_KINDS_OF.get(e, ()) for e in competition.eligible)


def _winners(applications: Sequence[Application]) -> list[Application]:
    """The registered winners, the most awarded first, then by name."""
    found = [a for a in applications if a.status == "registered" and a.result == "winner"]
    return sorted(found, key=lambda a: (-(a.awarded or 0), a.body_name, a.id))


def _check_amount(competition: Competition, amount: int) -> int:
    if competition.max_grant is not None and amount > competition.max_grant:
        raise DomainError(
            N_("The competition gives at most {amount} ₽."), amount={"n": competition.max_grant}
        ).at("amount")
    return amount


class CompetitionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        *,
        timezone: ZoneInfo,
        offsets: Sequence[timedelta],
        broadcasts: BroadcastService,
    ) -> None:
        self._db = db
        self._clock = clock
        self._staff = staff
        self._broadcasts = broadcasts
        self.timezone = timezone
        self.offsets = tuple(offsets)
        # Called when an opening or a deadline changes: the scheduler looks again at once.
        self.rounds_changed: Wake = no_wake

    def when(self, moment: datetime, style: str = "datetime") -> str:
        """A moment as the town's clock shows it (bot.services.when.local_text)."""
        return local_text(moment, self.timezone, style)

    def require_staff(self, actor_id: int) -> None:
        self._staff.require_staff(actor_id)

    # -- reads --------------------------------------------------------------------------------

    async def get(self, competition_id: int, user_id: int | None = None) -> Competition:
        """The competition; for a resident (`user_id` not staff), not before it opens: a
        forged button shows nothing that is not announced yet."""
        found = await self._db.read.competitions.get(competition_id)
        hidden = (
            found is not None
            and user_id is not None
            and found.opens_at > self._clock.now()
            and not self._staff.role_of(user_id).is_staff
        )
        if found is None or hidden:
            raise DomainError(N_("This competition is no longer in the bot."))
        return found

    async def listed(self, user_id: int) -> list[Competition]:
        """What /competitions shows: open ones; staff also see those not yet open or past
        their deadline until they close them."""
        now = self._clock.now()
        found = await self._db.read.competitions.open_ones()
        if self._staff.role_of(user_id).is_staff:
            return found
        return [c for c in found if c.opens_at <= now < c.deadline]

    async def finished(self) -> list[Competition]:
        """What /competitions shows as finished: the latest whose results are announced."""
        return await self._db.read.competitions.finished(FINISHED_LISTED)

    async def winners(self, competition: Competition) -> list[Application]:
        """The winners, the most awarded first; public only once the results are announced
        (before that, staff see them among the applications)."""
        if not competition.finished:
            return []
        found = await self._db.read.competitions.applications(competition.id)
        return _winners(found)

    def may_announce_results(self, competition: Competition) -> bool:
        """Whether the card offers staff to announce the results: past the deadline and not
        announced yet (the preview says what is still missing, if anything)."""
        return not competition.finished and self._clock.now() >= competition.deadline

    async def my_bodies(self, user_id: int, competition: Competition) -> list[BodyRole]:
        """The bodies this person speaks for that may apply to the competition."""
        org_kinds = {k for e in competition.eligible for k in ORG_KINDS_OF.get(e, ())}
        result = []
        for role in await self._db.read.registry.roles_of(user_id):  # active bodies only
            if role.role not in LEADER_ROLES[role.body_kind]:
                continue
            if role.body_kind == "tos":
                eligible = "tos" in competition.eligible
            else:  # the organisation's kind decides; looked up only if any kind is admitted
                eligible = bool(org_kinds) and _admits(
                    competition, await self._db.read.registry.get_org(role.body_id)
                )
            if eligible:
                result.append(role)
        return result

    async def my_applications(
        self, user_id: int, competition: Competition
    ) -> list[tuple[BodyRole, Application | None]]:
        """The bodies this person may apply for, each with its registered application."""
        bodies = await self.my_bodies(user_id, competition)
        if not bodies:
            return []
        registered = {
            (a.body_kind, a.body_id): a
            for a in await self._db.read.competitions.applications(competition.id)
            if a.status == "registered"
        }
        return [(b, registered.get((b.body_kind, b.body_id))) for b in bodies]

    async def applications(self, actor_id: int, competition_id: int) -> list[Application]:
        self._staff.require_staff(actor_id)
        return await self._db.read.competitions.applications(competition_id)

    async def application(self, actor_id: int, application_id: int) -> Application:
        self._staff.require_staff(actor_id)
        found = await self._db.read.competitions.application(application_id)
        if found is None:
            raise DomainError(N_("This application is no longer in the bot."))
        return found

    async def undecided(self, actor_id: int, application_id: int) -> Application:
        """The application, for staff about to record its result: refused at once when the
        results are announced already (recording checks it again)."""
        found = await self.application(actor_id, application_id)
        competition = await self._db.read.competitions.get(found.competition_id)
        if competition is not None and competition.finished:
            raise DomainError(N_("The results are already announced and stay as they are."))
        return found

    async def tos_initiatives(self, tos_id: int) -> list[tuple[int, str]]:
        """The TOS's public initiatives an application may be linked to."""
        found = await self._db.read.initiatives.of_tos(tos_id, INITIATIVE_UNDER_WAY, 8)
        return [(i.id, i.title) for i in found]

    # -- rules ----------------------------------------------------------------------------------

    async def _eligible(
        self, repos: Any, competition: Competition, body_kind: str, body_id: int
    ) -> bool:
        if body_kind == "tos":
            return _admits(competition, await repos.registry.get_tos(body_id))
        return _admits(competition, await repos.registry.get_org(body_id))

    async def _leaders(self, uow: Repositories, competition: Competition) -> list[BodyRole]:
        """Everyone who speaks for an eligible body."""
        people = []
        if "tos" in competition.eligible:
            people += await uow.registry.chairs("tos")
        kinds = tuple(k for e in competition.eligible for k in ORG_KINDS_OF.get(e, ()))
        people += await uow.registry.org_leaders(kinds)
        return people

    def check_times(self, draft: CompetitionDraft) -> None:
        """The times of a draft, as far as they are given: the form checks them at each
        step, creating and changing a competition check them all again."""
        if draft.deadline is None:
            return
        if draft.deadline <= self._clock.now():
            raise DomainError(N_("The deadline has already passed. Choose a later time.")).at(
                "deadline"
            )
        if draft.opens_at is not None and draft.deadline <= draft.opens_at:
            raise DomainError(N_("The deadline must come after the start of applications.")).at(
                "deadline"
            )
        if draft.results_at is not None and draft.results_at < draft.deadline:
            raise DomainError(N_("The results cannot come before the deadline.")).at("results_at")

    # -- staff ----------------------------------------------------------------------------------

    async def create(self, actor_id: int, draft: CompetitionDraft) -> Competition:
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        if draft.opens_at is None:
            draft.opens_at = now
        assert draft.deadline is not None
        self.check_times(draft)
        if not draft.eligible or not set(draft.eligible) <= set(ELIGIBLE):
            raise DomainError(N_("Choose who may apply.")).at("eligible")
        values = self._checked(
            {
                "title": draft.title,
                "organiser": draft.organiser,
                "description": draft.description,
                "eligible": draft.eligible,
                "opens_at": draft.opens_at,
                "deadline": draft.deadline,
                "results_at": draft.results_at,
                "rules_url": draft.rules_url,
                "max_grant": draft.max_grant,
            }
        )
        async with self._db.transaction() as uow:
            competition_id = await uow.competitions.create(values, actor_id, now)
            # Rounds already due at creation (a deadline days away) are not sent on top of
            # the announcement.
            assert draft.deadline is not None
            await skip_past_rounds(
                uow.reminders.claim_stage,
                REMIND_KIND,
                competition_id,
                draft.deadline,
                self.offsets,
                now,
            )
        await self.announce_due()
        self.rounds_changed()
        return await self.get(competition_id)

    async def require_editable(
        self, actor_id: int, competition_id: int, field: str | None = None
    ) -> Competition:
        """Staff only, only while the competition is open, and the start of applications
        only before they open: checked when a change starts and again when it is saved."""
        self._staff.require_staff(actor_id)
        found = await self._db.read.competitions.get(competition_id)
        if found is None or found.status != "open":
            raise DomainError(N_("This competition is closed and cannot be changed."))
        if field == "opens_at":
            self._require_not_opened(found)
        return found

    def _require_not_opened(self, competition: Competition) -> None:
        if self.opened(competition):
            raise DomainError(
                N_("Applications have already opened: their start cannot be changed.")
            )

    def opened(self, competition: Competition) -> bool:
        return competition.announced_at is not None or competition.opens_at <= self._clock.now()

    def _checked(self, values: dict[str, Any]) -> dict[str, Any]:
        """The creation form's rules, for values that did not come through it."""
        unknown = set(values) - set(EDITABLE)
        if not values or unknown:
            raise KeyError(", ".join(sorted(unknown)) or "nothing to change")
        out = dict(values)
        for key, (low, high) in TEXT_LIMITS.items():
            if key in out:
                out[key] = at_field(key, check_text, out[key], low, high)
        if "eligible" in out:
            out["eligible"] = tuple(dict.fromkeys(out["eligible"]))
            if not out["eligible"] or not set(out["eligible"]) <= set(ELIGIBLE):
                raise DomainError(N_("Choose who may apply.")).at("eligible")
        if out.get("rules_url") is not None:
            out["rules_url"] = at_field("rules_url", parse_url, out["rules_url"])
        if out.get("max_grant") is not None and (
            not isinstance(out["max_grant"], int) or not 0 <= out["max_grant"] < MAX_AMOUNT
        ):
            raise DomainError(N_("Write the amount in roubles as a whole number, e.g. 150000.")).at(
                "max_grant"
            )
        return out

    async def update(self, actor_id: int, competition_id: int, values: dict[str, Any]) -> Updated:
        """Change fields with the creation form's rules.

        Participants (eligible leaders, once it was announced) are told of a new deadline,
        results date or rules link; other changes are silent. A narrowed eligibility cancels
        queued reminders to bodies no longer eligible (later rounds skip them anyway); a
        widened one announces it to the newly eligible, once. The start of applications can
        move only before they open, so the announcement still goes out once.
        """
        self._staff.require_staff(actor_id)
        values = self._checked(values)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            old = await uow.competitions.get(competition_id)
            if old is None or old.status != "open":
                raise DomainError(N_("This competition is closed and cannot be changed."))
            if "opens_at" in values:
                self._require_not_opened(old)
                values["opens_at"] = max(values["opens_at"], now)
            draft = CompetitionDraft(
                opens_at=values.get("opens_at", old.opens_at),
                deadline=values.get("deadline", old.deadline),
                results_at=values.get("results_at", old.results_at),
            )
            if "deadline" in values or "opens_at" in values or "results_at" in values:
                self.check_times(draft)
            await uow.competitions.update(competition_id, values, now)
            new = await uow.competitions.get(competition_id)
            assert new is not None
            if new.deadline != old.deadline:
                cancelled = await uow.reminders.cancel_queued(
                    round_prefix(REMIND_KIND, competition_id, old.deadline)
                )
                if cancelled:
                    log.info(
                        "%d queued reminders of competition %d cancelled: deadline moved",
                        cancelled,
                        competition_id,
                    )
                await skip_past_rounds(
                    uow.reminders.claim_stage,
                    REMIND_KIND,
                    competition_id,
                    new.deadline,
                    self.offsets,
                    now,
                )
            if new.eligible != old.eligible:
                await self._eligibility_changed(uow, old, new, now)
            told = old.announced_at is not None and await self._tell_participants(
                uow, old, new, now
            )
        if "opens_at" in values:
            await self.announce_due()
        if new.deadline != old.deadline or new.opens_at != old.opens_at:
            self.rounds_changed()
        return Updated(new, told)

    async def _eligibility_changed(
        self, uow: UnitOfWork, old: Competition, new: Competition, now: datetime
    ) -> None:
        leaders = await self._leaders(uow, new)
        keep = {f"{p.body_kind}{p.body_id}:{p.user_id}" for p in leaders}
        dropped = [
            key
            for key in await uow.reminders.queued_keys(
                round_prefix(REMIND_KIND, new.id, new.deadline)
            )
            if key.split(":", 4)[-1] not in keep
        ]
        people = {p.user_id for p in leaders}
        dropped += [
            key
            for key in await uow.reminders.queued_keys(f"comp-open:{new.id}:")
            if int(key.rsplit(":", 1)[-1]) not in people
        ]
        if dropped:
            cancelled = await uow.reminders.cancel_keys(dropped)
            log.info(
                "%d queued messages of competition %d cancelled: eligibility narrowed",
                cancelled,
                new.id,
            )
        if old.announced_at is None or now >= new.deadline:
            return
        args = {
            "title": new.title,
            "organiser": new.organiser,
            "deadline": self.when(new.deadline),
        }
        for person in sorted(people):  # the newly eligible; the key keeps it once for the rest
            await uow.outbox.enqueue(
                person, now=now, template=OPENED, args=args, key=f"comp-open:{new.id}:{person}"
            )

    async def _tell_participants(
        self, uow: UnitOfWork, old: Competition, new: Competition, now: datetime
    ) -> bool:
        """One short message for each change participants need: the deadline; the results
        date and the rules link (together, if both changed). True if anyone was told."""
        people = sorted({p.user_id for p in await self._leaders(uow, new)})
        messages: list[tuple[str, dict[str, Any], str]] = []
        if new.deadline != old.deadline:
            messages.append(
                (
                    DEADLINE_MOVED,
                    {"title": new.title, "deadline": self.when(new.deadline)},
                    f"comp-deadline:{new.id}:{new.deadline.isoformat()}",
                )
            )
        results = new.results_at if new.results_at != old.results_at else None
        rules = new.rules_url if new.rules_url != old.rules_url else None
        stamp = now.isoformat()
        if results is not None and rules is not None:
            messages.append(
                (
                    RESULTS_AND_RULES,
                    {"title": new.title, "date": self.when(results), "link": rules},
                    f"comp-news:{new.id}:{stamp}",
                )
            )
        elif results is not None:
            messages.append(
                (
                    RESULTS_MOVED,
                    {"title": new.title, "date": self.when(results)},
                    f"comp-results:{new.id}:{stamp}",
                )
            )
        elif rules is not None:
            messages.append(
                (RULES_CHANGED, {"title": new.title, "link": rules}, f"comp-rules:{new.id}:{stamp}")
            )
        for template, args, key in messages:
            for person in people:
                await uow.outbox.enqueue(
                    person, now=now, template=template, args=args, key=f"{key}:{person}"
                )
        return bool(messages and people)

    async def close(self, actor_id: int, competition_id: int) -> None:
        self._staff.require_staff(actor_id)
        async with self._db.transaction() as uow:
            await uow.competitions.update(competition_id, {"status": "closed"}, self._clock.now())

    async def record_result(
        self, actor_id: int, application_id: int, winner: bool, awarded: int | None
    ) -> Application:
        """Winner (with the amount awarded) or not; the body's chair and deputies are told.
        Once the results are announced in public, they stay as announced."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        result = "winner" if winner else "not_winner"
        async with self._db.transaction() as uow:
            application = await uow.competitions.application(application_id)
            if application is None or application.status != "registered":
                raise DomainError(N_("This application was withdrawn."))
            competition = await uow.competitions.get(application.competition_id)
            assert competition is not None
            if competition.finished:
                raise DomainError(N_("The results are already announced and stay as they are."))
            await uow.competitions.set_result(
                application_id, result, awarded if winner else None, now
            )
            decided = await uow.competitions.application(application_id)
            assert decided is not None
            await self._tell_result(uow, competition, decided, now)
        return decided

    async def _tell_result(
        self, uow: UnitOfWork, competition: Competition, application: Application, now: datetime
    ) -> None:
        """The application's result, privately to its body's chair and deputies (or the
        organisation's representatives); once for each result, whoever asks again."""
        winner = application.result == "winner"
        args = {
            "title": competition.title,
            "project": application.project,
            "body": application.body_name,
            "amount": {"n": application.awarded or 0},
        }
        key = f"comp-result:{application.id}:{application.result}:{application.awarded}"
        people = await uow.registry.people_of(application.body_kind, application.body_id)
        for person in people:
            if person.role in LEADER_ROLES[application.body_kind]:
                await uow.outbox.enqueue(
                    person.user_id,
                    now=now,
                    template=RESULT_WIN if winner else RESULT_LOSE,
                    args=args,
                    key=f"{key}:{person.user_id}",
                )

    # -- the results in public --------------------------------------------------------------

    async def _results_ready(
        self, repos: Repositories, competition_id: int
    ) -> tuple[Competition, list[Application], list[Application]]:
        """The competition, its winners and the rest of its decided applications, if its
        results may be announced now; a refusal that says what is missing otherwise."""
        competition = await repos.competitions.get(competition_id)
        if competition is None:
            raise DomainError(N_("This competition is no longer in the bot."))
        if competition.finished:
            assert competition.results_announced_at is not None
            raise DomainError(
                N_("These results were already announced on {date}."),
                date=self.when(competition.results_announced_at, "date"),
            )
        if self._clock.now() < competition.deadline:
            raise DomainError(
                N_("Applications are open until {deadline}: announce the results after it."),
                deadline=self.when(competition.deadline),
            )
        registered = [
            a
            for a in await repos.competitions.applications(competition_id)
            if a.status == "registered"
        ]
        if not registered:
            raise DomainError(N_("The competition has no applications: no results to announce."))
        if any(a.result is None for a in registered):
            raise DomainError(
                N_(
                    "Not every application has a result yet: record them all first "
                    "(📋 Applications)."
                )
            )
        winners = _winners(registered)
        if not winners:
            raise DomainError(N_("No application is recorded as a winner: no winners to announce."))
        return competition, winners, [a for a in registered if a.result != "winner"]

    def _public_args(self, competition: Competition, winners: list[Application]) -> dict[str, Any]:
        shown = winners[:WINNERS_IN_MESSAGE]
        more = len(winners) - len(shown)
        lines: list[dict[str, Any]] = []
        for a in shown:
            line: dict[str, Any] = {"body": a.body_name, "project": a.project}
            if a.awarded:
                lines.append({"t": WINNER_LINE, **line, "amount": {"n": a.awarded}})
            else:
                lines.append({"t": WINNER_LINE_NO_AMOUNT, **line})
        return {
            "title": competition.title,
            "organiser": competition.organiser,
            "winners": lines,
            "more": {"t": MORE_WINNERS[0], "p": MORE_WINNERS[1], "count": more} if more else "",
        }

    async def results_preview(self, actor_id: int, competition_id: int) -> ResultsPreview:
        """What announcing the results would send, for staff to read before they do."""
        self._staff.require_staff(actor_id)
        read = self._db.read
        competition, winners, others = await self._results_ready(read, competition_id)
        people = {p.user_id for p in await self._leaders(read, competition)}
        return ResultsPreview(
            competition,
            tuple(winners),
            len(others),
            len(people),
            self._public_args(competition, winners),
        )

    async def announce_results(self, actor_id: int, competition_id: int) -> int:
        """Announce the winners to everyone eligible (as the opening was), once; the
        applicants who did not win are told privately first, in the same unit of work.
        The competition is then finished (closed, shown with its winners). Returns how many
        people the announcement goes to."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            competition, winners, others = await self._results_ready(uow, competition_id)
            if not await uow.competitions.mark_results_announced(competition_id, actor_id, now):
                raise DomainError(N_("These results are already announced."))
            for application in others:  # queued already when recorded: then nothing new
                await self._tell_result(uow, competition, application, now)
            people = sorted({p.user_id for p in await self._leaders(uow, competition)})
            if people:
                await self._broadcasts.start_for(
                    audience_of(Audience.COMPETITION, competition_id),
                    people,
                    RESULTS_PUBLIC,
                    self._public_args(competition, winners),
                    actor_id,
                )  # joins this unit of work
        log.info("competition %d: results announced to %d people", competition_id, len(people))
        return len(people)

    # -- chairs and representatives -----------------------------------------------------------

    async def _require_leader(
        self, uow: UnitOfWork, actor_id: int, kind: str, body_id: int
    ) -> None:
        people = await uow.registry.people_of(kind, body_id)
        if not any(p.user_id == actor_id and p.role in LEADER_ROLES.get(kind, ()) for p in people):
            raise NotAllowed(
                N_(
                    "Only the chair of the TOS, a deputy or the organisation's representative "
                    "can do this."
                )
            )

    async def register(
        self, actor_id: int, competition_id: int, draft: ApplicationDraft
    ) -> Application:
        now = self._clock.now()
        project = at_field("project", check_project, draft.project)
        if draft.direction not in DIRECTIONS:
            raise DomainError(N_("Choose a direction with the buttons.")).at("direction")
        async with self._db.transaction() as uow:
            competition = await uow.competitions.get(competition_id)
            if competition is None or competition.status != "open":
                raise DomainError(N_("This competition is closed."))
            if now < competition.opens_at:
                raise DomainError(
                    N_("Applications open on {date}."), date=self.when(competition.opens_at)
                )
            if now >= competition.deadline:
                raise DomainError(N_("The deadline has passed: applications are closed."))
            await self._require_leader(uow, actor_id, draft.body_kind, draft.body_id)
            if not await self._eligible(uow, competition, draft.body_kind, draft.body_id):
                raise DomainError(N_("Your TOS or organisation may not apply to this competition."))
            existing = await uow.competitions.application_of(
                competition_id, draft.body_kind, draft.body_id
            )
            if existing is not None and existing.status == "registered":
                raise DomainError(
                    N_("«{body}» has already registered an application: «{project}»."),
                    body=existing.body_name,
                    project=existing.project,
                )
            _check_amount(competition, draft.amount)
            initiative = draft.initiative_id
            if initiative is not None and draft.body_kind == "tos":
                linkable = await uow.initiatives.of_tos(draft.body_id, INITIATIVE_UNDER_WAY, 50)
                allowed = {i.id for i in linkable}
                initiative = initiative if initiative in allowed else None
            application_id = await uow.competitions.register(
                competition_id,
                {
                    "body_kind": draft.body_kind,
                    "body_id": draft.body_id,
                    "project": project,
                    "direction": draft.direction,
                    "amount": draft.amount,
                    "initiative_id": initiative,
                    "applicant_id": actor_id,
                },
                now,
            )
            found = await uow.competitions.application(application_id)
        assert found is not None
        return found

    async def check_amount(self, competition_id: int, amount: int) -> int:
        """The amount an application asks for, within the competition's maximum grant (the
        form checks it at its step; registering checks it again)."""
        competition = await self._db.read.competitions.get(competition_id)
        if competition is None:
            raise DomainError(N_("This competition is no longer in the bot."))
        return _check_amount(competition, amount)

    async def withdraw(self, actor_id: int, application_id: int) -> Application:
        now = self._clock.now()
        async with self._db.transaction() as uow:
            application = await uow.competitions.application(application_id)
            if application is None or application.status != "registered":
                raise DomainError(N_("This application is already withdrawn."))
            await self._require_leader(uow, actor_id, application.body_kind, application.body_id)
            competition = await uow.competitions.get(application.competition_id)
            assert competition is not None
            if now >= competition.deadline:
                raise DomainError(N_("The deadline has passed: the application stays."))
            await uow.competitions.withdraw(application_id, now)
        return application

    # -- the scheduler --------------------------------------------------------------------------

    async def announce_due(self) -> int:
        """Tell eligible chairs and representatives of competitions whose window has opened."""
        now = self._clock.now()
        told = 0
        for competition in await self._db.read.competitions.open_ones():
            if competition.announced_at is not None or competition.opens_at > now:
                continue
            async with self._db.transaction() as uow:
                if not await uow.competitions.mark_announced(competition.id, now):
                    continue  # another process did it
                if now >= competition.deadline:
                    log.info(
                        "competition %d opened while the bot was down and its deadline "
                        "passed: not announced",
                        competition.id,
                    )
                    continue
                args = {
                    "title": competition.title,
                    "organiser": competition.organiser,
                    "deadline": self.when(competition.deadline),
                }
                for person in sorted({p.user_id for p in await self._leaders(uow, competition)}):
                    if await uow.outbox.enqueue(
                        person,
                        now=now,
                        template=OPENED,
                        args=args,
                        key=f"comp-open:{competition.id}:{person}",
                    ):
                        told += 1
        return told

    async def remind_due(self) -> int:
        """Queue the reminder rounds that are due, to the leaders of bodies that have not
        applied yet. Returns how many messages were queued."""
        now = self._clock.now()
        queued = 0
        for competition in await self._db.read.competitions.with_deadline_after(now - KEEP_LOOKING):
            if competition.announced_at is None:
                continue
            async with self._db.transaction() as uow:
                current = await uow.competitions.get(competition.id)
                if current is None or current.status != "open":
                    continue
                key = await due_round(
                    uow.reminders.claim_stage,
                    REMIND_KIND,
                    current.id,
                    current.deadline,
                    self.offsets,
                    now,
                )
                if key is None:
                    continue
                applied = await uow.competitions.applied_bodies(current.id)
                for person in await self._leaders(uow, current):
                    if (person.body_kind, person.body_id) in applied:
                        continue
                    args = {
                        "body": person.body_name,
                        "title": current.title,
                        "deadline": self.when(current.deadline),
                        "left": time_left(current.deadline - now),
                    }
                    if await uow.outbox.enqueue(
                        person.user_id,
                        now=now,
                        template=REMIND,
                        args=args,
                        key=f"{key}:{person.body_kind}{person.body_id}:{person.user_id}",
                    ):
                        queued += 1
        return queued

    async def tick(self) -> None:
        await self.announce_due()
        await self.remind_due()

    async def next_due(self) -> datetime | None:
        """When the next opening announcement or reminder round falls, after now."""
        now = self._clock.now()
        moments: list[datetime | None] = []
        for competition in await self._db.read.competitions.with_deadline_after(now):
            if competition.announced_at is None:
                moments.append(competition.opens_at if competition.opens_at > now else None)
            else:
                moments.append(next_round(competition.deadline, self.offsets, now))
        return earliest(*moments)
