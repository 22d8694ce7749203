"""What ``status`` shows: a pure view of config, state and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops_schedule.config import Config
from ops_schedule.scheduling.history import decision_for
from ops_schedule.scheduling.holds import hold_of, stale_after
from ops_schedule.scheduling.rules import FLAG_AFTER_FAILURES, PeriodState, next_scheduled
from ops_schedule.store.base import Holder, StoreView
from ops_schedule.store.records import Running
from ops_schedule.timefmt import utc_iso


@dataclass(frozen=True, slots=True)
class JobStatus:
    job: str
    enabled: bool  # both switches on
    cadence: str
    at: str
    dow: str | None
    next_run: datetime  # UTC
    next_run_local: datetime
    period_key: str
    period_state: PeriodState
    retry_at: datetime | None
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    last_summary: str | None
    last_comment_url: str | None
    consecutive_failures: int
    run_count: int
    running: bool
    interrupted: bool = False  # a run's process died; the next run records and retries it
    stale_claim: str | None = None  # who holds the claim too long, or died leaving it held
    holder: Holder | None = None  # who runs it now, and until when its lease lasts

    @property
    def flagged(self) -> bool:
        return self.consecutive_failures >= FLAG_AFTER_FAILURES

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "job": self.job,
            "enabled": self.enabled,
            "cadence": self.cadence,
            "at": self.at,
            "dow": self.dow,
            "nextRun": utc_iso(self.next_run),
            "nextRunLocal": iso(self.next_run_local),
            "period": self.period_key,
            "periodState": self.period_state.value,
            "retryAt": iso(self.retry_at),
            "lastRunAt": iso(self.last_run_at),
            "lastStatus": self.last_status,
            "lastError": self.last_error,
            "lastSummary": self.last_summary,
            "lastCommentUrl": self.last_comment_url,
            "consecutiveFailures": self.consecutive_failures,
            "runCount": self.run_count,
            "flagged": self.flagged,
            "running": self.running,
            "interrupted": self.interrupted,
            "staleClaim": self.stale_claim,
            "heldBy": _holder_json(self.holder),
        }


def _holder_json(holder: Holder | None) -> dict[str, Any] | None:
    if holder is None:
        return None
    return {
        "host": holder.host,
        "pid": holder.pid,
        "since": utc_iso(holder.since),
        "until": utc_iso(holder.until) if holder.until else None,
    }


def job_statuses(config: Config, view: StoreView, now: datetime) -> list[JobStatus]:
    """One row per job. A job runs while the store knows a holder of its claim; a ``running``
    marker without one is an attempt that was interrupted. A hold that lasts longer than a run
    may take, or whose process is gone, is stale (docs/design.md, "Exactly once")."""
    rows = []
    for name, job in config.jobs.items():
        record = view.record(name)
        holder = view.holders.get(name)
        stale_claim = None
        if holder is not None and record.running is not None:
            marker = Running(record.running.period, holder.since, holder.pid, holder.host)
            seen = holder.seen_at(now)
            hold = hold_of(marker, seen, gone=holder.gone, limit=stale_after(config))
            if hold.stale:
                stale_claim = hold.describe(holder.where or view.location)
        decision = decision_for(config, name, record, now)
        upcoming = next_scheduled(job, config.zone, now)
        rows.append(
            JobStatus(
                job=name,
                enabled=config.job_active(name),
                cadence=job.cadence,
                at=job.at,
                dow=job.weekday.value if job.cadence == "weekly" else None,
                next_run=upcoming,
                next_run_local=upcoming.astimezone(config.zone),
                period_key=decision.slot.period_key,
                period_state=decision.state,
                retry_at=decision.retry_at,
                last_run_at=record.last_run_at,
                last_status=record.last_status,
                last_error=record.last_error,
                last_summary=record.last_summary,
                last_comment_url=record.last_comment_url,
                consecutive_failures=record.consecutive_failures,
                run_count=record.run_count,
                running=holder is not None,
                interrupted=record.running is not None and holder is None,
                stale_claim=stale_claim,
                holder=holder,
            )
        )
    return rows
