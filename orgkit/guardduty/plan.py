"""GuardDuty from invitations to AWS Organizations: the plan, pure, from a snapshot.

    from orgkit import load
    from orgkit.guardduty import plan_migration

    plan = plan_migration(load("snap"), admin="123456789012", auto_enable="ALL")
    plan.table()               # the steps, per region, in order: call, parameters, calling account, why, how to check
    plan.issues_frame()        # pre-flight findings that would make a step fail (severity error blocks the region)
    plan.suspended_outcomes()  # what the migration does to each suspended detector, and by which step
    plan.current               # today's state: coverage, administrators, member ties, suspended, no detector, cost
    plan.to_json(); plan.terraform(); plan.scp_text()

Nothing here calls AWS: :mod:`orgkit.aws.migrate` carries a plan out (the one module that writes).

The order of the steps in a region follows the GuardDuty user guide ("Consolidating GuardDuty administrator
accounts under a single organization", "Adding members to the organization") and the API reference (CreateMembers,
UpdateOrganizationConfiguration); docs/guardduty-migration.md quotes each sentence relied on:

1. ``resume_suspended`` — the member itself: ``UpdateDetector(DetectorId, Enable=True)``, for a suspended detector
   of an account that is *already* an associated invitation member of the new administrator (CreateMembers will not
   touch it; an organisation member is restarted by the administrator instead, step 9).
   It runs first, while the account still controls its own detector. Suspended detectors of accounts that are not
   yet members are re-enabled by ``enrol_members`` itself ("As a delegated administrator, using CreateMembers will
   enable GuardDuty in the added member accounts"). ``keep_suspended`` keeps chosen suspensions instead.
2. ``disassociate_other_admin`` — each other administrator: ``DisassociateMembers(DetectorId, AccountIds)`` for its
   in-organisation members (an administrator outside the organisation: each member's
   ``DisassociateFromAdministratorAccount``). AWS consolidates by disassociating members from the pre-existing
   administrators *before* designating the delegated administrator; an account keeps one administrator, and an
   administrator with active members cannot be added as a member. Member detectors are never deleted (deleting a
   detector deletes its findings).
3. ``designate_admin`` — management account: ``EnableOrganizationAdminAccount(AdminAccountId)``. Invitation members
   of that account that belong to the organisation become organisation members there and then.
4. ``enable_admin_detector`` — the admin: ``CreateDetector(Enable=True)`` (or ``UpdateDetector(Enable=True)`` on
   a suspended one). The organisation calls below need the admin's detector.
5. ``set_auto_enable`` — the admin: ``UpdateOrganizationConfiguration(DetectorId, AutoEnableOrganizationMembers)``.
6. ``align_features`` — the admin: the same call with ``Features`` (the protection plans to keep). Both come
   *before* enrolment: "GuardDuty applies your organization's auto-enable settings to the member accounts in this
   request [CreateMembers], irrespective of the accounts being new or existing members".
7. ``enable_management_detector`` — the management account: ``CreateDetector(Enable=True)`` (or
   ``UpdateDetector``) where it has no enabled detector: "Before the management account gets added as a GuardDuty
   member, it must have GuardDuty enabled." (``include_management=False`` leaves it out, and says so.)
8. ``enrol_members`` — the admin: ``CreateMembers(DetectorId, AccountDetails)`` for every in-organisation account
   (region enabled) not yet an associated member. As the delegated admin this enables GuardDuty in them.
9. ``start_monitoring`` — the admin: ``StartMonitoringMembers(DetectorId, AccountIds)`` for members of the new
   administrator whose monitoring an administrator stopped (``StopMonitoringMembers``: the member record says
   ``Disabled`` while the member's own detector is enabled). AWS: "Use this operation to restart monitoring of
   accounts that you stopped monitoring with the StopMonitoringMembers operation." The same call restarts an
   *organisation* member whose detector is suspended: its GuardDuty status is the administrator's to set (an
   administrator can "enable, suspend, or disable the status of GuardDuty on behalf of associated member accounts";
   a member "can disable GuardDuty themselves" only once removed). An *invitation* member whose own detector is
   suspended re-enables it itself instead (step 1, ``UpdateDetector``), or CreateMembers / auto-enable ALL do.
10. ``keep_external_members`` — no call: accounts outside the organisation can only be invitation members; they
   stay as they are, and the plan says so.
11. ``verify`` — read only: the admin is designated, every expected account is an associated member, auto-enable.
"""


from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

from orgkit.guardduty.render import guardduty_scp, scp_text, terraform
from orgkit.guardduty.state import (ASSOCIATED, SERVICE_PRINCIPAL, CurrentState, PlanError, _accounts, _records,
                                    current_state, default_admin, no_default_admin_message)
from orgkit.coverage.guardduty import AGENT_MANAGEMENT, auto_enabled_plans, plan_status
from orgkit.guardduty.availability import why_not_offered

AUTO_ENABLE_MODES = ("ALL", "NEW")
#: "A delegated GuardDuty administrator account can manage a maximum of 50,000 members." (GuardDuty user guide,
#: Managing GuardDuty accounts with AWS Organizations, read 2026-12)
MAX_MEMBERS = 50_000
ORG_FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
                "EKS_RUNTIME_MONITORING", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING")

STEP_KINDS = ("resume_suspended", "disassociate_other_admin", "designate_admin", "enable_admin_detector",
              "set_auto_enable", "align_features", "enable_management_detector", "enrol_members",
              "start_monitoring", "keep_external_members", "verify")
