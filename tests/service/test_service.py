from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops_schedule.config import Config, parse_config
from ops_schedule.errors import ConfigError
from ops_schedule.publishing.telemetry import Telemetry
from ops_schedule.redaction import Redactor
from ops_schedule.service.heartbeat import read_heartbeat
from ops_schedule.service.loop import MIN_GAP, Runtime, run_loop
from ops_schedule.service.prometheus import Metrics

START = datetime(2026, 11, 26, 0, 0, 0, tzinfo=UTC)
DAILY = "daily_observability_report"


def make_config(tmp_path: Path, *, daily: bool = True) -> Config:
    return parse_config(
        {"enabled": True, "stateDir": str(tmp_path / "state"), "jobs": {DAILY: {"enabled": daily}}},
        {},
    )


@dataclass
class Outcome:
    job: str
    status: str
    finished_at: datetime = datetime(2026, 11, 26, tzinfo=UTC)
    telemetry: Telemetry = field(default_factory=Telemetry)


@dataclass
class FakeWorld:
    """A clock that moves only when the loop sleeps (or a tick says it took time)."""

    now: datetime = START
    stop: threading.Event = field(default_factory=threading.Event)
    ticks: list[datetime] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    active_seen: list[bool] = field(default_factory=list)
    wakes: list[datetime | None] = field(default_factory=list)
    tick_takes: timedelta = timedelta(0)
    elapsed: float = 0.0  # the monotonic clock: moved by sleeps and ticks, never stepped
    in_tick: bool = False
    on_tick: Callable[[int], None] = lambda _n: None
    outcomes: list[Outcome] = field(default_factory=list)
    fill: Callable[[Config, datetime], object] = lambda _config, _now: None

    def clock(self) -> datetime:
        return self.now

    def wait(self, timeout: float) -> bool:
        assert timeout >= 0
        assert not self.in_tick, "slept inside a tick"
        self.sleeps.append(timeout)
        self.now += timedelta(seconds=timeout)
        self.elapsed += timeout
        return self.stop.is_set()

    def monotonic(self) -> float:
        return self.elapsed

    def run_once(self, config: Config, now: datetime, redactor: Redactor) -> list[Outcome]:
        assert not self.in_tick, "two ticks overlap"
        self.in_tick = True
        try:
            self.ticks.append(now)
            self.active_seen.append(config.job_active(DAILY))
            self.on_tick(len(self.ticks))
            self.now += self.tick_takes
            self.elapsed += self.tick_takes.total_seconds()
            return list(self.outcomes)
        finally:
            self.in_tick = False

    def next_wake(self, config: Config, now: datetime) -> datetime | None:
        return self.wakes.pop(0) if self.wakes else None

    def runtime(self) -> Runtime:
        return Runtime(
            run_once=self.run_once,
            next_wake=self.next_wake,
            records=lambda _c, _n: {},
            next_runs=lambda _c, _n: {},
            fill=self.fill,
        )

    def loop(
        self, loader: Callable[[], Config], *, interval: float = 60, max_ticks: int | None = None
    ) -> int:
        return run_loop(
            loader,
            clock=self.clock,
            stop=self.stop,
            runtime=self.runtime(),
            interval=interval,
            waiter=self.wait,
            max_ticks=max_ticks,
            monotonic=self.monotonic,
        )


def test_it_wakes_exactly_at_the_next_scheduled_instant_when_that_is_sooner(tmp_path):
    world = FakeWorld(wakes=[START + timedelta(seconds=17.25)])
    config = make_config(tmp_path)
    world.loop(lambda: config, max_ticks=2)
    assert world.ticks == [START, START + timedelta(seconds=17.25)]


def test_it_wakes_at_least_once_per_interval(tmp_path):
    world = FakeWorld(wakes=[START + timedelta(hours=5)] * 4)
    config = make_config(tmp_path)
    world.loop(lambda: config, interval=60, max_ticks=4)
    gaps = [(b - a).total_seconds() for a, b in zip(world.ticks, world.ticks[1:], strict=False)]
    assert gaps == [60.0, 60.0, 60.0]


