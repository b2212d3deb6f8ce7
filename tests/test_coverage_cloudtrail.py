"""CloudTrail coverage and trail inventory: one test per rule, on hand-built snapshots."""

from orgkit.coverage import cloudtrail_coverage, trail_inventory
from orgkit.coverage.selectors import Scope, parse_advanced, parse_basic, union
from orgkit.testing import SnapshotSpec

R1, R2, R3 = "us-east-1", "eu-west-1", "eu-south-1"
MGMT_SEL = {"Field": "eventCategory", "Equals": ["Management"]}


def cell(df, account, region):
    rows = df[(df["account_id"] == account) & (df["region"] == region)]
    assert len(rows) == 1
    return rows.iloc[0]


def build(tmp_path, fn, regions=(R1, R2, R3)):
    sb = SnapshotSpec(regions=list(regions))
    ids = fn(sb)
    org = sb.load(tmp_path / "snap")
    return org, ids


def test_org_trail_covers_every_member_even_unreachable(tmp_path):
    def fn(sb):
        a = sb.account("A")
        dark = sb.account("Dark", access="none")
        arn = sb.trail(sb.management, "org", organization=True)
        return dict(a=a, dark=dark, arn=arn)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert list(df.columns) == ["account_id", "account_name", "ou_path", "region", "status", "reason", "source",
                                "trails", "read_write", "excluded_sources", "delivery_errors"]
    assert len(df) == 3 * 3
    assert (df["status"] == "covered").all()
    r = cell(df, ids["dark"], R2)
    assert r["source"] == ids["arn"] and r["trails"] == [ids["arn"]] and r["read_write"] == "All"


def test_single_region_org_trail_covers_members_only_in_its_home_region(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(
        sb.management, "org", home_region=R2, multi_region=False, organization=True)))
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R2)["status"] == "covered"
    assert cell(df, ids["a"], R1)["status"] == "none"
    assert cell(df, ids["a"], R1)["trails"] == []
    assert cell(df, ids["a"], R1)["source"] == "cloudtrail:ListTrails"


def test_single_region_trail_covers_only_its_home_region(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(
        "000000000001", "local", home_region=R2, multi_region=False)))
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R2)["status"] == "covered"
    assert cell(df, ids["a"], R1)["status"] == "none"
    assert cell(df, ids["a"], R3)["status"] == "none"
    assert cell(df, "111111111111", R2)["status"] == "none"  # another account's trail does not count


def test_shadow_trails_count_once(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "multi", home_region=R1, multi_region=True)
        # the same trail seen again as shadow copies (e.g. a DescribeTrails per region with includeShadowTrails)
        lst = sb.docs[a]["CloudTrail"]["ListTrails"]
        lst += [dict(lst[0]), dict(lst[0])]
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    for reg in (R1, R2, R3):
        r = cell(df, ids["a"], reg)
        assert r["status"] == "covered" and r["trails"] == [ids["arn"]]
    inv = trail_inventory(org)
    assert (inv["trail_arn"] == ids["arn"]).sum() == 1
    assert inv.set_index("trail_arn").loc[ids["arn"], "kind"] == "multi-region"
    assert inv.set_index("trail_arn").loc[ids["arn"], "home_region"] == R1


def test_stopped_trail_is_not_logging(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail("000000000001", "t", logging=False)))
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R1)
    assert r["status"] == "not_logging" and r["source"] == ids["arn"] and "not logging" in r["reason"]


def test_stopped_trail_with_unread_selectors_is_not_logging(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "t", logging=False)
        d = sb.docs[a]["CloudTrail"]["Trails"][arn]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: ThrottlingException"
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "not_logging" and r["source"] == ids["arn"]


def test_read_only_plus_write_only_is_covered(tmp_path):
    def fn(sb):
        a = sb.account("A")
        ro = sb.trail(a, "ro", event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
        wo = sb.trail(a, "wo", event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
        return dict(a=a, ro=ro, wo=wo)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R3)
    assert r["status"] == "covered" and r["read_write"] == "All"
    assert sorted(r["trails"]) == sorted([ids["ro"], ids["wo"]])


def test_read_only_alone_is_partial(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(
        "000000000001", "ro", event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])))
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "partial" and r["read_write"] == "ReadOnly" and "read only" in r["reason"]


def test_basic_excluded_sources_is_partial(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(
        "000000000001", "t", event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                              "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])))
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "partial" and r["excluded_sources"] == ["kms.amazonaws.com"]
    assert "kms.amazonaws.com" in r["reason"]


def test_advanced_selectors_parsed_by_fields_not_name(tmp_path):
    def fn(sb):
        full = sb.account("Full")
        excl = sb.account("Excl")
        data = sb.account("Data")
        only = sb.account("Only")
        sb.trail(full, "t", advanced_event_selectors=[{"Name": "whatever", "FieldSelectors": [MGMT_SEL]}])
        sb.trail(excl, "t", advanced_event_selectors=[{"Name": "Log all management events", "FieldSelectors": [
            MGMT_SEL, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}]}])
        sb.trail(data, "t", advanced_event_selectors=[{"Name": "Management events", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}])
        sb.trail(only, "t", advanced_event_selectors=[{"FieldSelectors": [
            MGMT_SEL, {"Field": "eventSource", "Equals": ["s3.amazonaws.com"]}]}])
        return dict(full=full, excl=excl, data=data, only=only)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert cell(df, ids["full"], R2)["status"] == "covered"
    r = cell(df, ids["excl"], R2)
    assert r["status"] == "partial"
    assert r["excluded_sources"] == ["kms.amazonaws.com", "rdsdata.amazonaws.com"]
    r = cell(df, ids["data"], R2)
    assert r["status"] == "none" and "data events only" in r["reason"]
    r = cell(df, ids["only"], R2)
    assert r["status"] == "partial" and "only s3.amazonaws.com" in r["reason"]


def test_advanced_read_only_and_write_only_selectors(tmp_path):
    def fn(sb):
        a = sb.account("A")
        sb.trail(a, "t", advanced_event_selectors=[
            {"FieldSelectors": [MGMT_SEL, {"Field": "readOnly", "Equals": ["true"]}]},
            {"FieldSelectors": [MGMT_SEL, {"Field": "readOnly", "Equals": ["false"]}]}])
        b = sb.account("B")
        sb.trail(b, "t", advanced_event_selectors=[
            {"FieldSelectors": [MGMT_SEL, {"Field": "readOnly", "Equals": ["false"]}]}])
        return dict(a=a, b=b)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R1)["status"] == "covered"
    r = cell(df, ids["b"], R1)
    assert r["status"] == "partial" and r["read_write"] == "WriteOnly"


def test_basic_data_events_only_trail_is_no_coverage(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(
        "000000000001", "data", event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False,
                                                 "DataResources": [{"Type": "AWS::S3::Object",
                                                                    "Values": ["arn:aws:s3"]}]}])))
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "none" and r["source"] == ids["arn"]
    inv = trail_inventory(org).set_index("trail_arn").loc[ids["arn"]]
    assert inv["management_events"] == "none" and inv["data_events"] == ["S3 objects: all"]


def test_member_read_denied_is_unknown_unless_org_trail_covers(tmp_path):
    def fn(sb):
        a = sb.account("A")
        sb.docs[a]["CloudTrail"]["ListTrails"] = None
        sb.error(a, None, "cloudtrail", "ListTrails", "AccessDeniedException", "no")
        return dict(a=a)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "unknown" and "AccessDeniedException" in r["reason"]
    assert r["source"] == "cloudtrail:ListTrails AccessDeniedException"

    def fn2(sb):
        ids = fn(sb)
        sb.trail(sb.management, "org", organization=True)
        return ids

    org, ids = build(tmp_path / "2", fn2)
    assert cell(cloudtrail_coverage(org), ids["a"], R1)["status"] == "covered"


def test_member_read_denied_with_partial_org_trail_is_unknown(tmp_path):
    def fn(sb):
        a = sb.account("A", access="none")
        sb.trail(sb.management, "org", organization=True,
                 event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
        return dict(a=a)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "unknown" and "write only" in r["reason"]
    # the management account itself is read: partial there
    assert cell(cloudtrail_coverage(org), "111111111111", R1)["status"] == "partial"


def test_unread_selectors_or_status_make_unknown(tmp_path):
    def fn(sb):
        a = sb.account("A")
        b = sb.account("B")
        sel = sb.trail(a, "nosel")
        d = sb.docs[a]["CloudTrail"]["Trails"][sel]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: AccessDeniedException"
        st = sb.trail(b, "nostatus", status={})
        sb.docs[b]["CloudTrail"]["Trails"][st]["Error"] = "GetTrailStatus: ThrottlingException"
        return dict(a=a, b=b, sel=sel, st=st)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R1)
    assert r["status"] == "unknown" and "event selectors not read" in r["reason"] and r["source"] == ids["sel"]
    r = cell(df, ids["b"], R1)
    assert r["status"] == "unknown" and "logging state not read" in r["reason"] and "Throttling" in r["reason"]


