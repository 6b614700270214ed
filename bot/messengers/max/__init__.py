"""MAX (VK's national messenger) under aiogram: the REST client, the session that turns Bot
API requests into MAX calls, the updates MAX sends turned into aiogram's, and the pure
mappings between the two (texts, keyboards, ids)."""
