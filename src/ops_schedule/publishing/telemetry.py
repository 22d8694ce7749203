"""What the sinks and pings of one run did: the numbers behind the posting metrics.

A :class:`Recorder` lives for one job's run; sinks report their retries into it while they
work, publishing reports each sink's outcome, the pinger each ping. :meth:`Recorder.freeze`
gives the plain values the run's outcome carries to the metrics (docs/operations.md,
"Monitoring").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

SinkOutcome = Literal["posted", "reused", "failed"]
PingEvent = Literal["start", "success", "failure"]


@dataclass(frozen=True, slots=True)
class SinkReport:
    sink: str
    outcome: SinkOutcome
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PingReport:
    event: PingEvent
    ok: bool


@dataclass(frozen=True, slots=True)
class Telemetry:
    sinks: tuple[SinkReport, ...] = ()
    pings: tuple[PingReport, ...] = ()


@dataclass
class _Tally:
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_seconds: float = 0.0
    outcome: SinkOutcome | None = None


@dataclass
class Recorder:
    """Collects one run's sink and ping results, in the order they happened."""

    _sinks: dict[str, _Tally] = field(default_factory=dict)
    _pings: list[PingReport] = field(default_factory=list)

    def retry_hook(self, sink: str) -> Callable[[float, bool], None]:
        """For a sink's ``on_retry``: count a wait, and whether the receiver asked for it."""

        def record(wait: float, rate_limited: bool) -> None:
            tally = self._sinks.setdefault(sink, _Tally())
            tally.retries += 1
            if rate_limited:
                tally.rate_limit_waits += 1
                tally.rate_limit_seconds += wait

        return record

    def outcome(self, sink: str, outcome: SinkOutcome) -> None:
        self._sinks.setdefault(sink, _Tally()).outcome = outcome

    def ping(self, event: PingEvent, ok: bool) -> None:
        self._pings.append(PingReport(event, ok))

    def freeze(self) -> Telemetry:
        return Telemetry(
            sinks=tuple(
                SinkReport(
                    sink,
                    tally.outcome or "failed",
                    tally.retries,
                    tally.rate_limit_waits,
                    tally.rate_limit_seconds,
                )
                for sink, tally in self._sinks.items()
                if tally.outcome is not None or tally.retries
            ),
            pings=tuple(self._pings),
        )
