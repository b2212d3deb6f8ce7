"""orgkit.diff: each kind of change between two hand-built snapshots, a change with no effect, scope differences,
and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

import orgkit
from orgkit.diff import COLUMNS, DiffError, diff, summary, summary_line
from orgkit.diff.rows import decision_severity, status_severity, CLOUDTRAIL_RANK, GOOD
from orgkit.testing import SnapshotSpec

PROTECT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
     "Resource": "*"},
    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
DENY_S3 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "NoBuckets", "Effect": "Deny", "Action": ["s3:CreateBucket", "s3:DeleteBucket"], "Resource": "*"}]}


def spec(**change) -> SnapshotSpec:
    """The base organisation; keyword switches make the variations (the same ids come out every time)."""
    sb = SnapshotSpec(regions=change.get("regions", ["us-east-1", "eu-west-1"]))
    eng = sb.ou(change.get("eng_name", "Engineering"))
    prod = sb.ou("Prod", parent=eng)
    sandbox = sb.ou("Sandbox")
    app = sb.account("App", parent=prod if not change.get("move_app") else sandbox,
                     status=change.get("app_status", "ACTIVE"))
    play = sb.account("Play", parent=sandbox)
    protect = sb.policy("Protect", change.get("protect_doc", PROTECT), [eng] if not change.get("detach") else [])
    if change.get("protect_text"):
        sb.policies[protect]["doc"] = change["protect_text"]
    deny_s3 = sb.policy("DenyS3", change.get("s3_doc", DENY_S3), [sandbox])
    if change.get("delete_s3"):
        del sb.policies[deny_s3]
    if change.get("new_ou"):
        sb.ou("Security")
    if change.get("new_policy"):
        sb.policy("Extra", DENY_S3, [])
    if change.get("new_account"):
        sb.account("Newcomer", parent=prod)
    sb.trail(sb.management, "org-trail", organization=True, logging=not change.get("stop_org_trail"))
    sb.trail(app, "app-trail", logging=not change.get("stop_app_trail"))
    admin = sb.management
    for r in sb.regions:
        status = "DISABLED" if change.get("suspend") and r == "us-east-1" else "ENABLED"
        sb.detector(app, r, status=status, features=[{"Name": "S3_DATA_EVENTS",
                                                      "Status": change.get("s3_feature", "ENABLED")}])
    if change.get("gd_admin"):
        sb.gd_admins = {"us-east-1": [{"AdminAccountId": admin, "AdminStatus": "ENABLED"}]}
        sb.detector(admin, "us-east-1", org_config={"AutoEnableOrganizationMembers": change.get("auto", "ALL"),
                                                    "Features": [{"Name": "S3_DATA_EVENTS",
                                                                  "AutoEnable": change.get("auto_s3", "NONE")}]})
    sb._app, sb._play, sb._eng, sb._sandbox, sb._protect, sb._prod = app, play, eng, sandbox, protect, prod
    return sb


def load(tmp_path, name, sb: SnapshotSpec, accounts_filter=None):
    path = sb.write(tmp_path / name)
    if accounts_filter is not None:
        from orgkit.snapshot import DIGEST_KEY, dumps, manifest_digest

        # a collection run with --accounts records the filter in the manifest; re-sealed (the manifest carries
        # its own digest, and an unsealed edit is refused as tampering)
        m = json.loads((path / "manifest.json").read_text())
        m["options"] = {"accounts": accounts_filter}
        m[DIGEST_KEY] = manifest_digest(m)
        (path / "manifest.json").write_text(dumps(m))
    return orgkit.load(path)


@pytest.fixture
def pair(tmp_path):
    def make(before: dict | None = None, after: dict | None = None, **kw):
        b, a = spec(**(before or {})), spec(**(after or {}))
        return load(tmp_path, "before", b), load(tmp_path, "after", a), b, a
    return make


def kinds(df) -> set:
    return set(df["kind"])


def test_no_change_is_an_empty_frame_with_every_column(pair):
    b, a, *_ = pair()
    df = diff(b, a)
    assert list(df.columns) == COLUMNS and df.empty
    assert summary_line(df) == "orgkit diff: no changes"
    assert orgkit.diff(b, a).empty  # the package is callable


def test_account_moved_added_suspended_and_its_effect(pair):
    b, a, sb, sa = pair(after={"move_app": True, "new_account": True, "app_status": "SUSPENDED"})
    df = diff(b, a)
    moved = df[df.kind == "account_moved"].iloc[0]
    assert (moved.account_id, moved.before, moved.after) == (sb._app, "Root/Engineering/Prod", "Root/Sandbox")
    # out of Engineering, the trail protection is gone, and DenyS3 now applies
    assert moved.severity == "regression"
    t = df[(df.kind == "tamper") & (df.account_id == sb._app)].set_index("action")
    assert t.loc["cloudtrail:StopLogging", "before"] == "explicit_deny"
    assert t.loc["cloudtrail:StopLogging", "after"] == "allow"
    assert t.loc["cloudtrail:StopLogging", "severity"] == "regression"
    s3 = df[(df.kind == "scp_effect") & (df.account_id == sb._app) & (df.service == "s3")].iloc[0]
    assert (s3.before, s3.after, s3["count"], s3.severity) == ("allow", "explicit_deny", 2, "improvement")
    assert s3.action == "s3:CreateBucket, s3:DeleteBucket"
    assert df[df.kind == "account_suspended"].iloc[0].after == "SUSPENDED"
    new = df[df.kind == "account_added"]
    assert new.account_name.tolist() == ["Newcomer"]
    # a new account arrives with its cells: covered by the organization trail, no GuardDuty (a regression)
    cells = df[(df.account_id == new.account_id.iloc[0]) & df.kind.isin(["cloudtrail", "guardduty"])]
    assert set(zip(cells.kind, cells.after, cells.severity)) == {("cloudtrail", "covered", "neutral"),
                                                                 ("guardduty", "none", "regression")}
    assert len(cells) == 4


def test_a_suspended_account_is_not_read_and_that_is_not_a_regression(tmp_path):
    b = load(tmp_path, "b", spec())
    sa = spec(app_status="SUSPENDED")
    # the collector lists a suspended account and calls nothing in it
    sa.docs[sa._app] = {"AccountId": sa._app, "Access": {"Method": "none", "Error": None}}
    a = load(tmp_path, "a", sa)
    df = diff(b, a)
    cells = df[df.kind.isin(["cloudtrail", "guardduty"]) & (df.account_id == sa._app)]
    assert len(cells) and set(cells.after) == {"unknown"} and set(cells.severity) == {"neutral"}
    assert df[df.kind == "account_suspended"].iloc[0].account_id == sa._app
    t = df[df.trail_arn.notna() & df.trail_arn.str.endswith("trail/app-trail")]
    assert t[["kind", "severity", "after"]].values.tolist() == [["trail_changed", "neutral", "unknown"]]  # not "removed"
    # issue 22 (diff seed-28 survivor trail_changes 235): the row whole, BEFORE "read" (the trail was read)
    assert [tuple(r) for r in t[TRAIL_COLS].itertuples(index=False)] == [
        ("trail_changed", "neutral", sa._app, "App", "Root/Engineering/Prod", "us-east-1", "read", "unknown",
         "trail app-trail: its account's trails were not read in AFTER (the account is suspended)",
         f"arn:aws:cloudtrail:us-east-1:{sa._app}:trail/app-trail", "cloudtrail")]


def test_ous_renamed_added_and_paths_are_not_moves(pair):
    b, a, *_ = pair(after={"eng_name": "Platform", "new_ou": True})
    df = diff(b, a)
    # accounts under the renamed OU did not move; the new OU is listed with the SCP AWS attaches to it
    assert kinds(df) == {"ou_renamed", "ou_added"}
    assert "(SCPs attached: FullAWSAccess)" in df[df.kind == "ou_added"].iloc[0].reason
    r = df[df.kind == "ou_renamed"].iloc[0]
    assert (r.before, r.after, r.ou_path) == ("Engineering", "Platform", "Root/Platform")
    df2 = diff(a, b)
    assert "ou_removed" in kinds(df2)


def test_scp_detached_loses_tamper_protection(pair):
    b, a, sb, _ = pair(after={"detach": True})
    df = diff(b, a, principal="role/Developer")
    d = df[df.kind == "scp_detached"].iloc[0]
    assert (d.policy_name, d.target_id, d.severity) == ("Protect", sb._eng, "regression")
    lost = df[(df.kind == "tamper") & (df.severity == "regression")]
    assert set(lost.account_id) == {sb._app}
    assert {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "organizations:LeaveOrganization"} == set(lost.action)
    assert "tamper protection weakened in 1 account" in summary_line(df)
    # and back again: gained
    back = diff(a, b, principal="role/Developer")
    assert back[back.kind == "scp_attached"].iloc[0].severity == "improvement"
    assert set(back[back.kind == "tamper"].severity) == {"improvement"}


def test_scp_edited_with_effect(pair):
    doc = json.loads(json.dumps(PROTECT))
    doc["Statement"][0]["Action"] = ["cloudtrail:DeleteTrail"]  # StopLogging no longer denied
    b, a, sb, _ = pair(after={"protect_doc": doc})
    df = diff(b, a)
    e = df[df.kind == "scp_edited"].iloc[0]
    assert e.severity == "regression" and "-cloudtrail:StopLogging" in e.reason
    t = df[df.kind == "tamper"]
    assert t[["account_id", "action", "before", "after"]].values.tolist() == [
        [sb._app, "cloudtrail:StopLogging", "explicit_deny", "allow"]]


@pytest.mark.parametrize("variant", ["whitespace", "reordered"])
def test_a_policy_change_with_no_effect_is_neutral_without_effect_rows(pair, variant):
    if variant == "whitespace":
        after = {"protect_text": PROTECT}  # same document; the writer re-serialises it below
    else:
        doc = json.loads(json.dumps(PROTECT))
        doc["Statement"][0]["Action"] = list(reversed(doc["Statement"][0]["Action"]))
        after = {"protect_doc": doc}
    b, a, sb, sa = pair(after=after)
    if variant == "whitespace":  # the same JSON, laid out differently
        pol = a.policies.set_index("policy_id")
        a.policies.loc[a.policies.policy_id == sb._protect, "content"] = json.dumps(PROTECT, indent=4)
        assert pol.loc[sb._protect, "content"] != a.policies.set_index("policy_id").loc[sb._protect, "content"]
    df = diff(b, a)
    assert kinds(df) == {"scp_edited"}
    r = df.iloc[0]
    assert r.severity == "neutral" and "no effect" in r.reason
    assert ("formatting only" in r.reason) if variant == "whitespace" else ("reordered" in r.reason)


def test_a_no_effect_edit_stays_neutral_when_an_account_moves_under_it(pair):
    """App moves into Sandbox (its decisions change) while DenyS3, attached there, is only reordered: the move
    carries the effect, the edit none (each change is rated alone)."""
    doc = json.loads(json.dumps(DENY_S3))
    doc["Statement"][0]["Action"].reverse()
    b, a, sb, _ = pair(after={"move_app": True, "s3_doc": doc})
    df = diff(b, a).set_index("kind")
    assert df.loc["scp_edited", "severity"] == "neutral" and "no effect" in df.loc["scp_edited", "reason"]
    assert df.loc["account_moved", "severity"] == "regression"  # it leaves the trail protection behind


def test_a_policy_that_cannot_be_evaluated_is_said_so(pair):
    b, a, sb, _ = pair(after={"protect_text": "not json"})
    a.policies.loc[a.policies.policy_id == sb._protect, "content"] = '{"Statement": [{"Effect": "Maybe"}]}'
    df = diff(b, a)
    eff = df[df.kind == "scp_effect"].iloc[0]
    assert (eff.after, eff.severity) == ("unknown", "regression") and "could not be evaluated" in eff.reason
    ed = df[df.kind == "scp_edited"].iloc[0]
    assert "could not be evaluated" in ed.reason and ed.severity == "unknown"  # never neutral (issue 17)


def test_scp_created_and_deleted(pair):
    b, a, *_ = pair(after={"new_policy": True})
    assert diff(b, a)[["kind", "severity"]].values.tolist() == [["scp_created", "neutral"]]
    b, a, sb, _ = pair(after={"delete_s3": True})
    df = diff(b, a)
    assert {"scp_deleted", "scp_detached"} <= kinds(df)
    assert df[df.kind == "scp_deleted"].iloc[0].severity == "regression"  # Play may create buckets again


def test_a_policy_attached_to_two_ous_deleted_counts_the_accounts_of_both(tmp_path):
    sb = spec()
    deny_s3 = next(p for p, v in sb.policies.items() if v["name"] == "DenyS3")
    sb.attach(deny_s3, sb._prod)
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", spec(delete_s3=True)), processes=1, coverage=False,
              actions=["s3:CreateBucket", "s3:DeleteBucket", "s3:GetObject"])
    cols = ["kind", "severity", "policy_id", "target_id", "ou_path", "before", "reason"]
    assert [tuple(r) for r in df[df.kind.str.startswith("scp_")][cols].itertuples(index=False)] == [
        ("scp_deleted", "regression", deny_s3, None, None, "DenyS3", "SCP deleted; changes SCP decisions in 2 accounts"),
        ("scp_detached", "regression", deny_s3, sb._prod, "Root/Engineering/Prod", None,
         "DenyS3 detached from ou Root/Engineering/Prod; changes SCP decisions in 1 account"),
        ("scp_detached", "regression", deny_s3, sb._sandbox, "Root/Sandbox", None,
         "DenyS3 detached from ou Root/Sandbox; changes SCP decisions in 1 account"),
        ("scp_effect", "regression", None, None, "Root/Engineering/Prod", "explicit_deny",
         "2 s3 actions now allowed (were explicit_deny)"),
        ("scp_effect", "regression", None, None, "Root/Sandbox", "explicit_deny",
         "2 s3 actions now allowed (were explicit_deny)")]


# issue 22: survivors of mutation. Structure rows and edit descriptions compared whole.
STRUCT_COLS = ["kind", "severity", "account_id", "account_name", "ou_path", "before", "after", "target_id",
               "policy_id", "policy_name", "reason"]


def _structure_org(tmp_path, after: bool):
    """Every structural change between BEFORE and AFTER (the ids are the same on both sides: they are made in
    the same order; what only one side has is made last)."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Platform" if after else "Engineering")
    prod = sb.ou("Prod", parent=None if after else eng)
    sb.account("Application" if after else "App", parent=prod, status="SUSPENDED" if after else "ACTIVE")
    play = sb.account("Play", parent=prod if after else eng, status="PENDING_ACTIVATION" if after else "ACTIVE")
    sb.policy("Protection" if after else "Protect", json.loads(json.dumps(DENY_S3))
              if not after else {"Statement": [{"Resource": "*", "Action": ["s3:DeleteBucket", "s3:CreateBucket"],
                                                "Effect": "Deny", "Sid": "NoBuckets"}], "Version": "2012-10-17"},
              [eng])
    sb.policy("Temp", DENY_S3, [play] if after else [prod])
    if after:
        next(sb._ids)
        sb.ou("New")
        sb.account("Joiner", parent=eng, account_id="000000000099")
        sb.policy("Fresh", DENY_S3, [])
    else:
        sb.ou("Old")
        sb.account("Leaver", parent=eng, account_id="000000000098")
        sb.policy("Gone", DENY_S3, [eng])
    return sb.load(tmp_path / ("after" if after else "before"))


