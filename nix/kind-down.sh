#!/usr/bin/env bash
# `nix run .#kind-down`: removes what `nix run .#deploy-kind` made: the whole kind cluster, or with
# --release-only just the Helm release (the cluster, the database volume and the Secrets stay).
# nix/apps.nix wraps this file with writeShellApplication (kind, kubectl, helm on PATH).
set -euo pipefail

readonly RELEASE=todo NAMESPACE=todo

usage() {
  cat <<'EOF'
Usage: kind-down [--cluster NAME] [--release-only] [--dry-run]

  --cluster NAME    kind cluster (default todo-chatbot)
  --release-only    uninstall only the Helm release "todo"; keeps the cluster, the PostgreSQL volume and the
                    Secrets, so the next deploy-kind finds its data and its AUTH_SECRET again
  --dry-run         print the commands in order and exit 0; runs nothing
  -h, --help        this text

Deleting the cluster removes everything, data included. Exit codes: 0 done or nothing to do, 1 a command
failed, 2 usage error.
EOF
}

cluster=todo-chatbot release_only=false dry_run=false

die() {
  local code=$1
  shift
  printf 'kind-down: error: %s\n' "$*" >&2
  exit "$code"
}
show() {
  local line
  printf -v line '%q ' "$@"
  printf '    $ %s\n' "${line% }"
}
run() {
  show "$@"
  $dry_run || "$@"
}

while (($#)); do
  case $1 in
    --release-only) release_only=true ;;
    --dry-run) dry_run=true ;;
    --cluster)
      (($# >= 2)) || die 2 "--cluster needs a value (see --help)"
      cluster=$2
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die 2 "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
[[ $cluster =~ ^[a-z0-9]([a-z0-9.-]{0,48}[a-z0-9])?$ ]] ||
  die 2 "--cluster '$cluster': use lowercase letters, digits, '-' and '.'"
if $dry_run; then
  echo "Dry run: commands are printed in order, none is run."
fi

# kind needs to know which engine holds the nodes; without docker, podman it is (as in deploy-kind).
if [[ -z ${KIND_EXPERIMENTAL_PROVIDER:-} ]] && ! command -v docker >/dev/null 2>&1 && command -v podman >/dev/null 2>&1; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
fi

echo "==> looking for kind cluster $cluster"
show kind get clusters
if ! $dry_run; then
  found=false
  clusters=$(kind get clusters 2>/dev/null) || die 1 "'kind get clusters' failed; is docker (or podman) running?"
  while read -r name; do
    [[ $name == "$cluster" ]] && found=true
  done <<<"$clusters"
  if ! $found; then
    echo "Nothing to do: there is no kind cluster $cluster."
    exit 0
  fi
fi

if $release_only; then
  echo "==> uninstalling Helm release $RELEASE from cluster $cluster (the cluster, data volume and Secrets stay)"
  run helm uninstall "$RELEASE" --kube-context "kind-$cluster" --namespace "$NAMESPACE" --ignore-not-found --wait --timeout 5m ||
    die 1 "helm uninstall failed (see its output above)"
  $dry_run || cat <<EOF
Release $RELEASE removed. Kept on purpose: the PostgreSQL claim and the Secrets in namespace $NAMESPACE.
To drop them too: kubectl --context kind-$cluster delete namespace $NAMESPACE
EOF
else
  echo "==> deleting kind cluster $cluster (everything in it, data included)"
  run kind delete cluster --name "$cluster" || die 1 "kind delete cluster failed (see its output above)"
  $dry_run || echo "Cluster $cluster deleted."
fi
if $dry_run; then
  echo "Dry run done: nothing was changed."
fi
