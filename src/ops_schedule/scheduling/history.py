"""The scheduling view of a job's stored record: what ``decide`` needs, and its answer.

Shared by the runner (is it due?) and ``status`` (what state is the period in?).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ops_schedule.scheduling.rules import (
    Decision,
    History,
    JobTimes,
    decide,
    done_horizon,
    period_key_at,
)
from ops_schedule.store.records import JobRecord

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


class _Jobs(Protocol):
    def get(self, name: str) -> JobTimes: ...


class ScheduleSource(Protocol):
    """What a decision reads of a configuration: ``config.Config`` has it, and so has the
    schedule a quiet ``run`` reads without the validator (``scheduling.view``)."""

    @property
    def zone(self) -> ZoneInfo: ...

    @property
    def jobs(self) -> _Jobs: ...

    def grace_for(self, name: str) -> timedelta: ...

    def job_active(self, name: str) -> bool: ...


def history_of(record: JobRecord, job: JobTimes, config: ScheduleSource) -> History:
    """The scheduling view of a job's record."""
    done = set(record.done_periods)
    if not done and record.last_status in ("ok", "skipped") and record.last_run_at:
        # A seed-era file has no period keys: the period of its last good run is done.
        done.add(record.last_period or period_key_at(job.cadence, record.last_run_at, config.zone))
    return History(
        done_periods=frozenset(done),
        done_before=done_horizon(done),
        last_attempt_period=record.last_period,
        last_attempt_at=record.last_run_at,
        consecutive_failures=record.consecutive_failures,
        last_failed=record.last_status == "fail",
    )


def decision_for(config: ScheduleSource, name: str, record: JobRecord, now: datetime) -> Decision:
    job = config.jobs.get(name)
    return decide(
        job,
        config.zone,
        config.grace_for(name),
        history_of(record, job, config),
        now,
        active=config.job_active(name),
    )
