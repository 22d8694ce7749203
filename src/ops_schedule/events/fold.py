"""Folding event-log lines into per-window statistics: the per-line hot path.

A :class:`Folder` takes raw lines (``bytes``, without the newline) in log order and adds each to
the :class:`~ops_schedule.stats.WindowStats` of the window it falls in. It allocates nothing per
event beyond what ``orjson`` and ``datetime.fromisoformat`` return: window and chart bucket are
found with one ``bisect`` over precomputed edges, and the counters live in preallocated lists.

Malformed lines (blank, not JSON, not UTF-8, not an object, missing or invalid ``timestamp`` or
``status``, or cut off) are skipped and counted:

* a line whose timestamp can be read counts for the window that timestamp falls in (and for no
  window when it falls outside all of them);
* a line without a readable timestamp counts for the window of the nearest earlier line, in
  reading order, whose timestamp could be read (none when that line lies outside every window);
  lines before the first such line count for the window of the first one after them, and when no
  line of the log has a readable timestamp they count for the last window.

A :class:`Partial` keeps what a chunk of the log cannot decide alone (lines before its first timed
line), so chunks read by different processes combine to exactly the result of one pass.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

import orjson

from ops_schedule.stats import CircuitState, CircuitTransition, FailureStats, McpStats, WindowStats

OUTSIDE: Final = -1  # "the last timed line fell in no window"
_BEFORE: Final = datetime.min.replace(tzinfo=UTC)
_AFTER: Final = datetime.max.replace(tzinfo=UTC)
_NEVER: Final = _AFTER  # an empty range: the first line always searches
_CIRCUIT_STATES: Final[frozenset[str]] = frozenset(("open", "half-open", "closed"))


@dataclass(frozen=True, slots=True)
class Plan:
    """Windows and chart buckets, flattened into sorted edges for one ``bisect`` per event."""

    windows: tuple[tuple[datetime, datetime], ...]  # aware, UTC
    bucket: timedelta
    edges: tuple[datetime, ...]
    # slot[i] describes [edges[i-1], edges[i]): (window index, bucket start) or None for a gap
    slots: tuple[tuple[int, datetime] | None, ...]

    @classmethod
    def build(cls, windows: Sequence[tuple[datetime, datetime]], bucket: timedelta) -> Plan:
        if bucket <= timedelta(0):
            raise ValueError(f"bucket must be positive, got {bucket}")
        utc = tuple((_as_utc(start), _as_utc(end)) for start, end in windows)
        for start, end in utc:
            if end < start:
                raise ValueError(f"window ends before it starts: [{start}, {end})")
        ordered = sorted(range(len(utc)), key=lambda i: utc[i][0])
        edges: list[datetime] = []
        slots: list[tuple[int, datetime] | None] = [None]
        for index in ordered:
            start, end = utc[index]
            if start == end:
                continue
            if edges and start < edges[-1]:
                raise ValueError("windows must not overlap")
            if edges and start > edges[-1]:
                slots.append(None)  # the gap between two windows
            if not edges or start > edges[-1]:
                edges.append(start)
            bucket_start = start
            while bucket_start < end:
                slots.append((index, bucket_start))
                bucket_start += bucket
                edges.append(min(bucket_start, end))
        slots.append(None)
        return cls(utc, bucket, tuple(edges), tuple(slots))

    @property
    def earliest(self) -> datetime | None:
        return self.edges[0] if self.edges else None

    @property
    def latest(self) -> datetime | None:
        return self.edges[-1] if self.edges else None

    def empty_stats(self) -> list[WindowStats]:
        stats = [WindowStats(start, end) for start, end in self.windows]
        for slot in self.slots:
            if slot is not None:
                stats[slot[0]].buckets[slot[1]] = [0, 0]
        return stats

    def window_of(self, at: datetime) -> int:
        slot = self.slots[bisect.bisect_right(self.edges, at)]
        return OUTSIDE if slot is None else slot[0]


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"window bounds must be aware datetimes, got {moment.isoformat()}")
    return moment.astimezone(UTC)


@dataclass(slots=True)
class Partial:
    """The statistics of one contiguous run of lines, plus what only its neighbours can settle."""

    stats: list[WindowStats]
    leading: int = 0  # untimed malformed lines before the first timed line
    first: int | None = None  # window of the first timed line (OUTSIDE for none), None: no line
    last: int | None = None  # window of the last timed line
    lines: int = 0  # lines read

    def absorb(self, later: Partial) -> None:
        """Append ``later``, which follows this run directly in reading order."""
        if later.leading:
            self._place_untimed(later.leading)
        for mine, theirs in zip(self.stats, later.stats, strict=True):
            mine.merge(theirs)
        if self.first is None:
            self.first = later.first
        if later.last is not None:
            self.last = later.last
        self.lines += later.lines

    def _place_untimed(self, count: int) -> None:
        if self.last is None:
            self.leading += count
        elif self.last != OUTSIDE:
            self.stats[self.last].malformed += count

    def finish(self) -> list[WindowStats]:
        """Settle lines before the first timed line; return the per-window statistics."""
        if self.leading:
            target = self.first if self.first is not None else len(self.stats) - 1
            if target != OUTSIDE and target >= 0:
                self.stats[target].malformed += self.leading
            self.leading = 0
        return self.stats


class Folder:
    """Adds lines to the statistics of a :class:`Plan`. One folder per contiguous run of lines.

    Counters live in flat lists indexed by chart slot and in one histogram per MCP whose key
    ``None`` counts calls without a duration; :meth:`result` turns them into ``WindowStats``.
    """

    def __init__(self, plan: Plan, *, after_outside: bool = False) -> None:
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
        self._circuit: list[dict[str, CircuitTransition]] = [{} for _ in range(count)]
        self._ends = [end for _, end in plan.windows]
        self.leading = 0
        self.first: int | None = OUTSIDE if after_outside else None
        self.last: int | None = self.first
        self.lines = 0

    def result(self) -> Partial:
        stats = self.plan.empty_stats()
        for index, slot in enumerate(self.plan.slots):
            if slot is not None:
                summary = stats[slot[0]]
                summary.events += self._events[index]
                summary.fail += self._fails[index]
                summary.buckets[slot[1]] = [self._events[index], self._fails[index]]
        for window, summary in enumerate(stats):
            summary.ok = summary.events - summary.fail
            summary.malformed = self._malformed[window]
            summary.failures = self._failures[window]
            summary.circuit = self._circuit[window]
            for name, calls in self._calls[window].items():
                mcp = McpStats(calls=sum(calls.values()), failures=self._mcp_fails[window][name])
                calls.pop(None, None)
                mcp.durations = Counter(cast("dict[float, int]", calls))
                summary.mcp[name] = mcp
            for name, opened in self._opened[window].items():
                summary.mcp.setdefault(name, McpStats()).circuit_open_count = opened
        return Partial(stats, self.leading, self.first, self.last, self.lines)

    def feed(self, lines: list[bytes]) -> None:  # noqa: C901, PLR0912, PLR0915 - the hot loop, kept flat on purpose
        # Every name used per line is a local; a line of the usual shape (in order, with Z or a
        # fixed offset, an MCP and an integer duration) takes no branch it does not need.
        loads = orjson.loads
        fromiso = datetime.fromisoformat
        find_slot = bisect.bisect_right
        utc = UTC
        edges = self.plan.edges
        edge_count = len(edges)
        window_of_slot = self._window_of_slot
        events_by_slot = self._events
        fails_by_slot = self._fails
        calls_by_window = self._calls
        malformed = self._malformed
        last = self.last
        untimed = 0
        current, low, high = 0, _NEVER, _NEVER  # the slot of the previous line: [low, high)
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
                at = at.astimezone(utc)
            if untimed:
                self._place_untimed(last, untimed)
                untimed = 0
            if low <= at < high:
                index = current
            else:
                index = current = find_slot(edges, at)
                low = edges[index - 1] if index else _BEFORE
                high = edges[index] if index < edge_count else _AFTER
            window = window_of_slot[index]
            if last is None:
                self.first = window
            last = window
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
            events_by_slot[index] += 1
            name = event.get("mcpName")
            if name.__class__ is str:
                calls = calls_by_window[window].get(name)
                if calls is None:
                    calls = calls_by_window[window][name] = {}
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
                fails_by_slot[index] += 1
                self._failure(window, event, at)
            metadata = event.get("metadata")
            if metadata is not None and metadata.__class__ is dict and "circuit" in metadata:
                self._transition(metadata, at, window)
        if untimed:
            self._place_untimed(last, untimed)
        self.last = last
        self.lines += len(lines)

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

    def _transition(self, metadata: dict[str, object], at: datetime, window: int) -> None:
        state, name = metadata.get("circuit"), metadata.get("mcp")
        if name.__class__ is not str or not name or state not in _CIRCUIT_STATES:
            return
        transition = CircuitTransition(at, cast("CircuitState", state))
        for index, end in enumerate(self._ends):
            if at <= end:
                current = self._circuit[index].get(name)
                if current is None or at >= current.at:
                    self._circuit[index][name] = transition
        if window != OUTSIDE and state == "open":
            self._opened[window][name] += 1

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
            if at.tzinfo is not None:
                self._transition(metadata, at.astimezone(UTC), OUTSIDE)
