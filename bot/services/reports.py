"""The town hall's figures: the staff digest, the yearly report and data exports."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.competitions import ORG_KINDS_OF
from bot.services.errors import N_, DomainError
from bot.services.initiatives import DIRECTIONS
from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES
from bot.services.periods import Period, check_period, parse_period
from bot.services.privacy import StaffPrivacy
from bot.services.report_figures import (
    CompetitionFigures,
    EventFigures,
    Figures,
    PeriodReport,
    WinningProject,
)
from bot.services.requests import KINDS
from bot.services.requests import STATUSES as REQUEST_STATUSES
from bot.services.staff import StaffService
from bot.services.status_groups import (
    INITIATIVE_OPEN,
    INITIATIVE_UNDER_WAY,
    REQUEST_AWAITING,
    REQUEST_OPEN,
    STALLED_AFTER,
    initiative_outcome,
)
from bot.services.when import town_time, town_today
from bot.vocabulary import Words
from storage.db import Database, ReportRepository

DIGEST = "digest"  # the outbox renderer that draws a digest in the reader's language
DIGEST_CHART = "digest-chart"  # the Monday chart's caption renderer
CHART_FILE = "gen:weekly-chart"  # a file the sender draws at send time
DIGEST_PREFS = ("daily", "weekly", "off")
LIST_LIMIT = 10
SOON = timedelta(days=3)
AHEAD = timedelta(days=7)
CHART_WEEKS = 8
EXPORTS = ("initiatives", "requests", "events", "competitions", "applications", "moderation")
PERIODS = ("month", "last_month", "year", "last_year")
EXPORT_FORMATS = ("csv", "xlsx")
EXAMPLES = 3  # done initiatives the report names, per direction


@dataclass(frozen=True, slots=True)
class Line:
    """One item of a digest: a kind ('initiative' | 'request'), its number parts, a title."""

    kind: str
    year: int
    seq: int
    title: str
    when: datetime | None = None  # a request's due date
    extended: bool = False  # a request's term in force is 59-FZ's extension


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


def _lines(kind: str, rows: list[Any], title_key: str) -> list[Line]:
    return [
        Line(
            kind,
            int(r["year"]),
            int(r["seq"]),
            str(r[title_key]),
            # sqlite3.Row: `in` looks at values, keys() at column names
            datetime.fromisoformat(r["due_at"]) if "due_at" in r.keys() else None,  # noqa: SIM118
            "extended_to" in r.keys()  # noqa: SIM118
            and r["extended_to"] is not None
            and r["extended_to"] == r["due_at"],
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
        words: Words | None = None,
    ) -> None:
        self._privacy = privacy
        self._words = words
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
                    uow,
                    chat_id,
                    now=now,
                    template=DIGEST,
                    args=args,
                    key=f"digest:{chat_id}:{day.isoformat()}",
                )
                if monday:
                    await self._staff.notify(
                        uow,
                        chat_id,
                        now=now,
                        template=DIGEST_CHART,
                        args={"until": now.isoformat()},
                        file=("photo", CHART_FILE),
                        key=f"digest-chart:{chat_id}:{day.isoformat()}",
                    )
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

    # -- a period's report -------------------------------------------------------------------

    def check_period(self, period: Period) -> None:
        check_period(period, town_today(self._clock.now(), self.timezone))

    def parse_period(self, text: str) -> Period:
        """What staff typed after /report, read on the town's calendar."""
        return parse_period(text, town_today(self._clock.now(), self.timezone), self._words)

    async def report(self, actor_id: int | None, period: Period) -> PeriodReport:
        """The figures of the report on `period`, with those of the period it is compared
        with (read side by side on two connections); `actor_id` None is the server's own
        command."""
        if actor_id is not None:
            self._staff.require_staff(actor_id)
        self.check_period(period)
        read = self._db.read.reports
        now = self._clock.now()
        today = town_today(now, self.timezone)
        first = await read.first_record()
        before = period.before()
        began = None if first is None else town_today(first, self.timezone)
        tracked = began is not None and began <= before.last
        try:
            async with self._db.side_reader() as aside, asyncio.TaskGroup() as tasks:
                # A failure in one cancels the others before the side connection closes.
                this = tasks.create_task(self._figures(read, period, now, tracked=True))
                then = tasks.create_task(
                    self._figures(aside.reports, before, now, tracked=tracked, undated=True)
                )
                # The side connection has less to read: what is unresolved and ahead too.
                rest = tasks.create_task(self._now_and_ahead(aside.reports, period, now))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        (current, by_month), (previous, _months), report = (
            this.result(),
            then.result(),
            rest.result(),
        )
        report.current = current
        report.previous = previous if tracked or previous.tos else None
        report.previous_since = began if tracked and began and began > before.first else None
        report.by_month = [(m, counts) for m, counts in by_month if m.first <= today]
        return report

    async def _now_and_ahead(
        self, read: ReportRepository, period: Period, now: datetime
    ) -> PeriodReport:
        """The report without its figures: what is unresolved now and what lies ahead."""
        start, end = period.bounds(self.timezone)
        report = PeriodReport(
            period=period,
            municipality=self.municipality,
            prepared=now,
            current=Figures(period, True, self.population, 0, 0),
            previous=None,
            timezone=self.timezone,
            overdue=await read.overdue_by_kind(start, end, now, REQUEST_AWAITING),
            reopened=await read.reopened_requests(start, end),
            extended=await read.extended_requests(start, end),
            stalled=await read.initiatives_untouched(
                start, end, INITIATIVE_UNDER_WAY, now - STALLED_AFTER
            ),
        )
        for direction, title in await read.initiative_examples(
            start, end, tuple(DIRECTIONS), "done", EXAMPLES
        ):
            report.examples.setdefault(direction, []).append(title)
        report.open_competitions = [
            (str(r["title"]), datetime.fromisoformat(r["deadline"]))
            for r in await read.competitions_open(now)
        ]
        rows, report.events_ahead_total = await read.events_ahead(now, LIST_LIMIT)
        report.events_ahead = [
            (str(r["title"]), datetime.fromisoformat(r["starts_at"])) for r in rows
        ]
        return report

    async def _figures(
        self,
        read: ReportRepository,
        period: Period,
        now: datetime,
        *,
        tracked: bool,
        undated: bool = False,
    ) -> tuple[Figures, list[tuple[Period, dict[str, int]]]]:
        """One period's figures, and its requests by kind month by month. `undated`: a TOS
        without a registration date counts only if it was in the bot's registry by the
        period's end (for the period compared with, where the report's own counts every TOS
        it knows)."""
        start, end = period.bounds(self.timezone)
        tos, residents = await read.tos_figures(
            period.last.isoformat(), end, undated_since=end if undated else None
        )
        figures = Figures(period, tracked, self.population, tos, residents)
        if not tracked:
            return figures, []
        figures.organisations = await read.organisations(end if undated else None) or None
        initiatives: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for direction, status, count in await read.initiatives_by_direction(
            start, end, tuple(DIRECTIONS), tuple(INITIATIVE_STATUSES)
        ):
            initiatives[direction][initiative_outcome(status)] += count
        figures.initiatives = {k: dict(v) for k, v in initiatives.items()}
        # The report's own period month by month (a chart, a table); the other in one piece.
        months = [period] if undated else period.months()
        figures.requests, by_month = await self._requests(read, months, figures)
        figures.answer_days = await self._medians(read, start, end, figures.answered)
        held = await read.events_of_period(start, end, now)
        figures.events_held, figures.events_joint, figures.events_attended = held[:3]
        figures.events_signed_up = held[3]
        figures.events = [
            EventFigures(
                title=str(r["title"]),
                starts_at=datetime.fromisoformat(r["starts_at"]),
                joint=bool(r["joint"]),
                going=int(r["going"]),
                attended=r["attended"],
                cancelled=r["cancelled_at"] is not None,
            )
            for r in await read.events_of_period_each(start, end, now)
        ]
        figures.competitions = await self._competitions(read, start, end)
        figures.people = await read.people(start, end)
        figures.supporters, figures.supports = await read.supporters(start, end)
        figures.tos_members = await read.tos_members(end)
        return figures, by_month

    async def _requests(
        self, read: ReportRepository, months: list[Period], figures: Figures
    ) -> tuple[dict[str, dict[str, int]], list[tuple[Period, dict[str, int]]]]:
        """Requests by kind and status over these consecutive months, and by kind per month
        (one statement, each month walking its own rows, adding up to the period's); the
        answered and answered on time by kind go into `figures`."""
        total: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        per_month: list[dict[str, int]] = [defaultdict(int) for _ in months]
        bounds = [month.bounds(self.timezone) for month in months]
        for n, kind, status, count, answered, on_time in await read.requests_by_kind(
            bounds, tuple(KINDS), tuple(REQUEST_STATUSES)
        ):
            total[kind][status] += count
            per_month[n][kind] += count
            if answered:
                figures.answered[kind] = figures.answered.get(kind, 0) + answered
                figures.on_time[kind] = figures.on_time.get(kind, 0) + on_time
        return (
            {k: dict(v) for k, v in total.items()},
            [(month, dict(counts)) for month, counts in zip(months, per_month, strict=True)],
        )

    async def _medians(
        self, read: ReportRepository, start: datetime, end: datetime, answered: dict[str, int]
    ) -> dict[str, float]:
        """The median days to the first answer by kind ("" for all): the middle value (or
        the mean of the two middle ones) of the period's answered requests."""
        counts: dict[str | None, int] = {k: n for k, n in answered.items() if n}
        if counts:
            counts[None] = sum(answered.values())
        positions = [(kind, (n - 1) // 2) for kind, n in counts.items()]
        values = await read.answer_days_at(start, end, positions)
        medians = {}
        for (kind, _position), middle in zip(positions, values, strict=True):
            taken = middle[:2] if counts[kind] % 2 == 0 else middle[:1]
            if taken:
                medians[kind or ""] = round(sum(taken) / len(taken), 1)
        return medians

    async def _competitions(
        self, read: ReportRepository, start: datetime, end: datetime
    ) -> list[CompetitionFigures]:
        winners: dict[int, list[WinningProject]] = defaultdict(list)
        for r in await read.winning_projects(start, end):
            winners[int(r["competition_id"])].append(
                WinningProject(str(r["project"]), str(r["direction"]), r["awarded"])
            )
        return [
            CompetitionFigures(
                str(r["title"]),
                datetime.fromisoformat(r["opens_at"]),
                datetime.fromisoformat(r["deadline"]),
                tuple(e for e in str(r["eligible"]).split(",") if e),
                int(r["tos_applied"]),
                int(r["ngo_applied"]),
                int(r["group_applied"]),
                int(r["decided"]),
                int(r["winners"]),
                int(r["awarded"]),
                tuple(winners.get(int(r["id"]), ())),
                r["results_announced_at"] is not None,
            )
            for r in await read.competitions_of_period(
                start, end, ORG_KINDS_OF["ngo"], ORG_KINDS_OF["group"]
            )
        ]

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
            "moderation": self._db.read.moderation.export,
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
            return Period.years(local.year).bounds(self.timezone)[0], self._clock.now()
        if name == "last_year":
            return Period.years(local.year - 1).bounds(self.timezone)
        raise DomainError(N_("This button is out of date."))
