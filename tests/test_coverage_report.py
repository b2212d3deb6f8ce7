"""The coverage review notebook's helpers: deterministic tables shaped from the coverage analyses."""

from pathlib import Path

import pandas as pd
import pytest

import orgkit
from orgkit import coverage as cov
from orgkit.coverage.report import (Note, accounts_without_guardduty, cost_assumptions, guardduty_regions,
                                    iac_drift, not_covered, resolve_tfstate, status_counts, unknown_cells)
from orgkit.demo import BUNDLED_TFSTATE


def cells(rows):
    """Rows (account_id, account_name, ou_path, region, status) → a coverage-shaped frame."""
    df = pd.DataFrame(rows, columns=["account_id", "account_name", "ou_path", "region", "status"])
    df["reason"] = [None if s in ("covered", "org_member") else f"why {s}" for s in df["status"]]
    df["source"] = [None if s in ("covered", "org_member") else f"src {s}" for s in df["status"]]
    return df


CT = cells([
    ("000000000002", "b", "Root/Z", "us-east-1", "covered"),
    ("000000000002", "b", "Root/Z", "eu-west-1", "not_applicable"),
    ("000000000001", "a", "Root/A", "us-east-1", "partial"),
    ("000000000001", "a", "Root/A", "eu-west-1", "none"),
    ("000000000003", "c", "Root/A", "us-east-1", "unknown"),
    ("000000000003", "c", "Root/A", "eu-west-1", "none"),
])

GD = cells([
    ("000000000001", "a", "Root/A", "us-east-1", "org_member"),
    ("000000000001", "a", "Root/A", "eu-west-1", "suspended"),
    ("000000000001", "a", "Root/A", "eu-south-1", "none"),
    ("000000000002", "b", "Root/B", "us-east-1", "none"),
    ("000000000002", "b", "Root/B", "eu-west-1", "not_applicable"),
    ("000000000002", "b", "Root/B", "eu-south-1", "unknown"),
    ("000000000003", "c", "Root/A", "us-east-1", "org_member"),
    ("000000000003", "c", "Root/A", "eu-west-1", "org_member"),
    ("000000000003", "c", "Root/A", "eu-south-1", "not_applicable"),
])


@pytest.fixture(scope="module")
def demo():
    org = orgkit.load()
    return org, cov.cloudtrail_coverage(org), cov.guardduty_coverage(org)


def test_status_counts_vocabulary_order_and_margins():
    one = status_counts(CT)
    assert list(one.columns) == ["covered", "partial", "none", "unknown", "not_applicable", "total"]
    assert one.loc["all"].tolist() == [1, 1, 2, 1, 1, 6]
    by = status_counts(CT, by="region", margins=True)
    assert list(by.index) == ["us-east-1", "eu-west-1", "all"]  # the frame's region order, then the total
    assert by.index.name == "region"
    assert by.loc["eu-west-1", "none"] == 2 and by.loc["eu-west-1", "total"] == 3
    assert by.loc["all"].tolist() == one.loc["all"].tolist()


def test_not_covered_worst_first_then_ou_account_region():
    g = not_covered(CT)
    assert list(g.columns) == ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"]
    assert list(zip(g["account_name"], g["region"], g["status"])) == [
        ("a", "eu-west-1", "none"), ("c", "eu-west-1", "none"), ("a", "us-east-1", "partial"),
        ("c", "us-east-1", "unknown"), ("b", "eu-west-1", "not_applicable")]
    assert g["reason"].tolist()[0] == "why none"
    assert set(not_covered(CT, not_applicable=False, unknown=False)["status"]) == {"none", "partial"}


def test_not_covered_guardduty_members_are_covered():
    g = not_covered(GD, not_applicable=False)
    assert "org_member" not in set(g["status"])
    assert g["status"].tolist() == ["none", "none", "suspended", "unknown"]


def test_accounts_without_guardduty():
    t = accounts_without_guardduty(GD)
    # b is watched nowhere: first; c is watched in every enabled region: absent
    assert t["account_name"].tolist() == ["b", "a"]
    b, a = t.iloc[0], t.iloc[1]
    assert (b["regions"], b["watched"], b["not_watched"]) == (2, 0, "none: us-east-1; unknown: eu-south-1")
    assert (a["regions"], a["watched"], a["not_watched"]) == (3, 1, "none: eu-south-1; suspended: eu-west-1")
    assert accounts_without_guardduty(GD[GD["account_id"] == "000000000003"]).empty


def test_unknown_cells_grouped_by_reason():
    t = unknown_cells(cloudtrail=CT, guardduty=GD)
    assert t[["service", "status", "cells", "accounts"]].values.tolist() == [
        ["cloudtrail", "not_applicable", 1, "b"], ["cloudtrail", "unknown", 1, "c"],
        ["guardduty", "not_applicable", 2, "b; c"], ["guardduty", "unknown", 1, "b"]]
    assert t.loc[2, "regions"] == "eu-west-1, eu-south-1"


def test_resolve_tfstate():
    assert resolve_tfstate(None, None) == BUNDLED_TFSTATE
    assert resolve_tfstate("snap/", None) is None
    assert resolve_tfstate("snap/", "tf.json") == "tf.json"
    assert resolve_tfstate(None, "tf.json") == "tf.json"


