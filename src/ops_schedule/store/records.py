"""What is remembered about each job: the records every store keeps, in the seed's JSON shape.

The file store writes these records into ``schedule-state.json``; the PostgreSQL store keeps the
same JSON object per job (docs/design.md, "Stores"), so both stores read and write one format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from ops_schedule.errors import StateError
from ops_schedule.jsonfile import load_json
from ops_schedule.scheduling.rules import recent_done_periods
from ops_schedule.timefmt import read_utc, utc_iso

STATE_VERSION = 1
STATE_MAX_DEPTH = 64  # nesting of lists and objects; the state needs 5
PID_MAX = (1 << 31) - 1  # the largest pid_t: a larger "pid" names no process

RunStatus = Literal["ok", "fail", "skipped"]


def _iso(value: datetime | None) -> str | None:
    return utc_iso(value) if value is not None else None


def _parse_time(value: object) -> datetime | None:
    # The seed wrote naive times in UTC. An instant at the calendar's ends is no run's.
    return read_utc(value, naive_is_utc=True)


@dataclass(frozen=True, slots=True)
class Running:
    """An attempt in flight: written when a run is claimed, cleared when it is recorded."""

    period: str
    started_at: datetime
    pid: int
    host: str

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "startedAt": _iso(self.started_at),
            "pid": self.pid,
            "host": self.host,
        }

    @classmethod
    def from_json(cls, raw: object) -> Running | None:
        if not isinstance(raw, dict):
            return None
        started = _parse_time(raw.get("startedAt"))
        if started is None or not isinstance(raw.get("period"), str):
            return None
        pid = _non_negative_int(raw.get("pid"))  # a hand-edited pid must not stop every load
        if pid > PID_MAX:  # no process has it; the system would refuse to look it up
            pid = 0
        return cls(raw["period"], started, pid, str(raw.get("host") or ""))


_KNOWN = frozenset(
    (
        "jobName", "lastRunAt", "lastStatus", "consecutiveFailures", "runCount", "lastError",
        "lastPeriod", "lastSuccessAt", "donePeriods", "lastSummary", "lastCommentUrl",
        "lastArchive", "lastDurationSeconds", "running",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What is remembered about one job. Field names in the file follow the seed."""

    job_name: str
    last_run_at: datetime | None = None
    last_status: RunStatus | None = None
    consecutive_failures: int = 0
    run_count: int = 0
    last_error: str | None = None
    last_period: str | None = None
    last_success_at: datetime | None = None
    # Periods with an ok or skipped run, in the order done; kept for DONE_RETENTION (400 days).
    done_periods: tuple[str, ...] = ()
    last_summary: str | None = None
    last_comment_url: str | None = None
    last_archive: str | None = None
    last_duration_seconds: float | None = None
    running: Running | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown fields, kept on save

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            {
                "jobName": self.job_name,
                "lastRunAt": _iso(self.last_run_at),
                "lastStatus": self.last_status,
                "consecutiveFailures": self.consecutive_failures,
                "runCount": self.run_count,
                "lastError": self.last_error,
                "lastPeriod": self.last_period,
                "lastSuccessAt": _iso(self.last_success_at),
                "donePeriods": list(self.done_periods),
                "lastSummary": self.last_summary,
                "lastCommentUrl": self.last_comment_url,
                "lastArchive": self.last_archive,
                "lastDurationSeconds": self.last_duration_seconds,
                "running": self.running.to_json() if self.running else None,
            }
        )
        return out

    @classmethod
    def from_json(cls, name: str, raw: Mapping[str, Any]) -> JobRecord:
        status = raw.get("lastStatus")
        done = raw.get("donePeriods")
        duration = raw.get("lastDurationSeconds")
        return cls(
            job_name=name,
            last_run_at=_parse_time(raw.get("lastRunAt")),
            last_status=status if status in ("ok", "fail", "skipped") else None,
            consecutive_failures=_non_negative_int(raw.get("consecutiveFailures")),
            run_count=_non_negative_int(raw.get("runCount")),
            last_error=_str_or_none(raw.get("lastError")),
            last_period=_str_or_none(raw.get("lastPeriod")),
            last_success_at=_parse_time(raw.get("lastSuccessAt")),
            done_periods=tuple(p for p in done if isinstance(p, str))
            if isinstance(done, list)
            else (),
            last_summary=_str_or_none(raw.get("lastSummary")),
            last_comment_url=_str_or_none(raw.get("lastCommentUrl")),
            last_archive=_str_or_none(raw.get("lastArchive")),
            last_duration_seconds=_finite_or_none(duration),
            running=Running.from_json(raw.get("running")),
            extra={k: v for k, v in raw.items() if k not in _KNOWN},
        )

    def started(self, running: Running) -> JobRecord:
        return replace(self, running=running)

    def finished(
        self,
        *,
        period: str,
        status: RunStatus,
        at: datetime,
        error: str | None = None,
        summary: str | None = None,
        comment_url: str | None = None,
        archive: str | None = None,
        duration_seconds: float | None = None,
    ) -> JobRecord:
        """The record after an attempt for ``period`` ended with ``status``."""
        succeeded = status != "fail"
        done = self.done_periods
        if succeeded and period not in done:
            done = recent_done_periods((*done, period))
        return replace(
            self,
            last_run_at=at,
            last_status=status,
            consecutive_failures=0 if succeeded else self.consecutive_failures + 1,
            run_count=self.run_count + 1,
            last_error=error,
            last_period=period,
            last_success_at=at if succeeded else self.last_success_at,
            done_periods=done,
            last_summary=summary if succeeded else self.last_summary,
            last_comment_url=comment_url or (None if succeeded else self.last_comment_url),
            last_archive=archive or (None if succeeded else self.last_archive),
            last_duration_seconds=duration_seconds,
            running=None,
        )

    def interrupted(self) -> JobRecord:
        """Record the attempt whose process died while holding the claim as a failure."""
        if self.running is None:
            return self
        run = self.running
        where = f"process {run.pid} on {run.host}" if run.host else f"process {run.pid}"
        return self.finished(
            period=run.period,
            status="fail",
            at=run.started_at,  # the retry backoff counts from when the lost attempt began
            error=f"interrupted: {where} stopped during the run started at {_iso(run.started_at)}",
        )


