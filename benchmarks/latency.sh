#!/usr/bin/env bash
# The latency benchmark: builds the latency tables of the shipped spaces from an
# empty database, validates the predictor against whole-network runs (100 sampled networks
# per shipped space, 50 networks shrunk off the choice grid per space), measures prediction
# throughput, and times the four reference MobileNets with XNNPACK (`nas latency measure`)
# and, as a yardstick, with onnxruntime (benchmarks/onnx_reference.py) on one thread.
#
# Usage, from the repository root (search-spaces/ must be in the working directory):
#   benchmarks/latency.sh [NAS_BINARY]          # default .build/release/nas; builds nothing
# Environment:
#   LATENCY_DB    the scratch database to create (default: a new temporary directory); it
#                 must not exist yet, since the table-building time is from an empty database
#   LATENCY_OUT   where every command's raw output is kept (default: next to the database)
#   SEED          validation seed (default 1)
#   BENCH_ROUNDS  samples per unit configuration and timings per fit network (`nas bench
#                 --rounds`, default 8; `nas bench` and `nas search` default to 4, which halves
#                 the table time and leaves more noise in the tables)
#   PYTHON        a Python with onnx, onnxruntime and numpy (default python3); without them
#                 the onnxruntime column falls back to earlier quoted figures, marked so
#   LATENCY_NICE  run every timed command under `nice -n LATENCY_NICE` (e.g. -20, as root) so
#                 other work on the machine preempts it less; unset by default
#
# Prints a markdown table of the figures, each with the exact command behind it; needs jq.
# Runs on one thread throughout (--threads 1, onnxruntime intra/inter-op threads 1).
set -euo pipefail

NAS=${1:-.build/release/nas}
NICE=()
[[ -z "${LATENCY_NICE:-}" ]] || NICE=(nice -n "$LATENCY_NICE")
SEED=${SEED:-1}
BENCH_ROUNDS=${BENCH_ROUNDS:-8}
PYTHON=${PYTHON:-python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z "${LATENCY_DB:-}" ]]; then
  LATENCY_DB=$(mktemp -d /tmp/nas-latency-bench.XXXXXX)/latency.sqlite
fi
OUT=${LATENCY_OUT:-$(dirname "$LATENCY_DB")/out}
mkdir -p "$OUT"

[[ -x "$NAS" ]] || { echo "latency.sh: $NAS is not an executable (build with: swift build -c release)" >&2; exit 1; }
[[ -d search-spaces ]] || { echo "latency.sh: run from the repository root (search-spaces/ not found)" >&2; exit 1; }
command -v jq > /dev/null || { echo "latency.sh: needs jq" >&2; exit 1; }
[[ ! -e "$LATENCY_DB" ]] || { echo "latency.sh: $LATENCY_DB exists; the table-building time must start from an empty database" >&2; exit 1; }

