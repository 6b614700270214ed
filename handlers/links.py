"""Deep links as QR codes: invites and a TOS's join poster."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import BufferedInputFile
from aiogram.utils.deep_linking import create_start_link

from bot.services.registry import RegistryService
from storage.repositories.registry import TosRecord


def qr_photo(link: str, filename: str) -> BufferedInputFile:
    """A printable PNG of the link (error correction M survives a crease or a smudge)."""
    import segno  # loaded when the first code is drawn

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=4)
    return BufferedInputFile(out.getvalue(), filename=filename)


async def poster_link(bot: Bot, registry: RegistryService, tos: TosRecord) -> str:
    return await create_start_link(bot, registry.join_payload(tos))
