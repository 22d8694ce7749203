"""The JSON contract of an observability report.

Defined in docs/reports.md and schemas/observability-report.schema.json. The documented names are
kept exactly; everything else is added beside them. Instants are UTC ISO-8601 with ``Z``; rates
are fractions (0.971, not 97.1); latencies are milliseconds; ``null`` means "no data", never zero.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from ops_schedule.config import Locale
from ops_schedule.config.values import format_duration
from ops_schedule.reports.observability.model import McpRow, ReportData, WindowTotals
from ops_schedule.reports.observability.wording import proposal_sentences
from ops_schedule.timefmt import utc_iso

# 2: added ``schemaVersion``, ``trend`` and ``followUp`` (docs/trends.md). Archives without it
# are version 1.
SCHEMA_VERSION = 2


def _totals(totals: WindowTotals) -> dict[str, Any]:
    return {
        "events": totals.events,
        "ok": totals.ok,
        "fail": totals.fail,
        "successRate": totals.success_rate,
        "malformedLines": totals.malformed_lines,
        "p95Ms": totals.p95_ms,
    }


def _mcp(row: McpRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "calls": row.calls,
        "failures": row.failures,
        "failureRate": row.failure_rate,
        "meanMs": row.mean_ms,
        "p95Ms": row.p95_ms,
        "circuit": row.circuit,
        "circuitOpenCount": row.circuit_open_count,
        "circuitSince": utc_iso(row.circuit_since) if row.circuit_since else None,
        "degraded": row.degraded,
        "degradedReasons": list(row.reasons),
        "previousCalls": row.previous_calls,
        "previousP95Ms": row.previous_p95_ms,
    }


def report_json(
    data: ReportData, *, job: str, period: str, locale: Locale, zone: ZoneInfo
) -> dict[str, Any]:
    sentences = [proposal_sentences(p, locale, zone) for p in data.proposals]
    return {
        "schemaVersion": SCHEMA_VERSION,
        "job": job,
        "period": period,
        "window": {"start": utc_iso(data.start), "end": utc_iso(data.end)},
        "timezone": zone.key,
        "locale": locale,
        "totals": _totals(data.totals),
        "mcp": [_mcp(row) for row in data.mcp],
        "topFailures": [
            {"errorType": row.error_type, "count": row.count, "example": row.example}
            for row in data.top_failures
        ],
        "otherFailures": data.other_failures,
        "circuit": {
            "closed": data.circuit.closed,
            "open": data.circuit.open,
            "halfOpen": data.circuit.half_open,
            "notClosed": [
                {
                    "name": row.name,
                    "state": row.circuit,
                    "since": utc_iso(row.circuit_since) if row.circuit_since else None,
                }
                for row in data.circuit.not_closed
            ],
        },
        "alert": data.alert,
        "alertReasons": list(data.alert_reasons),
        "degradedMcps": [row.name for row in data.degraded],
        "previous": {
            "window": {
                "start": utc_iso(data.previous_start),
                "end": utc_iso(data.start),
            },
            "totals": _totals(data.previous),
        },
        "deltas": {
            "events": data.deltas.events,
            "eventsRatio": data.deltas.events_ratio,
            "successRate": data.deltas.success_rate,
            "p95Ms": data.deltas.p95_ms,
        },
        "proposals": [f"{action} — {why}" for action, why in sentences],
        "proposalDetails": [
            {
                "kind": p.kind,
                "severity": p.severity,
                "mcp": p.mcp,
                "action": action,
                "why": why,
                "facts": dict(p.facts),
            }
            for p, (action, why) in zip(data.proposals, sentences, strict=True)
        ],
        "series": {
            "bucket": format_duration(data.bucket),
            "points": [
                {"start": utc_iso(b.start), "events": b.events, "failures": b.failures}
                for b in data.buckets
            ],
        },
        "thresholds": {
            "warnSuccessRate": data.thresholds.warn_success_rate,
            "criticalSuccessRate": data.thresholds.critical_success_rate,
            "warnP95Ms": data.thresholds.warn_p95_ms,
        },
        "notes": list(data.notes),
    }
