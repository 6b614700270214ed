"""Deep links as QR codes: invites and a TOS's join poster; revoking an invite."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.domain.registry import Tos
from bot.messengers.links import start_link
from bot.services.registry import RegistryService
from bot.services.staff import INVITE_PREFIX


class RevokeInviteButton(CallbackData, prefix="revoke"):
    """«Revoke the link» under the message that gave an invite (handlers/staff_admin.py)."""

    token: str  # 24 characters of [A-Za-z0-9_-]


def revoke_markup(payload: str) -> InlineKeyboardMarkup:
    """The button that revokes this invite before it expires."""
    data = RevokeInviteButton(token=payload.removeprefix(INVITE_PREFIX)).pack()
    button = InlineKeyboardButton(text=_("🚫 Revoke the link"), callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def qr_photo(link: str, filename: str) -> BufferedInputFile:
    """A printable PNG of the link (error correction M survives a crease or a smudge)."""
    import segno  # loaded when the first code is drawn

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=4)
    return BufferedInputFile(out.getvalue(), filename=filename)


async def poster_link(bot: Bot, registry: RegistryService, tos: Tos, chat_id: int) -> str:
    return await start_link(bot, registry.join_payload(tos), chat_id)
