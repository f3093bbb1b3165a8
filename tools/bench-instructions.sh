#!/usr/bin/env bash
# npm run bench:instructions — CPU instructions one backend spends per RPC lifecycle, counted by
# valgrind's callgrind: repeatable to about 1 % whatever else the machine does, so
# it compares two versions of the SQL where timings on a shared machine cannot.
# A throwaway cluster (PostgreSQL of `pg_config --bindir`, under callgrind, autovacuum off) gets the
# package, the benchmarks' fixture (tools/bench/fixture.ts, 10,000 accounts) and a warm-up; each
# pgbench script of tools/bench/pgbench/ then runs twice in fresh connections (N1 and N2
# transactions) and the difference divided by N2 - N1 is printed, start-up excluded.
# Needs valgrind and the PostgreSQL server binaries; takes about two minutes.
# WORKLOADS="failure" npm run bench:instructions measures only the scripts named.
set -euo pipefail
cd "$(dirname "$0")/.."

bindir=$(pg_config --bindir)
port=${BENCH_PORT:-5499}
n1=${N1:-40}
n2=${N2:-240}
work=$(mktemp -d)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
url="postgres://postgres@127.0.0.1:$port"
cleanup() {
  as_owner "$bindir/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true
  pkill -f "valgrind.*$work" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_owner "$bindir/initdb" -D "$work/data" -A trust -U postgres >/dev/null
printf "autovacuum = off\nlisten_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" "$port" "$work" >> "$work/data/postgresql.conf"
mkdir "$work/out"
[ "$(id -u)" = 0 ] && chown postgres "$work/out"
as_owner valgrind --tool=callgrind --callgrind-out-file="$work/out/cg.%p" "$bindir/postgres" -D "$work/data" >"$work/valgrind.log" 2>&1 &
for _ in $(seq 1 120); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done

psql -q "$url/postgres" -c "create database credits_instructions"
DATABASE_URL="$url/credits_instructions" npx tsx src/cli.ts migrate up >/dev/null
DATABASE_URL="$url/credits_instructions" npx tsx tools/bench/fixture.ts 10000
scripts=tools/bench/pgbench

# Warm-up with several clients: tables and statistics as a running system has them.
pgbench -n -M prepared -f "$scripts/lifecycle.sql" -D users=10000 -c 4 -t 1000 "$url/credits_instructions" >/dev/null
psql -q "$url/credits_instructions" -c "vacuum analyze"

# Instructions of one fresh backend running `transactions` of a script.
backend_instructions() {
  pgbench -n -M prepared -f "$1" -D users=10000 -c 1 -t "$2" "$url/credits_instructions" >/dev/null
  sleep 1 # the backend writes its profile as it exits
  local file
  file=$(ls -t "$work"/out/cg.* | head -1)
  awk '/^summary:/ { print $2; exit }' "$file"
}

echo "instructions per transaction of the script, one backend (callgrind; $bindir)"
for workload in ${WORKLOADS:-ceiling start lifecycle failure}; do
  a=$(backend_instructions "$scripts/$workload.sql" "$n1")
  b=$(backend_instructions "$scripts/$workload.sql" "$n2")
  printf '  %-10s %10d\n' "$workload" $(( (b - a) / (n2 - n1) ))
done
echo "(ceiling: one single-row UPDATE; start: start_generation; lifecycle: start -> submitted -> completed; failure: start -> failed with refund)"
