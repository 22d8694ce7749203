"""Sentences built from numbers: proposals and alert reasons, in the report's locale.

Names from the log (an MCP, an error type) enter a sentence as code spans, inert whatever they
hold (docs/markdown-safety.md).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ops_schedule.config import Locale, ThresholdsConfig
from ops_schedule.reports.markdown import code_span
from ops_schedule.reports.observability.model import Proposal, ReportData
from ops_schedule.reports.observability.text import (
    LABELS,
    PROPOSALS,
    fmt_int,
    fmt_ms,
    fmt_percent,
)
from ops_schedule.timefmt import local_minute

_PERCENT_FACTS = ("rate", "previousRate", "share")
_MS_FACTS = ("p95Ms", "previousP95Ms", "thresholdMs")


def _format_fact(key: str, value: float | str, locale: Locale, zone: ZoneInfo) -> str:
    na = LABELS[locale]["na"]
    if isinstance(value, str):
        if key == "since" and value:
            return local_minute(datetime.fromisoformat(value), zone)
        return code_span(value) or na
    if key in _PERCENT_FACTS:
        return fmt_percent(value, na)
    if key in _MS_FACTS:
        return fmt_ms(value, na)
    return fmt_int(int(value))


def proposal_sentences(proposal: Proposal, locale: Locale, zone: ZoneInfo) -> tuple[str, str]:
    """(what to do, why) for one proposal."""
    key = proposal.kind
    if key == "errorType":
        key = f"errorType.{proposal.facts['errorType']}"
    action, why = PROPOSALS[locale][key]
    values = {k: _format_fact(k, v, locale, zone) for k, v in proposal.facts.items()}
    values["mcp"] = code_span(proposal.mcp) or LABELS[locale]["na"]
    return action.format(**values), why.format(**values)


def alert_reasons(data: ReportData, locale: Locale) -> list[str]:
    labels = LABELS[locale]
    thresholds: ThresholdsConfig = data.thresholds
    values = {
        "critical": fmt_percent(thresholds.critical_success_rate, labels["na"]),
        "warn": fmt_percent(thresholds.warn_success_rate, labels["na"]),
        "count": str(len(data.degraded)),
    }
    return [labels[f"reason.{code}"].format(**values) for code in data.alert_reasons]
