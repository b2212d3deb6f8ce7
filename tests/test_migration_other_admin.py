"""The executor's other paths, end to end on a small organisation in the local AWS: migrating away from another
(invitation) administrator, an old administrator that keeps a member outside the organisation, a suspended member
of the new administrator under auto-enable NEW (it re-enables its own detector), the management account enrolled
after its detector is enabled, and a protection plan set with NEW before CreateMembers so that it reaches the
accounts CreateMembers adds."""

from __future__ import annotations

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import execute
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

REGIONS = ["us-east-1", "eu-west-1"]
PARTNER = "000022223333"
EXT_ADMIN = "000033334444"  # an administrator outside the organisation
SCENARIO = {
    "name": "two-admins",
    "seed": 11,
    "regions": REGIONS,
    "ous": {"Security": {}, "Work": {}},
    "accounts": [
        {"key": "security", "name": "Security", "ou": "Security"},
        {"key": "legacy", "name": "Legacy Admin", "ou": "Work"},
        {"key": "data", "name": "Data", "ou": "Work"},
        {"key": "app", "name": "App", "ou": "Work"},
        {"key": "susp", "name": "Suspended", "ou": "Work"},
    ],
    "external_accounts": [{"key": "partner", "id": PARTNER}, {"key": "extadm", "id": EXT_ADMIN}],
    "guardduty": {
        "detectors": [{"account": "security", "regions": REGIONS}],
        "invitations": [
            {"admin": "legacy", "region": "us-east-1", "members": ["data", "partner"], "accept": ["data", "partner"]},
            {"admin": "security", "region": "us-east-1", "members": ["app", "susp"], "accept": ["app", "susp"]},
            {"admin": "security", "region": "eu-west-1", "members": ["app"], "accept": ["app"]},
            {"admin": "extadm", "region": "eu-west-1", "members": ["data"], "accept": ["data"]},
        ],
        "suspend": [{"account": "susp", "region": "us-east-1"}],
        # the administrator stopped monitoring App in eu-west-1 (its detector stays on)
        "stop_monitoring": [{"admin": "security", "region": "eu-west-1", "members": ["app"]}],
    },
}


@pytest.fixture(scope="module")
def migrated(local_aws, tmp_path_factory):
    ids = build_org(local_aws, SCENARIO)
    tmp = tmp_path_factory.mktemp("gd2")
    url = local_aws.endpoint_url
    before = load(collect(tmp / "before", factory=SessionFactory(endpoint_url=url), regions=REGIONS,
                          progress=False, workers=8))
    plan = plan_migration(before, admin=ids["security"], auto_enable="NEW", features=["S3_DATA_EVENTS"])
    result = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=tmp / "j.json",
                     dry_run=False, recollect_to=tmp / "after")
    yield {"ids": ids, "before": before, "plan": plan, "result": result, "after": load(result.after_snapshot),
           "aws": local_aws}


def test_plan_disassociates_the_old_admin_first_and_keeps_it_for_its_outside_member(migrated):
    plan, ids = migrated["plan"], migrated["ids"]
    kinds = [s.kind for s in plan.steps if s.region == "us-east-1"]
    # AWS's order: release the members of the old administrators, designate, configure, then enrol
    assert kinds == ["resume_suspended", "disassociate_other_admin", "designate_admin", "enable_admin_detector",
                     "set_auto_enable", "align_features", "enable_management_detector", "enrol_members",
                     "keep_external_members", "verify"]
    dis = next(s for s in plan.steps if s.kind == "disassociate_other_admin")
    assert (dis.account_id, dis.params["AccountIds"]) == (ids["legacy"], [ids["data"]])
    warn = [i for i in plan.issues if i.check == "old_admin_keeps_external_members"]
    assert [(i.region, i.account_id) for i in warn] == [("us-east-1", ids["legacy"])]
    assert ids["legacy"] not in plan.expected_members["us-east-1"]
    assert ids["legacy"] in plan.expected_members["eu-west-1"]


