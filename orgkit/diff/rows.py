"""The change frame: its columns, kinds and severities, and the rules that rank one status against another.

Every row is one change between BEFORE and AFTER. ``severity`` is ``regression`` (security got worse),
``improvement`` (better) or ``neutral`` (a change worth seeing that is neither, or whose consequence other rows
carry). The rules (docs/diff.md):

* coverage: each status has a rank (CloudTrail ``covered`` > ``partial`` > ``not_delivering`` > ``not_logging`` >
  ``none``; GuardDuty ``administrator`` = ``org_member`` > ``invited_member`` > ``standalone`` > ``pending`` =
  ``suspended`` > ``none``); down is a regression, up an improvement. Becoming ``unknown`` is a regression (what was
  shown can no longer be); leaving ``unknown`` is neutral (nothing is known to have changed). A region that
  becomes ``not_applicable`` (turned off) is neutral; one that is turned on arrives like a new cell.
* a new cell (new account, region turned on) is a regression when its status is not a good one, else neutral.
* SCP decisions: ``explicit_deny`` = ``implicit_deny`` < ``conditional`` < ``allow`` = ``exempt``; a principal
  that can do more is a regression, less an improvement; into ``unknown`` is a regression, out of it neutral.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["kind", "severity", "account_id", "account_name", "ou_path", "region", "before", "after", "reason",
           "policy_id", "policy_name", "target_id", "trail_arn", "service", "action", "count", "source"]

SEVERITIES = ("regression", "improvement", "neutral")

#: every kind, in the order rows are listed
KINDS = (
    "scope",
    # structure
    "account_added", "account_removed", "account_moved", "account_renamed", "account_suspended", "account_status",
    "ou_added", "ou_removed", "ou_renamed", "ou_moved",
    "scp_policy_type", "scp_created", "scp_edited", "scp_renamed", "scp_deleted", "scp_attached", "scp_detached",
    # SCP effect
    "tamper", "scp_effect",
    # CloudTrail
    "trail_added", "trail_removed", "trail_stopped", "trail_started", "trail_delivery", "trail_changed",
    "cloudtrail",
    # GuardDuty
    "guardduty_admin", "guardduty_auto_enable", "guardduty_feature", "guardduty",
    # Terraform plans
    "not_evaluated",
)

CLOUDTRAIL_RANK = {"covered": 4, "partial": 3, "not_delivering": 2, "not_logging": 1, "none": 0}
GUARDDUTY_RANK = {"administrator": 5, "org_member": 5, "invited_member": 4, "standalone": 3, "pending": 1,
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
    s = set(severities)
    return "regression" if "regression" in s else "improvement" if "improvement" in s else "neutral"


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


def frame(rows: list[dict] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows as the change frame: every column, ordered (severity, kind, ou_path, account, region)."""
    if isinstance(rows, pd.DataFrame):
        df = rows.reindex(columns=COLUMNS)
    else:
        df = pd.DataFrame.from_records(rows or [], columns=COLUMNS)
    df = df.astype(object).where(df.notna(), None)
    df["count"] = pd.array([None if c is None else int(c) for c in df["count"]], dtype="Int64")
    if len(df):
        sev = df["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        kind = df["kind"].map({k: i for i, k in enumerate(KINDS)}).fillna(len(KINDS))
        keys = pd.DataFrame({"s": sev, "k": kind, "o": df["ou_path"].fillna(""), "a": df["account_id"].fillna(""),
                             "r": df["region"].fillna(""), "p": df["policy_id"].fillna(""),
                             "t": df["trail_arn"].fillna(""), "v": df["service"].fillna(""),
                             "x": df["action"].fillna("")})
        df = df.loc[keys.sort_values(list(keys.columns), kind="stable").index].reset_index(drop=True)
    return df