def test_iac_drift_names_files_by_name(demo, tmp_path):
    org = demo[0]
    t = iac_drift(org, BUNDLED_TFSTATE)
    assert t["status"].tolist() == sorted(t["status"])
    missing = t[t["status"] == "missing"]
    assert len(missing) and all(s.startswith(f"{Path(BUNDLED_TFSTATE).name}:") for s in missing["source"])
    assert not any(str(BUNDLED_TFSTATE.parent) in str(s) for s in t["source"])
    # the same file somewhere else gives the same table
    copy = tmp_path / BUNDLED_TFSTATE.name
    copy.write_bytes(BUNDLED_TFSTATE.read_bytes())
    pd.testing.assert_frame_equal(iac_drift(org, copy), t)
    note = iac_drift(org, None)
    assert isinstance(note, Note) and "no comparison" in repr(note) and "<p" in note._repr_html_()


def test_guardduty_regions_demo(demo):
    org, _, gd = demo
    t = guardduty_regions(org, gd)
    assert list(t.index) == list(dict.fromkeys(gd["region"]))
    admins = org.guardduty_admins.set_index("region")["admin_account_id"]
    for region in t.index:
        if region in admins.index:
            assert admins[region] in t.loc[region, "delegated_admin"]
        else:
            assert t.loc[region, "delegated_admin"] is None
        g = gd[gd["region"] == region]
        assert t.loc[region, ["administrator", "org_member", "none"]].sum() == \
            g["status"].isin(["administrator", "org_member", "none"]).sum()
        auto = g["auto_enable"].dropna()
        assert t.loc[region, "auto_enable"] == (auto.iloc[0] if len(auto) else None)
        enabled = g[g["status"] != "not_applicable"]
        assert t.loc[region, "watched"] == pytest.approx(
            enabled["status"].isin(["org_member", "invited_member", "administrator"]).mean(), abs=1e-3)


def test_cost_assumptions_state_the_parameters(demo):
    org = demo[0]
    dup = cov.duplicates(org, management_events_per_month=2_500_000, data_events_per_month=10, read_fraction=0.8)
    t = cost_assumptions(dup)
    v = t["value"].tolist()
    assert v[0] == "2,500,000" and v[1] == "80%" and v[2] == "10"
    assert v[5] == f"${dup.attrs['total_est_monthly_usd']:,.2f}"
    assert dup["est_monthly_usd"].sum() == pytest.approx(dup.attrs["total_est_monthly_usd"])


def test_helpers_say_what_the_coverage_frames_say_in_any_row_order(demo):
    """Each helper on the demo, checked against the coverage frames it shapes (counted here independently), and
    given the same frames with their rows shuffled: the same answer (order by region is the frame's own)."""
    from orgkit.coverage.report import COVERED

    org, ct, gd = demo

    def shuffle(df, seed):
        """The rows in another order, the regions' first appearances kept (helpers list regions in that order)."""
        rank = {r: i for i, r in enumerate(pd.unique(df["region"]))}
        return df.sample(frac=1, random_state=seed).sort_values("region", key=lambda r: r.map(rank), kind="stable")

    shuffled, ct_shuffled = shuffle(gd, 0), shuffle(ct, 1)
    assert not shuffled.index.equals(gd.index)
    key = ["account_id", "region", "status"]

    gaps = not_covered(gd)
    assert sorted(map(tuple, gaps[key].values)) == sorted(map(tuple, gd.loc[~gd["status"].isin(COVERED), key].values))
    assert gaps["status"].iloc[0] != "not_applicable" and gaps["status"].iloc[-1] in ("unknown", "not_applicable")
    pd.testing.assert_frame_equal(not_covered(shuffled).reset_index(drop=True), gaps.reset_index(drop=True))

    acc = accounts_without_guardduty(gd).set_index("account_id")
    enabled = gd[gd["status"] != "not_applicable"]
    watched = enabled[enabled["status"].isin(COVERED)].groupby("account_id").size()
    regions = enabled.groupby("account_id").size()
    assert set(acc.index) == set(regions[regions > watched.reindex(regions.index, fill_value=0)].index)
    for aid, row in acc.iterrows():
        assert (row["regions"], row["watched"]) == (regions[aid], watched.get(aid, 0)), aid
        for _, cell_ in enabled[(enabled["account_id"] == aid) & ~enabled["status"].isin(COVERED)].iterrows():
            assert cell_["status"] in row["not_watched"] and cell_["region"] in row["not_watched"]
    pd.testing.assert_frame_equal(accounts_without_guardduty(shuffled).drop(columns="not_watched"),
                                  accounts_without_guardduty(gd).drop(columns="not_watched"))

    sc = status_counts(ct, "region")
    want = pd.crosstab(ct["region"], ct["status"])
    for region in want.index:
        for status in want.columns:
            assert sc.loc[region, status] == want.loc[region, status], (region, status)
        assert sc.loc[region, "total"] == (ct["region"] == region).sum()
    pd.testing.assert_frame_equal(status_counts(ct_shuffled, "region"), sc)

    uc = unknown_cells(cloudtrail=ct, guardduty=gd)
    for service, df in (("cloudtrail", ct), ("guardduty", gd)):
        for status in ("unknown", "not_applicable"):
            got = uc[(uc["service"] == service) & (uc["status"] == status)]["cells"].sum()
            assert got == (df["status"] == status).sum(), (service, status)
    pd.testing.assert_frame_equal(unknown_cells(cloudtrail=ct_shuffled, guardduty=shuffled), uc)

    gr = guardduty_regions(org, gd)
    per = pd.crosstab(gd["region"], gd["status"])
    for region in per.index:
        for status in per.columns:
            assert gr.loc[region, status] == per.loc[region, status], (region, status)
    pd.testing.assert_frame_equal(guardduty_regions(org, shuffled), gr)