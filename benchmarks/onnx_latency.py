"""How far nas's latency ranking carries to a second runtime: onnxruntime against XNNPACK.

For every architecture (the reference networks in search-spaces/reference/ and --samples
architectures sampled from each shipped space) the deployment network, at its own resolution
with the training engine's initial weights, is exported with `nas export --format onnx` and
timed in onnxruntime on one thread, and the same .arch is timed with `nas latency measure
--threads 1 --json` (XNNPACK). The two measurements of an architecture are taken back to back
(the machine has noisy neighbours), in alternating order, and with --passes P the whole sweep
is repeated P times in a fresh order; each runtime's latency is its fastest over the passes.

onnxruntime is timed the way `nas latency measure` times a network (NetworkTimingPolicy):
intra_op_num_threads=1, inter_op_num_threads=1, ORT_SEQUENTIAL, graph optimisations at their
default (ORT_ENABLE_ALL), batch 1; 1 s of untimed runs first (nas does that once per process,
and every `nas latency measure` is a fresh process), then 8 rounds, each 1 untimed run and
timed runs lasting at least 40 ms (at least 4, the count fixed after the first round); the
latency is the fastest timed run.

Prints the commands behind the numbers, a table (architecture, MACs, nas ms, onnxruntime ms,
ratio), then Spearman's rho and Kendall's tau-b between the two runtimes (average ranks for
ties), overall and per space, the median ratio onnxruntime/nas, the architectures whose ranks
differ most, and, with two passes or more, Spearman's rho pass by pass: the two runtimes in
the same pass and each runtime against itself in another pass (the noise floor of the
correlations). Failures (export, onnxruntime, nas) are listed with their message and leave the
architecture out of the statistics. --json-out keeps every timing; --reanalyse prints the
tables of such a file again without measuring.

Run through benchmarks/onnx_latency.sh, which makes the virtual environment.
"""

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from export_checks import sampled  # noqa: E402  (the export checks' reading of nas space sample)

SPACES = ("mnasnet", "mobilenetv3", "repvit")
# NetworkTimingPolicy.standard (Sources/NASLatency/NetworkTimingPolicy.swift).
ROUNDS = 8
WARMUP_RUNS = 1
MIN_RUNS = 4
ROUND_MS = 40.0
PROCESS_WARMUP_S = 1.0


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr.strip() or result.stdout.strip()).replace("\n", " | ")
        raise RuntimeError(f"`{' '.join(args)}` failed ({result.returncode}): {message}")
    return result.stdout


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def busy_jiffies():
    """(busy, total) jiffies of all cores from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def own_cpu_seconds():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def ort_time(path):
    """onnxruntime's fastest and median run of the model at `path`, in ms, timed as nas times."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    shape = [1] + [d if isinstance(d, int) else 1 for d in inp.shape[1:]]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    feeds = {inp.name: x}
    names = [o.name for o in session.get_outputs()]
    end = time.perf_counter() + PROCESS_WARMUP_S
    while time.perf_counter() < end:
        session.run(names, feeds)
    times = []
    per_round = None
    for _ in range(ROUNDS):
        for _ in range(WARMUP_RUNS):
            session.run(names, feeds)
        if per_round is None:
            t0 = time.perf_counter_ns()
            session.run(names, feeds)
            probe = (time.perf_counter_ns() - t0) / 1e6
            per_round = max(MIN_RUNS, math.ceil(ROUND_MS / max(probe, 1e-3)))
        for _ in range(per_round):
            t0 = time.perf_counter_ns()
            session.run(names, feeds)
            times.append((time.perf_counter_ns() - t0) / 1e6)
    return min(times), float(np.median(times)), len(times)


def ranks(values):
    """Ranks from 1, ties given the average of the ranks they span."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    r = np.empty(len(values))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = math.sqrt(float(np.sum(ra * ra) * np.sum(rb * rb)))
    return float(np.sum(ra * rb)) / denominator if denominator > 0 else float("nan")


def kendall(a, b):
    """Kendall's tau-b (ties in either variable accounted for)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    da = np.sign(a[:, None] - a[None, :])
    db = np.sign(b[:, None] - b[None, :])
    upper = np.triu_indices(len(a), k=1)
    da, db = da[upper], db[upper]
    numerator = float(np.sum(da * db))
    denominator = math.sqrt(float(np.sum(da != 0)) * float(np.sum(db != 0)))
    return numerator / denominator if denominator > 0 else float("nan")


