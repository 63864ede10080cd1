#!/bin/bash
# /metrics and the JSON API under sustained load, and a normal scrape among slow clients
# (docs/benchmarks.md, "Load and slow clients"). Starts the daemon of BUILD_DIR with its default
# configuration (a temporary HOME, so storage is on), then:
#   1. ROUNDS times, for each endpoint of ENDPOINTS: wrk with CONNECTIONS connections for
#      SECONDS_PER_ENDPOINT, VmRSS after each; fails on any socket error or non-2xx answer;
#   2. the daemon's samples of the whole run, read back with `rogue-hunter history --format csv`:
#      fails if one came later than the interval in force after the previous one plus SLACK
#      seconds, or if a sequence number is missing;
#   3. VmRSS after a warm-up (new connections until each of the WORKERS HTTP threads served
#      one, then WARMUP seconds of the same load on each endpoint) and after the load; fails if
#      it grew by more than RSS_GROWTH_KIB;
#   (SLOW_CLIENTS=0 skips step 4.)
#   4. scrapes of /metrics one after the other for SCRAPE_SECONDS, timed with curl (bounded by
#      SCRAPE_TIMEOUT), half a second apart, alone and then while
#      SLOW_CLIENTS connections each send a header line a second and never end the request (bench/slow_clients,
#      reconnecting when the server closes them); prints both latency distributions and fails
#      if a scrape among slow clients fails or takes more than SLOW_LIMIT seconds.
# Usage: bench/load.sh BUILD_DIR   a build with RH_BUILD_BENCHMARKS=ON (make bench: build/bench);
#        RH=path/to/rogue-hunter runs another build of the daemon.
# Endpoints are a list: add each new /api/* endpoint to ENDPOINTS below (or pass ENDPOINTS=...).
set -euo pipefail

build=${1:?usage: bench/load.sh BUILD_DIR}
rh=${RH:-$build/exporter/rogue-hunter}
slow_bin="$build/bench/slow_clients"
endpoints=(${ENDPOINTS:-/metrics /api/status /api/processes /api/events})
seconds=${SECONDS_PER_ENDPOINT:-60}
connections=${CONNECTIONS:-64}
slack=${SLACK:-0.25}
rss_growth_limit=${RSS_GROWTH_KIB:-1024}
slow_clients=${SLOW_CLIENTS:-300}
scrape_seconds=${SCRAPE_SECONDS:-60}
scrape_timeout=${SCRAPE_TIMEOUT:-10}
slow_limit=${SLOW_LIMIT:-1}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-1}
status=0

