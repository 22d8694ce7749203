"""Reading the proxy's event log: rotated segments, malformed lines, windows, bounded memory."""

from __future__ import annotations

from ops_schedule.reports.observability.reader.entry import collect_stats

__all__ = ["collect_stats"]
