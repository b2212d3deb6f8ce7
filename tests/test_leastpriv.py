"""orgkit.leastpriv / orgkit scp suggest on hand-built organisations with a hand-made service_access frame."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orgkit.leastpriv as lp
from orgkit import scp
from orgkit.leastpriv import proof as lp_proof
from orgkit.scp.lint import MAX_POLICY_CHARS, MAX_SCPS_PER_TARGET
from orgkit.testing import SnapshotSpec

from leastpriv_fixture import attach_usage, small_org

SERVICES = sorted(set(scp.default_catalog().frame["service"].dropna()))


def every(ago=None):
    return {s: ago for s in SERVICES}


@pytest.fixture()
def org_ids(tmp_path):
    org, ids = small_org(tmp_path)
    usage = {ids["a1"]: every(), ids["a2"]: every(), ids["a3"]: every()}
    usage[ids["a1"]].update({"s3": 3, "ec2": 10, "lambda": 200})
    usage[ids["a2"]].update({"dynamodb": 89})
    del usage[ids["a2"]]["sqs"]  # not in the report: unknown
    attach_usage(org, usage)
    return org, ids


def denied_by(s):
    return set(s.denied_services)


def test_deny_list_denies_only_the_surely_unused(org_ids):
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], days=90, exceptions=["role/BreakGlass"])
    st_ = s.services.set_index("service")["status"]
    assert st_["s3"] == "used" and st_["ec2"] == "used" and st_["dynamodb"] == "used"
    assert st_["lambda"] == "unused"  # last used 200 days ago, by an account older than the window
    assert st_["sqs"] == "unknown"
    assert st_["cloudtrail"] == "core" and st_["organizations"] == "core"
    d = denied_by(s)
    assert {"s3", "ec2", "dynamodb", "sqs", "cloudtrail", "guardduty", "iam", "sts"}.isdisjoint(d)
    assert "lambda" in d and "athena" in d
    assert d == set(st_[st_ == "unused"].index)
    assert s.ready and s.violations.empty
    for doc in s.policies:
        assert lp.policy_size(doc) <= MAX_POLICY_CHARS
        (stmt,) = doc["Statement"]
        assert stmt["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BreakGlass"]}}
    assert len(s.policies) <= MAX_SCPS_PER_TARGET - 1  # FullAWSAccess is attached to the OU
    # the proof is change review: orgkit.diff rows, denials of the unused services in both accounts
    eff = s.proof[s.proof["kind"] == "scp_effect"]
    assert set(eff["account_id"]) == {ids["a1"], ids["a2"]} and set(eff["service"]) == d
    # the engine agrees on the organisation with the proposal attached
    after = lp_proof.apply(org, s)
    assert scp.decide(after, ids["a1"], "lambda:InvokeFunction", principal="role/App").decision == "explicit_deny"
    assert scp.decide(after, ids["a1"], "lambda:InvokeFunction", principal="role/BreakGlass").decision == "allow"
    assert scp.decide(after, ids["a2"], "s3:GetObject", principal="role/App").decision == "allow"
    assert scp.decide(after, ids["a3"], "lambda:InvokeFunction", principal="role/App").decision == "allow"


def test_window_is_relative_to_collection_and_young_accounts_are_unknown(org_ids):
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], days=300)
    assert s.services.set_index("service")["status"]["lambda"] == "used"
    acc = org.frames["accounts"].copy()
    acc.loc[acc["account_id"] == ids["a2"], "joined_at"] = pd.Timestamp(org.manifest["collected_at"]) - pd.Timedelta(days=10)
    org.frames["accounts"] = acc
    s = lp.suggest(org, ids["workloads"], days=90)
    st_ = s.services.set_index("service")
    assert st_.loc["lambda", "status"] == "unknown" and "joined" in st_.loc["lambda", "reason"]
    assert "lambda" not in denied_by(s)


def test_not_collected_is_unknown_and_proposes_nothing(tmp_path):
    org, ids = small_org(tmp_path)
    s = lp.suggest(org, ids["workloads"])
    assert set(s.services["status"]) == {"unknown", "core"}
    assert not s.policies and not s.ready
    assert any("not collected" in n for n in s.notes)
    attach_usage(org, {ids["a1"]: every(), ids["a2"]: every()})
    org.access_reports_collected = False
    assert not lp.suggest(org, ids["workloads"]).policies


def test_account_without_a_report_keeps_everything(org_ids):
    org, ids = org_ids
    sa = org.frames["service_access"]
    org.frames["service_access"] = sa[sa["entity_id"] != ids["a2"]]
    s = lp.suggest(org, ids["workloads"])
    assert s.services.set_index("service")["status"]["lambda"] == "unknown"
    assert not s.policies


def test_count_limit_gives_up_and_says_so(org_ids, tmp_path):
    org, ids = org_ids
    # three more SCPs on the OU: with FullAWSAccess, 4 of 5 are taken; the denials need 2 policies
    pt = org.frames["policy_targets"]
    pol = org.frames["policies"]
    extra_p, extra_t = [], []
    for i in range(3):
        pid = f"p-extra{i}"
        extra_p.append({"policy_id": pid, "name": f"x{i}", "description": "", "type": "SERVICE_CONTROL_POLICY",
                        "aws_managed": False, "arn": None,
                        "content": json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Deny", "Action": "gamelift:*", "Resource": "*"}]})})
        extra_t.append({"policy_id": pid, "target_id": ids["workloads"], "target_type": "ORGANIZATIONAL_UNIT",
                        "target_name": "Workloads"})
    from orgkit.diff.terraform import rebuild

    org2 = rebuild(org, {r["ou_id"]: r for r in org.ous.to_dict("records")},
                   {r["account_id"]: r for r in org.accounts.to_dict("records")},
                   {r["policy_id"]: r for r in [*pol.to_dict("records"), *extra_p]},
                   {(r["policy_id"], r["target_id"]): r for r in [*pt.to_dict("records"), *extra_t]})
    org2.access_reports_collected = True
    s = lp.suggest(org2, ids["workloads"])
    assert len(s.policies) == 1 and s.slots == 1
    assert s.given_up and all("left allowed" in g["why"] for g in s.given_up)
    assert {g["service"] for g in s.given_up}.isdisjoint(denied_by(s))
    st_ = s.services.set_index("service")["status"]
    assert st_["gamelift"] == "denied"  # already denied by the SCPs in force: not denied again
    assert s.ready


def test_allow_list_replaces_the_targets_allow(org_ids):
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], strategy="allow-list", exceptions=["role/BreakGlass"])
    assert s.detach == ["p-FullAWSAccess"]
    allowed = {a.split(":")[0] for d in s.policies for x in d["Statement"] if x["Sid"].startswith("AllowUsed")
               for a in x["Action"]}
    assert {"s3", "ec2", "dynamodb", "sqs", "cloudtrail"} <= allowed and "lambda" not in allowed
    assert s.ready
    after = lp_proof.apply(org, s)
    assert scp.decide(after, ids["a1"], "lambda:InvokeFunction", principal="role/App").decision == "implicit_deny"
    assert scp.decide(after, ids["a1"], "lambda:InvokeFunction", principal="role/BreakGlass").decision == "allow"


def test_the_proof_catches_a_denial_of_something_used(org_ids, monkeypatch):
    org, ids = org_ids
    real = lp._deny_doc
    monkeypatch.setattr(lp, "_deny_doc", lambda actions, arns, n=1: real([*actions, "s3:*"], arns, n))
    s = lp.suggest(org, ids["workloads"])
    assert not s.ready
    assert set(s.violations["service"]) == {"s3"} and set(s.violations["account_id"]) == {ids["a1"]}


def test_bad_input(org_ids):
    org, ids = org_ids
    with pytest.raises(lp.LeastPrivError):
        lp.suggest(org, "ou-nope")
    with pytest.raises(lp.LeastPrivError):
        lp.suggest(org, ids["workloads"], exceptions=["BreakGlass"])
    with pytest.raises(lp.LeastPrivError):
        lp.suggest(org, ids["workloads"], exceptions=["arn:aws:iam::*:role/*"])
    with pytest.raises(lp.LeastPrivError):
        lp.suggest(org, ids["workloads"], strategy="nope")


def test_terraform_escapes_templates(org_ids):
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], exceptions=["arn:aws:iam::*:role/${aws:username}-%{x}"])
    tf = s.terraform()
    assert 'resource "aws_organizations_policy" "orgkit-least-privilege-Workloads-1"' in tf
    assert "aws_organizations_policy_attachment" in tf and f'target_id = "{ids["workloads"]}"' in tf
    assert "$${aws:username}-%%{x}" in tf and "jsonencode(" in tf


# ---------------------------------------------------------------------------------------------------- the CLI
def run(monkeypatch, capsys, org, argv):
    import orgkit.cli
    import orgkit.model

    monkeypatch.setattr(orgkit.model, "load", lambda path=None, verify=True: org)
    rc = orgkit.cli.main(["scp", "suggest", "/snap", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_formats(org_ids, monkeypatch, capsys):
    org, ids = org_ids
    rc, out, err = run(monkeypatch, capsys, org, ["--target", "Root/Workloads", "--except", "role/BreakGlass,role/Ops",
                                                  "--format", "json"])
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["ready"] and doc["exceptions"] == ["arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::*:role/Ops"]
    assert all(p["size"] <= 5120 for p in doc["policies"])
    assert "ready:" in err and "1 unknown" in err
    assert "exception arn:aws:iam::*:role/BreakGlass keeps access to the" in err  # the proof of the exceptions
    assert {r["verdict"] for r in doc["exceptions_proof"]} == {"keeps access"} and len(doc["exceptions_proof"]) == 4
    rc, out, err = run(monkeypatch, capsys, org, ["--target", ids["workloads"], "--format", "terraform"])
    assert rc == 0 and out.count('resource "aws_organizations_policy" ') == len(doc["policies"])
    rc, out, err = run(monkeypatch, capsys, org, ["--target", ids["workloads"]])
    assert rc == 0 and "lambda" in out and "explicit_deny" in out


def test_cli_not_ready_exits_1_and_prints_no_terraform(org_ids, monkeypatch, capsys):
    org, ids = org_ids
    real = lp._deny_doc
    monkeypatch.setattr(lp, "_deny_doc", lambda actions, arns, n=1: real([*actions, "ec2:*"], arns, n))
    rc, out, err = run(monkeypatch, capsys, org, ["--target", ids["workloads"], "--format", "terraform"])
    assert rc == 1 and out == "" and "NOT READY" in err
    rc, out, err = run(monkeypatch, capsys, org, ["--target", ids["workloads"], "--format", "json"])
    assert rc == 1 and json.loads(out)["ready"] is False


def test_cli_bad_target_one_line(org_ids, monkeypatch, capsys):
    org, ids = org_ids
    rc, out, err = run(monkeypatch, capsys, org, ["--target", "ou-\x1b[31mnope"])
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "\x1b" not in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------- the property test
@st.composite
def organisations(draw):
    n_ou = draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 3)) for _ in range(n_ou)]
    pool = ["s3", "ec2", "lambda", "sqs", "sns", "dynamodb", "athena", "glue", "kinesis", "rds", "ecs", "cloudtrail"]
    usage = []
    for n in shape:
        ou = []
        for _ in range(n):
            acc = {}
            for svc in draw(st.lists(st.sampled_from(pool), max_size=6, unique=True)):
                acc[svc] = draw(st.one_of(st.none(), st.integers(0, 400)))
            missing = draw(st.lists(st.sampled_from(pool), max_size=2, unique=True))
            ou.append((acc, missing, draw(st.sampled_from([400, 400, 30]))))
        usage.append(ou)
    extra = draw(st.integers(0, 4))
    return usage, extra, draw(st.sampled_from([30, 90, 365])), draw(st.sampled_from(["deny-list", "allow-list"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(organisations())
def test_property_no_proposal_denies_what_was_used(tmp_path_factory, gen):
    usage, extra, days, strategy = gen
    sb = SnapshotSpec()
    plan = []
    for i, ou_usage in enumerate(usage):
        ou = sb.ou(f"OU{i}")
        accs = [sb.account(f"A{i}{j}", parent=ou) for j in range(len(ou_usage))]
        plan.append((ou, list(zip(accs, ou_usage))))
    for k in range(min(extra, 4)):
        sb.policy(f"extra{k}", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "gamelift:*", "Resource": "*"}]}, targets=[plan[0][0]])
    org = sb.load(tmp_path_factory.mktemp("snap"))
    rows, joined = {}, {}
    for _, accs in plan:
        for aid, (acc, missing, age) in accs:
            u = every()
            u.update(acc)
            for m in missing:
                u.pop(m, None)
            rows[aid] = u
            joined[aid] = age
    attach_usage(org, rows)
    a = org.frames["accounts"].copy()
    a["joined_at"] = [pd.Timestamp(org.manifest["collected_at"]) - pd.Timedelta(days=joined.get(x, 400))
                      for x in a["account_id"]]
    org.frames["accounts"] = a
    # the first OU (it may hold the extra SCPs, so the count limit is exercised) and the root
    for target, accs in [plan[0], (org.root_id, [x for _, y in plan for x in y])]:
        s = lp.suggest(org, target, days=days, strategy=strategy)
        attached = int((org.policy_targets["target_id"] == target).sum())
        assert attached - len(s.detach) + len(s.policies) <= MAX_SCPS_PER_TARGET
        assert all(lp.policy_size(d) <= MAX_POLICY_CHARS for d in s.policies)
        if not s.policies:
            continue
        assert s.ready, s.violations
        after = lp_proof.apply(org, s)
        for aid, (acc, missing, age) in accs:
            for svc, ago in acc.items():
                if ago is not None and ago <= days and svc not in missing:
                    action = scp.default_catalog().expand(f"{svc}:*")[0]
                    d = scp.decide(after, aid, action, principal="role/App")
                    before = scp.decide(org, aid, action, principal="role/App")
                    assert d.decision == before.decision, (aid, svc)
        # and what it denies is surely unused: in the report, unused in the window, by accounts older than it
        # (or already denied there by the SCPs in force, so that the proposal changes nothing for that account)
        for svc in s.denied_services:
            action = scp.default_catalog().expand(f"{svc}:*")[0]
            for aid, (acc, missing, age) in accs:
                if scp.decide(org, aid, action, principal="role/App").decision in ("explicit_deny", "implicit_deny"):
                    continue
                assert svc not in missing and age >= days  # joined at the window's start: there all along
                assert acc.get(svc) is None or acc[svc] > days


# -------------------------------------------------------------------------------------------- notebook helpers
def test_notebook_helpers_on_an_org_with_reports(org_ids):
    from orgkit.leastpriv.notebook import default_target, losses, notes_markdown, status_by_ou, status_figure

    org, ids = org_ids
    by = status_by_ou(org, 90).set_index("ou_path")
    assert by.loc["Root/Workloads", "used"] == 3 and by.loc["Root/Workloads", "unknown"] == 1
    assert by.loc["Root/Sandbox", "used"] == 0 and by.loc["Root", "accounts"] == 3
    assert status_figure(by.reset_index()).axes
    assert default_target(org) == ids["workloads"]
    s = lp.suggest(org, ids["workloads"])
    lo = losses(s).set_index("account_id")
    assert set(lo.index) == {ids["a1"], ids["a2"]} and (lo["services_lost"] == len(s.denied_services)).all()
    s.notes.append("<b>x</b>")
    assert "&lt;b&gt;" in notes_markdown(s)


def test_figure_shows_hostile_ou_names_as_written(tmp_path):
    from orgkit.leastpriv.notebook import status_by_ou, status_figure

    sb = SnapshotSpec()
    ou = sb.ou("$\\alpha$ <b>x</b>")
    a = sb.account("A", parent=ou)
    org = sb.load(tmp_path / "snap")
    attach_usage(org, {a: every()})
    by = status_by_ou(org, 90)
    fig = status_figure(by)
    fig.canvas.draw()  # a malformed mathtext would raise here
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    path = by.loc[by["ou_id"] == ou, "ou_path"].iloc[0]
    assert path.startswith("Root/$") and path.replace("$", "\\$") in labels


def _attached(org, s):
    """The organisation with the proposal attached, as a later snapshot would show it (the proof's copy names and
    describes the policies as orgkit's Terraform does)."""
    after = lp_proof.apply(org, s)
    after.access_reports_collected = True
    return after


def test_a_rerun_after_attaching_says_what_is_denied_now_and_what_was_used_since(org_ids):
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], exceptions=["role/BreakGlass"])
    after = _attached(org, s)
    # since then: BreakGlass used lambda in App1 (denied attempts count as access too)
    sa = after.frames["service_access"].copy()
    m = (sa["entity_id"] == ids["a1"]) & (sa["service_namespace"] == "lambda")
    sa.loc[m, "last_authenticated"] = pd.Timestamp(after.manifest["collected_at"]) - pd.Timedelta(days=1)
    # and athena no longer appears in App2's report (the SCPs now deny it)
    sa = sa[~((sa["entity_id"] == ids["a2"]) & (sa["service_namespace"] == "athena"))]
    after.frames["service_access"] = sa
    again = lp.suggest(after, ids["workloads"], exceptions=["role/BreakGlass"])
    prev = again.previous
    assert len(prev["policies"]) == len(s.policies) and prev["denies"] == len(s.denied_services)
    assert prev["newly_used"] == ["lambda"]
    assert "athena" in prev["now_denied"]
    assert any("used in the window since (lambda" in n for n in again.notes)
    assert not again.policies and not again.updates  # every service still unused is denied already
    assert any("already say exactly this" in n and "no update" in n for n in again.notes)
    # other exceptions than those the attached policy names: an update in place, with the new condition
    moved = lp.suggest(after, ids["workloads"], exceptions=["role/BreakGlass", "role/AccountFactory"])
    assert moved.updates == prev["policies"] and set(moved.denied_services) == set(s.denied_services)
    assert moved.policies[0]["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [
        "arn:aws:iam::*:role/AccountFactory", "arn:aws:iam::*:role/BreakGlass"]
    assert moved.ready and moved.proof[moved.proof["kind"] == "scp_effect"].empty  # the probe loses nothing more


