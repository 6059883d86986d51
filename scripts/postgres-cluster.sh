#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for nas's tests (Tests/NASStoreTests/PostgresTestServer.swift)
# and for trying the PostgreSQL results store by hand. Everything lives in one directory the
# caller owns and removes; the server listens on 127.0.0.1 and a socket in that directory only.
#
#   scripts/postgres-cluster.sh start DIR [PORT]   make (or start again) the cluster in DIR; prints its URL
#   scripts/postgres-cluster.sh restart DIR        restart it with the same options (fault tests)
#   scripts/postgres-cluster.sh stop DIR           stop it; DIR is left for the caller to remove
#   scripts/postgres-cluster.sh sql URL STATEMENT  run one statement with psql (tests make databases)
#
# stdout carries only the URL (one line, also written to DIR/url), so callers can capture it;
# progress and errors go to stderr. Exit status 69 means PostgreSQL is not installed.
#
# NAS_PG_EXTRA_LISTEN=ADDRESS/PREFIX[,ADDRESS/PREFIX...] at a new cluster's `start` makes the
# server listen on those IPv4 addresses too (listen_addresses=127.0.0.1,ADDRESS,...), and lets
# clients of each ADDRESS's network in (pg_hba.conf: host all all NETWORK/PREFIX scram-sha-256),
# e.g. 10.231.7.1/30 for a veth to a network namespace (scripts/netns-workers-check.sh). The
# addresses must exist on this host before the start. `restart` and a later `start` keep them
# (DIR/options, DIR/data/pg_hba.conf); the URL printed still names 127.0.0.1. Unset: loopback only.
set -euo pipefail

die() { echo "postgres-cluster: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 start DIR [PORT] | restart DIR | stop DIR | sql URL STATEMENT" >&2
  exit 2
}

# The server binaries. pg_config (libpq-dev) names the bindir on Debian, but it can belong to a
# client-only install, so its answer counts only when initdb is really there.
find_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  echo "postgres-cluster: the PostgreSQL server (initdb, pg_ctl) is not installed; run scripts/setup.sh" >&2
  exit 69
}

# PostgreSQL refuses to run as root, so root hands the cluster to the user owning the data
# directory (postgres for a new one); anyone else runs it as themselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

# Whether something already listens on the port (ss when present, else a connect probe).
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

