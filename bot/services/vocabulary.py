"""The words people type for the same answer anywhere in the bot, each list named once.

Each is a msgid whose catalog entry lists the words, comma-separated, in every language
(bot.vocabulary matches typed text against them). Every optional step of every form is
skipped by the same words, every yes-or-no question takes the same yes and no.
"""

from __future__ import annotations

from bot.services.errors import N_

SKIP = N_("Skip")  # the button that skips an optional step; its label typed skips too
SKIP_WORDS = N_("skip, no, without")
AGREE_WORDS = N_("yes, agree, I agree, ok")
DISAGREE_WORDS = N_("no, disagree")
TODAY_WORDS = N_("today")
TOMORROW_WORDS = N_("tomorrow")
