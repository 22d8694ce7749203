"""The reports as a GitHub reader gets them: rendered by a GFM parser, checked for structure.

Each report is parsed the way GitHub's renderer would (CommonMark with GFM tables) and checked
for what a reader relies on: the sections in order, tables whose rows are as wide as their
header, trend tables with one column per week, charts Mermaid can draw with labels short enough
not to overlap, no raw HTML, and tables whose estimated width fits a 760 px comment.
"""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from trend_archive import DAILY, DIGEST, WEEKLY, build_archive

from ops_schedule.reports.base import Report

COLUMN_PX = 760
# GitHub's comment font: about 7.5 px per Latin character at 14 px, twice that for CJK; each
# cell adds 13 px of padding on both sides.
CHAR_PX, CELL_PADDING_PX = 7.5, 26


@pytest.fixture(scope="module", params=["ja", "en"])
def reports(request: pytest.FixtureRequest, tmp_path_factory) -> dict[str, Report]:
    return build_archive(tmp_path_factory.mktemp(request.param), request.param)[1]


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def headings(tokens: list[Token]) -> list[tuple[str, str]]:
    return [
        (token.tag, tokens[index + 1].content)
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Every table as rows of cell texts, header first."""
    found: list[list[list[str]]] = []
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            found[-1].append([])
        elif token.type in ("th_open", "td_open"):
            found[-1][-1].append(tokens[index + 1].content)
    return found


def display_px(text: str) -> float:
    text = re.sub(r"`+", "", text)
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WF")
    return (len(text) + wide) * CHAR_PX


def estimated_width(rows: list[list[str]]) -> float:
    columns = zip(*rows, strict=True)
    return sum(max(display_px(cell) for cell in column) + CELL_PADDING_PX for column in columns)


def charts(tokens: list[Token]) -> list[str]:
    return [t.content for t in tokens if t.type == "fence" and t.info.strip() == "mermaid"]


def check_chart(chart: str) -> list[str]:
    lines = chart.strip().splitlines()
    init = re.fullmatch(r"%%\{init: (.*)\}%%", lines[0])
    assert init, lines[0]
    assert json.loads(init.group(1))["xyChart"]["height"] > 0
    assert lines[1] == "xychart-beta"
    assert re.fullmatch(r'    title "[^"]+"', lines[2])
    labels = re.findall(r'"([^"]*)"', re.fullmatch(r"    x-axis \[(.*)\]", lines[3]).group(1))
    low, high = map(float, re.fullmatch(r'    y-axis "[^"]+" (\S+) --> (\S+)', lines[4]).groups())
    values = [
        float(v) for v in re.fullmatch(r"    (?:bar|line) \[(.*)\]", lines[5]).group(1).split(", ")
    ]
    assert len(values) == len(labels) >= 2
    assert all(low <= v <= high for v in values), (values, low, high)
    return labels


def test_every_report_is_well_formed_markdown_with_its_sections_in_order(reports):
    for job, report in reports.items():
        tokens = parse(report.markdown)
        assert not [t for t in tokens if t.type in ("html_block", "html_inline")], job
        found = headings(tokens)
        assert found[0][0] == "h2", job
        assert {tag for tag, _ in found[1:]} <= {"h3", "h4"}
        for rows in tables(tokens):
            assert len({len(row) for row in rows}) == 1, (job, rows)


def test_the_weekly_reports_put_follow_up_before_trend_and_the_daily_has_neither(reports):
    for job in (WEEKLY, DIGEST):
        titles = [text for tag, text in headings(parse(reports[job].markdown)) if tag == "h3"]
        follow = next(i for i, t in enumerate(titles) if "2026-W47" in t)
        trend = next(i for i, t in enumerate(titles) if "6" in t and i > follow)
        assert follow < trend, titles
    daily = reports[DAILY].markdown
    assert "2026-W47" not in daily
    assert '"trend"' not in json.dumps(reports[DAILY].data)


def test_trend_tables_have_a_column_per_week_and_a_direction(reports):
    weeks = ["W43", "W44", "W45", "W46", "W47", "W48"]
    for job, expected in ((WEEKLY, 3), (DIGEST, 2)):
        trend_tables = [t for t in tables(parse(reports[job].markdown)) if t[0][1:7] == weeks]
        assert len(trend_tables) == expected, job
        for rows in trend_tables:
            assert len(rows[0]) == 1 + len(weeks) + 1
            for row in rows[1:]:
                assert row[2] == row[4] == "—"  # the gap and the unreadable week


def test_every_chart_can_be_drawn_and_its_labels_are_short(reports):
    for job, report in reports.items():
        found = charts(parse(report.markdown))
        assert found, job
        for chart in found:
            labels = check_chart(chart)
            assert max(len(label) for label in labels) <= 5, labels
            if job != DAILY and "W4" in labels[0]:
                assert "W44" not in labels  # a gap is left off, never drawn as zero
                assert "W46" not in labels


def test_every_table_fits_a_comment_column(reports):
    for job, report in reports.items():
        for rows in tables(parse(report.markdown)):
            assert estimated_width(rows) <= COLUMN_PX, (job, rows[0], estimated_width(rows))


def test_the_one_line_summaries_have_no_placeholders(reports):
    for report in reports.values():
        assert "<n>" not in report.summary
        assert "\n" not in report.summary


def test_trend_rows_name_long_causes_briefly_so_the_weeks_fit(reports):
    trend = next(
        t
        for t in tables(parse(reports[DIGEST].markdown))
        if t[0][-1] in ("Trend", "傾向") and len(t[0]) == 8 and t[0][0] in ("Cause", "原因")
    )
    assert all(len(row[0].strip("`")) <= 24 for row in trend[1:])
