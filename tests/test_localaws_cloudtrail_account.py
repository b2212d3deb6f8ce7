"""CloudTrail organization trails and ListTrails, Organizations delegated admins, Account regions, opt-in 403."""

import pytest
from botocore.exceptions import ClientError

from orgkit.localaws.account import DEFAULT_REGIONS, OPT_IN_REGIONS
from orgkit.localaws.testing import Accounts, error_code


@pytest.fixture
def aws(server):
    server.reset()
    server.seed(11)
    return Accounts(server.endpoint_url)


def bucket(aws, account_id, name, region="us-east-1"):
    s3 = aws.client("s3", account_id, region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def test_list_trails_spans_regions_with_home_region(aws):
    for region, multi in (("us-east-1", False), ("eu-west-1", False), ("us-west-2", True)):
        ct = aws.client("cloudtrail", region=region)
        ct.create_trail(Name=f"t-{region}", S3BucketName=bucket(aws, None, f"b-{region}", region),
                        IsMultiRegionTrail=multi)
    for called_in in ("us-east-1", "ap-south-1"):
        trails = aws.client("cloudtrail", region=called_in).list_trails()["Trails"]
        assert {(t["Name"], t["HomeRegion"]) for t in trails} == {
            ("t-us-east-1", "us-east-1"), ("t-eu-west-1", "eu-west-1"), ("t-us-west-2", "us-west-2")}
    # DescribeTrails stays per region: own trail + shadow of the multi-region one
    names = {t["Name"] for t in aws.client("cloudtrail", region="eu-west-1").describe_trails()["trailList"]}
    assert names == {"t-eu-west-1", "t-us-west-2"}
    only = aws.client("cloudtrail", region="eu-west-1").describe_trails(includeShadowTrails=False)["trailList"]
    assert [t["Name"] for t in only] == ["t-eu-west-1"]
    filtered = aws.client("cloudtrail").describe_trails(trailNameList=["t-us-east-1"])["trailList"]
    assert [t["Name"] for t in filtered] == ["t-us-east-1"]
    assert filtered[0]["HasCustomEventSelectors"] is False
    aws.client("cloudtrail").put_event_selectors(
        TrailName="t-us-east-1", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    again = aws.client("cloudtrail").describe_trails(trailNameList=["t-us-east-1"])["trailList"][0]
    assert again["HasCustomEventSelectors"] is True


def test_organization_trail_is_visible_in_member_accounts(aws):
    (member,) = aws.make_org(1, trusted=("cloudtrail.amazonaws.com",))
    ct = aws.client("cloudtrail")
    arn = ct.create_trail(Name="org-trail", S3BucketName=bucket(aws, None, "org-bucket"), IsMultiRegionTrail=True,
                          IsOrganizationTrail=True)["TrailARN"]
    ct.start_logging(Name=arn)
    assert f":{aws.management}:" in arn

    ct_m = aws.client("cloudtrail", member)
    listed = ct_m.list_trails()["Trails"]
    assert [(t["TrailARN"], t["HomeRegion"]) for t in listed] == [(arn, "us-east-1")]
    for region in ("us-east-1", "eu-west-1"):
        desc = aws.client("cloudtrail", member, region).describe_trails(includeShadowTrails=True)["trailList"]
        assert [(t["TrailARN"], t["IsOrganizationTrail"], t["HomeRegion"]) for t in desc] == [
            (arn, True, "us-east-1")]
    assert ct_m.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert ct_m.get_trail_status(Name=arn)["IsLogging"] is True
    with pytest.raises(ClientError) as e:  # by name, the member has no such trail
        ct_m.get_trail_status(Name="org-trail")
    assert error_code(e.value)[0] == "TrailNotFoundException"


def test_organization_trail_rules(aws):
    (member,) = aws.make_org(1)
    b = bucket(aws, None, "org-bucket")
    with pytest.raises(ClientError) as e:  # trusted access not enabled
        aws.client("cloudtrail").create_trail(Name="org", S3BucketName=b, IsOrganizationTrail=True)
    assert error_code(e.value)[0] == "CloudTrailAccessNotEnabledException"
    aws.client("organizations").enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    with pytest.raises(ClientError) as e:  # a member that is not a delegated admin
        aws.client("cloudtrail", member).create_trail(Name="org", S3BucketName=bucket(aws, member, "member-bucket"),
                                                      IsOrganizationTrail=True)
    assert error_code(e.value)[0] == "NotOrganizationMasterAccountException"
    with pytest.raises(ClientError) as e:  # outside any organization
        aws.client("cloudtrail", "210987654321").create_trail(
            Name="org", S3BucketName=bucket(aws, "210987654321", "outsider-bucket"), IsOrganizationTrail=True)
    assert error_code(e.value)[0] == "OrganizationsNotInUseException"
    aws.client("cloudtrail").create_trail(Name="org", S3BucketName=b, IsOrganizationTrail=True)
    with pytest.raises(ClientError) as e:
        aws.client("cloudtrail").create_trail(Name="org", S3BucketName=b)
    assert error_code(e.value)[0] == "TrailAlreadyExistsException"


def test_cloudtrail_delegated_administrator_registration(aws):
    (member,) = aws.make_org(1, trusted=("cloudtrail.amazonaws.com",))
    org = aws.client("organizations")
    with pytest.raises(ClientError) as e:
        org.register_delegated_administrator(AccountId=member, ServicePrincipal="nope.amazonaws.com")
    assert error_code(e.value)[0] == "InvalidInputException"
    assert org.list_delegated_administrators()["DelegatedAdministrators"] == []  # nothing half-registered
    org.register_delegated_administrator(AccountId=member, ServicePrincipal="cloudtrail.amazonaws.com")
    admins = org.list_delegated_administrators(ServicePrincipal="cloudtrail.amazonaws.com")["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [member]
    # the delegated admin's organization trail belongs to the management account
    arn = aws.client("cloudtrail", member).create_trail(Name="org2", S3BucketName=bucket(aws, None, "mgmt-b"),
                                                        IsOrganizationTrail=True)["TrailARN"]
    assert f":{aws.management}:trail/org2" in arn


def test_list_regions_and_opt_in(aws):
    acct = aws.client("account")
    regions = []
    kwargs = {"MaxResults": 7}
    while True:
        page = acct.list_regions(**kwargs)
        regions += page["Regions"]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    status = {r["RegionName"]: r["RegionOptStatus"] for r in regions}
    assert {r for r, s in status.items() if s == "ENABLED_BY_DEFAULT"} == DEFAULT_REGIONS
    assert {r for r, s in status.items() if s == "DISABLED"} == OPT_IN_REGIONS
    assert {"af-south-1", "ap-east-1", "me-south-1", "eu-south-1", "ap-southeast-3"} <= OPT_IN_REGIONS
    assert len(DEFAULT_REGIONS) == 17

    acct.enable_region(RegionName="af-south-1")
    assert acct.get_region_opt_status(RegionName="af-south-1")["RegionOptStatus"] == "ENABLED"
    enabled = acct.list_regions(RegionOptStatusContains=["ENABLED"])["Regions"]
    assert enabled == [{"RegionName": "af-south-1", "RegionOptStatus": "ENABLED"}]
    acct.disable_region(RegionName="af-south-1")
    assert acct.get_region_opt_status(RegionName="af-south-1")["RegionOptStatus"] == "DISABLED"
    with pytest.raises(ClientError) as e:
        acct.enable_region(RegionName="us-east-1")
    assert error_code(e.value) == ("ValidationException", 400)
    with pytest.raises(ClientError) as e:
        acct.get_region_opt_status(RegionName="xx-nowhere-1")
    assert error_code(e.value) == ("ValidationException", 400)


def test_regions_of_member_accounts_from_the_management_account(aws):
    a, b = aws.make_org(2)
    acct = aws.client("account")
    with pytest.raises(ClientError) as e:  # trusted access for account.amazonaws.com is required
        acct.list_regions(AccountId=a)
    assert error_code(e.value) == ("AccessDeniedException", 403)
    aws.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    acct.enable_region(AccountId=a, RegionName="eu-south-1")
    assert acct.get_region_opt_status(AccountId=a, RegionName="eu-south-1")["RegionOptStatus"] == "ENABLED"
    assert acct.get_region_opt_status(AccountId=b, RegionName="eu-south-1")["RegionOptStatus"] == "DISABLED"
    assert acct.get_region_opt_status(RegionName="eu-south-1")["RegionOptStatus"] == "DISABLED"  # management
    assert aws.client("account", a).get_region_opt_status(RegionName="eu-south-1")["RegionOptStatus"] == "ENABLED"
    with pytest.raises(ClientError) as e:  # the management account cannot name itself
        acct.list_regions(AccountId=aws.management)
    assert error_code(e.value) == ("ValidationException", 400)
    with pytest.raises(ClientError) as e:  # a member cannot read another member
        aws.client("account", a).list_regions(AccountId=b)
    assert error_code(e.value) == ("AccessDeniedException", 403)


def test_calls_in_a_disabled_opt_in_region_are_refused(aws):
    (member,) = aws.make_org(1, trusted=("account.amazonaws.com",))
    gd = aws.client("guardduty", member, "af-south-1")
    with pytest.raises(ClientError) as e:
        gd.list_detectors()
    assert error_code(e.value) == ("UnrecognizedClientException", 403)
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    with pytest.raises(ClientError) as e:  # a query-protocol service answers with its own code
        aws.client("sts", member, "af-south-1").get_caller_identity()
    assert error_code(e.value) == ("InvalidClientTokenId", 403)
    aws.client("guardduty", region="eu-west-1").list_detectors()  # default regions are always on
    aws.client("account").enable_region(AccountId=member, RegionName="af-south-1")
    assert gd.list_detectors()["DetectorIds"] == []
    with pytest.raises(ClientError):  # still off for the management account
        aws.client("guardduty", region="af-south-1").list_detectors()


def test_delivery_error_is_injected_per_trail_and_stateful(aws, server):
    """GetTrailStatus LatestDeliveryError: set on one trail (by ARN), seen by the owner and, for an organization
    trail, by members; LatestDeliveryTime stays at the last success while attempts go on; clearing it resumes."""
    import time

    from orgkit.localaws.server import LocalAWSError

    (member,) = aws.make_org(1, trusted=("cloudtrail.amazonaws.com",))
    ct = aws.client("cloudtrail")
    org_arn = ct.create_trail(Name="org-trail", S3BucketName=bucket(aws, None, "org-b"), IsMultiRegionTrail=True,
                              IsOrganizationTrail=True)["TrailARN"]
    other = ct.create_trail(Name="other", S3BucketName=bucket(aws, None, "other-b"))["TrailARN"]
    for arn in (org_arn, other):
        ct.start_logging(Name=arn)
    before = ct.get_trail_status(Name=org_arn)
    assert "LatestDeliveryError" not in before and before["LatestDeliveryTime"]

    status = server.set_delivery_error(org_arn, "AccessDenied")
    assert status["LatestDeliveryError"] == "AccessDenied"
    assert server.delivery_errors() == {org_arn: "AccessDenied"}
    first = ct.get_trail_status(Name=org_arn)
    time.sleep(1.1)
    for view in (ct.get_trail_status(Name=org_arn),                                    # the owner, home region
                 aws.client("cloudtrail", region="eu-west-1").get_trail_status(Name=org_arn),  # shadow, by ARN
                 aws.client("cloudtrail", member).get_trail_status(Name=org_arn)):     # a member, by ARN
        assert view["IsLogging"] is True and view["LatestDeliveryError"] == "AccessDenied"
        assert view["LatestDeliveryTime"] == first["LatestDeliveryTime"]             # no success since
        assert view["LatestDeliveryAttemptTime"] > first["LatestDeliveryAttemptTime"]  # attempts go on
    assert "LatestDeliveryError" not in ct.get_trail_status(Name=other)                # only that trail

    server.set_delivery_error(org_arn, None)  # bucket policy fixed: deliveries succeed again
    after = ct.get_trail_status(Name=org_arn)
    assert "LatestDeliveryError" not in after and after["LatestDeliveryTime"] > first["LatestDeliveryTime"]

    with pytest.raises(LocalAWSError, match="404"):
        server.set_delivery_error(org_arn.replace("org-trail", "nope"), "AccessDenied")
    server.set_delivery_error(org_arn, "NoSuchBucket")
    server.reset()  # AWS state: the failure goes with the trail
    assert server.delivery_errors() == {}


def test_trail_created_failing_has_no_delivery_time(aws, server):
    ct = aws.client("cloudtrail", region="eu-west-1")
    arn = ct.create_trail(Name="kms", S3BucketName=bucket(aws, None, "kms-b", "eu-west-1"))["TrailARN"]
    server.set_delivery_error(arn, "KMS.AccessDeniedException")
    ct.start_logging(Name=arn)
    st = ct.get_trail_status(Name=arn)
    assert st["LatestDeliveryError"] == "KMS.AccessDeniedException" and "LatestDeliveryTime" not in st
    assert st["StartLoggingTime"] and st["LatestDeliveryAttemptSucceeded"] == ""


def test_multi_region_trail_must_include_global_service_events(aws):
    ct = aws.client("cloudtrail")
    b = bucket(aws, None, "gse-b")
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name="multi", S3BucketName=b, IsMultiRegionTrail=True, IncludeGlobalServiceEvents=False)
    assert error_code(e.value) == ("InvalidParameterCombinationException", 400)
    assert "must include global service events" in e.value.response["Error"]["Message"]
    assert ct.list_trails()["Trails"] == []
    m = ct.create_trail(Name="multi", S3BucketName=b, IsMultiRegionTrail=True)
    assert m["IncludeGlobalServiceEvents"] is True  # AWS's default
    with pytest.raises(ClientError) as e:
        ct.update_trail(Name="multi", IncludeGlobalServiceEvents=False)
    assert error_code(e.value)[0] == "InvalidParameterCombinationException"
    s = ct.create_trail(Name="single", S3BucketName=b, IncludeGlobalServiceEvents=False)  # single-region: allowed
    assert s["IncludeGlobalServiceEvents"] is False and s["IsMultiRegionTrail"] is False
    with pytest.raises(ClientError) as e:
        ct.update_trail(Name="single", IsMultiRegionTrail=True, IncludeGlobalServiceEvents=False)
    assert error_code(e.value)[0] == "InvalidParameterCombinationException"
    # made multi-region without saying: global service events are turned on automatically
    up = ct.update_trail(Name="single", IsMultiRegionTrail=True)
    assert up["IsMultiRegionTrail"] is True and up["IncludeGlobalServiceEvents"] is True
    assert ct.describe_trails(trailNameList=["multi"])["trailList"][0]["IncludeGlobalServiceEvents"] is True
