#!/usr/bin/env python3
"""Scores selfheal's grouping on every labelled set in ../shared/data (Loghub-2k public, wild-2k).

Modes (each prints one table per data set, per dataset and the unweighted average):
  cli    `selfheal fingerprint` over each dataset's messages (what the maintainers score).
  serve  each dataset pushed through a real `selfheal serve` (Loki JSON push, one service), one
         learner round after every line is durable, then `selfheal fingerprint --data-dir` prints
         the id each line has in that store now: grouping as serve shows it.
  lodo   leave-one-dataset-out for every learned threshold: for each of the 16 logs, the
         configuration (from a small grid around the defaults) that is best on the other 15 is
         scored on the one left out. Prints the LODO averages, the default's averages and, per
         threshold, how often LODO picked each value.

Options:
  --bin PATH            selfheal binary (default build/selfheal)
  --data DIR[,DIR]      data sets (default ../shared/data/loghub-2k,../shared/data/wild)
  --floor SET=GA,FGA    exit 1 when SET's average GA or FGA is below (repeatable; CI uses it)
  --learn-option N=V    cli: one MergeOptions value for `selfheal fingerprint` (repeatable)
  --json FILE           write every figure as JSON

Standard library only. The scorer is ../shared/bench/loghub_ga.py, run as a program.
"""

import argparse
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SCORER = os.path.join(SHARED, "bench", "loghub_ga.py")

# The learned thresholds (fingerprint/merge.hpp) and the values the LODO run tries for each.
GRID = {
    "min_distinct": [4, 5, 7],
    "min_distinct_in_context": [2, 3, 4],
    "min_context_words": [1, 2, 3],
    "keep_enum_positions": [0, 1],
    "learn_empty": [0, 1],
    "learn_known_values": [0, 1],
    "wildcard_evidence": [0, 1],
    "gap_min_distinct": [2, 3],
    "gap_min_prefix_words": [1, 2, 3],
    "gap_min_shared": [0, 1, 2],
}
DEFAULTS = {"min_distinct": 5, "min_distinct_in_context": 3, "min_context_words": 2,
            "keep_enum_positions": 1, "learn_empty": 1, "learn_known_values": 1, "wildcard_evidence": 1, "gap_min_distinct": 2, "gap_min_prefix_words": 1,
            "gap_min_shared": 1}


