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
    # issue 22 (mutation survivor tamper._short_name): a PrincipalArn value that is no IAM/STS ARN is shown as is
    ({"StringNotEquals": {"aws:PrincipalArn": "AROAEXAMPLE"}}, ["AROAEXAMPLE"]),
    ({"StringNotLike": {"aws:PrincipalArn": "*:role/Sec*"}}, ["*:role/Sec*"]),
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


# ---------------------------------------------------------------- issue 22: the whole table, compared word for word

_ACTS = ["cloudtrail:StopLogging", "guardduty:DeleteDetector", "organizations:LeaveOrganization", "s3:DeleteBucket"]
_EXEMPT = "exempt from SCPs (management account or service-linked role): allowed"
_UNREAD = "p-Unread: its text was not collected (organizations:DescribePolicy failed)"


def _table_org():
    """The management account; an account denied every action except for role/SecurityAdmin; one with FullAWSAccess
    only; one denied everything; one denied two actions outside eu-west-1; one under an SCP whose text was not read."""
    org = make_org(
        [("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
         (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
         ("100000000001", "r-root", "account", "Except", ["p-FullAWSAccess", "p-Except"]),
         ("100000000002", "r-root", "account", "Open", ["p-FullAWSAccess"]),
         ("100000000003", "r-root", "account", "Closed", ["p-FullAWSAccess", "p-All"]),
         ("100000000004", "r-root", "account", "Region", ["p-FullAWSAccess", "p-Region"]),
         ("100000000005", "r-root", "account", "Unread", ["p-FullAWSAccess", "p-Unread"])],
        {"p-FullAWSAccess": FULL,
         "p-Except": deny(_ACTS, {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}),
         "p-All": deny(_ACTS),
         "p-Region": deny(_ACTS[:2], {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}),
         "p-Unread": deny(_ACTS)})
    org.policies.loc[org.policies["policy_id"] == "p-Unread", "content"] = None
    return org


def _row(aid, name, decisions, verdicts, details, exposed, exceptions, conditional, allowed, unknown, exposure,
         reason, protected=False, ct_protected=False, gd_protected=False):
    r = {"account_id": aid, "account_name": name, "ou_path": "Root", **dict(zip(_ACTS, decisions)),
         "protected": protected, "cloudtrail_protected": ct_protected, "guardduty_protected": gd_protected,
         "can_leave": decisions[2], "exposed": allowed, "conditional": conditional, "unknown": unknown}
    for key, v, d, e, x in zip(("cloudtrail", "guardduty", "organization", "other"), verdicts, details, exposed,
                               exceptions):
        r.update({key: v, f"{key}_detail": d, f"{key}_exposed": e, f"{key}_exceptions": x})
    r.update(exposure=exposure, reason=reason)
    return r


def test_the_tamper_table_word_for_word():
    t = scp.tamper_protection(_table_org(), actions=_ACTS)
    assert t.attrs["protected_resources"] == ["cloudtrail", "guardduty", "organization", "other"]
    assert list(t["cloudtrail"].cat.categories) == list(scp.tamper.VERDICTS)
    got = [{k: (str(v) if k in _ACTS or k in ("cloudtrail", "guardduty", "organization", "other", "can_leave") else v)
            for k, v in r.items()} for r in t.to_dict("records")]
    only = [[f"{a}: only role/SecurityAdmin"] for a in _ACTS]
    region = 'allowed when aws:RequestedRegion is "eu-west-1"'
    want = [
        _row(MGMT, "management", ["exempt"] * 4, ["exposed"] * 4, [[f"{a}: {_EXEMPT}"] for a in _ACTS],
             [[a] for a in _ACTS], [[]] * 4, [], [], [], [f"{a}: {_EXEMPT}" for a in _ACTS],
             "exempt from SCPs (management account or service-linked role): nothing stops tampering"),
        _row("100000000001", "Except", ["conditional"] * 4, ["protected_except"] * 4, only, [[]] * 4,
             [["role/SecurityAdmin"]] * 4, _ACTS, [], [], [f"{a}: allowed only for role/SecurityAdmin" for a in _ACTS],
             "4 allowed for some context values of 4 tamper actions"),
        _row("100000000002", "Open", ["allow"] * 4, ["exposed"] * 4, [[f"{a}: allowed for any principal"] for a in _ACTS],
             [[a] for a in _ACTS], [[]] * 4, [], _ACTS, [], [f"{a}: allowed for any principal" for a in _ACTS],
             "4 allowed of 4 tamper actions"),
        _row("100000000003", "Closed", ["explicit_deny"] * 4, ["protected"] * 4, [[]] * 4, [[]] * 4, [[]] * 4, [], [],
             [], [], "every one of the 4 tamper actions is denied, whatever the context", protected=True,
             ct_protected=True, gd_protected=True),
        _row("100000000004", "Region", ["conditional", "conditional", "allow", "allow"], ["exposed"] * 4,
             [[f"{_ACTS[0]}: {region}"], [f"{_ACTS[1]}: {region}"], [f"{_ACTS[2]}: allowed for any principal"],
              [f"{_ACTS[3]}: allowed for any principal"]],
             [[a] for a in _ACTS], [[]] * 4, _ACTS[:2], _ACTS[2:], [],
             [f"{_ACTS[0]}: {region}", f"{_ACTS[1]}: {region}", f"{_ACTS[2]}: allowed for any principal",
              f"{_ACTS[3]}: allowed for any principal"],
             "2 allowed, 2 allowed for some context values of 4 tamper actions"),
        _row("100000000005", "Unread", ["unknown"] * 4, ["unknown"] * 4, [[f"{a}: unknown: {_UNREAD}"] for a in _ACTS],
             [[]] * 4, [[]] * 4, [], [], _ACTS, [f"{a}: unknown: {_UNREAD}" for a in _ACTS],
             "4 unknown (an SCP could not be read) of 4 tamper actions"),
    ]
    assert got == want


def test_the_tamper_table_for_one_principal_word_for_word():
    """As role/Dev: the exception names another role, so the Except account denies it; FullAWSAccess alone allows
    it "for" that principal; the management account stays exempt."""
    t = scp.tamper_protection(_table_org(), principal="role/Dev", actions=_ACTS[:1]).set_index("account_id")
    assert list(t.columns) == ["account_name", "ou_path", _ACTS[0], "protected", "cloudtrail_protected",
                               "guardduty_protected", "can_leave", "exposed", "conditional", "unknown", "cloudtrail",
                               "cloudtrail_detail", "cloudtrail_exposed", "cloudtrail_exceptions", "exposure", "reason"]
    assert t[_ACTS[0]].astype(str).to_dict() == {
        MGMT: "exempt", "100000000001": "explicit_deny", "100000000002": "allow", "100000000003": "explicit_deny",
        "100000000004": "conditional", "100000000005": "unknown"}
    assert t["guardduty_protected"].isna().all() and t["can_leave"].isna().all()
    assert t.loc["100000000002", "cloudtrail_detail"] == [f"{_ACTS[0]}: allowed for role/Dev"]
    assert t.loc["100000000002", "reason"] == "1 allowed of 1 tamper actions"
    assert t.loc["100000000001", "reason"] == "every one of the 1 tamper actions is denied, whatever the context"
    assert t.loc["100000000001", "cloudtrail"] == "protected" and t.loc["100000000001", "protected"]


def test_decision_status_of_each_engine_answer():
    from orgkit.scp.engine import Decision
    from orgkit.scp.tamper import decision_status

    assert decision_status(Decision("explicit_deny", "r", "a:B")) == ("denied", None)
    assert decision_status(Decision("implicit_deny", "r", "a:B")) == ("denied", None)
    assert decision_status(Decision("unknown", "r", "a:B", unknown_reads=("x", "y"))) == ("unknown", "x; y")
    assert decision_status(Decision("unknown", "r", "a:B")) == ("unknown", "an SCP read failed")
    assert decision_status(Decision("exempt", "r", "a:B")) == ("exposed", _EXEMPT)
    assert decision_status(Decision("allow", "r", "a:B")) == ("exposed", "allowed for any principal")
    assert decision_status(Decision("allow", "r", "a:B"), "arn:aws:iam::1:role/X") == (
        "exposed", "allowed for arn:aws:iam::1:role/X")
    assert decision_status(Decision("conditional", "r", "a:B", allowed_when="k is 1")) == ("exposed", "allowed when k is 1")
    assert decision_status(Decision("conditional", "r", "a:B")) == ("exposed", "depends on context")
    named = Decision("conditional", "r", "a:B", cases=[
        {"values": {"aws:PrincipalArn": "like arn:aws:iam::*:role/Sec"}, "decision": "allow"},
        {"values": {"aws:PrincipalArn": "any other value"}, "decision": "explicit_deny"}])
    assert decision_status(named) == ("except", ["role/Sec"])


def test_verdict_order_and_details_of_every_status():
    st = [("a", "denied", None), ("b", "except", ["role/X", "user/Y"]), ("c", "guarded", "S"),
          ("d", "unknown", "R"), ("e", "exposed", "allowed"), ("f", "not_protectable", "W")]
    details = ["b: only role/X, user/Y", "c: refused by GuardDuty: S", "d: unknown: R", "e: allowed",
               "f: not protectable: W"]
    assert tamper_verdict(st) == ("not_protectable", details)
    assert tamper_verdict(st[:5]) == ("exposed", details[:4])
    assert tamper_verdict(st[:4]) == ("unknown", details[:3])
    assert tamper_verdict(st[:3]) == ("protected_except", details[:2])
    assert tamper_verdict([st[0], st[2]]) == ("guarded_by_service", details[1:2])
    assert tamper_verdict(st[:1]) == ("protected", [])
    assert tamper_verdict([]) == ("not_applicable", [])


def _gd_guard_parts():
    """The guards of the GuardDuty organisation of :func:`_gd_org`, by kind: the member's IP/threat lists, its
    filters, its leaving the administrator, and the administrator's members (its own guard)."""
    from orgkit.scp.tamper import GD_ADMIN_SENTENCE

    lists = {a: GD_LISTS_SENTENCE for a in ("guardduty:createipset", "guardduty:updateipset",
                                            "guardduty:updatethreatintelset", "guardduty:deletethreatintelset")}
    filters = {a: GD_FILTERS_SENTENCE for a in ("guardduty:createfilter", "guardduty:updatefilter")}
    leave = {a: GD_DISASSOCIATE_SENTENCE for a in ("guardduty:disassociatefromadministratoraccount",
                                                   "guardduty:disassociatefrommasteraccount")}
    admin = {"100000000001": {a: GD_ADMIN_SENTENCE for a in ("guardduty:disassociatemembers", "guardduty:deletemembers")}}
    return lists, filters, leave, admin


def test_guardduty_guards_compared_whole():
    lists, filters, leave, admin = _gd_guard_parts()
    both = {"us-east-1": "ALL", "eu-west-1": "ALL"}
    org = _gd_org(["us-east-1", "eu-west-1"], both)
    assert guardduty_guards(org) == {**admin, "100000000002": {**lists, **filters, **leave}}
    # a failed GuardDuty read of the member: nothing is known to be guarded there
    org.reads = pd.DataFrame([{"account_id": "100000000002", "region": "us-east-1", "service": "guardduty",
                               "status": "AccessDenied"},
                              {"account_id": "100000000001", "region": "us-east-1", "service": "s3", "status": "error"}])
    assert guardduty_guards(org) == admin
    # a member through the administrators list (its own view) only: lists and filters, not the organisation's guard
    org = _gd_org([], both)
    org.guardduty_administrators = pd.DataFrame([{"account_id": "100000000002", "region": r,
                                                  "relationship_status": "Enabled"} for r in ("us-east-1", "eu-west-1")])
    assert guardduty_guards(org) == {**admin, "100000000002": {**lists, **filters}}
    # enabled in one region, removed in the other: no guard; the auto-enable value is read whatever its case
    org = _gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "all", "eu-west-1": "ALL"})
    org.guardduty_members["relationship_status"] = ["enabled", "Removed"]
    assert guardduty_guards(org) == admin
    # an administrator with a member by invitation may remove members itself
    org = _gd_org(["us-east-1", "eu-west-1"], both, invitation=True)
    assert guardduty_guards(org) == {"100000000002": {**lists, **filters}}
    org.detectors = org.detectors.iloc[:0]
    assert guardduty_guards(org) == {}


