"""Coverage review end to end: a scenario built in the local AWS, the real collector over HTTP, then the review."""

from __future__ import annotations

import pytest

from local_org import build_org, collect_local
from orgkit.coverage import cloudtrail_coverage, duplicates, guardduty_coverage, trail_inventory
from orgkit.localaws.scenario import build

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1", "eu-west-1", "eu-south-1"]
MGMT = [{"Field": "eventCategory", "Equals": ["Management"]}]
DATA = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]

SCENARIO = {
    "name": "coverage-e2e", "seed": 11, "regions": REGIONS,
    "service_access": ["account.amazonaws.com", "guardduty.amazonaws.com", "cloudtrail.amazonaws.com"],
    "enable_opt_in_regions": ["eu-south-1"],
    "ous": {"Security": {}, "Work": {}},
    "accounts": [
        {"key": "security", "name": "Security", "ou": "Security"},
        {"key": "rowo", "name": "ReadWrite Split", "ou": "Work"},
        {"key": "adv", "name": "Advanced Mgmt", "ou": "Work"},
        {"key": "data", "name": "Data Only", "ou": "Work"},
        {"key": "stopped", "name": "Stopped", "ou": "Work"},
        {"key": "readonly", "name": "Read Only", "ou": "Work"},
        {"key": "shadow", "name": "Shadow", "ou": "Work"},
        {"key": "norole", "name": "No Role", "ou": "Work", "role": False},
        {"key": "dark", "name": "Region Off", "ou": "Work", "disabled_regions": ["eu-south-1"]},
        {"key": "denied", "name": "Denied", "ou": "Work"},
    ],
    "trails": [
        # a single-region organization trail: every member is covered in us-east-1 only
        {"account": "management", "name": "org-trail", "home_region": "us-east-1", "organization": True,
         "multi_region": False},
        {"account": "rowo", "name": "reads", "event_selectors": [{"ReadWriteType": "ReadOnly",
                                                                  "IncludeManagementEvents": True}]},
        {"account": "rowo", "name": "writes", "event_selectors": [{"ReadWriteType": "WriteOnly",
                                                                   "IncludeManagementEvents": True}]},
        {"account": "adv", "name": "adv-mgmt", "advanced_event_selectors": [{"Name": "x", "FieldSelectors": MGMT}]},
        {"account": "data", "name": "data-only", "advanced_event_selectors": [
            {"Name": "Management events for everything (the Name lies)", "FieldSelectors": DATA}]},
        {"account": "stopped", "name": "stopped-trail", "stop_logging": True},
        {"account": "readonly", "name": "ro-trail", "event_selectors": [{"ReadWriteType": "ReadOnly",
                                                                         "IncludeManagementEvents": True}]},
        {"account": "shadow", "name": "home-eu", "home_region": "eu-west-1"},
    ],
    "guardduty": {
        "detectors": [{"account": "security", "regions": ["us-east-1", "eu-west-1"]},
                      {"account": "stopped", "regions": ["eu-west-1"], "enabled": False},
                      {"account": "readonly", "regions": ["eu-west-1"]}],
        "org_admin": {"account": "security", "regions": ["us-east-1"]},
        "org_members": [{"region": "us-east-1", "accounts": ["rowo", "adv", "norole"]}],
        "invitations": [{"admin": "security", "region": "eu-west-1", "members": ["data", "adv"],
                         "accept": ["data"]}],
    },
}


@pytest.fixture(scope="module")
def reviewed(local_aws, tmp_path_factory):
    ids = build_org(local_aws, SCENARIO)
    local_aws.set_options(strict_assume_role=True)
    denied = {"error_code": "AccessDeniedException", "http_status": 403, "account_id": ids["denied"]}
    try:
        org = collect_local(local_aws, tmp_path_factory.mktemp("cov") / "snap", REGIONS,
                            [dict(denied, region="eu-west-1", service="guardduty"), dict(denied, service="cloudtrail")])
    finally:
        local_aws.set_options(strict_assume_role=False)
    ct = cloudtrail_coverage(org).set_index(["account_id", "region"])
    gd = guardduty_coverage(org).set_index(["account_id", "region"])
    return org, ids, ct, gd


def status(frame, ids, key, region):
    return frame.loc[(ids[key], region), "status"]


def test_org_trail_seen_from_members_covers_them_in_its_region(reviewed):
    org, ids, ct, _ = reviewed
    for key in ("data", "stopped", "norole", "denied", "dark"):
        assert status(ct, ids, key, "us-east-1") == "covered", key
    org_arn = org.trails.set_index("name").loc["org-trail", "trail_arn"]
    assert org_arn.split(":")[4] == ids["management"]
    assert org_arn in ct.loc[(ids["norole"], "us-east-1"), "source"]  # covered though the member was unreadable


def test_member_statuses_outside_the_org_trail_region(reviewed):
    _, ids, ct, _ = reviewed
    assert status(ct, ids, "rowo", "eu-west-1") == "covered"       # read-only + write-only trails together
    assert status(ct, ids, "adv", "eu-west-1") == "covered"        # advanced selector with Management
    assert status(ct, ids, "data", "eu-west-1") == "none"          # data events only, whatever its Name says
    assert status(ct, ids, "stopped", "eu-west-1") == "not_logging"
    assert status(ct, ids, "readonly", "eu-west-1") == "partial"
    assert status(ct, ids, "shadow", "us-east-1") == "covered"     # multi-region trail homed in eu-west-1
    assert status(ct, ids, "norole", "eu-west-1") == "unknown"
    assert status(ct, ids, "denied", "eu-west-1") == "unknown"
    assert "AccessDenied" in ct.loc[(ids["denied"], "eu-west-1"), "reason"] + \
        str(ct.loc[(ids["denied"], "eu-west-1"), "source"])
    assert status(ct, ids, "dark", "eu-south-1") == "not_applicable"
    assert status(ct, ids, "security", "eu-west-1") == "none"


