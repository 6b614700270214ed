"""Support requests: the form's rules, the case's status machine, the two-way conversation
between the requester and the town hall, due dates (59-FZ) and nudges to staff."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.domain.people import Person
from bot.domain.requests import RequestMessage, SupportRequest
from bot.services.cases import Label, Number, parse_number, refresh_cards
from bot.services.cases import check_description as check_description
from bot.services.errors import N_, DomainError, NotAllowed
from bot.services.privacy import Shown, StaffPrivacy
from bot.services.registry import RegistryService
from bot.services.request_kinds import DATED_KINDS, RequestTerm
from bot.services.request_kinds import KINDS as KINDS  # the cards and the report name them
from bot.services.staff import Role, StaffService
from bot.services.status_groups import REQUEST_AWAITING, REQUEST_OPEN, request_overdue
from bot.services.when import local_text, town_today
from bot.services.workdays import WorkCalendar, WorkdayService
from bot.settings import Settings
from bot.textsplit import length
from storage.db import Database, UnitOfWork

STATUSES: dict[str, str] = {
    "new": N_("received"),
    "in_work": N_("in work"),
    "answered": N_("answered"),
    "closed": N_("closed"),
    "rejected": N_("declined"),
}
# Staff close a request once it is taken or answered (the status machine; the card's
# buttons follow it); they decline one instead of answering it (REQUEST_AWAITING).
CLOSABLE = ("in_work", "answered")
NUMBER = N_("R-{year}-{seq}")  # the Russian catalog writes its own letter
DATE_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\s*$")
MESSAGE_LIMIT = 3500  # an answer or a follow-up, with room for its heading
CAPTION_ROOM = 800  # a longer text goes apart from its file (a caption holds 1,024)
REOPEN_WINDOW = timedelta(days=14)
NUDGES = (50, 80)  # per cent of the term gone
WANTED_DATE_HORIZON = timedelta(days=366)
STAFF_CARD = "request_card"  # the outbox renderer that draws a staff card

# What the requester hears (rendered in their language at send time).
TAKEN = N_("Your request {number} is taken into work by the town hall. The answer is due by {due}.")
CLOSED = N_(
    "Your request {number} is closed. Did the town hall's help solve your question? "
    "Within 14 days you can reopen it."
)
REJECTED = N_("Your request {number} was declined. The town hall's reason: {comment}")
ANSWER = N_(
    "🏛 <b>The town hall</b> on your request {number}:\n\n{text}\n\n"
    "<i>To write back, reply to this message.</i>"
)
ANSWER_FILE = N_("🏛 <b>The town hall</b> on your request {number}. {text}")
# What staff see in a request's thread (a reply to its card); never the requester's name.
FOLLOW_UP = N_("💬 <b>{number}</b>, the requester writes:\n\n{text}")
FOLLOW_UP_FILE = N_("💬 <b>{number}</b>, from the requester. {text}")
REQUEST_FILE = N_("📎 <b>{number}</b>, attached to the request.")
REOPENED = N_("🔁 <b>{number}</b> is reopened by the requester. The new due date: {due}.")
RATED_YES = N_("⭐ <b>{number}</b>: the requester says the help worked.")
RATED_NO = N_("⭐ <b>{number}</b>: the requester says the help did not work.")
RATING_COMMENT = N_("⭐ <b>{number}</b>, the requester's comment: {text}")
NUDGE = N_(
    "⏰ {number}: {percent}% of the time for the answer is gone; the answer is due by {due}."
)
# 59-FZ art. 12 part 2: the term extended once, by up to 30 days, the requester told why.
EXTENSION_DAYS = 30
REASON_LIMIT = 1000
EXTENDED = N_(
    "The town hall has extended the term for the answer to your request {number} to {due}. "
    "The reason: {reason}"
)


class RequesterOffer(StrEnum):
    """What a requester may do with their own request now: their view of it and the notice
    of its closing offer these (handlers/request_cards.py draws the buttons)."""

    WRITE = "write"  # write to the town hall: the request is open
    RATE = "rate"  # say whether the help worked: closed and not rated yet
    REOPEN = "reopen"  # open it again: closed less than REOPEN_WINDOW ago


class StaffOffer(StrEnum):
    """What staff may do with a request now, as its card offers it (the status machine)."""

    TAKE = "take"  # take a new request into work
    ANSWER = "answer"
    TAKE_OVER = "take_over"  # take over a request a colleague has taken
    CLOSE = "close"
    DECLINE = "decline"  # instead of an answer
    EXTEND = "extend"  # 59-FZ's extension of the term, once


@dataclass(frozen=True, slots=True)
class Requester:
    """The requester as a staff card shows them (the request's form shows the same)."""

    shown: Shown  # named, or hidden by the town's privacy setting
    phone: str | None  # the phone they shared, where staff may see it
    erased: bool = False  # withdrew their consent: their name, phone and texts are deleted
    unreachable: bool = False  # blocked the bot: answers do not reach them


@dataclass(frozen=True, slots=True)
class RequestCard:
    """One support request as one reader's screen shows it, read in one call: the staff
    card (`requester` given) or the requester's own view; the handler draws it."""

    request: SupportRequest
    messages: tuple[RequestMessage, ...]  # the conversation; the first carries the file
    due: str  # the due date on the town's calendar
    overdue: bool
    requester: Requester | None = None  # the staff card: who asks
    assignee: Person | None = None  # the staff card: who took it
    staff_offers: tuple[StaffOffer, ...] = ()
    offers: tuple[RequesterOffer, ...] = ()  # the requester's view
    extended_from: str | None = None  # 59-FZ's extension in force: the due date before it


@dataclass
class RequestDraft:
    """A request being written (it lives in the form's FSM data as a dict)."""

    token: str = field(default_factory=lambda: secrets.token_hex(8))
    kind: str | None = None
    behalf_kind: str = "self"  # self | tos | org
    behalf_id: int | None = None
    behalf_name: str | None = None
    description: str | None = None
    wanted_date: str | None = None  # ISO
    phone: str | None = None
    file_kind: str | None = None  # photo | document
    file_id: str | None = None

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RequestDraft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def needs_date(self) -> bool:
        return self.kind in DATED_KINDS

    @property
    def file(self) -> tuple[str, str] | None:
        return (self.file_kind, self.file_id) if self.file_kind and self.file_id else None


@dataclass
class ExtensionDraft:
    """An extension being written by staff (the form's FSM data): the request, by how
    many days, why."""

    request_id: int = 0
    days: int | None = None
    reason: str | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))


