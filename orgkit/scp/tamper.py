"""Tamper protection: can an account stop, delete or weaken its CloudTrail trails and GuardDuty
detectors, destroy or silence the S3 buckets and KMS keys it owns that trails depend on, or leave the organisation? One definition (see :func:`tamper_protection`), used by the CLI
(``orgkit scp tamper``), notebook 02 and docs/scp.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from orgkit.scp.engine import DECISIONS, AbsentContext, resolve_missing
from orgkit.scp.matrix import compute_matrix
from orgkit.scp.dependencies import (BUCKET_SOURCE, DEPENDENCY_ACTIONS, KEY_SOURCE, trail_dependencies)
from orgkit.scp.org import Evaluator

__all__ = ["TAMPER_ACTIONS", "PROTECTED_RESOURCES", "DEPENDENCY_RESOURCES", "ProtectedResource", "VERDICTS",
           "tamper_protection", "guardduty_guards", "exception_principals", "names_principal", "tamper_verdict",
           "dependency_statuses", "FAILING_VERDICTS"]

@dataclass(frozen=True)
class ProtectedResource:
    """One thing tamper protection is about: ``key`` (the verdict column), ``title``, the ``actions`` that turn it
    off or weaken it, the ``resource`` they are evaluated on (``"*"``: any resource; the seam for rows on a
    particular ARN, such as a trail's S3 bucket or KMS key) and ``source``: where the action list comes from."""

    key: str
    title: str
    actions: tuple[str, ...]
    resource: str = "*"
    source: str = ""


_GD_EXAMPLE = ("AWS Organizations user guide, Example SCPs for Amazon GuardDuty, \"Prevent users from disabling "
               "GuardDuty or modifying its configuration\" "
               "(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_guardduty.html)")
_CT_EXAMPLE = ("AWS's example SCP \"Deny modifications to specific CloudTrail trails\" (aws-samples/service-control-policy-"
               "examples, Deny-changes-to-security-services) and the CloudTrail Lake actions of the Service Authorization "
               "Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html)")

#: What tamper protection covers, one row per protected resource (docs/scp.md, "Tamper protection"). The action
#: lists are the ones in AWS's own example SCPs that turn logging or detection off or weaken it (creating a trail,
#: a detector or sample findings, tagging, and inviting members are left out: they weaken nothing).
PROTECTED_RESOURCES: tuple[ProtectedResource, ...] = (
    ProtectedResource("cloudtrail", "CloudTrail trails and CloudTrail Lake event data stores", (
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",  # advanced event selectors too: there is no separate IAM action
        "cloudtrail:StopEventDataStoreIngestion",
        "cloudtrail:DeleteEventDataStore",
        "cloudtrail:UpdateEventDataStore",
    ), source=_CT_EXAMPLE),
    ProtectedResource("guardduty", "GuardDuty detectors, findings, lists and membership", (
        "guardduty:DeleteDetector",
        "guardduty:UpdateDetector",
        "guardduty:DisassociateFromAdministratorAccount",
        "guardduty:DisassociateFromMasterAccount",
        "guardduty:DisassociateMembers",
        "guardduty:DeleteMembers",
        "guardduty:StopMonitoringMembers",
        "guardduty:ArchiveFindings",
        "guardduty:UpdateFindingsFeedback",
        "guardduty:CreateFilter",
        "guardduty:UpdateFilter",
        "guardduty:CreateIPSet",
        "guardduty:UpdateIPSet",
        "guardduty:UpdateThreatIntelSet",
        "guardduty:DeleteThreatIntelSet",
        "guardduty:DeletePublishingDestination",
        "guardduty:UpdatePublishingDestination",
    ), source=_GD_EXAMPLE),
    ProtectedResource("organization", "membership of the organisation", ("organizations:LeaveOrganization",),
                      source="Organizations API reference, LeaveOrganization: SCPs can prevent member accounts "
                             "\"from successfully calling LeaveOrganization and leaving the organization\""),
)

#: every tamper action, in the order of :data:`PROTECTED_RESOURCES`
TAMPER_ACTIONS: tuple[str, ...] = tuple(a for r in PROTECTED_RESOURCES for a in r.actions)

#: What a trail depends on (docs/scp.md, "What a trail depends on"): ONE verdict column, ``trail_storage``, for the
#: account that OWNS trail buckets or KMS keys, over the bucket and key actions evaluated by the SCP and RCP engine
#: against the real ARNs from the snapshot (:mod:`orgkit.scp.dependencies`). One group rather than separate bucket
#: and key columns: the question is one ("can someone here destroy or silence a trail's storage?"), its verdict is
#: the worst of the bucket's and the key's, each detail line names the bucket or key, and the table keeps to 80
#: columns.
DEPENDENCY_RESOURCES: tuple[ProtectedResource, ...] = (
    ProtectedResource("trail_storage", "the S3 buckets trails deliver to and the KMS keys they encrypt with, "
                                       "owned by this account",
                      DEPENDENCY_ACTIONS["s3_bucket"] + DEPENDENCY_ACTIONS["kms_key"], resource="trail-dependency",
                      source=f"{BUCKET_SOURCE}; {KEY_SOURCE}"),
)

#: the verdicts, from best to worst (docs/scp.md); ``not_applicable`` first: the account owns nothing of that kind
#: (only the trail_storage column). ``not_protectable`` is worst: a bucket or key in the management
#: account (or outside the organisation), which no SCP or RCP can protect, whatever the policies say.
VERDICTS = ("not_applicable", "protected", "guarded_by_service", "protected_except", "unknown", "exposed",
            "not_protectable")
#: the verdicts ``orgkit scp tamper --fail-on exposed`` fails on: exposed, and not_protectable (worse: no policy
#: can ever close it)
FAILING_VERDICTS = ("exposed", "not_protectable")

#: Condition keys that name particular principals (IAM global condition keys,
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html): aws:PrincipalArn
#: ("the ARN of the principal that made the request"), aws:userid and aws:username (the principal's unique id and
#: an IAM user's name), and aws:PrincipalTag/… (principals carrying a tag: as strong as whoever may tag
#: principals). Not aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalOrgPaths (every principal of an account
#: or the organisation) nor aws:PrincipalType (a kind of principal, not a particular one).
PRINCIPAL_KEYS = ("aws:principalarn", "aws:userid", "aws:username")
PRINCIPAL_KEY_PREFIXES = ("aws:principaltag/",)

