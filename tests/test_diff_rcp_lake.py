"""orgkit diff: resource control policies as structure rows of their own (``rcp_*``, issue 18 point 5) and the
CloudTrail Lake event data stores (``eds_*``, issue 20 point 8), on hand-built snapshots and
through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from orgkit.diff import KINDS, diff
from orgkit.testing import SnapshotSpec

# AWS's example shape: a Deny with "Principal": "*" (RCPs can only deny: "No permissions are granted by an RCP")
KEEP = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepBuckets", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
     "Resource": "*"}]}
KEEP_REFORMATTED = {"Statement": [{"Resource": "*", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
                                   "Principal": "*", "Effect": "Deny", "Sid": "KeepBuckets"}],
                    "Version": "2012-10-17"}
KEEP_NARROWED = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepBuckets", "Effect": "Deny", "Principal": "*", "Action": ["s3:PutBucketPolicy"], "Resource": "*"}]}
DENY_S3 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoBuckets", "Effect": "Deny", "Action": ["s3:CreateBucket"], "Resource": "*"}]}
ACTIONS = ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:CreateBucket", "s3:GetObject"]
MGMT_EVENTS = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
DATA_EVENTS = MGMT_EVENTS + [{"Name": "s3", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                              {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]


def spec(**c) -> SnapshotSpec:
    sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
    eng = sb.ou("Eng")
    sandbox = sb.ou("Sandbox")
    app = sb.account("App", parent=eng)
    play = sb.account("Play", parent=sandbox)
    sb.policy("DenyS3", c.get("scp_doc", DENY_S3), [sandbox])
    if c.get("rcp", True):
        targets = [t for t, on in ((eng, not c.get("detach_eng")), (sandbox, not c.get("detach_sandbox"))) if on]
        keep = sb.rcp("KeepBuckets", c.get("rcp_doc", KEEP), targets)
        if c.get("attach_play"):
            sb.attach_rcp(keep, play)
        if c.get("delete_rcp"):
            del sb.rcps[keep]
        if c.get("new_rcp"):
            sb.rcp("Spare", KEEP, [])
    if c.get("rcp_error"):
        sb.rcp_error = c["rcp_error"]
    if c.get("eds", True):
        sb.event_data_store("org-lake", status=c.get("eds_status", "ENABLED"), organization=c.get("eds_org", True),
                            multi_region=c.get("eds_multi", True),
                            advanced_event_selectors=c.get("eds_selectors", MGMT_EVENTS))
    else:
        sb.docs[sb.management]["CloudTrail"]["EventDataStores"] = {r: [] for r in sb.regions}
    if c.get("second_eds"):
        sb.event_data_store("extra-lake", home_region="eu-west-1", organization=False, multi_region=False)
    if c.get("lake_unread"):
        sb.lake_unread(c["lake_unread"])
    sb._app, sb._play = app, play
    return sb


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return spec().load(tmp_path_factory.mktemp("base") / "snap")


def _diff(base, tmp_path, name="after", scp=True, **c):
    after = spec(**c).load(tmp_path / name)
    return diff(base, after, actions=ACTIONS, processes=1, scp=scp)


def _one(df, kind):
    rows = df[df["kind"] == kind]
    assert len(rows) == 1, df[["kind", "severity", "reason"]].to_string()
    return rows.iloc[0]


def test_kinds_registered():
    for k in ("rcp_created", "rcp_edited", "rcp_renamed", "rcp_deleted", "rcp_attached", "rcp_detached",
              "rcp_policy_type", "eds_added", "eds_removed", "eds_stopped", "eds_started", "eds_changed"):
        assert k in KINDS


# ---------------------------------------------------------------------------------------------- RCPs
def test_same_snapshot_has_no_rcp_or_eds_rows(base, tmp_path):
    df = _diff(base, tmp_path)
    assert not df["kind"].str.startswith(("rcp_", "eds_")).any()


def test_rcp_detached_that_denied_is_a_regression(base, tmp_path):
    df = _diff(base, tmp_path, detach_eng=True)
    r = _one(df, "rcp_detached")
    assert r["severity"] == "regression"
    assert r["policy_name"] == "KeepBuckets" and r["ou_path"] == "Root/Eng"
    assert "changes SCP decisions in 1 account" in r["reason"]
    assert not (df["kind"] == "scp_detached").any()  # its own kind, not an SCP row


def test_rcp_attached_is_an_improvement(base, tmp_path):
    before = spec(detach_eng=True).load(tmp_path / "b")
    after = spec().load(tmp_path / "a")
    r = _one(diff(before, after, actions=ACTIONS, processes=1), "rcp_attached")
    assert r["severity"] == "improvement"


def test_rcp_attached_where_a_deny_already_applies_is_neutral(base, tmp_path):
    # Play is under Sandbox, where KeepBuckets is attached already: attaching it to the account changes nothing
    r = _one(_diff(base, tmp_path, attach_play=True), "rcp_attached")
    assert r["severity"] == "neutral" and "no effect on any account's SCP decisions" in r["reason"]


def test_rcp_edit_removing_a_denied_action_is_a_regression(base, tmp_path):
    r = _one(_diff(base, tmp_path, rcp_doc=KEEP_NARROWED), "rcp_edited")
    assert r["severity"] == "regression"
    assert "Action -s3:DeleteBucket" in r["reason"]


def test_rcp_reformatted_is_neutral(base, tmp_path):
    r = _one(_diff(base, tmp_path, rcp_doc=KEEP_REFORMATTED), "rcp_edited")
    assert r["severity"] == "neutral" and r["reason"].startswith("formatting only")


def test_rcp_deleted_is_a_regression_and_created_unattached_is_neutral(base, tmp_path):
    df = _diff(base, tmp_path, delete_rcp=True)
    assert _one(df, "rcp_deleted")["severity"] == "regression"
    df = _diff(base, tmp_path, name="n", new_rcp=True)
    r = _one(df, "rcp_created")
    assert r["severity"] == "neutral" and r["reason"] == "new RCP (not attached)"


def test_rcp_change_rated_alone_when_accounts_share_changes(base, tmp_path):
    """Play is touched by two changes (the RCP detached from Sandbox, DenyS3 reformatted on Sandbox): each is rated
    by its own effect, the RCP one through BEFORE's RCPs with only it changed."""
    reformatted = {"Statement": [{"Resource": "*", "Action": ["s3:CreateBucket"], "Effect": "Deny",
                                  "Sid": "NoBuckets"}], "Version": "2012-10-17"}
    df = _diff(base, tmp_path, detach_sandbox=True, scp_doc=reformatted)
    assert _one(df, "rcp_detached")["severity"] == "regression"
    assert _one(df, "scp_edited")["severity"] == "neutral"


