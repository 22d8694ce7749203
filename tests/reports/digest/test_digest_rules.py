from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ops_schedule.reports.digest.incidents import Incident
from ops_schedule.reports.digest.rules import (
    Window,
    build_digest,
    component_health,
    digest_window,
    in_window,
    proposals_for,
    top_causes,
    totals,
)

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
END = datetime(2026, 11, 23, 9, 20, tzinfo=TOKYO)  # Monday 09:20, the digest's default slot
START = datetime(2026, 11, 16, 9, 20, tzinfo=TOKYO)
WINDOW = Window(START.astimezone(UTC), END.astimezone(UTC))
MID = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
LAST_WEEK = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def incident(
    key: str,
    reasons: tuple[str, ...] = (),
    *,
    severity: str = "warn",
    status: str = "active",
    components: tuple[str, ...] = (),
    first: datetime = MID,
    last: datetime | None = None,
    count: int = 1,
    resolved_at: datetime | None = None,
) -> Incident:
    return Incident(
        key=key,
        first_seen=first,
        last_seen=last or first,
        status=status,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        occurrence_count=count,
        top_reasons=reasons,
        affected_components=components,
        resolved_at=resolved_at,
    )


def test_the_window_is_the_seven_days_before_the_scheduled_instant():
    assert digest_window(END, TOKYO) == WINDOW
    assert WINDOW.end - WINDOW.start == timedelta(days=7)


def test_a_window_over_a_daylight_saving_change_keeps_local_wall_times():
    # Los Angeles falls back on 2026-11-01: that week has 169 hours.
    end = datetime(2026, 11, 2, 9, 20, tzinfo=LOS_ANGELES)
    window = digest_window(end, LOS_ANGELES)
    assert window.start.isoformat() == "2026-10-26T16:20:00+00:00"  # 09:20 PDT
    assert window.end.isoformat() == "2026-11-02T17:20:00+00:00"  # 09:20 PST
    assert window.end - window.start == timedelta(hours=169)
    assert digest_window(window.start, LOS_ANGELES).end == window.start


def test_a_window_over_the_spring_change_is_an_hour_shorter():
    # Los Angeles springs forward on 2026-03-08 (02:00 PST -> 03:00 PDT).
    window = digest_window(datetime(2026, 3, 9, 9, 20, tzinfo=LOS_ANGELES), LOS_ANGELES)
    assert window.start.isoformat() == "2026-03-02T17:20:00+00:00"  # 09:20 PST
    assert window.end - window.start == timedelta(hours=167)


def test_a_window_starting_in_the_spring_gap_starts_at_the_first_instant_after_it():
    window = digest_window(datetime(2026, 3, 15, 2, 30, tzinfo=LOS_ANGELES), LOS_ANGELES)
    assert window.start.isoformat() == "2026-03-08T10:00:00+00:00"  # 03:00 PDT
    assert window.end.isoformat() == "2026-03-15T09:30:00+00:00"


def test_a_window_starting_in_the_autumn_fold_starts_at_its_first_occurrence():
    window = digest_window(datetime(2026, 11, 8, 1, 30, tzinfo=LOS_ANGELES), LOS_ANGELES)
    assert window.start.isoformat() == "2026-11-01T08:30:00+00:00"  # 01:30 PDT, not PST


def test_an_incident_last_seen_exactly_at_the_start_belongs_to_the_window():
    assert in_window(
        incident("a", first=WINDOW.start - timedelta(days=2), last=WINDOW.start), WINDOW
    )


def test_an_incident_last_seen_just_before_the_start_does_not():
    late = WINDOW.start - SECOND
    assert not in_window(incident("a", first=late - timedelta(days=1), last=late), WINDOW)


def test_an_incident_first_seen_exactly_at_the_end_does_not_belong_to_the_window():
    assert not in_window(incident("a", first=WINDOW.end), WINDOW)


def test_an_incident_first_seen_just_before_the_end_does():
    first = WINDOW.end - SECOND
    assert in_window(incident("a", first=first, last=first + timedelta(days=3)), WINDOW)


def test_an_incident_spanning_the_whole_window_belongs_to_it():
    spanning = incident(
        "a", first=WINDOW.start - timedelta(days=30), last=WINDOW.end + timedelta(days=1)
    )
    assert in_window(spanning, WINDOW)


