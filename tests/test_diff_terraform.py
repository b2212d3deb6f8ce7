"""orgkit diff SNAPSHOT --terraform-plan: planned changes applied to a copy of the organisation, values unknown
until apply resolved through the plan's references, or reported unknown; unmodelled resources not evaluated."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
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
    assert len(ne) == 1 and "unknown until apply" in ne.iloc[0].reason and ne.iloc[0].severity == "unknown"
    # Engineering keeps FullAWSAccess: the unknown policy can only take permissions away there, so App is
    # evaluated without it (nothing else changes: no effect rows) and the row says App could only be restricted
    assert "can only take permissions away" in ne.iloc[0].reason and org.ids["app"] in ne.iloc[0].reason
    assert not len(df[(df.kind == "scp_effect") | (df.kind == "tamper")])


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
    assert set(df.severity) == {"unknown"}  # their effect is not known to orgkit: never neutral
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


def _protect_content_unknown(ids) -> tuple[list, list]:
    """A plan's changes and configuration updating policy Protect to a content unknown until apply (a local)."""
    pol = {"id": ids["protect"], "name": "Protect", "content": json.dumps(PROTECT), "type": "SERVICE_CONTROL_POLICY"}
    changes = [rc("aws_organizations_policy.protect", "aws_organizations_policy", ["update"], pol,
                  {k: v for k, v in pol.items() if k != "content"}, {"content": True})]
    config = [cfg("aws_organizations_policy.protect", "aws_organizations_policy",
                  content={"references": ["local.document"]})]
    return changes, config


def test_plan_result_keeps_unknown_content_out_of_the_effect(org):
    ids = org.ids
    changes, config = _protect_content_unknown(ids)
    res = plan_org(org, plan(changes, config))
    assert ids["protect"] in res.unknown_policies and ids["app"] in res.unknown_accounts
    df = diff_plan(org, plan(changes, config), principal="role/Dev")
    e = df[df.kind == "scp_edited"].iloc[0]
    assert "content unknown until apply" in e.reason and e.severity == "unknown"  # it may have lost a Deny
    assert df[(df.kind == "scp_effect")][["after", "severity"]].values.tolist() == [["unknown", "unknown"]]
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


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_a_planned_scp_without_version_2012_10_17_is_an_error(org, version):
    # AWS (SCP syntax): "Every SCP must include a Version element with the value "2012-10-17"".
    doc = dict(DENY_LEAVE)
    doc.pop("Version")
    if version:
        doc["Version"] = version
    changes, config = new_policy_and_attachment(org.ids["root"])
    changes[0]["change"]["after"]["content"] = json.dumps(doc)
    df = diff_plan(org, plan(changes, config), principal="role/Dev")
    bad = df[(df.kind == "not_evaluated") & (df.severity == "regression")]
    assert len(bad) == 1 and "2012-10-17" in bad.iloc[0].reason and "apply would fail" in bad.iloc[0].reason
    ok, _ = new_policy_and_attachment(org.ids["root"])
    assert not (diff_plan(org, plan(ok, config), principal="role/Dev").severity == "regression").any()
# ------------------------------------------------------------------------- values unknown until apply (issue 17)
def for_each_module_plan(target, detach=None):
    """A plan as `terraform show -json` writes it for a module that creates SCPs with ``for_each`` and attaches
    each with ``policy_id = aws_organizations_policy.this[each.key].id``: the attachment's policy id is unknown
    until apply and its expression combines two references, so it cannot be resolved. ``detach``: (policy id,
    target) of an attachment the same plan destroys."""
    changes = [
        rc('module.scps.aws_organizations_policy.this["deny_leave"]', "aws_organizations_policy", ["create"], None,
           {"name": "DenyLeave", "content": json.dumps(DENY_LEAVE), "type": "SERVICE_CONTROL_POLICY",
            "description": "", "tags": None}, {"id": True, "arn": True, "tags_all": True}),
        rc('module.scps.aws_organizations_policy_attachment.this["deny_leave"]',
           "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": target, "skip_destroy": None}, {"id": True, "policy_id": True}),
    ]
    for rcx in changes:
        rcx.update(module_address="module.scps", index="deny_leave")
    if detach:
        pid, tid = detach
        changes.append(rc("aws_organizations_policy_attachment.protect", "aws_organizations_policy_attachment",
                          ["delete"], {"id": f"{tid}:{pid}", "policy_id": pid, "target_id": tid,
                                       "skip_destroy": None}))
    modules = {"scps": {"source": "./modules/scps", "for_each_expression": {"references": ["var.policies"]},
                        "module": {"resources": [
                            cfg("aws_organizations_policy.this", "aws_organizations_policy",
                                name={"references": ["each.key"]},
                                content={"references": ["each.value.content", "each.value"]}),
                            cfg("aws_organizations_policy_attachment.this", "aws_organizations_policy_attachment",
                                policy_id={"references": ["aws_organizations_policy.this", "each.key"]},
                                target_id={"references": ["each.value.target", "each.value"]})]}}}
    return plan(changes, modules=modules)


def cli(args):
    return subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_unresolvable_policy_fails_the_gate_and_the_detach_is_still_judged(org, tmp_path):
    """The unknown policy is attached to the root, where FullAWSAccess already allows everything: it can only take
    permissions away, so the accounts below are evaluated without it. The Deny detached from Engineering in the
    same plan is a regression, said truly; the unknown part has severity unknown and the summary counts it."""
    ids = org.ids
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(for_each_module_plan(ids["root"], detach=(ids["protect"], ids["eng"]))))
    p = cli([org.path, "--terraform-plan", path, "--principal", "role/Dev", "--format", "json",
             "--fail-on", "regression,unknown"])
    assert p.returncode == 1, p.stderr
    rows = json.loads(p.stdout)
    det = [r for r in rows if r["kind"] == "scp_detached"]
    assert len(det) == 1 and det[0]["severity"] == "regression"
    assert "no effect" not in det[0]["reason"] and "changes SCP decisions in 1 account" in det[0]["reason"]
    ne = [r for r in rows if r["kind"] == "not_evaluated"]
    assert len(ne) == 1 and ne[0]["severity"] == "unknown"
    assert "can only take permissions away" in ne[0]["reason"] and ids["app"] in ne[0]["reason"]
    # App lost its trail protection: a regression that only the unknown policy could still undo
    t = [r for r in rows if r["kind"] == "tamper" and r["account_id"] == ids["app"]]
    assert {(r["action"], r["after"], r["severity"]) for r in t} == {
        ("cloudtrail:StopLogging", "allow", "regression"), ("cloudtrail:DeleteTrail", "allow", "regression")}
    assert all("could still be denied after apply by the policy that module.scps." in r["reason"] for r in t)
    assert not [r for r in rows if r["severity"] == "neutral" and r["after"] == "unknown"]
    summary = p.stderr.strip().splitlines()[-1]
    assert "1 unknown" in summary and "unknown: not_evaluated 1" in summary, summary
    # the unknown alone fails a gate on unknown; a gate on regressions only still sees the detach
    assert cli([org.path, "--terraform-plan", path, "--principal", "role/Dev", "--kind", "not_evaluated",
                "--fail-on", "unknown"]).returncode == 1
    assert cli([org.path, "--terraform-plan", path, "--principal", "role/Dev", "--kind", "not_evaluated",
                "--fail-on", "regression"]).returncode == 0


@pytest.fixture(scope="module")
def allowlist_org(tmp_path_factory):
    """An OU under the allow-list strategy (FullAWSAccess replaced by an Allow of a few services), with a Deny."""
    sb = SnapshotSpec(regions=["us-east-1"])
    prod = sb.ou("Prod", full_access=False)
    app = sb.account("App", parent=prod)
    allow = sb.policy("AllowSome", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "cloudtrail:*", "organizations:*"], "Resource": "*"}]}, [prod])
    protect = sb.policy("Protect", PROTECT, [prod])
    o = sb.load(tmp_path_factory.mktemp("allowlist") / "s")
    o.ids = {"prod": prod, "app": app, "allow": allow, "protect": protect, "root": sb.root}
    return o


def test_unknown_policy_where_it_could_widen_is_unknown_and_the_detach_is_still_a_regression(allowlist_org):
    """Attached where the level allows only some services, an unknown policy could add an Allow (widen): the
    accounts below are unknown (severity unknown, not neutral). The Deny detached from the same OU is rated by its
    own effect, never described as having no effect."""
    ids = allowlist_org.ids
    df = diff_plan(allowlist_org, for_each_module_plan(ids["prod"], detach=(ids["protect"], ids["prod"])),
                   principal="role/Dev")
    det = df[df.kind == "scp_detached"].iloc[0]
    assert det.severity == "regression", det.reason
    assert "no effect" not in det.reason and "decisions unknown until apply" in det.reason
    unk = df[(df.kind == "scp_effect") & (df.account_id == ids["app"])]
    assert unk[["after", "severity"]].values.tolist() == [["unknown", "unknown"]]
    ne = df[df.kind == "not_evaluated"].iloc[0]
    assert ne.severity == "unknown" and "could widen permissions" in ne.reason
    assert "unknown" not in set(df[df.severity == "neutral"].after.dropna())
    line = orgkit.diff.summary_line(df)
    assert "1 regression" in line and "2 unknown" in line, line