def test_a_rerun_updates_the_attached_policy_in_place_never_a_second_one_beside_it(org_ids):
    """Recognised by its name or by the description marker; the update keeps what it denies (today's effect) and
    adds what became unused; Terraform updates the same resource; the proof holds."""
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], exceptions=["role/BreakGlass"])
    assert s.updates == [] and s.retire == []
    after = _attached(org, s)
    old_ids = sorted(set(after.policy_targets.loc[after.policy_targets["target_id"] == ids["workloads"], "policy_id"])
                     - {"p-FullAWSAccess"})
    # renamed by someone: still recognised by the description marker
    pol = after.frames["policies"].copy()
    pol.loc[pol["policy_id"] == old_ids[0], "name"] = "renamed-by-hand"
    after.frames["policies"] = pol
    # since then: S3 fell out of use in both accounts (last used 120 days before the snapshot)
    sa = after.frames["service_access"].copy()
    sa.loc[sa["service_namespace"] == "s3", "last_authenticated"] = \
        pd.Timestamp(after.manifest["collected_at"]) - pd.Timedelta(days=120)
    after.frames["service_access"] = sa
    again = lp.suggest(after, ids["workloads"], exceptions=["role/BreakGlass"])
    assert len(old_ids) == len(s.policies) == 2 and set(again.previous["policies"]) == set(old_ids)
    assert again.updates == again.previous["policies"] and again.retire == []  # updated in place, none beside
    assert set(again.denied_services) == set(s.denied_services) | {"s3"}
    assert "renamed-by-hand" in again.policy_names()  # an updated policy keeps its name
    assert again.ready, again.violations
    eff = again.proof[again.proof["kind"] == "scp_effect"]
    assert set(eff["service"]) == {"s3"}  # only the newly unused service changes: the rest is denied already
    after2 = lp_proof.apply(after, again)
    attached2 = set(after2.policy_targets.loc[after2.policy_targets["target_id"] == ids["workloads"], "policy_id"])
    assert attached2 - {"p-FullAWSAccess"} <= set(old_ids)  # no second orgkit policy beside the first
    tf = again.terraform()
    assert f"# updates {again.updates[0]} in place" in tf
    assert tf.count('resource "aws_organizations_policy" ') == len(again.policies)
    from orgkit.leastpriv.terraform import _label

    assert f'resource "aws_organizations_policy" "{_label(again.policy_names()[0])}"' in tf
    assert again.to_json()["policies"][0]["updates"] == again.updates[0]


