"""Level-by-level evaluation, from the AWS documentation's examples, given directly as levels (no Org)."""

import json

import pytest

from orgkit.scp import FULL_AWS_ACCESS, PolicyError, compile_policy, evaluate
from orgkit.scp.catalog import default_catalog
from orgkit.scp.engine import implied_context, is_service_linked, principal_kind

FULL = ("p-FullAWSAccess", FULL_AWS_ACCESS)

# "Prevent actions as the root user" with the common exception shape (AWS SCP examples)
DENY_ROOT = ("p-denyroot", {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
    }],
})

# "Deny all except an admin role" (ArnNotLike exception)
DENY_EXCEPT_ADMIN = ("p-protect", {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "ProtectCloudTrail", "Effect": "Deny",
        "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Role-Allowed"]}},
    }],
})

# "Deny access to AWS based on the requested AWS Region" (AWS SCP examples)
REGION = ("p-region", {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyAllOutsideEU", "Effect": "Deny",
        "NotAction": ["a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*",
                      "budgets:*", "ce:*", "chime:*", "cloudfront:*", "config:*", "cur:*", "directconnect:*",
                      "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "fms:*",
                      "globalaccelerator:*", "health:*", "iam:*", "importexport:*", "kms:*", "mobileanalytics:*",
                      "networkmanager:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*",
                      "route53-recovery-cluster:*", "route53-recovery-control-config:*",
                      "route53-recovery-readiness:*", "s3:GetAccountPublic*", "s3:ListAllMyBuckets",
                      "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*",
                      "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*"],
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
            "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/Role1AllowedToBypassThisSCP"]},
        },
    }],
})

# the allow-list strategy: FullAWSAccess replaced by a list at an OU
ALLOW_LIST = ("p-allowlist", {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AllowEc2S3", "Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}],
})

ROLE = "arn:aws:iam::123456789012:role/Dev"
ROOT = "arn:aws:iam::123456789012:root"


def test_full_access_at_every_level_allows():
    d = evaluate([[FULL], [FULL], [FULL]], "s3:GetObject")
    assert d.decision == "allow"
    assert d.source == "p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0"


def test_deny_root_user():
    lv = [[FULL, DENY_ROOT], [FULL]]
    d = evaluate(lv, "ec2:RunInstances", principal=ROOT)
    assert (d.decision, d.level, d.policy_id, d.sid) == ("explicit_deny", "level0", "p-denyroot", "DenyRootUser")
    assert evaluate(lv, "ec2:RunInstances", principal=ROLE).decision == "allow"
    # who asks is unknown: the answer depends on aws:PrincipalArn, and says so
    d = evaluate(lv, "ec2:RunInstances")
    assert d.decision == "conditional"
    assert d.depends_on_keys == ("aws:principalarn",)
    assert 'aws:PrincipalArn ArnLike ["arn:aws:iam::*:root"]' in d.depends_on


def test_arn_not_like_exception():
    lv = [[FULL, DENY_EXCEPT_ADMIN], [FULL]]
    allowed = "arn:aws:iam::123456789012:role/Role-Allowed"
    assert evaluate(lv, "cloudtrail:StopLogging", principal=allowed).decision == "allow"
    d = evaluate(lv, "cloudtrail:StopLogging", principal=ROLE)
    assert d.decision == "explicit_deny" and d.sid == "ProtectCloudTrail"
    assert evaluate(lv, "cloudtrail:DescribeTrails", principal=ROLE).decision == "allow"


@pytest.mark.parametrize("action,region,principal,expected", [
    ("ec2:RunInstances", "us-east-1", ROLE, "explicit_deny"),
    ("ec2:RunInstances", "eu-west-1", ROLE, "allow"),
    ("iam:CreateUser", "us-east-1", ROLE, "allow"),          # NotAction: global services are not denied
    ("IAM:createuser", "us-east-1", ROLE, "allow"),          # action names are case-insensitive
    ("s3:PutAccountPublicAccessBlock", "us-east-1", ROLE, "allow"),  # wildcard inside NotAction
    ("s3:GetObject", "us-east-1", ROLE, "explicit_deny"),
    ("ec2:RunInstances", "us-east-1", "arn:aws:iam::123456789012:role/Role1AllowedToBypassThisSCP", "allow"),
])
def test_region_deny_with_not_action(action, region, principal, expected):
    d = evaluate([[FULL, REGION], [FULL]], action, principal=principal, context={"aws:RequestedRegion": region})
    assert d.decision == expected


def test_region_deny_without_region_is_conditional_and_absent_applies_the_documented_rule():
    d = evaluate([[FULL, REGION]], "ec2:RunInstances", principal=ROLE)
    assert d.decision == "conditional" and "aws:requestedregion" in d.depends_on_keys
    # the caller says "no region in the request": StringNotEquals on an absent key is true -> denied
    d = evaluate([[FULL, REGION]], "ec2:RunInstances", principal=ROLE, missing="absent")
    assert d.decision == "explicit_deny"


def test_allow_list_strategy():
    lv = [("r-root", [FULL]), ("ou-sandbox", [ALLOW_LIST]), ("111111111111", [FULL])]
    assert evaluate(lv, "ec2:RunInstances").decision == "allow"
    d = evaluate(lv, "iam:CreateUser")
    assert (d.decision, d.level) == ("implicit_deny", "ou-sandbox")
    assert "no SCP attached to ou-sandbox allows it" in d.reason


def test_full_access_removed_at_one_level():
    d = evaluate([("r-root", [FULL]), ("ou-a", []), ("222222222222", [FULL])], "s3:GetObject")
    assert (d.decision, d.level, d.source) == ("implicit_deny", "ou-a", "ou-a")
    assert "allows nothing" in d.reason