def test_org_trail_listed_by_members_but_management_unread(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(sb.management, "org", organization=True)
        sb.docs[sb.management]["CloudTrail"] = {"ListTrails": None, "Trails": {}}
        sb.error(sb.management, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R2)
    assert r["status"] == "unknown" and ids["arn"] in r["source"] and "not read" in r["reason"]
    inv = trail_inventory(org)
    assert len(inv) == 1 and inv.iloc[0]["status"] == "unknown" and inv.iloc[0]["kind"] is None


def test_disabled_opt_in_region_is_not_applicable(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A", regions={R3: "DISABLED"}),
                                               arn=sb.trail(sb.management, "org", organization=True)))
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R3)
    assert r["status"] == "not_applicable" and r["source"] == "account:ListRegions"
    assert cell(df, ids["a"], R2)["status"] == "covered"


def test_unread_regions_never_turn_into_none(tmp_path):
    def fn(sb):
        a = sb.account("A")
        sb.docs[a]["Regions"] = None
        return dict(a=a)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "unknown" and r["source"] == "account:ListRegions"


def test_account_ids_keep_leading_zeros(tmp_path):
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A", account_id="000000000042")))
    df = cloudtrail_coverage(org)
    assert "000000000042" in set(df["account_id"])


def test_inventory_columns_and_scopes(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "t", KmsKeyId="arn:aws:kms:us-east-1:000000000001:key/k",
                       status={"IsLogging": True, "LatestDeliveryError": "AccessDenied"},
                       event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                         "DataResources": [
                                             {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b1/"]},
                                             {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}])
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    inv = trail_inventory(org).set_index("trail_arn").loc[ids["arn"]]
    assert inv["status"] == "delivery_error" and inv["kms_key_id"].endswith("key/k")
    assert inv["management_events"] == "read and write"
    assert inv["data_events"] == ["S3 objects: arn:aws:s3:::b1/", "Lambda functions: all"]
    assert inv["account_name"] == "A"


# -- delivery (GetTrailStatus LatestDeliveryError / LatestDeliveryTime), times from the snapshot ----------------
import datetime as _dt  # noqa: E402

import pandas as pd  # noqa: E402

from orgkit.coverage import gaps  # noqa: E402
from orgkit.testing import T0  # noqa: E402

FAILING = {"IsLogging": True, "LatestDeliveryError": "AccessDenied",
           "LatestDeliveryTime": T0 - _dt.timedelta(days=3), "StartLoggingTime": T0 - _dt.timedelta(days=30)}


def test_trail_that_fails_delivery_is_not_delivering(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(sb.management, "org", organization=True, status=dict(FAILING))
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    for aid in (ids["a"], "111111111111"):
        for region in (R1, R2, R3):
            r = cell(df, aid, region)
            assert r["status"] == "not_delivering", r["reason"]
            assert r["source"] == ids["arn"] and r["delivery_errors"] == [ids["arn"]]
            assert "AccessDenied" in r["reason"]
            # the last successful delivery, aged against the snapshot's collected_at
            assert "last delivered 2025-12-29T00:00:00Z, 3 d 0 h before the snapshot" in r["reason"]
            assert r["read_write"] is None
    inv = trail_inventory(org).set_index("trail_arn").loc[ids["arn"]]
    assert inv["status"] == "delivery_error" and "AccessDenied" in inv["reason"]


def test_one_failing_and_one_delivering_trail_is_covered_and_names_the_failing_one(tmp_path):
    def fn(sb):
        a = sb.account("A")
        org_arn = sb.trail(sb.management, "org", organization=True, status=dict(FAILING))
        own = sb.trail(a, "own")
        return dict(a=a, org=org_arn, own=own)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R2)
    assert r["status"] == "covered" and r["source"] == ids["own"]
    assert ids["org"] in r["reason"] and "fails to deliver" in r["reason"] and "AccessDenied" in r["reason"]
    assert r["delivery_errors"] == [ids["org"]]
    # the management account has only the failing organization trail
    assert cell(df, "111111111111", R2)["status"] == "not_delivering"


def test_failing_full_trail_and_delivering_read_only_trail_is_partial(tmp_path):
    def fn(sb):
        a = sb.account("A")
        bad = sb.trail(a, "all", status=dict(FAILING))
        ro = sb.trail(a, "ro", event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
        return dict(a=a, bad=bad, ro=ro)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R2)
    assert r["status"] == "partial" and r["read_write"] == "ReadOnly" and r["source"] == ids["ro"]
    assert ids["bad"] in r["reason"] and r["delivery_errors"] == [ids["bad"]]


def test_failing_trail_ranks_above_a_stopped_one(tmp_path):
    def fn(sb):
        a = sb.account("A")
        bad = sb.trail(a, "bad", status=dict(FAILING))
        stopped = sb.trail(a, "stopped", logging=False)
        return dict(a=a, bad=bad, stopped=stopped)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "not_delivering" and r["source"] == ids["bad"] and "stopped is not logging" in r["reason"]


def test_data_events_only_trail_failing_delivery_is_not_not_delivering(tmp_path):
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "data", status=dict(FAILING), event_selectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": False,
             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn)
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r["status"] == "none" and r["delivery_errors"] == [ids["arn"]]


def test_stale_delivery_without_error_is_unknown_unless_another_trail_covers(tmp_path):
    stale = {"IsLogging": True, "LatestDeliveryTime": T0 - _dt.timedelta(days=2),
             "StartLoggingTime": T0 - _dt.timedelta(days=30)}

    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        sa = sb.trail(a, "quiet", status=dict(stale))
        sb_ = sb.trail(b, "quiet", status=dict(stale))
        fresh = sb.trail(b, "fresh")
        return dict(a=a, b=b, sa=sa, sb=sb_, fresh=fresh)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R2)
    assert r["status"] == "unknown" and r["source"] == ids["sa"]
    assert "no log file delivered since 2025-12-30T00:00:00Z, 2 d 0 h before the snapshot" in r["reason"]
    r = cell(df, ids["b"], R2)
    assert r["status"] == "covered" and r["source"] == ids["fresh"] and ids["sb"] in r["reason"]
    inv = trail_inventory(org).set_index("trail_arn")
    assert inv.loc[ids["sa"], "status"] == "delivery_stale" and inv.loc[ids["fresh"], "status"] == "ok"
    # the threshold is a parameter: three days is not stale
    assert cell(cloudtrail_coverage(org, stale_after=pd.Timedelta(days=3)), ids["a"], R2)["status"] == "covered"


def test_never_delivered_trail_is_stale_only_after_the_threshold(tmp_path):
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        old = sb.trail(a, "old", status={"IsLogging": True, "StartLoggingTime": T0 - _dt.timedelta(days=5)})
        new = sb.trail(b, "new", status={"IsLogging": True, "StartLoggingTime": T0 - _dt.timedelta(minutes=3)})
        return dict(a=a, b=b, old=old, new=new)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R1)["status"] == "unknown"
    assert "since logging started" in cell(df, ids["a"], R1)["reason"]
    assert cell(df, ids["b"], R1)["status"] == "covered"


def test_delivery_age_comes_from_the_snapshot_not_the_clock(tmp_path):
    # LatestDeliveryTime == collected_at == 2026-01-01: fresh for the snapshot, whatever today's date
    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail("000000000001", "t")))
    assert cell(cloudtrail_coverage(org), ids["a"], R1)["status"] == "covered"
    assert trail_inventory(org).set_index("trail_arn").loc[ids["arn"], "status"] == "ok"


def test_not_delivering_ranks_between_not_logging_and_partial_in_gaps(tmp_path):
    def fn(sb):
        p1, p2, p3 = sb.account("prod-a"), sb.account("prod-b"), sb.account("prod-c")
        sb.trail(p1, "ro", event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
        sb.trail(p2, "bad", status=dict(FAILING))
        sb.trail(p3, "stopped", logging=False)
        return dict(p1=p1, p2=p2, p3=p3)

    org, ids = build(tmp_path, fn, regions=(R2,))
    g = gaps(org)
    g = g[(g["service"] == "cloudtrail") & g["account_id"].isin(ids.values())]
    assert list(g["status"]) == ["not_logging", "not_delivering", "partial"]


# -- global service events: recorded in us-east-1 only --------------------------------------------------------
def test_single_region_trail_without_global_events_is_partial_where_they_land(tmp_path):
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        east = sb.trail(a, "east", home_region=R1, multi_region=False, IncludeGlobalServiceEvents=False)
        west = sb.trail(b, "west", home_region=R2, multi_region=False, IncludeGlobalServiceEvents=False)
        return dict(a=a, b=b, east=east, west=west)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    r = cell(df, ids["a"], R1)
    assert r["status"] == "partial" and r["read_write"] == "All" and r["source"] == ids["east"]
    assert "global service events" in r["reason"] and "IncludeGlobalServiceEvents false" in r["reason"]
    assert "us-east-1" in r["reason"]
    # outside us-east-1 global service events never land: the same shape covers its region
    assert cell(df, ids["b"], R2)["status"] == "covered"


def test_global_events_from_any_delivering_trail_complete_the_cell(tmp_path):
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        sb.trail(a, "east", home_region=R1, multi_region=False, IncludeGlobalServiceEvents=False)
        sb.trail(a, "east-gse", home_region=R1, multi_region=False)  # AWS's default: IncludeGlobalServiceEvents true
        sb.trail(b, "east", home_region=R1, multi_region=False, IncludeGlobalServiceEvents=False)
        sb.trail(b, "everywhere", home_region=R2, multi_region=True, status=dict(FAILING))  # with them, but failing
        return dict(a=a, b=b)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R1)["status"] == "covered"
    r = cell(df, ids["b"], R1)
    assert r["status"] == "partial" and "global service events" in r["reason"] and "fails to deliver" in r["reason"]
    # the landing regions are a parameter (e.g. another partition)
    assert cell(cloudtrail_coverage(org, global_event_regions=("eu-west-1",)), ids["b"], R1)["status"] == "covered"


