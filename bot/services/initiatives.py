"""Citizen initiatives: submission, the staff decision machine, public support, duplicates."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.domain.initiatives import Initiative, Moderation, Photo
from bot.domain.people import Person
from bot.domain.registry import Tos
from bot.services.cases import (
    Label,
    Number,
    check_length,
    parse_number,
    refresh_cards,
)
from bot.services.cases import check_description as check_description
from bot.services.errors import N_, DomainError, NotAllowed, at_field
from bot.services.privacy import Shown, StaffPrivacy
from bot.services.staff import Role, StaffService
from bot.services.status_groups import INITIATIVE_OPEN, INITIATIVE_PUBLIC, initiative_is_public
from bot.services.when import town_today
from storage.db import Database, UnitOfWork

# The active TOS a person belongs to or leads (RegistryService.user_tos).
TosOf = Callable[[int], Awaitable[list[Tos]]]
# A person by their id (UserService.get).
PersonOf = Callable[[int], Awaitable[Person | None]]

DIRECTIONS: dict[str, str] = {
    "improvement": N_("Improvement and greening"),
    "sport": N_("Healthy lifestyle and sport"),
    "festivals": N_("Festivals and actions"),
    "memorials": N_("Memorials and history"),
    "other": N_("Other"),
}
STATUSES: dict[str, str] = {
    "new": N_("new"),
    "review": N_("under review"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "merged": N_("merged into another"),
}
# The one place that says which decision may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"review", "accepted", "rejected"}),
    "review": frozenset({"accepted", "rejected"}),
    "accepted": frozenset({"in_progress", "done"}),
    "in_progress": frozenset({"done"}),
    "rejected": frozenset(),
    "done": frozenset(),
    "merged": frozenset(),
}
# The decisions a staff card offers, in this order (those TRANSITIONS allow).
DECISIONS = ("review", "accepted", "rejected", "in_progress", "done")
# Merging a duplicate into another initiative: not a duplicate already merged or done, and
# not into one merged or rejected.
NOT_MERGEABLE = ("merged", "done")
NOT_MERGED_INTO = ("merged", "rejected")
TITLE_LIMITS = (3, 120)
# The place: an address of 3 to 300 characters, or a location inside the town.
ADDRESS_LIMITS = (3, 300)
FAR_AWAY = N_(
    "This place seems to be far from the town. Share a location in the town or type the address."
)
# A box around the town: south-west and north-east corners (TOWN_BOUNDS; unset: anywhere).
Bounds = tuple[float, float, float, float]
REASON_LIMITS = (1, 1000)  # a rejection's reason: the author reads it, /my lists it
COMMENT_LIMITS = (1, 2000)  # a comment to the author
MAX_PHOTOS = 5
# What the author types under a photo: kept with it and shown on the cards (a longer text is
# a description, and five of these still leave a card within one message).
CAPTION_LIMITS = (1, 200)
MILESTONES = (1, 10, 50, 100)
NUMBER = N_("I-{year}-{seq}")  # the Russian catalog writes its own letter

# What the author hears, by the status an initiative moves to (the card shows the rest).
TOLD_AUTHOR = {
    "review": N_("Your initiative {number} «{title}» is under review by the town hall."),
    "accepted": N_(
        "Good news: your initiative {number} «{title}» is accepted. Others can now see and "
        "support it."
    ),
    "rejected": N_(
        "Your initiative {number} «{title}» was not accepted. The town hall's reason: {comment}"
    ),
    "in_progress": N_("Work on your initiative {number} «{title}» has started."),
    "done": N_("Your initiative {number} «{title}» is done. Thank you for the idea!"),
}
COMMENT_FOR_AUTHOR = N_("The town hall about your initiative {number}: {comment}")
MILESTONE = N_("Supporters of your initiative {number} so far: {count}.")
MERGED = N_(
    "Your initiative {number} turned out to be the same as {other}; they are now one, "
    "and its supporters are counted there."
)
MERGED_TARGET = N_("Initiative {other} was merged into yours, {number}, with its supporters.")
STAFF_CARD = "initiative_card"  # the outbox renderer that draws a staff card


@dataclass
class Draft:
    """An initiative being written (it lives in the form's FSM data as a dict)."""

    token: str = field(default_factory=lambda: secrets.token_hex(8))
    direction: str | None = None
    title: str | None = None
    description: str | None = None
    photos: list[str] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)  # photo file id -> its caption
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    tos_id: int | None = None
    show_author: bool = False

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Submitted:
    initiative: Initiative
    duplicates: list[Initiative]
    already: bool  # the same form was sent before (a double press)


