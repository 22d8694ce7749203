"""The archive under outputDir: a run killed while writing leaves temp files; the next one of the
same job removes them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ops_schedule.publishing.publish import publish
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import Report

JOB = "daily_observability_report"


def test_publishing_removes_temp_files_left_by_a_killed_archive_write_but_not_fresh_ones(
    tmp_path: Path,
):
    archive = tmp_path / "reports" / JOB
    archive.mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    stale = [archive / ".2026-11-25.md.k1ll3d.tmp", archive / ".2026-11-25.json.k1ll3d.tmp"]
    fresh = archive / ".2026-11-26.md.wr1t1ng.tmp"
    unrelated = archive / ".notes.txt.0ld.tmp"
    for path in [*stale, fresh, unrelated]:
        path.write_text("{", encoding="utf-8")
    for path in [*stale, unrelated]:
        os.utime(path, (an_hour_ago, an_hour_ago))

    report = Report(JOB, "2026-11-26", "daily 2026-11-26: all fine", "# report\n", {"n": 1})
    publish(report, tmp_path / "reports", build_redactor())

    assert sorted(p.name for p in archive.iterdir()) == sorted(
        [".2026-11-26.md.wr1t1ng.tmp", ".notes.txt.0ld.tmp", "2026-11-26.json", "2026-11-26.md"]
    )
