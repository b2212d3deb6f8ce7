"""plan_org's WHOLE result over varied plans (issue 22): every frame of the planned organisation (OUs, accounts,
SCPs, their attachments, RCPs and theirs), every not_evaluated row, and what the plan cannot know (unknown accounts,
unknown policies, accounts that can only be restricted more, unresolved attachments). Each expectation is the
snapshot's frames edited as the plan's changes say (AWS attaches FullAWSAccess and RCPFullAWSAccess to every OU
and account it creates while the policy types are enabled), never the current output copied."""

from __future__ import annotations

import itertools
import json
import re

import pandas as pd
import pytest
from test_diff_terraform import DENY_LEAVE, PROTECT, RCP_DENY_S3, cfg, plan, rc

from orgkit.diff import diff_plan, plan_org
from orgkit.diff.terraform import _path, _strip_index, _walk
from orgkit.testing import SnapshotSpec

P, O, A, AT = ("aws_organizations_policy", "aws_organizations_organizational_unit", "aws_organizations_account",
               "aws_organizations_policy_attachment")
NEW = "(after apply) "
FULL, RFULL = "p-FullAWSAccess", "p-RCPFullAWSAccess"
ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
STAND_IN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
KEYS = {"ous": ("ou_id",), "accounts": ("account_id",), "policies": ("policy_id",),
        "policy_targets": ("policy_id", "target_id"), "rcps": ("policy_id",), "rcp_targets": ("policy_id", "target_id")}


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """Root: Management; Engineering (Protect, KeepS3 RCP) > Team > Dev, and App; Sandbox (Temp) > Play (Temp);
    Strict (an allow list: AllowS3, no FullAWSAccess) > S3a, S3b; Empty. RCPs: KeepS3 on Engineering, Spare on
    Sandbox."""
    sb = SnapshotSpec(regions=["us-east-1"])
    eng, sandbox = sb.ou("Engineering"), sb.ou("Sandbox")
    team, strict, empty = sb.ou("Team", parent=eng), sb.ou("Strict", full_access=False), sb.ou("Empty")
    app, dev, play = sb.account("App", parent=eng), sb.account("Dev", parent=team), sb.account("Play", parent=sandbox)
    s3a, s3b = sb.account("S3a", parent=strict), sb.account("S3b", parent=strict)
    protect, temp = sb.policy("Protect", PROTECT, [eng]), sb.policy("Temp", DENY_LEAVE, [sandbox, play])
    allow_s3 = sb.policy("AllowS3", ALLOW_S3, [strict])
    keep, spare = sb.rcp("KeepS3", RCP_DENY_S3, [eng]), sb.rcp("Spare", RCP_DENY_S3, [sandbox])
    o = sb.load(tmp_path_factory.mktemp("plan_org") / "s")
    o.ids = dict(eng=eng, sandbox=sandbox, team=team, strict=strict, empty=empty, app=app, dev=dev, play=play,
                 s3a=s3a, s3b=s3b, protect=protect, temp=temp, allow_s3=allow_s3, keep=keep, spare=spare, root=sb.root,
                 mgmt=sb.management)
    return o


def _v(x):
    if isinstance(x, dict):
        return tuple(sorted(x.items()))
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return None if x is None or pd.isna(x) else x


def frames(o) -> dict:
    """Every record of every frame plan_org rebuilds, whole, keyed."""
    return {name: {tuple(r[k] for k in key): {c: _v(v) for c, v in r.items()}
                   for r in o.frames[name].to_dict("records")} for name, key in KEYS.items()}


def notes(res) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if v is not None} for r in res.rows), key=lambda r: r["reason"])


def whole(res) -> tuple:
    return (frames(res.org), notes(res), res.unknown_accounts, res.unknown_policies, res.restrict_only,
            res.unresolved_attachments)


def expect(f: dict, rows: list[dict], *rest) -> tuple:
    """What ``whole`` should be (the rows in any order: diff sorts them)."""
    return (f, sorted(rows, key=lambda r: r["reason"]), *rest)


def new_node(tid: str, kind: str) -> dict:
    """The attachments AWS makes on an OU or account it creates (both policy types are enabled here)."""
    return {"policy_targets": {(FULL, tid): {"policy_id": FULL, "target_id": tid, "target_type": kind,
                                             "target_name": None}},
            "rcp_targets": {(RFULL, tid): {"policy_id": RFULL, "target_id": tid, "target_type": kind,
                                           "target_name": None}}}


def drop_targets(f: dict, tid: str) -> None:
    for name in ("policy_targets", "rcp_targets"):
        for k in [k for k in f[name] if k[1] == tid]:
            f[name].pop(k)


def note(address: str, reason: str, **kw) -> dict:
    return {"kind": "not_evaluated", "severity": "unknown", "reason": f"{address}: {reason}", "source": address, **kw}


def no_expr(address: str, attr: str) -> str:
    return f"{address}.{attr} is unknown until apply and the plan records no expression"


def test_ous_created_renamed_moved_deleted_and_refused_whole(org):
    """OUs: renamed (its ARN and everything else kept: an update edits the OU, it does not make one), moved with a
    name unknown until apply (the collected name kept), created under the root and under a new OU, created with an
    unknown parent (not placed), deleted empty, deleted while it still holds an account (AWS refuses: kept), and an
    update and a delete of OUs the snapshot lacks."""
    i = org.ids
    root, eng, sandbox, team, strict, empty = (i[k] for k in ("root", "eng", "sandbox", "team", "strict", "empty"))
    changes = [
        rc(f"{O}.eng", O, ["update"], {"id": eng, "name": "Engineering", "parent_id": root},
           {"id": eng, "name": "Platform", "parent_id": root}),
        rc(f"{O}.sandbox", O, ["update"], {"id": sandbox, "name": "Sandbox", "parent_id": root},
           {"id": sandbox, "parent_id": strict}, {"name": True}),
        rc(f"{O}.prod", O, ["create"], None, {"name": "Prod", "parent_id": root}, {"id": True, "arn": True}),
        rc(f"{O}.child", O, ["create"], None, {}, {"id": True, "name": True, "parent_id": True}),
        rc(f"{O}.lost", O, ["create"], None, {"name": "Lost"}, {"id": True, "parent_id": True}),
        rc(f"{O}.empty", O, ["delete"], {"id": empty, "name": "Empty", "parent_id": root}, None),
        rc(f"{O}.team", O, ["delete"], {"id": team, "name": "Team", "parent_id": eng}, None),
        rc(f"{O}.ghost", O, ["update"], {"id": "ou-ab12-99999999", "name": "G", "parent_id": root},
           {"id": "ou-ab12-99999999", "name": "G2", "parent_id": root}),
        rc(f"{O}.gone", O, ["delete"], {"id": "ou-ab12-88888888", "name": "Gone", "parent_id": root}, None),
        # neither a change nor a managed resource: never applied
        rc(f"{O}.same", O, ["no-op"], {"id": strict, "name": "Strict"}, {"id": strict, "name": "Renamed"}),
        {**rc(f"data.{O}.x", O, ["read"], None, {"id": strict, "name": "X"}), "mode": "data"},
    ]
    config = [cfg(f"{O}.child", O, parent_id={"references": [f"{O}.prod.id", f"{O}.prod"]})]
    res = plan_org(org, plan(changes, config))
    prod, child = NEW + f"{O}.prod", NEW + f"{O}.child"
    f = frames(org)
    ous, accs = f["ous"], f["accounts"]
    ous[(eng,)].update(name="Platform", ou_path="Root/Platform")
    ous[(team,)].update(ou_path="Root/Platform/Team")
    ous[(sandbox,)].update(parent_id=strict, depth=2, ou_path="Root/Strict/Sandbox")
    ous.pop((empty,))
    drop_targets(f, empty)
    ous[(prod,)] = {"ou_id": prod, "name": "Prod", "parent_id": root, "depth": 1, "ou_path": "Root/Prod", "arn": None,
                    "is_root": False}
    ous[(child,)] = {"ou_id": child, "name": f"{O}.child", "parent_id": prod, "depth": 2,
                     "ou_path": f"Root/Prod/{O}.child", "arn": None, "is_root": False}
    for t in (prod, child):
        for name, recs in new_node(t, "ORGANIZATIONAL_UNIT").items():
            f[name].update(recs)
    accs[(i["app"],)]["ou_path"] = "Root/Platform"
    accs[(i["dev"],)]["ou_path"] = "Root/Platform/Team"
    accs[(i["play"],)]["ou_path"] = "Root/Strict/Sandbox"
    assert whole(res) == expect(f, [
        note(f"{O}.team", "deletes OU Root/Engineering/Team which would still hold 1 accounts or OUs: AWS refuses to "
                          "delete a non-empty OU (the apply would fail); kept", target_id=team),
        note(f"{O}.gone", "deletes OU ou-ab12-88888888, which the snapshot does not have"),
        note(f"{O}.lost", f"OU parent unknown until apply ({no_expr(f'{O}.lost', 'parent_id')}): the OU is not placed",
             target_id=NEW + f"{O}.lost"),
        note(f"{O}.ghost", "updates OU ou-ab12-99999999, which the snapshot does not have")], {}, {}, {}, 0)


