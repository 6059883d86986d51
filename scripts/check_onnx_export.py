"""Checks `nas export --format onnx` with real consumers: onnx's full checker and onnxruntime.

For every architecture (the reference networks and architectures sampled from each shipped
space), at the training engine's initial weights and at trained proxy weights, the model is
exported, checked with `onnx.checker.check_model(..., full_check=True)`, run in onnxruntime on a
random input, and compared with `nas infer` (the training engine in inference mode) on the same
input: the largest difference must be at most 1e-4 x max |nas output|, for the logits and for
every feature tap. Prints one line per check and a summary; exits 1 on any failure.
--references, --spaces and --samples choose the architectures (a quick run: one reference and
one sample per space, as Tests/CLITests/ExportCommandTests.swift runs it).

Run through scripts/check-onnx-export.sh, which makes the virtual environment.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

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


def compare(session, feeds, reference_dir, names):
    """Largest |onnxruntime - nas| relative to max |nas| over the outputs `names`."""
    outputs = session.run(names, feeds)
    worst = 0.0
    for name, got in zip(names, outputs):
        expected = np.load(os.path.join(reference_dir, f"{name}.npy"))
        if got.shape != expected.shape:
            raise RuntimeError(f"{name}: onnxruntime gives shape {got.shape}, nas {expected.shape}")
        scale = max(float(np.max(np.abs(expected))), 1e-30)
        worst = max(worst, float(np.max(np.abs(got - expected))) / scale)
    return worst


def check(nas, arch_path, work, label, extra, weights=None, features=None, keep_bn=False, batch=2, seed=0):
    """`extra` goes to both nas export and nas infer; `keep_bn` only to export (infer has no such option)."""
    onnx_path = os.path.join(work, "model.onnx")
    export = [nas, "export", arch_path, "--format", "onnx", "--out", onnx_path] + extra + (["--keep-bn"] if keep_bn else [])
    infer = [nas, "infer", arch_path, "--output", os.path.join(work, "ref")] + extra
    if weights:
        export += ["--weights", weights]
        infer += ["--weights", weights]
    if features:
        export += ["--features", features]
        infer += ["--features", features]
    run(export)
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal([batch] + shape).astype(np.float32)
    input_path = os.path.join(work, "x.npy")
    np.save(input_path, x)
    run(infer + ["--input", input_path])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    metadata = model.metadata_props
    keys = {p.key for p in metadata}
    for key in ("nas.preprocessing", "nas.architecture", "nas.feature_info"):
        if key not in keys:
            raise RuntimeError(f"metadata_props has no {key}")
    if features:
        info = json.loads(next(p.value for p in metadata if p.key == "nas.feature_info"))
        if [f["reduction"] for f in info] != [int(s) for s in features.split(",")]:
            raise RuntimeError(f"feature_info {info} does not match --features {features}")
    worst = compare(session, {"input": x}, os.path.join(work, "ref"), names)
    ok = worst <= TOLERANCE
    print(f"{'ok  ' if ok else 'FAIL'} {label:48s} outputs {','.join(names):12s} max rel diff {worst:.2e}", flush=True)
    return ok, worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nas", required=True, help="the nas binary")
    parser.add_argument("--root", required=True, help="the repository (for search-spaces/)")
    parser.add_argument("--samples", type=int, default=30, help="architectures sampled per shipped space")
    parser.add_argument("--trained", type=int, default=30, help="of those (and of the references), how many also with trained weights")
    parser.add_argument("--resolution", type=int, default=0, help="input resolution for the deployment networks (0: as written)")
    parser.add_argument("--train-steps", type=int, default=20, help="training steps for the trained weights")
    parser.add_argument("--data", default="fashion-mnist", help="data for the trained weights (as nas train --data)")
    parser.add_argument("--batch-size", type=int, default=0, help="images per training step (0: nas train's default)")
    parser.add_argument("--validation", type=int, default=0, help="training images held out for validation (0: nas train's default)")
    parser.add_argument("--references", default=None,
                        help="comma-separated reference networks to check (names in search-spaces/reference without .arch; default: all, '': none)")
    parser.add_argument("--spaces", default=",".join(SPACES),
                        help=f"comma-separated shipped spaces to sample from (default: {','.join(SPACES)}; '': none)")
    args = parser.parse_args()

    spaces = os.path.join(args.root, "search-spaces")
    available = sorted(name[:-5] for name in os.listdir(os.path.join(spaces, "reference")) if name.endswith(".arch"))
    references = available if args.references is None else [n for n in args.references.split(",") if n]
    unknown = [n for n in references if n not in available]
    if unknown:
        parser.error(f"--references: no reference network {', '.join(unknown)}; there are {', '.join(available)}")
    chosen_spaces = [s for s in args.spaces.split(",") if s]
    unknown = [s for s in chosen_spaces if not os.path.exists(os.path.join(spaces, f"{s}.space"))]
    if unknown:
        parser.error(f"--spaces: no space {', '.join(unknown)} in {spaces}")
    archs = []
    for name in references:
        with open(os.path.join(spaces, "reference", f"{name}.arch")) as f:
            archs.append((name, f.read()))
    if args.samples > 0:
        for space in chosen_spaces:
            for i, text in enumerate(sampled(args.nas, os.path.join(spaces, f"{space}.space"), args.samples, seed=17)):
                archs.append((f"{space} sample {i + 1}", text))
    if not archs:
        parser.error("nothing to check: choose some --references or --spaces with --samples above 0")
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
                results.append(check(args.nas, arch_path, work, f"{label} (initial)", resolution))
                results.append(check(args.nas, arch_path, work, f"{label} (initial, taps 8,16,32)", resolution, features="8,16,32"))
                if trained_left.get(kind, 0) < args.trained:
                    trained_left[kind] = trained_left.get(kind, 0) + 1
                    weights = os.path.join(work, "w.safetensors")
                    run([args.nas, "train", arch_path] + train_options + ["--save", weights, "--quiet"])
                    results.append(check(args.nas, arch_path, work, f"{label} (trained proxy)", [], weights=weights))
                    results.append(check(args.nas, arch_path, work, f"{label} (trained proxy, keep-bn)", [], weights=weights, keep_bn=True))
            except Exception as error:  # a failed export or run is a failed check, and the others go on
                print(f"FAIL {label}: {error}", flush=True)
                results.append((False, float("inf")))
    failed = sum(1 for ok, _ in results if not ok)
    worst = max(w for _, w in results) if results else 0.0
    print(f"{len(results) - failed} passed, {failed} failed")
    print(f"largest relative difference {worst:.2e} (tolerance {TOLERANCE:.0e}); onnxruntime {ort.__version__}, onnx {onnx.__version__}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