def test_structure_rows_compared_whole(tmp_path):
    """With ``scp=False`` the SCP effect is not evaluated: a change that could change the decisions of accounts
    the organisation had (a move, an edit, a deletion, an attachment, a detachment where the target is still there)
    is ``unknown``, never ``neutral`` (docs/diff.md: neutral means surely no effect); a join, a new SCP, a rename,
    a state change and what goes with an OU or account gone stay neutral."""
    df = diff(_structure_org(tmp_path, False), _structure_org(tmp_path, True), scp=False, coverage=False)
    eng, prod, old, new = "ou-ab12-00000001", "ou-ab12-00000002", "ou-ab12-00000007", "ou-ab12-00000008"
    app, play = "000000000003", "000000000004"
    protect, temp, gone, fresh = "p-00000005", "p-00000006", "p-00000008", "p-00000009"
    ne = "; its SCP effect was not evaluated (scp=False)"
    assert [tuple(r) for r in df[STRUCT_COLS].itertuples(index=False)] == [
        ("account_moved", "unknown", play, "Play", "Root/Prod", "Root/Engineering", "Root/Prod", prod, None, None,
         f"moved from Root/Engineering ({eng}) to Root/Prod ({prod})" + ne),
        ("ou_moved", "unknown", None, None, "Root/Prod", "Root/Engineering/Prod", "Root/Prod", prod, None, None,
         f"OU moved from under {eng} to under r-ab12" + ne),
        ("scp_edited", "unknown", None, None, None, None, None, None, protect, "Protection",
         "edited: statement NoBuckets: Action reordered" + ne),
        ("scp_deleted", "unknown", None, None, None, "Gone", None, None, gone, "Gone", "SCP deleted" + ne),
        ("scp_attached", "unknown", play, "Play", "Root/Prod", None, None, play, temp, "Temp",
         f"Temp attached to account Play ({play})" + ne),
        ("scp_detached", "unknown", None, None, "Root/Platform", None, None, eng, gone, "Gone",
         "Gone detached from ou Root/Platform" + ne),
        ("scp_detached", "unknown", None, None, "Root/Prod", None, None, prod, temp, "Temp",
         "Temp detached from ou Root/Prod" + ne),
        ("account_added", "neutral", "000000000099", "Joiner", "Root/Platform", None, "ACTIVE", eng, None, None,
         "joined the organisation in Root/Platform (SCPs attached: FullAWSAccess)"),
        ("account_removed", "neutral", "000000000098", "Leaver", "Root/Engineering", "ACTIVE", None, eng, None, None,
         "no longer in the organisation"),
        ("account_renamed", "neutral", app, "Application", "Root/Prod", "App", "Application", None, None, None,
         "account name changed"),
        ("account_suspended", "neutral", app, "Application", "Root/Prod", "ACTIVE", "SUSPENDED", None, None, None,
         "account state ACTIVE -> SUSPENDED"),
        ("account_status", "neutral", play, "Play", "Root/Prod", "ACTIVE", "PENDING_ACTIVATION", None, None, None,
         "account state ACTIVE -> PENDING_ACTIVATION"),
        ("ou_added", "neutral", None, None, "Root/New", None, "New", new, None, None,
         "new OU (SCPs attached: FullAWSAccess)"),
        ("ou_removed", "neutral", None, None, "Root/Old", "Old", None, old, None, None, "OU deleted"),
        ("ou_renamed", "neutral", None, None, "Root/Platform", "Engineering", "Platform", eng, None, None,
         "renamed: Root/Engineering is now Root/Platform"),
        ("scp_created", "neutral", None, None, None, None, "Fresh", None, fresh, "Fresh", "new SCP (not attached)"),
        ("scp_renamed", "neutral", None, None, None, "Protect", "Protection", None, protect, "Protection",
         "SCP renamed"),
        ("scp_detached", "neutral", "000000000098", "Leaver", "Root/Engineering", None, None, "000000000098",
         "p-FullAWSAccess", "FullAWSAccess", "FullAWSAccess detached from account Leaver (000000000098)"),
        ("scp_detached", "neutral", None, None, "Root/Old", None, None, old, "p-FullAWSAccess", "FullAWSAccess",
         "FullAWSAccess detached from ou Root/Old")]
    # with the SCP effect evaluated, the same rows are rated by it: none is left unknown
    rated = diff(_structure_org(tmp_path, False), _structure_org(tmp_path, True), coverage=False)
    assert not (rated["severity"] == "unknown").any()


def test_edits_are_described_statement_by_statement():
    from orgkit.diff.structure import describe_edit

    def doc(*statements, version="2012-10-17"):
        return json.dumps({"Version": version, "Statement": list(statements)})

    s1 = {"Sid": "A", "Effect": "Deny", "Action": ["s3:A", "s3:B"], "Resource": "*"}
    s2 = {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:x": "true"}}}
    cases = [
        ("not json", doc(s1), "policy text changed (not valid JSON on one side)"),
        (doc(s1), json.dumps(json.loads(doc(s1)), indent=2),
         "formatting only (whitespace or key order): the same JSON document"),
        (doc(s1, s2), doc(s2, s1), "edited: statement #2 removed; statement #1 added"),
        (doc(s1, s2), doc({**s1, "Action": ["s3:B", "s3:C"], "Effect": "Allow"},
                          {**s2, "Condition": {}, "NotAction": ["iam:*", "sts:*"]}),
         "edited: statement A: Action -s3:A +s3:C; Effect -Deny +Allow; statement #2: Condition changed; "
         "NotAction +sts:*"),
        (doc(s1), doc({**s1, "Sid": "B"}), "edited: statement A removed; statement B added"),
        (doc(s1), doc(s1, version="2008-10-17"), "edited: Version 2012-10-17 -> 2008-10-17"),
        (doc(s1), json.dumps({"Version": "2012-10-17", "Statement": s1}), "edited: same statements"),
        (doc(s1, s1), doc(s1, {**s1, "Resource": ["a", "b"]}), "edited: statement A#2: Resource -* +a,b"),
        (doc(s1), doc({**s1, "Action": "s3:A"}), "edited: statement A: Action -s3:B"),
        (doc({"Sid": "A", "Effect": "Deny"}, {"Sid": "B", "Effect": "Deny"}),
         doc({"Sid": "B", "Effect": "Deny"}, {"Sid": "A", "Effect": "Deny"}), "edited: statements reordered"),
        (doc(s1), doc({**s1, "Action": ["s3:B", "s3:A"]}), "edited: statement A: Action reordered"),
    ]
    assert [describe_edit(b, a) for b, a, _ in cases] == [want for *_, want in cases]


def test_trail_stopped_and_cells(pair):
    b, a, sb, _ = pair(after={"stop_app_trail": True})
    df = diff(b, a)
    # the app's own trail stopped: a trail row; its cells stay covered by the organization trail
    assert kinds(df) == {"trail_stopped"}
    r = df.iloc[0]
    assert r.trail_arn.endswith(":trail/app-trail") and r.severity == "regression" and r.account_id == sb._app
    b, a, sb, _ = pair(after={"stop_org_trail": True})
    df = diff(b, a)
    cells = df[df.kind == "cloudtrail"]
    # every account loses coverage but App (its own trail still logs)
    assert set(cells.after) == {"not_logging"} and set(cells.severity) == {"regression"}
    assert set(cells.account_id) == {sb.management, sb._play} and len(cells) == 2 * 2


# issue 22: survivors of mutation. Trail rows and GuardDuty management rows compared whole.
TRAIL_COLS = ["kind", "severity", "account_id", "account_name", "ou_path", "region", "before", "after", "reason",
              "trail_arn", "service"]
KMS_SOURCE = ["kms.amazonaws.com"]


def _trail_snapshot(tmp_path, name, *, exclude=KMS_SOURCE, logging=True, stop_time=None, delivery_error=None,
                    kms=None, multi=True, second=False, second_logging=True, unread_status=False):
    sb = SnapshotSpec(regions=["us-east-1"])
    app = sb.account("App", parent=sb.ou("Eng"))
    status = {"IsLogging": logging, "LatestDeliveryTime": "2026-11-30T00:00:00Z"}
    if stop_time:
        status["StopLoggingTime"] = stop_time
    if delivery_error:
        status["LatestDeliveryError"] = delivery_error
    arn = sb.trail(app, "app-trail", status=status, IsMultiRegionTrail=multi, **({"KmsKeyId": kms} if kms else {}),
                   event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                                     "ExcludeManagementEventSources": exclude}])
    if unread_status:
        t = sb.docs[app]["CloudTrail"]["Trails"][arn]
        t["Status"], t["Error"] = None, "AccessDeniedException"
    if second:
        sb.trail(app, "second", logging=second_logging)
    return sb.load(tmp_path / name)


def _trail_rows(before, after) -> list[tuple]:
    df = diff(before, after, scp=False, processes=1)
    return [tuple(r) for r in df[df["kind"].str.startswith("trail_")][TRAIL_COLS].itertuples(index=False)]


