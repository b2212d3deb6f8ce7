"""GuardDuty from invitations to AWS Organizations: the plan, pure, from a snapshot.

    from orgkit import load
    from orgkit.guardduty import plan_migration

    plan = plan_migration(load("snap"), admin="123456789012", auto_enable="ALL")
    plan.table()          # the steps, per region, in order: call, parameters, calling account, why, how to check
    plan.issues_frame()   # pre-flight findings that would make a step fail (severity error blocks the region)
    plan.current          # today's state: coverage, administrators, member ties, suspended, no detector, cost
    plan.to_json(); plan.terraform(); plan.scp_text()

Nothing here calls AWS: :mod:`orgkit.aws.migrate` carries a plan out (the one module that writes).

The order of the steps in a region, and why (GuardDuty user guide, "Managing GuardDuty accounts with AWS
Organizations" and "Consolidating GuardDuty administrator accounts under a single organization"):

1. ``designate_admin`` — management account: ``EnableOrganizationAdminAccount(AdminAccountId)``. Only the
   management account may call it. Invitation members of that account that belong to the organisation become
   organisation members there and then (no re-invitation).
2. ``enable_admin_detector`` — the admin: ``CreateDetector(Enable=True)`` (or ``UpdateDetector(Enable=True)`` on
   a suspended one). The organisation calls below need the admin's detector.
3. ``disassociate_other_admin`` — each other administrator: ``DisassociateMembers(DetectorId, AccountIds)`` for its
   in-organisation members. It comes *before* enrolment because a member account can have only one administrator:
   CreateMembers from the new admin is refused for an account still associated elsewhere. Member detectors are
   never deleted (deleting a detector deletes its findings).
4. ``enrol_members`` — the admin: ``CreateMembers(DetectorId, AccountDetails)`` for every in-organisation account
   (region enabled) not yet an associated member. As the delegated admin this enables GuardDuty in them.
5. ``set_auto_enable`` — the admin: ``UpdateOrganizationConfiguration(DetectorId, AutoEnableOrganizationMembers)``.
6. ``align_features`` — the admin: the same call with ``Features`` (the protection plans to keep).
7. ``resume_suspended`` (only when asked) — the member itself: ``UpdateDetector(DetectorId, Enable=True)``.
8. ``keep_external_members`` — no call: accounts outside the organisation can only be invitation members; they
   stay as they are, and the plan says so.
9. ``verify`` — read only: the admin is designated, every expected account is an associated member, auto-enable.
"""


from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

from orgkit.guardduty.render import guardduty_scp, scp_text, terraform
from orgkit.guardduty.state import (ASSOCIATED, CurrentState, PlanError, _accounts, _detector, _gd_read,
                                    _region_enabled, current_state, default_admin, SERVICE_PRINCIPAL)

AUTO_ENABLE_MODES = ("ALL", "NEW")
ORG_FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                "EKS_RUNTIME_MONITORING", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")

STEP_KINDS = ("designate_admin", "enable_admin_detector", "disassociate_other_admin", "enrol_members",
              "set_auto_enable", "align_features", "resume_suspended", "keep_external_members", "verify")
#: read calls that tell whether a step is already done (the executor makes them before each step)
CHECK_CALLS = {
    "designate_admin": ["guardduty:ListOrganizationAdminAccounts"],
    "enable_admin_detector": ["guardduty:ListDetectors", "guardduty:GetDetector"],
    "disassociate_other_admin": ["guardduty:ListDetectors", "guardduty:GetMembers",
                                 "guardduty:GetAdministratorAccount"],
    "enrol_members": ["guardduty:ListDetectors", "guardduty:GetMembers"],
    "set_auto_enable": ["guardduty:ListDetectors", "guardduty:DescribeOrganizationConfiguration"],
    "align_features": ["guardduty:ListDetectors", "guardduty:DescribeOrganizationConfiguration"],
    "resume_suspended": ["guardduty:ListDetectors", "guardduty:GetDetector"],
    "keep_external_members": [],
    "verify": ["guardduty:ListOrganizationAdminAccounts", "guardduty:ListDetectors", "guardduty:GetMembers",
               "guardduty:DescribeOrganizationConfiguration"],
}
#: GuardDuty actions a member account may keep under the generated SCP: data-plane calls made by agents and
#: service roles that are not service-linked (runtime monitoring agent, Malware Protection for S3) and on-demand

