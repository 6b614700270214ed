"""The town hall's figures: the staff digest, the yearly report and data exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.errors import N_, DomainError
from bot.services.privacy import StaffPrivacy
from bot.services.staff import StaffService
from bot.services.status_groups import (
    INITIATIVE_OPEN,
    REQUEST_AWAITING,
    REQUEST_OPEN,
    initiative_outcome,
)
from bot.services.when import town_time, town_today
from storage.db import Database

DIGEST = "digest"  # the outbox renderer that draws a digest in the reader's language
DIGEST_CHART = "digest-chart"  # the Monday chart's caption renderer
CHART_FILE = "gen:weekly-chart"  # a file the sender draws at send time
DIGEST_PREFS = ("daily", "weekly", "off")
LIST_LIMIT = 10
SOON = timedelta(days=3)
AHEAD = timedelta(days=7)
CHART_WEEKS = 8
EXPORTS = ("initiatives", "requests", "events", "competitions", "applications")
PERIODS = ("month", "last_month", "year", "last_year")
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a digest: a kind ('initiative' | 'request'), its number parts, a title."""

    kind: str
    year: int
    seq: int
    title: str
    when: datetime | None = None  # a request's due date


@dataclass
class Digest:
    since: datetime
    until: datetime
    new_initiatives: list[Line] = field(default_factory=list)
    new_initiatives_total: int = 0
    new_requests: list[Line] = field(default_factory=list)
    new_requests_total: int = 0
    overdue: list[Line] = field(default_factory=list)
    overdue_total: int = 0
    due_soon: list[Line] = field(default_factory=list)
    due_soon_total: int = 0
    initiative_statuses: dict[str, int] = field(default_factory=dict)
    request_statuses: dict[str, int] = field(default_factory=dict)
    failed_deliveries: int = 0
    new_applications: list[tuple[str, str]] = field(default_factory=list)  # (competition, body)
    new_applications_total: int = 0
    deadlines: list[tuple[str, datetime]] = field(default_factory=list)  # the next 7 days
    events: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """Nothing new and nothing pressing: the digest is one line."""
        return not (
            self.new_initiatives_total
            or self.new_requests_total
            or self.new_applications_total
            or self.overdue_total
            or self.due_soon_total
            or self.deadlines
            or self.events
            or self.failed_deliveries
        )


@dataclass(frozen=True, slots=True)
class CompetitionFigures:
    title: str
    tos_applied: int
    ngo_applied: int
    group_applied: int
    winners: int
    awarded: int


@dataclass
class YearReport:
    year: int
    municipality: str
    population: int | None
    organisations: int
    org_kinds: dict[str, int]
    tos: int
    tos_residents: int
    initiatives: dict[str, dict[str, int]]  # direction -> outcome -> count
    requests: dict[str, dict[str, int]]  # kind -> status -> count
    answer_days: dict[str, float]  # kind -> median days to the first answer ("" = all)
    unresolved: int
    overdue: int
    events_held: int = 0
    events_joint: int = 0
    events_attended: int = 0
    competitions: list[CompetitionFigures] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        if not self.population:
            return None
        return round(100 * self.tos_residents / self.population, 1)

    @property
    def requests_total(self) -> int:
        return sum(sum(v.values()) for v in self.requests.values())

    @property
    def initiatives_total(self) -> int:
        return sum(sum(v.values()) for v in self.initiatives.values())


