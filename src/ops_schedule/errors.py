"""One exception hierarchy; every message says what to do about it.

The whole tree, with where each is raised and how the CLI ends on it::

    OpsScheduleError                  exit 1 unless said otherwise; one "Error: …" line
    ├── ConfigError                   exit 2: the file or the environment is invalid (config/)
    ├── StateError                    the state store cannot be read or written (store/)
    ├── JobError                      a job could not produce its result (reports/)
    │   └── IncidentDataNotFoundError the digest's input is missing: the run is "skipped"
    └── SinkError(permanent=…)        publishing failed (publishing/); permanent = not retried

    OSError
    └── WorkerError                   a reader process failed or died (reports/observability/reader)

A job's own exception never escapes the runner: it becomes the run's redacted ``lastError``.
"""

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


class ConfigFileMissingError(ConfigError):
    """A configuration file named explicitly (``--config``, ``OPS_SCHEDULE_CONFIG``) is absent.

    One line, naming the path: a typo in a unit file must stop the service, not turn every
    job off with the defaults.
    """

    def __init__(self, path: str, how: str) -> None:
        self.problems = (f"no such file (named by {how})",)
        self.source = path
        OpsScheduleError.__init__(
            self,
            f"{path}: configuration file not found (named by {how}); only the default path "
            "may be absent",
        )


class StateError(OpsScheduleError):
    """The state store cannot be read or written."""


class StoreUnavailableError(StateError):
    """The state store cannot be reached now: nothing runs unclaimed; a later tick retries."""


class ClaimLostError(StateError):
    """This process's claim passed to another one (its lease ran out while it was paused or cut
    off): it must neither post nor record."""


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
