"""Issue 18 point 3, second half: tamper protection of what a trail depends on (its S3 bucket and KMS key), as a
``trail_storage`` verdict for the account that OWNS them, derived by the same ``tamper_verdict`` from the engine's
exact answers against the real ARNs. Hand-built snapshots (orgkit.testing.SnapshotSpec) and the bundled demo."""

import json

from orgkit import scp
from orgkit.scp.tamper import DEPENDENCY_RESOURCES, VERDICTS, tamper_verdict
from orgkit.testing import SnapshotSpec

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET_ACTIONS = ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration"]
KEY_ACTIONS = ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]


def deny(actions, cond=None):
    st = {"Effect": "Deny", "Action": actions, "Resource": "*"}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


def _spec(bucket_owner="logs", key_owner="logs", logs_scp=None, unread=()):
    """Management, a Log Archive account owning the bucket (and key), an App account whose trail delivers there,
    and an Idle account owning nothing."""
    s = SnapshotSpec()
    ids = {"management": s.management}
    ids["logs"] = s.account("Log Archive")
    ids["app"] = s.account("App")
    ids["idle"] = s.account("Idle")
    for name, aid in ids.items():
        s.docs[aid]["S3"] = {"Buckets": []} if name not in unread else {"Buckets": None, "Error": "AccessDenied"}
    if bucket_owner in ids and bucket_owner not in unread:
        s.docs[ids[bucket_owner]]["S3"]["Buckets"].append("org-trail-logs")
    key = f"arn:aws:kms:us-east-1:{ids[key_owner]}:key/{KEY_ID}" if key_owner else None
    extra = {"KmsKeyId": key} if key else {}
    s.trail(ids["app"], "app-trail", S3BucketName="org-trail-logs", **extra)
    if logs_scp is not None:
        s.policy("ProtectLogs", logs_scp, [ids["logs"]])
    return s, ids


def _tamper(tmp_path, **kw):
    s, ids = _spec(**kw)
    org = s.load(tmp_path / "snap")
    return scp.tamper_protection(org).set_index("account_id"), ids


def test_one_trail_storage_group_with_the_bucket_and_key_actions_and_their_sources():
    (r,) = DEPENDENCY_RESOURCES
    assert r.key == "trail_storage" and list(r.actions) == BUCKET_ACTIONS + KEY_ACTIONS
    assert "AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED" in r.source and "create-kms-key-policy-for-cloudtrail" in r.source


def test_the_verdict_function_covers_nothing_to_judge_and_not_protectable():
    assert tamper_verdict([]) == ("not_applicable", [])
    v, det = tamper_verdict([("bucket b", "not_protectable", "in the management account"), ("a", "exposed", "allowed")])
    assert v == "not_protectable"  # worse than exposed: no policy can close it
    assert det[0] == "bucket b: not protectable: in the management account"
    assert VERDICTS.index("not_protectable") > VERDICTS.index("exposed")


def test_nothing_protects_the_log_bucket_exposed_in_the_owner_account_only(tmp_path):
    t, ids = _tamper(tmp_path)
    assert t.loc[ids["logs"], "trail_storage"] == "exposed"
    assert set(t.loc[ids["logs"], "trail_storage_exposed"]) == {f"{a} on org-trail-logs" for a in BUCKET_ACTIONS} | {
        f"{a} on {KEY_ID}" for a in KEY_ACTIONS}
    # the trail's own account and an account owning nothing: not applicable (the bucket is not theirs)
    assert t.loc[ids["app"], "trail_storage"] == "not_applicable"
    assert t.loc[ids["idle"], "trail_storage"] == "not_applicable"
    assert t.loc[ids["management"], "trail_storage"] == "not_applicable"


