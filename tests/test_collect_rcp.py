"""Resource control policies and trail-bucket owners, collected read-only from the local AWS (docs/collect.md)."""

from __future__ import annotations

import json

import pytest

import orgkit
from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory

DENY_DELETE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectLogBucket", "Effect": "Deny", "Principal": "*",
     "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration"],
     "Resource": "*",
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}

RCP_ORG = {
    "name": "rcp", "seed": 11, "regions": ["us-east-1"],
    "service_access": ["cloudtrail.amazonaws.com"],
    "ous": {"Security": {}, "Workloads": {}},
    "accounts": [{"key": "logs", "name": "Log Archive", "ou": "Security"},
                 {"key": "app", "name": "App", "ou": "Workloads"}],
    "policies": [],
    "trails": [{"account": "management", "name": "org-trail", "organization": True, "bucket": "org-logs-bucket",
                "bucket_account": "logs"},
               {"account": "app", "name": "app-trail"}],
    "rcps": [{"name": "ProtectLogBucket", "targets": ["ou:Security"], "document": DENY_DELETE}],
}


def _collect(aws, out, seen=None):
    factory = SessionFactory(endpoint_url=aws.endpoint_url, max_attempts=2)
    if seen is not None:  # every call the collector makes, as botocore sends it
        orig = factory._hook

        def hook(client):
            orig(client)
            client.meta.events.register(
                "before-call", lambda model, params, **kw: seen.append((model.name, dict(params))))

        factory._hook = hook
    return orgkit.load(collect(out, factory=factory, progress=False, workers=4, regions=["us-east-1"]))


@pytest.fixture(scope="module")
def rcp_org(local_aws):
    ids = build_org(local_aws, RCP_ORG)
    yield local_aws, ids
    local_aws.clear_faults()


def test_rcps_are_collected_with_their_targets(rcp_org, tmp_path):
    aws, ids = rcp_org
    org = _collect(aws, tmp_path / "snap")
    assert org.rcp_enabled is True and org.rcp_unread is None
    assert set(org.rcps.name) == {"RCPFullAWSAccess", "ProtectLogBucket"}
    assert set(org.rcps.type) == {"RESOURCE_CONTROL_POLICY"}
    assert "ProtectLogBucket" not in set(org.policies.name)  # SCPs stay SCPs
    pid = org.rcps.set_index("name").loc["ProtectLogBucket", "policy_id"]
    assert json.loads(org.rcps.set_index("name").loc["ProtectLogBucket", "content"]) == DENY_DELETE
    sec = org.ous.set_index("ou_path").loc["Root/Security", "ou_id"]
    assert set(org.rcp_targets[org.rcp_targets.policy_id == pid].target_id) == {sec}
    full = org.rcps.set_index("name").loc["RCPFullAWSAccess", "policy_id"]
    assert len(org.rcp_targets[org.rcp_targets.policy_id == full]) == len(org.graph)  # root, every OU and account
    assert org.graph.nodes[sec]["rcps"] == sorted([pid, full])
    assert pid not in org.graph.nodes[sec]["scps"]


def test_bucket_owners_are_collected_one_call_per_account(rcp_org, tmp_path):
    aws, ids = rcp_org
    seen = []
    org = _collect(aws, tmp_path / "snap", seen)
    owners = dict(zip(org.buckets.bucket, org.buckets.account_id))
    assert owners["org-logs-bucket"] == ids["logs"]
    assert set(org.bucket_reads.status) == {"ok"}
    assert len([op for op, _ in seen if op == "ListBuckets"]) == len(org.accounts)  # one per account


def test_an_enabled_but_unread_rcp_type_says_so(rcp_org, tmp_path):
    aws, ids = rcp_org
    aws.clear_faults()
    aws.add_fault("AccessDeniedException", http_status=400, service="organizations", operation="ListPolicies")
    try:
        org = _collect(aws, tmp_path / "snap")
    finally:
        aws.clear_faults()
    assert org.rcp_enabled is True
    assert "ListPolicies" in org.rcp_unread and "AccessDenied" in org.rcp_unread
    assert org.rcps.empty


# -- the engine: SCP and RCP layers ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rcp_snapshot(rcp_org, tmp_path_factory):
    aws, ids = rcp_org
    aws.clear_faults()
    return _collect(aws, tmp_path_factory.mktemp("rcp") / "snap"), ids


