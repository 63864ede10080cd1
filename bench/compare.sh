#!/bin/sh
# rogue-hunter side by side with node_exporter (Debian's prometheus-node-exporter, with the
# comparable collector set of issue #2), on loopback, in one run:
#   1. /metrics throughput with wrk at concurrency 1 and 8, CPU per request and RSS;
#   2. idle cost: both scraped once a second for IDLE_SECONDS, CPU used and RSS.
# Usage: bench/compare.sh BUILD_DIR   (make bench runs it on build/bench)
# Exits non-zero when a requirement of docs/benchmarks.md is missed.
set -eu

build=${1:?usage: bench/compare.sh BUILD_DIR}
rh_bin="$build/exporter/rogue-hunter"
duration=${WRK_SECONDS:-10}
idle_seconds=${IDLE_SECONDS:-120}
rounds=${ROUNDS:-3}
tmp=$(mktemp -d)
rh_pid=""
ne_pid=""
cleanup() {
  for p in $rh_pid $ne_pid; do kill "$p" 2>/dev/null || true; done
  for p in $rh_pid $ne_pid; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
  awk 'BEGIN{srand(); print 20000 + int(rand()*20000)}'; }

# CPU time (user + system) of a process in nanoseconds, threads that already exited included
# (Go starts and ends threads). /proc/PID/stat counts in clock ticks (10 ms); the runs are long
# enough for hundreds of ticks.
ticks=$(getconf CLK_TCK)
cpu_ns() { awk -v hz="$ticks" '{printf "%.0f", ($14 + $15) * 1e9 / hz}' /proc/"$1"/stat; }
rss_kb() { awk '/^VmRSS:/ {print $2}' /proc/"$1"/status; }

wait_http() {
  i=0
  while ! curl -sf -o /dev/null "$1"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "no answer from $1" >&2; exit 1; }; sleep 0.1
  done
}

rh_port=$(free_port)
ne_port=$(free_port)
mkdir -p "$tmp/home"
HOME="$tmp/home" XDG_DATA_HOME= XDG_CONFIG_HOME= "$rh_bin" daemon --listen "127.0.0.1:$rh_port" 2>"$tmp/rh.log" &
rh_pid=$!
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
  --collector.loadavg --collector.pressure --collector.meminfo --collector.vmstat --collector.stat \
  --collector.cpu 2>"$tmp/ne.log" &
ne_pid=$!
rh_url="http://127.0.0.1:$rh_port/metrics"
ne_url="http://127.0.0.1:$ne_port/metrics"
wait_http "$rh_url"
wait_http "$ne_url"
sleep 2

status=0
echo "== /metrics throughput (wrk ${duration}s per run, ${rounds} rounds, alternating; Accept-Encoding: gzip as Prometheus sends)"
printf '%-12s %4s %12s %14s %10s\n' target conc "requests/s" "cpu us/request" "rss KiB"
for conc in 1 8; do
  threads=$([ "$conc" -eq 1 ] && echo 1 || echo 2)
  for round in $(seq "$rounds"); do
    for target in rogue-hunter node_exporter; do
      if [ "$target" = rogue-hunter ]; then pid=$rh_pid url=$rh_url; else pid=$ne_pid url=$ne_url; fi
      before=$(cpu_ns "$pid")
      wrk -t"$threads" -c"$conc" -d"${duration}s" -H 'Accept-Encoding: gzip' "$url" >"$tmp/wrk.txt"
      after=$(cpu_ns "$pid")
      rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
      total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
      cpu=$(awk -v a="$before" -v b="$after" -v n="$total" 'BEGIN {printf "%.1f", (b - a) / n / 1000}')
      printf '%-12s %4s %12s %14s %10s\n' "$target" "$conc" "$rps" "$cpu" "$(rss_kb "$pid")"
      echo "$conc $target $rps $cpu" >>"$tmp/results.txt"
    done
  done
  awk -v c="$conc" '$1 == c && $2 == "rogue-hunter" {r += $3; n++} $1 == c && $2 == "node_exporter" {e += $3; m++}
    END {ratio = (r / n) / (e / m); printf "concurrency %s: rogue-hunter / node_exporter throughput = %.1fx (floor 10x) %s\n", c, ratio, (ratio >= 10 ? "OK" : "BELOW FLOOR"); exit (ratio >= 10 ? 0 : 1)}' \
    "$tmp/results.txt" || status=1
done

echo "== Idle: both scraped once a second for ${idle_seconds}s (default settings; rogue-hunter stores samples)"
rh_before=$(cpu_ns "$rh_pid")
ne_before=$(cpu_ns "$ne_pid")
end=$(( $(date +%s) + idle_seconds ))
"$build/bench/sleep_loop" "$idle_seconds" >"$tmp/floor.txt" &
floor_pid=$!
while [ "$(date +%s)" -lt "$end" ]; do
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$rh_url"
  curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$ne_url"
  sleep 1
done
wait "$floor_pid"
floor=$(cat "$tmp/floor.txt")
rh_cpu=$(( $(cpu_ns "$rh_pid") - rh_before ))
ne_cpu=$(( $(cpu_ns "$ne_pid") - ne_before ))
rh_rss=$(rss_kb "$rh_pid")
ne_rss=$(rss_kb "$ne_pid")
echo "Reference: a bare loop sleeping to 20 ms deadlines (the watchdog's wake-ups alone) used $floor ms/s"
awk -v r="$rh_cpu" -v e="$ne_cpu" -v s="$idle_seconds" 'BEGIN {
  printf "CPU: rogue-hunter %.3f ms/s, node_exporter %.3f ms/s, ratio %.2f (limit 1) %s\n", r / s / 1e6, e / s / 1e6, r / e, (r <= e ? "OK" : "ABOVE LIMIT")
  exit (r <= e ? 0 : 1)}' || status=1
awk -v r="$rh_rss" -v e="$ne_rss" 'BEGIN {
  printf "RSS: rogue-hunter %d KiB, node_exporter %d KiB, ratio %.2f (limit 0.5) %s\n", r, e, r / e, (r <= e / 2 ? "OK" : "ABOVE LIMIT")
  exit (r <= e / 2 ? 0 : 1)}' || status=1
exit "$status"
