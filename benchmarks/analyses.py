"""How each whole-organisation analysis grows with the organisation: 1k, 5k and 10k accounts x 17 regions.

    python benchmarks/analyses.py [--sizes 1000 5000 10000] [--regions 17] [--budget 120]

For each size a synthetic snapshot (benchmarks/coverage.py's ``build``, with SCPs) is written to a temporary
directory and loaded; then every whole-organisation function is timed once (CPU time of this process and wall
time; the machine is shared: compare CPU). The growth exponent between the smallest and the largest size is
log(t_large / t_small) / log(n_large / n_small): 1 is linear, 2 quadratic. A function whose time at one size
projects (quadratically) past ``--budget`` seconds at the next is not run there (shown as ``skipped``).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from coverage import build  # noqa: E402


def steps(org):
    """(name, function) for every whole-organisation function: coverage, summaries, notebooks' helpers, SCPs,
    the GuardDuty migration."""
    from orgkit import coverage as cov
    from orgkit import scp
    from orgkit.coverage import report
    from orgkit.guardduty import notebook as gnb
    from orgkit.guardduty import state as gstate
    from orgkit.guardduty.plan import plan_migration
    from orgkit.guardduty.render import terraform
    from orgkit.scp import notebook as snb

    memo: dict = {}

    def keep(name, fn):
        def run():
            memo[name] = fn()
            return memo[name]
        return run

    def need(name, fn):
        if name not in memo:
            memo[name] = fn()
        return memo[name]

    ct = lambda: need("ct", lambda: cov.cloudtrail_coverage(org))  # noqa: E731
    gd = lambda: need("gd", lambda: cov.guardduty_coverage(org))  # noqa: E731
    dup = lambda: need("dup", lambda: cov.duplicates(org))  # noqa: E731
    ev = lambda: need("ev", lambda: scp.evaluator(org))  # noqa: E731
    plan = lambda: need("plan", lambda: plan_migration(org))  # noqa: E731
    ou = org.ous.loc[org.ous["name"] == "Prod", "ou_id"].iloc[0]
    return [
        ("coverage: cloudtrail_coverage", keep("ct", lambda: cov.cloudtrail_coverage(org))),
        ("coverage: guardduty_coverage", keep("gd", lambda: cov.guardduty_coverage(org))),
        ("coverage: trail_inventory", lambda: cov.trail_inventory(org)),
        ("coverage: duplicates", keep("dup", lambda: cov.duplicates(org))),
        ("coverage: summary by account", lambda: cov.summary(org, cloudtrail=ct(), guardduty=gd())),
        ("coverage: summary by OU", lambda: cov.summary(org, by="ou", cloudtrail=ct(), guardduty=gd())),
        ("coverage: gaps", lambda: cov.gaps(org, cloudtrail=ct(), guardduty=gd())),
        ("notebook 01: status_counts by region", lambda: report.status_counts(gd(), by="region", margins=True)),
        ("notebook 01: not_covered", lambda: report.not_covered(ct())),
        ("notebook 01: guardduty_regions", lambda: report.guardduty_regions(org, gd())),
        ("notebook 01: accounts_without_guardduty", lambda: report.accounts_without_guardduty(gd())),
        ("notebook 01: cost_assumptions", lambda: report.cost_assumptions(dup())),
        ("notebook 01: unknown_cells", lambda: report.unknown_cells(cloudtrail=ct(), guardduty=gd())),
        ("scp: evaluator (compile, chains)", keep("ev", lambda: scp.evaluator(org))),
        ("scp: can cloudtrail:StopLogging", lambda: scp.can(ev(), "cloudtrail:StopLogging")),
        ("scp: matrix, every catalog action", lambda: scp.matrix(ev(), principal="role/Dev").codes()),
        ("scp: tamper_protection", keep("tamper", lambda: scp.tamper_protection(ev()))),
        ("scp: lint", lambda: scp.lint(ev())),
        ("scp: what-if (detach ProtectSecurity from Prod)",
         lambda: scp.WhatIf(ev()).detach(_policy(org, "ProtectSecurity"), ou).summary()),
        ("notebook 02: tamper_coverage", lambda: snb.tamper_coverage(org, tamper=need("tamper", lambda: scp.tamper_protection(ev())))),
        ("guardduty: current_state", lambda: gstate.current_state(org)),
        ("guardduty: administrators", lambda: gstate.administrators(org)),
        ("guardduty: member_ties", lambda: gstate.member_ties(org)),
        ("guardduty: plan_migration", keep("plan", lambda: plan_migration(org))),
        ("guardduty: terraform(plan)", lambda: terraform(plan())),
        ("notebook 03: status_table", lambda: gnb.status_table(plan())),
        ("notebook 03: invitation_arithmetic", lambda: gnb.invitation_arithmetic(org, plan())),
        ("notebook 03: tie_summary", lambda: gnb.tie_summary(plan())),
        ("notebook 03: plan_steps", lambda: gnb.plan_steps(plan(), styled=False)),
        ("notebook 03: issues_table", lambda: gnb.issues_table(plan())),
        ("notebook 03: verify_checks", lambda: gnb.verify_checks(plan())),
    ]


def _policy(org, name: str) -> str:
    p = org.policies
    return p.loc[p["name"] == name, "policy_id"].iloc[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--budget", type=float, default=120.0)
    ap.add_argument("--only", help="run only the steps whose name contains this")
    a = ap.parse_args()
    import botocore  # noqa: F401  (versions line)
    import pandas as pd

    from orgkit.model import load

    print(f"{os.cpu_count()} cores, Python {platform.python_version()}, pandas {pd.__version__}", flush=True)
    table: dict[str, dict[int, tuple[float, float] | None]] = {}
    for n in a.sizes:
        tmp = Path(tempfile.mkdtemp(prefix="orgkit-growth-"))
        try:
            snap = build(n, a.regions, tmp / "snap", scps=True)
            t, c = time.perf_counter(), time.process_time()
            org = load(snap)
            table.setdefault("load (read, verify, frames)", {})[n] = (time.process_time() - c, time.perf_counter() - t)
            print(f"\n{n} accounts x {a.regions} regions, load {os.getloadavg()[0]:.1f}: load "
                  f"{time.perf_counter() - t:.2f} s", flush=True)
            for name, fn in steps(org):
                if a.only and a.only not in name:
                    continue
                row = table.setdefault(name, {})
                prev = [(m, v) for m, v in row.items() if v]
                if name.startswith("notebook 03") or name.startswith("guardduty: terraform"):
                    if table.get("guardduty: plan_migration", {}).get(n) is None:  # they need the plan
                        row[n] = None
                        print(f"  {name:52} skipped (needs the plan)", flush=True)
                        continue
                if prev:
                    m, (pc, _) = prev[-1]
                    if pc * (n / m) ** 2 > a.budget:
                        row[n] = None
                        print(f"  {name:52} skipped (projected > {a.budget:.0f} s)", flush=True)
                        continue
                gc.collect()
                t, c = time.perf_counter(), time.process_time()
                fn()
                row[n] = (time.process_time() - c, time.perf_counter() - t)
                print(f"  {name:52} CPU {row[n][0]:8.2f} s  wall {row[n][1]:8.2f} s  (load {os.getloadavg()[0]:.1f})",
                      flush=True)
            del org
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    lo, hi = min(a.sizes), max(a.sizes)
    print("\n| function | " + " | ".join(f"{n:,} CPU s" for n in a.sizes) + " | growth exponent |")
    print("|---|" + "---|" * len(a.sizes) + "---|")
    for name, row in table.items():
        cells = [("skipped" if row.get(n) is None else f"{row[n][0]:.2f}") for n in a.sizes]
        exp = "?"
        if hi == lo:
            exp = "-"
        elif row.get(lo) and row.get(hi) and row[lo][0] > 0.05:
            exp = f"{math.log(row[hi][0] / row[lo][0]) / math.log(hi / lo):.2f}"
        elif row.get(lo) and row.get(hi):
            exp = "(too fast to tell)"
        print(f"| {name} | " + " | ".join(cells) + f" | {exp} |")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
