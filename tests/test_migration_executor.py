"""The GuardDuty migration executor (orgkit.aws.migrate) end to end, against the local AWS with the demo organisation.

One build of the demo organisation (less its CloudTrail trails) for the module (its invitation-based GuardDuty in us-west-2 and eu-south-1,
organisation-managed in us-east-1 and eu-west-1), then, in order: a dry run (no write), an applied run with an
AccessDenied injected on UpdateOrganizationConfiguration in eu-west-1 (stops, journal), the resumed run (finishes, re-collects),
and a second complete run (changes nothing). The tests below check what each run did and the state it left.
"""

from __future__ import annotations

import json

import pytest

from local_org import build_org
from orgkit.aws.collect import collect
from orgkit.aws.migrate import Journal, MigrationError, execute
from orgkit.aws.session import SessionFactory, WriteRefused, is_read_only
from orgkit.localaws.scenario import load_scenario
from orgkit.guardduty import plan_migration
from orgkit.model import load

pytestmark = pytest.mark.integration

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-south-1"]
FAULT_REGION = "eu-west-1"
# (the fault is on the organisation configuration: the local AWS applies auto-enable ALL at once, so CreateMembers
# finds every account enrolled already there and is skipped)
FAULT_OP, FAULT_STEP = "UpdateOrganizationConfiguration", "5-set_auto_enable"


