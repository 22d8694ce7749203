"""One exception hierarchy; every message says what to do about it."""

from __future__ import annotations

from collections.abc import Sequence


class OpsScheduleError(Exception):
    """Base of every error this tool raises on purpose."""

    exit_code = 1


class ConfigError(OpsScheduleError):
    """The configuration (file or environment) is invalid. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: Sequence[str], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"{count} configuration problem{'s' if count != 1 else ''}{where}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class StateError(OpsScheduleError):
    """The state store cannot be read or written."""


class JobError(OpsScheduleError):
    """A job could not produce its result."""


class SinkError(OpsScheduleError):
    """Publishing a result failed.

    ``permanent`` errors (bad token, wrong repository) are not worth retrying within the
    run; transient ones already were retried before this is raised.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        self.permanent = permanent
        super().__init__(message)