def test_trail_rows_compared_whole(tmp_path):
    app, arn = "000000000002", "arn:aws:cloudtrail:us-east-1:000000000002:trail/app-trail"
    second = "arn:aws:cloudtrail:us-east-1:000000000002:trail/second"
    where = (app, "App", "Root/Eng", "us-east-1")
    base = _trail_snapshot(tmp_path, "base")
    changed = _trail_snapshot(tmp_path, "changed", exclude=KMS_SOURCE + ["rdsdata.amazonaws.com"], multi=False,
                              kms="arn:aws:kms:us-east-1:000000000002:key/k")
    assert _trail_rows(base, changed) == [
        ("trail_changed", "neutral", *where, None, None,
         "trail app-trail: multi-region True -> False; KMS key None -> arn:aws:kms:us-east-1:000000000002:key/k; "
         "event selectors basic[All, management=True, exclude=kms.amazonaws.com] -> "
         "basic[All, management=True, exclude=kms.amazonaws.com,rdsdata.amazonaws.com]", arn, "cloudtrail")]
    stopped = _trail_snapshot(tmp_path, "stopped", logging=False, stop_time="2026-11-29T10:00:00Z",
                              delivery_error="AccessDenied")
    assert _trail_rows(base, stopped) == [
        ("trail_stopped", "regression", *where, "logging", "not logging",
         "trail app-trail stopped logging at 2026-11-29 10:00:00+00:00", arn, "cloudtrail"),
        ("trail_delivery", "regression", *where, "delivering", "AccessDenied",
         "trail app-trail: delivery fails (AccessDenied)", arn, "cloudtrail")]
    assert _trail_rows(stopped, base) == [
        ("trail_started", "improvement", *where, "not logging", "logging", "trail app-trail started logging", arn,
         "cloudtrail"),
        ("trail_delivery", "improvement", *where, "AccessDenied", "delivering", "trail app-trail: delivers again", arn,
         "cloudtrail")]
    assert _trail_rows(base, _trail_snapshot(tmp_path, "unread", unread_status=True)) == [
        ("trail_changed", "regression", *where, "logging", "unknown",
         "trail app-trail: its status could not be read (AccessDeniedException)", arn, "cloudtrail")]
    two = _trail_snapshot(tmp_path, "two", second=True)
    assert _trail_rows(two, base) == [
        ("trail_removed", "regression", *where, "logging", "deleted", "trail second deleted while logging", second,
         "cloudtrail")]
    assert _trail_rows(_trail_snapshot(tmp_path, "two_off", second=True, second_logging=False), base) == [
        ("trail_removed", "neutral", *where, "not logging", "deleted", "trail second deleted", second, "cloudtrail")]
    assert _trail_rows(base, two) == [
        ("trail_added", "neutral", *where, None, "logging", "new trail second", second, "cloudtrail")]
    assert _trail_rows(base, _trail_snapshot(tmp_path, "two_off_after", second=True, second_logging=False)) == [
        ("trail_added", "neutral", *where, None, "not logging", "new trail second", second, "cloudtrail")]


def test_detector_suspended_and_features(pair):
    b, a, sb, _ = pair(after={"suspend": True, "s3_feature": "DISABLED"})
    df = diff(b, a)
    g = df[df.kind == "guardduty"].iloc[0]
    assert (g.account_id, g.region, g.before, g.after, g.severity) == (sb._app, "us-east-1", "standalone",
                                                                      "suspended", "regression")
    f = df[df.kind == "guardduty_feature"]
    assert f[["region", "action", "before", "after", "severity"]].values.tolist() == [
        ["eu-west-1", "S3_DATA_EVENTS", "ENABLED", "DISABLED", "regression"]]


def test_guardduty_management(pair):
    b, a, sb, _ = pair(after={"gd_admin": True, "auto": "NEW"})
    df = diff(b, a)
    adm = df[df.kind == "guardduty_admin"].iloc[0]
    assert (adm.region, adm.before, adm.after, adm.severity) == ("us-east-1", None, sb.management, "improvement")
    b, a, _, _ = pair(before={"gd_admin": True, "auto": "ALL"}, after={"gd_admin": True, "auto": "NONE",
                                                                       "auto_s3": "ALL"})
    df = diff(b, a)
    ae = df[df.kind == "guardduty_auto_enable"].iloc[0]
    assert (ae.before, ae.after, ae.severity) == ("ALL", "NONE", "regression")
    ft = df[(df.kind == "guardduty_feature") & df.account_id.eq(sb.management)]
    assert ft[["action", "before", "after", "severity"]].values.tolist() == [["S3_DATA_EVENTS", "NONE", "ALL",
                                                                              "improvement"]]


GD_COLS = ["kind", "severity", "account_id", "account_name", "region", "before", "after", "reason", "service",
           "action"]


def test_guardduty_management_rows_compared_whole(tmp_path):
    def snap(name, **c):
        return load(tmp_path, name, spec(**c))

    def rows(b, a):
        df = diff(b, a, scp=False, processes=1)
        return [tuple(r) for r in df[df.kind.str.startswith("guardduty_")][GD_COLS].itertuples(index=False)]

    mgmt = "111111111111"
    plain, all_ = snap("plain"), snap("all", gd_admin=True, auto="ALL")
    assert rows(all_, snap("none", gd_admin=True, auto="NONE", auto_s3="ALL")) == [
        ("guardduty_auto_enable", "regression", mgmt, None, "us-east-1", "ALL", "NONE",
         "organisation auto-enable ALL -> NONE in us-east-1", "guardduty", None),
        ("guardduty_feature", "improvement", mgmt, None, "us-east-1", "NONE", "ALL",
         "organisation auto-enable of S3_DATA_EVENTS in us-east-1", "guardduty", "S3_DATA_EVENTS")]
    assert rows(plain, snap("new", gd_admin=True, auto="NEW")) == [
        ("guardduty_admin", "improvement", mgmt, "Management", "us-east-1", None, mgmt,
         "delegated administrator designated in us-east-1", "guardduty", None),
        ("guardduty_auto_enable", "improvement", mgmt, None, "us-east-1", None, "NEW",
         "organisation auto-enable (not set: no delegated administrator) -> NEW in us-east-1", "guardduty", None)]
    assert rows(all_, plain) == [
        ("guardduty_admin", "regression", mgmt, "Management", "us-east-1", mgmt, None,
         "no delegated administrator any more in us-east-1", "guardduty", None),
        ("guardduty_auto_enable", "regression", mgmt, None, "us-east-1", "ALL", None,
         "organisation auto-enable ALL -> (not set) in us-east-1", "guardduty", None)]


def test_guardduty_legacy_auto_enable_flag_is_read_as_new_or_none(tmp_path):
    """issue 22 (diff seed-28 survivor _org_config 19): an organisation configuration that gives only the legacy
    boolean ``AutoEnable`` (no ``AutoEnableOrganizationMembers``) reads as NEW (true) or NONE (false), not as
    "not set". Rows compared whole."""
    def snap(name, flag):
        sb = spec(gd_admin=True)
        sb.docs[sb.management]["GuardDuty"]["us-east-1"]["OrganizationConfiguration"] = {"AutoEnable": flag}
        return load(tmp_path, name, sb)

    def rows(b, a):
        df = diff(b, a, scp=False, processes=1)
        return [tuple(r) for r in df[df.kind.str.startswith("guardduty_")][GD_COLS].itertuples(index=False)]

    mgmt = "111111111111"
    off, on = snap("off", False), snap("on", True)
    assert rows(off, on) == [
        ("guardduty_auto_enable", "improvement", mgmt, None, "us-east-1", "NONE", "NEW",
         "organisation auto-enable NONE -> NEW in us-east-1", "guardduty", None)]
    assert rows(on, off) == [
        ("guardduty_auto_enable", "regression", mgmt, None, "us-east-1", "NEW", "NONE",
         "organisation auto-enable NEW -> NONE in us-east-1", "guardduty", None)]


def test_summary_counts_by_kind_and_severity(tmp_path):
    df = diff(load(tmp_path, "b", spec(gd_admin=True)), load(tmp_path, "a", spec()), scp=False, processes=1)
    assert summary(df).to_dict("list") == {
        "kind": ["guardduty_admin", "guardduty_auto_enable", "guardduty"], "regression": [1, 1, 1],
        "improvement": [0, 0, 0], "neutral": [0, 0, 0], "unknown": [0, 0, 0], "total": [1, 1, 1]}
    assert summary(df.iloc[:0]).to_dict("list") == {"kind": [], "regression": [], "improvement": [], "neutral": [],
                                                    "unknown": [], "total": []}


def test_summary_lines_word_for_word():
    def line(*rows):
        return summary_line(pd.DataFrame(list(rows), columns=["kind", "severity", "account_id"]).reindex(
            columns=COLUMNS))

    scope, ne = ("scope", "neutral", None), ("not_evaluated", "unknown", None)
    assert line(scope, scope) == \
        "orgkit diff: 0 regressions, 2 neutral, 0 unknown; scope differs (2 region/accounts in one snapshot only)"
    assert line(scope) == \
        "orgkit diff: 0 regressions, 1 neutral, 0 unknown; scope differs (1 region/account in one snapshot only)"
    assert line(scope, ne) == \
        "orgkit diff: 0 regressions, 1 neutral, 1 unknown; unknown: not_evaluated 1; 1 planned change not evaluated"
    assert line(scope, scope, ne, ne, ("scp_edited", "regression", None)) == \
        "orgkit diff: 1 regression, 2 neutral, 2 unknown; unknown: not_evaluated 2; regressions: scp_edited 1"
    assert line(("scp_edited", "regression", None), ("trail_stopped", "regression", "a"),
                ("scp_edited", "regression", None), ("eds_removed", "regression", None),
                ("tamper", "regression", "x"), ("tamper", "regression", "x")) == \
        "orgkit diff: 6 regressions, 0 unknown; tamper protection weakened in 1 account; " \
        "regressions: scp_edited 2, +3 more"
    # what does not fit in 120 characters is left out whole (the table lists it)
    assert line(("scp_edited", "regression", None), ("tamper", "regression", "x"), ("scp_created", "improvement", None),
                ("scp_created", "improvement", None)) == \
        "orgkit diff: 2 regressions, 2 improvements, 0 unknown; tamper protection weakened in 1 account"
    kinds = ["scp_edited", "trail_stopped", "guardduty", "guardduty_auto_enable", "scp_effect", "account_moved",
             "ou_moved", "scp_attached"]
    assert line(*[(k, "regression", None) for k in kinds]) == \
        "orgkit diff: 8 regressions, 0 unknown; regressions: account_moved 1, ou_moved 1, scp_edited 1, " \
        "scp_attached 1, +4 more"
    assert line(("tamper", "regression", "a"), ("tamper", "regression", "b")) == \
        "orgkit diff: 2 regressions, 0 unknown; tamper protection weakened in 2 accounts; regressions: tamper 2"


CELL_COLS = ["kind", "severity", "account_id", "account_name", "ou_path", "region", "before", "after", "reason",
             "trail_arn", "service", "action", "source"]
ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"


def _cell_rows(before, after) -> list[tuple]:
    df = diff(before, after, scp=False, processes=1)
    return [tuple(r) for r in df[CELL_COLS].itertuples(index=False)]


def test_scope_rows_compared_whole(tmp_path):
    b = load(tmp_path, "b", spec(regions=["us-east-1", "eu-west-1"]))
    a = load(tmp_path, "a", spec(regions=["us-east-1", "ap-south-1"]))
    none = (None,) * 5
    assert _cell_rows(b, a) == [
        ("scope", "neutral", None, None, None, "ap-south-1", "not collected", "collected",
         "region collected in AFTER only: its cells are not compared", *none[:4]),
        ("scope", "neutral", None, None, None, "eu-west-1", "collected", "not collected",
         "region collected in BEFORE only: its cells are not compared", *none[:4])]
    sb = spec()
    full = load(tmp_path, "full", sb)
    sa = spec()
    sa.docs[sa._app]["CloudTrail"] = {"ListTrails": None, "Trails": {}}
    sa.docs[sa._app]["GuardDuty"] = {}
    part = load(tmp_path, "part", sa, accounts_filter=[sa.management, sa._play])
    assert _cell_rows(full, part) == [
        ("scope", "neutral", sb._app, "App", None, None, "collected", "not collected",
         "account read in BEFORE only (account filter): not compared", *none[:4])]
    assert _cell_rows(part, full) == [
        ("scope", "neutral", sb._app, "App", None, None, "not collected", "collected",
         "account read in AFTER only (account filter): not compared", *none[:4])]


