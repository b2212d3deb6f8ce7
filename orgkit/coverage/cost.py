"""Duplicate CloudTrail deliveries and what they cost, per (account, region).

Pricing (https://aws.amazon.com/cloudtrail/pricing/, "Managing CloudTrail trail costs" in the CloudTrail User
Guide): the first copy of management events in each region of each account is free; every further copy costs
$2.00 per 100,000 events; data events cost $0.10 per 100,000 events on every trail that records them, the first
included. Copies are counted separately for read and write events: a read-only trail and a write-only trail over
the same account and region are two first copies, not a duplicate.

Event volumes are not in the snapshot: they are assumptions the caller can change (see :func:`duplicates`), kept
in the result's ``.attrs``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from orgkit.coverage.cloudtrail import Applicability, _combos, applicability
from orgkit.coverage._cells import account_read_status, no_gc
from orgkit.model import Org

MANAGEMENT_PRICE_PER_100K = 2.00
DATA_PRICE_PER_100K = 0.10
#: default management events per (account, region) per month: a deliberately round, moderate figure
DEFAULT_MANAGEMENT_EVENTS = 1_000_000
#: default data events per (account, region, resource type) recorded by a trail with that scope
DEFAULT_DATA_EVENTS = 1_000_000
#: share of read events among management events (AWS's own Insights example: 270,000 read of 300,000)
DEFAULT_READ_FRACTION = 0.9

COLUMNS = ["account_id", "account_name", "ou_path", "region", "trails", "copies", "paid_copies", "est_monthly_usd",
           "reason", "copies_read", "copies_write", "paid_copies_read", "paid_copies_write", "management_usd",
           "data_overlap_trails", "data_extra_usd", "data_usd", "lake_copies"]

Volume = float | int | Mapping | pd.DataFrame


def _per_cell(app: Applicability, value: Volume, name: str) -> np.ndarray:
    """Expand a volume assumption to one number per cell: a number; a mapping keyed by region or by
    (account_id, region); or a DataFrame with account_id, region and ``name`` columns. Missing cells take the
    mapping's ``"*"`` entry, else the default."""
    n_r = len(app.regions)
    acc = np.repeat(np.array(app.accounts, dtype=object), n_r)
    reg = np.tile(np.array(app.regions, dtype=object), len(app.accounts))
    default = DEFAULT_MANAGEMENT_EVENTS if name == "management_events_per_month" else DEFAULT_DATA_EVENTS
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return np.full(len(acc), float(value))
    if isinstance(value, pd.DataFrame):
        missing = {"account_id", "region", name} - set(value.columns)
        if missing:
            raise ValueError(f"{name}: the DataFrame needs columns account_id, region and {name}")
        idx = pd.MultiIndex.from_arrays([acc, reg])
        ser = value.set_index(["account_id", "region"])[name]
        return ser.reindex(idx).fillna(default).to_numpy(dtype=float)
    if isinstance(value, Mapping):
        fallback = float(value.get("*", default))
        by_cell = pd.Series([value.get((a, r), value.get(r, fallback)) for a, r in zip(acc, reg)], dtype=object)
        return by_cell.astype(float).to_numpy()
    raise TypeError(f"{name} must be a number, a mapping or a DataFrame, not {type(value).__name__}")


def _data_scopes(app: Applicability, logging_known: np.ndarray) -> pd.DataFrame:
    rows = []
    for ti, sel in enumerate(app.profiles["selectors"]):
        if not logging_known[ti]:
            continue
        for d in sel.data:
            for direction, on in (("read", d.read), ("write", d.write)):
                if on:
                    for v in d.values:
                        rows.append((ti, d.resource_type, direction, v))
    return pd.DataFrame(rows, columns=["trail", "resource_type", "direction", "value"])


