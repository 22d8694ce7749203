"""What leaves through publishing: redacted JSON, keys included."""

from __future__ import annotations

import json
import random

import pytest
from fake_secrets import SAMPLERS, survivors

from ops_schedule.publishing.publish import redact_data, render_redacted
from ops_schedule.redaction import build_redactor
from ops_schedule.reports.base import Report

REDACTOR = build_redactor((), "[REDACTED]")


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_a_secret_in_a_json_key_is_redacted_like_one_in_a_value(name):
    sample = SAMPLERS[name](random.Random(name))
    data = {
        "mcp": [{"name": "github", "byTool": {sample.text: 3}}],
        sample.text: {"nested": [sample.text, 1, None, True]},
    }

    redacted = redact_data(data, REDACTOR)

    text = json.dumps(redacted, ensure_ascii=False)
    assert survivors(sample.secret, text) == []
    assert redacted["mcp"][0]["name"] == "github"
    [key] = [k for k in redacted if k != "mcp"]
    assert redacted[key]["nested"][1:] == [1, None, True]  # numbers and literals untouched


def test_the_rendered_json_is_the_redacted_data_and_ends_with_a_newline():
    secret = SAMPLERS["github_token"](random.Random(1)).text
    report = Report("daily", "2026-11-26", "s", f"# r\n\n{secret}\n", {"k": secret, "n": 2})

    rendered = render_redacted(report, REDACTOR)

    assert rendered.json.endswith("}\n")
    assert json.loads(rendered.json) == redact_data(report.data, REDACTOR)
    assert rendered.markdown == REDACTOR.redact(report.markdown).rstrip("\n") + "\n"
