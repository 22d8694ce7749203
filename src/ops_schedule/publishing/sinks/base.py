"""The Sink protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Posted:
    url: str
    created: bool  # False when an earlier comment with the same marker was found and reused


class Sink(Protocol):
    def post(self, job: str, period_key: str, body: str, archive_hint: str) -> Posted:
        """Publish ``body`` (already redacted) once per job and period.

        Raises ``SinkError`` on failure. ``archive_hint`` names the archived file, for the
        note when the body had to be cut.
        """
        ...
