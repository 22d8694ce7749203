"""The store contract: what the runner, ``status`` and ``loop`` need from a state store.

Two stores keep it (docs/design.md, "Stores"): the file store (``schedule-state.json`` and
``flock`` claims, one host) and the PostgreSQL store (leases on the database clock and a fencing
token, any number of hosts). The runner sees only this module:

    with store.claim(job, now) as claim:      # Claim, or Busy when another process holds it
        record = claim.record                  # the job's record, read under the claim
        claim.save(record.started(...), now)   # fenced: refused once the claim is lost
        ...                                    # the run; the store renews the claim meanwhile
        claim.renew()                          # a safe point: before posting, raises ClaimLostError
        claim.save(record.finished(...), at)
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ops_schedule.store.records import JobRecord
from ops_schedule.timefmt import utc_iso


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a job's claim, as far as the store knows."""

    host: str
    pid: int
    since: datetime
    until: datetime | None = None  # end of the lease (store's clock); None: while the process lives
    gone: bool = False  # its process died, yet something it left behind still holds the claim
    where: str | None = None  # what holds the claim, for an operator to look at (a lock file)
    held_for: timedelta | None = None  # on the store's clock; None: reckon it from ``since``

    def seen_at(self, now: datetime) -> datetime:
        """The moment this holder was seen, on the clock ``since`` was taken with: a lease's
        age comes from the database, so a host's skewed clock cannot make a hold look stale."""
        return self.since + self.held_for if self.held_for is not None else now

    def describe(self) -> str:
        where = f"process {self.pid} on {self.host}" if self.host else f"process {self.pid}"
        text = f"{where} since {utc_iso(self.since, 'seconds')}"
        if self.until is not None:
            text += f", lease until {utc_iso(self.until, 'seconds')}"
        return text


@dataclass(frozen=True, slots=True)
class Busy:
    """The claim is held by another process: the job's record as it stands, and who holds the
    claim when the store can tell."""

    record: JobRecord
    holder: Holder | None = None


@dataclass(frozen=True, slots=True)
class StoreView:
    """What ``status``, the loop's metrics and its next wake read: every job's record and the
    claims held now."""

    kind: str  # "file" or "postgresql"
    location: str  # a path, or a URL without its password
    records: Mapping[str, JobRecord] = field(default_factory=dict)
    holders: Mapping[str, Holder] = field(default_factory=dict)
    lease_seconds: float | None = None  # None: claims live as long as their process

    def record(self, job: str) -> JobRecord:
        return self.records.get(job) or JobRecord(job_name=job)


class Claim(Protocol):
    """A job's claim, held by this process for one run."""

    @property
    def record(self) -> JobRecord:
        """The job's record as read when the claim was taken."""
        ...

    @property
    def token(self) -> int:
        """The fencing token: a number that grows with every claim of the job."""
        ...

    def renew(self) -> None:
        """Extend the claim (and check it is still ours); raises ``ClaimLostError`` if not."""
        ...

    def save(self, record: JobRecord, at: datetime) -> None:
        """Write the job's record while the claim is ours; raises ``ClaimLostError`` if not."""
        ...


class StateStore(Protocol):
    """Job records and claims, in one place for every runner that shares them."""

    @property
    def location(self) -> str:
        """Where the state lives, fit to show (a URL never carries its password)."""
        ...

    def claim(self, job: str, now: datetime) -> AbstractContextManager[Claim | Busy]:
        """Take the claim on ``job`` for the ``with`` block, or yield ``Busy``.

        Raises ``StoreUnavailableError`` when the store cannot be reached: nothing runs unclaimed.
        """
        ...

    def view(self, now: datetime) -> StoreView:
        """Every job's record and the claims held now."""
        ...

    def check(self) -> None:
        """Raise ``StoreUnavailableError`` unless the store answers (for ``health``)."""
        ...

    def close(self) -> None:
        """Release connections and files; the store may not be used afterwards."""
        ...
