"""Job records and claims in PostgreSQL, for any number of hosts (docs/design.md, "Stores").

A claim is a lease: a row in ``ops_schedule_claims`` whose ``expires_at`` is reckoned on the
database's clock, so the hosts' own clocks play no part in who holds it. Taking a claim is one
upsert that succeeds only when the row is free (released, or its lease ran out); it adds one to
the row's ``token``. While the run lives a thread renews the lease every third of its length.
Every write of the job's record names the token it was claimed with, under a share lock on the
claim row: once another process took the claim over, the old holder's writes change nothing.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from ops_schedule.errors import ClaimLostError, StateError
from ops_schedule.processes import this_process
from ops_schedule.store.base import Busy, Claim, Holder, StoreView
from ops_schedule.store.postgres.connection import Connection
from ops_schedule.store.postgres.schema import ensure_schema
from ops_schedule.store.records import JobRecord
from ops_schedule.store.renewal import Renewal
from ops_schedule.store.url import StoreUrl

log = logging.getLogger(__name__)

# Free when released or expired; the same owner may repeat its own request (an answer lost on
# a broken connection) and gets the claim it already has, with the same token.
_ACQUIRE = """
INSERT INTO ops_schedule_claims AS c
    (job, token, owner, host, pid, acquired_at, renewed_at, expires_at)
VALUES (%(job)s, 1, %(owner)s, %(host)s, %(pid)s, now(), now(),
        now() + %(lease)s * interval '1 second')
ON CONFLICT (job) DO UPDATE SET
    token = CASE WHEN c.owner = excluded.owner THEN c.token ELSE c.token + 1 END,
    acquired_at = CASE WHEN c.owner = excluded.owner THEN c.acquired_at
                       ELSE excluded.acquired_at END,
    owner = excluded.owner, host = excluded.host, pid = excluded.pid,
    renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
WHERE c.expires_at <= now() OR c.owner = excluded.owner
RETURNING token
"""
_HOLDER = """
SELECT host, pid, acquired_at, expires_at, now() - acquired_at FROM ops_schedule_claims
WHERE job = %(job)s AND expires_at > now()
"""
_RECORD = "SELECT record FROM ops_schedule_jobs WHERE job = %(job)s"
# Who holds a busy claim, and the job's record as it stands, in one answer.
_BUSY = """
SELECT c.host, c.pid, c.acquired_at, c.expires_at, now() - c.acquired_at, j.record
FROM (SELECT %(job)s::text AS job) wanted
LEFT JOIN ops_schedule_claims c ON c.job = wanted.job AND c.expires_at > now()
LEFT JOIN ops_schedule_jobs j ON j.job = wanted.job
"""
_RENEW = """
UPDATE ops_schedule_claims
SET renewed_at = now(), expires_at = now() + %(lease)s * interval '1 second'
WHERE job = %(job)s AND token = %(token)s AND owner = %(owner)s
RETURNING expires_at
"""
# The share lock on the claim row makes the check and the write one step: a takeover (an
# update of that row) waits for this write, or this write sees the new token and does nothing.
_HELD_AND_SAVED = """
WITH held AS (
    SELECT job FROM ops_schedule_claims
    WHERE job = %(job)s AND token = %(token)s AND owner = %(owner)s
    FOR SHARE
), saved AS (
    INSERT INTO ops_schedule_jobs (job, record, updated_at)
    SELECT job, %(record)s, now() FROM held
    ON CONFLICT (job) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at
    RETURNING job
)"""
_SAVE = _HELD_AND_SAVED + "\nSELECT job FROM saved"
# When the record counts one more attempt, that attempt goes into the run history in the same
# statement, so the history holds exactly the attempts the record counts.
_SAVE_AND_LOG = (
    _HELD_AND_SAVED  # noqa: S608 - two constants of this module, no value is formatted in
    + """, logged AS (
    INSERT INTO ops_schedule_runs (job, period, status, error, token, host, pid)
    SELECT job, %(period)s, %(status)s, %(error)s, %(token)s, %(host)s, %(pid)s FROM saved
)
SELECT job FROM saved"""
)
_RELEASE = """
UPDATE ops_schedule_claims SET expires_at = now()
WHERE job = %(job)s AND token = %(token)s AND owner = %(owner)s
"""
_VIEW = """
SELECT coalesce(j.job, c.job), j.record, c.host, c.pid, c.acquired_at, c.expires_at,
       now() - c.acquired_at
