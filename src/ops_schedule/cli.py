"""Command-line interface. The only module that prints and exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click

from ops_schedule import __version__
from ops_schedule.config import (
    DEFAULT_CONFIG_PATH,
    SCHEMA_PATH,
    Config,
    config_exists,
    default_document,
    json_schema,
    load_config,
)
from ops_schedule.errors import ConfigError, OpsScheduleError
from ops_schedule.redaction import Redactor, build_redactor

EXIT_OK, EXIT_JOB_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class AppContext:
    """What every command shares: where the config is and how to print safely."""

    config_path: Path | None
    log_format: str
    quiet: bool
    _config: Config | None = field(default=None, repr=False)
    _redactor: Redactor | None = field(default=None, repr=False)

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            self._redactor = build_redactor(
                self._config.redaction.patterns, self._config.redaction.placeholder
            )
        return self._config

    @property
    def redactor(self) -> Redactor:
        # Before (or without) a valid config the built-in redactor still guards output.
        if self._redactor is None:
            self._redactor = build_redactor()
        return self._redactor

    def say(self, text: str, *, err: bool = False) -> None:
        """Print through the redactor: nothing reaches the terminal unredacted."""
        click.echo(self.redactor.redact(text), err=err)


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Stable machine-readable output.")(
        func
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ops-schedule")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="OPS_SCHEDULE_CONFIG",
    help=f"Config file (default: {DEFAULT_CONFIG_PATH}, or $OPS_SCHEDULE_CONFIG).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the log lines on stderr.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_format: str, quiet: bool) -> None:
    """Run the MCP proxy's scheduled operations jobs.

    \b
    Examples:
      ops-schedule status
      ops-schedule run --now daily_observability_report
      ops-schedule loop
    """
    ctx.obj = AppContext(config_path=config_path, log_format=log_format, quiet=quiet)


@cli.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to check (default: the global --config).",
)
@pass_app
def validate(app: AppContext, config_path: Path | None) -> None:
    """Check the configuration and print every problem at once.

    Exit code 2 when the configuration is invalid.

    \b
    Example:
      ops-schedule validate --config config/proxy-mcp/ops-schedule.json
    """
    if config_path is not None:
        app.config_path = config_path
    config = app.config()
    path = app.config_path or DEFAULT_CONFIG_PATH
    if not config_exists(app.config_path):
        app.say(f"{path}: not found; using defaults (everything disabled)")
    else:
        app.say(f"{path}: valid")
    for warning in config_warnings(config):
        app.say(f"warning: {warning}")


def config_warnings(config: Config) -> list[str]:
    """Things that are valid but will not do what the operator probably wants."""
    warnings = []
    if not config.enabled and any(job.enabled for _, job in config.jobs.items()):
        warnings.append("jobs are enabled but the global switch 'enabled' is false: nothing runs")
    return warnings


@cli.command()
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_PATH,
    show_default=True,
    help="Where to write the config; the schema goes beside it.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@pass_app
def init(app: AppContext, target: Path, force: bool) -> None:
    """Write a default config (everything disabled) and its JSON Schema.

    \b
    Example:
      ops-schedule init --path config/proxy-mcp/ops-schedule.json
    """
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(default_document(), indent=2) + "\n", encoding="utf-8")
    schema_path = target.parent / SCHEMA_PATH.name
    schema_path.write_text(schema_text(), encoding="utf-8")
    app.say(f"wrote {target} and {schema_path}")


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _fail(app: AppContext | None, message: str, code: int) -> NoReturn:
    redactor = app.redactor if app else build_redactor()
    click.echo(redactor.redact(f"Error: {message}"), err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: map our exceptions to one 'Error: …' line and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="ops-schedule", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except ConfigError as exc:
        _fail(None, str(exc), EXIT_USAGE)
    except OpsScheduleError as exc:
        _fail(None, str(exc), exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)