#: read calls that tell whether a step is already done (the executor makes them before each step)
CHECK_CALLS = {
    "designate_admin": ["guardduty:ListOrganizationAdminAccounts"],
    "enable_admin_detector": ["guardduty:ListDetectors", "guardduty:GetDetector"],
    "enable_management_detector": ["guardduty:ListDetectors", "guardduty:GetDetector"],
    "disassociate_other_admin": ["guardduty:ListDetectors", "guardduty:GetMembers",
                                 "guardduty:GetAdministratorAccount"],
    "enrol_members": ["guardduty:ListDetectors", "guardduty:GetMembers"],
    "start_monitoring": ["guardduty:ListDetectors", "guardduty:GetMembers"],
    "set_auto_enable": ["guardduty:ListDetectors", "guardduty:DescribeOrganizationConfiguration"],
    "align_features": ["guardduty:ListDetectors", "guardduty:DescribeOrganizationConfiguration"],
    "resume_suspended": ["guardduty:ListDetectors", "guardduty:GetDetector"],
    "keep_external_members": [],
    "verify": ["guardduty:ListOrganizationAdminAccounts", "guardduty:ListDetectors", "guardduty:GetMembers",
               "guardduty:DescribeOrganizationConfiguration"],
}
__all__ = ["AUTO_ENABLE_MODES", "ORG_FEATURES", "STEP_KINDS", "CHECK_CALLS", "Target", "Step", "Issue",
           "MigrationPlan", "plan_migration", "scp_preflight", "step_actions"]


# ----------------------------------------------------------------------------------------------- data
#: how the delegated administrator was chosen, in user words (``Target.admin_chosen_by``)
_CHOSEN_BY = {"user": "chosen with --admin", "invitation_admin": "proposed: today's invitation administrator",
              "delegated_admin": "proposed: today's delegated administrator"}


@dataclass
class Target:
    admin_account_id: str
    auto_enable: str = "ALL"
    features: tuple[str, ...] | None = None  # None: per region, those the admin has on (detector or org config)
    regions: tuple[str, ...] = ()
    #: suspended detectors to keep suspended: account ids, or ("*",) for every one (default: none, all re-enabled)
    keep_suspended: tuple[str, ...] = ()
    include_management: bool = True  # enrol the management account (enabling its detector first where needed)
    role_name: str = "OrganizationAccountAccessRole"
    admin_chosen_by: str = "user"  # user | invitation_admin | delegated_admin
    migrate_eks_runtime: bool = False  # send RUNTIME_MONITORING where the legacy EKS_RUNTIME_MONITORING is used


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
    #: Runtime Monitoring's automated agent management carried per region (its AdditionalConfiguration names)
    agents_by_region: dict[str, list[str]] = field(default_factory=dict)
    expected_members: dict[str, list[str]] = field(default_factory=dict)
    account_names: dict[str, str] = field(default_factory=dict)
    admin_detectors: dict[str, str | None] = field(default_factory=dict)
    #: the auto-enable mode each region gets (the target's, or NEW where ALL would re-enable a kept suspension)
    auto_enable_by_region: dict[str, str] = field(default_factory=dict)
    #: one entry per suspended detector in scope: account_id, region, detector_id, outcome, step_id, reason
    suspended: list[dict] = field(default_factory=list)

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

    def auto_enable_in(self, region: str) -> str:
        return self.auto_enable_by_region.get(region, self.target.auto_enable)

    def suspended_outcomes(self) -> pd.DataFrame:
        """What the migration does to each suspended detector: ``outcome`` is ``re-enabled`` (by the step named in
        ``step_id``: CreateMembers, or the member's own UpdateDetector), ``kept_suspended`` (``keep_suspended``:
        left out of CreateMembers, and auto-enable NEW in its region so that ALL does not re-enable it) or
        ``left_out`` (the account is not enrolled at all: ``reason`` says why)."""
        cols = ["account_id", "account_name", "region", "detector_id", "outcome", "by", "step_id", "reason"]
        rows = [{**r, "account_name": self.account_names.get(r["account_id"])} for r in self.suspended]
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
            "agents_by_region": self.agents_by_region,
            "expected_members": self.expected_members,
            "auto_enable_by_region": self.auto_enable_by_region,
            "suspended": self.suspended,
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
        """The plan in a few lines of user text (no internal names)."""
        t = self.target
        lines = [f"GuardDuty migration to AWS Organizations: delegated administrator {t.admin_account_id} "
                 f"({self.account_names.get(t.admin_account_id) or '?'}; {_CHOSEN_BY.get(t.admin_chosen_by, t.admin_chosen_by)}), "
                 f"auto-enable {t.auto_enable}, regions {', '.join(self.regions)}"]
        if self.current is not None:
            c = self.current.cost_summary
            lines.append(f"invitations so far: {c['invitations_sent']} sent, {c['invitations_accepted']} accepted, "
                         f"{c['invitations_pending']} pending; each new account costs {c['invitations_per_new_account']}"
                         f" invitation(s) (one per region) under the old model, none after")
        todo = sum(1 for s in self.steps if s.api and not s.done_in_snapshot)
        lines.append(f"{len(self.steps)} steps, {todo} to do according to the snapshot")
        lowered = sorted(r for r, m in self.auto_enable_by_region.items() if m != t.auto_enable)
        if lowered:
            lines.append(f"auto-enable NEW instead of {t.auto_enable} in {', '.join(lowered)}: ALL would re-enable "
                         "the suspended detectors you chose to keep")
        if self.suspended:
            n = {}
            for r in self.suspended:
                n[r["outcome"]] = n.get(r["outcome"], 0) + 1
            lines.append("suspended detectors: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(n.items()))
                         + " (each one in the table of suspended detectors)")
        b = self.blocked_regions()
        if b:
            lines.append(f"BLOCKED regions (fix the errors below first, or leave them out with --regions): "
                         f"{', '.join(b)}")
        return "\n".join(lines)


