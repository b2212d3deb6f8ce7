"""The local AWS serves resource control policies as AWS documents them (docs/localaws.md, rows O1-O3).
Each test fails against plain moto 5.2 (which attaches RCPFullAWSAccess before the type is enabled, lets it be
detached, and attaches an RCP where the type is off).

Through boto3 over HTTP against the session's orgkit.localaws server, reset between tests.
"""

import json

import pytest
from botocore.exceptions import ClientError

from orgkit.localaws.testing import Accounts, error_code

RCP = "RESOURCE_CONTROL_POLICY"
DENY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}]})


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(7)
    return Accounts(server.endpoint_url)


def _targets(org, pid):
    return sorted(t["TargetId"] for t in org.list_targets_for_policy(PolicyId=pid)["Targets"])


def _full(org):
    return next(p for p in org.list_policies(Filter=RCP)["Policies"] if p["Name"] == "RCPFullAWSAccess")


def test_o1_rcp_full_access_is_attached_everywhere_exactly_while_rcps_are_enabled(aws):
    """'It is automatically attached to the organization root, every OU, and every account in your organization,
    when you enable resource control policies (RCPs).'"""
    a, b = aws.make_org(2)
    org = aws.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
    full = _full(org)
    assert full["AwsManaged"] is True
    assert _targets(org, full["Id"]) == []  # the type is off: attached nowhere
    org.enable_policy_type(RootId=root, PolicyType=RCP)
    assert any(t["Type"] == RCP and t["Status"] == "ENABLED" for t in org.list_roots()["Roots"][0]["PolicyTypes"])
    everyone = sorted([root, ou, a, b, aws.management])
    assert _targets(org, full["Id"]) == everyone
    c = aws.create_account("later")  # new accounts and OUs get it too while the type is on
    ou2 = org.create_organizational_unit(ParentId=root, Name="Dev")["OrganizationalUnit"]["Id"]
    assert {c, ou2} <= set(_targets(org, full["Id"]))


def test_o2_rcp_full_access_cannot_be_detached(aws):
    """'You cannot detach this policy.'"""
    aws.make_org(1)
    org = aws.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType=RCP)
    with pytest.raises(ClientError) as e:
        org.detach_policy(PolicyId=_full(org)["Id"], TargetId=root)
    assert error_code(e.value)[0] == "ConstraintViolationException"
    assert root in _targets(org, _full(org)["Id"])


def test_o3_an_rcp_is_attached_only_while_the_type_is_enabled(aws):
    """AttachPolicy: 'PolicyTypeNotEnabledException ... The specified policy type isn't currently enabled in this
    root.'; DisablePolicyType detaches the type's policies."""
    (a,) = aws.make_org(1)
    org = aws.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    pid = org.create_policy(Content=DENY, Description="", Name="DenyDelete", Type=RCP)["Policy"]["PolicySummary"]["Id"]
    with pytest.raises(ClientError) as e:
        org.attach_policy(PolicyId=pid, TargetId=a)
    assert error_code(e.value)[0] == "PolicyTypeNotEnabledException"
    org.enable_policy_type(RootId=root, PolicyType=RCP)
    org.attach_policy(PolicyId=pid, TargetId=a)
    assert _targets(org, pid) == [a]
    assert sorted(p["Id"] for p in org.list_policies_for_target(TargetId=a, Filter=RCP)["Policies"]) == sorted(
        [pid, _full(org)["Id"]])
    org.disable_policy_type(RootId=root, PolicyType=RCP)
    assert _targets(org, pid) == [] and _targets(org, _full(org)["Id"]) == []