def test_an_scp_with_a_named_exception_in_the_owner_account_is_protected_except(tmp_path):
    cond = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}
    t, ids = _tamper(tmp_path, logs_scp=deny(BUCKET_ACTIONS + KEY_ACTIONS, cond))
    assert t.loc[ids["logs"], "trail_storage"] == "protected_except"
    assert t.loc[ids["logs"], "trail_storage_exceptions"] == ["role/SecurityAdmin"]
    assert "s3:DeleteBucket on org-trail-logs: only role/SecurityAdmin" in t.loc[ids["logs"], "trail_storage_detail"]


def test_a_deny_without_exception_is_protected_and_a_partial_one_exposed(tmp_path):
    t, ids = _tamper(tmp_path, logs_scp=deny(BUCKET_ACTIONS + KEY_ACTIONS))
    assert t.loc[ids["logs"], "trail_storage"] == "protected"
    t, ids = _tamper(tmp_path / "b", logs_scp=deny(BUCKET_ACTIONS))  # the key is left open
    assert t.loc[ids["logs"], "trail_storage"] == "exposed"
    assert set(t.loc[ids["logs"], "trail_storage_exposed"]) == {f"{a} on {KEY_ID}" for a in KEY_ACTIONS}


def test_a_bucket_and_key_in_the_management_account_are_not_protectable(tmp_path):
    t, ids = _tamper(tmp_path, bucket_owner="management", key_owner="management",
                     logs_scp=deny(BUCKET_ACTIONS + KEY_ACTIONS))
    m = t.loc[ids["management"]]
    assert m["trail_storage"] == "not_protectable"
    assert any("management account" in d and "org-trail-logs" in d for d in m["trail_storage_detail"])
    assert set(m["trail_storage_exposed"]) == {"bucket org-trail-logs", f"key {KEY_ID}"}
    assert t.loc[ids["logs"], "trail_storage"] == "not_applicable"


def test_a_bucket_outside_the_organisation_is_not_protectable_on_the_trail_account(tmp_path):
    t, ids = _tamper(tmp_path, bucket_owner=None, key_owner=None)
    assert t.loc[ids["app"], "trail_storage"] == "not_protectable"
    assert any("outside the organisation" in d for d in t.loc[ids["app"], "trail_storage_detail"])


def test_a_bucket_whose_owner_was_not_read_is_unknown_never_not_applicable(tmp_path):
    t, ids = _tamper(tmp_path, key_owner=None, unread=("logs",))
    assert t.loc[ids["app"], "trail_storage"] == "unknown"
    assert any("not read" in d for d in t.loc[ids["app"], "trail_storage_detail"])


def test_demo_log_archive_bucket_is_protected_except_security_admin_by_the_rcp():
    from orgkit.model import load

    t = scp.tamper_protection(load(None)).set_index("account_name")
    la = t.loc["Log Archive"]
    assert la["trail_storage"] == "protected_except" and la["trail_storage_exceptions"] == ["role/SecurityAdmin"]
    assert any(d.startswith("s3:DeleteBucket on demo-org-trail-logs: only role/SecurityAdmin")
               for d in la["trail_storage_detail"])
    # for SecurityAdmin itself the RCP's exception applies: that principal can
    t = scp.tamper_protection(load(None), principal="role/SecurityAdmin").set_index("account_name")
    assert t.loc["Log Archive", "trail_storage"] == "exposed"


def _run(argv, capsys):
    from orgkit.cli import main

    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_shows_trail_storage_in_80_columns_and_the_gate_fails_on_not_protectable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    s, ids = _spec(bucket_owner="management", key_owner=None)
    # every other tamper action denied everywhere but in the management account (which SCPs cannot restrict)
    from orgkit.scp.tamper import TAMPER_ACTIONS

    s.policy("DenyTamper", deny(list(TAMPER_ACTIONS)), [ids["logs"], ids["app"], ids["idle"]])
    snap = s.write(tmp_path / "snap")
    rc, out, err = _run(["scp", "tamper", str(snap)], capsys)
    assert rc == 0
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "trail_storage" in out.splitlines()[0]
    assert "trail_storage: not_applicable 3, not_protectable 1 of 4 accounts" in err
    # the management row is exposed anyway (exempt); without it only not_protectable would fail: check the JSON
    rc, out, _ = _run(["scp", "tamper", str(snap), "--format", "json", "--fail-on", "exposed"], capsys)
    rows = {r["account_id"]: r for r in json.loads(out)}
    assert rc == 1 and rows[ids["management"]]["trail_storage"] == "not_protectable"


