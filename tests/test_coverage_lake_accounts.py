"""CloudTrail Lake beyond the management account (issue 20, point 8): member accounts' own event data stores, the
CloudTrail delegated administrator's path to the organization's stores, and reads that fail. An organisation other
than the demo: three workload accounts under two OUs, a logging account that is the CloudTrail delegated
administrator, four regions; collected from the local AWS by the real collector."""

from __future__ import annotations

import pytest

from local_org import collect_local
from orgkit.coverage import cloudtrail_coverage, duplicates, trail_inventory
from orgkit.localaws.scenario import build
from orgkit.testing import SnapshotSpec

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1", "us-west-2", "ap-southeast-2", "eu-north-1"]
CT = "cloudtrail.amazonaws.com"


def scenario() -> dict:
    return {"name": "lake-accounts", "seed": 2077, "regions": REGIONS,
            "service_access": ["account.amazonaws.com", CT],
            "ous": {"Platform": {}, "Apps": {"Retail": {}}},
            "accounts": [{"key": "logs", "name": "Log Archive", "ou": "Platform"},
                         {"key": "shop", "name": "shop-prod", "ou": "Apps/Retail"},
                         {"key": "pay", "name": "payments", "ou": "Apps/Retail"},
                         {"key": "lab", "name": "lab", "ou": "Apps"}],
            "trails": []}


def make(local_aws, stores=(), trails=(), delegate=True):
    """Build the organisation; ``stores``: (account key, CreateEventDataStore kwargs, region) made by that account
    (an organization store made by the delegated administrator lives in the management account)."""
    local_aws.reset()
    local_aws.set_options(strict_assume_role=False)
    sc = scenario()
    sc["trails"] = list(trails)
    local_aws.seed(sc["seed"])
    ids = build(local_aws.endpoint_url, sc)
    if delegate:
        local_aws.client("organizations").register_delegated_administrator(AccountId=ids["logs"],
                                                                           ServicePrincipal=CT)
    arns = {}
    for key, kwargs, region in stores:
        ct = local_aws.client("cloudtrail", region, account_id=None if key == "management" else ids[key])
        arns[kwargs["Name"]] = ct.create_event_data_store(**kwargs)["EventDataStoreArn"]
    return ids, arns


def snapshot(local_aws, tmp_path, faults=()):
    org = collect_local(local_aws, tmp_path / "snap", REGIONS, faults)
    return org, cloudtrail_coverage(org).set_index(["account_id", "region"])


def denied(account=None, region=None):
    return {"error_code": "AccessDeniedException", "http_status": 400, "service": "cloudtrail", "account_id": account,
            "region": region, "operation": "ListEventDataStores"}


def test_a_member_store_covers_only_its_own_account(local_aws, tmp_path):
    ids, arns = make(local_aws, stores=[
        ("shop", {"Name": "shop-audit", "MultiRegionEnabled": False}, "ap-southeast-2"),
        ("lab", {"Name": "lab-everywhere"}, "us-west-2")])
    org, ct = snapshot(local_aws, tmp_path)
    eds = org.event_data_stores.set_index("event_data_store_arn")
    assert eds.loc[arns["shop-audit"], "account_id"] == ids["shop"]
    assert eds.loc[arns["shop-audit"], "read_through"] == [ids["shop"]]
    assert ct.loc[(ids["shop"], "ap-southeast-2"), "status"] == "covered"
    assert arns["shop-audit"] in ct.loc[(ids["shop"], "ap-southeast-2"), "source"]
    assert "single-region event data store" in ct.loc[(ids["shop"], "ap-southeast-2"), "reason"]
    for reg in ("us-east-1", "us-west-2", "eu-north-1"):  # its home region only
        assert ct.loc[(ids["shop"], reg), "status"] == "none"
    for reg in REGIONS:  # a multi-region store of its own: every region of that account, no other account
        assert ct.loc[(ids["lab"], reg), "status"] == "covered"
        assert ct.loc[(ids["pay"], reg), "status"] == "none"
        assert ct.loc[(ids["management"], reg), "status"] == "none"
    inv = trail_inventory(org).set_index("trail_arn")
    assert inv.loc[arns["lab-everywhere"], "kind"] == "multi-region event data store"
    assert inv.loc[arns["lab-everywhere"], "account_id"] == ids["lab"]


