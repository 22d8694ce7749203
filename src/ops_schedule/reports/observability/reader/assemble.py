"""From partials to a report's windows: the statistics of each window, exactly.

The partials of a window's pieces (read from the log, or cached) add up to the window's
statistics; chart counts are re-bucketed into the report's buckets; the circuit state at a
window's end is the latest transition before that end among the pieces and the transitions
read outside every window (the look-back before the first window).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from ops_schedule.reports.observability.reader.partial import Partial, merge, micros
from ops_schedule.reports.observability.reader.plan import Plan
from ops_schedule.reports.observability.stats import CircuitTransition, WindowStats

_MICROSECOND: Final = timedelta(microseconds=1)


def assemble(
    plan: Plan,
    parts: Iterable[Partial],
    outside: Iterable[tuple[str, CircuitTransition]],
    notes: Sequence[str],
) -> list[WindowStats]:
    """The statistics of each window of ``plan`` from ``parts``, each inside one window.

    ``outside`` holds circuit transitions read outside the windows; those that fall inside a
    window are ignored (the window's own parts speak for it).
    """
    stats = plan.empty_stats()
    totals = [Partial(start, end) for start, end in plan.windows]
    transitions: list[tuple[datetime, str, CircuitTransition]] = []
    for part in sorted(parts, key=lambda p: p.start):
        window = _window_of(plan, part.start, part.end)
        merge(totals[window], part)
        transitions.extend((t.at, name, t) for name, t in part.circuit.items())
    for name, transition in outside:
        if _window_at(plan, transition.at) is None:
            transitions.append((transition.at, name, transition))
    transitions.sort(key=lambda item: item[0])
    for window, (summary, total) in enumerate(zip(stats, totals, strict=True)):
        summary.events, summary.fail = total.events, total.fail
        summary.ok = total.events - total.fail
        summary.malformed = total.malformed
        summary.mcp = dict(sorted(total.mcp.items()))
        summary.failures = dict(sorted(total.failures.items()))
        _rebucket(summary, total, plan)
        end = plan.windows[window][1]
        state: dict[str, CircuitTransition] = {}
        for at, name, transition in transitions:
            if at >= end:
                break
            state[name] = transition  # in time order: the last before the end wins
        summary.circuit = dict(sorted(state.items()))
        summary.notes.extend(notes)
    return stats


def _rebucket(summary: WindowStats, total: Partial, plan: Plan) -> None:
    start, step = micros(summary.start), plan.bucket // _MICROSECOND
    fails = total.bucket_fails
    index = -1  # the report bucket of the previous finer bucket
    counts = [0, 0]
    for at in sorted(total.bucket_events):
        if (at - start) // step != index:
            index = (at - start) // step
            counts = summary.buckets[summary.start + index * plan.bucket]
        counts[0] += total.bucket_events[at]
        counts[1] += fails.get(at, 0)


def _window_of(plan: Plan, start: datetime, end: datetime) -> int:
    for index, bounds in enumerate(plan.windows):
        if bounds == (start, end):
            return index
    for index, (low, high) in enumerate(plan.windows):
        if low <= start and end <= high and start < high:
            return index
    raise ValueError(f"a partial [{start}, {end}) lies in no single window of the report")


def _window_at(plan: Plan, at: datetime) -> int | None:
    for index, (low, high) in enumerate(plan.windows):
        if low <= at < high:
            return index
    return None