@no_gc
def duplicates(org: Org, management_events_per_month: Volume = DEFAULT_MANAGEMENT_EVENTS,
               data_events_per_month: Volume = DEFAULT_DATA_EVENTS, read_fraction: float = DEFAULT_READ_FRACTION,
               *, all_cells: bool = False, _app: Applicability | None = None) -> pd.DataFrame:
    """Every (account, region) that pays for extra copies of management events or for overlapping data events.

    Parameters: ``management_events_per_month`` (per account and region: a number, a mapping by region or by
    (account_id, region) with an optional ``"*"`` default, or a DataFrame with account_id, region and this column),
    ``data_events_per_month`` (per account, region and resource type recorded over its whole scope; same forms),
    ``read_fraction`` (share of read events among them), ``all_cells`` (one row for every enabled cell, not only
    those that pay for duplicates).

    Columns: account_id, account_name, ou_path, region, trails (the logging trails that record management events
    there, and the CloudTrail Lake event data stores that ingest them), copies (the most copies of any management
    event, event data stores included), paid_copies (trail copies beyond the free first one, the larger of read and
    write; Lake bills ingestion per GB instead), est_monthly_usd (what the duplicates cost: paid management copies plus overlapping
    data-event copies), reason, copies_read, copies_write, paid_copies_read, paid_copies_write, management_usd,
    data_overlap_trails (trails recording the same data events), data_extra_usd, data_usd (every data event
    recorded, first copy included), lake_copies (event data stores ingesting the management events there: a cell
    where a trail and a store record the same events is listed; Lake's cost is not estimated). ``.attrs`` holds the
    assumptions and prices.
    """
    if not 0.0 <= read_fraction <= 1.0:
        raise ValueError("read_fraction must be between 0 and 1")
    app = _app or applicability(org)
    P = app.profiles
    n = app.n_cells
    sels = list(P["selectors"])
    is_logging = P["is_logging"].astype("boolean")
    logging = (is_logging == True).fillna(False).to_numpy(dtype=bool)  # noqa: E712 (nullable boolean)
    known = np.array([s.known for s in sels], dtype=bool)
    active = logging & known
    # CloudTrail Lake event data stores are billed for what they ingest, not per copy: they are counted apart
    lake = (P["recorder"] == "event_data_store").to_numpy(dtype=bool) if "recorder" in P else np.zeros(len(P), bool)
    rec_read_any = active & np.array([s.read is not None for s in sels], dtype=bool)
    rec_write_any = active & np.array([s.write is not None for s in sels], dtype=bool)
    rec_read, rec_write = rec_read_any & ~lake, rec_write_any & ~lake
    lake_mgmt = (rec_read_any | rec_write_any) & lake
    # not counted, and said so: trails whose selectors or whose logging state were not read (unless known off)
    logging_unknown = is_logging.isna().to_numpy(dtype=bool)
    uncertain = (~known | logging_unknown) & ~(is_logging == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712

    def count(flags: np.ndarray) -> np.ndarray:
        if not len(app.cell):
            return np.zeros(n, dtype=np.int64)
        return np.bincount(app.cell, weights=flags[app.trail].astype(float), minlength=n).astype(np.int64)

    copies_read, copies_write, n_uncertain = count(rec_read), count(rec_write), count(uncertain)
    lake_copies = count(lake_mgmt)
    paid_read = np.maximum(copies_read - 1, 0)
    paid_write = np.maximum(copies_write - 1, 0)
    mgmt_events = _per_cell(app, management_events_per_month, "management_events_per_month")
    management_usd = (paid_read * mgmt_events * read_fraction + paid_write * mgmt_events * (1 - read_fraction)) \
        * MANAGEMENT_PRICE_PER_100K / 100_000

    # data events: per (cell, resource type, direction), the most copies of any event
    data_events = _per_cell(app, data_events_per_month, "data_events_per_month")
    ds = _data_scopes(app, active)
    data_usd = np.zeros(n)
    data_extra = np.zeros(n)
    overlap_trails: dict[int, set[int]] = {}
    overlap_notes: dict[int, list[str]] = {}
    if len(ds) and len(app.cell):
        pairs = pd.DataFrame({"cell": app.cell, "trail": app.trail})
        x = pairs.merge(ds, on="trail")
        x = x.drop_duplicates(["cell", "trail", "resource_type", "direction", "value"])
        star = x[x["value"] == "*"].groupby(["cell", "resource_type", "direction"])["trail"].nunique().rename("star")
        spec = x[x["value"] != "*"].groupby(["cell", "resource_type", "direction", "value"])["trail"].nunique()
        spec = spec.groupby(level=[0, 1, 2]).max().rename("spec")
        g = pd.concat([star, spec], axis=1).fillna(0)
        g["copies"] = g["star"] + g["spec"]
        frac = np.where(g.index.get_level_values("direction") == "read", read_fraction, 1 - read_fraction)
        cells_idx = g.index.get_level_values("cell").to_numpy()
        per_copy = data_events[cells_idx] * frac * DATA_PRICE_PER_100K / 100_000
        np.add.at(data_usd, cells_idx, g["copies"].to_numpy() * per_copy)
        extra = np.maximum(g["copies"].to_numpy() - 1, 0)
        np.add.at(data_extra, cells_idx, extra * per_copy)
        over = g[g["copies"] > 1]
        if len(over):
            ov_keys = over.reset_index()[["cell", "resource_type", "direction", "copies"]]
            xo = x.merge(ov_keys[["cell", "resource_type", "direction"]], on=["cell", "resource_type", "direction"])
            for c, t in zip(xo["cell"], xo["trail"]):
                overlap_trails.setdefault(int(c), set()).add(int(t))
            for c, rt, d, cp in ov_keys.itertuples(index=False):
                overlap_notes.setdefault(int(c), []).append(f"{rt} {d} events recorded {int(cp)} times")

    # which cells to report
    regions = org.regions.set_index(["account_id", "region"])["enabled"]
    n_r = len(app.regions)
    acc = np.repeat(np.array(app.accounts, dtype=object), n_r)
    reg = np.tile(np.array(app.regions, dtype=object), len(app.accounts))
    enabled = regions.reindex(pd.MultiIndex.from_arrays([acc, reg])).astype("boolean")
    applicable = (~(enabled == False).fillna(False)).to_numpy(dtype=bool)  # noqa: E712
    paying = (paid_read + paid_write > 0) | (data_extra > 0) | ((lake_copies > 0) & (copies_read + copies_write > 0))
    keep = applicable & (paying | all_cells)
    idx = np.flatnonzero(keep)

    own_reads = account_read_status(org, "cloudtrail")
    inverse, combos = _combos(app)
    arns = list(P["trail_arn"])
    names = list(P["name"])
    reasons, trails_col, overlap_col = [], [], []
    for c in idx:
        combo = combos[inverse[c]]
        recording = [t for t in combo if rec_read[t] or rec_write[t]]
        lakes = [t for t in combo if lake_mgmt[t]]
        trails_col.append([arns[t] for t in recording + lakes])
        overlap_col.append(sorted(arns[t] for t in overlap_trails.get(int(c), ())))
        bits = []
        if paid_read[c] or paid_write[c]:
            bits.append(f"management events: {copies_read[c]} copies of read events, {copies_write[c]} of write "
                        f"events ({', '.join(str(names[t]) for t in recording)})")
        elif recording:
            bits.append(f"management events: one copy ({', '.join(str(names[t]) for t in recording)})")
        if lakes:
            also = "; the same management events are also" if recording else "management events"
            bits.append(f"{also} ingested by CloudTrail Lake event data store(s) "
                        f"{', '.join(str(names[t]) for t in lakes)}, billed per GB ingested (not estimated here)")
        if int(c) in overlap_notes:
            bits.append("data events: " + "; ".join(overlap_notes[int(c)]))
        if n_uncertain[c]:
            bits.append(f"{n_uncertain[c]} trail(s) whose selectors or logging state were not read are not counted")
        if own_reads.get(acc[c], (None,))[0] not in ("ok", "partial"):
            bits.append("the account's own trails were not read: there may be more copies")
        reasons.append("; ".join(bits) or "no trail records management events")

    accounts = org.accounts.set_index("account_id")
    copies = (np.maximum(copies_read, copies_write) + lake_copies)[idx]
    out = pd.DataFrame({
        "account_id": acc[idx], "account_name": accounts["account_name"].reindex(acc[idx]).to_numpy(),
        "ou_path": accounts["ou_path"].reindex(acc[idx]).to_numpy(), "region": reg[idx],
        "trails": trails_col, "copies": copies, "paid_copies": np.maximum(paid_read, paid_write)[idx],
        "est_monthly_usd": np.round(management_usd[idx] + data_extra[idx], 2), "reason": reasons,
        "copies_read": copies_read[idx], "copies_write": copies_write[idx],
        "paid_copies_read": paid_read[idx], "paid_copies_write": paid_write[idx],
        "management_usd": np.round(management_usd[idx], 2), "data_overlap_trails": overlap_col,
        "data_extra_usd": np.round(data_extra[idx], 2), "data_usd": np.round(data_usd[idx], 2),
        "lake_copies": lake_copies[idx],
    }, columns=COLUMNS)
    out.attrs.update({
        "management_events_per_month": management_events_per_month if np.isscalar(management_events_per_month)
        else "per cell (caller's mapping)",
        "data_events_per_month": data_events_per_month if np.isscalar(data_events_per_month)
        else "per cell (caller's mapping)",
        "read_fraction": read_fraction,
        "management_price_per_100k_usd": MANAGEMENT_PRICE_PER_100K,
        "data_price_per_100k_usd": DATA_PRICE_PER_100K,
        "total_est_monthly_usd": round(float(management_usd[applicable].sum() + data_extra[applicable].sum()), 2),
        "total_data_usd": round(float(data_usd[applicable].sum()), 2),
        "note": "first copy of management events per account and region free; read and write copies counted "
                "separately; event volumes are assumptions",
    })
    return out
