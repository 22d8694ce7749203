"""The observability report as GitHub-flavoured Markdown, in Japanese or English.

Layout, most urgent first: alert line, summary with changes against the previous window,
proposals, the chart, MCP table (most troubled first), top failure reasons, circuit breakers,
notes. Everything is a pure function of :class:`ReportData`. Every value from the log (MCP
names, error types, example messages, notes) goes through a neutraliser of
:mod:`ops_schedule.reports.markdown`, so it shows as text and does nothing else
(docs/markdown-safety.md). The job redacts the values before they get here, and publishing
redacts the finished text once more on the way out.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from ops_schedule.config import Cadence, Locale
from ops_schedule.reports.markdown import MAX_REPORT_CHARS, code_span, cut_lines, prose, table
from ops_schedule.reports.observability.chart import bar_chart
from ops_schedule.reports.observability.followup import FollowUp
from ops_schedule.reports.observability.followup_markdown import follow_up_markdown
from ops_schedule.reports.observability.model import McpRow, ReportData
from ops_schedule.reports.observability.proposals import MIN_SAMPLE
from ops_schedule.reports.observability.text import (
    LABELS,
    fmt_int,
    fmt_ms,
    fmt_ms_number,
    fmt_percent,
    fmt_points,
    fmt_signed_int,
    fmt_signed_ms,
)
from ops_schedule.reports.observability.trend_markdown import trend_markdown
from ops_schedule.reports.observability.wording import alert_reasons, proposal_sentences
from ops_schedule.reports.trend.model import Trend
from ops_schedule.timefmt import local_minute

MAX_MCP_ROWS = 60  # beyond this the table is cut; the JSON archive keeps every row
EXAMPLE_CHARS = 80  # an example message longer than this is shortened in the table
_ICON = {"OK": "🟢", "WARNING": "🟡", "CRITICAL": "🔴"}


def report_summary_line(data: ReportData, *, cadence: Cadence, period: str) -> str:
    """One line for logs and the runner, e.g. ``daily 2026-11-26: 48,213 events, 97.1% ok, …``."""
    rate = data.totals.success_rate
    health = "no data" if rate is None else f"{fmt_percent(rate, '')} ok"
    degraded = len(data.degraded)
    plural = "MCP" if degraded == 1 else "MCPs"
    return (
        f"{cadence} {period}: {fmt_int(data.totals.events)} events, {health}, "
        f"{degraded} {plural} degraded, alert {data.alert}"
    )


def _summary(data: ReportData, locale: Locale) -> str:
    t = LABELS[locale]
    na = t["na"]
    now, before, delta = data.totals, data.previous, data.deltas
    ratio = "" if delta.events_ratio is None else f" ({delta.events_ratio * 100:+.1f}%)"
    rows = [
        (
            t["events"],
            fmt_int(now.events),
            fmt_int(before.events),
            fmt_signed_int(delta.events) + ratio,
        ),
        (
            t["successRate"],
            fmt_percent(now.success_rate, na),
            fmt_percent(before.success_rate, na),
            fmt_points(delta.success_rate, na),
        ),
        (
            t["failures"],
            fmt_int(now.fail),
            fmt_int(before.fail),
            fmt_signed_int(now.fail - before.fail),
        ),
        (
            t["p95"],
            fmt_ms(now.p95_ms, na),
            fmt_ms(before.p95_ms, na),
            fmt_signed_ms(delta.p95_ms, na),
        ),
        (t["malformed"], fmt_int(now.malformed_lines), fmt_int(before.malformed_lines), ""),
    ]
    return table((t["metric"], t["value"], t["previous"], t["change"]), rows, "lrrr")


def _status(row: McpRow, locale: Locale) -> str:
    t = LABELS[locale]
    if not row.degraded:
        return t["healthy"]
    # The icon says "degraded"; the words say why, so the column stays narrow.
    return "⚠️ " + ", ".join(t[f"why.{r}"] for r in row.reasons)


def _circuit(row: McpRow, locale: Locale) -> str:
    state = LABELS[locale][row.circuit]
    return f"{state} ({row.circuit_open_count}×)" if row.circuit_open_count else state


def _mcp_table(data: ReportData, locale: Locale) -> str:
    t = LABELS[locale]
    na = t["na"]
    if not data.mcp:
        return t["noMcp"]
    # Units sit in the headers, so a cell never breaks between a number and its unit.
    rows = [
        (
            code_span(row.name),
            fmt_int(row.calls),
            fmt_int(row.failures),
            fmt_percent(row.failure_rate, na),
            fmt_ms_number(row.mean_ms, na),
            fmt_ms_number(row.p95_ms, na),
            _circuit(row, locale),
            _status(row, locale),
        )
        for row in data.mcp[:MAX_MCP_ROWS]
    ]
    headers = (
        t["mcp"],
        t["calls"],
        t["failed"],
        t["failureRate"],
        t["mean"],
        t["p95short"],
        t["circuit"],
        t["status"],
    )
    text = table(headers, rows, "lrrrrrll")
    text += "\n\n" + t["circuitNote"]
    hidden = len(data.mcp) - MAX_MCP_ROWS
    if hidden > 0:
        text += "\n\n" + t["cutRows"].format(count=fmt_int(hidden))
    return text


def _shorten(text: str | None) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return code_span(text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…")


def _failures(data: ReportData, locale: Locale) -> str:
    t = LABELS[locale]
    if not data.top_failures:
        return t["noFailures"]
    rows = [
        (str(rank), code_span(row.error_type), fmt_int(row.count), _shorten(row.example))
        for rank, row in enumerate(data.top_failures, start=1)
    ]
    text = table(("#", t["errorType"], t["count"], t["example"]), rows, "rlrl")
    if data.other_failures:
        text += "\n\n" + t["otherFailures"].format(count=fmt_int(data.other_failures))
    return text


def _circuits(data: ReportData, locale: Locale, zone: ZoneInfo) -> str:
    t = LABELS[locale]
    c = data.circuit
    counts = t["circuitCounts"].format(closed=c.closed, open=c.open, halfOpen=c.half_open)
    if not c.not_closed:
        return f"{counts}\n\n{t['allClosed']}"
    rows = [
        (
            code_span(row.name),
            f"**{t[row.circuit]}**",
            local_minute(row.circuit_since, zone) if row.circuit_since else t["na"],
        )
        for row in c.not_closed
    ]
    return f"{counts}\n\n" + table((t["mcp"], t["state"], t["since"]), rows)


def _proposals(data: ReportData, locale: Locale, zone: ZoneInfo) -> str:
    if not data.proposals:
        return LABELS[locale]["noAction"]
    lines = []
    for number, proposal in enumerate(data.proposals, start=1):
        action, why = proposal_sentences(proposal, locale, zone)
        lines.append(f"{number}. **{action}** — {why}")
    return "\n".join(lines)


def report_markdown(
    data: ReportData,
    *,
    cadence: Cadence,
    period: str,
    locale: Locale,
    zone: ZoneInfo,
    trend: Trend | None = None,
    follow_up: FollowUp | None = None,
) -> str:
    t = LABELS[locale]
    th = data.thresholds
    reasons = alert_reasons(data, locale)
    window = f"{local_minute(data.start, zone)} – {local_minute(data.end, zone)} ({zone.key})"
    bucket_name = t["bucket.hour"] if data.bucket < timedelta(days=1) else t["bucket.day"]
    charts = [
        bar_chart(
            data.buckets,
            data.bucket,
            zone,
            title=t[f"chart.{value}"].format(bucket=bucket_name, zone=zone.key),
            y_label=t[f"chart.{value}Axis"],
            value=value,
        )
        for value in ("events", "failures")
    ]
    alert = f"**{t['alert']}: {_ICON[data.alert]} {t[f'alert.{data.alert}']}**"
    if reasons:
        alert += " — " + "; ".join(reasons)
    parts = [
        f"## {t[f'title.{cadence}']} {period}",
        alert,
        f"{t['window']}: {window}",
        f"### {t['summary']}",
        _summary(data, locale),
        f"### {t['proposals']}",
        _proposals(data, locale, zone),
    ]
    if follow_up is not None:
        parts.append(follow_up_markdown(follow_up, locale))
    if trend is not None:
        parts.append(trend_markdown(trend, locale))
    if any(b.events for b in data.buckets):  # an empty chart says nothing
        parts += [f"### {t['chart'].format(bucket=bucket_name)}", *charts]
    parts += [
        f"### {t['mcps']}",
        _mcp_table(data, locale),
        f"### {t['topFailures']}",
        _failures(data, locale),
        f"### {t['circuits']}",
        _circuits(data, locale, zone),
        f"### {t['notes']}",
        "\n".join(f"- {prose(note)}" for note in data.notes)
        + ("\n\n" if data.notes else "")  # a blank line ends the list
        + t["thresholds"].format(
            warn=fmt_percent(th.warn_success_rate, t["na"]),
            critical=fmt_percent(th.critical_success_rate, t["na"]),
            p95=fmt_ms(th.warn_p95_ms, t["na"]),
            sample=MIN_SAMPLE,
        ),
    ]
    text = "\n\n".join(parts) + "\n"
    return cut_lines(text, MAX_REPORT_CHARS, t["cut"].format(limit=fmt_int(MAX_REPORT_CHARS)))
