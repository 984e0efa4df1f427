#!/usr/bin/env bash
# README command 2 (and .ci/run): install dependencies, build with warnings as errors, run ALL tests
# (unit + integration) with CTest. Options: --sanitize also builds with ASan+UBSan and runs the suite
# there; SELFHEAL_TEST_LABEL=unit runs only one label.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --werror
label=()
if [[ -n "${SELFHEAL_TEST_LABEL:-}" ]]; then label=(-L "$SELFHEAL_TEST_LABEL"); fi
start=$(date +%s)
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600 "${label[@]}")
# Fuzz smoke: the fingerprint parsers under libFuzzer + ASan/UBSan for 10 s each (the 10-minute runs
# are `scripts/fuzz.sh`, not CI).
if [[ -x scripts/fuzz.sh ]] && command -v clang++ >/dev/null 2>&1; then
  FUZZ_SECONDS=10 FUZZ_OUT=build/fuzz-smoke scripts/fuzz.sh
fi
if [[ " $* " == *" --sanitize "* ]]; then
  scripts/build.sh --sanitize
  (cd build-asan && ctest --output-on-failure -j"$(nproc)" --timeout 900 "${label[@]}")
fi
echo "test.sh: all tests passed in $(( $(date +%s) - start ))s"
