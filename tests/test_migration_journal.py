"""The migration executor's journal and its refusals (orgkit.aws.migrate), in-process and without AWS: what a run
refuses before it makes any call, the journal file it writes and the journals it will not resume from, and the
before/after coverage counts. The runs themselves are in tests/test_migration_executor.py (local AWS)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orgkit.aws.migrate import (STATUSES, Journal, JournalError, MigrationError, RunResult, StepRecord, _snake,
                                before_after, execute)
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.testing import SnapshotSpec

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture
def plan(tmp_path):
    """Security administers App by invitation in two regions; the management account has no detector."""
    sb = SnapshotSpec(regions=list(REGIONS))
    sec, app = sb.account("Security"), sb.account("App")
    for r in REGIONS:
        sb.detector(sec, r, administrator={}, members=[SnapshotSpec.member(app, sec, invited=True)])
        sb.detector(app, r, administrator={"AccountId": sec, "RelationshipStatus": "Enabled", "InvitationId": "i",
                                           "InvitedAt": "2026-01-01T00:00:00.000Z"})
    return plan_migration(sb.load(tmp_path / "snap"), admin=sec)


class NoCallFactory(SessionFactory):
    """A factory whose every call would fail the test: the refusals below come before any call."""

    def identity(self):
        raise AssertionError("a call was made")

    def client(self, *a, **kw):
        raise AssertionError("a call was made")


STEP_IDS = [f"{r}/{k}" for r in REGIONS for k in ("3-designate_admin", "4-enable_admin_detector", "5-set_auto_enable",
                                                   "7-enable_management_detector", "8-enrol_members", "11-verify")]


def test_the_journal_file_written_for_a_plan(plan, tmp_path):
    assert [s.step_id for s in plan.steps] == STEP_IDS
    path = tmp_path / "deeper" / "journal.json"
    j = Journal.for_plan(plan, plan.steps, path)
    j.save()  # the directory is made
    assert path.read_text().endswith("}\n")
    d = json.loads(path.read_text())
    assert list(d) == ["plan_id", "admin_account_id", "runs", "steps"]
    assert (d["plan_id"], d["admin_account_id"], d["runs"]) == (plan.plan_id, plan.target.admin_account_id, [])
    assert d["steps"] == [{"step_id": s.step_id, "region": s.region, "kind": s.kind, "account_id": s.account_id,
                           "api": s.api, "status": "pending", "error_code": None, "message": None, "calls": [],
                           "at": None} for s in plan.steps]
    assert [p.name for p in path.parent.iterdir()] == ["journal.json"]  # no temporary file left
    back = Journal.load(path)
    assert (back.path, back.plan_id, back.admin_account_id, back.runs, back.steps) == (
        path, j.plan_id, j.admin_account_id, [], j.steps)
    back.check_steps(plan)
    assert back.record("eu-west-1/8-enrol_members") is back.steps[10]
    f = back.frame()
    assert list(f.columns) == ["step_id", "region", "kind", "account_id", "api", "status", "error_code", "message"]
    assert f["step_id"].tolist() == STEP_IDS and set(f["status"]) == {"pending"}
    # a journal without a path (a dry run) writes nothing
    Journal.for_plan(plan, plan.steps, None).save()
    assert STATUSES == ("pending", "done", "skipped", "failed")


def test_journals_that_cannot_be_resumed_are_refused_word_for_word(plan, tmp_path):
    good = Journal.for_plan(plan, plan.steps, None).to_dict()
    p = tmp_path / "j.json"

    def load(content):
        p.write_text(content if isinstance(content, str) else json.dumps(content))
        with pytest.raises(JournalError) as e:
            Journal.load(p).check_steps(plan)
        return str(e.value)

    assert load("{") == (f"{p}: not a readable migration journal (JSONDecodeError: Expecting property name "
                         "enclosed in double quotes: line 1 column 2 (char 1)); move it aside to start again")
    assert load("[]") == (f"{p}: not a readable migration journal (TypeError: list indices must be integers or "
                          "slices, not str); move it aside to start again")
    assert load({"plan_id": "x"}) == (f"{p}: not a readable migration journal (KeyError: 'admin_account_id'); move "
                                      "it aside to start again")
    assert load(dict(good, steps=[{"bogus": 1}])) == (
        f"{p}: not a readable migration journal (TypeError: StepRecord.__init__() got an unexpected keyword argument "
        "'bogus'); move it aside to start again")
    edited = dict(good, steps=[dict(s, status="done" if i else "finished") for i, s in enumerate(good["steps"])])
    assert load(edited) == (f"{p}: step us-east-1/3-designate_admin has an unknown status (edited?); move it aside "
                            "to start again")
    assert load(dict(good, runs={"started_at": "x"})) == (
        f"{p}: its record of runs is not a list (edited?); move it aside to start again")
    tail = (" (edited or truncated?): move it aside to start again (each step checks the live state first, so "
            "nothing is done twice)")
    assert load(dict(good, steps=good["steps"][:-3])) == (
        f"{p}: the journal of this plan lacks step eu-west-1/7-enable_management_detector and 2 more" + tail)
    assert load(dict(good, steps=good["steps"][:-1])) == (
        f"{p}: the journal of this plan lacks step eu-west-1/11-verify" + tail)
    assert load(dict(good, steps=good["steps"] + [dict(good["steps"][0], step_id="zz/1")])) == (
        f"{p}: the journal of this plan has step zz/1 that the plan has not" + tail)
    assert load(dict(good, steps=good["steps"][::-1])) == (
        f"{p}: the journal of this plan lists the steps out of order or twice" + tail)
    assert load(dict(good, steps=good["steps"] + good["steps"][:1])) == (
        f"{p}: the journal of this plan lists the steps out of order or twice" + tail)
    missing = tmp_path / "none.json"
    with pytest.raises(JournalError) as e:
        Journal.load(missing)
    assert str(e.value) == (f"{missing}: not a readable migration journal (FileNotFoundError: [Errno 2] No such file "
                            f"or directory: '{missing}'); move it aside to start again")
    # runs absent or null read as none
    p.write_text(json.dumps({k: v for k, v in good.items() if k != "runs"}))
    assert Journal.load(p).runs == []


def test_what_a_run_refuses_before_any_call(plan, tmp_path):
    ro, rw = NoCallFactory(), NoCallFactory(allow_writes=True)
    with pytest.raises(MigrationError) as e:
        execute(plan, ro, regions=["ap-south-1"])
    assert str(e.value) == "no step to run (check --regions)"
    with pytest.raises(MigrationError) as e:
        execute(plan, ro, dry_run=False)
    assert str(e.value) == "applying a plan needs SessionFactory(allow_writes=True)"
    # a journal of another plan, or not of this plan's steps, is refused before the caller is checked
    j = tmp_path / "journal.json"
    Journal(path=j, plan_id="0123456789abcdef", admin_account_id="x", steps=[]).save()
    with pytest.raises(JournalError) as e:
        execute(plan, rw, journal_path=j, dry_run=False)
    assert str(e.value) == (f"{j} is the journal of another plan (0123456789abcdef, this one is {plan.plan_id}): use "
                            "another journal file")
    Journal(path=j, plan_id=plan.plan_id, admin_account_id="x", steps=[]).save()
    with pytest.raises(JournalError, match="lacks step us-east-1/3-designate_admin and 11 more"):
        execute(plan, rw, journal_path=j, dry_run=False)
    # a dry run never reads the journal (nor writes it): it goes on to the caller check
    with pytest.raises(AssertionError, match="a call was made"):
        execute(plan, ro, journal_path=j, dry_run=True)
    # a blocked region is refused, unless allowed
    from orgkit.guardduty.plan import Issue

    plan.issues.append(Issue("error", "region_not_enabled", "eu-west-1", None, "x"))
    with pytest.raises(MigrationError) as e:
        execute(plan, rw, dry_run=False)
    assert str(e.value) == ("pre-flight errors block eu-west-1: fix them (see the plan's issues) or leave those regions "
                            "out")
    with pytest.raises(AssertionError, match="a call was made"):  # us-east-1 alone is not blocked
        execute(plan, rw, dry_run=False, regions=["us-east-1"])
    with pytest.raises(AssertionError, match="a call was made"):
        execute(plan, rw, dry_run=False, allow_blocked=True)
    plan.issues.append(Issue("error", "admin_not_in_organization", None, None, "x"))
    with pytest.raises(MigrationError) as e:
        execute(plan, rw, dry_run=False, regions=["us-east-1"])
    assert str(e.value) == ("pre-flight errors block us-east-1: fix them (see the plan's issues) or leave those "
                            "regions out")


def test_the_caller_must_be_the_management_account(plan):
    class Elsewhere(NoCallFactory):
        def identity(self):
            return {"Account": "222233334444"}

    with pytest.raises(MigrationError) as e:
        execute(plan, Elsewhere())
    assert str(e.value) == ("the credentials are for 222233334444, not the management account 111111111111: "
                            "EnableOrganizationAdminAccount must come from it")


def test_operation_names_become_boto3_method_names():
    assert [_snake(op) for op in ("CreateMembers", "DisassociateFromAdministratorAccount", "UpdateDetector",
                                  "EnableOrganizationAdminAccount", "X")] == [
        "create_members", "disassociate_from_administrator_account", "update_detector",
        "enable_organization_admin_account", "x"]


def test_run_result_and_step_record():
    j = Journal(path=None, plan_id="p", admin_account_id="a", steps=[StepRecord("r/1", "r", "verify", "a", None)])
    ok = RunResult(journal=j, dry_run=True, stopped_at=None, read_calls=1, write_calls=0)
    assert ok.ok and not RunResult(journal=j, dry_run=False, stopped_at="r/1", read_calls=1, write_calls=0).ok
    assert ok.frame().values.tolist() == [["r/1", "r", "verify", "a", None, "pending", None, None]]
    assert (ok.writes, ok.would_run, ok.after_snapshot, ok.before_after) == ([], [], None, None)


def _coverage(rows):
    return pd.DataFrame(rows, columns=["region", "status"])


def test_before_and_after_counts_compared_whole():
    before = _coverage([("us-east-1", "invited_member"), ("us-east-1", "invited_member"), ("us-east-1", "none"),
                        ("eu-west-1", "none"), ("ap-south-1", "none")])
    after = _coverage([("us-east-1", "org_member"), ("us-east-1", "org_member"), ("us-east-1", "org_member"),
                       ("eu-west-1", "org_member"), ("ap-south-1", "none")])
    df = before_after(before, after, ["us-east-1", "eu-west-1"])
    assert list(df.columns) == ["region", "status", "before", "after"]
    assert df.values.tolist() == [["eu-west-1", "none", 1, 0], ["eu-west-1", "org_member", 0, 1],
                                  ["us-east-1", "invited_member", 2, 0], ["us-east-1", "none", 1, 0],
                                  ["us-east-1", "org_member", 0, 3]]
    assert df.index.tolist() == list(range(5))
    assert before_after(before, after).values.tolist()[:2] == [["ap-south-1", "none", 1, 1],
                                                               ["eu-west-1", "none", 1, 0]]
    # nothing known before: zero before, not missing
    for b in (None, _coverage([])):
        assert before_after(b, after, ["eu-west-1"]).values.tolist() == [["eu-west-1", "org_member", 0, 1]]
    assert before_after(None, after)["before"].dtype == "int64"


def test_accounts_aws_did_not_process_fail_the_step():
    """CreateMembers, DisassociateMembers and StartMonitoringMembers answer "A list of objects that include the
    accountIds of the unprocessed accounts and a result string that explains why each was unprocessed"
    (UnprocessedAccounts, https://docs.aws.amazon.com/sdk-for-ruby/v3/api/Aws/GuardDuty/Types/CreateMembersResponse.html):
    the step fails, naming each account and AWS's reason; an empty list is success."""
    from orgkit.aws.migrate import StepFailed, _unprocessed

    _unprocessed({"UnprocessedAccounts": []})
    _unprocessed({})
    with pytest.raises(StepFailed) as e:
        _unprocessed({"UnprocessedAccounts": [{"AccountId": "111122223333", "Result": "The account is not part of "
                                               "the organization"}, {"AccountId": "444455556666", "Result": "x"}]})
    assert (e.value.code, e.value.message, str(e.value)) == (
        "UnprocessedAccounts", "111122223333: The account is not part of the organization; 444455556666: x",
        "UnprocessedAccounts: 111122223333: The account is not part of the organization; 444455556666: x")
