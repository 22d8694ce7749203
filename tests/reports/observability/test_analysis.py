from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops_schedule.config import ThresholdsConfig
from ops_schedule.reports.observability.analysis import alert_level, build_report_data, totals_of
from ops_schedule.reports.observability.stats import (
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)

END = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
THRESHOLDS = ThresholdsConfig()  # warn 0.95, critical 0.90, p95 5000 ms


def window(start: datetime = END - DAY, end: datetime = END, **fields: object) -> WindowStats:
    stats = WindowStats(start, end)
    for name, value in fields.items():
        setattr(stats, name, value)
    return stats


def previous_of(current: WindowStats, **fields: object) -> WindowStats:
    return window(current.start - DAY, current.start, **fields)


def mcp(calls: int, failures: int = 0, durations: dict[float, int] | None = None, opened: int = 0):
    return McpStats(calls, failures, Counter(durations or {}), opened)


def report(current: WindowStats, previous: WindowStats | None = None):
    return build_report_data(current, previous or previous_of(current), THRESHOLDS, bucket=HOUR)


def test_an_empty_window_has_null_rates_no_rows_and_warns_about_the_silence():
    data = report(window())
    assert data.totals.events == 0
    assert data.totals.success_rate is None
    assert data.totals.p95_ms is None
    assert data.mcp == ()
    assert data.top_failures == ()
    assert (data.circuit.closed, data.circuit.open, data.circuit.half_open) == (0, 0, 0)
    assert data.alert == "WARNING"
    assert data.alert_reasons == ("noEvents",)
    assert [p.kind for p in data.proposals] == ["noEvents"]
    assert data.deltas.events == 0
    assert data.deltas.events_ratio is None
    assert data.deltas.success_rate is None


def test_totals_count_every_event_and_the_success_rate_is_ok_over_events():
    data = report(window(events=8, ok=6, fail=2, malformed=3))
    assert (data.totals.events, data.totals.ok, data.totals.fail) == (8, 6, 2)
    assert data.totals.success_rate == 0.75
    assert data.totals.malformed_lines == 3


def test_p95_is_the_nearest_rank_element_of_the_sorted_durations():
    # 20 values 1..20: rank ceil(0.95*20) = 19 -> 19. 21 values 1..21: rank ceil(19.95) = 20.
    twenty = {float(v): 1 for v in range(1, 21)}
    twenty_one = {float(v): 1 for v in range(1, 22)}
    data = report(
        window(events=41, ok=41, mcp={"a": mcp(20, 0, twenty), "b": mcp(21, 0, twenty_one)})
    )
    rows = {row.name: row for row in data.mcp}
    assert rows["a"].p95_ms == 19
    assert rows["b"].p95_ms == 20
    assert rows["a"].mean_ms == 10.5  # (1+…+20)/20
    assert rows["b"].mean_ms == 11
    # Over all calls: 41 values with 1..20 twice and 21 once; rank ceil(38.95) = 39 -> 20.
    assert data.totals.p95_ms == 20


def test_a_single_duration_is_its_own_p95_and_repeated_values_count_by_multiplicity():
    data = report(
        window(
            events=101,
            ok=101,
            mcp={"one": mcp(1, 0, {7.5: 1}), "many": mcp(100, 0, {10: 95, 900: 5})},
        )
    )
    rows = {row.name: row for row in data.mcp}
    assert rows["one"].p95_ms == 7.5
    assert rows["many"].p95_ms == 10  # rank 95 is the last 10
    assert rows["many"].mean_ms == (95 * 10 + 5 * 900) / 100


def test_an_mcp_with_calls_but_no_durations_has_null_latency_and_a_real_failure_rate():
    data = report(window(events=4, ok=3, fail=1, mcp={"memory": mcp(4, 1)}))
    (row,) = data.mcp
    assert row.mean_ms is None
    assert row.p95_ms is None
    assert row.failure_rate == 0.25
    assert data.totals.p95_ms is None


