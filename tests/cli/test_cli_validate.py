"""The validate and init commands, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops_schedule.cli.main import main, schema_text
from ops_schedule.config import default_document, load_config

DAILY = "jobs.daily_observability_report"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    assert isinstance(code, int)
    return code, out, err


def write_config(document: object, name: str = "ops.json") -> str:
    Path(name).write_text(json.dumps(document), encoding="utf-8")
    return name


def test_validate_prints_the_exact_problem_and_exits_2(capsys):
    path = write_config({"jobs": {"daily_observability_report": {"at": "9:60"}}})
    assert run(capsys, "validate", "--config", path) == (
        2,
        "",
        (
            "Error: 1 configuration problem in ops.json:\n"
            f'  - {DAILY}.at: "9:60" is not a time of day (HH:MM, 00:00–23:59)\n'
        ),
    )


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"enabeld": True}, 'enabeld: unknown key; did you mean "enabled"?'),
        ({"timezone": "Asia/Tokio"}, 'timezone: "Asia/Tokio" is not an IANA time zone name'),
        ({"redaction": {"patterns": ["(a)\\1"]}}, "redaction.patterns[0]: "),
        ({"jobs": {"daily_observability_report": {"dow": "Mon"}}}, f"{DAILY}.dow: "),
        ({"jobs": {"hourly_report": {}}}, "jobs.hourly_report: unknown job"),
        ({"jobs": {"daily_observability_report": {"at": "24:00"}}}, f'{DAILY}.at: "24:00"'),
        ({"dashboardIssue": "123"}, 'dashboardIssue: "123" is not an integer'),
    ],
)
def test_validate_exits_2_and_names_the_field(capsys, document, named):
    code, out, err = run(capsys, "validate", "--config", write_config(document))
    assert (code, out) == (2, "")
    assert err.startswith("Error: 1 configuration problem in ops.json:\n")
    assert named in err


def test_validate_reports_every_problem_at_once(capsys):
    path = write_config({"enabled": "yes", "locale": "de", "stateDir": ""})
    code, _, err = run(capsys, "validate", "--config", path)
    assert code == 2
    assert err.splitlines() == [
        "Error: 3 configuration problems in ops.json:",
        '  - enabled: "yes" is not a boolean (true or false)',
        '  - locale: "de" is not allowed (use "ja" or "en")',
        '  - stateDir: "" is not a path (a non-empty string)',
    ]


def test_validate_names_the_line_and_column_of_invalid_json(capsys):
    Path("ops.json").write_text('{"enabled": true,,}', encoding="utf-8")
    code, _, err = run(capsys, "validate", "--config", "ops.json")
    assert code == 2
    assert "line 1, column 18: invalid JSON" in err


def test_validate_names_the_environment_variable_that_is_wrong(capsys, monkeypatch):
    monkeypatch.setenv("OPS_SCHEDULE_TIMEZONE", "Tokyo")
    code, _, err = run(capsys, "validate", "--config", write_config({}))
    assert code == 2
    assert 'timezone (from OPS_SCHEDULE_TIMEZONE): "Tokyo" is not an IANA time zone name' in err


def test_validate_accepts_a_valid_file_and_exits_0(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-value")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/proxy")
    path = write_config(
        {
            "enabled": True,
            "dashboardIssue": 5,
            "jobs": {"daily_observability_report": {"enabled": True, "postToIssue": True}},
        }
    )
    assert run(capsys, "validate", "--config", path) == (0, "ops.json: valid\n", "")


def test_validate_says_when_there_is_no_file_and_defaults_apply(capsys):
    assert run(capsys, "validate") == (
        0,
        "config/proxy-mcp/ops-schedule.json: not found; using defaults (everything disabled)\n",
        "",
    )


@pytest.mark.parametrize("command", [["validate"], ["status"], ["run"], ["report", "daily"]])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_config_file_that_is_missing_exits_2_with_one_line(
    capsys, monkeypatch, command, how
):
    if how == "option":
        args = ["--config", "conf/typo.json", *command]
    else:
        monkeypatch.setenv("OPS_SCHEDULE_CONFIG", "conf/typo.json")
        args = command
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("Error: conf/typo.json: configuration file not found (named by ")


def test_validate_takes_the_path_from_ops_schedule_config(capsys, monkeypatch):
    monkeypatch.setenv("OPS_SCHEDULE_CONFIG", write_config({"locale": "xx"}, "from-env.json"))
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert "in from-env.json:" in err


def test_validate_prints_warnings_for_settings_that_do_nothing(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-value")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/proxy")
    path = write_config(
        {"jobs": {"weekly_observability_report": {"enabled": True, "postToIssue": True}}}
    )
    assert run(capsys, "validate", "--config", path) == (
        0,
        (
            "ops.json: valid\n"
            "warning: enabled is false, so no job runs on schedule, although these jobs are "
            "enabled: weekly_observability_report\n"
            "warning: jobs.weekly_observability_report.postToIssue is true but dashboardIssue is "
            "null: the result cannot be posted\n"
        ),
        "",
    )


def test_validate_help_has_an_example(capsys):
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0
    assert "ops-schedule validate --config config/proxy-mcp/ops-schedule.json" in out


# --------------------------------------------------------------------------- init


def test_init_writes_the_default_config_and_its_schema(capsys):
    code, out, _ = run(capsys, "init")
    config = Path("config/proxy-mcp/ops-schedule.json")
    schema = Path("config/proxy-mcp/ops-schedule.schema.json")
    assert (code, out) == (0, f"wrote {config} and {schema}\n")
    assert json.loads(config.read_text("utf-8")) == default_document()
    assert schema.read_text("utf-8") == schema_text()
    assert load_config(config, {}).enabled is False


def test_init_refuses_to_overwrite_and_leaves_the_file_alone(capsys):
    Path("mine.json").write_text('{"enabled": true}', encoding="utf-8")
    code, _, err = run(capsys, "init", "--path", "mine.json")
    assert (code, err) == (1, "Error: mine.json already exists; use --force to overwrite it\n")
    assert Path("mine.json").read_text("utf-8") == '{"enabled": true}'


def test_init_force_overwrites_and_the_result_validates(capsys):
    Path("mine.json").write_text('{"enabled": true}', encoding="utf-8")
    assert run(capsys, "init", "--path", "mine.json", "--force")[0] == 0
    assert run(capsys, "validate", "--config", "mine.json") == (0, "mine.json: valid\n", "")


def test_validate_warns_when_a_posting_job_has_no_token_or_repository(tmp_path, capsys):
    from ops_schedule.cli.main import main

    config = tmp_path / "c.json"
    config.write_text(
        '{"enabled": true, "dashboardIssue": 5, "jobs": {"daily_observability_report": '
        '{"enabled": true, "postToIssue": true}}}',
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "validate"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "postToIssue is true, but no repository is set" in out
    assert "GITHUB_TOKEN environment variable is not set" in out
    assert "dashboardIssue" not in out
