"""When is a job due? Pure functions of ``now`` and data; nothing here reads the clock.

DST policy, in one place:

* A job's period is a local calendar day (daily) or a local ISO week, Monday to Sunday
  (weekly), in the configured zone.
* Its scheduled instant is the local ``at`` time (on ``dow`` for weekly jobs) in that period.
  When that local time does not exist (the clocks jump forward over it) the job runs at the
  first instant after the gap, e.g. 03:00 EDT for a 02:30 job in New York on the spring-forward
  day. When it occurs twice (the clocks fall back) the job runs at the first occurrence. Either
  way a period has exactly one scheduled instant: a job is never skipped by a gap and never
  runs twice because of a fold.

Local wall times are turned into UTC at once: adding a timedelta to an aware local datetime
goes wrong across DST, adding it to a UTC one does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ops_schedule.configfile import Cadence, Weekday


class JobTimes(Protocol):
    """What the rules read of a job's configuration (``config.JobConfig`` has it, and so has
    the schedule a quiet ``run`` reads without the validator: ``scheduling.view``)."""

    @property
    def cadence(self) -> Cadence: ...

    @property
    def time_of_day(self) -> time: ...

    @property
    def weekday(self) -> Weekday: ...


MAX_BACKOFF = timedelta(minutes=60)
FLAG_AFTER_FAILURES = 3
# Done periods are remembered for this long before the newest one; older periods count as done
# without being listed, so a clock stepped back by any amount reruns nothing that was done.
DONE_RETENTION = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Slot:
    """One period of a job and the instant it is scheduled to run."""

    period_key: str
    scheduled: datetime  # aware, UTC


class PeriodState(StrEnum):
    """Where the current period of a job stands (shown by ``status``)."""

    DISABLED = "disabled"
    WAITING = "waiting"  # the period's instant has not come yet
    DUE = "due"
    DONE = "done"
    RETRYING = "retrying"  # failed; the next attempt waits for its backoff
    MISSED = "missed"  # the grace window closed without a successful run


def period_key(cadence: Cadence, local_day: date) -> str:
    """``2026-11-26`` for a daily period, ``2026-W48`` for the ISO week that holds the day."""
    if cadence == "daily":
        return local_day.isoformat()
    iso = local_day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def period_day(key: str) -> date | None:
    """The first local day of the period ``key`` names (``2026-11-26``, ``2026-W48``), or None
    for a key that names no period (a hand-edited state file)."""
    try:
        if "-W" in key:
            year, week = key.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        return date.fromisoformat(key)
    except ValueError:
        return None


def done_horizon(done: Iterable[str]) -> date | None:
    """``DONE_RETENTION`` before the newest done period: periods before it count as done."""
    days = [day for key in done if (day := period_day(key)) is not None]
    return max(days) - DONE_RETENTION if days else None


def recent_done_periods(done: tuple[str, ...]) -> tuple[str, ...]:
    """``done`` without the periods that start before its horizon (:func:`done_horizon`).

    Kept by date, not by count: whatever the cadence, every period of the last 400 days stays.
    Keys that name no period are kept (they are never added, so they cannot pile up).
    """
    horizon = done_horizon(done)
    if horizon is None:
        return done
    return tuple(key for key in done if (day := period_day(key)) is None or day >= horizon)


def period_key_at(cadence: Cadence, instant: datetime, zone: ZoneInfo) -> str:
    """The period key of the period that contains ``instant``."""
    return period_key(cadence, instant.astimezone(zone).date())


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``day`` ``at`` under the module's DST policy."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    # A wall time that does not survive a round trip through UTC lies in a gap.
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)  # fold=0 is the first occurrence of an ambiguous time
    return _end_of_gap(naive, zone)


def _end_of_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that ends the gap holding ``naive``: the first valid instant."""
    # Read with the offset after the gap the wall time maps to an instant before the
    # transition; with the offset before it, to one after. The transition lies between.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _slot_for_day(job: JobTimes, zone: ZoneInfo, local_day: date) -> Slot:
    """The slot of the period that contains ``local_day``."""
    if job.cadence == "daily":
        day = local_day
    else:
        iso = local_day.isocalendar()
        day = date.fromisocalendar(iso.year, iso.week, job.weekday.iso)
    return Slot(period_key(job.cadence, day), local_to_utc(day, job.time_of_day, zone))


def _step(job: JobTimes) -> timedelta:
    return timedelta(days=1 if job.cadence == "daily" else 7)