#: labels of representatives that name no particular value (orgkit.scp.partition)
_UNNAMED = ("absent", "any other value")


def names_principal(key: str) -> bool:
    """Whether a condition key names particular principals (see :data:`PRINCIPAL_KEYS`)."""
    k = key.lower()
    return k in PRINCIPAL_KEYS or k.startswith(PRINCIPAL_KEY_PREFIXES)


def _short_name(key: str, label: str) -> str:
    """``like arn:aws:iam::*:role/SecurityAdmin`` -> ``role/SecurityAdmin``; a tag -> ``aws:PrincipalTag/team="x"``."""
    v = label[5:] if label.startswith("like ") else label
    if key.lower() == "aws:principalarn":
        v = v.strip('"')
        m = re.match(r"arn:[^:]*:(?:iam|sts)::[^:]*:(.+)$", v)
        return m.group(1) if m else v
    return f"{key}={v}"


def exception_principals(cases) -> list[str] | None:
    """The engine's exact ``cases`` of one answer -> the principals its allowing cases name, or None when some
    allowing case names none (a principal that no exception names can do it). One definition: every allowing case
    (``allow``, or ``conditional`` left open) must give a principal-naming key a named value (not absent, not
    "any other value")."""
    named: list[str] = []
    for c in cases:
        if c["decision"] not in ("allow", "conditional", "exempt"):
            continue
        here = [_short_name(k, lab) for k, lab in c["values"].items() if names_principal(k) and lab not in _UNNAMED]
        if not here:
            return None
        named.extend(here)
    return list(dict.fromkeys(named))


# ---------------------------------------------------------------------------------------------- GuardDuty's guards

#: AWS's sentences for what GuardDuty itself refuses (docs/scp.md, "GuardDuty's own guards")
GD_LISTS_SENTENCE = ("\"In a multi-account environment, only the GuardDuty administrator account can manage lists, "
                     "which automatically apply to member accounts.\" (GuardDuty user guide, Setting up prerequisites "
                     "for entity lists and IP address lists)")