def test_cell_rows_compared_whole(tmp_path):
    sb = spec()
    b, a = load(tmp_path, "b", sb), load(tmp_path, "a", spec(stop_org_trail=True, suspend=True))
    new = "000000000008"
    app, play, mgmt = sb._app, sb._play, sb.management
    prod, sandbox = "Root/Engineering/Prod", "Root/Sandbox"
    ct = ("cloudtrail", None)
    was = "; was: org-trail is not logging"
    covered = "read and write management events recorded by org-trail (organization)"
    assert _cell_rows(a, b) == [
        ("trail_started", "improvement", mgmt, "Management", "Root", "us-east-1", "not logging", "logging",
         "trail org-trail started logging", ORG_TRAIL, *ct, None),
        ("cloudtrail", "improvement", mgmt, "Management", "Root", "eu-west-1", "not_logging", "covered",
         covered + was, ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "improvement", mgmt, "Management", "Root", "us-east-1", "not_logging", "covered",
         covered + was, ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "improvement", play, "Play", sandbox, "eu-west-1", "not_logging", "covered", covered + was,
         ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "improvement", play, "Play", sandbox, "us-east-1", "not_logging", "covered", covered + was,
         ORG_TRAIL, *ct, ORG_TRAIL),
        ("guardduty", "improvement", app, "App", prod, "us-east-1", "suspended", "standalone",
         "detector enabled, no administrator; was: detector d000000000004useast1 is suspended (status DISABLED)",
         None, "guardduty", None, "d000000000004useast1")]
    later = load(tmp_path, "later", spec(new_account=True, stop_org_trail=True, suspend=True, s3_feature="DISABLED"))
    off = "org-trail is not logging"
    assert _cell_rows(b, later) == [
        ("trail_stopped", "regression", mgmt, "Management", "Root", "us-east-1", "logging", "not logging",
         "trail org-trail stopped logging", ORG_TRAIL, *ct, None),
        ("cloudtrail", "regression", mgmt, "Management", "Root", "eu-west-1", "covered", "not_logging", off,
         ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "regression", mgmt, "Management", "Root", "us-east-1", "covered", "not_logging", off,
         ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "regression", new, "Newcomer", prod, "eu-west-1", None, "not_logging",
         f"new account's cell: {off}", ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "regression", new, "Newcomer", prod, "us-east-1", None, "not_logging",
         f"new account's cell: {off}", ORG_TRAIL, *ct, ORG_TRAIL),
        ("cloudtrail", "regression", play, "Play", sandbox, "eu-west-1", "covered", "not_logging", off, ORG_TRAIL,
         *ct, ORG_TRAIL),
        ("cloudtrail", "regression", play, "Play", sandbox, "us-east-1", "covered", "not_logging", off, ORG_TRAIL,
         *ct, ORG_TRAIL),
        ("guardduty_feature", "regression", app, "App", prod, "eu-west-1", "ENABLED", "DISABLED",
         "detector feature S3_DATA_EVENTS ENABLED -> DISABLED", None, "guardduty", "S3_DATA_EVENTS",
         "d000000000004euwest1"),
        ("guardduty", "regression", app, "App", prod, "us-east-1", "standalone", "suspended",
         "detector d000000000004useast1 is suspended (status DISABLED)", None, "guardduty", None,
         "d000000000004useast1"),
        ("guardduty", "regression", new, "Newcomer", prod, "eu-west-1", None, "none", "new account's cell: no detector",
         None, "guardduty", None, "guardduty:ListDetectors"),
        ("guardduty", "regression", new, "Newcomer", prod, "us-east-1", None, "none", "new account's cell: no detector",
         None, "guardduty", None, "guardduty:ListDetectors"),
        ("account_added", "neutral", new, "Newcomer", prod, None, None, "ACTIVE",
         f"joined the organisation in {prod} (SCPs attached: FullAWSAccess)", None, None, None, None)]


def test_different_regions_are_scope_not_changes(tmp_path):
    b = load(tmp_path, "b", spec(regions=["us-east-1", "eu-west-1"]))
    a = load(tmp_path, "a", spec(regions=["us-east-1", "ap-south-1"]))
    df = diff(b, a)
    assert kinds(df) == {"scope"}
    assert set(zip(df.region, df.before, df.after)) == {("eu-west-1", "collected", "not collected"),
                                                         ("ap-south-1", "not collected", "collected")}
    assert set(df.severity) == {"neutral"}
    assert "scope differs" in summary_line(df)


def test_account_filters_are_scope_not_changes(tmp_path):
    sb = spec()
    b = load(tmp_path, "b", sb)
    sa = spec(stop_app_trail=True, suspend=True)
    # AFTER read only the management account: App's documents were not collected
    sa.docs[sa._app]["CloudTrail"] = {"ListTrails": None, "Trails": {}}
    sa.docs[sa._app]["GuardDuty"] = {}
    a = load(tmp_path, "a", sa, accounts_filter=[sa.management])
    df = diff(b, a)
    assert set(df.kind) == {"scope"}
    assert set(df.account_id) == {sb._app, sb._play}
    assert set(df.after) == {"not collected"}


def test_two_organisations_are_refused(tmp_path):
    b = load(tmp_path, "b", spec())
    other = spec()
    other.org_id = "o-other12345"
    a = load(tmp_path, "a", other)
    with pytest.raises(DiffError):
        diff(b, a)


@pytest.mark.parametrize("before,after,sev", [
    ("covered", "not_logging", "regression"), ("none", "covered", "improvement"), ("covered", "unknown", "regression"),
    ("unknown", "none", "neutral"), ("covered", "not_applicable", "neutral"), ("not_applicable", "none", "regression"),
    (None, "covered", "neutral"), (None, "partial", "regression"), ("partial", "covered", "improvement")])
def test_cell_severity_rules(before, after, sev):
    assert status_severity(before, after, CLOUDTRAIL_RANK, GOOD["cloudtrail"]) == sev


@pytest.mark.parametrize("before,after,sev", [
    ("explicit_deny", "allow", "regression"), ("implicit_deny", "conditional", "regression"),
    ("conditional", "explicit_deny", "improvement"), ("explicit_deny", "implicit_deny", "neutral"),
    ("allow", "unknown", "regression"), ("unknown", "allow", "neutral")])
def test_decision_severity_rules(before, after, sev):
    assert decision_severity(before, after) == sev


def test_cli_fail_on_formats_and_summary(tmp_path):
    b = spec().write(tmp_path / "b")
    a = spec(stop_app_trail=True).write(tmp_path / "a")
    run = lambda *args: subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", *map(str, args)],  # noqa: E731
                                       capture_output=True, text=True, timeout=300)
    p = run(b, a, "--format", "json", "--fail-on", "regression")
    assert p.returncode == 1, p.stderr
    rows = json.loads(p.stdout)
    assert rows[0]["kind"] == "trail_stopped" and isinstance(rows[0]["account_id"], str)
    assert p.stderr.strip().splitlines()[-1].startswith("orgkit diff: 1 regression, 0 unknown")
    p = run(b, b, "--fail-on", "regression", "--summary-only")
    assert p.returncode == 0 and p.stdout.strip() == "orgkit diff: no changes"
    p = run(b, a, "--format", "csv")
    assert p.returncode == 0 and pd.read_csv(__import__("io").StringIO(p.stdout), dtype=str).kind.tolist() == [
        "trail_stopped"]
    p = run(b, a, "--fail-on", "worse")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = run(b, tmp_path / "missing")
    assert p.returncode == 2 and "no such snapshot" in p.stderr and "Traceback" not in p.stderr


def test_coverage_in_a_forked_process_gives_the_same_answer(pair, monkeypatch):
    """processes=2 computes both sides' coverage in a forked child while the SCPs are evaluated (the default for
    large organisations): the frame is the same as in one process, and the child's answer is the one used."""
    import orgkit.diff as D

    b, a, *_ = pair(after={"stop_app_trail": True, "suspend": True, "detach": True})
    one = diff(b, a, principal="role/Dev", processes=1)
    used = []
    real = D._CoverageInBackground.result
    monkeypatch.setattr(D._CoverageInBackground, "result", lambda self: used.append(real(self)) or used[-1])
    two = diff(b, a, principal="role/Dev", processes=2)
    assert len(used) == 2 and all(isinstance(u, list) and u for u in used)
    assert len(one) and {"cloudtrail", "guardduty"} & set(one["kind"])
    pd.testing.assert_frame_equal(one, two)


# --- the table shows what changed (issue 19, point 5) ----------------------------------------------------------------

PLAN_REVIEW = ["diff", "orgkit/datasets/demo-later", "--terraform-plan", "orgkit/datasets/demo-later-plan.json"]


@pytest.fixture
def at_root(monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)


def _run(argv, capsys, columns, monkeypatch):
    from orgkit.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _blocks(out: str) -> list[tuple[str, str]]:
    """The table's rows as drawn: (the row's first line, the text of the lines after it that start with a space,
    spaces taken out), up to the notes under the table."""
    lines = out.splitlines()
    body = lines[next(k for k, x in enumerate(lines) if x.startswith("─")) + 1:]
    rows: list[list] = []
    for x in body:
        if re.match(r"columns left out|\d+ more column", x) or not x.strip():
            break
        if x[0] != " ":
            rows.append([x, ""])
        else:
            rows[-1][1] += x.replace(" ", "")
    return [(a, b) for a, b in rows]


def _csv(argv, capsys, monkeypatch):
    import io

    code, out, _ = _run(argv + ["--format", "csv"], capsys, 80, monkeypatch)
    return pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)


def test_diff_table_shows_the_reason_and_names_the_unevaluated_resource(at_root, capsys, monkeypatch):
    code, out, _ = _run(PLAN_REVIEW, capsys, 120, monkeypatch)
    assert code == 0 and "columns left out" not in out or not {"reason", "after"} & set(
        out[out.index("columns left out"):].replace(",", " ").split())
    row, under = next(b for b in _blocks(out) if b[0].startswith("not_evaluated"))
    assert "aws_cloudtrail." in row + under  # the not_evaluated row names its resource


DIFF = ["diff", "orgkit/datasets/demo", "orgkit/datasets/demo-later"]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("argv", [DIFF, PLAN_REVIEW], ids=["diff", "plan-review"])
def test_diff_at_80_and_120_columns_every_row_says_what_changed(argv, columns, at_root, capsys, monkeypatch):
    """Issue 19, point 5: at 80 columns the first row read ``scp_edited regression -``: the reason (with a 32-character
    detector id in a later row) did not fit beside the key columns and was left out. Each row now names its kind,
    severity and account, and says under it what changed: its reason, before and after (a plan's new SCP is named
    only in ``after``), its region (a GuardDuty cell's) and its SCP's name, as the CSV has them; at 120 columns too."""
    csv = _csv(argv, capsys, monkeypatch)
    code, out, _ = _run(argv, capsys, columns, monkeypatch)
    assert code == 0 and max(map(len, out.splitlines())) <= columns
    blocks = _blocks(out)
    assert len(blocks) == len(csv)
    for (row, under), (_, want) in zip(blocks, csv.iterrows()):
        assert row.split()[:3] == [want["kind"], want["severity"], want["account_id"] or "-"], row
        for c in ("before", "after", "reason"):
            if want[c]:
                assert f"{c}:{want[c]}".replace(" ", "") in under, (c, want[c], under)
        for c in ("region", "policy_name"):  # what the row is about: beside the others or under them
            if want[c]:
                assert want[c] in row.split() or f"{c}:{want[c]}" in under, (c, row)
    left = out[out.index("columns left out"):] if "columns left out" in out else ""
    with_values = {c for c in ("region", "policy_name", "before", "after", "reason") if (csv[c] != "").any()}
    assert not with_values & set(left.replace(",", " ").replace(";", " ").split())


def test_diff_honours_wide_and_columns(at_root, capsys, monkeypatch):
    code, out, _ = _run(PLAN_REVIEW + ["--wide"], capsys, 120, monkeypatch)
    assert code == 0 and {"policy_id", "source", "reason"} <= set(out.splitlines()[0].split())
    code, out, _ = _run(PLAN_REVIEW + ["--columns", "kind,source"], capsys, 120, monkeypatch)
    assert code == 0 and out.splitlines()[0].split() == ["kind", "source"]
    assert "aws_cloudtrail.org_trail" in out
    with pytest.raises(SystemExit) as e:
        _run(PLAN_REVIEW + ["--columns", "kind,nosuch"], capsys, 120, monkeypatch)
    assert e.value.code == 2 and "nosuch" in capsys.readouterr().err


def test_the_summary_line_fits_120_characters(at_root):
    # issue 19: the summary lines ran to 219 characters
    import orgkit as ok
    from orgkit.diff import diff_plan
    from orgkit.diff.notebook import demo_paths

    before, later, plan = demo_paths()
    b, a = ok.load(before), ok.load(later)
    for changes in (diff(b, a), diff(b, a, principal="role/Developer"), diff_plan(a, plan)):
        line = summary_line(changes)
        assert len(line) <= 120 and line.startswith("orgkit diff: ") and "\n" not in line, line
    two = pd.DataFrame({"kind": ["scp_edited", "trail_stopped"], "severity": ["regression"] * 2,
                        "account_id": [None, "000000000002"]})
    assert summary_line(two.reindex(columns=COLUMNS)).endswith("; regressions: scp_edited 1, trail_stopped 1")
    kinds = ["scp_edited", "trail_stopped", "guardduty", "guardduty_auto_enable", "scp_effect"]
    many = pd.DataFrame({"kind": kinds, "severity": ["regression"] * 5, "account_id": [None] * 5})
    line = summary_line(many.reindex(columns=COLUMNS))
    assert len(line) <= 120 and "more" in line  # the kinds that fit, the rest counted
# ------------------------------------------------------------------------------------------- issue 18, point 1

PROTECT_EXCEPT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}
DENY_ROOT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}


def _spec_except(detach=False, deny_root=True):
    sb = spec(protect_doc=PROTECT_EXCEPT, detach=detach)
    if deny_root:
        sb.policy("DenyRoot", DENY_ROOT, [sb._eng])
    return sb