__all__ = ["AUTO_ENABLE_MODES", "ORG_FEATURES", "STEP_KINDS", "CHECK_CALLS", "Target", "Step", "Issue",
           "MigrationPlan", "plan_migration", "scp_preflight", "step_actions"]


# ----------------------------------------------------------------------------------------------- data
@dataclass
class Target:
    admin_account_id: str
    auto_enable: str = "ALL"
    features: tuple[str, ...] | None = None  # None: per region, those the admin has on (detector or org config)
    regions: tuple[str, ...] = ()
    resume_suspended: bool = False
    role_name: str = "OrganizationAccountAccessRole"
    admin_chosen_by: str = "user"  # user | invitation_admin | delegated_admin


@dataclass
class Step:
    step_id: str
    order: int
    region: str
    kind: str
    account_id: str | None  # the account that makes the call
    api: str | None  # service:Operation, None for a step that makes no call
    params: dict
    why: str
    check: str
    accounts: list[str] = field(default_factory=list)  # the accounts the step is about (members, …)
    done_in_snapshot: bool = False
    note: str | None = None
    other_admin: str | None = None  # disassociate_other_admin: the administrator being left

    @property
    def operation(self) -> str | None:
        return self.api.split(":", 1)[1] if self.api else None


@dataclass
class Issue:
    severity: str  # error (the step would fail: the region is blocked) | warning | info
    check: str
    region: str | None
    account_id: str | None
    message: str
    step_id: str | None = None


