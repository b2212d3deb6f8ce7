"""GuardDuty today, from a snapshot: administrators, member ties, suspended detectors, the invitation cost.

Pure: nothing here calls AWS. :mod:`orgkit.guardduty.plan` builds the migration plan over these views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pandas as pd

ASSOCIATED = ("Enabled", "Disabled")
ENABLED_OPT = ("ENABLED", "ENABLED_BY_DEFAULT")
SERVICE_PRINCIPAL = "guardduty.amazonaws.com"

__all__ = ["ASSOCIATED", "ENABLED_OPT", "SERVICE_PRINCIPAL", "PlanError", "CurrentState", "coverage_counts",
           "administrators", "member_ties", "current_state", "invitation_admins", "default_admin",
           "no_default_admin_message"]


class PlanError(ValueError):
    """The plan cannot be made as asked (unknown account, bad option): the message says what to change."""


@dataclass
class CurrentState:
    """Today's GuardDuty, from the snapshot."""

    coverage: pd.DataFrame | None
    administrators: pd.DataFrame
    ties: pd.DataFrame
    suspended: pd.DataFrame
    no_detector: pd.DataFrame
    invitation_cost: pd.DataFrame
    cost_summary: dict
    external_members: pd.DataFrame
    coverage_note: str | None = None

    def status_counts(self) -> pd.DataFrame | None:
        return coverage_counts(self.coverage) if self.coverage is not None else None


def coverage_counts(coverage: pd.DataFrame) -> pd.DataFrame:
    """Coverage status counts per region (rows: regions; columns: statuses)."""
    if coverage is None or coverage.empty:
        return pd.DataFrame()
    t = coverage.groupby(["region", "status"], observed=True).size().unstack(fill_value=0)
    t.columns = [str(c) for c in t.columns]
    return t.sort_index()


# ----------------------------------------------------------------------------------------------- helpers
def _records(df: pd.DataFrame, cols: Iterable[str] | None = None) -> list[dict]:
    """Rows as dicts of plain values, column by column (``DataFrame.to_dict("records")`` boxes every cell and is
    several times slower on the frames of a large organisation). Missing values become None."""
    cols = list(df.columns if cols is None else cols)
    values = [[None if (v is None or (isinstance(v, float) and v != v) or v is pd.NA) else v
               for v in df[c].tolist()] for c in cols]
    return [dict(zip(cols, row)) for row in zip(*values)]


def _accounts(org) -> dict[str, dict]:
    cols = [c for c in ("account_id", "account_name", "status", "email") if c in org.accounts.columns]
    return {r["account_id"]: r for r in _records(org.accounts, cols)}


def _load_coverage(org) -> tuple[pd.DataFrame | None, str | None]:
    try:
        from orgkit.coverage.guardduty import guardduty_coverage
    except ModuleNotFoundError as e:
        if e.name and "orgkit.coverage" in e.name:
            return None, "orgkit.coverage.guardduty is not available: coverage statuses left out"
        raise
    return guardduty_coverage(org), None


