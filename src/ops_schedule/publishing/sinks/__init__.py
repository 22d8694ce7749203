"""Where published results go besides the archive."""

from ops_schedule.publishing.sinks.base import Delivered, Outgoing, Posted, Sink

__all__ = ["Delivered", "Outgoing", "Posted", "Sink"]
