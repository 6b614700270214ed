"""/daysoff: staff add the town's own days off (a local holiday) to Russia's production
calendar, and remove them; due dates in working days computed after skip them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.calendar import DayOff
from bot.domain.people import Person
from bot.services.errors import N_
from bot.services.when import local_text
from bot.services.workdays import DayOffDraft, WorkdayService, check_name
from handlers.buttons import Press, Presses, Stale
from handlers.filters import StaffPlace
from handlers.forms import Answer, Form, FormCall, Step, typed_text
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))
router.filter("message", StaffPlace())
router.filter("callback_query", StaffPlace())


class DayOffAction(StrEnum):
    """What a button of /daysoff does (each has its own handler)."""

    ADD = "add"  # opens the form: the date, then the name
    REMOVE = "remove"  # the day given


class DayOffButton(CallbackData, prefix="dayoff"):
    action: DayOffAction
    day: str = ""  # remove: the day, YYYYMMDD


router.owns(callbacks=(DayOffButton,))


def days_off_view(days: list[DayOff]) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("<b>The town's own days off</b>"),
        _(
            "Due dates in working days skip Russia's public holidays and transfers of days off, "
            "and these days too."
        ),
        "",
    ]
    if days:
        lines += [f"• {local_text(d.day, None, 'date')} — {escape(d.name)}" for d in days]
    else:
        lines.append(_("None ahead."))
    add = DayOffButton(action=DayOffAction.ADD).pack()
    rows = [[InlineKeyboardButton(text=_("➕ Add a day off"), callback_data=add)]]
    rows += [
        [
            InlineKeyboardButton(
                text=_("✖ Remove {date}").format(date=local_text(d.day, None, "date")),
                callback_data=DayOffButton(
                    action=DayOffAction.REMOVE, day=d.day.strftime("%Y%m%d")
                ).pack(),
            )
        ]
        for d in days
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


# -- the form: the date, then the name -----------------------------------------------------

DayOffCall = FormCall[DayOffDraft, WorkdayService]


async def read_day(call: DayOffCall, answer: Answer) -> date:
    return call.service.read_day(answer.text or "")


async def add(call: DayOffCall) -> DayOff:
    return await call.service.add(call.user.id, call.draft)


async def added(call: DayOffCall, day: DayOff) -> None:
    await call.say(
        _("{date} is the town's day off now: due dates computed from now on skip it.").format(
            date=local_text(day.day, None, "date")
        )
    )
    text, markup = days_off_view(await call.service.days_off(call.user.id))
    await call.message.answer(text, reply_markup=markup)


DAY_OFF = Form(
    "dayoff",
    draft=DayOffDraft,
    service="workdays",
    steps=(
        Step(
            "day",
            N_("Date"),
            N_("Which day is the town's day off? Write the date as dd.mm.yyyy. /cancel to stop."),
            read=read_day,
        ),
        Step(
            "name",
            N_("Name"),
            N_("What is the day called (for example, «Town Day»)?"),
            read=typed_text(check_name, N_("Please write the day's name as text.")),
        ),
    ),
    submit=add,
    done=added,
)
router.runs(DAY_OFF)


@router.message(Command("daysoff"))
async def days_off(message: Message, user: Person, workdays: WorkdayService) -> None:
    text, markup = days_off_view(await workdays.days_off(user.id))
    await message.answer(text, reply_markup=markup)


@router.callback_query(DayOffButton.filter(F.action == DayOffAction.ADD))
async def ask_day(query: CallbackQuery, **data: Any) -> None:
    await data["workdays"].days_off(data["user"].id)  # the role is checked now
    await DAY_OFF.start(button_message(query), data["state"], data)


@router.callback_query(DayOffButton.filter(F.action == DayOffAction.REMOVE))
async def remove(
    query: CallbackQuery,
    callback_data: DayOffButton,
    press: Press,
    user: Person,
    workdays: WorkdayService,
) -> None:
    try:
        day = date(
            int(callback_data.day[:4]), int(callback_data.day[4:6]), int(callback_data.day[6:])
        )
    except ValueError:
        raise Stale() from None
    if not await workdays.remove_day_off(user.id, day):
        raise Stale()
    press.tell(
        _("{date} is a working day again for due dates computed from now on.").format(
            date=local_text(day, None, "date")
        )
    )
    text, markup = days_off_view(await workdays.days_off(user.id))
    message = button_message(query)
    if message.text is not None:
        await message.edit_text(text, reply_markup=markup)
