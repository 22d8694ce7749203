"""Secret values of the configuration: URLs that carry a token, and signing keys.

A webhook or ping URL is a credential: whoever has it can post or ping. Such a value may sit in
the file or come from an environment variable (docs/configuration.md, "Secrets"); either way a
problem with it is reported without the value (``problems.format_error`` shows ``(hidden)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, StrictStr, WithJsonSchema
from pydantic.fields import FieldInfo

from ops_schedule.config.values import URL
from ops_schedule.configfile import (
    JOB_NAMES,
    environment_literals,
    with_path,
)
from ops_schedule.redaction import environment_secrets

if TYPE_CHECKING:
    from ops_schedule.config import Config


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


def literal_secrets(environ: Mapping[str, str], config: Config | None = None) -> tuple[str, ...]:
    """Every secret this process may hold, for the redactor to remove wherever it appears:
    ``GITHUB_TOKEN`` (the redactor's own list), the secret variables (configfile.py), and the
    secrets written in the config file (docs/redaction.md, "Literal secrets")."""
    found: list[str] = []
    if config is not None:
        urls = [
            config.slack.webhook_url,
            config.webhook.url,
            config.pings.url,
            *(getattr(config.pings.jobs, job) for job in JOB_NAMES),
            config.metrics.pushgateway.url,
        ]
        found = [part for url in urls if url for part in with_path(url)]
        if config.webhook.secret:
            found.append(config.webhook.secret)
    return (*environment_secrets(environ), *environment_literals(environ), *found)
