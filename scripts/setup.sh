#!/usr/bin/env bash
# Installs the Debian packages nas needs when any is missing. Safe to run again: it does
# nothing when everything is present. Needs root or sudo for apt-get.
set -euo pipefail
# python3-venv: the tests check exported models in onnxruntime, from a virtual environment
# scripts/check-onnx-export.sh makes with PyPI's onnx, onnxruntime and numpy.
# libpq-dev: the results store's PostgreSQL client; postgresql: the server the tests start a
# throwaway cluster of (scripts/postgres-cluster.sh) and a multi-host search uses.
packages=(libxnnpack-dev libpthreadpool-dev libopenblas-dev zlib1g-dev libsqlite3-dev sqlite3 dataset-fashion-mnist python3-venv
  libpq-dev postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
