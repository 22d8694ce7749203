"""Configuration: typed, frozen models, one loader, every problem reported at once.

The file format is the seed's camelCase JSON. Validation happens here, once; everything after
``load_config`` trusts the typed model.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ops_schedule.config.monitoring import MetricsConfig, PingsConfig
from ops_schedule.config.problems import (
    duplicate_keys,
    file_order,
    format_error,
    keep_duplicates,
    show,
)
from ops_schedule.config.sinks import SlackConfig, WebhookConfig
from ops_schedule.config.values import (
    DURATION_HELP,
    DURATION_SCHEMA,
    REPO,
    URL,
    ConfigPath,
    Duration,
    Number,
    Pattern,
    Placeholder,
    TimeOfDay,
    ZoneName,
    format_duration,
    parse_duration,
)
from ops_schedule.configfile import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_STATE_DIR,
    ENV_CONFIG,
    ENV_ENABLED,
    ENV_REPOSITORY,
    ENV_STORE_URL,
    ENV_TIMEZONE,
    JOB_DEFAULTS,
    JOB_NAMES,
    SCHEMA_PATH,
    Cadence,
    Weekday,
    config_path,
)
from ops_schedule.errors import ConfigError, ConfigFileMissingError
from ops_schedule.fsutil import read_capped
from ops_schedule.jsonfile import JsonLimitError, load_json
from ops_schedule.store.url import URL_HELP, StoreUrl, parse_store_url, without_password

# Re-exported: the names live in ops_schedule.configfile, importable without pydantic.
__all__ = [
    "CONFIG_FILE_LIMIT",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_STATE_DIR",
    "ENV_CONFIG",
    "ENV_ENABLED",
    "ENV_REPOSITORY",
    "ENV_STORE_URL",
    "ENV_TIMEZONE",
    "JOB_DEFAULTS",
    "JOB_NAMES",
    "SCHEMA_PATH",
    "Cadence",
    "Config",
    "GitHubConfig",
    "GraceConfig",
    "JobConfig",
    "JobsConfig",
    "Locale",
    "RedactionConfig",
    "SourcesConfig",
    "ThresholdsConfig",
    "TrendConfig",
    "Weekday",
    "config_exists",
    "config_warnings",
    "default_document",
    "json_schema",
    "load_config",
    "parse_config",
]

CONFIG_FILE_LIMIT = 1 << 20  # bytes; a config is a few KiB (docs/configuration.md)
CONFIG_MAX_DEPTH = 32  # nesting; a config needs 4 levels (docs/configuration.md)

Locale = Literal["ja", "en"]

PERIOD_LENGTH: dict[Cadence, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
DEFAULT_GRACE: dict[Cadence, timedelta] = {
    "daily": timedelta(hours=6),
    "weekly": timedelta(hours=48),
}


def _grace_problem(grace: timedelta, cadence: Cadence) -> str | None:
    """Why ``grace`` cannot be the catch-up window of a ``cadence`` job, or None if it can."""
    period = PERIOD_LENGTH[cadence]
    if timedelta(0) < grace < period:
        return None
    return (
        f"is not a catch-up grace for a {cadence} job "
        f"(must be more than 0 and less than the period, {format_duration(period)})"
    )


def _optional_cadence_keys(schema: dict[str, Any]) -> None:
    # The loader fills cadence, at and dow from the job's defaults, so a file may omit them
    # (the seed's rollout steps do); the schema must not demand them either.
    schema.pop("required", None)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class JobConfig(_Model):
    """One job's schedule and switches."""

    model_config = ConfigDict(json_schema_extra=_optional_cadence_keys)

    # Field order matters: the checks of dow and catchUpGrace read the validated cadence.
    enabled: StrictBool = Field(
        False, description="Per-job switch; the job runs only if the global switch is on too."
    )
    cadence: Cadence = Field(description="daily or weekly; defaults to the job's own cadence.")
    at: TimeOfDay = Field(description="Local time of day (HH:MM, 24 h) in timezone.")
    dow: Weekday | None = Field(
        None,
        description="Day of the week of a weekly job (default Mon); not allowed on a daily job.",
    )
    post_to_issue: StrictBool = Field(
        False, alias="postToIssue", description="Post the result as a comment on dashboardIssue."
    )
    catch_up_grace: Duration | None = Field(
        None,
        alias="catchUpGrace",
        description="How late a missed run of this job may start (e.g. 2h); overrides catchUpGrace",
    )

    @field_validator("dow")
    @classmethod
    def _dow_only_on_weekly(cls, dow: Weekday | None, info: ValidationInfo) -> Weekday | None:
        if dow is not None and info.data.get("cadence") == "daily":
            raise ValueError("is not allowed on a daily job (remove dow, or set cadence to weekly)")
        return dow

    @field_validator("catch_up_grace")
    @classmethod
    def _grace_fits_cadence(cls, grace: timedelta | None, info: ValidationInfo) -> timedelta | None:
        cadence = info.data.get("cadence")
        if grace is not None and cadence is not None:
            problem = _grace_problem(grace, cadence)
            if problem:
                raise ValueError(problem)
        return grace

    @property
    def time_of_day(self) -> time:
        hour, minute = self.at.split(":")
        return time(int(hour), int(minute))

    @property
    def weekday(self) -> Weekday:
        return self.dow or Weekday.MON