def test_member_store_and_member_trail_recording_the_same_events_are_one_duplicate_each(local_aws, tmp_path):
    ids, _arns = make(local_aws, stores=[("pay", {"Name": "pay-lake"}, "us-east-1")],
                      trails=[{"name": "pay-trail", "account": "pay", "home_region": "us-east-1",
                               "multi_region": True}])
    org, _ct = snapshot(local_aws, tmp_path)
    d = duplicates(org).set_index(["account_id", "region"])
    row = d.loc[(ids["pay"], "eu-north-1")]
    assert row["lake_copies"] == 1 and row["paid_copies"] == 0
    assert "also ingested by CloudTrail Lake event data store(s) pay-lake" in row["reason"]
    assert (ids["shop"], "eu-north-1") not in d.index  # the member's store records its own account only


def test_an_organization_store_made_by_the_delegated_administrator_is_read_through_it_when_the_management_account_is_denied(
        local_aws, tmp_path):
    ids, arns = make(local_aws, stores=[("logs", {"Name": "org-lake", "OrganizationEnabled": True}, "us-west-2")])
    assert f":{ids['management']}:eventdatastore/" in arns["org-lake"]  # it exists in the management account
    org, ct = snapshot(local_aws, tmp_path, faults=[denied(account=ids["management"])])
    reads = org.reads[(org.reads["service"] == "cloudtrail_lake") & (org.reads["account_id"] == ids["management"])]
    assert set(reads["status"]) == {"error"} and set(reads["error_code"]) == {"AccessDeniedException"}
    eds = org.event_data_stores
    assert list(eds["event_data_store_arn"]) == [arns["org-lake"]]  # once, by ARN
    assert eds.iloc[0]["account_id"] == ids["management"]  # its owner, from the ARN
    assert eds.iloc[0]["read_through"] == [ids["logs"]]  # the account it was read through
    assert set(ct["status"]) == {"covered"}, ct[ct["status"] != "covered"][["status", "reason"]]
    assert "organization event data store" in ct.loc[(ids["pay"], "eu-north-1"), "reason"]
    inv = trail_inventory(org).set_index("trail_arn")
    assert inv.loc[arns["org-lake"], "listed_by"] == 1
    assert inv.loc[arns["org-lake"], "status"] == "ok"
    assert inv.loc[arns["org-lake"], "reason"] == (f"read through {ids['logs']} (not listed by its owner "
                                                   f"{ids['management']})")


def test_read_by_both_the_management_account_and_the_delegated_administrator_it_counts_once(local_aws, tmp_path):
    ids, arns = make(local_aws, stores=[("management", {"Name": "org-lake", "OrganizationEnabled": True},
                                         "us-east-1")],
                     trails=[{"name": "org-trail", "account": "management", "organization": True}])
    org, ct = snapshot(local_aws, tmp_path)
    eds = org.event_data_stores
    assert len(eds) == 1 and eds.iloc[0]["read_through"] == sorted([ids["management"], ids["logs"]])
    d = duplicates(org).set_index(["account_id", "region"])
    row = d.loc[(ids["shop"], "ap-southeast-2")]
    assert row["lake_copies"] == 1 and len(row["trails"]) == 2  # one trail, one store: not two stores
    assert ct.loc[(ids["shop"], "ap-southeast-2"), "source"].count(arns["org-lake"]) == 1