def test_rcps_unread_are_unknown_not_deleted(base, tmp_path):
    df = _diff(base, tmp_path, rcp_error="AccessDeniedException")
    r = _one(df, "rcp_policy_type")
    assert r["severity"] == "unknown" and r["after"] == "unread"
    assert not (df["kind"] == "rcp_deleted").any()


def test_rcp_policy_type_enabled_is_its_own_row(tmp_path):
    before = spec(rcp=False).load(tmp_path / "b")
    after = spec().load(tmp_path / "a")
    df = diff(before, after, actions=ACTIONS, processes=1)
    r = _one(df, "rcp_policy_type")
    assert (r["before"], r["after"]) == ("disabled", "enabled")
    assert r["severity"] == "improvement"  # KeepBuckets now denies in Eng and Sandbox
    assert not df["kind"].isin(["rcp_created", "rcp_attached"]).any()


# ---------------------------------------------------------------------------------- event data stores
def test_org_store_stopped_is_a_regression_started_an_improvement(base, tmp_path):
    r = _one(_diff(base, tmp_path, scp=False, eds_status="STOPPED_INGESTION"), "eds_stopped")
    assert r["severity"] == "regression" and (r["before"], r["after"]) == ("ENABLED", "STOPPED_INGESTION")
    assert r["trail_arn"].startswith("arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/")
    stopped = spec(eds_status="STOPPED_INGESTION").load(tmp_path / "s")
    r = _one(diff(stopped, base, scp=False, processes=1), "eds_started")
    assert r["severity"] == "improvement"


def test_store_removed_while_ingesting_is_a_regression(base, tmp_path):
    df = _diff(base, tmp_path, scp=False, eds=False)
    r = _one(df, "eds_removed")
    assert r["severity"] == "regression" and "deleted while ingesting" in r["reason"]
    # and the cells it alone covered say so
    cells = df[df["kind"] == "cloudtrail"]
    assert len(cells) and (cells["severity"] == "regression").all()


def test_stopped_store_removed_is_neutral(tmp_path):
    before = spec(eds_status="STOPPED_INGESTION").load(tmp_path / "b")
    after = spec(eds=False).load(tmp_path / "a")
    r = _one(diff(before, after, scp=False, processes=1), "eds_removed")
    assert r["severity"] == "neutral"


def test_store_whose_region_was_not_read_is_unknown_not_removed(base, tmp_path):
    df = _diff(base, tmp_path, scp=False, eds=False, lake_unread="us-east-1")
    assert not (df["kind"] == "eds_removed").any()
    r = _one(df, "eds_changed")
    assert r["after"] == "unknown" and r["severity"] == "regression"


def test_unread_other_region_still_sees_removal(base, tmp_path):
    df = _diff(base, tmp_path, scp=False, eds=False, lake_unread="eu-west-1")
    assert _one(df, "eds_removed")["severity"] == "regression"


def test_store_added_is_neutral(base, tmp_path):
    r = _one(_diff(base, tmp_path, scp=False, second_eds=True), "eds_added")
    assert r["severity"] == "neutral" and r["region"] == "eu-west-1"
    assert "this account, eu-west-1 only" in r["reason"]


def test_scope_narrowed_while_ingesting_is_a_regression(base, tmp_path):
    r = _one(_diff(base, tmp_path, scp=False, eds_org=False), "eds_changed")
    assert r["severity"] == "regression" and "organization True -> False" in r["reason"]
    r = _one(_diff(base, tmp_path, name="m", scp=False, eds_multi=False), "eds_changed")
    assert r["severity"] == "regression" and "multi-region True -> False" in r["reason"]


def test_scope_change_of_a_stopped_store_is_neutral(tmp_path):
    before = spec(eds_status="STOPPED_INGESTION").load(tmp_path / "b")
    after = spec(eds_status="STOPPED_INGESTION", eds_org=False).load(tmp_path / "a")
    r = _one(diff(before, after, scp=False, processes=1), "eds_changed")
    assert r["severity"] == "neutral" and "does not ingest" in r["reason"]


def test_selector_change_is_listed_neutral(base, tmp_path):
    r = _one(_diff(base, tmp_path, scp=False, eds_selectors=DATA_EVENTS), "eds_changed")
    assert r["severity"] == "neutral" and "event selectors" in r["reason"]
    assert "resources.type=AWS::S3::Object" in r["reason"]


# issue 22: survivors of mutation. Each row compared whole: kind, severity, where, before, after, reason, source.
EDS_COLS = ["kind", "severity", "account_id", "region", "before", "after", "reason", "trail_arn", "source"]
ORG_LAKE = "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/org-lake-0000"
EXTRA_LAKE = "arn:aws:cloudtrail:eu-west-1:111111111111:eventdatastore/extra-lake-0000"
MGMT = "111111111111"


def _eds_rows(before, after) -> list[tuple]:
    df = diff(before, after, scp=False, processes=1)
    df = df[df["kind"].str.startswith("eds_")]
    return [tuple(r) for r in df[EDS_COLS].itertuples(index=False)]


