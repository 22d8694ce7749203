"""The weekly report's follow-up of last week's proposals, one line each (docs/trends.md)."""

from __future__ import annotations

from typing import Any

from ops_schedule.config import Locale
from ops_schedule.reports.markdown import code_span, prose
from ops_schedule.reports.observability.followup import FollowUp, FollowUpItem, Value
from ops_schedule.reports.observability.text import LABELS, fmt_int, fmt_ms, fmt_percent
from ops_schedule.reports.trend.change import change_mark


def _shown(value: Value, item: FollowUpItem, locale: Locale) -> str:
    na = LABELS[locale]["na"]
    if value is None:
        return na
    if isinstance(value, str):
        return LABELS[locale].get(value, value)
    if item.measure == "rate":
        return fmt_percent(value, na)
    if item.measure == "ms":
        return fmt_ms(value, na)
    return fmt_int(round(value))


def _change(item: FollowUpItem) -> str:
    before, now = item.before, item.now
    if isinstance(before, str) or isinstance(now, str) or before is None or now is None:
        return ""
    if item.measure == "rate":
        return f" ({(now - before) * 100:+.1f} pt)"
    return ", " + change_mark(before, now)


def _line(item: FollowUpItem, locale: Locale) -> str:
    t = LABELS[locale]
    subject = f"{code_span(item.mcp)} " if item.mcp else ""
    metric = t[f"followUp.{item.metric}"].format(errorType=code_span(item.error_type or ""))
    before, now = _shown(item.before, item, locale), _shown(item.now, item, locale)
    again = t["followUp.again" if item.again else "followUp.notAgain"]
    return f"- {subject}{metric}: {before} → {now}{_change(item)} — {again}"


def follow_up_markdown(follow_up: FollowUp, locale: Locale) -> str:
    t = LABELS[locale]
    lines = [f"### {t['followUp'].format(period=follow_up.period)}", ""]
    if follow_up.problem is not None:
        key = "followUp.missing" if follow_up.missing else "followUp.unreadable"
        lines.append(t[key].format(period=follow_up.period, problem=prose(follow_up.problem)))
    elif not follow_up.items and not follow_up.skipped:
        lines.append(t["followUp.none"])
    lines.extend(_line(item, locale) for item in follow_up.items)
    if follow_up.skipped:
        lines += ["", t["followUp.skipped"].format(n=follow_up.skipped)]
    return "\n".join(lines)


def follow_up_json(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "period": follow_up.period,
        "items": [
            {
                "kind": item.kind,
                "mcp": item.mcp,
                "errorType": item.error_type,
                "metric": item.metric,
                "lastWeek": item.before,
                "thisWeek": item.now,
                "raisedAgain": item.again,
            }
            for item in follow_up.items
        ],
        "skipped": follow_up.skipped,
        "note": follow_up.problem,
    }
