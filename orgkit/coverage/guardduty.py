"""GuardDuty coverage: one row per (organisation account, requested region).

Statuses (docs/coverage.md): ``org_member`` · ``invited_member`` · ``administrator`` · ``standalone`` ·
``suspended`` · ``pending`` · ``partial`` · ``none`` · ``unknown`` · ``not_applicable``.

``partial``: the detector is enabled and the account is an administrator or a member, but a required protection plan
is off (the reason names the plans). Required, by default, are the plans (and Runtime Monitoring's agent management)
that the region's organisation configuration auto-enables (``NEW`` or ``ALL``); where a region has none, the plans
on in the administrator's own detector. ``require_plans`` overrides it for every region. A required plan that AWS
does not offer in the region (:mod:`orgkit.guardduty.availability`) is not_applicable there: left out of the cell's
required plans, never missing.

The evidence, scattered into per-cell numpy arrays (see :mod:`orgkit.coverage._cells`):

* the account's own detector(s) (``org.detectors``; an ENABLED one is preferred when a region has several);
* the administrators' member lists (``org.guardduty_members``: ListMembers with OnlyAssociated=false), where
  ``InvitedAt`` is present only for members added by invitation;
* the account's own GetAdministratorAccount answer (``org.guardduty_administrators``);
* the organisation's delegated administrator per region (``org.guardduty_admins``) and its organisation
  configuration (``org.guardduty_org_config``);
* what was read and what failed (``org.reads``, service ``guardduty``, per region), and region enablement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgkit.coverage._cells import CELL_COLUMNS, Grid, eq, isin, obj, no_gc
from orgkit.model import Org

STATUSES = ["org_member", "invited_member", "administrator", "partial", "standalone", "suspended", "pending",
            "none", "unknown", "not_applicable"]
#: statuses that count as "covered" in summaries: the account is enabled and its findings reach an administrator
COVERED = ("org_member", "invited_member", "administrator")
#: relationship statuses of a membership that exists but is not enabled yet
PENDING_RELATIONSHIPS = ("Created", "Invited", "EmailVerificationInProgress")
#: relationship statuses that no longer tie a member to its administrator
ENDED_RELATIONSHIPS = ("Removed", "Resigned")
COLUMNS = CELL_COLUMNS + ["administrator_id", "detector_id", "relationship_status", "features", "auto_enable",
                          "plans", "required_plans", "missing_plans"]

#: the protection plans (detector feature names; CLOUD_TRAIL, DNS_LOGS and FLOW_LOGS are foundational, always on).
#: AWS: "Additional configuration applies to only GuardDuty Runtime Monitoring protection plan".
PLANS = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
         "LAMBDA_NETWORK_LOGS")
#: Runtime Monitoring's automated agent management (its AdditionalConfiguration); on only where Runtime Monitoring is
AGENT_MANAGEMENT = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
#: every name ``require_plans`` accepts, in display order
PLAN_NAMES = PLANS + AGENT_MANAGEMENT
#: the legacy feature Runtime Monitoring replaces (shown in ``plans`` where a detector still reports it)
LEGACY_EKS_RUNTIME = "EKS_RUNTIME_MONITORING"

_REL_RANK = {"Enabled": 0, "Disabled": 1, "Created": 2, "Invited": 2, "EmailVerificationInProgress": 2}


def _first_by_rank(df: pd.DataFrame, rank: pd.Series) -> pd.DataFrame:
    """Rows ordered best first (stable), so that :meth:`Grid.scatter` keeps the best one per cell."""
    return df.assign(_rank=rank.to_numpy()).sort_values("_rank", kind="stable")


def _features(v) -> dict | None:
    if not isinstance(v, list):
        return None
    return {f.get("Name"): f.get("Status") for f in v if isinstance(f, dict)}


def _date(v) -> str:
    return v.date().isoformat() if isinstance(v, pd.Timestamp) and not pd.isna(v) else ""


@no_gc
def guardduty_coverage(org: Org, require_plans=None) -> pd.DataFrame:
    """GuardDuty status of every (organisation account, requested region).

    Columns: account_id, account_name, ou_path, region, status, reason, source, administrator_id, detector_id,
    relationship_status, features (dict feature name → status of the account's detector), auto_enable (the region's
    organisation configuration: ``ALL``, ``NEW``, ``NONE`` or None), plans (dict plan or agent-management name →
    ``ENABLED``/``DISABLED`` of the account's detector; None when not reported), required_plans (tuple),
    missing_plans (tuple: required and not enabled).

    ``require_plans``: None (default: what the organisation configuration auto-enables, else the administrator's
    detector), or plan names (:data:`PLAN_NAMES`; a comma-separated string, or ``"none"``) required everywhere.
    """
    explicit = None if require_plans is None else check_plans(require_plans)
    grid = Grid(org)
    n = grid.n
    rd = grid.reads("guardduty", regional=True)

    # the account's own detector (an ENABLED one first), and how many it has in the region
    d = _first_by_rank(org.detectors, (org.detectors["status"] != "ENABLED").astype(int))
    ids, ok = grid.cell_ids(d["account_id"], d["region"])
    detector_id = grid.scatter(obj(d["detector_id"]), ids, ok)
    det_status = grid.scatter(obj(d["status"]), ids, ok)
    features_raw = grid.scatter(d["features"].to_numpy(dtype=object), ids, ok)
    n_detectors = np.bincount(ids[ok], minlength=n) if n else np.zeros(0, dtype=int)

    # the best record of the account in any administrator's member list (Enabled first)
    m = org.guardduty_members
    m = m[m["account_id"] != m["administrator_id"]]  # an administrator listing itself is not its own member
    m = _first_by_rank(m, m["relationship_status"].map(_REL_RANK).fillna(3))
    ids, ok = grid.cell_ids(m["account_id"], m["region"])
    m_admin = grid.scatter(obj(m["administrator_id"]), ids, ok)
    m_rel = grid.scatter(obj(m["relationship_status"]), ids, ok)
    m_invited = grid.scatter(m["by_invitation"].to_numpy(dtype=object), ids, ok, fill=False).astype(bool)
    m_invited_at = grid.scatter(m["invited_at"].to_numpy(dtype=object), ids, ok)
    m_detector = grid.scatter(obj(m["detector_id"]), ids, ok)

    # the account's own GetAdministratorAccount answer
    v = org.guardduty_administrators
    ids, ok = grid.cell_ids(v["account_id"], v["region"])
    v_admin = grid.scatter(obj(v["administrator_id"]), ids, ok)
    v_rel = grid.scatter(obj(v["relationship_status"]), ids, ok)
    v_invited_at = grid.scatter(v["invited_at"].to_numpy(dtype=object), ids, ok)
    v_invited = ~pd.isna(pd.Series(v_invited_at, dtype=object)).to_numpy()

    # administrators: live members per (administrator, region); the delegated administrator per region
    live = m[~m["relationship_status"].isin(ENDED_RELATIONSHIPS)]
    ids, ok = grid.cell_ids(live["administrator_id"], live["region"])
    n_members = np.bincount(ids[ok], minlength=n) if n else np.zeros(0, dtype=int)
    adm = org.guardduty_admins
    adm = adm[adm["admin_status"].isna() | (adm["admin_status"] == "ENABLED")].drop_duplicates("region")
    da_by_region = dict(zip(obj(adm["region"]), obj(adm["admin_account_id"])))
    da = np.array([da_by_region.get(r) for r in grid.regions], dtype=object)[grid.reg_of_cell] if n else \
        np.zeros(0, dtype=object)
    auto_by_region = _auto_enable(org, da_by_region)
    auto_enable = np.array([auto_by_region.get(r) for r in grid.regions], dtype=object)[grid.reg_of_cell] if n \
        else np.zeros(0, dtype=object)

    # the relationship: an Enabled member record wins, then the account's own Enabled view, then whatever exists
    m_present = m_rel != None  # noqa: E711 (elementwise on an object array)
    m_enabled = eq(m_rel, "Enabled")
    v_enabled = eq(v_rel, "Enabled")
    use_m = m_present & (m_enabled | ~v_enabled)
    rel = np.where(use_m, m_rel, v_rel)
    admin_id = np.where(use_m, m_admin, v_admin)
    same_admin = m_present & (m_admin == v_admin)
    invited = np.where(use_m | same_admin, m_invited, v_invited).astype(bool)
    invited_at = np.where(use_m | same_admin, m_invited_at, v_invited_at)

    not_app = grid.not_applicable
    read_ok = isin(rd["status"], ["ok", "partial"])
    partial = eq(rd["status"], "partial")
    det_enabled = eq(det_status, "ENABLED")
    det_suspended = (detector_id != None) & ~det_enabled  # noqa: E711
    is_da = np.asarray((da != None) & (da == grid.account_id), dtype=bool)  # noqa: E711
    is_admin = is_da | (n_members > 0)
    rel_enabled = eq(rel, "Enabled")
    rel_pending = isin(rel, PENDING_RELATIONSHIPS)
    rel_missing = rel == None  # noqa: E711
    ok = read_ok & ~not_app
    nok = ~read_ok & ~not_app

    conds = [
        ("not_applicable", not_app),
        ("suspended", ok & det_suspended),
        ("administrator", ok & det_enabled & is_admin),
        ("invited_member", ok & det_enabled & rel_enabled & invited),
        ("org_member", ok & det_enabled & rel_enabled),
        ("unknown", ok & det_enabled & partial & rel_missing),
        ("standalone", ok & det_enabled),
        ("pending", ok & rel_pending),
        ("none", ok),
        ("invited_member", nok & m_enabled & m_invited),
        ("org_member", nok & m_enabled),
        ("suspended", nok & eq(m_rel, "Disabled")),
        ("pending", nok & isin(m_rel, PENDING_RELATIONSHIPS)),
    ]
    case = np.select([c for _, c in conds], list(range(len(conds))), default=len(conds)) if n else \
        np.zeros(0, dtype=int)
    labels = np.array([name for name, _ in conds] + ["unknown"], dtype=object)
    status = labels[case] if n else np.zeros(0, dtype=object)

    reason = np.full(n, None, dtype=object)
    source = np.full(n, None, dtype=object)

    def cells_of(i: int) -> np.ndarray:
        return np.flatnonzero(case == i)

    def many(i: int) -> str:
        return f"; {n_detectors[i]} detectors in the region" if n_detectors[i] > 1 else ""

    def self_read(idx: np.ndarray) -> list[str]:
        r, _ = grid.failure(rd, idx, "guardduty")
        return [f"; the account's own read: {x}" if x else "" for x in r]

    idx = cells_of(0)
    reason[idx] = ["region not enabled for the account"
                   + (f" ({o})" if o else " (not in its region list: account:ListRegions)")
                   for o in grid.opt_status[idx]]
    source[idx] = "account:ListRegions"
    idx = cells_of(1)
    reason[idx] = [f"detector {detector_id[i]} is suspended (status {det_status[i]})"
                   + (f"; member of {admin_id[i]} ({rel[i]})" if admin_id[i] else "") + many(i) for i in idx]
    source[idx] = detector_id[idx]
    idx = cells_of(2)
    reason[idx] = [("the organization's delegated GuardDuty administrator for the region" if is_da[i] else
                    "GuardDuty administrator") + f" with {n_members[i]} member(s)" + many(i) for i in idx]
    source[idx] = detector_id[idx]
    idx = cells_of(3)
    reason[idx] = [f"member of {admin_id[i]} by invitation"
                   + (f" (invited {_date(invited_at[i])})" if _date(invited_at[i]) else "")
                   + (", the organization's delegated administrator; it can make it an organization member"
                      if admin_id[i] == da[i] else "") + many(i) for i in idx]
    source[idx] = detector_id[idx]
    idx = cells_of(4)
    reason[idx] = [f"member of {admin_id[i]} through AWS Organizations"
                   + (", the organization's delegated administrator" if admin_id[i] == da[i] else "") + many(i)
                   for i in idx]
    source[idx] = detector_id[idx]
    idx = cells_of(5)
    fr, fs = grid.failure(rd, idx, "guardduty")
    reason[idx] = [f"detector {detector_id[i]} is enabled, but its administrator could not be read: {r}"
                   for i, r in zip(idx, fr)]
    source[idx] = fs
    idx = cells_of(6)
    reason[idx] = [("detector enabled, no administrator" if rel[i] is None else
                    f"detector enabled; the membership offered by {admin_id[i]} is {rel[i]}, not accepted"
                    if rel[i] in PENDING_RELATIONSHIPS else
                    f"detector enabled; the relationship with {admin_id[i]} is {rel[i]}") + many(i) for i in idx]
    source[idx] = detector_id[idx]
    idx = cells_of(7)
    reason[idx] = [f"membership created by {admin_id[i]} ({rel[i]}), GuardDuty not enabled in the account"
                   for i in idx]
    source[idx] = admin_id[idx]
    idx = cells_of(8)
    reason[idx] = ["no detector" + (f"; {admin_id[i]} lists it as {rel[i]}" if admin_id[i] else "")
                   + ("; it is the delegated administrator for the region but has no detector" if is_da[i] else "")
                   for i in idx]
    source[idx] = "guardduty:ListDetectors"
    for k, text in ((9, "member of {a} by invitation, seen through its member list"),
                    (10, "member of {a} through AWS Organizations, seen through its member list"),
                    (11, "administrator {a} lists it as Disabled (suspended or not monitored)"),
                    (12, "membership created by {a} ({r}), not enabled")):
        idx = cells_of(k)
        reason[idx] = [text.format(a=m_admin[i], r=m_rel[i]) + note for i, note in zip(idx, self_read(idx))]
        source[idx] = m_admin[idx]
    idx = cells_of(len(conds))
    fr, fs = grid.failure(rd, idx, "guardduty")
    reason[idx] = [r or "not read" for r in fr]
    source[idx] = fs

    through_admin = case >= 9
    good_or_na = isin(status, ["administrator", "not_applicable"])
    plans, required, missing, status = _plans(org, grid, n, case, status, reason, features_raw, explicit,
                                              da_by_region, admin_id, da)
    features = np.full(n, None, dtype=object)
    has_f = np.flatnonzero(features_raw != None)  # noqa: E711
    features[has_f] = [_features(features_raw[i]) for i in has_f]
    out = pd.DataFrame({
        **grid.frame(), "status": status, "reason": reason, "source": source,
        "administrator_id": np.where(through_admin, m_admin, np.where(good_or_na, None, admin_id)),
        "detector_id": np.where(through_admin, m_detector, detector_id),
        "relationship_status": np.where(through_admin, m_rel, rel),
        "features": features,
        "auto_enable": auto_enable,
        "plans": plans, "required_plans": required, "missing_plans": missing,
    }, columns=COLUMNS, dtype=object)
    out.attrs["service"] = "guardduty"
    return out


def _plans(org, grid, n, case, status, reason, features_raw, explicit, da_by_region, admin_id, da):
    """Per cell: the detector's plans, the required plans and the missing ones; ``partial`` where an administrator
    or member (enabled detector) misses a required plan; a standalone detector keeps its status, the reason names
    the plans."""
    plans = np.full(n, None, dtype=object)
    required = np.full(n, None, dtype=object)
    missing = np.full(n, None, dtype=object)
    status = status.copy()
    judged = np.flatnonzero(np.isin(case, [2, 3, 4, 6]) & (features_raw != None))  # noqa: E711
    if not len(judged):
        return plans, required, missing, status
    from orgkit.guardduty.availability import why_not_offered  # here: orgkit.guardduty imports this module

    org_req = {} if explicit is not None else _org_required(org, da_by_region)
    own: dict | None = None
    regions = grid.regions
    for i in judged:
        p = plan_status(features_raw[i])
        plans[i] = p
        if p is None:
            continue
        region = regions[grid.reg_of_cell[i]]
        if explicit is not None:
            req, why = explicit, "required everywhere"
        elif region in org_req:
            req, why = org_req[region], "the organisation configuration auto-enables them"
        else:
            adm = admin_id[i] or da[i]
            if own is None:
                d = org.detectors[org.detectors["status"] == "ENABLED"]
                own = {(a, r): plan_status(f) or {} for a, r, f in
                       zip(obj(d["account_id"]), obj(d["region"]), d["features"].to_numpy(dtype=object))}
            ap = own.get((adm, region)) if adm else None
            req = tuple(k for k in _ORDER if (ap or {}).get(k) == "ENABLED")
            why = f"on in the administrator {adm}'s detector"
        # a required plan AWS does not offer in the region is not_applicable there, never missing
        # (orgkit.guardduty.availability: the one table of what AWS says is not offered where)
        na = tuple(k for k in req if why_not_offered(region, k))
        req = tuple(k for k in req if k not in na)
        required[i] = req
        miss = tuple(k for k in req if not is_on(p, k))
        missing[i] = miss
        if miss:
            reason[i] = f"{reason[i]}; required protection plans off: {', '.join(miss)} ({why})"
            if case[i] != 6:
                status[i] = "partial"
        if na:
            reason[i] = (f"{reason[i]}; not applicable in {region}: {', '.join(na)} (AWS does not offer "
                         f"{'it' if len(na) == 1 else 'them'} there: {why_not_offered(region, na[0])['url']})")
    return plans, required, missing, status


def _auto_enable(org: Org, da_by_region: dict) -> dict:
    """Region → ``ALL``/``NEW``/``NONE`` from the organisation configuration (the delegated admin's first)."""
    oc = org.guardduty_org_config
    out: dict = {}
    for rec in oc.to_dict("records"):
        reg = rec["region"]
        val = rec.get("auto_enable_organization_members")
        if not isinstance(val, str):
            legacy = rec.get("auto_enable")
            val = {True: "NEW", False: "NONE"}.get(legacy) if isinstance(legacy, bool) else None
        if reg not in out or rec.get("admin_account_id") == da_by_region.get(reg):
            out[reg] = val
    return out


def plan_status(features) -> dict | None:
    """The protection plans of one detector's ``Features`` (GetDetector): plan or agent-management name →
    ``ENABLED``/``DISABLED``; None when the detector reported no features (the plans are then not known).

    Agent management counts as ``ENABLED`` only while Runtime Monitoring itself is enabled (AWS: automated agent
    management is part of the Runtime Monitoring protection plan). The legacy ``EKS_RUNTIME_MONITORING`` is kept
    under its own name when reported.
    """
    if not isinstance(features, list) or not features:
        return None
    out: dict = {}
    for f in features:
        if not isinstance(f, dict):
            continue
        name = f.get("Name")
        if name in PLANS or name == LEGACY_EKS_RUNTIME:
            out[name] = f.get("Status")
        if name in ("RUNTIME_MONITORING", LEGACY_EKS_RUNTIME):
            for a in f.get("AdditionalConfiguration") or []:
                if isinstance(a, dict) and a.get("Name") in AGENT_MANAGEMENT:
                    on = a.get("Status") == "ENABLED" and f.get("Status") == "ENABLED"
                    # RUNTIME_MONITORING's own agent settings win over the legacy feature's
                    if name == "RUNTIME_MONITORING" or a["Name"] not in out:
                        out[a["Name"]] = "ENABLED" if on else "DISABLED"
    return out


def auto_enabled_plans(features) -> tuple[str, ...] | None:
    """The plans an organisation configuration's ``Features`` auto-enables (``NEW`` or ``ALL``), agent management
    included; None when it lists no features."""
    if not isinstance(features, list) or not features:
        return None
    out = []
    for f in features:
        if not isinstance(f, dict):
            continue
        name = f.get("Name")
        if (name in PLANS or name == LEGACY_EKS_RUNTIME) and f.get("AutoEnable") in ("NEW", "ALL"):
            out.append(name)
            for a in f.get("AdditionalConfiguration") or []:
                if isinstance(a, dict) and a.get("Name") in AGENT_MANAGEMENT and a.get("AutoEnable") in ("NEW", "ALL"):
                    out.append(a["Name"])
    return tuple(n for n in _ORDER if n in out)


#: display order of required plans (the legacy feature next to the plan that replaced it)
_ORDER = PLANS[:3] + (LEGACY_EKS_RUNTIME,) + PLANS[3:] + AGENT_MANAGEMENT


def is_on(plans: dict, name: str) -> bool:
    """Whether a detector's plans (:func:`plan_status`) satisfy a required ``name``: the legacy
    EKS_RUNTIME_MONITORING is satisfied by Runtime Monitoring too, which includes EKS."""
    if plans.get(name) == "ENABLED":
        return True
    return name == LEGACY_EKS_RUNTIME and plans.get("RUNTIME_MONITORING") == "ENABLED"


def check_plans(names) -> tuple[str, ...]:
    """``require_plans`` validated and in display order; ValueError naming the unknown ones."""
    if isinstance(names, str):
        names = [x.strip() for x in names.split(",") if x.strip()]
    names = [str(n).strip().upper() for n in names]
    if names == ["NONE"]:
        return ()
    bad = [n for n in names if n not in PLAN_NAMES]
    if bad:
        raise ValueError(f"unknown protection plan {', '.join(bad)}; plans: {', '.join(PLAN_NAMES)} (or none)")
    return tuple(n for n in PLAN_NAMES if n in names)


def _org_required(org: Org, da_by_region: dict) -> dict:
    """Region → the plans the organisation configuration auto-enables (the delegated admin's first)."""
    out: dict = {}
    for rec in org.guardduty_org_config.to_dict("records"):
        reg = rec["region"]
        req = auto_enabled_plans(rec.get("features"))
        if reg not in out or rec.get("admin_account_id") == da_by_region.get(reg):
            out[reg] = req
    return {r: v for r, v in out.items() if v is not None}


def plan_view(gd: pd.DataFrame) -> pd.DataFrame:
    """The protection-plan view of a :func:`guardduty_coverage` frame: one row per cell with a detector whose
    plans are known, one column per plan (``on``, ``off``, ``off (required)``, ``not_applicable`` where AWS does not
    offer the plan in the region), then status and missing plans."""
    from orgkit.guardduty.availability import why_not_offered

    d = gd[gd["plans"].map(lambda v: isinstance(v, dict))]
    rows = []
    for r in d.to_dict("records"):
        row = {k: r[k] for k in ("account_id", "account_name", "region", "status")}
        req = set(r["required_plans"] or ())
        for p in PLAN_NAMES:
            v = r["plans"].get(p)
            row[p] = ("not_applicable" if why_not_offered(str(r["region"]), p) else None if v is None else
                      "on" if v == "ENABLED" else "off (required)" if p in req else "off")
        row["missing_plans"] = ", ".join(r["missing_plans"] or ())
        rows.append(row)
    return pd.DataFrame(rows, columns=["account_id", "account_name", "region", "status", *PLAN_NAMES,
                                       "missing_plans"])
