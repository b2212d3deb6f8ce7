"""orgkit.diff.effect compared whole (issue 22, broadening the weak functions of ``effect.py``): the ``scp_effect``
and ``tamper`` rows (every column) and the effect attributed to each structural row, over varied edits of one small
organisation: a Deny added, removed, extended; an Allow list narrowed; a condition's values, operator and key
changed; an RCP detached; an attachment moved; an account moved; several changes on one account; an account whose
answer is unknown; a resource, a principal and a context asked.

Expected rows come from AWS's SCP rules ("For a permission to be allowed for a specific account, there must be an
explicit Allow statement at every level from the root through each OU in the direct path to the account (including
the target account itself)"; "SCP evaluation follows a deny-by-default model": SCP evaluation,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html; a Deny at
any level wins) and docs/diff.md (severity, wording); each
``scp_effect`` and ``tamper`` cell is also checked against :meth:`orgkit.scp.Evaluator.decide` on BEFORE and AFTER,
and every (account, action) whose decision differs must be in a row."""

from __future__ import annotations

import pytest

from orgkit import scp
from orgkit.diff import diff
from orgkit.testing import SnapshotSpec
from test_diff import R, _whole

ACTIONS = ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "ec2:RunInstances", "s3:DeleteBucket", "s3:GetObject",
           "s3:PutObject"]
TAMPER = list(scp.TAMPER_ACTIONS)
CT_TAMPER = [a for a in TAMPER if a.startswith("cloudtrail:")]


def _doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


GUARD = _doc({"Sid": "Guard", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "s3:DeleteBucket"],
              "Resource": "*"})
