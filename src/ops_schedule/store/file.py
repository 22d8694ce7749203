"""Persisted job state: seed-compatible JSON, atomic writes, OS-level locks.

Two kinds of lock, both ``fcntl.flock`` so the kernel drops them when a process dies:

* the *state lock* (``schedule-state.json.lock``) guards each read-modify-write of the file;
  it is held for milliseconds;
* a *claim* (``claims/<job>.lock``) is held for the whole run of a job. Whoever holds it is
  the only process running that job; a process killed with SIGKILL releases it at once, and
  the ``running`` marker it left in the file tells the next holder an attempt was cut short.

A ``flock`` lock belongs to the open file, not to the process: a child made by ``fork`` (the log
readers) shares it, and the lock lives until the last copy is closed. So every child closes its
copies of the lock descriptors the moment it is forked (``os.register_at_fork``), and the lock
dies with the process that took it (docs/design.md, "Exactly once").
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ops_schedule.errors import StateError
from ops_schedule.fsutil import atomic_write_text, remove_stale_temp_files, temp_pattern
from ops_schedule.processes import may_be_alive
from ops_schedule.scheduling.rules import recent_done_periods
from ops_schedule.timefmt import utc_iso

log = logging.getLogger(__name__)

STATE_VERSION = 1
STATE_FILE = "schedule-state.json"

# The lock descriptors this process holds open; a forked child closes its copies at once.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)  # closes the child's copy only; the parent's lock stays held
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)

RunStatus = Literal["ok", "fail", "skipped"]


def _iso(value: datetime | None) -> str | None:
    return utc_iso(value) if value is not None else None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Running:
    """An attempt in flight: written when a run is claimed, cleared when it is recorded."""

    period: str
    started_at: datetime
    pid: int
    host: str

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "startedAt": _iso(self.started_at),
            "pid": self.pid,
            "host": self.host,
        }

    @classmethod
    def from_json(cls, raw: object) -> Running | None:
        if not isinstance(raw, dict):
            return None
        started = _parse_time(raw.get("startedAt"))
        if started is None or not isinstance(raw.get("period"), str):
            return None
        pid = _non_negative_int(raw.get("pid"))  # a hand-edited pid must not stop every load
        return cls(raw["period"], started, pid, str(raw.get("host") or ""))


_KNOWN = frozenset(
    (
        "jobName", "lastRunAt", "lastStatus", "consecutiveFailures", "runCount", "lastError",
        "lastPeriod", "lastSuccessAt", "donePeriods", "lastSummary", "lastCommentUrl",
        "lastArchive", "lastDurationSeconds", "running",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What is remembered about one job. Field names in the file follow the seed."""

    job_name: str
    last_run_at: datetime | None = None
    last_status: RunStatus | None = None
    consecutive_failures: int = 0
    run_count: int = 0
    last_error: str | None = None
    last_period: str | None = None
    last_success_at: datetime | None = None
    # Periods with an ok or skipped run, in the order done; kept for DONE_RETENTION (400 days).
    done_periods: tuple[str, ...] = ()
    last_summary: str | None = None
    last_comment_url: str | None = None
    last_archive: str | None = None
    last_duration_seconds: float | None = None
    running: Running | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown fields, kept on save

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            {
                "jobName": self.job_name,
                "lastRunAt": _iso(self.last_run_at),
                "lastStatus": self.last_status,
                "consecutiveFailures": self.consecutive_failures,
                "runCount": self.run_count,
                "lastError": self.last_error,
                "lastPeriod": self.last_period,
                "lastSuccessAt": _iso(self.last_success_at),
                "donePeriods": list(self.done_periods),
                "lastSummary": self.last_summary,
                "lastCommentUrl": self.last_comment_url,
                "lastArchive": self.last_archive,
                "lastDurationSeconds": self.last_duration_seconds,
                "running": self.running.to_json() if self.running else None,
            }
        )
        return out

    @classmethod
    def from_json(cls, name: str, raw: Mapping[str, Any]) -> JobRecord:
        status = raw.get("lastStatus")
        done = raw.get("donePeriods")
        duration = raw.get("lastDurationSeconds")
        return cls(
            job_name=name,
            last_run_at=_parse_time(raw.get("lastRunAt")),
            last_status=status if status in ("ok", "fail", "skipped") else None,
            consecutive_failures=_non_negative_int(raw.get("consecutiveFailures")),
            run_count=_non_negative_int(raw.get("runCount")),
            last_error=_str_or_none(raw.get("lastError")),
            last_period=_str_or_none(raw.get("lastPeriod")),
            last_success_at=_parse_time(raw.get("lastSuccessAt")),
            done_periods=tuple(p for p in done if isinstance(p, str))
            if isinstance(done, list)
            else (),
            last_summary=_str_or_none(raw.get("lastSummary")),
            last_comment_url=_str_or_none(raw.get("lastCommentUrl")),
            last_archive=_str_or_none(raw.get("lastArchive")),
            last_duration_seconds=float(duration) if isinstance(duration, int | float) else None,
            running=Running.from_json(raw.get("running")),
            extra={k: v for k, v in raw.items() if k not in _KNOWN},
        )

    def started(self, running: Running) -> JobRecord:
        return replace(self, running=running)

    def finished(
        self,
        *,
        period: str,
        status: RunStatus,
        at: datetime,
        error: str | None = None,
        summary: str | None = None,
        comment_url: str | None = None,
        archive: str | None = None,
        duration_seconds: float | None = None,
    ) -> JobRecord:
        """The record after an attempt for ``period`` ended with ``status``."""
        succeeded = status != "fail"
        done = self.done_periods
        if succeeded and period not in done:
            done = recent_done_periods((*done, period))
        return replace(
            self,
            last_run_at=at,
            last_status=status,
            consecutive_failures=0 if succeeded else self.consecutive_failures + 1,
            run_count=self.run_count + 1,
            last_error=error,
            last_period=period,
            last_success_at=at if succeeded else self.last_success_at,
            done_periods=done,
            last_summary=summary if succeeded else self.last_summary,
            last_comment_url=comment_url or (None if succeeded else self.last_comment_url),
            last_archive=archive or (None if succeeded else self.last_archive),
            last_duration_seconds=duration_seconds,
            running=None,
        )

    def interrupted(self) -> JobRecord:
        """Record the attempt whose process died while holding the claim as a failure."""
        if self.running is None:
            return self
        run = self.running
        where = f"process {run.pid} on {run.host}" if run.host else f"process {run.pid}"
        return self.finished(
            period=run.period,
            status="fail",
            at=run.started_at,  # the retry backoff counts from when the lost attempt began
            error=f"interrupted: {where} stopped during the run started at {_iso(run.started_at)}",
        )


