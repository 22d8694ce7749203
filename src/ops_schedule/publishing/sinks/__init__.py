"""Where published results go besides the archive."""

from ops_schedule.publishing.sinks.base import Posted, Sink

__all__ = ["Posted", "Sink"]
