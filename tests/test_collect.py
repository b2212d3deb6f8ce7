"""The collector, end to end: the real code over HTTP against the local AWS (moto server + orgkit extension)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import orgkit
from orgkit.aws.collect import collect
from orgkit.aws.session import SessionFactory, WriteRefused, is_read_only
from orgkit.cli import main as cli_main

pytestmark = pytest.mark.integration
REGIONS = ["us-east-1", "eu-west-1", "eu-south-1"]
POLICY = Path(orgkit.__file__).parent / "policies" / "collector-policy.json"


def _collect(aws, out, max_attempts=5, **kw):
    factory = SessionFactory(endpoint_url=aws.endpoint_url, max_attempts=max_attempts)
    seen: list[tuple[str, str]] = []

    def spy(model, params, **kwargs):  # a second botocore hook: every call the collector makes
        seen.append((model.service_model.service_name, model.name))

    orig = factory._hook

    def hook(client):
        orig(client)
        client.meta.events.register("before-call", spy)

    factory._hook = hook
    kw.setdefault("regions", REGIONS)
    path = collect(out, factory=factory, progress=False, workers=8, **kw)
    return orgkit.load(path), seen, factory


@pytest.fixture(scope="module")
def collected(small_org, tmp_path_factory):
    aws, ids = small_org
    aws.clear_calls()
    org, seen, factory = _collect(aws, tmp_path_factory.mktemp("c") / "snap")
    return org, ids, seen, factory, aws.calls()


def test_structure(collected):
    org, ids, *_ = collected
    assert org.management_account_id == ids["management"]
    paths = dict(zip(org.accounts.account_id, org.accounts.ou_path))
    assert paths[ids["pay"]] == "Root/Workloads/Prod/Payments"
    assert paths[ids["dev"]] == "Root/Workloads/Dev"
    assert org.graph.nodes[ids["pay"]]["depth"] == 4
    assert set(org.ous.ou_path) >= {"Root", "Root/Workloads/Prod/Payments", "Root/Security"}
    tags = dict(zip(org.accounts.account_id, org.accounts.tags))
    assert tags[ids["pay"]] == {"env": "prod"}
    deny = org.policies[org.policies.name == "DenyLeave"].iloc[0]
    assert json.loads(deny.content)["Statement"][0]["Effect"] == "Deny"
    targets = set(org.policy_targets[org.policy_targets.policy_id == deny.policy_id].target_id)
    assert targets == {org.ous.set_index("ou_path").loc["Root/Workloads", "ou_id"], ids["dev"]}
    assert "guardduty.amazonaws.com" in set(org.delegated_admins.service_principal)


def test_every_policy_fetched_once(collected):
    _, _, seen, *_ = collected
    described = [op for op in seen if op == ("organizations", "DescribePolicy")]
    org = collected[0]
    assert len(described) == len(org.policies)  # FullAWSAccess has many targets, fetched once


def test_trails_read_once_in_home_region(collected):
    org, ids, *_ = collected
    t = org.trails.set_index("name")
    assert set(t.index) == {"org-trail", "pay-multi", "web-single"}
    assert bool(t.loc["org-trail", "is_organization_trail"]) and t.loc["org-trail", "account_id"] == ids["management"]
    assert t.loc["pay-multi", "home_region"] == "eu-west-1" and bool(t.loc["pay-multi", "is_multi_region"])
    assert t.loc["pay-multi", "selector_kind"] == "advanced"
    assert t.loc["web-single", "is_logging"] == False  # noqa: E712  (stopped)
    assert t.loc["web-single", "tags"] == {"team": "web"}
    # the org trail shows, with the management account's ARN, in every reachable member's ListTrails
    seen_in = set(org.trail_listings[org.trail_listings.name == "org-trail"].account_id)
    reachable = set(org.accounts[org.accounts.access != "none"].account_id)
    assert seen_in == reachable
    assert len(org.trails) == org.trails.trail_arn.nunique()


def test_one_list_trails_per_account(collected):
    org, _, seen, *_ = collected
    reached = (org.accounts.access != "none").sum()
    assert seen.count(("cloudtrail", "ListTrails")) == reached
    assert ("cloudtrail", "DescribeTrails") in seen


def test_guardduty(collected):
    org, ids, *_ = collected
    det = org.detectors.set_index(["account_id", "region"])
    assert det.loc[(ids["dev"], "eu-west-1"), "status"] == "DISABLED"
    assert (ids["dev"], "us-east-1") not in det.index
    admins = org.guardduty_admins
    assert list(admins[admins.region == "us-east-1"].admin_account_id) == [ids["security"]]
    m = org.guardduty_members.set_index(["region", "account_id"])
    assert m.loc[("us-east-1", ids["pay"]), "relationship_status"] == "Enabled"
    assert not bool(m.loc[("us-east-1", ids["pay"]), "by_invitation"])
    assert bool(m.loc[("eu-west-1", ids["partner"]), "by_invitation"])
    # the member without a role is still seen through its administrator
    assert m.loc[("us-east-1", ids["norole"]), "relationship_status"] == "Enabled"
    cfg = org.guardduty_org_config
    assert list(cfg.region) == ["us-east-1"] and cfg.iloc[0].admin_account_id == ids["security"]


def test_guardduty_economy(collected):
    """Members the delegated administrator vouches for cost one GetDetector, no ListDetectors/GetAdministrator."""
    org, ids, seen, factory, server_calls = collected
    mine = [c for c in server_calls if c["service"] == "guardduty" and c["account_id"] == ids["web"]
            and c["region"] == "us-east-1"]
    assert [c["operation"] for c in mine] == ["GetDetector"]
    pay_eu = [c["operation"] for c in server_calls if c["service"] == "guardduty"
              and c["account_id"] == ids["pay"] and c["region"] == "eu-west-1"]
    assert "GetAdministratorAccount" in pay_eu  # invitation member: the admin's view leaves a doubt


def test_disabled_region_is_not_called(collected):
    org, ids, _, _, server_calls = collected
    r = org.regions.set_index(["account_id", "region"])
    assert r.loc[(ids["dev"], "eu-south-1"), "enabled"] == False  # noqa: E712
    assert r.loc[(ids["dev"], "eu-south-1"), "opt_status"] == "DISABLED"
    assert not [c for c in server_calls if c["account_id"] == ids["dev"] and c["region"] == "eu-south-1"]
    reads = org.reads.set_index(["account_id", "region", "service"])
    assert reads.loc[(ids["dev"], "eu-south-1", "guardduty"), "status"] == "skipped"


def test_unassumable_role_is_recorded(collected):
    org, ids, *_ = collected
    a = org.accounts.set_index("account_id").loc[ids["norole"]]
    assert a.access == "none" and "AccessDenied" in a.access_error
    e = org.errors[org.errors.account_id == ids["norole"]]
    assert list(e.operation) == ["AssumeRole"] and list(e.error_code) == ["AccessDenied"]
    assert set(org.reads[(org.reads.account_id == ids["norole"]) & (org.reads.service == "guardduty")].status) == \
        {"skipped"}


def test_only_read_calls(collected):
    _, _, seen, factory, server_calls = collected
    assert seen, "the spy saw no calls"
    writes = [op for op in seen if not is_read_only(*op)]
    assert writes == []
    assert all(op[1].startswith(("List", "Describe", "Get")) or op == ("sts", "AssumeRole") for op in seen)
    assert {c["operation"] for c in server_calls} <= {op for _, op in seen}


def test_least_privilege_policy_covers_every_call(collected):
    _, _, seen, *_ = collected
    policy = json.loads(POLICY.read_text())
    allowed = set()
    for st in policy["Statement"]:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        allowed |= {a.lower() for a in acts}
    # the IAM action of an operation is its name, except where AWS named it otherwise
    iam_name = {"s3:listbuckets": "s3:listallmybuckets"}
    needed = {iam_name.get(f"{svc}:{op}".lower(), f"{svc}:{op}".lower()) for svc, op in seen}
    assert needed <= allowed, needed - allowed
    # and it grants nothing that is not read-only
    for a in allowed:
        svc, op = a.split(":")
        # GenerateOrganizationsAccessReport only starts a report job (collect --access-reports)
        assert op.startswith(("list", "describe", "get")) or a in ("sts:assumerole",
                                                                    "iam:generateorganizationsaccessreport"), a


def test_write_refused_by_guard(small_org):
    aws, _ = small_org
    factory = SessionFactory(endpoint_url=aws.endpoint_url)
    gd = factory.caller_client("guardduty")
    with pytest.raises(WriteRefused, match="CreateDetector"):
        gd.create_detector(Enable=True)
    assert factory.calls.total == 0


def test_manifest(collected):
    org, ids, seen, *_ = collected
    m = org.manifest
    assert m["schema_version"] == 2 and m["organization_id"].startswith("o-")
    assert m["regions"] == REGIONS and m["caller"]["Account"] == ids["management"]
    assert m["counts"]["api_calls"] == len(seen)
    assert m["counts"]["accounts_reached"] == len(org.accounts) - 1
    assert m["error_count"] == len(org.errors)


def test_faults_are_recorded_and_the_run_goes_on(small_org, tmp_path):
    aws, ids = small_org
    aws.clear_faults()
    aws.add_fault("AccessDeniedException", http_status=403, account_id=ids["pay"], region="eu-west-1",
                  service="guardduty", operation="ListDetectors")
    aws.add_fault("AccessDeniedException", http_status=403, account_id=ids["web"], service="cloudtrail")
    aws.add_fault("ThrottlingException", http_status=400, account_id=ids["security"], region="us-east-1",
                  service="guardduty", operation="ListMembers", count=2)  # retried by botocore, then succeeds
    aws.add_fault("ThrottlingException", http_status=400, account_id=ids["dev"], region="eu-west-1",
                  service="guardduty", operation="GetDetector")  # throttled for good: recorded
    try:
        org, *_ = _collect(aws, tmp_path / "snap", max_attempts=3)  # 3 attempts: the 2 throttles, then success
    finally:
        aws.clear_faults()
    e = org.errors
    pay = e[(e.account_id == ids["pay"]) & (e.region == "eu-west-1")]
    assert list(pay.error_code) == ["AccessDeniedException"] and list(pay.operation) == ["ListDetectors"]
    reads = org.reads.set_index(["account_id", "region", "service"])
    assert reads.loc[(ids["pay"], "eu-west-1", "guardduty"), "status"] == "error"
    assert reads.loc[(ids["pay"], "us-east-1", "guardduty"), "status"] == "ok"  # the rest of the account
    web = org.reads[(org.reads.account_id == ids["web"]) & (org.reads.service == "cloudtrail")]
    assert list(web.status) == ["error"]
    assert (ids["web"], "us-east-1") in set(zip(org.detectors.account_id, org.detectors.region))
    # throttled twice then answered: members are all there
    assert (org.guardduty_members.administrator_id == ids["security"]).sum() >= 3
    dev = e[(e.account_id == ids["dev"]) & (e.region == "eu-west-1")]
    assert list(dev.error_code) == ["ThrottlingException"]
    assert reads.loc[(ids["dev"], "eu-west-1", "guardduty"), "status"] == "error"  # listed, its state unread
    # everything else collected (web's own trail is unknown, not missing: its read is recorded as an error)
    assert set(org.trails.name) == {"org-trail", "pay-multi"} and len(org.accounts) == 6


def test_no_member_roles_keeps_the_organisation_wide_view(small_org, tmp_path):
    aws, ids = small_org
    org, seen, _ = _collect(aws, tmp_path / "snap", member_roles=False)
    assert ("sts", "AssumeRole") not in seen
    assert set(org.accounts[org.accounts.account_id != ids["management"]].access) == {"none"}
    assert "org-trail" in set(org.trails.name)  # the management account's own read
    assert not org.guardduty_members.empty or org.guardduty_admins.shape[0] > 0
    assert org.errors.empty


def test_accounts_filter(small_org, tmp_path):
    aws, ids = small_org
    org, seen, _ = _collect(aws, tmp_path / "snap", accounts=[ids["pay"]])
    assert len(org.accounts) == 6  # the structure is always whole
    assert set(org.reads.account_id) == {ids["pay"]}
    with pytest.raises(ValueError, match="not in the organization"):
        _collect(aws, tmp_path / "snap2", accounts=["000000000000"])


def test_cli_collect_and_unreadable_organization(small_org, tmp_path, capsys):
    aws, ids = small_org
    out = tmp_path / "cli"
    rc = cli_main(["collect", "--out", str(out), "--endpoint-url", aws.endpoint_url, "--regions", "us-east-1",
                   "--quiet"])
    assert rc == 0 and (out / "manifest.json").exists()
    assert "snapshot written to" in capsys.readouterr().out
    aws.add_fault("AccessDeniedException", http_status=400, service="organizations",
                  operation="DescribeOrganization")
    try:
        rc = cli_main(["collect", "--out", str(tmp_path / "bad"), "--endpoint-url", aws.endpoint_url,
                       "--regions", "us-east-1", "--quiet"])
    finally:
        aws.clear_faults()
    assert rc == 3  # AWS access (README, exit statuses)
    assert "cannot read the organization" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_member_credentials_are_refreshed_before_they_expire(small_org):
    import datetime

    aws, ids = small_org
    factory = SessionFactory(endpoint_url=aws.endpoint_url)
    factory.identity()
    first = factory.credentials_for(ids["pay"])
    assert factory.credentials_for(ids["pay"]) is first  # reused while valid
    first["Expiration"] = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)
    again = factory.credentials_for(ids["pay"])
    assert again is not first and again["Expiration"] > first["Expiration"]
    assert factory.calls.counts[("sts", "AssumeRole")] == 2
    # and the fresh keys still act in the account
    assert factory.client(ids["pay"], "sts").get_caller_identity()["Account"] == ids["pay"]
