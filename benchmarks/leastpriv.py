"""Benchmark of ``orgkit.leastpriv.suggest`` (statuses, proposal, proof with ``orgkit.diff``) on a synthetic organisation.

    python benchmarks/leastpriv.py [--accounts 1000] [--ous 50] [--repeat 2]

Builds the organisation with :class:`orgkit.testing.SnapshotSpec` (seeded; not committed): ``--ous`` OUs under the
root, the accounts spread over them, FullAWSAccess everywhere; a hand-made ``service_access`` frame with one row per
(account, service namespace of the catalog): each account uses 5 to 40 services within 90 days, 10% of the rest
earlier, the rest never, and 5% of the accounts joined within the window. Times ``suggest`` for the root (every
account) and for the largest OU (best of ``--repeat``, wall and CPU of the process; the machine is shared), with the
machine and the load average, and checks that the proof holds.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--ous", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()

    import pandas as pd

    import orgkit.leastpriv as lp
    from leastpriv_fixture import REF, service_access
    from orgkit.scp import default_catalog
    from orgkit.testing import SnapshotSpec

    rnd = random.Random(21)
    services = sorted(set(default_catalog().frame["service"].dropna()))
    sb = SnapshotSpec()
    ous = [sb.ou(f"OU{i:03d}") for i in range(a.ous)]
    accs = [sb.account(f"A{i:05d}", parent=ous[i % len(ous)]) for i in range(a.accounts)]
    with tempfile.TemporaryDirectory() as d:
        org = sb.load(Path(d) / "snap")
    usage = {}
    for aid in accs:
        used = set(rnd.sample(services, rnd.randint(5, 40)))
        usage[aid] = {s: (rnd.randint(0, 89) if s in used else rnd.randint(91, 400) if rnd.random() < 0.1 else None)
                      for s in services}
    t = time.perf_counter()
    org.frames["service_access"] = service_access(org, usage)
    build = time.perf_counter() - t
    acc = org.frames["accounts"].copy()
    acc["joined_at"] = [REF - pd.Timedelta(days=10 if rnd.random() < 0.05 else 400) for _ in range(len(acc))]
    org.frames["accounts"] = acc
    org.access_reports_collected = True
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}; {a.accounts} accounts in {a.ous} OUs, {len(services)} services, "
          f"{len(org.frames['service_access']):,} report rows (built in {build:.1f} s)")
    for target in (org.root_id, ous[0]):
        best = None
        for _ in range(a.repeat):
            w, c = time.perf_counter(), time.process_time()
            s = lp.suggest(org, target, days=90, exceptions=["role/BreakGlass"])
            w, c = time.perf_counter() - w, time.process_time() - c
            best = min(best or (w, c), (w, c))
        vc = s.services["status"].value_counts().to_dict()
        print(f"suggest {target}: {len(s.services.attrs['accounts'])} accounts, wall {best[0]:.2f} s, CPU {best[1]:.2f} s; "
              f"{vc}; {len(s.policies)} SCP(s), ready={s.ready}, proof rows {0 if s.proof is None else len(s.proof):,}; "
              f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
