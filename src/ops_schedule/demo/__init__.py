"""Sample data for ``make demo`` and the benchmark: event logs, incident state, a config."""

from __future__ import annotations

from ops_schedule.demo.eventlog import write_event_log
from ops_schedule.demo.incidents import write_incident_file

__all__ = ["write_event_log", "write_incident_file"]
