#!/bin/sh
# Idle CPU of rogue-hunter with OTLP export on against the same daemon with it off, side by side:
# two daemons with default settings, one with [otel] endpoint pointing at the test suite's
# collector (tests/otel/collector; `make test` installs its packages), both scraped once a second
# for IDLE_SECONDS, ROUNDS times. CPU is the sum over the daemon's threads of the time on CPU in
# /proc/PID/task/*/schedstat (nanoseconds). Nothing is sent while nothing happens, so the ratio
# must stay within 1.05; the records the collector received during the rounds are printed.
# Usage: bench/otel_idle.sh BUILD_DIR   (IDLE_SECONDS=120 ROUNDS=3 by default)
set -eu

build=${1:?usage: bench/otel_idle.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
rh_bin="$build/exporter/rogue-hunter"
idle_seconds=${IDLE_SECONDS:-120}
rounds=${ROUNDS:-3}
collector_dir="$here/../tests/otel/collector"
[ -d "$collector_dir/node_modules" ] || {
  echo "otel_idle: $collector_dir/node_modules is missing: run make test (or scripts/install-node-deps.sh tests/otel/collector)" >&2
  exit 2
}
tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Nanoseconds on CPU of every thread of a process.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }
wait_http() {
  i=0
  while ! curl -sf -o /dev/null "$1"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "no answer from $1" >&2; exit 1; }; sleep 0.1
  done
}

node "$collector_dir/collector.js" >"$tmp/collector.out" 2>"$tmp/collector.err" &
pids="$pids $!"
i=0
until grep -q port "$tmp/collector.out" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "the collector did not start" >&2; exit 1; }; sleep 0.1
done
collector_port=$(sed 's/[^0-9]//g' "$tmp/collector.out")
collector="http://127.0.0.1:$collector_port"

for mode in off on; do
  mkdir -p "$tmp/$mode/home"
  : >"$tmp/$mode/config.toml"
  if [ "$mode" = on ]; then
    printf '[otel]\nendpoint = "%s/v1/logs"\n' "$collector" >"$tmp/$mode/config.toml"
  fi
  port=$(free_port)
  HOME="$tmp/$mode/home" XDG_DATA_HOME= XDG_CONFIG_HOME= \
    "$rh_bin" daemon --config "$tmp/$mode/config.toml" --listen "127.0.0.1:$port" \
    2>"$tmp/$mode/log" &
  pids="$pids $!"
  eval "pid_$mode=$!"
  eval "url_$mode=http://127.0.0.1:$port/metrics"
done
wait_http "$url_off"
wait_http "$url_on"
sleep 5

records() { curl -s "$collector/control/requests" | grep -o '"eventName"' | wc -l; }
echo "== Idle CPU, OTLP export off and on side by side, scraped once a second (${rounds} x ${idle_seconds}s)"
printf '%6s %14s %14s %8s %8s\n' round "off ms/s" "on ms/s" ratio records
total_off=0
total_on=0
for round in $(seq "$rounds"); do
  sent_before=$(records)
  off_before=$(cpu_ns "$pid_off")
  on_before=$(cpu_ns "$pid_on")
  end=$(( $(date +%s) + idle_seconds ))
  first=$url_off second=$url_on
  while [ "$(date +%s)" -lt "$end" ]; do
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$first"
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$second"
    tmp_url=$first first=$second second=$tmp_url  # neither is always scraped first
    sleep 1
  done
  off=$(( $(cpu_ns "$pid_off") - off_before ))
  on=$(( $(cpu_ns "$pid_on") - on_before ))
  total_off=$((total_off + off))
  total_on=$((total_on + on))
  awk -v r="$round" -v a="$off" -v b="$on" -v s="$idle_seconds" -v n="$(( $(records) - sent_before ))" \
    'BEGIN {printf "%6s %14.3f %14.3f %8.3f %8d\n", r, a / s / 1e6, b / s / 1e6, b / a, n}'
done
awk -v a="$total_off" -v b="$total_on" 'BEGIN {
  r = b / a
  printf "all rounds: on / off = %.3f (limit 1.05) %s\n", r, (r <= 1.05 ? "OK" : "ABOVE LIMIT")
  exit (r <= 1.05 ? 0 : 1)}'
