"""GitHub sink: one comment per job and period on the dashboard issue.

Posting is idempotent. Every comment starts with a hidden marker naming the job and period
(``<!-- ops-schedule:<job>:<period-key> -->``); before creating a comment the sink reads the
issue's comments, newest pages first, and reuses one that carries the marker. The lookup and the
create form one unit that is retried together, so a request that reached GitHub but whose answer
was lost (a timeout, a dropped connection, a 502) is found on the retry instead of posted twice,
and so is a comment posted by a process that was killed before it saved its state.

Retries (stamina) cover connection errors, timeouts, 5xx and rate limiting; the wait honours
``retry-after`` and ``x-ratelimit-reset``, and the whole post stays within
``github.maxRetrySeconds``: each request's deadline is the time left of that budget, so even a
server that answers one byte at a time cannot hold a post longer. Other 4xx answers are
permanent and say what to check.

The token lives in one private attribute and in the Authorization header of a client that exists
only for the duration of one post; it is never logged, never put in a message and never shown by
``repr``.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import stamina

from ops_schedule import __version__
from ops_schedule.config import Config
from ops_schedule.errors import SinkError
from ops_schedule.publishing.sinks import spacing as process_spacing
from ops_schedule.publishing.sinks.base import Delivered, Outgoing, Posted, RetryHook
from ops_schedule.publishing.sinks.comment import compose, marker
from ops_schedule.publishing.sinks.github_api import (
    DEFAULT_SEARCH_COMMENTS,
    Author,
    IssueComments,
    Transient,
)
from ops_schedule.publishing.sinks.github_setup import HEADER_SAFE, repository, setup_problems
from ops_schedule.publishing.sinks.spacing import Spacing

__all__ = ["GitHubSink", "build_sink", "retry_wait"]

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_ATTEMPTS = 25  # besides the time budget, so a flood of tiny waits cannot hammer GitHub
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 60.0


# --------------------------------------------------------------------------- wiring


def build_sink(
    config: Config,
    environ: Mapping[str, str],
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    on_wait: Callable[[float], None] | None = None,
    on_retry: RetryHook | None = None,
) -> GitHubSink:
    """The sink for the configured dashboard issue, authenticated by ``GITHUB_TOKEN``.

    Raises ``SinkError(permanent=True)`` naming every setup problem when posting is impossible.
    """
    problems = [problem.text for problem in setup_problems(config, environ)]
    repo = repository(config, environ)
    if problems or repo is None or config.dashboard_issue is None:
        raise SinkError("cannot post to GitHub: " + "; ".join(problems), permanent=True)
    return GitHubSink(
        repo=repo,
        issue=config.dashboard_issue,
        token=environ["GITHUB_TOKEN"].strip(),
        api_url=config.github.api_url,
        max_retry_seconds=config.github.max_retry_seconds,
        search_comments=config.github.marker_search_comments,
        timeout=timeout,
        on_wait=on_wait,
        on_retry=on_retry,
    )


# --------------------------------------------------------------------------- retry policy


def retry_wait(failure: Transient, failures: int, jitter: float) -> float:
    """Seconds to wait after the ``failures``-th failure of one post.

    What GitHub asked for wins (at least a second); a rate limit without a time waits one
    minute, then doubles; anything else backs off exponentially (1, 2, 4 … 60 s) plus
    ``jitter`` (0–1 s) so that several runners do not retry in step.
    """
    if failure.asked is not None:
        return max(failure.asked, 1.0)
    if failure.floor:
        return failure.floor * 2.0 ** (failures - 1)
    return min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0 ** (failures - 1)) + jitter


@dataclass
class _Budget:
    """Time spent on one post. Requested waits count even when a test mode skips sleeping."""

    total: float
    started: float
    waited: float = 0.0
    failures: int = 0
    give_up: str | None = None

    def remaining(self) -> float:
        return self.total - max(time.monotonic() - self.started, self.waited)


@functools.lru_cache(maxsize=4)
def _tls_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """httpx's default TLS context (it honours SSL_CERT_FILE / SSL_CERT_DIR), built once.

    Loading the CA bundle is most of the cost of a client; the arguments only key the cache.
    """
    del cafile, capath
    return httpx.create_ssl_context()


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --------------------------------------------------------------------------- the sink


class GitHubSink:
    """Posts each job-period's report as one comment on issue ``issue`` of ``repo``."""

    __slots__ = (
        "_author",
        "_now",
        "_on_retry",
        "_on_wait",
        "_spacing",
        "_timeout",
        "_token",
        "api_url",
        "issue",
        "max_retry",
        "repo",
        "search_comments",
    )
    name = "github"
    idempotent = True  # the marker finds an earlier comment of the same run

    def __init__(
        self,
        *,
        repo: str,
        issue: int,
        token: str,
        api_url: str = "https://api.github.com",
        max_retry_seconds: float = 600.0,
        search_comments: int = DEFAULT_SEARCH_COMMENTS,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        on_wait: Callable[[float], None] | None = None,
        on_retry: RetryHook | None = None,
        now: Callable[[], float] = time.time,
        spacing: Spacing | None = None,
    ) -> None:
        if not HEADER_SAFE.fullmatch(token):
            raise ValueError("the GitHub token is empty or has characters a header cannot carry")
        self.repo = repo
        self.issue = issue
        self.api_url = api_url.rstrip("/")
        self.max_retry = max_retry_seconds
        self.search_comments = search_comments
        self._token = token
        self._author: Author | None = None  # who the token is: asked once, when needed
        # One second between the POSTs and PATCHes of the whole process (spacing.py).
        self._spacing = spacing or process_spacing.PROCESS_SPACING
        self._timeout = timeout
        self._on_wait = on_wait  # told every wait before it starts (tests record them)
        self._on_retry = on_retry  # ... and whether it is a rate limit (metrics count both)
        self._now = now  # wall clock, for x-ratelimit-reset (epoch seconds)

    def __repr__(self) -> str:
        return f"GitHubSink(repo={self.repo!r}, issue={self.issue}, api_url={self.api_url!r})"

    def deliver(self, outgoing: Outgoing) -> Delivered:
        """The sink seam (``sinks.base.Sink``): the comment for the outgoing result."""
        posted = self.post(
            outgoing.job, outgoing.period_key, outgoing.markdown, outgoing.archive_hint
        )
        return Delivered(url=posted.url, created=posted.created)

    def post(self, job: str, period_key: str, body: str, archive_hint: str) -> Posted:
        """Create the comment for ``job``/``period_key``, or return the one already there."""
        mark = marker(job, period_key)
        text = compose(mark, body, archive_hint)
        budget = _Budget(total=self.max_retry, started=time.monotonic())
        posted: Posted | None = None
        with self._client() as client:
            comments = IssueComments(
                client,
                api_url=self.api_url,
                repo=self.repo,
                issue=self.issue,
                archive_hint=archive_hint,
                now=self._now,
                time_left=budget.remaining,
                author=self._who,
                before_mutation=self._spacing.wait,
                search_comments=self.search_comments,
            )
            try:
                for attempt in stamina.retry_context(
                    on=self._decider(budget), attempts=MAX_ATTEMPTS, timeout=None
                ):
                    with attempt:
                        posted = comments.post_once(mark, text)
                        if comments.created_by is not None and self._author is None:
                            self._author = Author(comments.created_by)
            except Transient as exc:
                message = budget.give_up or (
                    f"GitHub still failing after {budget.failures} attempts: {exc.problem}"
                )
                raise SinkError(message, permanent=False) from None
        assert posted is not None  # the loop ends by success or by raising
        return posted

    def _who(self, comments: IssueComments) -> Author:
        if self._author is None:
            self._author = comments.whoami()
        return self._author

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.api_url,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"ops-schedule/{__version__}",
            },
            timeout=self._timeout,
            verify=_tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
            # A renamed repository answers 301. httpx drops the Authorization header when a
            # redirect leaves the origin.
            follow_redirects=True,
        )

    def _decider(self, budget: _Budget) -> Callable[[Exception], bool | timedelta]:
        """stamina's ``on`` hook: retry transient failures as long as the budget allows."""

        def decide(exc: Exception) -> bool | timedelta:
            if not isinstance(exc, Transient):
                return False
            budget.failures += 1
            if budget.failures >= MAX_ATTEMPTS:
                budget.give_up = (
                    f"GitHub still failing after {budget.failures} attempts: {exc.problem}"
                )
                return False
            wait = retry_wait(exc, budget.failures, random.random())  # noqa: S311 - jitter
            remaining = budget.remaining()
            if wait > remaining:
                budget.give_up = self._give_up_message(exc, wait, remaining)
                return False
            budget.waited += wait
            log.warning(
                "GitHub: %s; retrying in %.0f s (%.0f s of the %.0f s retry budget left)",
                exc.problem,
                wait,
                remaining,
                budget.total,
            )
            if self._on_wait is not None:
                self._on_wait(wait)
            if self._on_retry is not None:
                self._on_retry(wait, exc.asked is not None or exc.floor > 0)
            return timedelta(seconds=wait)

        return decide

    def _give_up_message(self, failure: Transient, wait: float, remaining: float) -> str:
        budget = f"github.maxRetrySeconds = {self.max_retry:.0f} s"
        if failure.until is not None:
            return (
                f"GitHub rate limit: {failure.problem}. It lifts at {_utc(failure.until)} "
                f"(in {wait:.0f} s), later than the retry budget allows ({max(remaining, 0):.0f}"
                f" s of {budget} left); the run is retried after that."
            )
        return f"GitHub still failing when the retry budget ran out ({budget}): {failure.problem}"
