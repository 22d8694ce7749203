from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator

import pytest
from fake_secrets import SAMPLERS, survivors

from ops_schedule.cli.logs import setup_logging
from ops_schedule.redaction import build_redactor

PH = "[REDACTED]"


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def _log_everything(token: str, pem: str) -> None:
    log = logging.getLogger("ops_schedule.scheduling.runner")
    log.warning("post failed with %s", token)  # in the arguments
    log.info(f"retrying with {token}")  # noqa: G004 - in the message itself, on purpose
    error = RuntimeError(f"GitHub rejected {token}\n{pem}")
    log.error("job %s failed", "daily_observability_report", exc_info=error)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_token_in_message_arguments_and_exception_is_redacted_in(log_format, root_logger, capsys):
    token = SAMPLERS["github_token"](random.Random(1)).secret
    pem = SAMPLERS["pem_private_key"](random.Random(2)).secret
    setup_logging(log_format, build_redactor())
    _log_everything(token, pem)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 3  # one line per event, the traceback folded into its line
    assert survivors(token, err) == []
    assert survivors(pem, err) == []
    assert err.count(PH) >= 4
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        assert [e["level"] for e in entries] == ["WARNING", "INFO", "ERROR"]
        assert entries[0]["message"] == f"post failed with {PH}"
        assert entries[2]["message"] == "job daily_observability_report failed"
        assert "RuntimeError: GitHub rejected [REDACTED]" in entries[2]["exception"]
        assert entries[2]["exception"].rstrip().endswith(PH)
    else:
        assert lines[0].endswith(f"WARNING ops_schedule.scheduling.runner: post failed with {PH}")
        assert "\\nRuntimeError: GitHub rejected [REDACTED]\\n" in lines[2]
        assert lines[2].rstrip().endswith(PH)


def test_json_lines_carry_extra_fields_redacted(root_logger, capsys):
    token = SAMPLERS["openai_key"](random.Random(3)).secret
    setup_logging("json", build_redactor())
    logging.getLogger("ops_schedule").info("posted", extra={"job": "daily", "note": token})
    entry = json.loads(capsys.readouterr().err)
    assert entry["job"] == "daily"
    assert entry["note"] == PH


def test_the_redactor_may_be_given_as_a_callable_so_it_follows_the_configuration(
    root_logger, capsys
):
    current = [build_redactor()]
    setup_logging("text", lambda: current[0])
    current[0] = build_redactor(["CUST-[0-9]+"], "<hidden>")
    logging.getLogger("ops_schedule").warning("customer CUST-42")
    assert capsys.readouterr().err.rstrip().endswith("customer <hidden>")


def test_setting_up_twice_keeps_one_handler(root_logger, capsys):
    setup_logging("text", build_redactor())
    setup_logging("json", build_redactor())
    logging.getLogger("ops_schedule").warning("once")
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_record_that_cannot_be_formatted_is_reported_without_its_arguments(root_logger, capsys):
    token = SAMPLERS["github_token"](random.Random(4)).secret
    handler = setup_logging("text", build_redactor())
    # Straight to our handler: pytest's own capturing handler fails the test on bad records.
    record = logging.LogRecord(
        "ops_schedule", logging.WARNING, "x.py", 1, "%d items", (token,), None
    )
    handler.handle(record)
    err = capsys.readouterr().err
    assert "logging error: cannot format a record from ops_schedule" in err
    assert survivors(token, err) == []
