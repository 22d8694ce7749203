"""The scheduling view of a job's stored record: what ``decide`` needs, and its answer.

Shared by the runner (is it due?) and ``status`` (what state is the period in?).
"""

from __future__ import annotations

from datetime import datetime

from ops_schedule.config import Config, JobConfig
from ops_schedule.scheduling.rules import Decision, History, decide, done_horizon, period_key_at
from ops_schedule.store.records import JobRecord


def history_of(record: JobRecord, job: JobConfig, config: Config) -> History:
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


def decision_for(config: Config, name: str, record: JobRecord, now: datetime) -> Decision:
    job = config.jobs.get(name)
    return decide(
        job,
        config.zone,
        config.grace_for(name),
        history_of(record, job, config),
        now,
        active=config.job_active(name),
    )
