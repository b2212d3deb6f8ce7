"""The helpers behind notebooks/03-guardduty-migration.ipynb (orgkit.guardduty.notebook): the display tables over
the bundled demo's plan, the runbook's preview (no AWS), and the runbook against the local AWS, group by group."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import orgkit
from orgkit.guardduty import plan_migration
from orgkit.guardduty.notebook import (
    STEP_GROUPS,
    Folded,
    Runbook,
    RunbookError,
    _view,
    group_of,
    invitation_arithmetic,
    issues_table,
    plan_steps,
    short_params,
    status_table,
    tie_summary,
    verify_checks,
)

WRITES = ("Enable", "Create", "Update", "Disassociate", "Delete", "Invite", "Accept")


@pytest.fixture(scope="module")
def org():
    return orgkit.load()


@pytest.fixture(scope="module")
def plan(org):
    return plan_migration(org)


# ----------------------------------------------------------------------------------------------- tables
def test_status_table_totals(plan):
    t = status_table(plan)
    assert list(t.index) == [*plan.regions, "total"]
    assert (t["total"].drop("total") == 15).all()  # 15 accounts in every region
    assert t.loc["total", "total"] == len(plan.current.coverage)
    assert t.loc["us-west-2", "invited_member"] == 8 and t.loc["us-east-1", "org_member"] == 13
    assert t.loc["us-east-1", "partial"] == 1  # Stage App: Runtime Monitoring off where the organisation needs it


def test_invitation_arithmetic(org, plan):
    t = invitation_arithmetic(org, plan)["value"]
    assert t["regions in scope"] == 4 and t["active accounts in the organisation"] == 15
    assert t["invitations to cover every account"] == 4 * (15 - 1)
    assert t["memberships the plan expects"] == sum(len(v) for v in plan.expected_members.values())
    assert (t["invitations sent (today)"], t["accepted"], t["pending (invited, never accepted)"]) == (13, 12, 1)
    assert t["sent to accounts outside the organisation"] == 1
    assert t["invitations per new account, today"] == 4 and t["invitations per new account, after"] == 0


def test_tie_summary_groups_every_member(plan):
    t = tie_summary(plan)
    assert t["members"].sum() == len(plan.current.ties)
    assert list(dict.fromkeys(t["region"])) == [r for r in plan.regions if r in set(t["region"])]
    pending = t[(t["region"] == "us-west-2") & (t["relationship_status"] == "Invited")]
    assert pending["accounts"].tolist() == ["Interview 2"] and pending["tie"].tolist() == ["invitation"]
    outside = t[~t["in_organization"]]
    assert outside["accounts"].tolist() == ["999900001111"]  # no name: shown by id


def test_short_params():
    p = {"DetectorId": "d1", "AccountDetails": [{"AccountId": f"{i:012d}", "Email": "x"} for i in range(8)]}
    s = short_params(p, limit=3)
    assert s == "DetectorId=d1; AccountDetails=[000000000000, 000000000001, 000000000002, … 5 more]"
    assert short_params({"Features": [{"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"}]}) == \
        "Features=[S3_DATA_EVENTS:ALL]"
    assert short_params({"Enable": True}) == "Enable=True"


def test_plan_steps_in_order_with_caller(plan):
    df = plan_steps(plan, styled=False)
    assert df["#"].tolist() == list(range(1, len(plan.steps) + 1))
    first = df.iloc[0]
    assert first["call"] == "EnableOrganizationAdminAccount" and first["calling account"].endswith("(management)")
    assert first["parameters"] == f"AdminAccountId={plan.target.admin_account_id}"
    html = plan_steps(plan).to_html()
    assert "gd-plan-steps" in html and html == plan_steps(plan).to_html()  # stable


def test_issues_table_errors_first(org):
    p = plan_migration(org, admin="111122223333")  # not in the organisation: an error for every region
    t = issues_table(p)
    assert t.iloc[0]["severity"] == "error" and t.iloc[0]["check"] == "admin_not_in_organization"
    assert list(t["severity"]) == sorted(t["severity"], key=["error", "warning", "info"].index)


def test_verify_checks(plan):
    v = verify_checks(plan)
    assert v["region"].tolist() == plan.regions
    assert v["expected members"].tolist() == [len(plan.expected_members[r]) for r in plan.regions]


def test_folded():
    f = Folded("a < b", "summary")
    assert ("<details class='mathjax_ignore tex2jax_ignore'><summary>summary</summary><pre>a &lt; b</pre></details>"
            == f._repr_html_())
    assert repr(f) == "summary\n\na < b"


# ----------------------------------------------------------------------------------------------- runbook, offline
def test_groups_cover_every_step_kind():
    from orgkit.guardduty import STEP_KINDS

    assert sorted(k for ks in STEP_GROUPS.values() for k in ks) == sorted(STEP_KINDS)
    assert group_of("enrol_members") == "enrol"


def test_view_keeps_plan_id_and_narrows(plan):
    v = _view(plan, ["enrol_members"])
    assert v.plan_id == plan.plan_id and len(v.steps) == len(plan.steps)
    assert {s.kind for s in v.steps_in()} == {"enrol_members"}
    assert [s.region for s in v.steps_in(["eu-west-1"])] == ["eu-west-1"]


def test_preview_makes_no_aws_call(plan, monkeypatch):
    from orgkit.aws import session

    def boom(*a, **kw):
        raise AssertionError("preview made a session factory")

    monkeypatch.setattr(session, "SessionFactory", boom)
    rb = Runbook(plan)
    r = rb.run("designate")
    assert r.mode == "preview" and r.read_calls is None and r.ok
    st = dict(zip(r.frame["region"] + "/" + r.frame["step"], r.frame["status"]))
    assert st["us-east-1/designate_admin"] == "skipped" and st["us-west-2/designate_admin"] == "pending"
    enrol = rb.run("enrol").frame
    enrol = enrol[enrol["step"] == "enrol_members"].set_index("region")
    assert enrol.loc["us-west-2", "message"].startswith("would run: CreateMembers(")
    assert rb.run("release").frame.empty  # no other administrator in the demo
    assert "Preview from the snapshot" in rb.run("verify").headline()
    with pytest.raises(RunbookError):
        rb.factory()
    # not applied: the outcome is what the verify step will read back, one row per region of the plan
    out = rb.outcome()
    checks = out.data
    verify = {s.region: s for s in plan.steps if s.kind == "verify"}
    assert list(checks["region"]) == [s.region for s in plan.steps if s.kind == "verify"] == list(plan.regions)
    for _, row in checks.iterrows():
        assert row["expected members"] == len(verify[row["region"]].accounts) > 0
        assert plan.target.admin_account_id in row["delegated administrator"]
        assert row["auto-enable"] == plan.target.auto_enable and row["checked by"] == verify[row["region"]].check
    counts = plan.current.status_counts()
    assert checks.set_index("region").loc["us-west-2", "coverage today"] == ", ".join(
        f"{k} {int(v)}" for k, v in counts.loc["us-west-2"].items() if v)
    assert "invited_member 8" in checks.set_index("region").loc["us-west-2", "coverage today"]
    html = out.to_html()
    assert "Not applied" in html and plan.target.admin_account_id in html


def test_runbook_refusals(org, plan):
    with pytest.raises(RunbookError, match="journal"):
        Runbook(plan, apply=True)
    with pytest.raises(RunbookError, match="unknown step group"):
        Runbook(plan).run("everything")
    blocked = plan_migration(org, admin="111122223333")
    with pytest.raises(RunbookError, match="block every region"):
        Runbook(blocked).run("designate")
    assert "Not run" in RunbookError("x")._repr_html_()


# ----------------------------------------------------------------------------------------------- runbook, local AWS
@pytest.fixture(scope="module")
def small(small_org, tmp_path_factory):
    from conftest import SMALL

    from orgkit.aws.collect import collect
    from orgkit.model import load

    aws, ids = small_org
    tmp = tmp_path_factory.mktemp("rb")
    snap = collect(tmp / "snap", endpoint_url=aws.endpoint_url, regions=SMALL["regions"], progress=False, workers=8)
    return aws, ids, tmp, plan_migration(load(snap))


@pytest.mark.integration
def test_runbook_live_check_then_apply_group_by_group(small):
    aws, ids, tmp, plan = small
    url = aws.endpoint_url

    # live check: read calls only
    aws.clear_calls()
    live = Runbook(plan, live_check=True, endpoint_url=url).run("enrol")
    ops = {c["operation"] for c in aws.calls()}
    assert live.mode == "live_check" and live.write_calls == 0 and live.read_calls > 0
    assert ops and not any(op.startswith(WRITES) for op in ops), ops
    assert "enrol_members" in set(live.frame["step"])
    assert set(live.frame["step"]) <= set(STEP_GROUPS["enrol"])

    # applied: the first group writes only its own calls
    journal = tmp / "journal.json"
    rb = Runbook(plan, apply=True, endpoint_url=url, journal=journal)
    aws.clear_calls()
    r1 = rb.run("designate")
    ops = {c["operation"] for c in aws.calls() if c["operation"].startswith(WRITES)}
    # (designation also enables GuardDuty in the admin, so CreateDetector may be skipped)
    assert r1.ok and "EnableOrganizationAdminAccount" in ops
    assert ops <= {"EnableOrganizationAdminAccount", "CreateDetector"}, ops
    assert set(r1.frame["step"]) == {"designate_admin", "enable_admin_detector"}

    # skip the configure cell: enrol completes the configuration first, and stops at the injected fault
    aws.add_fault("AccessDeniedException", http_status=403, account_id=ids["security"], region="eu-west-1",
                  service="guardduty", operation="CreateMembers")
    try:
        r2 = rb.run("enrol")
    finally:
        aws.clear_faults()
    assert r2.stopped_at == "eu-west-1/8-enrol_members" and not r2.ok
    failed = r2.frame[r2.frame["status"] == "failed"]
    assert failed["message"].str.startswith("AccessDeniedException").all() and len(failed) == 1
    assert "us-east-1" in set(r2.frame.loc[r2.frame["step"] == "enrol_members", "region"])
    assert "set_auto_enable" in set(r2.frame["step"])  # the skipped group's step, done on the way
    assert "STOPPED" in r2.headline()
    with pytest.raises(RunbookError, match="stopped at eu-west-1/8-enrol_members"):
        rb.run("verify")
    assert json.loads(journal.read_text())["steps"]  # the journal keeps the stop

    # run the stopped cell again: it resumes; then the rest
    r3 = rb.run("enrol")
    assert r3.ok and rb.stopped is None
    r4 = rb.run("verify")
    assert r4.ok and (r4.frame["status"] == "done").all()
    out = rb.outcome()
    assert isinstance(out, pd.DataFrame) and out.loc[("eu-south-1", "org_member"), "after"] > 0
    assert rb.journal_frame()["status"].isin(["done", "skipped"]).all()

    # the whole runbook again, same journal: no write call
    again = Runbook(plan, apply=True, endpoint_url=url, journal=journal)
    assert sum(again.run(g).write_calls for g in STEP_GROUPS) == 0
    assert "in an earlier run" in again.runs["designate"].frame["message"].iloc[0]
