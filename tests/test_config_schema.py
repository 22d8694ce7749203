from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ops_schedule.cli import schema_text
from ops_schedule.config import default_document, json_schema, parse_config
from ops_schedule.errors import ConfigError

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


# --------------------------------------------------------------------------- the schema itself

SEED_FRAGMENTS = [
    {"enabled": True, "jobs": {"daily_observability_report": {"enabled": True}}},
    {"dashboardIssue": 123, "jobs": {"daily_observability_report": {"postToIssue": True}}},
    {"jobs": {"weekly_observability_report": {"enabled": True, "postToIssue": True}}},
    {"jobs": {"weekly_improvement_digest": {"enabled": True, "postToIssue": True}}},
]


def schema_errors(document: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema())
    return sorted(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    )


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_the_schema_accepts_the_default_config():
    assert schema_errors(default_document()) == []


@pytest.mark.parametrize("fragment", SEED_FRAGMENTS)
def test_the_schema_accepts_the_seed_rollout_fragments_that_omit_cadence_and_at(fragment):
    assert schema_errors(fragment) == []


@pytest.mark.parametrize("grace", ["2h", {"daily": "90m", "weekly": "2d"}])
def test_the_schema_accepts_both_forms_of_catch_up_grace(grace):
    assert schema_errors({"catchUpGrace": grace}) == []


def test_the_schema_rejects_an_unknown_key_at_any_depth():
    assert len(schema_errors({"enabeld": True})) == 1
    assert len(schema_errors({"jobs": {"daily_observability_report": {"postToIsue": True}}})) == 1
    assert len(schema_errors({"jobs": {"hourly_report": {}}})) == 1


@pytest.mark.parametrize(
    "document",
    [
        {"enabled": "yes"},
        {"dashboardIssue": "123"},
        {"dashboardIssue": 0},
        {"jobs": {"daily_observability_report": {"at": "9:60"}}},
        {"jobs": {"weekly_observability_report": {"dow": "Monday"}}},
        {"catchUpGrace": 3600},
        {"catchUpGrace": ""},
        {"stateDir": ""},
        {"locale": "fr"},
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(document):
    assert schema_errors(document) != []
    with pytest.raises(ConfigError):
        parse_config(document, {})