def test_eds_rows_of_stores_removed_or_unread_compared_whole(tmp_path):
    """An account store (not an organization one) removed where its region was read is deleted; where it was not
    read, unknown, and only the owner could have listed it (no delegated administrator sees an account store). An
    organization store unread: the owner or a CloudTrail delegated administrator could have listed it."""
    two = spec(second_eds=True).load(tmp_path / "two")
    assert _eds_rows(two, spec().load(tmp_path / "gone")) == [
        ("eds_removed", "regression", MGMT, "eu-west-1", "ENABLED", "deleted",
         "event data store extra-lake (this account, eu-west-1 only) deleted while ingesting", EXTRA_LAKE,
         "cloudtrail:GetEventDataStore")]
    assert _eds_rows(two, spec(lake_unread="eu-west-1").load(tmp_path / "unread_eu")) == [
        ("eds_changed", "regression", MGMT, "eu-west-1", "ENABLED", "unknown",
         "event data store extra-lake: the CloudTrail Lake stores of its owner 111111111111 in eu-west-1 were not "
         "read in AFTER", EXTRA_LAKE, "cloudtrail:GetEventDataStore")]
    base = spec().load(tmp_path / "base")
    assert _eds_rows(base, spec(eds=False, lake_unread="us-east-1").load(tmp_path / "unread_us")) == [
        ("eds_changed", "regression", MGMT, "us-east-1", "ENABLED", "unknown",
         "event data store org-lake: the CloudTrail Lake stores of its owner 111111111111 (or of a CloudTrail "
         "delegated administrator) in us-east-1 were not read in AFTER", ORG_LAKE, "cloudtrail:GetEventDataStore")]


def test_eds_status_and_scope_changes_compared_whole(tmp_path):
    base = spec().load(tmp_path / "base")
    # STARTING_INGESTION: whether it records is not known (coverage's INGESTING map): no longer confirmed
    assert _eds_rows(base, spec(eds_status="STARTING_INGESTION").load(tmp_path / "starting")) == [
        ("eds_changed", "regression", MGMT, "us-east-1", "ENABLED", "STARTING_INGESTION",
         "event data store org-lake (organization, all regions) ingestion can no longer be confirmed "
         "(ENABLED -> STARTING_INGESTION)", ORG_LAKE, "cloudtrail:GetEventDataStore")]
    # a scope that widens while the store records is an improvement
    narrow = spec(eds_org=False, eds_multi=False).load(tmp_path / "narrow")
    assert _eds_rows(narrow, base) == [
        ("eds_changed", "improvement", MGMT, "us-east-1", "this account, us-east-1 only", "organization, all regions",
         "event data store org-lake: organization False -> True; multi-region False -> True", ORG_LAKE,
         "cloudtrail:GetEventDataStore")]
    stopped = spec(eds_status="STOPPED_INGESTION").load(tmp_path / "stopped")
    assert _eds_rows(stopped, spec(eds_status="STOPPED_INGESTION", eds_org=False).load(tmp_path / "stopped_acc")) == [
        ("eds_changed", "neutral", MGMT, "us-east-1", "organization, all regions", "this account, all regions",
         "event data store org-lake: organization True -> False (it does not ingest: no effect)", ORG_LAKE,
         "cloudtrail:GetEventDataStore")]
    # selectors read as an empty list are shown as such (not as unread)
    assert _eds_rows(base, spec(eds_selectors=[]).load(tmp_path / "nosel")) == [
        ("eds_changed", "neutral", MGMT, "us-east-1", "organization, all regions", "organization, all regions",
         "event data store org-lake: event selectors advanced[eventCategory=Management] -> advanced[]", ORG_LAKE,
         "cloudtrail:GetEventDataStore")]


def test_a_store_whose_scope_was_not_given_says_unknown_scope(tmp_path):
    sb = spec(eds=False)
    arn = sb.event_data_store("half", organization=False)
    store = sb.docs[sb.management]["CloudTrail"]["EventDataStores"]["us-east-1"][0]
    del store["MultiRegionEnabled"], store["OrganizationEnabled"]
    assert _eds_rows(spec(eds=False).load(tmp_path / "none"), sb.load(tmp_path / "half")) == [
        ("eds_added", "neutral", MGMT, "us-east-1", None, "ENABLED",
         "new event data store half (unknown scope, unknown regions)", arn, "cloudtrail:GetEventDataStore")]


def test_hostile_store_name_is_text(tmp_path):
    sb = spec(eds=False)
    sb.event_data_store("<b>x</b>\x1b[31m", status="ENABLED")
    before = sb.load(tmp_path / "b")
    after = spec(eds=False).load(tmp_path / "a")
    out = subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", str(before.path), str(after.path),
                          "--kind", "eds_removed", "--wide"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_fails_on_a_stopped_store_and_an_rcp_detach(base, tmp_path):
    after = spec(eds_status="STOPPED_INGESTION", detach_eng=True).load(tmp_path / "a")
    cmd = [sys.executable, "-m", "orgkit.cli", "diff", str(base.path), str(after.path), "--actions",
           ",".join(ACTIONS), "--kind", "eds_stopped,rcp_detached", "--format", "json", "--fail-on", "regression"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    rows = json.loads(out.stdout)
    rows = rows if isinstance(rows, list) else rows.get("rows") or rows.get("changes")
    assert {(r["kind"], r["severity"]) for r in rows} == {("eds_stopped", "regression"),
                                                          ("rcp_detached", "regression")}
    assert "Traceback" not in out.stderr


# ------------------------------------------------------------------------------------------ Terraform plans
def _rc(address, rtype, actions, before=None, after=None, unknown=None):
    return {"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[-1],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after,
                       "after_unknown": unknown if unknown is not None else ({} if after is not None else False)}}


def _plan(changes, config=()):
    return {"format_version": "1.2", "terraform_version": "1.9.8", "variables": {}, "resource_changes": list(changes),
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": []}}},
            "configuration": {"root_module": {"resources": list(config)}}}


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    sb = spec()
    org = sb.load(tmp_path_factory.mktemp("p") / "s")
    keep = next(p for p, v in sb.rcps.items() if v["name"] == "KeepBuckets")
    eng = org.ous.set_index("name").loc["Eng", "ou_id"]
    return org, keep, eng