def test_a_trail_whose_global_events_flag_is_absent_is_not_taken_to_include_them(tmp_path, capsys):
    """``IncludeGlobalServiceEvents`` is optional in DescribeTrails' Trail ("Set to True to include ... API calls
    from ... global services such as IAM. Otherwise, False."); its default (true) is documented for creating a trail,
    not for a description that lacks it. A description without the field says nothing about global service
    events: the us-east-1 cell is partial, the reason says the flag is unset (read through the CLI too)."""
    import json

    from orgkit.cli import main

    sb = SnapshotSpec(regions=[R1, R2])
    a = sb.account("A")
    arn = sb.trail(a, "east", home_region=R1, multi_region=False)
    del sb.docs[a]["CloudTrail"]["Trails"][arn]["Trail"]["IncludeGlobalServiceEvents"]
    path = sb.write(tmp_path / "snap")
    capsys.readouterr()
    assert main(["coverage", str(path), "--service", "cloudtrail", "--format", "json"]) in (0, 1)
    rows = [r for r in json.loads(capsys.readouterr().out) if r["account_id"] == a]
    r = next(r for r in rows if r["region"] == R1)
    assert r["status"] == "partial" and r["source"] == arn
    assert "global service events" in r["reason"] and "IncludeGlobalServiceEvents unset" in r["reason"]
    # a single-region trail elsewhere never receives them: the field plays no part in eu-west-1
    assert next(r for r in rows if r["region"] == R2)["status"] == "none"
    # the same trail with the field true covers the cell (so the absence is what makes it partial)
    sb.docs[a]["CloudTrail"]["Trails"][arn]["Trail"]["IncludeGlobalServiceEvents"] = True
    assert cell(cloudtrail_coverage(sb.load(tmp_path / "snap2")), a, R1)["status"] == "covered"


# -- the scope algebra --------------------------------------------------------------------------------------------
def test_scope_union():
    kms, rds = frozenset({"kms"}), frozenset({"rds"})
    assert union(Scope("except", kms), Scope("except", rds)).full
    assert union(Scope("except", kms), Scope("only", kms)).full
    assert union(Scope("only", kms), Scope("only", rds)) == Scope("only", kms | rds)
    assert union(None, Scope("only", kms)) == Scope("only", kms)


def test_parsers():
    t = parse_basic([])
    assert t.read.full and t.write.full  # CloudTrail's default: all management events
    t = parse_basic([{"read_write_type": "WriteOnly", "include_management_events": True,
                      "exclude_management_event_sources": [], "data_resources": []}])
    assert t.read is None and t.write.full
    t = parse_advanced([[MGMT_SEL, {"Field": "readOnly", "NotEquals": ["true"]}]])
    assert t.read is None and t.write.full
    t = parse_advanced([[{"Field": "readOnly", "Equals": ["true"]}]])  # no eventCategory: ignored
    assert not t.management and t.notes


# -- the texts of the delivery rule and the trail kinds (mutation testing found them unchecked: TESTING.md) ------
def test_delivery_state_ages_and_time_zones():
    from orgkit.coverage.cloudtrail import delivery_state

    ref = pd.Timestamp("2026-01-10T12:00:00Z")
    day = pd.Timedelta(hours=24)
    # ages in days and hours, hours and minutes, minutes; naive times are UTC, offsets converted to UTC
    assert delivery_state(True, "AccessDenied", "2026-01-08T09:30:00Z", None, ref) == (
        "error", "LatestDeliveryError AccessDenied; last delivered 2026-01-08T09:30:00Z, 2 d 2 h before the snapshot")
    assert delivery_state(True, "NoSuchBucket", "2026-01-10T08:55:00", None, ref) == (
        "error", "LatestDeliveryError NoSuchBucket; last delivered 2026-01-10T08:55:00Z, 3 h 5 min before the snapshot")
    assert delivery_state(True, "KMS", "2026-01-10T13:53:00+02:00", None, ref) == (
        "error", "LatestDeliveryError KMS; last delivered 2026-01-10T11:53:00Z, 7 min before the snapshot")
    assert delivery_state(True, "KMS", "2026-01-10T12:00:00Z", None, ref)[1].endswith(
        "2026-01-10T12:00:00Z, as the snapshot was collected")
    assert delivery_state(True, "KMS", "2026-01-11T00:00:00Z", None, ref)[1].endswith(
        "2026-01-11T00:00:00Z, as the snapshot was collected")
    assert delivery_state(True, "KMS", "2026-01-10T10:59:00Z", None, ref)[1].endswith("1 h 1 min before the snapshot")
    # no reference time: the time alone
    assert delivery_state(True, "KMS", "2026-01-08T09:30:00Z", None, None) == (
        "error", "LatestDeliveryError KMS; last delivered 2026-01-08T09:30:00Z")
    # nothing delivered: None, NaN, NaT and unreadable values alike
    for nothing in (None, float("nan"), pd.NaT, "not a time"):
        assert delivery_state(True, "KMS", nothing, None, ref) == (
            "error", "LatestDeliveryError KMS; no log file delivered yet"), nothing
    # stale: just past the threshold (not at it), by the last delivery or, with none, by the start of logging
    assert delivery_state(True, None, ref - day, None, ref) == ("ok", None)
    assert delivery_state(True, None, ref - day - pd.Timedelta(minutes=1), None, ref) == (
        "stale", "no log file delivered since 2026-01-09T11:59:00Z, 1 d 0 h before the snapshot, and no delivery error")
    assert delivery_state(True, None, None, ref - 2 * day, ref) == (
        "stale", "no log file delivered since logging started 2026-01-08T12:00:00Z, 2 d 0 h before the snapshot, "
                 "and no delivery error")
    assert delivery_state(True, None, None, ref - day, ref) == ("ok", None)
    assert delivery_state(True, None, None, None, ref) == ("ok", None)
    assert delivery_state(True, None, ref - 3 * day, None, ref, stale_after=4 * day) == ("ok", None)
    assert delivery_state(False, "KMS", None, None, ref) == (None, None)
    assert delivery_state(None, None, None, None, ref) == (None, None)


def test_trail_kinds_in_the_inventory(tmp_path):
    def fn(sb):
        a = sb.account("A")
        return dict(a=a, org=sb.trail(sb.management, "org", organization=True),
                    multi=sb.trail(a, "multi"), single=sb.trail(a, "single", home_region=R2, multi_region=False))

    org, ids = build(tmp_path, fn)
    kinds = trail_inventory(org).set_index("trail_arn")["kind"]
    assert (kinds[ids["org"]], kinds[ids["multi"]], kinds[ids["single"]]) == \
        ("organization", "multi-region", "single-region")


def _selector(rw):
    return [{"ReadWriteType": rw, "IncludeManagementEvents": True, "DataResources": [],
             "ExcludeManagementEventSources": []}]


def test_global_events_recorded_by_half_the_trails_are_partial_and_say_which_half(tmp_path):
    """Read and write management events are recorded in us-east-1 by two trails, but only one includes global
    service events: those are recorded only read (or only write) there, and the reason says which and why."""
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        sb.trail(a, "reads", home_region=R1, multi_region=False, event_selectors=_selector("ReadOnly"))
        sb.trail(a, "writes", home_region=R1, multi_region=False, IncludeGlobalServiceEvents=False,
                 event_selectors=_selector("WriteOnly"))
        sb.trail(b, "writes-gse", home_region=R1, multi_region=False, event_selectors=_selector("WriteOnly"))
        sb.trail(b, "reads-nogse", home_region=R1, multi_region=False, IncludeGlobalServiceEvents=False,
                 event_selectors=_selector("ReadOnly"))
        return dict(a=a, b=b)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    gse = "global service events (IAM, AWS STS, CloudFront) recorded only"
    r = cell(df, ids["a"], R1)
    assert (r["status"], r["read_write"]) == ("partial", "All")
    assert r["reason"] == ("management events recorded: read and write; "
                           f"{gse} read events here: writes has IncludeGlobalServiceEvents false")
    r = cell(df, ids["b"], R1)
    assert r["reason"] == ("management events recorded: read and write; "
                           f"{gse} write events here: reads-nogse has IncludeGlobalServiceEvents false")