def test_accounts_created_moved_removed_and_orphaned_whole(org):
    """Accounts: created (named, and unnamed until apply: the address stands for the name), created with an unknown
    parent (not placed), replaced (a new account), moved to an unknown parent (its answer unknown), moved under a
    parent that is in no planned organisation (the move not evaluated: kept where it is, its answer unknown; it used
    to be dropped, and the diff said "no longer in the organisation", neutral), removed (its attachments go), and an update and
    a removal of accounts the snapshot lacks."""
    i = org.ids
    eng, sandbox, app, dev, play, s3a = (i[k] for k in ("eng", "sandbox", "app", "dev", "play", "s3a"))
    changes = [
        rc(f"{A}.new", A, ["create"], None, {"name": "Newbie", "email": "n@example.com", "parent_id": eng},
           {"id": True, "arn": True}),
        rc(f"{A}.anon", A, ["create"], None, {"parent_id": sandbox}, {"id": True, "name": True}),
        rc(f"{A}.lost", A, ["create"], None, {"name": "Lost"}, {"id": True, "parent_id": True}),
        rc(f"{A}.s3a", A, ["delete", "create"], {"id": s3a, "name": "S3a", "parent_id": i["strict"]},
           {"name": "S3a2", "parent_id": i["strict"]}, {"id": True}),
        rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": eng}, {"id": app, "name": "App2"},
           {"parent_id": True}),
        rc(f"{A}.dev", A, ["update"], {"id": dev, "name": "Dev", "parent_id": i["team"]},
           {"id": dev, "name": "Dev", "parent_id": "ou-ab12-77777777"}),
        rc(f"{A}.play", A, ["delete"], {"id": play, "name": "Play", "parent_id": sandbox}, None),
        rc(f"{A}.ghost", A, ["update"], {"id": "999999999999", "name": "G", "parent_id": eng},
           {"id": "999999999999", "name": "G2", "parent_id": eng}),
        rc(f"{A}.gone", A, ["delete"], {"id": "888888888888", "name": "Gone", "parent_id": eng}, None),
    ]
    res = plan_org(org, plan(changes, [cfg(f"{A}.app", A, parent_id={"references": ["var.where"]})]))
    new, anon, s3a2 = (NEW + f"{A}.{x}" for x in ("new", "anon", "s3a"))
    f = frames(org)
    accs = f["accounts"]
    for gone in (s3a, play):
        accs.pop((gone,))
        drop_targets(f, gone)
    accs[(app,)]["account_name"] = "App2"  # renamed; its place stays as collected while its parent is unknown
    blank = {"email": None, "arn": None, "status": "ACTIVE", "joined_method": "CREATED", "joined_at": None,
             "is_management": False, "tags": (), "access": "none", "access_error": None}
    for aid, name, parent, path in ((new, "Newbie", eng, "Root/Engineering"),
                                    (anon, f"{A}.anon", sandbox, "Root/Sandbox"),
                                    (s3a2, "S3a2", i["strict"], "Root/Strict")):
        accs[(aid,)] = {"account_id": aid, "account_name": name, "parent_id": parent, "ou_path": path, **blank}
    for aid in (new, anon, s3a2):
        for name, recs in new_node(aid, "ACCOUNT").items():
            f[name].update(recs)
    why_app = f"{A}.app.parent_id is unknown until apply (var.where is not known)"
    assert whole(res) == expect(f, [
        note(f"{A}.app", f"account parent unknown until apply ({why_app})", account_id=app),
        note(f"{A}.lost", f"new account's parent unknown until apply ({no_expr(f'{A}.lost', 'parent_id')}): not placed",
             account_id=NEW + f"{A}.lost"),
        note(f"{A}.gone", "removes account 888888888888, which the snapshot does not have", account_id="888888888888"),
        note(f"{A}.ghost", "updates account 999999999999, which the snapshot does not have", account_id="999999999999"),
        note(f"{A}.dev", "account parent ou-ab12-77777777 is not in the planned organisation: the move is not evaluated "
                         "(the account is kept where it is)", account_id=dev),
    ], {app: f"its parent is unknown until apply ({why_app})",
        dev: "its parent ou-ab12-77777777 is not in the planned organisation"}, {}, {}, 0)