def test_scp_can_evaluates_the_rcps_of_the_resource_account(rcp_snapshot):
    from orgkit.scp import Evaluator

    org, ids = rcp_snapshot
    ev = Evaluator(org)
    d = ev.decide(ids["logs"], "s3:DeleteBucket", resource="arn:aws:s3:::org-logs-bucket", principal="role/Dev")
    assert d.decision == "explicit_deny" and d.layer == "RCP" and d.sid == "ProtectLogBucket"
    assert "RCP ou Root/Security" in d.explain() and "[decided by: RCP]" in d.explain()
    ok = ev.decide(ids["logs"], "s3:DeleteBucket", principal="role/SecurityAdmin")
    assert ok.decision == "allow" and ok.layer == "SCP and RCP"
    unknown_principal = ev.decide(ids["logs"], "s3:DeleteBucket")
    assert unknown_principal.decision == "conditional" and unknown_principal.layer == "RCP"
    assert "SecurityAdmin" in (unknown_principal.allowed_when or "")
    # another OU's account: no RCP denies it; an action outside the RCP services is SCP only
    assert ev.decide(ids["app"], "s3:DeleteBucket", principal="role/Dev").decision == "allow"
    assert ev.decide(ids["logs"], "ec2:TerminateInstances", principal="role/Dev").layer == "SCP"
    # the management account's resources are not affected by RCPs
    mg = ev.decide(ids["management"], "s3:DeleteBucket", principal="role/Dev")
    assert mg.decision == "exempt" and mg.layer is None
    # a resource ARN that names a member account is judged by that account's RCPs, whoever asks
    q = ev.decide(ids["app"], "sqs:DeleteQueue", resource=f"arn:aws:sqs:us-east-1:{ids['logs']}:q", principal="role/Dev")
    assert q.decision == "allow"  # the RCP names only s3 actions
    df = ev.can("s3:DeleteBucket", principal="role/Dev")
    layers = dict(zip(df.account_id, df.layer))
    assert layers[ids["logs"]] == "RCP" and df.set_index("account_id").loc[ids["logs"], "decision"] == "explicit_deny"


def test_an_unread_rcp_type_makes_answers_on_rcp_services_unknown(rcp_snapshot):
    from orgkit.scp import Evaluator

    org, ids = rcp_snapshot
    org.rcp_unread = "organizations:ListPolicies: AccessDeniedException (the RCPs could not be listed)"
    try:
        ev = Evaluator(org)
        d = ev.decide(ids["app"], "s3:DeleteBucket", principal="role/Dev")
        assert d.decision == "unknown" and "could not be read" in d.reason and d.layer == "RCP"
        assert ev.decide(ids["app"], "ec2:TerminateInstances", principal="role/Dev").decision == "allow"
    finally:
        org.rcp_unread = None


def test_rcp_principal_must_be_star():
    from orgkit.scp.policy import PolicyError, compile_policy

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"},
                                                   "Action": "s3:*", "Resource": "*"}]}
    with pytest.raises(PolicyError, match="must be"):
        compile_policy(doc, "p-x", kind="rcp")
    with pytest.raises(PolicyError, match="service control policies"):
        compile_policy({**doc, "Statement": [dict(doc["Statement"][0], Principal="*")]}, "p-y")
    assert compile_policy({**doc, "Statement": [dict(doc["Statement"][0], Principal="*")]}, "p-z", kind="rcp")



def test_the_matrix_agrees_with_decide_where_rcps_apply(rcp_snapshot):
    from orgkit.scp import Evaluator
    from orgkit.scp.matrix import compute_matrix

    org, ids = rcp_snapshot
    ev = Evaluator(org)
    for principal in ("role/Dev", None):
        m = compute_matrix(ev, principal=principal, actions=["s3:*", "kms:DisableKey", "ec2:TerminateInstances"])
        assert m.stats["rcp_cells"] > 0
        for aid in org.accounts.account_id:
            for a in ("s3:DeleteBucket", "s3:GetObject", "s3:PutLifecycleConfiguration", "ec2:TerminateInstances"):
                assert m.decision(aid, a) == ev.decide(aid, a, principal=principal).decision, (aid, a, principal)
    assert compute_matrix(ev, principal="role/Dev").decision(ids["logs"], "s3:DeleteBucket") == "explicit_deny"


