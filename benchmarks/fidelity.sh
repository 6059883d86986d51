#!/usr/bin/env bash
# How well each evaluator ranks architectures, against a longer training: Kendall's tau and
# Spearman's rho between each evaluator's scores and the reference accuracy (`nas train`'s
# default budget, 4 epochs of Fashion-MNIST at lr 0.1), over COUNT architectures sampled from
# mnasnet.space with a fixed seed plus MobileNetV2, MobileNetV3-Large and MnasNet-A1 scaled by a
# width multiplier to the samples' median predicted latency.
#
#   benchmarks/fidelity.sh                      # NAS=.build/release/nas, DB=results/fidelity.sqlite
#   TABLE_ONLY=1 benchmarks/fidelity.sh         # the table from what the database holds, training nothing
#
# Every evaluation is a `nas search` run in DB (random strategy, --w 0 so the reward is the
# score): a run that is killed, or the script run again in another session, reuses every
# finished evaluation (same architecture, same evaluator settings) and trains only the rest.
# The evaluators, cheapest first (the reference, 27 × 4 epochs, is last and longest):
#   zen, naswot, synflow (zero-cost, untrained); train at 40, 120 and 360 steps (the search's
#   lr 0.05); successive halving `--fidelity 40,120,360` (its ranking: highest rung reached,
#   then that rung's accuracy; over the sampled architectures only, which is what it searches);
#   MACs and params of the architectures themselves.
#
# Settings (environment): NAS, DB, SEED (19, the sample), COUNT (24), REF_STEPS (1716: 4 epochs
# of 55,000 images at batch 128), REF_LR (0.1), RUNGS (40,120,360), ONLY (evaluator names to run,
# e.g. "zen train-40"; default all), NICE (unset; when set, every command runs under nice -n NICE). Needs python3 and sqlite3. Prints every command on standard
# error and the tables on standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-results/fidelity.sqlite}
SEED=${SEED:-19}
COUNT=${COUNT:-24}
REF_STEPS=${REF_STEPS:-1716}
REF_LR=${REF_LR:-0.1}
RUNGS=${RUNGS:-40,120,360}
SPACE=search-spaces/mnasnet.space
OUT=$(dirname "$DB")/fidelity-runs
mkdir -p "$OUT"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
prefix=()
[ -n "${NICE:-}" ] && prefix=(nice -n "$NICE")

run() { echo "\$ $*" >&2; "${prefix[@]}" "$@"; }

# One evaluator over the sampled architectures: NAME, then the evaluator's options.
sampled() {
  local name=$1
  shift
  run "$NAS" search --space "$SPACE" --target-ms 1000 --w 0 --strategy random --seed "$SEED" --trials "$COUNT" \
    --measure-top 0 --db "$DB" --out "$OUT" --name "fidelity-$name" --quiet "$@" > /dev/null
}

# One evaluator over one reference network (a space with every choice fixed): NAME, FILE, options.
reference() {
  local name=$1 file=$2
  shift 2
  run "$NAS" search --space "$file" --target-ms 1000 --w 0 --strategy random --trials 1 \
    --measure-top 0 --db "$DB" --out "$OUT" --name "fidelity-$name" --quiet "$@" > /dev/null
}

# The width multiplier (0.25 to 2.0) whose predicted latency is closest to TARGET_MS.
scaled() {
  local ref=$1 target=$2 name best="" bestgap=1e9 w ms gap
  name=$(basename "$ref" .arch)
  for w in $(seq 0.25 0.05 2.00); do
    "$NAS" arch canon "$ref" --width "$w" > "$OUT/$name-w$w.arch" 2>/dev/null || continue
    ms=$("$NAS" latency predict "$OUT/$name-w$w.arch" --db "$DB" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['latency_ms'])") || continue
    gap=$(python3 -c "print(abs($ms - $target))")
    if python3 -c "import sys; sys.exit(0 if $gap < $bestgap else 1)"; then best=$w; bestgap=$gap; fi
  done
  echo "$OUT/$name-w$best.arch"
}

evaluators=(
  "zen:--evaluator zen"
  "naswot:--evaluator naswot"
  "synflow:--evaluator synflow"
  "train-40:--evaluator train --steps 40"
  "train-120:--evaluator train --steps 120"
  "train-360:--evaluator train --steps 360"
  "halving:--evaluator train --fidelity $RUNGS"
  "reference:--evaluator train --steps $REF_STEPS --lr $REF_LR"
)

if [ -z "${TABLE_ONLY:-}" ]; then
  # The sample first (zero-cost scores take seconds): its median predicted latency places the
  # reference networks, once. The choice is kept in references.txt, because the predictor
  # changes as tables grow and another width would be another architecture to train.
  sampled zen --evaluator zen
  if [ -s "$OUT/references.txt" ]; then
    mapfile -t refs < "$OUT/references.txt"
    echo "reference networks as chosen before ($OUT/references.txt): ${refs[*]}" >&2
  else
    median=$(sqlite3 "$DB" "SELECT e.predicted_latency_ms FROM evaluations e JOIN runs r ON r.id = e.run_id
      WHERE r.id = (SELECT MAX(id) FROM runs WHERE name = 'fidelity-zen') ORDER BY e.predicted_latency_ms" |
      python3 -c "import sys; v = [float(x) for x in sys.stdin.read().split()]; print(v[len(v) // 2])")
    echo "median predicted latency of the $COUNT sampled architectures: $median ms" >&2
    refs=()
    for net in mobilenet-v2 mobilenet-v3-large mnasnet-a1; do refs+=("$(scaled "search-spaces/reference/$net.arch" "$median")"); done
    printf '%s\n' "${refs[@]}" > "$OUT/references.txt"
  fi
  for entry in "${evaluators[@]}"; do
    name=${entry%%:*}
    [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && continue
    read -r -a options <<< "${entry#*:}"
    sampled "$name" "${options[@]}"
    # Successive halving ranks what a search samples; the reference networks are not in the space.
    [ "$name" = halving ] && continue
    for file in "${refs[@]}"; do reference "$name-$(basename "$file" .arch)" "$file" "${options[@]}"; done
  done
fi

python3 benchmarks/fidelity_table.py "$DB" "$COUNT" "$RUNGS" "$OUT/references.txt"
