#!/usr/bin/env bash
# Checks nas's PyTorch export with PyTorch against onnxruntime (scripts/check_pytorch_export.py).
# Makes a virtual environment with torch, safetensors, onnx, onnxruntime and numpy from PyPI the
# first time (NAS_TORCH_VENV, default .venv-torch beside this repository's root; torch is large,
# about 3 GB with its CUDA libraries, which is why CI does not run this check).
#   scripts/check-pytorch-export.sh [--nas PATH] [check_pytorch_export.py options...]
# Without --nas it uses the release build (swift build -c release first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${NAS_TORCH_VENV:-$root/.venv-torch}"
. "$root/scripts/python-env.sh"
python_env check-pytorch-export "$venv" torch safetensors onnx onnxruntime numpy
args=("$@")
if [[ " ${args[*]} " != *" --nas "* ]]; then
  args+=(--nas "$root/.build/release/nas")
fi
exec "$venv/bin/python" "$root/scripts/check_pytorch_export.py" --root "$root" "${args[@]}"
