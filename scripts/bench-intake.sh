#!/usr/bin/env bash
# Intake under load (issue 9, docs/PERFORMANCE.md "Intake under load"): `POST /api/v1/appeals`
# with wrk (Debian's package) at rising concurrency, against PostgreSQL doing the same writes
# as the intake transaction with pgbench, in the same run, on a scratch database of its own.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/bench-intake.sh [SECONDS] [CONCURRENCY…]
#
# For each concurrency: the rate of 201s, latency p50/p90/p99, errors, and whether the appeals
# in the database are exactly the 201s; the server's RSS idle and under load; then pgbench at
# the same concurrency. The scratch database bench_intake is dropped at the end.
#
# The server runs with the configured pool (config/default.toml); POOL_SIZE=N sets another.
#
# ROUTED=1 keeps the demo routing rules instead: filings of the routed categories are dispatched
# at once (heating to the heating company, which auto-assigns to its least loaded clerk), so the
# figures are those of a routed intake; pgbench's raw figure then covers less than minxin does.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
seconds=${1:-20}
shift || true
levels=${*:-8 32 128}
minxin=${MINXIN:-target/release/minxin}
port=${PORT:-18899}
[ -x "$minxin" ] || cargo build --release
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
export MINXIN_CONFIG_DIR="$PWD/config"
db="$server/bench_intake"

psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bench_intake WITH (FORCE)"
psql "$server/postgres" -qc "CREATE DATABASE bench_intake TEMPLATE template0 LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
DATABASE_URL="$db" "$minxin" migrate >/dev/null
DATABASE_URL="$db" "$minxin" seed >/dev/null 2>&1
# no routing table: every appeal stays in the pool, so that minxin's writes are exactly the
# raw script's below (a routed intake also writes the assignment and its event)
[ -n "${ROUTED:-}" ] || psql "$db" -qc "DELETE FROM routing_rules"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%FT%TZ); PostgreSQL $(psql "$db" -Atc 'SHOW server_version')"
if [ -n "${POOL_SIZE:-}" ]; then export MINXIN__DATABASE__POOL_SIZE=$POOL_SIZE; fi
# the limits are for the public internet, not for a benchmark from one address
DATABASE_URL="$db" \
  MINXIN__LIMITS__INTAKE_PER_MINUTE=0 MINXIN__EMAIL__TRANSPORT=file MINXIN__EMAIL__FILE_DIR=/tmp/bench-intake-mail \
  RUST_LOG=warn \
  "$minxin" serve --bind "127.0.0.1:$port" >/tmp/bench-intake-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bench_intake WITH (FORCE)" || true' EXIT
for _ in $(seq 50); do curl -sf "127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }
echo "server RSS idle: $(rss)"

count() { psql "$db" -Atc "SELECT count(*) FROM appeals"; }
for c in $levels; do
  before=$(count)
  wrk -t2 -c"$c" -d"${seconds}s" --latency -s scripts/intake.lua "http://127.0.0.1:$port" >/tmp/bench-intake-wrk.out 2>&1 &
  wrk_pid=$!
  sleep $(( seconds / 2 )); loaded=$(rss)
  wait $wrk_pid
  after=$(count)
  result=$(grep '^RESULT' /tmp/bench-intake-wrk.out)
  created=$(echo "$result" | grep -o '201=[0-9]*' | cut -d= -f2)
  in_flight=$(echo "$result" | grep -o 'in_flight=[0-9]*' | cut -d= -f2)
  added=$((after - before))
  # every 201 must be in the database; wrk stops without reading the answers of the
  # requests in flight (the server files those it had started), so at most that many more
  read -r answered missing < <(psql "$db" -At -F ' ' \
    -c "CREATE TEMP TABLE answered (no text)" \
    -c "\\copy answered FROM '/tmp/bench-intake-201.txt'" \
    -c "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM appeals p WHERE p.tracking_no = a.no)) FROM answered a" | tail -1)
  [ "$answered" = "${created:-0}" ] || { echo "read $answered tracking numbers for ${created:-0} 201s" >&2; exit 1; }
  extra=$(( added - ${created:-0} ))
  verdict=$([ "$missing" = 0 ] && [ "$extra" -ge 0 ] && [ "$extra" -le "${in_flight:-0}" ] && echo "all there" || echo "MISMATCH")
  echo "minxin c=$c: $result; appeals added $added: every 201 in the database ($missing missing), $extra more = requests in flight when wrk stopped (${in_flight:-0}): $verdict; RSS under load $loaded"
done
echo "server RSS after the runs: $(rss)"
kill $pid; wait $pid 2>/dev/null || true

# The same writes as one intake transaction, straight into PostgreSQL: the appeal row (its
# triggers as for minxin: report log, repeat bookkeeping; its first alarm written with it, as
# minxin does since 2026-12-01), the idempotency key, the audit event. minxin also reads (the
# key, the codes, the cache versions, the repeat check): those are not in the raw figure.
cols=$(psql "$db" -Atc "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'appeals' AND column_name NOT IN ('id', 'tracking_no', 'created_at', 'updated_at', 'external_no')")
template=$(psql "$db" -Atc "SELECT id FROM appeals ORDER BY created_at LIMIT 1")
psql "$db" -qc "CREATE SEQUENCE IF NOT EXISTS bench_seq"
cat >/tmp/bench-intake.sql <<SQL
BEGIN;
INSERT INTO appeals (id, tracking_no, created_at, updated_at, $cols)
  SELECT gen_random_uuid(), 'AS9' || lpad(nextval('bench_seq')::text, 15, '0'), now(), now(), $cols
  FROM appeals WHERE id = '$template' RETURNING id \gset new_
INSERT INTO idempotency_keys (key, request_hash, appeal_id, created_at)
  VALUES ('raw-' || ':new_id', repeat('0', 64), ':new_id', now());
INSERT INTO audit_events (appeal_id, seq, actor_role, action, to_status, details, created_at, prev_hash, hash)
  VALUES (':new_id', 1, 'resident', 'intake', 'submitted', '{"channel": "hotline"}', now(), NULL, repeat('a', 64));
COMMIT;
SQL
# pgbench's clients are connections: keep under the server's max_connections
max_clients=$(( $(psql "$db" -Atc "SHOW max_connections") - 10 ))
for c in $levels; do
  clients=$(( c < max_clients ? c : max_clients ))
  out=$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f /tmp/bench-intake.sql "$db" 2>&1)
  tps=$(echo "$out" | awk '/^tps/ {print $3}')
  lat=$(echo "$out" | awk '/latency average/ {print $4}')
  failed=$(echo "$out" | awk '/number of failed transactions/ {print $5}')
  echo "raw PostgreSQL c=$c ($clients connections): $tps transactions/s, latency average $lat ms, $failed failed"
done
