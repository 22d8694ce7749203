"""Whether a tick would do nothing at all, told from the schedule and the state alone.

``ops-schedule run`` from cron asks this first: when the answer is yes it prints "nothing due"
without loading the runner, the jobs and the sinks (docs/performance.md, "Redaction and
start-up"). The answer is yes only when the runner's own tick would run nothing, record
nothing and log nothing: every active job's claim is free, its record has no attempt in
flight or interrupted, and the due rule says it is not due. Anything else is the runner's to
handle, in full. So is a job the state has no record of yet: the tick writes one.
"""

from __future__ import annotations

from datetime import datetime

from ops_schedule.errors import OpsScheduleError
from ops_schedule.scheduling.history import decision_for
from ops_schedule.scheduling.view import Schedule
from ops_schedule.store.base import Busy
from ops_schedule.store.file import JsonStateStore


def nothing_to_do(schedule: Schedule, now: datetime) -> bool:
    """Whether the runner's tick at ``now`` would run, record and log nothing. Reads only, as
    the tick does for a job that is not due: the state (the file store in ``stateDir``) under
    the job's claim (a damaged state file is moved aside just as the tick would, and then holds
    no record)."""
    store = JsonStateStore(schedule.state_dir)
    try:
        for name in schedule.jobs.names():
            if not schedule.job_active(name):
                continue
            with store.claim(name, now) as claim:
                if isinstance(claim, Busy):
                    return False  # the runner says who holds it, when that matters
                record = store.load(now).jobs.get(name)
            if record is None:
                return False  # never recorded: the runner's tick writes its first record
            if record.running is not None:
                return False  # in flight, or interrupted: the runner records it
            if decision_for(schedule, name, record, now).due:
                return False
    except (OpsScheduleError, OSError):
        return False  # the runner meets the same problem and reports it
    return True
