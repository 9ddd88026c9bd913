# shellcheck shell=bash
# Step 4: the Secret todo-chatbot-app, written here and read by the chart through existingSecret. It holds
# AUTH_SECRET (generated once, then kept), LLM_API_KEY and the LLM settings LLM_PROVIDER, LLM_BASE_URL and
# LLM_MODEL: each is taken from the environment when set there (set empty, it is dropped), else kept from the
# previous run, so a plain re-run changes none of them. Secret values travel only through pipes and stdin,
# never on a command line or to the terminal.

readonly LLM_SETTINGS=(LLM_PROVIDER LLM_BASE_URL LLM_MODEL)
# The resolved LLM settings of this run, by name (empty = the chart default).
declare -A llm

b64() { base64 | tr -d '\n'; }

ensure_namespace() {
  show "${kctl[@]}" get namespace "$NAMESPACE"
  if $dry_run; then
    say "(only if the namespace is missing)"
    show "${kctl[@]}" create namespace "$NAMESPACE"
  elif ! "${kctl[@]}" get namespace "$NAMESPACE" >/dev/null 2>&1; then
    run "${kctl[@]}" create namespace "$NAMESPACE" || die "$EXIT_DEPLOY" "could not create namespace $NAMESPACE"
  fi
}

# Sets llm[NAME] for each plain setting from the environment or the stored Secret (JSON in $1).
resolve_llm_settings() {
  local existing=$1 name
  for name in "${LLM_SETTINGS[@]}"; do
    if [[ -n ${!name+set} ]]; then
      llm[$name]=${!name}
      if [[ -n ${llm[$name]} ]]; then say "$name: ${llm[$name]} (from the environment)"; else say "$name: dropped (set empty)"; fi
    elif $dry_run; then
      llm[$name]=
      say "$name: kept when the Secret has one, else the chart default"
    else
      llm[$name]=$(jq -r --arg key "$name" '.data[$key] // empty | @base64d' <<<"$existing")
      if [[ -n ${llm[$name]} ]]; then say "$name: ${llm[$name]} (kept)"; else say "$name: not set (chart default)"; fi
    fi
  done
  check_llm_settings "${llm[LLM_PROVIDER]}" "${llm[LLM_BASE_URL]}" "stored in Secret $NAMESPACE/$APP_SECRET"
}

step_secret() {
  local existing=null auth_b64 key_b64 manifest
  step 4 "Secret $NAMESPACE/$APP_SECRET (AUTH_SECRET generated once and kept; LLM settings and key kept unless set)"
  ensure_namespace
  show "${kube[@]}" get secret "$APP_SECRET" -o json --ignore-not-found
  if ! $dry_run; then
    existing=$("${kube[@]}" get secret "$APP_SECRET" -o json --ignore-not-found) ||
      die "$EXIT_DEPLOY" "could not read Secret $NAMESPACE/$APP_SECRET"
    existing=${existing:-null}
  fi

  auth_b64=$(jq -r '.data.AUTH_SECRET // empty' <<<"$existing")
  if $dry_run; then
    say "AUTH_SECRET: kept when the Secret has one, else generated"
  elif [[ -n $auth_b64 ]]; then
    say "AUTH_SECRET: kept"
  else
    auth_b64=$(head -c 48 /dev/urandom | b64 | b64)
    say "AUTH_SECRET: generated (64 random characters)"
  fi
  if [[ -n ${LLM_API_KEY+set} ]]; then
    key_b64=$(printf '%s' "$LLM_API_KEY" | b64)
    if [[ -n $key_b64 ]]; then say "LLM_API_KEY: taken from the environment"; else say "LLM_API_KEY: dropped (set empty)"; fi
  else
    key_b64=$(jq -r '.data.LLM_API_KEY // empty' <<<"$existing")
    if [[ -n $key_b64 ]]; then say "LLM_API_KEY: kept"; else say "LLM_API_KEY: not set"; fi
  fi
  resolve_llm_settings "$existing"

  manifest=$(AUTH_B64=$auth_b64 KEY_B64=$key_b64 jq -n --arg name "$APP_SECRET" --arg ns "$NAMESPACE" \
    --arg provider "${llm[LLM_PROVIDER]}" --arg base_url "${llm[LLM_BASE_URL]}" --arg model "${llm[LLM_MODEL]}" '{
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: {name: $name, namespace: $ns, labels: {"app.kubernetes.io/managed-by": "deploy-kind"}},
    data: ({AUTH_SECRET: env.AUTH_B64, LLM_API_KEY: env.KEY_B64}
      + ({LLM_PROVIDER: $provider, LLM_BASE_URL: $base_url, LLM_MODEL: $model} | map_values(@base64))
      | with_entries(select(.value != "")))
  }')
  # Pods read the Secret only at start: its checksum in the backend's pod annotations rolls them when it changes.
  secret_checksum=$(printf '%s\n%s\n' "$auth_b64" "$key_b64" | sha256sum)
  secret_checksum=${secret_checksum%% *}
  if $dry_run; then secret_checksum="<sha256 of the Secret's data>"; fi
  run_stdin "$manifest" "(Secret $APP_SECRET with $(jq -r '.data | keys_unsorted | join(", ")' <<<"$manifest"); values not shown)" \
    "${kube[@]}" apply --server-side --force-conflicts --field-manager deploy-kind -f - ||
    die "$EXIT_DEPLOY" "could not apply Secret $NAMESPACE/$APP_SECRET"
}
