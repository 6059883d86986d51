#!/usr/bin/env bash
# Checks nas's ONNX export against onnx's full checker and onnxruntime (scripts/check_onnx_export.py).
# Makes a virtual environment with onnx, onnxruntime and numpy from PyPI the first time
# (NAS_CHECK_VENV, default .venv-check beside this repository's root), then runs the check.
#   scripts/check-onnx-export.sh [--nas PATH] [check_onnx_export.py options...]
# Without --nas it uses the release build (swift build -c release first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${NAS_CHECK_VENV:-$root/.venv-check}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
  echo "check-onnx-export: making $venv (onnx, onnxruntime, numpy from PyPI)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check onnx onnxruntime numpy >&2
fi
args=("$@")
if [[ " ${args[*]} " != *" --nas "* ]]; then
  args+=(--nas "$root/.build/release/nas")
fi
exec "$venv/bin/python" "$root/scripts/check_onnx_export.py" --root "$root" "${args[@]}"