def test_show_and_the_ou_tree_name_the_rcps(rcp_snapshot, capsys):
    from orgkit.cli import main
    from orgkit.ougraph import draw_ou_tree

    org, ids = rcp_snapshot
    texts = [t.get_text() for t in draw_ou_tree(org).axes[0].texts]
    assert any("RCP: ProtectLogBucket" in t for t in texts)
    assert not any("RCPFullAWSAccess" in t for t in texts if t.startswith("RCP"))
    assert main(["show", str(org.path)]) == 0
    assert "resource control policies: enabled, 1 attached beyond RCPFullAWSAccess (ProtectLogBucket)" in \
        capsys.readouterr().out


def test_cli_can_and_explain_name_the_layer(rcp_snapshot, capsys):
    from orgkit.cli import main

    org, ids = rcp_snapshot
    assert main(["scp", "can", "s3:DeleteBucket", str(org.path), "--principal", "role/Dev", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",layer")
    logs = next(x for x in lines if x.startswith(ids["logs"]))
    assert "explicit_deny" in logs and logs.endswith(",RCP")
    assert main(["scp", "explain", ids["logs"], "s3:DeleteBucket", str(org.path), "--principal", "role/Dev"]) == 0
    out = capsys.readouterr().out
    assert "RCP ou Root/Security" in out and "[decided by: RCP]" in out

# -- what a trail depends on ------------------------------------------------------------------------------------
def test_trail_dependencies_name_the_owning_account(rcp_snapshot):
    from orgkit.scp.dependencies import dependency_decisions, trail_dependencies

    org, ids = rcp_snapshot
    deps = trail_dependencies(org)
    b = deps[(deps.kind == "s3_bucket") & (deps.name == "org-logs-bucket")].iloc[0]
    assert b.arn == "arn:aws:s3:::org-logs-bucket" and b.owner_account_id == ids["logs"]
    assert b.owner == "member" and bool(b.protectable)
    assert "s3:PutLifecycleConfiguration" in b.actions
    app = deps[deps.trail_arn.str.endswith(":trail/app-trail")].iloc[0]
    assert app.owner_account_id == ids["app"]
    # a key in the management account: no organisation policy can protect it; its ARN names its account
    trails = org.frames["trails"]
    saved = trails["kms_key_id"].copy()
    try:
        trails["kms_key_id"] = f"arn:aws:kms:us-east-1:{ids['management']}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        deps = trail_dependencies(org)
        keys = deps[deps.kind == "kms_key"]
        assert set(keys.owner) == {"management"} and not keys.protectable.any()
        assert "management account" in keys.iloc[0].reason
        assert list(keys.iloc[0].actions) == ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]
    finally:
        trails["kms_key_id"] = saved
    # the engine, asked against the real ARN in the owning account: the RCP on Security guards the log bucket
    dec = dependency_decisions(org, principal="role/Dev")
    row = dec[(dec.name == "org-logs-bucket") & (dec.action == "s3:DeleteBucket")].iloc[0]
    assert row.decision == "explicit_deny" and row.layer == "RCP"
    row = dec[(dec.trail_arn.str.endswith(":trail/app-trail")) & (dec.action == "s3:DeleteBucket")].iloc[0]
    assert row.decision == "allow"  # the App account's bucket: nothing protects it


def test_a_bucket_in_no_read_account_is_unknown_not_outside(rcp_snapshot):
    from orgkit.scp.dependencies import trail_dependencies

    org, ids = rcp_snapshot
    reads = org.frames["bucket_reads"]
    buckets = org.frames["buckets"]
    try:
        org.frames["buckets"] = buckets[buckets.account_id != ids["logs"]]
        org.frames["bucket_reads"] = reads.assign(status=["error" if a == ids["logs"] else s
                                                          for a, s in zip(reads.account_id, reads.status)])
        b = trail_dependencies(org).query("name == 'org-logs-bucket'").iloc[0]
        assert b.owner == "unknown" and b.protectable is None and ids["logs"] in b.reason
        org.frames["bucket_reads"] = reads
        b = trail_dependencies(org).query("name == 'org-logs-bucket'").iloc[0]
        assert b.owner == "outside" and not b.protectable and b.protectable is not None
    finally:
        org.frames["buckets"], org.frames["bucket_reads"] = buckets, reads


# last: it rebuilds the local AWS without RCPs (the module's organisation is gone after it)
def test_rcps_off_are_not_read(local_aws, tmp_path):
    from orgkit.localaws.scenario import build

    local_aws.reset()
    local_aws.seed(3)
    build(local_aws.endpoint_url, {**RCP_ORG, "rcps": []})
    seen = []
    org = _collect(local_aws, tmp_path / "snap", seen)
    assert org.rcp_enabled is False and org.rcp_unread is None and org.rcps.empty
    assert [op for op, _ in seen].count("ListPolicies") == 1  # the SCPs only


