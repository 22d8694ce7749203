"""Whether posting to GitHub can work, checked before any work is done (no HTTP here).

The runner asks before it builds a job with ``postToIssue``, so no work is wasted on a run that
cannot be published; ``validate`` prints the same problems as warnings. Importing this module
costs nothing of the HTTP stack, so ``validate`` and ``status`` start fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ops_schedule.config import Config
from ops_schedule.config.values import REPO

HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what an HTTP header can carry, without spaces


@dataclass(frozen=True, slots=True)
class SetupProblem:
    """One reason posting cannot work; ``source`` says where to fix it."""

    source: Literal["config", "environment"]
    text: str


def repository(config: Config, environ: Mapping[str, str]) -> str | None:
    """``owner/name`` from ``github.repo``, else from ``GITHUB_REPOSITORY``."""
    return config.github.repo or environ.get("GITHUB_REPOSITORY", "").strip() or None


def setup_problems(config: Config, environ: Mapping[str, str]) -> list[SetupProblem]:
    """Every reason the dashboard issue cannot receive comments; empty when it can."""
    problems = []
    if config.dashboard_issue is None:
        problems.append(
            SetupProblem(
                "config",
                "dashboardIssue is not set: set it to the number of the issue that receives "
                "the comments",
            )
        )
    repo = repository(config, environ)
    if repo is None:
        problems.append(
            SetupProblem(
                "environment",
                "no repository is set: set github.repo to owner/name, or the GITHUB_REPOSITORY "
                "environment variable",
            )
        )
    elif not REPO.fullmatch(repo):
        problems.append(
            SetupProblem("environment", f"GITHUB_REPOSITORY {repo!r} is not owner/name")
        )
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        problems.append(
            SetupProblem(
                "environment",
                "the GITHUB_TOKEN environment variable is not set: export a token that may write "
                f"issue comments on {repo or 'the repository'} (see docs/github.md)",
            )
        )
    elif not HEADER_SAFE.fullmatch(token):
        problems.append(
            SetupProblem(
                "environment",
                "GITHUB_TOKEN contains spaces or characters an HTTP header cannot carry: check "
                "how it is exported (it must be the bare token, without 'Bearer' or quotes)",
            )
        )
    return problems


def posting_problems(
    config: Config,
    environ: Mapping[str, str],
    job_name: str,
    sources: frozenset[str] = frozenset({"config", "environment"}),
) -> list[str]:
    """Why ``job_name`` cannot post to the dashboard issue; empty when it can (or need not).

    ``sources`` narrows the answer to problems fixed in those places (``validate`` reports the
    file's own problems elsewhere and asks only for the environment's).
    """
    if not config.jobs.get(job_name).post_to_issue:
        return []
    return [
        f"jobs.{job_name}.postToIssue is true, but {problem.text}"
        for problem in setup_problems(config, environ)
        if problem.source in sources
    ]
