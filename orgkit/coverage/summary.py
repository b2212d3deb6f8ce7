"""Coverage shares per account and per OU, and the gaps in the order an incident responder would fix them.

Environment heuristic (:func:`environments`), for ordering only:

1. an account tag ``env``, ``environment``, ``stage`` or ``tier`` (any case) decides, if its value is recognised;
2. otherwise the account's name, then its OU path from the deepest OU up, are split into words and the first
   recognised word decides;
3. the management account, and accounts named or placed under security, audit, log archive, shared services,
   network or infrastructure, are ``core``.

Words: ``prod``/``production``/``prd``/``live`` → prod; ``non-prod``/``nonprod``/``preprod``/``staging``/``stage``/
``stg``/``uat``/``qa``/``test`` → stage; ``dev``/``development`` → dev; ``sandbox``/``sbx``/``playground``/
``interview``/``training``/``lab``/``poc``/``experiment``/``scratch`` → sandbox. Nothing recognised →
``unclassified``. Rank: core and prod 0, unclassified 1 (it may be production: treated with caution), stage 2,
dev 3, sandbox 4.
"""

from __future__ import annotations

import re

import pandas as pd

from orgkit.coverage import cloudtrail as ct_mod
from orgkit.coverage import guardduty as gd_mod
from orgkit.coverage._cells import no_gc
from orgkit.model import Org
from orgkit.ougraph import split_path

ENV_RANK = {"core": 0, "prod": 0, "unclassified": 1, "stage": 2, "dev": 3, "sandbox": 4}
_WORDS = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
    "nonprod": "stage", "preprod": "stage", "staging": "stage", "stage": "stage", "stg": "stage", "uat": "stage",
    "qa": "stage", "test": "stage", "testing": "stage",
    "dev": "dev", "development": "dev", "develop": "dev",
    "sandbox": "sandbox", "sandboxes": "sandbox", "sbx": "sandbox", "playground": "sandbox",
    "interview": "sandbox", "interviews": "sandbox", "training": "sandbox", "lab": "sandbox", "labs": "sandbox",
    "poc": "sandbox", "experiment": "sandbox", "experiments": "sandbox", "scratch": "sandbox",
    "security": "core", "audit": "core", "logarchive": "core", "log": "core", "logging": "core",
    "infrastructure": "core", "infra": "core", "network": "core", "networking": "core", "shared": "core",
    "core": "core",
}
_TAG_KEYS = ("env", "environment", "stage", "tier")

#: severity of a gap (0 first). unknown is listed separately (flagged). ``not_delivering`` ranks between nothing
#: recorded (none, not_logging: the events are lost) and partial: the events are recorded but nobody can read them,
#: and CloudTrail "will attempt to redeliver the log files to your S3 bucket for 30 days" once the bucket is fixed.
SEVERITY = {
    ("cloudtrail", "none"): 0, ("cloudtrail", "not_logging"): 0, ("cloudtrail", "not_delivering"): 1,
    ("cloudtrail", "partial"): 2,
    ("guardduty", "none"): 0, ("guardduty", "suspended"): 0, ("guardduty", "pending"): 0,
    ("guardduty", "standalone"): 2, ("guardduty", "partial"): 2,
}


def _classify_text(text: str | None) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    low = re.sub(r"non[-_ ]?prod", "nonprod", text.lower())
    low = re.sub(r"pre[-_ ]?prod", "preprod", low)
    low = re.sub(r"log[-_ ]?archive", "logarchive", low)
    for w in re.split(r"[^a-z0-9]+", low):
        w = w.rstrip("0123456789")
        if w in _WORDS:
            return _WORDS[w]
    return None


@no_gc
def environments(org: Org) -> pd.DataFrame:
    """account_id, env, env_rank, env_source (the tag, name or OU that decided)."""
    rows = []
    for aid, name, path, tags, mgmt in zip(org.accounts["account_id"], org.accounts["account_name"],
                                           org.accounts["ou_path"], org.accounts["tags"], org.accounts["is_management"]):
        env, src = None, None
        for k, v in (tags or {}).items():
            if k.lower() in _TAG_KEYS:
                env = _classify_text(v)
                if env:
                    src = f"tag {k}={v}"
                    break
        if env is None and mgmt:
            env, src = "core", "management account"
        if env is None:
            env = _classify_text(name)
            src = f"name {name}" if env else None
        if env is None and isinstance(path, str):
            for seg in reversed(split_path(path)[1:]):
                env = _classify_text(seg)
                if env:
                    src = f"OU {seg}"
                    break
        env = env or "unclassified"
        rows.append({"account_id": aid, "env": env, "env_rank": ENV_RANK[env], "env_source": src})
    return pd.DataFrame(rows, columns=["account_id", "env", "env_rank", "env_source"])


def _frames(org: Org, cloudtrail: pd.DataFrame | None, guardduty: pd.DataFrame | None):
    ct = cloudtrail if cloudtrail is not None else ct_mod.cloudtrail_coverage(org)
    gd = guardduty if guardduty is not None else gd_mod.guardduty_coverage(org)
    return ct, gd


