"""The one way out: redact, archive, then hand to the sinks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops_schedule.fsutil import atomic_write_text, remove_stale_temp_files, temp_pattern
from ops_schedule.publishing.sinks.base import Posted, Sink
from ops_schedule.redaction import Redactor
from ops_schedule.reports.base import Report


@dataclass(frozen=True, slots=True)
class Published:
    markdown_path: Path
    json_path: Path
    posted: Posted | None


def redact_data(value: Any, redactor: Redactor) -> Any:
    """Redact every string (keys included) inside a JSON-shaped value."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {redactor.redact(str(k)): redact_data(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, redactor) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Rendered:
    """A report's two outgoing texts, redacted."""

    markdown: str  # ends with a newline
    json: str  # ends with a newline


def render_redacted(report: Report, redactor: Redactor) -> Rendered:
    """The Markdown and JSON texts of ``report`` as they may leave the process."""
    markdown = redactor.redact(report.markdown).rstrip("\n") + "\n"
    data = redact_data(report.data, redactor)
    return Rendered(markdown, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def archive_paths(output_dir: Path, job: str, period_key: str) -> tuple[Path, Path]:
    base = output_dir / job / period_key
    return base.with_suffix(".md"), base.with_suffix(".json")


@dataclass(frozen=True, slots=True)
class Archived:
    """A report written to the archive: where, and the redacted Markdown that may be posted."""

    markdown_path: Path
    json_path: Path
    markdown: str


def archive(report: Report, output_dir: Path, redactor: Redactor) -> Archived:
    """Write ``report`` (both formats), redacted, to ``output_dir/<job>/<period>.{md,json}``.

    Temp files left in the job's archive directory by a run that was killed while writing are
    removed first (the caller holds the job's claim, so no other run of the job is writing
    there).
    """
    rendered = render_redacted(report, redactor)
    md_path, json_path = archive_paths(output_dir, report.job, report.period_key)
    remove_stale_temp_files(md_path.parent, [temp_pattern("*.md"), temp_pattern("*.json")])
    atomic_write_text(md_path, rendered.markdown)
    atomic_write_text(json_path, rendered.json)
    return Archived(md_path, json_path, rendered.markdown)


def post(report: Report, archived: Archived, sink: Sink) -> Posted:
    """Post the archived (redacted) Markdown of ``report`` through ``sink``."""
    return sink.post(report.job, report.period_key, archived.markdown, str(archived.markdown_path))


def publish(
    report: Report, output_dir: Path, redactor: Redactor, sink: Sink | None = None
) -> Published:
    """Archive ``report`` (both formats) after redaction, then post it if a sink is given.

    The archive is written first (:func:`archive`) so a failed post never loses the report.
    """
    archived = archive(report, output_dir, redactor)
    posted = None if sink is None else post(report, archived, sink)
    return Published(archived.markdown_path, archived.json_path, posted)
