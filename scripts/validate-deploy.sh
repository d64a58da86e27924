#!/usr/bin/env bash
# Validates the deploy files without a Docker engine or a cluster: docker-compose.yml with docker-compose 1.29's
# `config -q`, deploy/k8s/*.yaml with kubernetes-validate --strict against Kubernetes's schemas, and that the compose
# replicas, deploy/nginx.conf's upstream and deploy/prometheus.yml's targets agree.
#
# The validators (PyPI, pinned in deploy/validate/*-requirements.txt) are installed on first use into venvs under
# .local/deploy-tools: under a lock, so parallel tests install once, and marked done only after pip succeeded.
#
#   scripts/validate-deploy.sh [COMPOSE_FILE [K8S_DIR]]     (defaults: docker-compose.yml, deploy/k8s)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
compose_file=$(realpath "${1:-$root/docker-compose.yml}")
k8s_dir=$(realpath "${2:-$root/deploy/k8s}")
tools="${LOYALTY_DEPLOY_TOOLS:-$root/.local/deploy-tools}"
python="${PYTHON:-python3}"

# venv NAME: a venv with deploy/validate/NAME-requirements.txt installed; reinstalled when that file changes.
venv() {
  local name=$1 requirements="$root/deploy/validate/$1-requirements.txt"
  local dir="$tools/$name" marker
  marker="$dir/.installed-$(sha256sum "$requirements" | cut -c1-16)"
  [ -f "$marker" ] && return 0
  mkdir -p "$tools"
  (
    flock 9
    [ -f "$marker" ] && exit 0
    echo "validate-deploy: installing the $name validator into $dir" >&2
    rm -rf "$dir"
    "$python" -m venv "$dir" || { echo "validate-deploy: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    "$dir/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
    touch "$marker"
  ) 9>"$tools/$name.lock"
}

venv compose
venv k8s

# The variables docker-compose.yml requires (`${VAR:?...}`): placeholders unless the caller set real ones.
export PUBLIC_URL="${PUBLIC_URL:-https://bots.example.com}" WEBHOOK_SECRET="${WEBHOOK_SECRET:-placeholder-webhook-secret}"
export PARTNER_TOKEN="${PARTNER_TOKEN:-0:placeholder}" CLIENT_TOKEN="${CLIENT_TOKEN:-0:placeholder}"
export ADMIN_TOKEN="${ADMIN_TOKEN:-0:placeholder}"

resolved=$(mktemp)
trap 'rm -f "$resolved"' EXIT
if ! "$tools/compose/bin/docker-compose" -f "$compose_file" --project-directory "$root" config >"$resolved"; then
  echo "validate-deploy: $compose_file is not a valid compose file (docker-compose 1.29 config, above)" >&2
  exit 1
fi
echo "validate-deploy: $compose_file is a valid compose file"
"$tools/compose/bin/python" "$root/deploy/validate/cross_check.py" "$resolved" "$root/deploy/nginx.conf" \
  "$root/deploy/prometheus.yml" || exit 1

shopt -s nullglob
manifests=("$k8s_dir"/*.yaml)
[ ${#manifests[@]} -gt 0 ] || { echo "validate-deploy: no manifests in $k8s_dir" >&2; exit 1; }
if ! "$tools/k8s/bin/kubernetes-validate" --strict --no-warn "${manifests[@]}"; then
  echo "validate-deploy: a Kubernetes manifest in $k8s_dir is invalid (kubernetes-validate, above)" >&2
  exit 1
fi