def test_unknown_policy_alone_is_never_called_no_effect(allowlist_org):
    """Only the unknown attachment: nothing but the creation of the policy (no effect by itself) is neutral, and
    no row says the policy is not attached or has no effect."""
    df = diff_plan(allowlist_org, for_each_module_plan(allowlist_org.ids["prod"]), principal="role/Dev")
    assert df.kind[df.severity == "neutral"].tolist() == ["scp_created"]
    assert set(df.severity[df.kind != "scp_created"]) == {"unknown"}
    assert "may attach it" in df[df.kind == "scp_created"].iloc[0].reason
    assert not df.reason.str.contains("no effect|not attached").any()


@pytest.mark.parametrize("severity", ["regression,unknown", "unknown", "improvement"])
def test_fail_on_accepts_every_severity(org, tmp_path, severity):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan([])))
    p = cli([org.path, "--terraform-plan", path, "--fail-on", severity, "--summary-only"])
    assert p.returncode == 0 and p.stdout.strip() == "orgkit diff: no changes", p.stderr
    p = cli([org.path, "--terraform-plan", path, "--fail-on", "unknwon"])
    assert p.returncode == 2 and "unknown" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def unknown_target_plan(pid_ref):
    """An attachment of policy ``pid_ref`` (an existing id) to a target unknown until apply (``each.value``)."""
    changes = [rc('module.att.aws_organizations_policy_attachment.this["x"]', "aws_organizations_policy_attachment",
                  ["create"], None, {"policy_id": pid_ref}, {"id": True, "target_id": True})]
    modules = {"att": {"source": "./att", "module": {"resources": [
        cfg("aws_organizations_policy_attachment.this", "aws_organizations_policy_attachment",
            target_id={"references": ["each.value"]})]}}}
    return plan(changes, modules=modules)


def test_a_known_policy_attached_to_an_unknown_target(org, allowlist_org):
    """It may land anywhere: a Deny-only policy can only restrict every account (evaluated without it); a policy
    with an Allow can widen any account whose chain has a level that does not already allow everything."""
    df = diff_plan(org, unknown_target_plan(org.ids["protect"]), principal="role/Dev")
    ne = df[df.kind == "not_evaluated"].iloc[0]
    assert ne.severity == "unknown" and "it has no Allow" in ne.reason
    assert not len(df[df.kind == "scp_effect"])
    ids = allowlist_org.ids
    df = diff_plan(allowlist_org, unknown_target_plan(ids["allow"]), principal="role/Dev")
    ne = df[df.kind == "not_evaluated"].iloc[0]
    assert "could widen permissions" in ne.reason and "can only take permissions away" in ne.reason
    unk = df[(df.kind == "scp_effect") & (df.after == "unknown")]
    assert set(unk.account_id) == {ids["app"]} and set(unk.severity) == {"unknown"}


def test_a_move_into_an_ou_where_an_unknown_policy_lands_is_still_rated(tmp_path):
    """App moves from an OU that denies StopLogging into an allow-list OU where the plan also attaches an
    unresolvable policy: App's final answer is unknown, but the move's own effect (it leaves the Deny behind) is a
    regression, said so."""
    sb = SnapshotSpec(regions=["us-east-1"])
    secure = sb.ou("Secure")
    open_ = sb.ou("Open", full_access=False)
    app = sb.account("App", parent=secure)
    sb.policy("Protect", PROTECT, [secure])
    sb.policy("AllowSome", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "cloudtrail:*"], "Resource": "*"}]}, [open_])
    o = sb.load(tmp_path / "s")
    doc = for_each_module_plan(open_)
    acc = {"id": app, "name": "App", "email": "app@example.com", "parent_id": secure}
    doc["resource_changes"].append(rc("aws_organizations_account.app", "aws_organizations_account", ["update"], acc,
                                      dict(acc, parent_id=open_)))
    df = diff_plan(o, doc, principal="role/Dev")
    mv = df[df.kind == "account_moved"].iloc[0]
    assert mv.severity == "regression" and "decisions unknown until apply" in mv.reason, mv.reason
    assert df[(df.kind == "scp_effect") & (df.account_id == app)].severity.tolist() == ["unknown"]


def test_a_new_policy_whose_content_is_unknown_attached_where_everything_is_allowed(org):
    """Its attachment is never rated by a stand-in text: unknown; the accounts below can only be restricted, so
    they are evaluated (nothing else changes: no effect rows)."""
    ids = org.ids
    changes = [
        rc("aws_organizations_policy.p", "aws_organizations_policy", ["create"], None,
           {"name": "FromLocal", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True}),
        rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": ids["eng"]}, {"id": True, "policy_id": True}),
    ]
    config = [cfg("aws_organizations_policy.p", "aws_organizations_policy", content={"references": ["local.doc"]}),
              cfg("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment",
                  policy_id={"references": ["aws_organizations_policy.p.id", "aws_organizations_policy.p"]})]
    df = diff_plan(org, plan(changes, config), principal="role/Dev")
    att = df[df.kind == "scp_attached"].iloc[0]
    assert att.severity == "unknown" and "content unknown until apply" in att.reason
    assert "no effect" not in att.reason
    ne = df[df.kind == "not_evaluated"].iloc[0]
    assert ne.severity == "unknown" and "can only take permissions away" in ne.reason
    assert not len(df[df.kind.isin(["scp_effect", "tamper"])])
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


# issue 22: survivors of mutation. Rows compared whole; references a plan's author writes resolved or refused.
ROW = ["kind", "severity", "account_id", "policy_id", "policy_name", "target_id", "before", "after", "reason",
       "source"]
FEW = ["organizations:LeaveOrganization", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]


def rows_of(df, *kinds) -> list[tuple]:
    df = df[df.kind.isin(kinds)] if kinds else df
    return [tuple(r) for r in df[ROW].itertuples(index=False)]


def test_content_unknown_with_no_references_recorded_is_said_whole(org):
    changes = [rc("aws_organizations_policy.p", "aws_organizations_policy", ["create"], None,
                  {"name": "P", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True})]
    config = [cfg("aws_organizations_policy.p", "aws_organizations_policy", content={"references": []})]
    df = diff_plan(org, plan(changes, config), actions=FEW)
    why = "aws_organizations_policy.p.content is unknown until apply (no references recorded)"
    assert sorted(df["kind"]) == ["not_evaluated", "scp_created"]  # created, attached nowhere: no edit row
    assert rows_of(df, "not_evaluated") == [
        ("not_evaluated", "unknown", None, "(after apply) aws_organizations_policy.p", "P", None, None, None,
         f"aws_organizations_policy.p: policy content unknown until apply ({why}): its effect is not evaluated",
         "aws_organizations_policy.p")]
    assert rows_of(df, "scp_created") == [
        ("scp_created", "neutral", None, "(after apply) aws_organizations_policy.p", "P", None, None, "P",
         f"content unknown until apply ({why})", None)]


def test_a_reference_that_is_not_one_is_unknown_not_a_crash(org):
    """A plan is hostile input: a recorded reference that is no Terraform address is reported unknown."""
    eng, app = org.ids["eng"], org.ids["app"]
    changes = [rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
                  {"target_id": eng}, {"id": True, "policy_id": True})]
    config = [cfg("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment",
                  policy_id={"references": ["not a reference!"]}, target_id={"constant_value": eng})]
    df = diff_plan(org, plan(changes, config), actions=FEW)
    assert rows_of(df) == [
        ("not_evaluated", "unknown", None, None, None, eng, None, None,
         "aws_organizations_policy_attachment.a: attaches a policy unknown until apply "
         "(aws_organizations_policy_attachment.a.policy_id is unknown until apply (not a reference! is not known)) "
         f"to {eng}: it can only take permissions away there (the level already allows everything, and an SCP never "
         f"grants), so the 1 account below ({app}) is evaluated without it and its decisions could only become "
         "more restrictive", "aws_organizations_policy_attachment.a")]


def test_an_instance_of_a_for_each_resource_is_resolved_through_its_configuration(org):
    changes, config = new_policy_and_attachment(org.ids["eng"])
    changes[1]["address"] = 'aws_organizations_policy_attachment.leave_root["eng"]'
    df = diff_plan(org, plan(changes, config), actions=FEW)
    assert rows_of(df, "scp_attached", "not_evaluated", "scp_effect") == [
        ("scp_attached", "improvement", None, "(after apply) aws_organizations_policy.deny_leave", "DenyLeave",
         org.ids["eng"], None, None, "DenyLeave attached to ou Root/Engineering; changes SCP decisions in 1 account",
         None),
        ("scp_effect", "improvement", org.ids["app"], None, None, None, "allow", "explicit_deny",
         "1 organizations action now denied (were allow)", None)]