def test_top_failures_are_most_frequent_first_ties_by_name_at_most_five():
    failures = {
        "b": FailureStats(3, "b msg"),
        "a": FailureStats(3, "a msg"),
        "c": FailureStats(5, None),
        "d": FailureStats(1),
        "e": FailureStats(1),
        "f": FailureStats(1),
        "g": FailureStats(2),
    }
    data = report(window(events=16, ok=0, fail=16, failures=failures))
    assert [(r.error_type, r.count) for r in data.top_failures] == [
        ("c", 5),
        ("a", 3),
        ("b", 3),
        ("g", 2),
        ("d", 1),
    ]
    assert data.top_failures[1].example == "a msg"
    assert data.other_failures == 2  # e and f


def test_failures_without_an_error_type_are_grouped_as_unknown():
    failures = {"": FailureStats(2, "bare"), "unknown": FailureStats(1, None), "X": FailureStats(2)}
    data = report(window(events=5, ok=0, fail=5, failures=failures))
    assert [(r.error_type, r.count, r.example) for r in data.top_failures] == [
        ("unknown", 3, "bare"),
        ("X", 2, None),
    ]


def test_a_circuit_that_opened_went_half_open_and_closed_in_the_window_is_closed_and_counted():
    durations = {100.0: 30}
    current = window(
        events=30,
        ok=30,
        mcp={"github": mcp(30, 0, durations, opened=1)},
        circuit={"github": CircuitTransition(END - HOUR, "closed")},
    )
    data = report(current)
    (row,) = data.mcp
    assert row.circuit == "closed"
    assert row.circuit_open_count == 1
    assert not row.degraded
    assert (data.circuit.closed, data.circuit.open, data.circuit.half_open) == (1, 0, 0)
    assert data.circuit.not_closed == ()
    assert data.alert == "OK"


def test_mcps_never_seen_in_a_transition_are_closed_and_transition_only_mcps_get_a_row():
    current = window(
        events=10,
        ok=10,
        mcp={"a": mcp(10, 0, {5.0: 10})},
        circuit={
            "z-open": CircuitTransition(END - 2 * DAY, "open"),  # before the window: still counts
            "b-half": CircuitTransition(END - HOUR, "half-open"),
        },
    )
    data = report(current)
    rows = {row.name: row for row in data.mcp}
    assert rows["a"].circuit == "closed"
    assert rows["z-open"].calls == 0
    assert rows["z-open"].failure_rate is None
    assert rows["z-open"].circuit_since == END - 2 * DAY
    assert (data.circuit.closed, data.circuit.open, data.circuit.half_open) == (1, 1, 1)
    assert [r.name for r in data.circuit.not_closed] == ["z-open", "b-half"]  # open first
    assert rows["b-half"].reasons == ("circuit",)
    assert data.alert == "WARNING"


@pytest.mark.parametrize(
    ("ok", "events", "level"),
    [
        (95, 100, "OK"),  # exactly at warnSuccessRate passes
        (9499, 10000, "WARNING"),
        (90, 100, "WARNING"),  # exactly at criticalSuccessRate is only a warning
        (8999, 10000, "CRITICAL"),
        (0, 1, "CRITICAL"),
    ],
)
def test_the_alert_follows_the_success_rate_thresholds_strictly(ok, events, level):
    totals = totals_of(window(events=events, ok=ok, fail=events - ok))
    assert alert_level(totals, (), THRESHOLDS)[0] == level


@pytest.mark.parametrize(("p95", "degraded"), [(5000.0, False), (5000.5, True)])
def test_an_mcp_p95_exactly_at_the_threshold_is_not_degraded(p95, degraded):
    data = report(window(events=20, ok=20, mcp={"x": mcp(20, 0, {p95: 20})}))
    assert data.mcp[0].degraded is degraded
    assert data.alert == ("WARNING" if degraded else "OK")


@pytest.mark.parametrize(
    ("calls", "failures", "degraded"),
    [
        (19, 10, False),  # below the sample floor: one bad minute proves nothing
        (20, 1, False),  # 95 % success: exactly at the line
        (20, 2, True),  # 90 %
        (100, 6, True),  # 94 %
    ],
)
def test_an_mcp_is_degraded_by_failures_only_with_enough_calls(calls, failures, degraded):
    data = report(
        window(events=calls, ok=calls - failures, fail=failures, mcp={"x": mcp(calls, failures)})
    )
    assert data.mcp[0].degraded is degraded
    assert ("failureRate" in data.mcp[0].reasons) is degraded