@no_gc
def summary(org: Org, by: str = "account", cloudtrail: pd.DataFrame | None = None,
            guardduty: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of enabled regions covered by each service, per account (``by="account"``), per OU (``by="ou"``: the
    accounts directly in each OU, grouped by OU id and shown by its path) or per OU subtree (``by="ou_tree"``:
    every account beneath the OU).

    A region counts as enabled unless its status is ``not_applicable`` (unread regions count: not knowing is not
    coverage). Covered: CloudTrail ``covered``; GuardDuty ``org_member``, ``invited_member``, ``administrator``.
    Columns: account_id, account_name, ou_path, env (per account) or ou_path, accounts (per OU); then regions,
    cloudtrail_covered, cloudtrail_share, cloudtrail_unknown, guardduty_covered, guardduty_share, guardduty_unknown.
    """
    if by not in ("account", "ou", "ou_tree"):
        raise ValueError("by must be 'account', 'ou' or 'ou_tree'")
    ct, gd = _frames(org, cloudtrail, guardduty)
    keys = ["account_id", "region"]
    m = ct[keys + ["status"]].rename(columns={"status": "ct"}).merge(
        gd[keys + ["status"]].rename(columns={"status": "gd"}), on=keys, how="outer")
    m = m.merge(org.accounts[["account_id", "account_name", "ou_path"]], on="account_id", how="left")
    applicable = ~((m["ct"] == "not_applicable") | (m["gd"] == "not_applicable"))
    m = m.assign(regions=applicable.astype(int),
                 cloudtrail_covered=(applicable & m["ct"].isin(ct_mod.COVERED)).astype(int),
                 cloudtrail_unknown=(applicable & (m["ct"] == "unknown")).astype(int),
                 guardduty_covered=(applicable & m["gd"].isin(gd_mod.COVERED)).astype(int),
                 guardduty_unknown=(applicable & (m["gd"] == "unknown")).astype(int))
    counts = ["regions", "cloudtrail_covered", "cloudtrail_unknown", "guardduty_covered", "guardduty_unknown"]
    if by == "account":
        out = m.groupby(["account_id", "account_name", "ou_path"], sort=False, dropna=False)[counts].sum()
        out = out.reset_index().merge(environments(org)[["account_id", "env"]], on="account_id", how="left")
        lead = ["account_id", "account_name", "ou_path", "env"]
    else:
        # grouped by OU id (an account's parent_id), shown by path: two OUs never merge, even if their paths
        # looked alike, and the tree has only the OUs that exist
        m = m.merge(org.accounts[["account_id", "parent_id"]], on="account_id", how="left")
        if by == "ou_tree":  # every OU with all the accounts beneath it, nested OUs included
            per_acc = m.groupby(["account_id", "parent_id"], dropna=False)[counts].sum().reset_index()
            chains = [org.ancestors(p) if isinstance(p, str) and p in org.graph else [p]
                      for p in per_acc["parent_id"]]
            m = per_acc.assign(parent_id=chains).explode("parent_id")
        g = m.groupby("parent_id", dropna=False)
        out = g[counts].sum().join(g["account_id"].nunique().rename("accounts")).reset_index()
        paths = dict(zip(org.ous["ou_id"], org.ous["ou_path"]))
        out.insert(0, "ou_path", out["parent_id"].map(paths))
        out = (out.sort_values(["ou_path", "parent_id"], kind="stable", na_position="last")
               .drop(columns="parent_id").reset_index(drop=True))
        lead = ["ou_path", "accounts"]
    denom = out["regions"].where(out["regions"] > 0)
    out["cloudtrail_share"] = (out["cloudtrail_covered"] / denom).round(4)
    out["guardduty_share"] = (out["guardduty_covered"] / denom).round(4)
    return out[lead + ["regions", "cloudtrail_covered", "cloudtrail_share", "cloudtrail_unknown",
                       "guardduty_covered", "guardduty_share", "guardduty_unknown"]]


@no_gc
def gaps(org: Org, cloudtrail: pd.DataFrame | None = None, guardduty: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every gap, in the order to fix them: definite gaps first (production and core accounts before
    unclassified, stage, dev, sandbox; within each, no logging/detection before partial), then the ``unknown``
    cells (``flagged`` True: find out first).

    Columns: priority (1 = first), service, account_id, account_name, ou_path, region, env, status, reason, source,
    flagged, severity.
    """
    ct, gd = _frames(org, cloudtrail, guardduty)
    cols = ["account_id", "account_name", "ou_path", "region", "status", "reason", "source"]
    parts = []
    for service, df in (("cloudtrail", ct), ("guardduty", gd)):
        wanted = [st for (svc, st) in SEVERITY if svc == service] + ["unknown"]
        sub = df.loc[df["status"].isin(wanted), cols].copy()
        sub.insert(0, "service", service)
        parts.append(sub)
    g = pd.concat(parts, ignore_index=True)
    g = g.merge(environments(org), on="account_id", how="left")
    g["flagged"] = g["status"] == "unknown"
    sev = {f"{svc}:{st}": v for (svc, st), v in SEVERITY.items()}
    g["severity"] = (g["service"] + ":" + g["status"]).map(sev).fillna(2).astype(int)
    g = g.sort_values(["flagged", "env_rank", "severity", "service", "ou_path", "account_name", "account_id",
                       "region"], kind="stable").reset_index(drop=True)
    g.insert(0, "priority", range(1, len(g) + 1))
    return g[["priority", "service", "account_id", "account_name", "ou_path", "region", "env", "status", "reason",
              "source", "flagged", "severity"]]
