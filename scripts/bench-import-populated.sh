#!/usr/bin/env bash
# Import into a populated database (docs/PERFORMANCE.md, "Bulk loading"): seeds APPEALS synthetic
# appeals once into a template database, then imports a 200,000-row export into a copy of it
# with each binary given, so the report update after an import is measured where it matters.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/bench-import-populated.sh APPEALS BINARY...
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
appeals=$1
shift
export MINXIN_CONFIG_DIR="$PWD/config"
first=$1
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bulk_bench_full WITH (FORCE)"
psql "$server/postgres" -qc "CREATE DATABASE bulk_bench_full TEMPLATE template0 LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
DATABASE_URL="$server/bulk_bench_full" "$first" migrate >/dev/null
DATABASE_URL="$server/bulk_bench_full" "$first" seed >/dev/null 2>&1
DATABASE_URL="$server/bulk_bench_full" "$first" seed --appeals "$appeals" | tail -1
[ -f /tmp/bench-export.csv ] || python3 scripts/gen-export.py 200000 --bad 0.01 >/tmp/bench-export.csv
for binary in "$@"; do
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bulk_bench_copy WITH (FORCE)"
    psql "$server/postgres" -qc "CREATE DATABASE bulk_bench_copy TEMPLATE bulk_bench_full"
    psql "$server/bulk_bench_copy" -qc "CHECKPOINT"
    start=$(date +%s.%N)
    DATABASE_URL="$server/bulk_bench_copy" "$binary" import /tmp/bench-export.csv 2>/dev/null | tail -1 || true
    end=$(date +%s.%N)
    printf '%-40s %8.1f s\n' "import into $appeals appeals: $binary" "$(echo "$end - $start" | bc)"
done
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS bulk_bench_copy WITH (FORCE)"
psql "$server/postgres" -qc "DROP DATABASE bulk_bench_full WITH (FORCE)"