def test_totals_count_severities_statuses_and_the_mean_time_to_resolve():
    incidents = [
        incident("a", severity="critical", status="resolved", last=MID + timedelta(minutes=90)),
        incident(
            "b",
            severity="warn",
            status="resolved",
            last=MID + timedelta(minutes=10),
            resolved_at=MID + timedelta(minutes=30),
        ),
        incident("c", severity="warn", status="active", last=MID + timedelta(hours=5)),
        incident("d", severity="info", status="suppressed", reasons=("x",)),
        incident("e", severity="ok", status="resolved", last=MID),
    ]
    result = totals(incidents)
    assert result.incidents == 5
    assert result.by_severity == {"critical": 1, "warn": 2, "info": 1, "ok": 1}
    assert result.by_status == {"active": 1, "resolved": 3, "suppressed": 1}
    # (90 + 30 + 0) / 3 resolved incidents; the active one does not count.
    assert result.mean_time_to_resolve_minutes == 40.0
    assert result.without_reason == 4


def test_the_mean_time_to_resolve_is_none_when_nothing_was_resolved():
    assert totals([incident("a")]).mean_time_to_resolve_minutes is None
    assert totals([]).mean_time_to_resolve_minutes is None


def test_variants_of_a_reason_are_one_cause_counted_once_per_incident():
    incidents = [
        incident("a", ("timeout after 3012ms", "Timeout after 5000 ms"), severity="critical"),
        incident("b", ("Timeout after 5000 ms",)),
        incident("c", ("connection refused to 10.0.0.7:5432",)),
        incident("d", ("timeout after 12ms", "connection refused to 10.0.0.9:5433")),
    ]
    causes = top_causes(incidents)
    assert [(c.cause, c.count) for c in causes] == [
        ("timeout after <n>ms", 3),
        ("connection refused to <ip>", 2),
    ]
    assert causes[0].share == 0.75
    assert causes[0].severity == {"critical": 1, "warn": 2, "info": 0, "ok": 0}


def test_ties_go_to_more_critical_then_more_warn_then_the_cause_in_text_order():
    incidents = [
        incident("a1", ("alpha failure",), severity="info"),
        incident("a2", ("alpha failure",), severity="info"),
        incident("b1", ("bravo failure",), severity="warn"),
        incident("b2", ("bravo failure",), severity="info"),
        incident("c1", ("charlie failure",), severity="critical"),
        incident("c2", ("charlie failure",), severity="info"),
        incident("d1", ("delta failure",), severity="warn"),
        incident("d2", ("delta failure",), severity="info"),
        incident("e1", ("echo failure",), severity="info"),
        incident("e2", ("echo failure",), severity="info"),
        incident("e3", ("echo failure",), severity="info"),
    ]
    assert [c.cause for c in top_causes(incidents, limit=5)] == [
        "echo failure",  # 3 incidents
        "charlie failure",  # 2, one critical
        "bravo failure",  # 2, one warn; "bravo" before "delta"
        "delta failure",
        "alpha failure",
    ]
    assert [c.cause for c in top_causes(incidents)] == [
        "echo failure",
        "charlie failure",
        "bravo failure",
    ]


def test_a_cause_lists_its_components_most_affected_first_and_its_latest_example():
    incidents = [
        incident("a", ("Timeout after 100ms",), components=("slack", "github"), first=MID),
        incident("b", ("timeout after 200ms",), components=("github",), first=MID + SECOND),
        incident("c", ("TIMEOUT after 300ms",), components=("router",), first=MID - SECOND),
    ]
    (cause,) = top_causes(incidents)
    assert cause.components == ("github", "router", "slack")
    assert cause.example == "timeout after 200ms"


def test_previous_counts_come_from_last_weeks_incidents():
    now = [incident("a", ("timeout after 1ms",)), incident("b", ("timeout after 2ms",))]
    before = [incident("z", ("Timeout after 9 ms",), first=LAST_WEEK)]
    (cause,) = top_causes(now, previous=before)
    assert (cause.count, cause.previous_count) == (2, 1)


