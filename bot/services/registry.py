"""The registry: TOS and organisations, who leads them, who belongs to a TOS."""

from __future__ import annotations

from bot.clock import Clock
from bot.services.staff import StaffService
from storage.db import Database
from storage.repositories.registry import BodyRole, OrgRecord, TosRecord


class RegistryService:
    def __init__(self, db: Database, clock: Clock, staff: StaffService) -> None:
        self._db = db
        self._clock = clock
        self._staff = staff

    async def roles_of(self, user_id: int) -> list[BodyRole]:
        """The person's roles in active bodies: TOS chair or deputy, organisation rep."""
        return await self._db.read.registry.roles_of(user_id)

    async def user_tos(self, user_id: int) -> list[TosRecord]:
        """The active TOS the person belongs to or leads, in a stable order."""
        ids = [r.body_id for r in await self.roles_of(user_id) if r.body_kind == "tos"]
        ids += [i for i in await self._db.read.registry.memberships(user_id) if i not in ids]
        found = [await self._db.read.registry.get_tos(i) for i in ids]
        return [t for t in found if t is not None and t.active]

    async def get_tos(self, tos_id: int) -> TosRecord | None:
        return await self._db.read.registry.get_tos(tos_id)

    async def get_org(self, org_id: int) -> OrgRecord | None:
        return await self._db.read.registry.get_org(org_id)
