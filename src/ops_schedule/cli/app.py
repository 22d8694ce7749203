"""What every CLI command shares: the config, safe printing, shared options."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops_schedule.cli.output import current_redactor, use_redactor
from ops_schedule.config import Config, load_config
from ops_schedule.redaction import Redactor, build_redactor, environment_secrets

if TYPE_CHECKING:
    from ops_schedule.reports.base import Job

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
        config = load_config(self.config_path)
        self._config = config
        self._redactor = build_redactor(
            config.redaction.patterns,
            config.redaction.placeholder,
            environment_secrets(os.environ),
        )
        # From here on stdout, stderr, log lines and error lines use the configured one.
        use_redactor(self._redactor)
        return config

    @property
    def jobs(self) -> Mapping[str, Job]:
        if self.job_catalogue is None:
            # Imported on first use: commands that run no job (status, validate) skip the
            # report modules at start-up.
            from ops_schedule.reports.jobs import JOBS

            self.job_catalogue = JOBS
        return self.job_catalogue

    @property
    def redactor(self) -> Redactor:
        # Before (or without) a valid config the built-in redactor still guards output.
        return self._redactor or current_redactor()

    def say(self, text: str, *, err: bool = False) -> None:
        """Print through the redactor: nothing reaches the terminal unredacted."""
        click.echo(self.redactor.redact(text), err=err)


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The shared ``--json`` flag (stable machine-readable output)."""
    return click.option("--json", "as_json", is_flag=True, help="Stable machine-readable output.")(
        func
    )
