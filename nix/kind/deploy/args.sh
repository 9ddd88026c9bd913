# shellcheck shell=bash
# deploy-kind's command line and environment: usage text, parsing and validation (exit 2 before anything runs).

usage() {
  cat <<'TEXT'
Usage: deploy-kind [--cluster NAME] [--port N] [--values FILE]... [--skip-build] [--timeout DURATION] [--dry-run]

Deploys this build's images and the todo-chatbot Helm chart to a local kind cluster and prints the URL.
Every step is idempotent: run it again after a code change and both Deployments roll to the new images.

  --cluster NAME       kind cluster to use or create (default todo-chatbot)
  --port N             host port of the UI, fixed when the cluster is created (default 8080)
  --values FILE        extra Helm values after values-kind.yaml (repeatable; the image tags always win)
  --skip-build         load only the images the cluster's nodes do not already hold with the same tag; the
                       images themselves are built by Nix before this script starts and cannot be skipped
  --timeout DURATION   Helm and rollout timeout (default 10m)
  --dry-run            print every command in order and exit 0; runs nothing, changes nothing
  -h, --help           this text

Environment: LLM_PROVIDER (rules or openai), LLM_BASE_URL (http:// or https:// URL), LLM_MODEL and
LLM_API_KEY are stored in the Secret todo-chatbot-app beside the generated AUTH_SECRET and kept on later
runs; set one to change it, set it empty (LLM_MODEL=) to drop it. Secrets are never printed.
KIND_EXPERIMENTAL_PROVIDER=podman selects podman (chosen automatically when docker is absent).

Exit codes:
  0  deployed (or --dry-run)       4  image architecture differs from the docker/podman host
  1  deploy failed (diagnostics)   5  the host port is in use
  2  usage error, or values the    6  image archives missing or unusable (gzip, no tag, :latest)
     chart or the cluster refuses
  3  docker/podman missing or not reachable
TEXT
}

# LLM_BASE_URL as the backend uses it: scheme, host, optional path; no spaces.
valid_base_url() { [[ $1 =~ ^https?://[^[:space:]/?#]+([/?#][^[:space:]]*)?$ ]]; }

# LLM_PROVIDER and LLM_BASE_URL, when given (from the environment or from the Secret), must be usable.
check_llm_settings() {
  local provider=$1 base_url=$2 origin=$3
  case $provider in
    "" | rules | openai) ;;
    *) die "$EXIT_USAGE" "LLM_PROVIDER='$provider' ($origin): use rules or openai" ;;
  esac
  [[ -z $base_url ]] || valid_base_url "$base_url" ||
    die "$EXIT_USAGE" "LLM_BASE_URL='$base_url' ($origin): use an http:// or https:// URL such as https://api.openai.com/v1"
}

parse_args() {
  cluster=todo-chatbot port=8080 port_given=false dry_run=false skip_build=false timeout=10m
  extra_values=()
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
  # No leading zero: bash arithmetic reads 08080 as octal, and YAML would carry the text as it is.
  if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
    die "$EXIT_USAGE" "--port '$port' is not a TCP port (1-65535, no leading zero)"
  fi
  [[ $timeout =~ ^[0-9]+(s|m|h)$ ]] || die "$EXIT_USAGE" "--timeout '$timeout': use e.g. 300s or 10m"
  check_llm_settings "${LLM_PROVIDER:-}" "${LLM_BASE_URL:-}" "from the environment"
  local file
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
}
