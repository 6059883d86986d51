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

import json
import os

import numpy as np
import onnx
import onnxruntime as ort

from export_checks import architectures, parser, report, run, run_checks


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
    return report(label, names, compare(session, {"input": x}, os.path.join(work, "ref"), names))


def main():
    p = parser(__doc__.splitlines()[0], samples=30, trained=30)
    args = p.parse_args()

    def checks(arch_path, work, label, resolution, weights):
        if weights is None:
            return [
                check(args.nas, arch_path, work, f"{label} (initial)", resolution),
                check(args.nas, arch_path, work, f"{label} (initial, taps 8,16,32)", resolution, features="8,16,32"),
            ]
        return [
            check(args.nas, arch_path, work, f"{label} (trained proxy)", [], weights=weights),
            check(args.nas, arch_path, work, f"{label} (trained proxy, keep-bn)", [], weights=weights, keep_bn=True),
        ]

    run_checks(args, architectures(p, args), checks, f"onnxruntime {ort.__version__}, onnx {onnx.__version__}")


if __name__ == "__main__":
    main()
