"""Terraform state against the snapshot: unmanaged and missing trails, both state formats, malformed files."""

import json

import pytest

from orgkit.coverage import TerraformStateError, read_tfstate, unmanaged_trails
from orgkit.testing import SnapshotSpec

MGMT = "111111111111"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    a = sb.account("A", account_id="000000000201")
    sb.account("Dark", account_id="000000000202", access="none")
    sb.trail(MGMT, "org", organization=True)          # managed (by ARN)
    sb.trail(a, "app", home_region="eu-west-1")       # managed (by name and region, no ARN in state)
    sb.trail(a, "clickops")                           # unmanaged
    return sb.load(tmp_path_factory.mktemp("iac") / "snap")


def show_json(tmp_path, resources, child=None):
    root = {"resources": resources}
    if child:
        root["child_modules"] = [{"address": "module.logs", "resources": child}]
    p = tmp_path / "show.json"
    p.write_text(json.dumps({"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": root}}))
    return p


def res(name, **values):
    return {"address": f"aws_cloudtrail.{name}", "mode": "managed", "type": "aws_cloudtrail", "name": name,
            "values": {"name": name, **values}}


def test_show_json_with_child_modules(org, tmp_path):
    p = show_json(tmp_path, [res("org", arn=f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org")],
                  child=[dict(res("app", home_region="eu-west-1"), address="module.logs.aws_cloudtrail.app"),
                         res("gone", arn="arn:aws:cloudtrail:us-east-1:000000000201:trail/gone"),
                         {"address": "aws_s3_bucket.x", "mode": "managed", "type": "aws_s3_bucket", "name": "x",
                          "values": {"arn": "arn:aws:s3:::x"}}])
    tf = read_tfstate(p)
    assert list(tf["address"]) == ["aws_cloudtrail.org", "module.logs.aws_cloudtrail.app", "aws_cloudtrail.gone"]
    df = unmanaged_trails(org, p)
    st = dict(zip(df["trail_arn"].fillna(df["name"]), df["status"]))
    assert st == {"arn:aws:cloudtrail:us-east-1:000000000201:trail/clickops": "unmanaged",
                  "arn:aws:cloudtrail:us-east-1:000000000201:trail/gone": "missing"}
    missing = df[df["status"] == "missing"].iloc[0]
    assert missing["source"] == f"{p}:aws_cloudtrail.gone"


def test_raw_state_v4_and_org_trail_seen_by_members_is_one_trail(org, tmp_path):
    p = tmp_path / "terraform.tfstate"
    p.write_text(json.dumps({"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": "x",
                             "outputs": {}, "resources": [
        {"mode": "managed", "type": "aws_cloudtrail", "name": "org", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
         "instances": [{"schema_version": 0, "attributes": {"arn": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org",
                                                             "name": "org", "home_region": "us-east-1"}}]},
        {"module": "module.acct", "mode": "managed", "type": "aws_cloudtrail", "name": "t",
         "instances": [{"index_key": "app", "attributes": {"id": "app", "name": "app", "region": "eu-west-1"}},
                       {"index_key": "dark", "attributes": {
                           "arn": "arn:aws:cloudtrail:us-east-1:000000000202:trail/dark", "name": "dark"}}]},
        {"mode": "data", "type": "aws_cloudtrail_service_account", "name": "main", "instances": [{"attributes": {}}]},
    ]}))
    tf = read_tfstate(p)
    assert list(tf["address"]) == ["aws_cloudtrail.org", 'module.acct.aws_cloudtrail.t["app"]',
                                   'module.acct.aws_cloudtrail.t["dark"]']
    df = unmanaged_trails(org, [p], include_managed=True)
    by = {(r.name, r.status) for r in df.itertuples()}
    assert ("org", "managed") in by and ("app", "managed") in by and ("clickops", "unmanaged") in by
    # a trail in an account whose trails were not read is not "missing": we cannot know
    assert ("dark", "unknown") in by
    assert (df["trail_arn"] == f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org").sum() == 1


@pytest.mark.parametrize("text,needle", [
    ("{not json", "not JSON"),
    ("[1, 2]", "top level"),
    ('{"hello": 1}', "not a Terraform state"),
    ('{"version": 3, "modules": []}', "version 3"),
    ('{"version": 4, "resources": [{"type": "aws_cloudtrail", "mode": "managed"}]}', "instances"),
    ('{"format_version": "1.0", "values": {"root_module": []}}', "root_module"),
    ('{"format_version": "1.2", "planned_values": {}, "resource_changes": []}', "plan"),
])
def test_malformed_files_name_the_file(org, tmp_path, text, needle):
    p = tmp_path / "bad.tfstate"
    p.write_text(text)
    with pytest.raises(TerraformStateError) as e:
        unmanaged_trails(org, p)
    assert str(p) in str(e.value) and needle in str(e.value)


def test_missing_file_is_a_clear_error(org, tmp_path):
    with pytest.raises(TerraformStateError, match="nope.json"):
        unmanaged_trails(org, tmp_path / "nope.json")


def test_empty_show_json_means_everything_unmanaged(org, tmp_path):
    p = tmp_path / "empty.json"
    p.write_text('{"format_version": "1.0"}')
    df = unmanaged_trails(org, p)
    assert set(df["status"]) == {"unmanaged"} and len(df) == 3
