# shellcheck shell=bash
# What benchmarks/queue-scaling.sh and benchmarks/queue-faults.sh share; sourced by both, not run
# on its own. It holds: the benchmark's two evaluators (a 2 s sleep, and one that answers at once
# for the warm-up) and its search space; progress and psql helpers (log, die, find_psql, sql,
# db_url, redact, show_cmd, now, calc); the throwaway PostgreSQL cluster (start_cluster, and the
# cleanup that stops it on exit), the template database with the space's latency tables
# (make_template, fresh_db); starting and stopping `nas worker` processes; the queued search's
# command line (search_cmd); the per-run counts both scripts' correctness checks are made of
# (run_counts); and the first lines of their reports (report_machine, report_versions).
#
# The sourcing script first changes to the repository root (paths here are relative to it) and sets
#   LOG_PREFIX                          the word before every progress line on stderr
#   NAS, TRIALS, SEED, TARGET_MS, BATCH the search's settings (BATCH: its --workers)
#   OUT                                 an existing directory for raw output
# Sourcing it sets EVALUATOR and QUICK_EVALUATOR, writes the space to SPACE ($OUT/queue-bench.space),
# empties PIDS (every process started in the background, killed on exit by pid) and sets the EXIT
# trap (cleanup).

# The evaluator: sleeps 2 s, then an accuracy 0.10-0.98 from the architecture file's size
# (nas appends the file's path as $1).
read -r EVALUATOR <<'EOF'
cmd:sh -c 'sleep 2; n=$(wc -c < "$1"); echo "{\"accuracy\": 0.$((n % 89 + 10))}"' sh
EOF
# The warm-up's evaluator, which answers at once (another configuration: nothing is reused from it).
read -r QUICK_EVALUATOR <<'EOF'
cmd:sh -c 'echo "{\"accuracy\": 0.5}"' sh
EOF

# The space: the shape of the issue's small space (192 architectures) with wider choices (62,208
# architectures); see queue-scaling.sh's header.
SPACE="$OUT/queue-bench.space"
cat >"$SPACE" <<'EOF'
input 32 channels=3
classes 10
stem conv k=3 s=2 out=8 act=relu
block op={sepconv,mbconv} k={3,5,7} expand={3,6} s=2 out=16 width={0.5,1} act={relu,hswish} depth={-1,0} repeat=2
block mbconv k={3,5,7} expand={3,4,6} s=2 out=24 width={0.5,1} se={0,0.25} act={relu,hswish}
block mbconv k={3,5} expand={3,6} s=1 out=24 skip={none,identity} se={0,0.25}
head pool
classifier
EOF

log() { echo "$LOG_PREFIX: $*" >&2; }
die() { log "$*"; exit 1; }

find_psql() {
  local dir
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -n "$dir" ] && [ -x "$dir/psql" ]; then echo "$dir/psql"; return; fi
  if [ -x /usr/lib/postgresql/15/bin/psql ]; then echo /usr/lib/postgresql/15/bin/psql; return; fi
  command -v psql || die "psql is not installed (scripts/setup.sh)"
}

