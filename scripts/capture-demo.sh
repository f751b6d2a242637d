#!/usr/bin/env bash
# Reproduces docs/screenshots/demo-path-b.txt: the final screen of `keyturn demo` (scenario
# github-stale) after Path B and the verify steps, as plain text, at 120×40.
#
#   scripts/capture-demo.sh [OUTPUT]      # default: docs/screenshots/demo-path-b.txt
#
# Runs keyturn in a private tmux server (its own socket, no user config), presses Enter on
# the Path B confirmation, waits until the runbook finished and the GitHub panel is no
# longer STALE, and captures the pane. The demo writes its journal and postmortem to
# $KEYTURN_DEMO_DIR (default /tmp/keyturn-demo, a fixed path so the screenshot reads well),
# which must not exist yet and is removed afterwards. KEYTURN_BIN picks the binary
# (default: target/debug/keyturn, built first).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-docs/screenshots/demo-path-b.txt}
demo_dir=${KEYTURN_DEMO_DIR:-/tmp/keyturn-demo}
if [[ -z ${KEYTURN_BIN:-} ]]; then
  cargo build --quiet
  bin=$PWD/target/debug/keyturn
else
  bin=$KEYTURN_BIN
fi
command -v tmux >/dev/null || { echo "capture-demo: tmux is not installed" >&2; exit 2; }
if [[ -e $demo_dir ]]; then
  echo "capture-demo: $demo_dir exists; remove it or set KEYTURN_DEMO_DIR" >&2
  exit 2
fi

work=$(mktemp -d)
sock=$work/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  # The demo's simulator is a detached process; a finished demo stops it, this is in case.
  if [[ -f $demo_dir/sim.json ]]; then
    kill "$(sed -n 's/^ *"pid": \([0-9]*\),$/\1/p' "$demo_dir/sim.json")" 2>/dev/null || true
  fi
  rm -rf "$work" "$demo_dir"
}
trap cleanup EXIT
t() { tmux -S "$sock" -f /dev/null "$@"; }

# Polls the screen until every given extended regex matches and `STALE` (when $2 is
# "no-stale") does not; 60 s at most.
wait_for() {
  local deadline=$((SECONDS + 60)) screen
  while ((SECONDS < deadline)); do
    screen=$(t capture-pane -p -t demo)
    if grep -qE "$1" <<<"$screen" && { [[ ${2:-} != no-stale ]] || ! grep -q 'STALE' <<<"$screen"; }; then
      return 0
    fi
    sleep 0.1
  done
  echo "capture-demo: timed out waiting for /$1/; last screen:" >&2
  t capture-pane -p -t demo >&2
  exit 1
}

t new-session -d -s demo -x 120 -y 40 \
  env -u NO_COLOR TERM=xterm-256color HOME="$work/home" XDG_STATE_HOME="$work/state" \
  "$bin" demo --dir "$demo_dir"
wait_for 'Confirm: Path B'
t send-keys -t demo Enter
wait_for 'last deploy: success' no-stale
wait_for 'Finished: completed' no-stale
mkdir -p "$(dirname "$out")"
t capture-pane -p -t demo >"$out"
t send-keys -t demo q
echo "capture-demo: wrote $out"
