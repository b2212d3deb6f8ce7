"""GuardDuty coverage: one row per (organisation account, requested region).

Statuses (docs/coverage.md): ``org_member`` · ``invited_member`` · ``administrator`` · ``standalone`` ·
``suspended`` · ``pending`` · ``none`` · ``unknown`` · ``not_applicable``.

The evidence, joined with pandas merges (no per-row Python):

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

from orgkit.coverage._cells import CELL_COLUMNS, account_reads, cells, read_failure, s
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


def _detectors(org: Org) -> pd.DataFrame:
    d = org.detectors
    if d.empty:
        return pd.DataFrame(columns=["account_id", "region", "detector_id", "det_status", "features", "n_detectors"])
    d = d.assign(_rank=(d["status"] != "ENABLED").astype(int))
    n = d.groupby(["account_id", "region"]).size().rename("n_detectors").reset_index()
    d = d.sort_values(["account_id", "region", "_rank", "detector_id"]).drop_duplicates(["account_id", "region"])
    feats = [{f.get("Name"): f.get("Status") for f in (fl or []) if isinstance(f, dict)} for fl in d["features"]]
    d = d.assign(features=feats).rename(columns={"status": "det_status"})
    return d[["account_id", "region", "detector_id", "det_status", "features"]].merge(n, on=["account_id", "region"])


def _member_records(org: Org) -> pd.DataFrame:
    """The best record of each (account, region) in any administrator's member list (Enabled first)."""
    m = org.guardduty_members
    cols = ["account_id", "region", "m_admin", "m_rel", "m_invited", "m_invited_at", "m_detector"]
    if m.empty:
        return pd.DataFrame(columns=cols)
    m = m.assign(_rank=m["relationship_status"].map(_REL_RANK).fillna(3))
    m = m.sort_values(["account_id", "region", "_rank", "administrator_id"]).drop_duplicates(["account_id", "region"])
    m = m.rename(columns={"administrator_id": "m_admin", "relationship_status": "m_rel", "by_invitation": "m_invited",
                          "invited_at": "m_invited_at", "detector_id": "m_detector"})
    return m[cols]


def _own_view(org: Org) -> pd.DataFrame:
    v = org.guardduty_administrators
    v = v.rename(columns={"administrator_id": "v_admin", "relationship_status": "v_rel", "invited_at": "v_invited_at"})
    v = v.assign(v_invited=v["v_invited_at"].notna())
    return v[["account_id", "region", "v_admin", "v_rel", "v_invited", "v_invited_at"]].drop_duplicates(
        ["account_id", "region"])


def _administrators(org: Org) -> pd.DataFrame:
    """Per (account, region): live members it administers, and whether it is the delegated administrator."""
    m = org.guardduty_members
    live = m[~m["relationship_status"].isin(ENDED_RELATIONSHIPS)]
    n = live.groupby(["administrator_id", "region"]).size().rename("n_members").reset_index()
    n = n.rename(columns={"administrator_id": "account_id"})
    return n


def _delegated(org: Org) -> pd.DataFrame:
    a = org.guardduty_admins
    a = a[a["admin_status"].isna() | (a["admin_status"] == "ENABLED")]
    return a.drop_duplicates("region")[["region", "admin_account_id"]].rename(columns={"admin_account_id": "da"})


def _org_config(org: Org, delegated: pd.DataFrame) -> pd.DataFrame:
    oc = org.guardduty_org_config
    if oc.empty:
        return pd.DataFrame(columns=["region", "auto_enable"])
    oc = oc.merge(delegated, on="region", how="left")
    oc = oc.assign(_rank=(oc["admin_account_id"] != oc["da"]).astype(int)).sort_values(["region", "_rank"])
    oc = oc.drop_duplicates("region")
    legacy = oc["auto_enable"].map({True: "NEW", False: "NONE"})
    auto = oc["auto_enable_organization_members"].where(oc["auto_enable_organization_members"].notna(), legacy)
    return pd.DataFrame({"region": oc["region"], "auto_enable": auto.astype(object)})


