#!/usr/bin/env bash
# Lints the lines of C++ files changed against main (committed, staged or not; new files whole):
#   clang-format --dry-run -Werror --lines=...   style (.clang-format)
#   clang-tidy -p build --line-filter=...        checks (.clang-tidy) of every changed .cpp in
#                                                build/compile_commands.json
# Only changed lines: older code is not all formatted yet, and a change must not have to reformat
# the files it touches. Usage: scripts/lint.sh [--format-only] [--base REF]   (REF default: main)
# scripts/test.sh runs --format-only: clang-tidy parses each file with its whole include tree
# (seconds per file on the CI machine), too slow for every run.
set -euo pipefail
cd "$(dirname "$0")/.."
format_only=0
base=main
while [[ $# -gt 0 ]]; do
  case "$1" in
    --format-only) format_only=1; shift ;;
    --base) [[ $# -gt 1 ]] || { echo "lint.sh: --base needs a ref" >&2; exit 2; }; base="$2"; shift 2 ;;
    *) echo "lint.sh: unknown option $1 (known: --format-only --base REF)" >&2; exit 2 ;;
  esac
done
if ! merge_base=$(git merge-base HEAD "$base" 2>/dev/null); then
  echo "lint.sh: no ref '$base' to compare with; nothing to lint" >&2
  exit 0
fi
exclude=(-e '^web/' -e '^tests/npm/' -e '^tests/ui/')
mapfile -t changed < <(git diff --name-only --diff-filter=d "$merge_base" -- '*.cpp' '*.hpp' | grep -v "${exclude[@]}" || true)
mapfile -t added < <(git ls-files --others --exclude-standard -- '*.cpp' '*.hpp' | grep -v "${exclude[@]}" || true)
if [[ ${#changed[@]} -eq 0 && ${#added[@]} -eq 0 ]]; then
  echo "lint.sh: no C++ file changed against $base"
  exit 0
fi
# "start:end" of every added or changed line range of $1 (new side of the diff).
ranges() {
  git diff -U0 "$merge_base" -- "$1" | sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} @@.*/\1 \3/p' |
    while read -r start count; do
      count=${count:-1}
      if [[ $count -gt 0 ]]; then echo "$start:$((start + count - 1))"; fi
    done
}
status=0
tidy=()
entries=()
echo "lint.sh: clang-format on the changed lines of $((${#changed[@]} + ${#added[@]})) file(s) (against $base)"
for f in "${changed[@]}" "${added[@]}"; do
  [[ -n $f ]] || continue
  lines=()
  spans=""
  if git ls-files --error-unmatch "$f" >/dev/null 2>&1 && git cat-file -e "$merge_base:$f" 2>/dev/null; then
    while read -r r; do
      [[ -n $r ]] || continue
      lines+=("--lines=$r")
      spans+="${spans:+,}[${r%%:*},${r##*:}]"
    done < <(ranges "$f")
    [[ ${#lines[@]} -gt 0 ]] || continue  # only deletions
  else
    spans="[1,1000000]"
  fi
  clang-format --dry-run -Werror "${lines[@]}" "$f" || status=1
  if [[ $f == *.cpp ]] && grep -q "\"file\": \"$PWD/$f\"" build/compile_commands.json 2>/dev/null; then
    tidy+=("$f")
    entries+=("{\"name\":\"$f\",\"lines\":[$spans]}")
  fi
done
filter="[$(IFS=,; echo "${entries[*]}")]"
if [[ $format_only == 0 ]]; then
  if [[ ! -f build/compile_commands.json ]]; then
    echo "lint.sh: build/compile_commands.json is missing: run scripts/build.sh first" >&2
    exit 2
  fi
  if [[ ${#tidy[@]} -gt 0 ]]; then
    echo "lint.sh: clang-tidy on the changed lines of ${#tidy[@]} translation unit(s)"
    clang-tidy -p build --quiet --warnings-as-errors='*' --line-filter="$filter" "${tidy[@]}" || status=1
  fi
fi
if [[ $status != 0 ]]; then echo "lint.sh: FAILED (clang-format -i --lines=A:B <file> fixes the style)" >&2; fi
exit $status
