#!/usr/bin/env bash
# `nix run .#kind-down`: removes what `nix run .#deploy-kind` made: the whole kind cluster, or with
# --release-only just the Helm release (the cluster, the database volume and the Secrets stay).
# nix/apps.nix runs this file from the same store copy of nix/ as deploy-kind (kind, kubectl, helm on PATH).
set -euo pipefail

readonly PROGRAM=kind-down RELEASE=todo NAMESPACE=todo
# kind-down knows only "failed" (1): an unreachable engine is one more way to fail.
readonly EXIT_DEPLOY=1 EXIT_ENGINE=1 EXIT_USAGE=2

kind_lib=$(dirname "${BASH_SOURCE[0]}")/kind
# shellcheck source=nix/kind/output.sh
source "$kind_lib/output.sh"
# shellcheck source=nix/kind/engine.sh
source "$kind_lib/engine.sh"
# shellcheck source=nix/kind/cluster.sh
source "$kind_lib/cluster.sh"

usage() {
  cat <<'TEXT'
Usage: kind-down [--cluster NAME] [--release-only] [--dry-run]

  --cluster NAME    kind cluster (default todo-chatbot)
  --release-only    uninstall only the Helm release "todo"; keeps the cluster, the PostgreSQL volume and the
                    Secrets (with the LLM settings), so the next deploy-kind finds its data and AUTH_SECRET again
  --dry-run         print the commands in order and exit 0; runs nothing
  -h, --help        this text

Deleting the cluster removes everything, data included. Exit codes: 0 done or nothing to do, 1 a command
failed, 2 usage error.
TEXT
}

cluster=todo-chatbot release_only=false dry_run=false
while (($#)); do
  case $1 in
    --release-only) release_only=true ;;
    --dry-run) dry_run=true ;;
    --cluster)
      (($# >= 2)) || die "$EXIT_USAGE" "--cluster needs a value (see --help)"
      cluster=$2
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "$EXIT_USAGE" "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
[[ $cluster =~ ^[a-z0-9]([a-z0-9.-]{0,48}[a-z0-9])?$ ]] ||
  die "$EXIT_USAGE" "--cluster '$cluster': use lowercase letters, digits, '-' and '.'"
context=kind-$cluster
if $dry_run; then
  echo "Dry run: commands are printed in order, none is run."
fi

detect_engine
echo "==> looking for kind cluster $cluster"
show kind get clusters
if ! $dry_run && ! cluster_listed; then
  echo "Nothing to do: there is no kind cluster $cluster."
  exit 0
fi

if $release_only; then
  echo "==> uninstalling Helm release $RELEASE from cluster $cluster (the cluster, data volume and Secrets stay)"
  # Helm needs the API server: a stopped node is started and a missing context restored, as deploy-kind does.
  if $dry_run; then
    say "(only if the cluster's node is stopped)"
    show "$engine" start "$cluster-control-plane"
    ensure_kube_context
  else
    ensure_cluster_usable
  fi
  run helm uninstall "$RELEASE" --kube-context "$context" --namespace "$NAMESPACE" --ignore-not-found --wait --timeout 5m ||
    die "$EXIT_DEPLOY" "helm uninstall failed (see its output above)"
  $dry_run || cat <<TEXT
Release $RELEASE removed. Kept on purpose: the PostgreSQL claim and the Secrets in namespace $NAMESPACE.
To drop them too: kubectl --context $context delete namespace $NAMESPACE
TEXT
else
  echo "==> deleting kind cluster $cluster (everything in it, data included)"
  run kind delete cluster --name "$cluster" || die "$EXIT_DEPLOY" "kind delete cluster failed (see its output above)"
  $dry_run || echo "Cluster $cluster deleted."
fi
if $dry_run; then
  echo "Dry run done: nothing was changed."
fi
