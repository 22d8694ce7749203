"""ops-schedule: scheduled, read-only operations jobs for an MCP proxy."""

__version__ = "0.1.0"
