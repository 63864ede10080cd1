#!/bin/bash
# Resident memory of two rogue-hunter binaries and node_exporter, side by side, measured in
# alternating rounds: each is started alone, scraped once a second for 20 s, and its VmRSS read.
# The candidate is also measured with $NOTIFY_SOCKET set (as under systemd, where it loads
# libsystemd). The daemons run with forensics off and no stress state change, so that a capture
# triggered by a busy machine does not count against one of them.
# Usage: bench/rss.sh BASELINE_BINARY CANDIDATE_BINARY [ROUNDS]
set -eu
baseline=${1:?usage: bench/rss.sh BASELINE_BINARY CANDIDATE_BINARY [ROUNDS]}
candidate=${2:?usage: bench/rss.sh BASELINE_BINARY CANDIDATE_BINARY [ROUNDS]}
rounds=${3:-4}
tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
printf '[sampling]\nelevation_threshold = 100\nrecovery_threshold = 99\ncritical_threshold = 100\n[forensics]\nenabled = false\n' >"$tmp/config.toml"
port=$((20000 + RANDOM % 20000))

# measure NAME COMMAND...: prints "NAME RSS_KIB".
measure() {
  local name=$1
  shift
  mkdir -p "$tmp/home"
  HOME="$tmp/home" "$@" 2>/dev/null &
  local pid=$!
  pids="$pids $pid"
  for _ in $(seq 20); do
    sleep 1
    curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true
  done
  echo "$name $(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$tmp/home"
}

python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); time.sleep(86400)' \
  "$tmp/notify" &
pids="$pids $!"
sleep 0.5
for _ in $(seq "$rounds"); do
  measure baseline "$baseline" daemon --config "$tmp/config.toml" --listen "127.0.0.1:$port"
  measure candidate "$candidate" daemon --config "$tmp/config.toml" --listen "127.0.0.1:$port"
  measure candidate+NOTIFY_SOCKET env NOTIFY_SOCKET="$tmp/notify" "$candidate" daemon \
    --config "$tmp/config.toml" --listen "127.0.0.1:$port"
  measure node_exporter prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
    --collector.disable-defaults --collector.loadavg --collector.pressure --collector.meminfo \
    --collector.vmstat --collector.stat --collector.cpu
done