def _non_negative_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class State:
    version: int = STATE_VERSION
    updated_at: datetime | None = None
    jobs: Mapping[str, JobRecord] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def job(self, name: str) -> JobRecord:
        return self.jobs.get(name) or JobRecord(job_name=name)

    def to_json(self, updated_at: datetime) -> dict[str, Any]:
        return {
            **self.extra,
            "version": STATE_VERSION,
            "updatedAt": _iso(updated_at),
            "jobs": {name: record.to_json() for name, record in sorted(self.jobs.items())},
        }


def parse_state(text: str, source: str) -> State:
    """Decode the state file. Raises ``ValueError`` when it is not a state document at all,
    ``StateError`` when it is one from an incompatible version."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("the top level is not a JSON object")  # noqa: TRY004 - means corrupt
    version = raw.get("version", STATE_VERSION)  # the seed's files carry no version
    if version != STATE_VERSION:
        raise StateError(
            f"{source} has state version {version!r}; this ops-schedule understands version "
            f"{STATE_VERSION}. Upgrade ops-schedule, or move the file aside to start afresh."
        )
    jobs_raw = raw.get("jobs", {})
    if not isinstance(jobs_raw, dict):
        raise ValueError("'jobs' is not a JSON object")  # noqa: TRY004 - means corrupt
    jobs = {
        name: JobRecord.from_json(name, record)
        for name, record in jobs_raw.items()
        if isinstance(record, dict)
    }
    extra = {k: v for k, v in raw.items() if k not in ("version", "updatedAt", "jobs")}
    return State(STATE_VERSION, _parse_time(raw.get("updatedAt")), jobs, extra)


class Transaction:
    """A state read under the lock; changes are saved when the ``with`` block ends."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._jobs = dict(state.jobs)
        self.changed = False

    def job(self, name: str) -> JobRecord:
        return self._jobs.get(name) or JobRecord(job_name=name)

    def put(self, record: JobRecord) -> None:
        if self._jobs.get(record.job_name) != record:
            self._jobs[record.job_name] = record
            self.changed = True

    def result(self) -> State:
        return replace(self.state, jobs=self._jobs)


