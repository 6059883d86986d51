#!/usr/bin/env bash
# The architecture `nas search` found, against MobileNetV3-Large, MobileNetV3-Small and
# MnasNet-A1 scaled by a width multiplier to the same predicted latency on this machine,
# each proxy-trained on Fashion-MNIST with the same budget: accuracy at equal latency.
#
#   benchmarks/search_vs_references.sh                 # runs a search first (TRIALS, TARGET)
#   FOUND=results/nas-search-run-3-best.arch benchmarks/search_vs_references.sh
#
# Settings (environment): NAS (binary), DB, FOUND (skip the search), TRIALS (20), TARGET (5 ms),
# W (-0.15), STEPS (training budget of the comparison, default 860 = 2 epochs at batch 128),
# LR (0.05), MAXDOWN (32). Prints every command, then a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-/tmp/nas-bench-references/nas.sqlite}
TRIALS=${TRIALS:-20}
TARGET=${TARGET:-5}
W=${W:--0.15}
STEPS=${STEPS:-860}
LR=${LR:-0.05}
MAXDOWN=${MAXDOWN:-32}
work=$(dirname "$DB")
mkdir -p "$work"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
run() { echo "\$ $*" >&2; "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

if [ -z "${FOUND:-}" ]; then
  run "$NAS" search --target-ms "$TARGET" --w "$W" --trials "$TRIALS" --db "$DB" --out "$work" --quiet --json > "$work/search.json"
  FOUND=$(json "['files']['best_architecture']" < "$work/search.json")
fi
predict() { "$NAS" latency predict "$1" --db "$DB" --json | json "['latency_ms']"; }
target_ms=$(predict "$FOUND")
echo "found architecture $FOUND: predicted $target_ms ms" >&2

# The width multiplier whose predicted latency is closest to the found architecture's.
scaled() {
  local ref=$1 name best="" bestgap=1e9
  name=$(basename "$ref" .arch)
  for w in $(seq 0.25 0.05 2.50); do
    "$NAS" arch canon "$ref" --width "$w" > "$work/$name-w$w.arch" 2>/dev/null || continue
    local ms gap
    ms=$(predict "$work/$name-w$w.arch") || continue
    gap=$(python3 -c "print(abs($ms - $target_ms))")
    if python3 -c "import sys; sys.exit(0 if $gap < $bestgap else 1)"; then best=$w; bestgap=$gap; fi
  done
  echo "$work/$name-w$best.arch"
}

rows=()
for arch in "$FOUND" $(scaled search-spaces/reference/mobilenet-v3-large.arch) $(scaled search-spaces/reference/mobilenet-v3-small.arch) \
  $(scaled search-spaces/reference/mnasnet-a1.arch); do
  predicted=$(predict "$arch")
  measured=$(run "$NAS" latency measure "$arch" --threads 1 --json | json "['latency_ms']")
  macs=$("$NAS" arch info "$arch" --json | json "['macs']")
  trained=$(run "$NAS" train "$arch" --steps "$STEPS" --lr "$LR" --max-downsampling "$MAXDOWN" --quiet --json)
  accuracy=$(echo "$trained" | json "['validation_accuracy']")
  seconds=$(echo "$trained" | json "['seconds']")
  rows+=("| $(basename "$arch" .arch) | $(printf %.3f "$predicted") | $(printf %.3f "$measured") | $(printf %.1fM "$(python3 -c "print($macs/1e6)")") | $(printf %.4f "$accuracy") | $(printf %.0f "$seconds") |")
done

echo
echo "Accuracy at equal predicted latency (1 thread, this machine); Fashion-MNIST proxy, $STEPS steps of batch 128, lr $LR, max downsampling $MAXDOWN; validation = 5,000 images held out of the training files"
echo
echo "| network | predicted ms | measured ms | MACs | validation accuracy | train s |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
