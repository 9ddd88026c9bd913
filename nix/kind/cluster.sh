# shellcheck shell=bash
# The kind cluster of deploy-kind and kind-down: whether it exists, whether its node containers run, and a
# kube context for it. The caller sets cluster, context, engine, dry_run, EXIT_ENGINE and EXIT_DEPLOY.

# `nix run .#kind-down` for this cluster, as the user types it.
down_command() {
  if [[ $cluster == todo-chatbot ]]; then
    printf 'nix run .#kind-down'
  else
    printf 'nix run .#kind-down -- --cluster %s' "$cluster"
  fi
}

# kind lists a cluster while its node containers exist, running or not (`docker ps -a` in
# pkg/cluster/internal/providers/{docker,podman}/provider.go), so listed is not the same as running.
cluster_listed() {
  local clusters name
  clusters=$(kind get clusters 2>/dev/null) || die "$EXIT_ENGINE" "'kind get clusters' failed; is $engine reachable? $(engine_start_hint)"
  while read -r name; do
    [[ $name == "$cluster" ]] && return 0
  done <<<"$clusters"
  return 1
}

# Sets cluster_nodes (every node container of the cluster) and stopped_nodes (those not running). A reboot
# leaves podman's nodes stopped (kind gives them no restart policy); docker restarts its nodes once
# (--restart=on-failure:1 in kind's docker provider) but not after `docker stop`.
read_node_states() {
  local node running
  cluster_nodes=() stopped_nodes=()
  mapfile -t cluster_nodes < <(kind get nodes --name "$cluster" 2>/dev/null)
  ((${#cluster_nodes[@]})) || die "$EXIT_DEPLOY" "kind lists cluster $cluster but no node of it; recreate it: $(down_command) (deletes its data)"
  for node in "${cluster_nodes[@]}"; do
    running=$("$engine" container inspect --format '{{.State.Running}}' "$node" 2>/dev/null) || running=unknown
    [[ $running == true ]] || stopped_nodes+=("$node")
  done
}

# Starts the stopped node containers; kind gave the API server a fixed host port, so the kubeconfig stays valid.
start_stopped_nodes() {
  local node
  for node in "${stopped_nodes[@]}"; do
    run "$engine" start "$node" ||
      die "$EXIT_DEPLOY" "could not start node $node of kind cluster $cluster (see $engine's message above)." \
        "Start it yourself ($engine start $node) and run this again, or recreate the cluster, which deletes its data:" \
        "$(down_command) && nix run .#deploy-kind"
  done
}

# A cluster made under another KUBECONFIG has no context here; kind writes it back (from the running node).
ensure_kube_context() {
  show kubectl config get-contexts "$context"
  if $dry_run; then
    say "(only if the context is missing)"
    show kind export kubeconfig --name "$cluster"
  elif ! kubectl config get-contexts "$context" >/dev/null 2>&1; then
    run kind export kubeconfig --name "$cluster" || die "$EXIT_DEPLOY" "kind could not write the kubeconfig of $cluster"
  fi
}

# After a node start the API server needs a few seconds; waits up to two minutes.
wait_for_api_server() {
  local tries=60
  show kubectl --context "$context" get --raw /readyz
  $dry_run && return 0
  until kubectl --context "$context" get --raw /readyz >/dev/null 2>&1; do
    ((--tries > 0)) ||
      die "$EXIT_DEPLOY" "the API server of kind cluster $cluster did not become ready within 2 minutes after its node started." \
        "Look at: $engine logs ${cluster_nodes[0]}; or recreate the cluster, which deletes its data: $(down_command) && nix run .#deploy-kind"
    sleep 2
  done
}

# The cluster as the release needs it: nodes running, a context, an answering API server.
ensure_cluster_usable() {
  read_node_states
  if ((${#stopped_nodes[@]})); then
    say "node(s) stopped (e.g. after a reboot): ${stopped_nodes[*]}; starting them"
    start_stopped_nodes
    ensure_kube_context
    wait_for_api_server
  else
    ensure_kube_context
  fi
}
