"""The local AWS's control endpoint for when a member account joined (scenario ``joined_days_ago``)."""

from datetime import datetime, timedelta, timezone

from orgkit.localaws.scenario import build


def test_a_scenario_account_joins_days_ago(server):
    server.reset()
    server.seed(3)
    sc = {"name": "joined", "seed": 3, "regions": ["us-east-1"], "ous": {"Work": {}},
          "accounts": [{"key": "old", "name": "Old", "ou": "Work", "joined_days_ago": 400},
                       {"key": "new", "name": "New", "ou": "Work"}]}
    ids = build(server.endpoint_url, sc)
    org = server.client("organizations")
    joined = {a["Id"]: a["JoinedTimestamp"] for a in org.list_accounts()["Accounts"]}
    now = datetime.now(timezone.utc)
    assert timedelta(days=399) < now - joined[ids["old"]] < timedelta(days=401)
    assert now - joined[ids["new"]] < timedelta(hours=1)
