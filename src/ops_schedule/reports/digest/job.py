"""The weekly improvement digest job: incident state in, top causes and proposals out."""

from __future__ import annotations

import dataclasses

from ops_schedule.redaction import Redactor
from ops_schedule.reports.base import JobContext, Report, Skipped
from ops_schedule.reports.digest.followup import digest_follow_up
from ops_schedule.reports.digest.incidents import (
    Incident,
    IncidentDataNotFoundError,
    read_incidents,
)
from ops_schedule.reports.digest.markdown import (
    SCHEMA_VERSION,
    digest_json,
    digest_markdown,
    follow_up_json,
)
from ops_schedule.reports.digest.rules import Digest, build_digest, digest_window, in_window
from ops_schedule.reports.digest.rules import previous_window as week_before
from ops_schedule.reports.digest.trend import digest_trend
from ops_schedule.reports.markdown import clip
from ops_schedule.reports.trend.archive import read_archived
from ops_schedule.reports.trend.contract import trend_json
from ops_schedule.reports.trend.periods import trend_periods

__all__ = ["WeeklyImprovementDigest", "digest_summary_line"]

SUMMARY_EXAMPLE_CHARS = 60


def redact_incident(incident: Incident, redactor: Redactor) -> Incident:
    """The incident with its free texts redacted, so no secret reaches a cause or an example."""
    return dataclasses.replace(
        incident,
        top_reasons=tuple(redactor.redact(r) for r in incident.top_reasons),
        affected_components=tuple(redactor.redact(c) for c in incident.affected_components),
        summary=redactor.redact(incident.summary),
    )


def digest_summary_line(digest: Digest, period: str) -> str:
    """One line for logs and ``status``: "digest 2026-W48: 12 incidents (2 critical), …"."""
    totals = digest.totals
    if digest.empty:
        return f"digest {period}: no incidents"
    noun = "incident" if totals.incidents == 1 else "incidents"
    line = f"digest {period}: {totals.incidents} {noun} ({totals.by_severity['critical']} critical)"
    if digest.causes:
        # The normalised cause ("timeout after <n>ms") reads like a bug in a one-line summary;
        # one of its reasons, as written (and redacted), reads like what happened.
        top = digest.causes[0]
        example = clip(" ".join(top.example.split()), SUMMARY_EXAMPLE_CHARS)
        noun = "incident" if top.count == 1 else "incidents"
        line += f', top cause: "{example}" and the like ({top.count} {noun})'
    return line


class WeeklyImprovementDigest:
    """Top causes of the week's incidents, with improvement proposals (docs/digest.md)."""

    name: str = "weekly_improvement_digest"

    def build(self, ctx: JobContext) -> Report | Skipped:
        config = ctx.config
        try:
            loaded = read_incidents(config.sources.incidents)
        except IncidentDataNotFoundError as exc:
            return Skipped(str(exc))
        window = digest_window(ctx.window_end, config.zone)
        before = week_before(window, config.zone)
        relevant = [
            redact_incident(incident, ctx.redactor)
            for incident in loaded.incidents
            if in_window(incident, window) or in_window(incident, before)
        ]
        digest = build_digest(relevant, ctx.window_end, config.zone, loaded.malformed)
        document = digest_json(digest, self.name, ctx.period_key, config.locale, config.timezone)
        earlier = trend_periods(ctx.period_key, config.trend.periods)[:-1]
        archived = read_archived(
            config.output_dir, self.name, earlier, newest_version=SCHEMA_VERSION
        )
        trend = digest_trend(archived, ctx.period_key, document)
        document["trend"] = trend_json(trend)
        follow_up = digest_follow_up(archived[-1], digest.cause_counts)
        document["followUp"] = follow_up_json(follow_up)
        return Report(
            job=self.name,
            period_key=ctx.period_key,
            summary=digest_summary_line(digest, ctx.period_key),
            markdown=digest_markdown(
                digest,
                ctx.period_key,
                config.locale,
                config.zone,
                trend=trend,
                follow_up=follow_up,
            ),
            data=document,
        )
