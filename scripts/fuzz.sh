#!/bin/sh
# Runs the libFuzzer targets of tests/fuzz under ASan + UBSan (docs/fuzzing.md):
#   scripts/fuzz.sh [SECONDS] [TARGET...]       (default: 60 s each, every target)
# Builds the fuzz preset (clang) first. New inputs that add coverage are merged into the
# committed corpus tests/fuzz/corpus/<target>/; a crash leaves its input in
# build/fuzz/findings/<target>/ and stops with a non-zero exit. One line per target says how
# many runs it made.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
./scripts/install-deps.sh build test fuzz
[ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target fuzzers -j "$(nproc)"

targets=$*
[ -n "$targets" ] || targets=$(ls tests/fuzz/corpus)
status=0
for t in $targets; do
  corpus=tests/fuzz/corpus/$t
  findings=build/fuzz/findings/$t
  new=build/fuzz/new/$t
  rm -rf "$new"
  mkdir -p "$findings" "$new"
  log=build/fuzz/$t.log
  if build/fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
      -artifact_prefix="$findings/" -print_final_stats=1 "$new" "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    # Keep the corpus minimal: the hand-written seeds (named) plus the fewest found inputs
    # (named by their SHA-1) that cover as much.
    kept=build/fuzz/kept/$t
    rm -rf "$kept"
    mkdir -p "$kept"
    find "$corpus" -maxdepth 1 -regextype posix-extended -type f ! -regex '.*/[0-9a-f]{40}' -exec cp {} "$kept/" \;
    build/fuzz/tests/fuzz/fuzz_"$t" -merge=1 "$kept" "$corpus" "$new" >>"$log" 2>&1
    rm -rf "$corpus"
    mv "$kept" "$corpus"
    echo "fuzz $t: ${seconds} s, ${runs:-?} runs, clean; corpus $(ls "$corpus" | wc -l) inputs"
  else
    echo "fuzz $t: FAILED, see $log and $findings/" >&2
    status=1
  fi
done
exit $status