GD_DISASSOCIATE_SENTENCE = ("\"With autoEnableOrganizationMembers configuration for your organization set to ALL, "
                            "you'll receive an error if you attempt to disable GuardDuty in a member account.\" "
                            "(GuardDuty API reference, DisassociateFromAdministratorAccount)")
GD_ADMIN_SENTENCE = ("\"With autoEnableOrganizationMembers configuration for your organization set to ALL, you'll "
                     "receive an error if you attempt to disassociate a member account before removing them from "
                     "your organization.\" (GuardDuty API reference, DisassociateMembers)")
_LIST_ACTIONS = ("guardduty:createipset", "guardduty:updateipset", "guardduty:updatethreatintelset",
                 "guardduty:deletethreatintelset")
#: suppression rules are GuardDuty filters with the archive action
GD_FILTERS_SENTENCE = ("\"In a multiple-account environment, support to configure these features [suppression rules, "
                       "trusted IP lists, and threat lists] is available only to an delegated GuardDuty administrator "
                       "account. A member account can't update this configuration.\" (GuardDuty user guide, "
                       "Understanding the relationship between GuardDuty administrator account and member accounts)")
_FILTER_ACTIONS = ("guardduty:createfilter", "guardduty:updatefilter")
_MEMBER_ACTIONS = ("guardduty:disassociatefromadministratoraccount", "guardduty:disassociatefrommasteraccount")
_ADMIN_ACTIONS = ("guardduty:disassociatemembers", "guardduty:deletemembers")


def guardduty_guards(org) -> dict[str, dict[str, str]]:
    """Per account, the tamper actions GuardDuty itself refuses there (lower-cased action -> AWS's sentence), from
    the snapshot's GuardDuty state. GuardDuty is regional, so a guard holds only when it holds in every region in
    which the account has a detector (and every GuardDuty read of the account succeeded):

    * trusted IP lists and threat lists (Create/UpdateIPSet, Update/DeleteThreatIntelSet) and suppression rules
      (Create/UpdateFilter): the account is an enabled member (by invitation or through the organisation) in each
      such region;
    * DisassociateFromAdministratorAccount (and its old name): the account is an organisation member of the
      delegated administrator in each such region, and that region's AutoEnableOrganizationMembers is ALL;
    * DisassociateMembers / DeleteMembers in the delegated administrator: every region where it has a detector
      has AutoEnableOrganizationMembers ALL and no enabled member by invitation.

    No sentence found says a member cannot archive findings or delete its detector: those stay with the SCPs."""
    det = getattr(org, "detectors", None)
    if det is None or not len(det):
        return {}
    regions: dict[str, set[str]] = {}
    for aid, reg in zip(det["account_id"].astype(str), det["region"].astype(str)):
        regions.setdefault(aid, set()).add(reg)
    reads = getattr(org, "reads", None)
    failed: set[str] = set()
    if reads is not None and len(reads) and "service" in reads.columns:
        bad = reads[(reads["service"] == "guardduty") & (reads["status"] != "ok")]
        failed = set(bad["account_id"].astype(str))
    member: dict[str, set[str]] = {}  # account -> regions where it is an enabled member
    org_member: dict[str, set[str]] = {}
    invited_in: dict[tuple[str, str], bool] = {}  # (admin, region) -> has an enabled member by invitation
    gm = getattr(org, "guardduty_members", None)
    if gm is not None and len(gm):
        for admin, reg, aid, status, inv in zip(gm["administrator_id"].astype(str), gm["region"].astype(str),
                                                gm["account_id"].astype(str), gm["relationship_status"].astype(str),
                                                gm["by_invitation"] if "by_invitation" in gm.columns else [False] * len(gm)):
            if status.lower() != "enabled":
                continue
            member.setdefault(aid, set()).add(reg)
            if bool(inv):
                invited_in[(admin, reg)] = True
            else:
                org_member.setdefault(aid, set()).add(reg)
    ga = getattr(org, "guardduty_administrators", None)
    if ga is not None and len(ga):
        for aid, reg, status in zip(ga["account_id"].astype(str), ga["region"].astype(str),
                                    ga["relationship_status"].astype(str)):
            if status.lower() == "enabled":
                member.setdefault(aid, set()).add(reg)
    cfg = getattr(org, "guardduty_org_config", None)
    all_in: dict[str, str] = {}  # region -> admin whose org config auto-enables ALL
    if cfg is not None and len(cfg):
        for reg, admin, ae in zip(cfg["region"].astype(str), cfg["admin_account_id"].astype(str),
                                  cfg["auto_enable_organization_members"].astype(str)):
            if ae.upper() == "ALL":
                all_in[reg] = admin
    out: dict[str, dict[str, str]] = {}
    for aid, regs in regions.items():
        if aid in failed:
            continue
        g: dict[str, str] = {}
        if regs <= member.get(aid, set()):
            g.update({a: GD_LISTS_SENTENCE for a in _LIST_ACTIONS})
            g.update({a: GD_FILTERS_SENTENCE for a in _FILTER_ACTIONS})
        if regs <= org_member.get(aid, set()) and all(r in all_in for r in regs):
            g.update({a: GD_DISASSOCIATE_SENTENCE for a in _MEMBER_ACTIONS})
        if all(all_in.get(r) == aid and not invited_in.get((aid, r)) for r in regs):
            g.update({a: GD_ADMIN_SENTENCE for a in _ADMIN_ACTIONS})
        if g:
            out[aid] = g
    return out


