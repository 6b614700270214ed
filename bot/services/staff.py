"""Roles and the staff list: admins come from settings, other staff from the database."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.invites import Invite
from bot.domain.outbox import STAFF
from bot.domain.people import Person
from bot.services.errors import N_, DomainError, NotAllowed
from bot.services.privacy import Shown
from storage.db import Database, UnitOfWork

STAFF_INVITE_TTL = timedelta(days=7)
WELCOME_STAFF = N_(
    "You are now on the town hall's staff list. Send /help to see the staff commands."
)
INVITE_ACCEPTED = N_("{name} opened your invite and joined the staff.")
INVITE_PREFIX = "inv_"
ADMIN_FIXED = N_("Administrators are set in the settings (ADMIN_IDS) and cannot be removed here.")
INVALID_LINK = N_("This link is not valid. Please ask for a new one.")
REVOKED_LINK = N_("The town hall has revoked this link. If you need it, please ask for a new one.")
EXPIRED_LINK = N_("This link has expired. Please ask for a new one.")
USED_LINK = N_("This link has already been used. Please ask for a new one.")
USED_BY_YOU = N_(
    "You have already used this link. If you need the role again, please ask the town hall "
    "for a new link."
)


def check_invite(invite: Invite, now: datetime, *, author_entitled: bool) -> None:
    """Whether an opened invite still speaks for the town hall: not revoked, not expired,
    and made by someone who may still give what it gives."""
    if invite.revoked_at is not None:
        raise DomainError(REVOKED_LINK)
    if invite.expires_at <= now or not author_entitled:
        raise DomainError(EXPIRED_LINK)


async def spend_invite(uow: UnitOfWork, invite: Invite, user_id: int, now: datetime) -> None:
    """Take one use of an invite for this person. Each person uses a link once: someone
    whose role (or staff place) was taken away does not get it back by opening it again."""
    if await uow.invites.has_used(invite.token, user_id):
        raise DomainError(USED_BY_YOU)
    if not await uow.invites.use(invite.token, user_id, now):
        raise DomainError(USED_LINK)


class Role(enum.IntEnum):
    RESIDENT = 0
    STAFF = 1
    ADMIN = 2

    @property
    def is_staff(self) -> bool:
        return self >= Role.STAFF

    @property
    def is_admin(self) -> bool:
        return self is Role.ADMIN


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    user: Person | None
    is_admin: bool  # admins are fixed by settings and cannot be removed in the bot


@dataclass(frozen=True, slots=True)
class StaffInvite:
    payload: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Redemption:
    kind: str
    created_by: int


class StaffService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        admin_ids: frozenset[int],
        staff_chat_id: int | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.admin_ids = admin_ids
        self.staff_chat_id = staff_chat_id
        self._staff_ids: set[int] = set()

    async def colleague(self, user_id: int | None) -> Shown:
        """Someone who opened a staff invite, as staff see them: colleagues are always
        named to each other, whatever the town's privacy setting."""
        return Shown(None if user_id is None else await self._db.read.users.get(user_id))

    async def load(self) -> None:
        self._staff_ids = await self._db.read.staff.all_ids()

    def role_of(self, user_id: int) -> Role:
        if user_id in self.admin_ids:
            return Role.ADMIN
        if user_id in self._staff_ids:
            return Role.STAFF
        return Role.RESIDENT

    def staff_ids(self) -> frozenset[int]:
        return frozenset(self._staff_ids | self.admin_ids)

    def is_staff_place(self, chat_id: int, *, private: bool) -> bool:
        """Where staff work and staff content may appear: a private chat or the staff chat,
        never another group."""
        return private or chat_id == self.staff_chat_id

    def role_in(self, user_id: int, chat_id: int, *, private: bool) -> Role:
        """The role a person acts in, in this chat: staff are residents in any other group,
        so nothing staff-only (cards, buttons, unpublished cases) is shown there."""
        if not self.is_staff_place(chat_id, private=private):
            return Role.RESIDENT
        return self.role_of(user_id)

    # -- staff mail ------------------------------------------------------------------------

    def reaches_staff(self, chat_id: int) -> bool:
        """The one rule of staff mail, applied when it is queued and again when it is sent:
        it goes to the staff chat or to a person who is staff at that moment. Someone removed
        from staff gets no more of it."""
        if chat_id == self.staff_chat_id:
            return True
        return chat_id > 0 and self.role_of(chat_id).is_staff

    def staff_chats(self) -> list[int]:
        """Where staff mail for all staff goes: the staff chat if there is one, else each
        staff member privately."""
        if self.staff_chat_id is not None:
            return [self.staff_chat_id]
        return sorted(self.staff_ids())

    def case_recipients(self, assignee: int | None) -> list[int]:
        """Where staff mail about a case meant for the staff member who has it (a due-date
        nudge) goes: to them while they may get staff mail, else to current staff. The rule
        when it is queued, and again when it is sent (bot/delivery.py readdresses such a
        row whose recipient is gone by then)."""
        if assignee is not None and self.reaches_staff(assignee):
            return [assignee]
        return self.staff_chats()

    async def notify(self, uow: UnitOfWork, chat_id: int, **message: Any) -> int | None:
        """Queue staff mail (a card, a file or album, a case's thread, a nudge, a notice) for
        `chat_id`, if staff mail may go there now; the sender checks again when it goes.
        Returns the outbox row, None when nothing was queued."""
        if not self.reaches_staff(chat_id):
            return None
        row: int | None = await uow.outbox.enqueue(chat_id, audience=STAFF, **message)
        return row

    def require_staff(self, actor_id: int) -> None:
        if not self.role_of(actor_id).is_staff:
            raise NotAllowed(N_("This is for the town hall's staff only."))

    def _require_admin(self, actor_id: int) -> None:
        # Checked at the moment the action runs, whatever the button said.
        if not self.role_of(actor_id).is_admin:
            raise NotAllowed(N_("Only administrators can manage staff."))

    async def list_staff(self, actor_id: int) -> list[StaffMember]:
        self._require_admin(actor_id)
        ids = sorted(self.staff_ids())
        users = await self._db.read.users.get_many(ids)
        return [StaffMember(i, users.get(i), i in self.admin_ids) for i in ids]

    async def add(self, actor_id: int, user_id: int) -> Person | None:
        """Make someone staff; returns their profile if they have opened the bot."""
        self._require_admin(actor_id)
        if self.role_of(user_id).is_staff:
            raise DomainError(N_("This person is already on the staff list."))
        now = self._clock.now()
        # Staff from inside the unit of work that adds them (their welcome is staff mail),
        # and not at all if it rolls back.
        self._staff_ids.add(user_id)
        try:
            async with self._db.transaction() as uow:
                await uow.staff.add(user_id, actor_id, now)
                user = await uow.users.get(user_id)
                await self.notify(
                    uow,
                    user_id,
                    now=now,
                    template=WELCOME_STAFF,
                    key=f"staff-welcome:{user_id}:{now}",
                )
        except BaseException:
            self._staff_ids.discard(user_id)
            raise
        return user

    async def remove(self, actor_id: int, user_id: int) -> None:
        self._require_admin(actor_id)
        if user_id in self.admin_ids:
            raise DomainError(ADMIN_FIXED)
        async with self._db.transaction() as uow:
            removed = await uow.staff.remove(user_id)
        self._staff_ids.discard(user_id)
        if not removed:
            raise DomainError(N_("This person is no longer on the staff list."))

    async def create_invite(self, actor_id: int) -> StaffInvite:
        """A single-use deep link that makes whoever opens it staff."""
        self._require_admin(actor_id)
        now = self._clock.now()
        token = secrets.token_urlsafe(18)  # 24 chars of [A-Za-z0-9_-]: fits a /start payload
        expires = now + STAFF_INVITE_TTL
        async with self._db.transaction() as uow:
            await uow.invites.create(
                token,
                "staff",
                target_id=None,
                created_by=actor_id,
                now=now,
                expires_at=expires,
                uses_left=1,
            )
        return StaffInvite(INVITE_PREFIX + token, expires)

    async def redeem(self, user_id: int, payload: str) -> Redemption:
        """Act on an invite payload; raises DomainError when it cannot be used."""
        if not payload.startswith(INVITE_PREFIX):
            raise DomainError(INVALID_LINK)
        token = payload.removeprefix(INVITE_PREFIX)
        now = self._clock.now()
        joined = False
        try:
            async with self._db.transaction() as uow:
                invite = await uow.invites.get(token)
                if invite is None or invite.kind != "staff":
                    raise DomainError(INVALID_LINK)
                if self.role_of(user_id).is_staff:
                    raise DomainError(N_("You are already on the staff list."))
                # An invite speaks for the admin who made it only while they are an admin.
                admin = self.role_of(invite.created_by).is_admin
                check_invite(invite, now, author_entitled=admin)
                await spend_invite(uow, invite, user_id, now)
                await uow.staff.add(user_id, invite.created_by, now)
                self._staff_ids.add(user_id)
                joined = True
                # The name is looked up when the notice is sent: the outbox never keeps it.
                await self.notify(
                    uow,
                    invite.created_by,
                    now=now,
                    template=INVITE_ACCEPTED,
                    args={"person": user_id},
                    subject=user_id,
                    key=f"invite-accepted:{token}:{user_id}",
                )
        except BaseException:
            if joined:  # rolled back: not staff after all
                self._staff_ids.discard(user_id)
            raise
        return Redemption(invite.kind, invite.created_by)

    async def revoke_invite(self, actor_id: int, token: str) -> bool:
        """Revoke an invite link before it expires: a staff invite by an administrator, a
        role invite by any staff member. False if it was revoked already."""
        async with self._db.transaction() as uow:
            invite = await uow.invites.get(token)
            if invite is None:
                raise DomainError(INVALID_LINK)
            if invite.kind == "staff":
                self._require_admin(actor_id)
            else:
                self.require_staff(actor_id)
            return await uow.invites.revoke(token, self._clock.now())

    async def purge_expired_invites(self, older_than: timedelta = timedelta(days=30)) -> int:
        async with self._db.transaction() as uow:
            return await uow.invites.delete_expired(self._clock.now() - older_than)
