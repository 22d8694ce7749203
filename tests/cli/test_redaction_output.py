"""The choke point: streams, the CLI's error line, and ``ops-schedule redact``."""

from __future__ import annotations

import json
import logging
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fake_secrets import SAMPLERS, survivors

from ops_schedule.cli.app import AppContext, pass_app
from ops_schedule.cli.main import cli, main
from ops_schedule.cli.output import (
    RedactingStream,
    current_redactor,
    redacted_standard_streams,
    use_redactor,
)
from ops_schedule.errors import JobError
from ops_schedule.redaction import CATALOGUE, StreamRedactor, build_redactor

PH = "[REDACTED]"


def _secret(name: str, seed: int = 0) -> str:
    return SAMPLERS[name](random.Random(seed)).secret


@pytest.fixture(autouse=True)
def _builtin_redactor_and_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    use_redactor(None)
    yield
    use_redactor(None)
    root.handlers[:] = handlers
    root.setLevel(level)


# ------------------------------------------------------------------ StreamRedactor


def test_a_stream_emits_only_complete_lines_so_a_split_secret_is_still_caught():
    token = _secret("github_token")
    stream = StreamRedactor(build_redactor())
    assert stream.feed("token " + token[:10]) == ""
    assert stream.feed(token[10:] + " ok\nnext") == f"token {PH} ok\n"
    assert stream.flush() == "next"
    assert not stream.holding


def test_a_stream_holds_a_pem_block_until_its_end_line():
    pem = _secret("pem_private_key")
    stream = StreamRedactor(build_redactor())
    out = [stream.feed(line) for line in f"before\n{pem}\nafter\n".splitlines(keepends=True)]
    assert "".join(out) == f"before\n{PH}\nafter\n"
    assert out[1] == ""  # the BEGIN line waited for the rest of its block


@pytest.mark.parametrize("line_by_line", [False, True])
def test_a_piece_that_ends_just_after_the_end_marker_still_gets_the_block_out_whole(line_by_line):
    pem = _secret("pem_private_key")  # ends with its END line, no newline
    stream = StreamRedactor(build_redactor(), line_by_line=line_by_line)
    out = [stream.feed(f"key: {pem}"), stream.feed(" is invalid\nnext\n"), stream.close()]
    assert out[0] == ""  # the END line was not complete yet: the block waits for it
    assert "".join(out) == f"key: {PH} is invalid\nnext\n"


def test_a_stream_gives_up_holding_an_unterminated_block_after_max_hold_and_still_redacts():
    pem = _secret("pem_private_key")
    body = pem.rsplit("\n", 1)[0]  # no END line
    stream = StreamRedactor(build_redactor(), max_hold=200)
    out = "".join(stream.feed(line) for line in body.splitlines(keepends=True))
    out += stream.close()  # the last body line has no newline: end of input
    assert survivors(pem, out) == []


def test_a_line_longer_than_max_hold_goes_out_at_a_space_without_cutting_a_secret():
    token = _secret("github_token")
    stream = StreamRedactor(build_redactor(), max_hold=100)
    out = stream.feed("word " * 30 + token)
    assert out == "word " * 30
    assert stream.close() == PH


def test_a_stream_counts_what_it_removed_when_asked():
    stream = StreamRedactor(build_redactor(), count=True)
    stream.feed(f"{_secret('email')} {_secret('jwt')}\n")
    assert stream.counts == {"email": 1, "jwt": 1}


# ------------------------------------------------------------------ standard streams


def test_print_click_echo_and_stderr_are_redacted_inside_the_guard(capsys):
    token = _secret("slack_token")
    with redacted_standard_streams():
        print("print", token)
        click.echo(f"echo {token}")
        click.echo(f"err {token}", err=True)
        sys.stdout.write("partial " + token[:8])
        sys.stdout.write(token[8:] + "\n")
    captured = capsys.readouterr()
    assert captured.out == f"print {PH}\necho {PH}\npartial {PH}\n"
    assert captured.err == f"err {PH}\n"


def test_the_guard_switches_to_the_configured_redactor_when_it_is_set(capsys):
    with redacted_standard_streams():
        click.echo("CUST-123456")
        use_redactor(build_redactor(["CUST-[0-9]{6}"], "<hidden>"))
        click.echo("CUST-123456")
    assert capsys.readouterr().out == "CUST-123456\n<hidden>\n"


def test_the_guard_restores_the_original_streams_and_nests_harmlessly():
    original = sys.stdout
    with redacted_standard_streams():
        wrapped = sys.stdout
        assert isinstance(wrapped, RedactingStream)
        with redacted_standard_streams():
            assert sys.stdout is wrapped
    assert sys.stdout is original


