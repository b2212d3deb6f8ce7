"""Collector benchmark: wall time, API calls and calls per account.

1. ``moto``: an organisation of N accounts x R regions built in the local AWS (moto server + orgkit extension),
   collected over HTTP. moto's own CPU cost dominates here (about 150-180 calls/s on 2 cores).
2. ``latency``: N accounts x 17 regions against benchmarks/fakeaws.py, which answers every call after a simulated
   AWS latency (default 100 ms) with no CPU cost of its own: what is measured is the collector's economy (calls
   per account) and overlap (calls in flight).

    python benchmarks/collect.py moto --accounts 50 --regions 4
    python benchmarks/collect.py latency --accounts 1000 --regions 17 --latency 0.1 --workers 64
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
for _k in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_k, None)

from orgkit.aws.collect import collect  # noqa: E402
from orgkit.aws.session import SessionFactory  # noqa: E402

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "us-east-2", "eu-west-2",
           "ap-northeast-1"]


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def scenario(n: int, regions: list[str]) -> dict:
    accounts = [{"key": "security", "name": "Security", "ou": "Security"}]
    for i in range(n - 2):
        accounts.append({"key": f"a{i}", "name": f"Account {i}", "ou": ["Prod", "Dev", "Sandbox"][i % 3]})
    return {
        "name": "bench", "seed": 1, "regions": regions,
        "service_access": ["account.amazonaws.com", "guardduty.amazonaws.com", "cloudtrail.amazonaws.com"],
        "ous": {"Security": {}, "Prod": {}, "Dev": {}, "Sandbox": {}}, "accounts": accounts,
        "trails": [{"account": "management", "name": "org", "organization": True}]
        + [{"account": f"a{i}", "name": f"trail-{i}"} for i in range(0, n - 2, 10)],
        "guardduty": {"detectors": [{"account": "security", "regions": regions}],
                      "org_admin": {"account": "security", "regions": regions},
                      "auto_enable": {r: "ALL" for r in regions}},
    }


def report(label: str, n: int, seconds: float, factory: SessionFactory) -> None:
    calls = factory.calls.total
    by_op = Counter({f"{s}:{o}": c for (s, o), c in factory.calls.counts.items()})
    print(f"{label}: {n} accounts, {seconds:.1f} s wall, {calls} API calls, {calls / n:.1f} calls/account, "
          f"{calls / seconds:.0f} calls/s, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    for op, c in by_op.most_common(8):
        print(f"    {op:<50} {c}")


def run_moto(a: argparse.Namespace) -> None:
    from orgkit.localaws.scenario import build
    from orgkit.localaws.server import LocalAWS

    regions = REGIONS[: a.regions]
    with LocalAWS() as aws, tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        build(aws.endpoint_url, scenario(a.accounts, regions))
        print(f"built {a.accounts} accounts x {len(regions)} regions in {time.monotonic() - t:.1f} s")
        factory = SessionFactory(endpoint_url=aws.endpoint_url, max_pool=a.workers + 4)
        t = time.monotonic()
        collect(Path(tmp) / "snap", factory=factory, regions=regions, workers=a.workers, progress=False)
        report(f"moto, {a.workers} workers", a.accounts, time.monotonic() - t, factory)


def run_latency(a: argparse.Namespace) -> None:
    from benchmarks_fakeaws import ALL_REGIONS  # type: ignore  # noqa: F401  (path set below)

    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fakeaws.py")), "--accounts",
                             str(a.accounts), "--regions", str(a.regions), "--latency", str(a.latency)],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().strip().split("=")[1])
        ep = f"http://127.0.0.1:{port}"
        for workers in a.workers_list:
            factory = SessionFactory(endpoint_url=ep, max_pool=workers + 4)
            with tempfile.TemporaryDirectory() as tmp:
                t = time.monotonic()
                collect(Path(tmp) / "snap", factory=factory, regions=ALL_REGIONS[: a.regions], workers=workers,
                        progress=False)
                report(f"latency {a.latency * 1000:.0f} ms, {workers} workers", a.accounts, time.monotonic() - t,
                       factory)
    finally:
        proc.terminate()
        proc.wait(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("moto")
    m.add_argument("--accounts", type=int, default=50)
    m.add_argument("--regions", type=int, default=4)
    m.add_argument("--workers", type=int, default=16)
    lat = sub.add_parser("latency")
    lat.add_argument("--accounts", type=int, default=1000)
    lat.add_argument("--regions", type=int, default=17)
    lat.add_argument("--latency", type=float, default=0.1)
    lat.add_argument("--workers", dest="workers_list", type=int, nargs="+", default=[64])
    a = ap.parse_args()
    print(machine())
    (run_moto if a.mode == "moto" else run_latency)(a)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    import importlib

    sys.modules["benchmarks_fakeaws"] = importlib.import_module("fakeaws")
    main()
