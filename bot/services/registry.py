"""The registry: TOS and organisations, who leads them, who belongs to a TOS.

Staff keep the registry (add, edit, deactivate, import, invite chairs and representatives);
residents find their TOS by street or location and join it; a chair announces to members.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.initiatives import Initiative
from bot.domain.people import Person
from bot.domain.registry import BodyRole, Organisation, Tos, name_key
from bot.services.broadcasts import Audience, BroadcastService, audience_of
from bot.services.errors import N_, DomainError, NotAllowed
from bot.services.privacy import Shown, StaffPrivacy
from bot.services.registry_fields import (
    CHAIR_FIELDS,
    ROLE_NAMES,
    STREET_WORDS,
    parse_area,
    parse_contact,
    parse_date,
    parse_description,
    parse_kind,
    parse_name,
    parse_residents,
    parse_territory,
)
from bot.services.registry_io import ImportPlan, plan_import, read_table, table
from bot.services.staff import (
    INVALID_LINK,
    INVITE_PREFIX,
    StaffService,
    check_invite,
    spend_invite,
)
from bot.services.status_groups import INITIATIVE_UNDER_WAY
from bot.services.territory import Area, StreetWords, distance_m, rank_by_street
from bot.services.when import local_text, town_today
from bot.tables import to_csv, to_xlsx
from bot.textsplit import length
from bot.vocabulary import Words
from storage.db import Database

JOIN_PREFIX = "tos_"
ROLE_INVITE_TTL = timedelta(days=14)
ROLE_KINDS = {"chair": "tos", "deputy": "tos", "rep": "org"}  # invite kind -> body kind
ANNOUNCE_WINDOW = timedelta(days=7)
ANNOUNCE_MAX = 3000
SEARCH_LIMIT = 6
READ_KEPT = 2  # files whose rows are kept from their dry run for their import ...
READ_KEPT_FOR = timedelta(minutes=30)  # ... for so long
DEFAULT_RADIUS_M = 500  # a TOS's circle around a shared centre, until staff type another


ANNOUNCEMENT = N_("📣 <b>{tos}</b>: a message from the TOS chair\n\n{text}")
ROLE_GIVEN = N_("You are now the {role} of «{body}». Send /tos to see its card.")
ROLE_TAKEN = N_("You are no longer the {role} of «{body}».")
ROLE_ACCEPTED = N_("{name} opened your invite and is now the {role} of «{body}».")
# The same, where the town's privacy setting keeps people's names from staff.
ROLE_ACCEPTED_UNNAMED = N_("Your invite worked: «{body}» now has its {role} in the bot.")


def check_announcement(text: str) -> str:
    """A chair's announcement to the members, stripped, if its length is within the limit:
    checked as it is typed, and on sending."""
    text = text.strip()
    if not 3 <= length(text) <= ANNOUNCE_MAX:
        raise DomainError(
            N_("The announcement must be {low} to {high} characters long."),
            low=3,
            high=ANNOUNCE_MAX,
        ).at("text")
    return text


@dataclass(frozen=True, slots=True)
class Coverage:
    tos: int
    residents: int
    population: int | None
    organisations: int

    @property
    def percent(self) -> float | None:
        if not self.population:
            return None
        return round(100 * self.residents / self.population, 1)


@dataclass(frozen=True, slots=True)
class RoleInvite:
    payload: str
    expires_at: datetime
    body_name: str
    role: str
    uses_left: int | None


@dataclass(frozen=True, slots=True)
class Redeemed:
    role: str
    body_kind: str
    body_id: int
    body_name: str


@dataclass(frozen=True, slots=True)
class Holder:
    """Someone's role in a TOS or an organisation as staff see it: the person only where
    the town's privacy setting lets staff see people; otherwise the role and since when."""

    user_id: int
    role: str
    person: Person | None
    since: datetime | None  # when the role was given, in the town's time


