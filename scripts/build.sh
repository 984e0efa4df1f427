#!/usr/bin/env bash
# Configures and builds. Usage: scripts/build.sh [--sanitize] [--werror] [--debug] [--target NAME]...
# Output: build/selfheal (or build-asan/selfheal with --sanitize). --target builds only that target
# (e.g. selfheal: the binary without the tests and benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
targets=()
while [[ $# -gt 0 ]]; do
  a="$1"
  shift
  case "$a" in
    --target) [[ $# -gt 0 ]] || { echo "build.sh: --target needs a name" >&2; exit 2; }; targets+=(--target "$1"); shift ;;
    --sanitize) dir=build-asan; args+=(-DSELFHEAL_SANITIZE=ON -DSELFHEAL_BENCH=OFF) ;;
    --werror) args+=(-DSELFHEAL_WERROR=ON) ;;
    --debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    *) echo "build.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" "${generator[@]}" "${args[@]}" >/dev/null
else
  cmake -S . -B "$dir" "${args[@]}" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