def test_plan_detaching_an_rcp_is_an_rcp_detached_regression(planned):
    from orgkit.diff import diff_plan

    org, keep, eng = planned
    p = _plan([_rc("aws_organizations_policy_attachment.keep_eng", "aws_organizations_policy_attachment",
                   ["delete"], {"id": f"{eng}:{keep}", "policy_id": keep, "target_id": eng}, None)])
    df = diff_plan(org, p, actions=ACTIONS)
    r = _one(df, "rcp_detached")
    assert r["severity"] == "regression"
    assert not (df["kind"] == "not_evaluated").any()


def test_plan_editing_an_rcp_is_rated_by_its_effect(planned):
    from orgkit.diff import diff_plan

    org, keep, _ = planned
    before = {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}
    p = _plan([_rc("aws_organizations_policy.keep", "aws_organizations_policy", ["update"], before,
                   {**before, "content": json.dumps(KEEP_NARROWED)})])
    df = diff_plan(org, p, actions=ACTIONS)
    assert _one(df, "rcp_edited")["severity"] == "regression"
    assert not (df["kind"] == "not_evaluated").any()


def test_plan_new_rcp_attached_through_references(planned):
    from orgkit.diff import diff_plan

    org, _, _ = planned
    play = org.accounts.set_index("account_name").loc["Play", "account_id"]
    deny_get = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    changes = [
        _rc("aws_organizations_policy.tls", "aws_organizations_policy", ["create"], None,
            {"name": "RequireTLS", "content": json.dumps(deny_get), "type": "RESOURCE_CONTROL_POLICY"},
            {"id": True, "arn": True}),
        _rc("aws_organizations_policy_attachment.tls_play", "aws_organizations_policy_attachment", ["create"], None,
            {"target_id": play}, {"id": True, "policy_id": True})]
    config = [{"address": "aws_organizations_policy_attachment.tls_play", "mode": "managed",
               "type": "aws_organizations_policy_attachment", "name": "tls_play",
               "expressions": {"policy_id": {"references": ["aws_organizations_policy.tls.id",
                                                            "aws_organizations_policy.tls"]},
                               "target_id": {"constant_value": play}}}]
    df = diff_plan(org, _plan(changes, config), actions=ACTIONS)
    assert _one(df, "rcp_created")["policy_name"] == "RequireTLS"
    r = _one(df, "rcp_attached")
    assert r["policy_id"] == "(after apply) aws_organizations_policy.tls" and r["account_id"] == play
    assert r["severity"] == "improvement"  # it can only deny: s3:GetObject is now denied without TLS
    assert not (df["kind"] == "not_evaluated").any()


