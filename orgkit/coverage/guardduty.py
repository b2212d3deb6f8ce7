"""GuardDuty coverage: one row per (organisation account, requested region).

Statuses (docs/coverage.md): ``org_member`` · ``invited_member`` · ``administrator`` · ``standalone`` ·
``suspended`` · ``pending`` · ``none`` · ``unknown`` · ``not_applicable``.

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

STATUSES = ["org_member", "invited_member", "administrator", "standalone", "suspended", "pending", "none",
            "unknown", "not_applicable"]
#: statuses that count as "covered" in summaries: the account is enabled and its findings reach an administrator
COVERED = ("org_member", "invited_member", "administrator")
#: relationship statuses of a membership that exists but is not enabled yet
PENDING_RELATIONSHIPS = ("Created", "Invited", "EmailVerificationInProgress")
#: relationship statuses that no longer tie a member to its administrator
ENDED_RELATIONSHIPS = ("Removed", "Resigned")
COLUMNS = CELL_COLUMNS + ["administrator_id", "detector_id", "relationship_status", "features", "auto_enable"]

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
def guardduty_coverage(org: Org) -> pd.DataFrame:
    """GuardDuty status of every (organisation account, requested region).

    Columns: account_id, account_name, ou_path, region, status, reason, source, administrator_id, detector_id,
    relationship_status, features (dict feature name → status of the account's detector), auto_enable (the region's
    organisation configuration: ``ALL``, ``NEW``, ``NONE`` or None).
    """
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
    }, columns=COLUMNS, dtype=object)
    out.attrs["service"] = "guardduty"
    return out


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