def report(archs, nas_ms, ort_ms, macs, failures):
    """Prints the table and the statistics; returns (summary, noise) for the JSON."""
    ok = [i for i, (label, _, _) in enumerate(archs) if label not in failures and nas_ms[i] and ort_ms[i]]
    best_nas = {i: min(nas_ms[i]) for i in ok}
    best_ort = {i: min(ort_ms[i]) for i in ok}

    print()
    print(f"| architecture | space | MACs (M) | nas ms | onnxruntime ms | onnxruntime / nas |")
    print("|---|---|---:|---:|---:|---:|")
    for i in ok:
        label, group, _ = archs[i]
        print(f"| {label} | {group} | {macs[i] / 1e6:.1f} | {best_nas[i]:.3f} | {best_ort[i]:.3f} | {best_ort[i] / best_nas[i]:.3f} |")

    def stats(indices):
        a = [best_nas[i] for i in indices]
        b = [best_ort[i] for i in indices]
        ratio = [y / x for x, y in zip(a, b)]
        return len(indices), spearman(a, b), kendall(a, b), float(np.median(ratio)), min(ratio), max(ratio)

    groups = [("all", ok)] + [(g, [i for i in ok if archs[i][1] == g]) for g in ("reference",) + SPACES]
    summary = {}
    print()
    print("| set | networks | Spearman rho | Kendall tau-b | median onnxruntime/nas | ratio range |")
    print("|---|---:|---:|---:|---:|---|")
    for name, indices in groups:
        if len(indices) < 2:
            continue
        n, rho, tau, med, lo, hi = stats(indices)
        summary[name] = {"networks": n, "spearman": rho, "kendall": tau, "median_ratio": med, "min_ratio": lo, "max_ratio": hi}
        print(f"| {name} | {n} | {rho:.4f} | {tau:.4f} | {med:.3f} | {lo:.3f}-{hi:.3f} |")

    print()
    print("largest rank differences (ranks from 1 = fastest, within the set):")
    for name, indices in groups:
        if len(indices) < 2:
            continue
        rn = ranks([best_nas[i] for i in indices])
        ro = ranks([best_ort[i] for i in indices])
        diff = sorted(zip(indices, rn, ro), key=lambda t: -abs(t[1] - t[2]))[:5]
        print(f"  {name} ({len(indices)}): " + "; ".join(
            f"{archs[i][0]} nas #{a:g} {best_nas[i]:.2f} ms, onnxruntime #{b:g} {best_ort[i]:.2f} ms" for i, a, b in diff))

    noise = {}
    passes = max((min(len(nas_ms[i]), len(ort_ms[i])) for i in ok), default=0)
    if passes >= 2:
        pairs = [(p, q) for p in range(passes) for q in range(p + 1, passes)]
        print()
        print("agreement pass by pass, Spearman rho (the noise floor of the correlations above, which use each runtime's fastest over the passes):")
        print("| set | nas vs onnxruntime, same pass | nas, pass vs pass | onnxruntime, pass vs pass |")
        print("|---|---|---|---|")
        for name, indices in groups:
            full = [i for i in indices if len(nas_ms[i]) >= passes and len(ort_ms[i]) >= passes]
            if len(full) < 2:
                continue
            same = [spearman([nas_ms[i][p] for i in full], [ort_ms[i][p] for i in full]) for p in range(passes)]
            self_nas = [spearman([nas_ms[i][p] for i in full], [nas_ms[i][q] for i in full]) for p, q in pairs]
            self_ort = [spearman([ort_ms[i][p] for i in full], [ort_ms[i][q] for i in full]) for p, q in pairs]
            noise[name] = {"networks": len(full), "same_pass": same, "nas_pass_pairs": self_nas, "onnxruntime_pass_pairs": self_ort}
            print(f"| {name} ({len(full)}) | " + ", ".join(f"pass {p + 1} {r:.3f}" for p, r in enumerate(same)) + " | "
                  + ", ".join(f"{p + 1}-{q + 1} {r:.3f}" for (p, q), r in zip(pairs, self_nas)) + " | "
                  + ", ".join(f"{p + 1}-{q + 1} {r:.3f}" for (p, q), r in zip(pairs, self_ort)) + " |")
        print("median |pass q - pass p| / the faster of the two, over all networks: "
              + "; ".join(name + " " + ", ".join(
                  f"{p + 1}-{q + 1} {100 * float(np.median([abs(s[i][q] - s[i][p]) / min(s[i][p], s[i][q]) for i in ok if len(s[i]) >= passes])):.1f}%"
                  for p, q in pairs) for name, s in (("nas", nas_ms), ("onnxruntime", ort_ms))))
        print("pass that gave the fastest run: " + "; ".join(
            name + " " + ", ".join(f"pass {p + 1} {sum(1 for i in ok if len(s[i]) >= passes and int(np.argmin(s[i])) == p)}" for p in range(passes))
            for name, s in (("nas", nas_ms), ("onnxruntime", ort_ms))))
    return summary, noise