GUARD_MORE = _doc({"Sid": "Guard", "Effect": "Deny",
                   "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "s3:DeleteBucket"], "Resource": "*"})
SANDBOX_ALLOW = _doc({"Sid": "Some", "Effect": "Allow", "Action": ["s3:*", "cloudtrail:*", "ec2:*"], "Resource": "*"})


def _region(cond: dict) -> dict:
    return _doc({"Sid": "Region", "Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*",
                 "Condition": cond})


REGION = {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}
KEEP_PUT = _doc({"Sid": "KeepObjects", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"})
NO_EC2 = _doc({"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"})


def org(path, **c):
    """Root: Management; Eng (App; Prod: Db); Sandbox (Play, under an Allow list instead of FullAWSAccess).
    Guard (a Deny) on Eng, Region (a conditional Deny of s3 objects) on Prod; switches vary it. The ids are the
    same on both sides: every object is made in the same order whatever the switches."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng = sb.ou("Eng")
    sandbox_at = sb.root if c.get("prod_in") else None  # Sandbox made before Prod would change the ids
    prod = sb.ou("Prod", parent=eng)
    sandbox = sb.ou("Sandbox", parent=sandbox_at, full_access=False)
    if c.get("prod_in"):
        next(o for o in sb.ous if o["Id"] == prod)["ParentId"] = sandbox
    nodes = {"eng": eng, "prod": prod, "sandbox": sandbox}
    app = sb.account("App", parent=nodes[c.get("app_in", "eng")])
    db = sb.account("Db", parent=prod)
    play = sb.account("Play", parent=nodes[c.get("play_in", "sandbox")])
    nodes.update(app=app, db=db, play=play)
    guard = sb.policy("Guard", c.get("guard", GUARD), [nodes[n] for n in c.get("guard_at", ["eng"])])
    if c.get("drop_guard"):
        del sb.policies[guard]
    sb.policy("Region", _region(c.get("region", REGION)), [prod])
    sb.policy("SandboxAllow", c.get("sandbox_allow", SANDBOX_ALLOW), [sandbox])
    sb.policy("NoEc2", NO_EC2, [nodes[n] for n in c.get("no_ec2_at", [])])
    if c.get("rcp_at") is not None:
        keep = sb.rcp("KeepObjects", c.get("rcp", KEEP_PUT), [nodes[n] for n in c["rcp_at"]])
        if c.get("drop_rcp"):
            del sb.rcps[keep]
    if c.get("quarantine"):  # a new OU (made last: the other ids stay), Play moved into it, NoEc2 on it
        q = sb.ou("Quarantine")
        next(a for a in sb.accounts if a["Id"] == play)["ParentId"] = q
        sb.attach(next(p for p, v in sb.policies.items() if v["name"] == "NoEc2"), q)
        nodes["quarantine"] = q
    sb.nodes = nodes
    return sb.load(path), sb



def _check_cells(b, a, df, kw, actions):
    """Every decision an ``scp_effect`` or ``tamper`` row states is the engine's (Evaluator.decide) on that side, and
    every (account, action) whose label differs between the sides is in a row."""
    eb, ea = scp.evaluator(b), scp.evaluator(a)
    ask = {k: kw[k] for k in ("principal", "context", "resource") if k in kw}
    tamper_ask = {k: kw[k] for k in ("principal", "context") if k in kw}  # tamper protection: any resource
    unknown = set(kw.get("_unknown_accounts", ()))
    ids = sorted(set(b.accounts.account_id) & set(a.accounts.account_id) - unknown)
    seen = set()
    for r in df[df.kind.isin(["scp_effect", "tamper"])].itertuples(index=False):
        if r.account_id in unknown or r.before is None or r.before != r.before:
            continue
        q = ask if r.kind == "scp_effect" else tamper_ask
        for act in r.action.split(", "):
            assert eb.decide(r.account_id, act, **q).decision == r.before, (r, act)
            assert ea.decide(r.account_id, act, **q).decision == r.after, (r, act)
            seen.add((r.kind, r.account_id, act))
    for aid in ids:
        for kind, acts, q in (("scp_effect", actions, ask), ("tamper", TAMPER, tamper_ask)):
            for act in acts:
                x, y = eb.decide(aid, act, **q).decision, ea.decide(aid, act, **q).decision
                if x != y:
                    assert (kind, aid, act) in seen, (kind, aid, act, x, y)


def _run(tmp_path, bkw, akw, kw=None):
    kw = dict(kw or {})
    b, sb = org(tmp_path / "b", **bkw)
    a, _ = org(tmp_path / "a", **akw)
    actions = kw.pop("actions", ACTIONS)
    df = diff(b, a, coverage=False, processes=1, actions=actions, **kw)
    _check_cells(b, a, df, kw, actions)
    return df, sb


ENG, PROD, SANDBOX = "ou-ab12-00000001", "ou-ab12-00000002", "ou-ab12-00000003"
APP = dict(account_id="000000000004", account_name="App", ou_path="Root/Eng")
DB = dict(account_id="000000000005", account_name="Db", ou_path="Root/Eng/Prod")
PLAY = dict(account_id="000000000006", account_name="Play", ou_path="Root/Sandbox")
PLAY_IN_ENG = {**PLAY, "ou_path": "Root/Eng"}
GUARD_ID, REGION_ID, SANDBOX_ID, NO_EC2_ID, KEEP_ID = (f"p-000000{n:02d}" for n in (7, 8, 9, 10, 11))
#: the words of a tamper row by the decision AFTER (docs/diff.md, tamper_changes)
CAN = {"allow": "can now", "conditional": "may (depends on context)", "exempt": "is exempt and can"}


def t(where: dict, sev: str, before: str, after: str, act: str, what: str = "") -> tuple:
    """One tamper row; ``what``: "tamper protection lost: " / "gained: " where every tamper action was denied on
    one side only."""
    words = f"{CAN[after]} call {act}" if after in CAN else f"{act} now {after}"
    return R("tamper", sev, **where, before=before, after=after, service=act.split(":")[0], action=act,
             reason=f"{what}{words} (was {before})")


VERB = {"allow": "allowed", "explicit_deny": "denied", "implicit_deny": "denied (no Allow)",
        "conditional": "conditional", "exempt": "exempt", "unknown": "unknown"}


def e(where: dict, sev: str, before: str, after: str, actions: list[str], words: str | None = None) -> tuple:
    """One scp_effect row of one service; ``words``: the allowed cases that changed (conditional on both sides)."""
    svc, n = actions[0].split(":")[0], len(actions)
    if words is None:
        reason = f"{n} {svc} action{'s' if n != 1 else ''} now {VERB[after]} (were {before})"
    else:
        reason = f"{actions[0]}: {words}" if n == 1 else f"{n} {svc} actions (e.g. {actions[0]}): {words}"
    return R("scp_effect", sev, **where, before=before, after=after, service=svc, action=", ".join(actions),
             count=n, reason=reason)


def n_accounts(n: int) -> str:
    return f"changes SCP decisions in {n} account{'s' if n != 1 else ''}"


NO_EFFECT = "no effect on any account's SCP decisions"
GUARDDUTY_TAMPER = [a for a in TAMPER if a.startswith("guardduty:")]
MOVED_PLAY_TAMPER = sorted(GUARDDUTY_TAMPER + ["organizations:LeaveOrganization"])
TRAIL_OR_BUCKET = _doc({"Sid": "G", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "s3:DeleteBucket"],
                        "Resource": ["arn:aws:cloudtrail:*:*:trail/org-*", "arn:aws:s3:::logs-*"]})
ALLOW_NO_EC2 = _doc({"Sid": "Some", "Effect": "Allow", "Action": ["s3:*", "cloudtrail:*"], "Resource": "*"})
ALLOW_NO_TRAIL = _doc({"Sid": "Some", "Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"})
GUARD_REORDERED = _doc({"Sid": "Guard", "Effect": "Deny", "Action": ["s3:DeleteBucket", "cloudtrail:StopLogging"],
                        "Resource": "*"})
OBJECTS = ["s3:GetObject", "s3:PutObject"]
STOP, DELETE_TRAIL = "cloudtrail:StopLogging", "cloudtrail:DeleteTrail"
#: the matrices then hold every tamper action (seed-29 survivor scp_effect_changes 358: with a resource asked, the
#: tamper rows must still come from the tamper table, any resource, not from these matrices of the one resource)
ACTIONS_AND_TAMPER = sorted(set(ACTIONS) | set(TAMPER))
KEEP_BOTH = _doc({"Sid": "KeepObjects", "Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:GetObject"],
                  "Resource": "*"})


def _except_guard(role: str, region: str | None = None) -> dict:
    cond = {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{role}"}}
    if region:
        cond["StringEquals"] = {"aws:RequestedRegion": region}
    return _doc({"Sid": "Guard", "Effect": "Deny", "Action": [STOP, "s3:DeleteBucket"], "Resource": "*",
                 "Condition": cond})


def _except_keep(role: str) -> dict:
    return _doc({"Sid": "KeepObjects", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
                 "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{role}"}}})


WHY_UNKNOWN = "its SCP targets are unknown until apply"


def _case(name: str):
    """(BEFORE switches, AFTER switches, diff keywords, the whole rows expected)."""
    guard = dict(policy_id=GUARD_ID, policy_name="Guard")
    if name == "deny attached":
        # a Deny attached to Eng: App and Db can no longer stop trails or delete buckets; Play (Sandbox) untouched
        return dict(guard_at=[]), {}, {}, [
            R("scp_attached", "improvement", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard attached to ou Root/Eng; {n_accounts(2)}"),
            *[t(w, "improvement", "allow", "explicit_deny", STOP) for w in (APP, DB)],
            *[r for w in (APP, DB) for r in (e(w, "improvement", "allow", "explicit_deny", [STOP]),
                                             e(w, "improvement", "allow", "explicit_deny", ["s3:DeleteBucket"]))]]
    if name == "deny detached":
        return {}, dict(guard_at=[]), {}, [
            R("scp_detached", "regression", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard detached from ou Root/Eng; {n_accounts(2)}"),
            *[t(w, "regression", "explicit_deny", "allow", STOP) for w in (APP, DB)],
            *[r for w in (APP, DB) for r in (e(w, "regression", "explicit_deny", "allow", [STOP]),
                                             e(w, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]))]]
    if name == "deny extended":
        return {}, dict(guard=GUARD_MORE), {}, [
            R("scp_edited", "improvement", **guard,
              reason=f"edited: statement Guard: Action +cloudtrail:DeleteTrail; {n_accounts(2)}"),
            *[t(w, "improvement", "allow", "explicit_deny", DELETE_TRAIL) for w in (APP, DB)],
            *[e(w, "improvement", "allow", "explicit_deny", [DELETE_TRAIL]) for w in (APP, DB)]]
    if name == "allow list narrowed":
        # an explicit Allow is needed at every level: ec2 no longer allowed at Sandbox is implicitly denied
        return {}, dict(sandbox_allow=ALLOW_NO_EC2), {}, [
            R("scp_edited", "improvement", policy_id=SANDBOX_ID, policy_name="SandboxAllow",
              reason=f"edited: statement Some: Action -ec2:*; {n_accounts(1)}"),
            e(PLAY, "improvement", "allow", "implicit_deny", ["ec2:RunInstances"])]
    if name == "allow list loses the last tamper actions":
        # Play's guardduty and organizations actions were never on the Allow list: with cloudtrail gone too, every
        # tamper action is denied, so each row says protection is gained
        return {}, dict(sandbox_allow=ALLOW_NO_TRAIL), {}, [
            R("scp_edited", "improvement", policy_id=SANDBOX_ID, policy_name="SandboxAllow",
              reason=f"edited: statement Some: Action -cloudtrail:*; {n_accounts(1)}"),
            *[t(PLAY, "improvement", "allow", "implicit_deny", a, "tamper protection gained: ")
              for a in sorted(CT_TAMPER)],
            e(PLAY, "improvement", "allow", "implicit_deny", [DELETE_TRAIL, STOP])]
    if name == "condition values widened":
        return {}, dict(region={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}), {}, [
            R("scp_edited", "regression", policy_id=REGION_ID, policy_name="Region",
              reason=f"edited: statement Region: Condition changed; {n_accounts(1)}"),
            e(DB, "regression", "conditional", "conditional", OBJECTS,
              'now allowed when aws:RequestedRegion is "eu-west-1"')]
    if name == "condition values narrowed":
        return dict(region={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}), {}, {}, [
            R("scp_edited", "improvement", policy_id=REGION_ID, policy_name="Region",
              reason=f"edited: statement Region: Condition changed; {n_accounts(1)}"),
            e(DB, "improvement", "conditional", "conditional", OBJECTS,
              'no longer allowed when aws:RequestedRegion is "eu-west-1"')]
    if name == "condition operator changed":
        return {}, dict(region={"StringNotLike": {"aws:RequestedRegion": "us-*"}}), {}, [
            R("scp_edited", "regression", policy_id=REGION_ID, policy_name="Region",
              reason=f"edited: statement Region: Condition changed; {n_accounts(1)}"),
            e(DB, "regression", "conditional", "conditional", OBJECTS,
              "now allowed when aws:RequestedRegion is like us-*")]
    if name == "condition key changed":
        # allowed before in us-east-1 only, after for team "data" only: both a gain and a loss, a regression
        return {}, dict(region={"StringNotEquals": {"aws:PrincipalTag/team": "data"}}), {}, [
            R("scp_edited", "regression", policy_id=REGION_ID, policy_name="Region",
              reason=f"edited: statement Region: Condition changed; {n_accounts(1)}"),
            e(DB, "regression", "conditional", "conditional", OBJECTS,
              'now allowed when aws:PrincipalTag/team is "data" and aws:RequestedRegion is not "us-east-1" (or '
              'absent); no longer allowed when aws:PrincipalTag/team is not "data" (or absent) and '
              'aws:RequestedRegion is "us-east-1"')]
    if name == "rcp detached":
        # RCPs deny s3 actions on resources in member accounts; without it App may put objects, Db only in
        # us-east-1 (its SCP's condition)
        return dict(rcp_at=["eng"]), dict(rcp_at=[]), {}, [
            R("rcp_detached", "regression", ou_path="Root/Eng", policy_id=KEEP_ID, policy_name="KeepObjects",
              target_id=ENG, reason=f"KeepObjects detached from ou Root/Eng; {n_accounts(2)}"),
            e(APP, "regression", "explicit_deny", "allow", ["s3:PutObject"]),
            e(DB, "regression", "explicit_deny", "conditional", ["s3:PutObject"])]
    if name == "rcp and scp detached from one ou":
        # each detach rated alone (both touch App and Db): each lets something through that was denied
        return dict(rcp_at=["eng"]), dict(rcp_at=[], guard_at=[]), {}, [
            R("scp_detached", "regression", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard detached from ou Root/Eng; {n_accounts(2)}"),
            R("rcp_detached", "regression", ou_path="Root/Eng", policy_id=KEEP_ID, policy_name="KeepObjects",
              target_id=ENG, reason=f"KeepObjects detached from ou Root/Eng; {n_accounts(2)}"),
            *[t(w, "regression", "explicit_deny", "allow", STOP) for w in (APP, DB)],
            e(APP, "regression", "explicit_deny", "allow", [STOP]),
            e(APP, "regression", "explicit_deny", "allow", ["s3:DeleteBucket", "s3:PutObject"]),
            e(DB, "regression", "explicit_deny", "allow", [STOP]),
            e(DB, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]),
            e(DB, "regression", "explicit_deny", "conditional", ["s3:PutObject"])]
    if name == "attachment moved":
        return {}, dict(guard_at=["sandbox"]), {}, [
            R("scp_detached", "regression", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard detached from ou Root/Eng; {n_accounts(2)}"),
            *[t(w, "regression", "explicit_deny", "allow", STOP) for w in (APP, DB)],
            *[r for w in (APP, DB) for r in (e(w, "regression", "explicit_deny", "allow", [STOP]),
                                             e(w, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]))],
            R("scp_attached", "improvement", ou_path="Root/Sandbox", **guard, target_id=SANDBOX,
              reason=f"Guard attached to ou Root/Sandbox; {n_accounts(1)}"),
            t(PLAY, "improvement", "allow", "explicit_deny", STOP),
            e(PLAY, "improvement", "allow", "explicit_deny", [STOP]),
            e(PLAY, "improvement", "allow", "explicit_deny", ["s3:DeleteBucket"])]
    if name == "account moved":
        # out of the Allow list into Eng (FullAWSAccess and Guard): GuardDuty and leaving allowed, trails guarded
        return {}, dict(play_in="eng"), {}, [
            R("account_moved", "regression", **PLAY_IN_ENG, before="Root/Sandbox", after="Root/Eng", target_id=ENG,
              reason=f"moved from Root/Sandbox ({SANDBOX}) to Root/Eng ({ENG}); {n_accounts(1)}"),
            *[t(PLAY_IN_ENG, "regression", "implicit_deny", "allow", a) for a in MOVED_PLAY_TAMPER],
            t(PLAY_IN_ENG, "improvement", "allow", "explicit_deny", STOP),
            e(PLAY_IN_ENG, "improvement", "allow", "explicit_deny", [STOP]),
            e(PLAY_IN_ENG, "improvement", "allow", "explicit_deny", ["s3:DeleteBucket"])]
    if name == "several changes on one account":
        # App is touched by the edit and the attach: each rated alone
        return {}, dict(guard=GUARD_MORE, no_ec2_at=["app"]), {}, [
            R("scp_edited", "improvement", **guard,
              reason=f"edited: statement Guard: Action +cloudtrail:DeleteTrail; {n_accounts(2)}"),
            R("scp_attached", "improvement", **APP, policy_id=NO_EC2_ID, policy_name="NoEc2", target_id=APP["account_id"],
              reason=f"NoEc2 attached to account App ({APP['account_id']}); {n_accounts(1)}"),
            *[t(w, "improvement", "allow", "explicit_deny", DELETE_TRAIL) for w in (APP, DB)],
            e(APP, "improvement", "allow", "explicit_deny", [DELETE_TRAIL]),
            e(APP, "improvement", "allow", "explicit_deny", ["ec2:RunInstances"]),
            e(DB, "improvement", "allow", "explicit_deny", [DELETE_TRAIL])]
    if name == "a move and a deletion on one account, actions asked":
        # Play is touched by its move and by the deletion (Guard leaves Eng, where Play arrives): the move is rated
        # alone, on BEFORE, over the actions asked AND the tamper actions, as the rows are: Play may now delete
        # GuardDuty detectors (a regression), whatever the actions asked (a real bug: only the actions asked were
        # compared, so the move read "improvement")
        return {}, dict(drop_guard=True, play_in="eng"), {"actions": [STOP, "s3:DeleteBucket", "ec2:RunInstances"]}, [
            R("account_moved", "regression", **PLAY_IN_ENG, before="Root/Sandbox", after="Root/Eng", target_id=ENG,
              reason=f"moved from Root/Sandbox ({SANDBOX}) to Root/Eng ({ENG}); {n_accounts(1)}"),
            R("scp_deleted", "regression", **guard, before="Guard", reason=f"SCP deleted; {n_accounts(2)}"),
            R("scp_detached", "regression", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard detached from ou Root/Eng; {n_accounts(2)}"),
            t(APP, "regression", "explicit_deny", "allow", STOP),
            *[t(PLAY_IN_ENG, "regression", "implicit_deny", "allow", a) for a in MOVED_PLAY_TAMPER],
            t(DB, "regression", "explicit_deny", "allow", STOP),
            *[r for w in (APP, DB) for r in (e(w, "regression", "explicit_deny", "allow", [STOP]),
                                             e(w, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]))]]
    if name == "a tamper exception widened":
        # the Deny excepted role/Admin, now every role: conditional on both sides, compared by the cases
        widened = 'now allowed when aws:PrincipalArn is like arn:aws:iam::*:role/*'
        return dict(guard=_except_guard("Admin")), dict(guard=_except_guard("*")), {}, [
            R("scp_edited", "regression", **guard,
              reason=f"edited: statement Guard: Condition changed; {n_accounts(2)}"),
            *[R("tamper", "regression", **w, before="conditional", after="conditional", service="cloudtrail",
                action=STOP, reason=f"{STOP}: {widened}") for w in (APP, DB)],
            *[r for w in (APP, DB) for r in (e(w, "regression", "conditional", "conditional", [STOP], widened),
                                             e(w, "regression", "conditional", "conditional", ["s3:DeleteBucket"],
                                               widened))]]
    if name == "a tamper exception widened in a region, that region asked":
        # the Deny applies in us-east-1 only: asked there, the labels are conditional on both sides (the principal
        # unknown) and compared by their cases with the region known; asked in eu-west-1, it denies nothing
        widened = 'now allowed when aws:PrincipalArn is like arn:aws:iam::*:role/*'
        return dict(guard=_except_guard("Admin", "us-east-1")), dict(guard=_except_guard("*", "us-east-1")), \
            {"context": {"aws:RequestedRegion": "us-east-1"}}, [
                R("scp_edited", "regression", **guard,
                  reason=f"edited: statement Guard: Condition changed; {n_accounts(2)}"),
                *[R("tamper", "regression", **w, before="conditional", after="conditional", service="cloudtrail",
                    action=STOP, reason=f"{STOP}: {widened}") for w in (APP, DB)],
                *[r for w in (APP, DB) for r in (e(w, "regression", "conditional", "conditional", [STOP], widened),
                                                 e(w, "regression", "conditional", "conditional",
                                                   ["s3:DeleteBucket"], widened))]]
    if name == "a tamper exception widened in a region, another region asked":
        return dict(guard=_except_guard("Admin", "us-east-1")), dict(guard=_except_guard("*", "us-east-1")), \
            {"context": {"aws:RequestedRegion": "eu-west-1"}}, [
                R("scp_edited", "neutral", **guard, reason=f"edited: statement Guard: Condition changed; {NO_EFFECT}")]
    if name == "a tamper exception moved to another role, a principal asked":
        # seed-30 survivor tamper_changes 203: the tamper rows compare the cases for the principal asked. For
        # role/Developer (neither Admin nor Ops) StopLogging is conditional on both sides (denied in us-east-1) with
        # the same cases: no row; for any principal, the cases moved from Admin to Ops (as the scp_effect rows of
        # that question say)
        return dict(guard=_except_guard("Admin", "us-east-1")), dict(guard=_except_guard("Ops", "us-east-1")), \
            {"principal": "role/Developer"}, [
                R("scp_edited", "neutral", **guard,
                  reason=f"edited: statement Guard: Condition changed; {NO_EFFECT} (principal role/Developer)")]
    if name == "an rcp exception widened":
        # S3 in member accounts: the SCP chain and the RCP chain together; Db's SCP allows objects in us-east-1 only
        return dict(rcp_at=["eng"], rcp=_except_keep("Admin")), dict(rcp_at=["eng"], rcp=_except_keep("*")), {}, [
            R("rcp_edited", "regression", policy_id=KEEP_ID, policy_name="KeepObjects",
              reason=f"edited: statement KeepObjects: Condition changed; {n_accounts(2)}"),
            e(APP, "regression", "conditional", "conditional", ["s3:PutObject"],
              "now allowed when aws:PrincipalArn is like arn:aws:iam::*:role/*"),
            e(DB, "regression", "conditional", "conditional", ["s3:PutObject"],
              'now allowed when aws:PrincipalArn is like arn:aws:iam::*:role/* and aws:RequestedRegion is '
              '"us-east-1"')]
    if name == "an ou moved beside an edit":
        # Prod (with Db) under Sandbox's Allow list: Guard no longer applies (trails, buckets allowed), GuardDuty
        # and leaving no longer allowed; Db is touched by the move and the edit: each rated alone
        db = {**DB, "ou_path": "Root/Sandbox/Prod"}
        return {}, dict(prod_in="sandbox", guard=GUARD_MORE), {}, [
            R("ou_moved", "regression", ou_path="Root/Sandbox/Prod", before="Root/Eng/Prod",
              after="Root/Sandbox/Prod", target_id=PROD,
              reason=f"OU moved from under {ENG} to under {SANDBOX}; {n_accounts(1)}"),
            t(db, "regression", "explicit_deny", "allow", STOP),
            e(db, "regression", "explicit_deny", "allow", [STOP]),
            e(db, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]),
            R("scp_edited", "improvement", **guard,
              reason=f"edited: statement Guard: Action +cloudtrail:DeleteTrail; {n_accounts(2)}"),
            t(APP, "improvement", "allow", "explicit_deny", DELETE_TRAIL),
            *[t(db, "improvement", "allow", "implicit_deny", a) for a in MOVED_PLAY_TAMPER],
            e(APP, "improvement", "allow", "explicit_deny", [DELETE_TRAIL])]
    if name == "an rcp deleted beside an scp detach":
        return dict(rcp_at=["eng"]), dict(rcp_at=["eng"], drop_rcp=True, guard_at=[]), {}, [
            R("scp_detached", "regression", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard detached from ou Root/Eng; {n_accounts(2)}"),
            R("rcp_deleted", "regression", policy_id=KEEP_ID, policy_name="KeepObjects", before="KeepObjects",
              reason=f"RCP deleted; {n_accounts(2)}"),
            R("rcp_detached", "regression", ou_path="Root/Eng", policy_id=KEEP_ID, policy_name="KeepObjects",
              target_id=ENG, reason=f"KeepObjects detached from ou Root/Eng; {n_accounts(2)}"),
            *[t(w, "regression", "explicit_deny", "allow", STOP) for w in (APP, DB)],
            e(APP, "regression", "explicit_deny", "allow", [STOP]),
            e(APP, "regression", "explicit_deny", "allow", ["s3:DeleteBucket", "s3:PutObject"]),
            e(DB, "regression", "explicit_deny", "allow", [STOP]),
            e(DB, "regression", "explicit_deny", "allow", ["s3:DeleteBucket"]),
            e(DB, "regression", "explicit_deny", "conditional", ["s3:PutObject"])]
    if name == "an rcp edited beside an scp edit":
        return dict(rcp_at=["eng"]), dict(rcp_at=["eng"], rcp=KEEP_BOTH, guard=GUARD_MORE), {}, [
            R("scp_edited", "improvement", **guard,
              reason=f"edited: statement Guard: Action +cloudtrail:DeleteTrail; {n_accounts(2)}"),
            R("rcp_edited", "improvement", policy_id=KEEP_ID, policy_name="KeepObjects",
              reason=f"edited: statement KeepObjects: Action +s3:GetObject; {n_accounts(2)}"),
            *[t(w, "improvement", "allow", "explicit_deny", DELETE_TRAIL) for w in (APP, DB)],
            e(APP, "improvement", "allow", "explicit_deny", [DELETE_TRAIL]),
            e(APP, "improvement", "allow", "explicit_deny", ["s3:GetObject"]),
            e(DB, "improvement", "allow", "explicit_deny", [DELETE_TRAIL]),
            e(DB, "improvement", "conditional", "explicit_deny", ["s3:GetObject"])]
    if name == "an account moved into a new ou":
        # Quarantine (new, NoEc2 and FullAWSAccess on it: listed in its ou_added row, not as attachments): out of
        # the Allow list, so GuardDuty and leaving are allowed, ec2 denied by NoEc2
        q = "ou-ab12-00000011"
        play = {**PLAY, "ou_path": "Root/Quarantine"}
        return {}, dict(quarantine=True), {}, [
            R("account_moved", "regression", **play, before="Root/Sandbox", after="Root/Quarantine", target_id=q,
              reason=f"moved from Root/Sandbox ({SANDBOX}) to Root/Quarantine ({q}); {n_accounts(1)}"),
            *[t(play, "regression", "implicit_deny", "allow", a) for a in MOVED_PLAY_TAMPER],
            e(play, "improvement", "allow", "explicit_deny", ["ec2:RunInstances"]),
            R("ou_added", "neutral", ou_path="Root/Quarantine", after="Quarantine", target_id=q,
              reason="new OU (SCPs attached: NoEc2, FullAWSAccess)")]
    if name == "a reorder beside an attach on one account":
        return {}, dict(guard=GUARD_REORDERED, no_ec2_at=["app"]), {}, [
            R("scp_attached", "improvement", **APP, policy_id=NO_EC2_ID, policy_name="NoEc2", target_id=APP["account_id"],
              reason=f"NoEc2 attached to account App ({APP['account_id']}); {n_accounts(1)}"),
            e(APP, "improvement", "allow", "explicit_deny", ["ec2:RunInstances"]),
            R("scp_edited", "neutral", **guard, reason=f"edited: statement Guard: Action reordered; {NO_EFFECT}")]
    if name == "an account moved beside an attach":
        # App (touched by its move and by NoEc2 attached to it) moves from Eng into Prod, under Eng: the move rated
        # alone keeps Eng's Guard and adds Prod's Region (s3 objects conditional), an improvement; never rated as
        # if App had no parent (seed-31 survivor Attributor.effect_moves 6: Guard lost, a regression)
        app = {**APP, "ou_path": "Root/Eng/Prod"}
        return {}, dict(app_in="prod", no_ec2_at=["app"]), {}, [
            R("account_moved", "improvement", **app, before="Root/Eng", after="Root/Eng/Prod", target_id=PROD,
              reason=f"moved from Root/Eng ({ENG}) to Root/Eng/Prod ({PROD}); {n_accounts(1)}"),
            R("scp_attached", "improvement", **app, policy_id=NO_EC2_ID, policy_name="NoEc2",
              target_id=APP["account_id"], reason=f"NoEc2 attached to account App ({APP['account_id']}); "
                                                   f"{n_accounts(1)}"),
            e(app, "improvement", "allow", "explicit_deny", ["ec2:RunInstances"]),
            e(app, "improvement", "allow", "conditional", OBJECTS)]
    if name == "an answer unknown until apply":
        # Db's AFTER answer is unknown: one row says so; the attach is still rated by its own effect on Db
        return dict(guard_at=[]), {}, {"_unknown_accounts": {DB["account_id"]: WHY_UNKNOWN}}, [
            R("scp_effect", "unknown", **DB, after="unknown", reason=WHY_UNKNOWN),
            R("scp_attached", "improvement", ou_path="Root/Eng", **guard, target_id=ENG,
              reason=f"Guard attached to ou Root/Eng; {n_accounts(2)}; 1 account it touches has decisions unknown "
                     "until apply"),
            t(APP, "improvement", "allow", "explicit_deny", STOP),
            e(APP, "improvement", "allow", "explicit_deny", [STOP]),
            e(APP, "improvement", "allow", "explicit_deny", ["s3:DeleteBucket"])]
    if name == "a resource the Deny does not name":
        # the effect rows are for the bucket asked, which the Deny does not name: none; the tamper table is
        # evaluated for any resource (scp.tamper_protection), where the Deny applies to some trails only
        return dict(guard_at=[], guard=TRAIL_OR_BUCKET), dict(guard=TRAIL_OR_BUCKET), \
            {"resource": "arn:aws:s3:::other", "actions": ACTIONS_AND_TAMPER}, [
                R("scp_attached", "improvement", ou_path="Root/Eng", **guard, target_id=ENG,
                  reason=f"Guard attached to ou Root/Eng; {n_accounts(2)}"),
                *[t(w, "improvement", "allow", "conditional", STOP) for w in (APP, DB)]]
    if name == "a resource the Deny names":
        return dict(guard_at=[], guard=TRAIL_OR_BUCKET), dict(guard=TRAIL_OR_BUCKET), \
            {"resource": "arn:aws:s3:::logs-1", "actions": ACTIONS_AND_TAMPER}, [
                R("scp_attached", "improvement", ou_path="Root/Eng", **guard, target_id=ENG,
                  reason=f"Guard attached to ou Root/Eng; {n_accounts(2)}"),
                *[t(w, "improvement", "allow", "conditional", STOP) for w in (APP, DB)],
                *[r for w in (APP, DB) for r in (e(w, "improvement", "allow", "explicit_deny", [STOP]),
                                                 e(w, "improvement", "allow", "explicit_deny", ["s3:DeleteBucket"]))]]
    if name == "a context and a principal asked":
        # eu-west-1 asked: the objects were denied there and are allowed after (a label change, not a case)
        return {}, dict(region={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}), \
            {"context": {"aws:RequestedRegion": "eu-west-1"}, "principal": "role/Developer"}, [
                R("scp_edited", "regression", policy_id=REGION_ID, policy_name="Region",
                  reason=f"edited: statement Region: Condition changed; {n_accounts(1)}"),
                e(DB, "regression", "explicit_deny", "allow", OBJECTS)]
    raise AssertionError(name)


CASES = ["deny attached", "deny detached", "deny extended", "allow list narrowed",
         "allow list loses the last tamper actions", "condition values widened", "condition values narrowed",
         "condition operator changed", "condition key changed", "rcp detached", "rcp and scp detached from one ou",
         "attachment moved", "account moved", "several changes on one account",
         "a move and a deletion on one account, actions asked",
         "a reorder beside an attach on one account", "a tamper exception widened",
         "a tamper exception widened in a region, that region asked",
         "a tamper exception widened in a region, another region asked",
         "a tamper exception moved to another role, a principal asked", "an rcp exception widened",
         "an ou moved beside an edit", "an account moved into a new ou", "an account moved beside an attach",
         "an rcp deleted beside an scp detach", "an rcp edited beside an scp edit", "an answer unknown until apply",
         "a resource the Deny does not name", "a resource the Deny names", "a context and a principal asked"]


@pytest.mark.parametrize("name", CASES)
def test_effect_tamper_and_attribution_rows_compared_whole(tmp_path, name):
    bkw, akw, kw, rows = _case(name)
    df, _ = _run(tmp_path, bkw, akw, kw)
    assert _whole(df) == rows


def test_an_organisation_listing_no_account_compares_without_a_traceback(tmp_path):
    """issue 22 (seed-31 survivor _tamper_frame 16): a snapshot whose organisation lists no account (hand-edited)
    has an SCP matrix of no rows: its tamper table is empty, so the diff is the structure alone (the account gone,
    or new, and its cells), never a TypeError. Both directions, and against itself."""
    def snap(name, empty):
        sb = SnapshotSpec(regions=["us-east-1"])
        if empty:
            sb.accounts, sb.docs = [], {}
        return sb.load(tmp_path / name)

    full, empty = snap("full", False), snap("empty", True)
    mgmt = dict(account_id="111111111111", account_name="Management", ou_path="Root", target_id="r-ab12")
    assert _whole(diff(full, empty, coverage=False, processes=1)) == [
        R("account_removed", "neutral", **mgmt, before="ACTIVE", reason="no longer in the organisation")]
    # new: the management account arrives exempt from every SCP, so able to call every tamper action
    assert _whole(diff(empty, full, coverage=False, processes=1)) == [
        R("tamper", "regression", **{**mgmt, "target_id": None}, after="exempt", action=", ".join(TAMPER),
          count=len(TAMPER), reason=f"new account is exempt and can call {len(TAMPER)} of {len(TAMPER)} tamper "
                                    "actions"),
        R("account_added", "neutral", **mgmt, after="ACTIVE", reason="joined the organisation in Root")]
    assert _whole(diff(empty, empty, coverage=False, processes=1)) == []
