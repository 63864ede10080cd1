#!/bin/bash
# The daemon's own CPU share with its default configuration on a machine with COUNT processes:
# starts sleeping processes until the machine has about COUNT, starts the daemon (a temporary
# HOME, so storage and forensics are on), lets it run WARMUP seconds, then measures its CPU time
# (utime + stime of /proc/PID/stat, every thread) over SECONDS and prints it as a share of one
# CPU, with the sampling interval, the self-limits back-off and the scans it skipped.
# The sleepers and the daemon are stopped by PID on exit.
# Usage: bench/self_cost.sh BUILD_DIR [COUNT] [SECONDS] [WARMUP]   (defaults: 20000 120 70)
set -eu
build=${1:?usage: bench/self_cost.sh BUILD_DIR [COUNT] [SECONDS] [WARMUP]}
want=${2:-20000}
seconds=${3:-120}
warmup=${4:-70}
rh="$build/exporter/rogue-hunter"
tmp=$(mktemp -d)
sleepers=()
daemon=""
cleanup() {
  [ -z "$daemon" ] || { kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; }
  if [ ${#sleepers[@]} -gt 0 ]; then
    kill "${sleepers[@]}" 2>/dev/null || true
    wait "${sleepers[@]}" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

processes() { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }
ticks=$(getconf CLK_TCK)
cpu_s() { awk -v hz="$ticks" '{printf "%.2f", ($14 + $15) / hz}' /proc/"$1"/stat; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v s="$1" '$1 == s {print $2}'; }

have=$(processes)
while [ "$have" -lt "$want" ]; do
  for _ in $(seq $(((want - have) < 500 ? (want - have) : 500))); do
    sleep 3600 &
    sleepers+=($!)
  done
  have=$(processes)
done

port=$((20000 + RANDOM % 20000))
mkdir -p "$tmp/home"
HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
  "$rh" daemon --listen "127.0.0.1:$port" 2>"$tmp/daemon.log" &
daemon=$!
sleep "$warmup"
c0=$(cpu_s "$daemon")
t0=$(date +%s.%N)
sleep "$seconds"
c1=$(cpu_s "$daemon")
t1=$(date +%s.%N)
echo "processes: $(metric 'rogue_hunter_processes{state="sleeping"}') sleeping of $have"
echo "sampling interval now: $(metric rogue_hunter_sampling_interval_seconds) s;" \
  "processes collector: $(metric 'rogue_hunter_collector_duration_seconds{collector="processes"}') s last pass"
echo "back-off (cpu): $(metric 'rogue_hunter_self_backoff{reason="cpu"}');" \
  "back-offs started: $(metric 'rogue_hunter_self_backoffs_total{reason="cpu"}');" \
  "scans skipped: $(metric 'rogue_hunter_self_deferred_scans_total{collector="processes"}')"
awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN {
  printf "daemon CPU over %.0f s: %.2f s = %.2f%% of one CPU\n", e - s, b - a, (b - a) / (e - s) * 100 }'
grep 'self-limits' "$tmp/daemon.log" || echo "(no self-limits line in the log)"
