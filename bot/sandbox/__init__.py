"""Try the bot without Telegram: a local Bot API server, a terminal chat and a demo town."""
