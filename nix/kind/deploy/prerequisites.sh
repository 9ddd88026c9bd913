# shellcheck shell=bash
# Step 1: everything that can be checked before the cluster changes: the container engine, the image
# archives and their architecture, the chart's verdict on this run's values, the cluster's state, the host port.

# Per component: this build's tag (from the flake), and the archive's file, repository and tag as read from it.
declare -A want_tag=([backend]=${TODO_BACKEND_TAG:-} [frontend]=${TODO_FRONTEND_TAG:-} [postgres]=${TODO_POSTGRES_TAG:-})
declare -A file repo tag

normalize_arch() {
  case $1 in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) echo "$1" ;;
  esac
}

# Architectures an engine reports (uname -m style, Docker's Info.Architecture and podman's Host.Arch).
known_arch() {
  case $1 in
    amd64 | arm64 | armv7l | armv6l | i386 | i686 | ppc64le | s390x | riscv64 | mips64le | loong64) return 0 ;;
    *) return 1 ;;
  esac
}

# Checks one docker-archive and sets archive_repo, archive_tag, archive_arch.
inspect_archive() {
  local archive=$1 expected_tag=$2 magic manifest repotag config
  [[ -f $archive ]] || die "$EXIT_IMAGES" "image archive $archive not found (build the images with: nix build .#images)"
  magic=$(od -An -tx1 -N4 "$archive" | tr -d ' \n')
  case $magic in
    1f8b*) die "$EXIT_IMAGES" "$archive is gzip-compressed; kind loads plain docker-archives only: build it with compressor = \"none\" (docs/deploy.md, Troubleshooting)" ;;
    28b52ffd) die "$EXIT_IMAGES" "$archive is zstd-compressed; kind loads plain docker-archives only: build it with compressor = \"none\" (docs/deploy.md, Troubleshooting)" ;;
  esac
  manifest=$(tar -xOf "$archive" manifest.json 2>/dev/null) ||
    die "$EXIT_IMAGES" "$archive is not a docker-archive (no manifest.json inside)"
  repotag=$(jq -r '.[0].RepoTags[0] // empty' <<<"$manifest")
  [[ -n $repotag ]] || die "$EXIT_IMAGES" "$archive has no RepoTags; kind would import it as import-<date> and no pod could find it"
  archive_repo=${repotag%:*}
  archive_tag=${repotag##*:}
  [[ $repotag == *:* && $archive_tag != */* ]] || die "$EXIT_IMAGES" "$archive: image $repotag has no tag"
  [[ $archive_tag != latest ]] ||
    die "$EXIT_IMAGES" "$archive is tagged ':latest', which Kubernetes always pulls (ImagePullBackOff on kind); give the image a fixed or content tag"
  [[ -z $expected_tag || $expected_tag == "$archive_tag" ]] ||
    die "$EXIT_IMAGES" "$archive holds $repotag, but this build's tag is '$expected_tag'; rebuild with: nix build .#images"
  config=$(jq -r '.[0].Config // empty' <<<"$manifest")
  archive_arch=$( (tar -xOf "$archive" "$config" 2>/dev/null || true) | jq -r '.architecture // empty' 2>/dev/null || true)
  [[ -n $archive_arch ]] || die "$EXIT_IMAGES" "$archive: no architecture in the image config $config"
  archive_arch=$(normalize_arch "$archive_arch")
}

check_archives() {
  local c
  images_arch=
  for c in "${COMPONENTS[@]}"; do
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
}

# The engine's architecture is the kind node's. Only its standard output is the value: docker CLI before 28.1
# exits 0 when the daemon is down and prints the connection error on stderr (docker/cli
# cli/command/system/info.go); 28.1 and later exit 1. Either way an empty or unknown value means unreachable.
check_engine_arch() {
  local arch_cmd raw reason node_arch
  if [[ $engine == podman ]]; then
    arch_cmd=(podman info --format '{{.Host.Arch}}')
  else
    arch_cmd=(docker info --format '{{.Architecture}}')
  fi
  show "${arch_cmd[@]}"
  $dry_run && return 0
  if raw=$("${arch_cmd[@]}" 2>/dev/null) && node_arch=$(normalize_arch "$raw") && known_arch "$node_arch"; then
    [[ $node_arch == "$images_arch" ]] ||
      die "$EXIT_ARCH" "the images are $images_arch but $engine (and so every kind node) runs $node_arch: pods would fail with 'exec format error'." \
        "Build the images for $node_arch-linux (docs/deploy.md, Troubleshooting)."
    say "$engine reachable, nodes run $node_arch like the images"
    return 0
  fi
  reason=$("${arch_cmd[@]}" 2>&1 >/dev/null | tail -n 1 || true)
  die "$EXIT_ENGINE" "$engine is installed but not reachable (${reason:-it reported no architecture})." "$(engine_start_hint)"
}

# The chart's schema and checks judge this run's values offline (`helm template`), before any cluster change.
check_values() {
  local doc refusal
  doc=$(values_document "(computed in step 4)" "${LLM_PROVIDER:-}" "${LLM_BASE_URL:-}" "${LLM_MODEL:-}")
  local template=(helm template "$RELEASE" "$chart" --namespace "$NAMESPACE" --skip-tests "${values_args[@]}")
  show_stdin "(this run's values, as in step 5)" "${template[@]}"
  $dry_run && return 0
  refusal=$("${template[@]}" 2>&1 >/dev/null <<<"$doc") ||
    die "$EXIT_USAGE" "the chart refuses these values; nothing was changed. Helm says: $refusal"
  say "the chart accepts these values"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_cluster_state() {
  show kind get clusters
  cluster_exists=false
  if $dry_run; then
    say "host port $port: checked free before the cluster is created"
  elif cluster_listed; then
    cluster_exists=true
    say "cluster $cluster exists"
  else
    ! port_in_use "$port" ||
      die "$EXIT_PORT" "port $port on 127.0.0.1 is in use, so kind cannot map the UI there." \
        "Stop what listens on it (see: ss -ltnp 'sport = :$port', or lsof -i :$port) or choose another port with --port N."
    say "cluster $cluster missing; host port $port is free"
  fi
}

step_prerequisites() {
  step 1 "checking prerequisites (container engine, images, architecture, values, cluster, host port)"
  detect_engine
  check_archives
  build_values_args
  check_engine_arch
  check_values
  check_cluster_state
}
