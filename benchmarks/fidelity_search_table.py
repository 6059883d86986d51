"""benchmarks/fidelity_search.sh's reading of its database.

    python3 benchmarks/fidelity_search_table.py best DB RUN_NAME TOP     # the run's best TOP hashes, one a line
    python3 benchmarks/fidelity_search_table.py table DB TOP TARGET W "SEEDS" "MODES" "REF_SEEDS"

MODES as in fidelity_search.sh: "flat", or a rung list (the run halving-RUNGS-SEED).

A run's candidates rank as the search ranks them: the highest rung a candidate reached first
(successive halving), then its reward at that rung.
"""
import sqlite3
import sys

from fidelity_table import kendall_tau_b


def ranked(db, name):
    """(hash, rung, reward, accuracy, predicted ms) of the newest run called `name`, best first."""
    run = db.execute("SELECT MAX(id) FROM runs WHERE name = ?", (name,)).fetchone()[0]
    if run is None:
        return None, []
    best = {}
    for h, rung, reward, accuracy, latency in db.execute(
            "SELECT architecture_hash, COALESCE(rung, 0), reward, accuracy, predicted_latency_ms FROM evaluations "
            "WHERE run_id = ? AND status = 'ok'", (run,)):
        if h not in best or (rung, reward) > best[h][:2]:
            best[h] = (rung, reward, accuracy, latency)
    order = sorted(best, key=lambda h: best[h][:2], reverse=True)
    return run, [(h,) + best[h] for h in order]


def run_name(mode, seed):
    return f"flat-{seed}" if mode == "flat" else f"halving-{mode}-{seed}"


def label(mode):
    return "flat 120 steps" if mode == "flat" else f"halving {mode}"


def references(db, ref_seeds):
    """Each referenced hash's accuracy per training seed (of REF_SEEDS) and their mean."""
    per_seed = {}
    for h, seed, accuracy in db.execute(
            "SELECT e.architecture_hash, json_extract(e.evaluator_config, '$.seed'), e.accuracy FROM evaluations e "
            "JOIN runs r ON r.id = e.run_id WHERE r.name LIKE 'reference-%' AND e.status = 'ok'"):
        if str(seed) in ref_seeds:
            per_seed.setdefault(h, {})[str(seed)] = accuracy
    return per_seed, {h: sum(v.values()) / len(v) for h, v in per_seed.items()}


def seed_agreement(per_seed, ref_seeds):
    """How the references under each further training seed agree with the first."""
    if len(ref_seeds) < 2:
        return
    print(f"\nThe reference against itself: its accuracy under training seed {ref_seeds[0]} and under each other seed, "
          f"over the networks trained under both:\n")
    print("| seeds | networks | Kendall tau | mean abs difference | largest difference |")
    print("|---|---:|---:|---:|---:|")
    for other in ref_seeds[1:]:
        both = [(v[ref_seeds[0]], v[other]) for v in per_seed.values() if ref_seeds[0] in v and other in v]
        if len(both) < 2:
            continue
        diffs = [abs(a - b) for a, b in both]
        tau = kendall_tau_b([a for a, _ in both], [b for _, b in both])
        print(f"| {ref_seeds[0]} and {other} | {len(both)} | {tau:+.3f} | {sum(diffs) / len(diffs):.4f} | {max(diffs):.4f} |")


def table(db, top, target, w, seeds, modes, ref_seeds):
    per_seed, reference = references(db, ref_seeds)
    print(f"Equal compute: {' against '.join(label(m) for m in modes)}, target {target:g} ms, w {w:g}; each run's best {top} "
          f"candidates trained with the reference budget (training seeds {', '.join(ref_seeds)}; their mean accuracy), "
          f"scored with the run's reward at their predicted latency:\n")
    print("| seed | search | trained evaluations | candidates | rank | predicted ms | search accuracy (rung) | reference accuracy | reference reward |")
    print("|---:|---|---:|---:|---:|---:|---|---:|---:|")
    summary = {}
    best = {}  # mode -> (hash, predicted ms) of each run's best candidate
    for seed in seeds:
        for mode in modes:
            run, candidates = ranked(db, run_name(mode, seed))
            if run is None:
                continue
            # Reused results (a strategy proposing a network it has seen) cost no training.
            if candidates:
                best.setdefault(mode, []).append((candidates[0][0], candidates[0][4]))
            evaluations = db.execute("SELECT COUNT(*) FROM evaluations WHERE run_id = ? AND status = 'ok' AND reused = 0",
                                     (run,)).fetchone()[0]
            for i, (h, rung, reward, accuracy, latency) in enumerate(candidates[:top]):
                ref = reference.get(h)
                ref_reward = ref * (latency / target) ** w if ref is not None else None
                summary.setdefault(mode, {}).setdefault(i, []).append((ref_reward, ref, latency))
                print(f"| {seed} | {label(mode)} | {evaluations} | {len(candidates)} | {i + 1} | {latency:.3f} | {accuracy:.4f} ({rung}) | "
                      f"{'-' if ref is None else f'{ref:.4f}'} | {'-' if ref_reward is None else f'{ref_reward:.4f}'} |")
    print(f"\nMeans over the seeds, of each run's best candidate and of its best {top}: reference reward, reference "
          f"accuracy and predicted latency:\n")
    print(f"| search | runs | best: reward | best: accuracy | best: ms | best {top}: reward | best {top}: accuracy | best {top}: ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def means(rows):
        rows = [r for r in rows if r[0] is not None]
        if not rows:
            return ["-", "-", "-"]
        return [f"{sum(r[k] for r in rows) / len(rows):.{d}f}" for k, d in [(0, 4), (1, 4), (2, 2)]]

    for mode, ranks in summary.items():
        first = means(ranks.get(0, []))
        every = means([r for rows in ranks.values() for r in rows])
        print(f"| {label(mode)} | {len(ranks.get(0, []))} | {' | '.join(first)} | {' | '.join(every)} |")
    if len(ref_seeds) > 1:
        print("\nEach run's best candidate under each reference training seed alone (mean reference reward over the seeds):\n")
        print("| search | " + " | ".join(f"training seed {r}" for r in ref_seeds) + " |")
        print("|---|" + "---:|" * len(ref_seeds))
        for mode in summary:
            cells = []
            for r in ref_seeds:
                values = [per_seed[h][r] * (latency / target) ** w for h, latency in best.get(mode, []) if r in per_seed.get(h, {})]
                cells.append(f"{sum(values) / len(values):.4f} ({len(values)})" if values else "-")
            print(f"| {label(mode)} | " + " | ".join(cells) + " |")
    seed_agreement(per_seed, ref_seeds)


def main():
    db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
    if sys.argv[1] == "best":
        _, candidates = ranked(db, sys.argv[3])
        for c in candidates[:int(sys.argv[4])]:
            print(c[0])
    else:
        table(db, int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6].split(), sys.argv[7].split(),
              sys.argv[8].split() if len(sys.argv) > 8 else ["0"])


main()
