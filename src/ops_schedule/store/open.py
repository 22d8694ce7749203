"""Which store a config names: the file in ``stateDir`` unless ``store.url`` is set."""

from __future__ import annotations

from ops_schedule.config import Config
from ops_schedule.store.base import StateStore
from ops_schedule.store.file import JsonStateStore


def open_store(config: Config) -> StateStore:
    """The configured store. A PostgreSQL store connects on first use; ``close()`` it."""
    if config.store.url is None:
        return JsonStateStore(config.state_dir)
    # Imported here: the file store's users never load the driver.
    from ops_schedule.store.postgres.store import PostgresStore

    return PostgresStore(config.store.url, lease_seconds=config.store.lease_seconds)
