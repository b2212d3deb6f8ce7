"""The GuardDuty migration plan (orgkit.guardduty) on hand-built snapshots: no AWS."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from contextlib import redirect_stdout

import pandas as pd
import pytest

from orgkit import scp
from orgkit.guardduty import (
    SCP_KEEP_ALLOWED,
    SCP_MAX_CHARS,
    STEP_KINDS,
    PlanError,
    default_admin,
    guardduty_scp,
    plan_migration,
    scp_text,
)
from orgkit.testing import SnapshotSpec

REGIONS = ["us-east-1", "eu-west-1"]
EXTERNAL = "999900001111"
S = SnapshotSpec.member


def invitation_org(tmp_path, *, admin_regions=None, old_admin=False, admin_member_of_old=False, scps=None,
                   suspended_region="eu-west-1", admin_features=None, admin_tie="Enabled"):
    """An organisation whose GuardDuty runs by invitation from a Security account, in two regions.

    Security administers by invitation: the management account and App (accepted), Pending (invited, not yet
    accepted), a partner outside the organisation (accepted). NoGD has no detector. Bob's detector is suspended in
    eu-west-1. With ``old_admin``: an in-organisation Legacy account administers Data by invitation.
    """
    sb = SnapshotSpec(regions=list(REGIONS))
    sec_ou = sb.ou("Security")
    eng = sb.ou("Engineering")
    admin = sb.account("Security", parent=sec_ou, regions=admin_regions)
    app = sb.account("App", parent=eng)
    pending = sb.account("Pending", parent=eng)
    nogd = sb.account("NoGD", parent=eng)
    bob = sb.account("Bob", parent=eng)
    ids = {"admin": admin, "app": app, "pending": pending, "nogd": nogd, "bob": bob, "mgmt": sb.management}
    legacy = data = None
    if old_admin:
        legacy = sb.account("Legacy", parent=eng)
        data = sb.account("Data", parent=eng)
        ids.update(legacy=legacy, data=data)
    for region in REGIONS:
        members = [S(sb.management, admin, invited=True, detector_id=f"d{sb.management}"),
                   S(app, admin, invited=True), S(pending, admin, status="Invited", invited=True),
                   S(EXTERNAL, admin, invited=True)]
        sb.detector(admin, region, administrator={} if not admin_member_of_old else None, members=members,
                    features=admin_features)
        inv = {"AccountId": admin, "RelationshipStatus": "Enabled", "InvitationId": "i1",
               "InvitedAt": "2026-01-01T00:00:00.000Z"}
        sb.detector(sb.management, region, administrator=inv)
        sb.detector(app, region, administrator=inv)
        sb.detector(bob, region, status="DISABLED" if region == suspended_region else "ENABLED", administrator={})
        if old_admin:
            old_members = [S(data, legacy, invited=True)]
            if admin_member_of_old:
                old_members.append(S(admin, legacy, status=admin_tie, invited=True))
            sb.detector(legacy, region, administrator={}, members=old_members)
            sb.detector(data, region, administrator={"AccountId": legacy, "RelationshipStatus": "Enabled",
                                                     "InvitationId": "i2", "InvitedAt": "2026-01-01T00:00:00.000Z"})
        if admin_member_of_old:
            sb.docs[admin]["GuardDuty"][region]["Administrator"] = {
                "AccountId": legacy, "RelationshipStatus": admin_tie, "InvitationId": "i3",
                "InvitedAt": "2026-01-01T00:00:00.000Z"}
    for name, doc, target in scps or []:
        sb.policy(name, doc, targets=[] if target == "none" else [eng if target == "eng" else sec_ou])
    org = sb.load(tmp_path / "snap")
    return org, ids


def steps_of(plan, region):
    return [s for s in plan.steps if s.region == region]


# --------------------------------------------------------------------------------------------- steps
def test_invitation_org_steps_in_order_with_the_right_calling_account(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"], auto_enable="ALL")
    assert plan.blocked_regions() == []
    for region in REGIONS:
        steps = steps_of(plan, region)
        kinds = [s.kind for s in steps]
        # the organisation configuration comes before enrolment: "GuardDuty applies your organization's
        # auto-enable settings to the member accounts in this request" (CreateMembers API reference)
        assert kinds == ["designate_admin", "enable_admin_detector", "set_auto_enable", "enrol_members",
                         "keep_external_members", "verify"]
        assert [STEP_KINDS.index(k) for k in kinds] == sorted(STEP_KINDS.index(k) for k in kinds)
        by = {s.kind: s for s in steps}
        d = by["designate_admin"]
        assert (d.account_id, d.api, d.params) == (ids["mgmt"], "guardduty:EnableOrganizationAdminAccount",
                                                   {"AdminAccountId": ids["admin"]})
        assert not d.done_in_snapshot
        assert by["enable_admin_detector"].account_id == ids["admin"]
        assert by["enable_admin_detector"].done_in_snapshot  # the admin's detector exists and is enabled
        e = by["enrol_members"]
        assert (e.account_id, e.api) == (ids["admin"], "guardduty:CreateMembers")
        # every in-organisation account but the admin is expected; the outside partner is not
        assert set(e.accounts) == {ids[k] for k in ("mgmt", "app", "pending", "nogd", "bob")}
        # accepted invitation members convert on designation: CreateMembers only for the others
        assert {d["AccountId"] for d in e.params["AccountDetails"]} == {ids["pending"], ids["nogd"], ids["bob"]}
        assert all(d["Email"] and "@" in d["Email"] for d in e.params["AccountDetails"])
        assert e.params["DetectorId"] == org.detectors.query(f"account_id == '{ids['admin']}' and "
                                                             f"region == '{region}'").iloc[0]["detector_id"]
        a = by["set_auto_enable"]
        assert (a.account_id, a.api) == (ids["admin"], "guardduty:UpdateOrganizationConfiguration")
        assert a.params["AutoEnableOrganizationMembers"] == "ALL"
        assert by["verify"].api is None
    orders = [s.order for s in plan.steps]
    assert orders == sorted(orders) and len(set(s.step_id for s in plan.steps)) == len(plan.steps)
    t = plan.table()
    assert list(t["step_id"]) == [s.step_id for s in plan.steps]
    assert set(t["state"]) <= {"to_do", "done_in_snapshot", "no_call"}


def test_default_admin_is_the_invitation_admin(tmp_path):
    org, ids = invitation_org(tmp_path)
    assert default_admin(org) == (ids["admin"], "invitation_admin")
    plan = plan_migration(org)
    assert plan.target.admin_account_id == ids["admin"]
    assert plan.target.admin_chosen_by == "invitation_admin"
    assert "proposed: today's invitation administrator" in plan.summary() and "invitation_admin" not in plan.summary()


def test_out_of_org_member_is_left_alone_and_reported(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"])
    for s in plan.steps:
        if s.kind == "keep_external_members":
            assert s.api is None and s.accounts == [EXTERNAL]
            continue
        assert EXTERNAL not in s.accounts
        assert EXTERNAL not in json.dumps(s.params)
    kept = [i for i in plan.issues if i.check == "external_member_kept"]
    assert {(i.region, i.account_id) for i in kept} == {(r, EXTERNAL) for r in REGIONS}
    ext = plan.current.external_members
    assert set(ext["account_id"]) == {EXTERNAL}
    ties = plan.current.ties
    assert set(ties.loc[ties["account_id"] == EXTERNAL, "tie"]) == {"invitation"}


def test_current_state_ties_suspended_no_detector_and_invitation_cost(tmp_path):
    org, ids = invitation_org(tmp_path)
    cur = plan_migration(org, admin=ids["admin"]).current
    adm = cur.administrators.set_index("region").loc["us-east-1"]
    assert adm["administrator_id"] == ids["admin"] and adm["by_invitation"] == 4 and adm["outside_organization"] == 1
    assert adm["pending"] == 1 and not adm["delegated_admin"]
    assert set(cur.ties["tie"]) == {"invitation"}
    assert list(zip(cur.suspended["account_id"], cur.suspended["region"])) == [(ids["bob"], "eu-west-1")]
    assert set(zip(cur.no_detector["account_id"], cur.no_detector["region"])) == {
        (ids["pending"], r) for r in REGIONS} | {(ids["nogd"], r) for r in REGIONS}
    cost = cur.invitation_cost.set_index("region")
    assert cost.loc["us-east-1", "invitations_sent"] == 4 and cost.loc["us-east-1", "accepted"] == 3
    assert cost.loc["us-east-1", "pending"] == 1
    assert cur.cost_summary["invitations_sent"] == 8
    assert cur.cost_summary["invitations_per_new_account"] == len(REGIONS)
    assert cur.cost_summary["invitations_per_new_account_after"] == 0
    assert cur.coverage is not None and set(cur.coverage["region"]) == set(REGIONS)


def test_suspended_detectors_are_re_enabled_by_default_and_the_plan_says_how(tmp_path):
    """'As a delegated administrator, using CreateMembers will enable GuardDuty in the added member accounts'
    (CreateMembers): Bob (standalone, suspended in eu-west-1) is enrolled, so re-enabled, by CreateMembers."""
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"])
    enrol = next(s for s in steps_of(plan, "eu-west-1") if s.kind == "enrol_members")
    assert ids["bob"] in enrol.accounts
    assert ids["bob"] in {d["AccountId"] for d in enrol.params["AccountDetails"]}
    out = plan.suspended_outcomes()
    assert out[["account_id", "region", "outcome", "by", "step_id"]].values.tolist() == \
        [[ids["bob"], "eu-west-1", "re-enabled", "CreateMembers", enrol.step_id]]
    issue = next(i for i in plan.issues if i.check == "suspended_detector")
    assert (issue.severity, issue.region, issue.account_id, issue.step_id) == \
        ("warning", "eu-west-1", ids["bob"], enrol.step_id)
    assert "RE-ENABLES" in issue.message and "keep_suspended" in issue.message
    assert "1 re-enabled" in plan.summary()


def test_keep_suspended_leaves_the_account_out_and_does_not_use_all_there(tmp_path):
    """ALL 'includes ... accounts that may have been suspended' (UpdateOrganizationConfiguration): keeping a
    suspension means no CreateMembers for it and NEW, not ALL, in its region; other regions keep ALL."""
    org, ids = invitation_org(tmp_path)
    for keep in ([ids["bob"]], True, "all"):
        plan = plan_migration(org, admin=ids["admin"], auto_enable="ALL", keep_suspended=keep)
        by = {(s.region, s.kind): s for s in plan.steps}
        assert ids["bob"] not in by[("eu-west-1", "enrol_members")].accounts
        assert ids["bob"] in by[("us-east-1", "enrol_members")].accounts  # not suspended there
        assert by[("eu-west-1", "set_auto_enable")].params["AutoEnableOrganizationMembers"] == "NEW"
        assert by[("us-east-1", "set_auto_enable")].params["AutoEnableOrganizationMembers"] == "ALL"
        assert plan.auto_enable_in("eu-west-1") == "NEW" and plan.auto_enable_in("us-east-1") == "ALL"
        assert [i.region for i in plan.issues if i.check == "auto_enable_lowered"] == ["eu-west-1"]
        assert plan.suspended_outcomes()["outcome"].tolist() == ["kept_suspended"]
        assert "auto-enable NEW instead of ALL in eu-west-1" in plan.summary()
    with pytest.raises(PlanError):
        plan_migration(org, admin=ids["admin"], keep_suspended=["not-an-account"])
    # the old option still works for a release: resume_suspended=False meant "keep them"
    with pytest.warns(DeprecationWarning):
        old = plan_migration(org, admin=ids["admin"], resume_suspended=False)
    assert old.suspended_outcomes()["outcome"].tolist() == ["kept_suspended"]


def test_suspended_member_of_the_new_admin_is_re_enabled_by_all_or_by_itself_under_new(tmp_path):
    """A suspended account that is already a member of the new administrator gets no CreateMembers: under ALL the
    organisation configuration re-enables it; under NEW the account re-enables it itself, first in the region."""
    org, ids = invitation_org(tmp_path, suspended_region="eu-west-1")
    # App (an accepted invitation member of the admin) suspends its detector in eu-west-1
    import pandas as pd
    det = org.detectors
    det.loc[(det["account_id"] == ids["app"]) & (det["region"] == "eu-west-1"), "status"] = "DISABLED"
    plan = plan_migration(org, admin=ids["admin"], auto_enable="ALL")
    row = plan.suspended_outcomes().set_index("account_id").loc[ids["app"]]
    assert (row["outcome"], row["by"], row["step_id"]) == ("re-enabled", "auto-enable ALL",
                                                           "eu-west-1/5-set_auto_enable")
    assert not [s for s in plan.steps if s.kind == "resume_suspended"]
    plan = plan_migration(org, admin=ids["admin"], auto_enable="NEW")
    res = [s for s in plan.steps if s.kind == "resume_suspended"]
    assert [(s.region, s.account_id, s.api, s.params["Enable"]) for s in res] == \
        [("eu-west-1", ids["app"], "guardduty:UpdateDetector", True)]
    assert steps_of(plan, "eu-west-1")[0].kind == "resume_suspended"  # while it still controls its detector
    row = plan.suspended_outcomes().set_index("account_id").loc[ids["app"]]
    assert (row["outcome"], row["by"], row["step_id"]) == ("re-enabled", "UpdateDetector", res[0].step_id)
    assert isinstance(plan.suspended_outcomes(), pd.DataFrame)
    # ALL already on and the detector still suspended: ALL will not re-enable it now, so the account does
    oc = pd.DataFrame([{"region": "eu-west-1", "admin_account_id": ids["admin"], "auto_enable": True,
                        "auto_enable_organization_members": "ALL", "member_account_limit_reached": False,
                        "features": []}])
    org.frames["guardduty_org_config"] = pd.concat([org.frames["guardduty_org_config"], oc], ignore_index=True)
    plan = plan_migration(org, admin=ids["admin"], auto_enable="ALL")
    row = plan.suspended_outcomes().set_index("account_id").loc[ids["app"]]
    assert (row["outcome"], row["by"]) == ("re-enabled", "UpdateDetector")
    assert [s.account_id for s in plan.steps if s.kind == "resume_suspended"] == [ids["app"]]


def test_management_account_gets_its_detector_before_it_is_enrolled(tmp_path):
    """'Before the management account gets added as a GuardDuty member, it must have GuardDuty enabled' (GuardDuty
    user guide, Adding members to the organization)."""
    org, ids = invitation_org(tmp_path)
    mgmt = ids["mgmt"]
    # the management account has no detector in eu-west-1, and a suspended one in us-east-1
    det = org.frames["detectors"]
    det = det[~((det["account_id"] == mgmt) & (det["region"] == "eu-west-1"))].copy()
    det.loc[(det["account_id"] == mgmt) & (det["region"] == "us-east-1"), "status"] = "DISABLED"
    org.frames["detectors"] = det
    members = org.frames["guardduty_members"]
    org.frames["guardduty_members"] = members[members["account_id"] != mgmt]
    plan = plan_migration(org, admin=ids["admin"])
    for region, api in (("eu-west-1", "guardduty:CreateDetector"), ("us-east-1", "guardduty:UpdateDetector")):
        steps = steps_of(plan, region)
        kinds = [s.kind for s in steps]
        m = steps[kinds.index("enable_management_detector")]
        assert (m.account_id, m.api, m.params["Enable"]) == (mgmt, api, True)
        assert kinds.index("enable_management_detector") < kinds.index("enrol_members")
        assert mgmt in steps[kinds.index("enrol_members")].accounts
    # left out on request, and said so
    plan = plan_migration(org, admin=ids["admin"], include_management=False)
    assert not [s for s in plan.steps if s.kind == "enable_management_detector"]
    assert all(mgmt not in s.accounts for s in plan.steps if s.kind == "enrol_members")
    assert [i.account_id for i in plan.issues if i.check == "management_left_out"] == [mgmt]


def test_other_admin_is_disassociated_before_enrolment_and_nothing_is_deleted(tmp_path):
    org, ids = invitation_org(tmp_path, old_admin=True)
    plan = plan_migration(org, admin=ids["admin"])
    for region in REGIONS:
        kinds = [s.kind for s in steps_of(plan, region)]
        # AWS consolidates by disassociating members from the pre-existing administrators before designating
        # the delegated administrator
        assert kinds.index("disassociate_other_admin") < kinds.index("designate_admin") < \
            kinds.index("enrol_members")
        dis = next(s for s in steps_of(plan, region) if s.kind == "disassociate_other_admin")
        assert (dis.account_id, dis.api, dis.params["AccountIds"]) == \
            (ids["legacy"], "guardduty:DisassociateMembers", [ids["data"]])
        enrol = next(s for s in steps_of(plan, region) if s.kind == "enrol_members")
        assert ids["data"] in enrol.accounts and ids["legacy"] in enrol.accounts
    apis = {s.api for s in plan.steps if s.api}
    assert not any(a.split(":")[1].startswith("Delete") for a in apis)


def test_an_outside_administrator_is_left_by_each_member_itself(tmp_path):
    ext_admin = "777700001111"
    # App is tied to an administrator outside the organisation in eu-west-1 (only App's own view shows it)
    sb = SnapshotSpec(regions=list(REGIONS))
    admin = sb.account("Security")
    app = sb.account("App")
    for region in REGIONS:
        sb.detector(admin, region, administrator={})
        sb.detector(app, region, administrator={"AccountId": ext_admin, "RelationshipStatus": "Enabled",
                                                "InvitationId": "x", "InvitedAt": "2026-01-01T00:00:00.000Z"}
                    if region == "eu-west-1" else {})
    org2 = sb.load(tmp_path / "snap2")
    plan = plan_migration(org2, admin=admin)
    eu = [s for s in plan.steps if s.region == "eu-west-1"]
    leave = [s for s in eu if s.kind == "disassociate_other_admin"]
    assert [(s.account_id, s.api, s.params, s.other_admin) for s in leave] == [
        (app, "guardduty:DisassociateFromAdministratorAccount",
         {"DetectorId": org2.detectors.query(f"account_id == '{app}' and region == 'eu-west-1'")
          .iloc[0]["detector_id"]}, ext_admin)]
    assert [s.kind for s in eu].index("disassociate_other_admin") < [s.kind for s in eu].index("enrol_members")
    assert not [s for s in plan.steps if s.region == "us-east-1" and s.kind == "disassociate_other_admin"]
    assert [(i.region, i.account_id) for i in plan.issues if i.check == "old_admin_outside_organization"] == \
        [("eu-west-1", ext_admin)]
    assert not [s for s in plan.steps if s.account_id == ext_admin]


def test_auto_enable_new_and_features(tmp_path):
    feats = [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}, {"Name": "RDS_LOGIN_EVENTS", "Status": "DISABLED"}]
    org, ids = invitation_org(tmp_path, admin_features=feats)
    plan = plan_migration(org, admin=ids["admin"], auto_enable="new")
    f = [s for s in plan.steps if s.kind == "align_features"]
    assert len(f) == len(REGIONS)
    assert f[0].params["Features"] == [{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}]
    assert f[0].params["AutoEnableOrganizationMembers"] == "NEW"
    assert not [s for s in plan_migration(org, admin=ids["admin"], features=[]).steps if s.kind == "align_features"]
    with pytest.raises(PlanError):
        plan_migration(org, admin=ids["admin"], auto_enable="NONE")
    with pytest.raises(PlanError):
        plan_migration(org, admin=ids["admin"], features=["NOT_A_FEATURE"])
    with pytest.raises(PlanError):
        plan_migration(org, admin=ids["admin"], regions=["ap-south-2"])


# --------------------------------------------------------------------------------------------- pre-flight
def test_preflight_admin_not_in_organisation_blocks_everything(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=EXTERNAL)
    errs = [i for i in plan.issues if i.severity == "error"]
    assert errs[0].check == "admin_not_in_organization" and errs[0].region is None
    # the partner is also an invitation member of Security: that is reported too
    assert {i.check for i in errs[1:]} == {"admin_is_member_elsewhere"}
    assert plan.blocked_regions() == sorted(REGIONS)
    assert plan.table()["blocked"].all()


def test_preflight_region_not_enabled_for_the_admin(tmp_path):
    org, ids = invitation_org(tmp_path, admin_regions={"eu-west-1": "DISABLED"})
    plan = plan_migration(org, admin=ids["admin"])
    errs = [(i.check, i.region) for i in plan.issues if i.severity == "error"]
    assert errs == [("region_not_enabled", "eu-west-1")]
    assert plan.blocked_regions() == ["eu-west-1"]
    t = plan.table()
    assert t.loc[t["region"] == "eu-west-1", "blocked"].all() and not t.loc[t["region"] == "us-east-1",
                                                                              "blocked"].any()


def test_preflight_admin_is_a_member_elsewhere(tmp_path):
    org, ids = invitation_org(tmp_path, old_admin=True, admin_member_of_old=True)
    plan = plan_migration(org, admin=ids["admin"])
    errs = [i for i in plan.issues if i.check == "admin_is_member_elsewhere"]
    assert {i.region for i in errs} == set(REGIONS)
    assert all(ids["legacy"] in i.message for i in errs)
    assert plan.blocked_regions() == sorted(REGIONS)
    # the admin is never enrolled as a member of itself, nor released by the generic disassociate step
    for s in plan.steps:
        if s.kind in ("enrol_members", "disassociate_other_admin"):
            assert ids["admin"] not in s.accounts


def test_preflight_a_pending_invitation_for_the_admin_only_warns(tmp_path):
    org, ids = invitation_org(tmp_path, old_admin=True, admin_member_of_old=True, admin_tie="Invited")
    plan = plan_migration(org, admin=ids["admin"])
    assert not [i for i in plan.issues if i.check == "admin_is_member_elsewhere"]
    assert {(i.severity, i.region) for i in plan.issues if i.check == "admin_invited_elsewhere"} == \
        {("warning", r) for r in REGIONS}
    assert plan.blocked_regions() == []


def test_preflight_scp_denies_a_steps_call(tmp_path):
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoMembers", "Effect": "Deny", "Action": "guardduty:CreateMembers", "Resource": "*"},
    ]}
    protect = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Protect", "Effect": "Deny", "Action": "guardduty:UpdateDetector", "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}},
    ]}
    org, ids = invitation_org(tmp_path, scps=[("DenyMembers", deny, "sec"), ("Protect", protect, "eng")])
    plan = plan_migration(org, admin=ids["admin"])
    denied = {(i.step_id, i.account_id) for i in plan.issues if i.check == "scp_denies"}
    assert denied == {(f"{r}/8-enrol_members", ids["admin"]) for r in REGIONS}
    assert plan.blocked_regions() == sorted(REGIONS)
    # the management account is exempt: its designation step is never flagged
    assert not [i for i in plan.issues if i.account_id == ids["mgmt"] and i.check.startswith("scp")]


# --------------------------------------------------------------------------------------------- outputs
def test_json_output_parses_and_keeps_ids_as_strings(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"])
    d = json.loads(plan.to_json())
    assert d["target"]["admin_account_id"] == ids["admin"]
    assert [s["step_id"] for s in d["steps"]] == [s.step_id for s in plan.steps]
    assert all(isinstance(a, str) and len(a) == 12 for s in d["steps"] for a in s["accounts"])
    assert d["current"]["invitation_cost"]["invitations_sent"] == 8


def test_terraform_is_well_formed(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"], features=["S3_DATA_EVENTS"])
    tf = plan.terraform()
    assert tf.count("{") == tf.count("}")
    for r in REGIONS:
        u = r.replace("-", "_")
        assert f'alias  = "management_{u}"' in tf and f'alias  = "admin_{u}"' in tf
        assert f'resource "aws_guardduty_organization_admin_account" "{u}"' in tf
        assert f'resource "aws_guardduty_organization_configuration" "{u}"' in tf
        assert f'resource "aws_guardduty_detector" "admin_{u}"' in tf
        assert f'resource "aws_guardduty_organization_configuration_feature" "{u}_s3_data_events"' in tf
        assert f"to       = aws_guardduty_detector.admin_{u}" in tf  # the existing detector is imported
    assert tf.count('auto_enable_organization_members = "ALL"') == len(REGIONS)
    assert f'admin_account_id = "{ids["admin"]}"' in tf
    tfbin = shutil.which("terraform") or shutil.which("tofu")
    if tfbin is None:
        pytest.skip("terraform is not installed: only the textual checks ran")
    d = tmp_path / "tf"
    d.mkdir()
    (d / "main.tf").write_text(tf)
    r = subprocess.run([tfbin, "fmt", "-check", "-diff", str(d)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    (d / "main.tf").write_text(tf.replace("}\n", "", 1))  # the same check does catch a syntax error
    assert subprocess.run([tfbin, "fmt", "-check", str(d)], capture_output=True).returncode != 0


def test_scp_is_valid_small_and_exempts_only_the_admin(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"])
    text = plan.scp_text()
    assert len(text) <= SCP_MAX_CHARS
    doc = json.loads(text)
    pol, problems = scp.lint_policy(text, "p-gd")
    assert pol is not None and not [p for p in problems if p.get("severity") == "error"], problems
    levels = [[scp.FULL_AWS_ACCESS], [scp.FULL_AWS_ACCESS, doc]]
    member, admin = ids["app"], ids["admin"]
    for action in ("guardduty:UpdateDetector", "guardduty:DeleteDetector", "guardduty:DisassociateFromAdministratorAccount",
                   "guardduty:CreateMembers", "guardduty:UpdateOrganizationConfiguration", "guardduty:TagResource"):
        assert scp.evaluate(levels, action, account_id=member).decision == "explicit_deny", action
        assert scp.evaluate(levels, action, account_id=admin).decision == "allow", action
    for action in SCP_KEEP_ALLOWED + ("guardduty:GetFindings", "guardduty:ListDetectors"):
        assert scp.evaluate(levels, action, account_id=member).decision == "allow", action
    # a break-glass role can be exempted too
    doc2 = guardduty_scp(admin, ["arn:aws:iam::*:role/BreakGlass"])
    lv2 = [[scp.FULL_AWS_ACCESS], [scp.FULL_AWS_ACCESS, doc2]]
    assert scp.evaluate(lv2, "guardduty:UpdateDetector",
                        principal=f"arn:aws:iam::{member}:role/BreakGlass").decision == "allow"
    assert scp.evaluate(lv2, "guardduty:UpdateDetector",
                        principal=f"arn:aws:iam::{member}:role/Dev").decision == "explicit_deny"
    with pytest.raises(PlanError):
        scp_text({"Statement": [{"Sid": "x" * (SCP_MAX_CHARS + 1)}]})


def test_cli_plan_formats(tmp_path):
    from orgkit.cli import main

    org, ids = invitation_org(tmp_path)
    snap = str(org.path)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "plan", snap, "--format", "json"]) == 0
    assert json.loads(out.getvalue())["target"]["admin_account_id"] == ids["admin"]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "plan", snap, "--format", "scp"]) == 0
    assert json.loads(out.getvalue())["Statement"][0]["Effect"] == "Deny"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "migrate", "--admin", ids["admin"], snap]) == 0
    assert "dry run: nothing was changed" in out.getvalue() and "us-east-1/8-enrol_members" in out.getvalue()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "plan", snap, "--admin", EXTERNAL]) == 1  # blocked
    assert "BLOCKED" in out.getvalue()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "state", snap, "--what", "cost", "--format", "json"]) == 0
    assert sum(r["invitations_sent"] for r in json.loads(out.getvalue())) == 8


def test_preflight_says_unknown_when_a_policys_targets_were_not_read(tmp_path):
    """An SCP whose targets could not be read (ListTargetsForPolicy denied) may deny a step's call: the plan says
    the answer is unknown and which read failed, instead of calling the step allowed."""
    import pandas as pd

    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoMembers", "Effect": "Deny", "Action": "guardduty:CreateMembers", "Resource": "*"}]}
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"])
    assert not [i for i in plan.issues if i.check.startswith("scp")]
    org, ids = invitation_org(tmp_path / "unread", scps=[("DenyMembers", deny, "none")])
    err = pd.DataFrame([{"account_id": org.management_account_id, "region": None, "service": "organizations",
                         "operation": "ListTargetsForPolicy", "error_code": "AccessDeniedException",
                         "message": "not authorized to list the targets of a policy"}])
    org.frames["errors"] = pd.concat([org.frames["errors"], err], ignore_index=True)
    plan = plan_migration(org, admin=ids["admin"])
    unknown = [i for i in plan.issues if i.check == "scp_unknown"]
    assert {i.step_id for i in unknown} >= {f"{r}/8-enrol_members" for r in REGIONS}
    assert all(i.severity == "warning" and "ListTargetsForPolicy" in i.message for i in unknown)


def test_the_management_account_is_never_the_default_admin(tmp_path, capsys):
    # AWS (GuardDuty, Managing accounts with AWS Organizations): the management account "can be the delegated
    # administrator, but this is not recommended".
    from orgkit.cli import main
    from orgkit.guardduty.notebook import NoPlan, notebook_plan

    sb = SnapshotSpec(regions=["us-east-1"])
    app = sb.account("App")
    inv = {"AccountId": sb.management, "RelationshipStatus": "Enabled", "InvitationId": "i",
           "InvitedAt": "2026-01-01T00:00:00.000Z"}
    sb.detector(sb.management, "us-east-1", administrator={}, members=[S(app, sb.management, invited=True)])
    sb.detector(app, "us-east-1", administrator=inv)
    org = sb.load(tmp_path / "snap")
    assert default_admin(org) == (None, "management_only")
    with pytest.raises(PlanError, match="management account .* not recommended.*--admin"):
        plan_migration(org)
    assert main(["guardduty", "plan", str(org.path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not recommended" in err and "--admin" in err
    assert isinstance(notebook_plan(org), NoPlan)
    # asked for explicitly, it is planned, with the warning
    plan = plan_migration(org, admin=sb.management)
    assert "admin_is_management" in {i.check for i in plan.issues}


def test_runtime_monitoring_agent_management_is_carried_to_the_plan_and_terraform(tmp_path):
    # AWS: "Additional configuration applies to only GuardDuty Runtime Monitoring protection plan"
    # (EKS_ADDON_MANAGEMENT, ECS_FARGATE_AGENT_MANAGEMENT, EC2_AGENT_MANAGEMENT); Fargate tasks get runtime
    # monitoring only with automated agent management.
    rm = {"Name": "RUNTIME_MONITORING", "Status": "ENABLED", "AdditionalConfiguration": [
        {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"},
        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}]}
    org, ids = invitation_org(tmp_path, admin_features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}, rm])
    plan = plan_migration(org, admin=ids["admin"])
    for region in REGIONS:
        assert plan.features_by_region[region] == ["S3_DATA_EVENTS", "RUNTIME_MONITORING"]
        assert plan.agents_by_region[region] == ["ECS_FARGATE_AGENT_MANAGEMENT"]
        step = next(s for s in steps_of(plan, region) if s.kind == "align_features")
        feats = {f["Name"]: f for f in step.params["Features"]}
        assert feats["RUNTIME_MONITORING"]["AdditionalConfiguration"] == [
            {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "AutoEnable": "ALL"}]
        assert "AdditionalConfiguration" not in feats["S3_DATA_EVENTS"]
        assert "ECS_FARGATE_AGENT_MANAGEMENT" in step.check
    tf = plan.terraform()
    assert tf.count("additional_configuration {") == len(REGIONS)
    assert 'name        = "ECS_FARGATE_AGENT_MANAGEMENT"' in tf
    assert json.loads(plan.to_json())["agents_by_region"] == {r: ["ECS_FARGATE_AGENT_MANAGEMENT"] for r in REGIONS}
    # asked for explicitly; agent management without Runtime Monitoring is refused
    p2 = plan_migration(org, admin=ids["admin"], features=["RUNTIME_MONITORING", "EC2_AGENT_MANAGEMENT"])
    assert p2.agents_by_region[REGIONS[0]] == ["EC2_AGENT_MANAGEMENT"]
    with pytest.raises(PlanError, match="RUNTIME_MONITORING too"):
        plan_migration(org, admin=ids["admin"], features=["S3_DATA_EVENTS", "EC2_AGENT_MANAGEMENT"])


def test_legacy_eks_runtime_monitoring_is_a_warning_and_migrates_on_request(tmp_path, capsys):
    # AWS (UpdateOrganizationConfiguration): "Specifying both EKS Runtime Monitoring (EKS_RUNTIME_MONITORING) and
    # Runtime Monitoring (RUNTIME_MONITORING) will cause an error."; the user guide documents "Migrating from EKS
    # Runtime Monitoring to Runtime Monitoring".
    legacy = {"Name": "EKS_RUNTIME_MONITORING", "Status": "ENABLED",
              "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]}
    org, ids = invitation_org(tmp_path, admin_features=[legacy, {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"}])
    plan = plan_migration(org, admin=ids["admin"])
    warn = [i for i in plan.issues if i.check == "legacy_eks_runtime"]
    assert {i.region for i in warn} == set(REGIONS) and all(i.severity == "warning" for i in warn)
    assert "--migrate-eks-runtime" in warn[0].message
    assert plan.features_by_region[REGIONS[0]] == ["EKS_RUNTIME_MONITORING"]
    plan = plan_migration(org, admin=ids["admin"], migrate_eks_runtime=True)
    assert not [i for i in plan.issues if i.check == "legacy_eks_runtime"]
    for region in REGIONS:
        assert plan.features_by_region[region] == ["RUNTIME_MONITORING"]
        assert plan.agents_by_region[region] == ["EKS_ADDON_MANAGEMENT"]
        step = next(s for s in steps_of(plan, region) if s.kind == "align_features")
        names = [f["Name"] for f in step.params["Features"]]
        assert names == ["RUNTIME_MONITORING"]  # never both
    from orgkit.cli import main

    assert main(["guardduty", "plan", str(org.path), "--admin", ids["admin"], "--migrate-eks-runtime",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["features_by_region"][REGIONS[0]] == ["RUNTIME_MONITORING"]


def test_member_limit_of_the_delegated_administrator_is_a_preflight_error(tmp_path, monkeypatch):
    # AWS (Managing GuardDuty accounts with AWS Organizations): "A delegated GuardDuty administrator account can
    # manage a maximum of 50,000 members." The check counts expected members plus the admin's other live members.
    import orgkit.guardduty.plan as plan_mod

    org, ids = invitation_org(tmp_path)
    assert plan_mod.MAX_MEMBERS == 50_000
    assert not [i for i in plan_migration(org, admin=ids["admin"]).issues if i.check == "member_limit"]
    monkeypatch.setattr(plan_mod, "MAX_MEMBERS", 5)  # 5 expected in-org accounts + the outside partner = 6
    plan = plan_migration(org, admin=ids["admin"])
    hits = [i for i in plan.issues if i.check == "member_limit"]
    assert {i.region for i in hits} == set(REGIONS) and all(i.severity == "error" for i in hits)
    assert "6 members" in hits[0].message
    assert set(plan.blocked_regions()) == set(REGIONS)


def test_a_plan_aws_does_not_offer_in_a_region_is_a_note_not_a_failed_call(tmp_path):
    # AWS (GuardDuty Regions and endpoints, Region-specific feature availability): "RDS Protection is not supported
    # in Asia Pacific (Taipei) (ap-east-2) Region."
    sb = SnapshotSpec(regions=["us-east-1", "ap-east-2"])
    sec = sb.account("Security")
    app = sb.account("App")
    for r in sb.regions:
        sb.detector(sec, r, administrator={}, members=[S(app, sec, invited=True)])
    org = sb.load(tmp_path / "snap")
    plan = plan_migration(org, admin=sec, features=["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"])
    assert plan.features_by_region == {"us-east-1": ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"],
                                       "ap-east-2": ["S3_DATA_EVENTS"]}
    notes = [i for i in plan.issues if i.check == "plan_not_offered"]
    assert [(i.region, i.severity) for i in notes] == [("ap-east-2", "info")] and "RDS_LOGIN_EVENTS" in notes[0].message
    step = next(s for s in plan.steps if s.region == "ap-east-2" and s.kind == "align_features")
    assert [f["Name"] for f in step.params["Features"]] == ["S3_DATA_EVENTS"]
    assert "ap-east-2" not in plan.blocked_regions()
def test_preflight_an_allow_list_ou_without_guardduty_blocks_the_plan(tmp_path):
    """An implicit deny blocks as surely as an explicit one: the administrator sits in an OU whose only SCP is an
    allow-list that does not name GuardDuty (FullAWSAccess detached), so every GuardDuty call it must make is
    denied though no policy says Deny. The plan is blocked in every region, through the CLI too."""
    from orgkit.cli import main

    allow_list = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyThese", "Effect": "Allow", "Action": ["s3:*", "iam:*", "sts:*", "cloudtrail:*"],
         "Resource": "*"}]}
    sb = SnapshotSpec(regions=list(REGIONS))
    restricted = sb.ou("Restricted", full_access=False)
    sb.policy("AllowListNoGuardDuty", allow_list, targets=[restricted])
    eng = sb.ou("Engineering")
    admin = sb.account("Security", parent=eng)
    app = sb.account("App", parent=eng)
    for region in REGIONS:
        sb.detector(admin, region, administrator={})
        sb.detector(app, region, administrator={})
    org = sb.load(tmp_path / "open")
    plan = plan_migration(org, admin=admin)
    assert not [i for i in plan.issues if i.check.startswith("scp")] and plan.blocked_regions() == []

    # the same organisation with the administrator moved into the allow-list OU
    sb.accounts[[a["Id"] for a in sb.accounts].index(admin)]["ParentId"] = restricted
    org = sb.load(tmp_path / "restricted")
    plan = plan_migration(org, admin=admin)
    denied = [i for i in plan.issues if i.check == "scp_denies"]
    assert denied and {i.account_id for i in denied} == {admin}
    assert all(i.severity == "error" and "implicit_deny" in i.message for i in denied)
    assert {i.step_id for i in denied} >= {f"{r}/8-enrol_members" for r in REGIONS}
    assert plan.blocked_regions() == sorted(REGIONS)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["guardduty", "plan", str(org.path), "--admin", admin]) == 1
    assert "BLOCKED" in out.getvalue() and "implicit_deny" in out.getvalue()


# --------------------------------------------------------------------------------------------- issue 22: whole content
# Mutation testing (TESTING.md, "Sampled scores: orgkit/guardduty/") showed texts, parameters and rows of the plan no
# test compared exactly. The tests below compare them whole: every field of every step, every finding's message.
WHY = {
    "disassociate_other_admin": "AWS consolidates by disassociating members from their pre-existing administrator "
                                "({other}) before the delegated administrator is designated: a member account has one "
                                "administrator (detectors and findings stay)",
    "designate_admin": "only the management account can designate the GuardDuty delegated administrator; its "
                       "in-organisation invitation members then become organisation members",
    "enable_admin_detector": "the delegated administrator needs its own enabled detector to manage members and the "
                             "organisation configuration",
    "set_auto_enable ALL": "auto-enable ALL, set before enrolment because CreateMembers applies the organisation's "
                           "auto-enable settings to the accounts it adds: every account, present and future, is "
                           "enrolled automatically (suspended ones too)",
    "set_auto_enable NEW": "auto-enable NEW, set before enrolment because CreateMembers applies the organisation's "
                           "auto-enable settings to the accounts it adds: accounts that join later are enrolled "
                           "automatically",
    "enrol_members": "CreateMembers from the delegated administrator makes existing accounts organisation members and "
                     "enables GuardDuty in them, suspended detectors included (auto-enable alone can take up to 24 h)",
    "keep_external_members": "accounts outside the organisation can only be invitation members: they stay as they "
                             "are",
    "verify": "read back the result",
}


def test_every_step_of_a_plan_with_an_old_administrator_compared_whole(tmp_path):
    """Security (invitation administrator) becomes the delegated administrator; Legacy, an in-organisation
    administrator of Data, is left first. Every field of every step, in both regions."""
    org, ids = invitation_org(tmp_path, old_admin=True)
    plan = plan_migration(org, admin=ids["admin"])
    adm, mgmt, legacy, data = ids["admin"], ids["mgmt"], ids["legacy"], ids["data"]
    expected_accounts = sorted(ids[k] for k in ("app", "pending", "nogd", "bob", "legacy", "data", "mgmt"))
    got = [(s.step_id, s.order, s.region, s.kind, s.account_id, s.api, s.params, s.why, s.check, s.accounts,
            s.done_in_snapshot, s.note, s.other_admin, s.operation) for s in plan.steps]
    want = []
    order = 0
    for region in REGIONS:
        r = region.replace("-", "")

        def step(sid, kind, account, api, params, why, check, accounts=(), done=False, note=None, other=None):
            nonlocal order
            order += 1
            want.append((f"{region}/{sid}", order, region, kind, account, api, params, why, check, list(accounts),
                         done, note, other, api.split(":")[1] if api else None))

        step(f"2-disassociate_other_admin-{legacy}", "disassociate_other_admin", legacy,
             "guardduty:DisassociateMembers", {"DetectorId": f"d{legacy}{r}", "AccountIds": [data]},
             WHY["disassociate_other_admin"].format(other=legacy),
             f"GetMembers ({legacy}, {region}, AccountIds) shows none of them Enabled or Disabled", [data],
             note="never DeleteDetector in a member: its findings would be lost", other=legacy)
        step("3-designate_admin", "designate_admin", mgmt, "guardduty:EnableOrganizationAdminAccount",
             {"AdminAccountId": adm}, WHY["designate_admin"],
             f"ListOrganizationAdminAccounts (management account, {region}) lists {adm} with AdminStatus ENABLED")
        step("4-enable_admin_detector", "enable_admin_detector", adm, "guardduty:CreateDetector", {"Enable": True},
             WHY["enable_admin_detector"],
             f"ListDetectors ({adm}, {region}) returns a detector and GetDetector answers Status ENABLED", done=True)
        step("5-set_auto_enable", "set_auto_enable", adm, "guardduty:UpdateOrganizationConfiguration",
             {"DetectorId": f"d{adm}{r}", "AutoEnableOrganizationMembers": "ALL"}, WHY["set_auto_enable ALL"],
             f"DescribeOrganizationConfiguration ({adm}, {region}) answers AutoEnableOrganizationMembers ALL")
        step("8-enrol_members", "enrol_members", adm, "guardduty:CreateMembers",
             {"DetectorId": f"d{adm}{r}", "AccountDetails": [
                 {"AccountId": ids[k], "Email": f"{k}@example.com"} for k in ("pending", "nogd", "bob", "legacy",
                                                                               "data")]},
             WHY["enrol_members"],
             f"GetMembers ({adm}, {region}) shows each of the 7 expected accounts with RelationshipStatus Enabled "
             "or Disabled (the executor creates only the missing ones)", expected_accounts)
        step("10-keep_external_members", "keep_external_members", None, None, {}, WHY["keep_external_members"],
             "nothing to check: no call is made", [EXTERNAL],
             note=f"outside the organisation: they stay invitation members of {adm}")
        step("11-verify", "verify", adm, None, {}, WHY["verify"],
             f"ListOrganizationAdminAccounts shows {adm}; GetMembers shows the 7 expected accounts Enabled or "
             "Disabled; DescribeOrganizationConfiguration answers ALL", expected_accounts)
    assert got == want
    assert plan.expected_members == {r: expected_accounts for r in REGIONS}
    assert plan.admin_detectors == {r: f"d{adm}{r.replace('-', '')}" for r in REGIONS}
    assert plan.auto_enable_by_region == {r: "ALL" for r in REGIONS}
    assert plan.features_by_region == {r: [] for r in REGIONS} and plan.agents_by_region == {r: [] for r in REGIONS}
    assert plan.regions == REGIONS and plan.blocked_regions() == []
    assert [(i.severity, i.check, i.region, i.account_id, i.step_id, i.message) for i in plan.issues] == [
        ("info", "external_member_kept", "us-east-1", EXTERNAL, None,
         f"{EXTERNAL} is outside the organisation: it stays an invitation member in us-east-1 (untouched)"),
        ("warning", "suspended_detector", "eu-west-1", ids["bob"], "eu-west-1/8-enrol_members",
         f"the detector of {ids['bob']} (Bob) in eu-west-1 is suspended: the migration RE-ENABLES it (CreateMembers "
         "from the delegated administrator enables GuardDuty in the accounts it adds; step "
         "eu-west-1/8-enrol_members); keep it suspended with keep_suspended (--keep-suspended)"),
        ("info", "external_member_kept", "eu-west-1", EXTERNAL, None,
         f"{EXTERNAL} is outside the organisation: it stays an invitation member in eu-west-1 (untouched)")]
    assert plan.suspended == [{"account_id": ids["bob"], "region": "eu-west-1", "detector_id": f"d{ids['bob']}euwest1",
                               "outcome": "re-enabled", "by": "CreateMembers", "step_id": "eu-west-1/8-enrol_members",
                               "reason": "CreateMembers from the delegated administrator enables GuardDuty in the "
                                         "accounts it adds"}]
    assert plan.summary() == (
        f"GuardDuty migration to AWS Organizations: delegated administrator {adm} (Security; chosen with --admin), "
        "auto-enable ALL, regions us-east-1, eu-west-1\n"
        "invitations so far: 10 sent, 8 accepted, 2 pending; each new account costs 2 invitation(s) (one per region) "
        "under the old model, none after\n"
        "14 steps, 8 to do according to the snapshot\n"
        "suspended detectors: 1 re-enabled (each one in the table of suspended detectors)")


def _issues(plan):
    return [(i.severity, i.check, i.region, i.account_id, i.step_id, i.message) for i in plan.issues]


def _external_kept(region):
    return ("info", "external_member_kept", region, EXTERNAL, None,
            f"{EXTERNAL} is outside the organisation: it stays an invitation member in {region} (untouched)")


def _bob_re_enabled(ids):
    return ("warning", "suspended_detector", "eu-west-1", ids["bob"], "eu-west-1/8-enrol_members",
            f"the detector of {ids['bob']} (Bob) in eu-west-1 is suspended: the migration RE-ENABLES it (CreateMembers "
            "from the delegated administrator enables GuardDuty in the accounts it adds; step "
            "eu-west-1/8-enrol_members); keep it suspended with keep_suspended (--keep-suspended)")


def test_preflight_findings_compared_whole(tmp_path):
    """Every pre-flight finding of five organisations, word for word, and the regions each blocks."""
    # an administrator outside the organisation: blocks everything, and it is a member of Security's besides
    org, ids = invitation_org(tmp_path / "a")
    plan = plan_migration(org, admin=EXTERNAL)
    adm = ids["admin"]

    def member_elsewhere(region, who, of):
        return ("error", "admin_is_member_elsewhere", region, who, None,
                f"the admin {who} is itself a member of {of} in {region}: an account cannot be an administrator and a "
                f"member at once. First release it: DisassociateMembers (AccountIds=[{who}]) from {of}, or "
                f"DisassociateFromAdministratorAccount in {who}")

    def keeps_external(region):
        return ("warning", "old_admin_keeps_external_members", region, adm, None,
                f"{adm} (Security) keeps invitation members outside the organisation in {region} ({EXTERNAL}): an "
                "administrator with active members cannot be added as a member, so it is left out of enrolment "
                "(disassociate those members first to enrol it)")

    assert _issues(plan) == [
        ("error", "admin_not_in_organization", None, EXTERNAL, None,
         f"{EXTERNAL} is not an account of organisation o-abcdef1234: only an account of the organisation can be its "
         "GuardDuty delegated administrator"),
        member_elsewhere("us-east-1", EXTERNAL, adm), keeps_external("us-east-1"), _external_kept("us-east-1"),
        member_elsewhere("eu-west-1", EXTERNAL, adm), keeps_external("eu-west-1"), _bob_re_enabled(ids),
        _external_kept("eu-west-1")]
    assert plan.blocked_regions() == ["eu-west-1", "us-east-1"]
    # Security kept out of enrolment (it keeps an outside member): expected members are the others
    assert plan.expected_members["us-east-1"] == sorted(ids[k] for k in ("app", "pending", "nogd", "bob", "mgmt"))

    # the admin an accepted member of Legacy: blocks both regions
    org, ids = invitation_org(tmp_path / "b", old_admin=True, admin_member_of_old=True)
    plan = plan_migration(org, admin=ids["admin"])
    assert _issues(plan) == [
        member_elsewhere("us-east-1", ids["admin"], ids["legacy"]), _external_kept("us-east-1"),
        member_elsewhere("eu-west-1", ids["admin"], ids["legacy"]), _bob_re_enabled(ids), _external_kept("eu-west-1")]
    assert plan.blocked_regions() == ["eu-west-1", "us-east-1"]

    # only invited by Legacy: a warning, nothing blocked
    org, ids = invitation_org(tmp_path / "c", old_admin=True, admin_member_of_old=True, admin_tie="Invited")
    plan = plan_migration(org, admin=ids["admin"])

    def invited(region):
        return ("warning", "admin_invited_elsewhere", region, ids["admin"], None,
                f"{ids['legacy']} has a pending invitation for the admin {ids['admin']} in {region}: do not accept it "
                "(DeclineInvitations in the admin clears it)")

    assert _issues(plan) == [invited("us-east-1"), _external_kept("us-east-1"), invited("eu-west-1"),
                             _bob_re_enabled(ids), _external_kept("eu-west-1")]
    assert plan.blocked_regions() == []

    # eu-west-1 not enabled in the admin account: that region only
    org, ids = invitation_org(tmp_path / "d", admin_regions={"eu-west-1": "DISABLED"})
    plan = plan_migration(org, admin=ids["admin"])
    assert _issues(plan) == [
        _external_kept("us-east-1"),
        ("error", "region_not_enabled", "eu-west-1", ids["admin"], None,
         f"eu-west-1 is not enabled in the admin account {ids['admin']}: GuardDuty calls there fail (enable the "
         "region, or leave it out with regions=)"),
        _bob_re_enabled(ids), _external_kept("eu-west-1")]
    assert plan.blocked_regions() == ["eu-west-1"]
    t = plan.table()
    assert t["blocked"].tolist() == [s.region == "eu-west-1" for s in plan.steps]
    assert [x if isinstance(x, str) else None for x in t["issues"].tolist()] == [
        "warning: " + _bob_re_enabled(ids)[5] if s.step_id == "eu-west-1/8-enrol_members" else None
        for s in plan.steps]

    # every suspension kept, the management account left out
    org, ids = invitation_org(tmp_path / "e")
    plan = plan_migration(org, admin=ids["admin"], keep_suspended=True, include_management=False)
    assert _issues(plan) == [
        ("info", "management_left_out", None, ids["mgmt"], None,
         f"the management account {ids['mgmt']} is left out of enrolment (include_management=False): its GuardDuty "
         "is not managed by the delegated administrator"),
        _external_kept("us-east-1"),
        ("warning", "auto_enable_lowered", "eu-west-1", None, None,
         "auto-enable NEW instead of ALL in eu-west-1: ALL re-enables suspended detectors (\"accounts that may have "
         f"been suspended\"), and you chose to keep {ids['bob']} suspended"),
        ("info", "suspended_detector", "eu-west-1", ids["bob"], None,
         f"the detector of {ids['bob']} (Bob) in eu-west-1 is suspended: it stays suspended (keep_suspended: left out "
         "of CreateMembers, auto-enable NEW in this region)"),
        _external_kept("eu-west-1")]
    assert plan.blocked_regions() == []
    assert plan.target.keep_suspended == ("*",)
    assert plan.suspended == [{"account_id": ids["bob"], "region": "eu-west-1", "detector_id": f"d{ids['bob']}euwest1",
                               "outcome": "kept_suspended", "by": None, "step_id": None,
                               "reason": "keep_suspended: left out of CreateMembers, auto-enable NEW in this region"}]
    assert plan.summary().splitlines()[2:] == [
        "12 steps, 6 to do according to the snapshot",
        "auto-enable NEW instead of ALL in eu-west-1: ALL would re-enable the suspended detectors you chose to keep",
        "suspended detectors: 1 kept suspended (each one in the table of suspended detectors)"]


def test_scp_preflight_findings_compared_whole(tmp_path):
    """The SCP pre-flight word for word: an explicit deny of a step's call (error, blocks), a deny that depends on a
    principal tag (warning: conditional), and denied read calls the executor needs to check a step (errors, each
    (account, action, region) said once, on the first step that needs it). The management account is exempt."""
    from orgkit.guardduty.plan import step_actions

    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoMembers", "Effect": "Deny", "Action": "guardduty:CreateMembers", "Resource": "*"}]}
    tagged = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Tagged", "Effect": "Deny", "Action": "guardduty:UpdateOrganizationConfiguration", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "sec"}}}]}
    org, ids = invitation_org(tmp_path / "a", scps=[("DenyMembers", deny, "sec"), ("Tagged", tagged, "sec")])
    plan = plan_migration(org, admin=ids["admin"])
    adm = ids["admin"]
    pol = org.policies.set_index("name")["policy_id"].to_dict()
    sec_ou = org.ous.set_index("name")["ou_id"].to_dict()["Security"]

    def scp_issues(region):
        return [("warning", "scp_conditional", region, adm, f"{region}/5-set_auto_enable",
                 f"SCP conditional: guardduty:UpdateOrganizationConfiguration in {adm} ({region}) depends on "
                 "aws:PrincipalTag/team StringNotEquals [\"sec\"]: allowed when aws:PrincipalTag/team is \"sec\""),
                ("error", "scp_denies", region, adm, f"{region}/8-enrol_members",
                 f"SCP explicit_deny: guardduty:CreateMembers by role/OrganizationAccountAccessRole in {adm} "
                 f"({region}): denied by Sid \"NoMembers\" of policy \"DenyMembers\" ({pol['DenyMembers']}) at ou "
                 f"Root/Security ({sec_ou}) [{pol['DenyMembers']}/NoMembers]")]

    assert [x for x in _issues(plan) if x[1].startswith("scp")] == scp_issues("us-east-1") + scp_issues("eu-west-1")
    assert plan.blocked_regions() == ["eu-west-1", "us-east-1"]

    reads = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoReads", "Effect": "Deny", "Action": ["guardduty:ListDetectors", "guardduty:GetMembers"],
         "Resource": "*"}]}
    org, ids = invitation_org(tmp_path / "b", old_admin=True, scps=[("NoReads", reads, "eng")])
    plan = plan_migration(org, admin=ids["admin"], regions=["us-east-1"])
    legacy = ids["legacy"]
    pol = org.policies.set_index("name")["policy_id"].to_dict()["NoReads"]
    eng_ou = org.ous.set_index("name")["ou_id"].to_dict()["Engineering"]
    sid = f"us-east-1/2-disassociate_other_admin-{legacy}"
    assert [x for x in _issues(plan) if x[1].startswith("scp")] == [
        ("error", "scp_denies", "us-east-1", legacy, sid,
         f"SCP explicit_deny: guardduty:{op} by role/OrganizationAccountAccessRole in {legacy} (us-east-1): denied "
         f"by Sid \"NoReads\" of policy \"NoReads\" ({pol}) at ou Root/Engineering ({eng_ou}) [{pol}/NoReads]")
        for op in ("ListDetectors", "GetMembers")]
    assert plan.blocked_regions() == ["us-east-1"]
    assert [(s.kind, step_actions(s)) for s in plan.steps] == [
        ("disassociate_other_admin", ["guardduty:DisassociateMembers", "guardduty:ListDetectors",
                                      "guardduty:GetMembers", "guardduty:GetAdministratorAccount"]),
        ("designate_admin", ["guardduty:EnableOrganizationAdminAccount", "guardduty:ListOrganizationAdminAccounts"]),
        ("enable_admin_detector", ["guardduty:CreateDetector", "guardduty:ListDetectors", "guardduty:GetDetector"]),
        ("set_auto_enable", ["guardduty:UpdateOrganizationConfiguration", "guardduty:ListDetectors",
                             "guardduty:DescribeOrganizationConfiguration"]),
        ("enrol_members", ["guardduty:CreateMembers", "guardduty:ListDetectors", "guardduty:GetMembers"]),
        ("keep_external_members", []),
        ("verify", ["guardduty:ListOrganizationAdminAccounts", "guardduty:ListDetectors", "guardduty:GetMembers",
                    "guardduty:DescribeOrganizationConfiguration"])]


def org_managed_org(path):
    """Security is already GuardDuty's delegated administrator in us-east-1 (auto-enable NEW, S3 protection), with
    organisation members OrgSusp (its detector suspended), Stopped (monitoring stopped: member record Disabled, own
    detector enabled), the management account, and InvSusp, an invitation member whose detector is suspended. In
    eu-west-1 nobody is designated, Security's own detector and the management account's are suspended, and Keeper
    (suspended) administers an account outside the organisation by invitation. Closed is a SUSPENDED account."""
    sb = SnapshotSpec(regions=list(REGIONS))
    sec = sb.account("Security")
    orgsusp, stopped, invsusp = sb.account("OrgSusp"), sb.account("Stopped"), sb.account("InvSusp")
    keeper, closed = sb.account("Keeper"), sb.account("Closed", status="SUSPENDED")
    sb.gd_admins = {"us-east-1": [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}
    sb.detector(sec, "us-east-1", members=[S(orgsusp, sec, status="Disabled"), S(stopped, sec, status="Disabled"),
                                           S(invsusp, sec, invited=True), S(sb.management, sec)],
                org_config={"AutoEnable": True, "AutoEnableOrganizationMembers": "NEW",
                            "Features": [{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}]},
                features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    sb.detector(sec, "eu-west-1", status="DISABLED")
    sb.detector(orgsusp, "us-east-1", status="DISABLED")
    sb.detector(stopped, "us-east-1")
    sb.detector(invsusp, "us-east-1", status="DISABLED",
                administrator={"AccountId": sec, "RelationshipStatus": "Enabled", "InvitationId": "i",
                               "InvitedAt": "2026-01-01T00:00:00.000Z"})
    sb.detector(sb.management, "us-east-1")
    sb.detector(sb.management, "eu-west-1", status="DISABLED")
    sb.detector(keeper, "eu-west-1", status="DISABLED", administrator={}, members=[S("999900002222", keeper,
                                                                                     invited=True)])
    ids = {"sec": sec, "orgsusp": orgsusp, "stopped": stopped, "invsusp": invsusp, "keeper": keeper,
           "closed": closed, "mgmt": sb.management}
    return sb.load(path), ids


@pytest.mark.parametrize("mode", ["NEW", "ALL"])
def test_who_re_enables_each_suspended_detector_compared_whole(tmp_path, mode):
    """Who re-enables a suspended detector depends on the tie and on auto-enable (docs/guardduty-migration.md):
    an organisation member of the new administrator by StartMonitoringMembers, an invitation member by its own
    UpdateDetector first, both by auto-enable ALL where this plan turns ALL on; the management account and the
    administrator by their own UpdateDetector; an old administrator that keeps an outside member is left out.
    Every step's call, parameters and accounts, every finding and every suspended detector's outcome, whole."""
    org, ids = org_managed_org(tmp_path / "snap")
    plan = plan_migration(org, admin=ids["sec"], auto_enable=mode)
    sec, mgmt, orgsusp, stopped, invsusp, keeper = (ids[k] for k in ("sec", "mgmt", "orgsusp", "stopped", "invsusp",
                                                                     "keeper"))
    d1, d2 = f"d{sec}useast1", f"d{sec}euwest1"
    us_members = sorted([orgsusp, stopped, invsusp, keeper, mgmt])
    eu_members = sorted([orgsusp, stopped, invsusp, mgmt])
    steps = [(s.step_id, s.account_id, s.api, s.params, s.accounts, s.done_in_snapshot, s.note) for s in plan.steps]
    resume = [(f"us-east-1/1-resume_suspended-{invsusp}", invsusp, "guardduty:UpdateDetector",
               {"DetectorId": f"d{invsusp}useast1", "Enable": True}, [invsusp], False, None)] if mode == "NEW" else []
    restarted = [orgsusp, stopped] if mode == "NEW" else [stopped]
    assert steps == resume + [
        ("us-east-1/3-designate_admin", mgmt, "guardduty:EnableOrganizationAdminAccount", {"AdminAccountId": sec}, [],
         True, None),
        ("us-east-1/4-enable_admin_detector", sec, "guardduty:CreateDetector", {"Enable": True}, [], True, None),
        ("us-east-1/5-set_auto_enable", sec, "guardduty:UpdateOrganizationConfiguration",
         {"DetectorId": d1, "AutoEnableOrganizationMembers": mode}, [], mode == "NEW", None),
        ("us-east-1/6-align_features", sec, "guardduty:UpdateOrganizationConfiguration",
         {"DetectorId": d1, "AutoEnableOrganizationMembers": mode,
          "Features": [{"Name": "S3_DATA_EVENTS", "AutoEnable": mode}]}, [], mode == "NEW", None),
        ("us-east-1/8-enrol_members", sec, "guardduty:CreateMembers",
         {"DetectorId": d1, "AccountDetails": [{"AccountId": keeper, "Email": "keeper@example.com"}]}, us_members,
         False, None),
        ("us-east-1/9-start_monitoring", sec, "guardduty:StartMonitoringMembers",
         {"DetectorId": d1, "AccountIds": restarted}, restarted, False, None),
        ("us-east-1/11-verify", sec, None, {}, us_members, False, None),
        ("eu-west-1/3-designate_admin", mgmt, "guardduty:EnableOrganizationAdminAccount", {"AdminAccountId": sec}, [],
         False, None),
        ("eu-west-1/4-enable_admin_detector", sec, "guardduty:UpdateDetector", {"DetectorId": d2, "Enable": True}, [],
         False, None),
        ("eu-west-1/5-set_auto_enable", sec, "guardduty:UpdateOrganizationConfiguration",
         {"DetectorId": d2, "AutoEnableOrganizationMembers": mode}, [], False, None),
        ("eu-west-1/7-enable_management_detector", mgmt, "guardduty:UpdateDetector",
         {"DetectorId": f"d{mgmt}euwest1", "Enable": True}, [], False, None),
        ("eu-west-1/8-enrol_members", sec, "guardduty:CreateMembers",
         {"DetectorId": d2, "AccountDetails": [{"AccountId": a, "Email": f"{n}@example.com"} for a, n in
                                               ((orgsusp, "orgsusp"), (stopped, "stopped"), (invsusp, "invsusp"),
                                                (mgmt, "management"))]}, eu_members, False, None),
        ("eu-west-1/10-keep_external_members", None, None, {}, ["999900002222"], False,
         f"outside the organisation: they stay invitation members of {keeper}"),
        ("eu-west-1/11-verify", sec, None, {}, eu_members, False, None)]
    checks = {s.step_id: s.check for s in plan.steps}
    assert checks["us-east-1/6-align_features"] == \
        f"DescribeOrganizationConfiguration ({sec}, us-east-1) answers AutoEnable {mode} for S3_DATA_EVENTS"
    assert checks["us-east-1/9-start_monitoring"] == \
        f"GetMembers ({sec}, us-east-1) shows {', '.join(restarted)} with RelationshipStatus Enabled"
    assert checks["eu-west-1/4-enable_admin_detector"] == f"GetDetector ({sec}, eu-west-1) answers Status ENABLED"
    assert checks["eu-west-1/7-enable_management_detector"] == \
        f"GetDetector ({mgmt}, eu-west-1) answers Status ENABLED"
    if mode == "NEW":
        assert checks[f"us-east-1/1-resume_suspended-{invsusp}"] == \
            f"GetDetector ({invsusp}, us-east-1) answers Status ENABLED"
    why = {s.kind: s.why for s in plan.steps}
    assert why["start_monitoring"] == (
        "the administrator stopped monitoring these members (their membership says Disabled), or they are "
        "organisation members whose detector is suspended (their GuardDuty status is the administrator's to set): "
        "StartMonitoringMembers is the call AWS documents \"to restart monitoring of accounts that you stopped "
        "monitoring with the StopMonitoringMembers operation\"")
    assert why["align_features"] == (
        "keep the protection plans in use; set before enrolment so that CreateMembers gives them to the accounts it "
        "adds (with NEW, a later change would not reach them)")
    assert why["enable_management_detector"] == (
        "before the management account is added as a GuardDuty member it must have GuardDuty enabled (CreateMembers "
        "does not enable it there)")
    assert why["set_auto_enable"] == WHY[f"set_auto_enable {mode}"]
    if mode == "NEW":
        assert why["resume_suspended"] == (
            "the detector is suspended and the account is already an invitation member of the new administrator, so "
            "CreateMembers will not touch it: an invitation member controls its own detector, so it re-enables it "
            "itself, before the switch (its findings are kept)")

    def re_enabled(region, a, name, step_id, reason):
        return ("warning", "suspended_detector", region, a, step_id,
                f"the detector of {a} ({name}) in {region} is suspended: the migration RE-ENABLES it ({reason}; step "
                f"{step_id}); keep it suspended with keep_suspended (--keep-suspended)")

    by_all = ("already a member of the new administrator: auto-enable ALL re-enables suspended members (AWS: this "
              "can take up to 24 hours)")
    by_admin = ("an organisation member of the new administrator: the administrator restarts it "
                "(StartMonitoringMembers); the member does not set its own GuardDuty status")
    by_itself = "already a member of the new administrator: UpdateDetector(Enable=True) by the account itself"
    by_mgmt = ("the management account must have GuardDuty enabled before it is added: UpdateDetector(Enable=True) "
               "by the management account")
    if mode == "NEW":
        us = [("warning", "features_new_skip_existing_members", "us-east-1", None, None,
               "auto-enable NEW gives S3_DATA_EVENTS only to accounts enrolled from now on (CreateMembers) and to new "
               "accounts: the 4 account(s) already members in us-east-1 keep their own settings ("
               f"{', '.join(sorted([orgsusp, stopped, invsusp, mgmt]))}); choose ALL to reach them"),
              re_enabled("us-east-1", orgsusp, "OrgSusp", "us-east-1/9-start_monitoring", by_admin),
              re_enabled("us-east-1", invsusp, "InvSusp", f"us-east-1/1-resume_suspended-{invsusp}", by_itself)]
    else:
        us = [re_enabled("us-east-1", orgsusp, "OrgSusp", "us-east-1/5-set_auto_enable", by_all),
              re_enabled("us-east-1", invsusp, "InvSusp", "us-east-1/5-set_auto_enable", by_all)]
    assert _issues(plan) == [
        ("info", "account_not_active", None, ids["closed"], None, f"account {ids['closed']} is SUSPENDED: left out"),
        *us,
        ("warning", "old_admin_keeps_external_members", "eu-west-1", keeper, None,
         f"{keeper} (Keeper) keeps invitation members outside the organisation in eu-west-1 (999900002222): an "
         "administrator with active members cannot be added as a member, so it is left out of enrolment "
         "(disassociate those members first to enrol it)"),
        ("info", "suspended_detector", "eu-west-1", keeper, None,
         f"the detector of {keeper} (Keeper) in eu-west-1 is suspended: it stays suspended (it keeps invitation "
         "members outside the organisation)"),
        re_enabled("eu-west-1", mgmt, "Management", "eu-west-1/7-enable_management_detector", by_mgmt),
        ("info", "external_member_kept", "eu-west-1", "999900002222", None,
         "999900002222 is outside the organisation: it stays an invitation member in eu-west-1 (untouched)")]
    if mode == "NEW":
        us_rows = [(orgsusp, "us-east-1", "re-enabled", "StartMonitoringMembers", "us-east-1/9-start_monitoring",
                    by_admin),
                   (invsusp, "us-east-1", "re-enabled", "UpdateDetector", f"us-east-1/1-resume_suspended-{invsusp}",
                    by_itself)]
    else:
        us_rows = [(a, "us-east-1", "re-enabled", "auto-enable ALL", "us-east-1/5-set_auto_enable", by_all)
                   for a in (orgsusp, invsusp)]
    out = plan.suspended_outcomes().drop(columns="detector_id")
    assert [[v if isinstance(v, str) else None for v in row] for row in out.values.tolist()] == [
        [a, n, r, o, b, s, why_] for (a, r, o, b, s, why_), n in zip(
            us_rows + [(keeper, "eu-west-1", "left_out", None, None,
                        "it keeps invitation members outside the organisation"),
                       (mgmt, "eu-west-1", "re-enabled", "UpdateDetector", "eu-west-1/7-enable_management_detector",
                        by_mgmt),
                       (sec, "eu-west-1", "re-enabled", "UpdateDetector", "eu-west-1/4-enable_admin_detector",
                        "the delegated administrator needs its own enabled detector")],
            ["OrgSusp", "InvSusp", "Keeper", "Management", "Security"])]
    assert [r["detector_id"] for r in plan.suspended] == [f"d{a}{r.replace('-', '')}" for a, r in (
        (orgsusp, "us-east-1"), (invsusp, "us-east-1"), (keeper, "eu-west-1"), (mgmt, "eu-west-1"),
        (sec, "eu-west-1"))]
    assert plan.features_by_region == {"us-east-1": ["S3_DATA_EVENTS"], "eu-west-1": []}
    assert plan.blocked_regions() == []
    assert plan.summary().splitlines()[1:] == [
        "invitations so far: 2 sent, 2 accepted, 0 pending; each new account costs 2 invitation(s) (one per region) "
        "under the old model, none after",
        f"{len(plan.steps)} steps, {8 if mode == 'NEW' else 9} to do according to the snapshot",
        "suspended detectors: 1 left out, 4 re-enabled (each one in the table of suspended detectors)"]


def test_options_refused_with_the_whole_message_and_accepted_forms(tmp_path):
    org, ids = invitation_org(tmp_path)
    adm = ids["admin"]
    refused = [
        (dict(auto_enable="none"), "auto-enable must be one of ALL, NEW, not 'NONE'"),
        (dict(features=["s3_data_events", "NOPE", "X"]),
         "unknown GuardDuty feature(s) NOPE, X; known: S3_DATA_EVENTS, EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION, "
         "RDS_LOGIN_EVENTS, EKS_RUNTIME_MONITORING, LAMBDA_NETWORK_LOGS, RUNTIME_MONITORING, EKS_ADDON_MANAGEMENT, "
         "ECS_FARGATE_AGENT_MANAGEMENT, EC2_AGENT_MANAGEMENT"),
        (dict(features=["S3_DATA_EVENTS", "EC2_AGENT_MANAGEMENT", "EKS_ADDON_MANAGEMENT"]),
         "EKS_ADDON_MANAGEMENT, EC2_AGENT_MANAGEMENT configure Runtime Monitoring's agent management: give "
         "RUNTIME_MONITORING too (AWS: \"Additional configuration applies to only GuardDuty Runtime Monitoring "
         "protection plan\")"),
        (dict(features=["EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING"]),
         "EKS_RUNTIME_MONITORING and RUNTIME_MONITORING cannot both be given (RUNTIME_MONITORING includes EKS)"),
        (dict(regions=["ap-south-2", "us-east-1", "xx"]),
         "region(s) ap-south-2, xx are not in the snapshot (it has us-east-1, eu-west-1)"),
        (dict(admin="12345"), "'12345' is not a 12-digit account id"),
        (dict(keep_suspended="123, abc ,,1234567890123"),
         "keep_suspended takes 12-digit account ids (or '*' for all): 123, 1234567890123, abc"),
    ]
    for kw, message in refused:
        kw.setdefault("admin", adm)
        with pytest.raises(PlanError) as e:
            plan_migration(org, **kw)
        assert str(e.value) == message, kw
    # lower case features are read as upper case; the agent management name goes to the agents, not the features
    plan = plan_migration(org, admin=adm, features=["s3_data_events", "runtime_monitoring", "ec2_agent_management"],
                          auto_enable="new", regions=["eu-west-1"])
    assert (plan.target.features, plan.target.auto_enable, plan.regions) == (
        ("S3_DATA_EVENTS", "RUNTIME_MONITORING"), "NEW", ["eu-west-1"])
    assert (plan.features_by_region, plan.agents_by_region) == (
        {"eu-west-1": ["S3_DATA_EVENTS", "RUNTIME_MONITORING"]}, {"eu-west-1": ["EC2_AGENT_MANAGEMENT"]})
    assert {s.region for s in plan.steps} == {"eu-west-1"}
    for keep, want in ((["*"], ("*",)), ("all", ("*",)), (True, ("*",)), ([], ()), (None, ()), ("", ()),
                       ([123456789012, ids["bob"], ids["bob"]], (ids["bob"], "123456789012")),
                       (f" {ids['bob']} ,", (ids["bob"],))):
        assert plan_migration(org, admin=adm, keep_suspended=keep).target.keep_suspended == want, keep


def _plain(rows):
    """Rows of a frame as lists of plain values: missing values (None, NaN, NaT) as None, times as ISO text."""
    import pandas as pd

    def one(v):
        if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
            return None
        return v.isoformat() if isinstance(v, pd.Timestamp) else v
    return [[one(v) for v in row] for row in rows.values.tolist()]


def test_todays_state_and_the_plans_table_compared_whole(tmp_path):
    org, ids = invitation_org(tmp_path, old_admin=True)
    plan = plan_migration(org, admin=ids["admin"])
    cur = plan.current
    adm, legacy = ids["admin"], ids["legacy"]
    assert list(cur.administrators.columns) == [
        "region", "administrator_id", "account_name", "in_organization", "delegated_admin", "members", "associated",
        "by_invitation", "by_organization", "outside_organization", "pending", "auto_enable"]
    assert _plain(cur.administrators) == [
        [r, a, n, True, False, m, assoc, m, 0, out, pend, None]
        for r in ("eu-west-1", "us-east-1")
        for a, n, m, assoc, out, pend in ((adm, "Security", 4, 3, 1, 1), (legacy, "Legacy", 1, 1, 0, 0))]
    t0 = "2026-01-01T00:00:00+00:00"
    assert list(cur.ties.columns) == ["region", "administrator_id", "account_id", "account_name", "in_organization",
                                      "tie", "relationship_status", "invited_at"]
    assert _plain(cur.ties) == [
        [r, a, m, n, n is not None, "invitation", rel, t0]
        for r in ("eu-west-1", "us-east-1")
        for a, m, n, rel in ((adm, ids["app"], "App", "Enabled"), (adm, ids["pending"], "Pending", "Invited"),
                             (adm, ids["mgmt"], "Management", "Enabled"), (adm, EXTERNAL, None, "Enabled"),
                             (legacy, ids["data"], "Data", "Enabled"))]
    assert _plain(cur.invitation_cost) == [[r, 5, 4, 1, 0, 1] for r in REGIONS]
    assert list(cur.invitation_cost.columns) == ["region", "invitations_sent", "accepted", "pending", "other",
                                                 "outside_organization"]
    assert _plain(cur.external_members) == [[r, adm, EXTERNAL, "Enabled"] for r in ("eu-west-1", "us-east-1")]
    assert _plain(cur.no_detector) == [[ids[k], n, r] for k, n in (("pending", "Pending"), ("nogd", "NoGD"))
                                       for r in REGIONS]
    assert _plain(cur.suspended) == [[ids["bob"], "Bob", "eu-west-1", f"d{ids['bob']}euwest1", t0]]
    assert cur.cost_summary == {"invitations_sent": 10, "invitations_accepted": 8, "invitations_pending": 2,
                                "regions_by_invitation": ["eu-west-1", "us-east-1"], "regions_in_scope": REGIONS,
                                "invitations_per_new_account": 2, "calls_per_new_account": 6,
                                "invitations_per_new_account_after": 0}
    counts = cur.status_counts()
    assert counts.to_dict(orient="index") == {
        "eu-west-1": {"administrator": 2, "invited_member": 3, "none": 1, "pending": 1, "standalone": 0,
                      "suspended": 1},
        "us-east-1": {"administrator": 2, "invited_member": 3, "none": 1, "pending": 1, "standalone": 1,
                      "suspended": 0}}
    d = plan.to_dict()
    assert list(d) == ["plan_id", "target", "management_account_id", "organization_id", "snapshot", "collected_at",
                       "blocked_regions", "features_by_region", "agents_by_region", "expected_members",
                       "auto_enable_by_region", "suspended", "steps", "issues", "current"]
    assert (d["plan_id"], d["management_account_id"], d["organization_id"], d["snapshot"], d["collected_at"]) == \
        (plan.plan_id, ids["mgmt"], "o-abcdef1234", str(org.path), org.manifest["collected_at"])
    assert d["target"] == {"admin_account_id": adm, "auto_enable": "ALL", "features": None,
                           "regions": tuple(REGIONS), "keep_suspended": (), "include_management": True,
                           "role_name": "OrganizationAccountAccessRole", "admin_chosen_by": "user",
                           "migrate_eks_runtime": False}
    assert list(d["current"]) == ["invitation_cost", "administrators", "suspended", "no_detector", "external_members"]
    assert d["current"]["suspended"] == [{"account_id": ids["bob"], "account_name": "Bob", "region": "eu-west-1",
                                          "detector_id": f"d{ids['bob']}euwest1",
                                          "updated_at": "2026-01-01T00:00:00.000Z"}]
    assert plan.to_json().startswith('{\n "plan_id": "')  # one space per level
    # the table: one row per step, every column
    t = plan.table()
    assert list(t.columns) == ["step_id", "order", "region", "kind", "account_id", "account_name", "api", "params",
                               "accounts", "why", "check", "state", "blocked", "issues", "note"]
    names = {ids[k]: n for k, n in (("admin", "Security"), ("mgmt", "Management"), ("legacy", "Legacy"))}
    assert _plain(t) == [
        [s.step_id, s.order, s.region, s.kind, s.account_id, names.get(s.account_id), s.api, s.params, s.accounts,
         s.why, s.check, "no_call" if s.api is None else "done_in_snapshot" if s.done_in_snapshot else "to_do",
         False, "warning: " + _bob_re_enabled(ids)[5] if s.step_id == "eu-west-1/8-enrol_members" else None, s.note]
        for s in plan.steps]
    assert t["state"].tolist().count("done_in_snapshot") == 2 and t["state"].tolist().count("no_call") == 4
    assert list(plan.issues_frame().columns) == ["severity", "check", "region", "account_id", "account_name",
                                                 "message", "step_id"]
    assert _plain(plan.issues_frame())[1][:5] == ["warning", "suspended_detector", "eu-west-1", ids["bob"], "Bob"]


def test_no_administrator_to_propose_and_an_account_whose_status_was_not_listed(tmp_path):
    sb = SnapshotSpec(regions=["us-east-1"])
    a = sb.account("A")
    b = sb.account("B")
    del sb.accounts[-1]["Status"]  # Organizations gave no Status for B: it is not taken to be closed
    org = sb.load(tmp_path / "snap")
    assert default_admin(org) == (None, "none")
    with pytest.raises(PlanError) as e:
        plan_migration(org)
    assert str(e.value) == ("no GuardDuty administrator in the snapshot to propose: choose the delegated "
                            "administrator (--admin ACCOUNT on the command line, admin= in Python)")
    plan = plan_migration(org, admin=a)
    assert plan.expected_members == {"us-east-1": sorted([b, sb.management])}
    assert not [i for i in plan.issues if i.check == "account_not_active"]


def _delegated_org(path, *, mgmt_unread=False):
    """OldDA is GuardDuty's delegated administrator (Organizations; AdminStatus ENABLED in us-east-1, being removed
    in eu-west-1) with App as organisation member and auto-enable ALL for EBS Malware Protection; its configuration
    says the member limit is reached. Security, standalone, has S3 protection and Runtime Monitoring with EKS and EC2
    agent management on (RDS off), in us-east-1, eu-west-1 and Beijing (cn-north-1), where AWS does not offer
    Runtime Monitoring."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1", "cn-north-1"])
    sec, old, app = sb.account("Security"), sb.account("OldDA"), sb.account("App")
    sb.delegate(old, "guardduty.amazonaws.com")
    sb.gd_admins = {"us-east-1": [{"AdminAccountId": old, "AdminStatus": "ENABLED"}],
                    "eu-west-1": [{"AdminAccountId": old, "AdminStatus": "DISABLE_IN_PROGRESS"}]}
    rm = {"Name": "RUNTIME_MONITORING", "Status": "ENABLED", "AdditionalConfiguration": [
        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}, {"Name": "EC2_AGENT_MANAGEMENT", "Status": "ENABLED"},
        {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "DISABLED"}]}
    for r in sb.regions:
        sb.detector(sec, r, administrator={}, features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}, rm,
                                                        {"Name": "RDS_LOGIN_EVENTS", "Status": "DISABLED"}])
        sb.detector(old, r, members=[S(app, old)], org_config={
            "AutoEnable": True, "AutoEnableOrganizationMembers": "ALL", "MemberAccountLimitReached": True,
            "Features": [{"Name": "EBS_MALWARE_PROTECTION", "AutoEnable": "ALL"}]})
        sb.detector(app, r)
        if mgmt_unread:
            sb.docs[sb.management]["GuardDuty"][r] = {"DetectorIds": None}
            sb.error(sb.management, r, "guardduty", "ListDetectors", "AccessDeniedException")
    return sb.load(path), {"sec": sec, "old": old, "app": app, "mgmt": sb.management}