def test_an_element_of_a_list_variable_is_resolved(org):
    ids = org.ids
    changes = [rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
                  {"policy_id": ids["protect"]}, {"id": True, "target_id": True})]
    config = [cfg("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment",
                  target_id={"references": ["var.ous[1]", "var.ous"]})]
    df = diff_plan(org, plan(changes, config, variables={"ous": {"value": [ids["eng"], ids["sandbox"]]}}),
                   actions=FEW)
    assert rows_of(df, "scp_attached", "not_evaluated") == [
        ("scp_attached", "improvement", None, ids["protect"], "Protect", ids["sandbox"], None, None,
         "Protect attached to ou Root/Sandbox; changes SCP decisions in 1 account", None)]


def test_an_account_the_snapshot_lacks_and_a_new_accounts_row(org):
    ids = org.ids
    changes = [
        rc("aws_organizations_account.ghost", "aws_organizations_account", ["update"],
           {"id": "999999999999", "name": "Ghost", "parent_id": ids["eng"]},
           {"id": "999999999999", "name": "Ghost", "parent_id": ids["sandbox"]}),
        rc("aws_organizations_account.new", "aws_organizations_account", ["create"], None,
           {"name": "Newbie", "email": "n@example.com", "parent_id": ids["sandbox"]}, {"id": True, "arn": True})]
    df = diff_plan(org, plan(changes), actions=FEW)
    assert rows_of(df, "not_evaluated") == [
        ("not_evaluated", "unknown", "999999999999", None, None, None, None, None,
         "aws_organizations_account.ghost: updates account 999999999999, which the snapshot does not have",
         "aws_organizations_account.ghost")]
    acc = plan_org(org, plan(changes)).org.accounts
    cols = ["account_id", "account_name", "status", "joined_method", "parent_id", "ou_path", "is_management", "tags",
            "access", "access_error"]
    assert acc[acc.account_name == "Newbie"][cols].to_dict("records") == [
        {"account_id": "(after apply) aws_organizations_account.new", "account_name": "Newbie", "status": "ACTIVE",
         "joined_method": "CREATED", "parent_id": ids["sandbox"], "ou_path": "Root/Sandbox", "is_management": False,
         "tags": {}, "access": "none", "access_error": None}]


def test_a_plan_that_changes_nothing_rebuilds_the_same_organisation(org):
    res = plan_org(org, plan([]))
    assert dict(res.org.graph.nodes(data=True)) == dict(org.graph.nodes(data=True))
    assert set(res.org.graph.edges) == set(org.graph.edges)
    for name, key in (("ous", "ou_id"), ("accounts", "account_id"), ("policies", "policy_id"),
                      ("policy_targets", "target_id")):
        got, want = res.org.frames[name], org.frames[name]
        cols = [c for c in want.columns if c not in ("joined_at", "email", "arn", "tags")]
        assert got[cols].sort_values(key).to_dict("records") == want[cols].sort_values(key).to_dict("records"), name
    assert (res.rows, res.unknown_accounts, res.unknown_policies, res.restrict_only) == ([], {}, {}, {})


def test_an_attachment_updated_in_place_is_in_the_planned_organisation(org):
    """An in-place update (``skip_destroy`` changed) of an attachment the snapshot does not show: after apply the
    policy is attached (the plan's ``after``)."""
    ids = org.ids
    att = {"id": f"{ids['sandbox']}:{ids['protect']}", "policy_id": ids["protect"], "target_id": ids["sandbox"]}
    changes = [rc("aws_organizations_policy_attachment.p_sandbox", "aws_organizations_policy_attachment", ["update"],
                  {**att, "skip_destroy": False}, {**att, "skip_destroy": True})]
    assert rows_of(diff_plan(org, plan(changes), actions=FEW), "scp_attached", "not_evaluated") == [
        ("scp_attached", "improvement", None, ids["protect"], "Protect", ids["sandbox"], None, None,
         "Protect attached to ou Root/Sandbox; changes SCP decisions in 1 account", None)]


def test_effect_rows_name_the_unknown_policy_that_could_still_deny(org):
    ids = org.ids
    changes = [
        rc("aws_organizations_policy.x", "aws_organizations_policy", ["create"], None,
           {"name": "X", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True}),
        rc("aws_organizations_policy_attachment.x_eng", "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": ids["eng"]}, {"id": True, "policy_id": True}),
        rc("aws_organizations_policy_attachment.p", "aws_organizations_policy_attachment", ["delete"],
           {"id": f"{ids['eng']}:{ids['protect']}", "policy_id": ids["protect"], "target_id": ids["eng"]})]
    config = [cfg("aws_organizations_policy.x", "aws_organizations_policy", content={"references": ["local.doc"]}),
              cfg("aws_organizations_policy_attachment.x_eng", "aws_organizations_policy_attachment",
                  policy_id={"references": ["aws_organizations_policy.x.id", "aws_organizations_policy.x"]},
                  target_id={"constant_value": ids["eng"]})]
    df = diff_plan(org, plan(changes, config), actions=FEW)
    still = "; could still be denied after apply by policy X (its content is unknown until apply)"
    assert rows_of(df, "tamper", "scp_effect") == [
        ("tamper", "regression", ids["app"], None, None, None, "explicit_deny", "allow",
         f"can now call cloudtrail:DeleteTrail (was explicit_deny){still}", None),
        ("tamper", "regression", ids["app"], None, None, None, "explicit_deny", "allow",
         f"can now call cloudtrail:StopLogging (was explicit_deny){still}", None),
        ("scp_effect", "regression", ids["app"], None, None, None, "explicit_deny", "allow",
         f"2 cloudtrail actions now allowed (were explicit_deny){still}", None)]


