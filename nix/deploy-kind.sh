#!/usr/bin/env bash
# `nix run .#deploy-kind`: the images of this build and the Helm chart on a local kind cluster, in one command.
#
# nix/apps.nix wraps this file with writeShellApplication (kind, kubectl, helm, jq, tar and coreutils on PATH)
# and sets, in a short prelude, what the flake built:
#   TODO_IMAGES_DIR    directory holding todo-backend.tar, todo-frontend.tar, todo-postgres.tar (docker-archives)
#   TODO_CHART_DIR     the todo-chatbot chart, values-kind.yaml included
#   TODO_BACKEND_TAG, TODO_FRONTEND_TAG, TODO_POSTGRES_TAG    tags of this build (must match the archives)
# nix/tests runs this very file with stub values and stub tools.
set -euo pipefail

readonly RELEASE=todo NAMESPACE=todo APP_SECRET=todo-chatbot-app NODE_PORT=30080
readonly EXIT_DEPLOY=1 EXIT_USAGE=2 EXIT_ENGINE=3 EXIT_ARCH=4 EXIT_PORT=5 EXIT_IMAGES=6
readonly STEPS=7

usage() {
  cat <<'EOF'
Usage: deploy-kind [--cluster NAME] [--port N] [--values FILE]... [--skip-build] [--timeout DURATION] [--dry-run]

Deploys this build's images and the todo-chatbot Helm chart to a local kind cluster and prints the URL.
Every step is idempotent: run it again after a code change and both Deployments roll to the new images.

  --cluster NAME       kind cluster to use or create (default todo-chatbot)
  --port N             host port of the UI, fixed when the cluster is created (default 8080)
  --values FILE        extra Helm values after values-kind.yaml (repeatable; the image tags always win)
  --skip-build         load only the images the cluster does not already have with the same tag; the
                       images themselves are built by Nix before this script starts and cannot be skipped
  --timeout DURATION   Helm and rollout timeout (default 10m)
  --dry-run            print every command in order and exit 0; runs nothing, changes nothing
  -h, --help           this text

Environment: LLM_PROVIDER, LLM_BASE_URL, LLM_MODEL (chart values) and LLM_API_KEY (kept in the Secret
todo-chatbot-app with the generated AUTH_SECRET) are used when set; secrets are never printed.
KIND_EXPERIMENTAL_PROVIDER=podman selects podman (chosen automatically when docker is absent).

Exit codes:
  0  deployed (or --dry-run)       4  image architecture differs from the docker/podman host
  1  deploy failed (diagnostics)   5  the host port is in use
  2  usage error                   6  image archives missing or unusable (gzip, no tag, :latest)
  3  docker/podman missing or not reachable
EOF
}

cluster=todo-chatbot port=8080 port_given=false dry_run=false skip_build=false timeout=10m
extra_values=()

die() {
  local code=$1
  shift
  printf 'deploy-kind: error: %s\n' "$*" >&2
  exit "$code"
}
step() { printf '==> [%s/%s] %s\n' "$1" "$STEPS" "$2"; }
say() { printf '    %s\n' "$*"; }
# A command line, shell-quoted only where needed, ready to paste.
quote() {
  local arg out=()
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_@%+=:,./-]+$ || $arg =~ ^[A-Za-z0-9_@%+=:./{}-]+$ ]]; then
      out+=("$arg")
    else
      out+=("$(printf '%q' "$arg")")
    fi
  done
  printf '%s' "${out[*]}"
}
# Prints a command as it is (or, with --dry-run, would be) run.
show() { printf '    $ %s\n' "$(quote "$@")"; }
run() {
  show "$@"
  $dry_run || "$@"
}
# run_stdin DOC SHOWN CMD...: CMD reads DOC on stdin (never argv); SHOWN is what gets printed instead of DOC.
run_stdin() {
  local doc=$1 shown=$2 line
  shift 2
  printf '    $ %s <<EOF\n' "$(quote "$@")"
  while IFS= read -r line; do printf '      %s\n' "$line"; done <<<"$shown"
  printf '    EOF\n'
  $dry_run || "$@" <<<"$doc"
}

while (($#)); do
  case $1 in
    --dry-run) dry_run=true ;;
    --skip-build) skip_build=true ;;
    --cluster | --port | --values | --timeout)
      (($# >= 2)) || die "$EXIT_USAGE" "$1 needs a value (see --help)"
      case $1 in
        --cluster) cluster=$2 ;;
        --port) port=$2 port_given=true ;;
        --values) extra_values+=("$2") ;;
        --timeout) timeout=$2 ;;
      esac
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
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((port < 1 || port > 65535)); then
  die "$EXIT_USAGE" "--port '$port' is not a TCP port (1-65535)"
