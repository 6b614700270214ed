"""Moderation of what is public: residents report a public initiative (once each, with a
reason from a short list); MODERATION_HIDE_AFTER reports hide it until staff look; staff
hide, restore or edit it, always with a reason, and an edit keeps the author's own text;
the author is told; every step is in the moderation log, which staff read and export.

Decidim hides content after three reports and tells the moderators; FixMyStreet keeps the
original of every moderated report. Roles are checked here, when the action runs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from bot.clock import Clock
from bot.domain.initiatives import Initiative, Moderation, ModerationEntry
from bot.domain.people import Person
from bot.services.cases import Label, check_length, refresh_cards
from bot.services.errors import N_, DomainError
from bot.services.initiatives import (
    STAFF_CARD,
    check_description,
    check_title,
    number_args,
)
from bot.services.staff import StaffService
from bot.services.status_groups import INITIATIVE_PUBLIC, initiative_is_public
from bot.services.when import local_text
from storage.db import Database, UnitOfWork

# What a resident may report a public initiative for (codes: a few bytes in a button).
REPORT_REASONS: dict[str, str] = {
    "spam": N_("Spam or advertising"),
    "offensive": N_("Offensive or rude"),
    "personal": N_("Someone's personal data"),
    "off_topic": N_("Not about the town"),
}
# The moderation log's steps, as staff read them.
LOG_ACTIONS: dict[str, str] = {
    "report": N_("reported by a resident"),
    "auto_hide": N_("hidden after reports"),
    "hide": N_("hidden by staff"),
    "restore": N_("restored by staff"),
    "edit": N_("edited by staff"),
}
REASON_LIMITS = (3, 500)  # staff's reason: the author reads it
LOG_PAGE = 10  # log entries on one screen

REPORTED = N_("Thank you: the town hall's staff will look at this initiative.")
ALREADY_REPORTED = N_(
    "You have already reported this initiative. Thank you: the town hall's staff will look at it."
)
NOT_REPORTABLE = N_("This initiative is not public now, so there is nothing to report.")
OWN_INITIATIVE = N_("This is your own initiative: you can write to the town hall instead.")
STAFF_HIDDEN_NOTICE = N_(
    "⚠️ Initiative {number} «{title}» is hidden from the public after {count} reports from "
    "residents ({reasons}). Its card follows: restore it, edit it or keep it hidden."
)
AUTHOR_HIDDEN_BY_REPORTS = N_(
    "Your initiative {number} «{title}» is hidden from the public list for now: residents "
    "reported it ({reasons}). The town hall's staff will look at it and write to you."
)
AUTHOR_HIDDEN = N_(
    "The town hall hid your initiative {number} «{title}» from the public list. The reason: "
    "{reason}"
)
AUTHOR_RESTORED = N_(
    "Your initiative {number} «{title}» is public again. The town hall's note: {reason}"
)
AUTHOR_EDITED = N_(
    "The town hall edited the public text of your initiative {number}; it now reads «{title}». "
    "The reason: {reason}"
)


class ModerationAction(StrEnum):
    """What staff do to a public initiative (each with a reason)."""

    HIDE = "hide"
    RESTORE = "restore"
    EDIT = "edit"


@dataclass
class ModerationDraft:
    """A staff action being written (the form's FSM data): which, on what, and why."""

    token: str = field(default_factory=lambda: secrets.token_hex(8))
    initiative_id: int = 0
    action: str = ModerationAction.HIDE.value
    title: str | None = None  # edit: the new title (None: as it is)
    description: str | None = None  # edit: the new text (None: as it is)
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Reported:
    initiative: Initiative
    hidden: bool  # this report hid it


@dataclass(frozen=True, slots=True)
class LogPage:
    entries: list[ModerationEntry]
    page: int
    pages: int
    staff: dict[int, Person | None]  # who acted, for staff's own steps (never who reported)


def check_reason(text: str) -> str:
    """Staff's reason for a moderation step (the author reads it)."""
    return check_length(
        " ".join(text.split()),
        REASON_LIMITS,
        N_("The reason should be {low} to {high} characters long; yours has {length}."),
    )


def reasons_label(counts: dict[str, int]) -> dict[str, Any]:
    """The reports' reasons as a template argument («spam: 2, offensive: 1»), translated for
    each reader at send time."""
    parts = {f"r{n}": Label(REPORT_REASONS[code]) for n, code in enumerate(counts)}
    text = ", ".join(f"{{r{n}}}: {count}" for n, count in enumerate(counts.values()))
    return {"t": text, **parts}


class ModerationService:
    def __init__(
        self, db: Database, clock: Clock, staff: StaffService, hide_after: int, timezone: tzinfo
    ) -> None:
        self.timezone = timezone
        self._db = db
        self._clock = clock
        self._staff = staff
        self.hide_after = hide_after

    # -- residents ------------------------------------------------------------------------------

    async def check_report(self, reporter_id: int, initiative_id: int) -> Initiative:
        """The initiative, if this person may report it now (before the reasons are shown)."""
        record = await self._db.read.initiatives.get(initiative_id)
        self._reportable(record, reporter_id)
        assert record is not None
        if await self._db.read.moderation.has_reported(initiative_id, reporter_id):
            raise DomainError(ALREADY_REPORTED)
        return record

    @staticmethod
    def _reportable(record: Initiative | None, reporter_id: int) -> None:
        if record is None or not initiative_is_public(record.status, record.hidden):
            raise DomainError(NOT_REPORTABLE)
        if record.author_id == reporter_id:
            raise DomainError(OWN_INITIATIVE)

    async def report(self, reporter_id: int, initiative_id: int, reason: str) -> Reported:
        """A resident's report of a public initiative, once; at `hide_after` reports staff
        have not looked at yet it is hidden, staff are told, and so is the author."""
        if reason not in REPORT_REASONS:
            raise DomainError(N_("This button is out of date."))
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = await uow.initiatives.get(initiative_id)
            self._reportable(record, reporter_id)
            assert record is not None
            if not await uow.moderation.report(initiative_id, reporter_id, reason, now):
                raise DomainError(ALREADY_REPORTED)
            await uow.moderation.log(initiative_id, "report", reporter_id, reason, now)
            counts = await uow.moderation.pending_reports(initiative_id)
            count = sum(counts.values())
            hidden = count >= self.hide_after
            if hidden and await uow.moderation.set_hidden(initiative_id, True, now):
                await uow.moderation.log(initiative_id, "auto_hide", None, str(count), now)
                # Each hiding once (hidden again after a restore: another notice).
                step = f"moderation:{initiative_id}:hidden:{await uow.moderation.log_length()}"
                args = {
                    **number_args(record),
                    "title": record.title,
                    "count": count,
                    "reasons": reasons_label(counts),
                }
                await self._refresh_cards(uow, initiative_id)  # the cards staff have
                for chat_id in self._staff.staff_chats():
                    # The notice, then the card again with its buttons (restore, edit): the
                    # one kept up to date from now on.
                    await self._staff.notify(
                        uow,
                        chat_id,
                        now=now,
                        template=STAFF_HIDDEN_NOTICE,
                        args=args,
                        key=f"{step}:{chat_id}",
                    )
                    card = await self._staff.notify(
                        uow,
                        chat_id,
                        now=now,
                        template=STAFF_CARD,
                        args={"id": initiative_id},
                        key=f"{step}:card:{chat_id}",
                    )
                    if card is not None:
                        await uow.moderation.move_card(initiative_id, chat_id, card)
                await uow.outbox.enqueue(
                    record.author_id,
                    now=now,
                    template=AUTHOR_HIDDEN_BY_REPORTS,
                    args=args,
                    key=f"{step}:author",
                )
        return Reported(record, hidden)

    # -- staff ----------------------------------------------------------------------------------

    async def check_action(self, actor_id: int, initiative_id: int, action: str) -> Initiative:
        """Staff only, and the action applies to the initiative as it is now: hide a public
        one shown, restore a hidden one, edit a public one (hidden or not)."""
        self._staff.require_staff(actor_id)
        record = await self._db.read.initiatives.get(initiative_id)
        return self._applies(record, action)

    def _applies(self, record: Initiative | None, action: str) -> Initiative:
        if record is None:
            raise DomainError(N_("There is no such initiative."))
        if action not in ModerationAction.__members__.values():
            raise DomainError(N_("This button is out of date."))
        if record.status not in INITIATIVE_PUBLIC:
            raise DomainError(N_("Only public initiatives are moderated; this one is not public."))
        if action == ModerationAction.HIDE and record.hidden:
            raise DomainError(N_("This initiative is hidden already."))
        if action == ModerationAction.RESTORE and not record.hidden:
            raise DomainError(N_("This initiative is not hidden."))
        return record

    async def act(self, actor_id: int, draft: ModerationDraft) -> Initiative:
        """Hide, restore or edit, with the reason: checked, logged, the author told, the
        staff cards redrawn, in one transaction."""
        self._staff.require_staff(actor_id)  # now, whatever the form or the button said
        reason = check_reason(draft.reason or "")
        now = self._clock.now()
        async with self._db.transaction() as uow:
            record = self._applies(await uow.initiatives.get(draft.initiative_id), draft.action)
            initiative_id = record.id
            if draft.action == ModerationAction.EDIT:
                title = check_title(draft.title) if draft.title else record.title
                description = (
                    check_description(draft.description)
                    if draft.description
                    else record.description
                )
                if (title, description) == (record.title, record.description):
                    raise DomainError(N_("Nothing is changed: the text is as it was.")).at("title")
                await uow.moderation.edit(initiative_id, title, description, now)
                template = AUTHOR_EDITED
            else:
                hide = draft.action == ModerationAction.HIDE
                if not await uow.moderation.set_hidden(initiative_id, hide, now):
                    raise DomainError(N_("Another staff member has just done this."))
                await uow.moderation.close_reports(initiative_id)
                title = record.title
                template = AUTHOR_HIDDEN if hide else AUTHOR_RESTORED
            await uow.moderation.log(initiative_id, draft.action, actor_id, reason, now)
            await uow.outbox.enqueue(
                record.author_id,
                now=now,
                template=template,
                args={**number_args(record), "title": title, "reason": reason},
                key=f"moderation:{initiative_id}:{draft.action}:{draft.token}",
            )
            await self._refresh_cards(uow, initiative_id)
            updated = await uow.initiatives.get(initiative_id)
        assert updated is not None
        return updated

    async def original(self, actor_id: int, initiative_id: int) -> tuple[Initiative, Moderation]:
        """An edited initiative and the author's own text: staff only."""
        self._staff.require_staff(actor_id)
        record = await self._db.read.initiatives.get(initiative_id)
        if record is None:
            raise DomainError(N_("There is no such initiative."))
        state = await self._db.read.moderation.state(initiative_id)
        if state.original_title is None:
            raise DomainError(N_("Staff have not edited this initiative."))
        return record, state

    async def log_page(self, actor_id: int, page: int) -> LogPage:
        """A page of the moderation log, newest first: staff only."""
        self._staff.require_staff(actor_id)
        page = max(0, page)
        read = self._db.read.moderation
        entries, total = await read.log_page(page * LOG_PAGE, LOG_PAGE)
        pages = max(1, -(-total // LOG_PAGE))
        if page >= pages:  # an old button of a longer log: its last page
            page = pages - 1
            entries, _ = await read.log_page(page * LOG_PAGE, LOG_PAGE)
        acted = {e.actor_id for e in entries if e.action != "report" and e.actor_id is not None}
        staff = {i: (await self._staff.colleague(i)).person for i in sorted(acted)}
        return LogPage(entries, page, pages, staff)

    def when(self, moment: datetime) -> str:
        return local_text(moment, self.timezone)

    async def _refresh_cards(self, uow: UnitOfWork, initiative_id: int) -> None:
        cards = await uow.initiatives.cards(initiative_id)
        await refresh_cards(uow, self._staff, cards, STAFF_CARD, initiative_id, self._clock.now())