SPACES=(search-spaces/*.space)
REFERENCES=(mobilenet-v1 mobilenet-v2 mobilenet-v3-large mobilenet-v3-small)
ROWS=()      # markdown rows: | figure | value | command |
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
row() { ROWS+=("| $1 | $2 | \`$3\` |"); }
pct() { jq -r "$1 * 100 | . * 10 | round / 10" "$2"; }

log "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "database $LATENCY_DB, raw output in $OUT${NICE[*]:+, timed commands under ${NICE[*]}}"

# 1. Tables for the shipped spaces (and the shipped reference networks) from an empty database.
CMD="$NAS bench --threads 1 --rounds $BENCH_ROUNDS --db $LATENCY_DB --quiet --json"
log "$CMD"
start=$(date +%s.%N)
"${NICE[@]}" $CMD > "$OUT/bench.json"
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc)
row "tables for ${#SPACES[@]} shipped spaces + references, from an empty database, $BENCH_ROUNDS passes (wall time)" \
  "$(printf '%.0f s' "$wall") ($(jq -r '.bench.configurations' "$OUT/bench.json") configurations, $(jq -r '.bench.samples' "$OUT/bench.json") samples, $(jq -r '.bench.networks_measured' "$OUT/bench.json") networks)" "$CMD"

CMD="$NAS latency fit --threads 1 --db $LATENCY_DB"
log "$CMD"
$CMD > "$OUT/fit.txt"
$NAS latency fit --threads 1 --db "$LATENCY_DB" --json > "$OUT/fit.json"
chosen=$(jq -r '.chosen' "$OUT/fit.json")
PROFILE=$(jq -r '.profile' "$OUT/fit.json")
for k in macs features local; do
  v=$(jq -r --arg k "$k" '.comparisons[] | select(.kind == $k) | "MAPE \(.mape_percent * 100 | round / 100)%, mean error \((.mean_error_percent // 0) * 100 | round / 100)%, within 10%: \(.share_within_10_percent * 1000 | round / 10)% of \(.held_out)"' "$OUT/fit.json")
  row "unit model \`$k\` on held-out off-grid configurations$([[ $k == "$chosen" ]] && echo ' (chosen)')" "$v" "$CMD"
done
row "network overhead term" "$(jq -r '"measured = \((1 + .overhead.proportional) * 10000 | round / 10000) x units + \(.overhead.intercept_us * 10 | round / 10) us (\(.overhead.networks) networks)"' "$OUT/fit.json")" "$CMD"

# 2. Validation: sampled networks per space, then networks shrunk off the choice grid, each
# network timed in 4 passes (validate's default). Each chunk of 50 is timed together with 8 of
# the networks `nas bench` timed, whose now/then ratio is the machine's speed drift since the
# tables; both raw and corrected figures are kept.
validate() {  # space count shrink(yes/no)
  local space=$1 count=$2 shrink=$3 name flag="" label
  name=$(basename "$space" .space)
  [[ $shrink == yes ]] && flag=" --shrink"
  label=$([[ $shrink == yes ]] && echo "shrunk off-grid" || echo "sampled")
  local cmd="$NAS latency validate --space $space --count $count --seed $SEED$flag --threads 1 --db $LATENCY_DB --quiet --json"
  local file="$OUT/validate-$name-$([[ $shrink == yes ]] && echo shrunk || echo sampled).json"
  log "$cmd (load $(cut -d' ' -f1 /proc/loadavg))"
  "${NICE[@]}" $cmd > "$file"
  row "$name: $count $label networks, within ±10% / ±5%, MAPE, mean error (raw)" \
    "$(pct .share_within_10_percent "$file")% / $(pct .share_within_5_percent "$file")%, MAPE $(jq -r '.mape_percent * 100 | round / 100' "$file")%, mean $(jq -r '.mean_error_percent * 10 | round / 10' "$file")%" "$cmd"
  row "$name: $count $label networks, drift-corrected (each pass's latency divided by its chunk's reference speed factor)" \
    "$(jq -r '.drift_corrected | if . == null then "no reference networks" else "\(.accuracy.share_within_10_percent * 1000 | round / 10)% / \(.accuracy.share_within_5_percent * 1000 | round / 10)%, MAPE \(.accuracy.mape_percent * 100 | round / 100)%, mean \(.accuracy.mean_error_percent * 10 | round / 10)%; factor \(.ratios | map(. * 1000 | round / 1000 | tostring) | join(", ")) (\(.references) references)" end' "$file")" "$cmd"
}
for s in "${SPACES[@]}"; do validate "$s" 100 no; done
for s in "${SPACES[@]}"; do validate "$s" 50 yes; done

# The noise floor: the first space's sampled networks measured a second time. No predictor can
# agree with a measurement better than two measurements of the same network agree.
first=$(basename "${SPACES[0]}" .space)
cmd="$NAS latency validate --space ${SPACES[0]} --count 100 --seed $SEED --threads 1 --db $LATENCY_DB --quiet --json"
log "$cmd (again, for repeatability; load $(cut -d' ' -f1 /proc/loadavg))"
"${NICE[@]}" $cmd > "$OUT/validate-$first-sampled-again.json"
agree=$(jq -n --slurpfile a "$OUT/validate-$first-sampled.json" --slurpfile b "$OUT/validate-$first-sampled-again.json" '
  [$a[0].networks, $b[0].networks] | transpose | map(((.[1].measured_ms - .[0].measured_ms) / .[0].measured_ms * 100) | fabs) as $d
  | ($d | length) as $n
  | "\([$d[] | select(. <= 10)] | length / $n * 1000 | round / 10)% within ±10%, \([$d[] | select(. <= 5)] | length / $n * 1000 | round / 10)% within ±5%, mean absolute difference \(($d | add / $n) * 100 | round / 100)%"')
row "repeatability: the same 100 $first networks measured twice (second against first)" "${agree//\"/}" "$cmd (run twice)"
agree=$(jq -n --slurpfile a "$OUT/validate-$first-sampled.json" --slurpfile b "$OUT/validate-$first-sampled-again.json" '
  [$a[0].networks, $b[0].networks] | transpose
  | map(select(.[0].corrected_measured_ms != null and .[1].corrected_measured_ms != null)
        | ((.[1].corrected_measured_ms - .[0].corrected_measured_ms) / .[0].corrected_measured_ms * 100) | fabs) as $d
  | ($d | length) as $n
  | if $n == 0 then "no reference networks" else
    "\([$d[] | select(. <= 10)] | length / $n * 1000 | round / 10)% within ±10%, \([$d[] | select(. <= 5)] | length / $n * 1000 | round / 10)% within ±5%, mean absolute difference \(($d | add / $n) * 100 | round / 100)%" end')
row "repeatability of the drift-corrected measurements (fastest over passes of latency / the chunk's drift factor)" "${agree//\"/}" "$cmd (run twice)"

# 3. Prediction throughput (what search and NetAdapt pay per architecture).
for s in "${SPACES[@]}"; do
  for shrink in no yes; do
    flag=""; [[ $shrink == yes ]] && flag=" --shrink"
    cmd="$NAS latency throughput --space $s --count 1000 --passes 5 --seed $SEED$flag --threads 1 --db $LATENCY_DB --json"
    file="$OUT/throughput-$(basename "$s" .space)-$shrink.json"
    log "$cmd"
    $cmd > "$file"
    row "$(basename "$s" .space): prediction throughput$([[ $shrink == yes ]] && echo ', shrunk (fitted model)')" \
      "$(jq -r '"\(.architectures_per_second | round) architectures/s (\(.us_each * 10 | round / 10) us each)"' "$file")" "$cmd"
  done
done

# 4. The reference networks: XNNPACK (measured and predicted) and the onnxruntime yardstick.
FILES=()
for r in "${REFERENCES[@]}"; do FILES+=("search-spaces/reference/$r.arch"); done
ORT_CMD="$PYTHON benchmarks/onnx_reference.py $NAS ${FILES[*]} --json"
ORT_OK=no
if "$PYTHON" -c 'import onnx, onnxruntime, numpy' 2> /dev/null; then
  log "$ORT_CMD"
  "${NICE[@]}" "$PYTHON" "$HERE/onnx_reference.py" "$NAS" "${FILES[@]}" --json > "$OUT/onnxruntime.json"
  ORT_OK=yes
else
  log "no onnx/onnxruntime/numpy in $PYTHON: comparing with earlier quoted onnxruntime figures instead"
fi
declare -A QUOTED=([mobilenet-v1]=5.2 [mobilenet-v2]=3.7 [mobilenet-v3-large]=3.1 [mobilenet-v3-small]=0.94)
REF_ROWS=()
for f in "${FILES[@]}"; do
  r=$(basename "$f" .arch)
  mcmd="$NAS latency measure $f --threads 1 --json"
  pcmd="$NAS latency predict $f --threads 1 --db $LATENCY_DB --json"
  log "$mcmd"
  "${NICE[@]}" $mcmd > "$OUT/measure-$r.json"
  $pcmd > "$OUT/predict-$r.json"
  xnn=$(jq -r '.latency_ms' "$OUT/measure-$r.json")
  pred=$(jq -r '.latency_ms' "$OUT/predict-$r.json")
  if [[ $ORT_OK == yes ]]; then
    ortms=$(jq -r --arg f "$f" '.[] | select(.file == $f) | .latency_ms' "$OUT/onnxruntime.json")
    ortsrc="onnxruntime $(jq -r '.[0].onnxruntime' "$OUT/onnxruntime.json"), same graph"
  else
    ortms=${QUOTED[$r]}
    ortsrc="earlier quoted figure (not measured here)"
  fi
  REF_ROWS+=("| $r | $(printf '%.3f' "$xnn") | $(printf '%.3f' "$pred") | $(printf '%.3f' "$ortms") ($ortsrc) | $(printf '%.2f' "$(echo "$xnn / $ortms" | bc -l)") | \`$mcmd\` |")
done

echo "## Latency ($(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores, 1 thread, profile $PROFILE)"
echo
[[ ${#NICE[@]} -eq 0 ]] || { echo "Every timed command ran under \`${NICE[*]}\`."; echo; }
echo "| figure | value | command |"
echo "|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo 'Reference networks, 224x224, batch norm folded, float32, one thread (`nas latency measure`: the fastest run of 8 rounds, see docs/latency.md):'
echo
echo "| network | XNNPACK ms (nas latency measure) | predicted ms | onnxruntime ms | XNNPACK / onnxruntime | command |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${REF_ROWS[@]}"
echo
echo "predicted: \`$NAS latency predict FILE --threads 1 --db $LATENCY_DB --json\`; onnxruntime: \`$ORT_CMD\`"
[[ $ORT_OK == yes ]] || echo "onnxruntime was not available to $PYTHON: its column is an earlier quoted figure, not a measurement."
echo
echo "Raw output of every command: $OUT; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
