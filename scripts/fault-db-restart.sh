#!/usr/bin/env bash
# Fault: PostgreSQL restarts in the middle of a load (docs/RELIABILITY.md). A private cluster
# (the machine's PostgreSQL binaries, a temporary folder, its own port) serves one minxin; a
# client (scripts/fault_client.py) files appeals from 8 threads for SECONDS, retrying every
# filing that got a 503 or no answer with the same Idempotency-Key; after a third of the run the
# cluster is stopped for OUTAGE seconds and started again. Then: every acknowledged appeal must
# be in the database exactly once, and nothing else; requests during the outage must have had
# 503 with Retry-After (or no connection), and the service must have recovered by itself.
#
#   scripts/fault-db-restart.sh [SECONDS] [OUTAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
outage=${2:-5}
minxin=${MINXIN:-target/release/minxin}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=55433
dir=$(mktemp -d /tmp/minxin-fault-XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
pg() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir" -l "$dir/pg.log" -w "$@" >/dev/null; }
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
pg start
db="postgres://postgres@127.0.0.1:$port/fault"
psql "postgres://postgres@127.0.0.1:$port/postgres" -qc "CREATE DATABASE fault"
DATABASE_URL="$db" "$minxin" migrate >/dev/null
DATABASE_URL="$db" "$minxin" seed >/dev/null 2>&1

DATABASE_URL="$db" MINXIN__LIMITS__INTAKE_PER_MINUTE=0 MINXIN__DATABASE__CONNECT_TIMEOUT_SECS=1 \
  RUST_LOG=warn "$minxin" serve --bind 127.0.0.1:18896 >"$dir/minxin.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; pg stop -m immediate 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf 127.0.0.1:18896/readyz >/dev/null && break; sleep 0.2; done

python3 scripts/fault_client.py http://127.0.0.1:18896 "$seconds" 8 "$dir/client.json" &
client=$!
sleep $(( seconds / 3 ))
down=$(date +%s.%N)
pg stop -m fast
echo "PostgreSQL stopped at +$(( seconds / 3 )) s; /readyz: $(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:18896/readyz)"
sleep "$outage"
pg start
up=$(date +%s.%N)
echo "PostgreSQL started again after $(echo "$up - $down" | bc) s"
for _ in $(seq 100); do curl -sf 127.0.0.1:18896/readyz >/dev/null && break; sleep 0.1; done
ready=$(date +%s.%N)
echo "/readyz 200 again $(echo "$ready - $up" | bc) s after the database came back"
wait $client

python3 - "$dir/client.json" "$db" <<'PY'
import json, subprocess, sys
summary = json.load(open(sys.argv[1]))
db = sys.argv[2]
keys = {k for k, _ in summary["filed"]}
def q(sql):
    return subprocess.check_output(["psql", db, "-Atc", sql], text=True).strip()
appeals = int(q("SELECT count(*) FROM appeals"))
with_key = q("SELECT key || ' ' || count(*) FROM idempotency_keys k JOIN appeals a ON a.id = k.appeal_id GROUP BY key")
counts = dict(line.split() for line in with_key.splitlines())
missing = [k for k in keys if k not in counts]
twice = [k for k, n in counts.items() if int(n) != 1]
unasked = [k for k in counts if k not in keys]
print(f"acknowledged {len(keys)} filings; appeals in the database {appeals}; "
      f"missing {len(missing)}, twice {len(twice)}, not acknowledged {len(unasked)}; "
      f"failed attempts {summary['failures']}; unexpected answers {summary['other'][:3]}")
ok = not missing and not twice and not unasked and appeals == len(keys) and not summary["other"]
print("RESULT:", "nothing lost, nothing twice" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
grep -c "503\|unavailable" "$dir/minxin.log" | xargs echo "503 answers logged by minxin:"
