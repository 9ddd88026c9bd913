# shellcheck shell=bash
# Step 5: `helm upgrade --install` with values-kind.yaml, this run's values on stdin, the user's files, the
# image references and the Secret. Two states Helm cannot get out of by itself are refused before it runs: a
# release left pending by an interrupted Helm, and a PostgreSQL StatefulSet change the API server forbids.

# Where each component's image goes in the chart's values.
declare -rA CHART_KEY=([backend]=backend [frontend]=frontend [postgres]=postgresql)

# The plain (non-secret) values of this run, fed to Helm on stdin: the LLM settings and the Secret's checksum.
values_document() {
  CHECKSUM=$1 PROVIDER=$2 BASE_URL=$3 MODEL=$4 jq -n '
    def opt($key; $value): if $value == "" then {} else {($key): $value} end;
    {backend: {podAnnotations: {"todo-chatbot/app-secret-checksum": env.CHECKSUM}}}
    + ((opt("provider"; env.PROVIDER) + opt("baseUrl"; env.BASE_URL) + opt("model"; env.MODEL))
       | if . == {} then {} else {llm: .} end)'
}

# Helm's values arguments, the same for `helm template` (step 1) and `helm upgrade`: later ones win.
build_values_args() {
  local file c
  values_args=(--values "$chart/values-kind.yaml" --values -)
  for file in "${extra_values[@]}"; do
    values_args+=(--values "$file")
  done
  for c in "${COMPONENTS[@]}"; do
    values_args+=(--set "${CHART_KEY[$c]}.image.repository=${repo[$c]}" --set "${CHART_KEY[$c]}.image.tag=${tag[$c]}")
  done
  values_args+=(--set "existingSecret=$APP_SECRET")
}

# A Helm run killed mid-way leaves the release pending-install/-upgrade/-rollback, and every later Helm change
# fails with "another operation (install/upgrade/rollback) is in progress" (helm pkg/action/action.go errPending).
check_not_pending() {
  local listing status remedy
  local list=(helm list --kube-context "$context" --namespace "$NAMESPACE" --pending --output json)
  show "${list[@]}"
  $dry_run && return 0
  listing=$("${list[@]}") || die "$EXIT_DEPLOY" "could not list the Helm releases of namespace $NAMESPACE (see Helm's message above)"
  status=$(jq -r --arg name "$RELEASE" '.[] | select(.name == $name) | .status' <<<"$listing")
  [[ -n $status ]] || return 0
  if [[ $status == pending-install ]]; then
    remedy="helm uninstall $RELEASE --kube-context $context --namespace $NAMESPACE (the Secret $APP_SECRET and the data volume stay)"
  else
    remedy="helm rollback $RELEASE --kube-context $context --namespace $NAMESPACE (back to the last deployed revision)"
  fi
  die "$EXIT_DEPLOY" "release $RELEASE is $status: an earlier Helm run was interrupted, and Helm refuses every change" \
    "until that is resolved. Run: $remedy; then run this again."
}

# A StatefulSet's volumeClaimTemplates cannot change (Kubernetes pkg/apis/apps/validation/validation.go,
# ValidateStatefulSetUpdate), so a new postgresql.persistence.size or .storageClass would fail half-way through
# the upgrade. The API server judges this run's PostgreSQL objects in a server-side dry run first.
check_statefulset_update() {
  local selector="app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=postgresql" existing claim refusal
  local template=(helm template "$RELEASE" "$chart" --namespace "$NAMESPACE" --skip-tests "${values_args[@]}")
  local dry_apply=("${kube[@]}" apply --server-side --dry-run=server --force-conflicts --field-manager deploy-kind-preflight
    --selector "app.kubernetes.io/component=postgresql" -f -)
  show "${kube[@]}" get statefulsets --selector "$selector" -o json
  if $dry_run; then
    say "(only if the release has its PostgreSQL StatefulSet already)"
    printf '    $ %s | %s\n' "$(quote "${template[@]}")" "$(quote "${dry_apply[@]}")"
    return 0
  fi
  existing=$("${kube[@]}" get statefulsets --selector "$selector" -o json) ||
    die "$EXIT_DEPLOY" "could not read the StatefulSets of release $RELEASE"
  [[ $(jq '.items | length' <<<"$existing") -gt 0 ]] || return 0
  printf '    $ %s | %s\n' "$(quote "${template[@]}")" "$(quote "${dry_apply[@]}")"
  if refusal=$("${template[@]}" <<<"$values_doc" | "${dry_apply[@]}" 2>&1 >/dev/null); then
    say "the API server accepts the PostgreSQL StatefulSet of these values"
    return 0
  fi
  # postgresql.enabled=false renders no PostgreSQL objects: Helm will delete the StatefulSet (the claim stays).
  if [[ $refusal == *"no objects passed to apply"* ]]; then
    say "these values render no PostgreSQL StatefulSet; Helm removes it and keeps its data volume"
    return 0
  fi
  claim=$(jq -r '.items[0].spec.volumeClaimTemplates[0].spec // empty
    | "\(.resources.requests.storage // "?"), storage class: \(.storageClassName // "the cluster default")"' <<<"$existing")
  die "$EXIT_USAGE" "the API server refuses this run's PostgreSQL StatefulSet; nothing was changed. It says: $refusal" \
    "A StatefulSet's volume claim is fixed when it is created${claim:+ (this one: $claim)}: keep postgresql.persistence.size," \
    "storageClass and enabled as they were, or start the database over (deletes its data):" \
    "nix run .#kind-down -- --release-only$([[ $cluster == todo-chatbot ]] || echo " --cluster $cluster")," \
    "then ${kube[*]} delete pvc --selector $selector, then run this again."
}

step_helm() {
  values_doc=$(values_document "$secret_checksum" "${llm[LLM_PROVIDER]}" "${llm[LLM_BASE_URL]}" "${llm[LLM_MODEL]}")
  step 5 "helm upgrade --install $RELEASE (tags ${tag[backend]}, ${tag[frontend]}, ${tag[postgres]})"
  check_not_pending
  check_statefulset_update
  # The script prints the URL itself; the chart's NOTES cannot know kind's host port.
  local upgrade=(helm upgrade --install "$RELEASE" "$chart" --kube-context "$context" --namespace "$NAMESPACE" --create-namespace
    "${values_args[@]}" --hide-notes --wait --timeout "$timeout")
  run_stdin "$values_doc" "$values_doc" "${upgrade[@]}" || deploy_failed "helm upgrade --install"
}