def test_unknown_cells_say_exactly_what_was_not_read(tmp_path):
    def fn(sb):
        a, b, c = sb.account("A"), sb.account("B"), sb.account("C")
        sel = sb.trail(a, "nosel")
        d = sb.docs[a]["CloudTrail"]["Trails"][sel]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: AccessDeniedException"
        st = sb.trail(b, "nostatus", status={})
        sb.docs[b]["CloudTrail"]["Trails"][st]["Error"] = "GetTrailStatus: ThrottlingException"
        both = sb.trail(c, "neither", status={})
        sb.docs[c]["CloudTrail"]["Trails"][both]["EventSelectors"] = None
        return dict(a=a, b=b, c=c, sel=sel, st=st, both=both)

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert cell(df, ids["a"], R1)["reason"] == \
        f"cannot tell: {ids['sel']}: event selectors not read (GetEventSelectors: AccessDeniedException)"
    assert cell(df, ids["b"], R1)["reason"] == \
        f"cannot tell: {ids['st']}: logging state not read (GetTrailStatus: ThrottlingException)"
    assert cell(df, ids["c"], R1)["reason"] == \
        f"cannot tell: {ids['both']}: logging state not read and event selectors not read"


def test_excluded_sources_of_read_and_write_trails_are_both_named(tmp_path):
    """Reads recorded by a trail that excludes KMS, writes by one that excludes RDS Data: the cell is partial and
    names both excluded sources (the union, not only what both exclude)."""
    def fn(sb):
        a = sb.account("A")
        r = sb.trail(a, "reads", home_region=R2, multi_region=False, event_selectors=[dict(
            _selector("ReadOnly")[0], ExcludeManagementEventSources=["kms.amazonaws.com"])])
        w = sb.trail(a, "writes", home_region=R2, multi_region=False, event_selectors=[dict(
            _selector("WriteOnly")[0], ExcludeManagementEventSources=["rdsdata.amazonaws.com"])])
        return dict(a=a, r=r, w=w)

    org, ids = build(tmp_path, fn)
    c = cell(cloudtrail_coverage(org), ids["a"], R2)
    assert c["status"] == "partial" and c["read_write"] == "All"
    assert list(c["excluded_sources"]) == ["kms.amazonaws.com", "rdsdata.amazonaws.com"]
    assert c["source"] == f"{ids['r']}, {ids['w']}"


def test_trails_that_apply_but_record_no_management_events(tmp_path):
    """A trail with management events off, one with data events only, and a stopped trail: status, exact reason
    and source of each cell."""
    no_mgmt = [{"ReadWriteType": "All", "IncludeManagementEvents": False, "DataResources": [],
                "ExcludeManagementEventSources": []}]
    data_only = [dict(no_mgmt[0], DataResources=[{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}])]

    def fn(sb):
        a, b, c = sb.account("A"), sb.account("B"), sb.account("C")
        return dict(a=a, b=b, c=c,
                    off=sb.trail(a, "no-mgmt", home_region=R2, multi_region=False, event_selectors=no_mgmt),
                    data=sb.trail(b, "s3-data", home_region=R2, multi_region=False, event_selectors=data_only),
                    stopped=sb.trail(c, "stopped", home_region=R2, multi_region=False, status={
                        "IsLogging": False, "StopLoggingTime": "2025-12-31T10:00:00Z",
                        "LatestDeliveryTime": "2025-12-31T09:00:00Z"}))

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    got = {k: tuple(cell(df, ids[k], R2)[["status", "reason", "source"]]) for k in "abc"}
    assert got == {
        "a": ("none", "the trails that apply record no management events", ids["off"]),
        "b": ("none", "no trail records management events; s3-data record(s) data events only", ids["data"]),
        "c": ("not_logging", "stopped is not logging (stopped 2025-12-31T10:00:00+00:00)", ids["stopped"]),
    }


def test_two_stopped_trails_and_no_trail_at_all(tmp_path):
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        return dict(a=a, b=b, one=sb.trail(a, "one", home_region=R2, multi_region=False, logging=False),
                    two=sb.trail(a, "two", home_region=R2, multi_region=False, logging=False))

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    assert tuple(cell(df, ids["a"], R2)[["status", "reason", "source"]]) == (
        "not_logging", "one is not logging; two is not logging", f"{ids['one']}, {ids['two']}")
    assert tuple(cell(df, ids["b"], R2)[["status", "reason", "source"]]) == (
        "none", "no trail applies", "cloudtrail:ListTrails")


INVENTORY_COLUMNS = ["trail_arn", "name", "account_id", "account_name", "home_region", "kind", "recorder",
                     "is_logging", "latest_delivery_time", "latest_delivery_error", "log_file_validation",
                     "kms_key_id", "include_global_service_events", "s3_bucket", "selector_kind",
                     "management_events", "read_write", "excluded_sources", "data_events", "listed_by", "status",
                     "reason"]


def _plain(v):
    """A cell value comparable with ==: NaN, NaT and pd.NA as None."""
    if isinstance(v, (list, tuple)):
        return list(v)
    return None if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)) else v


def _rows(df, key, cols):
    return {r[key]: tuple(_plain(r[c]) for c in cols) for r in df.to_dict("records")}


