#!/usr/bin/env bash
# A clerk's queue and appeal pages under load (issue 9, docs/PERFORMANCE.md "Reads under load"):
# `minxin seed --appeals N` into a scratch database, then wrk at 8 and 32 connections on
# `GET /api/v1/queue` (the clerk.heating queue: its first pages, and by state) and on
# `GET /api/v1/appeals/{id}` (1,000 of the department's appeals in turn) as clerk.heating.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/bench-reads.sh [APPEALS] [SECONDS]
#
# KEEP=1 keeps the database bench_reads (a 10-million seed takes about ten minutes); a second
# run with KEEP=1 and the database present skips the seed.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
appeals=${1:-1000000}
seconds=${2:-20}
minxin=${MINXIN:-target/release/minxin}
port=${PORT:-18898}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
db="$server/bench_reads"

if [ -z "${KEEP:-}" ] || ! psql "$db" -Atc "SELECT 1" >/dev/null 2>&1; then
  psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bench_reads WITH (FORCE)"
  psql "$server/postgres" -qc "CREATE DATABASE bench_reads TEMPLATE template0 LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
  DATABASE_URL="$db" "$minxin" migrate >/dev/null
  DATABASE_URL="$db" "$minxin" seed >/dev/null 2>&1
  start=$(date +%s)
  DATABASE_URL="$db" "$minxin" seed --appeals "$appeals" >/dev/null 2>&1
  echo "seeded $appeals appeals in $(( $(date +%s) - start )) s"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%FT%TZ); $(psql "$db" -Atc 'SELECT count(*) FROM appeals') appeals, $(psql "$db" -Atc "SELECT count(*) FROM appeals WHERE lead_department_code = 'heating'") of them the heating company's ($(psql "$db" -Atc "SELECT count(*) FROM appeals WHERE lead_department_code = 'heating' AND status IN ('dispatched','in_progress','suspended')") open)"

DATABASE_URL="$db" MINXIN__LIMITS__LOGIN_PER_MINUTE=0 RUST_LOG=warn \
  MINXIN__DATABASE__MIGRATE_ON_START=false MINXIN__DEADLINES__SCAN_INTERVAL_SECS=0 \
  "$minxin" serve --bind "127.0.0.1:$port" >/tmp/bench-reads-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bench_reads WITH (FORCE)" || true' EXIT
for _ in $(seq 50); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -s -X POST "127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username": "clerk.heating", "password": "minxin-demo"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')

printf '%s\n' /api/v1/queue "/api/v1/queue?status=dispatched" "/api/v1/queue?status=in_progress,suspended" \
  "/api/v1/queue?page=2" "/api/v1/queue?page=3" >/tmp/bench-reads-queue.txt
psql "$db" -Atc "SELECT '/api/v1/appeals/' || id FROM appeals WHERE lead_department_code = 'heating' ORDER BY random() LIMIT 1000" >/tmp/bench-reads-appeals.txt

for what in queue appeals; do
  for c in 8 32; do
    out=$(TOKEN="$token" PATHS="/tmp/bench-reads-$what.txt" wrk -t2 -c"$c" -d"${seconds}s" -s scripts/reads.lua "http://127.0.0.1:$port")
    echo "$what c=$c: $(echo "$out" | grep '^RESULT' | sed 's/RESULT //')"
  done
done
echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status")"