def latest_slot(job: JobTimes, zone: ZoneInfo, now: datetime) -> Slot:
    """The latest slot scheduled at or before ``now`` (this period's or the previous one)."""
    today = now.astimezone(zone).date()
    slot = _slot_for_day(job, zone, today)
    if slot.scheduled > now:
        slot = _slot_for_day(job, zone, today - _step(job))
    return slot


def next_slot(job: JobTimes, zone: ZoneInfo, now: datetime) -> Slot:
    """The earliest slot scheduled strictly after ``now``."""
    today = now.astimezone(zone).date()
    slot = _slot_for_day(job, zone, today)
    if slot.scheduled <= now:
        slot = _slot_for_day(job, zone, today + _step(job))
    return slot


def next_scheduled(job: JobTimes, zone: ZoneInfo, now: datetime) -> datetime:
    """The earliest scheduled instant strictly after ``now`` (UTC)."""
    return next_slot(job, zone, now).scheduled


def current_slot(job: JobTimes, zone: ZoneInfo, now: datetime) -> Slot:
    """The slot of the period that contains ``now`` (its instant may still be ahead)."""
    return _slot_for_day(job, zone, now.astimezone(zone).date())


def window_start(job: JobTimes, zone: ZoneInfo, end: datetime) -> datetime:
    """Where the report window that ends at ``end`` starts (docs/design.md, "Report windows").

    A window that ends at a period's scheduled instant starts at the previous period's
    scheduled instant, so consecutive windows meet exactly whatever DST does between them (a
    daily window is then 23 or 25 hours long, a weekly one 167 or 169). Any other end (an early
    manual run, ``report --at``) starts at the same local time one period earlier, under the
    same DST policy.
    """
    local = end.astimezone(zone)
    slot = _slot_for_day(job, zone, local.date())
    if slot.scheduled == end:
        return _slot_for_day(job, zone, local.date() - _step(job)).scheduled
    return local_to_utc(local.date() - _step(job), local.time().replace(tzinfo=None), zone)


def backoff(consecutive_failures: int) -> timedelta:
    """Wait before retry number ``n``: 1, 2, 4, … minutes, capped at 60."""
    if consecutive_failures <= 0:
        return timedelta(0)
    return min(MAX_BACKOFF, timedelta(minutes=2 ** min(consecutive_failures - 1, 16)))


@dataclass(frozen=True, slots=True)
class History:
    """What the due rule needs to know about a job's past runs."""

    done_periods: frozenset[str] = frozenset()  # periods with a successful (or skipped) run
    done_before: date | None = None  # periods that start before this day count as done too
    last_attempt_period: str | None = None
    last_attempt_at: datetime | None = None  # when the last attempt ended (or was claimed)
    consecutive_failures: int = 0
    last_failed: bool = False

    def is_done(self, key: str) -> bool:
        if key in self.done_periods:
            return True
        day = period_day(key)
        return self.done_before is not None and day is not None and day < self.done_before


@dataclass(frozen=True, slots=True)
class Decision:
    slot: Slot
    state: PeriodState
    retry_at: datetime | None = None  # when RETRYING

    @property
    def due(self) -> bool:
        return self.state is PeriodState.DUE


def decide(  # noqa: PLR0911 - a decision table reads best as early returns
    job: JobTimes,
    zone: ZoneInfo,
    grace: timedelta,
    history: History,
    now: datetime,
    *,
    active: bool = True,
) -> Decision:
    """The due rule (docs/design.md, "When a job is due") for the latest slot at or before ``now``.

    Due when the job is active, that slot's period has no successful run, ``now`` is within
    the grace after the slot, and no retry backoff is pending. Only the latest slot is ever
    considered, so a runner that was down for several periods runs at most once.
    """
    slot = latest_slot(job, zone, now)
    current = current_slot(job, zone, now)
    done = history.is_done
    if done(slot.period_key):
        # Done; the current period's instant may still be ahead (or it was run by hand).
        if done(current.period_key):
            return Decision(current, PeriodState.DONE)
        return Decision(current, PeriodState.WAITING if active else PeriodState.DISABLED)
    if not active:
        return Decision(slot, PeriodState.DISABLED)
    if now - slot.scheduled > grace:
        if done(current.period_key):  # run by hand before its instant
            return Decision(current, PeriodState.DONE)
        return Decision(slot, PeriodState.MISSED)
    if (
        history.last_failed
        and history.last_attempt_period == slot.period_key
        and history.last_attempt_at is not None
    ):
        retry_at = history.last_attempt_at + backoff(history.consecutive_failures)
        if now < retry_at:
            if retry_at - slot.scheduled > grace:
                return Decision(slot, PeriodState.MISSED)
            return Decision(slot, PeriodState.RETRYING, retry_at)
    return Decision(slot, PeriodState.DUE)