def test_rows_are_ordered_most_troubled_first_then_by_failures_p95_and_name():
    rows = {
        "quiet": mcp(100, 0, {10.0: 100}),
        "slow": mcp(100, 0, {9000.0: 100}),  # degraded (p95)
        "broken": mcp(100, 50, {10.0: 100}),  # degraded (failures), more failures than slow
        "b-some": mcp(100, 2, {10.0: 100}),
        "a-some": mcp(100, 2, {10.0: 100}),
        "a-slower": mcp(100, 2, {20.0: 100}),
    }
    data = report(window(events=600, ok=546, fail=54, mcp=rows))
    assert [r.name for r in data.mcp] == ["broken", "slow", "a-slower", "a-some", "b-some", "quiet"]


def test_deltas_compare_volume_success_rate_and_p95_with_the_previous_window():
    current = window(events=120, ok=108, fail=12, mcp={"x": mcp(120, 12, {200.0: 120})})
    previous = previous_of(current, events=100, ok=99, fail=1, mcp={"x": mcp(100, 1, {100.0: 100})})
    data = report(current, previous)
    assert data.deltas.events == 20
    assert data.deltas.events_ratio == pytest.approx(0.2)
    assert data.deltas.success_rate == pytest.approx(0.90 - 0.99)
    assert data.deltas.p95_ms == 100
    assert data.previous.events == 100
    assert data.mcp[0].previous_calls == 100
    assert data.mcp[0].previous_p95_ms == 100


def test_every_bucket_of_the_window_is_present_with_zeros_where_nothing_happened():
    current = window(END - 3 * HOUR, END, events=3, ok=2, fail=1, buckets={END - HOUR: [3, 1]})
    data = build_report_data(
        current, window(END - 6 * HOUR, END - 3 * HOUR), THRESHOLDS, bucket=HOUR
    )
    assert [(b.start, b.events, b.failures) for b in data.buckets] == [
        (END - 3 * HOUR, 0, 0),
        (END - 2 * HOUR, 0, 0),
        (END - HOUR, 3, 1),
    ]


def test_notes_from_the_reader_are_kept():
    data = report(window(notes=["event log not found at x.jsonl"]))
    assert data.notes == ("event log not found at x.jsonl",)


mcp_stats = st.builds(
    lambda calls, failures, durations, opened: McpStats(
        calls, min(failures, calls), Counter(durations), opened
    ),
    st.integers(0, 60),
    st.integers(0, 60),
    st.dictionaries(
        st.sampled_from([1.0, 50.0, 4999.0, 5000.0, 5001.0, 9000.0]), st.integers(1, 30)
    ),
    st.integers(0, 3),
)
window_stats = st.builds(
    lambda mcps, failures, circuits, ok, fail: window(
        events=ok + fail,
        ok=ok,
        fail=fail,
        mcp=mcps,
        failures={k: FailureStats(v) for k, v in failures.items()},
        circuit={k: CircuitTransition(END - HOUR, s) for k, s in circuits.items()},
    ),
    st.dictionaries(st.sampled_from("abcdefgh"), mcp_stats, max_size=6),
    st.dictionaries(
        st.sampled_from(["", "unknown", "X", "Y", "Z", "T", "U", "V"]), st.integers(1, 9)
    ),
    st.dictionaries(st.sampled_from("abcxyz"), st.sampled_from(["open", "half-open", "closed"])),
    st.integers(0, 500),
    st.integers(0, 60),
)


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(current=window_stats, previous=window_stats)
def test_report_data_invariants_hold_for_any_window(current, previous):
    data = report(current, previous_of(current, events=previous.events, ok=previous.ok))
    counts = [row.count for row in data.top_failures]
    assert len(counts) <= 5
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) + data.other_failures == sum(f.count for f in current.failures.values())
    assert data.circuit.closed + data.circuit.open + data.circuit.half_open == len(data.mcp)
    degraded_first = [not row.degraded for row in data.mcp]
    assert degraded_first == sorted(degraded_first)
    assert len(data.proposals) <= 5
    assert (data.alert == "CRITICAL") == ("successRateBelowCritical" in data.alert_reasons)
    assert (data.alert == "OK") == (data.alert_reasons == ())
    for row in data.mcp:
        if row.failure_rate is not None:
            assert 0 <= row.failure_rate <= 1
        if row.p95_ms is not None and row.mean_ms is not None:
            assert min(current.mcp[row.name].durations) <= row.p95_ms
