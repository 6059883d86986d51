"""The tables of benchmarks/fidelity.sh from its results database.

    python3 benchmarks/fidelity_table.py DB COUNT RUNGS REFERENCES_TXT

Each evaluator's scores come from the newest `nas search` run named fidelity-NAME (the sampled
architectures) and fidelity-NAME-REFERENCE (one reference network each); the reference accuracy
from fidelity-reference*. Only the reference networks REFERENCES_TXT lists take part. Rank agreement with the reference: Kendall's tau-b and Spearman's rho
(average ranks for ties), over the architectures both have.
"""
import sqlite3
import sys


def newest_runs(db, prefix):
    rows = db.execute(
        "SELECT name, MAX(id) FROM runs WHERE kind = 'search' AND name LIKE ? GROUP BY name", (prefix + "%",)).fetchall()
    return dict(rows)


def scores(db, run_id):
    """hash -> (value, rung, continued_from_step, steps, wall seconds, reused) of a run's ok evaluations."""
    out = {}
    for h, value, rung, start, config, wall, reused in db.execute(
            "SELECT architecture_hash, accuracy, rung, continued_from_step, evaluator_config, wall_seconds, reused "
            "FROM evaluations WHERE run_id = ? AND status = 'ok' ORDER BY trial", (run_id,)):
        out.setdefault(h, []).append((value, rung, start, config, wall, reused))
    return out


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2
        i = j + 1
    return out


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return cov / den if den else float("nan")


def kendall_tau_b(a, b):
    concordant = discordant = ties_a = ties_b = 0
    n = len(a)
    for i in range(n):
        for j in range(i + 1, n):
            da, db_ = a[i] - a[j], b[i] - b[j]
            if da == 0 and db_ == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db_ == 0:
                ties_b += 1
            elif (da > 0) == (db_ > 0):
                concordant += 1
            else:
                discordant += 1
    den = ((concordant + discordant + ties_a) * (concordant + discordant + ties_b)) ** 0.5
    return (concordant - discordant) / den if den else float("nan")


def main():
    path, count, rungs = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")]
    with open(sys.argv[4]) as f:
        networks = [line.strip().rsplit("/", 1)[-1].removesuffix(".arch") for line in f if line.strip()]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    runs = newest_runs(db, "fidelity-")
    if "fidelity-reference" not in runs:
        sys.exit(f"{path}: no fidelity-reference run yet; run benchmarks/fidelity.sh")
    names = ["reference", "train-40", "train-120", "train-360", "zen", "naswot", "synflow"]
    # name -> hash -> value; the reference networks' runs are fidelity-NAME-NETWORK.
    table, sampled = {}, {}
    for name in names:
        values = {}
        for run_name, run_id in runs.items():
            if run_name == f"fidelity-{name}" or run_name in [f"fidelity-{name}-{n}" for n in networks]:
                for h, evaluations in scores(db, run_id).items():
                    values[h] = evaluations[-1][0]
                if run_name == f"fidelity-{name}":
                    sampled[name] = set(scores(db, run_id))
        table[name] = values
    reference = table["reference"]
    costs = dict(db.execute("SELECT hash, macs FROM architectures").fetchall())
    params = dict(db.execute("SELECT hash, params FROM architectures").fetchall())
    table["MACs"] = {h: costs[h] for h in reference}
    table["params"] = {h: params[h] for h in reference}
    steps = {"train-40": "40", "train-120": "120", "train-360": "360", "zen": "0 (untrained)", "naswot": "0 (untrained)",
             "synflow": "0 (untrained)", "MACs": "-", "params": "-"}

    # Successive halving: a candidate ranks by the highest rung it reached, then that rung's accuracy.
    halving = {}
    halving_steps = None
    if "fidelity-halving" in runs:
        rows = db.execute(
            "SELECT architecture_hash, accuracy, rung, continued_from_step, reused FROM evaluations WHERE run_id = ? AND status = 'ok'",
            (runs["fidelity-halving"],)).fetchall()
        trained = 0
        for h, accuracy, rung, start, reused in rows:
            if h not in halving or rung > halving[h][0]:
                halving[h] = (rung, accuracy)
            # A reused result was trained by an earlier run of the same settings: count it as trained.
            if reused:
                start = rungs[rung - 1] if rung > 0 else 0
            trained += rungs[rung] - (start or 0)
        halving_steps = trained / max(1, len(halving))
        table["halving"] = {h: rung * 10 + accuracy for h, (rung, accuracy) in halving.items()}
        # Its first rung alone: 40 steps of the top rung's schedule, the filter every candidate meets.
        table["halving, rung 0 only"] = {h: a for h, a, rung, _, _ in rows if rung == 0}
        steps["halving, rung 0 only"] = f"{rungs[0]} of a {rungs[-1]}-step schedule"
        steps["halving"] = f"{halving_steps:.0f} per architecture on average"
        sampled["halving"] = set(halving)

    print(f"Rank agreement with the reference accuracy over {len(reference)} architectures ({count} sampled from mnasnet.space "
          f"and the scaled reference networks; successive halving ranks the sampled ones it searched):\n")
    print("| ranked by | architectures | Kendall tau | Spearman rho | training steps | reference rank of its top pick |")
    print("|---|---:|---:|---:|---|---:|")
    order = sorted(reference, key=lambda h: -reference[h])
    for name in ["train-40", "train-120", "train-360", "halving", "halving, rung 0 only", "zen", "naswot", "synflow", "MACs", "params"]:
        values = table.get(name, {})
        common = [h for h in reference if h in values]
        if len(common) < 3:
            print(f"| {name} | {len(common)} | - | - | {steps.get(name, '-')} | - |")
            continue
        a = [values[h] for h in common]
        b = [reference[h] for h in common]
        pick = max(common, key=lambda h: values[h])
        print(f"| {name} | {len(common)} | {kendall_tau_b(a, b):+.3f} | {spearman(a, b):+.3f} | {steps.get(name, '-')} | "
              f"{order.index(pick) + 1} of {len(reference)} |")
    acc = sorted(reference.values())
    print(f"\nreference accuracy over the {len(acc)} architectures: min {acc[0]:.4f}, median {acc[len(acc) // 2]:.4f}, max {acc[-1]:.4f}")
    if halving:
        per_rung = [sum(1 for r, _ in halving.values() if r >= k) for k in range(len(rungs))]
        print(f"successive halving reached rungs {rungs}: {per_rung} candidates")


if __name__ == "__main__":
    main()
