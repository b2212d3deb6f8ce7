"""The change frame: its columns, kinds and severities, and the rules that rank one status against another.

Every row is one change between BEFORE and AFTER. ``severity`` is ``regression`` (security got worse),
``improvement`` (better), ``neutral`` (surely no effect: a change worth seeing that is neither, or whose
consequence other rows carry) or ``unknown`` (the effect cannot be known, e.g. before a Terraform plan is applied:
the reason says why). The rules (docs/diff.md):

* coverage: each status has a rank (CloudTrail ``covered`` > ``partial`` > ``not_delivering`` > ``not_logging`` >
  ``none``; GuardDuty ``administrator`` = ``org_member`` > ``invited_member`` > ``partial`` (a required protection
  plan off) > ``standalone`` > ``pending`` =
  ``suspended`` > ``none``); down is a regression, up an improvement. Becoming ``unknown`` is a regression (what was
  shown can no longer be); leaving ``unknown`` is neutral (nothing is known to have changed). A region that
  becomes ``not_applicable`` (turned off) is neutral; one that is turned on arrives like a new cell.
* a new cell (new account, region turned on) is a regression when its status is not a good one, else neutral.
* SCP decisions: ``explicit_deny`` = ``implicit_deny`` < ``conditional`` < ``allow`` = ``exempt``; a principal
  that can do more is a regression, less an improvement; into ``unknown`` is a regression, out of it neutral.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["kind", "severity", "account_id", "account_name", "ou_path", "region", "before", "after", "reason",
           "policy_id", "policy_name", "target_id", "trail_arn", "service", "action", "count", "source"]

SEVERITIES = ("regression", "improvement", "neutral", "unknown")
#: the order rows are listed in: what needs a look first
ROW_ORDER = ("regression", "unknown", "improvement", "neutral")

#: every kind, in the order rows are listed
KINDS = (
    "scope",
    # structure
    "account_added", "account_removed", "account_moved", "account_renamed", "account_suspended", "account_status",
    "ou_added", "ou_removed", "ou_renamed", "ou_moved",
    "scp_policy_type", "scp_created", "scp_edited", "scp_renamed", "scp_deleted", "scp_attached", "scp_detached",
    "rcp_policy_type", "rcp_created", "rcp_edited", "rcp_renamed", "rcp_deleted", "rcp_attached", "rcp_detached",
    # SCP effect
    "tamper", "scp_effect",
    # CloudTrail
    "trail_added", "trail_removed", "trail_stopped", "trail_started", "trail_delivery", "trail_changed",
    "eds_added", "eds_removed", "eds_stopped", "eds_started", "eds_changed",
    "cloudtrail",
    # GuardDuty
    "guardduty_admin", "guardduty_auto_enable", "guardduty_feature", "guardduty",
    # Terraform plans
    "not_evaluated",
)

CLOUDTRAIL_RANK = {"covered": 4, "partial": 3, "not_delivering": 2, "not_logging": 1, "none": 0}
GUARDDUTY_RANK = {"administrator": 5, "org_member": 5, "invited_member": 4, "partial": 3.5, "standalone": 3, "pending": 1,
                  "suspended": 1, "none": 0}
#: statuses a new cell may arrive with and not be a regression
GOOD = {"cloudtrail": {"covered"}, "guardduty": {"administrator", "org_member", "invited_member", "standalone"}}
#: how much an SCP decision lets the principal do
DECISION_RANK = {"explicit_deny": 0, "implicit_deny": 0, "conditional": 1, "allow": 2, "exempt": 2}
AUTO_ENABLE_RANK = {"ALL": 2, "NEW": 1, "NONE": 0}


def status_severity(before, after, ranks: dict, good: set) -> str:
    """Severity of a coverage cell going from ``before`` to ``after`` (None: the cell did not exist)."""
    if before == after:
        return "neutral"
    if after == "unknown":
        return "regression"
    if before is None or before == "not_applicable":
        return "neutral" if after in good or after == "not_applicable" else "regression"
    if before == "unknown" or after == "not_applicable":
        return "neutral"
    b, a = ranks.get(before), ranks.get(after)
    if b is None or a is None or a == b:
        return "neutral"
    return "improvement" if a > b else "regression"


def decision_severity(before: str, after: str) -> str:
    """Severity of an SCP decision change: more allowed is a regression."""
    if before == after:
        return "neutral"
    if after == "unknown":
        return "regression"
    if before == "unknown":
        return "neutral"
    b, a = DECISION_RANK.get(before), DECISION_RANK.get(after)
    if b is None or a is None or a == b:
        return "neutral"
    return "regression" if a > b else "improvement"


def rank_severity(before, after, ranks: dict) -> str:
    b, a = ranks.get(before, 0 if before is None else None), ranks.get(after, 0 if after is None else None)
    if b is None or a is None or a == b:
        return "neutral"
    return "improvement" if a > b else "regression"


def worst(severities) -> str:
    """The severity of several effects together: a regression wins; then an unknown (what cannot be known is
    never called an improvement or neutral); then an improvement; else neutral."""
    s = set(severities)
    return next((x for x in ROW_ORDER if x in s), "neutral")


def records(df: pd.DataFrame, cols: list[str], key: str) -> dict:
    """{row[key]: row} for the given columns, read through numpy object arrays (iterating pandas' string arrays
    element by element is slow); missing values are None."""
    arrays = [df[c].to_numpy(dtype=object, na_value=None) if df[c].dtype != bool else df[c].to_numpy(dtype=object)
              for c in cols]
    out = {}
    for vals in zip(*arrays):
        r = dict(zip(cols, vals))
        out[r[key]] = r
    return out


def row(kind: str, severity: str = "neutral", **kw) -> dict:
    r = dict.fromkeys(COLUMNS)
    r.update(kind=kind, severity=severity, **kw)
    return r


def _codes(values: np.ndarray, table: dict, default: int) -> np.ndarray:
    """The rank of each value (``table`` maps value → rank, ranks 0… in the table's order), via one hash lookup."""
    pos = pd.Index(list(table), dtype=object).get_indexer(np.asarray(values, dtype=object))
    return np.where(pos < 0, default, pos).astype(np.int64)


def _sorted(df: pd.DataFrame) -> np.ndarray:
    """Row order: severity, kind, ou_path, account, region, policy, trail, service, action."""
    sev = _codes(df["severity"].to_numpy(dtype=object), {s: i for i, s in enumerate(ROW_ORDER)}, len(ROW_ORDER))
    kind = _codes(df["kind"].to_numpy(dtype=object), {k: i for i, k in enumerate(KINDS)}, len(KINDS))
    keys = []
    for c in ("ou_path", "account_id", "region", "policy_id", "trail_arn", "service", "action"):
        v = df[c].to_numpy(dtype=object)
        uniq = sorted({"" if x is None else str(x) for x in v})
        keys.append(_codes(np.array(["" if x is None else str(x) for x in v], dtype=object),
                           {u: i for i, u in enumerate(uniq)}, 0))
    return np.lexsort([*reversed(keys), kind, sev])  # the last key sorts first


def frame(rows: list[dict] | pd.DataFrame | None = None, more: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows (and ``more``: a frame of ``scp_effect`` rows, possibly hundreds of thousands) as the change frame:
    every column, ordered (severity, kind, ou_path, account, region, policy, trail, service, action)."""
    if isinstance(rows, pd.DataFrame):
        df = rows.reindex(columns=COLUMNS)
    else:
        df = pd.DataFrame.from_records(rows or [], columns=COLUMNS)
    df = df.astype(object).where(df.notna(), None)
    if len(df):
        df = df.iloc[_sorted(df)].reset_index(drop=True)
    if more is not None and len(more):
        more = pd.DataFrame({c: more[c].to_numpy(dtype=object) if c in more else np.full(len(more), None, object)
                             for c in COLUMNS})
        # sort the big part by small tables of ranks (accounts and services are few), then merge by (severity,
        # kind) with a stable sort: the two parts are each in order already
        acc = more["account_id"].to_numpy(dtype=object)
        path = more["ou_path"].to_numpy(dtype=object)
        pairs = sorted({(p or "", a or "") for p, a in zip(path, acc)})
        acc_rank = {a: i for i, (_, a) in enumerate(pairs)}
        svc = more["service"].to_numpy(dtype=object)
        svc_rank = {x: i for i, x in enumerate(sorted({x or "" for x in svc}))}
        sev_m = _codes(more["severity"].to_numpy(dtype=object), {s: i for i, s in enumerate(ROW_ORDER)}, 9)
        trans = more["before"].to_numpy(dtype=object) + "\t" + more["after"].to_numpy(dtype=object)
        trans_rank = {x: i for i, x in enumerate(sorted(set(trans)))}
        order = np.lexsort([_codes(trans, trans_rank, 0), _codes(svc, svc_rank, 0),
                            _codes(acc, acc_rank, 0), sev_m])
        more = more.iloc[order].reset_index(drop=True)
        df = pd.concat([df, more], ignore_index=True) if len(df) else more
        sev = _codes(df["severity"].to_numpy(dtype=object), {s: i for i, s in enumerate(ROW_ORDER)}, 9)
        kind = _codes(df["kind"].to_numpy(dtype=object), {k: i for i, k in enumerate(KINDS)}, len(KINDS))
        df = df.iloc[np.lexsort([kind, sev])].reset_index(drop=True)
    df["count"] = pd.array(pd.to_numeric(df["count"], errors="coerce"), dtype="Int64")
    return df
