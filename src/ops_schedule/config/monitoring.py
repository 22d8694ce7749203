"""How ops-schedule is watched from outside: dead-man's-switch pings and metrics for batch runs.

Both are off until a URL or a path is set (in the file, or for the URLs in the environment:
docs/configuration.md, "Secrets"). Neither can fail a job (docs/design.md, "Watched from
outside").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from ops_schedule.config.secrets import SecretUrl
from ops_schedule.config.values import ConfigPath, Number

PingService = Literal["healthchecks", "cronitor", "uptime-kuma"]

# What the Pushgateway accepts in a grouping-key path segment without escaping, and what a
# Prometheus label value is safely written as in a rule.
_LABEL_VALUE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _check_label_value(value: str) -> str:
    if not _LABEL_VALUE.fullmatch(value):
        raise ValueError("is not a label value (1–64 of A–Z a–z 0–9 _ . : -)")
    return value


LabelValue = Annotated[
    StrictStr,
    AfterValidator(_check_label_value),
    WithJsonSchema({"type": "string", "pattern": f"^{_LABEL_VALUE.pattern}$"}),
]


def _check_textfile(path: Path) -> Path:
    # node_exporter's textfile collector reads only *.prom files.
    if path.suffix != ".prom":
        raise ValueError("is not a .prom file (node_exporter's textfile collector reads *.prom)")
    return path


TextfilePath = Annotated[ConfigPath, AfterValidator(_check_textfile)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class PingUrls(_Section):
    """A job's own ping URL; a job without one uses ``pings.url``."""

    daily_observability_report: SecretUrl = Field(
        None, description="or $OPS_SCHEDULE_PING_URL_DAILY_OBSERVABILITY_REPORT"
    )
    weekly_observability_report: SecretUrl = Field(
        None, description="or $OPS_SCHEDULE_PING_URL_WEEKLY_OBSERVABILITY_REPORT"
    )
    weekly_improvement_digest: SecretUrl = Field(
        None, description="or $OPS_SCHEDULE_PING_URL_WEEKLY_IMPROVEMENT_DIGEST"
    )


class PingsConfig(_Section):
    """Pings at the start and end of each job's run (docs/operations.md, "Pings")."""

    service: PingService = Field(
        "healthchecks",
        description="How start, success and failure are told: healthchecks, cronitor, uptime-kuma.",
    )
    url: SecretUrl = Field(
        None,
        description="Ping URL of every job without its own (a secret); or $OPS_SCHEDULE_PING_URL.",
    )
    jobs: PingUrls = Field(default_factory=PingUrls, description="Each job's own ping URL.")
    timeout_seconds: Number = Field(
        5.0,
        alias="timeoutSeconds",
        gt=0,
        le=60,
        description="The longest one ping attempt may take, in seconds.",
    )
    retries: StrictInt = Field(
        2, ge=0, le=5, description="Further attempts after a ping failed (1 s, 2 s … apart)."
    )


class PushgatewayConfig(_Section):
    url: SecretUrl = Field(
        None,
        description=(
            "Pushgateway base URL (a secret: it may carry credentials); or "
            "$OPS_SCHEDULE_PUSHGATEWAY_URL."
        ),
    )
    job: LabelValue = Field("ops_schedule", description="The job label of the pushed group.")
    instance: LabelValue | None = Field(
        None, description="An instance label for the group: one per host when several push."
    )
    timeout_seconds: Number = Field(
        10.0,
        alias="timeoutSeconds",
        gt=0,
        le=60,
        description="The longest one push may take, in seconds.",
    )


class MetricsConfig(_Section):
    """Metrics of batch runs (``run``) and of the loop, written or pushed after each tick."""

    textfile: TextfilePath | None = Field(
        None,
        description="A .prom file for node_exporter's textfile collector, replaced atomically.",
    )
    pushgateway: PushgatewayConfig = Field(
        default_factory=PushgatewayConfig, description="A Prometheus Pushgateway to push to."
    )