def check_reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DomainError(N_("Please write the reason as text: the requester will read it."))
    if length(reason) > REASON_LIMIT:
        raise DomainError(
            N_("The reason should be at most {high} characters long; yours has {length}."),
            high=REASON_LIMIT,
            length=length(reason),
        )
    return reason


@dataclass(frozen=True, slots=True)
class Behalf:
    """On whose behalf a person may ask: themself, a TOS they lead, an NGO they represent."""

    kind: str  # self | tos | org
    id: int | None = None
    name: str | None = None

    @property
    def code(self) -> str:
        return "self" if self.kind == "self" else f"{self.kind}-{self.id}"


@dataclass(frozen=True, slots=True)
class Submitted:
    request: SupportRequest
    already: bool  # the same form was sent before (a double press)


class RequestClosed(DomainError):
    """A follow-up to a closed request: the requester is offered to reopen it."""

    def __init__(self, record: SupportRequest, can_reopen: bool) -> None:
        if can_reopen:
            super().__init__(N_("Request {number} is closed. Reopen it to write to the town hall."))
        else:
            super().__init__(
                N_(
                    "Request {number} was closed more than 14 days ago. Please send a new "
                    "one: /request"
                )
            )
        self.params = {"number": _number(record)}
        self.record = record
        self.can_reopen = can_reopen


def _number(record: SupportRequest) -> Number:
    """A template argument rendered as the request's public number."""
    return Number(NUMBER, record)


def _status(record: SupportRequest) -> Label:
    return Label(STATUSES[record.status])


def check_message(text: str | None, file: tuple[str, str] | None) -> str | None:
    text = (text or "").strip() or None
    if text is None and file is None:
        raise DomainError(N_("Please write text, or send a photo or a document."))
    if text is not None and length(text) > MESSAGE_LIMIT:
        raise DomainError(
            N_("The message should be at most {high} characters long; yours has {length}."),
            high=MESSAGE_LIMIT,
            length=length(text),
        )
    return text


def parse_date(text: str, today: date) -> date:
    """dd.mm.yyyy, dd.mm.yy or dd.mm (this year; next year if long past); not in the past."""
    match = DATE_RE.match(text)
    if not match:
        raise DomainError(
            N_("Please write the date as dd.mm.yyyy, e.g. 15.12.2026, or «tomorrow».")
        )
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        wanted = date(year, month, day)
    except ValueError:
        raise DomainError(
            N_("There is no such date. Please check the day and the month.")
        ) from None
    if year_text is None and (today - wanted).days > 60:
        wanted = wanted.replace(year=year + 1)  # «10.01» written in December
    return check_wanted_date(wanted, today)


