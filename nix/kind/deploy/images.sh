# shellcheck shell=bash
# Step 3: the three archives into the cluster (`kind load image-archive` imports them with ctr into the k8s.io
# namespace of every node). With --skip-build an image that every node already holds under the same reference
# is not loaded again. The nodes' container runtime answers that (`crictl inspecti`, which kind itself asks in
# pkg/cluster/nodeutils/util.go), not the Node objects: the kubelet reports at most 50 images in
# status.images (nodeStatusMaxImages), the largest first, so small images like these drop out of it.

on_every_node() {
  local ref=$1 node
  for node in "${cluster_nodes[@]}"; do
    show "$engine" exec "$node" crictl inspecti "$ref"
    $dry_run && continue
    "$engine" exec "$node" crictl inspecti "$ref" >/dev/null 2>&1 || return 1
  done
}

step_images() {
  local c ref
  step 3 "loading images into $cluster"
  for c in "${COMPONENTS[@]}"; do
    ref=${repo[$c]}:${tag[$c]}
    if $skip_build && { $cluster_exists || $dry_run; }; then
      if on_every_node "$ref" && ! $dry_run; then
        say "$ref already on every node (--skip-build): not reloaded"
        continue
      fi
      if $dry_run; then say "(only if a node lacks $ref)"; fi
    fi
    run kind load image-archive "${file[$c]}" --name "$cluster" ||
      die "$EXIT_DEPLOY" "loading ${file[$c]} into $cluster failed (see kind's output above)"
  done
}
