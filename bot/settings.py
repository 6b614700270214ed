"""Settings from the environment or `.env`; a bad value stops the start with one clear line."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The request kinds and their terms are the request rules' own; the setting is read against them.
from bot.services.request_kinds import (
    KINDS,
    MAX_DAYS,
    MAX_WORKING_DAYS,
    RequestTerm,
    parse_terms,
    term_of,
)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
DEFAULT_MAX_API_BASE_URL = "https://platform-api2.max.ru"
SUPPORTED_LOCALES = ("ru", "en")

_OFFSET_RE = re.compile(r"^(\d+)([smhd])$")
_OFFSET_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

# What each setting expects, in the words the one-line error uses.
EXPECTED = {
    "BOT_TOKEN": "a token from @BotFather (open https://t.me/BotFather, send /newbot, "
    "and put the token it gives into BOT_TOKEN in the environment or in .env)",
    "BOT_API_BASE_URL": "an http(s) address such as https://api.telegram.org",
    "DATABASE_PATH": "a path to the SQLite file, e.g. data/tos-bot.sqlite3",
    "DATABASE_URL": "a PostgreSQL address, postgresql://user:password@host:5432/dbname",
    "WEBHOOK_URL": "the https address Telegram sends updates to, e.g. "
    "https://bot.example.org/telegram (unset: long polling), with Telegram among MESSENGERS",
    "WEBHOOK_SECRET": "1 to 256 characters A-Z, a-z, 0-9, _ and -, required with WEBHOOK_URL "
    "(Telegram sends it with every update; a request without it is refused)",
    "WEBHOOK_LISTEN": "host:port the webhook server listens on, e.g. 0.0.0.0:8080",
    "ADMIN_IDS": "comma-separated Telegram user ids (numbers), e.g. 12345,67890",
    "STAFF_CHAT_ID": "a Telegram chat id (a number; group ids start with -100)",
    "MESSENGERS": "telegram, max, or both (telegram,max); unset: each messenger whose token is set",
    "MAX_BOT_TOKEN": "the bot's token from MAX for business (https://business.max.ru: Chat bots, "
    "the bot, Settings, the token), in MAX_BOT_TOKEN in the environment or in .env",
    "MAX_API_BASE_URL": "an http(s) address such as https://platform-api2.max.ru",
    "MAX_ADMIN_IDS": "comma-separated MAX user ids (numbers), e.g. 12345,67890",
    "MAX_STAFF_CHAT_ID": "a MAX group chat id (a number), and STAFF_CHAT_ID unset: the staff "
    "work in one staff chat",
    "MAX_BROADCAST_RATE": "messages per second, a number above 0 and at most 30",
    "MAX_WEBHOOK_URL": "an https:// address MAX can reach on port 443, e.g. "
    "https://bot.example.ru/max; required with WEBHOOK_URL (replicas cannot share MAX's long "
    "polling), and a path other than WEBHOOK_URL's when both listen on one port",
    "MAX_WEBHOOK_SECRET": "5 to 256 characters of A-Z, a-z, 0-9, _ and -",
    "MAX_WEBHOOK_LISTEN": "host:port the bot listens on for MAX's webhook, e.g. 0.0.0.0:8080",
    "TIMEZONE": "an IANA time zone name, e.g. Asia/Novosibirsk",
    "DEFAULT_LOCALE": "one of: ru, en",
    "MUNICIPALITY_NAME": "the town's name",
    "MUNICIPALITY_POPULATION": "a whole number of residents greater than 0",
    "REPORT_FONT": "a font family name, e.g. Times New Roman",
    "DIGEST_TIME": "a time of day as HH:MM, e.g. 09:00",
    "COMPETITION_REMINDERS": "comma-separated offsets with units s, m, h, d, e.g. 14d,7d,3d,1d",
    "EVENT_REMINDERS": "comma-separated offsets with units s, m, h, d, e.g. 1d,2h",
    "BROADCAST_RATE": "messages per second, a number above 0 and at most 30",
    "STAFF_SEES_PERSONAL_DATA": "true or false",
    "LOG_LEVEL": "one of: DEBUG, INFO, WARNING, ERROR",
    "LOG_FORMAT": "one of: text, json",
    "MODERATION_HIDE_AFTER": "a whole number of reports from 1 to 100, e.g. 3",
    "TOWN_BOUNDS": "four numbers lat_min,lon_min,lat_max,lon_max, e.g. 54.55,83.20,54.70,83.40",
    "REQUEST_DEADLINES": f"comma-separated type=term, a term in days (d, at most {MAX_DAYS}) or "
    f"working days (wd, at most {MAX_WORKING_DAYS}), types: {', '.join(KINDS)}; "
    "e.g. transport=5wd,event=10d",
}


# How a check across settings names the setting it is about (see load_settings).
MISSING = "missing:"
CONFLICT = "conflict:"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line meant for a human."""


