"""One connection to the store, reopened once when it breaks; every failure as one line.

``run`` keeps a single connection per process (``loop`` keeps it for its whole life, ``run``
for one tick). The claim's renewal thread shares it: psycopg serialises the statements of one
connection, and the lock here also guards reopening it. Every statement is its own transaction
(autocommit) unless the caller opens one, so a broken connection never leaves a half-done write.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ops_schedule.errors import StateError, StoreUnavailableError
from ops_schedule.store.url import StoreUrl

log = logging.getLogger(__name__)

T = TypeVar("T")

# What libpq does unless the URL says otherwise: give up on an unreachable server after 10 s,
# notice a dead peer (a cut network, a host that vanished) within about 15 s, and name
# ourselves in pg_stat_activity.
DEFAULTS = {
    "connect_timeout": "10",
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "15000",
    "application_name": "ops-schedule",
}
# Server-side limits, first in ``options`` so that the URL's own settings win: no statement
# waits forever on a lock, and a process paused inside a transaction cannot hold one for long.
SERVER_OPTIONS = "-c statement_timeout=15000 -c idle_in_transaction_session_timeout=60000"


def conninfo(url: StoreUrl) -> str:
    """The driver's connection string: our defaults, then everything the URL sets."""
    params: dict[str, str | int | None] = {**DEFAULTS, **conninfo_to_dict(url.conninfo)}
    params["options"] = f"{SERVER_OPTIONS} {params.get('options') or ''}".strip()
    return make_conninfo("", **params)


def reason(exc: psycopg.Error) -> str:
    """libpq's message as one short lower-case line: ``connection refused``."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    text = text.removeprefix("connection failed: ")
    if " failed: " in text:  # 'connection to server at "db" (10.0.0.5), port 5432 failed: …'
        text = text.rsplit(" failed: ", 1)[1]
    text = text.removeprefix("FATAL:").strip()
    return text[:1].lower() + text[1:]


class Connection:
    """The store's connection, opened on first use and reopened once after a break."""

    def __init__(self, url: StoreUrl, on_connect: Callable[[psycopg.Connection], None]) -> None:
        self.url = url
        self._conninfo = conninfo(url)
        self._on_connect = on_connect  # runs on each new connection (the schema check)
        self._conn: psycopg.Connection | None = None
        self._lock = threading.RLock()

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(connection)``; after a broken connection, once more on a new one.

        ``work`` must be safe to repeat: a write whose answer was lost may have been applied.
        Raises ``StoreUnavailableError`` when the server cannot be reached or does not answer,
        ``StateError`` when it answers with an error.
        """
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection()
                try:
                    return work(connection)
                except psycopg.OperationalError as exc:
                    if not (connection.broken or connection.closed):
                        raise self.unavailable(exc) from None
                    self._drop()
                    if attempt == 2:  # noqa: PLR2004 - the second try on a fresh connection
                        raise self.unavailable(exc) from None
                    log.info("the connection to %s broke (%s); reconnecting", self.url, reason(exc))
                except psycopg.Error as exc:
                    raise StateError(
                        f"the state store at {self.url} refused: {reason(exc)}"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def unavailable(self, exc: psycopg.Error) -> StoreUnavailableError:
        return StoreUnavailableError(f"cannot reach the state store at {self.url}: {reason(exc)}")

    def refused(self, exc: psycopg.Error) -> StateError:
        return StateError(f"the state store at {self.url} refused: {reason(exc)}")

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connection(self) -> psycopg.Connection:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            connection = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise self.unavailable(exc) from None
        try:
            self._on_connect(connection)
        except psycopg.OperationalError as exc:
            connection.close()
            raise self.unavailable(exc) from None
        except psycopg.Error as exc:
            connection.close()
            raise self.refused(exc) from None
        except BaseException:
            connection.close()
            raise
        self._conn = connection
        return connection

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
