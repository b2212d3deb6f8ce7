"""Edge cases found in review: reads that fail half-way are `unknown`, never `none`; retired fields; self-listing."""

from __future__ import annotations

import pytest

from orgkit.coverage import cloudtrail_coverage, duplicates, guardduty_coverage
from orgkit.testing import SnapshotSpec

R = "us-east-1"


def test_listed_detector_whose_state_failed_is_unknown_not_none(tmp_path):
    sb = SnapshotSpec(regions=[R])
    a = sb.account("A")
    sb.docs[a]["GuardDuty"][R] = {"DetectorIds": ["dA"]}  # ListDetectors answered, GetDetector throttled
    sb.error(a, R, "guardduty", "GetDetector", "ThrottlingException")
    org = sb.load(tmp_path / "s")
    assert org.reads.set_index(["account_id", "region", "service"]).loc[(a, R, "guardduty"), "status"] == "error"
    row = guardduty_coverage(org).set_index("account_id").loc[a]
    assert row.status == "unknown" and "ThrottlingException" in f"{row.reason} {row.source}"


def test_org_wide_admin_list_failure_does_not_taint_the_management_account(tmp_path):
    sb = SnapshotSpec(regions=[R])
    sb.detector(sb.management, R, administrator={}, members=[])
    sb.error(None, R, "guardduty", "ListOrganizationAdminAccounts", "ThrottlingException")  # as the collector records
    org = sb.load(tmp_path / "s")
    assert guardduty_coverage(org).set_index("account_id").loc[sb.management, "status"] == "standalone"


def test_an_administrator_listing_itself_is_not_its_own_member(tmp_path):
    sb = SnapshotSpec(regions=[R])
    a = sb.account("Lonely")
    sb.detector(a, R, administrator={}, members=[sb.member(a, a)])
    org = sb.load(tmp_path / "s")
    assert guardduty_coverage(org).set_index("account_id").loc[a, "status"] == "standalone"


def test_account_state_is_read_where_status_was_retired(tmp_path):
    sb = SnapshotSpec(regions=[R])
    a = sb.account("Gone", status="ACTIVE")
    acct = next(x for x in sb.accounts if x["Id"] == a)
    del acct["Status"]
    acct["State"] = "CLOSED"
    org = sb.load(tmp_path / "s")
    assert org.accounts.set_index("account_id").loc[a, "status"] == "CLOSED"


def test_duplicates_say_when_a_trail_logging_state_was_not_read(tmp_path):
    sb = SnapshotSpec(regions=[R])
    a = sb.account("A")
    sb.trail(sb.management, "org", organization=True, status={})  # GetTrailStatus failed: logging unknown
    sb.docs[sb.management]["CloudTrail"]["Trails"][f"arn:aws:cloudtrail:{R}:{sb.management}:trail/org"]["Status"] = None
    sb.trail(a, "own")
    org = sb.load(tmp_path / "s")
    d = duplicates(org, all_cells=True).set_index("account_id").loc[a]
    assert d.paid_copies == 0 and "logging state were not read" in d.reason


_MGMT_ADV = {"Field": "eventCategory", "Equals": ["Management"]}


@pytest.mark.parametrize("selectors", [
    {"advanced_event_selectors": [{"Name": "n", "FieldSelectors": ["x"]}]},
    {"advanced_event_selectors": [{"Name": "n", "FieldSelectors": [{"Field": "readOnly", "Equals": [1]}, _MGMT_ADV]}]},
    {"advanced_event_selectors": [{"Name": "n", "FieldSelectors": [dict(_MGMT_ADV, Equals="Management")]}]},
    {"advanced_event_selectors": [{"Name": "n", "FieldSelectors": [_MGMT_ADV, {"Field": 7, "Equals": ["x"]}]}]},
    {"event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": ["x"],
                          "ExcludeManagementEventSources": []}]},
    {"event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                          "ExcludeManagementEventSources": "kms.amazonaws.com"}]},
])
def test_selectors_not_shaped_as_cloudtrail_returns_them_are_unknown_not_a_crash(tmp_path, selectors):
    """A snapshot is a file anyone can edit: event selectors that are not what CloudTrail returns (a field selector
    that is not an object, a value that is not a string, a string where a list belongs) make the cells the trail
    applies to unknown, saying why, instead of an internal error or a guess."""
    sb = SnapshotSpec(regions=["us-east-1"])
    a = sb.account("A")
    arn = sb.trail(sb.management, "t", organization=True, **selectors)
    ct = cloudtrail_coverage(sb.load(tmp_path / "s")).set_index(["account_id", "region"])
    for acct in (sb.management, a):
        assert (ct.loc[(acct, "us-east-1"), "status"], ct.loc[(acct, "us-east-1"), "reason"]) == (
            "unknown", f"cannot tell: {arn}: event selectors not as CloudTrail returns them: not evaluated")


@pytest.mark.parametrize("selectors", [
    ["x"], [{"Name": "n", "FieldSelectors": [{"Field": "eventCategory", "Equals": "Management"}]}]])
def test_a_store_whose_selectors_are_not_shaped_as_cloudtrail_returns_them_is_unknown(tmp_path, selectors):
    sb = SnapshotSpec(regions=["us-east-1"])
    a = sb.account("A")
    arn = sb.event_data_store("lake", advanced_event_selectors=selectors)
    ct = cloudtrail_coverage(sb.load(tmp_path / "s")).set_index(["account_id", "region"])
    assert (ct.loc[(a, "us-east-1"), "status"], ct.loc[(a, "us-east-1"), "reason"]) == (
        "unknown", f"cannot tell: {arn}: event selectors not as CloudTrail returns them: not evaluated")
