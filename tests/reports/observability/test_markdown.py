from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from repo import ROOT

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.markdown import MAX_REPORT_CHARS
from ops_schedule.reports.observability.analysis import build_report_data
from ops_schedule.reports.observability.contract import report_json
from ops_schedule.reports.observability.markdown import (
    MAX_MCP_ROWS,
    report_markdown,
    report_summary_line,
)
from ops_schedule.reports.observability.model import Proposal, ReportData
from ops_schedule.reports.observability.proposals import RULE_ORDER
from ops_schedule.reports.observability.stats import (
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)
from ops_schedule.reports.observability.wording import proposal_sentences

TOKYO = ZoneInfo("Asia/Tokyo")
END = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
SCHEMA = json.loads((ROOT / "schemas" / "observability-report.schema.json").read_text())


def busy_window(start: datetime, end: datetime, bucket: timedelta) -> WindowStats:
    stats = WindowStats(start, end, events=1000, ok=940, fail=60, malformed=4)
    stats.mcp = {
        "github": McpStats(500, 5, Counter({120.0: 450, 800.0: 50})),
        "browser": McpStats(100, 40, Counter({2500.0: 60, 9000.0: 40}), circuit_open_count=2),
        "memory": McpStats(30, 0, Counter()),
    }
    stats.failures = {
        "TimeoutError": FailureStats(30, "timeout after 30000ms"),
        "RateLimitError": FailureStats(20, "429 | rate limited\nby upstream"),
        "unknown": FailureStats(10, None),
    }
    stats.circuit = {"browser": CircuitTransition(end - HOUR, "open")}
    at = start
    while at < end:
        stats.buckets[at] = [40, 2]
        at += bucket
    return stats


def make_data(bucket: timedelta = HOUR, length: timedelta = DAY) -> ReportData:
    current = busy_window(END - length, END, bucket)
    previous = WindowStats(END - 2 * length, END - length, events=900, ok=890, fail=10)
    return build_report_data(current, previous, ThresholdsConfig(), bucket=bucket)


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def tables(tokens: list[Token]) -> list[list[int]]:
    """Cell counts of every row of every table."""
    found: list[list[int]] = []
    cells = 0
    for token in tokens:
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            found[-1].append(cells)
    return found


def mermaid_blocks(tokens: list[Token]) -> list[str]:
    return [t.content for t in tokens if t.type == "fence" and t.info.strip() == "mermaid"]


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_markdown_parses_with_tables_of_consistent_width(locale):
    markdown = report_markdown(
        make_data(), cadence="daily", period="2026-11-26", locale=locale, zone=TOKYO
    )
    found = tables(parse(markdown))
    # summary (4 columns), MCPs (8), top failures (4), circuit breakers not closed (3)
    assert [rows[0] for rows in found] == [4, 8, 4, 3]
    for rows in found:
        assert len(set(rows)) == 1, rows  # every row as wide as the header
    assert len(found[1]) == 1 + 3  # header and three MCPs
    assert "429 \\| rate limited by upstream" in markdown  # a pipe or newline cannot break a row


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize(("bucket", "length", "bars"), [(HOUR, DAY, 24), (DAY, 7 * DAY, 7)])
def test_events_and_failures_are_two_bar_charts_each_on_its_own_scale(locale, bucket, length, bars):
    markdown = report_markdown(
        make_data(bucket, length), cadence="daily", period="p", locale=locale, zone=TOKYO
    )
    events, failures = mermaid_blocks(parse(markdown))
    for chart, top, value in ((events, 40, "40"), (failures, 2, "2")):
        lines = chart.strip().splitlines()
        assert lines[0].startswith("%%{init:")
        assert lines[1] == "xychart-beta"
        assert re.fullmatch(r'    title "[^"]+"', lines[2])
        labels = re.fullmatch(r"    x-axis \[(.*)\]", lines[3])
        assert labels
        # Failures get an axis of their own: 2 per hour is not flat against 40 events.
        assert re.fullmatch(rf'    y-axis "[^"]+" 0 --> {top}', lines[4])
        bar = re.fullmatch(r"    bar \[([\d, ]*)\]", lines[5])
        assert bar
        assert bar.group(1).split(", ") == [value] * bars
        names = re.findall(r'"([^"]*)"', labels.group(1))
        assert len(names) == bars
        # Two-digit hours (local clock) or local dates: short enough never to overlap.
        assert names[0] == ("09" if bucket == HOUR else "11-19")
        assert max(len(n) for n in names) <= 5