def test_an_administrator_outside_the_organisation_is_left_by_its_members(migrated):
    plan, ids, res = migrated["plan"], migrated["ids"], migrated["result"]
    eu = [s for s in plan.steps if s.region == "eu-west-1"]
    leave = [s for s in eu if s.kind == "disassociate_other_admin"]
    assert [(s.account_id, s.api, s.other_admin) for s in leave] == \
        [(ids["data"], "guardduty:DisassociateFromAdministratorAccount", EXT_ADMIN)]
    assert eu.index(leave[0]) < [s.kind for s in eu].index("enrol_members")
    assert (ids["data"], "eu-west-1", "DisassociateFromAdministratorAccount") in res.writes
    assert not [w for w in res.writes if w[0] == EXT_ADMIN]  # nothing is done as the outside administrator
    gd = migrated["aws"].client("guardduty", region="eu-west-1", account_id=ids["data"])
    det = gd.list_detectors()["DetectorIds"][0]
    assert gd.get_administrator_account(DetectorId=det)["Administrator"]["AccountId"] == ids["security"]


def test_the_run_completes_and_the_members_moved(migrated):
    res, ids, after = migrated["result"], migrated["ids"], migrated["after"]
    assert res.ok, res.frame()
    ops = [(w[0], w[1], w[2]) for w in res.writes]
    assert (ids["legacy"], "us-east-1", "DisassociateMembers") in ops
    assert (ids["susp"], "us-east-1", "UpdateDetector") in ops
    mgmt = migrated["before"].management_account_id
    for region in REGIONS:
        order = [o for o in ops if o[1] == region]
        create = order.index((ids["security"], region, "CreateMembers"))
        assert order.index((mgmt, region, "EnableOrganizationAdminAccount")) < create
        assert order.index((mgmt, region, "CreateDetector")) < create  # the management account's own detector
        assert max(i for i, o in enumerate(order) if o[2] == "UpdateOrganizationConfiguration") < create
    assert ops.index((ids["legacy"], "us-east-1", "DisassociateMembers")) < \
        ops.index((mgmt, "us-east-1", "EnableOrganizationAdminAccount"))
    assert not [o for o in ops if o[2].startswith("Delete")]
    m = after.guardduty_members
    sec = m[m["administrator_id"] == ids["security"]]
    for region in REGIONS:
        want = set(migrated["plan"].expected_members[region])
        got = sec[sec["region"] == region]
        assert want <= set(got.loc[got["relationship_status"].isin(["Enabled", "Disabled"])
                                   & ~got["by_invitation"], "account_id"]), region
    # Data kept its detector (and so its findings); the suspended detector runs again
    b, a = migrated["before"].detectors, after.detectors
    assert set(zip(b["account_id"], b["region"], b["detector_id"])) <= \
        set(zip(a["account_id"], a["region"], a["detector_id"]))
    assert a.query(f"account_id == '{ids['susp']}' and region == 'us-east-1'").iloc[0]["status"] == "ENABLED"
    # auto-enable and the protection plan kept, in every region
    for c in after.guardduty_org_config.to_dict("records"):
        assert c["auto_enable_organization_members"] == "NEW"
        assert {f["Name"]: f["AutoEnable"] for f in c["features"]}["S3_DATA_EVENTS"] == "NEW"
    # the management account is a member, its detector enabled
    for region in REGIONS:
        assert mgmt in set(sec.loc[(sec["region"] == region) & (sec["relationship_status"] == "Enabled"),
                                   "account_id"])