def _rewrite(src, out, edit):
    """A copy of snapshot ``src`` with its JSON files changed by ``edit(relpath, data)``, sealed again as the
    collector seals one (so the checksums hold: what an older orgkit would have written)."""
    from orgkit.snapshot import SnapshotReader, SnapshotWriter

    r = SnapshotReader(src)
    with SnapshotWriter(out) as w:
        for rel in sorted(r.manifest["files"]):
            w.write(rel, edit(rel, r.read(rel)))
        return w.commit(dict(r.manifest))


def test_a_snapshot_from_before_rcps_loads_and_says_what_it_lacks(tmp_path):
    """Old snapshots (no ResourceControlPolicies, no S3 bucket names) still load: RCPs off stay off; RCPs enabled
    at the root but never read are unknown, never "none"."""
    from orgkit.model import BUNDLED_DEMO
    from orgkit.scp import Evaluator

    def strip(rel, data, enabled=False):
        if rel == "policies.json":
            data.pop("ResourceControlPolicies", None)
        if rel.startswith("accounts/"):
            data.pop("S3", None)
        if rel == "organization.json":
            for root in data["Roots"]:
                root["PolicyTypes"] = [t for t in root["PolicyTypes"] if t["Type"] != "RESOURCE_CONTROL_POLICY"]
                if enabled:
                    root["PolicyTypes"].append({"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"})
        return data

    old = orgkit.load(_rewrite(BUNDLED_DEMO, tmp_path / "old", strip))
    assert old.rcp_enabled is False and old.rcp_unread is None and old.rcps.empty
    assert set(old.bucket_reads.status) == {"not_collected"}
    from orgkit.scp.dependencies import trail_dependencies

    assert "unknown" in set(trail_dependencies(old).owner)  # not "outside": the bucket names were never read
    la = old.accounts.set_index("account_name").loc["Log Archive", "account_id"]
    assert Evaluator(old).decide(la, "s3:DeleteBucket", principal="role/Dev").decision == "allow"

    unread = orgkit.load(_rewrite(BUNDLED_DEMO, tmp_path / "unread", lambda r, d: strip(r, d, enabled=True)))
    assert unread.rcp_enabled is True and "before orgkit collected resource control policies" in unread.rcp_unread
    d = Evaluator(unread).decide(la, "s3:DeleteBucket", principal="role/Dev")
    assert d.decision == "unknown" and "could not be read" in d.reason


def test_a_terraform_plan_keeps_the_rcps_it_does_not_touch():
    """The plan's copy of the organisation keeps the collected RCPs (and RCPFullAWSAccess on what it creates):
    the demo's plan changes no RCP, so no S3 or KMS answer of the RCP-protected Security OU may change."""
    from pathlib import Path

    import orgkit.model as m
    from orgkit.diff.terraform import diff_plan, plan_org

    data = Path(m.__file__).parent / "datasets"
    after = orgkit.load(data / "demo-later")
    assert after.rcp_enabled
    planned = diff_plan(after, data / "demo-later-plan.json", principal="role/Developer")
    protected = {"Security", "Log Archive"}
    moved = planned[planned.account_name.isin(protected) & planned.action.fillna("").str.match(r"^(s3|kms):")]
    assert moved.empty, moved[["account_name", "action", "before", "after"]]
    res = plan_org(after, data / "demo-later-plan.json")
    assert res.org.rcp_enabled and all("rcps" in d for _, d in res.org.graph.nodes(data=True))


def test_an_rcp_edit_shows_in_change_review():
    """Dropping the bucket statement of the demo's RCP lets every principal but SecurityAdmin delete the log
    buckets of the Security OU: a regression, named by account and action."""
    a, b = orgkit.load(), orgkit.load()
    r = b.frames["rcps"]
    i = r.index[r.name == "ProtectLogArchive"][0]
    doc = json.loads(r.at[i, "content"])
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "ProtectLogBuckets"]
    r.at[i, "content"] = json.dumps(doc)
    d = orgkit.diff(a, b, principal="role/Developer", coverage=False)
    reg = d[(d.kind == "scp_effect") & (d.severity == "regression")]
    assert set(reg.account_name) == {"Security", "Log Archive"}
    assert all("s3:DeleteBucket" in x for x in reg.action) and not reg.action.str.contains("kms:").any()
