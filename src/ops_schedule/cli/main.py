"""Command-line interface. The only module that prints and exits.

Start-up is kept small (docs/performance.md, "Redaction and start-up"): a command's module is
imported when it runs (:class:`LazyGroup`), and the configuration's validator when a command
needs it.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

import click

from ops_schedule import __version__
from ops_schedule.cli.app import EXIT_JOB_FAILED, EXIT_OK, EXIT_USAGE, AppContext, pass_app
from ops_schedule.cli.lazy import LazyGroup
from ops_schedule.cli.logs import setup_logging
from ops_schedule.cli.output import current_redactor, redacted_standard_streams, use_redactor
from ops_schedule.configfile import DEFAULT_CONFIG_PATH, JOB_NAMES, SCHEMA_PATH
from ops_schedule.errors import ConfigError, OpsScheduleError

if TYPE_CHECKING:
    from ops_schedule.reports.base import Job

# Commands that live in their own modules, imported when they run.
COMMANDS = {
    name: f"ops_schedule.cli.commands.{name}:{name}"
    for name in ("run", "status", "loop", "health", "redact", "report", "demo", "store")
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
def cli(
    ctx: click.Context,
    config_path: Path | None,
    log_format: Literal["text", "json"],
    quiet: bool,
) -> None:
    """Run the MCP proxy's scheduled operations jobs.

    \b
    Examples:
      ops-schedule status
      ops-schedule run --now daily_observability_report
      ops-schedule loop
    """
    # The choke point: until the config loads the built-in redactor guards every output, then
    # the configured one; stdout, stderr and log lines all pass through it.
    use_redactor(None)
    ctx.with_resource(redacted_standard_streams())
    setup_logging(log_format, current_redactor)
    # ``main(jobs=...)`` hands in the jobs to run (tests pass fakes); None means the built-in ones.
    jobs = ctx.obj if isinstance(ctx.obj, Mapping) else None
    ctx.obj = AppContext(
        config_path=config_path, log_format=log_format, quiet=quiet, job_catalogue=jobs
    )


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
    # Imported here: only a command that checks the whole file pays for the checks.
    from ops_schedule.config import config_exists, config_warnings
    from ops_schedule.publishing.outlets import outlet_warnings
    from ops_schedule.publishing.sinks.github_setup import posting_problems
    from ops_schedule.service.export import pushgateway_url

    if config_path is not None:
        app.config_path = config_path
    config = app.config()
    path = app.config_path or DEFAULT_CONFIG_PATH
    if not config_exists(app.config_path):
        app.say(f"{path}: not found; using defaults (everything disabled)")
    else:
        app.say(f"{path}: valid")
    warnings = config_warnings(config)
    # Posting also needs the environment (GITHUB_TOKEN, GITHUB_REPOSITORY); the file's own
    # problems (a missing dashboardIssue) are already in config_warnings.
    warnings.extend(
        problem
        for name in JOB_NAMES
        for problem in posting_problems(config, os.environ, name, frozenset({"environment"}))
    )
    # Slack, the webhook, pings and the Pushgateway: their secrets may come from the
    # environment, so their problems are found here too (never with a secret's value).
    warnings.extend(outlet_warnings(config, os.environ))
    if (problem := pushgateway_url(config, os.environ)[1]) is not None:
        warnings.append(f"metrics are not pushed: {problem}")
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
    from ops_schedule.config import default_document  # the validator: see validate

    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(default_document(), indent=2) + "\n", encoding="utf-8")
    schema_path = target.parent / SCHEMA_PATH.name
    schema_path.write_text(schema_text(), encoding="utf-8")
    app.say(f"wrote {target} and {schema_path}")


def schema_text() -> str:
    from ops_schedule.config import json_schema  # the validator: see validate

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _fail(message: str, code: int) -> int:
    # The configured redactor if the config loaded, else the built-in one.
    click.echo(current_redactor().redact(f"Error: {message}"), err=True)
    return code


def _run(  # noqa: PLR0911 - one return per kind of ending
    argv: list[str] | None, jobs: Mapping[str, Job] | None
) -> int:
    try:
        rv = cli.main(args=argv, prog_name="ops-schedule", standalone_mode=False, obj=jobs)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.UsageError as exc:
        # One line, like every other error; the command's --help is one step away.
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(exc.format_message() + hint, EXIT_USAGE)
    except click.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except OpsScheduleError as exc:
        return _fail(str(exc), exc.exit_code)
    except Exception:  # noqa: BLE001 - a bug: show its traceback, redacted like all output
        traceback.print_exc()
        return EXIT_JOB_FAILED
    return rv if isinstance(rv, int) else EXIT_OK


def main(argv: list[str] | None = None, *, jobs: Mapping[str, Job] | None = None) -> NoReturn:
    """Entry point: map our exceptions to one 'Error: …' line and an exit code.

    Everything printed here, tracebacks included, goes through the redacting streams.
    """
    with redacted_standard_streams():
        code = _run(argv, jobs)
    sys.exit(code)
