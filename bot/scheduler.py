"""A small interface over APScheduler; the database, not the job store, says what is due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self, timezone: ZoneInfo) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self._jobs: dict[str, Job] = {}

    def every(self, job_id: str, job: Job, *, seconds: float) -> None:
        self._jobs[job_id] = job
        self._scheduler.add_job(
            self._run,
            "interval",
            args=[job_id],
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    def daily(self, job_id: str, job: Job, *, at: time) -> None:
        self._jobs[job_id] = job
        self._scheduler.add_job(
            self._run,
            "cron",
            args=[job_id],
            hour=at.hour,
            minute=at.minute,
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )

    async def run_now(self, job_id: str) -> None:
        await self._run(job_id)

    async def _run(self, job_id: str) -> None:
        try:
            await self._jobs[job_id]()
        except Exception:
            log.exception("scheduled job %s failed", job_id)

    @property
    def job_ids(self) -> list[str]:
        return sorted(self._jobs)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
