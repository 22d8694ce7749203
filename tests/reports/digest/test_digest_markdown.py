from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from repo import ROOT

from ops_schedule.reports.digest.incidents import Incident
from ops_schedule.reports.digest.markdown import digest_json, digest_markdown
from ops_schedule.reports.digest.rules import build_digest
from ops_schedule.reports.markdown import MAX_REPORT_CHARS, code_span

SCHEMA = json.loads((ROOT / "schemas/digest.schema.json").read_text(encoding="utf-8"))
TOKYO = ZoneInfo("Asia/Tokyo")
END = datetime(2026, 11, 23, 9, 20, tzinfo=TOKYO)
MID = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
JOB = "weekly_improvement_digest"


def incident(key, reasons, severity="warn", status="active", components=("github",), **kw):
    first = kw.pop("first", MID)
    return Incident(
        key=key,
        first_seen=first,
        last_seen=kw.pop("last", first + timedelta(minutes=20)),
        status=status,
        severity=severity,
        top_reasons=tuple(reasons),
        affected_components=tuple(components),
        **kw,
    )


INCIDENTS = [
    incident("a", ["timeout after 3012ms"], "critical", "resolved", ("github", "router")),
    incident("b", ["Timeout after 5000 ms"], components=("github",)),
    incident("c", ["HTTP 429 Too Many Requests"], "info", components=("slack",)),
    incident("d", ["flux | capacitor `misaligned`"], components=("db|primary",)),
    incident("e", ["timeout after 1ms"], first=MID - timedelta(days=7)),
]


def tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every table as (header cells, body rows), as GitHub-flavoured Markdown parses it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found: list[tuple[list[str], list[list[str]]]] = []
    row: list[str] = []
    in_table = in_head = False
    for token in tokens:
        if token.type == "table_open":
            found.append(([], []))
            in_table = True
        elif token.type == "table_close":
            in_table = False
        elif token.type in {"thead_open", "thead_close"}:
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and in_head:
            found[-1][0].extend(row)
        elif token.type == "tr_close":
            found[-1][1].append(row)
        elif token.type == "inline" and in_table:
            row.append(token.content)
    return found


def render_html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


@pytest.mark.parametrize(
    ("locale", "headers"),
    [
        (
            "en",
            [
                ["Metric", "This week", "Last week", "Change"],
                [
                    "#",
                    "Cause",
                    "Incidents",
                    "Share",
                    "Critical / Warn / Info",
                    "vs last week",
                ],
                ["Component", "Incidents", "Critical", "Active", "Score (0–100)"],
            ],
        ),
        (
            "ja",
            [
                ["項目", "今週", "前週", "増減"],
                [
                    "#",
                    "原因",
                    "インシデント数",
                    "割合",
                    "critical / warn / info",
                    "前週比",
                ],
                ["コンポーネント", "インシデント数", "critical", "対応中", "スコア (0–100)"],
            ],
        ),
    ],
)
def test_the_markdown_tables_parse_with_the_right_columns(locale, headers):
    markdown = digest_markdown(build_digest(INCIDENTS, END, TOKYO), "2026-W48", locale, TOKYO)
    parsed = tables(markdown)
    assert [head for head, _ in parsed] == headers
    for head, rows in parsed:
        assert all(len(row) == len(head) for row in rows), rows
    summary, causes, health = (rows for _, rows in parsed)
    assert summary[0][1:] == ["4", "1", "+3"]
    assert [row[1] for row in causes] == [
        "`timeout after <n>ms`",
        "`flux | capacitor <value>`",
        "`http 429 too many requests`",
    ]
    assert [row[2] for row in causes] == ["2", "1", "1"]
    assert causes[0][5] == "+1"
    # Examples and components sit below the table, so it fits a comment's width.
    below = markdown.split("### ")[2]
    if locale == "en":
        assert "1. Example: `Timeout after 5000 ms` — components: `github`, `router`" in below
    else:
        assert "1. 例: `Timeout after 5000 ms` — コンポーネント: `github`, `router`" in below
    assert [row[0] for row in health] == ["`github`", "`router`", "`db|primary`", "`slack`"]
    assert [row[4] for row in health] == ["77", "87", "90", "97"]