def test_removing_a_protective_scp_with_an_exception_is_a_regression(tmp_path):
    """Before and after, cloudtrail:StopLogging is conditional for an unknown principal (the exception for
    SecurityAdmin before, the root-user deny after): the labels are equal, the allowed cases are not."""
    b = load(tmp_path, "before", _spec_except())
    a = load(tmp_path, "after", _spec_except(detach=True))
    sb = _spec_except()
    df = diff(b, a, coverage=False)
    det = df[df.kind == "scp_detached"].iloc[0]
    assert det.severity == "regression", det.reason
    t = df[(df.kind == "tamper") & (df.action == "cloudtrail:StopLogging")]
    assert len(t) == 1 and t.iloc[0].severity == "regression"
    assert (t.iloc[0].before, t.iloc[0].after) == ("conditional", "conditional")
    assert t.iloc[0].reason.startswith("cloudtrail:StopLogging: now allowed when aws:PrincipalArn is")
    assert "role/SecurityAdmin" in t.iloc[0].reason
    eff = df[(df.kind == "scp_effect") & (df.service == "cloudtrail")]
    assert set(eff.severity) == {"regression"} and set(eff.account_id) == {sb._app}
    # and back: an improvement
    back = diff(a, b, coverage=False)
    assert back[back.kind == "scp_attached"].iloc[0].severity == "improvement"
    assert set(back[back.kind == "tamper"].severity) == {"improvement"}
    # the same snapshot with itself: nothing
    assert diff(b, b, coverage=False).empty
    # a subset of the catalog (--actions): the same comparison on its positions
    sub = diff(b, a, coverage=False, actions=["cloudtrail:*"])
    e = sub[(sub.kind == "scp_effect") & (sub.before == "conditional")]
    assert set(e.severity) == {"regression"} and "cloudtrail:StopLogging" in " ".join(e.action)


def test_cli_fail_on_regression_catches_the_removed_exception(tmp_path):
    bp = _spec_except().write(tmp_path / "b")
    ap = _spec_except(detach=True).write(tmp_path / "a")
    r = subprocess.run([sys.executable, "-m", "orgkit.cli", "diff", str(bp), str(ap), "--fail-on", "regression"],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "now allowed when aws:PrincipalArn" in r.stdout + r.stderr or "regression" in r.stdout


def test_the_removed_exception_rows_compared_whole(tmp_path):
    """issue 22 (a survivor of mutation): the rows of an effect whose label stays conditional, whole."""
    sb = _spec_except()
    b, a = load(tmp_path, "before", sb), load(tmp_path, "after", _spec_except(detach=True))
    df = diff(b, a, coverage=False, actions=["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "s3:GetObject"])
    cols = ["kind", "severity", "account_id", "account_name", "ou_path", "before", "after", "service", "action",
            "count", "reason"]
    got = [tuple(None if c == "count" and pd.isna(v) else v for c, v in zip(cols, r))
           for r in df[cols].itertuples(index=False)]
    cases = ("now allowed when aws:PrincipalArn is absent or any other value (any other value of aws:PrincipalArn: "
             "neither like arn:aws:iam::*:role/SecurityAdmin nor like arn:aws:iam::*:root)")
    where = (sb._app, "App", "Root/Engineering/Prod", "conditional", "conditional", "cloudtrail")
    assert got == [
        ("scp_detached", "regression", None, None, "Root/Engineering", None, None, None, None, None,
         "Protect detached from ou Root/Engineering; changes SCP decisions in 1 account"),
        ("tamper", "regression", *where, "cloudtrail:DeleteTrail", None, f"cloudtrail:DeleteTrail: {cases}"),
        ("tamper", "regression", *where, "cloudtrail:StopLogging", None, f"cloudtrail:StopLogging: {cases}"),
        ("scp_effect", "regression", *where, "cloudtrail:DeleteTrail, cloudtrail:StopLogging", 2,
         f"2 cloudtrail actions (e.g. cloudtrail:DeleteTrail): {cases}")]


def test_conditional_cases_compared_along_chains_of_more_than_63_statements(tmp_path):
    """issue 22 (seed-23 survivors): actions conditional on both sides are grouped by the statements they match;
    past 63 statements along the two chains the grouping packs bits (CaseComparer._classes) and must give the
    same answer."""
    acts = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]

    def snap(name, ip):
        sb = SnapshotSpec(regions=["us-east-1"])
        ou = sb.ou("Eng")
        app = sb.account("App", parent=ou)
        statements = [{"Sid": f"S{i}", "Effect": "Deny", "Resource": "*",
                       "Action": acts[0] if i == 0 else acts[i] if i < 4 else f"ec2:Made{i}Up",
                       "Condition": {"NotIpAddress": {"aws:SourceIp": ip if i == 0 else f"10.{i}.0.0/16"}}}
                      for i in range(40)]
        sb.policy("Many", {"Version": "2012-10-17", "Statement": statements}, [ou])
        return sb.load(tmp_path / name), app

    (b, app), (a, _) = snap("b", "10.0.0.0/16"), snap("a", "10.0.0.0/8")
    df = diff(b, a, coverage=False, actions=acts)
    cols = ["kind", "severity", "account_id", "before", "after", "action", "reason"]
    assert [tuple(r) for r in df[cols].itertuples(index=False)] == [
        ("scp_edited", "regression", None, None, None, None,
         "edited: statement S0: Condition changed; changes SCP decisions in 1 account"),
        ("scp_effect", "regression", app, "conditional", "conditional", "s3:GetObject",
         "s3:GetObject: now allowed when aws:SourceIp is 10.1.0.0 to 10.255.255.255")]


def test_an_edit_and_a_detach_of_one_policy_are_each_rated_by_their_own_effect(tmp_path):
    """issue 22 (a seed-23 survivor): the edit touches the accounts the policy applied to in BEFORE too, so an edit
    that weakens it is a regression there even though the same diff detaches it."""
    weaker = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:DeleteTrail"], "Resource": "*"}]}
    sb = spec()
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", spec(protect_doc=weaker, detach=True)), coverage=False,
              actions=["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"])
    rows = df[df.kind.isin(["scp_edited", "scp_detached"])]
    assert [tuple(r) for r in rows[["kind", "severity", "policy_id", "reason"]].itertuples(index=False)] == [
        ("scp_edited", "regression", sb._protect,
         "edited: statement NoLeaving removed; statement ProtectTrail: Action -cloudtrail:StopLogging; changes SCP "
         "decisions in 1 account"),
        ("scp_detached", "regression", sb._protect,
         "Protect detached from ou Root/Engineering; changes SCP decisions in 1 account")]


def test_an_account_neither_filter_read_is_no_scope_row(tmp_path):
    """issue 22 (a seed-23 survivor): BEFORE read the management account and App, AFTER the management account:
    App alone was read by one side only; Play, read by neither, is not in one snapshot only."""
    sb = spec()
    b = load(tmp_path, "b", sb, accounts_filter=[sb.management, sb._app])
    a = load(tmp_path, "a", spec(), accounts_filter=[sb.management])
    df = diff(b, a, scp=False, coverage=False)
    assert [tuple(r) for r in df[["kind", "account_id", "before", "after", "reason"]].itertuples(index=False)] == [
        ("scope", sb._app, "collected", "not collected", "account read in BEFORE only (account filter): not compared")]


def test_diff_takes_snapshot_paths_and_labels_a_side_by_its_path_without_collected_at(tmp_path):
    import dataclasses

    pb, pa = spec().write(tmp_path / "before"), spec(move_app=True).write(tmp_path / "after")
    by_path = diff(str(pb), pa, scp=False, processes=1)  # a str and an os.PathLike are loaded
    b, a = orgkit.load(pb), orgkit.load(pa)
    pd.testing.assert_frame_equal(by_path, diff(b, a, scp=False, processes=1))
    assert by_path.attrs["before"] == b.manifest["collected_at"]
    bare = dataclasses.replace(b, manifest={k: v for k, v in b.manifest.items() if k != "collected_at"})
    assert diff(bare, a, scp=False, processes=1).attrs["before"] == str(b.path)


def test_two_delegated_administrators_in_one_region_are_both_named(tmp_path):
    one = spec(gd_admin=True)
    two = spec(gd_admin=True)
    two.gd_admins = {"us-east-1": [{"AdminAccountId": two.management, "AdminStatus": "ENABLED"},
                                   {"AdminAccountId": two._app, "AdminStatus": "ENABLED"}]}
    df = diff(load(tmp_path, "one", one), load(tmp_path, "two", two), scp=False, processes=1)
    adm = df[df.kind == "guardduty_admin"][["severity", "region", "before", "after", "reason"]]
    assert adm.values.tolist() == [["neutral", "us-east-1", one.management,
                                    ",".join(sorted([two.management, two._app])),
                                    "delegated administrator changed in us-east-1"]]


def test_a_new_scp_attached_where_another_is_detached_is_rated_by_its_own_effect(tmp_path):
    """The detach and the attach touch the same account: the attach alone denies two s3 actions more (an
    improvement), whatever the detach does."""
    sb, sa = spec(), spec(detach=True)
    extra = sa.policy("Extra", DENY_S3, [sa._eng])
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", sa), coverage=False, processes=1)
    df = df[df.kind.isin(["scp_attached", "scp_detached"])]
    assert [tuple(r) for r in df[["kind", "severity", "policy_id", "target_id", "reason"]].itertuples(
        index=False)] == [
        ("scp_detached", "regression", sb._protect, sb._eng,
         "Protect detached from ou Root/Engineering; changes SCP decisions in 1 account"),
        ("scp_attached", "improvement", extra, sa._eng,
         "Extra attached to ou Root/Engineering; changes SCP decisions in 1 account")]


# ------------------------------------------------------------------- issue 22: seed 26's survivors in effect.py
def _whole(df) -> list[tuple]:
    """Every column of every row (COLUMNS order); a missing value is None. The frame has those columns and no
    other (issue 22, diff seed-28 survivor frame 110: the big scp_effect part re-indexed keeping its old index as an
    ``index`` column, which the merged change frame then carried)."""
    assert list(df.columns) == COLUMNS
    return [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in r)
            for r in df[COLUMNS].itertuples(index=False)]


def R(kind: str, severity: str, **kw) -> tuple:
    """One expected row, whole: the columns not given are None."""
    r = dict.fromkeys(COLUMNS)
    r.update(kind=kind, severity=severity, **kw)
    return tuple(r.values())


def _where(sb: SnapshotSpec, aid: str) -> dict:
    name = next(a["Name"] for a in sb.accounts if a["Id"] == aid)
    return dict(account_id=aid, account_name=name, ou_path=sb.entity_path(aid).rsplit("/", 1)[0])


