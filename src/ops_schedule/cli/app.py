"""What every CLI command shares: the config, safe printing, shared options."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops_schedule.cli.output import current_redactor, use_redactor
from ops_schedule.configfile import environment_literals
from ops_schedule.redaction import Redactor, build_redactor, environment_secrets

if TYPE_CHECKING:
    from ops_schedule.config import Config
    from ops_schedule.reports.base import Job
    from ops_schedule.scheduling.view import Schedule

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class AppContext:
    """What every command shares: where the config is and how to print safely."""

    config_path: Path | None
    log_format: str
    quiet: bool
    job_catalogue: Mapping[str, Job] | None = None  # None: the jobs this version ships
    _config: Config | None = field(default=None, repr=False)
    _redactor: Redactor | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            self.reload()
        assert self._config is not None
        return self._config

    def reload(self) -> Config:
        """Read the config again (the loop does, each wake) and switch every output to its
        redactor. Raises ``ConfigError`` and keeps the previous one when it is invalid."""
        # Imported here: the validator (pydantic) is the largest import of a start-up, and a
        # quiet ``run`` does without it (see schedule()).
        from ops_schedule.config import load_config

        config = load_config(self.config_path)
        self._config = config
        from ops_schedule.config.secrets import literal_secrets  # the validator: see above

        self._use_redaction(
            config.redaction.patterns,
            config.redaction.placeholder,
            literal_secrets(os.environ, config),  # the token, the sinks' and pings' URLs
        )
        return config

    def schedule(self) -> Schedule | None:
        """What a tick needs of the configuration, without validating it again: the schedule
        the last full validation of this very file (and environment, and program) left in the
        state directory, or None when there is none that still holds (then use config()).
        Output keeps its redactor until :meth:`use_schedule`."""
        from ops_schedule.scheduling.viewcache import cached_schedule  # see reload()

        return cached_schedule(self.config_path, os.environ)

    def use_schedule(self, schedule: Schedule) -> None:
        """Switch every output to the redactor of ``schedule``'s configuration, as config()
        does."""
        # A quiet run's output names no secret of the file; those of the environment, as ever.
        literals = (*environment_secrets(os.environ), *environment_literals(os.environ))
        self._use_redaction(schedule.patterns, schedule.placeholder, literals)

    def _use_redaction(
        self, patterns: tuple[str, ...], placeholder: str, literals: tuple[str, ...]
    ) -> None:
        self._redactor = build_redactor(patterns, placeholder, literals)
        # From here on stdout, stderr, log lines and error lines use the configured one.
        use_redactor(self._redactor)

    @property
    def jobs(self) -> Mapping[str, Job]:
        if self.job_catalogue is None:
            self.job_catalogue = _ShippedJobs()
        return self.job_catalogue

    @property
    def redactor(self) -> Redactor:
        # Before (or without) a valid config the built-in redactor still guards output.
        return self._redactor or current_redactor()

    def say(self, text: str, *, err: bool = False) -> None:
        """Print through the redactor: nothing reaches the terminal unredacted."""
        click.echo(self.redactor.redact(text), err=err)


class _ShippedJobs(Mapping[str, "Job"]):
    """The jobs this version ships, imported when one is first looked up: commands and ticks
    that run no job never load the report engine."""

    def _jobs(self) -> Mapping[str, Job]:
        from ops_schedule.reports.jobs import JOBS  # the report engine: see the class

        return JOBS

    def __getitem__(self, name: str) -> Job:
        return self._jobs()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._jobs())

    def __len__(self) -> int:
        return len(self._jobs())


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The shared ``--json`` flag (stable machine-readable output)."""
    return click.option("--json", "as_json", is_flag=True, help="Stable machine-readable output.")(
        func
    )
