"""Folding event-log lines into per-window statistics: the per-line hot path.

A :class:`Folder` takes raw lines (``bytes``, without the newline) in log order and adds each to
the :class:`~ops_schedule.reports.observability.stats.WindowStats` of the window it falls in.
It allocates nothing per event beyond what ``orjson`` and ``datetime.fromisoformat``
return: window and chart bucket are looked up (a ``bisect`` over precomputed edges) only
when a line leaves the previous line's bucket, and the counters live in preallocated lists
and locals.

Malformed lines (blank, not JSON, not UTF-8, not an object, missing or invalid ``timestamp`` or
``status``, or cut off) are skipped and counted; an instant that does not exist in UTC (within
hours of year 1 or 9999) is no timestamp. Any value in any other field is read or ignored, never
fatal (docs/performance.md#what-is-counted):

* a line whose timestamp can be read counts for the window that timestamp falls in (and for no
  window when it falls outside all of them);
* a line without a readable timestamp counts for the window of the nearest earlier line, in
  reading order, whose timestamp could be read (none when that line lies outside every window);
  lines before the first such line count for the window of the first one after them, and when no
  line of the log has a readable timestamp they count for the last window.

The log is read in tasks, possibly by several processes. What a task cannot decide alone (its
untimed lines before its first stamped line) is returned as a :class:`Boundary` and settled once
every task is done, in log order, so the result is exactly that of one sequential pass.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

import orjson

from ops_schedule.reports.observability.reader.assemble import assemble
from ops_schedule.reports.observability.reader.partial import Partial, canonical_duration, micros
from ops_schedule.reports.observability.reader.plan import OUTSIDE, Plan
from ops_schedule.reports.observability.stats import (
    CircuitState,
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)

__all__ = ["OUTSIDE", "Boundary", "Folder", "Plan", "settle"]

_BEFORE: Final = datetime.min.replace(tzinfo=UTC)
_AFTER: Final = datetime.max.replace(tzinfo=UTC)
_NEVER: Final = _AFTER  # an empty range: the first line always searches
_MICROSECOND: Final = timedelta(microseconds=1)
_CIRCUIT_STATES: Final[frozenset[str]] = frozenset(("open", "half-open", "closed"))
# A longer durationMs is no call's: the call counts, the duration does not (docs/performance.md).
# The bound keeps every sum and mean of durations finite, whatever a line claims.
LONGEST_MS: Final = 7 * 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Boundary:
    """What one task cannot settle alone: its untimed lines before its first stamped line."""

    leading: int  # untimed malformed lines before the task's first stamped line
    first: int | None  # window of its first stamped line (OUTSIDE for none); None: no such line
    last: int | None  # window of its last stamped line


def settle(boundaries: Iterable[Boundary], malformed: list[int]) -> bool:
    """Attribute every task's leading untimed lines, walking the tasks in log order.

    They go with the last stamped line before them; lines before the first stamped line of the
    whole log go with that line, and with the last window when the log has no stamped line.
    Returns whether that last case happened: untimed lines that no stamped line anchors.
    """
    last: int | None = None
    first: int | None = None
    orphans = 0
    for boundary in boundaries:
        if boundary.leading:
            if last is None:
                orphans += boundary.leading
            elif last != OUTSIDE:
                malformed[last] += boundary.leading
        if first is None:
            first = boundary.first
        if boundary.last is not None:
            last = boundary.last
    if orphans:
        target = first if first is not None else len(malformed) - 1
        if target >= 0:  # OUTSIDE is negative
            malformed[target] += orphans
    return bool(orphans) and first is None


class Folder:
    """Adds lines to the statistics of a :class:`Plan`, one task (a run of lines) at a time.

    Counters live in flat lists indexed by chart slot and in one histogram per MCP whose key
    ``None`` counts calls without a duration; :meth:`stats` turns them into ``WindowStats``.
    A worker process keeps one folder for all its tasks; the folders of all workers are then
    merged. Everything but the failure examples and circuit transitions is a sum; those two keep
    the task they came from, so that ties between equal timestamps go by log order, as in one
    sequential pass.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        count = len(plan.windows)
        self._window_of_slot = [OUTSIDE if slot is None else slot[0] for slot in plan.slots]
        self._events = [0] * len(plan.slots)
        self._fails = [0] * len(plan.slots)
        self._calls: list[dict[str, dict[float | None, int]]] = [{} for _ in range(count)]
        self._mcp_fails: list[Counter[str]] = [Counter() for _ in range(count)]
        self._opened: list[Counter[str]] = [Counter() for _ in range(count)]
        self._failures: list[dict[str, FailureStats]] = [{} for _ in range(count)]
        self._malformed = [0] * count
        # The last transition of each MCP inside each window, and outside every window by hour.
        self._circuit: list[dict[str, CircuitTransition]] = [{} for _ in range(count)]
        self.outside: dict[datetime, dict[str, CircuitTransition]] = {}
        self._lookback = plan.lookback or _BEFORE
        self._bin_starts = [start for start, _ in plan.bins]
        self._example_task: dict[tuple[int, str], int] = {}
        self._transition_task: dict[tuple[int, str], int] = {}
        self._outside_task: dict[tuple[datetime, str], int] = {}
        self.notes: list[str] = []
        self.task = 0  # index of the task being read, in log order
        self.leading = 0
        self.first: int | None = None
        self.last: int | None = None
        self.lines = 0

    def begin(self, task: int) -> None:
        """Start reading task number ``task``; tasks of one folder come in increasing order."""
        self.task, self.leading, self.first, self.last = task, 0, None, None

    def boundary(self) -> Boundary:
        return Boundary(self.leading, self.first, self.last)

    def settle(self, boundaries: Iterable[Boundary]) -> bool:
        """Attribute the leading untimed lines of every task (all tasks, in log order); True when
        some had no stamped line to go with (see :func:`settle`)."""
        return settle(boundaries, self._malformed)

    def merge(self, other: Folder) -> None:
        """Add ``other``'s statistics (read from other tasks of the same plan)."""
        for index, seen in enumerate(other._events):
            self._events[index] += seen
        for index, seen in enumerate(other._fails):
            self._fails[index] += seen
        for window in range(len(self._malformed)):
            self._malformed[window] += other._malformed[window]
            for name, calls in other._calls[window].items():
                mine = self._calls[window].setdefault(name, {})
                for duration, seen in calls.items():
                    mine[duration] = mine.get(duration, 0) + seen
            self._mcp_fails[window].update(other._mcp_fails[window])
            self._opened[window].update(other._opened[window])
            self._merge_failures(other, window)
            self._merge_circuits(other, window)
        self._merge_outside(other)
        self.notes.extend(note for note in other.notes if note not in self.notes)
        self.lines += other.lines

    def _merge_failures(self, other: Folder, window: int) -> None:
        for error_type, theirs in other._failures[window].items():
            key = (window, error_type)
            mine = self._failures[window].get(error_type)
            if mine is None:
                mine = self._failures[window][error_type] = FailureStats()
            mine.count += theirs.count
            if theirs.example_at is None:
                continue
            their_order = (theirs.example_at, other._example_task[key])
            if mine.example_at is None or their_order < (mine.example_at, self._example_task[key]):
                mine.example, mine.example_at = theirs.example, theirs.example_at
                self._example_task[key] = other._example_task[key]

    def _merge_circuits(self, other: Folder, window: int) -> None:
        for name, theirs in other._circuit[window].items():
            key = (window, name)
            mine = self._circuit[window].get(name)
            their_order = (theirs.at, other._transition_task[key])
            if mine is None or their_order > (mine.at, self._transition_task[key]):
                self._circuit[window][name] = theirs
                self._transition_task[key] = other._transition_task[key]

    def _merge_outside(self, other: Folder) -> None:
        for hour, transitions in other.outside.items():
            here = self.outside.setdefault(hour, {})
            for name, theirs in transitions.items():
                key = (hour, name)
                mine = here.get(name)
                their_order = (theirs.at, other._outside_task[key])
                if mine is None or their_order > (mine.at, self._outside_task[key]):
                    here[name] = theirs
                    self._outside_task[key] = other._outside_task[key]

    def partials(self) -> list[Partial]:
        """What was read for each window of the plan, as exact partials (malformed lines of
        task boundaries settled only if :meth:`settle` ran)."""
        anchor, width = self.plan.anchor, self.plan.bucket // _MICROSECOND
        grid = None if anchor is None else (micros(anchor) % width, width)
        parts = [Partial(start, end, grid=grid) for start, end in self.plan.windows]
        for index, slot in enumerate(self.plan.slots):
            events = self._events[index]
            if slot is not None and events:
                part = parts[slot[0]]
                part.events += events
                part.fail += self._fails[index]
                at = micros(slot[1])
                part.bucket_events[at] = events
                if self._fails[index]:
                    part.bucket_fails[at] = self._fails[index]
        for window, part in enumerate(parts):
            part.malformed = self._malformed[window]
            part.failures = self._failures[window]
            part.circuit = self._circuit[window]
            for name, calls in self._calls[window].items():
                mcp = McpStats(calls=sum(calls.values()), failures=self._mcp_fails[window][name])
                durations = mcp.durations
                for duration, n in calls.items():
                    # Too long to be a call's: dropped here, once per distinct value, not per line.
                    if duration is None or duration > LONGEST_MS:
                        continue
                    if duration.__class__ is float:
                        duration = canonical_duration(duration)  # noqa: PLW2901
                        durations[duration] = durations.get(duration, 0) + n
                    else:
                        durations[duration] = n  # ints are distinct keys already
                part.mcp[name] = mcp
            for name, opened in self._opened[window].items():
                part.mcp.setdefault(name, McpStats()).circuit_open_count = opened
        return parts

    def outside_transitions(self) -> list[tuple[str, CircuitTransition]]:
        """The last transition of each MCP in each bin outside the windows (from the plan's
        ``lookback`` on)."""
        return [
            (name, transition)
            for transitions in self.outside.values()
            for name, transition in transitions.items()
        ]

    def stats(self) -> list[WindowStats]:
        """The statistics read so far, one ``WindowStats`` per window of the plan."""
        return assemble(self.plan, self.partials(), self.outside_transitions(), self.notes)

    def feed(self, lines: list[bytes]) -> None:  # noqa: C901, PLR0912, PLR0915 - the hot loop, kept flat on purpose
        # Every name used per line is a local. Consecutive lines nearly always share a chart
        # slot, so the slot's window, MCP table and counters are looked up when it changes and
        # counted in locals meanwhile.
        loads = orjson.loads
        fromiso = datetime.fromisoformat
        utc = UTC
        events_by_slot = self._events
        fails_by_slot = self._fails
        malformed = self._malformed
        stamped = self.last is not None  # a line with a timestamp was seen
        window = OUTSIDE if self.last is None else self.last  # the latest stamped line's window
        untimed = 0
        index, low, high = 0, _NEVER, _NEVER  # the slot of the latest stamped line: [low, high)
        seen = failed_here = 0  # events and failures counted for ``index`` but not yet stored
        calls_here: dict[str, dict[float | None, int]] = {}
        for line in lines:
            try:
                event = loads(line)
                at = fromiso(event["timestamp"])
            except (ValueError, TypeError, KeyError):  # not JSON (a ValueError), not an object,
                untimed += 1  # no timestamp, or not one
                continue
            if at.tzinfo is not utc:
                if at.tzinfo is None:
                    untimed += 1
                    continue
                try:
                    at = at.astimezone(utc)
                except OverflowError:  # within hours of year 1 or 9999: no instant in UTC
                    untimed += 1
                    continue
            if untimed:
                self._place_untimed(window if stamped else None, untimed)
                untimed = 0
            if not low <= at < high:
                events_by_slot[index] += seen
                fails_by_slot[index] += failed_here
                seen = failed_here = 0
                index, low, high, window = self._slot(at)
                if not stamped:
                    stamped = True
                    if self.first is None:
                        self.first = window
                if window != OUTSIDE:
                    calls_here = self._calls[window]
            status = event.get("status")
            if status == "ok":
                failed = False
            elif status == "fail":
                failed = True
            else:
                if window != OUTSIDE:
                    malformed[window] += 1
                continue
            if window == OUTSIDE:
                metadata = event.get("metadata")
                if metadata.__class__ is dict and "circuit" in metadata:
                    self._transition(metadata, at, OUTSIDE)
                continue
            seen += 1
            name = event.get("mcpName")
            if name.__class__ is str:
                calls = calls_here.get(name)
                if calls is None:
                    calls = calls_here[name] = {}
                duration = event.get("durationMs")
                if duration.__class__ is int:
                    if duration < 0:
                        duration = None
                elif duration is not None and not (duration.__class__ is float and duration >= 0):
                    duration = None
                try:  # a plain dict: item access on exact dicts is the interpreter's fast path
                    calls[duration] += 1
                except KeyError:
                    calls[duration] = 1
                if failed:
                    self._mcp_fails[window][name] += 1
            if failed:
                failed_here += 1
                self._failure(window, event, at)
            metadata = event.get("metadata")
            if metadata is not None and metadata.__class__ is dict and "circuit" in metadata:
                self._transition(metadata, at, window)
        events_by_slot[index] += seen
        fails_by_slot[index] += failed_here
        if untimed:
            self._place_untimed(window if stamped else None, untimed)
        self.last = window if stamped else None
        self.lines += len(lines)

    def _slot(self, at: datetime) -> tuple[int, datetime, datetime, int]:
        """The chart slot of ``at``: its index, bounds and window."""
        edges = self.plan.edges
        index = bisect.bisect_right(edges, at)
        low = edges[index - 1] if index else _BEFORE
        high = edges[index] if index < len(edges) else _AFTER
        return index, low, high, self._window_of_slot[index]

    def _place_untimed(self, last: int | None, count: int) -> None:
        if last is None:
            self.leading += count
        elif last != OUTSIDE:
            self._malformed[last] += count

    def _failure(self, window: int, event: dict[str, object], at: datetime) -> None:
        error_type = event.get("errorType")
        if error_type.__class__ is not str or not error_type:
            error_type = "unknown"
        failures = self._failures[window]
        failure = failures.get(error_type)
        if failure is None:
            failure = failures[error_type] = FailureStats()
        failure.count += 1
        message = event.get("errorMessage")
        if (
            message.__class__ is str
            and message
            and (failure.example_at is None or at < failure.example_at)
        ):
            failure.example, failure.example_at = message, at
            self._example_task[window, error_type] = self.task

    def _transition(self, metadata: dict[str, object], at: datetime, window: int) -> None:
        state, name = metadata.get("circuit"), metadata.get("mcp")
        # Both may be any JSON value; only a string can be looked up in a set.
        if name.__class__ is not str or not name or state.__class__ is not str:
            return
        if state not in _CIRCUIT_STATES:
            return
        transition = CircuitTransition(at, cast("CircuitState", state))
        if window == OUTSIDE:
            if at < self._lookback:
                return  # older than the look-back: never used (docs/performance.md)
            key = self._bin_of(at)
            if key is None:
                return
            transitions = self.outside.get(key)
            if transitions is None:
                transitions = self.outside[key] = {}
            current = transitions.get(name)
            if current is None or at >= current.at:  # equal instants: the later line wins
                transitions[name] = transition
                self._outside_task[key, name] = self.task
            return
        current = self._circuit[window].get(name)
        if current is None or at >= current.at:
            self._circuit[window][name] = transition
            self._transition_task[window, name] = self.task
        if state == "open":
            self._opened[window][name] += 1

    def _bin_of(self, at: datetime) -> datetime | None:
        """The start of the bin of ``plan.bins`` that holds ``at`` (its hour without bins)."""
        bins = self.plan.bins
        if not bins:
            return at.replace(minute=0, second=0, microsecond=0)
        index = bisect.bisect_right(self._bin_starts, at) - 1
        if index >= 0 and at < bins[index][1]:
            return bins[index][0]
        return None

    def circuits_only(self, lines: Iterable[bytes]) -> None:
        """Take only the circuit transitions of ``lines``, which lie before every window."""
        for line in lines:
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if type(event) is not dict or event.get("status") not in ("ok", "fail"):
                continue
            metadata, stamp = event.get("metadata"), event.get("timestamp")
            if type(metadata) is not dict or "circuit" not in metadata or type(stamp) is not str:
                continue
            try:
                at = datetime.fromisoformat(stamp)
            except ValueError:
                continue
            if at.tzinfo is None:
                continue
            try:
                at = at.astimezone(UTC)
            except OverflowError:  # no instant in UTC: not a timestamp
                continue
            self._transition(metadata, at, OUTSIDE)