def test_it_wakes_per_interval_when_nothing_is_active(tmp_path):
    world = FakeWorld()
    config = make_config(tmp_path)
    world.loop(lambda: config, interval=30, max_ticks=3)
    assert world.ticks == [START + timedelta(seconds=30 * n) for n in range(3)]


def test_it_reads_the_config_at_every_wake_so_a_job_can_be_disabled_without_restart(tmp_path):
    enabled, disabled = make_config(tmp_path), make_config(tmp_path, daily=False)
    reads: list[int] = []

    def loader() -> Config:
        reads.append(1)
        return enabled if len(reads) <= 2 else disabled

    world = FakeWorld()
    world.loop(loader, max_ticks=4)
    assert len(reads) == 5  # the first read at start, then one per wake
    assert world.active_seen == [True, False, False, False]


def test_an_invalid_config_mid_run_keeps_the_last_good_one_and_keeps_ticking(tmp_path, caplog):
    good = make_config(tmp_path)
    reads: list[int] = []

    def loader() -> Config:
        reads.append(1)
        if len(reads) in {3, 4}:
            raise ConfigError(['jobs.daily_observability_report.at: "9:60" is not a time of day'])
        return good

    world = FakeWorld()
    with caplog.at_level(logging.INFO, logger="ops_schedule.service.loop"):
        ticks = world.loop(loader, max_ticks=4)
    assert ticks == 4
    assert world.active_seen == [True, True, True, True]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        (
            "configuration is invalid, keeping the last good one: "
            'jobs.daily_observability_report.at: "9:60" is not a time of day'
        )
    ], "said once, not at every wake"
    assert "configuration is valid again" in caplog.messages


def test_an_invalid_config_at_start_is_an_error(tmp_path):
    def loader() -> Config:
        raise ConfigError(["enabled: 1 is not a boolean"])

    with pytest.raises(ConfigError, match="enabled"):
        FakeWorld().loop(loader, max_ticks=1)


def test_a_long_tick_delays_the_next_wake_and_never_overlaps_or_bursts(tmp_path):
    world = FakeWorld(tick_takes=timedelta(seconds=150))
    config = make_config(tmp_path)
    world.loop(lambda: config, interval=60, max_ticks=3)
    # Each tick starts when the one before ended; no catch-up burst of the missed wakes.
    assert world.ticks == [START, START + timedelta(seconds=150), START + timedelta(seconds=300)]
    assert world.sleeps[:2] == [0.0, 0.0]


@pytest.mark.parametrize("step", [timedelta(hours=-2), timedelta(hours=2)], ids=["back", "forward"])
def test_a_clock_step_during_a_tick_never_stretches_the_sleep_past_the_interval(tmp_path, step):
    world = FakeWorld(tick_takes=timedelta(seconds=5), wakes=[START + timedelta(seconds=17)])

    def step_the_clock(tick: int) -> None:
        if tick == 1:
            world.now += step

    world.on_tick = step_the_clock
    config = make_config(tmp_path)
    world.loop(lambda: config, interval=60, max_ticks=3)
    # The first wake is 17 s after the tick began, which took 5 s: 12 s, whatever the clock did.
    assert world.sleeps == [12.0, 55.0, 55.0]


def test_a_wake_time_in_the_past_waits_a_moment_instead_of_spinning(tmp_path):
    world = FakeWorld(wakes=[START - timedelta(seconds=5)])
    config = make_config(tmp_path)
    world.loop(lambda: config, max_ticks=2)
    assert world.ticks[1] - world.ticks[0] == MIN_GAP


def test_a_stop_during_a_tick_lets_the_tick_finish_and_runs_no_other(tmp_path):
    world = FakeWorld()
    world.on_tick = lambda n: world.stop.set() if n == 2 else None
    config = make_config(tmp_path)
    ticks = world.loop(lambda: config)
    assert ticks == 2
    assert len(world.ticks) == 2
    heartbeat = read_heartbeat(config.state_dir)
    assert heartbeat is not None
    assert heartbeat.ticks == 2
    assert heartbeat.stopped_at == world.now


