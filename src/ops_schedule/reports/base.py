"""The Job protocol: what the runner needs from a job, and what a job gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ops_schedule.config import Config
from ops_schedule.redaction import Redactor


@dataclass(frozen=True, slots=True)
class JobContext:
    """Everything a job may depend on. ``now`` is the tick's clock reading, passed down."""

    job: str
    period_key: str
    window_end: (
        datetime  # aware, UTC: the period's scheduled instant (or now for early manual runs)
    )
    now: datetime
    config: Config
    redactor: Redactor  # built once per run from the config; jobs redact what they read with it
    quiet: bool = True  # no progress bars
    cache: bool = True  # reports may reuse and fill the cache of partials under ``stateDir``


@dataclass(frozen=True, slots=True)
class Report:
    """A finished result, not yet redacted: publishing redacts it on the way out."""

    job: str
    period_key: str
    summary: str  # one line, e.g. "daily 2026-11-26: 48,213 events, 97.1% ok, 2 MCPs degraded"
    markdown: str
    data: dict[str, Any] = field(
        default_factory=dict
    )  # the JSON contract (docs/reports.md, docs/digest.md)


@dataclass(frozen=True, slots=True)
class Skipped:
    """The job had nothing to do for a reason an operator should see (e.g. no incident data)."""

    reason: str


class Job(Protocol):
    """A named, read-only job."""

    name: str

    def build(self, ctx: JobContext) -> Report | Skipped: ...
