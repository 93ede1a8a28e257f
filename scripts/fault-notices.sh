#!/usr/bin/env bash
# Deadline notices and e-mail when an instance is killed (docs/RELIABILITY.md): three
# `minxin serve` on one database, each running the deadline scanner (every second) and the mail
# sender (every second) against a real SMTP server (Debian's python3-aiosmtpd, writing a
# maildir). scripts/fault_client.py files appeals with an e-mail address through all three for
# SECONDS (each filing puts a receipt and a dispatch notice in the outbox), and every second this
# script makes the sign deadline of 20 more dispatched appeals come due — its warning now, the
# deadline itself two seconds later — as the passing of working hours would, so that scanners
# raise warnings and overdue notices all through the run. Halfway, instance 2 gets SIGKILL.
#
# Afterwards, once the survivors have caught up: every acknowledged filing is in the database
# once; every appeal whose deadline was moved has exactly one warning and one overdue alarm
# (none skipped; the unique key forbids twice); no alarm is left due; every outbox message was
# sent; and the SMTP server received each of them (by its Message-ID, <outbox-ID@…>) and
# nothing else — once, except for at most one message per sender of the killed instance: one
# it had handed to the SMTP server without hearing the answer before it died. SMTP gives no
# way to tell that apart from a message that never arrived, so a survivor sends it again, with
# the same Message-ID, which receivers use to drop the copy. The script prints how many.
#
#   SERVER_URL=postgres://postgres@127.0.0.1 scripts/fault-notices.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
server=${SERVER_URL:-postgres://postgres@127.0.0.1}
seconds=${1:-30}
minxin=${MINXIN:-target/release/minxin}
[ -x "$minxin" ] || cargo build --release
export MINXIN_CONFIG_DIR="$PWD/config"
db="$server/fault_notices"
dir=$(mktemp -d /tmp/minxin-notices-XXXXXX)
smtp_port=${SMTP_PORT:-2526}
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS fault_notices WITH (FORCE)"
psql "$server/postgres" -qc "CREATE DATABASE fault_notices"
DATABASE_URL="$db" "$minxin" migrate >/dev/null
DATABASE_URL="$db" "$minxin" seed >/dev/null 2>&1
psql "$db" -qc "CREATE TABLE fault_moved (appeal_id uuid PRIMARY KEY, moved_at timestamptz NOT NULL)"

pids=()
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$dir/maildir" \
  >"$dir/smtp.log" 2>&1 &
sink=$!
trap 'kill -9 "${pids[@]}" "$sink" 2>/dev/null || true; psql "$server/postgres" -qc "DROP DATABASE IF EXISTS fault_notices WITH (FORCE)" || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.2; done

for i in 1 2 3; do
  DATABASE_URL="$db" MINXIN__LIMITS__INTAKE_PER_MINUTE=0 MINXIN__DATABASE__POOL_SIZE=6 \
    MINXIN__DEADLINES__SCAN_INTERVAL_SECS=1 MINXIN__EMAIL__SEND_INTERVAL_SECS=1 \
    MINXIN__EMAIL__TRANSPORT=smtp MINXIN__EMAIL__SMTP_HOST=127.0.0.1 \
    MINXIN__EMAIL__SMTP_PORT="$smtp_port" MINXIN__EMAIL__SENDERS=4 RUST_LOG=info \
    "$minxin" serve --bind "127.0.0.1:1890$i" >"$dir/minxin-$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 50); do curl -sf "127.0.0.1:1890$i/readyz" >/dev/null && break; sleep 0.2; done
done

FAULT_EMAIL=appellant@example.com python3 scripts/fault_client.py \
  http://127.0.0.1:18901,http://127.0.0.1:18902,http://127.0.0.1:18903 "$seconds" 4 "$dir/client.json" &
client=$!
# deadlines come due all through the run: 20 appeals a second (sign warning now, due in 2 s)
(
  end=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$end" ]; do
    psql "$db" -qAtc "WITH picked AS (
        SELECT id FROM appeals a
        WHERE status = 'dispatched' AND sign_stage = 0
          AND NOT EXISTS (SELECT 1 FROM fault_moved m WHERE m.appeal_id = a.id)
        ORDER BY created_at LIMIT 20),
      moved AS (
        UPDATE appeals a SET sign_warn_at = now(), sign_due_at = now() + interval '2 s',
                             next_alarm_at = now()
        FROM picked WHERE a.id = picked.id RETURNING a.id)
      INSERT INTO fault_moved SELECT id, now() FROM moved" >/dev/null || true
    sleep 1
  done
) &
mover=$!
sleep $(( seconds / 2 ))
kill -KILL "${pids[1]}"
echo "instance 2: SIGKILL at +$(( seconds / 2 )) s"
wait $client
wait $mover

