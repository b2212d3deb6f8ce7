"""Coverage shares per account and OU, environment inference, and the order of gaps."""

import pytest

from orgkit.coverage import environments, gaps, summary
from orgkit.testing import SnapshotSpec

R1, R2 = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    sb = SnapshotSpec(regions=[R1, R2])
    prod = sb.ou("Production")
    dev = sb.ou("Dev")
    sbx = sb.ou("Sandbox")
    sb.account("payments", parent=prod, account_id="000000000301")
    sb.account("web-dev", parent=dev, account_id="000000000302")
    sb.account("interview-1", parent=sbx, account_id="000000000303")
    tagged = sb.account("misc", parent=sbx, account_id="000000000304")
    sb.accounts[-1]["Tags"] = [{"Key": "Env", "Value": "prod"}]
    sb.account("shared", account_id="000000000305", regions={R2: "DISABLED"})
    dark = sb.account("Dark", parent=prod, account_id="000000000306", access="none")
    # CloudTrail: management account's own trail (not an org trail); payments has a write-only trail
    sb.trail(sb.management, "mgmt")
    sb.trail("000000000301", "wo", event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    sb.trail("000000000302", "dev")
    # GuardDuty: dev is standalone in R1; payments suspended in R1
    sb.detector("000000000302", R1, administrator={})
    sb.detector("000000000301", R1, status="DISABLED")
    return sb.load(tmp_path_factory.mktemp("sum") / "snap"), dict(tagged=tagged, dark=dark)


def test_environments(org):
    o, ids = org
    env = environments(o).set_index("account_id")["env"].to_dict()
    assert env == {"111111111111": "core", "000000000301": "prod", "000000000302": "dev",
                   "000000000303": "sandbox", "000000000304": "prod", "000000000305": "core",
                   "000000000306": "prod"}


def test_summary_per_account(org):
    o, _ = org
    s = summary(o).set_index("account_id")
    assert s.loc["111111111111", "cloudtrail_share"] == 1.0
    assert s.loc["000000000301", "cloudtrail_covered"] == 0
    assert s.loc["000000000302", "cloudtrail_share"] == 1.0 and s.loc["000000000302", "guardduty_share"] == 0.0
    assert s.loc["000000000305", "regions"] == 1  # the disabled region does not count
    assert s.loc["000000000306", "cloudtrail_unknown"] == 2


def test_summary_per_ou(org):
    o, _ = org
    s = summary(o, by="ou").set_index("ou_path")
    assert s.loc["Root/Dev", "cloudtrail_share"] == 1.0 and s.loc["Root/Dev", "accounts"] == 1
    assert s.loc["Root/Production", "accounts"] == 2 and s.loc["Root/Production", "regions"] == 4
    tree = summary(o, by="ou_tree").set_index("ou_path")
    assert tree.loc["Root", "accounts"] == 7 and tree.loc["Root", "regions"] == 13
    assert tree.loc["Root/Production", "accounts"] == 2
    with pytest.raises(ValueError):
        summary(o, by="region")


def test_gaps_order(org):
    o, _ = org
    g = gaps(o)
    assert list(g["priority"]) == list(range(1, len(g) + 1))
    definite = g[~g["flagged"]]
    flagged = g[g["flagged"]]
    assert (flagged["status"] == "unknown").all() and flagged["priority"].min() > definite["priority"].max()
    envs = list(definite["env"])
    order = {"core": 0, "prod": 0, "unclassified": 1, "stage": 2, "dev": 3, "sandbox": 4}
    assert [order[e] for e in envs] == sorted(order[e] for e in envs)
    # within production: nothing recorded / suspended before partial
    p = definite[definite["account_id"] == "000000000301"]
    assert list(p["severity"]) == sorted(p["severity"])
    assert p.iloc[-1]["status"] == "partial"
    # the sandbox interview account comes after the dev account
    first_dev = definite.index[definite["account_id"] == "000000000302"].min()
    first_sbx = definite.index[definite["account_id"] == "000000000303"].min()
    assert first_dev < first_sbx
    # nothing good is listed
    assert not g["status"].isin(["covered", "org_member", "invited_member", "administrator",
                                 "not_applicable"]).any()


def test_summary_per_account_compared_whole(org):
    # issue 22 (mutation sample, seed 22): every row and the counts' integer dtype, not a few cells
    o, _ = org
    s = summary(o)
    cols = ["account_id", "account_name", "ou_path", "env", "regions", "cloudtrail_covered", "cloudtrail_share",
            "cloudtrail_unknown", "guardduty_covered", "guardduty_share", "guardduty_unknown"]
    assert list(s.columns) == cols
    assert [str(s[c].dtype) for c in cols[4:]] == ["int64", "int64", "float64", "int64", "int64", "float64", "int64"]
    assert [tuple(r) for r in s.itertuples(index=False)] == [
        ("000000000301", "payments", "Root/Production", "prod", 2, 0, 0.0, 0, 0, 0.0, 0),
        ("000000000302", "web-dev", "Root/Dev", "dev", 2, 2, 1.0, 0, 0, 0.0, 0),
        ("000000000303", "interview-1", "Root/Sandbox", "sandbox", 2, 0, 0.0, 0, 0, 0.0, 0),
        ("000000000304", "misc", "Root/Sandbox", "prod", 2, 0, 0.0, 0, 0, 0.0, 0),
        ("000000000305", "shared", "Root", "core", 1, 0, 0.0, 0, 0, 0.0, 0),
        # the unreadable account: both services unknown in both regions (unknown is not covered)
        ("000000000306", "Dark", "Root/Production", "prod", 2, 0, 0.0, 2, 0, 0.0, 2),
        ("111111111111", "Management", "Root", "core", 2, 2, 1.0, 0, 0, 0.0, 0),
    ]


def test_an_account_nothing_classifies_has_no_environment_source(tmp_path):
    # issue 22 (mutation sample, seed 23): "unclassified" was decided by nothing, so no tag, name or OU is named
    import pandas as pd

    sb = SnapshotSpec(regions=[R1])
    sb.account("misc", account_id="000000000501")
    env = environments(sb.load(tmp_path / "s"))
    rows = [(a, e, r, None if pd.isna(s) else s) for a, e, r, s in env.itertuples(index=False)]
    assert rows == [("111111111111", "core", 0, "management account"), ("000000000501", "unclassified", 1, None)]