fi
[[ $timeout =~ ^[0-9]+(s|m|h)$ ]] || die "$EXIT_USAGE" "--timeout '$timeout': use e.g. 300s or 10m"
case ${LLM_PROVIDER:-rules} in
  rules | openai) ;;
  *) die "$EXIT_USAGE" "LLM_PROVIDER='$LLM_PROVIDER': use rules or openai" ;;
esac
for file in "${extra_values[@]}"; do
  [[ -f $file && -r $file ]] || die "$EXIT_USAGE" "--values $file: no such readable file"
done

images_dir=${TODO_IMAGES_DIR:-}
chart=${TODO_CHART_DIR:-}
[[ -n $images_dir && -d $images_dir ]] ||
  die "$EXIT_IMAGES" "TODO_IMAGES_DIR '${images_dir}' is not a directory; run this through 'nix run .#deploy-kind'"
[[ -n $chart && -f $chart/Chart.yaml && -f $chart/values-kind.yaml ]] ||
  die "$EXIT_USAGE" "TODO_CHART_DIR '${chart}' is not the todo-chatbot chart (Chart.yaml, values-kind.yaml)"
context=kind-$cluster
kctl=(kubectl --context "$context")
kube=("${kctl[@]}" --namespace "$NAMESPACE")
if $dry_run; then
  echo "Dry run: commands are printed in order, none is run. Queries decide the steps marked '(only if ...)'."
fi

# --- 1. prerequisites ------------------------------------------------------------------------------------

normalize_arch() {
  case $1 in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) echo "$1" ;;
  esac
}

# The container engine kind runs its nodes on, chosen like kind does: KIND_EXPERIMENTAL_PROVIDER, else a real
# Docker, else podman (a `docker` that is podman's shim counts as podman).
detect_engine() {
  case ${KIND_EXPERIMENTAL_PROVIDER:-} in
    docker | podman) engine=$KIND_EXPERIMENTAL_PROVIDER ;;
    "")
      if command -v docker >/dev/null 2>&1 && { $dry_run || [[ $(docker -v 2>/dev/null) == "Docker version"* ]]; }; then
        engine=docker
      elif command -v podman >/dev/null 2>&1; then
        engine=podman
      elif command -v docker >/dev/null 2>&1; then
        engine=docker
      elif $dry_run; then
        say "warning: neither docker nor podman is installed; a real run stops here (exit $EXIT_ENGINE)"
        engine=docker
        return 0
      else
        die "$EXIT_ENGINE" "neither docker nor podman is installed; kind runs its nodes as containers." \
          "Install Docker (https://docs.docker.com/engine/install/) or Podman, start it, and run this again."
      fi
      ;;
    *) die "$EXIT_ENGINE" "KIND_EXPERIMENTAL_PROVIDER=${KIND_EXPERIMENTAL_PROVIDER}: only docker and podman are supported here" ;;
  esac
  command -v "$engine" >/dev/null 2>&1 ||
    die "$EXIT_ENGINE" "KIND_EXPERIMENTAL_PROVIDER=$engine, but $engine is not installed"
  if [[ $engine == podman ]]; then
    export KIND_EXPERIMENTAL_PROVIDER=podman
  fi
}

