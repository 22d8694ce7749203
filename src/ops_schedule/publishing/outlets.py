"""Where a job's result goes and who hears of its run: the one place that turns the config and
the environment into sinks, pings and the delivery ledger.

The runner asks this module, never the sinks' own modules, so adding a sink touches neither the
runner nor the jobs. Importing it costs nothing of the HTTP stack: each sink's module is
imported when a run needs it (``run`` with nothing due stays fast).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ops_schedule.config import JOB_NAMES, Config
from ops_schedule.config.secrets import check_signing_secret, from_environment
from ops_schedule.configfile import (
    ENV_PING_URL,
    ENV_SLACK_WEBHOOK_URL,
    ENV_WEBHOOK_SECRET,
    ENV_WEBHOOK_URL,
    ping_variable,
)
from ops_schedule.errors import JobError
from ops_schedule.logfields import log_fields
from ops_schedule.publishing.ledger import DeliveryLedger
from ops_schedule.publishing.pings import NoPings, Pinger, Pings
from ops_schedule.publishing.sinks.github_setup import posting_problems
from ops_schedule.publishing.telemetry import Recorder

if TYPE_CHECKING:
    from ops_schedule.publishing.sinks.base import Sink

log = logging.getLogger(__name__)


def slack_url(config: Config, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    return from_environment(environ, ENV_SLACK_WEBHOOK_URL, config.slack.webhook_url)


def webhook_url(config: Config, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    return from_environment(environ, ENV_WEBHOOK_URL, config.webhook.url)


def webhook_secret(config: Config, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    return from_environment(
        environ, ENV_WEBHOOK_SECRET, config.webhook.secret, check_signing_secret
    )


def ping_url(config: Config, environ: Mapping[str, str], job: str) -> tuple[str | None, str | None]:
    """The job's own URL (variable, then file), else the shared one (variable, then file)."""
    own, problem = from_environment(environ, ping_variable(job), getattr(config.pings.jobs, job))
    if own is not None or problem is not None:
        return own, problem
    return from_environment(environ, ENV_PING_URL, config.pings.url)


def sink_problems(config: Config, environ: Mapping[str, str], job: str) -> list[str]:
    """Why ``job``'s result cannot reach every sink it is meant for; empty when it can."""
    return posting_problems(config, environ, job) + webhook_problems(config, environ, job)


def webhook_problems(config: Config, environ: Mapping[str, str], job: str) -> list[str]:
    """Why ``job``'s result cannot reach Slack or the webhook it is meant for."""
    problems = []
    if job in config.slack.jobs:
        url, problem = slack_url(config, environ)
        if problem or url is None:
            missing = f"no webhook URL is set (slack.webhookUrl or {ENV_SLACK_WEBHOOK_URL})"
            problems.append(f"slack.jobs names {job}, but {problem or missing}")
    if job in config.webhook.jobs:
        url, problem = webhook_url(config, environ)
        _, secret_problem = webhook_secret(config, environ)
        if problem or url is None:
            problems.append(
                f"webhook.jobs names {job}, but "
                + (problem or f"no URL is set (webhook.url or {ENV_WEBHOOK_URL})")
            )
        if secret_problem:
            problems.append(f"webhook.jobs names {job}, but {secret_problem}")
    return problems


def outlet_warnings(config: Config, environ: Mapping[str, str]) -> list[str]:
    """For ``validate``: settings that cannot work, or do nothing, as the environment stands."""
    warnings = []
    for name in JOB_NAMES:
        warnings += webhook_problems(config, environ, name)  # GitHub's: in validate itself
        if (problem := ping_url(config, environ, name)[1]) is not None:
            warnings.append(f"{name} is not pinged: {problem}")
    for section, url in (
        ("slack", slack_url(config, environ)[0]),
        ("webhook", webhook_url(config, environ)[0]),
    ):
        if url is not None and not getattr(config, section).jobs:
            warnings.append(f"a {section} URL is set, but {section}.jobs is empty: nothing is sent")
    return warnings


class Outlets:
    """The sinks and pings of the runs of one config, in one environment."""

    def __init__(self, config: Config, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ

    def sinks(self, job: str, recorder: Recorder) -> list[Sink]:
        """``job``'s sinks, in delivery order (GitHub first, so the others can link to its
        comment). Raises ``JobError`` naming every setup problem: checked before the job is
        built, so no work is wasted on a run that cannot be published."""
        config, environ = self.config, self.environ
        problems = sink_problems(config, environ, job)
        if problems:
            raise JobError("; ".join(problems))
        sinks: list[Sink] = []
        if config.jobs.get(job).post_to_issue:
            from ops_schedule.publishing.sinks.github import build_sink

            sinks.append(build_sink(config, environ, on_retry=recorder.retry_hook("github")))
        if job in config.slack.jobs:
            from ops_schedule.publishing.sinks.slack import SlackSink

            url = slack_url(config, environ)[0]
            assert url is not None  # sink_problems said so
            sinks.append(
                SlackSink(
                    url,
                    max_retry_seconds=config.slack.max_retry_seconds,
                    locale=config.locale,
                    on_retry=recorder.retry_hook("slack"),
                )
            )
        if job in config.webhook.jobs:
            from ops_schedule.publishing.sinks.webhook import WebhookSink

            url = webhook_url(config, environ)[0]
            assert url is not None
            sinks.append(
                WebhookSink(
                    url,
                    secret=webhook_secret(config, environ)[0],
                    max_retry_seconds=config.webhook.max_retry_seconds,
                    on_retry=recorder.retry_hook("webhook"),
                )
            )
        return sinks

    def pings(self, job: str, period_key: str, recorder: Recorder) -> Pings:
        """Who is told of this run; a job without a (valid) ping URL tells no one."""
        url, problem = ping_url(self.config, self.environ, job)
        if problem is not None:
            log.warning(
                "%s %s: not pinged: %s", job, period_key, problem, extra=log_fields(job, period_key)
            )
        if url is None:
            return NoPings()
        pings = self.config.pings
        return Pinger(
            pings.service,
            url,
            job=job,
            period_key=period_key,
            timeout=pings.timeout_seconds,
            retries=pings.retries,
            recorder=recorder,
        )

    def ledger(self, job: str) -> DeliveryLedger:
        return DeliveryLedger(self.config.state_dir, job)


def sink_names(config: Config) -> tuple[str, ...]:
    """The sinks some job posts to (their counters are exported from zero)."""
    names = []
    if any(job.post_to_issue for _, job in config.jobs.items()):
        names.append("github")
    if config.slack.jobs:
        names.append("slack")
    if config.webhook.jobs:
        names.append("webhook")
    return tuple(names)
