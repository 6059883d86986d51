#!/usr/bin/env bash
# Flat search against successive halving at equal compute: for each seed, `nas search` with the
# flat 120-step evaluator and `nas search --fidelity RUNGS` get the same wall-clock budget
# (--time BUDGET) on the same target; then each run's best TOP candidates (a higher rung first,
# then reward) are trained with the reference budget (`nas train`'s default, 4 epochs at lr 0.1)
# and scored with the run's reward at their predicted latency. Which evaluator found networks
# that end up better is the question; the reference accuracy answers it.
#
#   benchmarks/fidelity_search.sh                      # NAS=.build/release/nas, 3 seeds × 2 modes × 30 min, then the references
#   PIN=1 BUDGET=20m benchmarks/fidelity_search.sh     # a seed's modes side by side, each pinned to its own core
#   TABLE_ONLY=1 benchmarks/fidelity_search.sh         # the table from what DB holds
#
# MODES lists the searches compared: "flat" is the flat 120-step evaluator, and a rung list such
# as 120,360,1080 is `--fidelity` with those rungs; run names are MODE-SEED (halving-RUNGS-SEED).
# With PIN=1 the modes of one seed run at the same time, mode i pinned with taskset to core i
# (nas sizes its threads by the cores it may use, so each trains on one thread): equal compute
# even when neighbours come and go, since both see them. The reference trainings then run one per
# core as well. Without PIN the searches run one after another on every core.
# Every search and every reference training is recorded in DB, so a killed script, run again,
# resumes each unfinished search (--resume) and reuses every finished reference training.
# Settings (environment): NAS, DB (results/fidelity-search.sqlite), SEEDS ("1 2 3"), BUDGET (30m),
# MODES ("flat 120,360,1080"), SPACE (search-spaces/mnasnet.space), TARGET (80 ms), W (-0.15),
# STRATEGY (ppo), TOP (3), REF_STEPS (1716), REF_LR (0.1), REF_SEEDS (training seeds of the
# references, "0"; with more, a reference accuracy is their mean and the table gives how well
# the seeds agree, the ceiling for any evaluator), PIN (unset), NICE (unset; when set,
# every command runs under nice -n NICE). Needs python3, sqlite3 and, with PIN, taskset. Without
# PIN, wall-clock budgets compare fairly only on an otherwise idle machine: the script says the
# load average at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-results/fidelity-search.sqlite}
SEEDS=${SEEDS:-1 2 3}
BUDGET=${BUDGET:-30m}
MODES=${MODES:-flat 120,360,1080}
SPACE=${SPACE:-search-spaces/mnasnet.space}
TARGET=${TARGET:-80}
W=${W:--0.15}
STRATEGY=${STRATEGY:-ppo}
TOP=${TOP:-3}
REF_STEPS=${REF_STEPS:-1716}
REF_LR=${REF_LR:-0.1}
REF_SEEDS=${REF_SEEDS:-0}
OUT=$(dirname "$DB")/fidelity-search-runs
mkdir -p "$OUT"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
prefix=()
[ -n "${NICE:-}" ] && prefix=(nice -n "$NICE")
run() { echo "\$ $*" >&2; "${prefix[@]}" "$@"; }
read -ra modes <<< "$MODES"
if [ -z "${TABLE_ONLY:-}" ] && [ -n "${PIN:-}" ] && [ "$(nproc)" -lt "${#modes[@]}" ]; then
  echo "PIN needs a core per mode: ${#modes[@]} modes, $(nproc) cores" >&2
  exit 1
fi
# The run name of MODE at SEED, and the options that mode adds.
run_name() { if [ "$1" = flat ]; then echo "flat-$2"; else echo "halving-$1-$2"; fi; }
mode_options() { if [ "$1" = flat ]; then :; else echo "--fidelity $1"; fi; }

# A search of NAME with extra options, resumed when a run of that name is unfinished.
search() {
  local name=$1 core=$2
  shift 2
  local pin=()
  [ -n "${PIN:-}" ] && pin=(taskset -c "$core")
  local common=(--space "$SPACE" --target-ms "$TARGET" --w "$W" --strategy "$STRATEGY" --time "$BUDGET" --measure-top 0 --db "$DB" --out "$OUT"
    --name "$name" --quiet "$@")
  local status
  status=$(sqlite3 "$DB" "SELECT status FROM runs WHERE name = '$name' ORDER BY id DESC LIMIT 1" 2>/dev/null || true)
  case "$status" in
    finished) echo "($name: finished earlier, kept)" >&2 ;;
    "") run "${pin[@]}" "$NAS" search "${common[@]}" < /dev/null > /dev/null ;;
    *) run "${pin[@]}" "$NAS" search "${common[@]}" --resume < /dev/null > /dev/null ;;
  esac
}

if [ -z "${TABLE_ONLY:-}" ]; then
  # Waits for every background job, failing when any failed.
  wait_all() { local pid; for pid in $(jobs -p); do wait "$pid"; done; }
  for seed in $SEEDS; do
    for i in "${!modes[@]}"; do
      # shellcheck disable=SC2046 # mode_options is empty or two words
      search "$(run_name "${modes[$i]}" "$seed")" "$i" --seed "$seed" $(mode_options "${modes[$i]}") &
      [ -n "${PIN:-}" ] || wait_all
    done
    wait_all
  done
  # The best TOP candidates of each run, trained with the reference budget (one search of a
  # fixed architecture each, so a result is reused by any later run of this script); with PIN,
  # one training per core at a time.
  hashes=$(for seed in $SEEDS; do
    for mode in "${modes[@]}"; do
      python3 benchmarks/fidelity_search_table.py best "$DB" "$(run_name "$mode" "$seed")" "$TOP"
    done
  done | awk '!seen[$0]++')
  cores=1
  [ -n "${PIN:-}" ] && cores=$(nproc)
  k=0
  for ref_seed in $REF_SEEDS; do
    for hash in $hashes; do
      file="$OUT/${hash:0:12}.arch"
      sqlite3 "$DB" "SELECT canonical_text FROM architectures WHERE hash = '$hash'" > "$file"
      name="reference-${hash:0:12}"
      [ "$ref_seed" = 0 ] || name="$name-seed$ref_seed"
      pin=()
      [ -n "${PIN:-}" ] && pin=(taskset -c $((k % cores)))
      run "${pin[@]}" "$NAS" search --space "$file" --target-ms "$TARGET" --w "$W" --strategy random --trials 1 --measure-top 0 --db "$DB" \
        --out "$OUT" --name "$name" --quiet --evaluator train --steps "$REF_STEPS" --lr "$REF_LR" --training-seed "$ref_seed" \
        < /dev/null > /dev/null &
      k=$((k + 1))
      [ $((k % cores)) -ne 0 ] || wait_all
    done
  done
  wait_all
fi

python3 benchmarks/fidelity_search_table.py table "$DB" "$TOP" "$TARGET" "$W" "$SEEDS" "$MODES" "$REF_SEEDS"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
