#!/bin/bash
# Builds one fuzz target with libFuzzer and runs it for a while.
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]    TARGET: dsl, safetensors or idx
# The committed seeds in corpus/TARGET are copied into .work/TARGET/corpus, which the fuzzer
# grows; crashing inputs land in .work/TARGET/ as crash-* (see README.md).
set -euo pipefail
target=${1:?usage: fuzz/run.sh dsl|safetensors|idx SECONDS}
seconds=${2:?usage: fuzz/run.sh dsl|safetensors|idx SECONDS}
shift 2
case "$target" in dsl|safetensors|idx) ;; *) echo "unknown target '$target' (dsl, safetensors, idx)" >&2; exit 2 ;; esac
cd "$(dirname "$0")"
swift build -c release --product "fuzz-$target" -Xswiftc -sanitize=fuzzer >&2
bin="$(swift build -c release --show-bin-path -Xswiftc -sanitize=fuzzer)/fuzz-$target"
work=".work/$target"
mkdir -p "$work/corpus"
cp -n corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
# One worker, so a 2-core machine keeps a core for other work; -print_final_stats gives the
# executions, and the last status line gives cov: and ft:.
exec "$bin" "$work/corpus" -max_total_time="$seconds" -artifact_prefix="$work/" -print_final_stats=1 -timeout=25 "$@"