def test_every_planned_change_orgkit_cannot_apply_is_said_whole(org):
    """One plan with each kind of change that is not evaluated or cannot be applied: each has its row, whole."""
    ids = org.ids
    eng, sandbox, protect, play = ids["eng"], ids["sandbox"], ids["protect"], ids["play"]
    P, O, A, AT = ("aws_organizations_policy", "aws_organizations_organizational_unit", "aws_organizations_account",
                   "aws_organizations_policy_attachment")
    old = {"Version": "2008-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    changes = [
        rc("aws_s3_bucket.b", "aws_s3_bucket", ["delete", "create"], {"id": "b"}, {"id": "b"}),
        rc(f"{P}.gone", P, ["delete"], {"id": "p-99999999", "name": "Gone"}),
        rc(f"{P}.ghost", P, ["update"], {"id": "p-88888888", "name": "Ghost"}, {"id": "p-88888888", "name": "G2"}),
        rc(f"{P}.tag", P, ["create"], None, {"name": "Tags", "type": "TAG_POLICY", "content": "{}"}, {"id": True}),
        rc(f"{P}.old", P, ["create"], None, {"name": "Old", "type": "SERVICE_CONTROL_POLICY",
                                             "content": json.dumps(old)}, {"id": True}),
        rc(f"{O}.gone", O, ["delete"], {"id": "ou-zz-gone", "name": "Gone"}),
        rc(f"{O}.ghost", O, ["update"], {"id": "ou-zz-ghost", "name": "Ghost"}, {"id": "ou-zz-ghost", "name": "G"}),
        rc(f"{O}.floating", O, ["create"], None, {"name": "Floating"}, {"id": True, "parent_id": True}),
        rc(f"{O}.eng", O, ["delete"], {"id": eng, "name": "Engineering"}),
        rc(f"{A}.gone", A, ["delete"], {"id": "777777777777", "name": "Gone"}),
        rc(f"{A}.play", A, ["update"], {"id": play, "name": "Play", "parent_id": sandbox}, {"id": play, "name": "Play"},
           {"parent_id": True}),
        rc(f"{A}.new", A, ["create"], None, {"name": "New"}, {"id": True, "parent_id": True}),
        rc(f"{AT}.notthere", AT, ["delete"], {"id": "x", "policy_id": protect, "target_id": sandbox}),
        rc(f"{AT}.both", AT, ["create"], None, {}, {"id": True, "policy_id": True, "target_id": True}),
        rc(f"{AT}.nopol", AT, ["create"], None, {"policy_id": "p-55555555", "target_id": eng}, {"id": True}),
        rc(f"{AT}.notgt", AT, ["create"], None, {"policy_id": protect, "target_id": "ou-zz-none"}, {"id": True}),
    ]
    p = plan(changes)
    p["deferred_changes"] = [{"reason": "resource_config_unknown",
                              "resource_change": rc(f"{P}.later", P, ["create"], None, {"name": "Later"})}]
    p["complete"] = False
    df = diff_plan(org, p, actions=FEW)

    def no_expr(address, attr):
        return f"{address}.{attr} is unknown until apply and the plan records no expression"

    def ne(address, reason, account_id=None, policy_id=None, policy_name=None, target_id=None, severity="unknown"):
        return ("not_evaluated", severity, account_id, policy_id, policy_name, target_id, None, None,
                f"{address}: {reason}" if address else reason, address)

    assert rows_of(df) == [
        ne(f"{P}.old", 'Old: Version "2008-10-17": every SCP must include a Version element with the value '
           '"2012-10-17" (AWS refuses it); the apply would fail (the effect rows show the policy as written)',
           policy_id=f"(after apply) {P}.old", policy_name="Old", severity="regression"),
        ("scp_effect", "unknown", play, None, None, None, None, "unknown",
         f"its parent is unknown until apply ({no_expr(f'{A}.play', 'parent_id')})", None),
        ne("aws_s3_bucket.b", "planned delete/create of aws_s3_bucket: not modelled by orgkit, not evaluated"),
        ne(f"{P}.later", "change deferred by Terraform (resource_config_unknown): not evaluated"),
        ne(None, "the plan is incomplete (-target or deferred changes): what it leaves out is not shown"),
        ne(f"{O}.gone", "deletes OU ou-zz-gone, which the snapshot does not have"),
        ne(f"{O}.floating", f"OU parent unknown until apply ({no_expr(f'{O}.floating', 'parent_id')}): the OU is not "
           "placed", target_id=f"(after apply) {O}.floating"),
        ne(f"{O}.ghost", "updates OU ou-zz-ghost, which the snapshot does not have"),
        ne(f"{AT}.both", f"attachment of an unknown policy ({no_expr(f'{AT}.both', 'policy_id')}) to an unknown target "
           f"({no_expr(f'{AT}.both', 'target_id')}): not evaluated: it can only take permissions away (every level "
           "above them already allows everything), so 3 accounts are evaluated without it"),
        ne(f"{O}.eng", "deletes OU Root/Engineering which would still hold 1 accounts or OUs: AWS refuses to delete a "
           "non-empty OU (the apply would fail); kept", target_id=eng),
        ne(f"{P}.tag", "a TAG_POLICY: orgkit evaluates service control policies only",
           policy_id=f"(after apply) {P}.tag", policy_name="Tags"),
        ne(f"{AT}.notthere", f"detaches {protect} from {sandbox}, which the snapshot does not show attached",
           policy_id=protect, target_id=sandbox),
        ne(f"{AT}.notgt", f"attaches {protect} to ou-zz-none, which neither the snapshot nor the plan has",
           policy_id=protect, target_id="ou-zz-none"),
        ne(f"{AT}.nopol", "attaches p-55555555, which neither the snapshot nor the plan has", policy_id="p-55555555",
           target_id=eng),
        ne(f"{P}.ghost", "updates policy p-88888888, which the snapshot does not have", policy_id="p-88888888"),
        ne(f"{P}.gone", "deletes policy p-99999999, which the snapshot does not have", policy_id="p-99999999"),
        ne(f"{A}.new", f"new account's parent unknown until apply ({no_expr(f'{A}.new', 'parent_id')}): not placed",
           account_id=f"(after apply) {A}.new"),
        ne(f"{A}.play", f"account parent unknown until apply ({no_expr(f'{A}.play', 'parent_id')})", account_id=play),
        ne(f"{A}.gone", "removes account 777777777777, which the snapshot does not have", account_id="777777777777"),
        ("scp_created", "neutral", None, f"(after apply) {P}.old", "Old", None, None, "Old", "new SCP (not attached)",
         None)]


def test_a_new_policy_an_unresolved_attachment_may_attach_says_so(org):
    eng = org.ids["eng"]
    changes = [
        rc("aws_organizations_policy.deny_leave", "aws_organizations_policy", ["create"], None,
           {"name": "DenyLeave", "content": json.dumps(DENY_LEAVE), "type": "SERVICE_CONTROL_POLICY"}, {"id": True}),
        rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": eng}, {"id": True, "policy_id": True})]
    df = diff_plan(org, plan(changes), actions=FEW)
    assert rows_of(df, "scp_created") == [
        ("scp_created", "neutral", None, "(after apply) aws_organizations_policy.deny_leave", "DenyLeave", None, None,
         "DenyLeave", "new SCP (attached nowhere the plan shows; 1 attachment of a policy unknown until apply may "
         "attach it)", None)]


def test_what_is_not_a_plan_is_refused_in_words(tmp_path):
    (tmp_path / "bin.tfplan").write_bytes(b"PK\x03\x04\xff\xfe")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "state.json").write_text(json.dumps({"format_version": "1.0", "values": {}}))
    hint = "give the output of `terraform show -json PLANFILE`"
    cases = [
        (str(tmp_path / "missing.json"), f"{tmp_path}/missing.json: no such file ({hint})"),
        (tmp_path / "bin.tfplan", f"{tmp_path}/bin.tfplan: not JSON ('utf-8' codec can't decode byte 0xff in "
                                  f"position 4: invalid start byte); {hint}, not the binary plan file"),
        (tmp_path / "bad.json", f"{tmp_path}/bad.json: not JSON (Expecting property name enclosed in double quotes: "
                                f"line 1 column 2 (char 1)); {hint}, not the binary plan file"),
        (tmp_path / "state.json", f"{tmp_path}/state.json: no resource_changes: not a plan (this looks like a state: "
                                  "`terraform show -json` of a state file)"),
        ({"format_version": "2.0", "resource_changes": []},
         "plan: plan format_version 2.0 is not supported (orgkit reads 1.x)"),
        ({"resource_changes": []}, "plan: no format_version: not the output of `terraform show -json PLANFILE`"),
        ([1], "plan: not a Terraform JSON plan (expected an object)"),
        ({"format_version": "1.2"}, "plan: no resource_changes: not a plan"),
    ]
    for source, message in cases:
        with pytest.raises(PlanError) as e:
            read_plan(source)
        assert str(e.value) == message
    # a plan is read whole; entries of resource_changes that are not objects are left out
    p = read_plan({"format_version": 1.1, "resource_changes": [1, {"address": "a"}, None]})
    assert (p.format_version, p.path, p.resource_changes) == ("1.1", None, [{"address": "a"}])
    p = read_plan({"format_version": "0.2", "planned_values": {}})
    assert (p.format_version, p.resource_changes) == ("0.2", [])
    (tmp_path / "plan.json").write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    assert read_plan(tmp_path / "plan.json").path == str(tmp_path / "plan.json")


def test_a_data_source_is_never_applied_as_a_change(org):
    """A data source reads; whatever actions a plan lists for it, it changes nothing in the organisation."""
    changes = [dict(rc("data.aws_organizations_policy.p", "aws_organizations_policy", ["create"], None,
                       {"name": "Read", "content": json.dumps(DENY_LEAVE), "type": "SERVICE_CONTROL_POLICY"},
                       {"id": True}), mode="data")]
    assert rows_of(diff_plan(org, plan(changes), actions=FEW)) == []


# issue 22: seed-23 survivors
def test_a_policy_attached_to_an_unknown_target_says_how_many_accounts_each_way(allowlist_org):
    ids = allowlist_org.ids
    address = 'module.att.aws_organizations_policy_attachment.this["x"]'
    df = diff_plan(allowlist_org, unknown_target_plan(ids["allow"]), actions=FEW)
    assert rows_of(df) == [
        ("scp_effect", "unknown", ids["app"], None, None, None, None, "unknown",
         f"the policy {address} attaches to a target unknown until apply: it could widen permissions", None),
        ("not_evaluated", "unknown", None, ids["allow"], None, None, None, None,
         f"{address}: attaches {ids['allow']} to a target unknown until apply ({address}.target_id is unknown until "
         "apply (each.value is not known)): the accounts it reaches are unknown: it can only take permissions away "
         "(every level above them already allows everything), so 1 account is evaluated without it; it could "
         "widen permissions where a level does not already allow everything: the SCP decisions of 1 account are "
         "unknown", address)]


def test_an_existing_policy_whose_content_is_unknown_has_its_own_edit_row(org):
    ids = org.ids
    changes, config = _protect_content_unknown(ids)
    df = diff_plan(org, plan(changes, config), actions=FEW)
    why = "aws_organizations_policy.protect.content is unknown until apply (local.document is not known)"
    assert rows_of(df, "scp_edited", "scp_effect") == [
        ("scp_edited", "unknown", None, ids["protect"], "Protect", None, None, None,
         f"content unknown until apply ({why})", None),
        ("scp_effect", "unknown", ids["app"], None, None, None, None, "unknown", f"policy Protect applies: {why}",
         None)]


def test_a_planned_account_gets_full_aws_access_as_aws_attaches_it(org):
    changes = [rc("aws_organizations_account.new", "aws_organizations_account", ["create"], None,
                  {"name": "Newbie", "email": "n@example.com", "parent_id": org.ids["sandbox"]},
                  {"id": True, "arn": True})]
    pt = plan_org(org, plan(changes)).org.policy_targets
    new = "(after apply) aws_organizations_account.new"
    assert pt[pt.target_id == new][["policy_id", "target_id", "target_type"]].to_dict("records") == [
        {"policy_id": "p-FullAWSAccess", "target_id": new, "target_type": "ACCOUNT"}]