def weighted_median(histogram: list[tuple[float, int]]) -> float:
    """The median of values given as (value, how many times)."""
    ordered = sorted(histogram)
    total = sum(count for _, count in ordered)
    if total == 0:
        return 0.0

    def at(position: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > position:
                return value
        return ordered[-1][0]

    return (at((total - 1) // 2) + at(total // 2)) / 2


def _lines(kind: str, rows: list[Any], title_key: str) -> list[Line]:
    return [
        Line(
            kind,
            int(r["year"]),
            int(r["seq"]),
            str(r[title_key]),
            # sqlite3.Row: `in` looks at values, keys() at column names
            datetime.fromisoformat(r["due_at"]) if "due_at" in r.keys() else None,  # noqa: SIM118
        )
        for r in rows
    ]


class ReportService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        *,
        timezone: ZoneInfo,
        digest_time: time,
        staff_chat_id: int | None,
        municipality: str,
        population: int | None,
        privacy: StaffPrivacy,
    ) -> None:
        self._privacy = privacy
        self._db = db
        self._clock = clock
        self._staff = staff
        self.timezone = timezone
        self.digest_time = digest_time
        self.staff_chat_id = staff_chat_id
        self.municipality = municipality
        self.population = population

    def require_staff(self, actor_id: int) -> None:
        self._staff.require_staff(actor_id)

    def year_now(self) -> int:
        return town_today(self._clock.now(), self.timezone).year

    # -- the digest ----------------------------------------------------------------------

    async def build_digest(self, since: datetime, until: datetime) -> Digest:
        read = self._db.read.reports
        digest = Digest(since, until)
        rows, digest.new_initiatives_total = await read.new_initiatives(since, until, LIST_LIMIT)
        digest.new_initiatives = _lines("initiative", rows, "title")
        rows, digest.new_requests_total = await read.new_requests(since, until, LIST_LIMIT)
        digest.new_requests = _lines("request", rows, "kind")
        rows, digest.overdue_total = await read.requests_due_before(
            REQUEST_AWAITING, until, LIST_LIMIT
        )
        digest.overdue = _lines("request", rows, "kind")
        rows, digest.due_soon_total = await read.requests_due_between(
            REQUEST_AWAITING, until, until + SOON, LIST_LIMIT
        )
        digest.due_soon = _lines("request", rows, "kind")
        digest.initiative_statuses = await read.count_by_status("initiatives", INITIATIVE_OPEN)
        digest.request_statuses = await read.count_by_status("support_requests", REQUEST_OPEN)
        digest.failed_deliveries = await read.failed_deliveries(since, until)
        rows, digest.new_applications_total = await read.new_applications(since, until, LIST_LIMIT)
        digest.new_applications = [(str(r["competition"]), str(r["body"])) for r in rows]
        digest.deadlines = [
            (str(r["title"]), datetime.fromisoformat(r["at"]))
            for r in await read.deadlines_between(until, until + AHEAD)
        ][:LIST_LIMIT]
        digest.events = [
            (str(r["title"]), datetime.fromisoformat(r["at"]))
            for r in await read.events_between(until, until + AHEAD)
        ][:LIST_LIMIT]
        return digest

    async def digest_now(self, actor_id: int) -> Digest:
        """`/digest`: what came in since this person's last digest (or the last day)."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        since = await self._db.read.reports.last_digest(actor_id) or now - timedelta(days=1)
        return await self.build_digest(since, now)

    async def digest_pref(self, user_id: int) -> str:
        prefs = await self._db.read.reports.digest_prefs()
        return prefs.get(user_id, self._default_pref())

    def _default_pref(self) -> str:
        return "off" if self.staff_chat_id is not None else "daily"

    async def set_digest_pref(self, actor_id: int, value: str) -> None:
        self._staff.require_staff(actor_id)
        if value not in DIGEST_PREFS:
            raise DomainError(N_("This button is out of date."))
        async with self._db.transaction() as uow:
            await uow.reports.set_digest_pref(actor_id, value)

    async def _recipients(self, monday: bool) -> list[tuple[int, bool]]:
        """(chat, whether its digest covers a week) for today's digests."""
        chats = [] if self.staff_chat_id is None else [(self.staff_chat_id, False)]
        prefs = await self._db.read.reports.digest_prefs()
        for user_id in sorted(self._staff.staff_ids()):
            pref = prefs.get(user_id, self._default_pref())
            if pref == "daily" or (pref == "weekly" and monday):
                chats.append((user_id, pref == "weekly"))
        return chats

    async def send_due_digests(self) -> int:
        """Queue today's digests not yet queued, once the digest time has come (also run at
        start, so a digest missed while the bot was down goes out when it is back)."""
        now = self._clock.now()
        local = town_time(now, self.timezone)
        if local.time() < self.digest_time:
            return 0
        day = local.date()
        monday = day.weekday() == 0
        queued = 0
        for chat_id, weekly in await self._recipients(monday):
            fallback = now - (timedelta(days=7) if weekly else timedelta(days=1))
            async with self._db.transaction() as uow:
                since = await uow.reports.last_digest(chat_id) or fallback
                if not await uow.reports.record_digest(chat_id, day.isoformat(), since, now):
                    continue
                args = {"since": since.isoformat(), "until": now.isoformat()}
                await self._staff.notify(
                    uow, chat_id, now=now, template=DIGEST, args=args,
                    key=f"digest:{chat_id}:{day.isoformat()}",
                )  # fmt: skip
                if monday:
                    await self._staff.notify(
                        uow, chat_id, now=now, template=DIGEST_CHART,
                        args={"until": now.isoformat()},
                        file=("photo", CHART_FILE), key=f"digest-chart:{chat_id}:{day.isoformat()}",
                    )  # fmt: skip
            queued += 1
        return queued

    async def weekly_counts(
        self, until: datetime
    ) -> tuple[list[str], dict[str, dict[str, list[int]]]]:
        """The last weeks' new initiatives and requests by status, for the Monday chart:
        (week starts, {"initiatives"|"requests": {status: counts per week}}). Weeks run from
        Monday 00:00 on the town's clock."""
        start_day = town_today(until, self.timezone) - timedelta(weeks=CHART_WEEKS)
        start_day -= timedelta(days=start_day.weekday())
        days = [start_day + timedelta(weeks=i) for i in range(CHART_WEEKS + 2)]
        bounds = [datetime.combine(day, time(), self.timezone) for day in days]
        weeks = [day.isoformat() for day in days[:-1]]
        series: dict[str, dict[str, list[int]]] = {}
        for name, table in (("initiatives", "initiatives"), ("requests", "support_requests")):
            by_status: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
            for index, (since, end) in enumerate(pairwise(bounds)):
                counts = await self._db.read.reports.statuses_created(table, since, min(end, until))
                for status, count in counts.items():
                    by_status[status][index] += count
            series[name] = dict(by_status)
        return weeks, series

    # -- the year --------------------------------------------------------------------------

    def year_bounds(self, year: int) -> tuple[datetime, datetime]:
        start = datetime(year, 1, 1, tzinfo=self.timezone)
        return start, datetime(year + 1, 1, 1, tzinfo=self.timezone)

    async def year_report(self, actor_id: int | None, year: int) -> YearReport:
        """The figures of the yearly report; `actor_id` None is the server's own command."""
        if actor_id is not None:
            self._staff.require_staff(actor_id)
        if not 2000 <= year <= self.year_now():
            raise DomainError(N_("Give a year from 2000 to this one, e.g. /report {year}."),
                              year=self.year_now())  # fmt: skip
        start, end = self.year_bounds(year)
        read = self._db.read.reports
        registry = await read.registry_figures(date(year, 12, 31).isoformat())
        initiatives: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for direction, status, count in await read.initiatives_by_direction(start, end):
            initiatives[direction][initiative_outcome(status)] += count
        requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for kind, status, count in await read.requests_by_kind(start, end):
            requests[kind][status] += count
        days: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for kind, value, count in await read.answer_days(start, end):
            days[kind].append((value, count))
            days[""].append((value, count))
        now = self._clock.now()
        unresolved, overdue = await read.unresolved_requests(
            start, end, now, REQUEST_OPEN, REQUEST_AWAITING
        )
        held, joint, attended = await read.events_of_year(start, end, now)
        competitions = [
            CompetitionFigures(
                str(r["title"]), int(r["tos_applied"] or 0), int(r["ngo_applied"] or 0),
                int(r["group_applied"] or 0), int(r["tos_won"] or 0) + int(r["org_won"] or 0),
                int(r["awarded"] or 0),
            )
            for r in await read.competitions_of_year(start, end)
        ]  # fmt: skip
        return YearReport(
            year=year,
            municipality=self.municipality,
            population=self.population,
            organisations=sum(registry["org_kinds"].values()),
            org_kinds=dict(registry["org_kinds"]),
            tos=registry["tos"],
            tos_residents=registry["residents"],
            initiatives={k: dict(v) for k, v in initiatives.items()},
            requests={k: dict(v) for k, v in requests.items()},
            answer_days={k: round(weighted_median(v), 1) for k, v in days.items()},
            unresolved=unresolved,
            overdue=overdue,
            events_held=held,
            events_joint=joint,
            events_attended=attended,
            competitions=competitions,
        )

    # -- exports ---------------------------------------------------------------------------

    def check_export(self, actor_id: int, what: str, period: str = "", fmt: str = "") -> None:
        """Staff only; a kind, period and format we know (those not chosen yet are empty)."""
        self._staff.require_staff(actor_id)
        if what not in EXPORTS or period not in ("", *PERIODS) or fmt not in ("", *EXPORT_FORMATS):
            raise DomainError(N_("This button is out of date."))

    def may_export_personal(self, actor_id: int) -> bool:
        """Names and phones leave the server through Telegram only for admins, and never
        when the town keeps personal data from staff (`python -m bot export` then)."""
        return self._privacy.shows_people and self._staff.role_of(actor_id).is_admin

    async def export(
        self, actor_id: int | None, what: str, start: datetime, end: datetime
    ) -> list[Any]:
        """Rows of initiatives or requests created in [start, end); `actor_id` None is the
        server's own command."""
        if actor_id is not None:
            self.check_export(actor_id, what)
        elif what not in EXPORTS:
            raise DomainError(N_("This button is out of date."))
        read = self._db.read.reports
        if what == "requests":
            now = self._clock.now()
            return await read.export_requests(start, end, now, REQUEST_OPEN, REQUEST_AWAITING)
        queries = {
            "initiatives": read.export_initiatives,
            "events": read.export_events,
            "competitions": read.export_competitions,
            "applications": read.export_applications,
        }
        return await queries[what](start, end)

    def period(self, name: str) -> tuple[datetime, datetime]:
        """A named period in the town's time: this or last month or year."""
        local = town_time(self._clock.now(), self.timezone)
        month_start = datetime(local.year, local.month, 1, tzinfo=self.timezone)
        if name == "month":
            return month_start, self._clock.now()
        if name == "last_month":
            previous = (month_start - timedelta(days=1)).replace(day=1)
            return previous, month_start
        if name == "year":
            return self.year_bounds(local.year)[0], self._clock.now()
        if name == "last_year":
            return self.year_bounds(local.year - 1)
        raise DomainError(N_("This button is out of date."))
