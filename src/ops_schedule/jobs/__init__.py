"""Registry of jobs by name. Jobs register themselves when their module is imported."""

from __future__ import annotations

from ops_schedule.errors import JobError
from ops_schedule.jobs.base import Job, JobContext, Report, Skipped

__all__ = ["Job", "JobContext", "Report", "Skipped", "available", "get_job", "register"]

_REGISTRY: dict[str, Job] = {}


def register(job: Job) -> Job:
    _REGISTRY[job.name] = job
    return job


def _load_builtin_jobs() -> None:
    # Import for the side effect of registration; a job module missing here means the job
    # is not available in this build, which get_job reports clearly.
    import importlib

    # A job registered before the built-ins were imported (a test's fake, an extension) keeps
    # its name: importing a built-in module late must not replace it.
    registered = dict(_REGISTRY)
    for module in ("ops_schedule.jobs.observability", "ops_schedule.jobs.digest"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
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
