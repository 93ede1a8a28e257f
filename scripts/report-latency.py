#!/usr/bin/env python3
"""Latency of the report endpoints over HTTP, p50 and p95, against a running minxin.

    scripts/report-latency.py [--base http://127.0.0.1:8890] [--user supervisor]
                              [--password minxin-demo] [--n 50]

Logs in as a supervisor, then calls each report N times in turn (one client, sequential, after
one warm-up call each) and prints one line per report. Standard library only.
"""

import argparse
import datetime
import json
import statistics
import time
import urllib.request


def call(url, token=None, body=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=600) as resp:
        return resp.status, resp.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8890")
    ap.add_argument("--user", default="supervisor")
    ap.add_argument("--password", default="minxin-demo")
    ap.add_argument("--n", type=int, default=50)
    args = ap.parse_args()

    _, body = call(f"{args.base}/api/v1/auth/login", body={"username": args.user, "password": args.password})
    token = json.loads(body)["token"]
    today = datetime.date.today()
    year_ago = today - datetime.timedelta(days=364)
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    reports = {
        "summary, 12 months by department": f"/api/v1/reports/summary?from={year_ago}&to={today}&group_by=department",
        "summary, 12 months by department x month": f"/api/v1/reports/summary?from={year_ago}&to={today}&group_by=department,month",
        "summary, 12 months by category x district": f"/api/v1/reports/summary?from={year_ago}&to={today}&group_by=category,district",
        "summary, 12 months by department x category": f"/api/v1/reports/summary?from={year_ago}&to={today}&group_by=department,category",
        "summary, 12 months by department, CSV": f"/api/v1/reports/summary?from={year_ago}&to={today}&group_by=department&format=csv",
        f"ranking, {last_month}": f"/api/v1/reports/ranking?period={last_month}",
        f"hotspots, {last_month}, streets": f"/api/v1/reports/hotspots?period={last_month}&level=street",
    }
    for name, path in reports.items():
        status, _ = call(args.base + path, token)
        assert status == 200, (name, status)
        times = []
        for _ in range(args.n):
            started = time.perf_counter()
            call(args.base + path, token)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[max(0, round(0.95 * (len(times) - 1)))]
        print(f"{name}: n = {len(times)}, p50 = {statistics.median(times):.1f} ms, p95 = {p95:.1f} ms")


if __name__ == "__main__":
    main()