# One SQL statement against URL; unaligned, tuples only, '|' between columns.
sql() { "$PSQL" "$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }

# The URL of another database of the cluster.
db_url() { echo "${BASE_URL%/*}/$1"; }

# A URL without its password, for printing.
redact() { sed -E 's#(postgres://[^:/@]*):[^@]*@#\1:***@#g'; }

# A command line as one could paste it: arguments with spaces or quotes in single quotes.
show_cmd() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then out+="$arg "; else out+="'${arg//\'/\'\\\'\'}' "; fi
  done
  echo "${out% }" | redact
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

PIDS=()   # every process the script started in the background (killed on exit by pid)
CLUSTER_DIR=""

cleanup() {
  local status=$? pid
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "$CLUSTER_DIR" ]; then
    cp "$CLUSTER_DIR/server.log" "$OUT/server.log" 2>/dev/null || true
    scripts/postgres-cluster.sh stop "$CLUSTER_DIR" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT

# Dies without NAS, jq or psql; sets PSQL.
check_needs() {
  [ -x "$NAS" ] || die "no $NAS: build it with 'swift build -c release --product nas' (or set NAS=path)"
  command -v jq >/dev/null || die "needs jq"
  PSQL=$(find_psql)
}

# start_cluster NAME: a new cluster in /tmp/NAME.XXXXXX (CLUSTER_DIR); sets BASE_URL and SERVER_LOG.
start_cluster() {
  CLUSTER_DIR=$(mktemp -d "/tmp/$1.XXXXXX")
  BASE_URL=$(scripts/postgres-cluster.sh start "$CLUSTER_DIR" 2>"$OUT/cluster-start.log") ||
    die "the cluster did not start: $OUT/cluster-start.log"
  SERVER_LOG="$CLUSTER_DIR/server.log"
  log "cluster in $CLUSTER_DIR: $(echo "$BASE_URL" | redact)"
}

# make_template [--log-command]: the template database, queue_template, with the latency tables of
# the space, measured once by a one-trial search; sets WARMUP_CMD and WARMUP_SECONDS. With
# --log-command the progress line shows the command too.
make_template() {
  sql "$BASE_URL" "CREATE DATABASE queue_template" >/dev/null
  local cmd=("$NAS" search --space "$SPACE" --target-ms "$TARGET_MS" --w -0.15 --evaluator "$QUICK_EVALUATOR"
    --db "$(db_url queue_template)" --trials 1 --measure-top 0 --out "$OUT/template" --quiet --json)
  mkdir -p "$OUT/template"
  WARMUP_CMD=$(show_cmd "${cmd[@]}")
  if [ "${1:-}" = --log-command ]; then
    log "measuring the latency tables once (not timed): $WARMUP_CMD"
  else
    log "measuring the latency tables once (not timed)"
  fi
  local start
  start=$(now)
  "${cmd[@]}" >"$OUT/template/search.json" 2>"$OUT/template/search.err" || die "the warm-up search failed: $OUT/template/search.err"
  WARMUP_SECONDS=$(calc "$(now) - $start" 1)
}

# fresh_db NAME: a new database copied from the template; prints its URL.
fresh_db() { sql "$BASE_URL" "CREATE DATABASE $1 TEMPLATE queue_template" >/dev/null; db_url "$1"; }

# start_workers HOST COUNT URL DIR [&]: COUNT workers with host ids HOST-1..COUNT, output in
# DIR/worker-i.{json,err}; pids in WORKER_PIDS, the command line in WORKER_CMD (followed by ' &'
# when the last argument is '&').
start_workers() {
  local host=$1 count=$2 url=$3 dir=$4 background=${5:+ &} i
  WORKER_PIDS=()
  for i in $(seq "$count"); do
    NAS_HOST_ID=$host-$i "$NAS" worker --db "$url" --idle-exit 10m --json >"$dir/worker-$i.json" 2>"$dir/worker-$i.err" &
    WORKER_PIDS+=("$!")
    PIDS+=("$!")
  done
  WORKER_CMD="NAS_HOST_ID=$host-i $(show_cmd "$NAS" worker --db "$url" --idle-exit 10m --json)$background   # i = 1..$count"
}

# stop_workers [--quiet]: stops the workers (SIGTERM: they finish the evaluation in flight) and
# waits for them. A worker's exit status other than 0 is logged, unless --quiet (a worker the
# caller killed and reaped itself is no longer its child).
stop_workers() {
  local pid status
  for pid in "${WORKER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${WORKER_PIDS[@]}"; do
    status=0
    wait "$pid" 2>/dev/null || status=$?
    [ "$status" -eq 0 ] || [ "${1:-}" = --quiet ] || log "worker $pid exited with status $status"
  done
}

# search_cmd URL DIR [--resume]: the timed search's command line, in the array SEARCH: random
# strategy, candidates queued BATCH at a time for the workers, output in DIR.
search_cmd() {
  SEARCH=("$NAS" search --space "$SPACE" --target-ms "$TARGET_MS" --w -0.15 --strategy random --seed "$SEED"
    --evaluator "$EVALUATOR" --db "$1" --queue --workers "$BATCH" --trials "$TRIALS" --measure-top 0 --out "$2" --quiet --json)
  [ "${3:-}" != --resume ] || SEARCH+=(--resume)
}

# run_counts URL RUN: what the checks of a run compare, in RUN_COUNTS, '|' between them:
#   trials  trials with a finished non-stale evaluation (status not 'running', message not 'stale:%')
#   once    those with exactly one
#   tmin, tmax  the least and greatest such trial (0 without any)
#   running, stale  evaluations still 'running'; evaluations marked stale
#   queue_total, done, queue_trials, max_attempts  queue rows; in state done; distinct trials; most claims of a row
#   agree   done queue rows whose evaluation record agrees with them (status, accuracy, architecture; not stale)
run_counts() {
  local url=$1 run=$2 evaluations running stale queue agree
  evaluations=$(sql "$url" "
    SELECT count(*), count(*) FILTER (WHERE n = 1), coalesce(min(trial), 0), coalesce(max(trial), 0)
    FROM (SELECT trial, count(*) AS n FROM evaluations
          WHERE run_id = $run AND status <> 'running' AND coalesce(message, '') NOT LIKE 'stale:%' GROUP BY trial) t")
  running=$(sql "$url" "SELECT count(*) FROM evaluations WHERE run_id = $run AND status = 'running'")
  stale=$(sql "$url" "SELECT count(*) FROM evaluations WHERE run_id = $run AND message LIKE 'stale:%'")
  queue=$(sql "$url" "
    SELECT count(*), count(*) FILTER (WHERE state = 'done'), count(DISTINCT trial), coalesce(max(attempts), 0)
    FROM evaluation_queue WHERE run_id = $run")
  agree=$(sql "$url" "
    SELECT count(*) FROM evaluation_queue q JOIN evaluations e ON e.id = q.evaluation_id
    WHERE q.run_id = $run AND q.state = 'done' AND e.status = q.status AND e.architecture_hash = q.architecture_hash
      AND abs(coalesce(e.accuracy, -1) - coalesce(q.accuracy, -1)) < 1e-9 AND coalesce(e.message, '') NOT LIKE 'stale:%'")
  RUN_COUNTS="$evaluations|$running|$stale|$queue|$agree"
}

# The report's first lines: the machine, then the versions of nas and PostgreSQL (NOTE, if any,
# after "throwaway cluster").
report_machine() {
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC');"
}
report_versions() {
  echo "nas $("$NAS" --version 2>/dev/null || echo '?'); PostgreSQL $(sql "$BASE_URL" "SHOW server_version") (throwaway cluster${1:+, $1})."
}
