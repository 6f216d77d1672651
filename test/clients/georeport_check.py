"""Reads Linli's Open311 facade with the PyPI GeoReport v2 client (georeport), in JSON and XML.

Usage: georeport_check.py <root e.g. http://127.0.0.1:PORT/open311/v2> <service_request_id>
Prints one JSON object with what the client read; any client error exits non-zero.
"""
import json
import sys

from georeport import GeoReport

root, number = sys.argv[1], sys.argv[2]
out = {}
for fmt in ("json", "xml"):
    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    definition = client.get_service_definition(services[0]["service_code"])
    requests = client.get_service_requests()
    if isinstance(requests, dict):  # xmltodict gives a dict for a single <request>
        requests = [requests]
    one = client.get_service_request(number)
    out[fmt] = {
        "service_codes": [s["service_code"] for s in services],
        "service_names": [s["service_name"] for s in services],
        "definition_code": definition["service_code"],
        "request_ids": [r["service_request_id"] for r in requests],
        "one": {k: one.get(k) for k in ("service_request_id", "status", "address", "lat", "long")},
    }
print(json.dumps(out, ensure_ascii=False))