def test_the_english_report_reads_as_expected():
    markdown = report_markdown(
        make_data(), cadence="daily", period="2026-11-26", locale="en", zone=TOKYO
    )
    assert markdown.startswith("## Daily observability report 2026-11-26\n")
    assert "**Alert: 🟡 WARNING** — success rate below 95.0%; 1 MCP(s) degraded" in markdown
    assert "Window: 2026-11-25 09:00 – 2026-11-26 09:00 (Asia/Tokyo)" in markdown
    assert "| Success rate | 94.0% | 98.9% | -4.9 pt |" in markdown
    assert "| MCP | Calls | Failed | Fail % | Mean (ms) | p95 (ms) | Circuit | Status |" in markdown
    assert "| `memory` | 30 | 0 | 0.0% | n/a | n/a | closed | ok |" in markdown
    assert (
        "| `browser` | 100 | 40 | 40.0% | 5,100 | 9,000 | open (2×) | ⚠️ circuit, errors, slow |"
        in markdown
    )
    assert "| `browser` | **open** | 2026-11-26 08:00 |" in markdown
    assert "1. **Check the upstream of `browser`: its circuit breaker is open**" in markdown
    assert "| 2 | `RateLimitError` | 20 | `429 \\| rate limited by upstream` |" in markdown


def test_the_japanese_report_uses_japanese_headings():
    markdown = report_markdown(
        make_data(), cadence="weekly", period="2026-W48", locale="ja", zone=TOKYO
    )
    assert markdown.startswith("## 週次オブザーバビリティレポート 2026-W48\n")
    assert "### 改善提案" in markdown
    assert "| 成功率 | 94.0% | 98.9% | -4.9 pt |" in markdown


def test_a_healthy_report_says_no_action_is_needed():
    current = WindowStats(END - DAY, END, events=10, ok=10)
    data = build_report_data(
        current, WindowStats(END - 2 * DAY, END - DAY), ThresholdsConfig(), bucket=HOUR
    )
    markdown = report_markdown(data, cadence="daily", period="p", locale="en", zone=TOKYO)
    assert "No action needed" in markdown
    assert "Every circuit breaker is closed." in markdown
    assert (
        report_json(
            data, job="daily_observability_report", period="2026-11-26", locale="en", zone=TOKYO
        )["proposals"]
        == []
    )


def test_a_huge_mcp_table_is_cut_with_a_note_and_the_report_stays_under_the_limit():
    current = WindowStats(END - DAY, END, events=1000, ok=1000)
    current.mcp = {f"mcp-{n:03d}-{'x' * 200}": McpStats(5, 0) for n in range(300)}
    data = build_report_data(
        current, WindowStats(END - 2 * DAY, END - DAY), ThresholdsConfig(), bucket=HOUR
    )
    markdown = report_markdown(data, cadence="daily", period="p", locale="en", zone=TOKYO)
    assert len(markdown) <= MAX_REPORT_CHARS
    assert f"… {300 - MAX_MCP_ROWS} more MCPs are listed in the JSON archive." in markdown
    assert len(tables(parse(markdown))[1]) == 1 + MAX_MCP_ROWS


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_the_json_validates_against_the_schema_in_the_repository(locale):
    document = report_json(
        make_data(),
        job="daily_observability_report",
        period="2026-11-26",
        locale=locale,
        zone=TOKYO,
    )
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(json.dumps(document)), SCHEMA)
    assert document["window"] == {"start": "2026-11-25T00:00:00Z", "end": "2026-11-26T00:00:00Z"}
    assert document["previous"]["window"]["end"] == "2026-11-25T00:00:00Z"
    assert document["totals"] == {
        "events": 1000,
        "ok": 940,
        "fail": 60,
        "successRate": 0.94,
        "malformedLines": 4,
        "p95Ms": 9000.0,
    }
    assert document["circuit"] == {
        "closed": 2,
        "open": 1,
        "halfOpen": 0,
        "notClosed": [{"name": "browser", "state": "open", "since": "2026-11-25T23:00:00Z"}],
    }
    assert [row["name"] for row in document["mcp"]] == ["browser", "github", "memory"]
    assert document["alert"] == "WARNING"
    assert len(document["proposals"]) == len(document["proposalDetails"]) <= 5


def test_an_empty_report_also_validates_and_keeps_nulls():
    data = build_report_data(
        WindowStats(END - DAY, END, notes=["event log not found at events.jsonl"]),
        WindowStats(END - 2 * DAY, END - DAY),
        ThresholdsConfig(),
        bucket=HOUR,
    )
    document = report_json(
        data, job="daily_observability_report", period="2026-11-26", locale="ja", zone=TOKYO
    )
    jsonschema.validate(document, SCHEMA)
    assert document["totals"]["successRate"] is None
    assert document["notes"] == ["event log not found at events.jsonl"]


