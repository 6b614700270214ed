"""The figures of a period's report, as ReportService gathers them for bot.reporting to write:
every total the text states is a sum of the same numbers its tables show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from bot.services.periods import Period
from bot.services.status_groups import INITIATIVE_UNDER_WAY, REQUEST_AWAITING, REQUEST_OPEN


@dataclass(frozen=True, slots=True)
class WinningProject:
    project: str
    direction: str
    awarded: int | None


@dataclass(frozen=True, slots=True)
class CompetitionFigures:
    title: str
    opens_at: datetime
    deadline: datetime
    eligible: tuple[str, ...]  # tos | ngo | group
    tos_applied: int
    ngo_applied: int
    group_applied: int
    decided: int  # applications with a result recorded
    winners: int
    awarded: int
    projects: tuple[WinningProject, ...] = ()
    announced: bool = False  # its results announced to everyone (before, only applicants know)

    @property
    def applications(self) -> int:
        return self.tos_applied + self.ngo_applied + self.group_applied


@dataclass(frozen=True, slots=True)
class EventFigures:
    """One event of the period, held or cancelled, as the report's table of events shows it."""

    title: str
    starts_at: datetime
    joint: bool
    going: int  # signed up in the bot (its waiting list not counted)
    attended: int | None  # as the organiser marked after it; None: not marked
    cancelled: bool


@dataclass
class Figures:
    """One period's figures: the report's own, or those of the period it is compared with.
    `tracked` is False when the bot holds no records of the period: then only the registry
    (TOS by their registration dates) says anything about it."""

    period: Period
    tracked: bool
    population: int | None
    tos: int
    tos_residents: int
    organisations: dict[str, int] | None = None  # by kind; None: not in the bot then
    initiatives: dict[str, dict[str, int]] = field(default_factory=dict)  # direction, outcome
    requests: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> n
    answered: dict[str, int] = field(default_factory=dict)  # kind -> with a first answer
    on_time: dict[str, int] = field(default_factory=dict)  # kind -> first answer by the due date
    answer_days: dict[str, float] = field(default_factory=dict)  # kind -> median ("" all)
    events_held: int = 0
    events_joint: int = 0
    events_attended: int = 0  # as organisers marked
    events_signed_up: int = 0  # people signed up in the bot for the events held
    # Each event held or cancelled, in order (held: the rows the counts above are sums of).
    events: list[EventFigures] = field(default_factory=list)
    competitions: list[CompetitionFigures] = field(default_factory=list)
    people: int = 0  # took part through the bot: submitted, supported, signed up or asked
    supporters: int = 0  # people who supported an initiative
    supports: int = 0
    tos_members: int = 0  # people in a TOS through the bot, at the period's end

    @property
    def events_cancelled(self) -> int:
        return sum(1 for e in self.events if e.cancelled)

    @property
    def coverage(self) -> float | None:
        """The share of the population living in the TOS' territories, %."""
        if not self.population:
            return None
        return round(100 * self.tos_residents / self.population, 1)

    @property
    def organisations_total(self) -> int | None:
        return None if self.organisations is None else sum(self.organisations.values())

    @property
    def initiatives_total(self) -> int:
        return sum(sum(v.values()) for v in self.initiatives.values())

    def initiatives_in(self, *outcomes: str) -> int:
        return sum(v.get(o, 0) for v in self.initiatives.values() for o in outcomes)

    @property
    def underway(self) -> int:
        """Accepted, not done yet: the outcomes that are the group INITIATIVE_UNDER_WAY."""
        return self.initiatives_in(*INITIATIVE_UNDER_WAY)

    @property
    def requests_total(self) -> int:
        return sum(sum(v.values()) for v in self.requests.values())

    def requests_of(self, kind: str) -> int:
        return sum(self.requests.get(kind, {}).values())

    def requests_in(self, *statuses: str, kind: str | None = None) -> int:
        kinds = [kind] if kind is not None else list(self.requests)
        return sum(self.requests.get(k, {}).get(s, 0) for k in kinds for s in statuses)

    def unresolved(self, kind: str | None = None) -> int:
        """Not closed nor declined: the group REQUEST_OPEN."""
        return self.requests_in(*REQUEST_OPEN, kind=kind)

    def awaiting(self, kind: str | None = None) -> int:
        """Still owed an answer: the group REQUEST_AWAITING."""
        return self.requests_in(*REQUEST_AWAITING, kind=kind)

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())

    @property
    def on_time_total(self) -> int:
        return sum(self.on_time.values())

    @property
    def applications(self) -> int:
        return sum(c.applications for c in self.competitions)

    @property
    def winners(self) -> int:
        return sum(c.winners for c in self.competitions)

    @property
    def awarded(self) -> int:
        return sum(c.awarded for c in self.competitions)


@dataclass
class PeriodReport:
    """What the report on a period says: its figures, those of the period before (None when
    there is nothing to compare with), and what is unresolved and ahead as of `prepared`."""

    period: Period
    municipality: str
    prepared: datetime
    current: Figures
    previous: Figures | None
    timezone: tzinfo = UTC  # the town's: dates in the text are on its calendar
    previous_since: date | None = None  # the bot began during the previous period, this day
    overdue: dict[str, int] = field(default_factory=dict)  # kind -> awaiting past due now
    reopened: int = 0  # the period's requests reopened after an answer
    extended: int = 0  # the period's requests whose term was extended (59-FZ art. 12 part 2)
    stalled: int = 0  # the period's initiatives underway with no change for STALLED_AFTER
    examples: dict[str, list[str]] = field(default_factory=dict)  # direction -> done titles
    by_month: list[tuple[Period, dict[str, int]]] = field(default_factory=list)  # kind -> n
    open_competitions: list[tuple[str, datetime]] = field(default_factory=list)
    events_ahead: list[tuple[str, datetime]] = field(default_factory=list)
    events_ahead_total: int = 0

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue.values())

    @property
    def population(self) -> int | None:
        return self.current.population
