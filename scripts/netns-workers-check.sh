#!/usr/bin/env bash
# The multi-host check of `nas search --queue` + `nas worker` on PostgreSQL, with real network
# paths instead of host ids alone. Two network namespaces stand in for two worker machines: each
# is joined to this (root) namespace by its own veth pair on a private /30 of this test's own
# (10.231.X.0/30 and 10.231.X.4/30, X random; host side .1/.5, namespace side .2/.6), and a
# throwaway cluster (scripts/postgres-cluster.sh, NAS_PG_EXTRA_LISTEN) listens on 127.0.0.1 and
# the two host-side addresses. The search runs here over 127.0.0.1; one `nas worker` runs in
# each namespace (`ip netns exec`) over its veth, and 127.0.0.1:PORT is checked to be closed
# from inside, so a worker can reach the database only over its own link, as a remote host would.
#
# It proves that
#   1. a queued search of 12 trials is evaluated by both remote workers (host ids ns-a, ns-b),
#      each trial recorded exactly once, each queued row done in one attempt;
#   2. a worker killed with SIGKILL mid-evaluation on one "host" has its candidate queued again
#      only after the 30 s stale window (another host cannot see its pid, only its heartbeat),
#      then evaluated by the other worker, and the search finishes with every trial recorded once.
# It prints a summary table (with the requeue delay) and exits 1 when a check fails, 77 when it
# cannot run here (not root, no `ip netns`, no PostgreSQL), 2 on bad usage. Namespaces, veths,
# processes it started and the cluster are removed on exit, also on failure or Ctrl-C. Traffic
# stays on loopback and the test's veth addresses.
#
#   scripts/netns-workers-check.sh [NAS_BINARY]     (default .build/debug/nas)
set -euo pipefail

