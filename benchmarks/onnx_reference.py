#!/usr/bin/env python3
"""The onnxruntime yardstick for `nas latency measure` (benchmarks/latency.sh runs it).

Builds each architecture as an ONNX graph from nas's own description of it (`nas arch info
--json` for the lowered layers and shapes, `nas arch canon` for the squeeze-excite inner
activation), so onnxruntime runs exactly the network nas times with XNNPACK: batch norm
folded into each convolution's bias, float32, batch 1, random weights. Then it times it on
one thread (intra_op_num_threads=1, inter_op_num_threads=1, ORT_ENABLE_ALL, sequential) and
reports the fastest of its runs (the statistic nas keeps) with their median.

The graph's multiply-accumulates are counted as it is built and must equal nas's count, or
the script stops: the comparison is only meaningful on the same architecture.

Usage: onnx_reference.py NAS_BINARY FILE.arch [FILE.arch ...] [--runs N] [--warmup N] [--json]
Needs: pip install onnx onnxruntime numpy (benchmarks only; the product never uses Python).
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ACTIVATIONS = {"relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "gelu", "none"}
OPSET = 17


def shape(text):
    h, w, c = (int(v) for v in text.split("x"))
    return h, w, c


class Graph:
    def __init__(self, seed):
        self.nodes, self.inits = [], []
        self.rng = np.random.default_rng(seed)
        self.count = 0
        self.macs = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, array):
        n = self.name("w")
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def node(self, op, inputs, **attrs):
        out = self.name("t")
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def activation(self, x, act):
        if act in ("none", None):
            return x
        if act == "relu":
            return self.node("Relu", [x])
        if act == "relu6":
            return self.node("Clip", [x, self.const(np.array(0.0)), self.const(np.array(6.0))])
        if act == "hswish":
            return self.node("HardSwish", [x])
        if act == "hsigmoid":
            return self.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
        if act == "sigmoid":
            return self.node("Sigmoid", [x])
        if act == "swish":
            return self.node("Mul", [x, self.node("Sigmoid", [x])])
        if act == "gelu":
            # As nas lowers it: x * sigmoid(1.702 x).
            scaled = self.node("Mul", [x, self.const(np.array(1.702))])
            return self.node("Mul", [x, self.node("Sigmoid", [scaled])])
        raise ValueError(f"unknown activation {act}")

    def conv(self, x, cin, cout, kernel, stride, groups, act, out_hw):
        fan_in = kernel * kernel * cin // groups
        w = self.rng.normal(0, (2.0 / fan_in) ** 0.5, size=(cout, cin // groups, kernel, kernel))
        b = self.rng.normal(0, 0.01, size=(cout,))
        pad = (kernel - 1) // 2
        y = self.node(
            "Conv", [x, self.const(w), self.const(b)], kernel_shape=[kernel, kernel], strides=[stride, stride],
            pads=[pad, pad, pad, pad], group=groups)
        self.macs += out_hw[0] * out_hw[1] * cout * kernel * kernel * (cin // groups)
        return self.activation(y, act)


def build(nas, path, seed):
    info = json.loads(subprocess.run([nas, "arch", "info", path, "--json"], check=True, capture_output=True, text=True).stdout)
    canon = subprocess.run([nas, "arch", "canon", path], check=True, capture_output=True, text=True).stdout
    unit_lines = [l for l in canon.splitlines() if l.split(" ", 1)[0] in ("stem", "block", "head", "classifier")]
    if len(unit_lines) != info["units"]:
        raise SystemExit(f"{path}: {len(unit_lines)} unit lines in the canonical text, {info['units']} units in arch info")

    g = Graph(seed)
    h, w, c = shape(info["input"])
    x = "input"
    flat = False  # after a Gemm the tensor is [1, C], otherwise NCHW
    layers = info["layers"]
    tensors = []  # the input tensor name of each layer
    for i, layer in enumerate(layers):
        tensors.append(x)
        tokens = layer["layer"].split()
        kind = tokens[0]
        ih, iw, ic = shape(layer["input"])
        oh, ow, oc = shape(layer["output"])
        acts = [t for t in tokens[1:] if t in ACTIVATIONS]
        act = acts[-1] if acts else None
        m = re.fullmatch(r"(conv|dw)(\d+)x(\d+)(?:/(\d+))?", kind)
        if m:
            k, s = int(m.group(2)), int(m.group(4) or 1)
            groups = ic if m.group(1) == "dw" else 1
            x = g.conv(x, ic, oc, k, s, groups, act, (oh, ow))
        elif kind == "se":
            cs, squeeze = (int(v) for v in tokens[1].split("->"))
            se = re.search(r"se-act=(\w+)", unit_lines[layer["unit"]])
            inner = se.group(1) if se else "relu"
            pooled = g.node("GlobalAveragePool", [x])
            r = g.conv(pooled, cs, squeeze, 1, 1, 1, inner, (1, 1))
            gate = g.conv(r, squeeze, cs, 1, 1, 1, act, (1, 1))
            x = g.node("Mul", [x, gate])
        elif kind == "avgpool":
            x = g.node("GlobalAveragePool", [x])
        elif kind in ("fc", "dropout"):
            flat = g.node("Flatten", [x], axis=1)
            wt = g.rng.normal(0, (1.0 / ic) ** 0.5, size=(oc, ic))
            x = g.node("Gemm", [flat, g.const(wt), g.const(g.rng.normal(0, 0.01, size=(oc,)))], transB=1)
            g.macs += ic * oc
            x = g.activation(x, act)
            flat = True
        else:
            raise SystemExit(f"{path}: layer {i} '{layer['layer']}' is not one this script builds")
        if "+res" in tokens:
            # As nas lowers units: a RepViT unit's residual is around its FFN (its last two
            # layers); every other unit's residual is around the whole unit.
            if layer["op"] in ("repvit", "repvit-down"):
                j = i - 1
            else:
                j = i
                while j > 0 and layers[j - 1]["unit"] == layer["unit"]:
                    j -= 1
            x = g.node("Add", [x, tensors[j]])
    if g.macs != info["macs"]:
        raise SystemExit(f"{path}: the ONNX graph has {g.macs} MACs, nas counts {info['macs']}: not the same network")

    graph = helper.make_graph(
        g.nodes, info.get("name") or path,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, shape(info["input"])[2], h, w])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, oc] if flat else [1, oc, oh, ow])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return info, model


def time_model(model, input_shape, warmup, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feed = {"input": np.random.default_rng(0).uniform(-1, 1, size=input_shape).astype(np.float32)}
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    # The fastest run, the statistic nas keeps (docs/latency.md, "How a network is timed"), so
    # the two columns compare like with like; the median is reported beside it.
    return {
        "latency_ms": times[0],
        "median_ms": statistics.median(times),
        "p10_ms": times[int(0.1 * (len(times) - 1))],
        "p90_ms": times[int(0.9 * (len(times) - 1))],
        "runs": runs,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("nas", help="path of the nas binary")
    p.add_argument("files", nargs="+", help=".arch files")
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    results = []
    for path in a.files:
        info, model = build(a.nas, path, a.seed)
        h, w, c = shape(info["input"])
        r = time_model(model, [1, c, h, w], a.warmup, a.runs)
        r.update(file=path, name=info.get("name"), macs=info["macs"], onnxruntime=ort.__version__, threads=1)
        results.append(r)
        if not a.json:
            print(f"{path}: onnxruntime {ort.__version__}, 1 thread: {r['latency_ms']:.3f} ms "
                  f"(fastest of {r['runs']}, median {r['median_ms']:.3f}, p10 {r['p10_ms']:.3f}, "
                  f"p90 {r['p90_ms']:.3f}), "
                  f"{info['macs']} MACs as nas counts")
    if a.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