def test_explicit_deny_wins_over_a_missing_allow_and_the_first_deny_is_named():
    deny_s3 = ("p-nos3", {"Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    d = evaluate([("r", [FULL]), ("ou", [deny_s3]), ("acct", [FULL, deny_s3])], "s3:GetObject")
    assert (d.decision, d.level, d.sid) == ("explicit_deny", "ou", "NoS3")


def test_exemptions():
    deny_all = ("p-denyall", {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    lv = [[deny_all]]
    assert evaluate(lv, "s3:GetObject", management=True).decision == "exempt"
    slr = "arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"
    assert evaluate(lv, "s3:GetObject", principal=slr).decision == "exempt"
    # an SSO role is NOT exempt, nor is a role whose name merely contains the path
    sso = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"
    assert evaluate(lv, "s3:GetObject", principal=sso).decision == "explicit_deny"
    assert evaluate(lv, "s3:GetObject", principal="arn:aws:iam::123456789012:role/aws-service-role").decision == "explicit_deny"
    assert evaluate(lv, "s3:GetObject", principal=ROOT).decision == "explicit_deny"


def test_allow_with_condition_and_unknown_operator_are_conditional():
    cond_allow = ("p-condallow", {"Statement": [{"Sid": "OnlyTagged", "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                                                 "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}}]})
    d = evaluate([[FULL], [cond_allow]], "ec2:RunInstances")
    assert d.decision == "conditional" and d.depends_on_keys == ("aws:resourcetag/env",)
    assert evaluate([[FULL], [cond_allow]], "ec2:RunInstances", context={"aws:ResourceTag/env": "dev"}).decision == "allow"
    assert evaluate([[FULL], [cond_allow]], "ec2:RunInstances", context={"aws:ResourceTag/env": "prd"}).decision == "implicit_deny"

    weird = ("p-weird", {"Statement": [{"Sid": "Typo", "Effect": "Deny", "Action": "*", "Resource": "*",
                                        "Condition": {"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}}]})
    d = evaluate([[FULL, weird]], "s3:GetObject", context={"aws:RequestedRegion": "us-east-1"})
    assert d.decision == "conditional"  # never silently "allow" because the operator is unknown
    assert any("unknown condition operator 'StringEqualz'" in x for x in d.depends_on)
    weird_allow = ("p-weird2", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                               "Condition": {"StringEqualz": {"aws:RequestedRegion": "x"}}}]})
    assert evaluate([[weird_allow]], "s3:GetObject").decision == "conditional"  # nor silently implicit_deny


def test_a_deny_that_depends_on_the_principal_next_to_a_sure_implicit_deny():
    # explicit_deny for the root user, implicit_deny for anyone else: denied whatever the principal, so a deny
    # (issue 18, deny is deny): implicit_deny, the reason saying which cases are denied explicitly
    d = evaluate([[FULL, DENY_ROOT], []], "s3:GetObject")
    assert d.decision == "implicit_deny"
    assert not d.may_be_allowed and d.allowed_when == "never" and d.denied_when == "always"
    assert "implicitly (level1 allows nothing when" in d.reason and "explicitly by" in d.reason
    assert {c["decision"] for c in d.cases} == {"explicit_deny", "implicit_deny"}


def test_resources_and_not_resources():
    deny_bucket = ("p-b", {"Statement": [{"Sid": "B", "Effect": "Deny", "Action": "s3:*",
                                          "Resource": ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"]}]})
    lv = [[FULL, deny_bucket]]
    assert evaluate(lv, "s3:GetObject", resource="arn:aws:s3:::secret/a.txt").decision == "explicit_deny"
    assert evaluate(lv, "s3:GetObject", resource="arn:aws:s3:::public/a.txt").decision == "allow"
    d = evaluate(lv, "s3:GetObject")
    assert d.decision == "conditional" and d.depends_on_keys == ("resource",)
    not_res = ("p-nr", {"Version": "2012-10-17", "Statement": [{"Sid": "OnlyLogs", "Effect": "Deny", "Action": "s3:PutObject",
                                       "NotResource": "arn:aws:s3:::${aws:PrincipalAccount}-logs/*"}]})
    lv = [[FULL, not_res]]
    acct_role = "arn:aws:iam::123456789012:role/Dev"
    assert evaluate(lv, "s3:PutObject", principal=acct_role, resource="arn:aws:s3:::123456789012-logs/x").decision == "allow"
    assert evaluate(lv, "s3:PutObject", principal=acct_role, resource="arn:aws:s3:::other/x").decision == "explicit_deny"


def test_catalog_flag_for_unknown_names():
    cat = default_catalog()
    assert evaluate([[FULL]], "s3:GetObject", catalog=cat).in_catalog is True
    d = evaluate([[FULL]], "s3:GetObjekt", catalog=cat)
    assert d.decision == "allow" and d.in_catalog is False  # kept and flagged, not dropped


def test_explain_names_every_level():
    text = evaluate([("r-1", [FULL]), ("ou-1", [ALLOW_LIST])], "iam:CreateUser").explain()
    assert "r-1" in text and "ou-1" in text and "=> implicit_deny" in text


@pytest.mark.parametrize("doc,fragment", [
    ("{not json", "not valid JSON"),
    ('[{"Effect": "Allow"}]', "one JSON object"),
    ('{"Version": "2012-10-17"}', "missing the Statement"),
    ('{"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}', 'Effect must be "Allow" or "Deny"'),
    ('{"Statement": [{"Effect": "Deny", "Resource": "*"}]}', "exactly one of Action or NotAction"),
    ('{"Statement": [{"Effect": "Deny", "Action": "*", "NotAction": "s3:*"}]}', "exactly one of Action or NotAction"),
    ('{"Statement": [{"Effect": "Deny", "Action": "*", "Principal": "*"}]}', "Principal is not supported"),
    ('{"Statement": [{"Effect": "Deny", "Action": "GetObject"}]}', "not of the form service:Action"),
    ('{"Statement": [{"Effect": "Deny", "Action": "*", "Condition": {"StringEquals": "x"}}]}', "must map condition keys"),
    ('{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"}]}', "both Resource and NotResource"),
])
def test_malformed_policies_raise_policy_error_naming_the_policy(doc, fragment):
    with pytest.raises(PolicyError) as e:
        compile_policy(doc, "p-broken")
    assert e.value.policy_id == "p-broken"
    assert fragment in str(e.value) and "p-broken" in str(e.value)


def test_levels_accept_text_dicts_pairs_and_compiled_policies():
    compiled = compile_policy(FULL_AWS_ACCESS, "p-c")
    lv = [[FULL_AWS_ACCESS], [json.loads(FULL_AWS_ACCESS)], [("p-x", FULL_AWS_ACCESS)], [compiled]]
    d = evaluate(lv, "s3:GetObject")
    assert d.decision == "allow" and "p-c/#0" in d.source and "p-x/#0" in d.source


def test_personas_need_an_account_when_levels_are_given_directly():
    lv = [[FULL, DENY_ROOT]]
    assert evaluate(lv, "s3:GetObject", principal="root", account_id="123456789012").decision == "explicit_deny"
    assert evaluate(lv, "s3:GetObject", principal="service-linked", account_id="123456789012").decision == "exempt"
    with pytest.raises(ValueError):
        evaluate(lv, "s3:GetObject", principal="root")


# --- found in review: JSON booleans in String conditions, policy versions, ARN wildcards crossing colons ---------
import orgkit.scp as scp  # noqa: E402

_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize("op,pval,ctx,expected", [
    ("StringEquals", True, "true", "explicit_deny"),       # JSON true is the string "true" (IAM grammar)
    ("StringEquals", True, True, "explicit_deny"),
    ("StringNotEquals", False, "false", "allow"),
    ("StringLike", False, "false", "explicit_deny"),
    ("StringEqualsIgnoreCase", True, "TRUE", "explicit_deny"),
])
def test_json_booleans_in_string_conditions(op, pval, ctx, expected):
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                    "Condition": {op: {"aws:SecureTransport": pval}}}]}
    d = scp.evaluate([[_FULL, deny]], "s3:GetObject", context={"aws:SecureTransport": ctx})
    assert d.decision == expected


@pytest.mark.parametrize("version,literal_res,account_res", [
    ("2012-10-17", "allow", "explicit_deny"),   # variables substituted
    ("2008-10-17", "explicit_deny", "allow"),   # ${...} is literal text
    (None, "explicit_deny", "allow"),
])
def test_policy_variables_only_in_version_2012(version, literal_res, account_res):
    deny = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::${aws:PrincipalAccount}"}]}
    if version:
        deny["Version"] = version
    principal = "arn:aws:iam::111122223333:role/Dev"
    literal = scp.evaluate([[_FULL, deny]], "s3:GetObject", resource="arn:aws:s3:::${aws:PrincipalAccount}",
                           principal=principal)
    real = scp.evaluate([[_FULL, deny]], "s3:GetObject", resource="arn:aws:s3:::111122223333",
                        principal=principal)
    assert (literal.decision, real.decision) == (literal_res, account_res)


def test_unknown_policy_version_is_an_error():
    bad = {"Version": "2008-10-17x", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    with pytest.raises(scp.PolicyError, match="Version"):
        scp.evaluate([[_FULL, bad]], "s3:GetObject")


def test_star_ending_an_arn_field_crosses_colons():
    from orgkit.scp.matching import arn_matches

    assert arn_matches("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1")
    assert not arn_matches("arn:aws:ec2:us-*:123456789012:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i")
    assert not arn_matches("arn:aws:iam::1?3:role/Admin", "arn:aws:iam::111122223333:role/Admin")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ec2:*",
                                                    "Resource": "arn:aws:ec2:*:instance/*"}]}
    d = scp.evaluate([[_FULL, deny]], "ec2:StopInstances",
                     resource="arn:aws:ec2:us-east-1:111122223333:instance/i-1")
    assert d.decision == "explicit_deny"


# ------------------------------------------------------------------------------- issue 22: survivors of mutation
@pytest.mark.parametrize("arn,kind,ptype", [
    ("arn:aws:iam::111122223333:root", "root", "Account"),
    ("arn:aws:iam::111122223333:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
     "service_linked_role", "AssumedRole"),
    ("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
     "sso_role", "AssumedRole"),
    ("arn:aws:iam::111122223333:role/team/Dev", "role", "AssumedRole"),
    ("arn:aws:iam::111122223333:user/alice", "user", "User"),
    ("arn:aws:iam::111122223333:group/admins", None, None),
    ("AIDAEXAMPLEUSERID", None, None),  # not an ARN
    ("", None, None),
])
def test_the_kind_of_principal_and_the_principal_type_the_organisation_implies(arn, kind, ptype):
    """docs/scp.md: ``aws:PrincipalType`` is ``Account`` for the root user, ``AssumedRole`` for roles, ``User`` for
    users; a principal of no known kind implies no type (unknown, never guessed)."""
    assert principal_kind(arn) == kind
    assert principal_kind(None) is None
    ctx = implied_context("111122223333", "o-abcdef1234", None, arn or None)
    assert ctx.get("aws:principaltype") == ptype
    assert ("aws:principaltype" in ctx) is (ptype is not None)
    assert is_service_linked(arn) is (kind == "service_linked_role")


def test_a_decision_row_and_its_explanation_word_for_word():
    """The row the frames and the CLI show and the level-by-level explanation, for the three kinds of answer."""
    d = evaluate([[FULL, DENY_ROOT], [ALLOW_LIST]], "ec2:RunInstances", principal=ROOT)
    assert d.as_row() == {
        "decision": "explicit_deny", "reason": 'denied by Sid "DenyRootUser" of policy p-denyroot at level0',
        "source": "p-denyroot/DenyRootUser", "level": "level0", "policy_id": "p-denyroot", "policy_name": None,
        "sid": "DenyRootUser", "depends_on": [], "allowed_when": None, "denied_when": None, "in_catalog": None,
        "layer": None}
    assert d.explain() == "\n".join([
        "ec2:RunInstances on any resource as arn:aws:iam::123456789012:root",
        "level0: p-FullAWSAccess, p-denyroot",
        '  DENY   by Sid "DenyRootUser" of policy p-denyroot',
        "  ALLOW  by statement #0 of policy p-FullAWSAccess",
        "level1: p-allowlist",
        '  ALLOW  by Sid "AllowEc2S3" of policy p-allowlist',
        '=> explicit_deny: denied by Sid "DenyRootUser" of policy p-denyroot at level0'])

    d = evaluate([[FULL], [ALLOW_LIST]], "iam:CreateUser", principal=ROLE)  # the allow-list lacks iam:
    assert d.as_row() == {
        "decision": "implicit_deny", "reason": "no SCP attached to level1 allows it", "source": "level1",
        "level": "level1", "policy_id": None, "policy_name": None, "sid": None, "depends_on": [],
        "allowed_when": None, "denied_when": None, "in_catalog": None, "layer": None}
    assert d.explain() == "\n".join([
        "iam:CreateUser on any resource as arn:aws:iam::123456789012:role/Dev",
        "level0: p-FullAWSAccess", "  ALLOW  by statement #0 of policy p-FullAWSAccess",
        "level1: p-allowlist", "  no statement here allows it",
        "=> implicit_deny: no SCP attached to level1 allows it"])

    d = evaluate([[FULL, DENY_ROOT], [FULL]], "ec2:RunInstances")  # who asks is not known
    allowed, denied = "aws:PrincipalArn is absent or any other value", "aws:PrincipalArn is like arn:aws:iam::*:root"
    assert d.as_row() == {
        "decision": "conditional", "reason": f"allow when {allowed}; explicit_deny when {denied}",
        "source": "p-denyroot/DenyRootUser", "level": "level0", "policy_id": "p-denyroot", "policy_name": None,
        "sid": "DenyRootUser", "depends_on": ['aws:PrincipalArn ArnLike ["arn:aws:iam::*:root"]'],
        "allowed_when": allowed, "denied_when": denied, "in_catalog": None, "layer": None}
    assert d.explain() == "\n".join([
        "ec2:RunInstances on any resource",
        "level0: p-FullAWSAccess, p-denyroot",
        '  deny?  by Sid "DenyRootUser" of policy p-denyroot if aws:PrincipalArn ArnLike ["arn:aws:iam::*:root"]',
        "  ALLOW  by statement #0 of policy p-FullAWSAccess",
        "level1: p-FullAWSAccess", "  ALLOW  by statement #0 of policy p-FullAWSAccess",
        f"=> conditional: allow when {allowed}; explicit_deny when {denied}",
        f"   allowed when {allowed}", f"   denied when {denied}"])


# ---------------------------------------- issue 22: the level-by-level explanation of an organisation, word for word

def _explain_org():
    from scp_org_fixture import make_org

    a = "cloudtrail:StopLogging"

    def pol(**st):
        return {"Version": "2012-10-17", "Statement": [{"Resource": "*", **st}]}

    return make_org(
        [("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
         ("ou-eng", "r-root", "ou", "Eng", ["p-FullAWSAccess", "p-Protect"]),
         ("ou-empty", "r-root", "ou", "Empty", []),
         ("000000000001", "r-root", "account", "management", ["p-FullAWSAccess"]),
         ("100000000001", "ou-eng", "account", "Dev", ["p-Region", "p-Deny"]),
         ("100000000002", "ou-empty", "account", "Lost", ["p-FullAWSAccess"]),
         ("100000000003", "r-root", "account", "Strict", ["p-Deny"])],
        {"p-FullAWSAccess": FULL_AWS_ACCESS,
         "p-Protect": pol(Sid="Protect", Effect="Deny", Action=a,
                          Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Sec"}}),
         "p-Region": pol(Sid="EuOnly", Effect="Allow", Action="*",
                         Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
         "p-Deny": pol(Sid="NoLeave", Effect="Deny", Action="organizations:LeaveOrganization")})


_ROOT = ['root Root (r-root): "FullAWSAccess" (p-FullAWSAccess)',
         '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)']
_ENG = 'ou Root/Eng (ou-eng): "FullAWSAccess" (p-FullAWSAccess), "Protect" (p-Protect)'
_DEV = 'account Root/Eng/Dev (100000000001): "Deny" (p-Deny), "Region" (p-Region)'
_EU_ONLY = '  allow? by Sid "EuOnly" of policy "Region" (p-Region) if aws:RequestedRegion StringEquals ["eu-west-1"]'
_FULL_ALLOWS = '  ALLOW  by statement #0 of policy "FullAWSAccess" (p-FullAWSAccess)'


def test_the_explanation_of_each_kind_of_level_word_for_word():
    from orgkit.scp.org import Evaluator

    ev = Evaluator(_explain_org())
    sec = "aws:PrincipalArn is like arn:aws:iam::*:role/Sec"
    d = ev.decide("100000000001", "cloudtrail:StopLogging")
    reason = (f'allow when {sec} and aws:RequestedRegion is "eu-west-1"; explicit_deny when aws:PrincipalArn is '
              f'absent or any other value; implicit_deny when {sec} and aws:RequestedRegion is not "eu-west-1" (or '
              'absent)')
    denied = (f'(aws:PrincipalArn is absent or any other value); or ({sec} and aws:RequestedRegion is not '
              '"eu-west-1" (or absent))')
    assert d.explain() == "\n".join([
        "cloudtrail:StopLogging on any resource", *_ROOT, _ENG,
        '  deny?  by Sid "Protect" of policy "Protect" (p-Protect) if aws:PrincipalArn ArnNotLike '
        '["arn:aws:iam::*:role/Sec"]', _FULL_ALLOWS, _DEV, _EU_ONLY,
        f"=> conditional: {reason} [decided by: SCP]",
        f'   allowed when {sec} and aws:RequestedRegion is "eu-west-1"',
        f"   denied when {denied}"])
    assert d.as_row() == {
        "decision": "conditional", "reason": reason, "source": "p-Protect/Protect, p-Region/EuOnly", "level": "ou-eng",
        "policy_id": "p-Protect", "policy_name": "Protect", "sid": "Protect",
        "depends_on": ['aws:PrincipalArn ArnNotLike ["arn:aws:iam::*:role/Sec"]',
                       'aws:RequestedRegion StringEquals ["eu-west-1"]'],
        "allowed_when": f'{sec} and aws:RequestedRegion is "eu-west-1"', "denied_when": denied, "in_catalog": True,
        "layer": "SCP"}
    d = ev.decide("100000000001", "organizations:LeaveOrganization")
    reason = ('denied for every value of aws:RequestedRegion (and when absent) by Sid "NoLeave" of policy "Deny" '
              '(p-Deny) at account Root/Eng/Dev (100000000001)')
    assert d.explain() == "\n".join([
        "organizations:LeaveOrganization on any resource", *_ROOT, _ENG, _FULL_ALLOWS, _DEV,
        '  DENY   by Sid "NoLeave" of policy "Deny" (p-Deny)', _EU_ONLY,
        f"=> explicit_deny: {reason} [decided by: SCP]"])
    assert (d.level, d.policy_id, d.policy_name, d.sid, d.source, d.level_path) == (
        "100000000001", "p-Deny", "Deny", "NoLeave", "p-Deny/NoLeave", "Root/Eng/Dev")
    d = ev.decide("100000000002", "cloudtrail:StopLogging", principal="role/Dev")
    assert d.explain() == "\n".join([
        "cloudtrail:StopLogging on any resource as arn:aws:iam::100000000002:role/Dev", *_ROOT,
        "ou Root/Empty (ou-empty): no SCP attached",
        "  nothing is allowed: a level with no SCP allows nothing",
        'account Root/Empty/Lost (100000000002): "FullAWSAccess" (p-FullAWSAccess)', _FULL_ALLOWS,
        "=> implicit_deny: ou Root/Empty (ou-empty) has no SCP attached, so it allows nothing [decided by: SCP]"])
    assert (d.level, d.source, d.level_path) == ("ou-empty", "ou-empty", "Root/Empty")
    d = ev.decide("100000000003", "s3:GetObject", resource="arn:aws:s3:::b/k")
    assert d.explain() == "\n".join([
        "s3:GetObject on arn:aws:s3:::b/k", *_ROOT,
        'account Root/Strict (100000000003): "Deny" (p-Deny)',
        "  no statement here allows it",
        "=> implicit_deny: no SCP attached to account Root/Strict (100000000003) allows it [decided by: SCP]"])
    d = ev.decide("100000000001", "s3:GetObject", context={"aws:RequestedRegion": "eu-west-1"})
    assert d.explain() == "\n".join([
        "s3:GetObject on any resource", *_ROOT, _ENG, _FULL_ALLOWS, _DEV,
        '  ALLOW  by Sid "EuOnly" of policy "Region" (p-Region)',
        "=> allow: allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-Region/EuOnly [decided by: SCP]"])


@pytest.mark.parametrize("doc,kind,message", [
    ('{"Version": "2012-10-17", "Id": "x", "Statement": ["s3:*"]}', "scp",
     "policy p-x, statement 0: a statement must be a JSON object"),
    ('{"Version": "2012-10-17", "Id": "x", "Foo": 1, "Statement": []}', "scp",
     "policy p-x: unexpected top-level element(s): Foo"),
    ('{"Version": "2012-10-17"}', "scp", "policy p-x: missing the Statement element"),
    ('{"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}, '
     '{"Sid": "B", "Effect": "allow", "Action": "*", "Resource": "*"}]}', "scp",
     'policy p-x, statement 1 (B): Effect must be "Allow" or "Deny", got "allow"'),
    ("[1]", "scp", "policy p-x: a policy must be one JSON object"),
    ('{"Version": "2012-10-17", "Statement": [{"Sid": "R", "Effect": "Deny", "Principal": {"AWS": '
     '"arn:aws:iam::1:root"}, "Action": "s3:*", "Resource": "*"}]}', "rcp",
     'policy p-x, statement 0 (R): the Principal of a resource control policy must be "*"'),
])
def test_policy_errors_word_for_word(doc, kind, message):
    """issue 22: the whole message, with the statement's index and Sid."""
    with pytest.raises(PolicyError) as e:
        compile_policy(doc, "p-x", kind=kind)
    assert str(e.value) == message


def test_an_id_is_a_known_top_level_element_and_an_rcp_may_name_every_principal():
    pol = compile_policy('{"Version": "2012-10-17", "Id": "x", "Statement": {"Effect": "Deny", "Action": "s3:*", '
                         '"Resource": "*"}}', "p-x")
    assert [(s.effect, s.actions) for s in pol.statements] == [("Deny", ("s3:*",))]
    rcp = compile_policy('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", '
                         '"Action": "s3:*", "Resource": "*"}]}', "p-r", kind="rcp")
    assert [(s.effect, s.actions) for s in rcp.statements] == [("Deny", ("s3:*",))]


def _deny_stop_logging(*conds):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*", "Condition": c} for c in conds]}


def _answer(doc):
    d = evaluate([[FULL_AWS_ACCESS, doc]], "cloudtrail:StopLogging")
    return d.decision, d.allowed_when, d.denied_when


def test_a_value_matching_two_like_patterns_at_once_is_found():
    """issue 22 (mutation survivor partition._fragments): allowed only for a value like both ``dev-*`` and
    ``*-admin``; the representatives fill one pattern's wildcard with the other's literal pieces."""
    doc = _deny_stop_logging({"StringNotLike": {"aws:PrincipalTag/team": "dev-*"}},
                             {"StringNotLike": {"aws:PrincipalTag/team": "*-admin"}})
    assert _answer(doc) == ("conditional", "aws:PrincipalTag/team is like dev-*",
                            "aws:PrincipalTag/team is absent or like dev-* or like *-admin or any other value")


def test_ignore_case_values_are_tried_in_every_case():
    """issue 22 (mutation survivor partition.element_reps): StringNotEqualsIgnoreCase "Security" next to a
    case-sensitive StringNotLike "s*": only a lower-case-initial spelling of security is allowed, and the words name
    every spelling tried that is ("security" or "sECURITY"), not one as if it were the only one. Alone, the
    ignore-case value is named once, "in any case"."""
    doc = _deny_stop_logging({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "Security"}},
                             {"StringNotLike": {"aws:PrincipalTag/team": "s*"}})
    assert _answer(doc) == ("conditional", 'aws:PrincipalTag/team is "security" or "sECURITY"',
                            'aws:PrincipalTag/team is not "security" or "sECURITY" (or absent)')
    doc = _deny_stop_logging({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "Security"}})
    assert _answer(doc) == ("conditional", 'aws:PrincipalTag/team is "Security" in any case',
                            'aws:PrincipalTag/team is not "Security" in any case (or absent)')
    # a value whose spellings are all one (no letter) keeps its plain name
    doc = _deny_stop_logging({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "42"}})
    assert _answer(doc) == ("conditional", 'aws:PrincipalTag/team is "42"',
                            'aws:PrincipalTag/team is not "42" (or absent)')


def test_a_long_description_is_cut_at_the_limit_with_an_ellipsis():
    """issue 22 (mutation survivor engine.describe_cases): 600 characters in all, the last one "…"."""
    vals = [f"team-{i:03d}" for i in range(60)]
    doc = _deny_stop_logging({"StringNotEquals": {"aws:PrincipalTag/team": vals}})
    full = "aws:PrincipalTag/team is " + " or ".join(f'"{v}"' for v in vals)
    decision, allowed, _ = _answer(doc)
    assert decision == "conditional" and len(full) > 600
    assert allowed == full[:599] + "…"


def test_a_value_needing_a_literal_star_to_match_two_like_patterns_is_found():
    """issue 22 (seed-26 survivor partition._fragments 22): ``${*}`` is a literal ``*`` in a StringLike value
    (Version 2012-10-17). Allowed only for a value like both ``ab*c`` and ``*b${*}c*`` (one holding ``b*c``): it is
    found by filling ``ab*c``'s wildcard with the other's literal piece ``b*c``, star included."""
    doc = _deny_stop_logging({"StringNotLike": {"aws:PrincipalTag/team": "ab*c"}},
                             {"StringNotLike": {"aws:PrincipalTag/team": "*b${*}c*"}})
    assert _answer(doc) == ("conditional", "aws:PrincipalTag/team is like ab*c",
                            "aws:PrincipalTag/team is absent or like ab*c or like *b${*}c* or any other value")


def test_a_binary_equals_condition_has_its_exact_answer():
    """issue 22 (seed-26 survivor partition.element_reps 179): a BinaryEquals value is one class, every other
    value (or none) the other."""
    doc = _deny_stop_logging({"BinaryEquals": {"aws:PrincipalTag/blob": "QmluYXJ5"}})
    assert _answer(doc) == ("conditional", "aws:PrincipalTag/blob is not QmluYXJ5 (or absent)",
                            "aws:PrincipalTag/blob is QmluYXJ5")


@pytest.mark.parametrize("value,word", [(False, "false"), (True, "true")])
def test_a_json_boolean_in_a_string_condition_is_its_word_in_the_exact_answer(value, word):
    """issue 22 (seed-26 survivor partition._str 2): JSON ``false`` in a String condition is the string "false"
    (IAM compares the text), so the exact answer names "false", not "true"."""
    doc = _deny_stop_logging({"StringEquals": {"aws:SecureTransport": value}})
    assert _answer(doc) == ("conditional", f'aws:SecureTransport is not "{word}" (or absent)',
                            f'aws:SecureTransport is "{word}"')


# --- issue 22, seed-26 broadening: compile_policy's whole answer (every field of every statement, or the whole error)

def _compiled(document, policy_id="p-x", name=None, kind="scp"):
    """Everything compile_policy says: the policy and every field of each statement (the condition included, which
    Statement equality leaves out), or the error's text and each of its parts."""
    try:
        p = compile_policy(document, policy_id, name, kind=kind)
    except PolicyError as e:
        return ("error", str(e), e.policy_id, e.message, e.statement, e.sid)
    return ("policy", p.policy_id, p.name, p.text,
            [(s.policy_id, s.index, s.sid, s.effect, s.actions, s.not_actions, s.resources, s.not_resources, s.condition)
             for s in p.statements])


_OK0 = {"Sid": "First", "Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize("bad,kind,message", [
    ({"Sid": "S", "Effect": "Deny", "NotPrincipal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}, "rcp",
     "NotPrincipal is not supported in resource control policies"),
    ({"Sid": "S", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"}, "rcp",
     'the Principal of a resource control policy must be "*"'),
    ({"Sid": "S", "Effect": "Deny", "Principal": "arn:aws:iam::111122223333:root", "Action": "s3:*"}, "rcp",
     'the Principal of a resource control policy must be "*"'),
    ({"Sid": "S", "Effect": "Deny", "Principal": {"aws": "*"}, "Action": "s3:*"}, "rcp",
     'the Principal of a resource control policy must be "*"'),
    ({"Sid": "S", "Effect": "Deny", "Principal": "*", "Action": "s3:*"}, "scp",
     "Principal is not supported in service control policies"),
    ({"Sid": "S", "Effect": "Deny", "NotPrincipal": "*", "Action": "s3:*"}, "scp",
     "NotPrincipal is not supported in service control policies"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Zed": 1, "Bar": 2}, "scp", "unexpected element(s): Bar, Zed"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "principal": "*"}, "rcp", "unexpected element(s): principal"),
    ({"Sid": "S", "Action": "s3:*"}, "scp", 'Effect must be "Allow" or "Deny", got null'),
    ({"Sid": "S", "Effect": "deny", "Action": "s3:*"}, "scp", 'Effect must be "Allow" or "Deny", got "deny"'),
    ({"Sid": "S", "Effect": "Deny", "Resource": "*"}, "scp", "a statement needs exactly one of Action or NotAction"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "NotAction": "s3:Get*"}, "scp",
     "a statement needs exactly one of Action or NotAction"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Resource": "*", "NotResource": "*"}, "scp",
     "a statement cannot have both Resource and NotResource"),
    ({"Sid": "S", "Effect": "Deny", "Action": []}, "scp", "Action must be a string or a non-empty list of strings, got []"),
    ({"Sid": "S", "Effect": "Deny", "NotAction": 5}, "scp", "NotAction must be a string or a non-empty list of strings, got 5"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Resource": ["a", 1]}, "scp",
     'Resource must be a string or a non-empty list of strings, got ["a", 1]'),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "NotResource": {}}, "scp",
     "NotResource must be a string or a non-empty list of strings, got {}"),
    # a long value is cut to its first 80 characters (seed-28 survivor policy._str_list 14)
    ({"Sid": "S", "Effect": "Deny", "Action": ["s3:GetObject", 1, "x" * 100]}, "scp",
     'Action must be a string or a non-empty list of strings, got ["s3:GetObject", 1, "' + "x" * 59),
    ({"Sid": "S", "Effect": "Deny", "Action": ["s3:*", "GetObject"]}, "scp",
     "action 'GetObject' is not of the form service:Action"),
    ({"Sid": "S", "Effect": "Deny", "NotAction": ["s3:*", "Get"]}, "scp", "action 'Get' is not of the form service:Action"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": ["x"]}, "scp",
     "Condition must be an object of operator -> {key: values}"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": {"StringEquals": {}}}, "scp",
     "Condition operator StringEquals must map condition keys to values"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": {"Bool": "true"}}, "scp",
     "Condition operator Bool must map condition keys to values"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": {"StringEquals": {"aws:username": []}}}, "scp",
     "condition values for StringEquals aws:username must be strings, numbers or booleans"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": {"StringLike": {"k": ["a", {"b": 1}]}}}, "scp",
     "condition values for StringLike k must be strings, numbers or booleans"),
    ({"Sid": "S", "Effect": "Deny", "Action": "s3:*", "Condition": {"Null": {"k": None}}}, "scp",
     "condition values for Null k must be strings, numbers or booleans"),
])
def test_a_statement_error_is_given_whole_with_its_index_and_sid(bad, kind, message):
    """issue 22 (seed-26 survivor compile_policy 192, and broadening): each statement error, the second statement
    named by its index and Sid, word for word and in each of the error's parts."""
    ok = {**_OK0, "Principal": "*"} if kind == "rcp" else _OK0
    doc = json.dumps({"Version": "2012-10-17", "Statement": [ok, bad]})
    assert _compiled(doc, kind=kind) == ("error", f"policy p-x, statement 1 (S): {message}", "p-x", message, 1, "S")


@pytest.mark.parametrize("doc,message,index", [
    ('{"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "*"}, "s3:*"]}', "a statement must be a JSON object", 1),
    ('{"Statement": [{"Effect": "Deny", "Action": "*"}, {"Sid": 5, "Effect": "Deny", "Action": "*"}]}',
     "Sid must be a string", 1),
    ('{"Statement": {"Sid": ["x"], "Effect": "Deny", "Action": "*"}}', "Sid must be a string", 0),
    ("{bad", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2", None),
    ('{"Statement": [\n  {"Effect": "Deny",}\n]}', "not valid JSON: Expecting property name enclosed in double quotes "
     "at line 2 column 21", None),
    ("[1]", "a policy must be one JSON object", None),
    ('"x"', "a policy must be one JSON object", None),
    ('{"Version": "2012-10-17", "Zed": 1, "Id": "i", "Bar": [], "Statement": []}',
     "unexpected top-level element(s): Bar, Zed", None),
    ('{"version": "2012-10-17", "Statement": []}', "unexpected top-level element(s): version", None),
    ('{"Version": "2012-10-17", "statement": []}', "unexpected top-level element(s): statement", None),
    ('{"Version": "2012-10-17", "Id": "only"}', "missing the Statement element", None),
    ('{"Version": "2012-10-18", "Statement": []}', "Version must be one of 2012-10-17, 2008-10-17, not '2012-10-18'",
     None),
    ('{"Version": 2012, "Statement": []}', "Version must be one of 2012-10-17, 2008-10-17, not 2012", None),
    ('{"Version": "2012-10-17", "Statement": []}', "Statement must be an object or a non-empty list of objects", None),
    ('{"Version": "2008-10-17", "Statement": []}', "Statement must be an object or a non-empty list of objects", None),
    ('{"Version": "2012-10-17", "Statement": "s3:*"}', "Statement must be an object or a non-empty list of objects",
     None),
    # without Version 2012-10-17 too: a number or null was iterated (a TypeError, not a PolicyError), a string read
    # character by character
    ('{"Statement": 5}', "Statement must be an object or a non-empty list of objects", None),
    ('{"Statement": null}', "Statement must be an object or a non-empty list of objects", None),
    ('{"Statement": "s3:*"}', "Statement must be an object or a non-empty list of objects", None),
])
def test_a_policy_error_is_given_whole(doc, message, index):
    """issue 22 (seed-26 survivor compile_policy 100, and broadening): each error of the document or of a statement
    without Sid, word for word."""
    where = "policy p-x" + (f", statement {index}" if index is not None else "")
    assert _compiled(doc) == ("error", f"{where}: {message}", "p-x", message, index, None)


def test_an_unnamed_policy_is_named_by_the_hash_of_its_text():
    """issue 22 (seed-26 survivor compile_policy 17): with no id, a policy is "doc-" and the first 10 hex digits of
    the SHA-256 of its text; a dict's text is its JSON with the keys sorted, so the same dict in any key order has
    one id; bytes are read as UTF-8; an error before the text is read names no policy."""
    import hashlib

    d1 = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::é"}}
    d2 = {"Statement": {"Resource": "arn:aws:s3:::é", "Action": "s3:*", "Effect": "Deny"}, "Version": "2012-10-17"}
    text = json.dumps(d1, sort_keys=True)
    pid = "doc-" + hashlib.sha256(text.encode()).hexdigest()[:10]
    st = [(pid, 0, None, "Deny", ("s3:*",), None, ("arn:aws:s3:::é",), None, None)]
    assert _compiled(d1, None, "N") == _compiled(d2, None, "N") == ("policy", pid, "N", text, st)
    raw = json.dumps(d2, ensure_ascii=False)
    rid = "doc-" + hashlib.sha256(raw.encode()).hexdigest()[:10]
    st = [(rid, 0, None, "Deny", ("s3:*",), None, ("arn:aws:s3:::é",), None, None)]
    assert _compiled(raw.encode("utf-8"), None) == _compiled(bytearray(raw.encode("utf-8")), None) == (
        "policy", rid, None, raw, st)
    assert _compiled(raw, None) == ("policy", rid, None, raw, st)
    assert _compiled("{bad", None) == ("error", "policy <unnamed>: not valid JSON: Expecting property name enclosed in "
                                       "double quotes at line 1 column 2", None, "not valid JSON: Expecting property "
                                       "name enclosed in double quotes at line 1 column 2", None, None)
    bid = "doc-" + hashlib.sha256(b"[1]").hexdigest()[:10]
    assert _compiled("[1]", None) == ("error", f"policy {bid}: a policy must be one JSON object", bid,
                                      "a policy must be one JSON object", None, None)


_VARS = "arn:aws:s3:::${aws:PrincipalAccount}-logs/*"


@pytest.mark.parametrize("version", ["2012-10-17", "2008-10-17", None])
def test_a_compiled_policy_is_given_whole(version):
    """issue 22 (broadening compile_policy): every field of every statement: Sid or none, Allow and Deny, Action or
    NotAction (a string or a list), Resource, NotResource or none (every resource), the condition as written (an
    empty one is none); with Version 2012-10-17 only, ``${...}`` is a policy variable (else escaped as literal text,
    in resources and condition values)."""
    sts = [
        {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:Get*", "s3:List*"], "NotResource": [_VARS, "arn:aws:s3:::b"],
         "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": ["${aws:username}", 3]}, "Bool": {"k": True}}},
        {"Sid": "", "Effect": "Deny", "Action": ["ec2:RunInstances"], "Condition": {}},
        {"Sid": "R", "Effect": "Deny", "Action": "s3:PutObject", "Resource": _VARS},
    ]
    doc = {"Statement": sts, "Id": "policy-id"}
    if version:
        doc["Version"] = version
    text = json.dumps(doc, indent=1)
    lit = (lambda s: s) if version == "2012-10-17" else (lambda s: s.replace("${", "${$}{"))
    assert _compiled(text, "p-w", "Whole") == ("policy", "p-w", "Whole", text, [
        ("p-w", 0, "A", "Allow", ("*",), None, ("*",), None, None),
        ("p-w", 1, None, "Deny", None, ("iam:Get*", "s3:List*"), None, (lit(_VARS), "arn:aws:s3:::b"),
         {"StringNotEquals": {"aws:PrincipalTag/team": [lit("${aws:username}"), 3]}, "Bool": {"k": True}}),
        ("p-w", 2, "", "Deny", ("ec2:RunInstances",), None, ("*",), None, None),
        ("p-w", 3, "R", "Deny", ("s3:PutObject",), None, (lit(_VARS),), None, None)])


def test_a_resource_control_policy_is_compiled_without_its_principal():
    """issue 22 (broadening compile_policy): an RCP's ``"Principal": "*"`` or ``{"AWS": "*"}`` is dropped (every
    principal); the same statements are refused in an SCP."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "P", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "NotAction": "sts:*", "NotResource": "arn:aws:s3:::b"}]}
    assert _compiled(doc, "p-r", kind="rcp") == ("policy", "p-r", None, json.dumps(doc, sort_keys=True), [
        ("p-r", 0, "P", "Deny", ("s3:*",), None, ("*",), None, None),
        ("p-r", 1, None, "Deny", None, ("sts:*",), None, ("arn:aws:s3:::b",), None)])
    assert _compiled(doc, "p-r") == ("error", "policy p-r, statement 0 (P): Principal is not supported in service "
                                     "control policies", "p-r", "Principal is not supported in service control "
                                     "policies", 0, "P")


# --- issue 22, seed-26 broadening: partition.element_reps, the values tried for one key of each kind, and their words

_K = "aws:PrincipalTag/k"
_D1, _D2 = "2024-01-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00"
_V6 = "2001:db8:: to 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
_IP_OUT = ("0.0.0.0 to 9.255.255.255 or 11.0.0.0 to 255.255.255.255 or :: to 2001:db7:ffff:ffff:ffff:ffff:ffff:ffff "
           "or 2001:db9:: to ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")


@pytest.mark.parametrize("conds,decision,allowed,denied,cases", [
    # numbers: a value that does not parse is skipped (the next one still read); below, =, between, above the points
    ([{"NumericLessThan": {_K: ["x", "10"]}}, {"NumericGreaterThanEquals": {_K: 20.5}}], "conditional",
     "absent or = 10 or between 10 and 20.5", "below 10 or = 20.5 or above 20.5",
     [("absent", "allow"), ("below 10", "explicit_deny"), ("= 10 or between 10 and 20.5", "allow"),
      ("= 20.5 or above 20.5", "explicit_deny")]),
    ([{"NumericEquals": {_K: "abc"}}], "allow", None, None, [("absent", "allow"), ("0", "allow")]),
    ([{"DateLessThan": {_K: ["notadate", "2024-01-01T00:00:00Z"]}}, {"DateGreaterThan": {_K: "2024-03-01T00:00:00Z"}}],
     "conditional", f"absent or = {_D1} or between {_D1} and {_D2} or = {_D2}", f"below {_D1} or above {_D2}",
     [("absent", "allow"), (f"below {_D1}", "explicit_deny"), (f"= {_D1} or between {_D1} and {_D2} or = {_D2}", "allow"),
      (f"above {_D2}", "explicit_deny")]),
    ([{"DateLessThan": {_K: "notadate"}}], "allow", None, None, [("absent", "allow"), ("2000-01-01", "allow")]),
    ([{"Bool": {_K: "false"}}], "conditional", "not false (or absent)", "false",
     [("absent", "allow"), ("true", "allow"), ("false", "explicit_deny")]),
    # a range with host bits is read as its network (strict=False), a value that does not parse skipped; each class
    # of addresses named by every range it holds, not by its first address
    ([{"IpAddress": {_K: ["nonsense", "10.0.0.1/8"]}}, {"IpAddress": {_K: "2001:db8::/32"}}], "conditional",
     f"absent or {_IP_OUT}", f"10.0.0.0 to 10.255.255.255 or {_V6}",
     [("absent", "allow"), (_IP_OUT, "allow"), ("10.0.0.0 to 10.255.255.255", "explicit_deny"),
      (_V6, "explicit_deny")]),
    ([{"IpAddress": {_K: "192.0.2.7/32"}}], "conditional", "not 192.0.2.7 (or absent)", "192.0.2.7",
     [("absent", "allow"), ("0.0.0.0 to 192.0.2.6 or 192.0.2.8 to 255.255.255.255 or any IPv6 address", "allow"),
      ("192.0.2.7", "explicit_deny")]),
    ([{"BinaryEquals": {_K: ["QQ==", "Qg=="]}}], "conditional", "absent or any other value", "QQ== or Qg==",
     [("absent", "allow"), ("QQ==", "explicit_deny"), ("Qg==", "explicit_deny"), ("any other value", "allow")]),
    ([{"Null": {_K: "false"}}], "conditional", "absent", "any other value",
     [("absent", "allow"), ("any other value", "explicit_deny")]),
    # one key tested by every kind of operator: the values of each kind are all tried
    ([{"StringEquals": {_K: "a"}}, {"NumericLessThan": {_K: "5"}}, {"Bool": {_K: "true"}},
      {"DateGreaterThan": {_K: "2024-01-01"}}, {"IpAddress": {_K: "192.0.2.0/24"}}, {"BinaryEquals": {_K: "QQ=="}},
      {"StringLike": {_K: "x*"}}, {"ArnEquals": {_K: "arn:aws:iam::111122223333:role/A"}},
      {"StringEqualsIgnoreCase": {_K: "Ab"}}], "conditional", "absent or any other value",
     f'"a" or "Ab" in any case or like x* or "arn:aws:iam::111122223333:role/A" or below 5 or above {_D1} or true or '
     "192.0.2.0 to 192.0.2.255 or QQ==",
     [("absent", "allow"), ('"a"', "explicit_deny"), ('"Ab" in any case', "explicit_deny"), ("like x*", "explicit_deny"),
      ('"arn:aws:iam::111122223333:role/A"', "explicit_deny"), ("any other value", "allow"), ("below 5", "explicit_deny"),
      (f"above {_D1}", "explicit_deny"), ("true", "explicit_deny"), ("192.0.2.0 to 192.0.2.255", "explicit_deny"),
      ("QQ==", "explicit_deny")]),
])
def test_the_values_tried_for_each_kind_of_condition_compared_whole(conds, decision, allowed, denied, cases):
    """issue 22 (broadening partition.element_reps): every case of the exact answer (each value tried for the key,
    in order, and its decision) and the words, for each kind of operator and all of them on one key."""
    d = evaluate([[FULL_AWS_ACCESS, _deny_stop_logging(*conds)]], "cloudtrail:StopLogging")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        decision, allowed and f"{_K} is {allowed}", denied and f"{_K} is {denied}")
    assert [(list(c["values"]), c["values"][_K.lower()], c["decision"]) for c in d.cases] == [
        ([_K.lower()], label, dec) for label, dec in cases]


def test_the_values_tried_use_the_known_policy_variables():
    """issue 22 (broadening partition.element_reps): a policy variable whose value the request knows (the
    principal's account) is tried as that value, and named as written."""
    doc = _deny_stop_logging({"StringEquals": {_K: "${aws:PrincipalAccount}-x"}},
                             {"StringLike": {_K: "${aws:PrincipalAccount}-y*"}})
    d = evaluate([[FULL_AWS_ACCESS, doc]], "cloudtrail:StopLogging", principal="arn:aws:iam::111122223333:role/R")
    assert (d.decision, d.allowed_when, d.denied_when) == (
        "conditional", f"{_K} is absent or any other value",
        f'{_K} is "${{aws:PrincipalAccount}}-x" or like 111122223333-y*')
    assert [(c["values"], c["decision"]) for c in d.cases] == [
        ({_K.lower(): "absent"}, "allow"), ({_K.lower(): '"${aws:PrincipalAccount}-x"'}, "explicit_deny"),
        ({_K.lower(): "like 111122223333-y*"}, "explicit_deny"), ({_K.lower(): "any other value"}, "allow")]


def _deny_get(resource_key: str, pattern: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", resource_key: pattern}]}


@pytest.mark.parametrize("key,pattern,resource,allowed,denied", [
    # the value that puts the request's resource under the pattern is tried (it was not: a sure "allow")
    ("Resource", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "arn:aws:s3:::b/x/y",
     'is not "x" (or absent)', 'is "x"'),
    ("Resource", "arn:aws:s3:::b/team-${aws:PrincipalTag/team}-data/*", "arn:aws:s3:::b/team-red-data/k",
     'is not "red" (or absent)', 'is "red"'),
    # many values make it match (a wildcard before the variable): one is named as an example of them, and said so
    ("Resource", "arn:aws:s3:::b/*${aws:PrincipalTag/team}", "arn:aws:s3:::b/k/red",
     'is not one that makes the Resource pattern match the request (such as "") (or absent)',
     'is one that makes the Resource pattern match the request (such as "")'),
    ("NotResource", "arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "arn:aws:s3:::b/x/y",
     'is "x"', 'is not "x" (or absent)'),
])
def test_a_key_used_in_a_resource_pattern_is_tried_with_the_value_that_makes_it_match(key, pattern, resource,
                                                                                    allowed, denied):
    """A Deny whose Resource holds ``${aws:PrincipalTag/team}``: with the resource given and the tag not, the
    answer depends on the tag, and the words name the value that puts the resource under the pattern."""
    d = evaluate([[FULL_AWS_ACCESS, _deny_get(key, pattern)]], "s3:GetObject", resource=resource)
    k = "aws:PrincipalTag/team"  # as the policy spells the variable
    assert (d.decision, d.allowed_when, d.denied_when) == ("conditional", f"{k} {allowed}", f"{k} {denied}")


def test_the_value_named_decides_when_given():
    doc = _deny_get("Resource", "arn:aws:s3:::b/team-${aws:PrincipalTag/team}-data/*")
    for team, decision in (("red", "explicit_deny"), ("blue", "allow")):
        got = evaluate([[FULL_AWS_ACCESS, doc]], "s3:GetObject", resource="arn:aws:s3:::b/team-red-data/k",
                       context={"aws:PrincipalTag/team": team})
        assert got.decision == decision


def test_values_cut_out_of_the_resource_are_bounded_for_a_hostile_pattern():
    """A pattern of 400 wildcards around the variable and a 2,000-character resource: at most MAX_RESOURCE_CUTS
    values are tried, so the answer comes within a small budget (0.8 s measured; 4,000 values took 29 s)."""
    import time

    pattern = "arn:aws:s3:::" + "*a" * 200 + "${aws:PrincipalTag/team}" + "a*" * 200
    t = time.perf_counter()
    d = evaluate([[FULL_AWS_ACCESS, _deny_get("Resource", pattern)]], "s3:GetObject",
                 resource="arn:aws:s3:::" + "a" * 1500 + "/" + "a/" * 200)
    assert d.decision == "conditional" and time.perf_counter() - t < 10
def test_a_resource_variable_with_no_value_is_unknown_naming_the_key():
    """issue 22 (seed-27 survivor Statement.matches_resource): a Resource whose policy variable has no value in the
    context does not say "no match": it is unknown, naming the resource pattern and the key."""
    from orgkit.scp.matching import Unknown

    pol = compile_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}]})
    got = pol.statements[0].matches_resource("arn:aws:s3:::b/x/y", {})
    assert got == Unknown(frozenset({"resource arn:aws:s3:::b/${aws:PrincipalTag/team}/* "
                                     "(policy variable ${aws:principaltag/team})"}), frozenset({"aws:principaltag/team"}))
    assert pol.statements[0].applies_beyond_action("arn:aws:s3:::b/x/y", {}) == got
