"""Configuration: typed, frozen models, one loader, every problem reported at once.

The file format is the seed's camelCase JSON. Validation happens here, once; everything after
``load_config`` trusts the typed model.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ops_schedule.errors import ConfigError
from ops_schedule.redaction import compile_custom_pattern

DEFAULT_CONFIG_PATH = Path("config/proxy-mcp/ops-schedule.json")
SCHEMA_PATH = Path("config/proxy-mcp/ops-schedule.schema.json")
STATE_FILE_NAME = "schedule-state.json"

Cadence = Literal["daily", "weekly"]


class Weekday(StrEnum):
    MON = "Mon"
    TUE = "Tue"
    WED = "Wed"
    THU = "Thu"
    FRI = "Fri"
    SAT = "Sat"
    SUN = "Sun"

    @property
    def iso(self) -> int:
        """ISO weekday number, Monday = 1."""
        return list(Weekday).index(self) + 1


# name -> (cadence, at, dow): the seed's three jobs and their defaults.
JOB_DEFAULTS: dict[str, tuple[Cadence, str, Weekday | None]] = {
    "daily_observability_report": ("daily", "09:00", None),
    "weekly_observability_report": ("weekly", "09:10", Weekday.MON),
    "weekly_improvement_digest": ("weekly", "09:20", Weekday.MON),
}
JOB_NAMES = tuple(JOB_DEFAULTS)

PERIOD_LENGTH: dict[Cadence, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
DEFAULT_GRACE: dict[Cadence, timedelta] = {
    "daily": timedelta(hours=6),
    "weekly": timedelta(hours=48),
}

_HHMM = re.compile(r"(?P<h>[01]\d|2[0-3]):(?P<m>[0-5]\d)")
_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")
_DURATION_HELP = "a duration such as 90m, 6h, 2d or 1h30m"


def parse_duration(value: object) -> timedelta:
    """Parse ``6h``, ``90m``, ``2d``, ``1h30m`` (or a number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if match and any(match.groupdict().values()):
            parts = {k: int(v) for k, v in match.groupdict().items() if v}
            return timedelta(
                days=parts.get("d", 0),
                hours=parts.get("h", 0),
                minutes=parts.get("m", 0),
                seconds=parts.get("s", 0),
            )
    raise ValueError(f"is not {_DURATION_HELP}")


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration`, shortest form."""
    seconds = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            out += f"{amount}{unit}"
    return out or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"}),
]


def _check_time_of_day(value: object) -> str:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ValueError("is not a time of day (HH:MM, 00:00–23:59)")
    return value


TimeOfDay = Annotated[
    str,
    BeforeValidator(_check_time_of_day),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}),
]


class _ProblemsError(ValueError):
    """Cross-field problems of one model, as (field below that model, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


def _grace_problem(grace: timedelta, cadence: Cadence) -> str | None:
    if timedelta(0) < grace < PERIOD_LENGTH[cadence]:
        return None
    return (
        f"{format_duration(grace)!r} must be longer than 0 and shorter than the period "
        f"({format_duration(PERIOD_LENGTH[cadence])})"
    )


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class JobConfig(_Model):
    """One job's schedule and switches."""

    enabled: StrictBool = False
    cadence: Cadence
    at: TimeOfDay
    dow: Weekday | None = None
    post_to_issue: StrictBool = Field(False, alias="postToIssue")
    catch_up_grace: Duration | None = Field(None, alias="catchUpGrace")

    @model_validator(mode="after")
    def _dow_and_grace_fit_cadence(self) -> JobConfig:
        problems = []
        if self.cadence == "daily" and self.dow is not None:
            problems.append(
                (
                    "dow",
                    (
                        f"{self.dow.value!r} is not allowed on a daily job "
                        "(remove it, or set cadence to weekly)"
                    ),
                )
            )
        if self.catch_up_grace is not None:
            message = _grace_problem(self.catch_up_grace, self.cadence)
            if message:
                problems.append(("catchUpGrace", message))
        if problems:
            raise _ProblemsError(problems)
        return self

    @property
    def time_of_day(self) -> time:
        hour, minute = self.at.split(":")
        return time(int(hour), int(minute))

    @property
    def weekday(self) -> Weekday:
        return self.dow or Weekday.MON


class JobsConfig(_Model):
    """The three jobs; a job left out of the file keeps its defaults."""

    daily_observability_report: JobConfig
    weekly_observability_report: JobConfig
    weekly_improvement_digest: JobConfig

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
                if dow is not None and given.get("cadence", cadence) == "weekly":
                    defaults["dow"] = dow.value
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
    patterns: tuple[str, ...] = ()
    placeholder: str = Field("[REDACTED]", min_length=1)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        # Fail closed: a redactor with a pattern silently dropped would leak.
        problems = []
        for index, pattern in enumerate(patterns):
            try:
                compile_custom_pattern(pattern)
            except ValueError as exc:
                problems.append((str(index), f"{_show(pattern)} does not compile: {exc}"))
        if problems:
            raise _ProblemsError(problems)
        return patterns


class SourcesConfig(_Model):
    events: Path = Path(".taisun/observability/events.jsonl")
    incidents: Path = Path(".taisun/incidents/state.jsonl")


class GitHubConfig(_Model):
    repo: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    api_url: str = Field("https://api.github.com", alias="apiUrl", pattern=r"^https?://\S+$")
    max_retry_seconds: float = Field(600.0, alias="maxRetrySeconds", gt=0, le=86400)


class GraceConfig(_Model):
    daily: Duration = DEFAULT_GRACE["daily"]
    weekly: Duration = DEFAULT_GRACE["weekly"]

    @model_validator(mode="after")
    def _shorter_than_periods(self) -> GraceConfig:
        problems = [
            (cadence, message)
            for cadence in ("daily", "weekly")
            if (message := _grace_problem(getattr(self, cadence), cadence))
        ]
        if problems:
            raise _ProblemsError(problems)
        return self


class ThresholdsConfig(_Model):
    warn_success_rate: float = Field(0.95, alias="warnSuccessRate", ge=0, le=1)
    critical_success_rate: float = Field(0.90, alias="criticalSuccessRate", ge=0, le=1)
    warn_p95_ms: float = Field(5000, alias="warnP95Ms", gt=0)

    @model_validator(mode="after")
    def _critical_below_warn(self) -> ThresholdsConfig:
        if self.critical_success_rate > self.warn_success_rate:
            raise ValueError(
                f"criticalSuccessRate ({self.critical_success_rate}) must not be above "
                f"warnSuccessRate ({self.warn_success_rate})"
            )
        return self


def _check_zone(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("is not an IANA time zone name (for example Asia/Tokyo)")  # noqa: TRY004
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA time zone name (for example Asia/Tokyo)") from None
    return value


ZoneName = Annotated[str, BeforeValidator(_check_zone)]


class Config(_Model):
    """The whole configuration file (``config/proxy-mcp/ops-schedule.json``)."""

    schema_: str | None = Field(None, alias="$schema", description="Ignored; for editors.")
    enabled: StrictBool = False
    timezone: ZoneName = "Asia/Tokyo"
    state_dir: Path = Field(Path("logs/schedule-state"), alias="stateDir")
    dashboard_issue: StrictInt | None = Field(None, alias="dashboardIssue", ge=1)
    jobs: JobsConfig = Field(default_factory=lambda: JobsConfig.model_validate({}))
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    output_dir: Path = Field(Path("logs/ops-reports"), alias="outputDir")
    locale: Literal["ja", "en"] = "ja"
    github: GitHubConfig = Field(default_factory=GitHubConfig)
    catch_up_grace: GraceConfig = Field(default_factory=GraceConfig, alias="catchUpGrace")
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)

    @field_validator("catch_up_grace", mode="before")
    @classmethod
    def _grace_shorthand(cls, value: object) -> object:
        # "catchUpGrace": "2h" sets both cadences at once.
        if isinstance(value, str | int) and not isinstance(value, bool):
            return {"daily": value, "weekly": value}
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE_NAME

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


def _apply_env(raw: dict[str, Any], environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems = []
    raw = dict(raw)
    if "OPS_SCHEDULE_ENABLED" in environ:
        text = environ["OPS_SCHEDULE_ENABLED"].strip().lower()
        if text in _ENV_BOOL:
            raw["enabled"] = _ENV_BOOL[text]
        else:
            problems.append(
                f"OPS_SCHEDULE_ENABLED: {environ['OPS_SCHEDULE_ENABLED']!r} is not a boolean "
                "(true or false)"
            )
    if environ.get("OPS_SCHEDULE_TIMEZONE"):
        raw["timezone"] = environ["OPS_SCHEDULE_TIMEZONE"]
    if environ.get("GITHUB_REPOSITORY"):
        github = dict(raw.get("github") or {}) if isinstance(raw.get("github"), dict | None) else {}
        if isinstance(raw.get("github"), dict | None) and not github.get("repo"):
            github["repo"] = environ["GITHUB_REPOSITORY"]
            raw["github"] = github
    return raw, problems


def _all_aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Config
    for part in loc:
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        field = fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if nested is None:
            return None
        model = nested
    return model


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _format_error(error: Mapping[str, Any], env_paths: Mapping[str, str]) -> list[str]:
    loc = tuple(error["loc"])
    ctx_error = (error.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _ProblemsError):
        return [".".join([*map(str, loc), f]) + f": {m}" for f, m in ctx_error.problems]
    path = ".".join(str(p) for p in loc) or "(top level)"
    if path in env_paths:
        path = f"{path} (from {env_paths[path]})"
    kind = error["type"]
    value = error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = _all_aliases(parent) if parent else []
        if parent is JobsConfig:
            allowed = list(JOB_NAMES)
        key = str(loc[-1])
        hint = (
            difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            or [
                name
                for name in allowed
                if len(key) >= 3 and name.startswith(key)  # noqa: PLR2004
            ][:1]
        )
        what = "unknown job" if parent is JobsConfig else "unknown key"
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        return [f"{path}: {what}{did_you_mean} (allowed: {', '.join(allowed)})"]
    if kind == "missing":
        return [f"{path}: is required"]
    if message.startswith(("is not", "does not")):
        return [f"{path}: {_show(value)} {message}"]
    return [f"{path}: {_show(value)} is not allowed: {message}"]


def parse_config(
    raw: object, environ: Mapping[str, str] | None = None, source: str | None = None
) -> Config:
    """Validate a decoded JSON document (plus environment overrides) into a :class:`Config`."""
    environ = os.environ if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError([f"(top level): {_show(raw)} is not a JSON object"], source)
    merged, problems = _apply_env(raw, environ)
    env_paths = {
        path: var
        for path, var in (
            ("enabled", "OPS_SCHEDULE_ENABLED"),
            ("timezone", "OPS_SCHEDULE_TIMEZONE"),
            ("github.repo", "GITHUB_REPOSITORY"),
        )
        if environ.get(var) and merged.get(path) != raw.get(path)
    }
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.extend(_format_error(error, env_paths))
        raise ConfigError(problems, source) from None
    if problems:
        raise ConfigError(problems, source)
    return config


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the config file; a missing file means all defaults (everything disabled)."""
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get("OPS_SCHEDULE_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return parse_config({}, environ, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read the file: {exc}"], str(path)) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"], str(path)
        ) from None
    return parse_config(raw, environ, str(path))


def config_exists(path: Path | None = None, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get("OPS_SCHEDULE_CONFIG") or DEFAULT_CONFIG_PATH)
    return path.is_file()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, generated from the same model the loader uses."""
    schema = Config.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ops-schedule configuration"
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
