"""Re-enabling suspended members (issue 20, point 6), end to end in the local AWS: who re-enables depends on who
controls the member's GuardDuty status.

* An organisation member of the new administrator: the administrator does (AWS: an administrator can "enable,
  suspend, or disable the status of GuardDuty on behalf of associated member accounts"; a member "can disable
  GuardDuty themselves" only once removed): StartMonitoringMembers, step ``start_monitoring``.
* An invitation member of the new administrator: the member does, itself, before the switch (AWS, for invitation
  members: "Users from member accounts can suspend GuardDuty for their own account"): UpdateDetector, step
  ``resume_suspended``.
* Monitoring the administrator stopped (StopMonitoringMembers) is restarted with StartMonitoringMembers
  (tests/test_migration_other_admin.py::test_monitoring_the_administrator_stopped_is_restarted_with_start_monitoring_members).

The organisation member's suspended detector is made the only way the local AWS allows (an organisation member
cannot suspend itself: conformance G16): suspended while an invitation member, then the management account
designates its administrator, which makes it an organisation member (G6).
"""

from __future__ import annotations

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import execute
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

REGIONS = ["us-east-2", "eu-west-2"]  # regions the demo does not use
SCENARIO = {
    "name": "suspended-members",
    "seed": 23,
    "regions": REGIONS,
    "ous": {"Sec": {}, "Apps": {}},
    "accounts": [
        {"key": "sec", "name": "Sec", "ou": "Sec"},
        {"key": "orgm", "name": "Org Member", "ou": "Apps"},
        {"key": "invm", "name": "Invitation Member", "ou": "Apps"},
    ],
    "guardduty": {
        "detectors": [{"account": "sec", "regions": REGIONS}],
        "invitations": [{"admin": "sec", "region": r, "members": ["orgm", "invm"], "accept": ["orgm", "invm"]}
                        for r in REGIONS],
        "suspend": [{"account": "orgm", "region": "us-east-2"}, {"account": "invm", "region": "eu-west-2"}],
    },
}


@pytest.fixture(scope="module")
def run(local_aws, tmp_path_factory):
    ids = build_org(local_aws, SCENARIO)
    # us-east-2: Sec is designated now, so Org Member becomes an organisation member with its detector suspended
    local_aws.client("guardduty", region="us-east-2").enable_organization_admin_account(AdminAccountId=ids["sec"])
    tmp = tmp_path_factory.mktemp("susp")
    url = local_aws.endpoint_url
    before = load(collect(tmp / "before", factory=SessionFactory(endpoint_url=url), regions=REGIONS,
                          progress=False, workers=4))
    plan = plan_migration(before, admin=ids["sec"], auto_enable="NEW", features=[])
    result = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=tmp / "j.json",
                     dry_run=False, recollect_to=tmp / "after")
    yield {"ids": ids, "before": before, "plan": plan, "result": result, "after": load(result.after_snapshot)}


def _rel(snap, admin, account, region):
    m = snap.guardduty_members
    r = m[(m["account_id"] == account) & (m["region"] == region) & (m["administrator_id"] == admin)].iloc[0]
    return r["relationship_status"], bool(r["by_invitation"])


def test_the_snapshot_holds_one_suspended_member_of_each_kind(run):
    ids, before = run["ids"], run["before"]
    assert _rel(before, ids["sec"], ids["orgm"], "us-east-2") == ("Disabled", False)  # organisation member
    assert _rel(before, ids["sec"], ids["invm"], "eu-west-2") == ("Disabled", True)  # invitation member


def test_the_administrator_restarts_an_organisation_member_the_invitation_member_re_enables_itself(run):
    plan, ids = run["plan"], run["ids"]
    by_kind = {(s.region, s.kind): s for s in plan.steps}
    start = by_kind[("us-east-2", "start_monitoring")]
    assert (start.account_id, start.api, start.params["AccountIds"]) == \
        (ids["sec"], "guardduty:StartMonitoringMembers", [ids["orgm"]])
    assert not [s for s in plan.steps if s.kind == "resume_suspended" and s.account_id == ids["orgm"]]
    resume = by_kind[("eu-west-2", "resume_suspended")]
    assert (resume.account_id, resume.api) == (ids["invm"], "guardduty:UpdateDetector")
    out = plan.suspended_outcomes().set_index(["account_id", "region"])
    assert out.loc[(ids["orgm"], "us-east-2"), "by"] == "StartMonitoringMembers"
    assert out.loc[(ids["invm"], "eu-west-2"), "by"] == "UpdateDetector"


def test_the_run_re_enables_both_with_the_right_caller(run):
    res, ids, after = run["result"], run["ids"], run["after"]
    assert res.ok, res.frame()
    assert (ids["sec"], "us-east-2", "StartMonitoringMembers") in res.writes
    assert (ids["invm"], "eu-west-2", "UpdateDetector") in res.writes
    assert not [w for w in res.writes if w[0] == ids["orgm"]]  # the organisation member makes no call
    assert _rel(after, ids["sec"], ids["orgm"], "us-east-2") == ("Enabled", False)
    assert _rel(after, ids["sec"], ids["invm"], "eu-west-2")[0] == "Enabled"
    d = after.detectors
    for acct, region in ((ids["orgm"], "us-east-2"), (ids["invm"], "eu-west-2")):
        assert d[(d["account_id"] == acct) & (d["region"] == region)]["status"].tolist() == ["ENABLED"]
