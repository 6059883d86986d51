#!/usr/bin/env bash
# How far nas's latency ranking carries to onnxruntime (benchmarks/onnx_latency.py): the
# reference networks and --samples architectures sampled from each shipped space, each timed
# with `nas latency measure --threads 1` (XNNPACK) and, exported with `nas export --format
# onnx`, with onnxruntime on one thread; prints the table, Spearman's rho and Kendall's tau
# overall and per space, and the median ratio onnxruntime/nas.
# Makes a virtual environment with onnx, onnxruntime and numpy from PyPI the first time
# (NAS_BENCH_VENV, default .venv-check beside this repository's root), then runs the benchmark.
#   benchmarks/onnx_latency.sh [--nas PATH] [onnx_latency.py options: --samples N --seed S --passes P --json-out FILE]
#   benchmarks/onnx_latency.sh --reanalyse FILE   # the tables of a --json-out file again, measuring nothing
# Without --nas it uses the release build (swift build -c release first). Takes 20-40 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${NAS_BENCH_VENV:-$root/.venv-check}"
. "$root/scripts/python-env.sh"
python_env onnx_latency "$venv" onnx onnxruntime numpy
args=("$@")
if [[ " ${args[*]} " != *" --nas "* ]]; then
  args+=(--nas "$root/.build/release/nas")
fi
exec "$venv/bin/python" -u "$root/benchmarks/onnx_latency.py" --root "$root" "${args[@]}"
