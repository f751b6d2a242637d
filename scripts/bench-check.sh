#!/usr/bin/env bash
# Drift audit benchmark: wall time of one `keyturn check` (release build) against a
# `keyturn sim` on loopback, by number of Heroku apps and by simulated vendor latency.
#
#   scripts/bench-check.sh                          # apps 4 50 200 × latency 0 50 ms
#   APPS="4 200" LATENCIES="0 100" RUNS=20 scripts/bench-check.sh
#
# Each cell starts its own simulator (scenario app-stale: one app drifted, so every copy
# must be read and every distinct value validated with GET /account) and times whole
# `keyturn check --config …` processes with hyperfine (warm-up 2, RUNS runs). The time
# includes process start, config load, the Infisical login, and reading the vault, GitHub
# and every app. Exit code 1 (drift found) is expected and ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

APPS=${APPS:-"4 50 200"}
LATENCIES=${LATENCIES:-"0 50"}
RUNS=${RUNS:-10}
command -v hyperfine >/dev/null || { echo "bench-check: install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
bin=${KEYTURN_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --quiet
  bin=$PWD/target/release/keyturn
fi

work=$(mktemp -d)
sim_pid=
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

printf '| apps | latency | mean | min | max | σ |\n|---|---|---|---|---|---|\n'
for apps in $APPS; do
  for latency in $LATENCIES; do
    out=$work/sim-$apps-$latency.txt
    "$bin" sim --scenario app-stale --apps "$apps" --latency-ms "$latency" >"$out" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do grep -q '^--- end' "$out" 2>/dev/null && break; sleep 0.05; done
    sed -n '/^# keyturn.toml/,/^--- end/p' "$out" | grep -v '^--- end' >"$work/keyturn.toml"
    env_file=$work/env.sh
    grep '^ *export ' "$out" | sed 's/^ *//' >"$env_file"
    json=$work/h-$apps-$latency.json
    (
      # shellcheck disable=SC1090
      . "$env_file"
      hyperfine --style none --warmup 2 --runs "$RUNS" -i --export-json "$json" \
        "$bin check --config $work/keyturn.toml" >/dev/null
    )
    python3 - "$json" "$apps" "$latency" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
ms = lambda s: f"{s * 1000:.0f} ms"
print(f"| {sys.argv[2]} | {sys.argv[3]} ms | {ms(r['mean'])} | {ms(r['min'])} | {ms(r['max'])} | {ms(r['stddev'] or 0)} |")
PY
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
  done
done