class JobsConfig(_Model):
    """The three jobs; a job left out of the file keeps its defaults."""

    model_config = ConfigDict(json_schema_extra=_optional_cadence_keys)

    daily_observability_report: JobConfig = Field(
        description="Report of the last 24 h of proxy events (daily 09:00)."
    )
    weekly_observability_report: JobConfig = Field(
        description="The same report over the last 7 days (weekly, Mon 09:10)."
    )
    weekly_improvement_digest: JobConfig = Field(
        description="Top-3 incident causes of the week with proposals (weekly, Mon 09:20)."
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: object) -> object:
        # A rollout step writes only {"enabled": true}; cadence, at and dow come from the job.
        if not isinstance(data, Mapping):
            return data
        merged: dict[str, Any] = dict(data)
        for name, (cadence, at, dow) in JOB_DEFAULTS.items():
            given = merged.get(name, {})
            if isinstance(given, Mapping):
                defaults: dict[str, Any] = {"cadence": cadence, "at": at}
                if given.get("cadence", cadence) == "weekly":
                    defaults["dow"] = (dow or Weekday.MON).value
                merged[name] = {**defaults, **given}
        return merged

    def items(self) -> list[tuple[str, JobConfig]]:
        return [(name, getattr(self, name)) for name in JOB_NAMES]

    def get(self, name: str) -> JobConfig:
        if name not in JOB_DEFAULTS:
            raise KeyError(name)
        job: JobConfig = getattr(self, name)
        return job


class RedactionConfig(_Model):
    patterns: tuple[Pattern, ...] = Field(
        (),
        description="Extra RE2 regular expressions to redact, on top of the built-in ones.",
    )
    placeholder: Placeholder = Field(
        "[REDACTED]",
        min_length=1,
        description="Text that replaces every redacted match; must not look like a secret.",
    )


class SourcesConfig(_Model):
    events: ConfigPath = Field(
        Path(".taisun/observability/events.jsonl"),
        description="Observability event log (JSON Lines); rotated siblings are read too.",
    )
    incidents: ConfigPath = Field(
        Path(".taisun/incidents/state.jsonl"),
        description="Incident state written by the incident-lifecycle module (JSON Lines).",
    )


RepoName = Annotated[StrictStr, WithJsonSchema({"type": "string", "pattern": f"^{REPO.pattern}$"})]
ApiUrl = Annotated[StrictStr, WithJsonSchema({"type": "string", "pattern": f"^{URL.pattern}$"})]


class GitHubConfig(_Model):
    repo: RepoName | None = Field(
        None,
        description="owner/name of the repository of dashboardIssue; null: $GITHUB_REPOSITORY.",
    )
    api_url: ApiUrl = Field(
        "https://api.github.com",
        alias="apiUrl",
        description="REST API base URL (GitHub Enterprise Server: https://HOST/api/v3).",
    )
    max_retry_seconds: Number = Field(
        600.0,
        alias="maxRetrySeconds",
        gt=0,
        le=86400,
        description="Upper bound, in seconds, on the time spent retrying one post.",
    )
    marker_search_comments: StrictInt = Field(
        1000,
        alias="markerSearchComments",
        ge=100,
        le=100_000,
        description=(
            "How many of the issue's newest comments are searched for an earlier comment of "
            "the same run before a new one is posted."
        ),
    )

    @field_validator("repo")
    @classmethod
    def _owner_slash_name(cls, repo: str | None) -> str | None:
        if repo is not None and not REPO.fullmatch(repo):
            raise ValueError('is not a repository in "owner/name" form')
        return repo

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not URL.fullmatch(url):
            raise ValueError("is not an http(s) URL such as https://api.github.com")
        return url.rstrip("/")


