"""Collector benchmark: wall time, CPU, API calls, calls per account, and a check of every cell.

1. ``moto``: an organisation of N accounts x R regions built in the local AWS (moto server + orgkit extension),
   collected over HTTP. moto's own CPU cost dominates here (about 150-180 calls/s on 2 cores).
2. ``latency``: N accounts x 17 regions against benchmarks/fakeaws.py, which answers every call after a simulated
   AWS latency (default 100 ms) at little CPU cost of its own: what is measured is the collector's economy (calls
   per account), overlap (calls in flight) and its own CPU. Every (account, region) cell of the snapshot, GuardDuty
   and CloudTrail, is compared with the fake's ground truth (``FakeOrg.truth``); a wrong or missing cell fails.
   ``--baseline`` first runs the usual account-by-account loop (Prowler's shape: accounts one after another, the
   regions of each in parallel, the same read calls) against the same endpoint, for a side-by-side figure.
   ``--throttle-rate R`` makes the fake throttle each (account, service) beyond R calls per second.

    python benchmarks/collect.py moto --accounts 50 --regions 4
    python benchmarks/collect.py moto --accounts 100 --regions 1 --access-reports
    python benchmarks/collect.py latency --accounts 300 --baseline
    python benchmarks/collect.py latency --accounts 1000
    python benchmarks/collect.py latency --accounts 1000 --access-reports
    python benchmarks/collect.py latency --accounts 300 --throttle-rate 5
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
for _k in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_k, None)
sys.path.insert(0, str(Path(__file__).parent))

from fakeaws import ALL_REGIONS, FakeOrg  # noqa: E402

from orgkit.aws import services as S  # noqa: E402
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
    import botocore

    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, botocore {botocore.__version__}"


def load() -> str:
    return "load %.1f/%.1f/%.1f" % os.getloadavg()


def proc_cpu(pid: int) -> float:
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """Wall time, this process's CPU, its reaped children's CPU (the collector's worker processes), load."""

    def __enter__(self) -> "Meter":
        self.load0 = load()
        self.t = time.monotonic()
        self.own = time.process_time()
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.kids = ch.ru_utime + ch.ru_stime
        return self

    def __exit__(self, *a) -> None:
        self.wall = time.monotonic() - self.t
        self.cpu = time.process_time() - self.own
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.worker_cpu = ch.ru_utime + ch.ru_stime - self.kids
        self.load1 = load()

    def line(self) -> str:
        return (f"{self.wall:.1f} s wall, CPU {self.cpu:.1f} s here + {self.worker_cpu:.1f} s in worker processes, "
                f"{self.load0} before, {self.load1} after")


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


def report(label: str, n: int, m: Meter, factory: SessionFactory) -> None:
    calls = factory.calls.total
    by_op = Counter({f"{s}:{o}": c for (s, o), c in factory.calls.counts.items()})
    retries = sum(getattr(factory.calls, "retries", {}).values())  # (older collectors did not count them)
    print(f"{label}: {n} accounts, {m.line()}, {calls} API calls ({calls / n:.1f}/account, "
          f"{calls / m.wall:.0f}/s), {retries} retries, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
          f"(workers {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB)", flush=True)
    for op, c in by_op.most_common(6):
        print(f"    {op:<50} {c}")


def check_cells(snap: Path, fake: FakeOrg) -> None:
    """Every (account, region) cell against the fake's ground truth: GuardDuty and CloudTrail status."""
    import orgkit
    from orgkit.coverage.cloudtrail import cloudtrail_coverage
    from orgkit.coverage.guardduty import guardduty_coverage

    org = orgkit.load(snap)
    got_gd = {(a, r): s for a, r, s in guardduty_coverage(org)[["account_id", "region", "status"]].itertuples(index=False)}
    got_ct = {(a, r): s for a, r, s in cloudtrail_coverage(org)[["account_id", "region", "status"]].itertuples(index=False)}
    truth = fake.truth()
    wrong = [(k, want, (got_gd.get(k), got_ct.get(k))) for k, want in truth.items()
             if (got_gd.get(k), got_ct.get(k)) != want]
    extra = (set(got_gd) | set(got_ct)) - set(truth)
    print(f"    cells checked: {2 * len(truth)} (GuardDuty and CloudTrail x {len(truth)} account-regions), "
          f"wrong or missing: {len(wrong)}, unexpected: {len(extra)}, errors recorded: {len(org.errors)}")
    for k, want, got in wrong[:5]:
        print(f"      {k}: expected {want}, got {got}")
    if wrong or extra:
        raise SystemExit("cell check failed")


def baseline(ep: str, regions: list[str], workers_per_account: int) -> tuple[Meter, SessionFactory, int]:
    """The usual loop: for each account in turn, its role, its regions, CloudTrail, then GuardDuty in every enabled
    region in parallel (the same read calls orgkit makes for an account it knows nothing about)."""
    f = SessionFactory(endpoint_url=ep, max_pool=workers_per_account + 4)
    cells = 0
    with Meter() as m:
        f.identity()
        org = f.caller_client("organizations")
        accounts = []
        pool = ThreadPoolExecutor(workers_per_account)
        frontier = [r["Id"] for r in S.get_roots(org)]
        while frontier:  # the tree level by level, in parallel (not what is compared)
            level = list(pool.map(lambda p: (S.get_child_ous(org, p), S.get_child_accounts(org, p)), frontier))
            frontier = [o["Id"] for ous, _ in level for o in ous]
            accounts += [a["Id"] for _, accts in level for a in accts]
        for aid in sorted(accounts):
            own = aid == f.caller_account
            if not own:
                f.credentials_for(aid)
            regs = S.get_regions(f.caller_client("account"), None if own else aid)
            ct = f.client(aid, "cloudtrail")
            for t in S.get_trail_list(ct):
                if t["TrailARN"].split(":")[4] == aid:
                    S.get_trails(ct, [t["TrailARN"]])
                    S.get_trail_status(ct, t["TrailARN"])
                    S.get_event_selectors(ct, t["TrailARN"])

            def region(reg: str, aid: str = aid) -> None:
                gd = f.client(aid, "guardduty", reg)
                ids = S.get_detector_ids(gd)
                for i in ids:
                    S.get_detector(gd, i)
                    S.get_administrator(gd, i)

            on = [r["RegionName"] for r in regs if r["RegionOptStatus"] != "DISABLED" and r["RegionName"] in regions]
            cells += len(on)
            list(pool.map(region, on))
        pool.shutdown()
    return m, f, len(accounts)


def run_moto(a: argparse.Namespace) -> None:
    from orgkit.localaws.scenario import build
    from orgkit.localaws.server import LocalAWS

    regions = REGIONS[: a.regions]
    with LocalAWS() as aws, tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        build(aws.endpoint_url, scenario(a.accounts, regions))
        print(f"built {a.accounts} accounts x {len(regions)} regions in {time.monotonic() - t:.1f} s")
        factory = SessionFactory(endpoint_url=aws.endpoint_url, max_pool=a.workers + 4)
        with Meter() as m:
            collect(Path(tmp) / "snap", factory=factory, regions=regions, workers=a.workers, progress=False)
        report(f"moto, {a.workers} workers", a.accounts, m, factory)
        if a.access_reports:  # the same collection again, with IAM's Organizations access reports
            import orgkit

            factory = SessionFactory(endpoint_url=aws.endpoint_url, max_pool=a.workers + 4)
            with Meter() as m:
                collect(Path(tmp) / "snap2", factory=factory, regions=regions, workers=a.workers, progress=False,
                        access_reports=True)
            report(f"moto, {a.workers} workers, --access-reports", a.accounts, m, factory)
            org = orgkit.load(Path(tmp) / "snap2")
            rd = org.reads[org.reads["service"] == "access_reports"]
            gen = factory.calls.counts[("iam", "GenerateOrganizationsAccessReport")]
            get = factory.calls.counts[("iam", "GetOrganizationsAccessReport")]
            print(f"    access reports: {len(rd)} jobs ({(rd['status'] == 'ok').sum()} read), {gen} Generate + "
                  f"{get} Get calls, {len(org.service_access)} service_access rows", flush=True)


def run_latency(a: argparse.Namespace) -> None:
    cmd = [sys.executable, str(Path(__file__).with_name("fakeaws.py")), "--accounts", str(a.accounts), "--regions",
           str(a.regions), "--latency", str(a.latency), "--throttle-rate", str(a.throttle_rate)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    fake = FakeOrg(a.accounts, a.regions)
    regions = ALL_REGIONS[: a.regions]
    try:
        port = int(proc.stdout.readline().strip().split("=")[1])
        ep = f"http://127.0.0.1:{port}"
        if a.baseline:
            s0 = proc_cpu(proc.pid)
            m, f, n = baseline(ep, regions, a.regions)
            report("account-by-account loop (regions in parallel)", n, m, f)
            print(f"    fake AWS CPU {proc_cpu(proc.pid) - s0:.1f} s")
        for workers in a.workers_list:
            kw = {} if workers is None else {"workers": workers}
            if a.processes is not None:
                kw["processes"] = a.processes
            fkw = {} if workers is None else {"max_pool": workers + 4}
            if a.no_lean_http:
                fkw["lean_http"] = False
            factory = SessionFactory(endpoint_url=ep, **fkw)
            with tempfile.TemporaryDirectory() as tmp:
                s0 = proc_cpu(proc.pid)
                if a.access_reports:
                    kw["access_reports"] = True
                with Meter() as m:
                    collect(Path(tmp) / "snap", factory=factory, regions=regions, progress=False, **kw)
                label = f"orgkit collect ({'default settings' if workers is None else f'{workers} workers'}"
                label += ", --access-reports" if a.access_reports else ""
                label += "" if a.processes is None else f", processes={a.processes}"
                label += ", urllib3" if a.no_lean_http else ""
                report(label + ")", a.accounts, m, factory)
                print(f"    fake AWS CPU {proc_cpu(proc.pid) - s0:.1f} s")
                check_cells(Path(tmp) / "snap", fake)
                if a.access_reports:
                    import orgkit

                    org = orgkit.load(Path(tmp) / "snap")
                    rd = org.reads[org.reads["service"] == "access_reports"]
                    print(f"    access reports: {len(rd)} jobs ({(rd['status'] == 'ok').sum()} read), "
                          f"{factory.calls.counts[('iam', 'GenerateOrganizationsAccessReport')]} Generate + "
                          f"{factory.calls.counts[('iam', 'GetOrganizationsAccessReport')]} Get calls, "
                          f"{len(org.service_access)} service_access rows", flush=True)
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
    m.add_argument("--access-reports", action="store_true",
                   help="collect a second time with --access-reports and report the difference")
    lat = sub.add_parser("latency")
    lat.add_argument("--accounts", type=int, default=1000)
    lat.add_argument("--regions", type=int, default=17)
    lat.add_argument("--latency", type=float, default=0.1)
    lat.add_argument("--workers", dest="workers_list", type=int, nargs="+", default=[None],
                     help="collector workers to try (default: the collector's default)")
    lat.add_argument("--processes", type=int, default=None, help="worker processes (default: the collector's choice)")
    lat.add_argument("--baseline", action="store_true", help="first run the account-by-account loop")
    lat.add_argument("--no-lean-http", action="store_true", help="send through urllib3 (botocore's own session)")
    lat.add_argument("--access-reports", action="store_true",
                     help="collect with --access-reports (the fake answers IAM's Organizations access reports)")
    lat.add_argument("--throttle-rate", type=float, default=0.0,
                     help="the fake throttles each (account, service) beyond this many calls/s (0: never)")
    a = ap.parse_args()
    print(machine(), load())
    (run_moto if a.mode == "moto" else run_latency)(a)


if __name__ == "__main__":
    main()
