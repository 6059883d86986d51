#!/usr/bin/env bash
# Checks nas's ONNX export against onnx's full checker and onnxruntime (scripts/check_onnx_export.py).
# Makes a virtual environment with onnx, onnxruntime and numpy from PyPI the first time
# (NAS_CHECK_VENV, default .venv-check beside this repository's root), then runs the check.
#   scripts/check-onnx-export.sh [--nas PATH] [check_onnx_export.py options...]
# e.g. a quick run (as Tests/CLITests/ExportCommandTests.swift does with the debug build):
#   scripts/check-onnx-export.sh --nas .build/debug/nas --references mobilenet-v3-small \
#     --samples 1 --trained 1 --resolution 64 --train-steps 1 --batch-size 8 --validation 16
# Without --nas it uses the release build (swift build -c release first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${NAS_CHECK_VENV:-$root/.venv-check}"
. "$root/scripts/python-env.sh"
python_env check-onnx-export "$venv" onnx onnxruntime numpy
args=("$@")
if [[ " ${args[*]} " != *" --nas "* ]]; then
  args+=(--nas "$root/.build/release/nas")
fi
exec "$venv/bin/python" "$root/scripts/check_onnx_export.py" --root "$root" "${args[@]}"
