#!/usr/bin/env bash
# NetAdapt against width multipliers: MobileNetV2 (Fashion-MNIST proxy) shrunk by `nas netadapt`
# to RATIO of its predicted latency, against MobileNetV2 scaled by a uniform width multiplier and
# trained from scratch for the same number of steps as the NetAdapt network got (the seed's
# training, the short fine-tunes of the winning proposals and the final long fine-tune). Reports
# the NetAdapt network's measured against predicted latency, the accuracy of both at equal
# measured latency, and the latency a width-multiplied network needs for NetAdapt's accuracy
# (NetAdapt reported up to 1.7x faster than width multipliers at equal accuracy on a mobile CPU).
# The NetAdapt architecture is also trained for those steps like the widths, from scratch and
# from its last iteration's weights: NetAdapt's shape apart from its final fine-tune's budget.
#
#   benchmarks/netadapt.sh                                   # the full run (about 15 minutes on 2 Zen 4 cores)
#   SEED_EPOCHS=0.05 LONG_EPOCHS=0.05 SHORT_STEPS=2 RANK_IMAGES=200 STEP_RATIO=0.05 RATIO=0.9 \
#     WIDTHS="0.75 1.0" TRAIN_SEEDS=0 benchmarks/netadapt.sh # a toy run (1-3 min)
#
# STEP_RATIO is the cut one width must make alone: above about 0.1 of MobileNetV2's latency no
# single width can, and nas netadapt stops at iteration 1 ("no width can shrink further").
#
# Settings (environment): NAS (binary), DB (/tmp/nas-bench-netadapt/nas.sqlite; holds the latency
# tables, which `nas netadapt` measures for the seed when missing; every other file goes next to
# it), SEED_ARCH (search-spaces/reference/mobilenet-v2.arch), RATIO (0.5), STEP_RATIO (0.05),
# SHORT_STEPS (40), RANK_IMAGES (1000), SEED_EPOCHS (1, more than 0), LONG_EPOCHS (1),
# LR (0.05), MAXDOWN (32), WIDTHS (width multipliers of the baseline curve, default
# "0.35 0.5 0.6 0.75 1.0"; it should bracket the NetAdapt network's latency and
# accuracy), TRAIN_SEEDS ("0 1": the training seeds of every training the script runs; with several,
# each network's accuracy is their mean and the tables show the spread), MEASURE_ROUNDS (3: every
# network is timed that many times, in rounds through all of them; the median counts), SKIP_SEED=1 (reuse
# seed.safetensors and seed.json from an earlier run), REUSE=1 (also reuse the NetAdapt run and
# every baseline training whose recorded command is the same). Prints every command, then
# markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
DB=${DB:-/tmp/nas-bench-netadapt/nas.sqlite}
SEED_ARCH=${SEED_ARCH:-search-spaces/reference/mobilenet-v2.arch}
RATIO=${RATIO:-0.5}
STEP_RATIO=${STEP_RATIO:-0.05}
SHORT_STEPS=${SHORT_STEPS:-40}
RANK_IMAGES=${RANK_IMAGES:-1000}
SEED_EPOCHS=${SEED_EPOCHS:-1}
LONG_EPOCHS=${LONG_EPOCHS:-1}
LR=${LR:-0.05}
MAXDOWN=${MAXDOWN:-32}
WIDTHS=${WIDTHS:-0.35 0.5 0.6 0.75 1.0}
TRAIN_SEEDS=${TRAIN_SEEDS:-0 1}
MEASURE_ROUNDS=${MEASURE_ROUNDS:-3}
SKIP_SEED=${SKIP_SEED:-0}
REUSE=${REUSE:-0}
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
[ -f "$SEED_ARCH" ] || { echo "no seed architecture $SEED_ARCH (set SEED_ARCH=file.arch)" >&2; exit 1; }
command -v python3 > /dev/null || { echo "python3 is needed for the arithmetic" >&2; exit 1; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "$SEED_EPOCHS" 2> /dev/null ||
  { echo "SEED_EPOCHS must be a number above 0, got '$SEED_EPOCHS'" >&2; exit 1; }
for s in $TRAIN_SEEDS; do
  [[ "$s" =~ ^[0-9]+$ ]] || { echo "TRAIN_SEEDS must be whole numbers, got '$s'" >&2; exit 1; }
done
[ -n "${TRAIN_SEEDS// /}" ] || { echo "TRAIN_SEEDS is empty: give at least one training seed" >&2; exit 1; }
work=$(dirname "$DB")
mkdir -p "$work"
name=$(basename "$SEED_ARCH" .arch)
run() { echo "\$ $*" >&2; "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
# cached OUT CMD...: CMD's standard output into OUT; with REUSE=1, an OUT whose recorded command
# (OUT.cmd) is CMD is kept instead.
cached() {
  local out=$1
  shift
  reused=0
  if [ "$REUSE" = 1 ] && [ -s "$out" ] && [ "$(cat "$out.cmd" 2> /dev/null)" = "$*" ]; then
    echo "reusing $out (same command: $*)" >&2
    reused=1
    return
  fi
  run "$@" > "$out.tmp"
  mv "$out.tmp" "$out"
  printf '%s\n' "$*" > "$out.cmd"
}
measure() { run "$NAS" latency measure "$1" --threads 1 --json | json "['latency_ms']"; }
predict() { "$NAS" latency predict "$1" --db "$DB" --json | json "['latency_ms']"; }
start=$(date +%s)

# 1. The seed, trained from scratch.
if [ "$SKIP_SEED" = 1 ] && [ -s "$work/seed.safetensors" ] && [ -s "$work/seed.json" ]; then
  echo "reusing the seed's weights $work/seed.safetensors (SKIP_SEED=1)" >&2
else
  [ "$SKIP_SEED" = 1 ] && echo "SKIP_SEED=1 but no $work/seed.safetensors and seed.json: training the seed" >&2
  run "$NAS" train "$SEED_ARCH" --epochs "$SEED_EPOCHS" --lr "$LR" --max-downsampling "$MAXDOWN" --test \
    --save "$work/seed.safetensors" --quiet --json > "$work/seed.json.tmp"
  mv "$work/seed.json.tmp" "$work/seed.json"
fi

# 2. NetAdapt from the seed's weights (measures the seed's latency tables into DB when missing).
netadapt_start=$(date +%s.%N)
cached "$work/netadapt.json" "$NAS" netadapt "$SEED_ARCH" --weights "$work/seed.safetensors" --target-ratio "$RATIO" \
  --step-ratio "$STEP_RATIO" --short-steps "$SHORT_STEPS" --rank-images "$RANK_IMAGES" --long-epochs "$LONG_EPOCHS" \
  --lr "$LR" --max-downsampling "$MAXDOWN" --db "$DB" --out "$work" --quiet --json
# Its wall time, kept with its output (a reused run keeps the time it took).
if [ "$work/netadapt.json" -nt "$work/netadapt.seconds" ] || [ ! -s "$work/netadapt.seconds" ]; then
  python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1])))" "$netadapt_start" "$(date +%s.%N)" > "$work/netadapt.seconds"
