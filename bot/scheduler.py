"""A small interface over APScheduler; the database, not the job store, says what is due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self, timezone: ZoneInfo) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self._jobs: dict[str, Job] = {}
        self._once: dict[str, datetime] = {}

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

    def once(self, job_id: str, job: Job, *, at: datetime) -> None:
        """Run `job` once at `at` (an aware instant), in place of an earlier `once` of the
        same id; however late the loop gets to it, it runs."""
        self._jobs[job_id] = job
        self._once[job_id] = at
        self._scheduler.add_job(
            self._run_once,
            "date",
            args=[job_id],
            run_date=at,
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def planned(self, job_id: str) -> datetime | None:
        """When a job set with `once` is to run (None once it has run or was never set)."""
        return self._once.get(job_id)

    async def _run_once(self, job_id: str) -> None:
        await self.run_now(job_id)

    async def run_now(self, job_id: str) -> None:
        self._once.pop(job_id, None)  # a job set with `once` has run
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
        else:
            self._scheduler.resume()

    def pause(self) -> None:
        """Stop running jobs until `start` (another process took them over)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
