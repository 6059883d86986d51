#!/usr/bin/env bash
# The DSL loading benchmark: how loading time grows with the size of the file (it should grow
# linearly), and whether global alternatives (input sizes x widths) multiply the work (they
# should not). Generates the files, builds the release binary, and times `nas space validate`,
# `nas space show` and `nas arch info`.
#
# Usage, from the repository root:
#   benchmarks/dsl_loading.sh                  # builds with: swift build -c release --product nas
# Environment:
#   NAS           an already built binary to time instead (then nothing is built)
#   SCRATCH       --scratch-path for the build (default .build)
#   DSL_BENCH_DIR where the generated files go (default: a new temporary directory)
#   REPEATS       timings per command; the table shows the fastest (default 3)
#
# Prints a markdown table: file, size, command, the fastest wall time of REPEATS runs with its
# user CPU time, and the exact command behind each number (its output goes to /dev/null).
set -euo pipefail

REPEATS=${REPEATS:-3}
DIR=${DSL_BENCH_DIR:-$(mktemp -d /tmp/nas-dsl-bench.XXXXXX)}
mkdir -p "$DIR"
if [[ -z "${NAS:-}" ]]; then
  swift build -c release --product nas --scratch-path "${SCRATCH:-.build}" >&2
  NAS="$(swift build -c release --product nas --scratch-path "${SCRATCH:-.build}" --show-bin-path)/nas"
fi
[[ -x "$NAS" ]] || { echo "dsl_loading.sh: $NAS is not an executable" >&2; exit 1; }

# An architecture of N fixed blocks: inverted residuals at 14x14 after a strided stem.
blocks() {
  local n=$1 out=$DIR/blocks-$1.arch
  {
    echo "name blocks-$n"
    echo "input 28 channels=3"
    echo "classes 10"
    echo "stem conv k=3 s=2 out=16 act=relu"
    for ((i = 0; i < n; i++)); do echo "block mbconv k=3 s=1 expand=2 out=16 act=relu skip=identity"; done
    echo "head pool"
    echo "classifier"
  } >"$out"
  echo "$out"
}

# MobileNetV2 with I input sizes x W width multipliers as global alternatives.
globals() {
  local ni=$1 nw=$2 out=$DIR/globals-$1x$2.space sizes widths
  sizes=$(seq -s, 96 4 $((96 + 4 * (ni - 1))))
  widths=$(awk -v n="$nw" 'BEGIN { for (i = 0; i < n; i++) printf "%s%.2f", (i ? "," : ""), 0.25 + 0.05 * i }')
  {
    echo "name globals-${ni}x$nw"
    echo "input {$sizes} channels=3"
    echo "classes 1000"
    echo "width {$widths}"
    echo "stem conv k=3 s=2 out=32 act=relu6"
    echo "block mbconv k=3 s=1 expand=1 out=16 act=relu6"
    echo "block mbconv k=3 s=2 expand=6 out=24 act=relu6 repeat=2 skip=identity"
    echo "block mbconv k=3 s=2 expand=6 out=32 act=relu6 repeat=3 skip=identity"
    echo "block mbconv k=3 s=2 expand=6 out=64 act=relu6 repeat=4 skip=identity"
    echo "block mbconv k=3 s=1 expand=6 out=96 act=relu6 repeat=3 skip=identity"
    echo "block mbconv k=3 s=2 expand=6 out=160 act=relu6 repeat=3 skip=identity"
    echo "block mbconv k=3 s=1 expand=6 out=320 act=relu6"
    echo "head conv k=1 out=1280 act=relu6 scale=up"
    echo "head pool"
    echo "classifier dropout=0.2"
  } >"$out"
  echo "$out"
}

# The fastest of REPEATS runs: "wall user" in seconds (user CPU shows the work when other
# processes share the machine); a failing command stops the benchmark.
fastest() {
  local best="" bestUser="" r out wall user
  for ((r = 0; r < REPEATS; r++)); do
    out=$( { TIMEFORMAT='%R %U'; time "$@" >/dev/null 2>&1; } 2>&1 ) || { echo "dsl_loading.sh: failed: $*" >&2; exit 1; }
    read -r wall user <<<"$(tail -n 1 <<<"$out")"
    if [[ -z "$best" ]] || awk -v t="$wall" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$wall; bestUser=$user; fi
  done
  echo "$best $bestUser"
}

row() {
  local file=$1 label=$2
  shift 2
  local wall user bytes
  read -r wall user <<<"$(fastest "$@")"
  bytes=$(wc -c <"$file")
  printf '| %s | %s | %s | %s | %s | `%s` |\n' "$(basename "$file")" "$bytes" "$label" "$wall" "$user" "$*"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; $REPEATS runs each, fastest shown"
echo
echo "| file | bytes | command | wall s | user s | command line |"
echo "|---|---:|---|---:|---:|---|"
for n in 1000 10000 50000; do
  f=$(blocks "$n")
  row "$f" "space validate" "$NAS" space validate "$f"
  row "$f" "space show" "$NAS" space show "$f"
  row "$f" "arch info" "$NAS" arch info "$f"
done
for g in "10 10" "50 50"; do
  f=$(globals $g)
  row "$f" "space validate" "$NAS" space validate "$f"
  row "$f" "space show" "$NAS" space show "$f"
done
