#!/bin/sh
# `make check-deploy`: validate the deployment files without a Docker engine.
#   1. the Compose file: the Compose specification's schema, Compose v2 where installed, and
#      docker-compose 1.29 (Debian's) on everything but the optional env file it cannot read;
#   2. the container's install steps: deploy/install.sh into a fresh venv, as the Dockerfile does;
#   3. the image's CMD and HEALTHCHECK: `ops-schedule loop`, then `ops-schedule health`;
#   4. the systemd unit, with systemd-analyze verify (where available);
#   5. the Kubernetes manifests parse as YAML (where PyYAML is available).
# Needs the package registries (pip installs the dependencies); CI does not run it.
set -eu
# The image runs Python 3.12: install with it when this machine has it.
if [ -z "${DEPLOY_PYTHON:-}" ] && python3.12 -c '' >/dev/null 2>&1; then
    DEPLOY_PYTHON=python3.12
fi
python=${DEPLOY_PYTHON:-${PYTHON:-python3}}
root=$(pwd)
work=$(mktemp -d)
loop_pid=
cleanup() {
    if [ -n "$loop_pid" ]; then kill "$loop_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "compose: docker-compose.ops.yml (profile ops-scheduler)"
# 1. The Compose specification's JSON schema (as check-jsonschema ships it), on the file as it is.
"$python" -m venv "$work/schema-venv"
"$work/schema-venv/bin/pip" install --quiet "check-jsonschema>=0.30"
"$work/schema-venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.ops.yml
# 2. Compose v2, where installed: the file as it is, without .env.ops (a fresh checkout).
if docker compose version >/dev/null 2>&1; then
    docker compose version
    mkdir -p "$work/fresh"
    cp docker-compose.ops.yml Dockerfile "$work/fresh/"
    (cd "$work/fresh" && docker compose -f docker-compose.ops.yml --profile ops-scheduler config -q)
    echo "ok: Compose v2 reads the file on a fresh checkout"
else
    echo "skipped: Compose v2 (docker compose) is not installed"
fi
# 3. docker-compose 1.29: everything but the optional env file, which it cannot read.
if ! command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose not found; installing Debian's package"
    apt-get install -y docker-compose >/dev/null
fi
docker-compose version | head -1
sed -e '/^    env_file:$/,/required: false/c\    env_file: [.env.ops.example]' \
    docker-compose.ops.yml >"$work/compose-v1.yml"
docker-compose -f "$work/compose-v1.yml" --project-directory . --profile ops-scheduler config -q
echo "ok: the compose file is valid"

step "install: deploy/install.sh into a fresh venv (the Dockerfile's recipe)"
"$python" --version
sh deploy/install.sh "$work/venv" "$root" "$python"

step "container: ops-schedule loop, then ops-schedule health (the image's CMD and HEALTHCHECK)"
mkdir -p "$work/app/config/proxy-mcp"
printf '{"enabled": true, "stateDir": "logs/schedule-state", "jobs": {}}\n' \
    >"$work/app/config/proxy-mcp/ops-schedule.json"
cd "$work/app"
if "$work/venv/bin/ops-schedule" health; then
    echo "FAIL: health passed before the loop ever ran" >&2
    exit 1
fi
"$work/venv/bin/ops-schedule" loop --interval 5 &
loop_pid=$!
tries=0
until "$work/venv/bin/ops-schedule" health; do
    tries=$((tries + 1))
    if [ "$tries" -ge 50 ]; then
        echo "FAIL: no fresh heartbeat within 10 s" >&2
        exit 1
    fi
    sleep 0.2
done
kill -TERM "$loop_pid"
wait "$loop_pid"
loop_pid=
if "$work/venv/bin/ops-schedule" health; then
    echo "FAIL: health passed after the loop stopped" >&2
    exit 1
fi
echo "ok: healthy while the loop runs, unhealthy once it stopped"
cd "$root"

step "systemd: deploy/systemd/ops-schedule.service"
if command -v systemd-analyze >/dev/null 2>&1; then
    # Point the unit at the venv just installed so verify can check the command exists.
    mkdir -p "$work/unit" "$work/srv/logs/schedule-state" "$work/srv/logs/ops-reports"
    sed -e "s#/opt/ops-schedule#$work/venv#g" -e "s#/srv/mcp-proxy#$work/srv#g" \
        deploy/systemd/ops-schedule.service >"$work/unit/ops-schedule.service"
    systemd-analyze verify "$work/unit/ops-schedule.service"
    echo "ok: systemd-analyze verify passed"
else
    echo "skipped: systemd-analyze is not available"
fi

step "kubernetes: deploy/kubernetes/cronjob.yaml"
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    /usr/bin/python3 - <<'PY'
import yaml

docs = [d for d in yaml.safe_load_all(open("deploy/kubernetes/cronjob.yaml")) if d]
kinds = [d["kind"] for d in docs]
assert kinds == ["PersistentVolumeClaim", "ConfigMap", "CronJob"], kinds
cron = docs[-1]["spec"]
assert cron["concurrencyPolicy"] == "Forbid" and "timeZone" not in cron, cron
print("ok: the manifests parse;", ", ".join(kinds))
PY
else
    echo "skipped: PyYAML is not available to the system python"
fi
printf '\ncheck-deploy: all checks passed\n'