def test_scps_and_rcps_created_edited_replaced_deleted_whole(org):
    """Policies: an SCP created with content unknown until apply (an allow-all stand-in, said unknown), one edited with
    its name unknown (the collected name kept), one deleted (its attachments go), one replaced by a new SCP (a new
    id, the old one's attachments gone), one created without Version (AWS refuses it: a regression row), a tag
    policy (not evaluated); RCPs created, edited with content unknown (the collected text kept), created with content
    unknown (an allow-all stand-in) and deleted (its attachments go); an update and a delete of policies the
    snapshot lacks."""
    i = org.ids
    scp, rcp_t = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
    old_v = {"Statement": DENY_LEAVE["Statement"]}
    changes = [
        rc(f"{P}.fresh", P, ["create"], None, {"name": "Fresh", "type": scp}, {"id": True, "content": True}),
        rc(f"{P}.protect", P, ["update"], {"id": i["protect"], "name": "Protect", "type": scp},
           {"id": i["protect"], "type": scp, "content": json.dumps(DENY_LEAVE)}, {"name": True}),
        rc(f"{P}.temp", P, ["delete"], {"id": i["temp"], "name": "Temp", "type": scp}, None),
        rc(f"{P}.allow_s3", P, ["delete", "create"], {"id": i["allow_s3"], "name": "AllowS3", "type": scp},
           {"name": "AllowS3", "type": scp, "content": json.dumps(ALLOW_S3)}, {"id": True}),
        rc(f"{P}.oldv", P, ["create"], None, {"name": "OldV", "type": scp, "content": json.dumps(old_v)}, {"id": True}),
        rc(f"{P}.tags", P, ["create"], None, {"name": "Tags", "type": "TAG_POLICY", "content": '{"tags": {}}'},
           {"id": True}),
        rc(f"{P}.rnew", P, ["create"], None, {"name": "RNew", "type": rcp_t, "content": json.dumps(RCP_DENY_S3)},
           {"id": True}),
        rc(f"{P}.runk", P, ["create"], None, {"name": "RUnk", "type": rcp_t}, {"id": True, "content": True}),
        rc(f"{P}.keep", P, ["update"], {"id": i["keep"], "name": "KeepS3", "type": rcp_t},
           {"id": i["keep"], "name": "KeepS3b", "type": rcp_t}, {"content": True}),
        rc(f"{P}.spare", P, ["delete"], {"id": i["spare"], "name": "Spare", "type": rcp_t}, None),
        rc(f"{P}.ghost", P, ["update"], {"id": "p-99999999", "name": "G", "type": scp},
           {"id": "p-99999999", "name": "G2", "type": scp, "content": json.dumps(DENY_LEAVE)}),
        rc(f"{P}.gone", P, ["delete"], {"id": "p-88888888", "name": "Gone", "type": scp}, None),
    ]
    res = plan_org(org, plan(changes, [cfg(f"{P}.fresh", P, content={"references": ["local.doc"]})]))
    f = frames(org)
    pol, rcps = f["policies"], f["rcps"]
    for gone in ("temp", "allow_s3"):
        pol.pop((i[gone],))
        for k in [k for k in f["policy_targets"] if k[0] == i[gone]]:
            f["policy_targets"].pop(k)
    rcps.pop((i["spare"],))
    f["rcp_targets"].pop((i["spare"], i["sandbox"]))
    pol[(i["protect"],)]["content"] = json.dumps(DENY_LEAVE)
    rcps[(i["keep"],)]["name"] = "KeepS3b"
    made = {"description": None, "aws_managed": False, "arn": None}
    for x, name, typ, content in (("fresh", "Fresh", scp, STAND_IN), ("allow_s3", "AllowS3", scp, json.dumps(ALLOW_S3)),
                                  ("oldv", "OldV", scp, json.dumps(old_v)), ("tags", "Tags", "TAG_POLICY", '{"tags": {}}')):
        pol[(NEW + f"{P}.{x}",)] = {"policy_id": NEW + f"{P}.{x}", "name": name, "type": typ, "content": content, **made}
    rcp_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    for x, name, content in (("rnew", "RNew", json.dumps(RCP_DENY_S3)), ("runk", "RUnk", rcp_all)):
        rcps[(NEW + f"{P}.{x}",)] = {"policy_id": NEW + f"{P}.{x}", "name": name, "type": rcp_t, "content": content,
                                     **made}
    fresh, why_fresh = NEW + f"{P}.fresh", f"{P}.fresh.content is unknown until apply (local.doc is not known)"
    assert whole(res) == expect(f, [
        note(f"{P}.fresh", f"policy content unknown until apply ({why_fresh}): its effect is not evaluated",
             policy_id=fresh, policy_name="Fresh"),
        {**note(f"{P}.oldv", 'OldV: no Version element: every SCP must include a Version element with the value '
                             '"2012-10-17" (AWS refuses it); the apply would fail (the effect rows show the policy as '
                             'written)', policy_id=NEW + f"{P}.oldv", policy_name="OldV"), "severity": "regression"},
        note(f"{P}.tags", "a TAG_POLICY: orgkit evaluates service control policies only", policy_id=NEW + f"{P}.tags",
             policy_name="Tags"),
        note(f"{P}.runk", f"RCP content unknown until apply ({no_expr(f'{P}.runk', 'content')}): its effect is not "
                          "evaluated (the new RCP is evaluated as allowing everything)", policy_id=NEW + f"{P}.runk",
             policy_name="RUnk"),
        note(f"{P}.keep", f"RCP content unknown until apply ({no_expr(f'{P}.keep', 'content')}): its effect is not "
                          "evaluated (the collected text is kept)", policy_id=i["keep"], policy_name="KeepS3b"),
        note(f"{P}.ghost", "updates policy p-99999999, which the snapshot does not have", policy_id="p-99999999"),
        note(f"{P}.gone", "deletes policy p-88888888, which the snapshot does not have", policy_id="p-88888888"),
    ], {}, {fresh: why_fresh}, {}, 0)


def test_attachments_detached_attached_and_refused_whole(org):
    """Attachments: an SCP and an RCP detached, an SCP attached to an account, to the root (updated in place) and to
    an OU the plan creates, an RCP attached to an OU, an attachment replaced (the same pair again), a tag policy's
    attachment (not an SCP's: not in the SCP frame), a detach of a pair the snapshot does not show attached, a detach
    of a policy of a type orgkit does not collect (nothing to evaluate), and attachments of a policy or to a target
    that neither the snapshot nor the plan has."""
    i = org.ids
    root, eng, sandbox, app, play = (i[k] for k in ("root", "eng", "sandbox", "app", "play"))
    protect, temp, keep = i["protect"], i["temp"], i["keep"]
    changes = [
        rc(f"{O}.prod", O, ["create"], None, {"name": "Prod", "parent_id": root}, {"id": True}),
        rc(f"{P}.tags", P, ["create"], None, {"name": "Tags", "type": "TAG_POLICY", "content": "{}"}, {"id": True}),
        rc(f"{AT}.temp_sandbox", AT, ["delete"], {"id": "a1", "policy_id": temp, "target_id": sandbox}, None),
        rc(f"{AT}.keep_eng", AT, ["delete"], {"id": "a2", "policy_id": keep, "target_id": eng}, None),
        rc(f"{AT}.protect_app_old", AT, ["delete"], {"id": "a3", "policy_id": protect, "target_id": app}, None),
        rc(f"{AT}.backup", AT, ["delete"], {"id": "a4", "policy_id": "p-77777777", "target_id": app}, None),
        rc(f"{AT}.temp_play", AT, ["delete", "create"], {"id": "a5", "policy_id": temp, "target_id": play},
           {"policy_id": temp, "target_id": play}, {"id": True}),
        rc(f"{AT}.protect_play", AT, ["create"], None, {"policy_id": protect, "target_id": play}, {"id": True}),
        rc(f"{AT}.temp_root", AT, ["update"], {"id": "a6", "policy_id": temp, "target_id": eng},
           {"id": "a6", "policy_id": temp, "target_id": root}),
        rc(f"{AT}.protect_prod", AT, ["create"], None, {"policy_id": protect}, {"id": True, "target_id": True}),
        rc(f"{AT}.keep_sandbox", AT, ["create"], None, {"policy_id": keep, "target_id": sandbox}, {"id": True}),
        rc(f"{AT}.tags_app", AT, ["create"], None, {"target_id": app}, {"id": True, "policy_id": True}),
        rc(f"{AT}.nopol", AT, ["create"], None, {"policy_id": "p-66666666", "target_id": app}, {"id": True}),
        rc(f"{AT}.notgt", AT, ["create"], None, {"policy_id": protect, "target_id": "ou-ab12-55555555"}, {"id": True}),
    ]
    config = [cfg(f"{AT}.protect_prod", AT, target_id={"references": [f"{O}.prod.id", f"{O}.prod"]}),
              cfg(f"{AT}.tags_app", AT, policy_id={"references": [f"{P}.tags.id", f"{P}.tags"]})]
    res = plan_org(org, plan(changes, config))
    prod, tags = NEW + f"{O}.prod", NEW + f"{P}.tags"
    f = frames(org)
    f["ous"][(prod,)] = {"ou_id": prod, "name": "Prod", "parent_id": root, "depth": 1, "ou_path": "Root/Prod",
                         "arn": None, "is_root": False}
    for name, recs in new_node(prod, "ORGANIZATIONAL_UNIT").items():
        f[name].update(recs)
    f["policies"][(tags,)] = {"policy_id": tags, "name": "Tags", "description": None, "type": "TAG_POLICY",
                              "aws_managed": False, "arn": None, "content": "{}"}
    pt, rt = f["policy_targets"], f["rcp_targets"]
    pt.pop((temp, sandbox))
    rt.pop((keep, eng))

    def t(pid, tid, kind, name):
        return {(pid, tid): {"policy_id": pid, "target_id": tid, "target_type": kind, "target_name": name}}

    pt.update({**t(temp, play, "ACCOUNT", "Play"), **t(protect, play, "ACCOUNT", "Play"),
               **t(temp, root, "ROOT", "Root"), **t(protect, prod, "ORGANIZATIONAL_UNIT", "Prod")})
    rt.update(t(keep, sandbox, "ORGANIZATIONAL_UNIT", "Sandbox"))
    assert whole(res) == expect(f, [
        note(f"{P}.tags", "a TAG_POLICY: orgkit evaluates service control policies only", policy_id=tags,
             policy_name="Tags"),
        note(f"{AT}.protect_app_old", f"detaches {protect} from {app}, which the snapshot does not show attached",
             policy_id=protect, target_id=app),
        note(f"{AT}.nopol", "attaches p-66666666, which neither the snapshot nor the plan has", policy_id="p-66666666",
             target_id=app),
        note(f"{AT}.notgt", f"attaches {protect} to ou-ab12-55555555, which neither the snapshot nor the plan has",
             policy_id=protect, target_id="ou-ab12-55555555"),
    ], {}, {}, {}, 0)


