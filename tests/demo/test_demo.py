from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

import ops_schedule.demo
from ops_schedule.demo import write_event_log, write_incident_file
from ops_schedule.redaction import build_redactor

END = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
START = END - timedelta(days=2)


def parse(path: Path) -> tuple[list[dict[str, object]], list[bytes]]:
    valid, bad = [], []
    for raw in path.read_bytes().split(b"\n")[:-1]:
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            bad.append(raw)
            continue
        if (
            isinstance(event, dict)
            and isinstance(event.get("timestamp"), str)
            and event.get("status") in ("ok", "fail")
        ):
            valid.append(event)
        else:
            bad.append(raw)
    return valid, bad


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("demo") / "events.jsonl"
    lines = write_event_log(path, start=START, end=END, events=20_000, seed=7, malformed_every=500)
    return path, lines


def test_it_writes_exactly_the_requested_events_plus_the_malformed_lines(log):
    path, lines = log
    valid, bad = parse(path)
    assert len(valid) == 20_000
    assert len(bad) == 20_000 // 500
    assert lines == len(valid) + len(bad) == path.read_bytes().count(b"\n")


def test_malformed_lines_cover_blank_not_json_truncated_incomplete_and_not_utf8(log):
    _, bad = parse(log[0])
    assert b"" in bad
    assert any(line.startswith(b"proxy worker") for line in bad)
    assert any(line.endswith(b'"sta') for line in bad)
    assert any(b'"timestamp"' not in line and line.startswith(b"{") for line in bad)
    assert any(not _is_utf8(line) for line in bad)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    def make(name: str, seed: int) -> bytes:
        write_event_log(tmp_path / name, start=START, end=END, events=3000, seed=seed)
        return (tmp_path / name).read_bytes()

    assert make("a", 1) == make("b", 1)
    assert make("a", 1) != make("c", 2)


def test_timestamps_lie_in_the_window_use_both_offsets_and_are_only_slightly_out_of_order(log):
    valid, _ = parse(log[0])
    stamps = [str(e["timestamp"]) for e in valid]
    instants = [datetime.fromisoformat(s) for s in stamps]
    assert all(START <= t < END for t in instants)
    assert any(s.endswith("Z") for s in stamps)
    assert any(s.endswith("+09:00") for s in stamps)
    latest, worst = instants[0], timedelta(0)
    for instant in instants:
        worst = max(worst, latest - instant)
        latest = max(latest, instant)
    assert timedelta(0) < worst <= timedelta(seconds=3)


def test_mcps_differ_in_failure_rate_and_have_heavy_tailed_latency(log):
    valid, _ = parse(log[0])
    calls = [e for e in valid if e["type"] == "internal_mcp_tool_call"]
    by_mcp = Counter(str(e["mcpName"]) for e in calls)
    fails = Counter(str(e["mcpName"]) for e in calls if e["status"] == "fail")
    assert len(by_mcp) == 12
    assert fails["browser"] / by_mcp["browser"] > 10 * fails["filesystem"] / by_mcp["filesystem"]
    github = sorted(int(str(e["durationMs"])) for e in calls if e["mcpName"] == "github")
    median, p99 = github[len(github) // 2], github[len(github) * 99 // 100]
    assert p99 > 3 * median
    assert {e.get("toolName") for e in calls} > {"search_code", "query"}
    assert any(e["type"] == "skill_run" and e.get("skillName") for e in valid)
    assert any(e["status"] == "fail" and "errorType" not in e for e in valid)
    assert len({e.get("errorType") for e in valid if e["status"] == "fail"}) >= 8


def test_circuit_breakers_open_go_half_open_and_close_and_one_is_still_open_at_the_end(log):
    valid, _ = parse(log[0])
    states: dict[str, list[str]] = {}
    for event in valid:
        metadata = event.get("metadata")
        if isinstance(metadata, dict) and "circuit" in metadata:
            states.setdefault(str(metadata["mcp"]), []).append(str(metadata["circuit"]))
    assert states["web-search"][:3] == ["open", "half-open", "closed"]
    assert states["browser"][-1] == "open"
    assert all(s[-1] == "closed" for name, s in states.items() if name != "browser")


def test_error_messages_carry_fake_secrets_that_the_redactor_removes(log):
    valid, _ = parse(log[0])
    messages = [str(e["errorMessage"]) for e in valid if "errorMessage" in e]
    secret_shaped = [m for m in messages if "@" in m or "_" in m.split("token ")[-1][:4]]
    assert secret_shaped
    redactor = build_redactor()
    assert any(redactor.redact(m) != m for m in messages)
    assert not any("@" in redactor.redact(m) for m in messages)


def test_a_tiny_log_has_no_circuit_story_but_still_the_exact_event_count(tmp_path):
    path = tmp_path / "tiny.jsonl"
    assert write_event_log(path, start=START, end=END, events=5) == 5
    assert write_event_log(path, start=START, end=END, events=0) == 0
    assert path.read_bytes() == b""


def test_naive_or_reversed_bounds_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="aware"):
        write_event_log(tmp_path / "x", start=START.replace(tzinfo=None), end=END, events=1)
    with pytest.raises(ValueError, match="must be after"):
        write_event_log(tmp_path / "x", start=END, end=START, events=1)


