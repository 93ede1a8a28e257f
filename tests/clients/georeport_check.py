"""Reads a live minxin's Open311 endpoint with the `georeport` client from PyPI, in JSON and XML.

Usage: georeport_check.py ROOT (e.g. http://127.0.0.1:8890/open311/v2). Exits non-zero, naming
what was wrong, when the client cannot read something or reads something unexpected.
"""

import sys

from georeport import GeoReport


def check(root: str, fmt: str) -> None:
    client = GeoReport(root, jurisdiction="anshan", output_format=fmt)
    services = client.get_service_list()
    assert len(services) > 10, f"{fmt}: only {len(services)} services"
    codes = {s["service_code"] for s in services}
    assert "03.01.01" in codes, f"{fmt}: 03.01.01 missing from {sorted(codes)[:5]}…"
    heating = next(s for s in services if s["service_code"] == "03.01.01")
    assert heating["service_name"] == "室温不达标", heating

    definition = client.get_service_definition("03.01.01")
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict keeps the list under its item element
        attributes = attributes["attribute"]
    names = [a["code"] for a in attributes]
    assert names[:3] == ["division_code", "kind", "confidential"], names
    assert "indoor_temperature" in names, names

    requests = client.get_service_requests(status="open")
    if fmt == "xml" and isinstance(requests, dict):
        requests = [requests]
    assert len(requests) >= 3, f"{fmt}: {len(requests)} open requests"
    for r in requests:
        assert r["status"] == "open", r
    ours = [r for r in requests if r.get("service_code") == "03.01.01"]
    assert ours, f"{fmt}: no open heating request among {len(requests)}"

    one = client.get_service_request(ours[0]["service_request_id"])
    assert one["service_request_id"] == ours[0]["service_request_id"], one
    assert one["status"] == "open", one
    assert one["agency_responsible"], one
    for secret in ("13912345678", "王小明"):
        assert secret not in str(one), f"{fmt}: personal data in {one}"
    print(f"georeport ({fmt}): {len(services)} services, {len(requests)} open requests, read {one['service_request_id']}")


if __name__ == "__main__":
    root = sys.argv[1]
    for fmt in ("json", "xml"):
        check(root, fmt)