running() { as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

# pg_ctl hands -o to /bin/sh, hence the quotes around DIR (which may not hold a quote itself).
# fsync=off: the cluster is thrown away, and tests should not wait on the disk. A crash of the
# machine may corrupt it; nothing of value is ever in it.
server_options() {
  echo "-c listen_addresses=127.0.0.1$extra_addresses -p $1 -k '$dir' -c max_connections=100 -c fsync=off"
}

# NAS_PG_EXTRA_LISTEN (see the header): sets extra_addresses (",A,B" for listen_addresses) and
# extra_networks (NETWORK/PREFIX per line, the address with its host bits cleared, for pg_hba.conf).
extra_addresses=""
extra_networks=""
parse_extra_listen() {
  local entry address prefix a b c d mask network
  local IFS=,
  for entry in $1; do
    [[ "$entry" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$ ]] ||
      die "NAS_PG_EXTRA_LISTEN entries must be IPv4 ADDRESS/PREFIX, not '$entry'"
    a=$((10#${BASH_REMATCH[1]})) b=$((10#${BASH_REMATCH[2]})) c=$((10#${BASH_REMATCH[3]})) d=$((10#${BASH_REMATCH[4]}))
    prefix=$((10#${BASH_REMATCH[5]}))
    [ "$a" -le 255 ] && [ "$b" -le 255 ] && [ "$c" -le 255 ] && [ "$d" -le 255 ] && [ "$prefix" -le 32 ] ||
      die "NAS_PG_EXTRA_LISTEN entry out of range: '$entry'"
    address=$a.$b.$c.$d
    mask=$(((0xffffffff << (32 - prefix)) & 0xffffffff))
    network=$((((a << 24) | (b << 16) | (c << 8) | d) & mask))
    extra_addresses+=",$address"
    extra_networks+="$((network >> 24 & 255)).$((network >> 16 & 255)).$((network >> 8 & 255)).$((network & 255))/$prefix"$'\n'
  done
}

# Starts the server with the options in DIR/options. Returns 3 when the port was taken (another
# process can grab it between the probe and the bind), so the caller can try another one.
start_server() {
  if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >&2; then
    return 0
  fi
  if tail -n 20 "$dir/server.log" 2>/dev/null | grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets"; then
    return 3
  fi
  echo "postgres-cluster: the server did not start; the end of $dir/server.log:" >&2
  tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
  exit 1
}

[ $# -ge 2 ] || usage
command=$1
if [ "$command" = sql ]; then
  [ $# -eq 3 ] || usage
  bindir=$(find_bindir)
  exec "$bindir/psql" "$2" -X -v ON_ERROR_STOP=1 -qAt -c "$3"
fi
dir=$2
case "$dir" in *"'"*) die "DIR must not contain a single quote: $dir" ;; esac

case "$command" in
start)
  [ $# -le 3 ] || usage
  requested_port=${3:-}
  if [ -n "$requested_port" ] && ! [[ "$requested_port" =~ ^[0-9]+$ && "$requested_port" -ge 1 && "$requested_port" -le 65535 ]]; then
    die "PORT must be a number from 1 to 65535, not '$requested_port'"
  fi
  [ -z "${NAS_PG_EXTRA_LISTEN:-}" ] || parse_extra_listen "$NAS_PG_EXTRA_LISTEN"
  bindir=$(find_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # The socket path (DIR/.s.PGSQL.PORT) must fit in sockaddr_un's 108 bytes.
  [ ${#dir} -le 90 ] || die "DIR is too long for a Unix socket path (${#dir} characters, at most 90): $dir"
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    id postgres >/dev/null 2>&1 || die "there is no 'postgres' user to run the server as; run scripts/setup.sh"
    chown postgres: "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "user postgres cannot reach $dir (a parent directory is closed to it); use a directory under /tmp"
  fi
  # The server's working directory must be readable by it, whatever the caller's is.
  cd "$dir"

  if [ -f "$dir/data/PG_VERSION" ]; then
    # An existing cluster: start it again as it was made (same port, same password).
    [ -f "$dir/options" ] && [ -f "$dir/url" ] || die "$dir/data exists but $dir/options or $dir/url is missing; use a new DIR"
    owner=$(stat -c %U "$dir/data")
    if ! running; then
      start_server || die "port of the existing cluster in $dir is taken; use a new DIR"
    fi
    cat "$dir/url"
    exit 0
  fi

  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$password" >"$dir/password")
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/password"
  echo "postgres-cluster: initdb in $dir/data ($bindir)" >&2
  # --no-sync: see fsync=off below.
  as_owner "$bindir/initdb" -D "$dir/data" --no-sync --auth=scram-sha-256 --username=nas --pwfile="$dir/password" \
    --encoding=UTF8 --locale=C >&2
  if [ -n "$extra_networks" ]; then
    # Appended: initdb's local and loopback lines stay first. (Root's append keeps the file's owner.)
    while read -r network; do
      [ -z "$network" ] || printf 'host all all %s scram-sha-256\n' "$network" >>"$dir/data/pg_hba.conf"
    done <<<"$extra_networks"
  fi

  # A requested port is tried once; otherwise the first free one of 54320..54399.
  if [ -n "$requested_port" ]; then candidates=("$requested_port"); else candidates=({54320..54399}); fi
  port=""
  for candidate in "${candidates[@]}"; do
    if [ -z "$requested_port" ] && port_in_use "$candidate"; then continue; fi
    server_options "$candidate" >"$dir/options"
    # Emptied (not removed: it keeps its owner) so an old attempt's bind error is not read as this one's.
    [ ! -f "$dir/server.log" ] || : >"$dir/server.log"
    status=0
    start_server || status=$?
    if [ "$status" -eq 0 ]; then port=$candidate; break; fi
    echo "postgres-cluster: port $candidate is in use" >&2
  done
  if [ -z "$port" ]; then
    [ -z "$requested_port" ] || die "port $requested_port is in use; pass another PORT or none"
    die "no free port in ${candidates[0]}..${candidates[-1]}"
  fi

  # createdb from the same installation, over TCP as the URL's user, which also proves the URL works.
  # On failure the server is stopped, so a caller that gives up leaves nothing running.
  if ! PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$bindir/createdb" -w -h 127.0.0.1 -p "$port" -U nas nas >&2; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -w -m immediate stop >&2 || true
    die "could not create database nas; the server was stopped, its log is $dir/server.log"
  fi
  url="postgres://nas:$password@127.0.0.1:$port/nas"
  (umask 077 && printf '%s\n' "$url" >"$dir/url")
  echo "postgres-cluster: running on 127.0.0.1:$port, log $dir/server.log" >&2
  echo "$url"
  ;;
restart)
  [ $# -eq 2 ] || usage
  bindir=$(find_bindir)
  [ -f "$dir/data/PG_VERSION" ] && [ -f "$dir/options" ] || die "no cluster in $dir (start one first)"
  dir=$(cd "$dir" && pwd)
  cd "$dir"
  owner=$(stat -c %U "$dir/data")
  # Explicit -o: the options of record are DIR/options, not what the last start happened to use.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m fast -o "$(cat "$dir/options")" restart >&2
  ;;
stop)
  [ $# -eq 2 ] || usage
  bindir=$(find_bindir)
  [ -f "$dir/data/PG_VERSION" ] || die "no cluster in $dir"
  dir=$(cd "$dir" && pwd)
  cd "$dir"
  owner=$(stat -c %U "$dir/data")
  if ! running; then
    echo "postgres-cluster: the cluster in $dir is not running" >&2
    exit 0
  fi
  as_owner "$bindir/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >&2
  ;;
*)
  usage
  ;;
esac