class HookedFactory(SessionFactory):
    """A SessionFactory whose every client also carries this test's own botocore ``before-call`` hook."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen: list[tuple[str, str]] = []

    def _make_client(self, session, service, region):
        client = super()._make_client(session, service, region)
        client.meta.events.register("before-call", lambda model, **_: self.seen.append((service, model.name)))
        return client


@pytest.fixture(scope="module")
def demo(local_aws, tmp_path_factory):
    """The demo organisation, migrated as described in the module docstring; a dict of everything observed."""
    scenario = load_scenario("demo")
    scenario["trails"] = []  # CloudTrail plays no part here, and its buckets and trails are a third of the build
    ids = build_org(local_aws, scenario)
    local_aws.set_options(strict_assume_role=True)  # the deleted role of Legacy Analytics really refuses
    tmp = tmp_path_factory.mktemp("gdmig")
    url = local_aws.endpoint_url
    out: dict = {"ids": ids, "tmp": tmp, "aws": local_aws}
    try:
        before = collect(tmp / "before", factory=SessionFactory(endpoint_url=url), regions=REGIONS, progress=False,
                         workers=8)
        out["before"] = load(before)
        plan = plan_migration(out["before"], auto_enable="ALL",
                              features=["S3_DATA_EVENTS", "RUNTIME_MONITORING", "ECS_FARGATE_AGENT_MANAGEMENT"])
        out["plan"] = plan

        # 1. dry run through a read-only factory, with the test's own hook on every client
        local_aws.clear_calls()
        ro = HookedFactory(endpoint_url=url)
        out["dry"] = execute(plan, ro, dry_run=True)
        out["dry_seen"] = list(ro.seen)
        out["dry_server_calls"] = local_aws.calls()
        out["dry_factory"] = ro

        # 2. applied, with AccessDenied on the admin's organisation configuration in one region
        journal = tmp / "journal.json"
        out["journal"] = journal
        local_aws.add_fault("AccessDeniedException", http_status=403, account_id=ids["security"],
                            region=FAULT_REGION, service="guardduty", operation=FAULT_OP)
        out["run1"] = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=journal,
                              dry_run=False)
        out["journal1"] = json.loads(journal.read_text())
        local_aws.clear_faults()

        # 3. resumed from the journal; re-collects after the last step
        out["run2"] = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True), journal_path=journal,
                              dry_run=False, recollect_to=tmp / "after")
        out["after"] = load(out["run2"].after_snapshot)

        # 4. a second complete run, with a fresh journal
        local_aws.clear_calls()
        out["run3"] = execute(plan, SessionFactory(endpoint_url=url, allow_writes=True),
                              journal_path=tmp / "journal-2.json", dry_run=False)
        out["run3_server_calls"] = local_aws.calls()
        yield out
    finally:
        local_aws.clear_faults()
        local_aws.set_options(strict_assume_role=False)


def _gd(demo, account, region):
    return demo["aws"].client("guardduty", region=region, account_id=account)


# --------------------------------------------------------------------------------------------- dry run
def test_dry_run_makes_no_write_call(demo):
    dry = demo["dry"]
    assert dry.write_calls == 0 and dry.writes == []
    seen = demo["dry_seen"]
    assert seen, "the hook saw no call: the test would prove nothing"
    assert all(is_read_only(svc, op) for svc, op in seen), [c for c in seen if not is_read_only(*c)]
    # every call the factory counted, less the caller check made before the run starts counting
    assert dry.read_calls == demo["dry_factory"].calls.total - 1
    server_ops = {c["operation"] for c in demo["dry_server_calls"]}
    assert server_ops and all(op.startswith(("List", "Get", "Describe", "AssumeRole")) for op in server_ops), \
        server_ops
    # and it tells what would run: the invitation regions need designation, enrolment and auto-enable
    assert {"us-west-2/3-designate_admin", "us-west-2/8-enrol_members", "eu-south-1/3-designate_admin",
            "eu-west-1/5-set_auto_enable", "eu-south-1/7-enable_management_detector"} <= set(dry.would_run)
    assert "us-east-1/3-designate_admin" not in dry.would_run


def test_the_read_only_guard_is_live(demo):
    """The dry-run factory refuses a write before it is signed (so the test above can fail)."""
    ro = demo["dry_factory"]
    gd = ro.client(demo["ids"]["security"], "guardduty", "us-west-2")
    with pytest.raises(WriteRefused):
        gd.create_members(DetectorId="x", AccountDetails=[{"AccountId": "123456789012", "Email": "a@b.c"}])


# --------------------------------------------------------------------------------------------- failure and resume
def test_injected_failure_stops_with_a_journal(demo):
    run1, j = demo["run1"], demo["journal1"]
    assert run1.stopped_at == f"{FAULT_REGION}/{FAULT_STEP}"
    status = {s["step_id"]: s for s in j["steps"]}
    failed = status[run1.stopped_at]
    assert failed["status"] == "failed" and failed["error_code"] == "AccessDeniedException"
    ids = [s["step_id"] for s in j["steps"]]
    after = ids[ids.index(run1.stopped_at) + 1:]
    assert after and all(status[i]["status"] == "pending" for i in after)
    before = ids[:ids.index(run1.stopped_at)]
    assert all(status[i]["status"] in ("done", "skipped") for i in before)
    assert status["us-west-2/3-designate_admin"]["status"] == "done"
    assert status["us-east-1/3-designate_admin"]["status"] == "skipped"
    assert j["plan_id"] == demo["plan"].plan_id


def test_resumed_run_finishes(demo):
    run2 = demo["run2"]
    assert run2.ok, run2.frame()
    statuses = {r.step_id: r.status for r in run2.journal.steps}
    assert set(statuses.values()) <= {"done", "skipped"}
    assert statuses[f"{FAULT_REGION}/{FAULT_STEP}"] == "done"
    # what the first run did is not done again
    assert not [w for w in run2.writes if w[1] == "us-west-2"]
    assert ("123456789012", "eu-south-1", "EnableOrganizationAdminAccount") in run2.writes
    assert len(run2.journal.runs) == 2


def test_the_resumed_journal_keeps_the_first_runs_record(demo):
    """A step the first run did is not run again: the journal on disk after the resumed run still says ``done``,
    with the write calls the first run made and the time it made them (a step re-run would read ``skipped``, its
    calls lost, since the live state now has what it wrote). The verify steps always run again."""
    first = {s["step_id"]: s for s in demo["journal1"]["steps"]}
    final = {s["step_id"]: s for s in json.loads(demo["journal"].read_text())["steps"]}
    assert set(final) == set(first)
    done1 = [i for i, s in first.items() if s["status"] == "done" and s["kind"] != "verify"]
    assert done1 and sum(len(first[i]["calls"]) for i in done1) >= 3, first
    for i in done1:
        assert (final[i]["status"], final[i]["calls"], final[i]["at"]) == \
            ("done", first[i]["calls"], first[i]["at"]), i
    # and the resumed run's own writes are all in steps the first run had not finished
    resumed = {(c["account_id"], c["region"], c["operation"]) for i, s in final.items() if i not in first
               or first[i]["status"] not in ("done", "skipped") for c in s["calls"]}
    assert resumed == set(demo["run2"].writes)


def test_every_in_org_account_is_an_org_member_in_every_enabled_region(demo):
    org, admin = demo["after"], demo["ids"]["security"]
    plan = demo["plan"]
    cov = __import__("orgkit.coverage.guardduty", fromlist=["x"]).guardduty_coverage(org)
    enabled = org.regions[org.regions["enabled"].fillna(False).astype(bool)]
    for region in REGIONS:
        mem = org.guardduty_members[(org.guardduty_members["region"] == region)
                                    & (org.guardduty_members["administrator_id"] == admin)]
        by = dict(zip(mem["account_id"], zip(mem["relationship_status"], mem["by_invitation"])))
        want = set(enabled.loc[enabled["region"] == region, "account_id"]) - {admin}
        assert want and want == set(plan.expected_members[region])
        for a in want:
            assert by[a][0] in ("Enabled", "Disabled") and not by[a][1], (region, a, by.get(a))
        c = cov[(cov["region"] == region) & cov["account_id"].isin(want)]
        assert set(c["status"].astype(str)) <= {"org_member", "suspended", "unknown"}, c[["account_id", "status"]]
    oc = org.guardduty_org_config.set_index("region")
    assert set(oc.loc[REGIONS, "auto_enable_organization_members"]) == {"ALL"}
    admins = org.guardduty_admins
    assert set(admins.loc[admins["admin_status"] == "ENABLED", "region"]) == set(REGIONS)
    assert set(admins["admin_account_id"]) == {admin}


def test_before_and_after_counts(demo):
    ba = demo["run2"].before_after
    assert list(ba.columns) == ["region", "status", "before", "after"]
    t = ba.set_index(["region", "status"])
    assert t.loc[("us-west-2", "invited_member"), "before"] > 0
    assert t.loc[("us-west-2", "invited_member"), "after"] == 0
    assert t.loc[("us-west-2", "org_member"), "after"] > t.loc[("us-west-2", "org_member"), "before"]
    for region in REGIONS:
        if (region, "none") in t.index:
            assert t.loc[(region, "none"), "after"] == 0, region


def test_no_member_detector_was_deleted(demo):
    b, a = demo["before"].detectors, demo["after"].detectors
    gone = set(zip(b["account_id"], b["region"], b["detector_id"])) - \
        set(zip(a["account_id"], a["region"], a["detector_id"]))
    assert not gone
    ops = {w[2] for r in ("run1", "run2", "run3") for w in demo[r].writes}
    assert not {o for o in ops if o.startswith("Delete")}, ops
    # the suspended detector is re-enabled, as the plan said it would be (and by which step): "ALL ... includes
    # ... accounts that may have been suspended" (UpdateOrganizationConfiguration)
    bob = demo["ids"]["dev-bob"]
    said = demo["plan"].suspended_outcomes().set_index(["account_id", "region"]).loc[(bob, "us-west-2")]
    assert (said["outcome"], said["by"]) == ("re-enabled", "auto-enable ALL")
    assert demo["before"].detectors.query(f"account_id == '{bob}' and region == 'us-west-2'").iloc[0]["status"] \
        == "DISABLED"
    assert a.query(f"account_id == '{bob}' and region == 'us-west-2'").iloc[0]["status"] == "ENABLED"


def test_management_account_is_a_member_with_an_enabled_detector(demo):
    """'Before the management account gets added as a GuardDuty member, it must have GuardDuty enabled': the plan
    enables its detector (eu-south-1 had none) before CreateMembers, and it ends a member everywhere."""
    org, plan = demo["after"], demo["plan"]
    mgmt, admin = org.management_account_id, demo["ids"]["security"]
    assert [s.region for s in plan.steps if s.kind == "enable_management_detector"] == ["eu-south-1"]
    det = org.detectors[org.detectors["account_id"] == mgmt].set_index("region")
    mem = org.guardduty_members[(org.guardduty_members["account_id"] == mgmt)
                                & (org.guardduty_members["administrator_id"] == admin)].set_index("region")
    for region in REGIONS:
        assert det.loc[region, "status"] == "ENABLED", region
        assert mem.loc[region, "relationship_status"] == "Enabled", region


def test_enrolled_members_get_the_organisation_features(demo):
    """The features are set before CreateMembers, which applies them to the accounts it adds."""
    org, plan = demo["after"], demo["plan"]
    from orgkit.coverage.guardduty import plan_status

    for region in REGIONS:
        assert plan.features_by_region[region] == ["S3_DATA_EVENTS", "RUNTIME_MONITORING"]
        assert plan.agents_by_region[region] == ["ECS_FARGATE_AGENT_MANAGEMENT"]
        for a in plan.expected_members[region]:
            row = org.detectors[(org.detectors["account_id"] == a) & (org.detectors["region"] == region)]
            if row.empty:  # a member whose detectors the collector could not read (the deleted role)
                continue
            on = {k for k, v in (plan_status(row.iloc[0]["features"]) or {}).items() if v == "ENABLED"}
            # Fargate tasks are monitored only with automated agent management: it must reach the members too
            assert {"S3_DATA_EVENTS", "RUNTIME_MONITORING", "ECS_FARGATE_AGENT_MANAGEMENT"} <= on, (region, a, on)


def test_the_executor_sends_runtime_monitorings_additional_configuration(demo):
    """AWS: "Additional configuration applies to only GuardDuty Runtime Monitoring protection plan"; the
    organisation configuration must carry the agent management the plan asks for."""
    oc = demo["after"].guardduty_org_config
    for region in REGIONS:
        feats = oc[oc["region"] == region].iloc[0]["features"]
        rm = next(f for f in feats if f["Name"] == "RUNTIME_MONITORING")
        assert rm["AutoEnable"] == "ALL"
        agents = {a["Name"]: a["AutoEnable"] for a in rm.get("AdditionalConfiguration") or []}
        assert agents["ECS_FARGATE_AGENT_MANAGEMENT"] == "ALL", (region, agents)
    align = [s for s in demo["plan"].steps if s.kind == "align_features"]
    assert all({"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "AutoEnable": "ALL"} in
               next(f for f in s.params["Features"] if f["Name"] == "RUNTIME_MONITORING")["AdditionalConfiguration"]
               for s in align)


def test_the_out_of_org_member_is_reported_and_untouched(demo):
    partner, admin = demo["ids"]["partner"], demo["ids"]["security"]
    plan = demo["plan"]
    assert [(i.region, i.account_id) for i in plan.issues if i.check == "external_member_kept"] == \
        [("us-west-2", partner)]
    assert not [w for r in ("run1", "run2", "run3") for w in demo[r].writes if w[0] == partner]
    keep = demo["run2"].journal.record("us-west-2/10-keep_external_members")
    assert keep.status == "skipped" and keep.calls == []
    gd = _gd(demo, admin, "us-west-2")
    det = gd.list_detectors()["DetectorIds"][0]
    m = gd.get_members(DetectorId=det, AccountIds=[partner])["Members"][0]
    assert m["RelationshipStatus"] == "Enabled" and m.get("InvitedAt")  # still an invitation member
    demo["aws"].set_options(strict_assume_role=False)  # the partner has no role the organisation can assume
    try:
        mine = _gd(demo, partner, "us-west-2")
        pdet = mine.list_detectors()["DetectorIds"][0]
        rel = mine.get_administrator_account(DetectorId=pdet)["Administrator"]
    finally:
        demo["aws"].set_options(strict_assume_role=True)
    assert rel["AccountId"] == admin and rel["RelationshipStatus"] == "Enabled" and rel.get("InvitedAt")


def test_a_second_run_changes_nothing(demo):
    run3 = demo["run3"]
    assert run3.ok and run3.write_calls == 0 and run3.writes == []
    st = {r.kind: set() for r in run3.journal.steps}
    for r in run3.journal.steps:
        st[r.kind].add(r.status)
    assert all(v == {"skipped"} for k, v in st.items() if k != "verify")
    assert st["verify"] == {"done"}
    ops = {c["operation"] for c in demo["run3_server_calls"]}
    assert all(op.startswith(("List", "Get", "Describe", "AssumeRole")) for op in ops), ops


def test_a_journal_of_another_plan_is_refused(demo):
    other = plan_migration(demo["before"], auto_enable="ALL", features=[])
    with pytest.raises(MigrationError, match="journal of another plan"):
        execute(other, SessionFactory(endpoint_url=demo["aws"].endpoint_url, allow_writes=True),
                journal_path=demo["journal"], dry_run=False)
    assert Journal.load(demo["journal"]).plan_id == demo["plan"].plan_id


def test_refuses_blocked_plans_and_read_only_factories(demo):
    url = demo["aws"].endpoint_url
    blocked = plan_migration(demo["before"], admin="999900001111")
    with pytest.raises(MigrationError, match="pre-flight errors block"):
        execute(blocked, SessionFactory(endpoint_url=url, allow_writes=True), dry_run=False)
    with pytest.raises(MigrationError, match="allow_writes"):
        execute(demo["plan"], SessionFactory(endpoint_url=url), dry_run=False)


def test_cli_migrate_apply_and_live_check(demo, capsys):
    """The CLI over the migrated organisation: --live-check reads only; --apply changes nothing more."""
    from orgkit.cli import main

    url, snap, admin = demo["aws"].endpoint_url, str(demo["before"].path), demo["ids"]["security"]
    demo["aws"].clear_calls()
    assert main(["guardduty", "migrate", "--admin", admin, snap, "--endpoint-url", url, "--live-check"]) == 0
    out = capsys.readouterr().out
    assert "live check (read calls only)" in out and ", 0 write call(s)" in out
    assert all(c["operation"].startswith(("List", "Get", "Describe", "AssumeRole")) for c in demo["aws"].calls())
    journal = demo["tmp"] / "cli-journal.json"
    assert main(["guardduty", "migrate", "--admin", admin, snap, "--endpoint-url", url, "--apply",
                 "--journal", str(journal), "--no-recollect"]) == 0
    out = capsys.readouterr().out
    assert "0 write call(s)" in out
    steps = json.loads(journal.read_text())["steps"]
    assert {s["status"] for s in steps if s["kind"] != "verify"} == {"skipped"}
