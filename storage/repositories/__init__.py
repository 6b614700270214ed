"""Typed repositories; each takes an Executor bound to a connection or a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

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

T = TypeVar("T")


class repository(Generic[T]):
    """A repository made on first use and kept: functools.cached_property without the
    lock that Python 3.11 takes on every first read (3.12 dropped it). A unit of work is
    made for every commit, and each repository it opened cost one lock more. Single-threaded
    use only, which this is: repositories are reached on the event loop's thread."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__

    def __get__(self, obj: Any, owner: Any = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]  # the descriptor, read off the class
        value = obj.__dict__[self.name] = self.func(obj)
        return value


class Repositories:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    @repository
    def users(self) -> UserRepository:
        return UserRepository(self.executor)

    @repository
    def staff(self) -> StaffRepository:
        return StaffRepository(self.executor)

    @repository
    def initiatives(self) -> InitiativeRepository:
        return InitiativeRepository(self.executor)

    @repository
    def moderation(self) -> ModerationRepository:
        return ModerationRepository(self.executor)

    @repository
    def registry(self) -> RegistryRepository:
        return RegistryRepository(self.executor)

    @repository
    def requests(self) -> RequestRepository:
        return RequestRepository(self.executor)

    @repository
    def reports(self) -> ReportRepository:
        return ReportRepository(self.executor)

    @repository
    def competitions(self) -> CompetitionRepository:
        return CompetitionRepository(self.executor)

    @repository
    def events(self) -> EventRepository:
        return EventRepository(self.executor)

    @repository
    def reminders(self) -> ReminderRepository:
        return ReminderRepository(self.executor)

    @repository
    def invites(self) -> InviteRepository:
        return InviteRepository(self.executor)

    @repository
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.executor)

    @repository
    def fsm(self) -> FsmRepository:
        return FsmRepository(self.executor)

    @repository
    def messenger_ids(self) -> MessengerIdRepository:
        return MessengerIdRepository(self.executor)

    @repository
    def outbox(self) -> OutboxRepository:
        # A unit of work carries notes for its commit hooks (the sender wakes on new mail).
        return OutboxRepository(self.executor, getattr(self, "notes", None))

    @repository
    def workdays(self) -> WorkdayRepository:
        return WorkdayRepository(self.executor)
