"""Protection plans AWS does not offer in a region (issue 20, point 4): the plan leaves them out of that region's
Features with a pre-flight note per (region, plan), and coverage calls them not_applicable there, never partial.

A held-out style organisation: regions and plans the demo does not use (Taipei, the China regions; RDS Protection,
Runtime Monitoring with its agent management). No AWS: hand-built snapshots (the local AWS side is
tests/test_localaws_conformance_guardduty.py::test_g15_...).
"""

from __future__ import annotations

from orgkit.coverage.guardduty import AGENT_MANAGEMENT, PLANS, guardduty_coverage, plan_view
from orgkit.guardduty import plan_migration
from orgkit.guardduty.availability import NOT_OFFERED, is_offered, not_offered, why_not_offered
from orgkit.testing import SnapshotSpec, detector_features

TAIPEI, BEIJING, NINGXIA, SEOUL = "ap-east-2", "cn-north-1", "cn-northwest-1", "ap-northeast-2"
ALL_ON = ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING", "EC2_AGENT_MANAGEMENT",
          "ECS_FARGATE_AGENT_MANAGEMENT"]


def test_every_entry_of_the_table_carries_the_aws_sentence_its_page_and_the_date_read():
    assert NOT_OFFERED, "the table is empty"
    for (region, feature), why in NOT_OFFERED.items():
        assert why["sentence"].endswith(".") and "not supported" in why["sentence"], (region, feature)
        assert why["url"].startswith("https://docs.") and why["read"][:4].isdigit()
    assert not_offered(TAIPEI) == ("RDS_LOGIN_EVENTS",)
    assert set(not_offered(BEIJING)) == {"RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"}
    # agent management goes where Runtime Monitoring goes; a region no page names lacks nothing
    assert why_not_offered(NINGXIA, "EC2_AGENT_MANAGEMENT")["url"].startswith("https://docs.amazonaws.cn/")
    assert all(is_offered(SEOUL, p) for p in PLANS + AGENT_MANAGEMENT)


def _org(tmp_path, regions, features=None, org_features=None):
    sb = SnapshotSpec(regions=list(regions))
    sec, app, ops = sb.account("Sec"), sb.account("App"), sb.account("Ops")
    for r in regions:
        sb.detector(sec, r, administrator={}, members=[SnapshotSpec.member(app, sec, invited=True)],
                    features=features)
    return sb, {"sec": sec, "app": app, "ops": ops}


