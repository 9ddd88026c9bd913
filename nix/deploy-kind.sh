#!/usr/bin/env bash
# `nix run .#deploy-kind`: the images of this build and the Helm chart on a local kind cluster, in one command.
#
# nix/apps.nix runs this file from a store copy of nix/ (beside it, the step files in kind/) with kind, kubectl,
# helm, jq, tar and coreutils on PATH, and sets what the flake built:
#   TODO_IMAGES_DIR    directory holding todo-backend.tar, todo-frontend.tar, todo-postgres.tar (docker-archives)
#   TODO_CHART_DIR     the todo-chatbot chart, values-kind.yaml included
#   TODO_BACKEND_TAG, TODO_FRONTEND_TAG, TODO_POSTGRES_TAG    tags of this build (must match the archives)
# nix/tests runs this very file with stub values and stub tools.
set -euo pipefail

readonly PROGRAM=deploy-kind RELEASE=todo NAMESPACE=todo APP_SECRET=todo-chatbot-app NODE_PORT=30080
readonly EXIT_DEPLOY=1 EXIT_USAGE=2 EXIT_ENGINE=3 EXIT_ARCH=4 EXIT_PORT=5 EXIT_IMAGES=6
readonly STEPS=7 COMPONENTS=(backend frontend postgres)
dry_run=false

step() { printf '==> [%s/%s] %s\n' "$1" "$STEPS" "$2"; }

kind_lib=$(dirname "${BASH_SOURCE[0]}")/kind
# shellcheck source=nix/kind/output.sh
source "$kind_lib/output.sh"
# shellcheck source=nix/kind/engine.sh
source "$kind_lib/engine.sh"
# shellcheck source=nix/kind/cluster.sh
source "$kind_lib/cluster.sh"
# shellcheck source=nix/kind/deploy/args.sh
source "$kind_lib/deploy/args.sh"
# shellcheck source=nix/kind/deploy/prerequisites.sh
source "$kind_lib/deploy/prerequisites.sh"
# shellcheck source=nix/kind/deploy/cluster.sh
source "$kind_lib/deploy/cluster.sh"
# shellcheck source=nix/kind/deploy/images.sh
source "$kind_lib/deploy/images.sh"
# shellcheck source=nix/kind/deploy/secret.sh
source "$kind_lib/deploy/secret.sh"
# shellcheck source=nix/kind/deploy/diagnose.sh
source "$kind_lib/deploy/diagnose.sh"
# shellcheck source=nix/kind/deploy/helm.sh
source "$kind_lib/deploy/helm.sh"
# shellcheck source=nix/kind/deploy/verify.sh
source "$kind_lib/deploy/verify.sh"

parse_args "$@"
if $dry_run; then
  echo "Dry run: commands are printed in order, none is run. Queries decide the steps marked '(only if ...)'."
fi
step_prerequisites
step_cluster
step_images
step_secret
step_helm
step_rollout
step_test
print_summary
