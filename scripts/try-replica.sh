#!/usr/bin/env bash
# Reports from a streaming replica, tried for real (docs/OPERATIONS.md "Province scale"): a
# private primary and a streaming replica made from it with pg_basebackup (the machine's
# PostgreSQL binaries, a temporary folder, ports 55441 and 55442), one minxin writing to the
# primary and reading reports from the replica. Files appeals, then asks the summary for today
# until it counts them (the replica's lag), and shows that the replica refuses writes.
set -euo pipefail
cd "$(dirname "$0")/.."
minxin=${MINXIN:-target/release/minxin}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/minxin-replica-XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
ctl() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/$1" -o "-p $2 -k $dir" -l "$dir/$1.log" -w "${@:3}" >/dev/null; }
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/primary" -A trust -U postgres >/dev/null
echo "host replication postgres 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
ctl primary 55441 start
"${as_pg[@]}" "$pgbin/pg_basebackup" -h 127.0.0.1 -p 55441 -U postgres -D "$dir/replica" -R -X stream >/dev/null
ctl replica 55442 start
trap 'kill ${pid:-0} 2>/dev/null || true; ctl replica 55442 stop -m immediate || true; ctl primary 55441 stop -m immediate || true; rm -rf "$dir"' EXIT
primary=postgres://postgres@127.0.0.1:55441/postgres
replica=postgres://postgres@127.0.0.1:55442/postgres
echo "replica in recovery: $(psql "$replica" -Atc 'SELECT pg_is_in_recovery()')"
DATABASE_URL="$primary" "$minxin" migrate >/dev/null
DATABASE_URL="$primary" "$minxin" seed >/dev/null 2>&1
DATABASE_URL="$primary" READ_DATABASE_URL="$replica" MINXIN__LIMITS__INTAKE_PER_MINUTE=0 RUST_LOG=warn \
  "$minxin" serve --bind 127.0.0.1:18895 >"$dir/minxin.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf 127.0.0.1:18895/readyz >/dev/null && break; sleep 0.2; done
token=$(curl -s -X POST 127.0.0.1:18895/api/v1/auth/login -H 'Content-Type: application/json' \
  -d '{"username": "supervisor", "password": "minxin-demo"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
for i in $(seq 20); do
  curl -s -o /dev/null -X POST 127.0.0.1:18895/api/v1/appeals -H 'Content-Type: application/json' -d '{
    "appellant_kind": "citizen", "kind": "complaint", "title": "小区暖气不热", "content": "副本演练 '"$i"'",
    "category_code": "03.01.01", "division_code": "210302001", "name": "市民", "phone": "13912345678"}'
done
today=$(TZ=Asia/Shanghai date +%F)
start=$(date +%s.%N)
for _ in $(seq 100); do
  received=$(curl -s -H "Authorization: Bearer $token" \
    "127.0.0.1:18895/api/v1/reports/summary?from=$today&to=$today&group_by=channel" |
    python3 -c 'import sys, json; print(sum(r["received"] for r in json.load(sys.stdin)))')
  [ "$received" = 20 ] && break
  sleep 0.05
done
echo "the summary (read on the replica) counts $received of the 20 appeals filed on the primary, $(echo "$(date +%s.%N) - $start" | bc) s after the last one"
echo "primary's appeals: $(psql "$primary" -Atc 'SELECT count(*) FROM appeals'); replica's: $(psql "$replica" -Atc 'SELECT count(*) FROM appeals')"
echo "a write on the replica: $(psql "$replica" -Atc "UPDATE appeals SET title = title" 2>&1 | head -1)"
