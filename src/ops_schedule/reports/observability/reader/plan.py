"""The windows of a report and their chart buckets, as sorted edges for one ``bisect`` per line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from ops_schedule.reports.observability.stats import WindowStats

OUTSIDE: Final = -1  # "in no window" (before, between or after them)


@dataclass(frozen=True, slots=True)
class Plan:
    """Windows and chart buckets, flattened into sorted edges for one ``bisect`` per event."""

    windows: tuple[tuple[datetime, datetime], ...]  # aware, UTC
    bucket: timedelta
    edges: tuple[datetime, ...]
    # slot[i] describes [edges[i-1], edges[i]): (window index, bucket start) or None for a gap
    slots: tuple[tuple[int, datetime] | None, ...]
    # Circuit transitions outside the windows count from here on (None: from any time).
    lookback: datetime | None = None
    # Outside the windows, circuit transitions are kept per bin, the last of each MCP in each:
    # per UTC hour when there are no bins; only inside a bin when there are (sorted, disjoint).
    bins: tuple[tuple[datetime, datetime], ...] = ()
    # Buckets start at each window's start, or (with an anchor) on the grid anchor + k·bucket,
    # the first one of each window cut short.
    anchor: datetime | None = None

    @classmethod
    def build(
        cls,
        windows: Sequence[tuple[datetime, datetime]],
        bucket: timedelta,
        *,
        lookback: datetime | None = None,
        bins: Sequence[tuple[datetime, datetime]] = (),
        anchor: datetime | None = None,
    ) -> Plan:
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
            for bucket_start, bucket_end in _buckets(start, end, bucket, anchor):
                slots.append((index, bucket_start))
                edges.append(bucket_end)
        slots.append(None)
        bound = None if lookback is None else _as_utc(lookback)
        ordered_bins = tuple(sorted((_as_utc(low), _as_utc(high)) for low, high in bins))
        grid = None if anchor is None else _as_utc(anchor)
        return cls(utc, bucket, tuple(edges), tuple(slots), bound, ordered_bins, grid)

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


def _buckets(
    start: datetime, end: datetime, bucket: timedelta, anchor: datetime | None
) -> Iterator[tuple[datetime, datetime]]:
    """The chart buckets of ``[start, end)``: from ``start``, or on ``anchor``'s grid."""
    at = start
    while at < end:
        after = at + bucket if anchor is None else anchor + ((at - anchor) // bucket + 1) * bucket
        yield at, min(after, end)
        at = after


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"window bounds must be aware datetimes, got {moment.isoformat()}")
    return moment.astimezone(UTC)