def administrators(org) -> pd.DataFrame:
    """Every GuardDuty administrator per region: the delegated admin and each account that has members."""
    names = dict(zip(org.accounts["account_id"].tolist(), org.accounts["account_name"].tolist()))
    rows: dict[tuple[str, str], dict] = {}

    def row(region: str, aid: str) -> dict:
        return rows.setdefault((region, aid), {
            "region": region, "administrator_id": aid, "account_name": names.get(aid),
            "in_organization": aid in names, "delegated_admin": False, "members": 0, "associated": 0,
            "by_invitation": 0, "by_organization": 0, "outside_organization": 0, "pending": 0,
            "auto_enable": None})

    ga = org.guardduty_admins
    for region, aid, st in zip(ga["region"].tolist(), ga["admin_account_id"].tolist(), ga["admin_status"].tolist()):
        if st is None or st != st or st == "ENABLED":
            row(region, aid)["delegated_admin"] = True
    m = org.guardduty_members
    pending = ("Created", "Invited", "EmailVerificationInProgress")
    # (lists, not Series: iterating a pandas string array boxes every value)
    for region, admin, acct, rel, inv in zip(m["region"].tolist(), m["administrator_id"].tolist(),
                                             m["account_id"].tolist(), m["relationship_status"].tolist(),
                                             m["by_invitation"].tolist()):
        r = row(region, admin)
        r["members"] += 1
        r["associated"] += rel in ASSOCIATED
        inside = acct in names
        r["outside_organization"] += not inside
        if inv or not inside:
            r["by_invitation"] += 1
        else:
            r["by_organization"] += 1
        r["pending"] += rel in pending
    oc = org.guardduty_org_config
    for region, admin, mode in zip(oc["region"].tolist(), oc["admin_account_id"].tolist(),
                                   oc["auto_enable_organization_members"].tolist()):
        if (region, admin) in rows:
            rows[(region, admin)]["auto_enable"] = mode
    cols = ["region", "administrator_id", "account_name", "in_organization", "delegated_admin", "members",
            "associated", "by_invitation", "by_organization", "outside_organization", "pending", "auto_enable"]
    df = pd.DataFrame(list(rows.values()), columns=cols)
    return df.sort_values(["region", "administrator_id"]).reset_index(drop=True)


def member_ties(org) -> pd.DataFrame:
    """How each member is tied to its administrator: ``invitation`` (InvitedAt present, or the account is
    outside the organisation: it can only be an invitation member) or ``organization``."""
    names = dict(zip(org.accounts["account_id"].tolist(), org.accounts["account_name"].tolist()))
    m = org.guardduty_members
    inside = m["account_id"].isin(names.keys()).to_numpy(dtype=bool)
    invited = m["by_invitation"].fillna(False).astype(bool).to_numpy()
    df = pd.DataFrame({
        "region": m["region"].to_numpy(), "administrator_id": m["administrator_id"].to_numpy(),
        "account_id": m["account_id"].to_numpy(),
        "account_name": [names.get(a) for a in m["account_id"].tolist()],
        "in_organization": inside,
        "tie": ["invitation" if (i or not n) else "organization" for i, n in zip(invited, inside)],
        "relationship_status": m["relationship_status"].to_numpy(), "invited_at": m["invited_at"].to_numpy(),
    })
    return df.sort_values(["region", "administrator_id", "account_id"]).reset_index(drop=True)


def current_state(org, regions: Iterable[str] | None = None) -> CurrentState:
    """Today's GuardDuty in the snapshot: coverage, administrators, member ties, suspended detectors, (account,
    region) pairs with no detector, the invitation cost of the old model, the members outside the organisation."""
    regions = list(regions or org.regions_requested)
    coverage, note = _load_coverage(org)
    if coverage is not None:
        coverage = coverage[coverage["region"].isin(regions)].reset_index(drop=True)
    admins = administrators(org)
    admins = admins[admins["region"].isin(regions)].reset_index(drop=True)
    ties = member_ties(org)
    ties = ties[ties["region"].isin(regions)].reset_index(drop=True)
    accts = _accounts(org)
    det = org.detectors[org.detectors["region"].isin(regions)]
    suspended = det[det["status"] == "DISABLED"][["account_id", "region", "detector_id", "updated_at"]].copy()
    suspended.insert(1, "account_name", [(accts.get(a) or {}).get("account_name") for a in suspended["account_id"]])
    suspended = suspended.reset_index(drop=True)

    have = set(zip(det["account_id"].tolist(), det["region"].tolist()))
    nd = []
    rd = org.reads[(org.reads["service"] == "guardduty") & org.reads["region"].isin(regions)]
    for a, region, st in zip(rd["account_id"].tolist(), rd["region"].tolist(), rd["status"].tolist()):
        if st in ("ok", "partial") and (a, region) not in have:
            nd.append({"account_id": a, "account_name": (accts.get(a) or {}).get("account_name"), "region": region})
    no_detector = pd.DataFrame(nd, columns=["account_id", "account_name", "region"])

    inv = ties[ties["tie"] == "invitation"]
    cost_rows = []
    for region in regions:
        t = inv[inv["region"] == region]
        cost_rows.append({"region": region, "invitations_sent": len(t),
                          "accepted": int(t["relationship_status"].isin(ASSOCIATED).sum()),
                          "pending": int((t["relationship_status"] == "Invited").sum()),
                          "other": int((~t["relationship_status"].isin(ASSOCIATED + ("Invited",))).sum()),
                          "outside_organization": int((~t["in_organization"].astype(bool)).sum())})
    cost = pd.DataFrame(cost_rows, columns=["region", "invitations_sent", "accepted", "pending", "other",
                                            "outside_organization"])
    inv_regions = sorted(set(inv["region"]))
    summary = {
        "invitations_sent": int(cost["invitations_sent"].sum()) if len(cost) else 0,
        "invitations_accepted": int(cost["accepted"].sum()) if len(cost) else 0,
        "invitations_pending": int(cost["pending"].sum()) if len(cost) else 0,
        "regions_by_invitation": inv_regions,
        "regions_in_scope": regions,
        # under invitations a new account needs, in every region: CreateMembers + InviteMembers by the admin and
        # AcceptAdministratorInvitation by the account itself; under Organizations with auto-enable: nothing.
        "invitations_per_new_account": len(regions),
        "calls_per_new_account": 3 * len(regions),
        "invitations_per_new_account_after": 0,
    }
    ext = ties.loc[~ties["in_organization"].astype(bool), ["region", "administrator_id", "account_id",
                                                           "relationship_status"]]
    return CurrentState(coverage=coverage, administrators=admins, ties=ties, suspended=suspended,
                        no_detector=no_detector, invitation_cost=cost, cost_summary=summary,
                        external_members=ext.reset_index(drop=True), coverage_note=note)


