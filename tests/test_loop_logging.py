from __future__ import annotations

import json
import logging

import pytest

from ops_schedule.commands.loop import _configure_logging
from ops_schedule.redaction import build_redactor

TOKEN = "ghp_" + "Z9y8" * 9


@pytest.fixture
def logger():
    handlers: list[logging.Handler] = []
    yield handlers
    for handler in handlers:
        logging.getLogger("ops_schedule").removeHandler(handler)


def test_json_log_lines_are_one_object_per_event_and_redacted(logger, capsys):
    logger.append(_configure_logging("json", build_redactor()))
    log = logging.getLogger("ops_schedule.runner")
    log.warning("posting failed with %s", TOKEN)

    def reject() -> None:
        raise RuntimeError(f"token {TOKEN} rejected")

    try:
        reject()
    except RuntimeError:
        log.exception("tick failed")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "warning"
    assert first["logger"] == "ops_schedule.runner"
    assert first["message"] == "posting failed with [REDACTED]"
    assert first["time"].endswith("Z")
    assert second["message"].startswith("tick failed\nTraceback")
    assert "RuntimeError: token [REDACTED] rejected" in second["message"]
    assert TOKEN not in "\n".join(lines)


def test_text_log_lines_use_the_custom_patterns_of_the_config(logger, capsys):
    logger.append(_configure_logging("text", build_redactor(("internal-[0-9]+",), "***")))
    logging.getLogger("ops_schedule.service").info("host internal-42 unreachable")
    err = capsys.readouterr().err
    assert err.endswith(" INFO ops_schedule.service: host *** unreachable\n")
