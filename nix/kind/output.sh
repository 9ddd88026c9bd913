# shellcheck shell=bash
# Output of deploy-kind and kind-down: every command is printed before it runs (or, with --dry-run, instead of
# running), quoted so it can be pasted. The caller sets PROGRAM (the prefix of error lines) and dry_run.

die() {
  local code=$1
  shift
  printf '%s: error: %s\n' "$PROGRAM" "$*" >&2
  exit "$code"
}

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

show() { printf '    $ %s\n' "$(quote "$@")"; }

run() {
  show "$@"
  $dry_run || "$@"
}

# show_stdin SHOWN CMD...: prints CMD as fed a here-document whose text is SHOWN.
show_stdin() {
  local shown=$1 line
  shift
  printf '    $ %s <<EOF\n' "$(quote "$@")"
  while IFS= read -r line; do printf '      %s\n' "$line"; done <<<"$shown"
  printf '    EOF\n'
}

# run_stdin DOC SHOWN CMD...: CMD reads DOC on stdin (never argv); SHOWN is printed in its place, so a
# document holding secrets can be described instead of shown.
run_stdin() {
  local doc=$1 shown=$2
  shift 2
  show_stdin "$shown" "$@"
  $dry_run || "$@" <<<"$doc"
}
