#!/usr/bin/env python3
"""RSS of `selfheal serve` holding many distinct fingerprints, with the learner running over them.

Starts a real serve (temp data dir, learner every 2 s), measures its RSS idle (the baseline, same
run), pushes N lines with N distinct templates through Loki push (words without digits, so no mask
folds them together), waits until every line is durable and two learner rounds have finished over
them, and prints the RSS then (and the peak). Usage: bench/serve_memory.py [N] [selfheal binary]
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
BIN = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "build", "selfheal")


def rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.read().decode()


def learner_rounds(base):
    for line in get(base, "/metrics").splitlines():
        if line.startswith("selfheal_fingerprint_learner_rounds_total"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def word(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 10)))


def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, SELFHEAL_LISTEN="127.0.0.1:%d" % port, SELFHEAL_DATA_DIR=d,
                   SELFHEAL_PIPELINE_MIN_SEVERITY="debug", SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS=os.environ.get("LEARN_MS", "2000"),
                   SELFHEAL_PIPELINE_MAX_NEW_FINGERPRINTS_PER_SERVICE_PER_HOUR="1000000")
        proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = "http://127.0.0.1:%d" % port
        try:
            for _ in range(300):
                try:
                    get(base, "/readyz")
                    break
                except Exception:
                    time.sleep(0.05)
            time.sleep(1)
            idle = rss_kb(proc.pid)
            rng = random.Random(7)
            # Three statement shapes with two or three free words each: N distinct templates.
            shapes = ["failed to open {} for {} in {}", "worker {} lost its {} connection to {}",
                      "cannot reconcile {} with {} because {} is stale"]
            ts = time.time_ns()
            sent = 0
            t0 = time.time()
            while sent < N:
                vals = []
                for i in range(min(5000, N - sent)):
                    msg = "ERROR " + rng.choice(shapes).format(word(rng), word(rng), word(rng))
                    vals.append([str(ts + sent + i), msg])
                body = json.dumps({"streams": [{"stream": {"service": "memtest"}, "values": vals}]}).encode()
                req = urllib.request.Request(base + "/loki/api/v1/push", data=body,
                                             headers={"Content-Type": "application/json"})
                while True:
                    try:
                        urllib.request.urlopen(req, timeout=60)
                        break
                    except urllib.error.HTTPError as e:
                        if e.code not in (429, 503):
                            raise
                        time.sleep(0.2)
                sent += len(vals)
            while json.loads(get(base, "/api/v1/stats"))["totals"]["events"] < N:
                time.sleep(0.2)
            ingest_s = time.time() - t0
            fps = json.loads(get(base, "/api/v1/stats"))["fingerprints"]
            before_learn = rss_kb(proc.pid)
            r0 = learner_rounds(base)
            while env["SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS"] != "0" and learner_rounds(base) < r0 + 2:
                time.sleep(0.2)
            after = rss_kb(proc.pid)
            peak = rss_kb(proc.pid, "VmHWM")
            parts = ", ".join("%s %.1f MB" % (k, rss_kb(proc.pid, k) / 1024) for k in ("RssAnon", "RssFile", "RssShmem"))
            print("input: %d lines with %d distinct templates (3 shapes x random words), one service" % (N, N))
            print("baseline (same run): serve idle RSS %.1f MB" % (idle / 1024))
            print("after ingest (%.1f s) and two learner rounds over %d fingerprints: RSS %.1f MB, peak %.1f MB"
                  % (ingest_s, fps, after / 1024, peak / 1024))
            print("RSS parts: " + parts)
            print("before the learner's rounds: RSS %.1f MB; growth over idle: %.1f MB" % (before_learn / 1024, (after - idle) / 1024))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