def _ip_deny(sid: str, cidr: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": cidr}}}]}


S3_OBJECT = ["s3:CreateAccessPointForObjectLambda", "s3:DeleteAccessPointForObjectLambda",
             "s3:DeleteAccessPointPolicyForObjectLambda", "s3:DeleteObject", "s3:DeleteObjectAnnotation",
             "s3:DeleteObjectTagging", "s3:DeleteObjectVersion", "s3:DeleteObjectVersionAnnotation",
             "s3:DeleteObjectVersionTagging", "s3:GetAccessPointConfigurationForObjectLambda",
             "s3:GetAccessPointForObjectLambda", "s3:GetAccessPointPolicyForObjectLambda",
             "s3:GetAccessPointPolicyStatusForObjectLambda"]
S3_BUCKET = ["s3:CreateBucket", "s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucket",
             "s3:DeleteBucketMetadataTableConfiguration", "s3:DeleteBucketPolicy", "s3:DeleteBucketWebsite",
             "s3:GetBucketAbac", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketLocation", "s3:GetBucketLogging"]


def test_effect_rows_list_the_actions_of_each_transition_in_catalog_order(tmp_path):
    """issue 22 (seed 26, scp_effect_changes 164): the changed actions of a service are grouped by transition;
    the actions of one group, interleaved in the catalog with another group's, keep the catalog's order."""
    def snap(name, deny):
        sb = SnapshotSpec(regions=["us-east-1"])
        ou = sb.ou("Eng")
        app = sb.account("App", parent=ou)
        if deny:
            sb.policy("Storage", {"Version": "2012-10-17", "Statement": [
                {"Sid": "Obj", "Effect": "Deny", "Action": "s3:*Object*", "Resource": "*"},
                {"Sid": "Bkt", "Effect": "Deny", "Action": "s3:*Bucket*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "storage"}}}]}, [ou])
        return sb.load(tmp_path / name), app, ou

    (b, app, ou), (a, *_) = snap("b", False), snap("a", True)
    storage = a.policies.policy_id[a.policies.name == "Storage"].iloc[0]
    others = ["s3:AbortMultipartUpload", "s3:CreateAccessPoint", "s3:DeleteAccessPoint", "s3:GetAccessPoint"]
    df = diff(b, a, coverage=False, processes=1, actions=sorted(S3_OBJECT + S3_BUCKET + others))
    where = dict(account_id=app, account_name="App", ou_path="Root/Eng", service="s3")
    assert _whole(df) == [
        R("scp_attached", "improvement", ou_path="Root/Eng", policy_id=storage, policy_name="Storage", target_id=ou,
          reason="Storage attached to ou Root/Eng; changes SCP decisions in 1 account"),
        R("scp_effect", "improvement", **where, before="allow", after="conditional", action=", ".join(S3_BUCKET),
          count=11, reason="11 s3 actions now conditional (were allow)"),
        R("scp_effect", "improvement", **where, before="allow", after="explicit_deny", action=", ".join(S3_OBJECT),
          count=13, reason="13 s3 actions now denied (were allow)"),
        R("scp_created", "neutral", after="Storage", reason="new SCP", policy_id=storage, policy_name="Storage")]


def test_accounts_of_one_ou_are_compared_each_with_its_own_policies_of_before(tmp_path):
    """issue 22 (seed 26, CaseComparer.sides 62): Beta and Gamma sit in one OU and lose their own policies; the
    allowed cases of s3:GetObject (conditional on both sides) widen differently for each: each is compared with
    its own BEFORE chain."""
    def snap(name, own):
        sb = SnapshotSpec(regions=["us-east-1"])
        ou = sb.ou("Eng")
        sb.account("Alpha", parent=ou)
        beta, gamma = sb.account("Beta", parent=ou), sb.account("Gamma", parent=ou)
        sb.policy("OuIp", _ip_deny("Ou", "10.0.0.0/8"), [ou])
        sb.policy("BetaIp", _ip_deny("Beta", "10.0.0.0/12"), [beta] if own else [])
        sb.policy("GammaIp", _ip_deny("Gamma", "10.0.0.0/16"), [gamma] if own else [])
        return sb

    sb = snap("b", True)
    beta, gamma = sb.accounts[2]["Id"], sb.accounts[3]["Id"]
    df = diff(sb.load(tmp_path / "b"), snap("a", False).load(tmp_path / "a"), coverage=False, processes=1,
              actions=["s3:GetObject", "s3:PutObject"])
    pol = {p["name"]: pid for pid, p in sb.policies.items()}
    assert _whole(df) == [
        R("scp_detached", "regression", account_id=beta, account_name="Beta", ou_path="Root/Eng",
          reason=f"BetaIp detached from account Beta ({beta}); changes SCP decisions in 1 account",
          policy_id=pol["BetaIp"], policy_name="BetaIp", target_id=beta),
        R("scp_detached", "regression", account_id=gamma, account_name="Gamma", ou_path="Root/Eng",
          reason=f"GammaIp detached from account Gamma ({gamma}); changes SCP decisions in 1 account",
          policy_id=pol["GammaIp"], policy_name="GammaIp", target_id=gamma),
        R("scp_effect", "regression", account_id=beta, account_name="Beta", ou_path="Root/Eng",
          before="conditional", after="conditional", service="s3", action="s3:GetObject", count=1,
          reason="s3:GetObject: now allowed when aws:SourceIp is 10.16.0.0 to 10.255.255.255"),
        R("scp_effect", "regression", account_id=gamma, account_name="Gamma", ou_path="Root/Eng",
          before="conditional", after="conditional", service="s3", action="s3:GetObject", count=1,
          reason="s3:GetObject: now allowed when aws:SourceIp is 10.1.0.0 to 10.255.255.255")]


def test_a_move_and_an_edit_touching_one_account_rows_compared_whole(tmp_path):
    """issue 22 (seed 26, Attributor.effect_moves 21): App moves into Sandbox, where DenyS3 is only reordered:
    the move, rated alone, changes the decisions of one account (App), the edit of none."""
    doc = json.loads(json.dumps(DENY_S3))
    doc["Statement"][0]["Action"].reverse()
    sb = spec()
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", spec(move_app=True, s3_doc=doc)), coverage=False,
              processes=1, actions=["s3:CreateBucket", "cloudtrail:StopLogging"])
    app = dict(account_id=sb._app, account_name="App", ou_path="Root/Sandbox")
    tamper = [R("tamper", "regression", **app, before="explicit_deny", after="allow",
                reason=f"can now call {act} (was explicit_deny)", service=act.split(":")[0], action=act)
              for act in ("cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "organizations:LeaveOrganization")]
    assert _whole(df) == [
        R("account_moved", "regression", **app, before="Root/Engineering/Prod", after="Root/Sandbox",
          reason=f"moved from Root/Engineering/Prod ({sb._prod}) to Root/Sandbox ({sb._sandbox}); changes SCP "
                 "decisions in 1 account", target_id=sb._sandbox),
        *tamper,
        R("scp_effect", "regression", **app, before="explicit_deny", after="allow", service="cloudtrail",
          action="cloudtrail:StopLogging", count=1, reason="1 cloudtrail action now allowed (were explicit_deny)"),
        R("scp_effect", "improvement", **app, before="allow", after="explicit_deny", service="s3",
          action="s3:CreateBucket", count=1, reason="1 s3 action now denied (were allow)"),
        R("scp_edited", "neutral", policy_id=next(p for p, v in sb.policies.items() if v["name"] == "DenyS3"),
          policy_name="DenyS3",
          reason="edited: statement NoBuckets: Action reordered; no effect on any account's SCP decisions")]


@pytest.mark.parametrize("asked", ["context", "resource"])
def test_a_change_rated_alone_honours_the_context_and_the_resource_asked(tmp_path, asked):
    """issue 22 (seed 26, Attributor._compare 91 and scp_effect_changes 391): App is touched by two changes, so
    each is rated alone (the attributor); the edit of Guard changes a case the request asked for rules out (a
    region the statement does not cover, a bucket it does not name): no effect."""
    def snap(name, after):
        sb = SnapshotSpec(regions=["us-east-1"])
        ou = sb.ou("Eng")
        app = sb.account("App", parent=ou)
        if asked == "context":
            statements = [
                {"Sid": "FromOffice", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8" if after else "10.0.0.0/16"},
                               "StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
                {"Sid": "AdminOnly", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}]
        else:
            statements = [{"Sid": "KeepLogs", "Effect": "Deny", "Action": "s3:DeleteBucket",
                           "Resource": "arn:aws:s3:::audit-*" if after else "arn:aws:s3:::logs-*"}]
        guard = sb.policy("Guard", {"Version": "2012-10-17", "Statement": statements}, [ou])
        extra = sb.policy("Extra", {"Version": "2012-10-17", "Statement": [
            {"Sid": "NoBuckets", "Effect": "Deny", "Action": "s3:CreateBucket", "Resource": "*"}]},
            [app] if after else [])
        return sb.load(tmp_path / name), app, guard, extra

    (b, app, guard, extra), (a, *_) = snap("b", False), snap("a", True)
    kw = {"context": {"aws:RequestedRegion": "eu-west-1"}} if asked == "context" else \
        {"resource": "arn:aws:s3:::other"}
    df = diff(b, a, coverage=False, processes=1, actions=["s3:GetObject", "s3:DeleteBucket", "s3:CreateBucket"],
              **kw)
    where = dict(account_id=app, account_name="App", ou_path="Root/Eng")
    edit = ("edited: statement FromOffice: Condition changed" if asked == "context" else
            "edited: statement KeepLogs: Resource -arn:aws:s3:::logs-* +arn:aws:s3:::audit-*")
    assert _whole(df) == [
        R("scp_attached", "improvement", **where, policy_id=extra, policy_name="Extra", target_id=app,
          reason=f"Extra attached to account App ({app}); changes SCP decisions in 1 account"),
        R("scp_effect", "improvement", **where, before="allow", after="explicit_deny", service="s3",
          action="s3:CreateBucket", count=1, reason="1 s3 action now denied (were allow)"),
        R("scp_edited", "neutral", policy_id=guard, policy_name="Guard",
          reason=f"{edit}; no effect on any account's SCP decisions")]


def test_an_account_that_becomes_the_management_account_is_said_exempt(tmp_path):
    """issue 22 (seed 26, tamper_changes 151): a hand-made pair (AWS does not let the management account change)
    where account 222222222222 becomes the management account: SCPs no longer apply to it, so every tamper action
    its SCPs denied is now exempt; the former management account is now denied them."""
    from orgkit import scp

    all_tamper = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllTamper", "Effect": "Deny", "Action": list(scp.TAMPER_ACTIONS), "Resource": "*"}]}

    def snap(name, management):
        sb = SnapshotSpec(regions=["us-east-1"], management=management)
        ou = sb.ou("Eng")
        for aid in ("111111111111", "222222222222"):
            if aid != management:
                sb.account("Member", parent=ou, account_id=aid)
        sb.policy("Protect", all_tamper, [ou])
        return sb.load(tmp_path / name)

    df = diff(snap("b", "111111111111"), snap("a", "222222222222"), coverage=False, processes=1,
              actions=["s3:GetObject"])
    new = dict(account_id="222222222222", account_name="Management", ou_path="Root")
    old = dict(account_id="111111111111", account_name="Member", ou_path="Root/Eng")
    acts = sorted(scp.TAMPER_ACTIONS)
    assert _whole(df[df.kind.isin(["tamper", "scp_effect"])]) == [
        *[R("tamper", "regression", **new, before="explicit_deny", after="exempt", service=act.split(":")[0],
            action=act, reason=f"tamper protection lost: is exempt and can call {act} (was explicit_deny)")
          for act in acts],
        *[R("tamper", "improvement", **old, before="exempt", after="explicit_deny", service=act.split(":")[0],
            action=act, reason=f"tamper protection gained: {act} now explicit_deny (was exempt)") for act in acts],
        R("scp_effect", "neutral", **new, before="allow", after="exempt", service="s3", action="s3:GetObject",
          count=1, reason="1 s3 action now exempt (were allow)"),
        R("scp_effect", "neutral", **old, before="exempt", after="allow", service="s3", action="s3:GetObject",
          count=1, reason="1 s3 action now allowed (were exempt)")]


def test_an_after_that_lists_no_account_removes_every_account_and_compares_no_decision(tmp_path):
    """issue 22 (seed 26, tamper_changes 56): a snapshot whose organisation lists no account (a hand-edited one
    loads) has nothing to compare decisions with: each account of BEFORE is removed, no effect row, no crash."""
    sb = spec()
    empty = spec()
    empty.accounts, empty.docs = [], {}
    df = diff(load(tmp_path, "b", sb), load(tmp_path, "a", empty), coverage=False, processes=1,
              actions=["s3:GetObject"])
    assert _whole(df) == [
        R("account_removed", "neutral", account_id=aid, account_name=name, ou_path=path, before="ACTIVE",
          reason="no longer in the organisation", target_id=parent)
        for aid, name, path, parent in [(sb.management, "Management", "Root", sb.root),
                                        (sb._app, "App", "Root/Engineering/Prod", sb._prod),
                                        (sb._play, "Play", "Root/Sandbox", sb._sandbox)]]


# issue 22 (seed 26, broadening): scp_effect_changes and tamper_changes, their whole rows over varied pairs
ALL_TAMPER = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AllTamper", "Effect": "Deny", "Action": sorted(__import__("orgkit.scp").scp.TAMPER_ACTIONS),
     "Resource": "*"}]}
SWAP_TRAIL_FOR_S3 = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:DeleteTrail", "s3:GetObject", "s3:CreateBucket"],
     "Resource": "*"},
    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
#: what PROTECT denies of the tamper actions
PROTECTED = ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "organizations:LeaveOrganization")
EFFECT_ACTIONS = ["cloudtrail:StopLogging", "s3:CreateBucket", "s3:DeleteBucket", "s3:GetObject"]
BAD = '{"Statement": [{"Effect": "Maybe"}]}'
BAD_WHY = 'policy {}, statement 0: Effect must be "Allow" or "Deny", got "Maybe"'


def _newcomer(sb: SnapshotSpec) -> str:
    return next(a["Id"] for a in sb.accounts if a["Name"] == "Newcomer")


def _effect_case(tmp_path, case: str):
    """(BEFORE, AFTER, diff keywords, the whole rows expected) of one case."""
    from orgkit import scp

    acts = sorted(scp.TAMPER_ACTIONS)
    sb = spec()
    app = dict(account_id=sb._app, account_name="App", ou_path="Root/Engineering/Prod")
    play = dict(account_id=sb._play, account_name="Play", ou_path="Root/Sandbox")

    def t(where, sev, before, after, act, reason):
        return R("tamper", sev, **where, before=before, after=after, service=act.split(":")[0], action=act,
                 reason=reason)

    def e(where, sev, before, after, svc, actions, reason):
        return R("scp_effect", sev, **where, before=before, after=after, service=svc, action=", ".join(actions),
                 count=len(actions), reason=reason)

    edited = dict(policy_id=sb._protect, policy_name="Protect")
    kw: dict = {}
    if case == "protection gained":
        b, a = load(tmp_path, "b", sb), load(tmp_path, "a", spec(protect_doc=ALL_TAMPER))
        rows = [R("scp_edited", "improvement", **edited, reason="edited: statement ProtectTrail removed; statement "
                  "NoLeaving removed; statement AllTamper added; changes SCP decisions in 1 account"),
                *[t(app, "improvement", "allow", "explicit_deny", act,
                    f"tamper protection gained: {act} now explicit_deny (was allow)")
                  for act in acts if act not in PROTECTED]]
    elif case == "protection lost":
        b, a = load(tmp_path, "b", spec(protect_doc=ALL_TAMPER)), load(tmp_path, "a", sb)
        rows = [R("scp_edited", "regression", **edited, reason="edited: statement AllTamper removed; statement "
                  "ProtectTrail added; statement NoLeaving added; changes SCP decisions in 1 account"),
                *[t(app, "regression", "explicit_deny", "allow", act,
                    f"tamper protection lost: can now call {act} (was explicit_deny)")
                  for act in acts if act not in PROTECTED]]
    elif case == "policies unread":
        sa = spec(new_account=True)
        sa.error(None, None, "organizations", "ListPolicies", "AccessDeniedException", "not allowed")
        b, a = load(tmp_path, "b", sb), load(tmp_path, "a", sa)
        new = dict(account_id=_newcomer(sa), account_name="Newcomer", ou_path="Root/Engineering/Prod")
        was = {act: "explicit_deny" if act in PROTECTED else "allow" for act in acts}
        rows = [*[t(app, "regression", was[act], "unknown", act, f"{act} now unknown (was {was[act]})")
                  for act in acts],
                R("tamper", "regression", **new, after="unknown", action=", ".join(scp.TAMPER_ACTIONS), count=25,
                  reason="new account cannot be shown denied: 25 of 25 tamper actions"),
                *[t(play, "regression", "allow", "unknown", act, f"{act} now unknown (was allow)") for act in acts],
                e(app, "regression", "explicit_deny", "unknown", "cloudtrail", ["cloudtrail:StopLogging"],
                  "1 cloudtrail action now unknown (were explicit_deny)"),
                e(app, "regression", "allow", "unknown", "s3", ["s3:CreateBucket", "s3:DeleteBucket", "s3:GetObject"],
                  "3 s3 actions now unknown (were allow)"),
                e(play, "regression", "allow", "unknown", "cloudtrail", ["cloudtrail:StopLogging"],
                  "1 cloudtrail action now unknown (were allow)"),
                e(play, "regression", "allow", "unknown", "s3", ["s3:GetObject"], "1 s3 action now unknown (were allow)"),
                e(play, "regression", "explicit_deny", "unknown", "s3", ["s3:CreateBucket", "s3:DeleteBucket"],
                  "2 s3 actions now unknown (were explicit_deny)"),
                R("account_added", "neutral", **new, after="ACTIVE", target_id=sb._prod,
                  reason="joined the organisation in Root/Engineering/Prod (SCPs attached: FullAWSAccess)")]
    elif case == "two accounts share the change":
        sa = spec(new_account=True)
        b, a = load(tmp_path, "b", spec(new_account=True)), \
            load(tmp_path, "a", spec(new_account=True, protect_doc=SWAP_TRAIL_FOR_S3))
        new = dict(account_id=_newcomer(sa), account_name="Newcomer", ou_path="Root/Engineering/Prod")
        rows = [R("scp_edited", "regression", **edited, reason="edited: statement ProtectTrail: Action "
                  "-cloudtrail:StopLogging +s3:GetObject,s3:CreateBucket; changes SCP decisions in 2 accounts"),
                *[t(w, "regression", "explicit_deny", "allow", "cloudtrail:StopLogging",
                    "can now call cloudtrail:StopLogging (was explicit_deny)") for w in (app, new)],
                *[e(w, "regression", "explicit_deny", "allow", "cloudtrail", ["cloudtrail:StopLogging"],
                    "1 cloudtrail action now allowed (were explicit_deny)") for w in (app, new)],
                *[e(w, "improvement", "allow", "explicit_deny", "s3", ["s3:CreateBucket", "s3:GetObject"],
                    "2 s3 actions now denied (were allow)") for w in (app, new)]]
    elif case in ("BEFORE cannot be evaluated", "AFTER cannot be evaluated"):
        b, a = load(tmp_path, "b", sb), load(tmp_path, "a", spec(move_app=True) if case[0] == "B" else sb)
        bad = b if case[0] == "B" else a
        bad.policies.loc[bad.policies.policy_id == sb._protect, "content"] = BAD
        why = BAD_WHY.format(sb._protect)
        unknown = "its SCP effect could not be evaluated (see the scp_effect row)"
        if case[0] == "B":
            rows = [R("account_moved", "unknown", **{**app, "ou_path": "Root/Sandbox"}, before="Root/Engineering/Prod",
                      after="Root/Sandbox", target_id=sb._sandbox,
                      reason=f"moved from Root/Engineering/Prod ({sb._prod}) to Root/Sandbox ({sb._sandbox}); {unknown}"),
                    R("scp_edited", "unknown", **edited, reason="edited: statement #1 removed; statement ProtectTrail "
                      f"added; statement NoLeaving added; Version None -> 2012-10-17; {unknown}"),
                    R("scp_effect", "unknown", before="unknown", reason=f"SCPs of BEFORE could not be evaluated: {why}")]
        else:
            rows = [R("scp_effect", "regression", after="unknown", reason=f"SCPs of AFTER could not be evaluated: {why}"),
                    R("scp_edited", "unknown", **edited, reason="edited: statement ProtectTrail removed; statement "
                      f"NoLeaving removed; statement #1 added; Version 2012-10-17 -> None; {unknown}")]
    elif case == "a principal asked":
        sx = _spec_except()
        b, a = load(tmp_path, "b", sx), load(tmp_path, "a", _spec_except(detach=True))
        kw = {"principal": "role/Developer"}
        rows = [R("scp_detached", "regression", ou_path="Root/Engineering", **edited, target_id=sx._eng,
                  reason="Protect detached from ou Root/Engineering; changes SCP decisions in 1 account"),
                *[t(app, "regression", "explicit_deny", "allow", act, f"can now call {act} (was explicit_deny)")
                  for act in ("cloudtrail:DeleteTrail", "cloudtrail:StopLogging")],
                e(app, "regression", "explicit_deny", "allow", "cloudtrail", ["cloudtrail:StopLogging"],
                  "1 cloudtrail action now allowed (were explicit_deny)")]
    elif case == "a new account allowed some and conditional others":
        sx = _spec_except(deny_root=False)
        b = load(tmp_path, "b", sx)
        sx.account("Newcomer", parent=sx._prod)
        a = load(tmp_path, "a", sx)
        new = dict(account_id=_newcomer(sx), account_name="Newcomer", ou_path="Root/Engineering/Prod")
        cond = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]
        rows = [R("tamper", "regression", **new, after="conditional", action=", ".join(cond), count=2,
                  reason="new account may (depends on context) call 2 of 25 tamper actions"),
                R("tamper", "regression", **new, after="allow", count=23,
                  action=", ".join(x for x in scp.TAMPER_ACTIONS if x not in cond),
                  reason="new account can call 23 of 25 tamper actions"),
                R("account_added", "neutral", **new, after="ACTIVE", target_id=sx._prod,
                  reason="joined the organisation in Root/Engineering/Prod (SCPs attached: FullAWSAccess)")]
    else:
        raise AssertionError(case)
    return b, a, kw, rows


@pytest.mark.parametrize("case", ["protection gained", "protection lost", "policies unread",
                                  "two accounts share the change", "BEFORE cannot be evaluated",
                                  "AFTER cannot be evaluated", "a principal asked",
                                  "a new account allowed some and conditional others"])
def test_effect_and_tamper_rows_compared_whole(tmp_path, case):
    b, a, kw, rows = _effect_case(tmp_path, case)
    assert _whole(diff(b, a, coverage=False, processes=1, actions=EFFECT_ACTIONS, **kw)) == rows


def test_a_new_account_exempt_from_scps_is_said_so(tmp_path):
    """issue 22 (seed 26, broadening tamper_changes): a hand-made pair whose AFTER's management account is new
    (AWS does not let it change): SCPs do not apply to it, so it can call every tamper action."""
    from orgkit import scp

    def snap(name, management, members):
        sb = SnapshotSpec(regions=["us-east-1"], management=management)
        ou = sb.ou("Eng")
        for aid in members:
            sb.account(f"Member{aid[0]}", parent=ou, account_id=aid)
        sb.policy("Protect", ALL_TAMPER, [ou])
        return sb.load(tmp_path / name)

    df = diff(snap("b", "111111111111", ["222222222222"]),
              snap("a", "333333333333", ["111111111111", "222222222222"]), coverage=False, processes=1,
              actions=["s3:GetObject"])
    new = dict(account_id="333333333333", account_name="Management", ou_path="Root")
    assert _whole(df[df.kind == "tamper"]) == [
        R("tamper", "regression", **new, after="exempt", action=", ".join(scp.TAMPER_ACTIONS), count=25,
          reason="new account is exempt and can call 25 of 25 tamper actions"),
        *[R("tamper", "improvement", account_id="111111111111", account_name="Member1", ou_path="Root/Eng",
            before="exempt", after="explicit_deny", service=act.split(":")[0], action=act,
            reason=f"tamper protection gained: {act} now explicit_deny (was exempt)")
          for act in sorted(scp.TAMPER_ACTIONS)]]
# issue 22: seed-26 survivors, and the trail selectors' words (``state._selectors``) compared whole
def _selector_trail(tmp_path, name, advanced=None, basic=None, unread=False):
    sb = SnapshotSpec(regions=["us-east-1"])
    app = sb.account("App", parent=sb.ou("Eng"))
    arn = sb.trail(app, "app-trail", advanced_event_selectors=advanced, event_selectors=basic)
    if unread:
        sb.docs[app]["CloudTrail"]["Trails"][arn]["EventSelectors"] = None
    return sb.load(tmp_path / name)


def _fields(*fields, name="sel"):
    return [{"Name": name, "FieldSelectors": list(fields)}]


MGMT = _fields({"Field": "eventCategory", "Equals": ["Management"]}, name="mgmt")
S3_DATA = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]
BASIC_ALL = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
              "ExcludeManagementEventSources": []}]