class SupportOffer(StrEnum):
    """What the public card offers its reader: to support, or to withdraw their support."""

    SUPPORT = "support"
    WITHDRAW = "withdraw"


@dataclass(frozen=True, slots=True)
class InitiativeCard:
    """One initiative's card as one reader sees it, read in one call; the handler draws it.

    The staff card names the author as the town's privacy setting lets staff see them and
    offers the decisions; the public card names the author only when they chose so, and
    offers support to anyone but the author while the initiative is public."""

    initiative: Initiative
    photos: tuple[Photo, ...]  # before the work, in order, each with its caption
    tos_name: str | None
    staff: bool
    author: Shown
    decisions: tuple[str, ...] = ()  # staff: the statuses it may move to (DECISIONS)
    may_comment: bool = False  # staff: a comment to the author
    may_merge: bool = False  # staff: merge it, a duplicate, into another
    support: SupportOffer | None = None  # public: None where the reader cannot support
    may_report: bool = False  # public: the reader may report it to the moderators
    moderation: Moderation | None = None  # staff: hidden or not, reports, the original text


def number_args(record: Initiative) -> dict[str, Any]:
    return {"number": Number(NUMBER, record)}


def check_title(text: str) -> str:
    return check_length(
        " ".join(text.split()),
        TITLE_LIMITS,
        N_("The title should be {low} to {high} characters long; yours has {length}."),
    )


def check_caption(text: str) -> str:
    """A photo's caption, as the author typed it under the photo."""
    return check_length(
        " ".join(text.split()),
        CAPTION_LIMITS,
        N_(
            "A caption under a photo can be up to {high} characters; yours has {length}. "
            "Send the photo again with a shorter caption, or without one."
        ),
    )


def check_address(text: str) -> str:
    return check_length(
        text.strip(),
        ADDRESS_LIMITS,
        N_("The address should be {low} to {high} characters long; yours has {length}."),
    )


def check_reason(text: str) -> str:
    """A rejection's reason for the author."""
    return check_length(
        text.strip(),
        REASON_LIMITS,
        N_("The reason should be {low} to {high} characters long; yours has {length}."),
    )


def check_comment(text: str) -> str:
    return check_length(
        text.strip(),
        COMMENT_LIMITS,
        N_("The comment should be {low} to {high} characters long; yours has {length}."),
    )


