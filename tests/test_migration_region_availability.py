"""A plan AWS does not offer in a region, end to end in the local AWS (issue 20, point 4): the plan leaves RDS
Protection out of Taipei's Features (a pre-flight note), so the run completes, and the organisation configuration
auto-enables RDS Protection where it is offered and not in Taipei. Sending it there is refused (the local AWS,
conformance G15), which is what the plan avoids. A region the demo does not use (ap-east-2, opt-in)."""

from __future__ import annotations

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import execute
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

REGIONS = ["us-east-2", "ap-east-2"]
SCENARIO = {
    "name": "taipei",
    "seed": 29,
    "regions": REGIONS,
    "service_access": ["account.amazonaws.com"],
    "enable_opt_in_regions": ["ap-east-2"],
    "ous": {"Sec": {}, "Apps": {}},
    "accounts": [{"key": "sec", "name": "Sec", "ou": "Sec"}, {"key": "app", "name": "App", "ou": "Apps"}],
    "guardduty": {
        "detectors": [{"account": "sec", "regions": REGIONS}],
        "invitations": [{"admin": "sec", "region": r, "members": ["app"], "accept": ["app"]} for r in REGIONS],
    },
}


def test_rds_protection_is_left_out_of_taipei_and_the_run_completes(local_aws, tmp_path):
    ids = build_org(local_aws, SCENARIO)
    url = local_aws.endpoint_url
    before = load(collect(tmp_path / "before", factory=SessionFactory(endpoint_url=url), regions=REGIONS,
                          progress=False, workers=4))
    plan = plan_migration(before, admin=ids["sec"], auto_enable="ALL",
                          features=["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"])
    assert plan.features_by_region == {"us-east-2": ["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"],
                                       "ap-east-2": ["S3_DATA_EVENTS"]}
    assert [(i.region, i.severity) for i in plan.issues if i.check == "plan_not_offered"] == [("ap-east-2", "info")]
    result = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=tmp_path / "j.json",
                     dry_run=False, recollect_to=tmp_path / "after")
    assert result.ok, result.frame()
    after = load(result.after_snapshot)
    oc = after.guardduty_org_config.set_index("region")
    auto = {r: {f["Name"]: f["AutoEnable"] for f in oc.loc[r, "features"]} for r in REGIONS}
    assert auto["us-east-2"]["RDS_LOGIN_EVENTS"] == "ALL" and auto["us-east-2"]["S3_DATA_EVENTS"] == "ALL"
    assert "RDS_LOGIN_EVENTS" not in auto["ap-east-2"] and auto["ap-east-2"]["S3_DATA_EVENTS"] == "ALL"
    # what the plan avoids: the same call with RDS Protection in Taipei is refused
    gd = local_aws.client("guardduty", region="ap-east-2", account_id=ids["sec"])
    did = gd.list_detectors()["DetectorIds"][0]
    with pytest.raises(gd.exceptions.BadRequestException):
        gd.update_organization_configuration(DetectorId=did, AutoEnableOrganizationMembers="ALL",
                                             Features=[{"Name": "RDS_LOGIN_EVENTS", "AutoEnable": "ALL"}])
