"""Registry of jobs by name. Jobs register themselves when their module is imported."""

from __future__ import annotations

from ops_schedule.errors import JobError
from ops_schedule.reports.base import Job, JobContext, Report, Skipped

__all__ = ["Job", "JobContext", "Report", "Skipped", "available", "get_job", "register"]

_REGISTRY: dict[str, Job] = {}


def register(job: Job) -> Job:
    _REGISTRY[job.name] = job
    return job


_BUILTIN_MODULES = ("ops_schedule.reports.observability.job", "ops_schedule.reports.digest.job")


def _load_builtin_jobs() -> None:
    # Imported on first use, for the side effect of registration: the report modules pull in
    # the reader and the renderers, which commands such as `status` should not pay for.
    import importlib

    # A job registered before the built-ins were imported (a test's fake, an extension) keeps
    # its name: importing a built-in module late must not replace it.
    registered = dict(_REGISTRY)
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    _REGISTRY.update(registered)


def available() -> dict[str, Job]:
    _load_builtin_jobs()
    return dict(_REGISTRY)


def get_job(name: str) -> Job:
    jobs = available()
    try:
        return jobs[name]
    except KeyError:
        raise JobError(
            f"job {name!r} is not available in this version of ops-schedule "
            f"(available: {', '.join(sorted(jobs)) or 'none'}); disable it in the config"
        ) from None
