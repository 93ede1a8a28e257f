#!/usr/bin/env bash
# Bulk-loading benchmark (docs/PERFORMANCE.md, "Bulk loading"): `minxin seed --appeals N` into an
# empty, migrated and seeded database, and `minxin import` of a generated 200,000-row export,
# each into a scratch database of its own on the server SERVER_URL points at.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/bench-bulk.sh [APPEALS] [BASELINE_BINARY]
#
# APPEALS (default 1000000) synthetic appeals are seeded; with BASELINE_BINARY (an earlier
# `minxin` build) the same number is seeded, and the export imported once, by it too: the
# baseline of the same run. The
# scratch databases are named bulk_bench_* and dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
appeals=${1:-1000000}
baseline=${2:-}
minxin=${MINXIN:-target/release/minxin}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"

fresh() { # a migrated database with the demo reference data, made by binary $2
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
    psql "$server/postgres" -qc "CREATE DATABASE $1 TEMPLATE template0 LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
    DATABASE_URL="$server/$1" "$2" migrate >/dev/null
    DATABASE_URL="$server/$1" "$2" seed >/dev/null 2>&1
}
timed() { # label, then the command; prints the wall-clock seconds
    local start end
    start=$(date +%s.%N)
    "${@:2}" >/tmp/bench-bulk.out 2>&1 || { cat /tmp/bench-bulk.out; exit 1; }
    end=$(date +%s.%N)
    printf '%-40s %8.1f s\n' "$1" "$(echo "$end - $start" | bc)"
    grep -E 'generated|rows read' /tmp/bench-bulk.out || true
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%F)"
if [ -n "$baseline" ]; then
    fresh bulk_bench_old "$baseline"
    timed "baseline seed --appeals $appeals" env DATABASE_URL="$server/bulk_bench_old" "$baseline" seed --appeals "$appeals"
    psql "$server/postgres" -qc "DROP DATABASE bulk_bench_old WITH (FORCE)"
fi
fresh bulk_bench_seed "$minxin"
timed "seed --appeals $appeals" env DATABASE_URL="$server/bulk_bench_seed" RUST_LOG=minxin::bulk=debug "$minxin" seed --appeals "$appeals"
grep -E 'time per step|statistics' /tmp/bench-bulk.out | sed 's/^.*bulk load: //' || true
timed "reports verify" env DATABASE_URL="$server/bulk_bench_seed" "$minxin" reports verify
psql "$server/postgres" -qc "DROP DATABASE bulk_bench_seed WITH (FORCE)"

python3 scripts/gen-export.py 200000 --bad 0.01 >/tmp/bench-export.csv
if [ -n "$baseline" ]; then
    fresh bulk_bench_old "$baseline"
    timed "baseline import 200000 rows" sh -c "DATABASE_URL=$server/bulk_bench_old $baseline import /tmp/bench-export.csv || [ \$? = 1 ]"
    psql "$server/postgres" -qc "DROP DATABASE bulk_bench_old WITH (FORCE)"
fi
for run in 1 2 3; do
    fresh bulk_bench_import "$minxin"
    # exit 1: the 1% bad rows are refused, as intended
    timed "import 200000 rows (run $run)" sh -c "DATABASE_URL=$server/bulk_bench_import RUST_LOG=minxin::bulk=debug $minxin import /tmp/bench-export.csv || [ \$? = 1 ]"
    grep -E 'time per step|statistics' /tmp/bench-bulk.out | sed 's/^.*bulk load: //' || true
done
timed "import again (nothing new)" sh -c "DATABASE_URL=$server/bulk_bench_import $minxin import /tmp/bench-export.csv || [ \$? = 1 ]"
psql "$server/postgres" -qc "DROP DATABASE bulk_bench_import WITH (FORCE)"
