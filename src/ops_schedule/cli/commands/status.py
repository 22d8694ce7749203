"""``status``: per job, what is scheduled, what happened, where the period stands."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ops_schedule.cli.app import AppContext, json_option, pass_app
from ops_schedule.clock import utc_now
from ops_schedule.config import config_exists
from ops_schedule.scheduling.status import JobStatus, job_statuses
from ops_schedule.store.base import StoreView
from ops_schedule.store.open import open_store


@click.command()
@json_option
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Show each job: enabled, next run (local and UTC), last run, failures, period state.

    \b
    Examples:
      ops-schedule status
      ops-schedule status --json | jq '.jobs[] | select(.flagged)'
    """
    config = app.config()
    now = utc_now()
    store = open_store(config)
    try:
        view = store.view(now)
    finally:
        store.close()
    rows = job_statuses(config, view, now)
    found = config_exists(app.config_path)
    if as_json:
        document = {
            "now": now.isoformat(),
            "configFound": found,
            "enabled": config.enabled,
            "timezone": config.timezone,
            "stateFile": view.location if view.kind == "file" else None,
            "store": {
                "kind": view.kind,
                "location": view.location,
                "leaseSeconds": view.lease_seconds,
            },
            "jobs": [row.to_json() for row in rows],
        }
        app.say(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if not found:
        app.say("no config file found: using defaults (everything disabled)")
    switch = "enabled" if config.enabled else "DISABLED (global switch off)"
    app.say(f"ops-schedule: {switch}; zone {config.timezone}; state {_where(view)}")
    app.say(_table(rows))
    for row in rows:
        if row.holder is not None:
            app.say(f"  {row.job} running: {row.holder.describe()}")
        if row.flagged:
            app.say(f"! {row.job}: {row.consecutive_failures} consecutive failures")
        if row.stale_claim:
            app.say(f"! {row.job}: {row.stale_claim}")
        if row.last_error:
            app.say(f"  {row.job} last error: {row.last_error}")
        if row.last_status == "skipped" and row.last_summary:
            app.say(f"  {row.job} skipped: {row.last_summary}")
        if row.last_comment_url:
            app.say(f"  {row.job} last comment: {row.last_comment_url}")


def _where(view: StoreView) -> str:
    if view.lease_seconds is None:
        return view.location
    return f"{view.location} (PostgreSQL, lease {view.lease_seconds:g} s)"


def _when(value: datetime | None, zone_now: datetime) -> str:
    if value is None:
        return "-"
    return value.astimezone(zone_now.tzinfo).strftime("%Y-%m-%d %H:%M")


def _table(rows: list[JobStatus]) -> str:
    headers = [
        "job",
        "on",
        "schedule",
        "next run (local / UTC)",
        "period",
        "state",
        "last run",
        "last",
        "fails",
    ]
    body = []
    for row in rows:
        schedule = f"{row.cadence} {row.dow + ' ' if row.dow else ''}{row.at}"
        local = row.next_run_local
        state = row.period_state.value
        if row.retry_at:
            state += f" (at {_when(row.retry_at, local)})"
        if row.stale_claim:
            state += ", STALE CLAIM"
        elif row.running:
            state += ", running"
        elif row.interrupted:
            state += ", interrupted"
        body.append(
            [
                row.job,
                "yes" if row.enabled else "no",
                schedule,
                f"{local.strftime('%Y-%m-%d %H:%M %Z')} / {row.next_run.strftime('%H:%M')}Z",
                row.period_key,
                state,
                _when(row.last_run_at, local),
                row.last_status or "-",
                str(row.consecutive_failures),
            ]
        )
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body)
    return "\n".join(line.rstrip() for line in lines)
