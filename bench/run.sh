#!/bin/sh
# Runs the benchmarks recorded in docs/benchmarks.md against a build directory, one section per
# benchmark binary. `make bench` builds build/bench and runs: bench/run.sh build/bench
set -eu

build=${1:?usage: bench/run.sh BUILD_DIR}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

# median FILE.json BENCHMARK FIELD: the FIELD (real_time, cpu_time) of BENCHMARK's median.
median() {
  awk -v want="$2_median" -v field="\"$3\":" '
    $1 == "\"name\":" { name = $2; gsub(/[",]/, "", name) }
    name == want && $1 == field { value = $2; sub(/,$/, "", value); print value + 0; exit }
  ' "$1"
}

# ratio A B LABEL LIMIT: prints A/B and whether it is within LIMIT; a miss makes the script fail.
ratio() {
  awk -v a="$1" -v b="$2" -v label="$3" -v limit="$4" 'BEGIN {
    r = a / b
    printf "%s: %.2f (limit %s) %s\n", label, r, limit, (r <= limit ? "OK" : "ABOVE LIMIT")
    exit (r <= limit ? 0 : 1)
  }'
}

echo "== Collectors: one sample vs. pread"
"$build/bench/collectors_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/collectors.json" --benchmark_out_format=json
sample=$(median "$out/collectors.json" BM_SampleSystemFiles real_time)
pread=$(median "$out/collectors.json" BM_PreadSameFiles real_time)
echo "median one sample: ${sample} us, median pread of the same files: ${pread} us"
bounded=$(median "$out/collectors.json" BM_ProcessTable real_time)
unbounded=$(median "$out/collectors.json" BM_ProcessTableOnCallingThread real_time)
echo "median process table: ${bounded} us with bounded reads on its thread," \
  "${unbounded} us on the calling thread"
ratio "$sample" "$pread" "one sample / pread (median real time)" 2 || status=1

echo "== History store: one stored sample"
"$build/bench/store_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/store.json" --benchmark_out_format=json
stored_real=$(median "$out/store.json" BM_StoreOneSample real_time)
stored_cpu=$(median "$out/store.json" BM_StoreOneSample cpu_time)
insert_real=$(median "$out/store.json" BM_InsertOneInteger real_time)
insert_cpu=$(median "$out/store.json" BM_InsertOneInteger cpu_time)
echo "median one stored sample: ${stored_real} us real, ${stored_cpu} us CPU;" \
  "one-integer insert: ${insert_real} us real, ${insert_cpu} us CPU"
# CPU time: the real time of a commit swings with the disk, which this machine shares.
ratio "$stored_cpu" "$insert_cpu" "one stored sample / one-integer insert (median CPU time)" 3 ||
  status=1

echo "== History store at 30 days: writer start-up, and space given back after pruning"
"$build/bench/store_startup" >"$out/startup.txt"
cat "$out/startup.txt"
full=$(awk '$1 == "open_full_check_s" { print $2 }' "$out/startup.txt")
cheap=$(awk '$1 == "open_cheap_check_s" { print $2 }' "$out/startup.txt")
ratio "$cheap" "$full" "writer start-up now / with the full check at every open (median)" 0.1 ||
  status=1

echo "== Daemon hot paths: watchdog wake-up, one sample with scoring"
"$build/bench/daemon_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/daemon.json" --benchmark_out_format=json
echo "median watchdog work per wake-up: $(median "$out/daemon.json" BM_WatchdogWakeWork cpu_time) ns CPU;" \
  "whole wake-up: $(median "$out/daemon.json" BM_WatchdogWakeUp cpu_time) ns CPU;" \
  "one sample with scoring: $(median "$out/daemon.json" BM_SampleWithScoring cpu_time) us CPU"

echo "== OTLP: one event from the event stream to the request answered, vs. a bare libcurl POST"
"$build/bench/otel_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/otel.json" --benchmark_out_format=json
event_cpu=$(median "$out/otel.json" BM_OtlpEventToRequest/process_time/real_time cpu_time)
curl_cpu=$(median "$out/otel.json" BM_BareCurlPost/process_time/real_time cpu_time)
echo "median one event: ${event_cpu} us CPU; bare POST of the same body: ${curl_cpu} us CPU;" \
  "encoding alone: $(median "$out/otel.json" BM_EncodePause cpu_time) us CPU"
awk -v a="$event_cpu" -v b="$curl_cpu" 'BEGIN {printf "one event / bare POST: %.2f\n", a / b}'

echo "== OTLP export on against off, idle"
"$(dirname "$0")/otel_idle.sh" "$build" || status=1

echo "== Side by side with node_exporter"
"$(dirname "$0")/compare.sh" "$build" || status=1

echo "== Slow clients, side by side with node_exporter"
"$(dirname "$0")/slow_clients.sh" "$build" || status=1

echo "== The process table at 100, 2,000 and 20,000 processes, against its floor"
"$(dirname "$0")/scan_scale.sh" "$build" || status=1

echo "== The daemon's own cost at 20,000 processes, defaults"
"$(dirname "$0")/self_cost.sh" "$build" 20000 120 || status=1

if [ "$(id -u)" -eq 0 ]; then
  echo "== The cgroup scan at 10, 100 and 1,000 cgroups, against its floor"
  "$(dirname "$0")/cgroup_scale.sh" "$build" || status=1
else
  echo "== The cgroup scan: skipped (creating cgroups needs root)"
fi

echo "== A CPU stall burst: PSI triggers, polling, the score alone"
"$(dirname "$0")/pressure_burst.sh" "$build" || status=1

echo "== Load on /metrics and every /api endpoint, and a scrape among slow clients"
"$(dirname "$0")/load.sh" "$build" || status=1

exit "$status"
