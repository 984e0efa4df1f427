#!/usr/bin/env bash
# Soak (not CI): `selfheal serve` for SOAK_SECONDS (default 600) under a steady mix of Loki push and
# Kafka, both carrying the public Loghub-2k text (../shared/data/loghub-2k: 8 real logs, 16,000 lines).
#
#   scripts/soak.sh [BUILD_DIR]          default build/ (needs targets selfheal and selfheal_kafka_mock)
#   SOAK_SECONDS=600  SOAK_INTERVAL=30   run length and sample period (seconds)
#   SOAK_LOKI_RATE=400 SOAK_KAFKA_RATE=400   lines per second of each (steady, open loop)
#   SOAK_LOKI_BATCH=20                    lines per Loki push (JSON, one stream per log, 4 connections)
#
# Peers: librdkafka's mock cluster in its own process (selfheal_kafka_mock), fed by one kcat process
# (-P, one record per line, keyed by log); Loki pushes over HTTP keep-alive connections.
# Every SOAK_INTERVAL it prints serve's RSS, open files, pipeline queue depth, commit latency (mean and
# p99 from the histogram over the interval), and lines sent vs counted so far. At the end it waits for
# the counts to settle, stops serve with SIGTERM and prints exact final counts per source.
# Exit 1 if: a count differs from what was sent (and acknowledged), any push failed, kcat reported an
# error, serve logged an ERROR or counted errors/dead letters, serve did not exit 0, or RSS grew more
# than 10 % over its value at the end of the first minute.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD=${1:-build}
case "$BUILD" in /*) bdir=$BUILD ;; *) bdir="$here/$BUILD" ;; esac
for bin in "$bdir/selfheal" "$bdir/selfheal_kafka_mock"; do
  [[ -x "$bin" ]] || { echo "soak: missing $bin (build targets selfheal and selfheal_kafka_mock)" >&2; exit 2; }
done
command -v kcat >/dev/null || { echo "soak: kcat is missing (scripts/install-deps.sh)" >&2; exit 2; }
[[ -d "$here/../shared/data/loghub-2k" ]] || { echo "soak: ../shared/data/loghub-2k is missing" >&2; exit 2; }

export SOAK_BIN="$bdir/selfheal" SOAK_MOCK="$bdir/selfheal_kafka_mock" SOAK_DATA="$here/../shared/data/loghub-2k"
exec python3 - <<'PY'
import json, os, re, signal, subprocess, sys, tempfile, threading, time, http.client, shutil

SECONDS_ = int(os.environ.get("SOAK_SECONDS", "600"))
INTERVAL = int(os.environ.get("SOAK_INTERVAL", "30"))
LOKI_RATE = float(os.environ.get("SOAK_LOKI_RATE", "400"))
KAFKA_RATE = float(os.environ.get("SOAK_KAFKA_RATE", "400"))
BATCH = int(os.environ.get("SOAK_LOKI_BATCH", "20"))
BIN, MOCK, DATA = os.environ["SOAK_BIN"], os.environ["SOAK_MOCK"], os.environ["SOAK_DATA"]
NAMES = ["BGL", "HDFS", "Hadoop", "HealthApp", "Mac", "OpenSSH", "Spark", "Zookeeper"]

logs = {}
for n in NAMES:
    with open(f"{DATA}/{n}/{n}_2k.log", encoding="utf-8", errors="replace") as f:
        logs[n] = [l.rstrip("\r\n") for l in f if l.strip()]

work = tempfile.mkdtemp(prefix="selfheal-soak.")
procs = []
def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)

failures = []
def fail(msg):
    failures.append(msg)
    print("soak: FAIL " + msg, flush=True)

try:
    # ---- peers ----
    mock = subprocess.Popen([MOCK, "--brokers", "3", "--topic", "logs:8"], stdout=subprocess.PIPE,
                            stderr=open(f"{work}/mock.err", "w"), text=True)
    procs.append(mock)
    line = mock.stdout.readline()
    if not line.startswith("BOOTSTRAP "):
        sys.exit("soak: the mock cluster did not start")
    bootstrap = line.split()[1]
    with open(f"{work}/selfheal.yaml", "w") as f:
        f.write(f"""server:
  listen: 127.0.0.1:0
storage:
  data_dir: {work}/data
log:
  level: info
ingest:
  kafka:
    - name: kafka
      brokers: "{bootstrap}"
      group_id: soak
      topics: [logs]
      format: text
""")
    serve_log = open(f"{work}/serve.log", "w")
    serve = subprocess.Popen([BIN, "serve", "--config", f"{work}/selfheal.yaml"], stdout=serve_log,
                             stderr=subprocess.STDOUT)
    procs.append(serve)
    port = None
    for _ in range(2000):
        m = re.search(r"Listening\. address=[^ ]*:(\d+)", open(f"{work}/serve.log").read())
        if m:
            port = int(m.group(1))
            break
        if serve.poll() is not None:
            break
        time.sleep(0.01)
    if not port:
        sys.exit("soak: serve did not start:\n" + open(f"{work}/serve.log").read())

    def get(path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, body

    def metrics():
        _, body = get("/metrics")
        out = {}
        for l in body.splitlines():
            if l and not l.startswith("#"):
                k, _, v = l.rpartition(" ")
                try:
                    out[k] = float(v)
                except ValueError:
                    pass
        return out

    def counted():
        _, body = get("/api/v1/stats")
        j = json.loads(body)
        by = j.get("by_source", {})
        return {s: by.get(s, {}).get("lines", 0) for s in ("loki_push", "kafka")}, j.get("dead_letters", 0)

    # ---- drivers: steady, open loop (line i is due at t0 + i / rate) ----
    stop = threading.Event()
    sent = {"loki_push": 0, "kafka": 0}
    lock = threading.Lock()
    t0 = time.monotonic()
    ts_ns = [1_795_464_000_000_000_000]

    def loki_worker(w, workers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        k = w  # this worker pushes batches w, w + workers, ...
        while not stop.is_set():
            due = t0 + k * BATCH / LOKI_RATE
            now = time.monotonic()
            if due > now:
                if stop.wait(due - now):
                    break
            name = NAMES[k % len(NAMES)]
            text = logs[name]
            base = (k // len(NAMES)) * BATCH
            with lock:
                ts = ts_ns[0]
                ts_ns[0] += BATCH
            values = [[str(ts + i), text[(base + i) % len(text)]] for i in range(BATCH)]
            body = json.dumps({"streams": [{"stream": {"service": name.lower(), "job": "soak"}, "values": values}]})
            try:
                conn.request("POST", "/loki/api/v1/push", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                rb = r.read()
                if r.status == 204:
                    with lock:
                        sent["loki_push"] += BATCH
                else:
                    fail(f"Loki push answered {r.status}: {rb[:200]!r}")
            except Exception as e:  # noqa: BLE001 - any transport failure is a soak failure
                fail(f"Loki push failed: {e}")
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            k += workers

    kcat_err = open(f"{work}/kcat.err", "w")
    kcat = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", "logs", "-K", "\t", "-X", "linger.ms=20"],
                            stdin=subprocess.PIPE, stderr=kcat_err, text=True)
    procs.append(kcat)

    def kafka_worker():
        i = 0
        cursor = {n: 0 for n in NAMES}
        while not stop.is_set():
            due = t0 + i / KAFKA_RATE
            now = time.monotonic()
            if due > now:
                # write in small bursts: everything due in the next 50 ms
                if stop.wait(min(due - now, 0.05)):
                    break
                continue
            chunk = []
            while t0 + i / KAFKA_RATE <= time.monotonic() + 0.05:
                n = NAMES[i % len(NAMES)]
                chunk.append(f"{n}\t{logs[n][cursor[n] % len(logs[n])]}\n")
                cursor[n] += 1
                i += 1
            kcat.stdin.write("".join(chunk))
            kcat.stdin.flush()
            with lock:
                sent["kafka"] += len(chunk)

    workers = 4
    threads = [threading.Thread(target=loki_worker, args=(w, workers)) for w in range(workers)]
    threads.append(threading.Thread(target=kafka_worker))
    for t in threads:
        t.start()

    # ---- samples ----
    def rss_kb():
        for l in open(f"/proc/{serve.pid}/status"):
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
        return 0

    def open_files():
        return len(os.listdir(f"/proc/{serve.pid}/fd"))

    def hist(m, name):
        buckets = sorted((float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")), v)
                         for k, v in m.items() if k.startswith(name + "_bucket"))
        return buckets, m.get(name + "_sum", 0.0), m.get(name + "_count", 0.0)

    def p99(prev, cur):
        (pb, _, pc), (cb, _, cc) = prev, cur
        n = cc - pc
        if n <= 0:
            return 0.0
        for (le, v), (_, v0) in zip(cb, pb or [(0, 0)] * len(cb)):
            if v - v0 >= 0.99 * n:
                return le
        return float("inf")

    print(f"soak: serve pid {serve.pid} on 127.0.0.1:{port}, {SECONDS_} s, Loki push {LOKI_RATE:.0f} lines/s "
          f"({BATCH} per push, {workers} connections, JSON), Kafka {KAFKA_RATE:.0f} lines/s (kcat, mock cluster, "
          f"8 partitions); input: the 8 Loghub-2k logs ({sum(len(v) for v in logs.values())} lines, cycled)",
          flush=True)
    print(f"{'t_s':>5} {'rss_mb':>7} {'fds':>4} {'queue':>6} {'commit_ms_avg':>13} {'commit_ms_p99':>13} "
          f"{'loki sent/counted':>19} {'kafka sent/counted':>20}", flush=True)
    H = "selfheal_store_commit_duration_seconds"
    prev_h = hist(metrics(), H)
    rss_at_minute = None
    rss_max_after = 0
    next_sample = t0 + INTERVAL
    while time.monotonic() - t0 < SECONDS_:
        time.sleep(max(0.0, min(next_sample, t0 + SECONDS_) - time.monotonic()))
        if serve.poll() is not None:
            fail(f"serve exited with {serve.returncode} during the run")
            break
        m = metrics()
        cur_h = hist(m, H)
        dn = cur_h[2] - prev_h[2]
        avg_ms = (cur_h[1] - prev_h[1]) / dn * 1000 if dn > 0 else 0.0
        p99_ms = p99(prev_h, cur_h) * 1000
        prev_h = cur_h
        rss = rss_kb()
        el = time.monotonic() - t0
        if el >= 60 and rss_at_minute is None:
            rss_at_minute = rss
        elif rss_at_minute is not None:
            rss_max_after = max(rss_max_after, rss)
        c, _ = counted()
        with lock:
            s = dict(sent)
        print(f"{el:5.0f} {rss / 1024:7.1f} {open_files():4d} {m.get('selfheal_pipeline_queue_events', -1):6.0f} "
              f"{avg_ms:13.2f} {p99_ms:13.1f} {s['loki_push']:>9}/{c['loki_push']:<9} "
              f"{s['kafka']:>10}/{c['kafka']:<9}", flush=True)
        next_sample += INTERVAL

    # ---- stop the drivers, let the counts settle, stop serve ----
    stop.set()
    for t in threads:
        t.join()
    kcat.stdin.close()
    if kcat.wait(timeout=120) != 0:
        fail(f"kcat exited with {kcat.returncode}")
    kcat_err.close()
    kerr = open(f"{work}/kcat.err").read()
    if re.search(r"(?i)fail|error", kerr):
        fail("kcat reported: " + kerr.strip()[:300])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        c, dead = counted()
        if c == sent:
            break
        time.sleep(0.5)
    c, dead = counted()
    m = metrics()
    errors = {k: v for k, v in m.items()
              if v > 0 and re.match(r"selfheal_\w*(errors|dead_letters)_total", k)}
    serve.send_signal(signal.SIGTERM)
    try:
        rc = serve.wait(timeout=60)
    except subprocess.TimeoutExpired:
        serve.kill()
        rc = "killed after 60 s"
    serve_log.close()
    slog = open(f"{work}/serve.log").read()
    error_lines = [l for l in slog.splitlines() if re.match(r"\S+Z (error|critical) ", l)]

    print("final counts (lines):", flush=True)
    for src in ("loki_push", "kafka"):
        ok = c[src] == sent[src]
        print(f"  {src:10} sent {sent[src]:>9}  counted {c[src]:>9}  {'exact' if ok else 'MISMATCH'}", flush=True)
        if not ok:
            fail(f"{src}: sent {sent[src]}, counted {c[src]}")
    print(f"  dead letters {dead}; error counters {errors or 'none'}; serve ERROR log lines {len(error_lines)}; "
          f"serve exit {rc}", flush=True)
    if dead:
        fail(f"{dead} dead letters")
    if errors:
        fail(f"error counters: {errors}")
    if error_lines:
        fail("serve logged errors: " + " | ".join(error_lines[:3]))
    if rc != 0:
        fail(f"serve exit {rc}")
    if rss_at_minute:
        growth = (rss_max_after - rss_at_minute) / rss_at_minute * 100 if rss_max_after else 0.0
        print(f"  RSS at 60 s {rss_at_minute / 1024:.1f} MB, max after {rss_max_after / 1024:.1f} MB: "
              f"growth {growth:+.1f} % (limit 10 %)", flush=True)
        if growth > 10:
            fail(f"RSS grew {growth:.1f} % after the first minute")
    else:
        print("  (run shorter than a minute: no RSS growth check)", flush=True)
    print("soak: " + ("PASS" if not failures else f"FAIL ({len(failures)} problem(s))"), flush=True)
finally:
    cleanup()
sys.exit(1 if failures else 0)
PY
