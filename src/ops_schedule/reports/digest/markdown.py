"""Pure renderers for the weekly improvement digest: its JSON (docs/digest.md) and Markdown."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ops_schedule.config import Locale
from ops_schedule.reports.digest.followup import FollowUp
from ops_schedule.reports.digest.rules import Cause, Digest, DigestProposal, IncidentTotals, Window
from ops_schedule.reports.digest.text import ACTIONS, TEXT
from ops_schedule.reports.digest.trend_markdown import trend_markdown
from ops_schedule.reports.markdown import MAX_REPORT_CHARS, clip, code_span, cut_lines, prose, table
from ops_schedule.reports.trend.change import change_mark
from ops_schedule.reports.trend.model import Trend
from ops_schedule.timefmt import local_minute, utc_iso

__all__ = [
    "EXAMPLE_CHARS",
    "SCHEMA_VERSION",
    "digest_json",
    "digest_markdown",
    "proposal_texts",
]

EXAMPLE_CHARS = 300  # an example reason, as shown
CELL_EXAMPLE_CHARS = 120
COMPONENTS_IN_CELL = 5
COMPONENTS_IN_ACTION = 3
COMPONENT_ROWS = 20
CAUSE_COUNTS = 50  # causes listed with their counts in the JSON, for later trends
# 2: added ``schemaVersion``, ``causeCounts``, ``causeCountsComplete``, ``trend`` and
# ``followUp`` (docs/trends.md). Archives without it are version 1.
SCHEMA_VERSION = 2
_BLANK_RUNS = re.compile(r"\n{3,}")


def _plain(text: str) -> str:
    return text


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _names(names: Sequence[str], limit: int, locale: Locale, code: Callable[[str], str]) -> str:
    text = TEXT[locale]
    if not names:
        return text["affected"]
    shown = ", ".join(code(n) for n in names[:limit])
    if len(names) > limit:
        return text["and_more"].format(names=shown, n=len(names) - limit)
    return shown


def proposal_texts(
    proposal: DigestProposal, total: int, locale: Locale, code: Callable[[str], str] = _plain
) -> tuple[str, str]:
    """``(action, why)`` of a proposal; ``code`` marks up data (causes, component names)."""
    text = TEXT[locale]
    action = ACTIONS[locale][proposal.category].format(
        components=_names(proposal.components, COMPONENTS_IN_ACTION, locale, code),
        cause=code(proposal.causes[0].cause),
    )
    reasons = []
    for cause in proposal.causes:
        line = text["why_line"].format(
            cause=code(cause.cause),
            count=cause.count,
            total=total,
            share=_percent(cause.share),
            critical=cause.severity["critical"],
            previous=cause.previous_count,
        )
        if cause.components:
            line += text["why_components"].format(
                names=_names(cause.components, COMPONENTS_IN_CELL, locale, code)
            )
        reasons.append(line)
    return action, "; ".join(reasons)


def _summary_json(totals: IncidentTotals) -> dict[str, Any]:
    return {
        "totalIncidents": totals.incidents,
        "critical": totals.by_severity["critical"],
        "warn": totals.by_severity["warn"],
        "info": totals.by_severity["info"],
        "ok": totals.by_severity["ok"],
        "resolved": totals.by_status["resolved"],
        "active": totals.by_status["active"],
        "suppressed": totals.by_status["suppressed"],
        "meanTimeToResolveMinutes": totals.mean_time_to_resolve_minutes,
        "incidentsWithoutReason": totals.without_reason,
    }


def _window_json(window: Window) -> dict[str, str]:
    return {"start": utc_iso(window.start), "end": utc_iso(window.end)}


def _delta(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def _cause_json(cause: Cause) -> dict[str, Any]:
    return {
        "cause": cause.cause,
        "count": cause.count,
        "share": cause.share,
        "severity": dict(cause.severity),
        "components": list(cause.components),
        "example": clip(cause.example, EXAMPLE_CHARS),
        "category": cause.category,
        "previousCount": cause.previous_count,
        "delta": cause.count - cause.previous_count,
    }


def follow_up_json(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "period": follow_up.period,
        "items": [
            {
                "cause": item.cause,
                "category": item.category,
                "lastWeek": item.before,
                "thisWeek": item.now,
                "verdict": item.verdict,
            }
            for item in follow_up.items
        ],
        "note": follow_up.problem,
    }


def digest_json(
    digest: Digest, job: str, period: str, locale: Locale, timezone: str
) -> dict[str, Any]:
    """The digest JSON of docs/digest.md (its names kept; more fields added)."""
    summary = _summary_json(digest.totals)
    previous = _summary_json(digest.previous)
    proposals = []
    for proposal in digest.proposals:
        action, why = proposal_texts(proposal, digest.totals.incidents, locale)
        proposals.append(
            {
                "action": action,
                "why": why,
                "causes": [c.cause for c in proposal.causes],
                "category": proposal.category,
                "components": list(proposal.components),
            }
        )
    counts = sorted(digest.cause_counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "schemaVersion": SCHEMA_VERSION,
        "job": job,
        "period": period,
        "window": {**_window_json(digest.window), "timezone": timezone},
        "summary": summary,
        "topCauses": [_cause_json(c) for c in digest.causes],
        "proposals": proposals,
        "componentHealth": [
            {
                "component": c.component,
                "incidents": c.incidents,
                "score": c.score,
                "critical": c.critical,
                "active": c.active,
            }
            for c in digest.components
        ],
        "previous": {"window": _window_json(digest.previous_window), "summary": previous},
        "change": {
            key: _delta(summary[key], previous[key])
            for key in (
                "totalIncidents",
                "critical",
                "warn",
                "info",
                "resolved",
                "active",
                "suppressed",
                "meanTimeToResolveMinutes",
            )
        },
        "malformedLines": digest.malformed_lines,
        "locale": locale,
        "causeCounts": [{"cause": c, "count": n} for c, n in counts[:CAUSE_COUNTS]],
        "causeCountsComplete": len(counts) <= CAUSE_COUNTS,
    }


# --------------------------------------------------------------------------- Markdown


def _signed(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "±0"
    number = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return number.removesuffix(".0")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, int) else f"{value:.1f}"


def _header(digest: Digest, period: str, locale: Locale, zone: ZoneInfo) -> list[str]:
    text = TEXT[locale]
    start, end = local_minute(digest.window.start, zone), local_minute(digest.window.end, zone)
    window = f"{start} – {end} ({zone.key})"
    return [f"## {text['title']} {period}", "", f"{text['window']}: {window}", ""]


def _footer(digest: Digest, locale: Locale) -> list[str]:
    text = TEXT[locale]
    notes = [
        text[key + "_one" if n == 1 else key].format(n=n)
        for key, n in (
            ("without_reason", digest.totals.without_reason),
            ("malformed", digest.malformed_lines),
        )
        if n
    ]
    return ["", *(f"_{note}_" for note in notes)] if notes else []


def _summary_table(digest: Digest, locale: Locale) -> str:
    text = TEXT[locale]
    now, before = digest.totals, digest.previous
    rows: list[tuple[str, float | None, float | None]] = [
        (text["incidents"], now.incidents, before.incidents),
        *((text[s], now.by_severity[s], before.by_severity[s]) for s in ("critical", "warn")),
        (text["info"], now.by_severity["info"], before.by_severity["info"]),
        *(
            (text[s], now.by_status[s], before.by_status[s])
            for s in ("resolved", "active", "suppressed")
        ),
        (text["mttr"], now.mean_time_to_resolve_minutes, before.mean_time_to_resolve_minutes),
    ]
    return table(
        [text["metric"], text["this_week"], text["last_week"], text["change"]],
        [(label, _number(a), _number(b), _signed(_delta(a, b))) for label, a, b in rows],
        "lrrr",
    )


def _causes_table(digest: Digest, locale: Locale) -> str:
    """The numbers in a table narrow enough for a comment; each cause's example and components
    in a numbered list below it (the numbers match the ``#`` column)."""
    text = TEXT[locale]
    rows = []
    details = []
    for rank, cause in enumerate(digest.causes, start=1):
        mix = " / ".join(str(cause.severity[s]) for s in ("critical", "warn", "info"))
        rows.append(
            (
                rank,
                code_span(cause.cause),
                cause.count,
                _percent(cause.share),
                mix,
                _signed(cause.count - cause.previous_count),
            )
        )
        components = (
            _names(cause.components, COMPONENTS_IN_CELL, locale, code_span)
            if cause.components
            else "—"
        )
        details.append(
            text["cause_details"].format(
                rank=rank,
                example=code_span(clip(cause.example, CELL_EXAMPLE_CHARS)),
                components=components,
            )
        )
    headers = ["#", text["cause"], text["incidents"], text["share"], text["mix"]]
    causes = table([*headers, text["vs_last_week"]], rows, "rlrrcr")
    return causes + "\n\n" + "\n".join(details)


def _proposals_list(digest: Digest, locale: Locale) -> list[str]:
    text = TEXT[locale]
    lines = []
    for number, proposal in enumerate(digest.proposals, start=1):
        action, why = proposal_texts(proposal, digest.totals.incidents, locale, code_span)
        lines.extend([f"{number}. {action}", f"   - {text['why']}: {why}"])
    return lines


def _health_table(digest: Digest, locale: Locale) -> list[str]:
    text = TEXT[locale]
    shown = digest.components[:COMPONENT_ROWS]
    lines = [
        table(
            [text["component"], text["incidents"], text["critical"], text["active"], text["score"]],
            [(code_span(c.component), c.incidents, c.critical, c.active, c.score) for c in shown],
            "lrrrr",
        )
    ]
    hidden = len(digest.components) - len(shown)
    if hidden > 0:
        lines.extend(["", f"_{text['more_components'].format(n=hidden)}_"])
    return lines


def _follow_up_lines(follow_up: FollowUp, locale: Locale) -> list[str]:
    text = TEXT[locale]
    lines = [f"### {text['follow_up'].format(period=follow_up.period)}", ""]
    if follow_up.problem is not None:
        key = "follow_up_missing" if follow_up.missing else "follow_up_unreadable"
        lines.append(text[key].format(period=follow_up.period, problem=prose(follow_up.problem)))
    elif not follow_up.items:
        lines.append(text["follow_up_none"])
    lines.extend(
        "- "
        + text["follow_up_line"].format(
            cause=code_span(item.cause),
            before=item.before,
            now=item.now,
            mark=change_mark(item.before, item.now),
            verdict=text[f"verdict_{item.verdict}"],
        )
        for item in follow_up.items
    )
    return [*lines, ""]


def digest_markdown(
    digest: Digest,
    period: str,
    locale: Locale,
    zone: ZoneInfo,
    *,
    trend: Trend | None = None,
    follow_up: FollowUp | None = None,
) -> str:
    """GitHub-flavoured Markdown, never longer than ``MAX_REPORT_CHARS``."""
    text = TEXT[locale]
    lines = _header(digest, period, locale, zone)
    if digest.empty:
        lines.append(text["none"])
        before = digest.previous.incidents
        if before:
            lines.append(
                text["none_previous_one" if before == 1 else "none_previous"].format(n=before)
            )
        if follow_up is not None:
            lines.extend(["", *_follow_up_lines(follow_up, locale)])
        if trend is not None:
            lines.extend(["", *trend_markdown(trend, locale)])
        lines.extend(_footer(digest, locale))
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).rstrip("\n") + "\n"
    lines.extend([f"### {text['summary']}", "", _summary_table(digest, locale), ""])
    lines.extend([f"### {text['top_causes']}", ""])
    if digest.causes:
        lines.extend([_causes_table(digest, locale), ""])
        lines.extend([f"### {text['proposals']}", "", *_proposals_list(digest, locale), ""])
    else:
        lines.extend([text["no_causes"], ""])
    if follow_up is not None:
        lines.extend(_follow_up_lines(follow_up, locale))
    if trend is not None:
        lines.extend(trend_markdown(trend, locale))
    if digest.components:
        lines.extend([f"### {text['health']}", "", *_health_table(digest, locale)])
    lines.extend(_footer(digest, locale))
    markdown = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).rstrip("\n") + "\n"
    return cut_lines(markdown, MAX_REPORT_CHARS, text["cut"])