def _inventory_org(tmp_path):
    """Trails in each inventory state (ok, stopped, failing, stale, never delivered and stale, logging state unread,
    selectors unread, details unread: an organization trail its owner's ListTrails did not answer) and three
    CloudTrail Lake event data stores (ingesting and read only through two delegated administrators, stopped and
    read through one, starting)."""
    def fn(sb):
        a, b, logs, audit = sb.account("A"), sb.account("B"), sb.account("Logs"), sb.account("Audit")
        sb.delegate(logs, "cloudtrail.amazonaws.com")
        sb.delegate(audit, "cloudtrail.amazonaws.com")
        started = T0 - _dt.timedelta(days=30)
        ids = dict(
            a=a, b=b, logs=logs, audit=audit,
            nostatus=sb.trail(b, "nostatus", status={}),
            never=sb.trail(b, "never", status={"IsLogging": True, "StartLoggingTime": T0 - _dt.timedelta(days=2)}),
            ok=sb.trail(a, "ok", home_region=R2, status={"IsLogging": True, "LatestDeliveryTime": T0,
                                                          "StartLoggingTime": started}),
            stopped=sb.trail(a, "stopped", logging=False),
            failing=sb.trail(a, "failing", status=dict(FAILING)),
            stale=sb.trail(b, "stale", status={"IsLogging": True, "LatestDeliveryTime": T0 - _dt.timedelta(days=2),
                                               "StartLoggingTime": started}),
            nosel=sb.trail(b, "nosel"),
            org=sb.trail(sb.management, "org", organization=True, home_region=R3),
            lake_on=sb.event_data_store("lake-on", seen_by=(logs, audit)),
            lake_off=sb.event_data_store("lake-off", status="STOPPED_INGESTION", home_region=R2, multi_region=False,
                                         seen_by=(logs,)),
            lake_mid=sb.event_data_store("lake-mid", status="STARTING_INGESTION", organization=False, account=a))
        d = sb.docs[b]["CloudTrail"]["Trails"][ids["nosel"]]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: AccessDeniedException"
        sb.docs[sb.management]["CloudTrail"]["ListTrails"] = None
        sb.docs[sb.management]["CloudTrail"]["Trails"] = {}
        sb.error(sb.management, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        return ids

    return build(tmp_path, fn)


def test_inventory_rows_compared_whole(tmp_path):
    """Every inventory column, and each row's kind, logging state, selectors, listing count, status and exact
    reason, for a trail or event data store in each state."""
    org, ids = _inventory_org(tmp_path)
    inv = trail_inventory(org)
    assert list(inv.columns) == INVENTORY_COLUMNS
    mgmt = "111111111111"
    cols = ["name", "account_id", "account_name", "home_region", "kind", "recorder", "is_logging",
            "latest_delivery_error", "s3_bucket", "selector_kind", "management_events", "read_write", "listed_by",
            "status", "reason"]
    ok = ("basic", "read and write", "All", 1)
    lake = (None, None, "advanced", "read and write", "All", 1)
    assert _rows(inv, "trail_arn", cols) == {
        ids["ok"]: ("ok", ids["a"], "A", R2, "multi-region", "trail", True, None, "ok-logs", *ok, "ok", None),
        ids["stopped"]: ("stopped", ids["a"], "A", R1, "multi-region", "trail", False, None, "stopped-logs", *ok,
                         "not_logging", "logging is stopped"),
        ids["failing"]: ("failing", ids["a"], "A", R1, "multi-region", "trail", True, "AccessDenied", "failing-logs",
                         *ok, "delivery_error", "fails to deliver log files: LatestDeliveryError AccessDenied; last "
                         "delivered 2025-12-29T00:00:00Z, 3 d 0 h before the snapshot"),
        ids["stale"]: ("stale", ids["b"], "B", R1, "multi-region", "trail", True, None, "stale-logs", *ok,
                       "delivery_stale", "no log file delivered since 2025-12-30T00:00:00Z, 2 d 0 h before the "
                       "snapshot, and no delivery error"),
        ids["nosel"]: ("nosel", ids["b"], "B", R1, "multi-region", "trail", True, None, "nosel-logs", None, None,
                       None, 1, "unknown", "GetEventSelectors: AccessDeniedException"),
        ids["nostatus"]: ("nostatus", ids["b"], "B", R1, "multi-region", "trail", None, None, "nostatus-logs", *ok,
                          "unknown", "details not read"),
        ids["never"]: ("never", ids["b"], "B", R1, "multi-region", "trail", True, None, "never-logs", *ok,
                       "delivery_stale", "no log file delivered since logging started 2025-12-30T00:00:00Z, 2 d 0 h "
                       "before the snapshot, and no delivery error"),
        # listed by the four members, not by its owner, whose trails were not read: no note about who listed it
        ids["org"]: ("org", mgmt, "Management", R3, None, "trail", None, None, None, None, None, None, 4,
                     "unknown", f"its owner {mgmt}'s trails were not read (error: AccessDeniedException)"),
        ids["lake_on"]: ("lake-on", mgmt, "Management", R1, "organization event data store", "event_data_store",
                         True, *lake[:-1], 2, "ok", f"read through {ids['logs']}, {ids['audit']} (not listed by its owner "
                                            f"{mgmt})"),
        ids["lake_off"]: ("lake-off", mgmt, "Management", R2, "organization event data store", "event_data_store",
                          False, *lake, "not_logging", "ingestion stopped (event data store STOPPED_INGESTION); "
                                                       f"read through {ids['logs']} (not listed by its owner {mgmt})"),
        ids["lake_mid"]: ("lake-mid", ids["a"], "A", R1, "multi-region event data store", "event_data_store", None,
                          *lake, "unknown", "event data store is STARTING_INGESTION"),
    }
    # no reason is None, not NaN (pandas 3 would store a column of text and None as its string dtype, with NaN)
    assert inv.set_index("trail_arn").loc[ids["ok"], "reason"] is None and inv["reason"].dtype == object
    # the stale rule's threshold is the caller's: three days without a log file is not stale then
    longer = _rows(trail_inventory(org, stale_after=pd.Timedelta(days=3)), "trail_arn", ["status", "reason"])
    assert longer[ids["stale"]] == ("ok", None)
    assert longer[ids["failing"]][0] == "delivery_error"


def test_trails_seen_only_in_listings_say_why_their_details_are_missing(tmp_path):
    """Trails another account's ListTrails shows but whose details are not in the snapshot: the owner's trails were
    read (details missing), skipped (its role was not reached) or its owner is outside the organisation; the name and
    home region come from the owner's own listing first. And a trail whose multi-region flag is missing is not
    taken as described; one with custom selectors and none left records nothing."""
    def fn(sb):
        a, dark, c = sb.account("A"), sb.account("Dark", access="none"), sb.account("C")
        ids = dict(a=a, dark=dark, c=c, org=sb.trail(sb.management, "org", organization=True, home_region=R3))
        del sb.docs[sb.management]["CloudTrail"]["Trails"][ids["org"]]
        lt = sb.docs[a]["CloudTrail"]["ListTrails"]  # A's view of the organization trail names it otherwise
        lt[:] = [dict(e, Name="org-as-listed-by-a", HomeRegion=R2) if e["TrailARN"] == ids["org"] else e for e in lt]
        ids["dark_t"] = f"arn:aws:cloudtrail:{R2}:{dark}:trail/dark-trail"
        ids["outside"] = f"arn:aws:cloudtrail:{R1}:999999999999:trail/outside"
        lt += [{"TrailARN": ids["dark_t"], "Name": "dark-trail", "HomeRegion": R2},
               {"TrailARN": ids["outside"], "Name": "outside", "HomeRegion": R1}]
        ids["empty"] = sb.trail(c, "custom-empty", event_selectors=[], HasCustomEventSelectors=True)
        ids["half"] = sb.trail(c, "half-read", home_region=R2)
        del sb.docs[c]["CloudTrail"]["Trails"][ids["half"]]["Trail"]["IsMultiRegionTrail"]
        return ids

    org, ids = build(tmp_path, fn)
    inv = trail_inventory(org)
    cols = ["name", "account_id", "home_region", "kind", "is_logging", "management_events", "listed_by", "status",
            "reason"]
    assert _rows(inv, "trail_arn", cols) == {
        ids["org"]: ("org", "111111111111", R3, None, None, None, 3, "unknown", "details not in the snapshot"),
        ids["dark_t"]: ("dark-trail", ids["dark"], R2, None, None, None, 1, "unknown",
                        f"its owner {ids['dark']}'s trails were not read (skipped)"),
        ids["outside"]: ("outside", "999999999999", R1, None, None, None, 1, "unknown",
                         "its owner 999999999999 is not in the snapshot"),
        ids["empty"]: ("custom-empty", ids["c"], R1, "multi-region", True, "none", 1, "ok", None),
        ids["half"]: ("half-read", ids["c"], R2, None, True, None, 1, "unknown", "details not read"),
    }
    df = cloudtrail_coverage(org)
    for region in (R1, R2, R3):
        assert tuple(cell(df, ids["a"], region)[["status", "reason", "source"]]) == (
            "unknown", f"cannot tell: {ids['org']}: details not in the snapshot; {ids['dark_t']}: its owner "
                       f"{ids['dark']}'s trails were not read (skipped); {ids['outside']}: its owner 999999999999 "
                       "is not in the snapshot", f"{ids['org']}, {ids['dark_t']}, {ids['outside']}")
        assert tuple(cell(df, ids["c"], region)[["status", "reason", "source"]]) == (
            "unknown", f"cannot tell: {ids['org']}: details not in the snapshot; {ids['half']}: details not read",
            f"{ids['org']}, {ids['half']}")


def test_event_data_store_cells_compared_whole(tmp_path):
    """An account's own CloudTrail Lake event data stores: one whose MultiRegionEnabled is absent (all regions),
    one whose OrganizationEnabled is absent (its account only), stopped, starting, selectors not read. Status, exact
    reason and source of each cell; us-east-1 included (a store records the global service events landing there)."""
    def fn(sb):
        a, b, c, d, e = (sb.account(x) for x in "ABCDE")
        sb.lake_read(sb.management)  # the organization's stores were read: none

        def store(who, region, arn):
            return next(s for s in sb.docs[who]["CloudTrail"]["EventDataStores"][region]
                        if s["EventDataStoreArn"] == arn)

        ids = dict(a=a, b=b, c=c, d=d, e=e,
                   la=sb.event_data_store("a-lake", home_region=R2, organization=False, account=a),
                   lb=sb.event_data_store("b-lake", home_region=R2, organization=False, account=b,
                                          multi_region=False),
                   lc=sb.event_data_store("c-lake", organization=False, account=c, status="STOPPED_INGESTION"),
                   ld=sb.event_data_store("d-lake", organization=False, account=d, status="STARTING_INGESTION"),
                   le=sb.event_data_store("e-lake", organization=False, account=e))
        del store(a, R2, ids["la"])["MultiRegionEnabled"]
        del store(b, R2, ids["lb"])["OrganizationEnabled"]
        store(e, R1, ids["le"])["AdvancedEventSelectors"] = None
        return ids

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    got = {(k, r): tuple(cell(df, ids[k], r)[["status", "reason", "source"]]) for k in "abcde" for r in (R1, R2, R3)}
    a_cov = ("covered", "read and write management events recorded by a-lake (multi-region event data store)",
             ids["la"])
    c_off = ("not_logging", "event data store c-lake is not ingesting (STOPPED_INGESTION)", ids["lc"])
    d_mid = ("unknown", f"cannot tell: {ids['ld']}: event data store is STARTING_INGESTION", ids["ld"])
    e_sel = ("unknown", f"cannot tell: {ids['le']}: event selectors not read", ids["le"])
    assert got == {
        **{("a", r): a_cov for r in (R1, R2, R3)},
        ("b", R1): ("none", "no trail applies", "cloudtrail:ListTrails"),
        ("b", R2): ("covered", "read and write management events recorded by b-lake (single-region event data "
                               "store)", ids["lb"]),
        ("b", R3): ("none", "no trail applies", "cloudtrail:ListTrails"),
        **{("c", r): c_off for r in (R1, R2, R3)},
        **{("d", r): d_mid for r in (R1, R2, R3)},
        **{("e", r): e_sel for r in (R1, R2, R3)},
    }
    assert cell(df, "111111111111", R2)["status"] == "none"  # no store of another account applies
    inv = trail_inventory(org).set_index("trail_arn")
    assert list(inv.loc[[ids[k] for k in ("la", "lb", "lc", "ld", "le")], "status"]) == [
        "ok", "ok", "not_logging", "unknown", "unknown"]
    assert inv.loc[ids["le"], "reason"] == "details not read"


def test_unread_accounts_regions_and_lake_stores_compared_whole(tmp_path):
    """The reasons a cell turns unknown after its trails were evaluated, compared whole: the account's own trails
    unread (with no trail, and with a read-only organization trail), its regions unread, the organization's event
    data stores unread in two regions (by the management account and the delegated administrator), an account's own
    stores unread in two regions; and a disabled region."""
    def none_fn(sb):
        a, b, c = sb.account("A"), sb.account("B"), sb.account("C", regions={R3: "DISABLED"})
        sb.docs[a]["CloudTrail"] = {"ListTrails": None, "Trails": {}}
        sb.error(a, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        sb.docs[b]["Regions"] = None
        return dict(a=a, b=b, c=c)

    org, ids = build(tmp_path / "1", none_fn)
    df = cloudtrail_coverage(org)
    denied = ("cloudtrail:ListTrails AccessDeniedException", None)
    cols = ["status", "reason", "source", "read_write"]
    for r in (R1, R2, R3):
        assert tuple(cell(df, ids["a"], r)[cols]) == (
            "unknown", "the account's own trails are unknown: read failed: AccessDeniedException; no organization "
                       "trail covers it", *denied)
        assert tuple(cell(df, ids["b"], r)[cols]) == (
            "unknown", "no trail applies; and the account's regions were not read: the region may be disabled",
            "account:ListRegions", None)
    assert tuple(cell(df, ids["c"], R3)[cols]) == (
        "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions", None)
    assert tuple(cell(df, ids["c"], R2)[cols]) == ("none", "no trail applies", "cloudtrail:ListTrails", None)

    def lake_fn(sb, org_gaps):
        a, b, logs, own = sb.account("A"), sb.account("B"), sb.account("Logs"), sb.account("Own")
        sb.delegate(logs, "cloudtrail.amazonaws.com")
        sb.trail(sb.management, "org-reads", organization=True, event_selectors=_selector("ReadOnly"))
        sb.trail(own, "own-trail")  # covered: no unread store changes that
        sb.docs[a]["CloudTrail"]["ListTrails"] = None
        sb.error(a, None, "cloudtrail", "ListTrails", "AccessDeniedException")
        for who in (sb.management, logs, b):
            sb.lake_read(who)
        if org_gaps:
            sb.lake_unread(R2)
            sb.lake_unread(R3, code="ThrottlingException")
            sb.lake_unread(R2, code="ThrottlingException", account=logs)
            sb.lake_unread(R3, account=logs)
        sb.lake_unread(R1, account=b)
        sb.lake_unread(R3, code="ThrottlingException", account=b)
        return dict(a=a, b=b, logs=logs, own=own)

    gse = "; global service events (IAM, AWS STS, CloudFront) recorded only read events here"
    known = {R1: "management events recorded: read only" + gse, R2: "management events recorded: read only",
             R3: "management events recorded: read only"}
    own_unknown = {r: ("unknown", f"the account's own trails are unknown: read failed: AccessDeniedException; "
                                  f"known: {known[r]}", denied[0], "ReadOnly") for r in (R1, R2, R3)}
    org, ids = build(tmp_path / "2", lambda sb: lake_fn(sb, True))
    df = cloudtrail_coverage(org)
    m, lg = "111111111111", ids["logs"]
    org_gap = (f"cannot tell: the organization's CloudTrail Lake event data stores were not read in eu-west-1 "
               f"(management account {m}: AccessDeniedException, delegated administrator {lg}: ThrottlingException); "
               f"eu-south-1 (management account {m}: ThrottlingException, delegated administrator {lg}: "
               f"AccessDeniedException); known: ")
    for r in (R1, R2, R3):
        assert tuple(cell(df, ids["a"], r)[cols]) == own_unknown[r]  # already unknown: the first reason stays
        for acct in (m, ids["b"], lg):
            assert tuple(cell(df, acct, r)[cols]) == (
                "unknown", org_gap + known[r], "cloudtrail:ListEventDataStores", "ReadOnly")
        assert cell(df, ids["own"], r)["status"] == "covered"

    org, ids = build(tmp_path / "3", lambda sb: lake_fn(sb, False))
    df = cloudtrail_coverage(org)
    for r in (R1, R2, R3):
        assert tuple(cell(df, ids["a"], r)[cols]) == own_unknown[r]
        assert tuple(cell(df, ids["b"], r)[cols]) == (
            "unknown", "cannot tell: the account's own CloudTrail Lake event data stores were not read in eu-south-1 "
                       f"(ThrottlingException); us-east-1 (AccessDeniedException); known: {known[r]}",
            "cloudtrail:ListEventDataStores", "ReadOnly")
        assert tuple(cell(df, lg, r)[cols]) == ("partial", known[r], f"arn:aws:cloudtrail:{R1}:{m}:trail/org-reads",
                                                "ReadOnly")
        assert cell(df, ids["own"], r)["status"] == "covered"


def test_regions_an_organization_trail_cannot_reach_are_not_applicable_with_no_read_write(tmp_path):
    """A region the account disabled, and one missing from its region list: not_applicable even under an
    organization trail, with no read_write; its other regions covered."""
    def fn(sb):
        c, d = sb.account("C", regions={R3: "DISABLED"}), sb.account("D")
        sb.docs[d]["Regions"] = [x for x in sb.docs[d]["Regions"] if x["RegionName"] != R3]
        return dict(c=c, d=d, arn=sb.trail(sb.management, "org", organization=True))

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    cols = ["status", "reason", "source", "read_write"]
    assert tuple(cell(df, ids["c"], R3)[cols]) == (
        "not_applicable", "region not enabled for the account (DISABLED)", "account:ListRegions", None)
    assert tuple(cell(df, ids["d"], R3)[cols]) == (
        "not_applicable", "region not enabled for the account (not in its region list: account:ListRegions)",
        "account:ListRegions", None)
    assert tuple(cell(df, ids["d"], R2)[cols]) == (
        "covered", "read and write management events recorded by org (organization)", ids["arn"], "All")


def test_an_organisation_with_no_requested_region_has_no_cells(tmp_path):
    org, _ = build(tmp_path, lambda sb: dict(a=sb.account("A"), arn=sb.trail(sb.management, "org",
                                                                             organization=True)), regions=())
    df = cloudtrail_coverage(org)
    assert len(df) == 0 and list(df.columns) == ["account_id", "account_name", "ou_path", "region", "status",
                                                 "reason", "source", "trails", "read_write", "excluded_sources",
                                                 "delivery_errors"]


def test_global_events_in_two_regions_and_a_partly_read_account(tmp_path):
    """``global_event_regions`` given two regions: a trail without global service events is partial in both, and
    the reason names both; an account whose trails were read with one failed call (read status ``partial``) keeps
    the answer its trails give."""
    def fn(sb):
        a, b = sb.account("A"), sb.account("B")
        sb.error(b, None, "cloudtrail", "GetEventSelectors", "ThrottlingException")
        return dict(a=a, b=b, nogse=sb.trail(a, "nogse", IncludeGlobalServiceEvents=False),
                    stopped=sb.trail(b, "stopped", home_region=R2, multi_region=False, logging=False))

    org, ids = build(tmp_path, fn)
    assert set(org.reads.loc[(org.reads["service"] == "cloudtrail") & (org.reads["account_id"] == ids["b"]),
                             "status"]) == {"partial"}
    df = cloudtrail_coverage(org, global_event_regions=(R1, R2))
    cols = ["status", "reason", "source"]
    gap = ("partial", "management events recorded: read and write; no trail records global service events (IAM, "
                      "AWS STS, CloudFront), which CloudTrail records in us-east-1/eu-west-1: nogse has "
                      "IncludeGlobalServiceEvents false", ids["nogse"])
    assert tuple(cell(df, ids["a"], R1)[cols]) == gap and tuple(cell(df, ids["a"], R2)[cols]) == gap
    assert tuple(cell(df, ids["a"], R3)[cols]) == (
        "covered", "read and write management events recorded by nogse (multi-region)", ids["nogse"])
    assert tuple(cell(df, ids["b"], R2)[cols]) == ("not_logging", "stopped is not logging", ids["stopped"])
    assert tuple(cell(df, ids["b"], R1)[cols]) == ("none", "no trail applies", "cloudtrail:ListTrails")


def test_lake_gaps_compared_whole(tmp_path):
    """Where unread event data stores leave coverage in doubt: an organisation-wide gap names every reader's
    answer (one never tried); a region the management account disabled is no organisation-wide gap; an account's
    own gaps name the error code, or the read status when no error was recorded (never 'nan')."""
    from orgkit.coverage.cloudtrail import lake_gaps, lake_org_readers

    def fn(sb):
        m = sb.management
        sb.docs[m]["Regions"] = [dict(x, RegionOptStatus="DISABLED") if x["RegionName"] == R3 else x
                                 for x in sb.docs[m]["Regions"]]
        b, logs = sb.account("B"), sb.account("Logs")
        sb.delegate(logs, "cloudtrail.amazonaws.com")
        for who in (m, logs, b):
            sb.lake_read(who)
        del sb.docs[m]["CloudTrail"]["EventDataStores"][R2]  # never tried there
        sb.docs[m]["CloudTrail"]["EventDataStores"][R3] = None  # not read, no error recorded
        sb.lake_unread(R2, account=logs)
        sb.lake_unread(R1, code="ThrottlingException", account=b)
        return dict(m=m, b=b, logs=logs)

    org, ids = build(tmp_path, fn)
    m, lg = ids["m"], ids["logs"]
    assert lake_org_readers(org) == [m, lg]
    assert lake_gaps(org) == (
        [f"eu-west-1 (management account {m}: not read, delegated administrator {lg}: AccessDeniedException)"],
        {ids["b"]: ["us-east-1 (ThrottlingException)"], lg: ["eu-west-1 (AccessDeniedException)"],
         m: ["eu-south-1 (skipped)"]})


def test_cells_with_several_trails_in_each_state_compared_whole(tmp_path):
    """Each verdict with several trails behind it, so that the separators and every named trail are checked:
    unknown (two unreadable trails beside a read-only one), not_delivering (two failing, one stopped), partial
    (read-only, a failing write-only, two stopped), none (two data-only; two with management events off), covered
    (two trails, one failing and one stale beside them). Status, reason, source, read_write, delivery_errors."""
    def sel(rw, mgmt=True, data=False):
        return [{"ReadWriteType": rw, "IncludeManagementEvents": mgmt, "ExcludeManagementEventSources": [],
                 "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}] if data else []}]

    stale = {"IsLogging": True, "LatestDeliveryTime": T0 - _dt.timedelta(days=2),
             "StartLoggingTime": T0 - _dt.timedelta(days=30)}

    def fn(sb):
        acc = {k: sb.account(k) for k in "ABCDEF"}

        def t(k, name, **kw):
            return sb.trail(acc[k], name, home_region=R2, multi_region=False, **kw)

        ids = dict(acc=acc, a1=t("A", "a-nosel"), a2=t("A", "a-stale", status=dict(stale)),
                   a3=t("A", "a-reads", event_selectors=sel("ReadOnly")),
                   b1=t("B", "b-fail1", status=dict(FAILING)), b2=t("B", "b-fail2", status=dict(FAILING)),
                   b3=t("B", "b-stop", logging=False),
                   c1=t("C", "c-reads", event_selectors=sel("ReadOnly")),
                   c2=t("C", "c-writes-fail", event_selectors=sel("WriteOnly"), status=dict(FAILING)),
                   c3=t("C", "c-stop1", logging=False), c4=t("C", "c-stop2", logging=False),
                   d1=t("D", "d-data1", event_selectors=sel("All", False, True)),
                   d2=t("D", "d-data2", event_selectors=sel("All", False, True)),
                   e1=t("E", "e-off1", event_selectors=sel("All", False)),
                   e2=t("E", "e-off2", event_selectors=sel("All", False)),
                   f1=t("F", "f-one"), f2=t("F", "f-two"), f3=t("F", "f-fail1", status=dict(FAILING)),
                   f4=t("F", "f-stale", status=dict(stale)))
        d = sb.docs[acc["A"]]["CloudTrail"]["Trails"][ids["a1"]]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: AccessDeniedException"
        return ids

    org, ids = build(tmp_path, fn)
    df = cloudtrail_coverage(org)
    got = {k: tuple(cell(df, ids["acc"][k], R2)[["status", "reason", "source", "read_write", "delivery_errors"]])
           for k in "ABCDEF"}
    fail = "LatestDeliveryError AccessDenied; last delivered 2025-12-29T00:00:00Z, 3 d 0 h before the snapshot"
    late = "no log file delivered since 2025-12-30T00:00:00Z, 2 d 0 h before the snapshot, and no delivery error"
    assert got == {
        "A": ("unknown", f"cannot tell: {ids['a1']}: event selectors not read (GetEventSelectors: "
                         f"AccessDeniedException); {ids['a2']}: whether it delivers ({late}); the readable trails "
                         "record: read only", f"{ids['a1']}, {ids['a2']}", "ReadOnly", []),
        "B": ("not_delivering", f"b-fail1 logs but fails to deliver: {fail}; b-fail2 logs but fails to deliver: "
                                f"{fail}; b-stop is not logging", f"{ids['b1']}, {ids['b2']}", None,
              [ids["b1"], ids["b2"]]),
        "C": ("partial", f"management events recorded: read only; c-writes-fail ({ids['c2']}) fails to deliver: "
                         f"{fail}; c-stop1 is not logging; c-stop2 is not logging", ids["c1"], "ReadOnly",
              [ids["c2"]]),
        "D": ("none", "no trail records management events; d-data1, d-data2 record(s) data events only",
              f"{ids['d1']}, {ids['d2']}", None, []),
        "E": ("none", "the trails that apply record no management events", f"{ids['e1']}, {ids['e2']}", None, []),
        "F": ("covered", f"read and write management events recorded by f-one (single-region), f-two "
                         f"(single-region); f-fail1 ({ids['f3']}) fails to deliver: {fail}; f-stale ({ids['f4']}): "
                         f"{late}", f"{ids['f1']}, {ids['f2']}", "All", [ids["f3"]]),
    }


def test_lake_org_readers_compared_whole(tmp_path):
    """Who sees the organization's event data stores: the management account first, then every CloudTrail delegated
    administrator (not another service's) and every account an organization store was read through (its
    delegation not read), sorted; an account's own store read through its owner adds no one."""
    from orgkit.coverage.cloudtrail import lake_org_readers

    def fn(sb):
        logs, sec, x1, x2, own = (sb.account(n) for n in ("Logs", "Sec", "X1", "X2", "Own"))
        sb.delegate(logs, "cloudtrail.amazonaws.com")
        sb.delegate(sec, "guardduty.amazonaws.com")
        sb.event_data_store("via-x2", seen_by=(x2,))
        sb.event_data_store("via-x1", seen_by=(x1, logs))
        sb.event_data_store("own", organization=False, account=own)
        return dict(logs=logs, sec=sec, x1=x1, x2=x2)

    org, ids = build(tmp_path, fn)
    assert lake_org_readers(org) == ["111111111111", *sorted([ids["logs"], ids["x1"], ids["x2"]])]


def test_trail_details_without_name_or_home_region_and_trails_no_listing_shows(tmp_path):
    """A trail whose DescribeTrails entry lacks its name and home region takes them from its owner's listing; a
    snapshot whose trails appear in no ListTrails answer still lists them (listed by no account)."""
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "bare", home_region=R2)
        del sb.docs[a]["CloudTrail"]["Trails"][arn]["Trail"]["HomeRegion"]
        del sb.docs[a]["CloudTrail"]["Trails"][arn]["Trail"]["Name"]
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path / "1", fn)
    row = trail_inventory(org).set_index("trail_arn").loc[ids["arn"]]
    assert (row["name"], row["home_region"], row["status"], row["listed_by"]) == ("bare", R2, "ok", 1)

    def unlisted(sb):
        a = sb.account("A")
        arn = sb.trail(a, "unlisted")
        sb.docs[a]["CloudTrail"]["ListTrails"] = []
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path / "2", unlisted)
    inv = trail_inventory(org)
    assert _rows(inv, "trail_arn", ["name", "home_region", "kind", "listed_by", "status"]) == {
        ids["arn"]: ("unlisted", R1, "multi-region", 0, "ok")}


def test_an_unread_account_keeps_what_the_organization_trail_showed(tmp_path):
    """A member whose own trails were not read, under an organization trail that fails to deliver, is stopped or
    whose state was not read: unknown, and the reason keeps what the organization trail showed."""
    stopped = {"IsLogging": False}
    cases = {"failing": (dict(FAILING), "org logs but fails to deliver: LatestDeliveryError AccessDenied; last "
                                        "delivered 2025-12-29T00:00:00Z, 3 d 0 h before the snapshot"),
             "stopped": (stopped, "org is not logging"),
             "unread": ({}, "cannot tell: {arn}: logging state not read")}
    for name, (status, known) in cases.items():
        def fn(sb, status=status):
            a = sb.account("A")
            arn = sb.trail(sb.management, "org", organization=True, status=dict(status))
            sb.docs[a]["CloudTrail"]["ListTrails"] = None
            sb.error(a, None, "cloudtrail", "ListTrails", "AccessDeniedException")
            return dict(a=a, arn=arn)

        org, ids = build(tmp_path / name, fn)
        r = cell(cloudtrail_coverage(org), ids["a"], R2)
        assert (r["status"], r["reason"], r["source"]) == (
            "unknown", "the account's own trails are unknown: read failed: AccessDeniedException; known: "
                       + known.format(arn=ids["arn"]), "cloudtrail:ListTrails AccessDeniedException"), name


# issue 22: survivors of the mutation sample of orgkit/coverage/ (seed 22), each parse compared whole

def test_advanced_selectors_narrowed_twice_filtered_otherwise_and_on_data_arns_compared_whole():
    from orgkit.coverage.selectors import DataScope, TrailSelectors

    # an eventSource Equals narrowed again by a NotEquals: only the sources left
    t = parse_advanced([[MGMT_SEL, {"Field": "eventSource", "Equals": ["s3.amazonaws.com", "kms.amazonaws.com"]},
                         {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]])
    only_s3 = Scope("only", frozenset({"s3.amazonaws.com"}))
    assert t == TrailSelectors(known=True, read=only_s3, write=only_s3)
    # a management selector that also filters on eventName records only what that filter lets through
    t = parse_advanced([[MGMT_SEL, {"Field": "eventName", "Equals": ["ConsoleLogin"]}]])
    name_only = Scope("only", frozenset({"eventName filter"}))
    assert t == TrailSelectors(known=True, read=name_only, write=name_only, notes=[
        "management selector also filters on eventName: treated as partial"])
    assert t.management_summary() == "read and write, only eventName filter"
    # data events on some objects (ARN prefixes), written only
    t = parse_advanced([[{"Field": "eventCategory", "Equals": ["Data"]},
                         {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                         {"Field": "readOnly", "Equals": ["false"]},
                         {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b1/"],
                          "Equals": ["arn:aws:s3:::b2/key"]}]])
    scope = DataScope("AWS::S3::Object", ("arn:aws:s3:::b2/key", "arn:aws:s3:::b1/*"), False, True, ())
    assert t == TrailSelectors(known=True, data=[scope])
    assert scope.describe() == "S3 objects: arn:aws:s3:::b2/key, arn:aws:s3:::b1/* (write only)"


def test_collected_at_without_a_zone_is_utc_and_not_a_time_is_none(tmp_path):
    # the reference time of every age: a manifest time without a zone is read as UTC (aware, so that it can be
    # compared with the trails' delivery times), one in another zone converted, and "NaT" is no time at all
    from orgkit.coverage.cloudtrail import collected_at

    org, _ = build(tmp_path, lambda sb: {})
    utc = pd.Timestamp("2026-01-01T00:00:00", tz="UTC")
    for given, expected in [("2026-01-01T00:00:00", utc), ("2026-01-01T02:00:00+02:00", utc),
                            ("NaT", None), ("", None), (None, None), ("not a time", None)]:
        org.manifest["collected_at"] = given
        got = collected_at(org)
        assert (got, getattr(got, "tzname", lambda: None)()) == (expected, "UTC" if expected is not None else None)


def test_an_account_whose_trails_were_skipped_without_an_error_says_so_whole(tmp_path):
    # issue 22 (mutation sample, seed 22): a reachable, active account whose ListTrails was not done and recorded
    # no error: its cell is unknown, "not read: skipped", and its source says "not read"
    def fn(sb):
        a = sb.account("A")
        sb.docs[a]["CloudTrail"]["ListTrails"] = None
        return dict(a=a)

    org, ids = build(tmp_path, fn, regions=(R1,))
    assert cloudtrail_coverage(org).to_dict("records") == [
        {"account_id": "111111111111", "account_name": "Management", "ou_path": "Root", "region": R1,
         "status": "none", "reason": "no trail applies", "source": "cloudtrail:ListTrails", "trails": [],
         "read_write": None, "excluded_sources": [], "delivery_errors": []},
        {"account_id": ids["a"], "account_name": "A", "ou_path": "Root", "region": R1, "status": "unknown",
         "reason": "the account's own trails are unknown: not read: skipped; no organization trail covers it",
         "source": "not read", "trails": [], "read_write": None, "excluded_sources": [], "delivery_errors": []}]


def test_a_failing_trail_whose_selectors_were_not_read_is_still_named_in_delivery_errors(tmp_path):
    # issue 22 (the open survivor `_evaluate` 11 of TESTING.md): docs/coverage.md says delivery_errors holds "the
    # logging trails that apply to the cell and whose GetTrailStatus shows a LatestDeliveryError, whatever the
    # cell's status"; a trail whose selectors were not read was left out (fixed with this test)
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "t", status=dict(FAILING))
        d = sb.docs[a]["CloudTrail"]["Trails"][arn]
        d["EventSelectors"], d["Error"] = None, "GetEventSelectors: ThrottlingException"
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn, regions=(R1,))
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert dict(r) == {"account_id": ids["a"], "account_name": "A", "ou_path": "Root", "region": R1,
                       "status": "unknown", "reason": f"cannot tell: {ids['arn']}: event selectors not read "
                                                      f"(GetEventSelectors: ThrottlingException)",
                       "source": ids["arn"], "trails": [ids["arn"]], "read_write": None, "excluded_sources": [],
                       "delivery_errors": [ids["arn"]]}


def test_an_empty_error_text_is_no_reason_the_inventory_still_says_why(tmp_path):
    # issue 22 (the open survivor `trail_inventory` 88 of TESTING.md): a trail whose status was not read and whose
    # recorded error is an empty text: its row says "details not read", never an empty reason
    def fn(sb):
        a = sb.account("A")
        arn = sb.trail(a, "t")
        d = sb.docs[a]["CloudTrail"]["Trails"][arn]
        d["Status"], d["Error"] = None, ""
        return dict(a=a, arn=arn)

    org, ids = build(tmp_path, fn, regions=(R1,))
    inv = trail_inventory(org)
    assert inv[["trail_arn", "status", "reason"]].to_dict("records") == [
        {"trail_arn": ids["arn"], "status": "unknown", "reason": "details not read"}]
    assert cell(cloudtrail_coverage(org), ids["a"], R1)[["status", "reason", "source"]].tolist() == [
        "unknown", f"cannot tell: {ids['arn']}: logging state not read", ids["arn"]]


def test_scopes_and_data_scopes_describe_themselves_whole():
    # issue 22 (mutation sample, seed 23)
    from orgkit.coverage.selectors import DataScope

    assert Scope("except", frozenset()).describe() == "all event sources"
    assert Scope("except", frozenset({"kms.amazonaws.com", "rdsdata.amazonaws.com"})).describe() == \
        "all except kms.amazonaws.com, rdsdata.amazonaws.com"
    assert Scope("only", frozenset({"s3.amazonaws.com", "iam.amazonaws.com"})).describe() == \
        "only iam.amazonaws.com, s3.amazonaws.com"
    assert DataScope("AWS::S3::Object", ("*",), True, True, ("arn:aws:s3:::a/", "arn:aws:s3:::b/")).describe() == \
        "S3 objects: all except arn:aws:s3:::a/, arn:aws:s3:::b/"
    assert DataScope("AWS::Lambda::Function", ("*",), True, False).describe() == "Lambda functions: all (read only)"


def test_data_selector_exceptions_of_every_kind_compared_whole():
    # issue 22 (mutation sample, seed 23): resources.ARN NotEquals / NotStartsWith / NotEndsWith under a "*" scope
    from orgkit.coverage.selectors import DataScope, TrailSelectors

    t = parse_advanced([[{"Field": "eventCategory", "Equals": ["Data"]},
                         {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                         {"Field": "resources.ARN", "NotEquals": ["arn:aws:s3:::a/k"],
                          "NotStartsWith": ["arn:aws:s3:::logs/"], "NotEndsWith": [".tmp"]}]])
    scope = DataScope("AWS::S3::Object", ("*",), True, True, ("arn:aws:s3:::a/k", "arn:aws:s3:::logs/*", "*.tmp"))
    assert t == TrailSelectors(known=True, data=[scope])
    assert scope.describe() == "S3 objects: all except arn:aws:s3:::a/k, arn:aws:s3:::logs/*, *.tmp"


def test_applicability_of_an_organisation_without_trails_is_two_empty_parallel_arrays(tmp_path):
    # issue 22 (mutation sample, seed 23): ``cell`` and ``trail`` are parallel, also when no trail applies anywhere
    from orgkit.coverage.cloudtrail import applicability

    org, ids = build(tmp_path, lambda sb: dict(a=sb.account("A")), regions=(R1, R2))
    app = applicability(org)
    assert (app.accounts, app.regions, app.n_cells) == (["111111111111", ids["a"]], [R1, R2], 4)
    assert (app.cell.tolist(), app.trail.tolist(), str(app.cell.dtype), str(app.trail.dtype)) == \
        ([], [], "int64", "int64")


def test_two_trails_without_global_events_beside_a_read_only_one_are_both_named(tmp_path):
    # issue 22 (mutation sample, seed 24): the list of trails lacking IncludeGlobalServiceEvents, compared whole
    def fn(sb):
        a = sb.account("A")
        arns = [sb.trail(a, "ro", event_selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]),
                sb.trail(a, "x", IncludeGlobalServiceEvents=False), sb.trail(a, "y", IncludeGlobalServiceEvents=False)]
        return dict(a=a, arns=arns)

    org, ids = build(tmp_path, fn, regions=(R1,))
    r = cell(cloudtrail_coverage(org), ids["a"], R1)
    assert r[["status", "reason", "source", "trails", "read_write"]].tolist() == [
        "partial", "management events recorded: read and write; global service events (IAM, AWS STS, CloudFront) "
                   "recorded only read events here: x has IncludeGlobalServiceEvents false, y has "
                   "IncludeGlobalServiceEvents false", ", ".join(ids["arns"]), ids["arns"], "All"]