def test_an_existing_policy_whose_new_content_is_unknown_may_drop_a_deny_wherever_it_is(org, tmp_path):
    """An existing policy whose new text is unknown may lose a Deny, so its accounts' decisions are unknown even where
    the level allows everything already (Engineering has FullAWSAccess): the note says that, not that the level does
    not allow everything. Under an allow-list OU it could add an Allow as well."""
    ids = org.ids
    changes, config = _protect_content_unknown(ids)
    why = "aws_organizations_policy.protect.content is unknown until apply (local.document is not known)"
    head = f"aws_organizations_policy.protect: policy content unknown until apply ({why}): its effect is not evaluated: "
    df = diff_plan(org, plan(changes, config), actions=FEW)
    assert [r[-2] for r in rows_of(df, "not_evaluated")] == [
        head + "its new content replaces an existing policy's, so it could drop a Deny the policy has now; the SCP "
        f"decisions of the 1 account below ({ids['app']}) are unknown"]
    sb = SnapshotSpec(regions=["us-east-1"])
    allow = sb.ou("AllowList", full_access=False)
    app = sb.account("App", parent=allow)
    pid = sb.policy("Protect", PROTECT, [allow])
    o = sb.load(tmp_path / "allowlist")
    changes, config = _protect_content_unknown({"protect": pid})
    df = diff_plan(o, plan(changes, config), actions=FEW)
    assert [r[-2] for r in rows_of(df, "not_evaluated")] == [
        head + "its new content replaces an existing policy's, so it could drop a Deny the policy has now or add an "
        f"Allow where the level does not already allow everything; the SCP decisions of the 1 account below ({app}) "
        "are unknown"]


def test_a_policy_of_unknown_content_over_more_than_five_accounts_names_five_and_counts_the_rest(tmp_path):
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    accs = sorted(sb.account(f"App{i}", parent=eng) for i in range(7))
    sb.policy("Protect", PROTECT, [eng])
    o = sb.load(tmp_path / "s")
    changes = [
        rc("aws_organizations_policy.p", "aws_organizations_policy", ["create"], None,
           {"name": "FromLocal", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True}),
        rc("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment", ["create"], None,
           {"target_id": eng}, {"id": True, "policy_id": True})]
    config = [cfg("aws_organizations_policy.p", "aws_organizations_policy", content={"references": ["local.doc"]}),
              cfg("aws_organizations_policy_attachment.a", "aws_organizations_policy_attachment",
                  policy_id={"references": ["aws_organizations_policy.p.id", "aws_organizations_policy.p"]})]
    df = diff_plan(o, plan(changes, config), actions=FEW)
    why = "aws_organizations_policy.p.content is unknown until apply (local.doc is not known)"
    assert [r[-2] for r in rows_of(df, "not_evaluated")] == [
        f"aws_organizations_policy.p: policy content unknown until apply ({why}): its effect is not evaluated: it can "
        "only take permissions away there (the level already allows everything, and an SCP never grants), so the 7 "
        f"accounts below ({', '.join(accs[:5])} and 2 more) are evaluated without it and their decisions could only "
        "become more restrictive"]


# issue 22: seed-26 survivors
RCP_DENY_S3 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}


@pytest.mark.parametrize("rcps", ["not enabled", "enabled but not read"])
def test_a_planned_rcp_where_the_snapshot_has_no_rcps_read_is_not_evaluated(tmp_path, rcps):
    """An RCP is modelled only where the snapshot has the type enabled and its policies read: otherwise the plan's
    RCP is listed as not evaluated (and its attachment with it), never applied as if it were an SCP."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    sb.account("App", parent=eng)
    if rcps == "enabled but not read":
        sb.enable_rcps()
        sb.rcp_error = "AccessDeniedException"
    o = sb.load(tmp_path / "s")
    P, AT = "aws_organizations_policy", "aws_organizations_policy_attachment"
    changes = [rc(f"{P}.r", P, ["create"], None, {"name": "DenyS3", "type": "RESOURCE_CONTROL_POLICY",
                                                  "content": json.dumps(RCP_DENY_S3)}, {"id": True}),
               rc(f"{AT}.a", AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True})]
    config = [cfg(f"{AT}.a", AT, policy_id={"references": [f"{P}.r.id", f"{P}.r"]}, target_id={"constant_value": eng})]
    unread = "organizations:AccessDeniedException (the RCPs could not be listed)"
    assert rows_of(diff_plan(o, plan(changes, config), actions=FEW)) == ([
        ("rcp_policy_type", "unknown", None, None, None, sb.root, "unread", "unread",
         f"resource control policies not read in BEFORE ({unread}) and AFTER ({unread}): their changes are unknown",
         None)] if rcps == "enabled but not read" else []) + [
        ("not_evaluated", "unknown", None, f"(after apply) {P}.r", "DenyS3", None, None, None,
         f"{P}.r: a RESOURCE_CONTROL_POLICY: orgkit evaluates service control policies and resource control policies "
         "(where the snapshot has them enabled and read) only", f"{P}.r")]


def test_a_policy_attached_to_an_ou_the_plan_creates_is_attached_there(tmp_path):
    """The target is the new OU's id, unknown until apply: the attachment lands on the OU the plan creates, and the
    account the plan moves into it gains the policy's Deny."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    app = sb.account("App", parent=eng)
    leave = sb.policy("DenyLeave", DENY_LEAVE, [])
    o = sb.load(tmp_path / "s")
    O, A, AT = "aws_organizations_organizational_unit", "aws_organizations_account", "aws_organizations_policy_attachment"
    changes = [
        rc(f"{O}.prod", O, ["create"], None, {"name": "Prod", "parent_id": eng}, {"id": True, "arn": True}),
        rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": eng}, {"id": app, "name": "App"},
           {"parent_id": True}),
        rc(f"{AT}.leave", AT, ["create"], None, {"policy_id": leave}, {"id": True, "target_id": True})]
    config = [cfg(f"{A}.app", A, parent_id={"references": [f"{O}.prod.id", f"{O}.prod"]}),
              cfg(f"{AT}.leave", AT, target_id={"references": [f"{O}.prod.id", f"{O}.prod"]})]
    prod = f"(after apply) {O}.prod"
    assert rows_of(diff_plan(o, plan(changes, config), actions=FEW)) == [
        ("account_moved", "improvement", app, None, None, prod, "Root/Engineering", "Root/Engineering/Prod",
         f"moved from Root/Engineering ({eng}) to Root/Engineering/Prod ({prod}); changes SCP decisions in 1 account",
         None),
        ("tamper", "improvement", app, None, None, None, "allow", "explicit_deny",
         "organizations:LeaveOrganization now explicit_deny (was allow)", None),
        ("scp_effect", "improvement", app, None, None, None, "allow", "explicit_deny",
         "1 organizations action now denied (were allow)", None),
        ("ou_added", "neutral", None, None, None, prod, None, "Prod", "new OU (SCPs attached: DenyLeave, FullAWSAccess)",
         None)]


def test_a_resource_the_plan_creates_with_an_id_it_already_knows_keeps_that_id(org):
    """``new_id``: an id the plan records as known (not unknown until apply) is the resource's id after apply, and
    what refers to it reaches it."""
    ids = org.ids
    O, A = "aws_organizations_organizational_unit", "aws_organizations_account"
    changes = [rc(f"{O}.prod", O, ["create"], None, {"id": "ou-ab12-00000099", "name": "Prod", "parent_id": ids["eng"]},
                  {"arn": True}),
               rc(f"{A}.app", A, ["update"], {"id": ids["app"], "name": "App", "parent_id": ids["eng"]},
                  {"id": ids["app"], "name": "App"}, {"parent_id": True})]
    config = [cfg(f"{A}.app", A, parent_id={"references": [f"{O}.prod.id", f"{O}.prod"]})]
    assert rows_of(diff_plan(org, plan(changes, config), actions=FEW)) == [
        ("account_moved", "neutral", ids["app"], None, None, "ou-ab12-00000099", "Root/Engineering",
         "Root/Engineering/Prod", f"moved from Root/Engineering ({ids['eng']}) to Root/Engineering/Prod "
         "(ou-ab12-00000099); no effect on any account's SCP decisions", None),
        ("ou_added", "neutral", None, None, None, "ou-ab12-00000099", None, "Prod",
         "new OU (SCPs attached: FullAWSAccess)", None)]


