#!/usr/bin/env bash
# How `nas search --queue` scales with the number of `nas worker` processes, and whether 8
# workers against one PostgreSQL server with nas's default connection settings stay correct.
#
#   benchmarks/queue-scaling.sh                  # NAS=.build/release/nas TRIALS=120 WORKER_COUNTS="1 2 4 8"
#
# Set-up: a throwaway PostgreSQL cluster (scripts/postgres-cluster.sh, in a temporary directory
# that is stopped and removed on exit). One database, the template, gets the latency tables of
# the benchmark space (a first search of one trial with an evaluator that answers at once; not
# timed). For each worker count W a fresh database is copied from it (CREATE DATABASE ...
# TEMPLATE), so no architecture is reused from another measurement and every run starts from
# the same tables; then W workers start (NAS_HOST_ID=bench-host-1..W, one host id each) and
# one search queues its candidates with --queue --workers 8 --trials TRIALS: the batch is 8
# for every W, so only the number of workers changes. The evaluator is a `cmd:` that sleeps
# 2 s and prints an accuracy made from the file's size: it uses no CPU, so 8 workers are
# feasible on a 2-core machine (what the workers cost is the `nas _evaluate` process each
# evaluation starts, and their polling).
#
# The space: the issue's small space has 192 architectures, so a search of 120 trials would
# evaluate far fewer (a repeated architecture reuses its recorded accuracy) and batches would
# shrink unevenly. This one has the same shape with wider choices (62,208 architectures), and
# the strategy is random with a fixed seed: the same candidates for every W, and the `reused`
# column of the checks says whether any repeat happened (the ideal below counts what was queued).
#
# What is measured, for each W, from the search's start to its end (date +%s.%N around it):
# - evaluations/min = evaluations done by workers (the run's queue rows in state done) / wall
#   minutes; speed-up = that rate over the rate at the first W (1). Goal of the issue: >= 3.5x at W = 4.
# - worker overhead per evaluation = mean over the run's queue rows of (finished_at -
#   claimed_at) - 2 s: what a worker adds to the evaluator's sleep (the `nas _evaluate` child
#   process start and exit, the claim and the outcome's write). Beside it, the part inside the
#   child process: mean wall_seconds (the worker's own timing of the child) - 2 s.
# - wall over ideal = wall - ideal, the search-side wait. Ideal: each batch of n queued
#   candidates takes ceil(n / W) rounds of 2 s, so ideal = sum over batches of ceil(n / W) * 2 s,
#   which is (TRIALS / 8) * ceil(8 / W) * 2 s when nothing is reused. A batch is the set of
#   queue rows with one created_at (a batch is queued in one transaction with one time stamp).
#   It is split into: start-up (search start to the first batch queued: loading the space and
#   the predictor, opening the run), pick-up (a batch queued to its first claim: worker
#   polling, 0.5 s), rounds (first claim to last outcome of a batch, less the batch's ideal:
#   worker overhead and uneven rounds), hand-off (a batch's last outcome to the next batch
#   queued: the search's 0.25 s poll, recording, the strategy) and tail (last outcome to the
#   search's exit: the summary and the report page). Timestamps: claimed_at and finished_at are
#   the database's clock, created_at the search's, start and end the script's: one machine.
#   The load average before and after each search is printed beside it: other work on the
#   machine slows process starts and the search's own steps, not the evaluator's sleep.
#
# Correctness, for every W (and the W = 8 check of the issue: "8 workers against one server
# with the default connection settings: no 'too many clients', no deadlock, no lost update"):
# every trial 1..TRIALS has exactly one finished non-stale evaluation (evaluations, message
# not 'stale:%'), one queue row in state done, and that row's evaluation record agrees with it
# (status, accuracy, architecture); no claim was retried (attempts = 1), no worker dropped an
# outcome. At W = 8 the workers' and the search's standard error and the server log lines written
# during the run are searched for "too many clients" and "deadlock", and the server's
# connections are sampled every 0.5 s (peak against max_connections).
#
# Output: markdown tables on standard output, progress on standard error, raw output of every
# command in OUT (default a new temporary directory, kept). Environment: NAS (default
# .build/release/nas; nothing is built), TRIALS (120: 15 batches, about 30 s of ideal wall time
# at W = 8), WORKER_COUNTS ("1 2 4 8"), SEED (1), TARGET_MS (0.1), OUT. Needs jq and the
# PostgreSQL server and client (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

