"""Typed repositories; each takes an Executor bound to a connection or a unit of work."""

from __future__ import annotations

from functools import cached_property

from storage.executor import Executor
from storage.repositories.competitions import CompetitionRepository
from storage.repositories.events import EventRepository
from storage.repositories.fsm import FsmRepository
from storage.repositories.inbox import InboxRepository
from storage.repositories.initiatives import InitiativeRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.messenger_ids import MessengerIdRepository
from storage.repositories.moderation import ModerationRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.registry import RegistryRepository
from storage.repositories.reminders import ReminderRepository
from storage.repositories.reports import ReportRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.staff import StaffRepository
from storage.repositories.users import UserRepository
from storage.repositories.workdays import WorkdayRepository


class Repositories:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.executor)

    @cached_property
    def staff(self) -> StaffRepository:
        return StaffRepository(self.executor)

    @cached_property
    def initiatives(self) -> InitiativeRepository:
        return InitiativeRepository(self.executor)

    @cached_property
    def moderation(self) -> ModerationRepository:
        return ModerationRepository(self.executor)

    @cached_property
    def registry(self) -> RegistryRepository:
        return RegistryRepository(self.executor)

    @cached_property
    def requests(self) -> RequestRepository:
        return RequestRepository(self.executor)

    @cached_property
    def reports(self) -> ReportRepository:
        return ReportRepository(self.executor)

    @cached_property
    def competitions(self) -> CompetitionRepository:
        return CompetitionRepository(self.executor)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.executor)

    @cached_property
    def reminders(self) -> ReminderRepository:
        return ReminderRepository(self.executor)

    @cached_property
    def invites(self) -> InviteRepository:
        return InviteRepository(self.executor)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.executor)

    @cached_property
    def fsm(self) -> FsmRepository:
        return FsmRepository(self.executor)

    @cached_property
    def messenger_ids(self) -> MessengerIdRepository:
        return MessengerIdRepository(self.executor)

    @cached_property
    def outbox(self) -> OutboxRepository:
        # A unit of work carries notes for its commit hooks (the sender wakes on new mail).
        return OutboxRepository(self.executor, getattr(self, "notes", None))

    @cached_property
    def workdays(self) -> WorkdayRepository:
        return WorkdayRepository(self.executor)