@dataclass(frozen=True, slots=True)
class TosView:
    """A TOS's card for one viewer."""

    tos: Tos
    is_member: bool
    leads: str | None  # the viewer's role in it: chair | deputy | None
    chair_contact: str | None
    initiatives: list[Initiative]  # public ones of this TOS, the newest first
    events: tuple[tuple[str, str], ...] = ()  # (local start time, title) of upcoming events


@dataclass
class CardEdit:
    """One field of a TOS's or an organisation's card being changed (a staff member's or a
    chair's form): the value as it was sent, read by `card_values` when it is saved."""

    kind: str = "tos"  # tos | org
    id: int = 0
    field: str = ""  # a key of TOS_FIELDS or ORG_FIELDS
    text: str = ""  # the typed value
    location: tuple[float, float] | None = None  # a shared location: a TOS's area
    token: str = dataclass_field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class NewBody:
    """A TOS or an organisation staff are adding: its name (the rest is filled in with the
    card's «Edit»)."""

    kind: str = "tos"  # tos | org
    name: str = ""
    token: str = dataclass_field(default_factory=lambda: secrets.token_hex(8))


class RegistryService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        broadcasts: BroadcastService,
        *,
        words: Words,
        population: int | None = None,
        announcements_per_week: int = 2,
        timezone: ZoneInfo | None = None,
        privacy: StaffPrivacy | None = None,
    ) -> None:
        self._privacy = privacy or StaffPrivacy()
        self._timezone = timezone or ZoneInfo("UTC")
        self._words = words
        self._streets: StreetWords | None = None
        self._db = db
        self._clock = clock
        self._staff = staff
        self._broadcasts = broadcasts
        self.population = population
        self.announcements_per_week = announcements_per_week
        # Rows of files read lately, so an import after its dry run reads the file once.
        self._read_rows: dict[tuple[int, str, bytes], tuple[datetime, list[list[str]]]] = {}

    # -- reads for everyone -------------------------------------------------------------------

    async def roles_of(self, user_id: int) -> list[BodyRole]:
        """The person's roles in active bodies: TOS chair or deputy, organisation rep."""
        return await self._db.read.registry.roles_of(user_id)

    async def user_tos(self, user_id: int) -> list[Tos]:
        """The active TOS the person leads (first) or belongs to."""
        return await self._db.read.registry.tos_of_user(user_id)

    async def get_tos(self, tos_id: int) -> Tos | None:
        return await self._db.read.registry.get_tos(tos_id)

    async def get_org(self, org_id: int) -> Organisation | None:
        return await self._db.read.registry.get_org(org_id)

    async def active_tos(self, tos_id: int) -> Tos:
        tos = await self.get_tos(tos_id)
        if tos is None or not tos.active:
            raise DomainError(N_("This TOS is not in the registry any more."))
        return tos

    async def find_by_street(self, text: str) -> list[Tos]:
        """TOS whose territory has the street typed (and the house, when one is given),
        best first; see `territory.rank_by_street`."""
        every = await self._db.read.registry.all_tos(active_only=True)  # by name
        candidates = ((tos, (tos.name, *tos.territory)) for tos in every)
        return rank_by_street(text, candidates, self._street_words())[:SEARCH_LIMIT]

    def _street_words(self) -> StreetWords:
        if self._streets is None:  # built once: the catalogs do not change while we run
            self._streets = StreetWords(
                **{key: self._words(msgid) for key, msgid in STREET_WORDS.items()}
            )
        return self._streets

    async def find_by_location(self, latitude: float, longitude: float) -> Tos | None:
        """The nearest TOS whose territory contains the point."""
        best: tuple[float, Tos] | None = None
        for tos in await self._db.read.registry.all_tos(active_only=True):
            area = Area(tos.latitude, tos.longitude, tos.radius_m, tos.polygon)
            if not area.contains(latitude, longitude):
                continue
            centre = area.centre()
            distance = distance_m(latitude, longitude, *centre) if centre else 0.0
            if best is None or distance < best[0]:
                best = (distance, tos)
        return None if best is None else best[1]

    async def view(self, user_id: int, tos_id: int) -> TosView:
        tos = await self.active_tos(tos_id)
        read = self._db.read.registry
        leads = next(
            (
                r.role
                for r in await read.roles_of(user_id)
                if r.body_kind == "tos" and r.body_id == tos_id
            ),
            None,
        )
        initiatives = await self._db.read.initiatives.of_tos(tos_id, INITIATIVE_UNDER_WAY, 5)
        events = await self._db.read.events.of_tos(tos_id, self._clock.now(), 3)
        return TosView(
            tos=tos,
            is_member=tos_id in await read.memberships(user_id),
            leads=leads,
            chair_contact=tos.public_contact,
            initiatives=initiatives,
            events=tuple(
                (local_text(e.starts_at, self._timezone, "day_time"), e.title) for e in events
            ),
        )

    # -- residents: joining -------------------------------------------------------------------

    async def join(self, user_id: int, tos_id: int) -> Tos:
        async with self._db.transaction() as uow:
            tos = await uow.registry.get_tos(tos_id)
            if tos is None or not tos.active:
                raise DomainError(N_("This TOS is not in the registry any more."))
            if not await uow.registry.join(tos_id, user_id, self._clock.now()):
                raise DomainError(N_("You are already a member of «{name}»."), name=tos.name)
        return tos

    async def leave(self, user_id: int, tos_id: int) -> Tos:
        async with self._db.transaction() as uow:
            tos = await uow.registry.get_tos(tos_id)
            left = await uow.registry.leave(tos_id, user_id)
        if tos is None or not left:
            raise DomainError(N_("You are not a member of this TOS."))
        return tos

    async def join_by_token(self, user_id: int, payload: str) -> Tos:
        tos = await self._db.lookup.registry.tos_by_join_token(payload.removeprefix(JOIN_PREFIX))
        if tos is None or not tos.active:
            raise DomainError(N_("This poster's link no longer works. Send /tos to find your TOS."))
        return await self.join(user_id, tos.id)

    def join_payload(self, tos: Tos) -> str:
        return JOIN_PREFIX + tos.join_token

    # -- staff: the registry ------------------------------------------------------------------

    def today(self) -> date:
        """The town's calendar day now."""
        return town_today(self._clock.now(), self._timezone)

    def require_staff(self, actor_id: int) -> None:
        self._staff.require_staff(actor_id)

    async def coverage(self) -> Coverage:
        read = self._db.read.registry
        count, residents = await read.coverage()
        return Coverage(count, residents, self.population, await read.org_count())

    async def list_tos(self, actor_id: int) -> list[Tos]:
        self._staff.require_staff(actor_id)
        return await self._db.read.registry.all_tos()

    async def list_orgs(self, actor_id: int) -> list[Organisation]:
        self._staff.require_staff(actor_id)
        return await self._db.read.registry.all_orgs()

    async def people(self, actor_id: int, body_kind: str, body_id: int) -> list[BodyRole]:
        self._staff.require_staff(actor_id)
        return await self._db.read.registry.people_of(body_kind, body_id)

    async def holder_for_staff(self, user_id: int | None) -> Shown:
        """Who took a role by an invite, as staff may see them (the notice to staff is
        drawn when it is sent: by then the person may have withdrawn their consent)."""
        if user_id is None or not self._privacy.shows_people:
            return self._privacy.shown(None)
        return self._privacy.shown(await self._db.read.users.get(user_id))

    async def holders(self, actor_id: int, body_kind: str, body_id: int) -> list[Holder]:
        """Who holds which role in a body, as staff may see them (the privacy setting)."""
        people = await self.people(actor_id, body_kind, body_id)
        wanted = [p.user_id for p in people] if self._privacy.shows_people else []
        users = await self._db.read.users.get_many(wanted)
        return [
            Holder(
                p.user_id,
                p.role,
                self._privacy.person(users.get(p.user_id)),
                p.since.astimezone(self._timezone) if p.since else None,
            )
            for p in people
        ]

    async def add_tos(self, actor_id: int, name: str) -> Tos:
        self._staff.require_staff(actor_id)
        name = parse_name(name)
        async with self._db.transaction() as uow:
            if await uow.registry.tos_by_name(name) is not None:
                raise DomainError(N_("«{name}» is already in the registry."), name=name)
            tos_id = await uow.registry.add_tos(
                {"name": name}, secrets.token_urlsafe(12), self._clock.now()
            )
            tos = await uow.registry.get_tos(tos_id)
        assert tos is not None
        return tos

    async def add_org(self, actor_id: int, name: str) -> Organisation:
        self._staff.require_staff(actor_id)
        name = parse_name(name)
        async with self._db.transaction() as uow:
            if await uow.registry.org_by_name(name) is not None:
                raise DomainError(N_("«{name}» is already in the registry."), name=name)
            org_id = await uow.registry.add_org({"name": name}, self._clock.now())
            org = await uow.registry.get_org(org_id)
        assert org is not None
        return org

    def area_at(self, latitude: float, longitude: float) -> dict[str, Any]:
        """A shared location as a TOS's centre, with a radius staff can refine by typing."""
        return {"latitude": latitude, "longitude": longitude, "radius_m": DEFAULT_RADIUS_M}

    async def totals(self, actor_id: int) -> tuple[int, int]:
        """(TOS, organisations) in the registry, deactivated ones included."""
        self._staff.require_staff(actor_id)
        return await self._db.read.registry.totals()

    def parse_tos_field(self, field: str, value: str) -> dict[str, Any]:
        """A typed answer for one field of a TOS card -> the columns it sets."""
        if field == "name":
            return {"name": parse_name(value)}
        if field == "territory":
            return {"territory": parse_territory(value)}
        if field == "residents":
            return {"residents": parse_residents(value)}
        if field == "registered_on":
            return {"registered_on": parse_date(value, self.today())}
        if field == "area":
            lat, lon, radius = parse_area(value)
            return {"latitude": lat, "longitude": lon, "radius_m": radius}
        if field in ("contacts", "public_contact"):
            return {field: parse_contact(value)}
        if field == "description":
            return {"description": parse_description(value)}
        raise DomainError(N_("This button is out of date."))

    def parse_org_field(self, field: str, value: str) -> dict[str, Any]:
        if field == "name":
            return {"name": parse_name(value)}
        if field == "kind":
            return {"kind": parse_kind(value, self._words)}
        if field == "contacts":
            return {"contacts": parse_contact(value)}
        if field == "description":
            return {"description": parse_description(value)}
        raise DomainError(N_("This button is out of date."))

    async def _may_edit_tos(self, actor_id: int, tos_id: int, fields: set[str]) -> None:
        if self._staff.role_of(actor_id).is_staff:
            return
        await self.active_tos(tos_id)  # a deactivated TOS's card is the town hall's to change
        people = await self._db.lookup.registry.people_of("tos", tos_id)
        leads = any(p.user_id == actor_id and p.role in ("chair", "deputy") for p in people)
        if leads and fields <= set(CHAIR_FIELDS):
            return
        raise NotAllowed(N_("Only the town hall's staff and the TOS chair can change this card."))

    async def update_tos(self, actor_id: int, tos_id: int, values: dict[str, Any]) -> Tos:
        await self._may_edit_tos(actor_id, tos_id, set(values))
        async with self._db.transaction() as uow:
            if "name" in values:
                other = await uow.registry.tos_by_name(values["name"])
                if other is not None and other.id != tos_id:
                    raise DomainError(N_("«{name}» is already in the registry."), name=other.name)
            if not await uow.registry.update_tos(tos_id, values, self._clock.now()):
                raise DomainError(N_("This TOS is not in the registry any more."))
            tos = await uow.registry.get_tos(tos_id)
        assert tos is not None
        return tos

    def card_values(self, edit: CardEdit) -> dict[str, Any]:
        """The columns a card's change sets: a TOS's area from a shared location, else the
        typed value read by the field's rule."""
        if edit.kind == "tos" and edit.field == "area" and edit.location is not None:
            return self.area_at(*edit.location)
        if not edit.text:
            raise DomainError(N_("Please answer with text. /cancel to stop."))
        if edit.kind == "tos":
            return self.parse_tos_field(edit.field, edit.text)
        return self.parse_org_field(edit.field, edit.text)

    async def save_card(self, actor_id: int, edit: CardEdit) -> None:
        """Store a card's change (the actor's right to change that field checked now)."""
        values = self.card_values(edit)
        if edit.kind == "tos":
            await self.update_tos(actor_id, edit.id, values)
        else:
            await self.update_org(actor_id, edit.id, values)

    async def update_org(self, actor_id: int, org_id: int, values: dict[str, Any]) -> Organisation:
        self._staff.require_staff(actor_id)
        async with self._db.transaction() as uow:
            if "name" in values:
                other = await uow.registry.org_by_name(values["name"])
                if other is not None and other.id != org_id:
                    raise DomainError(N_("«{name}» is already in the registry."), name=other.name)
            if not await uow.registry.update_org(org_id, values, self._clock.now()):
                raise DomainError(N_("This organisation is not in the registry any more."))
            org = await uow.registry.get_org(org_id)
        assert org is not None
        return org

    async def set_active(self, actor_id: int, body_kind: str, body_id: int, active: bool) -> None:
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            if body_kind == "tos":
                await uow.registry.update_tos(body_id, {"active": active}, now)
            else:
                await uow.registry.update_org(body_id, {"active": active}, now)

    # -- import and export --------------------------------------------------------------------

    async def _plan(self, registry: Any, rows: list[list[str]]) -> ImportPlan:
        tos = {name_key(t.name): t for t in await registry.all_tos()}
        orgs = {name_key(o.name): o for o in await registry.all_orgs()}
        return plan_import(rows, self._words, self.today(), tos, orgs)

    async def _read(self, actor_id: int, data: bytes, filename: str) -> list[list[str]]:
        """The file's rows: read once for its dry run and its import (kept READ_KEPT_FOR,
        for the last READ_KEPT files), parsing being the costly part."""
        key = (actor_id, filename, hashlib.sha256(data).digest())
        now = self._clock.now()
        kept = self._read_rows.get(key)
        if kept is not None and now - kept[0] <= READ_KEPT_FOR:
            return kept[1]
        # Parsing a spreadsheet is CPU work: off the event loop.
        rows = await asyncio.to_thread(read_table, data, filename)
        self._read_rows[key] = (now, rows)
        for old in list(self._read_rows)[:-READ_KEPT]:
            del self._read_rows[old]
        return rows

    async def plan_import(self, actor_id: int, data: bytes, filename: str) -> ImportPlan:
        """The dry run: what the file would add and change, and each bad row's problems."""
        self._staff.require_staff(actor_id)
        rows = await self._read(actor_id, data, filename)
        return await self._plan(self._db.read.registry, rows)

    async def apply_import(self, actor_id: int, data: bytes, filename: str) -> ImportPlan:
        """Write the file's good rows in one unit of work; the bad ones are left out."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        rows = await self._read(actor_id, data, filename)
        async with self._db.transaction() as uow:
            # Planned again inside the unit of work: the registry may have changed since.
            plan = await self._plan(uow.registry, rows)
            for row in plan.good:
                values = dict(row.values)
                if row.body_kind == "tos":
                    existing = await uow.registry.tos_by_name(values["name"])
                    if existing is None:
                        await uow.registry.add_tos(values, secrets.token_urlsafe(12), now)
                    else:
                        await uow.registry.update_tos(existing.id, values, now)
                else:
                    found = await uow.registry.org_by_name(values["name"])
                    if found is None:
                        await uow.registry.add_org(values, now)
                    else:
                        await uow.registry.update_org(found.id, values, now)
        return plan

    async def export(self, actor_id: int, fmt: str, labels: dict[str, str]) -> bytes:
        self._staff.require_staff(actor_id)
        read = self._db.read.registry
        rows = table(await read.all_tos(), await read.all_orgs(), labels)
        return to_xlsx(rows) if fmt == "xlsx" else to_csv(rows)

    # -- roles by invite ------------------------------------------------------------------------

    async def create_invite(
        self, actor_id: int, role: str, body_id: int, *, several: bool = False
    ) -> RoleInvite:
        """A deep link that gives a role in a body to whoever opens it: once, or (for
        deputies and representatives, when staff say so) to several people until it expires."""
        self._staff.require_staff(actor_id)
        body_kind = ROLE_KINDS.get(role)
        if body_kind is None:
            raise DomainError(N_("This button is out of date."))
        body = await (self.get_tos(body_id) if body_kind == "tos" else self.get_org(body_id))
        if body is None or not body.active:
            raise DomainError(N_("This TOS or organisation is not in the registry any more."))
        now = self._clock.now()
        token = secrets.token_urlsafe(18)
        uses = None if several and role != "chair" else 1
        async with self._db.transaction() as uow:
            await uow.invites.create(
                token,
                role,
                target_id=body_id,
                created_by=actor_id,
                now=now,
                expires_at=now + ROLE_INVITE_TTL,
                uses_left=uses,
            )
        return RoleInvite(INVITE_PREFIX + token, now + ROLE_INVITE_TTL, body.name, role, uses)

    async def invite_kind(self, payload: str) -> str | None:
        if not payload.startswith(INVITE_PREFIX):
            return None
        invite = await self._db.lookup.invites.get(payload.removeprefix(INVITE_PREFIX))
        return None if invite is None else invite.kind

    async def redeem(self, user_id: int, payload: str) -> Redeemed:
        token = payload.removeprefix(INVITE_PREFIX)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            invite = await uow.invites.get(token)
            if invite is None or invite.kind not in ROLE_KINDS or invite.target_id is None:
                raise DomainError(INVALID_LINK)
            # An invite speaks for the staff member who made it only while they are staff.
            check_invite(
                invite, now, author_entitled=self._staff.role_of(invite.created_by).is_staff
            )
            body_kind = ROLE_KINDS[invite.kind]
            body_id = invite.target_id
            body = await (
                uow.registry.get_tos(body_id)
                if body_kind == "tos"
                else uow.registry.get_org(body_id)
            )
            if body is None or not body.active:
                raise DomainError(N_("This TOS or organisation is not in the registry any more."))
            held = next(
                (
                    r.role
                    for r in await uow.registry.people_of(body_kind, body_id)
                    if r.user_id == user_id
                ),
                None,
            )
            if held == invite.kind:
                raise DomainError(
                    N_("You already are the {role} of «{body}»."),
                    role={"t": ROLE_NAMES[invite.kind]},
                    body=body.name,
                )
            await spend_invite(uow, invite, user_id, now)
            if invite.kind == "chair":
                previous = await uow.registry.chair_of(body_id)
                if previous is not None and previous != user_id:
                    # A new chair was elected: the old one steps down and is told.
                    await uow.registry.revoke(previous, "tos", body_id)
                    await uow.outbox.enqueue(
                        previous,
                        now=now,
                        template=ROLE_TAKEN,
                        args={"role": {"t": ROLE_NAMES["chair"]}, "body": body.name},
                        key=f"role-taken:{body_kind}:{body_id}:{previous}:{now.isoformat()}",
                    )
            await uow.registry.grant(
                user_id, body_kind, body_id, invite.kind, invite.created_by, now
            )
            # Who it was is looked up when the notice goes (and shown only where the town's
            # privacy setting allows): the outbox never keeps the name.
            await self._staff.notify(
                uow,
                invite.created_by,
                now=now,
                template=ROLE_ACCEPTED,
                args={"person": user_id, "role": {"t": ROLE_NAMES[invite.kind]}, "body": body.name},
                subject=user_id,
                key=f"role-accepted:{token}:{user_id}",
            )
        return Redeemed(invite.kind, body_kind, body_id, body.name)

    async def revoke(self, actor_id: int, user_id: int, body_kind: str, body_id: int) -> str:
        """Take a role away; the person is told. Returns the role they had."""
        self._staff.require_staff(actor_id)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            role = await uow.registry.revoke(user_id, body_kind, body_id)
            if role is None:
                raise DomainError(N_("This person no longer has this role."))
            body = await (
                uow.registry.get_tos(body_id)
                if body_kind == "tos"
                else uow.registry.get_org(body_id)
            )
            await uow.outbox.enqueue(
                user_id,
                now=now,
                template=ROLE_TAKEN,
                args={"role": {"t": ROLE_NAMES[role]}, "body": body.name if body else "—"},
                key=f"role-taken:{body_kind}:{body_id}:{user_id}:{now.isoformat()}",
            )
        return role

    # -- chairs -----------------------------------------------------------------------------

    async def require_leader(self, actor_id: int, tos_id: int) -> Tos:
        """The TOS, if the actor is its chair or a deputy now; refused otherwise."""
        tos = await self.active_tos(tos_id)
        roles = await self._db.lookup.registry.people_of("tos", tos_id)
        if not any(r.user_id == actor_id and r.role in ("chair", "deputy") for r in roles):
            raise NotAllowed(N_("Only the chair of this TOS and deputies can do this."))
        return tos

    async def announcement_room(self, actor_id: int, tos_id: int) -> tuple[int, int]:
        """For a chair about to announce: (members who would get it, announcements left
        this week)."""
        await self.require_leader(actor_id, tos_id)
        since = self._clock.now() - ANNOUNCE_WINDOW
        sent = await self._db.lookup.registry.announcements_since(tos_id, since)
        members = await self._db.read.registry.member_count(tos_id)
        return members, max(0, self.announcements_per_week - sent)

    async def announce(self, actor_id: int, tos_id: int, text: str) -> int:
        """Send a chair's announcement to the TOS's members; returns how many it goes to."""
        tos = await self.require_leader(actor_id, tos_id)
        text = check_announcement(text)
        now = self._clock.now()
        recipients = [
            uid for uid in await self._db.read.registry.member_ids(tos_id) if uid != actor_id
        ]
        async with self._db.transaction() as uow:
            # Counted, recorded and queued in one unit of work: two quick presses make one,
            # and the week's quota is spent only on an announcement that is really queued.
            if await uow.registry.announcements_since(tos_id, now - ANNOUNCE_WINDOW) >= (
                self.announcements_per_week
            ):
                raise DomainError(
                    N_("This week's limit of {count} announcements is used up. Try again later."),
                    count=self.announcements_per_week,
                )
            if not recipients:
                raise DomainError(N_("The TOS has no members in the bot yet: nobody to tell."))
            announcement_id = await uow.registry.record_announcement(tos_id, actor_id, None, now)
            broadcast_id = await self._broadcasts.start_for(
                audience_of(Audience.TOS, tos_id),
                recipients,
                ANNOUNCEMENT,
                {"tos": tos.name, "text": text},
                actor_id,
            )  # joins this unit of work
            await uow.registry.link_announcement(announcement_id, broadcast_id)
        return len(recipients)
