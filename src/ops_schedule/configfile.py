"""The configuration file's fixed names: where it is looked for, the environment variables that
override it, and the jobs and weekdays it names.

Importable without the validator (pydantic, in :mod:`ops_schedule.config`, which re-exports
all of these), so that a command that only needs a name starts fast (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_CONFIG_PATH = Path("config/proxy-mcp/ops-schedule.json")
SCHEMA_PATH = Path("config/proxy-mcp/ops-schedule.schema.json")
DEFAULT_STATE_DIR = Path("logs/schedule-state")  # stateDir when the file does not say

ENV_ENABLED = "OPS_SCHEDULE_ENABLED"
ENV_TIMEZONE = "OPS_SCHEDULE_TIMEZONE"
ENV_CONFIG = "OPS_SCHEDULE_CONFIG"
ENV_REPOSITORY = "GITHUB_REPOSITORY"
ENV_STORE_URL = "OPS_SCHEDULE_STORE_URL"
# The variables that change what a configuration file means (see ``_apply_env`` in config).
ENV_OVERRIDES = (ENV_ENABLED, ENV_TIMEZONE, ENV_REPOSITORY, ENV_STORE_URL)

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


def config_path(path: Path | None, environ: Mapping[str, str]) -> Path:
    """The file a command reads: ``path``, else ``$OPS_SCHEDULE_CONFIG``, else the default."""
    return path or Path(environ.get(ENV_CONFIG) or DEFAULT_CONFIG_PATH)


# Secrets that may come from the environment instead of the file; the variable wins
# (docs/configuration.md, "Secrets"). Like GITHUB_TOKEN, they are read where they are used,
# never copied into the validated configuration.
ENV_SLACK_WEBHOOK_URL = "OPS_SCHEDULE_SLACK_WEBHOOK_URL"
ENV_WEBHOOK_URL = "OPS_SCHEDULE_WEBHOOK_URL"
ENV_WEBHOOK_SECRET = "OPS_SCHEDULE_WEBHOOK_SECRET"  # noqa: S105 - a variable's name
ENV_PING_URL = "OPS_SCHEDULE_PING_URL"
ENV_PUSHGATEWAY_URL = "OPS_SCHEDULE_PUSHGATEWAY_URL"
MIN_PATH_CHARS = 16  # a URL's path this long carries its token (a short one is a route name)


def ping_variable(job: str) -> str:
    """``OPS_SCHEDULE_PING_URL_<JOB>``: one job's own ping URL."""
    return f"{ENV_PING_URL}_{job.upper()}"


URL_VARIABLES = (
    ENV_SLACK_WEBHOOK_URL,
    ENV_WEBHOOK_URL,
    ENV_PING_URL,
    *(ping_variable(job) for job in JOB_NAMES),
    ENV_PUSHGATEWAY_URL,
)


def with_path(url: str) -> tuple[str, ...]:
    """A URL, and its path and query on their own: a message may quote either."""
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return (url, rest) if len(rest) >= MIN_PATH_CHARS else (url,)


def environment_literals(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets the environment holds for the sinks, the pings and the Pushgateway, for the
    redactor to remove literally (docs/redaction.md, "Literal secrets")."""
    urls = (environ.get(name, "").strip() for name in URL_VARIABLES)
    literals = [part for url in urls if url for part in with_path(url)]
    secret = environ.get(ENV_WEBHOOK_SECRET, "").strip()
    return (*literals, *([secret] if secret else []))