StoreUrlField = Annotated[
    StoreUrl,
    BeforeValidator(parse_store_url),
    PlainSerializer(str, return_type=str),  # a dump never carries the password
    WithJsonSchema({"type": "string", "pattern": "^postgres(ql)?://", "description": URL_HELP}),
]


class StoreConfig(_Model):
    """Where job records and claims live (docs/operations.md, "High availability")."""

    url: StoreUrlField | None = Field(
        None,
        description="PostgreSQL URL of a store shared by several hosts; null: the file in "
        "stateDir. $OPS_SCHEDULE_STORE_URL overrides it.",
    )
    lease_seconds: Number = Field(
        120.0,
        alias="leaseSeconds",
        ge=1,
        le=3600,
        description="How long a PostgreSQL claim lives without renewal: a crashed holder's job "
        "is taken over after this long.",
    )


class GraceConfig(_Model):
    # The schema's defaults are written the way the file writes durations, not as ISO 8601.
    daily: Duration = Field(
        DEFAULT_GRACE["daily"],
        description="Catch-up grace of daily jobs (less than 1d).",
        json_schema_extra={"default": format_duration(DEFAULT_GRACE["daily"])},
    )
    weekly: Duration = Field(
        DEFAULT_GRACE["weekly"],
        description="Catch-up grace of weekly jobs (less than 7d).",
        json_schema_extra={"default": format_duration(DEFAULT_GRACE["weekly"])},
    )

    @field_validator("daily", "weekly")
    @classmethod
    def _shorter_than_period(cls, grace: timedelta, info: ValidationInfo) -> timedelta:
        cadence: Cadence = "daily" if info.field_name == "daily" else "weekly"
        problem = _grace_problem(grace, cadence)
        if problem:
            raise ValueError(problem)
        return grace


class ThresholdsConfig(_Model):
    # Field order matters: the check of criticalSuccessRate reads the validated warnSuccessRate.
    warn_success_rate: Number = Field(
        0.95,
        alias="warnSuccessRate",
        ge=0,
        le=1,
        description="Success rate below which a report says WARNING (0 to 1).",
    )
    critical_success_rate: Number = Field(
        0.90,
        alias="criticalSuccessRate",
        ge=0,
        le=1,
        description="Success rate below which a report says CRITICAL (0 to 1, ≤ warnSuccessRate).",
    )
    warn_p95_ms: Number = Field(
        5000,
        alias="warnP95Ms",
        gt=0,
        description="p95 latency in milliseconds above which a report says WARNING.",
    )

    @field_validator("critical_success_rate")
    @classmethod
    def _critical_not_above_warn(cls, critical: float, info: ValidationInfo) -> float:
        warn = info.data.get("warn_success_rate")
        if warn is not None and critical > warn:
            raise ValueError(f"must not be above warnSuccessRate ({warn})")
        return critical


class TrendConfig(_Model):
    periods: StrictInt = Field(
        8,
        ge=2,
        le=52,
        description="Periods a trend shows, this one included (2 to 52; weekly reports, digest).",
    )


