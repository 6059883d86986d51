#!/usr/bin/env bash
# The training engine and the evaluators, measured:
#  1. throughput: `nas train` against PyTorch on the same networks in the same run: MobileNetV2,
#     V3-Small and V3-Large (torchvision's shapes, 3x32x32, 10 classes, batch 128, all strides
#     kept), PyTorch in NCHW and channels_last, at 2 and 1 threads, REPEAT interleaved runs each
#     (median). PyTorch trains `nas export --format pytorch` of the same .arch
#     (benchmarks/torch_training.py), from PyPI in a virtual environment this script makes
#     (NAS_TORCH_VENV, default .venv-torch, shared with scripts/check-pytorch-export.sh).
#     Also: single-thread sgemm peak (benchmarks/sgemm_peak.c) of the OpenBLAS core training
#     uses and of every core this CPU can run, and where a training step's time goes (perf).
#  2. accuracy: MobileNetV2's proxy accuracy on Fashion-MNIST in `nas train`'s default budget;
#  3. ranking: how well each zero-cost proxy ranks: Spearman correlation with proxy-trained
#     accuracy over RANK_COUNT random architectures of the MnasNet space, next to MACs and params;
#  4. search: wall time of the README's `nas search --target-ms 80 --w -0.15` (20 trials) with
#     this build and with BASELINE_NAS (an older build), interleaved, on copies of one database.
#
#   benchmarks/training.sh [throughput|accuracy|ranking|search|all]     # NAS=.build/release/nas
#
# OPENBLAS_CORETYPE: the sgemm peaks set it for their own command, one core at a time; nothing
# else changes it (nas itself keeps a value the environment sets).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
NAS=${NAS:-.build/release/nas}
WORK=${WORK:-/tmp/nas-bench-training}
RANK_COUNT=${RANK_COUNT:-30}
REPEAT=${REPEAT:-3}
what=${1:-all}
mkdir -p "$WORK"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
median() { python3 -c "import sys, statistics; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
echo "$(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>}; nas $(git rev-parse --short HEAD 2>/dev/null)"

# The OpenBLAS cores this CPU can run, oldest first.
runnable_cores() {
  local flags
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  echo Prescott
  if [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then echo Haswell; echo Zen; fi
  if [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512dq "* && $flags == *" avx512vl "* ]]; then
    echo SkylakeX
    if [[ $flags == *" avx512_bf16 "* ]]; then echo Cooperlake; fi
  fi
}

throughput() {
  # shellcheck source=../scripts/python-env.sh
  . scripts/python-env.sh
  venv="${NAS_TORCH_VENV:-$root/.venv-torch}"
  python_env training.sh "$venv" torch
  cc -O2 benchmarks/sgemm_peak.c -o "$WORK/sgemm_peak" -lopenblas
  # nas's own one-line summary of the kernels it runs (and the core, for the peak table).
  probe=$("$NAS" train search-spaces/reference/mobilenet-v3-small.arch --data random:32x32x3 --steps 1 --validation 16 --quiet)
  used=$(echo "$probe" | sed -n 's/^kernels: OpenBLAS \([^ ]*\) .*/\1/p')
  echo
  echo "training $(echo "$probe" | grep '^kernels: ')"
  echo
  echo "Single-thread cblas_sgemm peak of each OpenBLAS core this CPU runs (OPENBLAS_CORETYPE set for that command only):"
  echo
  echo "| OpenBLAS core | sgemm peak GFLOP/s | |"
  echo "|---|---|---|"
  peak_used=""
  for core in $(runnable_cores); do
    echo "\$ OPENBLAS_CORETYPE=$core $WORK/sgemm_peak" >&2
    p=$(OPENBLAS_CORETYPE=$core "$WORK/sgemm_peak" | sed -n 's/^peak //p')
    note=""
    if [ "${core,,}" = "${used,,}" ]; then note="training uses this core"; peak_used=$p; fi
    echo "| $core | $p | $note |"
  done
  if [ -z "$peak_used" ]; then
    peak_used=$("$WORK/sgemm_peak" | sed -n 's/^peak //p')
    echo "| $used (as loaded) | $peak_used | training uses this core |"
  fi

  echo
  echo "Training throughput, images/s (median of $REPEAT interleaved runs; nas 40 steps, PyTorch $("$venv/bin/python" -c 'import torch; print(torch.__version__)') 20 steps after 5 warm-up):"
  echo
  echo "| network | threads | nas | PyTorch NCHW | PyTorch channels_last | nas / channels_last | nas step GFLOP/s | % of threads × sgemm peak |"
  echo "|---|---|---|---|---|---|---|---|"
  for net in mobilenet-v2 mobilenet-v3-small mobilenet-v3-large; do
    "$NAS" export "search-spaces/reference/$net.arch" --format pytorch --out "$WORK/$net.py" >/dev/null 2>&1
    for threads in 2 1; do
      nas_runs=() nchw_runs=() cl_runs=() macs=0
      for _ in $(seq "$REPEAT"); do
        cmd=("$NAS" train "search-spaces/reference/$net.arch" --data random:32x32x3 --max-downsampling 32 --steps 40
          --batch-size 128 --threads "$threads" --validation 16 --quiet --json)
        echo "\$ ${cmd[*]}" >&2
        out=$("${cmd[@]}")
        nas_runs+=("$(echo "$out" | json "['images_per_second']")")
        macs=$(echo "$out" | json "['proxy_macs']")
        for layout in nchw channels_last; do
          cmd=("$venv/bin/python" benchmarks/torch_training.py "$WORK/$net.py" --threads "$threads" --layout "$layout" --steps 20)
          echo "\$ ${cmd[*]}" >&2
          ips=$("${cmd[@]}" | json "['images_per_second']")
          if [ "$layout" = nchw ]; then nchw_runs+=("$ips"); else cl_runs+=("$ips"); fi
        done
      done
      python3 - "$net" "$threads" "$(median "${nas_runs[@]}")" "$(median "${nchw_runs[@]}")" "$(median "${cl_runs[@]}")" "$macs" "$peak_used" <<'PY'
import sys
net, threads = sys.argv[1], sys.argv[2]
nas, nchw, cl, macs, peak = (float(x) for x in sys.argv[3:])
gflops = 6 * macs * nas / 1e9  # 2 FLOPs a MAC; backward costs twice the forward
print(f"| {net} | {threads} | {nas:.0f} | {nchw:.0f} | {cl:.0f} | {nas / cl:.2f} | {gflops:.1f} | {100 * gflops / peak / int(threads):.0f}% |")
PY
    done
  done
  profile
}

# Where a training step's time goes, by kernel (perf's samples of MobileNetV2 and V3-Large at 2
# threads, grouped by symbol); skipped without perf.
profile() {
  if ! command -v perf >/dev/null || ! perf record -o /dev/null true 2>/dev/null; then
    echo; echo "(perf is not available here: no time shares)"; return
  fi
  echo
  echo "Share of a training run's CPU time by kernel (perf record; 40 steps, batch 128, 2 threads):"
  echo
  echo "| network | GEMM (OpenBLAS) | depthwise | activation | batch norm | im2col | squeeze-excite | optimizer | memory | OS kernel | other |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for net in mobilenet-v2 mobilenet-v3-large; do
    cmd=(perf record -q -o "$WORK/perf.data" "$NAS" train "search-spaces/reference/$net.arch" --data random:32x32x3 --max-downsampling 32
      --steps 40 --batch-size 128 --threads 2 --validation 16 --quiet)
    echo "\$ ${cmd[*]}" >&2
    "${cmd[@]}" >/dev/null 2>&1
    perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2>/dev/null | python3 -c "
import re, sys
groups = {'GEMM (OpenBLAS)': r'sgemm|gemm_|_COOPERLAKE|_SKYLAKEX|_HASWELL|_ZEN|_PRESCOTT|blas', 'depthwise': r'depthwise',
          'activation': r'activation_|Sigmoid|Swish|GELU', 'batch norm': r'batchnorm|channel_sums|BatchNorm|ChannelReductions',
          'im2col': r'Im2Col', 'squeeze-excite': r'SqueezeExcite', 'optimizer': r'SGD',
          'memory': r'memset|memcpy|memmove|page_fault|clear_page'}
share = {k: 0.0 for k in list(groups) + ['OS kernel', 'other']}
for line in sys.stdin:
    m = re.match(r'\s*([0-9.]+)%\s+\[([.k])\]\s+(.*)', line)
    if not m: continue
    pct, tag, sym = float(m.group(1)), m.group(2), m.group(3)
    for k, pat in groups.items():
        if re.search(pat, sym): share[k] += pct; break
    else: share['OS kernel' if tag == 'k' else 'other'] += pct
print('| $net | ' + ' | '.join(f'{v:.0f}%' for v in share.values()) + ' |')
"
  done
  echo
  echo "(the whole run, start-up included: data generation is in 'other' and 'memory'; 'OS kernel' is mostly"
  echo "threads waking and sleeping between the engine's parallel regions)"
}

accuracy() {
  cmd=("$NAS" train search-spaces/reference/mobilenet-v2.arch --quiet --json)
  echo "\$ ${cmd[*]}" >&2
  out=$("${cmd[@]}")
  echo "$out" > "$WORK/mobilenet-v2-default.json"
  echo
  echo "MobileNetV2 proxy, nas train's default budget:"
  echo "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin)
print(f\"{d['steps']} steps ({d['epochs']:.2f} epochs, batch {d['batch_size']}) in {d['seconds']:.0f} s at {d['images_per_second']:.0f} images/s; \"
      f\"validation accuracy {d['validation_accuracy']:.4f} on {d['validation_images']} held-out images; proxy MACs {d['proxy_macs'] / 1e6:.1f}M\")"
}

ranking() {
  db="$WORK/ranking.sqlite"
  for evaluator in train zen naswot synflow; do
    cmd=("$NAS" search --target-ms 1000 --w 0 --strategy random --seed 11 --trials "$RANK_COUNT" --evaluator "$evaluator" --db "$db"
      --measure-top 0 --name "ranking-$evaluator" --quiet --json)
    echo "\$ ${cmd[*]}" >&2
    "${cmd[@]}" > /dev/null
  done
  echo
  echo "Spearman rank correlation with proxy-trained accuracy (search defaults: 120 steps, lr 0.05, max downsampling 32), $RANK_COUNT random MnasNet-space architectures:"
  echo
  sqlite3 -json "$db" "
    SELECT r.name AS run, e.trial, e.architecture_hash AS hash, e.accuracy AS value, a.macs, a.params
    FROM evaluations e JOIN runs r ON r.id = e.run_id JOIN architectures a ON a.hash = e.architecture_hash
    WHERE r.id IN (SELECT MAX(id) FROM runs WHERE name LIKE 'ranking-%' GROUP BY name) AND e.status = 'ok'" |
    python3 -c "
import json, sys
rows = json.load(sys.stdin)
by = {}
for r in rows: by.setdefault(r['run'].split('-', 1)[1], {})[r['trial']] = r
def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i]); out = [0.0] * len(v); i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]: j += 1
        for k in range(i, j + 1): out[order[k]] = (i + j) / 2
        i = j + 1
    return out
def spearman(a, b):
    ra, rb = ranks(a), ranks(b); n = len(a); ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    return cov / (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
train = by['train']
print('| ranked by | architectures | Spearman rho with trained accuracy |')
print('|---|---|---|')
for name in ['zen', 'naswot', 'synflow']:
    common = [t for t in train if t in by.get(name, {})]
    assert all(by[name][t]['hash'] == train[t]['hash'] for t in common), 'the runs evaluated different architectures'
    print(f'| {name} | {len(common)} | {spearman([by[name][t][\"value\"] for t in common], [train[t][\"value\"] for t in common]):+.3f} |')
for key in ['macs', 'params']:
    ts = list(train)
    print(f'| {key} alone | {len(ts)} | {spearman([train[t][key] for t in ts], [train[t][\"value\"] for t in ts]):+.3f} |')
acc = sorted(train[t]['value'] for t in train)
print(); print(f'trained accuracy over the {len(acc)} architectures: min {acc[0]:.4f}, median {acc[len(acc) // 2]:.4f}, max {acc[-1]:.4f}')
"
}

search() {
  if [ -z "${BASELINE_NAS:-}" ] || [ ! -x "$BASELINE_NAS" ]; then
    echo; echo "(search: set BASELINE_NAS to an older nas build to compare; skipped)"; return
  fi
  seed_db="$WORK/search-seed.sqlite"
  rm -f "$seed_db"*
  # Latency tables once, so both searches only train and predict.
  echo "\$ $NAS bench --db $seed_db --quiet" >&2
  "$NAS" bench --db "$seed_db" --quiet >/dev/null
  echo
  echo "The README's search (20 trials, default evaluator), wall time in seconds, runs interleaved:"
  echo
  echo "| build | runs | seconds (each) | median |"
  echo "|---|---|---|---|"
  declare -A times
  for _ in $(seq "$REPEAT"); do
    for build in "$BASELINE_NAS" "$NAS"; do
      db="$WORK/search-run.sqlite"
      cp "$seed_db" "$db"
      cmd=("$build" search --target-ms 80 --w -0.15 --db "$db" --quiet --json)
      echo "\$ ${cmd[*]}" >&2
      start=$(date +%s.%N)
      "${cmd[@]}" >/dev/null
      times[$build]+="$(python3 -c "print(round($(date +%s.%N) - $start, 1))") "
      rm -f "$db"*
    done
  done
  for build in "$BASELINE_NAS" "$NAS"; do
    # shellcheck disable=SC2086
    echo "| $build ($("$build" --version)) | $REPEAT | ${times[$build]}| $(median ${times[$build]}) |"
  done
}

case "$what" in
  throughput) throughput ;;
  accuracy) accuracy ;;
  ranking) ranking ;;
  search) search ;;
  all) throughput; accuracy; ranking; search ;;
  *) echo "usage: $0 [throughput|accuracy|ranking|search|all]" >&2; exit 2 ;;
esac
