"""Fixtures for the reader's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def small_pieces(monkeypatch):
    """Seek, cut and fork on tiny logs: every boundary the fast path has, on a few KB."""
    from ops_schedule import lines
    from ops_schedule.reports.observability.reader import collect, seek, tasks

    monkeypatch.setattr(tasks, "SCAN_BUFFER", 1024)
    monkeypatch.setattr(seek, "GRANULE", 512)
    monkeypatch.setattr(seek, "PROBE", 1024)
    monkeypatch.setattr(lines, "BLOCK", 2048)
    monkeypatch.setattr(collect, "PIECE", 1500)
    monkeypatch.setattr(collect, "INLINE", 0)


@pytest.fixture
def reads(monkeypatch):
    """The hours of log each reading through the cache folded, one entry per reading: proof of
    what the cache spared."""
    from datetime import timedelta

    from ops_schedule.reports.observability.reader import cached

    planned = cached.plan_tasks
    hours: list[float] = []
    hour = timedelta(hours=1)

    def spy(segments, **options):
        hours.append(sum(((end - start) / hour for start, end in options["folds"]), 0.0))
        return planned(segments, **options)

    monkeypatch.setattr(cached, "plan_tasks", spy)
    return hours
