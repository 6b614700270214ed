"""Every service of the bot, built once from Settings.

`Services` names each service once: bot/app.py builds it (`build_services`), hands each
service to the handlers under its field's name (a handler asks for `requests:
RequestService`), draws the outbox's templates with it, and the tests reach the same
objects through `app.services`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bot.clock import Clock
from bot.services.broadcasts import BroadcastService, OutboxService
from bot.services.competitions import CompetitionService
from bot.services.events import EventService
from bot.services.initiatives import InitiativeService
from bot.services.moderation import ModerationService
from bot.services.privacy import StaffPrivacy
from bot.services.registry import RegistryService
from bot.services.reports import ReportService
from bot.services.requests import RequestService
from bot.services.staff import StaffService
from bot.services.users import UserService
from bot.services.workdays import WorkdayService
from bot.settings import Settings
from bot.vocabulary import Words
from storage.db import Database


@dataclass(frozen=True, slots=True)
class Services:
    """The services, each once; handlers receive them by these names."""

    users: UserService
    staff: StaffService
    broadcasts: BroadcastService
    outbox: OutboxService
    registry: RegistryService
    initiatives: InitiativeService
    requests: RequestService
    competitions: CompetitionService
    events: EventService
    reports: ReportService
    workdays: WorkdayService
    moderation: ModerationService

    def by_name(self) -> dict[str, Any]:
        """Each service under its field's name: what a handler's parameters ask for."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


async def build_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    words: Words,
) -> Services:
    """The services over one database and clock. `words` matches typed text to the
    catalogs' vocabulary."""
    # The town's privacy setting, read once here (bot/services/privacy.py) and given to the
    # services that decide what staff see.
    privacy = StaffPrivacy.of(settings)
    timezone = settings.timezone
    users = UserService(db, clock)
    staff = StaffService(db, clock, settings.admin_ids, settings.staff_chat_id)
    await staff.load()
    broadcasts = BroadcastService(db, clock, staff)
    registry = RegistryService(
        db,
        clock,
        staff,
        broadcasts,
        words=words,
        population=settings.municipality_population,
        announcements_per_week=settings.tos_announcements_per_week,
        timezone=timezone,
        privacy=privacy,
    )
    events = EventService(
        db,
        clock,
        staff,
        broadcasts,
        timezone=timezone,
        offsets=settings.event_reminders,
        announcements_per_week=settings.tos_announcements_per_week,
    )
    users.before_erase.append(events.release_places)
    workdays = WorkdayService(db, clock, staff, timezone=timezone)
    return Services(
        users=users,
        staff=staff,
        broadcasts=broadcasts,
        outbox=OutboxService(db, staff, privacy=privacy),
        registry=registry,
        initiatives=InitiativeService(
            db,
            clock,
            staff,
            tos_of=registry.user_tos,
            timezone=timezone,
            person_of=users.get,
            privacy=privacy,
            town_bounds=settings.town_bounds,
        ),
        requests=RequestService(
            db,
            clock,
            staff,
            registry,
            settings,
            person_of=users.get,
            privacy=privacy,
            workdays=workdays,
        ),
        competitions=CompetitionService(
            db,
            clock,
            staff,
            timezone=timezone,
            offsets=settings.competition_reminders,
            broadcasts=broadcasts,
        ),
        events=events,
        reports=ReportService(
            db,
            clock,
            staff,
            timezone=timezone,
            digest_time=settings.digest_time,
            staff_chat_id=settings.staff_chat_id,
            municipality=settings.municipality_name,
            population=settings.municipality_population,
            privacy=privacy,
            words=words,
        ),
        workdays=workdays,
        moderation=ModerationService(db, clock, staff, settings.moderation_hide_after, timezone),
    )
