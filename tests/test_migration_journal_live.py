"""One small migration in the local AWS, every journal record compared whole: a dry run (read calls only: what
would run and why), the applied run (each step's status, message and the write calls it made) and a second run
(every step skipped, each saying why). Function-scoped on purpose: mutation testing (TESTING.md) runs for each
mutant only the tests that called its function, and a module-scoped fixture would credit the run to one test."""

from __future__ import annotations

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import execute
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

R = "us-east-2"
SCENARIO = {
    "name": "journal", "seed": 31, "regions": [R], "ous": {"Sec": {}, "Apps": {}},
    "accounts": [{"key": "sec", "name": "Sec", "ou": "Sec"}, {"key": "app", "name": "App", "ou": "Apps"},
                 {"key": "new", "name": "New", "ou": "Apps"}],
    "guardduty": {"detectors": [{"account": "sec", "regions": [R]}],
                  "invitations": [{"admin": "sec", "region": R, "members": ["app"], "accept": ["app"]}]},
}
NOT_ADMIN = ("BadRequestException: The request is rejected because the current account is not the GuardDuty "
             "delegated administrator account of the organization.")


def test_dry_run_applied_run_and_second_run_journals_compared_whole(local_aws, tmp_path):
    ids = build_org(local_aws, SCENARIO)
    url = local_aws.endpoint_url
    before = load(collect(tmp_path / "before", factory=SessionFactory(endpoint_url=url), regions=[R], progress=False,
                          workers=4))
    plan = plan_migration(before, admin=ids["sec"], auto_enable="NEW", features=["S3_DATA_EVENTS"])
    sec, mgmt, new = ids["sec"], ids["management"], ids["new"]
    det = plan.admin_detectors[R]
    enrolled = sorted([mgmt, new])
    details = [{"AccountId": a, "Email": f"{'master' if a == mgmt else 'new'}@example.com"} for a in enrolled]

    dry = execute(plan, SessionFactory(endpoint_url=url), dry_run=True)
    assert [(r.step_id, r.status, r.error_code, r.message, r.calls) for r in dry.journal.steps] == [
        (f"{R}/3-designate_admin", "pending", None, f"would run: EnableOrganizationAdminAccount(AdminAccountId={sec})",
         []),
        (f"{R}/4-enable_admin_detector", "skipped", None, f"detector {det} is enabled", []),
        (f"{R}/5-set_auto_enable", "pending", "BadRequestException", f"not yet ({NOT_ADMIN})", []),
        (f"{R}/6-align_features", "pending", "BadRequestException", f"not yet ({NOT_ADMIN})", []),
        (f"{R}/7-enable_management_detector", "pending", None, "would run: CreateDetector(Enable=True)", []),
        (f"{R}/8-enrol_members", "pending", None, f"would run: CreateMembers({', '.join(enrolled)})", []),
        (f"{R}/11-verify", "pending", "BadRequestException", f"not yet ({NOT_ADMIN})", [])]
    assert dry.would_run == [f"{R}/{k}" for k in ("3-designate_admin", "5-set_auto_enable", "6-align_features",
                                                   "7-enable_management_detector", "8-enrol_members", "11-verify")]
    assert (dry.ok, dry.dry_run, dry.stopped_at, dry.write_calls, dry.writes) == (True, True, None, 0, [])
    assert dry.read_calls > 0 and dry.journal.path is None

    journal = tmp_path / "j.json"
    writer = SessionFactory(endpoint_url=url, allow_writes=True)
    res = execute(plan, writer, journal_path=journal, dry_run=False)

    def call(account, op, **params):
        return {"account_id": account, "region": R, "operation": op, "params": params}

    want = [
        (f"{R}/3-designate_admin", "done", None, f"EnableOrganizationAdminAccount(AdminAccountId={sec})",
         [call(mgmt, "EnableOrganizationAdminAccount", AdminAccountId=sec)]),
        (f"{R}/4-enable_admin_detector", "skipped", None, f"detector {det} is enabled", []),
        (f"{R}/5-set_auto_enable", "done", None, "auto-enable NONE → NEW",
         [call(sec, "UpdateOrganizationConfiguration", DetectorId=det, AutoEnableOrganizationMembers="NEW")]),
        (f"{R}/6-align_features", "done", None, "features to set: S3_DATA_EVENTS",
         [call(sec, "UpdateOrganizationConfiguration", DetectorId=det, AutoEnableOrganizationMembers="NEW",
               Features=[{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}])]),
        (f"{R}/7-enable_management_detector", "done", None, "CreateDetector(Enable=True)",
         [call(mgmt, "CreateDetector", Enable=True)]),
        (f"{R}/8-enrol_members", "done", None, f"CreateMembers({', '.join(enrolled)})",
         [call(sec, "CreateMembers", DetectorId=det, AccountDetails=details)]),
        (f"{R}/11-verify", "done", None, "verified: 3 members, auto-enable NEW", [])]
    assert [(r.step_id, r.status, r.error_code, r.message, r.calls) for r in res.journal.steps] == want
    assert (res.ok, res.stopped_at, res.write_calls) == (True, None, 5)
    assert res.writes == [(c["account_id"], R, c["operation"]) for w in want for c in w[4]]
    assert [(r["dry_run"], r["regions"], r["stopped_at"]) for r in res.journal.runs] == [(False, [R], None)]
    run = res.journal.runs[0]
    assert list(run) == ["started_at", "dry_run", "regions", "finished_at", "stopped_at"]
    assert run["started_at"] <= run["finished_at"] and run["finished_at"].endswith("+00:00")
    assert all(r.at for r in res.journal.steps)
    import json

    on_disk = json.loads(journal.read_text())
    assert [(s["step_id"], s["status"], s["message"], s["calls"]) for s in on_disk["steps"]] == \
        [(w[0], w[1], w[3], w[4]) for w in want]

    # the same factory again: its call log holds the first run's writes, which are not this run's
    again = execute(plan, writer, dry_run=False)
    mgmt_det = load(collect(tmp_path / "after", factory=SessionFactory(endpoint_url=url), regions=[R],
                            progress=False, workers=4)).detectors.set_index("account_id").loc[mgmt, "detector_id"]
    assert [(r.step_id, r.status, r.message, r.calls) for r in again.journal.steps] == [
        (f"{R}/3-designate_admin", "skipped", f"{sec} is already the delegated administrator in {R}", []),
        (f"{R}/4-enable_admin_detector", "skipped", f"detector {det} is enabled", []),
        (f"{R}/5-set_auto_enable", "skipped", "auto-enable is NEW", []),
        (f"{R}/6-align_features", "skipped", "features already set", []),
        (f"{R}/7-enable_management_detector", "skipped", f"detector {mgmt_det} is enabled", []),
        (f"{R}/8-enrol_members", "skipped", "all 3 accounts are members", []),
        (f"{R}/11-verify", "done", "verified: 3 members, auto-enable NEW", [])]
    assert (again.write_calls, again.writes) == (0, [])
    # planned for App from the old snapshot: Sec is the delegated administrator now, so designation fails live
    other = plan_migration(before, admin=ids["app"], auto_enable="NEW", features=[])
    refused = execute(other, SessionFactory(endpoint_url=url), dry_run=True, allow_blocked=True)
    assert refused.stopped_at == refused.journal.runs[-1]["stopped_at"] == f"{R}/3-designate_admin"
    rec = refused.journal.record(f"{R}/3-designate_admin")
    assert (rec.status, rec.error_code, rec.message) == (
        "failed", "OtherDelegatedAdmin", f"{sec} is the delegated administrator in {R}: not changing it")


