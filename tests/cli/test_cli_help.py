from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from repo import ROOT

from ops_schedule.cli.main import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Commands are imported when used: list them as help and completion do.
COMMANDS = cli.list_commands(click.Context(cli))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"ops-schedule {name}" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_the_readme(name):
    assert f"`ops-schedule {name}" in README


def test_the_top_level_help_lists_the_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_every_command_is_listed_whether_or_not_it_was_imported():
    expected = {"run", "status", "loop", "health", "redact", "report", "demo", "store"}
    expected |= {"validate", "init"}
    assert expected <= set(COMMANDS)
