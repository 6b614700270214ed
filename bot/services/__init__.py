"""Business rules. Nothing here knows aiogram; SQL stays in storage/."""
