"""The deployment files say what the operator guide promises.

The full checks (Compose with a real Compose implementation, a fresh-venv install, systemd-analyze)
need the package registries and live in `make check-deploy`; these run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from repo import ROOT

from ops_schedule.service.heartbeat import Heartbeat, write_heartbeat


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_the_image_runs_the_loop_as_a_non_root_user_with_a_health_check():
    dockerfile = read("Dockerfile")
    assert re.search(r"^FROM python:3\.1[12]-slim$", dockerfile, re.MULTILINE)
    assert 'CMD ["ops-schedule", "loop"]' in dockerfile
    assert 'CMD ["ops-schedule", "health"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user
    assert user[-1].split(":")[0] not in {"root", "0"}
    # The image installs with the same recipe `make check-deploy` exercises.
    assert "sh deploy/install.sh /opt/ops-schedule /src" in dockerfile


def test_the_compose_service_sits_in_its_profile_and_mounts_inputs_read_only():
    compose = read("docker-compose.ops.yml")
    assert "  ops-scheduler: &ops-scheduler\n" in compose  # the HA replicas reuse it
    assert 'profiles: ["ops-scheduler"]' in compose
    assert "restart: unless-stopped" in compose
    assert "./config/proxy-mcp:/app/config/proxy-mcp:ro" in compose
    assert "./.taisun/observability:/app/.taisun/observability:ro" in compose
    assert "./.taisun/incidents:/app/.taisun/incidents:ro" in compose
    assert "./logs:/app/logs\n" in compose
    assert "${OPS_SCHEDULE_ENV_FILE:-.env.ops}" in compose


def _compose() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(read("docker-compose.ops.yml"))


def _compose_schema() -> dict:
    # The Compose specification's own schema, as check-jsonschema ships it (no network).
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8"))


def test_the_compose_file_is_valid_against_the_compose_specification():
    validator = jsonschema.Draft202012Validator(_compose_schema())
    assert [error.message for error in validator.iter_errors(_compose())] == []
    # ... and the schema does catch a mistake in the same place:
    broken = _compose()
    broken["services"]["ops-scheduler"]["env_file"] = [{"file": ".env.ops", "optional": True}]
    assert list(validator.iter_errors(broken))


def test_the_compose_service_starts_on_a_fresh_checkout_without_an_env_file():
    service = _compose()["services"]["ops-scheduler"]
    entries = service["env_file"]
    assert entries == [{"path": "${OPS_SCHEDULE_ENV_FILE:-.env.ops}", "required": False}]
    # The file it would read is not part of a checkout: it holds the operator's token.
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env.ops"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert tracked.returncode != 0
    # Everything else the service needs is in the checkout: the build context and the config.
    assert (ROOT / service["build"]["dockerfile"]).is_file()
    assert (ROOT / "config/proxy-mcp/ops-schedule.json").is_file()


def compose_service(name: str) -> str:
    """The text of one service of the Compose file, up to the next service."""
    compose = read("docker-compose.ops.yml")
    block = compose.split(f"\n  {name}:", 1)[1]
    return re.split(r"\n  [a-z][a-z-]*:|\n[a-z]", block, maxsplit=1)[0]


def test_the_ha_replicas_are_the_single_service_with_their_own_logs_and_the_store_url():
    services = _compose()["services"]  # YAML merge keys resolved, as Compose resolves them
    single = services["ops-scheduler"]
    for name in ("ops-scheduler-a", "ops-scheduler-b"):
        replica = services[name]
        for key in ("command", "user", "env_file", "read_only", "cap_drop", "stop_grace_period"):
            assert replica[key] == single[key], (name, key)
        assert replica["profiles"] == ["ops-scheduler-ha"]
        assert replica["depends_on"] == {"ops-db": {"condition": "service_healthy"}}
        assert replica["environment"]["OPS_SCHEDULE_STORE_URL"].endswith("@ops-db:5432/ops")
    assert services["ops-db"]["profiles"] == ["ops-scheduler-ha"]


def test_the_ha_profile_runs_postgresql_and_two_replicas_of_the_loop_on_it():
    for replica, logs in (("ops-scheduler-a", "replica-a"), ("ops-scheduler-b", "replica-b")):
        service = compose_service(replica)
        assert "<<: *ops-scheduler" in service  # the same hardened service as the single one
        assert 'profiles: ["ops-scheduler-ha"]' in service
        assert f"hostname: {replica}" in service
        assert f"./logs/{logs}:/app/logs\n" in service  # its own heartbeat and archive
        assert "condition: service_healthy" in service
    store_url = compose_service("ops-scheduler-a")
    assert (
        'OPS_SCHEDULE_STORE_URL: "postgresql://ops:${OPS_SCHEDULE_DB_PASSWORD:-}@ops-db:5432/ops"'
        in store_url
    )
    assert "environment: *ha-store" in compose_service("ops-scheduler-b")
    database = compose_service("ops-db")
    assert 'profiles: ["ops-scheduler-ha"]' in database
    assert "image: postgres:15" in database
    assert 'POSTGRES_PASSWORD: "${OPS_SCHEDULE_DB_PASSWORD:-}"' in database
    assert "pg_isready" in database
    assert "ops-db-data:/var/lib/postgresql/data" in database


def test_the_kubernetes_deployment_runs_two_loops_reading_the_store_url_from_a_secret():
    manifest = read("deploy/kubernetes/deployment.yaml")
    assert "kind: Deployment" in manifest
    assert "replicas: 2" in manifest
    assert 'command: ["ops-schedule", "loop"]' in manifest
    store = manifest.split("- name: OPS_SCHEDULE_STORE_URL", 1)[1].split("- name:", 1)[0]
    assert "secretKeyRef:" in store
    assert "name: ops-schedule-store" in store
    assert "optional" not in store  # without its store a replica must not start on a file
    assert 'command: ["ops-schedule", "health"]' in manifest
    assert "kind: PersistentVolumeClaim" not in manifest  # the state is in the database
    assert "postgresql://" not in manifest.split("---", 1)[1]  # no URL, no password in it


def test_the_configmap_of_the_deployment_is_a_valid_disabled_config_with_a_lease():
    from ops_schedule.config import parse_config

    manifest = read("deploy/kubernetes/deployment.yaml")
    block = manifest.split("  ops-schedule.json: |\n", 1)[1].split("\n---", 1)[0]
    config = parse_config(json.loads(block), {})
    assert config.enabled is False
    assert config.store.lease_seconds == 120


def test_the_env_example_names_every_variable_and_holds_no_token():
    example = read(".env.ops.example")
    for name in (
        "OPS_SCHEDULE_ENABLED",
        "OPS_SCHEDULE_TIMEZONE",
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "OPS_SCHEDULE_STORE_URL",
    ):
        assert name in example
    assert re.search(r"^OPS_SCHEDULE_STORE_URL=$", example, re.MULTILINE)
    assert re.search(r"^GITHUB_TOKEN=$", example, re.MULTILINE)
    assert not re.search(r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_", example)


def test_the_systemd_unit_runs_the_loop_hardened_and_restarts_on_failure():
    unit = read("deploy/systemd/ops-schedule.service")
    assert re.search(r"^ExecStart=\S+/ops-schedule loop$", unit, re.MULTILINE)
    for line in (
        "Restart=on-failure",
        "RestartPreventExitStatus=2",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "KillSignal=SIGTERM",
    ):
        assert f"\n{line}\n" in unit
    assert re.search(
        r"^ReadWritePaths=.*logs/schedule-state.*logs/ops-reports$", unit, re.MULTILINE
    )


def test_the_cronjob_runs_every_minute_forbids_overlap_and_sets_no_time_zone():
    manifest = read("deploy/kubernetes/cronjob.yaml")
    assert 'schedule: "* * * * *"' in manifest
    assert "concurrencyPolicy: Forbid" in manifest
    assert not re.search(r"^\s*timeZone:", manifest, re.MULTILINE)
    assert "kind: PersistentVolumeClaim" in manifest
    assert "kind: ConfigMap" in manifest
    assert "secretKeyRef" in manifest
    assert 'command: ["ops-schedule", "run"]' in manifest


def test_the_configmap_in_the_cronjob_example_is_a_valid_disabled_config():
    from ops_schedule.config import parse_config

    manifest = read("deploy/kubernetes/cronjob.yaml")
    block = manifest.split("  ops-schedule.json: |\n", 1)[1].split("\n---", 1)[0]
    config = parse_config(json.loads(block), {})
    assert config.enabled is False


def test_the_installed_console_script_passes_the_health_check_on_a_fresh_heartbeat(tmp_path):
    # What the container's HEALTHCHECK runs, as a separate process from the installed script.
    script = shutil.which("ops-schedule", path=str(Path(sys.executable).parent))
    assert script is not None, "the package's console script is not installed"
    (tmp_path / "ops-schedule.json").write_text('{"stateDir": "state"}', encoding="utf-8")
    write_heartbeat(
        tmp_path / "state",
        Heartbeat.starting(60, "0.1.0").tick_completed(datetime.now(UTC)),
    )
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPS_SCHEDULE_", "GITHUB_"))
    }
    result = subprocess.run(
        [script, "--config", "ops-schedule.json", "health"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: last tick ")


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "docker-compose.ops.yml",
        ".env.ops.example",
        "deploy/systemd/ops-schedule.service",
        "deploy/kubernetes/cronjob.yaml",
        "deploy/kubernetes/deployment.yaml",
        "deploy/install.sh",
        "deploy/check-deploy.sh",
    ],
)
def test_deployment_files_name_no_home_directories(name):
    text = read(name)
    assert "/Users/" not in text
    assert "/home/" not in text


@pytest.mark.parametrize(
    "name", ["deploy/kubernetes/cronjob.yaml", "deploy/kubernetes/deployment.yaml"]
)
def test_the_kubernetes_manifests_pass_the_outlets_secrets_from_an_optional_secret(name):
    from ops_schedule.configfile import ENV_WEBHOOK_SECRET, URL_VARIABLES

    manifest = read(name)
    assert re.search(
        r"envFrom:\n\s+- secretRef:\n\s+name: ops-schedule-outlets\n\s+optional: true\n", manifest
    )
    named = {v for v in (*URL_VARIABLES, ENV_WEBHOOK_SECRET) if v in manifest}
    documented = {"OPS_SCHEDULE_SLACK_WEBHOOK_URL", "OPS_SCHEDULE_WEBHOOK_URL"}
    assert documented | {ENV_WEBHOOK_SECRET, "OPS_SCHEDULE_PING_URL"} <= named
    assert "OPS_SCHEDULE_PUSHGATEWAY_URL" in manifest