# ----------------------------------------------------------------------------------------------- the plan
@dataclass
class MigrationPlan:
    target: Target
    management_account_id: str
    organization_id: str | None
    snapshot: str | None
    collected_at: str | None
    steps: list[Step]
    issues: list[Issue]
    current: CurrentState | None = None
    features_by_region: dict[str, list[str]] = field(default_factory=dict)
    expected_members: dict[str, list[str]] = field(default_factory=dict)
    account_names: dict[str, str] = field(default_factory=dict)
    admin_detectors: dict[str, str | None] = field(default_factory=dict)

    # -- views ----------------------------------------------------------------------------------------------
    @property
    def regions(self) -> list[str]:
        return list(self.target.regions)

    def blocked_regions(self) -> list[str]:
        """Regions where an error-level pre-flight finding would make a step fail (all regions for a global one)."""
        out = set()
        for i in self.issues:
            if i.severity == "error":
                out |= {i.region} if i.region else set(self.regions)
        return sorted(out)

    def steps_in(self, regions: Iterable[str] | None = None) -> list[Step]:
        wanted = set(regions) if regions is not None else None
        return [s for s in self.steps if wanted is None or s.region in wanted]

    @property
    def plan_id(self) -> str:
        """A digest of what the steps do: a journal is only resumed for the same plan."""
        core = [{"id": s.step_id, "account": s.account_id, "api": s.api, "accounts": s.accounts}
                for s in self.steps]
        core.append({"target": asdict(self.target)})
        return hashlib.sha256(json.dumps(core, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def table(self) -> pd.DataFrame:
        """One row per step: ``step_id, order, region, kind, account_id, account_name, api, params, accounts, why,
        check, state`` (``to_do``, ``done_in_snapshot``, ``no_call``), ``blocked``."""
        blocked = set(self.blocked_regions())
        by_step: dict[str, list[str]] = {}
        for i in self.issues:
            if i.step_id:
                by_step.setdefault(i.step_id, []).append(f"{i.severity}: {i.message}")
        rows = []
        for s in self.steps:
            rows.append({"step_id": s.step_id, "order": s.order, "region": s.region, "kind": s.kind,
                         "account_id": s.account_id, "account_name": self.account_names.get(s.account_id or ""),
                         "api": s.api, "params": s.params, "accounts": list(s.accounts), "why": s.why,
                         "check": s.check,
                         "state": "no_call" if s.api is None else ("done_in_snapshot" if s.done_in_snapshot
                                                                   else "to_do"),
                         "blocked": s.region in blocked, "issues": "; ".join(by_step.get(s.step_id, [])) or None,
                         "note": s.note})
        cols = ["step_id", "order", "region", "kind", "account_id", "account_name", "api", "params", "accounts",
                "why", "check", "state", "blocked", "issues", "note"]
        return pd.DataFrame(rows, columns=cols)

    def issues_frame(self) -> pd.DataFrame:
        cols = ["severity", "check", "region", "account_id", "account_name", "message", "step_id"]
        rows = [{**asdict(i), "account_name": self.account_names.get(i.account_id or "")} for i in self.issues]
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict:
        return {
            "plan_id": self.plan_id,
            "target": asdict(self.target),
            "management_account_id": self.management_account_id,
            "organization_id": self.organization_id,
            "snapshot": self.snapshot,
            "collected_at": self.collected_at,
            "blocked_regions": self.blocked_regions(),
            "features_by_region": self.features_by_region,
            "expected_members": self.expected_members,
            "steps": [asdict(s) for s in self.steps],
            "issues": [asdict(i) for i in self.issues],
            "current": None if self.current is None else {
                "invitation_cost": self.current.cost_summary,
                "administrators": json.loads(self.current.administrators.to_json(orient="records")),
                "suspended": json.loads(self.current.suspended.to_json(orient="records", date_format="iso")),
                "no_detector": json.loads(self.current.no_detector.to_json(orient="records")),
                "external_members": json.loads(self.current.external_members.to_json(orient="records")),
            },
        }

    def to_json(self, indent: int = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def terraform(self) -> str:
        return terraform(self)

    def scp_policy(self, exempt_principal_arns: Iterable[str] = ()) -> dict:
        return guardduty_scp(self.target.admin_account_id, exempt_principal_arns)

    def scp_text(self, exempt_principal_arns: Iterable[str] = ()) -> str:
        return scp_text(self.scp_policy(exempt_principal_arns))

    def summary(self) -> str:
        t = self.target
        lines = [f"GuardDuty migration to AWS Organizations: delegated administrator {t.admin_account_id} "
                 f"({self.account_names.get(t.admin_account_id) or '?'}; chosen by {t.admin_chosen_by}), "
                 f"auto-enable {t.auto_enable}, regions {', '.join(self.regions)}"]
        if self.current is not None:
            c = self.current.cost_summary
            lines.append(f"invitations so far: {c['invitations_sent']} sent, {c['invitations_accepted']} accepted, "
                         f"{c['invitations_pending']} pending; each new account costs {c['invitations_per_new_account']}"
                         f" invitation(s) (one per region) under the old model, none after")
        todo = sum(1 for s in self.steps if s.api and not s.done_in_snapshot)
        lines.append(f"{len(self.steps)} steps, {todo} to do according to the snapshot")
        b = self.blocked_regions()
        if b:
            lines.append(f"BLOCKED regions (fix the errors below first, or leave them out with --regions): "
                         f"{', '.join(b)}")
        return "\n".join(lines)


def _why(kind: str, **kw: Any) -> str:
    return {
        "designate_admin": "only the management account can designate the GuardDuty delegated administrator; "
                           "its in-organisation invitation members then become organisation members",
        "enable_admin_detector": "the delegated administrator needs its own enabled detector to manage members "
                                 "and the organisation configuration",
        "disassociate_other_admin": f"a member account has one administrator: the tie to {kw.get('other')} must go "
                                    "before the new administrator can enrol the account (detectors and findings "
                                    "stay)",
        "enrol_members": "CreateMembers from the delegated administrator makes existing accounts organisation "
                         "members and enables GuardDuty in them (auto-enable alone can take up to 24 h)",
        "set_auto_enable": f"auto-enable {kw.get('mode')}: "
                           + ("every account, present and future, is enrolled automatically"
                              if kw.get("mode") == "ALL" else "accounts that join later are enrolled automatically"),
        "align_features": "keep the protection plans in use: members get them through the organisation "
                          "configuration",
        "resume_suspended": "the detector is suspended (it keeps its findings); only the account itself can "
                            "re-enable it",
        "keep_external_members": "accounts outside the organisation can only be invitation members: they stay "
                                 "as they are",
        "verify": "read back the result",
    }[kind]


def plan_migration(org, admin: str | None = None, regions: Iterable[str] | None = None, auto_enable: str = "ALL",
                   features: Iterable[str] | None = None, resume_suspended: bool = False,
                   role_name: str = "OrganizationAccountAccessRole", check_scps: bool = True,
                   with_current: bool = True) -> MigrationPlan:
    """The migration plan for ``org`` (an :class:`orgkit.model.Org`).

    ``admin``: the delegated administrator (default: :func:`default_admin`). ``regions``: default the regions of
    the snapshot. ``auto_enable``: ``ALL`` or ``NEW``. ``features``: the protection plans to keep (names as in
    ``UpdateOrganizationConfiguration``; default per region: those on in the admin's detector or the current
    organisation configuration; ``[]`` for none). ``resume_suspended``: add a step re-enabling suspended detectors
    (made by each member itself). ``role_name``: the role the executor assumes (used for the SCP pre-flight).
    """
    auto_enable = str(auto_enable).upper()
    if auto_enable not in AUTO_ENABLE_MODES:
        raise PlanError(f"auto-enable must be one of {', '.join(AUTO_ENABLE_MODES)}, not {auto_enable!r}")
    if features is not None:
        features = tuple(str(f).upper() for f in features)
        bad = [f for f in features if f not in ORG_FEATURES]
        if bad:
            raise PlanError(f"unknown GuardDuty feature(s) {', '.join(bad)}; known: {', '.join(ORG_FEATURES)}")
        if "EKS_RUNTIME_MONITORING" in features and "RUNTIME_MONITORING" in features:
            raise PlanError("EKS_RUNTIME_MONITORING and RUNTIME_MONITORING cannot both be given "
                            "(RUNTIME_MONITORING includes EKS)")
    all_regions = list(org.regions_requested)
    regions = list(regions) if regions else all_regions
    unknown_regions = [r for r in regions if r not in all_regions]
    if unknown_regions:
        raise PlanError(f"region(s) {', '.join(unknown_regions)} are not in the snapshot "
                        f"(it has {', '.join(all_regions)})")
    chosen_by = "user"
    if admin is None:
        admin, chosen_by = default_admin(org)
        if admin is None:
            raise PlanError("no GuardDuty administrator in the snapshot to propose: choose one with admin=")
    admin = str(admin)
    if not re.fullmatch(r"\d{12}", admin):
        raise PlanError(f"{admin!r} is not a 12-digit account id")
    mgmt = org.management_account_id
    accts = _accounts(org)
    names = {a: r.get("account_name") for a, r in accts.items()}
    target = Target(admin_account_id=admin, auto_enable=auto_enable, features=features, regions=tuple(regions),
                    resume_suspended=resume_suspended, role_name=role_name, admin_chosen_by=chosen_by)
    issues: list[Issue] = []
    steps: list[Step] = []
    active = {a for a, r in accts.items() if r.get("status") in (None, "ACTIVE")}
    for a, r in sorted(accts.items()):
        if a not in active:
            issues.append(Issue("info", "account_not_active", None, a,
                                f"account {a} is {r.get('status')}: left out"))

    # ---- global pre-flight
    if admin not in accts:
        issues.append(Issue("error", "admin_not_in_organization", None, admin,
                            f"{admin} is not an account of organisation {org.organization_id}: only an account of "
                            "the organisation can be its GuardDuty delegated administrator"))
    elif admin not in active:
        issues.append(Issue("error", "admin_not_active", None, admin,
                            f"{admin} is {accts[admin].get('status')}: it cannot be the delegated administrator"))
    if admin == mgmt:
        issues.append(Issue("warning", "admin_is_management", None, admin,
                            "AWS recommends not making the management account the GuardDuty delegated "
                            "administrator (least privilege)"))
    other_delegated = sorted(set(org.delegated_admins.loc[org.delegated_admins["service_principal"]
                                                          == SERVICE_PRINCIPAL, "account_id"]) - {admin})
    for o in other_delegated:
        issues.append(Issue("error", "other_delegated_admin", None, o,
                            f"{o} is registered in Organizations as GuardDuty's delegated administrator: "
                            "EnableOrganizationAdminAccount for another account fails until it is removed "
                            "(DisableOrganizationAdminAccount in each region, which drops its organisation "
                            "members: outside this plan)"))

    order = 0

    def add(region: str, kind: str, account: str | None, api: str | None, params: dict, check: str,
            accounts: Iterable[str] = (), done: bool = False, note: str | None = None, suffix: str = "",
            other_admin: str | None = None, **why: Any) -> Step:
        nonlocal order
        order += 1
        k = STEP_KINDS.index(kind) + 1
        sid = f"{region}/{k}-{kind}" + (f"-{suffix}" if suffix else "")
        st = Step(step_id=sid, order=order, region=region, kind=kind, account_id=account, api=api, params=params,
                  why=_why(kind, **why), check=check, accounts=sorted(accounts), done_in_snapshot=done, note=note,
                  other_admin=other_admin)
        steps.append(st)
        return st

    members = org.guardduty_members
    adminviews = org.guardduty_administrators
    orgcfg = org.guardduty_org_config
    features_by_region: dict[str, list[str]] = {}
    expected: dict[str, list[str]] = {}
    admin_detectors: dict[str, str | None] = {}
    for region in regions:
        rm = members[members["region"] == region]
        # -- region pre-flight
        en = _region_enabled(org, admin, region) if admin in accts else None
        if admin in accts and en is False:
            issues.append(Issue("error", "region_not_enabled", region, admin,
                                f"{region} is not enabled in the admin account {admin}: GuardDuty calls there fail "
                                "(enable the region, or leave it out with regions=)"))
        elif admin in accts and en is None:
            issues.append(Issue("warning", "region_unknown", region, admin,
                                f"whether {region} is enabled in {admin} was not read"))
        cur_da = org.guardduty_admins[(org.guardduty_admins["region"] == region)
                                      & (org.guardduty_admins["admin_status"].fillna("ENABLED") == "ENABLED")]
        cur_da_ids = sorted(set(cur_da["admin_account_id"]))
        for o in cur_da_ids:
            if o != admin:
                issues.append(Issue("error", "other_delegated_admin", region, o,
                                    f"{o} is already GuardDuty's delegated administrator in {region}: "
                                    "EnableOrganizationAdminAccount would fail (changing it means "
                                    "DisableOrganizationAdminAccount, which drops its members: outside this plan)"))
        # the admin itself a member of another administrator? (associated: blocks; a pending invitation: warn)
        tie: dict[str, str] = {}
        for o, st_ in zip(rm.loc[(rm["account_id"] == admin) & (rm["administrator_id"] != admin), "administrator_id"],
                          rm.loc[(rm["account_id"] == admin) & (rm["administrator_id"] != admin),
                                 "relationship_status"]):
            tie[o] = st_
        av = adminviews[(adminviews["account_id"] == admin) & (adminviews["region"] == region)]
        for o, st_ in zip(av["administrator_id"], av["relationship_status"]):
            if o and o != admin and tie.get(o) not in ASSOCIATED:
                tie[o] = st_
        for o in sorted(tie):
            if tie[o] in ASSOCIATED:
                issues.append(Issue("error", "admin_is_member_elsewhere", region, admin,
                                    f"the admin {admin} is itself a member of {o} in {region}: an account cannot be "
                                    f"an administrator and a member at once. First release it: DisassociateMembers"
                                    f" (AccountIds=[{admin}]) from {o}, or DisassociateFromAdministratorAccount in "
                                    f"{admin}"))
            elif tie[o] == "Invited":
                issues.append(Issue("warning", "admin_invited_elsewhere", region, admin,
                                    f"{o} has a pending invitation for the admin {admin} in {region}: do not accept "
                                    "it (DeclineInvitations in the admin clears it)"))

        # -- who should be an organisation member here
        region_ok = {a for a in active if _region_enabled(org, a, region) is not False}
        for a in sorted(active - region_ok):
            if a != admin:
                issues.append(Issue("info", "member_region_not_enabled", region, a,
                                    f"{region} is not enabled in {a} ({names.get(a)}): not enrolled there "
                                    "(GuardDuty needs the region)"))
        # other administrators: whoever has associated in-organisation members here, and what members report
        others: dict[str, set[str]] = {}
        for m in rm.to_dict("records"):
            if m["administrator_id"] != admin and m["account_id"] in active and m["account_id"] != admin \
                    and m["relationship_status"] in ASSOCIATED:
                others.setdefault(m["administrator_id"], set()).add(m["account_id"])
        for v in adminviews[adminviews["region"] == region].to_dict("records"):
            if v["administrator_id"] and v["administrator_id"] != admin and v["account_id"] in active \
                    and v["account_id"] != admin and v["relationship_status"] in ASSOCIATED:
                others.setdefault(v["administrator_id"], set()).add(v["account_id"])
        # an old administrator that keeps members outside the organisation stays an administrator: it cannot
        # become a member of the new one
        keeps_external: dict[str, list[str]] = {}
        for m in rm.to_dict("records"):
            if m["account_id"] not in accts and m["relationship_status"] in ASSOCIATED + ("Invited", "Created"):
                keeps_external.setdefault(m["administrator_id"], []).append(m["account_id"])
        exp = sorted(a for a in region_ok if a != admin and a not in keeps_external)
        for a in sorted(keeps_external):
            if a != admin and a in active:
                issues.append(Issue("warning", "old_admin_keeps_external_members", region, a,
                                    f"{a} ({names.get(a)}) keeps invitation members outside the organisation in "
                                    f"{region} ({', '.join(sorted(keeps_external[a]))}): it stays their "
                                    "administrator and cannot be enrolled as a member"))
        expected[region] = exp

        # -- 1 designate
        designated = admin in cur_da_ids
        add(region, "designate_admin", mgmt, "guardduty:EnableOrganizationAdminAccount", {"AdminAccountId": admin},
            f"ListOrganizationAdminAccounts (management account, {region}) lists {admin} with AdminStatus ENABLED",
            done=designated)
        # -- 2 admin detector
        det = _detector(org, admin, region)
        if det is not None and det["status"] == "DISABLED":
            add(region, "enable_admin_detector", admin, "guardduty:UpdateDetector",
                {"DetectorId": det["detector_id"], "Enable": True},
                f"GetDetector ({admin}, {region}) answers Status ENABLED")
        else:
            add(region, "enable_admin_detector", admin, "guardduty:CreateDetector", {"Enable": True},
                f"ListDetectors ({admin}, {region}) returns a detector and GetDetector answers Status ENABLED",
                done=det is not None,
                note=None if det is not None or _gd_read(org, admin, region) in ("ok", "partial")
                else "the admin's detectors were not read: the executor checks live")
        admin_det = det["detector_id"] if det is not None else "<the admin's detector id>"
        admin_detectors[region] = det["detector_id"] if det is not None else None
        # -- 3 disassociate from other administrators
        for o in sorted(others):
            accs = sorted(others[o])
            if o in accts:
                odet = _detector(org, o, region)
                add(region, "disassociate_other_admin", o, "guardduty:DisassociateMembers",
                    {"DetectorId": odet["detector_id"] if odet else f"<detector of {o}>", "AccountIds": accs},
                    f"GetMembers ({o}, {region}, AccountIds) shows none of them Enabled or Disabled",
                    accounts=accs, suffix=o, other=o, other_admin=o,
                    note="never DeleteDetector in a member: its findings would be lost")
                continue
            # an administrator outside the organisation: we cannot act as it, so each member leaves it itself
            issues.append(Issue("info", "old_admin_outside_organization", region, o,
                                f"{o} is outside the organisation and administers {', '.join(accs)} in {region}: "
                                "each of them leaves it itself (DisassociateFromAdministratorAccount)"))
            for a in accs:
                mdet = _detector(org, a, region)
                add(region, "disassociate_other_admin", a, "guardduty:DisassociateFromAdministratorAccount",
                    {"DetectorId": mdet["detector_id"] if mdet else f"<detector of {a}>"},
                    f"GetAdministratorAccount ({a}, {region}) no longer shows {o} Enabled or Disabled",
                    accounts=[a], suffix=f"{o}-{a}", other=o, other_admin=o,
                    note="never DeleteDetector in a member: its findings would be lost")
        # -- 4 enrol
        assoc_now = set(rm.loc[(rm["administrator_id"] == admin) & rm["relationship_status"].isin(ASSOCIATED),
                               "account_id"])
        missing = [a for a in exp if a not in assoc_now]
        add(region, "enrol_members", admin, "guardduty:CreateMembers",
            {"DetectorId": admin_det,
             "AccountDetails": [{"AccountId": a, "Email": accts[a].get("email")} for a in missing]},
            f"GetMembers ({admin}, {region}) shows each of the {len(exp)} expected accounts with RelationshipStatus "
            "Enabled or Disabled (the executor creates only the missing ones)",
            accounts=exp, done=not missing)
        # -- 5 auto-enable
        oc = orgcfg[(orgcfg["region"] == region) & (orgcfg["admin_account_id"] == admin)]
        cur_mode = oc.iloc[0]["auto_enable_organization_members"] if len(oc) else None
        add(region, "set_auto_enable", admin, "guardduty:UpdateOrganizationConfiguration",
            {"DetectorId": admin_det, "AutoEnableOrganizationMembers": auto_enable},
            f"DescribeOrganizationConfiguration ({admin}, {region}) answers AutoEnableOrganizationMembers "
            f"{auto_enable}", done=cur_mode == auto_enable, mode=auto_enable)
        # -- 6 features
        if features is not None:
            feats = list(features)
        else:
            on = set()
            if det is not None:
                on |= {f.get("Name") for f in det.get("features") or [] if f.get("Status") == "ENABLED"}
            if len(oc):
                on |= {f.get("Name") for f in oc.iloc[0]["features"] or [] if f.get("AutoEnable") in ("NEW", "ALL")}
            feats = [f for f in ORG_FEATURES if f in on]
            if "RUNTIME_MONITORING" in feats and "EKS_RUNTIME_MONITORING" in feats:
                feats.remove("EKS_RUNTIME_MONITORING")
        features_by_region[region] = feats
        if feats:
            cur_feats = {f.get("Name"): f.get("AutoEnable") for f in (oc.iloc[0]["features"] if len(oc) else [])
                         or []}
            add(region, "align_features", admin, "guardduty:UpdateOrganizationConfiguration",
                {"DetectorId": admin_det, "AutoEnableOrganizationMembers": auto_enable,
                 "Features": [{"Name": f, "AutoEnable": auto_enable} for f in feats]},
                f"DescribeOrganizationConfiguration ({admin}, {region}) answers AutoEnable {auto_enable} for "
                + ", ".join(feats), done=bool(len(oc)) and all(cur_feats.get(f) == auto_enable for f in feats))
        # -- 7 suspended detectors
        susp = org.detectors[(org.detectors["region"] == region) & (org.detectors["status"] == "DISABLED")]
        for d in susp.to_dict("records"):
            a = d["account_id"]
            if a == admin or a not in active:
                continue
            if resume_suspended:
                add(region, "resume_suspended", a, "guardduty:UpdateDetector",
                    {"DetectorId": d["detector_id"], "Enable": True},
                    f"GetDetector ({a}, {region}) answers Status ENABLED", accounts=[a], suffix=a)
            else:
                issues.append(Issue("info", "suspended_detector", region, a,
                                    f"the detector of {a} ({names.get(a)}) in {region} is suspended: it stays "
                                    "suspended (its findings are kept) unless you ask to resume it"))
        # -- 8 external members
        ext = sorted({m["account_id"] for m in rm.to_dict("records") if m["account_id"] not in accts})
        if ext:
            add(region, "keep_external_members", None, None, {},
                "nothing to check: no call is made", accounts=ext,
                note="outside the organisation: they stay invitation members of "
                     + ", ".join(sorted({m['administrator_id'] for m in rm.to_dict('records')
                                         if m['account_id'] in ext})))
            for a in ext:
                issues.append(Issue("info", "external_member_kept", region, a,
                                    f"{a} is outside the organisation: it stays an invitation member in {region} "
                                    "(untouched)"))
        # -- 9 verify
        add(region, "verify", admin, None, {},
            f"ListOrganizationAdminAccounts shows {admin}; GetMembers shows the {len(exp)} expected accounts "
            f"Enabled or Disabled; DescribeOrganizationConfiguration answers {auto_enable}", accounts=exp)

    plan = MigrationPlan(target=target, management_account_id=mgmt, organization_id=org.organization_id,
                         snapshot=str(org.path) if org.path else None,
                         collected_at=org.manifest.get("collected_at"), steps=steps, issues=issues,
                         features_by_region=features_by_region, expected_members=expected, account_names=names,
                         admin_detectors=admin_detectors)
    if check_scps:
        scp_preflight(org, plan)
    if with_current:
        plan.current = current_state(org, regions)
    return plan


# ----------------------------------------------------------------------------------------------- SCP pre-flight
def step_actions(step: Step) -> list[str]:
    """The IAM actions a step needs in the account that makes it: its call and the reads that check it."""
    acts = [step.api] if step.api else []
    return acts + CHECK_CALLS.get(step.kind, [])


def scp_preflight(org, plan: MigrationPlan) -> list[Issue]:
    """Ask :mod:`orgkit.scp` whether the SCPs let each step's account make the step's calls (as the role the
    executor assumes, in the step's region). ``explicit_deny``/``implicit_deny`` → error; ``conditional`` →
    warning. The management account is exempt from SCPs."""
    from orgkit import scp

    found: list[Issue] = []
    ev = scp.evaluator(org)
    seen: set[tuple] = set()
    for st in plan.steps:
        acct = st.account_id
        if not acct or acct == plan.management_account_id or acct not in plan.account_names:
            continue
        for action in step_actions(st):
            key = (acct, action, st.region)
            if key in seen:
                continue
            seen.add(key)
            d = ev.decide(acct, action, principal=f"role/{plan.target.role_name}",
                          context={"aws:RequestedRegion": st.region})
            if d.decision in ("explicit_deny", "implicit_deny"):
                found.append(Issue("error", "scp_denies", st.region, acct,
                                   f"SCP {d.decision}: {action} by role/{plan.target.role_name} in {acct} "
                                   f"({st.region}): {d.reason} [{d.source or d.policy_id or ''}]", st.step_id))
            elif d.decision == "conditional":
                found.append(Issue("warning", "scp_conditional", st.region, acct,
                                   f"SCP conditional: {action} in {acct} ({st.region}) depends on "
                                   f"{', '.join(d.depends_on) or '?'}", st.step_id))
    plan.issues.extend(found)
    return found
