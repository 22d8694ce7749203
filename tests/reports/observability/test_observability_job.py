"""The observability jobs end to end: a generated log, the real reader, and a second opinion.

The second opinion loads the same log into SQLite (stdlib) and computes the report's numbers
in SQL, independently of ``stats``/``metrics``: totals, per-MCP counts, failure rates, means,
nearest-rank p95 (``row_number()`` against ``ceil(0.95·n)``), top failures and circuit state.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from repo import ROOT

from ops_schedule.config import parse_config
from ops_schedule.demo import write_event_log
from ops_schedule.publishing.publish import publish
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import JobContext, Report
from ops_schedule.reports.jobs import JOBS

LOG_END = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
WINDOW_END = LOG_END - timedelta(hours=12)  # inside the log, so both windows are full
SCHEMA = json.loads((ROOT / "schemas" / "observability-report.schema.json").read_text())


def ms(instant: datetime) -> int:
    return round(instant.timestamp() * 1000)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "events.jsonl"
    write_event_log(
        path,
        start=LOG_END - timedelta(days=3),
        end=LOG_END,
        events=30_000,
        seed=11,
        malformed_every=700,
    )
    return path


def timed(raw: bytes) -> tuple[dict[str, Any] | None, int]:
    try:
        event = json.loads(raw.decode("utf-8"))
        stamp = datetime.fromisoformat(event["timestamp"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None, 0
    if stamp.tzinfo is None:
        return None, 0
    return event, ms(stamp)


@pytest.fixture(scope="module")
def db(log: Path) -> sqlite3.Connection:
    """The log in SQLite; a line is an event when it is a JSON object with an aware timestamp
    and a status of ok or fail. Malformed lines are kept with the time of the event before them,
    which is how the reader attributes them to a window."""
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE events (at INTEGER, status TEXT, mcp TEXT, duration REAL,"
        " error_type TEXT, circuit TEXT, circuit_mcp TEXT)"
    )
    con.execute("CREATE TABLE malformed (at INTEGER)")
    last_at = None
    for raw in log.read_bytes().split(b"\n")[:-1]:
        event, at = timed(raw)
        if event is None:
            con.execute("INSERT INTO malformed VALUES (?)", (last_at,))
            continue
        last_at = at
        if event.get("status") not in ("ok", "fail"):
            con.execute("INSERT INTO malformed VALUES (?)", (at,))
            continue
        metadata = event.get("metadata") or {}
        con.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                event["status"],
                event.get("mcpName"),
                event.get("durationMs"),
                event.get("errorType"),
                metadata.get("circuit"),
                metadata.get("mcp"),
            ),
        )
    return con


def expected(con: sqlite3.Connection, start: datetime, end: datetime) -> dict[str, object]:
    bounds = {"start": ms(start), "end": ms(end)}
    events, ok, fail = con.execute(
        "SELECT count(*), total(status = 'ok'), total(status = 'fail') FROM events"
        " WHERE at >= :start AND at < :end",
        bounds,
    ).fetchone()
    (malformed,) = con.execute(
        "SELECT count(*) FROM malformed WHERE at >= :start AND at < :end", bounds
    ).fetchone()
    mcp = {
        name: {"calls": calls, "failures": int(failures), "meanMs": mean}
        for name, calls, failures, mean in con.execute(
            "SELECT mcp, count(*), total(status = 'fail'), avg(duration) FROM events"
            " WHERE mcp IS NOT NULL AND at >= :start AND at < :end GROUP BY mcp",
            bounds,
        )
    }
    for name, p95 in con.execute(
        """
        WITH ranked AS (
          SELECT mcp, duration,
                 row_number() OVER (PARTITION BY mcp ORDER BY duration) AS rank,
                 count(*) OVER (PARTITION BY mcp) AS n
          FROM events
          WHERE mcp IS NOT NULL AND duration IS NOT NULL AND at >= :start AND at < :end
        )
        SELECT mcp, duration FROM ranked WHERE rank = (95 * n + 99) / 100
        """,
        bounds,
    ):
        mcp[name]["p95Ms"] = p95
    for name, state in con.execute(
        """
        SELECT circuit_mcp, circuit FROM events AS e
        WHERE circuit IS NOT NULL AND at <= :end AND at = (
          SELECT max(at) FROM events WHERE circuit_mcp = e.circuit_mcp AND at <= :end)
        """,
        bounds,
    ):
        mcp.setdefault(name, {"calls": 0, "failures": 0, "meanMs": None})["circuit"] = state
    for name, opened in con.execute(
        "SELECT circuit_mcp, count(*) FROM events WHERE circuit = 'open'"
        " AND at >= :start AND at < :end GROUP BY circuit_mcp",
        bounds,
    ):
        mcp[name]["circuitOpenCount"] = opened
    top = con.execute(
        """
        SELECT coalesce(nullif(error_type, ''), 'unknown') AS kind, count(*) AS n FROM events
        WHERE status = 'fail' AND at >= :start AND at < :end
        GROUP BY kind ORDER BY n DESC, kind LIMIT 5
        """,
        bounds,
    ).fetchall()
    return {
        "totals": {"events": events, "ok": int(ok), "fail": int(fail), "malformed": malformed},
        "mcp": mcp,
        "top": [list(row) for row in top],
    }


def run_job(name: str, log: Path, period: str) -> Report:
    config = parse_config({"sources": {"events": str(log)}, "locale": "en"}, {})
    redactor = build_redactor(config.redaction.patterns, config.redaction.placeholder)
    ctx = JobContext(name, period, WINDOW_END, WINDOW_END, config, redactor)
    result = JOBS[name].build(ctx)
    assert isinstance(result, Report)
    return result


@pytest.mark.parametrize(
    ("name", "period", "length"),
    [
        ("daily_observability_report", "2026-11-25", timedelta(days=1)),
        ("weekly_observability_report", "2026-W48", timedelta(days=7)),
    ],
)
def test_the_report_numbers_equal_an_independent_sql_recomputation(db, log, name, period, length):
    document = run_job(name, log, period).data
    jsonschema.validate(document, SCHEMA)
    want = expected(db, WINDOW_END - length, WINDOW_END)
    totals = document["totals"]
    assert want["totals"] == {
        "events": totals["events"],
        "ok": totals["ok"],
        "fail": totals["fail"],
        "malformed": totals["malformedLines"],
    }
    assert totals["successRate"] == pytest.approx(totals["ok"] / totals["events"])
    rows = {row["name"]: row for row in document["mcp"]}
    assert set(rows) == set(want["mcp"])
    for mcp_name, row in rows.items():
        sql = want["mcp"][mcp_name]
        assert (row["calls"], row["failures"]) == (sql["calls"], sql["failures"]), mcp_name
        if row["calls"]:
            assert row["failureRate"] == pytest.approx(sql["failures"] / sql["calls"])
        assert row["meanMs"] == pytest.approx(sql["meanMs"]), mcp_name
        assert row["p95Ms"] == sql.get("p95Ms"), mcp_name
        assert row["circuit"] == sql.get("circuit", "closed"), mcp_name
        assert row["circuitOpenCount"] == sql.get("circuitOpenCount", 0), mcp_name
    assert [[f["errorType"], f["count"]] for f in document["topFailures"]] == want["top"]
    previous = expected(db, WINDOW_END - 2 * length, WINDOW_END - length)["totals"]
    assert document["previous"]["totals"]["events"] == previous["events"]


def test_the_fixture_exercises_what_the_comparison_claims(db):
    """Guard against a vacuous comparison: the daily window holds the interesting cases."""
    day = expected(db, WINDOW_END - timedelta(days=1), WINDOW_END)
    assert day["totals"]["events"] > 5000
    assert day["totals"]["malformed"] > 0
    assert any(row.get("circuitOpenCount") for row in day["mcp"].values())
    assert len(day["top"]) == 5
    assert day["totals"]["fail"] > 100


def test_example_messages_are_redacted_before_they_reach_the_report(log):
    report = run_job("daily_observability_report", log, "2026-11-25")
    examples = " ".join(f["example"] or "" for f in report.data["topFailures"])
    assert "@" not in examples
    assert "gh" + "p_" not in report.markdown


def test_publishing_archives_markdown_and_json_under_the_period_key(log, tmp_path):
    report = run_job("daily_observability_report", log, "2026-11-25")
    published = publish(report, tmp_path / "out", build_redactor())
    assert published.markdown_path == tmp_path / "out/daily_observability_report/2026-11-25.md"
    archived = json.loads(published.json_path.read_text(encoding="utf-8"))
    jsonschema.validate(archived, SCHEMA)
    assert archived["period"] == "2026-11-25"


def test_a_missing_log_gives_an_empty_report_with_a_note_not_a_crash(tmp_path):
    report = run_job("daily_observability_report", tmp_path / "nope.jsonl", "2026-11-25")
    assert report.data["totals"]["events"] == 0
    assert report.data["alert"] == "WARNING"
    assert report.data["notes"]
    assert report.summary == ("daily 2026-11-25: 0 events, no data, 0 MCPs degraded, alert WARNING")


@pytest.mark.parametrize(
    ("end", "window", "previous"),
    [
        (  # spring, New York: the window of Mar 8 is 23 hours
            "2026-03-08T13:00:00Z",
            {"start": "2026-03-07T14:00:00Z", "end": "2026-03-08T13:00:00Z"},
            {"start": "2026-03-06T14:00:00Z", "end": "2026-03-07T14:00:00Z"},
        ),
        (  # autumn, New York: the window of Nov 1 is 25 hours
            "2026-11-01T14:00:00Z",
            {"start": "2026-10-31T13:00:00Z", "end": "2026-11-01T14:00:00Z"},
            {"start": "2026-10-30T13:00:00Z", "end": "2026-10-31T13:00:00Z"},
        ),
    ],
    ids=["spring", "autumn"],
)
def test_a_daily_window_over_a_dst_change_runs_from_the_previous_days_scheduled_instant(
    tmp_path, end, window, previous
):
    config = parse_config(
        {"timezone": "America/New_York", "sources": {"events": str(tmp_path / "none.jsonl")}},
        {},
    )
    name = "daily_observability_report"
    at = datetime.fromisoformat(end)
    ctx = JobContext(name, "2026-03-08", at, at, config, build_redactor())

    result = JOBS[name].build(ctx)

    assert isinstance(result, Report)
    assert result.data["window"] == window
    assert result.data["previous"]["window"] == previous