SPREAD = ["pending at a full level", "pending at one account", "pending at an allow list", "pending at an empty OU",
          "pending at a missing target",
          "deny anywhere", "allow anywhere", "unknown anywhere", "rcp anywhere", "new unknown at a full level",
          "edited unknown at a full level", "edited unknown at an allow list"]


@pytest.mark.parametrize("case", SPREAD)
def test_what_is_unknown_until_apply_spreads_to_the_accounts_below_whole(org, case):
    """An SCP attachment or content unknown until apply: the accounts it can reach are unknown, or (where every level
    it lands on already allows everything, or it has no Allow: an SCP never grants, and an action needs an Allow at
    every level) evaluated without it and said to be able only to become more restrictive; the not_evaluated row
    counts and names them (singular and plural)."""
    i = org.ids
    eng, strict, play, app, dev, s3a, s3b, mgmt = (i[k] for k in ("eng", "strict", "play", "app", "dev", "s3a", "s3b",
                                                                   "mgmt"))
    x = f"{AT}.x"
    why_p, why_t = (f"{x}.{a} is unknown until apply (local.{a} is not known)" for a in ("policy_id", "target_id"))
    f = frames(org)
    rows, unknown_accounts, unknown_policies, restrict_only, unresolved = [], {}, {}, {}, 0
    only = ": it can only take permissions away there (the level already allows everything, and an SCP never grants)"
    widen = "the level does not already allow everything, so it could widen permissions as well as take them away"
    if case.startswith("pending"):
        tid, accs = {"pending at a full level": (eng, [app, dev]), "pending at one account": (play, [play]),
                     "pending at an allow list": (strict, [s3a, s3b]), "pending at an empty OU": (i["empty"], []),
                     "pending at a missing target": ("ou-ab12-55555555", [])}[case]
        changes = [rc(x, AT, ["create"], None, {"target_id": tid}, {"id": True, "policy_id": True})]
        config = [cfg(x, AT, policy_id={"references": ["local.policy_id"]})]
        what = f"the policy that {x} attaches to {tid} (unknown until apply)"
        reason = f"attaches a policy unknown until apply ({why_p}) to {tid}"
        shown = ", ".join(accs)
        if case == "pending at a full level":
            reason += f"{only}, so the 2 accounts below ({shown}) are evaluated without it and their decisions could " \
                      "only become more restrictive"
            restrict_only = dict.fromkeys(accs, what)
        elif case == "pending at one account":
            reason += f"{only}, so the 1 account below ({shown}) is evaluated without it and its decisions could only " \
                      "become more restrictive"
            restrict_only = dict.fromkeys(accs, what)
        elif accs:
            reason += f": {widen}; the SCP decisions of the 2 accounts below ({shown}) are unknown"
            unknown_accounts = dict.fromkeys(accs, f"a policy unknown until apply is attached above it ({why_p})")
        rows, unresolved = [note(x, reason, target_id=tid)], 1
    elif case.endswith("anywhere"):
        pid = {"deny anywhere": i["protect"], "allow anywhere": i["allow_s3"], "unknown anywhere": None,
               "rcp anywhere": i["keep"]}[case]
        unknown = {"id": True, "target_id": True, **({"policy_id": True} if pid is None else {})}
        changes = [rc(x, AT, ["create"], None, {} if pid is None else {"policy_id": pid}, unknown)]
        config = [cfg(x, AT, target_id={"references": ["local.target_id"]},
                      **({"policy_id": {"references": ["local.policy_id"]}} if pid is None else {}))]
        what = f"the policy {x} attaches to a target unknown until apply"
        if pid is None:
            reason, kw = f"attachment of an unknown policy ({why_p}) to an unknown target ({why_t}): not evaluated", {}
        else:
            reason, kw = (f"attaches {pid} to a target unknown until apply ({why_t}): the accounts it reaches are "
                          "unknown"), {"policy_id": pid}
        if case in ("deny anywhere", "rcp anywhere"):  # no Allow (an RCP grants nothing): it can only restrict
            reason += ": it can only take permissions away (it has no Allow), so 6 accounts are evaluated without it"
            restrict_only = dict.fromkeys([app, dev, play, s3a, s3b, mgmt], what)
        else:  # it may add an Allow: only where every level already allows everything can it not widen
            reason += (": it can only take permissions away (every level above them already allows everything), so 4 "
                       "accounts are evaluated without it; it could widen permissions where a level does not already "
                       "allow everything: the SCP decisions of 2 accounts are unknown")
            restrict_only = dict.fromkeys([app, dev, play, mgmt], what)
            unknown_accounts = dict.fromkeys([s3a, s3b], f"{what}: it could widen permissions")
        rows = [note(x, reason, **kw)]
    elif case == "new unknown at a full level":
        n = NEW + f"{P}.n"
        changes = [rc(f"{P}.n", P, ["create"], None, {"name": "N", "type": "SERVICE_CONTROL_POLICY"},
                      {"id": True, "content": True}),
                   rc(x, AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True})]
        config = [cfg(x, AT, policy_id={"references": [f"{P}.n.id", f"{P}.n"]})]
        why = no_expr(f"{P}.n", "content")
        f["policies"][(n,)] = {"policy_id": n, "name": "N", "description": None, "type": "SERVICE_CONTROL_POLICY",
                               "aws_managed": False, "arn": None, "content": STAND_IN}
        f["policy_targets"][(n, eng)] = {"policy_id": n, "target_id": eng, "target_type": "ORGANIZATIONAL_UNIT",
                                         "target_name": "Engineering"}
        rows = [note(f"{P}.n", f"policy content unknown until apply ({why}): its effect is not evaluated{only}, so the "
                               f"2 accounts below ({app}, {dev}) are evaluated without it and their decisions could "
                               "only become more restrictive", policy_id=n, policy_name="N")]
        unknown_policies = {n: why}
        restrict_only = dict.fromkeys([app, dev], "policy N (its content is unknown until apply)")
    else:  # an existing policy's new text unknown: it may drop a Deny it has now (and add an Allow off a full level)
        key, name, accs = ("protect", "Protect", [app, dev]) if case.endswith("full level") else \
            ("allow_s3", "AllowS3", [s3a, s3b])
        pid = i[key]
        changes = [rc(f"{P}.{key}", P, ["update"], {"id": pid, "name": name, "type": "SERVICE_CONTROL_POLICY"},
                      {"id": pid, "name": name, "type": "SERVICE_CONTROL_POLICY"}, {"content": True})]
        config = []
        why = no_expr(f"{P}.{key}", "content")
        drop = "its new content replaces an existing policy's, so it could drop a Deny the policy has now" + (
            "" if key == "protect" else " or add an Allow where the level does not already allow everything")
        rows = [note(f"{P}.{key}", f"policy content unknown until apply ({why}): its effect is not evaluated: {drop}; "
                                   f"the SCP decisions of the 2 accounts below ({', '.join(accs)}) are unknown",
                     policy_id=pid, policy_name=name)]
        unknown_policies = {pid: why}
        unknown_accounts = dict.fromkeys(accs, f"policy {name} applies: {why}")
    res = plan_org(org, plan(changes, config))
    assert whole(res) == expect(f, rows, unknown_accounts, unknown_policies, restrict_only, unresolved)


def _texts(alphabet: str, longest: int):
    yield ""
    for n in range(1, longest + 1):
        for t in itertools.product(alphabet, repeat=n):
            yield "".join(t)


