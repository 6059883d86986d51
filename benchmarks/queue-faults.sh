#!/usr/bin/env bash
# Faults of the evaluation queue: a worker killed mid-evaluation, the search process killed
# mid-run, PostgreSQL restarted mid-run. Each must end with every trial recorded exactly once.
#
#   benchmarks/queue-faults.sh                 # NAS=.build/release/nas TRIALS=16
#   benchmarks/queue-faults.sh worker search   # some scenarios only (worker, search, postgres)
#
# Set-up: a throwaway PostgreSQL cluster (scripts/postgres-cluster.sh, in a temporary directory
# that is stopped and removed on exit); one template database gets the space's latency tables
# (a one-trial search with an evaluator that answers at once, not timed), and each scenario
# runs on a fresh copy of it (CREATE DATABASE ... TEMPLATE), so nothing is reused from another
# scenario. In each, 3 workers with distinct host ids (NAS_HOST_ID=fault-host-1..3) serve one
# search with --queue --workers 4 --trials 16 and a `cmd:` evaluator that sleeps 2 s (the space
# and strategy of benchmarks/queue-scaling.sh: 62,208 architectures, random, seed 1, so no
# trial reuses another's accuracy).
#
# Scenarios:
# - worker: about 3 s after the search starts, the worker holding the most recent claim is
#   killed with SIGKILL while it evaluates. Its host id is its own, so no other worker can tell
#   its pid is gone: the claim must wait for the 30 s without a heartbeat (database clock) and
#   is then queued again by whichever process looks first (the search every 5 s, a worker before
#   each claim). Measured: kill to the claim's second claimed_at (database clock); a poll every
#   0.25 s sees the row leave the dead worker, and the search's stderr says whether it requeued.
# - search: about 8 s after it starts, the search process is killed with SIGKILL; the workers
#   keep running and finish what was queued. After RESUME_AFTER seconds (6) the identical
#   command with --resume continues the run. Measured: the outcomes written while the search was
#   dead, and whether the resumed search used them (their queue rows stay done, attempts 1,
#   finished before the resume) rather than evaluating again.
# - postgres: about 8 s after the search starts, the server is restarted (scripts/postgres-
#   cluster.sh restart: pg_ctl restart -m fast, which ends every connection). The store retries a
#   transaction on a new connection for up to 60 s, so workers and search should ride it out;
#   if the search stops instead it is resumed, and that is reported. The workers' and the
#   search's stderr and the server log of the scenario are searched for errors.
#
# Every scenario is checked: every trial 1..16 has exactly one finished non-stale evaluation
# (evaluations whose message does not start 'stale:'), exactly one queue row, in state done,
# whose evaluation record agrees with it (status, accuracy, architecture), and no evaluation is
# left 'running'. Wall time: from the search's start to the end of the last search process
# (resume included; in the search scenario that includes the RESUME_AFTER seconds it was dead).
#
# Output: markdown on standard output, progress on standard error, raw output in OUT (default a
# new temporary directory, kept). Environment: NAS (default .build/release/nas; nothing is
# built), TRIALS (16), SEED (1), TARGET_MS (0.1), KILL_WORKER_AFTER (3), KILL_SEARCH_AFTER (8),
# RESUME_AFTER (6), RESTART_AFTER (8), OUT. Needs jq and the PostgreSQL server and client.
set -euo pipefail
cd "$(dirname "$0")/.."

NAS=${NAS:-.build/release/nas}
TRIALS=${TRIALS:-16}
SEED=${SEED:-1}
TARGET_MS=${TARGET_MS:-0.1}
KILL_WORKER_AFTER=${KILL_WORKER_AFTER:-3}
KILL_SEARCH_AFTER=${KILL_SEARCH_AFTER:-8}
RESUME_AFTER=${RESUME_AFTER:-6}
RESTART_AFTER=${RESTART_AFTER:-8}
WORKERS=3
BATCH=4
OUT=${OUT:-$(mktemp -d /tmp/nas-queue-faults.XXXXXX)}
SCENARIOS=${*:-worker search postgres}
mkdir -p "$OUT"

