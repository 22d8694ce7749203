"""Follow-up of last week's proposals: did their causes come back this week, and how often?

Pure: the job hands in last week's archived digest and this week's count of every cause. The
rule is in docs/trends.md ("Follow-up").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ops_schedule.reports.digest.causes import normalize_reason
from ops_schedule.reports.trend.archive import Archived
from ops_schedule.reports.trend.values import UnreadableError, count, rows, text

Verdict = Literal["gone", "fewer", "same", "more"]


@dataclass(frozen=True, slots=True)
class FollowUpItem:
    cause: str  # normalised
    category: str | None  # the proposal's category last week
    before: int  # last week's incidents with the cause, as last week's digest counted them
    now: int  # this week's

    @property
    def verdict(self) -> Verdict:
        if self.now == 0:
            return "gone"
        if self.now == self.before:
            return "same"
        return "fewer" if self.now < self.before else "more"


@dataclass(frozen=True, slots=True)
class FollowUp:
    period: str  # last week
    items: tuple[FollowUpItem, ...]
    problem: str | None = None  # why there is nothing to follow up, in English
    missing: bool = False  # last week was never archived (a gap, not a damaged file)


def _last_week_counts(document: Mapping[str, object]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in [*rows(document, "topCauses"), *rows(document, "causeCounts")]:
        cause = text(row.get("cause"))
        if cause is not None:
            counts.setdefault(normalize_reason(cause), count(row, "count") or 0)
    return counts


def digest_follow_up(last_week: Archived, cause_counts: Mapping[str, int]) -> FollowUp:
    """Each cause of each of last week's proposals, last week's count against this week's."""
    document = last_week.document
    if document is None:
        if last_week.problem is None:
            return FollowUp(
                last_week.period, (), "last week's digest is not in the archive", missing=True
            )
        return FollowUp(last_week.period, (), f"last week's digest: {last_week.problem}")
    try:
        before = _last_week_counts(document)
        items: dict[str, FollowUpItem] = {}
        for proposal in rows(document, "proposals"):
            causes = proposal.get("causes")
            for raw in causes if isinstance(causes, list) else []:
                cause = normalize_reason(raw) if isinstance(raw, str) else ""
                if cause and cause in before and cause not in items:
                    category = text(proposal.get("category"))
                    now = cause_counts.get(cause, 0)
                    items[cause] = FollowUpItem(cause, category, before[cause], now)
    except UnreadableError as exc:
        return FollowUp(last_week.period, (), f"last week's digest: {exc}")
    return FollowUp(last_week.period, tuple(items.values()))