def test_the_gate_fails_on_not_protectable_too():
    from orgkit.scp import FAILING_VERDICTS

    assert set(FAILING_VERDICTS) == {"exposed", "not_protectable"}


def test_ocsf_rates_not_protectable_high_fail_and_not_applicable_fine():
    from orgkit.ocsf import FAIL, HIGH, RULES

    r = RULES["tamper"]
    assert r["verdicts"]["not_protectable"] == (HIGH, FAIL)
    assert "not_applicable" in r["fine"]


def test_palette_not_protectable_is_bad():
    from orgkit import palette

    assert palette.TIERS["not_protectable"] == "bad" and palette.TIERS["exposed"] == "bad"
    assert palette.TIERS["not_applicable"] == "na" and palette.TIERS["protected_except"] == "good"


def test_a_hostile_bucket_name_is_shown_as_text(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    s, ids = _spec(key_owner=None)
    evil = "logs\x1b[2J<b>x</b>"
    s.docs[ids["logs"]]["S3"]["Buckets"] = [evil]
    s.docs[ids["app"]]["CloudTrail"]["Trails"][next(iter(s.docs[ids["app"]]["CloudTrail"]["Trails"]))]["Trail"][
        "S3BucketName"] = evil
    snap = s.write(tmp_path / "snap")
    rc, out, err = _run(["scp", "tamper", str(snap), "--columns", "account_id,trail_storage,trail_storage_detail"],
                        capsys)
    assert rc == 0 and "\x1b" not in out + err
    assert "exposed" in out and "<b>x</b>" in out  # visible, as text (HTML escaping is the notebooks' job)


# ------------------------------------------------------------- issue 22: the statuses per owner, compared whole

def test_dependency_statuses_compared_whole(tmp_path):
    from orgkit.scp.org import Evaluator
    from orgkit.scp.tamper import dependency_statuses

    key = f"on {KEY_ID}"
    cond = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}
    s, ids = _spec(logs_scp=deny(BUCKET_ACTIONS, cond))
    s.trail(ids["idle"], "idle-trail", S3BucketName="org-trail-logs")  # a second trail, the same bucket: one entry
    org = s.load(tmp_path / "a")
    open_key = [(f"{a} {key}", "exposed", "allowed for any principal") for a in KEY_ACTIONS]
    assert dependency_statuses(org, Evaluator(org)) == {ids["logs"]: [
        *[(f"{a} on org-trail-logs", "except", ["role/SecurityAdmin"]) for a in BUCKET_ACTIONS], *open_key]}
    assert dependency_statuses(org, Evaluator(org), principal="arn:aws:iam::000000000001:role/Dev") == {ids["logs"]: [
        *[(f"{a} on org-trail-logs", "denied", None) for a in BUCKET_ACTIONS],
        *[(f"{a} {key}", "exposed", "allowed for arn:aws:iam::000000000001:role/Dev") for a in KEY_ACTIONS]]}
    s, ids = _spec(bucket_owner="management", key_owner=None)
    org = s.load(tmp_path / "b")
    assert dependency_statuses(org, Evaluator(org)) == {ids["management"]: [(
        "bucket org-trail-logs", "not_protectable",
        f"bucket listed by account {ids['management']} (s3:ListBuckets); in the management account: SCPs do not "
        "restrict its users or roles and RCPs do not affect its resources, so no organisation policy can protect it "
        "(AWS recommends a separate log-archive account)")]}
    s, ids = _spec(key_owner=None, unread=("logs",))
    org = s.load(tmp_path / "c")
    assert dependency_statuses(org, Evaluator(org)) == {ids["app"]: [(
        "bucket org-trail-logs", "unknown",
        f"bucket in no account whose buckets were read; not read in 1 account(s): {ids['logs']}")]}
    s, ids = _spec(bucket_owner=None)
    org = s.load(tmp_path / "d")
    assert dependency_statuses(org, Evaluator(org)) == {
        ids["logs"]: open_key,
        ids["app"]: [("bucket org-trail-logs", "not_protectable",
                      "bucket in no account of the organisation (every account's buckets were read); outside the "
                      "organisation: its SCPs and RCPs do not reach it")]}


def _records(df):
    return df.astype(object).where(df.notna(), None).to_dict("records")


def test_trail_dependencies_decisions_and_summary_compared_whole():
    """A stand-in organisation: a GovCloud trail whose bucket a member owns (its ARN keeps the partition) and whose
    key is an alias (no account), a bucket two accounts list, a key in the management account, one outside."""
    import pandas as pd

    from orgkit.scp.dependencies import (MANAGEMENT_REASON, dependency_decisions, dependency_summary,
                                         trail_dependencies)
    from scp_org_fixture import MGMT, make_org

    keep = {"Version": "2012-10-17", "Statement": [{"Sid": "Keep", "Effect": "Deny", "Action": "s3:DeleteBucket",
                                                    "Resource": "arn:aws-us-gov:s3:::gov-logs"}]}
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "r-root", "account", "logs", ["p-FullAWSAccess", "p-keep"]),
                    ("100000000002", "r-root", "account", "app", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": scp.FULL_AWS_ACCESS, "p-keep": keep})
    gov, t2, t3 = ("arn:aws-us-gov:cloudtrail:us-gov-west-1:100000000002:trail/t1",
                   "arn:aws:cloudtrail:us-east-1:100000000002:trail/t2", "arn:aws:cloudtrail:us-east-1:100000000002:trail/t3")
    org.trails = pd.DataFrame([
        {"trail_arn": gov, "account_id": "100000000002", "s3_bucket": "gov-logs", "kms_key_id": "alias/mine"},
        {"trail_arn": t2, "account_id": "100000000002", "s3_bucket": "dup", "kms_key_id": f"arn:aws:kms:us-east-1:{MGMT}:key/k1"},
        {"trail_arn": t3, "account_id": "100000000002", "s3_bucket": None, "kms_key_id": "arn:aws:kms:us-east-1:999999999999:key/k2"}])
    org.frames = {"buckets": pd.DataFrame([{"account_id": "100000000001", "bucket": "gov-logs"},
                                           {"account_id": "100000000001", "bucket": "dup"},
                                           {"account_id": "100000000002", "bucket": "dup"}]),
                  "bucket_reads": pd.DataFrame([{"account_id": a, "status": "ok"} for a in (MGMT, "100000000001", "100000000002")])}
    app = "100000000002"
    rows = [
        (gov, "s3_bucket", "gov-logs", "arn:aws-us-gov:s3:::gov-logs", "100000000001", "member", True,
         "bucket listed by account 100000000001 (s3:ListBuckets)"),
        (gov, "kms_key", "mine", None, None, "unknown", None, "KmsKeyId 'alias/mine' is not a key ARN: its account is unknown"),
        (t2, "s3_bucket", "dup", "arn:aws:s3:::dup", None, "unknown", None,
         "bucket listed by several accounts (100000000001, 100000000002): owner unknown"),
        (t2, "kms_key", "k1", f"arn:aws:kms:us-east-1:{MGMT}:key/k1", MGMT, "management", False,
         f"the key ARN names account {MGMT}; {MANAGEMENT_REASON}"),
        (t3, "kms_key", "k2", "arn:aws:kms:us-east-1:999999999999:key/k2", "999999999999", "outside", False,
         "the key ARN names account 999999999999; outside the organisation: its SCPs and RCPs do not reach it")]
    acts = {"s3_bucket": BUCKET_ACTIONS, "kms_key": KEY_ACTIONS}
    assert _records(trail_dependencies(org)) == [
        {"trail_arn": t, "trail_account_id": app, "kind": k, "name": n, "arn": a, "owner_account_id": o, "owner": ok,
         "protectable": p, "actions": acts[k], "reason": r} for t, k, n, a, o, ok, p, r in rows]
    d = dependency_decisions(org, principal="role/Dev")
    assert list(d.columns) == ["trail_arn", "trail_account_id", "kind", "name", "arn", "owner_account_id", "owner",
                               "protectable", "reason", "action", "decision", "layer", "decision_reason", "allowed_when"]
    full = "allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0"
    keep_reason = 'denied by Sid "Keep" of policy "keep" (p-keep) at account Root/logs (100000000001)'
    assert _records(d[["name", "action", "decision", "layer", "decision_reason"]]) == [
        {"name": "gov-logs", "action": "s3:DeleteBucket", "decision": "explicit_deny", "layer": "SCP",
         "decision_reason": keep_reason},
        *[{"name": "gov-logs", "action": a, "decision": "allow", "layer": "SCP", "decision_reason": full}
          for a in BUCKET_ACTIONS[1:]],
        *[{"name": n, "action": a, "decision": None, "layer": None, "decision_reason": None}
          for _, k, n, *_ in rows[1:] for a in acts[k]]]
    assert _records(dependency_summary(d)) == [
        {"trail_account_id": app, "kind": k, "name": n, "owner_account_id": o, "owner": ok, "protectable": p,
         "decisions": r if ok != "member" else "s3:DeleteBucket: explicit_deny (SCP); s3:PutBucketPolicy: allow (SCP); "
                                              "s3:DeleteBucketPolicy: allow (SCP); s3:PutLifecycleConfiguration: allow (SCP)"}
        for _, k, n, _, o, ok, p, r in rows]


def test_missing_absent_reaches_the_trail_storage_answers(tmp_path):
    """With every key not given absent, aws:PrincipalArn is absent: the ArnNotLike exception denies (protected);
    with keys unknown it is an exception for role/SecurityAdmin."""
    cond = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}
    s, ids = _spec(logs_scp=deny(BUCKET_ACTIONS + KEY_ACTIONS, cond))
    org = s.load(tmp_path / "snap")
    t = scp.tamper_protection(org, missing="absent").set_index("account_id")
    assert t.loc[ids["logs"], ["trail_storage", "trail_storage_detail", "trail_storage_exceptions"]].tolist() == [
        "protected", [], []]
    t = scp.tamper_protection(org).set_index("account_id")
    assert t.loc[ids["logs"], "trail_storage"] == "protected_except"
    assert t.loc[ids["logs"], "trail_storage_detail"] == [
        *[f"{a} on org-trail-logs: only role/SecurityAdmin" for a in BUCKET_ACTIONS],
        *[f"{a} on {KEY_ID}: only role/SecurityAdmin" for a in KEY_ACTIONS]]


def test_trail_dependencies_without_bucket_reads_or_trail_arn_compared_whole():
    """issue 22 (mutation survivors dependencies.trail_dependencies and _partition): a snapshot with no bucket
    reads at all leaves every account's buckets unread (owner unknown, never "outside"), and a trail whose ARN is
    not known gives its bucket the "aws" partition."""
    import pandas as pd

    from orgkit.scp.dependencies import trail_dependencies
    from scp_org_fixture import MGMT, make_org

    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000002", "r-root", "account", "app", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": scp.FULL_AWS_ACCESS})
    org.trails = pd.DataFrame([{"trail_arn": None, "account_id": "100000000002", "s3_bucket": "logs", "kms_key_id": None}])
    org.frames = {}
    assert _records(trail_dependencies(org)) == [
        {"trail_arn": None, "trail_account_id": "100000000002", "kind": "s3_bucket", "name": "logs",
         "arn": "arn:aws:s3:::logs", "owner_account_id": None, "owner": "unknown", "protectable": None,
         "actions": BUCKET_ACTIONS,
         "reason": f"bucket in no account whose buckets were read; not read in 2 account(s): {MGMT}, 100000000002"}]
