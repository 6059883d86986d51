#!/usr/bin/env bash
# Flat search against successive halving at equal compute: for each seed, `nas search` with the
# flat 120-step evaluator and `nas search --fidelity RUNGS` get the same wall-clock budget
# (--time BUDGET) on the same target; then each run's best TOP candidates (a higher rung first,
# then reward) are trained with the reference budget (`nas train`'s default, 4 epochs at lr 0.1)
# and scored with the run's reward at their predicted latency. Which evaluator found networks
# that end up better is the question; the reference accuracy answers it.
#
#   benchmarks/fidelity_search.sh                      # NAS=.build/release/nas, 3 seeds × 2 × 30 min, then the references
#   TABLE_ONLY=1 benchmarks/fidelity_search.sh         # the table from what DB holds
#
# Every search and every reference training is recorded in DB, so a killed script, run again,
# resumes each unfinished search (--resume) and reuses every finished reference training.
# Settings (environment): NAS, DB (results/fidelity-search.sqlite), SEEDS ("1 2 3"), BUDGET (30m),
# SPACE (search-spaces/mnasnet.space), RUNGS (40,120,360), TARGET (80 ms), W (-0.15), STRATEGY (ppo), TOP (3), REF_STEPS (1716),
# REF_LR (0.1), NICE (unset; when set, every command runs under nice -n NICE). Needs python3 and
# sqlite3. Wall-clock budgets compare fairly only on an otherwise idle machine: the script says
# the load average at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-results/fidelity-search.sqlite}
SEEDS=${SEEDS:-1 2 3}
BUDGET=${BUDGET:-30m}
RUNGS=${RUNGS:-40,120,360}
SPACE=${SPACE:-search-spaces/mnasnet.space}
TARGET=${TARGET:-80}
W=${W:--0.15}
STRATEGY=${STRATEGY:-ppo}
TOP=${TOP:-3}
REF_STEPS=${REF_STEPS:-1716}
REF_LR=${REF_LR:-0.1}
OUT=$(dirname "$DB")/fidelity-search-runs
mkdir -p "$OUT"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
prefix=()
[ -n "${NICE:-}" ] && prefix=(nice -n "$NICE")
run() { echo "\$ $*" >&2; "${prefix[@]}" "$@"; }

# A search of NAME with extra options, resumed when a run of that name is unfinished.
search() {
  local name=$1
  shift
  local common=(--space "$SPACE" --target-ms "$TARGET" --w "$W" --strategy "$STRATEGY" --time "$BUDGET" --measure-top 0 --db "$DB" --out "$OUT"
    --name "$name" --quiet "$@")
  local status
  status=$(sqlite3 "$DB" "SELECT status FROM runs WHERE name = '$name' ORDER BY id DESC LIMIT 1" 2>/dev/null || true)
  case "$status" in
    finished) echo "($name: finished earlier, kept)" >&2 ;;
    "") run "$NAS" search "${common[@]}" > /dev/null ;;
    *) run "$NAS" search "${common[@]}" --resume > /dev/null ;;
  esac
}

if [ -z "${TABLE_ONLY:-}" ]; then
  for seed in $SEEDS; do
    search "flat-$seed" --seed "$seed"
    search "halving-$seed" --seed "$seed" --fidelity "$RUNGS"
  done
  # The best TOP candidates of each run, trained with the reference budget (one search of a
  # fixed architecture each, so a result is reused by any later run of this script).
  for seed in $SEEDS; do
    for mode in flat halving; do
      python3 benchmarks/fidelity_search_table.py best "$DB" "$mode-$seed" "$TOP" |
        while read -r hash; do
          file="$OUT/${hash:0:12}.arch"
          sqlite3 "$DB" "SELECT canonical_text FROM architectures WHERE hash = '$hash'" > "$file"
          run "$NAS" search --space "$file" --target-ms "$TARGET" --w "$W" --strategy random --trials 1 --measure-top 0 --db "$DB" \
            --out "$OUT" --name "reference-${hash:0:12}" --quiet --evaluator train --steps "$REF_STEPS" --lr "$REF_LR" < /dev/null > /dev/null
        done
    done
  done
fi

python3 benchmarks/fidelity_search_table.py table "$DB" "$TOP" "$TARGET" "$W" "$SEEDS"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
