"""The metric families (pure): what they show, how they are written, and that the loop serves
the very same ones."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ops_schedule.publishing.telemetry import PingReport, SinkReport, Telemetry
from ops_schedule.service.exposition import render
from ops_schedule.service.metric_families import Family, JobFacts, Snapshot, metric_families
from ops_schedule.service.metrics_state import Counts
from ops_schedule.service.prometheus import Metrics

DAILY = "daily_observability_report"
WEEKLY = "weekly_observability_report"
NOW = datetime(2026, 11, 26, 0, 0, 5, tzinfo=UTC)


@dataclass
class Outcome:
    job: str
    status: str
    finished_at: datetime = NOW
    telemetry: Telemetry = field(default_factory=Telemetry)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


COUNTS = Counts().add(
    [
        Outcome(
            DAILY,
            "ok",
            telemetry=Telemetry(
                sinks=(
                    SinkReport(
                        "github", "posted", retries=3, rate_limit_waits=2, rate_limit_seconds=61.5
                    ),
                    SinkReport("slack", "reused"),
                ),
                pings=(PingReport("start", True), PingReport("success", False)),
            ),
        ),
        Outcome(WEEKLY, "fail", finished_at=NOW - timedelta(hours=1)),
    ]
)
SNAPSHOT = Snapshot(
    version="1.2.3",
    jobs=(
        JobFacts(
            DAILY,
            last_success_at=NOW,
            last_duration_seconds=2.5,
            next_run_at=NOW + timedelta(days=1),
        ),
        JobFacts(WEEKLY, last_failure_at=NOW - timedelta(hours=1), consecutive_failures=4),
    ),
    counts=COUNTS,
    sinks=("github", "slack", "webhook"),
    last_tick_at=NOW,
)


def test_the_families_answer_the_questions_in_the_operator_guide():
    got = samples(render(metric_families(SNAPSHOT)))

    def value(name: str, **labels: str) -> float:
        return got[name, tuple(sorted(labels.items()))]

    assert value("ops_schedule_build_info", version="1.2.3") == 1
    assert value("ops_schedule_last_tick_timestamp_seconds") == NOW.timestamp()
    assert value("ops_schedule_runs_total", job_name=DAILY, outcome="ok") == 1
    assert value("ops_schedule_runs_total", job_name=DAILY, outcome="fail") == 0  # zeros for rate()
    assert value("ops_schedule_runs_total", job_name=WEEKLY, outcome="fail") == 1
    assert value("ops_schedule_last_success_timestamp_seconds", job_name=DAILY) == NOW.timestamp()
    assert (
        value("ops_schedule_last_failure_timestamp_seconds", job_name=WEEKLY)
        == (NOW - timedelta(hours=1)).timestamp()
    )
    assert value("ops_schedule_last_run_duration_seconds", job_name=DAILY) == 2.5
    assert value("ops_schedule_consecutive_failures", job_name=WEEKLY) == 4
    assert (
        value("ops_schedule_next_run_timestamp_seconds", job_name=DAILY)
        == (NOW + timedelta(days=1)).timestamp()
    )
    assert ("ops_schedule_next_run_timestamp_seconds", (("job_name", WEEKLY),)) not in got
    assert value("ops_schedule_posts_total", sink="github", outcome="posted") == 1
    assert value("ops_schedule_posts_total", sink="slack", outcome="reused") == 1
    assert value("ops_schedule_posts_total", sink="webhook", outcome="failed") == 0
    assert value("ops_schedule_post_retries_total", sink="github") == 3
    assert value("ops_schedule_rate_limit_waits_total", sink="github") == 2
    assert value("ops_schedule_rate_limit_wait_seconds_total", sink="github") == 61.5
    assert value("ops_schedule_pings_total", event="start", outcome="ok") == 1
    assert value("ops_schedule_pings_total", event="success", outcome="failed") == 1
    assert value("ops_schedule_pings_total", event="failure", outcome="ok") == 0


def test_times_are_timestamps_never_ages():
    names = {family.name for family in metric_families(SNAPSHOT)}
    assert not any("age" in name for name in names)
    assert {name for name in names if "timestamp" in name} == {
        "ops_schedule_last_tick_timestamp_seconds",
        "ops_schedule_last_success_timestamp_seconds",
        "ops_schedule_last_failure_timestamp_seconds",
        "ops_schedule_next_run_timestamp_seconds",
    }


def test_label_values_and_help_are_escaped():
    family = Family("x", "gauge", 'a "help"\\ with\nnewline', (((("k", 'q"b\\n\nl'),), 1.0),))
    text = render([family])
    assert text == (
        '# HELP x a "help"\\\\ with\\nnewline\n# TYPE x gauge\nx{k="q\\"b\\\\n\\nl"} 1.0\n'
    )
    assert samples(text) == {("x", (("k", 'q"b\\n\nl'),)): 1.0}


def test_the_loop_serves_exactly_the_families_run_writes():
    metrics = Metrics([DAILY, WEEKLY])
    metrics.observe_tick(duration=0.5, snapshot=SNAPSHOT)
    served = samples(generate_latest(metrics.registry).decode())
    written = samples(render(metric_families(SNAPSHOT)))
    loop_only = {
        "ops_schedule_tick_duration_seconds",
        "ops_schedule_tick_errors",
        "ops_schedule_config_valid",
        "ops_schedule_up",
    }
    shared = {
        key: value
        for key, value in served.items()
        if not any(key[0].startswith(name) for name in loop_only)
    }
    assert shared == written
    assert "ops_schedule_runs_created" not in {name for name, _ in served}  # counts outlive us


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_metrics():
    text = render(metric_families(SNAPSHOT))
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""


# --------------------------------------------------------------------------- the counts


def test_counts_add_up_and_survive_json():
    again = Counts.from_json(COUNTS.to_json()).add([Outcome(DAILY, "ok")])
    assert again.runs[DAILY, "ok"] == 2
    assert again.retries["github"] == 3
    assert again.rate_limit_seconds["github"] == 61.5
    assert again.last_failure_at[WEEKLY] == NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"runs": "x"},
        {"runs": {DAILY: {"ok": -1}}},
        {"runs": {DAILY: {"ok": True}}},
        {"retries": {"github": "3"}},
        {"lastFailureAt": {DAILY: "yesterday"}},
        {"lastFailureAt": {DAILY: "2026-11-26T00:00:00"}},  # no zone: not an instant
    ],
)
def test_unreadable_counts_start_from_zero(raw):
    counts = Counts.from_json(raw)
    assert counts.runs == {}
    assert counts.retries == {}
    assert counts.last_failure_at == {}
