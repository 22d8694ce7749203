"""docs/configuration.md stays true: every field documented, every example valid and exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from repo import ROOT

from ops_schedule.cli.main import main
from ops_schedule.config import Config, JobsConfig, parse_config

DOC = (ROOT / "docs/configuration.md").read_text("utf-8")
ERRORS_SECTION = DOC[DOC.index("## Errors") :]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def field_paths(model: type[Config] | type, prefix: str = "") -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        nested = field.annotation
        if nested is JobsConfig:
            job = nested.model_fields["daily_observability_report"].annotation
            paths += field_paths(job, "jobs.<name>.")
        elif isinstance(nested, type) and hasattr(nested, "model_fields"):
            paths += field_paths(nested, f"{path}.")
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("path", field_paths(Config))
def test_every_leaf_field_is_documented_in_the_field_tables(path):
    assert f"| `{path}` |" in DOC


def test_every_job_is_documented():
    for name in JobsConfig.model_fields:
        assert f"| `{name}` |" in DOC


@pytest.mark.parametrize("example", blocks(DOC[: DOC.index("## Errors")], "json"))
def test_every_example_before_the_errors_section_is_a_valid_config(example):
    # Valid, and not silently ignored: each example changes something from the defaults.
    assert parse_config(json.loads(example), {}) != parse_config({}, {})


def run_validate(capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str]:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--config", "ops.json"])
    out, err = capsys.readouterr()
    return exited.value.code, out + err


def test_the_documented_error_output_is_what_validate_prints(capsys):
    (document,) = blocks(ERRORS_SECTION, "json")
    Path("ops.json").write_text(document, encoding="utf-8")
    console = blocks(ERRORS_SECTION, "console")[0].splitlines()
    expected = console[1 : console.index("$ echo $?")]
    assert run_validate(capsys) == (2, "\n".join(expected) + "\n")


def test_the_documented_warning_output_is_what_validate_prints(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-value")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/proxy")
    step_3 = blocks(DOC, "json")[2]
    assert "weekly_observability_report" in step_3
    Path("ops.json").write_text(step_3, encoding="utf-8")
    expected = blocks(ERRORS_SECTION, "console")[1].splitlines()[1:]
    assert run_validate(capsys) == (0, "\n".join(expected) + "\n")