def test_a_protection_plan_set_with_new_reaches_the_accounts_createmembers_adds(migrated):
    """CreateMembers "applies your organization's auto-enable settings to the member accounts in this request":
    with the configuration set first, Data (enrolled by CreateMembers in us-east-1) has S3 protection; had the
    configuration come after CreateMembers, NEW would never have reached it."""
    ids, after, plan = migrated["ids"], migrated["after"], migrated["plan"]
    enrolled = [d["AccountId"] for s in plan.steps if s.kind == "enrol_members" and s.region == "us-east-1"
                for d in s.params["AccountDetails"]]
    assert ids["data"] in enrolled
    det = after.detectors.set_index(["account_id", "region"])
    on = {f["Name"] for f in det.loc[(ids["data"], "us-east-1"), "features"] if f.get("Status") == "ENABLED"}
    assert "S3_DATA_EVENTS" in on
    # App was already a member (converted at designation): NEW does not reach it, and the plan said so
    warn = [i for i in plan.issues if i.check == "features_new_skip_existing_members"]
    assert [i.region for i in warn] == REGIONS and all(ids["app"] in i.message for i in warn)
    assert sorted(after.guardduty_org_config["region"]) == sorted(REGIONS)


def test_the_outside_member_stays_with_the_old_admin(migrated):
    ids, aws = migrated["ids"], migrated["aws"]
    gd = aws.client("guardduty", region="us-east-1", account_id=ids["legacy"])
    det = gd.list_detectors()["DetectorIds"][0]
    m = gd.get_members(DetectorId=det, AccountIds=[PARTNER])["Members"][0]
    assert m["RelationshipStatus"] == "Enabled" and m.get("InvitedAt")
    d = gd.get_members(DetectorId=det, AccountIds=[ids["data"]])["Members"][0]
    assert d["RelationshipStatus"] == "Removed"  # disassociated, not deleted


def test_cli_without_snapshot_keeps_the_one_it_collects_for_resuming(migrated, tmp_path, capsys):
    from orgkit.cli import main

    url, admin = migrated["aws"].endpoint_url, migrated["ids"]["security"]
    journal = tmp_path / "gd.json"
    args = ["guardduty", "migrate", "--admin", admin, "--regions", ",".join(REGIONS), "--endpoint-url", url,
            "--auto-enable", "NEW", "--features", "S3_DATA_EVENTS",
            "--apply", "--journal", str(journal), "--no-recollect"]
    assert main(args) == 0
    first = capsys.readouterr()
    assert (tmp_path / "gd-before" / "manifest.json").exists()
    assert "collecting one now" in first.err and "0 write call(s)" in first.out  # already migrated
    assert main(args) == 0
    assert "collected by the earlier run of this journal" in capsys.readouterr().err
    assert main(["guardduty", "migrate", "--admin", admin, "--apply"]) == 2  # no journal: refused before any call


def test_monitoring_the_administrator_stopped_is_restarted_with_start_monitoring_members(migrated):
    """AWS (StartMonitoringMembers): "Use this operation to restart monitoring of accounts that you stopped
    monitoring with the StopMonitoringMembers operation." The member's own detector is on: UpdateDetector by the
    member would change nothing, CreateMembers skips an existing member."""
    plan, ids, before, after = migrated["plan"], migrated["ids"], migrated["before"], migrated["after"]
    m = before.guardduty_members
    rec = m[(m["account_id"] == ids["app"]) & (m["region"] == "eu-west-1")].iloc[0]
    assert rec["relationship_status"] == "Disabled"
    st = [s for s in plan.steps if s.kind == "start_monitoring"]
    assert [(s.region, s.account_id, s.api, s.params["AccountIds"]) for s in st] == [
        ("eu-west-1", ids["security"], "guardduty:StartMonitoringMembers", [ids["app"]])]
    assert not [s for s in plan.steps if s.kind == "resume_suspended" and s.account_id == ids["app"]]
    ops = {(op, region) for _, region, op in migrated["result"].writes}
    assert ("StartMonitoringMembers", "eu-west-1") in ops
    m = after.guardduty_members
    rec = m[(m["account_id"] == ids["app"]) & (m["region"] == "eu-west-1")
            & (m["administrator_id"] == ids["security"])].iloc[0]
    assert rec["relationship_status"] == "Enabled"
