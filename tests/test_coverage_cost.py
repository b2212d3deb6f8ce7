"""Duplicate management-event copies and overlapping data events: the arithmetic of the cost model."""

import pytest

from orgkit.coverage import duplicates
from orgkit.testing import SnapshotSpec

R1, R2 = "us-east-1", "eu-west-1"
RO = [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]
WO = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]


def row(df, account, region):
    rows = df[(df["account_id"] == account) & (df["region"] == region)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    sb = SnapshotSpec(regions=[R1, R2])
    dup = sb.account("Dup", account_id="000000000101")
    split = sb.account("Split", account_id="000000000102")
    three = sb.account("Three", account_id="000000000103")
    data = sb.account("Data", account_id="000000000104", regions={R2: "DISABLED"})
    stopped = sb.account("Stopped", account_id="000000000105")
    shadow = sb.account("Shadow", account_id="000000000106")
    sb.trail(sb.management, "org", organization=True, event_selectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    # Dup: its own full trail on top of the org trail
    sb.trail(dup, "own")
    # Split: read-only org trail is not here; its own read-only + write-only trails: org trail + one each
    sb.trail(split, "ro", event_selectors=RO)
    sb.trail(split, "wo", event_selectors=WO)
    # Three: a read-only single-region trail in R1 only
    sb.trail(three, "ro", home_region=R1, multi_region=False, event_selectors=RO)
    # Data: data events on one bucket (overlaps the org trail's all-buckets scope), no management events
    sb.trail(data, "bucket", event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False,
                                               "DataResources": [{"Type": "AWS::S3::Object",
                                                                  "Values": ["arn:aws:s3:::b1/"]}]}])
    sb.trail(stopped, "own", logging=False)
    sb.account("Dark", account_id="000000000107", access="none")
    sb.trail(shadow, "multi")
    lst = sb.docs[shadow]["CloudTrail"]["ListTrails"]
    lst.append(dict(lst[-1]))
    return sb.load(tmp_path_factory.mktemp("cost") / "snap")


def test_columns_and_assumptions_in_attrs(org):
    df = duplicates(org)
    for c in ["account_id", "account_name", "region", "trails", "copies", "paid_copies", "est_monthly_usd",
              "reason"]:
        assert c in df.columns
    assert df.attrs["management_events_per_month"] == 1_000_000
    assert df.attrs["read_fraction"] == 0.9
    assert df.attrs["management_price_per_100k_usd"] == 2.0 and df.attrs["data_price_per_100k_usd"] == 0.1


def test_second_full_copy_is_paid_per_event(org):
    df = duplicates(org, management_events_per_month=300_000, read_fraction=0.9, data_events_per_month=0)
    r = row(df, "000000000101", R2)
    assert (r["copies_read"], r["copies_write"], r["paid_copies"]) == (2, 2, 1)
    # 270,000 read + 30,000 write events, one paid copy each, $2.00 per 100,000
    assert r["management_usd"] == pytest.approx(6.00)
    assert r["est_monthly_usd"] == pytest.approx(6.00)
    assert sorted(r["trails"]) == sorted(["arn:aws:cloudtrail:us-east-1:000000000101:trail/own",
                                          "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"])


def test_read_only_plus_write_only_is_not_a_duplicate_of_each_other(org):
    df = duplicates(org, management_events_per_month=100_000, read_fraction=0.5, data_events_per_month=0,
                    all_cells=True)
    r = row(df, "000000000102", R1)
    # org trail (all) + ro + wo: 2 copies of read events and 2 of write events, not 3
    assert (r["copies_read"], r["copies_write"]) == (2, 2)
    assert r["management_usd"] == pytest.approx(2.00)  # 50k read + 50k write, one paid copy each
    r = row(df, "000000000103", R1)
    assert (r["copies_read"], r["copies_write"], r["paid_copies_read"], r["paid_copies_write"]) == (2, 1, 1, 0)
    assert r["management_usd"] == pytest.approx(1.00)
    r = row(df, "000000000103", R2)  # the single-region trail is not there
    assert (r["copies_read"], r["copies_write"]) == (1, 1) and r["est_monthly_usd"] == 0


def test_only_paying_cells_by_default(org):
    df = duplicates(org, data_events_per_month=0)
    # 104 (data only) and 105 (stopped) pay nothing for management copies; 106 has its own trail + the org trail
    assert set(df["account_id"]) == {"000000000101", "000000000102", "000000000103", "000000000106"}
    assert (df["est_monthly_usd"] > 0).all()


def test_stopped_trails_and_shadow_copies_cost_nothing(org):
    df = duplicates(org, all_cells=True, data_events_per_month=0)
    r = row(df, "000000000107", R1)  # unreachable: the organization trail only, and a warning
    assert r["copies"] == 1 and "not read" in r["reason"]
    assert row(df, "000000000105", R1)["paid_copies"] == 0
    r = row(df, "000000000106", R2)
    assert r["copies"] == 2 and r["paid_copies"] == 1  # org trail + its own multi-region trail, once