def test_strip_index_is_the_regex_it_replaces_on_every_short_text():
    r"""``_strip_index`` promises what ``re.sub(r"\[[^\]]*\]$", "", res)`` gives (``$`` also before a final
    newline): compared on every text of up to 6 characters over ``[``, ``]``, ``a``, newline (5,461 texts) and on
    addresses with keys that hold brackets (a for_each key may be any string)."""
    regex = re.compile(r"\[[^\]]*\]$")
    texts = [*_texts("[]a\n", 6), 'aws_x.n["a]x[b]c"]', 'aws_x.n["a]b"]', 'aws_x.n[0]', 'aws_x.n["k"]\n',
             'aws_x.n["a]x[b]c[d]e"]', 'a[b]c[d]e[f]']
    assert [_strip_index(t) for t in texts] == [regex.sub("", t) for t in texts]


def test_instances_of_for_each_count_and_module_resources_are_resolved_whole(org):
    """Instance addresses: a for_each instance with a string key, a count instance with a number key whose target is
    an element of a list variable, and a resource of a module instance (``module.team["a"]``) referring to a policy
    the same module instance creates: each resolved through its configuration (which drops instance keys); a key
    that holds a bracket leaves the attribute unknown (said so, never guessed)."""
    i = org.ids
    eng, play = i["eng"], i["play"]
    m = 'module.team["a"].'
    odd = f'{AT}.odd["a]x[b]c"]'
    changes = [
        rc(f"{P}.new", P, ["create"], None, {"name": "New", "type": "SERVICE_CONTROL_POLICY",
                                             "content": json.dumps(DENY_LEAVE)}, {"id": True}),
        rc(f'{AT}.each["eng"]', AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True}),
        rc(f"{AT}.n[1]", AT, ["create"], None, {"policy_id": i["protect"]}, {"id": True, "target_id": True}),
        rc(f"{m}{P}.p", P, ["create"], None, {"name": "ModP", "type": "SERVICE_CONTROL_POLICY",
                                              "content": json.dumps(PROTECT)}, {"id": True}),
        rc(f"{m}{AT}.x", AT, ["create"], None, {"target_id": play}, {"id": True, "policy_id": True}),
        rc(odd, AT, ["create"], None, {"target_id": play}, {"id": True, "policy_id": True}),
    ]
    new_ref = {"references": [f"{P}.new.id", f"{P}.new"]}
    config = [cfg(f"{AT}.each", AT, policy_id=new_ref), cfg(f"{AT}.odd", AT, policy_id=new_ref),
              cfg(f"{AT}.n", AT, target_id={"references": ["var.targets[1]", "var.targets"]})]
    modules = {"team": {"module": {"resources": [
        cfg(f"{AT}.x", AT, policy_id={"references": [f"{P}.p.id", f"{P}.p"]})]}}}
    res = plan_org(org, plan(changes, config, modules=modules,
                             variables={"targets": {"value": [eng, play]}}))
    new, modp = NEW + f"{P}.new", NEW + f"{m}{P}.p"
    f = frames(org)
    for pid, name, doc in ((new, "New", DENY_LEAVE), (modp, "ModP", PROTECT)):
        f["policies"][(pid,)] = {"policy_id": pid, "name": name, "description": None, "type": "SERVICE_CONTROL_POLICY",
                                 "aws_managed": False, "arn": None, "content": json.dumps(doc)}
    for pid, tid, kind, name in ((new, eng, "ORGANIZATIONAL_UNIT", "Engineering"), (i["protect"], play, "ACCOUNT", "Play"),
                                 (modp, play, "ACCOUNT", "Play")):
        f["policy_targets"][(pid, tid)] = {"policy_id": pid, "target_id": tid, "target_type": kind, "target_name": name}
    why = f"{odd}.policy_id is unknown until apply and the plan records no expression"
    assert whole(res) == expect(f, [
        note(odd, f"attaches a policy unknown until apply ({why}) to {play}: it can only take permissions away there "
                  f"(the level already allows everything, and an SCP never grants), so the 1 account below ({play}) is "
                  "evaluated without it and its decisions could only become more restrictive", target_id=play)],
        {}, {}, {play: f"the policy that {odd} attaches to {play} (unknown until apply)"}, 1)


def test_what_orgkit_does_not_model_is_listed_and_changes_nothing_whole(org):
    """Unmodelled resources (their actions joined: a replacement is delete/create), deferred changes and an
    incomplete plan are each one not_evaluated row; a no-op, a read and a data source are not changes at all; the
    planned organisation is the snapshot's."""
    i = org.ids
    changes = [
        rc("aws_iam_role.r", "aws_iam_role", ["create"], None, {"name": "r"}, {"id": True}),
        rc("aws_s3_bucket.b", "aws_s3_bucket", ["delete", "create"], {"id": "b"}, {"bucket": "b"}, {"id": True}),
        rc("aws_organizations_organization.o", "aws_organizations_organization", ["update"],
           {"id": "o-abcdef1234"}, {"id": "o-abcdef1234"}),
        rc("aws_s3_bucket.same", "aws_s3_bucket", ["no-op"], {"id": "s"}, {"id": "s"}),
        rc(f"{O}.same", O, ["no-op"], {"id": i["eng"], "name": "Engineering"}, {"id": i["eng"], "name": "X"}),
        rc(f"{A}.read", A, ["read"], None, {"id": i["app"], "name": "Y", "parent_id": i["sandbox"]}),
        {**rc(f"data.{P}.d", P, ["create"], None, {"name": "D"}, {"id": True}), "mode": "data"},
    ]
    doc = plan(changes)
    doc["deferred_changes"] = [{"reason": "provider_config_unknown", "resource_change": {"address": f"{O}.later"}}]
    doc["complete"] = False
    res = plan_org(org, doc)
    n = "not modelled by orgkit, not evaluated"
    assert whole(res) == expect(frames(org), [
        note("aws_iam_role.r", f"planned create of aws_iam_role: {n}"),
        note("aws_s3_bucket.b", f"planned delete/create of aws_s3_bucket: {n}"),
        note("aws_organizations_organization.o", f"planned update of aws_organizations_organization: {n}"),
        note(f"{O}.later", "change deferred by Terraform (provider_config_unknown): not evaluated"),
        {"kind": "not_evaluated", "severity": "unknown",
         "reason": "the plan is incomplete (-target or deferred changes): what it leaves out is not shown"},
    ], {}, {}, {}, 0)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """SCPs disabled (every SCP detached), RCPs not enabled: Engineering > App; Protect (detached)."""
    sb = SnapshotSpec(regions=["us-east-1"], scp_enabled=False)
    eng = sb.ou("Engineering")
    app = sb.account("App", parent=eng)
    protect = sb.policy("Protect", PROTECT, [eng])
    o = sb.load(tmp_path_factory.mktemp("plain") / "s")
    o.ids = dict(eng=eng, app=app, protect=protect, root=sb.root)
    return o


def test_where_neither_policy_type_is_enabled_nothing_is_attached_to_new_nodes_and_rcps_are_not_evaluated(plain):
    """With SCPs disabled AWS attaches no FullAWSAccess to a new OU or account, and with RCPs not enabled no
    RCPFullAWSAccess: the planned nodes have no attachments. A resource control policy the plan creates is kept as a
    policy of its type and said not evaluated; an RCP's replacement is not one either (the snapshot has no RCPs)."""
    i = plain.ids
    rcp_t = "RESOURCE_CONTROL_POLICY"
    changes = [
        rc(f"{O}.prod", O, ["create"], None, {"name": "Prod", "parent_id": i["root"]}, {"id": True}),
        rc(f"{A}.new", A, ["create"], None, {"name": "New"}, {"id": True, "parent_id": True}),
        rc(f"{P}.r", P, ["create"], None, {"name": "R", "type": rcp_t, "content": json.dumps(RCP_DENY_S3)},
           {"id": True}),
        rc(f"{P}.protect", P, ["delete", "create"], {"id": i["protect"], "name": "Protect",
                                                     "type": "SERVICE_CONTROL_POLICY"},
           {"name": "Protect", "type": rcp_t, "content": json.dumps(RCP_DENY_S3)}, {"id": True}),
    ]
    config = [cfg(f"{A}.new", A, parent_id={"references": [f"{O}.prod.id", f"{O}.prod"]})]
    res = plan_org(plain, plan(changes, config))
    prod, new, r, p2 = (NEW + a for a in (f"{O}.prod", f"{A}.new", f"{P}.r", f"{P}.protect"))
    f = frames(plain)
    f["ous"][(prod,)] = {"ou_id": prod, "name": "Prod", "parent_id": i["root"], "depth": 1, "ou_path": "Root/Prod",
                         "arn": None, "is_root": False}
    f["accounts"][(new,)] = {"account_id": new, "account_name": "New", "email": None, "arn": None, "status": "ACTIVE",
                             "joined_method": "CREATED", "joined_at": None, "parent_id": prod, "ou_path": "Root/Prod",
                             "is_management": False, "tags": (), "access": "none", "access_error": None}
    f["policies"].pop((i["protect"],))
    for pid, name in ((r, "R"), (p2, "Protect")):
        f["policies"][(pid,)] = {"policy_id": pid, "name": name, "description": None, "type": rcp_t,
                                 "aws_managed": False, "arn": None, "content": json.dumps(RCP_DENY_S3)}
    only = ("a RESOURCE_CONTROL_POLICY: orgkit evaluates service control policies and resource control policies "
            "(where the snapshot has them enabled and read) only")
    assert whole(res) == expect(f, [note(f"{P}.r", only, policy_id=r, policy_name="R"),
                                    note(f"{P}.protect", only, policy_id=p2, policy_name="Protect")], {}, {}, {}, 0)