NAS=${NAS:-.build/release/nas}
TRIALS=${TRIALS:-120}
WORKER_COUNTS=${WORKER_COUNTS:-"1 2 4 8"}
SEED=${SEED:-1}
TARGET_MS=${TARGET_MS:-0.1}
BATCH=8           # --workers of the search: candidates queued at once
EVAL_SECONDS=2    # the evaluator's sleep
OUT=${OUT:-$(mktemp -d /tmp/nas-queue-scaling.XXXXXX)}
mkdir -p "$OUT"

LOG_PREFIX=queue-scaling
# The evaluators, the space, the helpers and the exit trap, shared with queue-faults.sh.
. benchmarks/lib/queue-common.sh

# --- helpers -----------------------------------------------------------------------------

# Samples the server's connections every 0.5 s into FILE until killed.
sample_connections() {
  while :; do
    sql "$BASE_URL" "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'" >>"$1" 2>/dev/null || true
    sleep 0.5
  done
}

# --- one measurement -----------------------------------------------------------------------

# measure W: fresh database, W workers, one timed search; appends a line to RESULTS and CHECKS.
measure() {
  local w=$1 dir="$OUT/w$1" url run start end wall sampler="" log_lines
  mkdir -p "$dir"
  url=$(fresh_db "bench_w$w")
  start_workers bench-host "$w" "$url" "$dir"
  if [ "$w" -eq 8 ]; then
    sample_connections "$dir/connections.txt" &
    sampler=$!
    PIDS+=("$sampler")
  fi
  log_lines=$(wc -l <"$SERVER_LOG")
  local load_before load_after
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  search_cmd "$url" "$dir"
  local cmd=("${SEARCH[@]}")
  log "W=$w: $(show_cmd "${cmd[@]}")"
  start=$(now)
  "${cmd[@]}" >"$dir/search.json" 2>"$dir/search.err" || die "W=$w: the search failed (status $?): $dir/search.err"
  end=$(now)
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  wall=$(calc "$end - $start" 3)
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  stop_workers
  tail -n +"$((log_lines + 1))" "$SERVER_LOG" >"$dir/server.log"
  echo "$(show_cmd "${cmd[@]}")" >"$dir/search.cmd"
  echo "$WORKER_CMD" >"$dir/worker.cmd"

  run=$(jq -r .run "$dir/search.json")
  local reused interrupted
  reused=$(jq -r .reused "$dir/search.json")
  interrupted=$(jq -r .interrupted "$dir/search.json")

  # Evaluations per trial (the finished non-stale records) and queue rows: done, per trial,
  # retried claims, and agreement with the evaluation record.
  local trials_seen trials_once tmin tmax running stale queue_total done_rows queue_trials max_attempts agree
  run_counts "$url" "$run"
  IFS='|' read -r trials_seen trials_once tmin tmax running stale queue_total done_rows queue_trials max_attempts agree <<<"$RUN_COUNTS"

  # Worker summaries.
  local evaluated_by_workers=0 dropped=0 f
  for f in "$dir"/worker-*.json; do
    evaluated_by_workers=$((evaluated_by_workers + $(jq -r .evaluated "$f")))
    dropped=$((dropped + $(jq -r .dropped "$f")))
  done

  local ok="yes"
  if [ "$trials_seen" -ne "$TRIALS" ] || [ "$trials_once" -ne "$TRIALS" ] || [ "$tmin" -ne 1 ] || [ "$tmax" -ne "$TRIALS" ] ||
    [ "$running" -ne 0 ] || [ "$done_rows" -ne "$queue_total" ] || [ "$queue_trials" -ne "$queue_total" ] || [ "$agree" -ne "$done_rows" ] ||
    [ "$max_attempts" -gt 1 ] || [ "$dropped" -ne 0 ] || [ "$evaluated_by_workers" -ne "$done_rows" ] ||
    [ "$interrupted" != "false" ] || [ "$((done_rows + reused))" -ne "$TRIALS" ]; then
    ok="NO"
  fi

  # Timing from the queue rows, batch by batch (one created_at per batch).
  local timing
  timing=$(sql "$url" "
    SELECT extract(epoch FROM created_at::timestamptz), count(*),
           extract(epoch FROM min(claimed_at::timestamptz)), extract(epoch FROM max(finished_at::timestamptz)),
           sum(extract(epoch FROM finished_at::timestamptz - claimed_at::timestamptz)), sum(wall_seconds)
    FROM evaluation_queue WHERE run_id = $run AND state = 'done' GROUP BY created_at ORDER BY created_at")
  echo "$timing" >"$dir/batches.txt"
  local breakdown
  breakdown=$(awk -F'|' -v W="$w" -v S="$EVAL_SECONDS" -v start="$start" -v end="$end" '
    { n = $2; rounds = int((n + W - 1) / W); ideal += rounds * S
      if (NR == 1) startup = $1 - start; else handoff += $1 - last_finished
      pickup += $3 - $1; inside += ($4 - $3) - rounds * S; last_finished = $4
      held += $5; child += $6; count += n }
    END { tail = end - last_finished
          printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %d %.3f %.3f\n", ideal, startup, pickup, inside, handoff, tail,
            held, count, (count ? held / count - S : 0), (count ? child / count - S : 0) }' <<<"$timing")
  local ideal startup pickup inside handoff tailsec held count overhead child_overhead
  read -r ideal startup pickup inside handoff tailsec held count overhead child_overhead <<<"$breakdown"

  local rate
  rate=$(calc "$done_rows / ($wall / 60)" 1)
  [ -n "${RATE_1:-}" ] || RATE_1=$rate
  local speedup
  speedup=$(calc "$rate / $RATE_1" 2)

  RESULTS+=("| $w | $TRIALS | $(calc "$wall" 1) | $rate | ${speedup}× | $(calc "$overhead" 3) (child process $(calc "$child_overhead" 3)) | +$(calc "$wall - $ideal" 1) s over $(calc "$ideal" 0) s (×$(calc "$wall / $ideal" 2)) |")
  BREAKDOWN+=("| $w | $(calc "$wall" 1) | $(calc "$ideal" 0) | $(calc "$startup" 1) | $(calc "$pickup" 1) | $(calc "$inside" 1) | $(calc "$handoff" 1) | $(calc "$tailsec" 1) | $load_before → $load_after |")
  CHECKS+=("| $w | $run | $trials_once of $TRIALS (trials $tmin-$tmax, $stale stale, $running running) | $done_rows done of $queue_total, max attempts $max_attempts, $agree agree | $reused | $evaluated_by_workers ($dropped dropped) | $ok |")
  [ "$w" -ne 4 ] || SPEEDUP_4=$speedup
  if [ "$w" -eq 8 ]; then
    W8_DIR=$dir
    W8_OK=$ok
    W8_TRIALS_ONCE=$trials_once
    W8_DONE=$done_rows
  fi
  log "W=$w: wall $(calc "$wall" 1) s, $rate evaluations/min, speed-up $speedup, checks $ok"
}

# --- main ----------------------------------------------------------------------------------

check_needs
start_cluster nas-qs-pg
make_template --log-command
MAX_CONNECTIONS=$(sql "$BASE_URL" "SHOW max_connections")

RESULTS=()
BREAKDOWN=()
CHECKS=()
for w in $WORKER_COUNTS; do measure "$w"; done

echo "## Queue scaling: \`nas search --queue\` with 1-8 \`nas worker\` processes"
echo
report_machine
report_versions "max_connections $MAX_CONNECTIONS"
echo "The evaluator sleeps $EVAL_SECONDS s and uses no CPU, so 8 workers are feasible on $(nproc) cores: what a worker costs the CPU is"
echo "the \`nas _evaluate\` process each evaluation starts, and its polling of the database."
echo "Batch: --workers $BATCH (candidates queued at once) for every W; $TRIALS trials = $((TRIALS / BATCH)) batches; random strategy, seed $SEED."
echo
echo "| workers | trials | wall s | evaluations/min | speed-up | worker overhead per evaluation (s) | wall over ideal |"
echo "|---:|---:|---:|---:|---:|---|---|"
printf '%s\n' "${RESULTS[@]}"
echo
if [ -z "${SPEEDUP_4:-}" ]; then
  echo "Goal: ≥ 3.5× at 4 workers over 1: not measured (WORKER_COUNTS has no 1 and 4)."
else
  echo "Goal: ≥ 3.5× at 4 workers over 1: ${SPEEDUP_4}× — $(awk -v s="$SPEEDUP_4" 'BEGIN { print (s >= 3.5 ? "met" : "NOT met") }')."
fi
echo "The best possible at 4 workers with batches of 8 is 4× (2 rounds of 2 s per batch against 8)."
echo
echo "Where the wall time over the ideal goes (seconds; see the script's header):"
echo
echo "| workers | wall | ideal | start-up | pick-up | rounds over ideal | hand-off | tail | load average (1 min), start → end |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${BREAKDOWN[@]}"
echo
echo "Checks per run (trials recorded once = one finished non-stale evaluation per trial; the queue rows"
echo "agree with the evaluation records in status, accuracy and architecture):"
echo
echo "| workers | run | trials recorded once | queue rows | reused | evaluated by workers | all correct |"
echo "|---:|---:|---|---|---:|---|---|"
printf '%s\n' "${CHECKS[@]}"

if [ -n "${W8_DIR:-}" ]; then
  too_many=$(cat "$W8_DIR"/worker-*.err "$W8_DIR/search.err" "$W8_DIR/server.log" | grep -ci "too many clients" || true)
  deadlock=$(cat "$W8_DIR"/worker-*.err "$W8_DIR/search.err" "$W8_DIR/server.log" | grep -ci "deadlock" || true)
  errors=$(grep -ciE "error|fatal" "$W8_DIR/server.log" || true)
  other=$(cat "$W8_DIR"/worker-*.err "$W8_DIR/search.err" | grep -viE "waiting for queued evaluations|: ok [0-9.]+ in|^queueing |^stopping after the evaluation in flight" | grep -c . || true)
  peak=$(sort -n "$W8_DIR/connections.txt" 2>/dev/null | tail -1)
  echo
  echo "### 8 workers against one server with the default connection settings"
  echo
  echo "| check | result |"
  echo "|---|---|"
  echo "| \"too many clients\" in the workers' and the search's stderr and the server log | $too_many |"
  echo "| \"deadlock\" in the same | $deadlock |"
  echo "| ERROR or FATAL lines in the server log during the run | $errors |"
  echo "| other lines in the workers' and the search's stderr (not start, an ok evaluation or the stop at SIGTERM) | $other |"
  echo "| peak client connections (sampled every 0.5 s, the sampler's own included) | ${peak:-?} of max_connections $MAX_CONNECTIONS |"
  echo "| every trial: one done queue row and one non-stale evaluation (no lost update) | $W8_TRIALS_ONCE of $TRIALS trials, $W8_DONE done rows: $W8_OK |"
fi

echo
echo "### Commands"
echo
echo "Latency tables, once, in the template database (not timed, $WARMUP_SECONDS s):"
echo
echo '```sh'
echo "$WARMUP_CMD"
echo '```'
echo
echo "Per worker count W: \`CREATE DATABASE bench_wW TEMPLATE queue_template\` (psql), the workers, then the timed search:"
echo
echo '```sh'
for w in $WORKER_COUNTS; do
  echo "# W=$w"
  cat "$OUT/w$w/worker.cmd"
  cat "$OUT/w$w/search.cmd"
done
echo '```'
echo
echo "The space ($SPACE):"
echo
echo '```'
cat "$SPACE"
echo '```'
echo
echo "Raw output (search JSON and stderr, worker JSON and stderr, per-batch timings, server log): $OUT"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