def check_transition(record: Initiative, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(record.status, frozenset()):
        raise DomainError(
            N_("An initiative that is «{current}» cannot become «{wanted}»."),
            current=Label(STATUSES[record.status]),
            wanted=Label(STATUSES.get(to_status, to_status)),
        )


def _stems(title: str) -> set[str]:
    # Russian endings vary (bench, of benches...): compare the first letters of words.
    return {w[:5] for w in re.findall(r"\w+", title.casefold()) if len(w) >= 4}


def similar(title: str, others: list[Initiative], limit: int = 3) -> list[Initiative]:
    mine = _stems(title)
    if not mine:
        return []
    scored = []
    for other in others:
        theirs = _stems(other.title)
        if theirs:
            score = len(mine & theirs) / len(mine | theirs)
            if score >= 0.5:
                scored.append((score, other.id, other))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [other for _, _, other in scored[:limit]]


class InitiativeService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        tos_of: TosOf,
        *,
        timezone: tzinfo,
        person_of: PersonOf,
        privacy: StaffPrivacy,
        town_bounds: Bounds | None = None,
    ) -> None:
        self._person_of = person_of
        self._privacy = privacy
        self._timezone = timezone
        self._town_bounds = town_bounds
        self._db = db
        self._clock = clock
        self._staff = staff
        self._tos_of = tos_of

    def check_location(self, latitude: float, longitude: float) -> tuple[float, float]:
        """A shared location, if it is in the town (the place rule, with check_address)."""
        if self._town_bounds is not None:
            lat_min, lon_min, lat_max, lon_max = self._town_bounds
            if not (lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max):
                raise DomainError(FAR_AWAY)
        return latitude, longitude

    async def submit(self, author_id: int, draft: Draft) -> Submitted:
        """Store the initiative, queue a card for staff; the same draft twice is one."""
        missing = next(
            (
                name
                for name, value in (
                    ("direction", draft.direction in DIRECTIONS),
                    ("title", draft.title),
                    ("description", draft.description),
                )
                if not value
            ),
            None,
        )
        if missing is not None:
            raise DomainError(N_("This step of the form is not answered yet.")).at(missing)
        assert draft.direction is not None and draft.title and draft.description
        # Each step checked its answer; checked again here, where the rules live.
        for name, check, value in (
            ("title", check_title, draft.title),
            ("description", check_description, draft.description),
            ("place", check_address, draft.address),
        ):
            if value is not None:
                at_field(name, check, value)
        if draft.latitude is not None and draft.longitude is not None:
            at_field("place", self.check_location, draft.latitude, draft.longitude)
        if draft.tos_id is not None and not any(
            tos.id == draft.tos_id for tos in await self._tos_of(author_id)
        ):  # they left the TOS after choosing it, or the choice was forged
            raise DomainError(
                N_("You are not in this TOS any more, so the initiative cannot name it.")
            ).at("tos")
        now = self._clock.now()
        async with self._db.transaction() as uow:
            existing = await uow.initiatives.by_draft(draft.token)
            if existing is not None:
                return Submitted(existing, [], already=True)
            initiative_id = await uow.initiatives.create(
                draft_token=draft.token,
                author_id=author_id,
                direction=draft.direction,
                title=draft.title,
                description=draft.description,
                address=draft.address,
                latitude=draft.latitude,
                longitude=draft.longitude,
                tos_id=draft.tos_id,
                show_author=draft.show_author,
                now=now,
                year=town_today(now, self._timezone).year,  # the number's year is the town's
            )
            await uow.initiatives.add_photos(initiative_id, "before", draft.photos, draft.captions)
            await uow.initiatives.log(initiative_id, author_id, None, "new", None, now)
            for chat_id in self._staff.staff_chats():
                if draft.photos:
                    await self._staff.notify(
                        uow,
                        chat_id,
                        now=now,
                        text="",
                        media=draft.photos,
                        key=f"initiative:{initiative_id}:photos:{chat_id}",
                    )
                card = await self._staff.notify(
                    uow,
                    chat_id,
                    now=now,
                    template=STAFF_CARD,
                    args={"id": initiative_id},
                    key=f"initiative:{initiative_id}:card:{chat_id}",
                )
                if card is not None:
                    await uow.initiatives.add_card(initiative_id, chat_id, card)
            record = await uow.initiatives.get(initiative_id)
            others = await uow.initiatives.candidates_for_duplicates(
                INITIATIVE_OPEN, draft.direction, draft.tos_id, initiative_id
            )
        assert record is not None
        # Only what the author may see: public initiatives, or their own.
        visible = [
            o
            for o in others
            if initiative_is_public(o.status, o.hidden) or o.author_id == author_id
        ]
        return Submitted(record, similar(record.title, visible), already=False)

    async def tos_choices(self, author_id: int) -> list[Tos]:
        """The TOS an initiative of this person may name: their own active ones."""
        return await self._tos_of(author_id)

    async def check_tos_choice(self, author_id: int, tos_id: int) -> Tos:
        """The chosen TOS, if it is still the author's (a forged button, or they left it)."""
        for tos in await self._tos_of(author_id):
            if tos.id == tos_id:
                return tos
        raise DomainError(N_("You are not in this TOS, so the initiative cannot name it."))

    async def tos_name(self, tos_id: int | None) -> str | None:
        if tos_id is None:
            return None
        return (await self._db.read.registry.tos_names([tos_id])).get(tos_id)

    async def public_tos(self) -> list[tuple[int, str]]:
        """(id, name) of the active TOS that have public initiatives, by name."""
        return await self._db.read.initiatives.public_tos(INITIATIVE_PUBLIC)

    async def find(self, initiative_id: int) -> Initiative:
        record = await self._db.read.initiatives.get(initiative_id)
        if record is None:
            raise DomainError(N_("There is no such initiative."))
        return record

    async def find_by_number(self, text: str) -> Initiative:
        number = parse_number(text)
        record = None if number is None else await self._db.read.initiatives.by_number(*number)
        if record is None:
            raise DomainError(N_("There is no initiative with this number."))
        return record

    # -- cards: what one screen shows, in one call --------------------------------------------

    async def card(self, reader_id: int, role: Role, number: str) -> InitiativeCard:
        """An initiative by its number (/initiative, a digest's link): the staff card where
        the reader acts as staff (`role` in this chat), otherwise the public card of what
        they may see."""
        parsed = parse_number(number)
        found = None
        if parsed is not None:
            found = await self._db.read.initiatives.card_by_number(*parsed, reader_id)
        if found is None:
            raise DomainError(N_("There is no initiative with this number."))
        self.require_access(reader_id, role, found[0])
        return await self._card(*found, reader_id=reader_id, staff=role.is_staff)

    async def public_card(self, reader_id: int, role: Role, initiative_id: int) -> InitiativeCard:
        """The public card, for a reader who may see the initiative."""
        found = await self._db.read.initiatives.card(initiative_id, reader_id)
        if found is None:
            raise DomainError(N_("There is no such initiative."))
        self.require_access(reader_id, role, found[0])
        return await self._card(*found, reader_id=reader_id, staff=False)

    async def staff_card(self, initiative_id: int) -> InitiativeCard:
        """The staff card (the outbox draws it for whoever may get staff mail)."""
        found = await self._db.read.initiatives.card(initiative_id, 0)
        if found is None:
            raise DomainError(N_("There is no such initiative."))
        return await self._card(*found, reader_id=0, staff=True)

    def author_for_staff(self, author: Person) -> Shown:
        """The author as staff will see them (the form's preview shows it)."""
        return self._privacy.shown(author)

    async def _card(
        self,
        record: Initiative,
        tos_name: str | None,
        supported: bool,
        *,
        reader_id: int,
        staff: bool,
    ) -> InitiativeCard:
        photos = tuple(await self._db.read.initiatives.photos(record.id, "before"))
        if staff:
            allowed = TRANSITIONS.get(record.status, frozenset())
            return InitiativeCard(
                record,
                photos,
                tos_name,
                staff=True,
                author=self._privacy.shown(await self._person_of(record.author_id)),
                decisions=tuple(status for status in DECISIONS if status in allowed),
                may_comment=record.status != "merged",
                may_merge=record.status in INITIATIVE_OPEN,
                moderation=await self._db.read.moderation.state(record.id),
            )
        author = None
        if record.show_author:  # the author's own choice (152-FZ art. 10.1)
            author = await self._person_of(record.author_id)
        support = None
        others = (
            initiative_is_public(record.status, record.hidden) and record.author_id != reader_id
        )
        if others:
            support = SupportOffer.WITHDRAW if supported else SupportOffer.SUPPORT
        return InitiativeCard(
            record,
            photos,
            tos_name,
            staff=False,
            author=Shown(author),
            support=support,
            may_report=others,
        )

    async def _refresh_cards(self, uow: UnitOfWork, initiative_id: int) -> None:
        cards = await uow.initiatives.cards(initiative_id)
        await refresh_cards(uow, self._staff, cards, STAFF_CARD, initiative_id, self._clock.now())

    async def decide(
        self,
        actor_id: int,
        initiative_id: int,
        to_status: str,
        comment: str | None = None,
        after_photos: list[str] | None = None,
    ) -> Initiative:
        """A staff decision: checked, logged, the author told, the cards updated — at once."""
        self._staff.require_staff(actor_id)
        comment = comment.strip() if comment else None
        if to_status == "rejected" and not comment:
            raise DomainError(N_("A rejection needs a reason for the author."))
        if comment:
            comment = check_reason(comment) if to_status == "rejected" else check_comment(comment)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await uow.initiatives.get(initiative_id)
            if record is None:
                raise DomainError(N_("There is no such initiative."))
            check_transition(record, to_status)
            await uow.initiatives.set_status(initiative_id, to_status, now)
            await uow.initiatives.log(
                initiative_id, actor_id, record.status, to_status, comment, now
            )
            if after_photos:
                await uow.initiatives.add_photos(initiative_id, "after", after_photos)
            args = {**number_args(record), "title": record.title, "comment": comment or ""}
            await uow.outbox.enqueue(
                record.author_id,
                now=now,
                template=TOLD_AUTHOR[to_status],
                args=args,
                key=f"initiative:{initiative_id}:status:{to_status}",
            )
            if to_status == "done" and after_photos:
                await uow.outbox.enqueue(
                    record.author_id,
                    now=now,
                    text="",
                    media=after_photos,
                    key=f"initiative:{initiative_id}:after-photos",
                )
            if comment and to_status != "rejected":
                await uow.outbox.enqueue(
                    record.author_id,
                    now=now,
                    template=COMMENT_FOR_AUTHOR,
                    args={**number_args(record), "comment": comment},
                )
            await self._refresh_cards(uow, initiative_id)
            updated = await uow.initiatives.get(initiative_id)
        assert updated is not None
        return updated

    async def comment(self, actor_id: int, initiative_id: int, text: str) -> None:
        self._staff.require_staff(actor_id)
        text = check_comment(text)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await uow.initiatives.get(initiative_id)
            if record is None:
                raise DomainError(N_("There is no such initiative."))
            await uow.initiatives.log(
                initiative_id, actor_id, record.status, record.status, text, now
            )
            await uow.outbox.enqueue(
                record.author_id,
                now=now,
                template=COMMENT_FOR_AUTHOR,
                args={**number_args(record), "comment": text},
            )

    async def support(self, user_id: int, initiative_id: int) -> Initiative:
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await uow.initiatives.get(initiative_id)
            if record is None or not initiative_is_public(record.status, record.hidden):
                raise DomainError(N_("This initiative cannot be supported now."))
            if record.author_id == user_id:
                raise DomainError(N_("This is your own initiative: it has your support already."))
            if not await uow.initiatives.support(initiative_id, user_id, now):
                raise DomainError(N_("You already support this initiative."))
            count = await uow.initiatives.supports_count(initiative_id)
            if count in MILESTONES:
                await uow.outbox.enqueue(
                    record.author_id,
                    now=now,
                    template=MILESTONE,
                    args={**number_args(record), "count": count},
                    key=f"initiative:{initiative_id}:milestone:{count}",
                )
            updated = await uow.initiatives.get(initiative_id)
        assert updated is not None
        return updated

    async def unsupport(self, user_id: int, initiative_id: int) -> Initiative:
        async with self._db.transaction() as uow:
            if not await uow.initiatives.unsupport(initiative_id, user_id):
                raise DomainError(N_("You do not support this initiative."))
            updated = await uow.initiatives.get(initiative_id)
        if updated is None:
            raise DomainError(N_("There is no such initiative."))
        return updated

    async def merge(self, actor_id: int, duplicate_id: int, into_id: int) -> None:
        """A duplicate joins another initiative: supports move, both authors are told."""
        self._staff.require_staff(actor_id)
        if duplicate_id == into_id:
            raise DomainError(N_("An initiative cannot be merged into itself."))
        now = self._clock.now()
        async with self._db.transaction() as uow:
            duplicate = await uow.initiatives.get(duplicate_id)
            target = await uow.initiatives.get(into_id)
            if duplicate is None or target is None:
                raise DomainError(N_("There is no such initiative."))
            if duplicate.status in NOT_MERGEABLE or target.status in NOT_MERGED_INTO:
                raise DomainError(N_("These two initiatives cannot be merged."))
            await uow.initiatives.move_supports(duplicate_id, into_id, target.author_id)
            if duplicate.author_id != target.author_id:
                await uow.initiatives.support(into_id, duplicate.author_id, now)
            await uow.initiatives.set_status(duplicate_id, "merged", now, merged_into=into_id)
            await uow.initiatives.log(
                duplicate_id, actor_id, duplicate.status, "merged", f"-> {into_id}", now
            )
            other = {"other": Number(NUMBER, target), **number_args(duplicate)}
            await uow.outbox.enqueue(
                duplicate.author_id,
                now=now,
                template=MERGED,
                args=other,
                key=f"initiative:{duplicate_id}:merged",
            )
            await uow.outbox.enqueue(
                target.author_id,
                now=now,
                template=MERGED_TARGET,
                args={"other": Number(NUMBER, duplicate), **number_args(target)},
                key=f"initiative:{duplicate_id}:merged-into",
            )
            await self._refresh_cards(uow, duplicate_id)
            await self._refresh_cards(uow, into_id)

    async def public_page(
        self, direction: str | None, page: int, per_page: int = 5, tos_id: int | None = None
    ) -> tuple[list[Initiative], int]:
        if direction is not None and direction not in DIRECTIONS:
            direction = None
        if tos_id is not None and tos_id <= 0:
            tos_id = None
        return await self._db.read.initiatives.public_page(
            INITIATIVE_PUBLIC, direction, max(0, page) * per_page, per_page, tos_id=tos_id
        )

    async def of_author(self, author_id: int, limit: int = 10) -> list[Initiative]:
        return await self._db.read.initiatives.by_author(author_id, limit)

    async def has_supported(self, user_id: int, initiative_id: int) -> bool:
        return await self._db.read.initiatives.has_supported(initiative_id, user_id)

    async def photos(self, initiative_id: int, stage: str = "before") -> list[str]:
        return [photo.file_id for photo in await self.captioned_photos(initiative_id, stage)]

    async def captioned_photos(self, initiative_id: int, stage: str = "before") -> list[Photo]:
        """The photos in order, each with what the author typed under it."""
        return await self._db.read.initiatives.photos(initiative_id, stage)

    def require_access(self, actor_id: int, role: Role, record: Initiative) -> None:
        """A non-public initiative (or one hidden by moderation) is visible to its author and
        to staff only; `role` is the one the viewer acts in where the card would appear
        (StaffService.role_in: staff are residents in an ordinary group)."""
        if (
            not initiative_is_public(record.status, record.hidden)
            and record.author_id != actor_id
            and not role.is_staff
        ):
            raise NotAllowed()
