"""The state store's URL: checked once at load, shown everywhere without its password.

``store.url`` (or ``$OPS_SCHEDULE_STORE_URL``) is a libpq connection URI: every libpq parameter
in its query (``sslmode``, ``options=-csearch_path=…``, ``application_name``) passes through to
the driver. The password may sit in it, so the value is held in a :class:`StoreUrl` whose text
form and ``repr`` leave it out (docs/operations.md, "High availability").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
URL_HELP = "a PostgreSQL URL such as postgresql://user@host:5432/db"
# Query parameters that carry a secret, and so are never shown.
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A PostgreSQL URL. ``str()`` and ``repr()`` never show the password."""

    conninfo: str = field(repr=False)  # as written, the password included: for the driver only
    shown: str  # the same URL without its password

    def __str__(self) -> str:
        return self.shown


def without_password(url: str) -> str:
    """``url`` with the password of its user part and any secret query parameter removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k.lower() not in _SECRET_PARAMETERS]
    shown_query = urlencode(kept, quote_via=quote) if len(kept) != len(query) else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, shown_query, parts.fragment))


def parse_store_url(value: object) -> StoreUrl:
    """Check ``value`` as a libpq URL. Raises ``ValueError`` ("is not …") when it is not one."""
    if isinstance(value, StoreUrl):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"is not {URL_HELP}")
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in SCHEMES:
        raise ValueError(f"is not {URL_HELP} (it must start with postgresql://)")
    # libpq's own parser: it knows every parameter name and value form the driver accepts.
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(value)
    except ProgrammingError as exc:
        raise ValueError(f"is not {URL_HELP} ({_hide_secrets(str(exc).strip(), value)})") from None
    port = str(params.get("port") or "5432")
    if not all(part.isdigit() for part in port.split(",")):
        raise ValueError(f"is not {URL_HELP} (the port {port!r} is not a number)")
    return StoreUrl(conninfo=value, shown=without_password(value))


def _hide_secrets(message: str, url: str) -> str:
    """libpq quotes the part it could not read, which may be (part of) the password."""
    try:
        parts = urlsplit(url)
        secrets = [parts.password or ""]
        secrets += [v for k, v in parse_qsl(parts.query) if k.lower() in _SECRET_PARAMETERS]
    except ValueError:
        secrets = []
    if "percent-encoded" in message or any(s and s in message for s in secrets):
        return "a part of it cannot be read: check its %-escapes"
    return message
