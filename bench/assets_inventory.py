"""Benchmark: inventory uploads per second against a running server (target: 100/s on 2 cores).

    # a server on PostgreSQL, e.g. gunicorn -w 4 samdrift.wsgi, with an agent key created in the UI
    .venv/bin/python bench/assets_inventory.py --url http://127.0.0.1:8000/inventory/<key>/ \\
        --devices 500 --uploads 2000 --concurrency 16

1. Prepares --devices agent payloads from tests/assets/data/fusioninventory-local.xml, each with
   its own DEVICEID, host name and MAC address, compressed as the agent sends them.
2. Sends --uploads INVENTORY requests (round-robin over the devices, so after the first round every
   upload is a repeat report of a known device, as in production) from --concurrency threads.
3. Prints uploads per second, p50/p95/max latency and the status codes seen.

The first round lands in triage (unknown devices); register a few as assets to bench matching.
Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxml import etree

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "assets" / "data" / "fusioninventory-local.xml"


def payloads(devices: int) -> list[bytes]:
    root = etree.fromstring(SAMPLE.read_bytes())
    out = []
    for i in range(devices):
        root.find("DEVICEID").text = f"bench-{i}"
        root.find("CONTENT/HARDWARE/NAME").text = f"bench-{i}"
        for n, mac in enumerate(root.iterfind("CONTENT/NETWORKS/MACADDR")):
            mac.text = f"02:be:{i >> 8 & 255:02x}:{i & 255:02x}:{n & 255:02x}:01"
        out.append(zlib.compress(etree.tostring(root, xml_declaration=True, encoding="UTF-8")))
    return out


def send(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-compress-zlib"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError):  # a timeout or a dropped connection: counted, not fatal
        status = 0
    return status, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the agent URL with its key")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    bodies = payloads(args.devices)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(lambda i: send(args.url, bodies[i % len(bodies)]), range(args.uploads)))
    elapsed = time.perf_counter() - started
    latencies = sorted(r[1] for r in results)
    codes = Counter(r[0] for r in results)
    print(f"uploads: {args.uploads} from {args.devices} devices, concurrency {args.concurrency}")
    print(f"throughput: {args.uploads / elapsed:.1f} uploads/s ({elapsed:.1f} s)")
    print(
        f"latency: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"status codes: {dict(codes)} (0: timed out or connection lost)")


if __name__ == "__main__":
    main()
