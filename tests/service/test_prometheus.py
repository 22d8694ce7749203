from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ops_schedule import __version__
from ops_schedule.config import JOB_NAMES, parse_config
from ops_schedule.errors import JobError
from ops_schedule.reports.base import JobContext, Skipped
from ops_schedule.service.loop import default_runtime, run_loop
from ops_schedule.service.prometheus import Metrics, serve_metrics

DAILY, WEEKLY, DIGEST = JOB_NAMES
# Thursday 2026-11-26 09:00 in Tokyo: the daily job and a Thursday weekly job are both due.
NOW = datetime(2026, 11, 26, 0, 0, 30, tzinfo=UTC)


@dataclass
class FakeJob:
    name: str

    def build(self, ctx: JobContext) -> Skipped:
        if self.name == WEEKLY:
            raise JobError("the event log is unreadable")
        return Skipped("no events in the window")


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_the_metrics_endpoint_serves_runs_times_and_failures_after_a_real_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = parse_config(
        {
            "enabled": True,
            "stateDir": str(tmp_path / "state"),
            "outputDir": str(tmp_path / "reports"),
            "jobs": {
                DAILY: {"enabled": True},
                WEEKLY: {"enabled": True, "dow": "Thu", "at": "09:00"},
            },
        },
        {},
    )
    metrics = Metrics(JOB_NAMES)
    run_loop(
        lambda: config,
        clock=lambda: NOW,
        stop=threading.Event(),
        runtime=default_runtime(lambda: NOW, {name: FakeJob(name) for name in JOB_NAMES}),
        waiter=lambda _timeout: False,
        metrics=metrics,
        max_ticks=1,
    )
    server = serve_metrics(metrics, 0)
    try:
        assert server.host == "127.0.0.1"
        samples = scrape(server.port)
    finally:
        server.close()

    def value(name: str, **labels: str) -> float:
        return samples[name, tuple(sorted(labels.items()))]

    assert value("ops_schedule_runs_total", job_name=DAILY, outcome="skipped") == 1
    assert value("ops_schedule_runs_total", job_name=WEEKLY, outcome="fail") == 1
    assert value("ops_schedule_runs_total", job_name=DAILY, outcome="ok") == 0
    assert value("ops_schedule_runs_total", job_name=DIGEST, outcome="ok") == 0
    assert value("ops_schedule_last_success_timestamp_seconds", job_name=DAILY) == NOW.timestamp()
    assert ("ops_schedule_last_success_timestamp_seconds", (("job_name", WEEKLY),)) not in samples
    assert value("ops_schedule_consecutive_failures", job_name=WEEKLY) == 1
    assert value("ops_schedule_consecutive_failures", job_name=DAILY) == 0
    assert (
        value("ops_schedule_next_run_timestamp_seconds", job_name=DAILY)
        == datetime(2026, 11, 27, 0, 0, tzinfo=UTC).timestamp()
    )
    assert (
        value("ops_schedule_next_run_timestamp_seconds", job_name=WEEKLY)
        == datetime(2026, 12, 3, 0, 0, tzinfo=UTC).timestamp()
    )
    assert ("ops_schedule_next_run_timestamp_seconds", (("job_name", DIGEST),)) not in samples
    assert value("ops_schedule_tick_duration_seconds_count") == 1
    # The heartbeat as a timestamp, not an age (an age is stale the moment it is scraped).
    assert value("ops_schedule_last_tick_timestamp_seconds") == NOW.timestamp()
    assert value("ops_schedule_build_info", version=__version__) == 1
    assert value("ops_schedule_last_failure_timestamp_seconds", job_name=WEEKLY) == NOW.timestamp()
    assert ("ops_schedule_last_failure_timestamp_seconds", (("job_name", DAILY),)) not in samples
    assert value("ops_schedule_last_run_duration_seconds", job_name=DAILY) >= 0
    assert not any(name == "ops_schedule_heartbeat_age_seconds" for name, _ in samples)
    assert value("ops_schedule_config_valid") == 1
    assert value("ops_schedule_up") == 1


def test_before_the_first_tick_runs_count_zero_and_no_tick_is_claimed():
    metrics = Metrics(JOB_NAMES)
    value = metrics.registry.get_sample_value
    assert value("ops_schedule_last_tick_timestamp_seconds") is None
    for job in JOB_NAMES:
        for outcome in ("ok", "fail", "skipped"):
            assert value("ops_schedule_runs_total", {"job_name": job, "outcome": outcome}) == 0


def test_metrics_live_on_their_own_registry_not_the_global_one():
    Metrics(JOB_NAMES)
    Metrics(JOB_NAMES)  # a second instance would clash on the global registry
    assert REGISTRY.get_sample_value("ops_schedule_up") is None


def test_the_endpoint_closes_its_socket(tmp_path: Path):
    server = serve_metrics(Metrics(JOB_NAMES), 0)
    port = server.port
    server.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_metrics_port_in_use_is_a_one_line_error(tmp_path: Path, capsys):
    from ops_schedule.cli.main import main

    (tmp_path / "c.json").write_text('{"stateDir": "state"}', encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            main(["--config", str(tmp_path / "c.json"), "loop", "--metrics-port", str(port)])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        f"Error: cannot serve metrics on 127.0.0.1:{port}: Address already in use\n"
    )
    assert not (tmp_path / "state" / "heartbeat.json").exists()
