#!/bin/bash
# How soon a burst of CPU stall makes the daemon sample at its elevated interval, three ways
# side by side: PSI triggers (the kernel wakes the daemon), the stall totals polled every
# poll_interval_ms (use_triggers = false), and neither (enabled = false: the stress score of the
# next normal sample, every 5 s). For each way the daemon of BUILD_DIR runs with a temporary HOME;
# ROUNDS times: wait until sampling is normal, start SPINNERS busy loops (default: 2 per CPU, a
# CPU "some" stall near 100 %), time until rogue_hunter_sampling_state{state="elevated"} is 1
# (read every 20 ms, at most TIMEOUT s), stop the loops, wait for normal sampling again
# (min_elevated_seconds is 1 here). Prints each way's median, min and max and its ratio to the
# triggers' median. Needs a quiet machine: other load fires the triggers on its own.
# Usage: bench/pressure_burst.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: bench/pressure_burst.sh BUILD_DIR}
rh=${RH:-$build/exporter/rogue-hunter}
rounds=${ROUNDS:-7}
spinners=${SPINNERS:-$((2 * $(nproc)))}
timeout=${TIMEOUT:-20}
tmp=$(mktemp -d)
daemon=""
loops=()

stop_loops() {
  if [ ${#loops[@]} -gt 0 ]; then
    kill "${loops[@]}" 2>/dev/null || true
    wait "${loops[@]}" 2>/dev/null || true
  fi
  loops=()
}
stop_daemon() {
  if [ -n "$daemon" ]; then
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  daemon=""
}
cleanup() {
  stop_loops
  stop_daemon
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elevated() {
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk '$1 == "rogue_hunter_sampling_state{state=\"elevated\"}" || $1 == "rogue_hunter_sampling_state{state=\"critical\"}" { s += $2 } END { print s + 0 }'
}
wait_for() {  # wait_for 0|1: until elevated (or critical) sampling is that, at most $timeout s
  local deadline
  deadline=$(awk -v t="$(now)" -v d="$timeout" 'BEGIN { printf "%.3f", t + d }')
  while [ "$(elevated)" != "$1" ]; do
    if awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }'; then return 1; fi
    sleep 0.02
  done
}

# run NAME TOML: ROUNDS bursts against a daemon with the [pressure_triggers] table TOML.
run() {
  local name=$1 toml=$2
  export HOME="$tmp/$name" XDG_CONFIG_HOME="$tmp/$name/.config"
  export XDG_DATA_HOME="$tmp/$name/.local/share"
  mkdir -p "$XDG_CONFIG_HOME"
  port=$((20000 + RANDOM % 20000))
  printf '[sampling]\nmin_elevated_seconds = 1\n[forensics]\nenabled = false\n[pressure_triggers]\n%s\n' \
    "$toml" >"$tmp/$name.toml"
  "$rh" daemon --config "$tmp/$name.toml" --listen "127.0.0.1:$port" 2>"$tmp/$name.log" &
  daemon=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
  done
  : >"$tmp/$name.times"
  for _ in $(seq "$rounds"); do
    wait_for 0 || { echo "$name: sampling never went back to normal"; cat "$tmp/$name.log"; exit 1; }
    sleep 1  # a normal interval under way, as when a burst comes unannounced
    local start
    start=$(now)
    for _ in $(seq "$spinners"); do
      (while :; do :; done) &
      loops+=($!)
    done
    if wait_for 1; then
      awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }' >>"$tmp/$name.times"
    else
      echo "$name: not elevated within $timeout s" >&2
      echo "$timeout" >>"$tmp/$name.times"
    fi
    stop_loops
  done
  grep -h "pressure" "$tmp/$name.log" | head -3 || true
  stop_daemon
}

run triggers 'use_triggers = true'
run polling 'use_triggers = false'
run score_only 'enabled = false'

reference=$(sort -n "$tmp/triggers.times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
# A round that timed out counts as TIMEOUT seconds: its figures are then lower bounds (">=").
printf '%-11s %10s %10s %10s %12s %9s\n' way median_s min_s max_s "/ triggers" timeouts
for name in triggers polling score_only; do
  sort -n "$tmp/$name.times" | awk -v name="$name" -v ref="$reference" -v limit="$timeout" '
    function show(x) { return (x >= limit ? ">=" : "") sprintf("%.3f", x) }
    { v[NR] = $1; late += ($1 >= limit) }
    END {
      m = v[int((NR + 1) / 2)]
      printf "%-11s %10s %10s %10s %12s %9d\n", name, show(m), show(v[1]), show(v[NR]),
             (m >= limit ? ">=" : "") sprintf("%.1f", m / ref), late
    }'
done
