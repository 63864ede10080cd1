#!/bin/sh
# Prints each test the last ctest run of a build directory skipped, with the reason the test gave
# (GoogleTest's GTEST_SKIP message), which ctest itself does not show: `print-skipped.sh build/dev`.
set -eu
log="$1/Testing/Temporary/LastTest.log"
[ -f "$log" ] || exit 0
awk '
  /^[0-9]+\/[0-9]+ Test: / { name = $3; reason = ""; grab = 0; next }
  /: Skipped$/ { grab = 1; next }
  grab && /^\[  SKIPPED \]/ { grab = 0; next }
  grab && NF { reason = reason (reason == "" ? "" : " | ") $0; next }
  /^Skip regular expression found in output/ {
    printf "SKIPPED %s: %s\n", name, (reason == "" ? "(no reason given)" : reason)
  }
' "$log"
