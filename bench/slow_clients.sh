#!/bin/sh
# Scrapes under slow clients, rogue-hunter side by side with node_exporter (Debian's
# prometheus-node-exporter): for 0, 100 and 1,000 connections that each send one header line
# every 0.5 s without ever finishing their request (bench/slow_clients, reconnecting whenever the
# server closes one), 20 scrapes of /metrics one every 0.5 s, and the server's RSS while the
# connections are held.
# Usage: bench/slow_clients.sh BUILD_DIR   (the bench or dev preset: both build slow_clients)
# RH_CONFIG=FILE runs rogue-hunter with that configuration (e.g. "[http] threads = 4", the
# setting before issue #10, to see the starvation).
set -eu

build=${1:?usage: bench/slow_clients.sh BUILD_DIR}
rh_bin="$build/exporter/rogue-hunter"
tool="$build/bench/slow_clients"
counts=${COUNTS:-0 100 1000}
scrapes=${SCRAPES:-20}
tmp=$(mktemp -d)
rh_pid=""
ne_pid=""
cleanup() {
  for p in $rh_pid $ne_pid; do kill "$p" 2>/dev/null || true; done
  for p in $rh_pid $ne_pid; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' /proc/"$1"/status; }
threads() { awk '/^Threads:/ {print $2}' /proc/"$1"/status; }
wait_http() {
  i=0
  while ! curl -sf -o /dev/null "$1"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "no answer from $1" >&2; exit 1; }; sleep 0.1
  done
}

rh_port=$(free_port)
ne_port=$(free_port)
mkdir -p "$tmp/home"
HOME="$tmp/home" XDG_DATA_HOME= XDG_CONFIG_HOME= "$rh_bin" daemon --listen "127.0.0.1:$rh_port" \
  ${RH_CONFIG:+--config "$RH_CONFIG"} 2>"$tmp/rh.log" &
rh_pid=$!
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
  --collector.loadavg --collector.pressure --collector.meminfo --collector.vmstat --collector.stat \
  --collector.cpu 2>"$tmp/ne.log" &
ne_pid=$!
wait_http "http://127.0.0.1:$rh_port/metrics"
wait_http "http://127.0.0.1:$ne_port/metrics"
sleep 2

echo "== /metrics under slow clients ($scrapes scrapes each, one every 0.5 s; latency in ms)"
printf '%-14s %6s %4s %6s %8s %8s %8s %10s %8s %8s\n' target slow ok failed p50 p90 max reconnects rss_MiB threads
for n in $counts; do
  for target in rogue-hunter node_exporter; do
    if [ "$target" = rogue-hunter ]; then port=$rh_port; pid=$rh_pid; else port=$ne_port; pid=$ne_pid; fi
    out="$tmp/$target.$n.out"
    : >"$out"
    "$tool" --port "$port" --connections "$n" --interval-ms 500 --scrapes "$scrapes" \
      --scrape-interval-ms 500 --scrape-timeout-ms 5000 >"$out" 2>&1 &
    tool_pid=$!
    # The server's memory and threads while the connections are held, halfway through.
    half=$((scrapes / 2))
    i=0
    while ! grep -q "^scrape $half " "$out" && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
    rss=$(rss_mib "$pid")
    th=$(threads "$pid")
    wait "$tool_pid"
    awk -v t="$target" -v n="$n" -v rss="$rss" -v th="$th" '/^summary/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%-14s %6d %4s %6s %8s %8s %8s %10s %8s %8s\n", t, n, v["ok"], v["failed"], v["p50_ms"],
             v["p90_ms"], v["max_ms"], v["reconnects"], rss, th }' "$out"
  done
done
echo "(rogue-hunter closes a request whose headers are not complete after http.request_timeout_ms,"
echo " 5 s, and the tool reconnects at once; node_exporter has no header deadline by default.)"
