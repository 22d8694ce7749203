"""The long-running loop: wake, re-read the config, run what is due, beat, sleep.

Each wake reads the clock once and hands that instant to the runner. The loop then sleeps until
the earlier of the next scheduled instant (or retry) and ``interval`` seconds after the wake, so a
job starts within a second of its time and the loop wakes at least once per interval. The sleep
is reckoned from that one reading, less the tick's duration on the monotonic clock, and never
exceeds ``interval``: a wall clock stepped back during a tick cannot stretch it. Ticks run one
after another in this thread and never overlap: a tick that runs long only delays the next.

Sleeping is ``stop.wait(timeout)``, so a stop request (SIGINT/SIGTERM) ends the sleep at once.
A stop requested during a tick lets the tick finish; a second request abandons it by raising
:class:`LoopAbandoned` from the signal handler (the claim dies with the process, and the state
store records the interrupted attempt on the next start).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from ops_schedule import __version__
from ops_schedule.config import Config
from ops_schedule.config.secrets import literal_secrets
from ops_schedule.errors import ConfigError, OpsScheduleError
from ops_schedule.redaction import Redactor, build_redactor, redact_error
from ops_schedule.service.export import (
    RecordLike,
    export_wanted,
    next_runs,
    publish_metrics,
    snapshot_of,
)
from ops_schedule.service.heartbeat import Heartbeat, write_heartbeat
from ops_schedule.service.metrics_state import Counts, CountsFile, OutcomeLike

if TYPE_CHECKING:
    from ops_schedule.clock import Clock
    from ops_schedule.reports.base import Job
    from ops_schedule.service.prometheus import Metrics
    from ops_schedule.store.base import StateStore

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
# When the runner names a wake time that is not in the future, wait this long rather than spin.
MIN_GAP = timedelta(seconds=1)
# The cache of partials is filled only when no job is due sooner than this.
FILL_GAP = timedelta(minutes=2)

RunOnce = Callable[[Config, datetime, Redactor], Sequence[OutcomeLike]]
NextWake = Callable[[Config, datetime], datetime | None]
Records = Callable[[Config, datetime], Mapping[str, RecordLike]]
NextRuns = Callable[[Config, datetime], Mapping[str, datetime | None]]


class LoopAbandoned(BaseException):
    """Raised from the signal handler on a second stop request to abandon the tick in flight.

    A ``BaseException`` so that a job's ``except Exception`` cannot swallow it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"abandoned on {signal.Signals(signum).name}")


@dataclass(frozen=True, slots=True)
class Runtime:
    """The loop's collaborators. Tests replace them with small fakes."""

    run_once: RunOnce
    next_wake: NextWake
    records: Records
    next_runs: NextRuns
    close: Callable[[], None] = lambda: None
    # While idle: read into the cache of partials what the next reports will need (prefill.py).
    fill: Callable[[Config, datetime], object] = lambda _config, _now: None


class _StoreKeeper:
    """One store for the life of the loop (for PostgreSQL: one connection, reopened when it
    breaks), replaced when the config names another one."""

    def __init__(self) -> None:
        self._store: StateStore | None = None
        self._key: object = None

    def get(self, config: Config) -> StateStore:
        from ops_schedule.store.open import open_store

        key = (config.store, config.state_dir)
        if self._store is None or key != self._key:
            self.close()
            self._store, self._key = open_store(config), key
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def default_runtime(clock: Clock, jobs: Mapping[str, Job]) -> Runtime:
    """The real runner and state store behind the loop."""
    from ops_schedule.scheduling import runner

    stores = _StoreKeeper()

    def run_once(config: Config, now: datetime, redactor: Redactor) -> Sequence[OutcomeLike]:
        # A job whose claim another process holds is logged by the runner; it has no outcome.
        store = stores.get(config)
        outcomes = runner.Runner(
            config, jobs=jobs, clock=clock, redactor=redactor, store=store
        ).tick(now)
        return [outcome for outcome in outcomes if isinstance(outcome, runner.RunOutcome)]

    def next_wake(config: Config, now: datetime) -> datetime | None:
        return runner.next_wake(config, stores.get(config).view(now), now)

    def records(config: Config, now: datetime) -> Mapping[str, RecordLike]:
        view = stores.get(config).view(now)
        return {name: view.record(name) for name, _ in config.jobs.items()}

    filled: dict[str, datetime] = {}

    def fill(config: Config, now: datetime) -> list[str]:
        if not any(config.job_active(name) for name, _ in config.jobs.items()):
            return []  # an idle loop with every job off stays as small as it started
        from ops_schedule.reports.observability.prefill import fill_partials

        return fill_partials(config, now, jobs, filled)

    return Runtime(
        run_once=run_once,
        next_wake=next_wake,
        records=records,
        next_runs=next_runs,
        close=stores.close,
        fill=fill,
    )


