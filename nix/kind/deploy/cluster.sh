# shellcheck shell=bash
# Step 2: the kind cluster. A missing one is created with the UI's NodePort mapped to the host; an existing one
# is kept: its stopped nodes are started, its kube context restored, and the host port it maps read back.

kind_config() {
  cat <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: $NODE_PORT
        hostPort: $port
        listenAddress: "127.0.0.1"
        protocol: TCP
YAML
}

# The port mapping is fixed when a cluster is created; this reads the one the cluster has.
read_ui_port() {
  local mapping node=$cluster-control-plane
  show "$engine" port "$node" "$NODE_PORT/tcp"
  mapping=$("$engine" port "$node" "$NODE_PORT/tcp" 2>/dev/null | head -n 1 || true)
  if [[ -n $mapping ]]; then
    url_port=${mapping##*:}
    if $port_given && [[ $url_port != "$port" ]]; then
      say "warning: cluster $cluster already maps the UI to port $url_port; --port $port applies only to a new cluster ($(down_command) first)"
    fi
    say "UI on host port $url_port"
  else
    url_port=
    say "warning: cluster $cluster has no host port for NodePort $NODE_PORT (not created by this script); use the port-forward printed at the end"
  fi
}

create_cluster() {
  local config
  config=$(kind_config)
  run_stdin "$config" "$config" kind create cluster --name "$cluster" --config - --wait 120s ||
    die "$EXIT_DEPLOY" "kind could not create cluster $cluster (see its output above)"
  url_port=$port
  cluster_nodes=("$cluster-control-plane")
}

step_cluster() {
  if $dry_run; then
    step 2 "kind cluster $cluster: created when missing (NodePort $NODE_PORT -> 127.0.0.1:$port), else kept"
    say "(only if 'kind get clusters' does not list $cluster)"
    create_cluster
    say "(only if the cluster exists and its node is stopped)"
    show "$engine" start "$cluster-control-plane"
    ensure_kube_context
  elif $cluster_exists; then
    step 2 "kind cluster $cluster exists: kept"
    ensure_cluster_usable
    read_ui_port
  else
    step 2 "creating kind cluster $cluster (NodePort $NODE_PORT -> 127.0.0.1:$port)"
    create_cluster
  fi
}
