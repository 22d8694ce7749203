"""Aggregates of one report window: small and exact.

An event log is folded into a :class:`WindowStats` by :mod:`.reader.fold`. Memory depends on the
number of MCPs, error types and distinct durations, never on the number of events: latency is
kept as an exact histogram, so the nearest-rank p95 stays exact.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

CircuitState = Literal["closed", "open", "half-open"]


@dataclass(slots=True)
class McpStats:
    calls: int = 0
    failures: int = 0
    durations: Counter[float] = field(default_factory=Counter)  # durationMs -> how many
    circuit_open_count: int = 0  # transitions to "open" inside the window

    @property
    def duration_count(self) -> int:
        return sum(self.durations.values())

    def mean_ms(self) -> float | None:
        count = self.duration_count
        if count == 0:
            return None
        return math.fsum(value * n for value, n in self.durations.items()) / count

    def p95_ms(self) -> float | None:
        return nearest_rank(self.durations, 95)


@dataclass(slots=True)
class FailureStats:
    count: int = 0
    example: str | None = None  # the earliest message seen (already redacted by the reader)
    example_at: datetime | None = None


@dataclass(slots=True)
class CircuitTransition:
    at: datetime
    state: CircuitState


@dataclass(slots=True)
class WindowStats:
    """Everything a report needs from the events of ``[start, end)``."""

    start: datetime
    end: datetime
    events: int = 0
    ok: int = 0
    fail: int = 0
    malformed: int = 0  # lines skipped: blank, not JSON, not UTF-8, missing required fields
    mcp: dict[str, McpStats] = field(default_factory=dict)
    failures: dict[str, FailureStats] = field(default_factory=dict)  # by errorType
    # Last circuit transition per MCP before ``end`` (may lie before ``start``).
    circuit: dict[str, CircuitTransition] = field(default_factory=dict)
    # Events and failures per bucket (hour for daily, day for weekly), keyed by bucket start.
    buckets: dict[datetime, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. "event log not found at …"

    @property
    def success_rate(self) -> float | None:
        return self.ok / self.events if self.events else None


def nearest_rank(histogram: Counter[float], percent: int) -> float | None:
    """The nearest-rank percentile of a histogram: element ``ceil(p/100·n)`` of the sorted values.

    Integer arithmetic, because ``0.95 * n`` in floating point can land just above an integer.
    """
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, -(-percent * total // 100))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: rank is at most the total")  # pragma: no cover