LOG_PREFIX=queue-faults
# The evaluators, the space, the helpers and the exit trap, shared with queue-scaling.sh.
. benchmarks/lib/queue-common.sh

# --- helpers -------------------------------------------------------------------------------

# start_search NAME: the search in the background (pid in SEARCH_PID), output in DIR/NAME.{json,err}.
start_search() {
  "${SEARCH[@]}" >"$DIR/$1.json" 2>"$DIR/$1.err" &
  SEARCH_PID=$!
  PIDS+=("$SEARCH_PID")
}

# wait_search: the background search's exit status in SEARCH_STATUS.
wait_search() {
  SEARCH_STATUS=0
  wait "$SEARCH_PID" 2>/dev/null || SEARCH_STATUS=$?
}

# A scenario's set-up: directory DIR, fresh database URL, workers running.
begin_scenario() {
  DIR="$OUT/$1"
  mkdir -p "$DIR"
  URL=$(fresh_db "faults_$1")
  LOG_START=$(wc -l <"$SERVER_LOG")
  start_workers fault-host "$WORKERS" "$URL" "$DIR" '&'
  search_cmd "$URL" "$DIR"
  COMMANDS=("# $1" "$WORKER_CMD")
}

end_scenario() {
  stop_workers --quiet
  tail -n +"$((LOG_START + 1))" "$SERVER_LOG" >"$DIR/server.log"
}

# check_run RUN: sets CHECK (text) and CHECK_OK (yes or NO) from the database.
check_run() {
  local run=$1 seen once tmin tmax running stale queue_total done_rows queue_trials max_attempts agree run_status
  run_counts "$URL" "$run"
  IFS='|' read -r seen once tmin tmax running stale queue_total done_rows queue_trials max_attempts agree <<<"$RUN_COUNTS"
  CHECK_OK=yes
  if [ "$seen" -ne "$TRIALS" ] || [ "$once" -ne "$TRIALS" ] || [ "$tmin" -ne 1 ] || [ "$tmax" -ne "$TRIALS" ] ||
    [ "$running" -ne 0 ] || [ "$queue_total" -ne "$TRIALS" ] || [ "$done_rows" -ne "$TRIALS" ] ||
    [ "$queue_trials" -ne "$TRIALS" ] || [ "$agree" -ne "$TRIALS" ]; then
    CHECK_OK=NO
  fi
  run_status=$(sql "$URL" "SELECT status FROM runs WHERE id = $run")
  [ "$run_status" = finished ] || CHECK_OK=NO
  CHECK="$CHECK_OK: run $run_status; $once of $TRIALS trials once (1..$TRIALS: $([ "$tmin" -eq 1 ] && [ "$tmax" -eq "$TRIALS" ] && [ "$seen" -eq "$TRIALS" ] && echo all || echo "NOT all, $tmin-$tmax")), $stale stale, $running running; queue $done_rows done of $queue_total rows, max attempts $max_attempts, $agree agree with their evaluation"
  sql "$URL" "SELECT trial, state, worker_host, worker_pid, attempts, status, accuracy, created_at, claimed_at, finished_at
              FROM evaluation_queue WHERE run_id = $run ORDER BY trial" >"$DIR/queue-rows.txt"
  sql "$URL" "SELECT id, trial, status, reused, message, accuracy, architecture_hash, created_at
              FROM evaluations WHERE run_id = $run ORDER BY trial, id" >"$DIR/evaluations.txt"
}

# Lines of the workers' and searches' stderr that are not routine.
unusual_lines() {
  cat "$DIR"/worker-*.err "$DIR"/search*.err 2>/dev/null |
    grep -vE "waiting for queued evaluations|: ok [0-9.]+ in [0-9.]+ s$|^queueing |^stopping after the evaluation in flight|^$" || true
}

# How many lines of a file match a pattern (case-insensitive).
count_in() { grep -ciE "$1" "$2" 2>/dev/null || true; }

RESULTS=()

# --- scenario a: a worker killed while it evaluates ---------------------------------------

