"""Edge cases found in review: reads that fail half-way are `unknown`, never `none`; retired fields; self-listing."""

from __future__ import annotations

from orgkit.coverage import duplicates, guardduty_coverage
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
