"""The number types of callback data: one id type for every button class.

A button's data is as much the user's input as a typed message (any client can send any
bytes); aiogram validates each field with pydantic, and a value out of range simply does
not match, so the press falls through to the "button out of date" answer.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.services.numbers import INT_MAX, INT_MIN, PAGE_MAX

# A record's id, or a sentinel such as 0 or -1: whatever SQLite's INTEGER holds.
Id = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
# A page of a list.
Page = Annotated[int, Field(ge=0, le=PAGE_MAX)]
