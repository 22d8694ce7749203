"""The file store: job records in ``schedule-state.json``, atomic writes, OS-level locks.

The default store, for one host (docs/design.md, "State" and "Stores").

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
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ops_schedule.errors import StateError, StoreUnavailableError
from ops_schedule.fsutil import (
    FileTooLargeError,
    atomic_write_text,
    read_capped,
    remove_stale_temp_files,
    temp_pattern,
)
from ops_schedule.processes import may_be_alive
from ops_schedule.store.base import Busy, Claim, Holder, StoreView
from ops_schedule.store.records import JobRecord, Running, State, parse_state

log = logging.getLogger(__name__)

STATE_FILE = "schedule-state.json"
# A claim held although the process in the marker is gone may be a new holder that has not yet
# replaced the marker of a killed one: look again after this long (seconds) before saying so.
RECHECK_GONE_HOLDER = 0.2
STATE_FILE_LIMIT = 16 << 20  # bytes; a state file is a few KiB (docs/design.md#state)

# The lock descriptors this process holds open; a forked child closes its copies at once.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)  # closes the child's copy only; the parent's lock stays held
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


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

    @property
    def location(self) -> str:
        return str(self.path)

    @contextlib.contextmanager
    def claim(self, job: str, now: datetime) -> Iterator[Claim | Busy]:
        """Hold the claim on ``job`` for the block; yields ``Busy`` if another process holds it."""
        try:
            self._claims.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unusable(exc) from None
        with _lock_file(self.claim_path(job), self._unusable) as fd:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield self._busy(job, now)
            else:
                yield FileClaim(self, self.load(now).job(job))

    def view(self, now: datetime) -> StoreView:
        records = self.load(now).jobs
        holders = {}
        for name, record in records.items():
            if record.running is None:
                continue
            alive = process_alive(record.running)
            if alive or self.claim_held(name):  # or a process it left behind holds the lock
                holders[name] = self._holder(name, record.running, gone=not alive)
        return StoreView("file", self.location, records, holders)

    def check(self) -> None:
        """The state directory must be usable (or creatable): ``loop`` keeps its heartbeat there
        too."""
        directory = self.state_dir
        while not directory.exists() and directory != directory.parent:
            directory = directory.parent
        if not (directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)):
            raise StoreUnavailableError(
                f"cannot use the state directory {self.state_dir}: it is missing or not "
                "writable (config: stateDir)"
            )

    def close(self) -> None:
        """Nothing to release: every lock lives only as long as its ``with`` block."""

    def _busy(self, job: str, now: datetime) -> Busy:
        """Who holds the claim, as the ``running`` marker tells (docs/design.md, "Exactly
        once")."""
        record = self.load(now).job(job)
        if record.running is not None and not process_alive(record.running):
            time.sleep(RECHECK_GONE_HOLDER)
            record = self.load(now).job(job)
        if record.running is None:
            return Busy(record)
        gone = not process_alive(record.running)
        return Busy(record, self._holder(job, record.running, gone=gone))

    def _holder(self, job: str, running: Running, *, gone: bool) -> Holder:
        where = str(self.claim_path(job))
        return Holder(running.host, running.pid, running.started_at, gone=gone, where=where)

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
            text = read_capped(self.path, STATE_FILE_LIMIT).decode("utf-8")
        except FileNotFoundError:
            return State()
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 ({exc.reason})"
        except FileTooLargeError as exc:  # no state this program writes is that large
            problem = str(exc)
        except OSError as exc:  # a FIFO or a directory is no state file: left where it is
            raise StateError(f"cannot read {self.path}: {exc.strerror}") from None
        else:
            try:
                return parse_state(text, str(self.path))
            except ValueError as exc:  # JSONDecodeError and JsonLimitError are ValueErrors
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


class FileClaim:
    """A claim held through a kernel lock: it cannot pass to another process while this one
    lives, so renewing is a no-op and every save is this holder's (fencing token 0)."""

    token = 0

    def __init__(self, store: JsonStateStore, record: JobRecord) -> None:
        self._store = store
        self.record = record

    def renew(self) -> None:
        """The kernel lock needs no renewal."""

    def save(self, record: JobRecord, at: datetime) -> None:
        with self._store.transaction(at) as txn:
            txn.put(record)


def process_alive(running: Running) -> bool:
    """Whether the process that wrote ``running`` may still be running it.

    Only a process on this host can be checked; one elsewhere (a shared volume) is assumed
    alive. A dead one's attempt is recorded as interrupted by the next run that claims the job.
    """
    return may_be_alive(running.pid, running.host)