def test_a_parent_in_no_planned_organisation_is_not_evaluated_and_nothing_is_dropped_whole(org):
    """A parent id that neither the snapshot nor the plan has, or an OU the plan creates but cannot place (its parent
    unknown until apply): a moved OU or account stays where it is (the move not evaluated; the account's answer
    unknown), an OU created under a moved OU is placed under it there, what the plan creates under an unplaced OU is
    not placed. (The plan used to be refused: "OU ... would have an unknown parent", and a moved account was said to
    be "no longer in the organisation", neutral.)"""
    i = org.ids
    root, sandbox, app, play = i["root"], i["sandbox"], i["app"], i["play"]
    missing = "ou-ab12-77777777"
    changes = [
        rc(f"{O}.sandbox", O, ["update"], {"id": sandbox, "name": "Sandbox", "parent_id": root},
           {"id": sandbox, "name": "Sandbox", "parent_id": missing}),
        rc(f"{O}.under", O, ["create"], None, {"name": "Under", "parent_id": sandbox}, {"id": True}),
        rc(f"{O}.astray", O, ["create"], None, {"name": "Astray", "parent_id": missing}, {"id": True}),
        rc(f"{O}.lost", O, ["create"], None, {"name": "Lost"}, {"id": True, "parent_id": True}),
        rc(f"{O}.kid", O, ["create"], None, {"name": "Kid"}, {"id": True, "parent_id": True}),
        rc(f"{A}.acc", A, ["create"], None, {"name": "Acc"}, {"id": True, "parent_id": True}),
        rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": i["eng"]},
           {"id": app, "name": "App"}, {"parent_id": True}),
    ]
    lost_ref = {"references": [f"{O}.lost.id", f"{O}.lost"]}
    config = [cfg(f"{O}.kid", O, parent_id=lost_ref), cfg(f"{A}.acc", A, parent_id=lost_ref),
              cfg(f"{A}.app", A, parent_id={"references": [f"{O}.kid.id", f"{O}.kid"]})]
    res = plan_org(org, plan(changes, config))
    under, astray, lost, kid, acc = (NEW + a for a in (f"{O}.under", f"{O}.astray", f"{O}.lost", f"{O}.kid",
                                                       f"{A}.acc"))
    f = frames(org)
    f["ous"][(under,)] = {"ou_id": under, "name": "Under", "parent_id": sandbox, "depth": 2,
                          "ou_path": "Root/Sandbox/Under", "arn": None, "is_root": False}
    for name, recs in new_node(under, "ORGANIZATIONAL_UNIT").items():
        f[name].update(recs)
    gone = "is not in the planned organisation"
    assert whole(res) == expect(f, [
        note(f"{O}.sandbox", f"OU parent {missing} {gone}: the move is not evaluated (the OU is kept where it is)",
             target_id=sandbox),
        note(f"{O}.astray", f"OU parent {missing} {gone}: the OU is not placed", target_id=astray),
        note(f"{O}.lost", f"OU parent unknown until apply ({no_expr(f'{O}.lost', 'parent_id')}): the OU is not placed",
             target_id=lost),
        note(f"{O}.kid", f"OU parent {lost} {gone}: the OU is not placed", target_id=kid),
        note(f"{A}.acc", f"new account's parent {lost} {gone}: not placed", account_id=acc),
        note(f"{A}.app", f"account parent {kid} {gone}: the move is not evaluated (the account is kept where it is)",
             account_id=app),
    ], {app: f"its parent {kid} {gone}"}, {}, {}, 0)
    # what a user sees: App's answer unknown, Play (below the OU whose move is not evaluated) judged where it is
    df = diff_plan(org, plan(changes, config), actions=["organizations:LeaveOrganization"])
    assert [(r.kind, r.severity, r.account_id, r.reason) for r in df.itertuples() if r.kind != "not_evaluated"] == [
        ("scp_effect", "unknown", app, f"its parent {kid} {gone}"),
        ("ou_added", "neutral", None, "new OU (SCPs attached: FullAWSAccess) (RCPs attached: RCPFullAWSAccess)")]
    assert play in set(res.org.accounts["account_id"])


def test_policies_that_change_type_or_have_odd_values_whole(org):
    """An SCP replaced by an RCP and an RCP by an SCP (UpdatePolicy cannot change a type: the old policy goes with
    its attachments, the new one is made as its new type), an RCP edited with known text, an SCP whose type and name
    are unknown until apply (an SCP named by its address), content that is not a string (not known: a stand-in, said
    so) for an SCP and an RCP, an SCP written for Version 2008-10-17 (AWS refuses it), and an RCP attached to an
    account and to the root (named as ListTargetsForPolicy names them)."""
    i = org.ids
    scp, rcp_t = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
    v2008 = {**DENY_LEAVE, "Version": "2008-10-17"}
    changes = [
        rc(f"{P}.protect", P, ["delete", "create"], {"id": i["protect"], "name": "Protect", "type": scp},
           {"name": "ProtectR", "type": rcp_t, "content": json.dumps(RCP_DENY_S3)}, {"id": True}),
        rc(f"{P}.spare", P, ["create", "delete"], {"id": i["spare"], "name": "Spare", "type": rcp_t},
           {"name": "SpareS", "type": scp, "content": json.dumps(DENY_LEAVE)}, {"id": True}),
        rc(f"{P}.keep", P, ["update"], {"id": i["keep"], "name": "KeepS3", "type": rcp_t},
           {"id": i["keep"], "name": "KeepS3", "type": rcp_t, "content": json.dumps(RCP_DENY_S3, indent=1)}),
        rc(f"{P}.vague", P, ["create"], None, {"content": json.dumps(DENY_LEAVE)}, {"id": True, "type": True,
                                                                                      "name": True}),
        rc(f"{P}.odd", P, ["create"], None, {"name": "Odd", "type": scp, "content": {"Statement": []}}, {"id": True}),
        rc(f"{P}.rodd", P, ["create"], None, {"name": "ROdd", "type": rcp_t, "content": ["x"]}, {"id": True}),
        rc(f"{P}.old", P, ["create"], None, {"name": "Old", "type": scp, "content": json.dumps(v2008)}, {"id": True}),
        rc(f"{AT}.keep_app", AT, ["create"], None, {"policy_id": i["keep"], "target_id": i["app"]}, {"id": True}),
        rc(f"{AT}.keep_root", AT, ["create"], None, {"policy_id": i["keep"], "target_id": i["root"]}, {"id": True}),
    ]
    res = plan_org(org, plan(changes))
    f = frames(org)
    pol, rcps, pt, rt = f["policies"], f["rcps"], f["policy_targets"], f["rcp_targets"]
    pol.pop((i["protect"],))
    pt.pop((i["protect"], i["eng"]))
    rcps.pop((i["spare"],))
    rt.pop((i["spare"], i["sandbox"]))
    rcps[(i["keep"],)]["content"] = json.dumps(RCP_DENY_S3, indent=1)
    made = {"description": None, "aws_managed": False, "arn": None}
    rcp_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    for x, name, typ, content in (("spare", "SpareS", scp, json.dumps(DENY_LEAVE)),
                                  ("vague", f"{P}.vague", scp, json.dumps(DENY_LEAVE)), ("odd", "Odd", scp, STAND_IN),
                                  ("old", "Old", scp, json.dumps(v2008))):
        pol[(NEW + f"{P}.{x}",)] = {"policy_id": NEW + f"{P}.{x}", "name": name, "type": typ, "content": content, **made}
    for x, name, content in (("protect", "ProtectR", json.dumps(RCP_DENY_S3)), ("rodd", "ROdd", rcp_all)):
        rcps[(NEW + f"{P}.{x}",)] = {"policy_id": NEW + f"{P}.{x}", "name": name, "type": rcp_t, "content": content,
                                     **made}
    for tid, kind, name in ((i["app"], "ACCOUNT", "App"), (i["root"], "ROOT", "Root")):
        rt[(i["keep"], tid)] = {"policy_id": i["keep"], "target_id": tid, "target_type": kind, "target_name": name}
    odd = NEW + f"{P}.odd"
    assert whole(res) == expect(f, [
        note(f"{P}.odd", "policy content unknown until apply (content is not known): its effect is not evaluated",
             policy_id=odd, policy_name="Odd"),
        note(f"{P}.rodd", "RCP content unknown until apply (content is not known): its effect is not evaluated (the "
                          "new RCP is evaluated as allowing everything)", policy_id=NEW + f"{P}.rodd",
             policy_name="ROdd"),
        {**note(f"{P}.old", 'Old: Version "2008-10-17": every SCP must include a Version element with the value '
                            '"2012-10-17" (AWS refuses it); the apply would fail (the effect rows show the policy as '
                            'written)', policy_id=NEW + f"{P}.old", policy_name="Old"), "severity": "regression"},
    ], {}, {odd: "content is not known"}, {}, 0)


