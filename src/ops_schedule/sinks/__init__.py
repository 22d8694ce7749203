"""Where published results go besides the archive."""

from ops_schedule.sinks.base import Posted, Sink

__all__ = ["Posted", "Sink"]
