"""The schedule: what a tick reads of the configuration, as plain data, with a JSON form.

A ``run`` from cron usually finds nothing due. To tell that, it needs the jobs' times, switches
and graces, the zone, the state directory and the redaction settings, not the whole validated
configuration: :func:`schedule_of` takes them from a :class:`~ops_schedule.config.Config`
(using the config's own rules: ``job_active``, ``grace_for``, ``time_of_day``), and the JSON
form lets :mod:`ops_schedule.scheduling.viewcache` keep them between runs. Nothing here imports
the validator. Decisions accept a :class:`Schedule` wherever they accept a ``Config``
(:class:`ops_schedule.scheduling.history.ScheduleSource`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args
from zoneinfo import ZoneInfo

from ops_schedule.configfile import Cadence, Weekday

if TYPE_CHECKING:
    from ops_schedule.config import Config


@dataclass(frozen=True, slots=True)
class JobSchedule:
    """One job as a tick sees it."""

    active: bool  # the global switch and the job's own
    cadence: Cadence
    time_of_day: time
    weekday: Weekday
    grace: timedelta  # its catch-up grace, its own or its cadence's


@dataclass(frozen=True, slots=True)
class Jobs:
    """The jobs by name, in the configuration's order."""

    by_name: tuple[tuple[str, JobSchedule], ...]

    def get(self, name: str) -> JobSchedule:
        for job_name, job in self.by_name:
            if job_name == name:
                return job
        raise KeyError(name)

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.by_name)


@dataclass(frozen=True, slots=True)
class Schedule:
    """What a tick reads of the configuration."""

    timezone: str
    state_dir: Path
    jobs: Jobs
    patterns: tuple[str, ...]  # redaction.patterns
    placeholder: str  # redaction.placeholder

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def grace_for(self, name: str) -> timedelta:
        return self.jobs.get(name).grace

    def job_active(self, name: str) -> bool:
        return self.jobs.get(name).active

    def to_json(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "stateDir": str(self.state_dir),
            "jobs": [
                {
                    "name": name,
                    "active": job.active,
                    "cadence": job.cadence,
                    "at": job.time_of_day.isoformat(),
                    "dow": job.weekday.value,
                    "grace": [job.grace.days, job.grace.seconds, job.grace.microseconds],
                }
                for name, job in self.jobs.by_name
            ],
            "redaction": {"patterns": list(self.patterns), "placeholder": self.placeholder},
        }

    @classmethod
    def from_json(cls, raw: object) -> Schedule:
        """The schedule :meth:`to_json` wrote; ``ValueError`` for anything else."""
        try:
            data = _object(raw)
            redaction = _object(data["redaction"])
            return cls(
                timezone=_string(data["timezone"]),
                state_dir=Path(_string(data["stateDir"])),
                jobs=Jobs(tuple(_job(item) for item in _list(data["jobs"]))),
                patterns=tuple(_string(p) for p in _list(redaction["patterns"])),
                placeholder=_string(redaction["placeholder"]),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"not a schedule: {exc!r}") from None


def schedule_of(config: Config) -> Schedule | None:
    """The schedule of a validated configuration; None when its state is not in ``stateDir``
    (a PostgreSQL store): a tick's quiet answer is told only from the file store. None too when
    the file sets metrics: every run writes or pushes them, to say when it ticked
    (docs/operations.md, "Metrics")."""
    if config.store.url is not None:
        return None
    if config.metrics.textfile is not None or config.metrics.pushgateway.url is not None:
        return None
    return Schedule(
        timezone=config.timezone,
        state_dir=config.state_dir,
        jobs=Jobs(
            tuple(
                (
                    name,
                    JobSchedule(
                        active=config.job_active(name),
                        cadence=job.cadence,
                        time_of_day=job.time_of_day,
                        weekday=job.weekday,
                        grace=config.grace_for(name),
                    ),
                )
                for name, job in config.jobs.items()
            )
        ),
        patterns=tuple(config.redaction.patterns),
        placeholder=config.redaction.placeholder,
    )


def _job(raw: object) -> tuple[str, JobSchedule]:
    data = _object(raw)
    cadence = _string(data["cadence"])
    if cadence not in get_args(Cadence):
        raise ValueError(f"cadence {cadence!r}")
    active = data["active"]
    if not isinstance(active, bool):
        raise TypeError("active")
    days, seconds, micro = (_integer(part) for part in _list(data["grace"]))
    return _string(data["name"]), JobSchedule(
        active=active,
        cadence=cast("Cadence", cadence),
        time_of_day=time.fromisoformat(_string(data["at"])),
        weekday=Weekday(_string(data["dow"])),
        grace=timedelta(days=days, seconds=seconds, microseconds=micro),
    )


def _object(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError("an object")
    return raw


def _list(raw: object) -> list[Any]:
    if not isinstance(raw, list):
        raise TypeError("a list")
    return raw


def _string(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError("a string")
    return raw


def _integer(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise TypeError("an integer")
    return raw
