#!/usr/bin/env bash
# Build and run the libFuzzer targets with ASan + UBSan (clang; a missing clang is an error):
#   fingerprint parsers: stitcher normalize trace structured learn
#   Loki push decoders:  loki_push (protobuf, snappy, JSON, gzip, labels, the whole handler)
#   OTLP logs decoders:  otlp (protobuf, OTLP/JSON, gzip, the whole handler, partial success)
#   syslog parsers:      syslog (RFC 5424 / RFC 3164 messages, RFC 6587 octet-counting and LF framing)
#   HTTP API:            http_api (every route's query parameters and JSON bodies, real server, real SQLite)
#   config:              config (the YAML loader and every section's key table)
# scripts/test.sh (CI) runs each for 10 s; the acceptance runs use 600 s.
#
#   scripts/fuzz.sh                 # 600 s per target (the acceptance run)
#   FUZZ_SECONDS=20 scripts/fuzz.sh # smoke
#   scripts/fuzz.sh normalize       # one target
#   scripts/fuzz.sh --build-only    # build, run nothing (FUZZ_BUILD_ALL=1: every target of the tree, the
#                                   # binary and all tests, which scripts/test.sh then runs under ASan+UBSan)
#
# Builds with CMake into build-fuzz/ (ccache shared). Seeds: tests/data/fuzz/<target>/ (must exist) plus
# the fixtures named below. Crashes land in build-fuzz/crashes/<target>/; corpora grow in build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${FUZZ_OUT:-$ROOT/build-fuzz}
SECS=${FUZZ_SECONDS:-600}
CXX=${FUZZ_CXX:-clang++}
CC=${FUZZ_CC:-clang}
ALL=(stitcher normalize trace structured learn loki_push otlp syslog http_api config)
build_only=0
if [[ ${1:-} == --build-only ]]; then build_only=1; shift; fi
if (($#)); then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "fuzz: $CXX not found; scripts/install-deps.sh installs clang (libFuzzer)" >&2
  exit 1
fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [[ ! -f "$OUT/CMakeCache.txt" ]]; then
  cmake -S . -B "$OUT" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_COMPILER="$CC" -DSELFHEAL_FUZZ=ON -DSELFHEAL_SANITIZE=ON -DSELFHEAL_BENCH=OFF \
    -DSELFHEAL_WERROR=ON >/dev/null
fi
build_targets=(--target "${TARGETS[@]/#/fuzz_}")
if [[ ${FUZZ_BUILD_ALL:-0} == 1 ]]; then build_targets=(); fi  # no --target: everything
echo "fuzz: building ${build_targets[*]:-every target} with $CXX" >&2
# Quiet when it works; the compiler's words when it does not.
if ! cmake --build "$OUT" -j"${FUZZ_JOBS:-$(nproc)}" "${build_targets[@]}" > "$OUT/build.log" 2>&1; then
  tail -60 "$OUT/build.log" >&2
  echo "fuzz: build failed, full log in $OUT/build.log" >&2
  exit 1
fi
if ((build_only)); then exit 0; fi

status=0
for t in "${TARGETS[@]}"; do
  bin="$OUT/tests/fuzz/fuzz_$t"
  corpus="$OUT/corpus/$t"
  crashes="$OUT/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  seeds=()
  case $t in
    stitcher | trace) seeds=(tests/data/fingerprint/traces) ;;
    normalize | learn) seeds=() ;;
    structured) seeds=(tests/data/fingerprint/structured) ;;
    loki_push | otlp | syslog | http_api) seeds=("tests/data/fuzz/$t") ;;
    config) seeds=("tests/data/fuzz/$t") ;;
    *) echo "fuzz: unknown target $t (known: ${ALL[*]})" >&2; exit 2 ;;
  esac
  for s in "${seeds[@]}"; do
    if ! compgen -G "$s/*" >/dev/null; then
      echo "fuzz: seed folder $s for $t is missing or empty" >&2
      exit 1
    fi
    cp -n "$s"/* "$corpus/"
  done
  case $t in
    stitcher | normalize | trace | learn)
      cut -f1 tests/golden/fingerprint_messages.tsv | grep -v '^#' | split -l 1 - "$corpus/msg_" ;;
    config) cp -n deploy/*.yaml "$corpus/" ;;
  esac
  echo "fuzz: $t for ${SECS}s" >&2
  if ! "$bin" "$corpus" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" -print_final_stats=1 2> "$OUT/fuzz_$t.log"; then
    echo "fuzz: $t FAILED, see $OUT/fuzz_$t.log and $crashes/" >&2
    tail -30 "$OUT/fuzz_$t.log" >&2
    status=1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$OUT/fuzz_$t.log" | tr '\n' ' ' >&2 || true
  echo >&2
  # A smoke that ran nothing proves nothing.
  execs=$(grep -oE "^stat::number_of_executed_units: [0-9]+" "$OUT/fuzz_$t.log" | grep -oE "[0-9]+$" || echo 0)
  if ((execs < 50)); then
    echo "fuzz: $t executed only $execs inputs" >&2
    status=1
  fi
done
exit $status