def reanalyse(path):
    with open(path) as f:
        d = json.load(f)
    print(f"{path}: machine {d['cpu']}, {d['cores']} cores; nas {d['nas_version']} ({d['nas']}); onnxruntime {d['onnxruntime']};"
          f" --seed {d['seed']} --samples {d['samples']} --passes {d['passes']}, {d['minutes']:.1f} min")
    entries = d["architectures"]
    archs = [(e["label"], e["space"], e["arch"]) for e in entries]
    report(archs, [e["nas_ms"] for e in entries], [e["onnxruntime_ms"] for e in entries], [e["macs"] for e in entries], d["failures"])
    print()
    print(f"{len(d['failures'])} failure(s)" if d["failures"] else "no failures")
    print(f"load average before: {d['load_before']}; after: {d['load_after']}; other processes kept {d['other_busy_cores']:.2f} of {d['cores']}"
          " cores busy on average")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nas", help="the nas binary (required unless --reanalyse)")
    parser.add_argument("--root", help="the repository, for search-spaces/ (required unless --reanalyse)")
    parser.add_argument("--samples", type=int, default=50, help="architectures sampled per shipped space (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of `nas space sample` (default 1)")
    parser.add_argument("--passes", type=int, default=2, help="sweeps over all architectures; each latency is its fastest over them (default 2)")
    parser.add_argument("--json-out", help="also write every measurement as JSON to this file")
    parser.add_argument("--reanalyse", metavar="FILE", help="measure nothing: print the table and statistics of a --json-out file again")
    args = parser.parse_args()
    if args.reanalyse:
        reanalyse(args.reanalyse)
        return
    if not args.nas or not args.root:
        parser.error("--nas and --root are required to measure")
    nas = os.path.abspath(args.nas)
    spaces = os.path.join(args.root, "search-spaces")

    version = run([nas, "--version"]).strip()
    load_before = loadavg()
    busy0, total0 = busy_jiffies()
    cpu0, wall0 = own_cpu_seconds(), time.time()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average before: {load_before}")
    print(f"nas {version} ({nas}); onnxruntime {ort.__version__}, onnx {onnx.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print("commands (A.arch: one architecture, M.onnx: its export; each latency the fastest over the passes):")
    print(f"  architectures: search-spaces/reference/*.arch, and `{nas} space sample search-spaces/SPACE.space --seed {args.seed} --count {args.samples}`"
          f" for SPACE in {', '.join(SPACES)}")
    print(f"  nas ms:         `{nas} latency measure A.arch --threads 1 --json` (field latency_ms, the fastest run; macs from the same JSON)")
    print(f"  export:         `{nas} export A.arch --format onnx --out M.onnx` (deployment network at its own resolution, initial weights)")
    print(f"  onnxruntime ms: InferenceSession(M.onnx, CPUExecutionProvider, intra_op_num_threads=1, inter_op_num_threads=1, ORT_SEQUENTIAL,"
          f" graph_optimization_level default ORT_ENABLE_ALL), batch 1, {PROCESS_WARMUP_S:g} s untimed, then {ROUNDS} rounds of"
          f" {WARMUP_RUNS} untimed + timed runs >= {ROUND_MS:g} ms (>= {MIN_RUNS}); the fastest timed run")
    print(f"  the two back to back per architecture, alternating which goes first; {args.passes} pass(es), each in a fresh order (seed {args.seed})")
    sys.stdout.flush()

    archs = []  # (label, group, text)
    for name in sorted(os.listdir(os.path.join(spaces, "reference"))):
        if name.endswith(".arch"):
            with open(os.path.join(spaces, "reference", name)) as f:
                archs.append((name[:-5], "reference", f.read()))
    for space in SPACES:
        for i, text in enumerate(sampled(nas, os.path.join(spaces, f"{space}.space"), args.samples, args.seed)):
            archs.append((f"{space}-{i + 1}", space, text))

    nas_ms = [[] for _ in archs]
    ort_ms = [[] for _ in archs]
    ort_median = [[] for _ in archs]
    macs = [None] * len(archs)
    failures = {}
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="nas-onnx-latency.") as work:
        paths = []
        for i, (label, _, text) in enumerate(archs):
            path = os.path.join(work, f"{label}.arch")
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        onnx_path = os.path.join(work, "m.onnx")
        step = 0
        for p in range(args.passes):
            order = list(range(len(archs)))
            if p > 0:
                rng.shuffle(order)
            for k, i in enumerate(order):
                label = archs[i][0]
                if label in failures:
                    continue
                step += 1
                try:
                    def time_nas():
                        out = json.loads(run([nas, "latency", "measure", paths[i], "--threads", "1", "--json"]))
                        nas_ms[i].append(out["latency_ms"])
                        macs[i] = out["macs"]

                    def time_ort():
                        if os.path.exists(onnx_path):
                            os.remove(onnx_path)
                        run([nas, "export", paths[i], "--format", "onnx", "--out", onnx_path])
                        fastest, median, _ = ort_time(onnx_path)
                        ort_ms[i].append(fastest)
                        ort_median[i].append(median)

                    for f in ((time_nas, time_ort) if step % 2 else (time_ort, time_nas)):
                        f()
                    print(f"[pass {p + 1}/{args.passes} {k + 1:3d}/{len(order)} {time.strftime('%H:%M:%S')}] {label:24s}"
                          f" nas {nas_ms[i][-1]:8.3f} ms  onnxruntime {ort_ms[i][-1]:8.3f} ms  load {loadavg()}", flush=True)
                except Exception as error:  # noqa: BLE001 - a failure is reported and the others go on
                    failures[label] = str(error)
                    print(f"FAIL {label}: {error}", flush=True)

    busy1, total1 = busy_jiffies()
    cpu1, wall1 = own_cpu_seconds(), time.time()
    ticks = os.sysconf("SC_CLK_TCK")
    others = max(0.0, ((busy1 - busy0) / ticks - (cpu1 - cpu0)) / (wall1 - wall0))

    summary, noise = report(archs, nas_ms, ort_ms, macs, failures)

    print()
    if failures:
        print(f"{len(failures)} architecture(s) failed:")
        for label, message in failures.items():
            print(f"  {label}: {message}")
    else:
        print("no failures")
    load_after = loadavg()
    print(f"load average before: {load_before}; after: {load_after}; other processes kept {others:.2f} of {os.cpu_count()} cores busy on average"
          f" over the {(wall1 - wall0) / 60:.1f} min (from /proc/stat minus this benchmark's own CPU time)")

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({
                "nas": nas, "nas_version": version, "onnxruntime": ort.__version__, "cpu": cpu_model(), "cores": os.cpu_count(),
                "load_before": load_before, "load_after": load_after, "other_busy_cores": others, "minutes": (wall1 - wall0) / 60,
                "seed": args.seed, "samples": args.samples, "passes": args.passes,
                "summary": summary, "noise": noise, "failures": failures,
                "architectures": [
                    {"label": label, "space": group, "macs": macs[i], "nas_ms": nas_ms[i], "onnxruntime_ms": ort_ms[i],
                     "onnxruntime_median_ms": ort_median[i], "arch": text}
                    for i, (label, group, text) in enumerate(archs)
                ],
            }, f, indent=1)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
