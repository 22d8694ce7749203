"""Command-line interface. The only module that prints and exits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from ops_schedule import __version__
from ops_schedule.app import EXIT_OK, EXIT_USAGE, AppContext, pass_app
from ops_schedule.commands.demo import demo
from ops_schedule.commands.report import report
from ops_schedule.commands.run import run
from ops_schedule.commands.status import status
from ops_schedule.config import (
    DEFAULT_CONFIG_PATH,
    SCHEMA_PATH,
    config_exists,
    config_warnings,
    default_document,
    json_schema,
)
from ops_schedule.errors import ConfigError, OpsScheduleError
from ops_schedule.redaction import build_redactor


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

    Exit code 2 when the configuration is invalid: each problem names its JSON path, the bad
    value and what is allowed. A valid configuration may still print warnings about settings
    that do nothing (exit code 0).

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
    warnings = config_warnings(config)
    # Checks that need the environment as well as the file (GITHUB_TOKEN set, repository known
    # for the jobs that post) add their warnings here.
    for warning in warnings:
        app.say(f"warning: {warning}")


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


# Commands that live in their own modules register here.
COMMANDS: list[click.Command] = [run, status, report, demo]
for _command in COMMANDS:
    cli.add_command(_command)


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
    except click.UsageError as exc:
        # One line, like every other error; the command's --help is one step away.
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _fail(None, exc.format_message() + hint, EXIT_USAGE)
    except click.ClickException as exc:
        _fail(None, exc.format_message(), exc.exit_code)
    except ConfigError as exc:
        _fail(None, str(exc), EXIT_USAGE)
    except OpsScheduleError as exc:
        _fail(None, str(exc), exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else EXIT_OK)
