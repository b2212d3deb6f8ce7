"""Issue 12 (exact answers over unknown context keys, tamper protection, names in explanations, the context
API) and issue 10's SCP points (answers that depend on an unread read are unknown; malformed actions are
refused; the explorer validates the action)."""

import io
import itertools
import json
import warnings
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgkit import scp
from orgkit.scp import ABSENT, FULL_AWS_ACCESS, UNKNOWN, evaluate
from orgkit.scp.engine import _complete, implied_context, merge_context
from orgkit.scp.notebook import check_explorer_action, tamper_coverage, verdict
from orgkit.scp.partition import RESOURCE, domains

from scp_org_fixture import MGMT, make_org  # noqa: E402

FULL = json.loads(FULL_AWS_ACCESS)


def only_region(region, sid=None):
    return {"Version": "2012-10-17", "Statement": [{"Sid": sid or f"Only{region}", "Effect": "Deny", "Action": "*",
                                                    "Resource": "*",
                                                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": region}}}]}


def allow_if_region(region):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                    "Condition": {"StringEquals": {"aws:RequestedRegion": region}}}]}


EC2_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}


# ------------------------------------------------------------------------------------------- issue 12, part 1


def test_two_region_guardrails_that_do_not_overlap_are_an_explicit_deny():
    d = evaluate([[FULL, only_region("us-east-1")], [FULL, only_region("eu-west-1")]], "ec2:RunInstances")
    assert d.decision == "explicit_deny"
    assert "for every value of aws:RequestedRegion" in d.reason and "(and when absent)" in d.reason
    assert {c["decision"] for c in d.cases} == {"explicit_deny"}
    assert {c["values"]["aws:requestedregion"] for c in d.cases} >= {'"us-east-1"', '"eu-west-1"', "absent"}


def test_allow_lists_on_different_regions_at_two_levels_are_an_implicit_deny():
    d = evaluate([[allow_if_region("us-east-1")], [allow_if_region("eu-west-1")]], "ec2:RunInstances")
    assert d.decision == "implicit_deny"


def test_an_explicit_deny_for_every_value_wins_over_an_implicit_deny():
    lv = [[FULL, only_region("us-east-1")], [EC2_ONLY], [FULL, only_region("eu-west-1")]]
    assert evaluate(lv, "s3:GetObject").decision == "explicit_deny"
    assert evaluate(lv, "ec2:RunInstances").decision == "explicit_deny"


def test_bool_if_exists_true_or_bool_false_allows_every_value_and_absence():
    mfa = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}
    d = evaluate([[mfa]], "s3:GetObject")
    assert d.decision == "allow" and d.depends_on_keys == ()


def test_conditional_says_for_which_values_it_is_allowed():
    d = evaluate([[FULL, only_region("us-east-1")]], "ec2:RunInstances")
    assert d.decision == "conditional"
    assert d.allowed_when == 'aws:RequestedRegion is "us-east-1"'
    assert d.denied_when.startswith('aws:RequestedRegion is not "us-east-1"')
    assert "allowed when" in d.explain()
    assert "allowed when" in verdict(d)


def test_given_values_still_decide_and_absent_applies_the_documented_rule():
    lv = [[FULL, only_region("us-east-1")]]
    assert evaluate(lv, "ec2:RunInstances", context={"aws:RequestedRegion": "us-east-1"}).decision == "allow"
    assert evaluate(lv, "ec2:RunInstances", context={"aws:RequestedRegion": "eu-west-1"}).decision == "explicit_deny"
    # StringNotEquals on an absent key is true: the deny applies
    assert evaluate(lv, "ec2:RunInstances", context={"aws:RequestedRegion": ABSENT}).decision == "explicit_deny"
    assert evaluate(lv, "ec2:RunInstances", missing="absent").decision == "explicit_deny"


def test_multi_valued_keys_for_all_values_and_for_any_value():
    tags = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "env"]}}}]}
    d = evaluate([[FULL, tags]], "ec2:CreateTags")
    assert d.decision == "conditional"
    # allowed only for a set made of team/env (or no tags at all: ForAnyValue on an absent key is false)
    allowed = [c["values"]["aws:tagkeys"] for c in d.cases if c["decision"] == "allow"]
    assert "absent" in allowed and all("any other value" not in a for a in allowed)
    only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}}]}
    # every set is either all "team" (or empty/absent) or has another element: allowed for every value
    assert evaluate([[only]], "ec2:CreateTags").decision == "allow"


def test_numeric_date_and_ip_thresholds():
    age = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "3600"}}}]}
    assert evaluate([[age]], "s3:GetObject").decision == "allow"
    ip = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/9"}}}]}
    d = evaluate([[FULL, ip]], "s3:GetObject")
    assert d.decision == "conditional" and "10.128.0.0" in d.allowed_when
    late = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}}]}
    d = evaluate([[FULL, late]], "s3:GetObject")
    assert d.decision == "conditional" and d.denied_when == "aws:CurrentTime is above 2026-01-01T00:00:00+00:00"


def test_null_and_unknown_operators():
    null = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "true"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "false"}}}]}
    assert evaluate([[null]], "s3:GetObject").decision == "allow"
    weird = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                            "Condition": {"StringEqualz": {"aws:RequestedRegion": "x"}}}]}
    d = evaluate([[FULL, weird]], "s3:GetObject", context={"aws:RequestedRegion": "x"})
    assert d.decision == "conditional" and any("StringEqualz" in k for k in d.depends_on_keys)


# ------------------------------------------------------------------------------------------- resources