def check_wanted_date(wanted: date, today: date) -> date:
    if wanted < today:
        raise DomainError(N_("This date is in the past. Please give a date from today on.")).at(
            "wanted_date"
        )
    if wanted - today > WANTED_DATE_HORIZON:
        raise DomainError(N_("This date is more than a year ahead. Please give a nearer one.")).at(
            "wanted_date"
        )
    return wanted


def due_at(term: RequestTerm, start: datetime, tz: tzinfo, calendar: WorkCalendar) -> datetime:
    """The moment the answer is due: days, or working days on the production calendar
    with the town's own days off (the same time of day, in the town)."""
    if not term.working:
        return start + timedelta(days=term.days)
    return calendar.add_to(start.astimezone(tz), term.days).astimezone(UTC)


def due_for_need(term_due: datetime, wanted: date | None, start: datetime, tz: tzinfo) -> datetime:
    """A request's due date: its term (`term_due`, the outer bound), or earlier when it is
    needed on a date: by the end of the day before that date in the town (by the end of
    today when it is needed today). A date already past (a reopened request) no longer
    counts."""
    today = town_today(start, tz)
    if wanted is None or wanted < today:
        return term_due
    last_day = max(wanted - timedelta(days=1), today)
    ends = datetime.combine(last_day + timedelta(days=1), time(), tz) - timedelta(minutes=1)
    return min(term_due, ends.astimezone(UTC))