class Config(_Model):
    """The whole configuration file (``config/proxy-mcp/ops-schedule.json``)."""

    schema_: StrictStr | None = Field(None, alias="$schema", description="Ignored; for editors.")
    enabled: StrictBool = Field(
        False, description="Global switch: no job runs on schedule while it is false."
    )
    timezone: ZoneName = Field(
        "Asia/Tokyo", description="IANA zone in which at, dow, days and ISO weeks are reckoned."
    )
    state_dir: ConfigPath = Field(
        DEFAULT_STATE_DIR,
        alias="stateDir",
        description="Directory of schedule-state.json.",
    )
    dashboard_issue: StrictInt | None = Field(
        None,
        alias="dashboardIssue",
        ge=1,
        description="Number of the issue that receives the comments, or null.",
    )
    jobs: JobsConfig = Field(
        default_factory=lambda: JobsConfig.model_validate({}),
        description="The jobs, by name; a job left out keeps its defaults.",
    )
    redaction: RedactionConfig = Field(
        default_factory=RedactionConfig, description="What is replaced in every outgoing text."
    )
    sources: SourcesConfig = Field(
        default_factory=SourcesConfig, description="Where the jobs read their input."
    )
    output_dir: ConfigPath = Field(
        Path("logs/ops-reports"),
        alias="outputDir",
        description="Archive of every generated report (Markdown and JSON).",
    )
    locale: Locale = Field("ja", description="Report language.")
    github: GitHubConfig = Field(
        default_factory=GitHubConfig, description="Where and how results are posted."
    )
    catch_up_grace: GraceConfig = Field(
        default_factory=GraceConfig,
        alias="catchUpGrace",
        description='How late a missed run may still start: "2h" for all, or per cadence.',
    )
    thresholds: ThresholdsConfig = Field(
        default_factory=ThresholdsConfig, description="Alert levels in reports."
    )
    trend: TrendConfig = Field(
        default_factory=TrendConfig, description="How far back the weekly trends look."
    )
    store: StoreConfig = Field(
        default_factory=StoreConfig,
        description="Where job records and claims live: the file in stateDir, or PostgreSQL.",
    )
    slack: SlackConfig = Field(
        default_factory=SlackConfig, description="A Slack incoming webhook that receives results."
    )
    webhook: WebhookConfig = Field(
        default_factory=WebhookConfig, description="A generic JSON webhook that receives results."
    )
    pings: PingsConfig = Field(
        default_factory=PingsConfig, description="Dead-man's-switch pings around each job's run."
    )
    metrics: MetricsConfig = Field(
        default_factory=MetricsConfig, description="Metrics written or pushed after each run."
    )

    @field_validator("catch_up_grace", mode="before")
    @classmethod
    def _grace_shorthand(cls, value: object) -> object:
        # "catchUpGrace": "2h" sets both cadences at once; its problems are reported at the
        # path the operator wrote, not at catchUpGrace.daily.
        if isinstance(value, str):
            grace = parse_duration(value)
            for cadence in ("daily", "weekly"):
                problem = _grace_problem(grace, cadence)
                if problem:
                    raise ValueError(problem)
            return {"daily": value, "weekly": value}
        if not isinstance(value, Mapping | GraceConfig):
            raise ValueError(  # noqa: TRY004 - pydantic reports ValueError, not TypeError
                f'is not {DURATION_HELP}, nor an object {{"daily": …, "weekly": …}}'
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def grace_for(self, name: str) -> timedelta:
        job = self.jobs.get(name)
        if job.catch_up_grace is not None:
            return job.catch_up_grace
        grace: timedelta = getattr(self.catch_up_grace, job.cadence)
        return grace

    def job_active(self, name: str) -> bool:
        """A job runs on schedule only when both the global and its own switch are on."""
        return self.enabled and self.jobs.get(name).enabled


# --------------------------------------------------------------------------- loading

_ENV_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _apply_env(
    raw: dict[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Overlay the environment on the file.

    Returns the merged document, problems found in the variables themselves, and which JSON
    paths were set from which variable (so that an invalid value names its variable). An empty
    variable counts as unset.
    """
    merged = dict(raw)
    problems: list[str] = []
    env_paths: dict[str, str] = {}
    if text := environ.get(ENV_ENABLED, "").strip():
        if text.lower() in _ENV_BOOL:
            merged["enabled"] = _ENV_BOOL[text.lower()]
            env_paths["enabled"] = ENV_ENABLED
        else:
            problems.append(
                f"enabled (from {ENV_ENABLED}): {show(text)} is not a boolean "
                "(true or false, 1 or 0, yes or no)"
            )
    if zone := environ.get(ENV_TIMEZONE, "").strip():
        merged["timezone"] = zone
        env_paths["timezone"] = ENV_TIMEZONE
    if url := environ.get(ENV_STORE_URL, "").strip():
        # The variable wins over the file, so the password need not sit in the config file.
        store = merged.get("store")
        merged["store"] = {**(store if isinstance(store, Mapping) else {}), "url": url}
        env_paths["store.url"] = ENV_STORE_URL
    github = merged.get("github")
    if (repo := environ.get(ENV_REPOSITORY, "").strip()) and (
        "github" not in merged or (isinstance(github, Mapping) and github.get("repo") is None)
    ):
        # Only fills a gap: a repo written in the file wins over the CI's own repository.
        merged["github"] = {**(github or {}), "repo": repo}
        env_paths["github.repo"] = ENV_REPOSITORY
    return merged, problems, env_paths


def parse_config(
    raw: object, environ: Mapping[str, str] | None = None, source: str | None = None
) -> Config:
    """Validate a decoded JSON document (plus environment overrides) into a :class:`Config`.

    Every problem is collected and raised together as one :class:`ConfigError`.
    """
    environ = os.environ if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError([f"(top level): {show(raw)} is not a JSON object"], source)
    merged, problems, env_paths = _apply_env(raw, environ)
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False), key=lambda e: file_order(merged, e["loc"]))
        errors = [_without_secrets(e) for e in errors]
        problems.extend(format_error(e, env_paths, Config, JobsConfig) for e in errors)
        raise ConfigError(problems, source) from None
    if problems:
        raise ConfigError(problems, source)
    return config


def _without_secrets(error: Any) -> Any:
    """A problem with the store URL shows the URL without its password."""
    if tuple(error["loc"]) == ("store", "url") and isinstance(error.get("input"), str):
        return {**error, "input": without_password(error["input"])}
    return error


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the config file; a missing file at the default path means all defaults
    (everything disabled), while a file named by ``path`` or ``$OPS_SCHEDULE_CONFIG`` must
    exist (:class:`ConfigFileMissingError`, exit code 2).

    The path is ``path``, else ``$OPS_SCHEDULE_CONFIG``, else the default path; a relative path
    is taken from the working directory.
    """
    environ = os.environ if environ is None else environ
    from_environment = environ.get(ENV_CONFIG) or None
    # The CLI hands the variable's value in as --config (click reads it): name the variable.
    named_by = (
        ENV_CONFIG
        if from_environment and (path is None or path == Path(from_environment))
        else "--config"
        if path
        else None
    )
    path = config_path(path, environ)
    try:
        # Only a regular file, and only so much of it: a FIFO or /dev/zero must not hang us.
        text = read_capped(path, CONFIG_FILE_LIMIT).decode("utf-8-sig")
    except FileNotFoundError:
        if named_by is not None:
            raise ConfigFileMissingError(str(path), named_by) from None
        return parse_config({}, environ, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read the file: {exc}"], str(path)) from None
    raw = _decode(text, str(path))
    duplicates = duplicate_keys(raw)
    try:
        config = parse_config(raw, environ, str(path))
    except ConfigError as exc:
        raise ConfigError([*duplicates, *exc.problems], str(path)) from None
    if duplicates:
        raise ConfigError(duplicates, str(path))
    return config


def _decode(text: str, source: str) -> object:
    """The JSON document of a config file; every way JSON can fail is a ``ConfigError``."""
    try:
        return load_json(text, max_depth=CONFIG_MAX_DEPTH, object_pairs_hook=keep_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"], source
        ) from None
    except JsonLimitError as exc:
        raise ConfigError([f"invalid JSON: {exc}"], source) from None


def config_exists(path: Path | None = None, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return config_path(path, environ).is_file()


def config_warnings(config: Config) -> list[str]:
    """Things that are valid but will not do what the operator probably wants."""
    warnings = []
    enabled_jobs = [name for name, job in config.jobs.items() if job.enabled]
    if not config.enabled and enabled_jobs:
        warnings.append(
            f"enabled is false, so no job runs on schedule, although these jobs are enabled: "
            f"{', '.join(enabled_jobs)}"
        )
    if config.enabled and not enabled_jobs:
        warnings.append("enabled is true but no job is enabled: nothing runs")
    if config.dashboard_issue is None:
        warnings.extend(
            f"jobs.{name}.postToIssue is true but dashboardIssue is null: "
            "the result cannot be posted"
            for name, job in config.jobs.items()
            if job.post_to_issue
        )
    # Checks that also need the environment (token, repository) live beside validate in cli.py.
    return warnings


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, generated from the same model the loader uses."""
    schema = Config.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ops-schedule configuration"
    # The loader also takes one duration for both cadences ("catchUpGrace": "2h").
    grace = schema["properties"]["catchUpGrace"]
    ref = grace.pop("$ref")
    grace["anyOf"] = [DURATION_SCHEMA, {"$ref": ref}]
    return schema


def default_document() -> dict[str, Any]:
    """The default config as written by ``init``: everything disabled, every job listed."""
    jobs: dict[str, Any] = {}
    for name, (cadence, at, dow) in JOB_DEFAULTS.items():
        job: dict[str, Any] = {"enabled": False, "cadence": cadence, "at": at}
        if dow is not None:
            job["dow"] = dow.value
        job["postToIssue"] = False
        jobs[name] = job
    return {
        "$schema": "./ops-schedule.schema.json",
        "enabled": False,
        "timezone": "Asia/Tokyo",
        "stateDir": "logs/schedule-state",
        "dashboardIssue": None,
        "jobs": jobs,
        "redaction": {"patterns": [], "placeholder": "[REDACTED]"},
    }