class _ConfigKeeper:
    """Re-reads the config at each wake and keeps the last good one when it turns invalid."""

    def __init__(self, loader: Callable[[], Config], metrics: Metrics | None) -> None:
        self._loader = loader
        self._metrics = metrics
        self._problem: str | None = None
        self.config = loader()  # the first read must succeed: nothing to fall back on
        self.redactor = _redactor(self.config)

    def reload(self) -> Config:
        try:
            fresh = self._loader()
        except ConfigError as exc:
            problem = "; ".join(exc.problems)
            if problem != self._problem:  # say it once, not every minute
                log.error(  # noqa: TRY400 (the problem is the message; a traceback adds nothing)
                    "%s",
                    self.redactor.redact(
                        f"configuration is invalid, keeping the last good one: {problem}"
                    ),
                )
            self._problem = problem
            if self._metrics is not None:
                self._metrics.config_valid.set(0)
            return self.config
        if self._problem is not None:
            log.info("configuration is valid again")
            self._problem = None
        if self._metrics is not None:
            self._metrics.config_valid.set(1)
        if fresh != self.config:
            log.info("configuration changed; the new one applies from this tick")
            self.config = fresh
            self.redactor = _redactor(fresh)
        return self.config


def _redactor(config: Config) -> Redactor:
    return build_redactor(
        config.redaction.patterns,
        config.redaction.placeholder,
        literal_secrets(os.environ, config),
    )


