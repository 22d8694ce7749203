"""``loop``: the long-running service (docs/design.md, "The clock"; docs/operations.md)."""

from __future__ import annotations

import logging
import threading

import click

from ops_schedule.cli.app import EXIT_OK, AppContext, pass_app
from ops_schedule.clock import utc_now
from ops_schedule.config import JOB_NAMES
from ops_schedule.service.loop import (
    DEFAULT_INTERVAL,
    LoopAbandoned,
    default_runtime,
    install_stop_handlers,
    run_loop,
)

log = logging.getLogger("ops_schedule")


@click.command()
@click.option(
    "--interval",
    type=click.FloatRange(min=1, max=3600),
    default=DEFAULT_INTERVAL,
    show_default=True,
    help="Longest sleep between two ticks, in seconds.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    help="Serve Prometheus metrics on this port (off by default; 0 picks a free port).",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the metrics endpoint listens on (0.0.0.0 to expose it from a container).",
)
@pass_app
def loop(app: AppContext, interval: float, metrics_port: int | None, metrics_host: str) -> int:
    """Run as a service: wake at each job's time and at least every --interval seconds.

    Each wake re-reads the config (an invalid edit is logged and the last good config kept),
    runs the jobs that are due, and writes a heartbeat for `ops-schedule health`. SIGINT or
    SIGTERM stops it after the job in flight; a second signal abandons that job.

    \b
    Examples:
      ops-schedule loop
      ops-schedule loop --interval 30 --metrics-port 9464
    """
    config = app.config()  # an invalid config at start is an error (exit 2), not a retry
    metrics = server = None
    if metrics_port is not None:
        # Imported here: only a loop that serves metrics pays for the client library.
        from ops_schedule.service.prometheus import Metrics, serve_metrics

        metrics = Metrics(JOB_NAMES)
        try:
            server = serve_metrics(metrics, metrics_port, metrics_host)
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc.strerror or exc}"
            ) from None
    stop = threading.Event()
    restore = install_stop_handlers(stop)
    try:
        if server is not None:
            log.info("metrics on http://%s:%d/metrics", server.host, server.port)
        switch = "enabled" if config.enabled else "disabled (global switch off)"
        log.info(
            "loop started: %s, zone %s, interval %gs, state %s",  # a URL without its password
            switch,
            config.timezone,
            interval,
            config.store.url or config.state_dir,
        )
        run_loop(
            app.reload,
            clock=utc_now,
            stop=stop,
            runtime=default_runtime(utc_now, app.jobs),
            interval=interval,
            metrics=metrics,
        )
    except LoopAbandoned as exc:
        log.warning("loop stopped: %s; the interrupted run is recorded", exc)
        return 128 + exc.signum
    else:
        log.info("loop stopped")
    finally:
        restore()
        if server is not None:
            server.close()
    return EXIT_OK