@pytest.mark.parametrize("before,after,words", [
    # basic to advanced, and back
    (dict(basic=BASIC_ALL), dict(advanced=MGMT),
     "basic[All, management=True] -> advanced[eventCategory=Management]"),
    (dict(advanced=MGMT), dict(basic=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
                                      "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
                                      "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                                                        {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]},
                                     BASIC_ALL[0]]),
     "advanced[eventCategory=Management] -> basic[WriteOnly, management=False, "
     "exclude=kms.amazonaws.com,rdsdata.amazonaws.com, data=2] basic[All, management=True]"),
    # a field with StartsWith only (no Equals), its values changed
    (dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/", "arn:aws:s3:::b/"]})),
     dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/"]})),
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN starts arn:aws:s3:::a/,"
     "arn:aws:s3:::b/] -> advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN starts "
     "arn:aws:s3:::a/]"),
    # every operator of AdvancedFieldSelector is a change of its own
    (dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::logs/"]})),
     dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::logs/"]})),
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN starts arn:aws:s3:::logs/] -> "
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN not starts arn:aws:s3:::logs/]"),
    (dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "EndsWith": [".pdf"]})),
     dict(advanced=_fields(*S3_DATA, {"Field": "resources.ARN", "NotEndsWith": [".pdf", ".tmp"]})),
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN ends .pdf] -> "
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object; resources.ARN not ends .pdf,.tmp]"),
    (dict(advanced=_fields({"Field": "eventCategory", "Equals": ["Management"]},
                           {"Field": "readOnly", "Equals": [], "NotEquals": ["true"]},
                           {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]})),
     dict(advanced=_fields({"Field": "eventCategory", "Equals": ["Management"]},
                           {"Field": "readOnly", "Equals": ["false"]},
                           {"Field": "eventSource", "Equals": ["s3.amazonaws.com"],
                            "NotEquals": ["kms.amazonaws.com"]})),
     "advanced[eventCategory=Management; readOnly!=true; eventSource!=kms.amazonaws.com,rdsdata.amazonaws.com] -> "
     "advanced[eventCategory=Management; readOnly=false; eventSource=s3.amazonaws.com!=kms.amazonaws.com]"),
    # two selectors, in the order the trail lists them
    (dict(advanced=MGMT + _fields(*S3_DATA, name="s3")), dict(advanced=_fields(*S3_DATA, name="s3") + MGMT),
     "advanced[eventCategory=Management] advanced[eventCategory=Data; resources.type=AWS::S3::Object] -> "
     "advanced[eventCategory=Data; resources.type=AWS::S3::Object] advanced[eventCategory=Management]"),
    # a hostile snapshot: a field selector without Field, values that are no strings
    (dict(advanced=MGMT), dict(advanced=_fields({"Equals": ["Management"]}, {"Field": "readOnly", "Equals": [1, True]})),
     "advanced[eventCategory=Management] -> advanced[None=Management; readOnly=1,True]"),
    # the same selectors under another name: no change; selectors not read on one side: not compared
    (dict(advanced=MGMT), dict(advanced=_fields({"Field": "eventCategory", "Equals": ["Management"]}, name="x")),
     None),
    (dict(advanced=MGMT), dict(advanced=_fields(*S3_DATA), unread=True), None),
])
def test_trail_selector_changes_in_words(tmp_path, before, after, words):
    arn = "arn:aws:cloudtrail:us-east-1:000000000002:trail/app-trail"
    rows = _trail_rows(_selector_trail(tmp_path, "before", **before), _selector_trail(tmp_path, "after", **after))
    assert rows == ([("trail_changed", "neutral", "000000000002", "App", "Root/Eng", "us-east-1", None, None,
                      f"trail app-trail: event selectors {words}", arn, "cloudtrail")] if words else [])


