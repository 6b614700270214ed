"""tos-bot: a Telegram bot for residents, TOS, NGOs and the town hall."""