@pytest.mark.parametrize("bad", [["x"], {"a": 1}, 5])
def test_ids_that_are_not_strings_are_shown_as_their_json_never_a_crash(org, bad):
    """A plan is input written by someone else: an id that is a list, an object or a number (AWS ids are strings)
    matches nothing and is shown as its JSON text (a list or an object used to raise TypeError: unhashable)."""
    i = org.ids
    b = json.dumps(bad)
    changes = [rc(f"{O}.x", O, ["create"], None, {"name": "X", "parent_id": bad}, {"id": True}),
               rc(f"{O}.y", O, ["update"], {"id": bad, "name": "Y"}, {"id": bad, "name": "Y2", "parent_id": i["root"]}),
               rc(f"{A}.x", A, ["create"], None, {"name": "X", "parent_id": bad}, {"id": True}),
               rc(f"{AT}.p", AT, ["create"], None, {"policy_id": bad, "target_id": i["eng"]}, {"id": True}),
               rc(f"{AT}.t", AT, ["create"], None, {"policy_id": i["protect"], "target_id": bad}, {"id": True}),
               rc(f"{AT}.d", AT, ["delete"], {"id": "a", "policy_id": i["protect"], "target_id": bad}, None)]
    res = plan_org(org, plan(changes))
    gone = "is not in the planned organisation"
    assert whole(res) == expect(frames(org), [
        note(f"{O}.x", f"OU parent {b} {gone}: the OU is not placed", target_id=NEW + f"{O}.x"),
        note(f"{O}.y", f"updates OU {b}, which the snapshot does not have"),
        note(f"{A}.x", f"new account's parent {b} {gone}: not placed", account_id=NEW + f"{A}.x"),
        note(f"{AT}.p", f"attaches {b}, which neither the snapshot nor the plan has", policy_id=b, target_id=i["eng"]),
        note(f"{AT}.t", f"attaches {i['protect']} to {b}, which neither the snapshot nor the plan has",
             policy_id=i["protect"], target_id=b),
        note(f"{AT}.d", f"detaches {i['protect']} from {b}, which the snapshot does not show attached",
             policy_id=i["protect"], target_id=b)], {}, {}, {}, 0)


@pytest.mark.parametrize("order", ["parent first", "child first"])
def test_nested_ous_deleted_while_an_account_stays_are_both_kept_in_either_order(org, order):
    """Engineering and Team below it deleted, Dev left in Team (App moved out): AWS refuses to delete a non-empty OU,
    so Team stays, and Engineering, holding Team, stays too, whatever order the plan lists them in (listed parent
    first, the plan used to be refused: "OU ... would have an unknown parent")."""
    i = org.ids
    eng, team, app = i["eng"], i["team"], i["app"]
    deletes = [rc(f"{O}.eng", O, ["delete"], {"id": eng, "name": "Engineering", "parent_id": i["root"]}, None),
               rc(f"{O}.team", O, ["delete"], {"id": team, "name": "Team", "parent_id": eng}, None)]
    move = rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": eng},
              {"id": app, "name": "App", "parent_id": i["sandbox"]})
    res = plan_org(org, plan([*(deletes if order == "parent first" else deletes[::-1]), move]))
    f = frames(org)
    f["accounts"][(app,)].update(parent_id=i["sandbox"], ou_path="Root/Sandbox")
    refused = "AWS refuses to delete a non-empty OU (the apply would fail); kept"
    assert whole(res) == expect(f, [
        note(f"{O}.eng", f"deletes OU Root/Engineering which would still hold 1 accounts or OUs: {refused}",
             target_id=eng),
        note(f"{O}.team", f"deletes OU Root/Engineering/Team which would still hold 1 accounts or OUs: {refused}",
             target_id=team)], {}, {}, {}, 0)


def test_an_account_both_restricted_and_unknown_is_unknown_and_odd_entries_are_read_as_terraform_writes_them(org):
    """A policy unknown until apply attached at Engineering (its accounts can only be restricted more) while App's
    own move is unknown: App is unknown, not also "could only be restricted"; Dev only restricted. A change without
    ``mode`` is a managed resource's (the format's default), one with no actions is no change, a deferred change
    without its resource is still listed, and ``"complete": null`` is not an incomplete plan."""
    i = org.ids
    eng, app, dev = i["eng"], i["app"], i["dev"]
    x = f"{AT}.x"
    no_mode = rc(f"{P}.fresh", P, ["create"], None, {"name": "Fresh", "type": "SERVICE_CONTROL_POLICY",
                                                    "content": json.dumps(DENY_LEAVE)}, {"id": True})
    no_mode.pop("mode")
    changes = [rc(x, AT, ["create"], None, {"target_id": eng}, {"id": True, "policy_id": True}),
               rc(f"{A}.app", A, ["update"], {"id": app, "name": "App", "parent_id": eng}, {"id": app, "name": "App"},
                  {"parent_id": True}),
               no_mode,
               rc(f"{O}.idle", O, [], {"id": eng, "name": "Engineering"}, {"id": eng, "name": "Idle"}),
               rc("aws_iam_role.idle", "aws_iam_role", [], None, None)]
    doc = plan(changes, [cfg(x, AT, policy_id={"references": ["local.policy_id"]})])
    doc["deferred_changes"] = [None]
    doc["complete"] = None
    res = plan_org(org, doc)
    f = frames(org)
    fresh = NEW + f"{P}.fresh"
    f["policies"][(fresh,)] = {"policy_id": fresh, "name": "Fresh", "description": None, "aws_managed": False,
                               "arn": None, "type": "SERVICE_CONTROL_POLICY", "content": json.dumps(DENY_LEAVE)}
    why_p = f"{x}.policy_id is unknown until apply (local.policy_id is not known)"
    why_app = no_expr(f"{A}.app", "parent_id")
    assert whole(res) == expect(f, [
        note(x, f"attaches a policy unknown until apply ({why_p}) to {eng}: it can only take permissions away there "
                "(the level already allows everything, and an SCP never grants), so the 2 accounts below "
                f"({app}, {dev}) are evaluated without it and their decisions could only become more restrictive",
             target_id=eng),
        note(f"{A}.app", f"account parent unknown until apply ({why_app})", account_id=app),
        {"kind": "not_evaluated", "severity": "unknown", "reason": "None: change deferred by Terraform (None): not "
                                                                  "evaluated"}],
        {app: f"its parent is unknown until apply ({why_app})"}, {},
        {dev: f"the policy that {x} attaches to {eng} (unknown until apply)"}, 1)


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
LEVELS = {  # Play's only policy instead of FullAWSAccess -> does it allow everything (a statement allowing * on *)?
    "allow all": (_doc(ALL), True),
    "deny some and allow all": (_doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, ALL), True),
    "allow all under a condition": (_doc({**ALL, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), False),
    "allow one service": (_doc({**ALL, "Action": "s3:*"}), False),
    "allow all on one resource": (_doc({**ALL, "Resource": "arn:aws:s3:::b"}), False),
    "allow all but one action": (_doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), False),
    "not a policy": ("{not json", False),
}