def _scp_type_org(tmp_path, enabled: bool):
    sb = SnapshotSpec(regions=["us-east-1"], scp_enabled=enabled)
    eng = sb.ou("Engineering")
    sb.account("App", parent=eng)
    sb.policy("Protect", PROTECT, [eng])
    return sb.load(tmp_path / f"scp_{enabled}")


def test_the_scp_policy_type_disabled_or_enabled_is_rated_by_its_effect(tmp_path):
    """Disabling the SERVICE_CONTROL_POLICY type detaches every SCP (AWS: "When you disable a policy type, all
    policies of the specified type are automatically detached from all entities in the organization root"): App
    loses Protect's Denies. Enabling it again is the reverse."""
    on, off = _scp_type_org(tmp_path, True), _scp_type_org(tmp_path, False)
    app = "000000000002"
    where = (app, "App", "Root/Engineering")
    few = ["cloudtrail:StopLogging", "organizations:LeaveOrganization"]
    kinds = ("scp_policy_type", "tamper", "scp_effect")
    # the tamper rows cover the tamper actions whatever the actions asked for: the ones Protect denies
    TAMPER = ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "organizations:LeaveOrganization"]

    def rows(b, a):
        df = diff(b, a, actions=few, coverage=False)
        return [tuple(r) for r in df[df.kind.isin(kinds)][STRUCT_COLS].itertuples(index=False)]

    assert rows(on, off) == [
        ("scp_policy_type", "regression", None, None, None, "enabled", "disabled", "r-ab12", None, None,
         "the SERVICE_CONTROL_POLICY type was disabled at the root; changes SCP decisions in 1 account"),
        *[("tamper", "regression", *where, "explicit_deny", "allow", None, None, None,
           f"can now call {a} (was explicit_deny)") for a in TAMPER],
        ("scp_effect", "regression", *where, "explicit_deny", "allow", None, None, None,
         "1 cloudtrail action now allowed (were explicit_deny)"),
        ("scp_effect", "regression", *where, "explicit_deny", "allow", None, None, None,
         "1 organizations action now allowed (were explicit_deny)")]
    assert rows(off, on) == [
        ("scp_policy_type", "improvement", None, None, None, "disabled", "enabled", "r-ab12", None, None,
         "the SERVICE_CONTROL_POLICY type was enabled at the root; changes SCP decisions in 1 account"),
        *[("tamper", "improvement", *where, "allow", "explicit_deny", None, None, None,
           f"{a} now explicit_deny (was allow)") for a in TAMPER],
        ("scp_effect", "improvement", *where, "allow", "explicit_deny", None, None, None,
         "1 cloudtrail action now denied (were allow)"),
        ("scp_effect", "improvement", *where, "allow", "explicit_deny", None, None, None,
         "1 organizations action now denied (were allow)")]


def _type_and_rcp_org(tmp_path, scp_enabled: bool, with_rcp: bool, full_below: bool = False):
    """Engineering holds NoBuckets (when SCPs are on); RCPs are enabled, KeepBuckets (Deny s3:DeleteBucket to
    every principal) attached to Engineering when ``with_rcp``; ``full_below``: FullAWSAccess on Engineering and
    App too, nothing else."""
    sb = SnapshotSpec(regions=["us-east-1"], scp_enabled=scp_enabled)
    eng = sb.ou("Engineering")
    app = sb.account("App", parent=eng)
    if full_below:
        sb.attach("p-FullAWSAccess", eng)
        sb.attach("p-FullAWSAccess", app)
    else:
        sb.policy("NoBuckets", DENY_S3, [eng])
    sb.enable_rcps()
    if with_rcp:
        sb.rcp("KeepBuckets", {"Version": "2012-10-17", "Statement": [
            {"Sid": "KeepBuckets", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}]},
            [eng])
    return sb.load(tmp_path / f"type_{scp_enabled}_{with_rcp}_{full_below}")


def _struct_rows(b, a, actions):
    df = diff(b, a, actions=actions, coverage=False)
    return [tuple(r) for r in df[STRUCT_COLS].itertuples(index=False)]


def test_disabling_the_scp_type_is_rated_alone_even_where_an_rcp_made_with_it_denies_the_same(tmp_path):
    """issue 22 (diff seed-27 survivor Attributor.effect 109: the scp_policy_type change not isolated, rated by
    the accounts' effect rows instead). SCPs disabled and, in the same diff, an RCP attached that denies
    s3:DeleteBucket, which the detached NoBuckets denied: App's decision does not change (explicit_deny both
    sides), yet disabling the type alone would allow the delete ("When you disable a policy type, all policies of
    the specified type are automatically detached"): its row is a regression in 1 account, as is NoBuckets'
    detachment; the RCP's attachment alone changes nothing (NoBuckets already denies). FullAWSAccess detached alone
    from the root, Engineering or App (SCPs still on) leaves App's tamper actions without an Allow (implicitly
    denied): an improvement in 1 account, though s3:DeleteBucket stays denied; the tamper rows are over every tamper
    action whatever the actions asked, and so is a change rated alone (issue 22, d-effect: these rows read neutral
    with ``actions`` given, improvement without). Every row, whole."""
    on, off = _type_and_rcp_org(tmp_path, True, False), _type_and_rcp_org(tmp_path, False, True)
    root, eng, mgmt, app = "r-ab12", "ou-ab12-00000001", "111111111111", "000000000002"
    none = "no effect on any account's SCP decisions"
    assert _struct_rows(on, off, ["s3:DeleteBucket"]) == [
        ("scp_policy_type", "regression", None, None, None, "enabled", "disabled", root, None, None,
         "the SERVICE_CONTROL_POLICY type was disabled at the root; changes SCP decisions in 1 account"),
        ("scp_detached", "regression", None, None, "Root/Engineering", None, None, eng, "p-00000003", "NoBuckets",
         "NoBuckets detached from ou Root/Engineering; changes SCP decisions in 1 account"),
        ("scp_detached", "improvement", None, None, "Root", None, None, root, "p-FullAWSAccess", "FullAWSAccess",
         "FullAWSAccess detached from root Root; changes SCP decisions in 1 account"),
        ("scp_detached", "improvement", None, None, "Root/Engineering", None, None, eng, "p-FullAWSAccess",
         "FullAWSAccess", "FullAWSAccess detached from ou Root/Engineering; changes SCP decisions in 1 account"),
        ("scp_detached", "improvement", app, "App", "Root/Engineering", None, None, app, "p-FullAWSAccess",
         "FullAWSAccess", f"FullAWSAccess detached from account App ({app}); changes SCP decisions in 1 account"),
        ("scp_detached", "neutral", mgmt, "Management", "Root", None, None, mgmt, "p-FullAWSAccess", "FullAWSAccess",
         f"FullAWSAccess detached from account Management ({mgmt}); {none}"),
        ("rcp_created", "neutral", None, None, None, None, "KeepBuckets", None, "p-00000004", "KeepBuckets", "new RCP"),
        ("rcp_attached", "neutral", None, None, "Root/Engineering", None, None, eng, "p-00000004", "KeepBuckets",
         f"KeepBuckets attached to ou Root/Engineering; {none}")]


def test_enabling_the_scp_type_with_only_full_access_attached_changes_no_decision(tmp_path):
    """issue 22 (bug found from the same survivor): enabling SERVICE_CONTROL_POLICY was rated as if it left
    every account with no SCP at all (everything implicitly denied: "improvement; changes SCP decisions in 1
    account") while AWS attaches FullAWSAccess everywhere ("when you enable SCPs, AWS Organizations attaches an
    AWS managed SCP named FullAWSAccess", SCP evaluation). With FullAWSAccess alone nothing changes and every row
    says so; with a Deny attached too, the type's row takes the effect the accounts show (the test above it)."""
    off = _type_and_rcp_org(tmp_path, False, False, full_below=True)
    on = _type_and_rcp_org(tmp_path, True, False, full_below=True)
    root, eng, mgmt, app = "r-ab12", "ou-ab12-00000001", "111111111111", "000000000002"
    none = "no effect on any account's SCP decisions"
    assert _struct_rows(off, on, ["s3:DeleteBucket", "cloudtrail:StopLogging"]) == [
        ("scp_policy_type", "neutral", None, None, None, "disabled", "enabled", root, None, None,
         f"the SERVICE_CONTROL_POLICY type was enabled at the root; {none}"),
        ("scp_attached", "neutral", None, None, "Root", None, None, root, "p-FullAWSAccess", "FullAWSAccess",
         f"FullAWSAccess attached to root Root; {none}"),
        ("scp_attached", "neutral", mgmt, "Management", "Root", None, None, mgmt, "p-FullAWSAccess", "FullAWSAccess",
         f"FullAWSAccess attached to account Management ({mgmt}); {none}"),
        ("scp_attached", "neutral", None, None, "Root/Engineering", None, None, eng, "p-FullAWSAccess", "FullAWSAccess",
         f"FullAWSAccess attached to ou Root/Engineering; {none}"),
        ("scp_attached", "neutral", app, "App", "Root/Engineering", None, None, app, "p-FullAWSAccess", "FullAWSAccess",
         f"FullAWSAccess attached to account App ({app}); {none}")]


def test_a_policy_whose_name_and_text_are_missing_as_nan_on_both_sides_is_unchanged(tmp_path):
    """issue 22 (diff seed-27 survivor structure._val 1: NaN no longer read as missing). An ``Org`` whose policies
    frame holds a missing name and text as pandas writes a missing value (NaN, not None) on both sides: NaN !=
    NaN, yet nothing changed, so the diff has no row at all (not "SCP renamed", not "policy text changed")."""
    def org(tag):
        sb = SnapshotSpec(regions=["us-east-1"])
        eng = sb.ou("Engineering")
        sb.account("App", parent=eng)
        sb.policy("Protect", PROTECT, [eng])
        sb.policy("Spare", PROTECT)  # attached nowhere
        o = sb.load(tmp_path / tag)
        p = o.frames["policies"]
        p.loc[p["name"] == "Spare", ["content", "name"]] = float("nan")
        return o

    b, a = org("b"), org("a")
    assert b.policies["content"].isna().tolist() == [False, False, True]
    df = diff(b, a, coverage=False)
    assert [tuple(r) for r in df[STRUCT_COLS].itertuples(index=False)] == []


def test_the_coverage_child_reports_its_failure_through_the_pipe(pair, monkeypatch):
    """The forked child's body, run in this process (a fork is not traced by the mutation tool): with the rows it
    sends them; failing, it sends the error as one line ("Type: message"), never the rows nor nothing, and closes
    its end; either way it ends with os._exit (here made to raise, so that the test process lives on)."""
    import multiprocessing as mp

    import orgkit.diff as D

    class Exited(Exception):
        pass

    def exit_(code):
        raise Exited(code)

    monkeypatch.setattr(D.os, "_exit", exit_)
    b, a, *_ = pair(after={"stop_app_trail": True})
    recv, send = mp.Pipe(duplex=False)
    with pytest.raises(Exited, match="^0$"):
        D._coverage_child(b, a, "cloudtrail", send)
    assert recv.recv() == D._coverage_rows(b, a, "cloudtrail")
    recv, send = mp.Pipe(duplex=False)
    with pytest.raises(Exited, match="^0$"):
        D._coverage_child(None, a, "cloudtrail", send)
    assert recv.recv() == "AttributeError: 'NoneType' object has no attribute 'regions_requested'"
    with pytest.raises(EOFError):  # its end is closed: nothing else comes
        recv.recv()
