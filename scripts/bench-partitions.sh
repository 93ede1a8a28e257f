#!/usr/bin/env bash
# What the monthly partitions of the audit log and the report cube (migration 000014) cost and
# give, on the same data and the same binary (docs/PERFORMANCE.md "Monthly partitions"):
# reads (scripts/bench-reads.sh: a clerk's queue, appeal pages) and reports
# (scripts/report-latency.py) partitioned, then whole (the migration reverted, timed), then
# partitioned again (the migration re-applied, timed: what upgrading a full database costs).
# A-B-A, so that a warmer cache in a later round shows as a difference between the two
# partitioned rounds.
#
#   KEEP=1 scripts/bench-reads.sh 10000000 20     # once: the database bench_reads, kept
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/bench-partitions.sh [SECONDS] [REPORT_CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
seconds=${1:-20}
calls=${2:-20}
minxin=${MINXIN:-target/release/minxin}
port=${PORT:-18899}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
db="$server/bench_reads"
migration=migrations/2026-12-01-000014_monthly_partitions
version=20261201000014
psql "$db" -Atc "SELECT 1 FROM __diesel_schema_migrations WHERE version = '$version'" | grep -q 1 \
  || { echo "bench_reads must exist and be migrated (KEEP=1 scripts/bench-reads.sh first)" >&2; exit 1; }

round() {
  echo "== $1: $(psql "$db" -Atc "SELECT CASE relkind WHEN 'p' THEN 'partitioned' ELSE 'plain' END FROM pg_class WHERE relname = 'audit_events'") audit_events, $(psql "$db" -Atc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_events'::regclass") partitions"
  KEEP=1 MINXIN="$minxin" SERVER_URL="$server" scripts/bench-reads.sh 10000000 "$seconds" | grep -v '^machine' || true
  DATABASE_URL="$db" MINXIN__LIMITS__LOGIN_PER_MINUTE=0 RUST_LOG=warn \
    MINXIN__DATABASE__MIGRATE_ON_START=false MINXIN__DEADLINES__SCAN_INTERVAL_SECS=0 \
    MINXIN__DATABASE__PARTITION_UPKEEP_SECS=0 \
    "$minxin" serve --bind "127.0.0.1:$port" >/tmp/bench-partitions-server.log 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  scripts/report-latency.py --base "http://127.0.0.1:$port" --n "$calls"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%FT%TZ); $(psql "$db" -Atc 'SELECT count(*) FROM appeals') appeals, $(psql "$db" -Atc 'SELECT count(*) FROM audit_events') audit events, $(psql "$db" -Atc 'SELECT count(*) FROM report_cube') cube cells"
round "partitioned"

start=$(date +%s.%N)
psql "$db" -q -v ON_ERROR_STOP=1 --single-transaction -f "$migration/down.sql" \
  -c "DELETE FROM __diesel_schema_migrations WHERE version = '$version'"
echo "migration 000014 reverted (back to plain tables) in $(echo "$(date +%s.%N) - $start" | bc) s"
round "whole"

start=$(date +%s.%N)
DATABASE_URL="$db" "$minxin" migrate
echo "migration 000014 applied (tables partitioned) in $(echo "$(date +%s.%N) - $start" | bc) s"
round "partitioned again"