def test_without_a_delegated_administrator_a_denied_management_account_leaves_every_cell_unknown(local_aws, tmp_path):
    ids, _ = make(local_aws, delegate=False)
    _org, ct = snapshot(local_aws, tmp_path, faults=[denied(account=ids["management"], region="eu-north-1")])
    for aid in (ids["shop"], ids["lab"]):
        cell = ct.loc[(aid, "us-east-1")]
        assert cell["status"] == "unknown"
        assert "organization's CloudTrail Lake event data stores were not read in eu-north-1" in cell["reason"]
        assert f"management account {ids['management']}: AccessDeniedException" in cell["reason"]
        assert cell["source"] == "cloudtrail:ListEventDataStores"


def test_a_member_region_whose_stores_were_not_read_is_unknown_for_that_member_only(local_aws, tmp_path):
    ids, _ = make(local_aws, stores=[("logs", {"Name": "org-write", "OrganizationEnabled": True,
                                               "AdvancedEventSelectors": [{"Name": "w", "FieldSelectors": [
                                                   {"Field": "eventCategory", "Equals": ["Management"]},
                                                   {"Field": "readOnly", "Equals": ["false"]}]}]},
                                      "us-east-1")])
    _org, ct = snapshot(local_aws, tmp_path, faults=[denied(account=ids["pay"], region="ap-southeast-2")])
    for reg in REGIONS:  # a multi-region store of its own homed there could cover any of its regions
        cell = ct.loc[(ids["pay"], reg)]
        assert cell["status"] == "unknown", (reg, cell["reason"])
        assert "account's own CloudTrail Lake event data stores were not read in ap-southeast-2 " \
               "(AccessDeniedException)" in cell["reason"]
        assert "known: " in cell["reason"] and "write" in cell["reason"]  # what was known is kept
    for aid in (ids["shop"], ids["lab"], ids["management"]):  # the others: write-only organization store
        assert set(ct.loc[aid]["status"]) == {"partial"}


def test_both_organization_readers_denied_in_one_region_is_unknown_everywhere_not_none(local_aws, tmp_path):
    ids, _ = make(local_aws)
    _org, ct = snapshot(local_aws, tmp_path, faults=[denied(account=ids["management"], region="us-west-2"),
                                                     denied(account=ids["logs"], region="us-west-2")])
    assert "none" not in set(ct["status"])
    reason = ct.loc[(ids["lab"], "eu-north-1"), "reason"]
    assert "not read in us-west-2" in reason and f"delegated administrator {ids['logs']}: AccessDeniedException" \
        in reason
    # denied in one region for the management account only: the delegated administrator's read closes the gap
    _org, ct = snapshot(local_aws, tmp_path / "2", faults=[denied(account=ids["management"], region="us-west-2")])
    assert ct.loc[(ids["lab"], "eu-north-1"), "status"] == "none"
    assert ct.loc[(ids["management"], "eu-north-1"), "status"] == "unknown"  # its own stores there are unknown


