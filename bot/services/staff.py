"""Roles and the staff list: admins come from settings, other staff from the database."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.services.errors import N_, DomainError, NotAllowed
from storage.db import Database
from storage.repositories.users import UserRecord

STAFF_INVITE_TTL = timedelta(days=7)
WELCOME_STAFF = N_(
    "You are now on the town hall's staff list. Send /help to see the staff commands."
)
INVITE_ACCEPTED = N_("{name} opened your invite and joined the staff.")
INVITE_PREFIX = "inv_"
ADMIN_FIXED = N_("Administrators are set in the settings (ADMIN_IDS) and cannot be removed here.")


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
    user: UserRecord | None
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

    def reaches_staff(self, chat_id: int) -> bool:
        """May staff mail (cards, a case's conversation) go to this chat now: the staff chat,
        or a person who is staff today? Someone removed from staff gets no more of it."""
        if chat_id == self.staff_chat_id:
            return True
        return chat_id > 0 and self.role_of(chat_id).is_staff

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

    async def add(self, actor_id: int, user_id: int) -> UserRecord | None:
        """Make someone staff; returns their profile if they have opened the bot."""
        self._require_admin(actor_id)
        if self.role_of(user_id).is_staff:
            raise DomainError(N_("This person is already on the staff list."))
        now = self._clock.now()
        async with self._db.transaction() as uow:
            await uow.staff.add(user_id, actor_id, now)
            user = await uow.users.get(user_id)
            await uow.outbox.enqueue(
                user_id, now=now, template=WELCOME_STAFF, key=f"staff-welcome:{user_id}:{now}"
            )
        self._staff_ids.add(user_id)
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
            raise DomainError(N_("This link is not valid. Please ask for a new one."))
        token = payload.removeprefix(INVITE_PREFIX)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            invite = await uow.invites.get(token)
            if invite is None or invite.kind != "staff":
                raise DomainError(N_("This link is not valid. Please ask for a new one."))
            if self.role_of(user_id).is_staff:
                raise DomainError(N_("You are already on the staff list."))
            # An invite speaks for the admin who made it only while they are still an admin.
            expired = invite.revoked_at is not None or invite.expires_at <= now
            if expired or not self.role_of(invite.created_by).is_admin:
                raise DomainError(N_("This link has expired. Please ask for a new one."))
            if not await uow.invites.use(token, user_id, now):
                raise DomainError(N_("This link has already been used. Please ask for a new one."))
            await uow.staff.add(user_id, invite.created_by, now)
            joined = await uow.users.get(user_id)
            await uow.outbox.enqueue(
                invite.created_by,
                now=now,
                template=INVITE_ACCEPTED,
                args={"name": (joined.label if joined else None) or "—"},
                key=f"invite-accepted:{token}:{user_id}",
            )
        self._staff_ids.add(user_id)
        return Redemption(invite.kind, invite.created_by)

    async def purge_expired_invites(self, older_than: timedelta = timedelta(days=30)) -> int:
        async with self._db.transaction() as uow:
            return await uow.invites.delete_expired(self._clock.now() - older_than)