def test_overlapping_data_events(org):
    df = duplicates(org, management_events_per_month=0, data_events_per_month=2_000_000, read_fraction=0.5)
    r = row(df, "000000000104", R1)
    # S3 objects of b1 recorded by the org trail (all buckets) and by "bucket": 2 copies of read and of write
    assert r["data_overlap_trails"] == ["arn:aws:cloudtrail:us-east-1:000000000104:trail/bucket",
                                        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"]
    # one extra copy of 1M read + 1M write events at $0.10 per 100,000
    assert r["data_extra_usd"] == pytest.approx(2.00)
    assert r["data_usd"] == pytest.approx(4.00)
    assert r["est_monthly_usd"] == pytest.approx(2.00)
    assert "AWS::S3::Object" in r["reason"]
    assert ((df["account_id"] == "000000000104") & (df["region"] == R2)).sum() == 0  # region disabled


def test_volume_per_region_and_per_cell(org):
    df = duplicates(org, management_events_per_month={"*": 0, R2: 100_000, ("000000000101", R1): 200_000},
                    read_fraction=1.0, data_events_per_month=0, all_cells=True)
    assert row(df, "000000000101", R1)["management_usd"] == pytest.approx(4.00)
    assert row(df, "000000000101", R2)["management_usd"] == pytest.approx(2.00)
    assert row(df, "000000000102", R1)["management_usd"] == 0
    import pandas as pd

    vol = pd.DataFrame({"account_id": ["000000000101"], "region": [R2], "management_events_per_month": [50_000]})
    df = duplicates(org, management_events_per_month=vol, read_fraction=1.0, data_events_per_month=0,
                    all_cells=True)
    assert row(df, "000000000101", R2)["management_usd"] == pytest.approx(1.00)
    assert row(df, "000000000101", R1)["management_usd"] == pytest.approx(20.00)  # the default 1,000,000
    with pytest.raises(ValueError):
        duplicates(org, read_fraction=1.5)


def test_data_only_trails_every_cell_compared_whole(tmp_path):
    # issue 22 (mutation sample, seed 22): every row whole, amounts rounded to the cent, the reason of a cell where
    # no trail records management events
    sb = SnapshotSpec(regions=[R1])
    q = sb.account("Quiet", account_id="000000000401")
    b = sb.account("Both", account_id="000000000402")

    def data(values):
        return [{"ReadWriteType": "All", "IncludeManagementEvents": False,
                 "DataResources": [{"Type": "AWS::S3::Object", "Values": values}]}]

    sb.trail(q, "bucket", event_selectors=data(["arn:aws:s3:::b1/"]))
    sb.trail(b, "b1", event_selectors=data(["arn:aws:s3:::b1/"]))
    sb.trail(b, "all", event_selectors=data(["arn:aws:s3"]))  # every bucket: b1's objects recorded twice
    org = sb.load(tmp_path / "snap")
    df = duplicates(org, management_events_per_month=0, data_events_per_month=1_234_567, read_fraction=0.9,
                    all_cells=True)
    zero = {"trails": [], "copies": 0, "paid_copies": 0, "copies_read": 0, "copies_write": 0, "paid_copies_read": 0,
            "paid_copies_write": 0, "management_usd": 0.0, "lake_copies": 0}
    none = "no trail records management events"
    # one copy of 1,234,567 data events a month, 90 % read: 1,111,110.3 read + 123,456.7 write at $0.10 per
    # 100,000 = $1.234567; two copies: $2.469134, of which $1.234567 extra
    assert df.to_dict("records") == [
        {"account_id": "111111111111", "account_name": "Management", "ou_path": "Root", "region": R1, **zero,
         "est_monthly_usd": 0.0, "reason": none, "data_overlap_trails": [], "data_extra_usd": 0.0, "data_usd": 0.0},
        {"account_id": "000000000401", "account_name": "Quiet", "ou_path": "Root", "region": R1, **zero,
         "est_monthly_usd": 0.0, "reason": none, "data_overlap_trails": [], "data_extra_usd": 0.0,
         "data_usd": 1.23},
        {"account_id": "000000000402", "account_name": "Both", "ou_path": "Root", "region": R1, **zero,
         "est_monthly_usd": 1.23, "reason": "data events: AWS::S3::Object read events recorded 2 times; "
                                            "AWS::S3::Object write events recorded 2 times",
         "data_overlap_trails": ["arn:aws:cloudtrail:us-east-1:000000000402:trail/all",
                                 "arn:aws:cloudtrail:us-east-1:000000000402:trail/b1"],
         "data_extra_usd": 1.23, "data_usd": 2.47},
    ]
    assert df.attrs == {
        "management_events_per_month": 0, "data_events_per_month": 1_234_567, "read_fraction": 0.9,
        "management_price_per_100k_usd": 2.0, "data_price_per_100k_usd": 0.1, "total_est_monthly_usd": 1.23,
        "total_data_usd": 3.7, "note": "first copy of management events per account and region free; read and "
                                       "write copies counted separately; event volumes are assumptions"}


def test_every_reason_of_the_cost_fixture_whole(org):
    # issue 22 (mutation sample, seed 23): reasons of several parts, joined by "; "
    df = duplicates(org, all_cells=True, data_events_per_month=0)
    one = "management events: one copy (org)"
    unread = "; the account's own trails were not read: there may be more copies"
    two = "management events: 2 copies of read events, 2 of write events"
    data = ("; data events: AWS::S3::Object read events recorded 2 times; AWS::S3::Object write events recorded "
            "2 times")
    assert [(a, r, why) for a, r, why in df[["account_id", "region", "reason"]].itertuples(index=False)] == [
        ("111111111111", R1, one), ("111111111111", R2, one),
        ("000000000101", R1, f"{two} (own, org)"), ("000000000101", R2, f"{two} (own, org)"),
        ("000000000102", R1, f"{two} (ro, wo, org)"), ("000000000102", R2, f"{two} (ro, wo, org)"),
        ("000000000103", R1, "management events: 2 copies of read events, 1 of write events (ro, org)"),
        ("000000000103", R2, one),
        ("000000000104", R1, one + data),
        ("000000000105", R1, one), ("000000000105", R2, one),
        ("000000000106", R1, f"{two} (multi, org)"), ("000000000106", R2, f"{two} (multi, org)"),
        ("000000000107", R1, one + unread), ("000000000107", R2, one + unread)]
