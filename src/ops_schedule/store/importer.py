"""Moving a host's state file into another store without rerunning anything.

Every record is copied as it is, ``donePeriods`` included, so the current period stays done and
no job runs again for it. The copy happens under both stores' claims on every job: no run of the
file store (on this host) and none of the target store is in flight while it happens, and a
record already in the target is never overwritten unless asked.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime

from ops_schedule.errors import StateError
from ops_schedule.fsutil import read_capped
from ops_schedule.store.base import Busy, Claim, StateStore
from ops_schedule.store.file import STATE_FILE_LIMIT, JsonStateStore
from ops_schedule.store.records import JobRecord, parse_state


@dataclass(frozen=True, slots=True)
class Imported:
    job: str
    record: JobRecord


def _has_history(record: JobRecord) -> bool:
    return record != JobRecord(job_name=record.job_name)


def read_state_file(source: JsonStateStore) -> dict[str, JobRecord]:
    """The records of the state file; an unreadable file is an error here, never moved aside."""
    try:
        text = read_capped(source.path, STATE_FILE_LIMIT).decode("utf-8")  # never a FIFO's wait
    except FileNotFoundError:
        raise StateError(f"nothing to import: {source.path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read {source.path}: {exc}") from None
    try:
        return dict(parse_state(text, str(source.path)).jobs)
    except (ValueError, json.JSONDecodeError) as exc:
        raise StateError(f"cannot import {source.path}: it is not a state file ({exc})") from None


def import_records(
    source: JsonStateStore, target: StateStore, now: datetime, *, replace: bool = False
) -> list[Imported]:
    """Copy every job record of ``source`` into ``target``; all of them, or none."""
    records = read_state_file(source)
    with ExitStack() as held:
        claims: dict[str, Claim] = {}
        for job in sorted(records):
            if isinstance(held.enter_context(source.claim(job, now)), Busy):
                raise StateError(
                    f"a run of {job} holds its claim in {source.state_dir}: stop every "
                    "ops-schedule process that uses this state directory, then import"
                )
            claim = held.enter_context(target.claim(job, now))
            if isinstance(claim, Busy):
                raise StateError(f"{job} is running on the store {target.location}; try later")
            if _has_history(claim.record) and not replace:
                raise StateError(
                    f"the store {target.location} already holds a record of {job} "
                    f"({claim.record.run_count} runs); use --replace to overwrite it"
                )
            claims[job] = claim
        for job, claim in claims.items():
            claim.save(records[job], now)
    return [Imported(job, records[job]) for job in sorted(records)]
