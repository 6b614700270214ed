"""Users: who they are, which language they speak, and their consent (152-FZ)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.domain.people import Person
from bot.settings import SUPPORTED_LOCALES
from storage.db import Database

# Bump whenever the text of the privacy notice in locales/ changes: consent is given to a
# version, and tests/test_locales.py fails if the text changes while this stays the same.
NOTICE_VERSION = "2026-12-04.1"  # the account is the messenger's (Telegram or MAX)

# last_seen is coarse on purpose: an update that changes nothing writes nothing.
SEEN_RESOLUTION = timedelta(hours=1)
# A person without consent who writes to the bot in a group is told why it does not answer
# them at most this often (the rest of the time the bot stays quiet there).
SILENCE_NOTE_EVERY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram tells us about a user on every update."""

    id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What withdrawing consent did, so the user can be told exactly."""

    profile_erased: bool
    forms_dropped: int


# People read during the update being handled, on a shared database (UserService.scope).
_update_scope: ContextVar[dict[int, Person] | None] = ContextVar("users_scope", default=None)


class _Scope:
    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _update_scope.set({})

    def __exit__(self, *exc: object) -> None:
        _update_scope.reset(self._token)


class UserService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        cache_size: int = 50_000,
    ) -> None:
        self._db = db
        # Run before a withdrawal erases the person: features give back what they held
        # (an event's place to the waiting list), while the person still exists.
        self.before_erase: list[Callable[[int], Awaitable[None]]] = []
        self._clock = clock
        self._cache: OrderedDict[int, Person] = OrderedDict()
        # Other replicas change people too (consent, language): on PostgreSQL a record is
        # kept only for the update that read it (`scope`), not from one update to the next.
        self.shared = db.shared
        self._cache_size = cache_size

    def scope(self) -> _Scope:
        """`with users.scope():` around one update: what it reads of people is read once."""
        return _Scope()

    def _cached(self) -> dict[int, Person] | None:
        if self.shared:
            return _update_scope.get()
        return self._cache

    def _remember(self, record: Person) -> Person:
        if self.shared:
            scope = _update_scope.get()
            if scope is not None:
                scope[record.id] = record
            return record
        self._cache[record.id] = record
        self._cache.move_to_end(record.id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return record

    def _drop(self, user_id: int) -> None:
        cached = self._cached()
        if cached is not None:
            cached.pop(user_id, None)

    async def get(self, user_id: int) -> Person | None:
        cached = self._cached()
        record = None if cached is None else cached.get(user_id)
        if record is not None:
            return record
        read, record = self._db.take_read_ahead(user_id) if self.shared else (False, None)
        if not read:
            record = await self._db.lookup.users.get(user_id)
        return None if record is None else self._remember(record)

    async def get_many(self, user_ids: list[int]) -> dict[int, Person]:
        return await self._db.read.users.get_many(user_ids)

    async def _reload(self, user_id: int) -> Person:
        self._drop(user_id)
        async with self._db.transaction() as uow:
            record = await uow.users.get(user_id)
        assert record is not None
        return self._remember(record)

    async def touch(self, profile: TelegramProfile) -> Person:
        """Record that a user was seen; writes only when something changed."""
        now = self._clock.now()
        record = await self.get(profile.id)
        if record is not None:
            names = (
                (profile.first_name, profile.last_name, profile.username)
                if record.has_consent
                else (None, None, None)
            )
            unchanged = (
                (record.first_name, record.last_name, record.username) == names
                and record.language_code == profile.language_code
                and now - record.last_seen_at < SEEN_RESOLUTION
                and record.unreachable_at is None  # writing to us: reachable again
            )
            if unchanged:
                return record
        else:
            names = (None, None, None)  # no consent yet: keep only the id and language
        async with self._db.transaction() as uow:
            await uow.users.save_seen(
                profile.id,
                first_name=names[0],
                last_name=names[1],
                username=names[2],
                language_code=profile.language_code,
                now=now,
            )
            fresh = await uow.users.get(profile.id)
        assert fresh is not None
        return self._remember(fresh)

    async def should_explain_silence(self, user_id: int) -> bool:
        """Whether to tell a person without consent, in a group, why the bot does not answer
        them: once per `SILENCE_NOTE_EVERY`, recorded before the note is sent."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            return await uow.users.claim_silence_note(user_id, now, now - SILENCE_NOTE_EVERY)

    async def set_locale(self, user_id: int, locale: str) -> Person:
        async with self._db.transaction() as uow:
            await uow.users.set_locale(user_id, locale)
        return await self._reload(user_id)

    async def keep_payload(self, user_id: int, payload: str) -> None:
        async with self._db.transaction() as uow:
            await uow.users.set_pending_payload(user_id, payload)
        await self._reload(user_id)

    async def give_consent(self, profile: TelegramProfile) -> tuple[Person, str | None]:
        """Record consent to the current notice; returns the user and any kept payload."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            before = await uow.users.get(profile.id)
            payload = before.pending_payload if before else None
            await uow.users.give_consent(profile.id, NOTICE_VERSION, now)
            await uow.users.set_pending_payload(profile.id, None)
            await uow.users.save_seen(
                profile.id,
                first_name=profile.first_name,
                last_name=profile.last_name,
                username=profile.username,
                language_code=profile.language_code,
                now=now,
            )
        return await self._reload(profile.id), payload

    async def withdraw_consent(self, user_id: int) -> ErasureReport:
        """Erase what we keep about the person; the consent log itself stays as legal proof."""
        now = self._clock.now()
        current = await self.get(user_id)
        if current is not None and current.has_consent:
            for release in self.before_erase:
                await release(user_id)
        async with self._db.transaction() as uow:
            record = await uow.users.get(user_id)
            if record is None or not record.has_consent:
                return ErasureReport(False, 0)
            await uow.users.withdraw_consent(user_id, NOTICE_VERSION, now)
            forms = await uow.fsm.delete_for_user(user_id)
            uow.erases(user_id)  # the FSM's cache forgets the forms as this commits
            await uow.registry.forget_user(user_id)
            await uow.events.forget_user(user_id)
            await uow.requests.forget_requester(user_id)
            await uow.outbox.forget_person(user_id)
            await uow.moderation.forget_user(user_id)
        # SQLite overwrites what was deleted (secure_delete) in the log; fold the log into
        # the file and empty it, so no earlier copy of the person's data stays on disk.
        await self._db.checkpoint(truncate=True)
        await self._reload(user_id)
        return ErasureReport(True, forms)

    async def locale_of(self, user_id: int, default: str) -> str:
        record = await self.get(user_id)
        return self.resolve_locale(record, record.language_code if record else None, default)

    def forget(self, user_id: int) -> None:
        """Drop a cached record changed elsewhere (e.g. marked unreachable by the sender)."""
        self._drop(user_id)

    def resolve_locale(
        self, record: Person | None, telegram_language: str | None, default: str
    ) -> str:
        """The user's choice, else Telegram's language if we speak it, else the default."""
        if record is not None and record.locale:
            return record.locale
        lang = (telegram_language or "").split("-")[0].lower()
        return lang if lang in SUPPORTED_LOCALES else default