# ------------------------------------------------------------------------------ hand-built snapshots (no server)
def lake_spec(seen_by_admin: bool = True, management_read: bool = True) -> tuple[SnapshotSpec, str, str, str]:
    """A delegated administrator whose id sorts before the management account's (its read is loaded first)."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"], management="999999999999")
    admin = sb.account("Security", account_id="000000000042")
    member = sb.account("App")
    sb.delegate(admin, CT)
    for a in (admin, member):
        sb.lake_read(a)
    seen = (admin,) + (("999999999999",) if management_read else ())
    arn = sb.event_data_store("org-lake", seen_by=seen if seen_by_admin else ("999999999999",))
    if not management_read:
        sb.lake_unread("us-east-1")
        sb.lake_unread("eu-west-1")
    return sb, admin, member, arn


def test_the_owners_read_is_kept_and_every_reader_is_listed(tmp_path):
    sb, admin, _member, _arn = lake_spec()
    org = sb.load(tmp_path / "s")
    eds = org.event_data_stores
    assert len(eds) == 1
    assert eds.iloc[0]["account_id"] == "999999999999" and eds.iloc[0]["read_through"] == [admin, "999999999999"]
    assert set(cloudtrail_coverage(org)["status"]) == {"covered"}


def test_diff_a_store_read_only_through_the_delegated_administrator_is_not_gone(tmp_path):
    from orgkit.diff import diff

    before = lake_spec()[0].load(tmp_path / "b")
    after_sb, _admin, _, _arn = lake_spec(management_read=False)
    rows = diff(before, after_sb.load(tmp_path / "a"), processes=1, scp=False)
    assert not [k for k in rows["kind"] if str(k).startswith("eds_")], rows[rows["kind"].str.startswith("eds_")]
    # read by nobody in AFTER: not known to be gone (unknown), never "deleted"
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"], management="999999999999")
    a = sb.account("Security", account_id="000000000042")
    sb.account("App")
    sb.delegate(a, CT)
    for who in (a, "999999999999"):
        for reg in ("us-east-1", "eu-west-1"):
            sb.lake_unread(reg, account=who)
    rows = diff(before, sb.load(tmp_path / "n"), processes=1, scp=False)
    eds = rows[rows["kind"].str.startswith("eds_")]
    assert list(eds["kind"]) == ["eds_changed"] and list(eds["after"]) == ["unknown"]
    assert "or of a CloudTrail delegated administrator" in eds.iloc[0]["reason"]


def test_an_account_that_listed_an_organization_store_is_taken_as_a_reader_when_its_delegation_was_not_read(tmp_path):
    """The delegated administrators' services unread (no ``delegated_admins`` row for CloudTrail), the management
    account denied: the account that listed the organization's store is one that sees them, so its regions are
    known and a region the single-region store does not cover is ``none``, not ``unknown``."""
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"], management="999999999999")
    admin = sb.account("Security", account_id="000000000042")
    member = sb.account("App")
    sb.lake_read(member)
    sb.event_data_store("org-east", multi_region=False, seen_by=(admin,))
    for reg in ("us-east-1", "eu-west-1"):
        sb.lake_unread(reg)
    ct = cloudtrail_coverage(sb.load(tmp_path / "s")).set_index(["account_id", "region"])
    assert ct.loc[(member, "us-east-1"), "status"] == "covered"
    assert ct.loc[(member, "eu-west-1"), "status"] == "none"
    # the management account's own stores stay unknown
    assert ct.loc[("999999999999", "eu-west-1"), "status"] == "unknown"
    assert "account's own CloudTrail Lake event data stores were not read" in ct.loc[("999999999999", "eu-west-1"),
                                                                                     "reason"]


def test_diff_a_members_own_store_removed_or_unread(tmp_path):
    from orgkit.diff import diff

    def spec(store: bool, unread: bool = False) -> SnapshotSpec:
        sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"], management="999999999999")
        app = sb.account("App", account_id="000000000007")
        sb.lake_read(app)
        sb.lake_read("999999999999")
        if store:
            sb.event_data_store("app-own", home_region="eu-west-1", organization=False, account=app)
        if unread:
            sb.lake_unread("eu-west-1", account=app)
        return sb

    before = spec(True).load(tmp_path / "b")
    rows = diff(before, spec(False).load(tmp_path / "a"), processes=1, scp=False)
    eds = rows[rows["kind"].str.startswith("eds_")]
    assert list(eds["kind"]) == ["eds_removed"] and list(eds["severity"]) == ["regression"]
    assert list(eds["account_id"]) == ["000000000007"] and list(eds["region"]) == ["eu-west-1"]
    cells = rows[(rows["kind"] == "cloudtrail") & (rows["account_id"] == "000000000007")]
    assert set(cells["after"]) == {"none"} and set(cells["severity"]) == {"regression"}
    rows = diff(before, spec(False, unread=True).load(tmp_path / "u"), processes=1, scp=False)
    eds = rows[rows["kind"].str.startswith("eds_")]
    assert list(eds["kind"]) == ["eds_changed"] and list(eds["after"]) == ["unknown"]
    assert "delegated administrator" not in eds.iloc[0]["reason"]  # its own store: only its owner sees it