def test_the_exact_answer_behind_a_verdict_is_asked_with_the_given_context():
    """Deny StopLogging in eu-west-1 unless role/Sec: in eu-west-1 only role/Sec can (protected_except); with the
    region unknown, any principal can elsewhere (exposed, and when)."""
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "r-root", "account", "a", ["p-FullAWSAccess", "p-x"])],
                   {"p-FullAWSAccess": FULL,
                    "p-x": deny("cloudtrail:StopLogging", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Sec"},
                                                           "StringEquals": {"aws:RequestedRegion": "eu-west-1"}})})
    acts = ["cloudtrail:StopLogging"]
    t = scp.tamper_protection(org, actions=acts, context={"aws:RequestedRegion": "eu-west-1"}).set_index("account_id")
    assert t.loc["100000000001", ["cloudtrail", "cloudtrail_detail"]].tolist() == [
        "protected_except", ["cloudtrail:StopLogging: only role/Sec"]]
    t = scp.tamper_protection(org, actions=acts).set_index("account_id")
    assert t.loc["100000000001", ["cloudtrail", "cloudtrail_detail"]].tolist() == [
        "exposed", ['cloudtrail:StopLogging: allowed when (aws:PrincipalArn is absent or any other value and '
                    'aws:RequestedRegion is not "eu-west-1" (or absent)); or (aws:PrincipalArn is like '
                    'arn:aws:iam::*:role/Sec)']]