def _why(kind: str, **kw: Any) -> str:
    return {
        "resume_suspended": "the detector is suspended and the account is already an invitation member of the "
                            "new administrator, so CreateMembers will not touch it: an invitation member controls "
                            "its own detector, so it re-enables it itself, before the switch (its findings are kept)",
        "start_monitoring": "the administrator stopped monitoring these members (their membership says Disabled), "
                            "or they are organisation members whose detector is suspended (their GuardDuty status is "
                            "the administrator's to set): StartMonitoringMembers is the call AWS documents \"to "
                            "restart monitoring of accounts that you stopped monitoring with the "
                            "StopMonitoringMembers operation\"",
        "disassociate_other_admin": f"AWS consolidates by disassociating members from their pre-existing "
                                    f"administrator ({kw.get('other')}) before the delegated administrator is "
                                    "designated: a member account has one administrator (detectors and findings "
                                    "stay)",
        "designate_admin": "only the management account can designate the GuardDuty delegated administrator; "
                           "its in-organisation invitation members then become organisation members",
        "enable_admin_detector": "the delegated administrator needs its own enabled detector to manage members "
                                 "and the organisation configuration",
        "set_auto_enable": f"auto-enable {kw.get('mode')}, set before enrolment because CreateMembers applies the "
                           "organisation's auto-enable settings to the accounts it adds: "
                           + ("every account, present and future, is enrolled automatically (suspended ones too)"
                              if kw.get("mode") == "ALL" else "accounts that join later are enrolled automatically"),
        "align_features": "keep the protection plans in use; set before enrolment so that CreateMembers gives "
                          "them to the accounts it adds (with NEW, a later change would not reach them)",
        "enable_management_detector": "before the management account is added as a GuardDuty member it must have "
                                      "GuardDuty enabled (CreateMembers does not enable it there)",
        "enrol_members": "CreateMembers from the delegated administrator makes existing accounts organisation "
                         "members and enables GuardDuty in them, suspended detectors included (auto-enable alone "
                         "can take up to 24 h)",
        "keep_external_members": "accounts outside the organisation can only be invitation members: they stay "
                                 "as they are",
        "verify": "read back the result",
    }[kind]