def invitation_admins(org) -> pd.DataFrame:
    """Accounts of the organisation that administer members by invitation, with how many (most first)."""
    t = member_ties(org)
    t = t[t["tie"] == "invitation"]
    accts = _accounts(org)
    t = t[t["administrator_id"].isin(accts)]
    if t.empty:
        return pd.DataFrame(columns=["administrator_id", "members", "regions"])
    g = t.groupby("administrator_id").agg(members=("account_id", "size"), regions=("region", "nunique"))
    return g.reset_index().sort_values(["members", "administrator_id"], ascending=[False, True]) \
        .reset_index(drop=True)


def default_admin(org) -> tuple[str | None, str]:
    """The delegated administrator to propose, and why: the current invitation administrator when there is one
    (its in-organisation members then convert without re-inviting), else the current delegated administrator.

    Never the management account: AWS, "Your organization's management account can be the delegated administrator,
    but this is not recommended" (GuardDuty user guide, Managing accounts with AWS Organizations). When it is the
    only candidate, the answer is ``(None, "management_only")`` and the caller must be asked for ``--admin``
    (:func:`no_default_admin_message`).
    """
    mgmt = org.management_account_id
    skipped = False
    inv = invitation_admins(org)
    da = org.guardduty_admins[org.guardduty_admins["admin_status"].fillna("ENABLED") == "ENABLED"]
    d = org.delegated_admins[org.delegated_admins["service_principal"] == SERVICE_PRINCIPAL]
    for ids, why in ((list(inv["administrator_id"]), "invitation_admin"),
                     (list(da["admin_account_id"].value_counts().index), "delegated_admin"),
                     (list(d["account_id"]), "delegated_admin")):
        for a in ids:
            if str(a) == mgmt:
                skipped = True
                continue
            return str(a), why
    return None, "management_only" if skipped else "none"


def no_default_admin_message(org, why: str) -> str:
    """Why no administrator is proposed (``why`` from :func:`default_admin`), and what to do."""
    if why == "management_only":
        return (f"the only GuardDuty administrator in the snapshot is the management account "
                f"{org.management_account_id}; AWS: the management account \"can be the delegated administrator, "
                "but this is not recommended\": choose the delegated administrator (a member account, such as a "
                "security tooling account)")
    return "no GuardDuty administrator in the snapshot to propose: choose the delegated administrator"