def test_shadow_trails_counted_once(reviewed):
    org, ids, *_ = reviewed
    inv = trail_inventory(org)
    assert inv.trail_arn.is_unique and len(inv) == len(SCENARIO["trails"])
    assert inv.set_index("name").loc["home-eu", "home_region"] == "eu-west-1"


def test_read_only_and_write_only_are_not_a_duplicate(reviewed):
    org, ids, *_ = reviewed
    d = duplicates(org, management_events_per_month=1_000_000, all_cells=True).set_index(["account_id", "region"])
    assert d.loc[(ids["rowo"], "eu-west-1"), "paid_copies"] == 0
    # in us-east-1 the single-region organization trail records both halves again: one paid copy of each
    us = d.loc[(ids["rowo"], "us-east-1")]
    assert us.paid_copies_read == 1 and us.paid_copies_write == 1 and us.est_monthly_usd > 0


def test_guardduty_statuses(reviewed):
    _, ids, _, gd = reviewed
    assert status(gd, ids, "security", "us-east-1") == "administrator"
    assert status(gd, ids, "rowo", "us-east-1") == "org_member"
    assert status(gd, ids, "norole", "us-east-1") == "org_member"   # seen through the delegated administrator
    assert status(gd, ids, "data", "eu-west-1") == "invited_member"
    assert status(gd, ids, "adv", "eu-west-1") == "pending"         # invited, never accepted
    assert status(gd, ids, "stopped", "eu-west-1") == "suspended"
    assert status(gd, ids, "readonly", "eu-west-1") == "standalone"
    assert status(gd, ids, "readonly", "us-east-1") == "none"
    assert status(gd, ids, "denied", "eu-west-1") == "unknown"
    assert status(gd, ids, "norole", "eu-west-1") == "unknown"
    assert status(gd, ids, "dark", "eu-south-1") == "not_applicable"
    assert gd.loc[(ids["rowo"], "us-east-1"), "administrator_id"] == ids["security"]


# -- delivery failures and global service events, through the collector ------------------------------------------
DELIVERY = {
    "name": "coverage-delivery-e2e", "seed": 12, "regions": ["us-east-1", "eu-west-1"],
    "service_access": ["account.amazonaws.com", "cloudtrail.amazonaws.com"],
    "ous": {"Work": {}},
    "accounts": [
        {"key": "failing", "name": "Failing", "ou": "Work"},
        {"key": "mixed", "name": "Mixed", "ou": "Work"},
        {"key": "nogse", "name": "No Global Events", "ou": "Work"},
    ],
    "trails": [
        # the bucket policy denies CloudTrail: it logs, nothing reaches the bucket
        {"account": "failing", "name": "denied", "home_region": "eu-west-1", "delivery_error": "AccessDenied"},
        {"account": "mixed", "name": "kms-broken", "home_region": "us-east-1",
         "delivery_error": "KMS.AccessDeniedException"},
        {"account": "mixed", "name": "fine", "home_region": "eu-west-1"},
        # single-region in us-east-1, where IAM/STS/CloudFront events are recorded, without them
        {"account": "nogse", "name": "east-only", "home_region": "us-east-1", "multi_region": False,
         "global_events": False},
    ],
}


@pytest.fixture(scope="module")
def delivery(local_aws, tmp_path_factory):
    local_aws.reset()
    local_aws.seed(DELIVERY["seed"])
    ids = build(local_aws.endpoint_url, DELIVERY)
    org = collect_local(local_aws, tmp_path_factory.mktemp("delivery") / "snap", DELIVERY["regions"])
    arns = org.trails.set_index("name")["trail_arn"]
    return org, ids, arns, cloudtrail_coverage(org).set_index(["account_id", "region"])


def test_trail_whose_deliveries_fail_is_not_delivering(delivery):
    org, ids, arns, ct = delivery
    for region in ("us-east-1", "eu-west-1"):
        r = ct.loc[(ids["failing"], region)]
        assert r["status"] == "not_delivering", r["reason"]
        assert r["source"] == arns["denied"] and r["delivery_errors"] == [arns["denied"]]
        assert "AccessDenied" in r["reason"] and "no log file delivered yet" in r["reason"]
    inv = trail_inventory(org).set_index("trail_arn")
    assert inv.loc[arns["denied"], "status"] == "delivery_error"
    assert inv.loc[arns["fine"], "status"] == "ok"


def test_one_failing_one_delivering_is_covered_with_the_failing_trail_named(delivery):
    _, ids, arns, ct = delivery
    for region in ("us-east-1", "eu-west-1"):
        r = ct.loc[(ids["mixed"], region)]
        assert r["status"] == "covered" and r["source"] == arns["fine"]
        assert arns["kms-broken"] in r["reason"] and "KMS.AccessDeniedException" in r["reason"]
        assert r["delivery_errors"] == [arns["kms-broken"]]


def test_single_region_trail_without_global_events_in_us_east_1_is_partial(delivery):
    _, ids, arns, ct = delivery
    r = ct.loc[(ids["nogse"], "us-east-1")]
    assert r["status"] == "partial" and r["source"] == arns["east-only"] and r["read_write"] == "All"
    assert "global service events" in r["reason"] and "IncludeGlobalServiceEvents false" in r["reason"]
    assert ct.loc[(ids["nogse"], "eu-west-1"), "status"] == "none"
