from __future__ import annotations

import json
from pathlib import Path

from ops_schedule.cli import schema_text
from ops_schedule.config import default_document, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_the_checked_in_schema_is_the_generated_one():
    checked_in = (ROOT / "config/proxy-mcp/ops-schedule.schema.json").read_text(encoding="utf-8")
    assert checked_in == schema_text(), "run `ops-schedule init --force` to regenerate the schema"


def test_the_checked_in_default_config_is_the_default_document_and_disabled():
    checked_in = json.loads((ROOT / "config/proxy-mcp/ops-schedule.json").read_text("utf-8"))
    assert checked_in == default_document()
    config = parse_config(checked_in, {})
    assert config.enabled is False
    assert not any(job.enabled for _, job in config.jobs.items())
