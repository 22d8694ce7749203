"""Where results go besides the GitHub dashboard issue: Slack and a generic JSON webhook.

Each section names the jobs it receives; the URL and the signing secret may instead come from
the environment (docs/configuration.md, "Secrets"). Nothing is sent while ``jobs`` is empty.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, WithJsonSchema

from ops_schedule.config.secrets import SecretUrl, SigningSecret
from ops_schedule.config.values import Number
from ops_schedule.configfile import JOB_NAMES


def _check_job_name(name: str) -> str:
    if name not in JOB_NAMES:
        close = difflib.get_close_matches(name, JOB_NAMES, n=1, cutoff=0.6)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise ValueError(f"is not a job{hint} (jobs: {', '.join(JOB_NAMES)})")
    return name


def _check_unique(names: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(names)) != len(names):
        raise ValueError("names a job more than once")
    return names


def _job_names_schema(schema: dict[str, Any]) -> None:
    schema["items"] = {"enum": list(JOB_NAMES)}
    schema["uniqueItems"] = True


JobName = Annotated[StrictStr, AfterValidator(_check_job_name)]
JobNames = Annotated[
    tuple[JobName, ...], AfterValidator(_check_unique), WithJsonSchema({"type": "array"})
]

DEFAULT_MAX_RETRY_SECONDS = 300.0


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _jobs_field(where: str) -> Any:
    return Field(
        (),
        description=f"The jobs whose results are posted to {where}; none by default.",
        json_schema_extra=_job_names_schema,
    )


def _retry_field(where: str) -> Any:
    return Field(
        DEFAULT_MAX_RETRY_SECONDS,
        alias="maxRetrySeconds",
        gt=0,
        le=86400,
        description=f"Upper bound, in seconds, on the time spent retrying one post to {where}.",
    )


class SlackConfig(_Section):
    """A Slack incoming webhook (docs/operations.md, "Slack")."""

    webhook_url: SecretUrl = Field(
        None,
        alias="webhookUrl",
        description="The incoming webhook's URL (a secret); or $OPS_SCHEDULE_SLACK_WEBHOOK_URL.",
    )
    jobs: JobNames = _jobs_field("Slack")
    max_retry_seconds: Number = _retry_field("Slack")


class WebhookConfig(_Section):
    """A generic JSON webhook (docs/operations.md, "Webhook")."""

    url: SecretUrl = Field(
        None, description="The receiver's URL (a secret); or $OPS_SCHEDULE_WEBHOOK_URL."
    )
    secret: SigningSecret = Field(
        None,
        description=(
            "Key of the HMAC-SHA256 signature header (at least 16 characters); or "
            "$OPS_SCHEDULE_WEBHOOK_SECRET. Unsigned without one."
        ),
    )
    jobs: JobNames = _jobs_field("the webhook")
    max_retry_seconds: Number = _retry_field("the webhook")
