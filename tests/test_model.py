"""The loaded Org: frames with documented columns and dtypes, and the OU graph."""

import networkx as nx
import pandas as pd
import pytest

from orgkit.model import FRAMES
from orgkit.testing import SnapshotSpec


@pytest.fixture
def built(tmp_path):
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1", "eu-south-1"])
    eng = sb.ou("Engineering")
    prod = sb.ou("Prod", parent=eng)
    app = sb.account("App", parent=prod, regions={"eu-south-1": "DISABLED"})
    dark = sb.account("Dark", parent=eng, access="none")
    deny = sb.policy("DenyLeave", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}, targets=[eng])
    org_trail = sb.trail(sb.management, "org", organization=True)
    sb.trail(app, "local", home_region="eu-west-1", multi_region=False,
             advanced_event_selectors=[{"Name": "x", "FieldSelectors": [
                 {"Field": "eventCategory", "Equals": ["Management"]}]}])
    did = sb.detector(sb.management, "us-east-1",
                      members=[sb.member(app, sb.management, invited=True), sb.member(dark, sb.management)],
                      org_config={"AutoEnable": True, "AutoEnableOrganizationMembers": "ALL",
                                  "MemberAccountLimitReached": False})
    sb.detector(app, "us-east-1", administrator={"AccountId": sb.management, "RelationshipStatus": "Enabled",
                                                 "InvitationId": "i1", "InvitedAt": "2026-01-01T00:00:00.000Z"})
    sb.error(app, "eu-west-1", "guardduty", "ListDetectors", "AccessDeniedException")
    sb.docs[app]["GuardDuty"]["eu-west-1"] = {"DetectorIds": None}
    org = sb.load(tmp_path / "snap")
    return org, dict(eng=eng, prod=prod, app=app, dark=dark, deny=deny, org_trail=org_trail, did=did, sb=sb)


def test_every_frame_has_its_documented_columns(built):
    org, _ = built
    for name, cols in FRAMES.items():
        assert list(org.frames[name].columns) == cols, name


def test_graph(built):
    org, ids = built
    g = org.graph
    assert nx.is_tree(g)
    root = org.root_id
    assert g.nodes[root]["kind"] == "root" and g.nodes[root]["depth"] == 0
    assert g.nodes[ids["prod"]]["path"] == "Root/Engineering/Prod"
    assert g.nodes[ids["prod"]]["depth"] == 2
    assert g.nodes[ids["app"]]["kind"] == "account" and g.nodes[ids["app"]]["depth"] == 3
    assert g.nodes[ids["eng"]]["scps"] == sorted(["p-FullAWSAccess", ids["deny"]])
    assert g.nodes[org.management_account_id]["is_management"] is True
    assert org.ancestors(ids["app"]) == [root, ids["eng"], ids["prod"], ids["app"]]


def test_accounts_frame(built):
    org, ids = built
    a = org.accounts.set_index("account_id")
    assert a.loc[ids["app"], "ou_path"] == "Root/Engineering/Prod"
    assert a.loc[ids["dark"], "access"] == "none"
    assert bool(a.loc[org.management_account_id, "is_management"])
    assert str(org.accounts["joined_at"].dtype) == "datetime64[ns, UTC]" or "UTC" in str(org.accounts["joined_at"].dtype)


def test_regions_and_reads(built):
    org, ids = built
    r = org.regions.set_index(["account_id", "region"])
    assert r.loc[(ids["app"], "eu-south-1"), "enabled"] == False  # noqa: E712
    assert r.loc[(ids["app"], "us-east-1"), "enabled"] == True  # noqa: E712
    reads = org.reads.set_index(["account_id", "region", "service"])
    assert reads.loc[(ids["app"], "eu-west-1", "guardduty"), "status"] == "error"
    assert reads.loc[(ids["app"], "eu-west-1", "guardduty"), "error_code"] == "AccessDeniedException"
    assert reads.loc[(ids["app"], "us-east-1", "guardduty"), "status"] == "ok"
    dark = org.reads[org.reads.account_id == ids["dark"]]
    assert set(dark[dark.service != "regions"].status) == {"skipped"}, "an unreached account is never read as empty"
    assert set(dark[dark.service == "regions"].status) == {"ok"}, "regions come from the management account"


def test_trails_and_selectors(built):
    org, ids = built
    t = org.trails.set_index("trail_arn")
    assert bool(t.loc[ids["org_trail"], "is_organization_trail"])
    assert t.loc[ids["org_trail"], "selector_kind"] == "basic"
    local = org.trails[org.trails.name == "local"].iloc[0]
    assert local.selector_kind == "advanced" and local.account_id == ids["app"]
    assert org.trails["is_logging"].dtype == "boolean"
    listings = org.trail_listings[org.trail_listings.trail_arn == ids["org_trail"]]
    assert set(listings.account_id) >= {ids["app"], org.management_account_id}
    adv = org.event_selectors[org.event_selectors.kind == "advanced"].iloc[0]
    assert adv.field_selectors == [{"Field": "eventCategory", "Equals": ["Management"]}]


def test_guardduty_frames(built):
    org, ids = built
    m = org.guardduty_members.set_index("account_id")
    assert bool(m.loc[ids["app"], "by_invitation"]) and not bool(m.loc[ids["dark"], "by_invitation"])
    assert pd.isna(m.loc[ids["dark"], "invited_at"]) and pd.isna(m.loc[ids["dark"], "email"])
    assert "UTC" in str(org.guardduty_members["invited_at"].dtype)
    cfg = org.guardduty_org_config.iloc[0]
    assert cfg.auto_enable_organization_members == "ALL" and cfg.admin_account_id == org.management_account_id
    adm = org.guardduty_administrators.iloc[0]
    assert adm.account_id == ids["app"] and adm.administrator_id == org.management_account_id
    assert len(org.detectors) == 2


def test_empty_frames_have_columns(tmp_path):
    org = SnapshotSpec().load(tmp_path / "s")
    assert org.trails.empty and list(org.trails.columns) == FRAMES["trails"]
    assert org.detectors.empty
