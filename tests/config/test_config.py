"""Configuration: every field rejects bad input with a message naming path, value and rule."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from config_outlet_inputs import OUTLET_FAILING_INPUTS

from ops_schedule.config import (
    DEFAULT_CONFIG_PATH,
    Config,
    Weekday,
    config_exists,
    config_warnings,
    load_config,
    parse_config,
)
from ops_schedule.errors import ConfigError

DAILY = "jobs.daily_observability_report"
WEEKLY = "jobs.weekly_observability_report"
DIGEST = "jobs.weekly_improvement_digest"
HHMM = "is not a time of day (HH:MM, 00:00–23:59)"
DURATION = "is not a duration such as 90m, 6h, 2d or 1h30m"
ZONE = "is not an IANA time zone name such as Asia/Tokyo or UTC"
BOOL = "is not a boolean (true or false)"
PATH = "is not a path (a non-empty string)"
TWICE = "appears more than once in the same object (only the last would count; keep one)"
RE2_NOTE = "RE2 has no backreferences or lookaround"


def problems_of(raw: object, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, environ or {})
    return list(caught.value.problems)


def job(name: str, **fields: object) -> dict[str, object]:
    return {"jobs": {name: fields}}


# The seed document's own examples, verbatim.
SEED_DEFAULT = {
    "enabled": False,
    "timezone": "Asia/Tokyo",
    "stateDir": "logs/schedule-state",
    "dashboardIssue": 123,
    "jobs": {
        "daily_observability_report": {
            "enabled": False,
            "cadence": "daily",
            "at": "09:00",
            "postToIssue": False,
        },
        "weekly_observability_report": {
            "enabled": False,
            "cadence": "weekly",
            "dow": "Mon",
            "at": "09:10",
            "postToIssue": False,
        },
        "weekly_improvement_digest": {
            "enabled": False,
            "cadence": "weekly",
            "dow": "Mon",
            "at": "09:20",
            "postToIssue": False,
        },
    },
    "redaction": {"patterns": [], "placeholder": "[REDACTED]"},
}
ROLLOUT_STEP_1 = {
    "enabled": True,
    "jobs": {"daily_observability_report": {"enabled": True, "postToIssue": False}},
}
ROLLOUT_STEP_2 = {
    "dashboardIssue": 123,
    "jobs": {"daily_observability_report": {"enabled": True, "postToIssue": True}},
}
ROLLOUT_STEP_3 = {"jobs": {"weekly_observability_report": {"enabled": True, "postToIssue": True}}}
ROLLOUT_STEP_4 = {"jobs": {"weekly_improvement_digest": {"enabled": True, "postToIssue": True}}}


# --------------------------------------------------------------------------- every field

STORE_URL = "is not a PostgreSQL URL such as postgresql://user@host:5432/db"
MUST_PG = "(it must start with postgresql://)"

FAILING_INPUTS = [
    # top level
    ({"enabled": "yes"}, f'enabled: "yes" {BOOL}'),
    ({"enabled": 1}, f"enabled: 1 {BOOL}"),
    ({"timezone": "Mars/Olympus_Mons"}, f'timezone: "Mars/Olympus_Mons" {ZONE}'),
    ({"timezone": "Asia/Tokio"}, f'timezone: "Asia/Tokio" {ZONE}; did you mean "Asia/Tokyo"?'),
    ({"timezone": 9}, f"timezone: 9 {ZONE}"),
    ({"stateDir": ""}, f'stateDir: "" {PATH}'),
    ({"stateDir": 5}, f"stateDir: 5 {PATH}"),
    (
        {"dashboardIssue": "123"},
        'dashboardIssue: "123" is not an integer (write 123 without quotes)',
    ),
    ({"dashboardIssue": True}, "dashboardIssue: true is not an integer"),
    ({"dashboardIssue": 12.5}, "dashboardIssue: 12.5 is not an integer"),
    ({"dashboardIssue": 0}, "dashboardIssue: 0 must be at least 1"),
    ({"jobs": []}, "jobs: [] is not a JSON object"),
    ({"jobs": {"daily_observability_report": None}}, f"{DAILY}: null is not a JSON object"),
    ({"redaction": "none"}, 'redaction: "none" is not a JSON object'),
    ({"redaction": {"patterns": "sk-.*"}}, 'redaction.patterns: "sk-.*" is not a list'),
    ({"redaction": {"patterns": [42]}}, "redaction.patterns[0]: 42 is not a string"),
    (
        {"redaction": {"patterns": ["ok", "(unclosed"]}},
        (
            'redaction.patterns[1]: "(unclosed" does not compile as an RE2 regular expression '
            f"(missing ): (unclosed; {RE2_NOTE})"
        ),
    ),
    (
        {"redaction": {"patterns": [r"(a)\1"]}},
        (
            r'redaction.patterns[0]: "(a)\\1" does not compile as an RE2 regular expression '
            rf"(invalid escape sequence: \1; {RE2_NOTE})"
        ),
    ),
    (
        {"redaction": {"patterns": ["(?=token)"]}},
        (
            'redaction.patterns[0]: "(?=token)" does not compile as an RE2 regular expression '
            f"(invalid perl operator: (?=; {RE2_NOTE})"
        ),
    ),
    (
        {"redaction": {"patterns": ["x*"]}},
        'redaction.patterns[0]: "x*" matches the empty string, so it would redact nothing useful',
    ),
    ({"redaction": {"placeholder": ""}}, 'redaction.placeholder: "" must not be empty'),
    ({"redaction": {"placeholder": None}}, "redaction.placeholder: null is not a string"),
    ({"sources": {"events": ""}}, f'sources.events: "" {PATH}'),
    ({"sources": {"incidents": ["a"]}}, f'sources.incidents: ["a"] {PATH}'),
    ({"sources": 1}, "sources: 1 is not a JSON object"),
    ({"outputDir": None}, f"outputDir: null {PATH}"),
    ({"locale": "fr"}, 'locale: "fr" is not allowed (use "ja" or "en")'),
    (
        {"github": {"repo": "just-a-name"}},
        'github.repo: "just-a-name" is not a repository in "owner/name" form',
    ),
    ({"github": {"repo": ""}}, 'github.repo: "" is not a repository in "owner/name" form'),
    (
        {"github": {"apiUrl": "api.github.com"}},
        'github.apiUrl: "api.github.com" is not an http(s) URL such as https://api.github.com',
    ),
    ({"github": {"maxRetrySeconds": 0}}, "github.maxRetrySeconds: 0 must be greater than 0"),
    ({"github": {"maxRetrySeconds": 90000}}, "github.maxRetrySeconds: 90000 must be at most 86400"),
    ({"github": {"maxRetrySeconds": True}}, "github.maxRetrySeconds: true is not a number"),
    (
        {"github": {"markerSearchComments": 50}},
        "github.markerSearchComments: 50 must be at least 100",
    ),
    (
        {"github": {"markerSearchComments": "1000"}},
        'github.markerSearchComments: "1000" is not an integer (write 1000 without quotes)',
    ),
    ({"github": None}, "github: null is not a JSON object"),
    # catchUpGrace, shorthand
    ({"catchUpGrace": "soon"}, f'catchUpGrace: "soon" {DURATION}'),
    ({"catchUpGrace": "6 h"}, f'catchUpGrace: "6 h" {DURATION}'),
    (
        {"catchUpGrace": "0h"},
        (
            'catchUpGrace: "0h" is not a catch-up grace for a daily job '
            "(must be more than 0 and less than the period, 1d)"
        ),
    ),
    (
        {"catchUpGrace": "24h"},
        (
            'catchUpGrace: "24h" is not a catch-up grace for a daily job '
            "(must be more than 0 and less than the period, 1d)"
        ),
    ),
    (
        {"catchUpGrace": 3600},
        f'catchUpGrace: 3600 {DURATION}, nor an object {{"daily": …, "weekly": …}}',
    ),
    (
        {"catchUpGrace": "999999999999d"},
        f'catchUpGrace: "999999999999d" {DURATION} (far too long)',
    ),
    # catchUpGrace, object form
    (
        {"catchUpGrace": {"weekly": "7d"}},
        (
            'catchUpGrace.weekly: "7d" is not a catch-up grace for a weekly job '
            "(must be more than 0 and less than the period, 7d)"
        ),
    ),
    (
        {"catchUpGrace": {"daily": "0m"}},
        (
            'catchUpGrace.daily: "0m" is not a catch-up grace for a daily job '
            "(must be more than 0 and less than the period, 1d)"
        ),
    ),
    ({"catchUpGrace": {"daily": 21600}}, f"catchUpGrace.daily: 21600 {DURATION}"),
    # thresholds
    ({"thresholds": {"warnSuccessRate": 1.5}}, "thresholds.warnSuccessRate: 1.5 must be at most 1"),
    (
        {"thresholds": {"warnSuccessRate": "0.9"}},
        'thresholds.warnSuccessRate: "0.9" is not a number (write 0.9 without quotes)',
    ),
    (
        {"thresholds": {"criticalSuccessRate": -0.1}},
        "thresholds.criticalSuccessRate: -0.1 must be at least 0",
    ),
    (
        {"thresholds": {"criticalSuccessRate": 0.99}},
        "thresholds.criticalSuccessRate: 0.99 must not be above warnSuccessRate (0.95)",
    ),
    ({"thresholds": {"warnP95Ms": 0}}, "thresholds.warnP95Ms: 0 must be greater than 0"),
    (
        {"thresholds": {"warnP95Ms": float("inf")}},
        "thresholds.warnP95Ms: Infinity is not a finite number",
    ),
    ({"thresholds": 0.9}, "thresholds: 0.9 is not a JSON object"),
    # trend
    ({"trend": {"periods": 1}}, "trend.periods: 1 must be at least 2"),
    ({"trend": {"periods": 53}}, "trend.periods: 53 must be at most 52"),
    ({"trend": {"periods": "8"}}, 'trend.periods: "8" is not an integer (write 8 without quotes)'),
    ({"trend": {"periods": 8.5}}, "trend.periods: 8.5 is not an integer"),
    ({"trend": {"weeks": 8}}, "trend.weeks: unknown key (allowed: periods)"),
    ({"trend": 8}, "trend: 8 is not a JSON object"),
    ({"$schema": 1}, "$schema: 1 is not a string"),
    # per job
    (
        job("daily_observability_report", enabled="true"),
        f'{DAILY}.enabled: "true" {BOOL} (write true without quotes)',
    ),
    (
        job("weekly_observability_report", cadence="hourly"),
        f'{WEEKLY}.cadence: "hourly" is not allowed (use "daily" or "weekly")',
    ),
    (job("daily_observability_report", at="9:60"), f'{DAILY}.at: "9:60" {HHMM}'),
    (job("daily_observability_report", at="24:00"), f'{DAILY}.at: "24:00" {HHMM}'),
    (job("daily_observability_report", at="9:00"), f'{DAILY}.at: "9:00" {HHMM}'),
    (job("daily_observability_report", at="09:00:00"), f'{DAILY}.at: "09:00:00" {HHMM}'),
    (job("daily_observability_report", at=900), f"{DAILY}.at: 900 {HHMM}"),
    (
        job("weekly_observability_report", dow="Monday"),
        (
            f'{WEEKLY}.dow: "Monday" is not allowed (use "Mon", "Tue", "Wed", "Thu", "Fri", '
            '"Sat" or "Sun")'
        ),
    ),
    (
        job("daily_observability_report", dow="Mon"),
        f'{DAILY}.dow: "Mon" is not allowed on a daily job (remove dow, or set cadence to weekly)',
    ),
    (
        job("weekly_improvement_digest", cadence="daily", dow="Tue"),
        f'{DIGEST}.dow: "Tue" is not allowed on a daily job (remove dow, or set cadence to weekly)',
    ),
    (job("weekly_improvement_digest", postToIssue="no"), f'{DIGEST}.postToIssue: "no" {BOOL}'),
    (
        job("daily_observability_report", catchUpGrace="1d"),
        (
            f'{DAILY}.catchUpGrace: "1d" is not a catch-up grace for a daily job '
            "(must be more than 0 and less than the period, 1d)"
        ),
    ),
    (
        job("weekly_observability_report", catchUpGrace="8d"),
        (
            f'{WEEKLY}.catchUpGrace: "8d" is not a catch-up grace for a weekly job '
            "(must be more than 0 and less than the period, 7d)"
        ),
    ),
    (
        job("weekly_observability_report", catchUpGrace="0s"),
        (
            f'{WEEKLY}.catchUpGrace: "0s" is not a catch-up grace for a weekly job '
            "(must be more than 0 and less than the period, 7d)"
        ),
    ),
    (
        job("daily_observability_report", catchUpGrace="later"),
        f'{DAILY}.catchUpGrace: "later" {DURATION}',
    ),
    # the state store
    ({"store": "postgresql://db/ops"}, 'store: "postgresql://db/ops" is not a JSON object'),
    ({"store": {"url": "mysql://db/ops"}}, f'store.url: "mysql://db/ops" {STORE_URL} {MUST_PG}'),
    ({"store": {"url": 5432}}, f"store.url: 5432 {STORE_URL}"),
    (
        {"store": {"url": "postgresql://db/ops?sslmod=require"}},
        (
            f'store.url: "postgresql://db/ops?sslmod=require" {STORE_URL} '
            '(invalid URI query parameter: "sslmod")'
        ),
    ),
    (
        {"store": {"url": "postgresql://db:543x/ops"}},
        f"store.url: \"postgresql://db:543x/ops\" {STORE_URL} (the port '543x' is not a number)",
    ),
    ({"store": {"leaseSeconds": 0.5}}, "store.leaseSeconds: 0.5 must be at least 1"),
    ({"store": {"leaseSeconds": 7200}}, "store.leaseSeconds: 7200 must be at most 3600"),
    (
        {"store": {"leaseSeconds": "120"}},
        'store.leaseSeconds: "120" is not a number (write 120 without quotes)',
    ),
    *OUTLET_FAILING_INPUTS,
]


@pytest.mark.parametrize(
    ("raw", "expected"), FAILING_INPUTS, ids=[e.split(":")[0] for _, e in FAILING_INPUTS]
)
def test_a_bad_value_is_reported_with_its_path_value_and_what_is_allowed(raw, expected):
    assert problems_of(raw) == [expected]


def test_every_field_of_the_model_has_a_failing_input_above():
    tested = {expected.split(":")[0].split("[")[0] for _, expected in FAILING_INPUTS}
    tested = {re.sub(f"^({WEEKLY}|{DIGEST})", DAILY, p) for p in tested}

    def paths(model: type, prefix: str) -> set[str]:
        found = set()
        for name, field in model.model_fields.items():
            path = f"{prefix}{field.alias or name}"
            found.add(path)
            nested = field.annotation
            if isinstance(nested, type) and nested.__name__ == "JobsConfig":
                found |= paths(
                    nested.model_fields["daily_observability_report"].annotation, f"{DAILY}."
                )
            elif isinstance(nested, type) and hasattr(nested, "model_fields"):
                found |= paths(nested, f"{path}.")
        return found

    assert paths(Config, "") - tested == set()


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"enabeld": True},
            (
                'enabeld: unknown key; did you mean "enabled"? '
                "(allowed: $schema, enabled, timezone, "
                "stateDir, dashboardIssue, jobs, redaction, sources, outputDir, locale, github, "
                "catchUpGrace, thresholds, trend, store, slack, webhook, pings, metrics)"
            ),
        ),
        (
            job("daily_observability_report", postToIsue=True),
            (
                f'{DAILY}.postToIsue: unknown key; did you mean "postToIssue"? '
                "(allowed: enabled, cadence, at, dow, postToIssue, catchUpGrace)"
            ),
        ),
        (
            {"redaction": {"pattern": ["x"]}},
            (
                'redaction.pattern: unknown key; did you mean "patterns"? '
                "(allowed: patterns, placeholder)"
            ),
        ),
        (
            {"catchUpGrace": {"dayly": "2h"}},
            'catchUpGrace.dayly: unknown key; did you mean "daily"? (allowed: daily, weekly)',
        ),
        (
            {"github": {"token": "x"}},
            (
                "github.token: unknown key (allowed: repo, apiUrl, maxRetrySeconds, "
                "markerSearchComments)"
            ),
        ),
    ],
)
def test_an_unknown_key_is_an_error_with_a_did_you_mean_hint(raw, expected):
    assert problems_of(raw) == [expected]


def test_an_unknown_job_name_is_an_error_that_suggests_the_closest_job():
    assert problems_of({"jobs": {"daily_observabilty_report": {"enabled": True}}}) == [
        (
            "jobs.daily_observabilty_report: unknown job; "
            'did you mean "daily_observability_report"? '
            "(allowed: daily_observability_report, weekly_observability_report, "
            "weekly_improvement_digest)"
        )
    ]


def test_an_unknown_job_with_no_close_name_lists_the_jobs_without_guessing():
    assert problems_of({"jobs": {"cleanup": {}}}) == [
        (
            "jobs.cleanup: unknown job (allowed: daily_observability_report, "
            "weekly_observability_report, weekly_improvement_digest)"
        )
    ]


# --------------------------------------------------------------------------- all at once


def test_every_problem_is_reported_in_one_error_in_the_order_of_the_file():
    raw = {
        "enabeld": True,
        "enabled": "yes",
        "timezone": "Nowhere/City",
        "dashboardIssue": "123",
        "jobs": {
            "daily_observability_report": {"at": "9:60", "dow": "Mon", "catchUpGrace": "1d"},
            "weekly_observability_report": {"postToIsue": True},
        },
        "redaction": {"patterns": ["(a)\\1"]},
        "thresholds": {"criticalSuccessRate": 0.99, "warnP95Ms": -1},
    }
    found = problems_of(raw)
    assert [p.split(":")[0] for p in found] == [
        "enabeld",
        "enabled",
        "timezone",
        "dashboardIssue",
        f"{DAILY}.at",
        f"{DAILY}.dow",
        f"{DAILY}.catchUpGrace",
        f"{WEEKLY}.postToIsue",
        "redaction.patterns[0]",
        "thresholds.criticalSuccessRate",
        "thresholds.warnP95Ms",
    ]


def test_cross_field_checks_run_even_when_a_sibling_field_is_invalid():
    found = problems_of(job("daily_observability_report", enabled="x", dow="Sun", at="7"))
    assert (
        f'{DAILY}.dow: "Sun" is not allowed on a daily job (remove dow, or set cadence to weekly)'
        in found
    )
    assert len(found) == 3


def test_the_error_message_counts_the_problems_and_names_the_file():
    with pytest.raises(ConfigError) as caught:
        parse_config({"enabled": "yes", "locale": "de"}, {}, "ops.json")
    assert str(caught.value) == (
        "2 configuration problems in ops.json:\n"
        f'  - enabled: "yes" {BOOL}\n'
        '  - locale: "de" is not allowed (use "ja" or "en")'
    )
    assert caught.value.exit_code == 2


def test_a_top_level_that_is_not_an_object_is_an_error():
    assert problems_of([{"enabled": True}]) == [
        '(top level): [{"enabled": true}] is not a JSON object'
    ]


def test_a_long_bad_value_is_shortened_in_the_message():
    (problem,) = problems_of({"thresholds": ["x" * 200]})
    assert problem.startswith('thresholds: ["xxxx')
    assert problem.endswith("… is not a JSON object")
    assert len(problem) < 100


# --------------------------------------------------------------------------- valid configs


def test_an_empty_document_gives_the_documented_defaults():
    config = parse_config({}, {})
    assert config.enabled is False
    assert config.timezone == "Asia/Tokyo"
    assert config.state_dir == Path("logs/schedule-state")
    assert config.dashboard_issue is None
    assert config.redaction.patterns == ()
    assert config.redaction.placeholder == "[REDACTED]"
    assert config.sources.events == Path(".taisun/observability/events.jsonl")
    assert config.sources.incidents == Path(".taisun/incidents/state.jsonl")
    assert config.output_dir == Path("logs/ops-reports")
    assert config.locale == "ja"
    assert config.github.repo is None
    assert config.github.api_url == "https://api.github.com"
    assert config.github.max_retry_seconds == 600
    assert config.catch_up_grace.daily == timedelta(hours=6)
    assert config.catch_up_grace.weekly == timedelta(hours=48)
    assert (
        config.thresholds.warn_success_rate,
        config.thresholds.critical_success_rate,
        config.thresholds.warn_p95_ms,
    ) == (0.95, 0.90, 5000)
    assert [
        (n, j.enabled, j.cadence, j.at, j.dow, j.post_to_issue) for n, j in config.jobs.items()
    ] == [
        ("daily_observability_report", False, "daily", "09:00", None, False),
        ("weekly_observability_report", False, "weekly", "09:10", Weekday.MON, False),
        ("weekly_improvement_digest", False, "weekly", "09:20", Weekday.MON, False),
    ]


def test_the_seed_default_config_loads_unchanged():
    config = parse_config(SEED_DEFAULT, {})
    assert config.enabled is False
    assert config.dashboard_issue == 123
    dumped = config.model_dump(by_alias=True, mode="json")
    for name, given in SEED_DEFAULT["jobs"].items():
        assert {key: dumped["jobs"][name][key] for key in given} == given
    assert dumped["redaction"] == SEED_DEFAULT["redaction"]


def test_rollout_step_1_enables_the_daily_report_with_its_default_schedule():
    config = parse_config(ROLLOUT_STEP_1, {})
    daily = config.jobs.get("daily_observability_report")
    assert (config.enabled, daily.enabled, daily.cadence, daily.at, daily.post_to_issue) == (
        True,
        True,
        "daily",
        "09:00",
        False,
    )
    assert config.job_active("daily_observability_report")
    assert not config.job_active("weekly_observability_report")


def test_rollout_step_2_posts_the_daily_report_to_the_dashboard_issue():
    config = parse_config(ROLLOUT_STEP_2, {})
    daily = config.jobs.get("daily_observability_report")
    assert (config.dashboard_issue, daily.enabled, daily.post_to_issue, daily.at) == (
        123,
        True,
        True,
        "09:00",
    )
    assert config.enabled is False  # the fragment leaves the global switch to the file it joins


@pytest.mark.parametrize(
    ("fragment", "name", "at"),
    [
        (ROLLOUT_STEP_3, "weekly_observability_report", "09:10"),
        (ROLLOUT_STEP_4, "weekly_improvement_digest", "09:20"),
    ],
)
def test_rollout_steps_3_and_4_enable_a_weekly_job_on_monday_at_its_default_time(
    fragment, name, at
):
    weekly = parse_config(fragment, {}).jobs.get(name)
    assert (weekly.enabled, weekly.post_to_issue, weekly.cadence, weekly.dow, weekly.at) == (
        True,
        True,
        "weekly",
        Weekday.MON,
        at,
    )


def test_a_daily_job_switched_to_weekly_runs_on_monday_unless_told_otherwise():
    config = parse_config(job("daily_observability_report", cadence="weekly"), {})
    assert config.jobs.get("daily_observability_report").dow is Weekday.MON
    config = parse_config(job("daily_observability_report", cadence="weekly", dow="Fri"), {})
    assert config.jobs.get("daily_observability_report").weekday is Weekday.FRI


def test_a_weekly_job_switched_to_daily_has_no_day_of_week():
    config = parse_config(job("weekly_observability_report", cadence="daily"), {})
    assert config.jobs.get("weekly_observability_report").dow is None


def test_catch_up_grace_shorthand_sets_both_cadences():
    config = parse_config({"catchUpGrace": "1h30m"}, {})
    assert config.catch_up_grace.daily == config.catch_up_grace.weekly == timedelta(minutes=90)
    assert config.grace_for("daily_observability_report") == timedelta(minutes=90)


def test_catch_up_grace_object_form_sets_each_cadence_and_a_job_may_override_it():
    config = parse_config(
        {
            "catchUpGrace": {"daily": "2h", "weekly": "3d"},
            "jobs": {"weekly_improvement_digest": {"catchUpGrace": "6d23h59m"}},
        },
        {},
    )
    assert config.grace_for("daily_observability_report") == timedelta(hours=2)
    assert config.grace_for("weekly_observability_report") == timedelta(days=3)
    assert config.grace_for("weekly_improvement_digest") == timedelta(days=7) - timedelta(minutes=1)


def test_a_valid_pattern_and_extensions_are_kept_as_written():
    config = parse_config(
        {
            "redaction": {"patterns": [r"tok_[A-Za-z0-9]{8}"], "placeholder": "***"},
            "locale": "en",
            "github": {"repo": "acme/proxy", "apiUrl": "https://ghe.example.com/api/v3/"},
            "thresholds": {"warnSuccessRate": 1, "criticalSuccessRate": 0.5, "warnP95Ms": 250},
        },
        {},
    )
    assert config.redaction.patterns == (r"tok_[A-Za-z0-9]{8}",)
    assert config.github.api_url == "https://ghe.example.com/api/v3"
    assert config.thresholds.warn_success_rate == 1.0


def test_the_config_is_frozen():
    config = parse_config({}, {})
    with pytest.raises(ValueError, match="frozen"):
        config.enabled = True  # type: ignore[misc]


# --------------------------------------------------------------------------- environment


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("TRUE", True), ("1", True), ("no", False)]
)
def test_ops_schedule_enabled_overrides_the_file(text, value):
    config = parse_config({"enabled": not value}, {"OPS_SCHEDULE_ENABLED": text})
    assert config.enabled is value


def test_an_invalid_ops_schedule_enabled_is_an_error_naming_the_variable():
    assert problems_of({}, {"OPS_SCHEDULE_ENABLED": "on"}) == [
        (
            'enabled (from OPS_SCHEDULE_ENABLED): "on" is not a boolean '
            "(true or false, 1 or 0, yes or no)"
        )
    ]


def test_an_empty_environment_variable_counts_as_unset():
    config = parse_config(
        {"enabled": True, "timezone": "UTC"},
        {"OPS_SCHEDULE_ENABLED": "", "OPS_SCHEDULE_TIMEZONE": "", "GITHUB_REPOSITORY": ""},
    )
    assert (config.enabled, config.timezone, config.github.repo) == (True, "UTC", None)


def test_ops_schedule_timezone_overrides_the_file():
    config = parse_config({"timezone": "UTC"}, {"OPS_SCHEDULE_TIMEZONE": "Europe/Berlin"})
    assert config.timezone == "Europe/Berlin"
    assert str(config.zone) == "Europe/Berlin"


def test_an_invalid_ops_schedule_timezone_is_an_error_naming_the_variable():
    assert problems_of({}, {"OPS_SCHEDULE_TIMEZONE": "Europe/Berln"}) == [
        (
            'timezone (from OPS_SCHEDULE_TIMEZONE): "Europe/Berln" '
            f'{ZONE}; did you mean "Europe/Berlin"?'
        )
    ]


def test_github_repository_fills_github_repo_only_when_the_file_leaves_it_empty():
    env = {"GITHUB_REPOSITORY": "ci/own-repo"}
    assert parse_config({}, env).github.repo == "ci/own-repo"
    assert parse_config({"github": {"repo": None}}, env).github.repo == "ci/own-repo"
    assert (
        parse_config({"github": {"apiUrl": "https://x.example"}}, env).github.repo == "ci/own-repo"
    )
    assert parse_config({"github": {"repo": "ops/dashboard"}}, env).github.repo == "ops/dashboard"


def test_github_repository_does_not_hide_a_bad_github_section():
    assert problems_of({"github": None}, {"GITHUB_REPOSITORY": "a/b"}) == [
        "github: null is not a JSON object"
    ]


def test_an_invalid_github_repository_is_an_error_naming_the_variable():
    assert problems_of({}, {"GITHUB_REPOSITORY": "no-slash"}) == [
        'github.repo (from GITHUB_REPOSITORY): "no-slash" is not a repository in "owner/name" form'
    ]


# --------------------------------------------------------------------------- files


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_means_defaults_with_everything_disabled():
    config = load_config(environ={})
    assert config == parse_config({}, {})
    assert not config_exists(environ={})


def test_the_default_path_is_read_from_the_working_directory():
    write(DEFAULT_CONFIG_PATH, json.dumps(ROLLOUT_STEP_1))
    assert config_exists(environ={})
    assert load_config(environ={}).enabled is True


def test_ops_schedule_config_picks_the_file():
    write(Path("elsewhere/ops.json"), json.dumps({"locale": "en"}))
    write(DEFAULT_CONFIG_PATH, json.dumps({"locale": "ja"}))
    assert load_config(environ={"OPS_SCHEDULE_CONFIG": "elsewhere/ops.json"}).locale == "en"


def test_an_explicit_path_wins_over_ops_schedule_config():
    write(Path("a.json"), json.dumps({"locale": "en"}))
    config = load_config(Path("a.json"), {"OPS_SCHEDULE_CONFIG": "missing.json"})
    assert config.locale == "en"


@pytest.mark.parametrize(
    ("path", "environ", "named_by"),
    [
        (Path("typo.json"), {}, "--config"),
        (None, {"OPS_SCHEDULE_CONFIG": "typo.json"}, "OPS_SCHEDULE_CONFIG"),
    ],
)
def test_a_named_file_that_does_not_exist_is_an_error_naming_it(path, environ, named_by):
    write(DEFAULT_CONFIG_PATH, json.dumps({"locale": "en"}))  # never a silent fallback
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        f"typo.json: configuration file not found (named by {named_by}); only the default "
        "path may be absent"
    )
    assert "\n" not in str(caught.value)


def test_environment_overrides_apply_to_a_missing_file_too():
    assert load_config(environ={"OPS_SCHEDULE_ENABLED": "true"}).enabled is True


def test_invalid_json_names_the_line_and_column():
    write(Path("bad.json"), '{\n  "enabled": true,\n  "timezone": "UTC",\n}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(Path("bad.json"), {})
    assert caught.value.problems == (
        "line 4, column 1: invalid JSON: Expecting property name enclosed in double quotes",
    )
    assert caught.value.source == "bad.json"


def test_an_empty_file_is_invalid_json_not_defaults():
    write(Path("empty.json"), "")
    with pytest.raises(ConfigError, match="line 1, column 1: invalid JSON"):
        load_config(Path("empty.json"), {})


def test_a_file_that_is_a_json_array_is_an_error():
    write(Path("list.json"), "[]")
    with pytest.raises(ConfigError) as caught:
        load_config(Path("list.json"), {})
    assert caught.value.problems == ("(top level): [] is not a JSON object",)


def test_a_duplicate_key_is_an_error_with_its_path_alongside_other_problems():
    write(
        Path("dup.json"),
        '{"enabled": true, "jobs": {"daily_observability_report": {"at": "08:00", "at": "9"}},'
        ' "enabled": false}',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(Path("dup.json"), {})
    assert caught.value.problems == (
        f"enabled: {TWICE}",
        f"{DAILY}.at: {TWICE}",
        f'{DAILY}.at: "9" {HHMM}',
    )


def test_a_duplicate_key_alone_is_an_error():
    write(Path("dup.json"), '{"redaction": {"patterns": [{"a": 1, "a": 2}]}}')
    with pytest.raises(ConfigError) as caught:
        load_config(Path("dup.json"), {})
    assert caught.value.problems[0] == (
        "redaction.patterns[0].a: appears more than once in the same object "
        "(only the last would count; keep one)"
    )


def test_nan_in_the_file_is_not_a_number():
    write(Path("nan.json"), '{"thresholds": {"warnSuccessRate": NaN}}')
    with pytest.raises(ConfigError) as caught:
        load_config(Path("nan.json"), {})
    assert caught.value.problems == ("thresholds.warnSuccessRate: NaN is not a finite number",)


def test_a_byte_order_mark_is_tolerated():
    Path("bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"locale": "en"}).encode())
    assert load_config(Path("bom.json"), {}).locale == "en"


def test_a_directory_instead_of_a_file_is_an_error_not_defaults():
    Path("dir.json").mkdir()
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(Path("dir.json"), {})


# --------------------------------------------------------------------------- warnings


def test_no_warnings_for_the_defaults_or_a_sensible_rollout():
    assert config_warnings(parse_config({}, {})) == []
    assert config_warnings(parse_config({**ROLLOUT_STEP_1, "dashboardIssue": 7}, {})) == []


def test_a_warning_when_jobs_are_enabled_but_the_global_switch_is_off():
    config = parse_config({**ROLLOUT_STEP_3, "enabled": False}, {"OPS_SCHEDULE_ENABLED": ""})
    assert config_warnings(config) == [
        (
            "enabled is false, so no job runs on schedule, although these jobs are enabled: "
            "weekly_observability_report"
        ),
        (
            "jobs.weekly_observability_report.postToIssue is true but dashboardIssue is null: "
            "the result cannot be posted"
        ),
    ]


def test_a_warning_when_the_global_switch_is_on_but_no_job_is():
    assert config_warnings(parse_config({"enabled": True}, {})) == [
        "enabled is true but no job is enabled: nothing runs"
    ]


def test_a_warning_for_each_job_that_posts_without_a_dashboard_issue():
    config = parse_config(
        {
            "enabled": True,
            "jobs": {
                "daily_observability_report": {"enabled": True, "postToIssue": True},
                "weekly_improvement_digest": {"postToIssue": True},
            },
        },
        {},
    )
    assert config_warnings(config) == [
        f"{DAILY}.postToIssue is true but dashboardIssue is null: the result cannot be posted",
        f"{DIGEST}.postToIssue is true but dashboardIssue is null: the result cannot be posted",
    ]


# --------------------------------------------------------------------------- the state store

SECRET = "pw-" + "x" * 12  # built here, never a literal credential


def test_without_a_store_url_the_file_store_is_used():
    config = parse_config({}, {})

    assert config.store.url is None
    assert config.store.lease_seconds == 120


def test_the_store_url_and_lease_are_read_from_the_file_with_libpq_parameters_kept():
    url = f"postgresql://ops:{SECRET}@db:5432/ops?sslmode=require&options=-csearch_path%3Dops"
    config = parse_config({"store": {"url": url, "leaseSeconds": 30}}, {})

    assert config.store.url is not None
    assert config.store.url.conninfo == url
    assert (
        str(config.store.url)
        == "postgresql://ops@db:5432/ops?sslmode=require&options=-csearch_path%3Dops"
    )
    assert config.store.lease_seconds == 30


def test_the_environment_variable_overrides_the_store_url_of_the_file():
    from_file = {"store": {"url": "postgresql://file@db/ops", "leaseSeconds": 60}}
    environ = {"OPS_SCHEDULE_STORE_URL": f"postgresql://ops:{SECRET}@other/ops"}

    config = parse_config(from_file, environ)

    assert config.store.url is not None
    assert config.store.url.conninfo == environ["OPS_SCHEDULE_STORE_URL"]
    assert config.store.lease_seconds == 60


def test_a_bad_store_url_from_the_environment_names_the_variable_and_hides_the_password():
    [problem] = problems_of({}, {"OPS_SCHEDULE_STORE_URL": f"mysql://ops:{SECRET}@db/ops"})

    assert problem == (
        f'store.url (from OPS_SCHEDULE_STORE_URL): "mysql://ops@db/ops" {STORE_URL} {MUST_PG}'
    )


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://ops:{SECRET}@db/ops?nosuch=1",
        f"postgresql://ops@db/ops?password={SECRET}&nosuch=1",
        f"postgresql://ops:{SECRET}%zz@db/ops",
        f"postgresql://ops:{SECRET}@db:x/ops",
    ],
)
def test_no_problem_with_the_store_url_shows_its_password(url):
    [problem] = problems_of({"store": {"url": url}})

    assert problem.startswith("store.url: ")
    assert SECRET not in problem


def test_the_store_url_never_shows_its_password_in_repr_or_dumps():
    config = parse_config({"store": {"url": f"postgresql://ops:{SECRET}@db/ops"}}, {})

    assert SECRET not in repr(config)
    assert SECRET not in str(config.model_dump(by_alias=True))
    assert SECRET not in config.model_dump_json()
