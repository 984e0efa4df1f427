#!/usr/bin/env bash
# `selfheal fingerprint` (learned merges on, the default) against the awk digit-mask one-liner the
# grouping issue used as its floor, on the same ~100 MB of the public mix (the message column of
# Loghub-2k and wild-2k, repeated), in the same run. Prints the input, each median of 3 and the ratio.
# Usage: bench/cli_vs_awk.sh [MB] [selfheal binary]
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-100}"
bin="${2:-build/selfheal}"
shared="../shared/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$shared" "$work/one.txt" <<'EOF'
import csv, glob, sys
csv.field_size_limit(2**31 - 1)
out = open(sys.argv[2], "w", encoding="utf-8")
for path in sorted(glob.glob(sys.argv[1] + "/loghub-2k/*/*_structured_corrected.csv") +
                   glob.glob(sys.argv[1] + "/wild/*/*_structured_corrected.csv")):
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            out.write(row["Content"].replace("\r", " ").replace("\n", " ") + "\n")
EOF
target=$((mb * 1024 * 1024))
: > "$work/input.txt"
while [[ $(stat -c %s "$work/input.txt") -lt $target ]]; do cat "$work/one.txt" >> "$work/input.txt"; done
bytes=$(stat -c %s "$work/input.txt")
lines=$(wc -l < "$work/input.txt")
echo "input: $lines lines, $bytes bytes (the Content column of the 16 public logs, repeated)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() {  # prints seconds for one run of "$@" < input > /dev/null
  local s e
  s=$(date +%s.%N)
  "$@" < "$work/input.txt" > /dev/null
  e=$(date +%s.%N)
  python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$s" "$e"
}
awk_times=(); sh_times=()
for i in 1 2 3; do
  awk_times+=("$(time_cmd awk '{ gsub(/[0-9]+/, "<*>"); print }')")
  sh_times+=("$(time_cmd "$bin" fingerprint)")
done
awk_med=$(printf '%s\n' "${awk_times[@]}" | median)
sh_med=$(printf '%s\n' "${sh_times[@]}" | median)
python3 - "$lines" "$awk_med" "$sh_med" "${awk_times[*]}" "${sh_times[*]}" <<'EOF'
import sys
lines, awk, sh = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print("baseline awk digit mask: median %.2f s (%s), %.0f lines/s" % (awk, sys.argv[4], lines / awk))
print("selfheal fingerprint:    median %.2f s (%s), %.0f lines/s" % (sh, sys.argv[5], lines / sh))
print("ratio: selfheal is %.2fx the awk one-liner (awk time / selfheal time)" % (awk / sh))
EOF