skip() { echo "netns-workers-check: skipped: $*" >&2; exit 77; }
say() { echo "netns-workers-check: $*" >&2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster_script="$root/scripts/postgres-cluster.sh"
nas=${1:-.build/debug/nas}
[ -x "$nas" ] || { echo "netns-workers-check: no nas executable at $nas (build it, or pass its path)" >&2; exit 2; }
nas=$(cd "$(dirname "$nas")" && pwd)/$(basename "$nas")

[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (CAP_NET_ADMIN); running as $(id -un)"
command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns_a="nas-w-$id-a" ns_b="nas-w-$id-b"
# Interface names: at most 15 characters.
veth_a="nw$id-a" veth_b="nw$id-b"
work=$(mktemp -d /tmp/nas-netns-work-XXXXXX)
cluster=$(mktemp -d /tmp/nas-netns-pg-XXXXXX)
created_ns=()
created_links=()
cluster_started=0

cleanup() {
  local status=$? pid ns
  trap - EXIT INT TERM
  # Background jobs still running (searches, workers); finished ones are no longer listed.
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null || true; done
  # Whatever still runs inside the namespaces was started here (a killed worker's evaluator child).
  for ns in "${created_ns[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  if [ "$cluster_started" -eq 1 ]; then "$cluster_script" stop "$cluster" >/dev/null 2>&1 || true; fi
  for ns in "${created_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for link in "${created_links[@]}"; do ip link del "$link" 2>/dev/null || true; done
  rm -rf "$cluster" "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the network -------------------------------------------------------------------------------
if ! err=$(ip netns add "$ns_a" 2>&1); then skip "ip netns add is not permitted here: $err"; fi
created_ns+=("$ns_a")
ip netns add "$ns_b"
created_ns+=("$ns_b")

# A /24 of 10.231.0.0/16 that no address or route of this host uses yet.
subnet=""
for _ in $(seq 1 50); do
  x=$((RANDOM % 256))
  if ! ip -4 addr show | grep -q "inet 10\.231\.$x\." && ! ip -4 route show table all | grep -q "10\.231\.$x\."; then
    subnet="10.231.$x"
    break
  fi
done
[ -n "$subnet" ] || { echo "netns-workers-check: no free 10.231.X.0/24" >&2; exit 1; }
host_a="$subnet.1" ns_addr_a="$subnet.2" host_b="$subnet.5" ns_addr_b="$subnet.6"

# join NS VETH HOST_ADDRESS NS_ADDRESS: a veth pair, one end in NS, on a /30.
join() {
  ip link add "$2" type veth peer name "$2n" netns "$1"
  created_links+=("$2")
  ip addr add "$3/30" dev "$2"
  ip link set "$2" up
  ip -n "$1" addr add "$4/30" dev "$2n"
  ip -n "$1" link set "$2n" up
  ip -n "$1" link set lo up
}
join "$ns_a" "$veth_a" "$host_a" "$ns_addr_a"
join "$ns_b" "$veth_b" "$host_b" "$ns_addr_b"
say "namespaces $ns_a ($ns_addr_a ↔ $host_a) and $ns_b ($ns_addr_b ↔ $host_b)"

# --- the database ------------------------------------------------------------------------------
status=0
url=$(NAS_PG_EXTRA_LISTEN="$host_a/30,$host_b/30" "$cluster_script" start "$cluster" 2>"$work/cluster.log") || status=$?
[ "$status" -ne 69 ] || skip "PostgreSQL is not installed (scripts/setup.sh)"
[ "$status" -eq 0 ] || { cat "$work/cluster.log" >&2; echo "netns-workers-check: the cluster did not start" >&2; exit 1; }
cluster_started=1
[[ "$url" =~ ^postgres://nas:([0-9a-f]+)@127\.0\.0\.1:([0-9]+)/nas$ ]] || { echo "netns-workers-check: unexpected URL" >&2; exit 1; }
password=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
url_a="postgres://nas:$password@$host_a:$port/nas"
url_b="postgres://nas:$password@$host_b:$port/nas"

sql() { "$cluster_script" sql "$url" "$1"; }

# --- checks and the summary --------------------------------------------------------------------
rows=()
failures=0
# check NAME OK(0|1) DETAIL
check() {
  local verdict=ok
  if [ "$2" -ne 0 ]; then verdict=FAILED; failures=$((failures + 1)); fi
  rows+=("$(printf '%-60s %-7s %s' "$1" "$verdict" "$3")")
  [ "$verdict" = ok ] || say "FAILED: $1: $3"
}
summary() {
  echo
  printf '%-60s %-7s %s\n' "check" "result" "detail"
  printf '%-60s %-7s %s\n' "-----" "------" "------"
  local row
  for row in "${rows[@]}"; do echo "$row"; done
  echo
  if [ "$failures" -eq 0 ]; then echo "netns-workers-check: all checks passed"; else echo "netns-workers-check: $failures check(s) failed"; fi
}
tcp_open() { ip netns exec "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }

# The paths: each namespace reaches the server over its own veth, and nothing else.
client=$(ip netns exec "$ns_a" "$cluster_script" sql "$url_a" "SELECT host(inet_client_addr())" 2>&1) || true
check "ns-a reaches $host_a:$port (pg_hba, scram)" "$([ "$client" = "$ns_addr_a" ] && echo 0 || echo 1)" "client address $client"
client=$(ip netns exec "$ns_b" "$cluster_script" sql "$url_b" "SELECT host(inet_client_addr())" 2>&1) || true
check "ns-b reaches $host_b:$port (pg_hba, scram)" "$([ "$client" = "$ns_addr_b" ] && echo 0 || echo 1)" "client address $client"
for ns in "$ns_a" "$ns_b"; do
  if tcp_open "$ns" 127.0.0.1 "$port"; then open=1; else open=0; fi
  check "ns-${ns##*-}: 127.0.0.1:$port is closed (its own loopback)" "$open" "$([ "$open" -eq 0 ] && echo refused || echo reachable)"
done
if tcp_open "$ns_b" "$host_a" "$port"; then open=1; else open=0; fi
check "ns-b cannot reach ns-a's link ($host_a:$port)" "$open" "$([ "$open" -eq 0 ] && echo unreachable || echo reachable)"

cat >"$work/tiny.space" <<'EOF'
input 32 channels=3
classes 10
stem conv k=3 s=2 out=8 act=relu
block op={sepconv,mbconv} k={3,5} expand={3,6} s=2 out=16 act={relu,hswish} depth={-1,0} repeat=2
block mbconv k={3,5} expand={3,6} s=2 out=24 se={0,0.25}
head pool
classifier
EOF
evaluator() { echo "cmd:sh -c 'sleep $1; n=\$(wc -c < \"\$1\"); echo \"{\\\"accuracy\\\": 0.\$((n % 89 + 10))}\"' sh"; }

# search NAME TRIALS BATCH PAUSE: a queued search in the background (here, over 127.0.0.1); sets search_pid.
search() {
  mkdir -p "$work/out-$1"
  "$nas" search --space "$work/tiny.space" --target-ms 0.001 --w -0.15 --evaluator "$(evaluator "$4")" \
    --db "$url" --queue --workers "$3" --trials "$2" --measure-top 0 --quiet --out "$work/out-$1" --name "$1" \
    >"$work/search-$1.out" 2>"$work/search-$1.err" &
  search_pid=$!
}
# worker NS HOST_ID URL IDLE_EXIT LOG: `nas worker` inside NS (ip netns exec execs it: $! is the worker); sets worker_pid.
worker() {
  ip netns exec "$1" "$nas" worker --db "$3" --host-id "$2" --idle-exit "$4" >"$5" 2>&1 &
  worker_pid=$!
}
# await PID SECONDS: PID's exit status, or 124 when it still runs after SECONDS (cleanup kills it).
await() {
  local deadline=$((SECONDS + $2)) status=0
  while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  kill -0 "$1" 2>/dev/null && return 124
  wait "$1" || status=$?
  return "$status"
}
# wait_for SECONDS QUERY: until QUERY returns a non-empty first line (errors count as empty).
wait_for() {
  local deadline=$((SECONDS + $1)) out
  while [ "$SECONDS" -lt "$deadline" ]; do
    out=$(sql "$2" 2>/dev/null | head -n 1) || out=""
    if [ -n "$out" ]; then echo "$out"; return 0; fi
    sleep 0.2
  done
  return 1
}
run_id() { sql "SELECT id FROM runs WHERE kind = 'search' AND name = '$1'"; }
finished="status != 'running' AND (message IS NULL OR message NOT LIKE 'stale:%')"
# trials_once RUN N: every trial 1..N has exactly one finished, non-stale evaluation, and no other trial has one.
trials_once() {
  local got want
  got=$(sql "SELECT trial || ':' || COUNT(*) FROM evaluations WHERE run_id = $1 AND $finished GROUP BY trial ORDER BY trial" | paste -sd ' ')
  want=$(for t in $(seq 1 "$2"); do printf '%s:1 ' "$t"; done)
  [ "$got" = "${want% }" ]
}
show_logs() { for f in "$@"; do say "--- $f"; tail -n 15 "$work/$f" >&2 || true; done; }

# --- 1. twelve candidates over two remote workers ----------------------------------------------
say "phase 1: search (12 trials, batches of 4) over 127.0.0.1; the first search measures latency tables first"
search netns-1 12 4 0.3
# Workers start once the search has queued its first batch, so their --idle-exit does not run out
# while the latency tables are measured.
if ! wait_for 600 "SELECT 1 FROM evaluation_queue LIMIT 1" >/dev/null; then
  show_logs search-netns-1.err
  echo "netns-workers-check: the search queued nothing" >&2
  exit 1
fi
worker "$ns_a" ns-a "$url_a" 20s "$work/worker-a1.log"
worker_a1=$worker_pid
worker "$ns_b" ns-b "$url_b" 20s "$work/worker-b1.log"
worker_b1=$worker_pid
search_status=0
await "$search_pid" 900 || search_status=$?
check "phase 1: search exits 0" "$search_status" "exit $search_status"
# The workers are still connected (idle, waiting out --idle-exit): where do their sessions come from?
clients=$(sql "SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE client_addr IS NOT NULL AND host(client_addr) != '127.0.0.1' ORDER BY 1" | paste -sd ' ')
check "phase 1: worker sessions come from the namespaces" "$([ "$clients" = "$ns_addr_a $ns_addr_b" ] && echo 0 || echo 1)" "client addresses: ${clients:-none}"
run1=$(run_id netns-1)
if trials_once "$run1" 12; then ok=0; else ok=1; fi
check "phase 1: trials 1..12 each recorded once" "$ok" "run $run1: $(sql "SELECT COUNT(*) FROM evaluations WHERE run_id = $run1 AND $finished") finished evaluations"
queue=$(sql "SELECT state || '/' || attempts || '/' || COALESCE(worker_host, '-') || ':' || COUNT(*) FROM evaluation_queue WHERE run_id = $run1 GROUP BY state, attempts, worker_host ORDER BY 1" | paste -sd ' ')
bad=$(sql "SELECT COUNT(*) FROM evaluation_queue WHERE run_id = $run1 AND NOT (state = 'done' AND attempts = 1 AND worker_host IN ('ns-a', 'ns-b'))")
total=$(sql "SELECT COUNT(*) FROM evaluation_queue WHERE run_id = $run1")
check "phase 1: 12 queue rows done, attempts 1, host ns-a|ns-b" "$([ "$bad" = 0 ] && [ "$total" = 12 ] && echo 0 || echo 1)" "$queue"
hosts=$(sql "SELECT worker_host || ' ' || COUNT(*) FROM evaluation_queue WHERE run_id = $run1 GROUP BY worker_host ORDER BY 1" | paste -sd ',')
n_hosts=$(sql "SELECT COUNT(DISTINCT worker_host) FROM evaluation_queue WHERE run_id = $run1")
check "phase 1: both hosts evaluated candidates" "$([ "$n_hosts" = 2 ] && echo 0 || echo 1)" "$hosts"
for w in a1 b1; do
  pid_var="worker_$w"
  worker_status=0
  await "${!pid_var}" 120 || worker_status=$?
  check "phase 1: worker ns-${w%1} exits 0 after --idle-exit 20s" "$worker_status" "$(tail -n 1 "$work/worker-$w.log")"
done
[ "$failures" -eq 0 ] || show_logs search-netns-1.err worker-a1.log worker-b1.log

# --- 2. a worker killed mid-evaluation ---------------------------------------------------------
say "phase 2: search (6 trials, batches of 2, 3 s each); the ns-b worker is killed mid-evaluation"
# --idle-exit 60s: while the dead claim waits out its stale window, ns-a has nothing else queued
# (the search waits for the whole batch), so 20 s would end it before the candidate comes back.
worker "$ns_a" ns-a "$url_a" 60s "$work/worker-a2.log"
worker_a2=$worker_pid
worker "$ns_b" ns-b "$url_b" 60s "$work/worker-b2.log"
worker_b2=$worker_pid
search netns-2 6 2 3
run2=$(wait_for 120 "SELECT id FROM runs WHERE kind = 'search' AND name = 'netns-2'") || run2=""
claim=""
[ -z "$run2" ] || claim=$(wait_for 120 "SELECT trial || ' ' || worker_pid FROM evaluation_queue WHERE run_id = $run2 AND state = 'claimed' AND worker_host = 'ns-b'") || claim=""
if [ -z "$claim" ]; then
  check "phase 2: ns-b claims a candidate" 1 "none within 120 s"
  show_logs search-netns-2.err worker-a2.log worker-b2.log
  summary
  exit 1
fi
read -r killed_trial claim_pid <<<"$claim"
disown "$worker_b2" # (no "Killed" notice from bash)
kill -9 "$worker_b2"
kill_epoch=$(sql "SELECT extract(epoch FROM clock_timestamp())")
for _ in $(seq 1 50); do kill -0 "$worker_b2" 2>/dev/null || break; sleep 0.1; done
last_beat=$(sql "SELECT extract(epoch FROM heartbeat_at::timestamptz) FROM evaluation_queue WHERE run_id = $run2 AND trial = $killed_trial")
check "phase 2: killed worker ns-b (pid $worker_b2) evaluating trial $killed_trial" "$([ "$claim_pid" = "$worker_b2" ] && echo 0 || echo 1)" "claim's worker_pid $claim_pid"
search_status=0
await "$search_pid" 300 || search_status=$?
check "phase 2: search exits 0" "$search_status" "exit $search_status"
kill -INT "$worker_a2" 2>/dev/null || true
await "$worker_a2" 30 || true
if trials_once "$run2" 6; then ok=0; else ok=1; fi
check "phase 2: trials 1..6 each recorded once" "$ok" "run $run2: $(sql "SELECT COUNT(*) FROM evaluations WHERE run_id = $run2 AND $finished") finished evaluations"
row=$(sql "SELECT state || ' ' || attempts || ' ' || COALESCE(worker_host, '-') || ' ' || extract(epoch FROM claimed_at::timestamptz) FROM evaluation_queue WHERE run_id = $run2 AND trial = $killed_trial")
read -r state attempts host reclaim_epoch <<<"$row"
check "phase 2: trial $killed_trial claimed again and done by ns-a" "$([ "$state $attempts $host" = "done 2 ns-a" ] && echo 0 || echo 1)" "state $state, attempts $attempts, host $host"
after_kill=$(awk -v a="$reclaim_epoch" -v b="$kill_epoch" 'BEGIN { printf "%.1f", a - b }')
after_beat=$(awk -v a="$reclaim_epoch" -v b="$last_beat" 'BEGIN { printf "%.1f", a - b }')
in_window=$(awk -v d="$after_beat" 'BEGIN { print (d >= 30 && d <= 45) ? 0 : 1 }')
check "phase 2: requeued after the 30 s stale window" "$in_window" "${after_kill} s after the kill, ${after_beat} s after its last heartbeat"
others=$(sql "SELECT COUNT(*) FROM evaluation_queue WHERE run_id = $run2 AND trial != $killed_trial AND NOT (state = 'done' AND attempts = 1 AND worker_host = 'ns-a')")
check "phase 2: the other 5 rows done by ns-a in 1 attempt" "$([ "$others" = 0 ] && echo 0 || echo 1)" \
  "$(sql "SELECT state || '/' || attempts || '/' || COALESCE(worker_host, '-') || ':' || COUNT(*) FROM evaluation_queue WHERE run_id = $run2 GROUP BY state, attempts, worker_host ORDER BY 1" | paste -sd ' ')"
[ "$failures" -eq 0 ] || show_logs search-netns-2.err worker-a2.log worker-b2.log

summary
[ "$failures" -eq 0 ]
