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
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
  echo "check-onnx-export: making $venv (onnx, onnxruntime, numpy from PyPI)" >&2
  if ! command -v python3 >/dev/null; then
    echo "check-onnx-export: python3 not found; install python3 and python3-venv (apt-get install python3 python3-venv)" >&2
    exit 3
  fi
  if ! python3 -m venv "$venv" >&2; then
    echo "check-onnx-export: python3 -m venv $venv failed; install python3-venv (apt-get install python3-venv)," \
      "or set NAS_CHECK_VENV to a virtual environment that has onnx, onnxruntime and numpy" >&2
    exit 3
  fi
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check onnx onnxruntime numpy >&2; then
    echo "check-onnx-export: pip could not install onnx, onnxruntime and numpy into $venv" \
      "(is PyPI reachable? python3-pip installed?)" >&2
    exit 3
  fi
fi
args=("$@")
if [[ " ${args[*]} " != *" --nas "* ]]; then
  args+=(--nas "$root/.build/release/nas")
fi
exec "$venv/bin/python" "$root/scripts/check_onnx_export.py" --root "$root" "${args[@]}"