def _keep_set(keep_suspended: Any) -> tuple[str, ...]:
    if keep_suspended is True:
        return ("*",)
    if not keep_suspended:
        return ()
    if isinstance(keep_suspended, str):
        keep_suspended = [x.strip() for x in keep_suspended.split(",") if x.strip()]
    out = tuple(sorted({str(a) for a in keep_suspended}))
    if "*" in out or "all" in out:
        return ("*",)
    bad = [a for a in out if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise PlanError(f"keep_suspended takes 12-digit account ids (or '*' for all): {', '.join(bad)}")
    return out


class _Index:
    """The snapshot's frames as dictionaries, built once: the plan looks each (account, region) up in O(1), so
    its time grows linearly with the organisation (filtering whole frames per account and region did not)."""

    def __init__(self, org):
        self.accts = _accounts(org)
        self.enabled: dict[tuple[str, str], bool | None] = {}
        for a, r, e in zip(org.regions["account_id"].tolist(), org.regions["region"].tolist(),
                           org.regions["enabled"].tolist()):
            self.enabled[(a, r)] = None if (e is None or e is pd.NA or e != e) else bool(e)
        self.detectors: dict[tuple[str, str], dict] = {}
        self.suspended_by_region: dict[str, dict[str, dict]] = {}
        for d in _records(org.detectors, ["account_id", "region", "detector_id", "status", "features"]):
            if (d["account_id"], d["region"]) in self.detectors:
                continue
            self.detectors[(d["account_id"], d["region"])] = d
            if d["status"] == "DISABLED":
                self.suspended_by_region.setdefault(d["region"], {})[d["account_id"]] = d
        rd = org.reads[org.reads["service"] == "guardduty"]
        self.gd_read: dict[tuple[str, str], str] = {}
        for a, r, st in zip(rd["account_id"].tolist(), rd["region"].tolist(), rd["status"].tolist()):
            self.gd_read.setdefault((a, r), st)
        self.members_by_region: dict[str, list[dict]] = {}
        for m in _records(org.guardduty_members, ["region", "administrator_id", "account_id",
                                                  "relationship_status", "by_invitation"]):
            self.members_by_region.setdefault(m["region"], []).append(m)
        self.adminviews_by_region: dict[str, list[dict]] = {}
        for v in _records(org.guardduty_administrators, ["region", "account_id", "administrator_id",
                                                         "relationship_status"]):
            self.adminviews_by_region.setdefault(v["region"], []).append(v)
        self.orgcfg: dict[tuple[str, str], dict] = {}
        for c in _records(org.guardduty_org_config):
            self.orgcfg.setdefault((c["region"], c["admin_account_id"]), c)
        ga = org.guardduty_admins
        ga = ga[ga["admin_status"].fillna("ENABLED") == "ENABLED"]
        self.delegated_by_region: dict[str, set[str]] = {}
        for r, a in zip(ga["region"].tolist(), ga["admin_account_id"].tolist()):
            self.delegated_by_region.setdefault(r, set()).add(a)

    def region_enabled(self, account_id: str, region: str) -> bool | None:
        return self.enabled.get((account_id, region))


def plan_migration(org, admin: str | None = None, regions: Iterable[str] | None = None, auto_enable: str = "ALL",
                   features: Iterable[str] | None = None, keep_suspended: Iterable[str] | bool = (),
                   include_management: bool = True, role_name: str = "OrganizationAccountAccessRole",
                   check_scps: bool = True, with_current: bool = True,
                   resume_suspended: bool | None = None, migrate_eks_runtime: bool = False) -> MigrationPlan:
    """The migration plan for ``org`` (an :class:`orgkit.model.Org`).

    ``admin``: the delegated administrator (default: :func:`default_admin`). ``regions``: default the regions of
    the snapshot. ``auto_enable``: ``ALL`` or ``NEW``. ``features``: the protection plans to keep (names as in
    ``UpdateOrganizationConfiguration``; default per region: those on in the admin's detector or the current
    organisation configuration; ``[]`` for none).

    Suspended detectors are **re-enabled** by default (coverage is the point): CreateMembers from the delegated
    administrator enables GuardDuty in the accounts it adds, and an account that is already a member of the new
    administrator re-enables its own detector first (``resume_suspended`` step). ``keep_suspended`` (account ids,
    or ``True``/``"*"`` for all) keeps those suspensions instead: the accounts are left out of CreateMembers and,
    where ALL would re-enable them, the region's auto-enable is NEW (said as a warning).
    :meth:`MigrationPlan.suspended_outcomes` says what happens to each suspended detector.

    ``migrate_eks_runtime``: where the plans to carry hold the legacy ``EKS_RUNTIME_MONITORING`` and not
    ``RUNTIME_MONITORING``, send ``RUNTIME_MONITORING`` instead (its EKS agent management carried); without it the
    legacy feature is carried as it is and a ``legacy_eks_runtime`` warning says so (AWS documents the migration
    from EKS Runtime Monitoring to Runtime Monitoring; specifying both is an error).

    ``include_management``: enrol the management account too (the default), after enabling its detector where it
    has none; ``False`` leaves it out (an info finding says so). ``role_name``: the role the executor assumes
    (used for the SCP pre-flight). ``resume_suspended``: deprecated (re-enabling is the default now);
    ``resume_suspended=False`` means ``keep_suspended=True``.
    """
    if resume_suspended is not None:
        import warnings

        warnings.warn("resume_suspended is deprecated: suspended detectors are re-enabled by default; use "
                      "keep_suspended= to keep some", DeprecationWarning, stacklevel=2)
        if resume_suspended is False and not keep_suspended:
            keep_suspended = True
    keep = _keep_set(keep_suspended)
    auto_enable = str(auto_enable).upper()
    if auto_enable not in AUTO_ENABLE_MODES:
        raise PlanError(f"auto-enable must be one of {', '.join(AUTO_ENABLE_MODES)}, not {auto_enable!r}")
    agents_asked: tuple[str, ...] | None = None
    if features is not None:
        features = tuple(str(f).upper() for f in features)
        bad = [f for f in features if f not in ORG_FEATURES and f not in AGENT_MANAGEMENT]
        if bad:
            raise PlanError(f"unknown GuardDuty feature(s) {', '.join(bad)}; known: "
                            f"{', '.join(ORG_FEATURES + AGENT_MANAGEMENT)}")
        agents_asked = tuple(a for a in AGENT_MANAGEMENT if a in features)
        features = tuple(f for f in features if f in ORG_FEATURES)
        if agents_asked and not {"RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"} & set(features):
            raise PlanError(f"{', '.join(agents_asked)} configure Runtime Monitoring's agent management: give "
                            "RUNTIME_MONITORING too (AWS: \"Additional configuration applies to only GuardDuty "
                            "Runtime Monitoring protection plan\")")
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
            raise PlanError(no_default_admin_message(org, chosen_by)
                            + " (--admin ACCOUNT on the command line, admin= in Python)")
    admin = str(admin)
    if not re.fullmatch(r"\d{12}", admin):
        raise PlanError(f"{admin!r} is not a 12-digit account id")
    ix = _Index(org)
    mgmt = org.management_account_id
    accts = ix.accts
    names = {a: r.get("account_name") for a, r in accts.items()}
    target = Target(admin_account_id=admin, auto_enable=auto_enable, features=features, regions=tuple(regions),
                    keep_suspended=keep, include_management=include_management, role_name=role_name,
                    admin_chosen_by=chosen_by, migrate_eks_runtime=bool(migrate_eks_runtime))
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
    if not include_management and mgmt != admin:
        issues.append(Issue("info", "management_left_out", None, mgmt,
                            f"the management account {mgmt} is left out of enrolment (include_management=False): "
                            "its GuardDuty is not managed by the delegated administrator"))

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

    def detector_step(region: str, kind: str, account: str, det: dict | None) -> Step:
        if det is not None and det["status"] == "DISABLED":
            return add(region, kind, account, "guardduty:UpdateDetector",
                       {"DetectorId": det["detector_id"], "Enable": True},
                       f"GetDetector ({account}, {region}) answers Status ENABLED")
        return add(region, kind, account, "guardduty:CreateDetector", {"Enable": True},
                   f"ListDetectors ({account}, {region}) returns a detector and GetDetector answers Status ENABLED",
                   done=det is not None,
                   note=None if det is not None or ix.gd_read.get((account, region)) in ("ok", "partial")
                   else f"the detectors of {account} were not read: the executor checks live")

    features_by_region: dict[str, list[str]] = {}
    agents_by_region: dict[str, list[str]] = {}
    expected: dict[str, list[str]] = {}
    admin_detectors: dict[str, str | None] = {}
    mode_by_region: dict[str, str] = {}
    suspended_rows: list[dict] = []
    for region in regions:
        rm = ix.members_by_region.get(region, [])
        views = ix.adminviews_by_region.get(region, [])
        # -- region pre-flight
        en = ix.region_enabled(admin, region) if admin in accts else None
        if admin in accts and en is False:
            issues.append(Issue("error", "region_not_enabled", region, admin,
                                f"{region} is not enabled in the admin account {admin}: GuardDuty calls there fail "
                                "(enable the region, or leave it out with regions=)"))
        elif admin in accts and en is None:
            issues.append(Issue("warning", "region_unknown", region, admin,
                                f"whether {region} is enabled in {admin} was not read"))
        cur_da_ids = sorted(ix.delegated_by_region.get(region, set()))
        for o in cur_da_ids:
            if o != admin:
                issues.append(Issue("error", "other_delegated_admin", region, o,
                                    f"{o} is already GuardDuty's delegated administrator in {region}: "
                                    "EnableOrganizationAdminAccount would fail (changing it means "
                                    "DisableOrganizationAdminAccount, which drops its members: outside this plan)"))
        # the admin itself a member of another administrator? (associated: blocks; a pending invitation: warn)
        tie: dict[str, str] = {}
        for m in rm:
            if m["account_id"] == admin and m["administrator_id"] != admin:
                tie[m["administrator_id"]] = m["relationship_status"]
        for v in views:
            o = v["administrator_id"]
            if v["account_id"] == admin and o and o != admin and tie.get(o) not in ASSOCIATED:
                tie[o] = v["relationship_status"]
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
        region_ok = {a for a in active if ix.region_enabled(a, region) is not False}
        for a in sorted(active - region_ok):
            if a != admin:
                issues.append(Issue("info", "member_region_not_enabled", region, a,
                                    f"{region} is not enabled in {a} ({names.get(a)}): not enrolled there "
                                    "(GuardDuty needs the region)"))
        # other administrators: whoever has associated in-organisation members here, and what members report
        others: dict[str, set[str]] = {}
        for m in rm:
            if m["administrator_id"] != admin and m["account_id"] in active and m["account_id"] != admin \
                    and m["relationship_status"] in ASSOCIATED:
                others.setdefault(m["administrator_id"], set()).add(m["account_id"])
        for v in views:
            if v["administrator_id"] and v["administrator_id"] != admin and v["account_id"] in active \
                    and v["account_id"] != admin and v["relationship_status"] in ASSOCIATED:
                others.setdefault(v["administrator_id"], set()).add(v["account_id"])
        # an administrator with active members cannot be added as a member: an old administrator that keeps
        # members outside the organisation stays an administrator
        keeps_external: dict[str, list[str]] = {}
        for m in rm:
            if m["account_id"] not in accts and m["relationship_status"] in ASSOCIATED + ("Invited", "Created"):
                keeps_external.setdefault(m["administrator_id"], []).append(m["account_id"])
        for a in sorted(keeps_external):
            if a != admin and a in active:
                issues.append(Issue("warning", "old_admin_keeps_external_members", region, a,
                                    f"{a} ({names.get(a)}) keeps invitation members outside the organisation in "
                                    f"{region} ({', '.join(sorted(keeps_external[a]))}): an administrator with "
                                    "active members cannot be added as a member, so it is left out of enrolment "
                                    "(disassociate those members first to enrol it)"))
        # -- suspended detectors: re-enabled (default) or kept (keep_suspended)
        assoc_now = {m["account_id"] for m in rm
                     if m["administrator_id"] == admin and m["relationship_status"] in ASSOCIATED}
        susp = {a: d for a, d in ix.suspended_by_region.get(region, {}).items() if a in active and a != admin}
        kept = {a for a in susp if "*" in keep or a in keep}
        mode = auto_enable
        if auto_enable == "ALL" and kept:
            mode = "NEW"
            issues.append(Issue("warning", "auto_enable_lowered", region, None,
                                f"auto-enable NEW instead of ALL in {region}: ALL re-enables suspended detectors "
                                f"(\"accounts that may have been suspended\"), and you chose to keep "
                                f"{', '.join(sorted(kept))} suspended"))
        mode_by_region[region] = mode

        exp = sorted(a for a in region_ok if a != admin and a not in keeps_external and a not in kept
                     and (include_management or a != mgmt))
        expected[region] = exp
        mgmt_det = ix.detectors.get((mgmt, region))

        # -- 1 resume: suspended detectors of accounts already associated with the new administrator
        # (when this plan turns ALL on, the organisation configuration re-enables them itself: "ALL ... includes
        # ... accounts that may have been suspended"; where ALL is on already and they are still suspended, it
        # will not: the account re-enables its own detector)
        oc = ix.orgcfg.get((region, admin))
        cur_mode = oc["auto_enable_organization_members"] if oc else None
        all_reenables = mode == "ALL" and cur_mode != "ALL"
        # Who re-enables depends on the tie. An invitation member controls its own detector (AWS: "Users from member
        # accounts can suspend GuardDuty for their own account"): it re-enables it itself, here, while it still
        # controls it. An organisation member's GuardDuty status is the administrator's to set (AWS: an
        # administrator can "enable, suspend, or disable the status of GuardDuty on behalf of associated member
        # accounts"; only once removed "can disable GuardDuty themselves"): StartMonitoringMembers, step 9.
        org_tie = {m["account_id"] for m in rm if m["administrator_id"] == admin
                   and m["relationship_status"] in ASSOCIATED and m.get("by_invitation") is False}
        resume_steps: dict[str, Step] = {}
        admin_restarts: list[str] = []
        for a in sorted(susp):
            if a in exp and a in assoc_now and a != mgmt and not all_reenables and a in org_tie:
                admin_restarts.append(a)
            elif a in exp and a in assoc_now and a != mgmt and not all_reenables:
                resume_steps[a] = add(region, "resume_suspended", a, "guardduty:UpdateDetector",
                                      {"DetectorId": susp[a]["detector_id"], "Enable": True},
                                      f"GetDetector ({a}, {region}) answers Status ENABLED", accounts=[a], suffix=a)
        # -- 2 disassociate from other administrators (before designation, as AWS documents)
        for o in sorted(others):
            accs = sorted(others[o])
            if o in accts:
                odet = ix.detectors.get((o, region))
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
                mdet = ix.detectors.get((a, region))
                add(region, "disassociate_other_admin", a, "guardduty:DisassociateFromAdministratorAccount",
                    {"DetectorId": mdet["detector_id"] if mdet else f"<detector of {a}>"},
                    f"GetAdministratorAccount ({a}, {region}) no longer shows {o} Enabled or Disabled",
                    accounts=[a], suffix=f"{o}-{a}", other=o, other_admin=o,
                    note="never DeleteDetector in a member: its findings would be lost")
        # -- 3 designate
        add(region, "designate_admin", mgmt, "guardduty:EnableOrganizationAdminAccount", {"AdminAccountId": admin},
            f"ListOrganizationAdminAccounts (management account, {region}) lists {admin} with AdminStatus ENABLED",
            done=admin in cur_da_ids)
        # -- 4 admin detector
        det = ix.detectors.get((admin, region))
        detector_step(region, "enable_admin_detector", admin, det)
        admin_det = det["detector_id"] if det is not None else "<the admin's detector id>"
        admin_detectors[region] = det["detector_id"] if det is not None else None
        # -- 5 auto-enable (before enrolment)
        auto_step = add(region, "set_auto_enable", admin, "guardduty:UpdateOrganizationConfiguration",
            {"DetectorId": admin_det, "AutoEnableOrganizationMembers": mode},
            f"DescribeOrganizationConfiguration ({admin}, {region}) answers AutoEnableOrganizationMembers {mode}",
            done=cur_mode == mode, mode=mode)
        # -- 6 features (before enrolment)
        if features is not None:
            feats = list(features)
            agents = list(agents_asked or ())
        else:
            on = set()
            agents_on = set()
            if det is not None:
                on |= {f.get("Name") for f in det.get("features") or [] if f.get("Status") == "ENABLED"}
                agents_on |= {k for k, v in (plan_status(det.get("features")) or {}).items()
                              if k in AGENT_MANAGEMENT and v == "ENABLED"}
            if oc:
                on |= {f.get("Name") for f in oc["features"] or [] if f.get("AutoEnable") in ("NEW", "ALL")}
                agents_on |= {a for a in auto_enabled_plans(oc["features"]) or () if a in AGENT_MANAGEMENT}
            feats = [f for f in ORG_FEATURES if f in on]
            if "RUNTIME_MONITORING" in feats and "EKS_RUNTIME_MONITORING" in feats:
                feats.remove("EKS_RUNTIME_MONITORING")
            agents = [a for a in AGENT_MANAGEMENT if a in agents_on]
        # plans AWS says are not offered here (orgkit.guardduty.availability): left out of the region's Features
        # (the rest is sent), one note per (region, plan) with AWS's sentence; never a call that would fail
        for f in [f for f in feats if why_not_offered(region, f)] + [a for a in agents if why_not_offered(region, a)]:
            why = why_not_offered(region, f)
            issues.append(Issue("info", "plan_not_offered", region, admin,
                                f"{f} is not offered in {region}: left out of the region's Features, the other "
                                f"plans are sent (AWS: \"{why['sentence']}\" {why['url']}, read {why['read']})"))
        feats = [f for f in feats if not why_not_offered(region, f)]
        agents = [a for a in agents if not why_not_offered(region, a)]
        if "EKS_RUNTIME_MONITORING" in feats and "RUNTIME_MONITORING" not in feats:
            if migrate_eks_runtime:
                feats = [("RUNTIME_MONITORING" if f == "EKS_RUNTIME_MONITORING" else f) for f in feats]
                issues.append(Issue("info", "legacy_eks_runtime_migrated", region, admin,
                                    "the legacy EKS_RUNTIME_MONITORING is replaced by RUNTIME_MONITORING (EKS, ECS "
                                    "on Fargate and EC2), as AWS documents in \"Migrating from EKS Runtime "
                                    "Monitoring to Runtime Monitoring\""
                                    + (f", with {', '.join(agents)}" if agents else "")
                                    + "; Fargate and EC2 need their agent management too (--features)"))
            else:
                issues.append(Issue("warning", "legacy_eks_runtime", region, admin,
                                    "the plans to carry hold the legacy EKS_RUNTIME_MONITORING, not "
                                    "RUNTIME_MONITORING: every member would get EKS-only runtime monitoring (no ECS "
                                    "on Fargate, no EC2). AWS documents migrating \"from EKS Runtime Monitoring to "
                                    "Runtime Monitoring\", and specifying both is an error: re-plan with "
                                    "--migrate-eks-runtime (migrate_eks_runtime=True) to send RUNTIME_MONITORING "
                                    "instead"))
        runtime = next((f for f in ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING") if f in feats), None)
        agents = agents if runtime else []
        features_by_region[region] = feats
        agents_by_region[region] = agents
        if feats:
            cur = {f.get("Name"): f for f in (oc["features"] if oc else None) or [] if isinstance(f, dict)}
            cur_agents = {a.get("Name"): a.get("AutoEnable")
                          for a in ((cur.get(runtime) or {}).get("AdditionalConfiguration") or [])} if runtime else {}

            def feature_param(f: str) -> dict:
                d = {"Name": f, "AutoEnable": mode}
                if f == runtime and agents:
                    d["AdditionalConfiguration"] = [{"Name": a, "AutoEnable": mode} for a in agents]
                return d

            add(region, "align_features", admin, "guardduty:UpdateOrganizationConfiguration",
                {"DetectorId": admin_det, "AutoEnableOrganizationMembers": mode,
                 "Features": [feature_param(f) for f in feats]},
                f"DescribeOrganizationConfiguration ({admin}, {region}) answers AutoEnable {mode} for "
                + ", ".join(feats) + (f" and, in {runtime}'s AdditionalConfiguration, for {', '.join(agents)}"
                                      if agents else ""),
                done=bool(oc) and all((cur.get(f) or {}).get("AutoEnable") == mode for f in feats)
                and all(cur_agents.get(a) == mode for a in agents))
        already = [a for a in exp if a in assoc_now]
        if feats and mode == "NEW" and already:
            issues.append(Issue("warning", "features_new_skip_existing_members", region, None,
                                f"auto-enable NEW gives {', '.join(feats)} only to accounts enrolled from now on "
                                f"(CreateMembers) and to new accounts: the {len(already)} account(s) already "
                                f"members in {region} keep their own settings ("
                                + ", ".join(already[:10]) + (", …" if len(already) > 10 else "")
                                + "); choose ALL to reach them"))
        # -- 7 the management account's own detector, before it can be added as a member
        if mgmt in exp:
            if mgmt_det is None or mgmt_det["status"] == "DISABLED":
                detector_step(region, "enable_management_detector", mgmt, mgmt_det)
        # -- 8 enrol
        missing = [a for a in exp if a not in assoc_now]
        enrol = add(region, "enrol_members", admin, "guardduty:CreateMembers",
                    {"DetectorId": admin_det,
                     "AccountDetails": [{"AccountId": a, "Email": accts[a].get("email")} for a in missing]},
                    f"GetMembers ({admin}, {region}) shows each of the {len(exp)} expected accounts with "
                    "RelationshipStatus Enabled or Disabled (the executor creates only the missing ones)",
                    accounts=exp, done=not missing)
        # -- 9 restart monitoring that an administrator stopped (StopMonitoringMembers): the member's own detector
        # is enabled, the administrator's record says Disabled; only StartMonitoringMembers restarts it. The same
        # call re-enables the suspended detectors of organisation members (admin_restarts, above)
        rel_with_admin = {m["account_id"]: m["relationship_status"] for m in rm if m["administrator_id"] == admin}
        stopped = [a for a in exp if rel_with_admin.get(a) == "Disabled"
                   and (ix.detectors.get((a, region)) or {}).get("status") == "ENABLED"]
        stopped = sorted(set(stopped) | set(admin_restarts))
        start_step = None
        if stopped:
            start_step = add(region, "start_monitoring", admin, "guardduty:StartMonitoringMembers",
                             {"DetectorId": admin_det, "AccountIds": stopped},
                             f"GetMembers ({admin}, {region}) shows {', '.join(stopped)} with RelationshipStatus "
                             "Enabled", accounts=stopped)
        # what happens to each suspended detector, said once per account
        for a in sorted(susp):
            row = {"account_id": a, "region": region, "detector_id": susp[a]["detector_id"]}
            if a in kept:
                row.update(outcome="kept_suspended", by=None, step_id=None,
                           reason="keep_suspended: left out of CreateMembers"
                                  + (", auto-enable NEW in this region" if auto_enable == "ALL" else ""))
            elif a in admin_restarts and start_step is not None:
                row.update(outcome="re-enabled", by="StartMonitoringMembers", step_id=start_step.step_id,
                           reason="an organisation member of the new administrator: the administrator restarts it "
                                  "(StartMonitoringMembers); the member does not set its own GuardDuty status")
            elif a in resume_steps:
                row.update(outcome="re-enabled", by="UpdateDetector", step_id=resume_steps[a].step_id,
                           reason="already a member of the new administrator: UpdateDetector(Enable=True) by the "
                                  "account itself")
            elif a == mgmt and a in exp:
                st = next(s for s in steps if s.region == region and s.kind == "enable_management_detector")
                row.update(outcome="re-enabled", by="UpdateDetector", step_id=st.step_id,
                           reason="the management account must have GuardDuty enabled before it is added: "
                                  "UpdateDetector(Enable=True) by the management account")
            elif a in missing:
                row.update(outcome="re-enabled", by="CreateMembers", step_id=enrol.step_id,
                           reason="CreateMembers from the delegated administrator enables GuardDuty in the "
                                  "accounts it adds")
            elif a in exp and all_reenables:
                row.update(outcome="re-enabled", by="auto-enable ALL", step_id=auto_step.step_id,
                           reason="already a member of the new administrator: auto-enable ALL re-enables "
                                  "suspended members (AWS: this can take up to 24 hours)")
            else:
                why = ("its region is not enabled" if a not in region_ok else
                       "it keeps invitation members outside the organisation" if a in keeps_external else
                       "the management account is left out (include_management=False)" if a == mgmt else
                       "not enrolled")
                row.update(outcome="left_out", by=None, step_id=None, reason=why)
            suspended_rows.append(row)
            sev = "warning" if row["outcome"] == "re-enabled" else "info"
            issues.append(Issue(sev, "suspended_detector", region, a,
                                f"the detector of {a} ({names.get(a)}) in {region} is suspended: "
                                + {"re-enabled": f"the migration RE-ENABLES it ({row['reason']}; step "
                                                 f"{row['step_id']}); keep it suspended with keep_suspended "
                                                 "(--keep-suspended)",
                                   "kept_suspended": f"it stays suspended ({row['reason']})",
                                   "left_out": f"it stays suspended ({row['reason']})"}[row["outcome"]],
                                row["step_id"]))
        if det is not None and det["status"] == "DISABLED":
            st = next(s for s in steps if s.region == region and s.kind == "enable_admin_detector")
            suspended_rows.append({"account_id": admin, "region": region, "detector_id": det["detector_id"],
                                   "outcome": "re-enabled", "by": "UpdateDetector", "step_id": st.step_id,
                                   "reason": "the delegated administrator needs its own enabled detector"})
        # -- 9 external members
        ext = sorted({m["account_id"] for m in rm if m["account_id"] not in accts})
        if ext:
            add(region, "keep_external_members", None, None, {},
                "nothing to check: no call is made", accounts=ext,
                note="outside the organisation: they stay invitation members of "
                     + ", ".join(sorted({m['administrator_id'] for m in rm if m['account_id'] in ext})))
            for a in ext:
                issues.append(Issue("info", "external_member_kept", region, a,
                                    f"{a} is outside the organisation: it stays an invitation member in {region} "
                                    "(untouched)"))
        # -- member limit: "A delegated GuardDuty administrator account can manage a maximum of 50,000 members."
        will_have = set(exp) | {m["account_id"] for m in rm if m["administrator_id"] == admin
                                and m["relationship_status"] not in ("Removed", "Resigned")}
        if len(will_have) > MAX_MEMBERS:
            issues.append(Issue("error", "member_limit", region, admin,
                                f"{admin} would have {len(will_have):,} members in {region}: a delegated GuardDuty "
                                f"administrator can manage at most {MAX_MEMBERS:,} (AWS quota; outside members "
                                "count too)"))
        elif oc and oc.get("member_account_limit_reached") is True:
            issues.append(Issue("warning", "member_limit", region, admin,
                                f"DescribeOrganizationConfiguration says MemberAccountLimitReached in {region}: "
                                "CreateMembers may refuse accounts"))
        # -- 10 verify
        add(region, "verify", admin, None, {},
            f"ListOrganizationAdminAccounts shows {admin}; GetMembers shows the {len(exp)} expected accounts "
            f"Enabled or Disabled; DescribeOrganizationConfiguration answers {mode}", accounts=exp)

    plan = MigrationPlan(target=target, management_account_id=mgmt, organization_id=org.organization_id,
                         snapshot=str(org.path) if org.path else None,
                         collected_at=org.manifest.get("collected_at"), steps=steps, issues=issues,
                         features_by_region=features_by_region, agents_by_region=agents_by_region,
                         expected_members=expected, account_names=names,
                         admin_detectors=admin_detectors, auto_enable_by_region=mode_by_region,
                         suspended=suspended_rows)
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
                when = f": allowed when {d.allowed_when}" if d.allowed_when else ""
                found.append(Issue("warning", "scp_conditional", st.region, acct,
                                   f"SCP conditional: {action} in {acct} ({st.region}) depends on "
                                   f"{', '.join(d.depends_on) or '?'}{when}", st.step_id))
            elif d.decision == "unknown":
                # the answer depends on something the snapshot could not read (a policy's targets, …)
                found.append(Issue("warning", "scp_unknown", st.region, acct,
                                   f"SCP unknown: whether {action} is allowed in {acct} ({st.region}) depends on "
                                   f"what the snapshot could not read: {d.reason}", st.step_id))
    plan.issues.extend(found)
    return found
