"""Which sinks already took which job-period's result: the delivery ledger.

Slack and most webhook receivers cannot tell a repeat from a new message, so a run that failed
at one sink and is retried would post twice at the others. The ledger remembers, per job, each
period's deliveries and the digest of what was delivered; a retry skips a sink that has this
content already, and a forced rerun whose numbers changed delivers again (docs/design.md,
"Delivery"). One file per job, ``<stateDir>/deliveries/<job>.json``, written only under the
job's claim, so it has one writer at a time.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ops_schedule.fsutil import atomic_write_text

log = logging.getLogger(__name__)

LEDGER_VERSION = 1
KEEP_PERIODS = 64  # more than a year of weekly periods, two months of daily ones
MAX_LEDGER_BYTES = 1 << 20


class DeliveryLedger:
    """The deliveries of one job, kept in ``<state_dir>/deliveries/<job>.json``."""

    def __init__(self, state_dir: Path, job: str) -> None:
        self.path = state_dir / "deliveries" / f"{job}.json"

    def has(self, period_key: str, sink: str, digest: str) -> bool:
        return self._read().get(period_key, {}).get(sink) == digest

    def add(self, period_key: str, sink: str, digest: str) -> None:
        periods = self._read()
        periods.setdefault(period_key, {})[sink] = digest
        # Period keys of one job sort in time order (2026-11-26, 2026-W48).
        kept = dict(sorted(periods.items())[-KEEP_PERIODS:])
        document = {"version": LEDGER_VERSION, "periods": kept}
        atomic_write_text(self.path, json.dumps(document, indent=1, sort_keys=True) + "\n")

    def _read(self) -> dict[str, dict[str, str]]:
        """The recorded periods; an unreadable file counts as empty (at worst one repeat)."""
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(MAX_LEDGER_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("cannot read the delivery ledger %s: %s", self.path, exc.strerror)
            return {}
        try:
            document = json.loads(raw) if len(raw) <= MAX_LEDGER_BYTES else {}
            periods = document["periods"]
            return {
                str(period): {str(k): str(v) for k, v in sinks.items()}
                for period, sinks in periods.items()
                if isinstance(sinks, dict)
            }
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("the delivery ledger %s is unreadable; starting it afresh", self.path)
            return {}