SERVICES = ("cloudtrail", "guardduty")


def tamper_verdict(statuses: Sequence[tuple[str, str, Any]]) -> tuple[str, list[str]]:
    """THE verdict for one account and protected resource, from its actions' statuses
    ``(action, status, detail)`` (status: ``denied``, ``except`` (detail: the principals), ``exposed`` (detail:
    the cases in words), ``guarded`` (detail: AWS's sentence), ``unknown`` (detail: the failed read),
    ``not_protectable`` (detail: why no SCP or RCP can reach the resource)):
    ``not_applicable`` if there is nothing to judge (trail_storage: an account that owns no trail bucket or key); else
    ``not_protectable`` if some resource cannot be protected by SCPs or RCPs at all; else ``exposed`` if some
    action is exposed; else ``unknown`` if some answer waits for a failed read; else ``protected_except`` if some
    action is allowed only for named principals; else ``guarded_by_service`` if GuardDuty itself refuses the
    rest; else ``protected``. Returns the verdict and the details (one line per action that is not simply
    denied)."""
    if not statuses:
        return "not_applicable", []
    by = {st for _, st, _ in statuses}
    details = []
    for a, st, d in statuses:
        if st == "not_protectable":
            details.append(f"{a}: not protectable: {d}")
        if st == "except":
            details.append(f"{a}: only {', '.join(d)}")
        elif st == "exposed":
            details.append(f"{a}: {d}")
        elif st == "guarded":
            details.append(f"{a}: refused by GuardDuty: {d}")
        elif st == "unknown":
            details.append(f"{a}: unknown: {d}")
    for st, verdict in (("not_protectable", "not_protectable"), ("exposed", "exposed"), ("unknown", "unknown"),
                        ("except", "protected_except"),
                        ("guarded", "guarded_by_service")):
        if st in by:
            return verdict, details
    return "protected", details


def decision_status(d, principal: str | None = None) -> tuple[str, Any]:
    """One engine answer (a :class:`~orgkit.scp.engine.Decision`) -> the status :func:`tamper_verdict` reads:
    denied, except (the named principals), exposed (when, in words) or unknown (the failed read)."""
    if d.decision in ("explicit_deny", "implicit_deny"):
        return "denied", None
    if d.decision == "unknown":
        return "unknown", "; ".join(d.unknown_reads) or "an SCP read failed"
    if d.decision == "exempt":
        return "exposed", "exempt from SCPs (management account or service-linked role): allowed"
    if d.decision == "allow":
        return "exposed", "allowed" + (f" for {principal}" if principal else " for any principal")
    named = exception_principals(d.cases) if d.cases else None
    if named:
        return "except", named
    return "exposed", (f"allowed when {d.allowed_when}" if d.allowed_when else "depends on context")