def parse_offsets(raw: str) -> tuple[timedelta, ...]:
    """Parse `14d,7d,2h` into timedeltas, longest first."""
    items = [part.strip() for part in raw.split(",") if part.strip()]
    if not items:
        raise ValueError("empty")
    offsets = []
    for item in items:
        match = _OFFSET_RE.match(item)
        if not match or int(match.group(1)) == 0:
            raise ValueError(item)
        offsets.append(timedelta(**{_OFFSET_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(set(offsets), reverse=True))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None  # required when Telegram runs
    bot_api_base_url: str = DEFAULT_API_BASE_URL
    database_path: Path = Path("data/tos-bot.sqlite3")
    # PostgreSQL for a city or a region (several replicas); unset: SQLite at database_path.
    database_url: SecretStr | None = None
    # Webhook mode (several replicas behind a reverse proxy); unset: long polling.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: Annotated[tuple[str, int], NoDecode] = ("0.0.0.0", 8080)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    staff_chat_id: int | None = None
    timezone: Annotated[ZoneInfo, NoDecode] = ZoneInfo("Asia/Novosibirsk")
    default_locale: Literal["ru", "en"] = "ru"
    municipality_name: str = ""
    municipality_population: int | None = Field(default=None, gt=0)
    # The report's typeface (DOCX): the town's house font, Times New Roman by default.
    report_font: str = Field(default="Times New Roman", min_length=1, max_length=100)
    digest_time: time = time(9, 0)
    competition_reminders: Annotated[tuple[timedelta, ...], NoDecode] = parse_offsets(
        "14d,7d,3d,1d"
    )
    event_reminders: Annotated[tuple[timedelta, ...], NoDecode] = parse_offsets("1d,2h")
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    staff_sees_personal_data: bool = True
    # How many announcements a TOS chair may send to the TOS's members in seven days.
    tos_announcements_per_week: int = Field(default=2, ge=0, le=50)
    # How many residents' reports hide a public initiative until staff look at it.
    moderation_hide_after: int = Field(default=3, ge=1, le=100)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Where a shared location may be (a box around the town); unset: anywhere.
    town_bounds: Annotated[tuple[float, float, float, float] | None, NoDecode] = None
    # Answer terms of support requests by type (59-FZ: 30 days unless set shorter).
    request_deadlines: Annotated[dict[str, RequestTerm], NoDecode] = Field(
        default_factory=lambda: parse_terms("transport=5wd")
    )
    # Which messengers the bot runs on (one database for both), and MAX's own settings:
    # its ids are MAX's as people and chats see them (bot/messengers/ maps them).
    # Unset: every messenger whose token is set (BOT_TOKEN, MAX_BOT_TOKEN).
    messengers: Annotated[frozenset[str], NoDecode] = frozenset()
    max_bot_token: SecretStr | None = None
    max_api_base_url: str = DEFAULT_MAX_API_BASE_URL
    max_admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    max_staff_chat_id: int | None = None
    max_broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    # Production on MAX: a webhook (HTTPS, port 443) instead of long polling.
    max_webhook_url: str | None = None
    max_webhook_secret: SecretStr | None = None
    max_webhook_listen: str = "0.0.0.0:8080"  # behind the HTTPS proxy

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not re.fullmatch(r"\d+:[\w-]{20,}", value.get_secret_value().strip()):
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("bot_api_base_url", "max_api_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("malformed")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        if not re.fullmatch(r"postgres(ql)?://\S+", url):
            raise ValueError("malformed")
        return SecretStr(url)

    @field_validator("webhook_url")
    @classmethod
    def _telegram_webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s?#]*)?", value):
            raise ValueError("malformed")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value().strip()):
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_listen", mode="before")
    @classmethod
    def _telegram_listen(cls, value: Any) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        host, _, port = str(value).strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("malformed")
        return host.strip("[]"), int(port)

    @field_validator("admin_ids", "max_admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> frozenset[int]:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(re.fullmatch(r"\d+", p) for p in parts):
                raise ValueError("malformed")
            return frozenset(int(p) for p in parts)
        return frozenset(value)

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> ZoneInfo:
        if isinstance(value, ZoneInfo):
            return value
        try:
            return ZoneInfo(str(value).strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown zone") from exc

    @field_validator("default_locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("competition_reminders", "event_reminders", mode="before")
    @classmethod
    def _offsets(cls, value: Any) -> tuple[timedelta, ...]:
        if isinstance(value, str):
            return parse_offsets(value)
        return tuple(value)

    @field_validator("town_bounds", mode="before")
    @classmethod
    def _bounds(cls, value: Any) -> tuple[float, float, float, float] | None:
        if value is None or isinstance(value, tuple):
            return value
        try:
            parts = tuple(float(p) for p in str(value).split(","))
        except ValueError as exc:
            raise ValueError("malformed") from exc
        if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
            raise ValueError("malformed")
        return parts

    @field_validator("request_deadlines", mode="before")
    @classmethod
    def _request_terms(cls, value: Any) -> dict[str, RequestTerm]:
        if isinstance(value, str):
            return parse_terms(value)
        return dict(value)

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers on: WEBHOOK_URL's (the proxy keeps it)."""
        assert self.webhook_url is not None
        return _path(self.webhook_url)

    @property
    def database_address(self) -> str | None:
        """DATABASE_URL as given (it may hold a password: never log it), or None."""
        return None if self.database_url is None else self.database_url.get_secret_value()

    @field_validator("messengers", mode="before")
    @classmethod
    def _messengers(cls, value: Any) -> frozenset[str]:
        if isinstance(value, str):
            value = ["telegram", "max"] if value.strip().lower() == "both" else value.split(",")
        names = frozenset(str(v).strip().lower() for v in value if str(v).strip())
        if not names <= {"telegram", "max"}:  # none: each messenger whose token is set
            raise ValueError("malformed")
        return names

    @field_validator("max_bot_token")
    @classmethod
    def _max_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not re.fullmatch(r"[\w.:=+/-]{16,512}", value.get_secret_value().strip()):
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("max_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"https://[^\s/:]+(/[^\s]*)?", value.strip()):
            raise ValueError("malformed")
        return value.strip()

    @field_validator("max_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        secret = None if value is None else value.get_secret_value()
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{5,256}", secret):
            raise ValueError("malformed")
        return value

    @field_validator("max_webhook_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if not re.fullmatch(r"[^\s:]+:\d{1,5}", value.strip()):
            raise ValueError("malformed")
        return value.strip()

    @model_validator(mode="after")
    def _per_messenger(self) -> Settings:
        """What each messenger that runs needs; one staff chat for the town hall. Without
        MESSENGERS the bot runs on each messenger it has a token for (none: BOT_TOKEN is
        what is missing, the way most towns start)."""
        if not self.messengers:
            tokens = {"telegram": self.bot_token, "max": self.max_bot_token}
            self.messengers = frozenset(name for name, token in tokens.items() if token)
            if not self.messengers:
                raise ValueError(f"{MISSING}BOT_TOKEN")
        if "telegram" in self.messengers and self.bot_token is None:
            raise ValueError(f"{MISSING}BOT_TOKEN")
        if "max" in self.messengers and self.max_bot_token is None:
            raise ValueError(f"{MISSING}MAX_BOT_TOKEN")
        if self.max_staff_chat_id is not None and self.staff_chat_id is not None:
            raise ValueError(f"{CONFLICT}MAX_STAFF_CHAT_ID")
        return self

    @model_validator(mode="after")
    def _webhooks(self) -> Settings:
        """Telegram's webhook mode (several replicas): a secret, Telegram running, and MAX,
        if it runs, by its webhook too; on one port both are served by one server."""
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            # aiogram's handler would take any request without one: refused here.
            raise ValueError(f"{MISSING}WEBHOOK_SECRET")
        if "telegram" not in self.messengers:
            raise ValueError(f"{CONFLICT}WEBHOOK_URL")
        if "max" in self.messengers:
            if self.max_webhook_url is None:
                raise ValueError(f"{MISSING}MAX_WEBHOOK_URL")
            if self.max_webhook_shared and _path(self.max_webhook_url) == self.webhook_path:
                raise ValueError(f"{CONFLICT}MAX_WEBHOOK_URL")
        return self

    @property
    def max_webhook_shared(self) -> bool:
        """Whether MAX's webhook is served by Telegram's webhook server: both run by webhook
        and listen on one port (MAX_WEBHOOK_LISTEN's host then is WEBHOOK_LISTEN's)."""
        return (
            self.webhook_url is not None
            and self.max_webhook_url is not None
            and {"telegram", "max"} <= self.messengers
            and int(self.max_webhook_listen.rpartition(":")[2]) == self.webhook_listen[1]
        )

    def request_term(self, kind: str) -> RequestTerm:
        return term_of(self.request_deadlines, kind)

    @property
    def staff_chat_configured(self) -> bool:
        return self.staff_chat_id is not None


def _path(url: str) -> str:
    """The path of an http(s) address, "/" when it has none."""
    return urlsplit(url).path or "/"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings; turn pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            given = error.get("input")
            said = str(error.get("ctx", {}).get("error", ""))
            if not error["loc"] and said.startswith((MISSING, CONFLICT)):
                name = said.split(":", 1)[1]
                problem = "is not set" if said.startswith(MISSING) else "is invalid"
                lines.append(f"{name} {problem}: expected {EXPECTED.get(name, 'a value')}.")
            elif error["type"] == "missing":
                lines.append(f"{name} is not set: expected {EXPECTED.get(name, 'a value')}.")
            else:
                secret = name in (
                    "BOT_TOKEN",
                    "DATABASE_URL",
                    "WEBHOOK_SECRET",
                    "MAX_BOT_TOKEN",
                    "MAX_WEBHOOK_SECRET",
                )
                shown = "" if secret else f", got {given!r}"
                lines.append(f"{name} is invalid{shown}: expected {EXPECTED.get(name, 'a value')}.")
        raise SettingsError("\n".join(lines)) from None
