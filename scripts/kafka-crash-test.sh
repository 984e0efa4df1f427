#!/usr/bin/env bash
# Issue 5, acceptance 3: kill -9 `selfheal serve` repeatedly while it ingests from Kafka, then check
# that every line was counted exactly once (none lost, none counted twice).
#
#   scripts/kafka-crash-test.sh [BUILD_DIR] [LINES] [CYCLES]     defaults: build 1000000 20
#   environment: SESSION_TIMEOUT_MS (default 6000): the consumer's session; a restarted process gets
#                partitions only once the killed member's session timed out, so it sets the pace.
#
# Peers: librdkafka's mock cluster in its own process (selfheal_kafka_mock, 3 brokers, 32 partitions:
# the mock keeps only ~5 MB per partition) so that offsets and data survive the consumer's deaths.
# The lines are plain text on 64 keys (streams interleave inside partitions), with a 4-line Java stack
# trace every 25th event, so multiline events are open when the process dies.
#
# Every kill lands mid-ingest, by construction and checked:
#   - one kcat process is fed at a steady rate for the whole run, paced on the measured kill cycles so
#     that production spans all CYCLES kills and ends during the final run; more than 1.5 segments
#     (LINES/(CYCLES+1) each) ahead of the kills it slows to a trickle, so it cannot finish early;
#   - a kill is sent only once this incarnation has counted lines (it has partitions and commits) and
#     while lines handed to the producer are not yet counted;
#   - after the kill the durable count is read: it must be above the count at this incarnation's start
#     (it ingested) and below the lines produced at the kill (it died with lines still to count).
# The count is read from the SQLite store (source_counts) after a final clean stop. Exit 0 only if it
# is exactly LINES with no dead letters and every kill landed mid-ingest; 1 otherwise.
set -euo pipefail