def dependency_statuses(org, ev: Evaluator, principal: str | None = None, context: Mapping[str, Any] | None = None,
                        missing: str | None = None) -> dict[str, list[tuple[str, str, Any]]]:
    """Per account, the statuses (``[(what, status, detail)]``) of the actions on the trail buckets and keys it OWNS
    (:func:`orgkit.scp.dependencies.trail_dependencies`), each asked of the SCP and RCP engine in the owning account
    against the real ARN (``what``: ``action on NAME``). A bucket or key in the management account is
    ``not_protectable`` on the management account's row; one outside the organisation is ``not_protectable`` and
    one whose owner is unknown is ``unknown``, both on the row of the account that owns the trail (no row belongs
    to their owner)."""
    deps = trail_dependencies(org)
    out: dict[str, list[tuple[str, str, Any]]] = {}
    seen: set[tuple] = set()
    for r in deps.itertuples(index=False):
        owner = r.owner_account_id if r.owner in ("member", "management") else r.trail_account_id
        k = (str(owner), r.kind, r.name, r.arn, r.owner)
        if k in seen:  # an organisation trail's bucket is one bucket, however many trails deliver to it
            continue
        seen.add(k)
        sts = out.setdefault(str(owner), [])
        what = "bucket" if r.kind == "s3_bucket" else "key"
        if r.owner == "member":
            for a in DEPENDENCY_ACTIONS[r.kind]:
                d = ev.decide(r.owner_account_id, a, resource=r.arn, principal=principal, context=context,
                              missing=missing)
                sts.append((f"{a} on {r.name}", *decision_status(d, principal)))
        elif r.owner in ("management", "outside"):
            sts.append((f"{what} {r.name}", "not_protectable", r.reason))
        else:
            sts.append((f"{what} {r.name}", "unknown", r.reason))
    return out


