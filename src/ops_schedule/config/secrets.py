"""Secret values of the configuration: URLs that carry a token, and signing keys.

A webhook or ping URL is a credential: whoever has it can post or ping. Such a value may sit in
the file or come from an environment variable (docs/configuration.md, "Secrets"); either way a
problem with it is reported without the value (``problems.format_error`` shows ``(hidden)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, StrictStr, WithJsonSchema
from pydantic.fields import FieldInfo

from ops_schedule.config.values import URL


class Hidden:
    """Marks a field whose value is never shown in a configuration problem."""

    def __repr__(self) -> str:
        return "Hidden()"


HIDDEN = Hidden()
SHOWN_INSTEAD = "(hidden)"


# Sections that hold secrets: a URL written anywhere in them (say, the whole section given as
# a URL string by mistake) is not shown in a problem either.
SECRET_SECTIONS = frozenset({"slack", "webhook", "pings", "metrics"})


def is_hidden(field: FieldInfo | None) -> bool:
    return field is not None and any(isinstance(item, Hidden) for item in field.metadata)


def hides(field: FieldInfo | None, loc: tuple[int | str, ...], value: object) -> bool:
    """Whether a problem at ``loc`` must not show ``value``."""
    if is_hidden(field):
        return True
    in_section = bool(loc) and str(loc[0]) in SECRET_SECTIONS
    return in_section and isinstance(value, str) and "://" in value


def check_secret_url(value: str) -> str:
    # The message names what is wrong without repeating the value (it may hold a token).
    if not URL.fullmatch(value):
        raise ValueError("is not an http(s) URL")
    return value


MIN_SECRET_CHARS = 16  # an HMAC key shorter than this is guessable


def check_signing_secret(value: str) -> str:
    if len(value) < MIN_SECRET_CHARS or value != value.strip():
        raise ValueError(
            f"is not a signing secret (at least {MIN_SECRET_CHARS} characters, no surrounding "
            "spaces)"
        )
    return value


_URL_SCHEMA: dict[str, Any] = {"type": "string", "pattern": f"^{URL.pattern}$", "writeOnly": True}

_SecretUrl = Annotated[StrictStr, AfterValidator(check_secret_url), WithJsonSchema(_URL_SCHEMA)]
_SigningSecret = Annotated[
    StrictStr,
    AfterValidator(check_signing_secret),
    WithJsonSchema({"type": "string", "minLength": MIN_SECRET_CHARS, "writeOnly": True}),
]
# The marker sits on the whole annotation (with its null), where pydantic keeps it for the field.
SecretUrl = Annotated[_SecretUrl | None, HIDDEN]
SigningSecret = Annotated[_SigningSecret | None, HIDDEN]


# --------------------------------------------------------------------------- from the environment

# Each secret may come from a variable instead of the file; the variable wins. Like
# GITHUB_TOKEN, they are read where they are used, never copied into the Config.
ENV_SLACK_WEBHOOK_URL = "OPS_SCHEDULE_SLACK_WEBHOOK_URL"
ENV_WEBHOOK_URL = "OPS_SCHEDULE_WEBHOOK_URL"
ENV_WEBHOOK_SECRET = "OPS_SCHEDULE_WEBHOOK_SECRET"  # noqa: S105 - a variable's name
ENV_PING_URL = "OPS_SCHEDULE_PING_URL"
ENV_PUSHGATEWAY_URL = "OPS_SCHEDULE_PUSHGATEWAY_URL"


def ping_variable(job: str) -> str:
    """``OPS_SCHEDULE_PING_URL_<JOB>``: one job's own ping URL."""
    return f"{ENV_PING_URL}_{job.upper()}"


def secret_variables(job_names: tuple[str, ...]) -> tuple[str, ...]:
    """Every variable that may hold a secret of this process."""
    return (
        ENV_SLACK_WEBHOOK_URL,
        ENV_WEBHOOK_URL,
        ENV_WEBHOOK_SECRET,
        ENV_PING_URL,
        *(ping_variable(job) for job in job_names),
        ENV_PUSHGATEWAY_URL,
    )


def from_environment(
    environ: Mapping[str, str],
    variable: str,
    configured: str | None,
    check: Callable[[str], str] = check_secret_url,
) -> tuple[str | None, str | None]:
    """(the value to use, a problem with the variable): the variable if set, else the file's.

    An empty variable counts as unset. The problem names the variable, never its value.
    """
    value = environ.get(variable, "").strip()
    if not value:
        return configured, None
    try:
        return check(value), None
    except ValueError as exc:
        return None, f"{variable} {exc}"