def test_the_plan_notes_each_region_and_plan_aws_does_not_offer_and_sends_the_others(tmp_path):
    regions = [SEOUL, TAIPEI, BEIJING]
    sb, ids = _org(tmp_path, regions)
    org = sb.load(tmp_path / "s")
    plan = plan_migration(org, admin=ids["sec"], features=ALL_ON)
    agents = ["ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT"]
    assert plan.features_by_region == {SEOUL: ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"],
                                       TAIPEI: ["S3_DATA_EVENTS", "RUNTIME_MONITORING"],
                                       BEIJING: ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"]}
    assert plan.agents_by_region == {SEOUL: agents, TAIPEI: agents, BEIJING: []}
    notes = sorted((i.region, i.message.split(" ")[0], i.severity) for i in plan.issues
                   if i.check == "plan_not_offered")
    assert notes == [(TAIPEI, "RDS_LOGIN_EVENTS", "info"), (BEIJING, "EC2_AGENT_MANAGEMENT", "info"),
                     (BEIJING, "ECS_FARGATE_AGENT_MANAGEMENT", "info"), (BEIJING, "RUNTIME_MONITORING", "info")]
    china = next(i for i in plan.issues if i.check == "plan_not_offered" and i.region == BEIJING)
    assert "Runtime Monitoring (including EKS Runtime Monitoring) is not supported in the China Regions." \
        in china.message and "docs.amazonaws.cn" in china.message
    # what the executor would send: no Features entry, no AdditionalConfiguration, the region is not blocked
    for region in (TAIPEI, BEIJING):
        st = next(s for s in plan.steps if s.region == region and s.kind == "align_features")
        sent = {f["Name"]: f for f in st.params["Features"]}
        assert set(sent) == set(plan.features_by_region[region])
        assert all("AdditionalConfiguration" not in f for f in sent.values()) or region != BEIJING
    assert plan.blocked_regions() == []
    assert not [i for i in plan.issues if i.region == SEOUL and i.check == "plan_not_offered"]


def test_the_legacy_eks_runtime_feature_in_china_is_a_note_not_a_migration_warning(tmp_path):
    # carried from the administrator's detector: EKS Runtime Monitoring is not offered in the China regions either
    feats = [{"Name": "EKS_RUNTIME_MONITORING", "Status": "ENABLED"}, {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]
    sb, ids = _org(tmp_path, [NINGXIA], features=feats)
    plan = plan_migration(sb.load(tmp_path / "s"), admin=ids["sec"])
    assert plan.features_by_region == {NINGXIA: ["S3_DATA_EVENTS"]}
    checks = {i.check for i in plan.issues if i.region == NINGXIA}
    assert "plan_not_offered" in checks and "legacy_eks_runtime" not in checks




def test_a_required_plan_not_offered_in_the_region_is_not_applicable_not_partial(tmp_path):
    """The organisation auto-enables RDS Protection and Runtime Monitoring (with EC2 agent management) everywhere;
    in Taipei RDS Protection does not exist, in Beijing Runtime Monitoring does not: members there are covered,
    and the plan view says not_applicable. In Seoul the same member with RDS off is partial (the rule still
    bites where the plan is offered)."""
    regions = [SEOUL, TAIPEI, BEIJING]
    sb = SnapshotSpec(regions=regions)
    sec, a = sb.account("Sec"), sb.account("A")
    sb.gd_admins = {r: [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}] for r in regions}
    cfg = {"AutoEnableOrganizationMembers": "ALL",
           "Features": [{"Name": "RDS_LOGIN_EVENTS", "AutoEnable": "ALL"},
                        {"Name": "RUNTIME_MONITORING", "AutoEnable": "ALL",
                         "AdditionalConfiguration": [{"Name": "EC2_AGENT_MANAGEMENT", "AutoEnable": "ALL"}]}]}
    for r in regions:
        sb.detector(sec, r, members=[sb.member(a, sec)], org_config=cfg,
                    features=detector_features({"RDS_LOGIN_EVENTS", "RUNTIME_MONITORING"}, {"EC2_AGENT_MANAGEMENT"}, r))
    sb.detector(a, SEOUL, features=detector_features({"RUNTIME_MONITORING"}, {"EC2_AGENT_MANAGEMENT"}, SEOUL))
    sb.detector(a, TAIPEI, features=detector_features({"RUNTIME_MONITORING"}, {"EC2_AGENT_MANAGEMENT"}, TAIPEI))
    sb.detector(a, BEIJING, features=detector_features({"RDS_LOGIN_EVENTS"}, (), BEIJING))
    df = guardduty_coverage(sb.load(tmp_path / "s"))

    def row(region):
        return df[(df["account_id"] == a) & (df["region"] == region)].iloc[0]

    assert row(SEOUL)["status"] == "partial" and row(SEOUL)["missing_plans"] == ("RDS_LOGIN_EVENTS",)
    t = row(TAIPEI)
    assert t["status"] == "org_member" and t["missing_plans"] == ()
    assert "RDS_LOGIN_EVENTS" not in t["required_plans"] and "not applicable in ap-east-2: RDS_LOGIN_EVENTS" \
        in t["reason"]
    b = row(BEIJING)
    assert b["status"] == "org_member" and b["missing_plans"] == () and b["required_plans"] == ("RDS_LOGIN_EVENTS",)
    assert "RUNTIME_MONITORING, EC2_AGENT_MANAGEMENT" in b["reason"]
    view = plan_view(df).set_index(["account_id", "region"])
    assert view.loc[(a, TAIPEI), "RDS_LOGIN_EVENTS"] == "not_applicable"
    assert view.loc[(a, BEIJING), "RUNTIME_MONITORING"] == "not_applicable"
    assert view.loc[(a, BEIJING), "EC2_AGENT_MANAGEMENT"] == "not_applicable"
    assert view.loc[(a, SEOUL), "RDS_LOGIN_EVENTS"] == "off (required)"
    # --require-plans names them explicitly: the same answer
    df2 = guardduty_coverage(sb.load(tmp_path / "s2"), require_plans="RDS_LOGIN_EVENTS,RUNTIME_MONITORING")
    st = dict(zip(df2.loc[df2["account_id"] == a, "region"], df2.loc[df2["account_id"] == a, "status"]))
    assert st == {SEOUL: "partial", TAIPEI: "org_member", BEIJING: "org_member"}
