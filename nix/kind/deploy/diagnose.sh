# shellcheck shell=bash
# What steps 5 to 7 print when they fail: the release's pods, and for each pod that is not ready its events and
# last log lines (every container, so multi-container pods need no container name).

diagnose() {
  local pods pod
  printf '\n--- pods of release %s\n' "$RELEASE" >&2
  "${kube[@]}" get pods -l "app.kubernetes.io/instance=$RELEASE" -o wide >&2 || true
  pods=$("${kube[@]}" get pods -l "app.kubernetes.io/instance=$RELEASE" -o json | jq -r '.items[]
    | select(.status.phase != "Succeeded")
    | select(.status.phase != "Running" or ([.status.containerStatuses[]?.ready] | all | not))
    | .metadata.name') || true
  for pod in $pods; do
    printf '\n--- events of pod %s\n' "$pod" >&2
    "${kube[@]}" get events --field-selector "involvedObject.name=$pod" --sort-by .lastTimestamp >&2 || true
    printf '\n--- last log lines of pod %s\n' "$pod" >&2
    "${kube[@]}" logs "$pod" --all-containers --prefix --tail 40 >&2 || true
    "${kube[@]}" logs "$pod" --all-containers --prefix --tail 40 --previous >&2 2>/dev/null || true
  done
}

deploy_failed() {
  printf '%s: error: %s failed; the failing pods follow.\n' "$PROGRAM" "$1" >&2
  diagnose
  printf '\n%s: see docs/deploy.md, Troubleshooting; re-run when fixed (every step is idempotent).\n' "$PROGRAM" >&2
  exit "$EXIT_DEPLOY"
}
