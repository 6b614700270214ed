"""Status groups, each defined once for every screen, list, digest, report and export.

The statuses themselves (and which may follow which) live with their services:
bot.services.requests.STATUSES, bot.services.initiatives.STATUSES and TRANSITIONS, the
sign-ups in bot.services.events, the outbox's in bot.domain.outbox. Storage
queries take these groups as parameters; nothing else spells them out
(tests/test_status_groups.py looks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.errors import N_

# -- support requests ---------------------------------------------------------------------

# Open: not closed and not declined. /inbox lists these, the digest counts them under
# "open now", the report calls them unresolved, the export marks them.
REQUEST_OPEN = ("new", "in_work", "answered")
# Awaiting an answer: the town hall owes one, so the due date applies: overdue, due soon,
# nudges. An answered request waits for the requester or for staff to close it, not for
# an answer, and is never overdue.
REQUEST_AWAITING = ("new", "in_work")


def request_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in REQUEST_AWAITING and now > due_at


# Answered on time: the first answer came by the due date then in force (the same line as
# overdue: late is after due_at). Storage records it with the first answer (answered_late).


# -- citizen initiatives ------------------------------------------------------------------

# Open: not finished (done, rejected or merged). The digest counts them under "open now";
# a duplicate is looked for, and may be merged, among these.
INITIATIVE_OPEN = ("new", "review", "accepted", "in_progress")
# Public: anyone may see them (the list, the cards) and support them, unless moderation hid
# one (see `initiative_is_public`; storage's public lists leave out hidden ones).
INITIATIVE_PUBLIC = ("accepted", "in_progress", "done")


def initiative_is_public(status: str, hidden: bool) -> bool:
    """Anyone may see and support it: a public status, and not hidden by moderation."""
    return status in INITIATIVE_PUBLIC and not hidden


# Public and not finished: a TOS's card lists them, a competition application may name one.
INITIATIVE_UNDER_WAY = tuple(status for status in INITIATIVE_PUBLIC if status in INITIATIVE_OPEN)
# Stalled: under way with no change for STALLED_AFTER; the report names these among what
# it could not solve.
STALLED_AFTER = timedelta(days=60)
# Outcomes as the yearly report and the export count them: each status in exactly one.
INITIATIVE_OUTCOMES: dict[str, tuple[str, ...]] = {
    "done": ("done",),
    "in_progress": ("in_progress",),
    "accepted": ("accepted",),  # accepted, work not started: not "in progress"
    "rejected": ("rejected",),
    "merged": ("merged",),
    "pending": ("new", "review"),
}
OUTCOME_LABELS = {
    "done": N_("done"),
    "in_progress": N_("in progress"),
    "accepted": N_("accepted, not started"),
    "rejected": N_("rejected"),
    "merged": N_("merged into another"),
    "pending": N_("not yet decided"),
}
_OUTCOME_OF = {status: key for key, statuses in INITIATIVE_OUTCOMES.items() for status in statuses}


def initiative_outcome(status: str) -> str:
    """An initiative's status as the report and the export count it."""
    return _OUTCOME_OF.get(status, "pending")


# -- event sign-ups -------------------------------------------------------------------------

# Signed up: holding a place or waiting for one (not cancelled). The card offers to cancel
# these; a withdrawal of consent gives their places away.
SIGNED_UP = ("going", "waiting")
