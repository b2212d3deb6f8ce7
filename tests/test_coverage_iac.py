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


@pytest.mark.parametrize("text,message", [
    ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    ("[1, 2]", "not a Terraform state: the top level is not an object"),
    ('{"hello": 1}', "not a Terraform state (neither `terraform show -json` output, with 'format_version' and "
                     "'values', nor a state file with 'version')"),
    ('{"version": 3, "modules": []}', "state format version 3 is not supported (only 4; or give `terraform show "
                                      "-json` output)"),
    ('{"version": 4, "resources": [{"type": "aws_cloudtrail", "mode": "managed"}]}',
     "a resource has no 'instances' (is this a version 4 state file?)"),
    ('{"version": 4, "resources": {}}', "'resources' is not a list"),
    ('{"format_version": "1.0", "values": {"root_module": []}}', "'values.root_module' is not an object"),
    ('{"format_version": "1.2", "planned_values": {}, "resource_changes": []}',
     "this is a plan (`terraform show -json PLANFILE`), not a state: give `terraform show -json` without a plan "
     "file, or the .tfstate file"),
])
def test_malformed_files_name_the_file(org, tmp_path, text, message):
    # the whole message (issue 22, mutation sample seed 23: a word of it checked alone also matched the path of
    # the test's own directory, which pytest names after the parameters)
    p = tmp_path / "bad.tfstate"
    p.write_text(text)
    with pytest.raises(TerraformStateError) as e:
        unmanaged_trails(org, p)
    assert str(e.value) == f"{p}: {message}"


def test_missing_file_is_a_clear_error(org, tmp_path):
    with pytest.raises(TerraformStateError, match="nope.json"):
        unmanaged_trails(org, tmp_path / "nope.json")


def test_empty_show_json_means_everything_unmanaged(org, tmp_path):
    p = tmp_path / "empty.json"
    p.write_text('{"format_version": "1.0"}')
    df = unmanaged_trails(org, p)
    assert set(df["status"]) == {"unmanaged"} and len(df) == 3


# issue 22: survivors of the mutation sample of orgkit/coverage/ (seed 22), each answer compared whole

def raw_state(tmp_path, fname, resources):
    p = tmp_path / fname
    p.write_text(json.dumps({"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "x",
                             "outputs": {}, "resources": resources}))
    return p


def test_two_state_files_matched_by_arn_name_and_region_or_name_alone_compared_whole(org, tmp_path):
    # the first file's rows and the second's are numbered from 0 each: read together, none hides another
    p1 = raw_state(tmp_path, "one.tfstate", [
        {"mode": "managed", "type": "aws_cloudtrail", "name": "org", "instances": [
            {"attributes": {"arn": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org", "name": "org"}}]}])
    p2 = raw_state(tmp_path, "two.tfstate", [
        {"mode": "managed", "type": "aws_cloudtrail", "name": "a", "instances": [
            {"attributes": {"name": "app"}},                      # no ARN, no region: by name, one AWS trail has it
            {"index_key": 1, "attributes": {"name": "nowhere"}},  # by name, no AWS trail has it
            {"index_key": 2, "attributes": {"name": "app", "region": "us-east-1"}}]}])  # name and region: absent
    df = unmanaged_trails(org, [p1, p2], include_managed=True)
    rows = [tuple(None if v is None or v != v else v for v in r)  # NaN (a state entry without ARN) as None
            for r in df[["trail_arn", "name", "account_id", "home_region", "status", "reason", "source",
                         "address"]].itertuples(index=False)]
    a = "000000000201"
    assert rows == [
        (f"arn:aws:cloudtrail:eu-west-1:{a}:trail/app", "app", a, "eu-west-1", "managed", None,
         f"arn:aws:cloudtrail:eu-west-1:{a}:trail/app", "aws_cloudtrail.a"),
        (f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org", "org", MGMT, "us-east-1", "managed", None,
         f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org", "aws_cloudtrail.org"),
        (None, "nowhere", None, None, "missing", "in Terraform state, not in AWS (matched by name)",
         f"{p2}:aws_cloudtrail.a[1]", "aws_cloudtrail.a[1]"),
        (None, "app", None, "us-east-1", "missing", "in Terraform state, not in AWS (matched by name and region)",
         f"{p2}:aws_cloudtrail.a[2]", "aws_cloudtrail.a[2]"),
        (f"arn:aws:cloudtrail:us-east-1:{a}:trail/clickops", "clickops", a, "us-east-1", "unmanaged",
         "in AWS, in no Terraform state given", f"arn:aws:cloudtrail:us-east-1:{a}:trail/clickops", None),
    ]
    assert list(df.columns) == ["trail_arn", "name", "account_id", "home_region", "status", "reason", "source",
                                "address"]


def test_show_json_reads_managed_cloudtrail_resources_only_and_names_a_resource_that_is_not_an_object(org, tmp_path):
    data = {"address": "data.aws_cloudtrail.x", "mode": "data", "type": "aws_cloudtrail", "name": "x",
            "values": {"name": "x", "arn": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/x"}}
    p = show_json(tmp_path, [data, res("org", arn=f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org")])
    assert read_tfstate(p).to_dict("records") == [
        {"address": "aws_cloudtrail.org", "trail_arn": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org",
         "name": "org", "home_region": "us-east-1", "account_id": MGMT, "file": str(p)}]
    p = show_json(tmp_path, [1])
    with pytest.raises(TerraformStateError) as e:
        read_tfstate(p)
    assert str(e.value) == f"{p}: a resource in values.root_module is not an object"


def test_a_resource_without_address_an_arn_given_as_id_and_an_account_outside_the_snapshot(org, tmp_path):
    # issue 22 (mutation sample, seed 23): each compared whole
    other = "arn:aws:cloudtrail:us-east-1:999999999999:trail/elsewhere"
    p = show_json(tmp_path, [{"mode": "managed", "type": "aws_cloudtrail", "name": "noaddr",
                              "values": {"name": "noaddr", "id": other}}])
    assert read_tfstate(p).to_dict("records") == [
        {"address": "aws_cloudtrail.noaddr", "trail_arn": other, "name": "noaddr", "home_region": "us-east-1",
         "account_id": "999999999999", "file": str(p)}]
    df = unmanaged_trails(org, p)
    got = df[df["status"] != "unmanaged"].to_dict("records")
    assert got == [{"trail_arn": other, "name": "noaddr", "account_id": "999999999999", "home_region": "us-east-1",
                    "status": "unknown", "reason": "account 999999999999 is not in the snapshot",
                    "source": f"{p}:aws_cloudtrail.noaddr", "address": "aws_cloudtrail.noaddr"}]