def test_an_allow_list_never_allows_more_than_today(org_ids, monkeypatch):
    org, ids = org_ids
    # today the OU allows only s3, ec2, dynamodb and sqs (its own allow-list instead of FullAWSAccess)
    from orgkit.diff.terraform import rebuild

    narrow = {"policy_id": "p-narrow", "name": "narrow", "description": "", "type": "SERVICE_CONTROL_POLICY",
              "aws_managed": False, "arn": None, "content": json.dumps({"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": ["s3:*", "ec2:*", "dynamodb:*", "sqs:*"], "Resource": "*"}]})}
    targets = {(r["policy_id"], r["target_id"]): r for r in org.policy_targets.to_dict("records")
               if not (r["policy_id"] == "p-FullAWSAccess" and r["target_id"] == ids["workloads"])}
    targets[("p-narrow", ids["workloads"])] = {"policy_id": "p-narrow", "target_id": ids["workloads"],
                                               "target_type": "ORGANIZATIONAL_UNIT", "target_name": "Workloads"}
    org2 = rebuild(org, {r["ou_id"]: r for r in org.ous.to_dict("records")},
                   {r["account_id"]: r for r in org.accounts.to_dict("records")},
                   {**{r["policy_id"]: r for r in org.policies.to_dict("records")}, "p-narrow": narrow}, targets)
    org2.access_reports_collected = True
    s = lp.suggest(org2, ids["workloads"], strategy="allow-list")
    assert s.detach == ["p-narrow"]
    allowed = {a.split(":")[0] for d in s.policies for x in d["Statement"] for a in x["Action"]}
    assert allowed == {"s3", "ec2", "dynamodb", "sqs"}  # what is denied today, the core too, stays denied
    assert s.ready
    # a proposal that would allow more than today is caught by the proof
    real = lp._allow_doc
    monkeypatch.setattr(lp, "_allow_doc", lambda actions, arns, n=1: real([*actions, "lambda:*"], arns, n))
    s = lp.suggest(org2, ids["workloads"], strategy="allow-list")
    assert not s.ready and set(s.violations["service"]) == {"lambda"}
    assert s.violations["violation"].str.contains("allowed more than today").all()


