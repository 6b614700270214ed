"""The buttons of moderation: a resident's report (handlers/moderation.py) and staff's
actions on a public initiative and the log (handlers/moderation_staff.py). Here, apart from
their handlers, because the initiative cards draw them too."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.ids import Id, Page


class FlagAction(StrEnum):
    """What a button of a resident's report does (each has its own handler)."""

    ASK = "ask"  # «⚑ Report» on the public card: asks for the reason
    SEND = "send"  # a reason chosen: the report is sent


class FlagButton(CallbackData, prefix="flag"):
    action: FlagAction
    id: Id  # the initiative
    reason: str = ""  # send: a code of REPORT_REASONS (the service refuses another)


class ModAction(StrEnum):
    """What a staff button of moderation does (each has its own handler)."""

    HIDE = "hide"  # asks for the reason, then hides
    RESTORE = "restore"  # asks for the reason, then shows it again
    EDIT = "edit"  # asks for the new title and text, and the reason
    ORIGINAL = "original"  # the author's own text of an edited initiative
    LOG = "log"  # a page of the moderation log


class ModButton(CallbackData, prefix="mod"):
    action: ModAction
    id: Id = 0  # hide, restore, edit, original: the initiative
    page: Page = 0  # log: the page