scenario_worker() {
  begin_scenario worker
  local start end victim pid host trial kill_time requeue_time="" state run
  start=$(now)
  start_search search
  sleep "$KILL_WORKER_AFTER"
  # Then the first claim made less than a second ago (the search starts queueing 2-3 s after its
  # start): its worker has at least half of the 2 s sleep still to go.
  local tries=0
  while :; do
    victim=$(sql "$URL" "SELECT worker_pid, worker_host, trial FROM evaluation_queue
                         WHERE state = 'claimed' AND claimed_at::timestamptz > now() - interval '1 second'
                         ORDER BY claimed_at DESC LIMIT 1")
    [ -z "$victim" ] || break
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || die "worker scenario: no fresh claim to kill within 20 s"
    sleep 0.1
  done
  IFS='|' read -r pid host trial <<<"$victim"
  [[ " ${WORKER_PIDS[*]} " == *" $pid "* ]] || die "worker scenario: pid $pid is not a worker this script started"
  kill -9 "$pid"
  kill_time=$(now)
  wait "$pid" 2>/dev/null || true   # reaped here, so bash reports no "Killed" job later
  log "worker: killed $host (pid $pid) evaluating trial $trial at +$(calc "$kill_time - $start" 1) s"
  COMMANDS+=("$(show_cmd "${SEARCH[@]}") &"
    "kill -9 <pid of a worker whose claim is < 1 s old>   # at ${KILL_WORKER_AFTER} s or the first such claim after: $host, trial $trial")
  # Poll the claim until it is queued again (or claimed by another process).
  local deadline
  deadline=$(calc "$kill_time + 120" 3)
  while awk "BEGIN { exit !($(now) < $deadline) }"; do
    state=$(sql "$URL" "SELECT state || '|' || coalesce(worker_pid::text, '') FROM evaluation_queue WHERE trial = $trial")
    if [ "$state" != "claimed|$pid" ]; then requeue_time=$(now); break; fi
    sleep 0.25
  done
  wait_search
  end=$(now)
  end_scenario
  run=$(jq -r .run "$DIR/search.json" 2>/dev/null || echo "")
  [ -n "$run" ] || run=$(sql "$URL" "SELECT max(id) FROM runs WHERE kind = 'search'")
  check_run "$run"
  local row reclaim attempts new_host requeued_by
  row=$(sql "$URL" "SELECT extract(epoch FROM claimed_at::timestamptz), attempts, worker_host FROM evaluation_queue WHERE run_id = $run AND trial = $trial")
  IFS='|' read -r reclaim attempts new_host <<<"$row"
  requeued_by="a worker (before a claim)"
  grep -q "queued again" "$DIR/search.err" && requeued_by="the search"
  local others=0 f
  for f in "$DIR"/worker-*.json; do [ -s "$f" ] && others=$((others + $(jq -r .evaluated "$f"))); done
  local outcome="search finished (status $SEARCH_STATUS, $(jq -r .trials "$DIR/search.json" 2>/dev/null || echo '?') trials)"
  [ "$SEARCH_STATUS" -eq 0 ] || outcome="search FAILED (status $SEARCH_STATUS)"
  local notes="killed $host (SIGKILL) evaluating trial $trial at +$(calc "$kill_time - $start" 1) s; "
  if [ -n "$requeue_time" ]; then
    notes+="claim queued again by $requeued_by and claimed again by $new_host $(calc "$reclaim - $kill_time" 1) s after the kill (claimed_at, database clock; the 0.25 s poll saw it leave the dead worker at $(calc "$requeue_time - $kill_time" 1) s), attempts $attempts; "
  else
    notes+="claim NOT queued again within 120 s; "
  fi
  notes+="the other 2 workers evaluated $others"
  RESULTS+=("| a. worker killed mid-evaluation | $outcome | $CHECK | $(calc "$end - $start" 1) | $notes |")
  log "worker: $CHECK_OK"
}

# --- scenario b: the search killed mid-run, then resumed ---------------------------------

scenario_search() {
  begin_scenario search
  local start end kill_time resume_start run counts_at_kill
  start=$(now)
  start_search search
  sleep "$KILL_SEARCH_AFTER"
  kill -9 "$SEARCH_PID"
  kill_time=$(now)
  wait_search
  local killed_status=$SEARCH_STATUS
  run=$(sql "$URL" "SELECT max(id) FROM runs WHERE kind = 'search'")
  counts_at_kill=$(sql "$URL" "SELECT count(*) FILTER (WHERE state = 'done') || ' done, ' || count(*) FILTER (WHERE state = 'claimed') || ' claimed, ' || count(*) FILTER (WHERE state = 'queued') || ' queued' FROM evaluation_queue WHERE run_id = $run")
  log "search: killed the search (status $killed_status) at +$(calc "$kill_time - $start" 1) s; queue: $counts_at_kill"
  COMMANDS+=("$(show_cmd "${SEARCH[@]}") &" "kill -9 <its pid>   # after ${KILL_SEARCH_AFTER} s" "sleep $RESUME_AFTER")
  sleep "$RESUME_AFTER"
  search_cmd "$URL" "$DIR" --resume
  COMMANDS+=("$(show_cmd "${SEARCH[@]}")")
  resume_start=$(now)
  start_search search-resume
  wait_search
  end=$(now)
  end_scenario
  check_run "$run"
  # Outcomes written while no search was running, and what became of them.
  local row dead_done kept stale_trials
  row=$(sql "$URL" "
    SELECT count(*),
           count(*) FILTER (WHERE q.state = 'done' AND q.attempts = 1 AND e.id IS NOT NULL)
    FROM evaluation_queue q
    LEFT JOIN evaluations e ON e.id = q.evaluation_id AND coalesce(e.message, '') NOT LIKE 'stale:%'
      AND e.created_at::timestamptz >= to_timestamp($resume_start) AND abs(e.accuracy - q.accuracy) < 1e-9
    WHERE q.run_id = $run AND q.finished_at::timestamptz BETWEEN to_timestamp($kill_time) AND to_timestamp($resume_start)")
  IFS='|' read -r dead_done kept <<<"$row"
  stale_trials=$(grep -o "trials [0-9, ]*" "$DIR/search-resume.err" | head -1 || true)
  local outcome="resumed search finished (status $SEARCH_STATUS, $(jq -r .trials "$DIR/search-resume.json" 2>/dev/null || echo '?') trials, $(jq -r .reused "$DIR/search-resume.json" 2>/dev/null || echo '?') reused)"
  [ "$SEARCH_STATUS" -eq 0 ] || outcome="resumed search FAILED (status $SEARCH_STATUS)"
  local notes="search killed (SIGKILL, status $killed_status) at +$(calc "$kill_time - $start" 1) s with the queue at $counts_at_kill; "
  notes+="$dead_done outcome(s) written while it was dead, $kept of them taken by the resumed search as they were (attempts 1, recorded by the resumed search, not evaluated again); "
  notes+="the dead search's running records marked stale and queued again: ${stale_trials:-none}; resumed $RESUME_AFTER s after the kill, $(calc "$end - $resume_start" 1) s to finish"
  RESULTS+=("| b. search killed, then --resume | $outcome | $CHECK | $(calc "$end - $start" 1) | $notes |")
  log "search: $CHECK_OK"
}

# --- scenario c: PostgreSQL restarted mid-run --------------------------------------------

scenario_postgres() {
  begin_scenario postgres
  local start end restart_start restart_end run resumed=""
  start=$(now)
  start_search search
  sleep "$RESTART_AFTER"
  restart_start=$(now)
  scripts/postgres-cluster.sh restart "$CLUSTER_DIR" >"$DIR/restart.log" 2>&1 || die "the restart failed: $DIR/restart.log"
  restart_end=$(now)
  log "postgres: restarted at +$(calc "$restart_start - $start" 1) s in $(calc "$restart_end - $restart_start" 1) s"
  COMMANDS+=("$(show_cmd "${SEARCH[@]}") &" "scripts/postgres-cluster.sh restart CLUSTER_DIR   # after ${RESTART_AFTER} s")
  wait_search
  local first_status=$SEARCH_STATUS
  if [ "$SEARCH_STATUS" -ne 0 ]; then
    log "postgres: the search stopped (status $SEARCH_STATUS); resuming it"
    search_cmd "$URL" "$DIR" --resume
    COMMANDS+=("$(show_cmd "${SEARCH[@]}")   # the search had stopped")
    start_search search-resume
    wait_search
    resumed="the search stopped (status $first_status: $(tail -1 "$DIR/search.err" | cut -c1-200)) and was resumed; "
  fi
  end=$(now)
  end_scenario
  run=$(sql "$URL" "SELECT max(id) FROM runs WHERE kind = 'search'")
  check_run "$run"
  local unusual terminated server_errors retried worker_alive=0 f
  unusual=$(unusual_lines)
  echo "$unusual" >"$DIR/unusual-lines.txt"
  # Expected of a fast restart: the open connections ended, and connection attempts refused
  # while the server shuts down or starts (the clients reconnecting).
  local expected="terminating connection due to administrator command|the database system is (shutting down|starting up)"
  terminated=$(count_in "$expected" "$DIR/server.log")
  server_errors=$(grep -iE "ERROR|FATAL|PANIC" "$DIR/server.log" | grep -vcE "$expected" || true)
  retried=$(sql "$URL" "SELECT count(*) FROM evaluation_queue WHERE run_id = $run AND attempts > 1")
  for f in "$DIR"/worker-*.json; do [ -s "$f" ] && worker_alive=$((worker_alive + 1)); done
  local summary="search finished (status $SEARCH_STATUS)"
  [ -z "$resumed" ] || summary="search finished after --resume (status $SEARCH_STATUS)"
  [ "$SEARCH_STATUS" -eq 0 ] || summary="search FAILED (status $SEARCH_STATUS)"
  local notes="restart at +$(calc "$restart_start - $start" 1) s took $(calc "$restart_end - $restart_start" 1) s; ${resumed}"
  notes+="server log: $terminated FATAL line(s) of the restart itself (connections ended, reconnections refused while shutting down), $server_errors other ERROR/FATAL/PANIC line(s); "
  notes+="$retried claim(s) evaluated twice (attempts > 1); $worker_alive of $WORKERS workers lived to the end; "
  notes+="$(echo -n "$unusual" | grep -c . || true) unusual stderr line(s) in workers and search"
  [ -z "$unusual" ] || notes+=": $(echo "$unusual" | sort | uniq -c | sort -rn | head -3 | sed -E 's/^ +//; s/\|/\\|/g' | cut -c1-160 | paste -sd ';' -)"
  RESULTS+=("| c. PostgreSQL restarted mid-run | $summary | $CHECK | $(calc "$end - $start" 1) | $notes |")
  log "postgres: $CHECK_OK"
}

# --- main ----------------------------------------------------------------------------------

check_needs
start_cluster nas-qf-pg
make_template
ALL_COMMANDS=()
for scenario in $SCENARIOS; do
  case "$scenario" in
  worker | search | postgres) "scenario_$scenario" ;;
  *) die "unknown scenario '$scenario' (worker, search, postgres)" ;;
  esac
  ALL_COMMANDS+=("${COMMANDS[@]}")
done

echo "## Queue faults: a killed worker, a killed search, a PostgreSQL restart"
echo
report_machine
report_versions
echo "$WORKERS workers (host ids fault-host-1..$WORKERS), a search with --queue --workers $BATCH --trials $TRIALS, a 2 s evaluator;"
echo "a fresh database per scenario. Trials recorded once: one finished non-stale evaluation per trial 1..$TRIALS and"
echo "one done queue row per trial that agrees with it."
echo
echo "| scenario | outcome | trials recorded once? | wall s | notes |"
echo "|---|---|---|---:|---|"
printf '%s\n' "${RESULTS[@]}"
echo
echo "### Commands"
echo
echo "Latency tables, once, in the template database (not timed); then per scenario \`CREATE DATABASE faults_NAME"
echo "TEMPLATE queue_template\` (psql), the workers, the search:"
echo
echo '```sh'
echo "$WARMUP_CMD"
printf '%s\n' "${ALL_COMMANDS[@]}"
echo '```'
echo
echo "Raw output (search and worker JSON and stderr, queue rows and evaluations of each run, server log): $OUT"