def test_a_week_of_timeouts_and_a_week_of_rate_limits_get_different_proposals():
    timeouts = [incident(f"t{n}", ("timeout after 3012ms",)) for n in range(5)]
    timeouts.append(incident("r", ("HTTP 429 Too Many Requests",)))
    limits = [incident(f"r{n}", ("HTTP 429 Too Many Requests",)) for n in range(5)]
    limits.append(incident("t", ("timeout after 3012ms",)))

    timeout_first = proposals_for(top_causes(timeouts))
    limit_first = proposals_for(top_causes(limits))

    assert [p.category for p in timeout_first] == ["timeout", "rate_limit"]
    assert [p.category for p in limit_first] == ["rate_limit", "timeout"]
    assert timeout_first[0].causes[0].cause == "timeout after <n>ms"
    assert limit_first[0].causes[0].cause == "http 429 too many requests"


def test_causes_of_one_category_share_a_proposal_and_unknown_causes_get_one_each():
    incidents = [
        incident("a", ("timeout after 5ms", "request timed out", "flux capacitor misaligned")),
        incident("b", ("timeout after 5ms", "request timed out", "warp core breach")),
    ]
    proposals = proposals_for(top_causes(incidents, limit=4))
    assert [(p.category, [c.cause for c in p.causes]) for p in proposals] == [
        ("timeout", ["request timed out", "timeout after <n>ms"]),
        ("other", ["flux capacitor misaligned"]),
        ("other", ["warp core breach"]),
    ]


def test_component_scores_follow_severity_status_and_recurrence():
    incidents = [
        # github: 25 (critical, active) + 10 × 1/2 × 1.5 (warn, resolved, 11 occurrences) = 32.5
        incident("a", severity="critical", components=("github",)),
        incident("b", severity="warn", status="resolved", count=11, components=("github",)),
        # slack: 3 × 1/4 (info, suppressed) = 0.75
        incident("c", severity="info", status="suppressed", components=("slack",)),
        # router: 0 (ok) twice
        incident("d", severity="ok", components=("router",)),
        incident("e", severity="ok", components=("router", "router")),
        # db: 5 active criticals = 125, floored at 0
        *(incident(f"x{n}", severity="critical", components=("db",)) for n in range(5)),
    ]
    health = component_health(incidents)
    assert [(h.component, h.incidents, h.score) for h in health] == [
        ("db", 5, 0),
        ("github", 2, 67),
        ("slack", 1, 99),
        ("router", 2, 100),
    ]
    assert (health[1].critical, health[1].active) == (1, 1)


def test_equal_scores_rank_more_incidents_first_then_by_name():
    incidents = [
        incident("a", severity="ok", components=("beta", "alpha")),
        incident("b", severity="ok", components=("gamma",)),
        incident("c", severity="ok", components=("gamma",)),
    ]
    assert [h.component for h in component_health(incidents)] == ["gamma", "alpha", "beta"]


def test_the_digest_compares_the_window_with_the_week_before():
    incidents = [
        incident("now-1", ("timeout after 1ms",), severity="critical", components=("github",)),
        incident("now-2", ("rate limit hit",)),
        incident("both", ("timeout after 7ms",), first=LAST_WEEK, last=MID),
        incident("before", ("timeout after 9ms",), first=LAST_WEEK, severity="info"),
        incident("older", ("timeout after 9ms",), first=LAST_WEEK - timedelta(days=7)),
        incident("later", ("timeout after 9ms",), first=END.astimezone(UTC) + SECOND),
    ]
    digest = build_digest(incidents, END, TOKYO, malformed_lines=2)
    assert digest.window == WINDOW
    assert digest.previous_window == Window(WINDOW.start - timedelta(days=7), WINDOW.start)
    assert digest.totals.incidents == 3
    assert digest.previous.incidents == 2
    assert [(c.cause, c.count, c.previous_count) for c in digest.causes] == [
        ("timeout after <n>ms", 2, 2),
        ("rate limit hit", 1, 0),
    ]
    assert [p.category for p in digest.proposals] == ["timeout", "rate_limit"]
    assert [h.component for h in digest.components] == ["github"]
    assert digest.malformed_lines == 2
    assert not digest.empty


def test_a_week_without_incidents_is_an_empty_digest():
    digest = build_digest([incident("old", ("x",), first=LAST_WEEK)], END, TOKYO)
    assert digest.empty
    assert digest.causes == ()
    assert digest.proposals == ()
    assert digest.components == ()
    assert digest.previous.incidents == 1
