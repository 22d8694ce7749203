"""The loop's heartbeat file and the health verdict drawn from it.

The loop writes ``<stateDir>/heartbeat.json`` when a tick starts and when it completes. ``health``
reads it: the service is healthy while the last completed tick is younger than three tick
intervals (or ``--max-age``). A tick that is still running (a long report, GitHub retries) keeps
the service healthy for up to ``busy_limit``; a tick stuck for longer than that is reported. A
heartbeat dated in the future (the clock was stepped back, or the file comes from another host)
proves nothing about the loop and counts as stale until the loop writes a new one.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard

from ops_schedule.fsutil import atomic_write_text, read_capped
from ops_schedule.jsonfile import load_json
from ops_schedule.processes import may_be_alive
from ops_schedule.timefmt import read_utc, utc_iso

HEARTBEAT_FILE_NAME = "heartbeat.json"
HEARTBEAT_FILE_LIMIT = 64 << 10  # bytes; a heartbeat is a few hundred (docs/operations.md)
HEARTBEAT_MAX_DEPTH = 4  # the heartbeat is one flat object
MAX_INTERVAL = 86_400.0  # seconds; `loop --interval` allows at most 3,600
PID_MAX = (1 << 31) - 1  # the largest pid_t
HEALTH_INTERVALS = 3
DEFAULT_BUSY_LIMIT = timedelta(hours=1)
FUTURE_SLACK = timedelta(seconds=5)  # how far ahead of the reader's clock a stamp may be


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What the loop says about itself. All times are aware UTC datetimes."""

    interval: float
    pid: int
    version: str
    host: str
    last_tick_at: datetime | None = None  # when the last tick completed
    tick_started_at: datetime | None = None  # set while a tick runs
    stopped_at: datetime | None = None  # set when the loop stopped cleanly
    last_error: str | None = None  # why the last tick failed, redacted; None when it did not
    ticks: int = 0

    @classmethod
    def starting(cls, interval: float, version: str) -> Heartbeat:
        return cls(interval=interval, pid=os.getpid(), version=version, host=socket.gethostname())

    def tick_started(self, at: datetime) -> Heartbeat:
        return replace(self, tick_started_at=at, stopped_at=None)

    def tick_completed(self, at: datetime) -> Heartbeat:
        return replace(
            self, last_tick_at=at, tick_started_at=None, last_error=None, ticks=self.ticks + 1
        )

    def tick_failed(self, error: str) -> Heartbeat:
        return replace(self, tick_started_at=None, last_error=error)

    def stopped(self, at: datetime) -> Heartbeat:
        return replace(self, tick_started_at=None, stopped_at=at)

    def to_json(self) -> dict[str, Any]:
        names = {
            "last_tick_at": "lastTickAt",
            "tick_started_at": "tickStartedAt",
            "stopped_at": "stoppedAt",
            "last_error": "lastError",
        }
        return {
            names.get(key, key): value.astimezone(UTC).isoformat()
            if isinstance(value, datetime)
            else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: object) -> Heartbeat:
        """Parse what :meth:`to_json` wrote; ``ValueError`` naming the field when it is not that.

        Every field is checked for what a loop writes, so that nothing in the file can make
        ``health`` fail in another way (docs/operations.md#health-check).
        """
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")  # noqa: TRY004 (a format error, not a type error)
        interval = data.get("interval")
        if not _is_number(interval) or not 0 < interval <= MAX_INTERVAL:
            raise ValueError(
                f"interval is not a number of seconds above 0, at most {MAX_INTERVAL:g}"
            )
        return cls(
            interval=float(interval),
            pid=_count("pid", data.get("pid"), low=1, high=PID_MAX),
            version=_text("version", data.get("version")),
            host=_text("host", data.get("host", "")),
            last_tick_at=_when("lastTickAt", data.get("lastTickAt")),
            tick_started_at=_when("tickStartedAt", data.get("tickStartedAt")),
            stopped_at=_when("stoppedAt", data.get("stoppedAt")),
            last_error=_optional_text("lastError", data.get("lastError")),
            ticks=_count("ticks", data.get("ticks", 0), low=0, high=sys.maxsize),
        )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(name: str, value: object, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} is not a whole number from {low} to {high}")
    return value


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")  # noqa: TRY004 (a format error)
    return value


