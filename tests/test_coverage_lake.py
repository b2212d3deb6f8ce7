"""CloudTrail Lake organization event data stores in coverage (issue 20, point 8): collected in the management
account, they cover member accounts with the same statuses and reasons as trails."""

from __future__ import annotations

import pytest

from local_org import collect_local
from orgkit.coverage import cloudtrail_coverage, trail_inventory
from orgkit.localaws.scenario import build

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
WRITE_ONLY = [{"Name": "writes", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                     {"Field": "readOnly", "Equals": ["false"]}]}]


def scenario(stores: list[dict]) -> dict:
    return {"name": "lake", "seed": 21, "regions": REGIONS,
            "service_access": ["account.amazonaws.com", "cloudtrail.amazonaws.com"],
            "ous": {"Work": {}},
            "accounts": [{"key": "a", "name": "A", "ou": "Work"}, {"key": "b", "name": "B", "ou": "Work"}],
            "trails": [], "event_data_stores": stores}


def review(local_aws, tmp_path, stores, faults=()):
    local_aws.reset()
    local_aws.set_options(strict_assume_role=False)
    sc = scenario(stores)
    local_aws.seed(sc["seed"])
    ids = build(local_aws.endpoint_url, sc)
    org = collect_local(local_aws, tmp_path / "snap", REGIONS, faults)
    return org, ids, cloudtrail_coverage(org).set_index(["account_id", "region"])


def test_an_organization_event_data_store_covers_every_member_in_every_region(local_aws, tmp_path):
    org, ids, ct = review(local_aws, tmp_path, [{"name": "org-lake", "organization": True}])
    assert len(org.event_data_stores) == 1
    arn = org.event_data_stores.iloc[0]["event_data_store_arn"]
    assert arn.split(":")[4] == ids["management"]
    assert set(ct["status"]) == {"covered"}
    cell = ct.loc[(ids["a"], "us-east-1")]
    assert arn in cell["source"] and "organization event data store" in cell["reason"]
    inv = trail_inventory(org).set_index("trail_arn")
    assert inv.loc[arn, "recorder"] == "event_data_store" and inv.loc[arn, "status"] == "ok"


def test_stopped_single_region_and_write_only_stores(local_aws, tmp_path):
    org, ids, ct = review(local_aws, tmp_path, [
        {"name": "stopped-lake", "organization": True, "ingesting": False},
        {"name": "eu-lake", "organization": True, "multi_region": False, "region": "eu-west-1",
         "advanced_event_selectors": WRITE_ONLY},
        {"name": "own-lake", "organization": False, "multi_region": False, "region": "eu-central-1"},
    ])
    a = ids["a"]
    assert ct.loc[(a, "us-east-1"), "status"] == "not_logging"
    assert "not ingesting (STOPPED_INGESTION)" in ct.loc[(a, "us-east-1"), "reason"]
    assert ct.loc[(a, "eu-west-1"), "status"] == "partial"  # write-only management events
    assert ct.loc[(a, "eu-central-1"), "status"] == "not_logging"  # the management's own store covers only itself
    assert ct.loc[(ids["management"], "eu-central-1"), "status"] == "covered"
    inv = trail_inventory(org).set_index("name")
    assert inv.loc["stopped-lake", "status"] == "not_logging"
    assert inv.loc["eu-lake", "kind"] == "organization event data store"


def test_unread_event_data_stores_leave_cells_unknown_not_none(local_aws, tmp_path):
    org, ids, ct = review(local_aws, tmp_path, [], faults=[dict(
        error_code="AccessDeniedException", http_status=400, service="cloudtrail", region="eu-west-1",
        operation="ListEventDataStores")])
    a = ids["a"]
    assert ct.loc[(a, "us-east-1"), "status"] == "unknown"
    assert "Lake event data stores were not read in eu-west-1" in ct.loc[(a, "us-east-1"), "reason"]
    reads = org.reads[org.reads["service"] == "cloudtrail_lake"]
    assert set(reads["account_id"]) == {ids["management"], ids["a"], ids["b"]}  # every account, every region
    reads = reads[reads["account_id"] == ids["management"]].set_index("region")
    assert reads.loc["eu-west-1", "status"] == "error" and reads.loc["us-east-1", "status"] == "ok"


def test_a_trail_and_an_event_data_store_recording_the_same_events_are_listed_as_duplicates(local_aws, tmp_path):
    from orgkit.coverage import duplicates

    local = dict(name="org-trail", account="management", organization=True)
    sc_stores = [{"name": "org-lake", "organization": True}]
    local_aws.reset()
    local_aws.set_options(strict_assume_role=False)
    sc = scenario(sc_stores)
    sc["trails"] = [local]
    local_aws.seed(sc["seed"])
    ids = build(local_aws.endpoint_url, sc)
    org = collect_local(local_aws, tmp_path / "snap", REGIONS)
    d = duplicates(org).set_index(["account_id", "region"])
    row = d.loc[(ids["a"], "eu-west-1")]
    assert row["lake_copies"] == 1 and row["paid_copies"] == 0 and row["est_monthly_usd"] == 0
    assert "also ingested by CloudTrail Lake event data store(s) org-lake" in row["reason"]
    assert len(row["trails"]) == 2
