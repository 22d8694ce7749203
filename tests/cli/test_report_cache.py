"""``ops-schedule report`` with the cache of partials: the JSON is the same byte for byte.

Daily reports fill the cache in ``stateDir``; the weekly report is then rendered three ways — from
the cache, with ``--no-cache``, and with an independent full read (``reference_stats``) in place
of the reader — on a log with lines up to nine minutes out of order, across a ``copytruncate``,
a rotation that compresses, lines appended during a reading, and a deleted cache.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from event_fixtures import DAY, HOUR, T0, random_lines, write_lines
from reference_stats import reference_stats

from ops_schedule.cli.main import cli
from ops_schedule.reports.jobs import JOBS
from ops_schedule.reports.observability.job import ObservabilityReportJob
from ops_schedule.reports.observability.reader import cached

# 09:10 in Tokyo on the Monday after T0's week: the weekly report's scheduled instant.
WEEK_END = "2026-11-30T09:10"


def setup(tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(12)
    lines = random_lines(
        rng, 6000, T0 - 14 * DAY, 20 * DAY, malformed=0.03, disorder=timedelta(minutes=9)
    )
    log = write_lines(tmp_path / "logs" / "events.jsonl", lines)
    config = tmp_path / "ops-schedule.json"
    settings = {
        "sources": {"events": str(log)},
        "stateDir": str(tmp_path / "state"),
        "locale": "en",
        "timezone": "Asia/Tokyo",
    }
    config.write_text(json.dumps(settings))
    return config, log


def report(config: Path, kind: str, at: str, *extra: str, jobs=None) -> bytes:
    result = CliRunner().invoke(
        cli,
        [
            "--quiet",
            "--config",
            str(config),
            "report",
            kind,
            "--at",
            at,
            "--format",
            "json",
            *extra,
        ],
        obj=jobs,
    )
    assert result.exit_code == 0, result.output
    return result.output.encode()


def reference_jobs() -> dict[str, object]:
    def collect(path, windows, *, bucket, redact=None, quiet=True, cache=None):
        assert cache is not None  # the job asks for the cache; the reference ignores it
        return reference_stats(path, windows, bucket=bucket, redact=redact)

    jobs: dict[str, object] = {**JOBS}
    for name in ("daily_observability_report", "weekly_observability_report"):
        jobs[name] = ObservabilityReportJob(name, collect=collect)
    return jobs


def dailies(config: Path) -> None:
    for day in range(23, 30):
        report(config, "daily", f"2026-11-{day}T09:10")


def three_ways(config: Path) -> bytes:
    warm = report(config, "weekly", WEEK_END)
    cold = report(config, "weekly", WEEK_END, "--no-cache")
    independent = report(config, "weekly", WEEK_END, jobs=reference_jobs())
    assert warm == cold == independent
    assert json.loads(warm)["totals"]["events"] > 1000
    return warm


def test_the_weekly_json_is_the_same_from_the_cache_without_it_and_from_a_full_read(
    tmp_path, monkeypatch
):
    config, log = setup(tmp_path)
    (tmp_path / "state").mkdir()  # as the first `run` leaves it
    dailies(config)
    cache = tmp_path / "state" / "partials.sqlite3"
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT count(*) FROM spans WHERE full = 1").fetchone()[0] >= 7
    folded: list[float] = []
    planned = cached.plan_tasks

    def spy(segments, **options):
        folded.append(sum((end - start) / HOUR for start, end in options["folds"]))
        return planned(segments, **options)

    monkeypatch.setattr(cached, "plan_tasks", spy)
    first = three_ways(config)
    monkeypatch.setattr(cached, "plan_tasks", planned)
    assert folded[0] <= 6 * 24 + 1  # six days of the previous week: the week itself
    # came from the daily reports' spans

    # logrotate with copytruncate: the log is copied to .1 and emptied in place
    shutil.copyfile(log, log.with_name("events.jsonl.1"))
    log.write_bytes(b"")
    assert three_ways(config) == first

    # rotation: .1 is compressed to .2.gz, the live file to .1, and the proxy starts a new one
    copy = log.with_name("events.jsonl.1")
    log.with_name("events.jsonl.2.gz").write_bytes(gzip.compress(copy.read_bytes()))
    copy.unlink()
    log.rename(copy)
    write_lines(log, random_lines(random.Random(13), 50, T0 + 6 * DAY, DAY))
    assert three_ways(config) == first

    # the proxy appends while a report reads
    planned = cached.plan_tasks

    def plan_then_append(segments, **options):
        tasks = planned(segments, **options)
        with log.open("ab") as handle:
            handle.write(b"\n".join(random_lines(random.Random(14), 20, T0 + 7 * DAY, DAY)) + b"\n")
        return tasks

    monkeypatch.setattr(cached, "plan_tasks", plan_then_append)
    warm = report(config, "weekly", WEEK_END)
    monkeypatch.setattr(cached, "plan_tasks", planned)
    assert warm == first
    assert three_ways(config) == first

    # the cache is deleted: the next reading rebuilds it
    cache.unlink()
    assert three_ways(config) == first
    assert cache.exists()
