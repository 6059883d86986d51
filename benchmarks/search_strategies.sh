#!/usr/bin/env bash
# Best reward against trials for the three strategies of `nas search` (ppo, evolution,
# random) at the same budget and several seeds, with a cheap evaluator (NASWOT by default:
# about 0.3 s a candidate), on the shipped MnasNet space (with --w the target only scales rewards).
#
#   benchmarks/search_strategies.sh            # NAS=.build/release/nas TRIALS=100 SEEDS="1 2 3 4 5"
#
# Prints each command, then a markdown table of the best reward after 10, 25, 50 and all
# trials per run, the mean per strategy, and each strategy's mean relative to random.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-/tmp/nas-bench-strategies/nas.sqlite}
TRIALS=${TRIALS:-100}
SEEDS=${SEEDS:-"1 2 3 4 5"}
TARGET=${TARGET:-5}
W=${W:--0.15}
EVALUATOR=${EVALUATOR:-naswot}
SPACE=${SPACE:-search-spaces/mnasnet.space}
mkdir -p "$(dirname "$DB")"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }

start=$(date +%s)
for strategy in ppo evolution random; do
  for seed in $SEEDS; do
    cmd=("$NAS" search --space "$SPACE" --target-ms "$TARGET" --w "$W" --strategy "$strategy" --seed "$seed" --trials "$TRIALS"
      --evaluator "$EVALUATOR" --db "$DB" --measure-top 0 --name "strategies-$strategy-$seed" --quiet --json)
    echo "\$ ${cmd[*]}"
    "${cmd[@]}" > /dev/null
  done
done
seconds=$(( $(date +%s) - start ))

checkpoints="10 25 50 $TRIALS"
columns=""
for k in $checkpoints; do
  columns="$columns, printf('%.2f', (SELECT MAX(e.reward) FROM evaluations e WHERE e.run_id = r.id AND e.status = 'ok' AND e.trial <= $k)) AS \"best@$k\""
done
latest="SELECT MAX(id) FROM runs WHERE kind = 'search' AND name LIKE 'strategies-%' GROUP BY name"

echo
echo "Best reward (${EVALUATOR} score x (LAT/${TARGET} ms)^${W}) after k trials, $SPACE, $TRIALS trials per run; all runs took ${seconds} s"
echo
sqlite3 -markdown "$DB" "SELECT r.name AS run $columns FROM runs r WHERE r.id IN ($latest) ORDER BY r.name"
echo
sqlite3 -markdown "$DB" "
  WITH best AS (
    SELECT substr(r.name, 12, instr(substr(r.name, 12), '-') - 1) AS strategy,
      (SELECT MAX(e.reward) FROM evaluations e WHERE e.run_id = r.id AND e.status = 'ok' AND e.trial <= 25) AS b25,
      (SELECT MAX(e.reward) FROM evaluations e WHERE e.run_id = r.id AND e.status = 'ok') AS ball
    FROM runs r WHERE r.id IN ($latest))
  SELECT strategy, COUNT(*) AS seeds, printf('%.2f', AVG(b25)) AS \"mean best@25\", printf('%.2f', AVG(ball)) AS \"mean best@$TRIALS\",
    printf('%+.1f%%', 100.0 * (AVG(ball) / (SELECT AVG(ball) FROM best WHERE strategy = 'random') - 1)) AS \"vs random@$TRIALS\",
    printf('%.2f', MIN(ball)) AS \"worst seed\", printf('%.2f', MAX(ball)) AS \"best seed\"
  FROM best GROUP BY strategy ORDER BY AVG(ball) DESC"
echo
echo "Unique architectures evaluated per run (the rest were repeats, reused from the store):"
sqlite3 -markdown "$DB" "SELECT r.name AS run, COUNT(DISTINCT e.architecture_hash) AS distinct_architectures, SUM(e.reused) AS reused_rows
  FROM runs r JOIN evaluations e ON e.run_id = r.id WHERE r.id IN ($latest) GROUP BY r.id ORDER BY r.name"
