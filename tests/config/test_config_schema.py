from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from repo import ROOT

from ops_schedule.cli.main import schema_text
from ops_schedule.config import default_document, json_schema, parse_config
from ops_schedule.config.values import parse_duration
from ops_schedule.errors import ConfigError


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


VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def schema_errors(document: object) -> list[str]:
    return sorted(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
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


def schema_defaults(schema: dict, node: dict, path: tuple[str, ...] = ()) -> list:
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    found = [(path, node["default"])] if "default" in node and path else []
    for name, child in node.get("properties", {}).items():
        found += schema_defaults(schema, child, (*path, name))
    for option in node.get("anyOf", []):
        found += schema_defaults(schema, option, path)
    return found


def nest(path: tuple[str, ...], value: object) -> dict:
    for key in reversed(path):
        value = {key: value}
    assert isinstance(value, dict)
    return value


def test_every_default_in_the_schema_is_a_value_the_loader_accepts():
    schema = json_schema()
    defaults = schema_defaults(schema, schema)
    assert (("catchUpGrace", "daily"), "6h") in defaults
    assert len(defaults) >= 15
    for path, value in defaults:
        document = nest(path, value)
        assert schema_errors(document) == [], path
        parse_config(document, {})


def loader_accepts(document: dict) -> bool:
    try:
        parse_config(document, {})
    except ConfigError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A[0-9]{1,3}:[0-9]{1,3}\Z"),
        # No newline: Python's "$" (used by jsonschema) matches before a final newline, while
        # the ECMA-262 patterns editors run, like the loader, reject it.
        st.text(alphabet="0123456789:٠٩ ", max_size=6),
    )
)
def test_the_schema_and_the_loader_agree_on_times_of_day(text):
    document = {"jobs": {"daily_observability_report": {"at": text}}}
    assert (schema_errors(document) == []) == loader_accepts(document)


def well_formed_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789dhms ٣", max_size=6))
def test_the_schema_and_the_loader_agree_on_the_form_of_a_duration(text):
    # The schema checks the form; only the loader also checks the grace against the period.
    document = {"catchUpGrace": {"weekly": text}}
    schema_accepts = schema_errors(document) == []
    assert schema_accepts == well_formed_duration(text)
    if loader_accepts(document):
        assert schema_accepts


def test_digits_of_other_scripts_are_not_a_time_of_day():
    assert not loader_accepts({"jobs": {"daily_observability_report": {"at": "٠٩:٠٠"}}})
