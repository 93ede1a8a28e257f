"""The client of scripts/fault-db-restart.sh: files appeals from several threads for a while and,
like a careful integration, retries a filing that got no answer or a 503 with the same
Idempotency-Key until it gets a 201. Prints one JSON summary: what was filed (key and tracking
number), how many attempts failed and how, and when the answers stopped and resumed.

Usage: fault_client.py BASE_URL[,BASE_URL…] SECONDS THREADS OUT.json

With several base URLs (instances), each thread starts on one and moves to the next after a
failed attempt, as a load balancer would. With FAULT_EMAIL set, every filing gives that e-mail
address (so each one puts a receipt in the outbox).
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

bases, seconds, threads, out_path = sys.argv[1].split(","), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
deadline = time.monotonic() + seconds
lock = threading.Lock()
filed = []          # (key, tracking_no)
failures = {}       # kind -> count
outage = []         # (time of a failed attempt)
other = []          # unexpected answers


def body(n):
    appeal = {
        "appellant_kind": "citizen", "kind": "complaint", "channel": "hotline",
        "title": "小区暖气不热", "content": f"室温只有14度，已持续一周。故障演练 {n}",
        "category_code": "03.01.01", "division_code": "210302001",
        "name": "市民", "phone": "13912345678", "confidential": False,
    }
    if os.environ.get("FAULT_EMAIL"):
        appeal["email"] = os.environ["FAULT_EMAIL"]
    return json.dumps(appeal).encode()


def worker(i):
    n = 0
    at = i % len(bases)
    while time.monotonic() < deadline:
        n += 1
        key = str(uuid.uuid4())
        data = body(f"{i}-{n}")
        while True:  # the same filing until it is acknowledged
            req = urllib.request.Request(f"{bases[at]}/api/v1/appeals", data=data, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Idempotency-Key": key})
            wait = 0.2
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    answer = json.load(resp)
                    with lock:
                        filed.append((key, answer["tracking_no"]))
                    break
            except urllib.error.HTTPError as e:
                kind = str(e.code)
                if e.code != 503:
                    with lock:
                        other.append((e.code, e.read().decode()[:200]))
                    break
                wait = float(e.headers.get("Retry-After", "1"))
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                kind = type(getattr(e, "reason", e)).__name__
            where = f"{kind} from {bases[at]}" if len(bases) > 1 else kind
            with lock:
                failures[where] = failures.get(where, 0) + 1
                outage.append(time.time())
            at = (at + 1) % len(bases)
            time.sleep(min(wait, 2.0))


pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
json.dump({"filed": filed, "failures": failures, "other": other,
           "first_failure": min(outage) if outage else None,
           "last_failure": max(outage) if outage else None}, open(out_path, "w"))
print(f"filed {len(filed)}, failed attempts {failures}, unexpected answers {len(other)}")