def test_a_rerun_retires_the_orgkit_policies_the_update_no_longer_needs(org_ids):
    """Three orgkit SCPs on Sandbox (by name prefix, or by the description marker alone): the update needs fewer,
    fills the first in place and retires the rest; only orgkit's own policies are touched."""
    org, ids = org_ids
    from orgkit.diff.terraform import rebuild

    def pol(pid, name, desc, svc):
        return {"policy_id": pid, "name": name, "description": desc, "type": "SERVICE_CONTROL_POLICY",
                "aws_managed": False, "arn": None, "content": json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Deny", "Action": [f"{svc}:*"], "Resource": "*"}]})}

    extra = {"p-a": pol("p-a", "orgkit-least-privilege-Sandbox-1", "", "athena"),
             "p-b": pol("p-b", "hand-named", "Least privilege for Sandbox (orgkit scp suggest)", "batch"),
             "p-c": pol("p-c", "orgkit-least-privilege-Sandbox-3", "", "glue"),
             "p-other": pol("p-other", "someone-elses", "not ours", "redshift")}
    targets = {(r["policy_id"], r["target_id"]): r for r in org.policy_targets.to_dict("records")}
    for pid in extra:
        targets[(pid, ids["sandbox"])] = {"policy_id": pid, "target_id": ids["sandbox"],
                                          "target_type": "ORGANIZATIONAL_UNIT", "target_name": "Sandbox"}
    org2 = rebuild(org, {r["ou_id"]: r for r in org.ous.to_dict("records")},
                   {r["account_id"]: r for r in org.accounts.to_dict("records")},
                   {**{r["policy_id"]: r for r in org.policies.to_dict("records")}, **extra}, targets)
    org2.access_reports_collected = True
    s = lp.suggest(org2, ids["sandbox"])
    assert s.previous["policies"] == ["p-b", "p-a", "p-c"]  # ordered by name; p-other is not orgkit's
    assert s.previous["denied_services"] == ["athena", "batch", "glue"]
    n = len(s.policies)
    assert 1 <= n < 3 and s.updates == ["p-b", "p-a", "p-c"][:n] and s.retire == ["p-b", "p-a", "p-c"][n:]
    assert {"athena", "batch", "glue"} <= set(s.denied_services) and "redshift" not in s.denied_services
    assert s.ready, s.violations
    after = lp_proof.apply(org2, s)
    on = set(after.policy_targets.loc[after.policy_targets["target_id"] == ids["sandbox"], "policy_id"])
    assert on == {"p-FullAWSAccess", "p-other", *s.updates}
    assert f"# retire {s.retire[0]}" in s.terraform()


def test_the_proof_shows_the_exceptions_keep_access_to_what_is_denied(org_ids, monkeypatch):
    """Each exception principal, evaluated by the SCP engine with its ARN in each account (the ArnNotLike / ArnLike
    conditions decided, not assumed), keeps every decision on every service the proposal takes away."""
    org, ids = org_ids
    s = lp.suggest(org, ids["workloads"], exceptions=["role/BreakGlass", f"arn:aws:iam::{ids['a1']}:role/Ops*"])
    ep = s.exceptions_proof
    assert s.ready and list(ep.columns) == lp_proof.EXCEPTION_COLUMNS
    bg = ep[ep["exception"] == "arn:aws:iam::*:role/BreakGlass"]
    assert set(bg["account_id"]) == {ids["a1"], ids["a2"]}  # every account where something is taken away
    assert set(bg["principal"]) == {f"arn:aws:iam::{a}:role/BreakGlass" for a in (ids["a1"], ids["a2"])}
    ops = ep[ep["exception"].str.endswith("role/Ops*")]
    assert list(ops["account_id"]) == [ids["a1"]] and list(ops["principal"]) == [f"arn:aws:iam::{ids['a1']}:role/OpsX"]
    assert (ep["verdict"] == "keeps access").all() and (ep["services_kept"] == ep["services_denied"]).all()
    assert (ep["services_denied"] == len(s.denied_services)).all()
    assert s.to_json()["exceptions_proof"][0]["verdict"] == "keeps access"
    # the allow-list keeps them too (Allow * with ArnLike aws:PrincipalArn)
    a = lp.suggest(org, ids["workloads"], strategy="allow-list", exceptions=["role/BreakGlass"])
    assert a.ready and len(a.exceptions_proof) == 2 and (a.exceptions_proof["verdict"] == "keeps access").all()
    # a proposal that forgets the exception condition locks them out: caught, never ready
    real = lp._deny_doc
    monkeypatch.setattr(lp, "_deny_doc", lambda actions, arns, n=1: real(actions, [], n))
    bad = lp.suggest(org, ids["workloads"], exceptions=["role/BreakGlass"])
    assert not bad.ready and (bad.exceptions_proof["verdict"] == "loses access").all()
    assert bad.violations["violation"].str.contains("the exception arn:aws:iam::\\*:role/BreakGlass loses access").any()
    assert "lambda" in bad.exceptions_proof["lost"].iloc[0]
