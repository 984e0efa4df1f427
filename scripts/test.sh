#!/usr/bin/env bash
# README command 2 (and .ci/run): install dependencies, build with warnings as errors, run ALL tests
# (unit + integration) with CTest, then the sanitizer stage: one clang tree (build-fuzz/) with
# ASan+UBSan and libFuzzer coverage in every library runs the whole suite again (unit and
# integration: the binary the integration tests start is the sanitized one) and every libFuzzer
# target for 10 s (scripts/fuzz.sh). clang, promtool, kcat, node and chromium are required: a missing one
# fails here instead of skipping. SELFHEAL_TEST_LABEL=unit runs only one label (every build).
#   --quick     skip the sanitizer stage (a developer's inner loop; CI never passes it)
#   --sanitize  also the whole suite, integration included, under gcc ASan+UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
quick=0
for a in "$@"; do
  case "$a" in
    --sanitize) sanitize=1 ;;
    --quick) quick=1 ;;
    --fuzz) ;;  # the fuzz smoke always runs now; kept so old command lines still work
    *) echo "test.sh: unknown option $a (known: --quick --sanitize)" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
for tool in clang++ promtool kcat node chromium; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: $tool is missing; scripts/install-deps.sh should have installed it" >&2
    exit 1
  fi
done
start=$(date +%s)
label=()
if [[ -n "${SELFHEAL_TEST_LABEL:-}" ]]; then label=(-L "$SELFHEAL_TEST_LABEL"); fi
step() { echo "test.sh: $1 ($(( $(date +%s) - start ))s so far)"; }

step "lint: clang-format on the C++ files changed against main (scripts/lint.sh runs clang-tidy too)"
scripts/lint.sh --format-only
step "build (warnings as errors)"
scripts/build.sh --werror
step "tests"
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600 "${label[@]}")

if [[ $quick == 0 ]]; then
  # One clang tree serves both: ASan+UBSan everywhere, libFuzzer coverage in the libraries.
  step "build with clang, ASan+UBSan (build-fuzz/)"
  FUZZ_BUILD_ALL=1 scripts/fuzz.sh --build-only
  step "all tests (unit and integration) under ASan+UBSan"
  (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$(nproc)" --timeout 900 "${label[@]}")
  step "fuzz smoke: every libFuzzer target for 10 s"
  FUZZ_SECONDS=10 scripts/fuzz.sh
else
  step "not run (--quick): the sanitizer suites and the fuzz smoke"
fi

if [[ $sanitize == 1 ]]; then
  step "build with gcc, ASan+UBSan (build-asan/)"
  scripts/build.sh --sanitize --werror
  step "all tests under ASan+UBSan"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$(nproc)" --timeout 900 "${label[@]}")
fi
echo "test.sh: all tests passed in $(( $(date +%s) - start ))s"