tmp=$(mktemp -d)
daemon=""
slow=""
cleanup() {
  [ -z "$slow" ] || kill "$slow" 2>/dev/null || true
  [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
  [ -z "$slow" ] || wait "$slow" 2>/dev/null || true
  [ -z "$daemon" ] || wait "$daemon" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

rss_kib() { awk '/^VmRSS:/ {print $2}' /proc/"$1"/status; }
fail() { echo "FAIL: $*"; status=1; }

port=$((20000 + RANDOM % 20000))
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
mkdir -p "$HOME"
"$rh" daemon --listen "127.0.0.1:$port" 2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { cat "$tmp/daemon.log"; exit 1; }
# Warm-up, with the same requests as the load: the first samples, the history file, and the
# allocator's arenas at their working size (the gzipped /metrics page is compressed on whichever
# HTTP thread asks first after a sample, and zlib's 270 KiB of state stays in that arena).
# civetweb hands each new connection to the worker that has waited longest, so every one of its
# http.threads (1,100 by default) serves once before any serves twice, and the first request
# of each touches about 4 KiB more of its stack: RSS rises to that bound as new connections come
# and then stays flat. Reach it first: short runs of new connections until every worker served.
for _ in $(seq $(( (${WORKERS:-1100} + connections - 1) / connections + 1 ))); do
  wrk -t2 -c"$connections" -d1s "http://127.0.0.1:$port/healthz" >/dev/null
done
for endpoint in "${endpoints[@]}"; do
  wrk -t2 -c"$connections" -d"${warmup}s" -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port$endpoint" >/dev/null
done
start_time=$(date +%s.%N)
rss_start=$(rss_kib "$daemon")

echo "== wrk: $connections connections, ${seconds} s per endpoint"
for round in $(seq "$rounds"); do for endpoint in "${endpoints[@]}"; do
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port$endpoint" >"$tmp/wrk.txt"
  requests=$(awk '$2 == "requests" && $3 == "in" {print $1}' "$tmp/wrk.txt")
  rate=$(awk '$1 == "Requests/sec:" {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
  errors=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$tmp/wrk.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $5}' "$tmp/wrk.txt")
  echo "round $round, $endpoint: $requests requests, $rate/s, latency p50 $p50 p99 $p99," \
    "socket errors ${errors:-0}, non-2xx ${non2xx:-0}, VmRSS $(rss_kib "$daemon") KiB"
  [ "${errors:-0}" -eq 0 ] || fail "$endpoint: socket errors"
  [ "${non2xx:-0}" -eq 0 ] || fail "$endpoint: non-2xx answers"
done; done
rss_end=$(rss_kib "$daemon")
echo "RSS: $rss_start KiB after warm-up, $rss_end KiB after the load"
[ $((rss_end - rss_start)) -le "$rss_growth_limit" ] || fail "RSS grew by more than $rss_growth_limit KiB"

echo "== sample schedule during the load (slack $slack s)"
sleep 6  # the history writer commits in batches
"$rh" history -H 1 --format csv | tr -d '\r' >"$tmp/samples.csv"
awk -F, -v from="$start_time" -v slack="$slack" '
  NR == 1 { next }
  $2 + 0 < from { prev_t = $2; prev_i = $4; prev_s = $3; next }
  {
    n++
    if (prev_t != "") {
      late = ($2 - prev_t) - prev_i
      if (late > worst) worst = late
      if (late > slack) { bad++; printf "late by %.3f s: sample %d at %.3f\n", late, $3, $2 }
      if ($3 != prev_s + 1) { missing++; printf "sequence %d follows %d\n", $3, prev_s }
      if ($5 != "normal") elevated++
    }
    prev_t = $2; prev_i = $4; prev_s = $3
  }
  END {
    printf "%d samples, %d not in the normal state; the latest came %.3f s after its interval" \
      " (negative: early)\n", n, elevated, worst
    exit (bad + missing > 0)
  }' "$tmp/samples.csv" || fail "samples missed their schedule"

[ "$slow_clients" -gt 0 ] || exit "$status"
echo "== a normal scrape among $slow_clients slow clients (one header line a second, never ending)"
time_scrapes() {
  local end=$((SECONDS + scrape_seconds))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -m "$scrape_timeout" \
      "http://127.0.0.1:$port/metrics" || true
    sleep 0.5
  done >"$1"
}
summary() {
  sort -k2 -n "$1" | awk '{ t[NR] = $2; if ($1 != 200) bad++ }
    END { printf "%d scrapes: median %.1f ms, p90 %.1f ms, max %.1f ms, %d failed\n",
          NR, t[int((NR + 1) / 2)] * 1000, t[int(NR * 0.9)] * 1000, t[NR] * 1000, bad }'
}
time_scrapes "$tmp/alone.txt"
echo "alone: $(summary "$tmp/alone.txt")"

"$slow_bin" --port "$port" --connections "$slow_clients" --interval-ms 1000 \
  --seconds $((scrape_seconds + 15)) >"$tmp/slow_clients.txt" &
slow=$!
sleep 3
time_scrapes "$tmp/slow.txt"
wait "$slow" || true
slow=""
echo "among slow clients: $(summary "$tmp/slow.txt")"
echo "slow clients: $(tail -n 1 "$tmp/slow_clients.txt")"
awk -v limit="$slow_limit" '$1 != 200 || $2 > limit { bad++ } END { exit bad > 0 }' \
  "$tmp/slow.txt" || fail "a scrape among slow clients failed or took more than $slow_limit s"
exit "$status"
