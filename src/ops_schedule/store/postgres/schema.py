"""The store's tables, created and upgraded by the program itself (docs/design.md, "Stores").

Each migration is applied once, in order, and recorded in ``ops_schedule_schema``. Hosts that
start together serialise on a transaction-scoped advisory lock, so exactly one of them applies
a migration and the others find it done; every statement runs inside that one transaction, so a
crash mid-way leaves the previous version whole. The tables live in the connection's schema
(the first of ``search_path``; choose it with ``options=-csearch_path%3D…`` in the URL).
"""

from __future__ import annotations

import psycopg
from psycopg import errors

from ops_schedule.errors import StateError

# Each entry: the statements that take the schema from its index to the next version.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # One row per job: the same JSON object as a job of schedule-state.json.
        """CREATE TABLE ops_schedule_jobs (
            job text PRIMARY KEY,
            record jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        # One row per job that was ever claimed. The lease ends at expires_at on the database's
        # clock; token grows with every new holder and fences the writes of earlier ones.
        """CREATE TABLE ops_schedule_claims (
            job text PRIMARY KEY,
            token bigint NOT NULL,
            owner text NOT NULL,
            host text NOT NULL,
            pid integer NOT NULL,
            acquired_at timestamptz NOT NULL,
            renewed_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )""",
        # One row per attempt recorded: which process ran which period, with what result.
        """CREATE TABLE ops_schedule_runs (
            id bigserial PRIMARY KEY,
            job text NOT NULL,
            period text,
            status text,
            error text,
            token bigint NOT NULL,
            host text NOT NULL,
            pid integer NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )""",
        "CREATE INDEX ops_schedule_runs_job ON ops_schedule_runs (job, recorded_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# The advisory lock is per database; the schema's name in the key keeps two installs that
# share a database (in two schemas) from waiting on each other.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ops-schedule:' || coalesce(current_schema(), '')))"


def installed_version(connection: psycopg.Connection) -> int:
    try:
        row = connection.execute("SELECT coalesce(max(version), 0) FROM ops_schedule_schema")
        found = row.fetchone()
    except errors.UndefinedTable:
        return 0
    return int(found[0]) if found else 0


def ensure_schema(connection: psycopg.Connection) -> None:
    """Bring the tables to ``SCHEMA_VERSION``; one query when they already are."""
    version = installed_version(connection)
    if version == SCHEMA_VERSION:
        return
    _refuse_newer(version)
    with connection.transaction():
        connection.execute(_LOCK)
        connection.execute(
            """CREATE TABLE IF NOT EXISTS ops_schedule_schema (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )"""
        )
        version = installed_version(connection)  # another host may have just done it
        _refuse_newer(version)
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO ops_schedule_schema (version) VALUES (%s)", [number + 1]
            )


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StateError(
            f"the state store's tables are at version {version}; this ops-schedule understands "
            f"version {SCHEMA_VERSION}. Upgrade ops-schedule on this host."
        )