def test_plan_rcp_with_unknown_content_is_not_evaluated(planned):
    from orgkit.diff import diff_plan

    org, keep, _ = planned
    before = {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}
    p = _plan([_rc("aws_organizations_policy.keep", "aws_organizations_policy", ["update"], before,
                   {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY"}, {"content": True})])
    df = diff_plan(org, p, actions=ACTIONS)
    r = _one(df, "not_evaluated")
    assert r["severity"] == "unknown" and "RCP content unknown until apply" in r["reason"]
    assert not (df["kind"] == "rcp_edited").any()


def test_plan_rcps_unknown_or_missing_are_said_whole(planned):
    """issue 22 (seed-27 survivors _plan_rcp 29, 134): an updated RCP of unknown content keeps its collected text, a
    created one is evaluated as allowing everything, and an update of an RCP the snapshot lacks is named; each row
    whole."""
    from orgkit.diff import diff_plan

    org, keep, _ = planned
    before = {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}
    unknown = "content is unknown until apply and the plan records no expression"

    def rows(change):
        df = diff_plan(org, _plan([change]), actions=ACTIONS)
        return [(r["kind"], r["severity"], r["policy_id"], r["policy_name"], r["reason"])
                for r in df.to_dict("records")]

    assert rows(_rc("aws_organizations_policy.keep", "aws_organizations_policy", ["update"], before,
                    {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY"}, {"content": True})) == [
        ("not_evaluated", "unknown", keep, "KeepBuckets",
         f"aws_organizations_policy.keep: RCP content unknown until apply (aws_organizations_policy.keep.{unknown}): "
         "its effect is not evaluated (the collected text is kept)")]
    new = "(after apply) aws_organizations_policy.new"
    assert rows(_rc("aws_organizations_policy.new", "aws_organizations_policy", ["create"], None,
                    {"name": "New", "type": "RESOURCE_CONTROL_POLICY"}, {"id": True, "content": True})) == [
        ("not_evaluated", "unknown", new, "New",
         f"aws_organizations_policy.new: RCP content unknown until apply (aws_organizations_policy.new.{unknown}): "
         "its effect is not evaluated (the new RCP is evaluated as allowing everything)"),
        ("rcp_created", "neutral", new, "New", "new RCP (not attached)")]
    ghost = dict(before, id="p-ghost1234", name="Ghost")
    assert rows(_rc("aws_organizations_policy.ghost", "aws_organizations_policy", ["update"], ghost, ghost)) == [
        ("not_evaluated", "unknown", "p-ghost1234", None,
         "aws_organizations_policy.ghost: updates policy p-ghost1234, which the snapshot does not have")]


def test_plan_rcp_where_rcps_are_not_enabled_stays_not_evaluated(tmp_path):
    from orgkit.diff import diff_plan

    org = spec(rcp=False).load(tmp_path / "s")
    p = _plan([_rc("aws_organizations_policy.keep", "aws_organizations_policy", ["create"], None,
                   {"name": "KeepBuckets", "content": json.dumps(KEEP), "type": "RESOURCE_CONTROL_POLICY"},
                   {"id": True})])
    df = diff_plan(org, p, actions=ACTIONS)
    assert _one(df, "not_evaluated")["severity"] == "unknown"


def test_plan_known_rcp_to_unknown_target_can_only_restrict(planned):
    from orgkit.diff import diff_plan

    org, keep, _ = planned
    p = _plan([_rc("aws_organizations_policy_attachment.somewhere", "aws_organizations_policy_attachment", ["create"],
                   None, {"policy_id": keep}, {"id": True, "target_id": True})])
    df = diff_plan(org, p, actions=ACTIONS)
    r = _one(df, "not_evaluated")
    assert "it can only take permissions away (it has no Allow)" in r["reason"]
    assert not ((df["kind"] == "scp_effect") & (df["after"] == "unknown")).any()


def test_plan_new_ou_gets_rcp_full_access_listed_not_attached(planned):
    from orgkit.diff import diff_plan

    org, _, _ = planned
    root = org.ous.loc[org.ous["is_root"], "ou_id"].iloc[0]
    p = _plan([_rc("aws_organizations_organizational_unit.sec", "aws_organizations_organizational_unit", ["create"],
                   None, {"name": "Security", "parent_id": root}, {"id": True, "arn": True})])
    df = diff_plan(org, p, actions=ACTIONS)
    r = _one(df, "ou_added")
    assert "(RCPs attached: RCPFullAWSAccess)" in r["reason"] and "(SCPs attached: FullAWSAccess)" in r["reason"]
    assert not df["kind"].isin(["rcp_attached", "not_evaluated"]).any()


def _except(role: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "KeepBuckets", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
         "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{role}"}}}]}


def test_rcp_edit_that_keeps_the_label_conditional_is_compared_by_cases(tmp_path):
    """Issue 18 point 1 for RCPs: the exception widened from one role to every role (the label stays
    ``conditional``) lets principals that were denied delete buckets: a regression, for the edit and the effect."""
    before = spec(rcp_doc=_except("SecurityAdmin")).load(tmp_path / "b")
    after = spec(rcp_doc=_except("*")).load(tmp_path / "a")
    df = diff(before, after, actions=ACTIONS, processes=1)
    r = _one(df, "rcp_edited")
    assert r["severity"] == "regression", r["reason"]
    eff = df[(df["kind"] == "scp_effect") & (df["service"] == "s3")]
    assert len(eff) and set(eff["severity"]) == {"regression"}
    assert set(eff["before"]) == set(eff["after"]) == {"conditional"}
    # and the reverse edit is an improvement
    back = diff(after, before, actions=ACTIONS, processes=1)
    assert _one(back, "rcp_edited")["severity"] == "improvement"


# issue 22: survivors of mutation (Terraform plans of RCPs), compared whole
RCP_ROW = ["kind", "severity", "account_id", "policy_id", "policy_name", "target_id", "before", "after", "reason",
           "source"]


def _rcp_rows(df) -> list[tuple]:
    return [tuple(r) for r in df[RCP_ROW].itertuples(index=False)]


def test_plan_rcp_whose_new_name_is_unknown_keeps_its_name(planned):
    from orgkit.diff import diff_plan, plan_org

    org, keep, _ = planned
    before = {"id": keep, "name": "KeepBuckets", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}
    p = _plan([_rc("aws_organizations_policy.keep", "aws_organizations_policy", ["update"], before,
                   {"id": keep, "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}, {"name": True})])
    assert _rcp_rows(diff_plan(org, p, actions=ACTIONS)) == []  # not renamed to its address
    rcps = plan_org(org, p).org.frames["rcps"]
    assert sorted(zip(rcps["policy_id"], rcps["name"])) == [(keep, "KeepBuckets"),
                                                           ("p-RCPFullAWSAccess", "RCPFullAWSAccess")]


def test_plan_new_rcp_is_a_customer_managed_policy(planned):
    from orgkit.diff import plan_org

    org, _, _ = planned
    p = _plan([_rc("aws_organizations_policy.spare", "aws_organizations_policy", ["create"], None,
                   {"name": "Spare", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}, {"id": True})])
    rcps = plan_org(org, p).org.frames["rcps"]
    new = rcps[rcps["name"] == "Spare"]
    assert new[["policy_id", "name", "description", "type", "aws_managed", "content"]].to_dict("records") == [
        {"policy_id": "(after apply) aws_organizations_policy.spare", "name": "Spare", "description": None,
         "type": "RESOURCE_CONTROL_POLICY", "aws_managed": False, "content": json.dumps(KEEP)}]


def test_plan_replacing_an_rcp_the_snapshot_lacks_creates_it(planned):
    from orgkit.diff import diff_plan

    org, _, _ = planned
    p = _plan([_rc("aws_organizations_policy.gone", "aws_organizations_policy", ["delete", "create"],
                   {"id": "p-gone", "name": "Gone", "type": "RESOURCE_CONTROL_POLICY"},
                   {"name": "Gone", "type": "RESOURCE_CONTROL_POLICY", "content": json.dumps(KEEP)}, {"id": True})])
    assert _rcp_rows(diff_plan(org, p, actions=ACTIONS)) == [
        ("rcp_created", "neutral", None, "(after apply) aws_organizations_policy.gone", "Gone", None, None, "Gone",
         "new RCP (not attached)", None)]


DENY_GET = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoBuckets", "Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "*"}]}
POLICY_ROW = ["kind", "severity", "policy_id", "policy_name", "reason"]


def _both_ous(tmp_path, name, **c):
    """spec() with DenyS3 attached to Eng as well: App and Play are each touched by an SCP and an RCP change."""
    sb = spec(**c)
    eng = next(o["Id"] for o in sb.ous if o["Name"] == "Eng")
    sb.attach(next(p for p, v in sb.policies.items() if v["name"] == "DenyS3"), eng)
    return sb.load(tmp_path / name)


def _policy_rows(before, after) -> list[tuple]:
    df = diff(before, after, actions=ACTIONS, processes=1, coverage=False)
    df = df[df["kind"].isin(["scp_edited", "rcp_edited"])]
    return [tuple(r) for r in df[POLICY_ROW].itertuples(index=False)]


def test_an_rcp_edit_sharing_every_account_with_an_scp_edit_is_rated_alone(tmp_path):
    """Every account is touched by both edits: each is applied alone to BEFORE (the RCP one to BEFORE's RCPs) and
    rated by its own effect, whether the labels change (the SCP) or stay conditional with other cases (the RCP)."""
    before = _both_ous(tmp_path, "b")
    reformatted = _both_ous(tmp_path, "a", rcp_doc=KEEP_REFORMATTED, scp_doc=DENY_GET)
    scp_id = next(p for p in before.policies["policy_id"] if p != "p-FullAWSAccess")
    scp_row = ("scp_edited", "regression", scp_id, "DenyS3",
               "edited: statement NoBuckets: Action -s3:CreateBucket +s3:GetObject; changes SCP decisions in 2 "
               "accounts")
    rcp_id = before.rcps.loc[before.rcps["name"] == "KeepBuckets", "policy_id"].iloc[0]
    assert _policy_rows(before, reformatted) == [
        scp_row,
        ("rcp_edited", "neutral", rcp_id, "KeepBuckets", "formatting only (whitespace or key order): the same JSON "
         "document; no effect on any account's SCP decisions")]
    before = _both_ous(tmp_path, "b2", rcp_doc=_except("SecurityAdmin"))
    widened = _both_ous(tmp_path, "a2", rcp_doc=_except("*"), scp_doc=DENY_GET)
    assert _policy_rows(before, widened) == [
        scp_row,
        ("rcp_edited", "regression", rcp_id, "KeepBuckets",
         "edited: statement KeepBuckets: Condition changed; changes SCP decisions in 2 accounts")]


def test_a_new_ou_lists_every_rcp_attached_to_it(base, tmp_path):
    """issue 22 (a seed-23 survivor): an OU new in AFTER is listed with each RCP it has, RCPFullAWSAccess included."""
    sb = spec()
    new = sb.ou("New")
    sb.attach_rcp(next(p for p, v in sb.rcps.items() if v["name"] == "KeepBuckets"), new)
    df = diff(base, sb.load(tmp_path / "a"), scp=False, coverage=False)
    assert [tuple(r) for r in df[["kind", "target_id", "reason"]].itertuples(index=False)] == [
        ("ou_added", new, "new OU (SCPs attached: FullAWSAccess) (RCPs attached: KeepBuckets, RCPFullAWSAccess)")]


EDS_NAMED = ["kind", "severity", "account_id", "account_name", "region", "before", "after", "reason", "trail_arn"]


def _eds_named(before, after) -> list[tuple]:
    df = diff(before, after, scp=False, processes=1)
    return [tuple(r) for r in df[df["kind"].str.startswith("eds_")][EDS_NAMED].itertuples(index=False)]


def test_eds_status_change_between_not_recording_states_is_neutral(tmp_path):
    stopped = spec(eds_status="STOPPED_INGESTION").load(tmp_path / "stopped")
    starting = spec(eds_status="STARTING_INGESTION").load(tmp_path / "starting")
    assert _eds_named(stopped, starting) == [
        ("eds_changed", "neutral", MGMT, "Management", "us-east-1", "STOPPED_INGESTION", "STARTING_INGESTION",
         "event data store org-lake (organization, all regions) status changed "
         "(STOPPED_INGESTION -> STARTING_INGESTION)", ORG_LAKE)]


def test_a_store_scope_first_not_given_then_given_is_a_scope_change(tmp_path):
    sb = spec(eds=False)
    arn = sb.event_data_store("half", organization=False, multi_region=False)
    store = sb.docs[sb.management]["CloudTrail"]["EventDataStores"]["us-east-1"][0]
    del store["MultiRegionEnabled"], store["OrganizationEnabled"]
    sa = spec(eds=False)
    sa.event_data_store("half", organization=False, multi_region=False)
    assert _eds_named(sb.load(tmp_path / "half"), sa.load(tmp_path / "given")) == [
        ("eds_changed", "neutral", MGMT, "Management", "us-east-1", "unknown scope, unknown regions",
         "this account, us-east-1 only", "event data store half: organization None -> False; multi-region None -> False",
         arn)]


def test_a_store_row_names_its_owner_as_after_names_it(tmp_path):
    sb, sa = spec(eds=False), spec(eds=False)
    arn = sb.event_data_store("app-lake", organization=False, account=sb._app)
    sa.event_data_store("app-lake", organization=False, account=sa._app, status="STOPPED_INGESTION")
    next(a for a in sa.accounts if a["Id"] == sa._app)["Name"] = "App renamed"
    assert _eds_named(sb.load(tmp_path / "b"), sa.load(tmp_path / "a")) == [
        ("eds_stopped", "regression", sb._app, "App renamed", "us-east-1", "ENABLED", "STOPPED_INGESTION",
         "event data store app-lake (this account, all regions) stopped ingesting (ENABLED -> STOPPED_INGESTION)",
         arn)]


def test_eds_rows_of_an_account_filtered_pair_keep_only_the_accounts_read(tmp_path):
    import orgkit
    from orgkit.snapshot import DIGEST_KEY, dumps, manifest_digest

    def filtered(sb, name):
        path = sb.write(tmp_path / name)
        m = json.loads((path / "manifest.json").read_text())
        m["options"] = {"accounts": [MGMT]}
        m[DIGEST_KEY] = manifest_digest(m)
        (path / "manifest.json").write_text(dumps(m))
        return orgkit.load(path)

    sb, sa = spec(), spec(eds_status="STOPPED_INGESTION")
    sb.event_data_store("app-lake", organization=False, account=sb._app)
    sa.event_data_store("app-lake", organization=False, account=sa._app, status="STOPPED_INGESTION")
    assert _eds_named(filtered(sb, "b"), filtered(sa, "a")) == [
        ("eds_stopped", "regression", MGMT, "Management", "us-east-1", "ENABLED", "STOPPED_INGESTION",
         "event data store org-lake (organization, all regions) stopped ingesting (ENABLED -> STOPPED_INGESTION)",
         ORG_LAKE)]


def test_a_new_rcp_attached_where_another_is_detached_is_rated_by_its_own_effect(base, tmp_path):
    """Play is touched by both: the new RCP alone denies s3:GetObject (an improvement), whatever the detach does."""
    sa = spec(detach_sandbox=True)
    sandbox = next(o["Id"] for o in sa.ous if o["Name"] == "Sandbox")
    new = sa.rcp("DenyGet", DENY_GET, [sandbox])
    df = diff(base, sa.load(tmp_path / "a"), actions=ACTIONS, processes=1, coverage=False)
    df = df[df.kind.isin(["rcp_attached", "rcp_detached"])]
    keep = base.rcps.loc[base.rcps["name"] == "KeepBuckets", "policy_id"].iloc[0]
    assert [tuple(r) for r in df[["kind", "severity", "policy_id", "target_id", "reason"]].itertuples(
        index=False)] == [
        ("rcp_detached", "regression", keep, sandbox,
         "KeepBuckets detached from ou Root/Sandbox; changes SCP decisions in 1 account"),
        ("rcp_attached", "improvement", new, sandbox,
         "DenyGet attached to ou Root/Sandbox; changes SCP decisions in 1 account")]


# issue 22: seed-26 survivors, and a store's selectors in words (``state._eds_selectors``) compared whole
def _store(*fields, name="sel"):
    return [{"Name": name, "FieldSelectors": list(fields)}]


DATA_ARN = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]


@pytest.mark.parametrize("before,after,words", [
    (MGMT_EVENTS, DATA_EVENTS, "advanced[eventCategory=Management] -> advanced[eventCategory=Management] "
                               "advanced[eventCategory=Data; resources.type=AWS::S3::Object]"),
    (_store(*DATA_ARN, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/", "arn:aws:s3:::b/"]}),
     _store(*DATA_ARN, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b/"]}),
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN starts arn:aws:s3:::a/,"
     "arn:aws:s3:::b/] -> advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN starts "
     "arn:aws:s3:::b/]"),
    (_store(*DATA_ARN, {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::tmp/"]}),
     _store(*DATA_ARN, {"Field": "resources.ARN", "EndsWith": [".log"], "NotEndsWith": [".tmp"]}),
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN not starts arn:aws:s3:::tmp/] -> "
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN ends .log not ends .tmp]"),
    (_store({"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": [],
                                                                   "NotEquals": ["true"]}),
     _store({"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}),
     "advanced[eventCategory=Management; readOnly!=true] -> advanced[eventCategory=Management; "
     "eventSource!=kms.amazonaws.com,rdsdata.amazonaws.com]"),
    # no selector at all, a selector without field selectors, one with a field without Field
    (MGMT_EVENTS, [], "advanced[eventCategory=Management] -> advanced[]"),
    (MGMT_EVENTS, [{"Name": "n", "FieldSelectors": None}, {"Name": "m", "FieldSelectors": [{"Equals": ["Data"]}]}],
     "advanced[eventCategory=Management] -> advanced[] advanced[None=Data]"),
    # the same selectors under another name: no row
    (MGMT_EVENTS, _store({"Field": "eventCategory", "Equals": ["Management"]}, name="renamed"), None),
])
def test_store_selector_changes_in_words(tmp_path, before, after, words):
    rows = _eds_rows(spec(eds_selectors=before).load(tmp_path / "b"), spec(eds_selectors=after).load(tmp_path / "a"))
    assert rows == ([("eds_changed", "neutral", MGMT, "us-east-1", "organization, all regions",
                      "organization, all regions", f"event data store org-lake: event selectors {words}", ORG_LAKE,
                      "cloudtrail:GetEventDataStore")] if words else [])


def test_plan_rcp_attachments_are_typed_and_named_as_the_collector_records_them(tmp_path):
    """issue 22 (diff seed-27 survivor plan_org 1033: an RCP's OU target typed ``organizational_unit``): the
    planned organisation's ``rcp_targets`` gets, for an RCP the plan attaches to the root, an OU and an account,
    the Type ListTargetsForPolicy gives (ROOT, ORGANIZATIONAL_UNIT, ACCOUNT) and the target's name, as the
    collected rows have them (the names were None before: fixed with this test). Compared whole."""
    from orgkit.diff import plan_org

    sb = spec(detach_sandbox=True)
    org = sb.load(tmp_path / "s")
    keep = next(p for p, v in sb.rcps.items() if v["name"] == "KeepBuckets")
    root, eng, sandbox = (org.ous.set_index("name").loc[n, "ou_id"] for n in ("Root", "Eng", "Sandbox"))
    mgmt, app, play = (org.accounts.set_index("account_name").loc[n, "account_id"]
                       for n in ("Management", "App", "Play"))
    att = "aws_organizations_policy_attachment"
    p = _plan([_rc(f"{att}.{n}", att, ["create"], None, {"policy_id": keep, "target_id": tid}, {"id": True})
               for n, tid in (("root", root), ("sandbox", sandbox), ("play", play))])
    full = "p-RCPFullAWSAccess"
    collected = [(full, root, "ROOT", "Root"), (full, eng, "ORGANIZATIONAL_UNIT", "Eng"),
                 (full, sandbox, "ORGANIZATIONAL_UNIT", "Sandbox"), (full, mgmt, "ACCOUNT", "Management"),
                 (full, app, "ACCOUNT", "App"), (full, play, "ACCOUNT", "Play"),
                 (keep, eng, "ORGANIZATIONAL_UNIT", "Eng")]
    assert [tuple(r) for r in org.frames["rcp_targets"].itertuples(index=False)] == collected
    got = plan_org(org, p).org.frames["rcp_targets"]
    assert list(got.columns) == ["policy_id", "target_id", "target_type", "target_name"]
    assert [tuple(r) for r in got.itertuples(index=False)] == collected + [
        (keep, root, "ROOT", "Root"), (keep, sandbox, "ORGANIZATIONAL_UNIT", "Sandbox"), (keep, play, "ACCOUNT", "Play")]


def test_an_account_store_unread_by_its_owner_is_unknown_though_the_management_account_read_its_own(tmp_path):
    """issue 22 (diff seed-27 survivor event_data_store_changes 273: every store removed from AFTER treated as an
    organization store). App's own store (OrganizationEnabled false) is gone from AFTER, where App's
    ListEventDataStores of us-east-1 failed while the management account's (the organization stores' reader) was
    read: only App lists an account store, so the store is unknown, not deleted; the organization store of the
    management account, gone where its owner was read, is deleted. Both rows whole."""
    sb, sa = spec(), spec(eds=False)
    arn = sb.event_data_store("app-lake", organization=False, multi_region=False, account=sb._app)
    sa.lake_unread("us-east-1", account=sa._app)
    assert _eds_rows(sb.load(tmp_path / "b"), sa.load(tmp_path / "a")) == [
        ("eds_removed", "regression", MGMT, "us-east-1", "ENABLED", "deleted",
         "event data store org-lake (organization, all regions) deleted while ingesting", ORG_LAKE,
         "cloudtrail:GetEventDataStore"),
        ("eds_changed", "regression", sb._app, "us-east-1", "ENABLED", "unknown",
         f"event data store app-lake: the CloudTrail Lake stores of its owner {sb._app} in us-east-1 were not read "
         "in AFTER", arn, "cloudtrail:GetEventDataStore")]


def test_an_organization_store_unread_by_its_owner_but_read_by_a_delegated_administrator_is_deleted(tmp_path):
    """issue 22 (diff seed-28 survivors event_data_store_changes 265: every store gone from AFTER looked up as an
    account store, only its owner's read counting; 124: the row's OU path lost). The organization store of the
    management account is gone from AFTER, where the management account's ListEventDataStores of us-east-1 failed
    but App, a CloudTrail delegated administrator (which lists the organization's stores), read it: the store is
    known deleted. The row whole, with its owner's name and OU path."""
    sb, sa = spec(), spec(eds=False)
    sa.lake_unread("us-east-1")
    sa.delegate(sa._app, "cloudtrail.amazonaws.com")
    sa.lake_read(sa._app)
    df = diff(sb.load(tmp_path / "b"), sa.load(tmp_path / "a"), scp=False, processes=1)
    cols = ["kind", "severity", "account_id", "account_name", "ou_path", "region", "before", "after", "reason",
            "trail_arn", "source"]
    assert [tuple(r) for r in df[df["kind"].str.startswith("eds_")][cols].itertuples(index=False)] == [
        ("eds_removed", "regression", MGMT, "Management", "Root", "us-east-1", "ENABLED", "deleted",
         "event data store org-lake (organization, all regions) deleted while ingesting", ORG_LAKE,
         "cloudtrail:GetEventDataStore")]
def test_rcp_deleted_under_a_twin_rcp_is_rated_alone_not_by_an_scp_edit_on_the_same_account(tmp_path):
    """KeepBucketsToo denies what KeepBuckets did on the same OUs, so deleting KeepBuckets changes nothing; Play's
    decisions change all the same, by the DenyS3 edit on Sandbox. The deletion is rated by its own effect (BEFORE's
    RCPs without it), never by Play's effect rows."""
    narrowed = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoBuckets", "Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "*"}]}

    def twin(delete: bool, scp_doc: dict) -> SnapshotSpec:
        sb = SnapshotSpec(regions=["us-east-1", "eu-west-1"])
        eng, sandbox = sb.ou("Eng"), sb.ou("Sandbox")
        sb.account("App", parent=eng)
        sb.account("Play", parent=sandbox)
        sb.policy("DenyS3", scp_doc, [sandbox])
        keep = sb.rcp("KeepBuckets", KEEP, [eng, sandbox])
        sb.rcp("KeepBucketsToo", KEEP, [eng, sandbox])
        if delete:
            del sb.rcps[keep]
        return sb

    before = twin(False, DENY_S3).load(tmp_path / "b")
    after = twin(True, narrowed).load(tmp_path / "a")
    df = diff(before, after, actions=ACTIONS, processes=1)
    rows = df[df["kind"].str.startswith(("rcp_", "scp_edited"))][["kind", "severity", "reason"]]
    assert sorted(map(tuple, rows.to_numpy().tolist())) == [
        ("rcp_deleted", "neutral", "RCP deleted; no effect on any account's SCP decisions"),
        ("rcp_detached", "neutral", "KeepBuckets detached from ou Root/Eng; no effect on any account's SCP decisions"),
        ("rcp_detached", "neutral",
         "KeepBuckets detached from ou Root/Sandbox; no effect on any account's SCP decisions"),
        ("scp_edited", "regression",
         "edited: statement NoBuckets: Action -s3:CreateBucket +s3:GetObject; changes SCP decisions in 1 account"),
    ]


def test_orgs_built_without_an_rcps_frame_diff_as_having_no_rcp_documents(base, tmp_path):
    """An Org made in code from frames that predate RCPs (no ``rcps`` frame) while the type is enabled: its RCP
    documents are taken as none, never a crash; two such organisations that are the same differ in nothing."""
    import dataclasses

    def without_rcps(o):
        return dataclasses.replace(o, frames={k: v for k, v in o.frames.items() if k != "rcps"})

    after = spec(new_rcp=True).load(tmp_path / "a")
    assert base.rcp_enabled and after.rcp_enabled and getattr(without_rcps(base), "rcps", None) is None
    df = diff(without_rcps(base), without_rcps(after), actions=ACTIONS, processes=1)
    assert df.empty, df[["kind", "severity", "reason"]].to_string()