FROM ops_schedule_jobs j
FULL JOIN (SELECT * FROM ops_schedule_claims WHERE expires_at > now()) c ON c.job = j.job
"""


class PostgresStore:
    """The store at ``url``; claims last ``lease_seconds`` unless renewed."""

    def __init__(self, url: StoreUrl, *, lease_seconds: float) -> None:
        self.url = url
        self.lease_seconds = lease_seconds
        self.db = Connection(url, on_connect=ensure_schema)

    @property
    def location(self) -> str:
        return str(self.url)

    @contextlib.contextmanager
    def claim(self, job: str, now: datetime) -> Iterator[Claim | Busy]:
        del now  # leases run on the database's clock
        pid, host = this_process()
        owner = f"{host}:{pid}:{uuid.uuid4().hex}"
        args = {"job": job, "owner": owner, "host": host, "pid": pid, "lease": self.lease_seconds}
        token = self.db.run(lambda c: _scalar(c.execute(_ACQUIRE, args)))
        if token is None:
            yield self._busy(job, self.db.run(lambda c: c.execute(_BUSY, args).fetchone()))
            return
        claim = PostgresClaim(self, args, int(token), JobRecord(job))
        try:
            raw = self.db.run(lambda c: _scalar(c.execute(_RECORD, args)))
            if isinstance(raw, dict):
                claim.record = JobRecord.from_json(job, raw)
            with Renewal(claim.renew, every=self.lease_seconds / 3, what=f"the claim on {job}"):
                yield claim
        finally:
            claim.release()

    def _busy(self, job: str, row: Any) -> Busy:
        *claim, raw = row or (None,) * 6
        record = JobRecord.from_json(job, raw) if isinstance(raw, dict) else JobRecord(job)
        return Busy(record, _holder(claim))

    def view(self, now: datetime) -> StoreView:
        del now  # who holds a claim is decided on the database's clock
        rows = self.db.run(lambda c: c.execute(_VIEW).fetchall())
        records = {
            job: JobRecord.from_json(job, raw) for job, raw, *_ in rows if isinstance(raw, dict)
        }
        holders = {job: holder for job, _, *claim in rows if (holder := _holder(claim)) is not None}
        return StoreView(
            "postgresql", self.location, records, holders, lease_seconds=self.lease_seconds
        )

    def check(self) -> None:
        self.db.run(lambda c: c.execute("SELECT 1").fetchone())

    def close(self) -> None:
        self.db.close()


class PostgresClaim:
    """A lease on one job's row, held by this process until released or lost."""

    def __init__(
        self, store: PostgresStore, args: dict[str, Any], token: int, record: JobRecord
    ) -> None:
        self._store = store
        self._args: dict[str, Any] = {**args, "token": token}  # job, owner, host, pid, lease
        self.token = token
        self.record = record
        self._attempts = record.run_count  # as stored: a save that adds one logs that attempt
        self._lost: ClaimLostError | None = None

    def renew(self) -> None:
        if self._lost is not None:
            raise self._lost
        if self._store.db.run(lambda c: _scalar(c.execute(_RENEW, self._args))) is None:
            raise self._lose()

    def save(self, record: JobRecord, at: datetime) -> None:
        del at  # the row is stamped on the database's clock
        if self._lost is not None:
            raise self._lost
        args = {
            **self._args,
            "record": Jsonb(record.to_json()),
            "period": record.last_period,
            "status": record.last_status,
            "error": record.last_error,
        }
        query = _SAVE_AND_LOG if record.run_count > self._attempts else _SAVE
        if self._store.db.run(lambda c: _scalar(c.execute(query, args))) is None:
            raise self._lose()
        self._attempts = record.run_count

    def release(self) -> None:
        """Free the claim at once (a lost one is no longer ours to free); if the store cannot
        be reached the lease simply runs out."""
        if self._lost is not None:
            return
        try:
            self._store.db.run(lambda c: c.execute(_RELEASE, self._args))
        except StateError as exc:
            log.warning("%s; the claim on %s lapses with its lease", exc, self._args["job"])

    def _lose(self) -> ClaimLostError:
        job = self._args["job"]
        try:
            holder = self._store.db.run(
                lambda c: _holder(c.execute(_HOLDER, self._args).fetchone())
            )
        except StateError:
            holder = None
        now_held = f"; {holder.describe()} holds it now" if holder else ""
        self._lost = ClaimLostError(
            f"lost the claim on {job}: its lease ran out before this process renewed it"
            f"{now_held}; this run is neither posted nor recorded"
        )
        return self._lost


def _scalar(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    return row[0] if row else None


def _holder(row: Any) -> Holder | None:
    if not row or row[0] is None:
        return None
    host, pid, since, until, held_for = row
    return Holder(
        str(host), int(pid), since.astimezone(UTC), until.astimezone(UTC), held_for=held_for
    )