def test_resource_star_means_any_resource():
    deny_bucket = ("p-b", {"Statement": [{"Sid": "B", "Effect": "Deny", "Action": "s3:*",
                                          "Resource": "arn:aws:s3:::secret/*"}]})
    for res in ("*", None):
        d = evaluate([[FULL, deny_bucket]], "s3:GetObject", resource=res)
        assert d.decision == "conditional" and d.depends_on_keys == (RESOURCE,)
        assert "the resource is like arn:aws:s3:::secret/*" in d.denied_when
    assert evaluate([[FULL, deny_bucket]], "s3:GetObject", resource="arn:aws:s3:::open/x").decision == "allow"
    deny_all = ("p-a", {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    assert evaluate([[FULL, deny_all]], "s3:GetObject", resource="*").decision == "explicit_deny"


# ------------------------------------------------------------------------------------------- the context API


def test_absent_unknown_and_missing():
    ctx = merge_context(implied_context("111122223333", None, None, "arn:aws:iam::111122223333:role/x"),
                        {"aws:PrincipalArn": UNKNOWN, "aws:SourceVpc": ABSENT}, "unknown")
    assert "aws:principalarn" not in ctx and ctx["aws:sourcevpc"] is None and "aws:requestedregion" not in ctx
    ctx = merge_context({}, {"aws:PrincipalArn": UNKNOWN}, "absent")
    assert "aws:principalarn" not in ctx and "aws:requestedregion" in ctx and ctx["aws:requestedregion"] is None
    done = _complete(ctx, {"aws:principalarn": "arn:aws:iam::1:root"})
    assert done["aws:principalarn"] == "arn:aws:iam::1:root" and "aws:principalarn" not in ctx
    protect = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                              "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}]}
    # a known principal decides, unless the caller says its ARN is unknown
    lv = [[FULL, protect]]
    assert evaluate(lv, "s3:GetObject", principal="role/Dev", account_id="111122223333").decision == "explicit_deny"
    d = evaluate(lv, "s3:GetObject", principal="role/Dev", account_id="111122223333",
                 context={"aws:PrincipalArn": UNKNOWN})
    assert d.decision == "conditional" and "role/Admin" in d.allowed_when
    with pytest.raises(ValueError, match="missing="):
        evaluate(lv, "s3:GetObject", missing="maybe")


def test_old_names_still_work_with_a_deprecation_warning():
    lv = [[FULL, only_region("us-east-1")]]
    with pytest.warns(DeprecationWarning, match="absent_unknown"):
        assert evaluate(lv, "ec2:RunInstances", absent_unknown=True).decision == "explicit_deny"
    with pytest.warns(DeprecationWarning, match="AbsentContext"):
        assert evaluate(lv, "ec2:RunInstances", context=scp.AbsentContext()).decision == "explicit_deny"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert evaluate(lv, "ec2:RunInstances", missing="absent").decision == "explicit_deny"


# ------------------------------------------------------------------------------------------- an organisation

PROTECT = {"Version": "2012-10-17", "Statement": [{
    "Sid": "ProtectCloudTrail", "Effect": "Deny",
    "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
               "cloudtrail:StopEventDataStoreIngestion", "cloudtrail:DeleteEventDataStore", "cloudtrail:UpdateEventDataStore"],
    "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}


@pytest.fixture(scope="module")
def org():
    return make_org(
        [
            ("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-useast"]),
            ("ou-eng", "r-root", "ou", "Engineering", ["p-FullAWSAccess", "p-protect"]),
            ("ou-eu", "ou-eng", "ou", "EU", ["p-FullAWSAccess", "p-euwest"]),
            (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
            ("100000000001", "ou-eng", "account", "eng-1", ["p-FullAWSAccess"]),
            ("100000000002", "ou-eu", "account", "eu-1", ["p-FullAWSAccess"]),
        ],
        {"p-FullAWSAccess": FULL, "p-useast": only_region("us-east-1", "OnlyUsEast1"),
         "p-euwest": only_region("eu-west-1", "OnlyEuWest1"), "p-protect": PROTECT},
    )


def test_matrix_agrees_with_decide_and_is_exact(org):
    acts = ["cloudtrail:StopLogging", "ec2:RunInstances", "s3:GetObject", "organizations:LeaveOrganization"]
    for principal in (None, "role/Dev", "role/SecurityAdmin"):
        m = scp.matrix(org, principal=principal, actions=acts)
        for aid in m.accounts["account_id"]:
            for a in acts:
                assert m.decision(aid, a) == scp.decide(org, aid, a, principal=principal).decision, (principal, aid, a)
    assert scp.decide(org, "100000000002", "s3:GetObject").decision == "explicit_deny"
    assert scp.decide(org, "100000000001", "s3:GetObject").decision == "conditional"


def test_explanations_name_the_policy_its_id_the_ou_path_and_the_sid(org):
    d = scp.decide(org, "100000000001", "cloudtrail:StopLogging", principal="role/Dev",
                   context={"aws:RequestedRegion": "us-east-1"})
    assert d.decision == "explicit_deny"
    assert (d.policy_name, d.policy_id, d.sid, d.level, d.level_path) == (
        "protect", "p-protect", "ProtectCloudTrail", "ou-eng", "Root/Engineering")
    assert 'Sid "ProtectCloudTrail" of policy "protect" (p-protect) at ou Root/Engineering (ou-eng)' in d.reason
    assert '"protect" (p-protect)' in d.explain()
    row = scp.can(org, "cloudtrail:StopLogging", principal="role/Dev",
                  context={"aws:RequestedRegion": "us-east-1"}).set_index("account_id").loc["100000000001"]
    assert row["policy_name"] == "protect" and row["sid"] == "ProtectCloudTrail"
    # any region: denied by one or the other for every value; the reason names both
    d = scp.decide(org, "100000000001", "cloudtrail:StopLogging", principal="role/Dev")
    assert d.decision == "explicit_deny" and '"useast" (p-useast)' in d.reason and '"protect" (p-protect)' in d.reason


def test_tamper_protection_one_definition(org):
    t = scp.tamper_protection(org, principal="role/Dev").set_index("account_id")
    # eu-1: the two region guardrails deny every region and the absent key: protected
    assert t.loc["100000000002", "protected"]
    assert t.loc["100000000002", "exposure"] == []
    # eng-1: CloudTrail is protected (whatever the region), GuardDuty is exposed outside the region guardrail
    assert t.loc["100000000001", "cloudtrail_protected"] and not t.loc["100000000001", "protected"]
    exp = dict(x.split(": ", 1) for x in t.loc["100000000001", "exposure"])
    assert exp["guardduty:DeleteDetector"] == 'allowed when aws:RequestedRegion is "us-east-1"'
    assert t.loc[MGMT, "reason"].startswith("exempt")
    # the verdicts (issue 18): role/Dev is not the exception, so with it known CloudTrail is protected
    assert t.loc["100000000001", "cloudtrail"] == "protected" and t.loc["100000000001", "guardduty"] == "exposed"
    assert t.loc["100000000002", "guardduty"] == "protected" and t.loc[MGMT, "cloudtrail"] == "exposed"
    # any principal: the SecurityAdmin exception is named
    t2 = scp.tamper_protection(org).set_index("account_id")
    exp = dict(x.split(": ", 1) for x in t2.loc["100000000001", "exposure"])
    assert "role/SecurityAdmin" in exp["cloudtrail:StopLogging"]
    assert t2.loc["100000000002", "protected"]
    # any principal: allowed only for the named role -> protected_except, the exception listed
    assert t2.loc["100000000001", "cloudtrail"] == "protected_except"
    assert "cloudtrail:StopLogging: only role/SecurityAdmin" in t2.loc["100000000001", "cloudtrail_detail"]
    # ... and for the exception role itself, it is exposed (that principal can)
    t3 = scp.tamper_protection(org, principal="role/SecurityAdmin").set_index("account_id")
    assert t3.loc["100000000001", "cloudtrail"] == "exposed"
    # the notebook's words come from the same columns
    cov = pd.DataFrame({"account_id": ["100000000001", "100000000002", MGMT], "regions": [1, 1, 1],
                        "cloudtrail_covered": [1, 1, 1], "cloudtrail_unknown": [0, 0, 0], "cloudtrail_share": [1.0] * 3,
                        "guardduty_covered": [1, 1, 1], "guardduty_unknown": [0, 0, 0], "guardduty_share": [1.0] * 3})
    tc = tamper_coverage(scp.evaluator(org), tamper=scp.tamper_protection(org, principal="role/Dev"), coverage=cov)
    tc = tc.set_index("account_id")
    assert tc.loc["100000000001", "cloudtrail"] == "covered, protected"
    assert tc.loc["100000000002", "cloudtrail"] == "covered, protected"
    assert tc.loc["100000000002", "guardduty"] == "covered, protected"
    assert tc.loc["100000000001", "guardduty"] != "covered, protected"


def _cli(org, monkeypatch, argv):
    from orgkit.scp import cli

    monkeypatch.setattr(cli, "_load", lambda snapshot: org)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = cli.main(argv)
    return rc, out.getvalue(), err.getvalue()


def test_cli_tamper_table_names_the_exposed_actions(org, monkeypatch):
    rc, out, err = _cli(org, monkeypatch, ["scp", "tamper", "--principal", "role/Dev", "--columns", "exposure"])
    assert rc == 0 and "guardduty:DeleteDetector: allowed when aws:RequestedRegion is" in " ".join(out.split())
    assert "cloudtrail: protected 2, exposed 1 of 3 accounts" in err
    monkeypatch.setenv("COLUMNS", "80")
    rc, out, err = _cli(org, monkeypatch, ["scp", "tamper"])
    assert rc == 0 and "cloudtrail: protected 1, protected_except 1, exposed 1 of 3 accounts" in err
    assert all(len(line) <= 80 for line in out.splitlines())
    assert _cli(org, monkeypatch, ["scp", "tamper", "--fail-on", "exposed"])[0] == 1


@pytest.mark.parametrize("bad", ["cloudtrail_StopLogging", ":", "cloudtrail:Stop Logging", "", "cloudtrail:"])
def test_cli_refuses_a_malformed_action(org, monkeypatch, bad):
    for argv in (["scp", "can", bad], ["scp", "explain", "100000000001", bad]):
        rc, out, err = _cli(org, monkeypatch, argv)
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "service:Action" in err


def test_wildcards_are_actions(org):
    assert scp.check_action("cloudtrail:Stop*") == "cloudtrail:Stop*"
    assert scp.check_action(" s3:Get?bject ") == "s3:Get?bject"
    with pytest.raises(ValueError):
        scp.decide(org, "100000000001", "cloudtrail StopLogging")


def test_explorer_validates_the_action_before_answering(org):
    assert "type an action" in check_explorer_action(org, "")
    assert "type an action" in check_explorer_action(org, "   ")
    assert "not in the action catalog" in check_explorer_action(org, "cloudtrail:StopLoging")
    assert "service:Action" in check_explorer_action(org, "cloudtrail_StopLogging")
    assert "wildcard" in check_explorer_action(org, "cloudtrail:*")
    assert check_explorer_action(org, "cloudtrail:StopLogging") is None


# ------------------------------------------------------------------------------------------- issue 10: unread reads


def _unread_org(message):
    o = make_org(
        [
            ("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
            ("ou-eng", "r-root", "ou", "Engineering", ["p-FullAWSAccess"]),
            (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
            ("100000000001", "ou-eng", "account", "eng-1", ["p-FullAWSAccess"]),
        ],
        {"p-FullAWSAccess": FULL, "p-protect": PROTECT},
    )
    o.errors = pd.DataFrame([{"account_id": MGMT, "region": None, "service": "organizations",
                              "operation": "ListTargetsForPolicy", "error_code": "AccessDeniedException",
                              "message": message}])
    return o


@pytest.mark.parametrize("message", ["not authorized", "not authorized on policy p-protect"])
def test_an_answer_that_depends_on_unread_targets_is_unknown(monkeypatch, message):
    o = _unread_org(message)
    d = scp.decide(o, "100000000001", "cloudtrail:StopLogging", principal="role/Dev")
    assert d.decision == "unknown" and "ListTargetsForPolicy" in d.reason and "p-protect" in d.reason
    assert d.unknown_reads and "AccessDeniedException" in d.unknown_reads[0]
    # an action the unread policy cannot change keeps its answer
    assert scp.decide(o, "100000000001", "s3:GetObject", principal="role/Dev").decision == "allow"
    assert scp.decide(o, MGMT, "cloudtrail:StopLogging").decision == "exempt"
    m = scp.matrix(o, principal="role/Dev", actions=["cloudtrail:StopLogging", "s3:GetObject"])
    assert m.decision("100000000001", "cloudtrail:StopLogging") == "unknown"
    assert m.decision("100000000001", "s3:GetObject") == "allow"
    t = scp.tamper_protection(o, principal="role/Dev").set_index("account_id")
    assert not t.loc["100000000001", "protected"] and "cloudtrail:StopLogging" in t.loc["100000000001", "unknown"]
    assert any("ListTargetsForPolicy" in x for x in t.loc["100000000001", "exposure"])
    lint = scp.lint(o)
    assert (lint["check"] == "unread_policy").any()
    rc, out, err = _cli(o, monkeypatch, ["scp", "can", "cloudtrail:StopLogging", "--principal", "role/Dev"])
    assert rc == 0 and "unknown" in out and "ListTargetsForPolicy" in err
    rc, out, err = _cli(o, monkeypatch, ["scp", "explain", "100000000001", "cloudtrail:StopLogging"])
    assert rc == 0 and "=> unknown" in out and "ListTargetsForPolicy" in out
    rc, out, err = _cli(o, monkeypatch, ["scp", "tamper"])
    assert rc == 0 and "unknown" in out and "SCP read failed" in err
    rc, out, err = _cli(o, monkeypatch, ["scp", "lint"])
    assert rc == 0 and "unread_policy" in out and "read(s) failed" in err


def test_a_failed_list_of_policies_makes_every_answer_unknown():
    o = _unread_org("x")
    o.errors.loc[0, "operation"] = "ListPolicies"
    assert scp.decide(o, "100000000001", "s3:GetObject").decision == "unknown"
    assert scp.matrix(o, actions=["s3:GetObject"]).decision("100000000001", "s3:GetObject") == "unknown"


# ------------------------------------------------------------------------------------------- the property

REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"]
KEYS = {
    "aws:RequestedRegion": ("str", REGIONS),
    "aws:PrincipalTag/team": ("str", ["red", "blue", "re*"]),
    "aws:MultiFactorAuthAge": ("num", ["60", "3600"]),
    "aws:SecureTransport": ("bool", ["true", "false"]),
    "aws:TagKeys": ("multi", ["team", "env"]),
}
OPS = {"str": ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIfExists",
               "StringNotEqualsIfExists", "StringEqualsIgnoreCase"],
       "num": ["NumericLessThan", "NumericGreaterThanEquals", "NumericEqualsIfExists", "NumericNotEquals"],
       "bool": ["Bool", "BoolIfExists"],
       "multi": ["ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringNotEquals",
                 "ForAllValues:StringNotLike"]}


@st.composite
def conditions(draw):
    out = {}
    for key in draw(st.lists(st.sampled_from(sorted(KEYS)), min_size=0, max_size=2, unique=True)):
        kind, vals = KEYS[key]
        if draw(st.booleans()) and kind != "multi":
            out.setdefault("Null", {})[key] = draw(st.sampled_from(["true", "false"]))
            continue
        op = draw(st.sampled_from(OPS[kind]))
        out.setdefault(op, {})[key] = draw(st.lists(st.sampled_from(vals), min_size=1, max_size=2, unique=True))
    return out


@st.composite
def statements(draw):
    s = {"Effect": draw(st.sampled_from(["Allow", "Deny"])),
         "Action": draw(st.sampled_from(["*", "ec2:*", "s3:GetObject"])), "Resource": "*"}
    c = draw(conditions())
    if c:
        s["Condition"] = c
    return s


levels_st = st.lists(st.lists(st.lists(statements(), min_size=1, max_size=2), min_size=1, max_size=2),
                     min_size=1, max_size=3)

# concrete values that are not (all) among the partition's representatives: an independent check of exactness
UNIVERSE = {
    "aws:requestedregion": [None, "us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "US-EAST-1"],
    "aws:principaltag/team": [None, "red", "blue", "reef", "re", "Red", "green"],
    "aws:multifactorauthage": [None, "0", "59", "60", "61", "3599", "3600", "99999"],
    "aws:securetransport": [None, "true", "false"],
    "aws:tagkeys": [None, ["team"], ["env"], ["team", "env"], ["other"], ["team", "other"]],
}


def _answer(codes):
    """Deny is deny (issue 18): ``conditional`` only when some completion allows and some denies; denied in
    every completion, explicitly in some and implicitly in others, is an ``implicit_deny``."""
    if len(codes) == 1:
        return codes.pop()
    if codes <= {"explicit_deny", "implicit_deny"}:
        return "implicit_deny"
    return "conditional"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levels=levels_st, action=st.sampled_from(["ec2:RunInstances", "s3:GetObject", "iam:CreateUser"]))
def test_conditional_exactly_when_two_completions_differ(levels, action):
    docs = [[{"Version": "2012-10-17", "Statement": pol} for pol in lv] for lv in levels]
    d = evaluate(docs, action)
    # brute force over the partition: every combination of representatives, each asked with every key given
    from orgkit.scp.policy import compile_levels

    sts = [s for _, pols in compile_levels(docs) for p in pols for s in p.statements]
    keys = sorted({k for s in sts for k in s.referenced_keys})
    doms = domains(keys, sts, {})
    seen = set()
    for combo in itertools.product(*(doms[k] for k in keys)):
        ctx = {k: r.value for k, r in zip(keys, combo)}
        seen.add(evaluate(docs, action, context={k: (ABSENT if v is None else v) for k, v in ctx.items()}).decision)
    assert "conditional" not in seen
    assert d.decision == _answer(set(seen))
    if d.decision == "conditional":
        assert "allow" in seen and seen & {"explicit_deny", "implicit_deny"}
        assert d.allowed_when != "never"
    if d.decision == "implicit_deny" and len(seen) > 1:
        assert "explicitly" in d.reason and "implicitly" in d.reason
    # the matrix path agrees with evaluate (matrix codes and never_allowed)
    _matrix_agrees(docs, action, d)
    # every concrete completion from an independent universe gives one of those answers
    for combo in itertools.product(*(UNIVERSE[k] for k in keys)):
        ctx = {k: (ABSENT if v is None else v) for k, v in zip(keys, combo)}
        assert evaluate(docs, action, context=ctx).decision in seen, ctx


def test_matrix_with_policy_variables_agrees_with_decide():
    own = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnBuckets", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
         "NotResource": "arn:aws:s3:::${aws:PrincipalAccount}-*"}]}
    literal = {"Version": "2012-10-17", "Statement": [
        {"Sid": "KeepLogs", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::100000000001-logs"},
        {"Sid": "Tags", "Effect": "Deny", "Action": "s3:PutBucketPolicy", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalAccount}"}}}]}
    o = make_org(
        [("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-own"]),
         ("ou-a", "r-root", "ou", "A", ["p-FullAWSAccess", "p-literal"]),
         (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
         ("100000000001", "ou-a", "account", "one", ["p-FullAWSAccess"]),
         ("100000000002", "ou-a", "account", "two", ["p-FullAWSAccess"]),
         ("100000000003", "r-root", "account", "three", ["p-FullAWSAccess"])],
        {"p-FullAWSAccess": FULL, "p-own": own, "p-literal": literal})
    acts = ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:GetObject"]
    for res in (None, "arn:aws:s3:::100000000002-x", "arn:aws:s3:::100000000001-logs"):
        m = scp.matrix(o, actions=acts, resource=res)
        for aid in ("100000000001", "100000000002", "100000000003"):
            for a in acts:
                assert m.decision(aid, a) == scp.decide(o, aid, a, resource=res).decision, (res, aid, a)
    d = scp.decide(o, "100000000001", "s3:DeleteBucket")
    assert d.decision == "conditional" and "100000000001-" in d.allowed_when


def _matrix_agrees(docs, action, d):
    """The matrix (one account under the levels ``docs``) gives the same code as ``evaluate`` and marks the
    action never allowed exactly when no completion allows it."""
    rows = [("r-root", None, "root", "Root", [f"p-0-{j}" for j in range(len(docs[0]))])]
    pols = {f"p-0-{j}": doc for j, doc in enumerate(docs[0])}
    parent = "r-root"
    for i, lv in enumerate(docs[1:-1] if len(docs) > 1 else [], start=1):
        rows.append((f"ou-{i}", parent, "ou", f"OU{i}", [f"p-{i}-{j}" for j in range(len(lv))]))
        pols.update({f"p-{i}-{j}": doc for j, doc in enumerate(lv)})
        parent = f"ou-{i}"
    if len(docs) > 1:
        k = len(docs) - 1
        rows.append(("100000000001", parent, "account", "one", [f"p-{k}-{j}" for j in range(len(docs[k]))]))
        pols.update({f"p-{k}-{j}": doc for j, doc in enumerate(docs[k])})
    else:
        return  # a single level cannot hold both a root and an account
    rows.append((MGMT, "r-root", "account", "management", [rows[0][4][0]]))
    o = make_org(rows, pols)
    dec = scp.decide(o, "100000000001", action)
    assert dec.decision == d.decision, (dec.reason, d.reason)
    m = scp.matrix(o, actions=[action])
    assert m.decision("100000000001", action) == d.decision
    row = int(m.accounts.set_index("account_id").loc["100000000001", "row"])
    never = bool(m.never_allowed[row][m.catalog._index[action.lower()]])
    assert never == (not d.may_be_allowed)


def test_deny_is_deny_explicit_in_some_cases_implicit_in_others():
    """Issue 18 point 6: denied in every case, explicitly outside us-east-1 and implicitly in it (the second
    level allows only eu-west-1): ``implicit_deny``, the reason saying which cases deny explicitly."""
    docs = [[FULL, only_region("us-east-1")], [allow_if_region("eu-west-1")]]
    d = evaluate(docs, "ec2:RunInstances")
    assert d.decision == "implicit_deny" and not d.may_be_allowed
    assert {c["decision"] for c in d.cases} == {"explicit_deny", "implicit_deny"}
    assert 'implicitly (level1 allows nothing when aws:RequestedRegion is "us-east-1")' in d.reason
    assert 'explicitly by Sid "OnlyUs-east-1"' in d.reason or "explicitly by" in d.reason
    _matrix_agrees(docs + [[FULL]], "ec2:RunInstances", evaluate(docs + [[FULL]], "ec2:RunInstances"))
    # every case explicit stays explicit_deny; one allowing case makes it conditional
    assert evaluate([[FULL, only_region("us-east-1")], [FULL, only_region("eu-west-1")]], "ec2:RunInstances").decision == "explicit_deny"
    assert evaluate([[FULL, only_region("us-east-1")], [FULL]], "ec2:RunInstances").decision == "conditional"


# ------------------------------------------------------- issue 22: each kind of exact answer, compared word for word

def _pol(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def _st(effect, cond=None, sid=None, action="cloudtrail:StopLogging"):
    s = {"Effect": effect, "Action": action, "Resource": "*"}
    if cond:
        s["Condition"] = cond
    if sid:
        s["Sid"] = sid
    return s


_EU = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
_NOT_EU = {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
_ROW = dict(allowed_when=None, denied_when=None, depends_on=[], in_catalog=None, layer=None, policy_name=None,
            policy_id=None, sid=None, level=None, source=None)
_REGION_CASES = ["absent", '"eu-west-1"', "any other value"]


def _whole(levels):
    d = evaluate(levels, "cloudtrail:StopLogging")
    return d.as_row(), [(c["values"], c["decision"]) for c in d.cases], d.depends_on_keys


def _cases(decisions, key="aws:requestedregion", labels=_REGION_CASES):
    return [({key: lab}, dec) for lab, dec in zip(labels, decisions)]


def test_explicit_deny_for_every_value_by_one_statement_word_for_word():
    got = _whole([[FULL, _pol(_st("Deny", {"Null": {"aws:RequestedRegion": ["true", "false"]}}, "Always"))]])
    assert got == ({**_ROW, "decision": "explicit_deny", "level": "level0", "policy_id": "level0-policy1",
                    "sid": "Always", "source": "level0-policy1/Always",
                    "reason": 'denied for every value of aws:RequestedRegion (and when absent) by Sid "Always" of '
                              'policy level0-policy1 at level0'},
                   _cases(["explicit_deny"] * 2, labels=["absent", "any other value"]), ())


def test_explicit_deny_for_every_value_by_two_statements_word_for_word():
    got = _whole([[FULL, _pol(_st("Deny", _NOT_EU, "NotEu"), _st("Deny", _EU, "Eu"))]])
    assert got == ({**_ROW, "decision": "explicit_deny", "level": "level0", "policy_id": "level0-policy1",
                    "sid": "NotEu", "source": "level0-policy1/NotEu",
                    "reason": 'denied for every value of aws:RequestedRegion (and when absent): by Sid "NotEu" of '
                              'policy level0-policy1 at level0 when aws:RequestedRegion is not "eu-west-1" (or '
                              'absent); by Sid "Eu" of policy level0-policy1 at level0 when aws:RequestedRegion is '
                              '"eu-west-1"'},
                   _cases(["explicit_deny"] * 3), ())


def test_implicit_deny_at_one_level_and_at_two_word_for_word():
    assert _whole([[_pol(_st("Allow", action="s3:*"))], [FULL]]) == (
        {**_ROW, "decision": "implicit_deny", "level": "level0", "source": "level0",
         "reason": "no SCP attached to level0 allows it"}, [], ())
    got = _whole([[_pol(_st("Allow", _EU))], [_pol(_st("Allow", _NOT_EU))]])
    assert got == ({**_ROW, "decision": "implicit_deny", "level": "level0", "source": "level0",
                    "reason": 'no value lets every level allow it (aws:RequestedRegion): level0 allows nothing when '
                              'aws:RequestedRegion is not "eu-west-1" (or absent); level1 allows nothing when '
                              'aws:RequestedRegion is "eu-west-1"'},
                   _cases(["implicit_deny"] * 3), ())
    got = _whole([[_pol(_st("Allow", _EU))], [FULL]])
    assert got[0]["reason"] == 'allow when aws:RequestedRegion is "eu-west-1"; implicit_deny when aws:RequestedRegion ' \
                               'is not "eu-west-1" (or absent)'
    got = _whole([[_pol(_st("Allow", {"StringEquals": {"aws:RequestedRegion": "mars-1"},
                                       "StringNotEquals": {"aws:RequestedRegion": "mars-1"}}))], [FULL]])
    assert got == ({**_ROW, "decision": "implicit_deny", "level": "level0", "source": "level0",
                    "reason": "no SCP attached to level0 allows it for every value of aws:RequestedRegion (and when "
                              "absent)"},
                   _cases(["implicit_deny"] * 3, labels=["absent", '"mars-1"', "any other value"]), ())


def test_allowed_for_every_value_word_for_word():
    never = {"StringEquals": {"aws:RequestedRegion": "mars-1"}, "StringNotEquals": {"aws:RequestedRegion": "mars-1"}}
    got = _whole([[FULL, _pol(_st("Deny", never))]])
    assert got == ({**_ROW, "decision": "allow",
                    "reason": "allowed at every level for every value of aws:RequestedRegion (and when absent)"},
                   _cases(["allow"] * 3, labels=["absent", '"mars-1"', "any other value"]), ())


def test_a_conditional_answer_with_all_three_kinds_of_case_word_for_word():
    got = _whole([[_pol(_st("Allow", {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}))],
                   [FULL, _pol(_st("Deny", _EU, "NoEu"))]])
    assert got == ({**_ROW, "decision": "conditional", "level": "level1", "policy_id": "level1-policy1", "sid": "NoEu",
                    "source": "level0-policy0/#0, level1-policy1/NoEu",
                    "allowed_when": 'aws:RequestedRegion is "us-east-1"',
                    "denied_when": 'aws:RequestedRegion is not "us-east-1" (or absent)',
                    "depends_on": ['aws:RequestedRegion StringEquals ["eu-west-1", "us-east-1"]',
                                   'aws:RequestedRegion StringEquals ["eu-west-1"]'],
                    "reason": 'allow when aws:RequestedRegion is "us-east-1"; explicit_deny when aws:RequestedRegion '
                              'is "eu-west-1"; implicit_deny when aws:RequestedRegion is absent or any other value'},
                   _cases(["implicit_deny", "explicit_deny", "allow", "implicit_deny"],
                          labels=["absent", '"eu-west-1"', '"us-east-1"', "any other value"]),
                   ("aws:requestedregion",))


def test_a_role_exception_word_for_word():
    got = _whole([[FULL, _pol(_st("Deny", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Sec"}},
                                   "Protect"))]])
    assert got == ({**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1",
                    "sid": "Protect", "source": "level0-policy1/Protect",
                    "allowed_when": "aws:PrincipalArn is like arn:aws:iam::*:role/Sec",
                    "denied_when": "aws:PrincipalArn is absent or any other value",
                    "depends_on": ['aws:PrincipalArn ArnNotLike ["arn:aws:iam::*:role/Sec"]'],
                    "reason": "allow when aws:PrincipalArn is like arn:aws:iam::*:role/Sec; explicit_deny when "
                              "aws:PrincipalArn is absent or any other value"},
                   _cases(["explicit_deny", "allow", "explicit_deny"], key="aws:principalarn",
                          labels=["absent", "like arn:aws:iam::*:role/Sec", "any other value"]),
                   ("aws:principalarn",))


def test_every_value_denied_some_explicitly_word_for_word():
    levels = [[_pol(_st("Allow", _EU))], [FULL, _pol(_st("Deny", _EU, "NoEu"))]]
    got = _whole(levels)
    assert got == ({**_ROW, "decision": "implicit_deny", "level": "level0", "source": "level0",
                    "allowed_when": "never", "denied_when": "always",
                    "reason": 'denied for every value of aws:RequestedRegion: implicitly (level0 allows nothing when '
                              'aws:RequestedRegion is not "eu-west-1" (or absent)); explicitly by Sid "NoEu" of policy '
                              'level1-policy1 at level1 when aws:RequestedRegion is "eu-west-1"'},
                   _cases(["implicit_deny", "explicit_deny", "implicit_deny"]), ())
    assert evaluate(levels, "cloudtrail:StopLogging").explain() == "\n".join([
        "cloudtrail:StopLogging on any resource",
        "level0: level0-policy0",
        '  allow? by statement #0 of policy level0-policy0 if aws:RequestedRegion StringEquals ["eu-west-1"]',
        "level1: level1-policy0, level1-policy1",
        '  deny?  by Sid "NoEu" of policy level1-policy1 if aws:RequestedRegion StringEquals ["eu-west-1"]',
        "  ALLOW  by statement #0 of policy level1-policy0",
        "=> implicit_deny: " + got[0]["reason"]])


def test_too_many_combinations_keep_the_statement_by_statement_answer_word_for_word():
    tags = {f"aws:PrincipalTag/k{i}": "v" for i in range(15)}  # 2**15 combinations at least: past MAX_COMBINATIONS
    got = _whole([[FULL, _pol(_st("Deny", {"StringEquals": tags}, "Tags"))],
                   [_pol(_st("Allow", _EU, "Eu", action="*"))]])
    deps = [f'aws:PrincipalTag/k{i} StringEquals ["v"]' for i in sorted(range(15), key=str)]
    assert got == ({**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "Tags",
                    "source": "level0-policy1/Tags, level1-policy0/Eu",
                    "depends_on": deps + ['aws:RequestedRegion StringEquals ["eu-west-1"]'],
                    "reason": 'denied by Sid "Tags" of policy level0-policy1 at level0 if ' + " and ".join(deps)
                              + '; allowed at level1 only if Sid "Eu" of policy level1-policy0 (aws:RequestedRegion '
                                'StringEquals ["eu-west-1"])'},
                   [], tuple(sorted(k.lower() for k in tags)) + ("aws:requestedregion",))


def test_an_unknown_operator_is_a_yes_or_no_of_its_own_word_for_word():
    got = _whole([[FULL, _pol(_st("Deny", {"StringEqualz": {"aws:RequestedRegion": "x"}}, "Odd"))]])
    dim = "unknown operator StringEqualz in level0-policy1/Odd"
    assert got == ({**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "Odd",
                    "source": "level0-policy1/Odd", "allowed_when": f"{dim} does not hold",
                    "denied_when": f"{dim} holds",
                    "depends_on": ["unknown condition operator 'StringEqualz' on aws:RequestedRegion"],
                    "reason": f"allow when {dim} does not hold; explicit_deny when {dim} holds"},
                   [({dim: "holds"}, "explicit_deny"), ({dim: "does not hold"}, "allow")], (dim,))


def test_levels_evaluated_with_a_plain_context_and_a_persona_without_account():
    from orgkit.scp.engine import Level, evaluate_levels
    from orgkit.scp.policy import compile_levels

    lv = [Level(n, "level", n, p) for n, p in compile_levels([[FULL, _pol(_st("Deny", _NOT_EU))]])]
    d = evaluate_levels(lv, "cloudtrail:StopLogging", context={"aws:principalarn": "arn:aws:iam::1:role/x"})
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", 'aws:RequestedRegion is "eu-west-1"', 'aws:RequestedRegion is not "eu-west-1" (or absent)')
    assert [(c["values"], c["decision"]) for c in d.cases] == _cases(["explicit_deny", "allow", "explicit_deny"])
    with pytest.raises(ValueError) as e:
        evaluate([[FULL]], "s3:GetObject", principal="root")
    assert str(e.value) == "principal 'root' is a persona: give account_id too, or a full ARN"


def test_a_range_between_two_numeric_or_date_points_is_named_whole():
    """A bug found by issue 22's mutation run (a survivor in partition._ordered_reps): the values between two points
    fall in one class with the first point, and the class was named by its first piece only, so this was "allowed
    when aws:MultiFactorAuthAge is absent or = 10" although 15 and 20 are allowed too."""
    two = _pol(_st("Deny", {"NumericLessThan": {"aws:MultiFactorAuthAge": "10"}}, action="*"),
               _st("Deny", {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "20"}}, action="*"))
    d = evaluate([[FULL, two]], "s3:GetObject")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", "aws:MultiFactorAuthAge is absent or = 10 or between 10 and 20 or = 20",
        "aws:MultiFactorAuthAge is below 10 or above 20")
    assert [(c["values"]["aws:multifactorauthage"], c["decision"]) for c in d.cases] == [
        ("absent", "allow"), ("below 10", "explicit_deny"), ("= 10 or between 10 and 20 or = 20", "allow"),
        ("above 20", "explicit_deny")]
    for ctx, want in (({"aws:MultiFactorAuthAge": 15}, "allow"), ({"aws:MultiFactorAuthAge": 20}, "allow"),
                      ({"aws:MultiFactorAuthAge": 9}, "explicit_deny"), ({"aws:MultiFactorAuthAge": 21}, "explicit_deny")):
        assert evaluate([[FULL, two]], "s3:GetObject", context=ctx).decision == want
    window = _pol(_st("Deny", {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, action="*"),
                  _st("Deny", {"DateGreaterThan": {"aws:CurrentTime": "2026-03-01T00:00:00Z"}}, action="*"))
    d = evaluate([[FULL, window]], "s3:GetObject")
    assert d.allowed_when == ("aws:CurrentTime is absent or = 2026-01-01T00:00:00+00:00 or between "
                              "2026-01-01T00:00:00+00:00 and 2026-03-01T00:00:00+00:00 or = 2026-03-01T00:00:00+00:00")
    # apart: below and above one point behave alike (NumericNotEquals), and are named together
    d = evaluate([[FULL, _pol(_st("Deny", {"NumericNotEquals": {"aws:MultiFactorAuthAge": "5"}}, action="*"))]],
                 "s3:GetObject")
    assert (d.allowed_when, d.denied_when) == ("aws:MultiFactorAuthAge is = 5", "aws:MultiFactorAuthAge is not = 5 (or absent)")


# ------------------------------------------- orgkit.scp.compare, called directly (moved from tests/test_scp_compare.py)
# compare_cases: one action's allowed cases before and after, over one partition of the unknown keys (issue 18
# point 1); the change review of tests/test_diff.py calls it through a whole snapshot pair.

import numpy as np  # noqa: E402

from orgkit.scp.catalog import default_catalog  # noqa: E402
from orgkit.scp.compare import CaseChange, compare_cases, statement_masks  # noqa: E402
from orgkit.scp.engine import Level  # noqa: E402
from orgkit.scp.policy import compile_levels  # noqa: E402

_CMP_ACT = "cloudtrail:StopLogging"
_CMP_OTHER = "(any other value of aws:PrincipalArn: neither like arn:aws:iam::*:role/Sec nor like arn:aws:iam::*:role/Ops)"


def _cmp_levels(*lvls):
    return [Level(n, "level", n, p) for n, p in compile_levels(list(lvls))]


def _cmp_deny(actions, cond=None, key="Action"):
    st = {"Effect": "Deny", key: actions, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


_CMP_EXC = _cmp_deny(_CMP_ACT, {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Sec", "arn:aws:iam::*:role/Ops"]}})
_CMP_REGION = _cmp_deny(_CMP_ACT, {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}})
_CMP_CTX = merge_context({}, {})


def test_removing_a_deny_with_exceptions_gains_the_cases_it_denied():
    before, after = _cmp_levels([FULL, _CMP_EXC]), _cmp_levels([FULL])
    gained = f"aws:PrincipalArn is absent or any other value {_CMP_OTHER}"
    assert compare_cases(before, _CMP_CTX, after, _CMP_CTX, _CMP_ACT) == CaseChange(gained, "", 4)
    assert compare_cases(after, _CMP_CTX, before, _CMP_CTX, _CMP_ACT) == CaseChange("", gained, 4)
    assert compare_cases(after, _CMP_CTX, before, _CMP_CTX, _CMP_ACT).changed


def test_nothing_unknown_is_one_case_and_the_same_policies_change_nothing():
    assert compare_cases(_cmp_levels([FULL]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, _CMP_ACT) == CaseChange("", "", 1)
    same = compare_cases(_cmp_levels([FULL, _CMP_EXC]), _CMP_CTX, _cmp_levels([FULL, _CMP_EXC]), _CMP_CTX, _CMP_ACT)
    assert same == CaseChange("", "", 4) and not same.changed


def test_a_region_deny_replaced_by_a_role_exception_gains_and_loses():
    c = compare_cases(_cmp_levels([FULL, _CMP_REGION]), _CMP_CTX, _cmp_levels([FULL, _CMP_EXC]), _CMP_CTX, _CMP_ACT)
    assert c == CaseChange(
        'aws:PrincipalArn is like arn:aws:iam::*:role/Sec or like arn:aws:iam::*:role/Ops and aws:RequestedRegion is '
        'not "eu-west-1" (or absent)',
        f'aws:PrincipalArn is absent or any other value and aws:RequestedRegion is "eu-west-1" {_CMP_OTHER}', 12)


def test_the_resource_is_a_dimension_when_not_given():
    on = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket",
                                                   "Resource": "arn:aws:s3:::logs"}]}
    c = compare_cases(_cmp_levels([FULL, on]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, "s3:DeleteBucket")
    assert c == CaseChange("the resource is arn:aws:s3:::logs", "", 2)
    assert compare_cases(_cmp_levels([FULL, on]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, "s3:DeleteBucket",
                         resource="arn:aws:s3:::logs") == CaseChange("", "", 1)
    assert compare_cases(_cmp_levels([FULL, on]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, "s3:DeleteBucket", resource="*") == c


def test_a_variable_in_a_resource_pattern_is_compared_over_its_values_for_the_given_resource():
    """Seed-29 mutant ``compare_cases`` 40: with the request's resource given, the values of a key used as a
    variable in a Resource pattern that put the resource under it are tried too: adding a Deny on
    arn:aws:s3:::b/${aws:PrincipalTag/team}/* loses arn:aws:s3:::b/red/x exactly when the tag is "red"."""
    own = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}]}
    c = compare_cases(_cmp_levels([FULL]), _CMP_CTX, _cmp_levels([FULL, own]), _CMP_CTX, "s3:GetObject",
                      resource="arn:aws:s3:::b/red/x")
    assert c == CaseChange("", 'aws:principaltag/team is "red"', 3)   # absent, "red", any other value
    assert compare_cases(_cmp_levels([FULL, own]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, "s3:GetObject",
                         resource="arn:aws:s3:::b/red/x") == CaseChange('aws:principaltag/team is "red"', "", 3)


def test_too_many_combinations_are_not_compared():
    many = _cmp_deny(_CMP_ACT, {"StringEquals": {f"aws:PrincipalTag/k{i}": "v" for i in range(20)}})
    assert compare_cases(_cmp_levels([FULL, many]), _CMP_CTX, _cmp_levels([FULL]), _CMP_CTX, _CMP_ACT) is None


def test_statement_masks_per_statement_and_cached():
    cat = default_catalog()
    acts = list(cat.frame["action"])
    lv = _cmp_levels([FULL, _cmp_deny(["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]),
                 _cmp_deny(["cloudtrail:*"], key="NotAction")])
    cache: dict = {}
    full, two, notct = statement_masks(cat, lv, cache)
    assert full.all() and len(full) == len(acts)
    assert sorted(np.array(acts, dtype=object)[two]) == ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging"]
    assert not any(a.lower().startswith("cloudtrail:") for a in np.array(acts, dtype=object)[notct])
    assert notct.sum() == len(acts) - sum(a.lower().startswith("cloudtrail:") for a in acts)
    assert len(cache) == 3
    again = statement_masks(cat, lv, cache)
    assert all(x is y for x, y in zip(again, (full, two, notct)))


def test_a_number_or_date_that_does_not_parse_matches_nothing_and_its_cases_say_so():
    """issue 22: a policy value that is not a number (or a date) never matches (the Deny never applies): the cases
    are absent and one stand-in value, labelled as such."""
    for op, key, label in (("NumericLessThan", "aws:MultiFactorAuthAge", "0"),
                           ("DateLessThan", "aws:CurrentTime", "2000-01-01")):
        d = evaluate([[FULL, _pol(_st("Deny", {op: {key: "not-a-value"}}, action="*"))]], "s3:GetObject")
        assert (d.decision, d.reason) == ("allow", f"allowed at every level for every value of {key} (and when absent)")
        assert [(c["values"], c["decision"]) for c in d.cases] == [({key.lower(): "absent"}, "allow"),
                                                                   ({key.lower(): label}, "allow")]


def test_a_completed_context_keeps_every_other_key_absent():
    """issue 22: with ``missing="absent"``, the values tried for an UNKNOWN key are added to a context in which
    every other key stays absent (aws:PrincipalTag/team absent: StringNotEquals holds)."""
    from orgkit.scp.engine import RequestContext

    c = RequestContext({"a": 1}, True, {"b", "c"}).completed({"b": 2})
    assert (dict(c), c.missing_absent, c.unknown, "z" in c, c["z"], "c" in c) == (
        {"a": 1, "b": 2}, True, frozenset({"c"}), True, None, False)
    both = _pol(_st("Deny", {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "sec"}},
                    "D", action="*"))
    d = evaluate([[FULL, both]], "s3:GetObject", context={"aws:RequestedRegion": UNKNOWN}, missing="absent")
    assert (d.decision, d.reason, d.depends_on_keys) == (
        "conditional", 'allow when aws:RequestedRegion is "eu-west-1"; explicit_deny when aws:RequestedRegion is not '
                       '"eu-west-1" (or absent)', ("aws:requestedregion",))
    assert [(c["values"], c["decision"]) for c in d.cases] == _cases(["explicit_deny", "allow", "explicit_deny"])


def test_every_value_denied_by_two_statements_names_both_word_for_word():
    """issue 22 (seed-27 survivor engine._mixed_deny): every case denied, explicitly by two different statements in
    different cases and implicitly in the rest: the reason names each statement with its own cases."""
    us = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    both = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}
    d = evaluate([[_pol(_st("Allow", both))], [FULL, _pol(_st("Deny", _EU, "NoEu")), _pol(_st("Deny", us, "NoUs"))]],
                 "cloudtrail:StopLogging")
    assert (d.decision, d.reason) == (
        "implicit_deny",
        "denied for every value of aws:RequestedRegion: implicitly (level0 allows nothing when aws:RequestedRegion is "
        'absent or any other value); explicitly by Sid "NoEu" of policy level1-policy1 at level1 when '
        'aws:RequestedRegion is "eu-west-1"; by Sid "NoUs" of policy level1-policy2 at level1 when '
        'aws:RequestedRegion is "us-east-1"')


def test_a_value_like_two_patterns_at_once_is_a_case_word_for_word():
    """issue 22 (seed-27 survivor partition._string_reps): ``ab*`` filled with one character ("abx") is also
    ``???``: that value is allowed by level0 and denied by level1, so the denied cases include "like ab*"."""
    tag = "aws:PrincipalTag/t"
    d = evaluate([[_pol(_st("Allow", {"StringLike": {tag: "ab*"}}))],
                  [FULL, _pol(_st("Deny", {"StringLike": {tag: "???"}}, "Three"))]], "cloudtrail:StopLogging")
    assert (d.decision, d.reason) == (
        "conditional", "allow when aws:PrincipalTag/t is like ab*; explicit_deny when aws:PrincipalTag/t is like ab* "
        "or like ???; implicit_deny when aws:PrincipalTag/t is absent or any other value")
    assert d.cases == [{"values": {"aws:principaltag/t": v}, "decision": c} for v, c in [
        ("absent", "implicit_deny"), ("like ab*", "allow"), ("like ab*", "explicit_deny"), ("like ???", "explicit_deny"),
        ("any other value", "implicit_deny")]]


def test_a_whole_number_written_as_a_decimal_word_for_word():
    """issue 22 (seed-27 survivor partition._fmt_num): "3600.0" is the number 3600, shown as 3600."""
    d = evaluate([[FULL, _pol(_st("Deny", {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600.0"}}, "Old"))]],
                 "cloudtrail:StopLogging")
    assert (d.decision, d.reason) == (
        "conditional", "allow when aws:MultiFactorAuthAge is not above 3600 (or absent); explicit_deny when "
        "aws:MultiFactorAuthAge is above 3600")
    assert d.cases == [{"values": {"aws:multifactorauthage": v}, "decision": c} for v, c in [
        ("absent", "allow"), ("below 3600 or = 3600", "allow"), ("above 3600", "explicit_deny")]]
def test_matrix_keeps_an_account_id_that_a_policy_also_names_literally():
    """issue 22 (mutation survivor _canonical 21): the matrix replaces a value read only through a policy variable
    (``${aws:PrincipalAccount}``) by a token of its own only when no statement names that value literally. Here
    account 100000000001 may delete only its own ``<account>-logs`` bucket, and a second statement denies deleting
    ``100000000001-logs`` by name: that account can delete no bucket (explicit_deny), the other may delete its own
    (conditional). Replacing the id by a token would let the token's bucket through (conditional)."""
    own = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnLogs", "Effect": "Deny", "Action": "s3:DeleteBucket",
         "NotResource": "arn:aws:s3:::${aws:PrincipalAccount}-logs"},
        {"Sid": "KeepOne", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::100000000001-logs"}]}
    o = make_org(
        [("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-own"]),
         (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
         ("100000000001", "r-root", "account", "one", ["p-FullAWSAccess"]),
         ("100000000002", "r-root", "account", "two", ["p-FullAWSAccess"])],
        {"p-FullAWSAccess": FULL, "p-own": own})
    m = scp.matrix(o, actions=["s3:DeleteBucket"])
    got = {aid: (m.decision(aid, "s3:DeleteBucket"), scp.decide(o, aid, "s3:DeleteBucket").decision)
           for aid in ("100000000001", "100000000002")}
    assert got == {"100000000001": ("explicit_deny", "explicit_deny"), "100000000002": ("conditional", "conditional")}