def _optional_text(name: str, value: object) -> str | None:
    return None if value is None else _text(name, value)


def _when(name: str, value: object) -> datetime | None:
    if value is None:
        return None
    moment = read_utc(value)
    if moment is None:
        raise ValueError(f"{name} is not an ISO-8601 time with an offset, in years 2 to 9998")
    return moment


def heartbeat_path(state_dir: Path) -> Path:
    return state_dir / HEARTBEAT_FILE_NAME


def write_heartbeat(state_dir: Path, heartbeat: Heartbeat) -> None:
    atomic_write_text(heartbeat_path(state_dir), json.dumps(heartbeat.to_json(), indent=2) + "\n")


def read_heartbeat(state_dir: Path) -> Heartbeat | None:
    """The heartbeat, or None when there is none; ``ValueError`` when it is unreadable."""
    path = heartbeat_path(state_dir)
    try:
        data = read_capped(path, HEARTBEAT_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a FIFO, a device or a directory is refused unread
        raise ValueError(f"cannot read it: {exc.strerror}") from None
    try:
        return Heartbeat.from_json(load_json(data.decode("utf-8"), max_depth=HEARTBEAT_MAX_DEPTH))
    except ValueError as exc:  # not UTF-8, not JSON, too deep, or not what a loop writes
        raise ValueError(f"not a heartbeat file: {exc}") from None


@dataclass(frozen=True, slots=True)
class Health:
    healthy: bool
    reason: str


def judge(  # noqa: PLR0911 - a decision table reads best as early returns
    heartbeat: Heartbeat | None,
    now: datetime,
    *,
    max_age: float | None = None,
    busy_limit: timedelta = DEFAULT_BUSY_LIMIT,
    where: str = HEARTBEAT_FILE_NAME,
) -> Health:
    """Decide, from the heartbeat alone, whether the loop is alive and ticking."""
    if heartbeat is None:
        return Health(False, f"no heartbeat at {where}: is `ops-schedule loop` running?")
    if (ahead := _from_the_future(heartbeat, now)) is not None:
        return ahead
    limit = max_age if max_age is not None else HEALTH_INTERVALS * heartbeat.interval
    if heartbeat.stopped_at is not None:
        ago = _seconds(now - heartbeat.stopped_at)
        return Health(
            False, f"the loop stopped {ago} s ago (at {utc_iso(heartbeat.stopped_at, 'seconds')})"
        )
    if heartbeat.last_tick_at is not None:
        age = (now - heartbeat.last_tick_at).total_seconds()
        if age <= limit:
            return Health(True, f"ok: last tick {_seconds(age)} s ago (limit {_seconds(limit)} s)")
    started = heartbeat.tick_started_at
    if started is not None and may_be_alive(heartbeat.pid, heartbeat.host):
        running = (now - started).total_seconds()
        if running <= busy_limit.total_seconds():
            return Health(
                True,
                f"ok: a tick has been running for {_seconds(running)} s "
                f"(limit {_seconds(busy_limit.total_seconds())} s)",
            )
        return Health(
            False,
            f"stuck tick: a tick has been running for {_seconds(running)} s "
            f"(limit {_seconds(busy_limit.total_seconds())} s)",
        )
    if heartbeat.last_tick_at is None:
        reason = "no tick has completed yet"
    else:
        age = (now - heartbeat.last_tick_at).total_seconds()
        reason = f"stale heartbeat: last tick {_seconds(age)} s ago (limit {_seconds(limit)} s)"
    if heartbeat.last_error:
        reason += f"; last tick failed: {heartbeat.last_error}"
    return Health(False, reason)


def _from_the_future(heartbeat: Heartbeat, now: datetime) -> Health | None:
    stamps = (heartbeat.last_tick_at, heartbeat.tick_started_at, heartbeat.stopped_at)
    latest = max((stamp for stamp in stamps if stamp is not None), default=None)
    if latest is None or latest - now <= FUTURE_SLACK:
        return None
    return Health(
        False,
        f"heartbeat from the future: written at {utc_iso(latest, 'seconds')}, "
        f"{_seconds(latest - now)} s ahead of this host's clock (a clock stepped back, or a "
        "file from another host); stale until the loop writes a new one",
    )


def _seconds(value: float | timedelta) -> str:
    # Whole seconds, rounded down: "5 s ago" until a full sixth second has passed.
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    return str(math.floor(seconds))
