"""The executor enrols more than 50 accounts: it sends CreateMembers at most ``BATCH`` (50) accounts a call
(orgkit.aws.migrate), so the enrolment of 56 accounts (55 workloads and the management account) is two calls, and
every account must end up a member: a batch cut one short would leave every 50th account out. One region, no
CloudTrail: the cheapest organisation that needs two batches."""

from __future__ import annotations

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import BATCH, execute
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

REGION = "us-east-1"
N = 55  # member accounts besides the administrator and the management account
SCENARIO = {
    "name": "many",
    "seed": 23,
    "regions": [REGION],
    "service_access": ["guardduty.amazonaws.com"],
    "ous": {"Security": {}, "Work": {}},
    "accounts": [{"key": "security", "name": "Security", "ou": "Security"}]
    + [{"key": f"w{i:02d}", "name": f"Workload {i:02d}", "ou": "Work"} for i in range(N)],
    "guardduty": {"detectors": [{"account": "security", "regions": [REGION]}]},
}


@pytest.fixture(scope="module")
def enrolled(local_aws, tmp_path_factory):
    ids = build_org(local_aws, SCENARIO)
    tmp = tmp_path_factory.mktemp("many")
    url = local_aws.endpoint_url
    before = load(collect(tmp / "before", factory=SessionFactory(endpoint_url=url), regions=[REGION],
                          progress=False, workers=8))
    # NEW: the local AWS (like AWS) then enrols nobody by itself: CreateMembers must add every account
    plan = plan_migration(before, admin=ids["security"], auto_enable="NEW", features=[])
    result = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=tmp / "j.json",
                     dry_run=False)
    yield {"ids": ids, "plan": plan, "result": result, "aws": local_aws}


def test_every_account_of_more_than_one_batch_is_enrolled(enrolled):
    ids, plan, res = enrolled["ids"], enrolled["plan"], enrolled["result"]
    assert res.ok, res.frame()
    enrol = next(s for s in plan.steps if s.kind == "enrol_members")
    want = {aid for key, aid in ids.items() if key != "security" and key != "management" and len(aid) == 12}
    want.add(plan.management_account_id)
    assert len(want) > BATCH and set(enrol.accounts) == want
    creates = [w for w in res.writes if w[2] == "CreateMembers"]
    assert len(creates) == -(-len(want) // BATCH)  # ceil: as few calls as the limit allows
    gd = enrolled["aws"].client("guardduty", region=REGION, account_id=ids["security"])
    det = gd.list_detectors()["DetectorIds"][0]
    members, token = [], None
    while True:
        page = gd.list_members(DetectorId=det, OnlyAssociated="false", MaxResults=50,
                               **({"NextToken": token} if token else {}))
        members += page["Members"]
        token = page.get("NextToken")
        if not token:
            break
    status = {m["AccountId"]: m["RelationshipStatus"] for m in members}
    missing = sorted(want - {a for a, s in status.items() if s == "Enabled"})
    assert not missing, f"{len(missing)} accounts not enrolled: {missing}"
