# shellcheck shell=bash
# Steps 6 and 7: every workload of the release rolled out, then `helm test`, then the URL and what to do next.

step_rollout() {
  local workloads workload
  step 6 "waiting for the rollout of every Deployment and StatefulSet"
  show "${kube[@]}" get deployments,statefulsets -l "app.kubernetes.io/instance=$RELEASE" -o name
  if $dry_run; then
    say "(for each KIND/NAME listed)"
    show "${kube[@]}" rollout status KIND/NAME --timeout "$timeout"
    return 0
  fi
  workloads=$("${kube[@]}" get deployments,statefulsets -l "app.kubernetes.io/instance=$RELEASE" -o name) ||
    deploy_failed "listing the workloads"
  for workload in $workloads; do
    run "${kube[@]}" rollout status "$workload" --timeout "$timeout" || deploy_failed "rollout of $workload"
  done
}

# Without --logs: Helm before 4.2.4 asks for a test pod's log without naming a container, which the API server
# refuses for a pod with several (helm pkg/action/release_testing.go GetPodLogs). The chart's test pods have one
# container each, but the script does not rely on it: a failed test is shown by deploy_failed, whose
# `kubectl logs --all-containers` reads every container.
step_test() {
  step 7 "helm test $RELEASE"
  run helm test "$RELEASE" --kube-context "$context" --namespace "$NAMESPACE" --timeout 5m || deploy_failed "helm test"
}

# Without a host port (a cluster made elsewhere), the frontend Service is reached by port-forward; its name and
# port are read from the cluster, as --values may have renamed it.
port_forward_hint() {
  local service
  service=$("${kube[@]}" get services -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=frontend" \
    -o jsonpath='{.items[0].metadata.name} {.items[0].spec.ports[0].port}' 2>/dev/null) || service=
  [[ $service == *" "* ]] || service="<frontend service> <its port>"
  printf '%s port-forward service/%s %s:%s' "${kube[*]}" "${service% *}" "$port" "${service##* }"
}

print_summary() {
  echo
  if $dry_run; then
    echo "Dry run done: nothing was changed."
    return 0
  fi
  if [[ -n $url_port ]]; then
    echo "Todo AI Chatbot is up: http://localhost:$url_port/"
  else
    echo "Todo AI Chatbot is up; open it through: $(port_forward_hint)"
  fi
  cat <<TEXT
  Log in:    open the URL, choose "Sign up", any email and a password of at least 8 characters.
  Pods:      ${kube[*]} get pods
  Logs:      ${kube[*]} logs -l app.kubernetes.io/component=backend --prefix --tail 100 -f
  Redeploy:  nix run .#deploy-kind   (after a code change: new image tags roll both Deployments)
  Remove:    $(down_command)   (add --release-only to keep the cluster)
TEXT
}
