#!/bin/bash
# The cgroup scan at 10, 100 and 1,000 leaf cgroups against its floor: for each count, creates
# that many empty leaf cgroups under the v2 hierarchy (in one parent, rh-bench-PID), then runs
# collectors_bench's BM_CgroupScan (the "cgroups" collector as the daemon runs it) and
# BM_PreadCgroupFiles (pread of the same files on kept descriptors), 5 repetitions each, and
# prints the medians, the cost per cgroup and the ratio. The cgroups are removed after each
# count and on exit. Root only.
# Usage: bench/cgroup_scale.sh BUILD_DIR [COUNT...]   (default counts: 10 100 1000)
set -eu
build=${1:?usage: bench/cgroup_scale.sh BUILD_DIR [COUNT...]}
shift
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 100 1000)
bench="$build/bench/collectors_bench"
[ -x "$bench" ] || { echo "no $bench (configure with RH_BUILD_BENCHMARKS=ON)" >&2; exit 2; }
v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$v2" ] || { echo "no cgroup v2 hierarchy is mounted" >&2; exit 2; }
parent="$v2/rh-bench-$$"
out=$(mktemp -d)

remove_cgroups() {
  if [ -d "$parent" ]; then
    find "$parent" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "$parent" 2>/dev/null || true
  fi
}
cleanup() {
  remove_cgroups
  rm -rf "$out"
}
trap cleanup EXIT INT TERM

# median FILE.json BENCHMARK FIELD
median() {
  awk -v want="$2_median" -v field="\"$3\":" '
    $1 == "\"name\":" { name = $2; gsub(/[",]/, "", name) }
    name == want && $1 == field { value = $2; sub(/,$/, "", value); print value + 0; exit }
  ' "$1"
}

printf '%8s %12s %12s %14s %8s\n' leaves scan_us floor_us us_per_cgroup ratio
for count in "${counts[@]}"; do
  mkdir "$parent"
  for i in $(seq 1 "$count"); do mkdir "$parent/leaf-$i"; done
  "$bench" --benchmark_filter='BM_CgroupScan|BM_PreadCgroupFiles' --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_out="$out/$count.json" \
    --benchmark_out_format=json >/dev/null
  scan=$(median "$out/$count.json" BM_CgroupScan real_time)
  floor=$(median "$out/$count.json" BM_PreadCgroupFiles real_time)
  awk -v n="$count" -v a="$scan" -v b="$floor" \
    'BEGIN { printf "%8d %12.1f %12.1f %14.2f %8.2f\n", n, a, b, a / (n + 1), a / b }'
  remove_cgroups
done