class RequestService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        registry: RegistryService,
        settings: Settings,
        *,
        person_of: Callable[[int], Awaitable[Person | None]],
        privacy: StaffPrivacy,
        workdays: WorkdayService,
    ) -> None:
        self._workdays = workdays
        # What staff see of the requester (the form tells the requester the same).
        self._privacy = privacy
        self._person_of = person_of
        self._db = db
        self._clock = clock
        self._staff = staff
        self._registry = registry
        self._settings = settings

    # -- helpers ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock.now()

    def today(self) -> date:
        return town_today(self._clock.now(), self._settings.timezone)

    def local_date(self, moment: datetime) -> str:
        return local_text(moment, self._settings.timezone, "date")

    def is_overdue(self, record: SupportRequest) -> bool:
        return request_overdue(record.status, record.due_at, self._clock.now())

    def can_reopen(self, record: SupportRequest) -> bool:
        return (
            record.status == "closed"
            and record.closed_at is not None
            and self._clock.now() - record.closed_at <= REOPEN_WINDOW
        )

    def requester_offers(self, record: SupportRequest) -> tuple[RequesterOffer, ...]:
        """What the requester may do with `record` now (the checks of follow_up, rate and
        reopen, asked ahead so that no button offers what they would refuse)."""
        offers = []
        if record.status in REQUEST_OPEN:
            offers.append(RequesterOffer.WRITE)
        if record.status == "closed" and record.helped is None:
            offers.append(RequesterOffer.RATE)
        if self.can_reopen(record):
            offers.append(RequesterOffer.REOPEN)
        return tuple(offers)

    def staff_offers(self, record: SupportRequest) -> tuple[StaffOffer, ...]:
        """What staff may do with `record` now (the checks of take, answer, close and
        reject, asked ahead so that no button offers what they would refuse)."""
        offers: list[StaffOffer] = []
        if record.status == "new":
            offers += [StaffOffer.TAKE, StaffOffer.ANSWER]
        elif record.status in CLOSABLE:
            offers += [StaffOffer.ANSWER, StaffOffer.TAKE_OVER, StaffOffer.CLOSE]
        if record.status in REQUEST_AWAITING:
            offers.append(StaffOffer.DECLINE)
        if record.status in REQUEST_AWAITING and record.extended_to is None:
            offers.append(StaffOffer.EXTEND)
        return tuple(offers)

    @property
    def names_requester(self) -> bool:
        """Staff see the requester's name and phone (the form tells the requester so)."""
        return self._privacy.shows_people

    def requester_for_staff(self, person: Person | None, phone: str | None) -> Requester:
        """The requester as a staff card shows them (and the form's preview, to them)."""
        return Requester(
            shown=self._privacy.shown(person),
            phone=self._privacy.phone(phone),
            erased=person is not None and not person.has_consent,  # a request needs consent
            unreachable=person is not None and person.unreachable_at is not None,
        )

    async def due_for(
        self, kind: str, start: datetime, wanted: date | str | None = None
    ) -> datetime:
        """When the answer to a request of this kind, opened at `start` and needed on
        `wanted` (a date, or its ISO text), is due: the one rule, for the form's preview,
        the request and its reopening (on the calendar as it is now)."""
        return self._due(kind, start, wanted, await self._workdays.calendar())

    def _due(
        self, kind: str, start: datetime, wanted: date | str | None, calendar: WorkCalendar
    ) -> datetime:
        if isinstance(wanted, str):
            wanted = date.fromisoformat(wanted)
        tz = self._settings.timezone
        term_due = due_at(self._settings.request_term(kind), start, tz, calendar)
        return due_for_need(term_due, wanted, start, tz)

    def _args(self, record: SupportRequest, **more: Any) -> dict[str, Any]:
        return {"number": _number(record), **more}

    async def _get(self, uow: UnitOfWork, request_id: int) -> SupportRequest:
        record = await uow.requests.get(request_id)
        if record is None:
            raise DomainError(N_("There is no such request."))
        return record

    def _own(self, actor_id: int, record: SupportRequest) -> None:
        if record.requester_id != actor_id:
            raise NotAllowed()

    async def _refresh_cards(self, uow: UnitOfWork, request_id: int) -> None:
        cards = await uow.requests.cards(request_id)
        await refresh_cards(uow, self._staff, cards, STAFF_CARD, request_id, self._clock.now())

    async def _to_staff_thread(
        self,
        uow: UnitOfWork,
        record: SupportRequest,
        template: str,
        args: dict[str, Any],
        file: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        """Post into every card's thread, as a reply to the card; remember it for replies.
        Staff mail: whoever was removed from staff since gets no more of this case. What
        it carries is the requester's (erased with them if they withdraw consent)."""
        now = self._clock.now()
        for chat_id, card_id in await uow.requests.cards(record.id):
            row = await self._staff.notify(
                uow,
                chat_id,
                now=now,
                template=template,
                args=args,
                file=file,
                reply_to=card_id,
                subject=record.requester_id,
                key=f"{key}:{chat_id}" if key else None,
            )
            if row is not None:
                await uow.requests.link(record.id, "staff", chat_id, outbox_id=row)

    async def _to_requester(
        self,
        uow: UnitOfWork,
        record: SupportRequest,
        template: str,
        args: dict[str, Any],
        *,
        file: tuple[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        row = await uow.outbox.enqueue(
            record.requester_id,
            now=self._clock.now(),
            template=template,
            args=args,
            file=file,
            key=key,
        )
        if row is not None:
            await uow.requests.link(record.id, "requester", record.requester_id, outbox_id=row)

    async def _with_file(
        self,
        record: SupportRequest,
        text: str | None,
        file: tuple[str, str] | None,
        text_template: str,
        file_template: str,
        send: Any,
    ) -> None:
        """Text, a file with the text as its caption, or both apart when the text is long."""
        if file is None:
            await send(text_template, self._args(record, text=text or ""), None)
        elif text is not None and length(text) > CAPTION_ROOM:
            await send(text_template, self._args(record, text=text), None)
            await send(file_template, self._args(record, text=""), file)
        else:
            await send(file_template, self._args(record, text=text or ""), file)

    # -- the form ---------------------------------------------------------------------------

    async def behalf_options(self, user_id: int) -> list[Behalf]:
        """Myself; each TOS where the person has a role; each organisation they represent."""
        options = [Behalf("self")]
        for role in await self._registry.roles_of(user_id):
            if role.body_kind == "tos" or (role.body_kind == "org" and role.role == "rep"):
                options.append(Behalf(role.body_kind, role.body_id, role.body_name))
        return options

    async def submit(self, requester_id: int, draft: RequestDraft) -> Submitted:
        """Store the request with its due date, queue a card for staff; one form is one case."""
        not_answered = N_("This step of the form is not answered yet.")
        if draft.kind not in KINDS:
            raise DomainError(not_answered).at("kind")
        if draft.description is None:
            raise DomainError(not_answered).at("description")
        wanted = date.fromisoformat(draft.wanted_date) if draft.wanted_date else None
        if draft.needs_date:
            if wanted is None:
                raise DomainError(not_answered).at("wanted_date")
            check_wanted_date(wanted, self.today())
        else:
            wanted = None
        behalf = Behalf("self")
        if draft.behalf_kind != "self":
            # Checked now, not when the button was shown: a role may have been taken away.
            allowed = {b.code: b for b in await self.behalf_options(requester_id)}
            found = allowed.get(f"{draft.behalf_kind}-{draft.behalf_id}")
            if found is None:
                raise NotAllowed(
                    N_("You no longer speak for this body: choose again on whose behalf you ask.")
                ).at("behalf")
            behalf = found
        now = self._clock.now()
        due = await self.due_for(draft.kind, now, wanted)
        async with self._db.transaction() as uow:
            existing = await uow.requests.by_draft(draft.token)
            if existing is not None:
                return Submitted(existing, already=True)
            request_id = await uow.requests.create(
                draft_token=draft.token,
                requester_id=requester_id,
                kind=draft.kind,
                behalf_kind=behalf.kind,
                behalf_id=behalf.id,
                behalf_name=behalf.name,
                description=draft.description,
                wanted_date=wanted,
                phone=draft.phone,
                due_at=due,
                now=now,
                year=town_today(now, self._settings.timezone).year,  # the number's year
            )
            await uow.requests.add_message(
                request_id, "in", requester_id, draft.description, draft.file, now
            )
            await uow.requests.log(request_id, requester_id, None, "new", None, now)
            record = await self._get(uow, request_id)
            for chat_id in self._staff.staff_chats():
                card = await self._staff.notify(
                    uow,
                    chat_id,
                    now=now,
                    template=STAFF_CARD,
                    args={"id": request_id},
                    key=f"request:{request_id}:card:{chat_id}",
                )
                if card is not None:
                    await uow.requests.add_card(request_id, chat_id, card)
                    await uow.requests.link(request_id, "staff", chat_id, outbox_id=card)
            if draft.file is not None:
                await self._to_staff_thread(
                    uow,
                    record,
                    REQUEST_FILE,
                    self._args(record),
                    draft.file,
                    key=f"request:{request_id}:file",
                )
        return Submitted(record, already=False)

    # -- reading ----------------------------------------------------------------------------

    async def find(self, request_id: int) -> SupportRequest:
        record = await self._db.read.requests.get(request_id)
        if record is None:
            raise DomainError(N_("There is no such request."))
        return record

    # -- cards: what one screen shows, in one call --------------------------------------------

    async def staff_card(self, request_id: int, actor_id: int | None = None) -> RequestCard:
        """The staff card; with `actor_id`, only for staff (checked now). The outbox draws
        it for whoever may get staff mail."""
        if actor_id is not None:
            self._staff.require_staff(actor_id)
        return await self._staff_card(await self.find(request_id))

    async def card(self, reader_id: int, role: Role, number: str) -> RequestCard:
        """A request by its number (/request, a digest's link): the staff card where the
        reader acts as staff (`role` in this chat), the requester's view for the requester;
        anyone else is refused alike whether the number exists or not."""
        if role.is_staff:
            return await self._staff_card(await self.find_by_number(number))
        parsed = parse_number(number)
        record = None if parsed is None else await self._db.read.requests.by_number(*parsed)
        if record is None or record.requester_id != reader_id:
            raise NotAllowed()
        return await self._requester_card(record)

    async def requester_card(self, requester_id: int, request_id: int) -> RequestCard:
        """The requester's view of their own request; nobody else's."""
        return await self._requester_card(await self.for_requester(requester_id, request_id))

    async def _staff_card(self, record: SupportRequest) -> RequestCard:
        requester = await self._person_of(record.requester_id)
        assignee = None
        if record.assignee_id is not None:
            assignee = await self._person_of(record.assignee_id)
        return RequestCard(
            request=record,
            messages=tuple(await self._db.read.requests.messages(record.id)),
            due=self.local_date(record.due_at),
            overdue=self.is_overdue(record),
            extended_from=self._extended_from(record),
            requester=self.requester_for_staff(requester, record.phone),
            assignee=assignee,
            staff_offers=self.staff_offers(record),
        )

    def _extended_from(self, record: SupportRequest) -> str | None:
        if not record.extended or record.extended_from is None:
            return None
        return self.local_date(record.extended_from)

    async def _requester_card(self, record: SupportRequest) -> RequestCard:
        return RequestCard(
            request=record,
            messages=tuple(await self._db.read.requests.messages(record.id)),
            due=self.local_date(record.due_at),
            overdue=self.is_overdue(record),
            extended_from=self._extended_from(record),
            offers=self.requester_offers(record),
        )

    async def find_by_number(self, text: str) -> SupportRequest:
        number = parse_number(text)
        record = None if number is None else await self._db.read.requests.by_number(*number)
        if record is None:
            raise DomainError(N_("There is no request with this number."))
        return record

    async def for_requester(self, actor_id: int, request_id: int) -> SupportRequest:
        """A request as its requester sees it; nobody else's, whatever the button says."""
        record = await self._db.read.requests.get(request_id)
        if record is None or record.requester_id != actor_id:
            raise NotAllowed()
        return record

    async def for_staff(self, actor_id: int, request_id: int) -> SupportRequest:
        self._staff.require_staff(actor_id)
        return await self.find(request_id)

    async def of_requester(self, requester_id: int, limit: int = 10) -> list[SupportRequest]:
        return await self._db.read.requests.by_requester(requester_id, limit)

    async def messages(self, request_id: int) -> list[RequestMessage]:
        return await self._db.read.requests.messages(request_id)

    async def inbox(self, actor_id: int, limit: int = 30) -> tuple[list[SupportRequest], int]:
        """Open requests for staff, the earliest due first."""
        self._staff.require_staff(actor_id)
        return await self._db.read.requests.by_due(REQUEST_OPEN, limit)

    async def thread_of(self, chat_id: int, message_id: int) -> tuple[int, str] | None:
        return await self._db.read.requests.thread_of(chat_id, message_id)

    async def link_sent(self, request_id: int, side: str, chat_id: int, message_id: int) -> None:
        """Remember a card sent directly (not through the outbox), so replies to it work."""
        async with self._db.transaction() as uow:
            await uow.requests.link(request_id, side, chat_id, message_id=message_id)

    # -- staff ------------------------------------------------------------------------------

    async def take(self, actor_id: int, request_id: int) -> SupportRequest:
        """A staff member takes the request (or takes it over from a colleague)."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            if record.status not in REQUEST_OPEN:
                raise DomainError(
                    N_("Request {number} is «{status}»: it cannot be taken."),
                    number=_number(record),
                    status=_status(record),
                )
            if record.assignee_id == actor_id and record.status != "new":
                raise DomainError(N_("You have already taken this request."))
            to_status = "in_work" if record.status == "new" else record.status
            await uow.requests.set_status(request_id, to_status, now, assignee_id=actor_id)
            await uow.requests.log(request_id, actor_id, record.status, to_status, None, now)
            if record.status == "new":
                await self._to_requester(
                    uow,
                    record,
                    TAKEN,
                    self._args(record, due=self.local_date(record.due_at)),
                    key=f"request:{request_id}:{record.cycle}:taken",
                )
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    def check_can_answer(self, record: SupportRequest) -> None:
        if record.status not in REQUEST_OPEN:
            raise DomainError(
                N_("Request {number} is «{status}»: it cannot be answered now."),
                number=_number(record),
                status=_status(record),
            )

    async def answer(
        self, actor_id: int, request_id: int, text: str | None, file: tuple[str, str] | None
    ) -> SupportRequest:
        """A staff answer reaches the requester in the town hall's name, never the person's."""
        self._staff.require_staff(actor_id)
        text = check_message(text, file)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self.check_can_answer(record)
            await uow.requests.add_message(request_id, "out", actor_id, text, file, now)
            assignee = None if record.assignee_id is not None else actor_id
            await uow.requests.set_status(request_id, "answered", now, assignee_id=assignee)
            await uow.requests.log(
                request_id,
                actor_id,
                record.status,
                "answered",
                text or f"[{file and file[0]}]",
                now,
            )

            async def send(
                template: str, args: dict[str, Any], one: tuple[str, str] | None
            ) -> None:
                await self._to_requester(uow, record, template, args, file=one)

            await self._with_file(record, text, file, ANSWER, ANSWER_FILE, send)
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    async def close(self, actor_id: int, request_id: int) -> SupportRequest:
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            if record.status not in CLOSABLE:
                raise DomainError(
                    N_("Request {number} is «{status}»: it cannot be closed."),
                    number=_number(record),
                    status=_status(record),
                )
            await uow.requests.set_status(request_id, "closed", now, closed=True)
            await uow.requests.log(request_id, actor_id, record.status, "closed", None, now)
            # Its buttons (rate it, reopen it) are drawn when it is sent: requester_offers.
            await self._to_requester(
                uow,
                record,
                CLOSED,
                self._args(record, id=request_id),
                key=f"request:{request_id}:{record.cycle}:closed",
            )
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    def check_can_reject(self, record: SupportRequest) -> None:
        if record.status not in REQUEST_AWAITING:  # declined instead of an answer
            raise DomainError(
                N_("Request {number} is «{status}»: it cannot be declined."),
                number=_number(record),
                status=_status(record),
            )

    async def reject(self, actor_id: int, request_id: int, reason: str) -> SupportRequest:
        self._staff.require_staff(actor_id)
        reason = reason.strip()
        if not reason:
            raise DomainError(N_("Declining needs a reason for the requester."))
        check_message(reason, None)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self.check_can_reject(record)
            await uow.requests.set_status(request_id, "rejected", now, closed=True)
            await uow.requests.log(request_id, actor_id, record.status, "rejected", reason, now)
            await uow.requests.add_message(request_id, "out", actor_id, reason, None, now)
            await self._to_requester(
                uow,
                record,
                REJECTED,
                self._args(record, comment=reason),
                key=f"request:{request_id}:{record.cycle}:rejected",
            )
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    # -- 59-FZ's extension ----------------------------------------------------------------

    def check_can_extend(self, record: SupportRequest) -> None:
        """Once, while the town hall owes an answer (not a closed, declined or answered one)."""
        if record.status not in REQUEST_AWAITING:
            raise DomainError(
                N_("Request {number} is «{status}»: its term cannot be extended."),
                number=_number(record),
                status=_status(record),
            )
        if record.extended_to is not None:
            raise DomainError(
                N_(
                    "The term of request {number} has already been extended once, to {due}: "
                    "59-FZ allows one extension."
                ),
                number=_number(record),
                due=self.local_date(record.extended_to),
            )

    async def extendable(self, actor_id: int, request_id: int) -> SupportRequest:
        """The request staff are about to extend (checked now, again when it is sent)."""
        record = await self.for_staff(actor_id, request_id)
        self.check_can_extend(record)
        return record

    def extension_days(self, record: SupportRequest, text: str) -> int:
        """By how many days: a number of days (1 to 30) or the new date (dd.mm.yyyy, up to
        30 days after the due date now)."""
        typed = text.strip()
        due_day = town_today(record.due_at, self._settings.timezone)
        if typed.isdigit():
            days = int(typed)
        else:
            match = DATE_RE.match(typed)
            if match is None:
                raise DomainError(
                    N_("Please write the number of days (up to 30) or the new date as dd.mm.yyyy.")
                )
            day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
            full = due_day.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
            try:
                new_day = date(full, month, day)
            except ValueError:
                raise DomainError(
                    N_("There is no such date. Please check the day and the month.")
                ) from None
            if year is None and new_day < due_day:
                new_day = new_day.replace(year=full + 1)  # «12.01» written in December
            days = (new_day - due_day).days
            if days <= 0:
                raise DomainError(
                    N_("The new date should be after the due date now, {due}."),
                    due=self.local_date(record.due_at),
                )
        return self.check_days(days)

    def check_days(self, days: int) -> int:
        if not 1 <= days <= EXTENSION_DAYS:
            raise DomainError(
                N_("59-FZ allows extending the term by 1 to {high} days; you gave {days}."),
                high=EXTENSION_DAYS,
                days=days,
            )
        return days

    async def extend(self, actor_id: int, draft: ExtensionDraft) -> SupportRequest:
        """Extend the term once, by up to 30 days, with a reason the requester is told
        (59-FZ art. 12 part 2): the role, the request's state, the days and the reason are
        checked now, whatever the form or a button said."""
        self._staff.require_staff(actor_id)
        if draft.days is None:
            raise DomainError(N_("This step of the form is not answered yet.")).at("days")
        days = self.check_days(draft.days)
        try:
            reason = check_reason(draft.reason)
        except DomainError as refused:
            raise refused.at("reason") from None
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, draft.request_id)
            self.check_can_extend(record)
            due = record.due_at + timedelta(days=days)
            span = (due - record.opened_at).total_seconds()
            gone = (now - record.opened_at).total_seconds() / span if span > 0 else 1.0
            nudged = max((n for n in NUDGES if gone * 100 >= n), default=0)
            if not await uow.requests.extend(
                record.id,
                due_at=due,
                was=record.due_at,
                reason=reason,
                by=actor_id,
                nudged=nudged,
                now=now,
            ):
                raise DomainError(N_("This form is already sent or closed."))
            await uow.requests.log(
                record.id, actor_id, record.status, record.status, f"extended: {reason}", now
            )
            await self._to_requester(
                uow,
                record,
                EXTENDED,
                self._args(record, due=self.local_date(due), reason=reason),
                key=f"request:{record.id}:extended",
            )
            await self._refresh_cards(uow, record.id)
            return await self._get(uow, record.id)

    # -- the requester ------------------------------------------------------------------------

    def check_can_write(self, record: SupportRequest) -> None:
        """The requester may write more only while the request is open (a closed one may be
        reopened within the window, a declined one never)."""
        if record.status == "closed":
            raise RequestClosed(record, self.can_reopen(record))
        if record.status == "rejected":
            raise DomainError(
                N_("Request {number} was declined. Please send a new one: /request"),
                number=_number(record),
            )

    async def follow_up(
        self, actor_id: int, request_id: int, text: str | None, file: tuple[str, str] | None
    ) -> SupportRequest:
        """The requester writes more; it reaches the staff card's thread."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self._own(actor_id, record)
            self.check_can_write(record)
            text = check_message(text, file)
            await uow.requests.add_message(request_id, "in", actor_id, text, file, now)

            async def send(
                template: str, args: dict[str, Any], one: tuple[str, str] | None
            ) -> None:
                await self._to_staff_thread(uow, record, template, args, one)

            await self._with_file(record, text, file, FOLLOW_UP, FOLLOW_UP_FILE, send)
            await self._refresh_cards(uow, request_id)
            return record

    async def reopen(self, actor_id: int, request_id: int) -> SupportRequest:
        now = self._clock.now()
        calendar = await self._workdays.calendar()  # read before the transaction
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self._own(actor_id, record)
            if record.status != "closed":
                raise DomainError(
                    N_("Request {number} is not closed: there is nothing to reopen."),
                    number=_number(record),
                )
            if not self.can_reopen(record):
                raise RequestClosed(record, can_reopen=False)
            to_status = "in_work" if record.assignee_id is not None else "new"
            due = self._due(record.kind, now, record.wanted_date, calendar)
            await uow.requests.reopen(request_id, to_status, due, now)
            await uow.requests.log(
                request_id, actor_id, "closed", to_status, "reopened by the requester", now
            )
            await self._to_staff_thread(
                uow,
                record,
                REOPENED,
                self._args(record, due=self.local_date(due)),
                key=f"request:{request_id}:{record.cycle}:reopened",
            )
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    async def rate(self, actor_id: int, request_id: int, helped: bool) -> SupportRequest:
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self._own(actor_id, record)
            if record.status != "closed":
                raise DomainError(N_("A request can be rated once it is closed."))
            if record.helped is not None:
                raise DomainError(N_("You have already rated this request. Thank you!"))
            await uow.requests.rate(request_id, helped)
            await self._to_staff_thread(
                uow,
                record,
                RATED_YES if helped else RATED_NO,
                self._args(record),
                key=f"request:{request_id}:{record.cycle}:rated",
            )
            await self._refresh_cards(uow, request_id)
            return await self._get(uow, request_id)

    async def rate_comment(self, actor_id: int, request_id: int, text: str) -> None:
        text = check_message(text, None) or ""
        async with self._db.transaction() as uow:
            record = await self._get(uow, request_id)
            self._own(actor_id, record)
            if record.status != "closed" or record.helped is None:
                raise DomainError(N_("A request can be rated once it is closed."))
            await uow.requests.rate_comment(request_id, text)
            await self._to_staff_thread(
                uow,
                record,
                RATING_COMMENT,
                self._args(record, text=text),
                key=f"request:{request_id}:{record.cycle}:rating-comment",
            )

    # -- due dates ----------------------------------------------------------------------------

    async def nudge_due(self) -> int:
        """Nudge staff when half and when 80 % of a request's term are gone (a scheduler
        job). The outbox key makes each nudge once per term; after downtime only the latest
        one that still makes sense goes out. Returns how many were queued."""
        now = self._clock.now()
        queued = 0
        waiting = await self._db.read.requests.awaiting_nudge(REQUEST_AWAITING)
        for record in waiting:
            span = (record.due_at - record.opened_at).total_seconds()
            gone = (now - record.opened_at).total_seconds() / span if span > 0 else 1.0
            level = max((n for n in NUDGES if gone * 100 >= n), default=0)
            if level <= record.nudged:
                continue
            async with self._db.transaction() as uow:
                fresh = await self._get(uow, record.id)
                if fresh.status not in REQUEST_AWAITING or fresh.nudged >= level:
                    continue
                # An extended term is nudged afresh (its nudges are other messages).
                term = f"{fresh.cycle}x" if fresh.extended else str(fresh.cycle)
                # Whoever took it, or current staff; readdressed if they leave before it goes.
                for chat_id in self._staff.case_recipients(fresh.assignee_id):
                    row = await self._staff.notify(
                        uow,
                        chat_id,
                        now=now,
                        template=NUDGE,
                        args=self._args(fresh, percent=level, due=self.local_date(fresh.due_at)),
                        key=f"request:{record.id}:{term}:nudge:{level}:{chat_id}",
                        readdress=True,
                    )
                    queued += row is not None
                await uow.requests.set_nudged(record.id, level)
        return queued
