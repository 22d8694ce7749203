from __future__ import annotations

import os
import sys

import orjson
import pytest

from ops_schedule.reports.trend import archive
from ops_schedule.reports.trend.archive import read_archived
from ops_schedule.reports.trend.direction import baseline, direction
from ops_schedule.reports.trend.gather import gather
from ops_schedule.reports.trend.markdown import compact, direction_cell, trend_chart
from ops_schedule.reports.trend.model import Trend, TrendPeriod, series
from ops_schedule.reports.trend.periods import short_label, trend_periods
from ops_schedule.reports.trend.values import UnreadableError, count, number, rate, rows

JOB = "weekly_observability_report"


def test_trend_periods_step_back_through_iso_weeks_and_days_oldest_first():
    assert trend_periods("2027-W01", 3) == ("2026-W52", "2026-W53", "2027-W01")
    assert trend_periods("2026-W02", 3) == ("2025-W52", "2026-W01", "2026-W02")
    assert trend_periods("2026-03-01", 3) == ("2026-02-27", "2026-02-28", "2026-03-01")
    assert short_label("2026-W48") == "W48"
    assert short_label("2026-11-26") == "11-26"
    with pytest.raises(ValueError, match="not a period key"):
        trend_periods("last week", 2)


def test_the_baseline_is_the_median_of_the_earlier_values_that_exist():
    assert baseline([1.0, None, 3.0, 10.0]) == 3.0
    assert baseline([None, None]) is None


@pytest.mark.parametrize(
    ("current", "base", "polarity", "measure", "expected"),
    [
        (0.970, 0.965, "higher", "rate", "flat"),  # exactly half a point: still flat
        (0.971, 0.965, "higher", "rate", "better"),
        (0.959, 0.965, "higher", "rate", "worse"),
        (110.0, 100.0, "lower", "count", "flat"),  # exactly 10 %
        (111.0, 100.0, "lower", "count", "worse"),
        (89.0, 100.0, "lower", "count", "better"),
        (3.0, 2.0, "lower", "count", "flat"),  # a difference of one is never a trend
        (4.0, 2.0, "lower", "count", "worse"),
        (0.0, 2.0, "lower", "count", "better"),
        (1120.0, 1000.0, "lower", "amount", "worse"),
        (1090.0, 1000.0, "lower", "amount", "flat"),
        (1500.0, 1000.0, "neutral", "count", "up"),
        (500.0, 1000.0, "neutral", "count", "down"),
        (None, 1000.0, "lower", "amount", "none"),
        (1.0, None, "lower", "amount", "none"),
    ],
)
def test_the_direction_rule(current, base, polarity, measure, expected):
    assert direction(current, base, polarity, measure) == expected


def test_a_series_compares_its_last_value_with_the_median_of_the_others():
    row = series("p95Ms", [1000.0, None, 1200.0, 1100.0, 1500.0], "lower", "amount")
    assert row.baseline == 1100.0
    assert row.direction == "worse"
    assert direction_cell(row, "en") == "↑ worse"
    assert direction_cell(row, "ja") == "↑ 悪化"
    gone = series("fail", [None, None, 3.0], "lower", "count")
    assert (gone.baseline, gone.direction) == (None, "none")
    assert direction_cell(gone, "en") == "—"


@pytest.mark.parametrize(
    ("value", "measure", "shown"),
    [
        (None, "count", "—"),
        (0.9712, "rate", "97.1"),
        (0.99961, "rate", "99.96"),
        (65_432.0, "count", "65.4k"),
        (150_123.0, "count", "150k"),
        (10_009.0, "amount", "10.0k"),
        (2_345_678.0, "count", "2.35M"),
        (3690.0, "amount", "3,690"),
        (42.25, "amount", "42.2"),
        (7.0, "count", "7"),
    ],
)
def test_numbers_are_compact_so_eight_periods_fit_a_comment(value, measure, shown):
    assert compact(value, measure) == shown


def test_a_chart_leaves_periods_without_a_value_off_the_axis_rather_than_drawing_zero():
    periods = tuple(TrendPeriod(k, "archived") for k in ("2026-W41", "2026-W42", "2026-W43"))
    trend = Trend(periods, (), ())
    chart = trend_chart(
        trend,
        [96.5, None, 97.25],
        title="t",
        y_label="%",
        kind="line",
        y_range=(90.0, 100.0),
    )
    assert '    x-axis ["W41", "W43"]' in chart
    assert "    line [96.5, 97.25]" in chart
    assert '    y-axis "%" 90 --> 100' in chart
    assert (
        trend_chart(trend, [None, None, 1.0], title="t", y_label="y", kind="bar", y_range=(0, 1))
        == ""
    )


