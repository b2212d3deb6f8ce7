"""Hand-built organisations with a hand-made ``service_access`` frame (the contract of issue 21 points 1-2)."""

from __future__ import annotations

import pandas as pd

from orgkit.leastpriv import SERVICE_ACCESS_COLUMNS
from orgkit.testing import T0, SnapshotSpec

#: the snapshot's collected_at: the reference time of every window
REF = pd.Timestamp(T0)


def service_access(org, usage: dict[str, dict[str, int | None]]) -> pd.DataFrame:
    """``usage``: account id → {service namespace: days before collection it was last used (None: never)}. One row per
    (account, service) listed; an account not in ``usage`` has no report."""
    rows = []
    for aid, svcs in usage.items():
        path = "/".join([org.organization_id, *org.ancestors(aid)])
        for svc, ago in svcs.items():
            rows.append({"entity_path": path, "entity_type": "account", "entity_id": aid, "service_namespace": svc,
                         "service_name": svc.upper(),
                         "last_authenticated": pd.NaT if ago is None else REF - pd.Timedelta(days=ago),
                         "last_authenticated_region": None if ago is None else "us-east-1",
                         "last_authenticated_entity": None if ago is None else f"arn:aws:iam::{aid}:role/App",
                         "total_authenticated_entities": 0 if ago is None else 1,
                         "job_created": REF, "job_completed": REF})
    df = pd.DataFrame(rows, columns=SERVICE_ACCESS_COLUMNS)
    for c in ("last_authenticated", "job_created", "job_completed"):
        df[c] = pd.to_datetime(df[c], utc=True)
    df["total_authenticated_entities"] = df["total_authenticated_entities"].astype("int64")
    return df


def attach_usage(org, usage, joined_days_ago: int = 400):
    """Attach the frame, and make every account older than any window unless the test says otherwise."""
    acc = org.frames["accounts"].copy()
    acc["joined_at"] = REF - pd.Timedelta(days=joined_days_ago)
    org.frames["accounts"] = acc
    org.frames["service_access"] = service_access(org, usage)
    org.access_reports_collected = True
    return org


def small_org(tmp_path, catalog_services=None):
    """Root/Workloads (two accounts) and Root/Sandbox (one account)."""
    sb = SnapshotSpec()
    wl = sb.ou("Workloads")
    sbx = sb.ou("Sandbox")
    a1 = sb.account("App1", parent=wl)
    a2 = sb.account("App2", parent=wl)
    a3 = sb.account("Play", parent=sbx)
    org = sb.load(tmp_path / "snap")
    return org, {"workloads": wl, "sandbox": sbx, "a1": a1, "a2": a2, "a3": a3}