def test_a_stop_before_the_first_wake_runs_nothing(tmp_path):
    world = FakeWorld()
    world.stop.set()
    assert world.loop(lambda: make_config(tmp_path)) == 0
    assert world.ticks == []


def test_a_stop_while_sleeping_ends_the_loop_at_once(tmp_path):
    config = make_config(tmp_path)
    world = FakeWorld()
    stop = world.stop
    calls: list[float] = []

    def real_wait(timeout: float) -> bool:
        calls.append(timeout)
        threading.Timer(0.05, stop.set).start()
        return stop.wait(timeout)

    started = datetime.now(UTC)
    run_loop(
        lambda: config,
        clock=world.clock,
        stop=stop,
        runtime=world.runtime(),
        interval=600,
        waiter=real_wait,
        monotonic=world.monotonic,
    )
    assert calls == [600.0]
    assert datetime.now(UTC) - started < timedelta(seconds=5)


def test_the_heartbeat_records_the_completed_tick_interval_and_process(tmp_path):
    world = FakeWorld(tick_takes=timedelta(seconds=2))
    config = make_config(tmp_path)
    beats = []
    world.on_tick = lambda _n: beats.append(read_heartbeat(config.state_dir))
    world.loop(lambda: config, interval=45, max_ticks=2)
    during = beats[1]
    assert during is not None
    assert during.tick_started_at == START + timedelta(seconds=45)
    assert during.last_tick_at == START + timedelta(seconds=2)
    final = read_heartbeat(config.state_dir)
    assert final is not None
    assert final.interval == 45
    assert final.last_tick_at == START + timedelta(seconds=47)
    assert final.ticks == 2
    assert final.pid > 0


def test_a_tick_that_raises_is_logged_recorded_and_the_loop_goes_on(tmp_path, caplog):
    world = FakeWorld()

    def boom(n: int) -> None:
        if n == 1:
            raise OSError(28, "No space left on device")

    world.on_tick = boom
    config = make_config(tmp_path)
    beats = []
    original = world.on_tick

    def spy(n: int) -> None:
        beats.append(read_heartbeat(config.state_dir))
        original(n)

    world.on_tick = spy
    with caplog.at_level(logging.ERROR, logger="ops_schedule.service.loop"):
        ticks = world.loop(lambda: config, max_ticks=2)
    assert ticks == 2
    assert beats[1] is not None
    assert beats[1].last_error == "OSError: [Errno 28] No space left on device"
    assert beats[1].last_tick_at is None
    assert "No space left on device" in caplog.text
    final = read_heartbeat(config.state_dir)
    assert final is not None
    assert final.last_error is None


def test_an_unreachable_store_is_one_log_line_per_tick_and_the_loop_goes_on(tmp_path, caplog):
    from ops_schedule.errors import StoreUnavailableError

    world = FakeWorld()
    unreachable = "cannot reach the state store at postgresql://ops@db:5432/ops: connection refused"

    def down(n: int) -> None:
        if n <= 2:
            raise StoreUnavailableError(unreachable)

    world.on_tick = down
    config = make_config(tmp_path)
    with caplog.at_level(logging.ERROR, logger="ops_schedule.service.loop"):
        ticks = world.loop(lambda: config, max_ticks=3)

    assert ticks == 3
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert all(r.exc_info is None for r in errors)  # one line, no traceback
    assert all(r.getMessage().endswith(f"{unreachable}; retrying at the next tick") for r in errors)
    final = read_heartbeat(config.state_dir)
    assert final is not None
    assert final.last_error is None  # the third tick reached the store again


def test_secrets_in_a_tick_error_are_redacted_in_the_heartbeat(tmp_path):
    token = "ghp_" + "a1B2" * 9
    world = FakeWorld()

    def boom(_n: int) -> None:
        raise RuntimeError(f"bad credentials {token}")

    world.on_tick = boom
    config = make_config(tmp_path)
    world.loop(lambda: config, max_ticks=1)
    text = (config.state_dir / "heartbeat.json").read_text()
    assert token not in text
    assert "[REDACTED]" in text


