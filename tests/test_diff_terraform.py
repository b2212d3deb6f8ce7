"""orgkit diff SNAPSHOT --terraform-plan: planned changes applied to a copy of the organisation, values unknown
until apply resolved through the plan's references, or reported unknown; unmodelled resources not evaluated."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import orgkit
from orgkit.diff import PlanError, diff_plan, plan_org, read_plan
from orgkit.testing import SnapshotSpec

PROTECT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
     "Resource": "*"}]}
DENY_LEAVE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    sandbox = sb.ou("Sandbox")
    app = sb.account("App", parent=eng)
    play = sb.account("Play", parent=sandbox)
    protect = sb.policy("Protect", PROTECT, [eng])
    o = sb.load(tmp_path_factory.mktemp("snap") / "s")
    o.ids = {"eng": eng, "sandbox": sandbox, "app": app, "play": play, "protect": protect, "root": sb.root}
    return o


def rc(address, rtype, actions, before=None, after=None, unknown=None):
    return {"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[-1].split("[")[0],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": unknown if unknown is not None else ({} if after is not None else False)}}


def plan(changes, config=(), modules=None, prior=(), variables=None):
    root = {"resources": list(config)}
    if modules:
        root["module_calls"] = modules
    return {"format_version": "1.2", "terraform_version": "1.9.8", "variables": variables or {},
            "resource_changes": list(changes),
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": list(prior)}}},
            "configuration": {"root_module": root}}


def cfg(address, rtype, **expressions):
    return {"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[-1],
            "expressions": expressions}


def new_policy_and_attachment(target, ref_prefix=""):
    return [
        rc("aws_organizations_policy.deny_leave", "aws_organizations_policy", ["create"], None,
           {"name": "DenyLeave", "content": json.dumps(DENY_LEAVE), "type": "SERVICE_CONTROL_POLICY",
            "description": ""}, {"id": True, "arn": True, "tags_all": True}),
        rc("aws_organizations_policy_attachment.leave_root", "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": target}, {"id": True, "policy_id": True}),
    ], [
        cfg("aws_organizations_policy_attachment.leave_root", "aws_organizations_policy_attachment",
            policy_id={"references": ["aws_organizations_policy.deny_leave.id", "aws_organizations_policy.deny_leave"]},
            target_id={"constant_value": target}),
    ]


def test_a_policy_created_in_the_same_plan_is_resolved_through_references(org):
    changes, config = new_policy_and_attachment(org.ids["root"])
    df = diff_plan(org, plan(changes, config), principal="role/Dev")
    att = df[df.kind == "scp_attached"].iloc[0]
    assert att.policy_id == "(after apply) aws_organizations_policy.deny_leave" and att.policy_name == "DenyLeave"
    assert att.severity == "improvement"
    t = df[df.kind == "tamper"]
    # every member account gains a deny on LeaveOrganization; the management account is exempt
    assert set(t.account_id) == {org.ids["app"], org.ids["play"]}
    assert set(t.action) == {"organizations:LeaveOrganization"} and set(t.after) == {"explicit_deny"}
    assert "not_evaluated" not in set(df.kind)


def test_unknown_reference_is_reported_not_guessed(org):
    changes, _ = new_policy_and_attachment(org.ids["eng"])
    # the policy is one of several (count) and the reference does not say which: unknown
    changes[0]["address"] = "aws_organizations_policy.deny_leave[0]"
    extra = json.loads(json.dumps(changes[0]))
    extra["address"] = "aws_organizations_policy.deny_leave[1]"
    config = [cfg("aws_organizations_policy_attachment.leave_root", "aws_organizations_policy_attachment",
                  policy_id={"references": ["aws_organizations_policy.deny_leave", "count.index"]},
                  target_id={"constant_value": org.ids["eng"]})]
    df = diff_plan(org, plan(changes + [extra], config), principal="role/Dev")
    ne = df[df.kind == "not_evaluated"]
    assert len(ne) == 1 and "unknown until apply" in ne.iloc[0].reason
    unk = df[(df.kind == "scp_effect") & (df.after == "unknown")]
    assert set(unk.account_id) == {org.ids["app"]}  # the accounts under the target: no effect rows guessed
    assert not len(df[(df.kind == "tamper") & (df.account_id == org.ids["app"])])


def test_edit_and_detachment(org):
    ids = org.ids
    weaker = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:DeleteTrail"], "Resource": "*"}]}
    pol = {"id": ids["protect"], "name": "Protect", "content": json.dumps(PROTECT), "type": "SERVICE_CONTROL_POLICY"}
    changes = [rc("aws_organizations_policy.protect", "aws_organizations_policy", ["update"], pol,
                  dict(pol, content=json.dumps(weaker)))]
    df = diff_plan(org, plan(changes), principal="role/Dev")
    e = df[df.kind == "scp_edited"].iloc[0]
    assert e.severity == "regression" and e.policy_id == ids["protect"]
    t = df[df.kind == "tamper"]
    assert t[["account_id", "action", "after"]].values.tolist() == [[ids["app"], "cloudtrail:StopLogging", "allow"]]
    det = [rc("aws_organizations_policy_attachment.p", "aws_organizations_policy_attachment", ["delete"],
              {"id": f"{ids['eng']}:{ids['protect']}", "policy_id": ids["protect"], "target_id": ids["eng"]})]
    df = diff_plan(org, plan(det), principal="role/Dev")
    d = df[df.kind == "scp_detached"].iloc[0]
    assert d.severity == "regression" and d.target_id == ids["eng"]
    assert set(df[df.kind == "tamper"].after) == {"allow"}
    assert org.policy_targets.policy_id.eq(ids["protect"]).any()  # the snapshot's Org is not changed


def test_unmodelled_resources_are_listed_not_evaluated(org):
    changes = [rc("aws_cloudtrail.main", "aws_cloudtrail", ["update"], {"name": "t"}, {"name": "t", "tags": {}}),
               rc("aws_s3_bucket.logs", "aws_s3_bucket", ["no-op"], {"id": "b"}, {"id": "b"}),
               rc("aws_guardduty_detector.d", "aws_guardduty_detector", ["delete"], {"id": "x"})]
    df = diff_plan(org, plan(changes))
    assert df.kind.tolist() == ["not_evaluated", "not_evaluated"]  # the no-op is not a change
    assert {"aws_cloudtrail.main", "aws_guardduty_detector.d"} == set(df.source)


def test_new_ou_and_account_moved_into_it_in_a_module(org):
    ids = org.ids
    acc_before = {"id": ids["app"], "name": "App", "email": "app@example.com", "parent_id": ids["eng"]}
    changes = [
        rc("module.org.aws_organizations_organizational_unit.prod", "aws_organizations_organizational_unit",
           ["create"], None, {"name": "Prod", "parent_id": ids["eng"]}, {"id": True, "arn": True, "accounts": True}),
        rc("module.org.aws_organizations_account.app", "aws_organizations_account", ["update"], acc_before,
           {k: v for k, v in acc_before.items() if k != "parent_id"}, {"parent_id": True}),
    ]
    modules = {"org": {"source": "./org", "module": {"resources": [
        cfg("aws_organizations_account.app", "aws_organizations_account",
            parent_id={"references": ["aws_organizations_organizational_unit.prod.id",
                                      "aws_organizations_organizational_unit.prod"]})]}}}
    df = diff_plan(org, plan(changes, modules=modules))
    assert "ou_added" in set(df.kind)
    mv = df[df.kind == "account_moved"].iloc[0]
    assert (mv.account_id, mv.before, mv.after) == (ids["app"], "Root/Engineering", "Root/Engineering/Prod")
    assert mv.severity == "neutral"  # the same policies apply below Engineering


def test_values_from_data_sources_and_variables(org):
    ids = org.ids
    changes = [
        rc("aws_organizations_policy.p", "aws_organizations_policy", ["create"], None,
           {"name": "FromData", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True}),
        rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
           {}, {"id": True, "policy_id": True, "target_id": True}),
    ]
    config = [cfg("aws_organizations_policy.p", "aws_organizations_policy",
                  content={"references": ["data.aws_iam_policy_document.leave.json",
                                          "data.aws_iam_policy_document.leave"]}),
              cfg("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment",
                  policy_id={"references": ["aws_organizations_policy.p.id", "aws_organizations_policy.p"]},
                  target_id={"references": ["var.sandbox_ou"]})]
    prior = [{"address": "data.aws_iam_policy_document.leave", "mode": "data", "type": "aws_iam_policy_document",
              "name": "leave", "values": {"json": json.dumps(DENY_LEAVE)}}]
    df = diff_plan(org, plan(changes, config, prior=prior, variables={"sandbox_ou": {"value": ids["sandbox"]}}),
                   principal="role/Dev")
    t = df[df.kind == "tamper"]
    assert t[["account_id", "action", "after"]].values.tolist() == [
        [ids["play"], "organizations:LeaveOrganization", "explicit_deny"]]


def test_plan_result_keeps_unknown_content_out_of_the_effect(org):
    ids = org.ids
    pol = {"id": ids["protect"], "name": "Protect", "content": json.dumps(PROTECT), "type": "SERVICE_CONTROL_POLICY"}
    changes = [rc("aws_organizations_policy.protect", "aws_organizations_policy", ["update"], pol,
                  {k: v for k, v in pol.items() if k != "content"}, {"content": True})]
    config = [cfg("aws_organizations_policy.protect", "aws_organizations_policy",
                  content={"references": ["local.document"]})]
    res = plan_org(org, plan(changes, config))
    assert ids["protect"] in res.unknown_policies and ids["app"] in res.unknown_accounts
    df = diff_plan(org, plan(changes, config), principal="role/Dev")
    assert "content unknown until apply" in df[df.kind == "scp_edited"].iloc[0].reason
    assert df[(df.kind == "scp_effect")].after.tolist() == ["unknown"]
    assert not len(df[df.kind == "tamper"])


@pytest.mark.parametrize("doc,message", [
    ({"format_version": "1.0", "values": {"root_module": {}}}, "looks like a state"),
    ({"format_version": "2.0", "resource_changes": []}, "not supported"),
    ({"resource_changes": []}, "no format_version"),
    ([1, 2], "not a Terraform JSON plan"),
])
def test_not_a_plan(doc, message):
    with pytest.raises(PlanError, match=message):
        read_plan(doc)


def test_bundled_plan_fixture(tmp_path):
    """The demo's plan (an SCP edit, a detachment, a policy created and attached in the same plan, an unmodelled
    change) through the CLI, as a pull-request check."""
    from orgkit.demo import BUNDLED_LATER, BUNDLED_TFPLAN

    p = subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", str(BUNDLED_LATER), "--terraform-plan",
                        str(BUNDLED_TFPLAN), "--principal", "role/Developer", "--format", "json",
                        "--fail-on", "regression"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr
    rows = json.loads(p.stdout)
    kinds = {r["kind"] for r in rows}
    assert {"scp_edited", "scp_detached", "scp_created", "scp_attached", "tamper", "scp_effect",
            "not_evaluated"} <= kinds
    att = next(r for r in rows if r["kind"] == "scp_attached")
    assert att["policy_id"] == "(after apply) aws_organizations_policy.deny_leave_everywhere"
    det = next(r for r in rows if r["kind"] == "scp_detached")
    assert det["severity"] == "regression" and det["policy_name"] == "DenyS3BucketCreation"
    later = orgkit.load(BUNDLED_LATER)
    assert later.policies.name.eq("DenyLeaveOrganizationEverywhere").sum() == 0  # not applied to the snapshot


def test_a_plan_that_detaches_a_protective_scp_with_an_exception_is_a_regression(tmp_path):
    """Issue 18: the label stays conditional (a root-user Deny remains), the allowed cases grow: a regression that
    fails --fail-on regression, through the CLI."""
    except_doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
         "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}
    deny_root = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    app = sb.account("App", parent=eng)
    protect = sb.policy("Protect", except_doc, [eng])
    sb.policy("DenyRoot", deny_root, [eng])
    path = sb.write(tmp_path / "s")
    det = [rc("aws_organizations_policy_attachment.p", "aws_organizations_policy_attachment", ["delete"],
              {"id": f"{eng}:{protect}", "policy_id": protect, "target_id": eng})]
    df = diff_plan(orgkit.load(path), plan(det))
    d = df[df.kind == "scp_detached"].iloc[0]
    assert d.severity == "regression", d.reason
    t = df[(df.kind == "tamper") & (df.action == "cloudtrail:StopLogging")].iloc[0]
    assert (t.before, t.after, t.severity, t.account_id) == ("conditional", "conditional", "regression", app)
    assert "now allowed when aws:PrincipalArn" in t.reason and "role/SecurityAdmin" in t.reason
    pf = tmp_path / "plan.json"
    pf.write_text(json.dumps(plan(det)))
    p = subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", str(path), "--terraform-plan", str(pf),
                        "--fail-on", "regression"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr
