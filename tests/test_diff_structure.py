"""orgkit.diff.structure compared whole (issue 22, diff seed 29, branch d-struct): every row :func:`structure_changes`
writes (every column) and the accounts each row touches (which decide its severity in :func:`orgkit.diff.diff`),
over accounts added, removed, moved, renamed and suspended; OUs added, removed, renamed and moved; SCPs and RCPs
created, deleted, renamed, edited, attached and detached at the root, an OU and an account; the two policy types
enabled, disabled or unread; policy texts not collected or malformed; and :func:`describe_edit`'s words."""

from __future__ import annotations

import itertools
import json

import pandas as pd
import pytest

from orgkit.diff import diff
from orgkit.diff.rows import COLUMNS
from orgkit.diff.structure import describe_edit, structure_changes
from orgkit.testing import SnapshotSpec

ROOT, MGMT = "r-ab12", "111111111111"


def ou_id(n: int) -> str:
    return f"ou-ab12-{n:08d}"


def acc(n: int) -> str:
    return f"{n:012d}"


def pol(n: int) -> str:
    return f"p-{n:08d}"


def R(kind: str, severity: str = "neutral", **kw) -> dict:
    """One expected row, whole: every column not given is None (the frame's columns, :data:`COLUMNS`)."""
    assert set(kw) <= set(COLUMNS)
    return {"kind": kind, "severity": severity, **kw}


def changes(before, after) -> tuple[list[dict], dict[int, list[str]]]:
    """structure_changes' rows (each with its columns that are not None; every column is checked to be one of
    the frame's) and the accounts each row touches, sorted."""
    rows, touches = structure_changes(before, after)
    assert all(list(r) == COLUMNS for r in rows)
    return [{k: v for k, v in r.items() if v is not None} for r in rows], {i: sorted(t) for i, t in touches.items()}


def counter(sb: SnapshotSpec, start: int) -> None:
    """What only one side has is numbered from ``start``, so that the ids both sides share are the same."""
    sb._ids = itertools.count(start)


# ------------------------------------------------------------------------------------- accounts and OUs, whole
def _accounts_and_ous(after: bool) -> SnapshotSpec:
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Platform" if after else "Engineering")                       # 1: renamed
    prod = sb.ou("Prod", parent=None if after else eng)                       # 2: moved to the root
    sandbox = sb.ou("Lab" if after else "Sandbox", parent=eng if after else None)  # 3: renamed and moved
    sb.account("Application" if after else "App", parent=prod, status="SUSPENDED" if after else "ACTIVE")  # 4
    sb.account("Play", parent=eng if after else sandbox, status="CLOSED" if after else "ACTIVE")  # 5: moved, closed
    sb.account("Ops", parent=eng, status="PENDING_CLOSURE" if after else "ACTIVE")  # 6
    sb.account("Quiet", status="ACTIVE" if after else "PENDING_ACTIVATION")  # 7: at the root
    if after:
        counter(sb, 70)
        sec = sb.ou("Security")                                               # 70
        audit = sb.ou("Audit", parent=sec)                                    # 71
        sb.ou("Tools")                                                        # 72
        sb.account("Yan", parent=prod, account_id=acc(82))
        sb.account("Wes", parent=sandbox, account_id=acc(83))
        sb.account("Xi", parent=audit, account_id=acc(81))
    else:
        counter(sb, 50)
        legacy = sb.ou("Legacy")                                              # 50
        sb.ou("Attic", parent=legacy)                                         # 51
        sb.ou("Spare")                                                        # 52
        sb.account("Zulu", parent=legacy, account_id=acc(62))
        sb.account("Mike", account_id=acc(63))
        sb.account("Alpha", parent=sandbox, account_id=acc(61))
    return sb


def _accounts_and_ous_rows() -> tuple[list[dict], dict[int, list[str]]]:
    """The rows and touched accounts :func:`_accounts_and_ous`' two sides should give."""
    full = dict(policy_id="p-FullAWSAccess", policy_name="FullAWSAccess")
    return [
        R("account_added", account_id=acc(81), account_name="Xi", ou_path="Root/Security/Audit", after="ACTIVE",
          target_id=ou_id(71), reason="joined the organisation in Root/Security/Audit (SCPs attached: FullAWSAccess)"),
        R("account_added", account_id=acc(82), account_name="Yan", ou_path="Root/Prod", after="ACTIVE",
          target_id=ou_id(2), reason="joined the organisation in Root/Prod (SCPs attached: FullAWSAccess)"),
        R("account_added", account_id=acc(83), account_name="Wes", ou_path="Root/Platform/Lab", after="ACTIVE",
          target_id=ou_id(3), reason="joined the organisation in Root/Platform/Lab (SCPs attached: FullAWSAccess)"),
        R("account_removed", account_id=acc(61), account_name="Alpha", ou_path="Root/Sandbox", before="ACTIVE",
          target_id=ou_id(3), reason="no longer in the organisation"),
        R("account_removed", account_id=acc(62), account_name="Zulu", ou_path="Root/Legacy", before="ACTIVE",
          target_id=ou_id(50), reason="no longer in the organisation"),
        R("account_removed", account_id=acc(63), account_name="Mike", ou_path="Root", before="ACTIVE",
          target_id=ROOT, reason="no longer in the organisation"),
        R("account_renamed", account_id=acc(4), account_name="Application", ou_path="Root/Prod", before="App",
          after="Application", reason="account name changed"),
        R("account_suspended", account_id=acc(4), account_name="Application", ou_path="Root/Prod", before="ACTIVE",
          after="SUSPENDED", reason="account state ACTIVE -> SUSPENDED"),
        R("account_moved", account_id=acc(5), account_name="Play", ou_path="Root/Platform", before="Root/Sandbox",
          after="Root/Platform", target_id=ou_id(1),
          reason=f"moved from Root/Sandbox ({ou_id(3)}) to Root/Platform ({ou_id(1)})"),
        R("account_suspended", account_id=acc(5), account_name="Play", ou_path="Root/Platform", before="ACTIVE",
          after="CLOSED", reason="account state ACTIVE -> CLOSED"),
        R("account_suspended", account_id=acc(6), account_name="Ops", ou_path="Root/Platform", before="ACTIVE",
          after="PENDING_CLOSURE", reason="account state ACTIVE -> PENDING_CLOSURE"),
        R("account_status", account_id=acc(7), account_name="Quiet", ou_path="Root", before="PENDING_ACTIVATION",
          after="ACTIVE", reason="account state PENDING_ACTIVATION -> ACTIVE"),
        R("ou_added", ou_path="Root/Security", after="Security", target_id=ou_id(70),
          reason="new OU (SCPs attached: FullAWSAccess)"),
        R("ou_added", ou_path="Root/Security/Audit", after="Audit", target_id=ou_id(71),
          reason="new OU (SCPs attached: FullAWSAccess)"),
        R("ou_added", ou_path="Root/Tools", after="Tools", target_id=ou_id(72),
          reason="new OU (SCPs attached: FullAWSAccess)"),
        R("ou_removed", ou_path="Root/Legacy", before="Legacy", target_id=ou_id(50), reason="OU deleted"),
        R("ou_removed", ou_path="Root/Legacy/Attic", before="Attic", target_id=ou_id(51), reason="OU deleted"),
        R("ou_removed", ou_path="Root/Spare", before="Spare", target_id=ou_id(52), reason="OU deleted"),
        R("ou_renamed", ou_path="Root/Platform", before="Engineering", after="Platform", target_id=ou_id(1),
          reason="renamed: Root/Engineering is now Root/Platform"),
        R("ou_moved", ou_path="Root/Prod", before="Root/Engineering/Prod", after="Root/Prod", target_id=ou_id(2),
          reason=f"OU moved from under {ou_id(1)} to under {ROOT}"),
        R("ou_renamed", ou_path="Root/Platform/Lab", before="Sandbox", after="Lab", target_id=ou_id(3),
          reason="renamed: Root/Sandbox is now Root/Platform/Lab"),
        R("ou_moved", ou_path="Root/Platform/Lab", before="Root/Sandbox", after="Root/Platform/Lab",
          target_id=ou_id(3), reason=f"OU moved from under {ROOT} to under {ou_id(1)}"),
        # the FullAWSAccess of what was removed goes with it (a detachment read in BEFORE's tree)
        R("scp_detached", account_id=acc(61), account_name="Alpha", ou_path="Root/Sandbox", target_id=acc(61),
          reason=f"FullAWSAccess detached from account Alpha ({acc(61)})", **full),
        R("scp_detached", account_id=acc(62), account_name="Zulu", ou_path="Root/Legacy", target_id=acc(62),
          reason=f"FullAWSAccess detached from account Zulu ({acc(62)})", **full),
        R("scp_detached", account_id=acc(63), account_name="Mike", ou_path="Root", target_id=acc(63),
          reason=f"FullAWSAccess detached from account Mike ({acc(63)})", **full),
        R("scp_detached", ou_path="Root/Legacy", target_id=ou_id(50),
          reason="FullAWSAccess detached from ou Root/Legacy",
          **full),
        R("scp_detached", ou_path="Root/Legacy/Attic", target_id=ou_id(51),
          reason="FullAWSAccess detached from ou Root/Legacy/Attic", **full),
        R("scp_detached", ou_path="Root/Spare", target_id=ou_id(52), reason="FullAWSAccess detached from ou Root/Spare",
          **full),
    ], {0: [acc(81)], 1: [acc(82)], 2: [acc(83)], 8: [acc(5)], 19: [acc(4), acc(82)],
        21: [acc(5), acc(61), acc(83)], **{i: [] for i in range(22, 28)}}
    # an added account and a moved one touch themselves; a moved OU the accounts under it on either side (the
    # new Yan under Prod; Alpha, removed, and the new Wes under Sandbox); the policies of what was removed go with
    # it and touch no account (AWS deletes only an empty OU; an account that left is no longer governed by the
    # organisation)


def test_accounts_and_ous_rows_and_touched_accounts_compared_whole(tmp_path):
    b = _accounts_and_ous(False).load(tmp_path / "b")
    a = _accounts_and_ous(True).load(tmp_path / "a")
    assert changes(b, a) == _accounts_and_ous_rows()


def _frame_rows(df: pd.DataFrame) -> list[tuple]:
    """The frame's rows, whole (every column, a missing value None), in a fixed order."""
    assert list(df.columns) == COLUMNS
    rows = [tuple(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in r)
            for r in df.itertuples(index=False)]
    return sorted(rows, key=repr)


def test_the_structure_rows_through_diff_are_rated_by_their_own_effect(tmp_path):
    """Through diff(), the path a user meets: no policy here denies anything, so every structural change is surely
    neutral; each row that touches accounts (but an account added, which its own rows rate) says it has no
    effect, the others say nothing more. Removing an account or an OU detaches their FullAWSAccess: that is no
    improvement of anyone's decisions (it was called one, "changes SCP decisions in 1 account", before). The
    new accounts arrive able to call every tamper action (their own rows, regressions)."""
    df = diff(_accounts_and_ous(False).load(tmp_path / "b"), _accounts_and_ous(True).load(tmp_path / "a"),
              coverage=False, actions=["s3:CreateBucket"])
    rows, touches = _accounts_and_ous_rows()
    for i, r in enumerate(rows):
        if i in touches and r["kind"] != "account_added":
            r["reason"] += "; no effect on any account's SCP decisions"
    assert _frame_rows(df[df.kind != "tamper"]) == sorted((tuple(r.get(c) for c in COLUMNS) for r in rows), key=repr)
    assert sorted(df.loc[df.kind == "tamper", ["severity", "account_id", "reason"]].itertuples(index=False)) == [
        ("regression", aid, "new account can call 25 of 25 tamper actions") for aid in (acc(81), acc(82), acc(83))]


# ------------------------------------------------------------------------------------ SCPs and RCPs, whole
TEXTS = {
    "Protect": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Buckets", "Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "Resource": "*"}]},
    "Protect2": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Buckets", "Effect": "Deny", "Action": ["s3:DeleteBucket"], "Resource": "*"}]},
    "Keep": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Queues", "Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*"}]},
    # the same document, its keys in another order: another text
    "Keep2": {"Statement": [{"Resource": "*", "Action": "sqs:DeleteQueue", "Effect": "Deny", "Sid": "Queues"}],
              "Version": "2012-10-17"},
    "Deny": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]},
}


def _text(kind: str, name: str) -> dict:
    doc = json.loads(json.dumps(TEXTS[name]))
    if kind == "rcp":  # an RCP names its principals
        for s in doc["Statement"]:
            s["Principal"] = "*"
    return doc


def _policies(kind: str, after: bool) -> SnapshotSpec:
    sb = SnapshotSpec(regions=["us-east-1"])
    make = sb.policy if kind == "scp" else sb.rcp
    if kind == "rcp":
        sb.enable_rcps()
    a_ou, b_ou = sb.ou("Apps" if after else "A"), sb.ou("B")  # 1 (renamed: what AFTER detaches is named in AFTER), 2
    x, y = sb.account("X", parent=a_ou), sb.account("Y", parent=b_ou)  # 3, 4
    make("Protection" if after else "Protect", _text(kind, "Protect2" if after else "Protect"),
         [ROOT, y] if after else [ROOT, a_ou])              # 5: renamed, edited, moved from A to account Y
    make("DenyS3", _text(kind, "Deny"), [ROOT] if after else [x])  # 6: from account X to the root
    make("Keep", _text(kind, "Keep2" if after else "Keep"), [b_ou])  # 7: formatting only
    make("Idle", _text(kind, "Deny"), [])                    # 8: unchanged
    if after:
        counter(sb, 70)
        c_ou = sb.ou("C")                                    # 70
        z = sb.account("Z", parent=c_ou)                     # 71
        make("Fresh", _text(kind, "Deny"), [b_ou, z])        # 72
        make("Lone", _text(kind, "Deny"), [])                # 73
    else:
        counter(sb, 50)
        make("Gone", _text(kind, "Deny"), [a_ou, y])         # 50
    return sb


@pytest.mark.parametrize("kind", ["scp", "rcp"])
def test_policy_rows_and_touched_accounts_compared_whole(tmp_path, kind):
    b, a = _policies(kind, False).load(tmp_path / "b"), _policies(kind, True).load(tmp_path / "a")
    label = kind.upper()
    everyone = [acc(3), acc(4), acc(71), MGMT]
    # Z has Fresh, its new OU C only what AWS attaches to every new node
    z_has, c_has = (("(SCPs attached: Fresh, FullAWSAccess)", "(SCPs attached: FullAWSAccess)") if kind == "scp" else
                    ("(SCPs attached: FullAWSAccess) (RCPs attached: Fresh, RCPFullAWSAccess)",
                     "(SCPs attached: FullAWSAccess) (RCPs attached: RCPFullAWSAccess)"))
    rows, touches = changes(b, a)
    assert rows == [
        R("account_added", account_id=acc(71), account_name="Z", ou_path="Root/C", after="ACTIVE", target_id=ou_id(70),
          reason=f"joined the organisation in Root/C {z_has}"),
        R("ou_added", ou_path="Root/C", after="C", target_id=ou_id(70), reason=f"new OU {c_has}"),
        R("ou_renamed", ou_path="Root/Apps", before="A", after="Apps", target_id=ou_id(1),
          reason="renamed: Root/A is now Root/Apps"),
        R(f"{kind}_created", policy_id=pol(72), policy_name="Fresh", after="Fresh", reason=f"new {label}"),
        R(f"{kind}_created", policy_id=pol(73), policy_name="Lone", after="Lone", reason=f"new {label} (not attached)"),
        R(f"{kind}_deleted", policy_id=pol(50), policy_name="Gone", before="Gone", reason=f"{label} deleted"),
        R(f"{kind}_renamed", policy_id=pol(5), policy_name="Protection", before="Protect", after="Protection",
          reason=f"{label} renamed"),
        R(f"{kind}_edited", policy_id=pol(5), policy_name="Protection",
          reason="edited: statement Buckets: Action -s3:PutBucketPolicy"),
        R(f"{kind}_edited", policy_id=pol(7), policy_name="Keep",
          reason="formatting only (whitespace or key order): the same JSON document"),
        R(f"{kind}_attached", account_id=acc(4), account_name="Y", ou_path="Root/B", policy_id=pol(5),
          policy_name="Protection", target_id=acc(4), reason=f"Protection attached to account Y ({acc(4)})"),
        R(f"{kind}_attached", ou_path="Root", policy_id=pol(6), policy_name="DenyS3", target_id=ROOT,
          reason="DenyS3 attached to root Root"),
        R(f"{kind}_attached", ou_path="Root/B", policy_id=pol(72), policy_name="Fresh", target_id=ou_id(2),
          reason="Fresh attached to ou Root/B"),
        # a detachment names the policy as BEFORE did; (policy, target) in order
        R(f"{kind}_detached", ou_path="Root/Apps", policy_id=pol(5), policy_name="Protect", target_id=ou_id(1),
          reason="Protect detached from ou Root/Apps"),
        R(f"{kind}_detached", account_id=acc(3), account_name="X", ou_path="Root/Apps", policy_id=pol(6),
          policy_name="DenyS3", target_id=acc(3), reason=f"DenyS3 detached from account X ({acc(3)})"),
        R(f"{kind}_detached", account_id=acc(4), account_name="Y", ou_path="Root/B", policy_id=pol(50),
          policy_name="Gone", target_id=acc(4), reason=f"Gone detached from account Y ({acc(4)})"),
        R(f"{kind}_detached", ou_path="Root/Apps", policy_id=pol(50), policy_name="Gone", target_id=ou_id(1),
          reason="Gone detached from ou Root/Apps"),
    ]
    # created: touches nothing (a new policy is rated by its attachments); deleted: the accounts under its
    # targets in BEFORE; edited: under its targets on either side (the root: everyone, Z included)
    assert touches == {0: [acc(71)], 3: [], 4: [], 5: [acc(3), acc(4)], 7: everyone, 8: [acc(4)], 9: [acc(4)],
                       10: everyone, 11: [acc(4)], 12: [acc(3)], 13: [acc(3)], 14: [acc(4)], 15: [acc(3)]}


def _types(scp: bool, rcp: bool, rcp_error: str | None = None, extra: bool = False) -> SnapshotSpec:
    """An OU, an account and an SCP, with the SCP type enabled or not, an RCP (enabled, read or not), and with
    ``extra`` one more account (only one side has it: the rows of a policy type touch the accounts of both)."""
    sb = SnapshotSpec(regions=["us-east-1"], scp_enabled=scp)
    a_ou = sb.ou("A")                                         # 1
    sb.account("X", parent=a_ou)                              # 2
    sb.policy("Protect", TEXTS["Deny"], [a_ou])               # 3
    if rcp:
        sb.rcp("Guard", _text("rcp", "Deny"), [a_ou])         # 4
        sb.rcp_error = rcp_error
    if extra:
        sb.account("New", account_id=acc(90))
    return sb


def _scp_attachments(verb: str) -> list[dict]:
    """Every SCP attachment of :func:`_types`' organisation, in the order the rows list them ((policy, target)
    sorted), each attached or detached."""
    full = dict(policy_id="p-FullAWSAccess", policy_name="FullAWSAccess")
    to = "to" if verb == "attached" else "from"
    return [
        R(f"scp_{verb}", ou_path="Root/A", policy_id=pol(3), policy_name="Protect", target_id=ou_id(1),
          reason=f"Protect {verb} {to} ou Root/A"),
        R(f"scp_{verb}", account_id=acc(2), account_name="X", ou_path="Root/A", target_id=acc(2),
          reason=f"FullAWSAccess {verb} {to} account X ({acc(2)})", **full),
        R(f"scp_{verb}", account_id=MGMT, account_name="Management", ou_path="Root", target_id=MGMT,
          reason=f"FullAWSAccess {verb} {to} account Management ({MGMT})", **full),
        R(f"scp_{verb}", ou_path="Root/A", target_id=ou_id(1), reason=f"FullAWSAccess {verb} {to} ou Root/A", **full),
        R(f"scp_{verb}", ou_path="Root", target_id=ROOT, reason=f"FullAWSAccess {verb} {to} root Root", **full),
    ]


UNREAD = "organizations:AccessDeniedException (the RCPs could not be listed)"
EVERYONE = [acc(2), acc(90), MGMT]  # of both sides: the extra account is on one
NEW = dict(account_id=acc(90), account_name="New", ou_path="Root", target_id=ROOT)
TYPE_CASES = {
    # AWS detaches every SCP when the type is disabled: each detachment is listed after the type's row
    "scp disabled": ((True, False), (False, False, None, True),
                     [R("account_added", after="ACTIVE", reason="joined the organisation in Root", **NEW),
                      R("scp_policy_type", before="enabled", after="disabled", target_id=ROOT,
                        reason="the SERVICE_CONTROL_POLICY type was disabled at the root"),
                      *_scp_attachments("detached")],
                     {0: [acc(90)], 1: EVERYONE, 2: [acc(2)], 3: [acc(2)], 4: [MGMT], 5: [acc(2)],
                      6: EVERYONE}),  # under the root on either side
    "scp enabled": ((False, False, None, True), (True, False),
                    [R("account_removed", before="ACTIVE", reason="no longer in the organisation", **NEW),
                     R("scp_policy_type", before="disabled", after="enabled", target_id=ROOT,
                       reason="the SERVICE_CONTROL_POLICY type was enabled at the root"),
                     *_scp_attachments("attached")],
                    {1: EVERYONE, 2: [acc(2)], 3: [acc(2)], 4: [MGMT], 5: [acc(2)], 6: [acc(2), MGMT]}),
    # the RCPs of the side where the type is off were not collected: one row, not one per RCP
    "rcp disabled": ((True, True, None, True), (True, False),
                     [R("account_removed", before="ACTIVE", reason="no longer in the organisation", **NEW),
                      R("scp_detached", policy_id="p-FullAWSAccess", policy_name="FullAWSAccess",
                        reason=f"FullAWSAccess detached from account New ({acc(90)})", **{**NEW, "target_id": acc(90)}),
                      R("rcp_policy_type", before="enabled", after="disabled", target_id=ROOT,
                        reason="the RESOURCE_CONTROL_POLICY type was disabled at the root")], {1: [], 2: EVERYONE}),
    "rcp enabled": ((True, False), (True, True, None, True),
                    [R("account_added", after="ACTIVE", reason="joined the organisation in Root (SCPs attached: "
                                                               "FullAWSAccess)", **NEW),
                     R("rcp_policy_type", before="disabled", after="enabled", target_id=ROOT,
                       reason="the RESOURCE_CONTROL_POLICY type was enabled at the root")],
                    {0: [acc(90)], 1: EVERYONE}),
    # unread: unknown, never "deleted" nor unchanged; rated by nothing (no accounts touched)
    "rcp unread before": ((True, True, "AccessDeniedException"), (True, True),
                          [R("rcp_policy_type", "unknown", before="unread", after="enabled", target_id=ROOT,
                             reason=f"resource control policies not read in BEFORE ({UNREAD}): their changes "
                                    "are unknown")], {}),
    "rcp unread after": ((True, True), (True, True, "AccessDeniedException"),
                         [R("rcp_policy_type", "unknown", before="enabled", after="unread", target_id=ROOT,
                            reason=f"resource control policies not read in AFTER ({UNREAD}): their changes "
                                   "are unknown")], {}),
    "rcp unread on both sides": ((True, True, "AccessDeniedException"), (True, True, "AccessDeniedException"),
                                 [R("rcp_policy_type", "unknown", before="unread", after="unread", target_id=ROOT,
                                    reason=f"resource control policies not read in BEFORE ({UNREAD}) and AFTER "
                                           f"({UNREAD}): their changes are unknown")], {}),
}


@pytest.mark.parametrize("case", TYPE_CASES)
def test_policy_types_enabled_disabled_or_unread_compared_whole(tmp_path, case):
    b_args, a_args, want, want_touches = TYPE_CASES[case]
    b, a = _types(*b_args).load(tmp_path / "b"), _types(*a_args).load(tmp_path / "a")
    assert changes(b, a) == (want, want_touches)


@pytest.mark.parametrize("side", ["before", "after"])
def test_a_policy_type_a_snapshot_does_not_state_is_not_compared(tmp_path, side):
    """An older snapshot whose root lists no policy types (``scp_enabled`` / ``rcp_enabled`` None): neither type
    is said enabled nor disabled, and the RCPs (the other side's Guard) are not compared."""
    b, a = _types(True, True).load(tmp_path / "b"), _types(True, True).load(tmp_path / "a")
    org = b if side == "before" else a
    org.scp_enabled = org.rcp_enabled = None
    if side == "after":  # a change that would be listed if the type were known to be enabled on both sides
        a.frames["rcps"] = a.rcps[a.rcps["name"] != "Guard"]
    assert changes(b, a) == ([], {})


def test_organisations_without_rcp_frames_compare_no_rcps(tmp_path):
    """An Org-like object without the RCP frames, or with frames that have no columns, has no RCPs: none is
    said created or deleted."""
    b, a = _types(True, True).load(tmp_path / "b"), _types(True, True).load(tmp_path / "a")
    del b.frames["rcps"], b.frames["rcp_targets"]
    a.frames["rcps"], a.frames["rcp_targets"] = pd.DataFrame(), pd.DataFrame()
    assert changes(b, a) == ([], {})
    a.frames["policy_targets"] = pd.DataFrame()  # no SCP attachment read: each of BEFORE's is a detachment
    rows, touches = changes(b, a)
    assert [(r["kind"], r["policy_name"], r["target_id"]) for r in rows] == [
        ("scp_detached", "Protect", ou_id(1)), ("scp_detached", "FullAWSAccess", acc(2)),
        ("scp_detached", "FullAWSAccess", MGMT), ("scp_detached", "FullAWSAccess", ou_id(1)),
        ("scp_detached", "FullAWSAccess", ROOT)]


def test_only_service_control_policies_are_scps_and_a_target_outside_the_tree_is_named_by_its_id(tmp_path):
    """A policy of another type (a tag policy) is no SCP, nor are its attachments; one without a type is taken
    for an SCP (a frame without the column: every policy). An attachment to a target the tree does not hold is
    named by its id and touches no account."""
    b, a = _types(True, False).load(tmp_path / "b"), _types(True, False).load(tmp_path / "a")
    b.frames["policies"] = b.policies.drop(columns="type")
    p, t = a.policies, a.policy_targets
    protect = p[p["policy_id"] == pol(3)].iloc[0].to_dict()
    a.frames["policies"] = pd.concat([
        p.assign(content=[json.dumps(TEXTS["Keep"]) if i == pol(3) else c
                          for i, c in zip(p["policy_id"], p["content"])]),
        pd.DataFrame([{**protect, "policy_id": "p-tag00001", "name": "Tags", "type": "TAG_POLICY"},
                      {**protect, "policy_id": "p-untyped1", "name": "Untyped", "type": None}])], ignore_index=True)
    a.frames["policy_targets"] = pd.concat([t, pd.DataFrame([
        {"policy_id": pol(3), "target_id": "ou-ab12-99999999", "target_type": "ORGANIZATIONAL_UNIT",
         "target_name": None},
        {"policy_id": "p-tag00001", "target_id": acc(2), "target_type": "ACCOUNT", "target_name": "X"}])],
        ignore_index=True)
    assert changes(b, a) == ([
        R("scp_created", policy_id="p-untyped1", policy_name="Untyped", after="Untyped",
          reason="new SCP (not attached)"),
        R("scp_edited", policy_id=pol(3), policy_name="Protect",
          reason="edited: statement #1 removed; statement Queues added"),
        R("scp_attached", ou_path="ou-ab12-99999999", policy_id=pol(3), policy_name="Protect",
          target_id="ou-ab12-99999999", reason="Protect attached to target ou-ab12-99999999"),
    ], {0: [], 1: [acc(2)], 2: []})


# ------------------------------------------------------------------------- texts not collected or malformed
def _with_text(org, pid: str, text):
    """``org`` whose policy ``pid`` has the content ``text`` (None: not collected, as the collector writes it
    when DescribePolicy fails)."""
    p = org.policies
    org.frames["policies"] = p.assign(content=[text if i == pid else c for i, c in zip(p["policy_id"], p["content"])])
    return org


TEXT_CASES = {
    "not collected in AFTER": (json.dumps(TEXTS["Deny"]), None,
                               "policy text not collected in AFTER: whether and how it changed is unknown"),
    "not collected in BEFORE (NaN)": (float("nan"), json.dumps(TEXTS["Deny"]),
                                      "policy text not collected in BEFORE: whether and how it changed is unknown"),
    "not JSON": (json.dumps(TEXTS["Deny"]), '{"Version": "2012-10-17", "Statement": [',
                 "policy text changed (not valid JSON on one side)"),
    "a JSON list": ("[]", json.dumps(TEXTS["Deny"]), "policy text changed (not a JSON object on one side)"),
    "a JSON number": (json.dumps(TEXTS["Deny"]), "12", "policy text changed (not a JSON object on one side)"),
}


@pytest.mark.parametrize("case", TEXT_CASES)
def test_a_text_not_collected_or_malformed_is_an_edit_row_that_says_so(tmp_path, case):
    before_text, after_text, words = TEXT_CASES[case]
    b = _with_text(_types(True, False).load(tmp_path / "b"), pol(3), before_text)
    a = _with_text(_types(True, False).load(tmp_path / "a"), pol(3), after_text)
    assert changes(b, a) == ([R("scp_edited", policy_id=pol(3), policy_name="Protect", reason=words)],
                             {0: [acc(2)]})


def test_a_text_not_collected_on_both_sides_is_no_edit(tmp_path):
    b = _with_text(_types(True, False).load(tmp_path / "b"), pol(3), None)
    a = _with_text(_types(True, False).load(tmp_path / "a"), pol(3), float("nan"))
    assert changes(b, a) == ([], {})


@pytest.mark.parametrize("after_text", ["[]", None])
def test_a_policy_text_that_is_no_json_object_or_not_collected_is_said_through_diff(tmp_path, after_text):
    """The path a user meets: ``orgkit.diff`` on a policy whose AFTER text is a JSON list (valid JSON, no policy:
    the diff crashed with AttributeError before) or was not collected: the edit row says which, its effect is
    unknown, never "no effect"."""
    b = _types(True, False).load(tmp_path / "b")
    a = _with_text(_types(True, False).load(tmp_path / "a"), pol(3), after_text)
    df = diff(b, a, coverage=False, actions=["kms:ScheduleKeyDeletion"])
    edit = df[df.kind == "scp_edited"]
    assert len(edit) == 1
    reason = edit.iloc[0]["reason"]
    if after_text is None:
        assert reason.startswith("policy text not collected in AFTER: whether and how it changed is unknown; ")
    else:
        assert reason.startswith("policy text changed (not a JSON object on one side); ")
    assert edit.iloc[0]["severity"] in ("unknown", "regression") and "no effect" not in reason


# -------------------------------------------------------------------------------------------- describe_edit
def _doc(*statements, version: str | None = "2012-10-17", key="Statement") -> str:
    d: dict = {} if version is None else {"Version": version}
    d[key] = list(statements)
    return json.dumps(d)


S = {"Sid": "A", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
EDITS = [
    # statements without a Sid are named by their place; what is no statement still takes its place
    (_doc(S, key="Statements"), _doc(S), "edited: statement A added"),
    (json.dumps({"Version": "2012-10-17", "Statement": "s3:*"}), _doc({**S, "Sid": ""}),
     "edited: statement #1 added"),
    (_doc("junk", {**S, "Sid": None}), _doc({**S, "Sid": None}), "edited: statement #2 removed; statement #1 added"),
    # three statements of one Sid
    (_doc(S, S, S), _doc(S, S, {**S, "Effect": "Allow"}), "edited: statement A#3: Effect -Deny +Allow"),
    # a field only one side has; a Condition is never listed value by value
    (_doc(S), _doc({**S, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
     "edited: statement A: Condition changed"),
    (_doc({**S, "Condition": "a"}), _doc({**S, "Condition": "b"}), "edited: statement A: Condition changed"),
    (_doc(S), _doc({k: v for k, v in S.items() if k != "Resource"} | {"NotResource": ["arn:aws:s3:::logs"]}),
     "edited: statement A: NotResource changed; Resource changed"),
    # values only added; values that are not strings
    (_doc(S), _doc({**S, "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"]}),
     "edited: statement A: Action +s3:PutBucketPolicy"),
    (_doc({**S, "Action": [1, 2]}), _doc({**S, "Action": [2, 3]}), "edited: statement A: Action -1 +3"),
    # several fields of several statements
    (_doc(S, {**S, "Sid": "B"}), _doc({**S, "Effect": "Allow", "Action": "s3:*"}, {**S, "Sid": "B", "Resource": "x"}),
     "edited: statement A: Action -s3:DeleteBucket +s3:*; Effect -Deny +Allow; statement B: Resource -* +x"),
    (_doc({**S, "Action": ["s3:A", "s3:B", "s3:C"]}),
     _doc({**S, "Action": ["s3:C", "s3:D", "s3:E"], "Effect": "Allow", "Resource": ["x", "y"],
           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
     "edited: statement A: Action -s3:A,s3:B +s3:D,s3:E; Condition changed; Effect -Deny +Allow; Resource -* +x,y"),
    # the Version, with or without other changes
    (_doc(S, version=None), _doc(S), "edited: Version None -> 2012-10-17"),
    (_doc(S, {**S, "Sid": "B"}), _doc({**S, "Sid": "B"}, S, version="2008-10-17"),
     "edited: statements reordered; Version 2012-10-17 -> 2008-10-17"),
    (_doc(S, {**S, "Sid": "B"}), _doc({**S, "Sid": "B"}, {**S, "Action": "s3:*"}),
     "edited: statement A: Action -s3:DeleteBucket +s3:*"),
    # texts not collected (None, NaN) or that are no policy
    (None, _doc(S), "policy text not collected in BEFORE: whether and how it changed is unknown"),
    (_doc(S), float("nan"), "policy text not collected in AFTER: whether and how it changed is unknown"),
    (None, None, "policy text not collected in BEFORE and AFTER: whether and how it changed is unknown"),
    ("[1]", "[1]", "policy text changed (not a JSON object on one side)"),
    (_doc(S), '"text"', "policy text changed (not a JSON object on one side)"),
    ("{", "{", "policy text changed (not valid JSON on one side)"),
]


@pytest.mark.parametrize("before,after,words", EDITS, ids=[f"edit{i}" for i in range(len(EDITS))])
def test_describe_edit_words(before, after, words):
    assert describe_edit(before, after) == words
