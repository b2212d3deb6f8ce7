"""Issue 18, points 2-4: tamper verdicts per protected resource, derived from the engine's exact cases, with
named exceptions and GuardDuty's own guards."""


import pandas as pd
import pytest

from orgkit import scp
from orgkit.scp import FULL_AWS_ACCESS, evaluate
from orgkit.scp.tamper import (GD_DISASSOCIATE_SENTENCE, GD_FILTERS_SENTENCE, GD_LISTS_SENTENCE,
                               PROTECTED_RESOURCES, TAMPER_ACTIONS, exception_principals, guardduty_guards,
                               names_principal, tamper_verdict)

from scp_org_fixture import MGMT, make_org

FULL = FULL_AWS_ACCESS


def deny(actions, cond=None):
    st = {"Effect": "Deny", "Action": actions, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


def test_the_action_list_is_aws_s_examples():
    for a in ("guardduty:ArchiveFindings", "guardduty:UpdateFindingsFeedback", "guardduty:StopMonitoringMembers",
              "guardduty:DisassociateMembers", "guardduty:DeleteMembers", "guardduty:UpdateThreatIntelSet",
              "guardduty:CreateIPSet", "cloudtrail:StopEventDataStoreIngestion", "cloudtrail:DeleteEventDataStore",
              "cloudtrail:UpdateEventDataStore", "cloudtrail:StopLogging", "organizations:LeaveOrganization"):
        assert a in TAMPER_ACTIONS
    assert {r.key for r in PROTECTED_RESOURCES} == {"cloudtrail", "guardduty", "organization"}
    assert all(r.resource == "*" and r.source for r in PROTECTED_RESOURCES)
    from orgkit.scp.catalog import default_catalog

    cat = default_catalog()
    assert all(cat.contains(a) for a in TAMPER_ACTIONS)


def test_which_keys_name_a_principal():
    assert names_principal("aws:PrincipalArn") and names_principal("aws:userid") and names_principal("aws:username")
    assert names_principal("aws:PrincipalTag/team")
    for k in ("aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalType",
              "aws:RequestedRegion"):
        assert not names_principal(k)


@pytest.mark.parametrize("cond,named", [
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}, ["role/SecurityAdmin"]),
    ({"StringNotEquals": {"aws:PrincipalTag/team": "security"}}, ['aws:principaltag/team="security"']),
    # an exception by account names no principal: everyone in that account can
    ({"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}, None),
    # a deny on one role only: every other principal can
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Dev"}}, None),
    # an exception that also needs a region is still an exception for the role
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Sec"}, "StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
     None),
])
def test_exception_principals_from_the_exact_cases(cond, named):
    d = evaluate([[FULL, deny("cloudtrail:StopLogging", cond)]], "cloudtrail:StopLogging")
    assert d.decision == "conditional"
    assert exception_principals(d.cases) == named


def test_exception_needs_every_allowing_case_to_name_a_principal():
    # Deny unless role/Sec AND us-east-1 (two statements): allowed only when both hold -> named
    two = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Sec"}}},
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}]}
    d = evaluate([[FULL, two]], "cloudtrail:StopLogging")
    assert exception_principals(d.cases) == ["role/Sec"]


def test_one_verdict_function():
    assert tamper_verdict([("a", "denied", None)])[0] == "protected"
    assert tamper_verdict([("a", "denied", None), ("b", "guarded", "s")])[0] == "guarded_by_service"
    assert tamper_verdict([("a", "except", ["role/X"]), ("b", "guarded", "s")]) == (
        "protected_except", ["a: only role/X", "b: refused by GuardDuty: s"])
    assert tamper_verdict([("a", "except", ["role/X"]), ("b", "unknown", "read failed")])[0] == "unknown"
    assert tamper_verdict([("a", "exposed", "allowed"), ("b", "unknown", "x")])[0] == "exposed"


