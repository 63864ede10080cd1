#!/bin/bash
# The process table scan at about 100, 2,000 and 20,000 processes against its floor: for each
# count, starts sleeping processes until the machine has about that many, then runs
# collectors_bench's BM_ProcessTable (as the daemon runs it), BM_ProcessTableOnCallingThread (the
# same work on one thread, so its CPU time is the scan's) and BM_PreadProcessFiles (open, read and
# close of the same /proc files, no parsing), 5 repetitions each, and prints the medians and the
# ratios. The sleepers are killed by PID after each count and on exit.
# Usage: bench/scan_scale.sh BUILD_DIR [COUNT...]   (default counts: 100 2000 20000)
# BUILD_DIR is a build with RH_BUILD_BENCHMARKS=ON (make bench builds build/bench).
set -eu
build=${1:?usage: bench/scan_scale.sh BUILD_DIR [COUNT...]}
shift
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100 2000 20000)
bench="$build/bench/collectors_bench"
[ -x "$bench" ] || { echo "no $bench (configure with RH_BUILD_BENCHMARKS=ON)" >&2; exit 2; }
out=$(mktemp -d)
sleepers=()

stop_sleepers() {
  if [ ${#sleepers[@]} -gt 0 ]; then
    kill "${sleepers[@]}" 2>/dev/null || true
    wait "${sleepers[@]}" 2>/dev/null || true
  fi
  sleepers=()
}
cleanup() {
  stop_sleepers
  rm -rf "$out"
}
trap cleanup EXIT INT TERM

processes() { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }

# median FILE.json BENCHMARK FIELD
median() {
  awk -v want="$2_median" -v field="\"$3\":" '
    $1 == "\"name\":" { name = $2; gsub(/[",]/, "", name) }
    name == want && $1 == field { value = $2; sub(/,$/, "", value); print value + 0; exit }
  ' "$1"
}

need=$((counts[-1] + 1000))
user_limit=$(ulimit -u)
[ "$user_limit" != unlimited ] || user_limit=$need
if [ "$(cat /proc/sys/kernel/pid_max)" -lt "$need" ] || [ "$user_limit" -lt "$need" ]; then
  echo "pid_max or ulimit -u is below $need: cannot start ${counts[-1]} processes" >&2
  exit 2
fi

printf '%-10s %12s %12s %12s %12s %8s %8s %12s\n' processes "table_us" \
  "onthread_us" "onthread_cpu" "pread_us" ratio cpu_ratio "cpu_us/proc"
for want in "${counts[@]}"; do
  have=$(processes)
  while [ "$have" -lt "$want" ]; do
    for _ in $(seq $(((want - have) < 500 ? (want - have) : 500))); do
      sleep 3600 &
      sleepers+=($!)
    done
    have=$(processes)
  done
  json="$out/$want.json"
  "$bench" --benchmark_filter='BM_ProcessTable|BM_PreadProcessFiles' \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_out="$json" --benchmark_out_format=json >/dev/null 2>&1
  table=$(median "$json" BM_ProcessTable real_time)
  onthread=$(median "$json" BM_ProcessTableOnCallingThread real_time)
  onthread_cpu=$(median "$json" BM_ProcessTableOnCallingThread cpu_time)
  pread=$(median "$json" BM_PreadProcessFiles real_time)
  pread_cpu=$(median "$json" BM_PreadProcessFiles cpu_time)
  n=$(median "$json" BM_ProcessTable processes)
  awk -v n="$n" -v t="$table" -v o="$onthread" -v oc="$onthread_cpu" \
    -v p="$pread" -v pc="$pread_cpu" 'BEGIN {
      printf "%-10d %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f %12.2f\n",
        n, t, o, oc, p, t / p, oc / pc, oc / n }'
  stop_sleepers
done
echo "ratio: BM_ProcessTable / BM_PreadProcessFiles, real time (medians of 5)"
echo "cpu_ratio: BM_ProcessTableOnCallingThread / BM_PreadProcessFiles, CPU time"
