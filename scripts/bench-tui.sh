#!/usr/bin/env bash
# TUI benchmark: time to the first frame, and CPU used while idle. Linux only (/proc).
#
#   scripts/bench-tui.sh                 # 3 runs, 60 s idle per phase, release build
#   RUNS=5 IDLE_SECS=120 scripts/bench-tui.sh
#
# Each run starts `keyturn demo` (scenario github-stale, release build) in a private tmux
# server at 120×40 and measures:
#   first frame   launch → the first frame drawn (the SIMULATION banner is on screen)
#   panels filled launch → the first frame with every panel read (vault /account, GitHub
#                 last deploy, four app verdicts) and the Path B confirmation open
# (capture-pane polled every ~10 ms, so both carry ~10-20 ms of polling granularity and
# include tmux's own start), then the process's CPU time (utime+stime of all its threads,
# /proc/<pid>/stat) over IDLE_SECS seconds
#   idle/confirm  left alone on the Path B confirmation
#   idle/finished after Enter: Path B and the verify steps ran, "Finished: completed"
# Nothing polls the screen during an idle window. The demo's simulator is a detached process
# of its own (its pid is in the demo folder's sim.json); idle CPU is keyturn's and the
# simulator's together, so it includes the pollers' refresh (every 30 s) and the simulated
# vendors answering them, besides the TUI's 1 s heartbeat redraw.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
IDLE_SECS=${IDLE_SECS:-60}
bin=${KEYTURN_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --quiet
  bin=$PWD/target/release/keyturn
fi
command -v tmux >/dev/null || { echo "bench-tui: tmux is not installed" >&2; exit 2; }
tck=$(getconf CLK_TCK)

work=$(mktemp -d)
sock=$work/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  for handoff in "$work"/demo-*/sim.json; do
    [[ -f $handoff ]] && kill "$(sim_pid "$(dirname "$handoff")")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
t() { tmux -S "$sock" -f /dev/null "$@"; }

now_ns() { date +%s%N; }

# The pid of the demo simulator serving demo folder $1 (from its handoff file).
sim_pid() { sed -n 's/^ *"pid": \([0-9]*\),$/\1/p' "$1/sim.json"; }

# utime + stime of the given processes together, in clock ticks (fields 14 and 15; the
# command name in field 2 may hold spaces, so count from the last ')').
cpu_ticks() {
  local stat pid total=0
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat")
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

panels_filled() {
  grep -q '/account: 200' <<<"$1" &&
    grep -q 'last deploy: ' <<<"$1" &&
    (($(grep -cE '│raxx-[^│]*(valid|401)' <<<"$1") >= 4)) &&
    grep -q 'Confirm: Path B' <<<"$1"
}

# Polls every ~10 ms until the predicate holds; 60 s at most.
wait_screen() {
  local deadline=$((SECONDS + 60)) screen
  while ((SECONDS < deadline)); do
    screen=$(t capture-pane -p -t bench 2>/dev/null || true)
    if "$@" "$screen"; then return 0; fi
    sleep 0.01
  done
  echo "bench-tui: timed out waiting for $*; last screen:" >&2
  t capture-pane -p -t bench >&2 || true
  exit 1
}

has_banner() { grep -q 'SIMULATION' <<<"$1"; }
finished() { grep -q 'Finished: completed' <<<"$1" && grep -q 'last deploy: success' <<<"$1" && ! grep -q STALE <<<"$1"; }

# CPU % of one core over IDLE_SECS of the given processes together, plus the raw ticks.
idle_cpu() {
  local before after ticks
  before=$(cpu_ticks "$@")
  sleep "$IDLE_SECS"
  after=$(cpu_ticks "$@")
  ticks=$((after - before))
  # ticks / tck seconds of CPU over IDLE_SECS seconds, in percent (three decimals).
  printf '%s %d' "$(awk -v t="$ticks" -v h="$tck" -v s="$IDLE_SECS" 'BEGIN { printf "%.3f", 100 * t / h / s }')" "$ticks"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary:  $bin"
echo "runs: $RUNS, idle window: ${IDLE_SECS}s, CLK_TCK $tck"
echo
printf '%-4s %12s %14s %22s %22s\n' run 'first frame' 'panels filled' 'idle/confirm CPU' 'idle/finished CPU'

first=() filled=() confirm=() done_=()
for run in $(seq 1 "$RUNS"); do
  demo=$work/demo-$run
  start=$(now_ns)
  t new-session -d -s bench -x 120 -y 40 \
    env -u NO_COLOR TERM=xterm-256color HOME="$work/home" XDG_STATE_HOME="$work/state" \
    "$bin" demo --dir "$demo"
  wait_screen has_banner
  f_ms=$((($(now_ns) - start) / 1000000))
  wait_screen panels_filled
  p_ms=$((($(now_ns) - start) / 1000000))
  pid=$(t display-message -p -t bench '#{pane_pid}')
  [[ $(</proc/"$pid"/comm) == keyturn ]] || { echo "bench-tui: pane pid $pid is not keyturn" >&2; exit 1; }
  spid=$(sim_pid "$demo")

  read -r c_pct c_ticks <<<"$(idle_cpu "$pid" "$spid")"
  t send-keys -t bench Enter
  wait_screen finished
  read -r d_pct d_ticks <<<"$(idle_cpu "$pid" "$spid")"
  t kill-server
  kill "$spid" 2>/dev/null || true

  first+=("$f_ms") filled+=("$p_ms") confirm+=("$c_pct") done_+=("$d_pct")
  printf '%-4s %9s ms %11s ms %13s%% (%3s ticks) %13s%% (%3s ticks)\n' \
    "$run" "$f_ms" "$p_ms" "$c_pct" "$c_ticks" "$d_pct" "$d_ticks"
done

printf '%-4s %9s ms %11s ms %13s%% %25s%%\n' median \
  "$(median "${first[@]}")" "$(median "${filled[@]}")" "$(median "${confirm[@]}")" "$(median "${done_[@]}")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