def score(data_dir, command, datasets=None):
    """Runs the shared scorer; returns {dataset: {"GA":..., "FGA":..., ...}}."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        args = [sys.executable, SCORER, "--data", data_dir, "--json", out]
        if datasets:
            args += ["--datasets", ",".join(datasets)]
        r = subprocess.run(args + ["--"] + command, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("scorer failed (%s): %s" % (" ".join(command), r.stderr.strip()[-2000:]))
        with open(out) as fh:
            j = json.load(fh)
    finally:
        os.unlink(out)
    return {v["dataset"]: {"GA": v["GA"], "FGA": v["FGA"], "groups": "%s/%s" % (v["pred_groups"], v["gt_groups"])}
            for v in j["datasets"]}


def table(title, per):
    print("%s" % title)
    print("  %-14s %7s %7s  %s" % ("dataset", "GA", "FGA", "groups"))
    for name in sorted(per):
        v = per[name]
        print("  %-14s %7.4f %7.4f  %s" % (name, v["GA"], v["FGA"], v.get("groups", "")))
    ga = sum(v["GA"] for v in per.values()) / len(per)
    fga = sum(v["FGA"] for v in per.values()) / len(per)
    print("  %-14s %7.4f %7.4f" % ("AVERAGE", ga, fga))
    return ga, fga


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_json(url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return r.status, (json.loads(raw) if raw and r.headers.get("Content-Type", "").startswith("application/json") else raw)


def metric(base, name):
    _, text = http_json(base + "/metrics")
    text = text.decode() if isinstance(text, bytes) else str(text)
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def read_contents(csv_path):
    import csv
    csv.field_size_limit(2**31 - 1)
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"].replace("\r\n", " ").replace("\n", " ").replace("\r", " ") for r in rows]


def serve_dataset(binary, name, csv_path, workdir, learn_ms):
    """Pushes one dataset through a real serve; returns its data dir after a learner round."""
    data_dir = os.path.join(workdir, name)
    os.makedirs(data_dir, exist_ok=True)
    port = free_port()
    env = dict(os.environ)
    env.update({"SELFHEAL_LISTEN": "127.0.0.1:%d" % port, "SELFHEAL_DATA_DIR": data_dir,
                "SELFHEAL_PIPELINE_MIN_SEVERITY": "debug",
                "SELFHEAL_FINGERPRINT_LEARN_INTERVAL_MS": str(learn_ms)})
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(200):
            try:
                if http_json(base + "/readyz")[0] == 200:
                    break
            except Exception:
                time.sleep(0.05)
        contents = read_contents(csv_path)
        now = time.time_ns()
        for start in range(0, len(contents), 500):
            vals = [[str(now + start + i), line] for i, line in enumerate(contents[start:start + 500])]
            body = {"streams": [{"stream": {"service": name, "job": "grouping-eval"}, "values": vals}]}
            status, _ = http_json(base + "/loki/api/v1/push", body)
            if status != 204:
                raise SystemExit("%s: push answered %d" % (name, status))
        deadline = time.time() + 60
        while time.time() < deadline:
            _, st = http_json(base + "/api/v1/stats")
            if st["totals"]["events"] >= len(contents):
                break
            time.sleep(0.1)
        else:
            raise SystemExit("%s: only %s of %d events became durable" % (name, st["totals"], len(contents)))
        if st["totals"]["events"] != len(contents):
            raise SystemExit("%s: %d lines became %d events (each line must be one event)"
                             % (name, len(contents), st["totals"]["events"]))
        # A learner round that started after every event was durable: wait for two more rounds.
        rounds = metric(base, "selfheal_fingerprint_learner_rounds_total")
        deadline = time.time() + 30 + 3 * learn_ms / 1000
        while metric(base, "selfheal_fingerprint_learner_rounds_total") < rounds + 2:
            if time.time() > deadline:
                raise SystemExit("%s: no learner round within the deadline" % name)
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    return data_dir


def run_serve(binary, data_dirs, learn_ms):
    import glob
    results = {}
    with tempfile.TemporaryDirectory(prefix="selfheal-grouping-") as work:
        for d in data_dirs:
            tag = os.path.basename(os.path.normpath(d))
            per = {}
            for csv_path in sorted(glob.glob(os.path.join(d, "*", "*_structured_corrected.csv"))):
                name = os.path.basename(os.path.dirname(csv_path))
                ddir = serve_dataset(binary, name, csv_path, work, learn_ms)
                per.update(score(d, [binary, "fingerprint", "--data-dir", ddir], [name]))
            results[tag] = per
    return results


def lodo(binary, data_dirs):
    keys = list(GRID)
    configs = [dict(zip(keys, vals)) for vals in itertools.product(*[GRID[k] for k in keys])]
    # Vary at most two thresholds from the defaults at a time: the grid stays small and every
    # threshold is still judged against every other dataset.
    configs = [c for c in configs if sum(c[k] != DEFAULTS[k] for k in keys) <= 2]
    scores = []  # (config, {tag/name: (GA, FGA)})
    for c in configs:
        cmd = [binary, "fingerprint"]
        for k, v in c.items():
            cmd += ["--learn-option", "%s=%d" % (k, v)]
        per = {}
        for d in data_dirs:
            tag = os.path.basename(os.path.normpath(d))
            for name, v in score(d, cmd).items():
                per[tag + "/" + name] = (v["GA"], v["FGA"])
        scores.append((c, per))
    names = sorted(scores[0][1])

    def avg(per, ns):
        return sum(per[n][0] + per[n][1] for n in ns) / len(ns)

    picked = {}
    for n in names:
        others = [m for m in names if m != n]
        best = max(scores, key=lambda cp: (avg(cp[1], others), -sum(cp[0][k] != DEFAULTS[k] for k in keys)))
        picked[n] = best
    default = next(p for c, p in scores if c == DEFAULTS)
    out = {"configs": len(configs), "per_dataset": {}, "choices": {}}
    for tag in sorted({n.split("/")[0] for n in names}):
        ns = [n for n in names if n.startswith(tag + "/")]
        lga = sum(picked[n][1][n][0] for n in ns) / len(ns)
        lfga = sum(picked[n][1][n][1] for n in ns) / len(ns)
        dga = sum(default[n][0] for n in ns) / len(ns)
        dfga = sum(default[n][1] for n in ns) / len(ns)
        print("%s: leave-one-dataset-out GA %.4f FGA %.4f | defaults GA %.4f FGA %.4f" % (tag, lga, lfga, dga, dfga))
        for n in ns:
            print("  %-24s LODO GA %.4f FGA %.4f   defaults GA %.4f FGA %.4f" % (
                n, picked[n][1][n][0], picked[n][1][n][1], default[n][0], default[n][1]))
            out["per_dataset"][n] = {"lodo": picked[n][1][n], "default": default[n], "picked": picked[n][0]}
    print("values LODO picked (over %d held-out logs, %d configurations):" % (len(names), len(configs)))
    for k in keys:
        counts = {}
        for n in names:
            counts[picked[n][0][k]] = counts.get(picked[n][0][k], 0) + 1
        print("  %-26s default %-3s picked %s" % (k, DEFAULTS[k], ", ".join("%s x%d" % kv for kv in sorted(counts.items()))))
        out["choices"][k] = counts
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["cli", "serve", "lodo"])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "selfheal"))
    ap.add_argument("--data", default=",".join(os.path.join(SHARED, "data", d) for d in ("loghub-2k", "wild")))
    ap.add_argument("--floor", action="append", default=[], help="SET=GA,FGA")
    ap.add_argument("--learn-ms", type=int, default=1000, help="serve: learner interval")
    ap.add_argument("--max-gap", type=float, help="serve: exit 1 when an average differs from the CLI's by more")
    ap.add_argument("--learn-option", action="append", default=[], metavar="NAME=N",
                    help="cli: pass one MergeOptions value to `selfheal fingerprint` (to try a rule; repeatable)")
    ap.add_argument("--json")
    a = ap.parse_args()
    data_dirs = [d for d in a.data.split(",") if d]
    for d in data_dirs:
        if not os.path.isdir(d):
            raise SystemExit("no data set at %s (../shared beside the checkout)" % d)
    if not os.access(a.bin, os.X_OK):
        raise SystemExit("no selfheal binary at %s (scripts/build.sh)" % a.bin)
    figures = {}
    if a.mode == "lodo":
        figures = lodo(a.bin, data_dirs)
    else:
        if a.mode == "cli":
            cmd = [a.bin, "fingerprint"]
            for kv in a.learn_option:
                cmd += ["--learn-option", kv]
            results = {os.path.basename(os.path.normpath(d)): score(d, cmd) for d in data_dirs}
        else:
            results = run_serve(a.bin, data_dirs, a.learn_ms)
        for tag, per in results.items():
            ga, fga = table("%s (%s)" % (tag, a.mode), per)
            figures[tag] = {"GA": ga, "FGA": fga, "per_dataset": per}
        if a.mode == "serve":
            for d in data_dirs:
                tag = os.path.basename(os.path.normpath(d))
                cli = score(d, [a.bin, "fingerprint"])
                cga = sum(v["GA"] for v in cli.values()) / len(cli)
                cfga = sum(v["FGA"] for v in cli.values()) / len(cli)
                dga, dfga = figures[tag]["GA"] - cga, figures[tag]["FGA"] - cfga
                figures[tag]["cli"] = {"GA": cga, "FGA": cfga}
                print("%s: serve - cli: GA %+.4f FGA %+.4f (cli GA %.4f FGA %.4f)" % (tag, dga, dfga, cga, cfga))
                if a.max_gap is not None and (abs(dga) > a.max_gap or abs(dfga) > a.max_gap):
                    print("%s: serve and cli differ by more than %.2f" % (tag, a.max_gap))
                    figures["gap_failed"] = True
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=1)
    failed = bool(figures.get("gap_failed"))
    for fl in a.floor:
        tag, _, nums = fl.partition("=")
        ga_min, fga_min = (float(x) for x in nums.split(","))
        got = figures.get(tag)
        if got is None:
            print("floor %s: no such data set" % tag)
            failed = True
        elif got["GA"] < ga_min or got["FGA"] < fga_min:
            print("floor %s: GA %.4f FGA %.4f below the floor GA %.2f FGA %.2f" % (tag, got["GA"], got["FGA"], ga_min, fga_min))
            failed = True
        else:
            print("floor %s: GA %.4f >= %.2f, FGA %.4f >= %.2f" % (tag, got["GA"], ga_min, got["FGA"], fga_min))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