# the survivors catch up: nothing due left, the outbox empty (at most three minutes)
ended=$(date +%s.%N)
for _ in $(seq 360); do
  left=$(psql "$db" -Atc "SELECT (SELECT count(*) FROM appeals WHERE next_alarm_at <= now() - interval '3 s')
                               + (SELECT count(*) FROM outbox WHERE sent_at IS NULL)")
  [ "$left" = 0 ] && break
  sleep 0.5
done
printf 'caught up %.1f s after the load ended\n' "$(echo "$(date +%s.%N) - $ended" | bc)"

python3 - "$dir/client.json" "$db" "$dir/maildir" <<'PY'
import email, json, mailbox, re, subprocess, sys
from collections import Counter
SENDERS = 4  # MINXIN__EMAIL__SENDERS of each instance
summary = json.load(open(sys.argv[1]))
db, maildir = sys.argv[2], sys.argv[3]
def q(sql):
    return subprocess.check_output(["psql", db, "-Atc", sql], text=True).strip()
keys = {k for k, _ in summary["filed"]}
rows = q("SELECT key || ' ' || count(*) FROM idempotency_keys k JOIN appeals a ON a.id = k.appeal_id GROUP BY key")
counts = dict(line.split() for line in rows.splitlines())
lost = [k for k in keys if k not in counts]
twice = [k for k, n in counts.items() if int(n) != 1]
moved = int(q("SELECT count(*) FROM fault_moved"))
alarms = dict(line.split("|") for line in q(
    "SELECT stage, count(*) FROM deadline_alarms d JOIN fault_moved m USING (appeal_id) "
    "WHERE d.clock = 'sign' GROUP BY stage").splitlines())
skipped = int(q("SELECT count(*) FROM fault_moved m WHERE (SELECT count(*) FROM deadline_alarms d "
                "WHERE d.appeal_id = m.appeal_id AND d.clock = 'sign' AND d.stage IN ('warning', 'overdue')) <> 2"))
still_due = int(q("SELECT count(*) FROM appeals WHERE next_alarm_at <= now() - interval '3 s'"))
kinds = q("SELECT kind || ' ' || count(*) FROM outbox GROUP BY kind ORDER BY kind")
outbox_ids = {int(i) for i in q("SELECT id FROM outbox").split()}
unsent = int(q("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
received = Counter()
strangers = 0
for message in mailbox.Maildir(maildir, create=False):
    m = re.match(r"<outbox-(\d+)@", message.get("Message-ID", ""))
    if m and int(m.group(1)) in outbox_ids:
        received[int(m.group(1))] += 1
    else:
        strangers += 1
not_received = [i for i in outbox_ids if received[i] == 0]
received_twice = [i for i, n in received.items() if n > 1]
print(f"filings: acknowledged {len(keys)}, lost {len(lost)}, twice {len(twice)}; "
      f"failed attempts {summary['failures']}, unexpected answers {summary['other'][:3]}")
print(f"deadlines moved {moved}: sign alarms {alarms}, appeals without exactly one warning and "
      f"one overdue {skipped}, alarms still due {still_due}")
print(f"outbox {len(outbox_ids)} ({', '.join(kinds.splitlines())}), unsent {unsent}; the SMTP server "
      f"received {sum(received.values())}: not received {len(not_received)}, twice "
      f"{len(received_twice)} (same Message-ID; at most {SENDERS} allowed: the killed instance's "
      f"senders' messages in hand), more than twice {sum(1 for n in received.values() if n > 2)}, "
      f"unknown {strangers}")
ok = (not lost and not twice and not summary["other"] and moved > 0 and skipped == 0
      and still_due == 0 and unsent == 0 and not not_received
      and len(received_twice) <= SENDERS and all(n <= 2 for n in received.values())
      and strangers == 0)
print("RESULT:", "no notice or e-mail skipped; none sent twice but the killed instance's "
      f"{len(received_twice)} in hand" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
