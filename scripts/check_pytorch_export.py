"""Checks `nas export --format pytorch` with PyTorch itself, against onnxruntime on the ONNX export.

For every architecture (the reference networks and architectures sampled from each shipped
space), the .py file is imported and its module built, and:

- at the initial weights: the tensors of `nas export --format onnx --keep-bn` (whose initializer
  names are the state-dict names) are loaded with `load_state_dict(strict=True)`, so the names
  and shapes must match exactly;
- at trained proxy weights: the safetensors file of `nas train --save` is loaded as it is with
  `model.load_state_dict(safetensors.torch.load_file(W))`;

then the logits (and the stride 8/16/32 maps of `forward_features`) on a random input are
compared with onnxruntime running the ONNX export of the same network and weights: the largest
difference must be at most 1e-4 x max |output|. Prints one line per check and a summary; exits 1
on any failure. Run through scripts/check-pytorch-export.sh, which makes the virtual environment.
"""

import importlib.util
import os

import numpy as np
import onnx
import onnxruntime as ort
import safetensors.torch
import torch
from onnx import numpy_helper

from export_checks import architectures, parser, report, run, run_checks

def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def onnx_state_dict(path):
    """The initializers of a --keep-bn export: the network's tensors under nas's names (the
    constants of composed operations, such as GELU's, are named after their node, with a /)."""
    return {
        t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer if "/" not in t.name
    }


def relative_difference(got, expected):
    scale = max(float(np.max(np.abs(expected))), 1e-30)
    return float(np.max(np.abs(got - expected))) / scale


def check(nas, arch_path, work, label, extra, weights=None, features=None, seed=0):
    py_path = os.path.join(work, "model.py")
    onnx_path = os.path.join(work, "model.onnx")
    whole_path = os.path.join(work, "whole.onnx")
    common = [arch_path] + extra + (["--weights", weights] if weights else [])
    taps = ["--features", features] if features else []
    run([nas, "export", "--format", "pytorch", "--out", py_path] + common + taps)
    run([nas, "export", "--format", "onnx", "--keep-bn", "--out", onnx_path] + common + taps)
    module = load_module(py_path, f"exported_{abs(hash(label))}")
    model = module.Network()
    if weights:
        state = safetensors.torch.load_file(weights)
    else:
        # A feature export stops at the last tap; the whole network has every tensor.
        run([nas, "export", "--format", "onnx", "--keep-bn", "--out", whole_path] + common)
        state = onnx_state_dict(whole_path)
    model.load_state_dict(state, strict=True)
    model.eval()

    session_options = ort.SessionOptions()
    session_options.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, session_options, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape[1:]
    x = np.random.default_rng(seed).standard_normal([2] + shape).astype(np.float32)
    names = [o.name for o in session.get_outputs()]
    expected = session.run(names, {"input": x})
    with torch.no_grad():
        if features:
            got = [m.numpy() for m in model.forward_features(torch.from_numpy(x))]
        else:
            got = [model(torch.from_numpy(x)).numpy()]
    if [g.shape for g in got] != [e.shape for e in expected]:
        raise RuntimeError(f"PyTorch gives shapes {[g.shape for g in got]}, onnxruntime {[e.shape for e in expected]}")
    return report(label, names, max(relative_difference(g, e) for g, e in zip(got, expected)))


def main():
    p = parser(__doc__.splitlines()[0], samples=5, trained=3)
    args = p.parse_args()
    torch.set_num_threads(1)

    def checks(arch_path, work, label, resolution, weights):
        if weights is None:
            return [
                check(args.nas, arch_path, work, f"{label} (initial)", resolution),
                check(args.nas, arch_path, work, f"{label} (initial, taps 8,16,32)", resolution, features="8,16,32"),
            ]
        return [check(args.nas, arch_path, work, f"{label} (trained proxy)", [], weights=weights)]

    run_checks(args, architectures(p, args), checks, f"torch {torch.__version__}, onnxruntime {ort.__version__}")


if __name__ == "__main__":
    main()