def test_a_key_block_still_open_when_the_guard_closes_is_emitted_redacted(capsys):
    pem = _secret("pem_private_key")
    with redacted_standard_streams():
        sys.stdout.write(pem.rsplit("\n", 1)[0] + "\n")
    out = capsys.readouterr().out
    assert out.startswith(PH)
    assert survivors(pem, out) == []


# ------------------------------------------------------------------ CLI


def _config(tmp_path: Path, **redaction: object) -> Path:
    path = tmp_path / "ops-schedule.json"
    path.write_text(json.dumps({"redaction": redaction}), encoding="utf-8")
    return path


def test_redact_pipes_stdin_to_stdout_through_the_configured_redactor(tmp_path: Path):
    config = _config(tmp_path, patterns=["CUST-[0-9]{6}"], placeholder="<hidden>")
    pem, token = _secret("pem_private_key"), _secret("github_token")
    text = f"トークン{token}です\nkey:\n{pem}\ncustomer CUST-123456\nplain line\n"
    result = CliRunner().invoke(cli, ["--config", str(config), "redact"], input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == "トークン<hidden>です\nkey:\n<hidden>\ncustomer <hidden>\nplain line\n"


def test_redact_count_tells_on_stderr_what_was_removed():
    text = f"{_secret('email')}\n{_secret('email', 1)} {_secret('jwt')}\n"
    result = CliRunner().invoke(cli, ["redact", "--count"], input=text)
    assert result.stdout == f"{PH}\n{PH} {PH}\n"
    assert result.stderr == "redacted 3 secrets (2 email, 1 jwt)\n"


def test_redact_reads_in_blocks_but_never_cuts_a_line_so_a_secret_across_blocks_goes():
    token = _secret("github_token")
    filler = "ok " * 333 + "\n"
    # The token straddles the 64 KiB boundary of the first read, and the last line has no break.
    head = filler * 65 + "y " * ((65536 - 65 * len(filler) - 10) // 2)
    text = head + f" {token} z\n" + filler * 3 + f"last {token}"
    result = CliRunner().invoke(cli, ["redact", "--count"], input=text.encode())
    assert result.exit_code == 0, result.output
    assert token not in result.stdout
    assert result.stdout == text.replace(token, PH)
    assert result.stderr == "redacted 2 secrets (2 github_token)\n"


def test_redact_treats_each_line_on_its_own_as_if_it_came_alone():
    sentences = "API key provided: abc12345x\nAPI key provided: def67890y\n"
    text = sentences + "AWS creds\n" + "a/" * 25 + "\n"
    redactor = build_redactor()
    result = CliRunner().invoke(cli, ["redact", "--count"], input=text)
    lines = text.splitlines(keepends=True)
    assert result.stdout == "".join(redactor.redact(line) for line in lines)
    assert result.stdout.count(PH) == 2
    assert result.stderr == "redacted 2 secrets (2 key_phrase)\n"


def test_redact_formats_lists_every_built_in_format_by_name():
    result = CliRunner().invoke(cli, ["redact", "--formats"])
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [f.name for f in CATALOGUE]
    assert "PEM private key blocks" in result.stdout


def test_redact_with_an_invalid_custom_pattern_fails_closed_with_exit_2(tmp_path: Path, capsys):
    config = _config(tmp_path, patterns=["(?<=user=)[a-z]+"])
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "redact"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "redaction.patterns[0]" in captured.err
    assert "invalid perl operator: (?<=" in captured.err


@pytest.fixture
def failing_command() -> Iterator[None]:
    """A throwaway command that loads the config, logs and fails with secrets in its text."""

    @click.command("explode")
    @click.option("--unexpected", is_flag=True)
    @pass_app
    def explode(app: AppContext, unexpected: bool) -> None:
        app.config()
        logging.getLogger("ops_schedule.test").warning("about to fail: CUST-123456")
        if unexpected:
            raise KeyError("CUST-654321")
        raise JobError("job failed for customer CUST-123456 with " + _secret("github_token"))

    cli.add_command(explode)
    yield
    cli.commands.pop("explode")


def test_the_error_line_uses_the_configured_redactor(tmp_path: Path, capsys, failing_command):
    config = _config(tmp_path, patterns=["CUST-[0-9]{6}"], placeholder="<hidden>")
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "--log-format", "json", "explode"])
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert json.loads(err[0])["message"] == "about to fail: <hidden>"
    assert err[1] == "Error: job failed for customer <hidden> with <hidden>"


def test_an_unexpected_exception_shows_a_redacted_traceback(
    tmp_path: Path, capsys, failing_command
):
    config = _config(tmp_path, patterns=["CUST-[0-9]{6}"])
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "explode", "--unexpected"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err
    assert f"KeyError: '{PH}'" in err
    assert "CUST-" not in err


def test_before_the_config_loads_the_built_in_redactor_guards_output():
    assert current_redactor().redact(_secret("npm_token")) == PH
