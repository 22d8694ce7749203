"""Shell completion works through the redacting streams, in bash, zsh and fish.

click writes the completion script as bytes; standard output is the redacting wrapper, which
must take bytes too (redacted like text) instead of failing with a TypeError.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import get_completion_class

from ops_schedule.cli.main import cli

SHELLS = ("bash", "zsh", "fish")
SCRIPT = shutil.which("ops-schedule", path=str(Path(sys.executable).parent))
VARIABLE = "_OPS_SCHEDULE_COMPLETE"


def complete(instruction: str, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None, "the package's console script is not installed"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPS_SCHEDULE_", "_OPS"))}
    return subprocess.run(
        [SCRIPT],
        env={**environ, VARIABLE: instruction, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def expected_source(shell: str) -> str:
    completion = get_completion_class(shell)
    assert completion is not None
    return completion(cli, {}, "ops-schedule", VARIABLE).source()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_completion_script_is_printed_whole_for(shell):
    result = complete(f"{shell}_source")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected_source(shell)


@pytest.mark.parametrize("shell", SHELLS)
def test_completing_a_command_name_offers_the_command_in(shell):
    # fish hands over the word being completed; bash and zsh its index.
    current = "ru" if shell == "fish" else "1"
    result = complete(f"{shell}_complete", COMP_WORDS="ops-schedule ru", COMP_CWORD=current)

    assert result.returncode == 0, result.stderr
    assert "run" in re.split(r"[,\s]", result.stdout)
    assert "status" not in result.stdout


def _real_shell(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


@pytest.mark.slow
def test_bash_completes_run_after_sourcing_the_script():
    bash = _real_shell("bash")
    script = (
        f'eval "$({VARIABLE}=bash_source ops-schedule)"; '
        "COMP_WORDS=(ops-schedule ru); COMP_CWORD=1; _ops_schedule_completion ops-schedule; "
        'echo "${COMPREPLY[*]}"'
    )
    env = {**os.environ, "PATH": f"{Path(SCRIPT or '').parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [bash, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.split() == ["run"], result.stderr


@pytest.mark.slow
def test_fish_completes_run_after_sourcing_the_script():
    fish = _real_shell("fish")
    script = f'{VARIABLE}=fish_source ops-schedule | source; complete -C "ops-schedule ru"'
    env = {**os.environ, "PATH": f"{Path(SCRIPT or '').parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [fish, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.startswith("run\t"), result.stderr


@pytest.mark.slow
def test_zsh_loads_the_completion_function():
    zsh = _real_shell("zsh")
    script = (
        "autoload -U compinit; compinit -u; "
        f'eval "$({VARIABLE}=zsh_source ops-schedule)"; whence -w _ops_schedule_completion'
    )
    env = {**os.environ, "PATH": f"{Path(SCRIPT or '').parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [zsh, "-f", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "_ops_schedule_completion: function", result.stderr


def test_bytes_written_to_the_redacting_stream_are_redacted_like_text(capsys):
    from ops_schedule.cli.output import redacted_standard_streams

    with redacted_standard_streams():
        sys.stdout.buffer.write(b"mail ops@example.com\n")
        sys.stdout.buffer.flush()

    assert capsys.readouterr().out == "mail [REDACTED]\n"