def _non_negative_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _finite_or_none(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer past a double's range
        return None
    return number if math.isfinite(number) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class State:
    version: int = STATE_VERSION
    updated_at: datetime | None = None
    jobs: Mapping[str, JobRecord] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def job(self, name: str) -> JobRecord:
        return self.jobs.get(name) or JobRecord(job_name=name)

    def to_json(self, updated_at: datetime) -> dict[str, Any]:
        return {
            **self.extra,
            "version": STATE_VERSION,
            "updatedAt": _iso(updated_at),
            "jobs": {name: record.to_json() for name, record in sorted(self.jobs.items())},
        }


def parse_state(text: str, source: str) -> State:
    """Decode the state file. Raises ``ValueError`` when it is not a state document at all,
    ``StateError`` when it is one from an incompatible version."""
    raw = load_json(text, max_depth=STATE_MAX_DEPTH, finite=True)  # saved back as JSON
    if not isinstance(raw, dict):
        raise ValueError("the top level is not a JSON object")  # noqa: TRY004 - means corrupt
    version = raw.get("version", STATE_VERSION)  # the seed's files carry no version
    if version != STATE_VERSION:
        raise StateError(
            f"{source} has state version {version!r}; this ops-schedule understands version "
            f"{STATE_VERSION}. Upgrade ops-schedule, or move the file aside to start afresh."
        )
    jobs_raw = raw.get("jobs", {})
    if not isinstance(jobs_raw, dict):
        raise ValueError("'jobs' is not a JSON object")  # noqa: TRY004 - means corrupt
    jobs = {
        name: JobRecord.from_json(name, record)
        for name, record in jobs_raw.items()
        if isinstance(record, dict)
    }
    extra = {k: v for k, v in raw.items() if k not in ("version", "updatedAt", "jobs")}
    return State(STATE_VERSION, _parse_time(raw.get("updatedAt")), jobs, extra)