def test_causes_and_examples_render_literally_not_as_html():
    markdown = digest_markdown(build_digest(INCIDENTS, END, TOKYO), "2026-W48", "en", TOKYO)
    html = render_html(markdown)
    assert "<code>timeout after &lt;n&gt;ms</code>" in html
    assert "<code>flux | capacitor &lt;value&gt;</code>" in html
    assert "<code>flux | capacitor `misaligned`</code>" in html  # the example, as written


def test_the_markdown_names_the_window_in_the_configured_zone():
    markdown = digest_markdown(build_digest(INCIDENTS, END, TOKYO), "2026-W48", "en", TOKYO)
    assert markdown.startswith(
        "## Weekly improvement digest 2026-W48\n\n"
        "Window: 2026-11-16 09:20 – 2026-11-23 09:20 (Asia/Tokyo)\n"
    )


def test_proposals_say_what_to_do_why_and_for_which_cause():
    data = digest_json(build_digest(INCIDENTS, END, TOKYO), JOB, "2026-W48", "en", "Asia/Tokyo")
    first = data["proposals"][0]
    assert first["causes"] == ["timeout after <n>ms"]
    assert first["category"] == "timeout"
    assert first["action"].startswith("Give calls to github, router an explicit timeout")
    assert first["why"] == (
        "timeout after <n>ms: 2 of 4 incidents (50.0%), 1 critical, last week 1; "
        "components: github, router"
    )


def test_the_json_keeps_the_spec_names_and_values():
    data = digest_json(build_digest(INCIDENTS, END, TOKYO), JOB, "2026-W48", "ja", "Asia/Tokyo")
    jsonschema.validate(data, SCHEMA)
    assert data["window"] == {
        "start": "2026-11-16T00:20:00Z",
        "end": "2026-11-23T00:20:00Z",
        "timezone": "Asia/Tokyo",
    }
    assert {k: data["summary"][k] for k in SCHEMA["$defs"]["summary"]["required"]} == {
        "totalIncidents": 4,
        "critical": 1,
        "warn": 2,
        "info": 1,
        "resolved": 1,
        "active": 3,
        "meanTimeToResolveMinutes": 20.0,
    }
    top = data["topCauses"][0]
    assert {k: top[k] for k in ("cause", "count", "share", "components", "example")} == {
        "cause": "timeout after <n>ms",
        "count": 2,
        "share": 0.5,
        "components": ["github", "router"],
        "example": "Timeout after 5000 ms",
    }
    assert top["severity"] == {"critical": 1, "warn": 1, "info": 0, "ok": 0}
    assert data["componentHealth"][0] == {
        "component": "github",
        "incidents": 2,
        "score": 77,  # 100 - 25 × 1/2 (critical, resolved) - 10 (warn, active) = 77.5
        "critical": 1,
        "active": 1,
    }
    assert data["change"]["totalIncidents"] == 3


def test_an_empty_week_gives_a_short_digest_that_still_validates():
    digest = build_digest([], END, TOKYO)
    data = digest_json(digest, JOB, "2026-W48", "en", "Asia/Tokyo")
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["totalIncidents"] == 0
    assert data["summary"]["meanTimeToResolveMinutes"] is None
    assert (data["topCauses"], data["proposals"], data["componentHealth"]) == ([], [], [])
    for locale, line in (
        ("en", "No incidents in this window."),
        ("ja", "この期間のインシデントはありません。"),
    ):
        markdown = digest_markdown(digest, "2026-W48", locale, TOKYO)
        assert markdown.endswith(f"\n\n{line}\n")
        assert tables(markdown) == []
        assert len(markdown) < 200