fi
netadapt_seconds=$(cat "$work/netadapt.seconds")
[ "$reused" = 1 ] && netadapt_seconds="$netadapt_seconds (reused)"
final=$(json "['architecture_file']" < "$work/netadapt.json")
[ -f "$final" ] || { echo "nas netadapt wrote no final architecture (see $work/netadapt.json)" >&2; exit 1; }

# 3. The NetAdapt network's training budget in steps: the seed's training, one short fine-tune
# per iteration (the winner's) and the final long fine-tune (LONG_EPOCHS of the same epoch).
budget=$(python3 - "$work/seed.json" "$work/netadapt.json" "$SHORT_STEPS" "$LONG_EPOCHS" << 'EOF'
import json, sys
seed, na = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
short, long_epochs = int(sys.argv[3]), float(sys.argv[4])
images = seed["training_images"]  # the training images nas train saw
per_epoch = max(1, images // seed["batch_size"])
long_steps = max(1, round(long_epochs * per_epoch)) if long_epochs > 0 else 0
iterations = sum(1 for s in na["path"] if s["iteration"] > 0)
proposals = sum(s["proposals"] for s in na["path"] if s["iteration"] > 0)
total = seed["steps"] + iterations * short + long_steps
print(total, seed["steps"], iterations * short, long_steps, iterations, proposals)
EOF
)
read -r total_steps seed_steps short_total long_steps iterations proposals <<< "$budget"
echo "NetAdapt network's budget: $total_steps steps ($seed_steps seed + $short_total short fine-tunes of $iterations winners + $long_steps final)" >&2

# 4. The width-multiplier curve, then the end-to-end latency of every network (the seed, the
# NetAdapt network and each width) the same way: MEASURE_ROUNDS rounds through all of them, so
# that a slow spell of the machine does not land on one network only; the median counts.
archs=("$SEED_ARCH" "$final")
for w in $WIDTHS; do
  arch=$work/$name-w$w.arch
  run "$NAS" arch canon "$SEED_ARCH" --width "$w" > "$arch"
  archs+=("$arch")
done
timings=$work/measured.tsv
: > "$timings"
for round in $(seq "$MEASURE_ROUNDS"); do
  echo "latency, round $round of $MEASURE_ROUNDS" >&2
  for arch in "${archs[@]}"; do printf '%s\t%s\n' "$arch" "$(measure "$arch")" >> "$timings"; done
done
measured() { # measured FILE: "median min max" of FILE's timings
  python3 -c "
import statistics, sys
ms = [float(l.rstrip('\\n').split('\\t')[1]) for l in open(sys.argv[1]) if l.split('\\t')[0] == sys.argv[2]]
print(statistics.median(ms), min(ms), max(ms))" "$timings" "$1"
}
rows=$work/rows.jsonl
: > "$rows"
macs() { "$NAS" arch info "$1" --json | json "['macs']"; }
seed_hash=$("$NAS" arch canon "$SEED_ARCH" --hash-only)
for w in $WIDTHS; do
  arch=$work/$name-w$w.arch
  same=no
  [ "$("$NAS" arch canon "$arch" --hash-only)" = "$seed_hash" ] && same=yes
  python3 -c "
import json, sys
width, path, measured, predicted, macs, seed = sys.argv[1:]
median, low, high = map(float, measured.split())
print(json.dumps({'label': 'width ' + width, 'width': float(width), 'file': path, 'measured': median, 'low': low, 'high': high,
                  'predicted': float(predicted), 'macs': int(macs), 'seed': seed == 'yes'}))" \
    "$w" "$arch" "$(measured "$arch")" "$(predict "$arch")" "$(macs "$arch")" "$same" >> "$rows"
done
read -r seed_measured seed_low seed_high <<< "$(measured "$SEED_ARCH")"
read -r final_measured final_low final_high <<< "$(measured "$final")"
final_predicted=$(predict "$final")
final_macs=$(macs "$final")
# The NetAdapt architecture trained like the widths, from scratch (whether NetAdapt found a better
# shape, apart from what its inherited weights gave or cost), and from its last iteration's
# weights (what those weights are worth against a fresh start at the same number of steps).
netadapt_row() { # netadapt_row KIND LABEL [WEIGHTS]
  python3 -c "
import json, sys
kind, label, path, measured, predicted, macs, weights = sys.argv[1:]
median, low, high = map(float, measured.split())
print(json.dumps({'label': label, 'kind': kind, 'width': None, 'file': path, 'weights': weights or None, 'measured': median,
                  'low': low, 'high': high, 'predicted': float(predicted), 'macs': int(macs), 'seed': False}))" \
    "$1" "$2" "$final" "$final_measured $final_low $final_high" "$final_predicted" "$final_macs" "${3:-}" >> "$rows"
}
netadapt_row scratch "NetAdapt architecture, from scratch"
last_weights=${final%.arch}/iteration-$iterations.safetensors
if [ -s "$last_weights" ]; then
  netadapt_row inherited "NetAdapt architecture, from its last iteration's weights" "$last_weights"
else
  echo "no $last_weights (the last iteration's weights): the inherited-weights row is left out" >&2
fi
# Train after all the timing, so no measurement runs next to training. Seed 0 keeps the command
# (and file) of the runs before TRAIN_SEEDS, so REUSE=1 finds them.
: > "$rows.trained"
while IFS= read -r -u 3 line; do
  arch=$(echo "$line" | json "['file']")
  weights=$(echo "$line" | json ".get('weights') or ''")
  stem=${arch%.arch}.train weight_args=()
  [ -n "$weights" ] && stem=${arch%.arch}.inherited weight_args=(--weights "$weights")
  results=()
  for s in $TRAIN_SEEDS; do
    if [ "$s" = 0 ]; then out=$stem.json seed_args=(); else out=$stem-seed$s.json seed_args=(--seed "$s"); fi
    cached "$out" "$NAS" train "$arch" "${weight_args[@]}" --steps "$total_steps" --lr "$LR" --max-downsampling "$MAXDOWN" \
      "${seed_args[@]}" --test --quiet --json
    results+=("$out")
  done
  echo "$line" | python3 -c "
import json, statistics, sys
r = json.load(sys.stdin); ts = [json.load(open(p)) for p in sys.argv[1:]]
vals = [t['validation_accuracy'] for t in ts]
tests = [t.get('test_accuracy') for t in ts]
r.update(steps=ts[0]['steps'], validation=statistics.mean(vals), validations=vals,
         test=None if None in tests else statistics.mean(tests), seconds=statistics.mean(t['seconds'] for t in ts))
print(json.dumps(r))" "${results[@]}" >> "$rows.trained"
done 3< "$rows"
mv "$rows.trained" "$rows"
total_seconds=$(($(date +%s) - start))

# 5. The tables.
python3 - "$work/seed.json" "$work/netadapt.json" "$rows" "$SEED_ARCH" "$final" "$seed_measured" "$final_measured" "$final_macs" \
  "$total_steps $seed_steps $short_total $long_steps $iterations $proposals" "$total_seconds $netadapt_seconds" \
  "ratio $RATIO, step ratio $STEP_RATIO, $SHORT_STEPS short steps, $RANK_IMAGES ranking images, seed $SEED_EPOCHS epochs, final fine-tune $LONG_EPOCHS epochs, lr $LR, max downsampling $MAXDOWN, training seeds $TRAIN_SEEDS" \
  "$seed_low $seed_high $final_low $final_high" "$MEASURE_ROUNDS calls, each the fastest run of nas latency measure" << 'EOF'
import json, sys
seed, na = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
trained = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
rows = [r for r in trained if not r.get("kind")]  # the width-multiplier curve
extra = [r for r in trained if r.get("kind")]  # the NetAdapt architecture trained like the widths
seed_arch, final_arch = sys.argv[4], sys.argv[5]
seed_measured, final_measured, final_macs = float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
total, seed_steps, short_total, long_steps, iterations, proposals = map(int, sys.argv[9].split())
total_s, netadapt_s = sys.argv[10].split(" ", 1)
settings = sys.argv[11]
seed_low, seed_high, final_low, final_high = map(float, sys.argv[12].split())
timing = sys.argv[13]
def span(low, high):
    return f"{low:.3f}-{high:.3f}"

def f(x, digits=3, suffix=""):
    return "-" if x is None else f"{x:.{digits}f}{suffix}"
def accuracy(r):
    """The mean validation accuracy, and every seed's when there are several."""
    each = r.get("validations") or [r["validation"]]
    return f(r["validation"], 4) + (" (" + ", ".join(f(v, 4) for v in each) + ")" if len(each) > 1 else "")
def err(measured, predicted):
    return "-" if measured is None or predicted is None else f"{100 * (measured - predicted) / predicted:+.1f}%"

final_pred, final_val, final_test = na.get("final_predicted_ms"), na.get("final_validation_accuracy"), na.get("final_test_accuracy")
print(f"\nNetAdapt from {seed_arch} (run {na['run']}): {settings}; target {f(na['target_ms'])} ms predicted, "
      f"1 thread on this machine; Fashion-MNIST proxy, validation = 5,000 images held out of the training files")
if na.get("interrupted") or na.get("stopped_at_iteration_limit"):
    print("\n**The run did not reach the target** (interrupted or stopped at --max-iterations).")

print("\n(a) The NetAdapt path's ends: predicted latency from the tables; measured: the median of "
      f"`nas latency measure` ({timing}), its range, and netadapt's own in-process timing in brackets\n")
print("| network | iterations | predicted ms | measured ms | measured range | measured vs predicted | validation accuracy | test accuracy |")
print("|---|---|---|---|---|---|---|---|")
print(f"| seed {seed.get('architecture') or ''} ({seed_steps} steps from scratch) | 0 | {f(na['seed_latency_ms'])} | "
      f"{f(seed_measured)} ({f(na.get('seed_measured_ms'))}) | {span(seed_low, seed_high)} | {err(seed_measured, na['seed_latency_ms'])} ({err(na.get('seed_measured_ms'), na['seed_latency_ms'])}) | "
      f"{f(seed['validation_accuracy'], 4)} | {f(seed.get('test_accuracy'), 4)} |")
print(f"| NetAdapt final | {iterations} | {f(final_pred)} | {f(final_measured)} ({f(na.get('final_measured_ms'))}) | {span(final_low, final_high)} | "
      f"{err(final_measured, final_pred)} ({err(na.get('final_measured_ms'), final_pred)}) | {f(final_val, 4)} | {f(final_test, 4)} |")
print(f"| final / seed | | {f(final_pred / na['seed_latency_ms'] if final_pred else None)} | {f(final_measured / seed_measured)} | | | | |")

print("\nThe path (accuracy on the ranking images after each winner's short fine-tune)\n")
print("| iteration | predicted ms | of seed | ranking accuracy | proposals | cut |")
print("|---|---|---|---|---|---|")
for s in na["path"]:
    print(f"| {s['iteration']} | {f(s['predicted_latency_ms'])} | {100 * s['predicted_latency_ms'] / na['seed_latency_ms']:.1f}% | "
          f"{f(s.get('accuracy'), 4)} | {s['proposals'] if s['iteration'] else '-'} | {s.get('cut') or '(seed)'} |")

print(f"\n(b) Width multipliers and the NetAdapt architecture, each trained for {total} steps of batch 128 (from scratch, or from the NetAdapt "
      f"path's last weights where it says so), the NetAdapt network's budget "
      f"({seed_steps} seed + {iterations} x short fine-tune = {short_total} + {long_steps} final; its {proposals} proposals' "
      f"short fine-tunes, {proposals * short_total // iterations if iterations else 0} steps, only ranked)\n")
print("| network | predicted ms | measured ms | measured range | measured vs predicted | MACs | steps | validation accuracy (per seed) | test accuracy | train s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(trained, key=lambda r: r["measured"]):
    print(f"| {r['label']} | {f(r['predicted'])} | {f(r['measured'])} | {span(r['low'], r['high'])} | {err(r['measured'], r['predicted'])} | {r['macs'] / 1e6:.1f}M | "
          f"{r['steps']} | {accuracy(r)} | {f(r['test'], 4)} | {f(r['seconds'], 0)} |")
print(f"| NetAdapt final (fine-tuned, training seed 0) | {f(final_pred)} | {f(final_measured)} | {span(final_low, final_high)} | {err(final_measured, final_pred)} | {final_macs / 1e6:.1f}M | {total} | "
      f"{f(final_val, 4)} | {f(final_test, 4)} | {f(seed['seconds'], 0)} seed + {netadapt_s.split()[0]} netadapt |")

for r in (r for r in rows if r["seed"]):
    m = r["measured"]
    print(f"\n{r['label']} is the seed's network, timed twice in each round: medians {seed_measured:.3f} and {m:.3f} ms "
          f"({100 * abs(m - seed_measured) / min(m, seed_measured):.1f}% apart), single timings {min(seed_low, r['low']):.3f}-"
          f"{max(seed_high, r['high']):.3f} ms: the noise of the measurements on this machine.")

# (c) Interpolation on the width-multiplier curve, linear in latency.
def at(points, x):
    """y at x on the polyline through points (sorted by x); None outside it."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[0][1] if len(points) == 1 and points[0][0] == x else None
def where(points, y):
    """The smallest x at which the polyline through points (sorted by x) reaches y; None if it does not."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if min(y0, y1) <= y <= max(y0, y1):
            return x0 if y1 == y0 else x0 + (x1 - x0) * (y - y0) / (y1 - y0)
    return None
print("\n(c) NetAdapt against the width-multiplier curve (linear interpolation between the widths above)\n")
print("| network | latency basis | NetAdapt ms | NetAdapt accuracy | width-multiplier accuracy at that latency | difference | width there | "
      "width-multiplier ms at NetAdapt's accuracy | speedup at equal accuracy |")
print("|---|---|---|---|---|---|---|---|---|")
candidates = [("NetAdapt final (fine-tuned)", final_measured, final_pred, final_val)]
candidates += [(r["label"], r["measured"], r["predicted"], r["validation"]) for r in extra]
for label, key, x, value in ((c[0], key, x, c[3]) for c in candidates for key, x in (("measured", c[1]), ("predicted", c[2]))):
    if x is None or value is None:
        continue
    curve = sorted((r[key], r["validation"]) for r in rows)
    widths = sorted((r[key], r["width"]) for r in rows)
    acc, width, needed = at(curve, x), at(widths, x), where(curve, value)
    accs = [a for _, a in curve]
    missing = ("not bracketed (every width is more accurate)" if value < min(accs)
               else "not bracketed (no width is as accurate)" if value > max(accs) else "not bracketed")
    print(f"| {label} | {key} | {f(x)} | {f(value, 4)} | {f(acc, 4) if acc is not None else 'not bracketed'} | "
          f"{f'{100 * (value - acc):+.2f} points' if acc is not None else '-'} | {f(width, 3) if width is not None else '-'} | "
          f"{f(needed) if needed is not None else missing} | {f(needed / x, 2, 'x') if needed is not None else '-'} |")
na_time = f"{netadapt_s.split()[0]} s" + (" (its earlier run, reused here)" if "reused" in netadapt_s else "")
print(f"\nWall time of this run of the script {total_s} s, of nas netadapt {na_time}. A speedup above 1 means a width-multiplied MobileNetV2 "
      "needs more latency for NetAdapt's accuracy; NetAdapt (Yang et al. 2018) reported up to 1.7x on a mobile CPU.")
EOF