# issue 22: diff_plan and plan_org compared whole (broadening beyond the sampled survivors)
def _two_kinds(tmp_path):
    """Engineering (App) under an SCP that protects trails and an RCP that denies S3."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Engineering")
    app = sb.account("App", parent=eng)
    protect = sb.policy("Protect", PROTECT, [eng])
    keep = sb.rcp("KeepS3", RCP_DENY_S3, [eng])
    o = sb.load(tmp_path / "two_kinds")
    o.ids = {"eng": eng, "app": app, "protect": protect, "keep": keep}
    return o


@pytest.mark.parametrize("old", ["protect", "keep"])
def test_a_policy_replaced_by_one_of_the_other_type_is_deleted_where_it_was(tmp_path, old):
    """UpdatePolicy cannot change a policy's type: a plan that changes it replaces the policy (delete, create).
    The old policy is deleted with its attachments, whichever type it was, and the new one is made as its type
    says (an SCP replaced by an RCP used to stay in force, its Denies still counted)."""
    o = _two_kinds(tmp_path)
    ids = o.ids
    P = "aws_organizations_policy"
    was_scp = old == "protect"
    name, doc = ("Protect", PROTECT) if was_scp else ("KeepS3", RCP_DENY_S3)
    types = ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
    old_type, new_type = types if was_scp else types[::-1]
    before = {"id": ids[old], "name": name, "type": old_type, "content": json.dumps(doc)}
    changes = [rc(f"{P}.{old}", P, ["delete", "create"], before,
                  {"name": name, "type": new_type, "content": json.dumps(DENY_LEAVE if was_scp else RCP_DENY_S3)},
                  {"id": True})]
    res = plan_org(o, plan(changes))
    new = f"(after apply) {P}.{old}"
    assert (sorted(res.org.policies.policy_id), sorted(res.org.frames["rcps"].policy_id)) == (
        (["p-FullAWSAccess"], sorted([ids["keep"], new, "p-RCPFullAWSAccess"])) if was_scp else
        (sorted([new, ids["protect"], "p-FullAWSAccess"]), ["p-RCPFullAWSAccess"]))
    app, eng = ids["app"], ids["eng"]
    k = "scp" if was_scp else "rcp"
    head = [(f"{k}_deleted", "regression", None, ids[old], name, None, name, None,
             f"{k.upper()} deleted; changes SCP decisions in 1 account", None),
            (f"{k}_detached", "regression", None, ids[old], name, eng, None, None,
             f"{name} detached from ou Root/Engineering; changes SCP decisions in 1 account", None)]
    effect = [("tamper", "regression", app, None, None, None, "explicit_deny", "allow",
               f"can now call {a} (was explicit_deny)", None) for a in ("cloudtrail:DeleteTrail", "cloudtrail:StopLogging")] + [
        ("scp_effect", "regression", app, None, None, None, "explicit_deny", "allow",
         "2 cloudtrail actions now allowed (were explicit_deny)", None)] if was_scp else [
        ("scp_effect", "regression", app, None, None, None, "explicit_deny", "allow",
         "1 s3 action now allowed (were explicit_deny)", None)]
    made = ("rcp_created" if was_scp else "scp_created", "neutral", None, new, name, None, None, name,
            f"new {'RCP' if was_scp else 'SCP'} (not attached)", None)
    assert rows_of(diff_plan(o, plan(changes), actions=FEW + ["s3:GetObject"])) == head + effect + [made]


def test_an_existing_policy_of_unknown_content_attached_elsewhere_keeps_its_edit_row(tmp_path):
    """Its new text is unknown: its edit row says so (unknown) whether or not the plan also attaches it somewhere;
    the new attachment is not rated by the text it replaces; the accounts under both are unknown."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng, sandbox = sb.ou("Engineering"), sb.ou("Sandbox")
    app, play = sb.account("App", parent=eng), sb.account("Play", parent=sandbox)
    protect = sb.policy("Protect", PROTECT, [eng])
    o = sb.load(tmp_path / "s")
    changes, config = _protect_content_unknown({"protect": protect})
    AT = "aws_organizations_policy_attachment"
    changes.append(rc(f"{AT}.sandbox", AT, ["create"], None, {"policy_id": protect, "target_id": sandbox}, {"id": True}))
    why = "aws_organizations_policy.protect.content is unknown until apply (local.document is not known)"
    assert rows_of(diff_plan(o, plan(changes, config), actions=FEW)) == [
        ("scp_edited", "unknown", None, protect, "Protect", None, None, None, f"content unknown until apply ({why})",
         None),
        ("scp_attached", "unknown", None, protect, "Protect", sandbox, None, None,
         f"Protect attached to ou Root/Sandbox; content unknown until apply ({why}): its effect is not evaluated",
         None),
        *[("scp_effect", "unknown", a, None, None, None, None, "unknown", f"policy Protect applies: {why}", None)
          for a in (app, play)],
        ("not_evaluated", "unknown", None, protect, "Protect", None, None, None,
         f"aws_organizations_policy.protect: policy content unknown until apply ({why}): its effect is not "
         "evaluated: its new content replaces an existing policy's, so it could drop a Deny the policy has now; the "
         f"SCP decisions of the 2 accounts below ({app}, {play}) are unknown", "aws_organizations_policy.protect")]


def test_new_policies_and_attachments_unknown_until_apply_compared_whole(org):
    """A new policy of unknown content attached to Sandbox, a new known policy attached nowhere the plan shows,
    and two attachments whose policy is unknown: every row, whole."""
    ids = org.ids
    eng, sandbox, app, play = ids["eng"], ids["sandbox"], ids["app"], ids["play"]
    P, AT = "aws_organizations_policy", "aws_organizations_policy_attachment"
    changes = [
        rc(f"{P}.x", P, ["create"], None, {"name": "X", "type": "SERVICE_CONTROL_POLICY"}, {"id": True, "content": True}),
        rc(f"{P}.y", P, ["create"], None, {"name": "Y", "type": "SERVICE_CONTROL_POLICY",
                                           "content": json.dumps(DENY_LEAVE)}, {"id": True}),
        rc(f"{AT}.x", AT, ["create"], None, {"target_id": sandbox}, {"id": True, "policy_id": True}),
        *[rc(f"{AT}.{u}", AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True})
          for u in ("u1", "u2")]]
    config = [cfg(f"{P}.x", P, content={"references": ["local.doc"]}),
              cfg(f"{AT}.x", AT, policy_id={"references": [f"{P}.x.id", f"{P}.x"]},
                  target_id={"constant_value": sandbox})]
    why = f"{P}.x.content is unknown until apply (local.doc is not known)"
    only_restrict = ("it can only take permissions away there (the level already allows everything, and an SCP "
                     "never grants), so the 1 account below ({}) is evaluated without it and its decisions could "
                     "only become more restrictive")

    def unresolved(u):
        return ("not_evaluated", "unknown", None, None, None, eng, None, None,
                f"{AT}.{u}: attaches a policy unknown until apply ({AT}.{u}.policy_id is unknown until apply and the "
                f"plan records no expression) to {eng}: " + only_restrict.format(app), f"{AT}.{u}")

    assert rows_of(diff_plan(org, plan(changes, config), actions=FEW)) == [
        ("scp_attached", "unknown", None, f"(after apply) {P}.x", "X", sandbox, None, None,
         f"X attached to ou Root/Sandbox; content unknown until apply ({why}): its effect is not evaluated", None),
        unresolved("u1"), unresolved("u2"),
        ("not_evaluated", "unknown", None, f"(after apply) {P}.x", "X", None, None, None,
         f"{P}.x: policy content unknown until apply ({why}): its effect is not evaluated: "
         + only_restrict.format(play), f"{P}.x"),
        ("scp_created", "neutral", None, f"(after apply) {P}.x", "X", None, None, "X",
         f"content unknown until apply ({why})", None),
        ("scp_created", "neutral", None, f"(after apply) {P}.y", "Y", None, None, "Y",
         "new SCP (attached nowhere the plan shows; 2 attachments of a policy unknown until apply may attach it)",
         None)]


@pytest.mark.parametrize("given", ["dict", "path", "str", "Plan"])
def test_diff_plan_keeps_the_diff_labels_and_names_the_plan(org, tmp_path, given):
    """The frame's attrs: BEFORE's label, the principal, the regions compared (kept when a row is added for a
    policy of unknown content), and the plan's path when it has one."""
    changes, config = _protect_content_unknown(org.ids)
    doc = plan(changes, config)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    source = {"dict": doc, "path": path, "str": str(path), "Plan": read_plan(path)}[given]
    df = diff_plan(org, source, principal="role/Dev", actions=FEW)
    assert df.attrs == {"before": "2026-01-01T00:00:00+00:00", "after": "plan" if given == "dict" else f"plan {path}",
                        "principal": "role/Dev", "regions_compared": ["us-east-1"]}