@pytest.mark.parametrize("level", list(LEVELS))
def test_a_level_allows_everything_only_with_an_unconditional_allow_of_every_action_on_every_resource(org, level):
    """FullAWSAccess detached from Play and a policy attached instead, with a policy unknown until apply attached to
    Play: Play's decisions can only become more restrictive only if the level already allows everything (AWS: an
    action needs an Allow at every level; an SCP never grants); otherwise Play is unknown."""
    i = org.ids
    play = i["play"]
    content, full = LEVELS[level]
    x = f"{AT}.x"
    changes = [rc(f"{AT}.full", AT, ["delete"], {"id": "a", "policy_id": FULL, "target_id": play}, None),
               rc(f"{P}.lvl", P, ["create"], None, {"name": "Lvl", "type": "SERVICE_CONTROL_POLICY", "content": content},
                  {"id": True}),
               rc(f"{AT}.lvl", AT, ["create"], None, {"target_id": play}, {"id": True, "policy_id": True}),
               rc(x, AT, ["create"], None, {"target_id": play}, {"id": True, "policy_id": True})]
    config = [cfg(f"{AT}.lvl", AT, policy_id={"references": [f"{P}.lvl.id", f"{P}.lvl"]}),
              cfg(x, AT, policy_id={"references": ["local.policy_id"]})]
    res = plan_org(org, plan(changes, config))
    lvl = NEW + f"{P}.lvl"
    f = frames(org)
    f["policies"][(lvl,)] = {"policy_id": lvl, "name": "Lvl", "description": None, "aws_managed": False, "arn": None,
                             "type": "SERVICE_CONTROL_POLICY", "content": content}
    f["policy_targets"].pop((FULL, play))
    f["policy_targets"][(lvl, play)] = {"policy_id": lvl, "target_id": play, "target_type": "ACCOUNT",
                                        "target_name": "Play"}
    why_p = f"{x}.policy_id is unknown until apply (local.policy_id is not known)"
    reason = f"attaches a policy unknown until apply ({why_p}) to {play}: " + (
        "it can only take permissions away there (the level already allows everything, and an SCP never grants), so "
        f"the 1 account below ({play}) is evaluated without it and its decisions could only become more restrictive"
        if full else "the level does not already allow everything, so it could widen permissions as well as take "
        f"them away; the SCP decisions of the 1 account below ({play}) are unknown")
    unknown = {} if full else {play: f"a policy unknown until apply is attached above it ({why_p})"}
    restricted = {play: f"the policy that {x} attaches to {play} (unknown until apply)"} if full else {}
    assert whole(res) == expect(f, [note(x, reason, target_id=play)], unknown, {}, restricted, 1)


@pytest.mark.parametrize("content,grants", [
    (_doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}), False),
    (_doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}, {**ALL, "Action": "ec2:*"}), True),
    ("{not json", True),
])
def test_a_known_policy_attached_to_an_unknown_target_can_only_restrict_without_an_allow(org, content, grants):
    """A policy the plan creates, attached to a target unknown until apply: Deny-only, it can only take permissions
    away everywhere; with an Allow (or unreadable: it may have one) it could widen S3a and S3b (Strict does not allow
    everything), the others only restricted."""
    i = org.ids
    x = f"{AT}.x"
    changes = [rc(f"{P}.p", P, ["create"], None, {"name": "Pol", "type": "SERVICE_CONTROL_POLICY", "content": content},
                  {"id": True}),
               rc(x, AT, ["create"], None, {}, {"id": True, "policy_id": True, "target_id": True})]
    config = [cfg(x, AT, policy_id={"references": [f"{P}.p.id", f"{P}.p"]},
                  target_id={"references": ["local.target_id"]})]
    res = plan_org(org, plan(changes, config))
    pid = NEW + f"{P}.p"
    f = frames(org)
    f["policies"][(pid,)] = {"policy_id": pid, "name": "Pol", "description": None, "aws_managed": False, "arn": None,
                             "type": "SERVICE_CONTROL_POLICY", "content": content}
    what = f"the policy {x} attaches to a target unknown until apply"
    reason = (f"attaches {pid} to a target unknown until apply ({x}.target_id is unknown until apply (local.target_id "
              "is not known)): the accounts it reaches are unknown: ")
    accs = [i[k] for k in ("app", "dev", "play", "s3a", "s3b", "mgmt")]
    if grants:
        reason += ("it can only take permissions away (every level above them already allows everything), so 4 "
                   "accounts are evaluated without it; it could widen permissions where a level does not already allow "
                   "everything: the SCP decisions of 2 accounts are unknown")
        unknown = dict.fromkeys([i["s3a"], i["s3b"]], f"{what}: it could widen permissions")
    else:
        reason += "it can only take permissions away (it has no Allow), so 6 accounts are evaluated without it"
        unknown = {}
    restricted = {a: what for a in accs if a not in unknown}
    assert whole(res) == expect(f, [note(x, reason, policy_id=pid)], unknown, {}, restricted, 0)


@pytest.mark.parametrize("rest,path", [
    ("", []), (".id", ["id"]), ('.a[0]["k"].b', ["a", 0, "k", "b"]), ('["a.b"][12]', ["a.b", 12]), ("[x]", []),
    ('.tags["Team Name"]', ["tags", "Team Name"]), ('[""]', [""]), (".a-b_c.d", ["a-b_c", "d"])])
def test_a_reference_path_is_its_attribute_names_keys_and_indexes(rest, path):
    """``aws_x.y.a[0]["k"].b`` walks a, then element 0, then key k, then b (a quoted key may hold dots or spaces)."""
    assert _path(rest) == path


@pytest.mark.parametrize("value,unknown,path,got", [
    ({"a": [1, 2]}, None, ["a", 1], (True, 2)),
    ({"a": [1]}, None, ["a", 5], (True, None)),  # no such element: known to be absent
    ({"a": 1}, {"a": True}, ["a"], (False, 1)),  # the attribute itself unknown until apply
    ({"a": {"b": 1}}, {"a": True}, ["a", "b"], (False, None)),  # a part of an unknown object
    ({"a": {"b": 1}}, {"a": {"b": False}}, ["a", "b"], (True, 1)),
    (None, None, ["a"], (True, None)),
    ([1, 2], [False, True], [1], (False, 2)),  # after_unknown mirrors a list
    ({"a": 1}, {"a": [True]}, ["a", 0], (False, None)),
    ({"a": 1}, "odd", ["a"], (True, 1)),
    ({}, {"x": True}, ["x"], (False, None)),
    ({"a": 1}, {}, [], (True, {"a": 1})),
    ({"a": 1}, True, [], (False, {"a": 1})),
])
def test_walking_a_planned_value_and_its_after_unknown_twin(value, unknown, path, got):
    """(known, value) at ``path``: unknown when after_unknown marks that attribute or one above it as true."""
    assert _walk(value, unknown, path) == got
