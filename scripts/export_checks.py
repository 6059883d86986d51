"""What scripts/check_onnx_export.py and scripts/check_pytorch_export.py share: choosing the
architectures (reference networks and samples of the shipped spaces), training proxy weights,
running the checks and printing the summary."""

import argparse
import os
import subprocess
import sys
import tempfile

TOLERANCE = 1e-4
SPACES = ("mnasnet", "mobilenetv3", "repvit")


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def sampled(nas, space, count, seed):
    """Architectures of a space as .arch texts (`nas space sample` separates them by headers)."""
    text = run([nas, "space", "sample", space, "--seed", str(seed), "--count", str(count)])
    archs, current = [], []
    for line in text.splitlines():
        if line.startswith("# sample") and current:
            archs.append("\n".join(current) + "\n")
            current = []
        current.append(line)
    if current:
        archs.append("\n".join(current) + "\n")
    return archs


def report(label, names, worst):
    """One line per check; returns (ok, worst)."""
    ok = worst <= TOLERANCE
    print(f"{'ok  ' if ok else 'FAIL'} {label:48s} outputs {','.join(names):12s} max rel diff {worst:.2e}", flush=True)
    return ok, worst


def parser(description, samples, trained):
    """The options both checks take."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--nas", required=True, help="the nas binary")
    p.add_argument("--root", required=True, help="the repository (for search-spaces/)")
    p.add_argument("--samples", type=int, default=samples, help="architectures sampled per shipped space")
    p.add_argument("--trained", type=int, default=trained, help="of each reference network and of each space's samples, how many also with trained weights")
    p.add_argument("--resolution", type=int, default=0, help="input resolution for the deployment networks (0: as written)")
    p.add_argument("--train-steps", type=int, default=20, help="training steps for the trained weights")
    p.add_argument("--data", default="fashion-mnist", help="data for the trained weights (as nas train --data)")
    p.add_argument("--batch-size", type=int, default=0, help="images per training step (0: nas train's default)")
    p.add_argument("--validation", type=int, default=0, help="training images held out for validation (0: nas train's default)")
    p.add_argument("--references", default=None,
                   help="comma-separated reference networks to check (names in search-spaces/reference without .arch; default: all, '': none)")
    p.add_argument("--spaces", default=",".join(SPACES),
                   help=f"comma-separated shipped spaces to sample from (default: {','.join(SPACES)}; '': none)")
    return p


def architectures(p, args):
    """(label, .arch text) for the chosen reference networks and samples; bad names are refused."""
    spaces = os.path.join(args.root, "search-spaces")
    available = sorted(name[:-5] for name in os.listdir(os.path.join(spaces, "reference")) if name.endswith(".arch"))
    references = available if args.references is None else [n for n in args.references.split(",") if n]
    unknown = [n for n in references if n not in available]
    if unknown:
        p.error(f"--references: no reference network {', '.join(unknown)}; there are {', '.join(available)}")
    chosen_spaces = [s for s in args.spaces.split(",") if s]
    unknown = [s for s in chosen_spaces if not os.path.exists(os.path.join(spaces, f"{s}.space"))]
    if unknown:
        p.error(f"--spaces: no space {', '.join(unknown)} in {spaces}")
    archs = []
    for name in references:
        with open(os.path.join(spaces, "reference", f"{name}.arch")) as f:
            archs.append((name, f.read()))
    if args.samples > 0:
        for space in chosen_spaces:
            for i, text in enumerate(sampled(args.nas, os.path.join(spaces, f"{space}.space"), args.samples, seed=17)):
                archs.append((f"{space} sample {i + 1}", text))
    if not archs:
        p.error("nothing to check: choose some --references or --spaces with --samples above 0")
    return archs


def run_checks(args, archs, checks, versions):
    """For each architecture, `checks(arch_path, work, label, resolution, weights)` with weights None
    (initial) and, for the first `--trained` of each kind, with trained proxy weights; each returns
    a list of (ok, worst). A failed export or run is a failed check, and the others go on.
    Prints the summary and exits 1 on any failure."""
    train_options = ["--steps", str(args.train_steps), "--data", args.data]
    if args.batch_size > 0:
        train_options += ["--batch-size", str(args.batch_size)]
    if args.validation > 0:
        train_options += ["--validation", str(args.validation)]

    resolution = ["--resolution", str(args.resolution)] if args.resolution else []
    results = []
    trained_left = {}
    with tempfile.TemporaryDirectory() as work:
        for label, text in archs:
            arch_path = os.path.join(work, "a.arch")
            with open(arch_path, "w") as f:
                f.write(text)
            kind = label.split(" ")[0]
            try:
                results += checks(arch_path, work, label, resolution, None)
                if trained_left.get(kind, 0) < args.trained:
                    trained_left[kind] = trained_left.get(kind, 0) + 1
                    weights = os.path.join(work, "w.safetensors")
                    run([args.nas, "train", arch_path] + train_options + ["--save", weights, "--quiet"])
                    results += checks(arch_path, work, label, [], weights)
            except Exception as error:  # a failed export or run is a failed check, and the others go on
                print(f"FAIL {label}: {error}", flush=True)
                results.append((False, float("inf")))
    failed = sum(1 for ok, _ in results if not ok)
    worst = max(w for _, w in results) if results else 0.0
    print(f"{len(results) - failed} passed, {failed} failed")
    print(f"largest relative difference {worst:.2e} (tolerance {TOLERANCE:.0e}); {versions}")
    sys.exit(1 if failed else 0)
