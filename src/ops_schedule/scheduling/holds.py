"""Who holds a job's claim, since when, and when that hold counts as stale.

Pure: the caller reads the state, the clock and whether the holder's process lives, and hands
them in. The rules are in docs/design.md, "Exactly once".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ops_schedule.config import Config
from ops_schedule.config.values import format_duration
from ops_schedule.store.records import Running
from ops_schedule.timefmt import utc_iso

# What a run may take besides posting: reading the log and rendering the report.
RUN_ALLOWANCE = timedelta(hours=1)


def stale_after(config: Config) -> timedelta:
    """How long a run may hold its claim before the hold counts as stale: an hour for reading
    and rendering, plus the longest a post may retry (``github.maxRetrySeconds``)."""
    return RUN_ALLOWANCE + timedelta(seconds=config.github.max_retry_seconds)


@dataclass(frozen=True, slots=True)
class Hold:
    """A claim held by another process, as its ``running`` marker describes it."""

    period: str
    pid: int
    host: str
    since: datetime
    held_for: timedelta
    gone: bool  # the process that took the claim has died, yet the claim is still held
    limit: timedelta

    @property
    def stale(self) -> bool:
        return self.gone or self.held_for > self.limit

    @property
    def holder(self) -> str:
        return f"process {self.pid} on {self.host}" if self.host else f"process {self.pid}"

    def describe(self, claim_file: str) -> str:
        """One line for ``run`` and ``status``: who, since when, and what to do if stale."""
        at, held = utc_iso(self.since, "seconds"), format_duration(self.held_for)
        if self.gone:
            return (
                f"stale claim: {self.holder}, which started the run for {self.period} at {at} "
                f"({held} ago), is gone, but a process it left behind still holds {claim_file}; "
                f"find it with `fuser -v {claim_file}` and stop it"
            )
        if self.stale:
            return (
                f"stale claim: {self.holder} has held it since {at} ({held}), longer than a run "
                f"may take ({format_duration(self.limit)}); see what it is doing, or stop it"
            )
        return (
            f"another ops-schedule process is running it: {self.holder}, for {self.period}, "
            f"since {at} ({held})"
        )


def hold_of(running: Running, now: datetime, *, gone: bool, limit: timedelta) -> Hold:
    """The hold described by a ``running`` marker, seen at ``now``."""
    return Hold(
        period=running.period,
        pid=running.pid,
        host=running.host,
        since=running.started_at,
        held_for=max(now - running.started_at, timedelta(0)),  # a clock stepped back: 0
        gone=gone,
        limit=limit,
    )