def run_loop(
    config_loader: Callable[[], Config],
    *,
    clock: Clock,
    stop: threading.Event,
    runtime: Runtime,
    interval: float = DEFAULT_INTERVAL,
    waiter: Callable[[float], bool] | None = None,
    metrics: Metrics | None = None,
    max_ticks: int | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Tick until ``stop`` is set (or ``max_ticks`` ticks ran); return the number of ticks.

    ``waiter(timeout)`` sleeps and returns True when stopped; it defaults to ``stop.wait``.
    ``monotonic`` measures how long each tick took. ``environ`` holds the secrets of the
    metrics' Pushgateway (default: the process's). A config that is invalid at the first read
    raises :class:`ConfigError`.
    """
    if interval <= 0:
        raise ValueError(f"interval must be positive, not {interval}")
    wait = waiter or stop.wait
    keeper = _ConfigKeeper(config_loader, metrics)  # raises ConfigError: nothing to fall back on
    loop = _Loop(
        clock,
        runtime,
        metrics,
        Heartbeat.starting(interval, __version__),
        os.environ if environ is None else environ,
    )
    ticks = 0
    try:
        while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
            now = clock()  # the one reading of the clock this tick decides with
            began = monotonic()
            config = keeper.reload()
            loop.tick(config, now, keeper.redactor)
            ticks += 1
            wake = loop.next_wake(config, now, interval)
            if not stop.is_set():
                loop.fill(config, now, keeper.redactor)
            took = monotonic() - began
            if wait(min(max((wake - now).total_seconds() - took, 0.0), interval)):
                break
    finally:
        loop.heartbeat = _beat(keeper.config, loop.heartbeat.stopped(clock()))
        runtime.close()
    return ticks


@dataclass
class _Loop:
    clock: Clock
    runtime: Runtime
    metrics: Metrics | None
    heartbeat: Heartbeat
    environ: Mapping[str, str]
    counts: Counts = field(default_factory=Counts)  # since the loop started, unless exported
    upcoming: datetime | None = None  # the runner's next wake, as the last tick saw it

    def tick(self, config: Config, now: datetime, redactor: Redactor) -> None:
        self.heartbeat = _beat(config, self.heartbeat.tick_started(now))
        metrics = self.metrics
        exporting = export_wanted(config, self.environ)
        watched = metrics is not None or exporting
        try:
            outcomes = self.runtime.run_once(config, now, redactor)
            records = self.runtime.records(config, now) if watched else {}
            upcoming = self.runtime.next_runs(config, now) if watched else {}
        except Exception as exc:
            error = redact_error(exc, redactor)
            message = redactor.redact(f"tick at {now.isoformat()} failed: {error}")
            if isinstance(exc, OpsScheduleError):  # says what to do; a traceback adds nothing
                log.error("%s; retrying at the next tick", message)  # noqa: TRY400
            else:
                log.exception("%s", message)
            if metrics is not None:
                metrics.observe_tick_error((self.clock() - now).total_seconds())
            self.heartbeat = _beat(config, self.heartbeat.tick_failed(error))
            return
        completed = self.clock()  # the runner logs each outcome itself
        if watched:
            self.counts = self._count(config, outcomes, exporting=exporting)
            snapshot = snapshot_of(
                config, records, self.counts, upcoming=upcoming, last_tick_at=completed
            )
            if metrics is not None:
                metrics.observe_tick(duration=(completed - now).total_seconds(), snapshot=snapshot)
            if exporting:
                publish_metrics(config, self.environ, snapshot)
        self.heartbeat = _beat(config, self.heartbeat.tick_completed(completed))

    def _count(self, config: Config, outcomes: Sequence[OutcomeLike], *, exporting: bool) -> Counts:
        """The counts after this tick: kept in the state directory while metrics are written
        or pushed (a manual ``run`` adds to the same file), else in memory."""
        if exporting:
            try:
                return CountsFile(config.state_dir).add(outcomes)
            except OSError as exc:
                log.warning(
                    "cannot keep the metrics' counters in %s: %s", config.state_dir, exc.strerror
                )
        return self.counts.add(outcomes)

    def next_wake(self, config: Config, now: datetime, interval: float) -> datetime:
        """The earlier of the runner's next wake and ``now + interval``; never a busy loop."""
        latest = now + timedelta(seconds=interval)
        try:
            wake = self.runtime.next_wake(config, now)
        except OpsScheduleError as exc:
            log.warning("cannot compute the next wake (%s); waking after the interval", exc)
            return latest
        except Exception:
            log.exception("cannot compute the next wake; waking after the interval")
            return latest
        self.upcoming = wake
        if wake is None or wake >= latest:
            return latest
        return now + MIN_GAP if wake <= now else wake

    def fill(self, config: Config, now: datetime, redactor: Redactor) -> None:
        """Fill the cache of partials when no job is due for a while; never stops the loop."""
        if self.upcoming is not None and self.upcoming - now < FILL_GAP:
            return
        try:
            self.runtime.fill(config, now)
        except Exception as exc:  # noqa: BLE001 - an optimisation: the report reads the log
            log.warning("could not fill the cache of partials: %s", redact_error(exc, redactor))


def _beat(config: Config, heartbeat: Heartbeat) -> Heartbeat:
    try:
        write_heartbeat(config.state_dir, heartbeat)
    except OSError as exc:
        log.error("cannot write the heartbeat in %s: %s", config.state_dir, exc.strerror)  # noqa: TRY400
    return heartbeat


def install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM: the first stops after the tick in flight, the second abandons it.

    Returns a function that restores the previous handlers.
    """

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: abandoning the tick in flight", name)
            raise LoopAbandoned(signum)
        log.info("%s: stopping after the tick in flight (send it again to abandon it)", name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
