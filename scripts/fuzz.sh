#!/usr/bin/env bash
# Build and run the libFuzzer targets with ASan + UBSan: the fingerprint parsers (stitcher,
# normaliser, trace parser, structured JSON/logfmt lines, the template learner) and the Loki push decoders (protobuf, snappy, JSON, gzip, labels, the
# whole handler). scripts/test.sh (CI) runs each for 10 s; the acceptance runs use 600 s.
#
#   scripts/fuzz.sh                 # 600 s per target (the acceptance run)
#   FUZZ_SECONDS=20 scripts/fuzz.sh # smoke
#   scripts/fuzz.sh normalize       # one target
#
# Crashes land in build-fuzz/crashes/<target>/; corpora grow in build-fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${FUZZ_OUT:-$ROOT/build-fuzz}
SECS=${FUZZ_SECONDS:-600}
CXX=${FUZZ_CXX:-clang++}
TARGETS=("${@:-stitcher normalize trace structured learn loki_push}")
read -r -a TARGETS <<< "${TARGETS[*]}"

mkdir -p "$OUT/obj"
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I"$ROOT" -fsanitize=address,undefined -fno-sanitize-recover=undefined)
SRCS=(normalize stack_trace hash fingerprint stitcher merge structured)
LIBS=(-lre2 -lcrypto -lxxhash)
# Extra sources per target (compiled with coverage so libFuzzer sees inside them).
declare -A EXTRA=(
  [loki_push]="ingest/detail/loki_decode.cpp ingest/loki_push.cpp ingest/event_fields.cpp schema/time_format.cpp schema/model.cpp"
)
declare -A EXTRA_LIBS=([loki_push]="-lsnappy -lz -lspdlog -lfmt")

echo "fuzz: building fingerprint sources with $CXX" >&2
objs=()
for s in "${SRCS[@]}"; do
  "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "fingerprint/$s.cpp" -o "$OUT/obj/$s.o" &
  objs+=("$OUT/obj/$s.o")
done
wait

status=0
for t in "${TARGETS[@]}"; do
  bin="$OUT/fuzz_$t"
  read -r -a extra <<< "${EXTRA[$t]:-}"
  read -r -a extra_libs <<< "${EXTRA_LIBS[$t]:-}"
  "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer "tests/fuzz/fuzz_$t.cpp" "${extra[@]}" "${objs[@]}" "${LIBS[@]}" \
    "${extra_libs[@]}" -o "$bin"
  corpus="$OUT/corpus/$t"
  crashes="$OUT/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  # Seeds: the trace fixtures and the golden message inputs.
  cp -n tests/data/fingerprint/traces/*.txt "$corpus/" 2>/dev/null || true
  cut -f1 tests/golden/fingerprint_messages.tsv | grep -v '^#' | split -l 1 - "$corpus/msg_" 2>/dev/null || true
  if [[ $t == loki_push ]]; then cp -n tests/data/loki/* "$corpus/" 2>/dev/null || true; fi
  if [[ $t == structured ]]; then cp -n tests/data/fingerprint/structured/* "$corpus/" 2>/dev/null || true; fi
  echo "fuzz: $t for ${SECS}s" >&2
  if ! "$bin" "$corpus" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" -print_final_stats=1 2> "$OUT/fuzz_$t.log"; then
    echo "fuzz: $t FAILED, see $OUT/fuzz_$t.log and $crashes/" >&2
    status=1
  fi
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$OUT/fuzz_$t.log" >&2 || tail -3 "$OUT/fuzz_$t.log" >&2
done
exit $status