class JsonStateStore:
    """State in ``<state_dir>/schedule-state.json``."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / STATE_FILE
        self._lock_path = state_dir / f"{STATE_FILE}.lock"
        self._claims = state_dir / "claims"

    def load(self, now: datetime) -> State:
        """Read the state; an unreadable file is moved aside (under the lock) and replaced by
        a fresh state, with a warning. Never raises for a corrupt file."""
        state = self._read(now, move_corrupt=False)
        if state is not None:
            return state
        with self._locked():
            return self._read(now, move_corrupt=True) or State()

    @contextlib.contextmanager
    def transaction(self, now: datetime) -> Iterator[Transaction]:
        """Read-modify-write under the state lock; saved atomically on a normal exit."""
        with self._locked():
            txn = Transaction(self._read(now, move_corrupt=True) or State())
            yield txn
            if txn.changed:
                self._save(txn.result(), now)

    def claim_path(self, job: str) -> Path:
        return self._claims / f"{job}.lock"

    @contextlib.contextmanager
    def claim(self, job: str) -> Iterator[bool]:
        """Hold the claim on ``job`` for the block; yields False if another process holds it."""
        try:
            self._claims.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unusable(exc) from None
        with _lock_file(self.claim_path(job), self._unusable) as fd:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True

    def claim_held(self, job: str) -> bool:
        """Whether some process holds the claim on ``job`` now (a probe for ``status``).

        The probe takes a shared lock for an instant; a run that tries to claim the job in that
        instant is told it is busy and runs at its next tick.
        """
        try:
            fd = os.open(self.claim_path(job), os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return False  # never claimed, or unreadable: nothing to report
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unusable(exc) from None
        with _lock_file(self._lock_path, self._unusable) as fd:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield

    def _unusable(self, exc: OSError) -> StateError:
        return StateError(
            f"cannot use the state directory {self.state_dir}: {exc.strerror}; check that it "
            "exists and is writable (config: stateDir)"
        )

    def _read(self, now: datetime, *, move_corrupt: bool) -> State | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State()
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 ({exc.reason})"
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc.strerror}") from None
        else:
            try:
                return parse_state(text, str(self.path))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                problem = str(exc)
        if not move_corrupt:
            return None
        aside = self._aside_path(now)
        self.path.replace(aside)
        log.warning(
            "state file %s could not be read (%s); moved it to %s and started from a fresh state",
            self.path,
            problem,
            aside.name,
        )
        return State()

    def _aside_path(self, now: datetime) -> Path:
        """A name for a corrupt copy that no earlier copy has (one tick passes one ``now``
        to several reads, and a rename would silently replace an earlier copy)."""
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{STATE_FILE}.corrupt-{stamp}")
        number = 1
        while aside.exists():  # under the state lock: no other store is choosing a name
            number += 1
            aside = self.path.with_name(f"{STATE_FILE}.corrupt-{stamp}-{number}")
        return aside

    def _save(self, state: State, now: datetime) -> None:
        self._remove_stale_temp_files()
        text = json.dumps(state.to_json(now), indent=2, ensure_ascii=False) + "\n"
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise StateError(f"cannot write {self.path}: {exc.strerror}") from None

    def _remove_stale_temp_files(self) -> None:
        # Called under the state lock: every save holds it, so none is in flight now.
        remove_stale_temp_files(self.state_dir, [temp_pattern(STATE_FILE)])


@contextlib.contextmanager
def _lock_file(path: Path, unusable: Callable[[OSError], StateError]) -> Iterator[int]:
    """An open descriptor of the lock file ``path``, closed (dropping any lock) after the block.

    Only the process that opened it closes it: a forked child has already closed its copy, and
    the number may name another file there by now.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise unusable(exc) from None
    owner = os.getpid()
    _HELD.add(fd)
    try:
        yield fd
    finally:
        if os.getpid() == owner:
            _HELD.discard(fd)
            os.close(fd)  # the last copy: the kernel drops the lock


def process_alive(running: Running) -> bool:
    """Whether the process that wrote ``running`` may still be running it.

    Only a process on this host can be checked; one elsewhere (a shared volume) is assumed
    alive. A dead one's attempt is recorded as interrupted by the next run that claims the job.
    """
    return may_be_alive(running.pid, running.host)
