"""Reading the proxy's event log: rotated segments, malformed lines, windows, bounded memory."""

from __future__ import annotations

from ops_schedule.reports.observability.reader import cached as _cached  # noqa: F401 - see below
from ops_schedule.reports.observability.reader.collect import collect_stats

# The cache's modules (and SQLite) load with the reader, not in the middle of a reading:
# ``collect_stats`` imports them where it uses them only because they import it.

__all__ = ["collect_stats"]