def test_every_modelled_change_is_applied_and_compared_whole(tmp_path):
    """One plan with each modelled change (OU created, renamed, deleted; account created by reference, created
    without a known name, moved, removed; SCP created, edited and renamed, deleted; attachments to the root, to a
    new OU and a new account, to an account, detached; an RCP detached and attached): the planned organisation's
    frames and every row, whole."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng, old, sandbox = sb.ou("Engineering"), sb.ou("Old"), sb.ou("Sandbox")
    app, play = sb.account("App", parent=eng), sb.account("Play", parent=sandbox)
    gone = sb.account("Gone", parent=sandbox, full_access=False)
    protect, temp = sb.policy("Protect", PROTECT, [eng]), sb.policy("Temp", DENY_LEAVE, [sandbox])
    keep = sb.rcp("KeepS3", RCP_DENY_S3, [eng])
    o = sb.load(tmp_path / "s")
    root, mgmt = sb.root, sb.management
    P, O, A, AT = ("aws_organizations_policy", "aws_organizations_organizational_unit", "aws_organizations_account",
                   "aws_organizations_policy_attachment")
    changes = [
        rc(f"{O}.prod", O, ["create"], None, {"name": "Prod", "parent_id": root}, {"id": True, "arn": True}),
        rc(f"{O}.eng", O, ["update"], {"id": eng, "name": "Engineering", "parent_id": root},
           {"id": eng, "name": "Platform", "parent_id": root}),
        rc(f"{O}.old", O, ["delete"], {"id": old, "name": "Old", "parent_id": root}),
        rc(f"{A}.new", A, ["create"], None, {"name": "Newbie", "email": "n@example.com"}, {"id": True, "parent_id": True}),
        rc(f"{A}.anon", A, ["create"], None, {"email": "a@example.com", "parent_id": sandbox}, {"id": True, "name": True}),
        rc(f"{A}.play", A, ["update"], {"id": play, "name": "Play", "parent_id": sandbox},
           {"id": play, "name": "Play", "parent_id": eng}),
        rc(f"{A}.gone", A, ["delete"], {"id": gone, "name": "Gone", "parent_id": sandbox}),
        rc(f"{P}.fresh", P, ["create"], None, {"name": "Fresh", "type": "SERVICE_CONTROL_POLICY",
                                               "content": json.dumps(DENY_LEAVE)}, {"id": True}),
        rc(f"{P}.protect", P, ["update"], {"id": protect, "name": "Protect", "type": "SERVICE_CONTROL_POLICY",
                                           "content": json.dumps(PROTECT)},
           {"id": protect, "name": "Protect2", "type": "SERVICE_CONTROL_POLICY", "content": json.dumps(DENY_LEAVE)}),
        rc(f"{P}.temp", P, ["delete"], {"id": temp, "name": "Temp", "type": "SERVICE_CONTROL_POLICY"}),
        rc(f"{AT}.fresh_root", AT, ["create"], None, {"target_id": root}, {"id": True, "policy_id": True}),
        rc(f"{AT}.fresh_prod", AT, ["create"], None, {}, {"id": True, "policy_id": True, "target_id": True}),
        rc(f"{AT}.fresh_new", AT, ["create"], None, {}, {"id": True, "policy_id": True, "target_id": True}),
        rc(f"{AT}.protect_app", AT, ["create"], None, {"policy_id": protect, "target_id": app}, {"id": True}),
        rc(f"{AT}.protect_eng", AT, ["delete"], {"id": "x", "policy_id": protect, "target_id": eng}),
        rc(f"{AT}.keep_eng", AT, ["delete"], {"id": "y", "policy_id": keep, "target_id": eng}),
        rc(f"{AT}.keep_play", AT, ["create"], None, {"policy_id": keep, "target_id": play}, {"id": True})]
    fresh_id = {"references": [f"{P}.fresh.id", f"{P}.fresh"]}
    config = [cfg(f"{A}.new", A, parent_id={"references": [f"{O}.prod.id", f"{O}.prod"]}),
              cfg(f"{AT}.fresh_root", AT, policy_id=fresh_id),
              cfg(f"{AT}.fresh_prod", AT, policy_id=fresh_id, target_id={"references": [f"{O}.prod.id", f"{O}.prod"]}),
              cfg(f"{AT}.fresh_new", AT, policy_id=fresh_id, target_id={"references": [f"{A}.new.id", f"{A}.new"]})]
    res = plan_org(o, plan(changes, config))
    prod, new, anon, fresh = (f"(after apply) {x}" for x in (f"{O}.prod", f"{A}.new", f"{A}.anon", f"{P}.fresh"))
    assert (res.rows, res.unknown_accounts, res.unknown_policies, res.restrict_only,
            res.unresolved_attachments) == ([], {}, {}, {}, 0)
    n = res.org

    def recs(df, cols):
        return sorted(tuple(None if pd.isna(v) else v for v in r) for r in df[cols].itertuples(index=False))

    assert recs(n.ous, ["ou_id", "name", "parent_id", "ou_path", "is_root"]) == sorted([
        (prod, "Prod", root, "Root/Prod", False), (eng, "Platform", root, "Root/Platform", False),
        (sandbox, "Sandbox", root, "Root/Sandbox", False), (root, "Root", None, "Root", True)])
    assert recs(n.accounts, ["account_id", "account_name", "parent_id", "ou_path"]) == sorted([
        (anon, f"{A}.anon", sandbox, "Root/Sandbox"), (new, "Newbie", prod, "Root/Prod"),
        (app, "App", eng, "Root/Platform"), (play, "Play", eng, "Root/Platform"), (mgmt, "Management", root, "Root")])
    assert recs(n.policies, ["policy_id", "name", "type", "aws_managed", "content"]) == sorted([
        (fresh, "Fresh", "SERVICE_CONTROL_POLICY", False, json.dumps(DENY_LEAVE)),
        (protect, "Protect2", "SERVICE_CONTROL_POLICY", False, json.dumps(DENY_LEAVE)),
        ("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", True, json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))])
    full = "p-FullAWSAccess"
    assert recs(n.policy_targets, ["policy_id", "target_id", "target_type", "target_name"]) == sorted([
        (fresh, new, "ACCOUNT", "Newbie"), (fresh, prod, "ORGANIZATIONAL_UNIT", "Prod"), (fresh, root, "ROOT", "Root"),
        (protect, app, "ACCOUNT", "App"), (full, anon, "ACCOUNT", None), (full, new, "ACCOUNT", None),
        (full, prod, "ORGANIZATIONAL_UNIT", None), (full, app, "ACCOUNT", "App"), (full, play, "ACCOUNT", "Play"),
        (full, mgmt, "ACCOUNT", "Management"), (full, eng, "ORGANIZATIONAL_UNIT", "Engineering"),
        (full, sandbox, "ORGANIZATIONAL_UNIT", "Sandbox"), (full, root, "ROOT", "Root")])
    rfull = "p-RCPFullAWSAccess"
    assert recs(n.frames["rcp_targets"], ["policy_id", "target_id", "target_type"]) == sorted([
        (keep, play, "ACCOUNT"), *[(rfull, a, "ACCOUNT") for a in (anon, new, app, play, mgmt)],
        *[(rfull, x, "ORGANIZATIONAL_UNIT") for x in (prod, eng, sandbox)], (rfull, root, "ROOT")])

    def n_(k):
        return f"changes SCP decisions in {k} account{'s' if k != 1 else ''}"

    none = "no effect on any account's SCP decisions"
    both = "(SCPs attached: Fresh, FullAWSAccess) (RCPs attached: RCPFullAWSAccess)"
    assert rows_of(diff_plan(o, plan(changes, config), actions=FEW + ["s3:GetObject"])) == [
        ("account_moved", "regression", play, None, None, eng, "Root/Sandbox", "Root/Platform",
         f"moved from Root/Sandbox ({sandbox}) to Root/Platform ({eng}); {n_(1)}", None),
        ("scp_edited", "regression", None, protect, "Protect2", None, None, None,
         f"edited: statement ProtectTrail removed; statement #1 added; {n_(1)}", None),
        ("scp_deleted", "regression", None, temp, "Temp", None, "Temp", None, f"SCP deleted; {n_(2)}", None),
        ("scp_detached", "regression", None, protect, "Protect", eng, None, None,
         f"Protect detached from ou Root/Platform; {n_(1)}", None),
        ("scp_detached", "regression", None, temp, "Temp", sandbox, None, None,
         f"Temp detached from ou Root/Sandbox; {n_(2)}", None),
        ("rcp_detached", "regression", None, keep, "KeepS3", eng, None, None,
         f"KeepS3 detached from ou Root/Platform; {n_(1)}", None),
        *[("tamper", "regression", app, None, None, None, "explicit_deny", "allow",
           f"can now call cloudtrail:{a} (was explicit_deny)", None) for a in ("DeleteTrail", "StopLogging")],
        *[("tamper", "regression", a, None, None, None, None, "allow", "new account can call 24 of 25 tamper actions",
           None) for a in (new, anon)],
        ("scp_effect", "regression", app, None, None, None, "explicit_deny", "allow",
         "2 cloudtrail actions now allowed (were explicit_deny)", None),
        ("scp_effect", "regression", app, None, None, None, "explicit_deny", "allow",
         "1 s3 action now allowed (were explicit_deny)", None),
        ("scp_attached", "improvement", None, fresh, "Fresh", root, None, None,
         f"Fresh attached to root Root; {n_(1)}", None),
        ("rcp_attached", "improvement", play, keep, "KeepS3", play, None, None,
         f"KeepS3 attached to account Play ({play}); {n_(1)}", None),
        ("tamper", "improvement", app, None, None, None, "allow", "explicit_deny",
         "organizations:LeaveOrganization now explicit_deny (was allow)", None),
        ("scp_effect", "improvement", app, None, None, None, "allow", "explicit_deny",
         "1 organizations action now denied (were allow)", None),
        ("scp_effect", "improvement", play, None, None, None, "allow", "explicit_deny",
         "1 s3 action now denied (were allow)", None),
        ("account_added", "neutral", new, None, None, prod, None, "ACTIVE", f"joined the organisation in Root/Prod {both}",
         None),
        ("account_added", "neutral", anon, None, None, sandbox, None, "ACTIVE",
         "joined the organisation in Root/Sandbox (SCPs attached: FullAWSAccess) (RCPs attached: RCPFullAWSAccess)",
         None),
        ("account_removed", "neutral", gone, None, None, sandbox, "ACTIVE", None, "no longer in the organisation", None),
        ("ou_added", "neutral", None, None, None, prod, None, "Prod", f"new OU {both}", None),
        ("ou_removed", "neutral", None, None, None, old, "Old", None, "OU deleted", None),
        ("ou_renamed", "neutral", None, None, None, eng, "Engineering", "Platform",
         "renamed: Root/Engineering is now Root/Platform", None),
        ("scp_created", "neutral", None, fresh, "Fresh", None, None, "Fresh", "new SCP", None),
        ("scp_renamed", "neutral", None, protect, "Protect2", None, "Protect", "Protect2", "SCP renamed", None),
        ("scp_attached", "neutral", app, protect, "Protect2", app, None, None,
         f"Protect2 attached to account App ({app}); {none}", None),
        # a deleted OU's attachments go with it, SCPs and RCPs alike
        ("scp_detached", "neutral", None, full, "FullAWSAccess", old, None, None,
         f"FullAWSAccess detached from ou Root/Old; {none}", None),
        ("rcp_detached", "neutral", None, rfull, "RCPFullAWSAccess", old, None, None,
         f"RCPFullAWSAccess detached from ou Root/Old; {none}", None),
        ("rcp_detached", "neutral", gone, rfull, "RCPFullAWSAccess", gone, None, None,
         f"RCPFullAWSAccess detached from account Gone ({gone}); {none}", None)]


def test_two_policies_of_unknown_content_at_an_allow_list_ou_leave_its_accounts_unknown(tmp_path):
    """Each stands in as allowing everything while unknown: that stand-in must not make the level look as if it
    already allowed everything for the other (it did: both were said to only take permissions away, and App was
    evaluated with the stand-ins' Allow, its tamper actions shown as newly allowed regressions)."""
    sb = SnapshotSpec(regions=["us-east-1"])
    prod = sb.ou("Prod", full_access=False)
    app = sb.account("App", parent=prod)
    sb.policy("AllowSome", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]}, [prod])
    o = sb.load(tmp_path / "s")
    P, AT = "aws_organizations_policy", "aws_organizations_policy_attachment"
    changes, config = [], []
    for x in ("a", "b"):
        changes += [rc(f"{P}.{x}", P, ["create"], None, {"name": x.upper(), "type": "SERVICE_CONTROL_POLICY"},
                       {"id": True, "content": True}),
                    rc(f"{AT}.{x}", AT, ["create"], None, {"target_id": prod}, {"id": True, "policy_id": True})]
        config += [cfg(f"{P}.{x}", P, content={"references": ["local.doc"]}),
                   cfg(f"{AT}.{x}", AT, policy_id={"references": [f"{P}.{x}.id", f"{P}.{x}"]},
                       target_id={"constant_value": prod})]

    def why(x):
        return f"{P}.{x}.content is unknown until apply (local.doc is not known)"

    assert rows_of(diff_plan(o, plan(changes, config), actions=FEW)) == [
        *[("scp_attached", "unknown", None, f"(after apply) {P}.{x}", x.upper(), prod, None, None,
           f"{x.upper()} attached to ou Root/Prod; content unknown until apply ({why(x)}): its effect is not evaluated",
           None) for x in ("a", "b")],
        ("scp_effect", "unknown", app, None, None, None, None, "unknown", f"policy A applies: {why('a')}", None),
        *[("not_evaluated", "unknown", None, f"(after apply) {P}.{x}", x.upper(), None, None, None,
           f"{P}.{x}: policy content unknown until apply ({why(x)}): its effect is not evaluated: the level does not "
           "already allow everything, so it could widen permissions as well as take them away; the SCP decisions of "
           f"the 1 account below ({app}) are unknown", f"{P}.{x}") for x in ("a", "b")],
        *[("scp_created", "neutral", None, f"(after apply) {P}.{x}", x.upper(), None, None, x.upper(),
           f"content unknown until apply ({why(x)})", None) for x in ("a", "b")]]


