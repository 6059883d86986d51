#!/usr/bin/env bash
# How long `nas report` takes, and how large the page is, for a search of many candidates: a
# real `nas search` (random strategy, a `cmd:` evaluator that answers at once with an accuracy
# made from the architecture's hash) records TRIALS candidates, then the report of that run is
# written REPEAT times.
#
#   benchmarks/report.sh            # NAS=.build/release/nas TRIALS=5000 REPEAT=5
#
# The first run measures the MnasNet space's latency tables into DB (a few minutes); later runs
# reuse them, and the search itself (about a minute) is reused when DB already holds it.
# Prints each command, then a markdown table of the render time (median and range) and the
# page size, and writes the page (and, with Chromium installed, a screenshot) beside DB.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-/tmp/nas-bench-report/nas.sqlite}
TRIALS=${TRIALS:-5000}
REPEAT=${REPEAT:-5}
mkdir -p "$(dirname "$DB")"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }

# Accuracy from the first four hex digits of the hash: deterministic, spread over 0.10-0.99
# (`: {}` takes the file path nas would otherwise append as the last argument).
EVALUATOR='cmd:: {}; printf "{\"accuracy\": 0.%d}\n" $(( 0x$(printf %s "$NAS_ARCH_HASH" | cut -c1-4) % 90 + 10 ))'
run=$(sqlite3 "$DB" "SELECT MAX(id) FROM runs WHERE name = 'report-$TRIALS' AND status = 'finished'" 2>/dev/null || true)
if [ -z "$run" ]; then
  cmd=("$NAS" search --target-ms 5 --alpha 0 --beta -1 --strategy random --trials "$TRIALS" --evaluator "$EVALUATOR"
    --measure-top 5 --db "$DB" --name "report-$TRIALS" --quiet --json)
  echo "\$ ${cmd[*]}"
  start=$(date +%s)
  "${cmd[@]}" > "$(dirname "$DB")/search.json"
  echo "  search: $(( $(date +%s) - start )) s"
  run=$(sqlite3 "$DB" "SELECT MAX(id) FROM runs WHERE name = 'report-$TRIALS' AND status = 'finished'")
fi
evaluations=$(sqlite3 "$DB" "SELECT COUNT(*) FROM evaluations WHERE run_id = $run")
page="$(dirname "$DB")/report-$TRIALS.html"
cmd=("$NAS" report --run "$run" --db "$DB" --out "$page")
echo "\$ ${cmd[*]}"
times=()
for _ in $(seq "$REPEAT"); do
  start=$(date +%s.%N)
  "${cmd[@]}" > /dev/null
  times+=("$(echo "$(date +%s.%N) - $start" | bc)")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -g)
median=$(echo "$sorted" | sed -n "$(( (REPEAT + 1) / 2 ))p")
bytes=$(stat -c %s "$page")
echo
echo "| run | evaluations | render time, median of $REPEAT (range) | page size |"
echo "|---|---|---|---|"
printf '| %s | %s | %.2f s (%.2f-%.2f) | %.2f MB |\n' "$run" "$evaluations" "$median" "$(echo "$sorted" | head -1)" \
  "$(echo "$sorted" | tail -1)" "$(echo "$bytes / 1000000" | bc -l)"
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; command: ${cmd[*]}"
if command -v chromium > /dev/null; then
  shot="${page%.html}.png"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$(mktemp -d)" \
    --screenshot="$shot" --window-size=1200,2600 "file://$(realpath "$page")" > /dev/null 2>&1 && echo "screenshot: $shot"
fi