def test_the_incident_file_has_several_records_per_key_and_every_status(tmp_path):
    path = tmp_path / "state.jsonl"
    lines = write_incident_file(path, end=END, seed=3)
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert len(records) == lines
    keys = Counter(r["incidentKey"] for r in records)
    assert max(keys.values()) > 1
    last = {r["incidentKey"]: r for r in records}
    assert {r["currentStatus"] for r in last.values()} == {"active", "resolved", "suppressed"}
    assert all(r["severity"] in {"critical", "warn", "info"} for r in records)
    assert all(datetime.fromisoformat(r["lastSeen"]) < END for r in records)
    reasons = " ".join(reason for r in records for reason in r["topReasons"])
    assert "timeout after" in reasons
    assert "rate limited" in reasons


def test_no_secret_shaped_literal_sits_in_the_generator_source():
    source_dir = Path(ops_schedule.demo.__file__).parent
    token_shape = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}|[\w.+-]+@[\w-]+\.[a-z]{2,}")
    for source in source_dir.glob("*.py"):
        assert not token_shape.search(source.read_text(encoding="utf-8")), source.name


def test_traffic_is_busier_on_tokyo_afternoons_than_before_dawn(log):
    valid, _ = parse(log[0])
    tokyo_hours = Counter(
        datetime.fromisoformat(str(e["timestamp"])).astimezone(UTC).hour + 9 for e in valid
    )
    afternoon = tokyo_hours[15]  # 15:00 in Tokyo
    before_dawn = tokyo_hours[24 + 3]  # 03:00 the next day, as hours after midnight UTC + 9
    assert afternoon > 2.5 * before_dawn > 0


def test_the_demo_command_writes_data_and_a_valid_config_that_enables_every_job(tmp_path):
    from click.testing import CliRunner

    from ops_schedule.cli.main import cli
    from ops_schedule.config import JOB_NAMES, load_config

    result = CliRunner().invoke(
        cli,
        ["demo", "--dir", "d", "--events", "3000", "--days", "2", "--weeks", "0", "--locale", "en"],
    )
    assert result.exit_code == 0, result.output
    records = len((tmp_path / "d/incidents/state.jsonl").read_bytes().splitlines())
    assert result.output.splitlines() == [
        "wrote d/events.jsonl (3,000 lines over 2 days)",
        f"wrote d/incidents/state.jsonl ({records} incident records)",
        "wrote d/ops-schedule.json (all jobs enabled, nothing posted)",
        "next: ops-schedule --config d/ops-schedule.json run --now",
    ]
    config = load_config(tmp_path / "d" / "ops-schedule.json", {})
    assert config.enabled
    assert all(config.job_active(name) for name in JOB_NAMES)
    assert not any(config.jobs.get(name).post_to_issue for name in JOB_NAMES)
    assert config.sources.events == Path("d/events.jsonl")
    assert config.sources.events.is_file()
    assert config.sources.incidents.is_file()
    assert config.output_dir == Path("d/reports")
    assert config.locale == "en"
