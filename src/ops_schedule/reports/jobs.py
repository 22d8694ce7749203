"""The jobs this version ships, by name: the one mapping the runner and ``report`` are handed.

Tests hand the runner their own mapping instead. The job objects are light: each imports its
reader and renderers when it builds, so commands that run no job do not pay for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ops_schedule.reports.base import Job
from ops_schedule.reports.digest.job import WeeklyImprovementDigest
from ops_schedule.reports.observability.job import ObservabilityReportJob

JOBS: Mapping[str, Job] = MappingProxyType(
    {
        "daily_observability_report": ObservabilityReportJob("daily_observability_report"),
        "weekly_observability_report": ObservabilityReportJob("weekly_observability_report"),
        "weekly_improvement_digest": WeeklyImprovementDigest(),
    }
)