def tamper_protection(
    org_or_evaluator,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    actions: Sequence[str] = TAMPER_ACTIONS,
    absent_unknown: bool | None = None,
    *,
    missing: str | None = None,
    details: bool = True,
    guards: Mapping[str, Mapping[str, str]] | None = None,
    resources: Sequence[ProtectedResource] = PROTECTED_RESOURCES,
    dependencies: bool = True,
) -> pd.DataFrame:
    """One row per account, one definition everywhere (CLI, notebook, docs).

    **Verdicts**, per protected resource (a column named by its key, e.g. ``cloudtrail``, with ``<key>_detail``
    (one line per action not simply denied), ``<key>_exposed`` (the exposed actions) and ``<key>_exceptions`` (the
    principals the exceptions name)):
    see :func:`tamper_verdict`; each action's status comes from the SCP engine's exact cases
    (:func:`exception_principals`) and GuardDuty's own guards (``guards``: :func:`guardduty_guards`, read from the
    organisation when ``org_or_evaluator`` is one; an :class:`Evaluator` alone carries no GuardDuty state).

    Also, per action: its decision; ``protected`` (every tamper action denied whatever the context),
    ``cloudtrail_protected`` / ``guardduty_protected``, ``can_leave``, ``exposed`` (actions allowed),
    ``conditional`` (allowed for some values), ``unknown`` (waiting for an SCP read that failed), ``exposure``
    (each action not denied, and when it is allowed), ``reason``.

    **What trails depend on** (``dependencies``, when ``org_or_evaluator`` is an organisation with trails): one more
    verdict column, ``trail_storage`` (with ``_detail``, ``_exposed``, ``_exceptions``), for the account that owns
    trail buckets and keys (:func:`dependency_statuses`, the same :func:`tamper_verdict`): ``not_applicable`` where
    it owns none, ``not_protectable`` for one in the management account.

    ``principal`` is a persona or ARN (None: any principal). The management account is ``exempt`` from SCPs:
    every action allowed, so ``exposed`` unless GuardDuty refuses it."""
    if isinstance(org_or_evaluator, Evaluator):
        ev = org_or_evaluator
    else:
        ev = Evaluator(org_or_evaluator)
        if guards is None:
            guards = guardduty_guards(org_or_evaluator)
    guards = guards or {}
    missing = resolve_missing(missing, absent_unknown, context)
    if isinstance(context, AbsentContext):
        context = dict(context)
    actions = list(actions)
    acts_l = {a.lower() for a in actions}
    groups = [(r, [a for a in r.actions if a.lower() in acts_l]) for r in resources]
    groups = [(r, acts) for r, acts in groups if acts]
    extra = [a for a in actions if not any(a.lower() == b.lower() for r in resources for b in r.actions)]
    if extra:
        groups.append((ProtectedResource("other", "other actions", tuple(extra)), extra))
    # one matrix per distinct resource the actions are evaluated on ("*": any resource)
    res_of = {a.lower(): r.resource for r, acts in groups for a in acts}
    mats = {}
    for res in dict.fromkeys(res_of.values()):
        mats[res] = compute_matrix(ev, principal=principal, context=context,
                                   actions=[a for a in actions if res_of[a.lower()] == res], missing=missing,
                                   resource=None if res in (None, "*") else res)
    m = mats[next(iter(mats))]
    n_acc = len(m.accounts)
    mat = np.zeros((n_acc, len(actions)), dtype=np.int8)
    never = np.zeros((n_acc, len(actions)), dtype=bool)
    rows_of = np.zeros((n_acc, len(actions)), dtype=np.int64)
    for res, mm in mats.items():
        if not (mm.accounts["account_id"].to_numpy() == m.accounts["account_id"].to_numpy()).all():
            raise ValueError("tamper protection: the evaluations disagree on the accounts")
        names = {n.lower(): i for i, n in enumerate(mm.catalog.frame["action"])}
        cols = [j for j, a in enumerate(actions) if res_of[a.lower()] == res]
        order = [names[actions[j].lower()] for j in cols]
        ri = mm.accounts["row"].to_numpy()
        mat[:, cols] = mm.codes()[:, order]
        if mm.never_allowed:
            never[:, cols] = np.stack(mm.never_allowed)[ri][:, order]
        rows_of[:, cols] = ri[:, None]
    out = m.accounts[["account_id", "account_name", "ou_path"]].copy()
    for j, a in enumerate(actions):
        out[a] = pd.Categorical.from_codes(mat[:, j], DECISIONS)
    out["protected"] = never.all(axis=1)
    for svc in SERVICES:
        cols = [j for j, a in enumerate(actions) if a.lower().startswith(svc + ":")]
        out[f"{svc}_protected"] = never[:, cols].all(axis=1) if cols else None
    leave = [j for j, a in enumerate(actions) if a.lower() == "organizations:leaveorganization"]
    out["can_leave"] = [DECISIONS[c] for c in mat[:, leave[0]]] if leave else None
    acts = np.array(actions, dtype=object)
    allow_c, cond_c, exempt_c, unk_c = (DECISIONS.index(x) for x in ("allow", "conditional", "exempt", "unknown"))
    out["exposed"] = [list(acts[row == allow_c]) for row in mat]
    out["conditional"] = [list(acts[(row == cond_c) & ~nv]) for row, nv in zip(mat, never)]
    out["unknown"] = [list(acts[row == unk_c]) for row in mat]
    # the engine's exact answer, once per distinct matrix row and action (accounts share rows)
    ids = out["account_id"].tolist()
    first_of_row: dict[tuple[str, int], str] = {}
    for j, aid in enumerate(ids):
        for a, r in zip(actions, rows_of[j]):
            first_of_row.setdefault((res_of[a.lower()], int(r)), aid)
    memo: dict[tuple[int, str], Any] = {}

    def decision(j: int, a: str):
        k = (int(rows_of[j][actions.index(a)]), a)
        if k not in memo:
            res = res_of[a.lower()]
            memo[k] = ev.decide(first_of_row[(res, k[0])], a, principal=principal, context=context, missing=missing,
                                resource=None if res in (None, "*") else res)
        return memo[k]

    def status(j: int, a: str, code: int, nv: bool) -> tuple[str, Any]:
        if nv:
            return "denied", None
        if code == unk_c:
            return decision_status(decision(j, a), principal)
        g = guards.get(ids[j], {}).get(a.lower())
        if g:
            return "guarded", g
        if code == exempt_c:
            return "exposed", "exempt from SCPs (management account or service-linked role): allowed"
        if code == allow_c:
            return "exposed", "allowed" + (f" for {principal}" if principal else " for any principal")
        if code in (DECISIONS.index("explicit_deny"), DECISIONS.index("implicit_deny")):
            return "denied", None
        return decision_status(decision(j, a), principal)  # conditional: the engine's exact cases decide

    verdict_cols: dict[str, list] = {r.key: [] for r, _ in groups}
    detail_cols: dict[str, list] = {r.key: [] for r, _ in groups}
    exposed_cols: dict[str, list] = {r.key: [] for r, _ in groups}
    except_cols: dict[str, list] = {r.key: [] for r, _ in groups}
    pos = {a: i for i, a in enumerate(actions)}
    exposure, reasons = [], []
    for j in range(n_acc):
        row, nv = mat[j], never[j]
        sts = {a: status(j, a, int(row[pos[a]]), bool(nv[pos[a]])) for a in actions}
        for r, acts_r in groups:
            v, det = tamper_verdict([(a, *sts[a]) for a in acts_r])
            verdict_cols[r.key].append(v)
            detail_cols[r.key].append(det)
            exposed_cols[r.key].append([a for a in acts_r if sts[a][0] == "exposed"])
            except_cols[r.key].append(list(dict.fromkeys(x for a in acts_r if sts[a][0] == "except" for x in sts[a][1])))
        items = []
        for a in actions:
            st, d = sts[a]
            if st == "denied":
                continue
            items.append(f"{a}: " + {"except": lambda: "allowed only for " + ", ".join(d),
                                     "exposed": lambda: d, "guarded": lambda: "refused by GuardDuty",
                                     "unknown": lambda: "unknown: " + d}[st]())
        exposure.append(items)
        if (row == exempt_c).all():
            reasons.append("exempt from SCPs (management account or service-linked role): nothing stops tampering")
            continue
        n_allow, n_cond, n_unk = int((row == allow_c).sum()), int(((row == cond_c) & ~nv).sum()), int((row == unk_c).sum())
        if not (n_allow or n_cond or n_unk):
            reasons.append(f"every one of the {len(actions)} tamper actions is denied, whatever the context")
            continue
        parts = [f"{x} {w}" for x, w in ((n_allow, "allowed"), (n_cond, "allowed for some context values"),
                                          (n_unk, "unknown (an SCP could not be read)")) if x]
        reasons.append(f"{', '.join(parts)} of {len(actions)} tamper actions")
    for r, _ in groups:
        out[r.key] = pd.Categorical(verdict_cols[r.key], categories=list(VERDICTS))
        out[f"{r.key}_detail"] = detail_cols[r.key]
        out[f"{r.key}_exposed"] = exposed_cols[r.key]
        out[f"{r.key}_exceptions"] = except_cols[r.key]
    dep_keys: list[str] = []
    org = None if isinstance(org_or_evaluator, Evaluator) else org_or_evaluator
    if dependencies and org is not None and getattr(org, "trails", None) is not None:
        # what the trails depend on: verdicts for the account that owns each bucket and key (THE same verdict)
        dep = dependency_statuses(org, ev, principal=principal, context=context, missing=missing)
        for r in DEPENDENCY_RESOURCES:
            sts = [dep.get(aid, []) for aid in ids]
            got = [tamper_verdict(x) for x in sts]
            out[r.key] = pd.Categorical([v for v, _ in got], categories=list(VERDICTS))
            out[f"{r.key}_detail"] = [d for _, d in got]
            out[f"{r.key}_exposed"] = [list(dict.fromkeys(a for a, st, _ in x if st in ("exposed", "not_protectable")))
                                       for x in sts]
            out[f"{r.key}_exceptions"] = [list(dict.fromkeys(p for _, st, d in x if st == "except" for p in d))
                                          for x in sts]
            dep_keys.append(r.key)
    out["exposure"] = exposure
    out["reason"] = reasons
    out.attrs.update(m.attrs)
    out.attrs["protected_resources"] = [r.key for r, _ in groups] + dep_keys
    return out