def test_planned_ous_that_form_a_cycle_are_refused_naming_them(org):
    """issue 22 (seed-27 survivor rebuild 77): two OUs each planned under the other is refused, naming the cycle."""
    o, ids = "aws_organizations_organizational_unit", org.ids
    eng, sb = ids["eng"], ids["sandbox"]
    changes = [rc(f"{o}.eng", o, ["update"], {"id": eng, "name": "Engineering", "parent_id": "r-ab12"},
                  {"id": eng, "name": "Engineering", "parent_id": sb}),
               rc(f"{o}.sb", o, ["update"], {"id": sb, "name": "Sandbox", "parent_id": "r-ab12"},
                  {"id": sb, "name": "Sandbox", "parent_id": eng})]
    with pytest.raises(ValueError) as e:
        diff_plan(org, plan(changes), actions=FEW)
    assert str(e.value) in (
        f"the planned OUs form a cycle (Engineering ({eng}) under Sandbox ({sb}) under Engineering ({eng})): no "
        "organisation can be so",
        f"the planned OUs form a cycle (Sandbox ({sb}) under Engineering ({eng}) under Sandbox ({sb})): no "
        "organisation can be so")


def test_a_plan_that_removes_every_account_keeps_the_management_account_which_aws_refuses_to_remove(org):
    """Every account deleted: the members are gone ("no longer in the organisation"), the management account is
    kept with a not_evaluated row, unknown, saying AWS refuses (neither RemoveAccountFromOrganization nor
    CloseAccount takes the management account: "You can't remove a management account from an organization"),
    so the apply would fail there; it read as a neutral removal. A replacement of it is refused the same way."""
    from orgkit.model import FRAMES

    mgmt = org.management_account_id
    accs = org.accounts.sort_values("account_id")
    changes = [rc(f"aws_organizations_account.a{i}", "aws_organizations_account",
                  ["delete", "create"] if aid == mgmt else ["delete"],
                  {"id": aid, "name": name, "parent_id": parent},
                  {"name": name, "parent_id": parent} if aid == mgmt else None)
               for i, (aid, name, parent) in enumerate(accs[["account_id", "account_name", "parent_id"]]
                                                       .itertuples(index=False))]
    res = plan_org(org, plan(changes))
    acc = res.org.accounts
    assert list(acc.columns) == FRAMES["accounts"]
    assert acc.to_dict("records") == org.accounts[org.accounts["account_id"] == mgmt].to_dict("records")
    i = next(k for k, c in enumerate(changes) if c["change"]["before"]["id"] == mgmt)
    assert [(n["kind"], n["severity"], n["account_id"], n["reason"]) for n in res.rows] == [
        ("not_evaluated", "unknown", mgmt, f"aws_organizations_account.a{i}: removes the management account {mgmt}: "
         "AWS refuses to remove or close the management account (the apply would fail); kept")]
    df = diff_plan(org, plan(changes), actions=FEW)
    assert sorted((r.kind, r.severity, r.account_id, r.reason) for r in df[df.kind == "account_removed"].itertuples()) \
        == [("account_removed", "neutral", aid, "no longer in the organisation") for aid in accs["account_id"]
            if aid != mgmt]
    assert [(r.kind, r.severity, r.account_id) for r in df[df.kind == "not_evaluated"].itertuples()] == [
        ("not_evaluated", "unknown", mgmt)]


def test_rebuild_with_no_account_keeps_an_accounts_frame_with_every_column(org):
    """An organisation rebuilt with no account at all (an Org whose management account is not listed, the members
    all removed): the accounts frame is empty but keeps its columns."""
    from orgkit.diff.terraform import rebuild
    from orgkit.model import FRAMES

    ous = {r["ou_id"]: dict(r) for r in org.ous.to_dict("records")}
    policies = {r["policy_id"]: dict(r) for r in org.policies.to_dict("records")}
    targets = {(r["policy_id"], str(r["target_id"])): dict(r) for r in org.policy_targets.to_dict("records")
               if str(r["target_id"]) in ous}
    acc = rebuild(org, ous, {}, policies, targets).accounts
    assert list(acc.columns) == FRAMES["accounts"] and acc.empty
