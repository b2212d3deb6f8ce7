"""Benchmark of tamper protection (``orgkit.scp.tamper_protection``, what ``orgkit scp tamper`` computes) on a
snapshot (default: the BEFORE snapshot of benchmarks/diff.py, built at ``--accounts`` × ``--regions`` when no
snapshot is given).

    python benchmarks/tamper.py [SNAPSHOT] [--accounts 1500] [--regions 17] [--repeat 3] [--principal role/Dev]

Times ``orgkit.load`` and then ``scp.tamper_protection(org, principal=…)`` (best of ``--repeat``; wall and CPU time
of the process: the machine is shared), with the verdict counts, the machine and the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("snapshot", nargs="?")
    ap.add_argument("--accounts", type=int, default=1500)
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--principal", default=None, help="persona or ARN (default: any principal)")
    ap.add_argument("--owned-storage", action="store_true",
                    help="after loading, make every trail's S3 bucket (and a KMS key, one per trail) owned by the "
                         "account of its trail, all bucket lists read: every trail_storage answer is then asked of "
                         "the engine (the built snapshot lists no buckets, so their owners are unknown)")
    args = ap.parse_args()
    import orgkit
    from orgkit import scp

    path = args.snapshot
    if path is None:
        sys.path.insert(0, os.path.dirname(__file__))
        import diff as bench_diff  # benchmarks/diff.py builds the organisation

        tmp = Path(tempfile.mkdtemp(prefix="orgkit-tamper-bench-"))
        path = bench_diff.build(args.accounts, args.regions, tmp / "before", after=False)
    t0 = time.perf_counter()
    org = orgkit.load(path)
    print(f"orgkit.load: {time.perf_counter() - t0:.2f} s ({len(org.accounts)} accounts)")
    if args.owned_storage:
        import pandas as pd

        tr = org.frames["trails"]
        tr["s3_bucket"] = [f"{b}-{a}" for b, a in zip(tr["s3_bucket"], tr["account_id"].astype(str))]
        tr["kms_key_id"] = [f"arn:aws:kms:us-east-1:{a}:key/{i:08d}-0000-0000-0000-000000000000"
                            for i, a in enumerate(tr["account_id"].astype(str))]
        owned = pd.DataFrame({"account_id": tr["account_id"].astype(str), "bucket": tr["s3_bucket"]})
        org.frames["buckets"] = owned.drop_duplicates("bucket")
        org.frames["bucket_reads"] = pd.DataFrame({"account_id": org.accounts["account_id"].astype(str),
                                                   "status": "ok", "error": None})
        print(f"owned storage: {owned['bucket'].nunique()} buckets and {len(tr)} keys, each in its trail's account "
              f"(trails.is org.frames['trails']: {org.trails is tr})")
    walls, cpus = [], []
    for _ in range(args.repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        t = scp.tamper_protection(org, principal=args.principal)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    print(f"scp.tamper_protection(principal={args.principal!r}): wall best {min(walls):.2f} s, runs "
          f"{', '.join(f'{w:.2f}' for w in walls)}; CPU best {min(cpus):.2f} s")
    for k in t.attrs.get("protected_resources", []):
        print(f"  {k}: " + ", ".join(f"{v} {n}" for v, n in t[k].astype(str).value_counts().items()))
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
