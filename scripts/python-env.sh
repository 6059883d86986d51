# Sourced by the scripts that run Python consumers of nas's output (the export checks, the
# onnxruntime latency benchmark): python_env NAME VENV PACKAGE... makes the virtual environment
# VENV with PACKAGE... from PyPI unless it already imports them all (a package's import name
# is its PyPI name for every package used here). On failure it says what to install and exits 3.
python_env() {
  local name="$1" venv="$2"
  shift 2
  local imports
  imports="$(IFS=,; echo "$*")"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import $imports" 2>/dev/null; then
    return 0
  fi
  echo "$name: making $venv ($* from PyPI)" >&2
  if ! command -v python3 >/dev/null; then
    echo "$name: python3 not found; install python3 and python3-venv (apt-get install python3 python3-venv)" >&2
    exit 3
  fi
  if ! python3 -m venv "$venv" >&2; then
    echo "$name: python3 -m venv $venv failed; install python3-venv (apt-get install python3-venv)," \
      "or point the script at a virtual environment that has $*" >&2
    exit 3
  fi
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2; then
    echo "$name: pip could not install $* into $venv (is PyPI reachable? python3-pip installed?)" >&2
    exit 3
  fi
}