BUILD=${1:-build}
LINES=${2:-1000000}
CYCLES=${3:-20}
SESSION_TIMEOUT_MS=${SESSION_TIMEOUT_MS:-6000}
here="$(cd "$(dirname "$0")/.." && pwd)"
case "$BUILD" in /*) bdir=$BUILD ;; *) bdir="$here/$BUILD" ;; esac
SELFHEAL="$bdir/selfheal"
MOCK="$bdir/selfheal_kafka_mock"
for bin in "$SELFHEAL" "$MOCK"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build targets selfheal and selfheal_kafka_mock)" >&2; exit 2; }
done
command -v kcat >/dev/null || { echo "kcat not installed" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 not installed" >&2; exit 2; }
(( LINES >= 1000 && CYCLES >= 1 && SESSION_TIMEOUT_MS >= 1000 )) || { echo "need LINES >= 1000, CYCLES >= 1, SESSION_TIMEOUT_MS >= 1000" >&2; exit 2; }

work=$(mktemp -d /tmp/selfheal-kafka-crash.XXXXXX)
mock_pid=""; serve_pid=""; producer_pid=""
cleanup() {
  for p in $producer_pid $serve_pid $mock_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
t0=$SECONDS

# ---- peers ----
"$MOCK" --brokers 3 --topic logs:32 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 1 500); do grep -q '^BOOTSTRAP ' "$work/mock.out" 2>/dev/null && break; sleep 0.01; done
bootstrap=$(sed -n 's/^BOOTSTRAP //p' "$work/mock.out")
[[ -n "$bootstrap" ]] || { echo "mock cluster did not start" >&2; cat "$work/mock.err" >&2; exit 1; }

heartbeat=$((SESSION_TIMEOUT_MS / 10))
drain=$((SESSION_TIMEOUT_MS * 2 / 3))
cat >"$work/selfheal.yaml" <<EOF
server:
  listen: 127.0.0.1:0
storage:
  data_dir: $work/data
  flush_interval_ms: 100
log:
  level: warn
ingest:
  kafka:
    - name: kafka
      brokers: "$bootstrap"
      group_id: crash-test
      topics: [logs]
      format: text
      session_timeout_ms: $SESSION_TIMEOUT_MS
      heartbeat_interval_ms: $heartbeat
      auto_commit_interval_ms: 200
      drain_timeout_ms: $drain
EOF

# ---- producer: exactly LINES lines, paced over the kill cycles and gated on the kill count ----
echo 0 >"$work/kills"
echo 0 >"$work/produced"
python3 - "$LINES" "$CYCLES" "$SESSION_TIMEOUT_MS" "$bootstrap" "$work" <<'EOF' >"$work/producer.out" 2>"$work/producer.err" &
import os, subprocess, sys, time
total, cycles, session_ms, bootstrap, work = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
segment = total / (cycles + 1)
# linger.ms: batches of records, as shippers send them (the mock broker returns one batch per partition
# and fetch, so single-record batches would make the consumer crawl).
kcat = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", "logs", "-K", "|", "-z", "none", "-X", "linger.ms=100"],
                        stdin=subprocess.PIPE, stderr=open(os.path.join(work, "kcat.err"), "w"))

def lines():
    keys = [f"host-{i}" for i in range(64)]
    n = ev = 0
    while n < total:
        key = keys[ev % len(keys)]
        if ev % 25 == 0 and total - n >= 5:
            rec = [f"2026-11-23T19:00:00.000Z ERROR worker {ev} failed: java.lang.IllegalStateException: boom {ev}"]
            rec += [f"\tat com.example.Worker.step{j}(Worker.java:{10 + j})" for j in range(4)]
        else:
            rec = [f"2026-11-23T19:00:00.000Z INFO worker {ev} handled request {n} in {n % 97} ms"]
        for line in rec:
            yield f"{key}|{line}\n"
        n += len(rec); ev += 1

def kills():
    try:
        with open(os.path.join(work, "kills")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0

def publish(n):
    tmp = os.path.join(work, "produced.tmp")
    with open(tmp, "w") as f:
        f.write(f"{n}\n")
    os.replace(tmp, os.path.join(work, "produced"))

gen = lines()
produced = 0
# Pace: finish about half a cycle into the final run. A cycle's length is not known in advance (the
# group waits for the killed member's session, then rebalances), so it is measured: the longest one
# so far, first guessed from the session timeout. A slow guess only leaves more for the final run.
est = 2 * session_ms / 1000.0 + 3.0
k_seen, k_since = 0, time.monotonic()
credit, last = 0.0, time.monotonic()
while produced < total:
    time.sleep(0.02)
    now = time.monotonic()
    k = kills()
    if k != k_seen:
        if k_seen >= 1:  # the first cycle has no dead member to wait for
            est = max(est, (now - k_since) / (k - k_seen))
        k_seen, k_since = k, now
    remaining = total - produced
    if k >= cycles:
        rate = max(remaining / 3.0, 10000.0)  # the final run: finish the input
    else:
        time_left = max(est - (now - k_since), 0.5) + (cycles - k - 1) * est + 0.5 * est
        rate = remaining / time_left
        # Never more than 1.5 segments ahead of the kills: beyond that only a trickle, so that the
        # producer is still producing (and not finished) when the next kill lands.
        if produced >= segment * (k + 1.5):
            rate = min(rate, 50.0)
    credit = min(credit + (now - last) * rate, max(rate, 1.0))
    last = now
    want = min(int(credit), remaining)
    if want <= 0:
        continue
    chunk = "".join(next(gen) for _ in range(want))
    kcat.stdin.write(chunk.encode())
    kcat.stdin.flush()
    produced += want
    credit -= want
    publish(produced)
kcat.stdin.close()
sys.exit(kcat.wait())
EOF
producer_pid=$!

db="$work/data/selfheal.db"
# Durable count. A read can fail while the killed writer's WAL is being recovered: retry, never guess.
count() {
  local c
  for _ in $(seq 1 50); do
    if c=$(sqlite3 "file:$db?mode=ro" "SELECT COALESCE(SUM(lines),0) FROM source_counts WHERE source='kafka';" 2>/dev/null) &&
      [[ -n "$c" ]]; then
      echo "$c"; return
    fi
    [[ -f "$db" ]] || { echo 0; return; }
    sleep 0.05
  done
  echo "cannot read $db" >&2; exit 1
}
produced() { cat "$work/produced"; }

start_serve() {
  "$SELFHEAL" serve -c "$work/selfheal.yaml" >>"$work/serve.out" 2>>"$work/serve.err" &
  serve_pid=$!
}

# ---- kill -9 cycles ----
mid=0
for i in $(seq 1 "$CYCLES"); do
  c0=$(count)
  started=$SECONDS
  start_serve
  # wait until this incarnation counted lines (the dead member's session must time out first)
  deadline=$((SECONDS + 90))
  while (( $(count) <= c0 )); do
    (( SECONDS <= deadline )) || { echo "cycle $i: no progress within 90 s" >&2; tail -20 "$work/serve.err" >&2; exit 1; }
    kill -0 "$serve_pid" 2>/dev/null || { echo "cycle $i: selfheal serve exited" >&2; tail -20 "$work/serve.err" >&2; exit 1; }
    sleep 0.05
  done
  sleep "0.$((RANDOM % 9 + 1))"
  # only while there is something left to count
  deadline=$((SECONDS + 30))
  while (( $(produced) <= $(count) )); do
    (( SECONDS <= deadline )) || { echo "cycle $i: nothing left to ingest for 30 s (producer finished early?)" >&2; exit 1; }
    sleep 0.02
  done
  p_at=$(produced)
  kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  c1=$(count)
  echo "$i" >"$work/kills.tmp"; mv "$work/kills.tmp" "$work/kills"
  verdict="NOT mid-ingest"
  if (( c1 > c0 && c1 < p_at )); then verdict="mid-ingest"; mid=$((mid + 1)); fi
  echo "cycle $i: kill -9 after $((SECONDS - started)) s: $c1 lines counted (+$((c1 - c0)) by this process), $p_at produced, $((p_at - c1)) not yet counted: $verdict"
done

# ---- final run: let the producer finish, ingest the rest, then stop cleanly ----
start_serve
producer_rc=0
wait "$producer_pid" || producer_rc=$?
producer_pid=""
(( producer_rc == 0 )) || { echo "producer failed (rc $producer_rc)" >&2; cat "$work/producer.err" "$work/kcat.err" >&2; exit 1; }
deadline=$((SECONDS + 180))
last=-1; stable=0
while (( SECONDS < deadline )); do
  c=$(count)
  if (( c == last )); then stable=$((stable + 1)); else stable=0; fi
  last=$c
  if (( c >= LINES && stable >= 20 )); then break; fi   # 20 x 0.1 s without change at or past the end
  sleep 0.1
done
kill -TERM "$serve_pid"; wait "$serve_pid" || true; serve_pid=""
final=$(count)
dead=$(sqlite3 "file:$db?mode=ro" "SELECT COUNT(*) FROM dead_letters;")
echo "final: $final lines counted, $LINES produced, $dead dead letters, $CYCLES kill -9 cycles ($mid mid-ingest), $((SECONDS - t0)) s"
if [[ "$final" == "$LINES" && "$dead" == "0" && "$mid" == "$CYCLES" ]]; then
  echo "OK: exactly $LINES"
else
  echo "FAIL: expected exactly $LINES lines, 0 dead letters and $CYCLES mid-ingest kills" >&2
  exit 1
fi