@dataclass
class Record:
    last_success_at: datetime | None
    consecutive_failures: int
    last_run_at: datetime | None = None
    last_status: str | None = None
    last_duration_seconds: float | None = None


def test_each_tick_feeds_the_metrics(tmp_path):
    world = FakeWorld(outcomes=[Outcome(DAILY, "ok")], tick_takes=timedelta(seconds=3))
    config = make_config(tmp_path)
    metrics = Metrics([DAILY])
    next_run = START + timedelta(days=1)
    records: Mapping[str, Record] = {DAILY: Record(START, 0)}
    run_loop(
        lambda: config,
        clock=world.clock,
        stop=world.stop,
        runtime=Runtime(
            run_once=world.run_once,
            next_wake=world.next_wake,
            records=lambda _c, _n: records,
            next_runs=lambda _c, _n: {DAILY: next_run},
        ),
        waiter=world.wait,
        metrics=metrics,
        max_ticks=2,
    )
    value = metrics.registry.get_sample_value
    assert value("ops_schedule_runs_total", {"job_name": DAILY, "outcome": "ok"}) == 2
    assert value("ops_schedule_tick_duration_seconds_count") == 2
    assert value("ops_schedule_tick_duration_seconds_sum") == 6
    daily = {"job_name": DAILY}
    assert value("ops_schedule_next_run_timestamp_seconds", daily) == next_run.timestamp()
    # A timestamp: when the second tick completed, 3 s after it started.
    last_tick = value("ops_schedule_last_tick_timestamp_seconds")
    assert last_tick == (world.ticks[-1] + timedelta(seconds=3)).timestamp()


def test_with_the_real_runner_a_job_starts_exactly_at_its_scheduled_instant(tmp_path, monkeypatch):
    from zoneinfo import ZoneInfo

    from ops_schedule.reports.base import JobContext, Skipped
    from ops_schedule.service.loop import default_runtime

    started: list[datetime] = []

    class RecordingJob:
        name = DAILY

        def build(self, ctx: JobContext) -> Skipped:
            started.append(ctx.now)
            return Skipped("nothing to report")

    config = parse_config(
        {
            "enabled": True,
            "timezone": "Asia/Tokyo",
            "stateDir": str(tmp_path / "state"),
            "outputDir": str(tmp_path / "reports"),
            "jobs": {DAILY: {"enabled": True, "at": "09:00"}},
        },
        {},
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    world = FakeWorld(now=datetime(2026, 11, 26, 8, 59, 20, tzinfo=tokyo).astimezone(UTC))
    run_loop(
        lambda: config,
        clock=world.clock,
        stop=world.stop,
        runtime=default_runtime(world.clock, {DAILY: RecordingJob()}),
        waiter=world.wait,
        max_ticks=4,
        monotonic=world.monotonic,
    )
    assert started == [datetime(2026, 11, 26, 9, 0, tzinfo=tokyo)]
    assert world.sleeps[0] == 40.0  # woke at 09:00:00 sharp, not at the next minute tick


def test_an_idle_loop_fills_the_cache_of_partials_but_not_when_a_job_is_due_soon(tmp_path):
    fills: list[datetime] = []
    world = FakeWorld(
        wakes=[None, START + timedelta(minutes=61), START + timedelta(seconds=150)],
        fill=lambda _config, now: fills.append(now),
    )
    config = make_config(tmp_path)
    world.loop(lambda: config, max_ticks=4)
    # Nothing due; due in an hour; due in 90 s (no fill); nothing due again.
    assert fills == [world.ticks[0], world.ticks[1], world.ticks[3]]


def test_a_fill_that_fails_is_logged_and_the_loop_goes_on(tmp_path, caplog):
    def broken(_config: Config, _now: datetime) -> None:
        raise OSError("disk on fire ghp_" + "A" * 36)

    world = FakeWorld(fill=broken)
    config = make_config(tmp_path)
    assert world.loop(lambda: config, max_ticks=3) == 3
    warnings = [r.getMessage() for r in caplog.records if "cache of partials" in r.getMessage()]
    assert len(warnings) == 3
    assert "disk on fire" in warnings[0]
    assert "ghp_" + "A" * 36 not in warnings[0]