def guardduty_coverage(org: Org) -> pd.DataFrame:
    """GuardDuty status of every (organisation account, requested region).

    Columns: account_id, account_name, ou_path, region, status, reason, source, administrator_id, detector_id,
    relationship_status, features (dict feature name → status of the account's detector), auto_enable (the region's
    organisation configuration: ``ALL``, ``NEW``, ``NONE`` or None).
    """
    keys = ["account_id", "region"]
    g = cells(org)
    g = g.merge(account_reads(org, "guardduty", regional=True), on=keys, how="left")
    g = g.merge(_detectors(org), on=keys, how="left")
    g = g.merge(_member_records(org), on=keys, how="left")
    g = g.merge(_own_view(org), on=keys, how="left")
    g = g.merge(_administrators(org), on=keys, how="left")
    delegated = _delegated(org)
    g = g.merge(delegated, on="region", how="left")
    g = g.merge(_org_config(org, delegated), on="region", how="left")

    # the relationship: an Enabled member record wins, then the account's own Enabled view, then whatever exists
    m_present = g["m_rel"].notna()
    v_enabled = (g["v_rel"] == "Enabled").fillna(False).astype(bool)
    m_enabled = (g["m_rel"] == "Enabled").fillna(False).astype(bool)
    use_m = m_present & (m_enabled | ~v_enabled)
    rel = g["m_rel"].where(use_m, g["v_rel"]).astype(object)
    admin_id = g["m_admin"].where(use_m, g["v_admin"]).astype(object)
    same_admin = (g["m_admin"] == g["v_admin"]).fillna(False).astype(bool)
    invited = g["m_invited"].where(use_m | same_admin, g["v_invited"])
    invited = invited.fillna(False).astype(bool)
    invited_at = g["m_invited_at"].where(use_m | same_admin, g["v_invited_at"])

    enabled = g["enabled"]
    not_app = (enabled == False).fillna(False).astype(bool)  # noqa: E712 (nullable boolean)
    read_ok = g["read_status"].isin(["ok", "partial"])
    partial = g["read_status"] == "partial"
    det_enabled = (g["det_status"] == "ENABLED").fillna(False).astype(bool)
    det_exists = g["detector_id"].notna()
    det_suspended = det_exists & ~det_enabled
    is_da = (g["da"] == g["account_id"]).fillna(False).astype(bool)
    is_admin = is_da | (g["n_members"].fillna(0) > 0)
    rel_enabled = (rel == "Enabled").fillna(False).astype(bool)
    rel_pending = rel.isin(PENDING_RELATIONSHIPS)
    rel_missing = rel.isna()
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
        ("invited_member", nok & m_enabled & invited),
        ("org_member", nok & m_enabled),
        ("suspended", nok & (g["m_rel"] == "Disabled").fillna(False).astype(bool)),
        ("pending", nok & g["m_rel"].isin(PENDING_RELATIONSHIPS)),
    ]
    case = np.select([c for _, c in conds], list(range(len(conds))), default=len(conds))
    labels = np.array([n for n, _ in conds] + ["unknown"], dtype=object)
    status = pd.Series(labels[case], index=g.index, dtype=object)

    did = s(g["detector_id"])
    adm = s(admin_id)
    rel_s = s(rel)
    via = adm.where(adm == "", " (" + rel_s + ")")
    da_note = pd.Series(np.where(admin_id == g["da"], ", the organization's delegated administrator", ""),
                        index=g.index, dtype=object)
    inv_at = s(pd.to_datetime(invited_at, utc=True).dt.strftime("%Y-%m-%d"))
    fail_reason, fail_source = read_failure(g, "guardduty")
    n_members = s(g["n_members"].fillna(0).astype(int).astype(str))
    many = (g["n_detectors"].fillna(0) > 1)
    many_note = pd.Series(np.where(many, "; " + s(g["n_detectors"].fillna(0).astype(int).astype(str))
                                   + " detectors in the region", ""), index=g.index, dtype=object)
    self_read = ("; the account's own read: " + fail_reason).where(fail_reason != "", "")

    reason = pd.Series([None] * len(g), index=g.index, dtype=object)
    source = pd.Series([None] * len(g), index=g.index, dtype=object)

    def put(i: int, r: pd.Series | str, src: pd.Series | str | None) -> None:
        mask = case == i
        if not mask.any():
            return
        reason[mask] = (r if isinstance(r, str) else r[mask])
        if src is not None:
            source[mask] = (src if isinstance(src, str) else src[mask])

    opt = s(g["opt_status"])
    put(0, "region not enabled for the account" + (" (" + opt + ")").where(opt != "", ""), "account:ListRegions")
    member_of = ("; member of " + adm + " (" + rel_s + ")").where(adm != "", "")
    put(1, "detector " + did + " is suspended (status " + s(g["det_status"]) + ")" + member_of + many_note, did)
    admin_r = pd.Series(np.where(is_da, "the organization's delegated GuardDuty administrator for the region",
                                 "GuardDuty administrator"), index=g.index, dtype=object)
    put(2, admin_r + " with " + n_members + " member(s)" + many_note, did)
    put(3, "member of " + adm + " by invitation" + (" (invited " + inv_at + ")").where(inv_at != "", "") + da_note
        + pd.Series(np.where(admin_id == g["da"], "; its administrator can make it an organization member", ""),
                    index=g.index, dtype=object) + many_note, did)
    put(4, "member of " + adm + " through AWS Organizations" + da_note + many_note, did)
    put(5, "detector " + did + " is enabled, but its administrator could not be read" + self_read, fail_source)
    standalone_r = pd.Series("detector enabled, no administrator", index=g.index, dtype=object)
    standalone_r = standalone_r.where(~rel_pending, "detector enabled; the membership offered by " + adm + " is "
                                      + rel_s + ", not accepted")
    standalone_r = standalone_r.where(rel_pending | rel_missing,
                                      "detector enabled; the relationship with " + adm + " is " + rel_s)
    put(6, standalone_r + many_note, did)
    put(7, "membership created by " + adm + " (" + rel_s + "), GuardDuty not enabled in the account", adm)
    none_r = pd.Series("no detector", index=g.index, dtype=object)
    none_r = none_r + ("; " + adm + " lists it as " + rel_s).where(adm != "", "")
    none_r = none_r + pd.Series(np.where(is_da, "; it is the delegated administrator for the region but has no "
                                                "detector", ""), index=g.index, dtype=object)
    put(8, none_r, "guardduty:ListDetectors")
    madm = s(g["m_admin"])
    put(9, "member of " + madm + " by invitation, seen through its member list" + self_read, madm)
    put(10, "member of " + madm + " through AWS Organizations, seen through its member list" + self_read, madm)
    put(11, "administrator " + madm + " lists it as Disabled (suspended or not monitored)" + self_read, madm)
    put(12, "membership created by " + madm + " (" + s(g["m_rel"]) + "), not enabled" + self_read, madm)
    put(len(conds), fail_reason.where(fail_reason != "", "not read"), fail_source.where(fail_source != "", None))

    through_admin = case >= 9
    detector_id = g["detector_id"].where(~through_admin, g["m_detector"]).astype(object)
    admin_col = admin_id.where(~status.isin(["administrator", "not_applicable"]), None)
    admin_col = admin_col.where(~through_admin, g["m_admin"])
    rel_col = rel.where(~through_admin, g["m_rel"])

    out = pd.DataFrame({
        "account_id": g["account_id"], "account_name": g["account_name"], "ou_path": g["ou_path"],
        "region": g["region"], "status": status, "reason": reason, "source": source,
        "administrator_id": admin_col.astype(object).where(admin_col.notna(), None),
        "detector_id": detector_id.where(detector_id.notna(), None),
        "relationship_status": rel_col.astype(object).where(rel_col.notna(), None),
        "features": g["features"].where(g["features"].notna(), None),
        "auto_enable": g["auto_enable"].astype(object).where(g["auto_enable"].notna(), None),
    })
    source_empty = out["source"].isna() | (out["source"] == "")
    out.loc[source_empty, "source"] = None
    out.attrs["service"] = "guardduty"
    return out.reset_index(drop=True)