def write(tmp_path, period, payload: bytes, job=JOB):
    path = tmp_path / job / f"{period}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def doc(period, **extra):
    return orjson.dumps({"job": JOB, "period": period, **extra})


def test_the_archive_reader_tells_missing_from_unreadable_and_never_raises(tmp_path, monkeypatch):
    write(tmp_path, "2026-W40", doc("2026-W40"))  # an older version: no schemaVersion
    write(tmp_path, "2026-W41", doc("2026-W41", schemaVersion=2))
    write(tmp_path, "2026-W42", b'{"job": "weekly_obs')  # truncated
    write(tmp_path, "2026-W43", b"[1, 2]")
    write(tmp_path, "2026-W44", doc("2026-W40"))  # copied from another week
    write(tmp_path, "2026-W45", doc("2026-W45", schemaVersion=99))
    write(tmp_path, "2026-W46", doc("2026-W46", schemaVersion=True))
    (tmp_path / JOB / "2026-W47.json").mkdir()
    write(tmp_path, "2026-W48", b"\xff\xfe not utf-8")
    write(tmp_path, "2026-W50", b" " * 200)
    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 100)
    periods = [f"2026-W{n}" for n in range(40, 51)]
    found = {a.period: a for a in read_archived(tmp_path, JOB, periods, newest_version=2)}
    assert found["2026-W40"].document is not None
    assert found["2026-W41"].document is not None
    assert found["2026-W49"].document is found["2026-W49"].problem is None  # a gap
    problems = {p: a.problem for p, a in found.items() if a.problem}
    assert problems == {
        "2026-W42": "not JSON (truncated or not UTF-8?)",
        "2026-W43": "not a JSON object",
        "2026-W44": "holds another report (job or period differ)",
        "2026-W45": "written by a newer version (schemaVersion 99; this version reads up to 2)",
        "2026-W46": "schemaVersion is not a positive integer",
        "2026-W47": "not a regular file",
        "2026-W48": "not JSON (truncated or not UTF-8?)",
        "2026-W50": "larger than 0 MiB",
    }


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_in_the_archive_is_refused_without_blocking(tmp_path):
    (tmp_path / JOB).mkdir()
    os.mkfifo(tmp_path / JOB / "2026-W48.json")
    (found,) = read_archived(tmp_path, JOB, ["2026-W48"], newest_version=2)
    assert found.problem == "not a regular file"


def test_accessors_refuse_values_that_do_not_fit_the_contract():
    document = {"totals": {"events": 3, "fail": True, "rate": 1.5, "neg": -1, "ms": "12"}}
    assert count(document, "totals", "events") == 3
    with pytest.raises(UnreadableError, match=r"totals\.fail is not a count"):
        count(document, "totals", "fail")
    with pytest.raises(UnreadableError, match="not a fraction"):
        rate(document, "totals", "rate")
    with pytest.raises(UnreadableError, match="negative"):
        number(document, "totals", "neg")
    with pytest.raises(UnreadableError, match="not a number"):
        number(document, "totals", "ms")
    assert number(document, "totals", "absent") is None
    assert count(document, "totals", "absent", optional=True) is None
    with pytest.raises(UnreadableError, match=r"totals\.events is not an object"):
        number(document, "totals", "events", "deeper")
    assert rows({"mcp": [{"name": "a"}, 3, None]}, "mcp") == [{"name": "a"}]
    with pytest.raises(UnreadableError, match="mcp is not a list"):
        rows({"mcp": {}}, "mcp")


def test_gather_reads_each_period_once_and_notes_what_it_skipped(tmp_path):
    write(tmp_path, "2026-W46", doc("2026-W46", n=5))
    write(tmp_path, "2026-W47", doc("2026-W47", n="five"))
    archived = read_archived(tmp_path, JOB, ["2026-W45", "2026-W46", "2026-W47"], newest_version=2)
    periods, points, notes = gather(archived, "2026-W48", {"n": 7}, lambda d: count(d, "n"))
    assert [(p.key, p.status) for p in periods] == [
        ("2026-W45", "missing"),
        ("2026-W46", "archived"),
        ("2026-W47", "unreadable"),
        ("2026-W48", "current"),
    ]
    assert points == [None, 5, None, 7]
    assert notes == ["2026-W47: archived report skipped: n is not a count"]
