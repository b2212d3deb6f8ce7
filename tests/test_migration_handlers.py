"""The executor's step handlers (orgkit.aws.migrate) on GuardDuty answers the local AWS does not give: an
administrator whose removal is in progress, a member that auto-enable ALL has not re-enabled yet (AWS: "up to 24
hours"; the local AWS applies it at once), a member record whose e-mail differs from the organisation's, an account
with no detector. In-process: each account's client is a real botocore GuardDuty client behind a
``botocore.stub.Stubber``, which checks every request and every canned response against GuardDuty's service model,
and fails the test on a call in another order or to another account."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from orgkit.aws.migrate import StepFailed, _designate, _enable_detector, _enrol, _keep, _Live, _verify
from orgkit.aws.session import SessionFactory
from orgkit.guardduty import plan_migration
from orgkit.testing import SnapshotSpec

R = "eu-west-1"
EXTERNAL = "000011112222"
AT = "2026-01-02T00:00:00.000Z"


class StubbedFactory(SessionFactory):
    """One stubbed GuardDuty client per account; ``expect(account, operation, response, params)`` queues an answer."""

    def __init__(self):
        super().__init__(allow_writes=True, session=boto3.Session(region_name=R, aws_access_key_id="x",
                                                                  aws_secret_access_key="x"))
        self.stubs: dict[str | None, tuple] = {}
        self.asked: list[tuple] = []

    def _stub(self, account):
        if account not in self.stubs:
            c = self.base.client("guardduty", region_name=R)
            s = Stubber(c)
            s.activate()
            self.stubs[account] = (c, s)
        return self.stubs[account]

    def expect(self, account, operation, response, params=None):
        self._stub(account)[1].add_response(operation, response, params)

    def client(self, account_id, service, region=None):
        self.asked.append((account_id, service, region))
        assert (service, region) == ("guardduty", R)
        return self._stub(account_id)[0]

    def done(self):
        for _, s in self.stubs.values():
            s.assert_no_pending_responses()


def org_plan(tmp_path, auto_enable):
    """Security administers App (accepted; App's detector suspended) and a partner outside the organisation by
    invitation; the management account has no detector."""
    sb = SnapshotSpec(regions=[R])
    sec, app = sb.account("Security"), sb.account("App")
    sb.detector(sec, R, administrator={}, members=[SnapshotSpec.member(app, sec, invited=True),
                                                   SnapshotSpec.member(EXTERNAL, sec, invited=True)])
    sb.detector(app, R, status="DISABLED", administrator={"AccountId": sec, "RelationshipStatus": "Enabled",
                                                          "InvitationId": "i", "InvitedAt": AT})
    plan = plan_migration(sb.load(tmp_path / f"snap-{auto_enable}"), admin=sec, auto_enable=auto_enable)
    return plan, {"sec": sec, "app": app, "mgmt": sb.management}


def step(plan, kind):
    return next(s for s in plan.steps if s.kind == kind)


def member(account, admin, status):
    return {"AccountId": account, "MasterId": admin, "Email": f"{account}@example.com", "RelationshipStatus": status,
            "UpdatedAt": AT}


def test_designation_is_not_stopped_by_an_administrator_whose_removal_is_in_progress(tmp_path):
    """ListOrganizationAdminAccounts' AdminStatus is ENABLED or DISABLE_IN_PROGRESS (GuardDuty API reference,
    AdminAccount): only another ENABLED administrator stops the step; the list is asked of the management account."""
    plan, ids = org_plan(tmp_path, "NEW")
    st, mgmt, sec = step(plan, "designate_admin"), ids["mgmt"], ids["sec"]
    other = "222233334444"

    def designate(admins, apply=False):
        f = StubbedFactory()
        f.expect(mgmt, "list_organization_admin_accounts",
                 {"AdminAccounts": [{"AdminAccountId": a, "AdminStatus": s} for a, s in admins]}, {})
        if apply:
            f.expect(mgmt, "enable_organization_admin_account", {}, {"AdminAccountId": sec})
        try:
            return _designate(_Live(plan, f), st, apply)
        finally:
            f.done()
            assert {a for a, _, _ in f.asked} == {mgmt}

    call = f"EnableOrganizationAdminAccount(AdminAccountId={sec})"
    assert designate([(other, "DISABLE_IN_PROGRESS")]) == (False, call)
    assert designate([(other, "DISABLE_IN_PROGRESS"), (sec, "DISABLE_IN_PROGRESS")], apply=True) == (False, call)
    assert designate([(sec, "ENABLED"), (other, "DISABLE_IN_PROGRESS")]) == (
        True, f"{sec} is already the delegated administrator in {R}")
    with pytest.raises(StepFailed) as e:
        designate([(other, "ENABLED"), ("333344445555", "ENABLED"), ("444455556666", "DISABLE_IN_PROGRESS")])
    assert (e.value.code, e.value.message) == (
        "OtherDelegatedAdmin", f"{other}, 333344445555 is the delegated administrator in {R}: not changing it")


def test_a_step_needing_the_administrator_detector_fails_with_NoDetector(tmp_path):
    """NoDetector is one of the codes a dry run reads as "not yet" (DRY_RUN_EXPECTED): its spelling matters."""
    plan, ids = org_plan(tmp_path, "NEW")
    f = StubbedFactory()
    f.expect(ids["sec"], "list_detectors", {"DetectorIds": []}, {})
    with pytest.raises(StepFailed) as e:
        _enrol(_Live(plan, f), step(plan, "enrol_members"), False)
    f.done()
    assert (e.value.code, e.value.message) == ("NoDetector", f"{ids['sec']} has no GuardDuty detector in {R}")


def test_enrolment_sends_the_email_of_an_existing_member_record(tmp_path):
    """A member record the administrator already holds (here Removed: not associated) keeps its e-mail address in
    CreateMembers rather than the plan's (the organisation's); an associated member is not enrolled again."""
    plan, ids = org_plan(tmp_path, "NEW")
    sec, mgmt = ids["sec"], ids["mgmt"]
    st = step(plan, "enrol_members")
    app = ids["app"]
    assert st.accounts == sorted([app, mgmt])
    assert st.params["AccountDetails"] == [{"AccountId": mgmt, "Email": "management@example.com"}]
    det = plan.admin_detectors[R]
    f = StubbedFactory()
    f.expect(sec, "list_detectors", {"DetectorIds": [det]}, {})
    f.expect(sec, "get_detector", {"ServiceRole": "r", "Status": "ENABLED"}, {"DetectorId": det})
    old = dict(member(mgmt, sec, "Removed"), Email="old-address@example.org")
    f.expect(sec, "get_members", {"Members": [member(app, sec, "Enabled"), old], "UnprocessedAccounts": []},
             {"DetectorId": det, "AccountIds": st.accounts})
    f.expect(sec, "create_members", {"UnprocessedAccounts": []},
             {"DetectorId": det, "AccountDetails": [{"AccountId": mgmt, "Email": "old-address@example.org"}]})
    assert _enrol(_Live(plan, f), st, True) == (False, f"CreateMembers({mgmt})")
    f.done()


def test_external_members_are_kept_with_the_plans_note(tmp_path):
    plan, ids = org_plan(tmp_path, "NEW")
    st = step(plan, "keep_external_members")
    assert (st.accounts, st.note) == ([EXTERNAL], f"outside the organisation: they stay invitation members of "
                                                  f"{ids['sec']}")
    f = StubbedFactory()
    assert _keep(_Live(plan, f), st, True) == (True, f"no call: {st.note}")
    st.note = None
    assert _keep(_Live(plan, f), st, True) == (True, "no call: accounts outside the organisation are left as they "
                                                     "are")
    assert f.asked == []


def verify(plan, ids, statuses, auto):
    """_verify against an administrator whose members show ``statuses`` (account -> RelationshipStatus)."""
    sec, mgmt = ids["sec"], ids["mgmt"]
    st = step(plan, "verify")
    det = plan.admin_detectors[R]
    f = StubbedFactory()
    f.expect(mgmt, "list_organization_admin_accounts",
             {"AdminAccounts": [{"AdminAccountId": sec, "AdminStatus": "ENABLED"}]}, {})
    f.expect(sec, "list_detectors", {"DetectorIds": [det]}, {})
    f.expect(sec, "get_detector", {"ServiceRole": "r", "Status": "ENABLED"}, {"DetectorId": det})
    f.expect(sec, "get_members", {"Members": [member(a, sec, statuses.get(a, "Enabled")) for a in st.accounts],
                                  "UnprocessedAccounts": []}, {"DetectorId": det, "AccountIds": st.accounts})
    f.expect(sec, "describe_organization_configuration",
             {"AutoEnableOrganizationMembers": auto, "MemberAccountLimitReached": False}, {"DetectorId": det})
    try:
        return st, _verify(_Live(plan, f), st, True)
    finally:
        f.done()


def test_verification_waits_for_auto_enable_all_and_fails_on_a_detector_still_suspended(tmp_path):
    """Under ALL, a suspended member the plan leaves to auto-enable ALL may stay suspended for up to 24 hours:
    verified, saying which; under NEW the account re-enables its detector itself (UpdateDetector), so one still
    suspended fails the verification."""
    plan, ids = org_plan(tmp_path, "ALL")
    app = ids["app"]
    assert plan.suspended_outcomes()[["account_id", "outcome", "by"]].values.tolist() == [
        [app, "re-enabled", "auto-enable ALL"]]
    st, got = verify(plan, ids, {app: "Disabled"}, "ALL")
    assert got == (False, f"verified: {len(st.accounts)} members, auto-enable ALL; still suspended until auto-enable "
                          f"ALL reaches them (up to 24 h): {app}")
    assert verify(plan, ids, {}, "ALL")[1] == (False, f"verified: {len(st.accounts)} members, auto-enable ALL")

    plan, ids = org_plan(tmp_path, "NEW")
    assert plan.suspended_outcomes()[["account_id", "outcome", "by"]].values.tolist() == [
        [app, "re-enabled", "UpdateDetector"]]
    with pytest.raises(StepFailed) as e:
        verify(plan, ids, {app: "Disabled"}, "NEW")
    assert (e.value.code, e.value.message) == ("VerificationFailed", f"detectors still suspended: {app}")


def test_a_suspended_administrator_detector_is_re_enabled_in_its_own_region(tmp_path):
    """The administrator's suspended detector: UpdateDetector(Enable=True) by the administrator, in the step's
    region, recorded as the write it is; a missing one: CreateDetector."""
    plan, ids = org_plan(tmp_path, "NEW")
    sec, det = ids["sec"], plan.admin_detectors[R]
    st = step(plan, "enable_admin_detector")
    f = StubbedFactory()
    f.expect(sec, "list_detectors", {"DetectorIds": [det]}, {})
    f.expect(sec, "get_detector", {"ServiceRole": "r", "Status": "DISABLED"}, {"DetectorId": det})
    f.expect(sec, "update_detector", {}, {"DetectorId": det, "Enable": True})
    live = _Live(plan, f)
    assert _enable_detector(live, st, True) == (False, f"UpdateDetector({det}, Enable=True)")
    f.done()
    assert live.writes == [{"account_id": sec, "region": R, "operation": "UpdateDetector",
                            "params": {"DetectorId": det, "Enable": True}}]
    f = StubbedFactory()
    f.expect(sec, "list_detectors", {"DetectorIds": []}, {})
    f.expect(sec, "create_detector", {"DetectorId": "dnew"}, {"Enable": True})
    live = _Live(plan, f)
    assert _enable_detector(live, st, True) == (False, "CreateDetector(Enable=True)")
    f.done()
    assert live.writes == [{"account_id": sec, "region": R, "operation": "CreateDetector", "params": {"Enable": True}}]