def test_an_empty_week_mentions_last_weeks_count_and_skipped_lines():
    digest = build_digest([INCIDENTS[-1]], END, TOKYO, malformed_lines=1)
    markdown = digest_markdown(digest, "2026-W48", "en", TOKYO)
    assert markdown.endswith(
        "No incidents in this window.\nLast week: 1 incident.\n\n"
        "_1 malformed line in the incident data was skipped._\n"
    )


def test_a_huge_week_stays_under_the_comment_limit_and_valid():
    reasons = [f"failure {'x' * 5000} kind {chr(0x4E00 + n)}" for n in range(50)]
    many = [
        incident(
            f"i{n}",
            reasons,
            "critical",
            components=[f"component-{n}-{m}-{'y' * 60}" for m in range(40)],
        )
        for n in range(100)
    ]
    digest = build_digest(many, END, TOKYO)
    for locale in ("en", "ja"):
        markdown = digest_markdown(digest, "2026-W48", locale, TOKYO)
        assert len(markdown) <= MAX_REPORT_CHARS
        assert len(tables(markdown)) == 3
    jsonschema.validate(digest_json(digest, JOB, "2026-W48", "en", "Asia/Tokyo"), SCHEMA)


@pytest.mark.parametrize(
    ("text", "span"),
    [("plain", "`plain`"), ("a`b", "``a`b``"), ("`x`", "`` `x` ``"), ("a\nb", "`a b`")],
)
def test_a_code_span_shows_any_text_literally(text, span):
    assert code_span(text) == span


REASONS = st.sampled_from(
    [
        "timeout after 3012ms",
        "Timeout after 5000 ms",
        "HTTP 429 Too Many Requests",
        "connection refused to 10.0.0.7:5432",
        "unknown tool 'x'",
        "flux capacitor misaligned",
        "",
    ]
)


@st.composite
def incidents(draw):
    first = draw(
        st.datetimes(
            min_value=datetime(2026, 11, 1),
            max_value=datetime(2026, 11, 30),
            timezones=st.just(UTC),
        )
    )
    return Incident(
        key=draw(st.text(min_size=1, max_size=5)),
        first_seen=first,
        last_seen=first + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))),
        status=draw(st.sampled_from(["active", "resolved", "suppressed"])),
        severity=draw(st.sampled_from(["critical", "warn", "info", "ok"])),
        occurrence_count=draw(st.integers(0, 50)),
        top_reasons=tuple(draw(st.lists(REASONS, max_size=3))),
        affected_components=tuple(draw(st.lists(st.sampled_from("abcde"), max_size=3))),
    )


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(st.lists(incidents(), max_size=25))
def test_any_set_of_incidents_gives_a_consistent_valid_digest(generated):
    digest = build_digest(generated, END, TOKYO)
    data = digest_json(digest, JOB, "2026-W48", "en", "Asia/Tokyo")
    jsonschema.validate(data, SCHEMA)
    total = data["summary"]["totalIncidents"]
    assert total == sum(data["summary"][s] for s in ("critical", "warn", "info", "ok"))
    assert total == sum(data["summary"][s] for s in ("active", "resolved", "suppressed"))
    counts = [c["count"] for c in data["topCauses"]]
    assert counts == sorted(counts, reverse=True)
    assert all(0 < c <= total for c in counts)
    assert all(sum(c["severity"].values()) == c["count"] for c in data["topCauses"])
    assert sorted(x for p in data["proposals"] for x in p["causes"]) == sorted(
        c["cause"] for c in data["topCauses"]
    )
    scores = [c["score"] for c in data["componentHealth"]]
    assert scores == sorted(scores)
    for locale in ("en", "ja"):
        markdown = digest_markdown(digest, "2026-W48", locale, TOKYO)
        expected = 0 if total == 0 else 1 + bool(counts) + bool(scores)
        assert len(tables(markdown)) == expected
        assert "\n\n\n" not in markdown
