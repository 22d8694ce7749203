from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ops_schedule.cli.commands.report import parse_at, window_period_key
from ops_schedule.cli.main import cli
from ops_schedule.reports.base import JobContext, Skipped
from ops_schedule.reports.jobs import JOBS
from ops_schedule.reports.observability.job import ObservabilityReportJob
from ops_schedule.reports.observability.stats import FailureStats, McpStats, WindowStats

TOKYO = ZoneInfo("Asia/Tokyo")


class FakeReader:
    """Stands in for events.collect_stats; records what it was asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, list[tuple[datetime, datetime]], timedelta]] = []
        self.caches: list[Path | None] = []

    def __call__(
        self,
        path: Path,
        windows: Sequence[tuple[datetime, datetime]],
        *,
        bucket: timedelta,
        redact: Callable[[str], str] | None = None,
        quiet: bool = True,
        cache: Path | None = None,
    ) -> list[WindowStats]:
        assert redact is not None  # examples must be redacted as they are read
        self.calls.append((path, list(windows), bucket))
        self.caches.append(cache)
        out = []
        for start, end in windows:
            stats = WindowStats(start, end, events=10, ok=9, fail=1)
            stats.mcp = {"github": McpStats(10, 1, Counter({100.0: 10}))}
            token = "gh" + "p_" + "A" * 36
            stats.failures = {"AuthError": FailureStats(1, redact(f"token {token} rejected"))}
            out.append(stats)
        return out

    def invoke(self, *args: str) -> tuple[int, str]:
        """``ops-schedule ARGS`` with the observability jobs reading through this fake."""
        jobs = {**JOBS}
        for name in ("daily_observability_report", "weekly_observability_report"):
            jobs[name] = ObservabilityReportJob(name, collect=self)
        return invoke(*args, jobs=jobs)


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


def invoke(*args: str, jobs: dict[str, object] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), obj=jobs)
    return result.exit_code, result.output


def test_a_local_time_without_offset_is_read_in_the_configured_zone(reader):
    code, output = reader.invoke("report", "daily", "--at", "2026-11-26T09:00", "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    assert document["period"] == "2026-11-26"  # the period whose 09:00 run reports this window
    assert document["window"] == {"start": "2026-11-25T00:00:00Z", "end": "2026-11-26T00:00:00Z"}
    path, windows, bucket = reader.calls[0]
    assert path == Path(".taisun/observability/events.jsonl")
    assert windows[0] == (
        datetime(2026, 11, 24, tzinfo=UTC),
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert bucket == timedelta(hours=1)


def test_an_offset_time_is_taken_as_is_and_a_weekly_window_is_seven_days(reader):
    code, output = reader.invoke(
        "report", "weekly", "--at", "2026-11-23T00:10:00Z", "--format", "json"
    )
    assert code == 0, output
    document = json.loads(output)
    assert document["window"] == {"start": "2026-11-16T00:10:00Z", "end": "2026-11-23T00:10:00Z"}
    assert document["period"] == "2026-W48"  # Mon 09:10 in Tokyo is in week 48
    assert reader.calls[0][2] == timedelta(days=1)


def test_markdown_output_is_redacted(reader):
    code, output = reader.invoke("report", "daily", "--at", "2026-11-26T09:00+09:00")
    assert code == 0, output
    assert "token [REDACTED] rejected" in output
    assert "gh" + "p_" not in output
    assert output.startswith("## 日次オブザーバビリティレポート 2026-11-26")


def test_out_writes_the_file_and_says_so(reader, tmp_path):
    target = tmp_path / "r" / "daily.md"
    code, output = reader.invoke(
        "report", "daily", "--at", "2026-11-26T09:00", "--out", str(target)
    )
    assert code == 0, output
    assert output.startswith(f"wrote {target} (daily 2026-11-26: 10 events, 90.0% ok")
    assert target.read_text(encoding="utf-8").startswith("## 日次")


def test_the_report_never_touches_state_or_the_archive(reader, tmp_path):
    reader.invoke("report", "daily", "--at", "2026-11-26T09:00")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_bad_time_is_a_usage_error_with_exit_code_2(reader):
    result = CliRunner().invoke(cli, ["report", "daily", "--at", "yesterday"])
    assert result.exit_code == 2
    assert "'yesterday' is not an ISO-8601 time" in result.output


def test_a_local_time_in_the_spring_gap_moves_forward_like_the_schedule():
    new_york = ZoneInfo("America/New_York")
    assert parse_at("2026-03-08T02:30", new_york) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert parse_at("2026-11-01T01:30", new_york) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_the_period_of_a_window_is_the_one_holding_its_last_instant():
    midnight = datetime(2026, 11, 26, 0, 0, tzinfo=TOKYO)
    assert window_period_key("daily", midnight, TOKYO) == "2026-11-25"
    assert window_period_key("daily", midnight + timedelta(seconds=1), TOKYO) == "2026-11-26"
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=TOKYO)
    assert window_period_key("weekly", monday, TOKYO) == "2026-W47"


class SkippingDigest:
    name = "weekly_improvement_digest"

    def __init__(self) -> None:
        self.contexts: list[JobContext] = []

    def build(self, ctx: JobContext) -> Skipped:
        self.contexts.append(ctx)
        return Skipped("no incident data at .taisun/incidents/state.jsonl")


def test_digest_maps_to_the_weekly_digest_job_and_a_skip_prints_its_reason(monkeypatch):
    fake = SkippingDigest()
    code, output = invoke("report", "digest", "--at", "2026-11-23T09:20", jobs={fake.name: fake})
    assert code == 0, output
    assert output == (
        "weekly_improvement_digest 2026-W48: skipped: "
        "no incident data at .taisun/incidents/state.jsonl\n"
    )
    (ctx,) = fake.contexts
    assert ctx.window_end == datetime(2026, 11, 23, 0, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "0001-01-03T09:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
        "1969-12-31T23:59:59Z",
    ],
)
def test_a_time_outside_the_representable_years_is_a_usage_error_not_a_traceback(reader, at):
    result = CliRunner().invoke(cli, ["report", "weekly", "--at", at])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for --at: '{at}' is outside the times a report can cover "
        "(1970-01-01 to 9998-12-31, UTC)"
    )
    assert reader.calls == []


def test_the_report_uses_the_cache_of_partials_in_the_state_directory_unless_told_not_to(reader):
    code, output = reader.invoke("report", "weekly", "--at", "2026-11-23T09:10")
    assert code == 0, output
    code, output = reader.invoke("report", "weekly", "--at", "2026-11-23T09:10", "--no-cache")
    assert code == 0, output
    default_state = Path("logs/schedule-state")  # the default stateDir, as the config resolves it
    assert reader.caches[0] is not None
    assert reader.caches[0].name == "partials.sqlite3"
    assert reader.caches[0].parent.parts[-2:] == default_state.parts
    assert reader.caches[1] is None
