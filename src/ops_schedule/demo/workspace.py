"""A self-contained demo: sample event log, incident state and a config that points at them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ops_schedule.config import JOB_NAMES
from ops_schedule.demo.eventlog import write_event_log
from ops_schedule.demo.incidents import write_incident_file

CONFIG_NAME = "ops-schedule.json"


@dataclass(frozen=True, slots=True)
class DemoFiles:
    config: Path
    events: Path
    event_lines: int
    incidents: Path
    incident_lines: int
    output_dir: Path
    state_dir: Path


def demo_config(directory: Path, locale: str) -> dict[str, object]:
    """Everything enabled, nothing posted; every path inside ``directory``."""
    return {
        "enabled": True,
        "timezone": "Asia/Tokyo",
        "stateDir": str(directory / "state"),
        "outputDir": str(directory / "reports"),
        "locale": locale,
        "sources": {
            "events": str(directory / "events.jsonl"),
            "incidents": str(directory / "incidents" / "state.jsonl"),
        },
        "jobs": {name: {"enabled": True, "postToIssue": False} for name in JOB_NAMES},
    }


WEEKS = 8  # the default trend: this week and seven archived ones


def days_for(weeks: int) -> int:
    """Days of events for ``weeks`` weekly reports: each reads its week and the one before,
    and the current week may have only begun."""
    return 7 * (weeks + 1) + 8


def write_demo(
    directory: Path,
    *,
    now: datetime,
    seed: int = 0,
    days: int = days_for(WEEKS),
    events: int = 600_000,
    locale: str = "ja",
) -> DemoFiles:
    """Write the demo files under ``directory``; the event log ends at ``now``.

    Enough days that each of the last eight weekly reports has a full previous week to compare
    with, whatever the weekday; the incident state covers the same weeks.
    """
    events_path = directory / "events.jsonl"
    incidents_path = directory / "incidents" / "state.jsonl"
    event_lines = write_event_log(
        events_path,
        start=now - timedelta(days=days),
        end=now,
        events=events,
        seed=seed,
        malformed_every=5000,
    )
    incident_lines = write_incident_file(
        incidents_path, end=now, seed=seed, weeks=max(1, -(-days // 7))
    )
    config_path = directory / CONFIG_NAME
    config = demo_config(directory, locale)
    config_path.write_text(
        json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return DemoFiles(
        config=config_path,
        events=events_path,
        event_lines=event_lines,
        incidents=incidents_path,
        incident_lines=incident_lines,
        output_dir=directory / "reports",
        state_dir=directory / "state",
    )