# Checks one docker-archive and sets archive_repo, archive_tag, archive_arch.
inspect_archive() {
  local file=$1 want_tag=$2 magic manifest repotag config
  [[ -f $file ]] || die "$EXIT_IMAGES" "image archive $file not found (build the images with: nix build .#images)"
  magic=$(od -An -tx1 -N4 "$file" | tr -d ' \n')
  case $magic in
    1f8b*) die "$EXIT_IMAGES" "$file is gzip-compressed; kind loads plain docker-archives only: build it with compressor = \"none\" (README, Troubleshooting)" ;;
    28b52ffd) die "$EXIT_IMAGES" "$file is zstd-compressed; kind loads plain docker-archives only: build it with compressor = \"none\" (README, Troubleshooting)" ;;
  esac
  manifest=$(tar -xOf "$file" manifest.json 2>/dev/null) ||
    die "$EXIT_IMAGES" "$file is not a docker-archive (no manifest.json inside)"
  repotag=$(jq -r '.[0].RepoTags[0] // empty' <<<"$manifest")
  [[ -n $repotag ]] || die "$EXIT_IMAGES" "$file has no RepoTags; kind would import it as import-<date> and no pod could find it"
  archive_repo=${repotag%:*}
  archive_tag=${repotag##*:}
  [[ $repotag == *:* && $archive_tag != */* ]] || die "$EXIT_IMAGES" "$file: image $repotag has no tag"
  [[ $archive_tag != latest ]] ||
    die "$EXIT_IMAGES" "$file is tagged ':latest', which Kubernetes always pulls (ImagePullBackOff on kind); give the image a fixed or content tag"
  [[ -z $want_tag || $want_tag == "$archive_tag" ]] ||
    die "$EXIT_IMAGES" "$file holds $repotag, but this build's tag is '$want_tag'; rebuild with: nix build .#images"
  config=$(jq -r '.[0].Config // empty' <<<"$manifest")
  archive_arch=$( (tar -xOf "$file" "$config" 2>/dev/null || true) | jq -r '.architecture // empty' 2>/dev/null || true)
  [[ -n $archive_arch ]] || die "$EXIT_IMAGES" "$file: no architecture in the image config $config"
  archive_arch=$(normalize_arch "$archive_arch")
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

step 1 "checking prerequisites (container engine, images, architecture, cluster, host port)"
detect_engine
components=(backend frontend postgres)
declare -A chart_key=([backend]=backend [frontend]=frontend [postgres]=postgresql)
declare -A want_tag=([backend]=${TODO_BACKEND_TAG:-} [frontend]=${TODO_FRONTEND_TAG:-} [postgres]=${TODO_POSTGRES_TAG:-})
declare -A file repo tag
images_arch=
for c in "${components[@]}"; do
  file[$c]=$images_dir/todo-$c.tar
  inspect_archive "${file[$c]}" "${want_tag[$c]}"
  repo[$c]=$archive_repo
  tag[$c]=$archive_tag
  if [[ -n $images_arch && $archive_arch != "$images_arch" ]]; then
    die "$EXIT_ARCH" "the images disagree on architecture ($images_arch vs $archive_arch in ${file[$c]})"
  fi
  images_arch=$archive_arch
  say "image ${repo[$c]}:${tag[$c]} ($archive_arch)"
done

if [[ $engine == podman ]]; then
  arch_cmd=(podman info --format '{{.Host.Arch}}')
else
  arch_cmd=(docker info --format '{{.Architecture}}')
fi
show "${arch_cmd[@]}"
if ! $dry_run; then
  engine_out=$("${arch_cmd[@]}" 2>&1) || die "$EXIT_ENGINE" "$engine is installed but not reachable ($(tail -n 1 <<<"$engine_out"))." \
    "Start Docker (Docker Desktop, or: sudo systemctl start docker) or the podman machine (podman machine start), then run this again."
  node_arch=$(normalize_arch "$(tail -n 1 <<<"$engine_out")")
  [[ $node_arch == "$images_arch" ]] ||
    die "$EXIT_ARCH" "the images are $images_arch but $engine (and so every kind node) runs $node_arch: pods would fail with 'exec format error'." \
      "Build the images for $node_arch-linux (README, Troubleshooting)."
  say "$engine reachable, nodes run $node_arch like the images"
fi

show kind get clusters
cluster_exists=false
if ! $dry_run; then
  clusters=$(kind get clusters 2>/dev/null) || die "$EXIT_ENGINE" "'kind get clusters' failed; is $engine reachable?"
  while read -r name; do
    [[ $name == "$cluster" ]] && cluster_exists=true
  done <<<"$clusters"
fi

url_port=$port
if $cluster_exists; then
  # The port mapping is fixed when a cluster is created; read the one this cluster has.
  show "$engine" port "$cluster-control-plane" "$NODE_PORT/tcp"
  mapping=$("$engine" port "$cluster-control-plane" "$NODE_PORT/tcp" 2>/dev/null | head -n 1 || true)
  if [[ -n $mapping ]]; then
    url_port=${mapping##*:}
    if $port_given && [[ $url_port != "$port" ]]; then
      say "warning: cluster $cluster already maps the UI to port $url_port; --port $port applies only to a new cluster (nix run .#kind-down first)"
    fi
    say "cluster $cluster exists; UI on host port $url_port"
  else
    url_port=
    say "warning: cluster $cluster has no host port for NodePort $NODE_PORT (not created by this script); use the port-forward printed at the end"
  fi
elif $dry_run; then
  say "host port $port: checked free before the cluster is created"
else
  ! port_in_use "$port" ||
    die "$EXIT_PORT" "port $port on 127.0.0.1 is in use, so kind cannot map the UI there." \
      "Stop what listens on it (see: ss -ltnp 'sport = :$port', or lsof -i :$port) or choose another port with --port N."
  say "cluster $cluster missing; host port $port is free"
fi

# --- 2. cluster --------------------------------------------------------------------------------------------

kind_config="kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: $NODE_PORT
        hostPort: $port
        listenAddress: \"127.0.0.1\"
        protocol: TCP"

if $cluster_exists; then
  step 2 "kind cluster $cluster exists: kept"
  # A cluster made under another KUBECONFIG has no context here; kind writes it back.
  show kubectl config get-contexts "$context"
  if ! kubectl config get-contexts "$context" >/dev/null 2>&1; then
    run kind export kubeconfig --name "$cluster" || die "$EXIT_DEPLOY" "kind could not write the kubeconfig of $cluster"
  fi
else
  step 2 "creating kind cluster $cluster (NodePort $NODE_PORT -> 127.0.0.1:$port)"
  if $dry_run; then say "(only if 'kind get clusters' does not list $cluster)"; fi
  run_stdin "$kind_config" "$kind_config" kind create cluster --name "$cluster" --config - --wait 120s ||
    die "$EXIT_DEPLOY" "kind could not create cluster $cluster (see its output above)"
fi

# --- 3. images ---------------------------------------------------------------------------------------------

step 3 "loading images into $cluster"
have_images=
if $skip_build && { $cluster_exists || $dry_run; }; then
  show "${kctl[@]}" get nodes -o json
  if ! $dry_run; then have_images=$("${kctl[@]}" get nodes -o json); fi
fi
for c in "${components[@]}"; do
  ref=${repo[$c]}:${tag[$c]}
  if [[ -n $have_images ]] && jq -e --arg short "$ref" --arg long "docker.io/library/$ref" \
    '[.items[] | [.status.images[]?.names[]?] | (index($short) != null or index($long) != null)] | all and length > 0' \
    <<<"$have_images" >/dev/null; then
    say "$ref already on every node (--skip-build): not reloaded"
    continue
  fi
  if $dry_run && $skip_build; then say "(only if the nodes do not list $ref)"; fi
  run kind load image-archive "${file[$c]}" --name "$cluster" ||
    die "$EXIT_DEPLOY" "loading ${file[$c]} into $cluster failed (see kind's output above)"
done

# --- 4. secret ---------------------------------------------------------------------------------------------

b64() { base64 | tr -d '\n'; }

step 4 "Secret $NAMESPACE/$APP_SECRET (AUTH_SECRET generated once and kept; LLM_API_KEY from the environment)"
show "${kctl[@]}" get namespace "$NAMESPACE"
if $dry_run; then
  say "(only if the namespace is missing)"
  show "${kctl[@]}" create namespace "$NAMESPACE"
elif ! "${kctl[@]}" get namespace "$NAMESPACE" >/dev/null 2>&1; then
  run "${kctl[@]}" create namespace "$NAMESPACE" || die "$EXIT_DEPLOY" "could not create namespace $NAMESPACE"
fi
# The Secret's values travel only through pipes and stdin, never on a command line or to the terminal.
show "${kube[@]}" get secret "$APP_SECRET" -o json --ignore-not-found
existing=
if ! $dry_run; then
  existing=$("${kube[@]}" get secret "$APP_SECRET" -o json --ignore-not-found) ||
    die "$EXIT_DEPLOY" "could not read Secret $NAMESPACE/$APP_SECRET"
fi
auth_b64=$(jq -r '.data.AUTH_SECRET // empty' <<<"${existing:-null}")
if $dry_run; then
  say "AUTH_SECRET: kept when the Secret has one, else generated"
elif [[ -n $auth_b64 ]]; then
  say "AUTH_SECRET: kept"
else
  auth_b64=$(head -c 48 /dev/urandom | b64 | b64)
  say "AUTH_SECRET: generated (64 random characters)"
fi
if [[ -n ${LLM_API_KEY:-} ]]; then
  llm_b64=$(printf '%s' "$LLM_API_KEY" | b64)
  say "LLM_API_KEY: taken from the environment"
else
  llm_b64=$(jq -r '.data.LLM_API_KEY // empty' <<<"${existing:-null}")
  if [[ -n $llm_b64 ]]; then say "LLM_API_KEY: kept"; else say "LLM_API_KEY: not set"; fi
fi
secret_manifest=$(AUTH_B64=$auth_b64 LLM_B64=$llm_b64 jq -n --arg name "$APP_SECRET" --arg ns "$NAMESPACE" '{
  apiVersion: "v1", kind: "Secret", type: "Opaque",
  metadata: {name: $name, namespace: $ns, labels: {"app.kubernetes.io/managed-by": "deploy-kind"}},
  data: ({AUTH_SECRET: env.AUTH_B64} + (if env.LLM_B64 == "" then {} else {LLM_API_KEY: env.LLM_B64} end))
}')
# Pods read the Secret only at start: its checksum in the backend's pod annotations rolls them when it changes.
secret_checksum=$(printf '%s\n%s\n' "$auth_b64" "$llm_b64" | sha256sum)
secret_checksum=${secret_checksum%% *}
if $dry_run; then secret_checksum="<sha256 of the Secret's data>"; fi
run_stdin "$secret_manifest" "(Secret $APP_SECRET with AUTH_SECRET$([[ -n $llm_b64 ]] && echo ' and LLM_API_KEY'); values not shown)" \
  "${kube[@]}" apply --server-side --force-conflicts --field-manager deploy-kind -f - ||
  die "$EXIT_DEPLOY" "could not apply Secret $NAMESPACE/$APP_SECRET"
unset existing auth_b64 llm_b64 secret_manifest

# --- 5. helm -----------------------------------------------------------------------------------------------

# Plain (non-secret) values of this run, on stdin: the LLM settings from the environment and the checksum.
values_doc=$(CHECKSUM=$secret_checksum jq -n '
  def opt($key; $var): if (env[$var] // "") == "" then {} else {($key): env[$var]} end;
  {backend: {podAnnotations: {"todo-chatbot/app-secret-checksum": env.CHECKSUM}}}
  + ((opt("provider"; "LLM_PROVIDER") + opt("baseUrl"; "LLM_BASE_URL") + opt("model"; "LLM_MODEL"))
     | if . == {} then {} else {llm: .} end)')

step 5 "helm upgrade --install $RELEASE (tags ${tag[backend]}, ${tag[frontend]}, ${tag[postgres]})"
helm_args=(upgrade --install "$RELEASE" "$chart" --kube-context "$context" --namespace "$NAMESPACE" --create-namespace
  --values "$chart/values-kind.yaml" --values -)
for file in "${extra_values[@]}"; do
  helm_args+=(--values "$file")
done
for c in "${components[@]}"; do
  helm_args+=(--set "${chart_key[$c]}.image.repository=${repo[$c]}" --set "${chart_key[$c]}.image.tag=${tag[$c]}")
done
helm_args+=(--set "existingSecret=$APP_SECRET" --wait --timeout "$timeout")

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
  printf 'deploy-kind: error: %s failed; the failing pods follow.\n' "$1" >&2
  diagnose
  printf '\ndeploy-kind: see README, Troubleshooting; re-run when fixed (every step is idempotent).\n' >&2
  exit "$EXIT_DEPLOY"
}

run_stdin "$values_doc" "$values_doc" helm "${helm_args[@]}" || deploy_failed "helm upgrade --install"

# --- 6. rollout --------------------------------------------------------------------------------------------

step 6 "waiting for the rollout of every Deployment and StatefulSet"
show "${kube[@]}" get deployments,statefulsets -l "app.kubernetes.io/instance=$RELEASE" -o name
if $dry_run; then
  say "(for each KIND/NAME listed)"
  show "${kube[@]}" rollout status KIND/NAME --timeout "$timeout"
else
  workloads=$("${kube[@]}" get deployments,statefulsets -l "app.kubernetes.io/instance=$RELEASE" -o name) ||
    deploy_failed "listing the workloads"
  for workload in $workloads; do
    run "${kube[@]}" rollout status "$workload" --timeout "$timeout" || deploy_failed "rollout of $workload"
  done
fi

# --- 7. helm test ------------------------------------------------------------------------------------------

step 7 "helm test $RELEASE"
run helm test "$RELEASE" --kube-context "$context" --namespace "$NAMESPACE" --timeout 5m --logs || deploy_failed "helm test"

down=(nix run .#kind-down)
[[ $cluster == todo-chatbot ]] || down+=(-- --cluster "$cluster")
echo
if $dry_run; then
  echo "Dry run done: nothing was changed."
  exit 0
fi
if [[ -n $url_port ]]; then
  echo "Todo AI Chatbot is up: http://localhost:$url_port/"
else
  echo "Todo AI Chatbot is up; open it through: ${kube[*]} port-forward service/$RELEASE-todo-chatbot-frontend 8080:3000"
fi
cat <<EOF
  Log in:    open the URL, choose "Sign up", any email and a password of at least 8 characters.
  Pods:      ${kube[*]} get pods
  Logs:      ${kube[*]} logs -l app.kubernetes.io/component=backend --prefix --tail 100 -f
  Redeploy:  nix run .#deploy-kind   (after a code change: new image tags roll both Deployments)
  Remove:    ${down[*]}   (add --release-only to keep the cluster)
EOF
