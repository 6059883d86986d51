#!/usr/bin/env bash
# The training engine and the evaluators, measured:
#  1. training throughput of torchvision-shaped MobileNetV2, V3-Small and V3-Large (3x32x32,
#     10 classes, batch 128, all strides kept) at 2 and 1 threads, against PyTorch 2.15's
#     figures on this machine kind, and the achieved GFLOP/s of a whole training step next to
#     single-thread cblas_sgemm peak measured in the same run (benchmarks/sgemm_peak.c);
#  2. MobileNetV2's proxy accuracy on Fashion-MNIST in `nas train`'s default budget;
#  3. how well each zero-cost proxy ranks: Spearman correlation with proxy-trained accuracy
#     over RANK_COUNT random architectures of the MnasNet space (the same architectures for
#     every evaluator: random search with one seed), next to MACs and parameters alone.
#
#   benchmarks/training.sh [throughput|accuracy|ranking|all]     # NAS=.build/release/nas
#
# OPENBLAS_CORETYPE is reported as the environment sets it; section 1 also runs with it unset
# (and OPENBLAS_L2_SIZE unset), for this benchmark's commands only.
set -euo pipefail
cd "$(dirname "$0")/.."
NAS=${NAS:-.build/release/nas}
WORK=${WORK:-/tmp/nas-bench-training}
RANK_COUNT=${RANK_COUNT:-30}
what=${1:-all}
mkdir -p "$WORK"
[ -x "$NAS" ] || { echo "no $NAS: build it with 'swift build -c release' (or set NAS=path)" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>}; $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"

throughput() {
  cc -O2 benchmarks/sgemm_peak.c -o "$WORK/sgemm_peak" -lopenblas
  for env in "as set" "unset"; do
    if [ "$env" = unset ]; then prefix=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); else prefix=(env); fi
    echo "\$ ${prefix[*]} $WORK/sgemm_peak" >&2
    peak=$("${prefix[@]}" "$WORK/sgemm_peak" | sed -n 's/^peak //p')
    echo
    echo "OPENBLAS_CORETYPE $env: single-thread cblas_sgemm peak $peak GFLOP/s"
    echo
    echo "| network | threads | images/s | PyTorch images/s | ratio | step GFLOP/s | % of sgemm peak |"
    echo "|---|---|---|---|---|---|---|"
    for spec in "mobilenet-v2 750 470" "mobilenet-v3-small 1130 770" "mobilenet-v3-large 550 370"; do
      set -- $spec
      for threads in 2 1; do
        torch=$([ "$threads" = 2 ] && echo "$2" || echo "$3")
        cmd=("${prefix[@]}" "$NAS" train "search-spaces/reference/$1.arch" --data random:32x32x3 --max-downsampling 32 --steps 40
          --batch-size 128 --threads "$threads" --quiet --json)
        echo "\$ ${cmd[*]}" >&2
        out=$("${cmd[@]}")
        ips=$(echo "$out" | json "['imagesPerSecond']")
        macs=$(echo "$out" | json "['proxyMACs']")
        python3 - "$1" "$threads" "$ips" "$torch" "$macs" "$peak" <<'EOF'
import sys
name, threads, ips, torch, macs, peak = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
gflops = 6 * macs * ips / 1e9  # 2 FLOPs a MAC; backward costs twice the forward
print(f"| {name} | {threads} | {ips:.0f} | {torch:.0f} | {ips / torch:.2f} | {gflops:.1f} | {100 * gflops / peak:.0f}% |")
EOF
      done
    done
  done
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
print(f\"{d['steps']} steps ({d['epochs']:.2f} epochs, batch {d['batchSize']}) in {d['seconds']:.0f} s at {d['imagesPerSecond']:.0f} images/s; \"
      f\"validation accuracy {d['validationAccuracy']:.4f} on {d['validationImages']} held-out images; proxy MACs {d['proxyMACs'] / 1e6:.1f}M\")"
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

case "$what" in
  throughput) throughput ;;
  accuracy) accuracy ;;
  ranking) ranking ;;
  all) throughput; accuracy; ranking ;;
  *) echo "usage: $0 [throughput|accuracy|ranking|all]" >&2; exit 2 ;;
esac