def test_a_document_missing_a_contract_field_fails_the_schema():
    document = report_json(
        make_data(), job="daily_observability_report", period="2026-11-26", locale="en", zone=TOKYO
    )
    del document["mcp"][0]["p95Ms"]
    with pytest.raises(jsonschema.ValidationError, match="p95Ms"):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", RULE_ORDER)
def test_every_proposal_kind_has_a_complete_sentence_in_every_locale(kind, locale):
    facts: dict[str, float | int | str] = {
        "since": END.isoformat(),
        "failures": 3,
        "calls": 40,
        "rate": 0.075,
        "previousRate": 0.99,
        "p95Ms": 6200.0,
        "previousP95Ms": 900.0,
        "thresholdMs": 5000.0,
        "count": 4,
        "share": 0.25,
        "errorType": "TimeoutError",
    }
    action, why = proposal_sentences(Proposal(kind, "warning", "github", facts), locale, TOKYO)
    assert action
    assert why
    assert "{" not in action + why


def test_the_summary_line_names_period_volume_success_and_degraded_mcps():
    assert report_summary_line(make_data(), cadence="daily", period="2026-11-26") == (
        "daily 2026-11-26: 1,000 events, 94.0% ok, 1 MCP degraded, alert WARNING"
    )


nasty_text = st.text(alphabet=st.sampled_from("ab|`\\\n\r*_<>#- 日本"), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(nasty_text, min_size=1, max_size=4, unique=True),
    messages=st.lists(nasty_text, min_size=1, max_size=4, unique=True),
)
# A name that ends a line and opens a code fence once swallowed every table after a proposal.
@example(names=["\r```"], messages=["<"])
def test_any_mcp_name_or_message_keeps_every_table_row_as_wide_as_its_header(names, messages):
    current = WindowStats(END - DAY, END, events=100, ok=90, fail=10)
    current.mcp = {name: McpStats(25, 5, Counter({10.0: 25})) for name in names}
    current.failures = {message: FailureStats(2, message) for message in messages}
    current.circuit = {names[0]: CircuitTransition(END - HOUR, "open")}
    data = build_report_data(
        current, WindowStats(END - 2 * DAY, END - DAY), ThresholdsConfig(), bucket=HOUR
    )
    for locale in ("ja", "en"):
        markdown = report_markdown(data, cadence="daily", period="p", locale=locale, zone=TOKYO)
        found = tables(parse(markdown))
        assert len(found) == 4
        for rows in found:
            assert len(set(rows)) == 1, (rows, markdown)
        assert len(found[1]) == 1 + len(names)


def test_a_chart_with_too_many_buckets_merges_neighbours_and_keeps_the_sums():
    from ops_schedule.reports.observability.chart import MAX_BARS, bar_chart
    from ops_schedule.reports.observability.model import Bucket

    buckets = [Bucket(END + n * HOUR, n, 1) for n in range(168)]
    events = bar_chart(buckets, HOUR, TOKYO, title="t", y_label="y", value="events")
    failures = bar_chart(buckets, HOUR, TOKYO, title="t", y_label="y", value="failures")
    bar = re.search(r"bar \[([\d, ]*)\]", events)
    line = re.search(r"bar \[([\d, ]*)\]", failures)
    assert bar
    assert line
    bars = [int(v) for v in bar.group(1).split(", ")]
    assert len(bars) == 42 <= MAX_BARS  # four hours per bar
    assert sum(bars) == sum(range(168))
    assert [int(v) for v in line.group(1).split(", ")] == [4] * 42
    assert '"09", "13"' in events


def test_an_empty_window_has_no_chart_and_its_notes_stay_a_separate_list():
    data = build_report_data(
        WindowStats(END - DAY, END, notes=["event log not found at events.jsonl"]),
        WindowStats(END - 2 * DAY, END - DAY),
        ThresholdsConfig(),
        bucket=HOUR,
    )
    markdown = report_markdown(data, cadence="daily", period="p", locale="en", zone=TOKYO)
    tokens = parse(markdown)
    assert mermaid_blocks(tokens) == []
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == 2  # the proposal (numbered) and the note
    note = markdown.split("### Notes\n\n")[1]
    assert note.startswith("- event log not found at events\\.jsonl\n\nThresholds:")