MOVES = {
    "name": "moves", "seed": 37, "regions": ["us-east-1"], "ous": {"Sec": {}, "Work": {}},
    "accounts": [{"key": k, "name": n, "ou": "Sec" if k == "sec" else "Work"} for k, n in (
        ("sec", "Sec"), ("legacy", "Legacy"), ("data", "Data"), ("ex", "Ex"), ("app", "App"), ("app2", "App2"),
        ("susp", "Susp"))],
    "external_accounts": [{"key": "extadm", "id": "000033334444"}],
    "guardduty": {
        "detectors": [{"account": "sec", "regions": ["us-east-1"]}],
        "invitations": [{"admin": "legacy", "region": "us-east-1", "members": ["data"], "accept": ["data"]},
                        {"admin": "extadm", "region": "us-east-1", "members": ["ex"], "accept": ["ex"]},
                        {"admin": "sec", "region": "us-east-1", "members": ["app", "app2", "susp"],
                         "accept": ["app", "app2", "susp"]}],
        "suspend": [{"account": "susp", "region": "us-east-1"}],
        "stop_monitoring": [{"admin": "sec", "region": "us-east-1", "members": ["app", "app2"]}],
    },
}


def test_members_moved_from_other_administrators_resumed_and_restarted_journals_compared_whole(local_aws, tmp_path):
    """Legacy (in the organisation) releases Data (DisassociateMembers); Ex leaves an administrator outside the
    organisation itself (DisassociateFromAdministratorAccount); Susp, an invitation member of Sec, re-enables its
    own detector (UpdateDetector); Sec restarts App, whose monitoring it had stopped (StartMonitoringMembers). Each
    record of the run and of a second run (everything skipped, saying why) compared whole."""
    r = "us-east-1"
    ids = build_org(local_aws, MOVES)
    url = local_aws.endpoint_url
    before = load(collect(tmp_path / "before", factory=SessionFactory(endpoint_url=url), regions=[r],
                          progress=False, workers=4))
    plan = plan_migration(before, admin=ids["sec"], auto_enable="NEW", features=[])
    sec, mgmt, legacy, data, ex, app, susp, ext = (ids[k] for k in ("sec", "management", "legacy", "data", "ex",
                                                                    "app", "susp", "extadm"))
    det = {a: d for a, d in zip(before.detectors["account_id"], before.detectors["detector_id"])}
    enrolled = sorted([mgmt, ex, data, legacy])
    stopped = sorted([app, ids["app2"]])
    emails = {mgmt: "master", ex: "ex", data: "data", legacy: "legacy"}

    def call(account, op, **params):
        return {"account_id": account, "region": r, "operation": op, "params": params}

    res = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), dry_run=False)
    assert [(x.step_id, x.status, x.error_code, x.message, x.calls) for x in res.journal.steps] == [
        (f"{r}/1-resume_suspended-{susp}", "done", None, f"UpdateDetector({det[susp]}, Enable=True)",
         [call(susp, "UpdateDetector", DetectorId=det[susp], Enable=True)]),
        (f"{r}/2-disassociate_other_admin-{ext}-{ex}", "done", None,
         f"DisassociateFromAdministratorAccount in {ex} (leaves {ext})",
         [call(ex, "DisassociateFromAdministratorAccount", DetectorId=det[ex])]),
        (f"{r}/2-disassociate_other_admin-{legacy}", "done", None, "DisassociateMembers(1 accounts)",
         [call(legacy, "DisassociateMembers", DetectorId=det[legacy], AccountIds=[data])]),
        (f"{r}/3-designate_admin", "done", None, f"EnableOrganizationAdminAccount(AdminAccountId={sec})",
         [call(mgmt, "EnableOrganizationAdminAccount", AdminAccountId=sec)]),
        (f"{r}/4-enable_admin_detector", "skipped", None, f"detector {det[sec]} is enabled", []),
        (f"{r}/5-set_auto_enable", "done", None, "auto-enable NONE → NEW",
         [call(sec, "UpdateOrganizationConfiguration", DetectorId=det[sec], AutoEnableOrganizationMembers="NEW")]),
        (f"{r}/7-enable_management_detector", "done", None, "CreateDetector(Enable=True)",
         [call(mgmt, "CreateDetector", Enable=True)]),
        (f"{r}/8-enrol_members", "done", None, f"CreateMembers({', '.join(enrolled)})",
         [call(sec, "CreateMembers", DetectorId=det[sec],
               AccountDetails=[{"AccountId": a, "Email": f"{emails[a]}@example.com"} for a in enrolled])]),
        (f"{r}/9-start_monitoring", "done", None, f"StartMonitoringMembers({', '.join(stopped)})",
         [call(sec, "StartMonitoringMembers", DetectorId=det[sec], AccountIds=stopped)]),
        (f"{r}/11-verify", "done", None, "verified: 7 members, auto-enable NEW", [])]
    assert res.ok and res.write_calls == 8

    again = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), dry_run=False)
    statuses = [(x.step_id, x.status, x.message) for x in again.journal.steps]
    assert statuses[:3] == [
        (f"{r}/1-resume_suspended-{susp}", "skipped", f"detector {det[susp]} is enabled"),
        (f"{r}/2-disassociate_other_admin-{ext}-{ex}", "skipped", f"{ex} is not associated with {ext}"),
        (f"{r}/2-disassociate_other_admin-{legacy}", "skipped",
         f"none of 1 accounts is still associated with {legacy}")]
    assert statuses[-3:] == [
        (f"{r}/8-enrol_members", "skipped", "all 7 accounts are members"),
        (f"{r}/9-start_monitoring", "skipped", "monitoring is on for every account of the step"),
        (f"{r}/11-verify", "done", "verified: 7 members, auto-enable NEW")]
    assert (again.write_calls, again.writes) == (0, [])