def test_plans_carried_per_region_other_delegated_admins_and_the_member_limit_compared_whole(tmp_path):
    from orgkit.guardduty.availability import CHINA_PAGE

    org, ids = _delegated_org(tmp_path / "snap")
    sec, old, mgmt = ids["sec"], ids["old"], ids["mgmt"]
    assert default_admin(org) == (old, "delegated_admin")
    plan = plan_migration(org, admin=sec)
    china = "Runtime Monitoring (including EKS Runtime Monitoring) is not supported in the China Regions."
    assert _issues(plan) == [
        ("error", "other_delegated_admin", None, old, None,
         f"{old} is registered in Organizations as GuardDuty's delegated administrator: EnableOrganizationAdminAccount"
         " for another account fails until it is removed (DisableOrganizationAdminAccount in each region, which "
         "drops its organisation members: outside this plan)"),
        ("error", "other_delegated_admin", "us-east-1", old, None,
         f"{old} is already GuardDuty's delegated administrator in us-east-1: EnableOrganizationAdminAccount would "
         "fail (changing it means DisableOrganizationAdminAccount, which drops its members: outside this plan)"),
        *[("info", "plan_not_offered", "cn-north-1", sec, None,
           f"{f} is not offered in cn-north-1: left out of the region's Features, the other plans are sent (AWS: "
           f"\"{china}\" {CHINA_PAGE}, read 2026-12-06)")
          for f in ("RUNTIME_MONITORING", "EKS_ADDON_MANAGEMENT", "EC2_AGENT_MANAGEMENT")]]
    assert plan.blocked_regions() == ["cn-north-1", "eu-west-1", "us-east-1"]  # a global error blocks every region
    assert plan.features_by_region == {"us-east-1": ["S3_DATA_EVENTS", "RUNTIME_MONITORING"],
                                       "eu-west-1": ["S3_DATA_EVENTS", "RUNTIME_MONITORING"],
                                       "cn-north-1": ["S3_DATA_EVENTS"]}
    agents = ["EKS_ADDON_MANAGEMENT", "EC2_AGENT_MANAGEMENT"]
    assert plan.agents_by_region == {"us-east-1": agents, "eu-west-1": agents, "cn-north-1": []}
    align = {s.region: s for s in plan.steps if s.kind == "align_features"}
    for r in ("us-east-1", "eu-west-1"):
        assert (align[r].params, align[r].check, align[r].done_in_snapshot) == (
            {"DetectorId": f"d{sec}{r.replace('-', '')}", "AutoEnableOrganizationMembers": "ALL", "Features": [
                {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
                {"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL",
                 "AdditionalConfiguration": [{"Name": a, "AutoEnable": "ALL"} for a in agents]}]},
            f"DescribeOrganizationConfiguration ({sec}, {r}) answers AutoEnable ALL for S3_DATA_EVENTS, "
            "RUNTIME_MONITORING and, in RUNTIME_MONITORING's AdditionalConfiguration, for EKS_ADDON_MANAGEMENT, "
            "EC2_AGENT_MANAGEMENT", False)
    assert (align["cn-north-1"].params["Features"], align["cn-north-1"].check) == (
        [{"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"}],
        f"DescribeOrganizationConfiguration ({sec}, cn-north-1) answers AutoEnable ALL for S3_DATA_EVENTS")
    # the management account has no detector anywhere: created before it is enrolled (its detectors were read)
    mg = [(s.region, s.api, s.params, s.check, s.done_in_snapshot, s.note) for s in plan.steps
          if s.kind == "enable_management_detector"]
    assert mg == [(r, "guardduty:CreateDetector", {"Enable": True},
                   f"ListDetectors ({mgmt}, {r}) returns a detector and GetDetector answers Status ENABLED", False,
                   None) for r in ("us-east-1", "eu-west-1", "cn-north-1")]
    # OldDA planned as the administrator: its configuration is the one carried, and it is already as asked
    plan = plan_migration(org, admin=old, regions=["us-east-1"])
    assert [(s.kind, s.params, s.done_in_snapshot) for s in plan.steps if s.kind in ("set_auto_enable",
                                                                                     "align_features")] == [
        ("set_auto_enable", {"DetectorId": f"d{old}useast1", "AutoEnableOrganizationMembers": "ALL"}, True),
        ("align_features", {"DetectorId": f"d{old}useast1", "AutoEnableOrganizationMembers": "ALL",
                            "Features": [{"Name": "EBS_MALWARE_PROTECTION", "AutoEnable": "ALL"}]}, True)]
    assert _issues(plan) == [
        ("warning", "member_limit", "us-east-1", old, None,
         "DescribeOrganizationConfiguration says MemberAccountLimitReached in us-east-1: CreateMembers may refuse "
         "accounts")]
    # the management account's detectors not read: the step says the executor checks live
    org, ids = _delegated_org(tmp_path / "unread", mgmt_unread=True)
    plan = plan_migration(org, admin=sec, regions=["us-east-1"])
    mg = next(s for s in plan.steps if s.kind == "enable_management_detector")
    assert (mg.api, mg.done_in_snapshot, mg.note) == (
        "guardduty:CreateDetector", False, f"the detectors of {mgmt} were not read: the executor checks live")


def test_accounts_and_regions_the_plan_cannot_use_compared_whole(tmp_path):
    """A SUSPENDED administrator blocks everything; the management account as administrator is only a warning; a
    member whose region is not enabled is left out there; a region whose status was not read in the admin is a
    warning, and an unread member region is not taken to be disabled (the member stays expected)."""
    sb = SnapshotSpec(regions=["us-east-1"])
    sec, app = sb.account("Security", status="SUSPENDED"), sb.account("App")
    sb.docs[app]["Regions"] = []  # listed: us-east-1 is not among App's enabled regions
    sb.detector(app, "us-east-1", administrator={})
    org = sb.load(tmp_path / "a")
    closed = ("info", "account_not_active", None, sec, None, f"account {sec} is SUSPENDED: left out")
    not_enabled = ("info", "member_region_not_enabled", "us-east-1", app, None,
                   f"us-east-1 is not enabled in {app} (App): not enrolled there (GuardDuty needs the region)")
    plan = plan_migration(org, admin=sec)
    assert _issues(plan) == [
        closed, ("error", "admin_not_active", None, sec, None,
                 f"{sec} is SUSPENDED: it cannot be the delegated administrator"), not_enabled]
    assert plan.blocked_regions() == ["us-east-1"] and plan.expected_members == {"us-east-1": [sb.management]}
    plan = plan_migration(org, admin=sb.management)
    assert _issues(plan) == [
        closed, ("warning", "admin_is_management", None, sb.management, None,
                 "AWS recommends not making the management account the GuardDuty delegated administrator (least "
                 "privilege)"), not_enabled]
    assert plan.blocked_regions() == [] and plan.expected_members == {"us-east-1": []}
    assert not [i for i in plan_migration(org, admin=sb.management, include_management=False).issues
                if i.check == "management_left_out"]  # the administrator is never its own member

    sb = SnapshotSpec(regions=["us-east-1"])
    sec, app = sb.account("Security"), sb.account("App")
    sb.docs[sec]["Regions"] = None  # not read
    sb.docs[app]["Regions"] = None
    sb.detector(sec, "us-east-1", administrator={})
    org = sb.load(tmp_path / "b")
    plan = plan_migration(org, admin=sec)
    assert _issues(plan) == [("warning", "region_unknown", "us-east-1", sec, None,
                              f"whether us-east-1 is enabled in {sec} was not read")]
    assert plan.blocked_regions() == [] and plan.expected_members == {"us-east-1": sorted([app, sb.management])}


def test_legacy_eks_runtime_monitoring_messages_compared_whole(tmp_path):
    legacy = {"Name": "EKS_RUNTIME_MONITORING", "Status": "ENABLED",
              "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]}
    org, ids = invitation_org(tmp_path, admin_features=[legacy, {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"}])
    adm = ids["admin"]
    d = f"d{adm}useast1"
    plan = plan_migration(org, admin=adm, regions=["us-east-1"])
    assert [x for x in _issues(plan) if "eks" in x[1]] == [
        ("warning", "legacy_eks_runtime", "us-east-1", adm, None,
         "the plans to carry hold the legacy EKS_RUNTIME_MONITORING, not RUNTIME_MONITORING: every member would get "
         "EKS-only runtime monitoring (no ECS on Fargate, no EC2). AWS documents migrating \"from EKS Runtime "
         "Monitoring to Runtime Monitoring\", and specifying both is an error: re-plan with --migrate-eks-runtime "
         "(migrate_eks_runtime=True) to send RUNTIME_MONITORING instead")]
    assert [s.params for s in plan.steps if s.kind == "align_features"] == [
        {"DetectorId": d, "AutoEnableOrganizationMembers": "ALL", "Features": [
            {"Name": "EKS_RUNTIME_MONITORING", "AutoEnable": "ALL",
             "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "AutoEnable": "ALL"}]}]}]
    assert plan.target.migrate_eks_runtime is False
    plan = plan_migration(org, admin=adm, regions=["us-east-1"], migrate_eks_runtime=True)
    assert [x for x in _issues(plan) if "eks" in x[1]] == [
        ("info", "legacy_eks_runtime_migrated", "us-east-1", adm, None,
         "the legacy EKS_RUNTIME_MONITORING is replaced by RUNTIME_MONITORING (EKS, ECS on Fargate and EC2), as AWS "
         "documents in \"Migrating from EKS Runtime Monitoring to Runtime Monitoring\", with EKS_ADDON_MANAGEMENT; "
         "Fargate and EC2 need their agent management too (--features)")]
    assert [s.params for s in plan.steps if s.kind == "align_features"] == [
        {"DetectorId": d, "AutoEnableOrganizationMembers": "ALL", "Features": [
            {"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL",
             "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "AutoEnable": "ALL"}]}]}]
    assert plan.target.migrate_eks_runtime is True
    # without agent management to carry, the note names none
    plan = plan_migration(org, admin=adm, regions=["us-east-1"], migrate_eks_runtime=True,
                          features=["EKS_RUNTIME_MONITORING"])
    assert [x[5] for x in _issues(plan) if "eks" in x[1]] == [
        "the legacy EKS_RUNTIME_MONITORING is replaced by RUNTIME_MONITORING (EKS, ECS on Fargate and EC2), as AWS "
        "documents in \"Migrating from EKS Runtime Monitoring to Runtime Monitoring\"; Fargate and EC2 need their "
        "agent management too (--features)"]
    assert [s.params["Features"] for s in plan.steps if s.kind == "align_features"] == [
        [{"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL"}]]


def test_which_members_are_taken_from_another_administrator(tmp_path):
    """Legacy's associated members (Enabled, and Disabled: monitoring stopped) are disassociated, whether the
    member's own view shows the tie (Data) or only Legacy's member list does (Quiet, whose GuardDuty could not be
    read); an invitation not accepted (Invited) or a Removed member is not associated and is left alone. The
    administrator's own view alone (an administrator outside the organisation, no member list) blocks it."""
    sb = SnapshotSpec(regions=["us-east-1"])
    sec, legacy, data, quiet = sb.account("Security"), sb.account("Legacy"), sb.account("Data"), sb.account("Quiet")
    invitee, gone = sb.account("Invitee"), sb.account("Gone")
    sb.detector(sec, "us-east-1", administrator={})
    sb.detector(legacy, "us-east-1", administrator={}, members=[
        S(data, legacy, invited=True), S(quiet, legacy, status="Disabled", invited=True),
        S(invitee, legacy, status="Invited", invited=True), S(gone, legacy, status="Removed", invited=True)])
    sb.detector(data, "us-east-1", administrator={"AccountId": legacy, "RelationshipStatus": "Enabled",
                                                  "InvitationId": "i", "InvitedAt": "2026-01-01T00:00:00.000Z"})
    sb.docs[quiet]["GuardDuty"]["us-east-1"] = {"DetectorIds": None}
    sb.error(quiet, "us-east-1", "guardduty", "ListDetectors", "AccessDeniedException")
    sb.detector(invitee, "us-east-1", administrator={})
    sb.detector(gone, "us-east-1", administrator={})
    org = sb.load(tmp_path / "a")
    plan = plan_migration(org, admin=sec)
    dis = [(s.step_id, s.account_id, s.params, s.accounts) for s in plan.steps if s.kind == "disassociate_other_admin"]
    assert dis == [(f"us-east-1/2-disassociate_other_admin-{legacy}", legacy,
                    {"DetectorId": f"d{legacy}useast1", "AccountIds": [data, quiet]}, [data, quiet])]
    assert plan.expected_members == {"us-east-1": sorted([legacy, data, quiet, invitee, gone, sb.management])}
    assert plan.issues == [] and plan.blocked_regions() == []

    sb = SnapshotSpec(regions=["us-east-1"])
    sec, app = sb.account("Security"), sb.account("App")
    sb.detector(sec, "us-east-1", administrator={"AccountId": "777700002222", "RelationshipStatus": "Enabled",
                                                 "InvitationId": "i", "InvitedAt": "2026-01-01T00:00:00.000Z"},
                members=[S(app, sec, invited=True)])
    plan = plan_migration(sb.load(tmp_path / "b"), admin=sec)
    assert _issues(plan) == [
        ("error", "admin_is_member_elsewhere", "us-east-1", sec, None,
         f"the admin {sec} is itself a member of 777700002222 in us-east-1: an account cannot be an administrator "
         f"and a member at once. First release it: DisassociateMembers (AccountIds=[{sec}]) from 777700002222, or "
         f"DisassociateFromAdministratorAccount in {sec}")]
    assert plan.blocked_regions() == ["us-east-1"]


def test_runtime_monitoring_and_its_legacy_form_both_on_carry_runtime_monitoring_only(tmp_path):
    """AWS (UpdateOrganizationConfiguration): "Specifying both EKS Runtime Monitoring (EKS_RUNTIME_MONITORING) and
    Runtime Monitoring (RUNTIME_MONITORING) will cause an error." A detector reporting both on carries the new one;
    agent management the organisation configuration auto-enables is carried with it."""
    feats = [{"Name": "EKS_RUNTIME_MONITORING", "Status": "ENABLED"}, {"Name": "RUNTIME_MONITORING", "Status": "ENABLED"}]
    sb = SnapshotSpec(regions=["us-east-1"])
    sec, app = sb.account("Security"), sb.account("App")
    sb.gd_admins = {"us-east-1": [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}
    sb.detector(sec, "us-east-1", members=[S(app, sec)], features=feats, org_config={
        "AutoEnable": True, "AutoEnableOrganizationMembers": "NEW", "Features": [
            {"Name": "RUNTIME_MONITORING", "AutoEnable": "NEW",
             "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "AutoEnable": "NEW"}]},
            {"Name": "LAMBDA_NETWORK_LOGS", "AutoEnable": "NONE"}]})
    sb.detector(app, "us-east-1")
    plan = plan_migration(sb.load(tmp_path / "snap"), admin=sec)
    assert plan.features_by_region == {"us-east-1": ["RUNTIME_MONITORING"]}
    assert plan.agents_by_region == {"us-east-1": ["ECS_FARGATE_AGENT_MANAGEMENT"]}
    assert [(s.params["Features"], s.done_in_snapshot) for s in plan.steps if s.kind == "align_features"] == [
        ([{"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL",
           "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "AutoEnable": "ALL"}]}], False)]
    # the configuration already as asked (NEW): the step is done in the snapshot
    plan = plan_migration(sb.load(tmp_path / "snap2"), admin=sec, auto_enable="NEW")
    assert [s.done_in_snapshot for s in plan.steps if s.kind in ("set_auto_enable", "align_features")] == [True, True]


def test_legacy_eks_runtime_migrated_with_two_agent_managements(tmp_path):
    org, ids = invitation_org(tmp_path)
    plan = plan_migration(org, admin=ids["admin"], regions=["us-east-1"], migrate_eks_runtime=True,
                          features=["EKS_RUNTIME_MONITORING", "EKS_ADDON_MANAGEMENT", "EC2_AGENT_MANAGEMENT"])
    assert [x[5] for x in _issues(plan) if "eks" in x[1]] == [
        "the legacy EKS_RUNTIME_MONITORING is replaced by RUNTIME_MONITORING (EKS, ECS on Fargate and EC2), as AWS "
        "documents in \"Migrating from EKS Runtime Monitoring to Runtime Monitoring\", with EKS_ADDON_MANAGEMENT, "
        "EC2_AGENT_MANAGEMENT; Fargate and EC2 need their agent management too (--features)"]


def test_todays_administrators_of_an_organisation_managed_guardduty_in_the_regions_asked(tmp_path):
    """The delegated administrator is marked so where its AdminStatus is ENABLED (not where it is being removed);
    today's state covers only the regions of the plan, coverage included."""
    org, ids = _delegated_org(tmp_path / "snap")
    old, app = ids["old"], ids["app"]
    cur = plan_migration(org, admin=ids["sec"]).current
    assert _plain(cur.administrators) == [
        [r, old, "OldDA", True, r == "us-east-1", 1, 1, 0, 1, 0, 0, "ALL"]
        for r in ("cn-north-1", "eu-west-1", "us-east-1")]
    assert _plain(cur.ties) == [[r, old, app, "App", True, "organization", "Enabled", None]
                                for r in ("cn-north-1", "eu-west-1", "us-east-1")]
    cur = plan_migration(org, admin=ids["sec"], regions=["us-east-1", "cn-north-1"]).current
    assert sorted(set(cur.coverage["region"])) == ["cn-north-1", "us-east-1"]
    assert [r[0] for r in _plain(cur.administrators)] == ["cn-north-1", "us-east-1"]
    assert _plain(cur.invitation_cost) == [["us-east-1", 0, 0, 0, 0, 0], ["cn-north-1", 0, 0, 0, 0, 0]]
    assert cur.cost_summary["regions_in_scope"] == ["us-east-1", "cn-north-1"]


def test_an_outside_administrator_suspended_detectors_left_out_and_the_member_limit_compared_whole(tmp_path,
                                                                                                  monkeypatch):
    """App leaves an administrator outside the organisation itself; OptOut's suspended detector is in a region it
    has not enabled and the management account's is left out on request: both stay suspended, and say why. With a
    member limit of 1 (the real one is 50,000), the region is blocked and the summary says so."""
    import orgkit.guardduty.plan as plan_mod

    ext = "777700001111"
    sb = SnapshotSpec(regions=list(REGIONS))
    sec, app = sb.account("Security"), sb.account("App")
    optout = sb.account("OptOut", regions={"eu-west-1": "DISABLED"})
    for r in REGIONS:
        sb.detector(sec, r, administrator={})
        sb.detector(app, r, administrator={"AccountId": ext, "RelationshipStatus": "Enabled", "InvitationId": "x",
                                           "InvitedAt": "2026-01-01T00:00:00.000Z"})
    sb.detector(optout, "eu-west-1", status="DISABLED", administrator={})
    sb.detector(sb.management, "eu-west-1", status="DISABLED", administrator={})
    org = sb.load(tmp_path / "snap")
    mgmt = sb.management
    plan = plan_migration(org, admin=sec, include_management=False)
    dis = [(s.step_id, s.account_id, s.api, s.params, s.accounts, s.check, s.note, s.other_admin, s.why)
           for s in plan.steps if s.kind == "disassociate_other_admin"]
    assert dis == [
        (f"{r}/2-disassociate_other_admin-{ext}-{app}", app, "guardduty:DisassociateFromAdministratorAccount",
         {"DetectorId": f"d{app}{r.replace('-', '')}"}, [app],
         f"GetAdministratorAccount ({app}, {r}) no longer shows {ext} Enabled or Disabled",
         "never DeleteDetector in a member: its findings would be lost", ext,
         WHY["disassociate_other_admin"].format(other=ext)) for r in REGIONS]

    def outside(r):
        return ("info", "old_admin_outside_organization", r, ext, None,
                f"{ext} is outside the organisation and administers {app} in {r}: each of them leaves it itself "
                "(DisassociateFromAdministratorAccount)")

    assert _issues(plan) == [
        ("info", "management_left_out", None, mgmt, None,
         f"the management account {mgmt} is left out of enrolment (include_management=False): its GuardDuty is not "
         "managed by the delegated administrator"),
        outside("us-east-1"),
        ("info", "member_region_not_enabled", "eu-west-1", optout, None,
         f"eu-west-1 is not enabled in {optout} (OptOut): not enrolled there (GuardDuty needs the region)"),
        outside("eu-west-1"),
        ("info", "suspended_detector", "eu-west-1", optout, None,
         f"the detector of {optout} (OptOut) in eu-west-1 is suspended: it stays suspended (its region is not "
         "enabled)"),
        ("info", "suspended_detector", "eu-west-1", mgmt, None,
         f"the detector of {mgmt} (Management) in eu-west-1 is suspended: it stays suspended (the management account "
         "is left out (include_management=False))")]
    assert plan.suspended == [
        {"account_id": optout, "region": "eu-west-1", "detector_id": f"d{optout}euwest1", "outcome": "left_out",
         "by": None, "step_id": None, "reason": "its region is not enabled"},
        {"account_id": mgmt, "region": "eu-west-1", "detector_id": f"d{mgmt}euwest1", "outcome": "left_out",
         "by": None, "step_id": None, "reason": "the management account is left out (include_management=False)"}]
    assert plan.expected_members == {"us-east-1": [app, optout], "eu-west-1": [app]}
    assert "suspended detectors: 2 left out (each one in the table of suspended detectors)" in plan.summary()

    monkeypatch.setattr(plan_mod, "MAX_MEMBERS", 1)
    plan = plan_migration(org, admin=sec, regions=["us-east-1"])
    assert _issues(plan)[1:] == [
        ("error", "member_limit", "us-east-1", sec, None,
         f"{sec} would have 3 members in us-east-1: a delegated GuardDuty administrator can manage at most 1 (AWS "
         "quota; outside members count too)")]
    assert plan.summary().splitlines()[2:] == [
        "7 steps, 5 to do according to the snapshot",
        "BLOCKED regions (fix the errors below first, or leave them out with --regions): us-east-1"]
    monkeypatch.setattr(plan_mod, "MAX_MEMBERS", 3)  # exactly at the limit: allowed
    assert plan_migration(org, admin=sec, regions=["us-east-1"]).blocked_regions() == []


def test_the_invitation_administrator_proposed_is_the_one_with_most_invitation_members(tmp_path):
    """Ties by invitation (InvitedAt present, or a member outside the organisation, which can only be invited)
    counted per administrator, most first; the management account, though it has the most, is never proposed."""
    from orgkit.guardduty.state import coverage_counts, invitation_admins, member_ties

    sb = SnapshotSpec(regions=list(REGIONS))
    alpha, beta = sb.account("Alpha"), sb.account("Beta")
    m1, m2, m3 = sb.account("M1"), sb.account("M2"), sb.account("M3")
    mgmt = sb.management
    sb.detector(beta, "us-east-1", administrator={}, members=[S(m1, beta, invited=True), S(m2, beta, invited=True)])
    sb.detector(beta, "eu-west-1", administrator={}, members=[S(m1, beta, invited=True)])
    sb.detector(alpha, "us-east-1", administrator={}, members=[S(m3, alpha, invited=True), S(m2, alpha),
                                                               S("999911112222", alpha)])
    sb.detector(mgmt, "us-east-1", administrator={}, members=[S(a, mgmt, invited=True)
                                                              for a in (m1, m2, m3, "999911113333")])
    org = sb.load(tmp_path / "snap")
    assert _plain(invitation_admins(org)) == [[mgmt, 4, 1], [beta, 3, 2], [alpha, 2, 1]]
    assert default_admin(org) == (beta, "invitation_admin")
    t0 = "2026-01-01T00:00:00+00:00"
    assert _plain(member_ties(org)) == [
        ["eu-west-1", beta, m1, "M1", True, "invitation", "Enabled", t0],
        ["us-east-1", alpha, m2, "M2", True, "organization", "Enabled", None],
        ["us-east-1", alpha, m3, "M3", True, "invitation", "Enabled", t0],
        ["us-east-1", alpha, "999911112222", None, False, "invitation", "Enabled", None],
        ["us-east-1", beta, m1, "M1", True, "invitation", "Enabled", t0],
        ["us-east-1", beta, m2, "M2", True, "invitation", "Enabled", t0],
        *[["us-east-1", mgmt, a, n, n is not None, "invitation", "Enabled", t0]
          for a, n in ((m1, "M1"), (m2, "M2"), (m3, "M3"), ("999911113333", None))]]
    plan = plan_migration(org)
    assert (plan.target.admin_account_id, plan.target.admin_chosen_by) == (beta, "invitation_admin")
    assert plan.summary().splitlines()[0] == (
        f"GuardDuty migration to AWS Organizations: delegated administrator {beta} (Beta; proposed: today's "
        "invitation administrator), auto-enable ALL, regions us-east-1, eu-west-1")
    assert plan.steps_in(["eu-west-1"]) == [s for s in plan.steps if s.region == "eu-west-1"]
    assert plan.steps_in() == plan.steps and plan.steps_in([]) == []
    assert plan.auto_enable_in("ap-south-1") == "ALL"  # a region outside the plan: the target's mode
    # no administrator by invitation: the delegated one is proposed, and said so
    org, ids = _delegated_org(tmp_path / "delegated")
    plan = plan_migration(org, with_current=False, check_scps=False)
    assert plan.current is None and plan.to_dict()["current"] is None
    assert plan.summary().splitlines()[:2] == [
        f"GuardDuty migration to AWS Organizations: delegated administrator {ids['old']} (OldDA; proposed: today's "
        "delegated administrator), auto-enable ALL, regions us-east-1, eu-west-1, cn-north-1",
        f"{len(plan.steps)} steps, {sum(1 for s in plan.steps if s.api and not s.done_in_snapshot)} to do "
        "according to the snapshot"]
    assert coverage_counts(None).empty and coverage_counts(pd.DataFrame(columns=["region", "status"])).empty


def test_a_delegated_administrator_listed_without_its_status_and_counts_of_several_organisation_members(tmp_path):
    """ListOrganizationAdminAccounts gives AdminStatus; an entry without it is read as ENABLED (the account is
    listed as the delegated administrator), by the plan and by today's state alike. Several organisation members
    are each counted."""
    from dataclasses import replace

    from orgkit.coverage.guardduty import guardduty_coverage
    from orgkit.guardduty.state import invitation_admins

    org, ids = org_managed_org(tmp_path / "listed")
    assert _plain(plan_migration(org, admin=ids["sec"]).current.administrators)[1] == [
        "us-east-1", ids["sec"], "Security", True, True, 4, 4, 1, 3, 0, 0, "NEW"]
    sb = SnapshotSpec(regions=["us-east-1"])
    sec, app = sb.account("Security"), sb.account("App")
    sb.gd_admins = {"us-east-1": [{"AdminAccountId": sec}]}
    sb.detector(sec, "us-east-1", members=[S(app, sec)])
    sb.detector(app, "us-east-1")
    org = sb.load(tmp_path / "snap")
    assert default_admin(org) == (sec, "delegated_admin")
    assert list(invitation_admins(org).columns) == ["administrator_id", "members", "regions"]
    plan = plan_migration(org)
    assert [(s.kind, s.done_in_snapshot) for s in plan.steps if s.kind == "designate_admin"] == [
        ("designate_admin", True)]
    assert plan_migration(org, admin=app).blocked_regions() == ["us-east-1"]  # another is delegated there
    cur = plan.current
    assert _plain(cur.administrators) == [["us-east-1", sec, "Security", True, True, 1, 1, 0, 1, 0, 0, None]]
    assert list(cur.coverage.columns) == list(guardduty_coverage(org).columns)
    assert cur.coverage.index.tolist() == list(range(len(cur.coverage)))
    assert replace(cur, coverage=None).status_counts() is None


def test_an_scp_that_denies_regions_blocks_only_those_and_a_created_outside_member_keeps_its_administrator(tmp_path):
    """The pre-flight asks the SCPs about each step's call in the step's region (aws:RequestedRegion): a policy
    denying GuardDuty outside us-east-1 blocks eu-west-1 only. An outside member whose record is only Created
    (CreateMembers, no invitation yet) still ties its administrator, which is not enrolled."""
    regional = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyUsEast1", "Effect": "Deny", "Action": "guardduty:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}]}
    org, ids = invitation_org(tmp_path / "a", scps=[("OnlyUsEast1", regional, "sec")])
    plan = plan_migration(org, admin=ids["admin"])
    assert plan.blocked_regions() == ["eu-west-1"]
    assert {(i.check, i.region) for i in plan.issues if i.check.startswith("scp")} == {("scp_denies", "eu-west-1")}

    sb = SnapshotSpec(regions=["us-east-1"])
    sec, keeper = sb.account("Security"), sb.account("Keeper")
    sb.detector(sec, "us-east-1", administrator={})
    sb.detector(keeper, "us-east-1", administrator={}, members=[S("999900003333", keeper, status="Created")])
    plan = plan_migration(sb.load(tmp_path / "b"), admin=sec)
    assert [i.check for i in plan.issues] == ["old_admin_keeps_external_members", "external_member_kept"]
    assert plan.expected_members == {"us-east-1": [sb.management]}
