"""The weekly improvement digest as pure functions of incidents and a window.

Nothing here reads the clock or a file; the job hands in the incidents and the window's end.
The rules are documented for operators in ``docs/digest.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from ops_schedule.reports.digest.causes import CauseCategory, classify_cause, normalize_reason
from ops_schedule.reports.digest.incidents import Incident, Severity
from ops_schedule.scheduling.rules import local_to_utc

__all__ = [
    "TOP_CAUSES",
    "Cause",
    "ComponentHealth",
    "Digest",
    "DigestProposal",
    "IncidentTotals",
    "Window",
    "build_digest",
    "component_health",
    "digest_window",
    "in_window",
    "proposals_for",
    "top_causes",
    "totals",
]

TOP_CAUSES = 3
WINDOW_DAYS = 7
SEVERITIES: tuple[Severity, ...] = ("critical", "warn", "info", "ok")

# Component score: each incident touching a component costs points (see component_health).
SEVERITY_PENALTY: dict[str, int] = {"critical": 25, "warn": 10, "info": 3, "ok": 0}
STATUS_FACTOR: dict[str, Fraction] = {
    "active": Fraction(1),
    "resolved": Fraction(1, 2),
    "suppressed": Fraction(1, 4),
}
RECURRENCE_CAP = 10  # occurrences beyond this add nothing more


@dataclass(frozen=True, slots=True)
class Window:
    """Half-open ``[start, end)``, aware UTC instants."""

    start: datetime
    end: datetime


def digest_window(end: datetime, zone: ZoneInfo) -> Window:
    """The 7 days before ``end``, counted as calendar days in ``zone``.

    The start is the same local wall-clock time 7 days earlier, so consecutive weekly windows
    meet exactly even when a daylight-saving change falls inside one of them (that window is
    then 167 or 169 hours long). A start in a DST gap or fold follows the scheduler's policy.
    """
    local_end = end.astimezone(zone)
    start_day = local_end.date() - timedelta(days=WINDOW_DAYS)
    # The scheduler's DST policy: a gap gives the first instant after it, a fold its first time.
    start = local_to_utc(start_day, local_end.time(), zone)
    return Window(start=start, end=end.astimezone(UTC))


def previous_window(window: Window, zone: ZoneInfo) -> Window:
    """The 7 days just before ``window``."""
    return digest_window(window.start, zone)


def in_window(incident: Incident, window: Window) -> bool:
    """An incident belongs to a window when it was active in it: it began before the end and
    was last seen at or after the start."""
    return incident.first_seen < window.end and incident.last_seen >= window.start


@dataclass(frozen=True, slots=True)
class IncidentTotals:
    incidents: int
    by_severity: dict[str, int]  # critical, warn, info, ok
    by_status: dict[str, int]  # active, resolved, suppressed
    mean_time_to_resolve_minutes: float | None
    without_reason: int


def totals(incidents: Sequence[Incident]) -> IncidentTotals:
    """Counts by severity and status, and the mean time to resolve (``None`` if none resolved)."""
    severity = Counter(i.severity for i in incidents)
    status = Counter(i.status for i in incidents)
    minutes = [m for i in incidents if (m := i.time_to_resolve_minutes) is not None]
    mean = round(math.fsum(minutes) / len(minutes), 1) if minutes else None
    return IncidentTotals(
        incidents=len(incidents),
        by_severity={s: severity[s] for s in SEVERITIES},
        by_status={s: status[s] for s in ("active", "resolved", "suppressed")},
        mean_time_to_resolve_minutes=mean,
        without_reason=sum(1 for i in incidents if not _causes_of(i)),
    )


@dataclass(frozen=True, slots=True)
class Cause:
    cause: str  # normalised, e.g. "timeout after <n>ms"
    count: int  # incidents in the window listing it
    share: float  # count / incidents in the window
    severity: dict[str, int]  # critical, warn, info, ok
    components: tuple[str, ...]  # most affected first, then by name
    example: str  # a reason as written, from the most recently seen incident
    category: CauseCategory
    previous_count: int = 0  # the same cause in the week before


def _causes_of(incident: Incident) -> dict[str, str]:
    """Normalised cause -> the first reason of the incident that stands for it."""
    found: dict[str, str] = {}
    for reason in incident.top_reasons:
        cause = normalize_reason(reason)
        if cause and cause not in found:
            found[cause] = reason
    return found


def cause_counts(incidents: Iterable[Incident]) -> Counter[str]:
    """How many incidents list each normalised cause (an incident counts once per cause)."""
    return Counter(cause for incident in incidents for cause in _causes_of(incident))


def top_causes(
    incidents: Sequence[Incident],
    limit: int = TOP_CAUSES,
    previous: Sequence[Incident] = (),
) -> tuple[Cause, ...]:
    """The ``limit`` most frequent causes among ``incidents``.

    Order: more incidents first; on a tie, more critical incidents, then more warn incidents,
    then the cause text in code-point order. ``previous`` (last week's incidents) fills
    ``previous_count``.
    """
    members: dict[str, list[tuple[Incident, str]]] = {}
    for incident in incidents:
        for cause, reason in _causes_of(incident).items():
            members.setdefault(cause, []).append((incident, reason))

    def rank(cause: str) -> tuple[int, int, int, str]:
        listed = [i for i, _ in members[cause]]
        critical = sum(1 for i in listed if i.severity == "critical")
        warn = sum(1 for i in listed if i.severity == "warn")
        return (-len(listed), -critical, -warn, cause)

    before = cause_counts(previous)
    total = len(incidents)
    result = []
    for cause in sorted(members, key=rank)[:limit]:
        listed = members[cause]
        severity = Counter(i.severity for i, _ in listed)
        components = Counter(c for i, _ in listed for c in set(i.affected_components))
        latest = max(listed, key=lambda pair: (pair[0].last_seen, pair[0].key))
        result.append(
            Cause(
                cause=cause,
                count=len(listed),
                share=round(len(listed) / total, 4),
                severity={s: severity[s] for s in SEVERITIES},
                components=tuple(sorted(components, key=lambda c: (-components[c], c))),
                example=latest[1],
                category=classify_cause(cause),
                previous_count=before[cause],
            )
        )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class DigestProposal:
    """One improvement, answering the causes of one category (texts are chosen by render)."""

    category: CauseCategory
    causes: tuple[Cause, ...]

    @property
    def components(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for cause in self.causes:
            seen.update(dict.fromkeys(cause.components))
        return tuple(seen)


def proposals_for(causes: Sequence[Cause]) -> tuple[DigestProposal, ...]:
    """One proposal per category among ``causes``, in the order of its first (top) cause.

    Causes nobody could classify get a proposal each (``other``), since one generic remedy for
    unrelated problems would help nobody.
    """
    grouped: dict[tuple[CauseCategory, str], list[Cause]] = {}
    for cause in causes:
        key = (cause.category, cause.cause if cause.category == "other" else "")
        grouped.setdefault(key, []).append(cause)
    return tuple(DigestProposal(category, tuple(group)) for (category, _), group in grouped.items())


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    component: str
    incidents: int
    score: int  # 0 (worst) to 100 (no trouble)
    critical: int
    active: int


def incident_penalty(incident: Incident) -> Fraction:
    """Points an incident takes off each component it affected.

    severity points (critical 25, warn 10, info 3, ok 0) × status factor (active 1, resolved
    1/2, suppressed 1/4) × recurrence factor (1 + min(occurrenceCount − 1, 10) / 20, so from
    1 for a single occurrence up to 1.5 for 11 or more).
    """
    repeats = min(max(incident.occurrence_count - 1, 0), RECURRENCE_CAP)
    return (
        SEVERITY_PENALTY[incident.severity]
        * STATUS_FACTOR[incident.status]
        * (1 + Fraction(repeats, 2 * RECURRENCE_CAP))
    )


def component_health(incidents: Sequence[Incident]) -> tuple[ComponentHealth, ...]:
    """Score every affected component, worst first.

    score = 100 − the sum of :func:`incident_penalty` over its incidents, rounded down and
    floored at 0. Ties: more incidents first, then by name.
    """
    penalty: dict[str, Fraction] = {}
    count: Counter[str] = Counter()
    critical: Counter[str] = Counter()
    active: Counter[str] = Counter()
    for incident in incidents:
        for component in set(incident.affected_components):
            penalty[component] = penalty.get(component, Fraction(0)) + incident_penalty(incident)
            count[component] += 1
            critical[component] += incident.severity == "critical"
            active[component] += incident.status == "active"
    rows = [
        ComponentHealth(
            component=name,
            incidents=count[name],
            score=max(0, math.floor(100 - penalty[name])),
            critical=critical[name],
            active=active[name],
        )
        for name in penalty
    ]
    return tuple(sorted(rows, key=lambda r: (r.score, -r.incidents, r.component)))


@dataclass(frozen=True, slots=True)
class Digest:
    window: Window
    previous_window: Window
    totals: IncidentTotals
    previous: IncidentTotals
    causes: tuple[Cause, ...]
    proposals: tuple[DigestProposal, ...]
    components: tuple[ComponentHealth, ...]
    malformed_lines: int = 0
    cause_counts: Mapping[str, int] = field(default_factory=dict)  # every cause of the window

    @property
    def empty(self) -> bool:
        return self.totals.incidents == 0


def build_digest(
    incidents: Iterable[Incident], end: datetime, zone: ZoneInfo, malformed_lines: int = 0
) -> Digest:
    """Everything the digest shows, for the 7-day window ending at ``end``."""
    window = digest_window(end, zone)
    before = previous_window(window, zone)
    current: list[Incident] = []
    previous: list[Incident] = []
    for incident in incidents:
        if in_window(incident, window):
            current.append(incident)
        if in_window(incident, before):
            previous.append(incident)
    causes = top_causes(current, previous=previous)
    return Digest(
        window=window,
        previous_window=before,
        totals=totals(current),
        previous=totals(previous),
        causes=causes,
        proposals=proposals_for(causes),
        components=component_health(current),
        malformed_lines=malformed_lines,
        cause_counts=cause_counts(current),
    )
