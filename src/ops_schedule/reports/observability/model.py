"""The numbers of an observability report, as plain frozen data.

:mod:`.analysis` computes them from a window's statistics; :mod:`.markdown` and :mod:`.contract`
turn them into text. The definitions are in ``docs/reports.md``. :func:`redact_texts` removes
secrets from every text that came from the log before any of it is formatted
(docs/markdown-safety.md#redaction-comes-first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.stats import CircuitState

ProposalSeverity = Literal["critical", "warning", "info"]
AlertLevel = Literal["CRITICAL", "WARNING", "OK"]


@dataclass(frozen=True, slots=True)
class WindowTotals:
    events: int
    ok: int
    fail: int
    success_rate: float | None
    malformed_lines: int
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class McpRow:
    name: str
    calls: int
    failures: int
    failure_rate: float | None
    mean_ms: float | None
    p95_ms: float | None
    circuit: CircuitState
    circuit_since: datetime | None  # the transition that set ``circuit``; None when never seen
    circuit_open_count: int
    degraded: bool
    reasons: tuple[str, ...]  # why degraded: "circuit", "failureRate", "p95"
    previous_calls: int | None  # None: not seen in the previous window
    previous_p95_ms: float | None


@dataclass(frozen=True, slots=True)
class FailureRow:
    error_type: str
    count: int
    example: str | None


@dataclass(frozen=True, slots=True)
class CircuitSummary:
    closed: int
    open: int
    half_open: int
    not_closed: tuple[McpRow, ...]  # open first, then half-open; by name


@dataclass(frozen=True, slots=True)
class Deltas:
    events: int
    events_ratio: float | None  # (current - previous) / previous; None when previous is 0
    success_rate: float | None  # difference of the rates (0.01 = one percentage point)
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    events: int
    failures: int


@dataclass(frozen=True, slots=True)
class ReportData:
    start: datetime
    end: datetime
    previous_start: datetime  # the previous window is [previous_start, start)
    totals: WindowTotals
    previous: WindowTotals
    deltas: Deltas
    mcp: tuple[McpRow, ...]
    top_failures: tuple[FailureRow, ...]
    other_failures: int  # failures whose type is not among the top rows
    circuit: CircuitSummary
    alert: AlertLevel
    alert_reasons: tuple[str, ...]  # machine codes, e.g. "successRateBelowWarn"
    proposals: tuple[Proposal, ...]
    buckets: tuple[Bucket, ...]
    bucket: timedelta
    notes: tuple[str, ...]
    thresholds: ThresholdsConfig

    @property
    def degraded(self) -> tuple[McpRow, ...]:
        return tuple(row for row in self.mcp if row.degraded)


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: str  # one of RULE_ORDER
    severity: ProposalSeverity
    mcp: str | None
    facts: Mapping[str, float | int | str] = field(default_factory=dict)  # numbers the text quotes
    weight: int = 0  # how much it concerns (calls, failures, trips); orders equal ranks


def _redact_row(row: McpRow, redact: Callable[[str], str]) -> McpRow:
    return replace(row, name=redact(row.name))


def redact_texts(data: ReportData, redact: Callable[[str], str]) -> ReportData:
    """``data`` with every text from the log redacted: MCP names, error types, examples, the
    names and texts in proposals, notes. The numbers stay as they are.

    Runs before the Markdown is written: once a name sits in a sentence or a code span, its
    secret may no longer be recognisable where it stands.
    """
    return replace(
        data,
        mcp=tuple(_redact_row(row, redact) for row in data.mcp),
        top_failures=tuple(
            replace(
                row,
                error_type=redact(row.error_type),
                example=None if row.example is None else redact(row.example),
            )
            for row in data.top_failures
        ),
        circuit=replace(
            data.circuit,
            not_closed=tuple(_redact_row(row, redact) for row in data.circuit.not_closed),
        ),
        proposals=tuple(
            replace(
                proposal,
                mcp=None if proposal.mcp is None else redact(proposal.mcp),
                facts={
                    key: redact(value) if isinstance(value, str) else value
                    for key, value in proposal.facts.items()
                },
            )
            for proposal in data.proposals
        ),
        notes=tuple(redact(note) for note in data.notes),
    )