def test_an_exempt_case_is_an_allowing_case_for_the_exception_principals():
    """``exception_principals`` counts an ``exempt`` case as allowing (the principal it names can do the action),
    like ``allow`` and ``conditional``; the denying ones name nobody (seed-29 survivor ``exception_principals`` 9)."""
    arn = "aws:PrincipalArn"
    sl = "like arn:aws:iam::*:role/aws-service-role/*"
    cases = [{"values": {arn: "absent"}, "decision": "explicit_deny"},
             {"values": {arn: sl}, "decision": "exempt"},
             {"values": {arn: "any other value"}, "decision": "implicit_deny"}]
    assert exception_principals(cases) == ["role/aws-service-role/*"]
    # an exempt case naming no principal: some principal no exception names can do it
    assert exception_principals([{"values": {arn: "any other value"}, "decision": "exempt"}]) is None
    assert exception_principals([{"values": {"aws:RequestedRegion": "like eu-*"}, "decision": "exempt"}]) is None


def test_guardduty_guards_of_an_org_without_the_administrators_frame():
    """An organisation object with no ``guardduty_administrators`` (as with the other GuardDuty frames, optional)
    answers as with an empty one, not AttributeError (seed-29 survivor ``guardduty_guards`` 127)."""
    with_empty = guardduty_guards(_gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "ALL"}))
    org = _gd_org(["us-east-1", "eu-west-1"], {"us-east-1": "ALL", "eu-west-1": "ALL"})
    del org.guardduty_administrators
    lists, filters, leave, admin = _gd_guard_parts()
    assert guardduty_guards(org) == with_empty == {**admin, "100000000002": {**lists, **filters, **leave}}
