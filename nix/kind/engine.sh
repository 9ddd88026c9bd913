# shellcheck shell=bash
# The container engine kind runs its nodes on, chosen as kind chooses it (kind pkg/cluster/provider.go):
# KIND_EXPERIMENTAL_PROVIDER, else a real Docker, else podman (a `docker` that is podman's shim counts as
# podman). Sets `engine` and exports KIND_EXPERIMENTAL_PROVIDER=podman when podman is chosen, so every kind
# call of the script agrees. The caller sets EXIT_ENGINE.

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

# What to do when the engine does not answer, for the error messages.
engine_start_hint() {
  if [[ $engine == podman ]]; then
    echo "Start podman (on macOS and Windows: podman machine start), then run this again."
  else
    echo "Start Docker (Docker Desktop, or: sudo systemctl start docker), then run this again."
  fi
}
