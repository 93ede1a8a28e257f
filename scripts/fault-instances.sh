#!/usr/bin/env bash
# Faults among instances (docs/RELIABILITY.md): three `minxin serve` on one database take the
# load of scripts/fault_client.py (8 threads, each moving to the next instance after a failed
# attempt, as a load balancer would, and retrying with the same Idempotency-Key). A third of
# the way in, instance 1 gets SIGTERM (a graceful stop: it stops accepting, finishes what is in
# flight and exits 0); at two thirds instance 2 is killed with SIGKILL (no goodbye). Then every
# acknowledged filing must be in the database exactly once and nothing else, and instance 1 must
# have exited cleanly. Scratch database fault_instances on SERVER_URL's server.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/fault-instances.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
seconds=${1:-30}
minxin=${MINXIN:-target/release/minxin}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
db="$server/fault_instances"
dir=$(mktemp -d /tmp/minxin-instances-XXXXXX)
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS fault_instances WITH (FORCE)"
psql "$server/postgres" -qc "CREATE DATABASE fault_instances"
DATABASE_URL="$db" "$minxin" migrate >/dev/null
DATABASE_URL="$db" "$minxin" seed >/dev/null 2>&1

pids=()
for i in 1 2 3; do
  DATABASE_URL="$db" MINXIN__LIMITS__INTAKE_PER_MINUTE=0 MINXIN__DATABASE__POOL_SIZE=6 RUST_LOG=info \
    "$minxin" serve --bind "127.0.0.1:1889$i" >"$dir/minxin-$i.log" 2>&1 &
  pids+=($!)
done
trap 'kill -9 "${pids[@]}" 2>/dev/null || true; psql "$server/postgres" -qc "DROP DATABASE IF EXISTS fault_instances WITH (FORCE)" || true; rm -rf "$dir"' EXIT
for i in 1 2 3; do
  for _ in $(seq 50); do curl -sf "127.0.0.1:1889$i/readyz" >/dev/null && break; sleep 0.2; done
done

python3 scripts/fault_client.py http://127.0.0.1:18891,http://127.0.0.1:18892,http://127.0.0.1:18893 \
  "$seconds" 8 "$dir/client.json" &
client=$!
sleep $(( seconds / 3 ))
kill -TERM "${pids[0]}"
stopped=0
wait "${pids[0]}" || stopped=$?
echo "instance 1: SIGTERM at +$(( seconds / 3 )) s, exited with status $stopped"
sleep $(( seconds / 3 ))
kill -KILL "${pids[1]}"
echo "instance 2: SIGKILL at +$(( 2 * seconds / 3 )) s"
wait $client

python3 - "$dir/client.json" "$db" "$stopped" <<'PY'
import json, subprocess, sys
summary = json.load(open(sys.argv[1]))
db, stopped = sys.argv[2], int(sys.argv[3])
keys = {k for k, _ in summary["filed"]}
def q(sql):
    return subprocess.check_output(["psql", db, "-Atc", sql], text=True).strip()
appeals = int(q("SELECT count(*) FROM appeals"))
rows = q("SELECT key || ' ' || count(*) FROM idempotency_keys k JOIN appeals a ON a.id = k.appeal_id GROUP BY key")
counts = dict(line.split() for line in rows.splitlines())
missing = [k for k in keys if k not in counts]
twice = [k for k, n in counts.items() if int(n) != 1]
unasked = [k for k in counts if k not in keys]
audit = q("SELECT count(*) FROM audit_events WHERE action = 'intake'")
print(f"acknowledged {len(keys)} filings; appeals in the database {appeals} (intake events {audit}); "
      f"missing {len(missing)}, twice {len(twice)}, not acknowledged {len(unasked)}; "
      f"failed attempts {summary['failures']}; unexpected answers {summary['other'][:3]}")
ok = (not missing and not twice and not unasked and appeals == len(keys) == int(audit)
      and not summary["other"] and stopped == 0)
print("RESULT:", "nothing lost, nothing twice, a clean stop" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
