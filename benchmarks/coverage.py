"""Benchmark of the coverage analyses on a synthetic organisation (default 5,000 accounts × 17 regions).

    python benchmarks/coverage.py [--accounts 5000] [--regions 17] [--keep DIR]

Builds the snapshot with :class:`orgkit.testing.SnapshotSpec` in a temporary directory (not committed), then
measures the load time, each analysis's wall time, and each analysis's peak Python allocation (tracemalloc, in a
second run: tracing slows code down, so times come from the untraced run), and the process's peak RSS.

The organisation is deterministic (seeded): an organization trail (multi-region, excluding KMS events) in the
management account; ~20%
of accounts with their own multi-region trail (paid duplicates), ~5% a single-region read-only trail, ~2% a stopped
trail, ~1% a data-events trail on one bucket; ~3% unreachable accounts; two opt-in regions disabled in ~30% of
accounts; GuardDuty delegated to a security account in every region, ~88% of accounts organization members,
~4% invited, ~3% suspended, ~2% pending; ~1% of (account, region) GuardDuty reads AccessDenied.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
           "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1",
           "ap-southeast-2", "sa-east-1", "af-south-1", "eu-south-1", "me-south-1", "ap-east-1"]
OPT_IN = ("af-south-1", "eu-south-1", "me-south-1", "ap-east-1")


def build(n_accounts: int, n_regions: int, out: Path, seed: int = 7, scps: bool = False) -> Path:
    from orgkit.testing import SnapshotSpec

    rnd = random.Random(seed)
    regions = REGIONS[:n_regions]
    sb = SnapshotSpec(regions=regions)
    top = {name: sb.ou(name) for name in ("Security", "Prod", "Stage", "Dev", "Sandbox", "Interview")}
    ous = [top["Prod"], top["Stage"], top["Dev"], top["Sandbox"], top["Interview"]]
    for parent in list(ous):
        for i in range(3):
            ous.append(sb.ou(f"team-{i}", parent=parent))
    security = sb.account("security", parent=top["Security"])
    accounts = [security]
    for i in range(n_accounts - 2):  # the management account and the security account exist already
        access = "none" if rnd.random() < 0.03 else "assume_role"
        opt = {r: ("DISABLED" if rnd.random() < 0.3 else "ENABLED") for r in regions if r in OPT_IN}
        accounts.append(sb.account(f"acct-{i:05d}", parent=rnd.choice(ous), access=access, regions=opt))
    # the organization trail excludes KMS events (a common saving): partial, unless an account's own trail fills in
    sb.trail(sb.management, "org-trail", organization=True, event_selectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    for a in accounts:
        if sb.docs[a]["CloudTrail"]["ListTrails"] is None:
            continue
        x = rnd.random()
        if x < 0.20:
            sb.trail(a, "own")
        elif x < 0.25:
            sb.trail(a, "local", home_region=rnd.choice(regions), multi_region=False,
                     event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
        elif x < 0.27:
            sb.trail(a, "stopped", logging=False)
        elif x < 0.28:
            sb.trail(a, "data", event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False,
                                                  "DataResources": [{"Type": "AWS::S3::Object",
                                                                     "Values": [f"arn:aws:s3:::b-{a}/"]}]}])
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
            if x < 0.88:
                did = sb.detector(a, r, administrator={"AccountId": security, "RelationshipStatus": "Enabled"}) \
                    if reachable else None
                members[r].append(sb.member(a, security, detector_id=did))
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
            elif x < 0.98 and reachable:
                sb.docs[a]["GuardDuty"][r] = {"DetectorIds": None}
                sb.error(a, r, "guardduty", "ListDetectors", "AccessDeniedException")
    for r in regions:
        sb.detector(security, r, members=members[r],
                    org_config={"AutoEnable": True, "AutoEnableOrganizationMembers": "ALL",
                                "MemberAccountLimitReached": False})
    if scps:  # SCPs as an organisation of this size has them: a protection deny, a region deny, per-account lists
        sb.policy("ProtectSecurity", {"Version": "2012-10-17", "Statement": [
            {"Sid": "NoTampering", "Effect": "Deny", "Resource": "*",
             "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector",
                        "guardduty:Disassociate*", "guardduty:UpdateDetector"],
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]},
            targets=[top["Prod"], top["Stage"]])
        sb.policy("RegionDeny", {"Version": "2012-10-17", "Statement": [
            {"Sid": "OnlyUS", "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
             "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}}}]},
            targets=[top["Sandbox"], top["Dev"]])
        for i, a in enumerate(accounts[1::50]):
            sb.policy(f"deny-{i}", {"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": [f"s3:Delete{'Bucket' if i % 2 else 'Object'}", "ec2:Terminate*"],
                 "Resource": "*"}]}, targets=[a])
    return sb.write(out)


def measure(fn, trace: bool, repeat: int = 1):
    """(result, best wall time of ``repeat`` runs, peak traced bytes or None)."""
    if trace:
        tracemalloc.start()
    dt = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        dt = min(dt, time.perf_counter() - t0)
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--regions", type=int, default=17)
    ap.add_argument("--keep", help="write the snapshot here and keep it (default: a temporary directory)")
    ap.add_argument("--repeat", type=int, default=3, help="time each analysis this many times, keep the best")
    args = ap.parse_args()

    from orgkit import coverage as cov
    from orgkit.model import load

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="orgkit-bench-"))
    try:
        t0 = time.perf_counter()
        snap = build(args.accounts, args.regions, tmp / "snap")
        build_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in snap.rglob("*") if f.is_file())
        org, load_s, _ = measure(lambda: load(snap), False)
        _, _, load_peak = measure(lambda: load(snap), True)
        gc.disable()  # what orgkit.model.load would take with the cyclic GC paused while it builds the frames
        _, load_nogc_s, _ = measure(lambda: load(snap), False)
        gc.enable()
        ct = cov.cloudtrail_coverage(org)
        gd = cov.guardduty_coverage(org)
        steps = {
            "cloudtrail_coverage": lambda: cov.cloudtrail_coverage(org),
            "guardduty_coverage": lambda: cov.guardduty_coverage(org),
            "trail_inventory": lambda: cov.trail_inventory(org),
            "duplicates": lambda: cov.duplicates(org),
            "summary(account)": lambda: cov.summary(org, cloudtrail=ct, guardduty=gd),
            "summary(ou)": lambda: cov.summary(org, by="ou", cloudtrail=ct, guardduty=gd),
            "gaps": lambda: cov.gaps(org, cloudtrail=ct, guardduty=gd),
        }
        cpu = "?"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
        print(f"snapshot: {len(org.accounts)} accounts x {len(org.regions_requested)} regions = "
              f"{len(org.accounts) * len(org.regions_requested)} cells; {len(org.trails)} trails, "
              f"{len(org.detectors)} detectors, {len(org.guardduty_members)} member records; "
              f"{size / 1e6:.1f} MB on disk; built in {build_s:.1f} s")
        print(f"load average before the analyses: {os.getloadavg()[0]:.1f} (other processes share the CPUs)")
        print(f"{'step':24} {'seconds':>8} {'peak MB (tracemalloc)':>22} {'rows':>8}   (analyses: best of {args.repeat})")
        print(f"{'load':24} {load_s:8.2f} {load_peak / 1e6:22.1f}")
        print(f"{'load (GC paused)':24} {load_nogc_s:8.2f}")
        for name, fn in steps.items():
            res, dt, _ = measure(fn, False, args.repeat)
            _, _, peak = measure(fn, True)
            print(f"{name:24} {dt:8.2f} {peak / 1e6:22.1f} {len(res):8d}")
        print("status counts (cloudtrail):", ct["status"].value_counts().to_dict())
        print("status counts (guardduty):", gd["status"].value_counts().to_dict())
        print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