def _gd_org(members, auto_enable, invitation=False, detector_regions=("us-east-1", "eu-west-1")):
    org = make_org(
        [("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
         (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
         ("100000000001", "r-root", "account", "admin", ["p-FullAWSAccess"]),
         ("100000000002", "r-root", "account", "member", ["p-FullAWSAccess"])],
        {"p-FullAWSAccess": FULL})
    accts = ("100000000001", "100000000002")
    org.detectors = pd.DataFrame([{"account_id": a, "region": r} for a in accts for r in detector_regions])
    org.guardduty_members = pd.DataFrame(
        [{"administrator_id": "100000000001", "region": r, "account_id": "100000000002",
          "relationship_status": "Enabled", "by_invitation": invitation} for r in members],
        columns=["administrator_id", "region", "account_id", "relationship_status", "by_invitation"])
    org.guardduty_administrators = pd.DataFrame(columns=["account_id", "region", "relationship_status"])
    org.guardduty_org_config = pd.DataFrame(
        [{"region": r, "admin_account_id": "100000000001", "auto_enable_organization_members": v}
         for r, v in auto_enable.items()])
    org.reads = pd.DataFrame(columns=["account_id", "region", "service", "status"])
    return org


def test_guardduty_guards_hold_only_in_every_detector_region():
    g = guardduty_guards(_gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "ALL"}))
    mem = g["100000000002"]
    assert mem["guardduty:createipset"] == GD_LISTS_SENTENCE
    assert mem["guardduty:disassociatefromadministratoraccount"] == GD_DISASSOCIATE_SENTENCE
    # suppression rules are the administrator's too (AWS: "A member account can't update this configuration")
    assert mem["guardduty:createfilter"] == mem["guardduty:updatefilter"] == GD_FILTERS_SENTENCE
    assert "guardduty:deletedetector" not in mem and "guardduty:archivefindings" not in mem
    assert "guardduty:disassociatemembers" in g["100000000001"]
    # auto-enable NEW in one region: the member may disassociate there; lists stay the administrator's
    g = guardduty_guards(_gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "NEW"}))
    assert "guardduty:disassociatefromadministratoraccount" not in g["100000000002"]
    assert "guardduty:createipset" in g["100000000002"] and "100000000001" not in g
    # a member in one region only: nothing is guarded (it manages its own lists in the other)
    assert "100000000002" not in guardduty_guards(_gd_org(["us-east-1"], {"us-east-1": "ALL"}))
    # a member by invitation: lists guarded, disassociation not
    g = guardduty_guards(_gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "ALL"}, invitation=True))
    assert "guardduty:createipset" in g["100000000002"]
    assert "guardduty:disassociatefromadministratoraccount" not in g["100000000002"]


def test_guarded_by_service_instead_of_exposed():
    org = _gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "ALL"})
    acts = ["guardduty:CreateIPSet", "guardduty:UpdateThreatIntelSet", "guardduty:DisassociateFromAdministratorAccount"]
    t = scp.tamper_protection(org, actions=acts).set_index("account_id")
    assert t.loc["100000000002", "guardduty"] == "guarded_by_service"
    assert any("only the GuardDuty administrator account can manage lists" in x
               for x in t.loc["100000000002", "guardduty_detail"])
    assert t.loc["100000000001", "guardduty"] == "exposed"  # the administrator manages lists itself
    # GuardDuty refuses only some of the actions: the rest is still exposed
    t = scp.tamper_protection(org, actions=acts + ["guardduty:DeleteDetector"]).set_index("account_id")
    assert t.loc["100000000002", "guardduty"] == "exposed"


def test_demo_separates_protected_with_exception_from_exposed():
    from orgkit.model import load

    t = scp.tamper_protection(load(None)).set_index("account_name")
    assert t.loc["Production Data", "cloudtrail"] == "protected_except"
    assert any("only role/SecurityAdmin" in x for x in t.loc["Production Data", "cloudtrail_detail"])
    assert t.loc["Interview 1", "cloudtrail"] == "exposed"
    assert t.loc["master", "cloudtrail"] == "exposed"
    assert set(t["cloudtrail"].astype(str)) == {"protected_except", "exposed"}
